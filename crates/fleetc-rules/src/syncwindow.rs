//! Argo CD's sync windows (`AppProject.spec.syncWindows`), evaluated as
//! Argo CD evaluates them, so that fleetc can say when an Application may
//! sync.
//!
//! Mirrored from Argo CD's `pkg/apis/application/v1alpha1/types.go`
//! (`SyncWindow.Validate`, `SyncWindow.active`, `SyncWindows.Matches`,
//! `SyncWindows.CanSync`, `hasDeny`, `inactiveAllows`, `manualEnabled`),
//! the project check in `app_project_types.go` (`ValidateProject`: a window
//! must name applications, namespaces or clusters), and from what those
//! call: `github.com/robfig/cron/v3` (`parser.go`, `spec.go`) with the
//! options `Minute | Hour | Dom | Month | Dow` (no `Descriptor`: `@daily`
//! is refused), Go's `time.ParseDuration` and `time.LoadLocation`.
//!
//! How Argo CD reads a window at a moment `now` (UTC):
//!
//! - `offset` is the UTC offset of the window's `timeZone` *at the moment
//!   of evaluation* (Argo CD takes it at `time.Now()`; here it is taken at
//!   the `unix` asked about, which is what Argo CD computes when its clock
//!   reads `unix`). An unknown `timeZone` is UTC (Argo CD logs a warning
//!   and goes on; see [`Compiled::warning`]).
//! - `wall = now + offset` is then treated as a UTC time, and the cron
//!   schedule is evaluated on that naive wall clock: the window is open
//!   when robfig's `Next(wall - duration)` is before `wall`, that is when a
//!   start `s` of the schedule lies strictly between `wall - duration` and
//!   `wall`. A window is therefore closed at its very start second and
//!   open from the second after; a fractional duration counts as the whole
//!   seconds above it.
//! - Across a DST change the duration is wall-clock time, not elapsed
//!   time: on the spring-forward night a `0 1 * * *` window of `3h` in
//!   `Europe/Berlin` closes at 04:00 local after two real hours, a start
//!   at 02:30 that never shows on the clock still opens the window at
//!   03:00 (until 03:30), and on the fall-back night the repeated hour
//!   opens a 02:00 window twice (closed for the one second at which the
//!   clock goes back to 02:00:00).
//! - A schedule may carry robfig's own `TZ=Zone ` or `CRON_TZ=Zone `
//!   prefix; Argo CD does not strip it, so it is honoured here too, on top
//!   of `timeZone` (both shifts apply), with robfig's handling of DST.
//! - A schedule that can never fire (`0 0 30 2 *`) makes robfig's `Next`
//!   return the zero time, which is before any `now`: Argo CD holds such a
//!   window open for ever, and so does this module.
//!
//! Assumed, as in Argo CD's images: the controller's local time zone is
//! UTC (this matters only for `timeZone: Local` and `TZ=Local`). Times are
//! Unix seconds; they are clamped to the years 1 to 9999.
//!
//! Not modelled: `andOperator` (matching is Argo CD's default OR),
//! `syncOverrun` (which concerns syncs already running), `description`
//! (refused by Argo CD beyond 255 characters) and the project-wide check
//! for duplicate windows.

use std::fmt;
use std::str::FromStr;

use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::argocd::glob_match;

/// Nanoseconds in a second.
const NS: i128 = 1_000_000_000;
/// 0001-01-01T00:00:00Z, Go's zero time, the earliest time evaluated.
const MIN_UNIX: i64 = -62_135_596_800;
/// 9999-12-31T23:59:59Z, the latest time evaluated.
const MAX_UNIX: i64 = 253_402_300_799;
/// A bound on the steps of one cron search, far above what any schedule
/// needs (robfig's own bound is five years of months and days).
const MAX_STEPS: u32 = 5_000_000;

/// Whether a window allows or denies syncs while it is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `kind: allow`: syncs may run only while some allow window is open.
    Allow,
    /// `kind: deny`: no sync runs while the window is open (unless it
    /// allows manual syncs and the sync is manual).
    Deny,
}

impl Kind {
    /// The spelling in the AppProject: `allow` or `deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Allow => "allow",
            Kind::Deny => "deny",
        }
    }
}

impl FromStr for Kind {
    type Err = Problem;

    /// Reads `kind` as Argo CD's `Validate` does: exactly `allow` or
    /// `deny`, lower case.
    fn from_str(s: &str) -> Result<Kind, Problem> {
        match s {
            "allow" => Ok(Kind::Allow),
            "deny" => Ok(Kind::Deny),
            _ => Err(Problem {
                field: "kind",
                message: format!("kind '{s}' mismatch: can only be allow or deny"),
                help: "write `kind: allow` or `kind: deny`, in lower case".to_string(),
            }),
        }
    }
}

/// A sync window as written in `AppProject.spec.syncWindows` (the strings
/// as they are there).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// `kind`.
    pub kind: Kind,
    /// `schedule`: a five-field cron expression (minute hour day-of-month
    /// month day-of-week).
    pub schedule: String,
    /// `duration`: a Go duration (`1h30m`).
    pub duration: String,
    /// `timeZone`: an IANA time zone name; `None` or empty is UTC.
    pub time_zone: Option<String>,
    /// `manualSync`: manual syncs may run while this window blocks.
    pub manual_sync: bool,
    /// `applications`: globs on the Application's name.
    pub applications: Vec<String>,
    /// `namespaces`: globs on the destination namespace.
    pub namespaces: Vec<String>,
    /// `clusters`: globs on the destination server URL or cluster name.
    pub clusters: Vec<String>,
}

/// What is wrong with a window: the field, Argo CD's message for it, and
/// how to write it right.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The field at fault, as spelled in the AppProject: `schedule`,
    /// `duration`, `timeZone`, `kind` or `applications` (for a window that
    /// names no applications, namespaces or clusters).
    pub field: &'static str,
    /// Argo CD's message (the wording of `Validate`, `ValidateProject` or,
    /// for `timeZone`, its log warning).
    pub message: String,
    /// One line on how to write the field so that Argo CD takes it.
    pub help: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for Problem {}

/// A validated window, ready to evaluate.
#[derive(Clone, Debug)]
pub struct Compiled {
    window: Window,
    schedule: Schedule,
    /// The duration, rounded up to whole seconds (Argo CD compares
    /// whole-second cron starts with `now - duration`, so only this
    /// ceiling matters).
    duration_secs: i64,
    /// The window's `timeZone`.
    zone: Zone,
    warning: Option<Problem>,
}

/// Checks a window as Argo CD does when it admits an AppProject
/// (`SyncWindow.Validate`, then `ValidateProject`'s rule that a window
/// names applications, namespaces or clusters) and prepares it for
/// evaluation. What Argo CD refuses is refused, with the field at fault.
/// An unknown `timeZone` is not refused (Argo CD uses UTC and logs a
/// warning): see [`Compiled::warning`].
pub fn compile(w: &Window) -> Result<Compiled, Problem> {
    let schedule = parse_schedule(&w.schedule).map_err(|err| Problem {
        field: "schedule",
        message: format!("cannot parse schedule '{}': {}", w.schedule, err),
        help: schedule_help(&w.schedule),
    })?;
    let duration_ns = parse_go_duration(&w.duration).map_err(|err| Problem {
        field: "duration",
        message: format!("cannot parse duration '{}': {}", w.duration, err),
        help: "write a Go duration: numbers with units ns, us, ms, s, m or h, as in \
               \"1h30m\" or \"90m\"; there is no unit for days (write \"24h\")"
            .to_string(),
    })?;
    if w.applications.is_empty() && w.namespaces.is_empty() && w.clusters.is_empty() {
        return Err(Problem {
            field: "applications",
            message: format!(
                "window '{}':'{}':'{}' requires one of application, cluster or namespace",
                w.kind.as_str(),
                w.schedule,
                w.duration
            ),
            help: "list at least one of applications, namespaces or clusters (\"*\" matches \
                   every one)"
                .to_string(),
        });
    }
    let name = w.time_zone.as_deref().unwrap_or("");
    let (zone, warning) = match load_location(name) {
        Ok(zone) => (zone, None),
        Err(_) => (
            Zone::Utc,
            Some(Problem {
                field: "timeZone",
                message: format!(
                    "Invalid time zone {name} specified. Using UTC as default time zone"
                ),
                help: "write an IANA time zone name, with the case of the tz database, such as \
                       \"Europe/Berlin\" or \"America/New_York\""
                    .to_string(),
            }),
        ),
    };
    Ok(Compiled {
        window: w.clone(),
        schedule,
        duration_secs: ceil_div(duration_ns as i128, NS) as i64,
        zone,
        warning,
    })
}

fn schedule_help(spec: &str) -> String {
    if spec.trim_start().starts_with('@') {
        return "Argo CD's cron parser takes no @-descriptors: write the five fields, e.g. \
                \"0 0 * * *\" for @daily, \"0 * * * *\" for @hourly"
            .to_string();
    }
    "write five cron fields: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12 or \
     JAN-DEC) day-of-week (0-6 or SUN-SAT; 7 is refused), each `*`, `?`, a value, a range \
     `a-b`, a step `/n` or a comma list, e.g. \"0 22 * * MON-FRI\""
        .to_string()
}

impl Compiled {
    /// The window as written.
    pub fn window(&self) -> &Window {
        &self.window
    }

    /// Whether the schedule can never fire (`0 0 30 2 *`): Argo CD then
    /// holds the window open for ever (see the module's notes).
    pub fn never_fires(&self) -> bool {
        matches!(self.schedule.class, Class::Never)
    }

    /// Argo CD's warning for this window, if any: a `timeZone` that Go's
    /// `time.LoadLocation` does not know, which Argo CD replaces by UTC.
    pub fn warning(&self) -> Option<&Problem> {
        self.warning.as_ref()
    }

    /// Argo CD's `SyncWindow.active`: whether the window is open at `unix`
    /// seconds (UTC).
    pub fn active_at(&self, unix: i64) -> bool {
        let t = clamp(unix);
        self.active_wall(t.saturating_add(self.zone.offset(t)))
    }

    /// Argo CD's `SyncWindows.Matches` for this window (with the default OR
    /// of the three lists): whether it applies to an Application named
    /// `application` whose destination is `namespace` on the cluster with
    /// server URL `cluster_server` or name `cluster_name` (either may be
    /// empty). The globs are Argo CD's (`globMatch`, gobwas/glob without
    /// separators).
    pub fn matches(
        &self,
        application: &str,
        namespace: &str,
        cluster_server: &str,
        cluster_name: &str,
    ) -> bool {
        let w = &self.window;
        if w.applications.iter().any(|p| glob(p, application)) {
            return true;
        }
        if w.clusters.iter().any(|c| {
            (!cluster_name.is_empty() && glob(c, cluster_name))
                || (!cluster_server.is_empty() && glob(c, cluster_server))
        }) {
            return true;
        }
        w.namespaces.iter().any(|p| glob(p, namespace))
    }

    fn is(&self, kind: Kind) -> bool {
        self.window.kind == kind
    }

    /// `active` on the naive wall clock `wall` (local time read as UTC):
    /// a start in `(wall - duration, wall)`, or robfig's zero time.
    fn active_wall(&self, wall: i64) -> bool {
        match self.schedule.class {
            Class::Never => true,
            _ => match self.schedule.next(wall - self.duration_secs) {
                None => true,
                Some(start) => start < wall,
            },
        }
    }

    /// The first time in `(t0, limit]` at which `active_at` is `want`,
    /// given that it is not at `t0`.
    fn next_change(&self, t0: i64, limit: i64, want: bool) -> Option<i64> {
        let mut t = t0;
        loop {
            let offset = self.zone.offset(t);
            let seg_end = self.zone.next_transition(t);
            let last = match seg_end {
                Some(end) => (end - 1).min(limit),
                None => limit,
            };
            if let Some(wall) = self.next_change_wall(t + offset, last + offset, want) {
                return Some(wall - offset);
            }
            let end = seg_end.filter(|&end| end <= limit)?;
            if self.active_at(end) == want {
                return Some(end);
            }
            t = end;
        }
    }

    /// On the naive wall clock: the first `wall` in `(w0, wmax]` with
    /// `active_wall(wall) == want`, given `active_wall(w0) != want`.
    fn next_change_wall(&self, w0: i64, wmax: i64, want: bool) -> Option<i64> {
        if w0 >= wmax {
            return None;
        }
        match self.schedule.class {
            Class::Never => None,
            Class::Dense if want => {
                // Closed at w0, so Next(w0 - d) = n >= w0 and the window
                // opens the second after n, if it lasts over a second.
                let n = self.schedule.next(w0 - self.duration_secs)?;
                let open = n + 1;
                (self.duration_secs >= 2 && open <= wmax).then_some(open)
            }
            Class::Dense => self.close_dense(w0, wmax),
            Class::Sparse => self.next_change_stepping(w0, wmax, want),
        }
    }

    /// The end of the run of open seconds through `w0`, for a schedule
    /// that fires every year: a start `s` keeps the window open on
    /// `[s + 1, s + d - 1]`, so the run ends at `s + d` for the first start
    /// `s` whose successor is `d` or more seconds later. When every gap
    /// within a day is shorter than the duration, the walk goes from the
    /// last start of one day to the next day's first (days near a DST
    /// change of a `TZ=` zone are walked start by start, with robfig's
    /// `Next`).
    fn close_dense(&self, w0: i64, wmax: i64) -> Option<i64> {
        let d = self.duration_secs;
        let sched = &self.schedule;
        let mut s = sched.next(w0 - d)?;
        loop {
            if d > sched.max_gap {
                if let Some(last) = sched.last_start_of_plain_day(s) {
                    s = last;
                }
            }
            if s >= wmax {
                return None;
            }
            let next = sched.next(s)?;
            if next <= s {
                // Not robfig's order of starts here: search event by event.
                return self.next_change_stepping(w0, wmax, false);
            }
            if next - s >= d {
                let close = s + d;
                return (close <= wmax).then_some(close);
            }
            s = next;
        }
    }

    /// The general search: `active_wall` can only change where `wall - d`
    /// passes a start, where `wall` passes the second after a start, or
    /// (robfig's five-year limit) where `wall - d` enters a new year.
    fn next_change_stepping(&self, w0: i64, wmax: i64, want: bool) -> Option<i64> {
        let d = self.duration_secs;
        let mut w = w0;
        while w < wmax {
            let event = match self.schedule.next(w - d) {
                Some(n) if n + 1 > w => (n + d).min(n + 1),
                Some(n) => n + d,
                None => {
                    let year = self.schedule.zone.fields(w - d + 1).year;
                    self.schedule.zone.date(year + 1, 1, 1, 0, 0, 0) - 1 + d
                }
            };
            let event = event.max(w + 1);
            if event > wmax {
                return None;
            }
            if self.active_wall(event) == want {
                return Some(event);
            }
            w = event;
        }
        None
    }
}

/// Argo CD's `globMatch(pattern, value, false)`: `*` matches anything,
/// else gobwas/glob with no separators.
fn glob(pattern: &str, value: &str) -> bool {
    pattern == "*" || glob_match(pattern, value, &[])
}

/// Argo CD's `SyncWindows.CanSync(isManual, nil)` over the windows that
/// match one Application (the caller passes only those; see
/// [`Compiled::matches`]): whether a sync, manual or automated, may start
/// at `unix`. No windows: yes. An open deny window: no, unless the sync
/// is manual and every open deny window has `manualSync`. Else an open
/// allow window: yes. Else any allow window (all closed): only a manual
/// sync, and only if every allow window has `manualSync`. Else yes.
pub fn can_sync(windows: &[&Compiled], unix: i64, manual: bool) -> bool {
    let active: Vec<bool> = windows.iter().map(|w| w.active_at(unix)).collect();
    decide(windows, &active, manual)
}

/// `CanSync` given which windows are open.
fn decide(windows: &[&Compiled], active: &[bool], manual: bool) -> bool {
    // hasDeny over the active windows.
    let mut deny_found = false;
    let mut manual_enabled = false;
    for (w, _) in windows.iter().zip(active).filter(|(_, a)| **a) {
        if w.is(Kind::Deny) {
            if !deny_found || manual_enabled {
                manual_enabled = w.window.manual_sync;
            }
            deny_found = true;
        }
    }
    if deny_found {
        return manual && manual_enabled;
    }
    if windows
        .iter()
        .zip(active)
        .any(|(w, a)| *a && w.is(Kind::Allow))
    {
        return true;
    }
    let mut inactive_allows = windows.iter().filter(|w| w.is(Kind::Allow)).peekable();
    if inactive_allows.peek().is_some() {
        return manual && inactive_allows.all(|w| w.window.manual_sync);
    }
    true
}

/// The first time in `[unix, unix + horizon_secs]` at which [`can_sync`]
/// is true, or `None` if there is none. Steps from one window boundary to
/// the next (a deny that blocks is skipped to its end, a wait for an allow
/// to its start), not second by second.
pub fn next_open(windows: &[&Compiled], unix: i64, manual: bool, horizon_secs: i64) -> Option<i64> {
    if horizon_secs < 0 {
        return None;
    }
    let limit = clamp(unix.saturating_add(horizon_secs));
    let mut t = clamp(unix);
    while t <= limit {
        let active: Vec<bool> = windows.iter().map(|w| w.active_at(t)).collect();
        if decide(windows, &active, manual) {
            return Some(t);
        }
        // The open deny windows that block this sync (a manual sync goes
        // past those with manualSync).
        let deny_open = windows
            .iter()
            .zip(&active)
            .any(|(w, a)| *a && w.is(Kind::Deny) && !(manual && w.window.manual_sync));
        let next = if deny_open {
            // Blocked while any of these is open: each is open from t to
            // its own end, so the block lasts until the latest end.
            let mut until = t;
            for (w, _) in windows
                .iter()
                .zip(&active)
                .filter(|(w, a)| **a && w.is(Kind::Deny) && !(manual && w.window.manual_sync))
            {
                until = until.max(w.next_change(t, limit, false)?);
            }
            until
        } else {
            // No window open, and the allow windows keep the sync out
            // until one of them opens, or (manual) a deny window with
            // manualSync opens.
            windows
                .iter()
                .filter(|w| w.is(Kind::Allow) || (manual && w.window.manual_sync))
                .filter_map(|w| w.next_change(t, limit, true))
                .min()?
        };
        // Each boundary lies after t; never stand still.
        t = next.max(t + 1);
    }
    None
}

/// The names of the time zones a window's `timeZone` may name (the
/// bundled tz database), sorted: for suggesting one for a typo.
pub fn time_zone_names() -> Vec<String> {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.as_str().to_string())
        .collect();
    names.sort();
    names
}

fn clamp(unix: i64) -> i64 {
    unix.clamp(MIN_UNIX, MAX_UNIX)
}

fn ceil_div(a: i128, b: i128) -> i128 {
    let q = a.div_euclid(b);
    if a.rem_euclid(b) == 0 {
        q
    } else {
        q + 1
    }
}

// ---------------------------------------------------------------------
// Time zones and the calendar, with Go's `time.Date` normalisation.
// ---------------------------------------------------------------------

/// A Go `*time.Location` as Argo CD ends up with it: UTC (also `Local` on
/// a controller running in UTC), or a zone of the tz database.
#[derive(Clone, Debug)]
enum Zone {
    Utc,
    Tz(TimeZone),
}

/// Go's `time.LoadLocation`, with the bundled tz database: `""` and `UTC`
/// are UTC, `Local` is the controller's zone (UTC), other names must be
/// tz database names, with their case.
fn load_location(name: &str) -> Result<Zone, String> {
    match name {
        "" | "UTC" | "Local" => return Ok(Zone::Utc),
        _ => {}
    }
    if name.contains("..") || name.starts_with('/') || name.starts_with('\\') {
        return Err("time: invalid location name".to_string());
    }
    match TimeZone::get(name) {
        Ok(tz) if tz.iana_name() == Some(name) => Ok(Zone::Tz(tz)),
        _ => Err(format!("unknown time zone {name}")),
    }
}

/// Local calendar fields of a moment.
#[derive(Clone, Copy, Debug)]
struct Fields {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    /// 0 is Sunday.
    weekday: i64,
}

impl Zone {
    /// The UTC offset in seconds at `unix`.
    fn offset(&self, unix: i64) -> i64 {
        match self {
            Zone::Utc => 0,
            Zone::Tz(tz) => {
                let ts = Timestamp::from_second(unix.clamp(
                    Timestamp::MIN.as_second() + 86_400,
                    Timestamp::MAX.as_second() - 86_400,
                ))
                .unwrap_or(Timestamp::UNIX_EPOCH);
                i64::from(tz.to_offset(ts).seconds())
            }
        }
    }

    /// Whether no offset change falls in `(from, to]`.
    fn same_offset(&self, from: i64, to: i64) -> bool {
        self.next_transition(from).is_none_or(|t| t > to)
    }

    /// The first offset change strictly after `unix`.
    fn next_transition(&self, unix: i64) -> Option<i64> {
        match self {
            Zone::Utc => None,
            Zone::Tz(tz) => {
                let ts = Timestamp::from_second(unix).ok()?;
                let next = tz.following(ts).next()?.timestamp().as_second();
                (next > unix).then_some(next)
            }
        }
    }

    fn fields(&self, unix: i64) -> Fields {
        let local = unix + self.offset(unix);
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Fields {
            year,
            month,
            day,
            hour: secs / 3600,
            minute: secs % 3600 / 60,
            second: secs % 60,
            weekday: (days + 4).rem_euclid(7),
        }
    }

    /// Go's `time.Date(year, month, day, hour, min, sec, 0, loc)`: out of
    /// range months and days roll over, and a local time in a gap or an
    /// overlap gets the offset Go's two lookups give it.
    fn date(&self, year: i64, month: i64, day: i64, hour: i64, min: i64, sec: i64) -> i64 {
        let m0 = month - 1;
        let (year, month) = (year + m0.div_euclid(12), m0.rem_euclid(12) + 1);
        let local =
            (days_from_civil(year, month, 1) + day - 1) * 86_400 + hour * 3600 + min * 60 + sec;
        match self {
            Zone::Utc => local,
            Zone::Tz(_) => local - self.offset(local - self.offset(local)),
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (`day` may run
/// past the month).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day counted from 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(month: i64, leap: bool) -> i64 {
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// ---------------------------------------------------------------------
// robfig/cron v3: the parser (`parser.go`) and `SpecSchedule.Next`.
// ---------------------------------------------------------------------

/// robfig's marker bit for a field written `*` or `?`.
const STAR: u64 = 1 << 63;

/// How often a schedule fires, which decides how it is searched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// Some day in every calendar year: `Next` never hits robfig's
    /// five-year limit.
    Dense,
    /// Only in some years (29 February): `Next` may return the zero time.
    Sparse,
    /// Never: `Next` always returns the zero time.
    Never,
}

/// A parsed cron schedule (robfig's `SpecSchedule`; seconds are always 0).
#[derive(Clone, Debug)]
struct Schedule {
    minute: u64,
    hour: u64,
    dom: u64,
    month: u64,
    dow: u64,
    /// The `TZ=` prefix's zone, else UTC (robfig's `time.Local`, which it
    /// reads as the zone of the time given: UTC in Argo CD).
    zone: Zone,
    class: Class,
    /// Seconds into the day of every hour × minute, sorted.
    times_of_day: Vec<i64>,
    /// The longest gap between consecutive `times_of_day` (0 for one).
    max_gap: i64,
}

#[derive(Clone, Copy)]
struct Bounds {
    min: u64,
    max: u64,
    names: &'static [(&'static str, u64)],
}

const MINUTES: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
};
const HOURS: Bounds = Bounds {
    min: 0,
    max: 23,
    names: &[],
};
const DOM: Bounds = Bounds {
    min: 1,
    max: 31,
    names: &[],
};
const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
    ],
};
const DOW: Bounds = Bounds {
    min: 0,
    max: 6,
    names: &[
        ("sun", 0),
        ("mon", 1),
        ("tue", 2),
        ("wed", 3),
        ("thu", 4),
        ("fri", 5),
        ("sat", 6),
    ],
};

/// `cron.NewParser(Minute | Hour | Dom | Month | Dow).Parse(spec)`, with
/// robfig's error messages.
fn parse_schedule(spec: &str) -> Result<Schedule, String> {
    if spec.is_empty() {
        return Err("empty spec string".to_string());
    }
    let mut zone = Zone::Utc;
    let mut rest = spec;
    if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
        let eq = spec.find('=').unwrap_or(0);
        let Some(space) = spec.find(' ') else {
            // robfig slices spec[eq+1:-1] and panics.
            return Err(format!(
                "runtime error: slice bounds out of range [:-1] (robfig/cron panics on a \
                 {} prefix with no space after it)",
                &spec[..=eq]
            ));
        };
        let name = &spec[eq + 1..space];
        zone = load_location(name).map_err(|e| format!("provided bad location {name}: {e}"))?;
        rest = spec[space..].trim();
    }
    if rest.starts_with('@') {
        return Err(format!("parser does not accept descriptors: {rest}"));
    }
    let fields: Vec<&str> = rest.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "expected exactly 5 fields, found {}: [{}]",
            fields.len(),
            fields.join(" ")
        ));
    }
    let minute = get_field(fields[0], MINUTES)?;
    let hour = get_field(fields[1], HOURS)?;
    let dom = get_field(fields[2], DOM)?;
    let month = get_field(fields[3], MONTHS)?;
    let dow = get_field(fields[4], DOW)?;
    let mut times_of_day = Vec::new();
    for h in 0..24 {
        for m in 0..60 {
            if hour & (1 << h) != 0 && minute & (1 << m) != 0 {
                times_of_day.push(h * 3600 + m * 60);
            }
        }
    }
    let max_gap = times_of_day
        .windows(2)
        .map(|p| p[1] - p[0])
        .max()
        .unwrap_or(0);
    let mut sched = Schedule {
        minute,
        hour,
        dom,
        month,
        dow,
        zone,
        class: Class::Never,
        times_of_day,
        max_gap,
    };
    sched.class = sched.classify();
    Ok(sched)
}

/// robfig's `getField`: a comma-separated list of ranges (empty items are
/// skipped, as `strings.FieldsFunc` does).
fn get_field(field: &str, r: Bounds) -> Result<u64, String> {
    let mut bits = 0;
    for expr in field.split(',').filter(|e| !e.is_empty()) {
        bits |= get_range(expr, r)?;
    }
    Ok(bits)
}

/// robfig's `getRange`: `*`, `?`, `n`, `a-b`, each optionally `/step`.
fn get_range(expr: &str, r: Bounds) -> Result<u64, String> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_and_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_and_high.len() == 1;
    let (start, mut end, mut extra);
    if low_and_high[0] == "*" || low_and_high[0] == "?" {
        (start, end, extra) = (r.min, r.max, STAR);
    } else {
        start = parse_int_or_name(low_and_high[0], r.names)?;
        end = match low_and_high.len() {
            1 => start,
            2 => parse_int_or_name(low_and_high[1], r.names)?,
            _ => return Err(format!("too many hyphens: {expr}")),
        };
        extra = 0;
    }
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = must_parse_int(range_and_step[1])?;
            // "N/step" means "N-max/step".
            if single {
                end = r.max;
            }
            if step > 1 {
                extra = 0;
            }
            step
        }
        _ => return Err(format!("too many slashes: {expr}")),
    };
    if start < r.min {
        return Err(format!(
            "beginning of range ({start}) below minimum ({}): {expr}",
            r.min
        ));
    }
    if end > r.max {
        return Err(format!(
            "end of range ({end}) above maximum ({}): {expr}",
            r.max
        ));
    }
    if start > end {
        return Err(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        ));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    let mut bits = 0u64;
    let mut i = start;
    while i <= end {
        bits |= 1 << i;
        i += step;
    }
    Ok(bits | extra)
}

fn parse_int_or_name(expr: &str, names: &[(&str, u64)]) -> Result<u64, String> {
    let lower = expr.to_lowercase();
    if let Some((_, n)) = names.iter().find(|(name, _)| *name == lower) {
        return Ok(*n);
    }
    must_parse_int(expr)
}

/// robfig's `mustParseInt`: Go's `strconv.Atoi`, then no negatives.
fn must_parse_int(expr: &str) -> Result<u64, String> {
    let n = go_atoi(expr).map_err(|e| format!("failed to parse int from {expr}: {e}"))?;
    u64::try_from(n).map_err(|_| format!("negative number ({n}) not allowed: {expr}"))
}

/// Go's `strconv.Atoi` (base 10, optional sign, no underscores), with its
/// error text: digits are read left to right, and an overflow is reported
/// as soon as it happens, before a later bad character.
fn go_atoi(s: &str) -> Result<i64, String> {
    let fail = |why: &str| format!("strconv.Atoi: parsing {}: {why}", go_strconv_quote(s));
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return Err(fail("invalid syntax"));
    }
    let mut n: u64 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            return Err(fail("invalid syntax"));
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
            .ok_or_else(|| fail("value out of range"))?;
    }
    const CUTOFF: u64 = 1 << 63;
    if (!neg && n >= CUTOFF) || (neg && n > CUTOFF) {
        return Err(fail("value out of range"));
    }
    Ok(if neg {
        (n as i64).wrapping_neg()
    } else {
        n as i64
    })
}

/// Go's `strconv.Quote`, for the characters a cron field can hold.
fn go_strconv_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Schedule {
    /// robfig's `dayMatches`: when day-of-month and day-of-week are both
    /// restricted (neither written `*`/`?`), either may match.
    fn day_matches(&self, day: i64, weekday: i64) -> bool {
        let dom = self.dom & (1 << day) != 0;
        let dow = self.dow & (1 << weekday) != 0;
        if self.dom & STAR != 0 || self.dow & STAR != 0 {
            dom && dow
        } else {
            dom || dow
        }
    }

    /// The last start on the local day of the start `s`, if that day is
    /// plain: in UTC always, in a zone when no offset change falls within
    /// two days of it (there robfig's `Next` is the local clock's order).
    fn last_start_of_plain_day(&self, s: i64) -> Option<i64> {
        let offset = self.zone.offset(s);
        let day = (s + offset).div_euclid(86_400);
        let midnight = day * 86_400 - offset;
        if !self
            .zone
            .same_offset(midnight - 2 * 86_400, midnight + 3 * 86_400)
        {
            return None;
        }
        let last = midnight + self.times_of_day.last()?;
        (last >= s).then_some(last)
    }

    /// Whether the schedule fires in every kind of year (leap or not,
    /// starting on any weekday), in some, or in none.
    fn classify(&self) -> Class {
        if self.times_of_day.is_empty() {
            return Class::Never;
        }
        let mut kinds_with_a_day = 0;
        for leap in [false, true] {
            for jan1 in 0..7 {
                let mut doy = 0;
                let mut found = false;
                for month in 1..=12 {
                    for day in 1..=days_in_month(month, leap) {
                        let weekday = (jan1 + doy) % 7;
                        doy += 1;
                        found |= self.month & (1 << month) != 0 && self.day_matches(day, weekday);
                    }
                }
                kinds_with_a_day += usize::from(found);
            }
        }
        match kinds_with_a_day {
            14 => Class::Dense,
            0 => Class::Never,
            _ => Class::Sparse,
        }
    }

    /// robfig's `SpecSchedule.Next(t)` for a whole-second `t`: the first
    /// start strictly after `t`, searched within five years (by the year
    /// of `t + 1s` in the schedule's zone); `None` is Go's zero time.
    fn next(&self, after: i64) -> Option<i64> {
        let z = &self.zone;
        let bit = |bits: u64, v: i64| bits & (1 << v) != 0;
        let mut t = after + 1;
        let mut added = false;
        let year_limit = z.fields(t).year + 5;
        let mut steps = 0u32;
        let mut step = || {
            steps += 1;
            steps < MAX_STEPS
        };
        'wrap: loop {
            if z.fields(t).year > year_limit || !step() {
                return None;
            }
            while !bit(self.month, z.fields(t).month) {
                if !added {
                    added = true;
                    let f = z.fields(t);
                    t = z.date(f.year, f.month, 1, 0, 0, 0);
                }
                let f = z.fields(t);
                t = z.date(f.year, f.month + 1, f.day, f.hour, f.minute, f.second);
                if z.fields(t).month == 1 {
                    continue 'wrap;
                }
            }
            loop {
                let f = z.fields(t);
                if self.day_matches(f.day, f.weekday) {
                    break;
                }
                if !step() {
                    return None;
                }
                if !added {
                    added = true;
                    t = z.date(f.year, f.month, f.day, 0, 0, 0);
                }
                let f = z.fields(t);
                t = z.date(f.year, f.month, f.day + 1, f.hour, f.minute, f.second);
                // Where DST moves midnight, robfig puts the hour back to 0.
                let hour = z.fields(t).hour;
                if hour != 0 {
                    t += if hour > 12 {
                        (24 - hour) * 3600
                    } else {
                        -hour * 3600
                    };
                }
                if z.fields(t).day == 1 {
                    continue 'wrap;
                }
            }
            // robfig adds an hour (a minute, a second) at a time until the
            // field matches or wraps to 0; with no offset change on the
            // way, that is one jump to the next value set (or to 0).
            if !bit(self.hour, z.fields(t).hour) {
                if !added {
                    added = true;
                    let f = z.fields(t);
                    t = z.date(f.year, f.month, f.day, f.hour, 0, 0);
                }
                let hour = z.fields(t).hour;
                let to = (hour + 1..24).find(|&h| bit(self.hour, h)).unwrap_or(24);
                let jump = t + (to - hour) * 3600;
                if z.same_offset(t, jump) {
                    t = jump;
                    if to == 24 {
                        continue 'wrap;
                    }
                } else {
                    loop {
                        if !step() {
                            return None;
                        }
                        t += 3600;
                        let hour = z.fields(t).hour;
                        if hour == 0 {
                            continue 'wrap;
                        }
                        if bit(self.hour, hour) {
                            break;
                        }
                    }
                }
            }
            if !bit(self.minute, z.fields(t).minute) {
                if !added {
                    added = true;
                    // time.Truncate(time.Minute), on absolute time.
                    t = t.div_euclid(60) * 60;
                }
                let minute = z.fields(t).minute;
                let to = (minute + 1..60)
                    .find(|&m| bit(self.minute, m))
                    .unwrap_or(60);
                let jump = t + (to - minute) * 60;
                if z.same_offset(t, jump) {
                    t = jump;
                    if to == 60 {
                        continue 'wrap;
                    }
                } else {
                    loop {
                        t += 60;
                        let minute = z.fields(t).minute;
                        if minute == 0 {
                            continue 'wrap;
                        }
                        if bit(self.minute, minute) {
                            break;
                        }
                    }
                }
            }
            // The seconds field is always 0.
            let second = z.fields(t).second;
            if second != 0 {
                added = true;
                let jump = t + 60 - second;
                if z.same_offset(t, jump) {
                    t = jump;
                } else {
                    while z.fields(t).second != 0 {
                        t += 1;
                    }
                }
                continue 'wrap;
            }
            return Some(t);
        }
    }
}

// ---------------------------------------------------------------------
// Go's time.ParseDuration.
// ---------------------------------------------------------------------

/// Go's `time.ParseDuration`, in nanoseconds, with Go's error text.
fn parse_go_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", go_time_quote(orig));
    let mut s = orig.as_bytes();
    let mut neg = false;
    if let Some(&c) = s.first() {
        if c == b'-' || c == b'+' {
            neg = c == b'-';
            s = &s[1..];
        }
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    const LIMIT: u64 = 1 << 63;
    let mut d: u64 = 0;
    while !s.is_empty() {
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return Err(invalid());
        }
        // [0-9]*
        let mut v: u64 = 0;
        let mut i = 0;
        while i < s.len() && s[i].is_ascii_digit() {
            if v > LIMIT / 10 {
                return Err(invalid());
            }
            v = v * 10 + u64::from(s[i] - b'0');
            if v > LIMIT {
                return Err(invalid());
            }
            i += 1;
        }
        let pre = i > 0;
        s = &s[i..];
        // (\.[0-9]*)?
        let mut post = false;
        let (mut f, mut scale) = (0u64, 1f64);
        if s.first() == Some(&b'.') {
            s = &s[1..];
            let mut i = 0;
            let mut overflow = false;
            while i < s.len() && s[i].is_ascii_digit() {
                if !overflow {
                    if f > (LIMIT - 1) / 10 {
                        overflow = true;
                    } else {
                        let y = f * 10 + u64::from(s[i] - b'0');
                        if y > LIMIT {
                            overflow = true;
                        } else {
                            f = y;
                            scale *= 10.0;
                        }
                    }
                }
                i += 1;
            }
            post = i > 0;
            s = &s[i..];
        }
        if !pre && !post {
            return Err(invalid());
        }
        // The unit: up to the next '.' or digit.
        let i = s
            .iter()
            .position(|&c| c == b'.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if i == 0 {
            return Err(format!(
                "time: missing unit in duration {}",
                go_time_quote(orig)
            ));
        }
        let unit_bytes = &s[..i];
        s = &s[i..];
        let unit: u64 = match unit_bytes {
            b"ns" => 1,
            b"us" => 1_000,
            b"\xc2\xb5s" | b"\xce\xbcs" => 1_000, // µs (U+00B5), μs (U+03BC)
            b"ms" => 1_000_000,
            b"s" => 1_000_000_000,
            b"m" => 60_000_000_000,
            b"h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    go_time_quote(&String::from_utf8_lossy(unit_bytes)),
                    go_time_quote(orig)
                ))
            }
        };
        if v > LIMIT / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            // As Go: float64 arithmetic, truncated.
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > LIMIT {
                return Err(invalid());
            }
        }
        // Go's uint64 addition wraps (2^63 + 2^63 is 0).
        d = d.wrapping_add(v);
        if d > LIMIT {
            return Err(invalid());
        }
    }
    if neg {
        return Ok((d as i64).wrapping_neg());
    }
    if d > LIMIT - 1 {
        return Err(invalid());
    }
    Ok(d as i64)
}

/// The `quote` of Go's time package: `"` around, `"` and `\` escaped,
/// bytes of control and non-ASCII characters as `\xNN`.
fn go_time_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if (c as u32) >= 0x80 || c < ' ' {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unix seconds of a UTC date and time.
    fn utc(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> i64 {
        days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s
    }

    /// Unix seconds of an RFC 3339 time with offset.
    fn at(rfc3339: &str) -> i64 {
        rfc3339.parse::<Timestamp>().unwrap().as_second()
    }

    fn window(kind: Kind, schedule: &str, duration: &str, tz: &str) -> Window {
        Window {
            kind,
            schedule: schedule.to_string(),
            duration: duration.to_string(),
            time_zone: (!tz.is_empty()).then(|| tz.to_string()),
            manual_sync: false,
            applications: vec!["app1".to_string()],
            namespaces: vec!["public".to_string()],
            clusters: vec![],
        }
    }

    fn compiled(kind: Kind, schedule: &str, duration: &str, tz: &str) -> Compiled {
        compile(&window(kind, schedule, duration, tz)).unwrap()
    }

    fn allow(schedule: &str, duration: &str) -> Compiled {
        compiled(Kind::Allow, schedule, duration, "")
    }

    fn deny(schedule: &str, duration: &str) -> Compiled {
        compiled(Kind::Deny, schedule, duration, "")
    }

    fn with_manual(mut c: Compiled, manual: bool) -> Compiled {
        c.window.manual_sync = manual;
        c
    }

    fn sched(spec: &str) -> Schedule {
        parse_schedule(spec).unwrap()
    }

    // --- Argo CD: pkg/apis/application/v1alpha1/types_test.go ---------

    /// types_test.go, TestSyncWindow_Active (the fixed date stands for the
    /// test's "today"; the NonUTC cases are the same instants written in
    /// UTC-4; the invalid ones are refused by compile, where Argo CD's
    /// `active` returns an error).
    #[test]
    fn argocd_sync_window_active() {
        assert!(allow("* * * * *", "1h").active_at(utc(2024, 7, 15, 9, 17, 42)));
        for day in [(2024, 7, 15), (2024, 1, 15)] {
            let hour = |h| utc(day.0, day.1, day.2, h, 0, 0);
            for kind in [Kind::Allow, Kind::Deny] {
                let w = compiled(kind, "* 10 * * *", "2h", "");
                assert!(w.active_at(hour(11)), "{kind:?}-active");
                assert!(!w.active_at(hour(13)), "{kind:?}-inactive");
                assert!(
                    w.active_at(at("2024-07-15T07:00:00-04:00")),
                    "active-NonUTC"
                );
                assert!(
                    !w.active_at(at("2024-07-15T09:00:00-04:00")),
                    "inactive-NonUTC"
                );
            }
        }
        let bad = compile(&window(Kind::Allow, "* 10 * * 7", "2h", "")).unwrap_err();
        assert_eq!(bad.field, "schedule");
        assert_eq!(
            bad.message,
            "cannot parse schedule '* 10 * * 7': end of range (7) above maximum (6): 7"
        );
        let bad = compile(&window(Kind::Deny, "* 10 * * *", "2a", "")).unwrap_err();
        assert_eq!(bad.field, "duration");
        assert_eq!(
            bad.message,
            "cannot parse duration '2a': time: unknown unit \"a\" in duration \"2a\""
        );
    }

    fn active_indices(ws: &[Compiled], t: i64) -> Vec<usize> {
        (0..ws.len()).filter(|&i| ws[i].active_at(t)).collect()
    }

    fn inactive_allow_indices(ws: &[Compiled], t: i64) -> Vec<usize> {
        (0..ws.len())
            .filter(|&i| ws[i].is(Kind::Allow) && !ws[i].active_at(t))
            .collect()
    }

    /// types_test.go, TestSyncWindows_Active: each case on a summer and a
    /// winter day, since Argo CD's test runs on "today" and
    /// America/New_York is UTC-4 or UTC-5 by season.
    #[test]
    fn argocd_sync_windows_active() {
        let pair = |a: &str, b: &str, d: &str, tz: &str| {
            vec![
                compiled(Kind::Allow, a, d, tz),
                compiled(Kind::Allow, b, d, tz),
            ]
        };
        let cases: Vec<(&str, Vec<Compiled>, i64, Vec<usize>)> = vec![
            (
                "MatchFirst",
                pair("* 10 * * *", "* 14 * * *", "2h", ""),
                11,
                vec![0],
            ),
            (
                "MatchSecond",
                pair("* 10 * * *", "* 14 * * *", "2h", ""),
                15,
                vec![1],
            ),
            (
                "MatchBoth",
                pair("* 10 * * *", "* 11 * * *", "3h", ""),
                12,
                vec![0, 1],
            ),
            (
                "MatchNone",
                pair("* 10 * * *", "* 14 * * *", "2h", ""),
                17,
                vec![],
            ),
            (
                "MatchFirst-TimeZoneSpecified",
                pair("* 10 * * *", "* 14 * * *", "2h", "America/New_York"),
                16,
                vec![0],
            ),
            (
                "MatchSecond-TimeZoneSpecified",
                pair("* 10 * * *", "* 14 * * *", "2h", "America/New_York"),
                20,
                vec![1],
            ),
            (
                "MatchNone-TimeZoneSpecified",
                pair("* 10 * * *", "* 14 * * *", "2h", "America/New_York"),
                22,
                vec![],
            ),
            (
                "MatchFirst-PositiveTimeZoneSpecified",
                pair("* 8 * * *", "* 12 * * *", "2h", "Asia/Dhaka"),
                3,
                vec![0],
            ),
        ];
        for (name, ws, hour, want) in &cases {
            for (y, m, d) in [(2024, 7, 15), (2024, 1, 15)] {
                let t = utc(y, m, d, *hour, 0, 0);
                assert_eq!(&active_indices(ws, t), want, "{name} on {y}-{m}-{d}");
            }
        }
        // MatchFirst-NonUTC etc.: the same instants, written in UTC-4.
        let ws = pair("* 10 * * *", "* 14 * * *", "2h", "");
        assert_eq!(
            active_indices(&ws, at("2024-07-15T07:00:00-04:00")),
            vec![0]
        );
        assert_eq!(
            active_indices(&ws, at("2024-07-15T11:00:00-04:00")),
            vec![1]
        );
        assert!(active_indices(&ws, at("2024-07-15T13:00:00-04:00")).is_empty());
        // MatchNone-InvalidSchedule / -InvalidDuration.
        assert!(compile(&window(Kind::Allow, "* 11 * * 7", "3h", "")).is_err());
        assert!(compile(&window(Kind::Allow, "* 11 * * *", "3a", "")).is_err());
    }

    /// types_test.go, TestSyncWindows_InactiveAllows (summer and winter
    /// day, as above).
    #[test]
    fn argocd_sync_windows_inactive_allows() {
        let pair = |a: &str, b: &str, d: &str, tz: &str| {
            vec![
                compiled(Kind::Allow, a, d, tz),
                compiled(Kind::Allow, b, d, tz),
            ]
        };
        let ny = "America/New_York";
        let cases: Vec<(&str, Vec<Compiled>, i64, Vec<usize>)> = vec![
            (
                "MatchFirst",
                pair("* 10 * * *", "* 5 * * *", "2h", ""),
                6,
                vec![0],
            ),
            (
                "MatchSecond",
                pair("* 10 * * *", "* 14 * * *", "2h", ""),
                11,
                vec![1],
            ),
            (
                "MatchBoth",
                pair("* 10 * * *", "* 14 * * *", "2h", ""),
                17,
                vec![0, 1],
            ),
            (
                "MatchNone",
                pair("* 10 * * *", "* 11 * * *", "4h", ""),
                12,
                vec![],
            ),
            (
                "MatchFirst-TZ",
                pair("* 10 * * *", "* 5 * * *", "2h", ny),
                11,
                vec![0],
            ),
            (
                "MatchSecond-TZ",
                pair("* 10 * * *", "* 14 * * *", "2h", ny),
                16,
                vec![1],
            ),
            (
                "MatchBoth-TZ",
                pair("* 10 * * *", "* 14 * * *", "2h", ny),
                6,
                vec![0, 1],
            ),
            (
                "MatchFirst-PositiveTZ",
                pair("* 8 * * *", "* 12 * * *", "2h", "Asia/Dhaka"),
                7,
                vec![0],
            ),
        ];
        for (name, ws, hour, want) in &cases {
            for (y, m, d) in [(2024, 7, 15), (2024, 1, 15)] {
                let t = utc(y, m, d, *hour, 0, 0);
                assert_eq!(
                    &inactive_allow_indices(ws, t),
                    want,
                    "{name} on {y}-{m}-{d}"
                );
            }
        }
        // The NonUTC cases: the same instants in UTC-4.
        let ws = pair("* 10 * * *", "* 14 * * *", "2h", "");
        assert_eq!(
            inactive_allow_indices(&ws, at("2024-07-15T13:00:00-04:00")),
            vec![0, 1]
        );
    }

    /// types_test.go, TestSyncWindows_Matches (test-app, destination
    /// namespace default, server cluster1, name clusterName; the default
    /// OR of the lists).
    #[test]
    fn argocd_sync_windows_matches() {
        let matches = |apps: &[&str], nss: &[&str], clusters: &[&str]| {
            let w = Window {
                applications: apps.iter().map(|s| s.to_string()).collect(),
                namespaces: nss.iter().map(|s| s.to_string()).collect(),
                clusters: clusters.iter().map(|s| s.to_string()).collect(),
                ..window(Kind::Allow, "* * * * *", "1h", "")
            };
            let c = Compiled {
                window: w,
                ..allow("* * * * *", "1h")
            };
            c.matches("test-app", "default", "cluster1", "clusterName")
        };
        assert!(matches(&[], &["default"], &[]), "MatchNamespace");
        assert!(matches(&[], &[], &["cluster1"]), "MatchCluster");
        assert!(matches(&[], &[], &["clusterName"]), "MatchClusterName");
        assert!(matches(&["test-app"], &[], &[]), "MatchAppName");
        assert!(
            matches(&["test-app"], &["default"], &[]),
            "MatchAppNameAndNamespace"
        );
        assert!(
            matches(&["test-app"], &[], &["clusterName"]),
            "MatchAppNameAndClusterName"
        );
        assert!(
            matches(&[], &["default"], &["clusterName"]),
            "MatchNamespaceAndClusterName"
        );
        assert!(
            matches(&["test-app"], &["default"], &["clusterName"]),
            "All three"
        );
        assert!(matches(&["test-*"], &[], &[]), "MatchWildcardAppName");
        assert!(
            matches(&["test-*"], &["default"], &[]),
            "MatchWildcardAppNameAndNamespace"
        );
        assert!(
            matches(&["test-*"], &[], &["clusterN*"]),
            "...AndWildcardClusterName"
        );
        assert!(!matches(&[], &[], &[]), "NoMatch");
        // OR: one list matching is enough; none matching is no match.
        assert!(matches(&["other"], &["default"], &[]));
        assert!(!matches(&["other"], &["kube-*"], &["prod-*"]));
    }

    /// types.go, Matches: a cluster glob is tried on the destination name
    /// and server only when they are set, so even `*` does not match a
    /// destination with neither; a namespace glob `*` matches "".
    #[test]
    fn argocd_matches_empty_destination() {
        let w = Window {
            clusters: vec!["*".to_string()],
            namespaces: vec![],
            ..window(Kind::Allow, "* * * * *", "1h", "")
        };
        let c = compile(&w).unwrap();
        assert!(!c.matches("other", "ns", "", ""));
        assert!(c.matches("other", "ns", "https://kubernetes.default.svc", ""));
        let w = Window {
            applications: vec![],
            namespaces: vec!["*".to_string()],
            ..window(Kind::Allow, "* * * * *", "1h", "")
        };
        assert!(compile(&w).unwrap().matches("other", "", "", ""));
    }

    /// TestSyncWindows_CanSync's cases: (name, windows, manual, can sync).
    fn can_sync_cases() -> Vec<(&'static str, Vec<Compiled>, bool, bool)> {
        let active = |k: Kind, m: bool| with_manual(compiled(k, "* * * * *", "1h", ""), m);
        let inactive = |k: Kind, m: bool| with_manual(compiled(k, "0 22 * * *", "1h", ""), m);
        use Kind::{Allow as A, Deny as D};
        vec![
            (
                "manual, inactive deny (manual)",
                vec![inactive(D, true)],
                true,
                true,
            ),
            (
                "manual, inactive deny",
                vec![inactive(D, false)],
                true,
                true,
            ),
            (
                "manual, inactive allows, one without manual",
                vec![inactive(A, true), inactive(A, false)],
                true,
                false,
            ),
            (
                "manual, active allow (manual)",
                vec![active(A, true)],
                true,
                true,
            ),
            ("manual, active allow", vec![active(A, false)], true, true),
            ("auto, active allow", vec![active(A, false)], false, true),
            (
                "manual, active allow and inactive deny",
                vec![active(A, false), inactive(D, false)],
                true,
                true,
            ),
            (
                "auto, active allow and inactive deny",
                vec![active(A, false), inactive(D, false)],
                false,
                true,
            ),
            (
                "manual, inactive allow",
                vec![inactive(A, false)],
                true,
                false,
            ),
            (
                "auto, inactive allow",
                vec![inactive(A, false)],
                false,
                false,
            ),
            (
                "manual, inactive allow (manual)",
                vec![inactive(A, true)],
                true,
                true,
            ),
            (
                "auto, inactive allow (manual)",
                vec![inactive(A, true)],
                false,
                false,
            ),
            (
                "manual, inactive allow and inactive deny",
                vec![inactive(A, false), inactive(D, false)],
                true,
                false,
            ),
            (
                "auto, inactive allow and inactive deny",
                vec![inactive(A, false), inactive(D, false)],
                false,
                false,
            ),
            (
                "auto, active allow and inactive allow",
                vec![active(A, false), inactive(A, false)],
                false,
                true,
            ),
            ("manual, active deny", vec![active(D, false)], true, false),
            ("auto, active deny", vec![active(D, false)], false, false),
            (
                "manual, active deny (manual)",
                vec![active(D, true)],
                true,
                true,
            ),
            (
                "auto, active deny (manual)",
                vec![active(D, true)],
                false,
                false,
            ),
            (
                "manual, active denies, one without manual",
                vec![
                    active(D, true),
                    active(D, true),
                    active(D, true),
                    active(D, false),
                ],
                true,
                false,
            ),
            (
                "auto, active denies, one without manual",
                vec![
                    active(D, true),
                    active(D, true),
                    active(D, true),
                    active(D, false),
                ],
                false,
                false,
            ),
            (
                "manual, active deny and active allow",
                vec![active(A, false), active(D, false)],
                true,
                false,
            ),
            (
                "manual, active deny (manual) and active allow",
                vec![active(A, false), active(D, true)],
                true,
                true,
            ),
            (
                "auto, active deny (manual) and active allow",
                vec![active(A, false), active(D, true)],
                false,
                false,
            ),
            ("no windows (HasWindows false)", vec![], false, true),
        ]
    }

    /// types_test.go, TestSyncWindows_CanSync, with its projectBuilder:
    /// an active window is `* * * * *` for 1h, an inactive one starts ten
    /// hours from "now" (here 12:00 UTC, so `0 22 * * *`), 1h.
    #[test]
    fn argocd_sync_windows_can_sync() {
        let now = utc(2024, 7, 15, 12, 0, 0);
        use Kind::Allow as A;
        let cases = can_sync_cases();
        for (name, ws, manual, want) in &cases {
            let refs: Vec<&Compiled> = ws.iter().collect();
            assert_eq!(can_sync(&refs, now, *manual), *want, "{name}");
        }
        // "will deny and return error with invalid windows" and the
        // invalid inactive-allow cases: refused before evaluation.
        let bad = compile(&window(A, "invalid-cron-schedule", "1h", "")).unwrap_err();
        assert!(bad.message.contains("cannot parse schedule"));
        let bad = compile(&window(A, "0 22 * * *", "invalid-duration", "")).unwrap_err();
        assert!(bad.message.contains("cannot parse duration"));
    }

    /// types.go, CanSync: the deny branch comes first, so a manual sync is
    /// let through by an open deny window with manualSync even while the
    /// allow windows, all closed and without manualSync, would refuse it.
    #[test]
    fn argocd_open_manual_deny_lets_manual_sync_past_closed_allows() {
        let now = utc(2024, 7, 15, 12, 0, 0);
        let closed_allow = allow("0 22 * * *", "1h");
        let open_deny = with_manual(deny("* * * * *", "1h"), true);
        assert!(can_sync(&[&closed_allow, &open_deny], now, true));
        assert!(!can_sync(&[&closed_allow], now, true));
        assert!(!can_sync(&[&closed_allow, &open_deny], now, false));
    }

    /// types_test.go, TestSyncWindows_hasDeny: manual is enabled only if
    /// every open deny window has manualSync.
    #[test]
    fn argocd_has_deny_manual_enabled() {
        let now = utc(2024, 7, 15, 12, 0, 0);
        let a = allow("* * * * *", "1h");
        let d_manual = with_manual(deny("* * * * *", "1h"), true);
        let d = deny("* * * * *", "1h");
        assert!(can_sync(&[&a, &d_manual], now, true), "TrueManualEnabled");
        assert!(!can_sync(&[&a, &d], now, true), "True (manual disabled)");
        assert!(!can_sync(&[&d_manual, &d], now, true));
        assert!(!can_sync(&[&d, &d_manual], now, true));
        assert!(can_sync(&[&a], now, false), "False (no deny)");
    }

    /// types_test.go, TestSyncWindow_Validate, TestAppProjectSpec_AddWindow
    /// (BadSchedule, BadDuration, Working*) and
    /// TestAppProject_ValidateSyncWindowList (HasRequiredFields).
    #[test]
    fn argocd_validate() {
        assert!(compile(&window(Kind::Allow, "* * * * *", "1h", "")).is_ok());
        let kind = "wrong".parse::<Kind>().unwrap_err();
        assert_eq!(kind.field, "kind");
        assert_eq!(
            kind.message,
            "kind 'wrong' mismatch: can only be allow or deny"
        );
        assert_eq!("Allow".parse::<Kind>().unwrap_err().field, "kind");
        assert_eq!("deny".parse::<Kind>().unwrap(), Kind::Deny);
        let bad = compile(&window(Kind::Allow, "* * *", "1h", "")).unwrap_err();
        assert_eq!(
            (bad.field, bad.message.as_str()),
            (
                "schedule",
                "cannot parse schedule '* * *': expected exactly 5 fields, found 3: [* * *]"
            )
        );
        let bad = compile(&window(Kind::Allow, "* * * * *", "1000days", "")).unwrap_err();
        assert_eq!(bad.field, "duration");
        assert_eq!(
            bad.message,
            "cannot parse duration '1000days': time: unknown unit \"days\" in duration \"1000days\""
        );
        let bad = compile(&window(Kind::Deny, "* * * * *", "33mm", "")).unwrap_err();
        assert_eq!(bad.field, "duration");
        assert!(compile(&window(Kind::Allow, "1 * * * *", "1h", "")).is_ok());
        let w = Window {
            applications: vec![],
            namespaces: vec![],
            clusters: vec!["cluster".to_string()],
            ..window(Kind::Deny, "3 * * * *", "1h", "")
        };
        assert!(compile(&w).is_ok(), "WorkingNamespace (a cluster only)");
        let w = Window {
            applications: vec![],
            namespaces: vec![],
            clusters: vec![],
            ..window(Kind::Allow, "* * * * *", "1h", "")
        };
        let bad = compile(&w).unwrap_err();
        assert_eq!(bad.field, "applications");
        assert_eq!(
            bad.message,
            "window 'allow':'* * * * *':'1h' requires one of application, cluster or namespace"
        );
    }

    /// types.go, Validate and scheduleOffsetByTimeZone: an unknown time
    /// zone is not refused; Argo CD warns and uses UTC. Go's
    /// LoadLocation reads the tz database files, whose names are case
    /// sensitive.
    #[test]
    fn argocd_unknown_time_zone_is_utc_with_a_warning() {
        for tz in [
            "Mars/Olympus",
            "europe/berlin",
            "../etc/passwd",
            "Etc/Unknown",
        ] {
            let w = compiled(Kind::Allow, "0 10 * * *", "1h", tz);
            let warning = w.warning().expect(tz);
            assert_eq!(warning.field, "timeZone");
            assert_eq!(
                warning.message,
                format!("Invalid time zone {tz} specified. Using UTC as default time zone")
            );
            assert!(w.active_at(utc(2024, 7, 15, 10, 30, 0)), "{tz}");
        }
        for tz in [
            "",
            "UTC",
            "Local",
            "Europe/Berlin",
            "US/Eastern",
            "Etc/GMT+5",
        ] {
            assert!(
                compiled(Kind::Allow, "0 10 * * *", "1h", tz)
                    .warning()
                    .is_none(),
                "{tz}"
            );
        }
    }

    /// Argo CD builds its parser without cron.Descriptor (Validate and
    /// active alike), so robfig's descriptors are refused.
    #[test]
    fn argocd_refuses_descriptors() {
        for spec in ["@daily", "@hourly", "@every 1h", "TZ=UTC @midnight"] {
            let bad = compile(&window(Kind::Allow, spec, "1h", "")).unwrap_err();
            assert_eq!(bad.field, "schedule");
            assert!(
                bad.message
                    .contains("parser does not accept descriptors: @"),
                "{}",
                bad.message
            );
        }
    }

    // --- Time zones and DST --------------------------------------------

    /// Argo CD (types.go, active) shifts the current time by the zone's
    /// offset at that moment and reads the cron on that wall clock, with
    /// the duration in wall-clock time. Europe/Berlin, 31 March 2024: at
    /// 01:00 UTC the clock jumps from 02:00 to 03:00.
    #[test]
    fn dst_spring_forward_berlin() {
        let tz = "Europe/Berlin";
        // 0 1 * * * for 3h: opens 01:00:01 CET (00:00:01Z); the clock
        // shows 04:00 at 02:00Z, after two real hours, and it closes.
        let w = compiled(Kind::Deny, "0 1 * * *", "3h", tz);
        assert!(!w.active_at(at("2024-03-31T00:00:00Z")));
        assert!(w.active_at(at("2024-03-31T00:00:01Z")));
        assert!(w.active_at(at("2024-03-31T01:59:59Z")));
        assert!(!w.active_at(at("2024-03-31T02:00:00Z")));
        assert_eq!(
            next_open(&[&w], at("2024-03-31T00:30:00Z"), false, 86_400),
            Some(at("2024-03-31T02:00:00Z"))
        );
        // The day before, three real hours.
        assert!(w.active_at(at("2024-03-30T02:59:59Z")));
        assert!(!w.active_at(at("2024-03-30T03:00:00Z")));
        // 30 2 * * * for 1h: 02:30 never shows, yet at 03:00 CEST the
        // wall clock is past it and within the hour: open until 03:30.
        let w = compiled(Kind::Allow, "30 2 * * *", "1h", tz);
        assert!(!w.active_at(at("2024-03-31T00:59:59Z")));
        assert!(w.active_at(at("2024-03-31T01:00:00Z")));
        assert!(w.active_at(at("2024-03-31T01:29:59Z")));
        assert!(!w.active_at(at("2024-03-31T01:30:00Z")));
        assert_eq!(
            next_open(&[&w], at("2024-03-30T23:00:00Z"), false, 86_400),
            Some(at("2024-03-31T01:00:00Z"))
        );
        // 0 2 * * * for 1h never opens that night.
        let w = compiled(Kind::Allow, "0 2 * * *", "1h", tz);
        assert_eq!(
            next_open(&[&w], at("2024-03-30T23:00:00Z"), false, 3 * 86_400),
            Some(at("2024-04-01T00:00:01Z"))
        );
    }

    /// Europe/Berlin, 27 October 2024: at 01:00 UTC the clock goes back
    /// from 03:00 to 02:00, so a 02:00 window opens twice, and is closed
    /// for the single second at which the clock reads 02:00:00 again.
    #[test]
    fn dst_fall_back_berlin() {
        let w = compiled(Kind::Deny, "0 2 * * *", "1h", "Europe/Berlin");
        assert!(w.active_at(at("2024-10-27T00:00:01Z")));
        assert!(w.active_at(at("2024-10-27T00:59:59Z")));
        assert!(!w.active_at(at("2024-10-27T01:00:00Z")));
        assert!(w.active_at(at("2024-10-27T01:00:01Z")));
        assert!(w.active_at(at("2024-10-27T01:59:59Z")));
        assert!(!w.active_at(at("2024-10-27T02:00:00Z")));
        assert_eq!(
            next_open(&[&w], at("2024-10-27T00:30:00Z"), false, 86_400),
            Some(at("2024-10-27T01:00:00Z"))
        );
        assert_eq!(
            next_open(&[&w], at("2024-10-27T01:00:01Z"), false, 86_400),
            Some(at("2024-10-27T02:00:00Z"))
        );
    }

    /// Australia/Sydney: DST starts 6 October 2024 (02:00 AEST -> 03:00
    /// AEDT, 16:00Z the day before) and ends 7 April 2024 (03:00 AEDT ->
    /// 02:00 AEST, 16:00Z the day before). Same wall-clock reading.
    #[test]
    fn dst_sydney() {
        let tz = "Australia/Sydney";
        let w = compiled(Kind::Allow, "30 2 * * *", "1h", tz);
        assert!(!w.active_at(at("2024-10-05T15:59:59Z")));
        assert!(w.active_at(at("2024-10-05T16:00:00Z")));
        assert!(w.active_at(at("2024-10-05T16:29:59Z")));
        assert!(!w.active_at(at("2024-10-05T16:30:00Z")));
        let w = compiled(Kind::Allow, "0 2 * * *", "1h", tz);
        assert!(w.active_at(at("2024-04-06T15:00:01Z")));
        assert!(w.active_at(at("2024-04-06T15:59:59Z")));
        assert!(!w.active_at(at("2024-04-06T16:00:00Z")));
        assert!(w.active_at(at("2024-04-06T16:00:01Z")));
        assert!(!w.active_at(at("2024-04-06T17:00:00Z")));
        // On an ordinary day: 02:00 AEST is 16:00Z.
        assert!(w.active_at(at("2024-07-14T16:30:00Z")));
        assert!(!w.active_at(at("2024-07-14T15:30:00Z")));
    }

    /// A schedule's own `TZ=` prefix (robfig parser.go) is kept by Argo CD:
    /// robfig then searches in that zone, so the starts are real instants
    /// and the duration is elapsed time; with `timeZone` set as well, both
    /// shifts apply.
    #[test]
    fn tz_prefix_in_schedule() {
        let w = compiled(Kind::Deny, "TZ=Europe/Berlin 0 1 * * *", "3h", "");
        assert!(!w.active_at(at("2024-03-31T00:00:00Z")));
        assert!(w.active_at(at("2024-03-31T02:30:00Z")));
        assert!(!w.active_at(at("2024-03-31T03:00:00Z")));
        assert!(
            w.active_at(at("2024-07-15T01:59:59Z")),
            "01:00 CEST is 23:00Z"
        );
        assert!(!w.active_at(at("2024-07-15T02:00:00Z")));
        let both = compiled(
            Kind::Deny,
            "CRON_TZ=Europe/Berlin 0 1 * * *",
            "3h",
            "Europe/Berlin",
        );
        assert!(
            both.active_at(at("2024-01-14T23:30:00Z")),
            "opens at 00:00 local"
        );
        assert!(!both.active_at(at("2024-01-15T02:00:00Z")));
        // robfig slices spec[eq+1:i] with i = -1 when there is no space,
        // and panics; Argo CD's parse does the same.
        let bad = compile(&window(Kind::Allow, "TZ=UTC", "1h", "")).unwrap_err();
        assert!(
            bad.message.contains("slice bounds out of range"),
            "{}",
            bad.message
        );
        let bad = compile(&window(Kind::Allow, "TZ=Nowhere/City 0 1 * * *", "1h", "")).unwrap_err();
        assert_eq!(
            bad.message,
            "cannot parse schedule 'TZ=Nowhere/City 0 1 * * *': provided bad location \
             Nowhere/City: unknown time zone Nowhere/City"
        );
    }

    /// Go's time.Date (src/time/time.go): the zone offset is looked up at
    /// the local time read as UTC, then again at the result if that falls
    /// in another zone period. A local time in the spring gap comes out an
    /// hour earlier (02:30 in New York on 11 March 2012 is 01:30 EST); in
    /// the autumn overlap it is the first one (EDT).
    #[test]
    fn go_time_date_in_gaps_and_overlaps() {
        let ny = Zone::Tz(TimeZone::get("America/New_York").unwrap());
        assert_eq!(
            ny.date(2012, 3, 11, 2, 30, 0),
            at("2012-03-11T01:30:00-05:00")
        );
        assert_eq!(
            ny.date(2012, 3, 11, 3, 30, 0),
            at("2012-03-11T03:30:00-04:00")
        );
        assert_eq!(
            ny.date(2012, 11, 4, 1, 30, 0),
            at("2012-11-04T01:30:00-04:00")
        );
        assert_eq!(
            ny.date(2012, 13, 1, 0, 0, 0),
            at("2013-01-01T00:00:00-05:00")
        );
        assert_eq!(
            ny.date(2012, 2, 30, 0, 0, 0),
            at("2012-03-01T00:00:00-05:00")
        );
        let sao_paulo = Zone::Tz(TimeZone::get("America/Sao_Paulo").unwrap());
        assert_eq!(
            sao_paulo.date(2018, 11, 4, 0, 0, 0),
            at("2018-11-03T23:00:00-03:00")
        );
    }

    // --- robfig/cron v3: parser_test.go and spec_test.go ---------------

    /// robfig/cron parser_test.go, TestRange.
    #[test]
    fn robfig_range() {
        let b = |min, max| Bounds {
            min,
            max,
            names: &[],
        };
        let ok: &[(&str, u64, u64, u64)] = &[
            ("5", 0, 7, 1 << 5),
            ("0", 0, 7, 1 << 0),
            ("7", 0, 7, 1 << 7),
            ("5-5", 0, 7, 1 << 5),
            ("5-6", 0, 7, 1 << 5 | 1 << 6),
            ("5-7", 0, 7, 1 << 5 | 1 << 6 | 1 << 7),
            ("5-6/2", 0, 7, 1 << 5),
            ("5-7/2", 0, 7, 1 << 5 | 1 << 7),
            ("5-7/1", 0, 7, 1 << 5 | 1 << 6 | 1 << 7),
            ("*", 1, 3, 1 << 1 | 1 << 2 | 1 << 3 | STAR),
            ("*/2", 1, 3, 1 << 1 | 1 << 3),
        ];
        for (expr, min, max, want) in ok {
            assert_eq!(get_range(expr, b(*min, *max)), Ok(*want), "{expr}");
        }
        let bad: &[(&str, u64, u64, &str)] = &[
            ("5--5", 0, 0, "too many hyphens"),
            ("jan-x", 0, 0, "failed to parse int from"),
            ("2-x", 1, 5, "failed to parse int from"),
            ("*/-12", 0, 0, "negative number"),
            ("*//2", 0, 0, "too many slashes"),
            ("1", 3, 5, "below minimum"),
            ("6", 3, 5, "above maximum"),
            ("5-3", 3, 5, "beyond end of range"),
            ("*/0", 0, 0, "should be a positive number"),
        ];
        for (expr, min, max, want) in bad {
            let err = get_range(expr, b(*min, *max)).unwrap_err();
            assert!(err.contains(want), "{expr}: {err}");
        }
        assert_eq!(
            get_range("2-x", b(1, 5)).unwrap_err(),
            "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax"
        );
    }

    /// robfig/cron parser_test.go, TestField and TestAll (with the names
    /// of spec.go, read case-insensitively).
    #[test]
    fn robfig_field_and_all() {
        let b = Bounds {
            min: 1,
            max: 7,
            names: &[],
        };
        assert_eq!(get_field("5", b), Ok(1 << 5));
        assert_eq!(get_field("5,6", b), Ok(1 << 5 | 1 << 6));
        assert_eq!(get_field("5,6,7", b), Ok(1 << 5 | 1 << 6 | 1 << 7));
        assert_eq!(
            get_field("1,5-7/2,3", b),
            Ok(1 << 1 | 1 << 5 | 1 << 7 | 1 << 3)
        );
        assert_eq!(get_field("*", MINUTES), Ok(0x0fff_ffff_ffff_ffff | STAR));
        assert_eq!(get_field("*", HOURS), Ok(0xff_ffff | STAR));
        assert_eq!(get_field("*", DOM), Ok(0xffff_fffe | STAR));
        assert_eq!(get_field("*", MONTHS), Ok(0x1ffe | STAR));
        assert_eq!(get_field("*", DOW), Ok(0x7f | STAR));
        assert_eq!(get_field("Jan,FEB,mar", MONTHS), Ok(0b1110));
        assert_eq!(get_field("MON-fri", DOW), Ok(0b11_1110));
        assert_eq!(get_field("sun/2", DOW), Ok(1 | 1 << 2 | 1 << 4 | 1 << 6));
        // strings.FieldsFunc drops empty items; "*/1" keeps the star.
        assert_eq!(get_field("1,,2,", MINUTES), Ok(0b110));
        assert_eq!(get_field("*/1", DOW), Ok(0x7f | STAR));
        assert!(get_field("mon", MINUTES).is_err());
    }

    /// robfig/cron spec_test.go, TestErrors and TestSlash0NoHang, and
    /// parser_test.go, TestParseScheduleErrors (five fields here).
    #[test]
    fn robfig_parse_errors() {
        for spec in [
            "xyz",
            "60 0 * * *",
            "0 24 * * *",
            "0 0 * * XYZ",
            "TZ=America/New_York 15/0 * * * *",
        ] {
            assert!(parse_schedule(spec).is_err(), "{spec}");
        }
        let err = |spec: &str| parse_schedule(spec).unwrap_err();
        assert!(err("* 5 j * *").contains("failed to parse int from"));
        assert_eq!(
            err("* * * *"),
            "expected exactly 5 fields, found 4: [* * * *]"
        );
        assert_eq!(
            err("0 5 * * * *"),
            "expected exactly 5 fields, found 6: [0 5 * * * *]"
        );
        assert_eq!(err(""), "empty spec string");
        assert_eq!(
            err("@every Xm"),
            "parser does not accept descriptors: @every Xm"
        );
        assert_eq!(err("* * * * 7"), "end of range (7) above maximum (6): 7");
        assert_eq!(
            err("0 0 0 * *"),
            "beginning of range (0) below minimum (1): 0"
        );
        assert!(
            parse_schedule("1-+5 * * * *").is_ok(),
            "Go's Atoi takes a plus sign"
        );
    }

    /// robfig/cron spec_test.go, TestActivation (five-field cases; its
    /// predefined schedules are descriptors, refused by Argo CD).
    #[test]
    fn robfig_activation() {
        let cases: &[(i64, i64, i64, i64, &str, bool)] = &[
            (9, 15, 0, 0, "0/15 * * * *", true),
            (9, 15, 45, 0, "0/15 * * * *", true),
            (9, 15, 40, 0, "0/15 * * * *", false),
            (9, 15, 5, 0, "5/15 * * * *", true),
            (9, 15, 20, 0, "5/15 * * * *", true),
            (9, 15, 50, 0, "5/15 * * * *", true),
            (15, 15, 0, 0, "0/15 * * Jul *", true),
            (15, 15, 0, 0, "0/15 * * Jun *", false),
            (15, 8, 30, 0, "30 08 ? Jul Sun", true),
            (15, 8, 30, 0, "30 08 15 Jul ?", true),
            (16, 8, 30, 0, "30 08 ? Jul Sun", false),
            (16, 8, 30, 0, "30 08 15 Jul ?", false),
            // Both restricted: either day field may match.
            (15, 0, 0, 0, "* * 1,15 * Sun", true),
            (-15, 0, 0, 6, "* * 1,15 * Sun", true), // Fri Jun 15
            (-1, 0, 0, 8, "* * 1,15 * Sun", true),  // Wed Aug 1
            (15, 0, 0, 0, "* * */10 * Sun", true),
            // One has a star: both must match.
            (15, 0, 0, 0, "* * * * Mon", false),
            (9, 0, 0, 0, "* * 1,15 * *", false),
            (15, 0, 0, 0, "* * 1,15 * *", true),
            (15, 0, 0, 0, "* * */2 * Sun", true),
        ];
        for &(day, h, m, month, spec, want) in cases {
            // Days in July 2012 unless negated with a month given.
            let t = if day < 0 {
                utc(2012, month, -day, h, m, 0)
            } else {
                utc(2012, 7, day, h, m, 0)
            };
            assert_eq!(sched(spec).next(t - 1) == Some(t), want, "{spec} at {t}");
        }
    }

    /// (from, schedule, the next activation): robfig's TestNext cases.
    const ROBFIG_NEXT: &[(&str, &str, &str)] = &[
        (
            "2012-07-09T14:45:00Z",
            "0/15 * * * *",
            "2012-07-09T15:00:00Z",
        ),
        (
            "2012-07-09T14:59:00Z",
            "0/15 * * * *",
            "2012-07-09T15:00:00Z",
        ),
        (
            "2012-07-09T14:59:59Z",
            "0/15 * * * *",
            "2012-07-09T15:00:00Z",
        ),
        (
            "2012-07-09T15:45:00Z",
            "20-35/15 * * * *",
            "2012-07-09T16:20:00Z",
        ),
        (
            "2012-07-09T23:46:00Z",
            "*/15 * * * *",
            "2012-07-10T00:00:00Z",
        ),
        (
            "2012-07-09T23:45:00Z",
            "20-35/15 * * * *",
            "2012-07-10T00:20:00Z",
        ),
        (
            "2012-07-09T23:35:00Z",
            "0 0 9 Apr-Oct ?",
            "2012-08-09T00:00:00Z",
        ),
        (
            "2012-07-09T23:35:00Z",
            "0 0 */5 Apr,Aug,Oct Mon",
            "2012-08-01T00:00:00Z",
        ),
        (
            "2012-07-09T23:35:00Z",
            "0 0 */5 Oct Mon",
            "2012-10-01T00:00:00Z",
        ),
        (
            "2012-07-09T23:35:00Z",
            "0 0 * Feb Mon",
            "2013-02-04T00:00:00Z",
        ),
        (
            "2012-07-09T23:35:00Z",
            "0 0 * Feb Mon/2",
            "2013-02-01T00:00:00Z",
        ),
        ("2012-12-31T23:59:45Z", "* * * * *", "2013-01-01T00:00:00Z"),
        (
            "2012-07-09T23:35:00Z",
            "0 0 29 Feb ?",
            "2016-02-29T00:00:00Z",
        ),
        // Daylight saving time 2am EST (-5) -> 3am EDT (-4).
        (
            "2012-03-11T00:00:00-05:00",
            "TZ=America/New_York 30 2 11 Mar ?",
            "2013-03-11T02:30:00-04:00",
        ),
        (
            "2012-03-11T00:00:00-05:00",
            "TZ=America/New_York 0 * * * ?",
            "2012-03-11T01:00:00-05:00",
        ),
        (
            "2012-03-11T01:00:00-05:00",
            "TZ=America/New_York 0 * * * ?",
            "2012-03-11T03:00:00-04:00",
        ),
        (
            "2012-03-11T03:00:00-04:00",
            "TZ=America/New_York 0 * * * ?",
            "2012-03-11T04:00:00-04:00",
        ),
        (
            "2012-03-11T04:00:00-04:00",
            "TZ=America/New_York 0 * * * ?",
            "2012-03-11T05:00:00-04:00",
        ),
        (
            "2012-03-11T00:00:00-05:00",
            "CRON_TZ=America/New_York 0 * * * ?",
            "2012-03-11T01:00:00-05:00",
        ),
        (
            "2012-03-11T01:00:00-05:00",
            "CRON_TZ=America/New_York 0 * * * ?",
            "2012-03-11T03:00:00-04:00",
        ),
        (
            "2012-03-11T00:00:00-05:00",
            "TZ=America/New_York 0 1 * * ?",
            "2012-03-11T01:00:00-05:00",
        ),
        (
            "2012-03-11T01:00:00-05:00",
            "TZ=America/New_York 0 1 * * ?",
            "2012-03-12T01:00:00-04:00",
        ),
        (
            "2012-03-11T00:00:00-05:00",
            "TZ=America/New_York 0 2 * * ?",
            "2012-03-12T02:00:00-04:00",
        ),
        // Daylight saving time 2am EDT (-4) -> 1am EST (-5).
        (
            "2012-11-04T00:00:00-04:00",
            "TZ=America/New_York 30 2 04 Nov ?",
            "2012-11-04T02:30:00-05:00",
        ),
        (
            "2012-11-04T01:45:00-04:00",
            "TZ=America/New_York 30 1 04 Nov ?",
            "2012-11-04T01:30:00-05:00",
        ),
        (
            "2012-11-04T00:00:00-04:00",
            "TZ=America/New_York 0 * * * ?",
            "2012-11-04T01:00:00-04:00",
        ),
        (
            "2012-11-04T01:00:00-04:00",
            "TZ=America/New_York 0 * * * ?",
            "2012-11-04T01:00:00-05:00",
        ),
        (
            "2012-11-04T01:00:00-05:00",
            "TZ=America/New_York 0 * * * ?",
            "2012-11-04T02:00:00-05:00",
        ),
        (
            "2012-11-04T00:00:00-04:00",
            "TZ=America/New_York 0 1 * * ?",
            "2012-11-04T01:00:00-04:00",
        ),
        (
            "2012-11-04T01:00:00-04:00",
            "TZ=America/New_York 0 1 * * ?",
            "2012-11-04T01:00:00-05:00",
        ),
        (
            "2012-11-04T01:00:00-05:00",
            "TZ=America/New_York 0 1 * * ?",
            "2012-11-05T01:00:00-05:00",
        ),
        (
            "2012-11-04T00:00:00-04:00",
            "TZ=America/New_York 0 2 * * ?",
            "2012-11-04T02:00:00-05:00",
        ),
        (
            "2012-11-04T02:00:00-05:00",
            "TZ=America/New_York 0 2 * * ?",
            "2012-11-05T02:00:00-05:00",
        ),
        (
            "2012-11-04T00:00:00-04:00",
            "TZ=America/New_York 0 3 * * ?",
            "2012-11-04T03:00:00-05:00",
        ),
        (
            "2012-11-04T03:00:00-05:00",
            "TZ=America/New_York 0 3 * * ?",
            "2012-11-05T03:00:00-05:00",
        ),
        (
            "2012-11-04T00:00:00-04:00",
            "TZ=America/New_York 0 3 3 * ?",
            "2012-12-03T03:00:00-05:00",
        ),
        // Midnight does not exist on DST day in Sao Paulo (robfig #157).
        (
            "2018-10-17T05:00:00-04:00",
            "TZ=America/Sao_Paulo 0 9 10 * ?",
            "2018-11-10T06:00:00-05:00",
        ),
        (
            "2018-02-14T05:00:00-05:00",
            "TZ=America/Sao_Paulo 0 9 22 * ?",
            "2018-02-22T07:00:00-05:00",
        ),
    ];

    /// robfig/cron spec_test.go, TestNext: the cases whose seconds field is
    /// 0, written with five fields (a plain schedule runs in UTC, the zone
    /// of the time Argo CD passes).
    #[test]
    fn robfig_next() {
        let cases = ROBFIG_NEXT;
        for (from, spec, want) in cases {
            assert_eq!(
                sched(spec).next(at(from)),
                Some(at(want)),
                "{spec} after {from}"
            );
        }
        // Unsatisfiable: robfig returns the zero time.
        assert_eq!(sched("0 0 30 Feb ?").next(at("2012-07-09T23:35:00Z")), None);
        assert_eq!(sched("0 0 31 Apr ?").next(at("2012-07-09T23:35:00Z")), None);
    }

    /// robfig's Next gives up after five years and returns the zero time,
    /// which Argo CD's `active` reads as "before now": a window that can
    /// never start is open for ever, and a 29 February window is open from
    /// 2096 (no 29 February in 2100) until 2099.
    #[test]
    fn robfig_zero_time_holds_a_window_open() {
        let never = deny("0 0 30 2 *", "1h");
        assert_eq!(never.schedule.class, Class::Never);
        assert!(never.never_fires());
        assert!(!deny("0 0 29 2 *", "1h").never_fires());
        let t = utc(2024, 7, 15, 12, 0, 0);
        assert!(never.active_at(t));
        assert_eq!(next_open(&[&never], t, false, 366 * 86_400), None);
        assert!(can_sync(&[&allow("0 0 31 4 *", "1s")], t, false));
        let leap = deny("0 0 29 2 *", "1h");
        assert_eq!(leap.schedule.class, Class::Sparse);
        assert!(!leap.active_at(t));
        assert!(leap.active_at(utc(2028, 2, 29, 0, 30, 0)));
        assert!(leap.active_at(utc(2097, 6, 1, 0, 0, 0)));
        assert!(!leap.active_at(utc(2099, 6, 1, 0, 0, 0)));
        // next_open walks across that span: blocked from 2096-02-29 until
        // `now - 1h` reaches 1 January 2099 (when 2099 + 5 reaches 2104),
        // less a second (robfig searches from the next second).
        assert_eq!(
            next_open(
                &[&leap],
                utc(2096, 2, 29, 0, 30, 0),
                false,
                4 * 366 * 86_400
            ),
            Some(utc(2099, 1, 1, 0, 59, 59))
        );
    }

    // --- Go's time.ParseDuration (src/time/time_test.go) ---------------

    /// Go src/time/time_test.go, parseDurationTests.
    #[test]
    fn go_parse_duration() {
        const S: i64 = 1_000_000_000;
        const M: i64 = 60 * S;
        const H: i64 = 60 * M;
        let ok: &[(&str, i64)] = &[
            ("0", 0),
            ("5s", 5 * S),
            ("30s", 30 * S),
            ("1478s", 1478 * S),
            ("-5s", -5 * S),
            ("+5s", 5 * S),
            ("-0", 0),
            ("+0", 0),
            ("5.0s", 5 * S),
            ("5.6s", 5 * S + 600_000_000),
            ("5.s", 5 * S),
            (".5s", 500_000_000),
            ("1.0s", S),
            ("1.00s", S),
            ("1.004s", S + 4_000_000),
            ("1.0040s", S + 4_000_000),
            ("100.00100s", 100 * S + 1_000_000),
            ("10ns", 10),
            ("11us", 11_000),
            ("12\u{00b5}s", 12_000),
            ("12\u{03bc}s", 12_000),
            ("13ms", 13_000_000),
            ("14s", 14 * S),
            ("15m", 15 * M),
            ("16h", 16 * H),
            ("3h30m", 3 * H + 30 * M),
            ("10.5s4m", 4 * M + 10 * S + 500_000_000),
            ("-2m3.4s", -(2 * M + 3 * S + 400_000_000)),
            ("1h2m3s4ms5us6ns", H + 2 * M + 3 * S + 4_000_000 + 5_000 + 6),
            ("39h9m14.425s", 39 * H + 9 * M + 14 * S + 425_000_000),
            ("52763797000ns", 52_763_797_000),
            ("0.3333333333333333333h", 20 * M),
            ("9007199254740993ns", (1 << 53) + 1),
            ("9223372036854775807ns", i64::MAX),
            ("9223372036854775.807us", i64::MAX),
            ("9223372036s854ms775us807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
            ("-9223372036854775.808us", i64::MIN),
            ("-9223372036s854ms775us808ns", i64::MIN),
            ("-2562047h47m16.854775808s", i64::MIN),
            ("0.100000000000000000000h", 6 * M),
            ("0.830103483285477580700h", 49 * M + 48 * S + 372_539_827),
        ];
        for (s, want) in ok {
            assert_eq!(parse_go_duration(s), Ok(*want), "{s}");
        }
        let bad: &[(&str, &str)] = &[
            ("", "time: invalid duration \"\""),
            ("3", "time: missing unit in duration \"3\""),
            ("-", "time: invalid duration \"-\""),
            ("s", "time: invalid duration \"s\""),
            (".", "time: invalid duration \".\""),
            ("-.", "time: invalid duration \"-.\""),
            (".s", "time: invalid duration \".s\""),
            ("+.s", "time: invalid duration \"+.s\""),
            ("1d", "time: unknown unit \"d\" in duration \"1d\""),
            ("1h ", "time: unknown unit \"h \" in duration \"1h \""),
            (
                "9223372036854775808ns",
                "time: invalid duration \"9223372036854775808ns\"",
            ),
            (
                "9223372036854775.808us",
                "time: invalid duration \"9223372036854775.808us\"",
            ),
            (
                "-9223372036854775809ns",
                "time: invalid duration \"-9223372036854775809ns\"",
            ),
            (
                "3\u{00e9}",
                "time: unknown unit \"\\xc3\\xa9\" in duration \"3\\xc3\\xa9\"",
            ),
        ];
        for (s, want) in bad {
            assert_eq!(parse_go_duration(s), Err(want.to_string()), "{s}");
        }
    }

    /// A fractional duration counts as the whole seconds above it; one
    /// second or less (or zero, or negative) never opens a window, and an
    /// allow window that never opens blocks for ever.
    #[test]
    fn duration_rounding() {
        let t = utc(2024, 7, 15, 10, 0, 0);
        let w = allow("0 10 * * *", "1.5s");
        assert!(!w.active_at(t));
        assert!(w.active_at(t + 1));
        assert!(!w.active_at(t + 2));
        for d in ["1s", "999ms", "0", "-1h"] {
            let w = allow("* * * * *", d);
            assert!(!w.active_at(t + 1), "{d}");
            assert_eq!(next_open(&[&w], t, false, 366 * 86_400), None, "{d}");
        }
    }

    // --- next_open -----------------------------------------------------

    #[test]
    fn next_open_simple_cases() {
        let t = utc(2024, 7, 15, 12, 0, 0);
        let year = 366 * 86_400;
        assert_eq!(next_open(&[], t, false, 0), Some(t));
        assert_eq!(next_open(&[], t, false, -1), None);
        let a = allow("0 22 * * *", "1h");
        assert_eq!(
            next_open(&[&a], t, false, year),
            Some(utc(2024, 7, 15, 22, 0, 1))
        );
        assert_eq!(
            next_open(&[&a], t, false, 10 * 3600 + 1),
            Some(utc(2024, 7, 15, 22, 0, 1))
        );
        assert_eq!(next_open(&[&a], t, false, 10 * 3600), None);
        assert_eq!(next_open(&[&with_manual(a, true)], t, true, 0), Some(t));
        // A deny that is always open: never, unless manual with manualSync.
        let d = deny("* * * * *", "1h");
        assert_eq!(next_open(&[&d], t, false, year), None);
        assert_eq!(next_open(&[&d], t, true, year), None);
        assert_eq!(next_open(&[&with_manual(d, true)], t, true, year), Some(t));
        // A yearly allow window, a year ahead.
        let y = allow("0 0 1 1 *", "1h");
        assert_eq!(
            next_open(&[&y], t, false, year),
            Some(utc(2025, 1, 1, 0, 0, 1))
        );
        // Deny inside allow: the deny's end, on the second.
        let a = allow("0 8 * * *", "10h");
        let d = deny("0 12 * * *", "1h");
        assert_eq!(
            next_open(&[&a, &d], utc(2024, 7, 15, 12, 30, 0), false, year),
            Some(utc(2024, 7, 15, 13, 0, 0))
        );
        // Deny covering every allow for a year: none.
        let a = allow("0 9 * * MON-FRI", "8h");
        let d = deny("0 0 * * *", "24h1s");
        assert_eq!(next_open(&[&a, &d], t, false, year), None);
    }

    /// The first second in `[from, from + horizon]` at which `ok` holds,
    /// with `ok` tabulated from `base`.
    fn first_in(ok: &[bool], base: i64, from: i64, horizon: i64) -> Option<i64> {
        let lo = (from - base) as usize;
        let hi = (from + horizon - base) as usize;
        (lo..=hi).find(|&i| ok[i]).map(|i| base + i as i64)
    }

    /// next_open against a second-by-second scan of can_sync, around DST
    /// changes, with `TZ=` schedules, sparse schedules and odd durations.
    #[test]
    fn next_open_agrees_with_a_scan() {
        let tzw = |k, s: &str, d: &str, tz: &str, m| with_manual(compiled(k, s, d, tz), m);
        let scenarios: Vec<(i64, Vec<Compiled>)> = vec![
            (
                utc(2024, 7, 15, 10, 0, 0),
                vec![
                    tzw(Kind::Allow, "*/7 * * * *", "3m", "", false),
                    tzw(Kind::Deny, "0-30/5 * * * *", "90s", "", false),
                    tzw(Kind::Allow, "15 * * * *", "20m", "", true),
                    tzw(Kind::Deny, "40 10,11 * * *", "30m", "", true),
                ],
            ),
            (
                at("2024-03-30T23:00:00Z"),
                vec![
                    tzw(Kind::Allow, "30 2 * * *", "1h", "Europe/Berlin", false),
                    tzw(Kind::Allow, "*/20 0-1 * * *", "10m", "Europe/Berlin", false),
                    tzw(Kind::Deny, "0 1 * * *", "3h", "Europe/Berlin", true),
                ],
            ),
            (
                at("2024-10-26T23:00:00Z"),
                vec![
                    tzw(Kind::Allow, "0 2 * * *", "1h", "Europe/Berlin", false),
                    tzw(Kind::Deny, "10,50 2 * * *", "5m", "Europe/Berlin", false),
                    tzw(Kind::Allow, "45 0-3 * * *", "10m", "Europe/Berlin", true),
                ],
            ),
            (
                at("2012-11-04T04:00:00Z"),
                vec![
                    tzw(
                        Kind::Allow,
                        "TZ=America/New_York 0 * * * *",
                        "10m",
                        "",
                        false,
                    ),
                    tzw(Kind::Deny, "TZ=America/New_York 5 1 * * *", "2m", "", false),
                    tzw(
                        Kind::Allow,
                        "CRON_TZ=America/New_York 30 1 * * *",
                        "20m",
                        "Europe/Berlin",
                        false,
                    ),
                ],
            ),
            (
                at("2012-03-11T05:00:00Z"),
                vec![
                    tzw(
                        Kind::Allow,
                        "TZ=America/New_York 0,30 * * * *",
                        "10m",
                        "",
                        false,
                    ),
                    tzw(
                        Kind::Deny,
                        "TZ=America/New_York 0 2-3 * * *",
                        "45m",
                        "",
                        true,
                    ),
                ],
            ),
            (
                utc(2028, 2, 28, 22, 0, 0),
                vec![
                    tzw(Kind::Allow, "*/10 * 29 2 *", "5m", "", false),
                    tzw(Kind::Deny, "0 0 29 2 *", "90.5s", "", false),
                    tzw(Kind::Allow, "0 0 * * *", "1s", "", false),
                ],
            ),
        ];
        let span = 4 * 3600;
        let horizon = 2 * 3600;
        for (base, ws) in &scenarios {
            let refs: Vec<&Compiled> = ws.iter().collect();
            let active: Vec<Vec<bool>> = (0..=span + horizon)
                .map(|i| ws.iter().map(|w| w.active_at(base + i)).collect())
                .collect();
            for manual in [false, true] {
                let ok: Vec<bool> = active.iter().map(|a| decide(&refs, a, manual)).collect();
                for from in (*base..base + span).step_by(61) {
                    assert_eq!(
                        next_open(&refs, from, manual, horizon),
                        first_in(&ok, *base, from, horizon),
                        "scenario at {base}, from {from}, manual {manual}"
                    );
                }
            }
        }
    }

    /// The fast search for the end of an open run (whole days at a time)
    /// agrees with the general event-by-event search, in UTC and in a
    /// `TZ=` zone across its DST changes.
    #[test]
    fn fast_close_agrees_with_stepping() {
        let specs = [
            "0 0-22 * * *",
            "*/10 * * * *",
            "*/15 9-17 * * MON-FRI",
            "0 0 1 * *",
            "0,30 * * * *",
            "59 23 * * *",
            "30 2 * * 6,0",
        ];
        let durations = ["2s", "61s", "30m", "90m", "25h", "50h"];
        let bases = [
            ("", utc(2024, 7, 15, 0, 0, 0)),
            ("TZ=Europe/Berlin ", at("2024-03-30T12:00:00Z")),
            ("TZ=Europe/Berlin ", at("2024-10-26T12:00:00Z")),
        ];
        for (prefix, base) in bases {
            for spec in specs {
                for d in durations {
                    let w = allow(&format!("{prefix}{spec}"), d);
                    assert_eq!(w.schedule.class, Class::Dense);
                    for k in 0..16 {
                        let w0 = base + k * 7919;
                        if !w.active_wall(w0) {
                            continue;
                        }
                        let wmax = w0 + 2 * 86_400;
                        assert_eq!(
                            w.close_dense(w0, wmax),
                            w.next_change_stepping(w0, wmax, false),
                            "{prefix}{spec} for {d} from {w0}"
                        );
                    }
                }
            }
        }
    }
}
