//! `fleetc compile`: render into a folder, or commit to a deploy branch;
//! with `--check`, only say whether the tree there is out of date.

use std::collections::BTreeMap;
use std::path::Path;

use super::{emit, note, notes, summary_line};
use crate::base::error::{Error, Result};
use crate::cli::args::CompileArgs;
use crate::cli::progress::{self, Progress};
use crate::cli::{EXIT_CHANGES, EXIT_OK};
use crate::load::MANIFEST_FILE;
use crate::pipeline::{self, Compiled, Shard};
use crate::render::tree::Known;
use crate::render::Keep;
use crate::repo::cache;
use crate::repo::deploylog::{self, Origin};
use crate::repo::diff::{self, ChangeSet};
use crate::repo::git::{self, DeployRepo};
use crate::repo::guard;
use crate::repo::output;
use crate::repo::refusal::Refusal;

pub(super) fn run(root: &Path, args: CompileArgs) -> Result<i32> {
    let shard = shard(args.clusters.as_deref())?;
    match (&args.target.out, &args.target.repo) {
        (Some(out), _) => to_dir(root, out, shard.as_ref(), &args),
        (_, Some(repo)) => {
            if !args.check && !args.commit {
                return Err(Error::Usage(
                    "with --repo, say --commit to commit, or --check to compare".to_string(),
                ));
            }
            to_repo(root, repo, shard.as_ref(), &args)
        }
        (None, None) => Err(Error::Usage(
            "say where: --out DIR or --repo PATH".to_string(),
        )),
    }
}

/// The shard `--clusters` names, if any.
pub(super) fn shard(clusters: Option<&str>) -> Result<Option<Shard>> {
    clusters
        .map(|text| Shard::parse(text).map_err(|e| Error::Usage(format!("--clusters: {e}"))))
        .transpose()
}

/// `compile --out DIR` (and `--check`).
fn to_dir(root: &Path, out: &Path, shard: Option<&Shard>, args: &CompileArgs) -> Result<i32> {
    let (check, allow_removals) = (args.check, args.allow_removals);
    let read = pipeline::read(root, &Progress)?;
    let digest = read.digest(shard);
    // The folder holds what a compile of this very inventory wrote.
    if let Some((summary, notes)) = output::unchanged(out, digest) {
        progress::fact("the folder holds what this inventory compiled to");
        if check {
            return report_stale(&diff::classify(&[]), &out.display().to_string(), "");
        }
        for n in &notes {
            note(n);
        }
        emit(&format!("{summary} → {}: up to date\n", out.display()))?;
        return Ok(EXIT_OK);
    }
    let mut c = read.compile_shard(Keep::Texts, None, shard, &Progress)?;
    let tree = c.take_tree();
    // What changes is classified for --check, and for the removal guard
    // when fleetc's files leave the folder; a compile that removes none of
    // them is written without reading what it changes twice.
    let removing = output::read_manifest(out)?
        .iter()
        .any(|p| !tree.files.contains_key(p));
    let mut cs = diff::classify(&[]);
    if check || removing {
        let no_sums = |_: &str| None;
        let changes = output::dir_changes(out, &tree)?;
        cs = diff::classify_rendered(&changes, &diff::Rendered::of(&c, &no_sums));
        deploylog::explain(&c, &mut cs);
        progress::lap("classify");
    }
    if check {
        let fix = format!(
            "{}--out {}{}",
            fleetc_at(root),
            shell_word(out),
            shard_flag(shard)
        );
        return report_stale(&cs, &out.display().to_string(), &fix);
    }
    refuse_removals(&c, &cs, allow_removals, false)?;
    drop(cs);
    let w = output::write_dir(out, &tree, root, &Progress)?;
    let summary = summary_line(&c, "compiled");
    if let Some(d) = &digest {
        output::write_index(
            out,
            (d, &summary, &c.rendered.notes),
            tree.files.into_keys(),
        );
    }
    notes(&c);
    let changes = if w.is_noop() {
        "up to date".to_string()
    } else {
        format!(
            "{} written, {} unchanged, {} removed",
            w.written.iter().filter(|p| *p != MANIFEST_FILE).count(),
            w.unchanged,
            w.removed.len()
        )
    };
    emit(&format!("{summary} → {}: {changes}\n", out.display()))?;
    Ok(EXIT_OK)
}

/// `compile --repo PATH --commit` (and `--check`).
fn to_repo(root: &Path, repo: &Path, shard: Option<&Shard>, args: &CompileArgs) -> Result<i32> {
    // The branch as the compile starts: the commit it must still be at when
    // the compile is done.
    let settings = pipeline::load_settings(root)?;
    let prefix = settings.deploy_prefix();
    let deploy = DeployRepo::open(repo, args.branch.as_deref())?;
    let where_ = format!("branch `{}` of {}", deploy.branch, repo.display());
    let fix = format!(
        "{}--repo {}{} --commit",
        fleetc_at(root),
        shell_word(repo),
        args.branch
            .as_deref()
            .map(|b| format!(" --branch {}", shell_word(Path::new(b))))
            .unwrap_or_default()
    ) + &shard_flag(shard);
    progress::lap("start");
    let read = pipeline::read(root, &Progress)?;
    let digest = read.digest(shard);
    let snapshot = deploy.snapshot(prefix)?;
    progress::lap("branch: read");
    // The very inventory the branch was last compiled from: up to date.
    if let Some(summary) = cache::unchanged(&deploy, &snapshot, digest) {
        progress::fact("the inventory is the one the branch was last compiled from");
        if args.check {
            return report_stale(&diff::classify(&[]), &where_, &fix);
        }
        emit(&format!(
            "{summary}: {where_} is up to date; nothing to commit\n"
        ))?;
        return Ok(EXIT_OK);
    }
    let reuse = cache::load(&deploy, &snapshot);
    progress::lap("cache: load");
    let mut c = read.compile_shard(Keep::Texts, Some(&reuse), shard, &Progress)?;
    let summary = summary_line(&c, "compiled");
    let tree = c.take_tree();
    // The digests of what was rendered: for the lists of fleetc's files,
    // the comparison with the branch and the cache, taken once.
    let fresh = git::digests(&tree);
    progress::lap("hashing");
    let lists = deploy.manifest_writes(&snapshot, &tree, &fresh)?;
    let records = cache::writes(&deploy, &snapshot, &c, &fresh)?;
    progress::lap("lists of files");
    let changes = deploy.changes(&snapshot, tree, &lists, &fresh)?;
    progress::lap("changes");
    let sha256 = |path: &str| fresh.get(path).map(|k| k.sha256);
    let mut cs = diff::classify_rendered(&changes, &diff::Rendered::of(&c, &sha256));
    progress::lap("classify");
    deploylog::explain(&c, &mut cs);
    progress::lap("explain");
    if args.check {
        return report_stale(&cs, &where_, &fix);
    }
    if changes.is_empty() && lists.is_empty() {
        if records.is_empty() {
            emit(&format!(
                "{summary}: {where_} is up to date; nothing to commit\n"
            ))?;
        } else {
            let stamp = digest.map(|d| (d, summary.as_str()));
            let commit = commit_records(&deploy, (&snapshot, prefix), &records, &fresh, stamp)?;
            emit(&format!(
                "{summary}: {where_} is up to date; committed {} with fleetc's records only ({})\n",
                git::short(commit),
                crate::base::words::count(records.len() as u128, "list")
            ))?;
        }
        super::at_exit((c, snapshot, fresh));
        return Ok(EXIT_OK);
    }
    refuse_removals(&c, &cs, args.allow_removals, true)?;

    // The log entry, then the commit that carries it.
    let entries = deploy.paths_in(&snapshot, deploylog::LOG_DIR);
    let mut history = Vec::new();
    if cs.promotions().iter().any(|p| p.step == "rolled back") {
        for path in &entries {
            if let Some(text) = deploy.file(&snapshot, path)? {
                history.push((path.clone(), String::from_utf8_lossy(&text).into_owned()));
            }
        }
    }
    let stored = deploylog::Stored {
        history,
        legacy: deploy.file(&snapshot, deploylog::LOG_FILE)?,
        last: match entries.last() {
            Some(path) => deploy.file(&snapshot, path)?,
            None => None,
        },
        entries,
    };
    let (revision, dirty) = git::inventory_revision(root);
    let committer = git::signature(&deploy.repo, "COMMITTER")?;
    let origin = Origin {
        revision,
        dirty,
        time: committer.when().seconds(),
        parent: snapshot.base.map(|c| c.to_string()),
    };
    let record = deploylog::record(&stored, &c, &cs, &origin).map_err(|e| {
        Error::Usage(format!(
            "the deployment log in {where_} cannot be read ({e}); fleetc only appends to a log it can read"
        ))
    })?;
    // What the commit says of itself, and nothing more of the review: at
    // a first commit of a fleet it is a hundred megabytes, and the pack is
    // written next.
    let what = cs.summary();
    drop(cs);
    let mut writes: BTreeMap<String, Option<&[u8]>> = changes
        .iter()
        .map(|ch| (ch.path.clone(), ch.new.as_deref()))
        .collect();
    for (path, text) in lists.iter().chain(&records) {
        writes.insert(path.clone(), text.as_ref().map(|t| t.as_bytes()));
    }
    for (path, text) in &record.files {
        writes.insert(path.clone(), text.as_deref());
    }
    let stamp = digest.map(|d| stamped(&snapshot, &writes, &fresh, &d, &summary));
    if let Some(stamp) = &stamp {
        writes.insert(cache::STAMP.to_string(), Some(stamp.as_bytes()));
    }
    let commit = deploy.commit_watched(
        &snapshot,
        prefix,
        &writes,
        &record.message,
        (Some(&fresh), &Progress),
    )?;
    progress::lap("commit");
    notes(&c);
    emit(&format!(
        "{summary}: committed {} to {where_}: {} (log entry {})\n",
        git::short(commit),
        what,
        record.entry
    ))?;
    if deploy.is_checked_out() {
        note(&format!(
            "`{}` is checked out in {}; its working tree still shows the previous commit (`git -C {} reset --hard` to update it)",
            deploy.branch,
            repo.display(),
            repo.display()
        ));
    }
    super::at_exit((c, snapshot, fresh));
    Ok(EXIT_OK)
}

/// Commits fleetc's records alone, when only they differ from what the
/// branch holds (missing, damaged, or of inputs that changed and render
/// the same), without a log entry, so that every clone is warm again.
fn commit_records(
    deploy: &DeployRepo,
    (snapshot, prefix): (&git::Snapshot, &str),
    records: &BTreeMap<String, Option<String>>,
    fresh: &std::collections::HashMap<String, Known>,
    stamp: Option<(crate::render::Hash, &str)>,
) -> Result<git::Oid> {
    let mut writes: BTreeMap<String, Option<&[u8]>> = records
        .iter()
        .map(|(path, text)| (path.clone(), text.as_ref().map(|t| t.as_bytes())))
        .collect();
    let stamp = stamp.map(|(d, summary)| stamped(snapshot, &writes, fresh, &d, summary));
    if let Some(stamp) = &stamp {
        writes.insert(cache::STAMP.to_string(), Some(stamp.as_bytes()));
    }
    let parts = crate::base::words::count(records.len() as u128, "list");
    let message = format!(
        "fleetc: records of what was rendered ({parts})\n\nNo manifest changed: fleetc's records of the renders the branch holds\nwere missing, damaged or of other inputs; the next compile of any\nclone reuses them.\n"
    );
    deploy.commit_watched(
        snapshot,
        prefix,
        &writes,
        &message,
        (Some(fresh), &Progress),
    )
}

/// The stamp of a commit of `writes` on top of `snapshot`, from the
/// inventory of `digest`: the files it will hold, by blob id.
fn stamped(
    snapshot: &git::Snapshot,
    writes: &BTreeMap<String, Option<&[u8]>>,
    fresh: &std::collections::HashMap<String, Known>,
    digest: &crate::render::Hash,
    summary: &str,
) -> String {
    let mut files = snapshot.files.clone();
    for (path, bytes) in writes {
        match bytes {
            Some(b) => {
                let oid = match fresh.get(path) {
                    Some(k) => git::Oid::from_bytes(&k.blob).ok(),
                    None => None,
                };
                files.insert(path.clone(), oid.unwrap_or_else(|| git::blob_id(b)));
            }
            None => {
                files.remove(path);
            }
        }
    }
    cache::stamp(digest, summary, files.iter().map(|(p, o)| (p.as_str(), *o)))
}

/// The removal guard, unless the user allowed removals.
fn refuse_removals(c: &Compiled, cs: &ChangeSet, allowed: bool, committing: bool) -> Result<()> {
    if allowed {
        return Ok(());
    }
    let verdict = guard::refusal(cs, c);
    match verdict {
        Some(verdict) => Err(Refusal::Removals {
            verdict,
            committing,
        }
        .into()),
        None => Ok(()),
    }
}

/// `fleetc compile ` with the inventory option the user gave.
fn fleetc_at(root: &Path) -> String {
    if root == Path::new(".") {
        "fleetc compile ".to_string()
    } else {
        format!("fleetc -i {} compile ", shell_word(root))
    }
}

/// ` --clusters SELECTOR`, for a command to run again, or nothing.
fn shard_flag(shard: Option<&Shard>) -> String {
    shard
        .map(|s| format!(" --clusters {}", shell_word(Path::new(&s.text))))
        .unwrap_or_default()
}

/// A path as a shell word: as it is when that is safe, else quoted.
fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = |c: char| c.is_ascii_alphanumeric() || "_./:@%+=,-".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// `--check`: exit 2 naming what differs and the command that updates it
/// (`fix`), or 0.
fn report_stale(cs: &ChangeSet, where_: &str, fix: &str) -> Result<i32> {
    if cs.is_empty() {
        emit(&format!("{where_} is up to date\n"))?;
        return Ok(EXIT_OK);
    }
    let mut text = format!("{where_} is out of date: {}\n", cs.summary());
    for i in &cs.items {
        text.push_str(&format!("  {} {}\n", i.action, i.path));
    }
    text.push_str(&format!("run `{fix}` to update it\n"));
    emit(&text)?;
    Ok(EXIT_CHANGES)
}
