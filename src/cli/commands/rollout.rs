//! `fleetc rollout status [NAME] --from LIVE…`: each ring rollout's rings,
//! their pairs' live states and one verdict, for people and for CI.

use std::path::Path;

use super::{emit, live_status, to_json};
use crate::base::error::{Error, Result};
use crate::cli::args::{RolloutCommand, RolloutStatusArgs, TextFormat};
use crate::cli::progress::Progress;
use crate::cli::EXIT_OK;
use crate::live::rollout::{RolloutLive, Standing, Subject, Verdict};
use crate::live::status::age;
use crate::pipeline::compile_keeping;
use crate::render::Keep;

/// `rollout status`'s exit code for `wait`.
pub(crate) const EXIT_WAIT: i32 = 2;
/// `rollout status`'s exit code for `halt`.
pub(crate) const EXIT_HALT: i32 = 3;

pub(super) fn run(root: &Path, cmd: RolloutCommand) -> Result<i32> {
    match cmd {
        RolloutCommand::Status(args) => status(root, args),
    }
}

fn status(root: &Path, args: RolloutStatusArgs) -> Result<i32> {
    if args.live.from.is_empty() {
        return Err(Error::Usage(
            "rollout status needs Argo CD's exports: --from FILE|DIR (as for `fleetc status`)"
                .into(),
        ));
    }
    let c = compile_keeping(root, Keep::Texts, &Progress)?;
    let inv = &c.inventory;
    let st = live_status(&c, &args.live)?.expect("exports were given");
    let now = super::now(&args.live)?;
    let chosen = match &args.name {
        Some(name) => {
            let (id, rollout, _) = super::rollout_block::find(inv, name, args.app)?;
            vec![(id, name.as_str(), rollout)]
        }
        None => crate::live::rollout::all(inv),
    };
    if chosen.is_empty() {
        return Err(Error::Usage(
            "the inventory has no ring rollout (`rollout:` in a policy or an app)".into(),
        ));
    }
    let closed = super::rollout_block::windows(&c, now);
    // One pass over the placed pairs and the status rows for them all.
    let pairs = crate::place::delivery::by_rollout(inv, &c.matrix);
    let rows = crate::live::rollout::Rows::new(&st);
    let judged: Vec<RolloutLive> = chosen
        .into_iter()
        .map(|(id, name, r)| {
            let decided = pairs.get(&id).map_or(&[][..], Vec::as_slice);
            let of = Subject {
                id,
                name,
                rollout: r,
                decided,
            };
            crate::live::rollout::judge(inv, &rows, &of, now, &closed)
        })
        .collect();
    let text = match args.format {
        TextFormat::Json => to_json(&serde_json::json!({
            "now": crate::base::time::format_time(now),
            "rollouts": judged,
        })),
        TextFormat::Text => judged.iter().map(text).collect::<Vec<_>>().join("\n"),
    };
    emit(&text)?;
    Ok(
        match judged
            .iter()
            .map(|r| r.verdict)
            .max()
            .unwrap_or(Verdict::Done)
        {
            Verdict::Halt => EXIT_HALT,
            Verdict::Wait => EXIT_WAIT,
            Verdict::Promote | Verdict::Done => EXIT_OK,
        },
    )
}

/// A rollout for people: its head, each ring with its pairs, the verdict.
fn text(r: &RolloutLive) -> String {
    let safe = |s: &str| crate::base::error::terminal_safe(s).into_owned();
    let mut out = format!(
        "{}  revision {}  promoted to `{}`{}\n",
        r.rollout,
        r.revision,
        r.promoted,
        if r.gated {
            format!(
                "  gate: soak {}, max_unhealthy {}",
                age(r.soak_seconds),
                r.max_unhealthy
            )
        } else {
            "  no gate".to_string()
        }
    );
    for ring in &r.rings {
        let name = match &ring.ring {
            Some(n) => format!("ring {n}"),
            None => "no ring, with the last".to_string(),
        };
        let tag = if ring.reached {
            "has it"
        } else if ring.next {
            "next"
        } else {
            "waits"
        };
        out.push_str(&format!(
            "  {name} ({tag}): {} pair{}\n",
            ring.pairs.len(),
            if ring.pairs.len() == 1 { "" } else { "s" }
        ));
        for p in &ring.pairs {
            let standing = match p.standing {
                Standing::Waiting => String::new(),
                s if p.why.is_empty() => s.word().to_string(),
                s => format!("{}: {}", s.word(), safe(&p.why)),
            };
            let line = format!(
                "    {:<24} {:<16} {:<13} {:<11} {:<9} {:<10} {}",
                p.cluster,
                p.app,
                p.status.word(),
                safe(p.health.as_deref().unwrap_or("-")),
                safe(p.sync.as_deref().unwrap_or("-")),
                safe(p.revision.as_deref().unwrap_or("-")),
                standing
            );
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out.push_str(&format!("  {}\n", r.verdict_line()));
    out
}
