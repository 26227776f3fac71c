//! fleetc's integration tests: one binary (`autotests = false`).

mod argocd_schema;
mod cli;
mod conformance_helm;
mod conformance_labels;
mod golden;
mod pipeline;
mod support;
