//! The third stage, place: which apps go to which clusters ([`matrix`]),
//! and how each placed pair is delivered ([`delivery`]: rollout rings,
//! patches, and replica totals divided by weight with [`replicas`]), and
//! the maintenance windows that cover it ([`windows`]).

pub(crate) mod delivery;
pub(crate) mod matrix;
pub(crate) mod replicas;
pub(crate) mod windows;
