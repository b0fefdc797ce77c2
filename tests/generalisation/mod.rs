//! The generalisation measure of issue 24, shared by `tests/infer_generalisation.rs` (the CI
//! floor with the default settings) and `benches/infer_generalisation.rs` (the full table
//! per setting, beside GenSON).
//!
//! Per type of `tests/fixtures/infer-corpus/<provider>/<type>/*.json`: samples at even
//! positions (file-name order) train, odd positions are held out. A schema is inferred from
//! the training half and must accept the held-out half. Each accepted held-out sample is then
//! mutated, from facts about the *training samples only* (independent of any inferrer, so
//! the same mutants test every inferrer):
//!
//! - **type mutants**: every string leaf at a position that held only strings in training
//!   becomes the number `1234`;
//! - **required mutants**: a property is removed where its requiredness is established:
//!   the key was present in every object at its position in training, in at least
//!   [`ESTABLISHED`] distinct training samples, and in every held-out object too.
//!
//! A position is a JSON Pointer with array indexes replaced by `*`.

#![allow(dead_code, reason = "each of the two users reads a different part")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Value, json};

/// Distinct training samples a key must have been present in (present in every object at
/// its position) for its removal to count as a mutant. Four, the defaults' bar: in this
/// corpus a key present in all three training samples of a type is absent from the next
/// (`isBase64Encoded` in `ApiGatewayV2httpRequest`), so three does not establish anything.
pub const ESTABLISHED: usize = 4;

/// One event type and its samples, in file-name order.
pub struct TypeSamples {
    /// `<provider>/<type>`.
    pub name: String,
    pub samples: Vec<Value>,
}

/// Loads the corpus (every provider directory under `dir`).
pub fn load(dir: &Path) -> Vec<TypeSamples> {
    let mut out = Vec::new();
    for provider in sorted(dir) {
        if !provider.is_dir() {
            continue;
        }
        for ty in sorted(&provider) {
            let samples: Vec<Value> = sorted(&ty)
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .map(|p| {
                    let bytes = std::fs::read(&p).expect("read sample");
                    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
                })
                .collect();
            let name = format!(
                "{}/{}",
                provider.file_name().expect("provider dir").to_string_lossy(),
                ty.file_name().expect("type dir").to_string_lossy()
            );
            out.push(TypeSamples { name, samples });
        }
    }
    out
}

/// The repository's corpus.
pub fn corpus() -> Vec<TypeSamples> {
    load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/infer-corpus"))
}

fn sorted(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir).expect("read dir").map(|e| e.expect("entry").path()).collect();
    v.sort();
    v
}

/// The training half (even positions) and the held-out half (odd positions).
pub fn split(samples: &[Value]) -> (Vec<Value>, Vec<Value>) {
    let train = samples.iter().step_by(2).cloned().collect();
    let held = samples.iter().skip(1).step_by(2).cloned().collect();
    (train, held)
}

/// What the training samples show at each position.
#[derive(Default)]
struct Facts {
    /// JSON types seen per position.
    types: BTreeMap<String, BTreeSet<&'static str>>,
    /// Objects seen per position, and per (position, key) how many of them held the key.
    objects: BTreeMap<String, u64>,
    keys: BTreeMap<(String, String), u64>,
    /// Per (position, key), the training samples (by index) that held it.
    samples: BTreeMap<(String, String), BTreeSet<usize>>,
}

impl Facts {
    fn of(samples: &[Value]) -> Facts {
        let mut f = Facts::default();
        for (i, s) in samples.iter().enumerate() {
            f.walk(s, String::new(), i);
        }
        f
    }

    fn walk(&mut self, v: &Value, at: String, sample: usize) {
        self.types.entry(at.clone()).or_default().insert(kind(v));
        match v {
            Value::Object(o) => {
                *self.objects.entry(at.clone()).or_default() += 1;
                for (k, c) in o {
                    *self.keys.entry((at.clone(), k.clone())).or_default() += 1;
                    self.samples.entry((at.clone(), k.clone())).or_default().insert(sample);
                    self.walk(c, format!("{at}/{}", escape(k)), sample);
                }
            }
            Value::Array(a) => {
                for c in a {
                    self.walk(c, format!("{at}/*"), sample);
                }
            }
            _ => {}
        }
    }

    /// Keys present in every object at their position, in at least `ESTABLISHED` samples.
    fn always(&self) -> BTreeSet<(String, String)> {
        self.keys
            .iter()
            .filter(|((at, _), n)| self.objects.get(at) == Some(n))
            .filter(|(k, _)| self.samples[*k].len() >= ESTABLISHED)
            .map(|(k, _)| k.clone())
            .collect()
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn escape(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

/// Every variant of `doc` with one string leaf (at a position that held only strings in
/// training) replaced by a number.
fn type_mutants(doc: &Value, facts: &Facts) -> Vec<Value> {
    let mut out = Vec::new();
    let mut leaves = Vec::new();
    collect_leaves(doc, String::new(), String::new(), &mut leaves);
    for (concrete, pattern) in leaves {
        let only_strings = facts.types.get(&pattern).is_some_and(|t| t.len() == 1 && t.contains("string"));
        if only_strings {
            let mut m = doc.clone();
            *m.pointer_mut(&concrete).expect("leaf exists") = json!(1234);
            out.push(m);
        }
    }
    out
}

fn collect_leaves(v: &Value, concrete: String, pattern: String, out: &mut Vec<(String, String)>) {
    match v {
        Value::String(_) => out.push((concrete, pattern)),
        Value::Object(o) => {
            for (k, c) in o {
                let k = escape(k);
                collect_leaves(c, format!("{concrete}/{k}"), format!("{pattern}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                collect_leaves(c, format!("{concrete}/{i}"), format!("{pattern}/*"), out);
            }
        }
        _ => {}
    }
}

/// Every variant of `doc` with one established-required key removed (its first occurrence).
fn required_mutants(doc: &Value, always: &BTreeSet<(String, String)>) -> Vec<Value> {
    let mut objects = Vec::new();
    collect_objects(doc, String::new(), String::new(), &mut objects);
    let mut out = Vec::new();
    let mut done = BTreeSet::new();
    for (concrete, pattern, keys) in objects {
        for k in keys {
            let id = (pattern.clone(), k.clone());
            if always.contains(&id) && done.insert(id) {
                let mut m = doc.clone();
                m.pointer_mut(&concrete).and_then(Value::as_object_mut).expect("object").shift_remove(&k);
                out.push(m);
            }
        }
    }
    out
}

fn collect_objects(
    v: &Value,
    concrete: String,
    pattern: String,
    out: &mut Vec<(String, String, Vec<String>)>,
) {
    match v {
        Value::Object(o) => {
            out.push((concrete.clone(), pattern.clone(), o.keys().cloned().collect()));
            for (k, c) in o {
                let k = escape(k);
                collect_objects(c, format!("{concrete}/{k}"), format!("{pattern}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                collect_objects(c, format!("{concrete}/{i}"), format!("{pattern}/*"), out);
            }
        }
        _ => {}
    }
}

/// Counts for one inferrer over the corpus.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub held: usize,
    pub accepted: usize,
    pub type_mutants: usize,
    pub type_rejected: usize,
    pub required_mutants: usize,
    pub required_rejected: usize,
    /// `type: first error` for each refused held-out sample.
    pub refusals: Vec<String>,
    /// `type: pointer` for each type mutant the schema accepted.
    pub missed: Vec<String>,
}

impl Tally {
    pub fn accepted_rate(&self) -> f64 {
        rate(self.accepted, self.held)
    }
    pub fn type_rejected_rate(&self) -> f64 {
        rate(self.type_rejected, self.type_mutants)
    }
    pub fn required_rejected_rate(&self) -> f64 {
        rate(self.required_rejected, self.required_mutants)
    }
    /// One table row: `accepted | type-mutants rejected | required-mutants rejected`.
    pub fn row(&self) -> String {
        format!(
            "{:.1} % ({}/{}) | {:.1} % ({}/{}) | {:.1} % ({}/{})",
            100.0 * self.accepted_rate(),
            self.accepted,
            self.held,
            100.0 * self.type_rejected_rate(),
            self.type_rejected,
            self.type_mutants,
            100.0 * self.required_rejected_rate(),
            self.required_rejected,
            self.required_mutants
        )
    }
}

fn rate(n: usize, d: usize) -> f64 {
    if d == 0 { 1.0 } else { n as f64 / d as f64 }
}

/// Compiles a schema the way the service validates (formats asserted). A `$schema` other than
/// 2020-12 (GenSON writes draft-04's URI) is dropped: the keywords inferrers emit mean the
/// same in every draft.
pub fn validator(schema: &Value) -> jsonschema::Validator {
    let mut s = schema.clone();
    if let Some(o) = s.as_object_mut()
        && o.get("$schema") != Some(&json!("https://json-schema.org/draft/2020-12/schema"))
    {
        o.remove("$schema");
    }
    jsonschema::options().should_validate_formats(true).build(&s).expect("inferred schema compiles")
}

/// Runs the measure. `schemas[i]` is the schema inferred from `split(&corpus[i].samples).0`.
pub fn evaluate(corpus: &[TypeSamples], schemas: &[Value]) -> Tally {
    let mut t = Tally::default();
    for (ty, schema) in corpus.iter().zip(schemas) {
        let (train, held) = split(&ty.samples);
        let v = validator(schema);
        for s in &train {
            assert!(v.is_valid(s), "{}: a training sample fails its own schema", ty.name);
        }
        let facts = Facts::of(&train);
        let always: BTreeSet<(String, String)> = {
            let held_facts = Facts::of(&held);
            facts
                .always()
                .into_iter()
                .filter(|(at, k)| {
                    let objects = held_facts.objects.get(at).copied().unwrap_or(0);
                    held_facts.keys.get(&(at.clone(), k.clone())).copied().unwrap_or(0) == objects
                })
                .collect()
        };
        for s in &held {
            t.held += 1;
            if let Some(e) = v.iter_errors(s).next() {
                t.refusals.push(format!("{}: {} at {}", ty.name, e, e.instance_path()));
                continue;
            }
            t.accepted += 1;
            for m in type_mutants(s, &facts) {
                t.type_mutants += 1;
                if v.is_valid(&m) {
                    t.missed.push(format!("{}: {}", ty.name, first_difference(s, &m)));
                } else {
                    t.type_rejected += 1;
                }
            }
            for m in required_mutants(s, &always) {
                t.required_mutants += 1;
                if !v.is_valid(&m) {
                    t.required_rejected += 1;
                }
            }
        }
    }
    t
}

fn first_difference(a: &Value, b: &Value) -> String {
    fn go(a: &Value, b: &Value, at: String) -> Option<String> {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                x.iter().find_map(|(k, v)| go(v, y.get(k)?, format!("{at}/{}", escape(k))))
            }
            (Value::Array(x), Value::Array(y)) => {
                x.iter().zip(y).enumerate().find_map(|(i, (v, w))| go(v, w, format!("{at}/{i}")))
            }
            _ if a != b => Some(at),
            _ => None,
        }
    }
    go(a, b, String::new()).unwrap_or_default()
}
