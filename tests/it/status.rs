//! `fleetc status`: desired vs live, against exports in the shapes Argo CD
//! v3 and kubectl print (`fixtures/status/`, described in its README.md).
//!
//! The rules encoded here, with where Argo CD documents them:
//! - `argocd app list -o json` prints Applications through Go's
//!   `encoding/json`, so fields at their zero value (`prune: false`) are left
//!   out (`omitempty` on the `SyncPolicyAutomated` fields in
//!   pkg/apis/application/v1alpha1/types.go): absent and zero are the same.
//! - Sync status is about `status.sync.comparedTo`, the spec the controller
//!   last compared (types.go, `ComparedTo`); a Synced about an older spec
//!   says nothing about the current one.
//! - Health statuses are Healthy, Progressing, Degraded, Suspended, Missing
//!   and Unknown (https://argo-cd.readthedocs.io/en/stable/operator-manual/health/).
//! - `status.reconciledAt` is when the controller last reconciled the
//!   Application; it does so every `timeout.reconciliation` (default 120 s
//!   plus jitter, argocd-cm), so an export whose newest reconcile is hours
//!   old is from a controller that stopped, or an old file.
//! - Helm values go to Helm as the text of `helm.values`; a `null` in it
//!   unsets a chart default (https://helm.sh/docs/chart_template_guide/values_files/#deleting-a-default-key),
//!   so a dropped null is a difference.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::{copy_tree, example, fleetc, repo};

/// The time the fixture exports were taken at (see fixtures/status/README.md).
const NOW: &str = "2026-11-30T12:00:00Z";

fn exports() -> PathBuf {
    repo().join("fixtures/status/example")
}

/// `fleetc status --format json` over `from`; (exit code, JSON, stderr).
fn status_json(inv: &Path, from: &[&Path], extra: &[&str]) -> (i32, serde_json::Value, String) {
    let mut args: Vec<String> = vec!["status".into()];
    if !extra.contains(&"--now") {
        args.extend(["--now".into(), NOW.into()]);
    }
    for f in from {
        args.push("--from".into());
        args.push(f.display().to_string());
    }
    args.extend(["--format".into(), "json".into()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = fleetc(inv, &argv);
    let json = serde_json::from_str(&run.stdout).unwrap_or(serde_json::Value::Null);
    (run.status, json, run.stderr)
}

/// (cluster, app or Application) → (status, reasons joined).
fn verdicts(json: &serde_json::Value) -> BTreeMap<(String, String), (String, String)> {
    json["applications"]
        .as_array()
        .unwrap_or_else(|| panic!("no applications in {json}"))
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or("").to_string();
            let reasons: Vec<String> = r["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().to_string())
                .collect();
            // An orphan by its Application's name: its app may also be
            // placed there under another name.
            let who = if s("app").is_empty() || s("status") == "ORPHANED" {
                s("application")
            } else {
                s("app")
            };
            ((s("cluster"), who), (s("status"), reasons.join(" | ")))
        })
        .collect()
}

/// The fixture fleet's expected verdicts: fixtures/status/README.md's
/// table, with a word each reason must hold.
const EXPECTED: &[(&str, &str, &str, &str)] = &[
    ("east-nsw-newcastle-01", "app1", "UNKNOWN", "filtered"),
    ("east-nsw-newcastle-01", "inference", "DEPLOYED", ""),
    (
        "east-nsw-newcastle-01",
        "log-shipper",
        "UNKNOWN",
        "filtered",
    ),
    (
        "east-nsw-newcastle-01",
        "node-exporter",
        "UNKNOWN",
        "filtered",
    ),
    ("east-nsw-newcastle-01", "storefront", "UNKNOWN", "filtered"),
    ("east-qld-brisbane-01", "app1", "DEPLOYED", ""),
    ("east-qld-brisbane-01", "inference", "DEPLOYED", ""),
    ("east-qld-brisbane-01", "log-shipper", "DEPLOYED", ""),
    ("east-qld-brisbane-01", "node-exporter", "DEPLOYED", ""),
    ("east-qld-brisbane-01", "pos-api", "DEPLOYED", ""),
    ("east-qld-brisbane-01", "pos-worker", "DEPLOYED", ""),
    ("east-qld-brisbane-01", "storefront", "DEPLOYED", ""),
    ("lab-sydney-01", "app1", "UNKNOWN", "over --max-age"),
    ("lab-sydney-01", "log-shipper", "UNKNOWN", "over --max-age"),
    (
        "lab-sydney-01",
        "node-exporter",
        "UNKNOWN",
        "over --max-age",
    ),
    ("lab-sydney-01", "pos-api", "UNKNOWN", "over --max-age"),
    ("lab-sydney-01", "pos-worker", "UNKNOWN", "over --max-age"),
    ("lab-sydney-01", "storefront", "UNKNOWN", "over --max-age"),
    (
        "south-vic-melbourne-01",
        "log-shipper",
        "UNKNOWN",
        "no export",
    ),
    (
        "south-vic-melbourne-01",
        "node-exporter",
        "UNKNOWN",
        "no export",
    ),
    (
        "west-wa-perth-01",
        "app1-per01",
        "ORPHANED",
        "no policy places",
    ),
    ("west-wa-perth-01", "log-shipper", "DEPLOYED", ""),
    (
        "west-wa-perth-01",
        "node-exporter",
        "STALE",
        "health Progressing",
    ),
    ("west-wa-perth-01", "pos-api", "DEPLOYED", ""),
    (
        "west-wa-perth-01",
        "pos-worker",
        "STALE",
        "helm values differ",
    ),
    (
        "west-wa-perth-02",
        "log-shipper",
        "NOT INSTALLED",
        "has the cluster's own",
    ),
    ("west-wa-perth-02", "node-exporter", "DEPLOYED", ""),
    (
        "west-wa-perth-02",
        "pos-api",
        "STALE",
        "revision v2.13.0, desired v2.15.0-rc.1",
    ),
    ("west-wa-perth-02", "pos-worker", "STALE", "health Degraded"),
];

#[test]
fn every_pair_gets_its_state_and_reason_from_the_fixture_exports() {
    let (code, json, stderr) = status_json(&example(), &[&exports()], &[]);
    assert_eq!(code, 0, "{stderr}");
    let got = verdicts(&json);
    let want: BTreeMap<(String, String), (String, String)> = EXPECTED
        .iter()
        .map(|(c, a, s, w)| {
            (
                (c.to_string(), a.to_string()),
                (s.to_string(), w.to_string()),
            )
        })
        .collect();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "the rows: every placed pair and the orphan"
    );
    for (k, (state, word)) in &want {
        let (got_state, reasons) = &got[k];
        assert_eq!(got_state, state, "{k:?}: {reasons}");
        if word.is_empty() {
            assert!(
                reasons.is_empty(),
                "{k:?} is DEPLOYED, with no reason: {reasons}"
            );
        } else {
            assert!(
                reasons.contains(word.as_str()),
                "{k:?}: `{word}` not in: {reasons}"
            );
        }
    }
    // The Argo CD Application fleetc does not manage is not a row, and the
    // argocd CLI's dropped `prune: false` is not a difference.
    assert!(
        !json.to_string().contains("guestbook"),
        "an unmanaged app was judged"
    );
    // Every state, and health where the export has the Application.
    let counts: BTreeMap<&str, usize> = EXPECTED.iter().fold(BTreeMap::new(), |mut m, e| {
        *m.entry(e.2).or_insert(0) += 1;
        m
    });
    assert_eq!(counts.len(), 5, "the fixtures show all five states");
    let perth02 = json["applications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["cluster"] == "west-wa-perth-02" && r["app"] == "pos-worker")
        .unwrap();
    assert_eq!(perth02["health"], "Degraded");
}

#[test]
fn the_table_lists_each_state_with_counts_and_exit_code_says_not_all_deployed() {
    let from = exports();
    let from = from.to_str().unwrap();
    let run = fleetc(&example(), &["status", "--from", from, "--now", NOW]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let first = run.stdout.lines().next().unwrap();
    assert!(
        first.starts_with("cluster") && first.contains("status") && first.contains("why"),
        "{first}"
    );
    assert!(
        run.stdout
            .contains("DEPLOYED 11 · STALE 4 · NOT INSTALLED 1 · UNKNOWN 12 · ORPHANED 1"),
        "{}",
        run.stdout
    );
    let run = fleetc(
        &example(),
        &["status", "--from", from, "--now", NOW, "--exit-code"],
    );
    assert_eq!(run.status, 2, "not everything is deployed: {}", run.stderr);
    // Only what is deployed: exit 0 with --exit-code.
    let run = fleetc(
        &example(),
        &[
            "status",
            "--from",
            from,
            "--now",
            NOW,
            "--exit-code",
            "--only",
            "deployed",
            "--cluster",
            "east-qld-brisbane-01",
        ],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains("(7 Applications)"), "{}", run.stdout);
    // CSV: a header and one line per row.
    let run = fleetc(
        &example(),
        &[
            "status",
            "--from",
            from,
            "--now",
            NOW,
            "--format",
            "csv",
            "--only",
            "stale,not-installed",
        ],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "cluster,app,application,status,health,sync,revision,why"
    );
    assert_eq!(lines.len(), 1 + 5, "{}", run.stdout);
    // `app` means the app in every format, an orphan's too (its
    // Application's name is a column of its own), as JSON's `app` does.
    let run = fleetc(
        &example(),
        &["status", "--from", from, "--now", NOW, "--format", "csv"],
    );
    let orphan: Vec<&str> = run
        .stdout
        .lines()
        .find(|l| l.contains("ORPHANED"))
        .expect("perth-01's export holds an orphan")
        .split(',')
        .collect();
    assert_eq!(
        orphan[..4],
        ["west-wa-perth-01", "app1", "app1-per01", "ORPHANED"]
    );
    // A typo in a name is an error with a did-you-mean, not an empty table.
    let run = fleetc(&example(), &["status", "--from", from, "--app", "pos-apj"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("pos-api"), "{}", run.stderr);
}

#[test]
fn a_clock_past_max_age_makes_everything_unknown_and_a_longer_max_age_trusts_old_exports() {
    // The same exports a day later: nothing is known any more.
    let (_, json, _) = status_json(
        &example(),
        &[&exports()],
        &["--now", "2026-12-01T12:00:00Z"],
    );
    let got = verdicts(&json);
    assert!(got.values().all(|(s, _)| s == "UNKNOWN"), "{got:?}");
    // Trusting three days, sydney's two-day-old export is read.
    let (_, json, _) = status_json(&example(), &[&exports()], &["--max-age", "3d"]);
    let got = verdicts(&json);
    assert_eq!(
        got[&("lab-sydney-01".into(), "pos-api".into())].0,
        "DEPLOYED"
    );
}

/// Rewrites one export's JSON with `edit` into a copy of the fixture
/// exports, and judges again.
fn judged_with(
    file: &str,
    edit: impl Fn(&mut serde_json::Value),
) -> BTreeMap<(String, String), (String, String)> {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("exports");
    copy_tree(&exports(), &dir);
    let path = dir.join(file);
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let (code, json, stderr) = status_json(&example(), &[&dir], &[]);
    assert_eq!(code, 0, "{stderr}");
    verdicts(&json)
}

/// The reasons of a cluster's rows in one state.
fn verdict_rows(
    got: &BTreeMap<(String, String), (String, String)>,
    cluster: &str,
    state: &str,
) -> Vec<String> {
    got.iter()
        .filter(|((c, _), (s, _))| c == cluster && s == state)
        .map(|(_, (_, why))| why.clone())
        .collect()
}

fn items(v: &mut serde_json::Value) -> &mut Vec<serde_json::Value> {
    if v.is_array() {
        v.as_array_mut().unwrap()
    } else {
        v["items"].as_array_mut().unwrap()
    }
}

fn item<'a>(v: &'a mut serde_json::Value, name: &str) -> &'a mut serde_json::Value {
    items(v)
        .iter_mut()
        .find(|i| i["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

/// An edit of one fixture export, and the verdict it must give one pair.
struct Case {
    what: &'static str,
    file: &'static str,
    edit: Box<dyn Fn(&mut serde_json::Value)>,
    cluster: &'static str,
    /// The app (an orphan: its Application).
    app: &'static str,
    state: &'static str,
    /// Words its reasons must hold.
    why: &'static str,
}

/// Edits an Application of `file` by name.
fn on(
    name: &'static str,
    f: impl Fn(&mut serde_json::Value) + 'static,
) -> Box<dyn Fn(&mut serde_json::Value)> {
    Box::new(move |v| f(item(v, name)))
}

#[test]
fn known_bad_live_states_are_never_called_deployed() {
    const BNE: &str = "east-qld-brisbane-01.json";
    const B: &str = "east-qld-brisbane-01";
    // Another cluster's Application, applied to perth-01's Argo CD.
    let stray = {
        let text = std::fs::read_to_string(exports().join("west-wa-perth-02.json")).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut a = item(&mut v, "node-exporter-per02").clone();
        a["metadata"]["name"] = "log-shipper-per02".into();
        a["metadata"]["labels"]["fleetc.io/app"] = "log-shipper".into();
        a
    };
    let cases = vec![
        // A Helm null where fleetc renders none (or, the other way round,
        // a null dropped, as valuesObject would drop it): Helm unsets the
        // chart's default in one and keeps it in the other.
        Case {
            what: "a Helm null",
            file: BNE,
            cluster: B,
            app: "pos-api",
            state: "STALE",
            // pos-api has two sources (its chart, and the values repo's ref).
            why: "helm values (source 1) differ: resources null, desired absent",
            edit: on("pos-api-bne01", |a| {
                let text = a["spec"]["sources"][0]["helm"]["values"]
                    .as_str()
                    .unwrap()
                    .to_string();
                a["spec"]["sources"][0]["helm"]["values"] =
                    format!("{text}resources: null\n").into();
            }),
        },
        // A Kustomize app's image set by hand in the UI (`argocd app set
        // --kustomize-image`): Argo CD builds another image than fleetc's.
        Case {
            what: "a Kustomize image changed by hand",
            file: BNE,
            cluster: B,
            app: "storefront",
            state: "STALE",
            why: "spec.source.kustomize.images",
            edit: on("storefront-bne01", |a| {
                a["spec"]["source"]["kustomize"]["images"] =
                    serde_json::json!(["storefront=registry.example.com/ieb/storefront:hotfix"]);
            }),
        },
        // The values repo moved to another branch by hand.
        Case {
            what: "the values repo at another revision",
            file: BNE,
            cluster: B,
            app: "pos-api",
            state: "STALE",
            why: "spec.sources",
            edit: on("pos-api-bne01", |a| {
                a["spec"]["sources"][1]["targetRevision"] = "hotfix".into();
            }),
        },
        // A helm block added to a folder of manifests (what fleetc wrote
        // before): Argo CD would run helm template on it.
        Case {
            what: "a helm block on a folder of manifests",
            file: BNE,
            cluster: B,
            app: "app1",
            state: "STALE",
            why: "spec.source.helm",
            edit: on("app1-bne01", |a| {
                a["spec"]["source"]["helm"] = serde_json::json!({"releaseName": "app1"});
            }),
        },
        Case {
            what: "automated sync turned off by hand",
            file: BNE,
            cluster: B,
            app: "log-shipper",
            state: "STALE",
            why: "spec.syncPolicy.automated",
            edit: on("log-shipper-bne01", |a| {
                a["spec"]["syncPolicy"]
                    .as_object_mut()
                    .unwrap()
                    .remove("automated");
            }),
        },
        // Argo CD 3's switch: Go prints it although false.
        Case {
            what: "automated.enabled: false",
            file: BNE,
            cluster: B,
            app: "node-exporter",
            state: "STALE",
            why: "automated.enabled false, desired absent",
            edit: on("node-exporter-bne01", |a| {
                a["spec"]["syncPolicy"]["automated"]["enabled"] = false.into();
            }),
        },
        // Helm values as an object, set by hand: Argo CD gives them to Helm
        // over the text, zeros and all (scaled to nothing).
        Case {
            what: "valuesObject with a zero",
            file: BNE,
            cluster: B,
            app: "pos-worker",
            state: "STALE",
            why: "valuesObject",
            edit: on("pos-worker-bne01", |a| {
                a["spec"]["source"]["helm"]["valuesObject"] =
                    serde_json::json!({"replicaCount": 0});
            }),
        },
        // Synced, but about an older spec.
        Case {
            what: "compared to an older revision",
            file: BNE,
            cluster: B,
            app: "inference",
            state: "STALE",
            why: "earlier spec",
            edit: on("inference-bne01", |a| {
                a["status"]["sync"]["comparedTo"]["source"]["targetRevision"] = "0.0.1".into();
            }),
        },
        Case {
            what: "compared to another destination",
            file: BNE,
            cluster: B,
            app: "app1",
            state: "STALE",
            why: "comparedTo.destination",
            edit: on("app1-bne01", |a| {
                a["status"]["sync"]["comparedTo"]["destination"]["namespace"] = "elsewhere".into();
            }),
        },
        // The project refuses the repo.
        Case {
            what: "an error condition",
            file: BNE,
            cluster: B,
            app: "app1",
            state: "STALE",
            why: "InvalidSpecError",
            edit: on("app1-bne01", |a| {
                a["status"]["conditions"] = serde_json::json!([{
                    "type": "InvalidSpecError",
                    "message": "application repo https://git.example.com/x.git is not permitted in project 'ieb'",
                    "lastTransitionTime": "2026-11-30T11:50:00Z"
                }]);
            }),
        },
        Case {
            what: "being deleted",
            file: BNE,
            cluster: B,
            app: "inference",
            state: "STALE",
            why: "being deleted",
            edit: on("inference-bne01", |a| {
                a["metadata"]["deletionTimestamp"] = "2026-11-30T11:00:00Z".into();
            }),
        },
        // Argo CD could not compare it (the repo unreachable): not known to
        // differ, nor to be deployed.
        Case {
            what: "sync Unknown",
            file: BNE,
            cluster: B,
            app: "log-shipper",
            state: "UNKNOWN",
            why: "sync Unknown",
            edit: on("log-shipper-bne01", |a| {
                a["status"]["sync"]["status"] = "Unknown".into()
            }),
        },
        // Argo CD in another namespace than fleetc renders for: there, in
        // the wrong place; neither missing nor orphaned.
        Case {
            what: "another namespace",
            file: BNE,
            cluster: B,
            app: "pos-api",
            state: "STALE",
            why: "metadata.namespace openshift-gitops, desired argocd",
            edit: Box::new(|v| {
                for i in items(v) {
                    i["metadata"]["namespace"] = "openshift-gitops".into();
                }
            }),
        },
        // It counts for the cluster whose Argo CD holds it (an orphan
        // there), not for the one its label names...
        Case {
            what: "another cluster's Application (there)",
            file: "west-wa-perth-01.json",
            cluster: "west-wa-perth-01",
            app: "log-shipper-per02",
            state: "ORPHANED",
            why: "labelled for `west-wa-perth-02`",
            edit: {
                let a = stray.clone();
                Box::new(move |v| items(v).push(a.clone()))
            },
        },
        // ... where it is still not installed.
        Case {
            what: "another cluster's Application (its own)",
            file: "west-wa-perth-01.json",
            cluster: "west-wa-perth-02",
            app: "log-shipper",
            state: "NOT INSTALLED",
            why: "has the cluster's own",
            edit: {
                let a = stray.clone();
                Box::new(move |v| items(v).push(a.clone()))
            },
        },
        // The root lists an Application as Synced that the export lacks:
        // filtered, so what it lacks is not known to be missing.
        Case {
            what: "a root's Synced child missing",
            file: "west-wa-perth-02.json",
            cluster: "west-wa-perth-02",
            app: "log-shipper",
            state: "UNKNOWN",
            why: "pos-extra-per02",
            edit: on("fleetc-west-wa-perth-02", |root| {
                root["status"]["resources"]
                    .as_array_mut()
                    .unwrap()
                    .push(serde_json::json!({
                        "group": "argoproj.io", "kind": "Application", "name": "pos-extra-per02",
                        "namespace": "argocd", "status": "Synced", "version": "v1alpha1"
                    }));
            }),
        },
        // The cluster's own Applications gone: filtered.
        Case {
            what: "the cluster's own Applications missing",
            file: "west-wa-perth-02.json",
            cluster: "west-wa-perth-02",
            app: "log-shipper",
            state: "UNKNOWN",
            why: "filtered export?",
            edit: Box::new(|v| {
                items(v).retain(|i| {
                    !i["metadata"]["name"]
                        .as_str()
                        .unwrap()
                        .starts_with("fleetc-")
                });
            }),
        },
    ];
    let mut failures = Vec::new();
    for c in &cases {
        let got = judged_with(c.file, &c.edit);
        let key = (c.cluster.to_string(), c.app.to_string());
        match got.get(&key) {
            Some((s, why)) if s == c.state && why.contains(c.why) => {}
            other => failures.push(format!(
                "{}: want {} with `{}`, got {other:?}",
                c.what, c.state, c.why
            )),
        }
        // Nothing else on brisbane is called missing or orphaned.
        if c.file == BNE {
            for gone in ["ORPHANED", "NOT INSTALLED"] {
                if !verdict_rows(&got, B, gone).is_empty() {
                    failures.push(format!("{}: a row on {B} is {gone}", c.what));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // And the fixture as it is: the same pairs are DEPLOYED (and
    // perth-02's log-shipper NOT INSTALLED), so each edit above is what
    // made the difference.
    let got = judged_with(BNE, |_: &mut serde_json::Value| {});
    for c in cases.iter().filter(|c| c.cluster == B) {
        let (s, why) = &got[&(B.to_string(), c.app.to_string())];
        assert_eq!(s, "DEPLOYED", "{}: {why}", c.app);
    }
    assert_eq!(
        got[&("west-wa-perth-02".into(), "log-shipper".into())].0,
        "NOT INSTALLED"
    );
}

#[test]
fn malformed_exports_are_errors_naming_the_file_and_never_a_status() {
    let bad = repo().join("fixtures/status/bad");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&bad)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 8, "{files:?}");
    for f in &files {
        let (code, json, stderr) = status_json(&example(), &[&exports(), f], &[]);
        assert_eq!(code, 1, "{}: {stderr}", f.display());
        assert!(json.is_null(), "{}: printed a status", f.display());
        let name = f.file_name().unwrap().to_str().unwrap();
        assert!(
            stderr.contains(name) && stderr.contains("help:"),
            "{name}: {stderr}"
        );
        assert!(
            stderr.ends_with("no status was given\n"),
            "{name}: {stderr}"
        );
    }
    // Two exports of one Argo CD: which is right cannot be told.
    let dup = repo().join("fixtures/status/duplicate");
    let (code, _, stderr) = status_json(&example(), &[&dup], &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("a.json") && stderr.contains("b.json") && stderr.contains("pos-api-per01"),
        "{stderr}"
    );
}

#[test]
fn explain_prints_the_live_state_under_the_desired_one() {
    let from = exports();
    let run = fleetc(
        &example(),
        &[
            "explain",
            "pos-api",
            "west-wa-perth-02",
            "--from",
            from.to_str().unwrap(),
            "--now",
            NOW,
        ],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let live = &run.stdout[run
        .stdout
        .find("\nlive (what Argo CD reports):")
        .expect("a live section")..];
    assert!(live.contains("STALE  pos-api-per02"), "{live}");
    assert!(
        live.contains("revision v2.13.0, desired v2.15.0-rc.1"),
        "{live}"
    );
    // Without --from, no live section.
    let run = fleetc(&example(), &["explain", "pos-api", "west-wa-perth-02"]);
    assert!(!run.stdout.contains("live (what"), "{}", run.stdout);
}

/// A hub's one export, made from what fleetc renders for `fixtures/hub`:
/// every Application as `argocd app list -o json` prints it, Synced and
/// Healthy, reconciled a minute before [`NOW`].
fn hub_export(dir: &Path) -> Vec<serde_json::Value> {
    let out = dir.join("rendered");
    let run = fleetc(
        &repo().join("fixtures/hub"),
        &["compile", "--out", out.to_str().unwrap()],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let mut apps = Vec::new();
    for (path, bytes) in crate::support::read_tree(&out) {
        if !path.ends_with(".yaml") {
            continue;
        }
        let text = String::from_utf8(bytes).unwrap();
        for doc in fleetc::parse_yaml(&text).unwrap() {
            let mut v = doc.value;
            if v["kind"] != "Application" {
                continue;
            }
            let source = v["spec"]["source"].clone();
            v["status"] = serde_json::json!({
                "sync": {"status": "Synced", "comparedTo": {"source": source, "destination": v["spec"]["destination"]}, "revision": "0123456789abcdef0123456789abcdef01234567"},
                "health": {"status": "Healthy", "lastTransitionTime": "2026-11-30T10:00:00Z"},
                "reconciledAt": "2026-11-30T11:59:00Z",
            });
            apps.push(v);
        }
    }
    apps
}

#[test]
fn a_hubs_one_export_covers_every_cluster() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = repo().join("fixtures/hub");
    let apps = hub_export(tmp.path());
    let file = tmp.path().join("hub.json");
    let judge = |apps: &[serde_json::Value]| {
        std::fs::write(&file, serde_json::to_string_pretty(apps).unwrap()).unwrap();
        let (code, json, stderr) = status_json(&hub, &[&file], &[]);
        assert_eq!(code, 0, "{stderr}");
        // The hub's root of its AppProjects is fleetc's, of no cluster.
        assert_eq!(stderr, "", "nothing to say about a whole hub export");
        verdicts(&json)
    };
    let got = judge(&apps);
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got.values().all(|(s, _)| s == "DEPLOYED"), "{got:?}");

    // An Application whose labels were stripped is still found, by its
    // destination's cluster name, and the missing labels are the difference.
    let mut stripped = apps.clone();
    let one = stripped
        .iter_mut()
        .find(|a| a["metadata"]["name"] == "prod-eu-1-storefront")
        .unwrap();
    one["metadata"].as_object_mut().unwrap().remove("labels");
    let got = judge(&stripped);
    let (s, why) = &got[&("prod-eu-1".to_string(), "storefront".to_string())];
    assert_eq!(s, "STALE", "{why}");
    assert!(
        why.contains("metadata.labels.fleetc.io/cluster absent"),
        "{why}"
    );

    // One deleted: not installed, since the hub's export has that cluster's
    // own Applications.
    let fewer: Vec<_> = apps
        .iter()
        .filter(|a| a["metadata"]["name"] != "prod-us-1-storefront")
        .cloned()
        .collect();
    let got = judge(&fewer);
    assert_eq!(
        got[&("prod-us-1".to_string(), "storefront".to_string())].0,
        "NOT INSTALLED"
    );
}
