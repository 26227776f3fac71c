//! The inventory as written: serde structs that mirror the files exactly.
//!
//! Every struct denies unknown fields. Nothing here is checked beyond its
//! shape; [`crate::check`] turns these into validated types.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A label value as written: YAML booleans and numbers are labels too, so
/// they become strings (`true` → `"true"`, `3` → `"3"`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct LabelValue(pub String);

impl<'de> Deserialize<'de> for LabelValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LabelValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a label value (text, a boolean or a number)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LabelValue, E> {
                Ok(LabelValue(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<LabelValue, E> {
                Ok(LabelValue(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LabelValue, E> {
                Ok(LabelValue(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LabelValue, E> {
                Ok(LabelValue(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<LabelValue, E> {
                Ok(LabelValue(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for LabelValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

pub(crate) type RawLabels = BTreeMap<String, LabelValue>;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCluster {
    /// Read by the loader to tell the kind; accepted here too.
    #[serde(default)]
    #[allow(dead_code)]
    pub kind: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, rename = "shortName")]
    pub short_name: Option<String>,
    #[serde(default)]
    pub environment: Option<LabelValue>,
    #[serde(default)]
    pub metadata: RawLabels,
    #[serde(default)]
    pub server: Option<String>,
    /// onboarding | active | draining.
    #[serde(default)]
    pub lifecycle: Option<String>,
    /// Sync windows of the cluster's AppProjects.
    #[serde(default)]
    pub maintenance: Vec<RawWindow>,
    #[serde(default)]
    pub values: Option<Value>,
    // Settings for the apps of each source type placed on this cluster.
    /// Helm value files: paths in the chart's repo (or the values repo).
    #[serde(default)]
    pub value_files: Option<Vec<String>>,
    #[serde(default)]
    pub ignore_missing_value_files: Option<bool>,
    #[serde(default)]
    pub kustomize: Option<RawKustomize>,
    #[serde(default)]
    pub directory: Option<RawDirectory>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawApp {
    /// Read by the loader to tell the kind; accepted here too.
    #[serde(default)]
    #[allow(dead_code)]
    pub kind: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub repo_url: String,
    #[serde(default)]
    pub repo_branch: Option<String>,
    #[serde(default)]
    pub repo_path: Option<String>,
    #[serde(default)]
    pub chart: Option<String>,
    /// `helm`, `kustomize` or `directory`; unset: Argo CD detects it,
    /// unless the app's own settings say.
    #[serde(default)]
    pub source_type: Option<String>,
    /// Helm value files kept in another git repo (a multi-source
    /// Application).
    #[serde(default)]
    pub values_repo: Option<RawValuesRepo>,
    #[serde(default)]
    pub metadata: RawLabels,
    pub namespace: String,
    #[serde(default)]
    pub destination_namespace: Option<String>,
    #[serde(default)]
    pub release_name: Option<String>,
    #[serde(default)]
    pub values: Option<Value>,
    #[serde(default, rename = "valueOverrides")]
    pub value_overrides: BTreeMap<String, Value>,
    /// Helm value files: paths in the chart's repo (or the values repo).
    #[serde(default)]
    pub value_files: Option<Vec<String>>,
    #[serde(default)]
    pub ignore_missing_value_files: Option<bool>,
    #[serde(default)]
    pub kustomize: Option<RawKustomize>,
    #[serde(default)]
    pub directory: Option<RawDirectory>,
    /// Kustomize settings by cluster name (highest precedence).
    #[serde(default, rename = "kustomizeOverrides")]
    pub kustomize_overrides: BTreeMap<String, RawKustomize>,
    #[serde(default)]
    pub depends_on: Vec<String>,
    #[serde(default)]
    pub sync: Option<RawSync>,
    /// Whether deleting the app's Applications deletes their live resources
    /// (the resources finalizer); default: the `fleetc.yaml` setting.
    #[serde(default)]
    pub cascade_delete: Option<bool>,
    /// Per-cluster revisions, by cluster name (highest precedence).
    #[serde(default, rename = "revisionOverrides")]
    pub revision_overrides: BTreeMap<String, String>,
    #[serde(default)]
    pub rollout: Option<RawRollout>,
    /// RFC 6902 operations on the rendered Application, by cluster name.
    #[serde(default)]
    pub patches: BTreeMap<String, Value>,
}

/// The settings of each source type that apps, policies and clusters may
/// write (each has the same four fields), layered per pair like values.
/// Kustomize and directory settings use Argo CD's own field names
/// (`ApplicationSourceKustomize`, `ApplicationSourceDirectory`).
pub(crate) struct RawTools<'a> {
    pub value_files: Option<&'a Vec<String>>,
    pub ignore_missing_value_files: Option<bool>,
    pub kustomize: Option<&'a RawKustomize>,
    pub directory: Option<&'a RawDirectory>,
}

macro_rules! tools_of {
    ($($t:ty),*) => {$(
        impl $t {
            pub(crate) fn tools(&self) -> RawTools<'_> {
                RawTools {
                    value_files: self.value_files.as_ref(),
                    ignore_missing_value_files: self.ignore_missing_value_files,
                    kustomize: self.kustomize.as_ref(),
                    directory: self.directory.as_ref(),
                }
            }
        }
    )*};
}
tools_of!(RawCluster, RawApp, RawPolicy);

/// `values_repo:`: where an app's Helm value files live, when not beside
/// the chart.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawValuesRepo {
    pub url: String,
    #[serde(default)]
    pub revision: Option<String>,
}

/// `kustomize:`, as Argo CD's `ApplicationSourceKustomize` names its fields.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawKustomize {
    #[serde(
        default,
        rename = "namePrefix",
        skip_serializing_if = "Option::is_none"
    )]
    pub name_prefix: Option<String>,
    #[serde(
        default,
        rename = "nameSuffix",
        skip_serializing_if = "Option::is_none"
    )]
    pub name_suffix: Option<String>,
    /// `name=newName:tag`, `name:tag`, `name@digest`, as `kustomize edit set image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<Vec<String>>,
    #[serde(
        default,
        rename = "commonLabels",
        skip_serializing_if = "Option::is_none"
    )]
    pub common_labels: Option<BTreeMap<String, LabelValue>>,
    #[serde(
        default,
        rename = "commonAnnotations",
        skip_serializing_if = "Option::is_none"
    )]
    pub common_annotations: Option<BTreeMap<String, LabelValue>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<Vec<RawKustomizeReplica>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patches: Option<Vec<RawKustomizePatch>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<String>>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawKustomizeReplica {
    pub name: String,
    pub count: u64,
}

/// One of `kustomize.patches`: a strategic-merge or JSON 6902 patch, inline
/// or a file in the app's repo, on the resources `target` selects.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawKustomizePatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<RawKustomizeTarget>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<BTreeMap<String, bool>>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawKustomizeTarget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(
        default,
        rename = "labelSelector",
        skip_serializing_if = "Option::is_none"
    )]
    pub label_selector: Option<String>,
    #[serde(
        default,
        rename = "annotationSelector",
        skip_serializing_if = "Option::is_none"
    )]
    pub annotation_selector: Option<String>,
}

/// `directory:`, as Argo CD's `ApplicationSourceDirectory` (without jsonnet).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDirectory {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurse: Option<bool>,
    /// A glob (or `{a,b}` set) of the files to apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSync {
    #[serde(default)]
    pub automated: Option<bool>,
    #[serde(default)]
    pub prune: Option<bool>,
    #[serde(default, rename = "selfHeal")]
    pub self_heal: Option<bool>,
    #[serde(default, rename = "syncOptions")]
    pub sync_options: Option<Vec<String>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNamespace {
    /// Read by the loader to tell the kind; accepted here too.
    #[serde(default)]
    #[allow(dead_code)]
    pub kind: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub groups: RawGroups,
    #[serde(default)]
    pub source_repos: Option<Vec<String>>,
    /// Further Kubernetes namespaces the team's apps may deploy into.
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// Sync windows of the team's AppProjects.
    #[serde(default)]
    pub maintenance: Vec<RawWindow>,
}

/// A maintenance window, as Argo CD's AppProject `syncWindows` write one.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWindow {
    pub kind: String,
    pub schedule: String,
    pub duration: String,
    #[serde(default, rename = "timeZone")]
    pub time_zone: Option<String>,
    #[serde(default, rename = "manualSync")]
    pub manual_sync: bool,
    #[serde(default)]
    pub applications: Vec<String>,
    #[serde(default)]
    pub namespaces: Vec<String>,
    #[serde(default)]
    pub clusters: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGroups {
    #[serde(default)]
    pub contributor: Vec<String>,
    #[serde(default)]
    pub reader: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPolicy {
    /// Read by the loader to tell the kind; accepted here too.
    #[serde(default)]
    #[allow(dead_code)]
    pub kind: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub app_selector: Option<Value>,
    #[serde(default)]
    pub cluster_selector: Option<Value>,
    #[serde(default)]
    pub clusters: Vec<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    /// Places its apps on onboarding clusters too.
    #[serde(default)]
    pub onboarding: bool,
    #[serde(default)]
    pub priority: i64,
    #[serde(default)]
    pub values: Option<Value>,
    // Settings for the apps of each source type the policy places.
    /// Helm value files: paths in the chart's repo (or the values repo).
    #[serde(default)]
    pub value_files: Option<Vec<String>>,
    #[serde(default)]
    pub ignore_missing_value_files: Option<bool>,
    #[serde(default)]
    pub kustomize: Option<RawKustomize>,
    #[serde(default)]
    pub directory: Option<RawDirectory>,
    #[serde(default)]
    pub exclude: bool,
    /// Pins the revision of the pairs it places.
    #[serde(default)]
    pub revision: Option<String>,
    #[serde(default)]
    pub rollout: Option<RawRollout>,
    /// RFC 6902 operations on the rendered Applications.
    #[serde(default)]
    pub patches: Option<Value>,
    #[serde(default)]
    pub replicas: Option<RawReplicas>,
}

/// `rollout:`: a new revision, ring by ring.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRollout {
    pub by: String,
    pub order: Vec<LabelValue>,
    pub revision: String,
    #[serde(default)]
    pub promoted: Option<LabelValue>,
    #[serde(default)]
    pub downgrade: bool,
    /// What a promotion waits for: live health, for a while.
    #[serde(default)]
    pub gate: Option<RawGate>,
    /// Promotions made past the gate (`promote --force`): ring → reason.
    #[serde(default)]
    pub forced: BTreeMap<String, String>,
}

/// `rollout.gate`: the rings promoted so far must be healthy at the
/// rollout's revision for `soak` before the next one gets it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGate {
    pub soak: String,
    #[serde(default)]
    pub max_unhealthy: u64,
}

/// `replicas:`: a total divided over the clusters a policy places an app on.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReplicas {
    pub total: u64,
    pub path: String,
    #[serde(default)]
    pub weights: Option<Value>,
    #[serde(default)]
    pub min: u64,
    #[serde(default)]
    pub max: Option<u64>,
}

/// `fleetc.yaml`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSettings {
    #[serde(default)]
    pub argocd_namespace: Option<String>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub deploy_repo: Option<RawDeployRepo>,
    #[serde(default)]
    pub application_name: Option<String>,
    #[serde(default)]
    pub include: Option<Vec<String>>,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub templates: Option<String>,
    #[serde(default)]
    pub layout: RawLayout,
    #[serde(default)]
    pub removal_guard: RawGuard,
    /// Namespaces no team may claim, beyond Kubernetes' own and Argo CD's.
    #[serde(default)]
    pub reserved_namespaces: Vec<String>,
    /// Whether deleting an Application deletes its live resources (default
    /// true: the resources finalizer).
    #[serde(default)]
    pub cascade_delete: Option<bool>,
    /// argocd-cm holds the health check for `argoproj.io/Application` that
    /// the README gives, so `depends_on` waits for health.
    #[serde(default)]
    pub application_health_check: Option<bool>,
    /// The Argo CD release the output is for (`"3.5"`); any YAML scalar,
    /// so that a bare `3.5` gets a clear error rather than a type error.
    #[serde(default)]
    pub argocd_version: Option<Value>,
    /// Team → the files it owns (path globs); the rest is the platform's.
    #[serde(default)]
    pub owners: BTreeMap<String, Vec<String>>,
    /// Value paths (globs over `a.b.c`) that may hold a literal credential.
    #[serde(default)]
    pub allow_literal_secrets: Vec<String>,
    /// A content rule allowed at one place: `{rule, file, path}`.
    #[serde(default)]
    pub allow_secrets: Vec<RawAllowSecret>,
    /// Limits on the work an inventory may ask for.
    #[serde(default)]
    pub limits: crate::base::limits::RawLimits,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAllowSecret {
    pub rule: String,
    pub file: String,
    pub path: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDeployRepo {
    pub url: String,
    #[serde(default)]
    pub branch: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLayout {
    #[serde(default)]
    pub application: Option<String>,
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default)]
    pub hub_project: Option<String>,
    #[serde(default)]
    pub bootstrap: Option<String>,
    #[serde(default)]
    pub platform_project: Option<String>,
    #[serde(default)]
    pub platform_application: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    /// The folder a cluster's root Application syncs.
    #[serde(default)]
    pub root: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGuard {
    /// Largest share (0..=1) of the Applications in the tree before the
    /// compile that one compile may remove.
    #[serde(default)]
    pub max_share: Option<f64>,
    /// Fewer removals than this are always allowed (the guard refuses from
    /// this many on, when they are also over `max_share`).
    #[serde(default)]
    pub min_count: Option<usize>,
}
