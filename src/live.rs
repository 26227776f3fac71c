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

use crate::error::{Error, Result, Seg};

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
    pub labels: serde_json::Map<String, Value>,
    pub annotations: serde_json::Map<String, Value>,
    pub finalizers: Vec<Value>,
    /// The spec as compact JSON text (a fleet's specs as trees would take
    /// several times the memory); [`LiveApp::spec`] parses it.
    pub spec_json: String,
    /// `spec.source.targetRevision`.
    pub revision: Option<String>,
    /// `spec.destination.name` (hub mode's cluster).
    pub destination_name: Option<String>,
    /// `status.sync.status`: Synced, OutOfSync, Unknown.
    pub sync: Option<String>,
    /// `status.sync.comparedTo.source`: the source the sync status is
    /// about; none when absent or the same as `spec.source` (as it is once
    /// the controller has compared the current spec), so that a fleet's
    /// export does not hold every source twice.
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
    /// `status.conditions` whose type names an error: (type, message).
    pub errors: Vec<(String, String)>,
}

/// kubectl's copy of what was applied: the whole Application again, which
/// fleetc never renders nor compares, so it is not kept.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

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
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
    pub help: String,
}

/// Prints like a [`crate::Diagnostic`]: `error: file:line: message` and
/// the help indented under it; what came from the export is made
/// terminal-safe.
impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let safe = crate::error::terminal_safe;
        write!(f, "error: {}", safe(&self.file.display().to_string()))?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        write!(f, ": {}\n  help: {}", safe(&self.message), safe(&self.help))
    }
}

/// How to export right, said once for every kind of mistake.
const EXPORT_HOWTO: &str = "export with `argocd app list -o json > FILE` or `kubectl get applications.argoproj.io -A -o json > FILE`";
/// The same, after a sentence that already says "export".
const EXPORT_COMMANDS: &str =
    "`argocd app list -o json > FILE` or `kubectl get applications.argoproj.io -A -o json > FILE`";

/// Reads every export named: files as they are, folders as their `*.json`
/// files (recursively, in path order). Every problem of every file is
/// reported, and nothing is returned when there is one.
pub(crate) fn read(paths: &[PathBuf]) -> Result<Exports> {
    let mut files = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| {
            Error::Usage(format!(
                "--from {}: {}; give an export file, or a folder of them",
                p.display(),
                crate::error::os_words(&e)
            ))
        })?;
        if meta.is_dir() {
            let mut found: Vec<PathBuf> = walkdir::WalkDir::new(p)
                .follow_links(true)
                .into_iter()
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_file())
                .map(|e| e.into_path())
                .filter(|f| f.extension().is_some_and(|x| x == "json"))
                .collect();
            if found.is_empty() {
                return Err(Error::Usage(format!(
                    "--from {}: the folder holds no `*.json` export; {EXPORT_HOWTO}",
                    p.display()
                )));
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    files.dedup();
    let mut exports = Exports::default();
    let mut problems = Vec::new();
    // Files in parallel; their Applications in file order.
    let parsed: Vec<Result<Result<Vec<LiveApp>, Problem>>> = files
        .par_iter()
        .enumerate()
        .map(|(i, f)| {
            let text = std::fs::read(f).map_err(|e| Error::io(f, e))?;
            Ok(parse(i, f, &text))
        })
        .collect();
    for p in parsed {
        match p? {
            Ok(apps) => exports.apps.extend(apps),
            Err(p) => problems.push(p),
        }
    }
    exports.files = files;
    if problems.is_empty() {
        Ok(exports)
    } else {
        Err(Error::Exports(problems))
    }
}

/// The Applications of one export file.
fn parse(file: usize, path: &Path, bytes: &[u8]) -> Result<Vec<LiveApp>, Problem> {
    let problem = |line: Option<usize>, message: String, help: &str| Problem {
        file: path.to_path_buf(),
        line,
        message,
        help: help.to_string(),
    };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        problem(Some(line), "is not UTF-8 text".into(), EXPORT_HOWTO)
    })?;
    let trimmed = text.trim_start_matches('\u{feff}');
    if trimmed.trim().is_empty() {
        return Err(problem(
            None,
            "is empty, where an export is a JSON array or List (an Argo CD with no Applications exports `[]`)".into(),
            &format!("the export command failed or was cut off: {EXPORT_HOWTO}"),
        ));
    }
    match typed(file, trimmed) {
        Some(apps) => Ok(apps),
        None => slow(file, path, trimmed),
    }
}

/// The slow reading, when the typed one fails: the export as any JSON, to
/// say where and what is wrong (or, for an export with a field of an
/// unexpected type that fleetc does not use, to read it anyway).
fn slow(file: usize, path: &Path, trimmed: &str) -> Result<Vec<LiveApp>, Problem> {
    let problem = |line: Option<usize>, message: String, help: &str| Problem {
        file: path.to_path_buf(),
        line,
        message,
        help: help.to_string(),
    };
    let value: Value = serde_json::from_str(trimmed).map_err(|e| {
        let first = trimmed.trim_start();
        let help = if first.starts_with("NAME") {
            format!("this is the table `argocd app list` prints: {EXPORT_HOWTO}")
        } else if first.starts_with('-')
            || first.starts_with("apiVersion:")
            || first.starts_with("items:")
        {
            format!("this is YAML (`-o yaml`): {EXPORT_HOWTO}")
        } else if e.is_eof() {
            format!("the file ends in the middle: the export was cut short; {EXPORT_HOWTO}")
        } else {
            EXPORT_HOWTO.to_string()
        };
        let words = e.to_string();
        let words = words.split(" at line ").next().unwrap_or("").to_string();
        problem(Some(e.line()), format!("is not JSON: {words}"), &help)
    })?;
    let (items, base): (&[Value], Vec<Seg>) = match &value {
        Value::Array(a) => (a, Vec::new()),
        Value::Object(o) => match (o.get("kind").and_then(Value::as_str), o.get("items")) {
            (Some("Application"), _) => (std::slice::from_ref(&value), Vec::new()),
            (_, Some(Value::Array(a))) => (a, vec![Seg::key("items")]),
            _ => {
                return Err(problem(
                    Some(1),
                    "is a JSON object that is neither a List with `items` nor an Application"
                        .into(),
                    EXPORT_HOWTO,
                ))
            }
        },
        _ => {
            return Err(problem(
                Some(1),
                "is JSON but not an export: expected an array or a List of Applications".into(),
                EXPORT_HOWTO,
            ))
        }
    };
    let single = base.is_empty() && !value.is_array();
    let mut apps = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let mut at = base.clone();
        if !single {
            at.push(Seg::Index(i));
        }
        let line = |at: &[Seg]| crate::yaml::locate(trimmed, 0, at);
        let kind = item.get("kind").and_then(Value::as_str);
        // `argocd app list -o json` leaves out `kind` (the API's list
        // items carry none); kubectl always writes it.
        if kind.is_some_and(|k| k != "Application") || !item.is_object() {
            return Err(problem(
                line(&at),
                format!(
                    "item {} is {}, not an Argo CD Application",
                    i + 1,
                    kind.map(|k| format!("a {k}"))
                        .unwrap_or_else(|| "not an object".into())
                ),
                &format!("export Applications only: {EXPORT_COMMANDS}"),
            ));
        }
        let str_at = |keys: &[&str]| -> Option<String> {
            keys.iter()
                .try_fold(item, |v, k| v.get(k))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let Some(name) = str_at(&["metadata", "name"]).filter(|n| !n.is_empty()) else {
            return Err(problem(
                line(&at),
                format!("item {} has no metadata.name", i + 1),
                &format!("the export was edited or is not from Argo CD: {EXPORT_HOWTO}"),
            ));
        };
        let reconciled_at = match item.pointer("/status/reconciledAt") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(crate::deploylog::parse_time(s).ok_or_else(|| {
                let mut p = at.clone();
                p.extend([Seg::key("status"), Seg::key("reconciledAt")]);
                problem(
                    line(&p),
                    format!(
                        "Application `{name}`: status.reconciledAt `{s}` is not an RFC 3339 time"
                    ),
                    &format!("Argo CD writes times like `2026-11-30T11:58:00Z`; {EXPORT_HOWTO}"),
                )
            })?),
            Some(_) => {
                return Err(problem(
                    line(&at),
                    format!("Application `{name}`: status.reconciledAt is not a string"),
                    EXPORT_HOWTO,
                ))
            }
        };
        let map = |p: &str| {
            item.pointer(p)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let status_str = |p: &str| item.pointer(p).and_then(Value::as_str).map(str::to_string);
        let operation = status_str("/status/operationState/phase").map(|phase| {
            (
                phase,
                status_str("/status/operationState/message").unwrap_or_default(),
            )
        });
        let errors = item
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| {
                        let t = c.get("type")?.as_str()?;
                        t.ends_with("Error").then(|| {
                            (
                                t.to_string(),
                                c.get("message")
                                    .and_then(Value::as_str)
                                    .unwrap_or("")
                                    .to_string(),
                            )
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        apps.push(LiveApp {
            file,
            namespace: str_at(&["metadata", "namespace"]).unwrap_or_default(),
            name,
            labels: map("/metadata/labels"),
            annotations: {
                let mut a = map("/metadata/annotations");
                a.remove(LAST_APPLIED);
                a
            },
            finalizers: item
                .pointer("/metadata/finalizers")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            spec_json: compact(item.get("spec").unwrap_or(&Value::Null)),
            revision: spec_str(item.get("spec"), "/source/targetRevision"),
            destination_name: spec_str(item.get("spec"), "/destination/name"),
            sync: status_str("/status/sync/status"),
            compared_to: item
                .pointer("/status/sync/comparedTo/source")
                .filter(|c| item.pointer("/spec/source") != Some(*c))
                .cloned(),
            sync_revision: status_str("/status/sync/revision"),
            health: status_str("/status/health/status"),
            health_message: status_str("/status/health/message"),
            reconciled_at,
            operation,
            errors,
        });
    }
    Ok(apps)
}

/// A value as compact JSON.
fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A string in a spec, by JSON pointer.
fn spec_str(spec: Option<&Value>, pointer: &str) -> Option<String> {
    spec?.pointer(pointer)?.as_str().map(str::to_string)
}

/// The fast reading: straight into the fields fleetc compares, skipping
/// the rest (`status.resources`, `managedFields`, history), which is most
/// of an export's bytes. None when the file is not a well-formed export,
/// which the slow reading then explains.
fn typed(file: usize, text: &str) -> Option<Vec<LiveApp>> {
    // By its first character, so that neither shape is tried twice.
    let items = if text.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<raw::App>>(text).ok()?
    } else {
        let o: raw::Object = serde_json::from_str(text).ok()?;
        match (o.kind.as_deref(), o.items) {
            (Some("Application"), _) => vec![o.app],
            (_, Some(items)) => items,
            _ => return None,
        }
    };
    items.into_iter().map(|a| a.live(file)).collect()
}

/// The shapes of an export, as far as fleetc reads them.
mod raw {
    use serde::Deserialize;
    use serde_json::{Map, Value};

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
        #[serde(default)]
        metadata: Meta,
        #[serde(default)]
        spec: Value,
        #[serde(default)]
        status: Status,
    }

    #[derive(Default, Deserialize)]
    struct Meta {
        name: Option<String>,
        #[serde(default)]
        namespace: String,
        #[serde(default)]
        labels: Map<String, Value>,
        #[serde(default)]
        annotations: Map<String, Value>,
        #[serde(default)]
        finalizers: Vec<Value>,
    }

    #[derive(Default, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Status {
        #[serde(default)]
        sync: Sync,
        #[serde(default)]
        health: Health,
        reconciled_at: Option<String>,
        operation_state: Option<Operation>,
        #[serde(default)]
        conditions: Vec<Condition>,
    }

    #[derive(Default, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Sync {
        status: Option<String>,
        compared_to: Option<ComparedTo>,
        revision: Option<String>,
    }

    #[derive(Deserialize)]
    struct ComparedTo {
        source: Option<Value>,
    }

    #[derive(Default, Deserialize)]
    struct Health {
        status: Option<String>,
        message: Option<String>,
    }

    #[derive(Deserialize)]
    struct Operation {
        phase: Option<String>,
        #[serde(default)]
        message: String,
    }

    #[derive(Deserialize)]
    struct Condition {
        #[serde(rename = "type", default)]
        kind: String,
        #[serde(default)]
        message: String,
    }

    impl App {
        /// What fleetc keeps; None when the slow reading must say what is
        /// wrong (another kind, no name, a time that is not one).
        pub(super) fn live(self, file: usize) -> Option<super::LiveApp> {
            if self.kind.as_deref().is_some_and(|k| k != "Application") {
                return None;
            }
            let name = self.metadata.name.filter(|n| !n.is_empty())?;
            let reconciled_at = match &self.status.reconciled_at {
                Some(t) => Some(crate::deploylog::parse_time(t)?),
                None => None,
            };
            let st = self.status;
            let compared_to = st
                .sync
                .compared_to
                .and_then(|c| c.source)
                .filter(|c| self.spec.get("source") != Some(c));
            use super::{compact, spec_str};
            Some(super::LiveApp {
                file,
                name,
                namespace: self.metadata.namespace,
                labels: self.metadata.labels,
                annotations: {
                    let mut a = self.metadata.annotations;
                    a.remove(super::LAST_APPLIED);
                    a
                },
                finalizers: self.metadata.finalizers,
                spec_json: compact(&self.spec),
                revision: spec_str(Some(&self.spec), "/source/targetRevision"),
                destination_name: spec_str(Some(&self.spec), "/destination/name"),
                sync: st.sync.status,
                compared_to,
                sync_revision: st.sync.revision,
                health: st.health.status,
                health_message: st.health.message,
                reconciled_at,
                operation: st.operation_state.and_then(|o| Some((o.phase?, o.message))),
                errors: st
                    .conditions
                    .into_iter()
                    .filter(|c| c.kind.ends_with("Error"))
                    .map(|c| (c.kind, c.message))
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

    #[test]
    fn reads_both_export_shapes_and_a_single_application() {
        let app = r#"{"metadata":{"name":"a","namespace":"argocd","labels":{"fleetc.io/cluster":"c1"}},
            "spec":{"project":"p"},"status":{"sync":{"status":"Synced"},"health":{"status":"Healthy"},
            "reconciledAt":"2026-11-30T11:58:00Z"}}"#;
        let cli = one(&format!("[{app}]")).unwrap();
        assert_eq!(cli.len(), 1);
        assert_eq!(cli[0].label(CLUSTER_LABEL), Some("c1"));
        assert_eq!(cli[0].sync.as_deref(), Some("Synced"));
        assert_eq!(
            cli[0].reconciled_at,
            crate::deploylog::parse_time("2026-11-30T11:58:00Z")
        );
        let list = one(&format!(
            r#"{{"apiVersion":"v1","kind":"List","items":[{app},{app}]}}"#
        ))
        .unwrap();
        assert_eq!(list.len(), 2);
        let single = one(&app.replacen('{', r#"{"kind":"Application","#, 1)).unwrap();
        assert_eq!(single.len(), 1);
        assert_eq!(one("[]").unwrap().len(), 0);
    }

    #[test]
    fn the_typed_reading_reads_what_the_slow_one_does() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/status/example");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            panic!("no {}", dir.display());
        };
        let mut n = 0;
        for e in entries {
            let path = e.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let fast = typed(0, &text).unwrap_or_else(|| panic!("{}", path.display()));
            assert_eq!(
                Ok(fast.clone()),
                slow(0, &path, &text),
                "{}",
                path.display()
            );
            n += fast.len();
        }
        assert!(n > 20, "{n} Applications");
        // And a field of another type than Argo CD writes, which fleetc
        // does not read: the slow reading takes it.
        let odd = r#"[{"metadata": {"name": "a", "labels": {"x": "y"}}, "status": {"summary": 3, "health": {"status": 7}}}]"#;
        assert!(typed(0, odd).is_none());
        let apps = slow(0, Path::new("odd.json"), odd).unwrap();
        assert_eq!(apps[0].health, None);
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
        let e = one(
            "[{\"metadata\": {\"name\": \"a\"},\n \"status\": {\"reconciledAt\": \"yesterday\"}}]",
        )
        .unwrap_err();
        assert!(e.message.contains("yesterday"), "{e}");
        assert_eq!(e.line, Some(2));
        let e = one("{\"items\": 3}").unwrap_err();
        assert!(e.message.contains("neither"), "{e}");
    }
}
