//! fleetc compiles a GitOps fleet.
//!
//! ```text
//!  inventory/ ──load──▶ Loaded ──check──▶ Inventory ──place──▶ Matrix
//!  (YAML/JSON)  inventory   (raw)   model   (checked)   matrix  (pairs +
//!                                                               provenance)
//!        ──merge + render──▶ Rendered ──▶ Tree ──write──▶ --out DIR
//!          values, render     (texts)    output
//! ```
//!
//! Every stage before `output` is pure: it reads values and returns values,
//! so it can be tested without a disk and run in parallel. Problems are
//! collected as [`error::Diagnostic`]s with a location and reported together.

pub mod argocd;
pub mod cli;
mod commands;
pub mod deploylog;
pub mod diff;
pub mod error;
pub mod explain;
pub mod gitrepo;
pub mod guard;
pub mod html;
pub mod inventory;
pub mod k8s;
pub mod matrix;
pub mod model;
pub mod output;
pub mod pipeline;
pub mod render;
pub mod report;
pub mod schema;
pub mod selector;
pub mod suggest;
pub mod values;
pub mod yaml;

pub use commands::run;
pub use pipeline::{compile, Compiled};
