//! Cost of checking two 100-property schemas (target: well under a millisecond).
//!
//! Run with `cargo bench --bench compat_check`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use schemabus::compat::{CompatibilityMode, Direction, Policy, SchemaMap, check, compare, diff};
use serde_json::{Map, Value, json};

/// A realistic event schema with 100 top-level properties of mixed shapes; `revision`
/// applies the kind of edits a new version makes (wider bounds, new optional fields,
/// changed descriptions).
fn event_schema(revision: u32) -> Value {
    let mut properties = Map::new();
    for i in 0..100 {
        let schema = match i % 5 {
            0 => {
                json!({"type": "string", "maxLength": 64 + revision * (i % 3), "description": format!("field {i} r{revision}")})
            }
            1 => json!({"type": "integer", "minimum": 0, "maximum": 1000 + revision}),
            2 => json!({"type": "string", "enum": ["a", "b", "c"], "default": "a"}),
            3 => json!({"type": "array", "items": {"type": "string", "format": "uuid"}, "maxItems": 10}),
            _ => json!({
                "type": "object",
                "properties": {
                    "street": {"type": "string"},
                    "zip": {"type": "string", "pattern": "^[0-9]{5}$"},
                    "country": {"$ref": "#/$defs/country"}
                },
                "required": ["street"],
                "additionalProperties": false
            }),
        };
        properties.insert(format!("field_{i:03}"), schema);
    }
    if revision > 0 {
        properties.insert("added_optional".into(), json!({"type": "string"}));
    }
    let required: Vec<String> = (0..100).step_by(7).map(|i| format!("field_{i:03}")).collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {"country": {"type": "string", "minLength": 2, "maxLength": 2}},
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false
    })
}

fn bench(c: &mut Criterion) {
    let old = event_schema(0);
    let new = event_schema(1);
    let refs = SchemaMap::new();
    let findings = compare(&old, &new, Direction::Backward, Policy::Strict, &refs);
    assert!(findings.iter().all(|f| f.compatible), "benchmark pair must be backward compatible");
    c.bench_function("compat/backward/100_properties", |b| {
        b.iter(|| compare(black_box(&old), black_box(&new), Direction::Backward, Policy::Strict, &refs));
    });
    c.bench_function("compat/full/100_properties", |b| {
        b.iter(|| check(black_box(&old), black_box(&new), CompatibilityMode::Full, Policy::Strict, &refs));
    });
    c.bench_function("compat/diff/100_properties", |b| {
        b.iter(|| diff(black_box(&old), black_box(&new), Policy::Strict, &refs));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
