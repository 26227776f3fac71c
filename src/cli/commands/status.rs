//! `fleetc status --from FILE|DIR…`: desired vs live.

use std::path::Path;

use super::{app_index, cluster_index, emit, live_status, note, to_json};
use crate::base::error::{Error, Result};
use crate::cli::args::{StateArg, StatusArgs, TableFormat};
use crate::cli::progress::Progress;
use crate::cli::{EXIT_CHANGES, EXIT_OK};
use crate::live::status::{Row, State, Status};
use crate::pipeline::compile_keeping;
use crate::render::Keep;
use crate::views::report::{table_csv, table_text, Table};

pub(super) fn run(root: &Path, args: StatusArgs) -> Result<i32> {
    if args.live.from.is_empty() {
        return Err(Error::Usage(
            "status needs Argo CD's exports: --from FILE|DIR (from `argocd app list -o json` or `kubectl get applications.argoproj.io -A -o json`)".into(),
        ));
    }
    let mut c = compile_keeping(root, Keep::Texts, &Progress)?;
    // Only Applications are judged: the other files' texts (namespaces,
    // AppProjects) go before the exports come in.
    let r = &c.rendered;
    let applications: std::collections::HashSet<String> = (r.apps.iter().map(|a| &a.path))
        .chain(r.roots.iter().map(|(_, p)| p))
        .chain(r.platform.iter().map(|(_, p)| p))
        .cloned()
        .collect();
    c.rendered
        .files
        .retain(|path, _| applications.contains(path));
    drop(applications);
    let c = c;
    let inv = &c.inventory;
    let mut st = live_status(&c, &args.live)?.expect("exports were given");
    // A name on the command line must be one the inventory or an orphan
    // has. `--app` may name one Application (as Argo CD shows it, an
    // orphan's too): that row alone; a cluster's short name or one of its
    // Applications' names stands for the cluster.
    let mut args = args;
    let mut application = None;
    if let Some(a) = args.app.clone() {
        let an_app = st.applications.iter().any(|r| r.app == a);
        if !an_app && st.applications.iter().any(|r| r.application == a) {
            application = args.app.take();
        } else if !an_app {
            args.app = Some(inv.apps[app_index(&c, &a)?].name.clone());
        }
    }
    if let Some(cl) = &args.cluster {
        if !st.applications.iter().any(|r| &r.cluster == cl) {
            args.cluster = Some(inv.clusters[cluster_index(&c, cl)?].name.clone());
        }
    }
    let only: Vec<State> = args.only.iter().map(|s| state(*s)).collect();
    st.applications.retain(|r| {
        args.app.as_ref().is_none_or(|a| &r.app == a)
            && application.as_ref().is_none_or(|a| &r.application == a)
            && args.cluster.as_ref().is_none_or(|cl| &r.cluster == cl)
            && (only.is_empty() || only.contains(&r.status))
    });
    if let Some(cl) = &args.cluster {
        st.clusters.retain(|c| &c.cluster == cl);
    }
    for u in &st.unassigned {
        note(&format!(
            "{u}: labelled as fleetc's, with no fleetc.io/cluster label and no cluster its file or destination names; left out"
        ));
    }
    let text = match args.format {
        TableFormat::Table => {
            let mut t = table_text(&table(&st.applications), "Application");
            t.push_str(&summary(&st));
            t
        }
        TableFormat::Csv => table_csv(&table(&st.applications)),
        TableFormat::Json => to_json(&st),
    };
    emit(&text)?;
    let all_deployed = st.applications.iter().all(|r| r.status == State::Deployed);
    Ok(if args.exit_code && !all_deployed {
        EXIT_CHANGES
    } else {
        EXIT_OK
    })
}

fn state(s: StateArg) -> State {
    match s {
        StateArg::Deployed => State::Deployed,
        StateArg::Stale => State::Stale,
        StateArg::NotInstalled => State::NotInstalled,
        StateArg::Unknown => State::Unknown,
        StateArg::Orphaned => State::Orphaned,
    }
}

/// The rows as a table; what came from an export is made terminal-safe.
fn table(rows: &[Row]) -> Table {
    let safe = |s: &str| crate::base::error::terminal_safe(s).into_owned();
    let dash = |s: &Option<String>| safe(s.as_deref().unwrap_or("-"));
    Table {
        columns: [
            "cluster",
            "app",
            "application",
            "status",
            "health",
            "sync",
            "revision",
            "why",
        ]
        .map(String::from)
        .to_vec(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    safe(&r.cluster),
                    // The app in this column in every format (JSON's
                    // `app`), and the Application's own name beside it: an
                    // orphan's app may be placed on the cluster too, under
                    // another name.
                    safe(if r.app.is_empty() { "-" } else { &r.app }),
                    safe(&r.application),
                    r.status.word().to_string(),
                    dash(&r.health),
                    dash(&r.sync),
                    dash(&r.revision),
                    safe(&r.reasons.join("; ")),
                ]
            })
            .collect(),
    }
}

/// `DEPLOYED 10 · STALE 3 · …` and how fresh the exports were.
fn summary(st: &Status) -> String {
    let counts = st.counts();
    let parts: Vec<String> = State::ALL
        .iter()
        .filter_map(|s| counts.get(s).map(|n| format!("{} {n}", s.word())))
        .collect();
    let ages: Vec<i64> = st.clusters.iter().filter_map(|c| c.age_seconds).collect();
    let fresh = match (ages.iter().min(), ages.iter().max()) {
        (Some(lo), Some(hi)) => format!(
            "; newest reconcile {} to {} before {}",
            crate::live::status::age(*lo),
            crate::live::status::age(*hi),
            st.now
        ),
        _ => String::new(),
    };
    let without: Vec<&str> = st
        .clusters
        .iter()
        .filter(|c| c.exports.is_empty())
        .map(|c| c.cluster.as_str())
        .collect();
    let missing = match without.len() {
        0 => String::new(),
        n if n <= 5 => format!("; no export of {}", without.join(", ")),
        n => format!(
            "; no export of {n} clusters ({}, …)",
            without[..5].join(", ")
        ),
    };
    format!(
        "{}\n{} exports{fresh}{missing}\n",
        if parts.is_empty() {
            "nothing to show".to_string()
        } else {
            parts.join(" · ")
        },
        st.exports.len()
    )
}
