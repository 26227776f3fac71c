//! Running a command: the pipeline, the printing, the exit code.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Parser;

use std::collections::BTreeMap;
use std::io::IsTerminal;

use crate::cli::{Cli, Command, Format, LogFormat, Query, TableFormat};
use crate::deploylog;
use crate::diff;
use crate::error::{sort_diagnostics, Diagnostic, Error, Result, EXIT_CHANGES, EXIT_OK, EXIT_USER};
use crate::explain;
use crate::gitrepo::{self, DeployRepo};
use crate::model;
use crate::output::{self, Tree};
use crate::pipeline::{compile, Compiled};
use crate::report;

/// The binary's entry point: returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and the version to stdout, mistakes to stderr.
            // A usage mistake is a user error (1); 2 means "changes found".
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    EXIT_OK
                }
                _ => EXIT_USER,
            };
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            print_error(&e);
            e.exit_code()
        }
    }
}

/// Writes command output to stdout. A reader that stopped reading
/// (`fleetc log | head`) is not an error: the command ends quietly.
fn emit(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => Error::ClosedPipe,
            _ => Error::io("<stdout>", e),
        })
}

/// A note for the user on stderr (never fails the command).
fn note(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "note: {text}");
}

fn run(cli: Cli) -> Result<i32> {
    let root = cli.inventory.clone().unwrap_or_else(|| PathBuf::from("."));
    match cli.command {
        Command::Report { html, group_by } => {
            let c = compile(&root)?;
            let page = crate::html::page(&c, group_by.as_deref());
            let tmp = html.with_extension("html.fleetc-tmp");
            std::fs::write(&tmp, &page)
                .and_then(|()| std::fs::rename(&tmp, &html))
                .map_err(|e| Error::io(&html, e))?;
            emit(&format!(
                "wrote {} ({} bytes): {} clusters × {} apps\n",
                html.display(),
                page.len(),
                c.inventory.clusters.len(),
                c.inventory.apps.len()
            ))?;
            Ok(EXIT_OK)
        }
        Command::Schema { kind } => {
            let schema = crate::schema::schema(&kind)
                .ok_or_else(|| Error::Usage(format!("no schema `{kind}`")))?;
            emit(&to_json(&schema))?;
            Ok(EXIT_OK)
        }
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut cmd = Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "fleetc", &mut script);
            emit(&String::from_utf8_lossy(&script))?;
            Ok(EXIT_OK)
        }
        Command::Check => {
            let c = compile(&root)?;
            emit(&format!("{}\n", summary_line(&c, "ok")))?;
            for n in &c.rendered.notes {
                note(n);
            }
            Ok(EXIT_OK)
        }
        Command::Compile {
            target,
            branch,
            commit,
            check,
            allow_removals,
        } => match (target.out, target.repo) {
            (Some(out), _) => compile_to_dir(&root, &out, check, allow_removals),
            (_, Some(repo)) => {
                if !check && !commit {
                    return Err(Error::Usage(
                        "with --repo, say --commit to commit, or --check to compare".to_string(),
                    ));
                }
                compile_to_repo(&root, &repo, branch.as_deref(), check, allow_removals)
            }
            (None, None) => Err(Error::Usage(
                "say where: --out DIR or --repo PATH".to_string(),
            )),
        },
        Command::Diff {
            out,
            repo,
            base,
            branch,
            format,
            exit_code,
            max_bytes,
        } => {
            let mut c = compile(&root)?;
            let (changes, notes) = match (out, repo, base) {
                (Some(out), _, _) => {
                    let tree = c.take_tree();
                    (dir_changes(&out, &tree)?, Vec::new())
                }
                (_, Some(repo), _) => {
                    let prefix = deploy_prefix(&c);
                    let tree = c.take_tree();
                    let deploy = DeployRepo::open(&repo, branch.as_deref())?;
                    let snapshot = deploy.snapshot(&prefix)?;
                    (repo_changes(&deploy, &snapshot, &tree)?, Vec::new())
                }
                (_, _, Some(rev)) => base_changes(&root, &rev, &mut c)?,
                _ => {
                    return Err(Error::Usage(
                        "say what to compare with: --out DIR, --repo PATH or --base REV"
                            .to_string(),
                    ))
                }
            };
            let cs = diff::classify(changes);
            let guard = guard_verdict(&c, &cs);
            let mut notes = notes;
            if let Some(g) = &guard {
                notes.push(format!(
                    "{g}; `compile` would refuse it without --allow-removals"
                ));
            }
            let text = match format {
                Format::Text => {
                    let color = std::io::stdout().is_terminal()
                        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
                    let mut t = String::new();
                    for n in &notes {
                        t.push_str(&format!("note: {n}\n"));
                    }
                    t + &diff::text(&cs, color, true)
                }
                Format::Markdown => diff::markdown(&cs, max_bytes, &notes),
                Format::Json => {
                    diff::json(&cs, serde_json::json!({ "guard": guard, "notes": notes }))
                }
            };
            emit(&text)?;
            Ok(if exit_code && !cs.is_empty() {
                EXIT_CHANGES
            } else {
                EXIT_OK
            })
        }
        Command::Explain {
            app,
            cluster,
            format,
        } => {
            let c = compile(&root)?;
            let inv = &c.inventory;
            let ai = inv.app(&app).ok_or_else(|| {
                unknown(
                    "app",
                    &app,
                    inv.apps.iter().map(|a| a.name.as_str()).collect(),
                )
            })?;
            let text = match cluster {
                Some(cluster) => {
                    let ci = inv.cluster(&cluster).ok_or_else(|| {
                        unknown(
                            "cluster",
                            &cluster,
                            inv.clusters.iter().map(|c| c.name.as_str()).collect(),
                        )
                    })?;
                    let r = explain::pair(&c, ci, ai);
                    match format {
                        LogFormat::Text => explain::pair_text(&r),
                        LogFormat::Json => to_json(&r),
                    }
                }
                None => {
                    let r = explain::app(&c, ai);
                    match format {
                        LogFormat::Text => explain::app_text(&r),
                        LogFormat::Json => to_json(&r),
                    }
                }
            };
            emit(&text)?;
            Ok(EXIT_OK)
        }
        Command::Query {
            what,
            selector,
            format,
        } => {
            let c = compile(&root)?;
            let inv = &c.inventory;
            let filter = match &selector {
                Some(s) => Some(
                    model::parse_selector(s)
                        .map_err(|e| Error::Usage(format!("--selector: {e}")))?,
                ),
                None => None,
            };
            let all = report::cells(&c, filter.as_ref());
            let (cells, table, what): (Vec<report::Cell>, report::Table, &str) = match what {
                Query::Matrix => {
                    let t = report::matrix_table(&c, &all);
                    (all, t, "clusters")
                }
                Query::Apps { cluster } => {
                    if inv.cluster(&cluster).is_none() {
                        return Err(unknown(
                            "cluster",
                            &cluster,
                            inv.clusters.iter().map(|c| c.name.as_str()).collect(),
                        ));
                    }
                    let cells: Vec<_> = all.into_iter().filter(|x| x.cluster == cluster).collect();
                    let t = report::placed_table(&cells, "app");
                    (cells, t, "apps")
                }
                Query::Clusters { app } => {
                    if inv.app(&app).is_none() {
                        return Err(unknown(
                            "app",
                            &app,
                            inv.apps.iter().map(|a| a.name.as_str()).collect(),
                        ));
                    }
                    let cells: Vec<_> = all.into_iter().filter(|x| x.app == app).collect();
                    let t = report::placed_table(&cells, "cluster");
                    (cells, t, "clusters")
                }
            };
            let text = match format {
                TableFormat::Table => report::table_text(&table, what),
                TableFormat::Csv => report::table_csv(&table),
                TableFormat::Json => {
                    let placed = cells.iter().filter(|c| c.status == "placed").count();
                    to_json(&serde_json::json!({
                        "counts": {
                            "cells": cells.len(),
                            "placed": placed,
                            "excluded": cells.iter().filter(|c| c.status == "excluded").count(),
                        },
                        "cells": cells,
                    }))
                }
            };
            emit(&text)?;
            Ok(EXIT_OK)
        }
        Command::Log {
            repo,
            branch,
            app,
            cluster,
            since,
            oldest_first,
            format,
        } => {
            let prefix = settings_prefix(&root);
            let deploy = DeployRepo::open(&repo, branch.as_deref())?;
            let since = match since {
                Some(s) => Some(parse_since(&s)?),
                None => None,
            };
            let out = history(
                &deploy,
                &prefix,
                app.as_deref(),
                cluster.as_deref(),
                since,
                oldest_first,
                format,
            )?;
            emit(&out)?;
            Ok(EXIT_OK)
        }
    }
}

/// An unknown name, with a did-you-mean.
fn unknown(what: &str, name: &str, names: Vec<&str>) -> Error {
    Error::Usage(format!(
        "no {what} `{name}` in the inventory{}",
        crate::suggest::hint(name, &names)
            .map(|h| format!("; {h}"))
            .unwrap_or_default()
    ))
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// `compile --out DIR` (and `--check`).
fn compile_to_dir(root: &Path, out: &Path, check: bool, allow_removals: bool) -> Result<i32> {
    let mut c = compile(root)?;
    let tree = c.take_tree();
    let changes = dir_changes(out, &tree)?;
    let cs = diff::classify(changes);
    if check {
        return report_stale(&cs, &out.display().to_string());
    }
    if !allow_removals {
        if let Some(g) = guard_verdict(&c, &cs) {
            return Err(Error::Usage(format!(
                "{g}; nothing was written. If this is intended, run again with --allow-removals"
            )));
        }
    }
    let w = output::write_dir(out, &tree, root)?;
    for n in &c.rendered.notes {
        note(n);
    }
    let changes = if w.is_noop() {
        "up to date".to_string()
    } else {
        format!(
            "{} written, {} unchanged, {} removed",
            w.written
                .iter()
                .filter(|p| *p != output::MANIFEST_FILE)
                .count(),
            w.unchanged,
            w.removed.len()
        )
    };
    emit(&format!(
        "{} → {}: {changes}\n",
        summary_line(&c, "compiled"),
        out.display()
    ))?;
    Ok(EXIT_OK)
}

/// `compile --repo PATH --commit` (and `--check`).
fn compile_to_repo(
    root: &Path,
    repo: &Path,
    branch: Option<&str>,
    check: bool,
    allow_removals: bool,
) -> Result<i32> {
    // The branch as the compile starts: the commit it must still be at when
    // the compile is done.
    let prefix = settings_prefix(root);
    let deploy = DeployRepo::open(repo, branch)?;
    let snapshot = deploy.snapshot(&prefix)?;
    let mut c = compile(root)?;
    debug_assert_eq!(prefix, deploy_prefix(&c));
    let mut tree = c.take_tree();
    let changes = repo_changes(&deploy, &snapshot, &tree)?;
    let where_ = format!("branch `{}` of {}", deploy.branch, repo.display());
    let cs = diff::classify(changes.clone());
    if check {
        return report_stale(&cs, &where_);
    }
    let manifest = tree.manifest();
    let manifest_current = snapshot
        .files
        .get(output::MANIFEST_FILE)
        .map(|oid| deploy.blob(*oid))
        .transpose()?
        .is_some_and(|b| b == manifest.as_bytes());
    if changes.is_empty() && manifest_current {
        emit(&format!(
            "{}: {where_} is up to date; nothing to commit\n",
            summary_line(&c, "compiled")
        ))?;
        return Ok(EXIT_OK);
    }
    if !allow_removals {
        if let Some(g) = guard_verdict(&c, &cs) {
            return Err(Error::Usage(format!(
                "{g}; nothing was committed. If this is intended, run again with --allow-removals"
            )));
        }
    }

    // The log entry, then the commit that carries it.
    let old_log = match snapshot.files.get(deploylog::LOG_FILE) {
        Some(oid) => deploy.blob(*oid)?,
        None => Vec::new(),
    };
    let lines = deploylog::parse(&String::from_utf8_lossy(&old_log)).map_err(|e| {
        Error::Usage(format!(
            "the deployment log in {where_} cannot be read ({e}); fleetc only appends to a log it can read"
        ))
    })?;
    let entry_no = deploylog::next_entry(&lines);
    let (revision, dirty) = inventory_revision(root);
    let committer = gitrepo::signature(&deploy.repo, "COMMITTER")?;
    let counts = cs.counts();
    let entry = deploylog::Entry {
        entry: entry_no,
        time: deploylog::format_time(committer.when().seconds()),
        inventory: revision.clone(),
        dirty,
        parent: snapshot.base.map(|c| c.to_string()),
        added: counts.added,
        changed: counts.changed,
        removed: counts.removed,
        recreated: counts.recreated,
    };
    let events = log_events(&c, &cs, entry_no);
    let new_log = deploylog::append(&old_log, &entry, &events);

    let mut writes: BTreeMap<String, Option<&[u8]>> = BTreeMap::new();
    for ch in &changes {
        writes.insert(ch.path.clone(), ch.new.as_deref());
    }
    tree.files
        .insert(output::MANIFEST_FILE.to_string(), manifest.into_bytes());
    writes.insert(
        output::MANIFEST_FILE.to_string(),
        tree.files.get(output::MANIFEST_FILE).map(Vec::as_slice),
    );
    writes.insert(deploylog::LOG_FILE.to_string(), Some(&new_log));
    let message = commit_message(&cs, &revision, dirty, entry_no);
    let commit = deploy.commit(&snapshot, &prefix, &writes, &message)?;
    for n in &c.rendered.notes {
        note(n);
    }
    emit(&format!(
        "{}: committed {} to {where_}: {} (log entry {entry_no})\n",
        summary_line(&c, "compiled"),
        gitrepo::short(commit),
        cs.summary()
    ))?;
    if deploy.is_checked_out() {
        note(&format!(
            "`{}` is checked out in {}; its working tree still shows the previous commit (`git -C {} reset --hard` to update it)",
            deploy.branch,
            repo.display(),
            repo.display()
        ));
    }
    Ok(EXIT_OK)
}

/// `--check`: exit 2 naming what differs, or 0.
fn report_stale(cs: &diff::ChangeSet, where_: &str) -> Result<i32> {
    if cs.is_empty() {
        emit(&format!("{where_} is up to date\n"))?;
        return Ok(EXIT_OK);
    }
    let mut text = format!("{where_} is out of date: {}\n", cs.summary());
    for i in &cs.items {
        text.push_str(&format!("  {} {}\n", i.action, i.path));
    }
    text.push_str("run `fleetc compile` to update it\n");
    emit(&text)?;
    Ok(EXIT_CHANGES)
}

/// The folder of the rendered tree inside the deploy repo.
fn deploy_prefix(c: &Compiled) -> String {
    c.inventory
        .settings
        .deploy_repo
        .as_ref()
        .map(|d| d.path.clone())
        .unwrap_or_default()
}

/// The prefix from `fleetc.yaml` alone, for commands that need no inventory.
fn settings_prefix(root: &Path) -> String {
    let text =
        std::fs::read_to_string(root.join(crate::inventory::SETTINGS_FILE)).unwrap_or_default();
    crate::yaml::parse_yaml(&text)
        .ok()
        .and_then(|docs| docs.into_iter().next())
        .and_then(|d| {
            d.value
                .pointer("/deploy_repo/path")
                .and_then(|p| p.as_str())
                .map(str::to_string)
        })
        .map(|p| p.trim_matches('/').to_string())
        .unwrap_or_default()
}

/// Files that differ between the folder `out` and `tree` (fleetc's files
/// only: the manifest says which old ones were fleetc's).
fn dir_changes(out: &Path, tree: &Tree) -> Result<Vec<diff::FileChange>> {
    let plan = output::plan(out, tree)?;
    let mut changes = Vec::new();
    for path in plan.written.iter().filter(|p| *p != output::MANIFEST_FILE) {
        let old = std::fs::read(out.join(path)).ok();
        changes.push(diff::FileChange {
            path: path.clone(),
            old,
            new: tree.files.get(path).cloned(),
        });
    }
    for path in &plan.removed {
        changes.push(diff::FileChange {
            path: path.clone(),
            old: std::fs::read(out.join(path)).ok(),
            new: None,
        });
    }
    Ok(changes)
}

/// Files that differ between the branch and `tree`, by blob id: only the
/// changed ones are read.
fn repo_changes(
    deploy: &DeployRepo,
    snapshot: &gitrepo::Snapshot,
    tree: &Tree,
) -> Result<Vec<diff::FileChange>> {
    let previous: std::collections::BTreeSet<String> =
        match snapshot.files.get(output::MANIFEST_FILE) {
            Some(oid) => String::from_utf8_lossy(&deploy.blob(*oid)?)
                .lines()
                .filter_map(|l| l.split_once("  ").map(|(_, p)| p.to_string()))
                .collect(),
            None => Default::default(),
        };
    let mut changes = Vec::new();
    for (path, bytes) in &tree.files {
        let new_oid = git2::Oid::hash_object(git2::ObjectType::Blob, bytes)
            .map_err(|e| Error::Usage(format!("hashing {path}: {e}")))?;
        match snapshot.files.get(path) {
            Some(oid) if *oid == new_oid => {}
            Some(oid) => changes.push(diff::FileChange {
                path: path.clone(),
                old: Some(deploy.blob(*oid)?),
                new: Some(bytes.clone()),
            }),
            None => changes.push(diff::FileChange {
                path: path.clone(),
                old: None,
                new: Some(bytes.clone()),
            }),
        }
    }
    for path in previous {
        if tree.files.contains_key(&path) {
            continue;
        }
        if let Some(oid) = snapshot.files.get(&path) {
            changes.push(diff::FileChange {
                path,
                old: Some(deploy.blob(*oid)?),
                new: None,
            });
        }
    }
    Ok(changes)
}

/// `diff --base REV`: the inventory at REV, rendered, against the current one.
fn base_changes(
    root: &Path,
    rev: &str,
    current: &mut Compiled,
) -> Result<(Vec<diff::FileChange>, Vec<String>)> {
    let repo = git2::Repository::discover(root).map_err(|e| {
        Error::Usage(format!(
            "--base needs the inventory in a git repository: {}",
            e.message()
        ))
    })?;
    let workdir = repo
        .workdir()
        .ok_or_else(|| Error::Usage("--base needs a repository with a working tree".to_string()))?
        .canonicalize()
        .map_err(|e| Error::io(root, e))?;
    let abs = root.canonicalize().map_err(|e| Error::io(root, e))?;
    let rel = abs
        .strip_prefix(&workdir)
        .unwrap_or(Path::new(""))
        .to_path_buf();
    let commit = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| Error::Usage(format!("cannot find revision `{rev}`: {}", e.message())))?;
    let tree = commit
        .tree()
        .map_err(|e| Error::Usage(e.message().to_string()))?;
    let sub = if rel.as_os_str().is_empty() {
        Some(tree)
    } else {
        tree.get_path(&rel)
            .ok()
            .and_then(|e| repo.find_tree(e.id()).ok())
    };
    let tmp = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let mut notes = Vec::new();
    let base_tree = match sub {
        Some(sub) => {
            let mut failed = None;
            sub.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
                if entry.kind() == Some(git2::ObjectType::Blob) {
                    let path = tmp.path().join(dir).join(entry.name().unwrap_or("_"));
                    let blob = repo.find_blob(entry.id());
                    let res = path
                        .parent()
                        .map(std::fs::create_dir_all)
                        .unwrap_or(Ok(()))
                        .and_then(|()| match &blob {
                            Ok(b) => std::fs::write(&path, b.content()),
                            Err(_) => Ok(()),
                        });
                    if let Err(e) = res {
                        failed = Some(Error::io(path, e));
                        return git2::TreeWalkResult::Abort;
                    }
                }
                git2::TreeWalkResult::Ok
            })
            .ok();
            if let Some(e) = failed {
                return Err(e);
            }
            match compile(tmp.path()) {
                Ok(mut b) => b.take_tree(),
                Err(Error::Invalid(d)) => {
                    notes.push(format!(
                        "the inventory at `{rev}` does not compile ({} problems); everything is shown as added",
                        d.len()
                    ));
                    Tree::default()
                }
                Err(e) => return Err(e),
            }
        }
        None => {
            notes.push(format!(
                "the inventory did not exist at `{rev}`; everything is shown as added"
            ));
            Tree::default()
        }
    };
    let new_tree = current.take_tree();
    let mut changes = Vec::new();
    for (path, bytes) in &new_tree.files {
        match base_tree.files.get(path) {
            Some(old) if old == bytes => {}
            old => changes.push(diff::FileChange {
                path: path.clone(),
                old: old.cloned(),
                new: Some(bytes.clone()),
            }),
        }
    }
    for (path, bytes) in &base_tree.files {
        if !new_tree.files.contains_key(path) {
            changes.push(diff::FileChange {
                path: path.clone(),
                old: Some(bytes.clone()),
                new: None,
            });
        }
    }
    current.rendered.files = new_tree
        .files
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
        .collect();
    Ok((changes, notes))
}

/// The removal guard (DESIGN §8): `Some(why)` when a compile with these
/// changes must be refused.
fn guard_verdict(c: &Compiled, cs: &diff::ChangeSet) -> Option<String> {
    let counts = cs.counts();
    let now = c.rendered.apps.len();
    let before = (now + counts.removed).saturating_sub(counts.added);
    let g = &c.inventory.settings.guard;
    // A recreation deletes the live Application (and, with the resources
    // finalizer, what it runs) before creating it again: it counts.
    let removed: Vec<String> = cs
        .applications()
        .filter(|i| matches!(i.action, diff::Action::Removed | diff::Action::Recreated))
        .map(|i| {
            format!(
                "{}/{}{}",
                i.cluster.as_deref().unwrap_or("?"),
                i.app.as_deref().unwrap_or("?"),
                if i.action == diff::Action::Recreated {
                    " (recreated)"
                } else {
                    ""
                }
            )
        })
        .collect();
    let list = |removed: &[String]| {
        let mut s = removed
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if removed.len() > 10 {
            s.push_str(&format!(", and {} more", removed.len() - 10));
        }
        s
    };
    if now == 0 && before > 0 {
        return Some(format!(
            "this compile would remove all {before} Applications (the result is empty): {}",
            list(&removed)
        ));
    }
    let gone = counts.removed + counts.recreated;
    let share = if before == 0 {
        0.0
    } else {
        gone as f64 / before as f64
    };
    if gone >= g.min_count && share > g.max_share {
        let recreated = if counts.recreated > 0 {
            format!(
                " ({} of them recreated under a new name: deleted, then created again)",
                counts.recreated
            )
        } else {
            String::new()
        };
        return Some(format!(
            "this compile would remove {gone} of {before} Applications{recreated} ({:.0}%), over the removal guard ({:.0}% and at least {}): {}",
            share * 100.0,
            g.max_share * 100.0,
            g.min_count,
            list(&removed)
        ));
    }
    None
}

/// The inventory's git commit and whether its folder has uncommitted changes.
fn inventory_revision(root: &Path) -> (String, bool) {
    let Ok(repo) = git2::Repository::discover(root) else {
        return ("unknown".to_string(), false);
    };
    let head = repo
        .head()
        .ok()
        .and_then(|h| h.target())
        .map(|o| o.to_string())
        .unwrap_or_else(|| "unborn".to_string());
    let rel = match (
        repo.workdir().and_then(|w| w.canonicalize().ok()),
        root.canonicalize().ok(),
    ) {
        (Some(w), Some(r)) => r
            .strip_prefix(&w)
            .map(Path::to_path_buf)
            .unwrap_or_default(),
        _ => PathBuf::new(),
    };
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    if !rel.as_os_str().is_empty() {
        opts.pathspec(rel.to_string_lossy().replace('\\', "/"));
    }
    let dirty = repo
        .statuses(Some(&mut opts))
        .map(|s| !s.is_empty())
        .unwrap_or(false);
    (head, dirty)
}

/// One log event per changed Application.
fn log_events(c: &Compiled, cs: &diff::ChangeSet, entry: u64) -> Vec<deploylog::Event> {
    let inv = &c.inventory;
    cs.applications()
        .map(|i| {
            let cluster = i.cluster.clone().unwrap_or_default();
            let app = i.app.clone().unwrap_or_default();
            let what: Vec<String> = if i.action == diff::Action::Removed {
                vec![match (inv.cluster(&cluster), inv.app(&app)) {
                    (None, _) => "cluster removed from the inventory".to_string(),
                    (_, None) => "app removed from the inventory".to_string(),
                    (Some(ci), Some(ai)) => match c.matrix.excluded_at(ci, ai) {
                        Some(p) => format!(
                            "excluded by {}",
                            p.hits
                                .iter()
                                .map(|h| inv.policies[h.policy].name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        None => "no policy places it any more".to_string(),
                    },
                }]
            } else if let Some(r) = i.recreation() {
                vec![format!("recreated: {r}")]
            } else {
                i.what.iter().map(|w| w.to_string()).collect()
            };
            deploylog::Event {
                entry,
                action: i.action.to_string(),
                old_application: i.old_name.clone(),
                cluster,
                app,
                application: i.name.clone().unwrap_or_default(),
                path: i.path.clone(),
                policies: i.policies.clone(),
                what,
                sha256: i
                    .sha256_new
                    .clone()
                    .or_else(|| i.sha256_old.clone())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// The commit message: a one-line summary, the changes, and trailers.
fn commit_message(cs: &diff::ChangeSet, revision: &str, dirty: bool, entry: u64) -> String {
    let mut m = format!("fleetc: {}\n\n", cs.summary());
    const MAX_LINES: usize = 200;
    let mut lines = 0;
    for action in diff::Action::ALL {
        let items: Vec<&diff::Item> = cs.items.iter().filter(|i| i.action == action).collect();
        if items.is_empty() {
            continue;
        }
        m.push_str(&format!("{action}:\n"));
        for i in items {
            lines += 1;
            if lines > MAX_LINES {
                continue;
            }
            let subject = match (&i.cluster, &i.app) {
                (Some(c), Some(a)) => format!("{c}/{a}"),
                _ => format!("{} {}", i.kind, i.path),
            };
            let detail = if let Some(r) = i.recreation() {
                format!(" ({r})")
            } else if !i.what.is_empty() {
                format!(" ({})", i.what.join(", "))
            } else if action != diff::Action::Removed && !i.policies.is_empty() {
                format!(" (placed by {})", i.policies.join(", "))
            } else {
                String::new()
            };
            m.push_str(&format!("  {subject}{detail}\n"));
        }
    }
    if lines > MAX_LINES {
        m.push_str(&format!(
            "  … and {} more: see {}\n",
            lines - MAX_LINES,
            deploylog::LOG_FILE
        ));
    }
    m.push_str(&format!(
        "\nFleetc-Inventory-Revision: {revision}\nFleetc-Inventory-Dirty: {dirty}\nFleetc-Log-Entry: {entry}\n"
    ));
    m
}

/// `7d`, `12h`, `30m` ago, or a date/time.
fn parse_since(s: &str) -> Result<i64> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let rel = |unit: i64, n: &str| n.parse::<i64>().ok().map(|n| now - n * unit);
    let parsed = if let Some(n) = s.strip_suffix('d') {
        rel(86_400, n)
    } else if let Some(n) = s.strip_suffix('h') {
        rel(3_600, n)
    } else if let Some(n) = s.strip_suffix('m') {
        rel(60, n)
    } else {
        deploylog::parse_time(s)
    };
    parsed.ok_or_else(|| {
        Error::Usage(format!(
            "--since `{s}`: write a date (2026-11-21), a time (2026-11-21T17:00:00Z) or an age (7d, 12h, 30m)"
        ))
    })
}

/// `fleetc log`: the log's events, filtered, with the commit of each entry.
fn history(
    deploy: &DeployRepo,
    prefix: &str,
    app: Option<&str>,
    cluster: Option<&str>,
    since: Option<i64>,
    oldest_first: bool,
    format: LogFormat,
) -> Result<String> {
    let snapshot = deploy.snapshot(prefix)?;
    let Some(oid) = snapshot
        .files
        .get(deploylog::LOG_FILE)
        .filter(|_| snapshot.commit.is_some())
    else {
        return Err(Error::Usage(format!(
            "branch `{}` has no deployment log ({}{}): nothing has been committed by fleetc there",
            deploy.branch,
            if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
            deploylog::LOG_FILE
        )));
    };
    let lines =
        deploylog::parse(&String::from_utf8_lossy(&deploy.blob(*oid)?)).map_err(Error::Usage)?;
    // Entry number → the commit that added it, from the trailers.
    let mut commits: BTreeMap<u64, String> = BTreeMap::new();
    let mut walk = deploy
        .repo
        .revwalk()
        .map_err(|e| Error::Usage(e.message().to_string()))?;
    walk.simplify_first_parent()
        .and_then(|()| walk.push(snapshot.commit.unwrap_or(git2::Oid::ZERO_SHA1)))
        .map_err(|e| Error::Usage(e.message().to_string()))?;
    for oid in walk.flatten() {
        if let Ok(commit) = deploy.repo.find_commit(oid) {
            let msg = commit.message().unwrap_or("");
            if let Some(n) = msg
                .lines()
                .find_map(|l| l.strip_prefix("Fleetc-Log-Entry: "))
                .and_then(|n| n.trim().parse::<u64>().ok())
            {
                commits.entry(n).or_insert_with(|| oid.to_string());
            }
        }
    }
    let mut entries: BTreeMap<u64, (deploylog::Entry, Vec<deploylog::Event>)> = BTreeMap::new();
    for line in lines {
        match line {
            deploylog::Line::Compile(e) => {
                entries.insert(e.entry, (e, Vec::new()));
            }
            deploylog::Line::Event(ev) => {
                if let Some((_, evs)) = entries.get_mut(&ev.entry) {
                    evs.push(ev);
                }
            }
        }
    }
    let mut selected: Vec<(deploylog::Entry, Vec<deploylog::Event>)> = entries
        .into_values()
        .filter(|(e, _)| {
            since.is_none_or(|s| deploylog::parse_time(&e.time).is_some_and(|t| t >= s))
        })
        .map(|(e, evs)| {
            let evs: Vec<_> = evs
                .into_iter()
                .filter(|ev| {
                    app.is_none_or(|a| ev.app == a) && cluster.is_none_or(|c| ev.cluster == c)
                })
                .collect();
            (e, evs)
        })
        .filter(|(_, evs)| !evs.is_empty() || (app.is_none() && cluster.is_none()))
        .collect();
    if !oldest_first {
        selected.reverse();
    }
    let mut out = String::new();
    match format {
        LogFormat::Json => {
            let v: Vec<serde_json::Value> = selected
                .iter()
                .map(|(e, evs)| {
                    serde_json::json!({
                        "entry": e,
                        "commit": commits.get(&e.entry),
                        "events": evs,
                    })
                })
                .collect();
            out = serde_json::to_string_pretty(&v).unwrap_or_default();
            out.push('\n');
        }
        LogFormat::Text => {
            for (e, evs) in &selected {
                let commit = commits.get(&e.entry).map(|c| &c[..7]).unwrap_or("?");
                out.push_str(&format!(
                    "{}  entry {}  commit {commit}  inventory {}{}  +{} ~{} -{}{}\n",
                    e.time,
                    e.entry,
                    &e.inventory[..e.inventory.len().min(12)],
                    if e.dirty { " (dirty)" } else { "" },
                    e.added,
                    e.changed,
                    e.removed,
                    if e.recreated > 0 {
                        format!(" !{}", e.recreated)
                    } else {
                        String::new()
                    }
                ));
                for ev in evs {
                    let why = match ev.action.as_str() {
                        "added" => format!("placed by {}", ev.policies.join(", ")),
                        "removed" => ev.what.join(", "),
                        _ => ev.what.join(", "),
                    };
                    out.push_str(&format!(
                        "    {:<9} {}/{}  {}  sha256:{}\n",
                        ev.action,
                        ev.cluster,
                        ev.app,
                        why,
                        &ev.sha256[..ev.sha256.len().min(12)]
                    ));
                }
            }
            if selected.is_empty() {
                out.push_str("no matching deployments\n");
            }
        }
    }
    Ok(out)
}

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

/// Prints an error to stderr as the user should read it.
pub fn print_error(e: &Error) {
    let stderr = std::io::stderr();
    let mut w = stderr.lock();
    match e {
        Error::ClosedPipe => {}
        Error::Invalid(diags) => {
            let mut diags: Vec<Diagnostic> = diags.clone();
            sort_diagnostics(&mut diags);
            for d in &diags {
                let _ = writeln!(w, "{d}");
            }
            let n = diags.len();
            let _ = writeln!(
                w,
                "error: {n} problem{} found; nothing was written",
                if n == 1 { "" } else { "s" }
            );
        }
        other => {
            let _ = write!(w, "error: {other}");
            let mut src = std::error::Error::source(other);
            while let Some(s) = src {
                let _ = write!(w, ": {s}");
                src = s.source();
            }
            let _ = writeln!(w);
        }
    }
    let _ = EXIT_USER;
}
