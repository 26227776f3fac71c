//! Desired vs live: every placed pair's Application as compiled, against
//! what Argo CD reports for it in an export ([`crate::live::exports`]).
//!
//! A pair is
//! - DEPLOYED: its cluster's export has the Application with the spec,
//!   labels and annotations fleetc renders, Synced (compared against that
//!   spec) and Healthy;
//! - STALE: it is there, and something differs; each difference is a reason;
//! - NOT INSTALLED: the export of its cluster is whole (it holds the
//!   cluster's own root and platform Applications, and every Application
//!   the root lists as Synced) and lacks it;
//! - UNKNOWN: no export has its cluster, the export is filtered (not
//!   whole), Argo CD last reconciled it longer ago than `max_age` (an
//!   export of a controller that stopped is old news), or Argo CD could not
//!   tell (sync or health Unknown).
//!
//! A live Application labelled as fleetc's that the inventory does not render
//! for its cluster is ORPHANED.
//!
//! Specs are compared as Argo CD's Go types print them ([`go_print`]): a
//! field holding its zero value (`false`, `0`, `""`, empty) is the same as
//! one left out, since `argocd app list -o json` drops them (`omitempty`),
//! save where the zero is a setting. Helm values are
//! compared as the YAML documents they are, nulls included, so a re-indented
//! text is not a difference and a dropped `null` is.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

pub(crate) use crate::base::time::{age, parse_duration};
use crate::live::exports::{Exports, LiveApp, APP_LABEL, CLUSTER_LABEL};
use crate::pipeline::Compiled;

/// The five verdicts; JSON writes each as its [`State::word`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum State {
    Deployed,
    Stale,
    NotInstalled,
    Unknown,
    Orphaned,
}

impl Serialize for State {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.word())
    }
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

    /// The letter of a cell of the HTML report (its class is `s` and it).
    pub(crate) fn letter(self) -> char {
        self.word().as_bytes()[0] as char
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
    /// The phase of its last operation (`status.operationState.phase`:
    /// Running, Succeeded, Failed, Error, Terminating).
    pub operation: Option<String>,
    /// When its last sync ended (`status.operationState.finishedAt`).
    pub sync_finished_at: Option<String>,
    /// The same, in Unix seconds.
    #[serde(skip)]
    pub finished_at: Option<i64>,
}

/// What the exports say about one cluster.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ClusterLive {
    pub cluster: String,
    /// The exports holding its Applications.
    pub exports: Vec<String>,
    /// Whole: it holds the cluster's own Applications and every one its
    /// root lists as Synced, so an Application it lacks is not installed.
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
) -> crate::base::error::Result<Status> {
    let inv = &c.inventory;
    let file_name = |i: usize| exports.files[i].display().to_string();
    let (desired, clusterless) = desired(c);
    let cluster_index: HashMap<&str, usize> = inv
        .clusters
        .iter()
        .enumerate()
        .map(|(i, cl)| (cl.name.as_str(), i))
        .collect();
    // Each cluster's own Applications (root, platform), by name.
    let own: HashMap<&str, usize> = desired
        .iter()
        .filter(|d| d.app.is_none())
        .map(|d| (d.name.as_str(), d.cluster))
        .collect();

    let (live, mut unassigned) = assign(inv, exports, &own, &clusterless, &cluster_index)?;
    let found =
        |cluster: &str, name: &str| live.contains_key(&(cluster.to_string(), name.to_string()));

    // Per cluster: its exports, how fresh, and whether whole: it holds the
    // cluster's own Applications, and every Application the root lists as
    // Synced (so existing); else it was filtered, and what it lacks is not
    // known to be missing.
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
    for ((cluster, _), apps) in &live {
        if let Some(&ci) = cluster_index.get(cluster.as_str()) {
            for a in apps {
                files_of[ci].insert(a.file);
                newest[ci] = newest[ci].max(a.reconciled_at);
            }
        }
    }
    let mut lacking: Vec<Vec<String>> = vec![Vec::new(); inv.clusters.len()];
    for d in desired.iter().filter(|d| d.app.is_none()) {
        let cname = &inv.clusters[d.cluster].name;
        match live.get(&(cname.clone(), d.name.clone())) {
            None => lacking[d.cluster].push(format!("`{}`", d.name)),
            Some(apps) => {
                for (child, synced) in apps.iter().flat_map(|a| &a.children) {
                    if *synced && !found(cname, child) {
                        lacking[d.cluster].push(format!("`{child}` (its root lists it as Synced)"));
                    }
                }
            }
        }
    }
    for (ci, cl) in clusters.iter_mut().enumerate() {
        cl.exports = files_of[ci].iter().map(|&f| file_name(f)).collect();
        cl.reconciled_at = newest[ci].map(crate::base::time::format_time);
        cl.age_seconds = newest[ci].map(|t| now - t);
        cl.complete = lacking[ci].is_empty();
    }

    let wanted: BTreeSet<(String, String)> = desired
        .iter()
        .map(|d| (inv.clusters[d.cluster].name.clone(), d.name.clone()))
        .collect();
    let judge = Judge {
        c,
        live: &live,
        clusters: &clusters,
        lacking: &lacking,
        cluster_index: &cluster_index,
        file_name: &file_name,
        now,
        max_age,
    };
    // Each pair on its own, in parallel; the order is the desired one.
    let mut rows: Vec<Row> = desired
        .par_iter()
        .filter_map(|d| Some(judge.pair(d, d.app?)))
        .collect();

    // Orphans: fleetc's Applications that nothing renders for their cluster.
    for (key, apps) in &live {
        if wanted.contains(key) {
            continue;
        }
        for a in apps.iter().filter(|a| a.managed()) {
            rows.push(judge.orphan(key, a));
        }
    }
    rows.sort_by(|a, b| {
        (&a.cluster, &a.app, &a.application).cmp(&(&b.cluster, &b.app, &b.application))
    });
    unassigned.sort();
    Ok(Status {
        now: crate::base::time::format_time(now),
        max_age_seconds: max_age,
        exports: (0..exports.files.len()).map(file_name).collect(),
        clusters,
        applications: rows,
        unassigned,
    })
}

/// Live Applications by (cluster, name), and those of no known cluster.
type Assigned<'a> = (BTreeMap<(String, String), Vec<&'a LiveApp>>, Vec<String>);

/// Which cluster each live Application of `exports` is on; `own` holds
/// each cluster's own Applications (root, platform) by name, and
/// `clusterless` the Applications of no one cluster (hub mode's).
fn assign<'a>(
    inv: &crate::check::Inventory,
    exports: &'a Exports,
    own: &HashMap<&str, usize>,
    clusterless: &HashSet<String>,
    cluster_index: &HashMap<&str, usize>,
) -> crate::base::error::Result<Assigned<'a>> {
    let file_name = |i: usize| exports.files[i].display().to_string();
    // Which cluster each live Application is on. Per-cluster mode: an
    // export is one cluster's Argo CD, which deploys to its own cluster, so
    // a file holding one cluster's own Applications is that cluster's,
    // whatever an Application's label says. Otherwise (a filtered export,
    // a hub): the Application's `fleetc.io/cluster` label; else the one
    // cluster its file's labelled Applications are on; else its
    // destination's name (hub mode).
    let per_cluster = inv.settings.mode == crate::check::Mode::PerCluster;
    let mut homes: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    let mut labelled: BTreeMap<usize, BTreeSet<&str>> = BTreeMap::new();
    for a in &exports.apps {
        if let Some(cl) = a.label(CLUSTER_LABEL) {
            labelled.entry(a.file).or_default().insert(cl);
        }
        if let Some(&ci) = own.get(a.name.as_str()) {
            if a.managed()
                && a.label(CLUSTER_LABEL)
                    .is_none_or(|l| l == inv.clusters[ci].name)
            {
                homes.entry(a.file).or_default().insert(ci);
            }
        }
    }
    let home = |file: usize| {
        let h = homes.get(&file)?;
        (per_cluster && h.len() == 1).then(|| inv.clusters[*h.iter().next().unwrap()].name.clone())
    };
    let mut live: BTreeMap<(String, String), Vec<&LiveApp>> = BTreeMap::new();
    let mut unassigned = Vec::new();
    let mut problems = Vec::new();
    for a in &exports.apps {
        let cluster = home(a.file)
            .or_else(|| a.label(CLUSTER_LABEL).map(str::to_string))
            .or_else(|| {
                let on = labelled.get(&a.file)?;
                (on.len() == 1).then(|| on.iter().next().unwrap().to_string())
            })
            .or_else(|| {
                let n = a.destination_name.as_deref()?;
                cluster_index.contains_key(n).then(|| n.to_string())
            });
        let Some(cluster) = cluster else {
            if a.managed() && !clusterless.contains(&a.name) {
                unassigned.push(format!("{} ({})", a.name, file_name(a.file)));
            }
            continue;
        };
        let seen = live.entry((cluster.clone(), a.name.clone())).or_default();
        if let Some(first) = seen.iter().find(|f| f.file != a.file) {
            problems.push(crate::live::exports::Problem {
                file: exports.files[a.file].clone(),
                line: None,
                message: format!(
                    "Application `{}` of cluster `{cluster}` is also in {}: two exports of one Argo CD",
                    a.name,
                    file_name(first.file)
                ),
                help: "give each cluster's Argo CD one export (the newest), so that what it reports is not a guess".into(),
            });
            continue;
        }
        seen.push(a);
    }
    if !problems.is_empty() {
        return Err(crate::base::error::Error::Exports(
            problems.into_iter().map(Into::into).collect(),
        ));
    }
    Ok((live, unassigned))
}

/// What every verdict is judged from: the compile, the live
/// Applications by (cluster, name), what each cluster's exports say, and
/// the clock.
struct Judge<'a> {
    c: &'a Compiled,
    live: &'a BTreeMap<(String, String), Vec<&'a LiveApp>>,
    clusters: &'a [ClusterLive],
    /// By cluster: what its export lacks to be whole.
    lacking: &'a [Vec<String>],
    cluster_index: &'a HashMap<&'a str, usize>,
    file_name: &'a (dyn Fn(usize) -> String + Sync),
    now: i64,
    max_age: i64,
}

impl Judge<'_> {
    /// A row of what the export says of `a`; its verdict is the caller's.
    fn row(&self, cluster: &str, app: String, application: &str, a: Option<&LiveApp>) -> Row {
        Row {
            cluster: cluster.to_string(),
            app,
            application: application.to_string(),
            status: State::Unknown,
            health: a.and_then(|a| a.health.clone()),
            sync: a.and_then(|a| a.sync.clone()),
            revision: a.and_then(|a| a.revision.clone()),
            live_commit: a.and_then(|a| a.sync_revision.clone()),
            desired_revision: None,
            reasons: Vec::new(),
            export: a.map(|a| (self.file_name)(a.file)),
            reconciled_at: a.and_then(|a| a.reconciled_at.map(crate::base::time::format_time)),
            operation: a.and_then(|a| a.operation.as_ref().map(|(phase, _)| phase.clone())),
            sync_finished_at: a.and_then(|a| a.finished_at.map(crate::base::time::format_time)),
            finished_at: a.and_then(|a| a.finished_at),
        }
    }

    /// One placed pair's verdict.
    fn pair(&self, d: &Desired, ai: usize) -> Row {
        let (c, max_age) = (self.c, self.max_age);
        let inv = &c.inventory;
        let cname = &inv.clusters[d.cluster].name;
        let cl = &self.clusters[d.cluster];
        let lacking = &self.lacking[d.cluster];
        let fresh = !cl.exports.is_empty() && too_old(cl.age_seconds, max_age).is_none();
        let found = self
            .live
            .get(&(cname.clone(), d.name.clone()))
            .filter(|_| fresh);
        // Of one name in several namespaces (apps in any namespace), the
        // one in the namespace fleetc renders (the rendered file is parsed
        // only when there is one to judge).
        let doc = found.and_then(|_| parse_application(c, d.path));
        let ns = doc
            .as_ref()
            .and_then(|doc| doc.pointer("/metadata/namespace"))
            .and_then(Value::as_str);
        let a = found.map(|apps| {
            *apps
                .iter()
                .find(|a| Some(a.namespace.as_str()) == ns)
                .unwrap_or(&apps[0])
        });
        let mut row = self.row(cname, inv.apps[ai].name.clone(), &d.name, a);
        // What the render wrote (a template that writes another revision
        // is refused by the compile).
        row.desired_revision = c
            .matrix
            .get(d.cluster, ai)
            .map(|p| crate::place::delivery::revision(inv, p).value);
        let exports_said = || cl.exports.join(", ");
        if cl.exports.is_empty() {
            row.reasons.push(format!(
                "no export holds an Application of cluster `{cname}`"
            ));
            return row;
        }
        if let Some(why) = too_old(cl.age_seconds, max_age) {
            row.reasons.push(format!("{} {why}", exports_said()));
            return row;
        }
        let Some(a) = a else {
            if lacking.is_empty() {
                row.status = State::NotInstalled;
                row.reasons.push(format!(
                    "not in {}, which has the cluster's own Applications",
                    exports_said()
                ));
            } else {
                row.reasons.push(format!(
                    "filtered export? {} lacks {}: export every Application, with no `-l`, `-p` or `-r`",
                    exports_said(),
                    if lacking.len() > 3 {
                        format!("{}, and {} more", lacking[..3].join(", "), lacking.len() - 3)
                    } else {
                        lacking.join(", ")
                    }
                ));
            }
            return row;
        };
        let Some(doc) = doc else {
            row.reasons
                .push(format!("{} does not read back as an Application", d.path));
            return row;
        };
        match a.reconciled_at.map(|t| self.now - t) {
            None => row
                .reasons
                .push("Argo CD has not reconciled it (no status.reconciledAt)".to_string()),
            Some(age) if age > max_age => row.reasons.push(format!(
                "Argo CD last reconciled it {} ago, over --max-age {}",
                self::age(age),
                self::age(max_age)
            )),
            Some(_) => {
                let v = verdict(&doc, a);
                row.status = v.state();
                row.reasons = v.reasons();
            }
        }
        row
    }

    /// A live Application labelled as fleetc's that the inventory does not
    /// render for its cluster.
    fn orphan(&self, key: &(String, String), a: &LiveApp) -> Row {
        let inv = &self.c.inventory;
        let (cluster, name) = key;
        let app = a.label(APP_LABEL).unwrap_or("").to_string();
        let ci = self.cluster_index.get(cluster.as_str()).copied();
        let mut why = match ci {
            None => format!("cluster `{cluster}` is not in the inventory"),
            Some(_) if app.is_empty() => {
                "the inventory renders no Application of this name for the cluster".to_string()
            }
            Some(_) if inv.app(&app).is_none() => format!("app `{app}` is not in the inventory"),
            Some(ci)
                if inv
                    .app(&app)
                    .is_some_and(|ai| self.c.matrix.held_at(ci, ai).is_some()) =>
            {
                crate::place::matrix::held_reason(inv, ci)
            }
            Some(_) => format!("no policy places `{app}` here"),
        };
        if let Some(l) = a.label(CLUSTER_LABEL).filter(|l| l != cluster) {
            why.push_str(&format!(
                " (it is labelled for `{l}`: applied to this cluster's Argo CD by mistake?)"
            ));
        }
        let age = ci
            .and_then(|ci| self.clusters[ci].age_seconds)
            .or_else(|| a.reconciled_at.map(|t| self.now - t));
        let mut row = self.row(cluster, app, name, Some(a));
        match too_old(age, self.max_age) {
            Some(old) => row.reasons.push(format!("{why}, but the export {old}")),
            None => {
                row.status = State::Orphaned;
                row.reasons.push(format!(
                    "{why}; the root Application prunes it at its next sync, unless pruning is off"
                ));
            }
        }
        row
    }
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
    let doc = crate::base::yaml::parse_yaml(text)
        .ok()?
        .into_iter()
        .next()?
        .value;
    (doc.get("kind").and_then(Value::as_str) == Some("Application")).then_some(doc)
}

/// Every Application the compile renders: each pair's, then each cluster's
/// own (root and platform); and the names of the roots of no cluster (a
/// hub's root of its AppProjects).
fn desired(c: &Compiled) -> (Vec<Desired<'_>>, HashSet<String>) {
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
    let name = |doc: &Value| {
        doc.pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let mut clusterless = HashSet::new();
    let own = c
        .rendered
        .roots
        .iter()
        .map(|(ci, p)| (*ci, p))
        .chain(c.rendered.platform.iter().map(|(ci, p)| (Some(*ci), p)));
    for (ci, path) in own {
        let Some(doc) = parse_application(c, path) else {
            continue;
        };
        match ci {
            Some(cluster) => out.push(Desired {
                cluster,
                app: None,
                name: name(&doc),
                path,
            }),
            None => {
                clusterless.insert(name(&doc));
            }
        }
    }
    (out, clusterless)
}

/// What is wrong with a live Application, against the rendered one: what
/// is known to differ, and what cannot be told.
#[derive(Default)]
struct Verdict {
    differ: Vec<String>,
    unknown: Vec<String>,
}

impl Verdict {
    /// STALE when something is known to differ; UNKNOWN when Argo CD
    /// could not say (sync or health Unknown) and nothing differs;
    /// DEPLOYED when neither.
    fn state(&self) -> State {
        if !self.differ.is_empty() {
            State::Stale
        } else if !self.unknown.is_empty() {
            State::Unknown
        } else {
            State::Deployed
        }
    }

    fn reasons(self) -> Vec<String> {
        self.differ.into_iter().chain(self.unknown).collect()
    }
}

/// Judges a live Application against the rendered one.
fn verdict(desired: &Value, live: &LiveApp) -> Verdict {
    let mut v = Verdict::default();
    let out = &mut v.differ;
    let null = Value::Null;
    let want_spec = desired.get("spec").unwrap_or(&null);
    let live_spec = live.spec();

    if let Some(t) = &live.deleting {
        out.push(format!(
            "being deleted since {t}: its finalizer waits for its resources to go"
        ));
    }
    // The revision first: it is what people look for.
    let rev = |spec: &Value| {
        spec.pointer("/source/targetRevision")
            .or_else(|| spec.pointer("/sources/0/targetRevision"))
            .cloned()
    };
    let (want_rev, live_rev) = (rev(want_spec), rev(&live_spec));
    if want_rev != live_rev {
        out.push(format!(
            "revision {}, desired {}",
            shown(live_rev.as_ref()),
            shown(want_rev.as_ref())
        ));
    }
    // Helm values, as the documents Helm reads.
    let (want_values, mut want_rest) = take_values(want_spec);
    let (live_values, mut live_rest) = take_values(&live_spec);
    strip_revision(&mut want_rest);
    strip_revision(&mut live_rest);
    for (at, (w, l)) in want_values.iter().zip(&live_values).enumerate() {
        if let Some(why) = values_differ(l, w) {
            let whose = if want_values.len() > 1 {
                format!(" (source {})", at + 1)
            } else {
                String::new()
            };
            out.push(format!("helm values{whose} differ: {why}"));
        }
    }
    if want_values.len() != live_values.len() {
        out.push(format!(
            "{} sources, desired {}",
            live_values.len(),
            want_values.len()
        ));
    }
    // The rest of the spec, as Argo CD's types print it.
    let mut diffs = Vec::new();
    paths(
        &go_print(&live_rest),
        &go_print(&want_rest),
        &mut vec!["spec".to_string()],
        &mut diffs,
    );
    if !diffs.is_empty() {
        out.push(format!("spec differs: {}", listed(&diffs)));
    }
    // Where it is, fleetc's labels and annotations, and the finalizer.
    let diffs = metadata_diffs(desired, live);
    if !diffs.is_empty() {
        out.push(format!("{} (an older render?)", listed(&diffs)));
    }

    // Argo CD's verdicts.
    match live.sync.as_deref() {
        Some("Synced") => {
            // Synced, but with what? When the spec changed after the
            // comparison, the verdict is about the old spec.
            if let Some(compared) = live.compared_to.as_ref().and_then(Value::as_object) {
                let earlier: Vec<&str> = compared
                    .iter()
                    .filter(|(k, then)| {
                        !same_spec_part(then, live_spec.get(k.as_str()).unwrap_or(&null))
                    })
                    .map(|(k, _)| k.as_str())
                    .collect();
                if !earlier.is_empty() {
                    out.push(format!(
                        "Synced to an earlier spec (status.sync.comparedTo.{} differs): Argo CD has not compared the current one yet",
                        earlier.join(", ")
                    ));
                }
            }
        }
        Some("OutOfSync") => {
            let mut why = "sync OutOfSync".to_string();
            if let Some((phase, msg)) = &live.operation {
                if phase == "Running" {
                    why.push_str("; a sync is running");
                } else if phase != "Succeeded" {
                    why.push_str(&format!("; last sync {phase}: {}", first_line(msg)));
                }
            }
            out.push(why);
        }
        Some(s) => v
            .unknown
            .push(format!("sync {s}: Argo CD could not compare it")),
        None => v
            .unknown
            .push("no sync status (status.sync.status)".to_string()),
    }
    for (t, msg) in &live.errors {
        v.differ.push(format!("{t}: {}", first_line(msg)));
    }
    let with_message = |h: &str| match live.health_message.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => format!("health {h}: {}", first_line(m)),
        None => format!("health {h}"),
    };
    match live.health.as_deref() {
        Some("Healthy") => {}
        Some("Unknown") => v.unknown.push(with_message("Unknown")),
        Some(h) => v.differ.push(with_message(h)),
        None => v
            .unknown
            .push("no health status (status.health.status)".to_string()),
    }
    v
}

/// How a live Application's place, fleetc's labels and annotations and its
/// finalizers differ from the rendered one's.
fn metadata_diffs(desired: &Value, live: &LiveApp) -> Vec<String> {
    let mut diffs = Vec::new();
    let want_ns = desired
        .pointer("/metadata/namespace")
        .and_then(Value::as_str);
    if want_ns.is_some_and(|ns| ns != live.namespace) {
        diffs.push(format!(
            "metadata.namespace {}, desired {}",
            live.namespace,
            want_ns.unwrap_or("")
        ));
    }
    for (what, live_map) in [("labels", &live.labels), ("annotations", &live.annotations)] {
        let want = desired
            .pointer(&format!("/metadata/{what}"))
            .and_then(Value::as_object);
        for (k, val) in want.into_iter().flatten() {
            let have = live_map.get(k);
            if have != Some(val) {
                diffs.push(format!(
                    "metadata.{what}.{k} {}, desired {}",
                    shown(have),
                    shown(Some(val))
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
            shown(Some(&Value::Array(live.finalizers.clone()))),
            shown(Some(&Value::Array(want_fin)))
        ));
    }
    diffs
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// A spec's Helm values texts (`source.helm.values`, or each of
/// `sources[].helm.values`, in order), and the spec without them.
fn take_values(spec: &Value) -> (Vec<Option<Value>>, Value) {
    let mut rest = spec.clone();
    let take = |source: &mut Value| {
        source
            .pointer_mut("/helm")
            .and_then(Value::as_object_mut)
            .and_then(|h| h.remove("values"))
    };
    let values = if let Some(src) = rest.get_mut("source") {
        vec![take(src)]
    } else if let Some(Value::Array(srcs)) = rest.get_mut("sources") {
        srcs.iter_mut().map(take).collect()
    } else if rest.get("helm").is_some() {
        // A source on its own (`status.sync.comparedTo.source`).
        vec![take(&mut rest)]
    } else {
        vec![None]
    };
    (values, rest)
}

/// A part of a spec (`source`, `sources`, `destination`, ...) against the
/// same part as compared: alike as Argo CD's types print them, with Helm
/// values as documents.
fn same_spec_part(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    let wrap = |v: &Value| match v {
        Value::Array(_) => serde_json::json!({ "sources": v }),
        _ => serde_json::json!({ "source": v }),
    };
    let (av, ar) = take_values(&wrap(a));
    let (bv, br) = take_values(&wrap(b));
    av.len() == bv.len()
        && av
            .iter()
            .zip(&bv)
            .all(|(x, y)| values_differ(x, y).is_none())
        && go_print(&ar) == go_print(&br)
}

/// How two written Helm values differ to Helm, if they do: the same text
/// does not (the common case, with no parsing); otherwise both are parsed,
/// and a text fleetc cannot read, or one that YAML 1.1 (Helm's) reads
/// otherwise than YAML 1.2 (fleetc's), differs.
fn values_differ(live: &Option<Value>, want: &Option<Value>) -> Option<String> {
    if live == want {
        return None;
    }
    let (l, w) = match (values_doc(live), values_doc(want)) {
        (Ok(l), Ok(w)) => (l, w),
        (Err(e), _) => return Some(format!("the live text is not YAML fleetc reads ({e})")),
        (_, Err(_)) => return Some("the rendered text does not read back".into()),
    };
    if l != w {
        let mut diffs = Vec::new();
        paths(&l, &w, &mut Vec::new(), &mut diffs);
        return Some(listed(&diffs));
    }
    let text = |v: &Option<Value>| v.as_ref().and_then(Value::as_str).map(str::to_string);
    let ambiguous = [text(live), text(want)]
        .into_iter()
        .flatten()
        .find_map(|t| crate::base::yaml::yaml11_ambiguous(&t));
    ambiguous.map(|word| {
        format!("written otherwise, with `{word}`, which Helm's YAML 1.1 may read as another value")
    })
}

/// A spec's Helm values as a document (an empty map when none, as Helm
/// takes no values), or why the text does not parse.
#[cfg(test)]
fn split_values(spec: &Value) -> (Value, Value) {
    let (mut texts, rest) = take_values(spec);
    (values_doc(&texts.remove(0)).unwrap_or(Value::Null), rest)
}

/// Written Helm values as the document Helm reads.
fn values_doc(text: &Option<Value>) -> Result<Value, String> {
    let values = match text {
        Some(Value::String(t)) => match crate::base::yaml::parse_yaml(t) {
            Ok(docs) => docs
                .into_iter()
                .next()
                .map(|d| d.value)
                .unwrap_or(Value::Null),
            Err(e) => return Err(e.message),
        },
        Some(other) => other.clone(),
        None => Value::Null,
    };
    // No values and an empty document are the same to Helm.
    Ok(if values.is_null() {
        Value::Object(Default::default())
    } else {
        values
    })
}

/// Takes the revision out of a spec, which is compared on its own.
fn strip_revision(spec: &mut Value) {
    if let Some(src) = spec.get_mut("source").and_then(Value::as_object_mut) {
        src.remove("targetRevision");
    }
    if let Some(Value::Object(src)) = spec.pointer_mut("/sources/0") {
        src.remove("targetRevision");
    }
}

/// A spec as Argo CD's Go types print it (`omitempty`): a field at its
/// zero value (`null`, `false`, `0`, `""`, `[]`) is the same as one left
/// out. Not an object, though: a pointer to a struct that is set prints as
/// `{}` and means something (`automated: {}` is auto-sync on), save
/// `jsonnet`, a struct Argo CD always prints. Not `enabled` and
/// `revisionHistoryLimit` either, pointers whose zero is a setting. And
/// nothing inside `valuesObject`, Helm values kept as written.
fn go_print(v: &Value) -> Value {
    const SIGNIFICANT_ZEROS: [&str; 2] = ["enabled", "revisionHistoryLimit"];
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter_map(|(k, v)| {
                    if k == "valuesObject" {
                        return Some((k.clone(), v.clone()));
                    }
                    let v = go_print(v);
                    let empty = match &v {
                        Value::Object(o) => o.is_empty() && k == "jsonnet",
                        other => is_zero(other) && !SIGNIFICANT_ZEROS.contains(&k.as_str()),
                    };
                    (!empty).then(|| (k.clone(), v))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(go_print).collect()),
        other => other.clone(),
    }
}

fn is_zero(v: &Value) -> bool {
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

/// A value in a reason: `absent`, a one-line string as it is, anything
/// else as JSON (so a newline or a control character shows escaped), cut
/// at 60 characters.
fn shown(v: Option<&Value>) -> String {
    let s = match v {
        None => return "absent".to_string(),
        Some(Value::String(s)) if !s.chars().any(char::is_control) => s.clone(),
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
        assert_eq!(parse_duration("1h30m"), Some(5400));
        assert_eq!(parse_duration("30x"), None);
        assert_eq!(parse_duration(""), None);
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
        assert_eq!(go_print(&want), go_print(&live));
        let with_null = json!({"source": {"helm": {"values": "a: null\nb: 1\n"}}});
        let without = json!({"source": {"helm": {"values": "b: 1\n"}}});
        assert_ne!(split_values(&with_null).0, split_values(&without).0);
        let reindented = json!({"source": {"helm": {"values": "a:   null\nb:   1"}}});
        assert_eq!(split_values(&with_null).0, split_values(&reindented).0);
    }

    #[test]
    fn set_pointers_and_significant_zeros_are_not_omitted() {
        // Auto-sync with everything off is still auto-sync: Go prints the
        // set pointer as `{}`, and a spec without it syncs by hand.
        let auto = json!({"syncPolicy": {"automated": {"prune": false, "selfHeal": false}}});
        let manual = json!({"syncPolicy": {}});
        assert_ne!(go_print(&auto), go_print(&manual));
        assert_eq!(
            go_print(&auto),
            go_print(&json!({"syncPolicy": {"automated": {}}}))
        );
        // Argo CD 3's switch: `enabled: false` turns auto-sync off.
        let off = json!({"syncPolicy": {"automated": {"enabled": false}}});
        assert_ne!(
            go_print(&off),
            go_print(&json!({"syncPolicy": {"automated": {}}}))
        );
        // Helm values as an object are values: a zero is a setting.
        let zero = json!({"source": {"helm": {"valuesObject": {"replicaCount": 0}}}});
        assert_ne!(go_print(&zero), go_print(&json!({"source": {"helm": {}}})));
        // The struct Argo CD always prints.
        let dir = json!({"source": {"directory": {"recurse": true, "jsonnet": {}}}});
        assert_eq!(
            go_print(&dir),
            go_print(&json!({"source": {"directory": {"recurse": true}}}))
        );
    }

    #[test]
    fn values_written_otherwise_are_alike_unless_helm_reads_them_otherwise() {
        let t = |s: &str| Some(Value::String(s.into()));
        assert_eq!(values_differ(&t("a: 1\n"), &t("a:   1")), None);
        // `on` is a string to YAML 1.2 and true to Helm's YAML 1.1.
        let why = values_differ(&t("flag: on\n"), &t("flag: 'on'\n")).unwrap();
        assert!(why.contains("`on`"), "{why}");
        // A live text that does not parse (a key twice) is not `{}`.
        let why = values_differ(&t("a: 1\na: 0\n"), &None).unwrap();
        assert!(why.contains("not YAML"), "{why}");
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
