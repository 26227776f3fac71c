
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
// With exports: the cell's live status colours it (D deployed, S stale,
// N not installed, U unknown, O orphaned; `.` none).
var GLYPH={p:'●',x:'✕','.':''},LIVE=D.live||null;
function cell(r,i,k){
  var p=r.charAt(k),s=LIVE?LIVE[i].charAt(k):'.';
  if(s==='.')return CELL[p];
  return '<td class="'+(p==='.'?'':p+' ')+'s'+s+'">'+(p==='.'&&s==='O'?'○':GLYPH[p])+'</td>';
}
function esc(s){return s.replace(/[&<>"']/g,function(c){return '&#'+c.charCodeAt(0)+';';});}
function words(s){return s.toLowerCase().split(/\s+/).filter(Boolean);}
function hit(text,q){for(var i=0;i<q.length;i++)if(text.indexOf(q[i])<0)return false;return true;}
var names=D.clusters.map(function(c){return esc(c.n);});
var clabels=D.clusters.map(function(c){return esc(c.l);});
var csearch=D.clusters.map(function(c){return (c.n+' '+c.l).toLowerCase();});
var apps=D.apps.map(function(a){return esc(a.n);});
var atitles=D.apps.map(function(a){return esc(a.n+': '+a.s);});
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
  for(k=c0;k<c1;k++){var a=cols[k];h+='<th style="width:'+CW+'px" data-app="'+apps[a]+'" title="'+atitles[a]+'"><span>'+apps[a]+'</span></th>';}
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
    for(k=c0;k<c1;k++)h+=cell(r,it,cols[k]);
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
