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
mod maintenance;
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
    /// The word `fleetc.yaml` writes in `mode:`: `per-cluster` or `hub`.
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

/// `fleetc.yaml`, checked: every setting, with its default where not set.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The namespace of Argo CD, where Applications and AppProjects live
    /// (`argocd` unless set).
    pub argocd_namespace: String,
    /// Where Argo CD runs: in every cluster, or one hub.
    pub mode: Mode,
    /// The repo Argo CD reads the rendered tree from; without it, no root
    /// or platform Applications are rendered.
    pub deploy_repo: Option<DeployRepo>,
    /// The template (minijinja) of an Application's name.
    pub application_name: String,
    /// Output path templates.
    pub layout: Layout,
    /// The removal guard: how many Applications one compile may remove.
    pub guard: Guard,
    /// Limits on the work an inventory may ask for.
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
    /// The Argo CD release the output is for (supported ones only).
    pub argocd_version: crate::rules::argocd::Version,
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

/// A cluster: its labels, values, and settings for the apps placed on it.
#[derive(Clone, Debug)]
pub struct Cluster {
    /// The cluster's name, as its document writes it (a DNS label).
    pub name: String,
    /// `shortName`: a shorter name for its Applications' names (the default
    /// `application_name` uses it in place of `name`).
    pub short_name: Option<String>,
    /// A description, as written.
    pub description: Option<String>,
    /// Its environment, which selectors also see as the label `environment`.
    pub environment: Option<String>,
    /// The labels as written.
    pub metadata: Labels,
    /// What selectors see: `metadata`, plus `name` and `environment` where
    /// `metadata` does not set them.
    pub labels: Labels,
    /// Its API server's address, as written: informational (templates can
    /// read it).
    pub server: Option<String>,
    /// Joining, in service, or leaving the fleet (`lifecycle:`).
    pub lifecycle: Lifecycle,
    /// Its maintenance windows: sync windows of its AppProjects.
    pub maintenance: Vec<Window>,
    /// Helm values for every app placed on it.
    pub values: Option<Value>,
    /// Settings for the apps of each source type placed on it.
    pub tools: Tools,
    /// Where its document is.
    pub site: Site,
}

/// Where a cluster is in its life in the fleet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lifecycle {
    /// Joining: it gets its root, platform project and namespaces, and
    /// only the apps of policies that say `onboarding: true`.
    Onboarding,
    /// In service (the default).
    #[default]
    Active,
    /// Leaving: its app Applications are removed (so Argo CD prunes them),
    /// its root and namespaces stay until its file is removed.
    Draining,
}

/// A maintenance window of a cluster or team, checked by Argo CD's rules:
/// rendered into the AppProjects' `syncWindows`.
#[derive(Clone, Debug)]
pub struct Window {
    /// The window, checked and ready to evaluate (written with no
    /// `applications`, `namespaces` or `clusters`, it has `applications:
    /// ['*']`).
    pub rule: crate::rules::syncwindow::Compiled,
    /// Written with no `applications`, `namespaces` or `clusters`: it
    /// covers everything it is rendered for.
    pub unscoped: bool,
    /// Where it is written.
    pub site: Site,
}

/// One layer's settings of each source type, as JSON objects that merge
/// like values: Helm's `value_files` and `ignore_missing_value_files` (keyed
/// as written), `kustomize:` and `directory:` with Argo CD's field names.
#[derive(Clone, Debug, Default)]
pub struct Tools {
    /// Helm's settings: `value_files`, `ignore_missing_value_files`.
    pub helm: Option<Value>,
    /// `kustomize:` settings, with Argo CD's field names.
    pub kustomize: Option<Value>,
    /// `directory:` settings, with Argo CD's field names.
    pub directory: Option<Value>,
}

impl Tools {
    /// The settings of type `ty`, if set.
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

/// An app: what to deploy, from which repo, for which team, and with
/// which values and settings.
#[derive(Clone, Debug)]
pub struct App {
    /// The app's name, as its document writes it.
    pub name: String,
    /// A description, as written.
    pub description: Option<String>,
    /// The repo its source comes from, as written: a git repo, or the Helm
    /// repository of its `chart`.
    pub repo_url: String,
    /// The revision it deploys unless pinned or rolled out (a chart's
    /// version with `chart`); `HEAD` unless set.
    pub repo_branch: String,
    /// The folder in the repo that holds its manifests (none with `chart`).
    pub repo_path: Option<String>,
    /// The Helm chart's name in the repository at `repo_url`.
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
    /// The labels as written.
    pub metadata: Labels,
    /// What selectors see: `metadata`, plus `name` where it is not set.
    pub labels: Labels,
    /// Index of the app's team in [`Inventory::teams`].
    pub team: usize,
    /// The Kubernetes namespace its Applications deploy into; the team's
    /// namespace unless set.
    pub destination_namespace: String,
    /// The Helm release name; the app's name unless set.
    pub release_name: String,
    /// The app's own Helm values (lowest precedence).
    pub values: Option<Value>,
    /// Per-cluster values, by cluster index.
    pub overrides: BTreeMap<usize, Value>,
    /// Indices of apps this one waits for.
    pub depends_on: Vec<usize>,
    /// Sync wave: 0 for an app with no dependencies, else one more than the
    /// highest wave among them.
    pub wave: u32,
    /// Its Applications' sync policy, with fleetc's defaults where not set.
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
    /// Where its document is.
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
    /// What a promotion waits for (`gate:`), if anything.
    pub gate: Option<Gate>,
    /// Promotions made past the gate (`promote --force`): ring → reason.
    pub forced: BTreeMap<String, String>,
    /// Where its `rollout:` block is.
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

/// `rollout.gate`: before the next ring gets the revision, every pair of
/// the rings that have it must be DEPLOYED at it and healthy, and have
/// been since a sync that finished `soak_seconds` ago.
#[derive(Clone, Debug)]
pub struct Gate {
    /// How long the promoted rings must have run the revision, healthy.
    pub soak_seconds: i64,
    /// How many of their pairs may be unhealthy (Missing, Suspended,
    /// Unknown, not installed, no export) and the gate still met.
    pub max_unhealthy: u64,
}

/// RFC 6902 operations on a rendered Application (`patches:`).
#[derive(Clone, Debug)]
pub struct Patch {
    pub(crate) ops: Vec<crate::rules::jsonpatch::Op>,
    /// Where the operations are written.
    pub site: Site,
}

/// A replica total divided over the clusters a policy places an app on
/// (`replicas:`).
#[derive(Clone, Debug)]
pub struct Replicas {
    /// The replicas to divide.
    pub total: u64,
    /// Where the share goes in the values (`replicaCount`, `a.b`).
    pub path: Vec<String>,
    /// Each cluster's weight in the division.
    pub weights: Weights,
    /// The fewest replicas a cluster gets.
    pub min: u64,
    /// The most replicas a cluster gets, if bounded.
    pub max: Option<u64>,
    /// Where its `replicas:` block is.
    pub site: Site,
}

/// Each cluster's weight in a division.
#[derive(Clone, Debug)]
pub enum Weights {
    /// By cluster index; others weigh `default`.
    Clusters(BTreeMap<usize, u64>, u64),
    /// By the value of a cluster label; others weigh `default`.
    Label {
        /// The cluster label whose value picks the weight.
        label: String,
        /// Weights by the label's value.
        weights: BTreeMap<String, u64>,
        /// The weight of a cluster whose value is not listed, or that has no
        /// such label.
        default: u64,
    },
}

impl Weights {
    /// The weight of `cluster` (`ci`: its index).
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

/// A team (a Namespace document): its AppProject, its groups and the
/// Kubernetes namespaces its apps may deploy into.
#[derive(Clone, Debug)]
pub struct Team {
    /// The team's name, as its document writes it; also its first namespace.
    pub name: String,
    /// A description, as written.
    pub description: Option<String>,
    /// Groups that manage its Applications (and may `edit` its namespaces).
    pub contributors: Vec<String>,
    /// Groups that may read its Applications (and `view` its namespaces).
    pub readers: Vec<String>,
    /// Repos its apps may use; `None`: the repos its apps use.
    pub source_repos: Option<Vec<String>>,
    /// Kubernetes namespaces its apps may deploy into (its own name first).
    pub namespaces: Vec<String>,
    /// Its maintenance windows: sync windows of its AppProjects.
    pub maintenance: Vec<Window>,
    /// Where its document is.
    pub site: Site,
}

/// A target policy: which apps go on which clusters, and what the pairs
/// it places get.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The policy's name, as its document writes it.
    pub name: String,
    /// A description, as written.
    pub description: Option<String>,
    /// Selects the apps it places.
    pub app_selector: Selector,
    /// Selects the clusters it places them on; `None`: only those in `clusters`.
    pub cluster_selector: Option<Selector>,
    /// Clusters listed by name, by index.
    pub clusters: Vec<usize>,
    /// Scope: only apps of this team.
    pub team: Option<usize>,
    /// Orders the policies that place a pair: a higher priority's values and
    /// settings win.
    pub priority: i64,
    /// The Helm values it gives the pairs it places.
    pub values: Option<Value>,
    /// Takes the pairs it selects out of the matrix instead of placing them.
    pub exclude: bool,
    /// Places its apps on clusters that are onboarding too.
    pub onboarding: bool,
    /// Pins the revision of the pairs it places.
    pub revision: Option<String>,
    /// Rolls a new revision out to the pairs it places, ring by ring.
    pub rollout: Option<Rollout>,
    /// RFC 6902 operations on the Applications of the pairs it places.
    pub patches: Option<Patch>,
    /// A replica total divided over the clusters it places each app on.
    pub replicas: Option<Replicas>,
    /// Settings for the apps of each source type it places.
    pub tools: Tools,
    /// Where its document is.
    pub site: Site,
}

/// The whole checked inventory. Each list is sorted by name, so indices are
/// stable for a given inventory.
#[derive(Clone, Debug)]
pub struct Inventory {
    /// The inventory folder it was read from.
    pub root: PathBuf,
    /// `fleetc.yaml`, checked.
    pub settings: Settings,
    /// The clusters, by name.
    pub clusters: Vec<Cluster>,
    /// The apps, by name.
    pub apps: Vec<App>,
    /// The teams (Namespace documents), by name.
    pub teams: Vec<Team>,
    /// The target policies, by name.
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

    /// Whether it is a Helm chart.
    pub fn is_helm(&self) -> bool {
        self.source_type == Some(SourceType::Helm)
    }
}

impl Inventory {
    /// The index of the cluster named `name`.
    pub fn cluster(&self, name: &str) -> Option<usize> {
        self.clusters
            .binary_search_by(|c| c.name.as_str().cmp(name))
            .ok()
    }

    /// The index of the app named `name`.
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
    maintenance::hub_scopes(&clusters, &settings, &mut diags);
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
