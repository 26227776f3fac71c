//! The checked inventory.
//!
//! [`check`] turns the raw documents into validated types: names are valid
//! Kubernetes names, references resolve to indices, selectors are parsed,
//! values are mappings. Nothing downstream sees a raw string that should
//! have been a selector or a name. Every problem is reported, not the first.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use serde_json::Value;

use crate::error::{Diagnostic, Seg, Site};
use crate::inventory::raw::{LabelValue, RawLabels, RawSettings};
use crate::inventory::{Loaded, Located};
use crate::k8s;
use crate::selector::{LabelSelector, Labels, Selector};
use crate::suggest;

/// Argo CD's in-cluster API server address.
pub const IN_CLUSTER: &str = "https://kubernetes.default.svc";

/// Where Argo CD runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// An Argo CD in every cluster; destinations are in-cluster.
    PerCluster,
    /// One Argo CD for the fleet; destinations by cluster name.
    Hub,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::PerCluster => "per-cluster",
            Mode::Hub => "hub",
        }
    }
}

#[derive(Clone, Debug)]
pub struct DeployRepo {
    pub url: String,
    pub branch: String,
    /// Folder inside the deploy repo that holds the rendered tree ("" = root).
    pub path: String,
}

/// Output path templates (minijinja), relative to the output root.
#[derive(Clone, Debug)]
pub struct Layout {
    pub application: String,
    pub project: String,
    pub hub_project: String,
    pub bootstrap: String,
    /// A cluster's platform AppProject (`fleetc-<cluster>`).
    pub platform_project: String,
    /// A cluster's platform Application, which applies its namespaces.
    pub platform_application: String,
    /// One team namespace on one cluster: the Namespace and its RoleBindings.
    pub namespace: String,
    /// The folder a cluster's root Application syncs.
    pub root: String,
}

/// Namespaces no team may claim: Kubernetes' own (the Argo CD namespace and
/// `fleetc.yaml`'s `reserved_namespaces` are added to these).
pub const SYSTEM_NAMESPACES: &[&str] =
    &["default", "kube-node-lease", "kube-public", "kube-system"];

/// The prefix of the names fleetc gives its own objects (root and platform
/// Applications, platform AppProjects): no team or Application may use it.
pub const OWN_PREFIX: &str = "fleetc-";

#[derive(Clone, Debug)]
pub struct Guard {
    pub max_share: f64,
    pub min_count: usize,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub argocd_namespace: String,
    pub mode: Mode,
    pub deploy_repo: Option<DeployRepo>,
    pub application_name: String,
    /// The user's template folder, when it exists.
    pub templates: Option<PathBuf>,
    pub layout: Layout,
    pub guard: Guard,
    /// Namespaces no team may claim, sorted.
    pub reserved_namespaces: Vec<String>,
    /// The default of [`App::cascade_delete`].
    pub cascade_delete: bool,
    /// argocd-cm has the health check for Applications (README).
    pub application_health_check: bool,
}

impl Settings {
    /// The folder of the rendered tree inside the deploy repo ("" = root).
    pub fn deploy_prefix(&self) -> &str {
        self.deploy_repo.as_ref().map_or("", |d| d.path.as_str())
    }
}

pub const DEFAULT_APPLICATION_NAME: &str = "{{ app.name }}-{{ cluster.shortName or cluster.name }}";

#[derive(Clone, Debug)]
pub struct Cluster {
    pub name: String,
    pub short_name: Option<String>,
    pub description: Option<String>,
    pub environment: Option<String>,
    /// The labels as written.
    pub metadata: Labels,
    /// What selectors see: `metadata`, plus `name` and `environment` where
    /// `metadata` does not set them.
    pub labels: Labels,
    pub server: Option<String>,
    pub values: Option<Value>,
    pub site: Site,
}

#[derive(Clone, Debug)]
pub struct Sync {
    pub automated: bool,
    pub prune: bool,
    pub self_heal: bool,
    pub sync_options: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct App {
    pub name: String,
    pub description: Option<String>,
    pub repo_url: String,
    pub repo_branch: String,
    pub repo_path: Option<String>,
    pub chart: Option<String>,
    pub metadata: Labels,
    /// What selectors see: `metadata`, plus `name` where it is not set.
    pub labels: Labels,
    /// Index of the app's team in [`Inventory::teams`].
    pub team: usize,
    pub destination_namespace: String,
    pub release_name: String,
    pub values: Option<Value>,
    /// Per-cluster values, by cluster index.
    pub overrides: BTreeMap<usize, Value>,
    /// Indices of apps this one waits for.
    pub depends_on: Vec<usize>,
    /// Sync wave: 0 for an app with no dependencies, else one more than the
    /// highest wave among them.
    pub wave: u32,
    pub sync: Sync,
    /// Deleting its Applications deletes their live resources: they carry
    /// Argo CD's resources finalizer.
    pub cascade_delete: bool,
    pub site: Site,
}

#[derive(Clone, Debug)]
pub struct Team {
    pub name: String,
    pub description: Option<String>,
    pub contributors: Vec<String>,
    pub readers: Vec<String>,
    /// Repos its apps may use; `None`: the repos its apps use.
    pub source_repos: Option<Vec<String>>,
    /// Kubernetes namespaces its apps may deploy into (its own name first).
    pub namespaces: Vec<String>,
    pub site: Site,
}

#[derive(Clone, Debug)]
pub struct Policy {
    pub name: String,
    pub description: Option<String>,
    pub app_selector: Selector,
    pub cluster_selector: Option<Selector>,
    /// Clusters listed by name, by index.
    pub clusters: Vec<usize>,
    /// Scope: only apps of this team.
    pub team: Option<usize>,
    pub priority: i64,
    pub values: Option<Value>,
    pub exclude: bool,
    pub site: Site,
}

/// The whole checked inventory. Each list is sorted by name, so indices are
/// stable for a given inventory.
#[derive(Clone, Debug)]
pub struct Inventory {
    pub root: PathBuf,
    pub settings: Settings,
    pub clusters: Vec<Cluster>,
    pub apps: Vec<App>,
    pub teams: Vec<Team>,
    pub policies: Vec<Policy>,
    /// The user's templates that replace built-in ones: name → text and file.
    pub templates: BTreeMap<String, Located<String>>,
    /// How many inventory files were read.
    pub files: usize,
}

impl Inventory {
    pub fn cluster(&self, name: &str) -> Option<usize> {
        self.clusters
            .binary_search_by(|c| c.name.as_str().cmp(name))
            .ok()
    }

    pub fn app(&self, name: &str) -> Option<usize> {
        self.apps
            .binary_search_by(|a| a.name.as_str().cmp(name))
            .ok()
    }
}

/// Checks the loaded inventory. `Err` carries every problem found.
pub fn check(loaded: Loaded) -> Result<Inventory, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let settings = check_settings(loaded.settings.as_ref(), &loaded.root, &mut diags);

    let clusters = sorted_unique(loaded.clusters, "cluster", |c| &c.name, &mut diags);
    let apps_raw = sorted_unique(loaded.apps, "app", |a| &a.name, &mut diags);
    let teams_raw = sorted_unique(loaded.namespaces, "namespace", |n| &n.name, &mut diags);
    let policies_raw = sorted_unique(loaded.policies, "policy", |p| &p.name, &mut diags);

    let cluster_index: HashMap<&str, usize> = clusters
        .iter()
        .enumerate()
        .map(|(i, c)| (c.raw.name.as_str(), i))
        .collect();
    let app_index: HashMap<&str, usize> = apps_raw
        .iter()
        .enumerate()
        .map(|(i, a)| (a.raw.name.as_str(), i))
        .collect();
    let team_index: HashMap<&str, usize> = teams_raw
        .iter()
        .enumerate()
        .map(|(i, t)| (t.raw.name.as_str(), i))
        .collect();
    let cluster_names: Vec<&str> = clusters.iter().map(|c| c.raw.name.as_str()).collect();
    let app_names: Vec<&str> = apps_raw.iter().map(|a| a.raw.name.as_str()).collect();
    let team_names: Vec<&str> = teams_raw.iter().map(|t| t.raw.name.as_str()).collect();

    // Teams. A Kubernetes namespace belongs to one team, and none may
    // claim a system namespace or a name fleetc keeps for itself.
    let mut teams = Vec::with_capacity(teams_raw.len());
    let mut owners: HashMap<String, (&str, &Site)> = HashMap::new();
    for Located { site, raw } in &teams_raw {
        dns_label(&raw.name, "namespace name", &site.key("name"), &mut diags);
        if raw.name.starts_with(OWN_PREFIX) {
            diags.push(
                Diagnostic::at(
                    site.key("name"),
                    format!("team `{}`: names starting with `{OWN_PREFIX}` are fleetc's own (its platform AppProjects are `{OWN_PREFIX}<cluster>`)", raw.name),
                )
                .help("choose another name"),
            );
        }
        let mut namespaces = vec![raw.name.clone()];
        let claims = std::iter::once((site.key("name"), &raw.name)).chain(
            raw.namespaces
                .iter()
                .enumerate()
                .map(|(i, ns)| (site.key("namespaces").at(Seg::Index(i)), ns)),
        );
        for (at, ns) in claims {
            if at.path.first() == Some(&Seg::key("namespaces")) {
                dns_label(ns, "namespace", &at, &mut diags);
                if namespaces.contains(ns) {
                    continue;
                }
                namespaces.push(ns.clone());
            }
            if settings.reserved_namespaces.contains(ns) {
                diags.push(
                    Diagnostic::at(
                        at,
                        format!("team `{}` claims namespace `{ns}`, which is reserved: no team's apps may deploy there", raw.name),
                    )
                    .help(format!(
                        "reserved: {} (Kubernetes' own, Argo CD's, and `reserved_namespaces` in fleetc.yaml)",
                        settings.reserved_namespaces.join(", ")
                    )),
                );
                continue;
            }
            match owners.get(ns.as_str()) {
                Some((other, other_site)) if *other != raw.name.as_str() => diags.push(
                    Diagnostic::at(
                        at,
                        format!(
                            "team `{}` claims namespace `{ns}`, which belongs to team `{other}`",
                            raw.name
                        ),
                    )
                    .help(format!(
                        "a namespace belongs to one team; team `{other}` is in {}",
                        other_site.file.display()
                    )),
                ),
                Some(_) => {}
                None => {
                    owners.insert(ns.clone(), (raw.name.as_str(), site));
                }
            }
        }
        teams.push(Team {
            name: raw.name.clone(),
            description: raw.description.clone(),
            contributors: raw.groups.contributor.clone(),
            readers: raw.groups.reader.clone(),
            source_repos: raw.source_repos.clone(),
            namespaces,
            site: site.clone(),
        });
    }

    // Clusters.
    let mut out_clusters = Vec::with_capacity(clusters.len());
    let mut short_names: HashMap<String, &Site> = HashMap::new();
    for Located { site, raw } in &clusters {
        dns_label(&raw.name, "cluster name", &site.key("name"), &mut diags);
        if let Some(short) = &raw.short_name {
            dns_label(short, "shortName", &site.key("shortName"), &mut diags);
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
        let metadata = labels(&raw.metadata, &site.key("metadata"), &mut diags);
        let environment = raw.environment.as_ref().map(|e| e.0.clone());
        if let Some(env) = &environment {
            if let Err(e) = k8s::label_value(env) {
                diags.push(Diagnostic::at(
                    site.key("environment"),
                    format!("environment `{env}` is not a valid label value: {e}"),
                ));
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
        let values = mapping(raw.values.as_ref(), &site.key("values"), &mut diags);
        out_clusters.push(Cluster {
            name: raw.name.clone(),
            short_name: raw.short_name.clone(),
            description: raw.description.clone(),
            environment,
            metadata,
            labels: selectable,
            server: raw.server.clone(),
            values,
            site: site.clone(),
        });
    }

    // Apps.
    let mut apps = Vec::with_capacity(apps_raw.len());
    for Located { site, raw } in &apps_raw {
        dns_label(&raw.name, "app name", &site.key("name"), &mut diags);
        let metadata = labels(&raw.metadata, &site.key("metadata"), &mut diags);
        let mut selectable = metadata.clone();
        selectable
            .entry("name".to_string())
            .or_insert_with(|| raw.name.clone());
        let team = match team_index.get(raw.namespace.as_str()) {
            Some(t) => *t,
            None => {
                diags.push(
                    Diagnostic::at(
                        site.key("namespace"),
                        format!(
                            "app `{}` names namespace `{}`, which is not in the inventory",
                            raw.name, raw.namespace
                        ),
                    )
                    .help_opt(
                        suggest::hint(&raw.namespace, &team_names).or_else(|| {
                            Some(format!(
                                "add `namespaces/{}.yaml` with `name: {}`",
                                raw.namespace, raw.namespace
                            ))
                        }),
                    ),
                );
                usize::MAX
            }
        };
        let destination_namespace = raw
            .destination_namespace
            .clone()
            .unwrap_or_else(|| raw.namespace.clone());
        if raw.destination_namespace.is_some() {
            let at = site.key("destination_namespace");
            if dns_label(
                &destination_namespace,
                "destination_namespace",
                &at,
                &mut diags,
            ) {
                if let Some(t) = teams.get(team) {
                    if !t.namespaces.contains(&destination_namespace) {
                        diags.push(
                            Diagnostic::at(
                                at,
                                format!(
                                    "app `{}` deploys into namespace `{destination_namespace}`, which team `{}` does not own",
                                    raw.name, t.name
                                ),
                            )
                            .help(format!(
                                "add `{destination_namespace}` to `namespaces:` in {}, or deploy into `{}`",
                                t.site.file.display(),
                                t.name
                            )),
                        );
                    }
                }
            }
        }
        if let Some(t) = teams.get(team) {
            if let Some(repos) = &t.source_repos {
                if !crate::argocd::source_permitted(repos, &raw.repo_url) {
                    diags.push(
                        Diagnostic::at(
                            site.key("repo_url"),
                            format!(
                                "app `{}` uses repo `{}`, which team `{}` does not allow",
                                raw.name, raw.repo_url, t.name
                            ),
                        )
                        .help(format!(
                            "add it to `source_repos` in {}{}",
                            t.site.file.display(),
                            if repos.iter().any(|r| r.contains('*')) {
                                " (Argo CD reads them as globs where `*` stops at `/` and `**` does not)"
                            } else {
                                ""
                            }
                        )),
                    );
                }
            }
        }
        if raw.repo_url.trim().is_empty() {
            diags.push(Diagnostic::at(site.key("repo_url"), "`repo_url` is empty"));
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
        let release_name = raw.release_name.clone().unwrap_or_else(|| raw.name.clone());
        if raw.release_name.is_some() {
            dns_label(
                &release_name,
                "release_name",
                &site.key("release_name"),
                &mut diags,
            );
        }
        let values = mapping(raw.values.as_ref(), &site.key("values"), &mut diags);
        let mut overrides = BTreeMap::new();
        for (cluster, v) in &raw.value_overrides {
            let at = site.key("valueOverrides").key(cluster);
            match cluster_index.get(cluster.as_str()) {
                Some(c) => {
                    if let Some(v) = mapping(Some(v), &at, &mut diags) {
                        overrides.insert(*c, v);
                    }
                }
                None => diags.push(
                    Diagnostic::at(at, format!("`valueOverrides` names cluster `{cluster}`, which is not in the inventory"))
                        .help_opt(suggest::hint(cluster, &cluster_names)),
                ),
            }
        }
        let mut depends_on = Vec::new();
        for (i, dep) in raw.depends_on.iter().enumerate() {
            let at = site.key("depends_on").at(Seg::Index(i));
            match app_index.get(dep.as_str()) {
                Some(d) if dep == &raw.name => {
                    let _ = d;
                    diags.push(
                        Diagnostic::at(at, format!("app `{dep}` depends on itself"))
                            .help("remove it from `depends_on`"),
                    );
                }
                Some(d) => depends_on.push(*d),
                None => diags.push(
                    Diagnostic::at(
                        at,
                        format!("`depends_on` names app `{dep}`, which is not in the inventory"),
                    )
                    .help_opt(suggest::hint(dep, &app_names)),
                ),
            }
        }
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
        apps.push(App {
            name: raw.name.clone(),
            description: raw.description.clone(),
            repo_url: raw.repo_url.clone(),
            repo_branch: raw
                .repo_branch
                .clone()
                .unwrap_or_else(|| "HEAD".to_string()),
            repo_path: raw.repo_path.clone(),
            chart: raw.chart.clone(),
            metadata,
            labels: selectable,
            team,
            destination_namespace,
            release_name,
            values,
            overrides,
            depends_on,
            wave: 0,
            sync,
            cascade_delete: raw.cascade_delete.unwrap_or(settings.cascade_delete),
            site: site.clone(),
        });
    }
    assign_waves(&mut apps, &mut diags);

    // Policies.
    let mut policies = Vec::with_capacity(policies_raw.len());
    for Located { site, raw } in &policies_raw {
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
            Some(v) => selector(v, &site.key("app_selector"), &mut diags),
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
            Some(v) => selector(v, &site.key("cluster_selector"), &mut diags),
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
            match cluster_index.get(c.as_str()) {
                Some(ix) => listed.push(*ix),
                None => diags.push(
                    Diagnostic::at(
                        site.key("clusters").at(Seg::Index(i)),
                        format!("`clusters` names cluster `{c}`, which is not in the inventory"),
                    )
                    .help_opt(suggest::hint(c, &cluster_names)),
                ),
            }
        }
        listed.sort_unstable();
        listed.dedup();
        let team = match &raw.namespace {
            Some(ns) => match team_index.get(ns.as_str()) {
                Some(t) => Some(*t),
                None => {
                    diags.push(
                        Diagnostic::at(site.key("namespace"), format!("policy `{}` is scoped to namespace `{ns}`, which is not in the inventory", raw.name))
                            .help_opt(suggest::hint(ns, &team_names)),
                    );
                    None
                }
            },
            None => None,
        };
        let values = mapping(raw.values.as_ref(), &site.key("values"), &mut diags);
        if raw.exclude && values.is_some() {
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
            site: site.clone(),
        });
    }

    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(Inventory {
        root: loaded.root,
        settings,
        clusters: out_clusters,
        apps,
        teams,
        policies,
        templates: loaded.templates,
        files: loaded.files,
    })
}

/// Checks `fleetc.yaml` (absent: every default). `root`: the inventory
/// folder, where a template folder is looked for.
pub fn check_settings(
    settings: Option<&Located<RawSettings>>,
    root: &std::path::Path,
    diags: &mut Vec<Diagnostic>,
) -> Settings {
    let default = RawSettings::default();
    let (raw, site) = match settings {
        Some(l) => (&l.raw, l.site.clone()),
        None => (&default, Site::file(crate::inventory::SETTINGS_FILE)),
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
    let deploy_repo = raw.deploy_repo.as_ref().map(|d| DeployRepo {
        url: d.url.clone(),
        branch: d.branch.clone().unwrap_or_else(|| "main".to_string()),
        path: d
            .path
            .clone()
            .unwrap_or_default()
            .trim_matches('/')
            .to_string(),
    });
    let templates = match &raw.templates {
        Some(t) => {
            let dir = root.join(t);
            if !dir.is_dir() {
                diags.push(
                    Diagnostic::at(
                        site.key("templates"),
                        format!("template folder `{t}` does not exist"),
                    )
                    .help("create it, or remove `templates` to use the built-in templates"),
                );
            }
            Some(dir)
        }
        None => Some(root.join("templates")).filter(|d| d.is_dir()),
    };
    let guard = Guard {
        max_share: raw.removal_guard.max_share.unwrap_or(0.10),
        min_count: raw.removal_guard.min_count.unwrap_or(10),
    };
    if !(0.0..=1.0).contains(&guard.max_share) {
        diags.push(Diagnostic::at(
            site.key("removal_guard").key("max_share"),
            "`max_share` is a share of the rendered Applications, from 0 to 1",
        ));
    }
    let mut reserved_namespaces: Vec<String> =
        SYSTEM_NAMESPACES.iter().map(|s| s.to_string()).collect();
    reserved_namespaces.push(argocd_namespace.clone());
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
    let l = &raw.layout;
    let or = |set: &Option<String>, default: &str| set.clone().unwrap_or_else(|| default.into());
    Settings {
        argocd_namespace,
        mode,
        deploy_repo,
        application_name: raw
            .application_name
            .clone()
            .unwrap_or_else(|| DEFAULT_APPLICATION_NAME.to_string()),
        templates,
        layout: Layout {
            application: or(
                &l.application,
                "clusters/{{ cluster.name }}/apps/{{ app.name }}.yaml",
            ),
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
        },
        guard,
        reserved_namespaces,
        cascade_delete: raw.cascade_delete.unwrap_or(true),
        application_health_check: raw.application_health_check.unwrap_or(false),
    }
}

/// Sorts documents by name and reports every name defined twice.
fn sorted_unique<T>(
    mut docs: Vec<Located<T>>,
    what: &str,
    name: impl Fn(&T) -> &String,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Located<T>> {
    docs.sort_by(|a, b| name(&a.raw).cmp(name(&b.raw)).then(a.site.cmp(&b.site)));
    let mut out: Vec<Located<T>> = Vec::with_capacity(docs.len());
    for doc in docs {
        if let Some(prev) = out.last() {
            if name(&prev.raw) == name(&doc.raw) {
                diags.push(
                    Diagnostic::at(
                        doc.site.key("name"),
                        format!("{what} `{}` is defined twice", name(&doc.raw)),
                    )
                    .help(format!(
                        "it is also defined in {}; rename or remove one",
                        prev.site.file.display()
                    )),
                );
                continue;
            }
        }
        out.push(doc);
    }
    out
}

/// Checks a DNS-1123 label; false (and a diagnostic) when invalid.
fn dns_label(name: &str, what: &str, site: &Site, diags: &mut Vec<Diagnostic>) -> bool {
    match k8s::dns1123_label(name) {
        Ok(()) => true,
        Err(e) => {
            diags.push(
                Diagnostic::at(
                    site.clone(),
                    format!("{what} `{name}` is not a valid Kubernetes name (DNS-1123 label): {e}"),
                )
                .help(format!(
                    "use lower case letters, digits and `-`, at most 63 characters, e.g. `{}`",
                    dns_suggestion(name)
                )),
            );
            false
        }
    }
}

/// A name close to `name` that is a DNS-1123 label.
fn dns_suggestion(name: &str) -> String {
    let mut s: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    s.truncate(63);
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        "my-name".to_string()
    } else {
        s
    }
}

/// Validates a label map as Kubernetes does, each problem at its key.
fn labels(raw: &RawLabels, site: &Site, diags: &mut Vec<Diagnostic>) -> Labels {
    let mut out = Labels::new();
    for (key, LabelValue(value)) in raw {
        let at = site.key(key);
        if let Err(e) = k8s::label_key(key) {
            diags.push(Diagnostic::at(
                at.clone(),
                format!("invalid label key `{key}`: {e}"),
            ));
        }
        if let Err(e) = k8s::label_value(value) {
            diags.push(Diagnostic::at(
                at,
                format!("invalid value `{value}` for label `{key}`: {e}"),
            ));
        }
        out.insert(key.clone(), value.clone());
    }
    out
}

/// Values must be a mapping (or absent / null: no values).
fn mapping(v: Option<&Value>, site: &Site, diags: &mut Vec<Diagnostic>) -> Option<Value> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) if m.is_empty() => None,
        Some(v @ Value::Object(_)) => Some(v.clone()),
        Some(_) => {
            diags.push(
                Diagnostic::at(
                    site.clone(),
                    format!("`{}` must be a mapping of Helm values", site.dotted()),
                )
                .help("write `key: value` pairs under it"),
            );
            None
        }
    }
}

/// Parses a selector given on the command line: a `kubectl -l` string, or a
/// YAML/JSON map (plain labels, or `matchLabels` / `matchExpressions`).
pub fn parse_selector(text: &str) -> Result<Selector, String> {
    let trimmed = text.trim_start();
    let value = if trimmed.starts_with('{') {
        crate::yaml::parse_yaml(text)
            .map_err(|e| format!("cannot read `{text}`: {}", e.message))?
            .into_iter()
            .next()
            .map(|d| d.value)
            .unwrap_or(Value::Object(Default::default()))
    } else {
        Value::String(text.to_string())
    };
    let mut diags = Vec::new();
    selector(&value, &Site::file("--selector"), &mut diags).ok_or_else(|| {
        diags
            .into_iter()
            .map(|d| d.message)
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// A selector in any of its three forms: a `kubectl -l` string, a plain map
/// (`matchLabels`), or a LabelSelector with `matchLabels` / `matchExpressions`.
fn selector(v: &Value, site: &Site, diags: &mut Vec<Diagnostic>) -> Option<Selector> {
    let result = match v {
        Value::String(s) => Selector::parse(s),
        Value::Object(map)
            if !map.is_empty()
                && map
                    .keys()
                    .all(|k| k == "matchLabels" || k == "matchExpressions") =>
        {
            let mut v = v.clone();
            if let Some(Value::Object(ml)) = v.get_mut("matchLabels") {
                stringify_scalars(ml);
            }
            if let Some(Value::Array(exprs)) = v.get_mut("matchExpressions") {
                for e in exprs {
                    if let Some(Value::Array(vals)) = e.get_mut("values") {
                        for x in vals {
                            stringify(x);
                        }
                    }
                }
            }
            match serde_json::from_value::<LabelSelector>(v) {
                Ok(ls) => Selector::from_label_selector(&ls),
                Err(e) => {
                    diags.push(
                        Diagnostic::at(site.clone(), format!("invalid label selector: {e}"))
                            .help("a LabelSelector has `matchLabels: {key: value}` and `matchExpressions: [{key, operator, values}]`"),
                    );
                    return None;
                }
            }
        }
        Value::Object(map) => {
            let mut set = Labels::new();
            for (k, x) in map {
                match scalar_text(x) {
                    Some(s) => {
                        set.insert(k.clone(), s);
                    }
                    None => {
                        diags.push(
                            Diagnostic::at(site.key(k), format!("selector value for `{k}` must be a label value, not a list or mapping"))
                                .help(format!("to match several values write `{k} in (a,b)` as a string, or use `matchExpressions`")),
                        );
                        return None;
                    }
                }
            }
            Selector::from_set(&set)
        }
        _ => {
            diags.push(
                Diagnostic::at(site.clone(), "a selector is a mapping of labels, a LabelSelector, or a string like `region in (east,west),!canary`")
                    .help("write `{}` to select everything"),
            );
            return None;
        }
    };
    match result {
        Ok(s) => Some(s),
        Err(e) => {
            diags.push(Diagnostic::at(
                site.clone(),
                format!("invalid selector: {e}"),
            ));
            None
        }
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn stringify(v: &mut Value) {
    if let Some(s) = scalar_text(v) {
        *v = Value::String(s);
    }
}

fn stringify_scalars(map: &mut serde_json::Map<String, Value>) {
    for v in map.values_mut() {
        stringify(v);
    }
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
