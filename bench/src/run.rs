//! `fleetc-bench run`: times fleetc's commands on generated fleets.
//!
//! For each size (a target number of Applications) a fleet of 60 apps on
//! enough clusters is generated once into the work folder and reused. Then
//! each command runs N times, each run its own process, and the table shows
//! the median wall time, the min–max, the child's peak RSS (from wait4's
//! rusage), Applications per second and the bytes written. Nothing here
//! asserts a time: the targets are printed beside the numbers, to read.
//!
//! What is timed, and what is not:
//! - `check`, `compile --out` into a fresh empty folder, the same again
//!   with nothing changed (no-op), `compile --repo --commit` into a fresh
//!   bare repo, the same again (no-op), on a fresh clone of it (a no-op
//!   commit, and one cluster's change as a `diff --repo`), one cluster's
//!   `environment` changed (`diff --repo`, then the commit), `diff --base HEAD~1` in an inventory
//!   that is a git repo, `log --app --cluster`, and `status` over an
//!   export per cluster in which every Application is deployed.
//! - The trivial writer: fleetc's output tree, read into memory first, then
//!   written into a fresh folder by the plainest fast code (2 threads, then
//!   one syncfs), as the floor that `compile --out` is compared with.
//! - Untimed: generating, removing the previous run's folder or repo, `git
//!   init`, rewriting the changed cluster file. Each of these is followed by
//!   a syncfs, so a timed run's own syncfs does not pay for the deletions
//!   and writes that came before it.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use crate::fleet;

/// Apps per fleet, as in issue 10.
const APPS: usize = 60;
/// Applications per cluster with 60 apps: 223,792 on 5,000 clusters. Used
/// only to choose a cluster count; the real count comes from `fleetc check`.
const APPS_PER_CLUSTER: f64 = 223_792.0 / 5_000.0;
/// The size the targets are written for (and every larger one).
const TARGET_SIZE: usize = 100_000;
const GIB: u64 = 1 << 30;
const USAGE: &str = "usage: fleetc-bench run [--fleetc PATH] [--sizes 1k,10k,100k] [--runs N] [--work DIR] [--seed N]";

struct Options {
    fleetc: PathBuf,
    sizes: Vec<(String, usize)>,
    runs: usize,
    work: PathBuf,
    seed: u64,
}

pub fn main(args: &[String]) -> ExitCode {
    let opts = match parse(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("fleetc-bench: {e}\n{USAGE}");
            return ExitCode::from(1);
        }
    };
    match bench(&opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fleetc-bench: {e}");
            ExitCode::from(1)
        }
    }
}

fn parse(args: &[String]) -> Result<Options, String> {
    // bench/ is the crate; the repo root is its parent.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut o = Options {
        fleetc: root.join("target/release/fleetc"),
        sizes: Vec::new(),
        runs: 3,
        work: root.join("target/bench"),
        seed: 1,
    };
    let mut sizes = "1k,10k,100k".to_string();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?
            .clone();
        match flag.as_str() {
            "--fleetc" => o.fleetc = PathBuf::from(value),
            "--sizes" => sizes = value,
            "--work" => o.work = PathBuf::from(value),
            "--runs" => {
                o.runs = value
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or("--runs takes a number ≥ 1")?
            }
            "--seed" => o.seed = value.parse().map_err(|_| "--seed takes a number")?,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    for s in sizes.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let lower = s.to_ascii_lowercase();
        let (digits, scale) = match lower.as_bytes().last() {
            Some(b'k') => (&lower[..lower.len() - 1], 1_000),
            Some(b'm') => (&lower[..lower.len() - 1], 1_000_000),
            _ => (lower.as_str(), 1),
        };
        let n: usize = digits
            .parse()
            .map_err(|_| format!("size `{s}`: say 1k, 10k, 100k or a number"))?;
        o.sizes.push((s.to_string(), n * scale));
    }
    if o.sizes.is_empty() {
        return Err("--sizes is empty".to_string());
    }
    Ok(o)
}

fn bench(o: &Options) -> Result<(), String> {
    if !o.fleetc.is_file() {
        return Err(format!(
            "no fleetc binary at {}: build it with `cargo build --release` at the repo root, or give --fleetc PATH",
            o.fleetc.display()
        ));
    }
    let fleetc = o.fleetc.canonicalize().map_err(|e| io(&o.fleetc, e))?;
    fs::create_dir_all(&o.work).map_err(|e| io(&o.work, e))?;
    let work = o.work.canonicalize().map_err(|e| io(&o.work, e))?;

    // The header: what ran where, and when.
    let version = untimed(Command::new(&fleetc).arg("--version"))?;
    let bin_dir = fleetc.parent().unwrap_or(Path::new("/"));
    let describe = untimed(
        Command::new("git")
            .arg("-C")
            .arg(bin_dir)
            .args(["describe", "--always", "--dirty", "--tags"]),
    )
    .unwrap_or_else(|_| "not in a git repo".to_string());
    let built = untimed(
        Command::new("date")
            .arg("-u")
            .arg("-r")
            .arg(&fleetc)
            .arg("+%Y-%m-%d %H:%M UTC"),
    )
    .unwrap_or_default();
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let now = untimed(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"])).unwrap_or_default();
    println!("fleetc benchmark, {}", now.trim());
    println!(
        "machine: nproc {cpus}, Linux {}, load average {} (other work on the machine skews the times)",
        kernel.trim(),
        loadavg()
    );
    println!(
        "fleetc:  {} ({}, built {}, git describe {})",
        fleetc.display(),
        version.trim(),
        built.trim(),
        describe.trim()
    );
    println!(
        "runs:    {} per command (median, min–max); seed {}; work folder {}",
        o.runs,
        o.seed,
        work.display()
    );
    for (label, size) in &o.sizes {
        let started = Instant::now();
        let b = Bench::prepare(&fleetc, &work, label, *size, o)?;
        let rows = b.measure(o.runs)?;
        b.print(&rows);
        println!(
            "size {label} took {} in all (generating the fleet: {})",
            minutes(started.elapsed().as_secs_f64()),
            b.generated.map_or("reused".to_string(), fmt_secs)
        );
        println!("load average after it: {}", loadavg());
    }
    Ok(())
}

/// One size: its fleet, its scratch folder and what the runs leave there.
struct Bench {
    bin: PathBuf,
    label: String,
    requested: usize,
    /// The inventory, reused across runs of the bench.
    inv: PathBuf,
    /// Scratch: output folders, repos, logs; emptied at the start.
    run: PathBuf,
    /// The Applications the fleet compiles to, and `check`'s line.
    apps: u64,
    check_line: String,
    /// The cluster whose `environment` the change runs flip, and its file.
    cluster: usize,
    cluster_file: PathBuf,
    seed: u64,
    /// Seconds spent generating, when the fleet was not there yet.
    generated: Option<f64>,
    notes: std::cell::RefCell<Vec<String>>,
}

/// One command's runs.
struct Row {
    name: &'static str,
    secs: Vec<f64>,
    /// Peak RSS of each run, bytes; empty for the in-process trivial writer.
    rss: Vec<u64>,
    /// Bytes of the output tree or repo afterwards, where there is one.
    bytes: Option<u64>,
    target: Option<Target>,
}

/// A target of issue 10 at ~100k Applications.
#[derive(Clone, Copy)]
enum Target {
    /// At most this many seconds, and ≤ 1 GiB RSS.
    Secs(f64),
    /// At most this many times the trivial writer, and ≤ 1 GiB RSS.
    TimesTrivial(f64),
}

/// What one timed child did.
struct Sample {
    secs: f64,
    rss: u64,
    code: i32,
    stdout: String,
}

impl Bench {
    fn prepare(
        fleetc: &Path,
        work: &Path,
        label: &str,
        size: usize,
        o: &Options,
    ) -> Result<Bench, String> {
        let clusters = ((size as f64 / APPS_PER_CLUSTER).round() as usize).max(5);
        let name = format!("fleet-{clusters}x{APPS}-seed{}", o.seed);
        let inv = work.join(&name);
        let mut generated = None;
        if !inv.join("fleetc.yaml").is_file() {
            // Generated beside, then renamed: a fleet folder that exists is whole.
            let tmp = work.join(format!("{name}.tmp"));
            let _ = fs::remove_dir_all(&tmp);
            eprintln!(
                "[{label}] generating {clusters} clusters × {APPS} apps into {}",
                inv.display()
            );
            let t = Instant::now();
            fleet::Fleet {
                clusters,
                apps: APPS,
            }
            .write(&tmp, o.seed);
            fs::rename(&tmp, &inv).map_err(|e| io(&inv, e))?;
            generated = Some(t.elapsed().as_secs_f64());
        }
        // The changed cluster: a prod one (i % 20 ≥ 4 in fleet.rs) without
        // maintenance (i % 97), near the middle. prod ↔ staging changes the
        // values of its platform agents (policy agents-prod-quiet).
        let cluster = (clusters / 2..clusters)
            .chain(0..clusters / 2)
            .find(|i| i % 20 >= 4 && i % 97 != 0)
            .ok_or("too few clusters")?;
        let cname = fleet::cluster_name(cluster);
        // fleet.rs writes clusters/<region>/<name>.yaml, the name starting with the region.
        let region = cname.split("-site-").next().unwrap_or_default();
        let cluster_file = inv.join(format!("clusters/{region}/{cname}.yaml"));
        let run = work.join(format!("{name}.run"));
        if run.exists() {
            eprintln!("[{label}] removing the previous run's {}", run.display());
            fs::remove_dir_all(&run).map_err(|e| io(&run, e))?;
        }
        fs::create_dir_all(run.join("logs")).map_err(|e| io(&run, e))?;
        let mut b = Bench {
            bin: fleetc.to_path_buf(),
            label: label.to_string(),
            requested: size,
            inv,
            run,
            apps: 0,
            check_line: String::new(),
            cluster,
            cluster_file,
            seed: o.seed,
            generated,
            notes: Default::default(),
        };
        // A bench stopped halfway may have left the cluster changed.
        b.set_environment("prod")?;
        // One untimed check: the count of Applications, and a warm page cache.
        let s = b.fleetc(&["check", "-i", &b.inv_s()], &[0])?;
        b.check_line = s.stdout.trim().to_string();
        b.apps = b
            .check_line
            .split(" Applications on")
            .next()
            .and_then(|s| s.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| {
                format!(
                    "cannot read the count of Applications in `{}`",
                    b.check_line
                )
            })?;
        eprintln!("[{label}] {}", b.check_line);
        Ok(b)
    }

    fn inv_s(&self) -> String {
        self.inv.display().to_string()
    }

    fn note(&self, text: String) {
        self.notes.borrow_mut().push(text);
    }

    /// Rewrites the changed cluster's file with this `environment` (untimed).
    fn set_environment(&self, env: &str) -> Result<(), String> {
        write_if_changed(
            &self.cluster_file,
            &fleet::cluster_text(self.cluster, self.seed, env),
        )?;
        syncfs(&self.inv)
    }

    fn measure(&self, runs: usize) -> Result<Vec<Row>, String> {
        let inv = self.inv_s();
        let out = self.run.join("out");
        let out_s = out.display().to_string();
        let repo = self.run.join("deploy.git");
        let repo_s = repo.display().to_string();
        let target = |t| (self.requested >= TARGET_SIZE).then_some(t);
        let mut rows = Vec::new();

        // a. check
        let mut row = Row::new("check", target(Target::Secs(1.5)));
        for r in 0..runs {
            row.add(self.timed("check", r, runs, &["check", "-i", &inv], &[0])?);
        }
        rows.push(row);

        // b, c. compile --out into a fresh empty folder each run, and the
        // trivial writer of the same files, taking turns: both end in a
        // syncfs, whose time depends on everything else the shared disk
        // is doing, so each pair of runs meets the same weather. (The
        // first compile gives the files the writer writes.)
        let mut row = Row::new("compile --out (empty)", target(Target::TimesTrivial(1.3)));
        let mut trivial = Row::new("trivial writer", None);
        let dst = self.run.join("trivial");
        let mut files = Vec::new();
        for r in 0..runs {
            fresh_dir(&out)?;
            syncfs(&self.run)?;
            row.add(self.timed(
                "compile --out",
                r,
                runs,
                &["compile", "-i", &inv, "--out", &out_s],
                &[0],
            )?);
            if r == 0 {
                files = read_tree(&out)?;
            }
            fresh_dir(&dst)?;
            syncfs(&self.run)?;
            let t = Instant::now();
            trivial_write(&dst, &files)?;
            let secs = t.elapsed().as_secs_f64();
            eprintln!(
                "[{}] trivial writer {}/{runs}: {}",
                self.label,
                r + 1,
                fmt_secs(secs)
            );
            trivial.secs.push(secs);
        }
        let tree_bytes: u64 = files.iter().map(|(_, b)| b.len() as u64).sum();
        row.bytes = Some(tree_bytes);
        trivial.bytes = Some(tree_bytes);
        drop(files);
        // Give the tree's memory back to the system: a child forked while
        // this process is large starts its peak RSS (wait4's ru_maxrss)
        // from this process's size, which set a floor of about 250 MiB on
        // every later row at 100k.
        // SAFETY: malloc_trim only releases free heap memory.
        unsafe {
            libc::malloc_trim(0);
        }
        fs::remove_dir_all(&dst).map_err(|e| io(&dst, e))?;
        rows.push(row);
        rows.push(trivial);

        // d. compile --out again, nothing changed
        let mut row = Row::new("compile --out (no-op)", target(Target::Secs(1.0)));
        for r in 0..runs {
            let s = self.timed(
                "compile --out no-op",
                r,
                runs,
                &["compile", "-i", &inv, "--out", &out_s],
                &[0],
            )?;
            if !s.stdout.contains("up to date") {
                self.note(format!(
                    "compile --out (no-op) wrote something: {}",
                    s.stdout.trim()
                ));
            }
            row.add(s);
        }
        row.bytes = Some(tree_bytes);
        rows.push(row);

        // d2. status: every Application installed as rendered, Synced and
        // Healthy, in one kubectl export per cluster (made from the tree
        // above by bench/exports.py, untimed); it must say DEPLOYED for all.
        // (A fleetc from before `status`, run as a baseline, skips it.)
        let has_status = git_env(Command::new(&self.bin))
            .args(["status", "--help"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if has_status {
            let exports = self.run.join("exports");
            fresh_dir(&exports)?;
            let made = untimed(
                Command::new("python3")
                    .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("exports.py"))
                    .arg(&out)
                    .arg(&exports),
            )?;
            self.note(format!("status exports: {}", made.trim()));
            syncfs(&self.run)?;
            let exports_s = exports.display().to_string();
            let mut row = Row::new("status (all deployed)", None);
            for r in 0..runs {
                let status = ["status", "-i", &inv, "--from", &exports_s, "--exit-code"];
                let s = self.timed("status", r, runs, &status, &[0, 2])?;
                if s.code != 0 {
                    self.note(format!(
                        "status found pairs not DEPLOYED: {}",
                        s.stdout
                            .lines()
                            .rev()
                            .take(3)
                            .collect::<Vec<_>>()
                            .join(" / ")
                    ));
                }
                row.add(s);
            }
            rows.push(row);
            fs::remove_dir_all(&exports).map_err(|e| io(&exports, e))?;
        } else {
            self.note("this fleetc has no `status`: its row is skipped".to_string());
        }

        // e. commit into a fresh bare repo each run
        let mut row = Row::new("commit (empty repo)", target(Target::Secs(10.0)));
        for r in 0..runs {
            if repo.exists() {
                fs::remove_dir_all(&repo).map_err(|e| io(&repo, e))?;
            }
            untimed(
                git()
                    .args(["init", "-q", "--bare", "--initial-branch=main"])
                    .arg(&repo),
            )?;
            syncfs(&self.run)?;
            let commit = ["compile", "-i", &inv, "--repo", &repo_s, "--commit"];
            row.add(self.timed("commit", r, runs, &commit, &[0])?);
        }
        row.bytes = Some(self.repo_note(&repo, "after the commit into an empty repo")?);
        rows.push(row);

        // f. the same commit again, nothing changed.
        let mut row = Row::new("commit (no-op)", target(Target::Secs(1.0)));
        for r in 0..runs {
            let commit = ["compile", "-i", &inv, "--repo", &repo_s, "--commit"];
            let s = self.timed("commit (no-op)", r, runs, &commit, &[0])?;
            if !s.stdout.contains("nothing to commit") {
                self.note(format!("commit (no-op) committed: {}", s.stdout.trim()));
            }
            row.add(s);
        }
        row.bytes = rows.last().and_then(|r| r.bytes);
        rows.push(row);

        // f'. a fresh clone, as a CI job starts from (`git clone
        // --no-local --no-checkout`, untimed; fleetc reads the object
        // store only): the same no-op commit, then one cluster's change
        // as a `diff --repo`.
        let clone = self.run.join("clone");
        let clone_s = clone.display().to_string();
        let mut noop_row = Row::new("fresh clone: commit (no-op)", target(Target::Secs(1.0)));
        let mut diff_row = Row::new("fresh clone: diff (1 cluster)", target(Target::Secs(1.5)));
        for r in 0..runs {
            if clone.exists() {
                fs::remove_dir_all(&clone).map_err(|e| io(&clone, e))?;
            }
            untimed(
                git()
                    .args(["clone", "-q", "--no-local", "--no-checkout"])
                    .arg(&repo)
                    .arg(&clone),
            )?;
            syncfs(&self.run)?;
            let commit = ["compile", "-i", &inv, "--repo", &clone_s, "--commit"];
            let s = self.timed("fresh clone: commit (no-op)", r, runs, &commit, &[0])?;
            if !s.stdout.contains("nothing to commit") {
                self.note(format!("fresh clone: commit (no-op) committed: {}", s.stdout.trim()));
            }
            noop_row.add(s);
            self.set_environment("staging")?;
            let diff = ["diff", "-i", &inv, "--repo", &clone_s, "--exit-code"];
            let s = self.timed("fresh clone: diff", r, runs, &diff, &[0, 2])?;
            if s.code == 0 {
                self.note("fresh clone: diff saw no change".to_string());
            }
            diff_row.add(s);
            self.set_environment("prod")?;
        }
        fs::remove_dir_all(&clone).map_err(|e| io(&clone, e))?;
        rows.push(noop_row);
        rows.push(diff_row);

        // g. one cluster's environment changed: prod → staging, back, …, so
        // every run is a real change against what the repo holds.
        let mut diff_row = Row::new("diff --repo (1 cluster)", target(Target::Secs(1.5)));
        let mut commit_row = Row::new("commit (1 cluster)", target(Target::Secs(1.5)));
        for r in 0..runs {
            self.set_environment(if r % 2 == 0 { "staging" } else { "prod" })?;
            let diff = ["diff", "-i", &inv, "--repo", &repo_s, "--exit-code"];
            let s = self.timed("diff --repo", r, runs, &diff, &[0, 2])?;
            if s.code == 0 {
                self.note(
                    "diff --repo saw no change after one cluster's environment changed".to_string(),
                );
            }
            diff_row.add(s);
            let commit = ["compile", "-i", &inv, "--repo", &repo_s, "--commit"];
            let s = self.timed("commit 1 cluster", r, runs, &commit, &[0])?;
            if r == 0 {
                // e.g. "+0 ~10 -0 applications on 1 cluster (log entry 2)"
                let what = s
                    .stdout
                    .rsplit(": ")
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                self.note(format!(
                    "one-cluster change ({}: environment prod → staging): {what}",
                    fleet::cluster_name(self.cluster)
                ));
            }
            commit_row.add(s);
        }
        self.set_environment("prod")?;
        commit_row.bytes =
            Some(self.repo_note(&repo, &format!("after the one-cluster commits ({runs})"))?);
        rows.push(diff_row);
        rows.push(commit_row);

        // h. diff --base: the inventory in a git repo, revision 1 the fleet,
        // revision 2 (HEAD, also the working tree) the one-cluster change;
        // the working tree against HEAD~1 is that change.
        let inv_git = self.run.join("inventory-git");
        copy_tree(&self.inv, &inv_git)?;
        let changed = inv_git.join(
            self.cluster_file
                .strip_prefix(&self.inv)
                .unwrap_or(&self.cluster_file),
        );
        untimed(
            git()
                .arg("-C")
                .arg(&inv_git)
                .args(["init", "-q", "--initial-branch=main"]),
        )?;
        untimed(git().arg("-C").arg(&inv_git).args(["add", "-A"]))?;
        untimed(git().arg("-C").arg(&inv_git).args([
            "commit",
            "-q",
            "-m",
            "revision 1: the fleet",
        ]))?;
        write_if_changed(
            &changed,
            &fleet::cluster_text(self.cluster, self.seed, "staging"),
        )?;
        untimed(git().arg("-C").arg(&inv_git).args([
            "commit",
            "-q",
            "-a",
            "-m",
            "revision 2: one cluster's environment",
        ]))?;
        syncfs(&self.run)?;
        let inv_git_s = inv_git.display().to_string();
        let mut row = Row::new("diff --base HEAD~1", target(Target::Secs(3.0)));
        for r in 0..runs {
            let diff = ["diff", "-i", &inv_git_s, "--base", "HEAD~1", "--exit-code"];
            let s = self.timed("diff --base", r, runs, &diff, &[0, 2])?;
            if s.code == 0 {
                self.note("diff --base HEAD~1 saw no change".to_string());
            }
            row.add(s);
        }
        rows.push(row);

        // i. the deployment log grown to LOG_ENTRIES entries (untimed, see
        // grow_log), then one app on one cluster's history from it
        // (platform-svc-000 is an agent, on every cluster but those in
        // maintenance; its values changed with each environment flip
        // above, and flip back and forth in the grown entries).
        let grown = grow_log(&repo, LOG_ENTRIES)?;
        self.note(format!(
            "deployment log grown to {LOG_ENTRIES} entries ({grown} added as copies of the last, alternately undone)"
        ));
        syncfs(&self.run)?;
        let app = fleet::app_name(0);
        let cname = fleet::cluster_name(self.cluster);
        let mut row = Row::new("log --app --cluster", target(Target::Secs(1.0)));
        for r in 0..runs {
            let log = ["log", "--repo", &repo_s, "--app", &app, "--cluster", &cname];
            let s = self.timed("log", r, runs, &log, &[0])?;
            if s.stdout.trim().is_empty() {
                self.note(format!("log --app {app} --cluster {cname} printed nothing"));
            }
            row.add(s);
        }
        rows.push(row);

        // j. where an app runs, with when each Application last changed,
        // from the same log.
        let mut row = Row::new("query clusters --repo", target(Target::Secs(1.0)));
        for r in 0..runs {
            let query = [
                "query", "-i", &inv, "clusters", "--app", &app, "--repo", &repo_s,
            ];
            let s = self.timed("query --repo", r, runs, &query, &[0])?;
            if !s.stdout.contains("entry") {
                self.note("query clusters --repo showed no last change".to_string());
            }
            row.add(s);
        }
        rows.push(row);
        Ok(rows)
    }

    /// Runs fleetc once, timed; `ok` lists the exit codes that are success.
    fn timed(
        &self,
        what: &str,
        r: usize,
        runs: usize,
        args: &[&str],
        ok: &[i32],
    ) -> Result<Sample, String> {
        let s = self.fleetc(args, ok)?;
        eprintln!(
            "[{}] {what} {}/{runs}: {}, {}",
            self.label,
            r + 1,
            fmt_secs(s.secs),
            fmt_bytes(s.rss)
        );
        Ok(s)
    }

    fn fleetc(&self, args: &[&str], ok: &[i32]) -> Result<Sample, String> {
        let mut cmd = git_env(Command::new(&self.bin));
        cmd.args(args);
        let s = spawn_timed(&mut cmd, &self.run.join("logs"))?;
        if !ok.contains(&s.code) {
            let stderr = fs::read_to_string(self.run.join("logs/stderr")).unwrap_or_default();
            return Err(format!(
                "`fleetc {}` failed (exit {}):\n{}{}",
                args.join(" "),
                s.code,
                stderr,
                if stderr.is_empty() {
                    s.stdout
                } else {
                    String::new()
                }
            ));
        }
        Ok(s)
    }

    /// Notes the repo's size (du, git count-objects -v); returns its
    /// apparent bytes.
    fn repo_note(&self, repo: &Path, when: &str) -> Result<u64, String> {
        let apparent = tree_size(repo)?;
        let du = untimed(Command::new("du").arg("-sk").arg(repo))?;
        let du_kib: u64 = du
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let objects = untimed(git().arg("-C").arg(repo).args(["count-objects", "-v"]))?;
        let field = |k: &str| {
            objects
                .lines()
                .find_map(|l| l.strip_prefix(k)?.strip_prefix(": "))
                .unwrap_or("?")
                .to_string()
        };
        self.note(format!(
            "repo {when}: {} ({} on disk, du); {} loose objects ({} KiB), {} packed ({} KiB)",
            fmt_bytes(apparent),
            fmt_bytes(du_kib * 1024),
            field("count"),
            field("size"),
            field("in-pack"),
            field("size-pack"),
        ));
        Ok(apparent)
    }

    fn print(&self, rows: &[Row]) {
        let secs_of = |name: &str| {
            rows.iter()
                .find(|r| r.name == name)
                .map_or(Vec::new(), |r| r.secs.clone())
        };
        let (compile_runs, trivial_runs) = (secs_of("compile --out (empty)"), secs_of("trivial writer"));
        let (compile, trivial) = (median(&compile_runs), median(&trivial_runs));
        // The runs took turns: each compile against the writer's run
        // right after it, under the same load on the shared disk.
        let paired: Vec<f64> = compile_runs
            .iter()
            .zip(&trivial_runs)
            .map(|(c, t)| c / t)
            .collect();
        println!();
        println!(
            "== size {} (target {} Applications): {} clusters × {APPS} apps, {} Applications",
            self.label,
            self.requested,
            self.check_line
                .split(" clusters")
                .next()
                .and_then(|s| s.rsplit(' ').next())
                .unwrap_or("?"),
            self.apps
        );
        println!("inventory: {}", self.inv.display());
        let mut table = vec![[
            "command",
            "median",
            "min–max",
            "peak RSS",
            "Applications/s",
            "output bytes",
            "target (from 100k)",
        ]
        .map(String::from)];
        for r in rows {
            let m = median(&r.secs);
            let rss = (!r.rss.is_empty())
                .then(|| median(&r.rss.iter().map(|b| *b as f64).collect::<Vec<_>>()));
            table.push([
                r.name.to_string(),
                fmt_secs(m),
                fmt_range(&r.secs),
                rss.map_or("—".to_string(), |b| fmt_bytes(b as u64)),
                fmt_rate(self.apps as f64 / m),
                r.bytes.map_or("—".to_string(), fmt_bytes),
                match r.target {
                    None => "—".to_string(),
                    Some(t) => target_text(t, m, rss, median(&paired)),
                },
            ]);
        }
        print_table(&table);
        println!(
            "compile --out (empty) / trivial writer: {:.2}× run by run (median; {}), {:.2}× of the medians",
            median(&paired),
            paired
                .iter()
                .map(|x| format!("{x:.2}×"))
                .collect::<Vec<_>>()
                .join(", "),
            compile / trivial
        );
        for n in self.notes.borrow().iter() {
            println!("note: {n}");
        }
    }
}

impl Row {
    fn new(name: &'static str, target: Option<Target>) -> Row {
        Row {
            name,
            secs: Vec::new(),
            rss: Vec::new(),
            bytes: None,
            target,
        }
    }

    fn add(&mut self, s: Sample) {
        self.secs.push(s.secs);
        self.rss.push(s.rss);
    }
}

/// "≤1.5 s, ≤1 GiB: met" (or "missed"); the verdict is for reading only.
/// `ratio`: the compile's time over the trivial writer's, run by run
/// (median), for [`Target::TimesTrivial`].
fn target_text(t: Target, secs: f64, rss: Option<f64>, ratio: f64) -> String {
    let (text, within) = match t {
        Target::Secs(s) => (format!("≤{s} s"), secs <= s),
        Target::TimesTrivial(x) => (format!("≤{x}× trivial"), ratio <= x),
    };
    let met = within && rss.is_none_or(|b| b <= GIB as f64);
    format!("{text}, ≤1 GiB: {}", if met { "met" } else { "missed" })
}

/// Spawns `cmd` with stdout and stderr into files in `logs` (files, not
/// pipes: nothing to drain while waiting), reaps it with wait4 for its
/// rusage, and returns its wall time, peak RSS, exit code and stdout.
fn spawn_timed(cmd: &mut Command, logs: &Path) -> Result<Sample, String> {
    let out_path = logs.join("stdout");
    let stdout = fs::File::create(&out_path).map_err(|e| io(&out_path, e))?;
    let err_path = logs.join("stderr");
    let stderr = fs::File::create(&err_path).map_err(|e| io(&err_path, e))?;
    cmd.stdin(Stdio::null()).stdout(stdout).stderr(stderr);
    let start = Instant::now();
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; all zeros is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our own child, not yet reaped (std's Child is never
        // waited on: dropping it does not wait); the pointers are to locals.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4 on {cmd:?}: {e}"));
        }
    }
    let secs = start.elapsed().as_secs_f64();
    drop(child);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    Ok(Sample {
        secs,
        // ru_maxrss is in KiB on Linux.
        rss: usage.ru_maxrss as u64 * 1024,
        code,
        stdout: fs::read_to_string(&out_path).unwrap_or_default(),
    })
}

/// Runs an untimed helper command; its stdout, or an error with its stderr.
fn untimed(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// How many entries the deployment log has when `log` and `query --repo`
/// are timed: the issue's "a log of a thousand entries".
const LOG_ENTRIES: usize = 1_000;

/// Grows the deploy branch's deployment log to `to` entries, one commit
/// each, as fleetc would write them: each new entry is the last real one
/// (a one-cluster change) renumbered, its time a minute later, and every
/// other one undone (each event's `sha256` and `sha256_old` swapped), so
/// that `log` also has rollbacks to find. Written with `git fast-import`,
/// untimed; returns how many entries were added.
pub fn grow_log(repo: &Path, to: usize) -> Result<usize, String> {
    let files = untimed(
        git()
            .arg("-C")
            .arg(repo)
            .args(["ls-tree", "-r", "--name-only", "HEAD"]),
    )?;
    let entries: Vec<&str> = files
        .lines()
        .filter(|p| p.contains("deployments/") && p.ends_with(".jsonl"))
        .collect();
    let last = *entries
        .last()
        .ok_or("the deploy branch has no deployment log")?;
    let have = entries.len();
    if have >= to {
        return Ok(0);
    }
    let dir = &last[..last.rfind('/').unwrap() + 1];
    let text = untimed(
        git()
            .arg("-C")
            .arg(repo)
            .args(["show", &format!("HEAD:{last}")]),
    )?;
    let number = |line: &str| -> Option<u64> {
        let at = line.find("\"entry\":")? + "\"entry\":".len();
        line[at..]
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    };
    let n0 = text
        .lines()
        .next()
        .and_then(number)
        .ok_or("the last entry has no number")?;
    let branch = untimed(git().arg("-C").arg(repo).args(["symbolic-ref", "HEAD"]))?;
    let head = untimed(git().arg("-C").arg(repo).args(["rev-parse", "HEAD"]))?;
    let mut stream = String::new();
    for (i, k) in ((n0 + 1)..).take(to - have).enumerate() {
        let mut body = String::new();
        for line in text.lines() {
            let mut l = line.replacen(&format!("\"entry\":{n0},"), &format!("\"entry\":{k},"), 1);
            if i % 2 == 0 {
                // Undo: the file goes back to the hash it had.
                l = l
                    .replacen("\"sha256\":\"", "\"sha256_x\":\"", 1)
                    .replacen("\"sha256_old\":\"", "\"sha256\":\"", 1)
                    .replacen("\"sha256_x\":\"", "\"sha256_old\":\"", 1);
            }
            body.push_str(&l);
            body.push('\n');
        }
        let message = format!("fleetc-bench: entry {k}\n\nFleetc-Log-Entry: {k}\n");
        let time = 1_800_000_000 + 60 * k;
        stream.push_str(&format!(
            "commit {}\ncommitter fleetc-bench <bench@fleetc.invalid> {time} +0000\ndata {}\n{message}",
            branch.trim(),
            message.len()
        ));
        if i == 0 {
            stream.push_str(&format!("from {}\n", head.trim()));
        }
        stream.push_str(&format!(
            "M 100644 inline {dir}{k:08}.jsonl\ndata {}\n{body}\n",
            body.len()
        ));
    }
    let mut child = git()
        .arg("-C")
        .arg(repo)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| format!("git fast-import: {e}"))?;
    use std::io::Write as _;
    child
        .stdin
        .take()
        .ok_or("git fast-import: no stdin")?
        .write_all(stream.as_bytes())
        .map_err(|e| format!("git fast-import: {e}"))?;
    let status = child.wait().map_err(|e| format!("git fast-import: {e}"))?;
    if !status.success() {
        return Err(format!("git fast-import failed: {status}"));
    }
    Ok(to - have)
}

/// Who commits: fleetc and git both need a name and an email, and the
/// machine's own git config may have none.
fn git_env(mut cmd: Command) -> Command {
    for (k, v) in [
        ("GIT_AUTHOR_NAME", "fleetc-bench"),
        ("GIT_AUTHOR_EMAIL", "bench@fleetc.invalid"),
        ("GIT_COMMITTER_NAME", "fleetc-bench"),
        ("GIT_COMMITTER_EMAIL", "bench@fleetc.invalid"),
    ] {
        cmd.env(k, v);
    }
    cmd
}

fn git() -> Command {
    let mut cmd = git_env(Command::new("git"));
    cmd.args(["-c", "commit.gpgsign=false"]);
    cmd
}

/// The trivial writer: the folders, then every file from 2 threads (as
/// many as fleetc's rayon pool has on this 2-core machine), then one
/// syncfs, as fleetc flushes before its swap.
fn trivial_write(dst: &Path, files: &[(PathBuf, Vec<u8>)]) -> Result<(), String> {
    // Every folder, parents first (a parent sorts before its children).
    let dirs: BTreeSet<&Path> = files
        .iter()
        .flat_map(|(p, _)| p.ancestors().skip(1))
        .filter(|d| !d.as_os_str().is_empty())
        .collect();
    for d in dirs {
        let p = dst.join(d);
        fs::create_dir(&p).map_err(|e| io(&p, e))?;
    }
    let half = files.len().div_ceil(2).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(half)
            .map(|chunk| {
                s.spawn(move || {
                    for (rel, bytes) in chunk {
                        let p = dst.join(rel);
                        fs::write(&p, bytes).map_err(|e| io(&p, e))?;
                    }
                    Ok::<(), String>(())
                })
            })
            .collect();
        handles.into_iter().try_for_each(|h| {
            h.join()
                .unwrap_or_else(|_| Err("a writer thread panicked".to_string()))
        })
    })?;
    syncfs(dst)
}

/// Flushes the filesystem holding `dir` (Linux syncfs).
fn syncfs(dir: &Path) -> Result<(), String> {
    let f = fs::File::open(dir).map_err(|e| io(dir, e))?;
    // SAFETY: the fd is open for the duration of the call.
    if unsafe { libc::syncfs(f.as_raw_fd()) } != 0 {
        return Err(format!(
            "syncfs {}: {}",
            dir.display(),
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

/// Every file under `root` (hidden ones too), relative path → bytes, sorted.
fn read_tree(root: &Path) -> Result<Vec<(PathBuf, Vec<u8>)>, String> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).map_err(|e| io(&dir, e))? {
            let e = e.map_err(|e| io(&dir, e))?;
            let p = e.path();
            if e.file_type().map_err(|e| io(&p, e))?.is_dir() {
                stack.push(p);
            } else {
                let bytes = fs::read(&p).map_err(|e| io(&p, e))?;
                files.push((p.strip_prefix(root).unwrap_or(&p).to_path_buf(), bytes));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The apparent size of the files under `root`.
fn tree_size(root: &Path) -> Result<u64, String> {
    let mut total = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).map_err(|e| io(&dir, e))? {
            let e = e.map_err(|e| io(&dir, e))?;
            let meta = e.metadata().map_err(|err| io(&e.path(), err))?;
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                total += meta.len();
            }
        }
    }
    Ok(total)
}

/// Copies the files under `from` to `to` (a new folder).
fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    for (rel, bytes) in read_tree(from)? {
        let p = to.join(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        fs::write(&p, bytes).map_err(|e| io(&p, e))?;
    }
    Ok(())
}

/// Removes `dir` if there, then creates it empty.
fn fresh_dir(dir: &Path) -> Result<(), String> {
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(|e| io(dir, e))?;
    }
    fs::create_dir(dir).map_err(|e| io(dir, e))
}

fn write_if_changed(path: &Path, text: &str) -> Result<(), String> {
    if fs::read_to_string(path).ok().as_deref() != Some(text) {
        fs::write(path, text).map_err(|e| io(path, e))?;
    }
    Ok(())
}

/// The 1, 5 and 15 minute load averages.
fn loadavg() -> String {
    let l = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    l.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn io(path: &Path, e: std::io::Error) -> String {
    format!("{}: {e}", path.display())
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn fmt_secs(s: f64) -> String {
    if s < 0.01 {
        format!("{:.1} ms", s * 1e3)
    } else if s < 1.0 {
        format!("{:.0} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

/// "110–130 ms" or "1.02–1.10 s": both ends in the unit of the larger;
/// "—" for a single run.
fn fmt_range(xs: &[f64]) -> String {
    if xs.len() < 2 {
        return "—".to_string();
    }
    let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = xs.iter().copied().fold(0.0, f64::max);
    if hi < 0.01 {
        format!("{:.1}–{:.1} ms", lo * 1e3, hi * 1e3)
    } else if hi < 1.0 {
        format!("{:.0}–{:.0} ms", lo * 1e3, hi * 1e3)
    } else {
        format!("{lo:.2}–{hi:.2} s")
    }
}

fn fmt_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= GIB as f64 {
        format!("{:.2} GiB", b / GIB as f64)
    } else if b >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", b / (1024.0 * 1024.0))
    } else {
        format!("{:.0} KiB", b / 1024.0)
    }
}

fn fmt_rate(per_sec: f64) -> String {
    if per_sec >= 1e6 {
        format!("{:.2}M/s", per_sec / 1e6)
    } else if per_sec >= 1e5 {
        format!("{:.0}k/s", per_sec / 1e3)
    } else if per_sec >= 1e3 {
        format!("{:.1}k/s", per_sec / 1e3)
    } else {
        format!("{per_sec:.0}/s")
    }
}

fn minutes(secs: f64) -> String {
    if secs < 60.0 {
        format!("{secs:.0} s")
    } else {
        let s = secs.round() as u64;
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

/// Columns padded to their widest cell (counted in chars: "–" and "—" are
/// one column, three bytes); the first and last left-aligned, the numbers
/// right-aligned.
fn print_table<const N: usize>(rows: &[[String; N]]) {
    let widths: Vec<usize> = (0..N)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                let pad = " ".repeat(widths[c] - cell.chars().count());
                if c == 0 || c == N - 1 {
                    format!("{cell}{pad}")
                } else {
                    format!("{pad}{cell}")
                }
            })
            .collect();
        println!("{}", cells.join(" | ").trim_end());
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            println!("{}", rule.join("-+-"));
        }
    }
}
