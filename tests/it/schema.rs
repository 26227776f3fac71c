//! `fleetc schema`: every fixture inventory validates against it, broken
//! documents do not, and it lists exactly the fields the loader accepts.

use std::path::Path;

use serde_json::{json, Value};

use crate::support::{fleetc, read_tree, repo};

fn schema(kind: &str) -> Value {
    let run = fleetc(&repo(), &["schema", kind]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

fn validator(kind: &str) -> jsonschema::Validator {
    jsonschema::draft7::new(&schema(kind)).unwrap()
}

/// The documents of a fixture with the schema kind each should match.
fn documents(fixture: &Path) -> Vec<(String, &'static str, Value)> {
    let mut out = Vec::new();
    for (path, bytes) in read_tree(fixture) {
        if path.starts_with("templates/")
            || !(path.ends_with(".yaml") || path.ends_with(".yml") || path.ends_with(".json"))
        {
            continue;
        }
        let text = String::from_utf8(bytes).unwrap();
        let docs = if path.ends_with(".json") {
            vec![serde_json::from_str::<Value>(&text).unwrap()]
        } else {
            fleetc::parse_yaml(&text)
                .unwrap()
                .into_iter()
                .map(|d| d.value)
                .collect()
        };
        for doc in docs {
            let kind = if path == "fleetc.yaml" {
                "settings"
            } else {
                match doc
                    .get("kind")
                    .and_then(Value::as_str)
                    .unwrap_or_else(|| path.split('/').next().unwrap())
                {
                    "Cluster" | "clusters" => "cluster",
                    "App" | "apps" => "app",
                    "Namespace" | "namespaces" => "namespace",
                    _ => "policy",
                }
            };
            out.push((path.clone(), kind, doc));
        }
    }
    out
}

#[test]
fn every_fixture_inventory_validates() {
    let inventory = validator("inventory");
    let mut checked = 0;
    for fixture in ["example", "hub"] {
        for (path, kind, doc) in documents(&repo().join("fixtures").join(fixture)) {
            let v = validator(kind);
            let errors: Vec<String> = v
                .iter_errors(&doc)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{fixture}/{path} ({kind}): {errors:#?}");
            if kind != "settings" {
                assert!(
                    inventory.is_valid(&doc),
                    "{fixture}/{path}: not a valid inventory document"
                );
            }
            checked += 1;
        }
    }
    println!("schema: {checked} fixture documents validated");
    assert!(checked >= 20);
}

#[test]
fn broken_documents_fail() {
    let cluster = validator("cluster");
    let app = validator("app");
    let policy = validator("policy");
    let settings = validator("settings");
    assert!(
        !cluster.is_valid(&json!({"name": "edge-03", "enviroment": "prod"})),
        "unknown field"
    );
    assert!(
        !cluster.is_valid(&json!({"name": "Edge_04"})),
        "not a DNS label"
    );
    assert!(
        !cluster.is_valid(&json!({"name": "c", "metadata": {"gpu": ["a"]}})),
        "a list as a label value"
    );
    assert!(
        !app.is_valid(&json!({"name": "a", "repo_url": "r"})),
        "no namespace"
    );
    assert!(!app.is_valid(
        &json!({"name": "a", "repo_url": "r", "namespace": "t", "sync": {"selfheal": true}})
    ));
    assert!(!policy.is_valid(&json!({"name": "p", "app_selector": {}, "priority": "high"})));
    assert!(!policy.is_valid(&json!({"name": "p", "app_selector": {"matchExpressions": [{"key": "k", "operator": "Near"}]}})));
    assert!(!settings.is_valid(&json!({"mode": "hybrid"})));
    // The selector forms all pass.
    for s in [
        json!("region in (east),!canary"),
        json!({"gpu": true}),
        json!({"matchLabels": {"a": "b"}}),
        json!({}),
    ] {
        assert!(
            policy.is_valid(&json!({"name": "p", "app_selector": s})),
            "{s}"
        );
    }
    // The broken fixtures' documents fail where the loader fails.
    let docs = documents(&repo().join("fixtures/err-unknown-field"));
    assert!(docs
        .iter()
        .any(|(_, kind, doc)| *kind == "cluster" && !cluster.is_valid(doc)));
}
