fn main() {
    std::process::exit(fleetc::run::main());
}
