//! The filesystem edge: the rendered tree, the paths it may use, what
//! differs from a folder, and writing it there. Every file fleetc writes is
//! written here.
//!
//! A [`Tree`] is the whole output as bytes, keyed by relative path. Writing
//! it to `--out DIR` is atomic: the new folder is assembled beside the old
//! one, then the two are exchanged with one `renameat2(RENAME_EXCHANGE)`, so
//! a reader sees the old tree or the new one, never a mix, and a killed
//! compile leaves the old tree. Files fleetc did not write are carried into
//! the new folder as hard links (same inode, same bytes, untouched); files it
//! wrote before and no longer renders are left behind. What fleetc wrote is
//! listed in `DIR/.fleetc-manifest`, in `sha256sum` format.
//!
//! After each compile into the folder, an index records the digest of the
//! inventory it was compiled from and each of fleetc's files as `stat`
//! sees it (size, mtime, ctime, inode): the next compile of the same
//! inventory answers "up to date" from a `stat` of each file, without
//! compiling ([`unchanged`]). The index is kept in the user's cache folder
//! (`$XDG_CACHE_HOME/fleetc/out/`, or `~/.cache/fleetc/out/`), one per
//! output folder, never in the output folder, whose bytes stay the
//! compile's alone. A file whose change time is too close to the
//! index's own to tell a later edit apart is checked against its SHA-256
//! in the manifest instead. Any doubt (a file edited, replaced, touched or
//! gone; an index that is missing, damaged or of another inventory) means a
//! compile, which writes the index again.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::base::error::{Error, Result};
use crate::base::watch::Watch;
use crate::load::MANIFEST_FILE;
use crate::render::tree::{hex, manifest_paths, sha256_hex, FileChange, Tree};
use crate::render::Hash;

const INDEX_HEADER: &str = "fleetc index 1";

/// Where the stat index of the output folder `dir` is kept (see the
/// module doc); `None` without a cache folder or a folder to index.
fn index_path(dir: &Path) -> Option<PathBuf> {
    use sha2::{Digest, Sha256};
    let cache = match std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from) {
        Some(p) if p.is_absolute() => p,
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".cache"),
    };
    let real = fs::canonicalize(dir).ok()?;
    let name = hex(&Sha256::digest(real.as_os_str().as_encoded_bytes())[..16]);
    Some(cache.join("fleetc").join("out").join(name))
}
/// How close (ns) a file's change time may be to the index's before a
/// later edit in the same tick of the file system's clock could hide.
const RACY_NS: i128 = 2_000_000_000;

/// What the compile said (its summary line and notes), when `dir` holds
/// exactly what a compile of the inventory of `digest` wrote there.
pub(crate) fn unchanged(dir: &Path, digest: Option<Hash>) -> Option<(String, Vec<String>)> {
    use rayon::prelude::*;
    let digest = digest?;
    let index_path = index_path(dir)?;
    let index = fs::read_to_string(&index_path).ok()?;
    let written = stamp_of(&fs::metadata(&index_path).ok()?)?;
    let mut lines = index.lines();
    if lines.next()? != INDEX_HEADER {
        return None;
    }
    if lines.next()?.strip_prefix("inventory ")? != hex(&digest) {
        return None;
    }
    let summary = lines.next()?.strip_prefix("summary ")?.to_string();
    let manifest_sum = lines.next()?.strip_prefix("manifest ")?.to_string();
    let mut notes = Vec::new();
    let mut files = Vec::new();
    for line in lines {
        match line.strip_prefix("note ") {
            Some(n) => notes.push(n.to_string()),
            None => files.push(line),
        }
    }
    // Each file as recorded: unchanged, or close enough to the index's
    // time to need its bytes checked (`Some(path)`).
    let states: Vec<Option<Option<&str>>> = files
        .par_iter()
        .map(|line| {
            let mut f = line.splitn(5, '\t');
            let recorded: [i128; 4] = [
                f.next()?.parse().ok()?,
                f.next()?.parse().ok()?,
                f.next()?.parse().ok()?,
                f.next()?.parse().ok()?,
            ];
            let path = f.next()?;
            let now = stamp_of(&fs::symlink_metadata(dir.join(path)).ok()?)?;
            if now.fields() != recorded {
                return None;
            }
            Some((written.ctime - now.ctime < RACY_NS).then_some(path))
        })
        .collect();
    let mut racy = Vec::new();
    for state in states {
        racy.extend(state?);
    }
    if files.is_empty() {
        return None;
    }
    if !racy.is_empty() {
        // The manifest is checked against its SHA-256 in the index, then
        // each racy file against its own in the manifest.
        let manifest = fs::read_to_string(dir.join(MANIFEST_FILE)).ok()?;
        if sha256_hex(manifest.as_bytes()) != manifest_sum {
            return None;
        }
        let sums: std::collections::HashMap<&str, &str> = manifest
            .lines()
            .filter_map(|l| l.split_once("  ").map(|(sum, path)| (path, sum)))
            .collect();
        let fine = racy
            .par_iter()
            .filter(|p| **p != MANIFEST_FILE)
            .all(|path| {
                let bytes = fs::read(dir.join(path)).ok();
                bytes.is_some_and(|b| sums.get(path) == Some(&sha256_hex(&b).as_str()))
            });
        if !fine {
            return None;
        }
    }
    Some((summary, notes))
}

/// Records the index of `dir`, which holds what the compile of the
/// inventory of `digest` (saying `summary` and `notes`) wrote: `paths`, and
/// the manifest. Only an optimisation: a folder it cannot be written into
/// is compiled again next time.
pub(crate) fn write_index(
    dir: &Path,
    (digest, summary, notes): (&Hash, &str, &[String]),
    paths: impl Iterator<Item = String>,
) {
    use rayon::prelude::*;
    let mut paths: Vec<String> = paths.collect();
    paths.push(MANIFEST_FILE.to_string());
    let lines: Option<Vec<String>> = paths
        .par_iter()
        .map(|path| {
            let s = stamp_of(&fs::symlink_metadata(dir.join(path)).ok()?)?.fields();
            (!path.contains(['\n', '\r']))
                .then(|| format!("{}\t{}\t{}\t{}\t{path}\n", s[0], s[1], s[2], s[3]))
        })
        .collect();
    let Some(lines) = lines else {
        return;
    };
    let Ok(manifest) = fs::read(dir.join(MANIFEST_FILE)) else {
        return;
    };
    let mut text = format!("{INDEX_HEADER}\ninventory {}", hex(digest));
    text.push_str("\nsummary ");
    text.push_str(&summary.replace(['\n', '\r'], " "));
    text.push_str("\nmanifest ");
    text.push_str(&sha256_hex(&manifest));
    text.push('\n');
    for n in notes {
        text.push_str("note ");
        text.push_str(&n.replace(['\n', '\r'], " "));
        text.push('\n');
    }
    text.extend(lines);
    if let Some(path) = index_path(dir) {
        if path.parent().is_some_and(|p| fs::create_dir_all(p).is_ok()) {
            let _ = write_file_atomic(&path, text.as_bytes());
        }
    }
}

/// What the index records of a file: its size, mtime, ctime and inode,
/// in nanoseconds where they are times; `None` for anything but a file.
struct Stamp {
    size: i128,
    mtime: i128,
    ctime: i128,
    ino: i128,
}

impl Stamp {
    fn fields(&self) -> [i128; 4] {
        [self.size, self.mtime, self.ctime, self.ino]
    }
}

#[cfg(unix)]
fn stamp_of(m: &fs::Metadata) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let ns = |secs: i64, nsec: i64| i128::from(secs) * 1_000_000_000 + i128::from(nsec);
    m.is_file().then(|| Stamp {
        size: i128::from(m.size()),
        mtime: ns(m.mtime(), m.mtime_nsec()),
        ctime: ns(m.ctime(), m.ctime_nsec()),
        ino: i128::from(m.ino()),
    })
}

/// Elsewhere than Unix there is no change time or inode to trust: no index.
#[cfg(not(unix))]
fn stamp_of(_m: &fs::Metadata) -> Option<Stamp> {
    None
}

/// The files that differ between the folder `dir` and `tree` (fleetc's
/// files only: the folder's manifest says which old ones were fleetc's).
pub(crate) fn dir_changes(dir: &Path, tree: &Tree) -> Result<Vec<FileChange>> {
    let plan = plan(dir, tree)?;
    let exists = dir.is_dir();
    let mut changes = Vec::new();
    for path in plan.written.iter().filter(|p| *p != MANIFEST_FILE) {
        changes.push(FileChange {
            path: path.clone(),
            old: exists.then(|| fs::read(dir.join(path)).ok()).flatten(),
            new: tree.files.get(path).cloned(),
        });
    }
    for path in &plan.removed {
        changes.push(FileChange {
            path: path.clone(),
            old: fs::read(dir.join(path)).ok(),
            new: None,
        });
    }
    Ok(changes)
}

/// Writes one file whole: a reader sees the old bytes or the new ones.
pub(crate) fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!(
        "{}fleetc-tmp",
        path.extension()
            .map(|e| format!("{}.", e.to_string_lossy()))
            .unwrap_or_default()
    ));
    fs::write(&tmp, bytes)
        .and_then(|()| fs::rename(&tmp, path))
        .map_err(|e| Error::io(path, e))
}

/// Edits one inventory file (`rel`, under `root`) whole, as `fleetc
/// promote` edits a policy: `edit` gets its text and gives the new one,
/// which replaces it atomically; through a symlink to its target, never
/// outside the inventory.
pub(crate) fn edit_inventory_file(
    root: &Path,
    rel: &Path,
    edit: impl FnOnce(&str) -> Result<String>,
) -> Result<()> {
    let real_root = fs::canonicalize(root).map_err(|e| Error::io(root, e))?;
    let path = root.join(rel);
    let real = fs::canonicalize(&path).map_err(|e| Error::io(&path, e))?;
    if !real.starts_with(&real_root) {
        return Err(Error::Usage(format!(
            "{}: it leads outside the inventory ({}); fleetc edits only files inside it",
            rel.display(),
            real.display()
        )));
    }
    let text = fs::read_to_string(&real).map_err(|e| Error::io(&real, e))?;
    let new = edit(&text)?;
    write_file_atomic(&real, new.as_bytes())
}

/// Writes `diff --split`'s comments as `dir/comment-1.md`, … (the folder
/// is made; earlier `comment-*.md` there are removed, so a shorter run
/// leaves no stale part); returns their paths.
pub(crate) fn write_comments(dir: &Path, parts: &[String]) -> Result<Vec<String>> {
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("comment-") && name.ends_with(".md") {
            fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
    }
    let mut paths = Vec::with_capacity(parts.len());
    for (k, part) in parts.iter().enumerate() {
        let path = dir.join(format!("comment-{}.md", k + 1));
        write_file_atomic(&path, part.as_bytes())?;
        paths.push(path.display().to_string());
    }
    Ok(paths)
}

/// What writing a tree did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct WriteSummary {
    /// Paths written because they are new or their bytes changed.
    pub written: Vec<String>,
    pub unchanged: usize,
    /// Paths fleetc wrote before and no longer renders.
    pub removed: Vec<String>,
}

impl WriteSummary {
    pub(crate) fn is_noop(&self) -> bool {
        self.written.is_empty() && self.removed.is_empty()
    }
}

/// The paths listed in an output folder's manifest (empty when none).
pub(crate) fn read_manifest(dir: &Path) -> Result<BTreeSet<String>> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::Usage(format!(
            "`{}` exists and is not a folder",
            dir.display()
        )));
    }
    let path = dir.join(MANIFEST_FILE);
    match fs::read_to_string(&path) {
        Ok(text) => Ok(manifest_paths(&text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeSet::new()),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// What writing `tree` to `dir` would change, without writing.
pub(crate) fn plan(dir: &Path, tree: &Tree) -> Result<WriteSummary> {
    Ok(compare(dir, tree)?.0)
}

/// The plan, and the set of paths whose bytes on disk already match.
fn compare(dir: &Path, tree: &Tree) -> Result<(WriteSummary, HashSet<String>)> {
    use rayon::prelude::*;
    let previous = read_manifest(dir)?;
    if !dir.is_dir() {
        // A new folder: everything is written, and nothing is read (three
        // failing opens per file, before).
        let summary = WriteSummary {
            written: tree.files.keys().cloned().collect(),
            ..WriteSummary::default()
        };
        return Ok((summary, HashSet::new()));
    }
    // Reading is the only honest comparison (a file may have been edited by
    // hand); it runs in parallel, and the page cache serves most of it.
    let states: Vec<(&String, Result<bool>)> = tree
        .files
        .par_iter()
        .map(|(path, bytes)| {
            let state = match fs::read(dir.join(path)) {
                Ok(old) => Ok(&old == bytes),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(Error::io(dir.join(path), e)),
            };
            (path, state)
        })
        .collect();
    let mut summary = WriteSummary::default();
    let mut same = HashSet::new();
    for (path, state) in states {
        if state? {
            summary.unchanged += 1;
            same.insert(path.clone());
        } else {
            summary.written.push(path.clone());
        }
    }
    for path in previous {
        if !tree.files.contains_key(&path) && dir.join(&path).exists() {
            summary.removed.push(path);
        }
    }
    // (Hashing the whole tree only when that is the question.)
    let manifest_stale =
        || fs::read(dir.join(MANIFEST_FILE)).ok().as_deref() != Some(tree.manifest().as_bytes());
    if summary.is_noop() && !tree.files.is_empty() && manifest_stale() {
        // Only the manifest is missing or stale: rewrite it with the tree.
        summary.written.push(MANIFEST_FILE.to_string());
    }
    Ok((summary, same))
}

/// Writes `tree` to `dir` atomically (see the module doc). `inventory` is
/// refused as a target, and so is any folder that contains it.
pub(crate) fn write_dir(
    dir: &Path,
    tree: &Tree,
    inventory: &Path,
    watch: &dyn Watch,
) -> Result<WriteSummary> {
    let target = resolve(dir)?;
    if target.exists() && !target.is_dir() {
        return Err(Error::Usage(format!(
            "`{}` exists and is not a folder",
            dir.display()
        )));
    }
    // The new tree replaces the folder whole, which its parent allows even
    // when the folder itself is read-only: a read-only folder means "do
    // not write here", so it is refused.
    #[cfg(target_os = "linux")]
    if target.is_dir() {
        if let Err(e) = rustix::fs::access(&target, rustix::fs::Access::WRITE_OK) {
            return Err(Error::io(&target, e.into()));
        }
    }
    if let Ok(inv) = inventory.canonicalize() {
        if inv.starts_with(&target) {
            return Err(Error::Usage(format!(
                "refusing to write into `{}`: it holds the inventory; choose an output folder of its own",
                dir.display()
            )));
        }
    }
    let parent = target.parent().unwrap_or(Path::new("/")).to_path_buf();
    let base = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();

    // One writer at a time; the lock dies with the process, and its file
    // goes when the write is done.
    let lock = Lock::take(parent.join(format!(".{base}.fleetc.lock")))?;

    let staging_prefix = format!(".{base}.fleetc-");
    remove_leftovers(&parent, &staging_prefix)?;

    let (summary, same) = compare(&target, tree)?;
    if summary.is_noop() && target.is_dir() {
        return Ok(summary);
    }
    let previous = read_manifest(&target)?;
    let staging = parent.join(format!("{staging_prefix}{}", std::process::id()));
    fs::create_dir(&staging).map_err(|e| Error::io(&staging, e))?;
    let result = assemble(&target, &staging, tree, &previous, &same, watch)
        .and_then(|()| {
            watch.lap("files");
            flush(&staging)
        })
        .map_err(|e| in_staging(e, &staging, dir))
        .and_then(|()| swap(&staging, &target));
    // After a swap the staging name holds the old tree; after a failure, the
    // half-built new one. Either way it goes.
    let _ = fs::remove_dir_all(&staging);
    result?;
    if let Ok(d) = fs::File::open(&parent) {
        let _ = d.sync_all();
    }
    drop(lock);
    Ok(summary)
}

/// The lock file beside the output folder, held for the write and removed
/// after it, so that no `.DIR.fleetc.lock` is left in the user's folder.
/// Removing a lock file is safe only if a writer that waited on it can tell
/// it locked a file that is gone: so a writer that gets the lock checks
/// that the path still names the file it locked, and tries again if not.
struct Lock {
    path: PathBuf,
    _file: fs::File,
}

impl Lock {
    fn take(path: PathBuf) -> Result<Lock> {
        // Each retry means another writer finished and removed the file
        // between our open and our lock: a few in a row is already rare.
        for _ in 0..1000 {
            let file = fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(|e| Error::io(&path, e))?;
            file.lock().map_err(|e| Error::io(&path, e))?;
            if still_named(&file, &path)? {
                return Ok(Lock { path, _file: file });
            }
        }
        Err(Error::Usage(format!(
            "`{}` was removed and made again 1000 times while fleetc waited to lock it: is something else deleting it?",
            path.display()
        )))
    }
}

/// Whether `path` still names the file `file` has open (not removed, or
/// removed and made anew, by the writer before).
#[cfg(unix)]
fn still_named(file: &fs::File, path: &Path) -> Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let held = file.metadata().map_err(|e| Error::io(path, e))?;
    match fs::metadata(path) {
        Ok(now) => Ok(now.ino() == held.ino() && now.dev() == held.dev()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// (Elsewhere an open file cannot be removed: the path names it.)
#[cfg(not(unix))]
fn still_named(_file: &fs::File, _path: &Path) -> Result<bool> {
    Ok(true)
}

impl Drop for Lock {
    /// Removes the file while it is still locked, then unlocks it (the
    /// file is closed after this).
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// A failure while building the new tree beside `dir`, told as a failure
/// to write `dir` (the staging folder is fleetc's business, not the user's).
fn in_staging(e: Error, staging: &Path, dir: &Path) -> Error {
    match e {
        Error::Io { path, source } => {
            let inside = path
                .strip_prefix(staging)
                .map(|rel| dir.join(rel))
                .unwrap_or(path);
            Error::Usage(format!(
                "cannot write `{}`: {} (fleetc builds the new tree in `{}` beside it, then swaps it in: that folder and the one holding `{}` must be writable)",
                inside.display(),
                crate::base::error::os_words(&source),
                staging.display(),
                dir.display()
            ))
        }
        other => other,
    }
}

/// The absolute path `dir` names, through symlinks, whether or not it exists
/// yet (its parent is created).
fn resolve(dir: &Path) -> Result<PathBuf> {
    if dir.exists() {
        return dir.canonicalize().map_err(|e| Error::io(dir, e));
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let parent = parent.canonicalize().map_err(|e| Error::io(&parent, e))?;
    match dir.file_name() {
        Some(name) => Ok(parent.join(name)),
        None => Err(Error::Usage(format!(
            "`{}` is not a folder name fleetc can write to",
            dir.display()
        ))),
    }
}

/// Staging folders left by a compile that was killed.
fn remove_leftovers(parent: &Path, prefix: &str) -> Result<()> {
    let entries = fs::read_dir(parent).map_err(|e| Error::io(parent, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with(prefix) && !name.ends_with(".lock") && entry.path().is_dir() {
            fs::remove_dir_all(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
        }
    }
    Ok(())
}

/// Builds the new folder in `staging`: the tree, the manifest, and every
/// file of the old folder that fleetc did not write.
fn assemble(
    old: &Path,
    staging: &Path,
    tree: &Tree,
    previous: &BTreeSet<String>,
    same: &HashSet<String>,
    watch: &dyn Watch,
) -> Result<()> {
    // Folders of the user's keep their modes, set once everything is in
    // them (a read-only folder could not be filled otherwise).
    let mut modes: Vec<(PathBuf, fs::Permissions)> = Vec::new();
    if old.is_dir() {
        let perms = fs::metadata(old)
            .map_err(|e| Error::io(old, e))?
            .permissions();
        modes.push((staging.to_path_buf(), perms));
        carry_foreign(old, staging, old, tree, previous, &mut modes)?;
    }
    // Folders first, once each; then the files, in parallel.
    let dirs: BTreeSet<&str> = tree
        .files
        .keys()
        .filter_map(|p| p.rsplit_once('/').map(|(d, _)| d))
        .collect();
    for dir in dirs {
        let dir = staging.join(dir);
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    }
    use rayon::prelude::*;
    watch.stage("writing files", tree.files.len());
    tree.files.par_iter().try_for_each(|(path, bytes)| {
        watch.tick();
        let dest = staging.join(path);
        // An unchanged file keeps its inode (and mtime): watchers see no change.
        if same.contains(path) && fs::hard_link(old.join(path), &dest).is_ok() {
            return Ok(());
        }
        write_file(&dest, bytes)
    })?;
    watch.end();
    write_file(&staging.join(MANIFEST_FILE), tree.manifest().as_bytes())?;
    // Deepest first, so a folder is still writable while what is in it is set.
    modes.sort_by_key(|(p, _)| std::cmp::Reverse(p.components().count()));
    for (dir, perms) in modes {
        fs::set_permissions(&dir, perms).map_err(|e| Error::io(&dir, e))?;
    }
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = fs::File::create(path).map_err(|e| Error::io(path, e))?;
    f.write_all(bytes).map_err(|e| Error::io(path, e))?;
    // Elsewhere than Linux there is no syncfs: each file is flushed here.
    if !cfg!(target_os = "linux") {
        f.sync_all().map_err(|e| Error::io(path, e))?;
    }
    Ok(())
}

/// Puts the staged tree on disk before it is swapped in, so a power cut
/// after the swap cannot leave empty files: one syncfs for the whole
/// filesystem on Linux (instead of one fsync per file).
fn flush(staging: &Path) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        let dir = fs::File::open(staging).map_err(|e| Error::io(staging, e))?;
        rustix::fs::syncfs(&dir).map_err(|e| Error::io(staging, e.into()))?;
    }
    #[cfg(not(target_os = "linux"))]
    let _ = staging;
    Ok(())
}

/// Recreates `dir`'s entries that fleetc does not own under `staging`.
fn carry_foreign(
    root: &Path,
    staging: &Path,
    dir: &Path,
    tree: &Tree,
    previous: &BTreeSet<String>,
    modes: &mut Vec<(PathBuf, fs::Permissions)>,
) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        let rel = path.strip_prefix(root).unwrap_or(&path);
        let rel_s = rel.to_string_lossy().replace('\\', "/");
        if rel_s == MANIFEST_FILE || tree.files.contains_key(&rel_s) || previous.contains(&rel_s) {
            continue;
        }
        let dest = staging.join(rel);
        let ft = entry.file_type().map_err(|e| Error::io(&path, e))?;
        if ft.is_dir() {
            fs::create_dir_all(&dest).map_err(|e| Error::io(&dest, e))?;
            let perms = entry
                .metadata()
                .map_err(|e| Error::io(&path, e))?
                .permissions();
            modes.push((dest.clone(), perms));
            carry_foreign(root, staging, &path, tree, previous, modes)?;
        } else {
            if let Some(p) = dest.parent() {
                fs::create_dir_all(p).map_err(|e| Error::io(p, e))?;
            }
            if ft.is_symlink() {
                let target = fs::read_link(&path).map_err(|e| Error::io(&path, e))?;
                symlink(&target, &dest).map_err(|e| Error::io(&dest, e))?;
            } else if fs::hard_link(&path, &dest).is_err() {
                fs::copy(&path, &dest).map_err(|e| Error::io(&path, e))?;
            }
        }
    }
    Ok(())
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    fs::copy(target, link).map(|_| ())
}

/// Puts `staging` in place of `target`. On Linux one atomic exchange;
/// elsewhere two renames (a moment with no folder, never a mixed one).
fn swap(staging: &Path, target: &Path) -> Result<()> {
    if !target.exists() {
        return fs::rename(staging, target).map_err(|e| Error::io(target, e));
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        renameat_with(CWD, staging, CWD, target, RenameFlags::EXCHANGE).map_err(|e| {
            let hint = if e == rustix::io::Errno::BUSY {
                " (is it a mount point? write to a folder inside it)"
            } else {
                ""
            };
            Error::Usage(format!(
                "cannot swap the new tree into `{}`: {}{hint}",
                target.display(),
                crate::base::error::os_words(&e.into())
            ))
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        let aside = staging.with_extension("old");
        fs::rename(target, &aside).map_err(|e| Error::io(target, e))?;
        fs::rename(staging, target).map_err(|e| Error::io(target, e))?;
        fs::rename(&aside, staging).map_err(|e| Error::io(staging, e))
    }
}
