//! The fourth stage, merge: the layers of a placed pair's values, in
//! precedence order (DESIGN §4), folded by Helm's rules ([`crate::rules::helm`]),
//! and the rule that two policies of one priority may not disagree.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use serde_json::Value;

use crate::base::error::{pointer_path, Diagnostic, Site};
use crate::check::{Inventory, SourceType};
use crate::place::delivery::Plan;
use crate::place::matrix::{self, Pair};
use crate::rules::helm;

/// The layers of one pair's values, lowest precedence first.
pub struct Layers<'a> {
    /// Each layer's values.
    pub values: Vec<&'a Value>,
    /// For each layer: what it is (`app values`, `policy x`, ...) and where.
    pub origins: Vec<(String, Site)>,
}

impl Layers<'_> {
    /// Who wrote the merged leaf at `pointer`, and where: the layer's
    /// description, and its site extended to the leaf (lists are leaves,
    /// so an item's pointer extends its list's). `None` when no layer did.
    pub fn origin(&self, pointer: &str) -> Option<(String, Site)> {
        let (merged, origins) = helm::merge_traced(&self.values);
        let o = origins
            .iter()
            .filter(|o| pointer == o.pointer || pointer.starts_with(&format!("{}/", o.pointer)))
            .max_by_key(|o| o.pointer.len())?;
        let (what, site) = &self.origins[o.layer];
        let mut site = site.clone();
        site.path.extend(pointer_path(&merged, pointer));
        Some((what.clone(), site))
    }
}

/// The value layers of a placed pair in precedence order (DESIGN §4):
/// app values, placing policies by ascending priority then name (each
/// policy's values, then its replica share), cluster values, the app's
/// override for the cluster. Only a Helm chart has values: policies' and
/// clusters' values reach no app of another type.
pub fn layers<'a>(inv: &'a Inventory, plan: &'a Plan, pair: &Pair) -> Layers<'a> {
    let app = &inv.apps[pair.app];
    let cluster = &inv.clusters[pair.cluster];
    let mut out = Layers {
        values: Vec::new(),
        origins: Vec::new(),
    };
    if !app.is_helm() {
        return out;
    }
    if let Some(v) = &app.values {
        out.values.push(v);
        out.origins
            .push((format!("app `{}` values", app.name), app.site.key("values")));
    }
    for pi in matrix::policy_order(inv, pair) {
        let p = &inv.policies[pi];
        if let Some(v) = &p.values {
            out.values.push(v);
            out.origins
                .push((format!("policy `{}` values", p.name), p.site.key("values")));
        }
        if let Some(v) = plan.share(pair, pi) {
            out.values.push(v);
            out.origins.push((
                format!("policy `{}` replica share", p.name),
                p.site.key("replicas"),
            ));
        }
    }
    if let Some(v) = &cluster.values {
        out.values.push(v);
        out.origins.push((
            format!("cluster `{}` values", cluster.name),
            cluster.site.key("values"),
        ));
    }
    if let Some(v) = app.overrides.get(&pair.cluster) {
        out.values.push(v);
        out.origins.push((
            format!("app `{}` valueOverrides for `{}`", app.name, cluster.name),
            app.site.key("valueOverrides").key(&cluster.name),
        ));
    }
    out
}

/// The layers of a placed pair's settings of its source type, in the
/// precedence of values: the app's, the placing policies' by ascending
/// priority then name (each policy's settings, then, for a Kustomize app,
/// its replica share), the cluster's, the app's for the cluster
/// (`kustomizeOverrides`). Empty for an app whose type Argo CD detects.
pub fn tool_layers<'a>(inv: &'a Inventory, plan: &'a Plan, pair: &Pair) -> Layers<'a> {
    let app = &inv.apps[pair.app];
    let cluster = &inv.clusters[pair.cluster];
    let mut out = Layers {
        values: Vec::new(),
        origins: Vec::new(),
    };
    let Some(ty) = app.source_type else {
        return out;
    };
    let key = |site: &Site| ty.site_in(site);
    // Who wrote a layer is named only for the layers there are: this runs
    // for every pair.
    let mut push = |v: Option<&'a Value>, origin: &dyn Fn() -> (String, Site)| {
        if let Some(v) = v {
            out.values.push(v);
            out.origins.push(origin());
        }
    };
    let t = match ty {
        SourceType::Helm => "value files",
        _ => ty.name(),
    };
    push(app.tools.get(ty), &|| {
        (format!("app `{}` {t}", app.name), key(&app.site))
    });
    // Most pairs' policies write no settings: then their order is not needed.
    let any = pair.hits.iter().any(|h| {
        inv.policies[h.policy].tools.get(ty).is_some()
            || (ty == SourceType::Kustomize && plan.share(pair, h.policy).is_some())
    });
    for pi in if any {
        matrix::policy_order(inv, pair)
    } else {
        Vec::new()
    } {
        let p = &inv.policies[pi];
        push(p.tools.get(ty), &|| {
            (format!("policy `{}` {t}", p.name), key(&p.site))
        });
        if ty == SourceType::Kustomize {
            push(plan.share(pair, pi), &|| {
                (
                    format!("policy `{}` replica share", p.name),
                    p.site.key("replicas"),
                )
            });
        }
    }
    push(cluster.tools.get(ty), &|| {
        (
            format!("cluster `{}` {t}", cluster.name),
            key(&cluster.site),
        )
    });
    // Only Kustomize settings have per-cluster overrides of their own.
    let overrides = app
        .tool_overrides
        .get(&pair.cluster)
        .and_then(|o| o.get(ty));
    push(overrides, &|| {
        (
            format!(
                "app `{}` kustomizeOverrides for `{}`",
                app.name, cluster.name
            ),
            app.site.key("kustomizeOverrides").key(&cluster.name),
        )
    });
    out
}

/// Where two policies disagree: the JSON pointers, and the first cluster and
/// app they meet on.
type Conflict = (Vec<String>, usize, usize);

/// What two policies may disagree on: their values, or their settings of
/// a source type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Part {
    Values,
    Tools(SourceType),
}

impl Part {
    fn of(self, p: &crate::check::Policy) -> Option<&Value> {
        match self {
            Part::Values => p.values.as_ref(),
            Part::Tools(t) => p.tools.get(t),
        }
    }

    /// The key of the policy's document it is under, and how a leaf's path
    /// is named.
    fn key(self) -> (&'static str, &'static str) {
        match self {
            Part::Values => ("values", ""),
            Part::Tools(SourceType::Helm) => ("", ""),
            Part::Tools(t) => (t.name(), t.name()),
        }
    }
}

/// Pairs of same-priority policies that set one leaf differently, found once
/// per policy pair, reported with the first (cluster, app) they meet on.
#[derive(Default)]
pub struct Conflicts {
    seen: Mutex<HashMap<(usize, usize, Part), Vec<String>>>,
    found: Mutex<BTreeMap<(usize, usize, Part), Conflict>>,
}

impl Conflicts {
    /// Records the leaves that same-priority policies placing `pair` set
    /// differently (values, and settings of the app's source type).
    pub fn check(&self, inv: &Inventory, pair: &Pair) {
        // Values reach Helm charts only, and settings apps of their type.
        let Some(ty) = inv.apps[pair.app].source_type else {
            return;
        };
        let parts: &[Part] = match ty {
            SourceType::Helm => &[Part::Values, Part::Tools(SourceType::Helm)],
            SourceType::Kustomize => &[Part::Tools(SourceType::Kustomize)],
            SourceType::Directory => &[Part::Tools(SourceType::Directory)],
        };
        for (p, q) in matrix::same_priority(inv, pair) {
            let (pp, qp) = (&inv.policies[p], &inv.policies[q]);
            for &part in parts {
                let (Some(pv), Some(qv)) = (part.of(pp), part.of(qp)) else {
                    continue;
                };
                let paths = {
                    let mut seen = self.seen.lock().unwrap();
                    seen.entry((p, q, part))
                        .or_insert_with(|| helm::conflicts(pv, qv))
                        .clone()
                };
                if !paths.is_empty() {
                    // Report the first pair in matrix order, whatever thread saw it first.
                    let mut found = self.found.lock().unwrap();
                    let entry =
                        found
                            .entry((p, q, part))
                            .or_insert((paths, pair.cluster, pair.app));
                    if (pair.cluster, pair.app) < (entry.1, entry.2) {
                        entry.1 = pair.cluster;
                        entry.2 = pair.app;
                    }
                }
            }
        }
    }

    /// One error per conflicting policy pair, naming both policies' files.
    pub fn into_diagnostics(self, inv: &Inventory) -> Vec<Diagnostic> {
        let found = self.found.into_inner().unwrap();
        found
            .into_iter()
            .map(|((p, q, part), (paths, ci, ai))| {
                let (cluster, app) = (&inv.clusters[ci].name, &inv.apps[ai].name);
                let (pp, qp) = (&inv.policies[p], &inv.policies[q]);
                let values = part.of(pp).unwrap_or(&Value::Null);
                let (key, prefix) = part.key();
                let named = |path: Vec<crate::base::error::Seg>| {
                    let dotted = crate::base::error::dotted(&path);
                    if prefix.is_empty() {
                        dotted
                    } else {
                        format!("{prefix}.{dotted}")
                    }
                };
                let leaves: Vec<String> = paths
                    .iter()
                    .map(|ptr| format!("`{}`", named(pointer_path(values, ptr))))
                    .collect();
                let first = pointer_path(values, &paths[0]);
                let mut site = if key.is_empty() {
                    pp.site.clone()
                } else {
                    pp.site.key(key)
                };
                site.path.extend(first);
                Diagnostic::at(
                    site,
                    format!(
                        "policies `{}` and `{}` (both priority {}) set {} differently, and both place app `{app}` on cluster `{cluster}`",
                        pp.name,
                        qp.name,
                        pp.priority,
                        leaves.join(", ")
                    ),
                )
                .help(format!(
                    "give one of them a higher `priority` (the other is in {}), or set the value in one place",
                    qp.site.file.display()
                ))
            })
            .collect()
    }
}
