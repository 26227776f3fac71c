//! Reporting: the fleet as tables, JSON and CSV (`fleetc query`).
//!
//! The JSON is the inventory's reporting API: every row names the
//! Application, so a dashboard can join it with Argo CD's metrics.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::pipeline::Compiled;
use crate::rules::selector::Selector;

/// Where a (cluster, app) cell stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub(crate) enum Placement {
    #[serde(rename = "placed")]
    Placed,
    /// Selected, but an `exclude` policy takes it out.
    #[serde(rename = "excluded")]
    Excluded,
    #[serde(rename = "not placed")]
    NotPlaced,
}

/// A cell of the matrix.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Cell {
    pub cluster: String,
    pub app: String,
    pub status: Placement,
    pub policies: Vec<String>,
    pub application: Option<String>,
    /// For a placed cell: its revision (`targetRevision`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// For a cell a rollout decides: its ring and whether the rollout has
    /// reached it (`canary: promoted`, `broad: waiting`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ring: Option<String>,
    /// With a deploy repo: the log entry and time of its last change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_changed: Option<LastChange>,
    /// For a placed cell: the maintenance windows that cover it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<String>,
}

/// The log entry that last changed an Application, and its time.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct LastChange {
    pub entry: u64,
    pub time: String,
}

/// Sets each placed cell's last change from the log's.
pub(crate) fn add_last_changes(
    cells: &mut [Cell],
    last: &BTreeMap<(String, String), (u64, String)>,
) {
    for c in cells.iter_mut().filter(|c| c.status == Placement::Placed) {
        if let Some((entry, time)) = last.get(&(c.cluster.clone(), c.app.clone())) {
            c.last_changed = Some(LastChange {
                entry: *entry,
                time: time.clone(),
            });
        }
    }
}

/// A placed pair's ring in the rollout that decides its revision:
/// `canary: promoted`, `broad: waiting`, `(no ring): waiting`.
fn ring_text(
    c: &Compiled,
    pair: &crate::place::matrix::Pair,
    rev: &crate::place::delivery::Revision,
) -> Option<String> {
    let ring = rev.ring.as_ref()?;
    let rollout = crate::place::delivery::rollout_of(&c.inventory, pair, ring.owner)?;
    Some(format!(
        "{}: {}",
        ring.ring
            .and_then(|i| rollout.order.get(i))
            .map_or("(no ring)", String::as_str),
        if ring.reached { "promoted" } else { "waiting" }
    ))
}

/// Rows of a query, ready for any format.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Every (cluster, app) cell for the clusters `filter` selects.
pub(crate) fn cells(c: &Compiled, filter: Option<&Selector>) -> Vec<Cell> {
    let inv = &c.inventory;
    let names: BTreeMap<(usize, usize), &str> = c
        .rendered
        .apps
        .iter()
        .map(|r| ((r.cluster, r.app), r.name.as_str()))
        .collect();
    // Each window described once, however many cells it covers (by its
    // address in the inventory).
    let mut described: std::collections::HashMap<usize, String> = Default::default();
    let mut out = Vec::new();
    for (ci, cluster) in inv.clusters.iter().enumerate() {
        if filter.is_some_and(|s| !s.matches(&cluster.labels)) {
            continue;
        }
        for (ai, app) in inv.apps.iter().enumerate() {
            let (mut revision, mut ring) = (None, None);
            let (status, policies) = if let Some(p) = c.matrix.get(ci, ai) {
                let rev = crate::place::delivery::revision(inv, p);
                ring = ring_text(c, p, &rev);
                revision = Some(rev.value);
                (Placement::Placed, p.policy_names(inv))
            } else if let Some(p) = c.matrix.excluded_at(ci, ai) {
                (Placement::Excluded, p.policy_names(inv))
            } else {
                (Placement::NotPlaced, Vec::new())
            };
            let application = names.get(&(ci, ai)).map(|s| s.to_string());
            let windows = match (&status, &application) {
                (Placement::Placed, Some(name)) => {
                    crate::place::windows::covering(inv, ci, ai, name)
                        .into_iter()
                        .map(|(by, w)| {
                            described
                                .entry(std::ptr::from_ref(w) as usize)
                                .or_insert_with(|| crate::place::windows::describe(inv, by, w))
                                .clone()
                        })
                        .collect()
                }
                _ => Vec::new(),
            };
            out.push(Cell {
                cluster: cluster.name.clone(),
                app: app.name.clone(),
                status,
                policies,
                application,
                revision,
                ring,
                last_changed: None,
                windows,
            });
        }
    }
    out
}

/// The matrix as a grid: a row per cluster, a column per app.
pub(crate) fn matrix_table(c: &Compiled, cells: &[Cell]) -> Table {
    let mut columns = vec!["cluster".to_string()];
    columns.extend(c.inventory.apps.iter().map(|a| a.name.clone()));
    columns.push("placed".to_string());
    let mut rows: Vec<Vec<String>> = Vec::new();
    for chunk in cells.chunks(c.inventory.apps.len().max(1)) {
        let Some(first) = chunk.first() else { continue };
        let mut row = vec![first.cluster.clone()];
        row.extend(chunk.iter().map(|cell| {
            match cell.status {
                Placement::Placed => "●",
                Placement::Excluded => "x",
                _ => "·",
            }
            .to_string()
        }));
        row.push(
            chunk
                .iter()
                .filter(|c| c.status == Placement::Placed)
                .count()
                .to_string(),
        );
        rows.push(row);
    }
    Table { columns, rows }
}

/// One row per placed cell; `with_log`: and when it last changed.
pub(crate) fn placed_table(cells: &[Cell], first: &str, with_log: bool) -> Table {
    let mut columns = vec![
        first.to_string(),
        "application".into(),
        "revision".into(),
        "ring".into(),
        "policies".into(),
    ];
    if with_log {
        columns.push("last changed".into());
    }
    Table {
        columns,
        rows: cells
            .iter()
            .filter(|c| c.status == Placement::Placed)
            .map(|c| {
                vec![
                    if first == "app" {
                        c.app.clone()
                    } else {
                        c.cluster.clone()
                    },
                    c.application.clone().unwrap_or_default(),
                    c.revision.clone().unwrap_or_default(),
                    c.ring.clone().unwrap_or_default(),
                    c.policies.join(","),
                ]
                .into_iter()
                .chain(with_log.then(|| match &c.last_changed {
                    Some(l) => format!("{} (entry {})", l.time, l.entry),
                    None => "never".to_string(),
                }))
                .collect()
            })
            .collect(),
    }
}

/// Aligned columns for a terminal, with a count line of `what` (a noun,
/// singular: "(1 cluster)", "(6 apps)").
pub(crate) fn table_text(t: &Table, what: &str) -> String {
    let mut widths: Vec<usize> = t.columns.iter().map(|c| c.chars().count()).collect();
    for row in &t.rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| -> String {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(cell);
                s.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(&t.columns);
    for row in &t.rows {
        out.push_str(&line(row));
    }
    out.push_str(&format!(
        "({})\n",
        crate::base::words::count(t.rows.len() as u128, what)
    ));
    out
}

/// RFC 4180 CSV.
pub(crate) fn table_csv(t: &Table) -> String {
    let field = |s: &String| {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.clone()
        }
    };
    let mut out = String::new();
    for row in std::iter::once(&t.columns).chain(&t.rows) {
        out.push_str(&row.iter().map(field).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}
