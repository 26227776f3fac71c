//! Helm values layering checked against facts taken from Helm's own tests
//! (`../shared/conformance/helm/coalesce_cases.json`, see its README).
//!
//! fleetc layers values files the way `helm -f a.yaml -f b.yaml` does
//! (`loader.MergeMaps`, and `MergeValues`/`MergeTables`, which keep nulls), so
//! `values_file_layering_cases` and `merge_cases` must all hold. The
//! `coalesce_cases` describe `CoalesceValues`, which merges the chart's own
//! defaults and deletes keys on null; fleetc never sees chart defaults and does
//! not do that. Those cases are skipped, except the ones where no null is
//! involved: there both operations must agree, so they are run too.

use fleetc::values;
use serde_json::Value;

use crate::support;

#[derive(Default)]
struct Tally {
    ran: usize,
    passed: usize,
    skipped: Vec<String>,
    failures: Vec<String>,
}

impl Tally {
    fn check(&mut self, group: &str, case: &Value) {
        let name = case
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("<unnamed>");
        let (Some(base), Some(layer), Some(expected)) =
            (case.get("base"), case.get("override"), case.get("result"))
        else {
            self.ran += 1;
            self.failures.push(format!(
                "{group}/{name}: case lacks one of base, override, result"
            ));
            return;
        };
        self.ran += 1;
        let mut problems = Vec::new();

        let folded = values::merge(&[base, layer]);
        if &folded != expected {
            problems.push(format!("merge gave {folded}"));
        }
        // A null `base` is Helm's nil map; `merge_into` over it must agree.
        let mut in_place = base.clone();
        values::merge_into(&mut in_place, layer);
        if &in_place != expected {
            problems.push(format!("merge_into gave {in_place}"));
        }
        let (traced, origins) = values::merge_traced(&[base, layer]);
        if &traced != expected {
            problems.push(format!("merge_traced gave {traced}"));
        }
        for origin in &origins {
            if traced.pointer(&origin.pointer).is_none() {
                problems.push(format!("origin {} does not resolve", origin.pointer));
            }
        }

        if problems.is_empty() {
            self.passed += 1;
        } else {
            self.failures.push(format!(
                "{group}/{name}: expected {expected}; {}",
                problems.join("; ")
            ));
        }
    }
}

/// Whether a `null` appears anywhere inside `value`, the root excluded (a
/// null root stands for Helm's nil map, which is `{}` to a merge).
fn has_inner_null(value: &Value) -> bool {
    fn inner(value: &Value) -> bool {
        match value {
            Value::Null => true,
            Value::Array(items) => items.iter().any(inner),
            Value::Object(map) => map.values().any(inner),
            Value::Bool(_) | Value::Number(_) | Value::String(_) => false,
        }
    }
    match value {
        Value::Null => false,
        other => inner(other),
    }
}

#[test]
fn helm_values_conformance() {
    let Some(data) = support::conformance_json("helm/coalesce_cases.json") else {
        println!("helm conformance: 0 ran, 0 passed, 0 skipped (data absent)");
        return;
    };
    let mut tally = Tally::default();

    for group in ["values_file_layering_cases", "merge_cases"] {
        match data.get(group).and_then(Value::as_array) {
            Some(cases) if !cases.is_empty() => {
                for case in cases {
                    tally.check(group, case);
                }
            }
            _ => tally
                .failures
                .push(format!("{group}: missing or empty in the data file")),
        }
    }

    match data.get("coalesce_cases").and_then(Value::as_array) {
        Some(cases) => {
            for case in cases {
                let involves_null = ["base", "override", "result"]
                    .iter()
                    .any(|field| case.get(*field).is_some_and(has_inner_null));
                if involves_null {
                    let name = case
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("<unnamed>");
                    tally.skipped.push(format!(
                        "coalesce_cases/{name}: CoalesceValues deletes keys on null \
                         (chart-defaults coalescing); fleetc only layers -f files, \
                         where nulls are kept"
                    ));
                } else {
                    // Without nulls, coalescing and layering are the same merge.
                    tally.check("coalesce_cases", case);
                }
            }
        }
        None => tally
            .failures
            .push("coalesce_cases: missing from the data file".to_owned()),
    }

    println!(
        "helm conformance: {} ran, {} passed, {} skipped",
        tally.ran,
        tally.passed,
        tally.skipped.len()
    );
    for reason in &tally.skipped {
        println!("  SKIPPED {reason}");
    }
    assert!(
        tally.failures.is_empty(),
        "{} of {} helm conformance cases failed:\n  {}",
        tally.failures.len(),
        tally.ran,
        tally.failures.join("\n  ")
    );
}
