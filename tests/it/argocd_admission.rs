//! Argo CD admission: every rendered tree of the fixtures, checked by Argo
//! CD's documented rules, as a cluster would meet it on its first sync.
//!
//! A manifest that passes the CRD schema can still be refused: by its
//! AppProject (source repo, destination, resource kinds), or because the
//! namespace it deploys into does not exist yet. Argo CD cannot run here, so
//! its rules are encoded, each with where it is written down:
//!
//! - Project admission, `pkg/apis/application/v1alpha1/app_project_types.go`
//!   (v3.5): `IsSourcePermitted` (repo globs, `/` as the separator, after
//!   `git.NormalizeGitURL`), `isDestinationMatched` (server or name, and
//!   namespace globs; `!` patterns deny), `IsGroupKindNamePermitted`
//!   (namespaced kinds: a nil whitelist allows all; cluster-scoped kinds: an
//!   empty whitelist allows none; `name` matched with `filepath.Match`).
//!   `util/argo/argo.go` `ValidatePermissions` applies the first two to the
//!   Application itself; `controller/sync.go` `validateSyncPermissions`
//!   applies the last (and the destination) to every resource it syncs.
//! - `CreateNamespace=true` makes the Namespace a resource of the sync, so
//!   the project must allow the cluster-scoped kind `Namespace`; otherwise
//!   "resource :Namespace is not permitted in project" (argo-cd #20233,
//!   #22869). Without it the namespace must already exist.
//! - Sync waves (docs `user-guide/sync-waves.md`): a sync applies its
//!   resources in ascending `argocd.argoproj.io/sync-wave`, so an AppProject
//!   must come in an earlier wave than its Applications, and a namespace must
//!   be created in an earlier wave than the Applications that deploy into it.
//! - An Application whose source path is missing fails with "app path does
//!   not exist" and prunes nothing (argo-cd #3686): every cluster's root must
//!   point at a folder that holds a manifest.
//! - The `default` project, which the hand-applied root Applications use,
//!   admits everything (docs `user-guide/projects.md`, "The Default
//!   Project"); what they apply must therefore be Argo CD's own objects only,
//!   or the platform project's limits would be bypassed.
//!
//! The checker is tried on known-bad trees first (a test below), so a pass
//! means something.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use fleetc::argocd::{filepath_match, glob_match, source_permitted, Version};
use fleetc::Mode;
use serde_json::Value;

use crate::support::repo;

/// One manifest of the tree.
#[derive(Clone, Debug)]
struct Object {
    path: String,
    doc: Value,
}

impl Object {
    fn kind(&self) -> &str {
        self.doc["kind"].as_str().unwrap_or_default()
    }
    fn name(&self) -> &str {
        self.doc["metadata"]["name"].as_str().unwrap_or_default()
    }
    fn wave(&self) -> i64 {
        self.doc
            .pointer("/metadata/annotations/argocd.argoproj.io~1sync-wave")
            .and_then(Value::as_str)
            .and_then(|w| w.parse().ok())
            .unwrap_or(0)
    }
    fn str_at(&self, pointer: &str) -> &str {
        self.doc
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

/// What the checker needs to know of the fleet beyond the files.
struct Fleet {
    argocd_namespace: String,
    /// `deploy_repo.url` and `.path`.
    deploy_url: String,
    deploy_path: String,
    hub: bool,
    clusters: Vec<String>,
}

const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
];

fn group_of(api_version: &str) -> &str {
    match api_version.rsplit_once('/') {
        Some((group, _)) => group,
        None => "",
    }
}

/// `AppProject.IsGroupKindNamePermitted`, as Argo CD `version` reads the
/// project: before 3.3 its AppProject CRD has no `name` in the cluster
/// resource lists, so the API server prunes it (a structural schema,
/// `manifests/crds/appproject-crd.yaml` of v3.2.0) and the entry matches
/// every name of its kind.
fn kind_permitted(
    project: &Object,
    (group, kind, name): (&str, &str, &str),
    namespaced: bool,
    version: Version,
) -> bool {
    let names = version.has_cluster_resource_names();
    let list = |key: &str| {
        project.doc["spec"]
            .get(key)
            .and_then(Value::as_array)
            .cloned()
    };
    let in_list = |items: &[Value], named: bool| {
        items.iter().any(|i| {
            let g = i["group"].as_str().unwrap_or_default();
            let k = i["kind"].as_str().unwrap_or_default();
            let n = i["name"].as_str().unwrap_or_default();
            filepath_match(k, kind)
                && filepath_match(g, group)
                && (!named || !names || n.is_empty() || filepath_match(n, name))
        })
    };
    if namespaced {
        let white = list("namespaceResourceWhitelist");
        let black = list("namespaceResourceBlacklist").unwrap_or_default();
        let white_ok = match &white {
            None => true,
            Some(w) => !w.is_empty() && in_list(w, false),
        };
        // An empty list matches nothing, so a deny list only refuses when it lists the kind.
        return white_ok && !in_list(&black, false);
    }
    let white = list("clusterResourceWhitelist").unwrap_or_default();
    let black = list("clusterResourceBlacklist").unwrap_or_default();
    in_list(&white, true) && !in_list(&black, true)
}

/// `AppProject.isDestinationMatched`, with Argo CD's deny patterns.
fn destination_permitted(project: &Object, server: &str, name: &str, namespace: &str) -> bool {
    let deny = |p: &str| p.starts_with('!');
    let glob = |pattern: &str, value: &str| {
        if let Some(rest) = pattern.strip_prefix('!') {
            !glob_match(rest, value, &[])
        } else {
            pattern == "*" || glob_match(pattern, value, &[])
        }
    };
    let mut any = false;
    for item in project.doc["spec"]["destinations"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let (is, in_, ins) = (
            item["server"].as_str().unwrap_or_default(),
            item["name"].as_str().unwrap_or_default(),
            item["namespace"].as_str().unwrap_or_default(),
        );
        let name_ok = !name.is_empty() && glob(in_, name);
        let server_ok = !server.is_empty() && glob(is, server);
        let ns_ok = glob(ins, namespace);
        if (server_ok || name_ok) && ns_ok {
            any = true;
        } else if ((!name_ok && deny(in_)) || (!server_ok && deny(is))) && ns_ok
            || (!ns_ok && deny(ins) && server_ok)
        {
            return false;
        }
    }
    any
}

/// Every problem Argo CD would have with the tree, as a cluster meets it.
fn admission_problems(files: &BTreeMap<String, String>, fleet: &Fleet) -> Vec<String> {
    admission_problems_in(files, fleet, Version::NEWEST)
}

/// The problems Argo CD `version` has with the tree.
fn admission_problems_in(
    files: &BTreeMap<String, String>,
    fleet: &Fleet,
    version: Version,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut objects = Vec::new();
    for (path, text) in files {
        if !(path.ends_with(".yaml") || path.ends_with(".yml")) {
            continue;
        }
        for doc in fleetc::parse_yaml(text).unwrap_or_else(|e| panic!("{path}: {e:?}")) {
            objects.push(Object {
                path: path.clone(),
                doc: doc.value,
            });
        }
    }
    // What an Application with this source path syncs (directory recurse).
    let under = |folder: &str| -> Vec<&Object> {
        let rel = folder
            .strip_prefix(&fleet.deploy_path)
            .map(|r| r.trim_start_matches('/'))
            .unwrap_or(folder);
        objects
            .iter()
            .filter(|o| rel.is_empty() || o.path.starts_with(&format!("{rel}/")))
            .collect()
    };

    let roots: Vec<&Object> = objects
        .iter()
        .filter(|o| o.path.starts_with("bootstrap/"))
        .collect();
    for cluster in &fleet.clusters {
        let has_root = roots.iter().any(|r| {
            r.doc
                .pointer("/metadata/labels/fleetc.io~1cluster")
                .and_then(Value::as_str)
                == Some(cluster)
        });
        if !has_root {
            problems.push(format!(
                "cluster `{cluster}` has no root Application: nothing prunes what leaves it"
            ));
        }
    }

    // Argo CD instances: one per cluster, or the hub. Each gets what its
    // roots apply; an Application sees the AppProjects of its instance.
    let mut instances: BTreeMap<String, Vec<(&Object, Vec<&Object>)>> = BTreeMap::new();
    for root in &roots {
        if root.kind() != "Application" || root.str_at("/spec/project") != "default" {
            problems.push(format!(
                "{}: a root Application is applied by hand in project `default`",
                root.path
            ));
        }
        let applied = under(root.str_at("/spec/source/path"));
        if applied.is_empty() {
            problems.push(format!(
                "{}: its path `{}` holds no manifest (\"app path does not exist\"; nothing is pruned)",
                root.path,
                root.str_at("/spec/source/path")
            ));
        }
        for o in &applied {
            if !matches!(o.kind(), "Application" | "AppProject") {
                problems.push(format!(
                    "{}: root `{}` would apply a {} itself, under the `default` project that admits anything",
                    o.path,
                    root.name(),
                    o.kind()
                ));
            }
            if o.doc["metadata"]["namespace"].as_str() != Some(&fleet.argocd_namespace) {
                problems.push(format!(
                    "{}: not in the Argo CD namespace `{}`",
                    o.path, fleet.argocd_namespace
                ));
            }
        }
        let instance = if fleet.hub {
            "hub".to_string()
        } else {
            root.str_at("/metadata/labels/fleetc.io~1cluster")
                .to_string()
        };
        instances.entry(instance).or_default().push((root, applied));
    }

    for roots in instances.values() {
        let projects: BTreeMap<&str, &Object> = roots
            .iter()
            .flat_map(|(_, applied)| applied.iter())
            .filter(|o| o.kind() == "AppProject")
            .map(|o| (o.name(), *o))
            .collect();
        // Namespaces a platform Application creates: (destination cluster,
        // namespace) → the wave of the Application that creates it.
        let mut created: BTreeMap<(String, String), i64> = BTreeMap::new();
        for (_, applied) in roots {
            for app in applied.iter().filter(|o| o.kind() == "Application") {
                if app.str_at("/spec/source/repoURL") != fleet.deploy_url {
                    continue;
                }
                let dest = format!(
                    "{}{}",
                    app.str_at("/spec/destination/server"),
                    app.str_at("/spec/destination/name")
                );
                for o in under(app.str_at("/spec/source/path")) {
                    if o.kind() == "Namespace" {
                        created.insert((dest.clone(), o.name().to_string()), app.wave());
                    }
                }
            }
        }
        for (root, applied) in roots {
            for app in applied.iter().filter(|o| o.kind() == "Application") {
                let at = &app.path;
                let project_name = app.str_at("/spec/project");
                let Some(project) = projects.get(project_name) else {
                    problems.push(format!(
                        "{at}: project `{project_name}` is not applied to this Argo CD (\"application references project {project_name} which does not exist\")"
                    ));
                    continue;
                };
                if applied.iter().any(|o| o.path == project.path) && project.wave() >= app.wave() {
                    problems.push(format!(
                        "{at}: its AppProject `{project_name}` (wave {}) is not synced before it (wave {})",
                        project.wave(),
                        app.wave()
                    ));
                }
                let repo_url = app.str_at("/spec/source/repoURL");
                let repos: Vec<String> = project.doc["spec"]["sourceRepos"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|r| r.as_str().map(str::to_string))
                    .collect();
                problems.extend(
                    source_problems(&app.doc, &repos, project_name)
                        .into_iter()
                        .map(|p| format!("{at}: {p}")),
                );
                let (server, name, namespace) = (
                    app.str_at("/spec/destination/server"),
                    app.str_at("/spec/destination/name"),
                    app.str_at("/spec/destination/namespace"),
                );
                if !destination_permitted(project, server, name, namespace) {
                    problems.push(format!(
                        "{at}: application destination server '{}' and namespace '{namespace}' do not match any of the allowed destinations in project '{project_name}'",
                        if name.is_empty() { server } else { name }
                    ));
                }
                let options: Vec<&str> = app
                    .doc
                    .pointer("/spec/syncPolicy/syncOptions")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                let creates_namespace = options.contains(&"CreateNamespace=true");
                if creates_namespace
                    && !kind_permitted(project, ("", "Namespace", namespace), false, version)
                {
                    problems.push(format!(
                        "{at}: resource :Namespace is not permitted in project {project_name} (CreateNamespace=true)"
                    ));
                }
                // What the platform Application syncs is known: check each.
                if repo_url == fleet.deploy_url {
                    for o in under(app.str_at("/spec/source/path")) {
                        let group = group_of(o.doc["apiVersion"].as_str().unwrap_or_default());
                        let namespaced = !CLUSTER_SCOPED.contains(&o.kind());
                        if !kind_permitted(
                            project,
                            (group, o.kind(), o.name()),
                            namespaced,
                            version,
                        ) {
                            problems.push(format!(
                                "{}: resource {group}:{} is not permitted in project {project_name}",
                                o.path,
                                o.kind()
                            ));
                        }
                        let ns = o.doc["metadata"]["namespace"].as_str().unwrap_or(namespace);
                        if namespaced && !destination_permitted(project, server, name, ns) {
                            problems.push(format!(
                                "{}: namespace {ns} is not permitted in project '{project_name}'",
                                o.path
                            ));
                        }
                    }
                } else if namespace != fleet.argocd_namespace && !creates_namespace {
                    // A team app: its namespace must exist before it syncs.
                    let dest = format!("{server}{name}");
                    match created.get(&(dest, namespace.to_string())) {
                        Some(wave) if *wave < app.wave() => {}
                        Some(wave) => problems.push(format!(
                            "{at}: namespace `{namespace}` is created in wave {wave}, not before this Application (wave {})",
                            app.wave()
                        )),
                        None => problems.push(format!(
                            "{at}: namespace `{namespace}` does not exist and nothing creates it (root `{}`)",
                            root.name()
                        )),
                    }
                }
            }
        }
        // Team projects allow no cluster-scoped resource but their own
        // namespaces by name; platform projects, Namespaces by name only.
        // And as this Argo CD reads them: no project admits a Namespace
        // that is no team's (`kube-system`, say, which a team's chart or a
        // mistaken file could then take over).
        for project in projects.values() {
            if kind_permitted(project, ("", "Namespace", "kube-system"), false, version) {
                problems.push(format!(
                    "{}: Argo CD {version} lets it create or take over any Namespace, `kube-system` too",
                    project.path
                ));
            }
            for item in project.doc["spec"]["clusterResourceWhitelist"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let named_namespace = item["group"] == ""
                    && item["kind"] == "Namespace"
                    && item["name"]
                        .as_str()
                        .is_some_and(|n| !n.contains(['*', '?', '[']));
                if !named_namespace {
                    problems.push(format!(
                        "{}: allows the cluster-scoped {item}",
                        project.path
                    ));
                }
            }
        }
    }
    problems.sort();
    problems.dedup();
    problems
}

/// What Argo CD refuses in an Application's sources (each, for a
/// multi-source one):
/// - `util/argo/argo.go` `ValidatePermissions` → `validateSourcePermissions`:
///   a source needs a `repoURL` and one of `path`, `chart` or `ref`, and a
///   chart its `targetRevision`; then `AppProject.IsSourcePermitted` for
///   every source, the `ref` ones included ("application repo %s is not
///   permitted in project '%s'").
/// - `ApplicationSource.ExplicitType()`
///   (`pkg/apis/application/v1alpha1/types.go`): more than one of
///   `kustomize`, `helm`, `directory` is "multiple application sources
///   defined".
/// - `GetRefSources` (`util/argo/argo.go`) and the repo server's
///   `runManifestGenAsync`: a `ref` is `[a-zA-Z0-9_-]+`, unique, on a
///   source without `chart`, and every `$ref/` value file names one
///   (docs `user-guide/multiple_sources.md`).
/// - With `sources` set, `source` is ignored: fleetc must not write both.
fn source_problems(app: &Value, repos: &[String], project: &str) -> Vec<String> {
    let spec = &app["spec"];
    let mut out = Vec::new();
    let sources: Vec<&Value> = match (spec.get("source"), spec.get("sources")) {
        (Some(_), Some(_)) => {
            out.push("both `source` and `sources`: Argo CD ignores `source`".to_string());
            spec["sources"].as_array().into_iter().flatten().collect()
        }
        (None, Some(list)) => list.as_array().into_iter().flatten().collect(),
        (Some(one), None) => vec![one],
        (None, None) => {
            out.push("no source".to_string());
            Vec::new()
        }
    };
    let mut refs = Vec::new();
    for s in &sources {
        if let Some(r) = s.get("ref").and_then(Value::as_str) {
            let valid = !r.is_empty()
                && r.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !valid || refs.contains(&r) {
                out.push(format!("invalid or duplicate ref `{r}`"));
            }
            if s.get("chart").is_some() {
                out.push(format!("source with ref `{r}` has a chart"));
            }
            refs.push(r);
        }
    }
    for s in &sources {
        let repo_url = s.get("repoURL").and_then(Value::as_str).unwrap_or_default();
        if repo_url.is_empty() {
            out.push("source repo is required".to_string());
        } else if !source_permitted(repos, repo_url) {
            out.push(format!(
                "application repo {repo_url} is not permitted in project '{project}'"
            ));
        }
        let has = |k: &str| s.get(k).is_some_and(|v| v.as_str() != Some(""));
        if !has("path") && !has("chart") && !has("ref") {
            out.push(format!("{repo_url}: source path, chart or ref is required"));
        }
        if has("chart") && !has("targetRevision") {
            out.push(format!("{repo_url}: a chart needs a targetRevision"));
        }
        let blocks: Vec<&str> = ["kustomize", "helm", "directory"]
            .into_iter()
            .filter(|k| s.get(*k).is_some())
            .collect();
        if blocks.len() > 1 {
            out.push(format!(
                "multiple application sources defined: {}",
                blocks.join(",")
            ));
        }
        for f in s
            .pointer("/helm/valueFiles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if let Some(rest) = f.strip_prefix('$') {
                let name = rest.split('/').next().unwrap_or_default();
                if !refs.contains(&name) {
                    out.push(format!("source referenced `${name}` does not exist ({f})"));
                }
            }
        }
    }
    out
}

/// A fixture's name, its rendered tree, and its fleet.
type FixtureTree = (String, BTreeMap<String, String>, Fleet);

/// The fixtures that compile, with their rendered trees. The `err-*`
/// fixtures are left out (corpus.rs checks that every one of them fails);
/// the rest are compiled once, for all the tests here.
fn fixture_trees() -> &'static [FixtureTree] {
    static TREES: OnceLock<Vec<FixtureTree>> = OnceLock::new();
    TREES.get_or_init(compile_fixture_trees)
}

fn compile_fixture_trees() -> Vec<FixtureTree> {
    let mut out = Vec::new();
    let cases: Vec<_> = crate::support::inventory_fixtures()
        .into_iter()
        .filter(|n| !n.starts_with("err-"))
        .map(|n| repo().join("fixtures").join(n))
        .collect();
    for dir in cases {
        let Ok(c) = fleetc::compile(&dir) else {
            continue;
        };
        let settings = &c.inventory.settings;
        let Some(deploy) = &settings.deploy_repo else {
            continue;
        };
        let fleet = Fleet {
            argocd_namespace: settings.argocd_namespace.clone(),
            deploy_url: deploy.url.clone(),
            deploy_path: deploy.path.clone(),
            hub: settings.mode == Mode::Hub,
            clusters: c
                .inventory
                .clusters
                .iter()
                .map(|c| c.name.clone())
                .collect(),
        };
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        out.push((name, c.rendered.files.clone(), fleet));
    }
    out
}

#[test]
fn every_fixture_tree_is_admitted_by_argo_cd_s_rules() {
    let trees = fixture_trees();
    let names: Vec<&str> = trees.iter().map(|(n, _, _)| n.as_str()).collect();
    assert!(
        names.contains(&"example") && names.contains(&"hub"),
        "{names:?}"
    );
    let mut failures = Vec::new();
    // Each supported Argo CD release reads the same tree (fleetc renders
    // the same manifests for all of them).
    for version in Version::SUPPORTED {
        for (name, files, fleet) in trees {
            let problems = admission_problems_in(files, fleet, version);
            println!(
                "argocd admission: Argo CD {version}: {name}: {} files, {} problems",
                files.len(),
                problems.len()
            );
            failures.extend(
                problems
                    .into_iter()
                    .map(|p| format!("Argo CD {version}: {name}: {p}")),
            );
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Why `argocd_version` below 3.3 is refused: Argo CD 3.2 prunes the
/// names from the platform project's Namespace whitelist, which then
/// admits every Namespace. The checker, reading the same tree as 3.2
/// does, says so (and fleetc refuses to render for 3.2:
/// fixtures/err-argocd-version-too-old).
#[test]
fn argo_cd_3_2_would_let_the_platform_project_take_any_namespace() {
    let trees = fixture_trees();
    let (_, good, fleet) = trees.iter().find(|(n, _, _)| n == "example").unwrap();
    let v32 = Version::parse("3.2").unwrap();
    let problems = admission_problems_in(good, fleet, v32);
    let platform = "clusters/east-qld-brisbane-01/platform/project.yaml";
    assert!(
        problems.contains(&format!(
            "{platform}: Argo CD 3.2 lets it create or take over any Namespace, `kube-system` too"
        )),
        "{problems:#?}"
    );
    assert!(admission_problems_in(good, fleet, Version::OLDEST).is_empty());
}

/// The checker finds what Argo CD would refuse: each change below breaks a
/// good tree in one way, and the checker names it.
#[test]
fn the_admission_checker_refuses_known_bad_trees() {
    let trees = fixture_trees();
    let (_, good, fleet) = trees.iter().find(|(n, _, _)| n == "example").unwrap();
    assert!(admission_problems(good, fleet).is_empty());
    let app = "clusters/east-qld-brisbane-01/apps/pos-api.yaml";
    let project = "clusters/east-qld-brisbane-01/projects/payments.yaml";
    type Edit = Box<dyn Fn(&mut BTreeMap<String, String>)>;
    let replace = |path: &'static str, from: &'static str, to: &'static str| -> Edit {
        Box::new(move |files: &mut BTreeMap<String, String>| {
            let text = files.get_mut(path).unwrap();
            assert!(text.contains(from), "{path} lacks {from:?}");
            *text = text.replacen(from, to, 1);
        })
    };
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            // What fleetc rendered before: CreateNamespace under a team project.
            "CreateNamespace=true under a team project",
            replace(app, "    retry:\n", "    syncOptions:\n      - CreateNamespace=true\n    retry:\n"),
            "resource :Namespace is not permitted in project payments",
        ),
        (
            "a repo glob whose `*` stops at `/`",
            replace(project, "'https://git.example.com/payments/*'", "'https://git.example.com/*'"),
            "application repo https://git.example.com/payments/pos.git is not permitted",
        ),
        (
            "a destination namespace the project does not list",
            replace(app, "    namespace: payments\n", "    namespace: payments-web\n"),
            "do not match any of the allowed destinations in project 'payments'",
        ),
        (
            "a namespace nothing creates",
            Box::new(|files: &mut BTreeMap<String, String>| {
                files.remove("namespaces/east-qld-brisbane-01/payments.yaml");
            }),
            "namespace `payments` does not exist and nothing creates it",
        ),
        (
            "a Namespace in the root's folder, applied under `default`",
            Box::new(|files: &mut BTreeMap<String, String>| {
                let text = files["namespaces/east-qld-brisbane-01/payments.yaml"].clone();
                files.insert("clusters/east-qld-brisbane-01/payments-ns.yaml".into(), text);
            }),
            "would apply a Namespace itself",
        ),
        (
            "a project synced after its Applications",
            replace(project, "sync-wave: '-1'", "sync-wave: '3'"),
            "is not synced before it",
        ),
        (
            "an emptied cluster whose folder vanished",
            Box::new(|files: &mut BTreeMap<String, String>| {
                files.retain(|p, _| !p.starts_with("clusters/lab-sydney-01/"));
            }),
            "holds no manifest",
        ),
        (
            "a team project allowing a cluster-scoped kind",
            replace(project, "  clusterResourceWhitelist: []\n", "  clusterResourceWhitelist:\n    - group: '*'\n      kind: '*'\n"),
            "allows the cluster-scoped",
        ),
        (
            "a RoleBinding the platform project does not allow",
            replace(
                "clusters/east-qld-brisbane-01/platform/project.yaml",
                "      kind: RoleBinding\n",
                "      kind: Role\n",
            ),
            "resource rbac.authorization.k8s.io:RoleBinding is not permitted in project fleetc-east-qld-brisbane-01",
        ),
        (
            "a values repo the project does not list",
            replace(project, "'https://git.example.com/payments/*'", "'https://git.example.com/payments/pos.git'"),
            "application repo https://git.example.com/payments/pos-values.git is not permitted",
        ),
        (
            "two tool blocks on one source (Helm and Kustomize)",
            replace(app, "      helm:\n", "      kustomize:\n        namePrefix: x-\n      helm:\n"),
            "multiple application sources defined: kustomize,helm",
        ),
        (
            "a value file from a ref no source has",
            replace(app, "'$values/common.yaml'", "'$settings/common.yaml'"),
            "source referenced `$settings` does not exist",
        ),
        (
            "a source with neither path, chart nor ref",
            replace(app, "      ref: values\n", ""),
            "source path, chart or ref is required",
        ),
        (
            "both source and sources",
            replace(app, "  sources:\n", "  source:\n    repoURL: https://git.example.com/payments/pos.git\n    path: deploy/api\n  sources:\n"),
            "both `source` and `sources`",
        ),
    ];
    for (what, edit, expected) in cases {
        let mut files = good.clone();
        edit(&mut files);
        let problems = admission_problems(&files, fleet);
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{what}: expected a problem with {expected:?}, got {problems:#?}"
        );
    }
}

/// What fleetc rendered before namespaces were its own (issue 7): team
/// Applications with `CreateNamespace=true` under projects that allow no
/// cluster-scoped kind. Kept as data so the checker is shown to refuse it.
#[test]
fn the_tree_fleetc_rendered_before_is_refused() {
    let trees = fixture_trees();
    let (_, good, fleet) = trees.iter().find(|(n, _, _)| n == "example").unwrap();
    // The old tree: no platform files, no namespaces, CreateNamespace on every app.
    let old: BTreeMap<String, String> = good
        .iter()
        .filter(|(p, _)| !p.starts_with("namespaces/") && !p.contains("/platform/"))
        .map(|(p, t)| {
            let t = if p.contains("/apps/") {
                t.replacen(
                    "    retry:\n",
                    "    syncOptions:\n      - CreateNamespace=true\n    retry:\n",
                    1,
                )
            } else {
                t.clone()
            };
            (p.clone(), t)
        })
        .collect();
    let problems = admission_problems(&old, fleet);
    let refused = problems
        .iter()
        .filter(|p| p.contains("resource :Namespace is not permitted"))
        .count();
    let apps = old.keys().filter(|p| p.contains("/apps/")).count();
    assert_eq!(refused, apps, "{problems:#?}");
}
