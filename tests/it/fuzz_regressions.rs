//! The fuzzers' seeds and findings, replayed in-process: every file under
//! `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` goes through the
//! very function that the fuzz target `<target>` calls. That function is
//! `fuzz/src/harness.rs`, included here, so a test and its fuzz target
//! cannot drift apart. Each input must return (`Ok` or `Err`, both fine);
//! a panic is caught and reported with the file's name and the message, and
//! every input is tried before the test fails. See `fuzz/README.md`.

#[allow(unreachable_pub)]
#[path = "../../fuzz/src/harness.rs"]
mod harness;

use std::panic::{self, AssertUnwindSafe};

use crate::support::{read_tree, repo};

/// Feeds every input of `target` to `run`; fails listing each that panicked.
fn replay(target: &str, run: fn(&[u8])) {
    let fuzz = repo().join("fuzz");
    let mut inputs = Vec::new();
    for kind in ["corpus", "regressions"] {
        for (rel, bytes) in read_tree(&fuzz.join(kind).join(target)) {
            // `.gitkeep` and the like are not inputs.
            if !rel.split('/').any(|part| part.starts_with('.')) {
                inputs.push((format!("fuzz/{kind}/{target}/{rel}"), bytes));
            }
        }
    }
    assert!(
        inputs.iter().any(|(name, _)| name.contains("/corpus/")),
        "no seeds found under fuzz/corpus/{target}"
    );
    let mut panicked = Vec::new();
    for (name, bytes) in &inputs {
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| run(bytes))) {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(a panic without a message)".to_string());
            panicked.push(format!("{name}: {message}"));
        }
    }
    assert!(
        panicked.is_empty(),
        "{} of {} `{target}` inputs panicked:\n{}",
        panicked.len(),
        inputs.len(),
        panicked.join("\n")
    );
}

#[test]
fn loader_inputs_return() {
    replay("loader", |data| {
        let _ = harness::loader(data);
    });
}

#[test]
fn selector_inputs_return() {
    replay("selector", |data| {
        let _ = harness::selector(data);
    });
}

#[test]
fn expand_inputs_return() {
    replay("expand", |data| {
        let _ = harness::expand(data);
    });
}
