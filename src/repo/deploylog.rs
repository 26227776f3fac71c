//! The deployment log: an append-only, chronological record in the deploy
//! branch of every compile that changed something.
//!
//! The log is JSON Lines, one file per entry (`deployments/00000001.jsonl`,
//! ...) at the top of the rendered tree, so people can read and grep it,
//! programs can parse it a line at a time, and a commit adds one small file
//! whatever the log's length (a single file rewritten by every commit made
//! the deploy repo grow with its history). Each entry holds one `compile`
//! line (time, inventory revision and whether its worktree was dirty, the
//! deploy commit it was built on, counts) and then one `event` line per
//! Application added, changed or removed. A commit cannot name itself, so
//! the entry's own deploy commit is found through the `Fleetc-Log-Entry: N`
//! trailer of its commit message.
//!
//! Before, the log was one file, `deployments.jsonl`. It is still read, and
//! the next commit splits it into entry files (the same lines) and removes
//! it, and its entry says so in a `note`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::base::time::{format_time, parse_time};
use crate::pipeline::Compiled;
use crate::repo::diff::{Action, ChangeSet, Item, Promotion};

/// The log's folder (and the old single file), at the top of the rendered
/// tree in the deploy branch.
pub(crate) use crate::rules::names::{LOG_DIR, LOG_FILE};

/// The file of entry `n`: zero-padded, so that names sort as numbers.
pub(crate) fn entry_path(n: u64) -> String {
    format!("{LOG_DIR}/{n:08}.jsonl")
}

/// The entry number an entry file's name carries.
pub(crate) fn entry_of(path: &str) -> Option<u64> {
    let name = path.strip_prefix(LOG_DIR)?.strip_prefix('/')?;
    let digits = name.strip_suffix(".jsonl")?;
    (digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// One line of the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub(crate) enum Line {
    Compile(Entry),
    Event(Event),
    /// A rollout step: one ring of a rollout moved to another revision.
    Promotion(PromotionEvent),
}

/// A rollout step in an entry: its own line, after the entry's head.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PromotionEvent {
    pub entry: u64,
    #[serde(flatten)]
    pub promotion: Promotion,
}

/// The head of an entry: one per changing compile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub entry: u64,
    /// UTC, RFC 3339: the commit's committer time.
    pub time: String,
    /// The inventory's git commit (`unknown` outside git).
    pub inventory: String,
    /// Whether the inventory had uncommitted changes.
    pub dirty: bool,
    /// The deploy commit this entry's commit was built on (none for the first).
    pub parent: Option<String>,
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub recreated: usize,
    /// What else this entry's commit did to the log (splitting the old
    /// single file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// What happened to one Application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Event {
    pub entry: u64,
    pub action: Action,
    /// For `recreated`: the Application's name before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_application: Option<String>,
    pub cluster: String,
    pub app: String,
    /// The Application's name and file.
    pub application: String,
    pub path: String,
    /// The policies that place it (for `removed`: that placed it).
    pub policies: Vec<String>,
    /// For `changed`: what changed (values, revision, source, destination,
    /// sync, metadata); for `removed`: why it left.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub what: Vec<String>,
    /// The Application's revision before (for `changed`, `recreated` and
    /// `removed`) and after (for all but `removed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_old: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_new: Option<String>,
    /// sha256 of the rendered file (for `removed`: of the last one).
    pub sha256: String,
    /// sha256 of the file before, for `changed` and `recreated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256_old: Option<String>,
    /// Set by `log` (never written): the entry whose content this event
    /// returns the Application to, when it is not the one just before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_to: Option<u64>,
}

/// Parses a log (its files in order: the old single file, then the entry
/// files), and checks it is one fleetc wrote: entries numbered 1, 2, 3, ...
/// in order, each `compile` line followed by its own events, an entry
/// file holding the entry its name says. A line that breaks that is an
/// error naming its file and line, so a damaged log is refused rather than
/// extended.
pub(crate) fn parse(files: &[(String, String)]) -> Result<Vec<Line>, String> {
    parse_from(files, 0)
}

/// One line. fleetc writes the `kind` first, so the line is read straight
/// into its struct (the struct ignores `kind`); serde's tagged enum would
/// buffer every line first, which was most of `log`'s time on a long log.
fn parse_line(l: &str) -> serde_json::Result<Line> {
    if l.starts_with(r#"{"kind":"event","#) {
        serde_json::from_str(l).map(Line::Event)
    } else if l.starts_with(r#"{"kind":"compile","#) {
        serde_json::from_str(l).map(Line::Compile)
    } else {
        serde_json::from_str(l)
    }
}

/// [`parse`] of files whose first entry is `after + 1`.
fn parse_from(files: &[(String, String)], after: u64) -> Result<Vec<Line>, String> {
    use rayon::prelude::*;
    let mut lines = Vec::new();
    let mut current = after;
    for (file, text) in files {
        let own = entry_of(file);
        // Each line is read on its own, in parallel; their order is
        // checked after, in order.
        let all: Vec<&str> = text.lines().collect();
        let parsed: Vec<(usize, serde_json::Result<Line>)> = all
            .into_par_iter()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| (i, parse_line(l)))
            .collect();
        for (i, line) in parsed {
            let at = || format!("{file}:{}", i + 1);
            let line = line.map_err(|e| format!("{}: {e}", at()))?;
            match &line {
                Line::Compile(e) if e.entry != current + 1 => {
                    return Err(format!(
                        "{}: entry {} where entry {} comes next (a repeated, missing or reordered entry)",
                        at(),
                        e.entry,
                        current + 1
                    ))
                }
                Line::Compile(e) if own.is_some_and(|n| n != e.entry) => {
                    return Err(format!("{}: entry {} in the file of entry {}", at(), e.entry, own.unwrap_or(0)))
                }
                Line::Compile(e) => current = e.entry,
                Line::Event(Event { entry, .. })
                | Line::Promotion(PromotionEvent { entry, .. })
                    if *entry != current || current == after =>
                {
                    return Err(format!(
                        "{}: an event of entry {entry} after the head of entry {current}",
                        at(),
                    ))
                }
                Line::Event(_) | Line::Promotion(_) => {}
            }
            lines.push(line);
        }
    }
    Ok(lines)
}

/// The apps and the clusters the log's events name.
pub(crate) fn names(lines: &[Line]) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut apps, mut clusters) = (BTreeSet::new(), BTreeSet::new());
    for line in lines {
        if let Line::Event(ev) = line {
            if !apps.contains(&ev.app) {
                apps.insert(ev.app.clone());
            }
            if !clusters.contains(&ev.cluster) {
                clusters.insert(ev.cluster.clone());
            }
        }
    }
    (apps, clusters)
}

/// When each Application (cluster, app) last changed: the entry and its
/// time, from the whole log.
pub(crate) fn last_changes(lines: &[Line]) -> BTreeMap<(String, String), (u64, String)> {
    let mut times: BTreeMap<u64, &str> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for line in lines {
        match line {
            Line::Compile(e) => {
                times.insert(e.entry, &e.time);
            }
            Line::Event(ev) => {
                let time = times.get(&ev.entry).copied().unwrap_or_default();
                out.insert(
                    (ev.cluster.clone(), ev.app.clone()),
                    (ev.entry, time.to_string()),
                );
            }
            Line::Promotion(_) => {}
        }
    }
    out
}

/// The number the next entry gets.
pub(crate) fn next_entry(lines: &[Line]) -> u64 {
    lines.iter().map(Line::entry).max().map_or(1, |n| n + 1)
}

impl Line {
    /// The entry this line belongs to.
    fn entry(&self) -> u64 {
        match self {
            Line::Compile(e) => e.entry,
            Line::Event(e) => e.entry,
            Line::Promotion(p) => p.entry,
        }
    }
}

/// An entry as the text of its file: the head, the rollout steps, the
/// events.
fn entry_text(entry: &Entry, promotions: &[Promotion], events: &[Event]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut push = |line: &Line| {
        out.extend_from_slice(serde_json::to_string(line).unwrap_or_default().as_bytes());
        out.push(b'\n');
    };
    push(&Line::Compile(entry.clone()));
    for p in promotions {
        push(&Line::Promotion(PromotionEvent {
            entry: entry.entry,
            promotion: p.clone(),
        }));
    }
    for e in events {
        push(&Line::Event(e.clone()));
    }
    out
}

/// The log's files on a branch: the old single file, if any, then the
/// entry files, in order (`paths` lists the paths in [`LOG_DIR`]).
pub(crate) fn files_in_order(has_legacy: bool, paths: Vec<String>) -> Vec<String> {
    let mut files: Vec<String> = has_legacy
        .then(|| LOG_FILE.to_string())
        .into_iter()
        .collect();
    // Entry files sort by name as by number; anything else in the folder
    // is kept in order too, and parse() refuses it.
    files.extend(paths);
    files
}

/// The deployment log on a branch, as much as a commit needs to read.
#[derive(Debug, Default)]
pub(crate) struct Stored {
    /// The old single file, when the branch still has one.
    pub legacy: Option<Vec<u8>>,
    /// The entry files' paths, in order.
    pub entries: Vec<String>,
    /// The last entry file's text (the only one a commit reads).
    pub last: Option<Vec<u8>>,
    /// Every entry file (path, text), read only when the compile rolls a
    /// rollout back: the entry that last deployed the revision it returns
    /// to is named.
    pub history: Vec<(String, String)>,
}

/// What one changing compile adds: the log files to write (the new entry's;
/// when the old single file is split, every old entry's, and the old file
/// as `None`, to remove), the entry's number, and the message of the
/// commit that carries it.
#[derive(Debug)]
pub(crate) struct Record {
    pub entry: u64,
    pub files: Vec<(String, Option<Vec<u8>>)>,
    pub message: String,
}

/// Where a compile comes from, for its log entry and commit.
#[derive(Debug)]
pub(crate) struct Origin {
    /// The inventory's commit (`unknown` outside git) and whether its
    /// worktree had uncommitted changes.
    pub revision: String,
    pub dirty: bool,
    /// The commit's time, Unix seconds.
    pub time: i64,
    /// The deploy commit the new one is built on.
    pub parent: Option<String>,
}

/// The compile's entry, as the log on the branch (`stored`) continues. Only
/// the last entry file is read (its number must follow the files before
/// it), so a commit costs the same however long the history; an old
/// single-file log is read whole, once, and split.
pub(crate) fn record(
    stored: &Stored,
    c: &Compiled,
    cs: &ChangeSet,
    origin: &Origin,
) -> Result<Record, String> {
    let mut files: Vec<(String, Option<Vec<u8>>)> = Vec::new();
    let mut note = None;
    let mut last = 0;
    if let Some(legacy) = &stored.legacy {
        let text = String::from_utf8_lossy(legacy).into_owned();
        let lines = parse(&[(LOG_FILE.to_string(), text.clone())])?;
        last = next_entry(&lines) - 1;
        // Each old entry becomes its file: its lines as they were written
        // (parse() kept one Line per non-blank line, in order).
        let mut split: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
        let raw = text.lines().filter(|l| !l.trim().is_empty());
        for (line, raw) in lines.iter().zip(raw) {
            let file = split.entry(line.entry()).or_default();
            file.extend_from_slice(raw.as_bytes());
            file.push(b'\n');
        }
        files.extend(
            split
                .into_iter()
                .map(|(n, text)| (entry_path(n), Some(text))),
        );
        files.push((LOG_FILE.to_string(), None));
        note = Some(format!(
            "entries 1 to {last} moved from {LOG_FILE} into {LOG_DIR}/, one file each"
        ));
    }
    for (i, path) in stored.entries.iter().enumerate() {
        // Numbered on from the old file's last entry, with no gap.
        let want = last + 1;
        match entry_of(path) {
            Some(n) if n == want => last = n,
            _ => {
                return Err(format!(
                    "`{path}` where `{}` comes next (an entry file missing, renamed or added by hand{})",
                    entry_path(want),
                    if i == 0 { "" } else { " after others" }
                ))
            }
        }
    }
    if let (Some(text), Some(path)) = (&stored.last, stored.entries.last()) {
        // The last entry is whole and is the one its name says.
        let text = String::from_utf8_lossy(text).into_owned();
        if parse_from(&[(path.clone(), text)], last - 1)?.is_empty() {
            return Err(format!("{path}: empty, where entry {last} should be"));
        }
    }
    let entry_no = last + 1;
    let counts = cs.counts();
    let entry = Entry {
        entry: entry_no,
        time: format_time(origin.time),
        inventory: origin.revision.clone(),
        dirty: origin.dirty,
        parent: origin.parent.clone(),
        added: counts.added,
        changed: counts.changed,
        removed: counts.removed,
        recreated: counts.recreated,
        note,
    };
    let events = events(c, cs, entry_no);
    let mut promotions = cs.promotions();
    if promotions.iter().any(|p| p.step == "rolled back") {
        let earlier = parse(&stored.history)?;
        for p in promotions.iter_mut().filter(|p| p.step == "rolled back") {
            p.rollback_to = last_deployed(&earlier, &p.applications, &p.to);
        }
    }
    files.push((
        entry_path(entry_no),
        Some(entry_text(&entry, &promotions, &events)),
    ));
    Ok(Record {
        entry: entry_no,
        files,
        message: commit_message(cs, &promotions, &origin.revision, origin.dirty, entry_no),
    })
}

/// The last entry of `lines` that deployed `revision` to an app of
/// `applications` (`cluster/app`), on any cluster: the rings a rollback
/// returns ran it since then, or the rings that waited were given it then.
fn last_deployed(lines: &[Line], applications: &[String], revision: &str) -> Option<u64> {
    let apps: std::collections::BTreeSet<&str> = applications
        .iter()
        .filter_map(|a| a.split_once('/').map(|(_, app)| app))
        .collect();
    lines.iter().rev().find_map(|l| match l {
        Line::Event(ev)
            if ev.action != Action::Removed
                && ev.revision_new.as_deref() == Some(revision)
                && apps.contains(ev.app.as_str()) =>
        {
            Some(ev.entry)
        }
        _ => None,
    })
}

/// Why an Application left the tree: its cluster or app left the
/// inventory, an exclusion took it out, or no policy places it any more.
pub(crate) fn removal_reason(c: &Compiled, cluster: &str, app: &str) -> String {
    let inv = &c.inventory;
    match (inv.cluster(cluster), inv.app(app)) {
        (None, _) => "cluster removed from the inventory: its root Application goes too, so Argo CD deletes nothing and the app keeps running there, unmanaged".to_string(),
        (_, None) => "app removed from the inventory".to_string(),
        (Some(ci), Some(ai)) if c.matrix.held_at(ci, ai).is_some() => {
            crate::place::matrix::held_reason(inv, ci)
        }
        (Some(ci), Some(ai)) => match c.matrix.excluded_at(ci, ai) {
            Some(p) => format!("excluded by {}", p.policy_names(inv).join(", ")),
            None => "no policy places it any more".to_string(),
        },
    }
}

/// Sets why each removed Application left, and why a rollout step passed
/// its gate (the rollouts' `forced`), for `diff` and the commit.
pub(crate) fn explain(c: &Compiled, cs: &mut ChangeSet) {
    let inv = &c.inventory;
    let named = inv
        .policies
        .iter()
        .filter_map(|p| Some((format!("policy/{}", p.name), p.rollout.as_ref()?)))
        .chain(
            inv.apps
                .iter()
                .filter_map(|a| Some((format!("app/{}", a.name), a.rollout.as_ref()?))),
        );
    for (name, rollout) in named {
        for (ring, reason) in &rollout.forced {
            cs.forced
                .insert((name.clone(), ring.clone()), reason.clone());
        }
    }
    // A rollout's revision changing under the rings it has reached is a
    // rollback when it became what its waiting rings run (`fleetc
    // rollback`); looked for only when such a change is there.
    let revised = cs.applications().any(|i| {
        i.rollout
            .as_ref()
            .is_some_and(|m| m.was.as_deref() == Some("promoted") && m.state == "promoted")
    });
    if revised {
        use crate::place::delivery::{beneath, by_rollout, rollout_of, Owner};
        for (id, pairs) in by_rollout(inv, &c.matrix) {
            let Some((pair, _, _)) = pairs.first() else {
                continue;
            };
            let Some(rollout) = rollout_of(inv, pair, id.owner) else {
                continue;
            };
            if pairs
                .iter()
                .all(|(p, _, _)| beneath(inv, p, id.owner) == rollout.revision)
            {
                cs.rolled_back.insert(match id.owner {
                    Owner::App => format!("app/{}", inv.apps[pair.app].name),
                    Owner::Policy(p) => format!("policy/{}", inv.policies[p].name),
                });
            }
        }
    }
    for i in cs.items.iter_mut().filter(|i| i.action == Action::Removed) {
        if let (Some(cluster), Some(app)) = (&i.cluster, &i.app) {
            i.drained = inv.cluster(cluster).is_some_and(|ci| {
                inv.clusters[ci].lifecycle == crate::check::Lifecycle::Draining
                    && inv
                        .app(app)
                        .is_some_and(|ai| c.matrix.held_at(ci, ai).is_some())
            });
            i.why = Some(removal_reason(c, cluster, app));
        }
    }
}

/// One event per changed Application; a removed one says why it left.
fn events(c: &Compiled, cs: &ChangeSet, entry: u64) -> Vec<Event> {
    cs.applications()
        .map(|i| {
            let cluster = i.cluster.clone().unwrap_or_default();
            let app = i.app.clone().unwrap_or_default();
            let what: Vec<String> = if i.action == Action::Removed {
                vec![removal_reason(c, &cluster, &app)]
            } else if let Some(r) = i.recreation() {
                vec![format!("recreated: {r}")]
            } else {
                i.what.iter().map(|w| w.to_string()).collect()
            };
            Event {
                entry,
                action: i.action,
                old_application: i.old_name.clone(),
                cluster,
                app,
                application: i.name.clone().unwrap_or_default(),
                path: i.path.clone(),
                policies: i.policies.clone(),
                what,
                revision_old: i.revision_old.clone(),
                revision_new: i.revision_new.clone(),
                sha256: i
                    .sha256_new
                    .clone()
                    .or_else(|| i.sha256_old.clone())
                    .unwrap_or_default(),
                sha256_old: i.sha256_new.as_ref().and(i.sha256_old.clone()),
                rollback_to: None,
            }
        })
        .collect()
}

/// The commit message: a one-line summary, the changes, and trailers.
fn commit_message(
    cs: &ChangeSet,
    promotions: &[Promotion],
    revision: &str,
    dirty: bool,
    entry: u64,
) -> String {
    let mut m = format!("fleetc: {}\n\n", cs.summary());
    if !promotions.is_empty() {
        m.push_str("rollouts:\n");
        for p in promotions {
            let _ = writeln!(m, "  {}", p.line().replace('`', ""));
        }
    }
    const MAX_LINES: usize = 200;
    let mut lines = 0;
    for action in Action::ALL {
        let items: Vec<&Item> = cs.items.iter().filter(|i| i.action == action).collect();
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(m, "{action}:");
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
                format!(" ({})", i.what_text())
            } else if action != Action::Removed && !i.policies.is_empty() {
                format!(" (placed by {})", i.policies.join(", "))
            } else {
                String::new()
            };
            let _ = writeln!(m, "  {subject}{detail}");
        }
    }
    if lines > MAX_LINES {
        let _ = writeln!(
            m,
            "  … and {} more: see {}",
            lines - MAX_LINES,
            entry_path(entry)
        );
    }
    let _ = write!(
        m,
        "\nFleetc-Inventory-Revision: {revision}\nFleetc-Inventory-Dirty: {dirty}\n{ENTRY_TRAILER}{entry}\n"
    );
    m
}

/// The commit-message trailer that links a commit to its log entry; `fleetc
/// log` finds commits by it.
pub(crate) const ENTRY_TRAILER: &str = "Fleetc-Log-Entry: ";

/// Which part of the history `fleetc log` shows.
#[derive(Debug, Default)]
pub(crate) struct Filter<'a> {
    pub app: Option<&'a str>,
    pub cluster: Option<&'a str>,
    /// Entries at or after this time (Unix seconds).
    pub since: Option<i64>,
    pub oldest_first: bool,
}

/// One entry as `log` shows it: its head, rollout steps and events.
#[derive(Debug)]
pub(crate) struct Selected {
    pub entry: Entry,
    pub promotions: Vec<Promotion>,
    pub events: Vec<Event>,
}

/// The entries (with their events) that `filter` selects, newest first
/// unless asked otherwise. An entry with no selected event is left out when
/// filtering by app or cluster; a rollout step is kept when one of its
/// Applications is selected.
pub(crate) fn select(mut lines: Vec<Line>, filter: &Filter) -> Vec<Selected> {
    let wanted = |cluster: &str, app: &str| {
        filter.app.is_none_or(|a| app == a) && filter.cluster.is_none_or(|c| cluster == c)
    };
    // An app or cluster filter keeps every event of the Applications it
    // selects, so rollbacks are found among those alone (a history of a
    // hundred thousand Applications is not walked for one).
    lines.retain(|l| match l {
        Line::Event(ev) => wanted(&ev.cluster, &ev.app),
        _ => true,
    });
    mark_rollbacks(&mut lines);
    let mut entries: BTreeMap<u64, Selected> = BTreeMap::new();
    for line in lines {
        match line {
            Line::Compile(e) => {
                entries.insert(
                    e.entry,
                    Selected {
                        entry: e,
                        promotions: Vec::new(),
                        events: Vec::new(),
                    },
                );
            }
            Line::Event(ev) => {
                if let Some(s) = entries.get_mut(&ev.entry) {
                    s.events.push(ev);
                }
            }
            Line::Promotion(p) => {
                if let Some(s) = entries.get_mut(&p.entry) {
                    s.promotions.push(p.promotion);
                }
            }
        }
    }
    let by_subject = filter.app.is_some() || filter.cluster.is_some();
    let mut selected: Vec<Selected> = entries
        .into_values()
        .filter(|s| {
            filter
                .since
                .is_none_or(|t| parse_time(&s.entry.time).is_some_and(|e| e >= t))
        })
        .map(|mut s| {
            s.events.retain(|ev| wanted(&ev.cluster, &ev.app));
            s.promotions.retain(|p| {
                p.applications.iter().any(|a| {
                    let (cluster, app) = a.split_once('/').unwrap_or((a, ""));
                    wanted(cluster, app)
                })
            });
            s
        })
        .filter(|s| !s.events.is_empty() || !by_subject)
        .collect();
    if !filter.oldest_first {
        selected.reverse();
    }
    selected
}

/// The history as text: an entry a line, its rollout steps and events
/// indented below. `commits`: entry number → the commit that carries it.
pub(crate) fn history_text(selected: &[Selected], commits: &BTreeMap<u64, String>) -> String {
    let mut out = String::new();
    for Selected {
        entry: e,
        promotions,
        events: evs,
    } in selected
    {
        let commit = commits.get(&e.entry).map(|c| &c[..7]).unwrap_or("?");
        let _ = writeln!(
            out,
            "{}  entry {}  commit {commit}  inventory {}{}  +{} ~{} -{}{}",
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
        );
        for p in promotions {
            let _ = writeln!(out, "    {:<9} {}", "rollout", p.line().replace('`', ""));
        }
        for ev in evs {
            let _ = writeln!(out, "    {}", event_line(ev));
        }
    }
    if selected.is_empty() {
        out.push_str("no matching deployments\n");
    }
    out
}

/// One event as `log` prints it: `changed   pos-api on bne01: v2.14.0 →
/// v2.15.0  values, revision  sha256:…`, with `rollback to entry N` when
/// its content is an earlier one's.
fn event_line(ev: &Event) -> String {
    let revision = match (&ev.revision_old, &ev.revision_new) {
        (Some(old), Some(new)) if old != new => format!(": {old} → {new}"),
        (_, Some(rev)) | (Some(rev), None) => format!(": {rev}"),
        (None, None) => String::new(),
    };
    let mut why = match ev.action {
        Action::Added => format!("placed by {}", ev.policies.join(", ")),
        _ => ev.what.join(", "),
    };
    if let Some(n) = ev.rollback_to {
        why = format!("rollback to entry {n}: {why}");
    }
    format!(
        "{:<9} {} on {}{revision}  {why}  sha256:{}",
        ev.action.word(),
        ev.app,
        ev.cluster,
        &ev.sha256[..ev.sha256.len().min(12)]
    )
}

/// Marks each event that returns an Application to the content of an
/// earlier entry (not the one it had just before): a rollback. `lines` are
/// the whole log, in order.
fn mark_rollbacks(lines: &mut [Line]) {
    use std::collections::HashMap;
    // Per Application: each content it had, with the last entry that gave
    // it, and the content it has now.
    let mut seen: HashMap<(String, String), (HashMap<String, u64>, String)> = HashMap::new();
    for line in lines.iter_mut() {
        let Line::Event(ev) = line else { continue };
        let key = (ev.cluster.clone(), ev.app.clone());
        let (history, now) = seen.entry(key).or_default();
        if ev.action == Action::Removed {
            now.clear();
            continue;
        }
        if matches!(ev.action, Action::Changed | Action::Recreated) && ev.sha256 != *now {
            ev.rollback_to = history.get(&ev.sha256).copied();
        }
        history.insert(ev.sha256.clone(), ev.entry);
        *now = ev.sha256.clone();
    }
}

/// The history for programs: each entry with its commit, rollout steps and
/// events.
pub(crate) fn history_json(selected: &[Selected], commits: &BTreeMap<u64, String>) -> String {
    let v: Vec<serde_json::Value> = selected
        .iter()
        .map(|s| {
            let mut v = serde_json::json!({
                "entry": s.entry,
                "commit": commits.get(&s.entry.entry),
                "events": s.events,
            });
            if !s.promotions.is_empty() {
                v["promotions"] = serde_json::json!(s.promotions);
            }
            v
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&v).unwrap_or_default();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_files_that_parse_back_in_order() {
        let entry = Entry {
            entry: 1,
            time: format_time(0),
            inventory: "abc".into(),
            dirty: false,
            parent: None,
            added: 1,
            changed: 0,
            removed: 0,
            recreated: 0,
            note: None,
        };
        let event = Event {
            entry: 1,
            action: Action::Added,
            old_application: None,
            cluster: "c".into(),
            app: "a".into(),
            application: "a-c".into(),
            path: "clusters/c/apps/a.yaml".into(),
            policies: vec!["p".into()],
            what: vec![],
            revision_old: None,
            revision_new: None,
            sha256: "00".into(),
            sha256_old: None,
            rollback_to: None,
        };
        let file = |n: u64, text: Vec<u8>| (entry_path(n), String::from_utf8(text).unwrap());
        let one = file(1, entry_text(&entry, &[], std::slice::from_ref(&event)));
        let two = file(
            2,
            entry_text(
                &Entry {
                    entry: 2,
                    ..entry.clone()
                },
                &[],
                &[],
            ),
        );
        assert_eq!(one.0, "deployments/00000001.jsonl");
        assert_eq!(entry_of(&one.0), Some(1));
        assert_eq!(one.1.lines().count(), 2);
        let lines = parse(&[one.clone(), two.clone()]).unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!(
            lines[..2],
            [Line::Compile(entry.clone()), Line::Event(event)]
        );
        assert_eq!(next_entry(&lines), 3);
        // Out of order, or an entry in another's file: refused, by file and line.
        let err = parse(&[two.clone(), one.clone()]).unwrap_err();
        assert!(
            err.starts_with("deployments/00000002.jsonl:1: entry 2 where entry 1"),
            "{err}"
        );
        let misnamed = (entry_path(3), one.1.clone());
        assert!(parse(&[misnamed]).is_err());
        assert!(parse(&[("x".into(), "not json\n".into())])
            .unwrap_err()
            .starts_with("x:1"));
    }
}
