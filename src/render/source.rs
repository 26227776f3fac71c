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

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{pointer_path, Diagnostic};
use crate::matrix::Pair;
use crate::model::{argocd_repo_url, Inventory, SourceType, ValuesRepo};
use crate::values::{self, Layers};

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

impl Source<'_> {
    /// The tool block's key, if the Application has one.
    pub(super) fn block(&self) -> Option<SourceType> {
        if self.helm.is_some() {
            Some(SourceType::Helm)
        } else if self.kustomize.is_some() {
            Some(SourceType::Kustomize)
        } else if self.directory.is_some() {
            Some(SourceType::Directory)
        } else {
            None
        }
    }
}

/// The pair's source from its settings, merged and expanded (`settings`,
/// from [`values::tool_layers`]), and its replica shares.
pub(super) fn source<'a>(
    inv: &'a Inventory,
    pair: &Pair,
    settings: Value,
    shares: &[(String, u64)],
) -> Result<Source<'a>, Vec<Diagnostic>> {
    let app = &inv.apps[pair.app];
    let mut out = Source {
        repo_url: argocd_repo_url(&app.repo_url, app.chart.as_deref()),
        helm: None,
        kustomize: None,
        directory: None,
        values_repo: app.values_repo.as_ref(),
    };
    let Value::Object(mut settings) = settings else {
        return Ok(out);
    };
    match app.source_type {
        None => {}
        Some(SourceType::Helm) => {
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
        Some(SourceType::Kustomize) => {
            for (name, count) in shares {
                set_replicas(&mut settings, name, *count);
            }
            check_kustomize(inv, pair, &settings)?;
            out.kustomize = (!settings.is_empty()).then_some(Value::Object(settings));
        }
        Some(SourceType::Directory) => {
            // `recurse: false` is Argo CD's default: a block of nothing
            // else is no block.
            if settings.get("recurse") == Some(&Value::Bool(false)) {
                settings.remove("recurse");
            }
            out.directory = (!settings.is_empty()).then_some(Value::Object(settings));
        }
    }
    Ok(out)
}

/// A replica share into `kustomize.replicas`: the entry of that workload,
/// added or replaced.
fn set_replicas(settings: &mut Map<String, Value>, name: &str, count: u64) {
    let list = settings
        .entry("replicas")
        .or_insert_with(|| Value::Array(Vec::new()));
    let Value::Array(items) = list else {
        return;
    };
    let entry = serde_json::json!({"name": name, "count": count});
    match items
        .iter_mut()
        .find(|i| i.get("name").and_then(Value::as_str) == Some(name))
    {
        Some(item) => *item = entry,
        None => items.push(entry),
    }
}

/// What `${ }` may have made of Kustomize settings: labels Kubernetes
/// takes, and a namespace of the app's team (Argo CD checks every
/// resource's namespace against the team's AppProject).
fn check_kustomize(
    inv: &Inventory,
    pair: &Pair,
    settings: &Map<String, Value>,
) -> Result<(), Vec<Diagnostic>> {
    let app = &inv.apps[pair.app];
    let cluster = &inv.clusters[pair.cluster];
    let team = &inv.teams[app.team];
    let layers = values::tool_layers(inv, pair);
    let mut diags = Vec::new();
    let at = |pointer: &str, layers: &Layers| {
        let (merged, origins) = values::merge_traced(&layers.values);
        origins
            .iter()
            .find(|o| o.pointer == pointer)
            .map(|o| {
                let mut site = layers.origins[o.layer].1.clone();
                site.path.extend(pointer_path(&merged, pointer));
                site
            })
            .unwrap_or_else(|| app.site.key("kustomize"))
    };
    if let Some(ns) = settings.get("namespace").and_then(Value::as_str) {
        if !team.namespaces.iter().any(|n| n == ns) {
            diags.push(
                Diagnostic::at(
                    at("/namespace", &layers),
                    format!(
                        "`kustomize.namespace` puts app `{}`'s resources on cluster `{}` into namespace `{ns}`, which team `{}` does not own",
                        app.name, cluster.name, team.name
                    ),
                )
                .help(format!(
                    "use one of team `{}`'s namespaces ({}); Argo CD refuses resources in others (\"namespace {ns} is not permitted in project\")",
                    team.name,
                    team.namespaces.join(", ")
                )),
            );
        }
    }
    if let Some(Value::Object(labels)) = settings.get("commonLabels") {
        for (key, v) in labels {
            let v = v.as_str().unwrap_or_default();
            if let Err(e) = crate::k8s::label_value(v) {
                let pointer = format!(
                    "/commonLabels/{}",
                    key.replace('~', "~0").replace('/', "~1")
                );
                diags.push(Diagnostic::at(
                    at(&pointer, &layers),
                    format!(
                        "`kustomize.commonLabels.{key}` is `{v}` for app `{}` on cluster `{}`, not a label value: {e}",
                        app.name, cluster.name
                    ),
                ));
            }
        }
    }
    if diags.is_empty() {
        Ok(())
    } else {
        Err(diags)
    }
}

/// Notes on apps whose type Argo CD detects (no `source_type`, no settings
/// of their own) that policies or clusters write values or source
/// settings for: those reach apps of a declared type only. One note per
/// app, naming at most three of the layers.
pub(super) fn unread_settings(inv: &Inventory, matrix: &crate::matrix::Matrix) -> Vec<String> {
    use std::collections::BTreeSet;
    let writes = |values: &Option<Value>, tools: &crate::model::Tools| {
        values.is_some()
            || tools.helm.is_some()
            || tools.kustomize.is_some()
            || tools.directory.is_some()
    };
    let mut by_app: std::collections::BTreeMap<usize, BTreeSet<String>> = Default::default();
    for pair in &matrix.placed {
        if inv.apps[pair.app].source_type.is_some() {
            continue;
        }
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
    by_app
        .into_iter()
        .map(|(ai, layers)| {
            let n = layers.len();
            let mut named: Vec<String> = layers.into_iter().take(3).collect();
            if n > 3 {
                named.push(format!("{} more", n - 3));
            }
            format!(
                "app `{}` has no `source_type` and no settings of its own, so Argo CD detects its type and it takes no values or source settings from {}: set `source_type: helm` (or `kustomize`) in {} if they are meant for it",
                inv.apps[ai].name,
                named.join(", "),
                inv.apps[ai].site.file.display()
            )
        })
        .collect()
}
