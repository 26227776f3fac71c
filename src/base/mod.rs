//! The foundation every layer stands on, importing nothing of fleetc:
//! problems and where they are ([`error`]), the limits on an input's work,
//! the one YAML boundary, in-place edits of YAML text, "did you mean",
//! counts in words, time stamps, and the [`watch::Watch`] a caller lends a stage to hear
//! how far it is.

pub(crate) mod edit;
pub(crate) mod error;
pub(crate) mod limits;
pub(crate) mod suggest;
pub(crate) mod time;
pub(crate) mod watch;
pub(crate) mod words;
pub(crate) mod yaml;
