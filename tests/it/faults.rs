//! Fault injection on a generated fleet of a few thousand Applications:
//! SIGKILL at random moments of `compile --out` and of `compile --repo
//! --commit`, an output folder that cannot be written or has vanished, and
//! a stale ref lock in the deploy repo. Each test checks what a user would
//! look at afterwards: the folder, the branch, `git fsck`, the deployment log.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::kill::{fleetc_command, kill_when_present, Schedule};
use crate::support::{fleetc, git, leftovers, read_tree, seed_deploy_repo, Run};

/// The two versions of a generated fleet, each an inventory folder.
struct Fleet {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    /// `inv[0]`: version 1; `inv[1]`: version 2.
    inv: [PathBuf; 2],
}

impl Fleet {
    /// `clusters` clusters × 15 apps, in two versions, in a new temp dir.
    fn new(clusters: usize) -> Fleet {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let inv = [root.join("inventory-v1"), root.join("inventory-v2")];
        write_fleet(&inv[0], clusters, 1);
        write_fleet(&inv[1], clusters, 2);
        Fleet {
            _tmp: tmp,
            root,
            inv,
        }
    }

    /// The tree a clean `compile --out` of version `v` (0 or 1) writes.
    fn clean_tree(&self, v: usize) -> Tree {
        let out = self.root.join(format!("clean-v{}", v + 1));
        let run = fleetc(&self.inv[v], &["compile", "--out", out.to_str().unwrap()]);
        assert_eq!(run.status, 0, "{}", run.stderr);
        read_tree(&out)
    }
}

/// SIGKILLs at random moments in each kill test (55 until CI neared its 15
/// minutes; the two tests are most of the release pass).
const KILLS: usize = 40;

type Tree = std::collections::BTreeMap<String, Vec<u8>>;

/// Writes a fleet into `dir`: `clusters` clusters in four regions and two
/// rings, three teams, 15 apps (11 on every cluster, 2 on each ring's
/// clusters: 13 Applications a cluster) and four policies. Version 2 moves
/// every tenth cluster from ring a to ring b (two Applications leave each,
/// two others arrive) and changes a policy's values on the east staging
/// clusters.
pub(crate) fn write_fleet(dir: &Path, clusters: usize, version: u8) {
    let file = |rel: &str, text: &str| {
        let path = dir.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    };
    file(
        "fleetc.yaml",
        "argocd_namespace: argocd\n\
         deploy_repo:\n  url: https://git.example.com/platform/fleet-deploy.git\n  branch: main\n\
         # Version 2 takes the ring apps off a tenth of the clusters: intended.\n\
         removal_guard: {max_share: 1.0}\n",
    );
    file(
        "namespaces/teams.yaml",
        "name: shop\n\
         description: The storefront\n\
         groups: {contributor: [3f2a9c4e-8d1b-4b7a-9c55-1e2f3a4b5c6d]}\n\
         ---\n\
         name: data\n\
         description: Pipelines and models\n\
         groups: {reader: [7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e]}\n\
         ---\n\
         name: platform\n\
         description: Agents on every cluster\n\
         namespaces: [monitoring, logging]\n",
    );
    for i in 0..clusters {
        let region = ["east", "west", "north", "south"][i % 4];
        let ring = if i % 2 == 1 || (version == 2 && i % 10 == 0) {
            "b"
        } else {
            "a"
        };
        let environment = if i % 5 == 4 { "staging" } else { "prod" };
        file(
            &format!("clusters/edge-{i:03}.yaml"),
            &format!(
                "name: edge-{i:03}\nshortName: e{i:03}\nenvironment: {environment}\n\
                 metadata:\n  region: {region}\n  ring: {ring}\n  gpu: {}\n\
                 values:\n  ingress: {{className: nginx-edge}}\n",
                i % 3 == 0
            ),
        );
    }
    // (name, team, the label that places it)
    let apps: [(&str, &str, &str); 15] = [
        ("web", "shop", "fleet: core"),
        ("checkout", "shop", "fleet: core"),
        ("cart", "shop", "fleet: core"),
        ("catalog", "shop", "fleet: core"),
        ("search", "shop", "fleet: core"),
        ("ingest", "data", "fleet: core"),
        ("etl", "data", "fleet: core"),
        ("reports", "data", "fleet: core"),
        ("feature-store", "data", "ring: a"),
        ("recommender", "data", "ring: a"),
        ("ab-tests", "data", "ring: b"),
        ("forecast", "data", "ring: b"),
        ("node-exporter", "platform", "fleet: core"),
        ("log-shipper", "platform", "fleet: core"),
        ("cert-agent", "platform", "fleet: core"),
    ];
    for (name, team, label) in apps {
        let source = if team == "platform" {
            format!(
                "repo_url: https://charts.example.com/platform\nchart: {name}\nrepo_branch: 1.2.3\n\
                 destination_namespace: {}\n",
                match name {
                    "node-exporter" => "monitoring",
                    "log-shipper" => "logging",
                    _ => "platform",
                }
            )
        } else {
            format!(
                "repo_url: https://git.example.com/{team}/{name}.git\nrepo_branch: v1.0.0\nrepo_path: deploy\n"
            )
        };
        file(
            &format!("apps/{team}/{name}.yaml"),
            &format!(
                "name: {name}\nnamespace: {team}\n{source}metadata: {{{label}}}\n\
                 values:\n  replicaCount: 2\n  env:\n    CLUSTER: ${{ cluster.name }}\n    \
                 REGION: ${{ cluster.metadata.region }}\n"
            ),
        );
    }
    file(
        "policies/fleet.yaml",
        &format!(
            "name: core-everywhere\napp_selector: {{fleet: core}}\ncluster_selector: {{}}\n\
             ---\n\
             name: ring-a\napp_selector: {{ring: a}}\ncluster_selector: \"ring=a\"\n\
             values: {{rollout: {{ring: a}}}}\n\
             ---\n\
             name: ring-b\napp_selector:\n  matchLabels: {{ring: b}}\ncluster_selector:\n  \
             matchExpressions:\n    - {{key: ring, operator: In, values: [b]}}\n\
             values: {{rollout: {{ring: b}}}}\n\
             ---\n\
             name: checkout-east-staging\napp_selector: {{name: checkout}}\n\
             cluster_selector: \"region=east,environment=staging\"\n\
             priority: 5\nvalues: {{features: {{fastPay: {}}}}}\n",
            version == 2
        ),
    );
}

/// What differs between two trees, briefly, for a failure message.
fn tree_diff(got: &Tree, want: &Tree) -> String {
    let mut lines: Vec<String> = Vec::new();
    for (path, bytes) in got {
        match want.get(path) {
            None => lines.push(format!("  extra    {path}")),
            Some(b) if b != bytes => lines.push(format!("  differs  {path}")),
            _ => {}
        }
    }
    for path in want.keys().filter(|p| !got.contains_key(*p)) {
        lines.push(format!("  missing  {path}"));
    }
    let n = lines.len();
    lines.truncate(12);
    format!("{n} paths differ:\n{}", lines.join("\n"))
}

/// SIGKILL at random moments of `compile --out`, each compile turning the
/// folder from one version of a 2,600-Application fleet into the other: the
/// folder holds exactly the old tree or the new one after every kill, and a
/// later compile succeeds and leaves nothing beside the folder.
#[test]
#[cfg_attr(debug_assertions, ignore = "run in release: cargo test --release")]
fn killed_compiles_of_a_large_fleet_leave_the_old_tree_or_the_new_one() {
    let fleet = Fleet::new(200);
    let trees = [fleet.clean_tree(0), fleet.clean_tree(1)];
    assert_ne!(trees[0], trees[1]);
    let out = fleet.root.join("out");
    let o = out.to_str().unwrap();
    let run_to = |v: usize| fleetc(&fleet.inv[v], &["compile", "--out", o]);
    // After an uninterrupted compile: exactly the new tree, nothing beside it.
    let check = |run: Run, v: usize| {
        assert_eq!(run.status, 0, "{}", run.stderr);
        let tree = read_tree(&out);
        assert!(tree == trees[v], "{}", tree_diff(&tree, &trees[v]));
        assert_eq!(leftovers(&out), Vec::<String>::new());
    };
    let first = run_to(0);
    print!("compile --out: {}", first.stdout);
    check(first, 0);
    let mut at = 0; // the version the folder holds

    // Kill times spread over a whole compile (each one a real change of
    // version), measured here, so kills land before, during and after the
    // swap.
    let mut when = Schedule::new(0x2545_f491_4f6c_dd1d);
    for i in 0..4 {
        at = 1 - at;
        let run = when.timed(|| run_to(at));
        if i < 2 {
            print!("compile --out: {}", run.stdout);
        }
        check(run, at);
    }
    println!(
        "compile --out: {} files; a whole compile takes about {:?}",
        trees[0].len(),
        when.run_time()
    );

    let (mut kills, mut old, mut new, mut finished, mut left, mut whole) = (0, 0, 0, 0, 0, 0);
    for round in 1.. {
        if kills >= KILLS {
            break;
        }
        assert!(round < 300, "the kills keep missing the compiles");
        let to = 1 - at;
        if round % 15 == 0 {
            // Now and then a compile that runs to its end: it succeeds and
            // clears what killed ones left.
            check(when.timed(|| run_to(to)), to);
            at = to;
            whole += 1;
            continue;
        }
        let cmd = fleetc_command(&fleet.inv[to], &["compile", "--out", o]);
        let (ended, delay) = when.kill(cmd);
        let was_killed = ended.killed();
        let tree = read_tree(&out);
        if tree == trees[to] {
            at = to;
            if was_killed {
                new += 1;
            }
        } else if tree == trees[at] && was_killed {
            old += 1;
        } else {
            panic!(
                "after {} at {delay:?} the folder is neither the old tree (v{}) nor the new one: \
                 against the old, {}\nagainst the new, {}",
                if was_killed { "a kill" } else { "a compile" },
                at + 1,
                tree_diff(&tree, &trees[at]),
                tree_diff(&tree, &trees[to])
            );
        }
        if was_killed {
            kills += 1;
        } else {
            finished += 1;
        }
        if !leftovers(&out).is_empty() {
            left += 1;
        }
    }
    println!(
        "compile --out: {kills} SIGKILLs: after {old} the folder held the old tree, after {new} \
         the new one (killed after the swap); {left} left a staging folder beside it (cleared by \
         the {whole} compiles run to their end between the kills; {finished} more ended before \
         their kill)"
    );
    assert!(old > 0, "no kill ever stopped a compile before its swap");
    check(run_to(1 - at), 1 - at);
}

fn commit(inv: &Path, deploy: &Path) -> Run {
    fleetc(
        inv,
        &["compile", "--repo", deploy.to_str().unwrap(), "--commit"],
    )
}

/// `git ls-tree -r` of the branch without the deployment log: mode, id and
/// path of every file, so equal listings are equal trees.
fn listing(deploy: &Path, rev: &str) -> String {
    git(deploy, &["ls-tree", "-r", "--full-tree", rev, "--"])
        .lines()
        .filter(|l| !l.contains("\tdeployments/"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// `git fsck --strict` finds nothing: no error, no warning, no stray file.
fn fsck(deploy: &Path) {
    let out = crate::support::fsck(deploy);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && err.trim().is_empty(),
        "git fsck --strict: {}\n{err}",
        out.status
    );
}

/// The deployment log on the branch: entries 1..n, one `compile` line each,
/// n the number of fleetc commits (all but the seed), each with as many
/// events as its counts say, the tip's trailer naming n and its `parent`
/// the commit before; no line twice. Returns the log.
fn check_log(deploy: &Path) -> String {
    let log = crate::support::deploy_log(deploy, "main");
    let mut compiles = Vec::new();
    let mut seen = std::collections::HashSet::new();
    // (the last `compile` line, and the events counted after it)
    let mut head: Option<(Value, u64)> = None;
    let counted = |head: &Option<(Value, u64)>| {
        if let Some((c, events)) = head {
            let said: u64 = ["added", "changed", "removed", "recreated"]
                .iter()
                .map(|k| c[*k].as_u64().unwrap_or(0))
                .sum();
            assert_eq!(
                said, *events,
                "entry {} has {events} events: {c}",
                c["entry"]
            );
        }
    };
    for (i, line) in log.lines().enumerate() {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("deployments.jsonl:{}: {e}: {line}", i + 1));
        let entry = v["entry"].as_u64().unwrap();
        match v["kind"].as_str() {
            Some("compile") => {
                compiles.push(entry);
                counted(&head);
                head = Some((v.clone(), 0));
            }
            Some("event") => {
                assert_eq!(
                    Some(&entry),
                    compiles.last(),
                    "deployments.jsonl:{}: an event outside its entry",
                    i + 1
                );
                head.as_mut().unwrap().1 += 1;
            }
            other => panic!("deployments.jsonl:{}: kind {other:?}", i + 1),
        }
        assert!(
            seen.insert(line),
            "deployments.jsonl:{}: a doubled line",
            i + 1
        );
    }
    let commits: u64 = git(deploy, &["rev-list", "--count", "main"])
        .trim()
        .parse()
        .unwrap();
    assert_eq!(
        compiles,
        (1..commits).collect::<Vec<_>>(),
        "the log's entries against {} fleetc commits",
        commits - 1
    );
    let trailer = git(
        deploy,
        &[
            "log",
            "-1",
            "--format=%(trailers:key=Fleetc-Log-Entry,valueonly)",
            "main",
        ],
    );
    assert_eq!(trailer.trim(), (commits - 1).to_string());
    counted(&head);
    let parent = git(deploy, &["rev-parse", "main~1"]);
    assert_eq!(
        head.unwrap().0["parent"],
        parent.trim(),
        "the last entry's parent"
    );
    log
}

/// Where fleetc assembles a pack before it moves it among git's packs.
const PACKING: &str = "fleetc-packing";

/// Lock files anywhere in the repository but fleetc's packing folder.
fn lock_files(deploy: &Path) -> Vec<String> {
    walkdir::WalkDir::new(deploy)
        .into_iter()
        .filter_entry(|e| e.file_name() != PACKING)
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".lock"))
        .map(|e| {
            e.path()
                .strip_prefix(deploy)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// The deploy branch under kills, and what was seen of it.
struct Branch<'a> {
    deploy: &'a Path,
    /// `git ls-tree` of a clean commit of each version.
    clean: &'a [String],
    /// The version the branch holds.
    at: usize,
    log: String,
    locks: usize,
    /// Kills that left scraps in fleetc's packing folder, and that left a
    /// pack without its index (git's own order, pack then index, has the
    /// same moment).
    scraps: usize,
    unindexed: BTreeSet<String>,
    messages: BTreeSet<String>,
    checking: Duration,
}

impl Branch<'_> {
    fn head(&self) -> String {
        git(self.deploy, &["rev-parse", "main"])
    }

    /// After a commit that ran to its end (from `before` to version `to`):
    /// one commit on, with the clean tree, and the log one entry longer.
    fn committed(&mut self, run: Run, to: usize, before: &str) {
        assert_eq!(run.status, 0, "{}", run.stderr);
        assert_eq!(git(self.deploy, &["rev-parse", "main~1"]), before);
        // Each version is hundreds of files from the other, so every
        // commit packs, and clears what a killed one left while packing.
        let packing = self.deploy.join(PACKING);
        assert_eq!(fs::read_dir(&packing).map(|d| d.count()).unwrap_or(0), 0);
        self.landed(to, "an uninterrupted commit", false);
    }

    fn landed(&mut self, to: usize, when: &str, fsck_too: bool) {
        let started = Instant::now();
        assert!(
            listing(self.deploy, "main") == self.clean[to],
            "after {when} the new commit's tree is not a clean compile's"
        );
        self.at = to;
        self.check(when, fsck_too);
        self.checking += started.elapsed();
    }

    /// fsck, and the log: exact, and only ever appended to.
    fn check(&mut self, when: &str, fsck_too: bool) {
        if fsck_too {
            fsck(self.deploy);
        }
        let log = check_log(self.deploy);
        assert!(
            log.starts_with(&self.log),
            "after {when} the log lost or rewrote a line"
        );
        self.log = log;
    }

    /// `objects/pack` holds only packs and their indexes (libgit2's pack
    /// writer, used before, left `pack_git2_*` scraps there after a kill,
    /// which `git gc` never removes); what a kill leaves while packing
    /// stays in fleetc's folder.
    fn packs(&mut self, when: &str) {
        let dir = self.deploy.join("objects/pack");
        let names: BTreeSet<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        for name in &names {
            let pack = name
                .strip_prefix("pack-")
                .and_then(|n| n.strip_suffix(".pack"));
            let index = name
                .strip_prefix("pack-")
                .and_then(|n| n.strip_suffix(".idx"));
            match (pack, index) {
                (Some(hash), _) if !names.contains(&format!("pack-{hash}.idx")) => {
                    self.unindexed.insert(name.clone());
                }
                (Some(_), _) => {}
                (_, Some(hash)) => assert!(
                    names.contains(&format!("pack-{hash}.pack")),
                    "after {when}: an index without its pack: {name}"
                ),
                _ => panic!("after {when}: {name} in objects/pack"),
            }
        }
        let packing = self.deploy.join(PACKING);
        if packing.is_dir() && fs::read_dir(&packing).unwrap().next().is_some() {
            self.scraps += 1;
        }
    }

    /// After a run to version `to` (`inv`) from `before` that was meant to
    /// be killed: the branch is at `before` or one whole commit on (always
    /// on, when the run was not killed). `true` when it moved.
    fn after_kill(&mut self, inv: &Path, to: usize, before: &str, when: &str) -> bool {
        // A kill during the ref update leaves the ref's lock: fleetc
        // refuses by naming it, and whoever reads that removes it.
        self.packs(when);
        let found = lock_files(self.deploy);
        if !found.is_empty() {
            assert_eq!(found, ["refs/heads/main.lock"], "after {when}");
            self.locks += 1;
            let run = commit(inv, self.deploy);
            assert_eq!(run.status, 1, "{}{}", run.stdout, run.stderr);
            assert!(
                run.stderr.contains("main.lock") && run.stderr.contains("remove"),
                "{}",
                run.stderr
            );
            self.messages
                .insert(run.stderr.replace(&before.trim()[..7], "<old>"));
            assert_eq!(self.head(), before, "a refused commit moved the branch");
            fs::remove_file(self.deploy.join("refs/heads/main.lock")).unwrap();
        }
        if self.head() == before {
            let started = Instant::now();
            self.check(when, true);
            self.checking += started.elapsed();
            false
        } else {
            assert_eq!(
                git(self.deploy, &["rev-parse", "main~1"]),
                before,
                "after {when} the branch moved somewhere unexpected"
            );
            self.landed(to, when, true);
            true
        }
    }
}

/// How the runs of a kill round ended, by whether the kill landed and
/// whether the branch moved.
#[derive(Default)]
struct Tally {
    /// Runs killed (`old + new`).
    killed: usize,
    /// Killed, the branch at the old commit.
    old: usize,
    /// Killed after the ref update, the branch at a whole new commit.
    new: usize,
    /// Ended by themselves before their kill (the branch moved).
    ended: usize,
}

impl Tally {
    fn record(&mut self, was_killed: bool, moved: bool) {
        match (was_killed, moved) {
            (true, false) => self.old += 1,
            (true, true) => self.new += 1,
            (false, true) => self.ended += 1,
            (false, false) => panic!("a commit that ended by itself did not move the branch"),
        }
        self.killed += usize::from(was_killed);
    }
}

/// SIGKILL at random moments of `compile --repo --commit` on a bare repo,
/// alternating the fleet's two versions: after every kill the branch is at
/// the old commit or at a new one whose tree is exactly a clean compile's,
/// `git fsck --strict` is clean, and the deployment log has every entry
/// once. A ref lock left by a kill is refused, by name, until removed; a
/// last series of kills is aimed at the moment that lock exists.
#[test]
#[cfg_attr(debug_assertions, ignore = "run in release: cargo test --release")]
fn killed_commits_of_a_large_fleet_leave_the_branch_whole_and_the_log_exact() {
    let fleet = Fleet::new(200);
    let deploy = seed_deploy_repo(&fleet.root);
    let d = deploy.to_str().unwrap();

    // What a clean compile of each version commits, in copies of the seed.
    let clean: Vec<String> = (0..2)
        .map(|v| {
            let copy = fleet.root.join(format!("clean-v{}.git", v + 1));
            git(
                &fleet.root,
                &["clone", "-q", "--bare", d, copy.to_str().unwrap()],
            );
            let run = commit(&fleet.inv[v], &copy);
            assert_eq!(run.status, 0, "{}", run.stderr);
            listing(&copy, "main")
        })
        .collect();
    assert_ne!(clean[0], clean[1]);

    let mut b = Branch {
        deploy: &deploy,
        clean: &clean,
        at: 0,
        log: String::new(),
        locks: 0,
        scraps: 0,
        unindexed: BTreeSet::new(),
        messages: Default::default(),
        checking: Duration::ZERO,
    };
    let before = b.head();
    b.committed(commit(&fleet.inv[0], &deploy), 0, &before);
    let mut when = Schedule::new(0x9e37_79b9_7f4a_7c15);
    for _ in 0..4 {
        let (to, before) = (1 - b.at, b.head());
        let run = when.timed(|| commit(&fleet.inv[to], &deploy));
        b.committed(run, to, &before);
    }
    println!(
        "compile --commit: {} files in the branch; a whole commit takes about {:?}",
        clean[0].lines().count(),
        when.run_time()
    );

    let (mut t, mut whole) = (Tally::default(), 0);
    for round in 1.. {
        if t.killed >= KILLS {
            break;
        }
        assert!(round < 300, "the kills keep missing the commits");
        let (to, before) = (1 - b.at, b.head());
        if round % 15 == 0 {
            let run = when.timed(|| commit(&fleet.inv[to], &deploy));
            b.committed(run, to, &before);
            whole += 1;
            continue;
        }
        let cmd = fleetc_command(&fleet.inv[to], &["compile", "--repo", d, "--commit"]);
        let (ended, delay) = when.kill(cmd);
        let was_killed = ended.killed();
        let moved = b.after_kill(&fleet.inv[to], to, &before, &format!("a kill at {delay:?}"));
        t.record(was_killed, moved);
    }
    println!(
        "compile --commit: {} SIGKILLs: after {} the branch was at the old commit, after {} \
         at a whole new one (killed after the ref update); a stale refs/heads/main.lock was met {} \
         times, scraps in fleetc's packing folder {} times, and {} packs without their \
         index ({whole} commits ran to their end between the kills, and {} more ended \
         before their kill)",
        t.killed,
        t.old,
        t.new,
        b.locks,
        b.scraps,
        b.unindexed.len(),
        t.ended
    );
    assert!(t.old > 0, "no kill ever stopped a commit");

    // Kills aimed at the ref update: the moment its lock file appears.
    let lock = deploy.join("refs/heads/main.lock");
    let (mut aimed, locks) = (Tally::default(), b.locks);
    for _ in 0..12 {
        let (to, before) = (1 - b.at, b.head());
        let cmd = fleetc_command(&fleet.inv[to], &["compile", "--repo", d, "--commit"]);
        let was_killed = kill_when_present(cmd, &lock).killed();
        let moved = b.after_kill(&fleet.inv[to], to, &before, "a kill aimed at the ref lock");
        aimed.record(was_killed, moved);
    }
    println!(
        "compile --commit: {} SIGKILLs aimed at the ref lock: after {} the branch was at \
         the old commit, after {} at a whole new one; the lock was left behind {} times \
         ({} commits ended before the aim)",
        aimed.killed,
        aimed.old,
        aimed.new,
        b.locks - locks,
        aimed.ended
    );
    for m in &b.messages {
        print!("fleetc said, on a stale lock: {m}");
    }
    println!(
        "compile --commit: the log holds {} entries; the checks after the kills (git fsck --strict, \
         the log, the tree) took {:?} in all",
        b.log.lines().filter(|l| l.contains("\"kind\":\"compile\"")).count(),
        b.checking
    );
    // Afterwards a compile goes on from wherever the branch is.
    let (to, before) = (1 - b.at, b.head());
    b.committed(commit(&fleet.inv[to], &deploy), to, &before);
    fsck(&deploy);
}

/// How a test makes a folder unwritable, where that works.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Way {
    /// `chmod 0555`, fleetc run as this user (stops writes unless root).
    Mode,
    /// `chmod 0555`, fleetc run as `nobody` through `setpriv` (as root).
    ModeAsNobody,
    /// `chattr +i`: stops even root.
    Immutable,
    /// A read-only bind mount of the folder over itself: stops even root.
    ReadOnlyMount,
}

impl Way {
    /// Who runs fleetc, so that the way stops its writes.
    fn command(self) -> Command {
        let bin = crate::support::bin();
        let mut cmd = if self == Way::ModeAsNobody {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(&bin);
            c
        } else {
            Command::new(bin)
        };
        cmd.env("NO_COLOR", "1");
        cmd
    }

    fn fleetc(self, cwd: &Path, args: &[&str]) -> Run {
        let out = self.command().args(args).current_dir(cwd).output().unwrap();
        Run {
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Whoever runs fleetc this way can create a folder in `dir`.
    fn can_write(self, dir: &Path) -> bool {
        let probe = dir.join(".fleetc-test-probe");
        let ok = if self == Way::ModeAsNobody {
            Command::new("setpriv")
                .args(["--reuid=65534", "--regid=65534", "--clear-groups", "mkdir"])
                .arg(&probe)
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        } else {
            fs::create_dir(&probe).is_ok()
        };
        let _ = fs::remove_dir(&probe);
        ok
    }
}

/// Runs a command quietly; `true` when it ran and succeeded.
fn quietly(program: &str, args: &[&OsStr]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A folder made unwritable one way; undone on drop, also when a test fails.
struct Unwritable {
    dir: PathBuf,
    way: Way,
    mode: u32,
}

impl Unwritable {
    /// `None` when `way` does not stop writes to `dir` here (root ignores
    /// permission bits; chattr or mount may be missing or not allowed).
    fn new(dir: &Path, way: Way) -> Option<Unwritable> {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir).unwrap().permissions().mode() & 0o7777;
        let d = dir.as_os_str();
        let applied = match way {
            Way::Mode | Way::ModeAsNobody => {
                fs::set_permissions(dir, fs::Permissions::from_mode(0o555)).is_ok()
            }
            Way::Immutable => quietly("chattr", &[OsStr::new("+i"), d]),
            Way::ReadOnlyMount => {
                quietly("mount", &[OsStr::new("--bind"), d, d])
                    && (quietly(
                        "mount",
                        &[OsStr::new("-o"), OsStr::new("remount,ro,bind"), d],
                    ) || !quietly("umount", &[d]))
            }
        };
        let guard = Unwritable {
            dir: dir.to_path_buf(),
            way,
            mode,
        };
        if applied && !way.can_write(dir) {
            Some(guard)
        } else {
            if !applied {
                std::mem::forget(guard); // nothing to undo
            }
            None
        }
    }
}

impl Drop for Unwritable {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        let d = self.dir.as_os_str();
        match self.way {
            Way::Mode | Way::ModeAsNobody => {
                let _ = fs::set_permissions(&self.dir, fs::Permissions::from_mode(self.mode));
            }
            Way::Immutable => {
                quietly("chattr", &[OsStr::new("-i"), d]);
            }
            Way::ReadOnlyMount => {
                if !quietly("umount", &[d]) {
                    quietly("umount", &[OsStr::new("-l"), d]);
                }
            }
        }
    }
}

/// The ways that work on this machine, as this user.
fn ways(scratch: &Path) -> Vec<Way> {
    use std::os::unix::fs::MetadataExt;
    fs::create_dir_all(scratch).unwrap();
    let root = fs::metadata(scratch).unwrap().uid() == 0;
    let mut found = Vec::new();
    for way in [
        Way::Mode,
        Way::ModeAsNobody,
        Way::Immutable,
        Way::ReadOnlyMount,
    ] {
        if way == Way::ModeAsNobody && !(root && quietly("setpriv", &[OsStr::new("--help")])) {
            continue;
        }
        let probe = scratch.join(format!("probe-{way:?}"));
        fs::create_dir_all(&probe).unwrap();
        if way == Way::ModeAsNobody {
            std::os::unix::fs::chown(&probe, Some(65534), Some(65534)).unwrap();
        }
        match Unwritable::new(&probe, way) {
            Some(_) => found.push(way),
            None => println!("{way:?} does not stop writes here (root: {root})"),
        }
    }
    found
}

/// An output folder that cannot be written, because its parent or the
/// folder itself is read-only: fleetc exits 1 with an error naming the
/// path, the old tree stays as it was, nothing is left beside it, and once
/// the folder is writable again the compile succeeds.
#[test]
fn an_unwritable_output_folder_fails_naming_the_path_and_keeps_the_old_tree() {
    use std::os::unix::fs::PermissionsExt;
    let fleet = Fleet::new(20);
    // `nobody` may need to read the inventories.
    fs::set_permissions(&fleet.root, fs::Permissions::from_mode(0o755)).unwrap();
    let trees = [fleet.clean_tree(0), fleet.clean_tree(1)];
    let ways = ways(&fleet.root.join("probes"));
    if ways.is_empty() {
        println!("SKIPPED: nothing makes a folder unwritable here");
        return;
    }
    for way in ways {
        for target in ["parent", "folder"] {
            let site = fleet.root.join(format!("site-{way:?}-{target}"));
            fs::create_dir_all(&site).unwrap();
            if way == Way::ModeAsNobody {
                std::os::unix::fs::chown(&site, Some(65534), Some(65534)).unwrap();
            }
            let out = site.join("out");
            let o = out.to_str().unwrap();
            let first = way.fleetc(&fleet.inv[0], &["compile", "--out", o]);
            assert_eq!(first.status, 0, "{}", first.stderr);

            let unwritable = if target == "parent" { &site } else { &out };
            let guard = Unwritable::new(unwritable, way)
                .unwrap_or_else(|| panic!("{way:?} stopped writes to a probe, not to {target}"));
            let run = way.fleetc(&fleet.inv[1], &["compile", "--out", o]);
            println!(
                "{way:?}, the {target} read-only: exit {}: {}",
                run.status,
                run.stderr.trim_end()
            );
            assert_eq!(run.status, 1, "{way:?} {target}: {}", run.stderr);
            let error = run
                .stderr
                .lines()
                .find(|l| l.starts_with("error: "))
                .unwrap_or_else(|| panic!("no error line: {}", run.stderr));
            assert!(
                error.contains(site.to_str().unwrap()),
                "{way:?} {target}: the error names no path in {}: {error}",
                site.display()
            );
            assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
            let tree = read_tree(&out);
            assert!(
                tree == trees[0],
                "{way:?} {target}: {}",
                tree_diff(&tree, &trees[0])
            );
            assert_eq!(leftovers(&out), Vec::<String>::new(), "{way:?} {target}");

            drop(guard);
            let again = way.fleetc(&fleet.inv[1], &["compile", "--out", o]);
            assert_eq!(again.status, 0, "{way:?} {target}: {}", again.stderr);
            let tree = read_tree(&out);
            assert!(
                tree == trees[1],
                "{way:?} {target}: {}",
                tree_diff(&tree, &trees[1])
            );
            assert_eq!(leftovers(&out), Vec::<String>::new(), "{way:?} {target}");
        }
    }
}

/// A read-only folder of the user's own inside the output folder is kept
/// like any other file fleetc did not write (README: "Files in `DIR` that
/// fleetc did not write are kept").
#[test]
fn a_read_only_folder_of_the_users_inside_the_output_is_kept() {
    use std::os::unix::fs::PermissionsExt;
    let fleet = Fleet::new(20);
    fs::set_permissions(&fleet.root, fs::Permissions::from_mode(0o755)).unwrap();
    let clean_v2 = fleet.clean_tree(1);
    let Some(way) = ways(&fleet.root.join("probes"))
        .into_iter()
        .find(|w| matches!(w, Way::Mode | Way::ModeAsNobody))
    else {
        println!("SKIPPED: permission bits stop no one here");
        return;
    };
    let site = fleet.root.join("site");
    fs::create_dir_all(&site).unwrap();
    let out = site.join("out");
    let o = out.to_str().unwrap();
    if way == Way::ModeAsNobody {
        std::os::unix::fs::chown(&site, Some(65534), Some(65534)).unwrap();
    }
    let run = way.fleetc(&fleet.inv[0], &["compile", "--out", o]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let docs = out.join("docs");
    fs::create_dir(&docs).unwrap();
    fs::write(docs.join("notes.md"), "ours\n").unwrap();
    if way == Way::ModeAsNobody {
        for p in [&docs, &docs.join("notes.md")] {
            std::os::unix::fs::chown(p, Some(65534), Some(65534)).unwrap();
        }
    }
    let _read_only = Unwritable::new(&docs, way).unwrap();

    let run = way.fleetc(&fleet.inv[1], &["compile", "--out", o]);
    assert_eq!(run.status, 0, "{way:?}: {}", run.stderr);
    let mut want = clean_v2;
    want.insert("docs/notes.md".to_string(), b"ours\n".to_vec());
    let tree = read_tree(&out);
    assert!(tree == want, "{}", tree_diff(&tree, &want));
}

/// An output folder deleted between two compiles (alone, or with its
/// parent) is created anew, whole; one replaced by a file is refused by
/// name, and the file is left alone.
#[test]
fn a_vanished_output_folder_is_created_anew() {
    let fleet = Fleet::new(20);
    let trees = [fleet.clean_tree(0), fleet.clean_tree(1)];
    let site = fleet.root.join("site");
    let out = site.join("out");
    let o = out.to_str().unwrap();
    let compile = |v: usize| {
        let run = fleetc(&fleet.inv[v], &["compile", "--out", o]);
        assert_eq!(run.status, 0, "{}", run.stderr);
        let tree = read_tree(&out);
        assert!(tree == trees[v], "{}", tree_diff(&tree, &trees[v]));
        assert_eq!(leftovers(&out), Vec::<String>::new());
    };
    compile(0);
    fs::remove_dir_all(&out).unwrap();
    compile(1);
    fs::remove_dir_all(&site).unwrap();
    compile(0);

    fs::remove_dir_all(&out).unwrap();
    fs::write(&out, "not a folder\n").unwrap();
    let run = fleetc(&fleet.inv[1], &["compile", "--out", o]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stderr.contains(o), "{}", run.stderr);
    assert!(
        run.stderr.contains("not a folder") || run.stderr.contains("Not a directory"),
        "{}",
        run.stderr
    );
    println!(
        "fleetc said, on a file where the folder was: {}",
        run.stderr.trim_end()
    );
    assert_eq!(fs::read(&out).unwrap(), b"not a folder\n");
}

/// A `refs/heads/main.lock` left behind (by a killed git or fleetc): the
/// commit exits 1 naming the lock and how to clear it, nothing is
/// committed and the lock is not touched; once it is removed, the compile
/// succeeds and the log goes on at the next entry.
#[test]
fn a_stale_ref_lock_is_named_and_nothing_is_committed_until_it_is_removed() {
    let fleet = Fleet::new(20);
    let deploy = seed_deploy_repo(&fleet.root);
    let run = commit(&fleet.inv[0], &deploy);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let head = git(&deploy, &["rev-parse", "main"]);
    let log = check_log(&deploy);

    // Git writes the new id into the lock before renaming it into place.
    let lock = deploy.join("refs/heads/main.lock");
    fs::write(&lock, &head).unwrap();
    let run = commit(&fleet.inv[1], &deploy);
    println!("fleetc said: {}", run.stderr.trim_end());
    assert_eq!(run.status, 1, "{}{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("committed"), "{}", run.stdout);
    // The message names the lock as a path in the repository, and says to
    // remove it.
    let named = run
        .stderr
        .split('`')
        .find(|s| s.ends_with("main.lock"))
        .unwrap_or_else(|| panic!("the lock is not named: {}", run.stderr));
    assert!(
        deploy.join(named) == lock,
        "`{named}` is not the lock file {}",
        lock.display()
    );
    assert!(run.stderr.contains("remove"), "{}", run.stderr);
    assert_eq!(
        git(&deploy, &["rev-parse", "main"]),
        head,
        "the branch moved"
    );
    assert_eq!(
        fs::read_to_string(&lock).unwrap(),
        head,
        "the lock was touched"
    );
    assert_eq!(check_log(&deploy), log);

    fs::remove_file(&lock).unwrap();
    let run = commit(&fleet.inv[1], &deploy);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains("(log entry 2)"), "{}", run.stdout);
    assert_eq!(git(&deploy, &["rev-parse", "main~1"]), head);
    fsck(&deploy);
    assert!(check_log(&deploy).starts_with(&log));
}
