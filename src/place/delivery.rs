//! Progressive delivery: each placed pair's revision (pins, ring rollouts,
//! per-cluster overrides), its replica share, and the patches of its
//! Application, in the precedence order of values (DESIGN §4).
//!
//! A pair's revision is decided by layers, lowest first, as its values are:
//! the app's `repo_branch` (its chart version with `chart`), the app's own
//! `rollout`, the placing policies by ascending priority then name (a
//! `revision` pin, or a `rollout`), and the app's `revisionOverrides` for the
//! cluster. A rollout layer sets its revision only on the clusters it has
//! reached (rings up to `promoted`; a cluster with no ring goes with the
//! last ring); elsewhere the layers beneath it decide, so a ring that waits
//! runs what it ran before the rollout began.
//!
//! Replica divisions are made once per (policy, app) over the clusters the
//! policy places the app on, and each share becomes a value layer right
//! after the policy's own values.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value};

use crate::base::error::{Diagnostic, Site};
use crate::check::{Cluster, Inventory, Patch, Replicas, Rollout, SourceType};
use crate::place::matrix::{self, Matrix, Pair};
use crate::place::replicas::{self, Division};

/// Who declares a revision layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Owner {
    /// The app (its `repo_branch`, `rollout` or `revisionOverrides`).
    App,
    /// A policy, by index.
    Policy(usize),
}

/// A rollout's hold on one pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Ring {
    pub(crate) owner: Owner,
    /// The cluster's ring (index in `order`); `None`: no ring, it goes
    /// with the last.
    pub(crate) ring: Option<usize>,
    /// Whether the rollout has reached it.
    pub(crate) reached: bool,
}

/// A pair's revision, and the rollout that decides it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Revision {
    pub(crate) value: String,
    /// The rollout that decides the pair, when the topmost layer that
    /// sets a revision is one (reached or waiting).
    pub(crate) ring: Option<Ring>,
}

/// The rollout an owner declares.
pub(crate) fn rollout_of<'a>(inv: &'a Inventory, pair: &Pair, owner: Owner) -> Option<&'a Rollout> {
    match owner {
        Owner::App => inv.apps[pair.app].rollout.as_ref(),
        Owner::Policy(p) => inv.policies[p].rollout.as_ref(),
    }
}

/// A rollout's name as the Application's annotation and the log give it:
/// `policy/NAME` or `app/NAME`.
pub(crate) fn owner_name(inv: &Inventory, pair: &Pair, owner: Owner) -> String {
    match owner {
        Owner::App => format!("app/{}", inv.apps[pair.app].name),
        Owner::Policy(p) => format!("policy/{}", inv.policies[p].name),
    }
}

/// One revision layer: who sets it, and how.
pub(crate) enum Layer<'a> {
    Base(&'a str),
    Pin(usize, &'a str),
    Rollout(Owner, &'a Rollout),
    Override(&'a str),
}

/// The revision layers of a pair, lowest first.
pub(crate) fn layers<'a>(inv: &'a Inventory, pair: &Pair) -> Vec<Layer<'a>> {
    let app = &inv.apps[pair.app];
    let mut out = vec![Layer::Base(&app.repo_branch)];
    if let Some(r) = &app.rollout {
        out.push(Layer::Rollout(Owner::App, r));
    }
    for p in matrix::policy_order(inv, pair) {
        let policy = &inv.policies[p];
        if let Some(rev) = &policy.revision {
            out.push(Layer::Pin(p, rev));
        }
        if let Some(r) = &policy.rollout {
            out.push(Layer::Rollout(Owner::Policy(p), r));
        }
    }
    if let Some(rev) = app.revision_overrides.get(&pair.cluster) {
        out.push(Layer::Override(rev));
    }
    out
}

impl Layer<'_> {
    /// What the layer is, in words, where it is written, and the revision
    /// it gives the pair (`None`: a rollout that has not reached it).
    pub(crate) fn describe(&self, inv: &Inventory, pair: &Pair) -> (String, Site, Option<String>) {
        let (app, cluster) = (&inv.apps[pair.app], &inv.clusters[pair.cluster]);
        match self {
            Layer::Base(rev) => (
                format!(
                    "app `{}` {}",
                    app.name,
                    if app.chart.is_some() {
                        "chart version (repo_branch)"
                    } else {
                        "repo_branch"
                    }
                ),
                app.site.key("repo_branch"),
                Some(rev.to_string()),
            ),
            Layer::Pin(p, rev) => (
                format!("policy `{}` revision", inv.policies[*p].name),
                inv.policies[*p].site.key("revision"),
                Some(rev.to_string()),
            ),
            Layer::Rollout(owner, r) => (
                format!(
                    "{} rollout",
                    match owner {
                        Owner::App => format!("app `{}`", app.name),
                        Owner::Policy(p) => format!("policy `{}`", inv.policies[*p].name),
                    }
                ),
                r.site.key("revision"),
                r.reached(r.ring_of(cluster)).then(|| r.revision.clone()),
            ),
            Layer::Override(rev) => (
                format!(
                    "app `{}` revisionOverrides for `{}`",
                    app.name, cluster.name
                ),
                app.site.key("revisionOverrides").key(&cluster.name),
                Some(rev.to_string()),
            ),
        }
    }
}

/// The pair's revision: the topmost layer that sets one.
pub(crate) fn revision(inv: &Inventory, pair: &Pair) -> Revision {
    decide(layers(inv, pair), &inv.clusters[pair.cluster])
}

/// The revision the layers beneath a rollout give a pair: what a ring
/// that waits runs.
pub(crate) fn beneath(inv: &Inventory, pair: &Pair, owner: Owner) -> String {
    let below = layers(inv, pair)
        .into_iter()
        .take_while(|l| !matches!(l, Layer::Rollout(o, _) if *o == owner));
    decide(below, &inv.clusters[pair.cluster]).value
}

/// The revision `layers` (lowest first) give a pair on `cluster`.
fn decide<'a>(layers: impl IntoIterator<Item = Layer<'a>>, cluster: &Cluster) -> Revision {
    let mut out = Revision {
        value: String::new(),
        ring: None,
    };
    for layer in layers {
        match layer {
            Layer::Base(rev) => out.value = rev.to_string(),
            // A pin or an override above a rollout takes the pair out of it.
            Layer::Pin(_, rev) | Layer::Override(rev) => {
                out = Revision {
                    value: rev.to_string(),
                    ring: None,
                };
            }
            Layer::Rollout(owner, r) => {
                let ring = r.ring_of(cluster);
                let reached = r.reached(ring);
                if reached {
                    out.value = r.revision.clone();
                }
                out.ring = Some(Ring {
                    owner,
                    ring,
                    reached,
                });
            }
        }
    }
    out
}

/// Compares two revisions as versions (`v1.2.3`, `2.15.0-rc.1`): `None`
/// when either is not one (a branch, a commit).
pub(crate) fn compare_versions(a: &str, b: &str) -> Option<Ordering> {
    fn parse(s: &str) -> Option<(Vec<u64>, Option<&str>)> {
        let s = s.strip_prefix('v').unwrap_or(s);
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (s.split('+').next().unwrap_or(s), None),
        };
        let core = core.split('+').next().unwrap_or(core);
        let nums: Option<Vec<u64>> = core.split('.').map(|n| n.parse().ok()).collect();
        nums.filter(|n| !n.is_empty()).map(|n| (n, pre))
    }
    let (a, b) = (parse(a)?, parse(b)?);
    let len = a.0.len().max(b.0.len());
    let pad = |v: &Vec<u64>| {
        let mut v = v.clone();
        v.resize(len, 0);
        v
    };
    Some(pad(&a.0).cmp(&pad(&b.0)).then(match (a.1, b.1) {
        (None, None) => Ordering::Equal,
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (Some(x), Some(y)) => x.cmp(y),
    }))
}

/// One policy's replica share of a pair: the layer that puts it at the
/// policy's `replicas.path`.
#[derive(Debug)]
struct PairShare {
    policy: usize,
    layer: Value,
}

/// Replica shares and the patches of a compile, made once from the
/// matrix.
#[derive(Debug, Default)]
pub struct Plan {
    /// Each (policy, app) division, over the clusters it places the app on.
    pub(crate) divisions: BTreeMap<(usize, usize), Division>,
    /// Each pair's shares, by (cluster, app).
    shares: HashMap<(usize, usize), Vec<PairShare>>,
}

impl Plan {
    /// The share layer that policy `p` adds to the pair's values (a
    /// chart's) or Kustomize settings.
    pub(crate) fn share(&self, pair: &Pair, p: usize) -> Option<&Value> {
        self.shares
            .get(&(pair.cluster, pair.app))?
            .iter()
            .find(|s| s.policy == p)
            .map(|s| &s.layer)
    }

    /// What of the plan a pair's render reads, beyond its own inputs (its
    /// shares depend on the other clusters): for the render's digest.
    pub(crate) fn pair_inputs(&self, pair: &Pair) -> String {
        match self.shares.get(&(pair.cluster, pair.app)) {
            Some(s) => format!("{s:?}"),
            None => String::new(),
        }
    }
}

/// Makes the divisions, and checks what spans pairs: same-priority policies
/// that disagree on a revision, and rollouts that would go backwards.
pub(crate) fn plan(inv: &Inventory, matrix: &Matrix) -> (Plan, Vec<Diagnostic>) {
    let mut plan = Plan::default();
    let mut diags = Vec::new();
    // Division members: (policy, app) → clusters, in cluster order.
    let mut members: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    let mut conflicts: BTreeMap<(usize, usize), (usize, usize)> = BTreeMap::new();
    let mut backwards: BTreeMap<Owner, (String, String, Vec<usize>)> = BTreeMap::new();
    for pair in &matrix.placed {
        for h in &pair.hits {
            if inv.policies[h.policy].replicas.is_some() {
                members
                    .entry((h.policy, pair.app))
                    .or_default()
                    .push(pair.cluster);
            }
        }
        // Two policies of one priority that set different revisions.
        for (p, q) in matrix::same_priority(inv, pair) {
            let (pp, qp) = (&inv.policies[p], &inv.policies[q]);
            let set = |x: &crate::check::Policy| {
                x.revision.clone().or_else(|| {
                    x.rollout
                        .as_ref()
                        .map(|r| format!("rollout {:?}", r.revision))
                })
            };
            if let (Some(a), Some(b)) = (set(pp), set(qp)) {
                if a != b || pp.rollout.is_some() || qp.rollout.is_some() {
                    conflicts.entry((p, q)).or_insert((pair.cluster, pair.app));
                }
            }
        }
        // A rollout to an older version than the rings run.
        let rev = revision(inv, pair);
        if let Some(ring) = &rev.ring {
            if let Some(r) = rollout_of(inv, pair, ring.owner).filter(|r| !r.downgrade) {
                let now = beneath(inv, pair, ring.owner);
                if compare_versions(&r.revision, &now) == Some(Ordering::Less) {
                    backwards
                        .entry(ring.owner)
                        .or_insert_with(|| {
                            (now.clone(), inv.apps[pair.app].name.clone(), Vec::new())
                        })
                        .2
                        .push(pair.cluster);
                }
            }
        }
    }
    revision_conflicts(inv, conflicts, &mut diags);
    for (owner, (now, app, clusters)) in backwards {
        let (r, who) = match owner {
            Owner::App => {
                let ai = inv.app(&app).unwrap_or(0);
                (inv.apps[ai].rollout.as_ref(), format!("app `{app}`"))
            }
            Owner::Policy(p) => (
                inv.policies[p].rollout.as_ref(),
                format!("policy `{}`", inv.policies[p].name),
            ),
        };
        let Some(r) = r else { continue };
        diags.push(
            Diagnostic::at(
                r.site.key("revision"),
                format!(
                    "the rollout of {who} goes back from `{now}` to `{}`: app `{app}` runs `{now}` on {} cluster{} it covers (`{}`{})",
                    r.revision,
                    clusters.len(),
                    if clusters.len() == 1 { "" } else { "s" },
                    inv.clusters[clusters[0]].name,
                    if clusters.len() > 1 { ", …" } else { "" }
                ),
            )
            .help("a rollback through rings must say so: add `downgrade: true` to `rollout`; or set the revision you meant"),
        );
    }
    for ((p, ai), clusters) in members {
        let Some(rep) = &inv.policies[p].replicas else {
            continue;
        };
        if let Some(d) = share_nowhere(inv, p, ai, rep) {
            diags.push(d);
            continue;
        }
        let weighed: Vec<(&str, u64)> = clusters
            .iter()
            .map(|&ci| {
                (
                    inv.clusters[ci].name.as_str(),
                    rep.weights.of(ci, &inv.clusters[ci]),
                )
            })
            .collect();
        let division = replicas::divide(rep.total, rep.min, rep.max, &weighed);
        for &ci in &clusters {
            let name = inv.clusters[ci].name.as_str();
            let Ok(i) = division
                .shares
                .binary_search_by(|s| s.name.as_str().cmp(name))
            else {
                continue;
            };
            let share = division.shares[i].share;
            // A chart's values at `path`; a Kustomize app's
            // `kustomize.replicas` of the workload `path` names.
            let layer = if inv.apps[ai].source_type == Some(SourceType::Kustomize) {
                serde_json::json!({"replicas": {rep.path.join("."): share}})
            } else {
                let mut layer = Value::from(share);
                for key in rep.path.iter().rev() {
                    let mut m = Map::new();
                    m.insert(key.clone(), layer);
                    layer = Value::Object(m);
                }
                layer
            };
            plan.shares
                .entry((ci, ai))
                .or_default()
                .push(PairShare { policy: p, layer });
        }
        plan.divisions.insert((p, ai), division);
    }
    (plan, diags)
}

/// Each pair of same-priority policies that set different revisions, with
/// the first (cluster, app) they meet on.
fn revision_conflicts(
    inv: &Inventory,
    conflicts: BTreeMap<(usize, usize), (usize, usize)>,
    diags: &mut Vec<Diagnostic>,
) {
    for ((p, q), (ci, ai)) in conflicts {
        let (pp, qp) = (&inv.policies[p], &inv.policies[q]);
        let field = if pp.rollout.is_some() {
            "rollout"
        } else {
            "revision"
        };
        let sets = |x: &crate::check::Policy| match (&x.revision, &x.rollout) {
            (Some(r), _) => format!("`{}` pins {r}", x.name),
            (None, Some(r)) => format!("`{}` rolls out {}", x.name, r.revision),
            _ => format!("`{}`", x.name),
        };
        diags.push(
            Diagnostic::at(
                pp.site.key(field),
                format!(
                    "policies `{}` and `{}` (both priority {}) both set the revision of app `{}` on cluster `{}`: {} and {}",
                    pp.name, qp.name, pp.priority, inv.apps[ai].name, inv.clusters[ci].name, sets(pp), sets(qp)
                ),
            )
            .help(format!(
                "give one of them a higher `priority` (the other is in {}), or set the revision in one place",
                qp.site.file.display()
            )),
        );
    }
}

/// Where a replica share cannot go: into a Helm chart's values at `path`,
/// or a Kustomize app's `kustomize.replicas` entry of the workload `path`
/// names; a folder of manifests, or an app whose type Argo CD detects,
/// has neither.
fn share_nowhere(inv: &Inventory, p: usize, ai: usize, rep: &Replicas) -> Option<Diagnostic> {
    let (policy, app) = (&inv.policies[p], &inv.apps[ai]);
    let path = rep.path.join(".");
    let (message, help) = match app.source_type {
        Some(SourceType::Helm) => return None,
        Some(SourceType::Kustomize) => {
            let e = crate::rules::k8s::dns1123_subdomain(&path).err()?;
            (
                format!(
                    "policy `{}` divides replicas of app `{}`, a Kustomize app, whose share goes to `kustomize.replicas` under the workload `{path}`; that is not a workload's name: {e}",
                    policy.name, app.name
                ),
                "set `replicas.path` to the name of the app's Deployment or StatefulSet, or leave the app out of this policy".to_string(),
            )
        }
        ty => (
            format!(
                "policy `{}` divides replicas of app `{}`, {}: its Applications have no values or `kustomize.replicas` to take a share",
                policy.name,
                app.name,
                match ty {
                    Some(t) => t.what(),
                    None => "whose type Argo CD detects (no `source_type`)",
                }
            ),
            format!(
                "give app `{}` a `source_type` of `helm` or `kustomize`, or narrow the policy's `app_selector`",
                app.name
            ),
        ),
    };
    Some(Diagnostic::at(rep.site.key("path"), message).help(help))
}

/// The patches of a pair's Application in the order they apply: the
/// placing policies' by ascending priority then name, then the app's for
/// the cluster; with who wrote each.
pub(crate) fn patches<'a>(inv: &'a Inventory, pair: &Pair) -> Vec<(String, &'a Patch)> {
    let mut out = Vec::new();
    for p in matrix::policy_order(inv, pair) {
        if let Some(patch) = &inv.policies[p].patches {
            out.push((format!("policy `{}`", inv.policies[p].name), patch));
        }
    }
    let app = &inv.apps[pair.app];
    if let Some(patch) = app.patches.get(&pair.cluster) {
        out.push((
            format!(
                "app `{}` patches for `{}`",
                app.name, inv.clusters[pair.cluster].name
            ),
            patch,
        ));
    }
    out
}

/// One rollout among the pairs: a policy's, or an app's own (`app`: that
/// app, as [`Owner::App`] means whichever app the pair is of).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct RolloutId {
    pub(crate) owner: Owner,
    pub(crate) app: Option<usize>,
}

/// A placed pair a rollout decides, with its revision and ring.
pub(crate) type Decided<'a> = (&'a Pair, Revision, Ring);

/// Every rollout's pairs, in one pass over the placed pairs.
pub(crate) fn by_rollout<'a>(
    inv: &Inventory,
    matrix: &'a Matrix,
) -> BTreeMap<RolloutId, Vec<Decided<'a>>> {
    let mut out: BTreeMap<RolloutId, Vec<Decided<'a>>> = BTreeMap::new();
    for pair in &matrix.placed {
        let rev = revision(inv, pair);
        let Some(ring) = rev.ring.clone() else {
            continue;
        };
        let id = RolloutId {
            owner: ring.owner,
            app: (ring.owner == Owner::App).then_some(pair.app),
        };
        out.entry(id).or_default().push((pair, rev, ring));
    }
    out
}

/// The pairs one rollout decides.
pub(crate) fn decided<'a>(inv: &Inventory, matrix: &'a Matrix, id: RolloutId) -> Vec<Decided<'a>> {
    matrix
        .placed
        .iter()
        .filter(|p| id.app.is_none_or(|a| a == p.app))
        .filter_map(|p| {
            let rev = revision(inv, p);
            let ring = rev.ring.clone().filter(|r| r.owner == id.owner)?;
            Some((p, rev, ring))
        })
        .collect()
}

/// The clusters each ring of a rollout holds among the pairs it decides
/// (for `promote`): ring index (or `None`: no ring) → clusters.
pub(crate) fn rings(decided: &[Decided]) -> BTreeMap<Option<usize>, BTreeSet<usize>> {
    let mut out: BTreeMap<Option<usize>, BTreeSet<usize>> = BTreeMap::new();
    for (pair, _, ring) in decided {
        out.entry(ring.ring).or_default().insert(pair.cluster);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::compare_versions;
    use std::cmp::Ordering::*;

    #[test]
    fn versions_compare_as_versions_and_branches_do_not() {
        assert_eq!(compare_versions("2.14.0", "2.15.0"), Some(Less));
        assert_eq!(compare_versions("v2.15.0", "2.15"), Some(Equal));
        assert_eq!(compare_versions("2.15.0-rc.1", "2.15.0"), Some(Less));
        assert_eq!(compare_versions("10.0.0", "9.9.9"), Some(Greater));
        assert_eq!(compare_versions("main", "2.15.0"), None);
        assert_eq!(compare_versions("HEAD", "HEAD"), None);
    }
}
