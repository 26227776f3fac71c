//! JSON Patch (RFC 6902) over `serde_json::Value`, exactly.
//!
//! A patch is a JSON array of operations (`add`, `remove`, `replace`, `move`,
//! `copy`, `test`), each naming its target with a JSON pointer (RFC 6901).
//! [`parse`] turns the array into [`Op`]s, checking every member the RFC
//! requires; [`apply`] runs them in order on a document, all or nothing.
//!
//! The corners of the RFC, as the conformance suite (`json-patch/tests.json`
//! and `spec_tests.json`) checks them:
//!
//! * an array index is `0` or digits without a leading zero (`01`, `+1`,
//!   `-1`, `1e0` name nothing); `-` is the position after the last item, and
//!   only `add` can use it;
//! * `add` may insert at index == length, replaces an existing object member,
//!   and with the empty path replaces the whole document; it never creates
//!   missing parents;
//! * `remove`, `replace` and `test` need an existing target, `move` and `copy`
//!   an existing `from`;
//! * `move` into its own child is refused, `move` onto itself changes nothing;
//! * `test` compares as JSON does: numbers by value (`1` equals `1.0`), object
//!   members in any order, array items in order;
//! * `"value": null` is a value, a missing `value` is an error, and members the
//!   RFC does not define are ignored.
//!
//! Where the RFC leaves a choice: removing the whole document (the empty path)
//! is refused, since there is no "nothing" to leave in its place.

use std::fmt;

use serde_json::{Map, Number, Value};

use crate::base::suggest;

/// The operation names, in the order of the RFC.
const NAMES: [&str; 6] = ["add", "remove", "replace", "move", "copy", "test"];

/// One operation, parsed from its JSON form. Pointers are kept as written;
/// [`parse`] has checked that they are pointers.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Op {
    /// Put `value` at `path`: insert into an array, set an object member, or
    /// replace the whole document.
    Add { path: String, value: Value },
    /// Take the value at `path` out of its object or array.
    Remove { path: String },
    /// Put `value` in place of the existing value at `path`.
    Replace { path: String, value: Value },
    /// Remove the value at `from` and add it at `path`.
    Move { from: String, path: String },
    /// Add a deep copy of the value at `from` at `path`.
    Copy { from: String, path: String },
    /// Fail unless the value at `path` equals `value`.
    Test { path: String, value: Value },
}

impl Op {
    /// The pointer the operation changes or tests.
    pub(crate) fn path(&self) -> &str {
        match self {
            Op::Add { path, .. }
            | Op::Remove { path }
            | Op::Replace { path, .. }
            | Op::Move { path, .. }
            | Op::Copy { path, .. }
            | Op::Test { path, .. } => path,
        }
    }

    /// The pointer a `move` or `copy` reads from.
    pub(crate) fn from(&self) -> Option<&str> {
        match self {
            Op::Move { from, .. } | Op::Copy { from, .. } => Some(from),
            _ => None,
        }
    }

    /// The `op` word: `add`, `remove`, …
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Op::Add { .. } => "add",
            Op::Remove { .. } => "remove",
            Op::Replace { .. } => "replace",
            Op::Move { .. } => "move",
            Op::Copy { .. } => "copy",
            Op::Test { .. } => "test",
        }
    }
}

/// Why a patch could not be parsed or applied.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PatchError {
    /// The position of the operation at fault in the patch array (0 when the
    /// patch is not an array at all).
    pub(crate) index: usize,
    /// The whole sentence: which operation, the pointer, and what is wrong.
    pub(crate) message: String,
}

impl fmt::Display for PatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PatchError {}

/// Parse a patch document: a JSON array of operation objects. Members the RFC
/// does not define are ignored (RFC 6902 §4).
pub(crate) fn parse(patch: &Value) -> Result<Vec<Op>, PatchError> {
    let Value::Array(items) = patch else {
        return Err(PatchError {
            index: 0,
            message: format!(
                "a JSON patch must be an array of operations, but this one is {}",
                kind(patch)
            ),
        });
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| parse_op(index, item).map_err(|message| PatchError { index, message }))
        .collect()
}

/// Apply `ops` in order to `doc`. All or nothing: when an operation fails,
/// `doc` is left as it was and the error names that operation.
pub(crate) fn apply(doc: &mut Value, ops: &[Op]) -> Result<(), PatchError> {
    let mut work = doc.clone();
    for (index, op) in ops.iter().enumerate() {
        apply_op(&mut work, op).map_err(|why| PatchError {
            index,
            message: format!("operation {index} (`{}`): {why}", op.name()),
        })?;
    }
    *doc = work;
    Ok(())
}

/// Split a JSON pointer into its reference tokens, unescaped (`~1` is `/`,
/// `~0` is `~`, so `~01` is `~1`). The error is the reason the string is not a
/// pointer (RFC 6901), to follow "is not a JSON pointer: ".
pub(crate) fn tokens(pointer: &str) -> Result<Vec<String>, String> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err("it must be empty or start with `/`".to_owned());
    };
    rest.split('/').map(unescape).collect()
}

/// One reference token with `~0` and `~1` decoded, in a single pass so that
/// `~01` becomes `~1` and not `/`.
fn unescape(token: &str) -> Result<String, String> {
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars();
    while let Some(c) = chars.next() {
        if c != '~' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('0') => out.push('~'),
            Some('1') => out.push('/'),
            _ => {
                return Err(format!(
                    "`~` must be followed by `0` or `1` (`~0` for `~`, `~1` for `/`), in `{token}`"
                ))
            }
        }
    }
    Ok(out)
}

/// Tokens written back as a pointer, escaped.
fn pointer(tokens: &[String]) -> String {
    tokens.iter().fold(String::new(), |mut out, token| {
        out.push('/');
        out.push_str(&token.replace('~', "~0").replace('/', "~1"));
        out
    })
}

/// The place `tokens` names, for a sentence: `/a/b` in backticks, or "the
/// document".
fn place(tokens: &[String]) -> String {
    if tokens.is_empty() {
        "the document".to_owned()
    } else {
        format!("`{}`", pointer(tokens))
    }
}

// ---------------------------------------------------------------------------
// Parsing

/// One operation object, or the sentence saying what is wrong with it.
fn parse_op(index: usize, item: &Value) -> Result<Op, String> {
    let Value::Object(members) = item else {
        return Err(format!(
            "operation {index} is {}, not an object",
            kind(item)
        ));
    };
    let name = op_name(index, members)?;
    let at = format!("operation {index} (`{name}`)");
    let path = pointer_member(members, "path", &at)?;
    Ok(match name {
        "add" => Op::Add {
            path,
            value: value_member(members, &at)?,
        },
        "remove" => Op::Remove { path },
        "replace" => Op::Replace {
            path,
            value: value_member(members, &at)?,
        },
        "move" => Op::Move {
            from: pointer_member(members, "from", &at)?,
            path,
        },
        "copy" => Op::Copy {
            from: pointer_member(members, "from", &at)?,
            path,
        },
        "test" => Op::Test {
            path,
            value: value_member(members, &at)?,
        },
        other => unreachable!("`op_name` returned `{other}`, which is not in {NAMES:?}"),
    })
}

/// The `op` member, one of [`NAMES`].
fn op_name(index: usize, members: &Map<String, Value>) -> Result<&'static str, String> {
    let name = match members.get("op") {
        Some(Value::String(name)) => name,
        Some(other) => {
            return Err(format!(
                "operation {index}: `op` must be a string, but it is {}",
                kind(other)
            ))
        }
        None => return Err(format!("operation {index} has no `op`")),
    };
    if let Some(known) = NAMES.iter().find(|known| **known == name) {
        return Ok(known);
    }
    let mut message = format!(
        "operation {index}: `op` is `{name}`, which is not one of {}",
        NAMES.join(", ")
    );
    if let Some(near) = suggest::closest(name, NAMES) {
        message.push_str(&format!("; did you mean `{near}`?"));
    }
    Err(message)
}

/// The `path` or `from` member: present, a string, and a JSON pointer.
fn pointer_member(members: &Map<String, Value>, key: &str, at: &str) -> Result<String, String> {
    match members.get(key) {
        Some(Value::String(text)) => match tokens(text) {
            Ok(_) => Ok(text.clone()),
            Err(why) => Err(format!(
                "{at}: `{key}` `{text}` is not a JSON pointer: {why}"
            )),
        },
        Some(other) => Err(format!(
            "{at}: `{key}` must be a string, but it is {}",
            kind(other)
        )),
        None => Err(format!("{at} has no `{key}`")),
    }
}

/// The `value` member: present, whatever it is (`null` included).
fn value_member(members: &Map<String, Value>, at: &str) -> Result<Value, String> {
    members
        .get("value")
        .cloned()
        .ok_or_else(|| format!("{at} has no `value`"))
}

// ---------------------------------------------------------------------------
// Applying

/// Run one operation on `doc`, or say why it cannot run. `doc` may be left
/// half-changed on error; [`apply`] works on a copy.
fn apply_op(doc: &mut Value, op: &Op) -> Result<(), String> {
    let path = op_pointer("path", op.path())?;
    match op {
        Op::Add { value, .. } => add(doc, &path, value.clone()),
        Op::Remove { .. } => remove(doc, &path).map(drop),
        Op::Replace { value, .. } => {
            *walk_mut(doc, &path).map_err(|lost| lost.message(&path))? = value.clone();
            Ok(())
        }
        Op::Move { from, .. } => {
            let from = op_pointer("from", from)?;
            if from == path {
                walk(doc, &from)
                    .map_err(|lost| format!("nothing to move: {}", lost.message(&from)))?;
                return Ok(());
            }
            if path.starts_with(&from) {
                return Err(format!(
                    "cannot move {} into itself, to {}",
                    place(&from),
                    place(&path)
                ));
            }
            let value = remove(doc, &from).map_err(|why| format!("nothing to move: {why}"))?;
            add(doc, &path, value)
        }
        Op::Copy { from, .. } => {
            let from = op_pointer("from", from)?;
            let value = walk(doc, &from)
                .map_err(|lost| format!("nothing to copy: {}", lost.message(&from)))?
                .clone();
            add(doc, &path, value)
        }
        Op::Test { value, .. } => {
            let found = walk(doc, &path).map_err(|lost| lost.message(&path))?;
            if equal(found, value) {
                Ok(())
            } else {
                Err(format!(
                    "test failed: {} is {}, not {}",
                    place(&path),
                    show(found),
                    show(value)
                ))
            }
        }
    }
}

/// The tokens of an operation's pointer (checked again here, since an [`Op`]
/// can be built without [`parse`]).
fn op_pointer(key: &str, text: &str) -> Result<Vec<String>, String> {
    tokens(text).map_err(|why| format!("`{key}` `{text}` is not a JSON pointer: {why}"))
}

/// `add`: set the member, insert the item, or replace the document.
fn add(doc: &mut Value, path: &[String], value: Value) -> Result<(), String> {
    let Some((last, parent_path)) = path.split_last() else {
        *doc = value;
        return Ok(());
    };
    let cannot = |why: String| format!("cannot add `{}`: {why}", pointer(path));
    let parent = walk_mut(doc, parent_path).map_err(|lost| cannot(lost.reason(path)))?;
    match parent {
        Value::Object(members) => {
            members.insert(last.clone(), value);
            Ok(())
        }
        Value::Array(items) => {
            let len = items.len();
            let at = if last == "-" {
                len
            } else {
                index(last).ok_or_else(|| {
                    cannot(
                        Lost {
                            depth: parent_path.len(),
                            miss: Miss::NotIndex,
                        }
                        .reason(path),
                    )
                })?
            };
            if at > len {
                return Err(cannot(format!(
                    "{} is an array of {}, so the index can be at most {len}, or `-` for the end",
                    place(parent_path),
                    count(len)
                )));
            }
            items.insert(at, value);
            Ok(())
        }
        other => Err(cannot(format!(
            "{} is {}, not an object or array",
            place(parent_path),
            kind(other)
        ))),
    }
}

/// `remove`: take the value out of its parent and return it.
fn remove(doc: &mut Value, path: &[String]) -> Result<Value, String> {
    let Some((last, parent_path)) = path.split_last() else {
        return Err("the whole document cannot be removed (the pointer is empty)".to_owned());
    };
    let parent = walk_mut(doc, parent_path).map_err(|lost| lost.message(path))?;
    let removed = match parent {
        Value::Object(members) => members.remove(last).ok_or(Miss::Member),
        Value::Array(items) => array_index(last, items.len()).map(|at| items.remove(at)),
        other => Err(Miss::Scalar(kind(other))),
    };
    removed.map_err(|miss| {
        Lost {
            depth: parent_path.len(),
            miss,
        }
        .message(path)
    })
}

/// Why one reference token names nothing in the value it is applied to.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Miss {
    /// An object has no member of that name.
    Member,
    /// An array is indexed by something that is not an index.
    NotIndex,
    /// An array is indexed by `-`, the position after its last item.
    End,
    /// An array is indexed at or past its length, which is carried.
    Range(usize),
    /// A scalar (of the kind carried) has no members or items.
    Scalar(&'static str),
}

/// Where a pointer stopped naming a value: the token at `depth`, and why.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Lost {
    depth: usize,
    miss: Miss,
}

impl Lost {
    /// Why `path`, cut after the token at `depth`, names nothing.
    fn reason(&self, path: &[String]) -> String {
        let parent = place(&path[..self.depth]);
        match self.miss {
            Miss::Member => format!("there is no `{}`", pointer(&path[..=self.depth])),
            Miss::NotIndex => format!(
                "{parent} is an array, and `{}` is not an index (`0`, or digits without a leading zero)",
                path[self.depth]
            ),
            Miss::End => format!(
                "`-` names the position after the last item of {parent}, where nothing is yet"
            ),
            Miss::Range(len) => format!("{parent} is an array of {}", count(len)),
            Miss::Scalar(kind) => format!("{parent} is {kind}, not an object or array"),
        }
    }

    /// "`/a/b` does not exist", with the reason unless that is all there is
    /// to say (the last token is a missing object member).
    fn message(&self, path: &[String]) -> String {
        let whole = pointer(path);
        if self.miss == Miss::Member && self.depth + 1 == path.len() {
            format!("`{whole}` does not exist")
        } else {
            format!("`{whole}` does not exist: {}", self.reason(path))
        }
    }
}

/// The value `path` names in `doc`.
fn walk<'a>(doc: &'a Value, path: &[String]) -> Result<&'a Value, Lost> {
    let mut here = doc;
    for (depth, token) in path.iter().enumerate() {
        let next = match here {
            Value::Object(members) => members.get(token).ok_or(Miss::Member),
            Value::Array(items) => array_index(token, items.len()).map(|at| &items[at]),
            other => Err(Miss::Scalar(kind(other))),
        };
        here = next.map_err(|miss| Lost { depth, miss })?;
    }
    Ok(here)
}

/// The value `path` names in `doc`, to change it.
fn walk_mut<'a>(doc: &'a mut Value, path: &[String]) -> Result<&'a mut Value, Lost> {
    let mut here = doc;
    for (depth, token) in path.iter().enumerate() {
        let next = match here {
            Value::Object(members) => members.get_mut(token).ok_or(Miss::Member),
            Value::Array(items) => array_index(token, items.len()).map(|at| &mut items[at]),
            other => Err(Miss::Scalar(kind(other))),
        };
        here = next.map_err(|miss| Lost { depth, miss })?;
    }
    Ok(here)
}

/// The item `token` names in an array of `len` items, which must exist.
fn array_index(token: &str, len: usize) -> Result<usize, Miss> {
    if token == "-" {
        return Err(Miss::End);
    }
    match index(token) {
        None => Err(Miss::NotIndex),
        Some(at) if at >= len => Err(Miss::Range(len)),
        Some(at) => Ok(at),
    }
}

/// An array index token: `0`, or digits without a leading zero. Too large a
/// number is still an index, just past any array's end.
fn index(token: &str) -> Option<usize> {
    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    if !digits || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    Some(token.parse().unwrap_or(usize::MAX))
}

// ---------------------------------------------------------------------------
// Equality and words

/// JSON equality: numbers by value (`1` equals `1.0`), object members in any
/// order, array items in order.
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => same_number(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, v)| y.get(key).is_some_and(|w| equal(v, w)))
        }
        _ => a == b,
    }
}

/// Two numbers are the same value: integers exactly, an integer and a float
/// when the float is that whole number, floats as floats.
fn same_number(x: &Number, y: &Number) -> bool {
    match (integer(x), integer(y)) {
        (Some(i), Some(j)) => i == j,
        (Some(i), None) => y.as_f64().is_some_and(|f| float_is(f, i)),
        (None, Some(j)) => x.as_f64().is_some_and(|f| float_is(f, j)),
        (None, None) => x.as_f64() == y.as_f64(),
    }
}

/// The number as an integer, when it was written as one.
fn integer(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// A float is exactly the integer `i` (the cast saturates, and no integer
/// serde_json holds is near `i128`'s ends).
fn float_is(f: f64, i: i128) -> bool {
    f.fract() == 0.0 && f as i128 == i
}

/// The kind of a value, with its article: "an object", "null".
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// "no items", "1 item", "3 items".
fn count(len: usize) -> String {
    match len {
        0 => "no items".to_owned(),
        1 => "1 item".to_owned(),
        n => format!("{n} items"),
    }
}

/// A value as compact JSON in backticks, cut short when long.
fn show(value: &Value) -> String {
    const MAX: usize = 60;
    let text = value.to_string();
    if text.chars().count() <= MAX {
        format!("`{text}`")
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("`{cut}…`")
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use serde_json::json;

    use super::*;

    /// Parse and apply, as one step.
    fn patch(doc: &mut Value, patch: Value) -> Result<(), PatchError> {
        apply(doc, &parse(&patch)?)
    }

    /// The message of a patch that must fail, with the index it names.
    fn failure(doc: Value, ops: Value) -> (usize, String) {
        let mut doc = doc;
        let error = patch(&mut doc, ops).expect_err("the patch should fail");
        (error.index, error.message)
    }

    #[test]
    fn a_failing_operation_leaves_the_document_unchanged() {
        let before = json!({"spec": {"replicas": 1, "ports": [80, 443]}});
        let mut doc = before.clone();
        let error = patch(
            &mut doc,
            json!([
                {"op": "replace", "path": "/spec/replicas", "value": 3},
                {"op": "add", "path": "/spec/ports/-", "value": 8080},
                {"op": "remove", "path": "/spec/ports/0"},
                {"op": "remove", "path": "/spec/foo"},
            ]),
        )
        .unwrap_err();
        assert_eq!(error.index, 3);
        assert_eq!(
            error.message,
            "operation 3 (`remove`): `/spec/foo` does not exist"
        );
        assert_eq!(doc, before);
    }

    #[test]
    fn messages_name_the_operation_and_the_pointer() {
        let doc = json!({"a": {"b": [1, 2]}, "s": "x"});
        let cases = [
            (
                json!([{"op": "test", "path": "/a/b/0", "value": 1}, {"op": "remove", "path": "/x/y"}]),
                (1, "operation 1 (`remove`): `/x/y` does not exist: there is no `/x`"),
            ),
            (
                json!([{"op": "add", "path": "/a/c/d", "value": 1}]),
                (0, "operation 0 (`add`): cannot add `/a/c/d`: there is no `/a/c`"),
            ),
            (
                json!([{"op": "add", "path": "/a/b/3", "value": 1}]),
                (
                    0,
                    "operation 0 (`add`): cannot add `/a/b/3`: `/a/b` is an array of 2 items, \
                     so the index can be at most 2, or `-` for the end",
                ),
            ),
            (
                json!([{"op": "replace", "path": "/a/b/01", "value": 1}]),
                (
                    0,
                    "operation 0 (`replace`): `/a/b/01` does not exist: `/a/b` is an array, \
                     and `01` is not an index (`0`, or digits without a leading zero)",
                ),
            ),
            (
                json!([{"op": "remove", "path": "/a/b/-"}]),
                (
                    0,
                    "operation 0 (`remove`): `/a/b/-` does not exist: `-` names the position \
                     after the last item of `/a/b`, where nothing is yet",
                ),
            ),
            (
                json!([{"op": "remove", "path": "/a/b/2"}]),
                (0, "operation 0 (`remove`): `/a/b/2` does not exist: `/a/b` is an array of 2 items"),
            ),
            (
                json!([{"op": "add", "path": "/s/t", "value": 1}]),
                (0, "operation 0 (`add`): cannot add `/s/t`: `/s` is a string, not an object or array"),
            ),
            (
                json!([{"op": "copy", "from": "/z", "path": "/y"}]),
                (0, "operation 0 (`copy`): nothing to copy: `/z` does not exist"),
            ),
            (
                json!([{"op": "move", "from": "/a", "path": "/a/c"}]),
                (0, "operation 0 (`move`): cannot move `/a` into itself, to `/a/c`"),
            ),
            (
                json!([{"op": "test", "path": "/a/b", "value": [1, 3]}]),
                (0, "operation 0 (`test`): test failed: `/a/b` is `[1,2]`, not `[1,3]`"),
            ),
            (
                json!([{"op": "remove", "path": ""}]),
                (
                    0,
                    "operation 0 (`remove`): the whole document cannot be removed (the pointer is empty)",
                ),
            ),
        ];
        for (ops, (index, message)) in cases {
            assert_eq!(failure(doc.clone(), ops), (index, message.to_owned()));
        }
    }

    #[test]
    fn parse_errors_say_what_is_wrong() {
        let cases = [
            (
                json!([{"op": "add", "path": "/a", "value": 1}, {"op": "add", "path": "/b", "value": 2}, {"op": "ad", "path": "/c"}]),
                (
                    2,
                    "operation 2: `op` is `ad`, which is not one of add, remove, replace, move, \
                     copy, test; did you mean `add`?",
                ),
            ),
            (
                json!([{"op": "add", "path": "/a"}]),
                (0, "operation 0 (`add`) has no `value`"),
            ),
            (
                json!([{"op": "remove"}, {"op": "add", "path": "foo", "value": 1}]),
                (0, "operation 0 (`remove`) has no `path`"),
            ),
            (
                json!([{"op": "test", "path": "/a", "value": 1}, {"op": "add", "path": "foo", "value": 1}]),
                (
                    1,
                    "operation 1 (`add`): `path` `foo` is not a JSON pointer: it must be empty or \
                     start with `/`",
                ),
            ),
            (
                json!([{"op": "copy", "from": "/a~2", "path": "/b"}]),
                (
                    0,
                    "operation 0 (`copy`): `from` `/a~2` is not a JSON pointer: `~` must be \
                     followed by `0` or `1` (`~0` for `~`, `~1` for `/`), in `a~2`",
                ),
            ),
            (
                json!([{"op": "move", "path": "/b"}]),
                (0, "operation 0 (`move`) has no `from`"),
            ),
            (
                json!([{"op": "add", "path": null, "value": 1}]),
                (
                    0,
                    "operation 0 (`add`): `path` must be a string, but it is null",
                ),
            ),
            (json!([{"path": "/a"}]), (0, "operation 0 has no `op`")),
            (
                json!([{"op": 1}]),
                (0, "operation 0: `op` must be a string, but it is a number"),
            ),
            (
                json!(["add"]),
                (0, "operation 0 is a string, not an object"),
            ),
            (
                json!({"op": "add"}),
                (
                    0,
                    "a JSON patch must be an array of operations, but this one is an object",
                ),
            ),
        ];
        for (ops, (index, message)) in cases {
            let error = parse(&ops).expect_err("the patch should not parse");
            assert_eq!((error.index, error.message.as_str()), (index, message));
            assert_eq!(error.to_string(), message);
        }
    }

    #[test]
    fn a_null_value_is_present_and_an_absent_one_is_not() {
        let ops = parse(&json!([{"op": "add", "path": "/a", "value": null}])).unwrap();
        assert_eq!(
            ops,
            [Op::Add {
                path: "/a".into(),
                value: Value::Null
            }]
        );
        let mut doc = json!({});
        apply(&mut doc, &ops).unwrap();
        assert_eq!(doc, json!({"a": null}));

        let mut doc = json!({"a": null});
        patch(
            &mut doc,
            json!([{"op": "test", "path": "/a", "value": null}]),
        )
        .unwrap();
        for op in ["add", "replace", "test"] {
            let error = parse(&json!([{"op": op, "path": "/a"}])).unwrap_err();
            assert_eq!(
                error.message,
                format!("operation 0 (`{op}`) has no `value`")
            );
        }
    }

    #[test]
    fn unknown_members_are_ignored() {
        let ops =
            parse(&json!([{"op": "remove", "path": "/a", "value": 1, "from": "/b", "x": []}]))
                .unwrap();
        assert_eq!(ops, [Op::Remove { path: "/a".into() }]);
        assert_eq!(ops[0].from(), None);
        assert_eq!((ops[0].name(), ops[0].path()), ("remove", "/a"));
    }

    #[test]
    fn tokens_unescape_in_order() {
        assert_eq!(tokens(""), Ok(vec![]));
        assert_eq!(tokens("/"), Ok(vec![String::new()]));
        assert_eq!(
            tokens("/a~1b/m~0n/~01//x"),
            Ok(vec![
                "a/b".into(),
                "m~n".into(),
                "~1".into(),
                String::new(),
                "x".into()
            ])
        );
        assert!(tokens("a").is_err());
        assert!(tokens("/~").is_err());
        assert!(tokens("/~2").is_err());
        let path = tokens("/a~1b/m~0n/~01").unwrap();
        assert_eq!(pointer(&path), "/a~1b/m~0n/~01");
    }

    #[test]
    fn test_compares_numbers_by_value() {
        let mut doc =
            json!({"n": 1, "f": 2.5, "big": u64::MAX, "neg": -3, "o": {"a": [1.0, {"b": 2}]}});
        patch(
            &mut doc,
            json!([
                {"op": "test", "path": "/n", "value": 1.0},
                {"op": "test", "path": "/f", "value": 2.5},
                {"op": "test", "path": "/big", "value": u64::MAX},
                {"op": "test", "path": "/neg", "value": -3.0},
                {"op": "test", "path": "/o", "value": {"a": [1, {"b": 2.0}]}},
            ]),
        )
        .unwrap();
        for (path, value) in [
            ("/n", json!(1.5)),
            ("/n", json!("1")),
            ("/neg", json!(3)),
            ("/big", json!(-1)),
        ] {
            let result = patch(
                &mut doc,
                json!([{"op": "test", "path": path, "value": value}]),
            );
            assert!(result.is_err(), "{path} should not equal {value}");
        }
    }

    #[test]
    fn move_and_copy() {
        let mut doc = json!({"a": {"b": [1, 2]}, "c": 3});
        patch(
            &mut doc,
            json!([{"op": "move", "from": "/a", "path": "/a"}]),
        )
        .unwrap();
        assert_eq!(doc, json!({"a": {"b": [1, 2]}, "c": 3}));
        patch(
            &mut doc,
            json!([{"op": "copy", "from": "/a", "path": "/a/b/0"}]),
        )
        .unwrap();
        assert_eq!(doc, json!({"a": {"b": [{"b": [1, 2]}, 1, 2]}, "c": 3}));
        patch(
            &mut doc,
            json!([{"op": "move", "from": "/a/b/0", "path": ""}]),
        )
        .unwrap();
        assert_eq!(doc, json!({"b": [1, 2]}));
        // A token-wise prefix, not a string prefix: `/b` is not inside `/bc`.
        patch(
            &mut doc,
            json!([{"op": "move", "from": "/b", "path": "/bc"}]),
        )
        .unwrap();
        assert_eq!(doc, json!({"bc": [1, 2]}));
        let error = patch(&mut doc, json!([{"op": "move", "from": "", "path": "/x"}])).unwrap_err();
        assert_eq!(
            error.message,
            "operation 0 (`move`): cannot move the document into itself, to `/x`"
        );
    }

    // -----------------------------------------------------------------------
    // The conformance suite (github.com/json-patch/json-patch-tests)

    /// The suite, next to the crate in the shared folder.
    fn suite_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/json-patch")
    }

    /// What became of one record of the suite.
    enum Outcome {
        Passed,
        Skipped,
        Failed(String),
    }

    /// The tally of one suite file.
    struct Tally {
        passed: usize,
        skipped: usize,
        failures: Vec<String>,
    }

    /// Run one record: `expected` must come out, `error` must fail (leaving
    /// the document unchanged), and with neither the patch must apply.
    fn run_record(record: &Value) -> Outcome {
        if record.get("disabled") == Some(&Value::Bool(true)) {
            return Outcome::Skipped;
        }
        let (Some(doc), Some(ops)) = (record.get("doc"), record.get("patch")) else {
            return Outcome::Failed("the record has no `doc` or no `patch`".to_owned());
        };
        let mut result = doc.clone();
        let applied = parse(ops).and_then(|ops| apply(&mut result, &ops));
        match (
            applied,
            record.get("expected"),
            record.get("error").is_some(),
        ) {
            (Ok(()), Some(expected), _) if equal(&result, expected) => Outcome::Passed,
            (Ok(()), Some(expected), _) => {
                Outcome::Failed(format!("got {result}, expected {expected}"))
            }
            (Err(error), Some(_), _) => Outcome::Failed(format!("failed: {error}")),
            (Ok(()), None, true) => {
                Outcome::Failed(format!("applied (giving {result}), but should fail"))
            }
            (Err(error), None, true) if result != *doc => Outcome::Failed(format!(
                "failed ({error}), but changed the document to {result}"
            )),
            (Err(_), None, true) | (Ok(()), None, false) => Outcome::Passed,
            (Err(error), None, false) => Outcome::Failed(format!("failed: {error}")),
        }
    }

    fn run_file(dir: &Path, name: &str) -> Tally {
        let file = dir.join(name);
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let records: Vec<Value> = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not a JSON array: {e}", file.display()));
        let mut tally = Tally {
            passed: 0,
            skipped: 0,
            failures: Vec::new(),
        };
        for (i, record) in records.iter().enumerate() {
            match run_record(record) {
                Outcome::Passed => tally.passed += 1,
                Outcome::Skipped => tally.skipped += 1,
                Outcome::Failed(why) => {
                    let comment = record
                        .get("comment")
                        .and_then(Value::as_str)
                        .unwrap_or("no comment");
                    tally
                        .failures
                        .push(format!("{name} record {i} ({comment}): {why}"));
                }
            }
        }
        tally
    }

    #[test]
    fn conformance() {
        let dir = suite_dir();
        if !dir.is_dir() {
            eprintln!(
                "json-patch conformance: skipped, the suite folder {} is absent",
                dir.display()
            );
            return;
        }
        let tests = run_file(&dir, "tests.json");
        let spec = run_file(&dir, "spec_tests.json");
        eprintln!(
            "json-patch conformance: tests.json {} passed, {} skipped (disabled); \
             spec_tests.json {} passed, {} skipped (disabled)",
            tests.passed, tests.skipped, spec.passed, spec.skipped
        );
        let failures: Vec<&String> = tests.failures.iter().chain(&spec.failures).collect();
        assert!(
            failures.is_empty(),
            "{} json-patch conformance case(s) failed:\n{}",
            failures.len(),
            failures
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert!(
            tests.passed > 0 && spec.passed > 0,
            "the suite files hold no records"
        );
    }
}
