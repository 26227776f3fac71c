//! `fleetc explain APP [CLUSTER]`: why an app is (not) on a cluster.

use std::path::Path;

use super::{app_index, cluster_index, emit, to_json};
use crate::cli::{ExplainArgs, LogFormat};
use crate::error::{Result, EXIT_OK};
use crate::explain;
use crate::pipeline::compile;

pub(super) fn run(root: &Path, args: ExplainArgs) -> Result<i32> {
    let c = compile(root)?;
    let inv = &c.inventory;
    let ai = app_index(inv, &args.app)?;
    let text = match &args.cluster {
        Some(cluster) => {
            let ci = cluster_index(inv, cluster)?;
            let r = explain::pair(&c, ci, ai);
            match args.format {
                LogFormat::Text => explain::pair_text(&r),
                LogFormat::Json => to_json(&r),
            }
        }
        None => {
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
