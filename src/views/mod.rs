//! Answers read from a compile, printed by the commands: why a pair is
//! placed and what it is made of ([`explain`]), the matrix and its
//! listings ([`report`]), and the HTML report ([`html`]).

pub(crate) mod explain;
pub(crate) mod html;
pub(crate) mod report;
