//! Behaviour of the pattern engine's public API beyond the corpora: the matcher's
//! add/remove/replace lifecycle, the raw-bytes entry point, limits, and sharing across
//! threads.

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

use schemabus::pattern::{self, EventError, MAX_OR_COMBINATIONS, Pattern, PatternError, PatternMatcher};
use serde_json::{Value, json};

fn p(v: Value) -> Pattern {
    Pattern::parse(&v).unwrap_or_else(|e| panic!("{v} should parse: {e}"))
}

fn ids(m: &PatternMatcher<&'static str>, event: &Value) -> BTreeSet<&'static str> {
    m.matches(event).into_iter().collect()
}

fn set(items: &[&'static str]) -> BTreeSet<&'static str> {
    items.iter().copied().collect()
}

#[test]
fn matcher_returns_every_matching_id_and_only_those() {
    let mut m = PatternMatcher::new();
    m.add("ec2", p(json!({"source": ["aws.ec2"]})));
    m.add("running", p(json!({"source": ["aws.ec2"], "detail": {"state": ["running"]}})));
    m.add("stopped", p(json!({"source": ["aws.ec2"], "detail": {"state": ["stopped"]}})));
    m.add("not-s3", p(json!({"source": [{"anything-but": "aws.s3"}]})));
    let event = json!({"source": "aws.ec2", "detail": {"state": "running"}});
    assert_eq!(ids(&m, &event), set(&["ec2", "running", "not-s3"]));
    assert_eq!(ids(&m, &json!({"source": "aws.s3"})), set(&[]));
}

#[test]
fn adding_under_an_existing_id_replaces_the_pattern() {
    let mut m = PatternMatcher::new();
    m.add("r", p(json!({"a": ["1"]})));
    m.add("r", p(json!({"a": ["2"]})));
    assert_eq!(m.len(), 1);
    assert_eq!(ids(&m, &json!({"a": "1"})), set(&[]));
    assert_eq!(ids(&m, &json!({"a": "2"})), set(&["r"]));
}

#[test]
fn removing_patterns_frees_their_states_and_keeps_shared_ones() {
    let mut m = PatternMatcher::new();
    m.add("a", p(json!({"x": ["1"], "y": [{"prefix": "p"}]})));
    m.add(
        "b",
        p(json!({"x": ["1"], "y": [{"wildcard": "p*q"}], "$or": [{"z": ["1"]}, {"w": [{"exists": false}]}]})),
    );
    let event = json!({"x": "1", "y": "pq"});
    assert_eq!(ids(&m, &event), set(&["a", "b"]));
    assert!(m.remove(&"b"));
    assert!(!m.remove(&"b"), "second removal finds nothing");
    assert_eq!(ids(&m, &event), set(&["a"]));
    assert!(m.contains(&"a") && !m.contains(&"b"));
    assert!(m.remove(&"a"));
    assert!(m.is_empty());
    assert_eq!(m.state_count(), 1, "only the root remains");
    assert_eq!(ids(&m, &event), set(&[]));
    // The freed states are reused and still correct.
    m.add("c", p(json!({"y": [{"suffix": "q"}]})));
    assert_eq!(ids(&m, &event), set(&["c"]));
}

#[test]
fn many_patterns_sharing_fields_do_not_interfere() {
    let mut m = PatternMatcher::new();
    for i in 0..2000u32 {
        let pat = match i % 4 {
            0 => json!({"source": [format!("svc{i}")]}),
            1 => json!({"source": [{"prefix": format!("svc{i}.")}]}),
            2 => json!({"source": ["x"], "n": [{"numeric": [">", i, "<", i + 10]}]}),
            _ => json!({"source": ["x"], "k": [{"anything-but": format!("v{i}")}]}),
        };
        m.add(i, p(pat));
    }
    let hits: BTreeSet<u32> = m.matches(&json!({"source": "svc8"})).into_iter().collect();
    assert_eq!(hits, BTreeSet::from([8]));
    let hits: BTreeSet<u32> = m.matches(&json!({"source": "svc9.z"})).into_iter().collect();
    assert_eq!(hits, BTreeSet::from([9]));
    let hits: BTreeSet<u32> = m.matches(&json!({"source": "x", "n": 15})).into_iter().collect();
    assert_eq!(hits, BTreeSet::from([6, 10, 14]));
    let hits: BTreeSet<u32> = m.matches(&json!({"source": "x", "k": "v3"})).into_iter().collect();
    assert_eq!(hits.len(), 499, "every anything-but except the one excluding v3");
    assert!(!hits.contains(&3));
}

#[test]
fn duplicate_keys_in_pattern_text_keep_the_last_value() {
    let pat = Pattern::from_json_str(r#"{"location": ["a"], "location": ["b"]}"#).expect("parses");
    assert!(pat.matches(&json!({"location": "b"})));
    assert!(!pat.matches(&json!({"location": "a"})));
}

#[test]
fn malformed_pattern_text_is_an_error_not_a_panic() {
    let err = Pattern::from_json_str("{\"a\": [").expect_err("malformed");
    assert!(err.to_string().starts_with("Event pattern is not valid. Reason: "));
}

#[test]
fn or_expansion_up_to_the_limit_is_accepted() {
    let branches =
        |n: usize| -> Value { Value::Array((0..n).map(|i| json!({ format!("f{i}"): ["1"] })).collect()) };
    // 10 * 10 * 10 = 1000 combinations: exactly at the limit.
    let pat = json!({"a": {"$or": branches(10)}, "b": {"$or": branches(10)}, "c": {"$or": branches(10)}});
    assert_eq!(MAX_OR_COMBINATIONS, 1000);
    let parsed = p(pat);
    assert!(parsed.matches(&json!({"a": {"f3": "1"}, "b": {"f0": "1"}, "c": {"f9": "1"}})));
    assert!(!parsed.matches(&json!({"a": {"f3": "1"}, "b": {"f0": "1"}})));
}

#[test]
fn test_event_pattern_helper_validates_then_matches() {
    assert_eq!(pattern::test_event_pattern(&json!({"a": ["1"]}), &json!({"a": "1"})), Ok(true));
    assert_eq!(pattern::test_event_pattern(&json!({"a": ["1"]}), &json!({"a": "2"})), Ok(false));
    let err: PatternError = pattern::test_event_pattern(&json!({"a": "1"}), &json!({})).expect_err("invalid");
    assert_eq!(err.to_string(), "Event pattern is not valid. Reason: \"a\" must be an object or an array");
    assert_eq!(err.reason(), "\"a\" must be an object or an array");
}

#[test]
fn pattern_reports_the_fields_it_names() {
    let pat = p(json!({"detail": {"a": ["1"], "$or": [{"b": ["1"]}, {"c.d": ["1"]}]}, "source": ["s"]}));
    assert_eq!(pat.fields(), vec!["detail.a", "detail.b", "detail.c.d", "source"]);
}

#[test]
fn raw_bytes_entry_point_decodes_escapes_and_skips_unrelated_content() {
    let mut m = PatternMatcher::new();
    m.add("q", p(json!({"detail": {"msg": ["caf\u{e9} \"x\" \u{1F600}"]}})));
    m.add("n", p(json!({"detail": {"n": [{"numeric": ["=", 1.5e3]}]}})));
    let raw = br#"{"skip": {"deep": [1, {"x": "\u00e9\"\\"}, [[[]]], -0.5e-3, true, null]},
        "detail": {"msg": "caf\u00e9 \"x\" \ud83d\ude00", "n": 1500, "other": [false]}}"#;
    let got: BTreeSet<&str> = m.matches_bytes(raw).expect("valid").into_iter().collect();
    assert_eq!(got, set(&["q", "n"]));
}

#[test]
fn raw_bytes_entry_point_rejects_malformed_json() {
    let mut m = PatternMatcher::new();
    m.add("a", p(json!({"a": ["1"]})));
    for bad in [
        &b"{\"a\": \"1\""[..],
        b"{\"a\": 01}",
        b"{\"a\": tru}",
        b"{\"skip\": [1, 2}",
        b"{\"a\": \"1\"} x",
        b"{\"a\": \"\\q\"}",
        b"{\"a\": 1e999}",
        b"",
        b"{\"a\": \"\xff\"}",
    ] {
        let r: Result<Vec<&str>, EventError> = m.matches_bytes(bad);
        assert!(r.is_err(), "{:?} should be rejected", String::from_utf8_lossy(bad));
    }
}

#[test]
fn deeply_nested_events_do_not_overflow_the_stack() {
    let mut m = PatternMatcher::new();
    m.add("a", p(json!({"a": ["1"]})));
    m.add("b", p(json!({"b": {"c": ["1"]}})));
    let depth = 100_000;
    let mut raw = String::from("{\"skip\": ");
    raw.push_str(&"[".repeat(depth));
    raw.push_str(&"]".repeat(depth));
    raw.push_str(", \"a\": \"1\"}");
    assert_eq!(m.matches_bytes(raw.as_bytes()).expect("valid"), vec!["a"]);
    // Nesting on a path a pattern names is followed up to the documented limit.
    let mut raw = String::from("{\"b\": ");
    raw.push_str(&"[".repeat(depth));
    raw.push_str(&"]".repeat(depth));
    raw.push('}');
    assert!(m.matches_bytes(raw.as_bytes()).is_err(), "too deep to follow");
}

#[test]
fn many_array_elements_in_independent_arrays_stay_fast() {
    let mut m = PatternMatcher::new();
    m.add(
        "x",
        p(json!({"a": {"v": [{"exists": true}]}, "b": {"v": [{"exists": true}]}, "c": {"v": ["no"]}})),
    );
    let many: Vec<Value> = (0..300).map(|i| json!({"v": i})).collect();
    let event = json!({"a": many, "b": many, "c": many});
    let start = std::time::Instant::now();
    assert!(m.matches(&event).is_empty());
    // Without forgetting finished arrays this walk would be 300 * 300 * 300 steps.
    assert!(start.elapsed().as_secs() < 5, "took {:?}", start.elapsed());
}

#[test]
fn matcher_is_shareable_across_threads_behind_a_rwlock() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<PatternMatcher<String>>();
    let shared = Arc::new(RwLock::new(PatternMatcher::new()));
    shared.write().expect("lock").add("base".to_string(), p(json!({"k": ["v"]})));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                for _ in 0..500 {
                    let hits = shared.read().expect("lock").matches(&json!({"k": "v"}));
                    assert!(hits.contains(&"base".to_string()));
                }
            })
        })
        .collect();
    for i in 0..200 {
        let mut guard = shared.write().expect("lock");
        guard.add(format!("r{i}"), p(json!({"k": ["v"], "n": [i]})));
        if i % 2 == 0 {
            guard.remove(&format!("r{i}"));
        }
    }
    for r in readers {
        r.join().expect("reader thread");
    }
    assert_eq!(shared.read().expect("lock").len(), 101);
}

#[test]
fn raw_bytes_skipping_respects_strings_containing_brackets_and_escapes() {
    let mut m = PatternMatcher::new();
    m.add("a", p(json!({"a": ["1"]})));
    let raw = br#"{"skip": ["]", "{", "\"]", {"k]": "}}}"}, [[["[["]]], "tail\\"], "a": "1"}"#;
    assert_eq!(m.matches_bytes(raw).expect("valid"), vec!["a"]);
    for bad in [
        &br#"{"skip": ["]", "a": "1"}"#[..],
        br#"{"skip": {"x": [1}, "a": "1"}"#,
        br#"{"skip": ["unterminated], "a": "1"}"#,
        b"{\"skip\": [\"ctl\x01\"], \"a\": \"1\"}",
    ] {
        assert!(m.matches_bytes(bad).is_err(), "{}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn raw_bytes_and_value_agree_for_special_characters_at_every_position() {
    let mut m = PatternMatcher::new();
    m.add("eq", p(json!({"k": [{"prefix": "x"}]})));
    m.add("skipped-sibling", p(json!({"z": ["1"]})));
    for len in 0..40usize {
        for at in 0..=len {
            for special in ["\"", "\\", "\n", "\u{e9}", "]", "{"] {
                let mut s: String = "x".repeat(len);
                s.insert_str(at.min(s.len()), special);
                let event = json!({"skip": s, "k": s, "nested": [s, {"s": s}], "z": "1"});
                let bytes = serde_json::to_vec(&event).expect("serialise");
                let mut from_bytes = m.matches_bytes(&bytes).expect("valid");
                let mut from_value = m.matches(&event);
                from_bytes.sort_unstable();
                from_value.sort_unstable();
                assert_eq!(from_bytes, from_value, "{s:?}");
                assert!(from_value.contains(&"skipped-sibling"));
            }
        }
    }
}

/// Found by the `pattern` fuzz target (fuzz/regressions/pattern/empty-key-segment.json):
/// the pattern side dropped an empty key while the event side kept it as a segment, so
/// `{"": {"a": ["1"]}}` matched `{"a": "1"}` and not `{"": {"a": "1"}}`.
#[test]
fn an_empty_key_is_a_path_segment_on_both_sides() {
    let under_empty = p(json!({"": {"a": ["1"]}}));
    assert!(under_empty.matches(&json!({"": {"a": "1"}})));
    assert!(!under_empty.matches(&json!({"a": "1"})));
    let plain = p(json!({"a": ["1"]}));
    assert!(!plain.matches(&json!({"": {"a": "1"}})));
    let mut m = PatternMatcher::new();
    m.add("empty", under_empty);
    m.add("plain", plain);
    assert_eq!(ids(&m, &json!({"": {"a": "1"}})), set(&["empty"]));
    assert_eq!(ids(&m, &json!({"a": "1"})), set(&["plain"]));
}
