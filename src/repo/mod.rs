//! The repository edge: everything fleetc writes, and the deploy branch it
//! commits to. The rendered tree compared with what is there ([`diff`]),
//! the guard against mass removals, output folders ([`output`]), git
//! ([`git`]), the records of renders kept in the branch ([`cache`]) and the
//! deployment log ([`deploylog`]); and why it refuses ([`refusal`]). Side effects on disk and in git live
//! here and nowhere below.

pub(crate) mod cache;
pub(crate) mod deploylog;
pub(crate) mod diff;
pub(crate) mod git;
pub(crate) mod guard;
pub(crate) mod output;
mod pack;
pub(crate) mod refusal;
