//! The rules of the tools around fleetc, mirrored as pure functions. Those
//! others can reuse are crates of their own (`crates/`): Kubernetes' names
//! and labels ([`k8s`]), label selectors ([`selector`]), Argo CD's
//! matching and admission ([`argocd`]), Helm's values layering ([`helm`])
//! in `fleetc-rules`, and credentials found by their content ([`secrets`])
//! in `fleetc-secrets`. Here: JSON patch as fleetc applies it
//! ([`jsonpatch`]) and the names git and file systems accept ([`names`]).
//! None imports a layer above `base`.

pub(crate) mod jsonpatch;
pub(crate) mod names;

pub(crate) use fleetc_rules::helm;
pub(crate) use fleetc_rules::syncwindow;
pub use fleetc_rules::{argocd, k8s, selector};
pub(crate) use fleetc_secrets as secrets;
