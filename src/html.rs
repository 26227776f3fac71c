//! `fleetc report --html`: the matrix as one page to look at.
//!
//! One self-contained HTML file (no network, no external assets): summary
//! counts, a filter box, and the cluster × app grid with clusters grouped by
//! a label; hover a cell for the policies behind it. A browser cannot lay out
//! 400,000 table cells quickly (2,000 clusters × 200 apps took 45 s in
//! Chromium), so the matrix is embedded compactly, one character per cell,
//! and a small script renders only the rows in view, re-rendering on scroll
//! and filter. The hover texts come from one table of distinct policy lists.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::report;
use crate::run::Compiled;

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

/// JSON safe inside a `<script>`.
fn script_json(v: &serde_json::Value) -> String {
    v.to_string().replace("</", "<\\/")
}

/// The label clusters are grouped by: the one asked for, else the first of
/// `region` and `environment` that some cluster has.
pub fn group_label(c: &Compiled, asked: Option<&str>) -> Option<String> {
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

const STYLE: &str = "
body{font:14px system-ui,sans-serif;margin:16px;color:#222}
h1{font-size:20px;margin:0 0 8px}
.sum{display:flex;gap:18px;margin:8px 0 12px;flex-wrap:wrap}
.sum b{font-size:18px;display:block}
input{font:inherit;padding:4px 8px;width:420px;margin-bottom:10px}
.wrap{overflow:auto;height:80vh;border:1px solid #ccc}
table{border-collapse:collapse}
th,td{border:1px solid #e3e3e3;padding:0 3px;text-align:center;white-space:nowrap}
thead th{position:sticky;top:0;background:#f7f7f7;z-index:2;writing-mode:vertical-rl;transform:rotate(180deg);padding:6px 2px;font-weight:600}
thead th.c{writing-mode:horizontal-tb;transform:none;z-index:3;left:0}
tbody th{position:sticky;left:0;background:#fff;text-align:left;font-weight:normal;z-index:1}
tr.g th{background:#eef3fb;font-weight:600;text-align:left}
td.p{color:#1a7f37}td.x{color:#cf222e;background:#fff0f0}
td{min-width:14px;height:17px;cursor:default}\ntbody tr{height:18px}
.legend span{margin-right:14px}
";

const SCRIPT: &str = r#"
(function(){
function J(id){return JSON.parse(document.getElementById(id).textContent);}
var D=J('data'),T=J('titles'),H=J('hover');
var grid=document.getElementById('grid'),body=document.getElementById('rows');
var wrap=document.getElementById('wrap'),box=document.getElementById('filter');
var RH=18,N=D.apps.length,items=[],drawn=[-1,-1];
var CELL={p:'<td class="p">●</td>',x:'<td class="x">✕</td>','.':'<td></td>'};
function esc(s){return s.replace(/[&<>"']/g,function(c){return '&#'+c.charCodeAt(0)+';';});}
function build(){
  var q=box.value.toLowerCase(),shown=0,last=-1;items=[];
  for(var i=0;i<D.clusters.length;i++){
    var c=D.clusters[i];
    if(q&&c.s.indexOf(q)<0)continue;
    if(c.g!==last){items.push({g:c.g});last=c.g;}
    items.push({c:i});shown++;
  }
  document.getElementById('shown').textContent=shown;
  drawn=[-1,-1];draw();
}
function row(it){
  if(it.g!==undefined){var g=D.groups[it.g];
    return '<tr class="g"><th colspan="'+(N+1)+'">'+esc(g[0])+' ('+g[1]+' cluster'+(g[1]==1?'':'s')+')</th></tr>';}
  var c=D.clusters[it.c],r=D.rows[it.c],h='<tr data-i="'+it.c+'" data-cluster="'+esc(c.n)+'"><th>'+esc(c.n)+'</th>';
  for(var k=0;k<N;k++)h+=CELL[r[k]];
  return h+'</tr>';
}
function draw(){
  var top=Math.max(0,Math.floor(wrap.scrollTop/RH)-20);
  var end=Math.min(items.length,top+Math.ceil(wrap.clientHeight/RH)+40);
  if(top===drawn[0]&&end===drawn[1])return;drawn=[top,end];
  var h='<tr style="height:'+(top*RH)+'px"></tr>';
  for(var i=top;i<end;i++)h+=row(items[i]);
  h+='<tr style="height:'+((items.length-end)*RH)+'px"></tr>';
  body.innerHTML=h;
}
wrap.addEventListener('scroll',draw);
window.addEventListener('resize',function(){drawn=[-1,-1];draw();});
box.addEventListener('input',function(){wrap.scrollTop=0;build();});
grid.addEventListener('mouseover',function(e){
  var td=e.target.closest('td');if(!td||td.title)return;
  var r=td.parentNode.getAttribute('data-i');if(r===null)return;
  var k=H[+r][td.cellIndex-1];
  td.title=D.clusters[+r].n+' / '+D.apps[td.cellIndex-1]+': '+(k?T[k]:'not placed');
});
// A link can carry a filter: report.html#filter=region%3Deast
var m=/^#filter=(.*)$/.exec(location.hash);
if(m)box.value=decodeURIComponent(m[1]);
build();
})();
"#;

/// The page for the compiled fleet.
pub fn page(c: &Compiled, group_by: Option<&str>) -> String {
    let inv = &c.inventory;
    let cells = report::cells(c, None);
    let napps = inv.apps.len();
    let group = group_label(c, group_by);

    // Distinct hover texts; 0 means none.
    let mut titles: Vec<String> = vec![String::new()];
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut hover: Vec<Vec<usize>> = Vec::with_capacity(inv.clusters.len());
    for row in cells.chunks(napps.max(1)) {
        hover.push(
            row.iter()
                .map(|cell| {
                    let t = match cell.status {
                        "placed" => format!("placed by {}", cell.policies.join(", ")),
                        "excluded" => format!("excluded by {}", cell.policies.join(", ")),
                        _ => return 0,
                    };
                    let next = titles.len();
                    *index.entry(t.clone()).or_insert_with(|| {
                        titles.push(t);
                        next
                    })
                })
                .collect(),
        );
    }

    // Clusters by group value, in name order within a group.
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (ci, cl) in inv.clusters.iter().enumerate() {
        let key = group
            .as_ref()
            .and_then(|g| cl.labels.get(g).cloned())
            .unwrap_or_else(|| "(none)".to_string());
        groups.entry(key).or_default().push(ci);
    }

    // Clusters in display order (by group, then name), one string per row.
    let order: Vec<usize> = groups.values().flatten().copied().collect();
    let group_names: Vec<(String, usize)> = groups
        .iter()
        .map(|(v, m)| {
            let label = match &group {
                Some(g) => format!("{g}={v}"),
                None => v.clone(),
            };
            (label, m.len())
        })
        .collect();
    let mut group_of = vec![0usize; inv.clusters.len()];
    for (gi, members) in groups.values().enumerate() {
        for &ci in members {
            group_of[ci] = gi;
        }
    }
    let clusters: Vec<serde_json::Value> = order
        .iter()
        .map(|&ci| {
            let cl = &inv.clusters[ci];
            let search: Vec<String> = std::iter::once(cl.name.clone())
                .chain(cl.labels.iter().map(|(k, v)| format!("{k}={v}")))
                .collect();
            serde_json::json!({"n": cl.name, "g": group_of[ci], "s": search.join(" ").to_lowercase()})
        })
        .collect();
    let rows: Vec<String> = order
        .iter()
        .map(|&ci| {
            cells[ci * napps..(ci + 1) * napps]
                .iter()
                .map(|cell| match cell.status {
                    "placed" => 'p',
                    "excluded" => 'x',
                    _ => '.',
                })
                .collect()
        })
        .collect();
    let hover: Vec<&Vec<usize>> = order.iter().map(|&ci| &hover[ci]).collect();
    let data = serde_json::json!({
        "apps": inv.apps.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        "groups": group_names,
        "clusters": clusters,
        "rows": rows,
    });

    let placed = cells.iter().filter(|c| c.status == "placed").count();
    let excluded = cells.iter().filter(|c| c.status == "excluded").count();
    let mut out = String::with_capacity(4096 + cells.len() * 3);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width\">\
         <title>fleetc: fleet matrix</title><style>{STYLE}</style></head><body>\n\
         <h1>Fleet matrix</h1>\n<div class=sum>\
         <div><b id=nclusters>{}</b>clusters</div><div><b id=napps>{napps}</b>apps</div>\
         <div><b id=nplaced>{placed}</b>placed</div><div><b id=nexcluded>{excluded}</b>excluded</div>\
         <div><b>{}</b>Applications rendered</div><div><b id=shown>{}</b>clusters shown</div></div>\n\
         <div class=legend><span>● placed</span><span>✕ excluded</span><span>empty: not placed</span>\
         <span>grouped by <b>{}</b></span></div>\n\
         <input id=filter type=search placeholder=\"filter clusters: a name or a label, e.g. region=east\" aria-label=filter>\n\
         <div class=wrap id=wrap><table id=grid><thead><tr><th class=c>cluster</th>",
        inv.clusters.len(),
        c.rendered.apps.len(),
        inv.clusters.len(),
        esc(group.as_deref().unwrap_or("nothing")),
    );
    for app in &inv.apps {
        let _ = write!(
            out,
            "<th data-app=\"{}\">{}</th>",
            esc(&app.name),
            esc(&app.name)
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
        script_json(&serde_json::json!(hover)),
    );
    out
}
