//! Helpers shared by the integration tests.

use std::path::PathBuf;

/// The path of a file under `../shared/conformance/`, or `None` (after printing
/// why) when the data set is not beside this checkout.
pub(crate) fn conformance_file(rel: &str) -> Option<PathBuf> {
    let root = std::env::var_os("FLEETC_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"));
    let path = root.join(rel);
    if path.is_file() {
        Some(path)
    } else {
        println!(
            "SKIPPED: {} is absent (conformance data lives in ../shared/conformance)",
            path.display()
        );
        None
    }
}

/// Reads a conformance JSON file, or `None` when it is absent.
pub(crate) fn conformance_json(rel: &str) -> Option<serde_json::Value> {
    let path = conformance_file(rel)?;
    let text = std::fs::read_to_string(&path).unwrap();
    Some(serde_json::from_str(&text).unwrap())
}

use std::path::Path;
use std::process::{Command, Output};

/// The repository root.
pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fleetc binary the tests run: this build's, or the one
/// `FLEETC_TEST_BIN` names (`.ci/run` runs the suite again against the
/// release binary, with no optimised build of the tests themselves).
pub(crate) fn bin() -> PathBuf {
    std::env::var_os("FLEETC_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_fleetc")))
}

/// The folders of `fixtures/` that hold Argo CD's exports for `fleetc
/// status` (tests/it/status.rs), not an inventory.
const NOT_INVENTORIES: &[&str] = &["app-repos", "status"];

/// The names of the inventory fixtures (`fixtures/<name>/`), sorted.
pub(crate) fn inventory_fixtures() -> Vec<String> {
    let mut cases: Vec<String> = std::fs::read_dir(repo().join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !NOT_INVENTORIES.contains(&n.as_str()))
        .collect();
    cases.sort();
    cases
}

/// Runs the fleetc binary with `args`, in `cwd`, and captures everything.
pub(crate) struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

pub(crate) fn fleetc(cwd: &Path, args: &[&str]) -> Run {
    let out: Output = Command::new(bin())
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", test_cache())
        .env_remove("FLEETC_DEBUG_RENDER")
        .output()
        .expect("run fleetc");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The cache folder the tests' fleetc keeps (the stat indexes of output
/// folders), inside `target/`, not the user's.
pub(crate) fn test_cache() -> PathBuf {
    repo().join("target/test-cache")
}

/// Every file under `dir`, relative, `/`-separated, with its bytes.
pub(crate) fn read_tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    if !dir.exists() {
        return out;
    }
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(dir).unwrap();
            let rel = rel.to_string_lossy().replace('\\', "/");
            out.insert(rel, std::fs::read(entry.path()).unwrap());
        }
    }
    out
}

/// Copies a folder tree.
pub(crate) fn copy_tree(from: &Path, to: &Path) {
    for (rel, bytes) in read_tree(from) {
        let dest = to.join(&rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(dest, bytes).unwrap();
    }
}

/// Runs fleetc with extra environment variables.
pub(crate) fn fleetc_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", test_cache());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run fleetc");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs the real git CLI; panics (with its stderr) when it fails.
pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `UPDATE_GOLDEN=1`: rewrite the golden files instead of comparing.
pub(crate) fn update_golden() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1")
}

/// A bare deploy repo, `root/deploy.git`, whose `main` holds files of
/// someone else's (a README and `docs/runbook.md`, pushed from
/// `root/seed`). Returns its path.
pub(crate) fn seed_deploy_repo(root: &Path) -> PathBuf {
    let deploy = root.join("deploy.git");
    git(
        root,
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            deploy.to_str().unwrap(),
        ],
    );
    let seed = root.join("seed");
    git(
        root,
        &[
            "clone",
            "-q",
            deploy.to_str().unwrap(),
            seed.to_str().unwrap(),
        ],
    );
    std::fs::write(seed.join("README.md"), "The fleet's deploy repo.\n").unwrap();
    std::fs::create_dir_all(seed.join("docs")).unwrap();
    std::fs::write(seed.join("docs/runbook.md"), "Page the platform team.\n").unwrap();
    git(&seed, &["add", "-A"]);
    git(&seed, &["commit", "-qm", "seed"]);
    git(&seed, &["push", "-q", "origin", "HEAD:main"]);
    deploy
}

/// Runs `git fsck --strict --no-progress` in `dir` (without the system git
/// config) and returns its output; callers assert on it.
pub(crate) fn fsck(dir: &Path) -> Output {
    Command::new("git")
        .args(["fsck", "--strict", "--no-progress"])
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap()
}

/// Folders a compile of `out` leaves beside it when killed (its lock file,
/// which stays by design, aside).
pub(crate) fn leftovers(out: &Path) -> Vec<String> {
    let prefix = format!(".{}.fleetc-", out.file_name().unwrap().to_string_lossy());
    std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&prefix) && !n.ends_with(".lock"))
        .collect()
}

/// The example fleet, `fixtures/example`.
pub(crate) fn example() -> PathBuf {
    repo().join("fixtures/example")
}

/// A copy of the example fleet, as `root/inventory`.
pub(crate) fn example_copy(root: &Path) -> PathBuf {
    let inv = root.join("inventory");
    copy_tree(&example(), &inv);
    inv
}

/// The deployment log on `rev` of the deploy repo `dir`, as one text: the
/// old single file, if any, then the entry files under `deployments/`.
pub(crate) fn deploy_log(dir: &Path, rev: &str) -> String {
    let listing = git(
        dir,
        &[
            "ls-tree",
            "-r",
            "--name-only",
            rev,
            "--",
            "deployments.jsonl",
            "deployments/",
        ],
    );
    let mut files: Vec<&str> = listing.lines().collect();
    // The old file first; entry files sort by name as by number.
    files.sort_by_key(|f| (*f != "deployments.jsonl", f.to_string()));
    files
        .iter()
        .map(|f| git(dir, &["show", &format!("{rev}:{f}")]))
        .collect()
}

/// A tool the tests run (helm, kubectl): from the environment variable
/// `env`, `target/tools/` (where `.ci/run` installs them), or the PATH;
/// the first that answers `version`.
pub(crate) fn tool(env: &str, name: &str, version: &[&str]) -> Option<PathBuf> {
    let candidates = [
        std::env::var_os(env).map(PathBuf::from),
        Some(repo().join("target/tools").join(name)),
        Some(PathBuf::from(name)),
    ];
    candidates.into_iter().flatten().find(|c| {
        Command::new(c)
            .args(version)
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// A test without its tool says SKIPPED, except where `.ci/run` set
/// `FLEETC_REQUIRE_TOOLS` after installing them: there it fails.
pub(crate) fn skipped(what: &str) {
    assert!(
        std::env::var_os("FLEETC_REQUIRE_TOOLS").is_none(),
        "FLEETC_REQUIRE_TOOLS is set, but there is no {what}"
    );
    println!(
        "SKIPPED: no {what} (run .ci/run to install it into target/tools, or set FLEETC_HELM / FLEETC_KUBECTL)"
    );
}

/// The example fleet as an inventory repository (`root/inventory`, one
/// commit on `main`), as a team keeps it.
pub(crate) fn example_inventory_repo(root: &Path) -> PathBuf {
    let inv = example_copy(root);
    git(&inv, &["init", "-q", "-b", "main"]);
    git(&inv, &["add", "-A"]);
    git(&inv, &["commit", "-qm", "inventory v1"]);
    inv
}
