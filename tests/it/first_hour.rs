//! The rough edges a new user meets in the first hour (issue 21): each one
//! failed before it was fixed.

use crate::support::{example, example_copy, fleetc, repo};

/// A typo'd label key answers with the keys clusters have, not with an
/// empty answer ("(0 clusters)") or one group of everything ("(none)").
#[test]
fn a_label_key_no_cluster_has_is_refused_with_the_nearest() {
    let e = example();
    let html = tempfile::tempdir().unwrap();
    let page = html.path().join("r.html");
    for (args, flag) in [
        (
            vec!["query", "matrix", "--selector", "regoin=east"],
            "--selector",
        ),
        (
            vec![
                "query",
                "apps",
                "--cluster",
                "lab-sydney-01",
                "--selector",
                "gpu,regoin in (east)",
            ],
            "--selector",
        ),
        (
            vec![
                "report",
                "--html",
                page.to_str().unwrap(),
                "--group-by",
                "regoin",
            ],
            "--group-by",
        ),
        (
            vec![
                "diff",
                "--out",
                "/nonexistent",
                "--format",
                "markdown",
                "--group-by",
                "regoin",
            ],
            "--group-by",
        ),
    ] {
        let run = fleetc(&e, &args);
        assert_eq!(run.status, 1, "{args:?}: {}", run.stdout);
        assert!(
            run.stderr.contains(&format!(
                "{flag}: no cluster has the label `regoin`; did you mean `region`?"
            )),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert!(!page.exists());
    // A key that clusters have is answered as before, even where no
    // cluster matches.
    let run = fleetc(&e, &["query", "matrix", "--selector", "region=north"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains("(0 clusters)"), "{}", run.stdout);
}

/// `--repo` (and `--branch`) where it means nothing is a usage error, not
/// silently ignored.
#[test]
fn query_options_that_mean_nothing_are_refused() {
    let e = example();
    let run = fleetc(&e, &["query", "matrix", "--repo", "/nonexistent"]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr
            .contains("--repo adds each Application's last change"),
        "{}",
        run.stderr
    );
    let run = fleetc(
        &e,
        &[
            "query",
            "apps",
            "--cluster",
            "lab-sydney-01",
            "--branch",
            "main",
        ],
    );
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("required arguments were not provided")
            && run.stderr.contains("--repo"),
        "{}",
        run.stderr
    );
}

/// A cluster by its `shortName`, and a pair by the Application name Argo
/// CD shows, wherever a cluster or an app is named.
#[test]
fn short_names_and_application_names_stand_for_their_cluster_and_app() {
    let e = example();
    let full = fleetc(&e, &["explain", "pos-api", "lab-sydney-01"]);
    assert_eq!(full.status, 0, "{}", full.stderr);
    assert!(
        full.stdout.starts_with("pos-api on lab-sydney-01: placed"),
        "{}",
        full.stdout
    );
    for args in [
        vec!["explain", "pos-api", "lab01"],
        vec!["explain", "pos-api-lab01"],
        vec!["explain", "pos-api", "pos-api-lab01"],
    ] {
        let run = fleetc(&e, &args);
        assert_eq!(run.status, 0, "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, full.stdout, "{args:?}");
    }
    let by_name = fleetc(&e, &["query", "apps", "--cluster", "west-wa-perth-01"]);
    for short in ["per01", "pos-api-per01"] {
        let run = fleetc(&e, &["query", "apps", "--cluster", short]);
        assert_eq!(run.status, 0, "{short}: {}", run.stderr);
        assert_eq!(run.stdout, by_name.stdout, "{short}");
    }
    let run = fleetc(&e, &["query", "clusters", "--app", "pos-api-per01"]);
    assert_eq!(
        run.stdout,
        fleetc(&e, &["query", "clusters", "--app", "pos-api"]).stdout
    );
    // An Application name and a cluster that disagree are refused, not
    // read as the app on that cluster.
    let run = fleetc(&e, &["explain", "pos-api-bne01", "per01"]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("Application `pos-api-bne01` is on cluster `east-qld-brisbane-01`, not `west-wa-perth-01`"),
        "{}",
        run.stderr
    );
    // `status --app` with an Application's name: that row alone (an
    // orphan's too, whose app is placed elsewhere under another name).
    let live = repo().join("fixtures/status/example");
    let status = |app: &str| {
        let args = [
            "status",
            "--from",
            live.to_str().unwrap(),
            "--now",
            "2026-11-30T12:00:00Z",
            "--app",
            app,
            "--format",
            "csv",
        ];
        fleetc(&e, &args).stdout
    };
    for (app, rows) in [("app1-per01", 1), ("pos-api-bne01", 1), ("pos-api", 4)] {
        assert_eq!(
            status(app).lines().count(),
            1 + rows,
            "{app}: {}",
            status(app)
        );
    }
    assert!(status("app1-per01").contains(",ORPHANED,"));
    // A name that is none of these still gets a did-you-mean, short names
    // among the candidates.
    let run = fleetc(&e, &["explain", "pos-api", "lab1"]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("did you mean `lab01`?"),
        "{}",
        run.stderr
    );
}

/// "1 cluster", not "1 clusters"; and an inventory with nothing in it is
/// said to be empty (most often `-i` names the wrong folder).
#[test]
fn counts_are_worded_and_an_empty_inventory_is_noted() {
    let tmp = tempfile::tempdir().unwrap();
    let inv = tmp.path().join("one");
    std::fs::create_dir_all(inv.join("clusters")).unwrap();
    std::fs::write(
        inv.join("inventory.yaml"),
        "kind: Cluster\nname: edge-01\nenvironment: prod\n---\nkind: Namespace\nname: web\n---\n\
         kind: App\nname: site\nnamespace: web\nrepo_url: https://git.example.com/site.git\nrepo_path: deploy\n---\n\
         kind: TargetPolicy\nname: all\napp_selector: {}\ncluster_selector: {}\n",
    )
    .unwrap();
    let run = fleetc(&inv, &["check"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "ok: 1 file, 1 cluster, 1 app, 1 team, 1 policy; 1 Application on 1 cluster\n"
    );
    let run = fleetc(&inv, &["query", "matrix"]);
    assert!(run.stdout.ends_with("\n(1 cluster)\n"), "{}", run.stdout);
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let run = fleetc(&empty, &["check"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("ok: 0 files, 0 clusters"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("note: the inventory is empty"),
        "{}",
        run.stderr
    );
    // Clusters but no policy: nothing would be deployed, and it says why.
    std::fs::write(
        empty.join("c.yaml"),
        "kind: Cluster\nname: edge-01\nenvironment: prod\n",
    )
    .unwrap();
    let run = fleetc(&empty, &["check"]);
    assert!(
        run.stderr
            .contains("note: the inventory has no apps, no policies: nothing would be deployed"),
        "{}",
        run.stderr
    );
}

/// `compile --check`'s hint is a command that works as given.
#[test]
fn the_compile_check_hint_is_a_command_that_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let inv = example_copy(tmp.path());
    let run = fleetc(&inv, &["compile", "--check", "--out", "rendered"]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    let hint = run.stdout.lines().last().unwrap();
    assert_eq!(hint, "run `fleetc compile --out rendered` to update it");
    let command = hint
        .trim_start_matches("run `fleetc ")
        .trim_end_matches("` to update it");
    let args: Vec<&str> = command.split(' ').collect();
    assert_eq!(fleetc(&inv, &args).status, 0);
    assert_eq!(
        fleetc(&inv, &["compile", "--check", "--out", "rendered"]).status,
        0
    );
    // Paths a shell would split are quoted, so the hint runs as given.
    std::fs::rename(&inv, tmp.path().join("my inv")).unwrap();
    let run = fleetc(
        tmp.path(),
        &["-i", "my inv", "compile", "--check", "--out", "out dir"],
    );
    let hint = run.stdout.lines().last().unwrap();
    assert_eq!(
        hint,
        "run `fleetc -i 'my inv' compile --out 'out dir'` to update it"
    );
    let command = hint
        .trim_start_matches("run `")
        .trim_end_matches("` to update it");
    let bin = crate::support::bin();
    let ran = std::process::Command::new("bash")
        .arg("-c")
        .arg(command.replacen("fleetc", &format!("'{}'", bin.display()), 1))
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    assert!(tmp.path().join("out dir/.fleetc-manifest").exists());
}

/// `compile --out rendered` leaves nothing beside the folder: no lock file
/// sits untracked in the user's repository after the tour.
#[test]
fn compile_leaves_no_lock_file_beside_the_output() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    for _ in 0..2 {
        let run = fleetc(
            &example(),
            &["compile", "--out", work.join("rendered").to_str().unwrap()],
        );
        assert_eq!(run.status, 0, "{}", run.stderr);
        let names: Vec<String> = std::fs::read_dir(&work)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["rendered"]);
    }
}

/// `check --format json`: the problems CI turns into annotations, each
/// with file, line, message and hint; the exit code as for text.
#[test]
fn check_speaks_json_for_ci_annotations() {
    let bad = repo().join("fixtures/err-tenancy-owners-match-nothing");
    let run = fleetc(&bad, &["check", "--format", "json"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(
        v["problems"],
        serde_json::json!([{
            "file": "fleetc.yaml",
            "line": 4,
            "message": "the `owners` glob `inventory/apps/payments/**` of team `payments` matches no file of the inventory that holds a document",
            "hint": "globs are paths relative to the inventory root, e.g. `inventory.yaml`; fix the glob or remove it",
        }])
    );
    let run = fleetc(&example(), &["check", "--format", "json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["problems"], serde_json::json!([]));
    assert!(v["summary"]
        .as_str()
        .unwrap()
        .starts_with("ok: 18 files, 6 clusters"));
    assert!(v["notes"].as_array().unwrap().len() >= 2, "{v}");
}
