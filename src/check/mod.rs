//! The checked inventory.
//!
//! [`check`] turns the raw documents into validated types: names are valid
//! Kubernetes names, references resolve to indices, selectors are parsed,
//! values are mappings. Nothing downstream sees a raw string that should
//! have been a selector or a name. Every problem is reported, not the first.
//! One file checks each kind; `fields` holds what they share.

mod apps;
mod clusters;
mod delivery;
mod fields;
mod owners;
mod policies;
mod secrets;
mod settings;
pub(crate) mod sources;
mod teams;

pub(crate) use fields::parse_selector;
pub(crate) use settings::check_settings;
pub(crate) use sources::argocd_repo_url;
pub use sources::{SourceType, ValuesRepo};

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use crate::base::error::{Diagnostic, Site};
use crate::load::{Loaded, Located};
use crate::rules::selector::{Labels, Selector};

/// Argo CD's in-cluster API server address.
pub(crate) const IN_CLUSTER: &str = "https://kubernetes.default.svc";

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
pub(crate) const SYSTEM_NAMESPACES: &[&str] =
    &["default", "kube-node-lease", "kube-public", "kube-system"];

/// The prefix of the names fleetc gives its own objects (root and platform
/// Applications, platform AppProjects): no team or Application may use it.
pub(crate) const OWN_PREFIX: &str = "fleetc-";

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
    pub layout: Layout,
    pub guard: Guard,
    pub limits: crate::base::limits::Limits,
    /// Which files each team owns (tenancy in the inventory).
    pub owners: owners::Owners,
    /// Value paths (`a.b.c` globs) that may hold a literal credential.
    pub allow_literal_secrets: globset::GlobSet,
    /// Content rules allowed at one place each.
    pub allow_secrets: Vec<secrets::Allowance>,
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

pub(crate) const DEFAULT_APPLICATION_NAME: &str =
    "{{ app.name }}-{{ cluster.shortName or cluster.name }}";

/// `layout.application` unless set.
pub(crate) const DEFAULT_APPLICATION_LAYOUT: &str =
    "clusters/{{ cluster.name }}/apps/{{ app.name }}.yaml";

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
    /// Settings for the apps of each source type placed on it.
    pub tools: Tools,
    pub site: Site,
}

/// One layer's settings of each source type, as JSON objects that merge
/// like values: Helm's `value_files` and `ignore_missing_value_files` (keyed
/// as written), `kustomize:` and `directory:` with Argo CD's field names.
#[derive(Clone, Debug, Default)]
pub struct Tools {
    pub helm: Option<Value>,
    pub kustomize: Option<Value>,
    pub directory: Option<Value>,
}

impl Tools {
    pub fn get(&self, ty: SourceType) -> Option<&Value> {
        match ty {
            SourceType::Helm => self.helm.as_ref(),
            SourceType::Kustomize => self.kustomize.as_ref(),
            SourceType::Directory => self.directory.as_ref(),
        }
    }

    /// The settings it has, by type.
    pub fn iter(&self) -> impl Iterator<Item = (SourceType, &Value)> {
        SourceType::ALL
            .into_iter()
            .filter_map(|t| self.get(t).map(|v| (t, v)))
    }
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
    /// What Argo CD builds the source with; `None`: it detects it from
    /// the folder (the Applications carry no tool block).
    pub source_type: Option<SourceType>,
    /// The field of the app's document that says its type (`source_type`,
    /// `chart`, `values`, `kustomize`, ...).
    pub source_key: Option<&'static str>,
    /// The app's own settings of its type (lowest precedence).
    pub tools: Tools,
    /// Per-cluster settings (`kustomizeOverrides`), by cluster index.
    pub tool_overrides: BTreeMap<usize, Tools>,
    /// Value files in another repo: a multi-source Application.
    pub values_repo: Option<ValuesRepo>,
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
    /// Per-cluster revisions, by cluster index (`revisionOverrides`).
    pub revision_overrides: BTreeMap<usize, String>,
    /// The app's own ring rollout of a new revision.
    pub rollout: Option<Rollout>,
    /// RFC 6902 patches of its Application, by cluster index.
    pub patches: BTreeMap<usize, Patch>,
    pub site: Site,
}

/// A new revision rolled out ring by ring (`rollout:`).
#[derive(Clone, Debug)]
pub struct Rollout {
    /// The cluster label whose value is a cluster's ring.
    pub by: String,
    /// The rings, first to last.
    pub order: Vec<String>,
    /// The revision the rings get.
    pub revision: String,
    /// Index in `order` of the last ring that has it (`promoted:`; the
    /// first ring unless set).
    pub promoted: usize,
    /// Whether `revision` may be older than what the rings run.
    pub downgrade: bool,
    pub site: Site,
}

impl Rollout {
    /// The ring of a cluster (its index in `order`), from its labels;
    /// `None`: it has no ring (no such label, or a value not in `order`).
    pub fn ring_of(&self, cluster: &Cluster) -> Option<usize> {
        let value = cluster.labels.get(&self.by)?;
        self.order.iter().position(|r| r == value)
    }

    /// Whether a cluster in `ring` has the rollout's revision: rings up to
    /// `promoted` do; a cluster with no ring goes with the last ring.
    pub fn reached(&self, ring: Option<usize>) -> bool {
        self.reached_at(ring, self.promoted)
    }

    /// Whether a cluster in `ring` would have the revision with the
    /// rollout promoted to ring index `promoted`.
    pub fn reached_at(&self, ring: Option<usize>, promoted: usize) -> bool {
        ring.unwrap_or(self.order.len().saturating_sub(1)) <= promoted
    }
}

/// RFC 6902 operations on a rendered Application (`patches:`).
#[derive(Clone, Debug)]
pub struct Patch {
    pub(crate) ops: Vec<crate::rules::jsonpatch::Op>,
    pub site: Site,
}

/// A replica total divided over the clusters a policy places an app on
/// (`replicas:`).
#[derive(Clone, Debug)]
pub struct Replicas {
    pub total: u64,
    /// Where the share goes in the values (`replicaCount`, `a.b`).
    pub path: Vec<String>,
    pub weights: Weights,
    pub min: u64,
    pub max: Option<u64>,
    pub site: Site,
}

/// Each cluster's weight in a division.
#[derive(Clone, Debug)]
pub enum Weights {
    /// By cluster index; others weigh `default`.
    Clusters(BTreeMap<usize, u64>, u64),
    /// By the value of a cluster label; others weigh `default`.
    Label {
        label: String,
        weights: BTreeMap<String, u64>,
        default: u64,
    },
}

impl Weights {
    pub fn of(&self, ci: usize, cluster: &Cluster) -> u64 {
        match self {
            Weights::Clusters(by, default) => by.get(&ci).copied().unwrap_or(*default),
            Weights::Label {
                label,
                weights,
                default,
            } => cluster
                .labels
                .get(label)
                .and_then(|v| weights.get(v))
                .copied()
                .unwrap_or(*default),
        }
    }
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
    /// Pins the revision of the pairs it places.
    pub revision: Option<String>,
    pub rollout: Option<Rollout>,
    pub patches: Option<Patch>,
    pub replicas: Option<Replicas>,
    /// Settings for the apps of each source type it places.
    pub tools: Tools,
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

impl App {
    /// The repos its Applications read: its own (as Argo CD reads it), and
    /// the values repo.
    pub fn repo_urls(&self) -> impl Iterator<Item = &str> {
        std::iter::once(argocd_repo_url(&self.repo_url, self.chart.as_deref()))
            .chain(self.values_repo.as_ref().map(|r| r.url.as_str()))
    }

    pub fn is_helm(&self) -> bool {
        self.source_type == Some(SourceType::Helm)
    }
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
pub(crate) fn check(loaded: Loaded) -> Result<Inventory, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let settings = check_settings(loaded.settings.as_ref(), &mut diags);

    let clusters_raw = sorted_unique(loaded.clusters, "cluster", |c| &c.name, &mut diags);
    let apps_raw = sorted_unique(loaded.apps, "app", |a| &a.name, &mut diags);
    let teams_raw = sorted_unique(loaded.namespaces, "namespace", |n| &n.name, &mut diags);
    let policies_raw = sorted_unique(loaded.policies, "policy", |p| &p.name, &mut diags);
    let index = Index {
        clusters: clusters_raw.iter().map(|c| c.raw.name.as_str()).collect(),
        apps: apps_raw.iter().map(|a| a.raw.name.as_str()).collect(),
        teams: teams_raw.iter().map(|t| t.raw.name.as_str()).collect(),
    };

    let teams = teams::check(&teams_raw, &settings, &mut diags);
    let clusters = clusters::check(&clusters_raw, &mut diags);
    let apps = apps::check(&apps_raw, &index, &teams, &settings, &mut diags);
    let policies = policies::check(&policies_raw, &index, &mut diags);
    let reported = check_values(
        &loaded.found,
        &settings,
        &clusters,
        &apps,
        &policies,
        &mut diags,
    );
    owners::check(
        &settings.owners,
        &Site::file(crate::load::SETTINGS_FILE).key("owners"),
        &teams,
        &clusters,
        &apps,
        &policies,
        &mut diags,
    );

    if !diags.is_empty() {
        // No message quotes a literal credential the key rule found (the
        // caller cuts those found by their content, `Loaded::secrets`).
        crate::load::redact(&mut diags, reported.secrets.iter().map(String::as_str));
        return Err(diags);
    }
    Ok(Inventory {
        root: loaded.root,
        settings,
        clusters,
        apps,
        teams,
        policies,
        templates: loaded.templates,
        files: loaded.files,
    })
}

/// Every credential found by its content that `allow_secrets` does not
/// allow; every values layer within `limits.value_bytes` and with no
/// credential in plain text under a credential's name (see `secrets`).
fn check_values(
    found: &[crate::load::Found],
    settings: &Settings,
    clusters: &[Cluster],
    apps: &[App],
    policies: &[Policy],
    diags: &mut Vec<Diagnostic>,
) -> secrets::Reported {
    let mut layers: Vec<(&Value, Site)> = Vec::new();
    for c in clusters {
        layers.extend(c.values.iter().map(|v| (v, c.site.key("values"))));
    }
    for a in apps {
        layers.extend(a.values.iter().map(|v| (v, a.site.key("values"))));
        for (ci, v) in &a.overrides {
            let site = a.site.key("valueOverrides").key(&clusters[*ci].name);
            layers.push((v, site));
        }
    }
    for p in policies {
        layers.extend(p.values.iter().map(|v| (v, p.site.key("values"))));
    }
    // Source settings reach the deploy repo too (a Kustomize annotation or
    // patch can hold a credential as well as a value can).
    fn tools<'a>(t: &'a Tools, site: &Site) -> Vec<(&'a Value, Site)> {
        t.iter().map(|(ty, v)| (v, ty.site_in(site))).collect()
    }
    for c in clusters {
        layers.extend(tools(&c.tools, &c.site));
    }
    for a in apps {
        layers.extend(tools(&a.tools, &a.site));
        for (ci, t) in &a.tool_overrides {
            let site = a.site.key("kustomizeOverrides").key(&clusters[*ci].name);
            layers.extend(t.kustomize.as_ref().map(|v| (v, site)));
        }
    }
    for p in policies {
        layers.extend(tools(&p.tools, &p.site));
    }
    let sites: Vec<Site> = layers.iter().map(|(_, site)| site.clone()).collect();
    let mut reported = secrets::report(found, &settings.allow_secrets, &sites, diags);
    for (v, site) in layers {
        secrets::check_layer(v, &site, settings, &mut reported, diags);
    }
    secrets::unused(&settings.allow_secrets, &reported, diags);
    reported
}

/// The names of each kind, sorted (so a name's position is its index), for
/// references between documents and "did you mean".
pub(super) struct Index<'a> {
    pub(super) clusters: Vec<&'a str>,
    pub(super) apps: Vec<&'a str>,
    pub(super) teams: Vec<&'a str>,
}

impl Index<'_> {
    pub(super) fn cluster(&self, name: &str) -> Option<usize> {
        self.clusters.binary_search(&name).ok()
    }

    pub(super) fn app(&self, name: &str) -> Option<usize> {
        self.apps.binary_search(&name).ok()
    }

    pub(super) fn team(&self, name: &str) -> Option<usize> {
        self.teams.binary_search(&name).ok()
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
