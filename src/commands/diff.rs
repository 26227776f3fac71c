//! `fleetc diff`: what a compile would change, against a folder, a deploy
//! branch or the inventory at another revision; written nowhere.

use std::io::IsTerminal;
use std::path::Path;

use super::emit;
use crate::cli::{DiffArgs, Format};
use crate::diff;
use crate::error::{Error, Result, EXIT_CHANGES, EXIT_OK};
use crate::gitrepo::{self, DeployRepo};
use crate::guard;
use crate::inventory::Files;
use crate::output::{self, FileChange, Tree};
use crate::pipeline::{compile, compile_files};

pub(super) fn run(root: &Path, args: DiffArgs) -> Result<i32> {
    let mut c = compile(root)?;
    let tree = c.take_tree();
    let mut notes = Vec::new();
    let changes = match (&args.out, &args.repo, &args.base) {
        (Some(out), _, _) => output::dir_changes(out, &tree)?,
        (_, Some(repo), _) => {
            let deploy = DeployRepo::open(repo, args.branch.as_deref())?;
            let snapshot = deploy.snapshot(c.inventory.settings.deploy_prefix())?;
            deploy.changes(&snapshot, tree)?
        }
        (_, _, Some(rev)) => base_changes(root, rev, &tree, &mut notes)?,
        _ => {
            return Err(Error::Usage(
                "say what to compare with: --out DIR, --repo PATH or --base REV".to_string(),
            ))
        }
    };
    let cs = diff::classify_with_diffs(&changes);
    let verdict = guard::verdict(&cs, c.rendered.apps.len(), &c.inventory.settings.guard);
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
        Format::Markdown => diff::markdown(&cs, args.max_bytes, &notes),
        Format::Json => diff::json(&cs, serde_json::json!({ "guard": verdict, "notes": notes })),
    };
    emit(&text)?;
    Ok(if args.exit_code && !cs.is_empty() {
        EXIT_CHANGES
    } else {
        EXIT_OK
    })
}

/// `--base REV`: the inventory at REV, rendered, against the current one.
/// What cannot be rendered at REV counts as an empty tree, with a note.
fn base_changes(
    root: &Path,
    rev: &str,
    new_tree: &Tree,
    notes: &mut Vec<String>,
) -> Result<Vec<FileChange>> {
    let base_tree = match gitrepo::inventory_at(root, rev)? {
        Some(tree) => {
            let (files, problems) = Files::from_tree(root, &tree);
            let compiled = if problems.is_empty() {
                compile_files(&files)
            } else {
                Err(Error::Invalid(problems))
            };
            match compiled {
                Ok(mut b) => b.take_tree(),
                Err(Error::Invalid(d)) => {
                    notes.push(format!(
                        "the inventory at `{rev}` does not compile ({} problems); everything is shown as added",
                        d.len()
                    ));
                    Tree::default()
                }
                Err(e) => return Err(e),
            }
        }
        None => {
            notes.push(format!(
                "the inventory did not exist at `{rev}`; everything is shown as added"
            ));
            Tree::default()
        }
    };
    Ok(output::tree_changes(&base_tree, new_tree))
}
