//! What makes submitted content a schema we accept: it parses, it declares a draft we
//! support, it stays within the size and nesting limits, its regular expressions run in
//! linear time, and it compiles with every `$ref` resolved from our own storage.

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, PatternOptions, Validator};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult, Code};

/// Limits on submitted schemas. Documented in `docs/CONFIGURATION.md`.
#[derive(Debug, Clone, Copy)]
pub struct SchemaLimits {
    /// Largest schema document, in bytes of its compact JSON.
    pub max_schema_bytes: usize,
    /// Deepest nesting of arrays and objects in a schema document.
    pub max_depth: usize,
}

impl Default for SchemaLimits {
    fn default() -> Self {
        Self { max_schema_bytes: 512 * 1024, max_depth: 64 }
    }
}

/// The drafts we accept, with the `$schema` URIs that declare them.
const DRAFTS: &[(&str, Draft, &str)] = &[
    ("json-schema.org/draft-04/schema", Draft::Draft4, "draft-04"),
    ("json-schema.org/draft-06/schema", Draft::Draft6, "draft-06"),
    ("json-schema.org/draft-07/schema", Draft::Draft7, "draft-07"),
    ("json-schema.org/draft/2019-09/schema", Draft::Draft201909, "2019-09"),
    ("json-schema.org/draft/2020-12/schema", Draft::Draft202012, "2020-12"),
];

/// Content that passed every check but compilation.
#[derive(Debug, Clone)]
pub struct CheckedContent {
    /// The document as submitted.
    pub value: Value,
    /// The draft it declares (2020-12 when it declares none).
    pub draft: Draft,
    /// Short name of the draft, as stored and shown.
    pub draft_name: &'static str,
    /// `sha256:<hex>` of the canonical form.
    pub fingerprint: String,
}

/// Accepts `content` given as a JSON object (or boolean schema), or as a string holding one.
///
/// # Errors
/// `invalid_schema` with a JSON Pointer when the content is not acceptable.
pub fn check(raw: Value, limits: SchemaLimits) -> ApiResult<CheckedContent> {
    check_with(raw, limits, false)
}

/// [`check`], reading a schema without `$schema` as draft-07 when `draft_07_by_default`
/// (as Confluent's JSON Schema provider does) instead of 2020-12.
///
/// # Errors
/// As [`check`].
pub fn check_with(raw: Value, limits: SchemaLimits, draft_07_by_default: bool) -> ApiResult<CheckedContent> {
    let value = match raw {
        Value::String(text) => serde_json::from_str::<Value>(&text).map_err(|e| {
            invalid(
                "",
                format!("`content` is a string but not JSON: {e}"),
                "send the schema as a JSON object, or as a string holding one",
            )
        })?,
        other => other,
    };
    if !matches!(value, Value::Object(_) | Value::Bool(_)) {
        return Err(invalid(
            "",
            "a schema must be a JSON object (or a boolean)".into(),
            "wrap the schema in an object such as {\"type\": \"object\"}",
        ));
    }
    let canonical = canonical_json(&value);
    if canonical.len() > limits.max_schema_bytes {
        return Err(invalid(
            "",
            format!("the schema is {} bytes, over the limit of {}", canonical.len(), limits.max_schema_bytes),
            "split it into several schemas joined with $ref, or raise --max-schema-bytes",
        ));
    }
    if let Some(pointer) = too_deep(&value, limits.max_depth) {
        return Err(invalid(
            &pointer,
            format!("the schema nests deeper than {} levels", limits.max_depth),
            "flatten it with $defs and $ref, or raise --max-schema-depth",
        ));
    }
    let (draft, draft_name) = declared_draft(&value, draft_07_by_default)?;
    check_patterns(&value, "")?;
    let fingerprint = format!("sha256:{}", hex::encode(Sha256::digest(canonical.as_bytes())));
    Ok(CheckedContent { value, draft, draft_name, fingerprint })
}

/// Compiles a schema with references resolved by `retriever` (the store's, or a
/// project's for `schemabus check`; relative ones against `base_uri`), asserting formats, with the linear-time regex engine.
///
/// # Errors
/// `invalid_schema` for a schema its meta-schema refuses, `unresolvable_ref` for a
/// reference we do not hold, `unsafe_pattern` for a regex the linear engine refuses.
pub fn compile<F: jsonschema::json::Json>(
    value: &Value,
    draft: Draft,
    base_uri: &str,
    retriever: impl jsonschema::Retrieve + 'static,
) -> ApiResult<Validator<F>> {
    jsonschema::options_for::<F>()
        .with_draft(draft)
        .with_base_uri(base_uri)
        .with_retriever(retriever)
        .should_validate_formats(true)
        .with_pattern_options(PatternOptions::regex())
        .build(value)
        .map_err(|e| {
            let pointer = e.instance_path().as_str().to_owned();
            match e.kind() {
                ValidationErrorKind::Referencing(inner) => {
                    let reference = find_ref(value, &inner.to_string()).unwrap_or_default();
                    ApiError::new(
                        Code::UnresolvableRef,
                        format!("A $ref does not resolve: {inner}. Hint: reference stored versions as https://schemabus.invalid/registries/<registry>/schemas/<schema>/versions/<n>."),
                    )
                    .with_details(json!({ "pointer": reference }))
                }
                _ => invalid(&pointer, e.to_string(), "fix the schema at the pointer and submit it again"),
            }
        })
}

fn invalid(pointer: &str, reason: String, hint: &str) -> ApiError {
    ApiError::new(Code::InvalidSchema, format!("The schema is not valid: {reason}. Hint: {hint}."))
        .with_details(json!({ "pointer": pointer }))
}

fn declared_draft(value: &Value, draft_07_by_default: bool) -> ApiResult<(Draft, &'static str)> {
    let Some(declared) = value.get("$schema") else {
        return Ok(if draft_07_by_default {
            (Draft::Draft7, "draft-07")
        } else {
            (Draft::Draft202012, "2020-12")
        });
    };
    let Some(text) = declared.as_str() else {
        return Err(invalid(
            "/$schema",
            "`$schema` must be a string".into(),
            "use a draft URI such as https://json-schema.org/draft/2020-12/schema",
        ));
    };
    let bare = text.trim_end_matches('#');
    let bare = bare.strip_prefix("https://").or_else(|| bare.strip_prefix("http://")).unwrap_or(bare);
    DRAFTS.iter().find(|(uri, _, _)| *uri == bare).map(|(_, draft, name)| (*draft, *name)).ok_or_else(|| {
        invalid(
            "/$schema",
            format!("'{text}' is not a supported draft"),
            "declare draft-04, draft-06, draft-07, 2019-09 or 2020-12, or leave $schema out for 2020-12",
        )
    })
}

/// The `$schema` URI of a stored draft name (for tools that read the draft from the
/// document, like the compatibility checker).
pub fn draft_uri(name: &str) -> Option<String> {
    DRAFTS.iter().find(|(_, _, n)| *n == name).map(|(uri, _, _)| format!("http://{uri}#"))
}

/// Compact JSON with object keys sorted at every level: equal documents give equal bytes
/// whatever their key order or whitespace.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The pointer of the first place deeper than `max` levels, if any.
fn too_deep(value: &Value, max: usize) -> Option<String> {
    fn walk(value: &Value, depth: usize, max: usize, path: &mut Vec<String>) -> bool {
        if depth > max {
            return true;
        }
        match value {
            Value::Object(map) => map.iter().any(|(k, v)| {
                path.push(k.clone());
                let deep = walk(v, depth + 1, max, path);
                if !deep {
                    path.pop();
                }
                deep
            }),
            Value::Array(items) => items.iter().enumerate().any(|(i, v)| {
                path.push(i.to_string());
                let deep = walk(v, depth + 1, max, path);
                if !deep {
                    path.pop();
                }
                deep
            }),
            _ => false,
        }
    }
    let mut path = Vec::new();
    walk(value, 1, max, &mut path).then(|| pointer_of(&path))
}

fn pointer_of(segments: &[String]) -> String {
    segments.iter().map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1"))).collect()
}

/// Keywords whose value is a schema, a list of schemas or a map of schemas.
const SCHEMA_KEYWORDS: &[&str] = &[
    "additionalItems",
    "additionalProperties",
    "contains",
    "contentSchema",
    "else",
    "if",
    "items",
    "not",
    "propertyNames",
    "then",
    "unevaluatedItems",
    "unevaluatedProperties",
];
const SCHEMA_LIST_KEYWORDS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems", "items"];
const SCHEMA_MAP_KEYWORDS: &[&str] =
    &["$defs", "definitions", "dependentSchemas", "dependencies", "patternProperties", "properties"];

/// Refuses regular expressions (`pattern`, `patternProperties` keys) that need
/// backtracking: look-around and back-references can take exponential time on hostile
/// input, so only what the linear-time `regex` engine accepts is allowed.
fn check_patterns(schema: &Value, at: &str) -> ApiResult<()> {
    let Value::Object(map) = schema else { return Ok(()) };
    if let Some(Value::String(pattern)) = map.get("pattern") {
        linear_time(pattern, &format!("{at}/pattern"))?;
    }
    if let Some(Value::Object(props)) = map.get("patternProperties") {
        for key in props.keys() {
            linear_time(key, &format!("{at}/patternProperties/{}", escape(key)))?;
        }
    }
    for (key, sub) in map {
        let here = format!("{at}/{}", escape(key));
        if SCHEMA_KEYWORDS.contains(&key.as_str()) {
            check_patterns(sub, &here)?;
        }
        if SCHEMA_LIST_KEYWORDS.contains(&key.as_str())
            && let Value::Array(items) = sub
        {
            for (i, item) in items.iter().enumerate() {
                check_patterns(item, &format!("{here}/{i}"))?;
            }
        }
        if SCHEMA_MAP_KEYWORDS.contains(&key.as_str())
            && let Value::Object(entries) = sub
        {
            for (name, item) in entries {
                check_patterns(item, &format!("{here}/{}", escape(name)))?;
            }
        }
    }
    Ok(())
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn linear_time(pattern: &str, pointer: &str) -> ApiResult<()> {
    match regex::Regex::new(pattern) {
        Err(regex::Error::Syntax(reason))
            if reason.contains("look-around") || reason.contains("backreferences") =>
        {
            Err(ApiError::new(
                Code::UnsafePattern,
                format!("The regular expression '{pattern}' needs look-around or back-references, which cannot run in linear time. Hint: rewrite it without them."),
            )
            .with_details(json!({ "pointer": pointer })))
        }
        // Other syntax differences (ECMA-262 vs Rust) are left to the compiler, which
        // translates ECMA syntax first and reports what it still cannot accept.
        _ => Ok(()),
    }
}

/// The pointer of the `$ref` whose value appears in a resolver message.
fn find_ref(value: &Value, message: &str) -> Option<String> {
    fn walk(value: &Value, message: &str, path: &mut Vec<String>) -> Option<String> {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    let target = r.split('#').next().unwrap_or(r);
                    // Relative references appear resolved in the message: compare what
                    // follows their leading `./` and `../` segments.
                    let mut tail = target;
                    while let Some(rest) = tail.strip_prefix("../").or_else(|| tail.strip_prefix("./")) {
                        tail = rest;
                    }
                    if !tail.is_empty() && message.contains(tail) {
                        path.push("$ref".into());
                        return Some(pointer_of(path));
                    }
                }
                for (k, v) in map {
                    path.push(k.clone());
                    if let Some(found) = walk(v, message, path) {
                        return Some(found);
                    }
                    path.pop();
                }
                None
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    path.push(i.to_string());
                    if let Some(found) = walk(v, message, path) {
                        return Some(found);
                    }
                    path.pop();
                }
                None
            }
            _ => None,
        }
    }
    walk(value, message, &mut Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_ignores_key_order_and_whitespace() {
        let a: Value = serde_json::from_str(r#"{"b": 1, "a": {"y": [1, 2], "x": null}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":{"x":null,"y":[1,2]},"b":1}"#).unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(canonical_json(&a), r#"{"a":{"x":null,"y":[1,2]},"b":1}"#);
    }

    #[test]
    fn backtracking_patterns_are_refused_with_their_pointer() {
        let schema = json!({"properties": {"code": {"type": "string", "pattern": "^(?=a)a+$"}}});
        let err = check(schema, SchemaLimits::default()).unwrap_err();
        assert_eq!(err.code, Code::UnsafePattern);
        assert_eq!(err.details.unwrap()["pointer"], "/properties/code/pattern");
        let backref = json!({"patternProperties": {"^(a)\\1$": {}}});
        assert_eq!(check(backref, SchemaLimits::default()).unwrap_err().code, Code::UnsafePattern);
        assert!(check(json!({"pattern": "^[a-z]+\\d{2}$"}), SchemaLimits::default()).is_ok());
    }

    #[test]
    fn unknown_drafts_and_deep_schemas_are_refused() {
        let err = check(json!({"$schema": "http://example.com/mine"}), SchemaLimits::default()).unwrap_err();
        assert_eq!(err.details.unwrap()["pointer"], "/$schema");
        let mut deep = json!({});
        for _ in 0..70 {
            deep = json!({ "items": deep });
        }
        let err = check(deep, SchemaLimits::default()).unwrap_err();
        assert_eq!(err.code, Code::InvalidSchema);
        assert!(err.details.unwrap()["pointer"].as_str().unwrap().starts_with("/items/items"));
    }

    #[test]
    fn every_supported_draft_is_recognised() {
        for (uri, _, name) in DRAFTS {
            let checked =
                check(json!({"$schema": format!("http://{uri}#")}), SchemaLimits::default()).unwrap();
            assert_eq!(checked.draft_name, *name);
        }
        assert_eq!(check(json!({}), SchemaLimits::default()).unwrap().draft_name, "2020-12");
    }
}
