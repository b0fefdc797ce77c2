//! Property tests for the pattern engine.
//!
//! 1. For random valid patterns and random events, a [`PatternMatcher`] holding many
//!    patterns (before and after removals, from `Value` and from raw bytes) reports
//!    exactly the patterns a brute-force reference evaluator (`fuzz/src/pattern_ref.rs`, shared with the `pattern` fuzz target), written from the
//!    specification and sharing no code with the engine, says match.
//! 2. Arbitrary JSON as a pattern, and arbitrary JSON or bytes as an event, never panic.

use std::collections::BTreeSet;

use proptest::prelude::*;
use schemabus::pattern::{Pattern, PatternMatcher};
use serde_json::{Map, Value, json};

#[path = "../fuzz/src/pattern_ref.rs"]
mod pattern_ref;
use pattern_ref::ref_matches;

// ---------------------------------------------------------------------------------
// Generators over a small vocabulary so patterns and events actually meet.
// ---------------------------------------------------------------------------------

const KEYS: [&str; 4] = ["a", "b", "c", "$or"];
const WORDS: [&str; 9] = ["x", "y", "xy", "X", "Xy", "", "10.1.2.3", "2001:db8::1", "a*b"];

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(&WORDS[..]).prop_map(str::to_owned)
}

fn num() -> impl Strategy<Value = f64> {
    prop::sample::select(&[0.0, 1.0, 2.5, -1.0, 300.0][..])
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        word().prop_map(Value::from),
        num().prop_map(|n| json!(n)),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
    ]
}

fn alternative() -> impl Strategy<Value = Value> {
    let ne_word = prop::sample::select(&["x", "y", "X", "xy"][..]);
    let glob = prop::sample::select(&["*", "x*", "*y", "x*y", "*x*", "", "a\\*b", "X*"][..]);
    prop_oneof![
        4 => scalar(),
        1 => word().prop_map(|w| json!({"prefix": w})),
        1 => word().prop_map(|w| json!({"suffix": w})),
        1 => word().prop_map(|w| json!({"prefix": {"equals-ignore-case": w}})),
        1 => word().prop_map(|w| json!({"suffix": {"equals-ignore-case": w}})),
        1 => word().prop_map(|w| json!({"equals-ignore-case": w})),
        1 => word().prop_map(|w| json!({"anything-but": w})),
        1 => num().prop_map(|n| json!({"anything-but": [n, 300]})),
        1 => prop::collection::vec(word(), 1..3).prop_map(|w| json!({"anything-but": w})),
        1 => ne_word.clone().prop_map(|w| json!({"anything-but": {"prefix": w}})),
        1 => ne_word.prop_map(|w| json!({"anything-but": {"suffix": [w, "q"]}})),
        1 => word().prop_map(|w| json!({"anything-but": {"equals-ignore-case": w}})),
        1 => glob.clone().prop_map(|g| json!({"anything-but": {"wildcard": g}})),
        2 => (num(), prop::bool::ANY).prop_map(|(n, incl)| json!({"numeric": [if incl { ">=" } else { ">" }, n]})),
        1 => num().prop_map(|n| json!({"numeric": ["<", n + 1.0, ">", n - 1.0]})),
        1 => num().prop_map(|n| json!({"numeric": ["=", n]})),
        2 => any::<bool>().prop_map(|b| json!({"exists": b})),
        1 => prop::sample::select(&["10.0.0.0/8", "10.1.0.0/16", "2001:db8::/32", "0.0.0.0/0"][..]).prop_map(|c| json!({"cidr": c})),
        2 => glob.prop_map(|g| json!({"wildcard": g})),
    ]
}

fn leaf_key() -> impl Strategy<Value = String> {
    prop::sample::select(&KEYS[..3]).prop_map(str::to_owned)
}

fn pattern_object(depth: u32) -> BoxedStrategy<Value> {
    let leaf = prop::collection::vec(alternative(), 1..4).prop_map(Value::Array);
    let member = if depth == 0 {
        leaf.boxed()
    } else {
        prop_oneof![3 => leaf, 1 => pattern_object(depth - 1)].boxed()
    };
    let fields = prop::collection::btree_map(leaf_key(), member, 1..3);
    let ors = if depth == 0 {
        Just(None).boxed()
    } else {
        prop::option::weighted(0.25, prop::collection::vec(pattern_object(depth - 1), 2..4)).boxed()
    };
    (fields, ors)
        .prop_map(|(fields, ors)| {
            let mut m: Map<String, Value> = fields.into_iter().collect();
            if let Some(branches) = ors {
                m.insert("$or".into(), Value::Array(branches));
            }
            Value::Object(m)
        })
        .boxed()
}

fn event_value(depth: u32) -> BoxedStrategy<Value> {
    if depth == 0 {
        return scalar().boxed();
    }
    prop_oneof![
        4 => scalar(),
        1 => prop::collection::vec(scalar(), 0..3).prop_map(Value::Array),
        2 => prop::collection::vec(event_object(depth - 1), 0..3).prop_map(Value::Array),
        2 => event_object(depth - 1),
    ]
    .boxed()
}

fn event_object(depth: u32) -> BoxedStrategy<Value> {
    prop::collection::btree_map(
        prop::sample::select(&KEYS[..]).prop_map(str::to_owned),
        event_value(depth),
        0..4,
    )
    .prop_map(|m| Value::Object(m.into_iter().collect()))
    .boxed()
}

fn expected(patterns: &[Value], live: &[bool], event: &Value) -> BTreeSet<usize> {
    (0..patterns.len()).filter(|&i| live[i] && ref_matches(&patterns[i], event)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn compiled_matcher_agrees_with_reference_evaluator(
        patterns in prop::collection::vec(pattern_object(2), 1..24),
        events in prop::collection::vec(event_object(3), 1..6),
        removals in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let mut m = PatternMatcher::new();
        for (i, p) in patterns.iter().enumerate() {
            let parsed = Pattern::parse(p).map_err(|e| TestCaseError::fail(format!("{p}: {e}")))?;
            m.add(i, parsed);
        }
        let mut live = vec![true; patterns.len()];
        for round in 0..2 {
            for event in &events {
                let want = expected(&patterns, &live, event);
                let got: BTreeSet<usize> = m.matches(event).into_iter().collect();
                prop_assert_eq!(&got, &want, "round {} event {} patterns {:?}", round, event, patterns);
                let bytes = serde_json::to_vec(event).expect("serialise");
                let from_bytes: BTreeSet<usize> = m.matches_bytes(&bytes).expect("valid").into_iter().collect();
                prop_assert_eq!(&from_bytes, &want);
                for (i, p) in patterns.iter().enumerate() {
                    if live[i] {
                        let one = Pattern::parse(p).expect("parsed above").matches(event);
                        prop_assert_eq!(one, want.contains(&i), "pattern {} alone", p);
                    }
                }
            }
            for r in &removals {
                let i = r.index(patterns.len());
                prop_assert_eq!(m.remove(&i), live[i]);
                live[i] = false;
            }
        }
    }

    #[test]
    fn arbitrary_json_patterns_and_events_never_panic(
        pattern in arbitrary_json(),
        event in arbitrary_json(),
        raw in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        if let Ok(p) = Pattern::parse(&pattern) {
            let _ = p.matches(&event);
            let mut m = PatternMatcher::new();
            m.add(0u8, p);
            let _ = m.matches(&event);
            let _ = m.matches_bytes(&raw);
            let _ = m.matches_bytes(serde_json::to_string(&event).expect("serialise").as_bytes());
            prop_assert!(m.remove(&0));
        }
    }
}

/// Patterns and events over two keys and two values, where arrays of objects are
/// common: this is where element consistency decides the outcome.
fn tight_pattern(depth: u32) -> BoxedStrategy<Value> {
    let alt = prop_oneof![
        4 => prop::sample::select(&["x", "y"][..]).prop_map(Value::from),
        1 => any::<bool>().prop_map(|b| json!({"exists": b})),
        1 => Just(json!({"anything-but": "x"})),
    ];
    let leaf = prop::collection::vec(alt, 1..2).prop_map(Value::Array);
    let member =
        if depth == 0 { leaf.boxed() } else { prop_oneof![1 => leaf, 2 => tight_pattern(depth - 1)].boxed() };
    prop::collection::btree_map(prop::sample::select(&["a", "b"][..]).prop_map(str::to_owned), member, 1..3)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
        .boxed()
}

fn tight_event(depth: u32) -> BoxedStrategy<Value> {
    let scalar = prop::sample::select(&["x", "y"][..]).prop_map(Value::from);
    let value = if depth == 0 {
        scalar.boxed()
    } else {
        prop_oneof![
            2 => scalar,
            3 => prop::collection::vec(tight_event(depth - 1), 0..4).prop_map(Value::Array),
            1 => tight_event(depth - 1),
        ]
        .boxed()
    };
    prop::collection::btree_map(prop::sample::select(&["a", "b"][..]).prop_map(str::to_owned), value, 1..3)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn array_element_consistency_agrees_with_reference_evaluator(
        patterns in prop::collection::vec(tight_pattern(2), 1..12),
        events in prop::collection::vec(tight_event(3), 1..6),
    ) {
        let mut m = PatternMatcher::new();
        for (i, p) in patterns.iter().enumerate() {
            m.add(i, Pattern::parse(p).map_err(|e| TestCaseError::fail(format!("{p}: {e}")))?);
        }
        let live = vec![true; patterns.len()];
        for event in &events {
            let want = expected(&patterns, &live, event);
            let got: BTreeSet<usize> = m.matches(event).into_iter().collect();
            prop_assert_eq!(&got, &want, "event {} patterns {:?}", event, patterns);
            let bytes = serde_json::to_vec(event).expect("serialise");
            let from_bytes: BTreeSet<usize> = m.matches_bytes(&bytes).expect("valid").into_iter().collect();
            prop_assert_eq!(&from_bytes, &want);
        }
    }
}

/// Arbitrary JSON biased towards the pattern language's keywords.
fn arbitrary_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        prop::sample::select(
            &[
                "prefix",
                "suffix",
                "equals-ignore-case",
                "anything-but",
                "numeric",
                "exists",
                "cidr",
                "wildcard",
                "$or",
                "a",
                "b",
                "a.b",
                "",
            ][..]
        )
        .prop_map(str::to_owned),
        ".{0,4}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        prop::sample::select(&["<", ">=", "=", "10.0.0.0/8", "::/0", "a*b", "**", "\\", "x", ""][..])
            .prop_map(Value::from),
        ".{0,6}".prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}
