//! `fleetc completions`: a shell completion script.

use clap::CommandFactory;

use super::emit;
use crate::base::error::Result;
use crate::cli::args::{Cli, CompletionsArgs};
use crate::cli::EXIT_OK;

pub(super) fn run(args: CompletionsArgs) -> Result<i32> {
    let mut cmd = Cli::command();
    // Generated into a buffer: clap's writer panics on a closed pipe.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "fleetc", &mut script);
    emit(&String::from_utf8_lossy(&script))?;
    Ok(EXIT_OK)
}
