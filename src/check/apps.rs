//! Apps: their source, team and namespace, values and per-cluster
//! overrides, sync settings, and dependencies (which become sync waves).

use std::collections::BTreeSet;

use super::fields::{dns_label, labels, mapping};
use super::{delivery, sources};
use super::{App, Index, Settings, Sync, Team};

use crate::base::error::{Diagnostic, Seg, Site};
use crate::base::suggest;
use crate::load::raw::RawApp;
use crate::load::Located;

pub(super) fn check(
    apps_raw: &[Located<RawApp>],
    index: &Index,
    teams: &[Team],
    settings: &Settings,
    diags: &mut Vec<Diagnostic>,
) -> Vec<App> {
    let mut apps: Vec<App> = apps_raw
        .iter()
        .map(|app| check_app(app, index, teams, settings, diags))
        .collect();
    assign_waves(&mut apps, diags);
    apps
}

fn check_app(
    Located { site, raw }: &Located<RawApp>,
    index: &Index,
    teams: &[Team],
    settings: &Settings,
    diags: &mut Vec<Diagnostic>,
) -> App {
    dns_label(&raw.name, "app name", &site.key("name"), diags);
    let metadata = labels(&raw.metadata, &site.key("metadata"), diags);
    let mut selectable = metadata.clone();
    selectable
        .entry("name".to_string())
        .or_insert_with(|| raw.name.clone());
    let team = match index.team(&raw.namespace) {
        Some(t) => t,
        None => {
            diags.push(
                Diagnostic::at(
                    site.key("namespace"),
                    format!(
                        "app `{}` names namespace `{}`, which is not in the inventory",
                        raw.name, raw.namespace
                    ),
                )
                .help_opt(suggest::hint(&raw.namespace, &index.teams).or_else(
                    || {
                        Some(format!(
                            "add `namespaces/{}.yaml` with `name: {}`",
                            raw.namespace, raw.namespace
                        ))
                    },
                )),
            );
            usize::MAX
        }
    };
    let destination_namespace = raw
        .destination_namespace
        .clone()
        .unwrap_or_else(|| raw.namespace.clone());
    if let Some(t) = teams.get(team) {
        check_tenancy(site, raw, &destination_namespace, t, teams, diags);
    }
    check_source(site, raw, diags);
    let source_type = sources::source_type(site, raw, diags);
    let values_repo = sources::values_repo(site, raw, diags);
    let release_name = raw.release_name.clone().unwrap_or_else(|| raw.name.clone());
    if raw.release_name.is_some() {
        dns_label(
            &release_name,
            "release_name",
            &site.key("release_name"),
            diags,
        );
    }
    App {
        name: raw.name.clone(),
        description: raw.description.clone(),
        repo_url: raw.repo_url.clone(),
        repo_branch: raw
            .repo_branch
            .clone()
            .unwrap_or_else(|| "HEAD".to_string()),
        repo_path: raw.repo_path.clone(),
        chart: raw.chart.clone(),
        source_type: source_type.map(|(t, _)| t),
        source_key: source_type.map(|(_, k)| k),
        tools: sources::tools(&raw.tools(), site, diags),
        tool_overrides: sources::kustomize_overrides(raw, site, index, diags),
        values_repo,
        metadata,
        labels: selectable,
        team,
        destination_namespace,
        release_name,
        values: mapping(raw.values.as_ref(), &site.key("values"), diags),
        overrides: delivery::by_cluster(
            &raw.value_overrides,
            "valueOverrides",
            site,
            index,
            diags,
            |v, at, diags| mapping(Some(v), at, diags),
        ),
        depends_on: dependencies(site, raw, index, diags),
        wave: 0,
        sync: sync(site, raw, diags),
        cascade_delete: raw.cascade_delete.unwrap_or(settings.cascade_delete),
        revision_overrides: delivery::by_cluster(
            &raw.revision_overrides,
            "revisionOverrides",
            site,
            index,
            diags,
            |rev, at, diags| delivery::revision(rev, at, diags).then(|| rev.clone()),
        ),
        rollout: raw
            .rollout
            .as_ref()
            .and_then(|r| delivery::rollout(r, &site.key("rollout"), diags)),
        patches: delivery::by_cluster(&raw.patches, "patches", site, index, diags, delivery::patch),
        site: site.clone(),
    }
}

/// An app deploys only into its team's namespaces, from its team's repos
/// (matched as Argo CD matches an AppProject's `sourceRepos`).
fn check_tenancy(
    site: &Site,
    raw: &RawApp,
    destination_namespace: &str,
    team: &Team,
    teams: &[Team],
    diags: &mut Vec<Diagnostic>,
) {
    if raw.destination_namespace.is_some() {
        let at = site.key("destination_namespace");
        if dns_label(destination_namespace, "destination_namespace", &at, diags)
            && !team.namespaces.iter().any(|n| n == destination_namespace)
        {
            diags.push(
                Diagnostic::at(
                    at,
                    format!(
                        "app `{}` deploys into namespace `{destination_namespace}`, which team `{}` does not own",
                        raw.name, team.name
                    ),
                )
                .help(match teams.iter().find(|t| t.namespaces.iter().any(|n| n == destination_namespace)) {
                    Some(owner) => format!(
                        "`{destination_namespace}` belongs to team `{}`; deploy into one of team `{}`'s: {}",
                        owner.name,
                        team.name,
                        team.namespaces.join(", ")
                    ),
                    None => format!(
                        "add `{destination_namespace}` to `namespaces:` in {}, or deploy into `{}`",
                        team.site.file.display(),
                        team.name
                    ),
                }),
            );
        }
    }
    let Some(repos) = &team.source_repos else {
        return;
    };
    // Every repo its Applications read, as Argo CD reads it.
    let main = super::argocd_repo_url(&raw.repo_url, raw.chart.as_deref());
    let values = raw
        .values_repo
        .as_ref()
        .map(|r| (r.url.as_str(), site.key("values_repo").key("url")));
    for (url, at) in std::iter::once((main, site.key("repo_url"))).chain(values) {
        if crate::rules::argocd::source_permitted(repos, url) {
            continue;
        }
        let oci = if url != raw.repo_url && at.path.last() == Some(&Seg::key("repo_url")) {
            format!(" (an OCI chart's repoURL, as Argo CD reads it: `{url}`, without `oci://`)")
        } else {
            String::new()
        };
        diags.push(
            Diagnostic::at(
                at,
                format!(
                    "app `{}` uses repo `{url}`, which team `{}` does not allow",
                    raw.name, team.name
                ),
            )
            .help(format!(
                "add it to `source_repos` in {}{oci}{}",
                team.site.file.display(),
                if repos.iter().any(|r| r.contains('*')) {
                    " (Argo CD reads them as globs where `*` stops at `/` and `**` does not)"
                } else {
                    ""
                }
            )),
        );
    }
}

/// A repo, and either a folder in it or a chart.
fn check_source(site: &Site, raw: &RawApp, diags: &mut Vec<Diagnostic>) {
    if raw.repo_url.trim().is_empty() {
        diags.push(
            Diagnostic::at(site.key("repo_url"), "`repo_url` is empty")
                .help("set it to the app's git repository, or the Helm repository of its `chart`"),
        );
    }
    match (&raw.repo_path, &raw.chart) {
        (Some(_), Some(_)) => diags.push(
            Diagnostic::at(site.key("chart"), "an app has either `repo_path` (a folder in a git repo) or `chart` (a Helm chart), not both")
                .help("remove one of them"),
        ),
        (None, None) => diags.push(
            Diagnostic::at(site.clone(), format!("app `{}` needs `repo_path` (a folder in a git repo) or `chart` (a Helm chart in the repo at `repo_url`)", raw.name))
                .help("add `repo_path: manifests/...`"),
        ),
        _ => {}
    }
}

/// `depends_on`, by app index.
fn dependencies(
    site: &Site,
    raw: &RawApp,
    index: &Index,
    diags: &mut Vec<Diagnostic>,
) -> Vec<usize> {
    let mut depends_on = Vec::new();
    for (i, dep) in raw.depends_on.iter().enumerate() {
        let at = site.key("depends_on").at(Seg::Index(i));
        match index.app(dep) {
            Some(_) if dep == &raw.name => diags.push(
                Diagnostic::at(at, format!("app `{dep}` depends on itself"))
                    .help("remove it from `depends_on`"),
            ),
            Some(d) => depends_on.push(d),
            None => diags.push(
                Diagnostic::at(
                    at,
                    format!("`depends_on` names app `{dep}`, which is not in the inventory"),
                )
                .help_opt(suggest::hint(dep, &index.apps)),
            ),
        }
    }
    depends_on
}

/// The sync policy, with fleetc's defaults; `CreateNamespace=true` is
/// refused (a team's AppProject does not allow Namespaces).
fn sync(site: &Site, raw: &RawApp, diags: &mut Vec<Diagnostic>) -> Sync {
    let s = raw.sync.clone().unwrap_or_default();
    let sync = Sync {
        automated: s.automated.unwrap_or(true),
        prune: s.prune.unwrap_or(false),
        self_heal: s.self_heal.unwrap_or(true),
        sync_options: s.sync_options.unwrap_or_default(),
    };
    for (i, option) in sync.sync_options.iter().enumerate() {
        if option
            .replace(' ', "")
            .eq_ignore_ascii_case("CreateNamespace=true")
        {
            diags.push(
                Diagnostic::at(
                    site.key("sync").key("syncOptions").at(Seg::Index(i)),
                    "`CreateNamespace=true` would be refused: a team's AppProject allows no cluster-scoped resources, Namespaces included (\"resource :Namespace is not permitted in project\")",
                )
                .help("remove it: fleetc creates the team's namespaces on every cluster its apps go to, with its platform Application, before the apps sync"),
            );
        }
    }
    sync
}

/// Sync waves from `depends_on`, and every dependency cycle as an error.
fn assign_waves(apps: &mut [App], diags: &mut Vec<Diagnostic>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let n = apps.len();
    let mut mark = vec![Mark::New; n];
    let mut wave = vec![0u32; n];
    let mut cycles: BTreeSet<Vec<usize>> = BTreeSet::new();
    // Iterative depth-first search, so a deep chain cannot overflow the stack.
    for start in 0..n {
        if mark[start] != Mark::New {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        mark[start] = Mark::Active;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&dep) = apps[node].depends_on.get(*next) {
                *next += 1;
                match mark[dep] {
                    Mark::New => {
                        mark[dep] = Mark::Active;
                        stack.push((dep, 0));
                    }
                    Mark::Active => {
                        let from = stack.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                        let mut cycle: Vec<usize> = stack[from..].iter().map(|(n, _)| *n).collect();
                        // Start the cycle at its smallest member, so it is reported once.
                        let min = cycle
                            .iter()
                            .enumerate()
                            .min_by_key(|(_, a)| **a)
                            .map(|(i, _)| i)
                            .unwrap_or(0);
                        cycle.rotate_left(min);
                        cycles.insert(cycle);
                    }
                    Mark::Done => {}
                }
            } else {
                mark[node] = Mark::Done;
                wave[node] = apps[node]
                    .depends_on
                    .iter()
                    .map(|d| wave[*d] + 1)
                    .max()
                    .unwrap_or(0);
                stack.pop();
            }
        }
    }
    for cycle in cycles {
        let mut names: Vec<&str> = cycle.iter().map(|i| apps[*i].name.as_str()).collect();
        names.push(names[0]);
        let first = &apps[cycle[0]];
        let pos = first
            .depends_on
            .iter()
            .position(|d| Some(d) == cycle.get(1).or(cycle.first()))
            .unwrap_or(0);
        diags.push(
            Diagnostic::at(
                first.site.key("depends_on").at(Seg::Index(pos)),
                format!("dependency cycle: {}", names.join(" → ")),
            )
            .help(
                "Argo CD can only sync apps in an order; remove one of these `depends_on` entries",
            ),
        );
    }
    for (app, w) in apps.iter_mut().zip(wave) {
        app.wave = w;
    }
}
