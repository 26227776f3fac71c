//! The GitHub Action at the repository root (`action.yml`), run as a runner
//! runs a composite action: the inputs get their defaults, each step's
//! `if:` is evaluated, its `env:` filled in from the expression contexts,
//! and its `run:` text handed to `bash --noprofile --norc -eo pipefail`
//! with `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `GITHUB_PATH` and
//! `RUNNER_TEMP` as a runner sets them. What the tests cannot run stands in:
//! `gh` is a stub that keeps the pull requests' comments and records its
//! calls, `cargo` a stub that "installs" this build's fleetc, and
//! `actions/checkout` is a clone (a shallow one, as it makes by default).
//!
//! The evaluator knows only what the action uses: `${{ a.b.c }}` context
//! paths, and `if:` conditions of `path == 'literal'` (or `!=`) joined by
//! `&&`. Anything else in action.yml fails here, on purpose.

use std::collections::BTreeMap;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value as Json};
use serde_yaml::Value;

use crate::support::{bin, copy_tree, example_inventory_repo, fsck, git, repo, seed_deploy_repo};

fn action() -> Value {
    let text = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

/// A scalar as the runner reads it: a string (`true` and `60000` too).
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        other => panic!("not a scalar: {other:?}"),
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The expression contexts, flattened: `inputs.command`,
/// `github.event.pull_request.number`, `steps.diff.outputs.changed`.
#[derive(Default)]
struct Contexts(BTreeMap<String, String>);

impl Contexts {
    fn set(&mut self, path: impl Into<String>, value: impl Into<String>) {
        self.0.insert(path.into(), value.into());
    }

    /// A context path's value; an absent `github.…` or `steps.…` property
    /// is null, which reads as `''`. An undeclared input is a typo.
    fn get(&self, path: &str) -> String {
        let path = path.trim();
        let plain = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        assert!(
            path.split('.').all(plain),
            "the test evaluates context paths only, not `{path}`"
        );
        match self.0.get(path) {
            Some(v) => v.clone(),
            None if path.starts_with("github.") || path.starts_with("steps.") => String::new(),
            None => panic!("`{path}` is in no context the action has"),
        }
    }

    /// `text` with each `${{ path }}` replaced by its value.
    fn substitute(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find("${{") {
            let end = rest[at..].find("}}").expect("an unclosed ${{") + at;
            out.push_str(&rest[..at]);
            out.push_str(&self.get(&rest[at + 3..end]));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// An `if:`: `path == 'literal'` or `path != 'literal'`, joined by
    /// `&&`. Strings compare without regard to case, as GitHub's do.
    fn condition(&self, cond: &str) -> bool {
        let cond = cond.trim();
        let cond = cond
            .strip_prefix("${{")
            .and_then(|c| c.strip_suffix("}}"))
            .unwrap_or(cond);
        cond.split("&&").all(|term| {
            let (path, literal, equal) = match (term.split_once("=="), term.split_once("!=")) {
                (Some((p, l)), None) => (p, l, true),
                (None, Some((p, l))) => (p, l, false),
                _ => panic!("the test evaluates `a == 'b'` and `a != 'b'` only, not `{term}`"),
            };
            let literal = literal.trim();
            let literal = literal
                .strip_prefix('\'')
                .and_then(|l| l.strip_suffix('\''))
                .unwrap_or_else(|| panic!("not a string literal: `{literal}`"));
            self.get(path).eq_ignore_ascii_case(literal) == equal
        })
    }
}

/// `name=value` lines and `name<<DELIMITER` blocks, as in `GITHUB_OUTPUT`.
fn parse_outputs(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
            out.push((name.to_string(), value.join("\n")));
        } else if let Some((name, value)) = line.split_once('=') {
            out.push((name.to_string(), value.to_string()));
        }
    }
    out
}

/// What a run of the action left: the steps that ran, the exit status of
/// the one that failed (else 0), and what a user sees.
#[derive(Default)]
struct Outcome {
    ran: Vec<String>,
    status: i32,
    stdout: String,
    stderr: String,
    summary: String,
    outputs: BTreeMap<String, String>,
}

impl Outcome {
    fn output(&self, name: &str) -> &str {
        self.outputs.get(name).map(String::as_str).unwrap_or("")
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "status {}, ran {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.status, self.ran, self.stdout, self.stderr
        )
    }
}

/// A runner for one job: a workspace, a tool folder first on the PATH
/// (fleetc, and the `gh` and `cargo` stubs), and the `github` context.
struct Runner {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    workspace: PathBuf,
    github: Contexts,
}

/// `gh`, as far as the action uses it, on a store of the pull requests'
/// comments (`comments.json`: id, issue, user, body, oldest first, as the
/// API lists them) where the job's token is `github-actions[bot]`, as
/// `GITHUB_TOKEN` is. Records each call. Models:
///
/// - `api repos/R/issues/N/comments [--paginate] [--jq JQ]`: pages of 30,
///   the first only without `--paginate`; `--jq` applied to each page,
///   for the one expression the action uses (any other fails loudly);
/// - `api -X PATCH repos/R/issues/comments/ID -F body=@FILE [--silent]`;
/// - `pr comment N --body-file FILE`: a new comment by the bot;
///   `--edit-last` edits the bot's last comment on N, whoever's job made it.
///
/// `gh.fail` names calls that fail as real ones can: `list` (a 502),
/// `edit` and `create` (the 403 of a fork's read-only token).
const GH_STUB: &str = r##"#!/usr/bin/env python3
import json, os, re, sys

STUBS = os.environ["STUBS"]
REPO = os.environ.get("GH_REPO", "")
BOT = {"login": "github-actions[bot]", "type": "Bot"}
JQ = r'.[] | select(.body | startswith("<!-- fleetc-diff ")) | "\(.id) \(.body | split("\n") | .[0])"'
FORBIDDEN = "gh: Resource not accessible by integration (HTTP 403)"


def die(message, status=1):
    sys.stderr.write(message + "\n")
    sys.exit(status)


def unmodelled(why="not modelled"):
    die("gh stub: %s: gh %s" % (why, " ".join(sys.argv[1:])), 64)


def stub_file(name):
    return os.path.join(STUBS, name)


def load():
    if not os.path.exists(stub_file("comments.json")):
        return []
    with open(stub_file("comments.json")) as f:
        return json.load(f)


def save(comments):
    with open(stub_file("comments.json"), "w") as f:
        json.dump(comments, f, indent=2)


def failing(call):
    if not os.path.exists(stub_file("gh.fail")):
        return False
    with open(stub_file("gh.fail")) as f:
        return call in f.read().split()


def public(comment):
    """A comment as the API shows it."""
    shown = {k: v for k, v in comment.items() if k != "issue"}
    shown["html_url"] = "https://github.com/%s/pull/%d#issuecomment-%d" % (
        REPO, comment["issue"], comment["id"])
    return shown


def parse(args, flags, switches):
    """(positionals, {flag: [values]}, {switches given})"""
    pos, values, on = [], {}, set()
    args = iter(args)
    for a in args:
        if a in switches:
            on.add(a)
        elif a in flags:
            value = next(args, None)
            if value is None:
                unmodelled("no value for " + a)
            values.setdefault(flags[a], []).append(value)
        elif a.startswith("-"):
            unmodelled("unknown flag " + a)
        else:
            pos.append(a)
    return pos, values, on


def list_comments(issue, jq, paginate):
    if failing("list"):
        die("gh: Server Error (HTTP 502)")
    mine = [public(c) for c in load() if c["issue"] == issue]
    pages = [mine[i:i + 30] for i in range(0, len(mine), 30)] or [[]]
    for page in pages if paginate else pages[:1]:
        if jq is None:
            print(json.dumps(page))
        elif jq == JQ:
            for c in page:
                if c["body"].startswith("<!-- fleetc-diff "):
                    print("%d %s" % (c["id"], c["body"].split("\n")[0]))
        else:
            unmodelled("jq expression not modelled: %r" % jq)


def edit_comment(comment_id, body, silent):
    comments = load()
    found = [c for c in comments if c["id"] == comment_id]
    if not found:
        die("gh: Not Found (HTTP 404)")
    if failing("edit"):
        die(FORBIDDEN)
    found[0]["body"] = body
    save(comments)
    if not silent:
        print(json.dumps(public(found[0])))


def api(args):
    flags = {"-X": "method", "--method": "method", "--jq": "jq", "-q": "jq",
             "-F": "field", "--field": "field"}
    pos, values, on = parse(args, flags, {"--paginate", "--silent"})
    if len(pos) != 1:
        unmodelled()
    fields = {}
    for field in values.get("field", []):
        key, _, value = field.partition("=")
        if not value.startswith("@"):
            unmodelled("a field that is not @file")
        with open(value[1:]) as f:
            fields[key] = f.read()
    method = values.get("method", ["POST" if fields else "GET"])[-1].upper()
    jq = values.get("jq", [None])[-1]
    listing = re.fullmatch(r"repos/([^/]+/[^/]+)/issues/(\d+)/comments", pos[0])
    one = re.fullmatch(r"repos/([^/]+/[^/]+)/issues/comments/(\d+)", pos[0])
    if (listing or one) and (listing or one).group(1) != REPO:
        die("gh: Not Found (HTTP 404)")
    if listing and method == "GET" and not fields:
        list_comments(int(listing.group(2)), jq, "--paginate" in on)
    elif one and method == "PATCH" and set(fields) == {"body"} and jq is None:
        edit_comment(int(one.group(2)), fields["body"], "--silent" in on)
    else:
        unmodelled()


def pr_comment(args):
    pos, values, on = parse(args, {"--body-file": "body"}, {"--edit-last"})
    if len(pos) != 1 or not pos[0].isdigit() or "body" not in values:
        unmodelled()
    issue = int(pos[0])
    with open(values["body"][-1]) as f:
        body = f.read()
    comments = load()
    if "--edit-last" in on:
        own = [c for c in comments if c["issue"] == issue and c["user"] == BOT]
        if not own:
            die("no comments found for current user")
        if failing("edit"):
            die(FORBIDDEN)
        comment = own[-1]
        comment["body"] = body
    else:
        if failing("create"):
            die(FORBIDDEN)
        new_id = max([c["id"] for c in comments], default=1000) + 1
        comment = {"id": new_id, "issue": issue, "user": BOT, "body": body}
        comments.append(comment)
    save(comments)
    print(public(comment)["html_url"])


with open(stub_file("gh.log"), "a") as f:
    f.write(" ".join(sys.argv[1:]) + "\n")
with open(stub_file("gh.env"), "a") as f:
    f.write("GH_TOKEN=%s GH_REPO=%s\n" % (os.environ.get("GH_TOKEN", ""), REPO))
if sys.argv[1:2] == ["api"]:
    api(sys.argv[2:])
elif sys.argv[1:3] == ["pr", "comment"]:
    pr_comment(sys.argv[3:])
else:
    unmodelled()
"##;

/// Records each call; `install` puts this build's fleetc where cargo
/// would put the one it built.
const CARGO_STUB: &str = r#"#!/bin/sh
echo "$*" >> "$STUBS/cargo.log"
if [ "$1" = install ]; then
  mkdir -p "${CARGO_HOME:-$HOME/.cargo}/bin"
  ln -sf "$FLEETC_UNDER_TEST" "${CARGO_HOME:-$HOME/.cargo}/bin/fleetc"
fi
"#;

/// The python3 interpreter itself (not a shim that needs this HOME).
fn python3() -> PathBuf {
    let out = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3, which runners have");
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

impl Runner {
    /// A runner with this build's fleetc on the PATH.
    fn new() -> Runner {
        let runner = Runner::bare();
        symlink(bin(), runner.tools().join("fleetc")).unwrap();
        runner
    }

    /// A runner with no fleetc anywhere on the PATH.
    fn bare() -> Runner {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let workspace = root.join("workspace");
        for dir in ["workspace", "tools", "stubs", "home"].map(|d| root.join(d)) {
            std::fs::create_dir_all(dir).unwrap();
        }
        for (name, text) in [("gh", GH_STUB), ("cargo", CARGO_STUB)] {
            let path = root.join("tools").join(name);
            std::fs::write(&path, text).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        symlink(python3(), root.join("tools/python3")).unwrap();
        let mut github = Contexts::default();
        github.set("github.repository", "acme/fleet-inventory");
        github.set("github.token", "ghs_job_token");
        github.set("github.workspace", workspace.to_str().unwrap());
        Runner {
            _tmp: tmp,
            root,
            workspace,
            github,
        }
    }

    fn tools(&self) -> PathBuf {
        self.root.join("tools")
    }

    /// A file a stub wrote (`gh.log`, `gh.env`, `cargo.log`), or "".
    fn stub(&self, name: &str) -> String {
        read(&self.root.join("stubs").join(name))
    }

    /// The comments in the `gh` stub's store, oldest first.
    fn comments(&self) -> Vec<Json> {
        let text = self.stub("comments.json");
        if text.is_empty() {
            return Vec::new();
        }
        serde_json::from_str(&text).unwrap()
    }

    fn set_comments(&self, comments: &[Json]) {
        let text = serde_json::to_string_pretty(comments).unwrap();
        std::fs::write(self.root.join("stubs/comments.json"), text).unwrap();
    }

    /// The `gh` calls that fail from now on: `list`, `edit`, `create`.
    fn fail_gh(&self, calls: &str) {
        std::fs::write(self.root.join("stubs/gh.fail"), calls).unwrap();
    }

    /// The `pull_request` event of PR `number` onto `base_sha`.
    fn pull_request(&mut self, number: &str, base_sha: &str) {
        self.github.set("github.event_name", "pull_request");
        self.github.set("github.event.pull_request.number", number);
        self.github
            .set("github.event.pull_request.base.sha", base_sha);
    }

    /// Runs the action's steps in order `with` these inputs, as a
    /// composite action runs: a step that fails ends the run.
    fn run(&self, with: &[(&str, &str)]) -> Outcome {
        let action = action();
        let mut cx = Contexts(self.github.0.clone());
        cx.set("github.action_path", repo().to_str().unwrap());
        let defaults: Vec<(String, String)> = action["inputs"]
            .as_mapping()
            .unwrap()
            .iter()
            .map(|(name, spec)| {
                let default = spec.get("default").map(scalar).unwrap_or_default();
                (format!("inputs.{}", scalar(name)), cx.substitute(&default))
            })
            .collect();
        for (name, value) in defaults {
            cx.set(name, value);
        }
        for (name, value) in with {
            let key = format!("inputs.{name}");
            assert!(cx.0.contains_key(&key), "action.yml has no input `{name}`");
            cx.set(key, *value);
        }
        let mut out = Outcome::default();
        let mut path: Vec<PathBuf> = Vec::new();
        let steps = action["runs"]["steps"].as_sequence().unwrap();
        for (n, step) in steps.iter().enumerate() {
            if let Some(cond) = step.get("if") {
                if !cx.condition(&scalar(cond)) {
                    continue;
                }
            }
            let status = self.step(n, step, &mut cx, &mut path, &mut out);
            if status != 0 {
                out.status = status;
                break;
            }
        }
        for (name, spec) in action["outputs"].as_mapping().unwrap() {
            let value = cx.substitute(&scalar(&spec["value"]));
            out.outputs.insert(scalar(name), value);
        }
        out
    }

    /// Runs step `n`; records its outputs (under `steps.<id>`), its
    /// additions to the PATH, its summary and its output; returns its exit
    /// status.
    fn step(
        &self,
        n: usize,
        step: &Value,
        cx: &mut Contexts,
        path: &mut Vec<PathBuf>,
        out: &mut Outcome,
    ) -> i32 {
        let name = scalar(&step["name"]);
        assert!(
            step.get("uses").is_none(),
            "{name}: the test runs `run:` steps only"
        );
        assert_eq!(scalar(&step["shell"]), "bash", "{name}: shell");
        let run = scalar(&step["run"]);
        assert!(
            !run.contains("${{"),
            "{name}: an expression in `run:` (pass it in `env:`)"
        );
        let temp = self.root.join("runner-temp");
        let files = self.root.join(format!("step-{n}"));
        std::fs::create_dir_all(&temp).unwrap();
        std::fs::create_dir_all(&files).unwrap();
        let script = files.join("script.sh");
        std::fs::write(&script, &run).unwrap();
        let mut cmd = self.command(path);
        cmd.arg(&script)
            .env("RUNNER_TEMP", &temp)
            .env("GITHUB_OUTPUT", files.join("output"))
            .env("GITHUB_STEP_SUMMARY", files.join("summary"))
            .env("GITHUB_PATH", files.join("path"))
            .env("GITHUB_ENV", files.join("env"));
        if let Some(env) = step.get("env").and_then(Value::as_mapping) {
            for (k, v) in env {
                cmd.env(scalar(k), cx.substitute(&scalar(v)));
            }
        }
        let o = cmd.output().unwrap();
        out.ran.push(name);
        out.stdout.push_str(&String::from_utf8_lossy(&o.stdout));
        out.stderr.push_str(&String::from_utf8_lossy(&o.stderr));
        out.summary.push_str(&read(&files.join("summary")));
        if let Some(id) = step.get("id") {
            for (k, v) in parse_outputs(&read(&files.join("output"))) {
                cx.set(format!("steps.{}.outputs.{k}", scalar(id)), v);
            }
        }
        for line in read(&files.join("path")).lines().rev() {
            path.insert(0, PathBuf::from(line));
        }
        o.status.code().unwrap_or(-1)
    }

    /// `bash` as the runner starts it for `shell: bash`, in the workspace,
    /// with the runner's variables and none of this process's git, GitHub
    /// or cargo settings, and a HOME of its own (no one's `user.name`).
    /// The PATH: what steps added, the tool folder (fleetc, the stubs,
    /// python3), then the system's folders bar any that hold a fleetc.
    fn command(&self, added: &[PathBuf]) -> Command {
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .current_dir(&self.workspace);
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy();
            let prefixes = [
                "GIT_", "GITHUB_", "RUNNER_", "GH_", "FLEETC_", "INPUT_", "CARGO",
            ];
            if prefixes.iter().any(|p| k.starts_with(p)) {
                cmd.env_remove(&*k);
            }
        }
        let system = std::env::var_os("PATH").unwrap_or_default();
        let system = std::env::split_paths(&system).filter(|d| !d.join("fleetc").exists());
        let mut dirs: Vec<PathBuf> = added.to_vec();
        dirs.push(self.tools());
        dirs.extend(system);
        let event = self.github.get("github.event_name");
        cmd.env("PATH", std::env::join_paths(dirs).unwrap())
            .env("CI", "true")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_WORKSPACE", &self.workspace)
            .env("GITHUB_ACTION_PATH", repo())
            .env("GITHUB_EVENT_NAME", event)
            .env("HOME", self.root.join("home"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("CARGO_HOME", self.root.join("cargo-home"))
            .env("STUBS", self.root.join("stubs"))
            .env("FLEETC_UNDER_TEST", bin());
        cmd
    }
}

/// An inventory repository of the example fleet with a second commit (a
/// pull request's) that `edit` makes; returns (repo, base commit).
fn inventory_pr(root: &Path, message: &str, edit: impl FnOnce(&Path)) -> (PathBuf, String) {
    let inv = example_inventory_repo(root);
    let base = git(&inv, &["rev-parse", "HEAD"]).trim().to_string();
    edit(&inv);
    git(&inv, &["commit", "-qam", message]);
    (inv, base)
}

/// What actions/checkout does for a pull request: a clone one commit
/// deep (so the base is not there until the action fetches it).
fn checkout_shallow(from: &Path, to: &Path) {
    let url = format!("file://{}", from.display());
    git(
        to.parent().unwrap(),
        &["clone", "-q", "--depth", "1", &url, to.to_str().unwrap()],
    );
}

fn replace_in(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "{from} not in {}", file.display());
    std::fs::write(file, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn check_passes_on_the_example_and_builds_nothing() {
    let r = Runner::new();
    copy_tree(&repo().join("fixtures/example"), &r.workspace);
    let out = r.run(&[("command", "check")]);
    assert_eq!(out.status, 0, "{out}");
    assert_eq!(
        out.ran,
        ["Check the inputs", "Install fleetc", "fleetc check"],
        "{out}"
    );
    assert!(out.stdout.contains("fleetc is on the PATH"), "{out}");
    assert_eq!(r.stub("cargo.log"), "", "the install ran cargo");
    assert!(!out.stdout.contains("::error"), "{out}");
    assert!(out.stdout.contains("::notice::"), "{out}");
    assert!(out.stdout.contains("ok: 18 files"), "{out}");
}

#[test]
fn check_annotates_each_problem_on_its_file_and_line() {
    let r = Runner::new();
    let inv = r.workspace.join("fleet/inventory");
    copy_tree(&repo().join("fixtures/example"), &inv);
    replace_in(&inv.join("apps/pos.yaml"), "name: pos-api", "name: Pos_API");
    let out = r.run(&[("command", "check"), ("inventory", "fleet/inventory")]);
    assert_eq!(out.status, 1, "{out}");
    assert_eq!(out.ran.last().unwrap(), "fleetc check", "{out}");
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("::error file=fleet/inventory/apps/pos.yaml,line=2::"))
        .unwrap_or_else(|| panic!("no annotation on apps/pos.yaml line 2: {out}"));
    assert!(line.contains("app name `Pos_API` is not a valid"), "{line}");
    assert!(line.contains("(use lower case letters"), "{line}");
    // The reference to the old name, on its own line of the same file.
    assert!(
        out.stdout.contains(
            "::error file=fleet/inventory/apps/pos.yaml,line=46::`depends_on` names app `pos-api`"
        ),
        "{out}"
    );
}

/// A runner whose workspace is the shallow checkout of pull request
/// `number`, which moves pos-api to v2.15.0.
fn pos_api_pr(number: &str) -> Runner {
    let (r, _) = pr_runner(number, "pos-api 2.15", |inv| {
        replace_in(&inv.join("apps/pos.yaml"), "tag: v2.14.0", "tag: v2.15.0");
    });
    r
}

/// A runner on pull request `number`, whose commit `why` makes `edit`:
/// its workspace a shallow checkout of it; and the base commit.
fn pr_runner(number: &str, why: &str, edit: impl FnOnce(&Path)) -> (Runner, String) {
    let mut r = Runner::new();
    let (inv, base) = inventory_pr(&r.root, why, edit);
    let ws = r.workspace.join("inventory");
    checkout_shallow(&inv, &ws);
    r.workspace = ws;
    r.pull_request(number, &base);
    (r, base)
}

/// The first line of fleetc's comment on the example inventory.
const MARKER: &str = "<!-- fleetc-diff inventory=. -->\n";

/// fleetc's comments among `comments`.
fn fleetc_comments(comments: &[Json]) -> Vec<&Json> {
    let fleetc = |c: &&Json| c["body"].as_str().unwrap().starts_with(MARKER);
    comments.iter().filter(fleetc).collect()
}

#[test]
fn diff_comments_what_a_pull_request_changes() {
    let r = pos_api_pr("7");
    let out = r.run(&[("command", "diff")]);
    assert_eq!(out.status, 0, "{out}");
    assert_eq!(out.output("changed"), "true", "{out}");
    let md = read(Path::new(out.output("diff-file")));
    assert!(md.contains("what this change does to the fleet"), "{md}");
    assert!(
        md.contains("**+0 ~4 -0 applications on 4 clusters**"),
        "{md}"
    );
    assert!(md.contains("pos-api on east-qld-brisbane-01"), "{md}");
    assert!(
        md.contains("-            tag: v2.14.0\n+            tag: v2.15.0"),
        "{md}"
    );
    assert_eq!(out.summary, md);
    let comments = r.comments();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(comments[0]["issue"], 7);
    assert_eq!(comments[0]["body"], format!("{MARKER}{md}"));
    assert!(r
        .stub("gh.env")
        .starts_with("GH_TOKEN=ghs_job_token GH_REPO=acme/fleet-inventory\n"));
    assert_eq!(r.stub("cargo.log"), "", "the install ran cargo");
}

/// Every workflow that comments with `GITHUB_TOKEN` comments as
/// `github-actions[bot]`: fleetc edits its own comment, found by the
/// marker on its first line, and no other.
#[test]
fn diff_edits_its_own_comment_and_no_other_workflows() {
    let r = pos_api_pr("7");
    let bot = json!({"login": "github-actions[bot]", "type": "Bot"});
    let person = json!({"login": "alice", "type": "User"});
    // Another workflow's comment, then enough of people's (and one on
    // another pull request) that fleetc's lands on the second page.
    let mut seed = vec![json!({"id": 11, "issue": 7, "user": bot, "body": "Coverage: 93%\n"})];
    for id in 12..41 {
        seed.push(json!({"id": id, "issue": 7, "user": person, "body": "LGTM"}));
    }
    seed.push(json!({"id": 41, "issue": 6, "user": bot, "body": MARKER}));
    r.set_comments(&seed);
    let out = r.run(&[("command", "diff")]);
    assert_eq!(out.status, 0, "{out}");
    let first = r.comments();
    assert_eq!(first[..seed.len()], seed[..], "another comment changed");
    assert_eq!(first.len(), seed.len() + 1, "{out}");
    let posted = &first[seed.len()];
    assert_eq!(posted["issue"], 7);
    assert_eq!(posted["user"], bot);
    let md = read(Path::new(out.output("diff-file")));
    assert_eq!(posted["body"], format!("{MARKER}{md}"));
    // A push to the pull request: the next run edits that comment.
    replace_in(
        &r.workspace.join("apps/pos.yaml"),
        "tag: v2.15.0",
        "tag: v2.16.0",
    );
    git(&r.workspace, &["commit", "-qam", "pos-api 2.16"]);
    let again = r.run(&[("command", "diff")]);
    assert_eq!(again.status, 0, "{again}");
    let second = r.comments();
    assert_eq!(second[..seed.len()], seed[..], "another comment changed");
    assert_eq!(second.len(), first.len(), "{again}");
    let edited = &second[seed.len()];
    assert_eq!(edited["id"], posted["id"]);
    let md = read(Path::new(again.output("diff-file")));
    assert!(md.contains("+            tag: v2.16.0"), "{md}");
    assert_eq!(edited["body"], format!("{MARKER}{md}"));
    assert_eq!(fleetc_comments(&second).len(), 2, "one here, one on #6");
    let log = r.stub("gh.log");
    let id = posted["id"].as_i64().unwrap();
    let patch = format!("-X PATCH repos/acme/fleet-inventory/issues/comments/{id} -F body=@");
    assert!(log.lines().last().unwrap().contains(&patch), "{log}");
}

/// When gh fails, the job warns (the summary holds the diff) and posts
/// nothing it cannot be sure is the only fleetc comment.
#[test]
fn diff_comment_failures_warn_and_post_no_second_comment() {
    let r = pos_api_pr("7");
    let diff = [("command", "diff")];
    // The comments cannot be read: fleetc's may be among them.
    r.fail_gh("list");
    let out = r.run(&diff);
    assert_eq!(out.status, 0, "{out}");
    assert!(
        out.stdout.contains(
            "::warning title=fleetc action::could not read the comments on pull request #7"
        ),
        "{out}"
    );
    assert_eq!(r.comments(), Vec::<Json>::new(), "{out}");
    r.fail_gh("");
    assert_eq!(r.run(&diff).status, 0);
    let posted = r.comments();
    assert_eq!(fleetc_comments(&posted).len(), 1, "{posted:?}");
    // The edit fails: the comment stays as it was, and alone.
    r.fail_gh("edit");
    let out = r.run(&diff);
    assert_eq!(out.status, 0, "{out}");
    assert!(
        out.stdout.contains(
            "::warning title=fleetc action::could not edit fleetc's comment on pull request #7"
        ),
        "{out}"
    );
    assert_eq!(r.comments(), posted, "{out}");
    // A fork's read-only token: no comment, a warning.
    r.set_comments(&[]);
    r.fail_gh("create edit");
    let out = r.run(&diff);
    assert_eq!(out.status, 0, "{out}");
    assert!(
        out.stdout
            .contains("::warning title=fleetc action::could not comment on pull request #7"),
        "{out}"
    );
    assert_eq!(r.comments(), Vec::<Json>::new(), "{out}");
}

/// `git fetch origin "$BASE"` would read a base of `--upload-pack=…` as
/// an option, and run its command.
#[test]
fn diff_refuses_a_base_that_git_would_read_as_an_option() {
    let r = pos_api_pr("7");
    let pwned = r.root.join("stubs/pwned");
    let x = r.tools().join("x");
    std::fs::write(
        &x,
        format!("#!/bin/sh\ntouch {}\nexit 1\n", pwned.display()),
    )
    .unwrap();
    std::fs::set_permissions(&x, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = r.run(&[("command", "diff"), ("base", "--upload-pack=x")]);
    assert_eq!(out.status, 1, "{out}");
    assert_eq!(out.ran.last().unwrap(), "fleetc diff", "{out}");
    assert!(
        out.stdout.contains(
            "::error title=fleetc action::base must be a git revision, not `--upload-pack=x`"
        ),
        "{out}"
    );
    assert!(!pwned.exists(), "git ran the base as --upload-pack");
    assert_eq!(r.stub("gh.log"), "");
    // Nor does a pull request other than a number reach an API path.
    let out = r.run(&[("command", "diff"), ("pull-request", "7/../../x")]);
    assert_eq!(out.status, 1, "{out}");
    assert!(
        out.stdout.contains(
            "::error title=fleetc action::pull-request must be a number, not `7/../../x`"
        ),
        "{out}"
    );
    assert_eq!(r.stub("gh.log"), "");
}

#[test]
fn diff_of_a_pull_request_that_renders_the_same() {
    let (mut r, base) = pr_runner("8", "a comment", |inv| {
        replace_in(
            &inv.join("apps/pos.yaml"),
            "# The point",
            "# Still the point",
        );
    });
    let out = r.run(&[("command", "diff"), ("comment", "false")]);
    assert_eq!(out.status, 0, "{out}");
    assert_eq!(out.output("changed"), "false", "{out}");
    assert!(
        out.summary
            .contains("No Application, AppProject or root Application changes"),
        "{}",
        out.summary
    );
    assert!(!out.ran.iter().any(|s| s.contains("Comment")), "{out}");
    // On a push there is no pull request to comment on; `base` is given.
    r.github.set("github.event_name", "push");
    r.github.set("github.event.pull_request.number", "");
    let out = r.run(&[("command", "diff"), ("base", &base)]);
    assert_eq!(out.status, 0, "{out}");
    assert!(
        out.stdout.contains("No pull request (event: push)"),
        "{out}"
    );
    assert_eq!(r.stub("gh.log"), "");
}

#[test]
fn diff_fails_when_fleetc_does_and_posts_nothing() {
    let (r, _) = pr_runner("9", "a typo", |inv| {
        replace_in(&inv.join("apps/pos.yaml"), "name: pos-api", "name: Pos_API");
    });
    let out = r.run(&[("command", "diff")]);
    assert_eq!(out.status, 1, "{out}");
    assert_eq!(out.ran.last().unwrap(), "fleetc diff", "{out}");
    assert!(out.stderr.contains("Pos_API"), "{out}");
    assert_eq!(out.output("changed"), "", "{out}");
    assert_eq!(r.stub("gh.log"), "");
}

#[test]
fn commit_deploys_to_the_deploy_repo_and_pushes() {
    let r = Runner::new();
    let deploy = seed_deploy_repo(&r.root);
    copy_tree(
        &repo().join("fixtures/example"),
        &r.workspace.join("inventory"),
    );
    // actions/checkout of the deploy repo (with a token that may push).
    git(
        &r.workspace,
        &["clone", "-q", deploy.to_str().unwrap(), "deploy"],
    );
    let with = [
        ("command", "commit"),
        ("inventory", "inventory"),
        ("deploy-repo", "deploy"),
    ];
    let out = r.run(&with);
    assert_eq!(out.status, 0, "{out}");
    let log = git(&deploy, &["log", "--format=%H %an %s", "main"]);
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert!(
        lines[0].contains(" fleetc fleetc: +28 ~0 -0 applications on 6 clusters"),
        "{log}"
    );
    assert!(lines[1].ends_with(" seed"), "{log}");
    assert_eq!(lines[0].split(' ').next().unwrap(), out.output("commit"));
    let tree = git(&deploy, &["ls-tree", "-r", "--name-only", "main"]);
    assert!(tree.lines().any(|f| f == "docs/runbook.md"), "{tree}");
    assert!(tree.lines().any(|f| f.ends_with("/pos-api.yaml")), "{tree}");
    let fsck = fsck(&deploy);
    assert!(fsck.status.success(), "{fsck:?}");
    // Run again: nothing to commit, nothing new pushed.
    let again = r.run(&with);
    assert_eq!(again.status, 0, "{again}");
    assert_eq!(again.output("commit"), out.output("commit"));
    assert_eq!(git(&deploy, &["rev-list", "--count", "main"]).trim(), "2");
}

#[test]
fn commit_without_push_into_a_bare_repo_on_a_branch() {
    let r = Runner::new();
    let deploy = seed_deploy_repo(&r.root);
    copy_tree(&repo().join("fixtures/example"), &r.workspace);
    let out = r.run(&[
        ("command", "commit"),
        ("deploy-repo", deploy.to_str().unwrap()),
        ("branch", "staging"),
        ("push", "false"),
    ]);
    assert_eq!(out.status, 0, "{out}");
    let head = git(&deploy, &["rev-parse", "staging"]);
    assert_eq!(head.trim(), out.output("commit"));
    assert_eq!(git(&deploy, &["rev-list", "--count", "main"]).trim(), "1");
    assert!(fsck(&deploy).status.success());
}

#[test]
fn install_builds_fleetc_from_the_action_checkout_when_none_is_on_the_path() {
    let r = Runner::bare();
    copy_tree(&repo().join("fixtures/example"), &r.workspace);
    let out = r.run(&[("command", "check")]);
    assert_eq!(out.status, 0, "{out}");
    assert_eq!(
        r.stub("cargo.log"),
        format!("install --locked --path {}\n", repo().display())
    );
    assert!(out.stdout.contains("ok: 18 files"), "{out}");
    // With the install left out, there is no fleetc to run.
    let out = r.run(&[("command", "check"), ("install", "false")]);
    assert_eq!(out.status, 127, "{out}");
}

#[test]
fn bad_inputs_fail_before_anything_is_built() {
    let r = Runner::bare();
    for (with, says) in [
        (
            vec![("command", "deploy")],
            "command must be check, diff or commit",
        ),
        (vec![], "command must be check, diff or commit, not ``"),
        (vec![("command", "diff")], "diff needs a base revision"),
        (vec![("command", "commit")], "commit needs `deploy-repo`"),
        (
            vec![("command", "check"), ("comment", "yes")],
            "comment must be true or false",
        ),
    ] {
        let out = r.run(&with);
        assert_eq!(out.status, 1, "{with:?}: {out}");
        assert_eq!(out.ran, ["Check the inputs"], "{with:?}: {out}");
        assert!(
            out.stdout
                .contains(&format!("::error title=fleetc action::{says}")),
            "{with:?}: {out}"
        );
    }
    assert_eq!(r.stub("cargo.log"), "");
}

#[test]
fn inputs_are_documented_and_reach_scripts_only_through_env() {
    let action = action();
    assert_eq!(scalar(&action["runs"]["using"]), "composite");
    for (name, spec) in action["inputs"].as_mapping().unwrap() {
        let name = scalar(name);
        assert!(
            spec.get("description").is_some(),
            "input {name}: no description"
        );
        let required = spec
            .get("required")
            .is_some_and(|r| r == &Value::Bool(true));
        assert!(
            required || spec.get("default").is_some(),
            "input {name}: optional, with no default"
        );
    }
    for step in action["runs"]["steps"].as_sequence().unwrap() {
        let run = scalar(&step["run"]);
        assert!(run.starts_with("set -euo pipefail\n"), "{run}");
        assert!(!run.contains("${{"), "{run}");
    }
}
