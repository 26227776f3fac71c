//! The three fuzzed entry points, as plain functions of the fuzzer's bytes.
//!
//! Shared by the fuzz targets (`fuzz/fuzz_targets/*.rs`, through this
//! crate's lib) and by the regression test `tests/it/fuzz_regressions.rs`,
//! which includes this file with `#[path]`: it uses only `fleetc` and
//! `serde_json`, so fleetc's own test binary compiles it as it is. Every
//! function returns (`Ok` or `Err`, both fine) for every input; a panic, an abort, a hang or a
//! huge allocation is a finding.

use std::collections::BTreeMap;
use std::path::PathBuf;

use fleetc::Files;
use serde_json::{json, Value};

/// Where the loader's input goes: the first byte of the input, modulo the
/// number of slots, picks one (`'0'`..`'7'` pick 0..7, so the seeds are
/// text), and the rest of the input is the file's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// An inventory file, added beside the base inventory's files.
    Document(&'static str),
    /// `fleetc.yaml`, replacing the base settings.
    Settings,
    /// A user template, replacing the built-in one of the same name.
    Template(&'static str),
}

/// The loader's slots, by the input's first byte modulo their number.
pub const SLOTS: [Slot; 8] = [
    Slot::Document("clusters/fuzz.yaml"),
    Slot::Document("apps/fuzz.yaml"),
    Slot::Document("policies/fuzz.yaml"),
    Slot::Document("namespaces/fuzz.json"),
    Slot::Settings,
    Slot::Template("application.yaml.j2"),
    Slot::Document("inventory.yaml"),
    Slot::Document("clusters/fuzz.json"),
];

/// The base inventory's `fleetc.yaml`.
pub const BASE_SETTINGS: &str = "\
argocd_namespace: argocd
mode: per-cluster
deploy_repo:
  url: https://git.example.com/platform/fleet-deploy.git
  branch: main
";

/// The base inventory: a small valid fleet (2 clusters, 3 apps, 2 teams,
/// 3 policies, modelled on `fixtures/example`) that compiles to 5
/// Applications, so that an input which adds one valid document gets
/// through every stage. Names start with `base-` (teams: `web`, `ops`) so
/// that documents from `fixtures/example` can be added without clashing.
pub const BASE_DOCUMENTS: [(&str, &str); 4] = [
    (
        "clusters/base.yaml",
        "\
name: base-east-01
description: Edge store
shortName: be01
environment: prod
metadata: {region: east, edge: true, gpu: true}
values:
  ingress: {className: nginx-edge}
---
name: base-west-01
environment: dev
server: https://west.k8s.example.com:6443
metadata: {region: west, edge: false, gpu: false}
",
    ),
    (
        "apps/base.yaml",
        "\
name: base-api
repo_url: https://git.example.com/web/api.git
repo_branch: v1.0.0
repo_path: deploy/api
namespace: web
metadata: {tier: backend}
values:
  replicaCount: 2
  env:
    STORE: ${ cluster.shortName }
    REGION: ${ cluster.metadata.region }
  startup: echo $${HOSTNAME}
valueOverrides:
  base-east-01: {replicaCount: 4}
---
name: base-worker
repo_url: https://git.example.com/web/api.git
repo_branch: v1.0.0
repo_path: deploy/worker
namespace: web
destination_namespace: web-jobs
depends_on: [base-api]
metadata: {tier: backend}
sync: {prune: true}
---
name: base-agent
repo_url: https://charts.example.com/prometheus-community
chart: prometheus-node-exporter
repo_branch: 4.39.0
namespace: ops
metadata: {agent: metrics}
",
    ),
    (
        "namespaces/base.yaml",
        "\
name: web
groups:
  contributor: [3f2a9c4e-8d1b-4b7a-9c55-1e2f3a4b5c6d]
  reader: [web-readers]
source_repos:
  - https://git.example.com/web/*
  - https://git.example.com/payments/*
  - https://charts.example.com/*
namespaces: [web-jobs]
---
name: ops
source_repos: [\"https://charts.example.com/*\"]
",
    ),
    (
        "policies/base.yaml",
        "\
name: base-agents
app_selector: {agent: metrics}
cluster_selector: {}
---
name: base-web-prod
namespace: web
app_selector: \"tier in (backend)\"
cluster_selector:
  matchLabels: {edge: \"true\"}
  matchExpressions:
    - {key: environment, operator: NotIn, values: [dev]}
priority: 5
values:
  logLevel: warn
---
name: base-web-west
namespace: web
app_selector: \"tier=backend,!canary\"
clusters: [base-west-01]
",
    ),
];

/// The base inventory with `data` put where its first byte says.
pub fn loader_files(data: &[u8]) -> Files {
    let mut files = Files {
        root: PathBuf::from("fuzz-inventory"),
        settings: Some(BASE_SETTINGS.as_bytes().to_vec()),
        documents: BASE_DOCUMENTS
            .iter()
            .map(|(path, text)| (PathBuf::from(path), text.as_bytes().to_vec()))
            .collect(),
        templates: BTreeMap::new(),
    };
    let Some((&first, content)) = data.split_first() else {
        return files;
    };
    match SLOTS[usize::from(first) % SLOTS.len()] {
        Slot::Document(path) => {
            files
                .documents
                .insert(PathBuf::from(path), content.to_vec());
        }
        Slot::Settings => files.settings = Some(content.to_vec()),
        Slot::Template(name) => {
            let path = PathBuf::from("templates").join(name);
            files
                .templates
                .insert(name.to_string(), (path, content.to_vec()));
        }
    }
    files
}

/// `fleetc::compile_files` on the base inventory plus the input: the number
/// of files rendered, or the problems formatted as the CLI prints them.
pub fn loader(data: &[u8]) -> Result<usize, String> {
    let files = loader_files(data);
    match fleetc::compile_files(&files) {
        Ok(mut compiled) => Ok(compiled.take_tree().files.len()),
        Err(error) => {
            let mut text = error.to_string();
            if let fleetc::Error::Invalid(diags) = &error {
                for d in diags {
                    text.push('\n');
                    text.push_str(&d.to_string());
                }
            }
            Err(text)
        }
    }
}

/// `Selector::parse` on the input (as UTF-8, invalid bytes replaced); when
/// it parses, `matches` against a few label sets: the selector as a string
/// and which sets it matched, or the parse error.
pub fn selector(data: &[u8]) -> Result<String, String> {
    use fleetc::selector::{Labels, Selector};
    let text = String::from_utf8_lossy(data);
    let selector = Selector::parse(&text).map_err(|e| e.to_string())?;
    let mut matched = String::new();
    let label_sets: [&[(&str, &str)]; 3] = [
        &[],
        &[
            ("region", "east"),
            ("environment", "prod"),
            ("gpu", "true"),
            ("replicas", "3"),
        ],
        &[
            ("app.kubernetes.io/name", "web"),
            ("tier", "backend"),
            ("replicas", "-12"),
            ("canary", ""),
        ],
    ];
    for set in label_sets {
        let labels: Labels = set
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        matched.push(if selector.matches(&labels) { '1' } else { '0' });
    }
    Ok(format!("{selector} -> {matched}"))
}

/// `fleetc::values::expand` on a document holding the input as a string in
/// several places, and the input itself when it is JSON. The evaluator
/// answers by the expression: an error, an empty string, a short string, or
/// a string holding `${` (which must not be expanded again). The expanded
/// document, or the errors, one a line.
pub fn expand(data: &[u8]) -> Result<Value, String> {
    let text = String::from_utf8_lossy(data).into_owned();
    let parsed = serde_json::from_str::<Value>(&text).unwrap_or(Value::Null);
    let mut value = json!({
        "text": text,
        "parsed": parsed,
        "nested": {
            "list": [text, 1, null, true, {"again": text}],
            "plain": "no expressions here",
        },
    });
    let mut eval = |expr: &str| -> Result<String, String> {
        let sum = expr.bytes().fold(0u32, |a, b| a.wrapping_add(u32::from(b)));
        match sum % 4 {
            0 => Err(format!("cannot evaluate {expr:?}")),
            1 => Ok(String::new()),
            2 => Ok(expr.chars().take(8).collect()),
            _ => Ok("${ not again }".to_string()),
        }
    };
    match fleetc::values::expand(&mut value, &mut eval) {
        Ok(()) => Ok(value),
        Err(errors) => Err(errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n")),
    }
}
