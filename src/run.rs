//! Running a command: the pipeline, the printing, the exit code.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::error::{sort_diagnostics, Diagnostic, Error, Result, EXIT_OK, EXIT_USER};
use crate::inventory;
use crate::matrix::{self, Matrix};
use crate::model::{self, Inventory};
use crate::output::{self, Tree};
use crate::render::{self, Rendered};

/// An inventory compiled in memory: every stage's result.
#[derive(Debug)]
pub struct Compiled {
    pub inventory: Inventory,
    pub matrix: Matrix,
    pub rendered: Rendered,
}

impl Compiled {
    /// The rendered files as an output tree (taken out of `rendered`).
    pub fn take_tree(&mut self) -> Tree {
        Tree::from_texts(std::mem::take(&mut self.rendered.files))
    }
}

/// load → check → place → render. Pure but for reading the inventory; any
/// problem anywhere is an `Error::Invalid` listing all of them, each located.
pub fn compile(root: &Path) -> Result<Compiled> {
    let mut clock = Stages::start();
    let (loaded, mut diags) = inventory::load(root)?;
    clock.lap("load");
    if !diags.is_empty() {
        loaded.sources.locate(&mut diags);
        return Err(Error::Invalid(diags));
    }
    let inventory = model::check(loaded).map_err(Error::Invalid)?;
    clock.lap("check");
    let matrix = matrix::place(&inventory);
    clock.lap("place");
    let rendered = match render::render(&inventory, &matrix) {
        Ok(r) => r,
        Err(Error::Invalid(mut diags)) => {
            inventory.sources.locate(&mut diags);
            return Err(Error::Invalid(diags));
        }
        Err(e) => return Err(e),
    };
    clock.lap("merge+render");
    Ok(Compiled {
        inventory,
        matrix,
        rendered,
    })
}

/// Stage timings on stderr when `FLEETC_TIMINGS=1`, for benchmarks.
struct Stages {
    on: bool,
    last: std::time::Instant,
}

impl Stages {
    fn start() -> Stages {
        Stages {
            on: std::env::var_os("FLEETC_TIMINGS").is_some_and(|v| v == "1"),
            last: std::time::Instant::now(),
        }
    }

    fn lap(&mut self, stage: &str) {
        if self.on {
            eprintln!(
                "timing: {stage:<14} {:>9.1} ms",
                self.last.elapsed().as_secs_f64() * 1e3
            );
        }
        self.last = std::time::Instant::now();
    }
}

/// The binary's entry point: returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            print_error(&e);
            e.exit_code()
        }
    }
}

fn run(cli: Cli) -> Result<i32> {
    let root = cli.inventory.clone().unwrap_or_else(|| PathBuf::from("."));
    match cli.command {
        Command::Check => {
            let c = compile(&root)?;
            println!("{}", summary_line(&c, "ok"));
            Ok(EXIT_OK)
        }
        Command::Compile { out } => {
            let mut c = compile(&root)?;
            let tree = c.take_tree();
            let w = output::write_dir(&out, &tree, &root)?;
            for note in &c.rendered.notes {
                eprintln!("note: {note}");
            }
            let changes = if w.is_noop() {
                "up to date".to_string()
            } else {
                format!(
                    "{} written, {} unchanged, {} removed",
                    w.written
                        .iter()
                        .filter(|p| *p != output::MANIFEST_FILE)
                        .count(),
                    w.unchanged,
                    w.removed.len()
                )
            };
            println!(
                "{} → {}: {changes}",
                summary_line(&c, "compiled"),
                out.display()
            );
            Ok(EXIT_OK)
        }
    }
}

fn summary_line(c: &Compiled, verb: &str) -> String {
    let inv = &c.inventory;
    let clusters: std::collections::BTreeSet<usize> =
        c.matrix.placed.iter().map(|p| p.cluster).collect();
    format!(
        "{verb}: {} files, {} clusters, {} apps, {} teams, {} policies; {} Applications on {} clusters",
        inv.files,
        inv.clusters.len(),
        inv.apps.len(),
        inv.teams.len(),
        inv.policies.len(),
        c.rendered.apps.len(),
        clusters.len(),
    )
}

/// Prints an error to stderr as the user should read it.
pub fn print_error(e: &Error) {
    let stderr = std::io::stderr();
    let mut w = stderr.lock();
    match e {
        Error::Invalid(diags) => {
            let mut diags: Vec<Diagnostic> = diags.clone();
            sort_diagnostics(&mut diags);
            for d in &diags {
                let _ = writeln!(w, "{d}");
            }
            let n = diags.len();
            let _ = writeln!(
                w,
                "error: {n} problem{} found; nothing was written",
                if n == 1 { "" } else { "s" }
            );
        }
        other => {
            let _ = write!(w, "error: {other}");
            let mut src = std::error::Error::source(other);
            while let Some(s) = src {
                let _ = write!(w, ": {s}");
                src = s.source();
            }
            let _ = writeln!(w);
        }
    }
    let _ = EXIT_USER;
}
