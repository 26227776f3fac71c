//! Two rendered trees → a change set: which Applications (and projects and
//! root Applications) a compile adds, changes or removes, per cluster, what
//! changed in each, and unified diffs; written as text, Markdown or JSON.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::base::yaml;
use crate::render::tree::FileChange;

/// What a compile does to one manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// The manifest is new.
    Added,
    /// The manifest differs (or an Application kept its name and moved to
    /// another file).
    Changed,
    /// An Application whose name changes: Argo CD deletes the old one and
    /// creates the new one, and with the resources finalizer the live
    /// resources go and come back with them.
    Recreated,
    /// The manifest is gone.
    Removed,
}

impl Action {
    /// Every action, in this order.
    pub const ALL: [Action; 4] = [
        Action::Added,
        Action::Changed,
        Action::Recreated,
        Action::Removed,
    ];

    /// The word the user reads.
    pub fn word(self) -> &'static str {
        match self {
            Action::Added => "added",
            Action::Changed => "changed",
            Action::Recreated => "recreated",
            Action::Removed => "removed",
        }
    }

    /// The sign of a diff line: `+`, `~`, `!`, `-`.
    pub fn sign(self) -> &'static str {
        match self {
            Action::Added => "+",
            Action::Changed => "~",
            Action::Recreated => "!",
            Action::Removed => "-",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

/// One changed manifest, classified.
#[derive(Clone, Debug, Serialize)]
pub struct Item {
    /// The file's path in the tree (of an Application that moved, its new
    /// file).
    pub path: String,
    /// What the compile does to it.
    pub action: Action,
    /// The manifest's `kind` (`Application`, `AppProject`, ...), or `file`.
    pub kind: String,
    /// Its `metadata.name` (after the change; before it, when `removed`).
    pub name: Option<String>,
    /// For `recreated`: the name it had.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_name: Option<String>,
    /// For `recreated` into another file: the file it was in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    /// For `recreated`: whether the old Application had the resources
    /// finalizer, so that deleting it deletes its live resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cascade: Option<bool>,
    /// The cluster it belongs to, from its `fleetc.io/cluster` label.
    pub cluster: Option<String>,
    /// The app it belongs to, from its `fleetc.io/app` label.
    pub app: Option<String>,
    /// The policies that place it (from its annotations; for `removed`,
    /// that placed it).
    pub policies: Vec<String>,
    /// For `removed`: why it left (set by the command, which has the
    /// inventory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// For `removed`: its cluster is draining, so the removal is asked for
    /// (the removal guard does not count it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub drained: bool,
    /// For `changed`: which parts (placement: the policies that place it;
    /// values, revision, rollout: its ring and state, source, destination,
    /// sync, metadata, other).
    pub what: Vec<&'static str>,
    /// The Application's `targetRevision` before (none when `added`) and
    /// after (none when `removed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision_old: Option<String>,
    /// The Application's `targetRevision` after (none when `removed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision_new: Option<String>,
    /// The rollout that decides its revision (from its annotations), with
    /// its state before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RolloutMark>,
    /// SHA-256 (hex) of the file before (none when `added`).
    pub sha256_old: Option<String>,
    /// SHA-256 (hex) of the file after (none when `removed`).
    pub sha256_new: Option<String>,
    /// Unified diff (empty unless made by `classify_with_diffs`).
    pub diff: String,
}

/// A rollout's marks on an Application: `fleetc.io/rollout`, `ring` and
/// `rollout-state`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RolloutMark {
    /// `policy/NAME` or `app/NAME`.
    pub name: String,
    pub ring: Option<String>,
    /// `promoted` or `waiting`.
    pub state: String,
    /// The state before, when the same rollout decided it then.
    pub was: Option<String>,
}

impl RolloutMark {
    fn read(doc: &Value) -> Option<RolloutMark> {
        let note = |k: &str| {
            doc.pointer(&format!("/metadata/annotations/fleetc.io~1{k}"))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        Some(RolloutMark {
            name: note("rollout")?,
            ring: note("ring"),
            state: note("rollout-state").unwrap_or_default(),
            was: None,
        })
    }
}

/// Applications of one ring that a rollout moves from one revision to
/// another in one compile: a promotion (or a step back, or the rollout's
/// revision changing under rings it has reached).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promotion {
    pub rollout: String,
    /// The ring; none for clusters without one (they go with the last).
    pub ring: Option<String>,
    /// `promoted`, `rolled back` (the ring waits again) or `revised` (the
    /// rollout's revision changed).
    pub step: String,
    pub from: String,
    pub to: String,
    /// `cluster/app`, sorted.
    pub applications: Vec<String>,
    /// Why the step passed the rollout's gate (`promote --force --reason`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forced: Option<String>,
    /// For a step back: the log entry that last deployed the revision it
    /// returns to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_to: Option<u64>,
}

impl Promotion {
    /// `policy/x: ring early promoted, 4.39.0 → 4.40.0 on 2 Applications (a/b, c/b)`.
    pub fn line(&self) -> String {
        let ring = match &self.ring {
            Some(r) => format!("ring `{r}`"),
            None => "clusters with no ring".to_string(),
        };
        let n = self.applications.len();
        let list = if n <= 5 {
            self.applications.join(", ")
        } else {
            format!(
                "{}, … and {} more",
                self.applications[..4].join(", "),
                n - 4
            )
        };
        let mut line = format!(
            "{}: {ring} {}, {} → {} on {n} Application{} ({list})",
            self.rollout,
            self.step,
            self.from,
            self.to,
            if n == 1 { "" } else { "s" }
        );
        if let Some(e) = self.rollback_to {
            line.push_str(&format!(", rollback to entry {e}"));
        }
        if let Some(r) = &self.forced {
            line.push_str(&format!(", past its gate: {r}"));
        }
        line
    }
}

/// Items with the same change.
#[derive(Debug)]
pub struct Group<'a> {
    pub items: Vec<&'a Item>,
}

impl Group<'_> {
    /// The first item's diff without its file header, `@@` lines without
    /// line numbers: the change, with the first item's lines around it.
    pub fn hunks(&self) -> String {
        hunks_of(&self.items[0].diff)
    }

    /// `pos-api on bne01, pos-api on per01, … and 3 more` (at most `n`).
    pub fn subjects(&self, n: usize) -> String {
        let mut names: Vec<String> = self
            .items
            .iter()
            .take(n)
            .map(|i| match (&i.app, &i.cluster) {
                (Some(a), Some(c)) => format!("{a} on {c}"),
                _ => i.path.clone(),
            })
            .collect();
        if self.items.len() > n {
            names.push(format!("… and {} more", self.items.len() - n));
        }
        names.join(", ")
    }
}

/// What a unified diff changes: its added and removed lines, hunk by
/// hunk, without the context (which differs between Applications: their
/// names, their cluster's values) or the line numbers.
fn changed_lines(diff: &str) -> String {
    let mut out = String::new();
    for l in diff.lines().skip_while(|l| !l.starts_with("@@")) {
        if l.starts_with("@@") {
            out.push_str("@@\n");
        } else if l.starts_with('+') || l.starts_with('-') {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

/// A unified diff's hunks: from the first `@@`, each `@@` line without its
/// line numbers (the same change sits at other lines in other files).
fn hunks_of(diff: &str) -> String {
    let mut out = String::with_capacity(diff.len());
    for l in diff.lines().skip_while(|l| !l.starts_with("@@")) {
        out.push_str(if l.starts_with("@@") { "@@" } else { l });
        out.push('\n');
    }
    out
}

/// A rollout step's rollout, ring, step and revisions (from, to).
type StepKey = (String, Option<String>, String, String, String);

/// Everything a compile would change.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ChangeSet {
    /// The changed manifests, by cluster, app, then path.
    pub items: Vec<Item>,
    /// Why a rollout step passed its gate: (rollout, ring) → reason, from
    /// the rollouts' `forced` (set by the commands, which have the inventory).
    #[serde(skip)]
    pub forced: BTreeMap<(String, String), String>,
    /// The rollouts (`policy/NAME`, `app/NAME`) whose revision is now what
    /// their waiting rings run: rolled back (set by the commands too).
    #[serde(skip)]
    pub rolled_back: BTreeSet<String>,
}

/// Counts of Applications.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Applications added.
    pub added: usize,
    /// Applications changed.
    pub changed: usize,
    /// Applications recreated under a new name.
    pub recreated: usize,
    /// Applications removed.
    pub removed: usize,
}

impl Counts {
    /// How many Applications change, in all.
    pub fn total(&self) -> usize {
        self.added + self.changed + self.recreated + self.removed
    }
}

impl Item {
    /// The revision before and after, when it changed.
    pub fn revision_change(&self) -> Option<(&str, &str)> {
        match (&self.revision_old, &self.revision_new) {
            (Some(old), Some(new)) if old != new => Some((old, new)),
            _ => None,
        }
    }

    /// What changed, in words, with the revisions when the revision did:
    /// `values, revision 4.39.0 → 4.40.0`.
    pub fn what_text(&self) -> String {
        self.what
            .iter()
            .map(|w| match (self.revision_change(), *w) {
                (Some((old, new)), "revision") => format!("revision {old} → {new}"),
                _ => w.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// What a recreation does to the live resources, in words.
    pub fn recreation(&self) -> Option<String> {
        if self.action != Action::Recreated {
            return None;
        }
        let (old, new) = (
            self.old_name.as_deref().unwrap_or("?"),
            self.name.as_deref().unwrap_or("?"),
        );
        Some(if self.cascade == Some(false) {
            format!("{old} → {new}: Argo CD deletes the old Application without its resources (no resources finalizer); the new one takes them over")
        } else {
            format!("{old} → {new}: Argo CD deletes the old Application and its live resources, then creates them again")
        })
    }
}

impl ChangeSet {
    /// Whether the compile changes nothing.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The items that are an app's Application (labelled `fleetc.io/app`),
    /// not a root or platform Application or another kind.
    pub fn applications(&self) -> impl Iterator<Item = &Item> {
        self.items
            .iter()
            .filter(|i| i.kind == "Application" && i.app.is_some())
    }

    /// Application counts.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for i in self.applications() {
            match i.action {
                Action::Added => c.added += 1,
                Action::Changed => c.changed += 1,
                Action::Recreated => c.recreated += 1,
                Action::Removed => c.removed += 1,
            }
        }
        c
    }

    /// Clusters with a changed Application.
    pub fn clusters(&self) -> usize {
        let set: std::collections::BTreeSet<&str> = self
            .applications()
            .filter_map(|i| i.cluster.as_deref())
            .collect();
        set.len()
    }

    /// `+3 ~1 -0 applications on 2 clusters`, with `, 4 recreated,` after
    /// `applications` when names change.
    pub fn summary(&self) -> String {
        let c = self.counts();
        let n = self.clusters();
        let recreated = if c.recreated > 0 {
            format!(", {} recreated,", c.recreated)
        } else {
            String::new()
        };
        format!(
            "+{} ~{} -{} applications{recreated} on {n} cluster{}",
            c.added,
            c.changed,
            c.removed,
            if n == 1 { "" } else { "s" }
        )
    }

    /// The rollout steps among the changes: changed Applications whose
    /// revision a rollout moved, grouped by rollout, ring, step and
    /// revisions.
    pub fn promotions(&self) -> Vec<Promotion> {
        let mut groups: BTreeMap<StepKey, Vec<String>> = BTreeMap::new();
        for i in self.applications() {
            let (Some((from, to)), Some(mark)) = (i.revision_change(), &i.rollout) else {
                continue;
            };
            let step = match (mark.was.as_deref(), mark.state.as_str()) {
                // The rollout's revision changed under a ring it had
                // reached, to what the waiting rings run: a rollback.
                (Some("promoted"), "promoted") if self.rolled_back.contains(&mark.name) => {
                    "rolled back"
                }
                (Some("promoted"), "promoted") => "revised",
                (_, "promoted") => "promoted",
                _ => "rolled back",
            };
            groups
                .entry((
                    mark.name.clone(),
                    mark.ring.clone(),
                    step.to_string(),
                    from.to_string(),
                    to.to_string(),
                ))
                .or_default()
                .push(format!(
                    "{}/{}",
                    i.cluster.as_deref().unwrap_or("?"),
                    i.app.as_deref().unwrap_or("?")
                ));
        }
        groups
            .into_iter()
            .map(|((rollout, ring, step, from, to), mut applications)| {
                applications.sort();
                let forced = (step == "promoted")
                    .then(|| {
                        let key = (rollout.clone(), ring.clone()?);
                        self.forced.get(&key).cloned()
                    })
                    .flatten();
                Promotion {
                    rollout,
                    ring,
                    step,
                    from,
                    to,
                    applications,
                    forced,
                    rollback_to: None,
                }
            })
            .collect()
    }

    /// The items' diffs, each distinct change once: items whose diffs
    /// add and remove the same lines (whatever the lines around them) are
    /// one group, in the order of their first item, shown with the first
    /// item's hunks. Items without a diff are left out.
    pub fn groups(&self) -> Vec<Group<'_>> {
        use sha2::{Digest, Sha256};
        // Keyed by a digest of the changed lines: a first compile's diff
        // is every file whole, and their text twice over is too much.
        let mut index: std::collections::HashMap<[u8; 32], usize> =
            std::collections::HashMap::new();
        let mut out: Vec<Group<'_>> = Vec::new();
        for i in self.items.iter().filter(|i| !i.diff.is_empty()) {
            let key: [u8; 32] = Sha256::digest(changed_lines(&i.diff).as_bytes()).into();
            match index.get(&key) {
                Some(&g) => out[g].items.push(i),
                None => {
                    index.insert(key, out.len());
                    out.push(Group { items: vec![i] });
                }
            }
        }
        out
    }

    /// Items grouped by cluster (`None`: not a cluster's file).
    pub fn by_cluster(&self) -> BTreeMap<Option<&str>, Vec<&Item>> {
        let mut map: BTreeMap<Option<&str>, Vec<&Item>> = BTreeMap::new();
        for i in &self.items {
            map.entry(i.cluster.as_deref()).or_default().push(i);
        }
        map
    }
}

/// Classifies changed files. `changes` must hold only files that differ.
///
/// An Application whose name changes is `recreated`, whether it stays in its
/// file or moves to another (a removed and an added Application of the same
/// cluster and app): for Argo CD it is a deletion and a creation.
///
/// Items carry no unified diff: only `diff` prints them (see
/// [`classify_with_diffs`]), and at a hundred thousand Applications they
/// were most of a commit's time.
pub(crate) fn classify(changes: &[FileChange]) -> ChangeSet {
    classify_files(changes, false)
}

/// [`classify`], with each item's unified diff.
pub(crate) fn classify_with_diffs(changes: &[FileChange]) -> ChangeSet {
    classify_files(changes, true)
}

/// What the render knows of the files it wrote (by path): the head of an
/// Application from the built-in template, and each file's SHA-256.
pub(crate) struct Rendered<'a> {
    pub heads: std::collections::HashMap<&'a str, (Head<'a>, &'a crate::render::Head)>,
    pub sha256: &'a (dyn Fn(&str) -> Option<[u8; 32]> + Sync),
}

impl<'a> Rendered<'a> {
    /// The heads of `c`'s Applications; `sha256` gives the digests taken.
    pub(crate) fn of(
        c: &'a crate::pipeline::Compiled,
        sha256: &'a (dyn Fn(&str) -> Option<[u8; 32]> + Sync),
    ) -> Rendered<'a> {
        Rendered {
            heads: c
                .rendered
                .apps
                .iter()
                .filter_map(|a| {
                    let names = Head {
                        name: &a.name,
                        cluster: &c.inventory.clusters[a.cluster].name,
                        app: &c.inventory.apps[a.app].name,
                        policies: &a.policies,
                    };
                    Some((a.path.as_str(), (names, a.head.as_deref()?)))
                })
                .collect(),
            sha256,
        }
    }
}

/// [`classify`], taking an added Application's head from the render
/// (`known`) instead of parsing its file: in a first commit of a hundred
/// thousand Applications the parsing was a quarter of the commit.
pub(crate) fn classify_rendered(changes: &[FileChange], known: &Rendered<'_>) -> ChangeSet {
    classify_all(changes, false, Some(known))
}

/// The names an Application's head carries: its own (`metadata.name`), its
/// cluster's and app's (labels), its policies' (an annotation).
#[derive(Clone, Copy)]
pub(crate) struct Head<'a> {
    name: &'a str,
    cluster: &'a str,
    app: &'a str,
    policies: &'a [String],
}

/// An added Application's item, from what the render knows of its head.
fn added(
    c: &FileChange,
    (names, head): (Head<'_>, &crate::render::Head),
    known: &Rendered<'_>,
) -> Item {
    let bytes = c.new.as_deref().unwrap_or_default();
    let sha256 = match (known.sha256)(&c.path) {
        Some(sum) => crate::render::tree::hex(&sum),
        None => crate::render::tree::sha256_hex(bytes),
    };
    Item {
        diff: String::new(),
        name: Some(names.name.to_string()),
        old_name: None,
        old_path: None,
        cascade: None,
        kind: "Application".to_string(),
        cluster: Some(names.cluster.to_string()),
        app: Some(names.app.to_string()),
        policies: names.policies.to_vec(),
        why: None,
        drained: false,
        what: Vec::new(),
        revision_old: None,
        revision_new: Some(head.revision.clone()),
        rollout: head
            .rollout
            .as_ref()
            .map(|(name, ring, state)| RolloutMark {
                name: name.clone(),
                ring: ring.clone(),
                state: state.clone(),
                was: None,
            }),
        sha256_old: None,
        sha256_new: Some(sha256),
        action: Action::Added,
        path: c.path.clone(),
    }
}

fn classify_files(changes: &[FileChange], with_diffs: bool) -> ChangeSet {
    classify_all(changes, with_diffs, None)
}

fn classify_all(
    changes: &[FileChange],
    with_diffs: bool,
    known: Option<&Rendered<'_>>,
) -> ChangeSet {
    use rayon::prelude::*;
    let mut items: Vec<Item> = changes
        .par_iter()
        .map(|c| {
            let head = known.and_then(|k| Some((k, *k.heads.get(c.path.as_str())?)));
            if let (None, Some((known, head))) = (&c.old, head) {
                return added(c, head, known);
            }
            // An added or removed file needs only its head (kind, name,
            // labels, annotations, finalizers); a changed one is compared whole.
            let whole = c.old.is_some() && c.new.is_some();
            let read = |b: &[u8]| if whole { parse(b) } else { parse_head(b) };
            let old = c.old.as_deref().and_then(read);
            let new = c.new.as_deref().and_then(read);
            let doc = new.as_ref().or(old.as_ref());
            let label = |k: &str| {
                doc.and_then(|d| d.pointer(&format!("/metadata/labels/{}", k.replace('/', "~1"))))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            let name_of = |d: Option<&Value>| {
                d.and_then(|d| d.pointer("/metadata/name"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            let kind = doc
                .and_then(|d| d.get("kind"))
                .and_then(Value::as_str)
                .unwrap_or("file")
                .to_string();
            let old_name = name_of(old.as_ref());
            let action = match (&c.old, &c.new) {
                (None, _) => Action::Added,
                (_, None) => Action::Removed,
                _ if kind == "Application" && old_name != name_of(new.as_ref()) => {
                    Action::Recreated
                }
                _ => Action::Changed,
            };
            let what = match (&old, &new, action) {
                (Some(o), Some(n), Action::Changed) => aspects(o, n),
                // The name is metadata; say so only when more of it changed.
                (Some(o), Some(n), Action::Recreated) => {
                    let (mut o, mut n) = (o.clone(), n.clone());
                    remove_pointer(&mut o, "/metadata/name");
                    remove_pointer(&mut n, "/metadata/name");
                    aspects(&o, &n)
                }
                _ => Vec::new(),
            };
            let recreated = action == Action::Recreated;
            // A whole document has it; of a head only, its text does.
            let target = |d: &Option<Value>, bytes: Option<&[u8]>| {
                d.as_ref()
                    .and_then(crate::rules::argocd::primary_source)
                    .and_then(|s| s.get("targetRevision"))
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .or_else(|| bytes.and_then(target_revision))
            };
            let (revision_old, revision_new) = if kind == "Application" {
                (
                    target(&old, c.old.as_deref()),
                    target(&new, c.new.as_deref()),
                )
            } else {
                (None, None)
            };
            let rollout = new.as_ref().and_then(RolloutMark::read).map(|mut m| {
                m.was = old
                    .as_ref()
                    .and_then(RolloutMark::read)
                    .filter(|o| o.name == m.name)
                    .map(|o| o.state);
                m
            });
            let policies = doc
                .and_then(|d| d.pointer("/metadata/annotations/fleetc.io~1policies"))
                .and_then(Value::as_str)
                .map(|s| {
                    s.split(',')
                        .filter(|p| !p.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            Item {
                diff: if with_diffs {
                    unified(&c.path, c.old.as_deref(), c.new.as_deref())
                } else {
                    String::new()
                },
                name: name_of(doc),
                old_name: old_name.filter(|_| recreated),
                old_path: None,
                cascade: matches!(action, Action::Recreated | Action::Removed)
                    .then(|| has_finalizer(old.as_ref())),
                kind,
                cluster: label("fleetc.io/cluster"),
                app: label("fleetc.io/app"),
                policies,
                why: None,
                drained: false,
                what,
                revision_old,
                revision_new,
                rollout,
                sha256_old: c.old.as_deref().map(crate::render::tree::sha256_hex),
                sha256_new: c.new.as_deref().map(crate::render::tree::sha256_hex),
                action,
                path: c.path.clone(),
            }
        })
        .collect();
    pair_moves(&mut items);
    items.sort_by(|a, b| (&a.cluster, &a.app, &a.path).cmp(&(&b.cluster, &b.app, &b.path)));
    ChangeSet {
        items,
        forced: BTreeMap::new(),
        rolled_back: BTreeSet::new(),
    }
}

/// Whether a manifest carries Argo CD's resources finalizer.
fn has_finalizer(doc: Option<&Value>) -> bool {
    doc.and_then(|d| d.pointer("/metadata/finalizers"))
        .and_then(Value::as_array)
        .is_some_and(|f| {
            f.iter()
                .any(|x| x.as_str() == Some("resources-finalizer.argocd.argoproj.io"))
        })
}

/// A removed and an added Application of the same cluster and app become
/// one `recreated` item (or `changed`, when the name stayed and only the
/// file moved).
fn pair_moves(items: &mut Vec<Item>) {
    let key = |i: &Item| -> Option<(String, String)> {
        (i.kind == "Application").then(|| Some((i.cluster.clone()?, i.app.clone()?)))?
    };
    let mut removed: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (n, i) in items.iter().enumerate() {
        if i.action == Action::Removed {
            if let Some(k) = key(i) {
                removed.insert(k, n);
            }
        }
    }
    let mut gone = Vec::new();
    for n in 0..items.len() {
        if items[n].action != Action::Added {
            continue;
        }
        let Some(r) = key(&items[n]).and_then(|k| removed.remove(&k)) else {
            continue;
        };
        let old = items[r].clone();
        let item = &mut items[n];
        if old.name == item.name {
            item.action = Action::Changed;
            item.what = vec!["file"];
        } else {
            item.action = Action::Recreated;
            item.old_name = old.name;
        }
        item.cascade = old.cascade;
        item.revision_old = old.revision_old;
        item.old_path = Some(old.path);
        item.sha256_old = old.sha256_old;
        item.diff = format!("{}{}", old.diff, item.diff);
        gone.push(r);
    }
    gone.sort_unstable();
    for r in gone.into_iter().rev() {
        items.remove(r);
    }
}

/// The manifest's top-level keys before `spec:` (`apiVersion`, `kind`,
/// `metadata` in fleetc's templates), parsed without the rest; the whole
/// manifest when that is not a document with a `kind` and `metadata`.
/// A line at column 0 is never inside a block scalar or block collection
/// of the lines above, so the text before one is a document of its own.
fn parse_head(bytes: &[u8]) -> Option<Value> {
    let text = std::str::from_utf8(bytes).ok()?;
    let head = text
        .find("\nspec:")
        .and_then(|at| yaml::parse_yaml(&text[..=at]).ok())
        .and_then(|docs| docs.into_iter().next())
        .map(|d| d.value)
        .filter(|v| v.get("kind").is_some() && v.get("metadata").is_some());
    head.or_else(|| parse(bytes))
}

/// The first `targetRevision:` of a manifest's text (its source's), for
/// a file read by its head only.
fn target_revision(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    let line = text
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("targetRevision:"))?;
    let doc = yaml::parse_yaml(&format!("v: {}", line.trim())).ok()?;
    let v = doc.into_iter().next()?.value.get("v")?.clone();
    Some(v.as_str().map_or_else(|| v.to_string(), str::to_string))
}

fn parse(bytes: &[u8]) -> Option<Value> {
    let text = std::str::from_utf8(bytes).ok()?;
    yaml::parse_yaml(text)
        .ok()?
        .into_iter()
        .next()
        .map(|d| d.value)
}

/// Which parts of an Application differ.
fn aspects(old: &Value, new: &Value) -> Vec<&'static str> {
    let parts: [(&str, &[&str]); 8] = [
        ("placement", &["/metadata/annotations/fleetc.io~1policies"]),
        (
            "values",
            &[
                "/spec/source/helm/valuesObject",
                "/spec/source/helm/values",
                "/spec/source/helm/valueFiles",
                "/spec/source/helm/ignoreMissingValueFiles",
                // A multi-source Application's values repo.
                "/spec/sources",
            ],
        ),
        ("revision", &["/spec/source/targetRevision"]),
        (
            "rollout",
            &[
                "/metadata/annotations/fleetc.io~1rollout",
                "/metadata/annotations/fleetc.io~1ring",
                "/metadata/annotations/fleetc.io~1rollout-state",
            ],
        ),
        (
            "source",
            &[
                "/spec/source/repoURL",
                "/spec/source/path",
                "/spec/source/chart",
                "/spec/source/helm/releaseName",
                "/spec/source/kustomize",
                "/spec/source/directory",
                // What is left of a helm block (added or dropped whole).
                "/spec/source/helm",
                "/spec/project",
            ],
        ),
        ("destination", &["/spec/destination"]),
        ("sync", &["/spec/syncPolicy"]),
        ("metadata", &["/metadata"]),
    ];
    let mut out: Vec<&'static str> = Vec::new();
    let mut rest_old = crate::rules::argocd::with_primary_source(old);
    let mut rest_new = crate::rules::argocd::with_primary_source(new);
    for (name, pointers) in parts {
        let mut differs = false;
        // Compared on what earlier parts left, so a placement change is
        // not also reported as a metadata change.
        for p in pointers {
            differs |= rest_old.pointer(p) != rest_new.pointer(p);
            remove_pointer(&mut rest_old, p);
            remove_pointer(&mut rest_new, p);
        }
        if differs {
            out.push(match name {
                "placement" => "placement",
                "values" => "values",
                "revision" => "revision",
                "rollout" => "rollout",
                "source" => "source",
                "destination" => "destination",
                "sync" => "sync",
                _ => "metadata",
            });
        }
    }
    if rest_old != rest_new {
        out.push("other");
    }
    out
}

fn remove_pointer(v: &mut Value, pointer: &str) {
    let (parent, key) = match pointer.rsplit_once('/') {
        Some(x) => x,
        None => return,
    };
    if let Some(Value::Object(m)) = v.pointer_mut(parent) {
        m.remove(&key.replace("~1", "/").replace("~0", "~"));
    }
}

/// A unified diff of one file (3 lines of context).
pub(crate) fn unified(path: &str, old: Option<&[u8]>, new: Option<&[u8]>) -> String {
    let old = String::from_utf8_lossy(old.unwrap_or_default());
    let new = String::from_utf8_lossy(new.unwrap_or_default());
    let diff = similar::TextDiff::from_lines(old.as_ref(), new.as_ref());
    let (a, b) = (format!("a/{path}"), format!("b/{path}"));
    diff.unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string()
}

/// The human report. `color`: ANSI colours (only on a terminal).
pub(crate) fn text(cs: &ChangeSet, color: bool, with_diffs: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    if cs.is_empty() {
        out.push_str("no changes\n");
        return out;
    }
    let promotions = cs.promotions();
    if !promotions.is_empty() {
        let _ = writeln!(out, "{}", paint("1", "rollouts"));
        for p in &promotions {
            let _ = writeln!(out, "  {}", paint("35", &p.line()));
        }
        out.push('\n');
    }
    for (cluster, items) in cs.by_cluster() {
        let _ = writeln!(
            out,
            "{}",
            paint("1", cluster.unwrap_or("(fleet-wide files)"))
        );
        for i in items {
            let code = match i.action {
                Action::Added => "32",
                Action::Removed | Action::Recreated => "31",
                Action::Changed => "33",
            };
            let sign = i.action.sign();
            let subject = match (&i.app, i.kind.as_str()) {
                (Some(app), "Application") => app.clone(),
                _ => format!("{} {}", i.kind, i.name.as_deref().unwrap_or(&i.path)),
            };
            let mut line = format!("  {sign} {subject}");
            if !i.what.is_empty() {
                let _ = write!(line, " ({})", i.what_text());
            }
            if !i.policies.is_empty() && i.action != Action::Removed {
                let _ = write!(line, "  [{}]", i.policies.join(", "));
            }
            if let Some(why) = &i.why {
                let _ = write!(line, " ({why})");
            }
            if let Some(r) = i.recreation() {
                let _ = write!(line, "\n      recreated: {r}");
            }
            let _ = writeln!(out, "{}", paint(code, &line));
        }
    }
    let _ = writeln!(out, "\n{}", cs.summary());
    if with_diffs {
        // Each distinct change once: a change made alike to many
        // Applications is shown with the list of them.
        for g in cs.groups() {
            out.push('\n');
            let text = if g.items.len() == 1 {
                std::borrow::Cow::Borrowed(g.items[0].diff.as_str())
            } else {
                let _ = writeln!(
                    out,
                    "{}",
                    paint(
                        "1",
                        &format!(
                            "=== the same change on {} files (the lines around it as in the first): {}",
                            g.items.len(),
                            g.subjects(8)
                        )
                    )
                );
                std::borrow::Cow::Owned(g.hunks())
            };
            for l in text.lines() {
                let painted = if l.starts_with("+++") || l.starts_with("---") {
                    paint("1", l)
                } else if l.starts_with('+') {
                    paint("32", l)
                } else if l.starts_with('-') {
                    paint("31", l)
                } else if l.starts_with("@@") {
                    paint("36", l)
                } else {
                    l.to_string()
                };
                let _ = writeln!(out, "{painted}");
            }
        }
    }
    out
}

/// A pull-request comment that a reviewer reads in one screen at any
/// fleet size: totals, rollouts, the changes by kind and by policy, the
/// busiest clusters, then each distinct change once (a change made alike
/// to many Applications is one diff with their list). It is cut at `cap`
/// bytes, detail last, with a marker.
pub(crate) fn markdown(cs: &ChangeSet, cap: usize, notes: &[String], groups: &Groups) -> String {
    let (mut out, sections) = markdown_parts(cs, notes, groups);
    let marker = "\n\n**… truncated: the full diff is longer than a comment allows. Run `fleetc diff` locally, see the job's `--format text` output, or post it in several comments with `--split DIR`.**\n";
    let budget = cap.saturating_sub(marker.len());
    for section in sections {
        if out.len() + section.len() > budget {
            out.push_str(marker);
            return out;
        }
        out.push_str(&section);
    }
    out
}

/// The same comment in as many comments of at most `cap` bytes as it
/// takes, numbered: the summary first, then the distinct changes, none
/// left out (a single change longer than a comment is cut, and says so).
pub(crate) fn markdown_split(
    cs: &ChangeSet,
    cap: usize,
    notes: &[String],
    groups: &Groups,
) -> Vec<String> {
    let (head, sections) = markdown_parts(cs, notes, groups);
    // Room for the numbering line each comment gets.
    let room = cap.saturating_sub(64);
    let mut parts: Vec<String> = vec![head];
    for mut section in sections {
        if section.len() > room {
            let cut =
                "\n```\n</details>\n\n**… this change is longer than a comment: cut here.**\n\n";
            let mut end = room.saturating_sub(cut.len());
            while !section.is_char_boundary(end) {
                end -= 1;
            }
            section.truncate(end);
            section.push_str(cut);
        }
        let last = parts.len() - 1;
        if parts[last].len() + section.len() > room {
            parts.push(section);
        } else {
            parts[last].push_str(&section);
        }
    }
    let n = parts.len();
    parts
        .into_iter()
        .enumerate()
        .map(|(k, p)| {
            if n == 1 {
                p
            } else if k == 0 {
                format!("{p}\n*Comment 1 of {n}; the changes continue in the next.*\n")
            } else {
                format!(
                    "### fleetc: what this change does to the fleet ({} of {n})\n\n{p}",
                    k + 1
                )
            }
        })
        .collect()
}

/// The comment's head (title, notes, totals, rollouts, summary tables)
/// and its sections, one per distinct change.
fn markdown_parts(cs: &ChangeSet, notes: &[String], groups: &Groups) -> (String, Vec<String>) {
    let mut out = String::from("### fleetc: what this change does to the fleet\n\n");
    for n in notes {
        let _ = writeln!(out, "> {n}\n");
    }
    if cs.is_empty() {
        out.push_str("No Application, AppProject or root Application changes.\n");
        return (out, Vec::new());
    }
    let _ = writeln!(out, "**{}**\n", cs.summary());
    let promotions = cs.promotions();
    if !promotions.is_empty() {
        out.push_str("**Rollouts**\n\n");
        for p in &promotions {
            let _ = writeln!(out, "- {}", p.line().replace('`', ""));
        }
        out.push('\n');
    }
    summary_tables(&mut out, cs, groups);
    let groups = cs.groups();
    let distinct = groups.len();
    let _ = writeln!(
        out,
        "**{distinct} distinct change{}**, each shown once:\n",
        if distinct == 1 { "" } else { "s" }
    );
    let sections = groups
        .iter()
        .map(|g| {
            let first = g.items[0];
            let (title, body): (String, std::borrow::Cow<str>) = if g.items.len() == 1 {
                let mut what = if first.what.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", first.what_text())
                };
                if let Some(why) = &first.why {
                    what.push_str(&format!(" ({why})"));
                }
                if let Some(r) = first.recreation() {
                    what.push_str(&format!(": {r}"));
                }
                let subject = match (&first.app, &first.cluster) {
                    (Some(a), Some(c)) => format!("`{a}` on `{c}`"),
                    _ => format!("`{}`", first.name.as_deref().unwrap_or(&first.path)),
                };
                (
                    format!("<b>{}</b> {subject} {}{what}", first.action, first.kind),
                    first.diff.as_str().into(),
                )
            } else {
                (
                    format!(
                        "<b>the same change on {} files</b> ({}): {}",
                        g.items.len(),
                        first.what_text(),
                        g.subjects(5)
                    ),
                    g.hunks().into(),
                )
            };
            format!(
                "<details><summary>{title}</summary>\n\n```diff\n{}```\n</details>\n\n",
                body.replace("```", "`\u{200b}``")
            )
        })
        .collect();
    (out, sections)
}

/// Cluster name → its group (`region=east`), for the comment's table by
/// cluster group; empty when there is no grouping label.
pub(crate) type Groups = BTreeMap<String, String>;

/// The comment's summary: Applications by kind of change, by policy, by
/// cluster group, and the clusters with the most changes (the first 10 of
/// each).
fn summary_tables(out: &mut String, cs: &ChangeSet, groups: &Groups) {
    const ROWS: usize = 10;
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut policies: BTreeMap<&str, Counts> = BTreeMap::new();
    let mut clusters: BTreeMap<&str, usize> = BTreeMap::new();
    for i in cs.applications() {
        let kind = match (&i.why, i.action) {
            (Some(why), _) => format!("removed: {why}"),
            (None, Action::Changed) if !i.what.is_empty() => {
                format!("changed: {}", i.what.join(", "))
            }
            (None, a) => a.word().to_string(),
        };
        *kinds.entry(kind).or_default() += 1;
        for p in &i.policies {
            let c = policies.entry(p.as_str()).or_default();
            match i.action {
                Action::Added => c.added += 1,
                Action::Changed => c.changed += 1,
                Action::Recreated => c.recreated += 1,
                Action::Removed => c.removed += 1,
            }
        }
        if let Some(c) = &i.cluster {
            *clusters.entry(c.as_str()).or_default() += 1;
        }
    }
    let more = |out: &mut String, n: usize, what: &str| {
        if n > ROWS {
            let _ = writeln!(out, "| … and {} more {what} | |", n - ROWS);
        }
    };
    out.push_str("| Applications | count |\n|---|---:|\n");
    let mut by_count: Vec<(&String, &usize)> = kinds.iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (k, n) in by_count.iter().take(ROWS) {
        let _ = writeln!(out, "| {k} | {n} |");
    }
    more(out, by_count.len(), "kinds");
    let others = cs.items.len() - cs.applications().count();
    if others > 0 {
        let _ = writeln!(
            out,
            "| other manifests (AppProjects, namespaces, roots) | {others} |"
        );
    }
    out.push('\n');
    if !policies.is_empty() {
        out.push_str(
            "| policy | added | changed | recreated | removed |\n|---|---:|---:|---:|---:|\n",
        );
        let mut by_count: Vec<(&&str, &Counts)> = policies.iter().collect();
        by_count.sort_by(|a, b| b.1.total().cmp(&a.1.total()).then(a.0.cmp(b.0)));
        for (p, c) in by_count.iter().take(ROWS) {
            let _ = writeln!(
                out,
                "| {p} | {} | {} | {} | {} |",
                c.added, c.changed, c.recreated, c.removed
            );
        }
        if by_count.len() > ROWS {
            let _ = writeln!(
                out,
                "| … and {} more policies | | | | |",
                by_count.len() - ROWS
            );
        }
        out.push('\n');
    }
    if !groups.is_empty() {
        // (clusters, Applications) changed per group.
        let mut by_group: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for (c, n) in &clusters {
            let g = groups
                .get(*c)
                .map_or("(cluster not in the inventory)", String::as_str);
            let e = by_group.entry(g).or_default();
            e.0 += 1;
            e.1 += n;
        }
        let mut by_count: Vec<(&&str, &(usize, usize))> = by_group.iter().collect();
        by_count.sort_by(|a, b| b.1 .1.cmp(&a.1 .1).then(a.0.cmp(b.0)));
        out.push_str("| cluster group | clusters | Applications changed |\n|---|---:|---:|\n");
        for (g, (nc, na)) in by_count.iter().take(ROWS) {
            let _ = writeln!(out, "| {g} | {nc} | {na} |");
        }
        if by_count.len() > ROWS {
            let _ = writeln!(out, "| … and {} more groups | | |", by_count.len() - ROWS);
        }
        out.push('\n');
    }
    let mut by_count: Vec<(&&str, &usize)> = clusters.iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    out.push_str("| cluster | Applications changed |\n|---|---:|\n");
    for (c, n) in by_count.iter().take(ROWS) {
        let _ = writeln!(out, "| {c} | {n} |");
    }
    more(out, by_count.len(), "clusters");
    out.push('\n');
}

/// For programs: the summary, counts and every item with its diff.
pub(crate) fn json(cs: &ChangeSet, extra: Value) -> String {
    let mut v = serde_json::json!({
        "summary": cs.summary(),
        "applications": cs.counts(),
        "clusters": cs.clusters(),
        "promotions": cs.promotions(),
        "changes": cs.items,
    });
    if let (Value::Object(m), Value::Object(x)) = (&mut v, extra) {
        m.extend(x);
    }
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An added Application classified from the render's head is what
    /// parsing its file gives, field for field, for every fixture that
    /// compiles (rollouts, rings, pins, values repos, hub mode among them).
    #[test]
    fn the_render_knows_an_added_application_as_its_file_says() {
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut heads = 0;
        for entry in std::fs::read_dir(&fixtures).unwrap() {
            let dir = entry.unwrap().path();
            if !dir.join("fleetc.yaml").is_file() {
                continue;
            }
            let Ok(mut c) = crate::pipeline::compile(&dir) else {
                continue;
            };
            let tree = c.take_tree();
            let changes: Vec<FileChange> = tree
                .files
                .iter()
                .map(|(path, bytes)| FileChange {
                    path: path.clone(),
                    old: None,
                    new: Some(bytes.clone()),
                })
                .collect();
            let no_sums = |_: &str| None;
            let known = Rendered::of(&c, &no_sums);
            heads += known.heads.len();
            let json = |cs: &ChangeSet| serde_json::to_string_pretty(&cs.items).unwrap();
            assert_eq!(
                json(&classify_rendered(&changes, &known)),
                json(&classify(&changes)),
                "{}",
                dir.display()
            );
        }
        assert!(heads >= 40, "only {heads} heads");
    }
}
