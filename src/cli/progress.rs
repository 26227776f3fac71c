//! A progress line on stderr while a long command runs: what it is doing
//! and how far it is (`rendering 41,200/99,920 Applications`).
//!
//! Only when stderr is a terminal and `--quiet` was not given, and only
//! once a stage has run for half a second, so short runs, pipes, CI logs and
//! tests never see it; the line is erased when the stage ends. Stages count
//! with one relaxed atomic add per item, from any thread; a small thread
//! redraws the line five times a second. stdout is never touched.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::base::limits::Limits;
use crate::base::watch::Watch;

static ON: AtomicBool = AtomicBool::new(false);
/// How long a stage runs before its line shows, in ms: 500, or
/// `FLEETC_PROGRESS_AFTER_MS` (for tests, which must not depend on time).
static AFTER_MS: AtomicUsize = AtomicUsize::new(500);
static DONE: AtomicUsize = AtomicUsize::new(0);
/// The stage now running: what, of how many, since when.
static STAGE: Mutex<Option<(&'static str, usize, Instant)>> = Mutex::new(None);

/// Turns the progress line on when stderr is a terminal and `quiet` is
/// not set; starts the thread that draws it.
pub(crate) fn start(quiet: bool) {
    if quiet || !std::io::stderr().is_terminal() || ON.swap(true, Ordering::SeqCst) {
        return;
    }
    if let Some(ms) = std::env::var("FLEETC_PROGRESS_AFTER_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        AFTER_MS.store(ms, Ordering::Relaxed);
    }
    let _ = std::thread::Builder::new()
        .name("fleetc-progress".into())
        .spawn(draw);
}

/// A stage of `total` items begins (the last one, if any, is over).
pub(crate) fn stage(what: &'static str, total: usize) {
    if !ON.load(Ordering::Relaxed) {
        return;
    }
    DONE.store(0, Ordering::Relaxed);
    if let Ok(mut s) = STAGE.lock() {
        *s = Some((what, total, Instant::now()));
    }
}

/// One item of the stage is done.
pub(crate) fn tick() {
    if ON.load(Ordering::Relaxed) {
        DONE.fetch_add(1, Ordering::Relaxed);
    }
}

/// The stage is over: its line is erased.
pub(crate) fn end() {
    if !ON.load(Ordering::Relaxed) {
        return;
    }
    if let Ok(mut s) = STAGE.lock() {
        if s.take()
            .is_some_and(|(_, _, since)| since.elapsed() >= show_after())
        {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
        }
    }
}

fn show_after() -> Duration {
    Duration::from_millis(AFTER_MS.load(Ordering::Relaxed) as u64)
}

fn draw() {
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let Ok(stage) = STAGE.lock() else { return };
        if let Some((what, total, since)) = *stage {
            if since.elapsed() >= show_after() {
                let done = DONE.load(Ordering::Relaxed).min(total);
                let mut err = std::io::stderr().lock();
                let _ = if total == 0 {
                    // A stage that cannot count its items.
                    write!(err, "\r\x1b[K{what}...")
                } else {
                    write!(
                        err,
                        "\r\x1b[K{what} {}/{} ({}%)",
                        thousands(done),
                        thousands(total),
                        done * 100 / total
                    )
                };
            }
        }
    }
}

/// 99920 → `99,920`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Stage timings on stderr when `FLEETC_TIMINGS=1`, for profiles and the
/// benchmark: the time since the previous lap (or the start), and the
/// memory fleetc holds at its end and has held at most so far (as the
/// memory guard counts it: fleetc's own, not libgit2's).
pub(crate) fn lap(stage: &str) {
    use std::sync::Mutex;
    use std::time::Instant;
    static LAST: Mutex<Option<Instant>> = Mutex::new(None);
    if !timings() {
        return;
    }
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    let since = last.map_or(0.0, |t| (now - t).as_secs_f64() * 1e3);
    let (held, peak) = crate::cli::memory::held();
    let mib = |b: usize| b as f64 / f64::from(1 << 20);
    eprintln!(
        "timing: {stage:<18} {since:>9.1} ms {:>8.1} MiB held, {:>8.1} at most",
        mib(held),
        mib(peak)
    );
    *last = Some(now);
}

/// What a stage did, beside its time (how much an incremental compile
/// reused), on stderr when `FLEETC_TIMINGS=1`.
pub(crate) fn fact(text: &str) {
    if timings() {
        eprintln!("timing: {text}");
    }
}

fn timings() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("FLEETC_TIMINGS").is_some_and(|v| v == "1"))
}

/// The command line's [`Watch`]: the progress line, the timings of
/// `FLEETC_TIMINGS=1`, and the memory guard's limit and task.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Progress;

impl Watch for Progress {
    fn stage(&self, what: &'static str, total: usize) {
        stage(what, total);
    }
    fn tick(&self) {
        tick();
    }
    fn end(&self) {
        end();
    }
    fn lap(&self, step: &str) {
        lap(step);
    }
    fn fact(&self, text: &str) {
        fact(text);
    }
    fn limits(&self, limits: &Limits) {
        crate::cli::memory::set_limit(limits.memory_bytes);
    }
    fn task(&self, file: &Path, what: std::fmt::Arguments<'_>) {
        crate::cli::memory::task(file, what);
    }
    fn task_done(&self) {
        crate::cli::memory::task_done();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_grouped() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(99_920), "99,920");
        assert_eq!(super::thousands(1_234_567), "1,234,567");
    }
}
