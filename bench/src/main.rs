//! fleetc-bench: generates seeded fleets for fleetc's benchmark.
//!
//! `fleetc-bench gen CLUSTERS APPS OUT [SEED]` writes an inventory of
//! CLUSTERS clusters × APPS apps into OUT (which must not exist yet). The
//! timing runner that will use it is not written yet (issue 10).

mod fleet;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: fleetc-bench gen CLUSTERS APPS OUT [SEED]";
    let [cmd, clusters, apps, out, rest @ ..] = args.as_slice() else {
        eprintln!("{usage}");
        return ExitCode::from(1);
    };
    let (Ok(clusters), Ok(apps), Ok(seed)) = (
        clusters.parse::<usize>(),
        apps.parse::<usize>(),
        rest.first().map_or(Ok(1), |s| s.parse::<u64>()),
    ) else {
        eprintln!("{usage}: CLUSTERS, APPS and SEED are numbers");
        return ExitCode::from(1);
    };
    let out = PathBuf::from(out);
    if cmd != "gen" || rest.len() > 1 {
        eprintln!("{usage}");
        return ExitCode::from(1);
    }
    if out.exists() {
        eprintln!("fleetc-bench: {} exists; give a new folder", out.display());
        return ExitCode::from(1);
    }
    fleet::Fleet { clusters, apps }.write(&out, seed);
    println!("{}: {clusters} clusters × {apps} apps (seed {seed})", out.display());
    ExitCode::SUCCESS
}
