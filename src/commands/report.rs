//! `fleetc report --html FILE`: the matrix as one self-contained page.

use std::path::Path;

use super::emit;
use crate::cli::ReportArgs;
use crate::error::{Result, EXIT_OK};
use crate::pipeline::compile_keeping;
use crate::render::Keep;

pub(super) fn run(root: &Path, args: ReportArgs) -> Result<i32> {
    let c = compile_keeping(root, Keep::Paths)?;
    let page = crate::html::page(&c, args.group_by.as_deref());
    crate::output::write_file_atomic(&args.html, page.as_bytes())?;
    emit(&format!(
        "wrote {} ({} bytes): {} clusters × {} apps\n",
        args.html.display(),
        page.len(),
        c.inventory.clusters.len(),
        c.inventory.apps.len()
    ))?;
    Ok(EXIT_OK)
}
