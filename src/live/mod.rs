//! The live side: what Argo CD reports it runs, read from its exports
//! ([`exports`]), held against what fleetc compiled ([`status`]).

pub(crate) mod exports;
pub(crate) mod status;
