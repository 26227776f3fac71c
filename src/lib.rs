//! fleetc compiles a GitOps fleet.
//!
//! ```text
//!  inventory/ ─load──▶ Loaded ─check──▶ Inventory ─place──▶ Matrix ─merge + render──▶ Rendered
//!  (YAML, JSON)  inventory   (raw)   model  (checked)   matrix  (pairs,    values, render   (files)
//!                                                               provenance)
//!                      ╰─────────────── pipeline::compile ──────────────────────────────╯
//!
//!  Rendered ─▶ Tree ─┬─ diff ──▶ ChangeSet ─▶ text | Markdown | JSON         (fleetc diff)
//!              output ├─ guard ─▶ refuse mass removals
//!                     ├─ output ─▶ --out DIR, atomically                     (fleetc compile --out)
//!                     └─ gitrepo ─▶ a commit on the deploy branch,           (fleetc compile --repo)
//!                         with deploylog's entry appended                    (fleetc log)
//!  Compiled ─▶ explain | report (query) | html                               (fleetc explain, query, report)
//! ```
//!
//! Every stage before `output` and `gitrepo` is pure: it reads values and
//! returns values, so it can be tested without a disk and run in parallel.
//! Only `output` (files) and `gitrepo` (git) touch the world, and only
//! `commands` prints. Problems are collected as [`Diagnostic`]s with a place
//! and reported together; [`compile`] turns places into lines, once.
//!
//! The public surface is what a program embedding fleetc needs (compile an
//! inventory, read what it placed and rendered, diff, commit) and the rules
//! fleetc shares with the tools around it, each usable alone: Argo CD's
//! matching ([`argocd`]), Kubernetes' names and labels ([`k8s`]), label
//! selectors ([`selector`]) and Helm's values layering ([`values`]).

pub mod argocd;
mod cache;
pub mod cli;
mod commands;
mod delivery;
mod deploylog;
mod diff;
mod edit;
mod error;
mod explain;
mod gitrepo;
mod guard;
mod html;
mod inventory;
mod jsonpatch;
pub mod k8s;
mod limits;
mod live;
mod matrix;
mod memory;
mod model;
mod names;
mod output;
mod pipeline;
mod progress;
mod render;
mod replicas;
mod report;
mod schema;
pub mod secrets;
pub mod selector;
mod status;
mod suggest;
pub mod values;
mod yaml;

pub use commands::run;
pub use delivery::Plan;
pub use diff::{Action, ChangeSet, Counts, Item};
pub use error::{Diagnostic, Error, Refusal, Seg, Site, EXIT_CHANGES, EXIT_OK, EXIT_USER};
pub use gitrepo::{DeployRepo, Snapshot};
pub use html::page as report_html;
pub use inventory::Files;
pub use limits::Limits;
pub use live::Problem as ExportProblem;
pub use matrix::{ClusterReason, Hit, Matrix, Pair};
pub use memory::MemoryGuard;
pub use model::{
    App, Cluster, Inventory, Mode, Patch, Policy, Replicas, Rollout, Settings, SourceType, Team,
    Tools, ValuesRepo, Weights,
};
pub use names::check_relative_path;
pub use output::{FileChange, Known, Tree};
pub use pipeline::{
    compile, compile_files, compile_files_reusing, compile_reusing, load_settings, reuse_of,
    Compiled,
};
pub use render::{ClusterPrior, Kind as ClusterFileKind, Prior, Rendered, RenderedApp, Reuse};
pub use yaml::{parse_yaml, Document};
