//! Rendering: placed pairs → Argo CD manifests.
//!
//! One minijinja environment holds the manifest templates (built into the
//! binary, each overridable by a file of the same name in the inventory's
//! template folder), the Application name template and the output layout.
//! Undefined variables are errors and every render has a fuel budget, so a
//! template can neither guess nor loop forever. For each placed pair the
//! values are merged ([`crate::rules::helm`]), `${ }` references are expanded, and
//! the Application is rendered; then AppProjects and the clusters' root
//! Applications. The result is a map from relative path to file text.

mod apps;
mod builtin;
mod clusters;
mod env;
mod patch;
mod reuse;
mod source;
pub(crate) mod tree;

use std::collections::{BTreeMap, BTreeSet};

use minijinja::{Environment, Value as JValue};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};

use crate::base::error::{Diagnostic, Site};
use crate::base::watch::Watch;
use crate::check::{App, Cluster, Inventory, Team};
use crate::merge::Conflicts;
use crate::place::delivery::Plan;
use crate::place::matrix::Matrix;

use apps::{check_collisions, compile_expressions, render_pair, Memo, Shared};
use clusters::{render_platform, render_projects, render_roots};
use env::{environment, jv, unknown_templates};
pub(crate) use reuse::fleetc_identity;
pub use reuse::Hash;
pub use reuse::{ClusterPrior, Kind, Prior, Reuse, Seal};
use source::ExpansionErrors;

/// One rendered Application and what it came from.
#[derive(Clone, Debug)]
pub struct RenderedApp {
    /// The cluster, by index.
    pub cluster: usize,
    /// The app, by index.
    pub app: usize,
    /// The Application's name (from `application_name`).
    pub name: String,
    /// Its file's path in the tree (from `layout.application`).
    pub path: String,
    /// Names of the policies that placed it.
    pub policies: Vec<String>,
    /// The digest of what it was rendered from.
    pub inputs: Hash,
    /// Set when it was not rendered: an earlier compile's file, from the
    /// same inputs (its text in [`Rendered::files`] is empty).
    pub reused: Option<crate::render::tree::Known>,
    /// What its file's head says, when fleetc wrote it with the built-in
    /// template and no patch: read from here, not parsed again.
    pub head: Option<Box<Head>>,
}

/// What the head of an Application file says beyond its [`RenderedApp`]
/// (whose name, policies, cluster and app it carries as labels and
/// annotations), as the built-in template writes it: what a review of an
/// added Application reads, known without parsing the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// The primary source's `targetRevision`.
    pub revision: String,
    /// The `fleetc.io/rollout`, `fleetc.io/ring` and
    /// `fleetc.io/rollout-state` annotations, when it has the first.
    pub rollout: Option<(String, Option<String>, String)>,
}

/// Everything a compile writes, before it is written.
#[derive(Clone, Debug, Default)]
pub struct Rendered {
    /// Relative path (`/`-separated) → file text.
    pub files: BTreeMap<String, String>,
    /// The Applications, sorted by cluster then app.
    pub apps: Vec<RenderedApp>,
    /// The AppProjects: (cluster in per-cluster mode, path).
    pub projects: Vec<(Option<usize>, String)>,
    /// Each cluster's platform AppProject and platform Application: (cluster, path).
    pub platform: Vec<(usize, String)>,
    /// The team namespaces on each cluster: (cluster, path).
    pub namespaces: Vec<(usize, String)>,
    /// The root Applications: (cluster, or none for hub mode's projects,
    /// path).
    pub roots: Vec<(Option<usize>, String)>,
    /// Notes for the user (not errors), e.g. what was not rendered and why.
    pub notes: Vec<String>,
    /// By cluster: the digest of what its own files (projects, platform,
    /// namespaces, root) are made of.
    pub cluster_inputs: Vec<Hash>,
    /// The clusters' own files that were not rendered: an earlier
    /// compile's, from the same inputs (their texts in `files` are empty).
    pub reused_files: BTreeMap<String, crate::render::tree::Known>,
}

impl Rendered {
    /// Each cluster's own files: (what, path), by cluster index.
    pub fn cluster_files(&self, clusters: usize) -> Vec<Vec<(Kind, &str)>> {
        let mut files: Vec<Vec<(Kind, &str)>> = vec![Vec::new(); clusters];
        let all = (self.projects.iter().map(|(c, p)| (*c, Kind::Project, p)))
            .chain(
                self.platform
                    .iter()
                    .map(|(c, p)| (Some(*c), Kind::Platform, p)),
            )
            .chain(
                self.namespaces
                    .iter()
                    .map(|(c, p)| (Some(*c), Kind::Namespace, p)),
            )
            .chain(self.roots.iter().map(|(c, p)| (*c, Kind::Root, p)));
        for (c, kind, path) in all {
            if let Some(f) = c.and_then(|ci| files.get_mut(ci)) {
                f.push((kind, path.as_str()));
            }
        }
        files
    }
}

/// What to keep of the Applications' texts once rendered and checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keep {
    /// Everything: the tree is written or compared.
    Texts,
    /// Their paths only (each text is empty): for commands that only
    /// check or report, at a fraction of the memory.
    Paths,
}

/// How to render: what to keep of the texts, the earlier renders that may
/// be reused, and the shard of the fleet (by cluster, whether it is
/// rendered; `None`: every cluster).
#[derive(Clone, Copy)]
pub(crate) struct How<'a> {
    pub keep: Keep,
    pub reuse: Option<&'a Reuse>,
    pub shard: Option<&'a [bool]>,
}

/// Renders the whole tree (or a shard's): the Applications, then each
/// cluster's own files, then the checks of the tree as a whole. Every
/// problem is reported, and nothing is returned when there is one.
pub(crate) fn render(
    inv: &Inventory,
    matrix: &Matrix,
    plan: &Plan,
    how: How<'_>,
    watch: &dyn Watch,
) -> Result<Rendered, Vec<Diagnostic>> {
    let How { keep, reuse, shard } = how;
    check_count(inv, matrix)?;
    let env = environment(inv)?;
    let ctx = Contexts::new(inv);
    let mut diags = unknown_templates(inv);
    let inputs = reuse::Inputs::new(inv, &ctx);
    let run = Run {
        inv,
        reuse,
        shard,
        watch,
        env: &env,
        ctx: &ctx,
        inputs: &inputs,
    };
    let mut out = render_apps(&run, matrix, plan, keep, &mut diags);
    render_cluster_files(&run, matrix, &mut out, &mut diags);
    check_tree(&out, &mut diags);
    out.notes.extend(source::unread_settings(inv, matrix));
    out.notes.extend(empty(inv, &out));
    let version = inv.settings.argocd_version;
    if version > crate::rules::argocd::Version::NEWEST {
        out.notes.push(format!(
            "`argocd_version` {version} is newer than fleetc is tested with ({}): the manifests are those for {}; see the compatibility table in fleetc's docs",
            crate::rules::argocd::Version::NEWEST,
            crate::rules::argocd::Version::NEWEST
        ));
    }
    if !inv.settings.application_health_check
        && out
            .apps
            .iter()
            .any(|r| !inv.apps[r.app].depends_on.is_empty())
    {
        out.notes.push(
            "`depends_on` puts dependents in later sync waves, but Argo CD waits for a wave's Applications to be Synced and Healthy only when argocd-cm has a health check for `argoproj.io/Application` (it has none since Argo CD 1.8): add the one in fleetc's docs (\"What Argo CD gets\", \"Dependencies\"), then set `application_health_check: true` in fleetc.yaml".to_string(),
        );
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(out)
}

/// A note when nothing would be deployed, naming what is missing: an
/// inventory with no files is most often the wrong folder.
fn empty(inv: &Inventory, out: &Rendered) -> Option<String> {
    if !out.apps.is_empty() {
        return None;
    }
    if inv.files == 0 {
        return Some("the inventory is empty: no cluster, app, team or policy file was found; is `-i DIR` the inventory's root? (fleetc reads clusters/, apps/, namespaces/ and policies/ there)".to_string());
    }
    let missing: Vec<&str> = [
        (inv.clusters.is_empty(), "no clusters"),
        (inv.apps.is_empty(), "no apps"),
        (inv.policies.is_empty(), "no policies"),
    ]
    .into_iter()
    .filter_map(|(none, what)| none.then_some(what))
    .collect();
    Some(if missing.is_empty() {
        "no policy selects any cluster for its apps: nothing would be deployed".to_string()
    } else {
        format!(
            "the inventory has {}: nothing would be deployed",
            missing.join(", ")
        )
    })
}

/// What every render of a compile shares: the inventory, the earlier
/// renders it may reuse, who watches, the templates, the template views,
/// and the digests of the inputs.
struct Run<'a> {
    inv: &'a Inventory,
    reuse: Option<&'a Reuse>,
    shard: Option<&'a [bool]>,
    watch: &'a dyn Watch,
    env: &'a Environment<'static>,
    ctx: &'a Contexts,
    inputs: &'a reuse::Inputs,
}

/// The Applications over `limits.applications` are refused before any
/// is rendered.
fn check_count(inv: &Inventory, matrix: &Matrix) -> Result<(), Vec<Diagnostic>> {
    let limit = inv.settings.limits.applications;
    if matrix.placed.len() <= limit {
        return Ok(());
    }
    Err(vec![Diagnostic::at(
        Site::file(crate::load::SETTINGS_FILE),
        format!(
            "the policies place {} Applications, over the limit of {limit} for one compile",
            matrix.placed.len()
        ),
    )
    .help(format!(
        "check the selectors (`{{}}` selects everything), or raise the limit with {}",
        crate::base::limits::setting("applications")
    ))])
}

/// Every placed pair's Application, in parallel: an earlier compile's
/// where its inputs are unchanged, rendered where not.
fn render_apps(
    run: &Run<'_>,
    matrix: &Matrix,
    plan: &Plan,
    keep: Keep,
    diags: &mut Vec<Diagnostic>,
) -> Rendered {
    let &Run {
        inv,
        reuse,
        shard,
        watch,
        env,
        ctx,
        inputs,
    } = run;
    let mut out = Rendered::default();
    let conflicts = Conflicts::default();
    let expansion_errors = ExpansionErrors::default();
    let exprs = compile_expressions(inv, env, watch);
    let shared = Shared {
        inv,
        plan,
        env,
        ctx,
        conflicts: &conflicts,
        expansion_errors: &expansion_errors,
        exprs: &exprs,
        watch,
    };
    let in_shard = |ci: usize| shard.is_none_or(|s| s[ci]);
    let pairs: Vec<&crate::place::matrix::Pair> = matrix
        .placed
        .iter()
        .filter(|p| in_shard(p.cluster))
        .collect();
    watch.stage("rendering Applications", pairs.len());
    let results: Vec<_> = pairs
        .par_iter()
        .map_init(Memo::new, |memo, pair| {
            let digest = inputs.pair(inv, plan, pair);
            let (cluster, app) = (&inv.clusters[pair.cluster].name, &inv.apps[pair.app].name);
            let rendered = match reuse.and_then(|r| r.get(cluster, app, &digest)) {
                Some(prior) => Ok((
                    RenderedApp {
                        cluster: pair.cluster,
                        app: pair.app,
                        name: prior.name.clone(),
                        path: prior.path.clone(),
                        policies: prior.policies.clone(),
                        inputs: digest,
                        reused: Some(prior.file),
                        head: None,
                    },
                    String::new(),
                )),
                None => render_pair(&shared, memo, pair).map(|(mut app, text)| {
                    app.inputs = digest;
                    (app, text)
                }),
            };
            watch.tick();
            match keep {
                Keep::Texts => rendered,
                Keep::Paths => rendered.map(|(app, _)| (app, String::new())),
            }
        })
        .collect();
    for result in results {
        match result {
            Ok((app, text)) => {
                // A text is built in a buffer sized by guess: its slack,
                // over a fleet, was a third of the texts' memory.
                let mut text = text;
                text.shrink_to_fit();
                out.files.insert(app.path.clone(), text);
                out.apps.push(app);
            }
            Err(mut d) => diags.append(&mut d),
        }
    }
    watch.end();
    diags.extend(conflicts.into_diagnostics(inv));
    for ((site, message, help), clusters) in expansion_errors.into_inner().unwrap() {
        let clusters: Vec<String> = clusters.into_iter().collect();
        let on = match clusters.len() {
            1 => format!("cluster `{}`", clusters[0]),
            n if n <= 3 => format!(
                "clusters {}",
                clusters
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            n => format!("{n} clusters (`{}`, `{}`, ...)", clusters[0], clusters[1]),
        };
        diags.push(Diagnostic::at(site, format!("{message} (for {on})")).help(help));
    }
    check_collisions(inv, &out.apps, diags);
    out
}

/// Each cluster's own files (projects, platform, namespaces, root): an
/// earlier compile's where their inputs are unchanged, rendered where not.
fn render_cluster_files(
    run: &Run<'_>,
    matrix: &Matrix,
    out: &mut Rendered,
    diags: &mut Vec<Diagnostic>,
) {
    let (inv, env, ctx, reuse) = (run.inv, run.env, run.ctx, run.reuse);
    let mut teams_on: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); inv.clusters.len()];
    for r in &out.apps {
        teams_on[r.cluster].insert(inv.apps[r.app].team);
    }
    // A cluster that is joining gets the namespaces of the apps it will
    // run; one that is draining keeps those of the apps it ran.
    for p in &matrix.held {
        teams_on[p.cluster].insert(inv.apps[p.app].team);
    }
    out.cluster_inputs = teams_on
        .par_iter()
        .enumerate()
        .map(|(ci, teams)| run.inputs.cluster(ci, teams))
        .collect();
    let mut reused = vec![false; inv.clusters.len()];
    for (ci, c) in inv.clusters.iter().enumerate() {
        let digest = &out.cluster_inputs[ci];
        let Some(prior) = reuse.and_then(|r| r.cluster(&c.name, digest)) else {
            continue;
        };
        reused[ci] = true;
        for (kind, path, known) in &prior.files {
            match kind {
                Kind::Project => out.projects.push((Some(ci), path.clone())),
                Kind::Platform => out.platform.push((ci, path.clone())),
                Kind::Namespace => out.namespaces.push((ci, path.clone())),
                Kind::Root => out.roots.push((Some(ci), path.clone())),
            }
            clusters::add_file(out, path.clone(), String::new(), diags);
            out.reused_files.insert(path.clone(), *known);
        }
    }
    if reuse.is_some() {
        let apps = out.apps.iter().filter(|a| a.reused.is_some()).count();
        let clusters = reused.iter().filter(|r| **r).count();
        run.watch.fact(&format!(
            "reused {apps} of {} Applications and the own files of {clusters} of {} clusters",
            out.apps.len(),
            reused.len()
        ));
    }
    let rendering = |ci: usize| !reused[ci] && run.shard.is_none_or(|s| s[ci]);
    render_projects(inv, env, ctx, (matrix, out), diags, &rendering);
    render_platform(inv, env, ctx, out, diags, &rendering, &teams_on);
    render_roots(inv, env, ctx, out, diags, &rendering);
    // One order, however they were made.
    out.projects.sort_unstable();
    out.platform.sort_unstable();
    out.namespaces.sort_unstable();
    out.roots.sort_unstable();
}

/// No rendered path may be one of fleetc's own records, or a file where
/// another path needs a folder.
fn check_tree(out: &Rendered, diags: &mut Vec<Diagnostic>) {
    let Err((file, other)) = crate::rules::names::check_tree(&out.files) else {
        return;
    };
    let site = Site::file(crate::load::SETTINGS_FILE).key("layout");
    diags.push(match other {
        None => Diagnostic::at(
            site,
            format!("a manifest renders to `{file}`, where fleetc keeps its own records (the deployment log and the lists of its files)"),
        )
        .help("change the layout so that no manifest lands in `deployments/`, `.fleetc/`, on `deployments.jsonl` or on `.fleetc-manifest`"),
        Some(other) => Diagnostic::at(
            site,
            format!("`{file}` is rendered as a file, but `{other}` needs it to be a folder"),
        )
        .help("change the layout so that no file lands where another path needs a folder"),
    });
}

/// The template views of clusters, apps and teams, built once each.
struct Contexts {
    clusters: Vec<JValue>,
    apps: Vec<JValue>,
    teams: Vec<JValue>,
    settings: JValue,
}

#[derive(Serialize)]
struct ClusterView<'a> {
    name: &'a str,
    #[serde(rename = "shortName")]
    short_name: Option<&'a str>,
    description: Option<&'a str>,
    environment: Option<&'a str>,
    metadata: &'a BTreeMap<String, String>,
    labels: &'a BTreeMap<String, String>,
    server: Option<&'a str>,
}

#[derive(Serialize)]
struct AppView<'a> {
    name: &'a str,
    description: Option<&'a str>,
    repo_url: &'a str,
    repo_branch: &'a str,
    repo_path: Option<&'a str>,
    chart: Option<&'a str>,
    /// `helm`, `kustomize`, `directory`, or none: Argo CD detects it.
    source_type: Option<&'static str>,
    metadata: &'a BTreeMap<String, String>,
    namespace: &'a str,
    destination_namespace: &'a str,
    release_name: &'a str,
    depends_on: Vec<&'a str>,
    sync: Value,
}

fn cluster_view(c: &Cluster) -> ClusterView<'_> {
    ClusterView {
        name: &c.name,
        short_name: c.short_name.as_deref(),
        description: c.description.as_deref(),
        environment: c.environment.as_deref(),
        metadata: &c.metadata,
        labels: &c.labels,
        server: c.server.as_deref(),
    }
}

fn app_view<'a>(inv: &'a Inventory, a: &'a App) -> AppView<'a> {
    AppView {
        name: &a.name,
        description: a.description.as_deref(),
        repo_url: &a.repo_url,
        repo_branch: &a.repo_branch,
        repo_path: a.repo_path.as_deref(),
        chart: a.chart.as_deref(),
        source_type: a.source_type.map(|t| t.name()),
        metadata: &a.metadata,
        namespace: &inv.teams[a.team].name,
        destination_namespace: &a.destination_namespace,
        release_name: &a.release_name,
        depends_on: a
            .depends_on
            .iter()
            .map(|d| inv.apps[*d].name.as_str())
            .collect(),
        sync: json!({
            "automated": a.sync.automated,
            "prune": a.sync.prune,
            "selfHeal": a.sync.self_heal,
            "syncOptions": a.sync.sync_options,
        }),
    }
}

fn team_view(t: &Team) -> Value {
    json!({
        "name": t.name,
        "description": t.description,
        "namespaces": t.namespaces,
        "groups": {"contributor": t.contributors, "reader": t.readers},
    })
}

impl Contexts {
    fn new(inv: &Inventory) -> Contexts {
        Contexts {
            clusters: inv.clusters.iter().map(|c| jv(cluster_view(c))).collect(),
            apps: inv.apps.iter().map(|a| jv(app_view(inv, a))).collect(),
            teams: inv.teams.iter().map(|t| jv(team_view(t))).collect(),
            settings: jv(json!({
                "argocd_namespace": inv.settings.argocd_namespace,
                "mode": inv.settings.mode.name(),
            })),
        }
    }
}
