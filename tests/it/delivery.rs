//! Progressive delivery as a user meets it: revision pins and overrides
//! in the precedence order of values, ring rollouts and `fleetc promote`,
//! JSON patches on the rendered Application, replica totals divided by
//! weight.

use std::path::Path;

use serde_json::{json, Value};

use crate::support::{conformance_json, fleetc};

/// A small inventory in a temporary folder: one team, the given files.
struct Inv {
    tmp: tempfile::TempDir,
}

impl Inv {
    fn new(files: &[(&str, &str)]) -> Inv {
        let inv = Inv {
            tmp: tempfile::tempdir().unwrap(),
        };
        inv.write("namespaces/t.yaml", "name: t\n");
        for (rel, text) in files {
            inv.write(rel, text);
        }
        inv
    }

    fn path(&self) -> &Path {
        self.tmp.path()
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap()
    }

    fn compile(&self) -> fleetc::Compiled {
        match fleetc::compile(self.path()) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        }
    }

    /// What `fleetc check` prints when it refuses the inventory.
    fn error(&self) -> String {
        let run = fleetc(self.path(), &["check"]);
        assert_eq!(
            run.status, 1,
            "check passed, but should not have: {}",
            run.stdout
        );
        run.stderr
    }
}

/// Clusters `a` … as YAML documents, each with the labels given.
fn clusters(list: &[(&str, &str)]) -> String {
    list.iter()
        .map(|(name, labels)| format!("name: {name}\nmetadata: {{{labels}}}\n"))
        .collect::<Vec<_>>()
        .join("---\n")
}

/// The rendered Application of `app` on `cluster`, parsed.
fn application(c: &fleetc::Compiled, cluster: &str, app: &str) -> Value {
    let r = c
        .rendered
        .apps
        .iter()
        .find(|r| {
            c.inventory.clusters[r.cluster].name == cluster && c.inventory.apps[r.app].name == app
        })
        .unwrap_or_else(|| panic!("{app} is not on {cluster}"));
    let text = &c.rendered.files[&r.path];
    fleetc::parse_yaml(text).unwrap().remove(0).value
}

fn revision_of(c: &fleetc::Compiled, cluster: &str, app: &str) -> String {
    application(c, cluster, app)["spec"]["source"]["targetRevision"]
        .as_str()
        .unwrap()
        .to_string()
}

fn annotation(c: &fleetc::Compiled, cluster: &str, app: &str, key: &str) -> Option<String> {
    application(c, cluster, app)["metadata"]["annotations"][key]
        .as_str()
        .map(str::to_string)
}

const APP: &str = "name: web\nrepo_url: https://git.example.com/web.git\nrepo_path: deploy\nrepo_branch: 1.0.0\nnamespace: t\n";

/// A pin, a higher-priority pin and a per-cluster override: the last layer
/// that sets a revision wins, as with values (DESIGN §4).
#[test]
fn revisions_follow_the_precedence_of_values() {
    let inv = Inv::new(&[
        ("clusters/c.yaml", &clusters(&[("c1", "tier: a"), ("c2", "tier: b"), ("c3", "tier: a")])),
        (
            "apps/web.yaml",
            &format!("{APP}revisionOverrides:\n  c3: hotfix-123\n"),
        ),
        (
            "policies/p.yaml",
            "name: everywhere\napp_selector: {}\ncluster_selector: {}\nrevision: 1.1.0\n---\nname: tier-b\npriority: 10\napp_selector: {}\ncluster_selector: {tier: b}\nrevision: 1.2.0\n",
        ),
    ]);
    let c = inv.compile();
    assert_eq!(revision_of(&c, "c1", "web"), "1.1.0");
    assert_eq!(revision_of(&c, "c2", "web"), "1.2.0");
    assert_eq!(revision_of(&c, "c3", "web"), "hotfix-123");
    // explain names every layer and the one that wins.
    let run = fleetc(inv.path(), &["explain", "web", "c2", "--format", "json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let layers: Vec<(String, bool)> = v["revision"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["revision"].as_str().unwrap().to_string(),
                l["wins"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        layers,
        [
            ("1.0.0".into(), false),
            ("1.1.0".into(), false),
            ("1.2.0".into(), true)
        ]
    );
    // query has the column.
    let run = fleetc(
        inv.path(),
        &["query", "clusters", "--app", "web", "--format", "csv"],
    );
    assert!(
        run.stdout.contains("c3,web-c3,hotfix-123,,"),
        "{}",
        run.stdout
    );
    // Two policies of one priority that pin differently: an error naming both.
    inv.write(
        "policies/q.yaml",
        "name: also-everywhere\napp_selector: {}\ncluster_selector: {}\nrevision: 1.3.0\n",
    );
    let err = inv.error();
    assert!(
        err.contains("policies `also-everywhere` and `everywhere` (both priority 0) both set the revision of app `web` on cluster `c1`: `also-everywhere` pins 1.3.0 and `everywhere` pins 1.1.0"),
        "{err}"
    );
}

fn ring_inventory(rollout: &str) -> Inv {
    Inv::new(&[
        (
            "clusters/c.yaml",
            // `d` has no ring label and `e` a ring the rollout does not list:
            // both go with the last ring.
            &clusters(&[
                ("a", "ring: canary"),
                ("b", "ring: early"),
                ("c", "ring: broad"),
                ("d", "zone: x"),
                ("e", "ring: lab"),
            ]),
        ),
        ("apps/web.yaml", APP),
        (
            "policies/p.yaml",
            &format!("# The web rollout.\nname: web-2\napp_selector: {{}}\ncluster_selector: {{}}\nrollout:\n{rollout}"),
        ),
    ])
}

fn revisions(c: &fleetc::Compiled) -> Vec<String> {
    ["a", "b", "c", "d", "e"]
        .iter()
        .map(|cl| revision_of(c, cl, "web"))
        .collect()
}

/// Rings up to `promoted` have the rollout's revision, later rings keep
/// what the layers beneath give, and a cluster with no ring (no label, or
/// a value not in `order`) goes with the last ring.
#[test]
fn a_rollout_reaches_the_rings_up_to_promoted() {
    let inv = ring_inventory("  by: ring\n  order: [canary, early, broad]\n  revision: 2.0.0\n");
    let c = inv.compile();
    assert_eq!(revisions(&c), ["2.0.0", "1.0.0", "1.0.0", "1.0.0", "1.0.0"]);
    assert_eq!(
        annotation(&c, "a", "web", "fleetc.io/rollout-state").as_deref(),
        Some("promoted")
    );
    assert_eq!(
        annotation(&c, "b", "web", "fleetc.io/rollout-state").as_deref(),
        Some("waiting")
    );
    assert_eq!(
        annotation(&c, "b", "web", "fleetc.io/ring").as_deref(),
        Some("early")
    );
    assert_eq!(annotation(&c, "d", "web", "fleetc.io/ring"), None);
    assert_eq!(
        annotation(&c, "d", "web", "fleetc.io/rollout").as_deref(),
        Some("policy/web-2")
    );

    // promote: the next ring, in place, comments kept.
    let run = fleetc(inv.path(), &["promote", "web-2"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("1.0.0 → 2.0.0: 1 Application on 1 cluster (b)"),
        "{}",
        run.stdout
    );
    let text = inv.read("policies/p.yaml");
    assert!(
        text.starts_with("# The web rollout.\n")
            && text.ends_with("  revision: 2.0.0\n  promoted: early\n"),
        "{text}"
    );
    assert_eq!(
        revisions(&inv.compile()),
        ["2.0.0", "2.0.0", "1.0.0", "1.0.0", "1.0.0"]
    );

    let run = fleetc(inv.path(), &["promote", "web-2"]);
    assert!(
        run.stdout
            .contains("3 Applications on 3 clusters (c, d, e)"),
        "{}",
        run.stdout
    );
    assert_eq!(revisions(&inv.compile()), ["2.0.0"; 5]);
    // At the last ring there is nothing left to promote.
    let run = fleetc(inv.path(), &["promote", "web-2"]);
    assert_eq!(run.status, 0);
    assert!(
        run.stdout.contains("is at its last ring, `broad`"),
        "{}",
        run.stdout
    );
    // Back to the canary: a rollback, by the same edit.
    let run = fleetc(inv.path(), &["promote", "web-2", "--to", "canary"]);
    assert!(
        run.stdout.contains("rolled back from `broad` to `canary`"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("2.0.0 → 1.0.0: 4 Applications"),
        "{}",
        run.stdout
    );
    assert_eq!(
        revisions(&inv.compile()),
        ["2.0.0", "1.0.0", "1.0.0", "1.0.0", "1.0.0"]
    );
    // A ring that is not in `order`: refused, with the rings.
    let run = fleetc(inv.path(), &["promote", "web-2", "--to", "erly"]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("did you mean `early`?"),
        "{}",
        run.stderr
    );
}

/// A ring named in `order` that no cluster is in: the rollout compiles,
/// and `promote` passes over it, saying so.
#[test]
fn an_empty_ring_is_passed_over() {
    let inv =
        ring_inventory("  by: ring\n  order: [canary, pilot, early, broad]\n  revision: 2.0.0\n");
    assert_eq!(revisions(&inv.compile())[..2], ["2.0.0", "1.0.0"]);
    let run = fleetc(inv.path(), &["promote", "web-2", "--dry-run"]);
    assert!(
        run.stdout.contains("ring `pilot` has no clusters: skipped")
            && run
                .stdout
                .contains("promoted from `canary` to `early` (dry run: nothing edited)"),
        "{}",
        run.stdout
    );
    assert!(!inv.read("policies/p.yaml").contains("promoted"));
    // `--to` past a ring that has clusters: that ring moves with it, and
    // is not said to be empty (it was, before: "ring `early` has no
    // clusters: skipped" while its clusters moved).
    let run = fleetc(
        inv.path(),
        &["promote", "web-2", "--to", "broad", "--dry-run"],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("ring `pilot` has no clusters: skipped\n")
            && run
                .stdout
                .contains("ring `early` is promoted on the way to `broad`\n")
            && !run.stdout.contains("`early` has no clusters"),
        "{}",
        run.stdout
    );
}

/// A rollout to an older version than the rings run is refused unless it
/// says `downgrade: true`; revisions that are not versions (branches,
/// commits) are never compared.
#[test]
fn a_rollout_that_goes_backwards_must_say_so() {
    let inv = ring_inventory("  by: ring\n  order: [canary, early, broad]\n  revision: 0.9.0\n");
    let err = inv.error();
    assert!(
        err.contains("the rollout of policy `web-2` goes back from `1.0.0` to `0.9.0`: app `web` runs `1.0.0` on 5 clusters it covers")
            && err.contains("downgrade: true"),
        "{err}"
    );
    let inv = ring_inventory(
        "  by: ring\n  order: [canary, early, broad]\n  revision: 0.9.0\n  downgrade: true\n",
    );
    assert_eq!(revisions(&inv.compile())[..2], ["0.9.0", "1.0.0"]);
    let inv = ring_inventory("  by: ring\n  order: [canary, early, broad]\n  revision: main\n");
    assert_eq!(revisions(&inv.compile())[..2], ["main", "1.0.0"]);
}

/// A pin of higher priority shadows a rollout: the pinned pairs are not
/// the rollout's, and carry none of its annotations.
#[test]
fn a_higher_pin_takes_pairs_out_of_a_rollout() {
    let inv = ring_inventory("  by: ring\n  order: [canary, early, broad]\n  revision: 2.0.0\n");
    inv.write(
        "policies/freeze.yaml",
        "name: freeze-a\npriority: 5\napp_selector: {}\nclusters: [a]\nrevision: 1.0.0\n",
    );
    let c = inv.compile();
    assert_eq!(revision_of(&c, "a", "web"), "1.0.0");
    assert_eq!(annotation(&c, "a", "web", "fleetc.io/rollout"), None);
    assert_eq!(
        annotation(&c, "b", "web", "fleetc.io/rollout-state").as_deref(),
        Some("waiting")
    );
}

/// `promote` edits JSON policies too, and leaves the rest of the line.
#[test]
fn promote_edits_a_json_policy_in_place() {
    let inv = Inv::new(&[
        ("clusters/c.yaml", &clusters(&[("a", "ring: one"), ("b", "ring: two")])),
        ("apps/web.yaml", APP),
        (
            "policies/p.json",
            "{\"name\": \"web-2\", \"app_selector\": {}, \"cluster_selector\": {},\n \"rollout\": {\"by\": \"ring\", \"order\": [\"one\", \"two\"], \"revision\": \"2.0.0\"}}\n",
        ),
    ]);
    let run = fleetc(inv.path(), &["promote", "web-2"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        inv.read("policies/p.json"),
        "{\"name\": \"web-2\", \"app_selector\": {}, \"cluster_selector\": {},\n \"rollout\": {\"by\": \"ring\", \"order\": [\"one\", \"two\"], \"revision\": \"2.0.0\", \"promoted\": \"two\"}}\n"
    );
    assert_eq!(revision_of(&inv.compile(), "b", "web"), "2.0.0");
}

const PATCH_POLICIES: &str = "name: low\napp_selector: {}\ncluster_selector: {}\npatches:\n  - {op: add, path: /spec/revisionHistoryLimit, value: 3}\n  - {op: add, path: /spec/info, value: [{name: owner, value: low}]}\n---\nname: high\npriority: 10\napp_selector: {}\ncluster_selector: {}\npatches:\n  - {op: replace, path: /spec/info/0/value, value: high}\n  - {op: add, path: /spec/info/-, value: {name: team, value: t}}\n";

/// Patches apply after values, policies by ascending priority and the
/// app's for the cluster last; the file is the unpatched Application with
/// exactly those operations applied, and it still passes Argo CD's CRD
/// schema.
#[test]
fn patches_apply_in_precedence_order_to_the_rendered_application() {
    let files = |app_patches: &str| {
        Inv::new(&[
            (
                "clusters/c.yaml",
                &clusters(&[("a", "x: y"), ("b", "x: y")]),
            ),
            (
                "apps/web.yaml",
                &format!("{APP}values: {{replicaCount: 2}}\n{app_patches}"),
            ),
            ("policies/p.yaml", PATCH_POLICIES),
        ])
    };
    let plain = Inv::new(&[
        ("clusters/c.yaml", &clusters(&[("a", "x: y"), ("b", "x: y")])),
        ("apps/web.yaml", &format!("{APP}values: {{replicaCount: 2}}\n")),
        ("policies/p.yaml", "name: low\napp_selector: {}\ncluster_selector: {}\n---\nname: high\npriority: 10\napp_selector: {}\ncluster_selector: {}\n"),
    ]);
    let inv =
        files("patches:\n  b:\n    - {op: replace, path: /spec/revisionHistoryLimit, value: 7}\n");
    let c = inv.compile();
    let unpatched = plain.compile();
    for (cluster, history) in [("a", 3), ("b", 7)] {
        let mut want = application(&unpatched, cluster, "web");
        want["spec"]["revisionHistoryLimit"] = json!(history);
        want["spec"]["info"] =
            json!([{"name": "owner", "value": "high"}, {"name": "team", "value": "t"}]);
        // The annotation of which policies place it is the same in both.
        assert_eq!(application(&c, cluster, "web"), want, "{cluster}");
    }
    let text = &c.rendered.files["clusters/b/apps/web.yaml"];
    assert!(
        text.starts_with("# Rendered by fleetc from the inventory. Do not edit: change the inventory.\n# Patched by policy low, policy high, app web patches for b.\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web-b\n"),
        "{text}"
    );
    // explain lists them, in order.
    let run = fleetc(inv.path(), &["explain", "web", "b"]);
    let at = run
        .stdout
        .find("patches, in the order they apply:")
        .unwrap();
    let section: Vec<&str> = run.stdout[at..].lines().collect();
    assert!(section[1].starts_with("  policy `low`"), "{}", run.stdout);
    assert!(section[4].starts_with("  policy `high`"), "{}", run.stdout);
    assert_eq!(section[5].trim(), "replace /spec/info/0/value");
    assert!(
        section[7].starts_with("  app `web` patches for `b`"),
        "{}",
        run.stdout
    );
    // The CRD schema accepts the patched Applications.
    let Some(schema) = conformance_json("argocd/application.schema.json") else {
        return;
    };
    let validator = jsonschema::draft7::new(&schema).unwrap();
    for cluster in ["a", "b"] {
        let doc = application(&c, cluster, "web");
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{cluster}: {errors:?}");
    }
    // The known-bad patch the schema exists for: a wrong type where Argo CD
    // wants a number. The checker must refuse it, or it proves nothing.
    let mut bad = application(&c, "a", "web");
    bad["spec"]["revisionHistoryLimit"] = json!("three");
    assert!(validator.iter_errors(&bad).next().is_some());
}

/// The replica division: shares sum to the total, each at least `min`,
/// proportional to the weights; a cluster the policy does not place the
/// app on changes nothing when its labels change.
#[test]
fn replicas_are_divided_by_weight_over_the_placed_clusters() {
    let inv = Inv::new(&[
        (
            "clusters/c.yaml",
            &clusters(&[
                ("big", "tier: large, edge: \"true\""),
                ("mid", "tier: large, edge: \"true\""),
                ("s1", "tier: small, edge: \"true\""),
                ("s2", "tier: small, edge: \"true\""),
                ("hub", "tier: small, edge: \"false\""),
            ]),
        ),
        ("apps/web.yaml", &format!("{APP}values: {{server: {{replicas: 1}}}}\n")),
        (
            "policies/p.yaml",
            "name: edge\napp_selector: {}\ncluster_selector: {edge: \"true\"}\nreplicas:\n  total: 10\n  path: server.replicas\n  weights: {label: tier, weights: {large: 3, small: 1}}\n  min: 1\n",
        ),
    ]);
    let shares = |c: &fleetc::Compiled| -> Vec<u64> {
        ["big", "mid", "s1", "s2"]
            .iter()
            .map(|cl| {
                let v = application(c, cl, "web");
                let values =
                    fleetc::parse_yaml(v["spec"]["source"]["helm"]["values"].as_str().unwrap())
                        .unwrap()
                        .remove(0)
                        .value;
                values["server"]["replicas"].as_u64().unwrap()
            })
            .collect()
    };
    // W = 8: quotas 3.75, 3.75, 1.25, 1.25; floors 3, 3, 1, 1; the 2 left
    // go to the largest remainders (.75, .75).
    let c = inv.compile();
    assert_eq!(shares(&c), [4, 4, 1, 1]);
    let run = fleetc(inv.path(), &["explain", "web", "big"]);
    assert!(
        run.stdout.contains("server.replicas = 4 from policy `edge`")
            && run.stdout.contains("10 replicas over 4 clusters by weight, largest remainder (Hamilton), ties by cluster name; at least 1 each")
            && run.stdout.contains("weight 3 of 8 gives a quota of 3.75"),
        "{}",
        run.stdout
    );
    // hub is not placed by the policy: its tier does not count.
    let text = inv.read("clusters/c.yaml").replace(
        "name: hub\nmetadata: {tier: small",
        "name: hub\nmetadata: {tier: large",
    );
    inv.write("clusters/c.yaml", &text);
    assert_eq!(shares(&inv.compile()), [4, 4, 1, 1]);
    // A placed cluster's tier does.
    let text = inv.read("clusters/c.yaml").replace(
        "name: s2\nmetadata: {tier: small",
        "name: s2\nmetadata: {tier: large",
    );
    inv.write("clusters/c.yaml", &text);
    assert_eq!(shares(&inv.compile()), [3, 3, 1, 3]);
}

/// A user's Application template that writes the app's `repo_branch`
/// would drop every pin and rollout without a word: refused, with the fix.
#[test]
fn a_template_that_ignores_the_pair_s_revision_is_refused() {
    let builtin =
        std::fs::read_to_string(crate::support::repo().join("templates/application.yaml.j2"))
            .unwrap();
    let old = builtin.replace(
        "{{ application.revision | yaml }}",
        "{{ app.repo_branch | yaml }}",
    );
    assert_ne!(old, builtin);
    let inv = Inv::new(&[
        ("clusters/c.yaml", &clusters(&[("a", "x: y")])),
        ("apps/web.yaml", APP),
        (
            "policies/p.yaml",
            "name: pin\napp_selector: {}\ncluster_selector: {}\nrevision: 1.1.0\n",
        ),
        ("templates/application.yaml.j2", &old),
    ]);
    let err = inv.error();
    assert!(
        err.contains("the Application template writes targetRevision `1.0.0` for app `web` on cluster `a`, whose revision is `1.1.0`")
            && err.contains("application.revision"),
        "{err}"
    );
    inv.write("templates/application.yaml.j2", &builtin);
    assert_eq!(revision_of(&inv.compile(), "a", "web"), "1.1.0");
}

/// Replica shares, over random fleets: they sum to the total when the
/// bounds allow, each is within its bounds, and a cluster's share does not
/// move when a cluster the policy does not place changes its labels.
#[test]
fn replica_shares_hold_their_properties_over_random_fleets() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    let fleet = (
        prop::collection::vec((any::<bool>(), 0usize..3), 2..9),
        0u64..40,
        0u64..3,
        prop::option::of(3u64..12),
    );
    let mut runner = TestRunner::new(Config {
        cases: 24,
        ..Config::default()
    });
    runner
        .run(&fleet, |(members, total, min, max)| {
            let tiers = ["small", "large", "none"];
            let list: Vec<(String, String)> = members
                .iter()
                .enumerate()
                .map(|(i, (placed, tier))| {
                    (format!("c{i}"), format!("edge: \"{placed}\", tier: {}", tiers[*tier]))
                })
                .collect();
            let refs: Vec<(&str, &str)> = list.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            let max_line = max.map_or(String::new(), |m| format!("  max: {m}\n"));
            let inv = Inv::new(&[
                ("clusters/c.yaml", &clusters(&refs)),
                ("apps/web.yaml", &format!("{APP}source_type: helm\n")),
                (
                    "policies/p.yaml",
                    &format!("name: edge\napp_selector: {{}}\ncluster_selector: {{edge: \"true\"}}\nreplicas:\n  total: {total}\n  path: replicaCount\n  weights: {{label: tier, weights: {{large: 3, small: 1}}, default: 2}}\n  min: {min}\n{max_line}"),
                ),
            ]);
            let shares = |c: &fleetc::Compiled| -> Vec<(String, u64)> {
                c.rendered
                    .apps
                    .iter()
                    .map(|r| {
                        let name = c.inventory.clusters[r.cluster].name.clone();
                        let v = application(c, &name, "web");
                        let values = fleetc::parse_yaml(v["spec"]["source"]["helm"]["values"].as_str().unwrap())
                            .unwrap()
                            .remove(0)
                            .value;
                        (name, values["replicaCount"].as_u64().unwrap())
                    })
                    .collect()
            };
            let c = inv.compile();
            let got = shares(&c);
            let n = got.len() as u64;
            prop_assert_eq!(n, members.iter().filter(|(p, _)| *p).count() as u64);
            let sum: u64 = got.iter().map(|(_, s)| s).sum();
            let fits = n * min <= total && max.is_none_or(|m| total <= n * m.max(min));
            if fits && n > 0 {
                prop_assert_eq!(sum, total, "{:?}", got);
            }
            for (_, s) in &got {
                prop_assert!(*s >= min && max.is_none_or(|m| *s <= m.max(min)), "{:?}", got);
            }
            // Every cluster the policy does not place changes tier.
            let mut text = inv.read("clusters/c.yaml");
            for (i, (placed, tier)) in members.iter().enumerate() {
                if !placed {
                    let from = format!("name: c{i}\nmetadata: {{edge: \"false\", tier: {}", tiers[*tier]);
                    let to = format!("name: c{i}\nmetadata: {{edge: \"false\", tier: {}", tiers[(tier + 1) % 3]);
                    text = text.replace(&from, &to);
                }
            }
            inv.write("clusters/c.yaml", &text);
            prop_assert_eq!(shares(&inv.compile()), got);
            Ok(())
        })
        .unwrap();
}

/// A patched Application is checked against its team's AppProject, whose
/// repositories are those of the team's other apps too: when another app
/// moves its repository, an incremental compile must check the patched
/// pair again, and refuse it as a cold compile does. (It reused the old
/// render and passed, before the team's repositories were in the digest
/// of a patched pair.)
#[test]
fn an_incremental_compile_checks_a_patched_pair_when_its_team_s_repos_move() {
    let inv = Inv::new(&[
        ("clusters/c.yaml", &clusters(&[("a", "x: y")])),
        (
            "apps/web.yaml",
            &format!("{APP}patches:\n  a:\n    - {{op: replace, path: /spec/source/repoURL, value: \"https://git.example.com/etl.git\"}}\n"),
        ),
        ("apps/etl.yaml", "name: etl\nrepo_url: https://git.example.com/etl.git\nrepo_path: deploy\nnamespace: t\n"),
        ("policies/p.yaml", "name: all\napp_selector: {}\ncluster_selector: {}\n"),
    ]);
    let mut c = inv.compile();
    let tree = c.take_tree();
    let reuse = fleetc::reuse_of(&c, &tree);
    inv.write(
        "apps/etl.yaml",
        "name: etl\nrepo_url: https://git.example.com/etl-moved.git\nrepo_path: deploy\nnamespace: t\n",
    );
    assert!(
        fleetc::compile(inv.path()).is_err(),
        "a cold compile refuses it"
    );
    assert!(
        fleetc::compile_reusing(inv.path(), &reuse).is_err(),
        "and so must an incremental one"
    );
}
