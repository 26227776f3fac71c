//! fleetc's integration tests: one binary (`autotests = false`).

mod argocd_admission;
mod argocd_schema;
mod ask;
mod browser;
mod cli;
mod conformance_helm;
mod conformance_labels;
mod corpus;
mod delivery;
mod faults;
mod fuzz_regressions;
mod git;
mod golden;
mod helm;
mod incremental;
mod kill;
mod layers;
mod pipeline;
mod review;
mod rollouts;
mod schema;
mod secrets;
mod snapshots;
mod sources;
mod status;
mod support;
