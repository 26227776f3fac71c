//! Progressive delivery in the inventory: revision pins, ring rollouts,
//! JSON patches and replica divisions, as policies and apps write them.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Gate, Index, Patch, Replicas, Rollout, Weights};
use crate::base::error::{Diagnostic, Seg, Site};
use crate::base::suggest;
use crate::load::raw::{RawReplicas, RawRollout};
use crate::rules::k8s;

/// Where a patch may not write, and why: what makes the document an
/// Application, names it, puts it where Argo CD keeps Applications and in
/// its team's project (the five).
const PROTECTED: &[(&str, &str, &str)] = &[
    (
        "/apiVersion",
        "it makes the document something other than an Argo CD Application",
        "remove the operation: patches change an Application's fields",
    ),
    (
        "/kind",
        "it makes the document something other than an Argo CD Application",
        "remove the operation: patches change an Application's fields",
    ),
    (
        "/metadata/name",
        "fleetc names the Application, and another name is another Application (Argo CD deletes the old one)",
        "change `application_name` in fleetc.yaml, or the app's name or the cluster's `shortName`",
    ),
    (
        "/metadata/namespace",
        "Argo CD keeps its Applications in one namespace, `argocd_namespace`",
        "set `argocd_namespace` in fleetc.yaml",
    ),
    (
        "/spec/project",
        "the project is the app's team's AppProject, whose rules fleetc checks the Application against",
        "move the app to another team with its `namespace:`",
    ),
];

/// Why a patch may not write at `tokens`: at, above or below a protected
/// place, or at one of fleetc's own labels and annotations. The pointer
/// protected, the reason and the fix.
fn protected(tokens: &[String]) -> Option<(String, &'static str, &'static str)> {
    for (p, why, fix) in PROTECTED {
        let want: Vec<&str> = p.split('/').skip(1).collect();
        let n = want.len().min(tokens.len());
        if want[..n].iter().zip(&tokens[..n]).all(|(a, b)| a == b) {
            return Some(((*p).to_string(), why, fix));
        }
    }
    if let [m, kind, key, ..] = tokens {
        let fleetc_own = key.starts_with("fleetc.io/") || key == "app.kubernetes.io/managed-by";
        if m == "metadata" && (kind == "labels" || kind == "annotations") && fleetc_own {
            return Some((
                format!(
                    "/metadata/{kind}/{}",
                    key.replace('~', "~0").replace('/', "~1")
                ),
                "fleetc sets it and reads it back (diff, log, the removal guard)",
                "add a label or annotation of your own instead",
            ));
        }
    }
    None
}

/// `patches:`: a list of RFC 6902 operations, none writing where fleetc
/// forbids it.
pub(super) fn patch(v: &Value, site: &Site, diags: &mut Vec<Diagnostic>) -> Option<Patch> {
    const EXAMPLE: &str =
        "write a list of RFC 6902 operations, e.g. `- {op: add, path: /spec/ignoreDifferences, value: [...]}`";
    if !v.is_array() {
        let what = match v {
            Value::Object(_) => "a mapping",
            Value::String(_) => "text",
            Value::Null => "empty",
            _ => "a single value",
        };
        diags.push(
            Diagnostic::at(
                site.clone(),
                format!("`patches` must be a list of operations, but this is {what}"),
            )
            .help(EXAMPLE),
        );
        return None;
    }
    let ops = match crate::rules::jsonpatch::parse(v) {
        Ok(ops) => ops,
        Err(e) => {
            let (message, hint) = match e.message.split_once("; did you mean") {
                Some((m, rest)) => (m.to_string(), Some(format!("did you mean{rest}"))),
                None => (e.message.clone(), None),
            };
            diags.push(
                Diagnostic::at(
                    site.at(Seg::Index(e.index)),
                    format!("`patches`: {message}"),
                )
                .help(hint.unwrap_or_else(|| EXAMPLE.to_string())),
            );
            return None;
        }
    };
    let mut ok = true;
    for (i, op) in ops.iter().enumerate() {
        if matches!(op, crate::rules::jsonpatch::Op::Test { .. }) {
            continue;
        }
        // A move writes where it takes from; a copy only reads there.
        let moved = matches!(op, crate::rules::jsonpatch::Op::Move { .. })
            .then(|| op.from())
            .flatten();
        for pointer in std::iter::once(op.path()).chain(moved) {
            let Ok(tokens) = crate::rules::jsonpatch::tokens(pointer) else {
                continue;
            };
            if let Some((p, why, fix)) = protected(&tokens) {
                ok = false;
                let place = if p == pointer {
                    format!("`{pointer}`")
                } else {
                    format!("`{pointer}`, and so `{p}`")
                };
                diags.push(
                    Diagnostic::at(
                        site.at(Seg::Index(i)),
                        format!(
                            "patch operation {i} (`{}`) writes {place}, which a patch may not: {why}",
                            op.name()
                        ),
                    )
                    .help(fix),
                );
            }
        }
    }
    ok.then(|| Patch {
        ops,
        site: site.clone(),
    })
}

/// `rollout:`: a label, its rings in order, the revision, how far it has
/// gone.
pub(super) fn rollout(
    raw: &RawRollout,
    site: &Site,
    diags: &mut Vec<Diagnostic>,
) -> Option<Rollout> {
    let before = diags.len();
    if let Err(e) = k8s::label_key(&raw.by) {
        diags.push(
            Diagnostic::at(
                site.key("by"),
                format!("`rollout.by` `{}` is not a label key: {e}", raw.by),
            )
            .help("name the cluster label whose value is the cluster's ring, e.g. `by: ring`"),
        );
    }
    if raw.order.is_empty() {
        diags.push(
            Diagnostic::at(site.key("order"), "`rollout.order` lists no rings")
                .help("list the rings first to last, e.g. `order: [canary, early, broad]`"),
        );
    }
    let mut order: Vec<String> = Vec::with_capacity(raw.order.len());
    for (i, ring) in raw.order.iter().enumerate() {
        let at = site.key("order").at(Seg::Index(i));
        if let Err(e) = k8s::label_value(&ring.0) {
            diags.push(Diagnostic::at(
                at,
                format!("ring `{}` is not a label value: {e}", ring.0),
            ));
        } else if order.contains(&ring.0) {
            diags.push(
                Diagnostic::at(
                    at,
                    format!("ring `{}` is listed twice in `rollout.order`", ring.0),
                )
                .help("list each ring once, first to last"),
            );
        }
        order.push(ring.0.clone());
    }
    if raw.revision.trim().is_empty() {
        diags.push(
            Diagnostic::at(site.key("revision"), "`rollout.revision` is empty").help(
                "set the revision the rings get: a chart version, a tag, a branch or a commit",
            ),
        );
    }
    let promoted = match &raw.promoted {
        None => 0,
        Some(p) => match order.iter().position(|r| r == &p.0) {
            Some(i) => i,
            None => {
                diags.push(
                    Diagnostic::at(
                        site.key("promoted"),
                        format!(
                            "`rollout.promoted` is `{}`, which is not a ring in `order`",
                            p.0
                        ),
                    )
                    .help_opt(
                        suggest::hint(&p.0, &order.iter().map(String::as_str).collect::<Vec<_>>())
                            .or_else(|| Some(format!("promote to one of: {}", order.join(", ")))),
                    ),
                );
                0
            }
        },
    };
    let gate = raw.gate.as_ref().and_then(|g| {
        match crate::base::time::parse_duration(&g.soak) {
            Some(soak) => Some(Gate {
                soak_seconds: soak,
                max_unhealthy: g.max_unhealthy,
            }),
            None => {
                diags.push(
                    Diagnostic::at(
                        site.key("gate").key("soak"),
                        format!("`rollout.gate.soak` `{}` is not a duration", g.soak),
                    )
                    .help("write how long the promoted rings must run healthy: `90s`, `30m`, `2h`, `1d` or `1h30m`"),
                );
                None
            }
        }
    });
    for ring in raw.forced.keys() {
        if !order.contains(ring) {
            diags.push(
                Diagnostic::at(
                    site.key("forced").key(ring),
                    format!("`rollout.forced` names ring `{ring}`, which is not in `order`"),
                )
                .help("`fleetc promote --force` writes a ring of `order` here with its reason; remove this entry"),
            );
        }
    }
    (diags.len() == before).then(|| Rollout {
        by: raw.by.clone(),
        order,
        revision: raw.revision.clone(),
        promoted,
        downgrade: raw.downgrade,
        gate,
        forced: raw.forced.clone(),
        site: site.clone(),
    })
}

/// `replicas:`: a total, where it goes in the values, and the weights.
pub(super) fn replicas(
    raw: &RawReplicas,
    site: &Site,
    index: &Index,
    diags: &mut Vec<Diagnostic>,
) -> Option<Replicas> {
    let before = diags.len();
    let path: Vec<String> = raw.path.split('.').map(str::to_string).collect();
    if path.iter().any(|s| s.is_empty()) {
        diags.push(
            Diagnostic::at(site.key("path"), format!("`replicas.path` `{}` is not a value path", raw.path))
                .help("name the value that holds the replica count, with dots between keys: `replicaCount`, `server.replicas`"),
        );
    }
    if let Some(max) = raw.max {
        if max < raw.min {
            diags.push(
                Diagnostic::at(
                    site.key("max"),
                    format!("`replicas.max` ({max}) is less than `min` ({})", raw.min),
                )
                .help("raise `max` or lower `min`"),
            );
        }
    }
    let weights = weights(raw.weights.as_ref(), &site.key("weights"), index, diags);
    (diags.len() == before).then(|| Replicas {
        total: raw.total,
        path,
        weights: weights.unwrap_or(Weights::Clusters(BTreeMap::new(), 1)),
        min: raw.min,
        max: raw.max,
        site: site.clone(),
    })
}

/// `weights:` by cluster name (`{bne01: 3}`), or by a label's value
/// (`{label: tier, weights: {large: 3, small: 1}, default: 1}`); every
/// cluster not named weighs `default` (1 unless set).
fn weights(
    v: Option<&Value>,
    site: &Site,
    index: &Index,
    diags: &mut Vec<Diagnostic>,
) -> Option<Weights> {
    let Some(v) = v else {
        return Some(Weights::Clusters(BTreeMap::new(), 1));
    };
    let Some(map) = v.as_object() else {
        diags.push(
            Diagnostic::at(site.clone(), "`replicas.weights` must be a mapping")
                .help("weights by cluster name (`{bne01: 3, syd01: 1}`) or by label (`{label: tier, weights: {large: 3, small: 1}}`)"),
        );
        return None;
    };
    let weight = |v: &Value, at: Site, diags: &mut Vec<Diagnostic>| match v.as_u64() {
        Some(w) if w <= u32::MAX as u64 => Some(w),
        _ => {
            let of = match at.path.last() {
                Some(Seg::Key(k)) => format!(" of `{k}`"),
                _ => String::new(),
            };
            diags.push(
                Diagnostic::at(at, format!("weight `{v}`{of} is not a whole number from 0 to {}", u32::MAX))
                    .help("weights are whole numbers: a cluster of weight 3 gets three times the replicas of one of weight 1"),
            );
            None
        }
    };
    if let Some(label) = map.get("label").and_then(Value::as_str) {
        let mut out = BTreeMap::new();
        for (k, _) in map {
            if !["label", "weights", "default"].contains(&k.as_str()) {
                diags.push(
                    Diagnostic::at(
                        site.key(k),
                        format!("`replicas.weights` by label has no `{k}`"),
                    )
                    .help(
                        "write `label`, `weights` (label value → weight) and optionally `default`",
                    ),
                );
            }
        }
        if let Err(e) = k8s::label_key(label) {
            diags.push(Diagnostic::at(
                site.key("label"),
                format!("`{label}` is not a label key: {e}"),
            ));
        }
        match map.get("weights").and_then(Value::as_object) {
            Some(ws) => {
                for (value, w) in ws {
                    if let Some(w) = weight(w, site.key("weights").key(value), diags) {
                        out.insert(value.clone(), w);
                    }
                }
            }
            None => diags.push(
                Diagnostic::at(
                    site.clone(),
                    "`replicas.weights` by label needs `weights`: label value → weight",
                )
                .help("e.g. `weights: {large: 3, small: 1}`"),
            ),
        }
        let default = match map.get("default") {
            Some(d) => weight(d, site.key("default"), diags).unwrap_or(1),
            None => 1,
        };
        return Some(Weights::Label {
            label: label.to_string(),
            weights: out,
            default,
        });
    }
    let mut out = BTreeMap::new();
    for (name, w) in map {
        let at = site.key(name);
        let Some(w) = weight(w, at.clone(), diags) else {
            continue;
        };
        match index.cluster(name) {
            Some(ci) => {
                out.insert(ci, w);
            }
            None => diags.push(
                Diagnostic::at(at, format!("`replicas.weights` names cluster `{name}`, which is not in the inventory"))
                    .help_opt(suggest::hint(name, &index.clusters).or_else(|| {
                        Some("to weigh clusters by a label, write `{label: tier, weights: {large: 3, small: 1}}`".to_string())
                    })),
            ),
        }
    }
    Some(Weights::Clusters(out, 1))
}

/// Per-cluster entries of an app (`valueOverrides`, `revisionOverrides`,
/// `patches`), checked, by cluster index; unknown clusters are errors.
pub(super) fn by_cluster<T, U>(
    entries: &BTreeMap<String, T>,
    field: &str,
    site: &Site,
    index: &Index,
    diags: &mut Vec<Diagnostic>,
    mut check: impl FnMut(&T, &Site, &mut Vec<Diagnostic>) -> Option<U>,
) -> BTreeMap<usize, U> {
    let mut out = BTreeMap::new();
    for (cluster, v) in entries {
        let at = site.key(field).key(cluster);
        match index.cluster(cluster) {
            Some(ci) => {
                if let Some(v) = check(v, &at, diags) {
                    out.insert(ci, v);
                }
            }
            None => diags.push(
                Diagnostic::at(
                    at,
                    format!("`{field}` names cluster `{cluster}`, which is not in the inventory"),
                )
                .help_opt(suggest::hint(cluster, &index.clusters)),
            ),
        }
    }
    out
}

/// A revision as written: not empty.
pub(super) fn revision(rev: &str, site: &Site, diags: &mut Vec<Diagnostic>) -> bool {
    if rev.trim().is_empty() {
        diags.push(
            Diagnostic::at(site.clone(), "the revision is empty")
                .help("write a chart version, a tag, a branch or a commit"),
        );
        return false;
    }
    true
}
