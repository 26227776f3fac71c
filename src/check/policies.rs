//! Target policies: selectors (or listed clusters), scope, priority,
//! values, exclusions.

use super::delivery;
use super::fields::{mapping, selector};
use super::{Index, Policy};
use crate::base::error::{Diagnostic, Seg, Site};
use crate::base::suggest;
use crate::load::raw::RawPolicy;
use crate::load::Located;
use crate::rules::selector::Selector;

pub(super) fn check(
    policies_raw: &[Located<RawPolicy>],
    index: &Index,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Policy> {
    let mut policies = Vec::with_capacity(policies_raw.len());
    for Located { site, raw } in policies_raw {
        if raw.name.is_empty()
            || !raw
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            diags.push(
                Diagnostic::at(
                    site.key("name"),
                    format!(
                        "policy name `{}` may only use letters, digits, `-`, `_` and `.`",
                        raw.name
                    ),
                )
                .help("policy names appear in annotations and commit messages"),
            );
        }
        let app_selector = match &raw.app_selector {
            Some(v) => selector(v, &site.key("app_selector"), diags),
            None => {
                diags.push(
                    Diagnostic::at(
                        site.clone(),
                        format!("policy `{}` needs `app_selector`", raw.name),
                    )
                    .help("write `app_selector: {}` to select every app"),
                );
                None
            }
        };
        let cluster_selector = match &raw.cluster_selector {
            Some(v) => selector(v, &site.key("cluster_selector"), diags),
            None => {
                if raw.clusters.is_empty() {
                    diags.push(
                        Diagnostic::at(
                            site.clone(),
                            format!(
                                "policy `{}` needs `cluster_selector` or a `clusters` list",
                                raw.name
                            ),
                        )
                        .help("write `cluster_selector: {}` to select every cluster"),
                    );
                }
                None
            }
        };
        let mut listed = Vec::new();
        for (i, c) in raw.clusters.iter().enumerate() {
            match index.cluster(c) {
                Some(ix) => listed.push(ix),
                None => diags.push(
                    Diagnostic::at(
                        site.key("clusters").at(Seg::Index(i)),
                        format!("`clusters` names cluster `{c}`, which is not in the inventory"),
                    )
                    .help_opt(suggest::hint(c, &index.clusters)),
                ),
            }
        }
        listed.sort_unstable();
        listed.dedup();
        let team = match &raw.namespace {
            Some(ns) => match index.team(ns) {
                Some(t) => Some(t),
                None => {
                    diags.push(
                        Diagnostic::at(site.key("namespace"), format!("policy `{}` is scoped to namespace `{ns}`, which is not in the inventory", raw.name))
                            .help_opt(suggest::hint(ns, &index.teams)),
                    );
                    None
                }
            },
            None => None,
        };
        let values = mapping(raw.values.as_ref(), &site.key("values"), diags);
        never_applied(raw, site, values.is_some(), diags);
        if raw.revision.is_some() && raw.rollout.is_some() {
            diags.push(
                Diagnostic::at(
                    site.key("revision"),
                    format!("policy `{}` sets both `revision` and `rollout`", raw.name),
                )
                .help("remove `revision`: the rings a rollout has reached get `rollout.revision`, and the others keep what lower layers give (the app's revision, or a pin in a policy of lower `priority`)"),
            );
        }
        let revision = raw
            .revision
            .as_ref()
            .filter(|r| delivery::revision(r, &site.key("revision"), diags))
            .cloned();
        let rollout = raw
            .rollout
            .as_ref()
            .and_then(|r| delivery::rollout(r, &site.key("rollout"), diags));
        let patches = raw
            .patches
            .as_ref()
            .and_then(|p| delivery::patch(p, &site.key("patches"), diags));
        let replicas = raw
            .replicas
            .as_ref()
            .and_then(|r| delivery::replicas(r, &site.key("replicas"), index, diags));
        policies.push(Policy {
            name: raw.name.clone(),
            description: raw.description.clone(),
            app_selector: app_selector.unwrap_or_else(Selector::nothing),
            cluster_selector,
            clusters: listed,
            team,
            priority: raw.priority,
            values,
            exclude: raw.exclude,
            onboarding: raw.onboarding,
            revision,
            rollout,
            patches,
            replicas,
            tools: super::sources::tools(&raw.tools(), site, diags),
            site: site.clone(),
        });
    }
    policies
}

/// A policy that excludes pairs gives them nothing: every field it would
/// give is an error.
fn never_applied(raw: &RawPolicy, site: &Site, has_values: bool, diags: &mut Vec<Diagnostic>) {
    if raw.exclude && has_values {
        diags.push(
            Diagnostic::at(
                site.key("values"),
                format!(
                    "policy `{}` excludes pairs, so its `values` would never apply",
                    raw.name
                ),
            )
            .help("remove `values`, or `exclude: true`"),
        );
    }
    if raw.exclude {
        for (field, set) in [
            ("revision", raw.revision.is_some()),
            ("rollout", raw.rollout.is_some()),
            ("patches", raw.patches.is_some()),
            ("replicas", raw.replicas.is_some()),
            ("value_files", raw.value_files.is_some()),
            (
                "ignore_missing_value_files",
                raw.ignore_missing_value_files.is_some(),
            ),
            ("kustomize", raw.kustomize.is_some()),
            ("directory", raw.directory.is_some()),
        ] {
            if set {
                diags.push(
                    Diagnostic::at(
                        site.key(field),
                        format!(
                            "policy `{}` excludes pairs, so its `{field}` would never apply",
                            raw.name
                        ),
                    )
                    .help(format!("remove `{field}`, or `exclude: true`")),
                );
            }
        }
    }
}
