//! [`DocJson`]: the `jsonschema` representation of a [`Doc`], so a contract validates
//! an event's `detail` without building a `serde_json::Value` of it.
//!
//! jsonschema (0.61) is generic over the JSON representation it validates; this is the
//! contract it asks for, checked by its own conformance suite in the tests below, and
//! by the agreement tests with the `Value` validator.

use std::borrow::Cow;
use std::cell::Cell;

use jsonschema::json::{Array, Json, Node, NodeIdentity, Object};
use jsonschema::types::JsonType;
use serde_json::{Number, Value};

use super::Doc;

/// The marker type naming the representation (`jsonschema::options_for::<DocJson>()`).
#[derive(Debug, Clone, Copy)]
pub struct DocJson;

impl Json for DocJson {
    type Node<'a> = &'a Doc<'a>;
    type PreparedKey = String;
    type StringBuffer = ();

    // Members are a vector: one pass over them beats a scan per looked-up property.
    const KEYS_PER_LOOKUP: usize = 2;
    const ACYCLIC: bool = true;

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>((): &mut (), string: &str, f: impl FnOnce(Self::Node<'_>) -> T) -> T {
        thread_local! {
            // Backs every property-name node on this thread; allocates only to grow.
            static NAME: Cell<String> = const { Cell::new(String::new()) };
        }
        let mut name = NAME.take();
        name.clear();
        name.push_str(string);
        let node = Doc::String(Cow::Owned(name));
        let result = f(&node);
        if let Doc::String(Cow::Owned(name)) = node {
            NAME.set(name);
        }
        result
    }
}

/// An object's members, as jsonschema reads them.
pub type Members<'a> = &'a [(Cow<'a, str>, Doc<'a>)];

impl<'a> Node<'a, DocJson> for &'a Doc<'a> {
    type Object = Members<'a>;
    type Array = &'a [Doc<'a>];
    type Number = &'a Number;

    fn as_object(&self) -> Option<Members<'a>> {
        match self {
            Doc::Object(members) => Some(members),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<&'a [Doc<'a>]> {
        match self {
            Doc::Array(items) => Some(items),
            _ => None,
        }
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        match self {
            Doc::String(s) => Some(Cow::Borrowed(s.as_ref())),
            _ => None,
        }
    }

    fn as_number(&self) -> Option<&'a Number> {
        match self {
            Doc::Number(n) => Some(n),
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        match self {
            Doc::Bool(b) => Some(*b),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self, Doc::Null)
    }

    fn json_type(&self) -> JsonType {
        match self {
            Doc::Null => JsonType::Null,
            Doc::Bool(_) => JsonType::Boolean,
            Doc::Number(_) => JsonType::Number,
            Doc::String(_) => JsonType::String,
            Doc::Array(_) => JsonType::Array,
            Doc::Object(_) => JsonType::Object,
        }
    }

    fn string_length(&self) -> Option<u64> {
        self.as_str().map(|s| s.chars().count() as u64)
    }

    fn equals_value(&self, expected: &Value) -> bool {
        // Scalars compare in place (`enum` and `const` check them per event); containers
        // go through a `Value`, as jsonschema's default does.
        match (self, expected) {
            (Doc::String(s), Value::String(e)) => s == e,
            (Doc::String(_), _) | (_, Value::String(_)) => false,
            (Doc::Bool(b), Value::Bool(e)) => b == e,
            (Doc::Null, Value::Null) => true,
            (Doc::Number(n), Value::Number(_)) => {
                jsonschema::json::cmp::equal(&Value::Number(n.clone()), expected)
            }
            (Doc::Array(_) | Doc::Object(_), Value::Array(_) | Value::Object(_)) => {
                jsonschema::json::cmp::equal(&self.to_value(), expected)
            }
            _ => false,
        }
    }

    fn to_value(&self) -> Cow<'a, Value> {
        Cow::Owned(Doc::to_value(self))
    }

    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::new(std::ptr::from_ref::<Doc<'a>>(*self) as usize))
    }
}

/// The members of an object with their names borrowed.
pub struct MembersIter<'a>(std::slice::Iter<'a, (Cow<'a, str>, Doc<'a>)>);

impl<'a> Iterator for MembersIter<'a> {
    type Item = (&'a str, &'a Doc<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k.as_ref(), v))
    }
}

impl<'a> Object<'a, DocJson> for Members<'a> {
    type Node = &'a Doc<'a>;
    type MemberName = &'a str;
    type MembersIter = MembersIter<'a>;

    fn len(&self) -> usize {
        <[_]>::len(self)
    }

    fn get(&self, key: &String) -> Option<&'a Doc<'a>> {
        self.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn members(&self) -> MembersIter<'a> {
        MembersIter(self.iter())
    }
}

impl<'a> Array<'a, DocJson> for &'a [Doc<'a>] {
    type Node = &'a Doc<'a>;
    type ElementsIter = std::slice::Iter<'a, Doc<'a>>;

    fn len(&self) -> usize {
        <[_]>::len(self)
    }

    fn elements(&self) -> Self::ElementsIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_representation_meets_jsonschemas_contract() {
        let text = jsonschema::json::conformance::document().to_string();
        let doc = Doc::parse(&text).expect("parses");
        jsonschema::json::conformance::assert_conformance::<DocJson>(&&doc);
    }

    /// (instance path, schema path, message) of every error, sorted.
    fn findings<'d, F: Json>(validator: &'d jsonschema::Validator<F>, node: F::Node<'d>) -> Vec<[String; 3]> {
        let mut errors: Vec<[String; 3]> = validator
            .iter_errors(node)
            .map(|e| [e.instance_path().to_string(), e.evaluation_path().to_string(), e.to_string()])
            .collect();
        errors.sort();
        errors
    }

    /// Every (schema, instance) pair must get the same answer, and the same findings,
    /// from the `Doc` validator as from the `Value` one.
    #[test]
    fn doc_and_value_validators_agree() {
        let schemas = [
            json!({"type": "object", "required": ["id", "n"], "additionalProperties": false,
                   "properties": {"id": {"type": "string", "pattern": "^o-[0-9]+$", "maxLength": 8},
                                  "n": {"type": "integer", "minimum": 1, "multipleOf": 2},
                                  "tier": {"enum": ["gold", "silver", 3, null, {"a": [1]}]},
                                  "email": {"type": "string", "format": "email"},
                                  "tags": {"type": "array", "uniqueItems": true, "items": {"type": "string"}, "maxItems": 3},
                                  "when": {"type": "string", "format": "date-time"},
                                  "c": {"const": {"x": 1.0}}}}),
            json!({"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
                   "properties": {"n": {"type": "integer"}, "m": {"type": "number", "maximum": 10, "exclusiveMaximum": true}},
                   "patternProperties": {"^x-": {"type": "boolean"}}, "propertyNames": {"maxLength": 5},
                   "dependencies": {"n": ["m"]}}),
            json!({"$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}, "v": {"type": "number"}}}},
                   "$ref": "#/$defs/node", "oneOf": [{"required": ["v"]}, {"required": ["next"]}],
                   "if": {"properties": {"v": {"const": 0}}}, "then": {"required": ["next"]},
                   "unevaluatedProperties": false}),
        ];
        let instances = [
            r#"{"id": "o-12", "n": 4, "tier": "gold", "email": "a@b.example", "tags": ["a", "b"], "when": "2024-01-01T00:00:00Z", "c": {"x": 1}}"#,
            r#"{"id": "o-12", "n": 4.0, "tier": {"a": [1.0]}}"#,
            r#"{"id": "x", "n": 3, "tier": "bronze", "email": "nope", "tags": ["a", "a", "b", "c"], "when": "yesterday", "extra": 1}"#,
            r#"{"id": "o-1234567", "n": 0, "tier": 3, "c": {"x": 2}}"#,
            r#"{"n": 1.0, "m": 10, "x-a": true, "x-b": 1, "toolongname": 1}"#,
            r#"{"n": 1, "m": 9.5}"#,
            r#"{"v": 0, "next": {"v": 1, "next": {"v": "x"}}}"#,
            r#"{"v": 1, "next": {"v": 2}, "other": 1}"#,
            r#"{"id": "o-1", "id": "o-2", "n": 2, "n": "two"}"#,
            r#"[1, 2]"#,
            r#""text""#,
        ];
        for schema in &schemas {
            let by_value =
                jsonschema::options().should_validate_formats(true).build(schema).expect("compiles");
            let by_doc = jsonschema::options_for::<DocJson>()
                .should_validate_formats(true)
                .build(schema)
                .expect("compiles");
            for text in instances {
                let value: Value = serde_json::from_str(text).expect("value");
                let doc = Doc::parse(text).expect("doc");
                assert_eq!(by_doc.is_valid(&doc), by_value.is_valid(&value), "{schema} on {text}");
                assert_eq!(findings(&by_doc, &doc), findings(&by_value, &value), "{schema} on {text}");
            }
        }
    }
}
