//! `fleetc check`: compile in memory, write nothing, say ok or why not.

use std::path::Path;

use super::{emit, notes, summary_line};
use crate::base::error::Result;
use crate::cli::progress::Progress;
use crate::cli::EXIT_OK;
use crate::pipeline::compile_keeping;
use crate::render::Keep;

pub(super) fn run(root: &Path) -> Result<i32> {
    let c = compile_keeping(root, Keep::Paths, &Progress)?;
    emit(&format!("{}\n", summary_line(&c, "ok")))?;
    notes(&c);
    Ok(EXIT_OK)
}
