//! The git edge: read a branch's tree, write a new one, move the branch
//! safely; and the inventory's own repository (its revision, and its files
//! at another revision). Every git2 call of fleetc is in this file.
//!
//! Everything goes through the object store with git2; no checkout or
//! working tree is needed, so a bare deploy repo works. Only the trees on
//! the paths that changed are rewritten, and only blobs whose content
//! changed are written. The branch moves by compare-and-swap against the
//! commit the compile started from, so two compiles racing on one repo can
//! never both win, and a compile killed at any moment leaves the branch at
//! the old commit or the new one.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

pub(crate) use git2::Oid;
use git2::{ObjectType, Repository, Signature, Time, TreeWalkMode, TreeWalkResult};

use crate::base::error::{Error, Result};
use crate::base::watch::{Quiet, Watch};
use crate::load::MANIFEST_FILE;
use crate::render::tree::{self, FileChange, Known, Tree};
use crate::repo::refusal::Refusal;

/// A deploy repository and the branch fleetc commits to.
pub struct DeployRepo {
    /// The open repository.
    pub repo: Repository,
    /// Where it was opened, as given.
    pub path: PathBuf,
    /// The branch fleetc commits to.
    pub branch: String,
}

impl std::fmt::Debug for DeployRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeployRepo({}, {})", self.path.display(), self.branch)
    }
}

/// The branch as a compile found it: its commit (none for a new branch)
/// and the blob id of every file under the output prefix.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// The branch's commit; `None` for a branch that does not exist yet.
    pub commit: Option<Oid>,
    /// The commit a new branch starts from (the repo's HEAD), if any.
    pub base: Option<Oid>,
    /// Path relative to the prefix → blob id.
    pub files: BTreeMap<String, Oid>,
}

impl Snapshot {
    /// Whether `path` holds exactly `bytes` (compared by blob id).
    pub fn holds(&self, path: &str, bytes: &[u8]) -> Result<bool> {
        let Some(oid) = self.files.get(path) else {
            return Ok(false);
        };
        let new = Oid::hash_object(ObjectType::Blob, bytes)
            .map_err(|e| git_err(format!("hashing {path}"), e))?;
        Ok(*oid == new)
    }
}

/// An [`Error::Git`]: `what` fleetc was doing when git failed.
pub(crate) fn git_err(what: impl std::fmt::Display, e: git2::Error) -> Error {
    Error::Git {
        what: what.to_string(),
        message: e.message().to_string(),
        source: Box::new(e),
    }
}

impl DeployRepo {
    /// Opens the repository at `path` (bare or not). `branch` defaults to
    /// the branch HEAD names, or `main` in an empty repository.
    pub fn open(path: &Path, branch: Option<&str>) -> Result<DeployRepo> {
        let repo = Repository::open(path)
            .map_err(|e| git_err(format!("`{}` is not a git repository", path.display()), e))?;
        let branch = match branch {
            Some(b) => b.to_string(),
            None => head_branch(&repo).unwrap_or_else(|| "main".to_string()),
        };
        match crate::rules::names::check_branch(&branch) {
            Ok(()) => Ok(DeployRepo {
                repo,
                path: path.to_path_buf(),
                branch,
            }),
            Err(why) => Err(Error::Usage(format!(
                "`{}` is not a branch name git accepts: {why}",
                branch.escape_debug()
            ))),
        }
    }

    /// The branch's full ref name: `refs/heads/<branch>`.
    pub fn refname(&self) -> String {
        format!("refs/heads/{}", self.branch)
    }

    /// The branch's commit, or `None` when the branch does not exist yet.
    pub fn head(&self) -> Result<Option<Oid>> {
        match self.repo.refname_to_id(&self.refname()) {
            Ok(oid) => Ok(Some(oid)),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(git_err(format!("reading branch `{}`", self.branch), e)),
        }
    }

    /// Reads the files under `prefix` at the branch (or, for a branch that
    /// does not exist yet, at the repository's HEAD, which it will start from).
    pub fn snapshot(&self, prefix: &str) -> Result<Snapshot> {
        self.snapshot_of(prefix, |_| true)
    }

    /// [`Self::snapshot`] of only the top-level entries (under the prefix)
    /// whose name `keep` accepts: reading the log need not walk a hundred
    /// thousand manifests.
    pub fn snapshot_of(&self, prefix: &str, keep: impl Fn(&str) -> bool) -> Result<Snapshot> {
        let commit = self.head()?;
        let base = match commit {
            Some(c) => Some(c),
            None => self.repo.head().ok().and_then(|h| h.target()),
        };
        let mut files = BTreeMap::new();
        if let Some(c) = base {
            let tree = self
                .repo
                .find_commit(c)
                .and_then(|c| c.tree())
                .map_err(|e| git_err("reading the branch's tree", e))?;
            let sub = if prefix.is_empty() {
                Some(tree)
            } else {
                match tree.get_path(Path::new(prefix)) {
                    Ok(entry) if entry.kind() == Some(ObjectType::Tree) => Some(
                        self.repo
                            .find_tree(entry.id())
                            .map_err(|e| git_err("reading tree", e))?,
                    ),
                    _ => None,
                }
            };
            if let Some(sub) = sub {
                sub.walk(TreeWalkMode::PreOrder, |dir, entry| {
                    if dir.is_empty() && !entry.name().is_ok_and(&keep) {
                        return TreeWalkResult::Skip;
                    }
                    if entry.kind() == Some(ObjectType::Blob) {
                        if let Ok(name) = entry.name() {
                            files.insert(format!("{dir}{name}"), entry.id());
                        }
                    }
                    TreeWalkResult::Ok
                })
                .map_err(|e| git_err("reading tree", e))?;
            }
        }
        Ok(Snapshot {
            commit,
            base,
            files,
        })
    }

    /// The content of a blob.
    pub fn blob(&self, oid: Oid) -> Result<Vec<u8>> {
        self.repo
            .find_blob(oid)
            .map(|b| b.content().to_vec())
            .map_err(|e| git_err(format!("reading blob {oid}"), e))
    }

    /// Commits `changes` (path under `prefix` → new bytes, or `None` to
    /// delete) on top of the snapshot and moves the branch from
    /// `snapshot.commit` to the new commit, only if it is still there.
    pub fn commit(
        &self,
        snapshot: &Snapshot,
        prefix: &str,
        changes: &BTreeMap<String, Option<&[u8]>>,
        message: &str,
    ) -> Result<Oid> {
        self.commit_watched(snapshot, prefix, changes, message, (None, &Quiet))
    }

    /// The blobs of `changes` for a pack: each one's id (from `known`, or
    /// hashed) recorded in `by_path`; returned, those the repository does
    /// not have yet, once each, with the path each was written at.
    fn hash_blobs<'a>(
        &self,
        prefix: &str,
        changes: &'a BTreeMap<String, Option<&'a [u8]>>,
        (known, watch): (
            Option<&std::collections::HashMap<String, Known>>,
            &dyn Watch,
        ),
        by_path: &mut BTreeMap<String, Option<Oid>>,
    ) -> Result<Vec<(Oid, &'a [u8], &'a str)>> {
        use rayon::prelude::*;
        let id = |path: &str, b: &[u8]| {
            known
                .and_then(|k| k.get(path))
                .and_then(|k| Oid::from_bytes(&k.blob).ok())
                .unwrap_or_else(|| blob_id(b))
        };
        /// A path, and its new blob's id and bytes (none: removed).
        type Hashed<'b> = (&'b String, Option<(Oid, &'b [u8])>);
        let hashed: Vec<Hashed> = changes
            .par_iter()
            .map(|(path, bytes)| (path, bytes.map(|b| (id(path, b), b))))
            .collect();
        // Blobs the repository has already need no place in the pack
        // (asked without rescanning its packs on every miss).
        let existing = self
            .repo
            .odb()
            .map_err(|e| git_err("opening the object store", e))?;
        let no_refresh = git2::OdbLookupFlags::NO_REFRESH;
        let mut seen = std::collections::HashSet::new();
        let mut blobs = Vec::new();
        for (path, blob) in hashed {
            watch.tick();
            if let Some((oid, bytes)) = blob {
                if seen.insert(oid) && !existing.exists_ext(oid, no_refresh) {
                    blobs.push((oid, bytes, path.as_str()));
                }
            }
            by_path.insert(under(prefix, path), blob.map(|(oid, _)| oid));
        }
        Ok(blobs)
    }

    /// [`DeployRepo::commit`], telling `watch` how far the writing is;
    /// `known` has the digests of files hashed already (by path).
    pub(crate) fn commit_watched(
        &self,
        snapshot: &Snapshot,
        prefix: &str,
        changes: &BTreeMap<String, Option<&[u8]>>,
        message: &str,
        (known, watch): (
            Option<&std::collections::HashMap<String, Known>>,
            &dyn Watch,
        ),
    ) -> Result<Oid> {
        // Many new objects go into one pack, as a push leaves them; a few
        // stay loose, as git keeps a fetch of fewer than 100 objects
        // (`fetch.unpackLimit`). 150k loose objects are 150k files that
        // every clone and `git gc` must read one by one.
        let packing = if changes.len() >= PACK_AT {
            // A handle of its own: the in-memory backend takes every write
            // made through it, so it must not outlive this commit.
            Some(
                Repository::open(self.repo.path())
                    .map_err(|e| git_err("opening the deploy repo to write a pack", e))?,
            )
        } else {
            None
        };
        let repo = packing.as_ref().unwrap_or(&self.repo);
        let odb = packing
            .as_ref()
            .map(|r| r.odb())
            .transpose()
            .map_err(|e| git_err("opening the object store", e))?;
        let mempack = odb
            .as_ref()
            .map(|o| o.add_new_mempack_backend(1000))
            .transpose()
            .map_err(|e| git_err("preparing a pack", e))?;
        let base_tree = match snapshot.base {
            Some(c) => Some(
                repo.find_commit(c)
                    .and_then(|c| c.tree())
                    .map_err(|e| git_err("reading the branch's tree", e))?,
            ),
            None => None,
        };
        // Blobs first: only the ones that are new to the repo. Those of a
        // pack are only hashed here, and written with it.
        let mut by_path: BTreeMap<String, Option<Oid>> = BTreeMap::new();
        let mut pack_blobs: Vec<(Oid, &[u8], &str)> = Vec::new();
        let mut lenient = None;
        watch.stage("writing git objects", changes.len());
        if packing.is_some() {
            pack_blobs = self.hash_blobs(prefix, changes, (known, watch), &mut by_path)?;
            // The trees name blobs that are not written yet.
            lenient = Some(Lenient::new());
        } else {
            for (path, bytes) in changes {
                watch.tick();
                let oid = match bytes {
                    Some(b) => Some(repo.blob(b).map_err(|e| git_err("writing a blob", e))?),
                    None => None,
                };
                by_path.insert(under(prefix, path), oid);
            }
        }
        watch.end();
        let mut trees = Vec::new();
        let tree_oid = update_tree(repo, base_tree.as_ref(), &by_path, &mut trees)?
            .map(Ok)
            .unwrap_or_else(|| {
                repo.treebuilder(None)
                    .and_then(|b| b.write())
                    .map_err(|e| git_err("writing an empty tree", e))
            })?;
        let tree = repo
            .find_tree(tree_oid)
            .map_err(|e| git_err("reading the new tree", e))?;
        let author = signature(repo, "AUTHOR")?;
        let committer = signature(repo, "COMMITTER")?;
        let parents = match snapshot.base {
            Some(c) => vec![repo
                .find_commit(c)
                .map_err(|e| git_err("reading the parent", e))?],
            None => vec![],
        };
        let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
        let commit = repo
            .commit(None, &author, &committer, message, &tree, &parent_refs)
            .map_err(|e| git_err("writing the commit", e))?;
        drop(lenient);
        if let (Some(mempack), Some(odb)) = (&mempack, &odb) {
            watch.stage("packing git objects", 0);
            let packed = write_pack(
                repo,
                mempack,
                odb,
                &pack_blobs,
                trees.iter().chain([&commit]),
            );
            watch.end();
            packed?;
        }
        let log_message = format!("fleetc: {}", message.lines().next().unwrap_or(""));
        let moved = match snapshot.commit {
            Some(old) => repo.reference_matching(&self.refname(), commit, true, old, &log_message),
            None => repo.reference(&self.refname(), commit, false, &log_message),
        };
        let branch = self.branch.clone();
        let was = snapshot
            .commit
            .map(short)
            .unwrap_or_else(|| "no commit".into());
        match moved {
            Ok(_) => Ok(commit),
            Err(e) if e.code() == git2::ErrorCode::Locked => Err(Refusal::BranchLocked {
                branch,
                was,
                lock: self
                    .repo
                    .path()
                    .join(format!("{}.lock", self.refname()))
                    .display()
                    .to_string(),
            }
            .into()),
            Err(e)
                if matches!(
                    e.code(),
                    git2::ErrorCode::Modified | git2::ErrorCode::Exists
                ) =>
            {
                Err(Refusal::BranchMoved { branch, was }.into())
            }
            Err(e) => Err(git_err(format!("moving branch `{}`", self.branch), e)),
        }
    }

    /// The lists of fleetc's files that a commit of `tree` writes (or, `None`,
    /// removes): the groups whose list changed, and the single
    /// `.fleetc-manifest` of earlier fleetc, which the lists replace. Empty
    /// when every list is current.
    pub fn manifest_writes(
        &self,
        snapshot: &Snapshot,
        tree: &Tree,
        digests: &std::collections::HashMap<String, Known>,
    ) -> Result<BTreeMap<String, Option<String>>> {
        let parts = tree.manifest_parts(digests);
        let mut writes: BTreeMap<String, Option<String>> = BTreeMap::new();
        for old in self.paths_in(snapshot, tree::MANIFESTS_DIR) {
            if !parts.contains_key(&old) {
                writes.insert(old, None);
            }
        }
        if snapshot.files.contains_key(MANIFEST_FILE) {
            writes.insert(MANIFEST_FILE.to_string(), None);
        }
        use rayon::prelude::*;
        let held: Vec<Result<bool>> = parts
            .par_iter()
            .map(|(path, text)| snapshot.holds(path, text.as_bytes()))
            .collect();
        for ((path, text), held) in parts.into_iter().zip(held) {
            if !held? {
                writes.insert(path, Some(text));
            }
        }
        Ok(writes)
    }

    /// The bytes of each of `paths` (under the prefix) in the snapshot, if
    /// it is there and can be read, read on every core (a repository
    /// handle per thread: libgit2's are not shared between threads).
    pub(crate) fn files(&self, snapshot: &Snapshot, paths: &[&str]) -> Vec<Option<Vec<u8>>> {
        use rayon::prelude::*;
        let at = self.repo.path().to_path_buf();
        paths
            .par_iter()
            .map_init(
                || Repository::open(&at).ok(),
                |repo, path| {
                    let oid = snapshot.files.get(*path)?;
                    let blob = repo.as_ref()?.find_blob(*oid).ok()?;
                    Some(blob.content().to_vec())
                },
            )
            .collect()
    }

    /// The bytes of `path` (under the prefix) in the snapshot, if it is there.
    pub fn file(&self, snapshot: &Snapshot, path: &str) -> Result<Option<Vec<u8>>> {
        snapshot
            .files
            .get(path)
            .map(|oid| self.blob(*oid))
            .transpose()
    }

    /// The paths (under the prefix) of the snapshot's files in `folder`, in order.
    pub fn paths_in(&self, snapshot: &Snapshot, folder: &str) -> Vec<String> {
        let start = format!("{folder}/");
        snapshot
            .files
            .range(start.clone()..)
            .take_while(|(p, _)| p.starts_with(&start))
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// The files that differ between the snapshot and `tree`, compared by
    /// blob id, so only the changed ones are read. A file the snapshot holds
    /// but `tree` does not is a change only when fleetc wrote it (its
    /// lists under `.fleetc/manifests/`, or the single `.fleetc-manifest`
    /// of earlier fleetc, name it): the rest of the branch is not fleetc's.
    /// `tree` is taken, so that the bytes of a changed file move into its
    /// change rather than being copied (at fleet scale, every file of a
    /// first commit).
    ///
    /// `lists` is [`Self::manifest_writes`] of the tree: the lists of
    /// fleetc's files that change. A list that does not change names the
    /// same files as before, so only the changing ones are read to find the
    /// files fleetc wrote before and no longer renders.
    pub fn changes(
        &self,
        snapshot: &Snapshot,
        tree: Tree,
        lists: &BTreeMap<String, Option<String>>,
        digests: &std::collections::HashMap<String, Known>,
    ) -> Result<Vec<FileChange>> {
        let mut previous = std::collections::BTreeSet::new();
        for list in lists.keys() {
            if let Some(bytes) = self.file(snapshot, list)? {
                previous.extend(tree::manifest_paths(&String::from_utf8_lossy(&bytes)));
            }
        }
        use rayon::prelude::*;
        let oids: Vec<Result<Oid>> = tree
            .files
            .par_iter()
            .map(|(path, bytes)| match digests.get(path) {
                Some(k) => {
                    Oid::from_bytes(&k.blob).map_err(|e| git_err(format!("hashing {path}"), e))
                }
                None => Oid::hash_object(ObjectType::Blob, bytes)
                    .map_err(|e| git_err(format!("hashing {path}"), e)),
            })
            .collect();
        // What fleetc wrote before and no longer renders, found before the
        // tree is taken apart.
        let gone: Vec<String> = previous
            .into_iter()
            .filter(|p| !tree.files.contains_key(p) && !tree.known.contains_key(p))
            .collect();
        // A file known by its digests is one the branch holds: the renders
        // reused are checked against the snapshot as they are loaded.
        for (path, known) in &tree.known {
            let held = snapshot.files.get(path).map(|oid| oid.as_bytes());
            if held != Some(&known.blob[..]) {
                return Err(Error::Usage(format!(
                    "fleetc bug: {path} was taken from an earlier compile but is not what branch `{}` holds; please report it",
                    self.branch,
                )));
            }
        }
        let mut changes = Vec::new();
        for ((path, bytes), new_oid) in tree.files.into_iter().zip(oids) {
            let new_oid = new_oid?;
            let old = match snapshot.files.get(&path) {
                Some(oid) if *oid == new_oid => continue,
                Some(oid) => Some(self.blob(*oid)?),
                None => None,
            };
            changes.push(FileChange {
                path,
                old,
                new: Some(bytes),
            });
        }
        for path in gone {
            if let Some(oid) = snapshot.files.get(&path) {
                changes.push(FileChange {
                    path,
                    old: Some(self.blob(*oid)?),
                    new: None,
                });
            }
        }
        Ok(changes)
    }

    /// Deployment log entry number → the commit that added it, from the
    /// `Fleetc-Log-Entry: N` trailers on the branch's first-parent history.
    pub fn log_entry_commits(&self, snapshot: &Snapshot) -> Result<BTreeMap<u64, String>> {
        let mut commits = BTreeMap::new();
        let Some(head) = snapshot.commit else {
            return Ok(commits);
        };
        let mut walk = self
            .repo
            .revwalk()
            .map_err(|e| git_err("walking the branch", e))?;
        walk.simplify_first_parent()
            .and_then(|()| walk.push(head))
            .map_err(|e| git_err("walking the branch", e))?;
        for oid in walk.flatten() {
            if let Ok(commit) = self.repo.find_commit(oid) {
                let msg = commit.message().unwrap_or("");
                if let Some(n) = msg
                    .lines()
                    .find_map(|l| l.strip_prefix(crate::repo::deploylog::ENTRY_TRAILER))
                    .and_then(|n| n.trim().parse::<u64>().ok())
                {
                    commits.entry(n).or_insert_with(|| oid.to_string());
                }
            }
        }
        Ok(commits)
    }

    /// Whether the branch is checked out in this repository's working tree.
    pub fn is_checked_out(&self) -> bool {
        !self.repo.is_bare() && head_branch(&self.repo).as_deref() == Some(self.branch.as_str())
    }
}

/// The inventory's git commit and whether its folder has uncommitted
/// changes (`unknown` outside git, `unborn` before the first commit).
pub(crate) fn inventory_revision(root: &Path) -> (String, bool) {
    let Ok(repo) = Repository::discover(root) else {
        return ("unknown".to_string(), false);
    };
    let head = repo
        .head()
        .ok()
        .and_then(|h| h.target())
        .map(|o| o.to_string())
        .unwrap_or_else(|| "unborn".to_string());
    let rel = match (
        repo.workdir().and_then(|w| w.canonicalize().ok()),
        root.canonicalize().ok(),
    ) {
        (Some(w), Some(r)) => r
            .strip_prefix(&w)
            .map(Path::to_path_buf)
            .unwrap_or_default(),
        _ => PathBuf::new(),
    };
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    if !rel.as_os_str().is_empty() {
        opts.pathspec(rel.to_string_lossy().replace('\\', "/"));
    }
    let dirty = repo
        .statuses(Some(&mut opts))
        .map(|s| !s.is_empty())
        .unwrap_or(false);
    (head, dirty)
}

/// The inventory folder `root` at a revision of its git repository: its
/// files (relative to the folder), the id of its git tree then, and the
/// repository's git folder (where fleetc may keep what it made of it).
pub(crate) struct InventoryAt {
    pub files: Tree,
    pub tree: Oid,
    pub git_dir: PathBuf,
}

/// The files of the inventory folder `root` as they were at revision `rev`
/// of its git repository, relative to the folder; `None` when the folder
/// did not exist then.
pub(crate) fn inventory_at(root: &Path, rev: &str) -> Result<Option<InventoryAt>> {
    let repo = Repository::discover(root).map_err(|e| {
        Error::Usage(format!(
            "--base needs the inventory in a git repository: {}",
            e.message()
        ))
    })?;
    let workdir = repo
        .workdir()
        .ok_or_else(|| Error::Usage("--base needs a repository with a working tree".to_string()))?
        .canonicalize()
        .map_err(|e| Error::io(root, e))?;
    let abs = root.canonicalize().map_err(|e| Error::io(root, e))?;
    let rel = abs
        .strip_prefix(&workdir)
        .unwrap_or(Path::new(""))
        .to_path_buf();
    let commit = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| Error::Usage(format!("cannot find revision `{rev}`: {}", e.message())))?;
    let tree = commit
        .tree()
        .map_err(|e| git_err(format!("reading revision `{rev}`"), e))?;
    let sub = if rel.as_os_str().is_empty() {
        Some(tree)
    } else {
        tree.get_path(&rel)
            .ok()
            .and_then(|e| repo.find_tree(e.id()).ok())
    };
    let Some(sub) = sub else {
        return Ok(None);
    };
    let mut files = BTreeMap::new();
    let mut failed = None;
    let walked = sub.walk(TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() == Some(ObjectType::Blob) {
            let path = format!("{dir}{}", entry.name().unwrap_or("_"));
            match repo.find_blob(entry.id()) {
                Ok(b) => {
                    files.insert(path, b.content().to_vec());
                }
                Err(e) => {
                    failed = Some(git_err(format!("reading `{path}` at `{rev}`"), e));
                    return TreeWalkResult::Abort;
                }
            }
        }
        TreeWalkResult::Ok
    });
    if let Some(e) = failed {
        return Err(e);
    }
    walked.map_err(|e| git_err(format!("reading revision `{rev}`"), e))?;
    Ok(Some(InventoryAt {
        files: Tree {
            files,
            known: BTreeMap::new(),
        },
        tree: sub.id(),
        git_dir: repo.commondir().to_path_buf(),
    }))
}

/// The branch HEAD points at (also when it has no commit yet).
fn head_branch(repo: &Repository) -> Option<String> {
    let head = repo.find_reference("HEAD").ok()?;
    let target = head.symbolic_target().ok()??;
    target.strip_prefix("refs/heads/").map(str::to_string)
}

/// From this many changed files on, a commit's new objects are written as
/// one pack instead of loose.
const PACK_AT: usize = 100;

/// Writes `blobs` and the objects `held` (trees and the commit, in
/// `mempack`) as one pack and its index into the repository
/// ([`super::pack`]). The pack is built in `GITDIR/fleetc-packing/`,
/// then renamed into `objects/pack/`, the index last, so a killed commit
/// leaves its scraps in fleetc's folder, not among git's packs. The folder
/// is locked while in use, and the next commit clears what a killed one
/// left.
fn write_pack<'a>(
    repo: &Repository,
    mempack: &git2::Mempack,
    odb: &git2::Odb<'_>,
    blobs: &[(Oid, &[u8], &str)],
    held: impl Iterator<Item = &'a Oid>,
) -> Result<()> {
    let read: Vec<git2::OdbObject<'_>> = held
        .map(|oid| odb.read(*oid))
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| git_err("packing the new objects", e))?;
    let mut objects: Vec<super::pack::Object<'_>> = blobs
        .iter()
        .map(|(oid, bytes, _)| (*oid, ObjectType::Blob, *bytes))
        .collect();
    objects.extend(read.iter().map(|o| (o.id(), o.kind(), o.data())));
    // Blobs by the path they were written at: alike names, alike files.
    let names: Vec<&str> = blobs.iter().map(|(_, _, path)| *path).collect();
    // The objects are shared by every worktree: the common git folder
    // holds them, and the packing folder beside them (one filesystem, so
    // the renames are atomic).
    let common = repo.commondir();
    let work = common.join(PACKING);
    let io = |path: &Path, e| Error::io(path, e);
    fs::create_dir_all(&work).map_err(|e| io(&work, e))?;
    // One packer at a time; the lock dies with the process.
    let lock = fs::File::open(&work).map_err(|e| io(&work, e))?;
    if lock.try_lock().is_err() {
        eprintln!(
            "note: waiting for another fleetc packing objects into this repo (it holds {})",
            work.display()
        );
        lock.lock().map_err(|e| io(&work, e))?;
    }
    clear(&work)?;
    super::pack::write(
        &work,
        &common.join("objects").join("pack"),
        &objects,
        &names,
    )?;
    drop(lock);
    drop(read);
    odb.refresh()
        .and_then(|()| mempack.reset())
        .map_err(|e| git_err("packing the new objects", e))
}

/// While alive, libgit2 lets trees name objects it does not have yet (the
/// blobs of a pack still to be written).
struct Lenient;

impl Lenient {
    fn new() -> Lenient {
        git2::opts::strict_object_creation(false);
        Lenient
    }
}

impl Drop for Lenient {
    fn drop(&mut self) {
        git2::opts::strict_object_creation(true);
    }
}

/// `path` under the deploy path `prefix`.
fn under(prefix: &str, path: &str) -> String {
    if prefix.is_empty() {
        path.to_string()
    } else {
        format!("{prefix}/{path}")
    }
}

/// Where packs are assembled, inside the git directory.
const PACKING: &str = "fleetc-packing";

/// Removes everything in `dir` (what a killed commit left while packing).
fn clear(dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        let removed = if path.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        removed.map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}

/// For commands that only read and show (`log`): objects are not hashed
/// again as they are read, as git reads them (only `git fsck` re-hashes);
/// libgit2's check was a quarter of `log` on a long history.
pub(crate) fn read_only() {
    git2::opts::strict_hash_verification(false);
}

/// The git blob id of `bytes`.
pub(crate) fn blob_id(bytes: &[u8]) -> Oid {
    Oid::hash_object(ObjectType::Blob, bytes).unwrap_or(Oid::ZERO_SHA1)
}

/// A file's digests: SHA-256 and its git blob id.
pub(crate) fn known(bytes: &[u8]) -> Known {
    use sha2::Digest;
    let blob = Oid::hash_object(ObjectType::Blob, bytes).map_or([0; 20], |oid| {
        let mut b = [0; 20];
        b.copy_from_slice(oid.as_bytes());
        b
    });
    Known {
        sha256: sha2::Sha256::digest(bytes).into(),
        blob,
    }
}

/// The digests of the files `tree` holds the bytes of (not those it knows
/// by digest already), by path, taken in parallel.
pub(crate) fn digests(tree: &Tree) -> std::collections::HashMap<String, Known> {
    use rayon::prelude::*;
    tree.files
        .par_iter()
        .map(|(path, bytes)| (path.clone(), known(bytes)))
        .collect()
}

/// Seven hex digits, as git shows commits.
pub(crate) fn short(oid: Oid) -> String {
    oid.to_string()[..7].to_string()
}

/// Rewrites `base` with `changes` (full path → blob or deletion). Only the
/// subtrees on changed paths are rebuilt. `None` when the result is empty.
fn update_tree(
    repo: &Repository,
    base: Option<&git2::Tree>,
    changes: &BTreeMap<String, Option<Oid>>,
    written: &mut Vec<Oid>,
) -> Result<Option<Oid>> {
    let mut here: Vec<(&str, Option<Oid>)> = Vec::new();
    let mut below: BTreeMap<&str, BTreeMap<String, Option<Oid>>> = BTreeMap::new();
    for (path, oid) in changes {
        match path.split_once('/') {
            Some((dir, rest)) => {
                below.entry(dir).or_default().insert(rest.to_string(), *oid);
            }
            None => here.push((path, *oid)),
        }
    }
    let mut builder = repo
        .treebuilder(base)
        .map_err(|e| git_err("building a tree", e))?;
    for (name, oid) in here {
        match oid {
            Some(oid) => builder
                .insert(name, oid, 0o100644)
                .map(|_| ())
                .map_err(|e| git_err(format!("adding `{name}`"), e))?,
            None => {
                if builder.get(name).ok().flatten().is_some() {
                    builder
                        .remove(name)
                        .map_err(|e| git_err(format!("removing `{name}`"), e))?;
                }
            }
        }
    }
    for (dir, sub) in below {
        let existing = base
            .and_then(|t| t.get_name(dir))
            .filter(|e| e.kind() == Some(ObjectType::Tree))
            .map(|e| repo.find_tree(e.id()))
            .transpose()
            .map_err(|e| git_err("reading a tree", e))?;
        match update_tree(repo, existing.as_ref(), &sub, written)? {
            Some(oid) => {
                builder
                    .insert(dir, oid, 0o040000)
                    .map_err(|e| git_err(format!("adding `{dir}/`"), e))?;
            }
            None => {
                if builder.get(dir).ok().flatten().is_some() {
                    builder
                        .remove(dir)
                        .map_err(|e| git_err(format!("removing `{dir}/`"), e))?;
                }
            }
        }
    }
    if builder.is_empty() {
        return Ok(None);
    }
    let oid = builder.write().map_err(|e| git_err("writing a tree", e))?;
    written.push(oid);
    Ok(Some(oid))
}

/// Author or committer, from the places git takes them: `GIT_AUTHOR_NAME`
/// (and `_EMAIL`, `_DATE`), then `user.name` / `user.email` in the git
/// config, then `fleetc <fleetc@localhost>`. Each is checked as `git fsck`
/// checks a commit's identity, and a bad one is an error naming where it
/// came from.
pub(crate) fn signature(repo: &Repository, who: &str) -> Result<Signature<'static>> {
    let config = repo.config().ok();
    let from = |var: String, key: &str, default: &str| -> (String, String) {
        if let Ok(v) = std::env::var(&var) {
            return (v, var);
        }
        if let Some(v) = config.as_ref().and_then(|c| c.get_string(key).ok()) {
            return (v, format!("git config `{key}`"));
        }
        (default.to_string(), "the default".to_string())
    };
    let (name, name_from) = from(format!("GIT_{who}_NAME"), "user.name", "fleetc");
    let (email, email_from) = from(format!("GIT_{who}_EMAIL"), "user.email", "fleetc@localhost");
    for (value, origin, what) in [(&name, &name_from, "name"), (&email, &email_from, "email")] {
        if value.trim().is_empty()
            || value
                .chars()
                .any(|c| c.is_control() || c == '<' || c == '>')
        {
            return Err(Error::Usage(format!(
                "the {what} in {origin} (`{}`) cannot go into a git commit: it is empty or has `<`, `>` or a control character",
                value.escape_debug()
            )));
        }
    }
    let var = format!("GIT_{who}_DATE");
    let time = match std::env::var(&var) {
        Ok(date) => parse_git_date(&date).ok_or_else(|| {
            Error::Usage(format!(
                "{var}=`{}` is not a date fleetc reads: use `@<unix seconds> +0000` or `2026-11-21T17:00:00Z` (time zones from -1200 to +1400)",
                date.escape_debug()
            ))
        })?,
        Err(_) => Time::new(crate::base::time::unix_now(), 0),
    };
    Signature::new(&name, &email, &time).map_err(|e| git_err(format!("the {who} of the commit"), e))
}

/// `@1700000000 +0100`, `1700000000 +0100`, or `YYYY-MM-DDTHH:MM:SSZ`; a
/// time zone must be `+hhmm` or `-hhmm` from -1200 to +1400 (what
/// `git fsck --strict` accepts).
pub(crate) fn parse_git_date(s: &str) -> Option<Time> {
    let s = s.trim();
    let (secs, tz) = match s.split_once(' ') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let offset = match tz {
        Some(tz) => {
            let b = tz.as_bytes();
            if b.len() != 5
                || !matches!(b[0], b'+' | b'-')
                || !b[1..].iter().all(u8::is_ascii_digit)
            {
                return None;
            }
            let sign = if b[0] == b'-' { -1 } else { 1 };
            let h = i32::from(b[1] - b'0') * 10 + i32::from(b[2] - b'0');
            let m = i32::from(b[3] - b'0') * 10 + i32::from(b[4] - b'0');
            let minutes = sign * (h * 60 + m);
            if m >= 60 || !(-12 * 60..=14 * 60).contains(&minutes) {
                return None;
            }
            minutes
        }
        None => 0,
    };
    if let Ok(n) = secs.trim_start_matches('@').parse::<i64>() {
        // git keeps times as unsigned seconds since 1970, at most 2^63.
        return (n >= 0).then(|| Time::new(n, offset));
    }
    crate::base::time::parse_time(s)
        .filter(|t| *t >= 0)
        .map(|t| Time::new(t, 0))
}
