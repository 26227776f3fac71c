//! The documentation is tested: every command example in README.md and the
//! book (`docs/src/`) is run here, and what it prints must match what the
//! page shows. A line number or a message that drifts fails the suite.
//!
//! An example is a ```` ```console ```` block: `$ COMMAND` lines, each
//! followed by the output the page shows. The commands of one page run in
//! order, in bash, in a scratch folder of their own
//! that starts as the reader's clone would: `fixtures/` and `templates/` of
//! this repository, and `fleetc` on the PATH (the binary under test;
//! `cargo run --release --` stands for it too). Variables and `cd` carry
//! over from one command to the next; stderr is shown with stdout, as a
//! terminal would. A command must succeed; one that is meant to fail shows
//! its status, as a reader would (`fleetc check; echo "exit $?"`).
//!
//! In the shown output, a line `...` stands for any number of lines, and
//! `[..]` for any text within a line (times, commit ids). Commands that
//! need what this machine has not got (a cluster for `kubectl`, `argocd`,
//! `gh`, the network for `cargo install`) are not run, and may show no
//! output. Other fenced blocks are not commands: `sh`, `bash` and `shell`
//! blocks are refused, so that no command example escapes the test.
//!
//! `UPDATE_DOCS=1` writes what the commands printed into the pages; review
//! the diff as you would any golden file.
//!
//! The links are checked too: every relative link of the book and the
//! README must name a file that exists and, with `#anchor`, a heading of
//! it; every page of `docs/src/` must be in SUMMARY.md.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{copy_tree, repo};

/// Commands the tests cannot run here (no cluster, no network, no GitHub),
/// by their first words.
const NOT_RUN: &[&str] = &[
    "kubectl ",
    "argocd ",
    "gh ",
    "cargo install ",
    "cargo test",
    "cargo build",
    "pre-commit ",
    "git push",
    "git clone https://",
    "mdbook ",
    // The project's own checks: they run this very test.
    "UPDATE_GOLDEN=1 cargo test",
    "UPDATE_DOCS=1 cargo test",
    ".ci/run",
    "bench/run",
];

/// The pages: README.md and every page of the book.
fn pages() -> Vec<PathBuf> {
    let root = repo();
    let mut out = vec![root.join("README.md")];
    let mut book: Vec<PathBuf> = walkdir::WalkDir::new(root.join("docs/src"))
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    book.sort();
    out.extend(book);
    out
}

/// One `$ command` of a console block and the output lines shown after it
/// (`lines[start..end]` of its page).
struct Example {
    command: String,
    /// The page line of the `$`, 1-based.
    line: usize,
    start: usize,
    end: usize,
}

/// The examples of a page, in order; problems with its fences.
fn examples(text: &str, page: &str) -> (Vec<Example>, Vec<String>) {
    let lines: Vec<&str> = text.lines().collect();
    let (mut out, mut problems) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < lines.len() {
        let Some(info) = lines[i].trim_start().strip_prefix("```") else {
            i += 1;
            continue;
        };
        let info = info.trim();
        let open = i;
        i += 1;
        let body_start = i;
        while i < lines.len() && lines[i].trim_start() != "```" {
            i += 1;
        }
        let body_end = i;
        i += 1;
        if matches!(info, "sh" | "bash" | "shell" | "shell-session") {
            problems.push(format!(
                "{page}:{}: a ```{info} block: write commands as a ```console block (`$ command`, then its output), which the tests run",
                open + 1
            ));
            continue;
        }
        if info.is_empty() {
            problems.push(format!(
                "{page}:{}: a fenced block says what it holds: ```console for commands, ```text, ```yaml, …",
                open + 1
            ));
            continue;
        }
        if info != "console" {
            continue;
        }
        let mut j = body_start;
        while j < body_end {
            let Some(first) = lines[j].strip_prefix("$ ") else {
                problems.push(format!(
                    "{page}:{}: a console block starts with `$ command`",
                    j + 1
                ));
                break;
            };
            let line = j + 1;
            let mut command = first.to_string();
            j += 1;
            // Continued lines, and the body of a here-document.
            let heredoc = here_document_end(first);
            while j < body_end
                && (command.ends_with('\\')
                    || heredoc
                        .as_ref()
                        .is_some_and(|end| !command.ends_with(&format!("\n{end}"))))
            {
                command.push('\n');
                command.push_str(lines[j]);
                j += 1;
            }
            let start = j;
            while j < body_end && !lines[j].starts_with("$ ") {
                j += 1;
            }
            out.push(Example {
                command,
                line,
                start,
                end: j,
            });
        }
    }
    (out, problems)
}

/// `cat > f <<'EOF'` → `EOF`.
fn here_document_end(command: &str) -> Option<String> {
    let after = command.split("<<").nth(1)?;
    let word = after
        .trim_start_matches('-')
        .split_whitespace()
        .next()?
        .trim_matches(['\'', '"']);
    (!word.is_empty()).then(|| word.to_string())
}

/// Whether `shown` (the page's lines) matches `got`: `...` lines and
/// `[..]` within a line are wildcards.
fn matches(shown: &[&str], got: &[&str]) -> bool {
    match shown.split_first() {
        None => got.is_empty(),
        Some((&"...", rest)) => (0..=got.len()).any(|k| matches(rest, &got[k..])),
        Some((line, rest)) => {
            got.first().is_some_and(|g| line_matches(line, g)) && matches(rest, &got[1..])
        }
    }
}

fn line_matches(shown: &str, got: &str) -> bool {
    let shown = shown.trim_end();
    let got = got.trim_end();
    let mut parts = shown.split("[..]");
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = got.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    for (k, part) in parts.iter().enumerate() {
        if k + 1 == parts.len() {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

/// The reader's clone: a scratch folder with what the examples start from,
/// and the shell state (the folder the last command ended in, its
/// variables) kept beside it.
struct Reader {
    _tmp: tempfile::TempDir,
    work: PathBuf,
    state: PathBuf,
    bin: PathBuf,
}

impl Reader {
    fn new() -> Reader {
        let tmp = tempfile::tempdir().unwrap();
        let work = tmp.path().join("fleetc");
        for dir in ["fixtures", "templates"] {
            copy_tree(&repo().join(dir), &work.join(dir));
        }
        let bin = tmp.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(crate::support::bin(), bin.join("fleetc")).unwrap();
        let state = tmp.path().join("state");
        std::fs::create_dir_all(&state).unwrap();
        std::fs::write(state.join("cwd"), work.to_str().unwrap()).unwrap();
        std::fs::write(state.join("env"), "").unwrap();
        std::fs::write(
            state.join("gitconfig"),
            "[user]\n\tname = Ada Reader\n\temail = ada@example.com\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n",
        )
        .unwrap();
        Reader {
            _tmp: tmp,
            work,
            state,
            bin,
        }
    }

    /// Runs one command as the reader would type it; its output (stdout
    /// and stderr as a terminal shows them) and exit status.
    fn run(&self, command: &str) -> (String, i32) {
        let s = self.state.display();
        let script = format!(
            "exec 2>&1\ncd \"$(cat '{s}/cwd')\"\n. '{s}/env' 2>/dev/null\nset -a\n\
             cargo() {{ if [ \"$1 $2 $3\" = 'run --release --' ]; then shift 3; fleetc \"$@\"; else echo \"cargo $* is not run here\"; return 1; fi; }}\n\
             {command}\n\
             status=$?\npwd > '{s}/cwd'\nexport -p > '{s}/env'\nexit $status\n"
        );
        let path = format!(
            "{}:{}",
            self.bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new("bash")
            .arg("-c")
            .arg(script)
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.state.join("home"))
            .env("GIT_CONFIG_GLOBAL", self.state.join("gitconfig"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("TZ", "UTC")
            .env("LANG", "C.UTF-8")
            .env("NO_COLOR", "1")
            .env("TERM", "dumb")
            .current_dir(&self.work)
            .output()
            .expect("run bash");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        (text, out.status.code().unwrap_or(-1))
    }
}

/// Runs every example of one page: the problems, and the page with each
/// example's output as it was printed (for `UPDATE_DOCS=1`).
fn run_page(page: &Path, rel: &str) -> (Vec<String>, String, usize) {
    let text = std::fs::read_to_string(page).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (examples, mut problems) = examples(&text, rel);
    let reader = Reader::new();
    let mut updated: Vec<String> = Vec::new();
    let mut at = 0;
    let mut ran = 0;
    for ex in &examples {
        let shown = &lines[ex.start..ex.end];
        updated.extend(lines[at..ex.start].iter().map(|l| l.to_string()));
        at = ex.end;
        if NOT_RUN.iter().any(|p| ex.command.starts_with(p)) {
            if !shown.is_empty() {
                problems.push(format!(
                    "{rel}:{}: `{}` is not run here, so the page may not show its output",
                    ex.line, ex.command
                ));
            }
            continue;
        }
        ran += 1;
        let (got, status) = reader.run(&ex.command);
        let got_lines: Vec<&str> = got.lines().collect();
        if status != 0 {
            problems.push(format!(
                "{rel}:{}: `{}` exited {status}; a command meant to fail shows its status (`; echo \"exit $?\"`):\n{got}",
                ex.line, ex.command
            ));
        }
        if matches(shown, &got_lines) {
            updated.extend(shown.iter().map(|l| l.to_string()));
        } else {
            problems.push(format!(
                "{rel}:{}: `{}` printed something else.\n--- the page shows:\n{}\n--- it printed:\n{got}",
                ex.line,
                ex.command,
                shown.join("\n")
            ));
            updated.extend(got_lines.iter().map(|l| l.trim_end().to_string()));
        }
    }
    updated.extend(lines[at..].iter().map(|l| l.to_string()));
    let mut new_text = updated.join("\n");
    new_text.push('\n');
    (problems, new_text, ran)
}

#[test]
fn every_command_example_prints_what_its_page_shows() {
    let update = std::env::var_os("UPDATE_DOCS").is_some_and(|v| v == "1");
    let mut problems = Vec::new();
    let (mut pages_run, mut commands) = (0, 0);
    for page in pages() {
        let rel = page.strip_prefix(repo()).unwrap().display().to_string();
        let (found, new_text, ran) = run_page(&page, &rel);
        pages_run += 1;
        commands += ran;
        if update && std::fs::read_to_string(&page).unwrap() != new_text {
            std::fs::write(&page, new_text).unwrap();
        }
        problems.extend(found);
    }
    println!("docs: {commands} commands run on {pages_run} pages");
    assert!(commands > 50, "only {commands} commands were found to run");
    assert!(
        problems.is_empty() || update,
        "{} problems (UPDATE_DOCS=1 writes the printed outputs into the pages):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

/// The runner's own rules, tried on a page made to break them.
#[test]
fn the_runner_catches_drift_failures_and_unrun_commands() {
    assert!(matches(&["a", "...", "d"], &["a", "b", "c", "d"]));
    assert!(matches(&["x [..] y"], &["x 12:00 y"]));
    assert!(!matches(&["x [..] y"], &["x 12:00 z"]));
    assert!(!matches(&["a"], &["a", "b"]));
    assert!(matches(&["..."], &[]));
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("page.md");
    std::fs::write(
        &page,
        "```console\n$ echo one\ntwo\n$ false\n$ echo fine\nfine\n```\n\n```sh\nfleetc check\n```\n\n\
         ```console\n$ kubectl get pods\nNAME\n```\n\n```\nuntyped\n```\n",
    )
    .unwrap();
    let (problems, updated, ran) = run_page(&page, "page.md");
    let expected = [
        "page.md:2: `echo one` printed something else",
        "page.md:4: `false` exited 1",
        "page.md:9: a ```sh block",
        "page.md:14: `kubectl get pods` is not run here, so the page may not show its output",
        "page.md:18: a fenced block says what it holds",
    ];
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    for want in expected {
        assert!(
            problems.iter().any(|p| p.starts_with(want)),
            "{want}: {problems:#?}"
        );
    }
    assert_eq!(ran, 3);
    // The update writes what was printed, and leaves what matched.
    assert!(
        updated.starts_with("```console\n$ echo one\none\n$ false\n$ echo fine\nfine\n```"),
        "{updated}"
    );
    let reader = Reader::new();
    assert_eq!(reader.run("echo one"), ("one\n".to_string(), 0));
    assert_eq!(reader.run("x=5; cd fixtures").1, 0);
    assert_eq!(reader.run("echo $x; basename $PWD").0, "5\nfixtures\n");
    assert_eq!(reader.run("fleetc --version").1, 0);
    let (_, status) = reader.run("fleetc -i /nonexistent check");
    assert_eq!(status, 1);
}

/// mdBook's anchor for a heading: lower case, spaces to `-`, only
/// alphanumerics, `-` and `_` kept.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a page's headings (outside code blocks).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            out.insert(slug(line.trim_start_matches('#')));
        }
    }
    out
}

/// `](target)` links of a page, outside code blocks and code spans.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut fenced = false;
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut plain = String::new();
        for (k, part) in line.split('`').enumerate() {
            if k % 2 == 0 {
                plain.push_str(part);
            }
        }
        let mut rest = plain.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            if let Some(end) = rest.find(')') {
                out.push((n + 1, rest[..end].to_string()));
                rest = &rest[end..];
            }
        }
    }
    out
}

/// The links of one page that do not resolve (`rel`: how to name it).
fn broken_links(page: &Path, rel: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let text = std::fs::read_to_string(page).unwrap();
    for (line, target) in links(&text) {
        if target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let (file, anchor) = target.split_once('#').unwrap_or((&target, ""));
        let file = if file.is_empty() {
            page.to_path_buf()
        } else {
            page.parent().unwrap().join(file)
        };
        if !file.exists() {
            problems.push(format!("{rel}:{line}: `{target}`: no such file"));
            continue;
        }
        if !anchor.is_empty() && file.extension().is_some_and(|e| e == "md") {
            let there = std::fs::read_to_string(&file).unwrap();
            if !anchors(&there).contains(anchor) {
                problems.push(format!(
                    "{rel}:{line}: `{target}`: no heading `#{anchor}` there"
                ));
            }
        }
    }
    problems
}

#[test]
fn every_link_of_the_book_and_the_readme_resolves() {
    let mut problems = Vec::new();
    for page in pages() {
        let rel = page.strip_prefix(repo()).unwrap().display().to_string();
        problems.extend(broken_links(&page, &rel));
    }
    // Every page is in the table of contents.
    let src = repo().join("docs/src");
    let summary = std::fs::read_to_string(src.join("SUMMARY.md")).unwrap();
    let listed: BTreeSet<String> = links(&summary).into_iter().map(|(_, t)| t).collect();
    for page in pages().into_iter().skip(1) {
        let rel = page.strip_prefix(&src).unwrap().display().to_string();
        if rel != "SUMMARY.md" && !listed.contains(&rel) {
            problems.push(format!("docs/src/{rel}: not in SUMMARY.md"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The link checker finds a missing file and a missing heading, and
/// passes over links in code and to the web.
#[test]
fn the_link_checker_finds_broken_links() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("b.md"), "# Exit codes & limits\n").unwrap();
    let page = tmp.path().join("a.md");
    std::fs::write(
        &page,
        "[ok](b.md#exit-codes--limits) [gone](c.md) [anchor](b.md#exit-codes)\n\
         `[code](d.md)` [web](https://example.com/x)\n```text\n[fenced](e.md)\n```\n",
    )
    .unwrap();
    assert_eq!(
        broken_links(&page, "a.md"),
        [
            "a.md:1: `c.md`: no such file",
            "a.md:1: `b.md#exit-codes`: no heading `#exit-codes` there"
        ]
    );
}

/// The kinds of `fleetc schema`, as the field reference has them: the
/// kind, its page title, and where its documents live.
const KINDS: &[(&str, &str, &str)] = &[
    ("cluster", "Cluster", "`clusters/`, or `kind: Cluster`"),
    ("app", "App", "`apps/`, or `kind: App`"),
    (
        "namespace",
        "Namespace (a team)",
        "`namespaces/`, or `kind: Namespace`",
    ),
    (
        "policy",
        "TargetPolicy",
        "`policies/`, or `kind: TargetPolicy`",
    ),
    (
        "settings",
        "Settings",
        "`fleetc.yaml` at the inventory root",
    ),
];

/// A schema node with its `$ref` followed (one level: definitions hold no
/// bare references to others).
fn resolve<'a>(node: &'a Value, root: &'a Value) -> &'a Value {
    match node["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/definitions/"))
    {
        Some(name) => &root["definitions"][name],
        None => node,
    }
}

/// How the reference writes a field's type.
fn type_text(node: &Value, root: &Value) -> String {
    let node = resolve(node, root);
    if let Some(values) = node["enum"].as_array() {
        let words: Vec<String> = values
            .iter()
            .map(|v| format!("`{}`", v.as_str().map_or(v.to_string(), str::to_string)))
            .collect();
        return format!("one of {}", words.join(", "));
    }
    if let Some(c) = node.get("const") {
        return format!("`{}`", c.as_str().unwrap_or_default());
    }
    for alt in ["oneOf", "anyOf"] {
        if let Some(options) = node[alt].as_array() {
            let mut words: Vec<String> = options.iter().map(|o| type_text(o, root)).collect();
            words.dedup();
            return words.join(" or ");
        }
    }
    match node["type"].as_str() {
        Some("array") => format!("list of {}", type_text(&node["items"], root)),
        Some("object") if node.get("properties").is_some() => "map (below)".to_string(),
        Some("object") => "map".to_string(),
        Some(t) => t.to_string(),
        None => match node["type"].as_array() {
            Some(ts) => ts
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" or "),
            None => "any".to_string(),
        },
    }
}

/// One row per field, nested fields after their parent as `a.b`, list
/// items' fields as `a[].b`.
fn field_rows(props: &Value, root: &Value, prefix: &str, depth: usize, out: &mut Vec<String>) {
    let Some(props) = props.as_object() else {
        return;
    };
    for (name, node) in props {
        let path = format!("{prefix}{name}");
        let description = node["description"]
            .as_str()
            .or_else(|| resolve(node, root)["description"].as_str())
            .unwrap_or_default();
        out.push(format!(
            "| `{path}` | {} | {} |",
            type_text(node, root).replace('|', "\\|"),
            html_safe(&description.replace('\n', " ").replace('|', "\\|"))
        ));
        if depth >= 4 {
            continue;
        }
        let target = resolve(node, root);
        if let Some(inner) = target.get("properties") {
            field_rows(inner, root, &format!("{path}."), depth + 1, out);
        }
        let items = resolve(&target["items"], root);
        if let Some(inner) = items.get("properties") {
            field_rows(inner, root, &format!("{path}[]."), depth + 1, out);
        }
    }
}

use serde_json::Value;

/// `<` outside code spans as `&lt;`: a description's `<file>` is text, not
/// an HTML tag, to mdBook.
fn html_safe(text: &str) -> String {
    text.split('`')
        .enumerate()
        .map(|(k, part)| {
            if k % 2 == 0 {
                part.replace('<', "&lt;")
            } else {
                part.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

/// The field reference, from `fleetc schema KIND` of each kind.
fn field_reference() -> String {
    let mut page = String::from(
        "# Inventory fields\n\n\
         <!-- Generated from `fleetc schema` by tests/it/docs.rs; `UPDATE_DOCS=1 cargo test --test it docs` rewrites it. -->\n\n\
         Every field of every document, from the same definitions as `fleetc schema KIND` (the\n\
         JSON Schemas editors use), so this page and the program cannot disagree. A field not\n\
         listed is an error, with a did-you-mean. Nested fields are written `a.b`, the fields of\n\
         a list's items `a[].b`.\n",
    );
    for (kind, title, place) in KINDS {
        let run = crate::support::fleetc(&repo(), &["schema", kind]);
        assert_eq!(run.status, 0, "{}", run.stderr);
        let schema: Value = serde_json::from_str(&run.stdout).unwrap();
        let mut rows = Vec::new();
        field_rows(&schema["properties"], &schema, "", 0, &mut rows);
        let required: Vec<String> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_str().map(|r| format!("`{r}`")))
            .collect();
        page.push_str(&format!(
            "\n## {title}\n\nIn {place}. Required: {}. (`fleetc schema {kind}`)\n\n| field | type | what it does |\n|---|---|---|\n{}\n",
            if required.is_empty() { "nothing".to_string() } else { required.join(", ") },
            rows.join("\n")
        ));
    }
    page
}

/// The command reference: `fleetc --help`, then each command's.
fn command_reference() -> String {
    // clap wraps help to the terminal's width, which COLUMNS may set:
    // the page is written at clap's own default, 100.
    let help = |args: &[&str]| {
        let run = crate::support::fleetc_env(&repo(), args, &[("COLUMNS", "100")]);
        assert_eq!(run.status, 0, "{args:?}: {}", run.stderr);
        run.stdout
    };
    let subcommands = |text: &str| -> Vec<String> {
        text.lines()
            .skip_while(|l| !l.starts_with("Commands:"))
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            // A command's line; a description's second line is indented further.
            .filter(|l| !l.starts_with("   "))
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .filter(|c| c != "help")
            .collect()
    };
    let mut page = String::from(
        "# Commands\n\n\
         <!-- Generated from `fleetc --help` by tests/it/docs.rs; `UPDATE_DOCS=1 cargo test --test it docs` rewrites it. -->\n\n\
         Each command's `--help`, as this version of fleetc prints it. The inventory is the\n\
         current folder, or `-i DIR`. Exit codes are on [their own page](exit-codes.md).\n\n",
    );
    let top = help(&["--help"]);
    page.push_str(&format!("```text\n$ fleetc --help\n{top}```\n"));
    for cmd in subcommands(&top) {
        let text = help(&[&cmd, "--help"]);
        page.push_str(&format!("\n## `fleetc {cmd}`\n\n```text\n{text}```\n"));
        for sub in subcommands(&text) {
            let text = help(&[&cmd, &sub, "--help"]);
            page.push_str(&format!(
                "\n### `fleetc {cmd} {sub}`\n\n```text\n{text}```\n"
            ));
        }
    }
    page
}

/// The reference pages are what the program says today: generated, and
/// compared (a field or a flag added without its page fails here).
#[test]
fn the_reference_pages_are_generated_from_the_program() {
    let update = std::env::var_os("UPDATE_DOCS").is_some_and(|v| v == "1");
    let dir = repo().join("docs/src/reference");
    let mut stale = Vec::new();
    for (file, text) in [
        ("fields.md", field_reference()),
        ("commands.md", command_reference()),
    ] {
        let path = dir.join(file);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            if update {
                std::fs::write(&path, &text).unwrap();
            } else {
                stale.push(file);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "docs/src/reference/{stale:?} differ from what fleetc says: UPDATE_DOCS=1 cargo test --test it docs rewrites them; review the diff"
    );
}
