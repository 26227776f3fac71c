//! The removal guard (DESIGN §8): a pure verdict on a change set.
//!
//! A compile that would remove more than `max_share` of the Applications
//! that were rendered before, and at least `min_count` of them, or that would
//! empty a tree that was not empty, is refused unless the user allows it. A
//! recreation (a renamed Application) counts as a removal: Argo CD deletes
//! the live Application before it creates the new one.

use crate::check::Guard;
use crate::repo::diff::{Action, ChangeSet};

/// Why a compile with these changes must be refused, or `None`: the
/// removal guard's verdict ([`verdict`]) and how clusters leave
/// ([`departures`]), both when both refuse.
pub(crate) fn refusal(cs: &ChangeSet, c: &crate::pipeline::Compiled) -> Option<String> {
    let guard = verdict(cs, c.rendered.apps.len(), &c.inventory.settings.guard);
    match (guard, departures(cs, c)) {
        (Some(g), Some(d)) => Some(format!("{g}; and {d}")),
        (g, d) => g.or(d),
    }
}

/// Why a compile must be refused for how clusters leave, or `None`,
/// whatever the guard's floor:
/// - a cluster whose file is gone while the tree still holds its
///   Applications: its root Application leaves with them, so Argo CD
///   would delete nothing and the apps would keep running unmanaged;
/// - a cluster still in the inventory, not draining, that no policy
///   selects any more (its labels match nothing), and would lose its
///   Applications: a cluster leaves the fleet by draining.
pub(crate) fn departures(cs: &ChangeSet, c: &crate::pipeline::Compiled) -> Option<String> {
    use std::collections::BTreeMap;
    let inv = &c.inventory;
    // Cluster → how many of its Applications go.
    let mut gone: BTreeMap<&str, usize> = BTreeMap::new();
    for i in cs.applications().filter(|i| i.action == Action::Removed) {
        if let Some(cl) = i.cluster.as_deref() {
            *gone.entry(cl).or_default() += 1;
        }
    }
    // The clusters some policy (not an exclusion) still selects.
    let mut selected = vec![false; inv.clusters.len()];
    for (pi, clusters) in c.matrix.policy_clusters.iter().enumerate() {
        if !inv.policies[pi].exclude {
            for &(ci, _) in clusters {
                selected[ci] = true;
            }
        }
    }
    // (cluster, how many Applications it loses) of each kind.
    let mut removed: Vec<(&str, usize)> = Vec::new();
    let mut unselected: Vec<(&str, usize)> = Vec::new();
    for (cluster, n) in gone {
        match inv.cluster(cluster) {
            None => removed.push((cluster, n)),
            Some(ci)
                if !selected[ci]
                    && inv.clusters[ci].lifecycle == crate::check::Lifecycle::Active =>
            {
                unselected.push((cluster, n))
            }
            Some(_) => {}
        }
    }
    let named = |list: &[(&str, usize)]| {
        let mut names: Vec<String> = list
            .iter()
            .take(5)
            .map(|(c, n)| format!("`{c}` ({n} Application{})", if *n == 1 { "" } else { "s" }))
            .collect();
        if list.len() > 5 {
            names.push(format!("and {} more", list.len() - 5));
        }
        let (noun, verb) = match list.len() {
            1 => ("cluster", "is"),
            _ => ("clusters", "are"),
        };
        (format!("{noun} {}", names.join(", ")), verb)
    };
    let mut out = Vec::new();
    if !removed.is_empty() {
        let (names, verb) = named(&removed);
        let (its, it) = match removed.len() {
            1 => ("its", "its file"),
            _ => ("their", "each file"),
        };
        out.push(format!(
            "{names} {verb} no longer in the inventory, but the tree still holds {its} Applications: {its} root Application would be removed with them, so Argo CD would delete nothing and they would keep running, unmanaged. Put {it} back with `lifecycle: draining`, deploy, and remove it once the Applications are gone"
        ));
    }
    if !unselected.is_empty() {
        let (names, _) = named(&unselected);
        out.push(format!(
            "{names} would lose {} Applications: no policy selects {} any more. If it is leaving the fleet, set `lifecycle: draining` in its file, deploy, then change its labels; if not, check its labels",
            if unselected.len() == 1 { "its" } else { "their" },
            if unselected.len() == 1 { "it" } else { "them" },
        ));
    }
    (!out.is_empty()).then(|| out.join("; "))
}

/// Why a compile with these changes must be refused, or `None`. `now`: how
/// many Applications the compile renders.
pub(crate) fn verdict(cs: &ChangeSet, now: usize, guard: &Guard) -> Option<String> {
    let counts = cs.counts();
    let before = (now + counts.removed).saturating_sub(counts.added);
    // The first ten Applications that go, named; built only on a refusal.
    let list = || {
        let gone = cs
            .applications()
            .filter(|i| matches!(i.action, Action::Removed | Action::Recreated) && !i.drained);
        let mut s = String::new();
        let mut n = 0;
        for i in gone {
            if n < 10 {
                if n > 0 {
                    s.push_str(", ");
                }
                s.push_str(i.cluster.as_deref().unwrap_or("?"));
                s.push('/');
                s.push_str(i.app.as_deref().unwrap_or("?"));
                if i.action == Action::Recreated {
                    s.push_str(" (recreated)");
                }
            }
            n += 1;
        }
        if n > 10 {
            s.push_str(&format!(", and {} more", n - 10));
        }
        s
    };
    // Removals from a draining cluster are asked for, in a reviewed file.
    let drained = cs.applications().filter(|i| i.drained).count();
    if counts.removed + counts.recreated == drained {
        return None;
    }
    if now == 0 && before > 0 {
        return Some(format!(
            "this compile would remove all {before} Applications (the result is empty): {}",
            list()
        ));
    }
    let gone = counts.removed + counts.recreated - drained;
    let share = if before == 0 {
        0.0
    } else {
        gone as f64 / before as f64
    };
    if gone >= guard.min_count && share > guard.max_share {
        let recreated = if counts.recreated > 0 {
            format!(
                " ({} of them recreated under a new name: deleted, then created again)",
                counts.recreated
            )
        } else {
            String::new()
        };
        return Some(format!(
            "this compile would remove {gone} of {before} Applications{recreated} ({:.0}%), over the removal guard ({:.0}% and at least {}): {}",
            share * 100.0,
            guard.max_share * 100.0,
            guard.min_count,
            list()
        ));
    }
    None
}
