//! The rules of the tools around fleetc, mirrored as pure functions:
//! Kubernetes' names and labels ([`k8s`]), label selectors ([`selector`]),
//! Argo CD's matching and admission ([`argocd`]), Helm's values layering
//! ([`helm`]), JSON patch ([`jsonpatch`]), the names git and file systems
//! accept ([`names`]), and credentials found by their content
//! ([`secrets`]). Each is usable alone; none imports another layer.

pub mod argocd;
pub(crate) mod helm;
pub(crate) mod jsonpatch;
pub mod k8s;
pub(crate) mod names;
pub(crate) mod secrets;
pub mod selector;
