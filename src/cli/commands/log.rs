//! `fleetc log`: the deployment history, filtered.

use std::collections::BTreeMap;
use std::path::Path;

use super::emit;
use crate::base::error::{Error, Result};
use crate::cli::args::{LogArgs, LogFormat};
use crate::cli::EXIT_OK;
use crate::pipeline;
use crate::repo::deploylog::{self, Filter};
use crate::repo::git::DeployRepo;

/// The deployment log of a deploy branch, parsed, with the commit of each
/// entry.
pub(super) fn read(
    deploy: &DeployRepo,
    prefix: &str,
) -> Result<(Vec<deploylog::Line>, BTreeMap<u64, String>)> {
    let snapshot = deploy.snapshot_of(prefix, |name| {
        name == deploylog::LOG_DIR || name == deploylog::LOG_FILE
    })?;
    let has_legacy = snapshot.files.contains_key(deploylog::LOG_FILE);
    let paths =
        deploylog::files_in_order(has_legacy, deploy.paths_in(&snapshot, deploylog::LOG_DIR));
    if snapshot.commit.is_none() || paths.is_empty() {
        return Err(Error::Usage(format!(
            "branch `{}` has no deployment log ({}{}/): nothing has been committed by fleetc there",
            deploy.branch,
            if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
            deploylog::LOG_DIR
        )));
    }
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let text = deploy.file(&snapshot, &path)?.unwrap_or_default();
        // Valid UTF-8 (what fleetc writes) is taken as it is, not copied.
        let text = String::from_utf8(text)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        files.push((path, text));
    }
    let lines = deploylog::parse(&files).map_err(Error::Usage)?;
    let commits = deploy.log_entry_commits(&snapshot)?;
    Ok((lines, commits))
}

pub(super) fn run(root: &Path, args: LogArgs) -> Result<i32> {
    let settings = pipeline::load_settings(root)?;
    let prefix = settings.deploy_prefix();
    crate::repo::git::read_only();
    let deploy = DeployRepo::open(&args.repo, args.branch.as_deref())?;
    let since = match &args.since {
        Some(s) => {
            Some(crate::base::time::parse_since(s, crate::base::time::unix_now()).ok_or_else(|| {
                Error::Usage(format!(
                    "--since `{s}`: write a date (2026-11-21), a time (2026-11-21T17:00:00Z) or an age (7d, 12h, 30m)"
                ))
            })?)
        }
        None => None,
    };
    let (lines, commits) = read(&deploy, prefix)?;
    check_names(&lines, args.app.as_deref(), args.cluster.as_deref())?;
    let filter = Filter {
        app: args.app.as_deref(),
        cluster: args.cluster.as_deref(),
        since,
        oldest_first: args.oldest_first,
    };
    let selected = deploylog::select(lines, &filter);
    emit(&match args.format {
        LogFormat::Text => deploylog::history_text(&selected, &commits),
        LogFormat::Json => deploylog::history_json(&selected, &commits),
    })?;
    Ok(EXIT_OK)
}

/// `--app` and `--cluster` must name what the log has seen: a typo is an
/// error with a did-you-mean, not an empty history. (An app removed from
/// the inventory keeps its history, so the log, not the inventory, is
/// what they are checked against.)
fn check_names(lines: &[deploylog::Line], app: Option<&str>, cluster: Option<&str>) -> Result<()> {
    let seen = |f: &dyn Fn(&deploylog::Event) -> bool| {
        lines
            .iter()
            .any(|l| matches!(l, deploylog::Line::Event(ev) if f(ev)))
    };
    let app_ok = app.is_none_or(|a| seen(&|ev| ev.app == a));
    let cluster_ok = cluster.is_none_or(|c| seen(&|ev| ev.cluster == c));
    if app_ok && cluster_ok {
        return Ok(());
    }
    let (apps, clusters) = deploylog::names(lines);
    for (what, given, known) in [("app", app, &apps), ("cluster", cluster, &clusters)] {
        let Some(name) = given else { continue };
        if known.contains(name) {
            continue;
        }
        let names: Vec<&str> = known.iter().map(String::as_str).collect();
        return Err(Error::Usage(format!(
            "no {what} `{name}` in the deployment log: fleetc never deployed one{}",
            crate::base::suggest::hint(name, &names)
                .map(|h| format!("; {h}"))
                .unwrap_or_default()
        )));
    }
    Ok(())
}
