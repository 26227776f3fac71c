use super::*;

/// The rules that fire on `s`, by name.
fn rules(s: &str) -> Vec<&'static str> {
    scan(s).iter().map(|f| f.rule.name()).collect()
}

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
        "AccountKey",
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
        "checksum/secret",
        "vault.hashicorp.com/agent-inject-secret-db",
    ] {
        assert!(!is_credential_key(k), "{k}");
    }
    let auth = "nginx.ingress.kubernetes.io/auth-secret";
    assert!(names_a_secret(auth, "basic-auth"));
    assert!(names_a_secret(auth, "ingress/basic-auth"));
    assert!(!names_a_secret(auth, "Hunter2!"));
    assert!(
        !names_a_secret("client-secret", "basic-auth"),
        "not an annotation"
    );
    for r in [
        "<path:secret/data/db#password>",
        "${ cluster.name }",
        "{{ .Values.x }}",
        "ref+vault://secret/db#/password",
        "$DB_PASSWORD",
        "",
    ] {
        assert!(is_reference(r), "{r}");
    }
    assert!(!is_reference("hunter2"));
}

#[test]
fn a_private_key_needs_its_body() {
    let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgwMbRvI0MBZhpF\n-----END RSA PRIVATE KEY-----\n";
    let found = scan(key);
    assert_eq!(rules(key), ["private-key"]);
    let f = &found[0];
    assert_eq!(
        &key[f.span.start..f.span.start + f.public],
        "-----BEGIN RSA PRIVATE KEY-----"
    );
    assert!(f.span.end >= key.trim_end().len());
    for s in [
        "{{- if hasPrefix \"-----BEGIN RSA PRIVATE KEY-----\" .Values.key }}",
        "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n-----END CERTIFICATE-----",
        "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYWnm/OBjmYkL7tLIH5oh3pXJ+gk0a0Zj\n-----END PUBLIC KEY-----",
    ] {
        assert!(rules(s).is_empty(), "{s}");
    }
}

#[test]
fn tokens_by_prefix_length_and_alphabet() {
    let ghp = format!("ghp_{}", "aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2zA4");
    assert_eq!(ghp.len(), 40);
    assert_eq!(rules(&ghp), ["token"]);
    assert_eq!(rules(&format!("GITHUB_TOKEN={ghp}")), ["token"]);
    // One character more or less is not GitHub's token.
    assert!(rules(&format!("{ghp}Z")).is_empty());
    assert!(rules(&ghp[..39]).is_empty());
    // Inside a word it is not a prefix.
    assert!(rules(&format!("xghp_{}", &ghp[4..])).is_empty());
    assert_eq!(rules("key AKIAZ7Q2M4X8C1V5B3N6 here"), ["token"]);
    assert!(rules("AKIAZ7Q2M4X8C1V5B3N6x").is_empty());
    assert!(
        rules("ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx").is_empty(),
        "placeholder"
    );
    assert_eq!(rules("xoxb-2048-1234567890-aBcDeFgHiJkL"), ["token"]);
    assert_eq!(rules("glpat-Zq8fKx2Lm9Np4Rs7Tv1W"), ["token"]);
    assert_eq!(rules("sk_live_4eC39HqLyjWDarjtT1zdp7dc"), ["token"]);
}

#[test]
fn jwts_decode_to_json() {
    // {"alg":"HS256","typ":"JWT"} . {"sub":"1234567890"} . signature
    let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    assert_eq!(rules(jwt), ["jwt"]);
    // Three base64url parts that are no JSON are not a JWT.
    assert!(rules("eyJxyzxyzxyz.eyJxyzxyzxyz.abc").is_empty());
    assert_eq!(rules(&format!("Bearer {jwt}")), ["authorization"]);
}

#[test]
fn authorization_values() {
    assert_eq!(
        rules("Bearer 8f14e45fceea167a5a36dedd4bea2543"),
        ["authorization"]
    );
    assert_eq!(
        rules("authorization: basic YWRtaW46czNjcjN0IQ=="),
        ["authorization"]
    );
    for s in [
        "Bearer token",
        "Bearer {{ .Values.token }}",
        "Bearer ${TOKEN}",
        "Basic authentication is required",
        "basic realm=\"fleet\"",
    ] {
        assert!(rules(s).is_empty(), "{s}");
    }
}

#[test]
fn credentials_in_urls() {
    assert_eq!(
        rules("postgres://app:s3cr3tPassw0rd@db:5432/app"),
        ["url-credentials"]
    );
    // A provider's token is named as such.
    let url =
        "https://x-access-token:ghp_aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2zA4@github.com/org/app.git";
    assert_eq!(rules(url), ["token"]);
    let f = &scan(url)[0];
    assert!(in_url_userinfo(url, &f.span));
    let s = "ghp_aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2zA4 for https://github.com";
    assert!(!in_url_userinfo(s, &scan(s)[0].span));
    assert_eq!(
        rules("https://Zq8fKx2Lm9Np4Rs7Tv1W0y@git.example.com/a.git"),
        ["url-credentials"]
    );
    for s in [
        "https://github.com/org/app.git",
        "ssh://git@github.com/org/app.git",
        "git@github.com:org/app.git",
        "https://user@git.example.com/app.git",
        "https://user:${ secrets.pass }@git.example.com/app.git",
        "https://user:$(PASSWORD)@git.example.com/app.git",
        "oci://ghcr.io/org/charts",
    ] {
        assert!(rules(s).is_empty(), "{s}");
    }
}

#[test]
fn credentials_in_text() {
    assert_eq!(
        rules("site VPN: password=hunter22, ask ops"),
        ["credential-in-text"]
    );
    assert_eq!(rules("run with --token=abc123xyz"), ["credential-in-text"]);
    // The whole password is cut, `&` and all.
    let s = "VPN password=Tr0ub4dor&3 at the door";
    assert_eq!(excerpt(s, &scan(s)), "VPN password=[redacted] at the door");
    assert_eq!(
        rules("secret: Zq8fKx2Lm9Np4Rs7Tv1W"),
        ["credential-in-text"]
    );
    for s in [
        "Rotate the token weekly; the password lives in Vault",
        "ghcr.io/org/token-service:1.4.2",
        "registry.example.com/vault-secret-operator:v0.4.3",
        "password={{ .Values.db.password }}",
        "password=<path:secret/data/db#password>",
        "token: weekly",
        "--password-file=/etc/db/password",
        "--set auth.existingSecret=db-credentials",
        "password=****",
    ] {
        assert!(rules(s).is_empty(), "{s}");
    }
}

#[test]
fn a_credential_key_wants_a_random_value() {
    let keyed = |k: &str, v: &str| -> Vec<&'static str> {
        scan_keyed(Some(k), v)
            .iter()
            .map(|f| f.rule.name())
            .collect()
    };
    assert_eq!(
        keyed("token", "9f8e7d6c5b4a39281706abcd"),
        ["credential-key"]
    );
    assert!(keyed("token", "enabled").is_empty());
    assert!(keyed("secret-store", "external-secrets-operator").is_empty());
    assert!(keyed("region", "9f8e7d6c5b4a39281706abcd").is_empty());
}

#[test]
fn an_excerpt_never_shows_the_secret() {
    let ghp = "ghp_aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2zA4";
    let s = format!("clone https://x-access-token:{ghp}@github.com/org/app.git\nthen build");
    let found = scan(&s);
    let e = excerpt(&s, &found);
    assert!(!e.contains(&ghp[4..]), "{e}");
    assert!(e.contains("ghp_[redacted]@github.com"), "{e}");
    assert!(e.contains("\\nthen"), "{e}");
    let long = format!("{}password=hunter22{}", "a ".repeat(80), " b".repeat(80));
    let e = excerpt(&long, &scan(&long));
    assert!(
        e.starts_with('…') && e.ends_with('…') && e.contains("password=[redacted]"),
        "{e}"
    );
    assert!(e.chars().count() <= 102, "{e}");
    assert_eq!(
        Redactor::new(["hunter22"]).redact("url https://u:hunter22@h"),
        "url https://u:[redacted]@h"
    );
}

#[test]
fn base64_both_alphabets() {
    assert_eq!(
        base64_decode("YWRtaW46czNjcjN0IQ==", false).unwrap(),
        b"admin:s3cr3t!"
    );
    assert_eq!(base64_decode("eyJhIjoxfQ", true).unwrap(), b"{\"a\":1}");
    assert!(base64_decode("a-b_", false).is_none());
    assert!(base64_decode("a", true).is_none());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Pieces the rules look for, to make strings that come close to a
    /// secret: prefixes, separators, headers, non-ASCII text.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("ghp_".to_string()),
            Just("AKIA".to_string()),
            Just("eyJhbGciOiJIUzI1NiJ9".to_string()),
            Just("eyJ".to_string()),
            Just(".".to_string()),
            Just("://".to_string()),
            Just("@".to_string()),
            Just(":".to_string()),
            Just("=".to_string()),
            Just("password".to_string()),
            Just("Bearer ".to_string()),
            Just("Basic ".to_string()),
            Just("-----BEGIN RSA PRIVATE KEY-----".to_string()),
            Just("-----END ".to_string()),
            Just("-----".to_string()),
            Just("é\u{1F600}ß".to_string()),
            Just("\n".to_string()),
            "[A-Za-z0-9+/_-]{1,40}",
        ]
    }

    proptest! {
        /// Whatever the string: no panic, every span on character
        /// boundaries and in order, and an excerpt of bounded length
        /// that holds no secret part longer than what it cut.
        #[test]
        fn scanning_any_string_is_safe(parts in proptest::collection::vec(piece(), 0..24)) {
            let s: String = parts.concat();
            let found = scan_keyed(Some("token"), &s);
            let mut end = 0;
            for f in &found {
                prop_assert!(s.is_char_boundary(f.span.start) && s.is_char_boundary(f.span.end));
                prop_assert!(f.span.start >= end && f.public <= f.span.len());
                end = f.span.end;
                let _ = in_url_userinfo(&s, &f.span);
            }
            let e = excerpt(&s, &found);
            prop_assert!(e.chars().count() <= 102);
            prop_assert_eq!(e.contains("[redacted]"), !found.is_empty());
        }
    }
}

/// What a review found, each kept as a case.
#[test]
fn found_in_review() {
    // `$` alone is no reference: only `$NAME`, `$(…)` and `${…}`.
    assert!(!is_reference("$Xk9#mP2qLw7"));
    assert!(is_reference("$DB_PASSWORD") && is_reference("$(cat /run/pw)"));
    assert_eq!(
        rules("https://user:$ecret123@git.example.com/a.git"),
        ["url-credentials"]
    );
    // A PEM in base64 (a Secret's data); a certificate in base64 is none.
    let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgwMbRvI0MBZhpF\n-----END RSA PRIVATE KEY-----\n";
    let cert = key.replace("RSA PRIVATE KEY", "CERTIFICATE");
    let b64 = |s: &str| {
        use std::fmt::Write;
        let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in s.as_bytes().chunks(3) {
            let n =
                chunk.iter().fold(0u32, |n, b| n << 8 | u32::from(*b)) << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(table[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
            let _ = write!(out, "{}", "=".repeat(3 - chunk.len()));
        }
        out
    };
    assert_eq!(rules(&b64(key)), ["private-key"]);
    assert!(rules(&b64(&cert)).is_empty());
    // Not secrets.
    for s in [
        "https://0123456789abcdef0123456789abcdef@o123.ingest.sentry.io/4505",
        "{{- if hasPrefix \"-----BEGIN RSA PRIVATE KEY-----\" .Values.key }}\nkind: Secret\nmetadata:\n  name: tls-0123456789abcdefghij\n{{- end }}",
        "-----BEGIN RSA PRIVATE KEY-----\n{{ .Values.global.tls.privateKeyContent | indent 4 }}\n-----END RSA PRIVATE KEY-----",
        "TOKEN_ISSUER=https://auth.example.com/realms/fleet",
        "API_TOKEN_HEADER=X-Api-Token",
        "SECRET_STORE=vault-backend",
        "--secret-field-selector=type!=kubernetes.io/service-account-token",
        "--enable-secret-rotation=enabled",
        "token-exchanger:sha-3f2a9c1b7e4d5a6b",
        "docker://nginx:1.25@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31",
        "https://github.com:443/org/app@v1.2.3",
    ] {
        assert!(rules(s).is_empty(), "{s}");
    }
    assert!(!is_credential_key("passwordKey") && !is_credential_key("secretFieldSelector"));
    // `key = value`, as INI, TOML and HCL write it.
    assert_eq!(
        rules("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"),
        ["credential-in-text"]
    );
    // A cut runs to the end of the secret, not to the first odd character.
    for (s, want) in [
        (
            "password=\"Tr0ub4dor horse staple\" ok",
            "password=\"[redacted]\" ok",
        ),
        (
            "Bearer abc123def456ghi789%2Fxyz%2Bmore ok",
            "Bearer [redacted] ok",
        ),
        ("password=Secr3t'Rest_of_pw ok", "password=[redacted] ok"),
        (
            "https://user:pa/ss#w@rd@host/app ok",
            "https://user:[redacted]@host/app ok",
        ),
    ] {
        assert_eq!(excerpt(s, &scan(s)), want, "{s}");
    }
}

#[test]
fn a_redactor_cuts_each_secret_however_quoted() {
    let pem =
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJ\n-----END RSA PRIVATE KEY-----";
    let r = Redactor::new(["hunter22", "hunter22xyz", pem]);
    // The longest match wins: no tail of a longer secret is left.
    assert_eq!(r.redact("a hunter22xyz b"), "a [redacted] b");
    // As a message quotes it: `{:?}`, with `\n`.
    let quoted = format!("invalid type: string {pem:?}, expected a boolean");
    assert!(
        !r.redact(&quoted).contains("MIIEow"),
        "{}",
        r.redact(&quoted)
    );
    // Too short to look for alone: nothing else is cut.
    let r = Redactor::new(["e"]);
    assert_eq!(r.redact("deploy_repo.url"), "deploy_repo.url");
}
