//! The deployment log: an append-only, chronological record in the deploy
//! branch of every compile that changed something.
//!
//! The log is JSON Lines (`deployments.jsonl` at the top of the rendered
//! tree), so people can read and grep it and programs can parse it a line at
//! a time. Each compile appends one `compile` line (time, inventory revision
//! and whether its worktree was dirty, the deploy commit it was built on,
//! counts) and then one `event` line per Application added, changed or
//! removed. A commit cannot name itself, so the entry's own deploy commit is
//! found through the `Fleetc-Log-Entry: N` trailer of its commit message.

use serde::{Deserialize, Serialize};

/// The log's file name, at the top of the rendered tree in the deploy branch.
pub const LOG_FILE: &str = "deployments.jsonl";

/// One line of the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Line {
    Compile(Entry),
    Event(Event),
}

/// The head of an entry: one per changing compile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub entry: u64,
    /// UTC, RFC 3339: the commit's committer time.
    pub time: String,
    /// The inventory's git commit (`unknown` outside git).
    pub inventory: String,
    /// Whether the inventory had uncommitted changes.
    pub dirty: bool,
    /// The deploy commit this entry's commit was built on (none for the first).
    pub parent: Option<String>,
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub recreated: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// What happened to one Application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub entry: u64,
    /// `added`, `changed`, `recreated` or `removed`.
    pub action: String,
    /// For `recreated`: the Application's name before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_application: Option<String>,
    pub cluster: String,
    pub app: String,
    /// The Application's name and file.
    pub application: String,
    pub path: String,
    /// The policies that place it (for `removed`: that placed it).
    pub policies: Vec<String>,
    /// For `changed`: what changed (values, revision, source, destination,
    /// sync, metadata); for `removed`: why it left.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub what: Vec<String>,
    /// sha256 of the rendered file (for `removed`: of the last one).
    pub sha256: String,
}

/// Parses a log. A line that is not a log line is an error naming it.
pub fn parse(text: &str) -> Result<Vec<Line>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("{LOG_FILE}:{}: {e}", i + 1)))
        .collect()
}

/// The number the next entry gets.
pub fn next_entry(lines: &[Line]) -> u64 {
    lines
        .iter()
        .map(|l| match l {
            Line::Compile(e) => e.entry,
            Line::Event(e) => e.entry,
        })
        .max()
        .map_or(1, |n| n + 1)
}

/// The old log with one entry appended.
pub fn append(old: &[u8], entry: &Entry, events: &[Event]) -> Vec<u8> {
    let mut out = old.to_vec();
    if !out.is_empty() && !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let mut push = |line: &Line| {
        out.extend_from_slice(serde_json::to_string(line).unwrap_or_default().as_bytes());
        out.push(b'\n');
    };
    push(&Line::Compile(entry.clone()));
    for e in events {
        push(&Line::Event(e.clone()));
    }
    out
}

/// Unix seconds → `2026-11-21T17:00:00Z`.
pub fn format_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// `2026-11-21`, `2026-11-21T17:00:00Z` or `2026-11-21 17:00:00` (UTC) → Unix seconds.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim().trim_end_matches('Z');
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut parts = date.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut secs = days_from_civil(y, m, d) * 86_400;
    if let Some(t) = time {
        let mut hms = t.split(':');
        let h: i64 = hms.next()?.parse().ok()?;
        let mi: i64 = hms.next().unwrap_or("0").parse().ok()?;
        let se: i64 = hms.next().unwrap_or("0").split('.').next()?.parse().ok()?;
        secs += h * 3600 + mi * 60 + se;
    }
    Some(secs)
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip() {
        for s in [0, 951_782_400, 1_700_000_000, 1_795_000_000, 4_102_444_800] {
            assert_eq!(parse_time(&format_time(s)), Some(s), "{}", format_time(s));
        }
        assert_eq!(format_time(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(parse_time("2026-11-21"), parse_time("2026-11-21T00:00:00Z"));
        assert_eq!(parse_time("2026-13-01"), None);
    }

    #[test]
    fn entries_append_and_parse_back() {
        let entry = Entry {
            entry: 1,
            time: format_time(0),
            inventory: "abc".into(),
            dirty: false,
            parent: None,
            added: 1,
            changed: 0,
            removed: 0,
            recreated: 0,
        };
        let event = Event {
            entry: 1,
            action: "added".into(),
            old_application: None,
            cluster: "c".into(),
            app: "a".into(),
            application: "a-c".into(),
            path: "clusters/c/apps/a.yaml".into(),
            policies: vec!["p".into()],
            what: vec![],
            sha256: "00".into(),
        };
        let log = append(b"", &entry, std::slice::from_ref(&event));
        let text = String::from_utf8(log.clone()).unwrap();
        assert_eq!(text.lines().count(), 2);
        let lines = parse(&text).unwrap();
        assert_eq!(
            lines,
            vec![Line::Compile(entry.clone()), Line::Event(event)]
        );
        assert_eq!(next_entry(&lines), 2);
        let again = append(&log, &Entry { entry: 2, ..entry }, &[]);
        assert!(again.starts_with(&log), "append-only");
        assert!(parse("not json\n")
            .unwrap_err()
            .contains("deployments.jsonl:1"));
    }
}
