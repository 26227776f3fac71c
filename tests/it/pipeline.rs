//! The pipeline as a library: what each stage decides, asserted on values.

use fleetc::ClusterReason;
use fleetc::{compile, Compiled};

use crate::support::{conformance_file, fleetc, repo};

fn example() -> Compiled {
    compile(&repo().join("fixtures/example")).unwrap()
}

fn policies_of(c: &Compiled, cluster: &str, app: &str) -> Option<Vec<(String, ClusterReason)>> {
    let inv = &c.inventory;
    let pair = c.matrix.get(inv.cluster(cluster)?, inv.app(app)?)?;
    Some(
        pair.hits
            .iter()
            .map(|h| (inv.policies[h.policy].name.clone(), h.reason))
            .collect(),
    )
}

#[test]
fn placed_pairs_keep_which_policies_placed_them_and_how() {
    let c = example();
    assert_eq!(
        policies_of(&c, "east-nsw-newcastle-01", "app1"),
        Some(vec![("app1_to_east".into(), ClusterReason::Selector)])
    );
    // Listed by name in `clusters:` (the canary has `canary`, so the
    // prod policy's `!canary` keeps it out).
    assert_eq!(
        policies_of(&c, "west-wa-perth-02", "pos-api"),
        Some(vec![("payments-canary".into(), ClusterReason::Listed)])
    );
    // Two policies place log-shipper on a prod cluster.
    assert_eq!(
        policies_of(&c, "west-wa-perth-01", "log-shipper"),
        Some(vec![
            ("logs-everywhere".into(), ClusterReason::Selector),
            ("logs-prod-quiet".into(), ClusterReason::Selector),
        ])
    );
    // A team-scoped policy never selects another team's apps.
    assert_eq!(policies_of(&c, "west-wa-perth-01", "app1"), None);
}

#[test]
fn exclusions_take_pairs_out_whatever_places_them() {
    let c = example();
    let inv = &c.inventory;
    let (mel, inference) = (
        inv.cluster("south-vic-melbourne-01").unwrap(),
        inv.app("inference").unwrap(),
    );
    assert!(c.matrix.get(mel, inference).is_none());
    let excluded = c
        .matrix
        .excluded
        .iter()
        .find(|p| p.cluster == mel && p.app == inference)
        .unwrap();
    assert_eq!(
        inv.policies[excluded.hits[0].policy].name,
        "freeze-melbourne"
    );
    // The freeze only matches apps with a `gpu` label: the agents stay.
    assert!(c
        .matrix
        .get(mel, inv.app("node-exporter").unwrap())
        .is_some());
}

#[test]
fn label_booleans_and_numbers_become_strings() {
    let c = example();
    let bne = &c.inventory.clusters[c.inventory.cluster("east-qld-brisbane-01").unwrap()];
    assert_eq!(bne.labels["edge"], "true");
    assert_eq!(bne.labels["name"], "east-qld-brisbane-01");
    assert_eq!(bne.labels["environment"], "prod");
}

/// A label value is the text the user wrote, in YAML and in JSON, and the
/// selectors that name it (in all three forms) match it.
#[test]
fn label_values_keep_the_text_as_written() {
    let tmp = tempfile::tempdir().unwrap();
    let inv = tmp.path();
    let write = |rel: &str, text: &str| {
        let p = inv.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "clusters/c.yaml",
        "name: c\nenvironment: 2024\nmetadata:\n  ver: 1.50\n  hex: 0x1F\n  sci: 1e3\n  flag: true\n  word: yes\n  quoted: '007'\n  oct: 0o17\n",
    );
    write(
        "clusters/d.json",
        "[{\"name\": \"d\", \"metadata\": {\"ver\": 1.50, \"n\": 10}}]",
    );
    write("namespaces/t.yaml", "name: t\n");
    write(
        "apps/a.yaml",
        "name: a\nrepo_url: https://r\nrepo_path: p\nnamespace: t\nmetadata:\n  ver: 1.50\n",
    );
    write(
        "policies/p.yaml",
        "name: by-string\napp_selector: ver=1.50\ncluster_selector: ver=1.50,hex=0x1F,sci=1e3,flag=true,word=yes,quoted=007,oct=0o17,environment=2024\n---\nname: by-map\napp_selector: {ver: 1.50}\ncluster_selector: {ver: 1.50}\n---\nname: by-expressions\napp_selector:\n  matchLabels: {ver: 1.50}\ncluster_selector:\n  matchExpressions:\n    - {key: ver, operator: In, values: [1.50, 2.0]}\n",
    );
    let c = compile(inv).unwrap();
    let ci = c.inventory.cluster("c").unwrap();
    let labels = &c.inventory.clusters[ci].labels;
    for (k, v) in [
        ("ver", "1.50"),
        ("hex", "0x1F"),
        ("sci", "1e3"),
        ("flag", "true"),
        ("word", "yes"),
        ("quoted", "007"),
        ("oct", "0o17"),
        ("environment", "2024"),
    ] {
        assert_eq!(labels[k], v, "label {k}");
    }
    let d = &c.inventory.clusters[c.inventory.cluster("d").unwrap()];
    assert_eq!(d.labels["ver"], "1.50");
    assert_eq!(d.labels["n"], "10");
    let names = |cluster: &str| {
        policies_of(&c, cluster, "a").map(|p| p.into_iter().map(|(n, _)| n).collect::<Vec<_>>())
    };
    assert_eq!(
        names("c"),
        Some(vec![
            "by-expressions".into(),
            "by-map".into(),
            "by-string".into()
        ])
    );
    assert_eq!(
        names("d"),
        Some(vec!["by-expressions".into(), "by-map".into()])
    );

    // `~` is not a label value, and the error quotes what was written.
    write(
        "clusters/e.yaml",
        "name: e\nmetadata:\n  gone: ~\n  hex: 0xZZ\n",
    );
    let run = fleetc(inv, &["check"]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr
            .contains("clusters/e.yaml:3: invalid value `~` for label `gone`"),
        "{}",
        run.stderr
    );
}

#[test]
fn values_merge_in_precedence_order_with_references_expanded() {
    let c = example();
    let text = &c.rendered.files["clusters/east-qld-brisbane-01/apps/pos-api.yaml"];
    // App values, cluster values, then the app's override for this cluster.
    assert!(text.contains("replicaCount: 4"), "{text}");
    assert!(text.contains("className: nginx-edge"), "{text}");
    assert!(
        text.contains("STORE_ID: bne01") && text.contains("REGION: east"),
        "{text}"
    );
    // Helm's template syntax untouched; `$${` is a literal `${`.
    assert!(
        text.contains("{{ include (print $.Template.BasePath"),
        "{text}"
    );
    let inference = &c.rendered.files["clusters/east-qld-brisbane-01/apps/inference.yaml"];
    assert!(
        inference.contains("startupScript: 'echo ${HOSTNAME}'"),
        "{inference}"
    );
    // A higher priority policy wins.
    let logs = &c.rendered.files["clusters/west-wa-perth-01/apps/log-shipper.yaml"];
    assert!(logs.contains("level: warn"), "{logs}");
    let lab = &c.rendered.files["clusters/lab-sydney-01/apps/log-shipper.yaml"];
    assert!(lab.contains("level: info"), "{lab}");
}

#[test]
fn depends_on_becomes_sync_waves() {
    let c = example();
    let api = &c.rendered.files["clusters/west-wa-perth-01/apps/pos-api.yaml"];
    let worker = &c.rendered.files["clusters/west-wa-perth-01/apps/pos-worker.yaml"];
    assert!(api.contains("argocd.argoproj.io/sync-wave: '0'"), "{api}");
    assert!(
        worker.contains("argocd.argoproj.io/sync-wave: '1'"),
        "{worker}"
    );
}

/// DESIGN §2: "The JSON examples of the logical models below must load
/// unchanged." They are taken from the design text itself.
#[test]
fn the_design_documents_json_examples_load_unchanged() {
    let Some(design) = conformance_file("../DESIGN.md") else {
        return;
    };
    let text = std::fs::read_to_string(design).unwrap();
    let blocks: Vec<&str> = text
        .split("```json\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert_eq!(blocks.len(), 3, "DESIGN.md should hold three JSON examples");
    let tmp = tempfile::tempdir().unwrap();
    for (folder, block) in ["clusters", "apps", "policies"].iter().zip(&blocks) {
        std::fs::create_dir_all(tmp.path().join(folder)).unwrap();
        std::fs::write(tmp.path().join(folder).join("example.json"), block).unwrap();
    }
    // The app names team `ieb`; the design gives no Namespace document.
    std::fs::create_dir_all(tmp.path().join("namespaces")).unwrap();
    std::fs::write(tmp.path().join("namespaces/ieb.yaml"), "name: ieb\n").unwrap();
    let c = compile(tmp.path()).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(c.rendered.apps.len(), 1);
    assert_eq!(c.rendered.apps[0].name, "app1-cluster1");
    // The same bytes are in the example fixture.
    let fixture = std::fs::read_to_string(
        repo().join("fixtures/example/clusters/east-nsw-newcastle-01.json"),
    )
    .unwrap();
    assert_eq!(fixture.trim(), blocks[0].trim());
}

#[test]
fn include_and_exclude_globs_choose_the_files() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let write = |p: &str, t: &str| {
        let path = root.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, t).unwrap();
    };
    write("namespaces/t.yaml", "name: t\n");
    write("clusters/a.yaml", "name: a\n");
    write("clusters/b.yml", "name: b\n");
    write("clusters/drafts/c.yaml", "name: c\n");
    write(
        "apps/x.yaml",
        "name: x\nrepo_url: r\nrepo_path: p\nnamespace: t\n",
    );
    write("docs/notes.md", "not inventory\n");
    write("fleetc.yaml", "exclude: [\"clusters/drafts/**\"]\n");
    let clusters = || -> Vec<String> {
        let c = compile(root).unwrap();
        c.inventory
            .clusters
            .iter()
            .map(|c| c.name.clone())
            .collect()
    };
    assert_eq!(clusters(), ["a", "b"]);
    write("fleetc.yaml", "include: [\"**/*.yaml\"]\n");
    assert_eq!(clusters(), ["a", "c"]);
}

#[test]
fn a_template_that_never_ends_is_stopped() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    crate::support::copy_tree(&repo().join("fixtures/hub"), root);
    std::fs::write(
        root.join("templates/appproject.yaml.j2"),
        "kind: AppProject\n{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n",
    )
    .unwrap();
    let run = fleetc(root, &["check"]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("templates/appproject.yaml.j2"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("fuel"), "{}", run.stderr);
}

#[test]
fn no_output_path_leaves_the_output_root() {
    use fleetc::check_relative_path;
    for bad in [
        "../x.yaml",
        "/etc/passwd",
        "a/../../b",
        "a//b",
        "./a",
        "a\\b",
        ".git/config",
        "C:/x",
        ".fleetc-manifest",
    ] {
        assert!(check_relative_path(bad).is_err(), "{bad}");
    }
    assert!(check_relative_path("clusters/c1/apps/a.yaml").is_ok());
    // A layout that names an inventory value cannot be steered out either.
    let tmp = tempfile::tempdir().unwrap();
    crate::support::copy_tree(&repo().join("fixtures/hub"), tmp.path());
    std::fs::write(
        tmp.path().join("fleetc.yaml"),
        "mode: hub\nlayout:\n  application: \"../{{ app.name }}.yaml\"\n",
    )
    .unwrap();
    let run = fleetc(tmp.path(), &["check"]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr
            .contains("output path `../storefront.yaml` is not allowed"),
        "{}",
        run.stderr
    );
}

/// fleetc writes its built-in Application template, and the default
/// Application name and path, in Rust (`src/render/builtin.rs`), and runs
/// a user's through minijinja: the built-in template given as a user's,
/// and the defaults spelt otherwise, render every fixture to the same
/// bytes, so the two cannot drift apart.
#[test]
fn the_built_in_application_template_renders_alike_both_ways() {
    let template = std::fs::read_to_string(repo().join("templates/application.yaml.j2")).unwrap();
    let mut compared = 0;
    let mut fixtures: Vec<_> = crate::support::inventory_fixtures()
        .into_iter()
        .filter(|n| !n.starts_with("err-"))
        .map(|n| repo().join("fixtures").join(n))
        .collect();
    // And a generated fleet: every selector form, nulls, overrides, `${ }`.
    let generated = tempfile::tempdir().unwrap();
    crate::faults::write_fleet(generated.path(), 40, 2);
    fixtures.push(generated.path().to_path_buf());
    let wanted = fixtures.len();
    for fixture in fixtures {
        let settings = std::fs::read_to_string(fixture.join("fleetc.yaml")).unwrap_or_default();
        assert!(!settings.contains("templates:"), "{}", fixture.display());
        // Both sides without the fixture's own Application template (hub
        // has one); one side with the built-in one as the user's.
        let tmp = tempfile::tempdir().unwrap();
        let (plain, user) = (tmp.path().join("plain"), tmp.path().join("user"));
        for copy in [&plain, &user] {
            crate::support::copy_tree(&fixture, copy);
            std::fs::create_dir_all(copy.join("templates")).unwrap();
            let _ = std::fs::remove_file(copy.join("templates/application.yaml.j2"));
        }
        std::fs::write(user.join("templates/application.yaml.j2"), &template).unwrap();
        // And the default name and path, spelt otherwise, so that minijinja
        // renders them too.
        let mut spelt = settings.clone();
        if !settings.contains("application_name:") {
            spelt.push_str(
                "\napplication_name: \"{{app.name}}-{{ cluster.shortName or cluster.name}}\"\n",
            );
        }
        if !settings.contains("layout:") {
            spelt.push_str(
                "\nlayout: {application: \"clusters/{{cluster.name}}/apps/{{app.name}}.yaml\"}\n",
            );
        }
        assert_ne!(spelt, settings, "{}", fixture.display());
        std::fs::write(user.join("fleetc.yaml"), spelt).unwrap();
        let mut builtin = compile(&plain).unwrap_or_else(|e| panic!("{}: {e}", fixture.display()));
        let mut user = compile(&user).unwrap_or_else(|e| panic!("{}: {e}", fixture.display()));
        let (a, b) = (builtin.take_tree(), user.take_tree());
        assert!(!a.files.is_empty());
        for (path, bytes) in &a.files {
            assert_eq!(
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(&b.files[path]),
                "{}: {path}",
                fixture.display()
            );
        }
        assert_eq!(a, b, "{}", fixture.display());
        compared += 1;
    }
    println!("{compared} fixtures render alike both ways");
    assert_eq!(compared, wanted);
}

/// What a platform team splitting its fleet into deploy repos by cluster
/// group relies on (`compile --clusters SELECTOR`, one CI job per shard):
/// the shards together hold exactly the whole compile's files, each
/// cluster's files in its shard only, and the fleet-wide files (hub mode's
/// AppProjects and their root) alike in every shard; in per-cluster and in
/// hub mode.
#[test]
fn the_shards_of_a_fleet_together_are_the_whole_compile() {
    let tmp = tempfile::tempdir().unwrap();
    let per_cluster = repo().join("fixtures/example");
    let hub = tmp.path().join("hub");
    crate::support::copy_tree(&per_cluster, &hub);
    let settings = std::fs::read_to_string(hub.join("fleetc.yaml")).unwrap();
    let hub_settings = settings.replace("mode: per-cluster", "mode: hub");
    assert_ne!(hub_settings, settings);
    std::fs::write(hub.join("fleetc.yaml"), hub_settings).unwrap();
    let shards = ["region=east", "region=west", "region notin (east,west)"];
    for inv in [&per_cluster, &hub] {
        let mut whole = compile(inv).unwrap();
        let clusters: Vec<String> = whole
            .inventory
            .clusters
            .iter()
            .map(|c| c.name.clone())
            .collect();
        let whole = whole.take_tree().files;
        let mut union: std::collections::BTreeMap<String, Vec<u8>> = Default::default();
        let mut fleet_wide = 0;
        for selector in shards {
            let shard = fleetc::Shard::parse(selector).unwrap();
            let tree = fleetc::compile_shard(inv, &shard)
                .unwrap()
                .take_tree()
                .files;
            assert!(!tree.is_empty(), "{selector}: an empty shard");
            assert!(tree.len() < whole.len(), "{selector}: the whole fleet");
            for (path, bytes) in tree {
                // A cluster's own path names it; the rest is fleet-wide.
                let of = clusters
                    .iter()
                    .filter(|c| path.contains(c.as_str()))
                    .count();
                match union.get(&path) {
                    Some(seen) => {
                        assert_eq!(of, 0, "{path} is in two shards");
                        assert_eq!(seen, &bytes, "{path} differs between shards");
                        fleet_wide += 1;
                    }
                    None => {
                        union.insert(path, bytes);
                    }
                }
            }
        }
        assert_eq!(union, whole, "{}: the shards' union", inv.display());
        let hub_mode = inv == &hub;
        assert_eq!(fleet_wide > 0, hub_mode, "fleet-wide files in every shard");
    }
    // The command: a shard's selector is checked, and a shard compiled into
    // a folder is not the whole fleet's.
    let out = tmp.path().join("out");
    let out_s = out.to_str().unwrap();
    let run = fleetc(&per_cluster, &["compile", "--out", out_s]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let run = fleetc(
        &per_cluster,
        &[
            "compile",
            "--out",
            out_s,
            "--clusters",
            "region=east",
            "--allow-removals",
        ],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains("removed"), "{}", run.stdout);
    let west = walkdir::WalkDir::new(out.join("clusters/west-wa-perth-01"));
    assert!(west.into_iter().flatten().all(|e| !e.file_type().is_file()));
    assert!(out.join("clusters/lab-sydney-01").exists());
    let run = fleetc(
        &per_cluster,
        &["compile", "--out", out_s, "--clusters", "regoin=east"],
    );
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("the label `regoin`, which no cluster has"),
        "{}",
        run.stderr
    );
}
