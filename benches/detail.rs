//! What one PutEvents entry's `detail` costs, read as a `serde_json::Value` (parse,
//! validate, write back for storage) against read as a borrowed `Doc` (capture the raw
//! text, parse it borrowed, validate; the raw text is what is stored).
//!
//! Run: `cargo bench --bench detail` (a few seconds). Same detail and contract as
//! `bus_load`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use schemabus::bus::entry::{DetailInput, EntryInput};
use schemabus::json::{Doc, DocJson};
use serde_json::{Value, json};

mod orders;
use orders::{contract, detail};

/// The allocator the `schemabus` binary runs with (src/main.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        serde_json::to_vec(&json!({"source": "shop", "detailType": "Order Placed", "detail": detail(1)}))
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
    // The raw detail as PutEvents captures it: `EntryInput` keeps `detail` as its text.
    let doc = time("Doc: capture the raw detail + parse it borrowed + validate", rounds, || {
        let e: EntryInput<'_> = serde_json::from_slice(black_box(&entry)).expect("entry");
        let text = raw_detail(e.detail.as_ref());
        let d = Doc::parse(text).unwrap_or(Doc::Null);
        black_box(by_doc.is_valid(&d));
        black_box(text.len());
    });
    time("  of which: Value parse of the entry", rounds, || {
        black_box(serde_json::from_slice::<Value>(black_box(&entry)).ok());
    });
    time("  of which: entry parse + Doc parse of the detail", rounds, || {
        let e: EntryInput<'_> = serde_json::from_slice(black_box(&entry)).expect("entry");
        black_box(Doc::parse(raw_detail(e.detail.as_ref())).ok());
    });
    println!("Doc / Value: {:.2}", doc.as_secs_f64() / value.as_secs_f64());
}

/// The JSON text of a native entry's `detail` (`null` when absent).
fn raw_detail<'a>(detail: Option<&DetailInput<'a>>) -> &'a str {
    match detail {
        Some(DetailInput::Raw(raw)) => raw.get(),
        _ => "null",
    }
}
