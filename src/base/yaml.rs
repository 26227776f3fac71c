//! The one door to YAML.
//!
//! fleetc reads YAML through serde_yaml and writes it through serde_yaml, and
//! nothing else in the crate names that crate, so it can be swapped. Documents
//! become [`serde_json::Value`] trees: label values, Helm values and JSON
//! inputs all share one tree type, and its objects are sorted maps, so every
//! output built from them is deterministic.
//!
//! serde_yaml's values carry no positions. Lines for semantic errors come from
//! [`locate`], which walks the same text with an event parser (saphyr-parser)
//! only when an error is printed.

use serde::Deserialize;
use serde_json::{Map, Number, Value};

use crate::base::error::Seg;
use crate::base::limits::{self, Limits};

/// A parse failure with the line where the parser stopped, when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub line: Option<usize>,
    /// The document (0-based) and path inside it, for errors found after parsing.
    pub doc: usize,
    pub path: Vec<Seg>,
    /// How to fix it, when the parser's words do not say.
    pub help: Option<String>,
}

/// One parsed document of a file, with its index among the file's documents.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// Its index among the file's documents, 0-based (empty ones counted).
    pub index: usize,
    /// The document's value.
    pub value: Value,
}

/// Parses every document of a YAML stream. Empty documents are skipped (their
/// index is still counted, so `locate` agrees).
pub fn parse_yaml(text: &str) -> Result<Vec<Document>, ParseError> {
    let mut docs = Vec::new();
    for (index, de) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let raw = serde_yaml::Value::deserialize(de).map_err(|e| ParseError {
            message: yaml_message(&e),
            line: e.location().map(|l| l.line()),
            doc: index,
            path: Vec::new(),
            help: None,
        })?;
        let mut path = Vec::new();
        let value = convert(raw, &mut path).map_err(|(message, _, path)| ParseError {
            message,
            line: None,
            doc: index,
            path,
            help: None,
        })?;
        if !value.is_null() {
            docs.push(Document { index, value });
        }
    }
    Ok(docs)
}

/// Parses an inventory file's YAML within `limits`: at most
/// `limits.documents` documents, and aliases that expand to at most
/// `limits.aliases` references and `limits.alias_bytes` bytes, checked on
/// the parser's events before any document is built (a "billion laughs"
/// file costs a pass over its text, not gigabytes).
pub(crate) fn parse_yaml_limited(text: &str, limits: &Limits) -> Result<Vec<Document>, ParseError> {
    if text.contains('*') {
        check_aliases(text, limits)?;
    }
    if may_have_tags(text) {
        check_tags(text)?;
    }
    let mut docs = Vec::new();
    for (index, de) in serde_yaml::Deserializer::from_str(text).enumerate() {
        if index >= limits.documents {
            return Err(too_many_documents(index, limits));
        }
        let raw = serde_yaml::Value::deserialize(de).map_err(|e| {
            let mut err = ParseError {
                message: yaml_message(&e),
                line: e.location().map(|l| l.line()),
                doc: index,
                path: Vec::new(),
                help: yaml_help(&e),
            };
            // serde_yaml points at the mapping; the repeated key is better.
            if err.message.starts_with("duplicate entry") {
                if let Some((line, key)) = duplicate_key(text, index) {
                    err.line = Some(line);
                    err.message = format!("duplicate key `{key}`");
                }
            }
            err
        })?;
        let mut path = Vec::new();
        let value = convert(raw, &mut path).map_err(|(message, help, path)| ParseError {
            help: Some(help.to_string()),
            message,
            line: None,
            doc: index,
            path,
        })?;
        if !value.is_null() {
            docs.push(Document { index, value });
        }
    }
    Ok(docs)
}

/// Whether `text` may hold a YAML tag: a `!` at the start of a token.
fn may_have_tags(text: &str) -> bool {
    let b = text.as_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        c == b'!'
            && (i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'\n' | b'[' | b'{' | b',' | b'-'))
    })
}

/// The core schema's tags (`!!str`, `!!int`, …), the only ones an
/// inventory may use: they say what the value is anyway.
const CORE_TAGS: &[&str] = &["str", "int", "float", "bool", "null", "map", "seq"];

/// Refuses every tag outside the core schema (`!!binary`, `!!timestamp`,
/// `!!set`, `!local`) with its line: serde_yaml reads some of them as
/// plain text (a `!!binary` description would be its base64), which is
/// never what the author meant.
fn check_tags(text: &str) -> Result<(), ParseError> {
    use saphyr_parser::{Event, Parser};
    let mut doc = 0usize;
    let mut started = false;
    let mut parser = Parser::new_from_str(text);
    while let Some(Ok((ev, span))) = parser.next_event() {
        let tag = match &ev {
            Event::DocumentStart(_) => {
                if started {
                    doc += 1;
                }
                started = true;
                None
            }
            Event::Scalar(_, _, _, tag)
            | Event::SequenceStart(_, tag)
            | Event::MappingStart(_, tag) => tag.as_ref(),
            _ => None,
        };
        let Some(tag) = tag else { continue };
        if tag.is_yaml_core_schema() && CORE_TAGS.contains(&tag.suffix.as_str()) {
            continue;
        }
        let name = if tag.is_yaml_core_schema() {
            format!("!!{}", tag.suffix)
        } else {
            format!("{}{}", tag.handle, tag.suffix)
        };
        return Err(ParseError {
            message: format!(
                "YAML tag `{name}` is not supported: inventory files are plain data (text, numbers, booleans, lists and mappings)"
            ),
            line: Some(span.start.line()),
            doc,
            path: Vec::new(),
            help: Some(if name == "!!binary" {
                "write the text itself, not its base64, and remove the tag".to_string()
            } else {
                "remove the tag and write the value itself".to_string()
            }),
        });
    }
    Ok(())
}

/// The line and text of the first key repeated in a mapping of document
/// `doc`.
fn duplicate_key(text: &str, doc: usize) -> Option<(usize, String)> {
    use saphyr_parser::{Event, Parser};
    use std::collections::HashSet;
    let mut stack: Vec<Option<(HashSet<String>, bool)>> = Vec::new();
    let mut seen_docs = 0usize;
    let mut started = false;
    let mut parser = Parser::new_from_str(text);
    while let Some(Ok((ev, span))) = parser.next_event() {
        if let Event::DocumentStart(_) = ev {
            if started {
                seen_docs += 1;
            }
            started = true;
            stack.clear();
            continue;
        }
        if seen_docs != doc {
            continue;
        }
        let is_node = is_node(&ev);
        let mut as_key = false;
        if is_node {
            if let Some(Some((_, at_key))) = stack.last_mut() {
                as_key = *at_key;
                *at_key = !*at_key;
            }
        }
        match ev {
            Event::Scalar(v, ..) if as_key => {
                if let Some(Some((keys, _))) = stack.last_mut() {
                    if !keys.insert(v.to_string()) {
                        return Some((span.start.line(), v.to_string()));
                    }
                }
            }
            Event::MappingStart(..) => stack.push(Some((HashSet::new(), true))),
            Event::SequenceStart(..) => stack.push(None),
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
            }
            _ => {}
        }
    }
    None
}

/// Whether an event starts a node (a value, or a key).
fn is_node(ev: &saphyr_parser::Event) -> bool {
    use saphyr_parser::Event;
    matches!(
        ev,
        Event::Scalar(..) | Event::MappingStart(..) | Event::SequenceStart(..) | Event::Alias(_)
    )
}

fn too_many_documents(index: usize, limits: &Limits) -> ParseError {
    ParseError {
        message: format!("the file holds more than {} documents", limits.documents),
        line: None,
        doc: index,
        path: Vec::new(),
        help: Some(format!(
            "split it into several files, or raise the limit with {}",
            limits::setting("documents")
        )),
    }
}

/// How to fix what serde_yaml reports, where its words do not say.
fn yaml_help(e: &serde_yaml::Error) -> Option<String> {
    let s = e.to_string();
    if s.contains("duplicate entry") || s.contains("duplicate key") {
        Some("a key may appear once in a mapping: remove or rename one".to_string())
    } else if s.contains("recursion limit") {
        Some("nest values at most 128 levels deep".to_string())
    } else if s.contains("mapping values are not allowed")
        || s.contains("did not find expected key")
    {
        Some("check the indentation and quote values that contain `: `".to_string())
    } else {
        None
    }
}

/// Counts alias references and what they expand to, document by document.
fn check_aliases(text: &str, limits: &Limits) -> Result<(), ParseError> {
    use saphyr_parser::{Event, Parser};
    use std::collections::HashMap;
    // Per open collection: its anchor (0: none) and its size so far.
    let mut stack: Vec<(usize, u64)> = Vec::new();
    let mut sizes: HashMap<usize, u64> = HashMap::new();
    let (mut aliases, mut expanded) = (0usize, 0u64);
    let mut doc = 0usize;
    let mut started = false;
    let mut parser = Parser::new_from_str(text);
    let over = |what: String, setting: &str, line: usize, doc: usize| ParseError {
        message: what,
        line: Some(line),
        doc,
        path: Vec::new(),
        help: Some(format!(
            "write the values out instead of aliasing them so often, or raise the limit with {}",
            limits::setting(setting)
        )),
    };
    while let Some(Ok((ev, span))) = parser.next_event() {
        let line = span.start.line();
        let add = |stack: &mut Vec<(usize, u64)>, n: u64| {
            if let Some(top) = stack.last_mut() {
                top.1 = top.1.saturating_add(n);
            }
        };
        match ev {
            Event::DocumentStart(_) => {
                if started {
                    doc += 1;
                }
                started = true;
                stack.clear();
                sizes.clear();
            }
            Event::Scalar(v, _, anchor, _) => {
                let n = v.len() as u64 + 1;
                if anchor > 0 {
                    sizes.insert(anchor, n);
                }
                add(&mut stack, n);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                stack.push((anchor, 1));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((anchor, n)) = stack.pop() {
                    if anchor > 0 {
                        sizes.insert(anchor, n);
                    }
                    add(&mut stack, n);
                }
            }
            Event::Alias(id) => {
                aliases += 1;
                let n = sizes.get(&id).copied().unwrap_or(1);
                expanded = expanded.saturating_add(n);
                add(&mut stack, n);
                if aliases > limits.aliases {
                    return Err(over(
                        format!("the file uses more than {} aliases", limits.aliases),
                        "aliases",
                        line,
                        doc,
                    ));
                }
                if expanded > limits.alias_bytes {
                    return Err(over(
                        format!(
                            "the file's aliases expand to more than {} bytes (an alias bomb?)",
                            limits.alias_bytes
                        ),
                        "alias_bytes",
                        line,
                        doc,
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Parses a JSON file: one document, or a top-level array of documents (at
/// most `limits.documents`). A key repeated in an object is an error, as in
/// YAML (JSON parsers otherwise keep the last one silently).
pub(crate) fn parse_json(text: &str, limits: &Limits) -> Result<Vec<Document>, ParseError> {
    let value: Strict = serde_json::from_str(text).map_err(|e| {
        let s = e.to_string();
        let message = s.split(" at line ").next().unwrap_or("").to_string();
        ParseError {
            help: message
                .starts_with("duplicate key")
                .then(|| "a key may appear once in an object: remove or rename one".to_string()),
            message,
            line: Some(e.line()),
            doc: 0,
            path: Vec::new(),
        }
    })?;
    Ok(match value.0 {
        Value::Array(items) => {
            if items.len() > limits.documents {
                return Err(too_many_documents(limits.documents, limits));
            }
            items
                .into_iter()
                .enumerate()
                .map(|(index, value)| Document { index, value })
                .collect()
        }
        value => vec![Document { index: 0, value }],
    })
}

/// A JSON value whose objects repeat no key.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Strict, D::Error> {
        use serde::de::{self, MapAccess, SeqAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Strict;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Strict, E> {
                Ok(Strict(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Strict, E> {
                Ok(Strict(Value::Number(v.into())))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Strict, E> {
                Ok(Strict(Value::Number(v.into())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Strict, E> {
                Number::from_f64(v)
                    .map(|n| Strict(Value::Number(n)))
                    .ok_or_else(|| E::custom("a number that is not finite"))
            }
            fn visit_str<E>(self, v: &str) -> Result<Strict, E> {
                Ok(Strict(Value::String(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Strict, E> {
                Ok(Strict(Value::String(v)))
            }
            fn visit_unit<E>(self) -> Result<Strict, E> {
                Ok(Strict(Value::Null))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
                let mut out = Vec::new();
                while let Some(Strict(v)) = seq.next_element()? {
                    out.push(v);
                }
                Ok(Strict(Value::Array(out)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
                let mut out = Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    if out.contains_key(&key) {
                        return Err(de::Error::custom(format!("duplicate key `{key}`")));
                    }
                    let Strict(v) = map.next_value()?;
                    out.insert(key, v);
                }
                Ok(Strict(Value::Object(out)))
            }
        }
        d.deserialize_any(V)
    }
}

fn yaml_message(e: &serde_yaml::Error) -> String {
    // serde_yaml appends " at line L column C"; the line is reported apart.
    let s = e.to_string();
    match s.find(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// What is wrong, how to fix it, and where.
type ConvertError = (String, &'static str, Vec<Seg>);

/// serde_yaml's tree → JSON tree. Keys become strings as Kubernetes' YAML
/// does (`1: x` → `"1"`); tags, non-finite floats and non-scalar keys are
/// errors rather than silently changed data.
fn convert(v: serde_yaml::Value, path: &mut Vec<Seg>) -> Result<Value, ConvertError> {
    Ok(match v {
        serde_yaml::Value::Null => Value::Null,
        serde_yaml::Value::Bool(b) => Value::Bool(b),
        serde_yaml::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Value::Number(u.into())
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                match Number::from_f64(f) {
                    Some(n) => Value::Number(n),
                    None => {
                        return Err((
                            format!("`{f}` is not a finite number"),
                            "quote it if it is text",
                            path.clone(),
                        ))
                    }
                }
            }
        }
        serde_yaml::Value::String(s) => Value::String(s),
        serde_yaml::Value::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                path.push(Seg::Index(i));
                out.push(convert(item, path)?);
                path.pop();
            }
            Value::Array(out)
        }
        serde_yaml::Value::Mapping(map) => {
            let mut out = Map::new();
            for (k, item) in map {
                let key = match k {
                    serde_yaml::Value::String(s) => s,
                    serde_yaml::Value::Bool(b) => b.to_string(),
                    serde_yaml::Value::Number(n) => n.to_string(),
                    other => {
                        return Err((
                            format!("a mapping key must be text, not {}", kind_name(&other)),
                            if matches!(other, serde_yaml::Value::Tagged(_)) {
                                "remove the tag (`!name`): write the value itself"
                            } else {
                                "write the key as text (quote it)"
                            },
                            path.clone(),
                        ))
                    }
                };
                path.push(Seg::Key(key.clone()));
                let value = convert(item, path)?;
                path.pop();
                out.insert(key, value);
            }
            Value::Object(out)
        }
        serde_yaml::Value::Tagged(t) => {
            return Err((
                format!(
                    "YAML tag `{}` is not supported: inventory files are plain data",
                    t.tag
                ),
                "remove the tag (`!name`): write the value itself",
                path.clone(),
            ))
        }
    })
}

fn kind_name(v: &serde_yaml::Value) -> &'static str {
    match v {
        serde_yaml::Value::Null => "null",
        serde_yaml::Value::Bool(_) => "a boolean",
        serde_yaml::Value::Number(_) => "a number",
        serde_yaml::Value::String(_) => "a string",
        serde_yaml::Value::Sequence(_) => "a list",
        serde_yaml::Value::Mapping(_) => "a mapping",
        serde_yaml::Value::Tagged(_) => "a tagged value",
    }
}

/// A value as block YAML, each line indented by `indent` spaces, without a
/// trailing newline. Keys come out in the tree's (sorted) order.
///
/// fleetc writes YAML itself rather than through serde_yaml: Argo CD and
/// `kubectl` read manifests with a YAML 1.1 parser, where `yes`, `on`, `0o7`
/// or `1:20` are not strings. Every string either version could read as
/// something else is quoted, multi-line strings become literal blocks, and the
/// output is the same bytes on every machine.
pub(crate) fn to_block(value: &Value, indent: usize) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, indent),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, indent),
        scalar => {
            push_indent(&mut out, indent);
            write_scalar(&mut out, scalar, indent);
        }
    }
    out
}

/// The order of the keys of each mapping in the first document of `text`,
/// by the mapping's path of keys (mappings inside lists are left out).
pub(crate) type KeyOrders = std::collections::HashMap<Vec<String>, Vec<String>>;

/// [`KeyOrders`] of a YAML text, read with the event parser.
pub(crate) fn key_orders(text: &str) -> KeyOrders {
    use saphyr_parser::{Event, Parser};
    enum Frame {
        Map { at_key: bool, key: Option<String> },
        Seq,
    }
    let mut out = KeyOrders::new();
    // Each open collection, with its path when it has one.
    let mut stack: Vec<(Frame, Option<Vec<String>>)> = Vec::new();
    let mut parser = Parser::new_from_str(text);
    while let Some(Ok((ev, _))) = parser.next_event() {
        match ev {
            Event::DocumentEnd => break,
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let path = match stack.last_mut() {
                    None => Some(Vec::new()),
                    Some((Frame::Map { at_key, key }, path)) => {
                        let is_value = !*at_key;
                        *at_key = is_value;
                        match (is_value, path.as_ref(), key.take()) {
                            (true, Some(p), Some(k)) => {
                                let mut p = p.clone();
                                p.push(k);
                                Some(p)
                            }
                            _ => None,
                        }
                    }
                    Some((Frame::Seq, _)) => None,
                };
                let frame = if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map {
                        at_key: true,
                        key: None,
                    }
                } else {
                    Frame::Seq
                };
                stack.push((frame, path));
            }
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
            }
            Event::Scalar(v, ..) => {
                if let Some((Frame::Map { at_key, key }, path)) = stack.last_mut() {
                    if *at_key {
                        if let Some(p) = path {
                            out.entry(p.clone()).or_default().push(v.to_string());
                        }
                        *key = Some(v.to_string());
                    }
                    *at_key = !*at_key;
                }
            }
            Event::Alias(_) => {
                if let Some((Frame::Map { at_key, .. }, _)) = stack.last_mut() {
                    *at_key = !*at_key;
                }
            }
            _ => {}
        }
    }
    out
}

/// [`to_block`], with each mapping's keys in the order `orders` gives
/// for its path (keys it does not name follow, sorted): a document
/// rewritten after an edit keeps the order it was written in.
pub(crate) fn to_block_ordered(value: &Value, orders: &KeyOrders) -> String {
    let mut out = String::new();
    let mut path = Vec::new();
    match value {
        Value::Object(map) if !map.is_empty() => {
            write_map_ordered(&mut out, map, 0, &mut path, orders)
        }
        other => out.push_str(&to_block(other, 0)),
    }
    out
}

fn write_map_ordered(
    out: &mut String,
    map: &Map<String, Value>,
    indent: usize,
    path: &mut Vec<String>,
    orders: &KeyOrders,
) {
    let order = orders.get(path.as_slice());
    let rank = |k: &str| order.and_then(|o| o.iter().position(|x| x == k));
    let mut keys: Vec<&String> = map.keys().collect();
    // Stable: keys the order does not name keep their sorted order.
    keys.sort_by_key(|k| rank(k).unwrap_or(usize::MAX));
    for (i, key) in keys.into_iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        push_indent(out, indent);
        write_flow_string(out, key);
        out.push(':');
        match &map[key] {
            Value::Object(child) if !child.is_empty() => {
                out.push('\n');
                path.push(key.clone());
                write_map_ordered(out, child, indent + 2, path, orders);
                path.pop();
            }
            other => write_child(out, other, indent),
        }
    }
}

/// A text (such as a YAML document) as a literal block scalar whose lines are
/// indented by `indent` spaces, written after `key: `; a text that a literal
/// block cannot carry exactly is written as a quoted string.
pub(crate) fn literal(text: &str, indent: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    if is_literal_block(text) {
        write_literal(&mut out, text, indent);
    } else {
        write_flow_string(&mut out, text);
    }
    out
}

/// A string as a YAML flow scalar, quoted only when it must be.
pub(crate) fn inline_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_flow_string(&mut out, s);
    out
}

/// A value as YAML on one line (a flow scalar or flow collection), safe to
/// write after `key: `.
pub(crate) fn to_inline(value: &Value) -> String {
    match value {
        Value::String(s) => {
            let mut out = String::new();
            write_flow_string(&mut out, s);
            out
        }
        // JSON is YAML flow syntax, and one line.
        other => other.to_string(),
    }
}

fn push_indent(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

fn write_map(out: &mut String, map: &Map<String, Value>, indent: usize) {
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        push_indent(out, indent);
        write_flow_string(out, key);
        out.push(':');
        write_child(out, value, indent);
    }
}

fn write_seq(out: &mut String, items: &[Value], indent: usize) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        push_indent(out, indent);
        out.push('-');
        match item {
            // A map item starts on the dash line: `- a: 1`.
            Value::Object(map) if !map.is_empty() => {
                out.push(' ');
                let mut inner = String::new();
                write_map(&mut inner, map, indent + 2);
                out.push_str(&inner[indent + 2..]);
            }
            other => write_child(out, other, indent),
        }
    }
}

/// The value after `key:` or `-`: nested collections on the next lines.
fn write_child(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, indent + 2);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, items, indent + 2);
        }
        scalar => {
            out.push(' ');
            write_scalar(out, scalar, indent);
        }
    }
}

fn write_scalar(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) if is_literal_block(s) => write_literal(out, s, indent + 2),
        Value::String(s) => write_flow_string(out, s),
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
    }
}

/// Multi-line text reads best as a literal block, when its characters allow.
fn is_literal_block(s: &str) -> bool {
    s.contains('\n')
        && !s
            .chars()
            .any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{feff}')
        && !s.contains(" \n")
        && !s.ends_with(' ')
}

fn write_literal(out: &mut String, s: &str, indent: usize) {
    out.push('|');
    // An indentation indicator when the first line starts with a space.
    if s.starts_with(' ') || s.starts_with('\n') {
        out.push('2');
    }
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    match trailing {
        0 => out.push('-'),
        1 => {}
        _ => out.push('+'),
    }
    let lines: Vec<&str> = s.split('\n').collect();
    let lines = match trailing {
        // `split` yields one empty piece after the last newline.
        0 => &lines[..],
        _ => &lines[..lines.len() - 1],
    };
    for line in lines {
        out.push('\n');
        if !line.is_empty() {
            push_indent(out, indent);
            out.push_str(line);
        }
    }
}

fn write_flow_string(out: &mut String, s: &str) {
    if is_plain_safe(s) {
        out.push_str(s);
    } else if s.chars().any(|c| c.is_control() || c == '\u{feff}') {
        // JSON's escapes are YAML double-quoted escapes.
        out.push_str(&Value::String(s.to_string()).to_string());
    } else {
        out.push('\'');
        out.push_str(&s.replace('\'', "''"));
        out.push('\'');
    }
}

/// Each byte's class in a plain scalar: 0 not allowed, [`NUMBERISH`] allowed
/// and possibly part of a number, 1 allowed otherwise. (A table: this runs
/// for every string of every manifest.)
const PLAIN: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let allowed = c.is_ascii_alphanumeric() || c >= 0x80 || in_list(c, b" _-./:@+=,()%^~$");
        let number = c.is_ascii_hexdigit() || in_list(c, b"xXoObB._+-:");
        t[b] = match (allowed, number) {
            (false, _) => 0,
            (true, true) => NUMBERISH,
            (true, false) => 1,
        };
        b += 1;
    }
    t
};

/// `list.contains(&c)`, for a constant.
const fn in_list(c: u8, list: &[u8]) -> bool {
    let mut i = 0;
    while i < list.len() {
        if list[i] == c {
            return true;
        }
        i += 1;
    }
    false
}

const NUMBERISH: u8 = 2;

/// The plain words that are booleans to YAML 1.1 (Helm's, Kubernetes')
/// and strings to YAML 1.2 (fleetc's).
const YAML11_WORDS: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
    "OFF",
];

/// Whether `s` reads back as the same string, unquoted, in YAML 1.1 and 1.2.
fn is_plain_safe(s: &str) -> bool {
    let bytes = s.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    let last = bytes[bytes.len() - 1];
    if !(first.is_ascii_alphanumeric() || first == b'_' || first == b'/' || first >= 0x80) {
        return false;
    }
    if last == b' ' || last == b':' {
        return false;
    }
    // One pass: allowed characters only, no `: ` and no ` #`; and whether
    // every character could belong to a number.
    let mut numberish = true;
    let mut prev = 0u8;
    for &b in bytes {
        let class = PLAIN[b as usize];
        if class == 0 || (prev == b':' && b == b' ') || (prev == b' ' && b == b'#') {
            return false;
        }
        numberish &= class == NUMBERISH;
        prev = b;
    }
    if !s.is_ascii() && s.chars().any(|c| !c.is_ascii() && !c.is_alphanumeric()) {
        return false;
    }
    const BOTH: &[&str] = &[
        "true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL",
    ];
    if bytes.len() <= 5 && (YAML11_WORDS.contains(&s) || BOTH.contains(&s)) {
        return false;
    }
    // Anything that might be a number in either version: ints in any base,
    // floats, sexagesimal `1:20`, `1_000`.
    !(first.is_ascii_digit() && numberish)
}

/// Checks that every document of `text` (one, unless `several`) is a
/// mapping with a `kind`, and that no mapping repeats a key (Kubernetes'
/// strict YAML refuses duplicates). Walks parser events without building a
/// tree.
pub(crate) fn check_manifests(text: &str, several: bool) -> Result<(), ParseError> {
    use saphyr_parser::{Event, Parser};
    use std::collections::HashSet;

    enum Frame<'a> {
        Map {
            keys: HashSet<std::borrow::Cow<'a, str>>,
            at_key: bool,
        },
        Seq,
    }
    let fail = |message: String, line: usize| ParseError {
        message,
        line: Some(line),
        doc: 0,
        path: Vec::new(),
        help: None,
    };
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut docs = 0;
    let mut has_kind = false;
    let mut top_is_map = false;
    let mut doc_line = 1;
    let not_a_manifest = |line: usize| {
        fail(
            "the document is not a mapping with a `kind`".to_string(),
            line,
        )
    };
    while let Some(next) = parser.next_event() {
        let (ev, span) = next.map_err(|e| fail(e.info().to_string(), e.marker().line()))?;
        let line = span.start.line();
        // A node in key position of the mapping on top of the stack.
        let mut key_of_top = false;
        if let Some(Frame::Map { at_key, .. }) = stack.last_mut() {
            if !matches!(ev, Event::MappingEnd) {
                key_of_top = *at_key;
                *at_key = !*at_key;
            }
        }
        let anchored = match &ev {
            Event::Alias(_) => true,
            Event::Scalar(_, _, anchor, _)
            | Event::SequenceStart(anchor, _)
            | Event::MappingStart(anchor, _) => *anchor > 0,
            _ => false,
        };
        if anchored {
            return Err(fail(
                "it uses a YAML anchor or alias, which a manifest has no use for".to_string(),
                line,
            ));
        }
        match ev {
            Event::DocumentStart(_) => {
                docs += 1;
                if docs > 1 && !several {
                    return Err(fail("more than one YAML document".to_string(), line));
                }
                doc_line = line;
            }
            Event::DocumentEnd => {
                if !top_is_map || !has_kind {
                    return Err(not_a_manifest(doc_line));
                }
                top_is_map = false;
                has_kind = false;
            }
            Event::Scalar(value, ..) if key_of_top => {
                if stack.len() == 1 && value == "kind" {
                    has_kind = true;
                }
                if let Some(Frame::Map { keys, .. }) = stack.last_mut() {
                    if !keys.insert(value.clone()) {
                        return Err(fail(format!("duplicate key `{value}`"), line));
                    }
                }
            }
            Event::MappingStart(..) => {
                if stack.is_empty() {
                    top_is_map = true;
                }
                stack.push(Frame::Map {
                    keys: HashSet::new(),
                    at_key: true,
                });
            }
            Event::SequenceStart(..) => stack.push(Frame::Seq),
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
            }
            _ => {}
        }
    }
    if docs == 0 {
        return Err(not_a_manifest(1));
    }
    Ok(())
}

/// The line (1-based) of `path` in document `doc` of `text`: the line of the
/// key for a mapping entry, of the item for a list entry. When the path goes
/// deeper than the document, the deepest node found answers.
pub(crate) fn locate(text: &str, doc: usize, path: &[Seg]) -> Option<usize> {
    use saphyr_parser::{Event, Parser};
    let mut parser = Parser::new_from_str(text);
    let mut next = move || -> Option<(Event<'_>, usize)> {
        match parser.next_event()? {
            Ok((ev, span)) => Some((ev, span.start.line())),
            Err(_) => None,
        }
    };
    // Find the start of document `doc`.
    let mut seen = 0usize;
    loop {
        let (ev, line) = next()?;
        match ev {
            Event::DocumentStart(_) => {
                if seen == doc {
                    let (first, first_line) = next()?;
                    return descend(first, first_line, path, &mut next).or(Some(line));
                }
                seen += 1;
            }
            Event::StreamEnd => return None,
            _ => {}
        }
    }
}

/// The lines of many places of one file at once, in one pass over it:
/// for each (document, key path), what [`locate`] answers. Reporting N
/// problems in a file of M lines costs O(N + M), not O(N × M).
pub(crate) fn locate_all(text: &str, wanted: &[(usize, Vec<Seg>)]) -> Vec<Option<usize>> {
    use saphyr_parser::{Event, Parser};
    use std::collections::{HashMap, HashSet};

    // Every prefix of every wanted path, per document.
    let mut prefixes: HashSet<(usize, &[Seg])> = HashSet::new();
    for (doc, path) in wanted {
        for n in 0..=path.len() {
            prefixes.insert((*doc, &path[..n]));
        }
    }
    let docs: HashSet<usize> = wanted.iter().map(|(d, _)| *d).collect();
    let mut found: HashMap<(usize, Vec<Seg>), usize> = HashMap::new();
    // Where each document starts: the answer when nothing of a path is there.
    let mut starts: HashMap<usize, usize> = HashMap::new();

    enum Frame {
        Map { at_key: bool, key: Option<Seg> },
        Seq { next: usize },
    }
    // Per open collection: the frame, and whether its path is a prefix.
    let mut stack: Vec<(Frame, bool)> = Vec::new();
    let mut path: Vec<Seg> = Vec::new();
    let mut doc = 0usize;
    let mut started = false;
    let mut first_node = false;
    let mut parser = Parser::new_from_str(text);
    while let Some(Ok((ev, span))) = parser.next_event() {
        let line = span.start.line();
        let is_node = is_node(&ev);
        if let Event::DocumentStart(_) = ev {
            if started {
                doc += 1;
            }
            started = true;
            stack.clear();
            path.clear();
            first_node = true;
            if docs.contains(&doc) {
                starts.insert(doc, line);
            }
            continue;
        }
        if !docs.contains(&doc) {
            continue;
        }
        if is_node && first_node {
            first_node = false;
            found.insert((doc, Vec::new()), line);
        }
        // Where this node stands: as a key, or as the value at `seg`.
        let mut value_seg: Option<Seg> = None;
        let mut parent_in = stack.last().map(|(_, p)| *p).unwrap_or(true);
        if is_node {
            match stack.last_mut() {
                Some((Frame::Map { at_key, key }, in_prefix)) => {
                    if *at_key {
                        *at_key = false;
                        if let Event::Scalar(k, ..) = &ev {
                            let seg = Seg::Key(k.to_string());
                            if *in_prefix {
                                path.push(seg.clone());
                                if prefixes.contains(&(doc, path.as_slice())) {
                                    found.insert((doc, path.clone()), line);
                                }
                                path.pop();
                            }
                            *key = Some(seg);
                        } else {
                            *key = None;
                        }
                        // A key is not a place of its own: skip to the value.
                        if let Event::MappingStart(..) | Event::SequenceStart(..) = ev {
                            stack.push((Frame::Seq { next: 0 }, false));
                        }
                        continue;
                    }
                    *at_key = true;
                    value_seg = key.take();
                    parent_in = *in_prefix && value_seg.is_some();
                }
                Some((Frame::Seq { next }, in_prefix)) => {
                    let seg = Seg::Index(*next);
                    *next += 1;
                    if *in_prefix {
                        path.push(seg.clone());
                        if prefixes.contains(&(doc, path.as_slice())) {
                            found.insert((doc, path.clone()), line);
                        }
                        path.pop();
                    }
                    value_seg = Some(seg);
                    parent_in = *in_prefix;
                }
                None => {}
            }
        }
        match ev {
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let inside = match &value_seg {
                    Some(seg) if parent_in => {
                        path.push(seg.clone());
                        let yes = prefixes.contains(&(doc, path.as_slice()));
                        if !yes {
                            path.pop();
                        }
                        yes
                    }
                    None => parent_in && stack.is_empty(),
                    _ => false,
                };
                let frame = if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map {
                        at_key: true,
                        key: None,
                    }
                } else {
                    Frame::Seq { next: 0 }
                };
                stack.push((frame, inside));
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some((_, inside)) = stack.pop() {
                    // The frame's own segment was pushed only if it is a prefix.
                    if inside && !stack.is_empty() {
                        path.pop();
                    }
                }
            }
            _ => {}
        }
    }
    wanted
        .iter()
        .map(|(doc, path)| {
            if path.is_empty() {
                return found.get(&(*doc, Vec::new())).or(starts.get(doc)).copied();
            }
            (1..=path.len())
                .rev()
                .find_map(|n| found.get(&(*doc, path[..n].to_vec())).copied())
                .or_else(|| starts.get(doc).copied())
        })
        .collect()
}

/// The first plain scalar (key or value) of `text` that YAML 1.1, which
/// Helm's parser speaks, reads otherwise than YAML 1.2, which fleetc's
/// does: `on`, `yes`, `n` and their kin are booleans there, `0755` is octal,
/// `1:30` is sexagesimal and `1_000` a number. Two value texts that parse
/// alike here may then differ to Helm.
pub(crate) fn yaml11_ambiguous(text: &str) -> Option<String> {
    use saphyr_parser::{Event, Parser, ScalarStyle};
    let special = |s: &str| {
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        let unsigned = s.trim_start_matches(['+', '-']);
        YAML11_WORDS.contains(&s)
            || (unsigned.len() > 1
                && unsigned.starts_with('0')
                && unsigned.bytes().all(|b| (b'0'..=b'7').contains(&b)))
            || (unsigned.contains(':') && unsigned.split(':').all(digits))
            || (unsigned.contains('_')
                && unsigned.bytes().any(|b| b.is_ascii_digit())
                && unsigned
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'_' || b == b'.'))
    };
    let mut parser = Parser::new_from_str(text);
    while let Some(Ok((ev, _))) = parser.next_event() {
        if let Event::Scalar(value, ScalarStyle::Plain, ..) = ev {
            if special(&value) {
                return Some(value.into_owned());
            }
        }
    }
    None
}

/// The text as written of the plain scalars at `wanted` (document index,
/// key path), in one pass over `text`. A label written `ver: 1.50` parses
/// as the number 1.5, but the label is the text `1.50`: this is how the
/// loader gets it back. Scalars that are quoted, aliased or absent are not
/// in the result (their parsed value is already the text).
pub(crate) fn plain_scalars(
    text: &str,
    wanted: &std::collections::HashSet<(usize, Vec<Seg>)>,
) -> std::collections::HashMap<(usize, Vec<Seg>), String> {
    use saphyr_parser::{Event, Parser, ScalarStyle};
    use std::collections::HashMap;

    enum Frame {
        /// `key`: the key whose value comes next (`None`: at a key, or a
        /// key that is not a plain text).
        Map {
            at_key: bool,
            key: Option<String>,
        },
        Seq {
            next: usize,
        },
    }
    let mut found = HashMap::new();
    if wanted.is_empty() {
        return found;
    }
    let docs: std::collections::HashSet<usize> = wanted.iter().map(|(d, _)| *d).collect();
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut doc = 0usize;
    let mut started = false;
    // Frames entered while in a mapping key (complex keys) are skipped.
    while let Some(Ok((ev, _))) = parser.next_event() {
        let is_node = is_node(&ev);
        let mut as_key = false;
        if is_node {
            if let Some(Frame::Map { at_key, .. }) = stack.last() {
                as_key = *at_key;
            }
        }
        match ev {
            Event::DocumentStart(_) => {
                if started {
                    doc += 1;
                }
                started = true;
                stack.clear();
            }
            Event::Scalar(value, style, ..) => {
                if as_key {
                    if let Some(Frame::Map { at_key, key }) = stack.last_mut() {
                        *key = Some(value.into_owned());
                        *at_key = false;
                    }
                    continue;
                }
                if style == ScalarStyle::Plain && docs.contains(&doc) {
                    let mut path = Vec::with_capacity(stack.len());
                    let mut complete = true;
                    for f in &stack {
                        match f {
                            Frame::Map { key: Some(k), .. } => path.push(Seg::Key(k.clone())),
                            Frame::Seq { next } => path.push(Seg::Index(*next)),
                            Frame::Map { key: None, .. } => complete = false,
                        }
                    }
                    let at = (doc, path);
                    if complete && wanted.contains(&at) {
                        found.insert(at, value.into_owned());
                    }
                }
                advance(&mut stack);
            }
            Event::Alias(_) => {
                if as_key {
                    if let Some(Frame::Map { at_key, key }) = stack.last_mut() {
                        *key = None;
                        *at_key = false;
                    }
                } else {
                    advance(&mut stack);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if as_key {
                    // A mapping or list as a key: nothing under it is a label.
                    if let Some(Frame::Map { at_key, key }) = stack.last_mut() {
                        *key = None;
                        *at_key = false;
                    }
                }
                stack.push(if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map {
                        at_key: true,
                        key: None,
                    }
                } else {
                    Frame::Seq { next: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
                advance(&mut stack);
            }
            _ => {}
        }
    }

    /// A value of the top frame has ended.
    fn advance(stack: &mut [Frame]) {
        match stack.last_mut() {
            Some(Frame::Map { at_key, .. }) => *at_key = true,
            Some(Frame::Seq { next }) => *next += 1,
            None => {}
        }
    }
    found
}

/// Walks down `path` from the node that begins with `ev`.
fn descend<'a>(
    ev: saphyr_parser::Event<'a>,
    line: usize,
    path: &[Seg],
    next: &mut dyn FnMut() -> Option<(saphyr_parser::Event<'a>, usize)>,
) -> Option<usize> {
    use saphyr_parser::Event;
    let Some((seg, rest)) = path.split_first() else {
        return Some(line);
    };
    match (ev, seg) {
        (Event::MappingStart(..), Seg::Key(want)) => loop {
            let (k, kline) = next()?;
            match k {
                Event::MappingEnd => return None,
                Event::Scalar(key, ..) if key.as_ref() == want.as_str() => {
                    let (v, vline) = next()?;
                    if rest.is_empty() {
                        return Some(kline);
                    }
                    return descend(v, vline, rest, next).or(Some(kline));
                }
                other => {
                    skip(other, next)?;
                    let (v, _) = next()?;
                    skip(v, next)?;
                }
            }
        },
        (Event::SequenceStart(..), Seg::Index(want)) => {
            let mut i = 0;
            loop {
                let (item, iline) = next()?;
                if matches!(item, Event::SequenceEnd) {
                    return None;
                }
                if i == *want {
                    return descend(item, iline, rest, next).or(Some(iline));
                }
                skip(item, next)?;
                i += 1;
            }
        }
        _ => None,
    }
}

/// Consumes the rest of the node that begins with `ev`.
fn skip<'a>(
    ev: saphyr_parser::Event<'a>,
    next: &mut dyn FnMut() -> Option<(saphyr_parser::Event<'a>, usize)>,
) -> Option<()> {
    use saphyr_parser::Event;
    let mut depth = match ev {
        Event::MappingStart(..) | Event::SequenceStart(..) => 1usize,
        _ => return Some(()),
    };
    while depth > 0 {
        match next()?.0 {
            Event::MappingStart(..) | Event::SequenceStart(..) => depth += 1,
            Event::MappingEnd | Event::SequenceEnd => depth -= 1,
            _ => {}
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn k(s: &str) -> Seg {
        Seg::Key(s.into())
    }

    #[test]
    fn documents_keep_their_index() {
        let docs = parse_yaml("a: 1\n---\n# only a comment\n---\nb: 2\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].index, 0);
        assert_eq!(docs[1].index, 2);
        assert_eq!(locate("a: 1\n---\n# c\n---\nb: 2\n", 2, &[k("b")]), Some(5));
    }

    #[test]
    fn syntax_errors_have_lines() {
        let e = parse_yaml("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert!(e.line.is_some(), "{e:?}");
    }

    #[test]
    fn keys_become_strings_and_tags_are_refused() {
        let docs = parse_yaml("1: a\ntrue: b\n").unwrap();
        assert_eq!(docs[0].value, json!({"1": "a", "true": "b"}));
        let e = parse_yaml("a:\n  b: !secret x\n").unwrap_err();
        assert_eq!(e.path, vec![k("a"), k("b")]);
        assert!(e.message.contains("tag"), "{}", e.message);
    }

    #[test]
    fn non_finite_numbers_are_refused() {
        let e = parse_yaml("a: .nan\n").unwrap_err();
        assert!(e.message.contains("finite"), "{}", e.message);
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert!(parse_yaml(&text).is_err());
    }

    #[test]
    fn locate_finds_keys_and_items() {
        let text = "name: x\nmetadata:\n  gpu: true\n  region: east\ndepends_on:\n  - a\n  - b\n";
        assert_eq!(locate(text, 0, &[k("metadata"), k("region")]), Some(4));
        assert_eq!(locate(text, 0, &[k("depends_on"), Seg::Index(1)]), Some(7));
        assert_eq!(locate(text, 0, &[k("name")]), Some(1));
        // Deeper than the document: the deepest node found.
        assert_eq!(locate(text, 0, &[k("metadata"), k("nope")]), Some(2));
    }

    /// `locate_all` answers what `locate` answers, place by place, for
    /// every node of every YAML file of the fixtures, and for paths deeper
    /// than the documents.
    #[test]
    fn locate_all_agrees_with_locate() {
        fn paths(v: &Value, path: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
            out.push(path.clone());
            match v {
                Value::Object(m) => {
                    for (k, c) in m {
                        path.push(Seg::Key(k.clone()));
                        paths(c, path, out);
                        path.pop();
                    }
                }
                Value::Array(a) => {
                    for (i, c) in a.iter().enumerate() {
                        path.push(Seg::Index(i));
                        paths(c, path, out);
                        path.pop();
                    }
                }
                _ => {}
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut checked = 0;
        for entry in walkdir::WalkDir::new(&root) {
            let entry = entry.unwrap();
            let p = entry.path();
            if p.extension().is_none_or(|e| e != "yaml")
                || p.components().any(|c| c.as_os_str() == "chart")
            {
                continue;
            }
            let text = std::fs::read_to_string(p).unwrap();
            let Ok(docs) = parse_yaml(&text) else {
                continue;
            };
            let mut wanted = Vec::new();
            for d in &docs {
                let mut all = Vec::new();
                paths(&d.value, &mut Vec::new(), &mut all);
                for mut path in all {
                    wanted.push((d.index, path.clone()));
                    path.push(k("zz-deeper"));
                    wanted.push((d.index, path));
                }
            }
            wanted.push((docs.len() + 3, vec![k("nowhere")]));
            let all = locate_all(&text, &wanted);
            for ((doc, path), got) in wanted.iter().zip(all) {
                assert_eq!(
                    got,
                    locate(&text, *doc, path),
                    "{}: doc {doc} {path:?}",
                    p.display()
                );
                checked += 1;
            }
        }
        assert!(checked > 500, "{checked}");
    }

    #[test]
    fn plain_scalars_are_read_as_written() {
        let text = "a: 1\n---\nmetadata:\n  ver: 1.50\n  hex: 0x1F\n  q: '1.50'\n  n: ~\nlist: [1e3, yes]\n";
        let wanted: std::collections::HashSet<(usize, Vec<Seg>)> = [
            (1, vec![k("metadata"), k("ver")]),
            (1, vec![k("metadata"), k("hex")]),
            (1, vec![k("metadata"), k("q")]),
            (1, vec![k("metadata"), k("n")]),
            (1, vec![k("list"), Seg::Index(0)]),
            (1, vec![k("list"), Seg::Index(1)]),
            (0, vec![k("a")]),
            (0, vec![k("missing")]),
        ]
        .into_iter()
        .collect();
        let found = plain_scalars(text, &wanted);
        let get = |d: usize, p: Vec<Seg>| found.get(&(d, p)).map(String::as_str);
        assert_eq!(get(1, vec![k("metadata"), k("ver")]), Some("1.50"));
        assert_eq!(get(1, vec![k("metadata"), k("hex")]), Some("0x1F"));
        assert_eq!(get(1, vec![k("metadata"), k("q")]), None, "quoted");
        assert_eq!(get(1, vec![k("metadata"), k("n")]), Some("~"));
        assert_eq!(get(1, vec![k("list"), Seg::Index(0)]), Some("1e3"));
        assert_eq!(get(1, vec![k("list"), Seg::Index(1)]), Some("yes"));
        assert_eq!(get(0, vec![k("a")]), Some("1"));
        assert_eq!(found.len(), 6);
        // JSON is YAML too.
        let json = "[{\"metadata\": {\"ver\": 1.50}}, {\"metadata\": {\"ver\": 2.0}}]";
        let wanted = [(0, vec![Seg::Index(1), k("metadata"), k("ver")])]
            .into_iter()
            .collect();
        assert_eq!(
            plain_scalars(json, &wanted)
                .into_values()
                .collect::<Vec<_>>(),
            vec!["2.0".to_string()]
        );
    }

    #[test]
    fn locate_reads_json() {
        let text = "{\n  \"name\": \"app1\",\n  \"metadata\": {\n    \"gpu\": \"false\"\n  }\n}\n";
        assert_eq!(locate(text, 0, &[k("metadata"), k("gpu")]), Some(4));
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        for s in [
            "true", "yes", "on", "1.0", "~", "null", "0x10", "", "- a", "a: b",
        ] {
            let out = to_inline(&json!(s));
            let back = parse_yaml(&format!("k: {out}\n")).unwrap();
            assert_eq!(back[0].value, json!({ "k": s }), "{s:?} -> {out}");
            assert!(
                out.starts_with('\'') || out.starts_with('"'),
                "{s:?} -> {out}"
            );
        }
        assert_eq!(to_inline(&json!("plain")), "plain");
        assert_eq!(to_inline(&json!("two\nlines")), "\"two\\nlines\"");
    }

    #[test]
    fn manifests_are_checked_without_a_tree() {
        assert!(check_manifests("kind: A\nmetadata:\n  name: x\n", false).is_ok());
        let dup = check_manifests("kind: A\nmetadata:\n  name: x\n  name: y\n", false).unwrap_err();
        assert_eq!(dup.line, Some(4));
        assert!(
            dup.message.contains("duplicate key `name`"),
            "{}",
            dup.message
        );
        // The same key in two mappings is fine; `kind` must be at the top.
        assert!(check_manifests("kind: A\na: {name: 1}\nb: {name: 2}\n", false).is_ok());
        assert!(check_manifests("metadata:\n  kind: A\n", false).is_err());
        assert!(check_manifests("kind: A\n---\nkind: B\n", false).is_err());
        assert!(check_manifests("kind: A\n---\nkind: B\n", true).is_ok());
        assert!(check_manifests("kind: A\n---\nname: B\n", true).is_err());
        assert!(check_manifests("kind: A\n---\n", true).is_err());
        assert!(check_manifests("", true).is_err());
        assert!(check_manifests("- kind\n", false).is_err());
        let bad = check_manifests("kind: A\nspec:\n  a: 1\n b: 2\n", false).unwrap_err();
        assert!(bad.line.is_some());
    }

    #[test]
    fn block_output_round_trips() {
        let v = json!({
            "a": {"b": [1, "x", null, {"k": "v", "l": [true]}, [1, 2]], "c": "multi\nline\n"},
            "d": {}, "e": [], "f": "  indented\nfirst\n\n", "g": "no newline\nat end",
            "h": "tab\tand \u{1}control", "i": "it's", "j": "#x", "k": "a #b", "yes": "on",
            "0x1F": "1:20", "m": "1_000", "n": ".inf", "o": "-", "p": "x\r\ny"
        });
        let text = format!("root:\n{}\n", to_block(&v, 2));
        let back = parse_yaml(&text).unwrap();
        assert_eq!(back[0].value, json!({ "root": v }));
    }
}
