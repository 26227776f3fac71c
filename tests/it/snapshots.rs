//! Whole-output snapshots of what the commands print: `explain`, `query`,
//! `diff` (text, Markdown, JSON), `log` (text, JSON) and their mistakes, in
//! `golden/commands/<case>.txt`, with the command line, the exit status and
//! stderr. `UPDATE_GOLDEN=1` rewrites them, as for the rendered trees; a
//! golden file no case writes fails.
//!
//! Everything printed is deterministic: the inventories are copied out of
//! this repository (so their git revision is `unknown`), and commits take
//! their author, committer and times from the environment.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::support::{copy_tree, fleetc_env, git, repo, update_golden};

fn golden_dir() -> PathBuf {
    repo().join("golden/commands")
}

/// A fixed identity and clock for every commit, and no colours.
const ENV: &[(&str, &str)] = &[
    ("GIT_AUTHOR_NAME", "Fleet Bot"),
    ("GIT_AUTHOR_EMAIL", "fleet-bot@example.com"),
    ("GIT_AUTHOR_DATE", "2026-11-21T17:00:00Z"),
    ("GIT_COMMITTER_NAME", "Fleet Bot"),
    ("GIT_COMMITTER_EMAIL", "fleet-bot@example.com"),
    ("GIT_COMMITTER_DATE", "2026-11-21T17:00:00Z"),
];

/// The fleets the cases run in: the example as it is (`inv`), the example
/// with lab-sydney-01 moved to region south (`moved`), the tree `moved`
/// renders (`rendered`), and a deploy repo where both were committed, one
/// after the other (`deploy`).
struct World {
    _tmp: tempfile::TempDir,
    inv: PathBuf,
    moved: PathBuf,
}

impl World {
    fn new() -> World {
        let tmp = tempfile::tempdir().unwrap();
        let inv = tmp.path().join("inv");
        let moved = tmp.path().join("moved");
        copy_tree(&repo().join("fixtures/example"), &inv);
        copy_tree(&inv, &moved);
        copy_tree(&repo().join("fixtures/status"), &tmp.path().join("exports"));
        let file = moved.join("clusters/lab-sydney-01.yaml");
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(file, text.replace("region: east", "region: south")).unwrap();
        git(
            tmp.path(),
            &["init", "-q", "--bare", "-b", "main", "deploy"],
        );
        for (dir, date) in [
            (&inv, "2026-11-21T17:00:00Z"),
            (&moved, "2026-11-22T09:30:00Z"),
        ] {
            let mut env = ENV.to_vec();
            env.retain(|(k, _)| !k.ends_with("_DATE"));
            env.extend([("GIT_AUTHOR_DATE", date), ("GIT_COMMITTER_DATE", date)]);
            let run = fleetc_env(dir, &["compile", "--repo", "../deploy", "--commit"], &env);
            assert_eq!(run.status, 0, "{}", run.stderr);
        }
        let run = fleetc_env(&moved, &["compile", "--out", "../rendered"], ENV);
        assert_eq!(run.status, 0, "{}", run.stderr);
        World {
            _tmp: tmp,
            inv,
            moved,
        }
    }

    fn dir(&self, which: &str) -> &Path {
        match which {
            "moved" => &self.moved,
            _ => &self.inv,
        }
    }
}

/// (case, the inventory it runs in, arguments).
const CASES: &[(&str, &str, &[&str])] = &[
    (
        "explain-pair",
        "inv",
        &["explain", "pos-api", "east-qld-brisbane-01"],
    ),
    (
        "explain-pair-excluded",
        "inv",
        &["explain", "inference", "south-vic-melbourne-01"],
    ),
    (
        "explain-pair-json",
        "inv",
        &[
            "explain",
            "pos-worker",
            "west-wa-perth-02",
            "--format",
            "json",
        ],
    ),
    ("explain-app", "inv", &["explain", "inference"]),
    (
        "explain-app-json",
        "inv",
        &["explain", "inference", "--format", "json"],
    ),
    ("explain-unknown-app", "inv", &["explain", "pos-apj"]),
    (
        "explain-unknown-cluster",
        "inv",
        &["explain", "pos-api", "east-qld-brisbane"],
    ),
    ("query-matrix", "inv", &["query", "matrix"]),
    (
        "query-matrix-selector",
        "inv",
        &["query", "matrix", "--selector", "region in (east,south)"],
    ),
    (
        "query-apps",
        "inv",
        &["query", "apps", "--cluster", "lab-sydney-01"],
    ),
    (
        "query-apps-csv",
        "inv",
        &[
            "query",
            "apps",
            "--cluster",
            "lab-sydney-01",
            "--format",
            "csv",
        ],
    ),
    (
        "query-clusters-csv",
        "inv",
        &[
            "query",
            "clusters",
            "--app",
            "pos-api",
            "--selector",
            "environment=prod",
            "--format",
            "csv",
        ],
    ),
    (
        "query-clusters-json",
        "inv",
        &["query", "clusters", "--app", "pos-api", "--format", "json"],
    ),
    (
        "query-bad-selector",
        "inv",
        &["query", "matrix", "--selector", "region in east"],
    ),
    ("diff-text", "inv", &["diff", "--out", "../rendered"]),
    (
        "diff-markdown",
        "inv",
        &["diff", "--out", "../rendered", "--format", "markdown"],
    ),
    (
        "diff-json",
        "inv",
        &[
            "diff",
            "--out",
            "../rendered",
            "--format",
            "json",
            "--exit-code",
        ],
    ),
    ("diff-none", "moved", &["diff", "--repo", "../deploy"]),
    ("log", "inv", &["log", "--repo", "../deploy"]),
    (
        "log-app-cluster",
        "inv",
        &[
            "log",
            "--repo",
            "../deploy",
            "--app",
            "app1",
            "--cluster",
            "lab-sydney-01",
        ],
    ),
    (
        "log-json",
        "inv",
        &[
            "log",
            "--repo",
            "../deploy",
            "--format",
            "json",
            "--since",
            "2026-11-22",
        ],
    ),
    (
        "log-bad-since",
        "inv",
        &["log", "--repo", "../deploy", "--since", "yesterday"],
    ),
    // Desired vs live, from the Argo CD exports of fixtures/status.
    (
        "status",
        "inv",
        &["status", "--from", "../exports/example", "--now", LIVE_NOW],
    ),
    (
        "status-json-cluster",
        "inv",
        &[
            "status",
            "--from",
            "../exports/example",
            "--now",
            LIVE_NOW,
            "--cluster",
            "west-wa-perth-02",
            "--format",
            "json",
        ],
    ),
    (
        "status-problems-csv",
        "inv",
        &[
            "status",
            "--from",
            "../exports/example",
            "--now",
            LIVE_NOW,
            "--only",
            "stale,not-installed,orphaned",
            "--format",
            "csv",
            "--exit-code",
        ],
    ),
    (
        "status-bad-exports",
        "inv",
        &["status", "--from", "../exports/example", "../exports/bad"],
    ),
    (
        "status-duplicate",
        "inv",
        &["status", "--from", "../exports/duplicate"],
    ),
    ("status-no-exports", "inv", &["status"]),
    (
        "explain-pair-live",
        "inv",
        &[
            "explain",
            "pos-api",
            "west-wa-perth-02",
            "--from",
            "../exports/example",
            "--now",
            LIVE_NOW,
        ],
    ),
];

/// The time the fixture exports were taken at (fixtures/status/README.md).
const LIVE_NOW: &str = "2026-11-30T12:00:00Z";

/// The ids of the commits fleetc made, masked: a commit's tree holds
/// fleetc's records of its renders, sealed with fleetc's build, so every
/// build of fleetc makes other ids. Masked: `commit` and seven hex digits,
/// and the 40 of `"commit"` and `"parent"` in JSON.
fn mask_commits(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex_run = |at: usize| {
        bytes[at..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count()
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let keyed = ["\"commit\": \"", "\"parent\": \""]
            .iter()
            .any(|k| out.ends_with(k));
        if keyed && hex_run(i) == 40 {
            out.push_str("<full id>");
            i += 40;
            continue;
        }
        if text[i..].starts_with("commit ") && hex_run(i + 7) == 7 {
            out.push_str("commit <id>");
            i += 14;
            continue;
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

#[test]
fn every_command_prints_what_its_golden_file_shows() {
    let world = World::new();
    let mut failures = Vec::new();
    let mut written = BTreeSet::new();
    for (case, dir, args) in CASES {
        let run = fleetc_env(world.dir(dir), args, ENV);
        let stdout = mask_commits(&run.stdout);
        let mut actual = format!("$ fleetc {}\n{stdout}", args.join(" "));
        if run.status != 0 {
            actual.push_str(&format!("--- exit {}\n", run.status));
        }
        if !run.stderr.is_empty() {
            actual.push_str(&format!("--- stderr\n{}", run.stderr));
        }
        let file = golden_dir().join(format!("{case}.txt"));
        written.insert(format!("{case}.txt"));
        if update_golden() {
            std::fs::create_dir_all(golden_dir()).unwrap();
            std::fs::write(&file, &actual).unwrap();
            continue;
        }
        match std::fs::read_to_string(&file) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => failures.push(format!(
                "{case}: output differs (UPDATE_GOLDEN=1 rewrites; review the diff)\n{}",
                similar::TextDiff::from_lines(&expected, &actual)
                    .unified_diff()
                    .header("golden", "actual")
            )),
            Err(_) => failures.push(format!("{case}: no golden/commands/{case}.txt:\n{actual}")),
        }
    }
    for entry in std::fs::read_dir(golden_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !written.contains(&name) {
            failures.push(format!("golden/commands/{name} belongs to no case"));
        }
    }
    println!("snapshots: {} command outputs compared", CASES.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
