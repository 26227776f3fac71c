//! `fleetc.yaml`: every setting checked, with its default.

use super::fields::dns_label;
use super::{
    DeployRepo, Guard, Layout, Mode, Settings, DEFAULT_APPLICATION_NAME, SYSTEM_NAMESPACES,
};
use crate::base::error::{Diagnostic, Seg, Site};
use crate::base::suggest;
use crate::load::raw::{RawDeployRepo, RawLayout, RawSettings};
use crate::load::Located;
use crate::rules::argocd::Version;

/// Checks `fleetc.yaml` (absent: every default). The template folder was
/// looked for when the files were read.
pub(crate) fn check_settings(
    settings: Option<&Located<RawSettings>>,
    diags: &mut Vec<Diagnostic>,
) -> Settings {
    let default = RawSettings::default();
    let (raw, site) = match settings {
        Some(l) => (&l.raw, l.site.clone()),
        None => (&default, Site::file(crate::load::SETTINGS_FILE)),
    };
    let argocd_namespace = raw
        .argocd_namespace
        .clone()
        .unwrap_or_else(|| "argocd".to_string());
    dns_label(
        &argocd_namespace,
        "argocd_namespace",
        &site.key("argocd_namespace"),
        diags,
    );
    let mode = match raw.mode.as_deref() {
        None | Some("per-cluster") => Mode::PerCluster,
        Some("hub") => Mode::Hub,
        Some(other) => {
            diags.push(
                Diagnostic::at(site.key("mode"), format!("unknown mode `{other}`"))
                    .help_opt(suggest::hint(other, &["per-cluster", "hub"])),
            );
            Mode::PerCluster
        }
    };
    let deploy_repo = raw
        .deploy_repo
        .as_ref()
        .map(|d| deploy_repo(d, &site.key("deploy_repo"), diags));
    let guard = Guard {
        max_share: raw.removal_guard.max_share.unwrap_or(0.10),
        min_count: raw.removal_guard.min_count.unwrap_or(10),
    };
    if !(0.0..=1.0).contains(&guard.max_share) {
        diags.push(
            Diagnostic::at(
                site.key("removal_guard").key("max_share"),
                "`max_share` is a share of the rendered Applications, from 0 to 1",
            )
            .help("e.g. `max_share: 0.1` lets one compile remove at most 10%"),
        );
    }
    let reserved_namespaces = reserved_namespaces(raw, &site, &argocd_namespace, diags);
    let limits = crate::base::limits::Limits::from_raw(&raw.limits);
    let l = &raw.limits;
    for (name, set) in [
        ("file_bytes", l.file_bytes.map(|n| n as u128)),
        ("documents", l.documents.map(|n| n as u128)),
        ("fuel", l.fuel.map(|n| n as u128)),
        ("value_bytes", l.value_bytes.map(|n| n as u128)),
        ("manifest_bytes", l.manifest_bytes.map(|n| n as u128)),
        ("applications", l.applications.map(|n| n as u128)),
        ("memory_bytes", l.memory_bytes.map(|n| n as u128)),
    ] {
        if set == Some(0) {
            diags.push(
                Diagnostic::at(
                    site.key("limits").key(name),
                    format!("`limits.{name}` is 0, which allows nothing"),
                )
                .help("remove it to use the default, or give a positive number"),
            );
        }
    }
    let allow = crate::load::glob_set(
        &raw.allow_literal_secrets,
        &site.key("allow_literal_secrets"),
        false,
        "a value path like `grafana.adminPassword`, `*` for any part",
        diags,
    );
    let allow_secrets =
        super::secrets::allowances(&raw.allow_secrets, &site.key("allow_secrets"), diags);
    Settings {
        owners: super::owners::Owners::new(&raw.owners, &site.key("owners"), diags),
        allow_literal_secrets: allow,
        allow_secrets,
        limits,
        argocd_namespace,
        mode,
        deploy_repo,
        application_name: raw
            .application_name
            .clone()
            .unwrap_or_else(|| DEFAULT_APPLICATION_NAME.to_string()),
        layout: layout(&raw.layout),
        guard,
        reserved_namespaces,
        cascade_delete: raw.cascade_delete.unwrap_or(true),
        application_health_check: raw.application_health_check.unwrap_or(false),
        argocd_version: argocd_version(raw, &site, diags),
    }
}

/// `argocd_version`: a supported release, written as a string (YAML reads
/// a bare `3.10` as the number 3.1).
fn argocd_version(raw: &RawSettings, site: &Site, diags: &mut Vec<Diagnostic>) -> Version {
    let site = site.key("argocd_version");
    let supported = format!("{} to {}", Version::OLDEST, Version::NEWEST);
    let text = match &raw.argocd_version {
        None => return Version::NEWEST,
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => {
            diags.push(
                Diagnostic::at(site, format!("`argocd_version` is not a string: YAML read it as `{other}`"))
                    .help(format!("quote the version as you mean it, e.g. `argocd_version: \"{}\"`: unquoted, YAML reads 3.10 as the number 3.1", Version::NEWEST)),
            );
            return Version::NEWEST;
        }
    };
    let Some(version) = Version::parse(&text) else {
        diags.push(
            Diagnostic::at(site, format!("`argocd_version` `{text}` is not an Argo CD version"))
                .help(format!("write the release you run as `major.minor`, e.g. `\"{}\"`; fleetc supports Argo CD {supported}", Version::NEWEST)),
        );
        return Version::NEWEST;
    };
    // (Every release before the oldest lacks the whitelist's `name`.)
    if version < Version::OLDEST {
        diags.push(
            Diagnostic::at(site, format!("fleetc's manifests are not for Argo CD {version}: it has no `name` in an AppProject's `clusterResourceWhitelist` (that came in 3.3), so its API server would drop the names from the platform project, whose whitelist would then admit every Namespace, not just the teams'; fleetc supports Argo CD {supported}"))
                .help("upgrade Argo CD (its CRDs too: an old AppProject CRD prunes the field just the same) to 3.3 or newer, then set `argocd_version` to it"),
        );
    }
    version
}

/// Namespaces no team may claim: Kubernetes' own, Argo CD's, and the
/// setting's (each a valid namespace name).
fn reserved_namespaces(
    raw: &RawSettings,
    site: &Site,
    argocd_namespace: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<String> {
    let mut reserved_namespaces: Vec<String> =
        SYSTEM_NAMESPACES.iter().map(|s| s.to_string()).collect();
    reserved_namespaces.push(argocd_namespace.to_string());
    for (i, ns) in raw.reserved_namespaces.iter().enumerate() {
        dns_label(
            ns,
            "reserved namespace",
            &site.key("reserved_namespaces").at(Seg::Index(i)),
            diags,
        );
        reserved_namespaces.push(ns.clone());
    }
    reserved_namespaces.sort();
    reserved_namespaces.dedup();
    reserved_namespaces
}

/// The output layout, each path a default unless set.
fn layout(l: &RawLayout) -> Layout {
    let or = |set: &Option<String>, default: &str| set.clone().unwrap_or_else(|| default.into());
    Layout {
        application: or(&l.application, super::DEFAULT_APPLICATION_LAYOUT),
        project: or(
            &l.project,
            "clusters/{{ cluster.name }}/projects/{{ team.name }}.yaml",
        ),
        hub_project: or(&l.hub_project, "projects/{{ team.name }}.yaml"),
        bootstrap: or(&l.bootstrap, "bootstrap/{{ cluster.name }}.yaml"),
        platform_project: or(
            &l.platform_project,
            "clusters/{{ cluster.name }}/platform/project.yaml",
        ),
        platform_application: or(
            &l.platform_application,
            "clusters/{{ cluster.name }}/platform/namespaces.yaml",
        ),
        namespace: or(
            &l.namespace,
            "namespaces/{{ cluster.name }}/{{ namespace }}.yaml",
        ),
        root: or(&l.root, "clusters/{{ cluster.name }}"),
    }
}

/// The deploy repo, each field checked by the rules of git and Argo CD.
fn deploy_repo(d: &RawDeployRepo, site: &Site, diags: &mut Vec<Diagnostic>) -> DeployRepo {
    if let Err(why) = crate::rules::names::check_repo_url(&d.url) {
        diags.push(
            Diagnostic::at(
                site.key("url"),
                format!(
                    "deploy repo URL `{}` is not a URL Argo CD can clone: {why}",
                    d.url.escape_debug()
                ),
            )
            .help("write it as `https://host/org/repo.git` or `git@host:org/repo.git`"),
        );
    }
    let branch = d.branch.clone().unwrap_or_else(|| "main".to_string());
    if let Err(why) = crate::rules::names::check_branch(&branch) {
        diags.push(
            Diagnostic::at(
                site.key("branch"),
                format!(
                    "branch `{}` is not a branch name git accepts: {why}",
                    branch.escape_debug()
                ),
            )
            .help("use letters, digits, `-`, `_`, `.` and `/`, e.g. `main` or `deploy/prod`"),
        );
    }
    let path = d
        .path
        .clone()
        .unwrap_or_default()
        .trim_matches('/')
        .to_string();
    if !path.is_empty() {
        if let Err(why) = crate::rules::names::check_relative_path(&path) {
            diags.push(
                Diagnostic::at(
                    site.key("path"),
                    format!(
                        "deploy path `{}` is not allowed: {why}",
                        path.escape_debug()
                    ),
                )
                .help("name a folder inside the deploy repo, e.g. `rendered` or `fleet/prod`"),
            );
        }
    }
    DeployRepo {
        url: d.url.clone(),
        branch,
        path,
    }
}
