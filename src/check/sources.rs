//! Source types and their settings.
//!
//! Argo CD reads the tool block of an Application's source *as* its type:
//! a non-nil `helm`, `kustomize` or `directory` is an explicit type, and two
//! are an error (`ApplicationSource.ExplicitType` in argo-cd's
//! `pkg/apis/application/v1alpha1/types.go`). Without one, its repo server
//! looks at the folder (`Chart.yaml` → Helm, `kustomization.yaml` →
//! Kustomize, else a directory: `discovery.AppType`). So an app's type is
//! decided here, once, from the app's own document: `source_type:`, or
//! the settings it writes (a `chart` or Helm values make a Helm chart,
//! `kustomize:` a Kustomize app, `directory:` a folder of manifests), or
//! none, and then Argo CD detects it. Settings of one type on an app of
//! another are errors. Policies and clusters may write settings of every
//! type; each reaches the apps of its own type only.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::{Index, Tools};
use crate::base::error::{Diagnostic, Seg, Site};
use crate::base::suggest;
use crate::load::raw::{RawApp, RawKustomize, RawTools};
use crate::rules::k8s;

/// What Argo CD builds an app's source with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceType {
    /// A Helm chart.
    Helm,
    /// A Kustomize app.
    Kustomize,
    /// A folder of plain manifests.
    Directory,
}

impl SourceType {
    /// Every type, in this order.
    pub const ALL: [SourceType; 3] = [
        SourceType::Helm,
        SourceType::Kustomize,
        SourceType::Directory,
    ];

    /// The word in `source_type:` and the tool block's key.
    pub fn name(self) -> &'static str {
        match self {
            SourceType::Helm => "helm",
            SourceType::Kustomize => "kustomize",
            SourceType::Directory => "directory",
        }
    }

    /// What a user calls an app of this type.
    pub fn what(self) -> &'static str {
        match self {
            SourceType::Helm => "a Helm chart",
            SourceType::Kustomize => "a Kustomize app",
            SourceType::Directory => "a folder of plain manifests",
        }
    }

    /// Where a document writes its settings of this type: Helm's are
    /// top-level fields (`value_files`), the others under their block's key.
    pub fn site_in(self, doc: &Site) -> Site {
        match self {
            SourceType::Helm => doc.clone(),
            _ => doc.key(self.name()),
        }
    }

    fn parse(s: &str) -> Option<SourceType> {
        Self::ALL.into_iter().find(|t| t.name() == s)
    }
}

/// Helm value files in another git repo: the Application gets a second
/// source with `ref: values`, and its value files are `$values/...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValuesRepo {
    /// The git repo that holds the value files.
    pub url: String,
    /// The revision the value files are read at; `HEAD` unless set.
    pub revision: String,
}

/// A setting the app writes, the type it belongs to, and its key.
struct Written {
    ty: SourceType,
    key: &'static str,
}

/// The settings an app writes in its own document: the first says its
/// type unless `source_type` does.
fn written(raw: &RawApp) -> Vec<Written> {
    let mut out = Vec::new();
    let mut add = |on: bool, ty, key| {
        if on {
            out.push(Written { ty, key });
        }
    };
    use SourceType::*;
    add(raw.chart.is_some(), Helm, "chart");
    add(
        raw.values.as_ref().is_some_and(|v| !v.is_null()),
        Helm,
        "values",
    );
    add(!raw.value_overrides.is_empty(), Helm, "valueOverrides");
    add(raw.value_files.is_some(), Helm, "value_files");
    add(raw.values_repo.is_some(), Helm, "values_repo");
    add(raw.release_name.is_some(), Helm, "release_name");
    add(
        raw.ignore_missing_value_files.is_some(),
        Helm,
        "ignore_missing_value_files",
    );
    add(raw.kustomize.is_some(), Kustomize, "kustomize");
    add(
        !raw.kustomize_overrides.is_empty(),
        Kustomize,
        "kustomizeOverrides",
    );
    add(raw.directory.is_some(), Directory, "directory");
    out
}

/// The app's source type: as it says, or as its settings say, or `None`
/// (Argo CD detects it). Every setting of another type is an error.
pub(super) fn source_type(
    site: &Site,
    raw: &RawApp,
    diags: &mut Vec<Diagnostic>,
) -> Option<(SourceType, &'static str)> {
    let settings = written(raw);
    let declared = match &raw.source_type {
        None => None,
        Some(s) => match SourceType::parse(s) {
            Some(t) => Some(t),
            None => {
                let names: Vec<&str> = SourceType::ALL.iter().map(|t| t.name()).collect();
                diags.push(
                    Diagnostic::at(
                        site.key("source_type"),
                        format!("`source_type` `{s}` is not a source type"),
                    )
                    .help(suggest::hint(s, &names).unwrap_or_else(|| {
                        "write `helm`, `kustomize` or `directory`, or leave it out".to_string()
                    })),
                );
                return settings.first().map(|w| (w.ty, w.key));
            }
        },
    };
    let (ty, key) = match (declared, settings.first()) {
        (Some(t), _) => (t, "source_type"),
        (None, Some(w)) => (w.ty, w.key),
        (None, None) => return None,
    };
    let why = match declared {
        Some(t) => format!("`source_type: {}`", t.name()),
        None => format!("its `{key}`"),
    };
    for w in settings.iter().filter(|w| w.ty != ty) {
        if declared.is_none() {
            diags.push(
                Diagnostic::at(
                    site.key(w.key),
                    format!(
                        "app `{}` sets `{}`, a setting of {}, and `{key}`, a setting of {}: Argo CD reads exactly one tool block per source",
                        raw.name,
                        w.key,
                        w.ty.what(),
                        ty.what(),
                    ),
                )
                .help("keep the settings of one type, and say which with `source_type: helm`, `kustomize` or `directory`"),
            );
            continue;
        }
        let fix = match (w.ty, ty) {
            (SourceType::Helm, _) if w.key == "chart" => "a `chart` is a Helm chart: remove `chart` and set `repo_path`, or make the app `source_type: helm`".to_string(),
            (SourceType::Helm, SourceType::Kustomize) => format!(
                "remove `{}`; a Kustomize app takes per-cluster settings in `kustomize:` and `kustomizeOverrides:` (images, commonLabels, patches, replicas)",
                w.key
            ),
            (SourceType::Helm, _) => format!(
                "remove `{}`: a folder of plain manifests has no Helm values; make the app `source_type: helm` if the folder is a chart",
                w.key
            ),
            (SourceType::Kustomize, _) => format!(
                "remove `{}`, or make the app `source_type: kustomize` if its folder has a kustomization.yaml",
                w.key
            ),
            (SourceType::Directory, _) => format!(
                "remove `{}`, or make the app `source_type: directory` if its folder holds plain manifests",
                w.key
            ),
        };
        diags.push(
            Diagnostic::at(
                site.key(w.key),
                format!(
                    "app `{}` sets `{}`, a setting of {}, but it is {} ({why}): Argo CD reads exactly one tool block per source",
                    raw.name,
                    w.key,
                    w.ty.what(),
                    ty.what(),
                ),
            )
            .help(fix),
        );
    }
    Some((ty, key))
}

/// `values_repo:`: a URL and a revision (default `HEAD`).
pub(super) fn values_repo(
    site: &Site,
    raw: &RawApp,
    diags: &mut Vec<Diagnostic>,
) -> Option<ValuesRepo> {
    let r = raw.values_repo.as_ref()?;
    let at = site.key("values_repo");
    if r.url.trim().is_empty() || r.url.chars().any(char::is_whitespace) {
        diags.push(
            Diagnostic::at(at.key("url"), "`values_repo.url` is not a repository URL")
                .help("write the git repository that holds the value files, e.g. `https://git.example.com/team/values.git`"),
        );
    }
    if r.url.starts_with("oci://") {
        diags.push(
            Diagnostic::at(at.key("url"), "`values_repo.url` is an OCI registry; Argo CD reads `$values` files from a git repository")
                .help("keep the value files in a git repository"),
        );
    }
    for (key, text) in [("url", Some(&r.url)), ("revision", r.revision.as_ref())] {
        if text.is_some_and(|t| t.contains("${")) {
            diags.push(
                Diagnostic::at(at.key(key), format!("`values_repo.{key}` holds a `${{ }}` expression"))
                    .help("write it out: one values repo serves every cluster; name each cluster's file in `value_files` (`stores/${ cluster.name }.yaml`)"),
            );
        }
    }
    if raw.value_files.as_ref().is_none_or(|f| f.is_empty()) {
        diags.push(
            Diagnostic::at(at.clone(), "`values_repo` is set, but the app has no `value_files` to read from it")
                .help("list the files with `value_files:` (paths in the values repo), or remove `values_repo`"),
        );
    }
    let revision = r.revision.clone().unwrap_or_else(|| "HEAD".to_string());
    if revision.trim().is_empty() {
        diags.push(
            Diagnostic::at(at.key("revision"), "`values_repo.revision` is empty")
                .help("write a branch, tag or commit, or leave it out for `HEAD`"),
        );
    }
    Some(ValuesRepo {
        url: r.url.clone(),
        revision,
    })
}

/// One layer's settings of each type, checked, as the JSON objects the
/// layers merge (Helm's keyed as written: `value_files`,
/// `ignore_missing_value_files`; Kustomize's and the directory's with
/// Argo CD's names, as written, but `kustomize.replicas` as a map from
/// workload to count, so that layers merge it by workload).
pub(super) fn tools(raw: &RawTools, site: &Site, diags: &mut Vec<Diagnostic>) -> Tools {
    let mut helm = serde_json::Map::new();
    if let Some(files) = raw.value_files {
        helm.insert("value_files".into(), Value::from(files.clone()));
    }
    if let Some(b) = raw.ignore_missing_value_files {
        helm.insert("ignore_missing_value_files".into(), Value::from(b));
    }
    let tools = Tools {
        helm: (!helm.is_empty()).then_some(Value::Object(helm)),
        kustomize: raw
            .kustomize
            .and_then(|k| kustomize(k, &site.key("kustomize"), diags)),
        directory: raw.directory.and_then(object),
    };
    report(&tools, site, diags);
    tools
}

/// What a layer's settings have wrong, before `${ }` is expanded, each at
/// its place in the document (`site`).
fn report(tools: &Tools, site: &Site, diags: &mut Vec<Diagnostic>) {
    for (ty, v) in tools.iter() {
        report_block(ty, v, &ty.site_in(site), diags);
    }
}

/// What one block of settings (at `at`) has wrong, before `${ }`.
fn report_block(ty: SourceType, v: &Value, at: &Site, diags: &mut Vec<Diagnostic>) {
    for p in problems(ty, v, false) {
        let mut at = at.clone();
        at.path
            .extend(crate::base::error::pointer_path(v, &p.pointer));
        diags.push(Diagnostic::at(at, p.message).help(p.help));
    }
}

/// Per-cluster Kustomize settings (`kustomizeOverrides:`), by cluster.
pub(super) fn kustomize_overrides(
    raw: &RawApp,
    site: &Site,
    index: &Index,
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<usize, Tools> {
    super::delivery::by_cluster(
        &raw.kustomize_overrides,
        "kustomizeOverrides",
        site,
        index,
        diags,
        |k, at, diags| {
            let tools = Tools {
                kustomize: kustomize(k, at, diags),
                ..Tools::default()
            };
            // An override is a block itself: `at` is the cluster's entry.
            if let Some(v) = &tools.kustomize {
                report_block(SourceType::Kustomize, v, at, diags);
            }
            Some(tools)
        },
    )
}

/// A serialisable setting as a JSON object; `None` when it sets nothing.
fn object<T: Serialize>(t: &T) -> Option<Value> {
    serde_json::to_value(t)
        .ok()
        .filter(|v| v.as_object().is_some_and(|m| !m.is_empty()))
}

/// `kustomize:` as a layer: its replicas by workload, each listed once.
fn kustomize(k: &RawKustomize, at: &Site, diags: &mut Vec<Diagnostic>) -> Option<Value> {
    let mut v = object(k)?;
    if let Some(list) = &k.replicas {
        let mut by_name = serde_json::Map::new();
        for (i, r) in list.iter().enumerate() {
            if by_name
                .insert(r.name.clone(), Value::from(r.count))
                .is_some()
            {
                diags.push(
                    Diagnostic::at(
                        at.key("replicas").at(Seg::Index(i)).key("name"),
                        format!(
                            "workload `{}` is listed twice in `kustomize.replicas`",
                            r.name
                        ),
                    )
                    .help("list each workload once"),
                );
            }
        }
        v["replicas"] = Value::Object(by_name);
    }
    Some(v)
}

/// What is wrong with a setting: where (a JSON pointer under its block),
/// what, and the fix.
pub(crate) struct Problem {
    pub pointer: String,
    pub message: String,
    pub help: String,
}

/// What Argo CD, Helm or kustomize would refuse in one type's settings (a
/// layer, or the merged settings of a pair). Before `${ }` is expanded
/// (`expanded` false) a string holding one is left to be checked once it
/// is: what it gives is checked like anything written.
pub(crate) fn problems(ty: SourceType, settings: &Value, expanded: bool) -> Vec<Problem> {
    let mut out = Vec::new();
    let later = |s: &str| !expanded && s.contains("${");
    let mut push = |pointer: String, message: String, help: &str| {
        out.push(Problem {
            pointer,
            message,
            help: help.to_string(),
        })
    };
    match ty {
        SourceType::Helm => helm_problems(settings, &later, &mut push),
        SourceType::Kustomize => kustomize_problems(settings, &later, &mut push),
        SourceType::Directory => directory_problems(settings, &mut push),
    }
    out
}

/// Whether a string holds a `${ }` left to expand (checked once it is).
type Later<'a> = dyn Fn(&str) -> bool + 'a;
/// Reports a problem: (JSON pointer, message, help).
type Push<'a> = dyn FnMut(String, String, &str) + 'a;

/// The `key` entries of a mapping setting.
fn entries<'a>(settings: &'a Value, key: &str) -> impl Iterator<Item = (&'a String, &'a Value)> {
    settings
        .get(key)
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
}

/// A setting that is a string or a list of strings, each with its pointer.
fn strings(settings: &Value, key: &str) -> Vec<(String, String)> {
    match settings.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| Some((format!("/{key}/{i}"), v.as_str()?.to_string())))
            .collect(),
        Some(Value::String(s)) => vec![(format!("/{key}"), s.clone())],
        _ => Vec::new(),
    }
}

/// A key as one segment of a JSON pointer.
fn esc(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

fn helm_problems(settings: &Value, later: &Later<'_>, push: &mut Push<'_>) {
    for (at, f) in strings(settings, "value_files") {
        if later(&f) {
            continue;
        }
        let why = if f.trim().is_empty() {
            Some("it is empty")
        } else if f.contains("://") {
            Some("it is a URL; fleetc renders paths in a repository (keep remote files in a `values_repo`)")
        } else if f.starts_with('$') {
            Some(
                "`$name/` references are fleetc's to write: set `values_repo` and list paths in it",
            )
        } else if f.contains('\\') || f.chars().any(char::is_control) {
            Some("it must be a `/`-separated path")
        } else {
            None
        };
        if let Some(why) = why {
            push(
                at,
                format!("value file `{f}` is not a path in a repository: {why}"),
                "write a path relative to the chart's folder, e.g. `values-${ cluster.name }.yaml`",
            );
        }
    }
}

fn kustomize_problems(settings: &Value, later: &Later<'_>, push: &mut Push<'_>) {
    for key in ["namePrefix", "nameSuffix"] {
        for (at, a) in strings(settings, key) {
            let ok = a
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
            if !ok && !later(&a) {
                push(
                    at,
                    format!("`kustomize.{key}` `{a}` would make names Kubernetes refuses"),
                    "use lower case letters, digits, `-` and `.`, e.g. `east-`",
                );
            }
        }
    }
    for (at, image) in strings(settings, "images") {
        let bad = image.is_empty() || image.chars().any(|c| c.is_whitespace() || c.is_control());
        if bad && !later(&image) {
            push(
                at,
                format!("`{image}` is not an image override"),
                "write `name=newName:tag`, `name:tag` or `name@sha256:…`, as `kustomize edit set image` takes them",
            );
        }
    }
    for (key, v) in entries(settings, "commonLabels") {
        let at = format!("/commonLabels/{}", esc(key));
        if let Err(e) = k8s::label_key(key) {
            push(at.clone(), format!("invalid label key `{key}`: {e}"), "a label key is an optional DNS prefix and `/`, then a name of at most 63 letters, digits, `-`, `_`, `.`");
        }
        let v = v.as_str().unwrap_or_default();
        if !later(v) {
            if let Err(e) = k8s::label_value(v) {
                push(at, format!("invalid value `{v}` for label `{key}`: {e}"), "label values are at most 63 characters of letters, digits, `-`, `_` and `.`, beginning and ending with a letter or digit (or empty)");
            }
        }
    }
    for (key, _) in entries(settings, "commonAnnotations") {
        if let Err(e) = k8s::label_key(key) {
            push(format!("/commonAnnotations/{}", esc(key)), format!("invalid annotation key `{key}`: {e}"), "an annotation key is an optional DNS prefix and `/`, then a name of at most 63 letters, digits, `-`, `_`, `.`");
        }
    }
    for (at, ns) in strings(settings, "namespace") {
        if !later(&ns) {
            if let Err(e) = k8s::dns1123_label(&ns) {
                push(at, format!("`kustomize.namespace` `{ns}` is not a valid Kubernetes name (DNS-1123 label): {e}"), "name one of the team's namespaces");
            }
        }
    }
    for (name, _) in entries(settings, "replicas") {
        if let Err(e) = k8s::dns1123_subdomain(name) {
            push(
                format!("/replicas/{}", esc(name)),
                format!("`{name}` is not the name of a workload: {e}"),
                "name a Deployment, StatefulSet or ReplicaSet of the app, as its manifest does",
            );
        }
    }
    let patches = settings.get("patches").and_then(Value::as_array);
    for (i, p) in patches.into_iter().flatten().enumerate() {
        let at = format!("/patches/{i}");
        let (patch, path) = (
            p.get("patch").and_then(Value::as_str),
            p.get("path").and_then(Value::as_str),
        );
        match (patch, path) {
            (Some(_), Some(_)) | (None, None) => push(
                at,
                "a Kustomize patch has either `patch` (the patch itself) or `path` (a file in the app's repo)".to_string(),
                "e.g. `{target: {kind: Job, name: migrate}, patch: \"- {op: replace, path: /spec/parallelism, value: 3}\"}`",
            ),
            (Some(text), None) if !later(text) => {
                let parsed = crate::base::yaml::parse_yaml(text).ok().and_then(|d| d.into_iter().next());
                if !parsed.is_some_and(|d| d.value.is_object() || d.value.is_array()) {
                    push(
                        format!("{at}/patch"),
                        "the patch is not a YAML patch: kustomize would refuse it".to_string(),
                        "write a strategic-merge patch (a partial manifest) or a JSON 6902 patch (a list of operations)",
                    );
                }
            }
            (None, Some(path)) if !later(path) => {
                if let Some(why) = repo_path(path) {
                    push(format!("{at}/path"), format!("patch `path` `{path}` is not a path in the app's repo: {why}"), "write it relative to the app's folder, e.g. `patches/replicas.yaml`");
                }
            }
            _ => {}
        }
    }
    for (at, c) in strings(settings, "components") {
        if later(&c) {
            continue;
        }
        if let Some(why) = repo_path(&c) {
            push(
                at,
                format!("component `{c}` is not a path in the app's repo: {why}"),
                "write it relative to the app's folder, e.g. `../../components/tls`",
            );
        }
    }
}

fn directory_problems(settings: &Value, push: &mut Push<'_>) {
    for key in ["include", "exclude"] {
        for (at, g) in strings(settings, key) {
            if g.trim().is_empty() {
                push(at, format!("`directory.{key}` is empty"), "write a glob of file names, e.g. `*.yaml` or `{a.yaml,b.yaml}`, or leave it out");
            }
        }
    }
}

/// Why `p` is not a path in the app's repo, relative to its folder.
fn repo_path(p: &str) -> Option<&'static str> {
    if p.trim().is_empty() {
        Some("it is empty")
    } else if p.starts_with('/') || p.contains(':') || p.contains('\\') {
        Some("it must be relative and `/`-separated, in the repo (no URL: a remote base would bypass the team's `source_repos`)")
    } else if p.chars().any(char::is_control) {
        Some("it has a control character")
    } else {
        None
    }
}

/// Argo CD's `repoURL` for a Helm chart in an OCI registry: the registry
/// and path without `oci://`, with `chart` naming the chart (docs
/// `user-guide/helm.md`, "Helm OCI"; the form every version since 2.x
/// reads). Anything else is as written.
pub(crate) fn argocd_repo_url<'a>(repo_url: &'a str, chart: Option<&str>) -> &'a str {
    match (repo_url.strip_prefix("oci://"), chart) {
        (Some(registry), Some(_)) => registry,
        _ => repo_url,
    }
}
