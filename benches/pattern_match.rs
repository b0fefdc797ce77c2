//! Event-pattern matching throughput and add latency, with the `quamina` crate side by
//! side on the operators both support.
//!
//! Run: `cargo bench --bench pattern_match` (about two minutes on 2 cores).
//!
//! Pattern mix (identical JSON for both engines), pattern `i` of `n`:
//! `{"account": ["<111122223333 + i % groups>"], <one operator condition>}` with
//! `groups = max(1, n / 10)`, cycling the operator over exact, prefix, numeric range,
//! anything-but (list), exists and wildcard. Every pattern's first field in sorted order
//! (`account`) is selective and 10 patterns share each value: quamina panics once
//! 256 or more patterns share their leading conditions and diverge after a prefix,
//! numeric or anything-but condition, so this is the mix it survives. The ~1 KB event
//! has account `111122223333` (group 0), so at every size it selects one group of 10
//! patterns (a typical number of candidate rules for one event) and 3 of them match;
//! what grows with `n` is everything else the matcher holds.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use quamina::{Quamina, QuaminaBuilder};
use schemabus::pattern::{Pattern, PatternMatcher};
use serde_json::{Value, json};

const SIZES: [usize; 3] = [10, 1_000, 100_000];
/// Patterns sharing each value of the selective first field.
const GROUP: usize = 10;

fn event() -> Vec<u8> {
    let detail: serde_json::Map<String, Value> = (0..14)
        .map(|i| (format!("f{i}"), json!(format!("value-{i}"))))
        .chain([
            ("status".to_string(), json!("S7")),
            ("amount".to_string(), json!(250.75)),
            ("priority".to_string(), json!("P2")),
            (
                "customer".to_string(),
                json!({"id": "C-10427", "tier": "gold", "email": "someone@example.com", "since": 2019}),
            ),
            (
                "items".to_string(),
                json!([
                    {"sku": "SKU-001", "qty": 2, "price": 19.99},
                    {"sku": "SKU-002", "qty": 1, "price": 5.5},
                    {"sku": "SKU-003", "qty": 4, "price": 102.0}
                ]),
            ),
            (
                "shipping".to_string(),
                json!({"method": "express", "carrier": "DHL", "tracking": "JD014600006281234567",
                    "address": {"street": "Rua Augusta 100", "city": "Lisbon", "country": "PT", "zip": "1100-148"}}),
            ),
        ])
        .collect();
    let ev = json!({
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "Order Placed",
        "source": "com.example.orders",
        "account": "111122223333",
        "time": "2026-01-29T18:43:48Z",
        "region": "eu-west-1",
        "resources": ["arn:aws:s3:::bucket-7/photos/2026/cat.png", "arn:aws:sqs:eu-west-1:111122223333:orders"],
        "detail": detail,
    });
    serde_json::to_vec(&ev).unwrap_or_default()
}

fn pattern_json(i: usize, n: usize) -> String {
    let groups = (n / GROUP).max(1);
    // Group 0 is the event's account, so at every size the event selects one group.
    let account = format!("{:012}", 111_122_223_333 + i % groups);
    let k = i / groups;
    let cond = match i % 6 {
        0 => json!({"detail": {"status": [format!("S{}", k % 13)]}}),
        1 => json!({"detail": {"customer": {"id": [{"prefix": format!("C-{}", 10 + k % 400)}]}}}),
        2 => {
            let lo = (k % 50) * 10;
            json!({"detail": {"amount": [{"numeric": [">", lo, "<=", lo + 100]}]}})
        }
        3 => json!({"detail": {"priority": [{"anything-but": [format!("P{}", k % 5), "P9"]}]}}),
        4 => json!({"detail": {format!("f{}", k % 20): [{"exists": true}]}}),
        _ => json!({"resources": [{"wildcard": format!("arn:aws:s3:::bucket-{}/*.png", k % 40)}]}),
    };
    let mut p = cond;
    if let Some(obj) = p.as_object_mut() {
        obj.insert("account".into(), json!([account]));
    }
    p.to_string()
}

fn schemabus_matcher(n: usize) -> PatternMatcher<u32> {
    let mut m = PatternMatcher::new();
    for i in 0..n {
        let v: Value = serde_json::from_str(&pattern_json(i, n)).unwrap_or_default();
        if let Ok(p) = Pattern::parse(&v) {
            m.add(i as u32, p);
        }
    }
    m
}

fn quamina_matcher(n: usize) -> Quamina<u32> {
    let mut q = QuaminaBuilder::new()
        .with_arena_byte_budget(1 << 31)
        .build()
        .unwrap_or_else(|e| panic!("quamina build: {e}"));
    for i in 0..n {
        q.add_pattern(i as u32, &pattern_json(i, n))
            .unwrap_or_else(|e| panic!("quamina rejected pattern {i}: {e}"));
    }
    q
}

fn bench_matching(c: &mut Criterion) {
    let raw = event();
    let parsed: Value = serde_json::from_slice(&raw).unwrap_or_default();
    let mut group = c.benchmark_group("match_1kb_event");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(1));
    for n in SIZES {
        let t = Instant::now();
        let ours = schemabus_matcher(n);
        let build_ours = t.elapsed();
        let t = Instant::now();
        let theirs = quamina_matcher(n);
        let hits_theirs = theirs.matches_for_event(&raw).map(|v| v.len()).unwrap_or(0);
        let build_theirs = t.elapsed();
        let mut hits_ours = ours.matches_bytes(&raw).unwrap_or_default();
        hits_ours.sort_unstable();
        eprintln!(
            "n={n}: schemabus built in {build_ours:?} ({} states), {} matches; \
             quamina built+first match in {build_theirs:?}, {hits_theirs} matches; event {} bytes",
            ours.state_count(),
            hits_ours.len(),
            raw.len()
        );
        assert_eq!(ours.matches(&parsed).len(), hits_ours.len());
        group.bench_function(format!("schemabus_bytes/{n}"), |b| {
            b.iter(|| black_box(ours.matches_bytes(black_box(&raw))))
        });
        group.bench_function(format!("schemabus_value/{n}"), |b| {
            b.iter(|| black_box(ours.matches(black_box(&parsed))))
        });
        group.bench_function(format!("schemabus_parse_then_value/{n}"), |b| {
            b.iter(|| {
                let v: Value = serde_json::from_slice(black_box(&raw)).unwrap_or_default();
                black_box(ours.matches(&v))
            })
        });
        group.bench_function(format!("quamina_bytes/{n}"), |b| {
            b.iter(|| black_box(theirs.matches_for_event(black_box(&raw))))
        });
    }
    group.finish();
}

fn bench_add(c: &mut Criterion) {
    let n = 100_000;
    let mut m = schemabus_matcher(n);
    let mut next = n;
    let mut group = c.benchmark_group("add_pattern_to_100k");
    group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    // Add (parse excluded) then remove outside the timed part, so the size stays 100k.
    group.bench_function("schemabus_add", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let v: Value = serde_json::from_str(&pattern_json(next, n)).unwrap_or_default();
                let Ok(p) = Pattern::parse(&v) else { continue };
                let id = next as u32;
                let t = Instant::now();
                m.add(id, p);
                total += t.elapsed();
                m.remove(&id);
                next += 1;
            }
            total
        })
    });
    group.bench_function("schemabus_parse_and_add", |b| {
        b.iter_batched(
            || {
                next += 1;
                (next as u32, pattern_json(next, n))
            },
            |(id, text)| {
                let v: Value = serde_json::from_str(&text).unwrap_or_default();
                if let Ok(p) = Pattern::parse(&v) {
                    m.add(id, p);
                }
                id
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
    // quamina re-freezes its automaton on the first match after an add; time one
    // add + match once rather than through criterion (it takes seconds).
    let raw = event();
    let mut q = quamina_matcher(n);
    let _ = q.matches_for_event(&raw);
    let t = Instant::now();
    let _ = q.add_pattern(u32::MAX, &pattern_json(n + 7, n));
    let add = t.elapsed();
    let _ = q.matches_for_event(&raw);
    eprintln!("quamina at 100k: add_pattern {add:?}, add + next match {:?}", t.elapsed());
}

criterion_group!(benches, bench_matching, bench_add);
criterion_main!(benches);
