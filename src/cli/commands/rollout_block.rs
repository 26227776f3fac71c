//! A ring rollout's block in the inventory, for `promote`, `rollback` and
//! `rollout status`: found by the name on the command line, edited in
//! place, and the sync windows that keep its next ring from syncing.

use std::path::Path;

use super::unknown;
use crate::base::error::{Error, Result};
use crate::check::{Inventory, Rollout};
use crate::pipeline::Compiled;
use crate::place::delivery::{Owner, RolloutId};
use crate::place::windows::Closed;

/// The rollout NAME declares (an app's with `app`), with a name for
/// messages.
pub(super) fn find<'a>(
    inv: &'a Inventory,
    name: &str,
    app: bool,
) -> Result<(RolloutId, &'a Rollout, String)> {
    if app {
        let ai = inv
            .app(name)
            .ok_or_else(|| unknown("app", name, inv.apps.iter().map(|a| a.name.as_str())))?;
        let r = inv.apps[ai]
            .rollout
            .as_ref()
            .ok_or_else(|| Error::Usage(format!("app `{name}` has no `rollout`")))?;
        let id = RolloutId {
            owner: Owner::App,
            app: Some(ai),
        };
        return Ok((id, r, format!("the rollout of app `{name}`")));
    }
    let Some(pi) = inv.policies.iter().position(|p| p.name == name) else {
        let with: Vec<&str> = inv
            .policies
            .iter()
            .filter(|p| p.rollout.is_some())
            .map(|p| p.name.as_str())
            .collect();
        let mut e = unknown("policy", name, with.iter().copied());
        if inv.app(name).is_some_and(|a| inv.apps[a].rollout.is_some()) {
            e = Error::Usage(format!(
                "no policy `{name}`; app `{name}` has a rollout: add `--app`"
            ));
        }
        return Err(e);
    };
    let r = inv.policies[pi]
        .rollout
        .as_ref()
        .ok_or_else(|| Error::Usage(format!("policy `{name}` has no `rollout`")))?;
    let id = RolloutId {
        owner: Owner::Policy(pi),
        app: None,
    };
    Ok((id, r, format!("the rollout of policy `{name}`")))
}

/// Which of a pair's sync windows keep it from syncing at `now`, and
/// when they open.
pub(super) fn windows(c: &Compiled, now: i64) -> impl Fn(usize, usize) -> Option<Closed> + '_ {
    move |ci, ai| {
        let name = c
            .rendered
            .apps
            .binary_search_by(|r| (r.cluster, r.app).cmp(&(ci, ai)))
            .ok()
            .map_or("", |i| c.rendered.apps[i].name.as_str());
        crate::place::windows::closed(&c.inventory, ci, ai, name, now)
    }
}

/// What an edit of a rollout's block sets: string keys, and the whole
/// `forced` mapping (ring → reason) when it changes.
#[derive(Default)]
pub(super) struct RolloutEdit<'a> {
    pub set: Vec<(&'static str, &'a str)>,
    pub forced: Option<Vec<(String, String)>>,
}

/// Makes `edit` in the rollout's block, in place and in one write of its
/// file (see [`crate::base::edit`]): all of it, or nothing.
pub(super) fn edit_rollout(root: &Path, rollout: &Rollout, edit: &RolloutEdit) -> Result<String> {
    let site = &rollout.site;
    let shown = site.file.display().to_string();
    let json = site
        .file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let refused =
        |key: &str, e: String| Error::Usage(format!("{shown}: cannot set `rollout.{key}`: {e}"));
    crate::repo::output::edit_inventory_file(root, &site.file, |text| {
        let mut text = text.to_string();
        for (key, value) in &edit.set {
            text = crate::base::edit::set_string(&text, json, site.doc, &["rollout"], key, value)
                .map_err(|e| refused(key, e))?;
        }
        if let Some(entries) = &edit.forced {
            text = crate::base::edit::set_mapping(
                &text,
                json,
                site.doc,
                &["rollout"],
                "forced",
                entries,
            )
            .map_err(|e| refused("forced", e))?;
        }
        Ok(text)
    })?;
    Ok(shown)
}

/// The rollout's `forced` after a step to ring index `to`: what a step
/// passes the gate for (`reason`, with `--force`) is recorded for `to`;
/// the entries of the rings the step moves into or out of otherwise go
/// (their reason was for an earlier step). `None`: no change.
pub(super) fn forced_after(
    rollout: &Rollout,
    to: usize,
    reason: Option<&str>,
) -> Option<Vec<(String, String)>> {
    let (lo, hi) = (rollout.promoted.min(to), rollout.promoted.max(to));
    let mut entries: Vec<(String, String)> = rollout
        .order
        .iter()
        .enumerate()
        .filter(|(i, _)| !(lo < *i && *i <= hi))
        .filter_map(|(_, ring)| Some((ring.clone(), rollout.forced.get(ring)?.clone())))
        .collect();
    if let Some(r) = reason {
        entries.push((rollout.order[to].clone(), r.to_string()));
    }
    let before: Vec<(&String, &String)> = rollout.forced.iter().collect();
    let after: Vec<(&String, &String)> = entries.iter().map(|(k, v)| (k, v)).collect();
    let same = before.len() == after.len() && after.iter().all(|e| before.contains(e));
    (!same).then_some(entries)
}
