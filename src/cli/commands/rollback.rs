//! `fleetc rollback NAME`: a ring rollout's rings back to the revision
//! they ran before it, as an edit of the inventory.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::emit;
use super::rollout_block::{find, set_in_rollout};
use crate::base::error::{Error, Result};
use crate::cli::args::RollbackArgs;
use crate::cli::progress::Progress;
use crate::cli::EXIT_OK;
use crate::pipeline::compile_keeping;
use crate::place::delivery::{self, Owner};
use crate::render::Keep;

pub(super) fn run(root: &Path, args: RollbackArgs) -> Result<i32> {
    let c = compile_keeping(root, Keep::Paths, &Progress)?;
    let inv = &c.inventory;
    let (owner, rollout, what) = find(inv, &args.name, args.app)?;
    // What the layers beneath the rollout give each of its pairs: what
    // the rings ran before it, and what the rings it has not reached run.
    let mut before: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut back: Vec<String> = Vec::new();
    for pair in &c.matrix.placed {
        if owner == Owner::App && inv.apps[pair.app].name != args.name {
            continue;
        }
        let Some(ring) = delivery::revision(inv, pair)
            .ring
            .filter(|r| r.owner == owner)
        else {
            continue;
        };
        let old = delivery::beneath(inv, pair, owner);
        let name = format!(
            "{}/{}",
            inv.clusters[pair.cluster].name, inv.apps[pair.app].name
        );
        if ring.reached && old != rollout.revision {
            back.push(name.clone());
        }
        before.entry(old).or_default().insert(name);
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
                "{what} cannot be rolled back to one revision: before it, its pairs ran {}; set `rollout.revision` by hand, or `fleetc promote {} --to {}` to take the later rings out",
                list.join("; "),
                args.name,
                rollout.order[0]
            )));
        }
    };
    if back.is_empty() {
        emit(&format!(
            "{what} has returned no ring to anything: its rings run {old} already; nothing to do\n"
        ))?;
        return Ok(EXIT_OK);
    }
    let clusters: BTreeSet<&str> = back.iter().filter_map(|p| p.split('/').next()).collect();
    let mut out = format!(
        "{what}: rolled back{}\n  {} → {old}: {} Application{} on {} cluster{} ({})\n",
        if args.dry_run {
            " (dry run: nothing edited)"
        } else {
            ""
        },
        rollout.revision,
        back.len(),
        if back.len() == 1 { "" } else { "s" },
        clusters.len(),
        if clusters.len() == 1 { "" } else { "s" },
        clusters.into_iter().collect::<Vec<_>>().join(", ")
    );
    if !args.dry_run {
        let file = set_in_rollout(root, rollout, &[], "revision", &old)?;
        set_in_rollout(root, rollout, &[], "promoted", &rollout.order[0])?;
        out.push_str(&format!(
            "edited {file}: rollout.revision: {old}, rollout.promoted: {}\nnext: review with `fleetc diff`, commit the inventory; the next compile deploys it. To roll forward again, set `rollout.revision` back to {}.\n",
            rollout.order[0], rollout.revision
        ));
    }
    emit(&out)?;
    Ok(EXIT_OK)
}
