//! What Argo CD reports: its Applications as exported to files, read
//! offline.
//!
//! Two exports are read, in the shapes their tools print: `argocd app list
//! -o json` (a JSON array of Applications) and `kubectl get
//! applications.argoproj.io -A -o json` (a `List` with `items`); a single
//! Application (`kubectl get application NAME -o json`) is read too. A
//! folder holds exports as `*.json` files. Anything else is an error that
//! names the file, and the line where the JSON parser stopped: a file that
//! cannot be read is never taken for "nothing is installed".
//!
//! From each Application only what `fleetc status` compares is kept: its
//! name and fleetc's labels, its spec, and the controller's verdicts
//! (`status.sync`, `status.health`, `status.reconciledAt`, the last
//! operation, error conditions).

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::Value;

use crate::base::error::{Diagnostic, Error, Result, Seg, Site};

/// fleetc's labels on what it renders.
pub(crate) const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub(crate) const CLUSTER_LABEL: &str = "fleetc.io/cluster";
pub(crate) const APP_LABEL: &str = "fleetc.io/app";

/// One Application as an export shows it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LiveApp {
    /// Index into [`Exports::files`].
    pub file: usize,
    pub name: String,
    pub namespace: String,
    pub labels: Meta,
    pub annotations: Meta,
    pub finalizers: Vec<Value>,
    /// `metadata.deletionTimestamp`: it is being deleted.
    pub deleting: Option<String>,
    /// The spec as compact JSON text (a fleet's specs as trees would take
    /// several times the memory); [`LiveApp::spec`] parses it.
    pub spec_json: String,
    /// `spec.source.targetRevision` (or the first of `spec.sources`).
    pub revision: Option<String>,
    /// `spec.destination.name` (hub mode's cluster).
    pub destination_name: Option<String>,
    /// `status.sync.status`: Synced, OutOfSync, Unknown.
    pub sync: Option<String>,
    /// `status.sync.comparedTo`: what the sync status is about (source or
    /// sources, destination, ignoreDifferences); none when absent or the
    /// same as the spec's (as it is once the controller has compared the
    /// current spec), so that a fleet's export does not hold it all twice.
    pub compared_to: Option<Value>,
    /// `status.sync.revision`: the commit (or chart version) it compared.
    pub sync_revision: Option<String>,
    /// `status.health.status`: Healthy, Progressing, Degraded, Suspended,
    /// Missing, Unknown.
    pub health: Option<String>,
    pub health_message: Option<String>,
    /// `status.reconciledAt`, Unix seconds.
    pub reconciled_at: Option<i64>,
    /// `status.operationState`: (phase, message).
    pub operation: Option<(String, String)>,
    /// `status.operationState.finishedAt`, Unix seconds: when the last
    /// sync ended (what a rollout's soak is measured from).
    pub finished_at: Option<i64>,
    /// `status.conditions` whose type names an error: (type, message).
    pub errors: Vec<(String, String)>,
    /// The Applications among `status.resources` (what a root Application
    /// manages): (name, whether Synced, so it exists as rendered).
    pub children: Vec<(String, bool)>,
}

/// Labels or annotations, sorted by key, held compactly: a map per
/// Application was 600 bytes of tree nodes over a fleet's export.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Meta(Box<[(String, Value)]>);

impl Meta {
    fn of(map: serde_json::Map<String, Value>) -> Meta {
        let mut entries: Vec<(String, Value)> = map.into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        Meta(entries.into_boxed_slice())
    }

    /// The value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .map(|i| &self.0[i].1)
    }
}

/// kubectl's copy of what was applied: the whole Application again, which
/// fleetc never renders nor compares, so it is not kept.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The keys of `status.sync.comparedTo`, each the spec's key of that name.
const COMPARED: [&str; 4] = ["source", "sources", "destination", "ignoreDifferences"];

impl LiveApp {
    pub(crate) fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).and_then(Value::as_str)
    }

    /// The spec, parsed.
    pub(crate) fn spec(&self) -> Value {
        serde_json::from_str(&self.spec_json).unwrap_or(Value::Null)
    }

    /// Rendered by fleetc, as its managed-by label says.
    pub(crate) fn managed(&self) -> bool {
        self.label(MANAGED_BY) == Some("fleetc")
    }
}

/// Every export read, and their Applications in file order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Exports {
    pub files: Vec<PathBuf>,
    pub apps: Vec<LiveApp>,
}

/// A problem with an export: the file, the line when known, what is wrong
/// and how to export it right.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The export file.
    pub file: PathBuf,
    /// The line (1-based), when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl Problem {
    fn new(file: &Path, line: Option<usize>, message: String, help: String) -> Problem {
        Problem {
            file: file.to_path_buf(),
            line,
            message,
            help,
        }
    }
}

/// At the live layer's edge, a problem of an export becomes one of the
/// failures every command reports alike.
impl From<Problem> for Diagnostic {
    fn from(p: Problem) -> Diagnostic {
        let d = Diagnostic::at(Site::file(p.file), p.message).help(p.help);
        match p.line {
            Some(line) => d.line(line),
            None => d,
        }
    }
}

/// Prints like a [`crate::Diagnostic`]: `error: file:line: message` and
/// the help indented under it; what came from the export is made
/// terminal-safe.
impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let safe = crate::base::error::terminal_safe;
        write!(f, "error: {}", safe(&self.file.display().to_string()))?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        write!(f, ": {}\n  help: {}", safe(&self.message), safe(&self.help))
    }
}

/// The export commands, said in every error's help.
const EXPORT_COMMANDS: &str =
    "`argocd app list -o json > FILE` or `kubectl get applications.argoproj.io -A -o json > FILE`";

fn howto() -> String {
    format!("export with {EXPORT_COMMANDS}")
}

/// Reads every export named: files as they are, folders as their `*.json`
/// files (recursively, in path order); a file named twice is read once.
/// Every problem of every file is reported, and nothing is returned when
/// there is one.
pub(crate) fn read(paths: &[PathBuf]) -> Result<Exports> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| {
            Error::Usage(format!(
                "--from {}: {}; give an export file, or a folder of them",
                p.display(),
                crate::base::error::os_words(&e)
            ))
        })?;
        if meta.is_dir() {
            let mut found = Vec::new();
            for e in walkdir::WalkDir::new(p).follow_links(true) {
                match e {
                    Ok(e) if e.file_type().is_file() => {
                        let f = e.into_path();
                        if f.extension().is_some_and(|x| x == "json") {
                            found.push(f);
                        }
                    }
                    Ok(_) => {}
                    // A file that cannot be read is not "nothing installed".
                    Err(e) => problems.push(Problem::new(
                        e.path().unwrap_or(p),
                        None,
                        format!("cannot be read: {e}"),
                        "remove it from the folder, or mend it (a dangling link?)".into(),
                    )),
                }
            }
            if found.is_empty() && problems.is_empty() {
                return Err(Error::Usage(format!(
                    "--from {}: the folder holds no `*.json` export; {}",
                    p.display(),
                    howto()
                )));
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    // One file named twice (a folder and a file in it, `./x` and `x`).
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())));
    let mut exports = Exports::default();
    // Files in parallel; their Applications in file order.
    let parsed: Vec<Result<Vec<LiveApp>, Problem>> = files
        .par_iter()
        .enumerate()
        .map(|(i, f)| match std::fs::read(f) {
            Ok(bytes) => parse(i, f, &bytes),
            Err(e) => Err(Problem::new(
                f,
                None,
                format!("cannot be read: {}", crate::base::error::os_words(&e)),
                howto(),
            )),
        })
        .collect();
    for p in parsed {
        match p {
            Ok(apps) => exports.apps.extend(apps),
            Err(p) => problems.push(p),
        }
    }
    exports.files = files;
    if problems.is_empty() {
        Ok(exports)
    } else {
        Err(Error::Exports(
            problems.into_iter().map(Diagnostic::from).collect(),
        ))
    }
}

/// The Applications of one export file.
fn parse(file: usize, path: &Path, bytes: &[u8]) -> Result<Vec<LiveApp>, Problem> {
    let problem = |line, message, help| Problem::new(path, line, message, help);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        problem(Some(line), "is not UTF-8 text".into(), howto())
    })?;
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Err(problem(
            None,
            "is empty, where an export is a JSON array or List (an Argo CD with no Applications exports `[]`)".into(),
            format!("the export command failed or was cut off: {}", howto()),
        ));
    }
    // One reading, straight into the fields fleetc compares (the rest,
    // `status.resources`' details, `managedFields`, history, which are most
    // of an export's bytes, are skipped). When it fails, the file is read
    // again as any JSON only to say what is wrong and where.
    let typed = typed(text);
    let items = match typed {
        Ok(items) => items,
        Err(e) => return Err(explain(path, text, e)),
    };
    let mut apps = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        match item.live(file) {
            Ok(app) => apps.push(app),
            Err(why) => {
                let (at, message, help) = why.words(i);
                let mut p = problem(None, message, help);
                p.line = crate::base::yaml::locate(text, 0, &item_path(text, i, &at));
                return Err(p);
            }
        }
    }
    Ok(apps)
}

/// The key path of item `i` (and `at` inside it) in the export's text.
fn item_path(text: &str, i: usize, at: &[Seg]) -> Vec<Seg> {
    let t = text.trim_start();
    let mut p = if t.starts_with('[') {
        vec![Seg::Index(i)]
    } else if t.contains("\"items\"") {
        vec![Seg::key("items"), Seg::Index(i)]
    } else {
        Vec::new()
    };
    p.extend(at.iter().cloned());
    p
}

/// An export's items, by its first character, so that neither shape is
/// tried twice: an array, a `List`, or one Application. The error is the
/// parser's, or none for an object of neither shape.
fn typed(text: &str) -> Result<Vec<raw::App>, Option<serde_json::Error>> {
    if text.trim_start().starts_with('[') {
        return serde_json::from_str::<Vec<raw::App>>(text).map_err(Some);
    }
    let o: raw::Object = serde_json::from_str(text)?;
    match (o.kind.as_deref(), o.items) {
        (Some("Application"), _) => Ok(vec![o.app]),
        (_, Some(items)) => Ok(items),
        _ => Err(None),
    }
}

/// Why an export that the typed reading refused is not one: read as any
/// JSON, the common mistakes get their own words; anything else gets the
/// parser's, with its line.
fn explain(path: &Path, text: &str, typed_error: Option<serde_json::Error>) -> Problem {
    let problem = |line, message, help| Problem::new(path, line, message, help);
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let first = text.trim_start();
            let help = if first.starts_with("NAME") {
                format!("this is the table `argocd app list` prints: {}", howto())
            } else if first.starts_with('-')
                || first.starts_with("apiVersion:")
                || first.starts_with("items:")
            {
                format!("this is YAML (`-o yaml`): {}", howto())
            } else if e.is_eof() {
                format!(
                    "the file ends in the middle: the export was cut short; {}",
                    howto()
                )
            } else {
                howto()
            };
            return problem(
                Some(e.line()),
                format!("is not JSON: {}", parser_words(&e)),
                help,
            );
        }
    };
    let shape = match &value {
        Value::Array(_) => None,
        Value::Object(o) => match (o.get("kind").and_then(Value::as_str), o.get("items")) {
            (Some("Application"), _) | (_, Some(Value::Array(_))) => None,
            _ => Some("is a JSON object that is neither a List with `items` nor an Application"),
        },
        _ => Some("is JSON but not an export: expected an array or a List of Applications"),
    };
    if let Some(message) = shape {
        return problem(Some(1), message.into(), howto());
    }
    // The parser's own words: an item of another shape than an Argo CD
    // Application (`status.health.status: 7`).
    problem(
        typed_error.as_ref().map(serde_json::Error::line),
        format!(
            "is not an export of Argo CD Applications: {}",
            typed_error.as_ref().map(parser_words).unwrap_or_default()
        ),
        format!("the export was edited or is not from Argo CD: {}", howto()),
    )
}

/// A JSON parser's message without its position (which the error names
/// as a line of its own).
fn parser_words(e: &serde_json::Error) -> String {
    let words = e.to_string();
    words.split(" at line ").next().unwrap_or("").to_string()
}

/// A value as compact JSON.
fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// The shapes of an export, as far as fleetc reads them. A field of
/// another type than Argo CD writes fails the reading (with the parser's
/// line); a `null` is as if the field were left out.
mod raw {
    use serde::Deserialize;
    use serde_json::{Map, Value};

    use super::{compact, LiveApp, COMPARED, LAST_APPLIED};
    use crate::base::error::Seg;

    /// A kubectl `List`, or one Application.
    #[derive(Deserialize)]
    pub(super) struct Object {
        pub kind: Option<String>,
        pub items: Option<Vec<App>>,
        #[serde(flatten)]
        pub app: App,
    }

    #[derive(Deserialize)]
    pub(super) struct App {
        kind: Option<String>,
        metadata: Option<Meta>,
        spec: Option<Value>,
        status: Option<Status>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Meta {
        name: Option<String>,
        namespace: Option<String>,
        labels: Option<Map<String, Value>>,
        annotations: Option<Map<String, Value>>,
        finalizers: Option<Vec<Value>>,
        deletion_timestamp: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Status {
        sync: Option<Sync>,
        health: Option<Health>,
        reconciled_at: Option<String>,
        operation_state: Option<Operation>,
        conditions: Option<Vec<Condition>>,
        resources: Option<Vec<Resource>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Sync {
        status: Option<String>,
        compared_to: Option<Map<String, Value>>,
        revision: Option<String>,
    }

    #[derive(Deserialize)]
    struct Health {
        status: Option<String>,
        message: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Operation {
        phase: Option<String>,
        message: Option<String>,
        finished_at: Option<String>,
    }

    #[derive(Deserialize)]
    struct Condition {
        #[serde(rename = "type")]
        kind: Option<String>,
        message: Option<String>,
    }

    #[derive(Deserialize)]
    struct Resource {
        group: Option<String>,
        kind: Option<String>,
        name: Option<String>,
        status: Option<String>,
    }

    /// Why an item is not an Application fleetc can judge.
    pub(super) enum Refused {
        Kind(String),
        NoName,
        NotAnApplication,
        /// (Application, the text, where: `reconciledAt` or `operationState.finishedAt`).
        Time(String, String, &'static str),
    }

    impl Refused {
        /// (where in the item, message, help) for item `i` (0-based).
        pub(super) fn words(self, i: usize) -> (Vec<Seg>, String, String) {
            let n = i + 1;
            match self {
                Refused::Kind(k) => (
                    vec![],
                    format!("item {n} is a {k}, not an Argo CD Application"),
                    format!("export Applications only: {}", super::EXPORT_COMMANDS),
                ),
                Refused::NoName => (
                    vec![],
                    format!("item {n} has no metadata.name"),
                    format!("the export was edited or is not from Argo CD: {}", super::howto()),
                ),
                Refused::NotAnApplication => (
                    vec![],
                    format!("item {n} has no spec.source, spec.sources or spec.destination: it is not an Argo CD Application"),
                    format!("export Applications only (not AppProjects): {}", super::EXPORT_COMMANDS),
                ),
                Refused::Time(name, t, field) => (
                    std::iter::once("status")
                        .chain(field.split('.'))
                        .map(Seg::key)
                        .collect(),
                    format!("Application `{name}`: status.{field} `{t}` is not an RFC 3339 time"),
                    format!("Argo CD writes times like `2026-11-30T11:58:00Z`; {}", super::howto()),
                ),
            }
        }
    }

    impl App {
        /// What fleetc keeps of it.
        pub(super) fn live(self, file: usize) -> Result<LiveApp, Refused> {
            if let Some(k) = self.kind.filter(|k| k != "Application") {
                return Err(Refused::Kind(k));
            }
            let meta = self.metadata.ok_or(Refused::NoName)?;
            let name = meta.name.filter(|n| !n.is_empty()).ok_or(Refused::NoName)?;
            let spec = self.spec.unwrap_or(Value::Null);
            if !["source", "sources", "destination"]
                .iter()
                .any(|k| spec.get(k).is_some_and(|v| !v.is_null()))
            {
                return Err(Refused::NotAnApplication);
            }
            let mut st = self.status.unwrap_or(Status {
                sync: None,
                health: None,
                reconciled_at: None,
                operation_state: None,
                conditions: None,
                resources: None,
            });
            let reconciled_at = match st.reconciled_at.take() {
                Some(t) => match crate::base::time::parse_time(&t) {
                    Some(secs) => Some(secs),
                    None => return Err(Refused::Time(name, t, "reconciledAt")),
                },
                None => None,
            };
            let finished_at = match st
                .operation_state
                .as_mut()
                .and_then(|o| o.finished_at.take())
            {
                Some(t) => match crate::base::time::parse_time(&t) {
                    Some(secs) => Some(secs),
                    None => return Err(Refused::Time(name, t, "operationState.finishedAt")),
                },
                None => None,
            };
            let sync = st.sync.take();
            let (sync_status, compared_to, sync_revision) = match sync {
                Some(s) => (s.status, s.compared_to, s.revision),
                None => (None, None, None),
            };
            // What the sync status is about (what it says, of the keys it
            // shares with the spec), unless that is the spec itself.
            let compared_to = compared_to
                .map(|mut c| {
                    c.retain(|k, v| COMPARED.contains(&k.as_str()) && !v.is_null());
                    // A multi-source Application's `comparedTo.source` is an
                    // empty struct Go prints all the same (`{"repoURL": ""}`,
                    // argo-cd `types.go`, `ComparedTo`): its `sources` are
                    // what was compared.
                    if spec.get("sources").is_some() {
                        c.remove("source");
                    }
                    c
                })
                .filter(|c| c.iter().any(|(k, v)| spec.get(k) != Some(v)));
            let str_at = |p: &str| spec.pointer(p).and_then(Value::as_str).map(str::to_string);
            let mut annotations = meta.annotations.unwrap_or_default();
            annotations.remove(LAST_APPLIED);
            let (health, health_message) = match st.health {
                Some(h) => (h.status, h.message),
                None => (None, None),
            };
            Ok(LiveApp {
                file,
                name,
                namespace: meta.namespace.unwrap_or_default(),
                labels: super::Meta::of(meta.labels.unwrap_or_default()),
                annotations: super::Meta::of(annotations),
                finalizers: meta.finalizers.unwrap_or_default(),
                deleting: meta.deletion_timestamp,
                revision: str_at("/source/targetRevision")
                    .or_else(|| str_at("/sources/0/targetRevision")),
                destination_name: str_at("/destination/name"),
                spec_json: {
                    let mut json = compact(&spec);
                    json.shrink_to_fit();
                    json
                },
                sync: sync_status,
                compared_to: compared_to.map(Value::Object),
                sync_revision,
                health,
                health_message,
                reconciled_at,
                finished_at,
                operation: st
                    .operation_state
                    .and_then(|o| Some((o.phase?, o.message.unwrap_or_default()))),
                errors: st
                    .conditions
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|c| {
                        let kind = c.kind?;
                        kind.ends_with("Error")
                            .then(|| (kind, c.message.unwrap_or_default()))
                    })
                    .collect(),
                children: st
                    .resources
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|r| {
                        r.kind.as_deref() == Some("Application")
                            && r.group.as_deref() == Some("argoproj.io")
                    })
                    .filter_map(|r| Some((r.name?, r.status.as_deref() == Some("Synced"))))
                    .collect(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Result<Vec<LiveApp>, Problem> {
        parse(0, Path::new("x.json"), text.as_bytes())
    }

    const APP: &str = r#"{"metadata":{"name":"a","namespace":"argocd","labels":{"fleetc.io/cluster":"c1"}},
        "spec":{"project":"p","destination":{"server":"https://kubernetes.default.svc"}},
        "status":{"sync":{"status":"Synced"},"health":{"status":"Healthy"},
        "reconciledAt":"2026-11-30T11:58:00Z"}}"#;

    #[test]
    fn reads_both_export_shapes_and_a_single_application() {
        let cli = one(&format!("[{APP}]")).unwrap();
        assert_eq!(cli.len(), 1);
        assert_eq!(cli[0].label(CLUSTER_LABEL), Some("c1"));
        assert_eq!(cli[0].sync.as_deref(), Some("Synced"));
        assert_eq!(
            cli[0].reconciled_at,
            crate::base::time::parse_time("2026-11-30T11:58:00Z")
        );
        let list = one(&format!(
            r#"{{"apiVersion":"v1","kind":"List","items":[{APP},{APP}]}}"#
        ))
        .unwrap();
        assert_eq!(list.len(), 2);
        let single = one(&APP.replacen('{', r#"{"kind":"Application","#, 1)).unwrap();
        assert_eq!(single.len(), 1);
        assert_eq!(one("[]").unwrap().len(), 0);
    }

    /// Every leaf of every fixture Application set to `null` reads as if it
    /// were left out, and set to a number where Argo CD writes a string (or
    /// the other way round), the export is refused with the line of it,
    /// never read with the field quietly dropped.
    #[test]
    fn nulls_are_absent_and_odd_types_are_refused_with_their_line() {
        fn leaves(v: &Value, at: &mut Vec<String>, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    for (k, x) in m {
                        at.push(k.replace('~', "~0").replace('/', "~1"));
                        leaves(x, at, out);
                        at.pop();
                    }
                }
                Value::Array(a) => {
                    for (i, x) in a.iter().enumerate() {
                        at.push(i.to_string());
                        leaves(x, at, out);
                        at.pop();
                    }
                }
                _ => out.push(format!("/{}", at.join("/"))),
            }
        }
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/status/example/west-wa-perth-02.json");
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        let base = one(&text).unwrap();
        let pos = base.iter().position(|a| a.name == "pos-api-per02").unwrap();
        let item = &doc["items"][pos];
        let mut all = Vec::new();
        leaves(item, &mut Vec::new(), &mut all);
        let kept = [
            "/metadata/name",
            "/kind",
            "/status/reconciledAt",
            "/spec/destination/server",
        ];
        let (mut nulls, mut odd) = (0, 0);
        for leaf in all.iter().filter(|l| !kept.contains(&l.as_str())) {
            for replacement in [Value::Null, Value::from(7)] {
                let mut d = doc.clone();
                let at = format!("/items/{pos}{leaf}");
                let was = d.pointer(&at).unwrap().clone();
                if replacement.is_number() && !was.is_string() {
                    continue;
                }
                *d.pointer_mut(&at).unwrap() = replacement.clone();
                let text = serde_json::to_string_pretty(&d).unwrap();
                let read_as_string = [
                    "/metadata/namespace",
                    "/metadata/deletionTimestamp",
                    "/status/sync/status",
                    "/status/sync/revision",
                    "/status/health/status",
                    "/status/operationState/phase",
                    "/status/operationState/message",
                ]
                .contains(&leaf.as_str());
                match one(&text) {
                    Ok(apps) => {
                        assert!(
                            replacement.is_null() || !read_as_string,
                            "{leaf} = 7 was read"
                        );
                        assert_eq!(apps.len(), base.len());
                        nulls += usize::from(replacement.is_null());
                    }
                    Err(e) => {
                        // Strings whose value fleetc reads must be strings.
                        assert!(e.line.is_some(), "{leaf}: {e}");
                        assert!(
                            e.message.contains("not an export of Argo CD Applications")
                                || e.message.contains("no metadata.name")
                                || e.message.contains("no spec.source"),
                            "{leaf}: {e}"
                        );
                        odd += 1;
                    }
                }
            }
        }
        assert!(
            nulls > 50 && odd > 5,
            "{nulls} nulls read, {odd} odd types refused"
        );
        // A null comparedTo.source is one left out: the sync is about the spec.
        let mut d = doc.clone();
        d["items"][pos]["status"]["sync"]["comparedTo"]["source"] = Value::Null;
        let apps = one(&serde_json::to_string(&d).unwrap()).unwrap();
        assert_eq!(apps[pos].compared_to, base[pos].compared_to);
    }

    #[test]
    fn a_bad_export_names_its_line_and_how_to_export() {
        let e = one("[\n  {\"metadata\": {\"name\": \"a\"}},\n  {\"metadata\": {\"na").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.help.contains("cut short"), "{e}");
        let e = one("NAME  CLUSTER  NAMESPACE\nfoo   in-cluster  x\n").unwrap_err();
        assert!(e.help.contains("table"), "{e}");
        let e = one("- metadata:\n    name: a\n").unwrap_err();
        assert!(e.help.contains("YAML"), "{e}");
        let e = one("").unwrap_err();
        assert!(e.message.contains("empty"), "{e}");
        let e = one("[\n {\"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"}}\n]").unwrap_err();
        assert!(e.message.contains("a Pod"), "{e}");
        assert_eq!(e.line, Some(2));
        let e = one("{\"items\": [\n {\"metadata\": {}}\n]}").unwrap_err();
        assert!(e.message.contains("no metadata.name"), "{e}");
        assert_eq!(e.line, Some(2));
        let bad_time = APP.replace("2026-11-30T11:58:00Z", "yesterday");
        let e = one(&format!("[\n{bad_time}]")).unwrap_err();
        assert!(e.message.contains("yesterday"), "{e}");
        assert_eq!(e.line, Some(5));
        let e = one("{\"items\": 3}").unwrap_err();
        assert!(e.message.contains("neither"), "{e}");
        // An AppProject list (`argocd proj list -o json`) is not Applications.
        let e = one("[{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"sourceRepos\": [\"*\"]}}]")
            .unwrap_err();
        assert!(e.message.contains("not an Argo CD Application"), "{e}");
        // A field of another type than Argo CD writes: the parser's line.
        let odd = APP.replace(
            r#""health":{"status":"Healthy"}"#,
            r#""health":{"status":7}"#,
        );
        let e = one(&format!("[{odd}]")).unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("invalid type: integer `7`"), "{e}");
    }
}
