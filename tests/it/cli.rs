//! The binary end to end: what a user runs, and what they would check after.

use std::process::{Command, Stdio};

use crate::kill::{fleetc_command, Schedule};
use crate::support::{copy_tree, example_copy, fleetc, fleetc_env, leftovers, read_tree, repo};

#[test]
fn compile_renders_the_example_and_a_second_run_is_a_noop() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let inv = repo().join("fixtures/example");
    let first = fleetc(&inv, &["compile", "--out", out.to_str().unwrap()]);
    assert_eq!(first.status, 0, "{}", first.stderr);
    assert!(
        first.stdout.contains("28 Applications on 6 clusters"),
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
    assert!(again.stdout.contains("ok: 18 files"), "{}", again.stdout);
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

    // Each round turns the folder from one tree into the other, and is
    // killed at a random moment over a whole compile (measured here), so
    // kills land before, during and after the swap.
    let mut when = Schedule::new(0x2545_f491_4f6c_dd1d);
    let invs = [&inv_a, &inv_b];
    let trees = [&tree_a, &tree_b];
    let mut at = 0; // the tree the folder holds
    for v in [1, 0] {
        assert_eq!(
            when.timed(|| fleetc(invs[v], &["compile", "--out", o]))
                .status,
            0
        );
        at = v;
    }
    let (mut stopped, mut swapped, mut finished) = (0, 0, 0);
    for _ in 0..40 {
        let to = 1 - at;
        let cmd = fleetc_command(invs[to], &["compile", "--out", o]);
        let (ended, delay) = when.kill(cmd);
        let was_killed = ended.killed();
        let tree = read_tree(&out);
        if &tree == trees[to] {
            at = to;
            if was_killed {
                swapped += 1;
            } else {
                finished += 1;
            }
        } else if &tree == trees[at] && was_killed {
            stopped += 1;
        } else {
            panic!(
                "after a kill at {delay:?} the folder is neither tree: {:#?}",
                tree.keys().collect::<Vec<_>>()
            );
        }
    }
    println!(
        "killed compiles: {stopped} stopped before the swap, {swapped} killed after it, \
         {finished} ended before their kill"
    );
    assert!(stopped > 0, "the kills never stopped a compile");
    assert!(
        swapped + finished > 0,
        "the kills never let a compile finish"
    );
    // A later compile cleans up whatever a killed one left beside the folder.
    assert_eq!(fleetc(&inv_a, &["compile", "--out", o]).status, 0);
    let left = leftovers(&out);
    assert!(left.is_empty(), "{left:?}");
}

/// A usage mistake is a user error (1), never 2: `diff --exit-code` and
/// `compile --check` use 2 to say "changes found", and CI tells them apart.
#[test]
fn usage_errors_exit_1_with_clap_s_message_and_help_exits_0() {
    let inv = repo().join("fixtures/example");
    for args in [
        &["compile"][..],
        &["--no-such-flag"],
        &["diff", "--format", "yaml", "--out", "x"],
        &["explain"],
        &[],
    ] {
        let run = fleetc(&inv, args);
        assert_eq!(run.status, 1, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
        assert!(
            run.stderr.starts_with("error: ") || run.stderr.contains("Usage: fleetc"),
            "{args:?}: {}",
            run.stderr
        );
    }
    for args in [&["--help"][..], &["compile", "--help"], &["--version"]] {
        let run = fleetc(&inv, args);
        assert_eq!(run.status, 0, "{args:?}: {}", run.stderr);
        assert!(run.stdout.contains("fleetc"), "{args:?}");
    }
}

/// `fleetc … | head`: when the reader of stdout has gone, every command ends
/// quietly, never with a panic, and with its own answer: 0 where it has
/// nothing to say, but "changes found" stays 2 and a halted rollout 3
/// (`set -o pipefail; fleetc diff --exit-code | head -1` must not pass a
/// CI gate that the same command without `head` fails; git's own
/// `diff --exit-code` keeps its answer through a closed pipe too).
#[test]
fn a_closed_stdout_ends_every_command_quietly_with_its_own_answer() {
    let tmp = tempfile::tempdir().unwrap();
    let inv = example_copy(tmp.path());
    let deploy = tmp.path().join("deploy");
    crate::support::git(tmp.path(), &["init", "-q", "--bare", "deploy"]);
    let d = deploy.to_str().unwrap();
    let commit = fleetc(&inv, &["compile", "--repo", d, "--commit"]);
    assert_eq!(commit.status, 0, "{}", commit.stderr);
    let out = tmp.path().join("out");
    let o = out.to_str().unwrap();
    let html = tmp.path().join("report.html");
    let h = html.to_str().unwrap();
    let empty = tmp.path().join("empty");
    let e = empty.to_str().unwrap();
    // Exports that hold none of the fleet's Applications: the gated
    // rollout's canary is unhealthy, so the rollout halts.
    let live = tmp.path().join("live");
    std::fs::create_dir(&live).unwrap();
    std::fs::write(live.join("argocd.json"), r#"{"items":[]}"#).unwrap();
    let l = live.to_str().unwrap();
    let answers: &[(&[&str], i32)] = &[
        (&["diff", "--out", e, "--exit-code"], 2),
        (&["diff", "--out", e, "--exit-code", "--format", "json"], 2),
        (&["compile", "--check", "--out", e], 2),
        (&["rollout", "status", "--from", l], 3),
    ];
    let commands: &[&[&str]] = &[
        &["check"],
        &["compile", "--out", o],
        &["compile", "--check", "--out", o],
        &["diff", "--repo", d],
        &["diff", "--out", o, "--format", "markdown"],
        &["diff", "--out", o, "--format", "json"],
        &["explain", "pos-api", "east-qld-brisbane-01"],
        &["explain", "pos-api", "--format", "json"],
        &["query", "matrix"],
        &[
            "query",
            "apps",
            "--cluster",
            "lab-sydney-01",
            "--format",
            "csv",
        ],
        &["query", "clusters", "--app", "app1", "--format", "json"],
        &["log", "--repo", d],
        &["report", "--html", h],
        &["schema"],
        &["completions", "bash"],
        &["--help"],
        &["--version"],
    ];
    let quiet = commands.iter().map(|args| (*args, 0));
    for (args, code) in quiet.chain(answers.iter().copied()) {
        // A pipe whose reading end is closed before fleetc writes a byte.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let run = Command::new(crate::support::bin())
            .args(args)
            .current_dir(&inv)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args:?}: {stderr}"
        );
    }
}

/// `depends_on` waits for health only with the argocd-cm health check for
/// Applications: `check` says so once, until fleetc.yaml says it is there.
#[test]
fn depends_on_without_the_application_health_check_is_noted_once() {
    let tmp = tempfile::tempdir().unwrap();
    let inv = example_copy(tmp.path());
    let run = fleetc(&inv, &["check"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("resource.customizations").count()
            + run
                .stderr
                .matches("health check for `argoproj.io/Application`")
                .count(),
        1,
        "{}",
        run.stderr
    );
    let settings = inv.join("fleetc.yaml");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(&settings, format!("{text}application_health_check: true\n")).unwrap();
    let run = fleetc(&inv, &["check"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        !run.stderr.contains("argoproj.io/Application"),
        "{}",
        run.stderr
    );
    // No dependency, no note.
    std::fs::write(&settings, text).unwrap();
    let pos = inv.join("apps/pos.yaml");
    let apps = std::fs::read_to_string(&pos)
        .unwrap()
        .replace("depends_on: [pos-api]\n", "");
    std::fs::write(&pos, apps).unwrap();
    let run = fleetc(&inv, &["check"]);
    assert!(
        !run.stderr.contains("argoproj.io/Application"),
        "{}",
        run.stderr
    );
}

/// The progress line is for people at a terminal: with `--quiet`, and
/// whenever stderr is not a terminal (a pipe, CI, a pre-commit hook),
/// stderr holds nothing but what the command says, and stdout never does.
/// On a terminal (script(1) gives one), a stage that ran long enough ends
/// by erasing its line; "long enough" is set to 0 ms here, so that nothing
/// depends on time.
#[test]
fn a_progress_line_only_on_a_terminal_and_not_with_quiet() {
    let inv = repo().join("fixtures/example");
    let piped = fleetc(&inv, &["check"]);
    assert_eq!(piped.status, 0);
    assert!(!piped.stderr.contains('\r'), "{:?}", piped.stderr);
    assert!(piped.stdout.starts_with("ok: "), "{}", piped.stdout);
    let bin = crate::support::bin();
    let on_terminal = |args: &str| {
        let out = Command::new("script")
            .args(["-qec", &format!("{} {args}", bin.display()), "/dev/null"])
            .current_dir(&inv)
            .env("FLEETC_PROGRESS_AFTER_MS", "0")
            .stdin(Stdio::null())
            .output()
            .ok()?;
        assert!(out.status.success(), "{out:?}");
        Some(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let Some(shown) = on_terminal("check") else {
        println!("SKIPPED: no script(1) to give fleetc a terminal");
        return;
    };
    assert!(shown.contains("\x1b[K"), "{shown:?}");
    assert!(shown.contains("ok: "), "{shown}");
    let quiet = on_terminal("--quiet check").unwrap();
    assert!(!quiet.contains("\x1b[K"), "{quiet:?}");
    assert!(quiet.contains("ok: "), "{quiet}");
}

/// `compile --out` of the inventory the folder was last compiled from
/// answers "up to date" from a stat of each of fleetc's files (an index in
/// the cache folder, never in the output); any doubt compiles: a file
/// edited by hand with its size and mtime kept, one removed, another
/// inventory, no cache folder at all.
#[test]
fn an_unchanged_output_folder_is_known_by_its_files_stats() {
    let tmp = tempfile::tempdir().unwrap();
    let (inv, cache, out) = (
        tmp.path().join("inv"),
        tmp.path().join("cache"),
        tmp.path().join("out"),
    );
    crate::support::copy_tree(&repo().join("fixtures/example"), &inv);
    let o = out.to_str().unwrap();
    let c = cache.to_str().unwrap();
    let compile = |extra: &[&str]| {
        let mut args = vec!["compile", "--out", o];
        args.extend_from_slice(extra);
        let env = [("XDG_CACHE_HOME", c), ("FLEETC_TIMINGS", "1")];
        let run = fleetc_env(&inv, &args, &env);
        assert!(run.status == 0 || run.status == 2, "{}", run.stderr);
        run
    };
    let indexed = "timing: the folder holds what this inventory compiled to";
    let first = compile(&[]);
    assert!(first.stdout.contains("written"), "{}", first.stdout);
    assert!(!first.stderr.contains(indexed));
    assert!(!out.join(".fleetc-index").exists());
    let tree = crate::support::read_tree(&out);
    // At once: the files are as young as the index, so each is checked
    // against its SHA-256 in the manifest.
    let again = compile(&[]);
    assert!(again.stderr.contains(indexed), "{}", again.stderr);
    assert!(again.stdout.ends_with(": up to date\n"), "{}", again.stdout);
    assert!(compile(&["--check"]).stdout.contains("is up to date"));

    // Edited by hand, same size, mtime put back: its change time tells.
    let app = out.join("clusters/lab-sydney-01/apps/app1.yaml");
    let mtime = std::fs::metadata(&app).unwrap().modified().unwrap();
    let text = std::fs::read_to_string(&app).unwrap();
    std::fs::write(&app, text.replacen("app1", "ppa1", 1)).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&app)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let check = compile(&["--check"]);
    assert_eq!(check.status, 2, "{}", check.stdout);
    let fixed = compile(&[]);
    assert!(!fixed.stderr.contains(indexed), "{}", fixed.stderr);
    assert!(fixed.stdout.contains("1 written"), "{}", fixed.stdout);
    assert_eq!(crate::support::read_tree(&out), tree);
    assert!(compile(&[]).stderr.contains(indexed));

    // Removed: written again.
    std::fs::remove_file(&app).unwrap();
    assert!(compile(&[]).stdout.contains("1 written"));
    assert_eq!(crate::support::read_tree(&out), tree);

    // Another inventory: compiled (and written).
    let pos = inv.join("apps/pos.yaml");
    let text = std::fs::read_to_string(&pos).unwrap();
    std::fs::write(&pos, text.replace("replicaCount: 2", "replicaCount: 3")).unwrap();
    let other = compile(&[]);
    assert!(!other.stderr.contains(indexed), "{}", other.stderr);
    assert!(!other.stdout.contains("up to date"), "{}", other.stdout);

    // No cache folder: every compile compiles, and says the same.
    let bare = |args: &[&str]| {
        let mut cmd = std::process::Command::new(crate::support::bin());
        cmd.args(args)
            .current_dir(&inv)
            .env_clear()
            .env("FLEETC_TIMINGS", "1");
        cmd.output().unwrap()
    };
    let plain = bare(&["compile", "--out", o]);
    assert!(plain.status.success());
    let plain = bare(&["compile", "--out", o]);
    assert!(!String::from_utf8_lossy(&plain.stderr).contains(indexed));
    assert!(String::from_utf8_lossy(&plain.stdout).contains("up to date"));
}
