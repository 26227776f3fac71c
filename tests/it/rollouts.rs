//! Safe operations, end to end on the example fleet: a gated rollout
//! through a failed canary (refused, `halt`, rolled back in one commit and
//! log entry), then a healthy one (`wait` while it soaks, then
//! `promote`), and a cluster drained before its file is removed.
//!
//! Argo CD cannot run here, so its exports are made from the rendered
//! tree, as `kubectl get applications.argoproj.io -A -o json` prints them
//! once the controller has synced (a `List` of Applications with the
//! rendered spec and a `status`). What the gate reads, as Argo CD
//! documents it:
//! - health: Healthy, Progressing, Degraded, Suspended, Missing, Unknown
//!   (https://argo-cd.readthedocs.io/en/stable/operator-manual/health/);
//! - the last sync: `status.operationState.phase` (Running, Succeeded,
//!   Failed, Error, Terminating) and `finishedAt`, when it ended
//!   (pkg/apis/application/v1alpha1/types.go, `OperationState`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::support::{
    copy_tree, deploy_log, example_inventory_repo, fleetc, git, repo, seed_deploy_repo, Run,
};

/// The time the exports are judged at, and times before it.
const NOW: &str = "2026-12-01T12:00:00Z";
const MINUTE_AGO: &str = "2026-12-01T11:59:00Z";
const TEN_MINUTES_AGO: &str = "2026-12-01T11:50:00Z";
const FORTY_MINUTES_AGO: &str = "2026-12-01T11:20:00Z";

/// The rollout of the example (policies/agents.yaml): its canary ring is
/// west-wa-perth-02, its early ring west-wa-perth-01.
const ROLLOUT: &str = "node-exporter-4.40";
const CANARY: &str = "west-wa-perth-02";

/// What Argo CD reports for one Application.
#[derive(Clone, Copy)]
struct Live {
    health: &'static str,
    phase: &'static str,
    finished: &'static str,
}

const HEALTHY_LONG_AGO: Live = Live {
    health: "Healthy",
    phase: "Succeeded",
    finished: FORTY_MINUTES_AGO,
};

/// An inventory (a git repo holding the example fleet), a deploy repo and
/// a scratch folder.
struct Fleet {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    inv: PathBuf,
    deploy: PathBuf,
}

impl Fleet {
    fn new() -> Fleet {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let deploy = seed_deploy_repo(&root);
        let inv = example_inventory_repo(&root);
        Fleet {
            _tmp: tmp,
            root,
            inv,
            deploy,
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        fleetc(&self.inv, args)
    }

    /// `compile --repo --commit`, which must succeed.
    fn commit(&self) -> String {
        let run = self.run(&[
            "compile",
            "--repo",
            self.deploy.to_str().unwrap(),
            "--commit",
        ]);
        assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
        run.stdout
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.inv.join(rel)).unwrap()
    }

    fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.inv.join(rel), text).unwrap();
    }

    /// A file of the deploy branch.
    fn deployed(&self, rel: &str) -> Option<String> {
        let out = std::process::Command::new("git")
            .args(["show", &format!("main:{rel}")])
            .current_dir(&self.deploy)
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Exports of every cluster's Argo CD after it synced what the
    /// inventory renders now, each Application as `state` says (by
    /// cluster and app; a cluster's own Applications are healthy).
    fn exports(&self, name: &str, state: impl Fn(&str, &str) -> Live) -> PathBuf {
        let rendered = self.root.join(format!("rendered-{name}"));
        let run = self.run(&["compile", "--out", rendered.to_str().unwrap()]);
        assert_eq!(run.status, 0, "{}", run.stderr);
        let mut lists: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for entry in walkdir::WalkDir::new(&rendered) {
            let entry = entry.unwrap();
            if entry.path().extension().is_none_or(|e| e != "yaml") {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).unwrap();
            for doc in fleetc::parse_yaml(&text).unwrap() {
                let v = doc.value;
                if v["kind"] != "Application" {
                    continue;
                }
                let labels = &v["metadata"]["labels"];
                let cluster = labels["fleetc.io/cluster"].as_str().unwrap().to_string();
                let live = match labels["fleetc.io/app"].as_str() {
                    Some(app) => state(&cluster, app),
                    None => HEALTHY_LONG_AGO,
                };
                let revision = v
                    .pointer("/spec/source/targetRevision")
                    .or_else(|| v.pointer("/spec/sources/0/targetRevision"))
                    .cloned()
                    .unwrap_or(json!("HEAD"));
                let mut item = v.clone();
                item["status"] = json!({
                    "sync": {"status": "Synced", "revision": revision},
                    "health": {"status": live.health},
                    "reconciledAt": MINUTE_AGO,
                    "operationState": {
                        "phase": live.phase,
                        "message": "successfully synced (all tasks run)",
                        "startedAt": live.finished,
                        "finishedAt": live.finished,
                    },
                });
                lists.entry(cluster).or_default().push(item);
            }
        }
        let dir = self.root.join(format!("live-{name}"));
        std::fs::create_dir_all(&dir).unwrap();
        for (cluster, items) in lists {
            let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
            std::fs::write(
                dir.join(format!("{cluster}.json")),
                serde_json::to_string_pretty(&list).unwrap(),
            )
            .unwrap();
        }
        dir
    }
}

fn from(dir: &Path) -> [String; 4] {
    [
        "--from".into(),
        dir.display().to_string(),
        "--now".into(),
        NOW.into(),
    ]
}

fn args<'a>(head: &[&'a str], tail: &'a [String]) -> Vec<&'a str> {
    head.iter()
        .copied()
        .chain(tail.iter().map(String::as_str))
        .collect()
}

/// The log entries on the deploy branch, as JSON lines.
fn log_lines(f: &Fleet) -> Vec<Value> {
    deploy_log(&f.deploy, "main")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_gated_rollout_halts_on_a_degraded_canary_rolls_back_then_soaks_and_promotes() {
    let f = Fleet::new();
    f.commit();
    let policy = "policies/agents.yaml";
    let original = f.read(policy);

    // 1. The canary is Degraded.
    let degraded = f.exports("degraded", |cluster, app| match (cluster, app) {
        (CANARY, "node-exporter") => Live {
            health: "Degraded",
            ..HEALTHY_LONG_AGO
        },
        _ => HEALTHY_LONG_AGO,
    });
    let live = from(&degraded);
    // Without the exports, a gated rollout is not promoted.
    let run = f.run(&["promote", ROLLOUT]);
    assert_eq!(run.status, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains("has a gate") && run.stderr.contains("--from"),
        "{}",
        run.stderr
    );
    // With them, the canary holds it back, named with its status.
    let run = f.run(&args(&["promote", ROLLOUT], &live));
    assert_eq!(run.status, 1, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("west-wa-perth-02/node-exporter: DEPLOYED Degraded (Degraded)")
            || run
                .stderr
                .contains("west-wa-perth-02/node-exporter: STALE Degraded"),
        "{}",
        run.stderr
    );
    assert_eq!(
        f.read(policy),
        original,
        "a refused promotion edits nothing"
    );
    // `rollout status` says halt, with the command that rolls back; exit 3.
    let run = f.run(&args(&["rollout", "status", ROLLOUT], &live));
    assert_eq!(run.status, 3, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("halt: 1 pair failed: west-wa-perth-02/node-exporter (Degraded)")
            && run.stdout.contains("`fleetc rollback node-exporter-4.40`"),
        "{}",
        run.stdout
    );

    // 2. Roll back: the rollout's revision returns to what the rings ran,
    // in place, everything else in the file byte for byte.
    let run = f.run(&["rollback", ROLLOUT]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("4.40.0 → 4.39.0: 1 Application on 1 cluster (west-wa-perth-02)"),
        "{}",
        run.stdout
    );
    assert_eq!(
        f.read(policy),
        original.replace("  revision: 4.40.0\n", "  revision: 4.39.0\n")
    );
    let out = f.commit();
    assert!(out.contains("log entry 2"), "{out}");
    let canary_app = "clusters/west-wa-perth-02/apps/node-exporter.yaml";
    assert!(f
        .deployed(canary_app)
        .unwrap()
        .contains("targetRevision: '4.39.0'"));
    // One commit, whose message says it, and one log entry with the step,
    // naming the entry that last deployed 4.39.0.
    let message = git(&f.deploy, &["log", "-1", "--format=%B", "main"]);
    assert!(
        message.contains("policy/node-exporter-4.40: ring canary rolled back, 4.40.0 → 4.39.0 on 1 Application (west-wa-perth-02/node-exporter), rollback to entry 1"),
        "{message}"
    );
    let lines = log_lines(&f);
    let step: Vec<&Value> = lines
        .iter()
        .filter(|l| l["kind"] == "promotion" && l["entry"] == 2)
        .collect();
    assert_eq!(step.len(), 1, "{lines:?}");
    assert_eq!(step[0]["step"], "rolled back");
    assert_eq!(step[0]["from"], "4.40.0");
    assert_eq!(step[0]["to"], "4.39.0");
    assert_eq!(step[0]["rollback_to"], 1);
    assert_eq!(git(&f.deploy, &["rev-list", "--count", "main"]).trim(), "3");

    // Once the canary runs 4.39.0 again, the rollout has nothing to do.
    let rolled_back = f.exports("rolled-back", |_, _| HEALTHY_LONG_AGO);
    let run = f.run(&args(&["rollout", "status", ROLLOUT], &from(&rolled_back)));
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("done: nothing to roll out: every ring gets 4.39.0"),
        "{}",
        run.stdout
    );

    // 3. Roll forward again (a person edits the revision back), and the
    // canary syncs it: ten minutes into a 30-minute soak, wait.
    f.write(policy, &original);
    f.commit();
    let soaking = f.exports("soaking", |cluster, app| match (cluster, app) {
        (CANARY, "node-exporter") => Live {
            finished: TEN_MINUTES_AGO,
            ..HEALTHY_LONG_AGO
        },
        _ => HEALTHY_LONG_AGO,
    });
    let live = from(&soaking);
    let run = f.run(&args(&["rollout", "status", ROLLOUT], &live));
    assert_eq!(run.status, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("wait: 1 pair soaking, 20m left of 30m"),
        "{}",
        run.stdout
    );
    let run = f.run(&args(&["promote", ROLLOUT], &live));
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains(
            "west-wa-perth-02/node-exporter: DEPLOYED Healthy (synced 10m ago, soak 30m)"
        ),
        "{}",
        run.stderr
    );
    let json = f.run(&args(
        &["rollout", "status", ROLLOUT, "--format", "json"],
        &live,
    ));
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["rollouts"][0]["verdict"], "wait");
    assert_eq!(v["rollouts"][0]["wait_seconds"], 1200);

    // 4. Soaked: promote, and the early ring gets it.
    let soaked = f.exports("soaked", |_, _| HEALTHY_LONG_AGO);
    let live = from(&soaked);
    let run = f.run(&args(&["rollout", "status", ROLLOUT], &live));
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert!(
        run.stdout.contains("promote: the gate is met"),
        "{}",
        run.stdout
    );
    let run = f.run(&args(&["promote", ROLLOUT], &live));
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(f.read(policy).contains("  promoted: early\n"));
    f.commit();
    assert!(f
        .deployed("clusters/west-wa-perth-01/apps/node-exporter.yaml")
        .unwrap()
        .contains("targetRevision: '4.40.0'"));
}

#[test]
fn forcing_past_a_gate_needs_a_reason_and_the_log_keeps_it() {
    let f = Fleet::new();
    f.commit();
    let run = f.run(&["promote", ROLLOUT, "--force"]);
    assert_ne!(run.status, 0, "--force alone is refused");
    let run = f.run(&[
        "promote",
        ROLLOUT,
        "--force",
        "--reason",
        "CVE-2026-4242: the canary's soak is cut short",
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let text = f.read("policies/agents.yaml");
    assert!(text.contains("  promoted: early\n"), "{text}");
    assert!(
        text.contains("  forced: {early: \"CVE-2026-4242: the canary's soak is cut short\"}\n"),
        "{text}"
    );
    // The reason reaches the commit that deploys the step, and its entry.
    f.commit();
    let message = git(&f.deploy, &["log", "-1", "--format=%B", "main"]);
    assert!(message.contains("ring early promoted, 4.39.0 → 4.40.0 on 1 Application (west-wa-perth-01/node-exporter), past its gate: CVE-2026-4242"), "{message}");
    let step = log_lines(&f)
        .into_iter()
        .find(|l| l["kind"] == "promotion" && l["entry"] == 2)
        .unwrap();
    assert_eq!(
        step["forced"],
        "CVE-2026-4242: the canary's soak is cut short"
    );
    // The reason was for that step: back a ring, it goes.
    let run = f.run(&["promote", ROLLOUT, "--to", "canary"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(f.read("policies/agents.yaml").contains("  forced: {}\n"));
}

/// `--force` on a rollout with no gate passes nothing, so nothing is
/// recorded as forced.
#[test]
fn force_without_a_gate_records_nothing() {
    let f = Fleet::new();
    let policy = "policies/agents.yaml";
    f.write(
        policy,
        &f.read(policy)
            .replace("  gate: {soak: 30m, max_unhealthy: 0}\n", ""),
    );
    let run = f.run(&["promote", ROLLOUT, "--force", "--reason", "habit"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let text = f.read(policy);
    assert!(
        text.contains("  promoted: early\n") && !text.contains("forced"),
        "{text}"
    );
}

#[test]
fn a_cluster_is_drained_before_its_file_goes() {
    let f = Fleet::new();
    f.commit();
    let file = "clusters/east-nsw-newcastle-01.json";
    let text = f.read(file);
    // Removing the file while the branch holds its Applications is refused,
    // whatever the guard's floor, with the fix.
    std::fs::remove_file(f.inv.join(file)).unwrap();
    let run = f.run(&["compile", "--repo", f.deploy.to_str().unwrap(), "--commit"]);
    assert_eq!(run.status, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains("cluster `east-nsw-newcastle-01` (5 Applications) is no longer in the inventory, but the tree still holds its Applications")
            && run.stderr.contains("lifecycle: draining"),
        "{}",
        run.stderr
    );
    // diff says the same, and never that the apps go.
    let run = f.run(&["diff", "--repo", f.deploy.to_str().unwrap()]);
    assert!(
        run.stdout.contains("keeps running there, unmanaged"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("(cluster removed from the inventory)"),
        "{}",
        run.stdout
    );

    // Drain it: its Applications leave, its root and namespaces stay.
    std::fs::write(f.inv.join(file), &text).unwrap();
    let before = f.exports("before-drain", |_, _| HEALTHY_LONG_AGO);
    f.write(
        file,
        &text.replacen('{', "{\"lifecycle\": \"draining\", ", 1),
    );
    // Until Argo CD prunes them, `status` says why they are orphans.
    let run = f.run(&args(
        &[
            "status",
            "--cluster",
            "east-nsw-newcastle-01",
            "--only",
            "orphaned",
        ],
        &from(&before),
    ));
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("drained: cluster `east-nsw-newcastle-01` is draining; the root Application prunes it at its next sync"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("ORPHANED 5"), "{}", run.stdout);
    let run = f.run(&["explain", "storefront", "east-nsw-newcastle-01"]);
    assert!(
        run.stdout
            .contains("not placed: drained: cluster `east-nsw-newcastle-01` is draining (placed by app1_to_east)"),
        "{}",
        run.stdout
    );
    f.commit();
    let apps = git(
        &f.deploy,
        &[
            "ls-tree",
            "--name-only",
            "main",
            "clusters/east-nsw-newcastle-01/apps/",
        ],
    );
    assert_eq!(apps.trim(), "", "its Applications are removed");
    assert!(
        f.deployed("bootstrap/east-nsw-newcastle-01.yaml").is_some(),
        "its root stays"
    );
    let namespaces = git(
        &f.deploy,
        &[
            "ls-tree",
            "--name-only",
            "main",
            "namespaces/east-nsw-newcastle-01/",
        ],
    );
    assert!(!namespaces.trim().is_empty(), "its namespaces stay");
    let drained: Vec<Value> = log_lines(&f)
        .into_iter()
        .filter(|l| {
            l["kind"] == "event" && l["entry"] == 2 && l["cluster"] == "east-nsw-newcastle-01"
        })
        .collect();
    assert_eq!(drained.len(), 5, "{drained:?}");
    for ev in &drained {
        assert_eq!(ev["action"], "removed");
        assert!(
            ev["what"][0].as_str().unwrap().starts_with("drained"),
            "{ev}"
        );
    }

    // Now the file may go: nothing of the cluster's runs any more.
    std::fs::remove_file(f.inv.join(file)).unwrap();
    f.commit();
    assert!(f.deployed("bootstrap/east-nsw-newcastle-01.yaml").is_none());
    let fsck = std::process::Command::new("git")
        .args(["fsck", "--strict"])
        .current_dir(&f.deploy)
        .output()
        .unwrap();
    assert!(fsck.status.success());
}

#[test]
fn an_onboarding_cluster_gets_only_the_onboarding_policies_apps() {
    let f = Fleet::new();
    let file = "clusters/lab-sydney-01.yaml";
    f.write(
        file,
        &f.read(file)
            .replace("lifecycle: active", "lifecycle: onboarding"),
    );
    let out = f.root.join("out");
    let run = f.run(&["compile", "--out", out.to_str().unwrap()]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let apps: Vec<String> = std::fs::read_dir(out.join("clusters/lab-sydney-01/apps"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    // agents-everywhere says `onboarding: true`: node-exporter only.
    assert_eq!(apps, vec!["node-exporter.yaml"]);
    assert!(out.join("bootstrap/lab-sydney-01.yaml").is_file());
    let run = f.run(&["explain", "pos-api", "lab-sydney-01"]);
    assert!(
        run.stdout.contains("not placed: held: cluster `lab-sydney-01` is onboarding, and no policy placing the app says `onboarding: true` (placed by payments-"),
        "{}",
        run.stdout
    );
}

/// A deny window on the next ring keeps the rollout waiting, though the
/// gate is met, and says when it opens; the window is in that cluster's
/// AppProjects as Argo CD reads it (kind, schedule, duration, timeZone:
/// https://argo-cd.readthedocs.io/en/stable/user-guide/sync_windows/).
#[test]
fn a_deny_window_on_the_next_ring_makes_the_rollout_wait_for_it() {
    let f = Fleet::new();
    let west = "clusters/west.yaml";
    // west-wa-perth-01 (the early ring): no syncs 18:00-22:00 Perth time
    // (UTC+8, no DST), that is 10:00-14:00 UTC; NOW is 12:00 UTC.
    let text = f.read(west).replacen(
        "  ring: early         # rollouts reach it second\n",
        "  ring: early         # rollouts reach it second\nmaintenance:\n  - kind: deny\n    schedule: \"0 18 * * *\"\n    duration: 4h\n    timeZone: Australia/Perth\n",
        1,
    );
    f.write(west, &text);
    let out = f.root.join("out");
    let run = f.run(&["compile", "--out", out.to_str().unwrap()]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let window = "    - applications:\n        - '*'\n      duration: 4h\n      kind: deny\n      schedule: '0 18 * * *'\n      timeZone: Australia/Perth\n";
    let project = |name: &str| {
        std::fs::read_to_string(out.join(format!("clusters/west-wa-perth-01/projects/{name}.yaml")))
            .unwrap()
    };
    let platform = project("platform");
    assert!(
        platform.ends_with(&format!("  syncWindows:\n{window}")),
        "{platform}"
    );
    // The payments team's project has the cluster's window, then the team's.
    let payments = project("payments");
    assert!(
        payments.contains(&format!(
            "  syncWindows:\n{window}    - applications:\n        - 'pos-*'\n"
        )),
        "{payments}"
    );
    // The perth-02 projects carry no window of perth-01's.
    let other =
        std::fs::read_to_string(out.join("clusters/west-wa-perth-02/projects/platform.yaml"))
            .unwrap();
    assert!(!other.contains("syncWindows"), "{other}");

    let soaked = f.exports("soaked", |_, _| HEALTHY_LONG_AGO);
    let live = from(&soaked);
    let run = f.run(&args(&["rollout", "status", ROLLOUT], &live));
    assert_eq!(run.status, 2, "{}", run.stdout);
    assert!(
        run.stdout.contains("wait: the gate is met, but 1 pair of ring `early` may not sync now (west-wa-perth-01/node-exporter: deny `0 18 * * *` for 4h (Australia/Perth), of cluster `west-wa-perth-01`); the windows open at 2026-12-01T14:00:00Z (in 2h)"),
        "{}",
        run.stdout
    );
    // At 14:00 UTC the window has closed: promote.
    let later: Vec<String> = live
        .iter()
        .map(|a| {
            if a == NOW {
                "2026-12-01T14:00:00Z".to_string()
            } else {
                a.clone()
            }
        })
        .collect();
    let run = f.run(&args(
        &["rollout", "status", ROLLOUT, "--max-age", "3h"],
        &later,
    ));
    assert_eq!(run.status, 0, "{}", run.stdout);
    // explain shows the pair's window.
    let run = f.run(&["explain", "node-exporter", "west-wa-perth-01"]);
    assert!(
        run.stdout.contains("maintenance windows (AppProject syncWindows):\n  deny `0 18 * * *` for 4h (Australia/Perth), of cluster `west-wa-perth-01`"),
        "{}",
        run.stdout
    );
}

/// In hub mode one AppProject per team spans its clusters, so a cluster's
/// window written with no scope is rendered for that cluster only
/// (`clusters: [NAME]`); Argo CD matches a window's `clusters` against
/// the destination's server or name (types.go, `matchingWindows`).
#[test]
fn a_clusters_window_in_hub_mode_covers_that_cluster_only() {
    let tmp = tempfile::tempdir().unwrap();
    let inv = tmp.path().join("hub");
    copy_tree(&repo().join("fixtures/hub"), &inv);
    let file = inv.join("clusters/fleet.yaml");
    let text = std::fs::read_to_string(&file).unwrap().replacen(
        "metadata: {region: eu}\n",
        "metadata: {region: eu}\nmaintenance:\n  - {kind: deny, schedule: \"0 0 * * SAT\", duration: 48h}\n",
        1,
    );
    std::fs::write(&file, text).unwrap();
    let out = tmp.path().join("out");
    let run = fleetc(&inv, &["compile", "--out", out.to_str().unwrap()]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let project = std::fs::read_to_string(out.join("projects/web.yaml")).unwrap();
    assert!(
        project.ends_with(
            "  syncWindows:\n    - clusters:\n        - prod-eu-1\n      duration: 48h\n      kind: deny\n      schedule: '0 0 * * SAT'\n"
        ),
        "{project}"
    );
    // Only prod-eu-1's pair is covered (query's JSON lists each cell's).
    let run = fleetc(
        &inv,
        &[
            "query",
            "clusters",
            "--app",
            "storefront",
            "--format",
            "json",
        ],
    );
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let covered: Vec<(&str, usize)> = v["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let n = c["windows"].as_array().map_or(0, Vec::len);
            (c["cluster"].as_str().unwrap(), n)
        })
        .collect();
    assert_eq!(
        covered,
        [("prod-eu-1", 1), ("prod-us-1", 0), ("staging-eu-1", 0)]
    );
    // The report's hover text names it.
    let html = tmp.path().join("fleet.html");
    let run = fleetc(&inv, &["report", "--html", html.to_str().unwrap()]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(
        page.matches("sync window: deny `0 0 * * SAT` for 48h, of cluster `prod-eu-1`")
            .count(),
        1,
        "one distinct hover text names it"
    );
}
