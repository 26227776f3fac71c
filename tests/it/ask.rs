//! `fleetc explain` and `fleetc query` on the example fleet.

use serde_json::Value;

use crate::support::{fleetc, repo};

fn example(args: &[&str]) -> crate::support::Run {
    let run = fleetc(&repo().join("fixtures/example"), args);
    assert_eq!(run.status, 0, "{args:?}: {}", run.stderr);
    run
}

#[test]
fn explain_a_placed_pair_term_by_term_with_value_origins() {
    let out = example(&["explain", "pos-api", "east-qld-brisbane-01"]).stdout;
    assert!(
        out.starts_with("pos-api on east-qld-brisbane-01: placed\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "Application pos-api-bne01  →  clusters/east-qld-brisbane-01/apps/pos-api.yaml"
        ),
        "{out}"
    );
    // The placing policy, each term with the label that decided it.
    assert!(
        out.contains("✓ payments-prod-edge  policies/payments.yaml:2"),
        "{out}"
    );
    assert!(
        out.contains("✓ canary DoesNotExist          canary is not set"),
        "{out}"
    );
    assert!(
        out.contains("✓ environment=prod             environment=prod"),
        "{out}"
    );
    // A policy that does not place it, and why.
    assert!(out.contains("✗ inference-on-gpus"), "{out}");
    assert!(
        out.contains("✗ gpu=true                     gpu is not set"),
        "{out}"
    );
    assert!(out.contains("✗ not listed"), "{out}");
    // Values: the override wins, and says what it overrode, with lines.
    assert!(out.contains("  replicaCount = 4\n      from app `pos-api` valueOverrides for `east-qld-brisbane-01` (apps/pos.yaml:24)\n      overrides app `pos-api` values (apps/pos.yaml:12)"), "{out}");
    assert!(out.contains("  ingress.className = nginx-edge\n      from cluster `east-qld-brisbane-01` values (clusters/east-qld-brisbane-01.yaml:13)"), "{out}");
    assert!(out.contains("  env.STORE_ID = bne01\n"), "expanded: {out}");
}

#[test]
fn explain_an_excluded_pair_and_an_apps_near_misses() {
    let out = example(&["explain", "inference", "south-vic-melbourne-01"]).stdout;
    assert!(
        out.starts_with(
            "inference on south-vic-melbourne-01: not placed: excluded by freeze-melbourne\n"
        ),
        "{out}"
    );
    assert!(out.contains("✓ freeze-melbourne (exclusion)"), "{out}");
    assert!(
        out.contains("✓ gpu Exists                   gpu is set"),
        "{out}"
    );
    assert!(
        !out.contains("\nvalues:"),
        "an unplaced pair has no values: {out}"
    );

    let out = example(&["explain", "inference"]).stdout;
    assert!(
        out.starts_with("inference lands on 2 of 6 clusters\n"),
        "{out}"
    );
    assert!(
        out.contains("south-vic-melbourne-01       excluded by freeze-melbourne"),
        "{out}"
    );
    assert!(
        out.contains("west-wa-perth-01             inference-on-gpus: gpu=true ✗ gpu=false"),
        "{out}"
    );
    // lab-sydney-01 misses by two terms (dev and no GPU): not a near miss.
    assert!(!out.contains("lab-sydney-01"), "{out}");

    let v: Value =
        serde_json::from_str(&example(&["explain", "inference", "--format", "json"]).stdout)
            .unwrap();
    assert_eq!(v["placed"].as_array().unwrap().len(), 2);
    assert_eq!(v["near_misses"][0]["failed"]["seen"], "gpu=false");
}

#[test]
fn explain_names_the_closest_app_or_cluster() {
    let run = fleetc(&repo().join("fixtures/example"), &["explain", "pos-apj"]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr
            .contains("no app `pos-apj` in the inventory; did you mean `pos-api`?"),
        "{}",
        run.stderr
    );
    let run = fleetc(
        &repo().join("fixtures/example"),
        &["explain", "pos-api", "west-wa-perth-3"],
    );
    assert!(
        run.stderr.contains("did you mean `west-wa-perth-01`?")
            || run.stderr.contains("did you mean `west-wa-perth-02`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn query_answers_with_the_matrix() {
    let out = example(&["query", "matrix"]).stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("cluster ") && lines[0].ends_with("placed"),
        "{out}"
    );
    assert_eq!(lines.len(), 8, "header, 6 clusters, count: {out}");
    assert!(out.contains("south-vic-melbourne-01  ·     x"), "{out}");
    assert!(out.ends_with("(6 clusters)\n"));

    let v: Value =
        serde_json::from_str(&example(&["query", "matrix", "--format", "json"]).stdout).unwrap();
    assert_eq!(v["counts"]["placed"], 25);
    assert_eq!(v["counts"]["excluded"], 1);
    assert_eq!(v["counts"]["cells"], 36);

    let out = example(&["query", "apps", "--cluster", "lab-sydney-01"]).stdout;
    assert!(
        out.contains("pos-api        pos-api-lab01        payments-canary"),
        "{out}"
    );
    assert!(out.ends_with("(5 apps)\n"), "{out}");

    let csv = example(&[
        "query",
        "clusters",
        "--app",
        "pos-api",
        "--selector",
        "environment=prod",
        "--format",
        "csv",
    ])
    .stdout;
    assert_eq!(
        csv,
        "cluster,application,policies\r\neast-qld-brisbane-01,pos-api-bne01,payments-prod-edge\r\nwest-wa-perth-01,pos-api-per01,payments-prod-edge\r\nwest-wa-perth-02,pos-api-per02,payments-canary\r\n"
    );
    // Every selector form narrows the clusters alike.
    for s in [
        "gpu=true",
        "{gpu: \"true\"}",
        "{matchExpressions: [{key: gpu, operator: In, values: [\"true\"]}]}",
    ] {
        let out = example(&["query", "matrix", "--selector", s]).stdout;
        assert!(out.ends_with("(3 clusters)\n"), "{s}: {out}");
    }
    let bad = fleetc(
        &repo().join("fixtures/example"),
        &["query", "matrix", "--selector", "gpu in (true"],
    );
    assert_eq!(bad.status, 1);
    assert!(bad.stderr.contains("--selector"), "{}", bad.stderr);
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    for shell in ["bash", "zsh", "fish"] {
        let out = example(&["completions", shell]).stdout;
        assert!(out.len() > 500, "{shell}");
        for word in ["explain", "query", "compile", "inventory"] {
            assert!(out.contains(word), "{shell} completion lacks {word}");
        }
    }
}
