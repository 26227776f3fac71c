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
    // One name that is not an app but an Application's (what Argo CD
    // shows): that pair.
    let (ai, ci) = match (&args.cluster, inv.app(&args.app)) {
        (None, None) => match super::application(&c, &args.app) {
            Some((ci, ai)) => (ai, Some(ci)),
            None => (app_index(&c, &args.app)?, None),
        },
        (cluster, _) => (
            app_index(&c, &args.app)?,
            cluster
                .as_deref()
                .map(|n| cluster_index(&c, n))
                .transpose()?,
        ),
    };
    let text = match ci {
        Some(ci) => {
            let mut r = explain::pair(&c, ci, ai);
            if let Some(st) = super::live_status(&c, &args.live)? {
                r.live = Some(st.rows(&inv.clusters[ci].name, &inv.apps[ai].name));
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
