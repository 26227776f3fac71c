//! `fleetc report --html FILE`: the matrix as one self-contained page.

use std::path::Path;

use super::emit;
use crate::base::error::Result;
use crate::cli::args::ReportArgs;
use crate::cli::progress::Progress;
use crate::cli::EXIT_OK;
use crate::pipeline::compile_keeping;
use crate::render::Keep;

pub(super) fn run(root: &Path, args: ReportArgs) -> Result<i32> {
    // The live state compares texts: keep them only when it is asked for.
    let keep = if args.live.from.is_empty() {
        Keep::Paths
    } else {
        Keep::Texts
    };
    let c = compile_keeping(root, keep, &Progress)?;
    if let Some(label) = &args.group_by {
        super::known_labels(&c, [label.as_str()], "--group-by")?;
    }
    let status = super::live_status(&c, &args.live)?;
    let page = crate::views::html::page_live(&c, args.group_by.as_deref(), status.as_ref());
    crate::repo::output::write_file_atomic(&args.html, page.as_bytes())?;
    emit(&format!(
        "wrote {} ({} bytes): {} × {}\n",
        args.html.display(),
        page.len(),
        crate::base::words::count(c.inventory.clusters.len() as u128, "cluster"),
        crate::base::words::count(c.inventory.apps.len() as u128, "app")
    ))?;
    Ok(EXIT_OK)
}
