//! What values may hold: no string over `limits.value_bytes`, and no
//! credential written out in plain text; and which credentials found by
//! their content (`crate::rules::secrets`) are reported.
//!
//! A value whose key names a credential (password, secret, token, API or
//! private key, credentials, and the like, in any case and spelling) and
//! that is a literal string would be committed to the deploy repo and read
//! by everyone who can read it. It must be a reference instead: an
//! argocd-vault-plugin placeholder (`<path:...>`), a `${ }` expression, a
//! `ref+...` (vals) or `vault:` reference, a Helm template (`{{ }}`), or
//! the name of a Secret that holds it (keys such as `existingSecret`,
//! `passwordSecretName`, `tokenSecretRef` are names, not credentials).
//! `fleetc.yaml`'s `allow_literal_secrets` lists value paths (globs over
//! `a.b.c`) that may hold one anyway, e.g. a demo password.
//!
//! Every other string of the inventory is held to the content rules, and
//! `allow_secrets` allows one rule at one place (`{rule, file, path}`); an
//! allowance that allows nothing is an error, as it would hide the next
//! secret written there.

use std::collections::HashSet;

use globset::GlobMatcher;
use serde_json::Value;

use super::Settings;
use crate::base::error::{dotted, Diagnostic, Seg, Site};
use crate::load::raw::RawAllowSecret;
use crate::load::Found;
use crate::rules::secrets::{is_credential_key, is_reference, names_a_secret, Rule};

/// One content rule allowed at one place.
#[derive(Clone, Debug)]
pub struct Allowance {
    rule: Rule,
    file: GlobMatcher,
    path: GlobMatcher,
    site: Site,
}

/// `allow_secrets`, checked: a known rule, and globs.
pub(super) fn allowances(
    raw: &[RawAllowSecret],
    site: &Site,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Allowance> {
    let mut out = Vec::new();
    for (i, a) in raw.iter().enumerate() {
        let at = site.at(Seg::Index(i));
        let rule = Rule::from_name(&a.rule);
        if rule.is_none() {
            let names: Vec<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
            diags.push(
                Diagnostic::at(at.key("rule"), format!("unknown secret rule `{}`", a.rule)).help(
                    crate::base::suggest::hint(&a.rule, &names)
                        .unwrap_or_else(|| format!("the rules are {}", names.join(", "))),
                ),
            );
        }
        let glob = |p: &str, key: &str, separator: bool, diags: &mut Vec<Diagnostic>| {
            match globset::GlobBuilder::new(p)
                .literal_separator(separator)
                .build()
            {
                Ok(g) => Some(g.compile_matcher()),
                Err(e) => {
                    diags.push(
                        Diagnostic::at(at.key(key), format!("invalid glob `{p}`: {}", e.kind()))
                            .help("globs use `*`, `**`, `?` and `[...]`"),
                    );
                    None
                }
            }
        };
        let file = glob(&a.file, "file", true, diags);
        let path = glob(&a.path, "path", false, diags);
        if let (Some(rule), Some(file), Some(path)) = (rule, file, path) {
            out.push(Allowance {
                rule,
                file,
                path,
                site: at,
            });
        }
    }
    out
}

/// What [`report`] leaves for the key rule and the messages.
#[derive(Default)]
pub(super) struct Reported {
    /// The places a content rule reported or an allowance allowed, which
    /// the key rule passes over.
    pub(super) sites: HashSet<Site>,
    /// The literal credentials the key rule found, which no message may
    /// quote (those found by content are in `Loaded::secrets`).
    pub(super) secrets: Vec<String>,
    /// Which allowances allowed something.
    used: Vec<bool>,
}

impl Allowance {
    fn allows(&self, rule: Rule, site: &Site) -> bool {
        let file = site.file.to_string_lossy().replace('\\', "/");
        self.rule == rule && self.file.is_match(&file) && self.path.is_match(dotted(&site.path))
    }
}

/// The first allowance that allows `rule` at `site`, marked used.
fn allowed(allow: &[Allowance], used: &mut [bool], rule: Rule, site: &Site) -> bool {
    match allow.iter().position(|a| a.allows(rule, site)) {
        Some(i) => {
            used[i] = true;
            true
        }
        None => false,
    }
}

/// An error for each allowance that allowed nothing: kept after its value
/// is gone, it would let the next secret written there through.
pub(super) fn unused(allow: &[Allowance], reported: &Reported, diags: &mut Vec<Diagnostic>) {
    for (a, used) in allow.iter().zip(&reported.used) {
        if !used {
            diags.push(
                Diagnostic::at(
                    a.site.clone(),
                    format!(
                        "this allows rule `{}` in `{}` at `{}`, where it finds nothing",
                        a.rule.name(),
                        a.file.glob(),
                        a.path.glob()
                    ),
                )
                .help("remove it, or correct the file and path to the ones the error names: an allowance that allows nothing would let the next secret written there through"),
            );
        }
    }
}

/// Reports each credential found by its content that no allowance allows.
/// A random-looking value under a credential's name inside a values layer
/// is left to the key rule, which is stricter there and which
/// `allow_literal_secrets` answers.
pub(super) fn report(
    found: &[Found],
    allow: &[Allowance],
    layers: &[Site],
    diags: &mut Vec<Diagnostic>,
) -> Reported {
    let mut out = Reported {
        used: vec![false; allow.len()],
        ..Reported::default()
    };
    let in_layer = |site: &Site| {
        layers
            .iter()
            .any(|l| l.file == site.file && l.doc == site.doc && site.path.starts_with(&l.path))
    };
    for f in found {
        if f.rule == Rule::CredentialKey && in_layer(&f.site) {
            continue;
        }
        let path = dotted(&f.site.path);
        let file = f.site.file.to_string_lossy().replace('\\', "/");
        if allowed(allow, &mut out.used, f.rule, &f.site) {
            // Allowed: no secret, for the key rule either.
            out.sites.insert(f.site.clone());
            continue;
        }
        let subject = if path.is_empty() {
            "the template".to_string()
        } else {
            format!("`{path}`")
        };
        let rule = f.rule.name();
        let mut d = Diagnostic::at(
            f.site.clone(),
            format!(
                "{subject} holds {}{} (rule `{rule}`): `{}`; it would be committed to the deploy repo",
                f.what,
                match f.more {
                    0 => String::new(),
                    n => format!(" and {n} more like it"),
                },
                f.excerpt
            ),
        )
        .help(format!(
            "{}; if it is no secret, allow it here in fleetc.yaml: `allow_secrets: [{{rule: {rule}, file: {file}, path: \"{path}\"}}]`",
            if f.in_url { Rule::UrlCredentials } else { f.rule }.fix()
        ));
        d.line = f.line;
        diags.push(d);
        out.sites.insert(f.site.clone());
    }
    out
}

/// Checks one layer of values (its site ends at its `values` key).
/// Sites already reported by a content rule are passed over; the literal
/// credentials found are added to `reported.secrets`.
pub(super) fn check_layer(
    values: &Value,
    site: &Site,
    settings: &Settings,
    reported: &mut Reported,
    diags: &mut Vec<Diagnostic>,
) {
    Layer {
        site,
        settings,
        reported,
        diags,
    }
    .walk(values, &mut Vec::new());
}

struct Layer<'a> {
    site: &'a Site,
    settings: &'a Settings,
    reported: &'a mut Reported,
    diags: &'a mut Vec<Diagnostic>,
}

impl Layer<'_> {
    fn walk(&mut self, v: &Value, path: &mut Vec<Seg>) {
        let site = self.site;
        let value_bytes = self.settings.limits.value_bytes;
        let allow = &self.settings.allow_literal_secrets;
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    path.push(Seg::Key(k.clone()));
                    self.walk(child, path);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    path.push(Seg::Index(i));
                    self.walk(child, path);
                    path.pop();
                }
            }
            Value::String(s) => {
                let mut at = site.clone();
                at.path.extend(path.iter().cloned());
                if s.len() > value_bytes {
                    self.diags.push(
                    Diagnostic::at(
                        at.clone(),
                        format!(
                            "value `{}` is {} bytes, over the limit of {value_bytes} for one value",
                            dotted(path),
                            s.len()
                        ),
                    )
                    .help(format!(
                        "keep big files in the app's repo (a ConfigMap), or raise the limit with {}",
                        crate::base::limits::setting("value_bytes")
                    )),
                );
                }
                let key = path.iter().rev().find_map(|s| match s {
                    Seg::Key(k) => Some(k.as_str()),
                    Seg::Index(_) => None,
                });
                let name = dotted(path);
                if key.is_some_and(|k| is_credential_key(k) && !names_a_secret(k, s))
                    && !is_reference(s)
                    && !allow.is_match(&name)
                    && !self.reported.sites.contains(&at)
                    && !allowed(
                        &self.settings.allow_secrets,
                        &mut self.reported.used,
                        Rule::CredentialKey,
                        &at,
                    )
                {
                    self.reported.secrets.push(s.clone());
                    self.diags.push(
                    Diagnostic::at(
                        at,
                        format!("`{name}` looks like a credential written out in plain text; it would be committed to the deploy repo"),
                    )
                    .help(format!(
                        "refer to it instead: `<path:vault/data/app#{}>` (argocd-vault-plugin), an `existingSecret` name, or a `${{ }}` reference; a value that is no secret can be allowed with `allow_literal_secrets: [\"{name}\"]` in fleetc.yaml",
                        key.unwrap_or("key")
                    )),
                );
                }
            }
            _ => {}
        }
    }
}
