//! Placing: target policies × clusters × apps → the placed pairs.
//!
//! Each policy's selectors are evaluated once against every cluster and once
//! against every app (policies × (clusters + apps) matches), never against
//! every pair. A pair is placed when some policy selects both its cluster and
//! its app and no `exclude` policy selects it. Every placed pair keeps which
//! policies placed it and how each selected the cluster; excluded pairs keep
//! which exclusion took them out.

use std::collections::BTreeSet;

use crate::base::error::{Diagnostic, Seg};
use crate::check::{Inventory, Lifecycle};

/// How a policy selected a cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ClusterReason {
    /// Named in the policy's `clusters` list.
    Listed,
    /// Matched the policy's `cluster_selector`.
    Selector,
    /// Both listed and matched.
    ListedAndSelector,
}

/// One policy's part in a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    /// The policy, by index in [`Inventory::policies`].
    pub policy: usize,
    /// How it selected the cluster.
    pub reason: ClusterReason,
}

/// A (cluster, app) pair and the policies that placed it, by policy index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    /// The cluster, by index.
    pub cluster: usize,
    /// The app, by index.
    pub app: usize,
    /// The policies that placed it, by policy index (of an excluded pair:
    /// the exclusions).
    pub hits: Vec<Hit>,
}

impl Pair {
    /// The names of the policies that placed (or excluded) the pair, in
    /// their order.
    pub(crate) fn policy_names(&self, inv: &Inventory) -> Vec<String> {
        self.hits
            .iter()
            .map(|h| inv.policies[h.policy].name.clone())
            .collect()
    }
}

/// The placed pairs, sorted by cluster then app, and the pairs that policies
/// placed but an exclusion took out (their `hits` are the exclusions).
#[derive(Clone, Debug, Default)]
pub struct Matrix {
    /// The placed pairs.
    pub placed: Vec<Pair>,
    /// The pairs that policies placed but an exclusion took out.
    pub excluded: Vec<Pair>,
    /// The pairs policies place on a cluster whose `lifecycle` holds
    /// them: onboarding (by policies without `onboarding: true`) or
    /// draining. Their `hits` are the placing policies.
    pub held: Vec<Pair>,
    /// For each policy, the clusters it selects, with how.
    pub policy_clusters: Vec<Vec<(usize, ClusterReason)>>,
    /// For each policy, the apps it selects.
    pub policy_apps: Vec<Vec<usize>>,
}

impl Matrix {
    /// The excluded pair for (cluster, app), if an exclusion took it out.
    pub fn excluded_at(&self, cluster: usize, app: usize) -> Option<&Pair> {
        self.excluded
            .binary_search_by(|p| (p.cluster, p.app).cmp(&(cluster, app)))
            .ok()
            .map(|i| &self.excluded[i])
    }

    /// The held pair for (cluster, app), if its cluster's lifecycle holds it.
    pub fn held_at(&self, cluster: usize, app: usize) -> Option<&Pair> {
        self.held
            .binary_search_by(|p| (p.cluster, p.app).cmp(&(cluster, app)))
            .ok()
            .map(|i| &self.held[i])
    }

    /// The placed pair for (cluster, app), if placed.
    pub fn get(&self, cluster: usize, app: usize) -> Option<&Pair> {
        self.placed
            .binary_search_by(|p| (p.cluster, p.app).cmp(&(cluster, app)))
            .ok()
            .map(|i| &self.placed[i])
    }
}

/// Evaluates every policy and assembles the matrix.
pub(crate) fn place(inv: &Inventory) -> Matrix {
    let mut policy_clusters = Vec::with_capacity(inv.policies.len());
    let mut policy_apps = Vec::with_capacity(inv.policies.len());
    for policy in &inv.policies {
        let mut clusters = Vec::new();
        let mut listed = policy.clusters.iter().peekable();
        for (ci, cluster) in inv.clusters.iter().enumerate() {
            let is_listed = listed.next_if(|&&l| l == ci).is_some();
            let selected = policy
                .cluster_selector
                .as_ref()
                .is_some_and(|s| s.matches(&cluster.labels));
            let reason = match (is_listed, selected) {
                (true, true) => ClusterReason::ListedAndSelector,
                (true, false) => ClusterReason::Listed,
                (false, true) => ClusterReason::Selector,
                (false, false) => continue,
            };
            clusters.push((ci, reason));
        }
        let apps: Vec<usize> = inv
            .apps
            .iter()
            .enumerate()
            .filter(|(_, app)| policy.team.is_none_or(|t| t == app.team))
            .filter(|(_, app)| policy.app_selector.matches(&app.labels))
            .map(|(ai, _)| ai)
            .collect();
        policy_clusters.push(clusters);
        policy_apps.push(apps);
    }

    // Invert to: for each cluster, the policies that select it.
    let mut by_cluster: Vec<Vec<Hit>> = vec![Vec::new(); inv.clusters.len()];
    for (pi, clusters) in policy_clusters.iter().enumerate() {
        for &(ci, reason) in clusters {
            by_cluster[ci].push(Hit { policy: pi, reason });
        }
    }

    let mut placed = Vec::new();
    let mut excluded = Vec::new();
    let mut held = Vec::new();
    let mut places: Vec<Vec<Hit>> = vec![Vec::new(); inv.apps.len()];
    let mut excludes: Vec<Vec<Hit>> = vec![Vec::new(); inv.apps.len()];
    let mut touched: Vec<usize> = Vec::new();
    for (ci, hits) in by_cluster.iter().enumerate() {
        for hit in hits {
            let exclude = inv.policies[hit.policy].exclude;
            for &ai in &policy_apps[hit.policy] {
                if places[ai].is_empty() && excludes[ai].is_empty() {
                    touched.push(ai);
                }
                if exclude {
                    excludes[ai].push(*hit);
                } else {
                    places[ai].push(*hit);
                }
            }
        }
        touched.sort_unstable();
        for &ai in &touched {
            let p = std::mem::take(&mut places[ai]);
            let x = std::mem::take(&mut excludes[ai]);
            if p.is_empty() {
                continue;
            }
            if x.is_empty() {
                let pair = Pair {
                    cluster: ci,
                    app: ai,
                    hits: p,
                };
                let holds = match inv.clusters[ci].lifecycle {
                    Lifecycle::Active => false,
                    Lifecycle::Draining => true,
                    Lifecycle::Onboarding => {
                        !pair.hits.iter().any(|h| inv.policies[h.policy].onboarding)
                    }
                };
                if holds {
                    held.push(pair);
                } else {
                    placed.push(pair);
                }
            } else {
                excluded.push(Pair {
                    cluster: ci,
                    app: ai,
                    hits: x,
                });
            }
        }
        touched.clear();
    }
    Matrix {
        placed,
        excluded,
        held,
        policy_clusters,
        policy_apps,
    }
}

/// Why a held pair on cluster `ci` is held, in the words `explain`,
/// `diff`, the log and `status` use: `drained: …` or `held: …`.
pub(crate) fn held_reason(inv: &Inventory, ci: usize) -> String {
    let name = &inv.clusters[ci].name;
    match inv.clusters[ci].lifecycle {
        Lifecycle::Draining => format!("drained: cluster `{name}` is draining"),
        _ => format!(
            "held: cluster `{name}` is onboarding, and no policy placing the app says `onboarding: true`"
        ),
    }
}

/// Each placed app's dependencies must be placed on the same cluster.
pub(crate) fn check_dependencies(inv: &Inventory, matrix: &Matrix) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let mut reported = BTreeSet::new();
    for pair in &matrix.placed {
        let app = &inv.apps[pair.app];
        for (i, &dep) in app.depends_on.iter().enumerate() {
            if matrix.get(pair.cluster, dep).is_none() && reported.insert((pair.app, dep)) {
                let cluster = &inv.clusters[pair.cluster];
                diags.push(
                    Diagnostic::at(
                        app.site.key("depends_on").at(Seg::Index(i)),
                        format!(
                            "app `{}` depends on `{}`, which is not placed on cluster `{}`",
                            app.name, inv.apps[dep].name, cluster.name
                        ),
                    )
                    .help(format!(
                        "place `{}` wherever `{}` goes (add it to the same policy), or remove the dependency",
                        inv.apps[dep].name, app.name
                    )),
                );
            }
        }
    }
    diags
}

/// The placing policies of `pair` that share a priority, two by two, each
/// pair once and in [`policy_order`].
pub(crate) fn same_priority(inv: &Inventory, pair: &Pair) -> Vec<(usize, usize)> {
    let order = policy_order(inv, pair);
    let mut out = Vec::new();
    for (i, &p) in order.iter().enumerate() {
        for &q in &order[i + 1..] {
            if inv.policies[p].priority != inv.policies[q].priority {
                break;
            }
            out.push((p, q));
        }
    }
    out
}

/// The placing policies of a pair by ascending priority, then name.
pub fn policy_order(inv: &Inventory, pair: &Pair) -> Vec<usize> {
    let mut order: Vec<usize> = pair.hits.iter().map(|h| h.policy).collect();
    // Policies are sorted by name, so index order is name order.
    order.sort_by_key(|&p| (inv.policies[p].priority, p));
    order
}
