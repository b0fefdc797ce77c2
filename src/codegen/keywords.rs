//! Readers for JSON Schema keywords, shared by the lowering passes. Pure functions of the
//! schema JSON; they know the dialect differences (draft 4 … 2020-12) that matter here.

use serde_json::{Map, Value};

use super::model::{Doc, IntWidth};

/// The JSON Schema dialect, which changes the meaning of a few keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Draft {
    D4,
    D6,
    D7,
    D2019,
    D2020,
}

pub(crate) fn detect_draft(schema: &Value) -> Draft {
    let uri = schema.get("$schema").and_then(Value::as_str).unwrap_or("");
    if uri.contains("draft-04") {
        Draft::D4
    } else if uri.contains("draft-06") {
        Draft::D6
    } else if uri.contains("draft-07") {
        Draft::D7
    } else if uri.contains("2019-09") {
        Draft::D2019
    } else {
        // No `$schema` means the newest dialect, as the registry stores 2020-12 by default.
        Draft::D2020
    }
}

pub(crate) fn doc_of(schema: &Value) -> Doc {
    let text = |key: &str| {
        schema.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
    };
    Doc { title: text("title"), description: text("description") }
}

pub(crate) fn ref_of(obj: &Map<String, Value>) -> Option<&str> {
    ["$ref", "$dynamicRef", "$recursiveRef"].iter().find_map(|k| obj.get(*k).and_then(Value::as_str))
}

/// Keywords that do not constrain instances (so a `$ref` next to them is a plain reference).
pub(crate) fn is_annotation(key: &str) -> bool {
    matches!(
        key,
        "$ref"
            | "$dynamicRef"
            | "$recursiveRef"
            | "$schema"
            | "$id"
            | "id"
            | "$anchor"
            | "$dynamicAnchor"
            | "$recursiveAnchor"
            | "$comment"
            | "$defs"
            | "definitions"
            | "title"
            | "description"
            | "examples"
            | "default"
            | "deprecated"
            | "readOnly"
            | "writeOnly"
            | "$vocabulary"
    )
}

pub(crate) fn required_of(obj: &Map<String, Value>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(Value::Array(items)) = obj.get("required") {
        for name in items.iter().filter_map(Value::as_str) {
            if !out.iter().any(|n| n == name) {
                out.push(name.to_string());
            }
        }
    }
    out
}

/// The `type` keyword as a list (string or array form).
pub(crate) fn declared_types(obj: &Map<String, Value>) -> Option<Vec<String>> {
    match obj.get("type") {
        Some(Value::String(t)) => Some(vec![t.clone()]),
        Some(Value::Array(ts)) => Some(ts.iter().filter_map(Value::as_str).map(str::to_string).collect()),
        _ => None,
    }
}

pub(crate) fn is_null_schema(schema: &Value) -> bool {
    let Some(obj) = schema.as_object() else {
        return false;
    };
    declared_types(obj).is_some_and(|t| t == ["null"])
        || obj.get("const") == Some(&Value::Null)
        || obj.get("enum") == Some(&Value::Array(vec![Value::Null]))
}

pub(crate) fn union_branches(obj: &Map<String, Value>) -> Option<&Vec<Value>> {
    ["oneOf", "anyOf"].iter().find_map(|k| obj.get(*k).and_then(Value::as_array)).filter(|b| !b.is_empty())
}

/// Nullable as a distinct dimension: `type: [.., "null"]`, OpenAPI `nullable: true`, or a
/// `null` branch in `oneOf`/`anyOf`.
pub(crate) fn is_nullable(obj: &Map<String, Value>) -> bool {
    let by_type = declared_types(obj).is_some_and(|t| t.len() > 1 && t.iter().any(|t| t == "null"));
    let by_flag = obj.get("nullable") == Some(&Value::Bool(true));
    let by_branch = union_branches(obj)
        .is_some_and(|b| b.iter().any(is_null_schema) && b.iter().any(|s| !is_null_schema(s)));
    by_type || by_flag || by_branch
}

pub(crate) fn const_string(schema: &Value) -> Option<&str> {
    let obj = schema.as_object()?;
    if let Some(Value::String(s)) = obj.get("const") {
        return Some(s);
    }
    match obj.get("enum") {
        Some(Value::Array(values)) if values.len() == 1 => values[0].as_str(),
        _ => None,
    }
}

/// Merges schema `b` into `a` for `allOf`: properties and requirements are combined,
/// `additionalProperties: false` wins, other keywords keep `a`'s value when both exist.
pub(crate) fn merge_into(a: &mut Map<String, Value>, b: Map<String, Value>) {
    for (key, value) in b {
        match key.as_str() {
            "properties" | "patternProperties" => {
                let Value::Object(incoming) = value else {
                    continue;
                };
                let entry = a.entry(key).or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(existing) = entry {
                    for (name, schema) in incoming {
                        match existing.remove(&name) {
                            // Same property constrained twice: both apply.
                            Some(old) => {
                                let both = serde_json::json!({ "allOf": [old, schema] });
                                existing.insert(name, both);
                            }
                            None => {
                                existing.insert(name, schema);
                            }
                        }
                    }
                }
            }
            "required" => {
                let mut names = required_of(a);
                if let Value::Array(items) = value {
                    for name in items.iter().filter_map(Value::as_str) {
                        if !names.iter().any(|n| n == name) {
                            names.push(name.to_string());
                        }
                    }
                }
                a.insert(key, Value::from(names));
            }
            "type" => {
                let incoming = declared_types(&Map::from_iter([(key.clone(), value.clone())]));
                match (declared_types(a), incoming) {
                    (Some(mine), Some(theirs)) => {
                        let both: Vec<Value> = mine
                            .iter()
                            .filter(|t| theirs.contains(t))
                            .map(|t| Value::from(t.as_str()))
                            .collect();
                        if !both.is_empty() {
                            a.insert(key, Value::Array(both));
                        }
                    }
                    (None, Some(_)) => {
                        a.insert(key, value);
                    }
                    (_, None) => {}
                }
            }
            "additionalProperties" | "unevaluatedProperties" => {
                if value == Value::Bool(false) || a.get(&key) == Some(&Value::Bool(false)) {
                    a.insert(key, Value::Bool(false));
                } else if !a.contains_key(&key) {
                    a.insert(key, value);
                }
            }
            _ => {
                a.entry(key).or_insert(value);
            }
        }
    }
}

pub(crate) fn int_width(obj: &Map<String, Value>, draft: Draft) -> IntWidth {
    let number = |key: &str| obj.get(key).and_then(Value::as_f64);
    let mut low = number("minimum");
    let mut high = number("maximum");
    // Draft 4 spells exclusive bounds as booleans next to minimum/maximum, which only
    // narrows the range; later drafts make them numbers of their own.
    if draft > Draft::D4 {
        if let Some(x) = number("exclusiveMinimum") {
            low = Some(low.map_or(x, |l| l.max(x)));
        }
        if let Some(x) = number("exclusiveMaximum") {
            high = Some(high.map_or(x, |h| h.min(x)));
        }
    }
    match (low, high) {
        (Some(l), Some(h)) if l >= 0.0 => {
            if h <= f64::from(u8::MAX) {
                IntWidth::U8
            } else if h <= f64::from(u16::MAX) {
                IntWidth::U16
            } else if h <= f64::from(u32::MAX) {
                IntWidth::U32
            } else {
                IntWidth::U64
            }
        }
        (Some(l), None) if l >= 0.0 => IntWidth::U64,
        (Some(l), Some(h)) => {
            if l >= f64::from(i8::MIN) && h <= f64::from(i8::MAX) {
                IntWidth::I8
            } else if l >= f64::from(i16::MIN) && h <= f64::from(i16::MAX) {
                IntWidth::I16
            } else if l >= f64::from(i32::MIN) && h <= f64::from(i32::MAX) {
                IntWidth::I32
            } else {
                IntWidth::I64
            }
        }
        _ => IntWidth::I64,
    }
}

/// Finds a property that every branch requires with a distinct string `const`.
pub(crate) fn detect_tag(views: &[Value]) -> Option<(String, Vec<String>)> {
    let first = views.first()?.as_object()?;
    let properties = first.get("properties")?.as_object()?;
    'candidates: for property in properties.keys() {
        let mut values: Vec<String> = Vec::new();
        for view in views {
            let obj = view.as_object()?;
            if declared_types(obj).is_some_and(|t| t != ["object"]) {
                return None;
            }
            let value = obj.get("properties").and_then(|p| p.get(property)).and_then(const_string);
            match value {
                Some(v) if required_of(obj).iter().any(|r| r == property) => {
                    if values.iter().any(|x| x == v) {
                        continue 'candidates;
                    }
                    values.push(v.to_string());
                }
                _ => continue 'candidates,
            }
        }
        return Some((property.clone(), values));
    }
    None
}
