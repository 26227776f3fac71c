//! `compile --repo --commit`, `diff`, `log` and `--check` end to end,
//! checked with the real git CLI as a user would.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::kill::Schedule;
use crate::support::{
    copy_tree, deploy_log, example_inventory_repo, fleetc, fleetc_env, git, repo, seed_deploy_repo,
    Run,
};

/// A deploy repo (bare, with a README and a file of someone else's on
/// `main`) and an inventory repo holding the example fleet.
struct Setup {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    deploy: PathBuf,
    inv: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let deploy = seed_deploy_repo(&root);
        let inv = example_inventory_repo(&root);
        Setup {
            _tmp: tmp,
            root,
            deploy,
            inv,
        }
    }

    fn deploy(&self) -> &str {
        self.deploy.to_str().unwrap()
    }

    fn commit(&self) -> Run {
        fleetc_env(
            &self.inv,
            &["compile", "--repo", self.deploy(), "--commit"],
            &[
                ("GIT_COMMITTER_NAME", "CI"),
                ("GIT_COMMITTER_EMAIL", "ci@example.com"),
            ],
        )
    }

    /// `fleetc compile --repo <deploy> --commit --allow-removals` from `inv`,
    /// for tests that start, race or kill it themselves.
    fn commit_command(&self, inv: &Path) -> Command {
        let mut cmd = Command::new(crate::support::bin());
        cmd.args([
            "compile",
            "--repo",
            self.deploy(),
            "--commit",
            "--allow-removals",
        ])
        .current_dir(inv);
        cmd
    }

    fn git(&self, args: &[&str]) -> String {
        git(&self.deploy, args)
    }

    fn count(&self) -> usize {
        self.git(&["rev-list", "--count", "main"])
            .trim()
            .parse()
            .unwrap()
    }

    fn fsck(&self) {
        let out = crate::support::fsck(&self.deploy);
        assert!(
            out.status.success(),
            "git fsck --strict: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("error") && !err.contains("warning"), "{err}");
    }

    /// Moves lab-sydney-01 from region east to south: app1 leaves it.
    fn move_lab_south(&self) {
        let file = self.inv.join("clusters/lab-sydney-01.yaml");
        let text = std::fs::read_to_string(&file)
            .unwrap()
            .replace("region: east", "region: south");
        std::fs::write(file, text).unwrap();
    }
}

#[test]
fn commit_keeps_other_files_writes_trailers_and_a_second_run_is_a_noop() {
    let s = Setup::new();
    let readme = s.git(&["rev-parse", "main:README.md"]);
    let runbook = s.git(&["rev-parse", "main:docs/runbook.md"]);
    let run = fleetc_env(
        &s.inv,
        &["compile", "--repo", s.deploy(), "--commit"],
        &[
            ("GIT_AUTHOR_NAME", "Deploy Bot"),
            ("GIT_AUTHOR_EMAIL", "bot@example.com"),
        ],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("committed")
            && run.stdout.contains("+28 ~0 -0 applications on 6 clusters"),
        "{}",
        run.stdout
    );
    s.fsck();
    assert_eq!(s.count(), 2);
    // Untouched paths stay byte-identical.
    assert_eq!(s.git(&["rev-parse", "main:README.md"]), readme);
    assert_eq!(s.git(&["rev-parse", "main:docs/runbook.md"]), runbook);
    // Subject, body, trailers, author.
    let msg = s.git(&["log", "-1", "--format=%s%n%b", "main"]);
    assert!(
        msg.starts_with("fleetc: +28 ~0 -0 applications on 6 clusters\n"),
        "{msg}"
    );
    assert!(
        msg.contains("east-qld-brisbane-01/pos-api (placed by payments-prod-edge)"),
        "{msg}"
    );
    let inv_head = git(&s.inv, &["rev-parse", "HEAD"]);
    let trailers = s.git(&["log", "-1", "--format=%(trailers)", "main"]);
    assert!(
        trailers.contains(&format!("Fleetc-Inventory-Revision: {}", inv_head.trim())),
        "{trailers}"
    );
    assert!(
        trailers.contains("Fleetc-Inventory-Dirty: false"),
        "{trailers}"
    );
    assert!(trailers.contains("Fleetc-Log-Entry: 1"), "{trailers}");
    assert_eq!(
        s.git(&["log", "-1", "--format=%an <%ae>", "main"]).trim(),
        "Deploy Bot <bot@example.com>"
    );
    // The tree holds what `compile --out` would write, plus the log.
    let files = s.git(&["ls-tree", "-r", "--name-only", "main"]);
    assert!(files
        .lines()
        .any(|l| l == "clusters/east-qld-brisbane-01/apps/pos-api.yaml"));
    assert!(files.lines().any(|l| l == "deployments/00000001.jsonl"));
    let golden = std::fs::read_to_string(
        repo().join("golden/example/clusters/east-qld-brisbane-01/apps/pos-api.yaml"),
    )
    .unwrap();
    assert_eq!(
        s.git(&[
            "show",
            "main:clusters/east-qld-brisbane-01/apps/pos-api.yaml"
        ]),
        golden
    );

    let again = s.commit();
    assert_eq!(again.status, 0, "{}", again.stderr);
    assert!(
        again.stdout.contains("nothing to commit"),
        "{}",
        again.stdout
    );
    assert_eq!(s.count(), 2, "a no-op compile made a commit");
}

#[test]
fn a_one_label_change_shows_alike_in_diff_commit_and_log() {
    let s = Setup::new();
    assert_eq!(s.commit().status, 0);
    s.move_lab_south();

    // Not a terminal: no colour codes, even without NO_COLOR.
    let plain = fleetc_env(&s.inv, &["diff", "--repo", s.deploy()], &[("NO_COLOR", "")]);
    assert!(!plain.stdout.contains('\x1b'), "{}", plain.stdout);
    let diff = fleetc(
        &s.inv,
        &[
            "diff",
            "--repo",
            s.deploy(),
            "--format",
            "json",
            "--exit-code",
        ],
    );
    assert_eq!(diff.status, 2, "{}", diff.stderr);
    let v: Value = serde_json::from_str(&diff.stdout).unwrap();
    assert_eq!(
        v["applications"],
        serde_json::json!({"added": 0, "changed": 3, "recreated": 0, "removed": 2})
    );
    let apps: Vec<(String, String, Value)> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "Application" && c["app"].is_string())
        .map(|c| {
            (
                c["action"].as_str().unwrap().to_string(),
                format!(
                    "{}/{}",
                    c["cluster"].as_str().unwrap(),
                    c["app"].as_str().unwrap()
                ),
                c["what"].clone(),
            )
        })
        .collect();
    assert_eq!(
        apps,
        vec![
            (
                "removed".into(),
                "lab-sydney-01/app1".into(),
                serde_json::json!([])
            ),
            (
                "changed".into(),
                "lab-sydney-01/log-shipper".into(),
                serde_json::json!(["placement"])
            ),
            (
                "changed".into(),
                "lab-sydney-01/node-exporter".into(),
                serde_json::json!(["placement"])
            ),
            (
                "changed".into(),
                "lab-sydney-01/pos-api".into(),
                serde_json::json!(["values"])
            ),
            (
                "removed".into(),
                "lab-sydney-01/storefront".into(),
                serde_json::json!([])
            ),
        ]
    );

    let run = s.commit();
    assert_eq!(run.status, 0, "{}", run.stderr);
    s.fsck();
    let changed = s.git(&["diff", "--name-status", "main~1", "main"]);
    let mut lines: Vec<&str> = changed.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "A\tdeployments/00000002.jsonl",
            "D\tclusters/lab-sydney-01/apps/app1.yaml",
            "D\tclusters/lab-sydney-01/apps/storefront.yaml",
            "D\tclusters/lab-sydney-01/projects/ieb.yaml",
            "D\tnamespaces/lab-sydney-01/ieb.yaml",
            // fleetc's lists of its files: only the changed cluster's.
            "M\t.fleetc/COMPILED",
            "M\t.fleetc/manifests/clusters/lab-sydney-01/MANIFEST",
            "M\t.fleetc/manifests/namespaces/lab-sydney-01/MANIFEST",
            "M\t.fleetc/renders/bootstrap/RENDERS",
            "M\t.fleetc/renders/clusters/lab-sydney-01/RENDERS",
            "M\t.fleetc/renders/namespaces/lab-sydney-01/RENDERS",
            "M\tclusters/lab-sydney-01/apps/log-shipper.yaml",
            "M\tclusters/lab-sydney-01/apps/node-exporter.yaml",
            "M\tclusters/lab-sydney-01/apps/pos-api.yaml",
            "M\tclusters/lab-sydney-01/platform/project.yaml",
        ]
    );
    let msg = s.git(&["log", "-1", "--format=%B", "main"]);
    assert!(
        msg.starts_with("fleetc: +0 ~3 -2 applications on 1 cluster\n"),
        "{msg}"
    );
    assert!(
        msg.contains("removed:\n") && msg.contains("  lab-sydney-01/app1\n"),
        "{msg}"
    );
    assert!(msg.contains("Fleetc-Inventory-Dirty: true"), "{msg}");

    // The log: app1 reached lab-sydney-01 in entry 1 and left in entry 2.
    let log = fleetc(
        &s.inv,
        &[
            "log",
            "--repo",
            s.deploy(),
            "--app",
            "app1",
            "--cluster",
            "lab-sydney-01",
            "--format",
            "json",
            "--oldest-first",
        ],
    );
    assert_eq!(log.status, 0, "{}", log.stderr);
    let v: Value = serde_json::from_str(&log.stdout).unwrap();
    let entries = v.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["events"][0]["action"], "added");
    assert_eq!(
        entries[0]["events"][0]["policies"],
        serde_json::json!(["app1_to_east"])
    );
    assert_eq!(entries[1]["events"][0]["action"], "removed");
    assert_eq!(
        entries[1]["events"][0]["what"],
        serde_json::json!(["no policy places it any more"])
    );
    // Each entry names its own commit and the one it was built on.
    assert_eq!(
        entries[1]["commit"].as_str().unwrap(),
        s.git(&["rev-parse", "main"]).trim()
    );
    assert_eq!(
        entries[1]["entry"]["parent"].as_str().unwrap(),
        s.git(&["rev-parse", "main~1"]).trim()
    );
    let text = fleetc(&s.inv, &["log", "--repo", s.deploy(), "--app", "app1"]);
    let first = text.stdout.lines().next().unwrap();
    assert!(
        first.contains("entry 2"),
        "newest first by default: {}",
        text.stdout
    );
    // --since filters entries by time.
    let all = fleetc(
        &s.inv,
        &["log", "--repo", s.deploy(), "--since", "2000-01-01"],
    );
    assert_eq!(all.stdout.matches("  entry ").count(), 2, "{}", all.stdout);
    let none = fleetc(
        &s.inv,
        &[
            "log",
            "--repo",
            s.deploy(),
            "--since",
            "2999-01-01T00:00:00Z",
        ],
    );
    assert!(
        none.stdout.contains("no matching deployments"),
        "{}",
        none.stdout
    );
    let bad = fleetc(
        &s.inv,
        &["log", "--repo", s.deploy(), "--since", "last tuesday"],
    );
    assert_eq!(bad.status, 1);
    assert!(bad.stderr.contains("write a date"), "{}", bad.stderr);
    // The log only grows: the old one is a prefix of the new one.
    let old = deploy_log(&s.deploy, "main~1");
    assert!(deploy_log(&s.deploy, "main").starts_with(&old));
}

#[test]
fn the_removal_guard_refuses_mass_removals_unless_allowed() {
    let s = Setup::new();
    assert_eq!(s.commit().status, 0);
    // The agents leave the inventory, so every cluster: 12 of 28 Applications.
    std::fs::remove_file(s.inv.join("apps/agents.yaml")).unwrap();
    let diff = fleetc(&s.inv, &["diff", "--repo", s.deploy()]);
    assert!(diff.stdout.contains("would refuse it"), "{}", diff.stdout);
    let run = s.commit();
    assert_eq!(run.status, 1);
    assert!(
        run.stderr
            .contains("would remove 12 of 28 Applications (43%)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("lab-sydney-01/log-shipper"),
        "{}",
        run.stderr
    );
    assert_eq!(s.count(), 2, "a refused compile committed");
    let allowed = fleetc(
        &s.inv,
        &[
            "compile",
            "--repo",
            s.deploy(),
            "--commit",
            "--allow-removals",
        ],
    );
    assert_eq!(allowed.status, 0, "{}", allowed.stderr);
    assert_eq!(s.count(), 3);

    // An empty result over a non-empty tree, even a small one.
    for f in std::fs::read_dir(s.inv.join("policies")).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    let run = s.commit();
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("would remove all 16 Applications"),
        "{}",
        run.stderr
    );
}

#[test]
fn compile_check_exits_2_when_the_tree_is_stale() {
    let s = Setup::new();
    let out = s.root.join("rendered");
    let o = out.to_str().unwrap();
    assert_eq!(fleetc(&s.inv, &["compile", "--out", o]).status, 0);
    assert_eq!(s.commit().status, 0);
    for target in [["--out", o], ["--repo", s.deploy()]] {
        let ok = fleetc(&s.inv, &["compile", "--check", target[0], target[1]]);
        assert_eq!(ok.status, 0, "{}", ok.stdout);
        assert!(ok.stdout.contains("up to date"));
    }
    s.move_lab_south();
    for target in [["--out", o], ["--repo", s.deploy()]] {
        let stale = fleetc(&s.inv, &["compile", "--check", target[0], target[1]]);
        assert_eq!(stale.status, 2, "{} {}", stale.stdout, stale.stderr);
        assert!(
            stale
                .stdout
                .contains("removed clusters/lab-sydney-01/apps/app1.yaml"),
            "{}",
            stale.stdout
        );
        assert!(
            stale
                .stdout
                .contains("changed clusters/lab-sydney-01/apps/pos-api.yaml"),
            "{}",
            stale.stdout
        );
    }
    assert_eq!(s.count(), 2, "--check committed");
}

/// "timing: reused A of B Applications …" from FLEETC_TIMINGS: (A, B).
fn reused_apps(stderr: &str) -> (usize, usize) {
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("timing: reused "))
        .unwrap_or_else(|| panic!("no reuse line: {stderr}"));
    let n: Vec<usize> = line.split(' ').filter_map(|w| w.parse().ok()).collect();
    (n[0], n[1])
}

#[test]
fn diff_against_another_inventory_revision_needs_no_deploy_repo() {
    let s = Setup::new();
    s.move_lab_south();
    git(&s.inv, &["commit", "-qam", "lab moves south"]);
    let run = fleetc(&s.inv, &["diff", "--base", "HEAD~1", "--exit-code"]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(
        run.stdout.contains("+0 ~3 -2 applications on 1 cluster"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("-            REGION: east\n+            REGION: south"),
        "{}",
        run.stdout
    );
    // The base revision's renders are saved in the inventory repo's git
    // folder: the next diff against it says the same, rendering less; a
    // saved file that is damaged is not used, and changes nothing either.
    let timed = || {
        let args = ["diff", "--base", "HEAD~1", "--exit-code"];
        fleetc_env(&s.inv, &args, &[("FLEETC_TIMINGS", "1")])
    };
    let saved = "timing: renders of the base revision saved by an earlier diff";
    let again = timed();
    assert_eq!(again.stdout, run.stdout);
    assert!(again.stderr.contains(saved), "{}", again.stderr);
    let (kept, all) = reused_apps(&again.stderr);
    assert!(kept > 0 && kept < all, "reused {kept} of {all}");
    let dir = s.inv.join(".git/fleetc-base");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replacen("fleetc renders 1", "fleetc renders 2", 1),
    )
    .unwrap();
    let damaged = timed();
    assert_eq!(damaged.stdout, run.stdout);
    assert!(!damaged.stderr.contains(saved), "{}", damaged.stderr);
    assert!(timed().stderr.contains(saved), "saved again");

    let same = fleetc(&s.inv, &["diff", "--base", "HEAD", "--exit-code"]);
    assert_eq!(same.status, 0, "{}", same.stdout);
    assert!(same.stdout.contains("no changes"));

    let md = fleetc(
        &s.inv,
        &["diff", "--base", "HEAD~1", "--format", "markdown"],
    );
    for row in [
        "| lab-sydney-01 | 5 |",
        "| removed: no policy places it any more | 2 |",
        "| other manifests (AppProjects, namespaces, roots) | 3 |",
        "<details><summary><b>removed</b> `app1` on `lab-sydney-01` Application (no policy places it any more)",
    ] {
        assert!(md.stdout.contains(row), "{row}: {}", md.stdout);
    }
    assert!(md.stdout.contains("```diff\n"), "{}", md.stdout);
    let capped = |bytes: &str| {
        let args = [
            "diff",
            "--base",
            "HEAD~1",
            "--format",
            "markdown",
            "--max-bytes",
            bytes,
        ];
        fleetc(&s.inv, &args)
    };
    let short = capped("2048");
    assert!(short.stdout.len() <= 2048, "{}", short.stdout.len());
    assert!(short.stdout.contains("truncated"), "{}", short.stdout);
    // Less than room for the summary and one change is refused, rather
    // than quietly written larger than asked (it once had a silent floor).
    let tiny = capped("1500");
    assert_eq!(tiny.status, 1, "{}", tiny.stderr);
    assert!(
        tiny.stderr.contains("at least 2048 bytes"),
        "{}",
        tiny.stderr
    );
}

#[test]
fn a_new_branch_in_an_empty_repo() {
    let s = Setup::new();
    let empty = s.root.join("empty.git");
    git(&s.root, &["init", "-q", "--bare", empty.to_str().unwrap()]);
    let run = fleetc(
        &s.inv,
        &[
            "compile",
            "--repo",
            empty.to_str().unwrap(),
            "--branch",
            "fleet/prod",
            "--commit",
        ],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        git(&empty, &["rev-list", "--count", "fleet/prod"]).trim(),
        "1"
    );
    assert!(git(&empty, &["ls-tree", "--name-only", "fleet/prod"]).contains("clusters"));
    // A new branch in a repo with history starts where HEAD is, like `git branch`.
    let run = fleetc(
        &s.inv,
        &[
            "compile",
            "--repo",
            s.deploy(),
            "--branch",
            "staging",
            "--commit",
        ],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        s.git(&["rev-parse", "staging~1"]),
        s.git(&["rev-parse", "main"])
    );
    assert_eq!(
        s.git(&["show", "staging:README.md"]),
        "The fleet's deploy repo.\n"
    );
}

/// The branch moved between reading it and committing: compare-and-swap
/// refuses, nothing changes, and a retry succeeds.
#[test]
fn a_branch_that_moved_meanwhile_is_not_overwritten() {
    let s = Setup::new();
    let mut c = fleetc::compile(&s.inv).unwrap();
    let deploy = fleetc::DeployRepo::open(&s.deploy, Some("main")).unwrap();
    let snapshot = deploy.snapshot("").unwrap();
    // Someone else commits meanwhile.
    let other = s.root.join("other");
    git(
        &s.root,
        &["clone", "-q", s.deploy(), other.to_str().unwrap()],
    );
    std::fs::write(other.join("README.md"), "changed meanwhile\n").unwrap();
    git(&other, &["commit", "-qam", "meanwhile"]);
    git(&other, &["push", "-q", "origin", "HEAD:main"]);
    let moved = s.git(&["rev-parse", "main"]);

    let tree = c.take_tree();
    let writes: std::collections::BTreeMap<String, Option<&[u8]>> = tree
        .files
        .iter()
        .map(|(p, b)| (p.clone(), Some(b.as_slice())))
        .collect();
    let err = deploy
        .commit(&snapshot, "", &writes, "fleetc: test")
        .unwrap_err();
    assert!(
        err.to_string().contains("moved while fleetc was compiling"),
        "{err}"
    );
    assert_eq!(s.git(&["rev-parse", "main"]), moved, "the branch changed");
    // A retry reads the new tip and succeeds, keeping the other commit.
    assert_eq!(s.commit().status, 0);
    assert_eq!(s.git(&["rev-parse", "main~1"]), moved);
    s.fsck();
}

/// Two compiles race on one repo, round after round: each round one or
/// both commit (never over each other), a loser fails cleanly and its retry
/// succeeds, and the log has every event exactly once.
#[test]
fn racing_compiles_never_lose_or_repeat_an_entry() {
    let s = Setup::new();
    assert_eq!(s.commit().status, 0);
    let other = s.root.join("inventory-b");
    copy_tree(&s.inv, &other);
    std::fs::remove_file(other.join("policies/ml.yaml")).unwrap(); // inference leaves 2 clusters
    let spawn = |inv: &Path| {
        s.commit_command(inv)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let lab = std::fs::read_to_string(s.inv.join("clusters/lab-sydney-01.yaml")).unwrap();
    let mut lost = 0;
    for round in 0..6 {
        // Both racers have something to commit, and not the same thing.
        for (inv, who) in [(&s.inv, "a"), (&other, "b")] {
            let text = format!("{lab}values:\n  round: {who}{round}\n");
            std::fs::write(inv.join("clusters/lab-sydney-01.yaml"), text).unwrap();
        }
        let (a, b) = (spawn(&s.inv), spawn(&other));
        for (child, inv) in [(a, &s.inv), (b, &other)] {
            let out = child.wait_with_output().unwrap();
            if !out.status.success() {
                let err = String::from_utf8_lossy(&out.stderr);
                assert!(
                    err.contains("moved while fleetc was compiling") || err.contains("is locked"),
                    "{err}"
                );
                lost += 1;
                let retry = fleetc(
                    inv,
                    &[
                        "compile",
                        "--repo",
                        s.deploy(),
                        "--commit",
                        "--allow-removals",
                    ],
                );
                assert_eq!(retry.status, 0, "{}", retry.stderr);
            }
        }
    }
    println!("racing compiles: {lost} of 12 lost a race and succeeded on retry");
    assert!(lost > 0, "the compiles never raced");
    s.fsck();
    // Every commit on the branch carries the next log entry, once.
    let log = deploy_log(&s.deploy, "main");
    let entries: Vec<u64> = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["kind"] == "compile")
        .map(|v| v["entry"].as_u64().unwrap())
        .collect();
    let commits = s.count() - 1; // the seed commit has no entry
    assert_eq!(entries, (1..=commits as u64).collect::<Vec<_>>());
    let events: Vec<String> = log
        .lines()
        .filter(|l| l.contains("\"kind\":\"event\""))
        .map(str::to_string)
        .collect();
    let unique: std::collections::BTreeSet<&String> = events.iter().collect();
    assert_eq!(unique.len(), events.len(), "an event was logged twice");
}

/// SIGKILL at random moments of a commit: the branch is at the old commit
/// or the new one, and the repository stays fsck-clean.
#[test]
fn a_killed_commit_leaves_the_branch_at_the_old_or_the_new_commit() {
    let s = Setup::new();
    let other = s.root.join("inventory-b");
    copy_tree(&s.inv, &other);
    std::fs::remove_file(other.join("policies/ml.yaml")).unwrap();
    let mut when = Schedule::new(0x9e37_79b9_7f4a_7c15);
    assert_eq!(when.timed(|| s.commit()).status, 0);
    let (mut moved, mut kept) = (0, 0);
    // Each round commits the inventory the branch does not hold: a round
    // on the one it holds is a no-op, over in a moment, and would shorten
    // the kill schedule until no commit could finish.
    let mut holds_other = false;
    for _ in 0..30 {
        let before = s.git(&["rev-parse", "main"]);
        let inv = if holds_other { &s.inv } else { &other };
        let (ended, _) = when.kill(s.commit_command(inv));
        ended.killed();
        // A lock left by a kill during the ref update is reported, not ignored.
        let lock = s.deploy.join("refs/heads/main.lock");
        if lock.exists() {
            let run = fleetc(
                inv,
                &[
                    "compile",
                    "--repo",
                    s.deploy(),
                    "--commit",
                    "--allow-removals",
                ],
            );
            assert_eq!(run.status, 1);
            assert!(run.stderr.contains("main.lock"), "{}", run.stderr);
            std::fs::remove_file(&lock).unwrap();
        }
        let after = s.git(&["rev-parse", "main"]);
        if after == before {
            kept += 1;
        } else {
            moved += 1;
            holds_other = !holds_other;
            assert_eq!(
                s.git(&["rev-parse", "main~1"]),
                before,
                "the branch moved somewhere unexpected"
            );
            // A commit that landed is whole: the tree is exactly what this inventory renders.
            let check = fleetc(inv, &["compile", "--check", "--repo", s.deploy()]);
            assert_eq!(check.status, 0, "{}", check.stdout);
        }
        s.fsck();
    }
    println!("killed commits: branch moved {moved} times, kept {kept} times");
    assert!(kept > 0, "the kills never stopped a commit");
    assert!(moved > 0, "no commit ever finished");
}

/// A new name is a new Application for Argo CD: the old one is deleted
/// (with its live resources, through the resources finalizer) and the new
/// one created. diff, the log and the commit say so, and the removal guard
/// counts it.
#[test]
fn renamed_applications_are_recreations_everywhere() {
    let s = Setup::new();
    assert_eq!(s.commit().status, 0);
    let settings = s.inv.join("fleetc.yaml");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(
        &settings,
        format!("{text}application_name: \"{{{{ cluster.name }}}}-{{{{ app.name }}}}\"\n"),
    )
    .unwrap();

    let diff = fleetc(&s.inv, &["diff", "--repo", s.deploy()]);
    assert!(
        diff.stdout.contains(
            "  ! pos-api  [payments-prod-edge]\n      recreated: pos-api-bne01 → east-qld-brisbane-01-pos-api: Argo CD deletes the old Application and its live resources, then creates them again\n"
        ),
        "{}",
        diff.stdout
    );
    assert!(
        diff.stdout
            .contains("+0 ~0 -0 applications, 28 recreated, on 6 clusters"),
        "{}",
        diff.stdout
    );
    assert!(diff.stdout.contains("would refuse it"), "{}", diff.stdout);
    let json = fleetc(&s.inv, &["diff", "--repo", s.deploy(), "--format", "json"]);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        v["applications"],
        serde_json::json!({"added": 0, "changed": 0, "recreated": 28, "removed": 0})
    );
    let item = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["app"] == "pos-api" && i["cluster"] == "east-qld-brisbane-01")
        .unwrap();
    assert_eq!(item["action"], "recreated");
    assert_eq!(item["old_name"], "pos-api-bne01");
    assert_eq!(item["name"], "east-qld-brisbane-01-pos-api");
    assert_eq!(item["cascade"], true);
    let md = fleetc(
        &s.inv,
        &["diff", "--repo", s.deploy(), "--format", "markdown"],
    );
    assert!(
        md.stdout.contains("| east-qld-brisbane-01 | 7 |")
            && md.stdout.contains("| recreated | 28 |"),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout.contains("<b>recreated</b> `pos-api` on `east-qld-brisbane-01` Application: pos-api-bne01 → east-qld-brisbane-01-pos-api: Argo CD deletes the old Application and its live resources"),
        "{}",
        md.stdout
    );

    // The guard counts them as removals.
    let refused = s.commit();
    assert_eq!(refused.status, 1);
    assert!(
        refused.stderr.contains(
            "would remove 28 of 28 Applications (28 of them recreated under a new name: deleted, then created again) (100%)"
        ),
        "{}",
        refused.stderr
    );
    assert_eq!(s.count(), 2);
    let mut cmd = s.commit_command(&s.inv);
    assert!(cmd.output().unwrap().status.success());
    s.fsck();
    let msg = s.git(&["log", "-1", "--format=%B", "main"]);
    assert!(
        msg.starts_with("fleetc: +0 ~0 -0 applications, 28 recreated, on 6 clusters\n"),
        "{msg}"
    );
    assert!(
        msg.contains("recreated:\n  east-nsw-newcastle-01/app1 (app1-cluster1 → east-nsw-newcastle-01-app1: Argo CD deletes"),
        "{msg}"
    );
    let log = fleetc(
        &s.inv,
        &[
            "log",
            "--repo",
            s.deploy(),
            "--app",
            "pos-api",
            "--cluster",
            "west-wa-perth-01",
        ],
    );
    assert!(
        log.stdout.contains("    recreated pos-api on west-wa-perth-01: v2.14.0  recreated: pos-api-per01 → west-wa-perth-01-pos-api: Argo CD deletes the old Application and its live resources, then creates them again"),
        "{}",
        log.stdout
    );
    let log = fleetc(&s.inv, &["log", "--repo", s.deploy(), "--format", "json"]);
    let entries: Value = serde_json::from_str(&log.stdout).unwrap();
    assert_eq!(entries[0]["entry"]["recreated"], 28);
    let event = &entries[0]["events"][0];
    assert_eq!(event["action"], "recreated");
    assert_eq!(event["old_application"], "app1-cluster1");

    // Without the resources finalizer, the old Application goes alone and
    // the new one takes its resources over.
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(&settings, format!("{text}cascade_delete: false\n")).unwrap();
    assert_eq!(s.commit().status, 0);
    let tree = s.git(&[
        "show",
        "main:clusters/east-qld-brisbane-01/apps/pos-api.yaml",
    ]);
    assert!(!tree.contains("finalizers"), "{tree}");
    let cluster = s.inv.join("clusters/east-qld-brisbane-01.yaml");
    let text = std::fs::read_to_string(&cluster).unwrap();
    std::fs::write(
        &cluster,
        text.replace("shortName: bne01", "shortName: bne02"),
    )
    .unwrap();
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(
        &settings,
        text.replace(
            "{{ cluster.name }}-{{ app.name }}",
            "{{ app.name }}-{{ cluster.shortName }}",
        ),
    )
    .unwrap();
    let diff = fleetc(&s.inv, &["diff", "--repo", s.deploy()]);
    assert!(
        diff.stdout.contains("recreated: east-qld-brisbane-01-pos-api → pos-api-bne02: Argo CD deletes the old Application without its resources (no resources finalizer); the new one takes them over"),
        "{}",
        diff.stdout
    );
}

/// A cluster that runs nothing keeps its bootstrap file and a folder with a
/// manifest in it, so its root Application prunes what left instead of
/// failing on a missing path; a cluster taken out of the inventory leaves
/// no file behind.
#[test]
fn an_emptied_cluster_keeps_its_root_and_a_removed_one_leaves_nothing() {
    let s = Setup::new();
    assert_eq!(s.commit().status, 0);
    std::fs::write(
        s.inv.join("policies/freeze-lab.yaml"),
        "name: freeze-lab\nexclude: true\napp_selector: {}\nclusters: [lab-sydney-01]\n",
    )
    .unwrap();
    let run = s.commit();
    assert_eq!(run.status, 0, "{}", run.stderr);
    s.fsck();
    let files = s.git(&["ls-tree", "-r", "--name-only", "main"]);
    let lab: Vec<&str> = files
        .lines()
        .filter(|p| p.contains("lab-sydney-01"))
        .collect();
    assert_eq!(
        lab,
        [
            ".fleetc/manifests/clusters/lab-sydney-01/MANIFEST",
            ".fleetc/renders/clusters/lab-sydney-01/RENDERS",
            "bootstrap/lab-sydney-01.yaml",
            "clusters/lab-sydney-01/platform/project.yaml"
        ]
    );
    let root = s.git(&["show", "main:bootstrap/lab-sydney-01.yaml"]);
    assert!(
        root.contains("    path: clusters/lab-sydney-01\n"),
        "{root}"
    );
    let project = s.git(&["show", "main:clusters/lab-sydney-01/platform/project.yaml"]);
    assert!(project.contains("  destinations: []\n"), "{project}");
    assert!(
        project.contains("  clusterResourceWhitelist: []\n"),
        "{project}"
    );
    // The log says why each left.
    let log = fleetc(
        &s.inv,
        &["log", "--repo", s.deploy(), "--cluster", "lab-sydney-01"],
    );
    assert!(
        log.stdout
            .contains("removed   pos-api on lab-sydney-01: v2.15.0-rc.1  excluded by freeze-lab"),
        "{}",
        log.stdout
    );

    // Offboarded: out of the inventory, out of the deploy repo.
    std::fs::remove_file(s.inv.join("clusters/lab-sydney-01.yaml")).unwrap();
    std::fs::remove_file(s.inv.join("policies/freeze-lab.yaml")).unwrap();
    let text = std::fs::read_to_string(s.inv.join("policies/payments.yaml")).unwrap();
    std::fs::write(
        s.inv.join("policies/payments.yaml"),
        text.replace(
            "clusters: [west-wa-perth-02, lab-sydney-01]",
            "clusters: [west-wa-perth-02]",
        ),
    )
    .unwrap();
    let run = s.commit();
    assert_eq!(run.status, 0, "{}", run.stderr);
    let files = s.git(&["ls-tree", "-r", "--name-only", "main"]);
    assert!(!files.contains("lab-sydney-01"), "{files}");
    s.fsck();
}

/// `git count-objects -v` as (loose objects, packs).
fn objects(deploy: &Path) -> (u64, u64) {
    let out = git(deploy, &["count-objects", "-v"]);
    let field = |name: &str| -> u64 {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    (field("count"), field("packs"))
}

/// A commit of many files writes one pack, not a loose object per file (a
/// clone, `git gc` and every Argo CD repo server would read 150k files at
/// fleet scale); a commit of a few files stays loose, as git keeps a small
/// fetch. Either way the repository is fsck-clean and git reads the tree
/// fleetc rendered.
#[test]
fn a_large_commit_is_one_pack_and_a_small_one_stays_loose() {
    let tmp = tempfile::tempdir().unwrap();
    let deploy = seed_deploy_repo(tmp.path());
    let d = deploy.to_str().unwrap();
    let inv = tmp.path().join("fleet");
    crate::faults::write_fleet(&inv, 20, 1);
    let (loose_before, packs_before) = objects(&deploy);
    // fsck-clean, and the branch holds exactly what the inventory renders.
    let whole = || {
        let fsck = crate::support::fsck(&deploy);
        let err = String::from_utf8_lossy(&fsck.stderr);
        assert!(fsck.status.success(), "{err}");
        let check = fleetc(&inv, &["compile", "--check", "--repo", d]);
        assert_eq!(check.status, 0, "{}", check.stdout);
    };

    let first = fleetc(&inv, &["compile", "--repo", d, "--commit"]);
    assert_eq!(first.status, 0, "{}", first.stderr);
    let (loose, packs) = objects(&deploy);
    assert_eq!(loose, loose_before, "the large commit left loose objects");
    assert_eq!(packs, packs_before + 1);
    whole();
    let files = git(&deploy, &["ls-tree", "-r", "--name-only", "main"]);
    assert!(files.lines().count() > 260, "{files}");

    // One app's new version: a file per cluster, written loose.
    let app = inv.join("apps/shop/checkout.yaml");
    let text = std::fs::read_to_string(&app).unwrap();
    let moved = text.replace("repo_branch: v1.0.0", "repo_branch: v1.0.1");
    assert_ne!(moved, text);
    std::fs::write(&app, moved).unwrap();
    let second = fleetc(&inv, &["compile", "--repo", d, "--commit"]);
    assert_eq!(second.status, 0, "{}", second.stderr);
    let (loose_after, packs_after) = objects(&deploy);
    assert!(loose_after > loose, "a small commit is written loose");
    assert_eq!(packs_after, packs);
    whole();
}

/// The log is one file per entry and fleetc's list of its files one per
/// group, so a commit writes files in proportion to its change. A branch
/// that still has the single `deployments.jsonl` and `.fleetc-manifest` of
/// earlier fleetc is read as it is, and the next commit splits them (the
/// log's entries line for line), removes them, and says so in its entry.
#[test]
fn an_old_single_file_log_and_manifest_are_split_by_the_next_commit() {
    let s = Setup::new();
    assert_eq!(s.commit().status, 0);
    // The branch as earlier fleetc left it: the same entry, in one file.
    let work = s.root.join("old-layout");
    git(
        &s.root,
        &["clone", "-q", s.deploy(), work.to_str().unwrap()],
    );
    let entry = std::fs::read_to_string(work.join("deployments/00000001.jsonl")).unwrap();
    std::fs::write(work.join("deployments.jsonl"), &entry).unwrap();
    git(&work, &["rm", "-rq", "deployments"]);
    // And one list of fleetc's files, at the top.
    let lists = git(&work, &["ls-files", ".fleetc/manifests"]);
    let manifest: String = lists
        .lines()
        .map(|l| std::fs::read_to_string(work.join(l)).unwrap())
        .collect();
    let mut sorted: Vec<&str> = manifest.lines().collect();
    sorted.sort_by_key(|l| l.split_once("  ").map(|(_, p)| p.to_string()));
    std::fs::write(work.join(".fleetc-manifest"), sorted.join("\n") + "\n").unwrap();
    git(&work, &["rm", "-rq", ".fleetc"]);
    git(&work, &["add", "deployments.jsonl", ".fleetc-manifest"]);
    git(&work, &["commit", "-qm", "the log as fleetc 0.1 kept it"]);
    git(&work, &["push", "-q", "origin", "HEAD:main"]);
    let before = fleetc(&s.inv, &["log", "--repo", s.deploy()]);
    assert_eq!(before.status, 0, "{}", before.stderr);
    assert!(before.stdout.contains("entry 1"), "{}", before.stdout);

    let settings = s.inv.join("fleetc.yaml");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(
        &settings,
        format!("{text}\nremoval_guard: {{max_share: 1.0}}\n"),
    )
    .unwrap();
    std::fs::remove_file(s.inv.join("policies/ml.yaml")).unwrap();
    let run = s.commit();
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains("log entry 2"), "{}", run.stdout);
    let files = s.git(&[
        "ls-tree",
        "-r",
        "--name-only",
        "main",
        "--",
        "deployments.jsonl",
        "deployments/",
    ]);
    assert_eq!(
        files.lines().collect::<Vec<_>>(),
        ["deployments/00000001.jsonl", "deployments/00000002.jsonl"]
    );
    assert_eq!(s.git(&["show", "main:deployments/00000001.jsonl"]), entry);
    // The old list was read (the ml Applications it names are gone) and
    // replaced by the lists per group.
    let all = s.git(&["ls-tree", "-r", "--name-only", "main"]);
    assert!(!all.lines().any(|l| l == ".fleetc-manifest"), "{all}");
    assert!(!all.contains("/apps/inference.yaml"), "{all}");
    assert!(
        all.lines()
            .any(|l| l.starts_with(".fleetc/manifests/clusters/")),
        "{all}"
    );
    let check = fleetc(&s.inv, &["compile", "--check", "--repo", s.deploy()]);
    assert_eq!(check.status, 0, "{}", check.stdout);
    let second = s.git(&["show", "main:deployments/00000002.jsonl"]);
    let head: Value = serde_json::from_str(second.lines().next().unwrap()).unwrap();
    assert_eq!(head["entry"], 2);
    assert!(
        head["note"]
            .as_str()
            .unwrap_or("")
            .contains("moved from deployments.jsonl"),
        "{head}"
    );
    let after = fleetc(&s.inv, &["log", "--repo", s.deploy(), "--oldest-first"]);
    assert_eq!(after.status, 0, "{}", after.stderr);
    let order: Vec<&str> = after
        .stdout
        .lines()
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split("  ").nth(1))
        .collect();
    assert_eq!(order, ["entry 1", "entry 2"], "{}", after.stdout);
    s.fsck();
}

/// The records fleetc keeps in the deploy branch (`.fleetc/renders/`,
/// `.fleetc/COMPILED`) make a fresh clone as fast as the machine that
/// committed, and change nothing but time: a commit (and a `diff --repo`)
/// on a clone, and with the records edited by hand, cut short, deleted or
/// taken from another branch, gives the same files, blob for blob, as a
/// compile that renders everything.
#[test]
fn the_branch_records_travel_with_a_clone_and_change_nothing_but_time() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let origin = seed_deploy_repo(root);
    let inv = [root.join("v1"), root.join("v2")];
    crate::faults::write_fleet(&inv[0], 20, 1);
    crate::faults::write_fleet(&inv[1], 20, 2);
    let run = |v: usize, args: &[&str]| {
        let run = fleetc_env(&inv[v], args, &[("FLEETC_TIMINGS", "1")]);
        assert_eq!(run.status, 0, "{}", run.stderr);
        run
    };
    let commit = |v: usize, repo: &Path| {
        run(
            v,
            &["compile", "--repo", repo.to_str().unwrap(), "--commit"],
        )
    };
    let diff = |v: usize, repo: &Path| run(v, &["diff", "--repo", repo.to_str().unwrap()]);
    // What the compile reused, from FLEETC_TIMINGS: Applications and
    // clusters' own files, each as (reused, of all), summed.
    let reused = |stderr: &str| -> (usize, usize) {
        let line = stderr
            .lines()
            .find_map(|l| l.strip_prefix("timing: reused "))
            .unwrap_or_else(|| panic!("no reuse line: {stderr}"));
        // "A of B Applications and the own files of C of D clusters"
        let n: Vec<usize> = line.split(' ').filter_map(|w| w.parse().ok()).collect();
        (n[0] + n[2], n[1] + n[3])
    };
    let same = "timing: the inventory is the one the branch was last compiled from";
    // The branch's files with their blob ids, the log aside (it has times).
    let files = |repo: &Path| -> String {
        git(repo, &["ls-tree", "-r", "main"])
            .lines()
            .filter(|l| !l.contains("\tdeployments/"))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let clone = |from: &Path, name: &str| -> PathBuf {
        let to = root.join(name);
        let _ = std::fs::remove_dir_all(&to);
        let args = [
            "clone",
            "-q",
            "--no-local",
            from.to_str().unwrap(),
            to.to_str().unwrap(),
        ];
        git(root, &args);
        to
    };
    // A change made by hand on a clone's branch, pushed to `repo`.
    let by_hand = |repo: &Path, edit: &dyn Fn(&Path)| {
        let hand = clone(repo, "by-hand");
        edit(&hand);
        git(&hand, &["add", "-A"]);
        git(&hand, &["commit", "-qm", "by hand"]);
        git(&hand, &["push", "-q", "origin", "HEAD:main"]);
    };
    // The reference: a compile with no records at all renders everything.
    let cold = |v: usize| -> String {
        let repo = clone(&origin, "cold");
        git(&repo, &["rm", "-rq", ".fleetc/renders", ".fleetc/COMPILED"]);
        git(&repo, &["commit", "-qm", "no records"]);
        let (kept, _) = reused(&commit(v, &repo).stderr);
        assert_eq!(kept, 0, "a branch without records renders everything");
        files(&repo)
    };

    commit(0, &origin);
    let listing = git(&origin, &["ls-tree", "-r", "--name-only", "main"]);
    assert!(listing.contains(".fleetc/COMPILED\n"), "{listing}");
    assert!(
        listing.contains(".fleetc/renders/clusters/edge-000/RENDERS\n"),
        "{listing}"
    );

    // A fresh clone, as a CI job makes: nothing changed is up to date at
    // once, without compiling; one edit renders only what it touches.
    let ci = clone(&origin, "ci");
    assert!(commit(0, &ci).stderr.contains(same));
    assert!(diff(0, &ci).stderr.contains(same));
    let d = diff(1, &ci);
    let (kept, all) = reused(&d.stderr);
    assert!(kept > 0 && kept < all, "reused {kept} of {all}");
    let (kept, all) = reused(&commit(1, &ci).stderr);
    assert!(kept > 0 && kept < all, "reused {kept} of {all}");
    git(&ci, &["push", "-q", "origin", "main"]);
    assert_eq!(files(&origin), cold(1), "a commit on a fresh clone");
    assert!(commit(1, &clone(&origin, "ci2"))
        .stdout
        .contains("up to date"));
    // Someone else's file on the branch edited: fleetc's are the same.
    by_hand(&origin, &|repo| {
        std::fs::write(repo.join("README.md"), "The fleet's deploy repo, edited.\n").unwrap();
    });
    assert!(commit(1, &clone(&origin, "ci2")).stderr.contains(same));

    // A manifest edited by hand on the branch: the next compile restores
    // it (its blob is not the one its seal names, nor the stamp's).
    by_hand(&origin, &|repo| {
        let listing = git(repo, &["ls-files", "clusters"]);
        let app = listing.lines().find(|l| l.contains("/apps/")).unwrap();
        std::fs::write(repo.join(app), "edited: by hand\n").unwrap();
    });
    let out = commit(1, &origin);
    assert!(out.stdout.contains("committed"), "{}", out.stdout);
    assert_eq!(files(&origin), cold(1), "after a manifest edited by hand");

    // The records edited by hand: each edit costs renders, never a byte.
    let part = ".fleetc/renders/clusters/edge-003/RENDERS";
    type Edit<'a> = (&'a str, &'a dyn Fn(&str) -> String);
    let edits: [Edit; 6] = [
        ("a seal's digit flipped", &|t| {
            let line = t.lines().nth(1).unwrap();
            let flipped = format!(
                "{}{}",
                if line.starts_with('0') { '1' } else { '0' },
                &line[1..]
            );
            t.replacen(line, &flipped, 1)
        }),
        ("two lines' seals swapped", &|t| {
            let lines: Vec<&str> = t.lines().collect();
            let (a, b) = (lines[1].split_at(32), lines[2].split_at(32));
            t.replacen(lines[1], &format!("{}{}", b.0, a.1), 1)
                .replacen(lines[2], &format!("{}{}", a.0, b.1), 1)
        }),
        ("a policy added to a line", &|t| {
            let line = t.lines().nth(1).unwrap();
            t.replacen(line, &format!("{line}\tforged"), 1)
        }),
        ("a cluster's file line removed", &|t| {
            let line = t.lines().find(|l| l.contains("\t@")).unwrap();
            t.replacen(&format!("{line}\n"), "", 1)
        }),
        ("cut short", &|t| t[..t.len() / 2].to_string()),
        ("another version", &|t| {
            t.replacen("fleetc renders 1", "fleetc renders 9", 1)
        }),
    ];
    for (what, edit) in edits {
        by_hand(&origin, &|repo| {
            let text = std::fs::read_to_string(repo.join(part)).unwrap();
            let edited = edit(&text);
            assert_ne!(edited, text, "{what}");
            std::fs::write(repo.join(part), edited).unwrap();
        });
        // The same inventory: every render would be reused but the edited
        // group's, which are rendered again and recorded anew.
        let ci = clone(&origin, "ci");
        let out = commit(1, &ci);
        let (kept, all) = reused(&out.stderr);
        assert!(kept < all, "{what}: every Application was reused");
        assert!(out.stdout.contains("records"), "{what}: {}", out.stdout);
        git(&ci, &["push", "-q", "origin", "main"]);
        assert_eq!(files(&origin), cold(1), "records {what}");
        let again = commit(1, &clone(&origin, "ci"));
        assert!(again.stderr.contains(same), "{what}: {}", again.stderr);
    }

    // Another branch's records (another inventory's renders), copied over
    // these with a manifest changed by hand; the stamp kept.
    let other = root.join("other.git");
    git(
        root,
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            other.to_str().unwrap(),
        ],
    );
    commit(0, &other);
    let theirs = git(&other, &["show", &format!("main:{part}")]);
    by_hand(&origin, &|repo| {
        let listing = git(repo, &["ls-files", "clusters/edge-003"]);
        let app = listing.lines().find(|l| l.contains("/apps/")).unwrap();
        std::fs::write(repo.join(app), "edited: by hand\n").unwrap();
        std::fs::write(repo.join(part), &theirs).unwrap();
    });
    let (kept, all) = reused(&commit(1, &origin).stderr);
    assert!(kept < all, "reused {kept} of {all}");
    assert_eq!(files(&origin), cold(1), "another branch's records");
    // Records alone are committed without a log entry.
    let log = git(&origin, &["log", "--format=%s", "main"]);
    assert!(log.lines().any(|l| l.contains("records")), "{log}");
    let fsck = crate::support::fsck(&origin);
    assert!(
        fsck.status.success(),
        "{}",
        String::from_utf8_lossy(&fsck.stderr)
    );
}

/// A deploy repo checked out as a linked worktree (`git worktree add`):
/// a large commit's pack goes where the repository's objects are (the
/// common git folder; the worktree's own git folder has none).
#[test]
fn a_large_commit_into_a_linked_worktree_lands_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let main = root.join("deploy");
    git(root, &["init", "-q", "-b", "main", main.to_str().unwrap()]);
    std::fs::write(main.join("README.md"), "The fleet's deploy repo.\n").unwrap();
    git(&main, &["add", "-A"]);
    git(&main, &["commit", "-qm", "seed"]);
    let wt = root.join("deploy-wt");
    git(
        &main,
        &["worktree", "add", "-q", "-b", "fleet", wt.to_str().unwrap()],
    );
    let inv = root.join("fleet");
    crate::faults::write_fleet(&inv, 20, 1);
    let run = fleetc(
        &inv,
        &["compile", "--repo", wt.to_str().unwrap(), "--commit"],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains("branch `fleet`"), "{}", run.stdout);
    let files = git(&main, &["ls-tree", "-r", "--name-only", "fleet"]);
    assert!(files.lines().count() > 100, "{files}");
    let fsck = crate::support::fsck(&main);
    assert!(
        fsck.status.success(),
        "{}",
        String::from_utf8_lossy(&fsck.stderr)
    );
    let check = fleetc(
        &inv,
        &["compile", "--check", "--repo", wt.to_str().unwrap()],
    );
    assert_eq!(check.status, 0, "{}", check.stdout);
}

/// A ring rollout from the canary to the broad ring, end to end, as a
/// platform team runs it: the fleet runs node-exporter 4.39.0; the rollout
/// policy lands (the canary moves), then `fleetc promote` twice. Three
/// compiles, three commits, three log entries, each naming the clusters
/// that moved; `diff` shows each step before it lands.
#[test]
fn a_ring_rollout_from_canary_to_broad_lands_as_three_commits() {
    let s = Setup::new();
    // Before the rollout: the example without its rollout policy.
    let agents = s.inv.join("policies/agents.yaml");
    // Ungated here: tests/it/rollouts.rs takes the gate through its verdicts.
    let text = std::fs::read_to_string(&agents)
        .unwrap()
        .replace("  gate: {soak: 30m, max_unhealthy: 0}\n", "");
    let at = text.find("---\n# A new chart version").unwrap();
    let inv_commit = |msg: &str| {
        git(&s.inv, &["commit", "-qam", msg]);
    };
    std::fs::write(&agents, &text[..at]).unwrap();
    inv_commit("node-exporter 4.39.0 everywhere");
    assert_eq!(s.commit().status, 0);
    std::fs::write(&agents, &text).unwrap();
    let promote = || {
        let run = fleetc(&s.inv, &["promote", "node-exporter-4.40"]);
        assert_eq!(run.status, 0, "{}", run.stderr);
        run.stdout
    };
    // Each step: what diff shows, then the commit and its log entry.
    let step = |moved: &[&str], ring: &str| {
        let diff = fleetc(&s.inv, &["diff", "--repo", s.deploy()]);
        let line = diff
            .stdout
            .lines()
            .find(|l| l.contains(&format!("policy/node-exporter-4.40: ring `{ring}`")))
            .unwrap_or_else(|| panic!("no rollout line: {}", diff.stdout));
        assert!(
            line.contains(&format!("ring `{ring}` promoted, 4.39.0 → 4.40.0")),
            "{line}"
        );
        for c in moved {
            assert!(line.contains(&format!("{c}/node-exporter")), "{c}: {line}");
        }
        let run = s.commit();
        assert_eq!(run.status, 0, "{}", run.stderr);
        s.fsck();
        let msg = s.git(&["log", "-1", "--format=%B", "main"]);
        assert!(
            msg.contains(&format!(
                "policy/node-exporter-4.40: ring {ring} promoted, 4.39.0 → 4.40.0"
            )),
            "{msg}"
        );
    };

    inv_commit("node-exporter 4.40.0 on the canary");
    step(&["west-wa-perth-02"], "canary");
    let out = promote();
    assert!(out.contains("from `canary` to `early`"), "{out}");
    inv_commit("promote to early");
    step(&["west-wa-perth-01"], "early");
    let out = promote();
    assert!(out.contains("from `early` to `broad`"), "{out}");
    inv_commit("promote to broad");
    // newcastle has no ring label: it goes with the last ring.
    let diff = fleetc(&s.inv, &["diff", "--repo", s.deploy()]);
    assert!(
        diff.stdout.contains("policy/node-exporter-4.40: clusters with no ring promoted, 4.39.0 → 4.40.0 on 1 Application (east-nsw-newcastle-01/node-exporter)"),
        "{}",
        diff.stdout
    );
    step(&["east-qld-brisbane-01"], "broad");
    assert_eq!(
        s.count(),
        5,
        "the seed, the fleet at 4.39.0, and three steps"
    );

    // The log: three entries, each with its rollout line and the
    // Applications that moved, oldest first.
    let log = fleetc(
        &s.inv,
        &[
            "log",
            "--repo",
            s.deploy(),
            "--app",
            "node-exporter",
            "--oldest-first",
        ],
    );
    assert_eq!(log.status, 0, "{}", log.stderr);
    let rollouts: Vec<&str> = log
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("rollout"))
        .collect();
    assert_eq!(rollouts.len(), 4, "{}", log.stdout);
    assert!(rollouts[0].contains("ring canary promoted, 4.39.0 → 4.40.0 on 1 Application (west-wa-perth-02/node-exporter)"), "{}", log.stdout);
    assert!(rollouts[1].contains("ring early promoted, 4.39.0 → 4.40.0 on 1 Application (west-wa-perth-01/node-exporter)"), "{}", log.stdout);
    // The last entry moves the broad ring and the clusters with no ring.
    assert!(rollouts[2].contains("clusters with no ring promoted, 4.39.0 → 4.40.0 on 1 Application (east-nsw-newcastle-01/node-exporter)"), "{}", log.stdout);
    assert!(rollouts[3].contains("ring broad promoted, 4.39.0 → 4.40.0 on 1 Application (east-qld-brisbane-01/node-exporter)"), "{}", log.stdout);
    assert!(
        log.stdout.contains(
            "changed   node-exporter on west-wa-perth-01: 4.39.0 → 4.40.0  revision, rollout"
        ),
        "{}",
        log.stdout
    );
    // In JSON, each step is its own line of its entry's file.
    let entries = deploy_log(&s.deploy, "main");
    let steps: Vec<Value> = entries
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["kind"] == "promotion")
        .collect();
    assert_eq!(steps.len(), 4);
    assert_eq!(steps[0]["entry"], 2);
    assert_eq!(steps[1]["entry"], 3);
    assert_eq!(steps[2]["entry"], 4);
    assert_eq!(steps[3]["entry"], 4);
    assert_eq!(steps[3]["ring"], "broad");
    assert_eq!(steps[3]["from"], "4.39.0");
    assert_eq!(steps[3]["to"], "4.40.0");
    assert_eq!(
        steps[3]["applications"],
        serde_json::json!(["east-qld-brisbane-01/node-exporter"])
    );
    // The last step left nothing to promote.
    let run = fleetc(&s.inv, &["promote", "node-exporter-4.40"]);
    assert!(run.stdout.contains("is at its last ring"), "{}", run.stdout);
}

/// `fleetc log --app` reads as a version history: each event with its
/// revision before and after, and a change back to an earlier content
/// marked as a rollback to that entry; names are checked, and `query`
/// gains when each Application last changed.
#[test]
fn the_log_reads_as_a_version_history_with_rollbacks_marked() {
    let s = Setup::new();
    assert_eq!(s.commit().status, 0);
    let pos = s.inv.join("apps/pos.yaml");
    let v214 = std::fs::read_to_string(&pos).unwrap();
    // pos-api's repo_branch comes first in the file.
    std::fs::write(
        &pos,
        v214.replacen("repo_branch: v2.14.0", "repo_branch: v2.15.0", 1),
    )
    .unwrap();
    assert_eq!(s.commit().status, 0);
    std::fs::write(&pos, &v214).unwrap();
    assert_eq!(s.commit().status, 0);

    let log = fleetc(
        &s.inv,
        &[
            "log",
            "--repo",
            s.deploy(),
            "--app",
            "pos-api",
            "--cluster",
            "east-qld-brisbane-01",
            "--oldest-first",
        ],
    );
    assert_eq!(log.status, 0, "{}", log.stderr);
    let events: Vec<&str> = log
        .stdout
        .lines()
        .filter(|l| l.starts_with("    "))
        .map(|l| l.trim().rsplit_once("  sha256:").unwrap().0)
        .collect();
    assert_eq!(
        events,
        [
            "added     pos-api on east-qld-brisbane-01: v2.14.0  placed by payments-prod-edge",
            "changed   pos-api on east-qld-brisbane-01: v2.14.0 → v2.15.0  revision",
            "changed   pos-api on east-qld-brisbane-01: v2.15.0 → v2.14.0  rollback to entry 1: revision",
        ],
        "{}",
        log.stdout
    );
    let json = fleetc(
        &s.inv,
        &[
            "log",
            "--repo",
            s.deploy(),
            "--app",
            "pos-api",
            "--cluster",
            "east-qld-brisbane-01",
            "--format",
            "json",
        ],
    );
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    let last = &v[0]["events"][0];
    assert_eq!(last["revision_old"], "v2.15.0");
    assert_eq!(last["revision_new"], "v2.14.0");
    assert_eq!(last["rollback_to"], 1);
    assert_eq!(
        last["sha256"], v[2]["events"][0]["sha256"],
        "the same content as entry 1"
    );
    assert_eq!(last["sha256_old"], v[1]["events"][0]["sha256"]);

    // A name the log has never seen: an error with a did-you-mean.
    let typo = fleetc(&s.inv, &["log", "--repo", s.deploy(), "--app", "pos-apj"]);
    assert_eq!(typo.status, 1);
    assert!(
        typo.stderr
            .contains("no app `pos-apj` in the deployment log")
            && typo.stderr.contains("did you mean `pos-api`?"),
        "{}",
        typo.stderr
    );

    // query: when each Application last changed.
    let q = fleetc(
        &s.inv,
        &[
            "query",
            "clusters",
            "--app",
            "pos-api",
            "--repo",
            s.deploy(),
            "--format",
            "csv",
        ],
    );
    assert_eq!(q.status, 0, "{}", q.stderr);
    let row = |cluster: &str| {
        q.stdout
            .lines()
            .find(|l| l.starts_with(cluster))
            .unwrap_or_else(|| panic!("{}", q.stdout))
            .to_string()
    };
    assert_eq!(
        q.stdout.lines().next(),
        Some("cluster,application,revision,ring,policies,last changed")
    );
    assert!(
        row("east-qld-brisbane-01").ends_with("(entry 3)"),
        "{}",
        q.stdout
    );
    assert!(row("lab-sydney-01").ends_with("(entry 1)"), "{}", q.stdout);
}
