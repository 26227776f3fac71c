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

use crate::pipeline::Compiled;
use crate::report;
use crate::report::Placement;

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

/// `k=v k=v ...`: what a filter box matches (lower-cased by the script).
fn label_text(labels: &crate::selector::Labels) -> String {
    let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join(" ")
}

const STYLE: &str = "
html,body{height:100%}
body{font:14px system-ui,sans-serif;margin:0;padding:12px 16px;box-sizing:border-box;color:#222;display:flex;flex-direction:column}
h1{font-size:20px;margin:0 0 6px}
.sum{display:flex;gap:18px;margin:4px 0 8px;flex-wrap:wrap}
.sum b{font-size:18px;display:block}
.bar{display:flex;gap:12px;align-items:center;flex-wrap:wrap;margin-bottom:8px}
.bar input{font:inherit;padding:4px 8px;width:340px}
.legend span{margin-right:12px}
.wrap{flex:1;min-height:120px;overflow:auto;border:1px solid #ccc}
table{border-collapse:separate;border-spacing:0;table-layout:fixed}
th,td{box-sizing:border-box;height:18px;padding:0;border:solid #e3e3e3;border-width:0 1px 1px 0;text-align:center;white-space:nowrap;overflow:hidden;line-height:17px}
td{width:21px;cursor:default}
thead th{position:sticky;top:0;background:#f7f7f7;z-index:2;height:auto;vertical-align:bottom;padding:6px 0 4px}
thead th span{display:inline-block;writing-mode:vertical-rl;transform:rotate(180deg);max-height:12em;overflow:hidden;text-overflow:ellipsis;font-weight:600}
thead th.c{left:0;z-index:3;vertical-align:middle;text-align:left;padding:0 6px}
tbody th{position:sticky;left:0;background:#fff;text-align:left;font-weight:normal;z-index:1;padding:0 6px;text-overflow:ellipsis}
tr.g th{background:#eef3fb;font-weight:600;overflow:visible}
tr.g td{background:#eef3fb}
td.p{color:#1a7f37}td.x{color:#cf222e;background:#fff0f0}
tbody tr:hover th,tbody tr:hover td{background-color:#fffbdd}
";

const SCRIPT: &str = r#"
(function(){
'use strict';
function $(id){return document.getElementById(id);}
function J(id){return JSON.parse($(id).textContent);}
var D=J('data'),T=J('titles'),H=J('hover');
var grid=$('grid'),head=$('head'),body=$('rows'),wrap=$('wrap');
var cbox=$('filter'),abox=$('appfilter');
// Row height and column width in px: the style sheet's, measured below.
var RH=18,CW=21,FW=grid.tHead.rows[0].cells[0].offsetWidth;
var OVER=15; // rows or columns drawn beyond the view on each side
var CELL={p:'<td class="p">●</td>',x:'<td class="x">✕</td>','.':'<td></td>'};
function esc(s){return s.replace(/[&<>"']/g,function(c){return '&#'+c.charCodeAt(0)+';';});}
function words(s){return s.toLowerCase().split(/\s+/).filter(Boolean);}
function hit(text,q){for(var i=0;i<q.length;i++)if(text.indexOf(q[i])<0)return false;return true;}
var names=D.clusters.map(function(c){return esc(c.n);});
var clabels=D.clusters.map(function(c){return esc(c.l);});
var csearch=D.clusters.map(function(c){return (c.n+' '+c.l).toLowerCase();});
var apps=D.apps.map(function(a){return esc(a.n);});
var asearch=D.apps.map(function(a){return (a.n+' '+a.l).toLowerCase();});
var items=[],counts=[],cols=[],win=null,pending=false;
function build(){
  var q=words(cbox.value),shown=0,last=-1;items=[];counts=D.groups.map(function(){return 0;});
  for(var i=0;i<D.clusters.length;i++){
    if(q.length&&!hit(csearch[i],q))continue;
    var g=D.clusters[i].g;
    if(g!==last){items.push(-1-g);last=g;}
    items.push(i);shown++;counts[g]++;
  }
  var a=words(abox.value);cols=[];
  for(var k=0;k<D.apps.length;k++)if(!a.length||hit(asearch[k],a))cols.push(k);
  $('shown').textContent=shown;$('appsshown').textContent=cols.length;
  grid.style.width=(FW+cols.length*CW)+'px';
  win=null;draw();
}
// The part of items × cols in view, clamped.
function view(){
  var t=wrap.scrollTop,l=wrap.scrollLeft;
  return [Math.min(items.length,Math.floor(t/RH)),Math.min(items.length,Math.ceil((t+wrap.clientHeight)/RH)),
          Math.min(cols.length,Math.floor(l/CW)),Math.min(cols.length,Math.ceil((l+wrap.clientWidth)/CW))];
}
function draw(){
  var v=view();
  if(win&&v[0]>=win[0]&&v[1]<=win[1]&&v[2]>=win[2]&&v[3]<=win[3])return;
  var r0=Math.max(0,v[0]-OVER),r1=Math.min(items.length,v[1]+OVER);
  var c0=Math.max(0,v[2]-OVER),c1=Math.min(cols.length,v[3]+OVER);
  win=[r0,r1,c0,c1];
  var L=c0>0,R=c1<cols.length,k,h='<tr><th class="c" style="width:'+FW+'px">cluster</th>';
  if(L)h+='<th style="width:'+(c0*CW)+'px"></th>';
  for(k=c0;k<c1;k++){var a=cols[k];h+='<th style="width:'+CW+'px" data-app="'+apps[a]+'" title="'+apps[a]+'"><span>'+apps[a]+'</span></th>';}
  if(R)h+='<th style="width:'+((cols.length-c1)*CW)+'px"></th>';
  head.innerHTML=h+'</tr>';
  var pad=(L?'<td></td>':''),end=(R?'<td></td>':''),span=c1-c0+(L?1:0)+(R?1:0);
  h=r0>0?'<tr style="height:'+(r0*RH)+'px"></tr>':'';
  for(var i=r0;i<r1;i++){
    var it=items[i];
    if(it<0){var g=D.groups[-1-it],n=counts[-1-it];
      h+='<tr class="g"><th>'+esc(g[0])+' ('+(n<g[1]?n+' of ':'')+g[1]+' cluster'+(g[1]==1?'':'s')+')</th>'+(span?'<td colspan="'+span+'"></td>':'')+'</tr>';
      continue;}
    var r=D.rows[it];
    h+='<tr data-i="'+it+'" data-cluster="'+names[it]+'"><th title="'+clabels[it]+'">'+names[it]+'</th>'+pad;
    for(k=c0;k<c1;k++)h+=CELL[r.charAt(cols[k])];
    h+=end+'</tr>';
  }
  if(r1<items.length)h+='<tr style="height:'+((items.length-r1)*RH)+'px"></tr>';
  body.innerHTML=h;
}
function later(){if(!pending){pending=true;requestAnimationFrame(function(){pending=false;draw();});}}
wrap.addEventListener('scroll',later);
window.addEventListener('resize',function(){win=null;later();});
function filtered(){
  var p=new URLSearchParams();if(cbox.value)p.set('filter',cbox.value);if(abox.value)p.set('apps',abox.value);
  try{history.replaceState(null,'',p.toString()?'#'+p.toString():location.pathname);}catch(e){}
}
cbox.addEventListener('input',function(){wrap.scrollTop=0;build();filtered();});
abox.addEventListener('input',function(){wrap.scrollLeft=0;build();filtered();});
grid.addEventListener('mouseover',function(e){
  var td=e.target.closest('td');if(!td||td.title)return;
  var r=td.parentNode.getAttribute('data-i');if(r===null||!win)return;
  var k=td.cellIndex-1-(win[2]>0?1:0)+win[2];if(k<win[2]||k>=win[3])return;
  var a=cols[k],t=H[+r][a];
  td.title=D.clusters[+r].n+' / '+D.apps[a].n+': '+(t?T[t]:'not placed');
});
// A link can carry the filters: report.html#filter=region%3Deast&apps=pos
var p=new URLSearchParams(location.hash.slice(1));
cbox.value=p.get('filter')||'';abox.value=p.get('apps')||'';
build();
// Zoom or a minimum font size can make rows taller than the style says.
var one=body.querySelector('tr[data-i]');
if(one&&Math.abs(one.getBoundingClientRect().height-RH)>0.5){RH=one.getBoundingClientRect().height;win=null;draw();}
})();
"#;

/// The page for the compiled fleet: same inventory, same bytes.
pub fn page(c: &Compiled, group_by: Option<&str>) -> String {
    let inv = &c.inventory;
    let cells = report::cells(c, None);
    let napps = inv.apps.len();
    let group = group_label(c, group_by);

    // Distinct hover texts, in order of first use; 0 means none.
    let mut titles: Vec<String> = vec![String::new()];
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut hover: Vec<Vec<usize>> = Vec::with_capacity(inv.clusters.len());
    for row in cells.chunks(napps.max(1)) {
        hover.push(
            row.iter()
                .map(|cell| {
                    let t = match cell.status {
                        Placement::Placed => format!("placed by {}", cell.policies.join(", ")),
                        Placement::Excluded => format!("excluded by {}", cell.policies.join(", ")),
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

    // Clusters by group value, in name order within a group; the clusters
    // without the label last.
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut ungrouped: Vec<usize> = Vec::new();
    for (ci, cl) in inv.clusters.iter().enumerate() {
        match group.as_ref().and_then(|g| cl.labels.get(g)) {
            Some(v) => groups.entry(v.as_str()).or_default().push(ci),
            None => ungrouped.push(ci),
        }
    }
    let mut groups: Vec<(String, Vec<usize>)> = groups
        .into_iter()
        .map(|(v, members)| {
            let label = match &group {
                Some(g) => format!("{g}={v}"),
                None => v.to_string(),
            };
            (label, members)
        })
        .collect();
    if !ungrouped.is_empty() {
        let label = match &group {
            Some(g) => format!("{g}: {NO_GROUP}"),
            None => NO_GROUP.to_string(),
        };
        groups.push((label, ungrouped));
    }

    // Clusters in display order (by group, then name), one string per row:
    // `p` placed, `x` excluded, `.` not placed, a character per app.
    let mut clusters = Vec::with_capacity(inv.clusters.len());
    let mut rows = Vec::with_capacity(inv.clusters.len());
    let mut row_hover = Vec::with_capacity(inv.clusters.len());
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
            row_hover.push(&hover[ci]);
        }
    }
    let apps: Vec<serde_json::Value> = inv
        .apps
        .iter()
        .map(|a| {
            let team = &inv.teams[a.team].name;
            serde_json::json!({"n": a.name, "l": format!("team={team} {}", label_text(&a.labels))})
        })
        .collect();
    let group_names: Vec<(&str, usize)> = groups
        .iter()
        .map(|(label, members)| (label.as_str(), members.len()))
        .collect();
    let data = serde_json::json!({
        "apps": apps,
        "groups": group_names,
        "clusters": clusters,
        "rows": rows,
    });

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
         <span>grouped by <b>{}</b></span></span></div>\n\
         <div class=wrap id=wrap><table id=grid><thead id=head><tr><th class=c style=\"width:{first_width}ch;min-width:{first_width}ch\">cluster</th>",
        inv.clusters.len(),
        c.rendered.apps.len(),
        inv.clusters.len(),
        esc(group.as_deref().unwrap_or("nothing")),
    );
    for app in &inv.apps {
        let name = esc(&app.name);
        let _ = write!(
            out,
            "<th data-app=\"{name}\" title=\"{name}\"><span>{name}</span></th>"
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
