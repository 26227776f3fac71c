//! `fleetc rollback NAME`: a ring rollout's rings back to the revision
//! they ran before it, as an edit of the inventory.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::emit;
use super::rollout_block::{edit_rollout, find, RolloutEdit};
use crate::base::error::{Error, Result};
use crate::cli::args::RollbackArgs;
use crate::cli::progress::Progress;
use crate::cli::EXIT_OK;
use crate::pipeline::compile_keeping;
use crate::place::delivery;
use crate::render::Keep;

pub(super) fn run(root: &Path, args: RollbackArgs) -> Result<i32> {
    let c = compile_keeping(root, Keep::Paths, &Progress)?;
    let inv = &c.inventory;
    let (id, rollout, what) = find(inv, &args.name, args.app)?;
    // What the layers beneath the rollout give each of its pairs: what
    // the rings ran before it, and what the rings it has not reached run.
    let mut before: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // The clusters whose Applications return to the old revision.
    let mut back: BTreeSet<usize> = BTreeSet::new();
    let mut moved = 0;
    for (pair, _, ring) in delivery::decided(inv, &c.matrix, id) {
        let old = delivery::beneath(inv, pair, id.owner);
        if ring.reached && old != rollout.revision {
            back.insert(pair.cluster);
            moved += 1;
        }
        before.entry(old).or_default().insert(format!(
            "{}/{}",
            inv.clusters[pair.cluster].name, inv.apps[pair.app].name
        ));
    }
    let old = match before.len() {
        0 => {
            return Err(Error::Usage(format!(
                "{what} decides no Application's revision: there is nothing to roll back"
            )))
        }
        1 => before.keys().next().cloned().unwrap_or_default(),
        _ => {
            let list: Vec<String> = before
                .iter()
                .map(|(rev, pairs)| {
                    format!(
                        "{rev} ({})",
                        pairs.iter().cloned().collect::<Vec<_>>().join(", ")
                    )
                })
                .collect();
            return Err(Error::Usage(format!(
                "{what} cannot be rolled back to one revision: before it, its pairs ran {}; set `rollout.revision` by hand, or `fleetc promote {}{} --to {}` to take the later rings out",
                list.join("; "),
                args.name,
                if args.app { " --app" } else { "" },
                rollout.order[0]
            )));
        }
    };
    if moved == 0 {
        emit(&format!(
            "{what}: nothing to roll back: its rings run {old} already\n"
        ))?;
        return Ok(EXIT_OK);
    }
    let clusters: Vec<&str> = back
        .iter()
        .map(|&ci| inv.clusters[ci].name.as_str())
        .collect();
    let mut out = format!(
        "{what}: rolled back{}\n  {} → {old}: {moved} Application{} on {} cluster{} ({})\n",
        if args.dry_run {
            " (dry run: nothing edited)"
        } else {
            ""
        },
        rollout.revision,
        if moved == 1 { "" } else { "s" },
        clusters.len(),
        if clusters.len() == 1 { "" } else { "s" },
        clusters.join(", ")
    );
    if !args.dry_run {
        // Back to the first ring: the reasons of forced steps go too.
        let file = edit_rollout(
            root,
            rollout,
            &RolloutEdit {
                set: vec![("revision", &old), ("promoted", &rollout.order[0])],
                forced: (!rollout.forced.is_empty()).then(Vec::new),
            },
        )?;
        out.push_str(&format!(
            "edited {file}: rollout.revision: {old}, rollout.promoted: {}\nnext: review with `fleetc diff`, commit the inventory; the next compile deploys it. To roll forward again, set `rollout.revision` back to {}.\n",
            rollout.order[0], rollout.revision
        ));
    }
    emit(&out)?;
    Ok(EXIT_OK)
}
