//! Errors are UI.
//!
//! Every stage reports problems as [`Diagnostic`]s: a message, an optional
//! hint saying how to fix it, and *where* in the input it comes from as data
//! (a [`Site`]: file, document, key path), not as text. The line number of a
//! site is looked up only when the diagnostic is printed, so the happy path
//! never pays for locating anything. A stage collects every problem it finds
//! and returns them together; the top level prints them all and maps the
//! outcome to an exit code.

use std::fmt;
use std::path::PathBuf;

/// One step of a path into a YAML/JSON document.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Seg {
    /// A mapping's key.
    Key(String),
    /// A list's item, 0-based.
    Index(usize),
}

impl Seg {
    /// A [`Seg::Key`] step.
    pub fn key(s: impl Into<String>) -> Seg {
        Seg::Key(s.into())
    }
}

/// A place in the inventory: a file (relative to the inventory root), the
/// document within it (0-based, counting every YAML document of the file),
/// and the key path inside that document.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Site {
    /// The file: relative to the inventory root for the inventory's own
    /// files (an export of Argo CD is named as the command line named it).
    pub file: PathBuf,
    /// The document in the file, 0-based.
    pub doc: usize,
    /// The key path inside the document.
    pub path: Vec<Seg>,
}

impl Site {
    /// The top of the first document of `file`.
    pub fn file(file: impl Into<PathBuf>) -> Site {
        Site {
            file: file.into(),
            doc: 0,
            path: Vec::new(),
        }
    }

    /// The same document, one step deeper.
    pub fn at(&self, seg: Seg) -> Site {
        let mut s = self.clone();
        s.path.push(seg);
        s
    }

    /// The same document, one key deeper.
    pub fn key(&self, key: &str) -> Site {
        self.at(Seg::Key(key.to_string()))
    }

    /// The path as the user would write it: `metadata.region`, `depends_on[1]`.
    pub fn dotted(&self) -> String {
        dotted(&self.path)
    }
}

/// The key path an RFC 6901 JSON pointer names in `doc`: `/a/0/b~1c` is
/// `a`, `[0]`, `b/c` when `a` holds a list, and `a`, `0`, `b/c` when it holds
/// a mapping (a pointer alone cannot tell). Past what `doc` holds, segments
/// are keys.
pub(crate) fn pointer_path(doc: &serde_json::Value, pointer: &str) -> Vec<Seg> {
    let mut at = Some(doc);
    pointer
        .split('/')
        .skip(1)
        .map(|s| {
            let s = s.replace("~1", "/").replace("~0", "~");
            let seg = match (at, s.parse::<usize>()) {
                (Some(serde_json::Value::Array(_)), Ok(i)) => Seg::Index(i),
                _ => Seg::Key(s),
            };
            at = at.and_then(|v| match &seg {
                Seg::Index(i) => v.get(*i),
                Seg::Key(k) => v.get(k.as_str()),
            });
            seg
        })
        .collect()
}

/// The RFC 6901 JSON pointer of a key path.
pub(crate) fn path_pointer(path: &[Seg]) -> String {
    let mut p = String::new();
    for seg in path {
        p.push('/');
        match seg {
            Seg::Key(k) => p.push_str(&k.replace('~', "~0").replace('/', "~1")),
            Seg::Index(i) => p.push_str(&i.to_string()),
        }
    }
    p
}

/// `a.b[2].c` for a key path.
pub(crate) fn dotted(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => {
                out.push_str(&format!("[{i}]"));
            }
        }
    }
    out
}

/// A problem found in the input, with where it is and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where in the inventory the problem is; `None` when it has no place.
    pub site: Option<Site>,
    /// A line (1-based) known directly, e.g. from the YAML parser.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when known.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A problem with no place.
    pub fn new(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            site: None,
            line: None,
            message: message.into(),
            help: None,
        }
    }

    /// A problem at `site`.
    pub fn at(site: Site, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            site: Some(site),
            line: None,
            message: message.into(),
            help: None,
        }
    }

    /// Adds how to fix it.
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Sets how to fix it; `None`: no help.
    pub fn help_opt(mut self, help: Option<String>) -> Diagnostic {
        self.help = help;
        self
    }

    /// Sets the line (1-based), when it is known directly.
    pub fn line(mut self, line: usize) -> Diagnostic {
        self.line = Some(line);
        self
    }

    /// Sort key: file, then line, then message, so output is stable.
    fn sort_key(&self) -> (Option<&PathBuf>, usize, &str) {
        (
            self.site.as_ref().map(|s| &s.file),
            self.line.unwrap_or(0),
            &self.message,
        )
    }
}

/// serde's words for types ("expected struct RawSync", "expected u64")
/// become the user's ("expected a mapping of fields"), with how to fix it.
pub(crate) fn plain_types(msg: &str) -> (String, Option<String>) {
    let words: &[(&str, &str)] = &[
        (
            "struct RawSync",
            "a mapping (automated, prune, selfHeal, syncOptions)",
        ),
        ("struct RawGroups", "a mapping (contributor, reader)"),
        ("struct RawDeployRepo", "a mapping (url, branch, path)"),
        ("struct RawLayout", "a mapping of output paths"),
        ("struct RawGuard", "a mapping (max_share, min_count)"),
        ("struct RawLimits", "a mapping of limits"),
        ("usize", "a whole number, 0 or more"),
        ("u64", "a whole number, 0 or more"),
        ("u128", "a whole number, 0 or more"),
        ("i64", "a whole number"),
        ("f64", "a number"),
        ("a boolean", "`true` or `false`"),
        ("a sequence", "a list"),
        ("a map", "a mapping"),
        ("map", "a mapping"),
        ("a string", "text"),
    ];
    let mut out = msg.to_string();
    for (serde, plain) in words {
        // Whole words only: `a map` must not match the `a mapping` written
        // by an earlier replacement.
        let from = format!("expected {serde}");
        if let Some(i) = out.find(&from) {
            let end = i + from.len();
            let whole = !out[end..].starts_with(|c: char| c.is_alphanumeric());
            if whole {
                out = format!("{}expected {plain}{}", &out[..i], &out[end..]);
            }
        }
    }
    // What remains of the Rust names.
    for raw in [
        "RawCluster",
        "RawApp",
        "RawNamespace",
        "RawPolicy",
        "RawSettings",
    ] {
        out = out.replace(&format!("struct {raw}"), "a mapping of fields");
    }
    let number_for_text = (out.contains("invalid type: floating point")
        || out.contains("invalid type: integer"))
        && out.ends_with("expected text");
    let help = if number_for_text {
        let after = out.find("invalid type").map_or("", |i| &out[i..]);
        let value = after.split('`').nth(1).unwrap_or("…");
        let version = if out.contains("floating point") {
            " (a version such as 2.20 even becomes 2.2)"
        } else {
            ""
        };
        Some(format!(
            "quote it: `\"{value}\"`; unquoted, YAML reads it as a number{version}"
        ))
    } else if out.contains("invalid type") {
        Some("write the value in the shape the field takes; `fleetc schema` prints every field's shape".to_string())
    } else if out.contains("invalid value") {
        Some("`fleetc schema` prints what each field takes".to_string())
    } else {
        None
    };
    (out, help)
}

/// An OS error in words, without its `(os error N)`.
pub(crate) fn os_words(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Text from the inventory made safe for a terminal: control characters
/// (an escape sequence could clear the screen or hide a line) and the
/// Unicode controls that reorder text are written as `\u{..}` escapes.
pub(crate) fn terminal_safe(s: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        c.is_control()
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
    };
    if !s.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Prints like a compiler: `error: file:line: message` and an indented hint.
/// What came from the inventory is made terminal-safe.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: ")?;
        if let Some(site) = &self.site {
            write!(f, "{}", terminal_safe(&site.file.display().to_string()))?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
            }
            write!(f, ": ")?;
        }
        write!(f, "{}", terminal_safe(&self.message))?;
        if let Some(help) = &self.help {
            for (i, l) in help.lines().enumerate() {
                let l = terminal_safe(l);
                if i == 0 {
                    write!(f, "\n  help: {l}")?;
                } else {
                    write!(f, "\n        {l}")?;
                }
            }
        }
        Ok(())
    }
}

/// What a command can fail with. Every message a failure prints is written
/// here, in `Display`, and `cli::exit_code` is the one place that maps
/// failures to exit codes.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The inventory (or a template) has problems; every one is listed.
    #[error("{} problem(s) in the inventory", .0.len())]
    Invalid(Vec<Diagnostic>),
    /// A file could not be read or written.
    #[error("{}: {}", .path.display(), crate::base::error::os_words(.source))]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The command line asks for something that cannot be done.
    #[error("{0}")]
    Usage(String),
    /// A git operation failed.
    #[error("{what}: {message}")]
    Git {
        /// What fleetc was doing.
        what: String,
        /// What git said.
        message: String,
        /// git's own error (a `git2::Error`).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// fleetc stopped short of a change it judged unsafe; nothing changed.
    /// The layer that refused says why (the repository edge's refusals are
    /// a `Refusal`, which the box can be downcast to).
    #[error("{0}")]
    Refused(Box<dyn std::error::Error + Send + Sync>),
    /// Argo CD exports (`fleetc status --from`) that cannot be read as
    /// such; every one is listed.
    #[error("{} problem(s) in the Argo CD exports", .0.len())]
    Exports(Vec<Diagnostic>),
}

impl Error {
    /// An [`Error::Io`] on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Sorts diagnostics by file and line and drops exact repeats.
pub(crate) fn sort_diagnostics(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diags.dedup();
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_read_indexes_only_where_the_document_has_a_list() {
        let doc = json!({"ports": {"80": {"a/b": 1}}, "list": [{"x": 1}, {"x": 2}]});
        assert_eq!(
            pointer_path(&doc, "/ports/80/a~1b"),
            vec![Seg::key("ports"), Seg::key("80"), Seg::key("a/b")]
        );
        assert_eq!(
            pointer_path(&doc, "/list/1/x"),
            vec![Seg::key("list"), Seg::Index(1), Seg::key("x")]
        );
        assert_eq!(
            pointer_path(&doc, "/gone/0"),
            vec![Seg::key("gone"), Seg::key("0")]
        );
        let path = pointer_path(&doc, "/ports/80/a~1b");
        assert_eq!(path_pointer(&path), "/ports/80/a~1b");
        assert_eq!(dotted(&pointer_path(&doc, "/list/1/x")), "list[1].x");
    }
}
