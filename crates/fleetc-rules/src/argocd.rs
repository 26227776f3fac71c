//! Argo CD's own matching rules, so that what fleetc allows is what Argo CD
//! admits.
//!
//! An AppProject says which repos (`sourceRepos`), destinations and resource
//! kinds its Applications may use, with patterns. Argo CD matches repos and
//! destinations with `github.com/gobwas/glob` (`util/glob`; repos with `/` as
//! the separator, after normalising the URL) and group, kind and resource
//! names with Go's `filepath.Match` (`pkg/apis/application/v1alpha1`,
//! `isResourceInList`, `isNamedResourceInList`). A pattern that does not
//! compile matches nothing there, and here. fleetc's tenancy checks and its
//! admission tests use these functions, so a repo glob that looks right but
//! that Argo CD reads differently (`https://git.example.com/*` does not
//! admit `https://git.example.com/team/app.git`: `*` stops at `/`) is caught
//! by `fleetc check`, not by a failed sync.

/// The most alternatives one `{a,b}` pattern may expand to; more is treated
/// as a pattern that does not compile (inventories are untrusted).
const MAX_EXPANSIONS: usize = 256;

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Char(char),
    /// `*`: any run of characters but separators.
    Star,
    /// `**` (gobwas only): any run of characters.
    Super,
    /// `?`: one character, not a separator.
    One,
    /// `[...]`: one character in (or, negated, not in) the ranges.
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// Which dialect a pattern is written in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialect {
    /// gobwas/glob: `*`, `**`, `?`, `[a-z]`, `[!a]`, `{a,b}`, `\` escapes.
    Gobwas,
    /// Go's `filepath.Match`: `*`, `?`, `[a-z]`, `[^a]`, `\` escapes; `/`
    /// is the separator.
    FilePath,
}

/// Parses `pattern` into its alternative-free expansions, or `None` when it
/// does not compile.
fn compile(pattern: &str, dialect: Dialect) -> Option<Vec<Vec<Token>>> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut pos = 0;
    let alts = parse_seq(&chars, &mut pos, dialect, false)?;
    (pos == chars.len()).then_some(alts)
}

/// A sequence up to the end, or (inside braces) up to `,` or `}`.
fn parse_seq(
    chars: &[char],
    pos: &mut usize,
    dialect: Dialect,
    in_braces: bool,
) -> Option<Vec<Vec<Token>>> {
    let mut out: Vec<Vec<Token>> = vec![Vec::new()];
    let push =
        |out: &mut Vec<Vec<Token>>, t: Token| out.iter_mut().for_each(|seq| seq.push(t.clone()));
    while *pos < chars.len() {
        let c = chars[*pos];
        match c {
            ',' | '}' if in_braces => return Some(out),
            '\\' => {
                *pos += 1;
                let escaped = *chars.get(*pos)?;
                push(&mut out, Token::Char(escaped));
                *pos += 1;
            }
            '*' => {
                *pos += 1;
                if dialect == Dialect::Gobwas && chars.get(*pos) == Some(&'*') {
                    *pos += 1;
                    push(&mut out, Token::Super);
                } else {
                    push(&mut out, Token::Star);
                }
            }
            '?' => {
                *pos += 1;
                push(&mut out, Token::One);
            }
            '[' => {
                *pos += 1;
                let neg = match (dialect, chars.get(*pos)) {
                    (Dialect::Gobwas, Some('!')) | (Dialect::FilePath, Some('^')) => {
                        *pos += 1;
                        true
                    }
                    _ => false,
                };
                let mut ranges = Vec::new();
                loop {
                    let mut lo = *chars.get(*pos)?;
                    if lo == ']' && !ranges.is_empty() {
                        *pos += 1;
                        break;
                    }
                    if lo == ']' && dialect == Dialect::Gobwas {
                        return None;
                    }
                    if lo == '\\' {
                        *pos += 1;
                        lo = *chars.get(*pos)?;
                    }
                    *pos += 1;
                    let mut hi = lo;
                    if chars.get(*pos) == Some(&'-')
                        && chars.get(*pos + 1).is_some_and(|c| *c != ']')
                    {
                        *pos += 1;
                        hi = *chars.get(*pos)?;
                        if hi == '\\' {
                            *pos += 1;
                            hi = *chars.get(*pos)?;
                        }
                        *pos += 1;
                        if hi < lo {
                            return None;
                        }
                    }
                    ranges.push((lo, hi));
                }
                push(
                    &mut out,
                    Token::Class {
                        negated: neg,
                        ranges,
                    },
                );
            }
            '{' if dialect == Dialect::Gobwas => {
                *pos += 1;
                let mut options: Vec<Vec<Token>> = Vec::new();
                loop {
                    options.extend(parse_seq(chars, pos, dialect, true)?);
                    match chars.get(*pos)? {
                        ',' => *pos += 1,
                        '}' => {
                            *pos += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
                if out.len().saturating_mul(options.len()) > MAX_EXPANSIONS {
                    return None;
                }
                out = out
                    .iter()
                    .flat_map(|seq| {
                        options.iter().map(move |o| {
                            let mut s = seq.clone();
                            s.extend(o.iter().cloned());
                            s
                        })
                    })
                    .collect();
            }
            ']' if dialect == Dialect::Gobwas => return None,
            _ => {
                *pos += 1;
                push(&mut out, Token::Char(c));
            }
        }
    }
    (!in_braces).then_some(out)
}

/// One alternative-free pattern against `text`, in O(pattern × text).
fn matches(tokens: &[Token], text: &[char], separators: &[char]) -> bool {
    // reach[j]: the tokens so far can match text[..j].
    let mut reach = vec![false; text.len() + 1];
    reach[0] = true;
    for t in tokens {
        let mut next = vec![false; text.len() + 1];
        match t {
            Token::Star | Token::Super => {
                let mut on = false;
                for j in 0..=text.len() {
                    if reach[j] {
                        on = true;
                    }
                    next[j] = on;
                    if j < text.len() && *t == Token::Star && separators.contains(&text[j]) {
                        on = false;
                    }
                }
            }
            _ => {
                for j in 0..text.len() {
                    if !reach[j] {
                        continue;
                    }
                    let c = text[j];
                    next[j + 1] = match t {
                        Token::Char(x) => *x == c,
                        Token::One => !separators.contains(&c),
                        Token::Class { negated, ranges } => {
                            !separators.contains(&c)
                                && ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c))
                                    != *negated
                        }
                        Token::Star | Token::Super => unreachable!(),
                    };
                }
            }
        }
        reach = next;
    }
    reach[text.len()]
}

/// Argo CD's `glob.Match(pattern, text, separators...)` (gobwas/glob). A
/// pattern that does not compile matches nothing.
pub fn glob_match(pattern: &str, text: &str, separators: &[char]) -> bool {
    let Some(alts) = compile(pattern, Dialect::Gobwas) else {
        return false;
    };
    let text: Vec<char> = text.chars().collect();
    alts.iter().any(|a| matches(a, &text, separators))
}

/// Go's `filepath.Match(pattern, name)`, which Argo CD uses for groups,
/// kinds and names in resource allow and deny lists.
pub fn filepath_match(pattern: &str, name: &str) -> bool {
    let Some(alts) = compile(pattern, Dialect::FilePath) else {
        return false;
    };
    let text: Vec<char> = name.chars().collect();
    alts.iter().any(|a| matches(a, &text, &['/']))
}

/// Argo CD's `git.NormalizeGitURL`: lower case, no `.git` suffix, and
/// `git@host:path` written as `git@host/path`.
pub fn normalize_git_url(url: &str) -> String {
    let mut repo = url.trim().to_lowercase();
    let scp_like = !repo.contains("://") && repo.contains('@') && repo.contains(':');
    if scp_like {
        repo = repo.replacen(':', "/", 1);
    }
    if let Some(rest) = repo.strip_prefix("ssh://") {
        repo = rest.to_string();
    }
    repo.strip_suffix(".git").unwrap_or(&repo).to_string()
}

/// The source of an Application that Argo CD calls its own
/// (`ApplicationSpec.GetSource()`): `spec.source`, or the first of a
/// multi-source Application's `spec.sources` (its values repo follows).
pub fn primary_source(app: &serde_json::Value) -> Option<&serde_json::Value> {
    app.pointer("/spec/sources/0")
        .or_else(|| app.pointer("/spec/source"))
}

/// An Application's sources: `spec.sources` when it has several (Argo CD
/// then ignores `spec.source`), else `spec.source`.
pub fn sources(app: &serde_json::Value) -> Vec<&serde_json::Value> {
    match app.pointer("/spec/sources").and_then(|s| s.as_array()) {
        Some(list) => list.iter().collect(),
        None => app.pointer("/spec/source").into_iter().collect(),
    }
}

/// The tool blocks of a source, each of which is an explicit type to Argo
/// CD (`ApplicationSource.ExplicitType()`: more than one is an error):
/// `helm`, `kustomize`, `directory`.
pub fn tool_blocks(source: &serde_json::Value) -> Vec<&'static str> {
    ["helm", "kustomize", "directory"]
        .into_iter()
        .filter(|k| source.get(*k).is_some())
        .collect()
}

/// An Application with its primary source at `spec.source` and the rest
/// of a multi-source one left in `spec.sources`, so that one set of
/// pointers reads both shapes.
pub fn with_primary_source(app: &serde_json::Value) -> serde_json::Value {
    let mut out = app.clone();
    if let Some(spec) = out.get_mut("spec").and_then(|s| s.as_object_mut()) {
        if let Some(serde_json::Value::Array(mut sources)) = spec.remove("sources") {
            if !sources.is_empty() {
                spec.insert("source".into(), sources.remove(0));
            }
            if !sources.is_empty() {
                spec.insert("sources".into(), serde_json::Value::Array(sources));
            }
        }
    }
    out
}

/// Whether Argo CD lets an Application of a project with these
/// `sourceRepos` use `repo_url` (`AppProject.IsSourcePermitted`): some
/// pattern matches, and no `!pattern` excludes it.
pub fn source_permitted(source_repos: &[String], repo_url: &str) -> bool {
    let src = normalize_git_url(repo_url);
    let mut any = false;
    for pattern in source_repos {
        let (deny, body) = match pattern.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, pattern.as_str()),
        };
        let normalized = normalize_git_url(body);
        let hit = if !deny && pattern == "*" {
            true
        } else {
            glob_match(&normalized, &src, &['/'])
        };
        match (deny, hit) {
            // `!pattern` matching the repo refuses it outright; one that
            // does not match counts as a match (Argo CD's negated glob).
            (true, true) => return false,
            (true, false) | (false, true) => any = true,
            (false, false) => {}
        }
    }
    any
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cases from gobwas/glob's README and tests, and Argo CD's
    /// `util/glob/glob_test.go`.
    #[test]
    fn gobwas_glob_semantics() {
        let cases: &[(&str, &str, &[char], bool)] = &[
            ("*", "anything/at/all", &[], true),
            ("*", "a/b", &['/'], false),
            ("**", "a/b", &['/'], true),
            (
                "https://github.com/*",
                "https://github.com/argoproj",
                &['/'],
                true,
            ),
            (
                "https://github.com/*",
                "https://github.com/argoproj/argo-cd",
                &['/'],
                false,
            ),
            (
                "https://github.com/**",
                "https://github.com/argoproj/argo-cd",
                &['/'],
                true,
            ),
            (
                "https://github.com/argoproj/*",
                "https://github.com/argoproj/argo-cd",
                &['/'],
                true,
            ),
            ("a?c", "abc", &[], true),
            ("a?c", "a/c", &['/'], false),
            ("[abc]x", "bx", &[], true),
            ("[!abc]x", "bx", &[], false),
            ("[!abc]x", "dx", &[], true),
            ("[a-c]x", "cx", &[], true),
            ("{dev,prod}-*", "prod-eu", &[], true),
            ("{dev,prod}-*", "test-eu", &[], false),
            ("team-{a,b{1,2}}", "team-b2", &[], true),
            ("\\*x", "*x", &[], true),
            ("\\*x", "ax", &[], false),
            ("", "", &[], true),
            ("", "a", &[], false),
            ("payments", "payments", &[], true),
            ("payments", "payments-jobs", &[], false),
            ("payments*", "payments-jobs", &[], true),
            // Patterns that do not compile match nothing.
            ("[abc", "a", &[], false),
            ("{a,b", "a", &[], false),
            ("a\\", "a", &[], false),
        ];
        for (pattern, text, seps, want) in cases {
            assert_eq!(
                glob_match(pattern, text, seps),
                *want,
                "{pattern:?} ~ {text:?} {seps:?}"
            );
        }
    }

    #[test]
    fn filepath_match_semantics() {
        assert!(filepath_match("", ""));
        assert!(!filepath_match("", "Namespace"));
        assert!(filepath_match("*", "Namespace"));
        assert!(filepath_match("Name*", "Namespace"));
        assert!(filepath_match("[^a]*", "Namespace"));
        assert!(!filepath_match("*", "rbac.authorization.k8s.io/v1"));
        assert!(filepath_match(
            "rbac.authorization.k8s.io",
            "rbac.authorization.k8s.io"
        ));
        assert!(!filepath_match("{a,b}", "a"), "no braces in filepath.Match");
    }

    #[test]
    fn repos_are_compared_normalised() {
        assert_eq!(
            normalize_git_url("https://GitHub.com/Org/Repo.git"),
            "https://github.com/org/repo"
        );
        assert_eq!(
            normalize_git_url("git@github.com:org/repo.git"),
            "git@github.com/org/repo"
        );
        let repos = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(source_permitted(&repos(&["*"]), "anything"));
        assert!(source_permitted(
            &repos(&["https://git.example.com/payments/*"]),
            "https://git.example.com/payments/pos.git"
        ));
        assert!(!source_permitted(
            &repos(&["https://git.example.com/*"]),
            "https://git.example.com/payments/pos.git"
        ));
        assert!(source_permitted(
            &repos(&["https://git.example.com/**"]),
            "https://git.example.com/payments/pos.git"
        ));
        assert!(source_permitted(
            &repos(&["https://git.example.com/payments/pos.git"]),
            "https://git.example.com/payments/POS"
        ));
        assert!(!source_permitted(
            &repos(&[
                "https://git.example.com/**",
                "!https://git.example.com/secret/*"
            ]),
            "https://git.example.com/secret/x"
        ));
        assert!(!source_permitted(&repos(&[]), "https://x"));
        // A deny pattern alone admits whatever it does not match.
        assert!(source_permitted(
            &repos(&["!https://x/secret/*"]),
            "https://x/open/y"
        ));
    }
}

/// An Argo CD release, `major.minor`: what the rendered manifests are for
/// (`argocd_version` in fleetc.yaml).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// The major version (3 in 3.5.1).
    pub major: u32,
    /// The minor version (5 in 3.5.1).
    pub minor: u32,
}

impl Version {
    /// The oldest Argo CD fleetc's output is for: 3.3 brought `name` to an
    /// AppProject's `clusterResourceWhitelist` (argoproj/argo-cd#24674),
    /// which the platform project needs to admit its own Namespaces and no
    /// others. (It is also the oldest release Argo CD still supports, as
    /// it supports its three newest minor releases.)
    pub const OLDEST: Version = Version { major: 3, minor: 3 };
    /// The newest Argo CD fleetc is tested against (its CRDs are the
    /// conformance data's, v3.5.1): the default.
    pub const NEWEST: Version = Version { major: 3, minor: 5 };
    /// Every release from [`Version::OLDEST`] to [`Version::NEWEST`].
    pub const SUPPORTED: [Version; 3] = [
        Version { major: 3, minor: 3 },
        Version { major: 3, minor: 4 },
        Version { major: 3, minor: 5 },
    ];

    /// Reads `3.5`, `3.5.1` or `v3.5.1` (the patch is not needed: fields
    /// come with minor releases).
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.strip_prefix('v').unwrap_or(text);
        let mut parts = text.split('.');
        let number = |p: Option<&str>| {
            p.filter(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<u32>().ok())
        };
        let major = number(parts.next())?;
        let minor = number(parts.next())?;
        match (parts.next(), parts.next()) {
            (None, _) => {}
            (Some(patch), None) if number(Some(patch)).is_some() => {}
            _ => return None,
        }
        Some(Version { major, minor })
    }

    /// Whether an AppProject's cluster resource lists take `name`. Before
    /// 3.3 the API server prunes it (the CRD's schema has no such field),
    /// and an entry `{kind: Namespace, name: team-a}` then admits every
    /// Namespace.
    pub fn has_cluster_resource_names(self) -> bool {
        self >= Version { major: 3, minor: 3 }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[cfg(test)]
mod version_tests {
    use super::Version;

    #[test]
    fn versions_are_read_as_argo_cd_writes_them() {
        let v35 = Version { major: 3, minor: 5 };
        assert_eq!(Version::parse("3.5"), Some(v35));
        assert_eq!(Version::parse("3.5.1"), Some(v35));
        assert_eq!(Version::parse("v3.5.1"), Some(v35));
        for bad in ["3", "3.", "three", "3.5.1.2", "3.5-rc1", "", "v", "3.x"] {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
        assert!(Version::parse("2.14").unwrap() < Version::OLDEST);
        assert!(!Version::parse("3.2").unwrap().has_cluster_resource_names());
        assert!(Version::OLDEST.has_cluster_resource_names());
        assert_eq!(Version::NEWEST.to_string(), "3.5");
    }
}
