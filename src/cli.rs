//! The command line: clap types only.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// fleetc compiles a GitOps fleet inventory (clusters, apps, teams, target
/// policies) into Argo CD Applications and AppProjects.
#[derive(Debug, Parser)]
#[command(name = "fleetc", version, about, max_term_width = 100)]
pub struct Cli {
    /// The inventory folder (default: the current folder).
    #[arg(short, long, global = true, value_name = "DIR")]
    pub inventory: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load and validate the inventory; print every problem with file:line.
    ///
    /// Checks names, labels, references, selectors, values, dependency
    /// cycles, and renders the whole fleet in memory to catch name and file
    /// collisions. Writes nothing. Exit 0 when the inventory is valid, 1 when not.
    Check,
    /// Render the fleet's Argo CD manifests into a folder.
    ///
    /// Renders everything in memory first; any problem aborts before
    /// anything is written. The folder is then replaced atomically: a reader
    /// sees the old tree or the new one, never a mix. Files fleetc did not
    /// write are kept; files it wrote before and no longer renders are removed.
    Compile {
        /// The output folder (created when missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}
