//! fleetc compiles a GitOps fleet.
//!
//! ```text
//!  inventory ─load──▶ Loaded ─check──▶ Inventory ─place──▶ Matrix, Plan ─merge, render──▶ Rendered
//!  (YAML, JSON)  load/      (raw)    check/  (checked)  place/  (pairs,   merge.rs, render/   (files)
//!                                                               rings)
//!            ╰──────────────────────────── pipeline::compile ───────────────────────────────╯
//!
//!  Rendered ─▶ Tree ─┬─ diff ──▶ ChangeSet ─▶ text | Markdown | JSON         (fleetc diff)
//!              repo/ ├─ guard ─▶ refuse mass removals
//!                    ├─ output ─▶ --out DIR, atomically                      (fleetc compile --out)
//!                    └─ git ───▶ a commit on the deploy branch,              (fleetc compile --repo)
//!                         with deploylog's entry appended                    (fleetc log)
//!  Argo CD's exports ─▶ live/ ─▶ status                                      (fleetc status)
//!  Compiled ─▶ views/: explain | report | html                               (fleetc explain, query, report)
//!  cli/: arguments, one room per command, progress, memory guard, exit codes
//! ```
//!
//! Each folder of `src/` is a layer, and a layer imports only the layers
//! below it: `base` (problems, limits, YAML), `rules` (the rules of
//! Kubernetes, Argo CD, Helm and git), the stages `load`, `check`,
//! `place`, `merge` and `render`, `pipeline` that runs them, the edge
//! `repo` (files and git), `live`, `views`, and `cli` at the top. The
//! stages are pure: they read values and return values, and are lent a
//! `Watch` to say how far they are, so they can be tested without a disk
//! and run in parallel. Of the compile, only `load` reads files (the
//! inventory's); only `repo` writes (files and git), and only `cli` prints. Problems are collected as [`Diagnostic`]s with a place and
//! reported together; [`compile`] turns places into lines, once. The
//! layers and their rules are in `ARCHITECTURE.md`; a test holds the
//! imports to them.
//!
//! The public surface is what a program embedding fleetc needs (compile an
//! inventory, read what it placed and rendered, diff, commit) and the rules
//! fleetc shares with the tools around it, each usable alone: Argo CD's
//! matching ([`argocd`]), Kubernetes' names and labels ([`k8s`]), label
//! selectors ([`selector`]) and Helm's values layering ([`values`]).

#![deny(missing_docs)]

mod base;
mod check;
mod cli;
mod live;
mod load;
mod merge;
mod pipeline;
mod place;
mod render;
mod repo;
mod rules;
mod views;

pub use rules::{argocd, k8s, selector};

/// Helm's values layering ([`merge`](values::merge), as `helm install -f
/// a -f b` folds files), `${ }` expressions, and the layers fleetc folds
/// for a placed pair.
pub mod values {
    pub use crate::merge::{layers, tool_layers, Conflicts, Layers};
    pub use crate::place::matrix::policy_order;
    pub use crate::rules::helm::*;
}

pub use base::error::{Diagnostic, Error, Seg, Site};
pub use base::limits::Limits;
pub use base::yaml::{parse_yaml, Document};
pub use check::{
    App, Cluster, Gate, Inventory, Lifecycle, Mode, Patch, Policy, Replicas, Rollout, Settings,
    SourceType, Team, Tools, ValuesRepo, Weights, Window,
};
pub use cli::memory::MemoryGuard;
pub use cli::{main, EXIT_CHANGES, EXIT_OK, EXIT_USER};
pub use load::Files;
pub use pipeline::{
    compile, compile_files, compile_files_reusing, compile_reusing, compile_shard, load_settings,
    Compiled, Shard,
};
pub use place::delivery::Plan;
pub use place::matrix::{ClusterReason, Hit, Matrix, Pair};
pub use render::tree::{FileChange, Known, Tree};
pub use render::{
    ClusterPrior, Hash, Kind as ClusterFileKind, Prior, Rendered, RenderedApp, Reuse, Seal,
};
pub use repo::cache::{records, reuse_from_records, reuse_of};
pub use repo::diff::{Action, ChangeSet, Counts, Item};
pub use repo::git::{DeployRepo, Snapshot};
pub use repo::refusal::Refusal;
pub use rules::names::check_relative_path;
pub use views::html::page as report_html;
