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

use serde_json::Value;

use crate::error::{Error, Result, Seg};

/// fleetc's labels on what it renders.
pub(crate) const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub(crate) const CLUSTER_LABEL: &str = "fleetc.io/cluster";
pub(crate) const APP_LABEL: &str = "fleetc.io/app";

/// One Application as an export shows it.
#[derive(Clone, Debug)]
pub(crate) struct LiveApp {
    /// Index into [`Exports::files`].
    pub file: usize,
    pub name: String,
    pub namespace: String,
    pub labels: serde_json::Map<String, Value>,
    pub annotations: serde_json::Map<String, Value>,
    pub finalizers: Vec<Value>,
    pub spec: Value,
    /// `status.sync.status`: Synced, OutOfSync, Unknown.
    pub sync: Option<String>,
    /// `status.sync.comparedTo.source`: the source the sync status is about.
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

impl LiveApp {
    pub(crate) fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).and_then(Value::as_str)
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
        let meta = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
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
    for (i, f) in files.iter().enumerate() {
        let text = std::fs::read(f).map_err(|e| Error::io(f, e))?;
        match parse(i, f, &text) {
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
            annotations: map("/metadata/annotations"),
            finalizers: item
                .pointer("/metadata/finalizers")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            spec: item.get("spec").cloned().unwrap_or(Value::Null),
            sync: status_str("/status/sync/status"),
            compared_to: item.pointer("/status/sync/comparedTo/source").cloned(),
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
