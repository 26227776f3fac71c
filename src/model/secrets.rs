//! What values may hold: no string over `limits.value_bytes`, and no
//! credential written out in plain text.
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

use globset::GlobSet;
use serde_json::Value;

use crate::error::{dotted, Diagnostic, Seg, Site};

/// Words that make a key a credential's, after lower-casing and dropping
/// `-`, `_` and `.`.
const CREDENTIAL_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "privatekey",
    "credential",
    "accesskey",
    "authkey",
    "signingkey",
    "encryptionkey",
];

/// Endings that make such a key a reference to where the credential is.
const REFERENCE_ENDINGS: &[&str] = &[
    "name",
    "ref",
    "refs",
    "keyref",
    "file",
    "path",
    "arn",
    "url",
    "uri",
    "enabled",
    "ttl",
    "type",
    "length",
    "mountpath",
    "configmap",
    "policy",
    "id",
    "ids",
    "kind",
    "mode",
];

/// Whether `key` names a credential.
fn is_credential_key(key: &str) -> bool {
    let k: String = key
        .chars()
        .filter(|c| !"-_.".contains(*c))
        .flat_map(char::to_lowercase)
        .collect();
    CREDENTIAL_WORDS.iter().any(|w| k.contains(w))
        && !k.starts_with("existing")
        && !REFERENCE_ENDINGS.iter().any(|e| k.ends_with(e))
}

/// Whether `s` refers to a credential rather than being one.
fn is_reference(s: &str) -> bool {
    let t = s.trim();
    t.is_empty()
        || t.starts_with("<path:")
        || t.contains("${")
        || t.contains("{{")
        || t.starts_with("ref+")
        || t.starts_with("vault:")
        || t.starts_with("secretref+")
}

/// Checks one layer of values (its site ends at its `values` key).
pub(super) fn check_layer(
    values: &Value,
    site: &Site,
    value_bytes: usize,
    allow: &GlobSet,
    diags: &mut Vec<Diagnostic>,
) {
    let mut path = Vec::new();
    walk(values, &mut path, site, value_bytes, allow, diags);
}

fn walk(
    v: &Value,
    path: &mut Vec<Seg>,
    site: &Site,
    value_bytes: usize,
    allow: &GlobSet,
    diags: &mut Vec<Diagnostic>,
) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                path.push(Seg::Key(k.clone()));
                walk(child, path, site, value_bytes, allow, diags);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                walk(child, path, site, value_bytes, allow, diags);
                path.pop();
            }
        }
        Value::String(s) => {
            let mut at = site.clone();
            at.path.extend(path.iter().cloned());
            if s.len() > value_bytes {
                diags.push(
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
                        crate::limits::setting("value_bytes")
                    )),
                );
            }
            let key = path.iter().rev().find_map(|s| match s {
                Seg::Key(k) => Some(k.as_str()),
                Seg::Index(_) => None,
            });
            let name = dotted(path);
            if key.is_some_and(is_credential_key) && !is_reference(s) && !allow.is_match(&name) {
                diags.push(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_keys_and_references() {
        for k in [
            "password",
            "adminPassword",
            "DB_PASSWORD",
            "apiKey",
            "api-key",
            "client_secret",
            "token",
            "githubToken",
            "privateKey",
            "AWS_SECRET_ACCESS_KEY",
            "credentials",
        ] {
            assert!(is_credential_key(k), "{k}");
        }
        for k in [
            "existingSecret",
            "passwordSecretName",
            "tokenSecretRef",
            "secretName",
            "tokenTTL",
            "passwordFile",
            "name",
            "replicaCount",
            "secretKeyRef",
        ] {
            assert!(!is_credential_key(k), "{k}");
        }
        for r in [
            "<path:secret/data/db#password>",
            "${ cluster.name }",
            "{{ .Values.x }}",
            "ref+vault://secret/db#/password",
            "",
        ] {
            assert!(is_reference(r), "{r}");
        }
        assert!(!is_reference("hunter2"));
    }
}
