//! The command line: clap types only, one `Args` struct per command.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// fleetc compiles a GitOps fleet inventory (clusters, apps, teams, target
/// policies) into Argo CD Applications and AppProjects.
#[derive(Debug, Parser)]
#[command(name = "fleetc", version, about, max_term_width = 100)]
pub(crate) struct Cli {
    /// The inventory folder (default: the current folder).
    #[arg(short, long, global = true, value_name = "DIR")]
    pub inventory: Option<PathBuf>,

    /// No progress line on stderr (shown only on a terminal, for runs of
    /// more than half a second).
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// Where the rendered tree lives: a folder, or a branch of a git repo.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct Target {
    /// A folder holding the rendered tree.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// A git repository (bare or not) holding the rendered tree on a branch.
    #[arg(long, value_name = "PATH")]
    pub repo: Option<PathBuf>,
}

/// Parses the command line. On a mistake (or `--help`, `--version`) clap's
/// message is printed and the exit code is returned: 0 for help and the
/// version, 1 for a usage mistake (2 means "changes found" to fleetc).
pub(crate) fn parse() -> Result<Cli, i32> {
    Cli::try_parse().map_err(|e| {
        let _ = e.print();
        match e.kind() {
            clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                crate::cli::EXIT_OK
            }
            _ => crate::cli::EXIT_USER,
        }
    })
}

/// `--max-bytes`: a number of bytes, at least 2,048.
fn comment_bytes(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n >= 2048 => Ok(n),
        Ok(_) => Err("a comment needs at least 2048 bytes, room for the summary and one change (GitHub's limit is 65536)".into()),
        Err(_) => Err("a number of bytes, e.g. 60000".into()),
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Load and validate the inventory; print every problem with file:line.
    ///
    /// Checks names, labels, references, selectors, values, dependency
    /// cycles, and renders the whole fleet in memory to catch name and file
    /// collisions. Writes nothing. Exit 0 when the inventory is valid, 1 when not.
    ///
    /// `--format json` prints the same on stdout as one JSON object, for CI
    /// annotations: `ok`, `summary`, `notes`, and `problems`, each with
    /// `file`, `line`, `message` and `hint` (null where there is none).
    Check(CheckArgs),
    /// Render the fleet into a folder, or commit it to a git branch.
    ///
    /// Renders everything in memory first; any problem aborts before anything
    /// is written. `--out DIR` replaces the folder atomically (a reader sees
    /// the old tree or the new one); files fleetc did not write are kept, and
    /// files it wrote before and no longer renders are removed.
    /// `--repo PATH --commit` commits the tree to the branch with no checkout
    /// needed, appends to the deployment log, and moves the branch only if no
    /// one else moved it meanwhile. Nothing changed: nothing is written.
    Compile(CompileArgs),
    /// Show what a compile would change, without writing anything.
    ///
    /// Against a folder (--out), a deploy branch (--repo), or the same
    /// inventory at another git revision (--base REV: both sides are rendered
    /// from the inventory repository; this is what a pull-request job runs).
    Diff(DiffArgs),
    /// Why an app is on a cluster or not, and where each of its values comes from.
    ///
    /// With CLUSTER: every policy, term by term, with the labels that decided
    /// it; the Application's name and file; each merged value with the layer,
    /// file and line that set it and what it overrode. Without: the clusters
    /// the app lands on, exclusions, and near misses (one term away).
    Explain(ExplainArgs),
    /// Inventory reporting: the matrix, what a cluster runs, where an app runs.
    Query(QueryArgs),
    /// Write the cluster × app matrix as one self-contained HTML page.
    ///
    /// No network, no external assets: open it in any browser. Clusters are
    /// grouped by a label; hover a cell for the policies behind it; filter
    /// clusters by name or label.
    Report(ReportArgs),
    /// Print a JSON Schema of the inventory documents, for editors.
    ///
    /// yaml-language-server validates and completes a file against it:
    /// `fleetc schema cluster > schemas/cluster.json`, then put
    /// `# yaml-language-server: $schema=../schemas/cluster.json` at the top of
    /// each cluster file (or map globs to schemas in the editor's settings).
    Schema(SchemaArgs),
    /// Print a shell completion script.
    ///
    /// bash: `fleetc completions bash > ~/.local/share/bash-completion/completions/fleetc`;
    /// zsh: `fleetc completions zsh > ~/.zfunc/_fleetc`;
    /// fish: `fleetc completions fish > ~/.config/fish/completions/fleetc.fish`.
    Completions(CompletionsArgs),
    /// The deployment history: when did app X reach cluster Y, and why.
    Log(LogArgs),
    /// Take a ring rollout to its next ring: edits `rollout.promoted` in
    /// the policy's (or app's) file in place, keeping comments and layout.
    ///
    /// Without `--to`, the next ring that holds clusters (empty rings are
    /// skipped, and named). `--to` an earlier ring rolls back. Review the
    /// edit with `fleetc diff`, commit it, and the next compile deploys it.
    ///
    /// A rollout with a `gate` is promoted only given Argo CD's exports
    /// (`--from`): every pair of the rings promoted so far must be DEPLOYED
    /// at the rollout's revision, healthy, for the gate's `soak`; otherwise
    /// it exits 1 naming the pairs that hold it back. `--force --reason`
    /// promotes past the gate and records the reason.
    Promote(PromoteArgs),
    /// Return a ring rollout's rings to the revision they ran before it:
    /// sets `rollout.revision` to that revision and `rollout.promoted` to
    /// the first ring, in place, keeping comments and layout.
    Rollback(RollbackArgs),
    /// Ring rollouts, live: each rollout's rings, their pairs' states and
    /// one verdict (promote, wait, halt, done).
    #[command(subcommand)]
    Rollout(RolloutCommand),
    /// Desired vs live: each placed pair against what Argo CD reports.
    ///
    /// Reads exports of Argo CD's Applications, offline: `argocd app list
    /// -o json > FILE` or `kubectl get applications.argoproj.io -A -o json >
    /// FILE`, one per cluster's Argo CD (or one of a hub). Each pair is
    /// DEPLOYED (same spec, Synced and Healthy), STALE (with what differs),
    /// NOT INSTALLED, or UNKNOWN (no export of its cluster, a filtered one,
    /// or one older than --max-age); fleetc's Applications that nothing
    /// places are ORPHANED. Exit 0, or with --exit-code 2 when any shown
    /// row is not DEPLOYED.
    Status(StatusArgs),
}

/// Where Argo CD's view of the fleet comes from (`status`, and the live
/// state in `explain` and `report`).
#[derive(Debug, Args)]
pub(crate) struct LiveArgs {
    /// Exports of Argo CD's Applications: files, or folders of `*.json`
    /// files (repeat it, or give several).
    #[arg(long, value_name = "FILE|DIR", num_args = 1..)]
    pub from: Vec<PathBuf>,
    /// Older than this, what an export says is not trusted (UNKNOWN):
    /// measured from its newest `status.reconciledAt` (`90s`, `30m`, `2h`, `1d`).
    #[arg(long, value_name = "AGE", default_value = "1h")]
    pub max_age: String,
    /// Measure ages from this time instead of the clock (`2026-11-30T12:00:00Z`).
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}

// `fleetc status`
#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    pub live: LiveArgs,
    /// Only this app's Applications (its name, or an Application's).
    #[arg(long, value_name = "A")]
    pub app: Option<String>,
    /// Only this cluster's Applications (its name, its `shortName`, or an
    /// Application's name).
    #[arg(long, value_name = "C")]
    pub cluster: Option<String>,
    /// Only rows in these states (repeat it, or separate with commas).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<StateArg>,
    /// How to print: an aligned table, JSON, or CSV.
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
    /// Exit 2 when any row shown is not DEPLOYED (for CI).
    #[arg(long)]
    pub exit_code: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum StateArg {
    Deployed,
    Stale,
    NotInstalled,
    Unknown,
    Orphaned,
}

/// `fleetc rollout …`
#[derive(Debug, Subcommand)]
pub(crate) enum RolloutCommand {
    /// Where each rollout stands against its gate, from Argo CD's exports.
    ///
    /// One verdict per rollout: `promote` (the gate is met: run `fleetc
    /// promote`), `wait` (a pair syncs or soaks, or a sync window keeps the
    /// next ring closed; with the time left), `halt` (a pair is Degraded,
    /// its sync failed, or more than `max_unhealthy` are unhealthy: roll
    /// back), `done` (the last ring has it). Exit 0 for promote and done,
    /// 2 for wait, 3 for halt, 1 for an error.
    Status(RolloutStatusArgs),
}

// `fleetc rollout status`
#[derive(Debug, Args)]
pub(crate) struct RolloutStatusArgs {
    /// Only this policy's rollout (with `--app`: this app's).
    pub name: Option<String>,
    /// NAME is an app with its own `rollout`, not a policy.
    #[arg(long, requires = "name")]
    pub app: bool,
    #[command(flatten)]
    pub live: LiveArgs,
    /// How to print: text, or JSON for scripts.
    #[arg(long, value_enum, default_value_t = TextFormat::Text)]
    pub format: TextFormat,
}

/// Text for people, JSON for programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum TextFormat {
    Text,
    Json,
}

// `fleetc rollback`
#[derive(Debug, Args)]
pub(crate) struct RollbackArgs {
    /// The policy whose `rollout` to roll back (with `--app`: the app).
    pub name: String,
    /// NAME is an app with its own `rollout`, not a policy.
    #[arg(long)]
    pub app: bool,
    /// Print what would move; edit nothing.
    #[arg(long)]
    pub dry_run: bool,
}

// `fleetc promote`
#[derive(Debug, Args)]
pub(crate) struct PromoteArgs {
    /// The policy whose `rollout` to promote (with `--app`: the app).
    pub name: String,
    /// The ring to promote to (default: the next ring with clusters).
    #[arg(long, value_name = "RING")]
    pub to: Option<String>,
    /// NAME is an app with its own `rollout`, not a policy.
    #[arg(long)]
    pub app: bool,
    /// Print what would move; edit nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Argo CD's exports, to check the rollout's gate against.
    #[command(flatten)]
    pub live: LiveArgs,
    /// Promote past the gate (or without exports); needs --reason.
    #[arg(long, requires = "reason")]
    pub force: bool,
    /// Why the gate is passed over: written into the rollout's `forced`
    /// and into the log entry of the commit that deploys it.
    #[arg(long, value_name = "TEXT", requires = "force")]
    pub reason: Option<String>,
}

// `fleetc compile`
#[derive(Debug, Args)]
pub(crate) struct CompileArgs {
    #[command(flatten)]
    pub target: Target,
    /// With --repo: the branch (default: the one HEAD names, or `main`).
    #[arg(long, value_name = "B", requires = "repo")]
    pub branch: Option<String>,
    /// With --repo: commit (required, so that committing is always asked for).
    #[arg(long, requires = "repo")]
    pub commit: bool,
    /// Write nothing; exit 2 when the rendered tree there is out of date.
    #[arg(long, conflicts_with = "commit")]
    pub check: bool,
    /// Allow a compile that removes more Applications than the removal
    /// guard allows (removal_guard in fleetc.yaml), or empties the tree.
    #[arg(long)]
    pub allow_removals: bool,
    /// Compile one shard of the fleet: the files of the clusters this label
    /// selector matches (`region in (east)`), with the fleet-wide ones, for
    /// a deploy repo of the shard's own. The whole fleet is still placed
    /// and checked.
    #[arg(long, value_name = "SELECTOR")]
    pub clusters: Option<String>,
}

// `fleetc diff`
#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// A folder holding the rendered tree.
    #[arg(long, value_name = "DIR", group = "against")]
    pub out: Option<PathBuf>,
    /// A git repository holding the rendered tree on a branch.
    #[arg(long, value_name = "PATH", group = "against")]
    pub repo: Option<PathBuf>,
    /// The inventory at another revision of its git repository.
    #[arg(long, value_name = "REV", group = "against")]
    pub base: Option<String>,
    /// With --repo: the branch.
    #[arg(long, value_name = "B", requires = "repo")]
    pub branch: Option<String>,
    /// With --out or --repo: compare one shard of the fleet, as `compile
    /// --clusters SELECTOR` writes it.
    #[arg(long, value_name = "SELECTOR", conflicts_with = "base")]
    pub clusters: Option<String>,
    /// How to print: text, Markdown (a pull-request comment), or JSON.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 2 when there are changes.
    #[arg(long)]
    pub exit_code: bool,
    /// Markdown: the most bytes to print (a PR comment holds 65,536; at
    /// least 2,048, room for the summary and one change).
    #[arg(long, value_name = "BYTES", default_value_t = 60_000, value_parser = comment_bytes)]
    pub max_bytes: usize,
    /// Markdown: write the whole comment, cut into numbered comments of at
    /// most --max-bytes each, as DIR/comment-1.md, comment-2.md, ...; print
    /// their paths.
    #[arg(long, value_name = "DIR")]
    pub split: Option<PathBuf>,
    /// Markdown: count the changes by cluster group, the value of this
    /// label (default: region, else environment, as `report`).
    #[arg(long, value_name = "LABEL")]
    pub group_by: Option<String>,
}

// `fleetc explain`
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The app, or the name of one of its Applications (`pos-api-lab01`:
    /// then no CLUSTER is needed).
    pub app: String,
    /// The cluster: its name, its `shortName`, or an Application's name.
    pub cluster: Option<String>,
    /// How to print: text, or JSON for scripts.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub format: LogFormat,
    /// With CLUSTER: also what Argo CD reports for it, from these exports.
    #[command(flatten)]
    pub live: LiveArgs,
}

// `fleetc check`
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// How to print: text (problems on stderr), or one JSON object on stdout.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub format: LogFormat,
}

// `fleetc query`
#[derive(Debug, Args)]
pub(crate) struct QueryArgs {
    #[command(subcommand)]
    pub what: Query,
    /// Only clusters this selector matches (`region in (east,west)`, or a
    /// YAML map like `{gpu: "true"}` or `{matchExpressions: [...]}`).
    #[arg(long, value_name = "S", global = true)]
    pub selector: Option<String>,
    /// How to print: an aligned table, JSON, or CSV.
    #[arg(long, value_enum, default_value_t = TableFormat::Table, global = true)]
    pub format: TableFormat,
    /// A deploy repository: adds each Application's last change from its
    /// deployment log (`apps` and `clusters`).
    #[arg(long, value_name = "PATH", global = true)]
    pub repo: Option<PathBuf>,
    /// The deploy branch (with `--repo`; default: the one HEAD names, or `main`).
    #[arg(long, value_name = "B", global = true, requires = "repo")]
    pub branch: Option<String>,
}

// `fleetc report`
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// The file to write.
    #[arg(long, value_name = "FILE")]
    pub html: PathBuf,
    /// Group clusters by this label (default: region, else environment).
    #[arg(long, value_name = "LABEL")]
    pub group_by: Option<String>,
    /// Colour each cell by its live status, from these exports.
    #[command(flatten)]
    pub live: LiveArgs,
}

// `fleetc schema`
#[derive(Debug, Args)]
pub(crate) struct SchemaArgs {
    /// Which documents.
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(crate::load::schema::KINDS), default_value = "inventory")]
    pub kind: String,
}

// `fleetc log`
#[derive(Debug, Args)]
pub(crate) struct LogArgs {
    /// The deploy repository.
    #[arg(long, value_name = "PATH")]
    pub repo: PathBuf,
    /// The branch (default: the one HEAD names, or `main`).
    #[arg(long, value_name = "B")]
    pub branch: Option<String>,
    /// Only events of this app.
    #[arg(long, value_name = "A")]
    pub app: Option<String>,
    /// Only events on this cluster.
    #[arg(long, value_name = "C")]
    pub cluster: Option<String>,
    /// Only entries at or after this time (2026-11-21, 2026-11-21T17:00:00Z, or 7d, 12h, 30m ago).
    #[arg(long, value_name = "T")]
    pub since: Option<String>,
    /// Oldest first (default: newest first).
    #[arg(long)]
    pub oldest_first: bool,
    /// How to print: text, or a JSON array of the entries.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub format: LogFormat,
}

// `fleetc completions`
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to write the script for.
    pub shell: clap_complete::Shell,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Text,
    Markdown,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Query {
    /// The cluster × app matrix: placed (●), excluded (x) or not (·).
    Matrix,
    /// The apps a cluster runs.
    Apps {
        /// The cluster: its name, its `shortName`, or one of its
        /// Applications' names.
        #[arg(long, value_name = "C")]
        cluster: String,
    },
    /// The clusters an app runs on.
    Clusters {
        /// The app: its name, or one of its Applications' names.
        #[arg(long, value_name = "A")]
        app: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum TableFormat {
    Table,
    Json,
    Csv,
}

#[cfg(test)]
mod help_tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Every command, and every argument of every command, says what it
    /// is in `--help` (`query apps --help` once left `--cluster` bare).
    #[test]
    fn every_command_and_argument_has_help() {
        fn walk(cmd: &clap::Command, path: &str, bare: &mut Vec<String>) {
            if cmd.get_about().is_none() && !path.is_empty() {
                bare.push(format!("{path}: the command"));
            }
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id != "help" && id != "version" && arg.get_help().is_none() {
                    bare.push(format!("{path}: {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), bare);
            }
        }
        let mut bare = Vec::new();
        walk(&Cli::command(), "", &mut bare);
        assert!(bare.is_empty(), "without help: {bare:#?}");
    }
}
