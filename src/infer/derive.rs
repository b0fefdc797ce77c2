//! Derivation of a JSON Schema (2020-12) from a merge state and hints.
//!
//! A pure function of `(Node, Hints, DeriveOptions)`: nothing here looks at samples, so a
//! persisted state plus the persisted hints always give back the same bytes.

use serde_json::{Map, Value, json};

use std::collections::BTreeSet;
use std::sync::Arc;

use super::formats;
use super::hints::{Applied, Compiled};
use super::knowledge::{Applicable, Knowledge};
use super::maps;
use super::state::{
    ENUM_DOC_FINGERPRINTS, KIND_ARRAY, KIND_BOOLEAN, KIND_NUMBER, KIND_OBJECT, KIND_STRING, Node,
};

/// Maximum distinct values for an `x-enum-candidates` annotation.
pub const ENUM_CANDIDATES_MAX: usize = 16;

/// Default [`DeriveOptions::min_required`]: chosen from the generalisation benchmark
/// (`docs/INFERENCE.md`, "Generalisation"); with three the corpus' held-out events omit
/// properties present in all three training samples.
pub const DEFAULT_MIN_REQUIRED: u64 = 4;

/// Options for [`derive_schema_with`](super::derive_schema_with).
///
/// The default is the measured one: `min_required` [`DEFAULT_MIN_REQUIRED`], nulls
/// [`NullPolicy::All`]. [`DeriveOptions::exact`] describes the samples and nothing more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeriveOptions {
    /// Add `x-schemabus-stats` (counts) at every position. Off by default so that feeding
    /// the same samples again leaves the schema byte-identical.
    pub stats: bool,
    /// A `title` for the root schema (e.g. the event type name).
    pub title: Option<String>,
    /// Least number of distinct samples a property must have been present in (present in
    /// every object at its position, too) before it is made `required`, and that a format
    /// must have matched in before `format` is asserted. `0` and `1` mean "every sample is
    /// enough"; counts are exact up to [`EVIDENCE_DOCS`](super::EVIDENCE_DOCS), so more
    /// than that is never reached. Below the threshold the property stays optional (`x-schemabus-optional`)
    /// and the format is a candidate (`x-schemabus-format`), both with their counts, so they
    /// become assertions as evidence grows.
    pub min_required: u64,
    /// What a `null` not yet seen at a property means (see [`NullPolicy`]).
    pub nulls: NullPolicy,
    /// What same-named structures of registered schemas show (none by default).
    pub registry: Option<RegistryKnowledge>,
    /// Describe the keys seen and nothing else: no map heuristics (only a `map` hint or a
    /// collapsed state makes a map) and every record `additionalProperties: false`, as if a
    /// `closed` hint named it. Drift uses it with [`DeriveOptions::observed`].
    pub close_records: bool,
}

/// [`Knowledge`] to apply, and the schema it must not learn from (the one being inferred,
/// whose registered form came from these very samples).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryKnowledge {
    /// What was learned.
    pub knowledge: Arc<Knowledge>,
    /// Source name (`registry/schema`) left out.
    pub exclude: Option<String>,
}

impl Default for DeriveOptions {
    fn default() -> Self {
        DeriveOptions {
            stats: false,
            title: None,
            min_required: DEFAULT_MIN_REQUIRED,
            nulls: NullPolicy::All,
            registry: None,
            close_records: false,
        }
    }
}

impl DeriveOptions {
    /// Exactly what the samples show: every always-present property required, every format
    /// asserted, only observed nulls, no registry knowledge (the behaviour before issue 24).
    pub fn exact() -> Self {
        DeriveOptions { min_required: 1, nulls: NullPolicy::Observed, ..DeriveOptions::default() }
    }

    /// What the samples showed and nothing beyond: [`DeriveOptions::exact`] with every
    /// record closed to the keys seen and no map heuristics. Comparing this with a contract
    /// tells whether the traffic seen broke it: an open record would "allow anything" for
    /// keys no sample held, a detected map any value type for them.
    pub fn observed() -> Self {
        DeriveOptions { close_records: true, ..DeriveOptions::exact() }
    }
}

/// Which property positions accept `null` although no sample held one there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NullPolicy {
    /// Only positions where a `null` was seen are nullable.
    Observed,
    /// Properties holding only primitive values (strings, numbers, booleans) accept `null`
    /// as well.
    Scalars,
    /// Every property (primitives, objects and arrays) accepts `null` as well.
    All,
}

impl std::str::FromStr for NullPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "observed" => Ok(NullPolicy::Observed),
            "scalars" => Ok(NullPolicy::Scalars),
            "all" => Ok(NullPolicy::All),
            _ => Err(format!("{s:?} is not a null policy: give observed, scalars or all")),
        }
    }
}

impl NullPolicy {
    /// The policy's name as written in requests and annotations.
    pub fn as_str(self) -> &'static str {
        match self {
            NullPolicy::Observed => "observed",
            NullPolicy::Scalars => "scalars",
            NullPolicy::All => "all",
        }
    }
}

/// Where a node sits, for the null rules.
#[derive(Debug, Clone, Copy, Default)]
struct Place {
    /// A property value or map value: the positions the null policy applies to (not the
    /// root, not array elements).
    property: bool,
    /// Registry knowledge says this property can be null.
    known_nullable: bool,
}

const ROOT_OR_ITEM: Place = Place { property: false, known_nullable: false };
const PROPERTY: Place = Place { property: true, known_nullable: false };

pub(crate) fn derive_root(root: &Node, hints: &Compiled, opts: &DeriveOptions) -> Value {
    let mut path = Vec::new();
    let mut s = derive(root, hints, opts, &mut path, ROOT_OR_ITEM);
    s.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
    if let Some(t) = &opts.title {
        s.insert("title".into(), json!(t));
    }
    canonical(Value::Object(s))
}

fn derive(
    node: &Node,
    hints: &Compiled,
    opts: &DeriveOptions,
    path: &mut Vec<String>,
    place: Place,
) -> Map<String, Value> {
    let applied = hints.at(path);
    let kinds = node.kinds();
    let structured = kinds & (KIND_OBJECT | KIND_ARRAY);
    let by_policy = place.property
        && node.nulls == 0
        && kinds != 0
        && match opts.nulls {
            NullPolicy::Observed => false,
            NullPolicy::Scalars => structured == 0,
            NullPolicy::All => true,
        };
    let by_registry = place.known_nullable && node.nulls == 0 && kinds != 0 && !by_policy;
    let nullable = node.nulls > 0 || by_policy || by_registry;
    let mut s = if kinds == 0 {
        // Never `type: null`: the next payload will carry a real value.
        let mut s = Map::new();
        if node.nulls > 0 {
            s.insert("x-schemabus-null-only".into(), json!(true));
        }
        s
    } else if structured == 0 || kinds.count_ones() == 1 {
        let mut s = Map::new();
        let mut types: Vec<&str> = type_names(kinds);
        if nullable {
            types.push("null");
        }
        s.insert("type".into(), type_value(types));
        keywords(&mut s, node, kinds, applied, hints, opts, path);
        s
    } else {
        // Objects or arrays mixed with other types: one branch per structured type, one for
        // the primitives, one for null. Keywords are type-specific in JSON Schema, so the
        // flat form would validate the same; anyOf is kept because generators read it better.
        let mut branches = Vec::new();
        for k in [KIND_OBJECT, KIND_ARRAY] {
            if kinds & k != 0 {
                let mut b = Map::new();
                b.insert("type".into(), type_value(type_names(k)));
                keywords(&mut b, node, k, applied, hints, opts, path);
                branches.push(Value::Object(b));
            }
        }
        let prims = kinds & (KIND_BOOLEAN | KIND_NUMBER | KIND_STRING);
        if prims != 0 {
            let mut b = Map::new();
            b.insert("type".into(), type_value(type_names(prims)));
            keywords(&mut b, node, prims, applied, hints, opts, path);
            branches.push(Value::Object(b));
        }
        if nullable {
            branches.push(json!({"type": "null"}));
        }
        let mut s = Map::new();
        s.insert("anyOf".into(), Value::Array(branches));
        s
    };
    // A closed enum lists every accepted value, so it takes `null` whenever the type does
    // (seen or by policy); `string_keywords` only lists the strings.
    if nullable && let Some(Value::Array(e)) = s.get_mut("enum") {
        e.push(Value::Null);
    }
    if by_policy {
        // Why the schema accepts a null no sample held (docs/INFERENCE.md, null policy).
        s.insert("x-schemabus-nullable".into(), json!(opts.nulls.as_str()));
    } else if by_registry {
        s.insert("x-schemabus-nullable".into(), json!("registry"));
    }
    if opts.stats {
        s.insert("x-schemabus-stats".into(), stats(node));
    }
    s
}

fn type_names(kinds: u8) -> Vec<&'static str> {
    let mut v = Vec::new();
    for (bit, name) in [
        (KIND_ARRAY, "array"),
        (KIND_BOOLEAN, "boolean"),
        (KIND_NUMBER, "number"),
        (KIND_OBJECT, "object"),
        (KIND_STRING, "string"),
    ] {
        if kinds & bit != 0 {
            v.push(name);
        }
    }
    v
}

fn type_value(mut types: Vec<&str>) -> Value {
    types.sort_unstable();
    if types.len() == 1 { json!(types[0]) } else { json!(types) }
}

fn keywords(
    s: &mut Map<String, Value>,
    node: &Node,
    kinds: u8,
    applied: Applied,
    hints: &Compiled,
    opts: &DeriveOptions,
    path: &mut Vec<String>,
) {
    if kinds & KIND_NUMBER != 0 {
        s.insert("x-schemabus-integer".into(), json!(node.fractions == 0));
        if let (Some(min), Some(max)) = (&node.min, &node.max) {
            s.insert("x-schemabus-range".into(), json!([min, max]));
        }
    }
    if kinds & KIND_STRING != 0 {
        string_keywords(s, node, kinds, applied, opts.min_required.max(1));
    }
    if kinds & KIND_OBJECT != 0 {
        object_keywords(s, node, applied, hints, opts, path);
    }
    if kinds & KIND_ARRAY != 0
        && let Some(items) = &node.items
    {
        path.push("*".into());
        let items = derive(items, hints, opts, path, ROOT_OR_ITEM);
        path.pop();
        s.insert("items".into(), Value::Object(items));
    }
}

fn string_keywords(s: &mut Map<String, Value>, node: &Node, kinds: u8, applied: Applied, needed: u64) {
    if let Some(f) = formats::name(node.formats) {
        if node.string_evidence() >= needed {
            s.insert("format".into(), json!(f));
        } else {
            // A format is a claim about every future value, like `required`: too few strings
            // matched it to assert it (a console test sends `sourceIp: "test-invoke-source-ip"`).
            s.insert(
                "x-schemabus-format".into(),
                json!({"candidate": f, "reason": "evidence", "present": node.string_evidence(), "needed": needed}),
            );
        }
    }
    if applied.enumerate {
        // A closed enum is only sound when every observed value is known and a string.
        match &node.values {
            Some(values) if kinds == KIND_STRING => {
                let e: Vec<Value> = values.keys().map(|v| json!(v)).collect();
                s.insert("enum".into(), Value::Array(e));
            }
            Some(_) => {
                s.insert("x-schemabus-enum-hint".into(), json!("ignored: values of several types"));
            }
            None => {
                s.insert("x-schemabus-enum-hint".into(), json!("ignored: too many or too long values"));
            }
        }
        return;
    }
    if let Some(values) = &node.values
        && !values.is_empty()
        && values.len() <= ENUM_CANDIDATES_MAX
        && values.values().all(|docs| docs.len() >= ENUM_DOC_FINGERPRINTS)
    {
        let c: Vec<&String> = values.keys().collect();
        s.insert("x-enum-candidates".into(), json!(c));
    }
}

fn object_keywords(
    s: &mut Map<String, Value>,
    node: &Node,
    applied: Applied,
    hints: &Compiled,
    opts: &DeriveOptions,
    path: &mut Vec<String>,
) {
    let known = knowledge_at(node, opts, path);
    let reason = if node.collapsed.is_some() {
        Some(maps::MapReason::Collapsed)
    } else if applied.map {
        Some(maps::MapReason::Hint)
    } else if applied.record {
        None
    } else {
        if opts.close_records {
            None // the keys seen, as a closed record: heuristics are a generalisation
        } else {
            maps::detect(node).or(known.map.as_ref().map(|_| maps::MapReason::Registry))
        }
    };
    if let Some(reason) = reason {
        let values = maps::merged_values(node);
        path.push("*".into());
        let v = derive(&values, hints, opts, path, PROPERTY);
        path.pop();
        s.insert("additionalProperties".into(), Value::Object(v));
        s.insert("x-schemabus-map".into(), json!(reason.as_str()));
        if let (maps::MapReason::Registry, Some(sources)) = (reason, &known.map) {
            s.insert("x-schemabus-map-sources".into(), json!(sources));
        }
        return;
    }
    let mut props = Map::new();
    let mut required = Vec::new();
    let needed = opts.min_required.max(1);
    for (k, child) in &node.properties {
        path.push(k.clone());
        let place = Place { property: true, known_nullable: known.nullable.contains_key(k) };
        let mut c = derive(child, hints, opts, path, place);
        path.pop();
        if child.seen == node.objects {
            if let Some(sources) = known.optional.get(k) {
                // Present every time here, but other schemas show the same structure without it.
                c.insert("x-schemabus-optional".into(), json!({"reason": "registry", "sources": sources}));
            } else if child.presence() >= needed {
                required.push(json!(k));
            } else {
                // Present every time, but too rarely seen to promise it: optional, with the
                // evidence so far (it becomes required once `needed` samples held it).
                c.insert(
                    "x-schemabus-optional".into(),
                    json!({"reason": "evidence", "present": child.presence(), "needed": needed}),
                );
            }
        }
        props.insert(k.clone(), Value::Object(c));
    }
    s.insert("properties".into(), Value::Object(props));
    if !required.is_empty() {
        s.insert("required".into(), Value::Array(required));
    }
    if applied.closed || opts.close_records {
        s.insert("additionalProperties".into(), json!(false));
    }
}

/// Registry knowledge for the object at `path`, named by its last segment (objects that are
/// array elements or map values have no name of their own and get none).
fn knowledge_at(node: &Node, opts: &DeriveOptions, path: &[String]) -> Applicable {
    let (Some(r), Some(name)) = (&opts.registry, path.last()) else { return Applicable::default() };
    if name == "*" || node.collapsed.is_some() {
        return Applicable::default();
    }
    let keys: BTreeSet<&str> = node.properties.keys().map(String::as_str).collect();
    r.knowledge.at(name, &keys, maps::uniform_values(node), r.exclude.as_deref())
}

fn stats(node: &Node) -> Value {
    let mut m = Map::new();
    m.insert("seen".into(), json!(node.seen));
    for (name, n) in [
        ("null", node.nulls),
        ("boolean", node.booleans),
        ("integer", node.integers),
        ("fraction", node.fractions),
        ("string", node.strings),
        ("object", node.objects),
        ("array", node.arrays),
    ] {
        if n > 0 {
            m.insert(name.into(), json!(n));
        }
    }
    Value::Object(m)
}

/// Rebuilds every object with its keys in sorted order. serde_json is compiled with
/// `preserve_order` in this crate, so sorting here is what makes equal shapes equal bytes.
pub fn canonical(v: Value) -> Value {
    match v {
        Value::Object(o) => {
            let mut entries: Vec<(String, Value)> = o.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, canonical(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(canonical).collect()),
        leaf @ (Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_)) => leaf,
    }
}
