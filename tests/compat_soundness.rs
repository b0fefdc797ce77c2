//! Soundness of the compatibility checker against a real validator.
//!
//! For generated pairs (old, new) where `new` is `old` after random edits, whenever the
//! checker calls the pair BACKWARD compatible under STRICT, every generated document that
//! validates under `old` (per the `jsonschema` crate) must validate under `new`.
//!
//! Documents come from two sources: free random JSON over a small universe of keys and
//! values, and instances built by walking `old` itself (so most of them are valid).
//! Runs deterministically; `COMPAT_SOUNDNESS_CASES` overrides the number of pairs.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use schemabus::compat::{Direction, Policy, compare};
use serde_json::{Map, Value, json};

/// A tiny deterministic generator driven by proptest-chosen seeds (mutations and
/// schema-guided instances need many dependent random choices).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const KEYS: [&str; 4] = ["a", "b", "c", "xa"];
const PATTERNS: [&str; 3] = ["^a", "^[ab]*$", "b"];
const STRINGS: [&str; 7] = ["", "a", "ab", "b", "abc", "xyz", "aaaa"];

fn small_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..6).prop_map(|n| json!(n)),
        Just(json!(1.5)),
        select(&STRINGS[..]).prop_map(|s| json!(s)),
    ]
}

fn string_schema() -> impl Strategy<Value = Value> {
    (option::of(0u64..4), option::of(0u64..6), option::of(select(&PATTERNS[..]))).prop_map(
        |(min, max, pattern)| {
            let mut m = Map::new();
            m.insert("type".into(), json!("string"));
            if let Some(v) = min {
                m.insert("minLength".into(), json!(v));
            }
            if let Some(v) = max {
                m.insert("maxLength".into(), json!(v));
            }
            if let Some(p) = pattern {
                m.insert("pattern".into(), json!(p));
            }
            Value::Object(m)
        },
    )
}

fn number_schema() -> impl Strategy<Value = Value> {
    (
        select(&["integer", "number"][..]),
        option::of(-3i64..3),
        option::of(-3i64..6),
        option::of(-3i64..6),
        option::of(select(&[1i64, 2, 3][..])),
    )
        .prop_map(|(t, min, max, exmax, mult)| {
            let mut m = Map::new();
            m.insert("type".into(), json!(t));
            if let Some(v) = min {
                m.insert("minimum".into(), json!(v));
            }
            if let Some(v) = max {
                m.insert("maximum".into(), json!(v));
            }
            if let Some(v) = exmax {
                m.insert("exclusiveMaximum".into(), json!(v));
            }
            if let Some(v) = mult {
                m.insert("multipleOf".into(), json!(v));
            }
            Value::Object(m)
        })
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(true)),
        Just(json!({})),
        Just(json!(false)),
        string_schema(),
        number_schema(),
        Just(json!({"type": "boolean"})),
        Just(json!({"type": "null"})),
        Just(json!({"type": ["string", "null"]})),
        small_value().prop_map(|v| json!({ "const": v })),
        vec(small_value(), 1..4).prop_map(|v| json!({ "enum": v })),
    ]
}

fn object_schema(inner: BoxedStrategy<Value>) -> impl Strategy<Value = Value> {
    (
        btree_map(select(&KEYS[..3]), inner.clone(), 0..3),
        vec(select(&KEYS[..]), 0..2),
        prop_oneof![
            Just(None),
            Just(Some(json!(false))),
            Just(Some(json!(true))),
            inner.clone().prop_map(Some)
        ],
        option::of((select(&PATTERNS[..]), inner.clone())),
        option::of(0u64..3),
        option::of(0u64..3),
        option::of(select(&KEYS[..])),
    )
        .prop_map(|(props, required, additional, pattern, min, max, dep)| {
            let mut m = Map::new();
            m.insert("type".into(), json!("object"));
            if !props.is_empty() {
                let props: Map<String, Value> = props.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
                m.insert("properties".into(), Value::Object(props));
            }
            if !required.is_empty() {
                let mut r: Vec<&str> = required;
                r.sort_unstable();
                r.dedup();
                m.insert("required".into(), json!(r));
            }
            if let Some(ap) = additional {
                m.insert("additionalProperties".into(), ap);
            }
            if let Some((p, s)) = pattern {
                m.insert("patternProperties".into(), json!({ p: s }));
            }
            if let Some(v) = min {
                m.insert("minProperties".into(), json!(v));
            }
            if let Some(v) = max {
                m.insert("maxProperties".into(), json!(v + 1));
            }
            if let Some(k) = dep {
                m.insert("dependentRequired".into(), json!({ k: ["a"] }));
            }
            Value::Object(m)
        })
}

fn array_schema(inner: BoxedStrategy<Value>) -> impl Strategy<Value = Value> {
    (
        option::of(inner.clone()),
        option::of(vec(inner.clone(), 1..3)),
        option::of(0u64..3),
        option::of(0u64..4),
        any::<bool>(),
        option::of((inner, option::of(0u64..3), option::of(1u64..3))),
    )
        .prop_map(|(items, prefix, min, max, unique, contains)| {
            let mut m = Map::new();
            m.insert("type".into(), json!("array"));
            if let Some(p) = prefix {
                m.insert("prefixItems".into(), Value::Array(p));
            }
            if let Some(i) = items {
                m.insert("items".into(), i);
            }
            if let Some(v) = min {
                m.insert("minItems".into(), json!(v));
            }
            if let Some(v) = max {
                m.insert("maxItems".into(), json!(v));
            }
            if unique {
                m.insert("uniqueItems".into(), json!(true));
            }
            if let Some((c, min_c, max_c)) = contains {
                m.insert("contains".into(), c);
                if let Some(v) = min_c {
                    m.insert("minContains".into(), json!(v));
                }
                if let Some(v) = max_c {
                    m.insert("maxContains".into(), json!(v));
                }
            }
            Value::Object(m)
        })
}

fn combinator_schema(inner: BoxedStrategy<Value>) -> impl Strategy<Value = Value> {
    prop_oneof![
        vec(inner.clone(), 1..4).prop_map(|v| json!({ "anyOf": v })),
        vec(inner.clone(), 1..4).prop_map(|v| json!({ "oneOf": v })),
        vec(inner.clone(), 1..3).prop_map(|v| json!({ "allOf": v })),
        inner.clone().prop_map(|v| json!({ "not": v })),
        (inner.clone(), inner.clone(), inner).prop_map(|(i, t, e)| json!({"if": i, "then": t, "else": e})),
    ]
}

fn schema() -> BoxedStrategy<Value> {
    leaf()
        .prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                3 => object_schema(inner.clone()),
                2 => array_schema(inner.clone()),
                1 => combinator_schema(inner),
            ]
        })
        .boxed()
}

fn random_doc() -> impl Strategy<Value = Value> {
    small_value().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map(select(&KEYS[..]), inner, 0..4)
                .prop_map(|m| { Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()) }),
        ]
    })
}

fn random_scalar(rng: &mut Lcg) -> Value {
    match rng.below(5) {
        0 => Value::Null,
        1 => json!(rng.chance(50)),
        2 => json!(rng.below(9) as i64 - 3),
        3 => json!(1.5),
        _ => json!(STRINGS[rng.below(STRINGS.len() as u64) as usize]),
    }
}

/// Builds a document aimed at `schema` (often valid, never guaranteed).
fn instance_for(schema: &Value, rng: &mut Lcg, depth: usize) -> Value {
    let Some(m) = schema.as_object() else {
        return random_scalar(rng);
    };
    if depth > 4 {
        return random_scalar(rng);
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(branches)) = m.get(key)
            && !branches.is_empty()
            && rng.chance(70)
        {
            let pick = &branches[rng.below(branches.len() as u64) as usize];
            return instance_for(pick, rng, depth + 1);
        }
    }
    if let Some(Value::Array(values)) = m.get("enum")
        && !values.is_empty()
    {
        return values[rng.below(values.len() as u64) as usize].clone();
    }
    if let Some(c) = m.get("const") {
        return c.clone();
    }
    let ty = match m.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) if !ts.is_empty() => {
            ts[rng.below(ts.len() as u64) as usize].as_str().unwrap_or("null").to_owned()
        }
        _ if m.contains_key("properties") => "object".to_owned(),
        _ => ["object", "array", "string", "integer", "null"][rng.below(5) as usize].to_owned(),
    };
    match ty.as_str() {
        "object" => {
            let mut out = Map::new();
            if let Some(Value::Object(props)) = m.get("properties") {
                for (k, s) in props {
                    if rng.chance(75) {
                        out.insert(k.clone(), instance_for(s, rng, depth + 1));
                    }
                }
            }
            if rng.chance(30) {
                let k = KEYS[rng.below(KEYS.len() as u64) as usize];
                let s = m.get("additionalProperties").cloned().unwrap_or(Value::Bool(true));
                out.insert(k.to_owned(), instance_for(&s, rng, depth + 1));
            }
            Value::Object(out)
        }
        "array" => {
            let mut out = Vec::new();
            if let Some(Value::Array(prefix)) = m.get("prefixItems") {
                for s in prefix {
                    if rng.chance(85) {
                        out.push(instance_for(s, rng, depth + 1));
                    }
                }
            }
            let extra = rng.below(3);
            let item = m.get("items").cloned().unwrap_or(Value::Bool(true));
            for _ in 0..extra {
                out.push(instance_for(&item, rng, depth + 1));
            }
            if let Some(c) = m.get("contains")
                && rng.chance(60)
            {
                out.push(instance_for(c, rng, depth + 1));
            }
            Value::Array(out)
        }
        "string" => json!(STRINGS[rng.below(STRINGS.len() as u64) as usize]),
        "integer" => json!(rng.below(9) as i64 - 3),
        "number" => {
            if rng.chance(30) {
                json!(1.5)
            } else {
                json!(rng.below(9) as i64 - 3)
            }
        }
        "boolean" => json!(rng.chance(50)),
        _ => Value::Null,
    }
}

/// Every subschema position (as JSON Pointer) where an object schema sits.
fn schema_positions(v: &Value, ptr: String, out: &mut Vec<String>) {
    let Value::Object(m) = v else { return };
    out.push(ptr.clone());
    for (k, child) in m {
        match (k.as_str(), child) {
            ("properties" | "patternProperties" | "dependentSchemas", Value::Object(props)) => {
                for (name, s) in props {
                    schema_positions(
                        s,
                        format!("{ptr}/{k}/{}", name.replace('~', "~0").replace('/', "~1")),
                        out,
                    );
                }
            }
            ("anyOf" | "oneOf" | "allOf" | "prefixItems", Value::Array(items)) => {
                for (i, s) in items.iter().enumerate() {
                    schema_positions(s, format!("{ptr}/{k}/{i}"), out);
                }
            }
            ("items" | "additionalProperties" | "not" | "if" | "then" | "else" | "contains", s) => {
                schema_positions(s, format!("{ptr}/{k}"), out);
            }
            _ => {}
        }
    }
}

/// One random edit of one subschema: the kind of change people make between versions.
fn mutate(schema: &mut Value, rng: &mut Lcg) {
    let mut positions = Vec::new();
    schema_positions(schema, String::new(), &mut positions);
    let target = if positions.is_empty() {
        String::new()
    } else {
        positions[rng.below(positions.len() as u64) as usize].clone()
    };
    let Some(node) = schema.pointer_mut(&target) else {
        return;
    };
    if !node.is_object() {
        *node = json!({});
    }
    let Some(m) = node.as_object_mut() else { return };
    let small = |rng: &mut Lcg| json!(rng.below(6) as i64 - 1);
    match rng.below(16) {
        0 => {
            let keys: Vec<String> = m.keys().cloned().collect();
            if !keys.is_empty() {
                m.remove(&keys[rng.below(keys.len() as u64) as usize]);
            }
        }
        1 => {
            let k = ["maxLength", "minLength", "maxItems", "minItems", "maxProperties", "minProperties"]
                [rng.below(6) as usize];
            m.insert(k.into(), json!(rng.below(5)));
        }
        2 => {
            let k = ["maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum"][rng.below(4) as usize];
            m.insert(k.into(), small(rng));
        }
        3 => {
            m.insert("multipleOf".into(), json!([1, 2, 3, 4, 6][rng.below(5) as usize]));
        }
        4 => {
            let t = [
                json!("integer"),
                json!("number"),
                json!("string"),
                json!(["string", "null"]),
                json!(["integer", "string"]),
                json!("object"),
                json!("array"),
            ][rng.below(7) as usize]
                .clone();
            m.insert("type".into(), t);
        }
        5 => {
            let props = m.entry("properties").or_insert_with(|| json!({}));
            if let Some(p) = props.as_object_mut() {
                let k = KEYS[rng.below(3) as usize];
                let s = [
                    json!({}),
                    json!({"type": "string"}),
                    json!({"type": "integer"}),
                    json!({"type": ["string", "null"]}),
                    json!(false),
                ][rng.below(5) as usize]
                    .clone();
                p.insert(k.into(), s);
            }
        }
        6 => {
            if let Some(Value::Object(p)) = m.get_mut("properties") {
                let keys: Vec<String> = p.keys().cloned().collect();
                if !keys.is_empty() {
                    p.remove(&keys[rng.below(keys.len() as u64) as usize]);
                }
            }
        }
        7 => {
            let ap = [
                json!(false),
                json!(true),
                json!({"type": "string"}),
                json!({"type": ["string", "integer"]}),
            ][rng.below(4) as usize]
                .clone();
            if rng.chance(25) {
                m.remove("additionalProperties");
            } else {
                m.insert("additionalProperties".into(), ap);
            }
        }
        8 => {
            let k = KEYS[rng.below(KEYS.len() as u64) as usize];
            let req = m.entry("required").or_insert_with(|| json!([]));
            if let Some(r) = req.as_array_mut() {
                if let Some(i) = r.iter().position(|v| v == k) {
                    r.remove(i);
                } else {
                    r.push(json!(k));
                }
            }
            if m.get("required").and_then(Value::as_array).is_some_and(Vec::is_empty) {
                m.remove("required");
            }
        }
        9 => {
            let v =
                [json!("a"), json!(1), json!(null), json!("b"), json!(true)][rng.below(5) as usize].clone();
            let e = m.entry("enum").or_insert_with(|| json!(["a"]));
            if let Some(arr) = e.as_array_mut() {
                if let Some(i) = arr.iter().position(|x| *x == v) {
                    if arr.len() > 1 {
                        arr.remove(i);
                    }
                } else {
                    arr.push(v);
                }
            }
        }
        10 => {
            let inner = Value::Object(std::mem::take(m));
            let other = [
                json!({"type": "null"}),
                json!({"type": "string"}),
                json!({"type": "integer", "maximum": 2}),
            ][rng.below(3) as usize]
                .clone();
            let key = ["anyOf", "oneOf"][rng.below(2) as usize];
            m.insert(key.into(), json!([inner, other]));
        }
        11 => {
            let inner = Value::Object(std::mem::take(m));
            m.insert("allOf".into(), json!([inner]));
        }
        12 => {
            for key in ["anyOf", "oneOf", "allOf"] {
                if let Some(Value::Array(branches)) = m.get_mut(key) {
                    if rng.chance(50) && branches.len() > 1 {
                        let i = rng.below(branches.len() as u64) as usize;
                        branches.remove(i);
                    } else {
                        branches.push(json!({"type": "boolean"}));
                    }
                    break;
                }
            }
        }
        13 => {
            m.insert("pattern".into(), json!(PATTERNS[rng.below(3) as usize]));
        }
        14 => {
            m.insert("uniqueItems".into(), json!(rng.chance(50)));
        }
        _ => {
            m.clear();
        }
    }
}

/// Moves one subschema into `$defs` behind a `$ref`: a refactoring that must not change
/// any verdict, so it exercises reference resolution on both sides.
fn refactor_into_defs(schema: &mut Value, rng: &mut Lcg) {
    let mut positions = Vec::new();
    schema_positions(schema, String::new(), &mut positions);
    positions.retain(|p| !p.is_empty());
    if positions.is_empty() || !schema.is_object() {
        return;
    }
    let target = positions[rng.below(positions.len() as u64) as usize].clone();
    let Some(node) = schema.pointer_mut(&target) else { return };
    let moved = std::mem::replace(node, Value::Null);
    let name = format!("d{}", rng.below(1_000_000));
    *node = json!({ "$ref": format!("#/$defs/{name}") });
    if let Some(root) = schema.as_object_mut() {
        let defs = root.entry("$defs").or_insert_with(|| json!({}));
        if let Some(defs) = defs.as_object_mut() {
            defs.insert(name, moved);
        }
    }
}

/// Declares a draft on an object root now and then, so that draft-specific reading (ignored
/// keywords, tuple forms) is exercised, including across versions.
fn maybe_set_draft(schema: &mut Value, rng: &mut Lcg) {
    let draft = match rng.below(10) {
        0 | 1 => "http://json-schema.org/draft-07/schema#",
        2 => "https://json-schema.org/draft/2019-09/schema",
        _ => return,
    };
    if let Some(root) = schema.as_object_mut() {
        root.insert("$schema".into(), json!(draft));
    }
}

static PAIRS: AtomicUsize = AtomicUsize::new(0);
static COMPATIBLE_PAIRS: AtomicUsize = AtomicUsize::new(0);
static NON_IDENTICAL_COMPATIBLE: AtomicUsize = AtomicUsize::new(0);
static DOCS: AtomicUsize = AtomicUsize::new(0);
static VALID_DOCS: AtomicUsize = AtomicUsize::new(0);

fn check_pair(old: &Value, new: &Value, docs: &[Value], seed: u64) -> Result<(), TestCaseError> {
    let refs = BTreeMap::new();
    let findings = compare(old, new, Direction::Backward, Policy::Strict, &refs);
    PAIRS.fetch_add(1, Ordering::Relaxed);
    if !findings.iter().all(|f| f.compatible) {
        return Ok(());
    }
    let (Ok(old_v), Ok(new_v)) = (jsonschema::validator_for(old), jsonschema::validator_for(new)) else {
        return Ok(());
    };
    COMPATIBLE_PAIRS.fetch_add(1, Ordering::Relaxed);
    if old != new {
        NON_IDENTICAL_COMPATIBLE.fetch_add(1, Ordering::Relaxed);
    }
    let mut rng = Lcg(seed);
    let guided: Vec<Value> = (0..48).map(|_| instance_for(old, &mut rng, 0)).collect();
    for doc in docs.iter().chain(&guided) {
        DOCS.fetch_add(1, Ordering::Relaxed);
        if !old_v.is_valid(doc) {
            continue;
        }
        VALID_DOCS.fetch_add(1, Ordering::Relaxed);
        if !new_v.is_valid(doc) {
            return Err(TestCaseError::fail(format!(
                "UNSOUND: checker said BACKWARD compatible but a document valid under old is invalid under new\nold: {old}\nnew: {new}\ndoc: {doc}\nfindings: {}",
                serde_json::to_string_pretty(&findings).unwrap_or_default()
            )));
        }
    }
    Ok(())
}

#[test]
fn backward_compatible_verdicts_are_sound() {
    let cases: u32 =
        std::env::var("COMPAT_SOUNDNESS_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(3000);
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let strategy = (schema(), vec(any::<u64>(), 1..4), vec(random_doc(), 24), any::<u64>());
    let result = runner.run(&strategy, |(old, seeds, docs, doc_seed)| {
        let mut old = old;
        let mut new = old.clone();
        for seed in &seeds {
            mutate(&mut new, &mut Lcg(*seed));
        }
        let mut rng = Lcg(doc_seed.rotate_left(17));
        for side in [&mut old, &mut new] {
            if rng.chance(35) {
                refactor_into_defs(side, &mut rng);
            }
            maybe_set_draft(side, &mut rng);
        }
        check_pair(&old, &new, &docs, doc_seed)?;
        // The reverse pair exercises the same code as a FORWARD check.
        check_pair(&new, &old, &docs, doc_seed ^ 0x9e37_79b9)
    });
    let pairs = PAIRS.load(Ordering::Relaxed);
    let compatible = COMPATIBLE_PAIRS.load(Ordering::Relaxed);
    let changed = NON_IDENTICAL_COMPATIBLE.load(Ordering::Relaxed);
    let docs = DOCS.load(Ordering::Relaxed);
    let valid = VALID_DOCS.load(Ordering::Relaxed);
    println!(
        "compat soundness: {pairs} schema pairs checked, {compatible} judged BACKWARD compatible ({changed} of them non-identical); {docs} documents tried against them, {valid} valid under the old schema and all of those valid under the new one"
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    // Guard against a generator that stops producing meaningful cases.
    assert!(changed >= 200, "only {changed} non-identical compatible pairs were generated");
    assert!(valid >= 5_000, "only {valid} documents were valid under the old schema");
}

/// Found by the `compat` fuzz target: with `unevaluatedProperties: false`, members an
/// old `allOf` evaluated become unevaluated when the `allOf` goes, so `{"a": 1}` no
/// longer validates; the checker had only looked at the new side's applicators.
#[test]
fn dropping_an_evaluating_all_of_next_to_unevaluated_properties_is_not_backward_compatible() {
    let old = json!({"type": "object", "allOf": [{"properties": {"a": {}}}], "unevaluatedProperties": false});
    let new = json!({"type": "object", "unevaluatedProperties": false});
    let findings = compare(&old, &new, Direction::Backward, Policy::Strict, &BTreeMap::new());
    assert!(findings.iter().any(|f| !f.compatible), "{findings:?}");
    let (old_v, new_v) = (jsonschema::validator_for(&old).unwrap(), jsonschema::validator_for(&new).unwrap());
    assert!(old_v.is_valid(&json!({"a": 1})) && !new_v.is_valid(&json!({"a": 1})));
}
