//! Content-based secret detection, end to end: `fleetc check` refuses a
//! string that holds a credential, found by what it is rather than by the
//! key it sits under, with one located error per finding and the secret
//! itself cut out of every message.
//!
//! Two corpora meet here. `tests/data/secrets/ordinary.yaml` is what a
//! platform team writes into Helm values every day (versions, digests,
//! certificates, Helm template text, references, URLs without
//! credentials, prose about tokens): none of it may fire. And generated
//! secrets, 50 of each kind, from a seeded PRNG (none is real): every one
//! must be refused under its own rule, at its own line, and never printed.
//!
//! The secrets sit under innocent keys (`s001`, ...): a key like `password`
//! is refused by the values-layer key rule whatever the value holds, and
//! the content rules are what is under test.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use crate::support::{fleetc, repo, Run};

/// How many secrets of each kind the generated corpus holds.
const PER_KIND: usize = 50;

/// The rules a generated kind is reported under, in the order of the
/// kinds below.
const RULES: [&str; 6] = [
    "private-key",
    "token",
    "authorization",
    "jwt",
    "url-credentials",
    "credential-in-text",
];

/// The app file the secrets are written to (the contract's example path).
const SECRETS_FILE: &str = "apps/corpus.yaml";
/// The app file the ordinary corpus is written to.
const ORDINARY_FILE: &str = "apps/ordinary.yaml";

// ---------------------------------------------------------------------------
// The inventory

/// A team, a cluster and a policy that places every app on it: the smallest
/// inventory that takes an app through `check` as a real one goes.
fn write_fleet(dir: &Path) {
    write(
        dir,
        "namespaces/shop.yaml",
        "name: shop\ndescription: In-store shop\n",
    );
    write(
        dir,
        "clusters/edge.yaml",
        "name: edge-01\nenvironment: prod\nmetadata:\n  region: east\n",
    );
    write(
        dir,
        "policies/everywhere.yaml",
        "name: everything-everywhere\napp_selector: {}\ncluster_selector: {}\n",
    );
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The head of an app document, up to and including `values:`.
fn app_head(name: &str) -> String {
    format!(
        "name: {name}\nrepo_url: https://git.example.com/shop/{name}.git\nrepo_path: deploy\nnamespace: shop\nvalues:\n"
    )
}

/// The ordinary corpus as it is on disk.
fn ordinary_text() -> String {
    std::fs::read_to_string(repo().join("tests/data/secrets/ordinary.yaml")).unwrap()
}

/// The ordinary corpus as an app (`apps/ordinary.yaml`), and the line of the
/// app file its first line lands on.
fn ordinary_app() -> (String, usize) {
    let mut text = app_head("ordinary");
    let offset = text.lines().count();
    for line in ordinary_text().lines() {
        if !line.is_empty() {
            text.push_str("  ");
            text.push_str(line);
        }
        text.push('\n');
    }
    (text, offset)
}

/// How many values the ordinary corpus holds; every one must be a string.
fn ordinary_values() -> usize {
    fn count(v: &serde_yaml::Value, path: &str) -> usize {
        match v {
            serde_yaml::Value::Mapping(m) => m
                .iter()
                .map(|(k, c)| count(c, &format!("{path}.{}", k.as_str().unwrap())))
                .sum(),
            serde_yaml::Value::String(_) => 1,
            other => panic!("ordinary.yaml: `{path}` is not a string: {other:?}"),
        }
    }
    let doc: serde_yaml::Value = serde_yaml::from_str(&ordinary_text()).unwrap();
    count(&doc, "values")
}

// ---------------------------------------------------------------------------
// What fleetc printed

/// One `error:` line of `check` that names a rule.
#[derive(Debug)]
struct Reported {
    file: String,
    line: usize,
    /// The value's path, as the message names it (`values.s001`).
    name: String,
    rule: String,
    text: String,
}

/// The secret findings of a run (`error: FILE:LINE: `NAME` holds WHAT (rule
/// `RULE`): `EXCERPT`; ...`), and the other error lines (but the count).
fn findings(run: &Run) -> (Vec<Reported>, Vec<String>) {
    let mut found = Vec::new();
    let mut other = Vec::new();
    let lines: Vec<&str> = run.stderr.lines().collect();
    for (i, text) in lines.iter().enumerate() {
        let Some(rest) = text.strip_prefix("error: ") else {
            continue;
        };
        let parsed = (|| {
            let rule_at = rest.find("(rule `")? + "(rule `".len();
            let rule = &rest[rule_at..rule_at + rest[rule_at..].find("`)")?];
            let (location, message) = rest.split_once(": ")?;
            let (file, line) = location.rsplit_once(':')?;
            let name = message.strip_prefix('`')?.split('`').next()?;
            Some(Reported {
                file: file.to_string(),
                line: line.parse().ok()?,
                name: name.to_string(),
                rule: rule.to_string(),
                text: text.to_string(),
            })
        })();
        match parsed {
            Some(r) => {
                if !lines.get(i + 1).is_some_and(|l| l.starts_with("  help: ")) {
                    other.push(format!("no `help:` line after: {text}"));
                }
                found.push(r);
            }
            None if rest.contains(" problem found; ") || rest.contains(" problems found; ") => {}
            None => other.push((*text).to_string()),
        }
    }
    (found, other)
}

/// The parts of `secrets` that `run` printed anywhere: a part in full, or
/// any 12 characters of it in a row (a secret cut short is still leaked).
fn leaks<'a>(run: &Run, secrets: impl Iterator<Item = &'a str>) -> Vec<String> {
    const WINDOW: usize = 12;
    let out = format!("{}\n{}", run.stdout, run.stderr);
    let printed: HashSet<&[u8]> = out.as_bytes().windows(WINDOW).collect();
    secrets
        .filter(|s| {
            let s = s.as_bytes();
            if s.len() < WINDOW {
                out.as_bytes().windows(s.len()).any(|w| w == s)
            } else {
                s.windows(WINDOW).any(|w| printed.contains(w))
            }
        })
        .map(str::to_string)
        .collect()
}

/// Panics with every problem found and what fleetc printed.
fn fail_with(problems: &[String], run: &Run) {
    if problems.is_empty() {
        return;
    }
    let stderr: Vec<&str> = run.stderr.lines().take(60).collect();
    panic!(
        "{} problem(s):\n  {}\n\nexit status {}; the first lines of stderr:\n{}",
        problems.len(),
        problems.join("\n  "),
        run.status,
        stderr.join("\n")
    );
}

// ---------------------------------------------------------------------------
// The generated secrets

/// xorshift64*: deterministic, seeded per kind, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// [`Rng::string`] of `min` characters or up to `spread - 1` more.
    fn string_len(&mut self, alphabet: &[u8], min: usize, spread: usize) -> String {
        let len = min + self.below(spread);
        self.string(alphabet, len)
    }

    /// `len` characters of `alphabet` that look random: eight different
    /// characters at least, and letters and digits both where the alphabet
    /// has them (no placeholder such as `xxxx`).
    fn string(&mut self, alphabet: &[u8], len: usize) -> String {
        let wants_digit = alphabet.iter().any(u8::is_ascii_digit);
        let wants_letter = alphabet.iter().any(u8::is_ascii_alphabetic);
        loop {
            let s: String = (0..len).map(|_| *self.pick(alphabet) as char).collect();
            let distinct: HashSet<char> = s.chars().collect();
            if distinct.len() >= 8.min(len)
                && (!wants_digit || s.bytes().any(|b| b.is_ascii_digit()))
                && (!wants_letter || s.bytes().any(|b| b.is_ascii_alphabetic()))
            {
                return s;
            }
        }
    }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const HEX: &[u8] = b"0123456789abcdef";
const DIGITS: &[u8] = b"0123456789";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// What a password is made of: letters, digits and a few marks that need
/// no escaping in a URL's user part or a shell word.
const PASSWORD: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!*";

/// Base64 of `data`: standard with padding, or URL-safe without.
fn base64(data: &[u8], url: bool) -> String {
    let alphabet = if url { B64URL } else { B64 };
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
        if !url {
            out.push_str(&"=".repeat(3 - chunk.len()));
        }
    }
    out
}

/// One generated credential and where it goes.
struct Secret {
    /// The innocent key it is written under (`s001`).
    key: String,
    /// The rule that must report it.
    rule: &'static str,
    /// The whole string written under the key.
    value: String,
    /// What must never be printed: everything after a public prefix (a
    /// token's body, a PEM's body lines, a URL's password).
    hidden: Vec<String>,
}

impl Secret {
    fn new(rule: &'static str, value: String, hidden: Vec<String>) -> Secret {
        // (Its first part is in the value; a Basic credential's password,
        // base64 in the value, is a second part that must not be printed
        // decoded either.)
        assert!(
            value.contains(hidden[0].as_str()),
            "{rule}: {:?} is not in {value:?}",
            hidden[0]
        );
        Secret {
            key: String::new(),
            rule,
            value,
            hidden,
        }
    }
}

/// A PEM private key: one of the labels, a multi-line base64 body, the END
/// line; now and then a comment line before it.
fn private_key(i: usize, rng: &mut Rng) -> Secret {
    const LABELS: [&str; 6] = [
        "RSA PRIVATE KEY",
        "EC PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
        "PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
        "DSA PRIVATE KEY",
    ];
    let label = LABELS[i % LABELS.len()];
    let mut body: Vec<String> = (0..3 + rng.below(8)).map(|_| rng.string(B64, 64)).collect();
    body.push(format!("{}==", rng.string_len(B64, 20, 40)));
    let mut value = String::new();
    if i.is_multiple_of(5) {
        value.push_str("# deploy key of the edge mirror\n");
    }
    let _ = write!(
        value,
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        body.join("\n")
    );
    let hidden = body
        .iter()
        .map(|l| l.trim_end_matches('=').to_string())
        .collect();
    Secret::new("private-key", value, hidden)
}

/// A token with a provider's prefix, in the provider's alphabet and length;
/// some in a sentence, some after `CI_TOKEN=` or as a URL's password (both
/// overlap a later rule, and the token rule must win).
fn token(i: usize, rng: &mut Rng) -> Secret {
    let (prefix, body) = match i % 20 {
        0 => ("ghp_", rng.string(ALNUM, 36)),
        1 => (
            "github_pat_",
            format!("{}_{}", rng.string(ALNUM, 22), rng.string(ALNUM, 59)),
        ),
        2 => ("glpat-", rng.string(B64URL, 20)),
        3 => (
            "xoxb-",
            format!(
                "{}-{}-{}",
                rng.string(DIGITS, 12),
                rng.string(DIGITS, 13),
                rng.string(ALNUM, 24)
            ),
        ),
        4 => ("AKIA", rng.string(UPPER, 16)),
        5 => ("sk_live_", rng.string(ALNUM, 24)),
        6 => ("gho_", rng.string(ALNUM, 36)),
        7 => (
            "xoxp-",
            format!(
                "{}-{}-{}-{}",
                rng.string(DIGITS, 12),
                rng.string(DIGITS, 12),
                rng.string(DIGITS, 13),
                rng.string(HEX, 32)
            ),
        ),
        8 => ("AIza", rng.string(B64URL, 35)),
        9 => ("npm_", rng.string(ALNUM, 36)),
        10 => ("hf_", rng.string(ALNUM, 34)),
        11 => ("dop_v1_", rng.string(HEX, 64)),
        12 => ("hvs.", rng.string(B64URL, 90)),
        13 => (
            "SG.",
            format!("{}.{}", rng.string(B64URL, 22), rng.string(B64URL, 43)),
        ),
        14 => ("glrt-", rng.string(B64URL, 20)),
        15 => ("dckr_pat_", rng.string(B64URL, 27)),
        16 => ("ASIA", rng.string(UPPER, 16)),
        17 => ("shpat_", rng.string(HEX, 32)),
        18 => ("sk-ant-", format!("api03-{}", rng.string(B64URL, 93))),
        _ => ("whsec_", rng.string(ALNUM, 32)),
    };
    let tok = format!("{prefix}{body}");
    let value = match i % 5 {
        0 => tok,
        1 => format!("CI_TOKEN={tok}"),
        2 => format!("the release job authenticates with {tok} (rotate it monthly)"),
        3 => format!("https://x-access-token:{tok}@github.com/org/app.git"),
        _ => format!("Authorization: token {tok}"),
    };
    Secret::new("token", value, vec![body])
}

/// A JSON Web Token: a real base64url JSON header and payload, a random
/// signature. Never after `Bearer` (that is the authorization rule's).
fn jwt(i: usize, rng: &mut Rng) -> Secret {
    let header = match i % 3 {
        0 => r#"{"alg":"HS256","typ":"JWT"}"#.to_string(),
        1 => format!(
            r#"{{"alg":"RS256","kid":"{}","typ":"JWT"}}"#,
            rng.string(HEX, 16)
        ),
        _ => r#"{"alg":"ES256"}"#.to_string(),
    };
    let payload = format!(
        r#"{{"sub":"{}","iss":"https://auth.example.com","iat":{},"exp":{}}}"#,
        rng.string(ALNUM, 20),
        1_718_000_000 + i * 3_600,
        1_718_086_400 + i * 3_600
    );
    let signature = base64(&rng.bytes(if i % 3 == 1 { 256 } else { 32 }), true);
    let token = format!(
        "{}.{}.{signature}",
        base64(header.as_bytes(), true),
        base64(payload.as_bytes(), true)
    );
    let value = match i % 4 {
        0 => token.clone(),
        1 => format!("id_token={token}"),
        2 => format!("session cookie: {token} (expired)"),
        _ => format!(r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":3600}}"#),
    };
    Secret::new("jwt", value, vec![token["eyJ".len()..].to_string()])
}

/// `Bearer <random>` or `Basic <base64 of user:password>`, in any case,
/// alone or as a header line or a curl command holds it.
fn authorization(i: usize, rng: &mut Rng) -> Secret {
    let (cred, hidden) = if i.is_multiple_of(2) {
        let t = rng.string_len(ALNUM, 32, 17);
        let scheme = ["Bearer", "bearer", "BEARER"][i / 2 % 3];
        (format!("{scheme} {t}"), vec![t])
    } else {
        let user = rng.pick(&["deploy", "admin", "svc-edge", "grafana", "ci"]);
        let pass = rng.string_len(PASSWORD, 16, 8);
        let b64 = base64(format!("{user}:{pass}").as_bytes(), false);
        (
            format!("Basic {b64}"),
            vec![b64.trim_end_matches('=').to_string(), pass],
        )
    };
    let value = match i % 3 {
        0 => cred,
        1 => format!("Authorization: {cred}"),
        _ => format!("curl -H 'Authorization: {cred}' https://api.example.com/v1/orders"),
    };
    Secret::new("authorization", value, hidden)
}

/// A password in a URL's user part, in the schemes a values file holds, or
/// a random-looking user name that is a token.
fn url_credentials(i: usize, rng: &mut Rng) -> Secret {
    if i % 7 == 6 {
        let user = rng.string(ALNUM, 32);
        let value = format!("https://{user}@git.example.com/org/app.git");
        return Secret::new("url-credentials", value, vec![user]);
    }
    let pw = rng.string_len(PASSWORD, 16, 12);
    let value = match i % 7 {
        0 => format!("https://deploy:{pw}@git.example.com/org/app.git"),
        1 => format!("postgres://app:{pw}@db:5432/app"),
        2 => format!("git clone https://ci-bot:{pw}@gitlab.example.com/platform/fleet.git"),
        3 => format!("DATABASE_URL=mysql://shop:{pw}@mysql.internal:3306/shop"),
        4 => format!("redis://:{pw}@redis-master:6379/0"),
        _ => format!("amqp://fleet:{pw}@rabbitmq.messaging.svc:5672/"),
    };
    Secret::new("url-credentials", value, vec![pw])
}

/// `password=…` and its kin inside a longer text, and `token: <random>`.
fn credential_in_text(i: usize, rng: &mut Rng) -> Secret {
    let pw = rng.string_len(PASSWORD, 12, 9);
    let (value, pw) = match i % 7 {
        0 => (format!("site VPN password={pw} ask ops"), pw),
        1 => (
            format!("export DB_PASSWORD={pw} before running the migration"),
            pw,
        ),
        2 => (format!("run the agent with --token={pw} --insecure"), pw),
        3 => (format!("legacy ftp login: user=edge passwd={pw}"), pw),
        4 => (
            format!("grant_type=client_credentials&client_secret={pw}&scope=fleet"),
            pw,
        ),
        5 => {
            let t = rng.string(ALNUM, 24);
            (format!("config dump: token: {t} (from the old agent)"), t)
        }
        _ => (format!("SECRET_KEY={pw} is what settings.py reads"), pw),
    };
    Secret::new("credential-in-text", value, vec![pw])
}

/// 50 secrets of each kind, interleaved, keyed `s001`, `s002`, ...
fn generated() -> Vec<Secret> {
    type Generator = fn(usize, &mut Rng) -> Secret;
    let kinds: [Generator; 6] = [
        private_key,
        token,
        authorization,
        jwt,
        url_credentials,
        credential_in_text,
    ];
    let mut rngs: Vec<Rng> = (0..kinds.len())
        .map(|k| Rng::new(0x5EC2_E700 + k as u64))
        .collect();
    let mut out = Vec::new();
    for i in 0..PER_KIND {
        for (k, generate) in kinds.iter().enumerate() {
            let mut s = generate(i, &mut rngs[k]);
            assert_eq!(s.rule, RULES[k]);
            s.key = format!("s{:03}", out.len() + 1);
            out.push(s);
        }
    }
    out
}

/// The secrets as an app (`apps/corpus.yaml`), and the line of each key.
fn secrets_app(secrets: &[Secret]) -> (String, BTreeMap<String, usize>) {
    let mut text = app_head("corpus");
    let mut lines = BTreeMap::new();
    for s in secrets {
        lines.insert(s.key.clone(), text.lines().count() + 1);
        if s.value.contains('\n') {
            // As a key is pasted: a literal block.
            assert!(s.value.ends_with('\n') && !s.value.ends_with("\n\n"));
            let _ = writeln!(text, "  {}: |", s.key);
            for l in s.value.lines() {
                let _ = writeln!(text, "    {l}");
            }
        } else {
            // A JSON string is a YAML double-quoted one.
            let _ = writeln!(
                text,
                "  {}: {}",
                s.key,
                serde_json::to_string(&s.value).unwrap()
            );
        }
    }
    (text, lines)
}

// ---------------------------------------------------------------------------
// The tests

/// No rule fires on the ordinary corpus: the inventory that holds it checks
/// clean. A failure names each value that fired, by its line in
/// `ordinary.yaml`.
#[test]
fn ordinary_values_are_not_secrets() {
    let n = ordinary_values();
    assert!(
        n >= 120,
        "the ordinary corpus holds {n} values, fewer than 120"
    );
    let tmp = tempfile::tempdir().unwrap();
    write_fleet(tmp.path());
    let (app, offset) = ordinary_app();
    write(tmp.path(), ORDINARY_FILE, &app);

    let run = fleetc(tmp.path(), &["check", "-i", "."]);
    let mut problems = Vec::new();
    if run.status != 0 {
        let corpus: Vec<&str> = app.lines().collect();
        let (found, other) = findings(&run);
        for f in &found {
            let source = if f.file == ORDINARY_FILE && f.line > offset {
                format!(
                    "ordinary.yaml:{}: {}",
                    f.line - offset,
                    corpus.get(f.line - 1).unwrap_or(&"?").trim()
                )
            } else {
                String::new()
            };
            problems.push(format!(
                "`{}` fired rule `{}` ({source})\n    {}",
                f.name, f.rule, f.text
            ));
        }
        problems.extend(other);
        problems.push(format!("exit status {}, not 0", run.status));
    }
    fail_with(&problems, &run);
    println!("ordinary corpus: {n} values, none refused");
}

/// Every kind of secret is refused, 50 of each, each under its own rule,
/// at the line of its key, with the secret cut out of its excerpt; nothing
/// of any secret reaches stdout or stderr. The ordinary corpus sits in the
/// same inventory (another app) and stays clean beside them.
#[test]
fn every_kind_of_secret_is_refused_and_never_printed() {
    let secrets = generated();
    let tmp = tempfile::tempdir().unwrap();
    write_fleet(tmp.path());
    let (app, lines) = secrets_app(&secrets);
    write(tmp.path(), SECRETS_FILE, &app);
    let (ordinary, _) = ordinary_app();
    write(tmp.path(), ORDINARY_FILE, &ordinary);

    let run = fleetc(tmp.path(), &["check", "-i", "."]);
    let mut problems = Vec::new();
    if run.status != 1 {
        problems.push(format!("exit status {}, not 1", run.status));
    }
    let (found, other) = findings(&run);
    problems.extend(
        other
            .into_iter()
            .map(|l| format!("an error that names no rule: {l}")),
    );

    let by_key: BTreeMap<&str, &Secret> = secrets.iter().map(|s| (s.key.as_str(), s)).collect();
    let mut counts: BTreeMap<&str, usize> = RULES.iter().map(|r| (*r, 0)).collect();
    let mut reported: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &found {
        if f.file != SECRETS_FILE {
            problems.push(format!("a finding outside {SECRETS_FILE}: {}", f.text));
            continue;
        }
        if let Some(n) = counts.get_mut(f.rule.as_str()) {
            *n += 1;
        }
        let key = f.name.rsplit('.').next().unwrap_or_default();
        let Some(secret) = by_key.get(key) else {
            problems.push(format!("a finding at no generated key: {}", f.text));
            continue;
        };
        *reported.entry(&secret.key).or_default() += 1;
        if f.name != format!("values.{key}") {
            problems.push(format!(
                "named `{}`, not `values.{key}`: {}",
                f.name, f.text
            ));
        }
        if f.rule != secret.rule {
            problems.push(format!(
                "{key} ({}) reported under rule `{}`: {:?}",
                secret.rule, f.rule, secret.value
            ));
        }
        if f.line != lines[key] {
            problems.push(format!(
                "{key} is on line {}, reported on {}: {}",
                lines[key], f.line, f.text
            ));
        }
        if !f.text.contains("[redacted]") {
            problems.push(format!("{key}: no `[redacted]` in the excerpt: {}", f.text));
        }
    }
    for (rule, n) in &counts {
        if *n != PER_KIND {
            problems.push(format!("rule `{rule}`: {n} findings, not {PER_KIND}"));
        }
    }
    for s in &secrets {
        match reported.get(s.key.as_str()) {
            Some(1) => {}
            Some(n) => problems.push(format!("{} ({}) reported {n} times", s.key, s.rule)),
            None => problems.push(format!(
                "{} ({}) not reported: {:?}",
                s.key, s.rule, s.value
            )),
        }
    }
    // The count line counts every error listed: none dropped, none twice.
    let listed = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: ") && !l.contains(" found; nothing was written"))
        .count();
    let total = format!("error: {listed} problems found; nothing was written");
    if !run.stderr.lines().any(|l| l == total) {
        problems.push(format!("no `{total}` line"));
    }
    for leaked in leaks(
        &run,
        secrets
            .iter()
            .flat_map(|s| s.hidden.iter().map(String::as_str)),
    ) {
        problems.push(format!("a secret was printed: {leaked:?}"));
    }
    fail_with(&problems, &run);
    println!(
        "secrets corpus: {} ordinary values clean, {} secrets refused",
        ordinary_values(),
        secrets.len()
    );
}

/// Outside values: a cluster's `description` with `password=…` in it, a
/// cluster label named `token` with a random value, and an app's
/// `repo_url` with a GitHub token as its password are each refused with
/// their file and line, under their rule, and never printed.
#[test]
fn secrets_outside_values_are_refused_with_file_and_line() {
    let mut rng = Rng::new(0x0075_1DE5);
    let vpn = rng.string(PASSWORD, 14);
    let label = rng.string(b"abcdefghijklmnopqrstuvwxyz0123456789", 24);
    let ghp = rng.string(ALNUM, 36);

    let tmp = tempfile::tempdir().unwrap();
    write_fleet(tmp.path());
    write(
        tmp.path(),
        "clusters/edge.yaml",
        &format!(
            "name: edge-01\nenvironment: prod\ndescription: Edge store; site VPN password={vpn} ask ops\nmetadata:\n  region: east\n  token: {label}\n"
        ),
    );
    write(
        tmp.path(),
        "apps/web.yaml",
        &format!(
            "name: web\nrepo_url: https://x-access-token:ghp_{ghp}@github.com/org/app.git\nrepo_path: deploy\nnamespace: shop\n"
        ),
    );
    // (file, line, the field the message names, rule)
    let expected = [
        ("clusters/edge.yaml", 3, "description", "credential-in-text"),
        ("clusters/edge.yaml", 6, "token", "credential-key"),
        ("apps/web.yaml", 2, "repo_url", "token"),
    ];

    let run = fleetc(tmp.path(), &["check", "-i", "."]);
    let mut problems = Vec::new();
    if run.status != 1 {
        problems.push(format!("exit status {}, not 1", run.status));
    }
    let (found, other) = findings(&run);
    problems.extend(
        other
            .into_iter()
            .map(|l| format!("an error that names no rule: {l}")),
    );
    for (file, line, field, rule) in expected {
        let hits: Vec<&Reported> = found
            .iter()
            .filter(|f| f.file == file && f.name.ends_with(field))
            .collect();
        match hits.as_slice() {
            [f] => {
                if f.line != line || f.rule != rule {
                    problems.push(format!(
                        "{file}: `{field}` should be line {line}, rule `{rule}`: {}",
                        f.text
                    ));
                }
            }
            [] => problems.push(format!("{file}:{line}: `{field}` ({rule}) not reported")),
            _ => problems.push(format!("{file}: `{field}` reported {} times", hits.len())),
        }
    }
    if found.len() != expected.len() {
        problems.push(format!("{} findings, not {}", found.len(), expected.len()));
    }
    for leaked in leaks(
        &run,
        [vpn.as_str(), label.as_str(), ghp.as_str()].into_iter(),
    ) {
        problems.push(format!("a secret was printed: {leaked:?}"));
    }
    fail_with(&problems, &run);
}

/// `allow_secrets` allows one rule at one place and nothing more: the
/// same JWT is accepted at the allowed path and refused one key over, a
/// token at the allowed path is still refused (another rule), and an
/// allowance that allows nothing is an error naming its line.
#[test]
fn an_allowance_allows_one_rule_at_one_path() {
    let mut rng = Rng::new(0x0A11_0A11);
    let jwt = jwt(0, &mut rng).value;
    let ghp = rng.string(ALNUM, 36);
    let tmp = tempfile::tempdir().unwrap();
    write_fleet(tmp.path());
    let app = |extra: &str| {
        format!(
            "{}  demo:\n    sampleToken: \"{jwt}\"\n{extra}",
            app_head("idp")
        )
    };
    let allow =
        "allow_secrets:\n  - {rule: jwt, file: apps/idp.yaml, path: values.demo.sampleToken}\n";
    write(tmp.path(), "fleetc.yaml", allow);
    write(tmp.path(), "apps/idp.yaml", &app(""));
    let run = fleetc(tmp.path(), &["check", "-i", "."]);
    assert_eq!(run.status, 0, "the allowed JWT is refused:\n{}", run.stderr);

    // One key over, the same JWT is a secret; at the allowed path, a token
    // is one too (the allowance is for `jwt` alone).
    write(
        tmp.path(),
        "apps/idp.yaml",
        &app(&format!(
            "    otherToken: \"{jwt}\"\n    note: \"ghp_{ghp}\"\n"
        )),
    );
    let run = fleetc(tmp.path(), &["check", "-i", "."]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let (found, _) = findings(&run);
    let named: Vec<(&str, &str)> = found
        .iter()
        .map(|f| (f.name.as_str(), f.rule.as_str()))
        .collect();
    assert_eq!(
        named,
        [
            ("values.demo.otherToken", "jwt"),
            ("values.demo.note", "token")
        ],
        "{}",
        run.stderr
    );
    assert!(leaks(&run, [jwt.as_str(), ghp.as_str()].into_iter()).is_empty());

    // With the JWT gone, the allowance allows nothing: an error at its line.
    write(
        tmp.path(),
        "apps/idp.yaml",
        &app_head("idp").replace("values:\n", ""),
    );
    let run = fleetc(tmp.path(), &["check", "-i", "."]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("error: fleetc.yaml:2: this allows rule `jwt` in `apps/idp.yaml` at `values.demo.sampleToken`, where it finds nothing"),
        "{}",
        run.stderr
    );
}

/// Commands that read `fleetc.yaml` alone (`log`, `compile --repo`) print
/// its errors too: a deploy repo URL that is refused for another reason
/// (a trailing space) is quoted with its password cut out.
#[test]
fn settings_errors_never_quote_a_secret() {
    let mut rng = Rng::new(0x5E77_1265);
    let password = rng.string(ALNUM, 20);
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "fleetc.yaml",
        &format!("deploy_repo:\n  url: \"https://deploy:{password}@git.example.com/fleet/deploy.git \"\n"),
    );
    crate::support::git(tmp.path(), &["init", "-q", "deploy"]);
    for args in [
        &["log", "--repo", "deploy"][..],
        &["compile", "--repo", "deploy", "--check"][..],
        &["check"][..],
    ] {
        let run = fleetc(tmp.path(), args);
        assert_eq!(run.status, 1, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("https://deploy:[redacted]@git.example.com"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            leaks(&run, [password.as_str()].into_iter()).is_empty(),
            "{args:?}"
        );
    }
}

/// A string that holds many secrets of one rule is one error, which says
/// how many; each is cut out of the excerpt.
#[test]
fn many_secrets_in_one_string_are_one_error() {
    let mut rng = Rng::new(0x0000_3A11);
    let passwords: Vec<String> = (0..3).map(|_| rng.string(ALNUM, 14)).collect();
    let tmp = tempfile::tempdir().unwrap();
    write_fleet(tmp.path());
    write(
        tmp.path(),
        "apps/web.yaml",
        &format!(
            "{}  env: \"DB_PASSWORD={} CACHE_PASSWORD={} QUEUE_PASSWORD={}\"\n",
            app_head("web"),
            passwords[0],
            passwords[1],
            passwords[2]
        ),
    );
    let run = fleetc(tmp.path(), &["check", "-i", "."]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let (found, _) = findings(&run);
    assert_eq!(found.len(), 1, "{}", run.stderr);
    assert!(
        found[0].text.contains("and 2 more like it")
            && found[0].text.contains(
                "DB_PASSWORD=[redacted] CACHE_PASSWORD=[redacted] QUEUE_PASSWORD=[redacted]"
            ),
        "{}",
        run.stderr
    );
    assert!(leaks(&run, passwords.iter().map(String::as_str)).is_empty());
}

/// The key rule answers `allow_secrets` too, by the path its error names
/// from the document (`values.demo.password`), as `allow_literal_secrets`
/// answers it by the value path (`demo.password`).
#[test]
fn the_key_rule_answers_allow_secrets() {
    let tmp = tempfile::tempdir().unwrap();
    write_fleet(tmp.path());
    write(
        tmp.path(),
        "apps/web.yaml",
        &format!("{}  demo:\n    password: demo-only-pw\n", app_head("web")),
    );
    let run = fleetc(tmp.path(), &["check", "-i", "."]);
    assert_eq!(run.status, 1, "the key rule let a literal password through");
    for allow in [
        "allow_secrets:\n  - {rule: credential-key, file: apps/web.yaml, path: values.demo.password}\n",
        "allow_literal_secrets: [demo.password]\n",
    ] {
        write(tmp.path(), "fleetc.yaml", allow);
        let run = fleetc(tmp.path(), &["check", "-i", "."]);
        assert_eq!(run.status, 0, "{allow}: {}", run.stderr);
    }
}
