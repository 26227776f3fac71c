//! `fleetc`: parse the command line, run the command, print what failed,
//! exit with its code.

/// Counts what fleetc holds, and stops it cleanly over `limits.memory_bytes`.
#[global_allocator]
static ALLOCATOR: fleetc::MemoryGuard = fleetc::MemoryGuard;

fn main() {
    std::process::exit(fleetc::main());
}
