//! Drives the pattern engine with the good/bad corpora in `tests/fixtures/patterns/`.
//!
//! * `good.json`: `{name, pattern, event, matches}`; every case is checked three ways:
//!   the one-shot [`Pattern::matches`], a shared [`PatternMatcher`] holding every good
//!   pattern at once, and the raw-bytes entry point of that matcher.
//! * `bad.json`: `{name, pattern, error}`; the reason text must be exact.

use std::collections::BTreeSet;

use schemabus::pattern::{ERROR_PREFIX, Pattern, PatternMatcher};
use serde_json::Value;

fn load(name: &str) -> Vec<Value> {
    let path = format!("{}/tests/fixtures/patterns/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let cases: Value = serde_json::from_str(&text).expect("corpus is valid JSON");
    cases.as_array().expect("corpus is an array").clone()
}

fn name(case: &Value) -> String {
    case["name"].as_str().expect("case has a name").to_owned()
}

#[test]
fn every_good_case_matches_as_recorded_one_pattern_at_a_time() {
    let cases = load("good.json");
    assert!(cases.len() > 150, "corpus unexpectedly small");
    let mut failures = Vec::new();
    for case in &cases {
        let pattern = match Pattern::parse(&case["pattern"]) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{}: rejected: {e}", name(case)));
                continue;
            }
        };
        let expected = case["matches"].as_bool().expect("matches is a bool");
        if pattern.matches(&case["event"]) != expected {
            failures.push(format!("{}: expected {expected}", name(case)));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn a_matcher_holding_every_good_pattern_agrees_with_the_corpus() {
    let cases = load("good.json");
    let mut matcher = PatternMatcher::new();
    for case in &cases {
        let pattern = Pattern::parse(&case["pattern"]).expect("good pattern parses");
        matcher.add(name(case), pattern);
    }
    assert_eq!(matcher.len(), cases.len(), "names must be unique");
    let mut failures = Vec::new();
    for case in &cases {
        let event = &case["event"];
        let from_value: BTreeSet<String> = matcher.matches(event).into_iter().collect();
        let bytes = serde_json::to_vec(event).expect("serialise");
        let from_bytes: BTreeSet<String> =
            matcher.matches_bytes(&bytes).expect("valid JSON").into_iter().collect();
        if from_value != from_bytes {
            failures.push(format!("{}: value {from_value:?} vs bytes {from_bytes:?}", name(case)));
        }
        let expected = case["matches"].as_bool().expect("bool");
        if from_value.contains(&name(case)) != expected {
            failures.push(format!("{}: expected {expected} in shared matcher", name(case)));
        }
        // Every other pattern the shared matcher reports must match on its own too.
        for other in &from_value {
            let other_case = cases.iter().find(|c| &name(c) == other).expect("known name");
            let p = Pattern::parse(&other_case["pattern"]).expect("parses");
            if !p.matches(event) {
                failures.push(format!("{}: spurious match of {other}", name(case)));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn every_bad_case_is_rejected_with_the_recorded_reason() {
    let cases = load("bad.json");
    assert!(cases.len() > 60, "corpus unexpectedly small");
    let mut failures = Vec::new();
    for case in &cases {
        let expected = case["error"].as_str().expect("error is a string");
        match Pattern::parse(&case["pattern"]) {
            Ok(_) => failures.push(format!("{}: accepted", name(case))),
            Err(e) => {
                if e.reason() != expected {
                    failures.push(format!("{}: got {:?}, want {expected:?}", name(case), e.reason()));
                }
                if e.to_string() != format!("{ERROR_PREFIX}{expected}") {
                    failures.push(format!("{}: bad Display {e}", name(case)));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
