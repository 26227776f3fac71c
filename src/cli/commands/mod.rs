//! The commands: one small room each (its arguments → the pipeline → what
//! it prints → its exit code), and [`run`], which only routes a parsed
//! command line to its room. Nothing outside this folder prints to stdout.

mod check;
mod compile;
mod completions;
mod diff;
mod explain;
mod log;
mod promote;
mod query;
mod report;
mod rollback;
mod rollout;
mod rollout_block;
mod schema;
mod status;

use std::io::Write;
use std::path::PathBuf;

use crate::base::error::{Error, Result};
use crate::check::Inventory;
use crate::cli::args::{Cli, Command};
use crate::pipeline::Compiled;

/// Runs the command; `Ok` carries the exit code (0, or 2 for "changes").
pub(crate) fn run(cli: Cli) -> Result<i32> {
    let root = cli.inventory.unwrap_or_else(|| PathBuf::from("."));
    crate::cli::progress::start(cli.quiet);
    match cli.command {
        Command::Check => check::run(&root),
        Command::Compile(args) => compile::run(&root, args),
        Command::Diff(args) => diff::run(&root, args),
        Command::Explain(args) => explain::run(&root, args),
        Command::Query(args) => query::run(&root, args),
        Command::Report(args) => report::run(&root, args),
        Command::Schema(args) => schema::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Log(args) => log::run(&root, args),
        Command::Promote(args) => promote::run(&root, args),
        Command::Status(args) => status::run(&root, args),
        Command::Rollback(args) => rollback::run(&root, args),
        Command::Rollout(cmd) => rollout::run(&root, cmd),
    }
}

/// Writes command output to stdout. A reader that stopped reading
/// (`fleetc diff --exit-code | head -1`) is not an error, and it does not
/// change the answer: the command still ends with its own exit status (2
/// for "changes found"), as `git diff --exit-code | head` does.
fn emit(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::io("<stdout>", e)),
        _ => Ok(()),
    }
}

/// A note for the user on stderr (never fails the command).
fn note(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "note: {text}");
}

/// Pretty JSON with a final newline.
fn to_json<T: serde::Serialize>(v: &T) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// The index of the cluster named on the command line.
fn cluster_index(inv: &Inventory, name: &str) -> Result<usize> {
    inv.cluster(name).ok_or_else(|| {
        unknown(
            "cluster",
            name,
            inv.clusters.iter().map(|c| c.name.as_str()),
        )
    })
}

/// The index of the app named on the command line.
fn app_index(inv: &Inventory, name: &str) -> Result<usize> {
    inv.app(name)
        .ok_or_else(|| unknown("app", name, inv.apps.iter().map(|a| a.name.as_str())))
}

/// An unknown name, with a did-you-mean.
fn unknown<'a>(what: &str, name: &str, names: impl Iterator<Item = &'a str>) -> Error {
    let names: Vec<&str> = names.collect();
    Error::Usage(format!(
        "no {what} `{name}` in the inventory{}",
        crate::base::suggest::hint(name, &names)
            .map(|h| format!("; {h}"))
            .unwrap_or_default()
    ))
}

/// Values a command is done with as the process ends: not freed one by
/// one (a fleet's compile is 100k values, whose freeing took a tenth of
/// a one-cluster commit), as the process's end frees them at once.
fn at_exit<T>(values: T) {
    std::mem::forget(values);
}

/// The notes of a compile (one line each, on stderr).
fn notes(c: &Compiled) {
    for n in &c.rendered.notes {
        note(n);
    }
}

/// `ok: 17 files, 6 clusters, … 25 Applications on 6 clusters`.
fn summary_line(c: &Compiled, verb: &str) -> String {
    let inv = &c.inventory;
    let clusters: std::collections::BTreeSet<usize> =
        c.matrix.placed.iter().map(|p| p.cluster).collect();
    format!(
        "{verb}: {} files, {} clusters, {} apps, {} teams, {} policies; {} Applications on {} clusters",
        inv.files,
        inv.clusters.len(),
        inv.apps.len(),
        inv.teams.len(),
        inv.policies.len(),
        c.rendered.apps.len(),
        clusters.len(),
    )
}

/// What Argo CD reports, judged against the compile (which must keep its
/// texts), when exports are given.
fn live_status(
    c: &Compiled,
    live: &crate::cli::args::LiveArgs,
) -> Result<Option<crate::live::status::Status>> {
    if live.from.is_empty() {
        return Ok(None);
    }
    let max_age = crate::live::status::parse_duration(&live.max_age).ok_or_else(|| {
        Error::Usage(format!(
            "--max-age `{}` is not an age: write `90s`, `30m`, `2h` or `1d`",
            live.max_age
        ))
    })?;
    let now = now(live)?;
    let exports = crate::live::exports::read(&live.from)?;
    crate::live::status::judge(c, &exports, now, max_age).map(Some)
}

/// The time ages are measured from: `--now`, or the clock.
fn now(live: &crate::cli::args::LiveArgs) -> Result<i64> {
    match &live.now {
        Some(t) => crate::base::time::parse_time(t).ok_or_else(|| {
            Error::Usage(format!(
                "--now `{t}` is not a time: write `2026-11-30T12:00:00Z`"
            ))
        }),
        None => Ok(crate::base::time::unix_now()),
    }
}
