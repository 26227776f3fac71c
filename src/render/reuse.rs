//! Incremental compiles: what a pair's Application is made of, as one
//! digest, and what an earlier compile rendered for it.
//!
//! A pair's Application is a function of its app, its cluster, the app's
//! team, the policies that placed it (in their order), the app's values for
//! that cluster, the settings a render reads, the user's templates and
//! fleetc itself. [`Inputs`] hashes each of those once and a pair's digest
//! from theirs. When an earlier compile rendered the pair from the same
//! digest ([`Reuse`]), its file is taken as it was: known by its digests,
//! never rendered, read or hashed again. A compile that succeeded had no
//! error on that pair, and its errors, like its file, follow from the
//! digest's inputs alone; every check that spans pairs (names, files,
//! release names) still runs on every pair.
//!
//! The digests hash the checked model's `Debug` text, which names every
//! field: a field added to the model is in the digest without a word here.
//! Indices (of a cluster in an app's overrides, of a team) are part of that
//! text, so reordering the inventory renders again: safe, only slower.

use std::collections::HashMap;
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use super::Contexts;
use crate::matrix::Pair;
use crate::model::{App, Inventory};
use crate::output::Known;
use crate::values;

/// A SHA-256 digest.
pub(crate) type Hash = [u8; 32];

/// What an earlier compile rendered for one pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prior {
    /// The digest of the pair's inputs then.
    pub inputs: Hash,
    pub name: String,
    pub path: String,
    pub policies: Vec<String>,
    pub file: Known,
}

/// Earlier renders, by (cluster name, app name).
#[derive(Clone, Debug, Default)]
pub struct Reuse {
    pairs: HashMap<(String, String), Prior>,
}

impl Reuse {
    pub fn insert(&mut self, cluster: String, app: String, prior: Prior) {
        self.pairs.insert((cluster, app), prior);
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Keeps only the renders `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&Prior) -> bool) {
        self.pairs.retain(|_, p| keep(p));
    }

    /// The earlier render of the pair, if it came from the same inputs.
    pub(super) fn get(&self, cluster: &str, app: &str, inputs: &Hash) -> Option<&Prior> {
        // A lookup by borrowed names without building a key: few hits miss.
        self.pairs
            .get(&(cluster.to_string(), app.to_string()))
            .filter(|p| p.inputs == *inputs)
    }
}

/// The digests of everything a pair's render reads, but for the pair.
pub(super) struct Inputs {
    global: Hash,
    apps: Vec<Hash>,
    clusters: Vec<Hash>,
    teams: Vec<Hash>,
    policies: Vec<Hash>,
}

fn digest(text: &str) -> Hash {
    Sha256::digest(text.as_bytes()).into()
}

impl Inputs {
    pub(super) fn new(inv: &Inventory, ctx: &Contexts) -> Inputs {
        let s = &inv.settings;
        let mut global = String::new();
        let _ = writeln!(global, "{}", fleetc_identity());
        let _ = write!(
            global,
            "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n",
            s.argocd_namespace,
            s.mode,
            s.application_name,
            s.layout,
            s.limits,
            s.cascade_delete,
            s.deploy_repo,
            ctx.settings,
        );
        for (name, t) in &inv.templates {
            let _ = writeln!(global, "{name:?} {t:?}");
        }
        Inputs {
            global: digest(&global),
            apps: inv
                .apps
                .iter()
                .zip(&ctx.apps)
                .map(|(a, view)| {
                    // The overrides go by pair; the view names what the
                    // app's indices point at.
                    let app = App {
                        overrides: Default::default(),
                        ..a.clone()
                    };
                    digest(&format!("{app:?}\n{view:?}"))
                })
                .collect(),
            clusters: inv
                .clusters
                .iter()
                .zip(&ctx.clusters)
                .map(|(c, view)| digest(&format!("{c:?}\n{view:?}")))
                .collect(),
            teams: inv
                .teams
                .iter()
                .zip(&ctx.teams)
                .map(|(t, view)| digest(&format!("{t:?}\n{view:?}")))
                .collect(),
            policies: inv
                .policies
                .iter()
                .map(|p| digest(&format!("{p:?}")))
                .collect(),
        }
    }

    /// The digest of the pair's inputs.
    pub(super) fn pair(&self, inv: &Inventory, pair: &Pair) -> Hash {
        let app = &inv.apps[pair.app];
        let mut h = Sha256::new();
        h.update(self.global);
        h.update(self.apps[pair.app]);
        h.update(self.clusters[pair.cluster]);
        h.update(self.teams[app.team]);
        for p in values::policy_order(inv, pair) {
            h.update(self.policies[p]);
        }
        match app.overrides.get(&pair.cluster) {
            Some(v) => h.update(format!("override {v:?}")),
            None => h.update("no override"),
        }
        h.finalize().into()
    }
}

/// fleetc itself: its version, and the very binary, so that a rebuilt
/// fleetc never takes an older one's renders.
pub(crate) fn fleetc_identity() -> &'static str {
    static IDENTITY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    IDENTITY.get_or_init(|| format!("fleetc {}\n{}", env!("CARGO_PKG_VERSION"), binary()))
}

/// The running binary: its path, size and modification time. Where they
/// cannot be read, this run's own mark: renders are then reused only within
/// the run.
fn binary() -> String {
    let known = || {
        let path = std::env::current_exe().ok()?;
        let meta = std::fs::metadata(&path).ok()?;
        Some(format!(
            "{path:?} {} {:?}",
            meta.len(),
            meta.modified().ok()?
        ))
    };
    known().unwrap_or_else(|| {
        format!(
            "unknown binary, process {} at {:?}",
            std::process::id(),
            std::time::SystemTime::now()
        )
    })
}
