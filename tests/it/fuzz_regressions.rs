//! Placeholder: fuzzers' findings, kept as regression tests (written next).
