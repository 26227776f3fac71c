//! SIGKILL at chosen moments, for the tests that prove a killed run
//! leaves the old state or the new one.
//!
//! Timing only chooses when to kill; no test asserts a time. A busy
//! machine runs slower than the run that was measured, so a schedule that
//! has killed three runs in a row stretches its span (doubling each time)
//! until a run ends by itself again: the kills reach past the end of a run
//! however slow the machine is, and a test that wants both outcomes gets
//! them. The first kill of a schedule comes at once, so at least one run is
//! always stopped before it has done anything.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) struct Schedule {
    seed: u64,
    runs: Vec<Duration>,
    kills_in_a_row: u32,
    stretch: u32,
    delays: u32,
}

impl Schedule {
    pub(crate) fn new(seed: u64) -> Schedule {
        Schedule {
            seed,
            runs: Vec::new(),
            kills_in_a_row: 0,
            stretch: 1,
            delays: 0,
        }
    }

    /// Runs `f` (an uninterrupted run) and remembers how long it took.
    pub(crate) fn timed<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let out = f();
        self.runs.push(started.elapsed());
        out
    }

    /// The mean of the last few runs that ended by themselves.
    pub(crate) fn run_time(&self) -> Duration {
        let recent = &self.runs[self.runs.len().saturating_sub(4)..];
        recent.iter().sum::<Duration>() / recent.len().max(1) as u32
    }

    /// A moment in [0, 1.25 × a run × stretch), xorshift64: the same
    /// sequence on every run; the first is zero.
    fn delay(&mut self) -> Duration {
        self.delays += 1;
        if self.delays == 1 {
            return Duration::ZERO;
        }
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let span = (self.run_time() * 5 / 4 * self.stretch)
            .as_micros()
            .max(1_000) as u64;
        Duration::from_micros(self.seed % span)
    }

    /// Starts `cmd` and sends it SIGKILL after a random delay, unless it
    /// ends first (then its run time is remembered).
    pub(crate) fn kill(&mut self, cmd: Command) -> (Ended, Duration) {
        let delay = self.delay();
        let ended = kill_after(cmd, delay);
        match &ended {
            Ended::Exited { after, .. } => {
                self.runs.push(*after);
                self.kills_in_a_row = 0;
                self.stretch = 1;
            }
            Ended::Killed => {
                self.kills_in_a_row += 1;
                if self.kills_in_a_row >= 3 && self.stretch < 1 << 12 {
                    self.stretch *= 2;
                    self.kills_in_a_row = 0;
                }
            }
        }
        (ended, delay)
    }
}

/// How a run that was to be killed ended.
pub(crate) enum Ended {
    Killed,
    /// It ended by itself first: its exit code and stderr.
    Exited {
        code: Option<i32>,
        stderr: String,
        after: Duration,
    },
}

impl Ended {
    /// `true` for a kill; for a run that ended by itself, checks it succeeded.
    pub(crate) fn killed(self) -> bool {
        match self {
            Ended::Killed => true,
            Ended::Exited { code, stderr, .. } => {
                assert_eq!(code, Some(0), "a run that was not killed failed: {stderr}");
                false
            }
        }
    }
}

/// Starts `cmd`, sends it SIGKILL after `delay` unless it has ended by
/// then, and reaps it.
fn kill_after(cmd: Command, delay: Duration) -> Ended {
    let (mut child, started) = spawn(cmd);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        let now = started.elapsed();
        if now >= delay {
            let _ = child.kill();
            break;
        }
        std::thread::sleep((delay - now).min(Duration::from_millis(2)));
    }
    reap(child, started)
}

/// Starts `cmd` and sends it SIGKILL the moment `path` appears (watched in
/// a tight loop), unless it ends first.
pub(crate) fn kill_when_present(cmd: Command, path: &Path) -> Ended {
    let (mut child, started) = spawn(cmd);
    loop {
        if path.exists() {
            let _ = child.kill();
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
    }
    reap(child, started)
}

/// Starts `cmd` with stderr kept (for a run that fails) and says when.
fn spawn(mut cmd: Command) -> (std::process::Child, Instant) {
    let started = Instant::now();
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, started)
}

fn reap(child: std::process::Child, started: Instant) -> Ended {
    use std::os::unix::process::ExitStatusExt;
    let out = child.wait_with_output().unwrap();
    if out.status.signal() == Some(9) {
        Ended::Killed
    } else {
        Ended::Exited {
            code: out.status.code(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            after: started.elapsed(),
        }
    }
}

/// `fleetc ARGS` in `cwd`, without colour.
pub(crate) fn fleetc_command(cwd: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(crate::support::bin());
    cmd.args(args).current_dir(cwd).env("NO_COLOR", "1");
    cmd
}
