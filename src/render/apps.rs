//! One Application per placed pair: merged values with `${ }` expanded, the
//! name and the file it gets, and the collisions between them.

use std::collections::{BTreeMap, HashMap};

use minijinja::{context, Environment, Value as JValue};
use serde_json::{json, Value};

use super::builtin;
use super::env::{
    describe, jv, render_manifest, render_path, render_template, template_site, within_limit, Json,
};
use super::source::{self, ExpansionErrors};
use super::{Contexts, RenderedApp};
use crate::base::error::{pointer_path, Diagnostic, Site};
use crate::base::watch::{self, Watch};
use crate::base::yaml;
use crate::check::{App, Inventory, Mode, IN_CLUSTER};
use crate::merge::{self, Conflicts};
use crate::place::delivery::{self, Plan};
use crate::place::matrix::{self, Pair};
use crate::rules::helm;
use crate::rules::k8s;

const APPLICATION_TEMPLATE: &str = "application.yaml.j2";

/// Every `${ }` expression of the inventory, compiled once, with what its
/// value depends on.
pub(super) type Expressions<'env> =
    HashMap<String, Result<(minijinja::Expression<'env, 'static>, Scope), String>>;

/// What an expression reads, so its value can be shared: one that names
/// only `cluster` has one value per cluster, whatever the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scope {
    Constant,
    Cluster,
    App,
    Team,
    Pair,
}

impl Scope {
    fn of(e: &minijinja::Expression) -> Scope {
        let names = e.undeclared_variables(false);
        let only = |n: &str| names.iter().all(|v| v == n);
        if names.is_empty() {
            Scope::Constant
        } else if only("cluster") {
            Scope::Cluster
        } else if only("app") {
            Scope::App
        } else if only("team") {
            Scope::Team
        } else {
            Scope::Pair
        }
    }

    /// The key under which a pair's value of the expression is shared, or
    /// `None` when it is the pair's own.
    fn key(self, pair: &Pair, team: usize) -> Option<usize> {
        match self {
            Scope::Constant => Some(0),
            Scope::Cluster => Some(pair.cluster),
            Scope::App => Some(pair.app),
            Scope::Team => Some(team),
            Scope::Pair => None,
        }
    }
}

/// Values of expressions already evaluated, by expression and scope key
/// (one per rayon work item: consecutive pairs share their cluster).
pub(super) type Memo<'e> = HashMap<(&'e str, usize), Result<String, String>>;

pub(super) fn compile_expressions<'env>(
    inv: &Inventory,
    env: &'env Environment<'static>,
    watch: &dyn Watch,
) -> Expressions<'env> {
    // Each expression with the first file that writes it.
    let mut sources: BTreeMap<String, &std::path::Path> = BTreeMap::new();
    fn tools(t: &crate::check::Tools) -> impl Iterator<Item = &Value> {
        t.iter().map(|(_, v)| v)
    }
    let layers = inv
        .apps
        .iter()
        .flat_map(|a| {
            a.values
                .iter()
                .chain(a.overrides.values())
                .chain(tools(&a.tools))
                .chain(a.tool_overrides.values().flat_map(tools))
                .map(move |v| (v, &a.site.file))
        })
        .chain(inv.policies.iter().flat_map(|p| {
            p.values
                .iter()
                .chain(tools(&p.tools))
                .map(move |v| (v, &p.site.file))
        }))
        .chain(inv.clusters.iter().flat_map(|c| {
            c.values
                .iter()
                .chain(tools(&c.tools))
                .map(move |v| (v, &c.site.file))
        }));
    for (layer, file) in layers {
        let mut copy = layer.clone();
        // Syntax errors surface again, with their place, when the pair renders.
        let _ = helm::expand(&mut copy, &mut |e: &str| {
            sources.entry(e.to_string()).or_insert(file);
            Ok(String::new())
        });
    }
    sources
        .into_iter()
        .map(|(src, file)| {
            // Compiling folds constants, so it can be where a value explodes.
            let _task = watch::task(
                watch,
                file,
                format_args!(
                    "compiling `${{ {} }}`",
                    src.chars().take(60).collect::<String>()
                ),
            );
            let compiled = env
                .compile_expression_owned(src.clone())
                .map(|e| {
                    let scope = Scope::of(&e);
                    (e, scope)
                })
                .map_err(|e| e.detail().unwrap_or(&e.to_string()).to_string());
            (src, compiled)
        })
        .collect()
}

/// The fix of a `${ }` that fails.
const REFERENCES_HELP: &str = "references can use `cluster` (name, shortName, environment, metadata, ...), `app` and `team`; write `$${` for a literal `${`";

/// What every pair's render reads, and where it records conflicts and
/// failed expressions.
pub(super) struct Shared<'a> {
    pub inv: &'a Inventory,
    pub plan: &'a Plan,
    pub env: &'a Environment<'static>,
    pub ctx: &'a Contexts,
    pub conflicts: &'a Conflicts,
    pub expansion_errors: &'a ExpansionErrors,
    pub exprs: &'a Expressions<'a>,
    pub watch: &'a dyn Watch,
}

/// Renders one placed pair's Application.
pub(super) fn render_pair<'a>(
    shared: &Shared<'a>,
    memo: &mut Memo<'a>,
    pair: &Pair,
) -> Result<(RenderedApp, String), Vec<Diagnostic>> {
    let Shared {
        inv,
        plan,
        env,
        ctx,
        conflicts,
        expansion_errors,
        exprs,
        watch,
    } = *shared;
    let app = &inv.apps[pair.app];
    let cluster = &inv.clusters[pair.cluster];
    conflicts.check(inv, pair);
    let _task = watch::task(
        watch,
        &app.site.file,
        format_args!("rendering app `{}` on cluster `{}`", app.name, cluster.name),
    );

    let base = context! {
        app => ctx.apps[pair.app].clone(),
        cluster => ctx.clusters[pair.cluster].clone(),
        team => ctx.teams[app.team].clone(),
    };
    let mut expand =
        |layers: &merge::Layers| merged(inv, pair, layers, &base, exprs, memo, expansion_errors);
    let tool_layers = merge::tool_layers(inv, plan, pair);
    let (Some(merged), Some(settings)) = (
        expand(&merge::layers(inv, plan, pair)),
        expand(&tool_layers),
    ) else {
        return Err(Vec::new());
    };
    let Some(source) = source::source(inv, pair, &tool_layers, settings, expansion_errors) else {
        return Err(Vec::new());
    };
    let name = application_name(inv, env, pair, base.clone())?;
    let path = if inv.settings.layout.application == crate::check::DEFAULT_APPLICATION_LAYOUT {
        builtin::application_path(app, cluster)?
    } else {
        render_path(env, "layout.application", base.clone())?
    };
    let policies: Vec<String> = matrix::policy_order(inv, pair)
        .into_iter()
        .map(|p| inv.policies[p].name.clone())
        .collect();
    let revision = delivery::revision(inv, pair);
    let rollout = revision.ring.as_ref().map(|r| {
        let rollout = delivery::rollout_of(inv, pair, r.owner);
        builtin::RolloutNote {
            name: delivery::owner_name(inv, pair, r.owner),
            ring: r
                .ring
                .and_then(|i| rollout.and_then(|ro| ro.order.get(i)))
                .cloned(),
            state: if r.reached { "promoted" } else { "waiting" },
        }
    });
    let (server, cluster_name) = match inv.settings.mode {
        Mode::PerCluster => (Some(IN_CLUSTER), None),
        Mode::Hub => (None, Some(cluster.name.as_str())),
    };
    let helm_values = (source.helm.is_some() && merged.as_object().is_some_and(|m| !m.is_empty()))
        .then(|| {
            let mut text = yaml::to_block(&merged, 0);
            text.push('\n');
            text
        });
    let made = builtin::Application {
        name: &name,
        namespace: &inv.settings.argocd_namespace,
        policies: &policies,
        revision: &revision.value,
        rollout: rollout.as_ref(),
        wave: app.wave,
        destination: (server, cluster_name),
        cascade_delete: app.cascade_delete,
        source: &source,
        helm_values: helm_values.as_deref(),
    };
    // The built-in template, written out in Rust; a user's template is held
    // to its source.
    let builtin_text = || builtin::application(&made, app, cluster, &inv.teams[app.team]);
    let user_template = inv.templates.contains_key(APPLICATION_TEMPLATE);
    let text = if user_template {
        let full = user_context(ctx, pair, app, &made, &merged);
        let text = render_manifest(
            env,
            APPLICATION_TEMPLATE,
            full,
            inv,
            Some((&app.name, &cluster.name)),
        )?;
        check_template_source(inv, pair, &text, &revision.value, &builtin_text())?;
        text
    } else {
        let text = builtin_text();
        within_limit(
            text,
            &template_site(inv, APPLICATION_TEMPLATE),
            inv,
            Some((&app.name, &cluster.name)),
        )?
    };
    let (text, patched) = match super::patch::apply(inv, pair, &text)? {
        Some(patched) => (
            within_limit(
                patched,
                &template_site(inv, APPLICATION_TEMPLATE),
                inv,
                Some((&app.name, &cluster.name)),
            )?,
            true,
        ),
        None => (text, false),
    };
    // What the built-in template wrote in the head, as it wrote it.
    let head = (!user_template && !patched).then(|| {
        Box::new(super::Head {
            revision: revision.value.clone(),
            rollout: rollout
                .as_ref()
                .map(|r| (r.name.clone(), r.ring.clone(), r.state.to_string())),
        })
    });
    Ok((
        RenderedApp {
            cluster: pair.cluster,
            app: pair.app,
            name,
            path,
            policies,
            inputs: [0; 32],
            reused: None,
            head,
        },
        text,
    ))
}

/// Everything a user's Application template may read: the app, cluster,
/// team and settings, the merged values, and the Application fleetc
/// would write (`application`).
fn user_context(
    ctx: &Contexts,
    pair: &Pair,
    app: &App,
    made: &builtin::Application<'_>,
    merged: &Value,
) -> JValue {
    let (server, cluster_name) = made.destination;
    let source = made.source;
    let destination = json!({
        "server": server,
        "name": cluster_name,
        "namespace": app.destination_namespace,
    });
    // Helm gets the merged values as a document (`helm.values`), so that a
    // null reaches it: Argo CD drops nulls from `helm.valuesObject`.
    let (values, helm_values) = match made.helm_values {
        Some(text) => (
            JValue::from_object(Json(merged.clone())),
            JValue::from(text),
        ),
        None => (JValue::from(()), JValue::from(())),
    };
    context! {
        app => ctx.apps[pair.app].clone(),
        cluster => ctx.clusters[pair.cluster].clone(),
        team => ctx.teams[app.team].clone(),
        settings => ctx.settings.clone(),
        values => values,
        helm_values => helm_values,
        application => context! {
            name => made.name,
            revision => made.revision,
            rollout => made.rollout.map(|r| context! {
                name => r.name.clone(),
                ring => r.ring.clone(),
                state => r.state,
            }),
            namespace => made.namespace,
            policies => made.policies.to_vec(),
            sync_wave => made.wave,
            destination => jv(&destination),
            cascade_delete => made.cascade_delete,
            source_type => app.source_type.map(|t| t.name()),
            repo_url => source.repo_url,
            helm => source.helm.as_ref().map(jv),
            kustomize => source.kustomize.as_ref().map(jv),
            directory => source.directory.as_ref().map(jv),
            values_repo => source.values_repo.map(|r| context! {
                url => r.url.clone(),
                revision => r.revision.clone(),
                ref => source::VALUES_REF,
            }),
        },
    }
}

/// A user's Application template must write the pair's revision (pins,
/// rollouts, overrides), not the app's `repo_branch`, and the source as
/// fleetc gives it: the same sources, exactly the tool block of the app's
/// type, and every field fleetc sets in them (value files, the values
/// repo, the Kustomize settings, an OCI chart's `repoURL`), else they
/// would be lost without a word, or Argo CD would build the source as
/// another type. It may add fields of its own.
fn check_template_source(
    inv: &Inventory,
    pair: &Pair,
    text: &str,
    want: &str,
    builtin: &str,
) -> Result<(), Vec<Diagnostic>> {
    let parse = |t: &str| {
        yaml::parse_yaml(t)
            .ok()
            .and_then(|d| d.into_iter().next())
            .map(|d| d.value)
            .unwrap_or_default()
    };
    let (doc, fleetcs) = (parse(text), parse(builtin));
    let written = crate::rules::argocd::primary_source(&doc)
        .and_then(|s| s.get("targetRevision"))
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string));
    let (app, cluster) = (&inv.apps[pair.app], &inv.clusters[pair.cluster]);
    let who = format!("app `{}` on cluster `{}`", app.name, cluster.name);
    let error = |message: String, help: &str| {
        Err(vec![Diagnostic::at(
            template_site(inv, APPLICATION_TEMPLATE),
            message,
        )
        .help(help)])
    };
    if written.as_deref() != Some(want) {
        return error(
            format!(
                "the Application template writes targetRevision `{}` for {who}, whose revision is `{want}` (a pin, rollout or override; `fleetc explain {} {}` says which)",
                written.as_deref().unwrap_or("(none)"),
                app.name,
                cluster.name
            ),
            "write `targetRevision: {{ application.revision | yaml }}` instead of `app.repo_branch`",
        );
    }
    let sources = |d: &Value| -> (&'static str, Vec<Value>) {
        let at = match d.pointer("/spec/sources").and_then(Value::as_array) {
            Some(_) => "spec.sources",
            None => "spec.source",
        };
        (
            at,
            crate::rules::argocd::sources(d)
                .into_iter()
                .cloned()
                .collect(),
        )
    };
    let ((theirs_at, theirs), (ours_at, ours)) = (sources(&doc), sources(&fleetcs));
    const FIX: &str = "write the source as the built-in `application.yaml.j2` does, from `application.repo_url`, `application.helm`, `application.kustomize`, `application.directory` and `application.values_repo`";
    if theirs_at != ours_at || theirs.len() != ours.len() {
        return error(
            format!(
                "the Application template writes {} ({} of them) for {who}, which needs {ours_at} ({}){}",
                theirs_at,
                theirs.len(),
                ours.len(),
                if app.values_repo.is_some() { ": its value files are in a values repo, a second source" } else { "" }
            ),
            FIX,
        );
    }
    for (i, (t, o)) in theirs.iter().zip(&ours).enumerate() {
        let (tb, ob) = (
            crate::rules::argocd::tool_blocks(t),
            crate::rules::argocd::tool_blocks(o),
        );
        if tb != ob {
            let what = |b: &[&str]| match b {
                [] => "no tool block".to_string(),
                [one] => format!("a `{one}` block"),
                many => format!("the blocks `{}`", many.join("`, `")),
            };
            return error(
                format!(
                    "the Application template writes {} for {who}, which needs {} (Argo CD reads the block as the source's type)",
                    what(&tb),
                    what(&ob),
                ),
                FIX,
            );
        }
        let mut o = o.clone();
        if let Some(h) = o.get_mut("helm").and_then(Value::as_object_mut) {
            // The values text is the template's to write as it likes.
            h.remove("values");
        }
        if let Some((at, theirs_v, ours_v)) = first_missing(&o, t, String::new()) {
            let place = if ours_at == "spec.sources" {
                format!("spec.sources[{i}]{at}")
            } else {
                format!("spec.source{at}")
            };
            return error(
                format!(
                    "the Application template writes `{place}` as {} for {who}; fleetc gives {}",
                    theirs_v.map_or("nothing".to_string(), |v| format!(
                        "`{}`",
                        yaml::to_inline(v)
                    )),
                    format_args!("`{}`", yaml::to_inline(ours_v)),
                ),
                FIX,
            );
        }
    }
    Ok(())
}

/// The first place where `have` lacks or changes what `want` has: its
/// dotted path, what `have` has there, and what `want` has.
fn first_missing<'a>(
    want: &'a Value,
    have: &'a Value,
    at: String,
) -> Option<(String, Option<&'a Value>, &'a Value)> {
    match (want, have) {
        (Value::Object(w), Value::Object(h)) => w.iter().find_map(|(k, wv)| match h.get(k) {
            Some(hv) => first_missing(wv, hv, format!("{at}.{k}")),
            None => Some((format!("{at}.{k}"), None, wv)),
        }),
        _ if want == have => None,
        _ => Some((at, Some(have), want)),
    }
}

/// Layers of the pair (its values, or its source settings), merged and
/// with `${ }` expanded; `None` when an expression fails (recorded in
/// `expansion_errors`, with the file and path of the layer that wrote the
/// string).
fn merged<'e>(
    inv: &Inventory,
    pair: &Pair,
    layers: &merge::Layers,
    base: &JValue,
    exprs: &'e Expressions,
    memo: &mut Memo<'e>,
    expansion_errors: &ExpansionErrors,
) -> Option<Value> {
    let app = &inv.apps[pair.app];
    let mut merged = helm::merge(&layers.values);
    let mut eval = |expr: &str| -> Result<String, String> {
        let (src, e, scope) = match exprs.get_key_value(expr) {
            Some((src, Ok((e, scope)))) => (src.as_str(), e, *scope),
            Some((_, Err(message))) => return Err(message.clone()),
            None => return Err(format!("`{expr}` was not compiled")),
        };
        let Some(key) = scope.key(pair, app.team) else {
            return evaluate(e, expr, base, inv);
        };
        memo.entry((src, key))
            .or_insert_with(|| evaluate(e, expr, base, inv))
            .clone()
    };
    let Err(errors) = helm::expand(&mut merged, &mut eval) else {
        return Some(merged);
    };
    for e in errors {
        let path = pointer_path(&merged, &e.pointer);
        let (what, site) = layers
            .origin(&e.pointer)
            .unwrap_or_else(|| ("values".to_string(), app.site.clone()));
        let message = format!(
            "in {what}, `{}`: {}",
            crate::base::error::dotted(&path),
            e.message
        );
        expansion_errors
            .lock()
            .unwrap()
            .entry((site, message, REFERENCES_HELP.to_string()))
            .or_default()
            .insert(inv.clusters[pair.cluster].name.clone());
    }
    None
}

/// One expression's value for the pair whose context is `base`, as the
/// text to put into its string.
fn evaluate(
    e: &minijinja::Expression,
    expr: &str,
    base: &JValue,
    inv: &Inventory,
) -> Result<String, String> {
    let value_limit = inv.settings.limits.value_bytes;
    let v = e.eval(base.clone()).map_err(|e| describe(&e))?;
    if v.is_undefined() {
        return Err(format!("`{expr}` is undefined"));
    }
    if v.as_object().is_some() || v.kind() == minijinja::value::ValueKind::Map {
        return Err(format!(
            "`{expr}` is a mapping, not a value to write into a string"
        ));
    }
    if f64::try_from(v.clone()).is_ok_and(|f| !f.is_finite()) {
        return Err(format!("`{expr}` is not a finite number"));
    }
    let text = v.to_string();
    if text.len() > value_limit {
        return Err(format!(
            "`{expr}` gives {} bytes, over the limit of {value_limit} for a value (raise it with {})",
            text.len(),
            crate::base::limits::setting("value_bytes")
        ));
    }
    Ok(text)
}

/// The Application's name from the name template: a DNS-1123 subdomain,
/// at most 63 characters (Argo CD uses it as a label value), not fleetc's.
fn application_name(
    inv: &Inventory,
    env: &Environment<'static>,
    pair: &Pair,
    base: JValue,
) -> Result<String, Vec<Diagnostic>> {
    let (app, cluster) = (&inv.apps[pair.app], &inv.clusters[pair.cluster]);
    let name_site = Site::file(crate::load::SETTINGS_FILE).key("application_name");
    let name = if inv.settings.application_name == crate::check::DEFAULT_APPLICATION_NAME {
        builtin::application_name(app, cluster)
    } else {
        render_template(env, "name", base, &name_site)?
            .trim()
            .to_string()
    };
    let valid = k8s::dns1123_subdomain(&name).and_then(|()| {
        if name.len() > 63 {
            Err(format!("it is {} characters long; Argo CD also uses it as a label value, which allows at most 63", name.len()))
        } else if name.starts_with(crate::check::OWN_PREFIX) {
            Err(format!("names starting with `{}` are fleetc's own (root and platform Applications)", crate::check::OWN_PREFIX))
        } else {
            Ok(())
        }
    });
    match valid {
        Ok(()) => Ok(name),
        Err(e) => Err(vec![Diagnostic::at(
            app.site.key("name"),
            format!("Application name `{name}` (app `{}` on cluster `{}`) is not valid: {e}", app.name, cluster.name),
        )
        .help("shorten the app name, give the cluster a `shortName`, or change `application_name` in fleetc.yaml")]),
    }
}

/// Application names must be unique where Argo CD keeps them (per cluster in
/// per-cluster mode, in the hub otherwise), files unique, and release names
/// unique per destination namespace on a cluster.
pub(super) fn check_collisions(inv: &Inventory, apps: &[RenderedApp], diags: &mut Vec<Diagnostic>) {
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
                .help(if other.cluster == r.cluster {
                    "give one of the apps another name, or change `application_name` in fleetc.yaml so it names the app whole"
                } else {
                    "give the clusters distinct `shortName`s, or change `application_name` in fleetc.yaml"
                }),
            );
        }
        if let Some(other) = paths.insert(&r.path, r) {
            diags.push(
                Diagnostic::at(
                    Site::file(crate::load::SETTINGS_FILE).key("layout"),
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
        if !app.is_helm() {
            continue;
        }
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

#[cfg(test)]
mod tests {
    use super::Scope;

    /// A value is shared only between pairs that give the expression the
    /// same variables: anything naming two of them, or any other name, is
    /// the pair's own.
    #[test]
    fn an_expression_s_scope_is_what_it_names() {
        let env = minijinja::Environment::new();
        for (src, want) in [
            ("1 + 2", Scope::Constant),
            ("cluster.name", Scope::Cluster),
            ("cluster.metadata.region | upper", Scope::Cluster),
            ("app.name ~ '-x'", Scope::App),
            ("team.name", Scope::Team),
            ("cluster.name ~ app.name", Scope::Pair),
            ("cluster[app.name]", Scope::Pair),
            ("values.x", Scope::Pair),
        ] {
            let e = env.compile_expression(src).unwrap();
            assert_eq!(Scope::of(&e), want, "{src}");
        }
    }
}
