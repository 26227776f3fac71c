//! Time stamps as the deployment log, git and Argo CD write them: Unix
//! seconds to and from RFC 3339 (`2026-11-21T17:00:00Z`), in integers, with
//! no time zone database.

/// Seconds since the Unix epoch, now (0 if the clock is before it).
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `--since`: `7d`, `12h`, `30m` before `now`, or a date or time.
pub(crate) fn parse_since(s: &str, now: i64) -> Option<i64> {
    let rel = |unit: i64, n: &str| n.parse::<i64>().ok().map(|n| now - n * unit);
    if let Some(n) = s.strip_suffix('d') {
        rel(86_400, n)
    } else if let Some(n) = s.strip_suffix('h') {
        rel(3_600, n)
    } else if let Some(n) = s.strip_suffix('m') {
        rel(60, n)
    } else {
        parse_time(s)
    }
}

/// Unix seconds → `2026-11-21T17:00:00Z`.
pub(crate) fn format_time(secs: i64) -> String {
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

/// `2026-11-21`, `2026-11-21T17:00:00Z`, `2026-11-21T17:00:00.5+10:00` or
/// `2026-11-21 17:00:00` (UTC) → Unix seconds.
pub(crate) fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim().trim_end_matches('Z');
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut parts = date.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if parts.next().is_some()
        || !(0..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&d)
    {
        return None;
    }
    let mut secs = days_from_civil(y, m, d) * 86_400;
    if let Some(t) = time {
        // An RFC 3339 offset (`+10:00`, `-05:30`): the time is UTC plus it.
        let (t, offset) = match t.rfind(['+', '-']) {
            Some(at) => {
                let (hh, mm) = t[at + 1..].split_once(':').unwrap_or((&t[at + 1..], "0"));
                let (hh, mm) = (hh.parse::<i64>().ok()?, mm.parse::<i64>().ok()?);
                if !(0..24).contains(&hh) || !(0..60).contains(&mm) {
                    return None;
                }
                let secs = hh * 3600 + mm * 60;
                (
                    &t[..at],
                    if t.as_bytes()[at] == b'+' {
                        secs
                    } else {
                        -secs
                    },
                )
            }
            None => (t, 0),
        };
        secs -= offset;
        let mut hms = t.split(':');
        let h: i64 = hms.next()?.parse().ok()?;
        let mi: i64 = hms.next().unwrap_or("0").parse().ok()?;
        let se: i64 = hms.next().unwrap_or("0").split('.').next()?.parse().ok()?;
        if !(0..24).contains(&h) || !(0..60).contains(&mi) || !(0..=60).contains(&se) {
            return None;
        }
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

/// A span of time: `90s`, `30m`, `2h`, `1d`, `1h30m`, or plain seconds
/// (`--max-age`, `rollout.gate.soak`).
pub(crate) fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    let mut total: i64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let n: i64 = rest[..digits].parse().ok()?;
        let unit = match rest[digits..].chars().next()? {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        rest = &rest[digits + 1..];
    }
    (!s.is_empty()).then_some(total)
}

/// `2d 3h`, `14m`, `40s`: an age for people.
pub(crate) fn age(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..=119 => format!("{s}s"),
        _ if s < 7_200 && s % 3600 != 0 => format!("{}m", s / 60),
        _ if s < 172_800 => format!("{}h", s / 3600),
        _ if s % 86_400 < 3600 => format!("{}d", s / 86_400),
        _ => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
    }
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
        assert_eq!(
            parse_time("2026-11-21T17:00:00.25+10:30"),
            parse_time("2026-11-21T06:30:00Z")
        );
        assert_eq!(
            parse_time("2026-11-21T17:00:00-05:00"),
            parse_time("2026-11-21T22:00:00Z")
        );
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time("999999999999999-01-01T00:00:00Z"), None);
        assert_eq!(parse_time("2026-11-30T99:00:00Z"), None);
        assert_eq!(parse_time("2026-11-30T10:00:00+25:00"), None);
    }
}
