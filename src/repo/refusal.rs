//! Why the repository edge refused to write or commit: a change it judged
//! unsafe (mass removals), or a branch that moved or is locked. Nothing is
//! changed when it refuses.

use std::fmt;

use crate::base::error::Error;

/// Why fleetc refused to write or commit.
#[derive(Debug)]
pub enum Refusal {
    /// The removal guard's verdict; `committing`: to a branch, not a folder.
    Removals {
        /// The guard's verdict: how many Applications would go, and which.
        verdict: String,
        /// Whether it was committing to a branch (not writing a folder).
        committing: bool,
    },
    /// Someone moved the branch while fleetc compiled.
    BranchMoved {
        /// The deploy branch.
        branch: String,
        /// The commit the compile started from (short id), or `no commit`.
        was: String,
    },
    /// The branch's ref is locked (by git, or a killed fleetc).
    BranchLocked {
        /// The deploy branch.
        branch: String,
        /// The commit the compile started from (short id), or `no commit`.
        was: String,
        /// The lock file that exists (`<ref>.lock` in the repository).
        lock: String,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Removals { verdict, committing } => write!(
                f,
                "{verdict}; nothing was {}. If this is intended, run again with --allow-removals",
                if *committing { "committed" } else { "written" }
            ),
            Refusal::BranchMoved { branch, was } => write!(
                f,
                "branch `{branch}` moved while fleetc was compiling (it was at {was}); nothing was changed: run the compile again"
            ),
            Refusal::BranchLocked { branch, was, lock } => write!(
                f,
                "branch `{branch}` is locked: `{lock}` exists, so another git or fleetc is writing it (or one was killed while it did); nothing was changed (the branch is still at {was}). If none is running, remove `{lock}` and run the compile again"
            ),
        }
    }
}

impl std::error::Error for Refusal {}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Error {
        Error::Refused(Box::new(r))
    }
}
