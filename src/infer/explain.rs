//! The decisions behind a derived schema, read back from its annotations: which positions
//! were widened (optional, nullable), read as maps, or kept a format only as a candidate,
//! and why. `POST /v1/infer` answers with them in `stats.decisions`.

use serde_json::{Map, Value, json};

/// Most decisions listed per schema; past it the list ends with a `truncated` entry.
pub const MAX_DECISIONS: usize = 500;

/// The decisions of `schema` (a schema from [`derive_schema_with`](super::derive_schema_with)),
/// in document order. Each is `{"pointer", "decision", "reason", ...details}`; the pointer
/// addresses the sampled documents (`*` for array elements and map values).
pub fn decisions(schema: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    walk(schema, &mut String::new(), &mut out);
    if out.len() > MAX_DECISIONS {
        let total = out.len();
        out.truncate(MAX_DECISIONS);
        out.push(json!({"decision": "truncated", "listed": MAX_DECISIONS, "total": total}));
    }
    out
}

fn walk(schema: &Value, pointer: &mut String, out: &mut Vec<Value>) {
    let Value::Object(s) = schema else { return };
    note(s, pointer, out);
    if let Some(Value::Object(props)) = s.get("properties") {
        for (name, sub) in props {
            let len = pointer.len();
            pointer.push('/');
            pointer.push_str(&name.replace('~', "~0").replace('/', "~1"));
            walk(sub, pointer, out);
            pointer.truncate(len);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(sub @ Value::Object(_)) = s.get(key) {
            let len = pointer.len();
            pointer.push_str("/*");
            walk(sub, pointer, out);
            pointer.truncate(len);
        }
    }
    if let Some(Value::Array(branches)) = s.get("anyOf") {
        for b in branches {
            walk(b, pointer, out);
        }
    }
}

fn note(s: &Map<String, Value>, pointer: &str, out: &mut Vec<Value>) {
    let mut push = |decision: &str, reason: &Value, details: Option<&Value>| {
        let mut d = json!({"pointer": pointer, "decision": decision, "reason": reason});
        if let (Some(Value::Object(extra)), Value::Object(o)) = (details, &mut d) {
            for (k, v) in extra.iter().filter(|(k, _)| k.as_str() != "reason") {
                o.insert(k.clone(), v.clone());
            }
        }
        out.push(d);
    };
    if let Some(o) = s.get("x-schemabus-optional") {
        push("optional", &o["reason"], Some(o));
    }
    if let Some(n) = s.get("x-schemabus-nullable") {
        push("nullable", n, None);
    }
    if let Some(m) = s.get("x-schemabus-map") {
        let sources = s.get("x-schemabus-map-sources").map(|v| json!({"sources": v}));
        push("map", m, sources.as_ref());
    }
    if let Some(f) = s.get("x-schemabus-format") {
        push("format-candidate", &f["reason"], Some(f));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_each_annotation_with_its_document_pointer() {
        let schema = json!({"type": "object", "properties": {
            "a/b": {"type": ["null", "string"], "x-schemabus-nullable": "all",
                    "x-schemabus-optional": {"reason": "evidence", "present": 2, "needed": 4}},
            "labels": {"type": "object", "x-schemabus-map": "varying-keys",
                       "additionalProperties": {"type": "number", "x-schemabus-nullable": "all"}},
            "ids": {"type": "array", "items": {"type": "string",
                    "x-schemabus-format": {"candidate": "uuid", "reason": "evidence", "present": 1, "needed": 4}}}
        }});
        let d = decisions(&schema);
        assert_eq!(
            d[0],
            json!({"pointer": "/a~1b", "decision": "optional", "reason": "evidence", "present": 2, "needed": 4})
        );
        assert_eq!(d[1], json!({"pointer": "/a~1b", "decision": "nullable", "reason": "all"}));
        assert_eq!(d[2], json!({"pointer": "/labels", "decision": "map", "reason": "varying-keys"}));
        assert_eq!(d[3], json!({"pointer": "/labels/*", "decision": "nullable", "reason": "all"}));
        assert_eq!(d[4]["pointer"], "/ids/*");
        assert_eq!(d[4]["candidate"], "uuid");
        assert_eq!(d.len(), 5);
    }
}
