//! fleetc's integration tests: one binary (`autotests = false`).

mod conformance_helm;
mod support;
