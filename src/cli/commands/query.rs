//! `fleetc query`: the matrix, what a cluster runs, where an app runs.

use std::path::Path;

use super::{app_index, cluster_index, emit, to_json};
use crate::base::error::{Error, Result};
use crate::check;
use crate::cli::args::{Query, QueryArgs, TableFormat};
use crate::cli::progress::Progress;
use crate::cli::EXIT_OK;
use crate::pipeline::compile_keeping;
use crate::render::Keep;
use crate::views::report::{self, Cell, Placement, Table};

pub(super) fn run(root: &Path, args: QueryArgs) -> Result<i32> {
    if matches!(args.what, Query::Matrix) && args.repo.is_some() {
        return Err(Error::Usage(
            "--repo adds each Application's last change to `query apps` and `query clusters`; the matrix has no place for it: drop --repo".to_string(),
        ));
    }
    let c = compile_keeping(root, Keep::Paths, &Progress)?;
    let inv = &c.inventory;
    let filter = match &args.selector {
        Some(s) => {
            let selector =
                check::parse_selector(s).map_err(|e| Error::Usage(format!("--selector: {e}")))?;
            let keys = selector.requirements().iter().map(|r| r.key());
            super::known_labels(&c, keys, "--selector")?;
            Some(selector)
        }
        None => None,
    };
    let mut all = report::cells(&c, filter.as_ref());
    if let Some(repo) = &args.repo {
        crate::repo::git::read_only();
        let deploy = crate::repo::git::DeployRepo::open(repo, args.branch.as_deref())?;
        let (lines, _) = super::log::read(&deploy, inv.settings.deploy_prefix())?;
        report::add_last_changes(&mut all, &crate::repo::deploylog::last_changes(&lines));
    }
    let with_log = args.repo.is_some();
    let (cells, table, what): (Vec<Cell>, Table, &str) = match args.what {
        Query::Matrix => {
            let t = report::matrix_table(&c, &all);
            (all, t, "cluster")
        }
        Query::Apps { cluster } => {
            let cluster = &inv.clusters[cluster_index(&c, &cluster)?].name;
            let cells: Vec<_> = all.into_iter().filter(|x| &x.cluster == cluster).collect();
            let t = report::placed_table(&cells, "app", with_log);
            (cells, t, "app")
        }
        Query::Clusters { app } => {
            let app = &inv.apps[app_index(&c, &app)?].name;
            let cells: Vec<_> = all.into_iter().filter(|x| &x.app == app).collect();
            let t = report::placed_table(&cells, "cluster", with_log);
            (cells, t, "cluster")
        }
    };
    let text = match args.format {
        TableFormat::Table => report::table_text(&table, what),
        TableFormat::Csv => report::table_csv(&table),
        TableFormat::Json => {
            let count = |p: Placement| cells.iter().filter(|c| c.status == p).count();
            to_json(&serde_json::json!({
                "counts": {
                    "cells": cells.len(),
                    "placed": count(Placement::Placed),
                    "excluded": count(Placement::Excluded),
                },
                "cells": cells,
            }))
        }
    };
    emit(&text)?;
    Ok(EXIT_OK)
}
