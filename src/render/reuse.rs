//! Incremental compiles: what a pair's Application is made of, as one
//! digest, and what an earlier compile rendered for it.
//!
//! A pair's Application is a function of its app, its cluster, the app's
//! team, the policies that placed it (in their order), the app's values for
//! that cluster, the settings a render reads, the user's templates and
//! fleetc itself. [`Inputs`] hashes each of those once and a pair's digest
//! from theirs. When an earlier compile rendered the pair from the same
//! digest ([`Reuse`]), its file is taken as it was: known by its digests,
//! never rendered, read or hashed again. An earlier render is kept sealed
//! ([`Prior`]): the digest it was made from is not kept, only a seal of it
//! with everything the render says, so an earlier render read from a deploy
//! branch (where anyone could have edited it) is taken only whole, for the
//! very same inputs. A compile that succeeded had no
//! error on that pair, and its errors, like its file, follow from the
//! digest's inputs alone; every check that spans pairs (names, files,
//! release names) still runs on every pair.
//!
//! The digests hash the checked model's `Debug` text, which names every
//! field: a field added to the model is in the digest without a word here.
//! Indices (of a cluster in an app's overrides, of a team) are part of that
//! text, so reordering the inventory renders again: safe, only slower. A
//! replica share is the one input that another cluster can change (its
//! weight, its placement), so each pair's shares are in its digest too.

use std::collections::HashMap;
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use super::Contexts;
use crate::check::{App, Inventory};
use crate::place::delivery::Plan;
use crate::place::matrix::{self, Pair};
use crate::render::tree::Known;

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// A SHA-256 digest cut to 128 bits: a seal (see [`Prior`]).
pub type Seal = [u8; 16];

/// What an earlier compile rendered for one pair, sealed: the seal binds
/// the digest of the pair's inputs then to everything else here, so that
/// the render is taken only for the very same inputs, and only as this
/// file. An entry edited by hand, cut short or copied from another pair
/// does not match its seal and is rendered again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prior {
    /// The seal of the inputs then with the fields below.
    pub seal: Seal,
    /// The Application's name then.
    pub name: String,
    /// Its file's path then.
    pub path: String,
    /// Names of the policies that placed it then.
    pub policies: Vec<String>,
    /// Its file, known by its digests.
    pub file: Known,
}

impl Prior {
    /// The render of `app` on `cluster` from `inputs`, sealed.
    pub fn new(
        (cluster, app): (&str, &str),
        inputs: &Hash,
        name: String,
        path: String,
        policies: Vec<String>,
        file: Known,
    ) -> Prior {
        let mut p = Prior {
            seal: [0; 16],
            name,
            path,
            policies,
            file,
        };
        p.seal = p.seal_for(cluster, app, inputs);
        p
    }

    /// What the seal of this render from `inputs` is.
    fn seal_for(&self, cluster: &str, app: &str, inputs: &Hash) -> Seal {
        let mut s = Sealer::new("application", inputs);
        for f in [cluster, app, &self.name, &self.path] {
            s.field(f.as_bytes());
        }
        s.field(&self.file.sha256);
        s.field(&self.file.blob);
        for p in &self.policies {
            s.field(p.as_bytes());
        }
        s.finish()
    }
}

/// A seal in the making: length-prefixed fields, so that no two lists of
/// fields hash alike.
struct Sealer(Sha256);

impl Sealer {
    fn new(what: &str, inputs: &Hash) -> Sealer {
        let mut s = Sealer(Sha256::new());
        s.field(b"fleetc seal 1");
        s.field(what.as_bytes());
        s.field(inputs);
        s
    }

    fn field(&mut self, bytes: &[u8]) {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }

    fn finish(self) -> Seal {
        let full: Hash = self.0.finalize().into();
        let mut seal = [0; 16];
        seal.copy_from_slice(&full[..16]);
        seal
    }
}

/// What one of a cluster's own files is (beside its Applications).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A team's AppProject on the cluster (per-cluster mode).
    Project,
    /// The cluster's platform AppProject or platform Application.
    Platform,
    /// A team namespace with its RoleBindings.
    Namespace,
    /// The cluster's root Application.
    Root,
}

impl Kind {
    /// Each kind's letter in the branch's records of renders.
    const LETTERS: [(Kind, char); 4] = [
        (Kind::Project, 'P'),
        (Kind::Platform, 'A'),
        (Kind::Namespace, 'N'),
        (Kind::Root, 'R'),
    ];

    pub(crate) fn letter(self) -> char {
        Self::LETTERS
            .iter()
            .find(|(k, _)| *k == self)
            .map_or('?', |(_, c)| *c)
    }

    pub(crate) fn from_letter(s: &str) -> Option<Kind> {
        Self::LETTERS
            .iter()
            .find(|(_, c)| s.len() == 1 && s.starts_with(*c))
            .map(|(k, _)| *k)
    }
}

/// What an earlier compile rendered of one cluster's own files, sealed
/// as [`Prior`] is: all of them or none (a file missing from the list
/// breaks the seal).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterPrior {
    /// The seal of their inputs then with the files.
    pub seal: Seal,
    /// Each file: what it is, its path, and its digests; in path order.
    pub files: Vec<(Kind, String, Known)>,
}

impl ClusterPrior {
    /// `cluster`'s own files rendered from `inputs`, sealed.
    pub fn new(
        cluster: &str,
        inputs: &Hash,
        mut files: Vec<(Kind, String, Known)>,
    ) -> ClusterPrior {
        files.sort_by(|a, b| a.1.cmp(&b.1));
        let mut p = ClusterPrior {
            seal: [0; 16],
            files,
        };
        p.seal = p.seal_for(cluster, inputs);
        p
    }

    fn seal_for(&self, cluster: &str, inputs: &Hash) -> Seal {
        let mut s = Sealer::new("cluster files", inputs);
        s.field(cluster.as_bytes());
        for (kind, path, known) in &self.files {
            s.field(kind.letter().to_string().as_bytes());
            s.field(path.as_bytes());
            s.field(&known.sha256);
            s.field(&known.blob);
        }
        s.finish()
    }
}

/// Earlier renders: Applications by (cluster name, app name), and each
/// cluster's own files by its name.
#[derive(Clone, Debug, Default)]
pub struct Reuse {
    /// By cluster, then app: looked up by borrowed names.
    pairs: HashMap<String, HashMap<String, Prior>>,
    clusters: HashMap<String, ClusterPrior>,
}

impl Reuse {
    /// Adds the earlier render of `app` on `cluster`.
    pub fn insert(&mut self, cluster: String, app: String, prior: Prior) {
        self.pairs.entry(cluster).or_default().insert(app, prior);
    }

    /// Adds the earlier render of `cluster`'s own files.
    pub fn insert_cluster(&mut self, cluster: String, prior: ClusterPrior) {
        self.clusters.insert(cluster, prior);
    }

    /// How many Applications, and how many clusters' own files.
    pub fn len(&self) -> (usize, usize) {
        let pairs = self.pairs.values().map(HashMap::len).sum();
        (pairs, self.clusters.len())
    }

    /// Whether it holds no render.
    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0)
    }

    /// Keeps only the renders whose every file `keep` accepts.
    pub fn retain(&mut self, keep: impl Fn(&str, &Known) -> bool + Sync) {
        use rayon::prelude::*;
        self.pairs
            .par_iter_mut()
            .for_each(|(_, apps)| apps.retain(|_, p| keep(&p.path, &p.file)));
        self.clusters
            .retain(|_, c| c.files.iter().all(|(_, path, k)| keep(path, k)));
    }

    /// The earlier render of the cluster's own files, if it came from the
    /// same inputs.
    pub(super) fn cluster(&self, cluster: &str, inputs: &Hash) -> Option<&ClusterPrior> {
        self.clusters
            .get(cluster)
            .filter(|p| p.seal == p.seal_for(cluster, inputs))
    }

    /// The earlier render of the pair, if it came from the same inputs.
    pub(super) fn get(&self, cluster: &str, app: &str, inputs: &Hash) -> Option<&Prior> {
        self.pairs
            .get(cluster)?
            .get(app)
            .filter(|p| p.seal == p.seal_for(cluster, app, inputs))
    }
}

/// The digests of everything a pair's render reads, but for the pair.
pub(super) struct Inputs {
    global: Hash,
    apps: Vec<Hash>,
    clusters: Vec<Hash>,
    teams: Vec<Hash>,
    policies: Vec<Hash>,
    /// Each team's apps' repositories (its AppProjects' sources, unless
    /// the team lists its own).
    team_repos: Vec<Hash>,
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
            team_repos: (0..inv.teams.len())
                .map(|t| {
                    let repos: std::collections::BTreeSet<&str> = inv
                        .apps
                        .iter()
                        .filter(|a| a.team == t)
                        .flat_map(|a| a.repo_urls())
                        .collect();
                    digest(&format!("{repos:?}"))
                })
                .collect(),
        }
    }

    /// The digest of what a cluster's own files are made of: the cluster,
    /// and the teams with Applications there (`teams`), each with its
    /// apps' repositories.
    pub(super) fn cluster(&self, ci: usize, teams: &std::collections::BTreeSet<usize>) -> Hash {
        let mut h = Sha256::new();
        h.update(self.global);
        h.update("cluster files");
        h.update(self.clusters[ci]);
        for &t in teams {
            h.update(self.teams[t]);
            h.update(self.team_repos[t]);
        }
        h.finalize().into()
    }

    /// The digest of the pair's inputs.
    pub(super) fn pair(&self, inv: &Inventory, plan: &Plan, pair: &Pair) -> Hash {
        let app = &inv.apps[pair.app];
        let mut h = Sha256::new();
        h.update(self.global);
        h.update(self.apps[pair.app]);
        h.update(self.clusters[pair.cluster]);
        h.update(self.teams[app.team]);
        for p in matrix::policy_order(inv, pair) {
            h.update(self.policies[p]);
        }
        match app.overrides.get(&pair.cluster) {
            Some(v) => h.update(format!("override {v:?}")),
            None => h.update("no override"),
        }
        // Its replica shares, which the other clusters' weights move.
        h.update(plan.pair_inputs(pair));
        // A patched Application is checked against its team's AppProject,
        // whose repositories are those of the team's other apps too.
        let patched = app.patches.contains_key(&pair.cluster)
            || pair
                .hits
                .iter()
                .any(|hit| inv.policies[hit.policy].patches.is_some());
        if patched {
            h.update(self.team_repos[app.team]);
        }
        h.finalize().into()
    }
}

/// fleetc itself: its version and its build (a hash of its sources and
/// templates, from `build.rs`), so that another build never takes this
/// one's renders.
pub(crate) fn fleetc_identity() -> &'static str {
    concat!(
        "fleetc ",
        env!("CARGO_PKG_VERSION"),
        " build ",
        env!("FLEETC_BUILD_ID")
    )
}
