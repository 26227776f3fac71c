//! A pair's source as Argo CD reads it: the repo, and exactly the tool
//! block of the app's type (none when Argo CD detects it), its settings
//! merged from the layers with `${ }` expanded; a second source with
//! `ref: values` when the value files live in another repo.
//!
//! Argo CD drops an empty block (`NormalizeSource` in argo-cd's
//! `util/argo/argo.go`: a Kustomize or directory block whose `IsZero()` is
//! true), so none is written: an app of a declared type with no settings
//! for a cluster gets no block there, and Argo CD finds the same type in
//! its folder.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use serde::Serialize;
use serde_json::Value;

use crate::base::error::Site;
use crate::check::{argocd_repo_url, sources, Inventory, SourceType, ValuesRepo};
use crate::merge::Layers;
use crate::place::matrix::Pair;

/// Problems that pairs share (a `${ }` that fails, a setting that `${ }`
/// made invalid), by where, what and the fix, with the clusters they
/// happen for: reported once, not once a cluster.
pub(super) type ExpansionErrors = Mutex<BTreeMap<(Site, String, String), BTreeSet<String>>>;

/// What `$values/...` names: the values repo's `ref`.
pub(super) const VALUES_REF: &str = "values";

/// The source of one pair's Application.
#[derive(Debug)]
pub(super) struct Source<'a> {
    /// `repoURL`, as Argo CD reads it (an OCI chart's without `oci://`).
    pub repo_url: &'a str,
    pub helm: Option<Helm>,
    pub kustomize: Option<Value>,
    pub directory: Option<Value>,
    pub values_repo: Option<&'a ValuesRepo>,
}

/// The `helm` block, but for its values (written as text beside it).
#[derive(Debug, Serialize)]
pub(super) struct Helm {
    #[serde(rename = "releaseName")]
    pub release_name: String,
    #[serde(rename = "valueFiles")]
    pub value_files: Vec<String>,
    #[serde(rename = "ignoreMissingValueFiles")]
    pub ignore_missing_value_files: bool,
}

/// The pair's source from the layers of its settings (`layers`, from
/// [`crate::rules::helm::tool_layers`]) merged and expanded (`settings`): each
/// setting checked again now that `${ }` has given it its value. `None`
/// when one is wrong: recorded in `errors` at the layer that wrote it, once
/// for every cluster it is wrong on.
pub(super) fn source<'a>(
    inv: &'a Inventory,
    pair: &Pair,
    layers: &Layers,
    mut settings: Value,
    errors: &ExpansionErrors,
) -> Option<Source<'a>> {
    let app = &inv.apps[pair.app];
    let mut out = Source {
        repo_url: argocd_repo_url(&app.repo_url, app.chart.as_deref()),
        helm: None,
        kustomize: None,
        directory: None,
        values_repo: app.values_repo.as_ref(),
    };
    let Some(ty) = app.source_type else {
        return Some(out);
    };
    // Argo CD drops what is empty; so does fleetc, before it decides
    // whether there is a block at all.
    prune(&mut settings);
    let mut problems = sources::problems(ty, &settings, true);
    if ty == SourceType::Kustomize {
        problems.extend(namespace_problem(inv, pair, &settings));
    }
    if !problems.is_empty() {
        let mut errors = errors.lock().unwrap();
        for p in problems {
            let site = layers
                .origin(&p.pointer)
                .map_or_else(|| app.site.key(ty.name()), |(_, site)| site);
            errors
                .entry((site, format!("app `{}`: {}", app.name, p.message), p.help))
                .or_default()
                .insert(inv.clusters[pair.cluster].name.clone());
        }
        return None;
    }
    let Value::Object(mut settings) = settings else {
        return Some(out);
    };
    match ty {
        SourceType::Helm => {
            // Paths in the values repo are `$values/...`, from its root.
            let file = |f: &str| match app.values_repo {
                Some(_) => format!("${VALUES_REF}/{}", f.trim_start_matches('/')),
                None => f.to_string(),
            };
            let value_files = match settings.remove("value_files") {
                Some(Value::Array(files)) => {
                    files.iter().filter_map(Value::as_str).map(file).collect()
                }
                _ => Vec::new(),
            };
            out.helm = Some(Helm {
                release_name: app.release_name.clone(),
                value_files,
                ignore_missing_value_files: settings
                    .remove("ignore_missing_value_files")
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false),
            });
        }
        SourceType::Kustomize => {
            // Layers give replicas by workload; Argo CD takes a list.
            if let Some(Value::Object(by_name)) = settings.remove("replicas") {
                let list: Vec<Value> = by_name
                    .into_iter()
                    .map(|(name, count)| serde_json::json!({"name": name, "count": count}))
                    .collect();
                settings.insert("replicas".into(), Value::Array(list));
            }
            out.kustomize = (!settings.is_empty()).then_some(Value::Object(settings));
        }
        SourceType::Directory => {
            // `recurse: false` is Argo CD's default: a block of nothing
            // else is no block.
            if settings.get("recurse") == Some(&Value::Bool(false)) {
                settings.remove("recurse");
            }
            out.directory = (!settings.is_empty()).then_some(Value::Object(settings));
        }
    }
    Some(out)
}

/// Removes empty maps and lists, and the keys that held them, at any depth.
fn prune(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for x in m.values_mut() {
                prune(x);
            }
            m.retain(|_, x| !is_empty(x));
        }
        Value::Array(items) => items.iter_mut().for_each(prune),
        _ => {}
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// A Kustomize app's `namespace` is one of its team's: Argo CD checks every
/// resource's namespace against the team's AppProject.
fn namespace_problem(inv: &Inventory, pair: &Pair, settings: &Value) -> Option<sources::Problem> {
    let team = &inv.teams[inv.apps[pair.app].team];
    let ns = settings.get("namespace").and_then(Value::as_str)?;
    if team.namespaces.iter().any(|n| n == ns) {
        return None;
    }
    Some(sources::Problem {
        pointer: "/namespace".to_string(),
        message: format!(
            "`kustomize.namespace` puts its resources into namespace `{ns}`, which team `{}` does not own",
            team.name
        ),
        help: format!(
            "use one of team `{}`'s namespaces ({}); Argo CD refuses resources in others (\"namespace {ns} is not permitted in project\")",
            team.name,
            team.namespaces.join(", ")
        ),
    })
}

/// Notes on apps whose type Argo CD detects (no `source_type`, no settings
/// of their own): that their Applications carry no tool block (a chart
/// among them would get the Application's name as its release, and no
/// values), and, for each one that policies or clusters write values or
/// source settings for, that those do not reach it (they reach apps of a
/// declared type only). A note names at most three apps or layers.
pub(super) fn unread_settings(
    inv: &Inventory,
    matrix: &crate::place::matrix::Matrix,
) -> Vec<String> {
    use std::collections::{BTreeMap, BTreeSet};
    let some = |names: Vec<String>| {
        let n = names.len();
        let mut shown: Vec<String> = names.into_iter().take(3).collect();
        if n > 3 {
            shown.push(format!("{} more", n - 3));
        }
        shown.join(", ")
    };
    let writes = |values: &Option<Value>, tools: &crate::check::Tools| {
        values.is_some() || tools.iter().next().is_some()
    };
    let mut placed: BTreeSet<usize> = BTreeSet::new();
    let mut by_app: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for pair in &matrix.placed {
        if inv.apps[pair.app].source_type.is_some() {
            continue;
        }
        placed.insert(pair.app);
        let cluster = &inv.clusters[pair.cluster];
        let mut layers: Vec<String> = pair
            .hits
            .iter()
            .map(|h| &inv.policies[h.policy])
            .filter(|p| writes(&p.values, &p.tools))
            .map(|p| format!("policy `{}`", p.name))
            .collect();
        if writes(&cluster.values, &cluster.tools) {
            layers.push(format!("cluster `{}`", cluster.name));
        }
        if !layers.is_empty() {
            by_app.entry(pair.app).or_default().extend(layers);
        }
    }
    let mut notes = Vec::new();
    if !placed.is_empty() {
        let names: Vec<String> = placed
            .iter()
            .map(|a| format!("`{}`", inv.apps[*a].name))
            .collect();
        notes.push(format!(
            "{} {} no `source_type`, so {} Applications carry no tool block and Argo CD detects the type from the folder: {}; say `source_type: helm` for a chart, else Argo CD names its release after the Application and gives it no values",
            names.len(),
            if names.len() == 1 { "app has" } else { "apps have" },
            if names.len() == 1 { "its" } else { "their" },
            some(names)
        ));
    }
    for (ai, layers) in by_app {
        notes.push(format!(
            "app `{}` takes no values or source settings from {}: they reach apps of a declared type only; set `source_type` in {} if they are meant for it",
            inv.apps[ai].name,
            some(layers.into_iter().collect()),
            inv.apps[ai].site.file.display()
        ));
    }
    notes
}
