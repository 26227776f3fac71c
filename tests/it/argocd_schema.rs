//! Every rendered manifest must be valid for its consumer: the Argo CD CRD
//! schemas in `../shared/conformance/argocd/` (draft-7 JSON Schema).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::{conformance_json, read_tree, repo};

fn validators() -> Option<BTreeMap<&'static str, jsonschema::Validator>> {
    let mut out = BTreeMap::new();
    for (kind, file) in [
        ("Application", "argocd/application.schema.json"),
        ("AppProject", "argocd/appproject.schema.json"),
        ("ApplicationSet", "argocd/applicationset.schema.json"),
    ] {
        let schema = conformance_json(file)?;
        out.insert(
            kind,
            jsonschema::draft7::new(&schema).expect("schema compiles"),
        );
    }
    Some(out)
}

/// The validator agrees with the hand-written cases (a check of the check).
#[test]
fn validator_agrees_with_the_argocd_cases() {
    let Some(cases) = conformance_json("argocd/validation_cases.json") else {
        return;
    };
    let Some(validators) = validators() else {
        return;
    };
    let mut failures = Vec::new();
    let cases = cases["cases"].as_array().unwrap();
    for case in cases {
        let kind = match case["schema"].as_str().unwrap() {
            "application.schema.json" => "Application",
            "appproject.schema.json" => "AppProject",
            _ => "ApplicationSet",
        };
        let valid = validators[kind].is_valid(&case["document"]);
        if valid != case["valid"].as_bool().unwrap() {
            failures.push(format!(
                "{}: expected valid={}",
                case["name"], case["valid"]
            ));
        }
    }
    println!(
        "argocd validation cases: {} ran, {} passed",
        cases.len(),
        cases.len() - failures.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Every golden manifest validates, and no destination names both a server
/// and a cluster name.
#[test]
fn every_golden_manifest_validates_against_the_crd_schema() {
    let Some(validators) = validators() else {
        return;
    };
    let mut checked = 0;
    let mut failures = Vec::new();
    let golden = repo().join("golden");
    for entry in std::fs::read_dir(&golden).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for (path, bytes) in read_tree(&dir) {
            if !path.ends_with(".yaml") {
                continue;
            }
            let text = String::from_utf8(bytes).unwrap();
            let docs = fleetc::parse_yaml(&text).unwrap_or_else(|e| panic!("{path}: {e:?}"));
            // One Argo CD object per file; a namespace's file holds the
            // Namespace and its RoleBindings.
            let kinds: Vec<&str> = docs
                .iter()
                .map(|d| d.value["kind"].as_str().unwrap_or_default())
                .collect();
            if kinds.len() != 1 && kinds[0] != "Namespace" {
                failures.push(format!("{path}: {} documents: {kinds:?}", kinds.len()));
            }
            for doc in &docs {
                let doc: &Value = &doc.value;
                let kind = doc["kind"].as_str().unwrap_or_default();
                if let Some(v) = validators.get(kind) {
                    for err in v.iter_errors(doc) {
                        failures.push(format!(
                            "{}/{path}: {err} at {}",
                            dir.display(),
                            err.instance_path()
                        ));
                    }
                } else {
                    // Kubernetes' own kinds: the fields the API server requires.
                    let api = doc["apiVersion"].as_str().unwrap_or_default();
                    let ok = match kind {
                        "Namespace" => api == "v1" && doc.pointer("/metadata/namespace").is_none(),
                        "RoleBinding" => {
                            api == "rbac.authorization.k8s.io/v1"
                                && doc.pointer("/metadata/namespace").is_some()
                                && doc.pointer("/roleRef/kind").is_some()
                                && doc["subjects"].as_array().is_some_and(|s| !s.is_empty())
                        }
                        _ => false,
                    };
                    if !ok || doc.pointer("/metadata/name").is_none() {
                        failures.push(format!("{path}: unexpected or incomplete `{kind}`: {doc}"));
                    }
                }
                if kind == "Application" {
                    let dest = &doc["spec"]["destination"];
                    if dest.get("server").is_some() == dest.get("name").is_some() {
                        failures.push(format!(
                            "{path}: destination must have exactly one of server and name: {dest}"
                        ));
                    }
                }
                checked += 1;
            }
        }
    }
    println!("argocd schema: {checked} golden manifests validated");
    assert!(checked > 0, "no golden manifests found");
    assert!(failures.is_empty(), "{failures:#?}");
}
