//! The rules of the tools around fleetc, mirrored as pure functions that
//! answer as those tools do, each usable on its own:
//!
//! - [`k8s`]: Kubernetes' names (DNS-1123 labels and subdomains), label
//!   keys and values, as the API server validates them;
//! - [`selector`]: label selectors, parsed and matched as Kubernetes
//!   does (`env in (prod, staging), !canary`), and as `matchLabels` and
//!   `matchExpressions`;
//! - [`argocd`]: Argo CD's glob matching and an AppProject's admission of
//!   an Application's sources and destinations;
//! - [`syncwindow`]: Argo CD's sync windows (`syncWindows`): validated,
//!   matched to Applications and evaluated as Argo CD does, time zones and
//!   DST included, with the next moment a sync may run;
//! - [`helm`]: Helm's values layering (`helm install -f a -f b`), traced
//!   leaf by leaf, and fleetc's `${ }` expressions within values.
//!
//! None of them reads a file, touches the network or keeps state.

#![deny(missing_docs)]

pub mod argocd;
pub mod helm;
pub mod k8s;
pub mod selector;
pub mod syncwindow;
