//! PURE: OpenAPI 3.0 event schemas in EventBridge's layout, and the JSON Schema a
//! registry version derives from them (docs/AWS-API.md, "OpenAPI representation").
//!
//! EventBridge writes an event schema as an OpenAPI 3.0 document whose
//! `components.schemas.AWSEvent` is the envelope (with `x-amazon-events-source` and
//! `x-amazon-events-detail-type`) and whose `detail` property is a `$ref` to the detail
//! schema, also under `components.schemas`. schemabus validates, diffs and generates code
//! from the **detail** (the bus validates `detail`, discovery infers `detail`), so a
//! version registered as OpenAPI keeps the document verbatim as its `source` and stores
//! as `content` a draft-04 JSON Schema derived here: the detail schema at the root, every
//! component under `definitions`, `#/components/schemas/X` rewritten to
//! `#/definitions/X`, and OpenAPI's `nullable` turned into a `null` type. Draft-04,
//! because OpenAPI 3.0 schema objects are draft-04's dialect (`exclusiveMinimum` as a
//! boolean). Every `$ref` must be local: nothing is fetched.
//!
//! [`from_json_schema`] goes the other way for inferred schemas (GetDiscoveredSchema).

use serde_json::{Map, Value, json};

/// The draft-04 meta-schema URI the derived schema declares.
pub const DRAFT_04: &str = "http://json-schema.org/draft-04/schema#";

const COMPONENTS: &str = "#/components/schemas/";
const DEFINITIONS: &str = "#/definitions/";

/// Why a document is not an event schema we accept: a JSON Pointer into it and a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenApiError {
    /// Where in the document.
    pub pointer: String,
    /// What is wrong.
    pub reason: String,
}

fn error(pointer: &str, reason: impl Into<String>) -> OpenApiError {
    OpenApiError { pointer: pointer.to_owned(), reason: reason.into() }
}

/// The JSON Schema (draft-04) of an OpenAPI 3.0 event schema's detail.
///
/// # Errors
/// When the document is not OpenAPI 3.0, has no `components.schemas`, names no single
/// detail schema, or holds a `$ref` that is not to one of its own components.
pub fn to_json_schema(doc: &Value) -> Result<Value, OpenApiError> {
    let version = doc.get("openapi").and_then(Value::as_str).ok_or_else(|| {
        error("/openapi", "an OpenAPI document declares its version in `openapi` (such as \"3.0.0\")")
    })?;
    if !version.starts_with("3.0") {
        return Err(error("/openapi", format!("OpenAPI '{version}' is not supported; use 3.0.x")));
    }
    let components = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| error("/components/schemas", "the event schemas go in `components.schemas`"))?;
    let root = root_name(components)?;
    let mut definitions = Map::new();
    for (name, schema) in components {
        let pointer = format!("/components/schemas/{}", escape(name));
        definitions.insert(name.clone(), convert(schema, &pointer, components)?);
    }
    let mut out = Map::new();
    out.insert("$schema".to_owned(), json!(DRAFT_04));
    if let Some(Value::Object(detail)) = definitions.get(&root) {
        for (k, v) in detail {
            out.insert(k.clone(), v.clone());
        }
    }
    if let Some(envelope) = components.get("AWSEvent") {
        for key in ["x-amazon-events-source", "x-amazon-events-detail-type"] {
            if let Some(v) = envelope.get(key) {
                out.insert(key.to_owned(), v.clone());
            }
        }
    }
    out.insert("definitions".to_owned(), Value::Object(definitions));
    Ok(Value::Object(out))
}

/// The name of the detail schema: what `AWSEvent.properties.detail` refers to, or the only
/// component when there is no envelope.
fn root_name(components: &Map<String, Value>) -> Result<String, OpenApiError> {
    if let Some(envelope) = components.get("AWSEvent") {
        let pointer = "/components/schemas/AWSEvent/properties/detail/$ref";
        let target = envelope
            .pointer("/properties/detail/$ref")
            .and_then(Value::as_str)
            .ok_or_else(|| error(pointer, "AWSEvent's `detail` must be a $ref to the detail schema"))?;
        let name = target
            .strip_prefix(COMPONENTS)
            .filter(|n| components.contains_key(&unescape(n)))
            .ok_or_else(|| error(pointer, format!("'{target}' is not one of this document's components")))?;
        return Ok(unescape(name));
    }
    match components.keys().collect::<Vec<_>>().as_slice() {
        [only] => Ok((*only).clone()),
        _ => Err(error(
            "/components/schemas",
            "several schemas and no AWSEvent envelope: say which one is the event's detail with components.schemas.AWSEvent",
        )),
    }
}

/// Keywords whose value is a schema.
const ONE: &[&str] = &["items", "additionalItems", "additionalProperties", "not"];
/// Keywords whose value is a list of schemas (`items` too, as draft-04's tuple form).
const MANY: &[&str] = &["allOf", "anyOf", "oneOf", "items"];
/// Keywords whose value maps names to schemas. OpenAPI 3.0 has none of them but
/// `properties`; draft-04 reads the others, so a `$ref` inside one is rewritten as well:
/// left as `#/components/…`, it would dangle in the derived document.
const MAPS: &[&str] = &["properties", "patternProperties", "dependencies", "definitions"];
/// Keywords that change a draft-04 schema's dialect or base URI. OpenAPI 3.0 schema
/// objects have none of them (the dialect is the document's), so the derived schema drops
/// them: a nested `id` would move where `#/definitions/X` resolves, and a nested
/// `$schema` naming an unknown meta-schema would be looked up. `source` keeps them.
const IDENTITY: &[&str] = &["$schema", "$id", "id"];

/// One OpenAPI schema object as draft-04.
fn convert(schema: &Value, pointer: &str, components: &Map<String, Value>) -> Result<Value, OpenApiError> {
    let Value::Object(map) = schema else {
        return match schema {
            Value::Bool(_) => Ok(schema.clone()),
            _ => Err(error(pointer, "a schema must be an object")),
        };
    };
    let mut out = Map::new();
    for (key, value) in map {
        let here = format!("{pointer}/{}", escape(key));
        let converted = match key.as_str() {
            "$ref" => Value::String(local_ref(value, &here, components)?),
            "nullable" => continue,
            k if IDENTITY.contains(&k) => continue,
            k if MAPS.contains(&k) => {
                let Value::Object(props) = value else {
                    return Err(error(&here, format!("`{k}` must be an object")));
                };
                let mut next = Map::new();
                for (name, sub) in props {
                    let sub = match (k, sub) {
                        // a draft-04 property dependency is a list of names, not a schema
                        ("dependencies", Value::Array(_)) => sub.clone(),
                        _ => convert(sub, &format!("{here}/{}", escape(name)), components)?,
                    };
                    next.insert(name.clone(), sub);
                }
                Value::Object(next)
            }
            k if ONE.contains(&k) && value.is_object() => convert(value, &here, components)?,
            k if MANY.contains(&k) && !(k == "items" && value.is_object()) => {
                let Value::Array(items) = value else {
                    return Err(error(&here, format!("`{k}` must be a list of schemas")));
                };
                let mut next = Vec::with_capacity(items.len());
                for (i, sub) in items.iter().enumerate() {
                    next.push(convert(sub, &format!("{here}/{i}"), components)?);
                }
                Value::Array(next)
            }
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    if map.get("nullable") == Some(&Value::Bool(true)) {
        if let Some(Value::String(t)) = out.get("type") {
            let t = t.clone();
            out.insert("type".to_owned(), json!([t, "null"]));
        }
        if let Some(Value::Array(values)) = out.get_mut("enum")
            && !values.contains(&Value::Null)
        {
            values.push(Value::Null);
        }
    }
    Ok(Value::Object(out))
}

fn local_ref(value: &Value, pointer: &str, components: &Map<String, Value>) -> Result<String, OpenApiError> {
    let target = value.as_str().ok_or_else(|| error(pointer, "`$ref` must be a string"))?;
    match target.strip_prefix(COMPONENTS) {
        Some(name) if components.contains_key(&unescape(name)) => Ok(format!("{DEFINITIONS}{name}")),
        _ => Err(error(
            pointer,
            format!(
                "'{target}' is not one of this document's components (only #/components/schemas/<name> refs are resolved; nothing is fetched)"
            ),
        )),
    }
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// The name EventBridge gives a detail schema: the detail-type's words, capitalised and
/// joined (`Order Placed` → `OrderPlaced`); `Detail` when that leaves nothing.
pub fn detail_schema_name(detail_type: &str) -> String {
    let name: String = detail_type
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect();
    if name.is_empty() || name == "AWSEvent" || name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("Detail{name}")
    } else {
        name
    }
}

/// An OpenAPI 3.0 event schema in EventBridge's layout around a JSON Schema of the
/// detail (such as an inferred one): `type` lists with `null` become `nullable`, `$defs`
/// and `definitions` become components, `const` an `enum`, and keywords OpenAPI 3.0
/// lacks (`$schema`, `$id`, `examples`) are dropped.
pub fn from_json_schema(detail: &Value, source: &str, detail_type: &str) -> Value {
    let name = detail_schema_name(detail_type);
    let mut components = Map::new();
    let mut root = detail.clone();
    if let Value::Object(map) = &mut root {
        for key in ["$defs", "definitions"] {
            if let Some(Value::Object(defs)) = map.remove(key) {
                for (k, v) in defs {
                    components.insert(k, to_openapi(&v));
                }
            }
        }
    }
    components.insert(name.clone(), to_openapi(&root));
    let envelope = json!({
        "type": "object",
        "required": ["detail-type", "resources", "detail", "id", "source", "time", "region", "version", "account"],
        "x-amazon-events-detail-type": detail_type,
        "x-amazon-events-source": source,
        "properties": {
            "detail": {"$ref": format!("{COMPONENTS}{name}")},
            "account": {"type": "string"},
            "detail-type": {"type": "string"},
            "id": {"type": "string"},
            "region": {"type": "string"},
            "resources": {"type": "array", "items": {"type": "string"}},
            "source": {"type": "string"},
            "time": {"type": "string", "format": "date-time"},
            "version": {"type": "string"}
        }
    });
    let mut schemas = Map::new();
    schemas.insert("AWSEvent".to_owned(), envelope);
    schemas.extend(components);
    json!({
        "openapi": "3.0.0",
        "info": {"version": "1.0.0", "title": name},
        "paths": {},
        "components": {"schemas": schemas}
    })
}

fn to_openapi(schema: &Value) -> Value {
    let Value::Object(map) = schema else { return schema.clone() };
    let mut out = Map::new();
    for (key, value) in map {
        let converted = match key.as_str() {
            "$schema" | "$id" | "id" | "examples" | "$defs" | "definitions" => continue,
            "$ref" => match value.as_str() {
                Some(r) => {
                    let name =
                        r.strip_prefix("#/$defs/").or_else(|| r.strip_prefix(DEFINITIONS)).unwrap_or(r);
                    Value::String(format!("{COMPONENTS}{name}"))
                }
                None => value.clone(),
            },
            "const" => {
                out.insert("enum".to_owned(), json!([value]));
                continue;
            }
            "properties" => match value {
                Value::Object(props) => {
                    Value::Object(props.iter().map(|(k, v)| (k.clone(), to_openapi(v))).collect())
                }
                other => other.clone(),
            },
            k if ONE.contains(&k) => to_openapi(value),
            k if MANY.contains(&k) => match value {
                Value::Array(items) => Value::Array(items.iter().map(to_openapi).collect()),
                other => other.clone(),
            },
            "type" => match value {
                Value::Array(types) => {
                    let rest: Vec<&Value> = types.iter().filter(|t| t.as_str() != Some("null")).collect();
                    if rest.len() < types.len() {
                        out.insert("nullable".to_owned(), Value::Bool(true));
                    }
                    match rest.as_slice() {
                        [] => continue,
                        [one] => (*one).clone(),
                        many => {
                            out.insert(
                                "anyOf".to_owned(),
                                Value::Array(many.iter().map(|t| json!({"type": t})).collect()),
                            );
                            continue;
                        }
                    }
                }
                other => other.clone(),
            },
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_placed() -> Value {
        json!({
            "openapi": "3.0.0",
            "info": {"version": "1.0.0", "title": "OrderPlaced"},
            "paths": {},
            "components": {"schemas": {
                "AWSEvent": {
                    "type": "object",
                    "x-amazon-events-source": "shop",
                    "x-amazon-events-detail-type": "Order Placed",
                    "properties": {"detail": {"$ref": "#/components/schemas/OrderPlaced"}}
                },
                "OrderPlaced": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {
                        "id": {"type": "integer", "minimum": 0, "exclusiveMinimum": true},
                        "note": {"type": "string", "nullable": true},
                        "item": {"$ref": "#/components/schemas/Item"}
                    }
                },
                "Item": {"type": "object", "properties": {"sku": {"type": "string", "enum": ["a"], "nullable": true}}}
            }}
        })
    }

    #[test]
    fn the_detail_schema_is_the_root_with_components_as_definitions() {
        let schema = to_json_schema(&order_placed()).unwrap();
        assert_eq!(schema["$schema"], DRAFT_04);
        assert_eq!(schema["required"], json!(["id"]));
        assert_eq!(schema["x-amazon-events-source"], "shop");
        assert_eq!(schema["properties"]["note"]["type"], json!(["string", "null"]));
        assert!(schema["properties"]["note"].get("nullable").is_none());
        assert_eq!(schema["properties"]["item"]["$ref"], "#/definitions/Item");
        assert_eq!(schema["definitions"]["Item"]["properties"]["sku"]["enum"], json!(["a", null]));
        assert_eq!(
            schema["definitions"]["AWSEvent"]["properties"]["detail"]["$ref"],
            "#/definitions/OrderPlaced"
        );
        let validator = jsonschema::draft4::new(&schema).unwrap();
        assert!(validator.is_valid(&json!({"id": 1, "note": null, "item": {"sku": "a"}})));
        assert!(!validator.is_valid(&json!({"id": 0})));
        assert!(!validator.is_valid(&json!({"id": 1, "item": {"sku": "b"}})));
    }

    #[test]
    fn documents_that_are_not_event_schemas_are_refused_with_a_pointer() {
        let cases = [
            (json!({"type": "object"}), "/openapi"),
            (json!({"openapi": "3.1.0", "components": {"schemas": {"A": {}}}}), "/openapi"),
            (json!({"openapi": "3.0.0"}), "/components/schemas"),
            (
                json!({"openapi": "3.0.0", "components": {"schemas": {"A": {}, "B": {}}}}),
                "/components/schemas",
            ),
            (
                json!({"openapi": "3.0.0", "components": {"schemas": {"A": {"$ref": "https://example.com/x"}}}}),
                "/components/schemas/A/$ref",
            ),
            (
                json!({"openapi": "3.0.0", "components": {"schemas": {"AWSEvent": {"properties": {"detail": {"$ref": "#/components/schemas/Nope"}}}}}}),
                "/components/schemas/AWSEvent/properties/detail/$ref",
            ),
            (json!({"openapi": "3.0.0", "components": {"schemas": {"A": 3}}}), "/components/schemas/A"),
        ];
        for (doc, pointer) in cases {
            assert_eq!(to_json_schema(&doc).unwrap_err().pointer, pointer, "{doc}");
        }
    }

    #[test]
    fn a_single_component_without_envelope_is_the_detail() {
        let doc = json!({"openapi": "3.0.1", "components": {"schemas": {"A": {"type": "string"}}}});
        assert_eq!(to_json_schema(&doc).unwrap()["type"], "string");
    }

    #[test]
    fn inferred_schemas_come_back_in_eventbridge_layout_and_round_trip() {
        let inferred = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "required": ["id"],
            "properties": {"id": {"type": "integer"}, "note": {"type": ["string", "null"]}, "k": {"const": "x"}},
            "$defs": {"Item": {"type": "object"}}
        });
        let doc = from_json_schema(&inferred, "shop", "Order Placed");
        assert_eq!(doc["openapi"], "3.0.0");
        let envelope = &doc["components"]["schemas"]["AWSEvent"];
        assert_eq!(envelope["x-amazon-events-source"], "shop");
        assert_eq!(envelope["properties"]["detail"]["$ref"], "#/components/schemas/OrderPlaced");
        let detail = &doc["components"]["schemas"]["OrderPlaced"];
        assert_eq!(detail["properties"]["note"], json!({"nullable": true, "type": "string"}));
        assert_eq!(detail["properties"]["k"], json!({"enum": ["x"]}));
        assert!(detail.get("$schema").is_none());
        assert!(doc["components"]["schemas"]["Item"].is_object());
        let back = to_json_schema(&doc).unwrap();
        assert_eq!(back["properties"]["note"]["type"], json!(["string", "null"]));
    }

    #[test]
    fn refs_in_every_draft04_schema_keyword_are_rewritten_and_identity_keywords_dropped() {
        // found by the aws_wire fuzz target: a nested `$schema` naming an unknown
        // meta-schema (or an `id`, or a `$ref` in a keyword the converter skipped) left
        // the derived schema pointing outside itself
        let doc = json!({"openapi": "3.0.0", "components": {"schemas": {
            "D": {
                "type": "object",
                "id": "http://elsewhere.example/",
                "properties": {"a": {"$schema": "q:", "type": "string"}},
                "patternProperties": {"^x": {"$ref": "#/components/schemas/I"}},
                "dependencies": {"z": ["b"], "c": {"$ref": "#/components/schemas/I"}},
                "additionalItems": {"$ref": "#/components/schemas/I"},
                "items": [{"$ref": "#/components/schemas/I"}]
            },
            "I": {"$id": "urn:i", "type": "integer"}
        }}});
        let mut only_d = doc.clone();
        only_d["components"]["schemas"]
            .as_object_mut()
            .unwrap()
            .insert("AWSEvent".into(), json!({"properties": {"detail": {"$ref": "#/components/schemas/D"}}}));
        let schema = to_json_schema(&only_d).unwrap();
        assert!(schema.get("id").is_none());
        assert!(schema["properties"]["a"].get("$schema").is_none());
        assert!(schema["definitions"]["I"].get("$id").is_none());
        assert_eq!(schema["patternProperties"]["^x"]["$ref"], "#/definitions/I");
        assert_eq!(schema["dependencies"]["z"], json!(["b"]));
        assert_eq!(schema["dependencies"]["c"]["$ref"], "#/definitions/I");
        assert_eq!(schema["additionalItems"]["$ref"], "#/definitions/I");
        assert_eq!(schema["items"][0]["$ref"], "#/definitions/I");
        let validator = jsonschema::options().with_draft(jsonschema::Draft::Draft4).build(&schema).unwrap();
        assert!(validator.is_valid(&json!({"a": "s", "x1": 1})));
        assert!(!validator.is_valid(&json!({"a": "s", "x1": "not an integer"})));
        let dangling = json!({"openapi": "3.0.0", "components": {"schemas": {
            "D": {"patternProperties": {"^x": {"$ref": "#/components/schemas/Nope"}}}
        }}});
        assert_eq!(
            to_json_schema(&dangling).unwrap_err().pointer,
            "/components/schemas/D/patternProperties/^x/$ref"
        );
    }

    #[test]
    fn detail_schema_names_follow_eventbridge() {
        assert_eq!(detail_schema_name("Order Placed"), "OrderPlaced");
        assert_eq!(
            detail_schema_name("EC2 Instance State-change Notification"),
            "EC2InstanceStateChangeNotification"
        );
        assert_eq!(detail_schema_name("!!"), "Detail");
        assert_eq!(detail_schema_name("3d"), "Detail3d");
    }
}
