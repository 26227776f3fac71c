//! The compiler's one function: load → check → place → merge → render.
//!
//! [`compile`] runs the stages in order on an inventory folder and returns
//! every stage's result, or every problem found, each located (file and
//! line) here, once, at the boundary: the stages report places as data
//! ([`crate::base::error::Site`]), and only a failed compile pays for turning them
//! into lines. Commands call this; so do the tests. Nothing here writes,
//! and nothing here prints: the caller lends a [`Watch`] to hear how far
//! the compile is.

use std::path::Path;

use crate::base::error::{Diagnostic, Error, Result};
use crate::base::limits::Limits;
use crate::base::watch::{Quiet, Watch};
use crate::check::{self, Inventory, Settings};
use crate::load::{self, Files, Sources};
use crate::place::delivery::{self, Plan};
use crate::place::matrix::{self, Matrix};
use crate::render::tree::Tree;
use crate::render::{self, Keep, Rendered, Reuse};

/// An inventory compiled in memory: every stage's result.
#[derive(Debug)]
pub struct Compiled {
    /// The checked inventory.
    pub inventory: Inventory,
    /// The placed pairs.
    pub matrix: Matrix,
    /// Replica divisions, made from the matrix.
    pub plan: Plan,
    /// The rendered files, and what each Application came from.
    pub rendered: Rendered,
    /// The inventory's files as read, to name the line of a place.
    pub sources: Sources,
}

impl Compiled {
    /// The rendered files as an output tree (taken out of `rendered`);
    /// the files of reused renders are known by their digests.
    pub fn take_tree(&mut self) -> Tree {
        let mut tree = Tree::from_texts(std::mem::take(&mut self.rendered.files));
        for app in &self.rendered.apps {
            if let Some(known) = app.reused {
                tree.files.remove(&app.path);
                tree.known.insert(app.path.clone(), known);
            }
        }
        for (path, known) in &self.rendered.reused_files {
            tree.files.remove(path);
            tree.known.insert(path.clone(), *known);
        }
        tree
    }
}

/// load → check → place → merge → render. Pure but for reading the
/// inventory; any problem anywhere is an `Error::Invalid` listing all of
/// them, each located.
pub fn compile(root: &Path) -> Result<Compiled> {
    compile_keeping(root, Keep::Texts, &Quiet)
}

/// A shard of the fleet: the clusters a label selector matches (`compile
/// --clusters`). A shard's compile places, divides and checks the whole
/// fleet, as a whole compile does, but renders the Applications and own
/// files of its clusters only, with the fleet-wide files (hub mode's
/// AppProjects and their root): so the shards of a fleet, each its own
/// deploy repo, together hold what the whole compile writes.
#[derive(Debug)]
pub struct Shard {
    /// The selector as given.
    pub text: String,
    selector: crate::rules::selector::Selector,
}

impl Shard {
    /// The shard of the clusters `text` (a label selector) matches.
    pub fn parse(text: &str) -> std::result::Result<Shard, String> {
        Ok(Shard {
            text: text.to_string(),
            selector: check::parse_selector(text)?,
        })
    }

    /// By cluster, whether it is in the shard; an error names a label key
    /// that no cluster has (a typo would make the shard empty).
    fn clusters(&self, inv: &Inventory) -> Result<Vec<bool>> {
        for r in self.selector.requirements() {
            if !inv.clusters.iter().any(|c| c.labels.contains_key(r.key())) {
                return Err(Error::Usage(format!(
                    "the shard's selector `{}` names the label `{}`, which no cluster has",
                    self.text,
                    r.key()
                )));
            }
        }
        Ok(inv
            .clusters
            .iter()
            .map(|c| self.selector.matches(&c.labels))
            .collect())
    }
}

/// [`compile`], keeping of the Applications only what `keep` says: a
/// command that writes nothing refuses exactly what a compile refuses,
/// without holding every text.
pub(crate) fn compile_keeping(root: &Path, keep: Keep, watch: &dyn Watch) -> Result<Compiled> {
    read(root, watch)?.compile(keep, None, watch)
}

/// [`compile`] of one [`Shard`] of the fleet.
pub fn compile_shard(root: &Path, shard: &Shard) -> Result<Compiled> {
    read(root, &Quiet)?.compile_shard(Keep::Texts, None, Some(shard), &Quiet)
}

/// [`compile`], taking the files of pairs whose inputs have not changed
/// since `reuse` was made instead of rendering them again (an incremental
/// compile: the tree is the same, byte for byte, with those files known by
/// their digests; see [`Compiled::take_tree`]).
pub fn compile_reusing(root: &Path, reuse: &Reuse) -> Result<Compiled> {
    read(root, &Quiet)?.compile(Keep::Texts, Some(reuse), &Quiet)
}

/// An inventory folder, read and not yet compiled.
pub(crate) struct Read {
    files: Files,
    diags: Vec<Diagnostic>,
}

/// The first stage alone: the inventory's files, read.
pub(crate) fn read(root: &Path, watch: &dyn Watch) -> Result<Read> {
    watch.limits(&Limits::default());
    let (files, diags) = load::read(root)?;
    watch.lap("read");
    Ok(Read { files, diags })
}

impl Read {
    /// The digest of everything a compile of these files reads: the files
    /// (paths relative to the inventory folder, and bytes) and fleetc
    /// itself. Two reads with one digest compile alike, byte for byte (the
    /// compile is deterministic, and where the folder is is named only in
    /// messages), wherever the folder is: a CI job's checkout too. `None`
    /// when reading found a problem.
    pub(crate) fn digest(&self, shard: Option<&Shard>) -> Option<render::Hash> {
        use sha2::{Digest, Sha256};
        if !self.diags.is_empty() {
            return None;
        }
        let f = &self.files;
        let mut h = Sha256::new();
        h.update(render::fleetc_identity());
        // A shard's compile writes less than the whole.
        match shard {
            Some(s) => h.update(format!("shard {}\0", s.text)),
            None => h.update("whole\0"),
        }
        let mut field = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        match &f.settings {
            Some(b) => field(b),
            None => field(b"<no settings>"),
        }
        for (path, bytes) in &f.documents {
            field(path.as_os_str().as_encoded_bytes());
            field(bytes);
        }
        field(b"<templates>");
        for (name, (path, bytes)) in &f.templates {
            field(name.as_bytes());
            field(path.as_os_str().as_encoded_bytes());
            field(bytes);
        }
        Some(h.finalize().into())
    }

    /// The rest of the stages, as [`compile_reusing`] (or without reuse).
    pub(crate) fn compile(
        self,
        keep: Keep,
        reuse: Option<&Reuse>,
        watch: &dyn Watch,
    ) -> Result<Compiled> {
        self.compile_shard(keep, reuse, None, watch)
    }

    /// [`Read::compile`] of one shard of the fleet, or of the whole.
    pub(crate) fn compile_shard(
        self,
        keep: Keep,
        reuse: Option<&Reuse>,
        shard: Option<&Shard>,
        watch: &dyn Watch,
    ) -> Result<Compiled> {
        compile_read(&self.files, self.diags, (keep, shard), reuse, watch)
    }
}

/// [`compile`] of an inventory held in memory: no disk at all.
pub fn compile_files(files: &Files) -> Result<Compiled> {
    compile_read(files, Vec::new(), (Keep::Texts, None), None, &Quiet)
}

/// [`compile_files`], lending `watch` the compile.
pub(crate) fn compile_files_watched(files: &Files, watch: &dyn Watch) -> Result<Compiled> {
    compile_read(files, Vec::new(), (Keep::Texts, None), None, watch)
}

/// [`compile_files`], reusing as [`compile_reusing`] does.
pub fn compile_files_reusing(files: &Files, reuse: &Reuse) -> Result<Compiled> {
    compile_read(files, Vec::new(), (Keep::Texts, None), Some(reuse), &Quiet)
}

/// The stages after reading; `keep` says what to keep of the texts, and
/// of which shard of the fleet (`None`: all of it).
fn compile_read(
    files: &Files,
    mut diags: Vec<Diagnostic>,
    (keep, shard): (Keep, Option<&Shard>),
    reuse: Option<&Reuse>,
    watch: &dyn Watch,
) -> Result<Compiled> {
    let (mut loaded, sources, more) = load::parse(files);
    diags.extend(more);
    watch.lap("parse");
    // No message quotes a secret found in the inventory, whichever check
    // wrote it (`check::check` cuts those it finds by their key).
    let secrets = std::mem::take(&mut loaded.secrets);
    let located = |mut diags: Vec<Diagnostic>| {
        sources.locate(&mut diags);
        load::redact(&mut diags, secrets.iter().map(String::as_str));
        Error::Invalid(diags)
    };
    if !diags.is_empty() {
        return Err(located(diags));
    }
    let inventory = check::check(loaded).map_err(located)?;
    watch.limits(&inventory.settings.limits);
    watch.lap("check");
    let matrix = matrix::place(&inventory);
    // Every problem of placing and rendering is reported in one run.
    let mut diags = matrix::check_dependencies(&inventory, &matrix);
    let (plan, more) = delivery::plan(&inventory, &matrix);
    diags.extend(more);
    watch.lap("place");
    let shard = shard.map(|s| s.clusters(&inventory)).transpose()?;
    let how = render::How {
        keep,
        reuse,
        shard: shard.as_deref(),
    };
    let rendered = match render::render(&inventory, &matrix, &plan, how, watch) {
        Ok(r) if diags.is_empty() => r,
        Ok(_) => return Err(located(diags)),
        Err(more) => {
            diags.extend(more);
            return Err(located(diags));
        }
    };
    watch.lap("merge+render");
    Ok(Compiled {
        inventory,
        matrix,
        plan,
        rendered,
        sources,
    })
}

/// `fleetc.yaml` alone, checked, for commands that need the settings before
/// (or instead of) the inventory. No inventory folder: the defaults.
pub fn load_settings(root: &Path) -> Result<Settings> {
    if !root.is_dir() {
        let mut diags = Vec::new();
        return Ok(check::check_settings(None, &mut diags));
    }
    let (loaded, sources, mut diags) = load::load_settings(root)?;
    let settings = check::check_settings(loaded.settings.as_ref(), &mut diags);
    if diags.is_empty() {
        Ok(settings)
    } else {
        sources.locate(&mut diags);
        load::redact(&mut diags, loaded.secrets.iter().map(String::as_str));
        Err(Error::Invalid(diags))
    }
}
