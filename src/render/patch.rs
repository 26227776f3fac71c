//! JSON patches on a rendered Application, and the checks its result must
//! still pass: Argo CD's Application schema (its known fields) and the
//! team's AppProject (destination and source repositories).

use serde_json::Value;

use crate::delivery;
use crate::error::{Diagnostic, Seg};
use crate::matrix::Pair;
use crate::model::Inventory;
use crate::yaml;

/// The fields of an Application's `spec` in Argo CD's CRD (v3.5,
/// `manifests/crds/application-crd.yaml`): a patch that adds another is
/// refused here, where the API server would drop it without a word.
const SPEC_FIELDS: &[&str] = &[
    "destination",
    "ignoreDifferences",
    "info",
    "project",
    "revisionHistoryLimit",
    "source",
    "sourceHydrator",
    "sources",
    "syncPolicy",
];

/// The top-level fields of an Application.
const TOP_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "operation",
    "spec",
    "status",
];

/// Applies the pair's patches to its rendered text, in precedence order,
/// and checks the result; the text is written again, with a header naming
/// the patches. `Ok(None)` when nothing patches the pair.
pub(super) fn apply(
    inv: &Inventory,
    pair: &Pair,
    text: &str,
) -> Result<Option<String>, Vec<Diagnostic>> {
    let patches = delivery::patches(inv, pair);
    if patches.is_empty() {
        return Ok(None);
    }
    let (app, cluster) = (&inv.apps[pair.app], &inv.clusters[pair.cluster]);
    let who = format!("app `{}` on cluster `{}`", app.name, cluster.name);
    let original = yaml::parse_yaml(text)
        .ok()
        .and_then(|d| d.into_iter().next())
        .map(|d| d.value)
        .unwrap_or(Value::Null);
    let mut doc = original.clone();
    for (from, patch) in &patches {
        if let Err(e) = crate::jsonpatch::apply(&mut doc, &patch.ops) {
            return Err(vec![Diagnostic::at(
                patch.site.at(Seg::Index(e.index)),
                format!("the patches of {from} fail on {who}: {}", e.message),
            )
            .help("a patch applies to the Application fleetc renders (see `fleetc explain`); add a `test` operation or change the path")]);
        }
    }
    let mut problems = admission(inv, pair, &original, &doc);
    if !problems.is_empty() {
        let site = patches[patches.len() - 1].1.site.clone();
        let first = problems.remove(0);
        return Err(vec![Diagnostic::at(
            site,
            format!(
                "after the patches of {}, the Application of {who} {first}",
                patches
                    .iter()
                    .map(|(f, _)| f.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .help(if problems.is_empty() {
            "patches may change what Argo CD allows in the team's AppProject, and only that"
                .to_string()
        } else {
            format!("also: {}", problems.join("; "))
        })]);
    }
    // Written again in the order the template wrote it, so that adding a
    // patch shows in a diff as what it changes, not as a reshuffle.
    let names: Vec<&str> = patches.iter().map(|(f, _)| f.as_str()).collect();
    let mut out = String::with_capacity(text.len() + 128);
    out.push_str("# Rendered by fleetc from the inventory. Do not edit: change the inventory.\n");
    out.push_str(&format!(
        "# Patched by {}.\n",
        names.join(", ").replace('`', "")
    ));
    out.push_str(&yaml::to_block_ordered(&doc, &yaml::key_orders(text)));
    out.push('\n');
    Ok(Some(out))
}

/// What Argo CD would refuse in a patched Application, or drop from it.
fn admission(inv: &Inventory, pair: &Pair, before: &Value, after: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let app = &inv.apps[pair.app];
    let team = &inv.teams[app.team];
    let Some(top) = after.as_object() else {
        return vec!["is no longer a mapping".to_string()];
    };
    for k in top.keys().filter(|k| !TOP_FIELDS.contains(&k.as_str())) {
        out.push(format!(
            "has a field `{k}` that Argo CD's Application does not have"
        ));
    }
    match after.get("spec").and_then(Value::as_object) {
        None => out.push("has no `spec` mapping".to_string()),
        Some(spec) => {
            for k in spec.keys().filter(|k| !SPEC_FIELDS.contains(&k.as_str())) {
                out.push(format!("has `spec.{k}`, which Argo CD's Application does not have (the API server would drop it)"));
            }
        }
    }
    let dest = |d: &Value, k: &str| d.pointer(&format!("/spec/destination/{k}")).cloned();
    for k in ["server", "name"] {
        if dest(before, k) != dest(after, k) {
            out.push(format!("deploys to another cluster (`spec.destination.{k}` changed): an Application goes to its own cluster only"));
        }
    }
    match dest(after, "namespace").as_ref().and_then(Value::as_str) {
        Some(ns) if team.namespaces.iter().any(|n| n == ns) => {}
        Some(ns) => out.push(format!(
            "deploys into namespace `{ns}`, which team `{}`'s AppProject does not allow",
            team.name
        )),
        None => out.push("has no `spec.destination.namespace`".to_string()),
    }
    let mut repos: Vec<&str> = Vec::new();
    if let Some(u) = after
        .pointer("/spec/source/repoURL")
        .and_then(Value::as_str)
    {
        repos.push(u);
    }
    if let Some(list) = after.pointer("/spec/sources").and_then(Value::as_array) {
        repos.extend(
            list.iter()
                .filter_map(|s| s.get("repoURL"))
                .filter_map(Value::as_str),
        );
    }
    for url in repos {
        let permitted = match &team.source_repos {
            Some(globs) => crate::argocd::source_permitted(globs, url),
            None => inv
                .apps
                .iter()
                .any(|a| a.team == app.team && a.repo_url == url),
        };
        if !permitted {
            out.push(format!(
                "uses repo `{url}`, which team `{}`'s AppProject does not allow",
                team.name
            ));
        }
    }
    let options = after
        .pointer("/spec/syncPolicy/syncOptions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str);
    for o in options {
        if o.replace(' ', "")
            .eq_ignore_ascii_case("CreateNamespace=true")
        {
            out.push("sets `CreateNamespace=true`, which a team's AppProject refuses (it allows no Namespaces)".to_string());
        }
    }
    out
}
