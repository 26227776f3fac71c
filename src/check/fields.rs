//! Fields every kind shares: names, labels, values, selectors.

use serde_json::Value;

use crate::base::error::{Diagnostic, Site};
use crate::load::raw::{LabelValue, RawLabels};
use crate::rules::k8s;
use crate::rules::selector::{LabelSelector, Labels, Selector};

/// Checks a DNS-1123 label; false (and a diagnostic) when invalid.
pub(super) fn dns_label(name: &str, what: &str, site: &Site, diags: &mut Vec<Diagnostic>) -> bool {
    if name.is_empty() {
        diags.push(
            Diagnostic::at(site.clone(), format!("{what} is empty"))
                .help("give it a name: lower case letters, digits and `-`, at most 63 characters"),
        );
        return false;
    }
    match k8s::dns1123_label(name) {
        Ok(()) => true,
        Err(e) => {
            diags.push(
                Diagnostic::at(
                    site.clone(),
                    format!("{what} `{name}` is not a valid Kubernetes name (DNS-1123 label): {e}"),
                )
                .help(format!(
                    "use lower case letters, digits and `-`, at most 63 characters, e.g. `{}`",
                    dns_suggestion(name)
                )),
            );
            false
        }
    }
}

/// A name close to `name` that is a DNS-1123 label.
fn dns_suggestion(name: &str) -> String {
    let mut s: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    s.truncate(63);
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        "my-name".to_string()
    } else {
        s
    }
}

/// Validates a label map as Kubernetes does, each problem at its key.
pub(super) fn labels(raw: &RawLabels, site: &Site, diags: &mut Vec<Diagnostic>) -> Labels {
    let mut out = Labels::new();
    for (key, LabelValue(value)) in raw {
        let at = site.key(key);
        if let Err(e) = k8s::label_key(key) {
            diags.push(Diagnostic::at(
                at.clone(),
                format!("invalid label key `{key}`: {e}"),
            ).help("a label key is an optional DNS prefix and `/`, then a name of at most 63 letters, digits, `-`, `_`, `.`, e.g. `region` or `example.com/tier`"));
        }
        if let Err(e) = k8s::label_value(value) {
            diags.push(Diagnostic::at(
                at,
                format!("invalid value `{value}` for label `{key}`: {e}"),
            ).help("label values are at most 63 characters of letters, digits, `-`, `_` and `.`, beginning and ending with a letter or digit (or empty); quote a value only to keep it text"));
        }
        out.insert(key.clone(), value.clone());
    }
    out
}

/// Values must be a mapping (or absent / null: no values).
pub(super) fn mapping(
    v: Option<&Value>,
    site: &Site,
    diags: &mut Vec<Diagnostic>,
) -> Option<Value> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) if m.is_empty() => None,
        Some(v @ Value::Object(_)) => Some(v.clone()),
        Some(_) => {
            diags.push(
                Diagnostic::at(
                    site.clone(),
                    format!("`{}` must be a mapping of Helm values", site.dotted()),
                )
                .help("write `key: value` pairs under it"),
            );
            None
        }
    }
}

/// Parses a selector given on the command line: a `kubectl -l` string, or a
/// YAML/JSON map (plain labels, or `matchLabels` / `matchExpressions`).
pub(crate) fn parse_selector(text: &str) -> Result<Selector, String> {
    let trimmed = text.trim_start();
    let value = if trimmed.starts_with('{') {
        crate::base::yaml::parse_yaml(text)
            .map_err(|e| format!("cannot read `{text}`: {}", e.message))?
            .into_iter()
            .next()
            .map(|d| d.value)
            .unwrap_or(Value::Object(Default::default()))
    } else {
        Value::String(text.to_string())
    };
    let mut diags = Vec::new();
    selector(&value, &Site::file("--selector"), &mut diags).ok_or_else(|| {
        diags
            .into_iter()
            .map(|d| d.message)
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// A selector in any of its three forms: a `kubectl -l` string, a plain map
/// (`matchLabels`), or a LabelSelector with `matchLabels` / `matchExpressions`.
pub(super) fn selector(v: &Value, site: &Site, diags: &mut Vec<Diagnostic>) -> Option<Selector> {
    let result = match v {
        Value::String(s) => Selector::parse_strict(s),
        Value::Object(map)
            if !map.is_empty()
                && map
                    .keys()
                    .all(|k| k == "matchLabels" || k == "matchExpressions") =>
        {
            let mut v = v.clone();
            if let Some(Value::Object(ml)) = v.get_mut("matchLabels") {
                stringify_scalars(ml);
            }
            if let Some(Value::Array(exprs)) = v.get_mut("matchExpressions") {
                for e in exprs {
                    if let Some(Value::Array(vals)) = e.get_mut("values") {
                        for x in vals {
                            stringify(x);
                        }
                    }
                }
            }
            match serde_json::from_value::<LabelSelector>(v) {
                Ok(ls) => Selector::from_label_selector(&ls),
                Err(e) => {
                    diags.push(
                        Diagnostic::at(
                            site.clone(),
                            format!("invalid label selector: {}", crate::base::error::plain_types(&e.to_string()).0),
                        )
                            .help("a LabelSelector has `matchLabels: {key: value}` and `matchExpressions: [{key, operator, values}]`"),
                    );
                    return None;
                }
            }
        }
        Value::Object(map) => {
            let mut set = Labels::new();
            for (k, x) in map {
                match scalar_text(x) {
                    Some(s) => {
                        set.insert(k.clone(), s);
                    }
                    None => {
                        diags.push(
                            Diagnostic::at(site.key(k), format!("selector value for `{k}` must be a label value, not a list or mapping"))
                                .help(match crate::base::suggest::closest(k, ["matchLabels", "matchExpressions"]) {
                                    Some(c) => format!("did you mean `{c}`?"),
                                    None => format!("to match several values write `{k} in (a,b)` as a string, or use `matchExpressions`"),
                                }),
                        );
                        return None;
                    }
                }
            }
            Selector::from_set(&set)
        }
        _ => {
            diags.push(
                Diagnostic::at(site.clone(), "a selector is a mapping of labels, a LabelSelector, or a string like `region in (east,west),!canary`")
                    .help("write `{}` to select everything"),
            );
            return None;
        }
    };
    match result {
        Ok(s) => Some(s),
        Err(e) => {
            diags.push(Diagnostic::at(
                site.clone(),
                format!("invalid selector: {e}"),
            ).help("a selector is `key=value,key in (a,b),!key`, a map of labels, or `matchLabels` / `matchExpressions`"));
            None
        }
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn stringify(v: &mut Value) {
    if let Some(s) = scalar_text(v) {
        *v = Value::String(s);
    }
}

fn stringify_scalars(map: &mut serde_json::Map<String, Value>) {
    for v in map.values_mut() {
        stringify(v);
    }
}
