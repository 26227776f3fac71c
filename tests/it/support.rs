//! Helpers shared by the integration tests.

use std::path::PathBuf;

/// The path of a file under `../shared/conformance/`, or `None` (after printing
/// why) when the data set is not beside this checkout.
pub fn conformance_file(rel: &str) -> Option<PathBuf> {
    let root = std::env::var_os("FLEETC_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"));
    let path = root.join(rel);
    if path.is_file() {
        Some(path)
    } else {
        println!(
            "SKIPPED: {} is absent (conformance data lives in ../shared/conformance)",
            path.display()
        );
        None
    }
}

/// Reads a conformance JSON file, or `None` when it is absent.
pub fn conformance_json(rel: &str) -> Option<serde_json::Value> {
    let path = conformance_file(rel)?;
    let text = std::fs::read_to_string(&path).unwrap();
    Some(serde_json::from_str(&text).unwrap())
}
