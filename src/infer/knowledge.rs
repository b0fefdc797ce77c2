//! Registry knowledge: what same-named structures of registered schemas show.
//!
//! A `repository` object appears in dozens of event types. When the samples of one type
//! have seen it only a few times, the other schemas holding a `repository` already say
//! which of its fields can be null, which can be missing, or that it is a map. The rule
//! (docs/INFERENCE.md, "Registry knowledge"):
//!
//! - Knowledge is learned per **property name** from the object schemas under
//!   `properties/<name>` anywhere in registered schemas, walking only the keywords that
//!   say what a value is (`properties`, `patternProperties`, `items`, `prefixItems`,
//!   `additionalProperties`, `anyOf`/`oneOf`/`allOf`, `$defs`/`definitions`), never
//!   `not`, `if`/`then`/`else` or `contains`. A property is known optional only where
//!   its object declares a `required` array without it.
//!   What inference itself only assumed is not learned: properties made optional for lack
//!   of evidence, nulls accepted by policy, and anything learned from knowledge.
//! - It applies at an inferred object under the same name when at least half of the keys
//!   the samples show there are keys the other schemas name (the shapes agree), or, for
//!   map-ness, when every other schema has the name as a map and the sampled values share
//!   one type.
//! - For fields it widens: a known-optional field is not required, a known-nullable
//!   field accepts null; a value of another type is still refused. For map-ness it
//!   changes the shape: a known map is a map, which also accepts unseen keys but
//!   constrains every value to the values' type.
//!
//! Pure: built from schema documents, no I/O.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// What one registered schema shows about one named object structure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Facts {
    /// Properties named under it.
    properties: BTreeSet<String>,
    /// Properties that accept `null` there.
    nullable: BTreeSet<String>,
    /// Properties not in its `required`.
    optional: BTreeSet<String>,
    /// It is a map (`additionalProperties` schema, no `properties`).
    map: bool,
}

/// Knowledge from a set of registered schemas; see the module docs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Knowledge {
    /// Property name -> source schema (`registry/schema`) -> facts, merged over its
    /// occurrences in that schema.
    by_name: BTreeMap<String, BTreeMap<String, Facts>>,
}

/// What applies at one inferred object position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Applicable {
    pub(crate) nullable: BTreeMap<String, Vec<String>>,
    pub(crate) optional: BTreeMap<String, Vec<String>>,
    /// Sources that have the name as a map (all of them do), when map-ness applies.
    pub(crate) map: Option<Vec<String>>,
}

impl Knowledge {
    /// No knowledge.
    pub fn new() -> Self {
        Self::default()
    }

    /// Learns from one registered schema, named `source` (e.g. `shop/orders@OrderPlaced`).
    pub fn learn(&mut self, source: &str, schema: &Value) {
        let mut found: Vec<(String, Facts)> = Vec::new();
        walk(schema, &mut found, 0);
        for (name, facts) in found {
            let slot = self.by_name.entry(name).or_default().entry(source.to_owned()).or_default();
            slot.properties.extend(facts.properties);
            slot.nullable.extend(facts.nullable);
            slot.optional.extend(facts.optional);
            slot.map |= facts.map;
        }
    }

    /// Number of named structures known.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// True when nothing was learned.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// What applies to an object under property `name` whose samples show `keys`, from
    /// every source but `exclude` (the schema being inferred).
    pub(crate) fn at(
        &self,
        name: &str,
        keys: &BTreeSet<&str>,
        uniform: bool,
        exclude: Option<&str>,
    ) -> Applicable {
        let mut out = Applicable::default();
        let Some(sources) = self.by_name.get(name) else { return out };
        let sources: Vec<(&String, &Facts)> =
            sources.iter().filter(|(s, _)| Some(s.as_str()) != exclude).collect();
        if sources.is_empty() {
            return out;
        }
        if uniform && sources.iter().all(|(_, f)| f.map && f.properties.is_empty()) {
            out.map = Some(sources.iter().map(|(s, _)| (*s).clone()).collect());
            return out;
        }
        let known: BTreeSet<&str> =
            sources.iter().flat_map(|(_, f)| f.properties.iter().map(String::as_str)).collect();
        let shared = keys.iter().filter(|k| known.contains(*k)).count();
        if keys.is_empty() || shared * 2 < keys.len() {
            return out; // another structure under the same name
        }
        for (source, f) in sources {
            for p in f.nullable.iter().filter(|p| keys.contains(p.as_str())) {
                out.nullable.entry(p.clone()).or_default().push(source.clone());
            }
            for p in f.optional.iter().filter(|p| keys.contains(p.as_str())) {
                out.optional.entry(p.clone()).or_default().push(source.clone());
            }
        }
        out
    }
}

/// Deepest schema nesting walked (registered schemas are bounded by the registry's own
/// limits; this only guards the recursion).
const MAX_DEPTH: usize = 64;

fn walk(schema: &Value, found: &mut Vec<(String, Facts)>, depth: usize) {
    let Value::Object(o) = schema else { return };
    if depth > MAX_DEPTH {
        return;
    }
    if let Some(Value::Object(props)) = o.get("properties") {
        for (name, sub) in props {
            if let Some(facts) = object_facts(sub) {
                found.push((name.clone(), facts));
            }
        }
    }
    // Only the keywords that say what a value *is*. `not`, `if`/`then`/`else`,
    // `contains`, `propertyNames`, `dependentSchemas` describe what a value must not be
    // or only sometimes is: a `repository` under `not` is the opposite of knowledge.
    for (k, v) in o {
        match (k.as_str(), v) {
            ("properties" | "patternProperties" | "$defs" | "definitions", Value::Object(children)) => {
                for c in children.values() {
                    walk(c, found, depth + 1);
                }
            }
            ("items" | "additionalItems" | "additionalProperties", Value::Object(_)) => {
                walk(v, found, depth + 1);
            }
            ("items" | "prefixItems" | "anyOf" | "oneOf" | "allOf", Value::Array(items)) => {
                for i in items {
                    walk(i, found, depth + 1);
                }
            }
            _ => {}
        }
    }
}

/// The facts of a property's schema when it describes an object (directly or as one
/// branch of `anyOf`/`oneOf`).
fn object_facts(sub: &Value) -> Option<Facts> {
    let o = sub.as_object()?;
    let object = if o.contains_key("properties") || is_object_type(o.get("type")) {
        o
    } else {
        ["anyOf", "oneOf"]
            .iter()
            .filter_map(|k| o.get(*k)?.as_array())
            .flatten()
            .filter_map(Value::as_object)
            .find(|b| b.contains_key("properties") || is_object_type(b.get("type")))?
    };
    if object.get("x-schemabus-map").is_some_and(|r| r == "registry") {
        return None; // learned from knowledge itself: learning it back would feed a loop
    }
    let mut f = Facts::default();
    let props = object.get("properties").and_then(Value::as_object);
    if props.is_none_or(serde_json::Map::is_empty) {
        f.map = object.get("additionalProperties").is_some_and(Value::is_object);
        return (f.map).then_some(f);
    }
    // Optional-ness is learned only where the schema states what is required: a schema
    // without a `required` array says nothing about presence (it may simply be loose, or
    // list requirements elsewhere, under `allOf`).
    let required: Option<BTreeSet<&str>> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect());
    for (name, p) in props.into_iter().flatten() {
        f.properties.insert(name.clone());
        let assumed = |key: &str| p.get(key).is_some();
        // What inference assumed rather than saw is not knowledge (module docs).
        if required.as_ref().is_some_and(|r| !r.contains(name.as_str())) && !assumed("x-schemabus-optional") {
            f.optional.insert(name.clone());
        }
        if accepts_null(p) && !assumed("x-schemabus-nullable") {
            f.nullable.insert(name.clone());
        }
    }
    Some(f)
}

fn is_object_type(t: Option<&Value>) -> bool {
    match t {
        Some(Value::String(s)) => s == "object",
        Some(Value::Array(a)) => a.iter().any(|v| v == "object"),
        _ => false,
    }
}

fn accepts_null(p: &Value) -> bool {
    let is_null = |t: &Value| t == "null" || t.as_array().is_some_and(|a| a.iter().any(|v| v == "null"));
    p.get("type").is_some_and(is_null)
        || ["anyOf", "oneOf"]
            .iter()
            .filter_map(|k| p.get(*k)?.as_array())
            .flatten()
            .any(|b| b.get("type").is_some_and(is_null))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn learns_nullable_optional_and_maps_but_not_what_inference_assumed() {
        let mut k = Knowledge::new();
        k.learn(
            "a/push",
            &json!({"properties": {"repository": {"type": "object", "required": ["id", "name"],
                "properties": {"id": {"type": "number"}, "name": {"type": "string"},
                    "homepage": {"type": ["null", "string"]},
                    "guess": {"type": ["null", "string"], "x-schemabus-nullable": "all"}}},
                "labels": {"type": "object", "additionalProperties": {"type": "number"}}}}),
        );
        let keys: BTreeSet<&str> = ["id", "name", "homepage", "guess"].into();
        let at = k.at("repository", &keys, false, None);
        assert_eq!(at.nullable.keys().collect::<Vec<_>>(), vec!["homepage"]);
        assert_eq!(at.optional.keys().collect::<Vec<_>>(), vec!["guess", "homepage"]);
        assert!(at.map.is_none());
        // Another shape under the same name: nothing applies.
        let other: BTreeSet<&str> = ["url", "sha", "ref"].into();
        assert_eq!(k.at("repository", &other, false, None), Applicable::default());
        // Excluding the only source: nothing applies.
        assert_eq!(k.at("repository", &keys, false, Some("a/push")), Applicable::default());
        let labels: BTreeSet<&str> = ["bug"].into();
        assert_eq!(k.at("labels", &labels, true, None).map, Some(vec!["a/push".to_owned()]));
        assert!(k.at("labels", &labels, false, None).map.is_none(), "values of several types");
    }

    #[test]
    fn presence_is_learned_only_where_required_is_declared() {
        let mut k = Knowledge::new();
        k.learn(
            "a/loose",
            &json!({"properties": {"owner": {"type": "object",
                "properties": {"id": {"type": "number"}, "login": {"type": ["string", "null"]}}}}}),
        );
        let keys: BTreeSet<&str> = ["id", "login"].into();
        let at = k.at("owner", &keys, false, None);
        assert!(at.optional.is_empty(), "no `required` array: nothing known about presence");
        assert_eq!(at.nullable.keys().collect::<Vec<_>>(), vec!["login"]);
    }

    #[test]
    fn negated_and_conditional_subschemas_teach_nothing() {
        let mut k = Knowledge::new();
        let shape = json!({"type": "object", "required": [], "properties": {
            "id": {"type": ["number", "null"]}, "name": {"type": "string"}}});
        k.learn(
            "a/odd",
            &json!({"not": {"properties": {"owner": shape}},
                "if": {"properties": {"owner": shape}}, "then": {"properties": {"owner": shape}},
                "contains": {"properties": {"owner": shape}},
                "propertyNames": {"properties": {"owner": shape}}}),
        );
        assert!(k.is_empty(), "{k:?}");
        // The same shape under the keywords that say what a value is, is learned.
        for (i, wrap) in [
            json!({"items": {"properties": {"owner": shape}}}),
            json!({"items": [{"properties": {"owner": shape}}]}),
            json!({"prefixItems": [{"properties": {"owner": shape}}]}),
            json!({"allOf": [{"properties": {"owner": shape}}]}),
            json!({"$defs": {"x": {"properties": {"owner": shape}}}}),
            json!({"additionalProperties": {"properties": {"owner": shape}}}),
        ]
        .iter()
        .enumerate()
        {
            let mut k = Knowledge::new();
            k.learn("a/ok", wrap);
            assert_eq!(k.len(), 1, "case {i}: {wrap}");
        }
    }
}
