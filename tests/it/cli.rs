//! The binary end to end: what a user runs, and what they would check after.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::{copy_tree, fleetc, read_tree, repo};

fn example_copy(dir: &Path) -> std::path::PathBuf {
    let inv = dir.join("inventory");
    copy_tree(&repo().join("fixtures/example"), &inv);
    inv
}

#[test]
fn compile_renders_the_example_and_a_second_run_is_a_noop() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let inv = repo().join("fixtures/example");
    let first = fleetc(&inv, &["compile", "--out", out.to_str().unwrap()]);
    assert_eq!(first.status, 0, "{}", first.stderr);
    assert!(
        first.stdout.contains("25 Applications on 6 clusters"),
        "{}",
        first.stdout
    );
    let app = out.join("clusters/east-qld-brisbane-01/apps/pos-api.yaml");
    let before = std::fs::metadata(&app).unwrap().modified().unwrap();

    let second = fleetc(&inv, &["compile", "--out", out.to_str().unwrap()]);
    assert_eq!(second.status, 0, "{}", second.stderr);
    assert!(second.stdout.contains("up to date"), "{}", second.stdout);
    assert_eq!(
        std::fs::metadata(&app).unwrap().modified().unwrap(),
        before,
        "a no-op compile rewrote a file"
    );
}

#[test]
fn compile_keeps_foreign_files_and_removes_what_it_no_longer_renders() {
    let tmp = tempfile::tempdir().unwrap();
    let inv = example_copy(tmp.path());
    let out = tmp.path().join("out");
    let o = out.to_str().unwrap();
    assert_eq!(fleetc(&inv, &["compile", "--out", o]).status, 0);

    // Files of the user's own, at the top and inside fleetc's folders.
    std::fs::write(out.join("README.md"), "deploy repo\n").unwrap();
    std::fs::write(out.join("clusters/NOTES.txt"), "notes\n").unwrap();
    #[cfg(unix)]
    let inode = {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(out.join("README.md")).unwrap().ino()
    };

    // The payments apps leave the fleet.
    std::fs::remove_file(inv.join("policies/payments.yaml")).unwrap();
    let run = fleetc(&inv, &["compile", "--out", o]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let tree = read_tree(&out);
    assert!(
        !tree
            .keys()
            .any(|p| p.contains("pos-api") || p.contains("pos-worker")),
        "{:#?}",
        tree.keys()
    );
    assert!(
        !tree.keys().any(|p| p.contains("projects/payments")),
        "stale AppProject kept"
    );
    assert!(tree.contains_key("clusters/east-qld-brisbane-01/apps/app1.yaml"));
    assert_eq!(tree["README.md"], b"deploy repo\n");
    assert_eq!(tree["clusters/NOTES.txt"], b"notes\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        assert_eq!(
            std::fs::metadata(out.join("README.md")).unwrap().ino(),
            inode,
            "a foreign file was rewritten"
        );
    }
    let manifest = String::from_utf8(tree[".fleetc-manifest"].clone()).unwrap();
    assert!(!manifest.contains("README.md") && !manifest.contains("NOTES.txt"));
    assert!(run.stdout.contains("removed"), "{}", run.stdout);
}

#[test]
fn a_broken_inventory_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let inv = example_copy(tmp.path());
    let out = tmp.path().join("out");
    let o = out.to_str().unwrap();
    assert_eq!(fleetc(&inv, &["compile", "--out", o]).status, 0);
    let before = read_tree(&out);

    std::fs::write(
        inv.join("apps/broken.yaml"),
        "name: broken\nrepo_url: x\nrepo_path: y\nnamespace: nobody\n",
    )
    .unwrap();
    let run = fleetc(&inv, &["compile", "--out", o]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr
            .contains("apps/broken.yaml:4: app `broken` names namespace `nobody`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was written"));
    assert_eq!(read_tree(&out), before, "the old tree changed");

    // `check` never writes, not even into the inventory.
    let inv_before = read_tree(&inv);
    assert_eq!(fleetc(&inv, &["check"]).status, 1);
    assert_eq!(read_tree(&inv), inv_before);
}

#[test]
fn output_is_byte_identical_wherever_it_is_compiled() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let inv_a = example_copy(a.path());
    // The second copy is made in reverse file order, at another path.
    let inv_b = b.path().join("somewhere/else/inventory");
    let files: Vec<_> = read_tree(&repo().join("fixtures/example"))
        .into_iter()
        .rev()
        .collect();
    for (rel, bytes) in files {
        let dest = inv_b.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(dest, bytes).unwrap();
    }
    let (out_a, out_b) = (a.path().join("out"), b.path().join("out"));
    assert_eq!(
        fleetc(&inv_a, &["compile", "--out", out_a.to_str().unwrap()]).status,
        0
    );
    assert_eq!(
        fleetc(&inv_b, &["compile", "--out", out_b.to_str().unwrap()]).status,
        0
    );
    assert_eq!(read_tree(&out_a), read_tree(&out_b));
}

#[test]
fn refuses_to_write_over_the_inventory() {
    let tmp = tempfile::tempdir().unwrap();
    let inv = example_copy(tmp.path());
    let before = read_tree(&inv);
    for target in [".", ".."] {
        let run = fleetc(&inv, &["compile", "--out", target]);
        assert_eq!(run.status, 1, "{target}");
        assert!(run.stderr.contains("holds the inventory"), "{}", run.stderr);
    }
    assert_eq!(read_tree(&inv), before);
}

#[test]
fn rendered_output_inside_the_inventory_is_not_read_back() {
    let tmp = tempfile::tempdir().unwrap();
    let inv = example_copy(tmp.path());
    assert_eq!(fleetc(&inv, &["compile", "--out", "rendered"]).status, 0);
    let again = fleetc(&inv, &["check"]);
    assert_eq!(again.status, 0, "{}", again.stderr);
    assert!(again.stdout.contains("ok: 17 files"), "{}", again.stdout);
}

/// A compile killed at any moment leaves the old tree or the new one.
#[test]
fn a_killed_compile_leaves_the_old_tree_or_the_new_one() {
    let tmp = tempfile::tempdir().unwrap();
    let inv_a = example_copy(tmp.path());
    let inv_b = tmp.path().join("inventory-b");
    copy_tree(&inv_a, &inv_b);
    std::fs::remove_file(inv_b.join("policies/agents.yaml")).unwrap();
    let out = tmp.path().join("out");
    let o = out.to_str().unwrap();

    // The two trees a reader may see.
    assert_eq!(fleetc(&inv_b, &["compile", "--out", o]).status, 0);
    let tree_b = read_tree(&out);
    assert_eq!(fleetc(&inv_a, &["compile", "--out", o]).status, 0);
    let tree_a = read_tree(&out);
    assert_ne!(tree_a, tree_b);

    // Kill times spread over a whole compile, measured here, so kills land
    // before, during and after the swap.
    let started = std::time::Instant::now();
    assert_eq!(fleetc(&inv_b, &["compile", "--out", o]).status, 0);
    assert_eq!(fleetc(&inv_a, &["compile", "--out", o]).status, 0);
    let span = (started.elapsed().as_micros() as u64 / 2).max(1_000) * 5 / 4;
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let (mut saw_a, mut saw_b, mut interrupted) = (0, 0, 0);
    for i in 0..40 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = std::time::Duration::from_micros(seed % span);
        let inv = if i % 2 == 0 { &inv_b } else { &inv_a };
        let mut child = Command::new(env!("CARGO_BIN_EXE_fleetc"))
            .args(["compile", "--out", o])
            .current_dir(inv)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        let tree = read_tree(&out);
        let wanted = if i % 2 == 0 { &tree_b } else { &tree_a };
        if &tree != wanted {
            interrupted += 1;
        }
        if tree == tree_a {
            saw_a += 1;
        } else if tree == tree_b {
            saw_b += 1;
        } else {
            panic!(
                "after a kill at {delay:?} the folder is neither tree: {:#?}",
                tree.keys().collect::<Vec<_>>()
            );
        }
    }
    println!("killed compiles: tree A seen {saw_a} times, tree B {saw_b} times, {interrupted} stopped before the swap");
    assert!(
        saw_a > 0 && saw_b > 0,
        "the kills never let a compile finish"
    );
    assert!(interrupted > 0, "the kills never stopped a compile");
    // A later compile cleans up whatever a killed one left beside the folder.
    assert_eq!(fleetc(&inv_a, &["compile", "--out", o]).status, 0);
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".out.fleetc-") && !n.ends_with(".lock"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
