//! Placeholder: the broken-inventory corpus test (written next).
