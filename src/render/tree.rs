//! The rendered tree as bytes, keyed by relative path, and what is pure
//! about it: the lists of fleetc's files (`sha256sum` format), the files
//! that differ between two trees, and the digests a file is known by. The
//! repository edge writes it (`crate::repo`); nothing here touches a disk.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

/// The output: relative `/`-separated path → bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tree {
    /// Each file's bytes, by path.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Files of the output whose bytes were not rendered again: an earlier
    /// compile's, from the same inputs, known by their digests to be what
    /// the deploy branch holds (an incremental compile; see
    /// [`crate::render::Reuse`]). No path is in both.
    pub known: BTreeMap<String, Known>,
}

/// A file known by its digests, not its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Known {
    /// SHA-256 of its bytes, as the lists of fleetc's files have it.
    pub sha256: [u8; 32],
    /// Its git blob id.
    pub blob: [u8; 20],
}

impl Tree {
    /// The tree of rendered texts, none known by digests.
    pub fn from_texts(files: BTreeMap<String, String>) -> Tree {
        Tree {
            files: files
                .into_iter()
                .map(|(k, v)| (k, v.into_bytes()))
                .collect(),
            known: BTreeMap::new(),
        }
    }

    /// `sha256sum` format: `<hex>  <path>` per file, sorted by path (the
    /// files hashed on every core).
    pub fn manifest(&self) -> String {
        use rayon::prelude::*;
        let lines: Vec<String> = self
            .files
            .par_iter()
            .map(|(path, bytes)| {
                let mut line = sha256_hex(bytes);
                line.push_str("  ");
                line.push_str(path);
                line.push('\n');
                line
            })
            .collect();
        lines.concat()
    }
}

/// Where a deploy branch lists the files fleetc wrote: one list per group
/// (a cluster's folder, say), so that a commit rewrites only the lists of
/// what it changed. A folder fleetc writes (`--out`) keeps one
/// [`crate::load::MANIFEST_FILE`].
pub(crate) const MANIFESTS_DIR: &str = ".fleetc/manifests";

/// The file name of each group's list, in the group's folder under
/// [`MANIFESTS_DIR`].
pub(crate) const MANIFEST_PART: &str = "MANIFEST";

impl Tree {
    /// The manifest in parts, by group: a file's group is its first two
    /// folders (`clusters/east-1`), or its one folder (`bootstrap`), or the
    /// top. Part path → its lines, in `sha256sum` format (paths relative to
    /// the tree's root, so `sha256sum -c` runs there), sorted by path.
    ///
    /// `digests` holds files' digests already taken (the rest are hashed).
    pub(crate) fn manifest_parts(
        &self,
        digests: &std::collections::HashMap<String, Known>,
    ) -> BTreeMap<String, String> {
        use rayon::prelude::*;
        let hashed: Vec<(&String, [u8; 32])> = self
            .files
            .par_iter()
            .map(|(path, bytes)| match digests.get(path) {
                Some(k) => (path, k.sha256),
                None => (path, Sha256::digest(bytes).into()),
            })
            .collect();
        let known = self.known.iter().map(|(path, k)| (path, k.sha256));
        // Each group's files, in path order (both sources are).
        let mut groups: BTreeMap<&str, Vec<(&String, [u8; 32])>> = BTreeMap::new();
        for (path, sha) in hashed.into_iter().chain(known) {
            groups.entry(group_of(path)).or_default().push((path, sha));
        }
        groups
            .into_par_iter()
            .map(|(group, mut files)| {
                files.sort_unstable_by(|a, b| a.0.cmp(b.0));
                let mut text = String::with_capacity(files.len() * 120);
                for (path, sha) in files {
                    push_hex(&mut text, &sha);
                    text.push_str("  ");
                    text.push_str(path);
                    text.push('\n');
                }
                (part_path(MANIFESTS_DIR, group, MANIFEST_PART), text)
            })
            .collect()
    }
}

/// Where a group's `name` file of fleetc's records under `dir` is:
/// `dir/group/name`, or `dir/name` for the top.
pub(crate) fn part_path(dir: &str, group: &str, name: &str) -> String {
    if group.is_empty() {
        format!("{dir}/{name}")
    } else {
        format!("{dir}/{group}/{name}")
    }
}

/// The group of a list in fleetc's records under `dir`
/// (`dir/clusters/east-1/MANIFEST` → `clusters/east-1`), if `path` is one.
pub(crate) fn part_group<'a>(dir: &str, path: &'a str, name: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(dir)?.strip_prefix('/')?;
    let group = rest.strip_suffix(name)?;
    match group {
        "" => Some(""),
        g => g.strip_suffix('/'),
    }
}

/// A file's group: its first two folders (`clusters/east-1`), or its one
/// folder (`bootstrap`), or none (the top).
pub(crate) fn group_of(path: &str) -> &str {
    let Some(dir_end) = path.rfind('/') else {
        return "";
    };
    let dir = &path[..dir_end];
    match dir.match_indices('/').nth(1) {
        Some((second, _)) => &dir[..second],
        None => dir,
    }
}

/// A file that differs between two trees (`None`: absent on that side).
#[derive(Clone, Debug)]
pub struct FileChange {
    /// The file's path in the tree.
    pub path: String,
    /// Its bytes in the old tree.
    pub old: Option<Vec<u8>>,
    /// Its bytes in the new tree.
    pub new: Option<Vec<u8>>,
}

/// The files that differ from `old` to `new`. A file `new` knows by its
/// digests is `old`'s, reused (see `crate::repo::cache::reuse_of`).
pub(crate) fn tree_changes(old: &Tree, new: &Tree) -> Vec<FileChange> {
    let mut changes = Vec::new();
    for (path, bytes) in &new.files {
        match old.files.get(path) {
            Some(o) if o == bytes => {}
            o => changes.push(FileChange {
                path: path.clone(),
                old: o.cloned(),
                new: Some(bytes.clone()),
            }),
        }
    }
    for (path, bytes) in &old.files {
        if !new.files.contains_key(path) && !new.known.contains_key(path) {
            changes.push(FileChange {
                path: path.clone(),
                old: Some(bytes.clone()),
                new: None,
            });
        }
    }
    changes
}

/// SHA-256 of `bytes`, in lower-case hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// `bytes` in lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 * bytes.len());
    push_hex(&mut s, bytes);
    s
}

/// Appends `bytes` in lower-case hex.
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
}

/// The paths a `.fleetc-manifest` lists (`<sha256>  <path>` lines).
pub(crate) fn manifest_paths(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.split_once("  ").map(|(_, p)| p.to_string()))
        .collect()
}
