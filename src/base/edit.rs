//! In-place edits of inventory files.
//!
//! `fleetc promote` sets one value in a file that people wrote and read:
//! parsing it and serializing it again would drop its comments, reorder
//! nothing useful and requote everything. Here the edit is planned on
//! saphyr_parser's events, whose spans say where each node sits, and only
//! the bytes of that one value (or one new entry) change: comments, key
//! order, quoting, blank lines, line endings and the other documents of
//! the file stay byte for byte.
//!
//! Every edit is then checked: the new text is parsed again and must mean
//! the old one with that one key set, or the edit is refused.

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use std::collections::HashSet;

/// Deeper than this, a file is not an inventory file but an attack on the
/// stack of the recursive reader below.
const MAX_DEPTH: usize = 256;

/// Sets `key: value` (a string scalar) in the mapping at `path` (keys from
/// the document root, e.g. `["rollout"]`) of document `doc` (0-based,
/// `---`-separated) of `text`, returning the new text. Everything else in
/// the file stays byte for byte: comments, order, quoting, blank lines,
/// other documents.
///
/// An existing value is replaced in place (a comment after it stays); a
/// missing key is added after the mapping's last entry, on its own line
/// indented like the other keys in block style, or before the closing `}`
/// in flow style and JSON. With `json`, keys and values are written as
/// JSON strings.
pub(crate) fn set_string(
    text: &str,
    json: bool,
    doc: usize,
    path: &[&str],
    key: &str,
    value: &str,
) -> Result<String, String> {
    let file = read(text)?;
    let Some(root) = file.docs.get(doc) else {
        return Err(match file.docs.len() {
            0 => format!("there is no document {doc}: the file has no documents"),
            1 => format!("there is no document {doc}: the file has only document 0"),
            n => format!(
                "there is no document {doc}: the file has documents 0 to {}",
                n - 1
            ),
        });
    };
    let map = find_mapping(root, &file.aliased, doc, path)?;
    let edits = plan(text, json, map, path, key, value)?;
    let new = apply(text, edits);
    verify(&file, &new, doc, path, key, string_node(value))?;
    Ok(new)
}

/// Sets `key` in the mapping at `path` of document `doc` to a mapping of
/// strings (`entries`, in order), written in flow style (`{a: x, b: y}`;
/// `{}` when empty): a missing key is added as [`set_string`] adds one,
/// a mapping there is replaced in place. Anything else under `key` is
/// refused, and so is an edit that would change more than that value.
pub(crate) fn set_mapping(
    text: &str,
    json: bool,
    doc: usize,
    path: &[&str],
    key: &str,
    entries: &[(String, String)],
) -> Result<String, String> {
    let file = read(text)?;
    let root = file
        .docs
        .get(doc)
        .ok_or_else(|| format!("there is no document {doc}"))?;
    let map = find_mapping(root, &file.aliased, doc, path)?;
    let flow = format!(
        "{{{}}}",
        entries
            .iter()
            .map(|(k, v)| format!(
                "{}: {}",
                write_scalar(k, json, None),
                write_scalar(v, json, None)
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let edits = match entries_of(map).iter().find(|(k, _)| scalar_is(k, key)) {
        Some((_, v)) if matches!(v.kind, Kind::Map { .. }) && v.anchor == 0 => {
            vec![(v.start, v.end, flow)]
        }
        Some(_) => {
            return Err(format!(
                "`{}` is not a mapping; edit it by hand",
                dotted(path, key)
            ))
        }
        None => insert(text, map, &write_scalar(key, json, None), &flow),
    };
    let new = apply(text, edits);
    let expected = Kind::Map {
        flow: true,
        close: 0,
        entries: entries
            .iter()
            .map(|(k, v)| (string_node(k), string_node(v)))
            .collect(),
    };
    verify(&file, &new, doc, path, key, synthetic(expected))?;
    Ok(new)
}

/// `a.b.key`: where a key is, for messages.
fn dotted(path: &[&str], key: &str) -> String {
    path.iter()
        .chain([&key])
        .copied()
        .collect::<Vec<_>>()
        .join(".")
}

/// The entries of a mapping node (of [`find_mapping`]'s).
fn entries_of(map: &Node) -> &[(Node, Node)] {
    match &map.kind {
        Kind::Map { entries, .. } => entries,
        _ => unreachable!("find_mapping returns mappings"),
    }
}

/// A new entry `k: v` (both written already) at the end of `map`.
fn insert(text: &str, map: &Node, k: &str, v: &str) -> Edits {
    match &map.kind {
        Kind::Map {
            flow: true,
            close,
            entries,
        } => insert_flow(text, *close, entries, k, v),
        Kind::Map { entries, .. } => insert_block(text, entries, k, v),
        _ => unreachable!("find_mapping returns mappings"),
    }
}

/// A node made by an edit, not read from the file (what [`verify`]
/// expects at the key).
fn synthetic(kind: Kind) -> Node {
    Node {
        start: 0,
        end: 0,
        anchor: 0,
        tag: None,
        kind,
    }
}

/// A string scalar, as [`verify`] expects a set value.
fn string_node(s: &str) -> Node {
    synthetic(Kind::Scalar {
        value: s.to_string(),
        style: ScalarStyle::DoubleQuoted,
    })
}

/// One node of the file with where it is, in bytes.
#[derive(Clone, Debug)]
struct Node {
    /// Where the node starts (its properties, quotes or opening bracket).
    start: usize,
    /// Where its content ends: after the last character that belongs to it.
    end: usize,
    anchor: usize,
    tag: Option<(String, String)>,
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    Scalar {
        value: String,
        style: ScalarStyle,
    },
    Seq {
        items: Vec<Node>,
    },
    /// `close` is the byte of the closing `}` when `flow`.
    Map {
        flow: bool,
        close: usize,
        entries: Vec<(Node, Node)>,
    },
    Alias(usize),
}

/// A parsed file: the root of each document, and the anchors some alias
/// refers to.
struct File {
    docs: Vec<Node>,
    aliased: HashSet<usize>,
}

fn read(text: &str) -> Result<File, String> {
    let mut events = Vec::new();
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| {
            format!(
                "the file does not parse: {} at line {}, column {}",
                e.info(),
                e.marker().line(),
                e.marker().col() + 1
            )
        })?;
        events.push((event, span));
    }
    // saphyr counts characters; the text is sliced in bytes.
    let offsets: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let aliased = events
        .iter()
        .filter_map(|(e, _)| match e {
            Event::Alias(id) => Some(*id),
            _ => None,
        })
        .collect();
    let mut reader = Reader {
        text,
        offsets,
        events: &events,
        at: 0,
    };
    let mut docs = Vec::new();
    while let Some((event, _)) = events.get(reader.at) {
        reader.at += 1;
        if let Event::DocumentStart(_) = event {
            docs.push(reader.node(0)?);
        }
    }
    Ok(File { docs, aliased })
}

struct Reader<'a> {
    text: &'a str,
    offsets: Vec<usize>,
    events: &'a [(Event<'a>, Span)],
    at: usize,
}

impl Reader<'_> {
    fn byte(&self, char_index: usize) -> usize {
        self.offsets
            .get(char_index)
            .copied()
            .unwrap_or(self.text.len())
    }

    fn next(&mut self) -> Result<(&Event<'_>, usize, usize), String> {
        let Some((event, span)) = self.events.get(self.at) else {
            return Err("the file does not parse: it ends inside a node".to_string());
        };
        self.at += 1;
        Ok((
            event,
            self.byte(span.start.index()),
            self.byte(span.end.index()),
        ))
    }

    fn at_end_of_collection(&self) -> bool {
        matches!(
            self.events.get(self.at),
            Some((Event::MappingEnd | Event::SequenceEnd, _))
        )
    }

    fn node(&mut self, depth: usize) -> Result<Node, String> {
        if depth > MAX_DEPTH {
            return Err(format!("the file nests deeper than {MAX_DEPTH} levels"));
        }
        let text = self.text;
        let (event, start, end) = self.next()?;
        let tag_of = |t: &Option<std::borrow::Cow<'_, saphyr_parser::Tag>>| {
            t.as_ref().map(|t| (t.handle.clone(), t.suffix.clone()))
        };
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                // saphyr's span of a quoted or block scalar runs on over the
                // blanks and comments after it; the content ends before them.
                let end = match style {
                    ScalarStyle::Literal | ScalarStyle::Folded => {
                        let kept = value.len() - value.trim_end_matches('\n').len();
                        block_scalar_end(text, start, end, kept.saturating_sub(1))
                    }
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                        quoted_end(text, start, *style).unwrap_or(end)
                    }
                    ScalarStyle::Plain => end,
                };
                Ok(Node {
                    start,
                    end,
                    anchor: *anchor,
                    tag: tag_of(tag),
                    kind: Kind::Scalar {
                        value: value.to_string(),
                        style: *style,
                    },
                })
            }
            Event::Alias(id) => Ok(Node {
                start,
                end,
                anchor: 0,
                tag: None,
                kind: Kind::Alias(*id),
            }),
            Event::SequenceStart(anchor, tag) => {
                let (anchor, tag) = (*anchor, tag_of(tag));
                let mut items = Vec::new();
                let mut last = start;
                while !self.at_end_of_collection() {
                    let item = self.node(depth + 1)?;
                    last = last.max(item.end);
                    items.push(item);
                }
                let (_, close, close_end) = self.next()?;
                // A flow sequence ends with its `]`; a block one with its last item.
                let close = (close_end > close)
                    .then(|| closing(text, close, ']'))
                    .flatten();
                let end = close.map_or(last, |c| c + 1);
                Ok(Node {
                    start,
                    end,
                    anchor,
                    tag,
                    kind: Kind::Seq { items },
                })
            }
            Event::MappingStart(anchor, tag) => {
                let (anchor, tag) = (*anchor, tag_of(tag));
                let mut entries = Vec::new();
                let mut last = start;
                while !self.at_end_of_collection() {
                    let k = self.node(depth + 1)?;
                    let v = self.node(depth + 1)?;
                    last = last.max(k.end).max(v.end);
                    entries.push((k, v));
                }
                let (_, close, close_end) = self.next()?;
                let close = (close_end > close)
                    .then(|| closing(text, close, '}'))
                    .flatten();
                let end = close.map_or(last, |c| c + 1);
                let (flow, close) = (close.is_some(), close.unwrap_or(end));
                Ok(Node {
                    start,
                    end,
                    anchor,
                    tag,
                    kind: Kind::Map {
                        flow,
                        close,
                        entries,
                    },
                })
            }
            _ => Err("the file does not parse: an unexpected event".to_string()),
        }
    }
}

/// The byte of the bracket `bracket` closing a flow collection, at or after
/// `from`, the start of the span saphyr gives its end: that span may start
/// at a trailing comma.
fn closing(text: &str, from: usize, bracket: char) -> Option<usize> {
    let mut in_comment = false;
    for (i, c) in text[from..].char_indices() {
        match c {
            '\n' => in_comment = false,
            _ if in_comment => {}
            ' ' | '\t' | '\r' | ',' => {}
            '#' => in_comment = true,
            c if c == bracket => return Some(from + i),
            _ => return None,
        }
    }
    None
}

/// The byte after the closing quote of a quoted scalar starting at `start`
/// (at its properties, if any, or at its opening quote).
fn quoted_end(text: &str, start: usize, style: ScalarStyle) -> Option<usize> {
    let quote = if style == ScalarStyle::DoubleQuoted {
        '"'
    } else {
        '\''
    };
    let open = start + text[start..].find(quote)?;
    let mut chars = text[open + 1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if quote == '"' => {
                chars.next();
            }
            '\'' if quote == '\'' && text[open + 1 + i + 1..].starts_with('\'') => {
                chars.next();
            }
            c if c == quote => return Some(open + 1 + i + 1),
            _ => {}
        }
    }
    None
}

/// Where the content of a block scalar (`|` or `>`) ends. saphyr's span
/// runs on to the next token, over blank lines and comments that are not
/// part of the scalar: its content is the lines indented at least like its
/// first non-blank line, and it ends at the end of the last of them, or
/// `kept` blank lines further when its chomping (`|+`) keeps them.
fn block_scalar_end(text: &str, start: usize, span_end: usize, kept: usize) -> usize {
    // The line of the indicator: the last one with something before `start`.
    let indicator_end = text[..start].trim_end().len();
    let mut end = indicator_end;
    let Some(nl) = text[indicator_end..].find('\n') else {
        return span_end.max(end);
    };
    let mut pos = indicator_end + nl + 1;
    let mut indent = None;
    while pos < text.len() {
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let line = text[pos..line_end].trim_end_matches('\r');
        let body = line.trim_start_matches(' ');
        let spaces = line.len() - body.len();
        if !body.trim().is_empty() {
            if pos + spaces >= span_end || spaces < *indent.get_or_insert(spaces) {
                break;
            }
            end = pos + line.len();
        }
        pos = line_end + 1;
    }
    for _ in 0..kept {
        let Some(nl) = text[end..].find('\n') else {
            break;
        };
        let next = end + nl + 1;
        let line_end = text[next..].find('\n').map_or(text.len(), |i| next + i);
        if !text[next..line_end].trim().is_empty() {
            break;
        }
        end = next + text[next..line_end].trim_end_matches('\r').len();
    }
    end
}

/// The mapping at `path` in `root`, refusing one shared through an anchor:
/// setting a key there would change every alias of it too.
fn find_mapping<'a>(
    root: &'a Node,
    aliased: &HashSet<usize>,
    doc: usize,
    path: &[&str],
) -> Result<&'a Node, String> {
    let mut node = root;
    for depth in 0..=path.len() {
        let here = &path[..depth];
        let name = || {
            if here.is_empty() {
                format!("document {doc}")
            } else {
                format!("`{}`", here.join("."))
            }
        };
        if node.anchor != 0 && aliased.contains(&node.anchor) {
            return Err(format!(
                "{} is shared through a YAML anchor (`&`): setting a key in it would change its aliases (`*`) too",
                name()
            ));
        }
        let Kind::Map { entries, .. } = &node.kind else {
            return Err(match node.kind {
                Kind::Alias(_) => format!(
                    "{} is an alias (`*`) of another node, not a mapping of its own",
                    name()
                ),
                _ => format!("{} is not a mapping", name()),
            });
        };
        let Some(seg) = path.get(depth) else {
            break;
        };
        let mut found = entries
            .iter()
            .filter(|(k, _)| scalar_is(k, seg))
            .map(|(_, v)| v);
        node = match (found.next(), found.next()) {
            (Some(v), None) => v,
            (None, _) => {
                return Err(format!(
                    "document {doc} has no `{}`",
                    path[..=depth].join(".")
                ));
            }
            (Some(_), Some(_)) => {
                return Err(format!("{} has the key `{seg}` twice", name()));
            }
        };
    }
    Ok(node)
}

fn scalar_is(node: &Node, s: &str) -> bool {
    matches!(&node.kind, Kind::Scalar { value, .. } if value == s)
}

/// The replacements that set the key: (start, end, new bytes) with
/// `start..end` a byte range of the text, in order, not overlapping.
type Edits = Vec<(usize, usize, String)>;

fn plan(
    text: &str,
    json: bool,
    map: &Node,
    path: &[&str],
    key: &str,
    value: &str,
) -> Result<Edits, String> {
    let full = || dotted(path, key);
    let mut found = entries_of(map).iter().filter(|(k, _)| scalar_is(k, key));
    if let Some((k, v)) = found.next() {
        if found.next().is_some() {
            return Err(format!("`{}` is set twice", full()));
        }
        return replace(text, json, k, v, value)
            .map_err(|what| format!("`{}` {what}; edit it by hand", full()));
    }
    let k = write_scalar(key, json, None);
    let v = write_scalar(value, json, None);
    Ok(insert(text, map, &k, &v))
}

/// Replaces the value `v` of the key `k`; the error says what `v` is.
fn replace(text: &str, json: bool, k: &Node, v: &Node, value: &str) -> Result<Edits, String> {
    if v.anchor != 0 {
        return Err("carries an anchor (`&`)".to_string());
    }
    match &v.kind {
        Kind::Scalar { value: old, style } => {
            let new = write_scalar(value, json, Some(*style));
            match style {
                ScalarStyle::Plain if old.is_empty() && v.start == v.end => {
                    // `key:` with nothing after it: write after the colon.
                    let at = after_colon(text, k.end).ok_or("has no `:` after it")?;
                    Ok(vec![(at, at, format!(" {new}"))])
                }
                ScalarStyle::Literal | ScalarStyle::Folded => {
                    // From the indicator (`|`, `>`, or the tag before it).
                    let colon = after_colon(text, k.end).ok_or("has no `:` after it")?;
                    let at = colon
                        + (text[colon..].len()
                            - text[colon..].trim_start_matches([' ', '\t']).len());
                    Ok(vec![(at, v.end, new)])
                }
                _ => Ok(vec![(v.start, v.end, new)]),
            }
        }
        Kind::Alias(_) => Ok(vec![(v.start, v.end, write_scalar(value, json, None))]),
        Kind::Seq { .. } => Err("is a list, not a string".to_string()),
        Kind::Map { .. } => Err("is a mapping, not a string".to_string()),
    }
}

/// The byte after the `:` that follows a key ending at `key_end`.
fn after_colon(text: &str, key_end: usize) -> Option<usize> {
    let rest = &text[key_end..];
    let gap = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    rest[gap..].starts_with(':').then_some(key_end + gap + 1)
}

/// A new line `key: value` after the last line of the last entry,
/// indented like the keys of the mapping.
fn insert_block(text: &str, entries: &[(Node, Node)], k: &str, v: &str) -> Edits {
    let Some((first, _)) = entries.first() else {
        unreachable!("a block mapping has entries")
    };
    let line_start = text[..first.start].rfind('\n').map_or(0, |i| i + 1);
    // Counted in characters: what is left of a key is `- ` or spaces.
    let indent = " ".repeat(text[line_start..first.start].chars().count());
    let last = entries
        .iter()
        .map(|(k, v)| k.end.max(v.end))
        .max()
        .unwrap_or(first.end);
    match text[last..].find('\n') {
        Some(i) => {
            let eol = if text[..last + i].ends_with('\r') {
                "\r\n"
            } else {
                "\n"
            };
            let at = last + i + 1;
            vec![(at, at, format!("{indent}{k}: {v}{eol}"))]
        }
        None => {
            let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
            vec![(text.len(), text.len(), format!("{eol}{indent}{k}: {v}"))]
        }
    }
}

/// `, key: value` after the last entry of a flow mapping (or JSON
/// object) whose `}` is at `close`; on a line of its own when the `}` is
/// on a line of its own.
fn insert_flow(text: &str, close: usize, entries: &[(Node, Node)], k: &str, v: &str) -> Edits {
    let Some(last) = entries.iter().map(|(k, v)| k.end.max(v.end)).max() else {
        return vec![(close, close, format!("{k}: {v}"))];
    };
    // A trailing comma already there (`{a: 1, }`) stays the separator.
    let comma = next_token(text, last, close).filter(|&i| text[i..].starts_with(','));
    let after = comma.map_or(last, |i| i + 1);
    if !text[after..close].contains('\n') {
        return vec![match comma {
            Some(_) => (after, after, format!(" {k}: {v}")),
            None => (last, last, format!(", {k}: {v}")),
        }];
    }
    // Multi-line: a line of its own, indented like the last key's line.
    let last_key = entries.last().map_or(last, |(k, _)| k.start);
    let line_start = text[..last_key].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..];
    let indent = &line[..line.len() - line.trim_start_matches([' ', '\t']).len()];
    let nl = after + text[after..].find('\n').unwrap_or(0);
    let eol = if text[..nl].ends_with('\r') {
        "\r\n"
    } else {
        "\n"
    };
    match comma {
        Some(_) => vec![(nl + 1, nl + 1, format!("{indent}{k}: {v},{eol}"))],
        None => vec![
            (last, last, ",".to_string()),
            (nl + 1, nl + 1, format!("{indent}{k}: {v}{eol}")),
        ],
    }
}

/// The first byte in `from..to` that is not blank or in a comment.
fn next_token(text: &str, from: usize, to: usize) -> Option<usize> {
    let mut in_comment = false;
    for (i, c) in text[from..to].char_indices() {
        match c {
            '\n' => in_comment = false,
            _ if in_comment => {}
            ' ' | '\t' | '\r' => {}
            '#' => in_comment = true,
            _ => return Some(from + i),
        }
    }
    None
}

fn apply(text: &str, edits: Edits) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for (start, end, new) in edits {
        out.push_str(&text[at..start]);
        out.push_str(&new);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// A string as a scalar: in JSON a JSON string; in YAML plain when it
/// cannot read as anything but that string, else quoted. `was` is the
/// style of the value it replaces: a quoted value stays quoted.
fn write_scalar(s: &str, json: bool, was: Option<ScalarStyle>) -> String {
    if json {
        return serde_json::to_string(s).unwrap();
    }
    match was {
        Some(ScalarStyle::SingleQuoted) if !s.chars().any(needs_escape) => {
            format!("'{}'", s.replace('\'', "''"))
        }
        Some(ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted) => double_quoted(s),
        _ if is_plain_string(s) => s.to_string(),
        _ => double_quoted(s),
    }
}

/// Whether `s`, written plain, reads back as the string `s` under every
/// YAML schema (1.1 too: `yes`, `on`, `y` are booleans there). Deliberately
/// narrow: letters, digits, `-`, `_`, `.`, starting with a letter or `_`.
fn is_plain_string(s: &str) -> bool {
    // `4.39.0`: digits in three or more dot-separated parts read as a
    // string under every schema (a number has one dot at most).
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() >= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return true;
    }
    const WORDS: [&str; 12] = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf", "infinity",
    ];
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !WORDS.contains(&s.to_ascii_lowercase().as_str())
}

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Refuses an edit whose text does not mean the old one with the key set.
fn verify(
    old: &File,
    new: &str,
    doc: usize,
    path: &[&str],
    key: &str,
    value: Node,
) -> Result<(), String> {
    let refuse = || {
        format!(
            "setting `{}` in place would change more of the file than that; edit it by hand",
            dotted(path, key)
        )
    };
    let new = read(new).map_err(|_| refuse())?;
    let mut expected = old.docs.clone();
    let mut map = &mut expected[doc];
    for seg in path {
        let Kind::Map { entries, .. } = &mut map.kind else {
            return Err(refuse());
        };
        let Some((_, v)) = entries.iter_mut().find(|(k, _)| scalar_is(k, seg)) else {
            return Err(refuse());
        };
        map = v;
    }
    let Kind::Map { entries, .. } = &mut map.kind else {
        return Err(refuse());
    };
    match entries.iter_mut().find(|(k, _)| scalar_is(k, key)) {
        Some((_, v)) => *v = value,
        None => entries.push((string_node(key), value)),
    }
    let same_docs =
        expected.len() == new.docs.len() && expected.iter().zip(&new.docs).all(|(a, b)| same(a, b));
    if same_docs {
        Ok(())
    } else {
        Err(refuse())
    }
}

/// Whether two nodes mean the same, whatever their layout: a plain
/// scalar that [`is_plain_string`] is the same as that string quoted.
fn same(a: &Node, b: &Node) -> bool {
    let is_string =
        |style: &ScalarStyle, value: &str| *style != ScalarStyle::Plain || is_plain_string(value);
    a.anchor == b.anchor
        && a.tag == b.tag
        && match (&a.kind, &b.kind) {
            (Kind::Scalar { value: x, style: s }, Kind::Scalar { value: y, style: t }) => {
                x == y && is_string(s, x) == is_string(t, y)
            }
            (Kind::Seq { items: x }, Kind::Seq { items: y }) => {
                x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
            }
            (Kind::Map { entries: x, .. }, Kind::Map { entries: y, .. }) => {
                x.len() == y.len()
                    && x.iter()
                        .zip(y)
                        .all(|((a, b), (c, d))| same(a, c) && same(b, d))
            }
            (Kind::Alias(x), Kind::Alias(y)) => x == y,
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use super::{set_mapping, set_string};
    use serde::Deserialize;

    fn yaml_docs(text: &str) -> Vec<serde_yaml::Value> {
        serde_yaml::Deserializer::from_str(text)
            .map(|d| serde_yaml::Value::deserialize(d).unwrap())
            .collect()
    }

    /// Sets the key and checks that the result parses (with serde_yaml) to
    /// the original with that key set, and nothing else changed.
    fn set(text: &str, doc: usize, path: &[&str], key: &str, value: &str) -> String {
        let out = set_string(text, false, doc, path, key, value)
            .unwrap_or_else(|e| panic!("{e}\n--- in:\n{text}"));
        let mut expected = yaml_docs(text);
        let mut node = &mut expected[doc];
        for seg in path {
            node = node.get_mut(*seg).unwrap();
        }
        node.as_mapping_mut()
            .unwrap()
            .insert(key.into(), value.into());
        assert_eq!(
            yaml_docs(&out),
            expected,
            "\n--- in:\n{text}\n--- out:\n{out}"
        );
        out
    }

    fn set_json(text: &str, path: &[&str], key: &str, value: &str) -> String {
        let out = set_string(text, true, 0, path, key, value).unwrap();
        let mut expected: serde_json::Value = serde_json::from_str(text).unwrap();
        let mut node = &mut expected;
        for seg in path {
            node = node.get_mut(*seg).unwrap();
        }
        node.as_object_mut()
            .unwrap()
            .insert(key.into(), value.into());
        let after: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}:\n{out}"));
        assert_eq!(after, expected, "\n--- out:\n{out}");
        out
    }

    const POLICY: &str = "\
# The EU fleet, ring by ring.
kind: TargetPolicy
name: eu   # the name
rollout:
  # how we roll
  by: ring
  promoted: canary   # set by fleetc promote

  order:
    - canary
    - prod
# after
selector: {region: eu}
";

    #[test]
    fn replaces_a_block_value_keeping_comments() {
        let out = set(POLICY, 0, &["rollout"], "promoted", "prod");
        assert_eq!(
            out,
            POLICY.replace("promoted: canary   #", "promoted: prod   #")
        );
    }

    #[test]
    fn only_the_edited_line_changes() {
        let out = set(POLICY, 0, &["rollout"], "promoted", "ring-2");
        let (old, new): (Vec<_>, Vec<_>) = (POLICY.lines().collect(), out.lines().collect());
        assert_eq!(old.len(), new.len());
        let changed: Vec<_> = old.iter().zip(&new).filter(|(a, b)| a != b).collect();
        assert_eq!(
            changed,
            [(
                &"  promoted: canary   # set by fleetc promote",
                &"  promoted: ring-2   # set by fleetc promote"
            )]
        );

        // An insert adds one line and changes none.
        let text = POLICY.replace("  promoted: canary   # set by fleetc promote\n", "");
        let out = set(&text, 0, &["rollout"], "promoted", "prod");
        let mut lines: Vec<_> = text.lines().collect();
        lines.insert(10, "  promoted: prod");
        assert_eq!(out.lines().collect::<Vec<_>>(), lines);
    }

    /// `promote --force` records its reason in a mapping (`forced`),
    /// made when missing and rewritten as a whole when it changes.
    #[test]
    fn a_mapping_of_strings_is_added_or_replaced_in_flow_style() {
        let set = |text: &str, json: bool, entries: &[(&str, &str)]| {
            let entries: Vec<(String, String)> = entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            set_mapping(text, json, 0, &["rollout"], "forced", &entries)
        };
        let yaml = "rollout:\n  by: ring   # the label\n  promoted: early\nname: x\n";
        let once = set(yaml, false, &[("early", "CVE: no soak")]).unwrap();
        assert_eq!(
            once,
            "rollout:\n  by: ring   # the label\n  promoted: early\n  forced: {early: \"CVE: no soak\"}\nname: x\n"
        );
        let twice = set(&once, false, &[("early", "CVE: no soak"), ("broad", "r2")]).unwrap();
        assert!(
            twice.contains("  forced: {early: \"CVE: no soak\", broad: r2}\n"),
            "{twice}"
        );
        assert!(set(&twice, false, &[])
            .unwrap()
            .contains("  forced: {}\nname: x\n"));
        // A block mapping written by hand is replaced, its key line kept.
        let block = "rollout:\n  forced:\n    early: old\n  by: ring\n";
        let out = set(block, false, &[("broad", "new")]).unwrap();
        assert_eq!(
            crate::base::yaml::parse_yaml(&out).unwrap()[0].value["rollout"]["forced"],
            serde_json::json!({"broad": "new"})
        );
        let json = "{\"rollout\": {\"by\": \"ring\"}}\n";
        assert_eq!(
            set(json, true, &[("early", "CVE: no soak")]).unwrap(),
            "{\"rollout\": {\"by\": \"ring\", \"forced\": {\"early\": \"CVE: no soak\"}}}\n"
        );
        // Something else under the key is refused, not overwritten.
        let err = set("rollout:\n  forced: yes\n", false, &[]).unwrap_err();
        assert!(err.contains("`rollout.forced` is not a mapping"), "{err}");
    }

    #[test]
    fn inserts_after_a_nested_list() {
        let text = "rollout:\n  by: ring\n  order:\n    - a\n    - b   # last\n\n# next\nname: x\n";
        let out = set(text, 0, &["rollout"], "promoted", "b");
        assert_eq!(
            out,
            "rollout:\n  by: ring\n  order:\n    - a\n    - b   # last\n  promoted: b\n\n# next\nname: x\n"
        );
        // A list not indented under its key.
        let text = "rollout:\n  order:\n  - a\n  - b\nname: x\n";
        let out = set(text, 0, &["rollout"], "promoted", "b");
        assert_eq!(
            out,
            "rollout:\n  order:\n  - a\n  - b\n  promoted: b\nname: x\n"
        );
    }

    #[test]
    fn inserts_after_a_flow_list() {
        let text = "rollout:\n    by: ring\n    order: [a,\n      b]  # c\nname: x";
        let out = set(text, 0, &["rollout"], "promoted", "a");
        assert_eq!(
            out,
            "rollout:\n    by: ring\n    order: [a,\n      b]  # c\n    promoted: a\nname: x"
        );
    }

    #[test]
    fn inserts_at_the_end_of_a_file_without_a_newline() {
        let out = set(
            "name: x\nrollout:\n  by: ring",
            0,
            &["rollout"],
            "promoted",
            "a",
        );
        assert_eq!(out, "name: x\nrollout:\n  by: ring\n  promoted: a");
        let out = set("name: x", 0, &[], "promoted", "a");
        assert_eq!(out, "name: x\npromoted: a");
    }

    #[test]
    fn inserts_after_a_block_scalar() {
        let text = "rollout:\n  by: ring\n  note: |\n    line one\n      # not a comment\n\n  # a comment\nname: x\n";
        let out = set(text, 0, &["rollout"], "promoted", "a");
        assert_eq!(
            out,
            "rollout:\n  by: ring\n  note: |\n    line one\n      # not a comment\n  promoted: a\n\n  # a comment\nname: x\n"
        );
        // And replaces one.
        let text = "rollout:\n  promoted: >-\n    folded\n    text\n  # c\n  by: ring\n";
        let out = set(text, 0, &["rollout"], "promoted", "a");
        assert_eq!(out, "rollout:\n  promoted: a\n  # c\n  by: ring\n");
    }

    #[test]
    fn in_a_list_item_and_deeper() {
        let text = "- name: a\n  rollout:\n    by: ring\n- name: b\n";
        // A sequence root is not a mapping.
        assert!(set_string(text, false, 0, &["rollout"], "k", "v")
            .unwrap_err()
            .contains("not a mapping"));
        let text =
            "spec:\n  items:\n    - name: a\n      by: ring\n  rollout:\n    stages:\n      - a\n";
        let out = set(text, 0, &["spec", "rollout"], "promoted", "a");
        assert_eq!(
            out,
            "spec:\n  items:\n    - name: a\n      by: ring\n  rollout:\n    stages:\n      - a\n    promoted: a\n"
        );
    }

    #[test]
    fn flow_mappings() {
        let text = "name: p\nrollout: {by: ring, order: [a, b]}  # flow\n";
        let out = set(text, 0, &["rollout"], "promoted", "b");
        assert_eq!(
            out,
            "name: p\nrollout: {by: ring, order: [a, b], promoted: b}  # flow\n"
        );
        let out = set(&out, 0, &["rollout"], "promoted", "a");
        assert_eq!(
            out,
            "name: p\nrollout: {by: ring, order: [a, b], promoted: a}  # flow\n"
        );
        assert_eq!(
            set("rollout: {}\n", 0, &["rollout"], "promoted", "a"),
            "rollout: {promoted: a}\n"
        );
        assert_eq!(
            set("rollout: { }\n", 0, &["rollout"], "promoted", "a"),
            "rollout: { promoted: a}\n"
        );
        assert_eq!(
            set("rollout: { by: ring, }\n", 0, &["rollout"], "promoted", "a"),
            "rollout: { by: ring, promoted: a }\n"
        );
        // Multi-line: a line of its own.
        let text = "rollout: {\n  by: ring,\n  order: [a, b] # c\n}\n";
        assert_eq!(
            set(text, 0, &["rollout"], "promoted", "a"),
            "rollout: {\n  by: ring,\n  order: [a, b], # c\n  promoted: a\n}\n"
        );
        let text = "rollout: {\n  by: ring,\n}\n";
        assert_eq!(
            set(text, 0, &["rollout"], "promoted", "a"),
            "rollout: {\n  by: ring,\n  promoted: a,\n}\n"
        );
        // Empty values.
        assert_eq!(
            set(
                "rollout: {promoted: , by: x}\n",
                0,
                &["rollout"],
                "promoted",
                "a"
            ),
            "rollout: {promoted: a , by: x}\n"
        );
    }

    #[test]
    fn json_pretty_and_one_line() {
        let text = "{\n  \"name\": \"p\",\n  \"rollout\": {\n    \"by\": \"ring\",\n    \"order\": [\"a\", \"b\"]\n  }\n}\n";
        let out = set_json(text, &["rollout"], "promoted", "b");
        assert_eq!(
            out,
            "{\n  \"name\": \"p\",\n  \"rollout\": {\n    \"by\": \"ring\",\n    \"order\": [\"a\", \"b\"],\n    \"promoted\": \"b\"\n  }\n}\n"
        );
        let out = set_json(&out, &["rollout"], "promoted", "yes \"quoted\"");
        assert!(
            out.contains("    \"promoted\": \"yes \\\"quoted\\\"\"\n"),
            "{out}"
        );

        let text = r#"{"name": "p", "rollout": {"by": "ring", "order": ["a","b"]}}"#;
        let out = set_json(text, &["rollout"], "promoted", "b");
        assert_eq!(
            out,
            r#"{"name": "p", "rollout": {"by": "ring", "order": ["a","b"], "promoted": "b"}}"#
        );
        let out = set_json(&out, &["rollout"], "promoted", "1.0");
        assert_eq!(
            out,
            r#"{"name": "p", "rollout": {"by": "ring", "order": ["a","b"], "promoted": "1.0"}}"#
        );
        assert_eq!(
            set_json(r#"{"rollout":{}}"#, &["rollout"], "promoted", "a"),
            r#"{"rollout":{"promoted": "a"}}"#
        );
        // A value of another type becomes a string.
        assert_eq!(
            set_json(
                r#"{"rollout":{"promoted":null}}"#,
                &["rollout"],
                "promoted",
                "a"
            ),
            r#"{"rollout":{"promoted":"a"}}"#
        );
    }

    #[test]
    fn second_document() {
        let text = "# policies\n---\n# first\nname: a\nrollout:\n  by: ring\n  promoted: x\n---\n# second\nname: b\nrollout:\n  by: ring  # rings\n...\n---\nname: c\nrollout: {by: ring}\n";
        let out = set(text, 1, &["rollout"], "promoted", "ring-2");
        assert_eq!(
            out,
            text.replace(
                "  by: ring  # rings\n",
                "  by: ring  # rings\n  promoted: ring-2\n"
            )
        );
        let out = set(text, 2, &["rollout"], "promoted", "ring-2");
        assert_eq!(
            out,
            text.replace("{by: ring}", "{by: ring, promoted: ring-2}")
        );
        let out = set(text, 0, &["rollout"], "promoted", "ring-2");
        assert_eq!(out, text.replace("promoted: x", "promoted: ring-2"));
    }

    #[test]
    fn crlf() {
        let text = "# Zürich\r\nname: p\r\nrollout:\r\n  by: ring\r\n  order:\r\n    - a\r\n    - b\r\nnext: {a: 1}\r\n";
        let out = set(text, 0, &["rollout"], "promoted", "b");
        assert_eq!(
            out,
            text.replace("    - b\r\n", "    - b\r\n  promoted: b\r\n")
        );
        let again = set(&out, 0, &["rollout"], "promoted", "a");
        assert_eq!(
            again,
            text.replace("    - b\r\n", "    - b\r\n  promoted: a\r\n")
        );
        let out = set("rollout:\r\n  by: ring", 0, &["rollout"], "promoted", "b");
        assert_eq!(out, "rollout:\r\n  by: ring\r\n  promoted: b");
        let out = set(
            "rollout: {\r\n  by: ring\r\n}\r\n",
            0,
            &["rollout"],
            "promoted",
            "b",
        );
        assert_eq!(out, "rollout: {\r\n  by: ring,\r\n  promoted: b\r\n}\r\n");
    }

    #[test]
    fn non_ascii_before_the_edit() {
        let text = "# Zürich café — ring ☕\nname: \"Zürich\"\nlabels: {city: Zürich}\nrollout:\n  by: ring  # é\n  promoted: 'ça'  # ü\n";
        let out = set(text, 0, &["rollout"], "promoted", "prod");
        assert_eq!(out, text.replace("'ça'", "'prod'"));
        let out = set(text, 0, &["labels"], "zone", "b");
        assert_eq!(
            out,
            text.replace("{city: Zürich}", "{city: Zürich, zone: b}")
        );
        let out = set(text, 0, &["rollout"], "note", "naïve");
        assert_eq!(out, format!("{text}  note: \"naïve\"\n"));
        // A byte order mark counts as a character for saphyr (serde_yaml
        // cannot read this one back, so the text is compared alone).
        let out = set_string(
            "\u{feff}a: 1\nrollout:\n  by: x\n",
            false,
            0,
            &["rollout"],
            "promoted",
            "é",
        );
        assert_eq!(
            out.unwrap(),
            "\u{feff}a: 1\nrollout:\n  by: x\n  promoted: \"é\"\n"
        );
    }

    #[test]
    fn quotes_what_would_read_otherwise() {
        let text = "rollout:\n  by: ring\n  promoted: a   # c\n";
        for (value, written) in [
            ("yes", "\"yes\""),
            ("no", "\"no\""),
            ("on", "\"on\""),
            ("True", "\"True\""),
            ("null", "\"null\""),
            ("~", "\"~\""),
            ("", "\"\""),
            ("1.0", "\"1.0\""),
            ("1.5", "\"1.5\""),
            ("0x1f", "\"0x1f\""),
            ("-", "\"-\""),
            ("a b", "\"a b\""),
            ("a: b", "\"a: b\""),
            ("#x", "\"#x\""),
            ("say \"hi\"\\", "\"say \\\"hi\\\"\\\\\""),
            ("two\nlines\t\u{7f}", "\"two\\nlines\\t\\u007f\""),
            ("ring-2.eu_1", "ring-2.eu_1"),
        ] {
            let out = set(text, 0, &["rollout"], "promoted", value);
            assert_eq!(
                out,
                text.replace("promoted: a ", &format!("promoted: {written} "))
            );
            // And as a new key.
            set("rollout:\n  by: ring\n", 0, &["rollout"], "promoted", value);
            set("rollout: {by: ring}\n", 0, &["rollout"], "promoted", value);
            set_json(
                "{\"rollout\": {\"by\": \"ring\"}}",
                &["rollout"],
                "promoted",
                value,
            );
        }
    }

    #[test]
    fn keeps_the_quote_style() {
        assert_eq!(set("a: 'x'\n", 0, &[], "a", "it's"), "a: 'it''s'\n");
        assert_eq!(
            set("a: 'x'\n", 0, &[], "a", "two\nlines"),
            "a: \"two\\nlines\"\n"
        );
        assert_eq!(set("a: \"x\"\n", 0, &[], "a", "z"), "a: \"z\"\n");
        assert_eq!(set("a: x\n", 0, &[], "a", "z"), "a: z\n");
        assert_eq!(set("a: !!str 5\n", 0, &[], "a", "z"), "a: z\n");
        assert_eq!(
            set("b: &x q\na: *x  # c\n", 0, &[], "a", "z"),
            "b: &x q\na: z  # c\n"
        );
        assert_eq!(
            set("a:   # empty\nb: 1\n", 0, &[], "a", "z"),
            "a: z   # empty\nb: 1\n"
        );
        assert_eq!(set("a:\nb: 1\n", 0, &[], "a", "z"), "a: z\nb: 1\n");
        assert_eq!(
            set("a: plain\n  continued\nb: 1\n", 0, &[], "a", "z"),
            "a: z\nb: 1\n"
        );
    }

    #[test]
    fn refuses_in_plain_words() {
        let text = "name: p\nrollout:\n  by: ring\nlist: [a]\n---\nname: q\n";
        let err =
            |doc, path: &[&str]| set_string(text, false, doc, path, "promoted", "a").unwrap_err();
        assert_eq!(
            err(2, &["rollout"]),
            "there is no document 2: the file has documents 0 to 1"
        );
        assert_eq!(err(1, &["rollout"]), "document 1 has no `rollout`");
        assert_eq!(err(0, &["rollout", "by"]), "`rollout.by` is not a mapping");
        assert_eq!(err(0, &["list"]), "`list` is not a mapping");
        assert_eq!(
            err(0, &["rollout", "x", "y"]),
            "document 0 has no `rollout.x`"
        );
        assert_eq!(
            set_string("a: [\n", false, 0, &[], "k", "v")
                .unwrap_err()
                .split(':')
                .next(),
            Some("the file does not parse")
        );
        assert_eq!(
            set_string("# only a comment\n", false, 0, &[], "k", "v").unwrap_err(),
            "there is no document 0: the file has no documents"
        );
        let shared = "base: &b {by: ring}\nrollout: *b\nother:\n  <<: *b\n";
        assert!(set_string(shared, false, 0, &["base"], "k", "v")
            .unwrap_err()
            .contains("shared through a YAML anchor"));
        assert!(set_string(shared, false, 0, &["rollout"], "k", "v")
            .unwrap_err()
            .contains("is an alias"));
        assert!(set_string("a: {b: [1]}\n", false, 0, &["a"], "b", "v")
            .unwrap_err()
            .contains("`a.b` is a list"));
        assert!(
            set_string("a: {b: &x 1}\nc: *x\n", false, 0, &["a"], "b", "v")
                .unwrap_err()
                .contains("anchor")
        );
        assert!(set_string("a: 1\na: 2\n", false, 0, &[], "a", "v").is_err());
    }

    /// Many small documents, every mapping style and kind of last entry,
    /// with the key there or not, LF and CRLF: the result always parses
    /// to the original with the key set.
    #[test]
    fn many_generated_documents() {
        let lasts = [
            "last: x",
            "last: 'q' # c",
            "last: \"d\"",
            "last: 1.5",
            "last:",
            "last: [a, {b: c}]",
            "last: {a: [1, 2]}",
            "last:\n    - a\n    - {b: c}",
            "last:\n    k: v\n    l:\n      - 1",
            "last: |\n    text\n    # more\n\n  # comment",
            "last: >+\n    text\n\n",
            "last: plain\n    continued",
            "last: &an v\n  again: *an",
            "last: !!str 3",
        ];
        let values = ["prod", "yes", "", "a: b", "1", "é", "x\ny", "'", "[x]"];
        let mut n = 0;
        for eol in ["\n", "\r\n"] {
            for last in lasts {
                for has in [false, true] {
                    let promoted = if has {
                        "  promoted: canary # here\n"
                    } else {
                        ""
                    };
                    let text = format!(
                        "# Zürich\nkind: P\nrollout:\n  by: ring\n{promoted}  {last}\nafter: [z]\n---\nrollout:\n  by: other\n"
                    );
                    let text = text.replace('\n', eol);
                    for value in values {
                        set(&text, 0, &["rollout"], "promoted", value);
                        set(&text, 1, &["rollout"], "promoted", value);
                        n += 2;
                    }
                }
            }
            for flow in [
                "{}",
                "{a: 1}",
                "{a: [1, 2], }",
                "{\n  a: 1\n}",
                "{\n  a: {b: c},\n}",
                "{a: 1, promoted: x}",
                "{a: , promoted: }",
            ] {
                let text = format!("# ☕\nrollout: {flow}\nafter: 1\n").replace('\n', eol);
                for value in values {
                    set(&text, 0, &["rollout"], "promoted", value);
                    n += 1;
                }
            }
        }
        assert!(n > 500, "{n}");
    }

    proptest::proptest! {
        /// Any string value, in any style of file, reads back as itself.
        #[test]
        fn any_value_reads_back(value in "(.|\n|\t){0,12}", style in 0usize..6) {
            let text = [
                "rollout:\n  by: ring\n  order: [a]\n",
                "rollout:\n  by: ring\n  promoted: 'x'  # c\n",
                "rollout:\n  promoted: x\n  by: ring\n",
                "rollout: {by: ring}\n",
                "rollout: {by: ring, promoted: \"x\"}\n",
                "rollout:\r\n  by: ring\r\n",
            ][style];
            set(text, 0, &["rollout"], "promoted", &value);
            set_json("{\"rollout\": {\"by\": \"ring\"}}", &["rollout"], "promoted", &value);
        }
    }
}
