//! PURE: the AsyncAPI 3.0 document of a bus (docs/CATALOG.md#asyncapi lists what maps to
//! what): one channel per event type, one message per channel (the EventBridge envelope,
//! its `detail` the type's contract), a `send` operation per type (its producers) and a
//! `receive` operation per rule that can match it (the rule, with its targets).

use serde_json::{Map, Value, json};

use super::CatalogConsumer;

/// A type of the bus, with what the document needs of it.
#[derive(Debug, Clone)]
pub struct AsyncType {
    /// `<source>@<DetailType>`.
    pub event_type: String,
    /// The `source`.
    pub source: String,
    /// The `detail-type` values.
    pub detail_types: Vec<String>,
    /// The contract: (registry, schema name, version, content).
    pub schema: Option<(String, String, u32, Value)>,
    /// The rules that can match it.
    pub consumers: Vec<CatalogConsumer>,
}

/// An AsyncAPI component key: `[A-Za-z0-9._-]`, anything else as `_`.
fn key(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
        .collect()
}

/// Rewrites the local references of a schema placed at `#/components/schemas/<at>`, so
/// `#/$defs/x` still points into it, and drops the keywords that only mean something at a
/// document's root (`$schema`, `$id`).
fn relocate(schema: &Value, at: &str) -> Value {
    fn walk(v: &Value, at: &str) -> Value {
        match v {
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| match (k.as_str(), v) {
                        ("$ref", Value::String(r)) if r == "#" => {
                            (k.clone(), Value::String(format!("#/components/schemas/{at}")))
                        }
                        ("$ref", Value::String(r)) if r.starts_with("#/") => {
                            (k.clone(), Value::String(format!("#/components/schemas/{at}{}", &r[1..])))
                        }
                        _ => (k.clone(), walk(v, at)),
                    })
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(|v| walk(v, at)).collect()),
            other => other.clone(),
        }
    }
    let mut out = walk(schema, at);
    if let Value::Object(o) = &mut out {
        o.remove("$schema");
        o.remove("$id");
    }
    out
}

/// The envelope schema of a type, `detail` referring to `detail`.
fn envelope_schema(t: &AsyncType, detail: Value) -> Value {
    let detail_type = if t.detail_types.len() == 1 {
        json!({"type": "string", "const": t.detail_types[0]})
    } else {
        json!({"type": "string", "enum": t.detail_types})
    };
    json!({
        "type": "object",
        "required": ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"],
        "properties": {
            "version": {"type": "string", "const": "0"},
            "id": {"type": "string", "format": "uuid"},
            "detail-type": detail_type,
            "source": {"type": "string", "const": t.source},
            "account": {"type": "string"},
            "time": {"type": "string", "format": "date-time"},
            "region": {"type": "string"},
            "resources": {"type": "array", "items": {"type": "string"}},
            "detail": detail,
        }
    })
}

/// The document of bus `bus` (`description` its own, `version` what `info.version`
/// says) over `types`, sorted by event type for a stable document.
pub fn document(bus: &str, description: Option<&str>, version: &str, types: &[AsyncType]) -> Value {
    let mut channels = Map::new();
    let mut operations = Map::new();
    let mut messages = Map::new();
    let mut schemas = Map::new();
    for t in types {
        let id = key(&t.event_type);
        let detail = match &t.schema {
            Some((registry, name, version, content)) => {
                let at = key(&format!("{registry}.{name}.v{version}"));
                schemas.insert(at.clone(), relocate(content, &at));
                json!({"$ref": format!("#/components/schemas/{at}")})
            }
            None => json!({"type": "object", "description": "No contract: any JSON object."}),
        };
        let mut message = json!({
            "name": t.event_type,
            "title": t.detail_types.first().cloned().unwrap_or_else(|| t.event_type.clone()),
            "contentType": "application/json",
            "payload": envelope_schema(t, detail),
        });
        if let Some((registry, name, version, content)) = &t.schema {
            message["summary"] = json!(format!("Contract {name} version {version} in registry {registry}."));
            // The contract's own examples (JSON Schema `examples`) as envelopes: they are
            // its author's, so they should pass it; nothing from live traffic is exported.
            if let Some(examples) = content.get("examples").and_then(Value::as_array) {
                let list: Vec<Value> = examples
                    .iter()
                    .take(3)
                    .map(|detail| {
                        json!({"payload": {
                            "version": "0", "id": "00000000-0000-4000-8000-000000000000",
                            "detail-type": t.detail_types.first().cloned().unwrap_or_default(),
                            "source": t.source, "account": "000000000000", "time": "2026-01-01T00:00:00Z",
                            "region": "local", "resources": [], "detail": detail,
                        }})
                    })
                    .collect();
                if !list.is_empty() {
                    message["examples"] = Value::Array(list);
                }
            }
        }
        messages.insert(id.clone(), message);
        channels.insert(
            id.clone(),
            json!({
                "address": t.event_type,
                "title": t.event_type,
                "description": format!("Events of source `{}` and detail-type {} on bus `{bus}`.", t.source,
                    t.detail_types.iter().map(|d| format!("`{d}`")).collect::<Vec<_>>().join(" or ")),
                "messages": {id.clone(): {"$ref": format!("#/components/messages/{id}")}},
            }),
        );
        let channel_ref = json!({"$ref": format!("#/channels/{id}")});
        let message_ref = json!([{"$ref": format!("#/channels/{id}/messages/{id}")}]);
        operations.insert(
            key(&format!("put.{}", t.event_type)),
            json!({
                "action": "send",
                "channel": channel_ref,
                "messages": message_ref,
                "title": format!("Put {} on {bus}", t.event_type),
                "description": format!("PutEvents on bus `{bus}` (POST /v1/buses/{bus}/events) with source `{}`.", t.source),
            }),
        );
        for c in &t.consumers {
            let targets: Vec<Value> = c
                .targets
                .iter()
                .map(|x| json!({"id": x.id, "type": x.kind, "destination": x.destination}))
                .collect();
            operations.insert(
                key(&format!("rule.{}.{}", c.rule, t.event_type)),
                json!({
                    "action": "receive",
                    "channel": channel_ref,
                    "messages": message_ref,
                    "title": format!("Rule {}", c.rule),
                    "description": format!("Rule `{}` ({}) delivers matching events to: {}.", c.rule, c.state,
                        c.targets.iter().map(|x| format!("{} `{}`", x.kind, x.destination)).collect::<Vec<_>>().join(", ")),
                    "x-schemabus-rule": {"name": c.rule, "state": c.state, "targets": targets},
                }),
            );
        }
    }
    let mut info = json!({"title": format!("schemabus bus {bus}"), "version": version});
    if let Some(d) = description {
        info["description"] = json!(d);
    }
    json!({
        "asyncapi": "3.0.0",
        "info": info,
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    })
}

/// The document as YAML (block style), through `yaml-rust2`'s emitter.
pub fn to_yaml(document: &Value) -> String {
    use yaml_rust2::yaml::{Hash, Yaml};
    fn convert(v: &Value) -> Yaml {
        match v {
            Value::Null => Yaml::Null,
            Value::Bool(b) => Yaml::Boolean(*b),
            Value::Number(n) if n.is_i64() || n.is_u64() => {
                n.as_i64().map_or_else(|| Yaml::Real(n.to_string()), Yaml::Integer)
            }
            Value::Number(n) => Yaml::Real(n.to_string()),
            Value::String(s) => Yaml::String(s.clone()),
            Value::Array(a) => Yaml::Array(a.iter().map(convert).collect()),
            Value::Object(o) => {
                let mut h = Hash::new();
                for (k, v) in o {
                    h.insert(Yaml::String(k.clone()), convert(v));
                }
                Yaml::Hash(h)
            }
        }
    }
    let mut out = String::new();
    let mut emitter = yaml_rust2::YamlEmitter::new(&mut out);
    if emitter.dump(&convert(document)).is_err() {
        return String::new();
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_references_follow_the_schema_into_components() {
        let schema = json!({"$schema": "x", "$defs": {"m": {"type": "string"}}, "properties": {"a": {"$ref": "#/$defs/m"}}});
        let out = relocate(&schema, "s");
        assert_eq!(out["properties"]["a"]["$ref"], "#/components/schemas/s/$defs/m");
        assert!(out.get("$schema").is_none());
    }

    #[test]
    fn yaml_reads_back_as_the_same_document() {
        let doc = json!({"a": [1, 2.5, "x: y", true, null, "0", "true", "null", ""], "b": {"c": "#/ref"}});
        let text = to_yaml(&doc);
        let back = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
        // Strings that read as numbers, booleans or null stay strings (the envelope's
        // `version` is the string "0").
        for (i, s) in [(5, "0"), (6, "true"), (7, "null"), (8, "")] {
            assert_eq!(back[0]["a"][i].as_str(), Some(s), "{text}");
        }
        assert_eq!(back[0]["a"][0].as_i64(), Some(1));
        assert_eq!(back[0]["b"]["c"].as_str(), Some("#/ref"));
        assert_eq!(back[0]["a"][2].as_str(), Some("x: y"));
    }
}
