//! The removal guard (DESIGN §8): a pure verdict on a change set.
//!
//! A compile that would remove more than `max_share` of the Applications
//! that were rendered before, and at least `min_count` of them, or that would
//! empty a tree that was not empty, is refused unless the user allows it. A
//! recreation (a renamed Application) counts as a removal: Argo CD deletes
//! the live Application before it creates the new one.

use crate::check::Guard;
use crate::repo::diff::{Action, ChangeSet};

/// Why a compile with these changes must be refused, or `None`. `now`: how
/// many Applications the compile renders.
pub(crate) fn verdict(cs: &ChangeSet, now: usize, guard: &Guard) -> Option<String> {
    let counts = cs.counts();
    let before = (now + counts.removed).saturating_sub(counts.added);
    // The first ten Applications that go, named; built only on a refusal.
    let list = || {
        let gone = cs
            .applications()
            .filter(|i| matches!(i.action, Action::Removed | Action::Recreated));
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
    if now == 0 && before > 0 {
        return Some(format!(
            "this compile would remove all {before} Applications (the result is empty): {}",
            list()
        ));
    }
    let gone = counts.removed + counts.recreated;
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
