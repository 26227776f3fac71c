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
//! The format, one line each (tab-separated):
//!
//! ```text
//! fleetc render cache 1
//! commit <hex>
//! <cluster> <app> <inputs> <sha256> <blob> <name> <path> <policy>...
//! end <sha256 of every byte above>
//! ```

use std::collections::HashMap;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::gitrepo::{DeployRepo, Oid, Snapshot};
use crate::output::{push_hex, Known, Tree};
use crate::pipeline::Compiled;
use crate::render::{Prior, Reuse};

/// The folder of the caches, in the git folder.
pub(crate) const DIR: &str = "fleetc-cache";

const HEADER: &str = "fleetc render cache 1";

/// The cache of the branch and deploy path `prefix`.
fn path(deploy: &DeployRepo, prefix: &str) -> PathBuf {
    let mut name = String::new();
    push_hex(
        &mut name,
        &Sha256::digest(format!("{}\0{prefix}", deploy.refname()))[..8],
    );
    deploy.repo.path().join(DIR).join(name)
}

/// The renders that can be reused on top of `snapshot`: none when there is
/// no cache, or it is for another commit, or it does not read back whole.
pub(crate) fn load(deploy: &DeployRepo, snapshot: &Snapshot, prefix: &str) -> Reuse {
    let Some(commit) = snapshot.commit else {
        return Reuse::default();
    };
    let Ok(bytes) = std::fs::read(path(deploy, prefix)) else {
        return Reuse::default();
    };
    let mut reuse = parse(&bytes, commit).unwrap_or_default();
    reuse.retain(|p| {
        snapshot
            .files
            .get(&p.path)
            .is_some_and(|oid| oid.as_bytes() == p.file.blob)
    });
    reuse
}

/// The cache's renders, if it reads back whole and is for `commit`.
fn parse(bytes: &[u8], commit: Oid) -> Option<Reuse> {
    let text = std::str::from_utf8(bytes).ok()?;
    let body_end = text.trim_end_matches('\n').rfind('\n')? + 1;
    let (body, end) = text.split_at(body_end);
    let mut sum = String::new();
    push_hex(&mut sum, &Sha256::digest(body.as_bytes()));
    if end != format!("end {sum}\n") {
        return None;
    }
    let mut lines = body.lines();
    if lines.next()? != HEADER || lines.next()? != format!("commit {commit}") {
        return None;
    }
    let mut reuse = Reuse::default();
    for line in lines {
        let mut f = line.split('\t');
        let (cluster, app) = (f.next()?, f.next()?);
        let inputs = unhex(f.next()?)?;
        let sha256 = unhex(f.next()?)?;
        let blob = unhex(f.next()?)?;
        let (name, path) = (f.next()?, f.next()?);
        reuse.insert(
            cluster.to_string(),
            app.to_string(),
            Prior {
                inputs,
                name: name.to_string(),
                path: path.to_string(),
                policies: f.map(str::to_string).collect(),
                file: Known { sha256, blob },
            },
        );
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

/// The digests of the Applications `c` rendered this time (not reused),
/// taken from `tree` before it is committed.
pub(crate) fn fresh(c: &Compiled, tree: &Tree) -> HashMap<String, Known> {
    use rayon::prelude::*;
    c.rendered
        .apps
        .par_iter()
        .filter(|a| a.reused.is_none())
        .filter_map(|a| {
            let bytes = tree.files.get(&a.path)?;
            Some((a.path.clone(), crate::gitrepo::known(bytes)))
        })
        .collect()
}

/// Saves what `c` rendered as the cache of `commit`.
pub(crate) fn save(
    deploy: &DeployRepo,
    prefix: &str,
    commit: Oid,
    c: &Compiled,
    fresh: &HashMap<String, Known>,
) -> crate::error::Result<()> {
    let mut text = format!("{HEADER}\ncommit {commit}\n");
    for a in &c.rendered.apps {
        let Some(file) = a.reused.or_else(|| fresh.get(&a.path).copied()) else {
            continue;
        };
        let (cluster, app) = (
            &c.inventory.clusters[a.cluster].name,
            &c.inventory.apps[a.app].name,
        );
        let fields = [cluster, app, &a.name, &a.path]
            .into_iter()
            .chain(&a.policies);
        if fields.clone().any(|f| f.contains(['\t', '\n'])) {
            continue;
        }
        text.push_str(cluster);
        text.push('\t');
        text.push_str(app);
        for digest in [&a.inputs[..], &file.sha256, &file.blob] {
            text.push('\t');
            push_hex(&mut text, digest);
        }
        for f in [&a.name, &a.path].into_iter().chain(&a.policies) {
            text.push('\t');
            text.push_str(f);
        }
        text.push('\n');
    }
    let sum = Sha256::digest(text.as_bytes());
    text.push_str("end ");
    push_hex(&mut text, &sum);
    text.push('\n');
    let file = path(deploy, prefix);
    std::fs::create_dir_all(file.parent().unwrap_or(&file))
        .map_err(|e| crate::error::Error::io(&file, e))?;
    crate::output::write_file_atomic(&file, text.as_bytes())
}
