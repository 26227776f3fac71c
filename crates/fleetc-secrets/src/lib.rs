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

#![deny(missing_docs)]

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
    /// A value under a key that names a credential. In values any literal
    /// one (the key rule, fleetc's `check::secrets`); elsewhere a random-looking one
    /// (a label named `token`, [`scan_keyed`]).
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

    /// The rule of that name (as [`Rule::name`] gives it).
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
    /// The rule that found it.
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
        // The kept spans, by start; they never overlap, so a span overlaps
        // one of them only if it overlaps the last one starting before its
        // end.
        let mut kept: std::collections::BTreeMap<usize, Finding> = Default::default();
        for f in found {
            let overlaps = kept
                .range(..f.span.end)
                .next_back()
                .is_some_and(|(_, k)| k.span.end > f.span.start);
            if !overlaps {
                kept.insert(f.span.start, f);
            }
        }
        found = kept.into_values().collect();
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
    // Where a credential is read from or how it is handled, not the
    // credential: grafana's `admin.passwordKey`, `secretFieldSelector`,
    // `TOKEN_ISSUER`, `API_TOKEN_HEADER`, `SECRET_STORE`, …
    "passwordkey",
    "tokenkey",
    "keys",
    "selector",
    "rotation",
    "issuer",
    "audience",
    "header",
    "store",
    "backend",
    "namespace",
    "endpoint",
    "class",
    "mtime",
    "provider",
    "version",
    "format",
    "prefix",
    "suffix",
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
            .all(|part| fleetc_rules::k8s::dns1123_subdomain(part).is_ok())
}

/// Whether `s` refers to a credential rather than being one: an
/// argocd-vault-plugin placeholder, a `${ }` expression, a shell variable
/// or command (`$NAME`, `$(…)`), Grafana's `$__file{…}` and `$__env{…}`, a
/// Helm template, a vals or Vault reference.
pub fn is_reference(s: &str) -> bool {
    let t = s.trim();
    t.is_empty()
        || t.starts_with("<path:")
        || shell_variable(t)
        || t.starts_with("$(")
        || t.starts_with("$__")
        || t.contains("${")
        || t.contains("{{")
        || t.starts_with("ref+")
        || t.starts_with("vault:")
        || t.starts_with("secretref+")
}

/// `$NAME`: an environment variable (capitals, digits and `_`).
fn shell_variable(t: &str) -> bool {
    t.strip_prefix('$').is_some_and(|name| {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    })
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

/// The length of the run of bytes from `from` that satisfy `ok`, counting
/// at most `cap` bytes: a run that reaches `cap` is longer than anything a
/// rule wants, and stopping there keeps a scan of a long string linear
/// however many candidates it holds.
fn run_capped(s: &[u8], from: usize, cap: usize, ok: impl Fn(u8) -> bool) -> usize {
    s.get(from..).map_or(0, |rest| {
        rest.iter().take(cap).take_while(|b| ok(**b)).count()
    })
}

/// The longest value or token any rule reads (a bearer token, a
/// password, a JWT's part): longer runs are no credentials.
const MAX_CREDENTIAL: usize = 16 * 1024;

/// The longest PEM body looked at (an RSA 16384-bit key is under 13 KiB).
const MAX_PEM: usize = 64 * 1024;

/// Extends `end` to the next whitespace or quote: when a rule's match
/// stops at a character that may still be part of the secret (`%`, `'`),
/// cutting more than the secret costs nothing, and less would print the
/// rest of it.
fn to_word_end(s: &[u8], end: usize) -> usize {
    end + run_capped(s, end, MAX_CREDENTIAL, |b| {
        !b.is_ascii_whitespace() && !b"\"'`".contains(&b)
    })
}

/// `-----BEGIN … PRIVATE KEY-----` followed by a body (a header alone, as
/// Helm template text or docs quote it, is not a key), the same in base64
/// (`LS0tLS1CRUdJTi…`, as a Secret's data holds it), and PuTTY keys.
fn private_keys(s: &str, found: &mut Vec<Finding>) {
    let mut from = 0;
    while let Some(at) = s[from..].find("-----BEGIN ").map(|i| i + from) {
        let label_start = at + "-----BEGIN ".len();
        let Some(label_len) = s[label_start..].find("-----") else {
            break;
        };
        let label = &s[label_start..label_start + label_len];
        let header_end = label_start + label_len + "-----".len();
        from = header_end;
        if !label.contains("PRIVATE KEY") || label.len() > 40 {
            continue;
        }
        // The body runs to the next `-----` (its end line, or the next
        // header when there is none), so each is read once.
        let window = &s[header_end..floor_boundary(s, header_end + MAX_PEM)];
        let (body, end) = match window.find("-----") {
            Some(i) if window[i..].starts_with("-----END ") => {
                let e = header_end + i + "-----END ".len();
                let close = s[e..floor_boundary(s, e + 64)]
                    .find("-----")
                    .map_or(e, |j| e + j + "-----".len());
                (&window[..i], close)
            }
            Some(i) => (&window[..i], header_end + i),
            None => (window, header_end + window.len()),
        };
        if pem_body(body) {
            found.push(Finding {
                rule: Rule::PrivateKey,
                what: "a private key",
                span: at..end,
                public: header_end - at,
            });
            from = end;
        }
    }
    // A PEM in base64: `-----BEGIN ` is `LS0tLS1CRUdJTi` whatever follows.
    let bytes = s.as_bytes();
    for (at, _) in s.match_indices("LS0tLS1CRUdJTi") {
        if !word_start(bytes, at) || found.iter().any(|f| f.span.contains(&at)) {
            continue;
        }
        let len = run_capped(bytes, at, MAX_PEM, |b| {
            b.is_ascii_alphanumeric() || b"+/=".contains(&b)
        });
        let decoded = base64_decode(&s[at..at + len], false)
            .or_else(|| base64_decode(&s[at..at + len - len % 4], false));
        let Some(text) = decoded.and_then(|d| String::from_utf8(d).ok()) else {
            continue;
        };
        let mut inner = Vec::new();
        private_keys(&text, &mut inner);
        if inner.iter().any(|f| f.rule == Rule::PrivateKey) {
            found.push(Finding {
                rule: Rule::PrivateKey,
                what: "a private key in base64",
                span: at..at + len,
                public: 0,
            });
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

/// Whether the text between a PEM header and its end is a key's body: 32
/// or more characters in words of base64 (16 characters or more, with a
/// digit, `+` or `/`), and no template text (`{{ .Values.key }}` between a
/// header and an end line is a chart writing one out).
fn pem_body(body: &str) -> bool {
    if body.contains("{{") {
        return false;
    }
    let base64: usize = body
        .split(|c: char| c.is_whitespace() || c == '\\')
        .filter(|w| {
            w.len() >= 16
                && w.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
                && w.bytes()
                    .any(|b| b.is_ascii_digit() || b == b'+' || b == b'/')
        })
        .map(str::len)
        .sum();
    base64 >= 32
}

/// The largest character boundary of `s` at or below `i`.
fn floor_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b)
}

/// An `Authorization` scheme.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Bearer,
    Basic,
}

/// `Bearer <token>` and `Basic <base64 of user:password>`, in any case.
fn authorization(s: &str, found: &mut Vec<Finding>) {
    let bytes = s.as_bytes();
    for (i, _) in s.match_indices(['b', 'B']) {
        if !word_start(bytes, i) {
            continue;
        }
        let word = |w: &[u8]| {
            bytes
                .get(i..i + w.len())
                .is_some_and(|b| b.eq_ignore_ascii_case(w))
        };
        let (scheme, skip) = if word(b"bearer") {
            (Scheme::Bearer, 6)
        } else if word(b"basic") {
            (Scheme::Basic, 5)
        } else {
            continue;
        };
        let spaces = run_capped(bytes, i + skip, 16, |b| b == b' ' || b == b'\t');
        if spaces == 0 {
            continue;
        }
        let start = i + skip + spaces;
        let len = run_capped(bytes, start, MAX_CREDENTIAL, token_byte);
        let cred = &s[start..start + len];
        let (secret, what) = match scheme {
            Scheme::Bearer => (bearer_token(cred), "a bearer token"),
            Scheme::Basic => (basic_credentials(cred), "basic-auth credentials"),
        };
        if secret && !is_reference(cred) {
            found.push(Finding {
                rule: Rule::Authorization,
                what,
                span: start..to_word_end(bytes, start + len),
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

/// The longest JWT header read (a header with an `x5c` chain is a few KiB).
const MAX_JWT_HEADER: usize = 8 * 1024;

/// The JWT at `i`, as its length: `header.payload.signature` in base64url,
/// the header a JSON object with `alg` or `typ`, the payload a JSON object.
fn jwt_at(s: &str, i: usize) -> Option<usize> {
    let b = s.as_bytes();
    if !s[i..].starts_with("eyJ") {
        return None;
    }
    let h = run_capped(b, i, MAX_JWT_HEADER, b64url_byte);
    if b.get(i + h) != Some(&b'.') {
        return None;
    }
    let p = run_capped(b, i + h + 1, MAX_CREDENTIAL, b64url_byte);
    if p < 4 || b.get(i + h + 1 + p) != Some(&b'.') {
        return None;
    }
    let sig = run_capped(b, i + h + p + 2, MAX_CREDENTIAL, b64url_byte);
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
    // A JWT's header starts at `eyJ` and runs to a `.`; every `eyJ` of one
    // run of base64url shares that `.`, so a run whose first candidate
    // ends nowhere near one is passed over whole.
    let mut skip_to = 0;
    for (i, _) in s.match_indices("eyJ") {
        if i < skip_to || !word_start(bytes, i) {
            continue;
        }
        match jwt_at(s, i) {
            Some(len) => {
                found.push(Finding {
                    rule: Rule::Jwt,
                    what: "a JSON Web Token",
                    span: i..to_word_end(bytes, i + len),
                    public: 3,
                });
                skip_to = i + len;
            }
            None => {
                let h = run_capped(bytes, i, MAX_JWT_HEADER + 1, b64url_byte);
                if bytes.get(i + h) != Some(&b'.') {
                    skip_to = i + h;
                }
            }
        }
    }
}

/// `scheme://user:password@host` with a password that is no reference, and
/// `scheme://<token>@host` with a user part that is a token. An image
/// reference's digest (`docker://nginx:1.25@sha256:…`) and a Sentry DSN's
/// public key (`https://<key>@o1.ingest.sentry.io/2`) are no credentials.
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
        let word = |b: u8| !b.is_ascii_whitespace() && !b"\"'<>`".contains(&b);
        let len = run_capped(bytes, start, MAX_CREDENTIAL, |b| {
            word(b) && !b"/?#".contains(&b)
        });
        let authority = &s[start..start + len];
        let (userinfo, host) = match authority.rfind('@') {
            Some(e) => (&authority[..e], &authority[e + 1..]),
            None => {
                // A password holding `/`, `?` or `#` (pasted unencoded):
                // `user:pa/ss@host`, the user part up to the last `@`
                // before the next space. Not a port (`host:443/a@b`).
                let Some((_, after)) = authority.split_once(':') else {
                    continue;
                };
                if after.is_empty() || after.bytes().all(|b| b.is_ascii_digit()) {
                    continue;
                }
                let tail_len = run_capped(bytes, start, MAX_CREDENTIAL, word);
                let tail = &s[start..start + tail_len];
                let Some(e) = tail.rfind('@') else { continue };
                (&tail[..e], &tail[e + 1..])
            }
        };
        // `docker://nginx:1.25@sha256:…` is an image's digest.
        if host.starts_with("sha256:") || host.starts_with("sha512:") {
            continue;
        }
        let (user, pass) = match userinfo.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (userinfo, None),
        };
        let host_name = host.split(['/', ':', '?', '#']).next().unwrap_or_default();
        match pass {
            Some(pass) if !pass.is_empty() && !is_reference(pass) => {
                let pass_start = start + user.len() + 1;
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
            None if looks_random(user) && !host_name.ends_with(".sentry.io") => {
                found.push(Finding {
                    rule: Rule::UrlCredentials,
                    what: "a token as a URL's user name",
                    span: start..start + user.len(),
                    public: 0,
                })
            }
            _ => {}
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
/// names a credential, `=` or `: `, and a value that is no reference. After
/// `=` any value of six characters or more is one; after `: ` (prose,
/// `key: value` text) only a random-looking one. A `:` with no space after
/// it is an image's tag or a port (`token-exchanger:sha-3f2a…`).
fn credentials_in_text(s: &str, found: &mut Vec<Finding>) {
    let bytes = s.as_bytes();
    // Separators inside a value already read start no new assignment.
    let mut skip_to = 0;
    for (at, sep) in s.match_indices(['=', ':']) {
        if at < skip_to || s[at..].starts_with("://") || s[at..].starts_with("==") {
            continue;
        }
        // The key: a word just before the separator, maybe quoted or
        // followed by spaces (`key = value` in INI, TOML and HCL).
        let mut end = at - run_capped_back(bytes, at, 16, |b| b == b' ' || b == b'\t');
        if end > 0 && (bytes[end - 1] == b'"' || bytes[end - 1] == b'\'') {
            end -= 1;
        }
        let key_len = run_capped_back(bytes, end, 256, key_byte);
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
        let spaced = run_capped(bytes, start, 16, |b| b == b' ' || b == b'\t');
        if sep == ":" && spaced == 0 {
            continue;
        }
        start += spaced;
        // A quoted value runs to its closing quote; else to the next space
        // (a password may hold `&`, `,` or a quote, and cutting a little
        // more than the secret costs nothing).
        let len = match bytes.get(start) {
            Some(&q @ (b'"' | b'\'')) => {
                start += 1;
                run_capped(bytes, start, MAX_CREDENTIAL, |b| b != q && b != b'\n')
            }
            _ => run_capped(bytes, start, MAX_CREDENTIAL, |b| !b.is_ascii_whitespace()),
        };
        skip_to = start + len;
        let value = &s[start..start + len];
        let secret = if sep == "=" {
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

/// [`run_capped`] backwards: the length of the run that ends at `end`.
fn run_capped_back(s: &[u8], end: usize, cap: usize, ok: impl Fn(u8) -> bool) -> usize {
    s[..end]
        .iter()
        .rev()
        .take(cap)
        .take_while(|b| ok(**b))
        .count()
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
        // Findings never overlap; were one to start inside the last, its
        // rest is cut with it.
        let from = f.span.start.max(at);
        push_escaped(&mut out, &s[at..from]);
        first.get_or_insert_with(|| out.chars().count());
        if from == f.span.start {
            push_escaped(&mut out, &s[f.span.start..f.span.start + f.public]);
        }
        out.push_str("[redacted]");
        at = f.span.end.max(at);
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

/// Cuts secrets out of any text in one pass, whatever their number: for
/// messages that quote an input (a URL, a value) that holds one. Each
/// secret is looked for as written, as a message quotes it (`{:?}`, with
/// `\n` and `\"`), and line by line; the longest match wins, so no part of
/// a longer secret is left beside a shorter one.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    automaton: Option<aho_corasick::AhoCorasick>,
}

impl Redactor {
    /// Secrets shorter than this are not looked for alone (an `e` would
    /// cut every `e`): give the whole string that holds them instead.
    pub const MIN_LEN: usize = 6;

    /// A redactor of `secrets`; one shorter than [`Redactor::MIN_LEN`] is
    /// not looked for.
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Redactor {
        let mut patterns = std::collections::BTreeSet::new();
        for s in secrets {
            let mut add = |p: &str| {
                if p.len() >= Redactor::MIN_LEN {
                    patterns.insert(p.to_string());
                }
            };
            add(s);
            add(&s.escape_debug().to_string());
            add(&s.escape_default().to_string());
            for line in s.lines() {
                add(line.trim());
            }
        }
        if patterns.is_empty() {
            return Redactor::default();
        }
        // No DFA: patterns can be long (a key's body), and a message is
        // searched once.
        let automaton = aho_corasick::AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(&patterns)
            .ok();
        Redactor { automaton }
    }

    /// `text` with every secret replaced by `[redacted]`.
    pub fn redact(&self, text: &str) -> String {
        match &self.automaton {
            Some(ac) if ac.is_match(text) => {
                let mut out = String::with_capacity(text.len());
                ac.replace_all_with(text, &mut out, |_, _, dst| {
                    dst.push_str("[redacted]");
                    true
                });
                out
            }
            _ => text.to_string(),
        }
    }
}

#[cfg(test)]
mod tests;
