//! What one PutEvents entry's `detail` costs, read as a `serde_json::Value` (parse,
//! validate, write back for storage) against read as a borrowed `Doc` (capture the raw
//! text, parse it borrowed, validate; the raw text is what is stored).
//!
//! Run: `cargo bench --bench detail` (a few seconds). Same detail and contract as
//! `bus_load`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use schemabus::json::{Doc, DocJson};
use serde_json::value::RawValue;
use serde_json::{Value, json};

/// The allocator the `schemabus` binary runs with (src/main.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn detail() -> Value {
    json!({
        "orderId": "ord-00000001",
        "region": "r1",
        "total": 1234.5,
        "currency": "EUR",
        "customer": {"id": "C-10427", "tier": "gold", "email": "someone@example.com", "since": 2019,
                      "name": "Jane Example", "phone": "+33 1 23 45 67 89"},
        "shipping": {"street": "12 rue de l'Exemple", "city": "Paris", "zip": "75001", "country": "FR"},
        "lines": (0..4).map(|i| json!({"sku": format!("SKU-{i:05}"), "qty": i + 1, "price": 19.99, "name": "A product with a longish name"})).collect::<Vec<_>>(),
        "notes": "x".repeat(200),
    })
}

fn contract() -> Value {
    json!({
        "type": "object",
        "required": ["orderId", "region", "total", "currency", "customer", "lines"],
        "properties": {
            "orderId": {"type": "string", "pattern": "^ord-[0-9]{8}$"},
            "region": {"type": "string"},
            "total": {"type": "number", "minimum": 0},
            "currency": {"enum": ["EUR", "USD", "GBP"]},
            "customer": {"type": "object", "required": ["id", "email"], "properties": {
                "id": {"type": "string"}, "tier": {"enum": ["gold", "silver", "bronze"]},
                "email": {"type": "string", "format": "email"}, "since": {"type": "integer"}}},
            "shipping": {"type": "object", "properties": {"zip": {"type": "string", "pattern": "^[0-9]{5}$"}}},
            "lines": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["sku", "qty", "price"],
                "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}, "price": {"type": "number"}}}},
            "notes": {"type": "string", "maxLength": 1000}
        }
    })
}

fn time(name: &str, rounds: u32, mut f: impl FnMut()) -> Duration {
    for _ in 0..rounds / 10 {
        f();
    }
    let started = Instant::now();
    for _ in 0..rounds {
        f();
    }
    let each = started.elapsed() / rounds;
    println!("{name:<58} {:>7.2} µs", each.as_secs_f64() * 1e6);
    each
}

fn main() {
    let entry =
        serde_json::to_vec(&json!({"source": "shop", "detailType": "Order Placed", "detail": detail()}))
            .unwrap_or_default();
    let by_value = jsonschema::options().should_validate_formats(true).build(&contract()).expect("compiles");
    let by_doc = jsonschema::options_for::<DocJson>()
        .should_validate_formats(true)
        .build(&contract())
        .expect("compiles");
    let rounds = 50_000;
    println!("detail: {} bytes of entry", entry.len());
    let value = time("Value: parse the entry + validate + write detail back", rounds, || {
        let v: Value = serde_json::from_slice(black_box(&entry)).unwrap_or_default();
        let detail = &v["detail"];
        black_box(by_value.is_valid(detail));
        let mut out = Vec::with_capacity(1024);
        serde_json::to_writer(&mut out, detail).unwrap_or_default();
        black_box(out);
    });
    #[derive(serde::Deserialize)]
    struct Entry<'a> {
        #[serde(borrow)]
        detail: &'a RawValue,
    }
    let doc = time("Doc: capture the raw detail + parse it borrowed + validate", rounds, || {
        let e: Entry<'_> = serde_json::from_slice(black_box(&entry)).expect("entry");
        let d = Doc::parse(e.detail.get()).unwrap_or(Doc::Null);
        black_box(by_doc.is_valid(&d));
        black_box(e.detail.get().len());
    });
    time("  of which: Value parse of the entry", rounds, || {
        black_box(serde_json::from_slice::<Value>(black_box(&entry)).ok());
    });
    time("  of which: Doc parse of the detail", rounds, || {
        let e: Entry<'_> = serde_json::from_slice(black_box(&entry)).expect("entry");
        black_box(Doc::parse(e.detail.get()).ok());
    });
    println!("Doc / Value: {:.2}", doc.as_secs_f64() / value.as_secs_f64());
}
