//! Conformance: fleetc's label selectors and label/name validation against the
//! cases recorded from k8s.io/apimachinery's own test tables
//! (`../shared/conformance/labels/`, see its README).
//!
//! Every array of both files is visited. Cases that exercise something fleetc
//! does not do (for example `ConvertSelectorToLabelsMap`) are counted as
//! skipped, with the reason printed. Each test collects every failing case and
//! fails once at the end, listing them all; run with `--nocapture` to see the
//! `labels conformance: ...` tallies.

use std::collections::BTreeMap;

use fleetc::k8s;
use fleetc::selector::{LabelSelector, Labels, Operator, Requirement, Selector};
use serde_json::Value;

const SELECTOR_FILE: &str = "labels/selector_cases.json";
const VALIDATION_FILE: &str = "labels/validation_cases.json";

/// Counts and failures for one array of cases.
struct Tally {
    label: String,
    ran: usize,
    passed: usize,
    skipped: usize,
    skip_reasons: BTreeMap<String, usize>,
    notes: Vec<String>,
    failures: Vec<String>,
}

impl Tally {
    fn new(file: &str, array: &str) -> Self {
        Tally {
            label: format!("{file} {array}"),
            ran: 0,
            passed: 0,
            skipped: 0,
            skip_reasons: BTreeMap::new(),
            notes: Vec::new(),
            failures: Vec::new(),
        }
    }

    /// Records a case that ran: `Ok` passed, `Err` says what went wrong.
    fn record(&mut self, index: usize, case: &Value, outcome: Result<(), String>) {
        self.ran += 1;
        match outcome {
            Ok(()) => self.passed += 1,
            Err(why) => self
                .failures
                .push(format!("  [{index}] {}: {why}", compact(case))),
        }
    }

    fn skip(&mut self, reason: &str) {
        self.skipped += 1;
        *self.skip_reasons.entry(reason.to_string()).or_default() += 1;
    }

    /// A remark printed under the tally line.
    fn note(&mut self, note: String) {
        self.notes.push(note);
    }

    /// Prints the tally line (with skip reasons and notes) in one write, so
    /// that tests running in parallel do not interleave, then fails listing
    /// every failing case, if any.
    fn finish(self) {
        let mut report = format!(
            "labels conformance: {} cases ran, {} passed, {} skipped [{}]",
            self.ran, self.passed, self.skipped, self.label
        );
        for (reason, n) in &self.skip_reasons {
            report.push_str(&format!("\n  skipped {n}: {reason}"));
        }
        for note in &self.notes {
            report.push_str(&format!("\n  note: {note}"));
        }
        println!("{report}");
        assert!(
            self.failures.is_empty(),
            "{} of {} cases failed in {}:\n{}",
            self.failures.len(),
            self.ran,
            self.label,
            self.failures.join("\n")
        );
    }
}

/// A case as one line, without its `source` (long strings shortened).
fn compact(case: &Value) -> String {
    let mut case = case.clone();
    if let Some(obj) = case.as_object_mut() {
        obj.remove("source");
    }
    let text = case.to_string();
    if text.chars().count() > 300 {
        let head: String = text.chars().take(300).collect();
        format!("{head}…")
    } else {
        text
    }
}

/// The cases of one array, or a failure when the array is missing.
fn cases<'a>(doc: &'a Value, array: &str, tally: &mut Tally) -> &'a [Value] {
    match doc.get(array).and_then(Value::as_array) {
        Some(cases) => cases,
        None => {
            tally
                .failures
                .push(format!("  array `{array}` is missing from the data"));
            &[]
        }
    }
}

// ---- reading case fields ---------------------------------------------------

fn field<'a>(case: &'a Value, name: &str) -> Result<&'a Value, String> {
    case.get(name)
        .ok_or_else(|| format!("case has no `{name}`"))
}

fn str_field<'a>(case: &'a Value, name: &str) -> Result<&'a str, String> {
    field(case, name)?
        .as_str()
        .ok_or_else(|| format!("`{name}` is not a string"))
}

fn bool_field(case: &Value, name: &str) -> Result<bool, String> {
    field(case, name)?
        .as_bool()
        .ok_or_else(|| format!("`{name}` is not a boolean"))
}

fn labels_of(v: &Value) -> Result<Labels, String> {
    serde_json::from_value(v.clone()).map_err(|e| format!("bad label map {v}: {e}"))
}

fn strings_of(v: &Value) -> Result<Vec<String>, String> {
    serde_json::from_value(v.clone()).map_err(|e| format!("bad string list {v}: {e}"))
}

/// `k8s.io/apimachinery/pkg/selection` operator names; `None` for anything
/// else (the zero value `""`, `"unsupportedOp"`), which no fleetc
/// [`Operator`] can represent.
fn operator_of(name: &str) -> Option<Operator> {
    Some(match name {
        "=" => Operator::Equals,
        "==" => Operator::DoubleEquals,
        "!=" => Operator::NotEquals,
        "in" => Operator::In,
        "notin" => Operator::NotIn,
        "exists" => Operator::Exists,
        "!" => Operator::DoesNotExist,
        "gt" => Operator::GreaterThan,
        "lt" => Operator::LessThan,
        _ => return None,
    })
}

/// A requirement as the data states it.
#[derive(Debug, PartialEq)]
struct ExpectedRequirement {
    key: String,
    operator: String,
    values: Vec<String>,
}

fn expected_requirements(v: &Value) -> Result<Vec<ExpectedRequirement>, String> {
    let list = v
        .as_array()
        .ok_or_else(|| format!("`requirements` is not a list: {v}"))?;
    list.iter()
        .map(|r| {
            Ok(ExpectedRequirement {
                key: str_field(r, "key")?.to_string(),
                operator: str_field(r, "operator")?.to_string(),
                values: strings_of(field(r, "values")?)?,
            })
        })
        .collect()
}

/// Compares parsed requirements with the expected ones (in order).
fn same_requirements(got: &[Requirement], want: &[ExpectedRequirement]) -> Result<(), String> {
    let got_desc: Vec<String> = got
        .iter()
        .map(|r| format!("{} {:?} {:?}", r.key(), r.operator(), r.values()))
        .collect();
    let mismatch = || format!("requirements {got_desc:?}, want {want:?}");
    if got.len() != want.len() {
        return Err(mismatch());
    }
    for (g, w) in got.iter().zip(want) {
        let op = operator_of(&w.operator).ok_or_else(|| format!("unknown operator {w:?}"))?;
        if g.key() != w.key || g.operator() != op || g.values() != w.values.as_slice() {
            return Err(mismatch());
        }
    }
    Ok(())
}

/// The metav1 `LabelSelector` of a structured case, `None` for
/// `"labelSelector": null`.
fn label_selector_of(case: &Value) -> Result<Option<LabelSelector>, String> {
    if case.get("labelSelector").is_some_and(Value::is_null) {
        return Ok(None);
    }
    let mut obj = serde_json::Map::new();
    for name in ["matchLabels", "matchExpressions"] {
        if let Some(v) = case.get(name) {
            obj.insert(name.to_string(), v.clone());
        }
    }
    serde_json::from_value(Value::Object(obj))
        .map(Some)
        .map_err(|e| format!("LabelSelector does not deserialize: {e}"))
}

/// `LabelSelectorAsSelector`, with a null selector meaning "nothing".
fn selector_of(ls: &Option<LabelSelector>) -> Result<Selector, String> {
    match ls {
        None => Ok(Selector::nothing()),
        Some(ls) => Selector::from_label_selector(ls).map_err(|e| e.message),
    }
}

fn expect_eq<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}

/// When a case carries a `value_note` / `key_note` like "length 63: ...",
/// checks that the stored string really has that length.
fn check_length_note(case: &Value, note: &str, stored: &str) -> Result<(), String> {
    let Some(text) = case.get(note).and_then(Value::as_str) else {
        return Ok(());
    };
    let Some(n) = text
        .strip_prefix("length ")
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.trim().parse::<usize>().ok())
    else {
        return Ok(());
    };
    expect_eq(&format!("length per `{note}`"), stored.len(), n)
}

// ---- selector_cases.json ---------------------------------------------------

fn selector_doc() -> Option<Value> {
    crate::support::conformance_json(SELECTOR_FILE)
}

fn validation_doc() -> Option<Value> {
    crate::support::conformance_json(VALIDATION_FILE)
}

#[test]
fn match_cases() {
    let Some(doc) = selector_doc() else { return };
    let mut t = Tally::new(SELECTOR_FILE, "match_cases");
    for (i, case) in cases(&doc, "match_cases", &mut t).iter().enumerate() {
        let outcome = (|| {
            let text = str_field(case, "selector")?;
            let labels = labels_of(field(case, "labels")?)?;
            let want = bool_field(case, "match")?;
            let sel = Selector::parse(text).map_err(|e| format!("parse failed: {e}"))?;
            expect_eq("matches", sel.matches(&labels), want)?;
            if let Some(reqs) = case.get("requirements") {
                same_requirements(sel.requirements(), &expected_requirements(reqs)?)?;
            }
            Ok(())
        })();
        t.record(i, case, outcome);
    }
    t.finish();
}

#[test]
fn parse_cases() {
    let Some(doc) = selector_doc() else { return };
    let mut t = Tally::new(SELECTOR_FILE, "parse_cases");
    let mut strict_refused = 0;
    for (i, case) in cases(&doc, "parse_cases", &mut t).iter().enumerate() {
        let outcome = (|| {
            let text = str_field(case, "selector")?;
            let valid = bool_field(case, "valid")?;
            let parsed = Selector::parse(text);
            let sel = match (parsed, valid) {
                (Ok(sel), true) => sel,
                (Err(_), false) => return Ok(()),
                (Ok(sel), false) => return Err(format!("parsed as `{sel}`, want an error")),
                (Err(e), true) => return Err(format!("parse failed: {e}")),
            };
            if let Some(want) = case.get("string") {
                let want = want.as_str().ok_or("`string` is not a string")?;
                expect_eq("String()", sel.to_string().as_str(), want)?;
            }
            if let Some(reqs) = case.get("requirements") {
                same_requirements(sel.requirements(), &expected_requirements(reqs)?)?;
            }
            // The canonical form parses back to the same selector.
            let again = Selector::parse(&sel.to_string()).map_err(|e| e.message);
            expect_eq("re-parse of String()", again, Ok(sel.clone()))?;
            // What inventories use agrees, but for an empty value list.
            strict_agrees(text, &sel, &mut strict_refused)
        })();
        t.record(i, case, outcome);
    }
    t.note(format!(
        "{strict_refused} valid case(s) with an empty value list `()` are refused by \
         `Selector::parse_strict`, fleetc's deliberate deviation (see its doc)"
    ));
    assert!(
        strict_refused > 0,
        "the data has `x in ()` cases; none was refused"
    );
    t.finish();
}

/// Whether `text` has an empty value list: `(` and `)` with only
/// whitespace between.
fn has_empty_list(text: &str) -> bool {
    text.split('(').skip(1).any(|rest| {
        rest.trim_start_matches([' ', '\t', '\r', '\n'])
            .starts_with(')')
    })
}

/// `Selector::parse_strict` gives `sel` (what Kubernetes parses) for
/// `text`, unless `text` has an empty value list, which it refuses.
fn strict_agrees(text: &str, sel: &Selector, refused: &mut usize) -> Result<(), String> {
    match (Selector::parse_strict(text), has_empty_list(text)) {
        (Ok(s), false) => expect_eq("parse_strict", &s, sel),
        (Err(e), true) if e.message.contains("empty value list") => {
            *refused += 1;
            Ok(())
        }
        (Ok(s), true) => Err(format!("parse_strict accepted `{s}`, which has `()`")),
        (Err(e), _) => Err(format!("parse_strict: {}", e.message)),
    }
}

/// Kubernetes refuses an empty set for `In` and `NotIn` when it is given
/// as a list (`NewRequirement`: "for 'in', 'notin' operators, values set
/// can't be empty", k8s.io/apimachinery pkg/labels/selector.go); in the
/// string form it reads `()` as the empty value, which fleetc refuses too
/// (`Selector::parse_strict`). Every form an inventory or the command
/// line can write, refused.
#[test]
fn empty_value_sets_are_refused_in_every_form() {
    for text in [
        "environment notin ()",
        "environment in ()",
        "environment in ( )",
        "region=east,environment notin (\t)",
    ] {
        let e = Selector::parse_strict(text).expect_err(text);
        assert!(
            e.message.contains("empty value list"),
            "{text}: {}",
            e.message
        );
        // Kubernetes' own parser accepts it (the empty value).
        assert!(Selector::parse(text).is_ok(), "{text}");
    }
    // The empty value written out is still a value.
    for text in [
        "environment in (,)",
        "environment=",
        "environment!=",
        "a in (x,)",
    ] {
        assert!(Selector::parse_strict(text).is_ok(), "{text}");
    }
    for op in [Operator::In, Operator::NotIn] {
        let e = Requirement::new("environment", op, Vec::new()).expect_err("empty set");
        assert!(e.message.contains("must not be empty"), "{}", e.message);
    }
    let ls: LabelSelector = serde_json::from_value(serde_json::json!({
        "matchExpressions": [{"key": "environment", "operator": "NotIn", "values": []}]
    }))
    .unwrap();
    assert!(Selector::from_label_selector(&ls).is_err());
}

/// `structured_cases` and `derived_structured_match_cases`.
fn structured(array: &str) {
    let Some(doc) = selector_doc() else { return };
    let mut t = Tally::new(SELECTOR_FILE, array);
    for (i, case) in cases(&doc, array, &mut t).iter().enumerate() {
        let outcome = (|| {
            let ls = label_selector_of(case)?;
            let result = selector_of(&ls);
            if let Some(valid) = case.get("valid") {
                let valid = valid.as_bool().ok_or("`valid` is not a boolean")?;
                expect_eq("valid", result.is_ok(), valid)?;
            }
            // A plain matchLabels selector is also `ValidatedSelectorFromSet`:
            // both routes must agree.
            if let Some(ls) = &ls {
                if ls.match_expressions.is_empty() {
                    let from_set = Selector::from_set(&ls.match_labels).map_err(|e| e.message);
                    expect_eq("validity via from_set", from_set.is_ok(), result.is_ok())?;
                    if let (Ok(a), Ok(b)) = (&from_set, &result) {
                        expect_eq("from_set selector", a, b)?;
                    }
                }
            }
            let sel = match result {
                Ok(sel) => sel,
                // Invalid as the case expects: nothing more to compare.
                Err(_) if case.get("valid").is_some() => return Ok(()),
                Err(e) => return Err(format!("conversion failed: {e}")),
            };
            if let Some(labels) = case.get("labels") {
                let labels = labels_of(labels)?;
                let want = bool_field(case, "match")?;
                expect_eq("matches", sel.matches(&labels), want)?;
            }
            if let Some(eq) = case.get("equivalent") {
                let eq = eq.as_str().ok_or("`equivalent` is not a string")?;
                if eq == "nothing" {
                    expect_eq("is_nothing", sel.is_nothing(), true)?;
                } else {
                    expect_eq("String()", sel.to_string().as_str(), eq)?;
                    let parsed = Selector::parse(eq).map_err(|e| e.message);
                    expect_eq("parse(equivalent)", parsed, Ok(sel.clone()))?;
                    expect_eq("is_everything", sel.is_everything(), eq.is_empty())?;
                }
            }
            Ok(())
        })();
        t.record(i, case, outcome);
    }
    t.finish();
}

#[test]
fn structured_cases() {
    structured("structured_cases");
}

#[test]
fn derived_structured_match_cases() {
    structured("derived_structured_match_cases");
}

#[test]
fn label_selector_as_map_cases() {
    let Some(doc) = selector_doc() else { return };
    let mut t = Tally::new(SELECTOR_FILE, "label_selector_as_map_cases");
    for _ in cases(&doc, "label_selector_as_map_cases", &mut t) {
        t.skip(
            "LabelSelectorAsMap (down-converting a LabelSelector to a plain k=v map) is not \
             something fleetc does",
        );
    }
    t.finish();
}

#[test]
fn requirement_cases() {
    let Some(doc) = selector_doc() else { return };
    let mut t = Tally::new(SELECTOR_FILE, "requirement_cases");
    let doc_cases = cases(&doc, "requirement_cases", &mut t);
    for (i, case) in doc_cases.iter().enumerate() {
        let kind = case.get("kind").and_then(Value::as_str).unwrap_or("");
        match kind {
            "match" => {
                let outcome = zero_value_requirement_never_matches(case);
                if outcome.is_ok() {
                    t.note(format!(
                        "[{i}] zero-value Requirement: unconstructable in fleetc \
                         (Requirement::new rejects key \"\" for every operator, and operator \"\" \
                         has no Operator), so no selector can hold one and it matches nothing"
                    ));
                }
                t.record(i, case, outcome);
            }
            "to_string" => {
                let has_zero_value = case
                    .get("requirements")
                    .and_then(Value::as_array)
                    .is_some_and(|rs| {
                        rs.iter()
                            .any(|r| r.get("operator").and_then(Value::as_str) == Some(""))
                    });
                if has_zero_value {
                    t.skip(
                        "to_string with the zero-value Requirement (prints as \"\", leaving a \
                         trailing ','): fleetc cannot construct that requirement",
                    );
                    continue;
                }
                t.record(i, case, requirement_to_string(case));
            }
            "construct" => {
                let outcome = requirement_construct(case);
                if outcome.is_ok()
                    && case
                        .get("operator")
                        .and_then(Value::as_str)
                        .is_some_and(|op| operator_of(op).is_none())
                {
                    t.note(format!(
                        "[{i}] operator {} has no fleetc Operator: rejected by the type system",
                        case.get("operator")
                            .map(Value::to_string)
                            .unwrap_or_default()
                    ));
                }
                t.record(i, case, outcome);
            }
            other => t.record(i, case, Err(format!("unknown kind {other:?}"))),
        }
    }
    t.finish();
}

fn zero_value_requirement_never_matches(case: &Value) -> Result<(), String> {
    let reqs = expected_requirements(field(case, "requirements")?)?;
    expect_eq("match", bool_field(case, "match")?, false)?;
    for r in &reqs {
        if r.key.is_empty() && r.operator.is_empty() && r.values.is_empty() {
            if operator_of(&r.operator).is_some() {
                return Err("operator \"\" unexpectedly maps to an Operator".to_string());
            }
            let all = [
                Operator::Equals,
                Operator::DoubleEquals,
                Operator::NotEquals,
                Operator::In,
                Operator::NotIn,
                Operator::Exists,
                Operator::DoesNotExist,
                Operator::GreaterThan,
                Operator::LessThan,
            ];
            for op in all {
                for values in [vec![], vec![String::new()]] {
                    if let Ok(r) = Requirement::new("", op, values) {
                        return Err(format!("Requirement::new accepted an empty key: {r:?}"));
                    }
                }
            }
        } else {
            return Err(format!(
                "expected only the zero-value requirement, got {r:?}"
            ));
        }
    }
    Ok(())
}

fn requirement_to_string(case: &Value) -> Result<(), String> {
    let want = str_field(case, "string")?;
    let mut reqs = Vec::new();
    for r in expected_requirements(field(case, "requirements")?)? {
        let op = operator_of(&r.operator).ok_or_else(|| format!("unknown operator {r:?}"))?;
        reqs.push(Requirement::new(&r.key, op, r.values).map_err(|e| e.message)?);
    }
    // Built in the table's order, as upstream builds an internalSelector.
    let sel = Selector::Requirements(reqs);
    expect_eq("String()", sel.to_string().as_str(), want)?;
    let parsed = Selector::parse(want).map_err(|e| e.message);
    expect_eq("parse(string)", parsed, Ok(sel))
}

fn requirement_construct(case: &Value) -> Result<(), String> {
    let key = str_field(case, "key")?;
    let op_name = str_field(case, "operator")?;
    let values = strings_of(field(case, "values")?)?;
    let valid = bool_field(case, "valid")?;
    let Some(op) = operator_of(op_name) else {
        // Unrepresentable operator: invalid by construction.
        return expect_eq("valid", false, valid);
    };
    match (Requirement::new(key, op, values), valid) {
        (Ok(_), true) => Ok(()),
        (Ok(r), false) => Err(format!("accepted {r:?}, want an error")),
        (Err(e), true) => Err(format!("rejected: {e}")),
        (Err(e), false) => {
            // The upstream error names the field; fleetc's message must say
            // the same thing in words.
            let fields = case
                .get("error_fields")
                .map(strings_of)
                .transpose()?
                .unwrap_or_default();
            for f in fields {
                let needle = if f == "key" {
                    "invalid label key"
                } else if f == "values" {
                    "value"
                } else if f.starts_with("values[") && f.matches('[').count() == 2 {
                    // values[i][key]: a label value problem
                    "invalid label value"
                } else if f.starts_with("values[") {
                    // values[i]: the Gt/Lt integer rule
                    "must be an integer"
                } else {
                    return Err(format!("unexpected error field {f:?}"));
                };
                if !e.message.contains(needle) {
                    return Err(format!(
                        "error for field {f:?} should mention {needle:?}: {}",
                        e.message
                    ));
                }
            }
            Ok(())
        }
    }
}

#[test]
fn string_cases() {
    let Some(doc) = selector_doc() else { return };
    let mut t = Tally::new(SELECTOR_FILE, "string_cases");
    for (i, case) in cases(&doc, "string_cases", &mut t).iter().enumerate() {
        let outcome = (|| {
            let set = labels_of(field(case, "set")?)?;
            let want = str_field(case, "string")?;
            let sel = Selector::from_set(&set).map_err(|e| e.message)?;
            expect_eq("String()", sel.to_string().as_str(), want)
        })();
        t.record(i, case, outcome);
    }
    t.finish();
}

#[test]
fn convert_selector_to_labels_map_cases() {
    let Some(doc) = selector_doc() else { return };
    let mut t = Tally::new(SELECTOR_FILE, "convert_selector_to_labels_map_cases");
    for _ in cases(&doc, "convert_selector_to_labels_map_cases", &mut t) {
        t.skip(
            "ConvertSelectorToLabelsMap (a k=v-only selector dialect) is not something fleetc \
             does; Selector::parse follows labels.Parse instead",
        );
    }
    t.finish();
}

#[test]
fn label_set_cases() {
    let Some(doc) = selector_doc() else { return };
    let mut t = Tally::new(SELECTOR_FILE, "label_set_cases");
    for (i, case) in cases(&doc, "label_set_cases", &mut t).iter().enumerate() {
        match case.get("op").and_then(Value::as_str).unwrap_or("") {
            // Set.String() is what a selector built from the set prints.
            "string" => {
                let outcome = (|| {
                    let labels = labels_of(field(case, "labels")?)?;
                    let want = str_field(case, "result")?;
                    let sel = Selector::from_set(&labels).map_err(|e| e.message)?;
                    expect_eq("String()", sel.to_string().as_str(), want)
                })();
                t.record(i, case, outcome);
            }
            // Set.Has(key) is what an `exists` requirement tests.
            "has" => {
                let outcome = (|| {
                    let labels = labels_of(field(case, "labels")?)?;
                    let key = str_field(case, "key")?;
                    let want = bool_field(case, "result")?;
                    let r = Requirement::new(key, Operator::Exists, vec![]).map_err(|e| e.message)?;
                    expect_eq("exists requirement", r.matches(&labels), want)?;
                    let sel = Selector::parse(key).map_err(|e| e.message)?;
                    expect_eq("parsed `key` selector", sel.matches(&labels), want)
                })();
                t.record(i, case, outcome);
            }
            "conflicts" | "merge" => t.skip(
                "label-set Conflicts/Merge helpers are not part of the selector API (fleetc merges \
                 label maps elsewhere)",
            ),
            other => t.record(i, case, Err(format!("unknown op {other:?}"))),
        }
    }
    t.finish();
}

// ---- validation_cases.json -------------------------------------------------

/// `label_key_cases`, `label_value_cases`, `dns1123_*_cases`: `{value, valid}`.
fn string_validation(
    array: &str,
    check: fn(&str) -> Result<(), String>,
    extra: Option<CrossCheck>,
) {
    let Some(doc) = validation_doc() else { return };
    let mut t = Tally::new(VALIDATION_FILE, array);
    for (i, case) in cases(&doc, array, &mut t).iter().enumerate() {
        let outcome = (|| {
            let value = str_field(case, "value")?;
            let valid = bool_field(case, "valid")?;
            check_length_note(case, "value_note", value)?;
            match (check(value), valid) {
                (Ok(()), true) | (Err(_), false) => {}
                (Ok(()), false) => return Err("accepted, want an error".to_string()),
                (Err(e), true) => return Err(format!("rejected: {e}")),
            }
            if let Some(extra) = extra {
                expect_eq(extra.what, (extra.check)(value), valid)?;
            }
            Ok(())
        })();
        t.record(i, case, outcome);
    }
    t.finish();
}

/// The same rule seen through the selector API.
#[derive(Clone, Copy)]
struct CrossCheck {
    what: &'static str,
    check: fn(&str) -> bool,
}

#[test]
fn label_key_cases() {
    string_validation(
        "label_key_cases",
        k8s::label_key,
        Some(CrossCheck {
            what: "Requirement::new(key, Exists) validity",
            check: |key| Requirement::new(key, Operator::Exists, vec![]).is_ok(),
        }),
    );
}

#[test]
fn label_value_cases() {
    string_validation(
        "label_value_cases",
        k8s::label_value,
        Some(CrossCheck {
            what: "Requirement::new(\"k\", Equals, [value]) validity",
            check: |value| Requirement::new("k", Operator::Equals, vec![value.to_string()]).is_ok(),
        }),
    );
}

#[test]
fn dns1123_label_cases() {
    string_validation("dns1123_label_cases", k8s::dns1123_label, None);
}

#[test]
fn dns1123_subdomain_cases() {
    string_validation("dns1123_subdomain_cases", k8s::dns1123_subdomain, None);
}

#[test]
fn label_map_cases() {
    let Some(doc) = validation_doc() else { return };
    let mut t = Tally::new(VALIDATION_FILE, "label_map_cases");
    for (i, case) in cases(&doc, "label_map_cases", &mut t).iter().enumerate() {
        let outcome = (|| {
            let labels = labels_of(field(case, "labels")?)?;
            let valid = bool_field(case, "valid")?;
            for (key, value) in &labels {
                check_length_note(case, "key_note", key)?;
                check_length_note(case, "value_note", value)?;
            }
            let errors = k8s::label_map(&labels);
            expect_eq("valid", errors.is_empty(), valid)?;
            if let Some(needle) = case.get("error_contains") {
                let needle = needle.as_str().ok_or("`error_contains` is not a string")?;
                if !errors.iter().any(|e| e.contains(needle)) {
                    return Err(format!("no error contains {needle:?}: {errors:?}"));
                }
            }
            // ValidatedSelectorFromSet applies the same rules.
            let from_set = Selector::from_set(&labels);
            expect_eq("from_set validity", from_set.is_ok(), valid)?;
            if let (Err(e), Some(needle)) = (from_set, case.get("error_contains")) {
                let needle = needle.as_str().unwrap_or_default();
                if !e.message.contains(needle) {
                    return Err(format!("from_set error lacks {needle:?}: {e}"));
                }
            }
            Ok(())
        })();
        t.record(i, case, outcome);
    }
    t.finish();
}

#[test]
fn label_selector_validation_cases() {
    let Some(doc) = validation_doc() else { return };
    let mut t = Tally::new(VALIDATION_FILE, "label_selector_validation_cases");
    for (i, case) in cases(&doc, "label_selector_validation_cases", &mut t)
        .iter()
        .enumerate()
    {
        let outcome = (|| {
            let ls = label_selector_of(case)?;
            let valid = bool_field(case, "valid")?;
            let result = selector_of(&ls);
            expect_eq("valid", result.is_ok(), valid)?;
            if let (Err(msg), Some(needle)) = (&result, case.get("error_contains")) {
                let needle = needle.as_str().ok_or("`error_contains` is not a string")?;
                if !msg.contains(needle) {
                    return Err(format!("error lacks {needle:?}: {msg}"));
                }
            }
            Ok(())
        })();
        t.record(i, case, outcome);
    }
    t.finish();
}

/// Guards against a data file growing an array this file never looks at.
#[test]
fn every_array_is_covered() {
    let known: [(&str, &[&str]); 2] = [
        (
            SELECTOR_FILE,
            &[
                "match_cases",
                "parse_cases",
                "structured_cases",
                "label_selector_as_map_cases",
                "requirement_cases",
                "string_cases",
                "convert_selector_to_labels_map_cases",
                "label_set_cases",
                "derived_structured_match_cases",
            ],
        ),
        (
            VALIDATION_FILE,
            &[
                "label_key_cases",
                "label_value_cases",
                "dns1123_label_cases",
                "dns1123_subdomain_cases",
                "label_map_cases",
                "label_selector_validation_cases",
            ],
        ),
    ];
    let mut unknown = Vec::new();
    for (file, arrays) in known {
        let Some(doc) = crate::support::conformance_json(file) else {
            return;
        };
        let Some(obj) = doc.as_object() else {
            unknown.push(format!("{file}: not a JSON object"));
            continue;
        };
        for (name, value) in obj {
            if value.is_array() && !arrays.contains(&name.as_str()) {
                unknown.push(format!("{file}: {name}"));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "case arrays not covered by conformance_labels.rs: {unknown:?}"
    );
}
