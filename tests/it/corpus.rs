//! The broken-inventory corpus: `fixtures/err-<class>-<case>/`, one thing a
//! careless or hostile user could write in each (their messages are checked
//! by `golden.rs`). Here every broken inventory, old and new, must fail
//! without touching what is already deployed: a rendered folder keeps every
//! byte, a deploy branch stays at its commit. What git cannot store (FIFOs,
//! empty folders) or what would trip other readers of the fixtures (a folder
//! named `*.yaml`, a folder where `fleetc.yaml` goes) is made at test time:
//! each must be refused promptly, and a FIFO never opened.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{copy_tree, git, read_tree, repo};

/// The classes of the corpus: `err-<class>-<case>`. The older fixtures
/// (`err-dependency-cycle`, `err-tenancy`, ...) predate the naming and count
/// as "other".
const CLASSES: &[&str] = &[
    "syntax",
    "types",
    "fields",
    "names",
    "labels",
    "selectors",
    "refs",
    "cycles",
    "conflicts",
    "expr",
    "templates",
    "bombs",
    "encoding",
    "settings",
    "secrets",
    "tenancy",
    "fs",
    "sources",
];

/// How long one fleetc run may take before it counts as hung.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Every `fixtures/err-*` case, sorted.
fn err_cases() -> Vec<String> {
    let mut cases: Vec<String> = std::fs::read_dir(repo().join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("err-"))
        .collect();
    cases.sort();
    cases
}

/// The class of a case: the part of its name after `err-` up to the next
/// `-`, when that is one of [`CLASSES`] and a case name follows; else "other".
fn class_of(case: &str) -> &'static str {
    let rest = case.strip_prefix("err-").unwrap_or(case);
    match rest.split_once('-') {
        Some((class, name)) if !name.is_empty() => CLASSES
            .iter()
            .find(|c| **c == class)
            .copied()
            .unwrap_or("other"),
        _ => "other",
    }
}

/// The number of cases in each class, every class listed.
fn census(cases: &[String]) -> BTreeMap<&'static str, usize> {
    let mut by_class: BTreeMap<&'static str, usize> = CLASSES.iter().map(|c| (*c, 0)).collect();
    for case in cases {
        *by_class.entry(class_of(case)).or_default() += 1;
    }
    by_class
}

/// What a finished run printed.
struct Finished {
    status: i32,
    stdout: String,
    stderr: String,
}

/// Runs fleetc in `cwd` with `args`; `Err` (after killing it) when it does
/// not finish within `timeout`.
fn run(cwd: &Path, args: &[&str], timeout: Duration) -> Result<Finished, String> {
    let mut child = Command::new(crate::support::bin())
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("FLEETC_DEBUG_RENDER")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run fleetc");
    // Read both pipes on threads, so a chatty child cannot block on a full pipe.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "`fleetc {}` in {} did not finish within {timeout:?}: killed",
                args.join(" "),
                cwd.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ok(Finished {
        status: status.code().unwrap_or(-1),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    })
}

/// What must not change: the rendered folder, the names beside it (where a
/// compile assembles its new tree), and every file of the bare deploy repo
/// (objects, refs, logs, locks), with the branch's commit.
#[derive(PartialEq, Eq)]
struct Deployed {
    out: BTreeMap<String, Vec<u8>>,
    beside: Vec<String>,
    repo: BTreeMap<String, Vec<u8>>,
    head: String,
}

/// A rendered folder and a bare deploy repo with one commit, both made
/// from `fixtures/example`.
struct Target {
    _tmp: tempfile::TempDir,
    out: PathBuf,
    deploy: PathBuf,
}

impl Target {
    fn new() -> Target {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("rendered");
        let deploy = tmp.path().join("deploy.git");
        git(
            tmp.path(),
            &[
                "init",
                "--quiet",
                "--bare",
                "--initial-branch=main",
                "deploy.git",
            ],
        );
        let example = repo().join("fixtures/example");
        let o = out.to_str().unwrap();
        let d = deploy.to_str().unwrap();
        for args in [
            vec!["compile", "--out", o],
            vec!["compile", "--repo", d, "--commit"],
        ] {
            let r = run(&example, &args, TIMEOUT).unwrap();
            assert_eq!(
                r.status,
                0,
                "fixtures/example: `fleetc {}` failed:\n{}",
                args.join(" "),
                r.stderr
            );
        }
        let t = Target {
            _tmp: tmp,
            out,
            deploy,
        };
        let before = t.snapshot();
        assert!(
            before.out.contains_key(".fleetc-manifest"),
            "the example rendered no manifest"
        );
        assert!(before.out.len() > 10, "the example rendered too little");
        t
    }

    fn snapshot(&self) -> Deployed {
        let mut beside: Vec<String> = std::fs::read_dir(self.out.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        beside.sort();
        Deployed {
            out: read_tree(&self.out),
            beside,
            repo: read_tree(&self.deploy),
            head: git(&self.deploy, &["rev-parse", "refs/heads/main"])
                .trim()
                .to_string(),
        }
    }

    /// What differs between two snapshots, in words.
    fn changes(before: &Deployed, after: &Deployed) -> Vec<String> {
        let mut what = Vec::new();
        if before.head != after.head {
            what.push(format!(
                "the branch moved from {} to {}",
                before.head, after.head
            ));
        }
        if before.beside != after.beside {
            what.push(format!(
                "the folder beside the output changed: {:?} → {:?}",
                before.beside, after.beside
            ));
        }
        for (label, a, b) in [
            ("output folder", &before.out, &after.out),
            ("deploy repo", &before.repo, &after.repo),
        ] {
            for (path, bytes) in a {
                match b.get(path) {
                    None => what.push(format!("{label}: `{path}` was removed")),
                    Some(x) if x != bytes => what.push(format!("{label}: `{path}` changed")),
                    _ => {}
                }
            }
            for path in b.keys().filter(|p| !a.contains_key(*p)) {
                what.push(format!("{label}: `{path}` was added"));
            }
        }
        what
    }
}

#[test]
fn every_broken_inventory_writes_nothing_and_commits_nothing() {
    let cases = err_cases();
    let mut target = Target::new();
    let mut before = target.snapshot();
    let mut failures = Vec::new();
    for case in &cases {
        let fixture = repo().join("fixtures").join(case);
        let out = target.out.to_str().unwrap().to_string();
        let deploy = target.deploy.to_str().unwrap().to_string();
        let mut case_failed = false;
        for args in [
            vec!["compile", "--out", out.as_str()],
            vec!["compile", "--repo", deploy.as_str(), "--commit"],
        ] {
            match run(&fixture, &args, TIMEOUT) {
                Err(hung) => {
                    failures.push(format!("{case}: {hung}"));
                    case_failed = true;
                }
                Ok(r) if r.status != 1 || !r.stderr.starts_with("error: ") => {
                    failures.push(format!(
                        "{case}: `fleetc {}` exited {} (expected 1, with errors on stderr):\n{}{}",
                        args[..2].join(" "),
                        r.status,
                        r.stdout,
                        r.stderr
                    ));
                    case_failed = true;
                }
                Ok(_) => {}
            }
        }
        let after = target.snapshot();
        let changed = Target::changes(&before, &after);
        if !changed.is_empty() {
            failures.push(format!(
                "{case}: a failed compile changed what was deployed:\n  {}",
                changed.join("\n  ")
            ));
            case_failed = true;
        }
        if case_failed {
            // Start the next case from a clean deployment.
            target = Target::new();
            before = target.snapshot();
        }
    }
    let by_class = census(&cases);
    println!("corpus: {} broken inventories", cases.len());
    for (class, n) in &by_class {
        println!("  {class:<10} {n}");
    }
    assert_no_failures(&failures);
}

#[test]
fn the_corpus_covers_every_class() {
    let cases = err_cases();
    let by_class = census(&cases);
    let new: usize = by_class
        .iter()
        .filter(|(c, _)| **c != "other")
        .map(|(_, n)| n)
        .sum();
    assert!(
        new >= 120,
        "the corpus has {new} cases named `err-<class>-<case>`; it needs at least 120"
    );
    for class in CLASSES {
        assert!(
            by_class[class] >= 5,
            "class `{class}` has {} cases; it needs at least 5",
            by_class[class]
        );
    }
}

/// Makes a FIFO at `path` (git cannot store one, so the corpus cannot).
fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {} failed", path.display());
}

/// Fails with every failure found, when there is any.
#[track_caller]
fn assert_no_failures(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} failure(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Runs `check`, `compile --out` and `compile --repo --commit` on a copy of
/// `fixtures/example` that `setup` changed: each must exit 1 promptly, with
/// a message naming `named` and saying `words`, and write nothing.
fn refused(what: &str, setup: impl Fn(&Path), named: &str, words: &str) -> Vec<String> {
    let mut failures = Vec::new();
    let tmp = tempfile::tempdir().unwrap();
    let inv = tmp.path().join("inventory");
    copy_tree(&repo().join("fixtures/example"), &inv);
    setup(&inv);
    git(
        tmp.path(),
        &[
            "init",
            "--quiet",
            "--bare",
            "--initial-branch=main",
            "deploy.git",
        ],
    );
    let deploy = tmp.path().join("deploy.git");
    let out = tmp.path().join("rendered");
    let i = inv.to_str().unwrap();
    let commands: [Vec<&str>; 3] = [
        vec!["-i", i, "check"],
        vec!["-i", i, "compile", "--out", out.to_str().unwrap()],
        vec![
            "-i",
            i,
            "compile",
            "--repo",
            deploy.to_str().unwrap(),
            "--commit",
        ],
    ];
    for args in commands {
        let what = format!("{what}: `fleetc {}`", args[2..].join(" "));
        let started = Instant::now();
        match run(tmp.path(), &args, TIMEOUT) {
            Err(hung) => failures.push(format!("{what}: {hung}")),
            Ok(r) => {
                if r.status != 1 {
                    failures.push(format!(
                        "{what}: exit {} (expected 1):\n{}",
                        r.status, r.stderr
                    ));
                } else if !r.stderr.contains(&format!("error: {named}: {words}")) {
                    failures.push(format!(
                        "{what}: the message does not say `{named}: {words}`:\n{}",
                        r.stderr
                    ));
                }
                println!("{what}: exit {} in {:?}", r.status, started.elapsed());
            }
        }
    }
    if out.exists() {
        failures.push(format!("{what}: `compile --out` created the output folder"));
    }
    let branch = Command::new("git")
        .args(["rev-parse", "--verify", "--quiet", "refs/heads/main"])
        .current_dir(&deploy)
        .output()
        .unwrap();
    if branch.status.success() {
        failures.push(format!("{what}: `compile --repo` created a commit"));
    }
    failures
}

#[test]
fn special_files_are_refused_and_never_opened() {
    // Reading a FIFO would wait for a writer for ever: fleetc must look
    // before it opens, and refuse.
    let mut failures = Vec::new();
    for fifo in [
        "clusters/pipe.yaml",
        "fleetc.yaml",
        "templates/application.yaml.j2",
        // A folder's manifest is read to tell output from a stray one.
        "rendered/.fleetc-manifest",
    ] {
        failures.extend(refused(
            &format!("{fifo} as a FIFO"),
            |inv| {
                let path = inv.join(fifo);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                let _ = std::fs::remove_file(&path);
                mkfifo(&path);
            },
            fifo,
            "is not a regular file",
        ));
    }
    assert_no_failures(&failures);
}

/// Folders where files go. Git stores no empty folder, and a fixture with a
/// folder named `*.yaml` would trip every tool that reads the fixtures'
/// YAML files, so these are made at test time too.
#[test]
fn folders_where_files_go_are_refused() {
    let mut failures = Vec::new();
    failures.extend(refused(
        "fleetc.yaml as a folder",
        |inv| {
            std::fs::remove_file(inv.join("fleetc.yaml")).unwrap();
            std::fs::create_dir_all(inv.join("fleetc.yaml/settings")).unwrap();
        },
        "fleetc.yaml",
        "is a folder where a file is expected",
    ));
    failures.extend(refused(
        "an empty folder clusters/x.yaml",
        |inv| std::fs::create_dir_all(inv.join("clusters/x.yaml")).unwrap(),
        "clusters/x.yaml",
        "is a folder named like an inventory file",
    ));
    assert_no_failures(&failures);
}
