//! `fleetc explain APP [CLUSTER]`: why an app is (not) on a cluster.

use std::path::Path;

use super::{app_index, cluster_index, emit, to_json};
use crate::base::error::Result;
use crate::cli::args::{ExplainArgs, LogFormat};
use crate::cli::progress::Progress;
use crate::cli::EXIT_OK;
use crate::pipeline::compile_keeping;
use crate::render::Keep;
use crate::views::explain;

pub(super) fn run(root: &Path, args: ExplainArgs) -> Result<i32> {
    let c = compile_keeping(root, Keep::Texts, &Progress)?;
    let inv = &c.inventory;
    let ai = app_index(inv, &args.app)?;
    let text = match &args.cluster {
        Some(cluster) => {
            let ci = cluster_index(inv, cluster)?;
            let mut r = explain::pair(&c, ci, ai);
            if let Some(st) = super::live_status(&c, &args.live)? {
                r.live = Some(st.rows(cluster, &args.app));
            }
            match args.format {
                LogFormat::Text => explain::pair_text(&r),
                LogFormat::Json => to_json(&r),
            }
        }
        None => {
            if !args.live.from.is_empty() {
                return Err(crate::base::error::Error::Usage(
                    "--from shows the live state of one pair: give the cluster too (`fleetc explain APP CLUSTER --from …`), or run `fleetc status --from … --app APP`".into(),
                ));
            }
            let r = explain::app(&c, ai);
            match args.format {
                LogFormat::Text => explain::app_text(&r),
                LogFormat::Json => to_json(&r),
            }
        }
    };
    emit(&text)?;
    Ok(EXIT_OK)
}
