//! `fleetc`: parse the command line, run the command, print what failed,
//! exit with its code.

/// Counts what fleetc holds, and stops it cleanly over `limits.memory_bytes`.
#[global_allocator]
static ALLOCATOR: fleetc::MemoryGuard = fleetc::MemoryGuard;

fn main() {
    let code = match fleetc::cli::parse() {
        Ok(cli) => match fleetc::run(cli) {
            Ok(code) => code,
            Err(e) => {
                e.print();
                e.exit_code()
            }
        },
        Err(code) => code,
    };
    std::process::exit(code);
}
