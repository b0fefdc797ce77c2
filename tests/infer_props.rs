//! Property tests for schema inference: soundness (every sample validates against the
//! inferred schema, formats checked), order independence, merge = union, idempotence,
//! persistence round-trip; each in every derivation mode (evidence threshold x null policy).

use proptest::prelude::*;
use schemabus::infer::{DeriveOptions, Hints, InferenceState, NullPolicy, derive_schema_with, merge_state};
use serde_json::{Map, Value, json};

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::options().should_validate_formats(true).build(schema).expect("inferred schema compiles")
}

/// Every null policy, with the exact, the default and the largest evidence threshold.
fn modes() -> Vec<DeriveOptions> {
    let mut out = Vec::new();
    for nulls in [NullPolicy::Observed, NullPolicy::Scalars, NullPolicy::All] {
        for min_required in
            [1, schemabus::infer::DEFAULT_MIN_REQUIRED, schemabus::infer::EVIDENCE_DOCS as u64]
        {
            out.push(DeriveOptions { min_required, nulls, ..DeriveOptions::default() });
        }
    }
    out.push(DeriveOptions::observed());
    out
}

fn state_of<'a>(docs: impl IntoIterator<Item = &'a Value>) -> InferenceState {
    let mut s = InferenceState::new();
    for d in docs {
        s.add(d);
    }
    s
}

/// Strings that exercise format detection as well as plain text.
fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{0,6}",
        Just("2024-02-29T10:00:00Z".to_owned()),
        Just("2024-13-01T10:00:00Z".to_owned()),
        (2000u32..2030, 1u32..13, 1u32..32).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
        (0u32..24, 0u32..60).prop_map(|(h, m)| format!("{h:02}:{m:02}:00Z")),
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[a-z]{1,5}@[a-z]{1,5}\\.(com|org)",
        "https://[a-z]{1,6}\\.com/[a-z0-9]{0,4}",
        (0u8..=255, 0u8..=255).prop_map(|(a, b)| format!("10.{a}.{b}.1")),
        Just("fe80::1".to_owned()),
        "[ -~]{0,8}",
    ]
}

/// Strings close to the recognised formats, including many invalid ones.
fn near_misses() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9+.-]{0,4}:(//)?[!-~]{0,16}",
        "(arn|urn|mailto|tel|data|http|https):[ -~]{0,16}",
        "[a-zA-Z0-9._%+-]{0,6}@[a-zA-Z0-9.-]{0,10}",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,3})?([Zz]|[+-][0-9]{2}:[0-9]{2})?)?",
        "[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,3})?([Zz]|[+-][0-9]{2}:?[0-9]{2})?",
        "[0-9a-fA-F:.]{2,24}",
        "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
        "[0-9a-fA-F-]{36}",
        // Calendar edges: month 0 and 13, days 27 to 32, leap and common years.
        (1899u32..2101, 0u32..14, 27u32..33, any::<bool>()).prop_map(|(y, m, d, t)| {
            if t { format!("{y}-{m:02}-{d:02}T23:59:59Z") } else { format!("{y}-{m:02}-{d:02}") }
        }),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1000i64..1000).prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        Just(json!(10.0)),
        string().prop_map(Value::String),
    ]
}

/// Documents over a small key pool, so samples share shapes and merges are non-trivial.
fn doc() -> impl Strategy<Value = Value> {
    let key = prop_oneof!["[a-e]", Just("2024-01-01".to_owned()), "[0-9]{1,3}"];
    leaf().prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

fn docs() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(doc(), 1..12)
}

/// Removes the count-only parts of a state, leaving what must not change on repeats.
fn without_counts(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(k, _)| {
                    !matches!(
                        k.as_str(),
                        "seen"
                            | "nulls"
                            | "booleans"
                            | "integers"
                            | "fractions"
                            | "strings"
                            | "objects"
                            | "arrays"
                    )
                })
                .map(|(k, v)| (k.clone(), without_counts(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_counts).collect()),
        leaf @ (Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_)) => leaf.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_sample_validates(samples in docs()) {
        let state = state_of(&samples);
        for opts in modes() {
            let schema = derive_schema_with(&state, &Hints::default(), &opts);
            let v = validator(&schema);
            for d in &samples {
                let errors: Vec<String> = v.iter_errors(d).map(|e| e.to_string()).collect();
                prop_assert!(errors.is_empty(), "{opts:?}\nsample {d}\nschema {schema}\nerrors {errors:?}");
            }
        }
    }

    #[test]
    fn every_sample_validates_under_hints(samples in docs()) {
        // Map/enum/closed hints everywhere must stay sound too.
        let hints = Hints {
            map: ["/a", "/*/b"].iter().map(|s| s.to_string()).collect(),
            enums: ["/c", "/*/*", ""].iter().map(|s| s.to_string()).collect(),
            closed: ["", "/d", "/*/*/*"].iter().map(|s| s.to_string()).collect(),
            ..Hints::default()
        };
        let state = state_of(&samples);
        for opts in modes() {
            let schema = derive_schema_with(&state, &hints, &opts);
            let v = validator(&schema);
            for d in &samples {
                prop_assert!(v.is_valid(d), "{opts:?}\nsample {d}\nschema {schema}");
            }
        }
    }

    #[test]
    fn detected_formats_are_accepted_by_the_validator(s in near_misses()) {
        // The detectors must never be looser than the validator, or a schema would reject
        // the very string it was inferred from. Near-miss strings probe the edges.
        let doc = json!({"s": s});
        // Exact mode: one sample is enough to assert a format.
        let schema = derive_schema_with(&state_of([&doc]), &Hints::default(), &DeriveOptions::exact());
        prop_assert!(validator(&schema).is_valid(&doc), "{doc} against {}", schema["properties"]["s"]);
    }

    #[test]
    fn order_does_not_matter(samples in docs(), seed in any::<u64>()) {
        let mut shuffled = samples.clone();
        // Deterministic Fisher-Yates driven by the generated seed.
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let a = state_of(&samples);
        let b = state_of(&shuffled);
        prop_assert_eq!(&a, &b);
        for mode in modes() {
            let opts = DeriveOptions { stats: true, ..mode };
            let sa = serde_json::to_string(&derive_schema_with(&a, &Hints::default(), &opts)).unwrap();
            let sb = serde_json::to_string(&derive_schema_with(&b, &Hints::default(), &opts)).unwrap();
            prop_assert_eq!(sa, sb);
        }
    }

    #[test]
    fn merge_equals_union(left in docs(), right in docs()) {
        let a = state_of(&left);
        let b = state_of(&right);
        let union = state_of(left.iter().chain(&right));
        prop_assert_eq!(&merge_state(&a, &b), &union);
        prop_assert_eq!(&merge_state(&b, &a), &union);
    }

    #[test]
    fn repeats_change_only_counts(samples in docs(), times in 2usize..5) {
        let once = state_of(&samples);
        let many = state_of(samples.iter().cycle().take(samples.len() * times));
        prop_assert_eq!(many.samples(), once.samples() * times as u64);
        prop_assert_eq!(
            without_counts(&serde_json::to_value(&once).unwrap()),
            without_counts(&serde_json::to_value(&many).unwrap())
        );
        // Evidence counts distinct samples: repeating them establishes nothing new.
        for opts in modes() {
            let a = serde_json::to_string(&derive_schema_with(&once, &Hints::default(), &opts)).unwrap();
            let b = serde_json::to_string(&derive_schema_with(&many, &Hints::default(), &opts)).unwrap();
            prop_assert_eq!(a, b, "{:?}", opts);
        }
    }

    #[test]
    fn persisted_state_round_trips(samples in docs()) {
        let s = state_of(&samples);
        let text = serde_json::to_string(&s).unwrap();
        let back: InferenceState = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&back, &s);
        for opts in modes() {
            prop_assert_eq!(
                derive_schema_with(&back, &Hints::default(), &opts),
                derive_schema_with(&s, &Hints::default(), &opts)
            );
        }
    }
}
