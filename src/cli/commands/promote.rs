//! `fleetc promote NAME [--to RING]`: a ring rollout's next step, as an
//! edit of the inventory that people review and commit like any other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::emit;
use super::rollout_block::{edit_rollout, find, forced_after, RolloutEdit};
use crate::base::error::{Error, Result};
use crate::check::Rollout;
use crate::cli::args::PromoteArgs;
use crate::cli::progress::Progress;
use crate::cli::EXIT_OK;
use crate::live::rollout::Verdict;
use crate::pipeline::{compile_keeping, Compiled};
use crate::place::delivery::{self, Decided, RolloutId};
use crate::render::Keep;

pub(super) fn run(root: &Path, args: PromoteArgs) -> Result<i32> {
    let keep = if args.live.from.is_empty() {
        Keep::Paths
    } else {
        Keep::Texts
    };
    let c = compile_keeping(root, keep, &Progress)?;
    let inv = &c.inventory;
    let (id, rollout, what) = find(inv, &args.name, args.app)?;
    let decided = delivery::decided(inv, &c.matrix, id);
    let rings = delivery::rings(&decided);
    let last = rollout.order.len() - 1;
    let target = match &args.to {
        Some(ring) => rollout
            .order
            .iter()
            .position(|r| r == ring)
            .ok_or_else(|| {
                let names: Vec<&str> = rollout.order.iter().map(String::as_str).collect();
                Error::Usage(format!(
                    "{what} has no ring `{ring}`; its rings are {}{}",
                    names.join(", "),
                    crate::base::suggest::hint(ring, &names)
                        .map(|h| format!("; {h}"))
                        .unwrap_or_default()
                ))
            })?,
        None if rollout.promoted == last => {
            emit(&format!(
                "{what} is at its last ring, `{}`: every ring has {}. To finish it, make {} the app's revision (`repo_branch`) and remove the rollout.\n",
                rollout.order[last], rollout.revision, rollout.revision
            ))?;
            return Ok(EXIT_OK);
        }
        // The next ring with clusters; the last ring also takes the
        // clusters with no ring.
        None => (rollout.promoted + 1..=last)
            .find(|&i| rings.contains_key(&Some(i)) || (i == last && rings.contains_key(&None)))
            .unwrap_or(last),
    };
    let mut out = String::new();
    // The rings `--to` passes over on the way forward: an empty one is
    // skipped, one with clusters moves with the target (and is named, as
    // its clusters are in the list of moves below).
    for i in rollout.promoted + 1..target {
        let ring = &rollout.order[i];
        out.push_str(&if rings.contains_key(&Some(i)) {
            format!(
                "ring `{ring}` is promoted on the way to `{}`\n",
                rollout.order[target]
            )
        } else {
            format!("ring `{ring}` has no clusters: skipped\n")
        });
    }
    if target == rollout.promoted {
        out.push_str(&format!(
            "{what} is already promoted to `{}`: nothing to do\n",
            rollout.order[target]
        ));
        emit(&out)?;
        return Ok(EXIT_OK);
    }
    let forced = if target > rollout.promoted {
        gate(&c, &args, id, &decided, rollout, &what, &mut out)?
    } else {
        None
    };
    let moved = moves(&c, id, &decided, rollout, target);
    let verb = if target > rollout.promoted {
        "promoted"
    } else {
        "rolled back"
    };
    out.push_str(&format!(
        "{what}: {verb} from `{}` to `{}`{}\n",
        rollout.order[rollout.promoted],
        rollout.order[target],
        if args.dry_run {
            " (dry run: nothing edited)"
        } else {
            ""
        }
    ));
    if moved.is_empty() {
        out.push_str("  no Application changes revision\n");
    }
    for ((from, to), pairs) in &moved {
        let clusters: BTreeSet<&str> = pairs.iter().map(|(c, _)| c.as_str()).collect();
        out.push_str(&format!(
            "  {from} → {to}: {} Application{} on {} cluster{} ({})\n",
            pairs.len(),
            if pairs.len() == 1 { "" } else { "s" },
            clusters.len(),
            if clusters.len() == 1 { "" } else { "s" },
            clusters.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    if !args.dry_run {
        let file = edit_rollout(
            root,
            rollout,
            &RolloutEdit {
                set: vec![("promoted", &rollout.order[target])],
                forced: forced_after(rollout, target, forced.as_deref()),
            },
        )?;
        out.push_str(&format!(
            "edited {file}: rollout.promoted: {}\nnext: review with `fleetc diff`, commit the inventory; the next compile deploys it\n",
            rollout.order[target]
        ));
    }
    emit(&out)?;
    Ok(EXIT_OK)
}

/// Checks the rollout's gate before a step forward: `Ok(None)` to go on,
/// `Ok(Some(reason))` to go on past it (`--force`), or the refusal naming
/// the pairs that hold it back.
fn gate(
    c: &Compiled,
    args: &PromoteArgs,
    id: RolloutId,
    decided: &[Decided],
    rollout: &Rollout,
    what: &str,
    out: &mut String,
) -> Result<Option<String>> {
    // The reason is recorded only where --force passes what would refuse.
    let forced = || Ok(args.reason.clone().filter(|_| args.force));
    let Some(st) = super::live_status(c, &args.live)? else {
        return match &rollout.gate {
            Some(g) if !args.force => Err(Error::Usage(format!(
                "{what} has a gate (soak {}, max_unhealthy {}): give Argo CD's exports with `--from LIVE` so that fleetc can check the rings promoted so far, or pass the gate with `--force --reason TEXT`",
                crate::live::status::age(g.soak_seconds),
                g.max_unhealthy
            ))),
            Some(_) => forced(),
            None => Ok(None),
        };
    };
    let now = super::now(&args.live)?;
    let windows = super::rollout_block::windows(c, now);
    let rows = crate::live::rollout::Rows::new(&st);
    let of = crate::live::rollout::Subject {
        id,
        name: &args.name,
        rollout,
        decided,
    };
    let live = crate::live::rollout::judge(&c.inventory, &rows, &of, now, &windows);
    match live.verdict {
        Verdict::Promote | Verdict::Done => Ok(None),
        Verdict::Wait if live.holders().is_empty() => {
            // Only a window keeps the next ring closed: the edit may land;
            // Argo CD syncs it when the window opens.
            out.push_str(&format!("note: {}\n", live.reason));
            Ok(None)
        }
        _ if args.force => {
            out.push_str(&format!(
                "passing the gate (--force): {}\n",
                live.verdict_line()
            ));
            forced()
        }
        v => {
            let mut m = format!(
                "{what} may not be promoted: {}\n  held back by:",
                live.verdict_line()
            );
            for p in live.holders() {
                m.push_str(&format!(
                    "\n    {}/{}: {} {} ({})",
                    p.cluster,
                    p.app,
                    p.status.word(),
                    p.health.as_deref().unwrap_or("-"),
                    p.why
                ));
            }
            m.push_str(if v == Verdict::Halt {
                "\n  see `fleetc rollout status`; to pass the gate anyway: --force --reason TEXT"
            } else {
                "\n  run it again later (`fleetc rollout status` says how long), or pass the gate with --force --reason TEXT"
            });
            Err(Error::Refused(m.into()))
        }
    }
}

/// The Applications whose revision would change with the rollout at
/// `target`: (from, to) → (cluster, app).
fn moves(
    c: &Compiled,
    id: RolloutId,
    decided: &[Decided],
    rollout: &Rollout,
    target: usize,
) -> BTreeMap<(String, String), Vec<(String, String)>> {
    let inv = &c.inventory;
    let mut out: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
    for (pair, _, ring) in decided {
        if ring.reached == rollout.reached_at(ring.ring, target) {
            continue;
        }
        let waiting = delivery::beneath(inv, pair, id.owner);
        let (from, to) = if ring.reached {
            (rollout.revision.clone(), waiting)
        } else {
            (waiting, rollout.revision.clone())
        };
        if from != to {
            out.entry((from, to)).or_default().push((
                inv.clusters[pair.cluster].name.clone(),
                inv.apps[pair.app].name.clone(),
            ));
        }
    }
    out
}
