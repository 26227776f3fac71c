//! A ring rollout's block in the inventory, for `promote`, `rollback` and
//! `rollout status`: found by the name on the command line, edited in
//! place, and the sync windows that keep its next ring from syncing.

use std::path::Path;

use super::unknown;
use crate::base::error::{Error, Result};
use crate::check::{Inventory, Rollout};
use crate::pipeline::Compiled;
use crate::place::delivery::Owner;
use crate::place::windows::Closed;

/// The rollout NAME declares, with its owner and a name for messages.
pub(super) fn find<'a>(
    inv: &'a Inventory,
    name: &str,
    app: bool,
) -> Result<(Owner, &'a Rollout, String)> {
    if app {
        let ai = inv
            .app(name)
            .ok_or_else(|| unknown("app", name, inv.apps.iter().map(|a| a.name.as_str())))?;
        let r = inv.apps[ai]
            .rollout
            .as_ref()
            .ok_or_else(|| Error::Usage(format!("app `{name}` has no `rollout`")))?;
        return Ok((Owner::App, r, format!("the rollout of app `{name}`")));
    }
    let args_name = name;
    let Some(pi) = inv.policies.iter().position(|p| p.name == args_name) else {
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
    Ok((
        Owner::Policy(pi),
        r,
        format!("the rollout of policy `{name}`"),
    ))
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

/// Sets `key: value` in the rollout's block (or a mapping `under` it,
/// made when missing), in place (see [`crate::base::edit`]).
pub(super) fn set_in_rollout(
    root: &Path,
    rollout: &Rollout,
    under: &[&str],
    key: &str,
    value: &str,
) -> Result<String> {
    let site = &rollout.site;
    let shown = site.file.display().to_string();
    let json = site
        .file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let full = ["rollout"]
        .iter()
        .chain(under)
        .chain([&key])
        .copied()
        .collect::<Vec<_>>()
        .join(".");
    let refused = |e: String| Error::Usage(format!("{shown}: cannot set `{full}`: {e}"));
    crate::repo::output::edit_inventory_file(root, &site.file, |text| {
        let mut text = text.to_string();
        let mut path = vec!["rollout"];
        for m in under {
            text = crate::base::edit::ensure_mapping(&text, json, site.doc, &path, m)
                .map_err(refused)?;
            path.push(m);
        }
        crate::base::edit::set_string(&text, json, site.doc, &path, key, value).map_err(refused)
    })?;
    Ok(shown)
}
