//! `fleetc explain APP [CLUSTER]`: why an app is (not) on a cluster.

use std::path::Path;

use super::{emit, to_json, unknown};
use crate::cli::{ExplainArgs, LogFormat};
use crate::error::{Result, EXIT_OK};
use crate::explain;
use crate::pipeline::compile;

pub(super) fn run(root: &Path, args: ExplainArgs) -> Result<i32> {
    let c = compile(root)?;
    let inv = &c.inventory;
    let ai = inv.app(&args.app).ok_or_else(|| {
        unknown(
            "app",
            &args.app,
            inv.apps.iter().map(|a| a.name.as_str()).collect(),
        )
    })?;
    let text = match &args.cluster {
        Some(cluster) => {
            let ci = inv.cluster(cluster).ok_or_else(|| {
                unknown(
                    "cluster",
                    cluster,
                    inv.clusters.iter().map(|c| c.name.as_str()).collect(),
                )
            })?;
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
