//! A build id for fleetc: a hash of every source and template file (and the
//! locked dependencies), so that the render cache (`src/render/reuse.rs`)
//! never takes renders made by a different build of fleetc, even one of
//! the same version, size and modification time.

use std::hash::{Hash, Hasher};
use std::path::Path;

fn main() {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for root in ["src", "crates", "templates", "Cargo.lock", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={root}");
        add(Path::new(root), &mut hasher);
    }
    println!("cargo:rustc-env=FLEETC_BUILD_ID={:016x}", hasher.finish());
}

/// Hashes `path` (a file, or a folder's files in name order) into `h`.
fn add(path: &Path, h: &mut impl Hasher) {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        entries.sort();
        for entry in entries {
            add(&entry, h);
        }
    } else if let Ok(bytes) = std::fs::read(path) {
        path.hash(h);
        bytes.hash(h);
    }
}
