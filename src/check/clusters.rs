//! Clusters: names, labels (what selectors see) and values.

use std::collections::HashMap;

use super::fields::{dns_label, labels, mapping};
use super::{Cluster, Lifecycle};
use crate::base::error::{Diagnostic, Site};
use crate::load::raw::RawCluster;
use crate::load::Located;
use crate::rules::k8s;

pub(super) fn check(clusters: &[Located<RawCluster>], diags: &mut Vec<Diagnostic>) -> Vec<Cluster> {
    let mut out_clusters = Vec::with_capacity(clusters.len());
    let mut short_names: HashMap<String, &Site> = HashMap::new();
    for Located { site, raw } in clusters {
        dns_label(&raw.name, "cluster name", &site.key("name"), diags);
        if let Some(short) = &raw.short_name {
            dns_label(short, "shortName", &site.key("shortName"), diags);
            if let Some(other) = short_names.insert(short.clone(), site) {
                diags.push(
                    Diagnostic::at(
                        site.key("shortName"),
                        format!(
                            "shortName `{short}` is also the shortName of the cluster in {}",
                            other.file.display()
                        ),
                    )
                    .help("short names name Applications, so each must be unique"),
                );
            }
        }
        let metadata = labels(&raw.metadata, &site.key("metadata"), diags);
        let environment = raw.environment.as_ref().map(|e| e.0.clone());
        if let Some(env) = &environment {
            if let Err(e) = k8s::label_value(env) {
                diags.push(Diagnostic::at(
                    site.key("environment"),
                    format!("environment `{env}` is not a valid label value: {e}"),
                ).help("label values are at most 63 characters of letters, digits, `-`, `_` and `.`, beginning and ending with a letter or digit (or empty)"));
            }
        }
        let mut selectable = metadata.clone();
        selectable
            .entry("name".to_string())
            .or_insert_with(|| raw.name.clone());
        if let Some(env) = &environment {
            selectable
                .entry("environment".to_string())
                .or_insert_with(|| env.clone());
        }
        let values = mapping(raw.values.as_ref(), &site.key("values"), diags);
        let lifecycle = match raw.lifecycle.as_deref() {
            None | Some("active") => Lifecycle::Active,
            Some("onboarding") => Lifecycle::Onboarding,
            Some("draining") => Lifecycle::Draining,
            Some(other) => {
                diags.push(
                    Diagnostic::at(
                        site.key("lifecycle"),
                        format!("lifecycle `{other}` is not one of onboarding, active, draining"),
                    )
                    .help_opt(crate::base::suggest::hint(other, &["onboarding", "active", "draining"]).or_else(|| {
                        Some("`onboarding`: only policies with `onboarding: true` place apps on it; `draining`: its apps are removed, its root and namespaces stay".to_string())
                    })),
                );
                Lifecycle::Active
            }
        };
        out_clusters.push(Cluster {
            lifecycle,
            maintenance: super::maintenance::windows(&raw.maintenance, site, diags),
            name: raw.name.clone(),
            short_name: raw.short_name.clone(),
            description: raw.description.clone(),
            environment,
            metadata,
            labels: selectable,
            server: raw.server.clone(),
            values,
            tools: super::sources::tools(&raw.tools(), site, diags),
            site: site.clone(),
        });
    }
    out_clusters
}
