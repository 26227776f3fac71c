//! Tokens by their provider's prefix: each provider documents the prefix,
//! the alphabet and the length of its tokens (GitHub's `ghp_` and 36
//! letters and digits, AWS's `AKIA` and 16 capitals and digits), which is
//! how secret scanners find them with next to no false positives. A
//! prefix must start a word, and the run of the alphabet after it must
//! have the documented length.

use super::{placeholder, run_capped, word_start, Finding, Rule};

/// The alphabet after a prefix.
#[derive(Clone, Copy)]
enum Alphabet {
    /// `[A-Za-z0-9]`
    Alnum,
    /// `[A-Za-z0-9_]`
    AlnumUnderscore,
    /// `[A-Za-z0-9_-]`
    Url,
    /// `[A-Za-z0-9_.-]`
    UrlDot,
    /// `[A-Z0-9]`
    Upper,
    /// `[a-f0-9]`
    Hex,
    /// `[A-Za-z0-9/]`
    Path,
}

impl Alphabet {
    fn has(self, b: u8) -> bool {
        match self {
            Alphabet::Alnum => b.is_ascii_alphanumeric(),
            Alphabet::AlnumUnderscore => b.is_ascii_alphanumeric() || b == b'_',
            Alphabet::Url => b.is_ascii_alphanumeric() || b == b'_' || b == b'-',
            Alphabet::UrlDot => b.is_ascii_alphanumeric() || b"_.-".contains(&b),
            Alphabet::Upper => b.is_ascii_uppercase() || b.is_ascii_digit(),
            Alphabet::Hex => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
            Alphabet::Path => b.is_ascii_alphanumeric() || b == b'/',
        }
    }
}

/// One kind of token: its prefix, the alphabet and length range of what
/// follows, and what it is.
struct Kind {
    prefix: &'static str,
    alphabet: Alphabet,
    min: usize,
    max: usize,
    what: &'static str,
}

const fn kind(
    prefix: &'static str,
    alphabet: Alphabet,
    min: usize,
    max: usize,
    what: &'static str,
) -> Kind {
    Kind {
        prefix,
        alphabet,
        min,
        max,
        what,
    }
}

use Alphabet::*;

/// The providers' token formats (from their documentation, as gitleaks'
/// rules encode them).
const KINDS: &[Kind] = &[
    kind("ghp_", Alnum, 36, 36, "a GitHub personal access token"),
    kind("gho_", Alnum, 36, 36, "a GitHub OAuth token"),
    kind("ghu_", Alnum, 36, 36, "a GitHub App user token"),
    kind("ghs_", Alnum, 36, 36, "a GitHub App installation token"),
    kind("ghr_", Alnum, 36, 36, "a GitHub refresh token"),
    kind(
        "github_pat_",
        AlnumUnderscore,
        22,
        255,
        "a GitHub fine-grained personal access token",
    ),
    kind("glpat-", UrlDot, 20, 255, "a GitLab personal access token"),
    kind("gldt-", UrlDot, 20, 255, "a GitLab deploy token"),
    kind("glrt-", UrlDot, 20, 255, "a GitLab runner token"),
    kind("glptt-", UrlDot, 20, 255, "a GitLab pipeline trigger token"),
    kind(
        "glsa_",
        AlnumUnderscore,
        32,
        64,
        "a Grafana service account token",
    ),
    kind("xoxb-", Url, 10, 255, "a Slack bot token"),
    kind("xoxp-", Url, 10, 255, "a Slack user token"),
    kind("xoxa-", Url, 10, 255, "a Slack app token"),
    kind("xoxr-", Url, 10, 255, "a Slack refresh token"),
    kind("xoxs-", Url, 10, 255, "a Slack session token"),
    kind("xoxe-", Url, 10, 255, "a Slack configuration token"),
    kind(
        "https://hooks.slack.com/services/",
        Path,
        20,
        255,
        "a Slack webhook URL",
    ),
    kind("AKIA", Upper, 16, 16, "an AWS access key ID"),
    kind("ASIA", Upper, 16, 16, "an AWS temporary access key ID"),
    kind("ABIA", Upper, 16, 16, "an AWS STS service bearer token"),
    kind("ACCA", Upper, 16, 16, "an AWS context-specific credential"),
    kind("sk_live_", Alnum, 16, 255, "a Stripe secret key"),
    kind("rk_live_", Alnum, 16, 255, "a Stripe restricted key"),
    kind("sk_test_", Alnum, 16, 255, "a Stripe test secret key"),
    kind("rk_test_", Alnum, 16, 255, "a Stripe test restricted key"),
    kind("whsec_", Alnum, 24, 255, "a Stripe webhook secret"),
    kind("AIza", Url, 35, 35, "a Google API key"),
    kind("npm_", Alnum, 36, 36, "an npm access token"),
    kind("pypi-AgEIcHlwaS5vcmc", Url, 50, 255, "a PyPI API token"),
    kind("sk-ant-", Url, 32, 255, "an Anthropic API key"),
    kind("sk-proj-", Url, 32, 255, "an OpenAI API key"),
    kind("hvs.", Url, 24, 255, "a HashiCorp Vault token"),
    kind("hvb.", Url, 24, 255, "a HashiCorp Vault batch token"),
    kind(
        "dop_v1_",
        Hex,
        64,
        64,
        "a DigitalOcean personal access token",
    ),
    kind("doo_v1_", Hex, 64, 64, "a DigitalOcean OAuth token"),
    kind("dckr_pat_", Url, 27, 255, "a Docker Hub access token"),
    kind("hf_", Alnum, 34, 34, "a Hugging Face token"),
    kind("SG.", UrlDot, 66, 66, "a SendGrid API key"),
    kind("shpat_", Hex, 32, 32, "a Shopify access token"),
    kind("shpss_", Hex, 32, 32, "a Shopify shared secret"),
];

/// The first bytes of the prefixes, to skip the other word starts fast.
fn starts_a_prefix(b: u8) -> bool {
    matches!(
        b,
        b'g' | b'x' | b'h' | b'A' | b's' | b'r' | b'w' | b'n' | b'p' | b'd' | b'S'
    )
}

/// The tokens of `s`.
pub(super) fn scan(s: &str, found: &mut Vec<Finding>) {
    let bytes = s.as_bytes();
    for i in 0..bytes.len() {
        if !starts_a_prefix(bytes[i]) || !word_start(bytes, i) {
            continue;
        }
        let rest = &s[i..];
        for k in KINDS {
            if !rest.starts_with(k.prefix) {
                continue;
            }
            let body_at = i + k.prefix.len();
            // One more than the longest is enough to tell it is too long.
            let len = run_capped(bytes, body_at, k.max + 1, |b| k.alphabet.has(b));
            let body = &s[body_at..body_at + len];
            // The token ends a word too: no letter or digit runs on.
            let ends = bytes
                .get(body_at + len)
                .is_none_or(|b| !b.is_ascii_alphanumeric());
            if (k.min..=k.max).contains(&len) && ends && !placeholder(body) {
                found.push(Finding {
                    rule: Rule::Token,
                    what: k.what,
                    span: i..body_at + len,
                    public: k.prefix.len(),
                });
            }
        }
    }
}
