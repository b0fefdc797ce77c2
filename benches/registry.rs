//! Registry benchmarks: `cargo bench --bench registry`.
//!
//! - `validation/*`: a cached validator against a 1 KB event next to a bare `serde_json`
//!   parse of the same bytes (in process, no HTTP), which is the cost the issue asks to
//!   compare.
//! - `http/*`: `GET .../versions/latest` and `POST .../versions/1/validate` over real
//!   HTTP on loopback, one keep-alive connection, against the service started in process
//!   on a temporary data directory.
#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly on any unexpected error")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use schemabus::config::Settings;
use schemabus::model::{RegistryName, SchemaName, VersionSelector};
use schemabus::registry::{RegistryConfig, RegistryService};
use schemabus::startup::Application;
use schemabus::storage::Store;
use serde_json::{Value, json};

fn order_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["orderId", "customer", "lines", "total", "placedAt"],
        "properties": {
            "orderId": {"type": "string", "format": "uuid"},
            "placedAt": {"type": "string", "format": "date-time"},
            "channel": {"enum": ["web", "store", "phone"]},
            "customer": {
                "type": "object",
                "required": ["id", "email"],
                "properties": {
                    "id": {"type": "string", "pattern": "^C[0-9]{6}$"},
                    "email": {"type": "string", "format": "email"},
                    "name": {"type": "string", "maxLength": 200},
                    "address": {"$ref": "#/$defs/address"}
                }
            },
            "lines": {"type": "array", "minItems": 1, "items": {
                "type": "object",
                "required": ["sku", "qty", "price"],
                "properties": {
                    "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
                    "qty": {"type": "integer", "minimum": 1},
                    "price": {"$ref": "#/$defs/money"}
                }
            }},
            "total": {"$ref": "#/$defs/money"},
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true}
        },
        "$defs": {
            "money": {"type": "object", "required": ["amount", "currency"], "properties": {
                "amount": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]{1,4})?$"},
                "currency": {"type": "string", "enum": ["EUR", "USD", "GBP"]}
            }},
            "address": {"type": "object", "properties": {
                "street": {"type": "string"}, "city": {"type": "string"}, "zip": {"type": "string"}, "country": {"type": "string", "minLength": 2, "maxLength": 2}
            }}
        }
    })
}

fn order_event() -> String {
    json!({
        "orderId": "6f1c2a3e-8b9d-4c1e-9f2a-1b2c3d4e5f60",
        "placedAt": "2026-11-23T10:15:00Z",
        "channel": "web",
        "customer": {"id": "C123456", "email": "ada@example.com", "name": "Ada Lovelace",
            "address": {"street": "12 Analytical Way", "city": "London", "zip": "N1 9GU", "country": "GB"}},
        "lines": [
            {"sku": "ABC-1234", "qty": 2, "price": {"amount": "19.99", "currency": "EUR"}},
            {"sku": "DEF-5678", "qty": 1, "price": {"amount": "5.00", "currency": "EUR"}},
            {"sku": "GHI-9012", "qty": 3, "price": {"amount": "7.25", "currency": "EUR"}},
            {"sku": "JKL-3456", "qty": 1, "price": {"amount": "102.10", "currency": "EUR"}}
        ],
        "total": {"amount": "166.83", "currency": "EUR"},
        "tags": ["first-order", "newsletter", "gift-wrap", "express"]
    })
    .to_string()
}

fn validation(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &Default::default()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let service = runtime
        .block_on(RegistryService::new(
            std::sync::Arc::new(store.clone()),
            store.clone(),
            schemabus::storage::Control::new(std::sync::Arc::new(store)),
            RegistryConfig::default(),
        ))
        .unwrap();
    let (registry, schema) =
        (RegistryName::parse("shop").unwrap(), SchemaName::parse("orders@OrderPlaced").unwrap());
    runtime.block_on(async {
        service.create_registry(serde_json::from_value(json!({"name": "shop"})).unwrap()).await.unwrap();
        service
            .register_version(
                &registry,
                &schema,
                serde_json::from_value(json!({"content": order_schema()})).unwrap(),
                schemabus::registry::WriteOrigin::User,
            )
            .await
            .unwrap();
    });
    let text = order_event();
    let document: Value = serde_json::from_str(&text).unwrap();
    let (_, validator) = service.validator(&registry, &schema, VersionSelector::Latest).unwrap();
    assert!(validator.is_valid(&document));

    let mut group = c.benchmark_group("validation");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("serde_json_parse_1kb", |b| {
        b.iter(|| black_box(serde_json::from_str::<Value>(black_box(&text)).unwrap()))
    });
    group.bench_function("cached_is_valid_1kb", |b| {
        b.iter(|| black_box(validator.is_valid(black_box(&document))))
    });
    group.bench_function("cached_lookup_and_full_errors_1kb", |b| {
        b.iter(|| {
            let (_, v) = service.validator(&registry, &schema, VersionSelector::Latest).unwrap();
            black_box(v.iter_errors(black_box(&document)).count())
        })
    });
    group.finish();
}

/// Starts the service with one worker on a data directory under `dir`, with `configure`
/// applied to its settings, in a thread of its own; returns its base URL.
fn serve(dir: &tempfile::TempDir, configure: impl FnOnce(&mut Settings) + Send + 'static) -> String {
    let data = dir.path().join("data");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let mut settings = Settings::for_data_dir(data);
            settings.workers = Some(1);
            configure(&mut settings);
            let app = Application::build(settings).await.unwrap();
            tx.send(app.port()).unwrap();
            app.run_until_stopped().await.unwrap();
        });
    });
    format!("http://127.0.0.1:{}", rx.recv().unwrap())
}

fn http(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let base = serve(&dir, |settings| settings.security.auth = schemabus::config::AuthMode::Off);
    let client = reqwest::blocking::Client::new();
    client.post(format!("{base}/v1/registries")).json(&json!({"name": "shop"})).send().unwrap();
    let created = client
        .post(format!("{base}/v1/registries/shop/schemas/orders@OrderPlaced/versions"))
        .json(&json!({"content": order_schema()}))
        .send()
        .unwrap();
    assert_eq!(created.status(), 201);
    let body = order_event();

    let mut group = c.benchmark_group("http");
    group.bench_function("get_latest_version", |b| {
        b.iter(|| {
            let r = client
                .get(format!("{base}/v1/registries/shop/schemas/orders@OrderPlaced/versions/latest"))
                .send()
                .unwrap();
            assert!(r.status().is_success());
            black_box(r.bytes().unwrap())
        })
    });
    group.bench_function("validate_1kb", |b| {
        b.iter(|| {
            let r = client
                .post(format!("{base}/v1/registries/shop/schemas/orders@OrderPlaced/versions/1/validate"))
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .unwrap();
            assert!(r.status().is_success());
            black_box(r.bytes().unwrap())
        })
    });
    group.finish();
}

/// The same read through the access middleware: bearer key, SHA-256, one key lookup,
/// token bucket, grant check (compare with `http/get_latest_version`).
fn http_with_key(c: &mut Criterion) {
    const KEY: &str = "sb_bench-admin-key-0123456789abcdefghijklmnop";
    let dir = tempfile::tempdir().unwrap();
    let base = serve(&dir, |settings| {
        settings.security.admin_key = Some(KEY.to_owned());
        settings.security.rate_limit_per_second = 1_000_000;
    });
    let client = reqwest::blocking::Client::new();
    client
        .post(format!("{base}/v1/registries"))
        .bearer_auth(KEY)
        .json(&json!({"name": "shop"}))
        .send()
        .unwrap();
    let created = client
        .post(format!("{base}/v1/registries/shop/schemas/orders@OrderPlaced/versions"))
        .bearer_auth(KEY)
        .json(&json!({"content": order_schema()}))
        .send()
        .unwrap();
    assert_eq!(created.status(), 201);
    let mut group = c.benchmark_group("http");
    group.bench_function("get_latest_version_with_key", |b| {
        b.iter(|| {
            let r = client
                .get(format!("{base}/v1/registries/shop/schemas/orders@OrderPlaced/versions/latest"))
                .bearer_auth(KEY)
                .send()
                .unwrap();
            assert!(r.status().is_success());
            black_box(r.bytes().unwrap())
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5)).warm_up_time(Duration::from_secs(1));
    targets = validation, http, http_with_key
}
criterion_main!(benches);
