//! Maintenance windows: which of the clusters' and teams' sync windows
//! cover a pair, and whether they let it sync at a given time.
//!
//! A cluster's windows go into the AppProjects of every team with apps on
//! it, a team's into its AppProjects. Argo CD matches a window to an
//! Application by its `applications`, `namespaces` or `clusters` globs
//! (any of them), and a window that lists none matches nothing
//! (argo-cd `pkg/apis/application/v1alpha1/types.go`, `matchingWindows`;
//! its `Validate` refuses one): so a window written with none covers
//! everything it is rendered for, and is rendered so (`applications:
//! ['*']`; in hub mode, a cluster's window is rendered with `clusters:
//! [NAME]`, as the teams' projects there span clusters).

use serde_json::{json, Value};

use crate::check::{Inventory, Mode, Window, IN_CLUSTER};
use crate::rules::syncwindow::{self, Kind};

/// How far ahead [`closed`] looks for an open window.
const HORIZON: i64 = 366 * 86_400;

/// A window that keeps a pair from syncing now, and when it opens (Unix
/// seconds; none: not within a year).
#[derive(Clone, Debug)]
pub(crate) struct Closed {
    /// `cluster/app` of the pair it blocks.
    pub pair: String,
    /// Which windows, for people.
    pub windows: String,
    pub opens: Option<i64>,
}

/// Who declares a window: a cluster (by index) or a team.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Declared {
    Cluster(usize),
    Team(usize),
}

/// A window as an AppProject's `syncWindows` entry, with the scope it
/// gets when it was written with none.
pub(crate) fn rendered(inv: &Inventory, by: Declared, w: &Window) -> Value {
    let r = w.rule.window();
    let mut v = json!({
        "kind": match r.kind { Kind::Allow => "allow", Kind::Deny => "deny" },
        "schedule": r.schedule,
        "duration": r.duration,
    });
    if let Some(tz) = &r.time_zone {
        v["timeZone"] = json!(tz);
    }
    if r.manual_sync {
        v["manualSync"] = json!(true);
    }
    for (key, list) in [
        ("applications", &r.applications),
        ("namespaces", &r.namespaces),
        ("clusters", &r.clusters),
    ] {
        if !list.is_empty() {
            v[key] = json!(list);
        }
    }
    if let (true, Declared::Cluster(ci), Mode::Hub) = (w.unscoped, by, inv.settings.mode) {
        // The hub's team projects span clusters: this one's only.
        v.as_object_mut().map(|o| o.remove("applications"));
        v["clusters"] = json!([inv.clusters[ci].name]);
    }
    v
}

/// The windows rendered into a team's AppProject on a cluster (per-cluster
/// mode), or into its one AppProject (hub mode: `clusters` are all the
/// clusters it has apps on).
pub(crate) fn of_project(inv: &Inventory, team: usize, clusters: &[usize]) -> Vec<Value> {
    let mut out: Vec<Value> = clusters
        .iter()
        .flat_map(|&ci| {
            inv.clusters[ci]
                .maintenance
                .iter()
                .map(move |w| rendered(inv, Declared::Cluster(ci), w))
        })
        .collect();
    out.extend(
        inv.teams[team]
            .maintenance
            .iter()
            .map(|w| rendered(inv, Declared::Team(team), w)),
    );
    out
}

/// The windows that cover the Application `application` of app `ai` on
/// cluster `ci`, with who declared each.
pub(crate) fn covering<'a>(
    inv: &'a Inventory,
    ci: usize,
    ai: usize,
    application: &str,
) -> Vec<(Declared, &'a Window)> {
    let app = &inv.apps[ai];
    let cluster = &inv.clusters[ci];
    let (server, name) = match inv.settings.mode {
        Mode::PerCluster => (IN_CLUSTER, ""),
        Mode::Hub => ("", cluster.name.as_str()),
    };
    // An unscoped window has `applications: ['*']`, so it matches.
    let covers = |w: &Window| {
        w.rule
            .matches(application, &app.destination_namespace, server, name)
    };
    cluster
        .maintenance
        .iter()
        .filter(|w| covers(w))
        .map(|w| (Declared::Cluster(ci), w))
        .chain(
            inv.teams[app.team]
                .maintenance
                .iter()
                .filter(|w| covers(w))
                .map(|w| (Declared::Team(app.team), w)),
        )
        .collect()
}

/// `deny 0 22 * * * for 8h (Australia/Sydney), cluster lab-sydney-01`.
pub(crate) fn describe(inv: &Inventory, by: Declared, w: &Window) -> String {
    let r = w.rule.window();
    format!(
        "{} `{}` for {}{}{}, of {}",
        match r.kind {
            Kind::Allow => "allow",
            Kind::Deny => "deny",
        },
        r.schedule,
        r.duration,
        r.time_zone
            .as_ref()
            .map(|tz| format!(" ({tz})"))
            .unwrap_or_default(),
        if r.manual_sync {
            ", manual syncs allowed"
        } else {
            ""
        },
        match by {
            Declared::Cluster(ci) => format!("cluster `{}`", inv.clusters[ci].name),
            Declared::Team(t) => format!("team `{}`", inv.teams[t].name),
        }
    )
}

/// Whether the windows covering a pair keep an automated sync from
/// running at `now`, and when they let one run.
pub(crate) fn closed(
    inv: &Inventory,
    ci: usize,
    ai: usize,
    application: &str,
    now: i64,
) -> Option<Closed> {
    let covering = covering(inv, ci, ai, application);
    let rules: Vec<&syncwindow::Compiled> = covering.iter().map(|(_, w)| &w.rule).collect();
    if syncwindow::can_sync(&rules, now, false) {
        return None;
    }
    let shut: Vec<String> = covering
        .iter()
        .filter(|(_, w)| match w.rule.window().kind {
            Kind::Deny => w.rule.active_at(now),
            Kind::Allow => !w.rule.active_at(now),
        })
        .map(|(by, w)| describe(inv, *by, w))
        .collect();
    Some(Closed {
        pair: format!("{}/{}", inv.clusters[ci].name, inv.apps[ai].name),
        windows: shut.join("; "),
        opens: syncwindow::next_open(&rules, now, false, HORIZON),
    })
}
