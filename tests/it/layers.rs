//! The layers of `src/`, held to `ARCHITECTURE.md` by the code's own paths.
//!
//! Each top-level module of the crate is a layer, and a layer may name
//! only the layers below it in [`LAYERS`]; inside any folder, the modules
//! side by side may not name one another in a circle. Both are read from
//! the source as the compiler reads it: every `crate::…` and `super::…`
//! path outside comments and string literals, wherever it is (a `use`, an
//! expression, a type, a test module). So a new `use` that points back up,
//! or closes a circle, fails here and not in a review. The same walk holds
//! the tree to its other rules: the pure stages name no disk, git,
//! terminal or clock, at most 16 modules stand side by side in a folder,
//! and no function is over 150 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, from the bottom up: each may name only those before it.
/// `lib.rs` and `main.rs` stand above them all.
const LAYERS: &[&str] = &[
    "base", "rules", "load", "check", "place", "merge", "render", "pipeline", "repo", "live",
    "views", "cli",
];

const MAX_SIDE_BY_SIDE: usize = 16;
const MAX_FUNCTION_LINES: usize = 150;

/// A module's path from the crate root: `["render", "tree"]`.
type ModPath = Vec<String>;

/// One source file: its module path and its text with comments and the
/// insides of string and character literals blanked (lines kept).
struct Source {
    file: PathBuf,
    module: ModPath,
    code: String,
}

/// The crate's own `src/`.
fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// `src/` and the `src/` of every crate of the workspace (`crates/*`),
/// each its own module tree.
fn all_src_dirs() -> Vec<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates");
    let mut dirs = vec![src_dir()];
    let mut more: Vec<PathBuf> = std::fs::read_dir(&crates)
        .map(|d| d.filter_map(|e| Some(e.ok()?.path().join("src"))).collect())
        .unwrap_or_default();
    more.sort();
    dirs.extend(more.into_iter().filter(|d| d.is_dir()));
    dirs
}

fn sources() -> Vec<Source> {
    sources_in(&src_dir())
}

/// The sources of the module tree at `root`; each file is named from the
/// workspace's top (`src/…`, `crates/…/src/…`).
fn sources_in(root: &Path) -> Vec<Source> {
    let top = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(root).unwrap();
        let mut module: ModPath = rel
            .with_extension("")
            .iter()
            .map(|s| s.to_string_lossy().into_owned())
            .collect();
        if matches!(
            module.last().map(String::as_str),
            Some("mod" | "lib" | "main")
        ) {
            module.pop();
        }
        let text = std::fs::read_to_string(path).unwrap();
        out.push(Source {
            file: path.strip_prefix(top).unwrap().to_path_buf(),
            module,
            code: blank_comments_and_literals(&text),
        });
    }
    out
}

/// `text` with every comment and the contents of every string, raw string
/// and character literal replaced by spaces; newlines are kept, so line
/// numbers and brace depth still hold.
fn blank_comments_and_literals(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_before(&b, i) {
            // A raw string: r"…", r#"…"#, …
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            out.push('"');
            i = j + 1;
            loop {
                if i >= b.len() {
                    break;
                }
                if b[i] == '"' && (0..hashes).all(|k| b.get(i + 1 + k) == Some(&'#')) {
                    out.push('"');
                    i += 1 + hashes;
                    break;
                }
                out.push(blank(b[i]));
                i += 1;
            }
        } else if c == '"' {
            out.push('"');
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < b.len() {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
            out.push('"');
            i += 1;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{..}'), not a lifetime.
            let close = if next == Some('\\') {
                (i + 2..b.len().min(i + 12)).find(|&k| b[k] == '\'')
            } else if b.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match close {
                Some(end) => {
                    out.push_str("' ");
                    out.extend(std::iter::repeat_n(' ', end - i - 2));
                    out.push('\'');
                    i = end + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(b: &[char], i: usize) -> bool {
    i > 0 && (b[i - 1].is_alphanumeric() || b[i - 1] == '_')
}

/// Every path a source names, resolved from the crate root, with its line:
/// `crate::a::b` and `super::…` (from the module, or from an inline module
/// such as `mod tests` inside it). `use crate::{a, b::c}` names each.
fn references(src: &Source) -> Vec<(usize, ModPath)> {
    let mut out = Vec::new();
    // The inline modules open around each point: (brace depth at their
    // opening). `super` inside one of them names the module around it.
    let mut inline: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    for (n, line) in src.code.lines().enumerate() {
        let t = line.trim_start();
        let opens_mod = (t.starts_with("mod ")
            || t.starts_with("pub mod ")
            || t.starts_with("pub(crate) mod "))
            && t.trim_end().ends_with('{');
        let here = inline.len();
        for (at, _) in line
            .match_indices("crate::")
            .chain(line.match_indices("super::"))
        {
            if line[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
            {
                continue;
            }
            let rest = &line[at..];
            let (base, tail) = if let Some(r) = rest.strip_prefix("crate::") {
                (Vec::new(), r)
            } else {
                // Consecutive `super::`s, each one module up.
                let mut r = rest;
                let mut ups = 0usize;
                while let Some(x) = r.strip_prefix("super::") {
                    ups += 1;
                    r = x;
                }
                if at >= 7 && line[..at].ends_with("super::") {
                    continue; // counted from the first `super::`
                }
                // Up from the inline modules first, then from the file's.
                let up_file = ups.saturating_sub(here);
                if ups <= here {
                    continue; // inside this file
                }
                let m = &src.module;
                (m[..m.len().saturating_sub(up_file)].to_vec(), r)
            };
            for path in use_tree(tail) {
                let mut full = base.clone();
                full.extend(path);
                out.push((n + 1, full));
            }
        }
        for c in line.chars() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if inline.last() == Some(&depth) {
                        inline.pop();
                    }
                }
                _ => {}
            }
        }
        if opens_mod {
            inline.push(depth - 1);
        }
    }
    out
}

/// The paths a use tree names: `a::b` → [[a, b]]; `{a, b::{c, d}}` →
/// [[a], [b, c], [b, d]]. Only the leading identifiers are read.
fn use_tree(s: &str) -> Vec<ModPath> {
    let mut path = Vec::new();
    let mut rest = s;
    loop {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            rest = &rest[name.len()..];
            path.push(name);
            match rest.strip_prefix("::") {
                Some(r) => rest = r,
                None => return vec![path],
            }
        } else if let Some(inner) = rest.strip_prefix('{') {
            let mut depth = 1;
            let end = inner
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '{' => 1,
                        '}' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(inner.len(), |(i, _)| i);
            let mut out = Vec::new();
            let mut level = 0;
            let mut start = 0;
            let body = &inner[..end];
            for (i, c) in body.char_indices().chain([(body.len(), ',')]) {
                match c {
                    '{' => level += 1,
                    '}' => level -= 1,
                    ',' if level == 0 => {
                        for tail in use_tree(body[start..i].trim()) {
                            let mut p = path.clone();
                            p.extend(tail);
                            out.push(p);
                        }
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            return out;
        } else {
            return vec![path];
        }
    }
}

/// The longest prefix of `path` that is a module of the crate.
fn module_of(path: &[String], modules: &BTreeSet<ModPath>) -> ModPath {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
        .unwrap_or_default()
}

fn layer(module: &[String]) -> Option<usize> {
    LAYERS
        .iter()
        .position(|l| module.first().is_some_and(|m| m == l))
}

/// Every import, as (from module, to module, file, line).
fn imports(sources: &[Source]) -> Vec<(ModPath, ModPath, PathBuf, usize)> {
    let modules: BTreeSet<ModPath> = sources.iter().map(|s| s.module.clone()).collect();
    let mut out = Vec::new();
    for s in sources {
        for (line, path) in references(s) {
            let to = module_of(&path, &modules);
            if to != s.module {
                out.push((s.module.clone(), to, s.file.clone(), line));
            }
        }
    }
    out
}

#[test]
fn every_layer_imports_only_the_layers_below_it() {
    let sources = sources();
    assert!(sources.len() > 50, "read {} sources", sources.len());
    let tops: BTreeSet<&str> = sources
        .iter()
        .filter_map(|s| s.module.first().map(String::as_str))
        .collect();
    for top in &tops {
        assert!(
            layer(&[top.to_string()]).is_some(),
            "src/{top} is in no layer: add it to ARCHITECTURE.md and to LAYERS here"
        );
    }
    let mut wrong = Vec::new();
    for (from, to, file, line) in imports(&sources) {
        let Some(from_layer) = layer(&from) else {
            continue; // lib.rs and main.rs stand above every layer
        };
        let ok = match layer(&to) {
            Some(to_layer) => to_layer <= from_layer,
            None => false, // the crate root: name the layer instead
        };
        if !ok {
            wrong.push(format!(
                "{}:{line}: `{}` (layer {}) names `crate::{}`{}",
                file.display(),
                from.join("::"),
                from[0],
                to.join("::"),
                match layer(&to) {
                    Some(_) => format!(", a layer above it ({})", to[0]),
                    None => " (the crate root's re-exports): name the module in its layer".into(),
                }
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layer order (ARCHITECTURE.md):\n{}",
        wrong.join("\n")
    );
}

/// The pure stages (ARCHITECTURE.md): between reading the inventory and
/// writing the tree, nothing touches a disk, git, a terminal, the process,
/// its environment or the clock; a stage that wants to say how far it is
/// is lent a `Watch`.
const PURE: &[&str] = &["check", "place", "merge", "render", "pipeline"];

/// What a pure stage may not name, with what it means.
const WORLD: &[(&str, &str)] = &[
    ("fs::", "the file system"),
    ("File::", "the file system"),
    ("git2", "git"),
    ("stdout", "a terminal"),
    ("stderr", "a terminal"),
    ("print!", "a terminal"),
    ("println!", "a terminal"),
    ("eprint", "a terminal"),
    ("std::process", "the process"),
    ("env::var", "the environment"),
    ("SystemTime", "the clock"),
    ("Instant", "the clock"),
    ("unsafe", "unsafe code"),
];

/// Where `sources` of the pure stages name the world: `file:line: what`.
fn worldly(sources: &[Source]) -> Vec<String> {
    let mut out = Vec::new();
    for s in sources {
        if !s.module.first().is_some_and(|m| PURE.contains(&m.as_str())) {
            continue;
        }
        for (n, line) in s.code.lines().enumerate() {
            for (word, what) in WORLD {
                if line.contains(word) {
                    out.push(format!("{}:{}: `{word}` ({what})", s.file.display(), n + 1));
                }
            }
        }
    }
    out
}

#[test]
fn the_pure_stages_touch_no_disk_git_terminal_or_clock() {
    let found = worldly(&sources());
    assert!(
        found.is_empty(),
        "a pure stage ({}) reaches into the world; take what it needs as a value, or move the work to repo/ or cli/:\n{}",
        PURE.join(", "),
        found.join("\n")
    );
}

#[test]
fn no_modules_side_by_side_import_each_other_in_a_circle() {
    let mut circles = Vec::new();
    for dir in all_src_dirs() {
        circles.extend(circles_in(&sources_in(&dir), &dir));
    }
    assert!(
        circles.is_empty(),
        "modules in a circle:\n{}",
        circles.join("\n")
    );
}

/// The circles among the modules side by side in each folder of one
/// module tree, one line each.
fn circles_in(sources: &[Source], dir: &Path) -> Vec<String> {
    // In each folder: child → the children it names.
    let mut graphs: BTreeMap<ModPath, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    let mut witness: BTreeMap<(ModPath, String, String), String> = BTreeMap::new();
    for (from, to, file, line) in imports(sources) {
        let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
        // A folder's own module and its children are one room: the
        // children use what it declares, it re-exports theirs.
        if common == from.len() || common == to.len() {
            continue;
        }
        let folder = from[..common].to_vec();
        let (a, b) = (from[common].clone(), to[common].clone());
        witness
            .entry((folder.clone(), a.clone(), b.clone()))
            .or_insert_with(|| format!("{}:{line}", file.display()));
        graphs
            .entry(folder)
            .or_default()
            .entry(a)
            .or_default()
            .insert(b);
    }
    let mut circles = Vec::new();
    for (folder, graph) in &graphs {
        if let Some(circle) = find_circle(graph) {
            let steps: Vec<String> = circle
                .windows(2)
                .map(|w| {
                    format!(
                        "{} → {} ({})",
                        w[0],
                        w[1],
                        witness[&(folder.clone(), w[0].clone(), w[1].clone())]
                    )
                })
                .collect();
            let top = Path::new(env!("CARGO_MANIFEST_DIR"));
            let mut at = dir.strip_prefix(top).unwrap_or(dir).to_path_buf();
            at.extend(folder);
            circles.push(format!("in {}: {}", at.display(), steps.join(", ")));
        }
    }
    circles
}

/// A circle of `graph`, as its nodes with the first repeated at the end.
fn find_circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in graph.get(n).into_iter().flatten() {
            match state.get(m.as_str()) {
                Some(1) => {
                    let at = stack.iter().position(|s| s == m).unwrap();
                    let mut c = stack[at..].to_vec();
                    c.push(m.clone());
                    return Some(c);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(m, graph, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if !state.contains_key(n) {
            let mut stack = Vec::new();
            if let Some(c) = visit(n, graph, &mut state, &mut stack) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn no_folder_holds_more_than_16_modules_side_by_side() {
    for dir in all_src_dirs() {
        let mut children: BTreeMap<ModPath, BTreeSet<String>> = BTreeMap::new();
        for s in sources_in(&dir) {
            for n in 0..s.module.len() {
                children
                    .entry(s.module[..n].to_vec())
                    .or_default()
                    .insert(s.module[n].clone());
            }
        }
        for (folder, kids) in children {
            assert!(
                kids.len() <= MAX_SIDE_BY_SIDE,
                "{}/{} holds {} modules side by side (at most {MAX_SIDE_BY_SIDE}): {kids:?}",
                dir.display(),
                folder.join("/"),
                kids.len()
            );
        }
    }
}

#[test]
fn no_function_is_longer_than_150_lines() {
    let mut long = Vec::new();
    for s in all_src_dirs().iter().flat_map(|d| sources_in(d)) {
        let lines: Vec<&str> = s.code.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            let t = line.trim_start();
            let Some(at) = t.find("fn ") else { continue };
            let head = &t[..at];
            let is_fn = head.split_whitespace().all(|w| {
                matches!(
                    w,
                    "pub" | "pub(crate)" | "pub(super)" | "const" | "async" | "unsafe" | "extern"
                )
            });
            if !is_fn {
                continue;
            }
            // The body runs from the first `{` after the signature to the
            // brace that closes it (a `;` first: a declaration, no body).
            let mut depth = 0i32;
            let mut opened = false;
            let mut end = None;
            'scan: for (k, l) in lines.iter().enumerate().skip(n) {
                for c in l.chars() {
                    match c {
                        ';' if !opened && depth == 0 => break 'scan,
                        '{' => {
                            depth += 1;
                            opened = true;
                        }
                        '}' => {
                            depth -= 1;
                            if opened && depth == 0 {
                                end = Some(k);
                                break 'scan;
                            }
                        }
                        _ => {}
                    }
                }
            }
            if let Some(end) = end {
                let len = end - n + 1;
                if len > MAX_FUNCTION_LINES {
                    let name: String = t[at + 3..]
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    long.push(format!(
                        "src/{}:{}: `{name}` is {len} lines",
                        s.file.display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines (split them where the work has a seam):\n{}",
        long.join("\n")
    );
}

/// The reader itself: a known-bad tree is refused, so a pass means
/// something.
#[test]
fn the_reader_sees_imports_up_and_circles() {
    let src = |file: &str, module: &[&str], text: &str| Source {
        file: file.into(),
        module: module.iter().map(|s| s.to_string()).collect(),
        code: blank_comments_and_literals(text),
    };
    let sources = vec![
        src("base/a.rs", &["base", "a"], "use crate::render::{tree::Tree, Keep};\n// crate::cli::x\nfn f() { let s = \"crate::views\"; }\n"),
        src("render/mod.rs", &["render"], "mod tree;\nmod b {\n    use super::super::base::a;\n}\n"),
        src("render/tree.rs", &["render", "tree"], "use super::c::X;\n"),
        src("render/c.rs", &["render", "c"], "fn g() -> crate::render::tree::Tree { todo!() }\n#[cfg(test)]\nmod tests {\n    use super::g;\n}\n"),
    ];
    let found: Vec<(String, String, usize)> = imports(&sources)
        .into_iter()
        .map(|(f, t, _, l)| (f.join("::"), t.join("::"), l))
        .collect();
    assert_eq!(
        found,
        vec![
            ("base::a".into(), "render::tree".into(), 1),
            ("base::a".into(), "render".into(), 1),
            ("render".into(), "base::a".into(), 3),
            ("render::tree".into(), "render::c".into(), 1),
            ("render::c".into(), "render::tree".into(), 1),
        ],
        "comments, strings and a test module's `super` are not imports"
    );
    let mut graph = BTreeMap::new();
    graph.insert("tree".to_string(), BTreeSet::from(["c".to_string()]));
    graph.insert("c".to_string(), BTreeSet::from(["tree".to_string()]));
    assert_eq!(
        find_circle(&graph),
        Some(vec!["c".to_string(), "tree".to_string(), "c".to_string()])
    );
    let stage = src(
        "render/c.rs",
        &["render", "c"],
        "// eprintln! in a comment\nfn h() { let _ = \"fs::write\"; std::fs::write(\"x\", \"\"); }\n",
    );
    assert_eq!(
        worldly(&[stage]),
        vec!["render/c.rs:2: `fs::` (the file system)".to_string()]
    );
    assert_eq!(layer(&["render".to_string()]), Some(6));
    assert!(layer(&["base".to_string()]) < layer(&["render".to_string()]));
}
