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
use crate::cli::args::{Cli, Command};
use crate::pipeline::Compiled;

/// Runs the command; `Ok` carries the exit code (0, or 2 for "changes").
pub(crate) fn run(cli: Cli) -> Result<i32> {
    let root = cli.inventory.unwrap_or_else(|| PathBuf::from("."));
    crate::cli::progress::start(cli.quiet);
    match cli.command {
        Command::Check(args) => check::run(&root, args),
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

/// The index of the cluster named on the command line: by its name, its
/// `shortName`, or the name of one of its Applications (what Argo CD
/// shows, `pos-api-lab01`).
fn cluster_index(c: &Compiled, name: &str) -> Result<usize> {
    let inv = &c.inventory;
    if let Some(ci) = inv
        .cluster(name)
        .or_else(|| (inv.clusters.iter()).position(|cl| cl.short_name.as_deref() == Some(name)))
    {
        return Ok(ci);
    }
    let named = applications(c, name);
    match the_one(named.iter().map(|&(ci, _)| ci)) {
        Some(ci) => Ok(ci),
        None if !named.is_empty() => Err(on_several(c, name, &named, "cluster")),
        None => {
            let names = inv.clusters.iter().map(|c| c.name.as_str());
            let short = inv.clusters.iter().filter_map(|c| c.short_name.as_deref());
            Err(unknown("cluster", name, names.chain(short)))
        }
    }
}

/// The index of the app named on the command line: by its name or the
/// name of one of its Applications.
fn app_index(c: &Compiled, name: &str) -> Result<usize> {
    let inv = &c.inventory;
    if let Some(ai) = inv.app(name) {
        return Ok(ai);
    }
    let named = applications(c, name);
    the_one(named.iter().map(|&(_, ai)| ai)).ok_or_else(|| {
        if named.is_empty() {
            unknown("app", name, inv.apps.iter().map(|a| a.name.as_str()))
        } else {
            on_several(c, name, &named, "app")
        }
    })
}

/// The (cluster, app) of every Application named `name`: one, unless the
/// fleet's `application_name` repeats a name across clusters.
fn applications(c: &Compiled, name: &str) -> Vec<(usize, usize)> {
    (c.rendered.apps.iter())
        .filter(|r| r.name == name)
        .map(|r| (r.cluster, r.app))
        .collect()
}

/// The value every item has, if they all have the same one.
fn the_one(mut items: impl Iterator<Item = usize>) -> Option<usize> {
    let first = items.next()?;
    items.all(|i| i == first).then_some(first)
}

/// An Application name that stands for more than one `what`.
fn on_several(c: &Compiled, name: &str, named: &[(usize, usize)], what: &str) -> Error {
    let clusters: Vec<&str> = named
        .iter()
        .map(|&(ci, _)| c.inventory.clusters[ci].name.as_str())
        .collect();
    Error::Usage(format!(
        "Applications named `{name}` are on {} ({}): name the {what} itself",
        crate::base::words::count(clusters.len() as u128, "cluster"),
        clusters.join(", ")
    ))
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

/// Refuses the first label key asked for that no cluster has (`flag` names
/// where it was given), with the nearest keys clusters do have: a typo
/// would otherwise answer "nothing" (a selector) or put every cluster in
/// one group (`--group-by`). The clusters' keys are gathered once.
fn known_labels<'a>(
    c: &Compiled,
    asked: impl IntoIterator<Item = &'a str>,
    flag: &str,
) -> Result<()> {
    if c.inventory.clusters.is_empty() {
        return Ok(());
    }
    let keys: std::collections::BTreeSet<&str> = c
        .inventory
        .clusters
        .iter()
        .flat_map(|cl| cl.labels.keys().map(String::as_str))
        .collect();
    let Some(key) = asked.into_iter().find(|k| !keys.contains(k)) else {
        return Ok(());
    };
    let known: Vec<&str> = keys.into_iter().collect();
    Err(Error::Usage(format!(
        "{flag}: no cluster has the label `{key}`{}",
        crate::base::suggest::hint(key, &known)
            .map(|h| format!("; {h}"))
            .unwrap_or_else(|| format!("; the clusters' labels are {}", known.join(", ")))
    )))
}

/// `ok: 17 files, 6 clusters, … 25 Applications on 6 clusters`.
fn summary_line(c: &Compiled, verb: &str) -> String {
    let inv = &c.inventory;
    let clusters: std::collections::BTreeSet<usize> =
        c.rendered.apps.iter().map(|a| a.cluster).collect();
    let count = crate::base::words::count;
    format!(
        "{verb}: {}, {}, {}, {}, {}; {} on {}",
        count(inv.files as u128, "file"),
        count(inv.clusters.len() as u128, "cluster"),
        count(inv.apps.len() as u128, "app"),
        count(inv.teams.len() as u128, "team"),
        count(inv.policies.len() as u128, "policy"),
        count(c.rendered.apps.len() as u128, "Application"),
        count(clusters.len() as u128, "cluster"),
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
    crate::cli::progress::lap("exports: read");
    let status = crate::live::status::judge(c, &exports, now, max_age);
    crate::cli::progress::lap("judge");
    status.map(Some)
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
