//! Code generation throughput: a schema with 300 definitions (objects with nested objects,
//! enums, unions, arrays and cross references) must generate in well under 100 ms.
//!
//! Run: `cargo bench --bench codegen`.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use schemabus::codegen::{Generator, Language, Options};
use serde_json::{Map, Value, json};

/// 300 definitions; each references the next two (so all are reachable) and has nested
/// objects, a string enum, a tagged union, a nullable field and a map.
fn schema_with_300_definitions() -> Value {
    let mut defs = Map::new();
    for i in 0..300 {
        let next = format!("#/$defs/Def{}", (i + 1) % 300);
        let after = format!("#/$defs/Def{}", (i + 2) % 300);
        defs.insert(
            format!("Def{i}"),
            json!({
                "type": "object",
                "description": format!("Definition number {i}."),
                "required": ["id", "kind"],
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "kind": {"enum": ["alpha", "beta", "gamma"]},
                    "count": {"type": "integer", "minimum": 0, "maximum": 1000},
                    "amount": {"type": "number"},
                    "note": {"type": ["string", "null"]},
                    "next": {"$ref": next},
                    "items": {"type": "array", "items": {"$ref": after}},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "nested": {
                        "type": "object",
                        "properties": {"a": {"type": "boolean"}, "b": {"type": "array", "items": {"type": "integer"}}}
                    },
                    "choice": {"oneOf": [
                        {"type": "object", "required": ["t"], "properties": {"t": {"const": "x"}, "x": {"type": "string"}}},
                        {"type": "object", "required": ["t"], "properties": {"t": {"const": "y"}, "y": {"type": "number"}}}
                    ]}
                }
            }),
        );
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Big",
        "type": "object",
        "required": ["root"],
        "properties": {"root": {"$ref": "#/$defs/Def0"}},
        "$defs": defs,
    })
}

fn bench(c: &mut Criterion) {
    let generator = Generator::embedded().expect("embedded templates");
    let schema = schema_with_300_definitions();
    let external = BTreeMap::new();
    for language in Language::ALL {
        let options = Options::new(language, "big-schema");
        let files = generator.generate(&schema, &external, &options).expect("generate");
        let bytes: usize = files.iter().map(|f| f.contents.len()).sum();
        eprintln!("{}: {} files, {bytes} bytes", language.as_str(), files.len());
        c.bench_function(&format!("generate_300_definitions_{}", language.as_str()), |b| {
            b.iter(|| generator.generate(black_box(&schema), &external, &options).expect("generate"))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
