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
    // A name that is not an app's but an Application's (what Argo CD
    // shows) stands for its pair; with a cluster too, the two must agree.
    let named = match inv.app(&args.app) {
        Some(_) => Vec::new(),
        None => super::applications(&c, &args.app),
    };
    let (ai, ci) = match (&args.cluster, named.as_slice()) {
        (None, [(ci, ai)]) => (*ai, Some(*ci)),
        (None, _) => (app_index(&c, &args.app)?, None),
        (Some(cluster), _) => {
            let ci = cluster_index(&c, cluster)?;
            match named.iter().find(|&&(at, _)| at == ci) {
                Some(&(_, ai)) => (ai, Some(ci)),
                None if !named.is_empty() => {
                    let (on, _) = named[0];
                    return Err(crate::base::error::Error::Usage(format!(
                        "Application `{}` is on cluster `{}`, not `{}`",
                        args.app, inv.clusters[on].name, inv.clusters[ci].name
                    )));
                }
                None => (app_index(&c, &args.app)?, Some(ci)),
            }
        }
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
