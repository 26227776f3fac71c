//! Kubernetes name and label validation rules.
//!
//! fleetc writes labels, selectors and object names into manifests that an
//! API server (and Argo CD) will later accept or reject. Checking them here,
//! with the very rules and wording the API server uses, turns "the sync failed
//! an hour after merge" into a compile error that points at the inventory.
//!
//! The rules and messages follow k8s.io/apimachinery v0.36:
//!
//! * [`label_key`] is `content.IsLabelKey` (formerly `IsQualifiedName`),
//! * [`label_value`] is `content.IsLabelValue` (`IsValidLabelValue`),
//! * [`dns1123_label`] and [`dns1123_subdomain`] come from `util/validation`,
//! * [`label_map`] is `metav1/validation.ValidateLabels`.
//!
//! Upstream expresses the character rules as regular expressions; they are
//! matched by hand here (the patterns are simple enough to state exactly), and
//! the upstream regex still appears in the messages. Lengths are in bytes, as
//! in Go. Note that upstream's own wording differs by origin: the label rules
//! (package `content`) say "must be no more than 63 bytes", the DNS rules
//! (package `util/validation`) say "must be no more than 63 characters". Both
//! are reproduced as they are.

use std::collections::BTreeMap;

/// Maximum length of the name part of a label key, and of a label value.
const LABEL_MAX_LEN: usize = 63;
/// Maximum length of a DNS-1123 label.
const DNS1123_LABEL_MAX_LEN: usize = 63;
/// Maximum length of a DNS-1123 subdomain (and of a label key prefix).
const DNS1123_SUBDOMAIN_MAX_LEN: usize = 253;

const LABEL_KEY_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_KEY_ERR: &str = "must consist of alphanumeric characters, '-', '_' or '.', \
     and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_ERR: &str = "a valid label must be an empty string or consist of \
     alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric \
     character";
const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_ERR: &str = "a lowercase RFC 1123 label must consist of lower case \
     alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str =
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_ERR: &str = "a lowercase RFC 1123 subdomain must consist of lower \
     case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric \
     character";

/// The unit upstream names in a "too long" message (see the module docs).
#[derive(Clone, Copy)]
enum LenUnit {
    /// `k8s.io/apimachinery/pkg/api/validate/content`.
    Bytes,
    /// `k8s.io/apimachinery/pkg/util/validation`.
    Characters,
}

/// Upstream `MaxLenError`.
fn max_len_error(max: usize, unit: LenUnit) -> String {
    let unit = match unit {
        LenUnit::Bytes => "bytes",
        LenUnit::Characters => "characters",
    };
    format!("must be no more than {max} {unit}")
}

/// Upstream `EmptyError`.
const EMPTY_ERROR: &str = "must be non-empty";

/// Upstream `RegexError`, including its odd spacing
/// (`(e.g. 'MyName',  or 'my.name', regex used ...)`).
fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    let mut out = String::from(msg);
    if examples.is_empty() {
        out.push_str(" (regex used for validation is '");
    } else {
        out.push_str(" (e.g. ");
        for (i, example) in examples.iter().enumerate() {
            if i > 0 {
                out.push_str(" or ");
            }
            out.push('\'');
            out.push_str(example);
            out.push_str("', ");
        }
        out.push_str("regex used for validation is '");
    }
    out.push_str(fmt);
    out.push_str("')");
    out
}

/// `^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`: non-empty, only
/// alphanumerics, `-`, `_` and `.`, alphanumeric at both ends.
fn is_label_name_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

/// `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`.
fn is_dns1123_label_syntax(s: &str) -> bool {
    let lower_alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            lower_alnum(first)
                && lower_alnum(last)
                && b.iter().all(|c| lower_alnum(c) || *c == b'-')
        }
        _ => false,
    }
}

/// `^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`:
/// one or more DNS-1123 labels joined by single dots.
fn is_dns1123_subdomain_syntax(s: &str) -> bool {
    s.split('.').all(is_dns1123_label_syntax)
}

fn dns1123_subdomain_errors(value: &str, unit: LenUnit) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX_LEN {
        errs.push(max_len_error(DNS1123_SUBDOMAIN_MAX_LEN, unit));
    }
    if !is_dns1123_subdomain_syntax(value) {
        errs.push(regex_error(
            DNS1123_SUBDOMAIN_ERR,
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errs
}

/// Every problem `content.IsLabelKey` reports, in upstream order.
pub fn label_key_errors(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let mut parts = value.splitn(3, '/');
    let first = parts.next().unwrap_or_default();
    let name = match (parts.next(), parts.next()) {
        (None, _) => first,
        (Some(name), None) => {
            let prefix = first;
            if prefix.is_empty() {
                errs.push(format!("prefix part {EMPTY_ERROR}"));
            } else {
                errs.extend(
                    dns1123_subdomain_errors(prefix, LenUnit::Bytes)
                        .into_iter()
                        .map(|m| format!("prefix part {m}")),
                );
            }
            name
        }
        (Some(_), Some(_)) => {
            errs.push(format!(
                "a valid label key {} with an optional DNS subdomain prefix and '/' \
                 (e.g. 'example.com/MyName')",
                regex_error(
                    LABEL_KEY_ERR,
                    LABEL_KEY_FMT,
                    &["MyName", "my.name", "123-abc"]
                )
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push(format!("name part {EMPTY_ERROR}"));
    } else if name.len() > LABEL_MAX_LEN {
        errs.push(format!(
            "name part {}",
            max_len_error(LABEL_MAX_LEN, LenUnit::Bytes)
        ));
    }
    if !is_label_name_syntax(name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                LABEL_KEY_ERR,
                LABEL_KEY_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errs
}

/// Every problem `content.IsLabelValue` reports, in upstream order.
pub fn label_value_errors(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > LABEL_MAX_LEN {
        errs.push(max_len_error(LABEL_MAX_LEN, LenUnit::Bytes));
    }
    if !value.is_empty() && !is_label_name_syntax(value) {
        errs.push(regex_error(
            LABEL_VALUE_ERR,
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

fn dns1123_label_errors(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_LABEL_MAX_LEN {
        errs.push(max_len_error(DNS1123_LABEL_MAX_LEN, LenUnit::Characters));
    }
    if !is_dns1123_label_syntax(value) {
        if is_dns1123_subdomain_syntax(value) {
            // A valid subdomain but not a valid label: the length was checked
            // above, so the only difference left is the dots.
            errs.push("must not contain dots".to_string());
        } else {
            errs.push(regex_error(
                DNS1123_LABEL_ERR,
                DNS1123_LABEL_FMT,
                &["my-name", "123-abc"],
            ));
        }
    }
    errs
}

fn join(errs: Vec<String>) -> Result<(), String> {
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs.join("; "))
    }
}

/// Checks a label key (`IsQualifiedName` / `content.IsLabelKey`): an optional
/// DNS-1123 subdomain prefix and `/`, then a name of 1 to 63 alphanumerics,
/// `-`, `_` or `.` that starts and ends with an alphanumeric.
///
/// On failure returns every upstream message, joined with `"; "`.
pub fn label_key(s: &str) -> Result<(), String> {
    join(label_key_errors(s))
}

/// Checks a label value (`IsValidLabelValue` / `content.IsLabelValue`):
/// empty, or at most 63 alphanumerics, `-`, `_` or `.` that start and end with
/// an alphanumeric.
///
/// On failure returns every upstream message, joined with `"; "`.
pub fn label_value(s: &str) -> Result<(), String> {
    join(label_value_errors(s))
}

/// Checks a DNS-1123 label (`IsDNS1123Label`), the rule for namespace names:
/// 1 to 63 lowercase alphanumerics or `-`, alphanumeric at both ends.
///
/// On failure returns every upstream message, joined with `"; "`.
pub fn dns1123_label(s: &str) -> Result<(), String> {
    join(dns1123_label_errors(s))
}

/// Checks a DNS-1123 subdomain (`IsDNS1123Subdomain`), the rule for most
/// object names (Argo CD Applications included): at most 253 characters of
/// dot-separated DNS-1123 labels.
///
/// On failure returns every upstream message, joined with `"; "`.
pub fn dns1123_subdomain(s: &str) -> Result<(), String> {
    join(dns1123_subdomain_errors(s, LenUnit::Characters))
}

/// Validates a label map as `metav1/validation.ValidateLabels` does: every
/// key must be a valid label key and every value a valid label value.
///
/// Returns one message per upstream error, each naming the offending key or
/// value, in key order; the result is empty when the map is valid.
pub fn label_map(labels: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    for (key, value) in labels {
        for msg in label_key_errors(key) {
            out.push(format!("invalid label key `{key}`: {msg}"));
        }
        for msg in label_value_errors(value) {
            out.push(format!(
                "invalid label value `{value}` for key `{key}`: {msg}"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME_REGEX_MSG: &str = "name part must consist of alphanumeric characters, '-', '_' \
        or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or \
        'my.name',  or '123-abc', regex used for validation is \
        '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

    #[test]
    fn label_key_messages_are_upstream_wording() {
        assert_eq!(label_key("-key"), Err(NAME_REGEX_MSG.to_string()));
        assert_eq!(
            label_key(""),
            Err(format!("name part must be non-empty; {NAME_REGEX_MSG}"))
        );
        assert_eq!(
            label_key(&"a".repeat(64)),
            Err("name part must be no more than 63 bytes".to_string())
        );
        assert_eq!(
            label_key("/a"),
            Err("prefix part must be non-empty".to_string())
        );
        assert_eq!(
            label_key("a/b/c"),
            Err(
                "a valid label key must consist of alphanumeric characters, '-', '_' or '.', \
                 and must start and end with an alphanumeric character (e.g. 'MyName',  or \
                 'my.name',  or '123-abc', regex used for validation is \
                 '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain \
                 prefix and '/' (e.g. 'example.com/MyName')"
                    .to_string()
            )
        );
        assert_eq!(
            label_key("Example.com/a"),
            Err(
                "prefix part a lowercase RFC 1123 subdomain must consist of lower case \
                 alphanumeric characters, '-' or '.', and must start and end with an \
                 alphanumeric character (e.g. 'example.com', regex used for validation is \
                 '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
                    .to_string()
            )
        );
        let long_prefix = format!("{}/a", "a".repeat(254));
        assert_eq!(
            label_key(&long_prefix),
            Err("prefix part must be no more than 253 bytes".to_string())
        );
    }

    #[test]
    fn label_value_messages_are_upstream_wording() {
        assert_eq!(label_value(""), Ok(()));
        assert_eq!(
            label_value("-a"),
            Err(
                "a valid label must be an empty string or consist of alphanumeric characters, \
                 '-', '_' or '.', and must start and end with an alphanumeric character (e.g. \
                 'MyValue',  or 'my_value',  or '12345', regex used for validation is \
                 '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
                    .to_string()
            )
        );
        let long_bad = format!("{}-", "a".repeat(63));
        let err = label_value(&long_bad).unwrap_err();
        assert!(err.starts_with("must be no more than 63 bytes; a valid label must"));
    }

    #[test]
    fn dns_messages_are_upstream_wording() {
        assert_eq!(
            dns1123_label("a.b"),
            Err("must not contain dots".to_string())
        );
        assert_eq!(
            dns1123_label("A"),
            Err(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric \
                 characters or '-', and must start and end with an alphanumeric character \
                 (e.g. 'my-name',  or '123-abc', regex used for validation is \
                 '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
                    .to_string()
            )
        );
        assert_eq!(
            dns1123_label(&format!("{}.b", "a".repeat(63))),
            Err("must be no more than 63 characters; must not contain dots".to_string())
        );
        assert_eq!(
            dns1123_subdomain(&"a".repeat(254)),
            Err("must be no more than 253 characters".to_string())
        );
    }

    #[test]
    fn regexes_anchor_at_the_very_end() {
        // Go's `$` does not match before a trailing newline.
        assert!(label_key("abc\n").is_err());
        assert!(label_value("abc\n").is_err());
        assert!(dns1123_label("abc\n").is_err());
        assert!(dns1123_subdomain("abc\n").is_err());
        // Non-ASCII alphanumerics are not `[A-Za-z0-9]`.
        assert!(label_value("é").is_err());
        assert!(label_key("ключ").is_err());
    }

    #[test]
    fn label_map_names_what_is_wrong() {
        let mut labels = BTreeMap::new();
        labels.insert("good".to_string(), "fine".to_string());
        assert!(label_map(&labels).is_empty());
        labels.insert("bad-".to_string(), "x,y".to_string());
        let errs = label_map(&labels);
        assert_eq!(errs.len(), 2);
        assert!(errs[0].starts_with("invalid label key `bad-`: name part must consist of"));
        assert!(errs[1].starts_with(
            "invalid label value `x,y` for key `bad-`: a valid label must be an empty string"
        ));
    }
}
