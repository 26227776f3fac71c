//! Why is an app on a cluster, or not? And where does each value come from?
//!
//! Everything here is recomputed from the checked inventory and the matrix:
//! every policy's selectors are evaluated term by term against the labels at
//! hand, and the pair's value layers are merged again with the origin of
//! every leaf, down to the file and line that set it.

use serde::Serialize;
use serde_json::Value;

use crate::base::error::pointer_path;
use crate::check::Policy;
use crate::merge;
use crate::pipeline::Compiled;
use crate::place::delivery;
use crate::place::matrix::{self, Pair};
use crate::rules::helm;
use crate::rules::selector::{Labels, Operator, Requirement, Selector};

/// One selector term and the label that decided it.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Term {
    pub term: String,
    pub ok: bool,
    /// What the labels hold for its key: `region=east`, `canary is set`.
    pub seen: String,
}

/// A selector against one set of labels.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct SelectorCheck {
    pub ok: bool,
    /// `{}`: selects everything; `<nothing>`: selects nothing.
    pub selector: String,
    pub terms: Vec<Term>,
}

/// One policy against one (cluster, app) pair.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct PolicyCheck {
    pub policy: String,
    pub file: String,
    pub line: Option<usize>,
    pub exclude: bool,
    /// For a team-scoped policy: whether the app is that team's.
    pub scope: Option<(String, bool)>,
    pub app: SelectorCheck,
    /// Whether the cluster is in the policy's `clusters` list (when it has one).
    pub listed: Option<bool>,
    pub cluster: Option<SelectorCheck>,
    /// The policy selects this pair (it places it, or excludes it).
    pub selects: bool,
}

impl PolicyCheck {
    /// How many terms failed (the scope counts as one).
    pub(crate) fn failed_terms(&self) -> usize {
        let scope = usize::from(self.scope.as_ref().is_some_and(|(_, ok)| !ok));
        let app = self.app.terms.iter().filter(|t| !t.ok).count()
            + usize::from(!self.app.ok && self.app.terms.is_empty());
        let cluster = if self.listed == Some(true) {
            0
        } else {
            match &self.cluster {
                Some(c) => {
                    c.terms.iter().filter(|t| !t.ok).count()
                        + usize::from(!c.ok && c.terms.is_empty())
                }
                None => 1,
            }
        };
        scope + app + cluster
    }
}

/// A merged value, where it came from, and what it overrode.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Leaf {
    pub path: String,
    pub value: Value,
    pub layer: String,
    pub file: String,
    pub line: Option<usize>,
    pub overrode: Vec<String>,
}

/// The whole answer for one pair.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct PairReport {
    pub app: String,
    pub cluster: String,
    pub placed: bool,
    pub excluded_by: Vec<String>,
    pub application: Option<String>,
    pub path: Option<String>,
    pub policies: Vec<PolicyCheck>,
    /// What Argo CD builds the source with, and its settings (placed
    /// pairs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceReport>,
    pub values: Vec<Leaf>,
    /// The revision and its layers (placed pairs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<RevisionReport>,
    /// Replica shares the placing policies divide.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replicas: Vec<ShareReport>,
    /// The patches applied to the Application, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<PatchReport>,
    /// Why the cluster's `lifecycle` holds a pair policies place (onboarding
    /// or draining).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held: Option<String>,
    /// The maintenance windows that cover its Application.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<String>,
    /// What Argo CD reports (given exports): the pair's row, and any orphan
    /// of this app on this cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<Vec<crate::live::status::Row>>,
}

/// A pair's source type, why, and its settings with their origins.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct SourceReport {
    /// `helm`, `kustomize`, `directory`; none: Argo CD detects it.
    #[serde(rename = "type")]
    pub ty: Option<crate::check::SourceType>,
    /// The field that says so, and where.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    pub file: String,
    pub line: Option<usize>,
    /// The values repo of a multi-source Application: URL and revision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values_repo: Option<(String, String)>,
    /// Each setting of the tool block (`kustomize.images`, ...).
    pub settings: Vec<Leaf>,
}

/// A pair's revision: the value, and every layer that sets one, lowest
/// first (the last that gives one wins).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct RevisionReport {
    pub value: String,
    pub layers: Vec<RevisionLayer>,
    /// The rollout that decides it, if one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RingReport>,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct RevisionLayer {
    pub layer: String,
    pub file: String,
    pub line: Option<usize>,
    /// The revision it gives; none for a rollout that has not reached the
    /// cluster.
    pub revision: Option<String>,
    pub wins: bool,
}

/// A cluster's place in a rollout.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct RingReport {
    pub rollout: String,
    pub by: String,
    /// The cluster's ring; none when it has none (it goes with the last).
    pub ring: Option<String>,
    pub order: Vec<String>,
    pub promoted: String,
    pub revision: String,
    pub reached: bool,
    /// What the cluster runs until the rollout reaches it.
    pub runs: String,
}

/// One replica share of the pair.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ShareReport {
    pub policy: String,
    pub path: String,
    pub share: u64,
    pub division: String,
    pub how: String,
}

/// One patch applied to the pair's Application.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct PatchReport {
    pub from: String,
    pub file: String,
    pub line: Option<usize>,
    pub operations: Vec<String>,
}

/// Where an app lands, and where it nearly did.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct AppReport {
    pub app: String,
    pub clusters: usize,
    pub placed: Vec<Placed>,
    pub excluded: Vec<Placed>,
    pub near_misses: Vec<NearMiss>,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct Placed {
    pub cluster: String,
    pub policies: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct NearMiss {
    pub cluster: String,
    pub policy: String,
    /// The one term that failed.
    pub failed: Term,
}

/// A term as a person writes it: `region In (east)`, `gpu=true`.
fn term_text(r: &Requirement) -> String {
    let k = r.key();
    let vals = r.values().join(",");
    match r.operator() {
        Operator::Equals | Operator::DoubleEquals => format!("{k}={vals}"),
        Operator::NotEquals => format!("{k}!={vals}"),
        Operator::In => format!("{k} In ({vals})"),
        Operator::NotIn => format!("{k} NotIn ({vals})"),
        Operator::Exists => format!("{k} Exists"),
        Operator::DoesNotExist => format!("{k} DoesNotExist"),
        Operator::GreaterThan => format!("{k}>{vals}"),
        Operator::LessThan => format!("{k}<{vals}"),
    }
}

pub(crate) fn check_selector(s: &Selector, labels: &Labels) -> SelectorCheck {
    let terms = s
        .requirements()
        .iter()
        .map(|r| {
            let seen = match (labels.get(r.key()), r.operator()) {
                (Some(_), Operator::Exists | Operator::DoesNotExist) => {
                    format!("{} is set", r.key())
                }
                (Some(v), _) => format!("{}={v}", r.key()),
                (None, _) => format!("{} is not set", r.key()),
            };
            Term {
                term: term_text(r),
                ok: r.matches(labels),
                seen,
            }
        })
        .collect();
    SelectorCheck {
        ok: s.matches(labels),
        selector: if s.is_everything() {
            "{}".to_string()
        } else if s.is_nothing() {
            "<nothing>".to_string()
        } else {
            s.to_string()
        },
        terms,
    }
}

fn check_policy(c: &Compiled, p: &Policy, ci: usize, ai: usize) -> PolicyCheck {
    let inv = &c.inventory;
    let app = &inv.apps[ai];
    let cluster = &inv.clusters[ci];
    let scope = p.team.map(|t| (inv.teams[t].name.clone(), t == app.team));
    let app_check = check_selector(&p.app_selector, &app.labels);
    let listed = (!p.clusters.is_empty()).then(|| p.clusters.contains(&ci));
    let cluster_check = p
        .cluster_selector
        .as_ref()
        .map(|s| check_selector(s, &cluster.labels));
    let cluster_ok = listed == Some(true) || cluster_check.as_ref().is_some_and(|c| c.ok);
    let selects = scope.as_ref().is_none_or(|(_, ok)| *ok) && app_check.ok && cluster_ok;
    PolicyCheck {
        policy: p.name.clone(),
        file: p.site.file.display().to_string(),
        line: c.sources.line(&p.site.key("name")),
        exclude: p.exclude,
        scope,
        app: app_check,
        listed,
        cluster: cluster_check,
        selects,
    }
}

/// Explains one pair.
pub(crate) fn pair(c: &Compiled, ci: usize, ai: usize) -> PairReport {
    let inv = &c.inventory;
    let placed = c.matrix.get(ci, ai);
    let excluded_by = c
        .matrix
        .excluded_at(ci, ai)
        .map(|p| p.policy_names(inv))
        .unwrap_or_default();
    let rendered = c
        .rendered
        .apps
        .iter()
        .find(|r| r.cluster == ci && r.app == ai);
    PairReport {
        app: inv.apps[ai].name.clone(),
        cluster: inv.clusters[ci].name.clone(),
        placed: placed.is_some(),
        excluded_by,
        application: rendered.map(|r| r.name.clone()),
        path: rendered.map(|r| r.path.clone()),
        policies: inv
            .policies
            .iter()
            .map(|p| check_policy(c, p, ci, ai))
            .collect(),
        source: placed.map(|p| source(c, p)),
        values: placed.map(|p| leaves(c, p)).unwrap_or_default(),
        revision: placed.map(|p| revision(c, p)),
        replicas: placed.map(|p| shares(c, p)).unwrap_or_default(),
        patches: placed.map(|p| patches(c, p)).unwrap_or_default(),
        held: c.matrix.held_at(ci, ai).map(|p| {
            format!(
                "{} (placed by {})",
                crate::place::matrix::held_reason(inv, ci),
                p.policy_names(inv).join(", ")
            )
        }),
        windows: crate::place::windows::covering(
            inv,
            ci,
            ai,
            rendered.map_or("", |r| r.name.as_str()),
        )
        .into_iter()
        .map(|(by, w)| crate::place::windows::describe(inv, by, w))
        .collect(),
        live: None,
    }
}

/// The pair's revision, layer by layer.
fn revision(c: &Compiled, pair: &Pair) -> RevisionReport {
    let inv = &c.inventory;
    let rev = delivery::revision(inv, pair);
    let layers: Vec<(String, crate::base::error::Site, Option<String>)> =
        delivery::layers(inv, pair)
            .iter()
            .map(|l| l.describe(inv, pair))
            .collect();
    let winner = layers.iter().rposition(|(_, _, r)| r.is_some());
    let rollout = rev.ring.as_ref().and_then(|ring| {
        let r = delivery::rollout_of(inv, pair, ring.owner)?;
        Some(RingReport {
            rollout: delivery::owner_name(inv, pair, ring.owner),
            by: r.by.clone(),
            ring: ring.ring.map(|i| r.order[i].clone()),
            order: r.order.clone(),
            promoted: r.order[r.promoted].clone(),
            revision: r.revision.clone(),
            reached: ring.reached,
            runs: delivery::beneath(inv, pair, ring.owner),
        })
    });
    RevisionReport {
        value: rev.value,
        layers: layers
            .into_iter()
            .enumerate()
            .map(|(i, (layer, site, revision))| RevisionLayer {
                line: c.sources.line(&site),
                file: site.file.display().to_string(),
                layer,
                revision,
                wins: Some(i) == winner,
            })
            .collect(),
        rollout,
    }
}

/// The replica shares of the pair, with how each was divided.
fn shares(c: &Compiled, pair: &Pair) -> Vec<ShareReport> {
    let inv = &c.inventory;
    let cluster = &inv.clusters[pair.cluster].name;
    matrix::policy_order(inv, pair)
        .into_iter()
        .filter_map(|p| {
            let policy = &inv.policies[p];
            let rep = policy.replicas.as_ref()?;
            let division = c.plan.divisions.get(&(p, pair.app))?;
            let share = division.shares.iter().find(|s| &s.name == cluster)?;
            Some(ShareReport {
                policy: policy.name.clone(),
                path: rep.path.join("."),
                share: share.share,
                division: division.summary(),
                how: division.explain(cluster).unwrap_or_default(),
            })
        })
        .collect()
}

/// The patches of the pair's Application, in the order they apply.
fn patches(c: &Compiled, pair: &Pair) -> Vec<PatchReport> {
    delivery::patches(&c.inventory, pair)
        .into_iter()
        .map(|(from, patch)| PatchReport {
            from,
            file: patch.site.file.display().to_string(),
            line: c.sources.line(&patch.site),
            operations: patch
                .ops
                .iter()
                .map(|op| match op.from() {
                    Some(f) => format!("{} {} from {f}", op.name(), op.path()),
                    None => format!("{} {}", op.name(), op.path()),
                })
                .collect(),
        })
        .collect()
}

/// The pair's rendered Application, parsed.
fn rendered_doc(c: &Compiled, pair: &Pair) -> Option<Value> {
    c.rendered
        .apps
        .iter()
        .find(|r| r.cluster == pair.cluster && r.app == pair.app)
        .and_then(|r| c.rendered.files.get(&r.path))
        .and_then(|text| crate::base::yaml::parse_yaml(text).ok())
        .and_then(|docs| docs.into_iter().next())
        .map(|d| d.value)
}

/// The merged values of a placed pair, each leaf with its origin.
fn leaves(c: &Compiled, pair: &Pair) -> Vec<Leaf> {
    let layers = merge::layers(&c.inventory, &c.plan, pair);
    // The final value, `${ }` expanded, as the Application carries it:
    // `helm.values` is a YAML document in a string.
    let rendered = rendered_doc(c, pair).and_then(|d| {
        let source = crate::rules::argocd::primary_source(&d)?;
        match source.pointer("/helm/values") {
            Some(Value::String(text)) => crate::base::yaml::parse_yaml(text)
                .ok()
                .and_then(|docs| docs.into_iter().next())
                .map(|d| d.value),
            _ => source.pointer("/helm/valuesObject").cloned(),
        }
    });
    traced(c, &layers, rendered.as_ref(), "")
}

/// The source of a placed pair: its type, why, and each setting of its
/// tool block with the layer it came from.
fn source(c: &Compiled, pair: &Pair) -> SourceReport {
    let app = &c.inventory.apps[pair.app];
    let site = match app.source_key {
        Some(k) => app.site.key(k),
        None => app.site.clone(),
    };
    let layers = merge::tool_layers(&c.inventory, &c.plan, pair);
    let ty = app.source_type;
    // The block as rendered, with Helm's settings under the names the
    // layers give them, so that a leaf reads its final value.
    let rendered = rendered_doc(c, pair).and_then(|d| {
        let block = crate::rules::argocd::primary_source(&d)?
            .get(ty?.name())?
            .clone();
        Some(match ty? {
            crate::check::SourceType::Helm => serde_json::json!({
                "value_files": block.get("valueFiles"),
                "ignore_missing_value_files": block.get("ignoreMissingValueFiles"),
            }),
            // Replicas by workload, as the layers give them.
            crate::check::SourceType::Kustomize => {
                let mut block = block;
                if let Some(Value::Array(list)) = block.get("replicas").cloned() {
                    block["replicas"] = list
                        .iter()
                        .filter_map(|r| {
                            Some((
                                r.get("name")?.as_str()?.to_string(),
                                r.get("count")?.clone(),
                            ))
                        })
                        .collect::<serde_json::Map<_, _>>()
                        .into();
                }
                block
            }
            _ => block,
        })
    });
    let prefix = match ty {
        Some(crate::check::SourceType::Helm) | None => "",
        Some(t) => t.name(),
    };
    SourceReport {
        ty,
        from: app.source_key.map(str::to_string),
        file: site.file.display().to_string(),
        line: c.sources.line(&site),
        values_repo: app
            .values_repo
            .as_ref()
            .map(|r| (r.url.clone(), r.revision.clone())),
        settings: traced(c, &layers, rendered.as_ref(), prefix),
    }
}

/// Each leaf of merged layers with its origin and what it overrode; its
/// value as `rendered` has it, if given (`${ }` expanded).
fn traced(
    c: &Compiled,
    layers: &merge::Layers,
    rendered: Option<&Value>,
    prefix: &str,
) -> Vec<Leaf> {
    let (merged, origins) = helm::merge_traced(&layers.values);
    let describe = |layer: usize, pointer: &str| {
        let (what, site) = &layers.origins[layer];
        let mut site = site.clone();
        site.path.extend(pointer_path(&merged, pointer));
        let line = c.sources.line(&site);
        (what.clone(), site.file.display().to_string(), line)
    };
    origins
        .into_iter()
        .map(|o| {
            let value = rendered
                .and_then(|r| r.pointer(&o.pointer))
                .filter(|v| !v.is_null())
                .or_else(|| merged.pointer(&o.pointer))
                .cloned()
                .unwrap_or(Value::Null);
            let (layer, file, line) = describe(o.layer, &o.pointer);
            let overrode = o
                .overridden
                .iter()
                .map(|l| {
                    let (what, file, line) = describe(*l, &o.pointer);
                    match line {
                        Some(n) => format!("{what} ({file}:{n})"),
                        None => format!("{what} ({file})"),
                    }
                })
                .collect();
            let path = crate::base::error::dotted(&pointer_path(&merged, &o.pointer));
            Leaf {
                path: if prefix.is_empty() {
                    path
                } else {
                    format!("{prefix}.{path}")
                },
                value,
                layer,
                file,
                line,
                overrode,
            }
        })
        .collect()
}

/// Explains where one app lands.
pub(crate) fn app(c: &Compiled, ai: usize) -> AppReport {
    let inv = &c.inventory;
    let name = |pair: &Pair| Placed {
        cluster: inv.clusters[pair.cluster].name.clone(),
        policies: pair.policy_names(inv),
    };
    let placed: Vec<Placed> = c
        .matrix
        .placed
        .iter()
        .filter(|p| p.app == ai)
        .map(name)
        .collect();
    let excluded: Vec<Placed> = c
        .matrix
        .excluded
        .iter()
        .filter(|p| p.app == ai)
        .map(name)
        .collect();
    let mut near_misses = Vec::new();
    for (ci, cluster) in inv.clusters.iter().enumerate() {
        if c.matrix.get(ci, ai).is_some() || excluded.iter().any(|e| e.cluster == cluster.name) {
            continue;
        }
        for p in inv.policies.iter().filter(|p| !p.exclude) {
            let check = check_policy(c, p, ci, ai);
            // The policy wants this app; its cluster side misses by one term.
            let wants_app = check.app.ok && check.scope.as_ref().is_none_or(|(_, ok)| *ok);
            if !wants_app || check.failed_terms() != 1 {
                continue;
            }
            let failed = check
                .app
                .terms
                .iter()
                .chain(check.cluster.iter().flat_map(|c| c.terms.iter()))
                .find(|t| !t.ok)
                .cloned()
                .unwrap_or_else(|| Term {
                    term: "clusters".to_string(),
                    ok: false,
                    seen: "not listed".to_string(),
                });
            near_misses.push(NearMiss {
                cluster: cluster.name.clone(),
                policy: p.name.clone(),
                failed,
            });
        }
    }
    AppReport {
        app: inv.apps[ai].name.clone(),
        clusters: inv.clusters.len(),
        placed,
        excluded,
        near_misses,
    }
}

fn mark(ok: bool) -> &'static str {
    if ok {
        "✓"
    } else {
        "✗"
    }
}

fn selector_lines(out: &mut String, label: &str, s: &SelectorCheck) {
    if s.terms.is_empty() {
        out.push_str(&format!(
            "      {label:<17} {} {}\n",
            mark(s.ok),
            s.selector
        ));
    }
    for (i, t) in s.terms.iter().enumerate() {
        let label = if i == 0 { label } else { "" };
        out.push_str(&format!(
            "      {label:<17} {} {:<28} {}\n",
            mark(t.ok),
            t.term,
            t.seen
        ));
    }
}

/// The pair report as text.
pub(crate) fn pair_text(r: &PairReport) -> String {
    let mut out = String::new();
    let verdict = if r.placed {
        "placed".to_string()
    } else if let Some(h) = &r.held {
        format!("not placed: {h}")
    } else if !r.excluded_by.is_empty() {
        format!("not placed: excluded by {}", r.excluded_by.join(", "))
    } else {
        "not placed: no policy selects both".to_string()
    };
    out.push_str(&format!("{} on {}: {verdict}\n", r.app, r.cluster));
    if let (Some(name), Some(path)) = (&r.application, &r.path) {
        out.push_str(&format!("  Application {name}  →  {path}\n"));
    }
    out.push_str("\npolicies:\n");
    for p in &r.policies {
        let role = if p.exclude { " (exclusion)" } else { "" };
        let at = match p.line {
            Some(n) => format!("{}:{n}", p.file),
            None => p.file.clone(),
        };
        out.push_str(&format!("  {} {}{role}  {at}\n", mark(p.selects), p.policy));
        if let Some((team, ok)) = &p.scope {
            out.push_str(&format!(
                "      {:<17} {} namespace {team}\n",
                "scope",
                mark(*ok)
            ));
        }
        selector_lines(&mut out, "app_selector", &p.app);
        if let Some(listed) = p.listed {
            out.push_str(&format!(
                "      {:<17} {} {}\n",
                "clusters",
                mark(listed),
                if listed {
                    "listed by name"
                } else {
                    "not listed"
                }
            ));
        }
        if let Some(c) = &p.cluster {
            selector_lines(&mut out, "cluster_selector", c);
        }
    }
    if let Some(src) = &r.source {
        source_text(&mut out, src);
    }
    if !r.values.is_empty() {
        out.push_str("\nvalues:\n");
        for leaf in &r.values {
            leaf_text(&mut out, leaf);
        }
    }
    if let Some(rev) = &r.revision {
        revision_text(&mut out, rev);
    }
    if !r.replicas.is_empty() {
        out.push_str("\nreplicas:\n");
        for s in &r.replicas {
            out.push_str(&format!(
                "  {} = {} from policy `{}`\n      {}\n      {}\n",
                s.path, s.share, s.policy, s.division, s.how
            ));
        }
    }
    if !r.patches.is_empty() {
        out.push_str("\npatches, in the order they apply:\n");
        for p in &r.patches {
            out.push_str(&format!("  {}  {}\n", p.from, at(&p.file, p.line)));
            for op in &p.operations {
                out.push_str(&format!("      {op}\n"));
            }
        }
    }
    if !r.windows.is_empty() {
        out.push_str("\nmaintenance windows (AppProject syncWindows):\n");
        for w in &r.windows {
            out.push_str(&format!("  {w}\n"));
        }
    }
    if let Some(rows) = &r.live {
        live_text(&mut out, rows);
    }
    out
}

/// The source section: the type, why, the values repo, each setting.
fn source_text(out: &mut String, src: &SourceReport) {
    match (src.ty, &src.from) {
        (Some(t), Some(from)) => out.push_str(&format!(
            "\nsource: {} (`{from}`, {})\n",
            t.name(),
            at(&src.file, src.line)
        )),
        _ => out.push_str(
            "\nsource: no tool block: Argo CD detects the type from the folder (Chart.yaml: Helm; kustomization.yaml: Kustomize; else plain manifests)\n",
        ),
    }
    if let Some((url, revision)) = &src.values_repo {
        out.push_str(&format!(
            "  values repo {url} at {revision}: a second source, `ref: values`; value files read from it as $values/...\n"
        ));
    }
    for leaf in &src.settings {
        leaf_text(out, leaf);
    }
}

/// One merged setting, where it came from and what it overrode.
fn leaf_text(out: &mut String, leaf: &Leaf) {
    out.push_str(&format!(
        "  {} = {}\n      from {} ({})\n",
        leaf.path,
        crate::base::yaml::to_inline(&leaf.value),
        leaf.layer,
        at(&leaf.file, leaf.line)
    ));
    for o in &leaf.overrode {
        out.push_str(&format!("      overrides {o}\n"));
    }
}

/// The live section: what Argo CD reports, under what fleetc renders.
fn live_text(out: &mut String, rows: &[crate::live::status::Row]) {
    // What an export says is made terminal-safe, line by line.
    let mut line = |l: String| {
        out.push_str(&crate::base::error::terminal_safe(&l));
        out.push('\n');
    };
    line(String::new());
    line("live (what Argo CD reports):".into());
    if rows.is_empty() {
        line("  nothing: the pair is not placed, and no export holds an Application of it".into());
    }
    let dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
    for r in rows {
        let from = match (&r.export, &r.reconciled_at) {
            (Some(e), Some(t)) => format!("  ({e}, reconciled {t})"),
            (Some(e), None) => format!("  ({e})"),
            _ => String::new(),
        };
        line(format!("  {}  {}{from}", r.status.word(), r.application));
        if r.export.is_some() {
            let commit = r
                .live_commit
                .as_ref()
                .map(|c| format!(" at {}", c.chars().take(12).collect::<String>()))
                .unwrap_or_default();
            line(format!(
                "      health {}, sync {}, revision {}{commit}",
                dash(&r.health),
                dash(&r.sync),
                dash(&r.revision)
            ));
        }
        for why in &r.reasons {
            line(format!("      - {why}"));
        }
    }
}

fn at(file: &str, line: Option<usize>) -> String {
    match line {
        Some(n) => format!("{file}:{n}"),
        None => file.to_string(),
    }
}

/// The revision section of a pair report.
fn revision_text(out: &mut String, rev: &RevisionReport) {
    out.push_str(&format!("\nrevision: {}\n", rev.value));
    let width = rev
        .layers
        .iter()
        .map(|l| l.revision.as_deref().map_or(1, str::len))
        .max()
        .unwrap_or(0);
    for l in &rev.layers {
        out.push_str(&format!(
            "  {} {:<width$}  {} ({})\n",
            if l.wins { "→" } else { " " },
            l.revision.as_deref().unwrap_or("-"),
            l.layer,
            at(&l.file, l.line)
        ));
    }
    if let Some(ring) = &rev.rollout {
        let place = match &ring.ring {
            Some(name) => format!("ring `{name}` (label `{}`)", ring.by),
            None => format!(
                "no ring (label `{}` not set, or not one of {}): goes with the last ring, `{}`",
                ring.by,
                ring.order.join(", "),
                ring.order.last().map_or("", String::as_str)
            ),
        };
        let state = if ring.reached {
            format!("has {} (promoted to `{}`)", ring.revision, ring.promoted)
        } else {
            let to = ring
                .ring
                .as_deref()
                .or(ring.order.last().map(String::as_str))
                .unwrap_or_default();
            format!(
                "waits: runs {} until promoted to `{to}` (it is at `{}`: `fleetc promote {}`)",
                ring.runs,
                ring.promoted,
                ring.rollout
                    .replace('/', " ")
                    .replace("policy ", "")
                    .replace("app ", "--app ")
            )
        };
        out.push_str(&format!(
            "  rollout {} [{}]: {place}; {state}\n",
            ring.rollout,
            ring.order.join(" → ")
        ));
    }
}

/// The app report as text.
pub(crate) fn app_text(r: &AppReport) -> String {
    let mut out = format!(
        "{} lands on {} of {} clusters\n",
        r.app,
        r.placed.len(),
        r.clusters
    );
    for p in &r.placed {
        out.push_str(&format!(
            "  {:<28} placed by {}\n",
            p.cluster,
            p.policies.join(", ")
        ));
    }
    if !r.excluded.is_empty() {
        out.push_str("\nexcluded:\n");
        for p in &r.excluded {
            out.push_str(&format!(
                "  {:<28} excluded by {}\n",
                p.cluster,
                p.policies.join(", ")
            ));
        }
    }
    if !r.near_misses.is_empty() {
        out.push_str("\nnear misses (one term away):\n");
        for m in &r.near_misses {
            out.push_str(&format!(
                "  {:<28} {}: {} ✗ {}\n",
                m.cluster, m.policy, m.failed.term, m.failed.seen
            ));
        }
    }
    out
}
