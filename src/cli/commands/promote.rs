//! `fleetc promote NAME [--to RING]`: a ring rollout's next step, as an
//! edit of the inventory that people review and commit like any other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{emit, unknown};
use crate::base::error::{Error, Result};
use crate::check::{Inventory, Rollout};
use crate::cli::args::PromoteArgs;
use crate::cli::progress::Progress;
use crate::cli::EXIT_OK;
use crate::pipeline::{compile_keeping, Compiled};
use crate::place::delivery::{self, Owner};
use crate::render::Keep;

pub(super) fn run(root: &Path, args: PromoteArgs) -> Result<i32> {
    let c = compile_keeping(root, Keep::Paths, &Progress)?;
    let inv = &c.inventory;
    let (owner, rollout, what) = find(inv, &args)?;
    let rings = delivery::rings(inv, &c.matrix, owner);
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
    for i in rollout.promoted + 1..target {
        out.push_str(&format!(
            "ring `{}` has no clusters: skipped\n",
            rollout.order[i]
        ));
    }
    if target == rollout.promoted {
        out.push_str(&format!(
            "{what} is already promoted to `{}`: nothing to do\n",
            rollout.order[target]
        ));
        emit(&out)?;
        return Ok(EXIT_OK);
    }
    let moved = moves(&c, owner, rollout, target);
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
        let file = edit(root, rollout, &rollout.order[target])?;
        out.push_str(&format!(
            "edited {file}: rollout.promoted: {}\nnext: review with `fleetc diff`, commit the inventory; the next compile deploys it\n",
            rollout.order[target]
        ));
    }
    emit(&out)?;
    Ok(EXIT_OK)
}

/// The rollout NAME declares, with its owner and a name for messages.
fn find<'a>(inv: &'a Inventory, args: &PromoteArgs) -> Result<(Owner, &'a Rollout, String)> {
    if args.app {
        let ai = inv
            .app(&args.name)
            .ok_or_else(|| unknown("app", &args.name, inv.apps.iter().map(|a| a.name.as_str())))?;
        let r = inv.apps[ai].rollout.as_ref().ok_or_else(|| {
            Error::Usage(format!("app `{}` has no `rollout` to promote", args.name))
        })?;
        return Ok((Owner::App, r, format!("the rollout of app `{}`", args.name)));
    }
    let Some(pi) = inv.policies.iter().position(|p| p.name == args.name) else {
        let with: Vec<&str> = inv
            .policies
            .iter()
            .filter(|p| p.rollout.is_some())
            .map(|p| p.name.as_str())
            .collect();
        let mut e = unknown("policy", &args.name, with.iter().copied());
        if inv
            .app(&args.name)
            .is_some_and(|a| inv.apps[a].rollout.is_some())
        {
            e = Error::Usage(format!(
                "no policy `{}`; app `{}` has a rollout: `fleetc promote --app {}`",
                args.name, args.name, args.name
            ));
        }
        return Err(e);
    };
    let r = inv.policies[pi].rollout.as_ref().ok_or_else(|| {
        Error::Usage(format!(
            "policy `{}` has no `rollout` to promote",
            args.name
        ))
    })?;
    Ok((
        Owner::Policy(pi),
        r,
        format!("the rollout of policy `{}`", args.name),
    ))
}

/// The Applications whose revision would change with the rollout at
/// `target`: (from, to) → (cluster, app).
fn moves(
    c: &Compiled,
    owner: Owner,
    rollout: &Rollout,
    target: usize,
) -> BTreeMap<(String, String), Vec<(String, String)>> {
    let inv = &c.inventory;
    let mut out: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
    for pair in &c.matrix.placed {
        let now = delivery::revision(inv, pair);
        let Some(ring) = now.ring.as_ref().filter(|r| r.owner == owner) else {
            continue;
        };
        if ring.reached == rollout.reached_at(ring.ring, target) {
            continue;
        }
        let waiting = delivery::beneath(inv, pair, owner);
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

/// Sets `rollout.promoted` in the file that declares the rollout, in
/// place: the edit is refused unless the file reads back as it was with
/// that one key set (see `edit`).
fn edit(root: &Path, rollout: &Rollout, ring: &str) -> Result<String> {
    let site = &rollout.site;
    let shown = site.file.display().to_string();
    let json = site
        .file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    crate::repo::output::edit_inventory_file(root, &site.file, |text| {
        crate::base::edit::set_string(text, json, site.doc, &["rollout"], "promoted", ring)
            .map_err(|e| Error::Usage(format!("{shown}: cannot set `rollout.promoted`: {e}")))
    })?;
    Ok(shown)
}
