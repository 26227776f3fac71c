//! The render cache of a deploy branch: what the last compile rendered for
//! each pair, kept in the repository's git folder (never committed), so
//! that the next compile against the branch renders only the pairs whose
//! inputs changed ([`crate::render::Reuse`]).
//!
//! It is an optimisation only. It belongs to one commit of one branch (and
//! deploy path) and is used only while the branch is still there; each
//! render in it is used only if the branch holds its file, blob for blob;
//! the file ends with the SHA-256 of all it says, and one that does not
//! read back whole (truncated, edited, of another version) is ignored, as
//! if it were not there. Deleting it costs one full render.
//!
//! When the inventory itself is the one the cache was made from (the same
//! files, byte for byte, and the same fleetc), and the branch is still at
//! its commit, the branch is up to date without compiling at all.
//!
//! The format, one line each (tab-separated):
//!
//! ```text
//! fleetc render cache 2
//! commit <hex>
//! inventory <hex digest of the inventory as read, or ->
//! summary <what the compile said of the inventory>
//! <cluster> <app> <inputs> <sha256> <blob> <name> <path> <policy>...
//! @ <cluster> <inputs>
//! + <kind> <path> <sha256> <blob>
//! end <sha256 of every byte above>
//! ```
//!
//! A line per Application; a line per cluster, followed by one per file of
//! its own (its kind a letter: AppProject `P`, platform `A`, namespace `N`,
//! root `R`).
//!
//! ```text
//! ```

use std::collections::HashMap;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::pipeline::Compiled;
use crate::render::tree::{push_hex, Known, Tree};
use crate::render::{ClusterPrior, Hash, Kind, Prior, Reuse};
use crate::repo::git::{known, DeployRepo, Oid, Snapshot, CACHE_DIR as DIR};

const HEADER: &str = "fleetc render cache 2";

/// The cache of the branch and deploy path `prefix`.
fn path(deploy: &DeployRepo, prefix: &str) -> PathBuf {
    let mut name = String::new();
    push_hex(
        &mut name,
        &Sha256::digest(format!("{}\0{prefix}", deploy.refname()))[..8],
    );
    deploy.repo.path().join(DIR).join(name)
}

/// A cache read back whole: its head, and the lines of its renders.
pub(crate) struct Cache {
    commit: String,
    inventory: String,
    summary: String,
    body: String,
    renders: std::ops::Range<usize>,
}

/// The cache of the branch (and deploy path), if there is one that reads
/// back whole.
pub(crate) fn open(deploy: &DeployRepo, prefix: &str) -> Option<Cache> {
    let bytes = std::fs::read(path(deploy, prefix)).ok()?;
    let body = String::from_utf8(bytes).ok()?;
    let end_at = body.trim_end_matches('\n').rfind('\n')? + 1;
    let mut sum = String::new();
    push_hex(&mut sum, &Sha256::digest(&body.as_bytes()[..end_at]));
    if body[end_at..] != format!("end {sum}\n") {
        return None;
    }
    let mut head = body[..end_at].splitn(5, '\n');
    if head.next()? != HEADER {
        return None;
    }
    let commit = head.next()?.strip_prefix("commit ")?.to_string();
    let inventory = head.next()?.strip_prefix("inventory ")?.to_string();
    let summary = head.next()?.strip_prefix("summary ")?.to_string();
    let renders = end_at - head.next()?.len()..end_at;
    Some(Cache {
        commit,
        inventory,
        summary,
        body,
        renders,
    })
}

impl Cache {
    /// What the compile said of the inventory, when the cache was made from
    /// this very inventory (`digest`, see [`crate::pipeline::Read::digest`])
    /// and the branch is still at its commit: the branch is up to date.
    pub(crate) fn unchanged(&self, head: Option<Oid>, digest: Option<Hash>) -> Option<&str> {
        let (head, digest) = (head?, digest?);
        let mut hex = String::new();
        push_hex(&mut hex, &digest);
        (self.commit == head.to_string() && self.inventory == hex).then_some(&self.summary)
    }
}

/// The renders of `cache` that can be reused on top of `snapshot`: none
/// when there is no cache, or it is for another commit.
pub(crate) fn load(cache: Option<Cache>, snapshot: &Snapshot) -> Reuse {
    let Some(commit) = snapshot.commit else {
        return Reuse::default();
    };
    let Some(cache) = cache.filter(|c| c.commit == commit.to_string()) else {
        return Reuse::default();
    };
    let mut reuse = parse(&cache.body[cache.renders]).unwrap_or_default();
    reuse.retain(|path, known| {
        snapshot
            .files
            .get(path)
            .is_some_and(|oid| oid.as_bytes() == known.blob)
    });
    reuse
}

/// The renders of a cache, one per line.
fn parse(lines: &str) -> Option<Reuse> {
    use rayon::prelude::*;
    // The Applications' lines come first, one each: read in parallel.
    let clusters_at = match lines.starts_with("@\t") {
        true => 0,
        false => lines.find("\n@\t").map_or(lines.len(), |at| at + 1),
    };
    let (apps, clusters) = lines.split_at(clusters_at);
    let pairs: Vec<(&str, &str, Prior)> = apps
        .par_lines()
        .map(|line| {
            let mut f = line.split('\t');
            let (cluster, app) = (f.next()?, f.next()?);
            let inputs = unhex(f.next()?)?;
            let sha256 = unhex(f.next()?)?;
            let blob = unhex(f.next()?)?;
            let (name, path) = (f.next()?, f.next()?);
            let prior = Prior {
                inputs,
                name: name.to_string(),
                path: path.to_string(),
                policies: f.map(str::to_string).collect(),
                file: Known { sha256, blob },
            };
            Some((cluster, app, prior))
        })
        .collect::<Option<_>>()?;
    let mut reuse = Reuse::default();
    for (cluster, app, prior) in pairs {
        reuse.insert(cluster.to_string(), app.to_string(), prior);
    }
    // Then each cluster's line, followed by its files'.
    let mut cluster: Option<(String, ClusterPrior)> = None;
    for line in clusters.lines() {
        if let Some(rest) = line.strip_prefix("@\t") {
            let (name, inputs) = rest.split_once('\t')?;
            if let Some((name, prior)) = cluster.take() {
                reuse.insert_cluster(name, prior);
            }
            let prior = ClusterPrior {
                inputs: unhex(inputs)?,
                files: Vec::new(),
            };
            cluster = Some((name.to_string(), prior));
            continue;
        }
        let mut f = line.strip_prefix("+\t")?.split('\t');
        let kind = Kind::from_letter(f.next()?)?;
        let path = f.next()?.to_string();
        let (sha256, blob) = (unhex(f.next()?)?, unhex(f.next()?)?);
        let (_, prior) = cluster.as_mut()?;
        prior.files.push((kind, path, Known { sha256, blob }));
    }
    if let Some((name, prior)) = cluster.take() {
        reuse.insert_cluster(name, prior);
    }
    Some(reuse)
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

/// Saves what `c` rendered (from the inventory of `digest`, saying
/// `summary` of it) as the cache of `commit`.
pub(crate) fn save(
    deploy: &DeployRepo,
    prefix: &str,
    commit: Oid,
    (digest, summary): (Option<Hash>, &str),
    c: &Compiled,
    fresh: &HashMap<String, Known>,
) -> crate::base::error::Result<()> {
    let mut text = format!("{HEADER}\ncommit {commit}\ninventory ");
    match digest {
        Some(d) => push_hex(&mut text, &d),
        None => text.push('-'),
    }
    text.push_str("\nsummary ");
    text.push_str(&summary.replace('\n', " "));
    text.push('\n');
    let (pairs, clusters) = priors(c, &|path| fresh.get(path).copied());
    let inv = &c.inventory;
    let plain = |f: &str| !f.contains(['\t', '\n']);
    for (ci, ai, p) in pairs {
        let (cluster, app) = (&inv.clusters[ci].name, &inv.apps[ai].name);
        let fields = [cluster, app, &p.name, &p.path]
            .into_iter()
            .chain(&p.policies);
        if !fields.clone().all(|f| plain(f)) {
            continue;
        }
        text.push_str(cluster);
        text.push('\t');
        text.push_str(app);
        for digest in [&p.inputs[..], &p.file.sha256, &p.file.blob] {
            text.push('\t');
            push_hex(&mut text, digest);
        }
        for f in [&p.name, &p.path].into_iter().chain(&p.policies) {
            text.push('\t');
            text.push_str(f);
        }
        text.push('\n');
    }
    for (ci, prior) in clusters {
        let cluster = &inv.clusters[ci].name;
        if !plain(cluster) || !prior.files.iter().all(|(_, p, _)| plain(p)) {
            continue;
        }
        text.push_str("@\t");
        text.push_str(cluster);
        text.push('\t');
        push_hex(&mut text, &prior.inputs);
        text.push('\n');
        for (kind, path, k) in &prior.files {
            text.push_str("+\t");
            text.push(kind.letter());
            text.push('\t');
            text.push_str(path);
            for digest in [&k.sha256[..], &k.blob] {
                text.push('\t');
                push_hex(&mut text, digest);
            }
            text.push('\n');
        }
    }
    let sum = Sha256::digest(text.as_bytes());
    text.push_str("end ");
    push_hex(&mut text, &sum);
    text.push('\n');
    // Written whole under a name of its own, then renamed: two fleetc
    // saving at once leave one cache or the other, never a mix.
    let file = path(deploy, prefix);
    let dir = file.parent().unwrap_or(&file);
    let io = |e| crate::base::error::Error::io(&file, e);
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(io)?;
    tmp.persist(&file).map_err(|e| io(e.error))?;
    Ok(())
}

/// What `c` rendered, as renders a later compile of the same inventory
/// (or an edited one) can reuse; `tree` is `c`'s, taken out.
pub fn reuse_of(c: &Compiled, tree: &Tree) -> Reuse {
    let (pairs, clusters) = priors(c, &|path| tree.files.get(path).map(|b| known(b)));
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
/// Application, and each cluster's own files, with their digests. Reused
/// files bring theirs; `known` gives those of the files rendered this time
/// (a render it has none for is left out).
pub(crate) fn priors(c: &Compiled, known: &(dyn Fn(&str) -> Option<Known> + Sync)) -> Priors {
    use rayon::prelude::*;
    let r = &c.rendered;
    let pairs = r
        .apps
        .par_iter()
        .filter_map(|a| {
            let prior = Prior {
                inputs: a.inputs,
                name: a.name.clone(),
                path: a.path.clone(),
                policies: a.policies.clone(),
                file: a.reused.or_else(|| known(&a.path))?,
            };
            Some((a.cluster, a.app, prior))
        })
        .collect();
    let file = |path: &str| r.reused_files.get(path).copied().or_else(|| known(path));
    let clusters = r
        .cluster_files(c.inventory.clusters.len())
        .into_par_iter()
        .enumerate()
        .filter_map(|(ci, files)| {
            let files = files
                .into_iter()
                .map(|(kind, path)| Some((kind, path.to_string(), file(path)?)))
                .collect::<Option<Vec<_>>>()?;
            let inputs = *r.cluster_inputs.get(ci)?;
            Some((ci, ClusterPrior { inputs, files }))
        })
        .collect();
    (pairs, clusters)
}
