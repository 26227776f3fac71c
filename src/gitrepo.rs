//! git: read a branch's tree, write a new one, move the branch safely.
//!
//! Everything goes through the object store with git2; no checkout or
//! working tree is needed, so a bare deploy repo works. Only the trees on
//! the paths that changed are rewritten, and only blobs whose content
//! changed are written. The branch moves by compare-and-swap against the
//! commit the compile started from, so two compiles racing on one repo can
//! never both win, and a compile killed at any moment leaves the branch at
//! the old commit or the new one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository, Signature, Time, TreeWalkMode, TreeWalkResult};

use crate::error::{Error, Result};

/// A deploy repository and the branch fleetc commits to.
pub struct DeployRepo {
    pub repo: Repository,
    pub path: PathBuf,
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
    pub commit: Option<Oid>,
    /// The commit a new branch starts from (the repo's HEAD), if any.
    pub base: Option<Oid>,
    /// Path relative to the prefix → blob id.
    pub files: BTreeMap<String, Oid>,
}

fn git_err(what: impl std::fmt::Display, e: git2::Error) -> Error {
    Error::Usage(format!("{what}: {}", e.message()))
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
        if git2::Reference::is_valid_name(&format!("refs/heads/{branch}")) {
            Ok(DeployRepo {
                repo,
                path: path.to_path_buf(),
                branch,
            })
        } else {
            Err(Error::Usage(format!(
                "`{branch}` is not a valid branch name"
            )))
        }
    }

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
        let repo = &self.repo;
        let base_tree = match snapshot.base {
            Some(c) => Some(
                repo.find_commit(c)
                    .and_then(|c| c.tree())
                    .map_err(|e| git_err("reading the branch's tree", e))?,
            ),
            None => None,
        };
        // Blobs first: only the ones that are new to the repo.
        let mut by_path: BTreeMap<String, Option<Oid>> = BTreeMap::new();
        for (path, bytes) in changes {
            let full = if prefix.is_empty() {
                path.clone()
            } else {
                format!("{prefix}/{path}")
            };
            let oid = match bytes {
                Some(b) => Some(repo.blob(b).map_err(|e| git_err("writing a blob", e))?),
                None => None,
            };
            by_path.insert(full, oid);
        }
        let tree_oid = update_tree(repo, base_tree.as_ref(), &by_path)?
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
        let log_message = format!("fleetc: {}", message.lines().next().unwrap_or(""));
        let moved = match snapshot.commit {
            Some(old) => repo.reference_matching(&self.refname(), commit, true, old, &log_message),
            None => repo.reference(&self.refname(), commit, false, &log_message),
        };
        match moved {
            Ok(_) => Ok(commit),
            Err(e) if matches!(e.code(), git2::ErrorCode::Modified | git2::ErrorCode::Exists | git2::ErrorCode::Locked) => {
                Err(Error::Usage(format!(
                    "branch `{}` moved while fleetc was compiling (it was at {}); nothing was changed: run the compile again{}",
                    self.branch,
                    snapshot.commit.map(short).unwrap_or_else(|| "no commit".into()),
                    if e.code() == git2::ErrorCode::Locked {
                        format!(" (if no other git or fleetc is running, remove `{}.lock`)", self.refname())
                    } else {
                        String::new()
                    }
                )))
            }
            Err(e) => Err(git_err(format!("moving branch `{}`", self.branch), e)),
        }
    }

    /// Whether the branch is checked out in this repository's working tree.
    pub fn is_checked_out(&self) -> bool {
        !self.repo.is_bare() && head_branch(&self.repo).as_deref() == Some(self.branch.as_str())
    }
}

/// The branch HEAD points at (also when it has no commit yet).
fn head_branch(repo: &Repository) -> Option<String> {
    let head = repo.find_reference("HEAD").ok()?;
    let target = head.symbolic_target().ok()??;
    target.strip_prefix("refs/heads/").map(str::to_string)
}

/// Seven hex digits, as git shows commits.
pub fn short(oid: Oid) -> String {
    oid.to_string()[..7].to_string()
}

/// Rewrites `base` with `changes` (full path → blob or deletion). Only the
/// subtrees on changed paths are rebuilt. `None` when the result is empty.
fn update_tree(
    repo: &Repository,
    base: Option<&git2::Tree>,
    changes: &BTreeMap<String, Option<Oid>>,
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
        match update_tree(repo, existing.as_ref(), &sub)? {
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
    builder
        .write()
        .map(Some)
        .map_err(|e| git_err("writing a tree", e))
}

/// Author or committer, from the places git takes them: `GIT_AUTHOR_NAME`
/// (and `_EMAIL`, `_DATE`), then `user.name` / `user.email` in the git
/// config, then `fleetc <fleetc@localhost>`.
pub fn signature(repo: &Repository, who: &str) -> Result<Signature<'static>> {
    let config = repo.config().ok();
    let from_config = |key: &str| config.as_ref().and_then(|c| c.get_string(key).ok());
    let name = std::env::var(format!("GIT_{who}_NAME"))
        .ok()
        .or_else(|| from_config("user.name"))
        .unwrap_or_else(|| "fleetc".to_string());
    let email = std::env::var(format!("GIT_{who}_EMAIL"))
        .ok()
        .or_else(|| from_config("user.email"))
        .unwrap_or_else(|| "fleetc@localhost".to_string());
    let time = match std::env::var(format!("GIT_{who}_DATE")) {
        Ok(date) => parse_git_date(&date).ok_or_else(|| {
            Error::Usage(format!(
                "GIT_{who}_DATE=`{date}` is not a date fleetc reads: use `@<unix seconds> +0000` or `2026-11-21T17:00:00Z`"
            ))
        })?,
        Err(_) => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            Time::new(now, 0)
        }
    };
    Signature::new(&name, &email, &time).map_err(|e| git_err("author or committer", e))
}

/// `@1700000000 +0100`, `1700000000 +0100`, or `YYYY-MM-DDTHH:MM:SSZ`.
pub fn parse_git_date(s: &str) -> Option<Time> {
    let s = s.trim();
    let (secs, tz) = match s.split_once(' ') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let offset = match tz {
        Some(tz) if tz.len() == 5 => {
            let sign = if tz.starts_with('-') { -1 } else { 1 };
            let h: i32 = tz[1..3].parse().ok()?;
            let m: i32 = tz[3..5].parse().ok()?;
            sign * (h * 60 + m)
        }
        Some(_) => return None,
        None => 0,
    };
    if let Ok(n) = secs.trim_start_matches('@').parse::<i64>() {
        return Some(Time::new(n, offset));
    }
    crate::deploylog::parse_time(s).map(|t| Time::new(t, 0))
}
