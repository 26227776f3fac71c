//! Helm values layering and `${ expression }` expansion.
//!
//! fleetc renders one Helm values document for every (cluster, app) pair of
//! the fleet by stacking several layers (fleet defaults, environment, cluster,
//! app, per-pair overrides, ...). The result must be exactly what Helm itself
//! would compute if the same layers were passed as `helm template -f l0.yaml
//! -f l1.yaml ...`, otherwise what fleetc shows in a diff or commits to Git is
//! not what the cluster runs. This module owns that rule, plus the tooling
//! around it that explains a merge to a human:
//!
//! * [`merge_into`] / [`merge`]: Helm's `loader.MergeMaps` (the deep merge it
//!   applies between `-f` files). Maps merge key by key, recursively; anything
//!   else (scalars, lists, `null`) from the higher layer replaces the lower
//!   value whole; when one side is a map and the other is not, the higher layer
//!   wins whole. A `null` is *kept* in the result: deleting the chart default
//!   it shadows is done later by Helm's `CoalesceValues`, which fleetc does not
//!   perform (the chart defaults are not ours to see).
//! * [`merge_traced`]: the same merge, plus which layer set every leaf of the
//!   result and which lower layers it overrode (for `fleetc explain`).
//! * [`conflicts`]: where two layers disagree so that their order matters.
//! * [`expand`]: expansion of `${ expr }` references inside string values,
//!   with `$${` as the escape for a literal `${`, leaving Helm's own `{{ }}`
//!   template syntax untouched.
//!
//! # Algebra, and a trap
//!
//! The merge is a left fold and is **not associative** in general: with
//! `a = {k: {x: 1}}`, `b = {k: 5}`, `c = {k: {y: 2}}`, folding `a, b, c`
//! gives `{k: {y: 2}}` (the scalar in `b` discards `a`'s map, then `c`
//! replaces the scalar) while merging `a` under a pre-merged `b, c` gives
//! `{k: {x: 1, y: 2}}`. Helm folds `-f` files left to right, so only
//! *prefixes* of the layer stack may be cached and reused; pre-merging higher
//! layers is wrong whenever a path is a map in one layer and a non-map in
//! another. When every path has the same shape (map or not) in all layers,
//! the merge is associative. `{}` is an identity on both sides for maps, and
//! merging a document with itself gives the document back.
//!
//! # Performance
//!
//! fleetc calls into this module for every (cluster, app) pair (some 200,000
//! per compile), so the hot paths avoid work: [`merge_into`] clones only the
//! parts of the higher layer that it inserts, [`expand`] leaves every string
//! that contains no `${` alone without allocating and builds JSON pointers only
//! for errors, and [`escape_pointer_segment`] borrows when nothing needs
//! escaping.
//!
//! Recursion follows the nesting of the documents, whose depth the YAML and
//! JSON parsers already bound (128 levels).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Merge `layer` over `base` in place (Helm -f layering, nulls kept).
///
/// When both are objects they merge key by key, recursively; otherwise
/// `layer` replaces `base` whole (including when `layer` is `null`, a list,
/// or the only side that is an object). Only what is inserted is cloned.
pub fn merge_into(base: &mut Value, layer: &Value) {
    match (base, layer) {
        (Value::Object(base_map), Value::Object(layer_map)) => {
            for (key, layer_value) in layer_map {
                match base_map.get_mut(key) {
                    Some(base_value) => merge_into(base_value, layer_value),
                    None => {
                        base_map.insert(key.clone(), layer_value.clone());
                    }
                }
            }
        }
        (base, layer) => base.clone_from(layer),
    }
}

/// Fold of merge_into over layers, lowest precedence first, starting from an empty object.
///
/// With no layers the result is `{}`. A layer whose top level is not an
/// object replaces everything below it, as it would anywhere else.
pub fn merge(layers: &[&Value]) -> Value {
    let mut result = Value::Object(Map::new());
    for layer in layers {
        merge_into(&mut result, layer);
    }
    result
}

/// Where one leaf of a merged document came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafOrigin {
    /// RFC 6901 JSON pointer of the leaf. Leaves are scalars, nulls, arrays
    /// (whole; they are not descended into) and empty objects. The root is
    /// never a leaf, so the pointer is never `""`.
    pub pointer: String,
    /// Index into `layers` of the layer that set the final value.
    pub layer: usize,
    /// Indices of lower layers that also set this path, or a path above or
    /// below it that this value (or a value it replaced) displaced;
    /// ascending, deduplicated.
    pub overridden: Vec<usize>,
}

/// Same result as `merge`, plus the origin of every leaf of the result, sorted by pointer.
///
/// The origins follow the fold step by step:
///
/// * a non-object value from layer `i` at a path replaces whatever the path
///   held; the new leaf records every layer that had set a leaf there or
///   below it (and, transitively, what those had overridden);
/// * a non-empty object from layer `i` merged over a leaf (a non-object or an
///   empty object) displaces that leaf; every leaf it brings records the
///   displaced leaf's layer and history;
/// * an empty object from layer `i` over a leaf replaces it like a scalar,
///   and over a non-empty object changes nothing;
/// * a key merged into an existing object changes nothing above it.
///
/// So the reported `layer` is always a layer that holds exactly the final
/// value at `pointer`. Leaves of equal value still count as overridden: the
/// lower layer did set the path. If the merged root is not an object (only
/// when the top layer that replaced it is not a map) there are no leaves.
pub fn merge_traced(layers: &[&Value]) -> (Value, Vec<LeafOrigin>) {
    let value = merge(layers);
    let mut root = Trace::Map(BTreeMap::new());
    for (index, layer) in layers.iter().enumerate() {
        root.merge(layer, index);
    }
    let mut origins = Vec::new();
    if let Trace::Map(children) = root {
        let mut pointer = String::new();
        for (key, child) in children {
            child.collect(key, &mut pointer, &mut origins);
        }
    }
    // Depth-first key order is not pointer order (`/a b` < `/a/x`).
    origins.sort_unstable_by(|x, y| x.pointer.cmp(&y.pointer));
    (value, origins)
}

/// The provenance skeleton of a merged document. A `Map` stands for a
/// non-empty object of the result (or the untouched root), a `Leaf` for any
/// other value. Keys borrow from the layers.
enum Trace<'a> {
    Map(BTreeMap<&'a str, Trace<'a>>),
    Leaf {
        layer: usize,
        overridden: Vec<usize>,
    },
}

impl<'a> Trace<'a> {
    /// Provenance of `value` newly set by layer `layer`, displacing the
    /// history `overridden`.
    fn fresh(value: &'a Value, layer: usize, overridden: &[usize]) -> Self {
        match value {
            Value::Object(map) if !map.is_empty() => Trace::Map(
                map.iter()
                    .map(|(key, child)| (key.as_str(), Trace::fresh(child, layer, overridden)))
                    .collect(),
            ),
            _ => Trace::Leaf {
                layer,
                overridden: overridden.to_vec(),
            },
        }
    }

    /// Mirrors [`merge_into`] of `value` from layer `layer` over this node.
    fn merge(&mut self, value: &'a Value, layer: usize) {
        match value {
            Value::Object(map) if map.is_empty() => {
                if let Trace::Leaf { .. } = self {
                    let overridden = self.displaced();
                    *self = Trace::Leaf { layer, overridden };
                }
            }
            Value::Object(map) => match self {
                Trace::Map(children) => {
                    for (key, child) in map {
                        match children.get_mut(key.as_str()) {
                            Some(node) => node.merge(child, layer),
                            None => {
                                children.insert(key.as_str(), Trace::fresh(child, layer, &[]));
                            }
                        }
                    }
                }
                Trace::Leaf { .. } => {
                    let overridden = self.displaced();
                    *self = Trace::fresh(value, layer, &overridden);
                }
            },
            _ => {
                let overridden = self.displaced();
                *self = Trace::Leaf { layer, overridden };
            }
        }
    }

    /// The sorted, deduplicated layers of every leaf at or below this node
    /// together with what they had overridden.
    fn displaced(&self) -> Vec<usize> {
        match self {
            // A leaf's own layer is above everything it overrode, so pushing
            // it keeps the list sorted and free of duplicates.
            Trace::Leaf { layer, overridden } => {
                let mut out = Vec::with_capacity(overridden.len() + 1);
                out.extend_from_slice(overridden);
                out.push(*layer);
                out
            }
            Trace::Map(_) => {
                let mut out = Vec::new();
                self.gather(&mut out);
                out.sort_unstable();
                out.dedup();
                out
            }
        }
    }

    fn gather(&self, out: &mut Vec<usize>) {
        match self {
            Trace::Leaf { layer, overridden } => {
                out.extend_from_slice(overridden);
                out.push(*layer);
            }
            Trace::Map(children) => children.values().for_each(|child| child.gather(out)),
        }
    }

    /// Appends the origins of this node (reached by `key` from `pointer`).
    fn collect(self, key: &str, pointer: &mut String, out: &mut Vec<LeafOrigin>) {
        let len = pointer.len();
        pointer.push('/');
        pointer.push_str(&escape_pointer_segment(key));
        match self {
            Trace::Leaf { layer, overridden } => out.push(LeafOrigin {
                pointer: pointer.clone(),
                layer,
                overridden,
            }),
            Trace::Map(children) => {
                for (child_key, child) in children {
                    child.collect(child_key, pointer, out);
                }
            }
        }
        pointer.truncate(len);
    }
}

/// Paths where layers `a` and `b` disagree so that their order would matter:
/// both set the same leaf to different values, or one has an object where the
/// other has a non-object. Sorted JSON pointers. Equal values are no conflict.
///
/// The result is empty exactly when `merge(&[a, b]) == merge(&[b, a])`. Keys
/// present in only one layer are no conflict. If `a` and `b` themselves
/// conflict (for instance two different top-level scalars), the pointer is `""`.
pub fn conflicts(a: &Value, b: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut pointer = String::new();
    collect_conflicts(a, b, &mut pointer, &mut out);
    out.sort_unstable();
    out
}

fn collect_conflicts(a: &Value, b: &Value, pointer: &mut String, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(a_map), Value::Object(b_map)) => {
            // Walk the smaller map and look keys up in the larger.
            let (small, large) = if a_map.len() <= b_map.len() {
                (a_map, b_map)
            } else {
                (b_map, a_map)
            };
            for (key, small_value) in small {
                if let Some(large_value) = large.get(key) {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&escape_pointer_segment(key));
                    collect_conflicts(small_value, large_value, pointer, out);
                    pointer.truncate(len);
                }
            }
        }
        (Value::Object(_), _) | (_, Value::Object(_)) => out.push(pointer.clone()),
        (a, b) => {
            if a != b {
                out.push(pointer.clone());
            }
        }
    }
}

/// An error from [`expand`]: the string at `pointer` could not be expanded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpandError {
    /// RFC 6901 JSON pointer of the offending string (`""` for a bare string).
    pub pointer: String,
    /// What went wrong, naming the expression.
    pub message: String,
}

impl std::fmt::Display for ExpandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.pointer.is_empty() {
            write!(f, "at the document root: {}", self.message)
        } else {
            write!(f, "at {}: {}", self.pointer, self.message)
        }
    }
}

impl std::error::Error for ExpandError {}

/// Expands `${ expr }` in every string of `value` (object values and array
/// items, recursively; never object keys): each `${ ... }` is replaced by
/// `eval(expr_trimmed)`; `$${` writes a literal `${` and is not evaluated;
/// Helm's `{{ }}` and a lone `$` pass through untouched. The end of an
/// expression is the first `}` at bracket depth 0 outside a quoted string
/// ('...' or "...", with backslash escapes), so `${ {"a": 1}["a"] }` works.
/// An unterminated `${` or an empty `${ }` is an error. Strings without `${`
/// are left untouched without allocating. All errors are returned (one per
/// offending string, in document order), with the string's JSON pointer.
///
/// Details:
///
/// * The string is scanned left to right and `$${` is recognised wherever it
///   starts first, so `$$${x}` is `$` followed by the escape: `$${x}`. A `$`
///   not followed by `{` (or `${`) is copied as is, so `$$` stays `$$`.
/// * Inside an expression `(`, `[` and `{` open a level and `)`, `]` and `}`
///   close one (a closer at level 0 other than `}` is ignored and left to the
///   evaluator). A quote left open runs to the end of the string, which makes
///   the expression unterminated.
/// * Expressions of one string are evaluated in order; the first failure
///   (syntax or `eval`) is that string's error and stops its expansion. A
///   string with an error is left unchanged; every other string is expanded.
pub fn expand(
    value: &mut Value,
    eval: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<(), Vec<ExpandError>> {
    let mut errors = Vec::new();
    expand_value(value, None, eval, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// One step of the path to the value being expanded, linked to its parent
/// on the stack, so that a pointer is only built for an error.
struct PathStep<'p> {
    parent: Option<&'p PathStep<'p>>,
    segment: Segment<'p>,
}

#[derive(Clone, Copy)]
enum Segment<'p> {
    Key(&'p str),
    Index(usize),
}

fn render_pointer(path: Option<&PathStep<'_>>) -> String {
    let mut segments = Vec::new();
    let mut step = path;
    while let Some(node) = step {
        segments.push(node.segment);
        step = node.parent;
    }
    let mut pointer = String::new();
    for segment in segments.iter().rev() {
        pointer.push('/');
        match segment {
            Segment::Key(key) => pointer.push_str(&escape_pointer_segment(key)),
            Segment::Index(index) => pointer.push_str(&index.to_string()),
        }
    }
    pointer
}

fn expand_value(
    value: &mut Value,
    path: Option<&PathStep<'_>>,
    eval: &mut dyn FnMut(&str) -> Result<String, String>,
    errors: &mut Vec<ExpandError>,
) {
    match value {
        Value::String(text) => match expand_str(text, eval) {
            Ok(Some(expanded)) => *text = expanded,
            Ok(None) => {}
            Err(message) => errors.push(ExpandError {
                pointer: render_pointer(path),
                message,
            }),
        },
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                let step = PathStep {
                    parent: path,
                    segment: Segment::Index(index),
                };
                expand_value(item, Some(&step), eval, errors);
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                let step = PathStep {
                    parent: path,
                    segment: Segment::Key(key),
                };
                expand_value(item, Some(&step), eval, errors);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Expands one string: `Ok(None)` when it contains no `${` (nothing to do),
/// `Ok(Some(expanded))`, or `Err(message)` for the first failure.
fn expand_str(
    text: &str,
    eval: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<Option<String>, String> {
    let Some(first) = text.find("${") else {
        return Ok(None);
    };
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    // `copied` is where the next unwritten byte is; `pos` is where to look
    // for the next `$`. Every index below is at an ASCII byte (or the end),
    // hence a char boundary.
    let mut copied = 0;
    // A `$${` escape may start one byte before the first `${`.
    let mut pos = match first.checked_sub(1) {
        Some(before) if bytes.get(before) == Some(&b'$') => before,
        _ => first,
    };
    while let Some(offset) = text.get(pos..).and_then(|rest| rest.find('$')) {
        let dollar = pos + offset;
        match (bytes.get(dollar + 1), bytes.get(dollar + 2)) {
            (Some(b'$'), Some(b'{')) => {
                // `$${`: a literal `${`.
                out.push_str(&text[copied..dollar]);
                out.push_str("${");
                copied = dollar + 3;
                pos = copied;
            }
            (Some(b'{'), _) => {
                let start = dollar + 2;
                let Some(end) = expression_end(bytes, start) else {
                    return Err(format!(
                        "unterminated `${{` at byte {dollar}: no closing `}}`"
                    ));
                };
                let expr = text[start..end].trim();
                if expr.is_empty() {
                    return Err(format!("empty expression `${{ }}` at byte {dollar}"));
                }
                let expanded =
                    eval(expr).map_err(|message| format!("`${{ {expr} }}`: {message}"))?;
                out.push_str(&text[copied..dollar]);
                out.push_str(&expanded);
                copied = end + 1;
                pos = copied;
            }
            _ => pos = dollar + 1,
        }
    }
    out.push_str(&text[copied..]);
    Ok(Some(out))
}

/// Index of the `}` closing an expression that starts at `start`: the first
/// `}` at bracket depth 0 outside a quoted string.
fn expression_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut depth: usize = 0;
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    for (index, &byte) in bytes.iter().enumerate().skip(start) {
        if let Some(open) = quote {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == open {
                quote = None;
            }
            continue;
        }
        match byte {
            b'\'' | b'"' => quote = Some(byte),
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'}' if depth == 0 => return Some(index),
            b'}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// RFC 6901 escaping of one path segment (`~` → `~0`, `/` → `~1`).
pub fn escape_pointer_segment(s: &str) -> Cow<'_, str> {
    if !s.contains(['~', '/']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 2);
    for ch in s.chars() {
        match ch {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            _ => out.push(ch),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn origin(pointer: &str, layer: usize, overridden: &[usize]) -> LeafOrigin {
        LeafOrigin {
            pointer: pointer.to_owned(),
            layer,
            overridden: overridden.to_vec(),
        }
    }

    /// An evaluator that knows a few names and fails on everything else.
    fn lookup(expr: &str) -> Result<String, String> {
        match expr {
            "cluster.name" => Ok("prod-eu-1".to_owned()),
            "region" => Ok("eu-west-1".to_owned()),
            "empty" => Ok(String::new()),
            other => Err(format!("unknown name {other:?}")),
        }
    }

    fn expand_with_lookup(value: &mut Value) -> Result<(), Vec<ExpandError>> {
        expand(value, &mut lookup)
    }

    // ---- merge ----------------------------------------------------------

    #[test]
    fn merge_of_nothing_is_an_empty_object() {
        assert_eq!(merge(&[]), json!({}));
    }

    #[test]
    fn merge_deep_merges_maps_and_replaces_everything_else() {
        let chart = json!({
            "image": {"repository": "nginx", "tag": "1.0"},
            "replicas": 1,
            "args": ["a", "b"],
            "debug": true,
            "ports": {"http": 80},
        });
        let cluster = json!({
            "image": {"tag": "2.0"},
            "args": ["c"],
            "debug": null,
            "ports": "none",
            "extra": {"x": 1},
        });
        assert_eq!(
            merge(&[&chart, &cluster]),
            json!({
                "image": {"repository": "nginx", "tag": "2.0"},
                "replicas": 1,
                "args": ["c"],
                "debug": null,
                "ports": "none",
                "extra": {"x": 1},
            })
        );
    }

    #[test]
    fn null_is_kept_and_can_be_replaced_again() {
        let a = json!({"k": {"x": 1}});
        let b = json!({"k": null});
        let c = json!({"k": {"y": 2}});
        assert_eq!(merge(&[&a, &b]), json!({"k": null}));
        assert_eq!(merge(&[&a, &b, &c]), json!({"k": {"y": 2}}));
    }

    #[test]
    fn map_replaces_scalar_and_scalar_replaces_map() {
        let scalar = json!({"k": "v"});
        let map = json!({"k": {"a": 1}});
        assert_eq!(merge(&[&scalar, &map]), map);
        assert_eq!(merge(&[&map, &scalar]), scalar);
    }

    #[test]
    fn empty_object_over_scalar_replaces_it_and_over_map_is_a_no_op() {
        let scalar = json!({"k": 1});
        let map = json!({"k": {"a": 1}});
        let empty = json!({"k": {}});
        assert_eq!(merge(&[&scalar, &empty]), empty);
        assert_eq!(merge(&[&map, &empty]), map);
    }

    #[test]
    fn merge_into_with_non_object_sides() {
        let mut base = Value::Null;
        merge_into(&mut base, &json!({"a": 1}));
        assert_eq!(base, json!({"a": 1}));
        merge_into(&mut base, &json!([1, 2]));
        assert_eq!(base, json!([1, 2]));
    }

    /// Documents why callers must not pre-merge higher layers.
    #[test]
    fn merge_is_not_associative_across_shape_changes() {
        let a = json!({"k": {"x": 1}});
        let b = json!({"k": 5});
        let c = json!({"k": {"y": 2}});
        let left = merge(&[&merge(&[&a, &b]), &c]);
        let right = merge(&[&a, &merge(&[&b, &c])]);
        assert_eq!(left, json!({"k": {"y": 2}}));
        assert_eq!(right, json!({"k": {"x": 1, "y": 2}}));
        assert_eq!(left, merge(&[&a, &b, &c]));
    }

    // ---- merge_traced ---------------------------------------------------

    #[test]
    fn origins_name_the_setting_layer_and_what_it_overrode() {
        let defaults = json!({
            "image": {"repository": "nginx", "tag": "1.0"},
            "replicas": 1,
            "args": ["a", "b"],
            "debug": true,
        });
        let env = json!({"image": {"tag": "1.1"}, "replicas": 2});
        let cluster = json!({
            "image": {"tag": "2.0"},
            "args": ["c"],
            "debug": null,
            "a/b~c": {"d": 1},
        });
        let layers = [&defaults, &env, &cluster];
        let (value, origins) = merge_traced(&layers);
        assert_eq!(value, merge(&layers));
        assert_eq!(
            origins,
            vec![
                origin("/args", 2, &[0]),
                origin("/a~1b~0c/d", 2, &[]),
                origin("/debug", 2, &[0]),
                origin("/image/repository", 0, &[]),
                origin("/image/tag", 2, &[0, 1]),
                origin("/replicas", 1, &[0]),
            ]
        );
        // A null leaf is reported and resolves to null.
        assert_eq!(value.pointer("/debug"), Some(&Value::Null));
    }

    #[test]
    fn origins_when_a_scalar_replaces_a_map() {
        let a = json!({"k": {"x": 1, "y": {"z": 2}}, "other": 0});
        let b = json!({"k": {"x": 3}});
        let c = json!({"k": "flat"});
        let (value, origins) = merge_traced(&[&a, &b, &c]);
        assert_eq!(value, json!({"k": "flat", "other": 0}));
        assert_eq!(
            origins,
            vec![origin("/k", 2, &[0, 1]), origin("/other", 0, &[])]
        );
    }

    #[test]
    fn origins_when_a_map_replaces_a_scalar() {
        let a = json!({"k": {"x": 1}});
        let b = json!({"k": 5});
        let c = json!({"k": {"y": 2, "z": {"w": null}}});
        let d = json!({"k": {"v": 0}});
        let (value, origins) = merge_traced(&[&a, &b, &c, &d]);
        assert_eq!(value, json!({"k": {"y": 2, "z": {"w": null}, "v": 0}}));
        // `y` and `z/w` displaced b's scalar (which had displaced a's map);
        // `v` was merged into c's map and displaced nothing.
        assert_eq!(
            origins,
            vec![
                origin("/k/v", 3, &[]),
                origin("/k/y", 2, &[0, 1]),
                origin("/k/z/w", 2, &[0, 1]),
            ]
        );
    }

    #[test]
    fn origins_of_lists_are_whole_and_equal_values_still_override() {
        let a = json!({"list": [1, {"deep": 2}]});
        let b = json!({"list": [1, {"deep": 2}]});
        let (_, origins) = merge_traced(&[&a, &b]);
        assert_eq!(origins, vec![origin("/list", 1, &[0])]);
    }

    #[test]
    fn origins_of_empty_objects() {
        let a = json!({"e": {}, "m": {"x": 1}, "s": 1});
        let b = json!({"e": {}, "m": {}, "s": {}});
        let (value, origins) = merge_traced(&[&a, &b]);
        assert_eq!(value, json!({"e": {}, "m": {"x": 1}, "s": {}}));
        assert_eq!(
            origins,
            vec![
                origin("/e", 1, &[0]),
                origin("/m/x", 0, &[]),
                origin("/s", 1, &[0]),
            ]
        );
        // A key merged into a layer's empty object displaces that leaf.
        let c = json!({"e": {"x": 1}});
        let (_, origins) = merge_traced(&[&a, &b, &c]);
        assert_eq!(origins[0], origin("/e/x", 2, &[0, 1]));
    }

    #[test]
    fn origins_are_sorted_by_pointer_not_by_key() {
        let a = json!({"a": {"x": 1}, "a b": 2});
        let (_, origins) = merge_traced(&[&a]);
        let pointers: Vec<_> = origins.iter().map(|o| o.pointer.as_str()).collect();
        assert_eq!(pointers, ["/a b", "/a/x"]);
    }

    #[test]
    fn origins_root_is_never_a_leaf() {
        assert_eq!(merge_traced(&[]), (json!({}), vec![]));
        assert_eq!(merge_traced(&[&json!({})]), (json!({}), vec![]));
        assert_eq!(merge_traced(&[&json!(3)]), (json!(3), vec![]));
        let (_, origins) = merge_traced(&[&json!(3), &json!({"a": 1})]);
        assert_eq!(origins, vec![origin("/a", 1, &[0])]);
    }

    // ---- conflicts ------------------------------------------------------

    #[test]
    fn conflicts_report_differing_leaves_and_shape_mismatches() {
        let a = json!({
            "same": 1,
            "diff": 1,
            "only_a": 1,
            "shape": {"x": 1},
            "nested": {"k": "a", "same": [1], "n": null, "a/b": true},
            "empty": {},
            "num": 1,
        });
        let b = json!({
            "same": 1,
            "diff": 2,
            "only_b": 2,
            "shape": "flat",
            "nested": {"k": "b", "same": [1], "n": null, "a/b": false},
            "empty": {},
            "num": 1.0,
        });
        let expected = vec!["/diff", "/nested/a~1b", "/nested/k", "/num", "/shape"];
        assert_eq!(conflicts(&a, &b), expected);
        assert_eq!(conflicts(&b, &a), expected);
        assert!(conflicts(&a, &a).is_empty());
    }

    #[test]
    fn conflicts_null_versus_value_and_empty_object_versus_scalar() {
        assert_eq!(
            conflicts(&json!({"k": null, "e": {}}), &json!({"k": 0, "e": 0})),
            vec!["/e", "/k"]
        );
    }

    #[test]
    fn conflicts_at_the_root() {
        assert_eq!(conflicts(&json!(1), &json!(2)), vec![""]);
        assert_eq!(conflicts(&json!({}), &json!(null)), vec![""]);
        assert!(conflicts(&json!({}), &json!({"a": 1})).is_empty());
    }

    // ---- expand ---------------------------------------------------------

    #[test]
    fn expand_replaces_expressions_in_values_and_items_not_keys() {
        let mut doc = json!({
            "${ region }": "host-${ cluster.name }.example",
            "list": ["${region}", 1, null, {"deep": "${  cluster.name  }"}],
        });
        expand_with_lookup(&mut doc).unwrap();
        assert_eq!(
            doc,
            json!({
                "${ region }": "host-prod-eu-1.example",
                "list": ["eu-west-1", 1, null, {"deep": "prod-eu-1"}],
            })
        );
    }

    #[test]
    fn expand_multiple_expressions_in_one_string() {
        let mut doc = json!("${cluster.name}/${ region }:${empty}!${region}");
        expand_with_lookup(&mut doc).unwrap();
        assert_eq!(doc, json!("prod-eu-1/eu-west-1:!eu-west-1"));
    }

    #[test]
    fn expand_escapes_and_passthrough() {
        let mut doc = json!({
            "escaped": "$${ region } costs $5",
            "mixed": "$${region}=${region}",
            "triple": "$$${region}",
            "dollars": "$$ and $ and ${region}$",
            "helm": "{{ .Values.x }} and {{- include \"a\" . }}",
            "trailing": "cost: $",
            "brace": "}{",
        });
        expand_with_lookup(&mut doc).unwrap();
        assert_eq!(
            doc,
            json!({
                "escaped": "${ region } costs $5",
                "mixed": "${region}=eu-west-1",
                "triple": "$${region}",
                "dollars": "$$ and $ and eu-west-1$",
                "helm": "{{ .Values.x }} and {{- include \"a\" . }}",
                "trailing": "cost: $",
                "brace": "}{",
            })
        );
    }

    #[test]
    fn expand_finds_the_end_past_nested_braces_and_quotes() {
        let mut seen = Vec::new();
        let mut eval = |expr: &str| -> Result<String, String> {
            seen.push(expr.to_owned());
            Ok("X".to_owned())
        };
        let mut doc = json!([
            "${ {\"a\": 1}[\"a\"] }",
            "<${ '}' }>",
            "<${ \"a\\\"}\" }>",
            "<${ 'it\\'s }' }>",
            "<${ f(x, [1, {2}]) }>",
            "<${ a) }>",
            "é${ 'ü}' }ö",
        ]);
        expand(&mut doc, &mut eval).unwrap();
        assert_eq!(
            seen,
            [
                "{\"a\": 1}[\"a\"]",
                "'}'",
                "\"a\\\"}\"",
                "'it\\'s }'",
                "f(x, [1, {2}])",
                "a)",
                "'ü}'",
            ]
        );
        assert_eq!(doc, json!(["X", "<X>", "<X>", "<X>", "<X>", "<X>", "éXö"]));
    }

    #[test]
    fn expand_reports_unterminated_and_empty_expressions() {
        let mut doc = json!({
            "a": "${ region",
            "b": "${ }",
            "c": "${}",
            "d": "${ 'open }",
            "e": "${ {region }",
            "f": "fine ${region}",
        });
        let errors = expand_with_lookup(&mut doc).unwrap_err();
        let pointers: Vec<_> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/a", "/b", "/c", "/d", "/e"]);
        assert!(errors[0].message.contains("unterminated"), "{errors:?}");
        assert!(errors[1].message.contains("empty"), "{errors:?}");
        assert!(errors[2].message.contains("empty"), "{errors:?}");
        assert!(errors[3].message.contains("unterminated"), "{errors:?}");
        assert!(errors[4].message.contains("unterminated"), "{errors:?}");
        // Offending strings are left as they were; the others are expanded.
        assert_eq!(doc["a"], json!("${ region"));
        assert_eq!(doc["f"], json!("fine eu-west-1"));
    }

    #[test]
    fn expand_reports_one_error_per_string_with_escaped_pointers() {
        let mut doc = json!({
            "a/b": {"c~d": ["ok ${region}", "${ nope } ${ also_nope }"]},
            "list": [{"x": "${ missing }"}],
            "z": "${region}",
        });
        let errors = expand_with_lookup(&mut doc).unwrap_err();
        assert_eq!(
            errors,
            vec![
                ExpandError {
                    pointer: "/a~1b/c~0d/1".to_owned(),
                    message: "`${ nope }`: unknown name \"nope\"".to_owned(),
                },
                ExpandError {
                    pointer: "/list/0/x".to_owned(),
                    message: "`${ missing }`: unknown name \"missing\"".to_owned(),
                },
            ]
        );
        assert_eq!(doc["a/b"]["c~d"][0], json!("ok eu-west-1"));
        assert_eq!(doc["z"], json!("eu-west-1"));
    }

    #[test]
    fn expand_error_at_the_root_has_an_empty_pointer() {
        let mut doc = json!("${");
        let errors = expand_with_lookup(&mut doc).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].pointer, "");
    }

    #[test]
    fn expand_does_not_call_eval_without_expressions() {
        let mut calls = 0;
        let mut eval = |_: &str| -> Result<String, String> {
            calls += 1;
            Ok(String::new())
        };
        let mut doc = json!({"a": "$${x}", "b": "{{ .Values.x }}", "c": "$", "d": ["$$"]});
        expand(&mut doc, &mut eval).unwrap();
        assert_eq!(calls, 0);
        assert_eq!(doc["a"], json!("${x}"));
    }

    #[test]
    fn expand_output_is_not_rescanned() {
        let mut eval = |_: &str| -> Result<String, String> { Ok("${ again }".to_owned()) };
        let mut doc = json!("${ x }");
        expand(&mut doc, &mut eval).unwrap();
        assert_eq!(doc, json!("${ again }"));
    }

    #[test]
    fn escape_pointer_segment_borrows_unless_needed() {
        assert!(matches!(
            escape_pointer_segment("plain"),
            Cow::Borrowed("plain")
        ));
        assert_eq!(escape_pointer_segment("a/b~c"), "a~1b~0c");
        assert_eq!(escape_pointer_segment("~1"), "~01");
        assert_eq!(escape_pointer_segment(""), "");
    }

    // ---- properties -----------------------------------------------------

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        fn leaf() -> impl Strategy<Value = Value> {
            prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                (-3i64..3).prop_map(Value::from),
                prop::sample::select(vec!["", "x", "${a}"]).prop_map(Value::from),
            ]
        }

        /// Arbitrary values over a small key space, so that layers collide.
        fn value() -> impl Strategy<Value = Value> {
            leaf().prop_recursive(4, 32, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                    prop::collection::btree_map(
                        prop::sample::select(vec!["a", "b", "c", "a/b", "~"])
                            .prop_map(String::from),
                        inner,
                        0..4,
                    )
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        fn object() -> impl Strategy<Value = Value> {
            prop::collection::btree_map(
                prop::sample::select(vec!["a", "b", "c", "a/b", "~"]).prop_map(String::from),
                value(),
                0..4,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect()))
        }

        /// Objects whose keys fix the shape: `m`, `n~/` always hold maps,
        /// `s`, `t/` never do. Every path has one shape in every layer.
        fn shaped() -> impl Strategy<Value = Value> {
            let scalars = prop::collection::btree_map(
                prop::sample::select(vec!["s", "t/"]).prop_map(String::from),
                prop_oneof![
                    leaf(),
                    prop::collection::vec(leaf(), 0..2).prop_map(Value::Array)
                ],
                0..3,
            );
            let base = scalars
                .clone()
                .prop_map(|m| Value::Object(m.into_iter().collect()));
            base.prop_recursive(3, 24, 2, move |inner| {
                (
                    scalars.clone(),
                    prop::collection::btree_map(
                        prop::sample::select(vec!["m", "n~/"]).prop_map(String::from),
                        inner,
                        0..3,
                    ),
                )
                    .prop_map(|(mut s, m)| {
                        s.extend(m);
                        Value::Object(s.into_iter().collect())
                    })
            })
        }

        /// Every leaf pointer of `value` (the root excluded), as merge_traced defines leaves.
        fn leaves(value: &Value, pointer: &mut String, out: &mut Vec<String>) {
            match value {
                Value::Object(map) if !map.is_empty() => {
                    for (key, child) in map {
                        let len = pointer.len();
                        pointer.push('/');
                        pointer.push_str(&escape_pointer_segment(key));
                        leaves(child, pointer, out);
                        pointer.truncate(len);
                    }
                }
                _ if !pointer.is_empty() => out.push(pointer.clone()),
                _ => {}
            }
        }

        proptest! {
            #[test]
            fn associative_when_shapes_agree(a in shaped(), b in shaped(), c in shaped()) {
                let left = merge(&[&merge(&[&a, &b]), &c]);
                let right = merge(&[&a, &merge(&[&b, &c])]);
                prop_assert_eq!(&left, &right);
                prop_assert_eq!(&left, &merge(&[&a, &b, &c]));
            }

            #[test]
            fn fold_of_prefix_is_the_fold(a in value(), b in value(), c in value()) {
                prop_assert_eq!(merge(&[&merge(&[&a, &b]), &c]), merge(&[&a, &b, &c]));
                let mut in_place = a.clone();
                merge_into(&mut in_place, &b);
                merge_into(&mut in_place, &c);
                prop_assert_eq!(in_place, merge(&[&a, &b, &c]));
            }

            #[test]
            fn empty_object_is_an_identity(a in object()) {
                let empty = Value::Object(Map::new());
                prop_assert_eq!(&merge(&[&empty, &a]), &a);
                prop_assert_eq!(&merge(&[&a, &empty]), &a);
                prop_assert_eq!(&merge(&[&a]), &a);
            }

            #[test]
            fn idempotent(a in value()) {
                prop_assert_eq!(merge(&[&a, &a]), a);
            }

            #[test]
            fn traced_matches_merge_and_its_leaves(
                layers in prop::collection::vec(prop_oneof![4 => object(), 1 => value()], 0..5),
            ) {
                let refs: Vec<&Value> = layers.iter().collect();
                let (value, origins) = merge_traced(&refs);
                prop_assert_eq!(&value, &merge(&refs));
                let mut expected = Vec::new();
                if value.is_object() {
                    leaves(&value, &mut String::new(), &mut expected);
                }
                expected.sort();
                let pointers: Vec<String> = origins.iter().map(|o| o.pointer.clone()).collect();
                prop_assert_eq!(pointers, expected);
                for o in &origins {
                    let leaf = value.pointer(&o.pointer);
                    prop_assert!(leaf.is_some(), "{} does not resolve", o.pointer);
                    // The reported layer holds exactly the final value there.
                    prop_assert_eq!(refs[o.layer].pointer(&o.pointer), leaf);
                    prop_assert!(o.overridden.windows(2).all(|w| w[0] < w[1]));
                    prop_assert!(o.overridden.iter().all(|&l| l < o.layer));
                }
            }

            #[test]
            fn conflicts_mean_order_matters(a in value(), b in value()) {
                let found = conflicts(&a, &b);
                prop_assert_eq!(found.is_empty(), merge(&[&a, &b]) == merge(&[&b, &a]));
                prop_assert_eq!(&found, &conflicts(&b, &a));
                prop_assert!(found.windows(2).all(|w| w[0] < w[1]));
                prop_assert!(conflicts(&a, &a).is_empty());
            }

            #[test]
            fn expand_never_panics_and_leaves_plain_strings(s in "[${}'\"\\\\a ]{0,12}") {
                let mut doc = Value::String(s.clone());
                let mut eval = |e: &str| -> Result<String, String> {
                    if e.contains('!') { Err("no".to_owned()) } else { Ok(e.len().to_string()) }
                };
                let result = expand(&mut doc, &mut eval);
                if !s.contains("${") {
                    prop_assert!(result.is_ok());
                    prop_assert_eq!(doc, Value::String(s));
                } else if result.is_err() {
                    prop_assert_eq!(doc, Value::String(s));
                }
            }
        }
    }
}
