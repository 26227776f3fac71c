//! The built-in Application template, name and path, written out in Rust.
//!
//! A fleet is mostly Applications, and rendering each through minijinja
//! (building its context, calling the `yaml` filters through the engine)
//! was a third of a compile. When the inventory does not replace
//! `application.yaml.j2`, fleetc writes the same bytes here instead; a user's
//! template still goes through minijinja. The test below and
//! `tests/it/pipeline.rs` render every fixture both ways and compare the
//! bytes, so the two cannot drift apart: change `templates/application.yaml.j2`
//! and this file together.

use std::fmt::Write as _;

use crate::base::error::Diagnostic;
use crate::base::yaml;
use crate::check::{App, Cluster, Team};

use super::source::Source;

/// What the template's `application` variable holds, besides the app,
/// cluster and team.
pub(super) struct Application<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
    pub policies: &'a [String],
    /// The pair's revision (`targetRevision`).
    pub revision: &'a str,
    /// The rollout that decides the revision, if one does.
    pub rollout: Option<&'a RolloutNote>,
    pub wave: u32,
    /// (server, name): one of them is set.
    pub destination: (Option<&'a str>, Option<&'a str>),
    pub cascade_delete: bool,
    /// The repo and tool block, and the values repo.
    pub source: &'a Source<'a>,
    /// The merged values as a YAML document, when there are any.
    pub helm_values: Option<&'a str>,
}

/// A rollout's annotations on an Application.
pub(super) struct RolloutNote {
    /// `policy/NAME` or `app/NAME`.
    pub name: String,
    /// The cluster's ring; none when it has no ring label (it goes with
    /// the last ring).
    pub ring: Option<String>,
    /// `promoted` (it has the rollout's revision) or `waiting`.
    pub state: &'static str,
}

/// `templates/application.yaml.j2`, rendered: the same bytes, ending in one
/// newline as every manifest does.
pub(super) fn application(a: &Application, app: &App, cluster: &Cluster, team: &Team) -> String {
    let q = yaml::inline_str;
    let mut s = String::with_capacity(1536 + a.helm_values.map_or(0, |v| v.len() * 9 / 8));
    s.push_str(
        "# Rendered by fleetc from the inventory. Do not edit: change the inventory.\n\
         apiVersion: argoproj.io/v1alpha1\n\
         kind: Application\n\
         metadata:\n",
    );
    let _ = writeln!(s, "  name: {}", q(a.name));
    let _ = writeln!(s, "  namespace: {}", q(a.namespace));
    s.push_str("  labels:\n    app.kubernetes.io/managed-by: fleetc\n");
    let _ = writeln!(s, "    fleetc.io/app: {}", q(&app.name));
    let _ = writeln!(s, "    fleetc.io/cluster: {}", q(&cluster.name));
    let _ = writeln!(s, "    fleetc.io/team: {}", q(&team.name));
    s.push_str("  annotations:\n");
    let _ = writeln!(
        s,
        "    argocd.argoproj.io/sync-wave: {}",
        q(&a.wave.to_string())
    );
    let _ = writeln!(s, "    fleetc.io/policies: {}", q(&a.policies.join(",")));
    if let Some(r) = a.rollout {
        let _ = writeln!(s, "    fleetc.io/rollout: {}", q(&r.name));
        if let Some(ring) = &r.ring {
            let _ = writeln!(s, "    fleetc.io/ring: {}", q(ring));
        }
        let _ = writeln!(s, "    fleetc.io/rollout-state: {}", q(r.state));
    }
    if a.cascade_delete {
        s.push_str("  finalizers:\n    - resources-finalizer.argocd.argoproj.io\n");
    }
    s.push_str("spec:\n");
    let _ = writeln!(s, "  project: {}", q(&team.name));
    match a.source.values_repo {
        None => {
            s.push_str("  source:\n");
            source(&mut s, a, app, "    ", 4);
        }
        Some(repo) => {
            s.push_str("  sources:\n");
            source(&mut s, a, app, "    - ", 6);
            let _ = writeln!(s, "    - repoURL: {}", q(&repo.url));
            let _ = writeln!(s, "      targetRevision: {}", q(&repo.revision));
            let _ = writeln!(s, "      ref: {}", q(super::source::VALUES_REF));
        }
    }
    s.push_str("  destination:\n");
    match a.destination {
        (Some(server), _) if !server.is_empty() => {
            let _ = writeln!(s, "    server: {}", q(server));
        }
        (_, name) => {
            let name = name.map_or_else(|| "null".to_string(), q);
            let _ = writeln!(s, "    name: {name}");
        }
    }
    let _ = writeln!(s, "    namespace: {}", q(&app.destination_namespace));
    s.push_str("  syncPolicy:\n");
    if app.sync.automated {
        let _ = writeln!(
            s,
            "    automated:\n      prune: {}\n      selfHeal: {}",
            app.sync.prune, app.sync.self_heal
        );
    }
    if !app.sync.sync_options.is_empty() {
        s.push_str("    syncOptions:\n");
        let options = serde_json::Value::from(app.sync.sync_options.clone());
        s.push_str(&yaml::to_block(&options, 6));
        s.push('\n');
    }
    s.push_str(
        "    retry:\n      limit: 5\n      backoff:\n        duration: 10s\n        factor: 2\n        maxDuration: 5m\n",
    );
    s
}

/// The template's `source` macro: the app's source, its first line after
/// `first`, the rest indented by `indent`.
fn source(s: &mut String, a: &Application, app: &App, first: &str, indent: usize) {
    let q = yaml::inline_str;
    let pad = " ".repeat(indent);
    let _ = writeln!(s, "{first}repoURL: {}", q(a.source.repo_url));
    let _ = writeln!(s, "{pad}targetRevision: {}", q(a.revision));
    match app.chart.as_deref().filter(|c| !c.is_empty()) {
        Some(chart) => {
            let _ = writeln!(s, "{pad}chart: {}", q(chart));
        }
        None => {
            let path = match app.repo_path.as_deref() {
                Some(p) => q(p),
                None => "null".to_string(),
            };
            let _ = writeln!(s, "{pad}path: {path}");
        }
    }
    if let Some(helm) = &a.source.helm {
        let _ = writeln!(s, "{pad}helm:");
        let _ = writeln!(s, "{pad}  releaseName: {}", q(&helm.release_name));
        if !helm.value_files.is_empty() {
            let _ = writeln!(s, "{pad}  valueFiles:");
            let files = serde_json::Value::from(helm.value_files.clone());
            s.push_str(&yaml::to_block(&files, indent + 4));
            s.push('\n');
        }
        if helm.ignore_missing_value_files {
            let _ = writeln!(s, "{pad}  ignoreMissingValueFiles: true");
        }
        if let Some(values) = a.helm_values.filter(|v| !v.is_empty()) {
            let _ = writeln!(
                s,
                "{pad}  # Text, not valuesObject: Argo CD would drop the nulls that unset chart defaults."
            );
            let _ = write!(s, "{pad}  values: ");
            s.push_str(&yaml::literal(values, indent + 4));
            s.push('\n');
        }
    }
    for (key, block) in [
        ("kustomize", &a.source.kustomize),
        ("directory", &a.source.directory),
    ] {
        if let Some(block) = block {
            let _ = writeln!(s, "{pad}{key}:");
            s.push_str(&yaml::to_block(block, indent + 2));
            s.push('\n');
        }
    }
}

/// The default `layout.application`, rendered and checked as `render_path` checks it.
pub(super) fn application_path(app: &App, cluster: &Cluster) -> Result<String, Vec<Diagnostic>> {
    let path = format!("clusters/{}/apps/{}.yaml", cluster.name, app.name);
    let path = path.trim();
    crate::rules::names::check_relative_path(path)
        .map_err(|why| vec![super::env::path_error(path, why)])?;
    Ok(path.to_string())
}

/// The default `application_name` (`{{ app.name }}-{{ cluster.shortName or
/// cluster.name }}`), rendered: before it is checked.
pub(super) fn application_name(app: &App, cluster: &Cluster) -> String {
    let cluster = cluster
        .short_name
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or(&cluster.name);
    format!("{}-{cluster}", app.name).trim().to_string()
}
