//! Rendering: placed pairs → Argo CD manifests.
//!
//! One minijinja environment holds the manifest templates (built into the
//! binary, each overridable by a file of the same name in the inventory's
//! template folder), the Application name template and the output layout.
//! Undefined variables are errors and every render has a fuel budget, so a
//! template can neither guess nor loop forever. For each placed pair the
//! values are merged ([`crate::values`]), `${ }` references are expanded, and
//! the Application is rendered; then AppProjects and the clusters' root
//! Applications. The result is a map from relative path to file text.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

use minijinja::{context, Environment, UndefinedBehavior, Value as JValue};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};

use crate::error::{Diagnostic, Seg, Site};
use crate::k8s;
use crate::matrix::{Matrix, Pair};
use crate::model::{App, Cluster, Inventory, Mode, Team, IN_CLUSTER};
use crate::values;
use crate::yaml;

/// The built-in templates: (file name, text).
pub const BUILTIN_TEMPLATES: &[(&str, &str)] = &[
    (
        "application.yaml.j2",
        include_str!("../templates/application.yaml.j2"),
    ),
    (
        "appproject.yaml.j2",
        include_str!("../templates/appproject.yaml.j2"),
    ),
    (
        "root-application.yaml.j2",
        include_str!("../templates/root-application.yaml.j2"),
    ),
    (
        "platform-project.yaml.j2",
        include_str!("../templates/platform-project.yaml.j2"),
    ),
    (
        "platform-application.yaml.j2",
        include_str!("../templates/platform-application.yaml.j2"),
    ),
    (
        "namespace.yaml.j2",
        include_str!("../templates/namespace.yaml.j2"),
    ),
];

/// Work budget for one template render (minijinja fuel units).
const FUEL: u64 = 200_000;

/// One rendered Application and what it came from.
#[derive(Clone, Debug)]
pub struct RenderedApp {
    pub cluster: usize,
    pub app: usize,
    pub name: String,
    pub path: String,
    /// Names of the policies that placed it.
    pub policies: Vec<String>,
}

/// Everything a compile writes, before it is written.
#[derive(Clone, Debug, Default)]
pub struct Rendered {
    /// Relative path (`/`-separated) → file text.
    pub files: BTreeMap<String, String>,
    /// The Applications, sorted by cluster then app.
    pub apps: Vec<RenderedApp>,
    /// The AppProjects: (cluster in per-cluster mode, path).
    pub projects: Vec<(Option<usize>, String)>,
    /// Each cluster's platform AppProject and platform Application: (cluster, path).
    pub platform: Vec<(usize, String)>,
    /// The team namespaces on each cluster: (cluster, path).
    pub namespaces: Vec<(usize, String)>,
    /// Notes for the user (not errors), e.g. what was not rendered and why.
    pub notes: Vec<String>,
}

/// The layers of one pair's values, lowest precedence first.
pub struct Layers<'a> {
    pub values: Vec<&'a Value>,
    /// For each layer: what it is (`app values`, `policy x`, ...) and where.
    pub origins: Vec<(String, Site)>,
}

/// The value layers of a placed pair in precedence order (DESIGN §4):
/// app values, placing policies by ascending priority then name, cluster
/// values, the app's override for the cluster.
pub fn layers<'a>(inv: &'a Inventory, pair: &Pair) -> Layers<'a> {
    let app = &inv.apps[pair.app];
    let cluster = &inv.clusters[pair.cluster];
    let mut out = Layers {
        values: Vec::new(),
        origins: Vec::new(),
    };
    if let Some(v) = &app.values {
        out.values.push(v);
        out.origins
            .push((format!("app `{}` values", app.name), app.site.key("values")));
    }
    for pi in policy_order(inv, pair) {
        let p = &inv.policies[pi];
        if let Some(v) = &p.values {
            out.values.push(v);
            out.origins
                .push((format!("policy `{}` values", p.name), p.site.key("values")));
        }
    }
    if let Some(v) = &cluster.values {
        out.values.push(v);
        out.origins.push((
            format!("cluster `{}` values", cluster.name),
            cluster.site.key("values"),
        ));
    }
    if let Some(v) = app.overrides.get(&pair.cluster) {
        out.values.push(v);
        out.origins.push((
            format!("app `{}` valueOverrides for `{}`", app.name, cluster.name),
            app.site.key("valueOverrides").key(&cluster.name),
        ));
    }
    out
}

/// The placing policies of a pair by ascending priority, then name.
pub fn policy_order(inv: &Inventory, pair: &Pair) -> Vec<usize> {
    let mut order: Vec<usize> = pair.hits.iter().map(|h| h.policy).collect();
    // Policies are sorted by name, so index order is name order.
    order.sort_by_key(|&p| (inv.policies[p].priority, p));
    order
}

/// Builds the template environment: built-ins, the user's overrides, the
/// name template and the layout.
pub fn environment(inv: &Inventory) -> Result<Environment<'static>, Vec<Diagnostic>> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Quoting is the `yaml` filter's job; minijinja would JSON-escape `.yaml`.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(64);
    env.add_filter("yaml", |v: JValue| -> Result<String, minijinja::Error> {
        if let Some(s) = v.as_str() {
            return Ok(yaml::inline_str(s));
        }
        Ok(yaml::to_inline(&to_json(&v)?))
    });
    env.add_filter(
        "yaml_literal",
        |v: JValue, indent: usize| -> Result<String, minijinja::Error> {
            match v.as_str() {
                Some(text) => Ok(yaml::literal(text, indent)),
                None => Err(minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    "`yaml_literal` writes text",
                )),
            }
        },
    );
    env.add_filter(
        "yaml_block",
        |v: JValue, indent: usize| -> Result<String, minijinja::Error> {
            if let Some(j) = v.downcast_object_ref::<Json>() {
                return Ok(yaml::to_block(&j.0, indent));
            }
            Ok(yaml::to_block(&to_json(&v)?, indent))
        },
    );
    let mut diags = Vec::new();
    for (name, builtin) in BUILTIN_TEMPLATES {
        let (text, site) = match inv.templates.get(*name) {
            Some(user) => (user.raw.as_str(), user.site.clone()),
            None => (*builtin, Site::file(format!("<built-in>/{name}"))),
        };
        if let Err(e) = env.add_template_owned(name.to_string(), text.to_string()) {
            diags.push(template_error(&site, &e, Some(text)));
        }
    }
    let settings_site = Site::file(crate::inventory::SETTINGS_FILE);
    let named = [
        ("name", &inv.settings.application_name, "application_name"),
        (
            "layout.application",
            &inv.settings.layout.application,
            "layout",
        ),
        ("layout.project", &inv.settings.layout.project, "layout"),
        (
            "layout.hub_project",
            &inv.settings.layout.hub_project,
            "layout",
        ),
        ("layout.bootstrap", &inv.settings.layout.bootstrap, "layout"),
        (
            "layout.platform_project",
            &inv.settings.layout.platform_project,
            "layout",
        ),
        (
            "layout.platform_application",
            &inv.settings.layout.platform_application,
            "layout",
        ),
        ("layout.namespace", &inv.settings.layout.namespace, "layout"),
        ("layout.root", &inv.settings.layout.root, "layout"),
    ];
    for (name, text, field) in named {
        if let Err(e) = env.add_template_owned(name.to_string(), text.clone()) {
            diags.push(template_error(&settings_site.key(field), &e, Some(text)));
        }
    }
    if diags.is_empty() {
        Ok(env)
    } else {
        Err(diags)
    }
}

/// User templates that replace no built-in one (a typo in a file name).
fn unknown_templates(inv: &Inventory) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let names: Vec<&str> = BUILTIN_TEMPLATES.iter().map(|(n, _)| *n).collect();
    for (name, user) in &inv.templates {
        if !names.contains(&name.as_str()) {
            diags.push(
                Diagnostic::at(
                    user.site.clone(),
                    format!(
                        "no built-in template is called `{name}`, so this one would never be used"
                    ),
                )
                .help(
                    crate::suggest::hint(name, &names)
                        .unwrap_or_else(|| format!("the templates are {}", names.join(", "))),
                ),
            );
        }
    }
    diags
}

/// A JSON tree handed to templates without converting it: the `yaml`
/// filters write it directly, and templates can still read into it.
#[derive(Debug)]
pub struct Json(pub Value);

impl minijinja::value::Object for Json {
    fn repr(self: &std::sync::Arc<Self>) -> minijinja::value::ObjectRepr {
        match &self.0 {
            Value::Array(_) => minijinja::value::ObjectRepr::Seq,
            _ => minijinja::value::ObjectRepr::Map,
        }
    }

    fn get_value(self: &std::sync::Arc<Self>, key: &JValue) -> Option<JValue> {
        let child = match &self.0 {
            Value::Object(m) => m.get(key.as_str()?)?,
            Value::Array(a) => a.get(key.as_usize()?)?,
            _ => return None,
        };
        Some(jv(child))
    }

    fn enumerate(self: &std::sync::Arc<Self>) -> minijinja::value::Enumerator {
        match &self.0 {
            Value::Object(m) => {
                let keys: Vec<JValue> = m.keys().map(|k| JValue::from(k.as_str())).collect();
                minijinja::value::Enumerator::Values(keys)
            }
            Value::Array(a) => minijinja::value::Enumerator::Seq(a.len()),
            _ => minijinja::value::Enumerator::Empty,
        }
    }
}

/// A serializable Rust value as a template value.
fn jv<T: Serialize>(v: T) -> JValue {
    JValue::from(minijinja::value::Serde(v))
}

fn to_json(v: &JValue) -> Result<Value, minijinja::Error> {
    if v.is_undefined() {
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::UndefinedError,
            "the value passed to `yaml` is undefined",
        ));
    }
    serde_json::to_value(v).map_err(|e| {
        minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("cannot write as YAML: {e}"),
        )
    })
}

/// A template failure as a diagnostic. `source`: the template's text, so
/// the failing line can be shown in any build (minijinja keeps sources in
/// its errors only in debug builds).
fn template_error(site: &Site, e: &minijinja::Error, source: Option<&str>) -> Diagnostic {
    let mut d = Diagnostic::at(
        site.clone(),
        format!("template: {}", e.detail().unwrap_or(&e.to_string())),
    );
    if e.kind() == minijinja::ErrorKind::OutOfFuel {
        d.help = Some(format!(
            "one render may take at most {FUEL} steps; a template should not loop over much more than the app and cluster at hand"
        ));
    }
    if let Some(line) = e.line() {
        if !site.file.starts_with("<built-in>") && site.path.is_empty() {
            d.line = Some(line);
        }
    }
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        d.message.push_str(&format!(": {s}"));
        src = s.source();
    }
    // Show the template line, so the user sees which expression failed.
    if let (Some(source), Some(line)) = (source.or(e.template_source()), e.line()) {
        if let Some(text) = source.lines().nth(line.saturating_sub(1)) {
            d.message.push_str(&format!(" in `{}`", text.trim()));
        }
    }
    d
}

/// Renders the whole tree. Every problem is reported, and nothing is
/// returned when there is one.
pub fn render(inv: &Inventory, matrix: &Matrix) -> Result<Rendered, Vec<Diagnostic>> {
    let env = environment(inv)?;
    let ctx = Contexts::new(inv);
    let mut diags = unknown_templates(inv);
    let mut out = Rendered::default();

    check_dependencies(inv, matrix, &mut diags);
    let conflicts = ConflictCache::default();
    let expansion_errors = ExpansionErrors::default();
    let exprs = compile_expressions(inv, &env);

    let results: Vec<_> = matrix
        .placed
        .par_iter()
        .map(|pair| render_pair(inv, &env, &ctx, &conflicts, &expansion_errors, &exprs, pair))
        .collect();
    for result in results {
        match result {
            Ok((app, text)) => {
                out.files.insert(app.path.clone(), text);
                out.apps.push(app);
            }
            Err(mut d) => diags.append(&mut d),
        }
    }
    diags.extend(conflicts.into_diagnostics(inv));
    for ((site, message), clusters) in expansion_errors.into_inner().unwrap() {
        let clusters: Vec<String> = clusters.into_iter().collect();
        let on = match clusters.len() {
            1 => format!("cluster `{}`", clusters[0]),
            n if n <= 3 => format!(
                "clusters {}",
                clusters
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            n => format!("{n} clusters (`{}`, `{}`, ...)", clusters[0], clusters[1]),
        };
        diags.push(
            Diagnostic::at(site, format!("{message} (for {on})"))
                .help("references can use `cluster` (name, shortName, environment, metadata, ...), `app` and `team`; write `$${` for a literal `${`"),
        );
    }
    check_collisions(inv, &out.apps, &mut diags);
    render_projects(inv, &env, &ctx, &mut out, &mut diags);
    render_platform(inv, &env, &ctx, &mut out, &mut diags);
    render_roots(inv, &env, &ctx, &mut out, &mut diags);
    if !inv.settings.application_health_check
        && out
            .apps
            .iter()
            .any(|r| !inv.apps[r.app].depends_on.is_empty())
    {
        out.notes.push(
            "`depends_on` puts dependents in later sync waves, but Argo CD waits for a wave's Applications to be Synced and Healthy only when argocd-cm has a health check for `argoproj.io/Application` (it has none since Argo CD 1.8): add the one in fleetc's README (\"Dependencies\"), then set `application_health_check: true` in fleetc.yaml".to_string(),
        );
    }

    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(out)
}

/// The template views of clusters, apps and teams, built once each.
struct Contexts {
    clusters: Vec<JValue>,
    apps: Vec<JValue>,
    teams: Vec<JValue>,
    settings: JValue,
}

#[derive(Serialize)]
struct ClusterView<'a> {
    name: &'a str,
    #[serde(rename = "shortName")]
    short_name: Option<&'a str>,
    description: Option<&'a str>,
    environment: Option<&'a str>,
    metadata: &'a BTreeMap<String, String>,
    labels: &'a BTreeMap<String, String>,
    server: Option<&'a str>,
}

#[derive(Serialize)]
struct AppView<'a> {
    name: &'a str,
    description: Option<&'a str>,
    repo_url: &'a str,
    repo_branch: &'a str,
    repo_path: Option<&'a str>,
    chart: Option<&'a str>,
    metadata: &'a BTreeMap<String, String>,
    namespace: &'a str,
    destination_namespace: &'a str,
    release_name: &'a str,
    depends_on: Vec<&'a str>,
    sync: Value,
}

fn cluster_view(c: &Cluster) -> ClusterView<'_> {
    ClusterView {
        name: &c.name,
        short_name: c.short_name.as_deref(),
        description: c.description.as_deref(),
        environment: c.environment.as_deref(),
        metadata: &c.metadata,
        labels: &c.labels,
        server: c.server.as_deref(),
    }
}

fn app_view<'a>(inv: &'a Inventory, a: &'a App) -> AppView<'a> {
    AppView {
        name: &a.name,
        description: a.description.as_deref(),
        repo_url: &a.repo_url,
        repo_branch: &a.repo_branch,
        repo_path: a.repo_path.as_deref(),
        chart: a.chart.as_deref(),
        metadata: &a.metadata,
        namespace: &inv.teams[a.team].name,
        destination_namespace: &a.destination_namespace,
        release_name: &a.release_name,
        depends_on: a
            .depends_on
            .iter()
            .map(|d| inv.apps[*d].name.as_str())
            .collect(),
        sync: json!({
            "automated": a.sync.automated,
            "prune": a.sync.prune,
            "selfHeal": a.sync.self_heal,
            "syncOptions": a.sync.sync_options,
        }),
    }
}

fn team_view(t: &Team) -> Value {
    json!({
        "name": t.name,
        "description": t.description,
        "namespaces": t.namespaces,
        "groups": {"contributor": t.contributors, "reader": t.readers},
    })
}

impl Contexts {
    fn new(inv: &Inventory) -> Contexts {
        Contexts {
            clusters: inv.clusters.iter().map(|c| jv(cluster_view(c))).collect(),
            apps: inv.apps.iter().map(|a| jv(app_view(inv, a))).collect(),
            teams: inv.teams.iter().map(|t| jv(team_view(t))).collect(),
            settings: jv(json!({
                "argocd_namespace": inv.settings.argocd_namespace,
                "mode": inv.settings.mode.name(),
            })),
        }
    }
}

/// Where two policies disagree: the JSON pointers, and the first cluster and
/// app they meet on.
type Conflict = (Vec<String>, usize, usize);

/// Pairs of same-priority policies that set one leaf differently, found once
/// per policy pair, reported with the first (cluster, app) they meet on.
#[derive(Default)]
struct ConflictCache {
    seen: Mutex<HashMap<(usize, usize), Vec<String>>>,
    found: Mutex<BTreeMap<(usize, usize), Conflict>>,
}

impl ConflictCache {
    fn check(&self, inv: &Inventory, pair: &Pair) {
        let order = policy_order(inv, pair);
        for (i, &p) in order.iter().enumerate() {
            for &q in &order[i + 1..] {
                let (pp, qp) = (&inv.policies[p], &inv.policies[q]);
                if pp.priority != qp.priority {
                    break;
                }
                let (Some(pv), Some(qv)) = (&pp.values, &qp.values) else {
                    continue;
                };
                let paths = {
                    let mut seen = self.seen.lock().unwrap();
                    seen.entry((p, q))
                        .or_insert_with(|| values::conflicts(pv, qv))
                        .clone()
                };
                if !paths.is_empty() {
                    // Report the first pair in matrix order, whatever thread saw it first.
                    let mut found = self.found.lock().unwrap();
                    let entry = found
                        .entry((p, q))
                        .or_insert((paths, pair.cluster, pair.app));
                    if (pair.cluster, pair.app) < (entry.1, entry.2) {
                        entry.1 = pair.cluster;
                        entry.2 = pair.app;
                    }
                }
            }
        }
    }

    /// One error per conflicting policy pair, naming both policies' files.
    fn into_diagnostics(self, inv: &Inventory) -> Vec<Diagnostic> {
        let found = self.found.into_inner().unwrap();
        found
            .into_iter()
            .map(|((p, q), (paths, ci, ai))| {
                let (cluster, app) = (&inv.clusters[ci].name, &inv.apps[ai].name);
                let (pp, qp) = (&inv.policies[p], &inv.policies[q]);
                let leaves: Vec<String> = paths
                    .iter()
                    .map(|ptr| format!("`{}`", crate::error::dotted(&pointer_segments(ptr))))
                    .collect();
                let first = pointer_segments(&paths[0]);
                let mut site = pp.site.key("values");
                site.path.extend(first);
                Diagnostic::at(
                    site,
                    format!(
                        "policies `{}` and `{}` (both priority {}) set {} differently, and both place app `{app}` on cluster `{cluster}`",
                        pp.name,
                        qp.name,
                        pp.priority,
                        leaves.join(", ")
                    ),
                )
                .help(format!(
                    "give one of them a higher `priority` (the other is in {}), or set the value in one place",
                    qp.site.file.display()
                ))
            })
            .collect()
    }
}

/// Every `${ }` expression of the inventory, compiled once.
type Expressions<'env> = HashMap<String, Result<minijinja::Expression<'env, 'static>, String>>;

fn compile_expressions<'env>(
    inv: &Inventory,
    env: &'env Environment<'static>,
) -> Expressions<'env> {
    let mut sources: BTreeSet<String> = BTreeSet::new();
    let layers = inv
        .apps
        .iter()
        .flat_map(|a| a.values.iter().chain(a.overrides.values()))
        .chain(inv.policies.iter().filter_map(|p| p.values.as_ref()))
        .chain(inv.clusters.iter().filter_map(|c| c.values.as_ref()));
    for layer in layers {
        let mut copy = layer.clone();
        // Syntax errors surface again, with their place, when the pair renders.
        let _ = values::expand(&mut copy, &mut |e: &str| {
            sources.insert(e.to_string());
            Ok(String::new())
        });
    }
    sources
        .into_iter()
        .map(|src| {
            let compiled = env
                .compile_expression_owned(src.clone())
                .map_err(|e| e.detail().unwrap_or(&e.to_string()).to_string());
            (src, compiled)
        })
        .collect()
}

/// `${ }` failures, by where and what, with the clusters they happen for.
type ExpansionErrors = Mutex<BTreeMap<(Site, String), BTreeSet<String>>>;

/// Renders one placed pair's Application.
fn render_pair(
    inv: &Inventory,
    env: &Environment<'static>,
    ctx: &Contexts,
    conflicts: &ConflictCache,
    expansion_errors: &ExpansionErrors,
    exprs: &Expressions,
    pair: &Pair,
) -> Result<(RenderedApp, String), Vec<Diagnostic>> {
    let app = &inv.apps[pair.app];
    let cluster = &inv.clusters[pair.cluster];
    let team = &inv.teams[app.team];
    let mut diags = Vec::new();
    conflicts.check(inv, pair);

    let base = context! {
        app => ctx.apps[pair.app].clone(),
        cluster => ctx.clusters[pair.cluster].clone(),
        team => ctx.teams[app.team].clone(),
    };
    let layers = layers(inv, pair);
    let mut merged = values::merge(&layers.values);
    let mut eval = |expr: &str| -> Result<String, String> {
        let e = match exprs.get(expr) {
            Some(Ok(e)) => e,
            Some(Err(message)) => return Err(message.clone()),
            None => return Err(format!("`{expr}` was not compiled")),
        };
        let v = e.eval(base.clone()).map_err(|e| describe(&e))?;
        if v.is_undefined() {
            return Err(format!("`{expr}` is undefined"));
        }
        Ok(v.to_string())
    };
    if let Err(errors) = values::expand(&mut merged, &mut eval) {
        let (_, origins) = values::merge_traced(&layers.values);
        for e in errors {
            // The leaf that holds the string: lists are leaves, so an item's
            // pointer extends its list's.
            let origin = origins
                .iter()
                .filter(|o| {
                    e.pointer == o.pointer || e.pointer.starts_with(&format!("{}/", o.pointer))
                })
                .max_by_key(|o| o.pointer.len())
                .map(|o| &layers.origins[o.layer]);
            let path = pointer_segments(&e.pointer);
            let (what, site) = match origin {
                Some((what, site)) => {
                    let mut s = site.clone();
                    // The layer's site ends at its `values` key.
                    s.path.extend(path.iter().cloned());
                    (what.clone(), s)
                }
                None => ("values".to_string(), app.site.clone()),
            };
            let message = format!(
                "in {what}, `{}`: {}",
                crate::error::dotted(&path),
                e.message
            );
            expansion_errors
                .lock()
                .unwrap()
                .entry((site, message))
                .or_default()
                .insert(cluster.name.clone());
        }
        return Err(diags);
    }

    let name_site = Site::file(crate::inventory::SETTINGS_FILE).key("application_name");
    let name = render_template(env, "name", base.clone(), &name_site)?
        .trim()
        .to_string();
    if let Err(e) = k8s::dns1123_subdomain(&name).and_then(|()| {
        if name.len() > 63 {
            Err(format!("it is {} characters long; Argo CD also uses it as a label value, which allows at most 63", name.len()))
        } else if name.starts_with(crate::model::OWN_PREFIX) {
            Err(format!("names starting with `{}` are fleetc's own (root and platform Applications)", crate::model::OWN_PREFIX))
        } else {
            Ok(())
        }
    }) {
        diags.push(
            Diagnostic::at(
                app.site.key("name"),
                format!("Application name `{name}` (app `{}` on cluster `{}`) is not valid: {e}", app.name, cluster.name),
            )
            .help("shorten the app name, give the cluster a `shortName`, or change `application_name` in fleetc.yaml"),
        );
        return Err(diags);
    }

    let path = render_path(env, "layout.application", base.clone())?;
    let policies: Vec<String> = policy_order(inv, pair)
        .into_iter()
        .map(|p| inv.policies[p].name.clone())
        .collect();
    let destination = match inv.settings.mode {
        Mode::PerCluster => {
            json!({"server": IN_CLUSTER, "name": null, "namespace": app.destination_namespace})
        }
        Mode::Hub => {
            json!({"server": null, "name": cluster.name, "namespace": app.destination_namespace})
        }
    };
    // Helm gets the merged values as a document (`helm.values`), so that a
    // null reaches it: Argo CD drops nulls from `helm.valuesObject`.
    let (values, helm_values) = if merged.as_object().is_some_and(|m| !m.is_empty()) {
        let mut text = yaml::to_block(&merged, 0);
        text.push('\n');
        (JValue::from_object(Json(merged)), JValue::from(text))
    } else {
        (JValue::from(()), JValue::from(()))
    };
    let full = context! {
        app => ctx.apps[pair.app].clone(),
        cluster => ctx.clusters[pair.cluster].clone(),
        team => ctx.teams[app.team].clone(),
        settings => ctx.settings.clone(),
        values => values,
        helm_values => helm_values,
        application => context! {
            name => name.clone(),
            namespace => inv.settings.argocd_namespace.clone(),
            policies => policies.clone(),
            sync_wave => app.wave,
            destination => jv(&destination),
            cascade_delete => app.cascade_delete,
        },
    };
    let text = render_manifest(env, "application.yaml.j2", full, inv)?;
    let _ = team;
    Ok((
        RenderedApp {
            cluster: pair.cluster,
            app: pair.app,
            name,
            path,
            policies,
        },
        text,
    ))
}

/// Renders a manifest template and checks the result is one YAML mapping.
fn render_manifest(
    env: &Environment<'static>,
    template: &str,
    ctx: JValue,
    inv: &Inventory,
) -> Result<String, Vec<Diagnostic>> {
    let site = template_site(inv, template);
    let text = render_template(env, template, ctx, &site)?;
    let mut text = text.trim_end().to_string();
    text.push('\n');
    // A user's template may render anything, so its every output is checked.
    // The built-in ones write every value through the `yaml` filters, whose
    // output round-trips by test; the golden and schema tests check their
    // shape, and debug builds (every test run) check each output as well.
    let user_template = !site.file.starts_with("<built-in>");
    if !user_template && !cfg!(debug_assertions) {
        return Ok(text);
    }
    match yaml::check_manifests(&text, template == "namespace.yaml.j2") {
        Ok(()) => Ok(text),
        Err(e) => Err(vec![Diagnostic::at(
            site,
            format!(
                "template rendered invalid YAML, {} at line {} of the output: `{}`",
                e.message,
                e.line.unwrap_or(0),
                e.line
                    .and_then(|l| text.lines().nth(l.saturating_sub(1)))
                    .unwrap_or("")
                    .trim()
            ),
        )
        .help(
            "check the template's indentation; write values with `| yaml` or `| yaml_block(N)`",
        )]),
    }
}

/// Renders one template; a failure is a diagnostic at `site`.
fn render_template(
    env: &Environment<'static>,
    template: &str,
    ctx: JValue,
    site: &Site,
) -> Result<String, Vec<Diagnostic>> {
    let t = env
        .get_template(template)
        .map_err(|e| vec![template_error(site, &e, None)])?;
    t.render(ctx)
        .map_err(|e| vec![template_error(site, &e, Some(t.source()))])
}

/// A manifest and the path its layout gives it.
fn render_file(
    env: &Environment<'static>,
    layout: &str,
    template: &str,
    ctx: JValue,
    inv: &Inventory,
) -> Result<(String, String), Vec<Diagnostic>> {
    let path = render_path(env, layout, ctx.clone())?;
    let text = render_manifest(env, template, ctx, inv)?;
    Ok((path, text))
}

fn template_site(inv: &Inventory, template: &str) -> Site {
    match inv.templates.get(template) {
        Some(user) => user.site.clone(),
        None => Site::file(format!("<built-in>/{template}")),
    }
}

/// Renders an output path and checks it stays inside the output root.
fn render_path(
    env: &Environment<'static>,
    template: &str,
    ctx: JValue,
) -> Result<String, Vec<Diagnostic>> {
    let site = Site::file(crate::inventory::SETTINGS_FILE).key("layout");
    let path = render_template(env, template, ctx, &site)?;
    let path = path.trim().to_string();
    crate::output::check_relative_path(&path).map_err(|why| {
        vec![
            Diagnostic::at(site, format!("output path `{path}` is not allowed: {why}"))
                .help("layout paths are relative, `/`-separated, without `..`"),
        ]
    })?;
    Ok(path)
}

fn describe(e: &minijinja::Error) -> String {
    let mut s = e
        .detail()
        .map(str::to_string)
        .unwrap_or_else(|| e.kind().to_string());
    if e.kind() == minijinja::ErrorKind::UndefinedError && e.detail().is_none() {
        s = "undefined value (an unknown name or field)".to_string();
    }
    s
}

fn pointer_segments(pointer: &str) -> Vec<Seg> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| {
            let s = s.replace("~1", "/").replace("~0", "~");
            match s.parse::<usize>() {
                Ok(i) if !s.starts_with('0') || s == "0" => Seg::Index(i),
                _ => Seg::Key(s),
            }
        })
        .collect()
}

/// Each placed app's dependencies must be placed on the same cluster.
fn check_dependencies(inv: &Inventory, matrix: &Matrix, diags: &mut Vec<Diagnostic>) {
    let mut reported = BTreeSet::new();
    for pair in &matrix.placed {
        let app = &inv.apps[pair.app];
        for (i, &dep) in app.depends_on.iter().enumerate() {
            if matrix.get(pair.cluster, dep).is_none() && reported.insert((pair.app, dep)) {
                let cluster = &inv.clusters[pair.cluster];
                diags.push(
                    Diagnostic::at(
                        app.site.key("depends_on").at(Seg::Index(i)),
                        format!(
                            "app `{}` depends on `{}`, which is not placed on cluster `{}`",
                            app.name, inv.apps[dep].name, cluster.name
                        ),
                    )
                    .help(format!(
                        "place `{}` wherever `{}` goes (add it to the same policy), or remove the dependency",
                        inv.apps[dep].name, app.name
                    )),
                );
            }
        }
    }
}

/// Application names must be unique where Argo CD keeps them (per cluster in
/// per-cluster mode, in the hub otherwise), files unique, and release names
/// unique per destination namespace on a cluster.
fn check_collisions(inv: &Inventory, apps: &[RenderedApp], diags: &mut Vec<Diagnostic>) {
    let mut names: HashMap<(Option<usize>, &str), &RenderedApp> = HashMap::new();
    let mut paths: HashMap<&str, &RenderedApp> = HashMap::new();
    let mut releases: HashMap<(usize, &str, &str), &RenderedApp> = HashMap::new();
    let who = |r: &RenderedApp| {
        format!(
            "app `{}` on cluster `{}`",
            inv.apps[r.app].name, inv.clusters[r.cluster].name
        )
    };
    for r in apps {
        let scope = match inv.settings.mode {
            Mode::PerCluster => Some(r.cluster),
            Mode::Hub => None,
        };
        if let Some(other) = names.insert((scope, &r.name), r) {
            diags.push(
                Diagnostic::at(
                    inv.apps[r.app].site.key("name"),
                    format!("{} and {} both render the Application name `{}`", who(other), who(r), r.name),
                )
                .help("give the clusters distinct `shortName`s, or change `application_name` in fleetc.yaml"),
            );
        }
        if let Some(other) = paths.insert(&r.path, r) {
            diags.push(
                Diagnostic::at(
                    Site::file(crate::inventory::SETTINGS_FILE).key("layout"),
                    format!(
                        "{} and {} both render to the file `{}`",
                        who(other),
                        who(r),
                        r.path
                    ),
                )
                .help("the application layout must name both the cluster and the app"),
            );
        }
        let app = &inv.apps[r.app];
        if let Some(other) = releases.insert(
            (r.cluster, &app.destination_namespace, &app.release_name),
            r,
        ) {
            diags.push(
                Diagnostic::at(
                    app.site.key("name"),
                    format!(
                        "{} and {} both install Helm release `{}` into namespace `{}`",
                        who(other),
                        who(r),
                        app.release_name,
                        app.destination_namespace
                    ),
                )
                .help("set a distinct `release_name` or `destination_namespace` on one of them"),
            );
        }
    }
}

#[derive(Serialize)]
struct Role {
    name: String,
    description: String,
    policies: Vec<String>,
    groups: Vec<String>,
}

/// AppProjects: per cluster for the teams with apps there (per-cluster
/// mode), or one per team with placed apps (hub mode).
fn render_projects(
    inv: &Inventory,
    env: &Environment<'static>,
    ctx: &Contexts,
    out: &mut Rendered,
    diags: &mut Vec<Diagnostic>,
) {
    // team → cluster → placed (so destinations and repos are known).
    let mut by_team: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for r in &out.apps {
        by_team
            .entry(inv.apps[r.app].team)
            .or_default()
            .insert(r.cluster);
    }
    let mut files = Vec::new();
    for (&ti, clusters) in &by_team {
        let team = &inv.teams[ti];
        let source_repos: Vec<String> = match &team.source_repos {
            Some(r) => r.clone(),
            None => inv
                .apps
                .iter()
                .filter(|a| a.team == ti)
                .map(|a| a.repo_url.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
        };
        // Contributors manage the team's Applications; readers may look.
        let roles: Vec<Role> = [
            ("contributor", &team.contributors, "*", "Sync and manage"),
            ("reader", &team.readers, "get", "Read"),
        ]
        .into_iter()
        .filter(|(_, groups, _, _)| !groups.is_empty())
        .map(|(name, groups, action, what)| Role {
            name: name.into(),
            description: format!("{what} the applications of team {}", team.name),
            policies: vec![format!(
                "p, proj:{0}:{name}, applications, {action}, {0}/*, allow",
                team.name
            )],
            groups: groups.clone(),
        })
        .collect();
        let project_for = |destinations: Value| -> JValue {
            jv(json!({
                "source_repos": source_repos,
                "destinations": destinations,
                "roles": roles,
            }))
        };
        match inv.settings.mode {
            Mode::PerCluster => {
                for &ci in clusters {
                    let dests: Vec<Value> = team
                        .namespaces
                        .iter()
                        .map(|ns| json!({"server": IN_CLUSTER, "namespace": ns}))
                        .collect();
                    let c = context! {
                        team => ctx.teams[ti].clone(),
                        cluster => ctx.clusters[ci].clone(),
                        settings => ctx.settings.clone(),
                        project => project_for(Value::Array(dests)),
                    };
                    files.push((Some(ci), "layout.project", c));
                }
            }
            Mode::Hub => {
                let dests: Vec<Value> = clusters
                    .iter()
                    .flat_map(|&ci| {
                        team.namespaces
                            .iter()
                            .map(move |ns| json!({"name": inv.clusters[ci].name, "namespace": ns}))
                    })
                    .collect();
                let c = context! {
                    team => ctx.teams[ti].clone(),
                    settings => ctx.settings.clone(),
                    project => project_for(Value::Array(dests)),
                };
                files.push((None, "layout.hub_project", c));
            }
        }
    }
    for (cluster, layout, c) in files {
        let path = match render_path(env, layout, c.clone()) {
            Ok(p) => p,
            Err(mut d) => {
                diags.append(&mut d);
                continue;
            }
        };
        match render_manifest(env, "appproject.yaml.j2", c, inv) {
            Ok(text) => {
                out.projects.push((cluster, path.clone()));
                add_file(out, path, text, diags);
            }
            Err(mut d) => diags.append(&mut d),
        }
    }
}

/// Each cluster's platform: the Kubernetes namespaces of every team with
/// apps there (with RoleBindings of its groups to `edit` and `view`), the
/// Argo CD Application that applies them, and its AppProject, which allows
/// exactly those Namespaces (by name) and RoleBindings. The AppProject is
/// rendered for every cluster, even one that runs nothing, so that the
/// cluster's folder is never empty: the root Application of an emptied
/// cluster then prunes what left, instead of failing on a missing path.
fn render_platform(
    inv: &Inventory,
    env: &Environment<'static>,
    ctx: &Contexts,
    out: &mut Rendered,
    diags: &mut Vec<Diagnostic>,
) {
    let mut teams_on: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); inv.clusters.len()];
    for r in &out.apps {
        teams_on[r.cluster].insert(inv.apps[r.app].team);
    }
    let repo = inv.settings.deploy_repo.as_ref();
    for (ci, teams) in teams_on.iter().enumerate() {
        let cluster = &inv.clusters[ci];
        let mut namespaces: Vec<&str> = Vec::new();
        let mut ns_paths: Vec<String> = Vec::new();
        for &ti in teams {
            let team = &inv.teams[ti];
            let bindings: Vec<Value> = [
                ("fleetc-contributor", "edit", &team.contributors),
                ("fleetc-reader", "view", &team.readers),
            ]
            .into_iter()
            .filter(|(_, _, groups)| !groups.is_empty())
            .map(|(name, role, groups)| json!({"name": name, "role": role, "groups": groups}))
            .collect();
            for ns in &team.namespaces {
                let c = context! {
                    cluster => ctx.clusters[ci].clone(),
                    team => ctx.teams[ti].clone(),
                    settings => ctx.settings.clone(),
                    namespace => ns.clone(),
                    bindings => jv(&bindings),
                };
                match render_file(env, "layout.namespace", "namespace.yaml.j2", c, inv) {
                    Ok((path, text)) => {
                        out.namespaces.push((ci, path.clone()));
                        ns_paths.push(path.clone());
                        add_file(out, path, text, diags);
                        namespaces.push(ns);
                    }
                    Err(mut d) => diags.append(&mut d),
                }
            }
        }
        // The platform's Argo CD objects read the tree from the deploy repo.
        let Some(repo) = repo else { continue };
        namespaces.sort_unstable();
        let (server, name) = match inv.settings.mode {
            Mode::PerCluster => (Some(IN_CLUSTER), None),
            Mode::Hub => (None, Some(cluster.name.as_str())),
        };
        // The namespaces, and no namespace at all: the platform Application
        // has none of its own (it applies Namespaces, and RoleBindings that
        // name theirs), and Argo CD checks that too against the project.
        let destinations: Vec<Value> = (!namespaces.is_empty())
            .then_some("")
            .into_iter()
            .chain(namespaces.iter().copied())
            .map(|ns| match server {
                Some(s) => json!({"namespace": ns, "server": s}),
                None => json!({"name": name, "namespace": ns}),
            })
            .collect();
        let project = format!("{}{}", crate::model::OWN_PREFIX, cluster.name);
        let deploy_repo = context! { url => repo.url.clone(), branch => repo.branch.clone() };
        let base = context! {
            cluster => ctx.clusters[ci].clone(),
            settings => ctx.settings.clone(),
            deploy_repo => deploy_repo,
        };
        let mut files = vec![(
            "layout.platform_project",
            "platform-project.yaml.j2",
            context! {
                project => context! {
                    name => project.clone(),
                    destinations => jv(&destinations),
                    namespaces => jv(&namespaces),
                },
                ..base.clone()
            },
        )];
        if !namespaces.is_empty() {
            let folder = common_folder(ns_paths.iter().map(String::as_str));
            files.push((
                "layout.platform_application",
                "platform-application.yaml.j2",
                context! {
                    platform => context! {
                        name => format!("{project}-namespaces"),
                        project => project.clone(),
                        path => prefixed(&repo.path, &folder),
                        destination => jv(json!({"server": server, "name": name})),
                    },
                    ..base.clone()
                },
            ));
        }
        for (layout, template, c) in files {
            match render_file(env, layout, template, c, inv) {
                Ok((path, text)) => {
                    out.platform.push((ci, path.clone()));
                    add_file(out, path, text, diags);
                }
                Err(mut d) => diags.append(&mut d),
            }
        }
    }
}

/// `folder` inside the deploy repo's `path`.
fn prefixed(repo_path: &str, folder: &str) -> String {
    match (repo_path.is_empty(), folder) {
        (true, _) => folder.to_string(),
        (false, ".") => repo_path.to_string(),
        (false, _) => format!("{repo_path}/{folder}"),
    }
}

/// The root Application of every cluster in the inventory: it syncs the
/// cluster's folder (`layout.root`) and prunes what leaves it. In hub mode
/// one more syncs the teams' AppProjects. Each root's folder must hold
/// exactly what that root applies, and the folder of a cluster's namespaces
/// none of it: a file in the wrong folder would be applied twice, or by the
/// wrong Application, or pruned by it.
fn render_roots(
    inv: &Inventory,
    env: &Environment<'static>,
    ctx: &Contexts,
    out: &mut Rendered,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(repo) = &inv.settings.deploy_repo else {
        out.notes.push(
            "no `deploy_repo` in fleetc.yaml, so no root or platform Applications (bootstrap/) were rendered; apply each cluster's files yourself"
                .to_string(),
        );
        return;
    };
    // What each root applies: apps, per-cluster projects, platform files.
    let mut owned: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); inv.clusters.len()];
    for r in &out.apps {
        owned[r.cluster].insert(&r.path);
    }
    for (c, p) in &out.projects {
        if let Some(ci) = c {
            owned[*ci].insert(p);
        }
    }
    for (ci, p) in &out.platform {
        owned[*ci].insert(p);
    }
    let mut folders: Vec<(String, String, BTreeSet<&str>)> = Vec::new();
    let mut roots = Vec::new();
    for (ci, files) in owned.into_iter().enumerate() {
        let base = context! { cluster => ctx.clusters[ci].clone() };
        let folder = match render_path(env, "layout.root", base) {
            Ok(f) => f,
            Err(mut d) => {
                diags.append(&mut d);
                continue;
            }
        };
        let name = format!("{}{}", crate::model::OWN_PREFIX, inv.clusters[ci].name);
        folders.push((format!("root Application `{name}`"), folder.clone(), files));
        roots.push((Some(ci), name, folder));
    }
    let hub_projects: BTreeSet<&str> = out
        .projects
        .iter()
        .filter(|(c, _)| c.is_none())
        .map(|(_, p)| p.as_str())
        .collect();
    if !hub_projects.is_empty() {
        let folder = common_folder(hub_projects.iter().copied());
        let name = format!("{}projects", crate::model::OWN_PREFIX);
        folders.push((
            format!("root Application `{name}`"),
            folder.clone(),
            hub_projects,
        ));
        roots.push((None, name, folder));
    }
    let mut ns_files: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); inv.clusters.len()];
    for (ci, p) in &out.namespaces {
        ns_files[*ci].insert(p);
    }
    for (ci, files) in ns_files.into_iter().enumerate() {
        if !files.is_empty() {
            let name = format!(
                "{}{}-namespaces",
                crate::model::OWN_PREFIX,
                inv.clusters[ci].name
            );
            let folder = common_folder(files.iter().copied());
            folders.push((format!("platform Application `{name}`"), folder, files));
        }
    }
    check_folders(&out.files, &folders, diags);

    for (cluster, name, folder) in roots {
        let base = match cluster {
            Some(ci) => context! { cluster => ctx.clusters[ci].clone() },
            None => context! { cluster => JValue::from(()) },
        };
        let c = context! {
            settings => ctx.settings.clone(),
            deploy_repo => context! { url => repo.url.clone(), branch => repo.branch.clone() },
            root => context! { name => name, path => prefixed(&repo.path, &folder) },
            ..base.clone()
        };
        if cluster.is_none() {
            // Hub mode's projects root has no cluster; its path is fixed.
            let text = match render_manifest(env, "root-application.yaml.j2", c, inv) {
                Ok(t) => t,
                Err(mut d) => {
                    diags.append(&mut d);
                    continue;
                }
            };
            add_file(out, "bootstrap/projects.yaml".to_string(), text, diags);
            continue;
        }
        let path = match render_path(env, "layout.bootstrap", base) {
            Ok(p) => p,
            Err(mut d) => {
                diags.append(&mut d);
                continue;
            }
        };
        match render_manifest(env, "root-application.yaml.j2", c, inv) {
            Ok(text) => add_file(out, path, text, diags),
            Err(mut d) => diags.append(&mut d),
        }
    }
}

/// Each (Application, folder, files it applies): the files are in the
/// folder, and the folder holds nothing else. One error per folder.
fn check_folders(
    files: &BTreeMap<String, String>,
    folders: &[(String, String, BTreeSet<&str>)],
    diags: &mut Vec<Diagnostic>,
) {
    let site = Site::file(crate::inventory::SETTINGS_FILE).key("layout");
    for (who, folder, owned) in folders {
        let inside = |p: &str| {
            folder == "."
                || p.strip_prefix(folder.as_str())
                    .is_some_and(|r| r.starts_with('/'))
        };
        let problem = match owned.iter().find(|p| !inside(p)) {
            Some(p) => Some(format!(
                "{who} syncs the folder `{folder}`, but `{p}`, which it must apply, is outside it"
            )),
            None => {
                let start = if folder == "." {
                    String::new()
                } else {
                    format!("{folder}/")
                };
                files
                    .range(start.clone()..)
                    .take_while(|(p, _)| p.starts_with(&start))
                    .find(|(p, _)| !owned.contains(p.as_str()))
                    .map(|(p, _)| format!("{who} syncs the folder `{folder}`, which also holds `{p}`: it would apply (and prune) a file that is not its own"))
            }
        };
        if let Some(message) = problem {
            diags.push(Diagnostic::at(site.clone(), message).help(
                "a cluster's apps, projects and platform files go under its `layout.root` folder (default `clusters/{{ cluster.name }}`), and its namespaces outside it, in a folder of their own",
            ));
        }
    }
}

/// The deepest folder that holds every path (`.` when they share none).
fn common_folder<'a>(paths: impl Iterator<Item = &'a str>) -> String {
    let mut common: Option<Vec<&str>> = None;
    for p in paths {
        let parts: Vec<&str> = p.split('/').collect();
        let dir = &parts[..parts.len().saturating_sub(1)];
        common = Some(match common {
            None => dir.to_vec(),
            Some(c) => c
                .iter()
                .zip(dir)
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| *a)
                .collect(),
        });
    }
    let c = common.unwrap_or_default();
    if c.is_empty() {
        ".".to_string()
    } else {
        c.join("/")
    }
}

fn add_file(out: &mut Rendered, path: String, text: String, diags: &mut Vec<Diagnostic>) {
    if out.files.contains_key(&path) {
        diags.push(
            Diagnostic::at(
                Site::file(crate::inventory::SETTINGS_FILE).key("layout"),
                format!("two manifests render to the same file `{path}`"),
            )
            .help("each layout path must name what makes its file unique (cluster, app, team)"),
        );
        return;
    }
    out.files.insert(path, text);
}
