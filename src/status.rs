//! Desired vs live: every placed pair's Application as compiled, against
//! what Argo CD reports for it in an export ([`crate::live`]).
//!
//! A pair is
//! - DEPLOYED: its cluster's export has the Application with the spec,
//!   labels and annotations fleetc renders, Synced (compared against that
//!   spec) and Healthy;
//! - STALE: it is there, and something differs; each difference is a reason;
//! - NOT INSTALLED: the export of its cluster is complete (it holds the
//!   cluster's own root or platform Application) and lacks it;
//! - UNKNOWN: no export has its cluster, the export is filtered (it lacks the
//!   cluster's own Applications), or Argo CD last reconciled it longer ago
//!   than `max_age` (an export of a controller that stopped is old news).
//!
//! A live Application labelled as fleetc's that the inventory does not render
//! for its cluster is ORPHANED.
//!
//! Specs are compared as Argo CD's Go types print them: a field holding its
//! zero value (`false`, `0`, `""`, empty) is the same as one left out, since
//! `argocd app list -o json` drops them (`omitempty`). Helm values are
//! compared as the YAML documents they are, nulls included, so a re-indented
//! text is not a difference and a dropped `null` is.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::live::{Exports, LiveApp, APP_LABEL, CLUSTER_LABEL};
use crate::pipeline::Compiled;

/// The five verdicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub(crate) enum State {
    #[serde(rename = "DEPLOYED")]
    Deployed,
    #[serde(rename = "STALE")]
    Stale,
    #[serde(rename = "NOT INSTALLED")]
    NotInstalled,
    #[serde(rename = "UNKNOWN")]
    Unknown,
    #[serde(rename = "ORPHANED")]
    Orphaned,
}

impl State {
    pub(crate) const ALL: [State; 5] = [
        State::Deployed,
        State::Stale,
        State::NotInstalled,
        State::Unknown,
        State::Orphaned,
    ];

    pub(crate) fn word(self) -> &'static str {
        match self {
            State::Deployed => "DEPLOYED",
            State::Stale => "STALE",
            State::NotInstalled => "NOT INSTALLED",
            State::Unknown => "UNKNOWN",
            State::Orphaned => "ORPHANED",
        }
    }
}

/// One pair's (or orphan's) verdict and why.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Row {
    pub cluster: String,
    /// The app (an orphan's `fleetc.io/app` label; empty when it has none).
    pub app: String,
    /// The Application's name.
    pub application: String,
    pub status: State,
    /// `status.health.status`, when the export has the Application.
    pub health: Option<String>,
    /// `status.sync.status`, when the export has the Application.
    pub sync: Option<String>,
    /// The live `targetRevision`.
    pub revision: Option<String>,
    /// The commit (or chart version) Argo CD compared it at
    /// (`status.sync.revision`).
    pub live_commit: Option<String>,
    /// The `targetRevision` fleetc renders (none for an orphan).
    pub desired_revision: Option<String>,
    /// What differs, or why the status is not known; empty when DEPLOYED.
    pub reasons: Vec<String>,
    /// The export the verdict is read from.
    pub export: Option<String>,
    /// When Argo CD last compared it (`status.reconciledAt`).
    pub reconciled_at: Option<String>,
}

/// What the exports say about one cluster.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ClusterLive {
    pub cluster: String,
    /// The exports holding its Applications.
    pub exports: Vec<String>,
    /// Holds the cluster's own (root or platform) Application, so an
    /// Application it lacks is not installed.
    pub complete: bool,
    /// The newest `status.reconciledAt` among its Applications.
    pub reconciled_at: Option<String>,
    /// Seconds from that to `now`.
    pub age_seconds: Option<i64>,
}

/// The verdicts, with what they were judged from.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Status {
    pub now: String,
    pub max_age_seconds: i64,
    pub exports: Vec<String>,
    pub clusters: Vec<ClusterLive>,
    /// By cluster, then app, then Application name.
    pub applications: Vec<Row>,
    /// Managed-by-fleetc Applications no cluster could be told for.
    pub unassigned: Vec<String>,
}

impl Status {
    /// How many rows hold each state.
    pub(crate) fn counts(&self) -> BTreeMap<State, usize> {
        let mut n = BTreeMap::new();
        for r in &self.applications {
            *n.entry(r.status).or_insert(0) += 1;
        }
        n
    }

    /// The rows of one (cluster, app): the pair's, and orphans of the app.
    pub(crate) fn rows(&self, cluster: &str, app: &str) -> Vec<Row> {
        self.applications
            .iter()
            .filter(|r| r.cluster == cluster && r.app == app)
            .cloned()
            .collect()
    }
}

/// `--max-age`: `90s`, `30m`, `2h`, `1d`, or plain seconds.
pub(crate) fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let (n, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: i64 = n.parse().ok()?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(unit)
}

/// `2d 3h`, `14m`, `40s`: an age for people.
pub(crate) fn age(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..=119 => format!("{s}s"),
        _ if s < 7_200 && s % 3600 != 0 => format!("{}m", s / 60),
        _ if s < 172_800 => format!("{}h", s / 3600),
        _ if s % 86_400 < 3600 => format!("{}d", s / 86_400),
        _ => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// One desired Application: its cluster, app (none for the cluster's own)
/// and rendered file. A pair's file is parsed when the pair is judged, and
/// dropped after: a fleet's worth of parsed documents at once would cost a
/// gigabyte at 100k Applications.
struct Desired<'a> {
    cluster: usize,
    app: Option<usize>,
    name: String,
    path: &'a str,
}

/// Judges every placed pair of `c` (whose texts it needs: compile with
/// [`crate::render::Keep::Texts`]) against the exports, at time `now`
/// (Unix seconds). Two exports that both hold one Application are an
/// error: which one is right cannot be told.
pub(crate) fn judge(
    c: &Compiled,
    exports: &Exports,
    now: i64,
    max_age: i64,
) -> crate::error::Result<Status> {
    let inv = &c.inventory;
    let file_name = |i: usize| exports.files[i].display().to_string();
    let desired = desired(c);
    let cluster_index: HashMap<&str, usize> = inv
        .clusters
        .iter()
        .enumerate()
        .map(|(i, cl)| (cl.name.as_str(), i))
        .collect();

    // Which cluster each live Application is on: its label; else the one
    // cluster its file's labelled Applications are on (per-cluster mode: a
    // file is one Argo CD); else its destination's name (hub mode).
    let mut file_clusters: BTreeMap<usize, BTreeSet<&str>> = BTreeMap::new();
    for a in &exports.apps {
        if let Some(cl) = a.label(CLUSTER_LABEL) {
            file_clusters.entry(a.file).or_default().insert(cl);
        }
    }
    let mut live: BTreeMap<(String, String, String), &LiveApp> = BTreeMap::new();
    let mut unassigned = Vec::new();
    let mut problems = Vec::new();
    for a in &exports.apps {
        let cluster = a
            .label(CLUSTER_LABEL)
            .map(str::to_string)
            .or_else(|| {
                let on = file_clusters.get(&a.file)?;
                (on.len() == 1).then(|| on.iter().next().unwrap().to_string())
            })
            .or_else(|| {
                let n = a.destination_name.as_deref()?;
                cluster_index.contains_key(n).then(|| n.to_string())
            });
        let Some(cluster) = cluster else {
            if a.managed() {
                unassigned.push(format!("{} ({})", a.name, file_name(a.file)));
            }
            continue;
        };
        let key = (cluster, a.namespace.clone(), a.name.clone());
        if let Some(first) = live.get(&key) {
            problems.push(crate::live::Problem {
                file: exports.files[a.file].clone(),
                line: None,
                message: format!(
                    "Application `{}/{}` of cluster `{}` is also in {}: two exports of one Argo CD",
                    key.1,
                    key.2,
                    key.0,
                    file_name(first.file)
                ),
                help: "give each cluster's Argo CD one export (the newest), so that what it reports is not a guess".into(),
            });
            continue;
        }
        live.insert(key, a);
    }
    if !problems.is_empty() {
        return Err(crate::error::Error::Exports(problems));
    }

    // Per cluster: its exports, whether complete, and how fresh.
    let ns = inv.settings.argocd_namespace.as_str();
    let mut clusters: Vec<ClusterLive> = inv
        .clusters
        .iter()
        .map(|cl| ClusterLive {
            cluster: cl.name.clone(),
            exports: Vec::new(),
            complete: false,
            reconciled_at: None,
            age_seconds: None,
        })
        .collect();
    let mut newest: Vec<Option<i64>> = vec![None; inv.clusters.len()];
    let mut files_of: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); inv.clusters.len()];
    for ((cluster, _, _), a) in &live {
        if let Some(&ci) = cluster_index.get(cluster.as_str()) {
            files_of[ci].insert(a.file);
            newest[ci] = newest[ci].max(a.reconciled_at);
        }
    }
    for d in desired.iter().filter(|d| d.app.is_none()) {
        let key = (
            inv.clusters[d.cluster].name.clone(),
            ns.to_string(),
            d.name.clone(),
        );
        if live.contains_key(&key) {
            clusters[d.cluster].complete = true;
        }
    }
    for (ci, cl) in clusters.iter_mut().enumerate() {
        cl.exports = files_of[ci].iter().map(|&f| file_name(f)).collect();
        cl.reconciled_at = newest[ci].map(crate::deploylog::format_time);
        cl.age_seconds = newest[ci].map(|t| now - t);
    }

    let wanted: BTreeSet<(String, String, String)> = desired
        .iter()
        .map(|d| {
            (
                inv.clusters[d.cluster].name.clone(),
                ns.to_string(),
                d.name.clone(),
            )
        })
        .collect();
    // Each pair on its own, in parallel; the order is the desired one.
    let mut rows: Vec<Row> = desired.par_iter().filter_map(|d| {
        let cname = &inv.clusters[d.cluster].name;
        let key = (cname.clone(), ns.to_string(), d.name.clone());
        let ai = d.app?;
        let cl = &clusters[d.cluster];
        let mut row = Row {
            cluster: cname.clone(),
            app: inv.apps[ai].name.clone(),
            application: d.name.clone(),
            status: State::Unknown,
            health: None,
            sync: None,
            revision: None,
            live_commit: None,
            // What the render wrote (a template that writes another
            // revision is refused by the compile).
            desired_revision: c
                .matrix
                .get(d.cluster, ai)
                .map(|p| crate::delivery::revision(inv, p).value),
            reasons: Vec::new(),
            export: None,
            reconciled_at: None,
        };
        let exports_said = cl.exports.join(", ");
        if cl.exports.is_empty() {
            row.reasons.push(format!(
                "no export holds an Application of cluster `{cname}`"
            ));
        } else if let Some(why) = too_old(cl.age_seconds, max_age) {
            row.reasons.push(format!("{exports_said} {why}"));
        } else if let Some(a) = live.get(&key) {
            row.export = Some(file_name(a.file));
            row.health = a.health.clone();
            row.sync = a.sync.clone();
            row.revision = a.revision.clone();
            row.reconciled_at = a.reconciled_at.map(crate::deploylog::format_time);
            row.live_commit = a.sync_revision.clone();
            match a.reconciled_at.map(|t| now - t) {
                None => row
                    .reasons
                    .push("Argo CD has not reconciled it (no status.reconciledAt)".to_string()),
                Some(age) if age > max_age => row.reasons.push(format!(
                    "Argo CD last reconciled it {} ago, over --max-age {}",
                    self::age(age),
                    self::age(max_age)
                )),
                Some(_) => {
                    let Some(doc) = parse_application(c, d.path) else {
                        row.reasons.push(format!("{} does not read back as an Application", d.path));
                        return Some(row);
                    };
                    row.reasons = differences(&doc, a);
                    row.status = if row.reasons.is_empty() {
                        State::Deployed
                    } else {
                        State::Stale
                    };
                }
            }
        } else if cl.complete {
            row.status = State::NotInstalled;
            row.reasons.push(format!(
                "not in {exports_said}, which has the cluster's own Applications"
            ));
        } else {
            row.reasons.push(format!(
                "filtered export? {exports_said} lacks the cluster's own Applications (`fleetc-{cname}`…): export them all, with no `-l`"
            ));
        }
        Some(row)
    }).collect();

    // Orphans: fleetc's Applications that nothing renders for their cluster.
    for (key, a) in &live {
        if !a.managed() || wanted.contains(key) {
            continue;
        }
        let (cluster, _, name) = key;
        let app = a.label(APP_LABEL).unwrap_or("").to_string();
        let ci = cluster_index.get(cluster.as_str()).copied();
        let why = match ci {
            None => format!("cluster `{cluster}` is not in the inventory"),
            Some(_) if app.is_empty() => {
                "the inventory renders no Application of this name for the cluster".to_string()
            }
            Some(_) if inv.app(&app).is_none() => format!("app `{app}` is not in the inventory"),
            Some(_) => format!("no policy places `{app}` here"),
        };
        let age = ci
            .and_then(|ci| clusters[ci].age_seconds)
            .or_else(|| a.reconciled_at.map(|t| now - t));
        let (status, reasons) = match too_old(age, max_age) {
            Some(old) => (State::Unknown, vec![format!("{why}, but the export {old}")]),
            None => (
                State::Orphaned,
                vec![format!(
                    "{why}; the root Application prunes it at its next sync, unless pruning is off"
                )],
            ),
        };
        rows.push(Row {
            cluster: cluster.clone(),
            app,
            application: name.clone(),
            status,
            health: a.health.clone(),
            sync: a.sync.clone(),
            revision: a.revision.clone(),
            live_commit: a.sync_revision.clone(),
            desired_revision: None,
            reasons,
            export: Some(file_name(a.file)),
            reconciled_at: a.reconciled_at.map(crate::deploylog::format_time),
        });
    }
    rows.sort_by(|a, b| {
        (&a.cluster, &a.app, &a.application).cmp(&(&b.cluster, &b.app, &b.application))
    });
    unassigned.sort();
    Ok(Status {
        now: crate::deploylog::format_time(now),
        max_age_seconds: max_age,
        exports: (0..exports.files.len()).map(file_name).collect(),
        clusters,
        applications: rows,
        unassigned,
    })
}

/// Why an export of this age is too old to judge from, if it is.
fn too_old(age: Option<i64>, max_age: i64) -> Option<String> {
    match age {
        None => Some(
            "has no status.reconciledAt: Argo CD's controller has not reconciled its Applications"
                .into(),
        ),
        Some(a) if a > max_age => Some(format!(
            "is {} old (its newest reconcile), over --max-age {}: is its Argo CD running?",
            self::age(a),
            self::age(max_age)
        )),
        Some(_) => None,
    }
}

/// A rendered file's Application, parsed (none if it holds another kind).
fn parse_application(c: &Compiled, path: &str) -> Option<Value> {
    let text = c.rendered.files.get(path)?;
    let doc = crate::yaml::parse_yaml(text)
        .ok()?
        .into_iter()
        .next()?
        .value;
    (doc.get("kind").and_then(Value::as_str) == Some("Application")).then_some(doc)
}

/// Every Application the compile renders: each pair's, then each cluster's
/// own (root and platform).
fn desired(c: &Compiled) -> Vec<Desired<'_>> {
    let mut out: Vec<Desired> = c
        .rendered
        .apps
        .iter()
        .map(|ra| Desired {
            cluster: ra.cluster,
            app: Some(ra.app),
            name: ra.name.clone(),
            path: &ra.path,
        })
        .collect();
    let own = (c
        .rendered
        .roots
        .iter()
        .filter_map(|(ci, p)| Some(((*ci)?, p))))
    .chain(c.rendered.platform.iter().map(|(ci, p)| (*ci, p)));
    for (ci, path) in own {
        if let Some(doc) = parse_application(c, path) {
            let name = doc
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            out.push(Desired {
                cluster: ci,
                app: None,
                name,
                path,
            });
        }
    }
    out
}

/// What differs between the rendered Application and the live one, and
/// what Argo CD says is not right with it; empty when it is deployed.
fn differences(desired: &Value, live: &LiveApp) -> Vec<String> {
    let mut out = Vec::new();
    let null = Value::Null;
    let want_spec = desired.get("spec").unwrap_or(&null);

    // The revision first: it is what people look for.
    let live_spec = live.spec();
    let rev = |spec: &Value| spec.pointer("/source/targetRevision").cloned();
    let (want_rev, live_rev) = (rev(want_spec), rev(&live_spec));
    if want_rev != live_rev {
        out.push(format!(
            "revision {}, desired {}",
            shown(live_rev.as_ref()),
            shown(want_rev.as_ref())
        ));
    }
    // Helm values, as documents.
    let (want_values, want_rest) = take_values(want_spec);
    let (live_values, live_rest) = take_values(&live_spec);
    if !same_values(&want_values, &live_values) {
        let mut diffs = Vec::new();
        paths(
            &values_doc(live_values),
            &values_doc(want_values),
            &mut Vec::new(),
            &mut diffs,
        );
        out.push(format!("helm values differ: {}", listed(&diffs)));
    }
    // The rest of the spec, as Argo CD's types print it.
    let mut diffs = Vec::new();
    paths(
        &omit_empty(&without_revision(&live_rest)),
        &omit_empty(&without_revision(&want_rest)),
        &mut vec!["spec".to_string()],
        &mut diffs,
    );
    if !diffs.is_empty() {
        out.push(format!("spec differs: {}", listed(&diffs)));
    }
    // fleetc's labels and annotations, and the finalizer.
    let mut diffs = Vec::new();
    for (what, live_map) in [("labels", &live.labels), ("annotations", &live.annotations)] {
        let want = desired
            .pointer(&format!("/metadata/{what}"))
            .and_then(Value::as_object);
        for (k, v) in want.into_iter().flatten() {
            let have = live_map.get(k);
            if have != Some(v) {
                diffs.push(format!(
                    "metadata.{what}.{k} {}, desired {}",
                    shown(have),
                    shown(Some(v))
                ));
            }
        }
    }
    let want_fin = desired
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if want_fin != live.finalizers {
        diffs.push(format!(
            "metadata.finalizers {}, desired {}",
            Value::Array(live.finalizers.clone()),
            Value::Array(want_fin)
        ));
    }
    if !diffs.is_empty() {
        out.push(format!("{} (an older render?)", listed(&diffs)));
    }

    // Argo CD's verdicts.
    match live.sync.as_deref() {
        Some("Synced") => {
            // Synced, but with what? When the spec changed after the
            // comparison, the verdict is about the old spec.
            if let Some(compared) = &live.compared_to {
                let live_source = live_spec.get("source").unwrap_or(&null);
                let (a_values, a_rest) = take_values(compared);
                let (b_values, b_rest) = take_values(live_source);
                if !same_values(&a_values, &b_values) || omit_empty(&a_rest) != omit_empty(&b_rest)
                {
                    out.push(
                        "Synced to an earlier spec (status.sync.comparedTo): Argo CD has not compared the current one yet"
                            .to_string(),
                    );
                }
            }
        }
        Some(s) => {
            let mut why = format!("sync {s}");
            if let Some((phase, msg)) = &live.operation {
                if phase != "Succeeded" && phase != "Running" {
                    why.push_str(&format!("; last sync {phase}: {}", first_line(msg)));
                } else if phase == "Running" {
                    why.push_str("; a sync is running");
                }
            }
            out.push(why);
        }
        None => out.push("no sync status (status.sync.status)".to_string()),
    }
    for (t, msg) in &live.errors {
        out.push(format!("{t}: {}", first_line(msg)));
    }
    match live.health.as_deref() {
        Some("Healthy") => {}
        Some(h) => out.push(
            match live.health_message.as_deref().filter(|m| !m.is_empty()) {
                Some(m) => format!("health {h}: {}", first_line(m)),
                None => format!("health {h}"),
            },
        ),
        None => out.push("no health status (status.health.status)".to_string()),
    }
    out
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// A spec's Helm values (its `source.helm.values`, or a source's
/// `helm.values`) as they are written, and the spec without them.
fn take_values(spec: &Value) -> (Option<Value>, Value) {
    let mut rest = spec.clone();
    let text = ["/source/helm/values", "/helm/values"]
        .into_iter()
        .find_map(|p| {
            let parent = &p[..p.len() - "/values".len()];
            let helm = rest.pointer_mut(parent)?.as_object_mut()?;
            helm.remove("values")
        });
    (text, rest)
}

/// Whether two written Helm values are the same document: the same text
/// is (the common case, with no parsing), and otherwise they are compared
/// parsed.
fn same_values(a: &Option<Value>, b: &Option<Value>) -> bool {
    a == b || values_doc(a.clone()) == values_doc(b.clone())
}

/// A spec's Helm values as a document (an empty map when none), and the
/// spec without them.
#[cfg(test)]
fn split_values(spec: &Value) -> (Value, Value) {
    let (text, rest) = take_values(spec);
    (values_doc(text), rest)
}

/// Written Helm values as the document Helm reads.
fn values_doc(text: Option<Value>) -> Value {
    let values = match text {
        Some(Value::String(t)) => crate::yaml::parse_yaml(&t)
            .ok()
            .and_then(|d| d.into_iter().next())
            .map(|d| d.value)
            .unwrap_or(Value::Null),
        Some(other) => other,
        None => Value::Null,
    };
    // No values and an empty document are the same to Helm.
    if values.is_null() {
        Value::Object(Default::default())
    } else {
        values
    }
}

fn without_revision(spec: &Value) -> Value {
    let mut s = spec.clone();
    if let Some(src) = s.get_mut("source").and_then(Value::as_object_mut) {
        src.remove("targetRevision");
    }
    s
}

/// Go's `omitempty`, deeply: keys holding null, false, 0, "", {} or []
/// are dropped.
fn omit_empty(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter_map(|(k, v)| {
                    let v = omit_empty(v);
                    (!is_empty(&v)).then(|| (k.clone(), v))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(omit_empty).collect()),
        other => other.clone(),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
    }
}

/// The paths where `live` and `want` differ: `(path, live, desired)`.
fn paths(live: &Value, want: &Value, at: &mut Vec<String>, out: &mut Vec<String>) {
    match (live, want) {
        (Value::Object(l), Value::Object(w)) => {
            let keys: BTreeSet<&String> = l.keys().chain(w.keys()).collect();
            for k in keys {
                at.push(k.clone());
                match (l.get(k), w.get(k)) {
                    (Some(a), Some(b)) => paths(a, b, at, out),
                    (a, b) => out.push(format!(
                        "{} {}, desired {}",
                        at.join("."),
                        shown(a),
                        shown(b)
                    )),
                }
                at.pop();
            }
        }
        (l, w) if l != w => {
            let p = if at.is_empty() {
                "(all)".to_string()
            } else {
                at.join(".")
            };
            out.push(format!(
                "{p} {}, desired {}",
                shown(Some(l)),
                shown(Some(w))
            ));
        }
        _ => {}
    }
}

/// The first three differences, and how many more.
fn listed(diffs: &[String]) -> String {
    let mut s = diffs.iter().take(3).cloned().collect::<Vec<_>>().join("; ");
    if diffs.len() > 3 {
        s.push_str(&format!("; and {} more", diffs.len() - 3));
    }
    s
}

/// A value in a reason: `absent`, a string as it is, anything else as
/// JSON, cut at 60 characters.
fn shown(v: Option<&Value>) -> String {
    let s = match v {
        None => return "absent".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    };
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(59).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn durations_and_ages() {
        assert_eq!(parse_duration("90s"), Some(90));
        assert_eq!(parse_duration("30m"), Some(1800));
        assert_eq!(parse_duration("2h"), Some(7200));
        assert_eq!(parse_duration("1d"), Some(86_400));
        assert_eq!(parse_duration("45"), Some(45));
        assert_eq!(parse_duration("1w"), None);
        assert_eq!(parse_duration("h"), None);
        assert_eq!(age(40), "40s");
        assert_eq!(age(14 * 60), "14m");
        assert_eq!(age(5 * 3600), "5h");
        assert_eq!(age(2 * 86_400 + 3 * 3600), "2d 3h");
        assert_eq!(age(3600), "1h");
        assert_eq!(age(86_400 * 3), "3d");
    }

    #[test]
    fn go_omitempty_zero_values_are_absent_but_helm_nulls_are_not() {
        let want =
            json!({"syncPolicy": {"automated": {"prune": false, "selfHeal": true}}, "x": []});
        let live = json!({"syncPolicy": {"automated": {"selfHeal": true}}});
        assert_eq!(omit_empty(&want), omit_empty(&live));
        let with_null = json!({"source": {"helm": {"values": "a: null\nb: 1\n"}}});
        let without = json!({"source": {"helm": {"values": "b: 1\n"}}});
        assert_ne!(split_values(&with_null).0, split_values(&without).0);
        let reindented = json!({"source": {"helm": {"values": "a:   null\nb:   1"}}});
        assert_eq!(split_values(&with_null).0, split_values(&reindented).0);
    }

    #[test]
    fn differences_name_the_path_and_both_values() {
        let mut out = Vec::new();
        paths(
            &json!({"image": {"tag": "1.2"}, "replicaCount": 3}),
            &json!({"image": {"tag": "1.3"}, "replicaCount": 3, "extra": null}),
            &mut Vec::new(),
            &mut out,
        );
        assert_eq!(
            out,
            vec![
                "extra absent, desired null".to_string(),
                "image.tag 1.2, desired 1.3".to_string()
            ]
        );
    }
}
