//! `fleetc report --html`: the matrix as one page to look at.
//!
//! `fleetc query matrix` answers in a terminal; this page is for a person
//! with a browser and a fleet too wide for one: one self-contained HTML file
//! (no network, no external assets) with summary counts, filter boxes, and
//! the cluster × app grid with clusters grouped by a label. Hover a cell for
//! the policies behind it.
//!
//! A browser cannot lay out 400,000 table cells quickly (2,000 clusters ×
//! 200 apps as static markup took over 20 s in headless Chromium, and even
//! 15,000 cells cost a few hundred milliseconds of layout), so the matrix is
//! embedded compactly, one character per cell, and a small script draws only
//! the rows and columns in view, drawing again when the view leaves what was
//! drawn. The hover texts come from one table of distinct policy lists,
//! indexed per cell.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::live::status::{Row, State, Status};
use crate::pipeline::Compiled;
use crate::views::report;
use crate::views::report::Placement;

/// The group of clusters that do not have the grouping label.
const NO_GROUP: &str = "(none)";

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON safe inside a `<script>`: no `<` at all, so neither `</script>` nor
/// `<!--` can end or confuse the element. `<` only occurs inside JSON
/// strings, where `\u003c` means the same.
fn script_json(v: &serde_json::Value) -> String {
    v.to_string().replace('<', "\\u003c")
}

/// The label clusters are grouped by: the one asked for, else the first of
/// `region` and `environment` that some cluster has.
pub(crate) fn group_label(c: &Compiled, asked: Option<&str>) -> Option<String> {
    if let Some(a) = asked {
        return Some(a.to_string());
    }
    ["region", "environment"]
        .into_iter()
        .find(|l| {
            c.inventory
                .clusters
                .iter()
                .any(|cl| cl.labels.contains_key(*l))
        })
        .map(str::to_string)
}

/// `k=v k=v ...`: what a filter box matches (lower-cased by the script).
fn label_text(labels: &crate::rules::selector::Labels) -> String {
    let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join(" ")
}

/// The page's style, and its script (which draws the rows and columns in
/// view): files of their own, built into the binary.
const STYLE: &str = include_str!("assets/report.css");
const SCRIPT: &str = include_str!("assets/report.js");

/// The distinct hover texts, in order of first use (0 means none), and for
/// each cluster, each app's text.
fn hover_texts(
    cells: &[report::Cell],
    napps: usize,
    live: &Live,
) -> (Vec<String>, Vec<Vec<usize>>) {
    let mut titles: Vec<String> = vec![String::new()];
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut hover: Vec<Vec<usize>> = Vec::with_capacity(cells.len() / napps.max(1));
    for (ci, row) in cells.chunks(napps.max(1)).enumerate() {
        hover.push(
            row.iter()
                .enumerate()
                .map(|(ai, cell)| {
                    let mut t = match cell.status {
                        Placement::Placed => {
                            let mut t = format!("placed by {}", cell.policies.join(", "));
                            if let Some(rev) = &cell.revision {
                                t.push_str(&format!("; revision {rev}"));
                            }
                            if let Some(ring) = &cell.ring {
                                t.push_str(&format!(" (ring {ring})"));
                            }
                            for w in &cell.windows {
                                t.push_str(&format!("\nsync window: {w}"));
                            }
                            t
                        }
                        Placement::Excluded => format!("excluded by {}", cell.policies.join(", ")),
                        _ => String::new(),
                    };
                    if let Some(r) = live.get(&(ci, ai)) {
                        if !t.is_empty() {
                            t.push('\n');
                        }
                        t.push_str(&format!("live: {}", r.status.word()));
                        if let Some(h) = &r.health {
                            t.push_str(&format!(", {h}"));
                        }
                        for why in &r.reasons {
                            t.push_str(&format!("\n  {why}"));
                        }
                    }
                    if t.is_empty() {
                        return 0;
                    }
                    let next = titles.len();
                    *index.entry(t.clone()).or_insert_with(|| {
                        titles.push(t);
                        next
                    })
                })
                .collect(),
        );
    }
    (titles, hover)
}

/// Clusters by the value of the grouping label (`group`), in name order
/// within a group; the clusters without the label last.
pub(crate) fn cluster_groups(c: &Compiled, group: Option<&str>) -> Vec<(String, Vec<usize>)> {
    let inv = &c.inventory;
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut ungrouped: Vec<usize> = Vec::new();
    for (ci, cl) in inv.clusters.iter().enumerate() {
        match group.and_then(|g| cl.labels.get(g)) {
            Some(v) => groups.entry(v.as_str()).or_default().push(ci),
            None => ungrouped.push(ci),
        }
    }
    let mut groups: Vec<(String, Vec<usize>)> = groups
        .into_iter()
        .map(|(v, members)| {
            let label = match group {
                Some(g) => format!("{g}={v}"),
                None => v.to_string(),
            };
            (label, members)
        })
        .collect();
    if !ungrouped.is_empty() {
        let label = match group {
            Some(g) => format!("{g}: {NO_GROUP}"),
            None => NO_GROUP.to_string(),
        };
        groups.push((label, ungrouped));
    }
    groups
}

/// Each (cluster, app) cell's live verdict, by index.
type Live<'a> = BTreeMap<(usize, usize), &'a Row>;

/// The page for the compiled fleet: same inventory, same bytes.
pub fn page(c: &Compiled, group_by: Option<&str>) -> String {
    page_live(c, group_by, None)
}

/// [`page`], with each cell coloured by what Argo CD reports when `status`
/// is given (an orphan's cell is marked in a row of the matrix when its
/// cluster and app are in the inventory).
pub(crate) fn page_live(c: &Compiled, group_by: Option<&str>, status: Option<&Status>) -> String {
    let inv = &c.inventory;
    let cells = report::cells(c, None);
    let napps = inv.apps.len();
    let group = group_label(c, group_by);
    let mut live: Live = BTreeMap::new();
    for r in status
        .map(|s| s.applications.as_slice())
        .unwrap_or_default()
    {
        if let (Some(ci), Some(ai)) = (inv.cluster(&r.cluster), inv.app(&r.app)) {
            // A pair's own verdict wins over an orphan of the same app.
            let e = live.entry((ci, ai)).or_insert(r);
            if e.status == State::Orphaned {
                *e = r;
            }
        }
    }

    let (titles, hover) = hover_texts(&cells, napps, &live);
    let groups = cluster_groups(c, group.as_deref());

    // Clusters in display order (by group, then name), one string per row:
    // `p` placed, `x` excluded, `.` not placed, a character per app.
    let mut clusters = Vec::with_capacity(inv.clusters.len());
    let mut rows = Vec::with_capacity(inv.clusters.len());
    let mut row_hover = Vec::with_capacity(inv.clusters.len());
    let mut live_rows: Vec<String> = Vec::new();
    for (gi, (_, members)) in groups.iter().enumerate() {
        for &ci in members {
            let cl = &inv.clusters[ci];
            clusters.push(serde_json::json!({"n": cl.name, "g": gi, "l": label_text(&cl.labels)}));
            let row: String = cells[ci * napps..(ci + 1) * napps]
                .iter()
                .map(|cell| match cell.status {
                    Placement::Placed => 'p',
                    Placement::Excluded => 'x',
                    _ => '.',
                })
                .collect();
            rows.push(row);
            if status.is_some() {
                live_rows.push(
                    (0..napps)
                        .map(|ai| live.get(&(ci, ai)).map_or('.', |r| r.status.letter()))
                        .collect::<String>(),
                );
            }
            row_hover.push(&hover[ci]);
        }
    }
    let apps: Vec<serde_json::Value> = inv
        .apps
        .iter()
        .map(|a| {
            let team = &inv.teams[a.team].name;
            // Filterable by the source type too (`source=kustomize`), and
            // named in the header's title.
            let source = a.source_type.map_or("detected", |t| t.name());
            serde_json::json!({
                "n": a.name,
                "l": format!("team={team} source={source} {}", label_text(&a.labels)),
                "s": source_title(a),
            })
        })
        .collect();
    let group_names: Vec<(&str, usize)> = groups
        .iter()
        .map(|(label, members)| (label.as_str(), members.len()))
        .collect();
    let mut data = serde_json::json!({
        "apps": apps,
        "groups": group_names,
        "clusters": clusters,
        "rows": rows,
    });
    if status.is_some() {
        data["live"] = serde_json::json!(live_rows);
    }

    let placed = cells
        .iter()
        .filter(|c| c.status == Placement::Placed)
        .count();
    let excluded = cells
        .iter()
        .filter(|c| c.status == Placement::Excluded)
        .count();
    let first_width = inv
        .clusters
        .iter()
        .map(|cl| cl.name.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(10, 40)
        + 2;
    let mut out = String::with_capacity(8192 + cells.len() * 4);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width\">\
         <title>fleetc: fleet matrix</title><style>{STYLE}</style></head><body>\n\
         <h1>Fleet matrix</h1>\n<div class=sum>\
         <div><b id=nclusters>{}</b>clusters</div><div><b id=napps>{napps}</b>apps</div>\
         <div><b id=nplaced>{placed}</b>placed</div><div><b id=nexcluded>{excluded}</b>excluded</div>\
         <div><b id=napplications>{}</b>Applications rendered</div>\
         <div><b id=shown>{}</b>clusters shown</div><div><b id=appsshown>{napps}</b>apps shown</div></div>\n\
         <div class=bar>\
         <input id=filter type=search placeholder=\"filter clusters, e.g. region=east gpu=true\" aria-label=\"filter clusters\">\
         <input id=appfilter type=search placeholder=\"filter apps, e.g. pos team=payments\" aria-label=\"filter apps\">\
         <span class=legend><span>● placed</span><span>✕ excluded</span><span>empty: not placed</span>\
         <span>grouped by <b>{}</b></span></span></div>\n{}\
         <div class=wrap id=wrap><table id=grid><thead id=head><tr><th class=c style=\"width:{first_width}ch;min-width:{first_width}ch\">cluster</th>",
        inv.clusters.len(),
        c.rendered.apps.len(),
        inv.clusters.len(),
        esc(group.as_deref().unwrap_or("nothing")),
        status.map(live_bar).unwrap_or_default(),
    );
    for app in &inv.apps {
        let name = esc(&app.name);
        let _ = write!(
            out,
            "<th data-app=\"{name}\" title=\"{name}: {}\"><span>{name}</span></th>",
            esc(&source_title(app))
        );
    }
    let _ = write!(
        out,
        "</tr></thead><tbody id=rows></tbody></table></div>\n\
         <noscript>This page draws the matrix with JavaScript; `fleetc query matrix` prints it as text.</noscript>\n\
         <script type=\"application/json\" id=data>{}</script>\n\
         <script type=\"application/json\" id=titles>{}</script>\n\
         <script type=\"application/json\" id=hover>{}</script>\n<script>{SCRIPT}</script>\n</body></html>\n",
        script_json(&data),
        script_json(&serde_json::json!(titles)),
        script_json(&serde_json::json!(row_hover)),
    );
    out
}

/// The live legend and counts, under the filter bar.
fn live_bar(st: &Status) -> String {
    let counts = st.counts();
    let mut out = String::from("<div class=live id=live>live, from Argo CD's exports:");
    for s in State::ALL {
        let _ = write!(
            out,
            " <span class=\"s{}\"><b id=\"live-{}\">{}</b> {}</span>",
            s.letter(),
            s.letter(),
            counts.get(&s).copied().unwrap_or(0),
            s.word()
        );
    }
    let _ = writeln!(
        out,
        " <span class=note>judged at {} from {} export{}</span></div>",
        esc(&st.now),
        st.exports.len(),
        if st.exports.len() == 1 { "" } else { "s" }
    );
    out
}

/// What an app's header says of its source.
fn source_title(app: &crate::check::App) -> String {
    match app.source_type {
        Some(t) => format!("{}, {}", t.what(), t.name()),
        None => "source type detected by Argo CD".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_never_closes_the_script() {
        let v = serde_json::json!(["</script><!--", "a<b"]);
        let s = script_json(&v);
        assert!(!s.contains('<'), "{s}");
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn esc_escapes_markup() {
        assert_eq!(
            esc(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
