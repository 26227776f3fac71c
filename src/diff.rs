//! Two rendered trees → a change set: which Applications (and projects and
//! root Applications) a compile adds, changes or removes, per cluster, what
//! changed in each, and unified diffs; written as text, Markdown or JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::yaml;

/// A file that differs between the trees.
#[derive(Clone, Debug)]
pub struct FileChange {
    pub path: String,
    pub old: Option<Vec<u8>>,
    pub new: Option<Vec<u8>>,
}

/// One changed manifest, classified.
#[derive(Clone, Debug, Serialize)]
pub struct Item {
    pub path: String,
    /// `added`, `changed` or `removed`.
    pub action: &'static str,
    /// The manifest's `kind` (`Application`, `AppProject`, ...), or `file`.
    pub kind: String,
    pub name: Option<String>,
    pub cluster: Option<String>,
    pub app: Option<String>,
    /// The policies that place it (from its annotations).
    pub policies: Vec<String>,
    /// For `changed`: which parts (placement: the policies that place it;
    /// values, revision, source, destination, sync, metadata, other).
    pub what: Vec<&'static str>,
    pub sha256_old: Option<String>,
    pub sha256_new: Option<String>,
    /// Unified diff.
    pub diff: String,
}

/// Everything a compile would change.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ChangeSet {
    pub items: Vec<Item>,
}

/// Counts of Applications.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
}

impl Counts {
    pub fn total(&self) -> usize {
        self.added + self.changed + self.removed
    }
}

impl ChangeSet {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn applications(&self) -> impl Iterator<Item = &Item> {
        self.items
            .iter()
            .filter(|i| i.kind == "Application" && i.app.is_some())
    }

    /// Application counts.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for i in self.applications() {
            match i.action {
                "added" => c.added += 1,
                "changed" => c.changed += 1,
                _ => c.removed += 1,
            }
        }
        c
    }

    /// Clusters with a changed Application.
    pub fn clusters(&self) -> usize {
        let set: std::collections::BTreeSet<&str> = self
            .applications()
            .filter_map(|i| i.cluster.as_deref())
            .collect();
        set.len()
    }

    /// `+3 ~1 -0 applications on 2 clusters`.
    pub fn summary(&self) -> String {
        let c = self.counts();
        let n = self.clusters();
        format!(
            "+{} ~{} -{} applications on {n} cluster{}",
            c.added,
            c.changed,
            c.removed,
            if n == 1 { "" } else { "s" }
        )
    }

    /// Items grouped by cluster (`None`: not a cluster's file).
    pub fn by_cluster(&self) -> BTreeMap<Option<&str>, Vec<&Item>> {
        let mut map: BTreeMap<Option<&str>, Vec<&Item>> = BTreeMap::new();
        for i in &self.items {
            map.entry(i.cluster.as_deref()).or_default().push(i);
        }
        map
    }
}

/// Classifies changed files. `changes` must hold only files that differ.
pub fn classify(changes: Vec<FileChange>) -> ChangeSet {
    let mut items: Vec<Item> = changes
        .into_iter()
        .map(|c| {
            let old = c.old.as_deref().and_then(parse);
            let new = c.new.as_deref().and_then(parse);
            let doc = new.as_ref().or(old.as_ref());
            let label = |k: &str| {
                doc.and_then(|d| d.pointer(&format!("/metadata/labels/{}", k.replace('/', "~1"))))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            let action = match (&c.old, &c.new) {
                (None, _) => "added",
                (_, None) => "removed",
                _ => "changed",
            };
            let what = match (&old, &new) {
                (Some(o), Some(n)) if action == "changed" => aspects(o, n),
                _ => Vec::new(),
            };
            let policies = doc
                .and_then(|d| d.pointer("/metadata/annotations/fleetc.io~1policies"))
                .and_then(Value::as_str)
                .map(|s| {
                    s.split(',')
                        .filter(|p| !p.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            Item {
                diff: unified(&c.path, c.old.as_deref(), c.new.as_deref()),
                kind: doc
                    .and_then(|d| d.get("kind"))
                    .and_then(Value::as_str)
                    .unwrap_or("file")
                    .to_string(),
                name: doc
                    .and_then(|d| d.pointer("/metadata/name"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                cluster: label("fleetc.io/cluster"),
                app: label("fleetc.io/app"),
                policies,
                what,
                sha256_old: c.old.as_deref().map(crate::output::sha256_hex),
                sha256_new: c.new.as_deref().map(crate::output::sha256_hex),
                action,
                path: c.path,
            }
        })
        .collect();
    items.sort_by(|a, b| (&a.cluster, &a.app, &a.path).cmp(&(&b.cluster, &b.app, &b.path)));
    ChangeSet { items }
}

fn parse(bytes: &[u8]) -> Option<Value> {
    let text = std::str::from_utf8(bytes).ok()?;
    yaml::parse_yaml(text)
        .ok()?
        .into_iter()
        .next()
        .map(|d| d.value)
}

/// Which parts of an Application differ.
fn aspects(old: &Value, new: &Value) -> Vec<&'static str> {
    let parts: [(&str, &[&str]); 7] = [
        ("placement", &["/metadata/annotations/fleetc.io~1policies"]),
        (
            "values",
            &["/spec/source/helm/valuesObject", "/spec/source/helm/values"],
        ),
        ("revision", &["/spec/source/targetRevision"]),
        (
            "source",
            &[
                "/spec/source/repoURL",
                "/spec/source/path",
                "/spec/source/chart",
                "/spec/source/helm/releaseName",
                "/spec/project",
            ],
        ),
        ("destination", &["/spec/destination"]),
        ("sync", &["/spec/syncPolicy"]),
        ("metadata", &["/metadata"]),
    ];
    let mut out: Vec<&'static str> = Vec::new();
    let mut rest_old = old.clone();
    let mut rest_new = new.clone();
    for (name, pointers) in parts {
        let mut differs = false;
        // Compared on what earlier parts left, so a placement change is
        // not also reported as a metadata change.
        for p in pointers {
            differs |= rest_old.pointer(p) != rest_new.pointer(p);
            remove_pointer(&mut rest_old, p);
            remove_pointer(&mut rest_new, p);
        }
        if differs {
            out.push(match name {
                "placement" => "placement",
                "values" => "values",
                "revision" => "revision",
                "source" => "source",
                "destination" => "destination",
                "sync" => "sync",
                _ => "metadata",
            });
        }
    }
    if rest_old != rest_new {
        out.push("other");
    }
    out
}

fn remove_pointer(v: &mut Value, pointer: &str) {
    let (parent, key) = match pointer.rsplit_once('/') {
        Some(x) => x,
        None => return,
    };
    if let Some(Value::Object(m)) = v.pointer_mut(parent) {
        m.remove(&key.replace("~1", "/").replace("~0", "~"));
    }
}

/// A unified diff of one file (3 lines of context).
pub fn unified(path: &str, old: Option<&[u8]>, new: Option<&[u8]>) -> String {
    let old = String::from_utf8_lossy(old.unwrap_or_default());
    let new = String::from_utf8_lossy(new.unwrap_or_default());
    let diff = similar::TextDiff::from_lines(old.as_ref(), new.as_ref());
    let (a, b) = (format!("a/{path}"), format!("b/{path}"));
    diff.unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string()
}

/// The human report. `color`: ANSI colours (only on a terminal).
pub fn text(cs: &ChangeSet, color: bool, with_diffs: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    if cs.is_empty() {
        out.push_str("no changes\n");
        return out;
    }
    for (cluster, items) in cs.by_cluster() {
        let _ = writeln!(
            out,
            "{}",
            paint("1", cluster.unwrap_or("(fleet-wide files)"))
        );
        for i in items {
            let (sign, code) = match i.action {
                "added" => ("+", "32"),
                "removed" => ("-", "31"),
                _ => ("~", "33"),
            };
            let subject = match (&i.app, i.kind.as_str()) {
                (Some(app), "Application") => app.clone(),
                _ => format!("{} {}", i.kind, i.name.as_deref().unwrap_or(&i.path)),
            };
            let mut line = format!("  {sign} {subject}");
            if !i.what.is_empty() {
                let _ = write!(line, " ({})", i.what.join(", "));
            }
            if !i.policies.is_empty() && i.action != "removed" {
                let _ = write!(line, "  [{}]", i.policies.join(", "));
            }
            let _ = writeln!(out, "{}", paint(code, &line));
        }
    }
    let _ = writeln!(out, "\n{}", cs.summary());
    if with_diffs {
        for i in &cs.items {
            out.push('\n');
            for l in i.diff.lines() {
                let painted = if l.starts_with("+++") || l.starts_with("---") {
                    paint("1", l)
                } else if l.starts_with('+') {
                    paint("32", l)
                } else if l.starts_with('-') {
                    paint("31", l)
                } else if l.starts_with("@@") {
                    paint("36", l)
                } else {
                    l.to_string()
                };
                let _ = writeln!(out, "{painted}");
            }
        }
    }
    out
}

/// A pull-request comment: a summary table, one collapsible section per
/// cluster with fenced `diff` blocks, cut at `cap` bytes with a marker.
pub fn markdown(cs: &ChangeSet, cap: usize, notes: &[String]) -> String {
    let mut out = String::from("### fleetc: what this change does to the fleet\n\n");
    for n in notes {
        let _ = writeln!(out, "> {n}\n");
    }
    if cs.is_empty() {
        out.push_str("No Application, AppProject or root Application changes.\n");
        return out;
    }
    let _ = writeln!(out, "**{}**\n", cs.summary());
    out.push_str(
        "| cluster | added | changed | removed | other manifests |\n|---|---:|---:|---:|---:|\n",
    );
    let groups = cs.by_cluster();
    for (cluster, items) in &groups {
        let is_app = |i: &&&Item| i.kind == "Application" && i.app.is_some();
        let count = |a: &str| {
            items
                .iter()
                .filter(is_app)
                .filter(|i| i.action == a)
                .count()
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cluster.unwrap_or("(fleet-wide files)"),
            count("added"),
            count("changed"),
            count("removed"),
            items.iter().filter(|i| !is_app(i)).count()
        );
    }
    out.push('\n');
    let marker = "\n\n**… truncated: the full diff is longer than a comment allows. Run `fleetc diff` locally, or see the job's `--format text` output.**\n";
    let budget = cap.saturating_sub(marker.len());
    for (cluster, items) in &groups {
        let mut section = format!(
            "<details><summary><b>{}</b>: {} change{}</summary>\n\n",
            cluster.unwrap_or("(fleet-wide files)"),
            items.len(),
            if items.len() == 1 { "" } else { "s" }
        );
        for i in items {
            let what = if i.what.is_empty() {
                String::new()
            } else {
                format!(" ({})", i.what.join(", "))
            };
            let _ = writeln!(
                section,
                "**{}** `{}` {}{}\n\n```diff\n{}```\n",
                i.action,
                i.app.as_deref().or(i.name.as_deref()).unwrap_or(&i.path),
                i.kind,
                what,
                i.diff.replace("```", "`\u{200b}``")
            );
        }
        section.push_str("</details>\n\n");
        if out.len() + section.len() > budget {
            out.push_str(marker);
            return out;
        }
        out.push_str(&section);
    }
    out
}

/// For programs: the summary, counts and every item with its diff.
pub fn json(cs: &ChangeSet, extra: Value) -> String {
    let mut v = serde_json::json!({
        "summary": cs.summary(),
        "applications": cs.counts(),
        "clusters": cs.clusters(),
        "changes": cs.items,
    });
    if let (Value::Object(m), Value::Object(x)) = (&mut v, extra) {
        m.extend(x);
    }
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}
