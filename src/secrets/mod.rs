//! What a credential looks like: the rules that find one by its content.
//!
//! A key named `password` is the easy case. A private key under `tls.key`,
//! a GitHub token in a repository URL's user part, `Bearer eyJ…` under
//! `auth`, or `password=…` inside a description are found by what they
//! are, as the scanners that platform teams run over git find them
//! (gitleaks, detect-secrets, GitHub secret scanning). fleetc runs these
//! rules over every string of the inventory before anything is rendered,
//! so a leak is refused with its file and line instead of being found by a
//! scanner after it reached every clone of the deploy repo.
//!
//! Each [`Rule`] has a name that errors print and that `fleetc.yaml`'s
//! `allow_secrets` names to allow it at one path. A [`Finding`] holds the
//! span of the secret inside its string, so that a message can show the
//! string with the secret cut out ([`excerpt`]) and never the secret.
//!
//! The rules are exact where the thing has a shape (a PEM header with a
//! body, a provider's token prefix with its length and alphabet, a JWT
//! whose header decodes to JSON, `Basic` with `user:password` in base64)
//! and ask for randomness where it has none (a bearer token, a user name
//! that is a token, a value after a secret-like word): chart versions,
//! image digests, UUIDs, checksums, certificates and Helm template text
//! are not secrets, and no rule fires on them.

mod tokens;

use std::ops::Range;

/// A rule that finds a credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// A PEM private key block (`-----BEGIN … PRIVATE KEY-----` with a body).
    PrivateKey,
    /// A token with a provider's well-known prefix (`ghp_`, `glpat-`, `AKIA`…).
    Token,
    /// A `Bearer` or `Basic` credential, as an `Authorization` header holds it.
    Authorization,
    /// A JSON Web Token (`eyJ….eyJ….…`).
    Jwt,
    /// A password or token in a URL's user part (`https://user:pass@host`).
    UrlCredentials,
    /// `password=…` (or `token: <random>`) inside a longer text.
    CredentialInText,
    /// A value under a key that names a credential: any literal one in
    /// values, a random-looking one elsewhere (a label named `token`).
    CredentialKey,
}

impl Rule {
    /// Every rule, in the order overlapping findings are kept (the first
    /// one wins).
    pub const ALL: [Rule; 7] = [
        Rule::PrivateKey,
        Rule::Token,
        Rule::Authorization,
        Rule::Jwt,
        Rule::UrlCredentials,
        Rule::CredentialInText,
        Rule::CredentialKey,
    ];

    /// The name errors print and `allow_secrets` uses.
    pub fn name(self) -> &'static str {
        match self {
            Rule::PrivateKey => "private-key",
            Rule::Token => "token",
            Rule::Authorization => "authorization",
            Rule::Jwt => "jwt",
            Rule::UrlCredentials => "url-credentials",
            Rule::CredentialInText => "credential-in-text",
            Rule::CredentialKey => "credential-key",
        }
    }

    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.name() == name)
    }

    /// How to keep this kind of credential out of the inventory.
    pub fn fix(self) -> &'static str {
        match self {
            Rule::UrlCredentials => {
                "drop the credentials from the URL: Argo CD takes a repository's credentials from a Secret labelled `argocd.argoproj.io/secret-type: repository` (or `repo-creds` for every repo under a URL prefix), and a value can refer to a password with `<path:vault/data/app#password>` or `ref+vault://…`"
            }
            Rule::Authorization => {
                "keep the header's credential in a Secret and refer to it: an `existingSecret` name, `<path:vault/data/app#token>` (argocd-vault-plugin), `ref+vault://…` (vals), or an External Secrets / Sealed Secrets object in the app's repo"
            }
            _ => {
                "keep it out of the inventory and refer to it: an `existingSecret` name, `<path:vault/data/app#key>` (argocd-vault-plugin), `ref+vault://…` (vals), or an External Secrets / Sealed Secrets object in the app's repo"
            }
        }
    }
}

/// A credential found in a string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    /// What it is, for a message: "a GitHub personal access token".
    pub what: &'static str,
    /// Where the secret is in the string.
    pub span: Range<usize>,
    /// How many bytes at the start of `span` are no secret and may be
    /// shown (a token's prefix, a PEM header).
    pub public: usize,
}

/// The credentials in `s`, found by their content, overlapping ones
/// reduced to the first rule of [`Rule::ALL`]. Sorted by position.
pub fn scan(s: &str) -> Vec<Finding> {
    let mut found = Vec::new();
    if s.len() < 8 {
        return found;
    }
    private_keys(s, &mut found);
    tokens::scan(s, &mut found);
    authorization(s, &mut found);
    jwts(s, &mut found);
    url_credentials(s, &mut found);
    credentials_in_text(s, &mut found);
    keep_first(found)
}

/// [`scan`] for a value under `key`, with [`Rule::CredentialKey`] for a
/// random-looking one under a key that names a credential.
pub fn scan_keyed(key: Option<&str>, s: &str) -> Vec<Finding> {
    let mut found = scan(s);
    if found.is_empty() && looks_random(s.trim()) && key.is_some_and(is_credential_key) {
        found.push(Finding {
            rule: Rule::CredentialKey,
            what: "a random-looking value under a credential's name",
            span: 0..s.len(),
            public: 0,
        });
    }
    found
}

/// Drops each finding that overlaps one of an earlier rule, then sorts by
/// position.
fn keep_first(mut found: Vec<Finding>) -> Vec<Finding> {
    if found.len() > 1 {
        found.sort_by_key(|f| (f.rule, f.span.start));
        let mut kept: Vec<Finding> = Vec::with_capacity(found.len());
        for f in found {
            if !kept
                .iter()
                .any(|k| k.span.start < f.span.end && f.span.start < k.span.end)
            {
                kept.push(f);
            }
        }
        found = kept;
        found.sort_by_key(|f| f.span.start);
    }
    found
}

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
    "accountkey",
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

/// Whether `key` names a credential (`password`, `DB_PASSWORD`, `apiKey`,
/// `client-secret`), rather than where one is (`existingSecret`,
/// `passwordSecretName`, `tokenTTL`).
pub fn is_credential_key(key: &str) -> bool {
    // Helm's `checksum/secret` annotations hold a hash; Vault agent's
    // annotations hold paths and templates.
    if key.starts_with("checksum/") || key.starts_with("vault.hashicorp.com/") {
        return false;
    }
    let k: String = key
        .chars()
        .filter(|c| !"-_.".contains(*c))
        .flat_map(char::to_lowercase)
        .collect();
    CREDENTIAL_WORDS.iter().any(|w| k.contains(w))
        && !k.starts_with("existing")
        && !REFERENCE_ENDINGS.iter().any(|e| k.ends_with(e))
}

/// Whether `value` under annotation `key` is the name of a Secret: an
/// annotation whose name ends in `secret` (ingress-nginx's `auth-secret`,
/// `auth-tls-secret`, `proxy-ssl-secret`) holding `name` or
/// `namespace/name`.
pub fn names_a_secret(key: &str, value: &str) -> bool {
    let Some((_, name)) = key.rsplit_once('/') else {
        return false;
    };
    name.to_ascii_lowercase().ends_with("secret")
        && !value.is_empty()
        && value.split('/').count() <= 2
        && value
            .split('/')
            .all(|part| crate::k8s::dns1123_subdomain(part).is_ok())
}

/// Whether `s` refers to a credential rather than being one: an
/// argocd-vault-plugin placeholder, a `${ }` expression or shell variable,
/// a Helm template, a vals or Vault reference.
pub fn is_reference(s: &str) -> bool {
    let t = s.trim();
    t.is_empty()
        || t.starts_with("<path:")
        || t.starts_with('$')
        || t.contains("${")
        || t.contains("{{")
        || t.starts_with("ref+")
        || t.starts_with("vault:")
        || t.starts_with("secretref+")
}

/// Whether `s` looks like a random token: at least 16 characters, letters
/// and digits, no spaces, and an entropy of 3 bits a character or more.
/// Words, versions and names do not; keys, tokens and hashes do (which is
/// why this is asked only next to a credential's name).
pub fn looks_random(s: &str) -> bool {
    s.len() >= 16
        && !s.contains(char::is_whitespace)
        && s.bytes().any(|b| b.is_ascii_alphabetic())
        && s.bytes().any(|b| b.is_ascii_digit())
        && entropy(s) >= 3.0
}

/// Shannon entropy in bits a byte.
fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Whether `body` is a placeholder (`xxxx…`, `0000…`, `****`): fewer than
/// six different characters.
fn placeholder(body: &str) -> bool {
    let mut seen = [false; 256];
    let mut distinct = 0;
    for b in body.bytes() {
        if !seen[b as usize] {
            seen[b as usize] = true;
            distinct += 1;
            if distinct >= 6 {
                return false;
            }
        }
    }
    true
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether position `i` of `s` starts a word (nothing alphanumeric before it).
fn word_start(s: &[u8], i: usize) -> bool {
    i == 0 || !is_word_byte(s[i - 1])
}

/// The length of the run of bytes from `from` that satisfy `ok`.
fn run(s: &[u8], from: usize, ok: impl Fn(u8) -> bool) -> usize {
    s.get(from..)
        .map_or(0, |rest| rest.iter().take_while(|b| ok(**b)).count())
}

/// `-----BEGIN … PRIVATE KEY-----` followed by a body (a header alone, as
/// Helm template text or docs quote it, is not a key), and PuTTY keys.
fn private_keys(s: &str, found: &mut Vec<Finding>) {
    let mut from = 0;
    while let Some(at) = s[from..].find("-----BEGIN ").map(|i| i + from) {
        let label_start = at + "-----BEGIN ".len();
        let Some(label_len) = s[label_start..].find("-----") else {
            return;
        };
        let label = &s[label_start..label_start + label_len];
        let header_end = label_start + label_len + "-----".len();
        from = header_end;
        if !label.contains("PRIVATE KEY") || label.len() > 40 {
            continue;
        }
        let end = s[header_end..].find("-----END ").map_or(s.len(), |i| {
            let e = header_end + i + "-----END ".len();
            s[e..]
                .find("-----")
                .map_or(s.len(), |j| e + j + "-----".len())
        });
        let body = s[header_end..end.min(s.len())]
            .bytes()
            .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
            .count();
        if body >= 40 {
            found.push(Finding {
                rule: Rule::PrivateKey,
                what: "a private key",
                span: at..end,
                public: header_end - at,
            });
            from = end;
        }
    }
    if let Some(at) = s.find("PuTTY-User-Key-File-") {
        if s[at..].contains("Private-Lines:") {
            found.push(Finding {
                rule: Rule::PrivateKey,
                what: "a PuTTY private key",
                span: at..s.len(),
                public: "PuTTY-User-Key-File-".len(),
            });
        }
    }
}

fn token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b)
}

/// `Bearer <token>` and `Basic <base64 of user:password>`, in any case.
fn authorization(s: &str, found: &mut Vec<Finding>) {
    let bytes = s.as_bytes();
    for (i, _) in s.match_indices(['b', 'B']) {
        if !word_start(bytes, i) {
            continue;
        }
        let scheme = if bytes.len() >= i + 7 && bytes[i..i + 6].eq_ignore_ascii_case(b"bearer") {
            6
        } else if bytes.len() >= i + 6 && bytes[i..i + 5].eq_ignore_ascii_case(b"basic") {
            5
        } else {
            continue;
        };
        let spaces = run(bytes, i + scheme, |b| b == b' ' || b == b'\t');
        if spaces == 0 {
            continue;
        }
        let start = i + scheme + spaces;
        let len = run(bytes, start, token_byte);
        let cred = &s[start..start + len];
        let secret = if scheme == 6 {
            bearer_token(cred)
        } else {
            basic_credentials(cred)
        };
        if secret && !is_reference(cred) {
            found.push(Finding {
                rule: Rule::Authorization,
                what: if scheme == 6 {
                    "a bearer token"
                } else {
                    "basic-auth credentials"
                },
                span: start..start + len,
                public: 0,
            });
        }
    }
}

/// A bearer token: a JWT, or 16 characters or more with letters and digits
/// ("Bearer token" in prose is not one).
fn bearer_token(t: &str) -> bool {
    jwt_at(t, 0).is_some()
        || (t.len() >= 16
            && t.bytes().any(|b| b.is_ascii_digit())
            && t.bytes().any(|b| b.is_ascii_alphabetic())
            && !placeholder(t))
}

/// Basic credentials: base64 that decodes to `user:password`.
fn basic_credentials(t: &str) -> bool {
    t.len() >= 8
        && base64_decode(t, false)
            .and_then(|d| String::from_utf8(d).ok())
            .is_some_and(|d| {
                d.split_once(':')
                    .is_some_and(|(u, p)| !u.is_empty() && !p.is_empty() && !d.contains('\n'))
            })
}

fn b64url_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// The JWT at `i`, as its length: `header.payload.signature` in base64url,
/// the header a JSON object with `alg` or `typ`, the payload a JSON object.
fn jwt_at(s: &str, i: usize) -> Option<usize> {
    let b = s.as_bytes();
    if !s[i..].starts_with("eyJ") {
        return None;
    }
    let h = run(b, i, b64url_byte);
    if b.get(i + h) != Some(&b'.') {
        return None;
    }
    let p = run(b, i + h + 1, b64url_byte);
    if p < 4 || b.get(i + h + 1 + p) != Some(&b'.') {
        return None;
    }
    let sig = run(b, i + h + p + 2, b64url_byte);
    let json = |seg: &str| {
        base64_decode(seg, true)
            .and_then(|d| serde_json::from_slice::<serde_json::Value>(&d).ok())
            .filter(serde_json::Value::is_object)
    };
    let header = json(&s[i..i + h])?;
    if header.get("alg").is_none() && header.get("typ").is_none() {
        return None;
    }
    json(&s[i + h + 1..i + h + 1 + p])?;
    Some(h + p + sig + 2)
}

fn jwts(s: &str, found: &mut Vec<Finding>) {
    let bytes = s.as_bytes();
    for (i, _) in s.match_indices("eyJ") {
        if !word_start(bytes, i) {
            continue;
        }
        if let Some(len) = jwt_at(s, i) {
            found.push(Finding {
                rule: Rule::Jwt,
                what: "a JSON Web Token",
                span: i..i + len,
                public: 3,
            });
        }
    }
}

/// `scheme://user:password@host` with a password that is no reference, and
/// `scheme://<token>@host` with a user part that is a token.
fn url_credentials(s: &str, found: &mut Vec<Finding>) {
    let bytes = s.as_bytes();
    for (at, _) in s.match_indices("://") {
        let scheme = bytes[..at]
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_alphanumeric() || b"+.-".contains(b))
            .count();
        if scheme == 0 {
            continue;
        }
        let start = at + 3;
        let len = run(bytes, start, |b| {
            !b.is_ascii_whitespace() && !b"/?#\"'<>`".contains(&b)
        });
        let authority = &s[start..start + len];
        let Some(user_end) = authority.rfind('@') else {
            continue;
        };
        let userinfo = &authority[..user_end];
        match userinfo.split_once(':') {
            Some((user, pass)) => {
                let pass_start = start + user.len() + 1;
                if !pass.is_empty() && !is_reference(pass) {
                    let (span, what) = if pass == "x-oauth-basic" || pass == "x-oauth-token" {
                        (start..start + user.len(), "a token as a URL's user name")
                    } else {
                        (pass_start..pass_start + pass.len(), "a password in a URL")
                    };
                    found.push(Finding {
                        rule: Rule::UrlCredentials,
                        what,
                        span,
                        public: 0,
                    });
                }
            }
            None if looks_random(userinfo) => found.push(Finding {
                rule: Rule::UrlCredentials,
                what: "a token as a URL's user name",
                span: start..start + userinfo.len(),
                public: 0,
            }),
            None => {}
        }
    }
}

/// Whether `span` of `s` is inside a URL's user part (`scheme://…@host`),
/// whichever rule found it: the fix is then the URL's.
pub fn in_url_userinfo(s: &str, span: &Range<usize>) -> bool {
    let Some(scheme_end) = s[..span.start].rfind("://") else {
        return false;
    };
    let stop = |c: char| c.is_whitespace() || "/?#\"'<>".contains(c);
    !s[scheme_end + 3..span.start].contains(stop)
        && s[span.end..]
            .split(stop)
            .next()
            .is_some_and(|rest| rest.contains('@'))
}

fn key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_.-".contains(&b)
}

/// `password=…`, `--token=…`, `secret: <random>` inside a text: a word that
/// names a credential, `=` or `:`, and a value that is no reference. After
/// `=` any value of six characters or more is one; after `:` (prose, image
/// tags, `key: value` text) only a random-looking one.
fn credentials_in_text(s: &str, found: &mut Vec<Finding>) {
    let bytes = s.as_bytes();
    for (at, sep) in s.match_indices(['=', ':']) {
        if s[at..].starts_with("://") || s[at..].starts_with("==") {
            continue;
        }
        // The key: a word just before the separator, maybe quoted.
        let mut end = at;
        if end > 0 && (bytes[end - 1] == b'"' || bytes[end - 1] == b'\'') {
            end -= 1;
        }
        let key_len = bytes[..end]
            .iter()
            .rev()
            .take_while(|b| key_byte(**b))
            .count();
        if key_len == 0 {
            continue;
        }
        let key_start = end - key_len;
        // A path or an image (`org/token-service:1.2`) is no assignment.
        if key_start > 0 && matches!(bytes[key_start - 1], b'/' | b'@' | b':') {
            continue;
        }
        // `--set auth.existingSecret=…`: the last part of a dotted path is
        // the key.
        let key = s[key_start..end].rsplit('.').next().unwrap_or_default();
        if !is_credential_key(key.trim_start_matches('-')) {
            continue;
        }
        let mut start = at + 1;
        if bytes.get(start) == Some(&b'=') {
            start += 1; // `:=`
        }
        let spaced = run(bytes, start, |b| b == b' ' || b == b'\t');
        start += spaced;
        if matches!(bytes.get(start), Some(b'"' | b'\'')) {
            start += 1;
        }
        // To the next space or quote: a password may hold `&` or `,`, and
        // cutting a little more than the secret costs nothing.
        let len = run(bytes, start, |b| {
            !b.is_ascii_whitespace() && !b"\"'`".contains(&b)
        });
        let value = &s[start..start + len];
        let secret = if sep == "=" && spaced == 0 {
            value.len() >= 6 && !placeholder(value)
        } else {
            looks_random(value)
        };
        if secret && !is_reference(value) && !value.starts_with('<') {
            found.push(Finding {
                rule: Rule::CredentialInText,
                what: "a credential after a secret's name",
                span: start..start + len,
                public: 0,
            });
        }
    }
}

/// Decodes base64 (standard, or URL-safe when `url`), padding optional.
fn base64_decode(s: &str, url: bool) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' if !url => 62,
            b'/' if !url => 63,
            b'-' if url => 62,
            b'_' if url => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (bits < 6).then_some(out)
}

/// `s` with every finding cut out (its public part kept, the rest shown as
/// `[redacted]`), on one line and at most about 100 characters around the
/// first finding: what a message may show.
pub fn excerpt(s: &str, found: &[Finding]) -> String {
    let mut out = String::new();
    let mut at = 0;
    let mut first = None;
    for f in found {
        if f.span.start < at {
            continue;
        }
        push_escaped(&mut out, &s[at..f.span.start]);
        first.get_or_insert(out.chars().count());
        push_escaped(&mut out, &s[f.span.start..f.span.start + f.public]);
        out.push_str("[redacted]");
        at = f.span.end;
    }
    push_escaped(&mut out, &s[at..]);
    // The window: 40 characters before the first cut, 100 in all.
    let start = first.unwrap_or(0).saturating_sub(40);
    let total = out.chars().count();
    let shown: String = out.chars().skip(start).take(100).collect();
    format!(
        "{}{shown}{}",
        if start > 0 { "…" } else { "" },
        if start + 100 < total { "…" } else { "" }
    )
}

/// Pushes `s` on one line: newlines, returns and tabs as `\n`, `\r`, `\t`.
fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
}

/// `text` with each of `secrets` replaced by `[redacted]`: for messages
/// that quote an input (a URL, a value) that holds one.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if !s.is_empty() && out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "[redacted]");
        }
    }
    out
}

#[cfg(test)]
mod tests;
