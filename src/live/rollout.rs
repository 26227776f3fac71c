//! Where a ring rollout stands, live: its rings, what Argo CD reports for
//! each of their pairs ([`crate::live::status`]), and one verdict.
//!
//! The pairs of the rings the rollout has reached are the gate's
//! (`rollout.gate`). Each is, from what the exports say:
//! - failed: its health is Degraded, or its last operation Failed or
//!   Errored: the rollout halts, whatever `max_unhealthy` says;
//! - unhealthy: NOT INSTALLED, UNKNOWN (no export, a filtered or old one),
//!   or health Missing, Suspended or Unknown: more than `max_unhealthy`
//!   of them halt the rollout, fewer are tolerated;
//! - syncing: there, but not DEPLOYED at the rollout's revision yet (the
//!   revision or spec differs, OutOfSync, Progressing, a sync running);
//! - soaking: DEPLOYED, healthy, but its last sync finished less than
//!   `soak` ago (or Argo CD records no finished sync);
//! - ready: DEPLOYED, healthy, soaked.
//!
//! The verdict: `halt` when a pair failed or too many are unhealthy;
//! `wait` while one syncs or soaks (with the time left), or while a deny
//! window (or no open allow window) keeps the next ring from syncing;
//! `done` when the last ring has it; else `promote`.

use crate::base::words;
use std::collections::HashMap;

use serde::Serialize;

use crate::check::{Inventory, Rollout};
use crate::live::status::{age, Row, State, Status};
use crate::place::delivery::{Decided, Owner, RolloutId};
use crate::place::windows::Closed;

/// The four verdicts; JSON writes each in lower case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Verdict {
    Done,
    Promote,
    Wait,
    Halt,
}

impl Verdict {
    pub(crate) fn word(self) -> &'static str {
        match self {
            Verdict::Done => "done",
            Verdict::Promote => "promote",
            Verdict::Wait => "wait",
            Verdict::Halt => "halt",
        }
    }
}

/// How one pair stands against the gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Standing {
    Ready,
    Soaking,
    Syncing,
    Unhealthy,
    Failed,
    /// In a ring the rollout has not reached: it runs the old revision.
    Waiting,
}

impl Standing {
    pub(crate) fn word(self) -> &'static str {
        match self {
            Standing::Ready => "ready",
            Standing::Soaking => "soaking",
            Standing::Syncing => "syncing",
            Standing::Unhealthy => "unhealthy",
            Standing::Failed => "failed",
            Standing::Waiting => "waiting",
        }
    }
}

/// One pair of a ring, live.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct PairLive {
    pub cluster: String,
    pub app: String,
    pub application: String,
    pub status: State,
    pub health: Option<String>,
    pub sync: Option<String>,
    /// The live targetRevision.
    pub revision: Option<String>,
    /// What fleetc renders for it.
    pub desired_revision: String,
    pub standing: Standing,
    /// Why it is not ready (empty when it is).
    pub why: String,
    /// When its last sync finished.
    pub sync_finished_at: Option<String>,
    /// The same, in Unix seconds.
    #[serde(skip)]
    pub finished_at: Option<i64>,
}

/// One ring: its name (none: the clusters with no ring, which go with the
/// last), whether the rollout reached it, whether `promote` takes it
/// next, and its pairs.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct RingLive {
    pub ring: Option<String>,
    pub reached: bool,
    pub next: bool,
    pub pairs: Vec<PairLive>,
}

/// A rollout's rings, its gate and verdict.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct RolloutLive {
    /// `policy/NAME` or `app/NAME`.
    pub rollout: String,
    /// The name `promote` and `rollback` take (with `--app` for an app's).
    pub name: String,
    pub app_rollout: bool,
    pub revision: String,
    pub promoted: String,
    /// The ring `promote` would take it to.
    pub next: Option<String>,
    pub soak_seconds: i64,
    pub max_unhealthy: u64,
    pub gated: bool,
    pub rings: Vec<RingLive>,
    pub verdict: Verdict,
    /// One line: why this verdict.
    pub reason: String,
    /// For `wait`: seconds until the gate could be met (soak left, or
    /// until the window opens), when known.
    pub wait_seconds: Option<i64>,
    /// What to run next, when there is something.
    pub next_command: Option<String>,
}

impl RolloutLive {
    /// The pairs of reached rings that are not ready, with their standing.
    pub(crate) fn holders(&self) -> Vec<&PairLive> {
        self.rings
            .iter()
            .filter(|r| r.reached)
            .flat_map(|r| &r.pairs)
            .filter(|p| p.standing != Standing::Ready)
            .collect()
    }

    /// `wait: …`, `halt: …`: the verdict and its reason in one line.
    pub(crate) fn verdict_line(&self) -> String {
        format!("{}: {}", self.verdict.word(), self.reason)
    }
}

/// Every rollout of the inventory, with its name: the policies' by name,
/// then the apps'.
pub(crate) fn all(inv: &Inventory) -> Vec<(RolloutId, &str, &Rollout)> {
    let mut out: Vec<(RolloutId, &str, &Rollout)> = inv
        .policies
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let id = RolloutId {
                owner: Owner::Policy(i),
                app: None,
            };
            Some((id, p.name.as_str(), p.rollout.as_ref()?))
        })
        .collect();
    out.sort_by_key(|(_, n, _)| *n);
    out.extend(inv.apps.iter().enumerate().filter_map(|(i, a)| {
        let id = RolloutId {
            owner: Owner::App,
            app: Some(i),
        };
        Some((id, a.name.as_str(), a.rollout.as_ref()?))
    }));
    out
}

/// Each placed pair's status row, by (cluster, app), looked up once: a
/// fleet has 100k of them.
pub(crate) struct Rows<'a>(HashMap<(&'a str, &'a str), &'a Row>);

impl<'a> Rows<'a> {
    pub(crate) fn new(st: &'a Status) -> Rows<'a> {
        Rows(
            st.applications
                .iter()
                .filter(|r| r.status != State::Orphaned)
                .map(|r| ((r.cluster.as_str(), r.app.as_str()), r))
                .collect(),
        )
    }

    fn get(&self, cluster: &str, app: &str) -> Option<&'a Row> {
        self.0.get(&(cluster, app)).copied()
    }
}

/// A rollout to judge: which, its name, its block and the pairs it decides.
pub(crate) struct Subject<'a> {
    pub id: RolloutId,
    pub name: &'a str,
    pub rollout: &'a Rollout,
    pub decided: &'a [Decided<'a>],
}

/// The rollout `of`, judged at `now` against its pairs' status `rows`.
/// `closed` says which of the next ring's pairs (cluster, app) a sync
/// window keeps from syncing at `now`.
pub(crate) fn judge(
    inv: &Inventory,
    rows: &Rows,
    of: &Subject,
    now: i64,
    closed: &dyn Fn(usize, usize) -> Option<Closed>,
) -> RolloutLive {
    let Subject {
        id,
        name,
        rollout,
        decided,
    } = *of;
    let (soak, max_unhealthy) = rollout
        .gate
        .as_ref()
        .map_or((0, 0), |g| (g.soak_seconds, g.max_unhealthy));
    let last = rollout.order.len() - 1;
    // The ring index a pair goes with: the clusters with no ring go with
    // the last.
    let with = |ring: Option<usize>| ring.unwrap_or(last);
    let next =
        (rollout.promoted + 1..=last).find(|&i| decided.iter().any(|(_, _, r)| with(r.ring) == i));
    let mut rings: Vec<(Option<usize>, RingLive)> = (0..rollout.order.len())
        .map(Some)
        .chain([None])
        .map(|r| {
            let ring = RingLive {
                ring: r.map(|i| rollout.order[i].clone()),
                reached: rollout.reached(r),
                next: next == Some(with(r)),
                pairs: Vec::new(),
            };
            (r, ring)
        })
        .collect();
    let mut next_pairs = Vec::new();
    for (pair, rev, ring) in decided {
        let cluster = &inv.clusters[pair.cluster].name;
        let app = &inv.apps[pair.app].name;
        let row = rows.get(cluster, app);
        let (standing, why) = if ring.reached {
            stand(row, soak, now)
        } else {
            (Standing::Waiting, String::new())
        };
        if next == Some(with(ring.ring)) {
            next_pairs.push((pair.cluster, pair.app));
        }
        let p = PairLive {
            cluster: cluster.clone(),
            app: app.clone(),
            application: row.map(|r| r.application.clone()).unwrap_or_default(),
            status: row.map_or(State::Unknown, |r| r.status),
            health: row.and_then(|r| r.health.clone()),
            sync: row.and_then(|r| r.sync.clone()),
            revision: row.and_then(|r| r.revision.clone()),
            desired_revision: rev.value.clone(),
            standing,
            why,
            sync_finished_at: row.and_then(|r| r.sync_finished_at.clone()),
            finished_at: row.and_then(|r| r.finished_at),
        };
        if let Some((_, slot)) = rings.iter_mut().find(|(r, _)| *r == ring.ring) {
            slot.pairs.push(p);
        }
    }
    let mut out = RolloutLive {
        rollout: match id.owner {
            Owner::App => format!("app/{name}"),
            Owner::Policy(_) => format!("policy/{name}"),
        },
        name: name.to_string(),
        app_rollout: id.owner == Owner::App,
        revision: rollout.revision.clone(),
        promoted: rollout.order[rollout.promoted].clone(),
        next: next.map(|i| rollout.order[i].clone()),
        soak_seconds: soak,
        max_unhealthy,
        gated: rollout.gate.is_some(),
        rings: rings
            .into_iter()
            .map(|(_, r)| r)
            .filter(|r| r.ring.is_some() || !r.pairs.is_empty())
            .collect(),
        verdict: Verdict::Promote,
        reason: String::new(),
        wait_seconds: None,
        next_command: None,
    };
    verdict(&mut out, rollout, next, now, &next_pairs, closed);
    out
}

/// Sets the verdict of `out`, whose pairs are judged: from the pairs of
/// the reached rings, and for a met gate, the windows of the next ring's
/// pairs (`next_pairs`; `next`: that ring's index).
fn verdict(
    out: &mut RolloutLive,
    rollout: &Rollout,
    next: Option<usize>,
    now: i64,
    next_pairs: &[(usize, usize)],
    closed: &dyn Fn(usize, usize) -> Option<Closed>,
) {
    let (soak, max_unhealthy) = (out.soak_seconds, out.max_unhealthy);
    let flag = if out.app_rollout { " --app" } else { "" };
    let name = out.name.clone();
    let (mut count, mut named) = (HashMap::new(), HashMap::new());
    let mut left: Option<Option<i64>> = None;
    let mut pairs = 0;
    for p in out.rings.iter().flat_map(|r| &r.pairs) {
        pairs += 1;
        if p.standing == Standing::Waiting || p.standing == Standing::Ready {
            continue;
        }
        *count.entry(p.standing).or_insert(0usize) += 1;
        let list: &mut Vec<String> = named.entry(p.standing).or_default();
        if list.len() < 3 {
            list.push(format!("{}/{} ({})", p.cluster, p.app, p.why));
        }
        if p.standing == Standing::Soaking {
            // Unknown as soon as one soaking pair's sync time is.
            let this = p.finished_at.map(|t| soak - (now - t));
            left = Some(match left {
                None => this,
                Some(l) => l.zip(this).map(|(a, b)| a.max(b)),
            });
        }
    }
    let n = |s: Standing| count.get(&s).copied().unwrap_or(0);
    let first = |s: Standing| {
        named
            .get(&s)
            .map(|l: &Vec<String>| l.join(", "))
            .unwrap_or_default()
    };
    let last = rollout.order.len() - 1;
    let rollback = format!("fleetc rollback{flag} {name}");
    if n(Standing::Failed) > 0 || n(Standing::Unhealthy) as u64 > max_unhealthy {
        out.verdict = Verdict::Halt;
        out.reason = if n(Standing::Failed) > 0 {
            format!(
                "{} failed: {}",
                words::count(n(Standing::Failed) as u128, "pair"),
                first(Standing::Failed)
            )
        } else {
            format!(
                "{} unhealthy, more than max_unhealthy {max_unhealthy}: {}",
                words::count(n(Standing::Unhealthy) as u128, "pair"),
                first(Standing::Unhealthy)
            )
        };
        out.reason.push_str(&format!(
            "; to return the rings to the old revision: `{rollback}`"
        ));
        out.next_command = Some(rollback);
    } else if n(Standing::Syncing) > 0 || n(Standing::Soaking) > 0 {
        out.verdict = Verdict::Wait;
        let left = left.flatten();
        out.wait_seconds = (n(Standing::Syncing) == 0).then_some(left).flatten();
        let mut parts = Vec::new();
        if n(Standing::Syncing) > 0 {
            parts.push(format!(
                "{} not yet at {}: {}",
                words::count(n(Standing::Syncing) as u128, "pair"),
                rollout.revision,
                first(Standing::Syncing)
            ));
        }
        if n(Standing::Soaking) > 0 {
            parts.push(format!(
                "{} soaking{}",
                words::count(n(Standing::Soaking) as u128, "pair"),
                match left {
                    Some(s) => format!(", {} left of {}", age(s), age(soak)),
                    None => format!(": {}", first(Standing::Soaking)),
                }
            ));
        }
        out.reason = parts.join("; ");
    } else if pairs == 0 {
        out.verdict = Verdict::Done;
        out.reason = "it decides no Application's revision (a higher layer pins them all, or its policy places nothing)".to_string();
    } else if next.is_some()
        && out
            .rings
            .iter()
            .flat_map(|r| &r.pairs)
            .all(|p| p.desired_revision == rollout.revision)
    {
        // Every ring, reached or not, gets the same revision: rolled back.
        out.verdict = Verdict::Done;
        out.reason = format!(
            "nothing to roll out: every ring gets {} (rolled back?); to roll a new revision out, set `rollout.revision`",
            rollout.revision
        );
    } else if let (Some(i), false) = (next, rollout.promoted == last) {
        let ring = &rollout.order[i];
        let blocked: Vec<Closed> = next_pairs
            .iter()
            .filter_map(|&(ci, ai)| closed(ci, ai))
            .collect();
        if let Some(b) = blocked.iter().max_by_key(|b| b.opens.unwrap_or(i64::MAX)) {
            out.verdict = Verdict::Wait;
            out.wait_seconds = b.opens.map(|t| t - now);
            out.reason = format!(
                "the gate is met, but {} of ring `{ring}` may not sync now ({}: {}); {}",
                words::count(blocked.len() as u128, "pair"),
                b.pair,
                b.windows,
                match b.opens {
                    Some(t) => format!(
                        "the windows open at {} (in {})",
                        crate::base::time::format_time(t),
                        age(t - now)
                    ),
                    None => "no window opens within a year".to_string(),
                }
            );
        } else {
            out.reason = format!(
                "the gate is met ({}); next: ring `{ring}`",
                if out.gated {
                    format!(
                        "every pair of the promoted rings DEPLOYED at {}, healthy, soaked {}",
                        rollout.revision,
                        age(soak)
                    )
                } else {
                    format!(
                        "no gate; every pair of the promoted rings DEPLOYED at {}",
                        rollout.revision
                    )
                }
            );
            out.next_command = Some(format!("fleetc promote{flag} {name} --from LIVE"));
        }
    } else {
        out.verdict = Verdict::Done;
        out.reason = format!(
            "every ring with clusters has {}; to finish, make {} the app's revision (`repo_branch`) and remove the rollout",
            rollout.revision, rollout.revision
        );
    }
}

/// How a reached pair stands, from its status row.
fn stand(row: Option<&Row>, soak: i64, now: i64) -> (Standing, String) {
    let Some(r) = row else {
        return (Standing::Unhealthy, "no status".into());
    };
    let health = r.health.as_deref().unwrap_or("");
    let op = r.operation.as_deref().unwrap_or("");
    if health == "Degraded" {
        return (Standing::Failed, "Degraded".into());
    }
    if matches!(op, "Failed" | "Error") {
        return (
            Standing::Failed,
            format!("its last sync {}", op.to_lowercase()),
        );
    }
    match r.status {
        State::NotInstalled | State::Unknown | State::Orphaned => {
            let why = r.reasons.first().cloned().unwrap_or_default();
            return (Standing::Unhealthy, format!("{}: {why}", r.status.word()));
        }
        _ => {}
    }
    if matches!(health, "Missing" | "Suspended" | "Unknown") {
        return (Standing::Unhealthy, health.to_string());
    }
    if r.status != State::Deployed {
        let why = r.reasons.first().cloned().unwrap_or_default();
        return (Standing::Syncing, format!("STALE: {why}"));
    }
    match r.finished_at {
        _ if soak == 0 => (Standing::Ready, String::new()),
        None => (
            Standing::Soaking,
            "Argo CD records no finished sync (status.operationState.finishedAt)".into(),
        ),
        Some(t) if now - t < soak => (
            Standing::Soaking,
            format!("synced {} ago, soak {}", age(now - t), age(soak)),
        ),
        Some(_) => (Standing::Ready, String::new()),
    }
}
