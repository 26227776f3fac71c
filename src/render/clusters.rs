//! What each cluster gets beside its Applications: the teams' AppProjects,
//! the platform (its namespaces, the Application that applies them and its
//! AppProject), and the root Application that syncs the cluster's folder.

use std::collections::{BTreeMap, BTreeSet};

use minijinja::{context, Environment, Value as JValue};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};

use super::env::{jv, render_file, render_manifest, render_path};
use super::{Contexts, Rendered};
use crate::base::error::{Diagnostic, Site};
use crate::check::{Inventory, Mode, IN_CLUSTER};

#[derive(Serialize)]
struct Role {
    name: String,
    description: String,
    policies: Vec<String>,
    groups: Vec<String>,
}

/// AppProjects: per cluster for the teams with apps there (per-cluster
/// mode), or one per team with placed apps (hub mode: of every placed
/// pair, also when the compile renders one shard of the fleet).
/// `rendering` says which clusters' files are rendered (the rest were
/// taken from an earlier compile), here and in the next two.
pub(super) fn render_projects(
    inv: &Inventory,
    env: &Environment<'static>,
    ctx: &Contexts,
    (matrix, out): (&crate::place::matrix::Matrix, &mut Rendered),
    diags: &mut Vec<Diagnostic>,
    rendering: &dyn Fn(usize) -> bool,
) {
    // team → cluster → placed (so destinations and repos are known).
    let mut by_team: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for p in &matrix.placed {
        by_team
            .entry(inv.apps[p.app].team)
            .or_default()
            .insert(p.cluster);
    }
    let mut files = Vec::new();
    for (&ti, clusters) in &by_team {
        let team = &inv.teams[ti];
        let source_repos: Vec<String> = match &team.source_repos {
            Some(r) => r.clone(),
            None => inv
                .apps
                .iter()
                .filter(|a| a.team == ti)
                .flat_map(|a| a.repo_urls().map(str::to_string))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
        };
        // Contributors manage the team's Applications; readers may look.
        let roles: Vec<Role> = [
            ("contributor", &team.contributors, "*", "Sync and manage"),
            ("reader", &team.readers, "get", "Read"),
        ]
        .into_iter()
        .filter(|(_, groups, _, _)| !groups.is_empty())
        .map(|(name, groups, action, what)| Role {
            name: name.into(),
            description: format!("{what} the applications of team {}", team.name),
            policies: vec![format!(
                "p, proj:{0}:{name}, applications, {action}, {0}/*, allow",
                team.name
            )],
            groups: groups.clone(),
        })
        .collect();
        let project_for = |destinations: Value, on: &[usize]| -> JValue {
            jv(json!({
                "source_repos": source_repos,
                "destinations": destinations,
                "roles": roles,
                "sync_windows": crate::place::windows::of_project(inv, ti, on),
            }))
        };
        match inv.settings.mode {
            Mode::PerCluster => {
                for &ci in clusters.iter().filter(|&&ci| rendering(ci)) {
                    let dests: Vec<Value> = team
                        .namespaces
                        .iter()
                        .map(|ns| json!({"server": IN_CLUSTER, "namespace": ns}))
                        .collect();
                    let c = context! {
                        team => ctx.teams[ti].clone(),
                        cluster => ctx.clusters[ci].clone(),
                        settings => ctx.settings.clone(),
                        project => project_for(Value::Array(dests), &[ci]),
                    };
                    files.push((Some(ci), "layout.project", c));
                }
            }
            Mode::Hub => {
                let dests: Vec<Value> = clusters
                    .iter()
                    .flat_map(|&ci| {
                        team.namespaces
                            .iter()
                            .map(move |ns| json!({"name": inv.clusters[ci].name, "namespace": ns}))
                    })
                    .collect();
                let on: Vec<usize> = clusters.iter().copied().collect();
                let c = context! {
                    team => ctx.teams[ti].clone(),
                    settings => ctx.settings.clone(),
                    project => project_for(Value::Array(dests), &on),
                };
                files.push((None, "layout.hub_project", c));
            }
        }
    }
    let rendered: Vec<_> = files
        .into_par_iter()
        .map(|(cluster, layout, c)| {
            (
                cluster,
                render_file(env, layout, "appproject.yaml.j2", c, inv),
            )
        })
        .collect();
    for (cluster, result) in rendered {
        match result {
            Ok((path, text)) => {
                out.projects.push((cluster, path.clone()));
                add_file(out, path, text, diags);
            }
            Err(mut d) => diags.append(&mut d),
        }
    }
}

/// Each cluster's platform: the Kubernetes namespaces of every team with
/// apps there (with RoleBindings of its groups to `edit` and `view`), the
/// Argo CD Application that applies them, and its AppProject, which allows
/// exactly those Namespaces (by name) and RoleBindings. The AppProject is
/// rendered for every cluster, even one that runs nothing, so that the
/// cluster's folder is never empty: the root Application of an emptied
/// cluster then prunes what left, instead of failing on a missing path.
/// `teams_on`: by cluster, the teams with Applications there.
pub(super) fn render_platform(
    inv: &Inventory,
    env: &Environment<'static>,
    ctx: &Contexts,
    out: &mut Rendered,
    diags: &mut Vec<Diagnostic>,
    rendering: &(dyn Fn(usize) -> bool + Sync),
    teams_on: &[BTreeSet<usize>],
) {
    // Each cluster's files, rendered in parallel, then added in order.
    let per_cluster: Vec<_> = teams_on
        .par_iter()
        .enumerate()
        .map(|(ci, teams)| match rendering(ci) {
            true => platform_of(inv, env, ctx, ci, teams),
            false => Vec::new(),
        })
        .collect();
    for (ci, files) in per_cluster.into_iter().enumerate() {
        for (kind, result) in files {
            match result {
                Ok((path, text)) => {
                    match kind {
                        Platform::Namespace => out.namespaces.push((ci, path.clone())),
                        Platform::Argo => out.platform.push((ci, path.clone())),
                    }
                    add_file(out, path, text, diags);
                }
                Err(mut d) => diags.append(&mut d),
            }
        }
    }
}

/// What a platform file is.
enum Platform {
    Namespace,
    /// Its AppProject or its Application.
    Argo,
}

type PlatformFiles = Vec<(Platform, Result<(String, String), Vec<Diagnostic>>)>;

/// One cluster's platform files (see [`render_platform`]): `teams` have apps there.
fn platform_of(
    inv: &Inventory,
    env: &Environment<'static>,
    ctx: &Contexts,
    ci: usize,
    teams: &BTreeSet<usize>,
) -> PlatformFiles {
    let mut out: PlatformFiles = Vec::new();
    let repo = inv.settings.deploy_repo.as_ref();
    let cluster = &inv.clusters[ci];
    let mut namespaces: Vec<&str> = Vec::new();
    let mut ns_paths: Vec<String> = Vec::new();
    for &ti in teams {
        let team = &inv.teams[ti];
        let bindings: Vec<Value> = [
            ("fleetc-contributor", "edit", &team.contributors),
            ("fleetc-reader", "view", &team.readers),
        ]
        .into_iter()
        .filter(|(_, _, groups)| !groups.is_empty())
        .map(|(name, role, groups)| json!({"name": name, "role": role, "groups": groups}))
        .collect();
        for ns in &team.namespaces {
            let c = context! {
                cluster => ctx.clusters[ci].clone(),
                team => ctx.teams[ti].clone(),
                settings => ctx.settings.clone(),
                namespace => ns.clone(),
                bindings => jv(&bindings),
            };
            let result = render_file(env, "layout.namespace", "namespace.yaml.j2", c, inv);
            if let Ok((path, _)) = &result {
                ns_paths.push(path.clone());
                namespaces.push(ns);
            }
            out.push((Platform::Namespace, result));
        }
    }
    // The platform's Argo CD objects read the tree from the deploy repo.
    let Some(repo) = repo else { return out };
    namespaces.sort_unstable();
    let (server, name) = match inv.settings.mode {
        Mode::PerCluster => (Some(IN_CLUSTER), None),
        Mode::Hub => (None, Some(cluster.name.as_str())),
    };
    // The namespaces, and no namespace at all: the platform Application
    // has none of its own (it applies Namespaces, and RoleBindings that
    // name theirs), and Argo CD checks that too against the project.
    let destinations: Vec<Value> = (!namespaces.is_empty())
        .then_some("")
        .into_iter()
        .chain(namespaces.iter().copied())
        .map(|ns| match server {
            Some(s) => json!({"namespace": ns, "server": s}),
            None => json!({"name": name, "namespace": ns}),
        })
        .collect();
    let project = format!("{}{}", crate::check::OWN_PREFIX, cluster.name);
    let deploy_repo = context! { url => repo.url.clone(), branch => repo.branch.clone() };
    let base = context! {
        cluster => ctx.clusters[ci].clone(),
        settings => ctx.settings.clone(),
        deploy_repo => deploy_repo,
    };
    let mut files = vec![(
        "layout.platform_project",
        "platform-project.yaml.j2",
        context! {
            project => context! {
                name => project.clone(),
                destinations => jv(&destinations),
                namespaces => jv(&namespaces),
            },
            ..base.clone()
        },
    )];
    if !namespaces.is_empty() {
        let folder = common_folder(ns_paths.iter().map(String::as_str));
        files.push((
            "layout.platform_application",
            "platform-application.yaml.j2",
            context! {
                platform => context! {
                    name => format!("{project}-namespaces"),
                    project => project.clone(),
                    path => prefixed(&repo.path, &folder),
                    destination => jv(json!({"server": server, "name": name})),
                },
                ..base.clone()
            },
        ));
    }
    for (layout, template, c) in files {
        out.push((Platform::Argo, render_file(env, layout, template, c, inv)));
    }
    out
}

/// `folder` inside the deploy repo's `path`.
fn prefixed(repo_path: &str, folder: &str) -> String {
    match (repo_path.is_empty(), folder) {
        (true, _) => folder.to_string(),
        (false, ".") => repo_path.to_string(),
        (false, _) => format!("{repo_path}/{folder}"),
    }
}

/// The root Application of every cluster in the inventory: it syncs the
/// cluster's folder (`layout.root`) and prunes what leaves it. In hub mode
/// one more syncs the teams' AppProjects. Each root's folder must hold
/// exactly what that root applies, and the folder of a cluster's namespaces
/// none of it: a file in the wrong folder would be applied twice, or by the
/// wrong Application, or pruned by it.
pub(super) fn render_roots(
    inv: &Inventory,
    env: &Environment<'static>,
    ctx: &Contexts,
    out: &mut Rendered,
    diags: &mut Vec<Diagnostic>,
    rendering: &dyn Fn(usize) -> bool,
) {
    let Some(repo) = &inv.settings.deploy_repo else {
        out.notes.push(
            "no `deploy_repo` in fleetc.yaml, so no root or platform Applications (bootstrap/) were rendered; apply each cluster's files yourself"
                .to_string(),
        );
        return;
    };
    // What each root applies: apps, per-cluster projects, platform files.
    let mut owned: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); inv.clusters.len()];
    for r in &out.apps {
        owned[r.cluster].insert(&r.path);
    }
    for (c, p) in &out.projects {
        if let Some(ci) = c {
            owned[*ci].insert(p);
        }
    }
    for (ci, p) in &out.platform {
        owned[*ci].insert(p);
    }
    let mut folders: Vec<(String, String, BTreeSet<&str>)> = Vec::new();
    let mut roots = Vec::new();
    for (ci, files) in owned.into_iter().enumerate() {
        let base = context! { cluster => ctx.clusters[ci].clone() };
        let folder = match render_path(env, "layout.root", base) {
            Ok(f) => f,
            Err(mut d) => {
                diags.append(&mut d);
                continue;
            }
        };
        let name = format!("{}{}", crate::check::OWN_PREFIX, inv.clusters[ci].name);
        folders.push((format!("root Application `{name}`"), folder.clone(), files));
        if rendering(ci) {
            roots.push((Some(ci), name, folder));
        }
    }
    let hub_projects: BTreeSet<&str> = out
        .projects
        .iter()
        .filter(|(c, _)| c.is_none())
        .map(|(_, p)| p.as_str())
        .collect();
    if !hub_projects.is_empty() {
        let folder = common_folder(hub_projects.iter().copied());
        let name = format!("{}projects", crate::check::OWN_PREFIX);
        folders.push((
            format!("root Application `{name}`"),
            folder.clone(),
            hub_projects,
        ));
        roots.push((None, name, folder));
    }
    let mut ns_files: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); inv.clusters.len()];
    for (ci, p) in &out.namespaces {
        ns_files[*ci].insert(p);
    }
    for (ci, files) in ns_files.into_iter().enumerate() {
        if !files.is_empty() {
            let name = format!(
                "{}{}-namespaces",
                crate::check::OWN_PREFIX,
                inv.clusters[ci].name
            );
            let folder = common_folder(files.iter().copied());
            folders.push((format!("platform Application `{name}`"), folder, files));
        }
    }
    check_folders(&out.files, &folders, diags);

    let rendered: Vec<_> = roots
        .into_par_iter()
        .map(|(cluster, name, folder)| {
            (
                cluster,
                root_of(inv, env, ctx, repo, cluster, name, &folder),
            )
        })
        .collect();
    for (cluster, result) in rendered {
        match result {
            Ok((path, text)) => {
                out.roots.push((cluster, path.clone()));
                add_file(out, path, text, diags);
            }
            Err(mut d) => diags.append(&mut d),
        }
    }
}

/// A root Application: its path and text.
fn root_of(
    inv: &Inventory,
    env: &Environment<'static>,
    ctx: &Contexts,
    repo: &crate::check::DeployRepo,
    cluster: Option<usize>,
    name: String,
    folder: &str,
) -> Result<(String, String), Vec<Diagnostic>> {
    let base = match cluster {
        Some(ci) => context! { cluster => ctx.clusters[ci].clone() },
        None => context! { cluster => JValue::from(()) },
    };
    let c = context! {
        settings => ctx.settings.clone(),
        deploy_repo => context! { url => repo.url.clone(), branch => repo.branch.clone() },
        root => context! { name => name, path => prefixed(&repo.path, folder) },
        ..base.clone()
    };
    if cluster.is_none() {
        // Hub mode's projects root has no cluster; its path is fixed.
        let text = render_manifest(env, "root-application.yaml.j2", c, inv, None)?;
        return Ok(("bootstrap/projects.yaml".to_string(), text));
    }
    let path = render_path(env, "layout.bootstrap", base)?;
    let text = render_manifest(env, "root-application.yaml.j2", c, inv, None)?;
    Ok((path, text))
}

/// Each (Application, folder, files it applies): the files are in the
/// folder, and the folder holds nothing else. One error per folder.
pub(super) fn check_folders(
    files: &BTreeMap<String, String>,
    folders: &[(String, String, BTreeSet<&str>)],
    diags: &mut Vec<Diagnostic>,
) {
    let site = Site::file(crate::load::SETTINGS_FILE).key("layout");
    for (who, folder, owned) in folders {
        let inside = |p: &str| {
            folder == "."
                || p.strip_prefix(folder.as_str())
                    .is_some_and(|r| r.starts_with('/'))
        };
        let problem = match owned.iter().find(|p| !inside(p)) {
            Some(p) => Some(format!(
                "{who} syncs the folder `{folder}`, but `{p}`, which it must apply, is outside it"
            )),
            None => {
                let start = if folder == "." {
                    String::new()
                } else {
                    format!("{folder}/")
                };
                files
                    .range(start.clone()..)
                    .take_while(|(p, _)| p.starts_with(&start))
                    .find(|(p, _)| !owned.contains(p.as_str()))
                    .map(|(p, _)| format!("{who} syncs the folder `{folder}`, which also holds `{p}`: it would apply (and prune) a file that is not its own"))
            }
        };
        if let Some(message) = problem {
            diags.push(Diagnostic::at(site.clone(), message).help(
                "a cluster's apps, projects and platform files go under its `layout.root` folder (default `clusters/{{ cluster.name }}`), and its namespaces outside it, in a folder of their own",
            ));
        }
    }
}

/// The deepest folder that holds every path (`.` when they share none).
fn common_folder<'a>(paths: impl Iterator<Item = &'a str>) -> String {
    let mut common: Option<Vec<&str>> = None;
    for p in paths {
        let parts: Vec<&str> = p.split('/').collect();
        let dir = &parts[..parts.len().saturating_sub(1)];
        common = Some(match common {
            None => dir.to_vec(),
            Some(c) => c
                .iter()
                .zip(dir)
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| *a)
                .collect(),
        });
    }
    let c = common.unwrap_or_default();
    if c.is_empty() {
        ".".to_string()
    } else {
        c.join("/")
    }
}

pub(super) fn add_file(
    out: &mut Rendered,
    path: String,
    text: String,
    diags: &mut Vec<Diagnostic>,
) {
    if out.files.contains_key(&path) {
        diags.push(
            Diagnostic::at(
                Site::file(crate::load::SETTINGS_FILE).key("layout"),
                format!("two manifests render to the same file `{path}`"),
            )
            .help("each layout path must name what makes its file unique (cluster, app, team)"),
        );
        return;
    }
    out.files.insert(path, text);
}
