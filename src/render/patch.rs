//! JSON patches on a rendered Application, and the checks its result must
//! still pass: Argo CD's Application schema (its known fields) and the
//! team's AppProject (destination and source repositories).

use serde_json::Value;

use crate::base::error::{Diagnostic, Seg};
use crate::base::yaml;
use crate::check::Inventory;
use crate::place::delivery;
use crate::place::matrix::Pair;

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

/// What is wrong with a patched Application, and the fix.
type Problem = (String, String);

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
    // The problems after each operation, to lay a problem of the result at
    // the operation that made it (the first after which it stays).
    // (Problems the unpatched Application has already, from a user's
    // template, are not the patches'.)
    let inherent: Vec<String> = admission(inv, pair, &original, &original)
        .into_iter()
        .map(|(w, _)| w)
        .collect();
    let mut states: Vec<(usize, usize, Vec<Problem>)> = Vec::new();
    for (layer, (from, patch)) in patches.iter().enumerate() {
        // One operation at a time, so that a failure names its operation.
        for (i, op) in patch.ops.iter().enumerate() {
            if let Err(e) = crate::rules::jsonpatch::apply(&mut doc, std::slice::from_ref(op)) {
                let message = e
                    .message
                    .replacen("operation 0", &format!("operation {i}"), 1);
                let help = match op {
                    crate::rules::jsonpatch::Op::Test { path, .. } => match doc.pointer(path) {
                        Some(v) => format!(
                            "the Application has `{}` there: change the test's `value`, or narrow the policy to where it holds",
                            yaml::to_inline(v)
                        ),
                        None => "the Application has nothing there: change the test's `path`".to_string(),
                    },
                    _ if op.path().starts_with("/spec/source/") && doc.pointer("/spec/sources").is_some() => {
                        "this Application has several sources (`values_repo`): its own is `/spec/sources/0/...`".to_string()
                    }
                    _ => "patches apply to the Application as fleetc renders it (`fleetc compile --out` writes it): `add` creates a member, `replace` and `remove` need one".to_string(),
                };
                return Err(vec![Diagnostic::at(
                    patch.site.at(Seg::Index(i)),
                    format!("the patches of {from} fail on {who}: {message}"),
                )
                .help(help)]);
            }
            let mut problems = admission(inv, pair, &original, &doc);
            problems.retain(|(w, _)| !inherent.contains(w));
            states.push((layer, i, problems));
        }
    }
    if let Some((what, fix)) = states.last().and_then(|(_, _, p)| p.first()).cloned() {
        let made = states
            .iter()
            .rposition(|(_, _, p)| !p.iter().any(|(w, _)| *w == what))
            .map_or(0, |k| k + 1);
        let (layer, i, _) = states[made];
        let (from, patch) = &patches[layer];
        return Err(vec![Diagnostic::at(
            patch.site.at(Seg::Index(i)),
            format!(
                "after operation {i} of the patches of {from}, the Application of {who} {what}"
            ),
        )
        .help(fix)]);
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

/// What Argo CD would refuse in a patched Application, or drop from it:
/// each problem with its fix.
fn admission(inv: &Inventory, pair: &Pair, before: &Value, after: &Value) -> Vec<Problem> {
    let mut out: Vec<Problem> = Vec::new();
    let app = &inv.apps[pair.app];
    let team = &inv.teams[app.team];
    let Some(top) = after.as_object() else {
        return vec![(
            "is no longer a mapping".to_string(),
            "patch fields of the Application, not the whole document".to_string(),
        )];
    };
    for k in top.keys().filter(|k| !TOP_FIELDS.contains(&k.as_str())) {
        out.push((
            format!("has a field `{k}` that Argo CD's Application does not have"),
            format!("an Application has {}", TOP_FIELDS.join(", ")),
        ));
    }
    match after.get("spec").and_then(Value::as_object) {
        None => out.push((
            "has no `spec` mapping".to_string(),
            "patch fields inside `spec`, not `spec` itself".to_string(),
        )),
        Some(spec) => {
            for k in spec.keys().filter(|k| !SPEC_FIELDS.contains(&k.as_str())) {
                out.push((
                    format!("has `spec.{k}`, which Argo CD's Application does not have (the API server would drop it)"),
                    crate::base::suggest::hint(k, SPEC_FIELDS)
                        .unwrap_or_else(|| format!("an Application's `spec` has {}", SPEC_FIELDS.join(", "))),
                ));
            }
        }
    }
    // The source's type is the app's: a patch may change a tool block's
    // fields, not add, drop or swap blocks (Argo CD reads the block as the
    // type, and two as an error).
    let blocks = |d: &Value| -> Vec<Vec<&str>> {
        crate::rules::argocd::sources(d)
            .into_iter()
            .map(crate::rules::argocd::tool_blocks)
            .collect()
    };
    if blocks(before) != blocks(after) {
        out.push((
            "has other tool blocks than its app's source type gives it (Argo CD reads a `helm`, `kustomize` or `directory` block as the type)".to_string(),
            "change the block's fields, not the blocks; or set the app's `source_type`".to_string(),
        ));
    }
    let kustomize_ns = |d: &Value| {
        crate::rules::argocd::primary_source(d)
            .and_then(|s| s.pointer("/kustomize/namespace"))
            .cloned()
    };
    if let Some(ns) = kustomize_ns(after).filter(|ns| Some(ns) != kustomize_ns(before).as_ref()) {
        let ns = ns.as_str().unwrap_or_default().to_string();
        if !team.namespaces.contains(&ns) {
            out.push((
                format!(
                    "puts its resources into namespace `{ns}` (`kustomize.namespace`), which team `{}`'s AppProject does not allow",
                    team.name
                ),
                format!("use one of team `{}`'s: {}", team.name, team.namespaces.join(", ")),
            ));
        }
    }
    let dest = |d: &Value, k: &str| d.pointer(&format!("/spec/destination/{k}")).cloned();
    for k in ["server", "name"] {
        if dest(before, k) != dest(after, k) {
            out.push((
                format!("deploys to another cluster (`spec.destination.{k}` changed)"),
                "remove the operation: an Application goes to its own cluster; place the app on the other cluster with a policy".to_string(),
            ));
        }
    }
    match dest(after, "namespace").as_ref().and_then(Value::as_str) {
        Some(ns) if team.namespaces.iter().any(|n| n == ns) => {}
        Some(ns) => out.push((
            format!(
                "deploys into namespace `{ns}`, which team `{}`'s AppProject does not allow",
                team.name
            ),
            format!(
                "deploy into one of team `{}`'s: {}",
                team.name,
                team.namespaces.join(", ")
            ),
        )),
        None => out.push((
            "has no `spec.destination.namespace`".to_string(),
            format!(
                "deploy into one of team `{}`'s: {}",
                team.name,
                team.namespaces.join(", ")
            ),
        )),
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
            Some(globs) => crate::rules::argocd::source_permitted(globs, url),
            None => inv
                .apps
                .iter()
                .any(|a| a.team == app.team && a.repo_urls().any(|u| u == url)),
        };
        if !permitted {
            out.push((
                format!(
                    "uses repo `{url}`, which team `{}`'s AppProject does not allow",
                    team.name
                ),
                format!("add it to `source_repos` in {}", team.site.file.display()),
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
            out.push((
                "sets `CreateNamespace=true`, which a team's AppProject refuses (it allows no Namespaces)".to_string(),
                "remove the option: fleetc creates the team's namespaces on every cluster its apps go to".to_string(),
            ));
        }
    }
    out
}
