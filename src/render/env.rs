//! The template environment: the built-in templates (each replaced by a
//! user's file of the same name), the Application name and the output
//! layout, the filters that write YAML safely, and rendering one template
//! into a checked manifest or a checked path.

use minijinja::{Environment, UndefinedBehavior, Value as JValue};
use serde::Serialize;
use serde_json::Value;

use crate::base::error::{Diagnostic, Site};
use crate::base::yaml;
use crate::check::Inventory;

/// The built-in templates: (file name, text).
pub(super) const BUILTIN_TEMPLATES: &[(&str, &str)] = &[
    (
        "application.yaml.j2",
        include_str!("../../templates/application.yaml.j2"),
    ),
    (
        "appproject.yaml.j2",
        include_str!("../../templates/appproject.yaml.j2"),
    ),
    (
        "root-application.yaml.j2",
        include_str!("../../templates/root-application.yaml.j2"),
    ),
    (
        "platform-project.yaml.j2",
        include_str!("../../templates/platform-project.yaml.j2"),
    ),
    (
        "platform-application.yaml.j2",
        include_str!("../../templates/platform-application.yaml.j2"),
    ),
    (
        "namespace.yaml.j2",
        include_str!("../../templates/namespace.yaml.j2"),
    ),
];

/// Builds the template environment: built-ins, the user's overrides, the
/// name template and the layout.
pub(super) fn environment(inv: &Inventory) -> Result<Environment<'static>, Vec<Diagnostic>> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Quoting is the `yaml` filter's job; minijinja would JSON-escape `.yaml`.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_fuel(Some(inv.settings.limits.fuel));
    // Debug dumps are no values to deploy.
    env.remove_filter("pprint");
    env.remove_global("debug");
    env.set_recursion_limit(64);
    // In every build, not only debug ones: an undefined value's error then
    // names the expression (`app.team` is undefined), not just its kind.
    env.set_debug(true);
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
        let text = inv.templates.get(*name).map_or(*builtin, |user| &user.raw);
        if let Err(e) = env.add_template_owned(name.to_string(), text.to_string()) {
            diags.push(template_error(&template_site(inv, name), &e, Some(text)));
        }
    }
    let settings_site = Site::file(crate::load::SETTINGS_FILE);
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
pub(super) fn unknown_templates(inv: &Inventory) -> Vec<Diagnostic> {
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
                    crate::base::suggest::hint(name, &names)
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
pub(super) struct Json(pub(super) Value);

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
pub(super) fn jv<T: Serialize>(v: T) -> JValue {
    JValue::from(minijinja::value::Serde(v))
}

pub(super) fn to_json(v: &JValue) -> Result<Value, minijinja::Error> {
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
pub(super) fn template_error(
    site: &Site,
    e: &minijinja::Error,
    source: Option<&str>,
) -> Diagnostic {
    let mut d = Diagnostic::at(
        site.clone(),
        format!("template: {}", e.detail().unwrap_or(&e.to_string())),
    );
    d.help = Some(
        "the built-in templates (in fleetc's `templates/`) show every variable a template may use; `| yaml` and `| yaml_block(N)` write values safely".to_string(),
    );
    if e.kind() == minijinja::ErrorKind::OutOfFuel {
        d.help = Some(format!(
            "one render may take at most `limits.fuel` steps; a template should not loop over much more than the app and cluster at hand (raise it with {})",
            crate::base::limits::setting("fuel")
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

/// Renders a manifest template and checks the result is one YAML mapping.
/// `pair` (app, cluster) is named in a size error: a limit depends on the
/// pair, while a template's own mistake does not, and stays one error
/// however many pairs meet it.
pub(super) fn render_manifest(
    env: &Environment<'static>,
    template: &str,
    ctx: JValue,
    inv: &Inventory,
    pair: Option<(&str, &str)>,
) -> Result<String, Vec<Diagnostic>> {
    let site = template_site(inv, template);
    let text = render_template(env, template, ctx.clone(), &site)?;
    let text = within_limit(text, &site, inv, pair)?;
    // A user's template may render anything, so its every output is checked.
    // The built-in ones write every value through the `yaml` filters, whose
    // output round-trips by test; the golden and schema tests check their
    // shape, and debug builds (every test run) check each output as well.
    let user_template = !site.file.starts_with("<built-in>");
    if !user_template && !cfg!(debug_assertions) {
        return Ok(text);
    }
    checked(text, template, &site, &ctx)
}

/// A rendered manifest ending in one newline, refused when it is over
/// `limits.manifest_bytes`.
pub(super) fn within_limit(
    text: String,
    site: &Site,
    inv: &Inventory,
    pair: Option<(&str, &str)>,
) -> Result<String, Vec<Diagnostic>> {
    let mut text = text;
    text.truncate(text.trim_end().len());
    text.push('\n');
    let limit = inv.settings.limits.manifest_bytes;
    if text.len() > limit {
        let mut message = format!(
            "a manifest rendered by this template is {} bytes, over the limit of {limit} (etcd refuses objects over 1.5 MB)",
            text.len()
        );
        if let Some((app, cluster)) = pair {
            message.push_str(&format!(" (rendering app `{app}` on cluster `{cluster}`)"));
        }
        return Err(vec![Diagnostic::at(site.clone(), message)
        .help(format!(
            "keep big values out of Helm values (a ConfigMap in the app's repo), or raise the limit with {}",
            crate::base::limits::setting("manifest_bytes")
        ))]);
    }
    Ok(text)
}

/// `text` parses as the manifest `template` renders, of the kind and name
/// it is for.
fn checked(
    text: String,
    template: &str,
    site: &Site,
    ctx: &JValue,
) -> Result<String, Vec<Diagnostic>> {
    let site = site.clone();
    let several = template == "namespace.yaml.j2";
    if let Err(e) = yaml::check_manifests(&text, several) {
        return Err(vec![Diagnostic::at(
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
        )]);
    }
    if let Err(message) = check_identity(&text, template, ctx) {
        return Err(vec![Diagnostic::at(site, format!("the template {message}")).help(
            "a template renders the object fleetc renders it for: keep the apiVersion, kind and `metadata.name` of the built-in template",
        )]);
    }
    Ok(text)
}

/// What each template must render: its first document's `apiVersion`,
/// `kind`, and where in the template's context its `metadata.name` is;
/// the namespace template's further documents are RoleBindings in it.
const IDENTITY: &[(&str, &str, &str, &[&str])] = &[
    (
        "application.yaml.j2",
        "argoproj.io/v1alpha1",
        "Application",
        &["application", "name"],
    ),
    (
        "appproject.yaml.j2",
        "argoproj.io/v1alpha1",
        "AppProject",
        &["team", "name"],
    ),
    (
        "root-application.yaml.j2",
        "argoproj.io/v1alpha1",
        "Application",
        &["root", "name"],
    ),
    (
        "platform-project.yaml.j2",
        "argoproj.io/v1alpha1",
        "AppProject",
        &["project", "name"],
    ),
    (
        "platform-application.yaml.j2",
        "argoproj.io/v1alpha1",
        "Application",
        &["platform", "name"],
    ),
    ("namespace.yaml.j2", "v1", "Namespace", &["namespace"]),
];

/// A template renders what fleetc and its tests expect of it: the kind and
/// name it is for, so a user's template cannot write something else.
fn check_identity(text: &str, template: &str, ctx: &JValue) -> Result<(), String> {
    let Some((_, api, kind, name_at)) = IDENTITY.iter().find(|(t, ..)| *t == template) else {
        return Ok(());
    };
    let name = name_at
        .iter()
        .try_fold(ctx.clone(), |v, key| v.get_attr(key).ok())
        .and_then(|v| v.as_str().map(str::to_string));
    let docs = yaml::parse_yaml(text).map_err(|e| e.message)?;
    for (i, doc) in docs.iter().enumerate() {
        let v = &doc.value;
        let (want_api, want_kind) = if i == 0 {
            (*api, *kind)
        } else {
            ("rbac.authorization.k8s.io/v1", "RoleBinding")
        };
        let got = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("");
        if got("apiVersion") != want_api || got("kind") != want_kind {
            return Err(format!(
                "renders a `{}` of `{}`, where fleetc renders a `{want_kind}` of `{want_api}`",
                got("kind"),
                got("apiVersion")
            ));
        }
        let rendered = v.pointer("/metadata/name").and_then(|x| x.as_str());
        if i == 0 && name.is_some() && rendered != name.as_deref() {
            return Err(format!(
                "names the {want_kind} `{}`, where fleetc names it `{}`",
                rendered.unwrap_or(""),
                name.as_deref().unwrap_or("")
            ));
        }
    }
    Ok(())
}

/// Renders one template; a failure is a diagnostic at `site`.
pub(super) fn render_template(
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
pub(super) fn render_file(
    env: &Environment<'static>,
    layout: &str,
    template: &str,
    ctx: JValue,
    inv: &Inventory,
) -> Result<(String, String), Vec<Diagnostic>> {
    let path = render_path(env, layout, ctx.clone())?;
    let text = render_manifest(env, template, ctx, inv, None)?;
    Ok((path, text))
}

pub(super) fn template_site(inv: &Inventory, template: &str) -> Site {
    match inv.templates.get(template) {
        Some(user) => user.site.clone(),
        None => Site::file(format!("<built-in>/{template}")),
    }
}

/// Renders an output path and checks it stays inside the output root.
pub(super) fn render_path(
    env: &Environment<'static>,
    template: &str,
    ctx: JValue,
) -> Result<String, Vec<Diagnostic>> {
    let site = Site::file(crate::load::SETTINGS_FILE).key("layout");
    let path = render_template(env, template, ctx, &site)?;
    let path = path.trim().to_string();
    crate::rules::names::check_relative_path(&path).map_err(|why| vec![path_error(&path, why)])?;
    Ok(path)
}

/// A layout rendered a path outside the output root, or not a path.
pub(super) fn path_error(path: &str, why: &str) -> Diagnostic {
    Diagnostic::at(
        Site::file(crate::load::SETTINGS_FILE).key("layout"),
        format!("output path `{path}` is not allowed: {why}"),
    )
    .help("layout paths are relative, `/`-separated, without `..`")
}

pub(super) fn describe(e: &minijinja::Error) -> String {
    let mut s = e
        .detail()
        .map(str::to_string)
        .unwrap_or_else(|| e.kind().to_string());
    if e.kind() == minijinja::ErrorKind::UndefinedError && e.detail().is_none() {
        s = "undefined value (an unknown name or field)".to_string();
    }
    s
}
