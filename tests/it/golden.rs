//! Golden directories: `fixtures/<case>/` in, `golden/<case>/` (the rendered
//! tree) or `golden/<case>.stderr` (what `fleetc check` prints) out.
//!
//! `UPDATE_GOLDEN=1 cargo test` rewrites them; CI never sets it. Review a
//! rewrite with `git diff golden/` before committing it. A golden entry with
//! no fixture, or a golden file with no matching output, fails.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::{fleetc, read_tree, repo, update_golden};

fn cases() -> Vec<String> {
    crate::support::inventory_fixtures()
}

/// Compares two trees file by file; every difference is listed.
fn tree_differences(
    expected: &BTreeMap<String, Vec<u8>>,
    actual: &BTreeMap<String, Vec<u8>>,
) -> Vec<String> {
    let mut diffs = Vec::new();
    for (path, bytes) in expected {
        match actual.get(path) {
            None => diffs.push(format!("golden file `{path}` was not rendered")),
            Some(b) if b != bytes => diffs.push(format!(
                "`{path}` differs:\n--- golden\n{}\n--- rendered\n{}",
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(b)
            )),
            _ => {}
        }
    }
    for path in actual.keys() {
        if !expected.contains_key(path) {
            diffs.push(format!("rendered `{path}` has no golden file"));
        }
    }
    diffs
}

fn write_golden_tree(dir: &Path, tree: &BTreeMap<String, Vec<u8>>) {
    if dir.exists() {
        std::fs::remove_dir_all(dir).unwrap();
    }
    for (rel, bytes) in tree {
        let dest = dir.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(dest, bytes).unwrap();
    }
}

#[test]
fn every_fixture_matches_its_golden_output() {
    let golden = repo().join("golden");
    let mut failures = Vec::new();
    let mut ran = 0;
    for case in cases() {
        let fixture = repo().join("fixtures").join(&case);
        let tree_dir = golden.join(&case);
        let stderr_file = golden.join(format!("{case}.stderr"));
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let run = fleetc(&fixture, &["compile", "--out", out.to_str().unwrap()]);
        ran += 1;
        if run.status == 0 {
            let actual = read_tree(&out);
            if update_golden() {
                write_golden_tree(&tree_dir, &actual);
                let _ = std::fs::remove_file(&stderr_file);
                continue;
            }
            if stderr_file.exists() {
                failures.push(format!(
                    "{case}: compiled, but golden expects errors:\n{}",
                    std::fs::read_to_string(&stderr_file).unwrap()
                ));
                continue;
            }
            if !tree_dir.is_dir() {
                failures.push(format!(
                    "{case}: no golden/{case}/ (run with UPDATE_GOLDEN=1 and review)"
                ));
                continue;
            }
            for d in tree_differences(&read_tree(&tree_dir), &actual) {
                failures.push(format!("{case}: {d}"));
            }
        } else {
            // A failing compile writes nothing at all.
            if out.exists() {
                failures.push(format!(
                    "{case}: a failed compile created the output folder"
                ));
            }
            let check = fleetc(&fixture, &["check"]);
            if check.status != 1 || check.stderr != run.stderr {
                failures.push(format!(
                    "{case}: `check` (exit {}) and `compile` (exit {}) disagree:\n{}\n{}",
                    check.status, run.status, check.stderr, run.stderr
                ));
            }
            if update_golden() {
                std::fs::write(&stderr_file, &check.stderr).unwrap();
                if tree_dir.exists() {
                    std::fs::remove_dir_all(&tree_dir).unwrap();
                }
                continue;
            }
            match std::fs::read_to_string(&stderr_file) {
                Ok(expected) if expected == check.stderr => {}
                Ok(expected) => failures.push(format!(
                    "{case}: stderr differs\n--- golden\n{expected}\n--- actual\n{}",
                    check.stderr
                )),
                Err(_) => failures.push(format!(
                    "{case}: failed, and there is no golden/{case}.stderr:\n{}",
                    check.stderr
                )),
            }
        }
    }
    // Golden entries must belong to a fixture.
    let known = cases();
    for entry in std::fs::read_dir(&golden).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let case = name.strip_suffix(".stderr").unwrap_or(&name);
        // golden/commands/ holds the command snapshots (snapshots.rs).
        if name != "commands" && !known.iter().any(|c| c == case) {
            failures.push(format!("golden/{name} has no fixture"));
        }
    }
    println!("golden: {ran} fixtures compared");
    assert!(
        failures.is_empty(),
        "{} golden failure(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The error fixtures are one per class of problem; each must say where.
#[test]
fn every_error_names_a_file_and_most_a_line() {
    for case in cases().into_iter().filter(|c| c.starts_with("err-")) {
        let run = fleetc(&repo().join("fixtures").join(&case), &["check"]);
        assert_eq!(run.status, 1, "{case} should fail: {}", run.stderr);
        for line in run.stderr.lines().filter(|l| l.starts_with("error: ")) {
            if line.contains("problem") && line.contains("nothing was written") {
                continue;
            }
            let after = &line["error: ".len()..];
            let file = after.split(':').next().unwrap();
            // A file or folder of the fixture (a link counts as it is), or a
            // built-in template.
            let fixture = repo().join("fixtures").join(&case);
            let named = std::fs::symlink_metadata(fixture.join(file)).is_ok()
                || file.starts_with("<built-in>/");
            assert!(named, "{case}: error without a file: {line}");
        }
    }
}
