//! Placeholder: fault-injection tests (written next).
