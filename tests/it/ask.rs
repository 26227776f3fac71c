//! `fleetc query` and completions on the example fleet.

use serde_json::Value;

use crate::support::{fleetc, repo};

fn example(args: &[&str]) -> crate::support::Run {
    let run = fleetc(&repo().join("fixtures/example"), args);
    assert_eq!(run.status, 0, "{args:?}: {}", run.stderr);
    run
}

/// Whole outputs of `explain` and `query` are snapshots (snapshots.rs);
/// this checks what no snapshot can: every selector form means the same.
#[test]
fn every_selector_form_narrows_a_query_alike() {
    for s in [
        "gpu=true",
        "{gpu: \"true\"}",
        "{matchExpressions: [{key: gpu, operator: In, values: [\"true\"]}]}",
    ] {
        let out = example(&["query", "matrix", "--selector", s]).stdout;
        assert!(out.ends_with("(3 clusters)\n"), "{s}: {out}");
        let v: Value = serde_json::from_str(
            &example(&["query", "matrix", "--selector", s, "--format", "json"]).stdout,
        )
        .unwrap();
        assert_eq!(v["counts"]["cells"], 21, "{s}");
    }
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
