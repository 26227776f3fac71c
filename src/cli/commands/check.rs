//! `fleetc check`: compile in memory, write nothing, say ok or why not.

use std::path::Path;

use super::{emit, notes, summary_line, to_json};
use crate::base::error::{sort_diagnostics, Diagnostic, Error, Result};
use crate::cli::args::{CheckArgs, LogFormat};
use crate::cli::progress::Progress;
use crate::cli::{EXIT_OK, EXIT_USER};
use crate::pipeline::compile_keeping;
use crate::render::Keep;

pub(super) fn run(root: &Path, args: CheckArgs) -> Result<i32> {
    if args.format == LogFormat::Json {
        return json(root);
    }
    let c = compile_keeping(root, Keep::Paths, &Progress)?;
    emit(&format!("{}\n", summary_line(&c, "ok")))?;
    notes(&c);
    Ok(EXIT_OK)
}

/// `--format json`: the verdict as one object on stdout, problems and all,
/// with the same exit codes.
fn json(root: &Path) -> Result<i32> {
    let (ok, summary, notes, mut problems) = match compile_keeping(root, Keep::Paths, &Progress) {
        Ok(c) => (
            true,
            Some(summary_line(&c, "ok")),
            c.rendered.notes.clone(),
            Vec::new(),
        ),
        Err(Error::Invalid(diags)) => (false, None, Vec::new(), diags),
        Err(other) => (
            false,
            None,
            Vec::new(),
            vec![Diagnostic::new(other.to_string())],
        ),
    };
    sort_diagnostics(&mut problems);
    let problems: Vec<serde_json::Value> = problems
        .iter()
        .map(|d| {
            serde_json::json!({
                "file": d.site.as_ref().map(|s| s.file.to_string_lossy().replace('\\', "/")),
                "line": d.line,
                "message": d.message,
                "hint": d.help,
            })
        })
        .collect();
    emit(&to_json(&serde_json::json!({
        "ok": ok,
        "summary": summary,
        "notes": notes,
        "problems": problems,
    })))?;
    Ok(if ok { EXIT_OK } else { EXIT_USER })
}
