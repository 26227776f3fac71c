//! The live side: what Argo CD reports it runs, read from its exports
//! ([`exports`]), held against what fleetc compiled ([`status`]), and
//! where each ring rollout stands ([`rollout`]).

pub(crate) mod exports;
pub(crate) mod rollout;
pub(crate) mod status;
