//! The render cache that travels with a deploy branch: what the last
//! compile rendered for each pair, recorded in the branch itself beside the
//! lists of fleetc's files, so that any clone (a CI job's fresh one too)
//! renders only the pairs whose inputs changed ([`crate::render::Reuse`]),
//! and answers at once when the inventory is the one the branch was
//! compiled from.
//!
//! It is an optimisation only. Each render is sealed: its seal binds the
//! digest of the pair's inputs to the Application's name, path, policies
//! and file (SHA-256 from the group's list, blob from the branch), so a
//! render is taken only for the very same inputs and only as the file the
//! branch holds. A line edited by hand, copied from another pair, cut short
//! or from another fleetc does not match its seal and the pair is rendered
//! again; a file edited by hand has another blob and is rendered again too.
//! Wrong, missing or foreign records cost time, never a wrong byte. The
//! seals are not signatures: whoever can push to the branch can write
//! records that pass, as they can write the manifests Argo CD applies.
//!
//! The records, in `.fleetc/renders/<group>/RENDERS` (a group as for the
//! lists in `.fleetc/manifests/`: a cluster's folder, say), one line per
//! file, tab-separated:
//!
//! ```text
//! fleetc renders 1
//! <seal> <path> <cluster> <app> <Application name> <policy>...
//! <seal> <path> <cluster> @<kind>
//! ```
//!
//! The first for an Application, the second for a file of a cluster's own
//! (its kind a letter: AppProject `P`, platform `A`, namespace `N`, root
//! `R`; every file of a cluster carries the cluster's one seal).
//!
//! And `.fleetc/COMPILED`, written with every commit:
//!
//! ```text
//! fleetc compiled 1
//! inventory <hex digest of the inventory as read>
//! files <hex seal of that digest with every file under the deploy path>
//! summary <what the compile said of the inventory>
//! ```
//!
//! When the inventory reads to that digest and the branch still holds the
//! very files the seal names (blob for blob: fleetc's, in the groups it
//! keeps records of and under `.fleetc/`; the deployment log and this file
//! aside), the branch is up to date without compiling.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::base::error::Result;
use crate::pipeline::Compiled;
use crate::render::tree::{self, hex, Known, Tree};
use crate::render::{ClusterPrior, Hash, Kind, Prior, Reuse, Seal};
use crate::repo::deploylog::{LOG_DIR, LOG_FILE};
use crate::repo::git::{DeployRepo, Oid, Snapshot};

/// Where the records are, one part per group.
pub(crate) const RENDERS_DIR: &str = ".fleetc/renders";
/// Each group's part.
const PART: &str = "RENDERS";
const HEADER: &str = "fleetc renders 1";
/// What the last commit was compiled from.
pub(crate) const STAMP: &str = ".fleetc/COMPILED";
const STAMP_HEADER: &str = "fleetc compiled 1";
/// A part larger than this is not fleetc's: it is not read.
const MAX_PART: usize = 16 << 20;

/// What the compile said of the inventory, when the branch was compiled
/// from this very inventory (`digest`, see [`crate::pipeline::Read::digest`])
/// and holds what that compile committed: the branch is up to date.
pub(crate) fn unchanged(
    deploy: &DeployRepo,
    snapshot: &Snapshot,
    digest: Option<Hash>,
) -> Option<String> {
    let digest = digest?;
    let text = deploy.file(snapshot, STAMP).ok()??;
    let text = String::from_utf8(text).ok()?;
    let mut lines = text.lines();
    if lines.next()? != STAMP_HEADER {
        return None;
    }
    let inventory = lines.next()?.strip_prefix("inventory ")?;
    let files = lines.next()?.strip_prefix("files ")?;
    let summary = lines.next()?.strip_prefix("summary ")?;
    let held = snapshot.files.iter().map(|(p, oid)| (p.as_str(), *oid));
    (inventory == hex(&digest) && files == hex(&files_seal(&digest, held)))
        .then(|| summary.to_string())
}

/// The stamp of a commit of the inventory of `digest` (its compile saying
/// `summary`) whose files under the deploy path will be `files`.
pub(crate) fn stamp<'a>(
    digest: &Hash,
    summary: &str,
    files: impl Iterator<Item = (&'a str, Oid)> + Clone,
) -> String {
    format!(
        "{STAMP_HEADER}\ninventory {}\nfiles {}\nsummary {}\n",
        hex(digest),
        hex(&files_seal(digest, files)),
        summary.replace('\n', " ")
    )
}

/// The seal of `digest` with fleetc's files (path order): those in the
/// groups it keeps records of, and its own under `.fleetc/` (the stamp
/// aside); not the log, nor the files of others beside them (a README
/// edited on the branch does not make the next compile a full one).
fn files_seal<'a>(digest: &Hash, files: impl Iterator<Item = (&'a str, Oid)> + Clone) -> Hash {
    let log = format!("{LOG_DIR}/");
    let recorded: std::collections::HashSet<&str> = files
        .clone()
        .filter_map(|(p, _)| tree::part_group(RENDERS_DIR, p, PART))
        .collect();
    let mut h = Sha256::new();
    h.update(b"fleetc files 2\0");
    h.update(digest);
    for (path, oid) in files {
        let own = path.starts_with(".fleetc/") && path != STAMP;
        let fleetcs = own || recorded.contains(tree::group_of(path));
        if !fleetcs || path == LOG_FILE || path.starts_with(&log) {
            continue;
        }
        h.update((path.len() as u64).to_le_bytes());
        h.update(path.as_bytes());
        h.update(oid.as_bytes());
    }
    h.finalize().into()
}

/// The renders the branch records that can be reused on top of
/// `snapshot`: those whose file the branch holds. A part that cannot be
/// read or parsed is skipped (its pairs are rendered again).
pub(crate) fn load(deploy: &DeployRepo, snapshot: &Snapshot) -> Reuse {
    // Each part with its group's list (the files' SHA-256), read and
    // parsed in parallel.
    let mut wanted: Vec<String> = Vec::new();
    for path in deploy.paths_in(snapshot, RENDERS_DIR) {
        let Some(group) = tree::part_group(RENDERS_DIR, &path, PART) else {
            continue;
        };
        let list = tree::part_path(tree::MANIFESTS_DIR, group, tree::MANIFEST_PART);
        wanted.push(path);
        wanted.push(list);
    }
    let names: Vec<&str> = wanted.iter().map(String::as_str).collect();
    let text = |b: Option<Vec<u8>>| {
        b.filter(|b| b.len() <= MAX_PART)
            .and_then(|b| String::from_utf8(b).ok())
    };
    let mut read = deploy.files(snapshot, &names).into_iter().map(text);
    let mut texts = Vec::new();
    while let (Some(part), Some(list)) = (read.next(), read.next()) {
        if let (Some(part), Some(list)) = (part, list) {
            texts.push((part, list));
        }
    }
    use rayon::prelude::*;
    let sums: Vec<HashMap<&str, [u8; 32]>> = texts
        .par_iter()
        .map(|(_, list)| {
            list.lines()
                .filter_map(|l| {
                    let (sum, path) = l.split_once("  ")?;
                    Some((path, unhex(sum)?))
                })
                .collect()
        })
        .collect();
    let held = |sums: &HashMap<&str, [u8; 32]>, path: &str| -> Option<Known> {
        let mut known = Known {
            sha256: *sums.get(path)?,
            blob: [0; 20],
        };
        known
            .blob
            .copy_from_slice(snapshot.files.get(path)?.as_bytes());
        Some(known)
    };
    gather(
        texts
            .iter()
            .zip(&sums)
            .map(|((part, _), sums)| (part.as_str(), move |path: &str| held(sums, path))),
    )
}

/// The renders recorded in `parts` (the text of each), as a compile reads
/// them, with `held` giving the digests of each file the branch holds;
/// for tests that edit the records by hand.
pub fn reuse_from_records<'a>(
    parts: impl Iterator<Item = &'a str>,
    held: &(dyn Fn(&str) -> Option<Known> + Sync),
) -> Reuse {
    gather(parts.map(|part| (part, held)))
}

/// The renders of each part (its text, and the digests of the files the
/// branch holds), gathered.
fn gather<'a, F: Fn(&str) -> Option<Known> + Sync + Send>(
    parts: impl Iterator<Item = (&'a str, F)>,
) -> Reuse {
    use rayon::prelude::*;
    let parts: Vec<(&str, F)> = parts.collect();
    let parsed: Vec<Parsed> = parts
        .par_iter()
        .filter_map(|(part, held)| parse(part, held))
        .collect();
    let mut reuse = Reuse::default();
    // A cluster's own files may be in several groups: gathered, then
    // sealed as one.
    let mut clusters: BTreeMap<&str, (Seal, Vec<ClusterFile>)> = BTreeMap::new();
    let mut broken = std::collections::BTreeSet::new();
    for p in &parsed {
        for (cluster, app, prior) in &p.apps {
            reuse.insert(cluster.to_string(), app.to_string(), prior.clone());
        }
        for (cluster, seal, kind, path, known) in &p.files {
            let entry = clusters.entry(cluster).or_insert((*seal, Vec::new()));
            if entry.0 != *seal {
                broken.insert(*cluster);
            }
            entry.1.push((*kind, path.to_string(), *known));
        }
    }
    for (cluster, (seal, mut files)) in clusters {
        if broken.contains(cluster) {
            continue;
        }
        files.sort_by(|a, b| a.1.cmp(&b.1));
        reuse.insert_cluster(cluster.to_string(), ClusterPrior { seal, files });
    }
    reuse
}

/// One of a cluster's own files: what it is, its path, its digests.
type ClusterFile = (Kind, String, Known);

/// One part, read: its Applications (cluster, app, render) and its
/// clusters' files (cluster, seal, kind, path, digests).
#[derive(Default)]
struct Parsed<'a> {
    apps: Vec<(&'a str, &'a str, Prior)>,
    files: Vec<(&'a str, Seal, Kind, &'a str, Known)>,
}

/// A part; `None` when it is not one fleetc wrote. A line whose file the
/// branch does not hold (`held`) is left out.
fn parse<'a>(part: &'a str, held: &dyn Fn(&str) -> Option<Known>) -> Option<Parsed<'a>> {
    let mut lines = part.lines();
    if lines.next()? != HEADER {
        return None;
    }
    let mut out = Parsed::default();
    for line in lines {
        let mut f = line.split('\t');
        let seal = unhex(f.next()?)?;
        let path = f.next()?;
        let cluster = f.next()?;
        let what = f.next()?;
        let Some(known) = held(path) else {
            continue;
        };
        match what.strip_prefix('@') {
            Some(letter) => {
                let kind = Kind::from_letter(letter)?;
                out.files.push((cluster, seal, kind, path, known));
            }
            None => {
                let name = f.next()?.to_string();
                let prior = Prior {
                    seal,
                    name,
                    path: path.to_string(),
                    policies: f.map(str::to_string).collect(),
                    file: known,
                };
                out.apps.push((cluster, what, prior));
            }
        }
    }
    Some(out)
}

fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N {
        return None;
    }
    let mut out = [0; N];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The parts a commit of `c` writes (or, `None`, removes): those whose
/// text differs from what the branch holds. `fresh` has the digests of
/// the files rendered this time.
pub(crate) fn writes(
    deploy: &DeployRepo,
    snapshot: &Snapshot,
    c: &Compiled,
    fresh: &HashMap<String, Known>,
) -> Result<BTreeMap<String, Option<String>>> {
    let parts = parts(c, fresh);
    let mut writes = BTreeMap::new();
    for old in deploy.paths_in(snapshot, RENDERS_DIR) {
        if !parts.contains_key(&old) {
            writes.insert(old, None);
        }
    }
    for (path, text) in parts {
        if !snapshot.holds(&path, text.as_bytes())? {
            writes.insert(path, Some(text));
        }
    }
    Ok(writes)
}

/// The records of what `c` rendered, by path, as a commit writes them;
/// `tree` is `c`'s, taken out.
pub fn records(c: &Compiled, tree: &Tree) -> BTreeMap<String, String> {
    sealed_parts(c, &|path| {
        tree.files.get(path).map(|b| crate::repo::git::known(b))
    })
}

/// Every part of the records of `c`, by path.
fn parts(c: &Compiled, fresh: &HashMap<String, Known>) -> BTreeMap<String, String> {
    sealed_parts(c, &|path| fresh.get(path).copied())
}

fn sealed_parts(
    c: &Compiled,
    known: &(dyn Fn(&str) -> Option<Known> + Sync),
) -> BTreeMap<String, String> {
    use rayon::prelude::*;
    let (pairs, clusters) = priors(c, known);
    let inv = &c.inventory;
    let plain = |f: &str| !f.is_empty() && !f.contains(['\t', '\n', '\r']);
    // Each line in its file's group, then each group's lines in path order.
    let mut groups: BTreeMap<&str, Vec<(&str, String)>> = BTreeMap::new();
    for (ci, ai, p) in &pairs {
        let (cluster, app) = (&inv.clusters[*ci].name, &inv.apps[*ai].name);
        let fields = [cluster, app, &p.name, &p.path]
            .into_iter()
            .chain(&p.policies);
        if !fields.clone().all(|f| plain(f)) {
            continue;
        }
        let mut line = hex(&p.seal);
        for f in [&p.path, cluster, app, &p.name]
            .into_iter()
            .chain(&p.policies)
        {
            line.push('\t');
            line.push_str(f);
        }
        groups
            .entry(tree::group_of(&p.path))
            .or_default()
            .push((&p.path, line));
    }
    for (ci, prior) in &clusters {
        let cluster = &inv.clusters[*ci].name;
        if !plain(cluster) || !prior.files.iter().all(|(_, p, _)| plain(p)) {
            continue;
        }
        for (kind, path, _) in &prior.files {
            let line = format!(
                "{}\t{path}\t{cluster}\t@{}",
                hex(&prior.seal),
                kind.letter()
            );
            groups
                .entry(tree::group_of(path))
                .or_default()
                .push((path, line));
        }
    }
    groups
        .into_par_iter()
        .map(|(group, mut lines)| {
            lines.sort_unstable_by(|a, b| a.0.cmp(b.0));
            let mut text = String::with_capacity(64 + lines.len() * 160);
            text.push_str(HEADER);
            text.push('\n');
            for (_, line) in lines {
                text.push_str(&line);
                text.push('\n');
            }
            (tree::part_path(RENDERS_DIR, group, PART), text)
        })
        .collect()
}

/// What `c` rendered, as renders a later compile of the same inventory
/// (or an edited one) can reuse; `tree` is `c`'s, taken out.
pub fn reuse_of(c: &Compiled, tree: &Tree) -> Reuse {
    let (pairs, clusters) = priors(c, &|path| {
        tree.files.get(path).map(|b| crate::repo::git::known(b))
    });
    let mut reuse = Reuse::default();
    for (cluster, app, prior) in pairs {
        reuse.insert(
            c.inventory.clusters[cluster].name.clone(),
            c.inventory.apps[app].name.clone(),
            prior,
        );
    }
    for (ci, prior) in clusters {
        reuse.insert_cluster(c.inventory.clusters[ci].name.clone(), prior);
    }
    reuse
}

/// Earlier renders, by index: (cluster, app) for Applications, cluster for
/// its own files.
type Priors = (Vec<(usize, usize, Prior)>, Vec<(usize, ClusterPrior)>);

/// What `c` rendered, as renders a later compile can reuse: each
/// Application, and each cluster's own files, sealed with their digests.
/// Reused files bring theirs; `known` gives those of the files rendered
/// this time (a render it has none for is left out).
fn priors(c: &Compiled, known: &(dyn Fn(&str) -> Option<Known> + Sync)) -> Priors {
    use rayon::prelude::*;
    let r = &c.rendered;
    let inv = &c.inventory;
    let pairs = r
        .apps
        .par_iter()
        .filter_map(|a| {
            let prior = Prior::new(
                (&inv.clusters[a.cluster].name, &inv.apps[a.app].name),
                &a.inputs,
                a.name.clone(),
                a.path.clone(),
                a.policies.clone(),
                a.reused.or_else(|| known(&a.path))?,
            );
            Some((a.cluster, a.app, prior))
        })
        .collect();
    let file = |path: &str| r.reused_files.get(path).copied().or_else(|| known(path));
    let clusters = r
        .cluster_files(inv.clusters.len())
        .into_par_iter()
        .enumerate()
        .filter_map(|(ci, files)| {
            let files = files
                .into_iter()
                .map(|(kind, path)| Some((kind, path.to_string(), file(path)?)))
                .collect::<Option<Vec<_>>>()?;
            let inputs = r.cluster_inputs.get(ci)?;
            Some((ci, ClusterPrior::new(&inv.clusters[ci].name, inputs, files)))
        })
        .collect();
    (pairs, clusters)
}

/// Where `diff --base` keeps what it rendered of an inventory revision:
/// in the inventory repository's git folder, never committed.
const BASE_DIR: &str = "fleetc-base";
const BASE_HEADER: &str = "fleetc base renders 1";
/// How many revisions' renders are kept (the newest).
const BASE_KEEP: usize = 3;

/// The file of the renders of the inventory tree `tree` (by this fleetc).
fn base_path(git_dir: &Path, tree: Oid) -> PathBuf {
    let key = Sha256::digest(format!("{tree}\0{}", crate::render::fleetc_identity()));
    git_dir.join(BASE_DIR).join(hex(&key[..16]))
}

/// The renders `diff --base` saved of the inventory tree `tree`, if any
/// read back whole. Sealed as a branch's records are, so a file edited or
/// cut short costs renders, never a byte.
pub(crate) fn load_base(git_dir: &Path, tree: Oid) -> Option<Reuse> {
    let text = std::fs::read_to_string(base_path(git_dir, tree)).ok()?;
    let end_at = text.trim_end_matches('\n').rfind('\n')? + 1;
    if text[end_at..] != format!("end {}\n", hex(&Sha256::digest(&text.as_bytes()[..end_at]))) {
        return None;
    }
    let body = text[..end_at]
        .strip_prefix(BASE_HEADER)?
        .strip_prefix('\n')?;
    let (held, parts) = body.split_once("\n\n")?;
    let held: HashMap<&str, Known> = held
        .lines()
        .filter_map(|l| {
            let mut f = l.splitn(3, ' ');
            let (sha256, blob, path) = (unhex(f.next()?)?, unhex(f.next()?)?, f.next()?);
            Some((path, Known { sha256, blob }))
        })
        .collect();
    let parts = parts.split("\u{1e}\n").filter(|p| !p.is_empty());
    Some(reuse_from_records(parts, &|path| held.get(path).copied()))
}

/// Saves what `c` rendered of the inventory tree `tree` (`files`, its
/// tree taken out, every text there) for the next `diff --base` of it;
/// keeps the newest few. Only an optimisation: failures are ignored.
pub(crate) fn save_base(git_dir: &Path, tree: Oid, c: &Compiled, files: &Tree) {
    let path = base_path(git_dir, tree);
    let mut text = format!("{BASE_HEADER}\n");
    for (p, bytes) in &files.files {
        if p.contains(['\n', '\r']) {
            continue;
        }
        let k = crate::repo::git::known(bytes);
        text.push_str(&format!("{} {} {p}\n", hex(&k.sha256), hex(&k.blob)));
    }
    text.push('\n');
    for part in records(c, files).values() {
        text.push_str(part);
        text.push_str("\u{1e}\n");
    }
    let sum = hex(&Sha256::digest(text.as_bytes()));
    text.push_str(&format!("end {sum}\n"));
    let Some(dir) = path.parent() else {
        return;
    };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir) else {
        return;
    };
    if std::io::Write::write_all(&mut tmp, text.as_bytes()).is_err() || tmp.persist(&path).is_err()
    {
        return;
    }
    // The newest few stay.
    let mut saved: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    saved.sort();
    let old = saved.len().saturating_sub(BASE_KEEP);
    for (_, p) in saved.into_iter().take(old) {
        let _ = std::fs::remove_file(p);
    }
}
