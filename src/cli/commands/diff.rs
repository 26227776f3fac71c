//! `fleetc diff`: what a compile would change, against a folder, a deploy
//! branch or the inventory at another revision; written nowhere.

use std::io::IsTerminal;
use std::path::Path;

use super::emit;
use crate::base::error::{Error, Result};
use crate::cli::args::{DiffArgs, Format};
use crate::cli::progress::{self, Progress};
use crate::cli::{EXIT_CHANGES, EXIT_OK};
use crate::load::Files;
use crate::pipeline::{self, compile_files_watched, Compiled};
use crate::render::tree::{FileChange, Tree};
use crate::render::{Keep, Reuse};
use crate::repo::cache;
use crate::repo::diff;
use crate::repo::git::{self, DeployRepo};
use crate::repo::guard;
use crate::repo::output;

/// Each cluster's group for the Markdown summary: the HTML report's groups
/// (by the label it would use), by cluster name.
fn cluster_groups(c: &Compiled, asked: Option<&str>) -> Result<diff::Groups> {
    let Some(label) = crate::views::html::group_label(c, asked) else {
        return Ok(diff::Groups::new());
    };
    super::known_labels(c, [label.as_str()], "--group-by")?;
    let clusters = &c.inventory.clusters;
    Ok(crate::views::html::cluster_groups(c, Some(&label))
        .into_iter()
        .flat_map(|(group, members)| {
            members
                .into_iter()
                .map(move |ci| (clusters[ci].name.clone(), group.clone()))
        })
        .collect())
}

pub(super) fn run(root: &Path, args: DiffArgs) -> Result<i32> {
    if args.split.is_some() && args.format != Format::Markdown {
        return Err(Error::Usage(
            "--split cuts a Markdown comment: add --format markdown".to_string(),
        ));
    }
    if args.group_by.is_some() && args.format != Format::Markdown {
        return Err(Error::Usage(
            "--group-by shapes the Markdown comment's table by cluster group: add --format markdown"
                .to_string(),
        ));
    }
    let shard = super::compile::shard(args.clusters.as_deref())?;
    let shard = shard.as_ref();
    let mut notes = Vec::new();
    // The compile (none when the branch is known to be up to date), and
    // what differs.
    let (c, changes) = match (&args.out, &args.repo, &args.base) {
        (Some(out), _, _) => {
            let read = pipeline::read(root, &Progress)?;
            let mut c = read.compile_shard(Keep::Texts, None, shard, &Progress)?;
            let tree = c.take_tree();
            let changes = output::dir_changes(out, &tree)?;
            (Some(c), changes)
        }
        (_, Some(repo), _) => {
            // The branch's records spare the pairs that did not change,
            // or the whole compile (as in `compile --repo`).
            let settings = pipeline::load_settings(root)?;
            let prefix = settings.deploy_prefix();
            let deploy = DeployRepo::open(repo, args.branch.as_deref())?;
            let read = pipeline::read(root, &Progress)?;
            let snapshot = deploy.snapshot(prefix)?;
            if cache::unchanged(&deploy, &snapshot, read.digest(shard)).is_some() {
                progress::fact("the inventory is the one the branch was last compiled from");
                (None, Vec::new())
            } else {
                let reuse = cache::load(&deploy, &snapshot);
                let mut c = read.compile_shard(Keep::Texts, Some(&reuse), shard, &Progress)?;
                let tree = c.take_tree();
                let digests = git::digests(&tree);
                let lists = deploy.manifest_writes(&snapshot, &tree, &digests)?;
                let changes = deploy.changes(&snapshot, tree, &lists, &digests)?;
                (Some(c), changes)
            }
        }
        (_, _, Some(rev)) => {
            let (c, changes) = base_changes(root, rev, &mut notes)?;
            (Some(c), changes)
        }
        _ => {
            return Err(Error::Usage(
                "say what to compare with: --out DIR, --repo PATH or --base REV".to_string(),
            ))
        }
    };
    let mut cs = diff::classify_with_diffs(&changes);
    if let Some(c) = &c {
        crate::repo::deploylog::explain(c, &mut cs);
    }
    let verdict = c.as_ref().and_then(|c| guard::refusal(&cs, c));
    if let Some(g) = &verdict {
        notes.push(format!(
            "{g}; `compile` would refuse it without --allow-removals"
        ));
    }
    let text = match args.format {
        Format::Text => {
            let color = std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let mut t = String::new();
            for n in &notes {
                t.push_str(&format!("note: {n}\n"));
            }
            t + &diff::text(&cs, color, true)
        }
        Format::Markdown => {
            let groups = match &c {
                Some(c) => cluster_groups(c, args.group_by.as_deref())?,
                None => diff::Groups::new(),
            };
            match &args.split {
                Some(dir) => {
                    let parts = diff::markdown_split(&cs, args.max_bytes, &notes, &groups);
                    output::write_comments(dir, &parts)?.join("\n") + "\n"
                }
                None => diff::markdown(&cs, args.max_bytes, &notes, &groups),
            }
        }
        Format::Json => diff::json(&cs, serde_json::json!({ "guard": verdict, "notes": notes })),
    };
    emit(&text)?;
    super::at_exit((c, changes));
    Ok(if args.exit_code && !cs.is_empty() {
        EXIT_CHANGES
    } else {
        EXIT_OK
    })
}

/// `--base REV`: the inventory at REV, rendered, against the current one.
/// What cannot be rendered at REV counts as an empty tree, with a note.
/// The current inventory is compiled second, reusing REV's renders of the
/// pairs whose inputs did not change: only what changed is rendered twice.
/// REV's renders are saved in the inventory repository's git folder: the
/// next diff against the same revision compiles the current inventory
/// first, reusing them, and then renders of REV only what changed.
fn base_changes(
    root: &Path,
    rev: &str,
    notes: &mut Vec<String>,
) -> Result<(Compiled, Vec<FileChange>)> {
    let at = git::inventory_at(root, rev)?;
    if let Some(at) = &at {
        if let Some(saved) = cache::load_base(&at.git_dir, at.tree) {
            progress::fact("renders of the base revision saved by an earlier diff");
            let read = pipeline::read(root, &Progress)?;
            let mut c = read.compile(Keep::Texts, Some(&saved), &Progress)?;
            let tree = c.take_tree();
            let mut unchanged = saved;
            unchanged.retain(|path, _| tree.known.contains_key(path));
            let (files, problems) = Files::from_tree(root, &at.files.files);
            if problems.is_empty() {
                if let Ok(mut b) = crate::pipeline::compile_files_reusing(&files, &unchanged) {
                    let base_tree = b.take_tree();
                    return Ok((c, crate::render::tree::tree_changes(&base_tree, &tree)));
                }
            }
        }
    }
    let base = match &at {
        Some(at) => {
            let (files, problems) = Files::from_tree(root, &at.files.files);
            let compiled = if problems.is_empty() {
                compile_files_watched(&files, &Progress)
            } else {
                Err(Error::Invalid(problems))
            };
            match compiled {
                Ok(b) => Some(b),
                Err(Error::Invalid(d)) => {
                    notes.push(format!(
                        "the inventory at `{rev}` does not compile ({}); everything is shown as added",
                        crate::base::words::count(d.len() as u128, "problem")
                    ));
                    None
                }
                Err(e) => return Err(e),
            }
        }
        None => {
            notes.push(format!(
                "the inventory did not exist at `{rev}`; everything is shown as added"
            ));
            None
        }
    };
    let (reuse, base_tree) = match (base, &at) {
        (Some(mut b), Some(at)) => {
            let tree = b.take_tree();
            cache::save_base(&at.git_dir, at.tree, &b, &tree);
            (cache::reuse_of(&b, &tree), tree)
        }
        _ => (Reuse::default(), Tree::default()),
    };
    let mut c = pipeline::read(root, &Progress)?.compile(Keep::Texts, Some(&reuse), &Progress)?;
    let tree = c.take_tree();
    Ok((c, crate::render::tree::tree_changes(&base_tree, &tree)))
}
