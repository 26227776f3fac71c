//! fleetc-bench: fleetc's benchmark (issue 10 "fleet scale").
//!
//! `fleetc-bench gen CLUSTERS APPS OUT [SEED]` writes an inventory of
//! CLUSTERS clusters × APPS apps into OUT (which must not exist yet).
//!
//! `fleetc-bench run [--fleetc PATH] [--sizes 1k,10k,100k] [--runs N]
//! [--work DIR] [--seed N]` generates a fleet per size (once; reused) and
//! times fleetc's commands on it (see run.rs). `bench/run` is the one
//! command that builds everything and calls it.
//!
//! `fleetc-bench grow-log REPO N` grows the deployment log of a deploy
//! repo's branch to N entries, as `run` does before it times `log`.

mod fleet;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("run") {
        return run::main(&args[1..]);
    }
    if let ["grow-log", repo, n] = args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        let Ok(n) = n.parse::<usize>() else {
            eprintln!("usage: fleetc-bench grow-log REPO N");
            return ExitCode::from(1);
        };
        return match run::grow_log(std::path::Path::new(repo), n) {
            Ok(added) => {
                println!("{added} entries added");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("fleetc-bench: {e}");
                ExitCode::from(1)
            }
        };
    }
    let usage = "usage: fleetc-bench gen CLUSTERS APPS OUT [SEED]\n       fleetc-bench run [--fleetc PATH] [--sizes 1k,10k,100k] [--runs N] [--work DIR] [--seed N]";
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
    println!(
        "{}: {clusters} clusters × {apps} apps (seed {seed})",
        out.display()
    );
    ExitCode::SUCCESS
}
