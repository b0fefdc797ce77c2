//! What the PutEvents benches share (`bus_load`, `detail`, `restart`): the order event (a
//! detail of about 0.9 KB and a contract with patterns, enums, a format and nested
//! arrays), and the service and bus `bus_load` and `restart` drive.

#![allow(dead_code, reason = "each bench uses part of this module")]

use std::path::PathBuf;

use schemabus::config::{AuthMode, Durability, Settings};
use serde_json::{Value, json};

/// A bench knob from the environment.
pub fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The service's settings in the benches: data under `data_dir`, no keys, the default
/// worker count, and the given durability.
pub fn service_settings(data_dir: PathBuf, durability: Durability) -> Settings {
    let mut settings = Settings::for_data_dir(data_dir);
    settings.security.auth = AuthMode::Off;
    settings.workers = None;
    settings.bus.durability = durability;
    settings
}

/// Rules `bus_load` puts on its bus; event `n` has region `r{n % RULES}`.
pub const RULES: usize = 100;

/// Entries per PutEvents request.
pub const ENTRIES: usize = 10;

/// The `detail` of order `n`.
pub fn detail(n: usize) -> Value {
    json!({
        "orderId": format!("ord-{n:08}"),
        "region": format!("r{}", n % RULES),
        "total": 1234.5,
        "currency": "EUR",
        "customer": {"id": "C-10427", "tier": "gold", "email": "someone@example.com", "since": 2019,
                      "name": "Jane Example", "phone": "+33 1 23 45 67 89"},
        "shipping": {"street": "12 rue de l'Exemple", "city": "Paris", "zip": "75001", "country": "FR"},
        "lines": (0..4).map(|i| json!({"sku": format!("SKU-{i:05}"), "qty": i + 1, "price": 19.99, "name": "A product with a longish name"})).collect::<Vec<_>>(),
        "notes": "x".repeat(200),
    })
}

/// The contract every order is checked against.
pub fn contract() -> Value {
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

/// A PutEvents body of `ENTRIES` orders.
pub fn request_body() -> Vec<u8> {
    let entries: Vec<Value> = (0..ENTRIES)
        .map(|i| json!({"source": "shop", "detailType": "Order Placed", "detail": detail(i)}))
        .collect();
    serde_json::to_vec(&json!({ "entries": entries })).unwrap_or_default()
}

/// The same `ENTRIES` orders as an EventBridge PutEvents body (JSON 1.1: `Detail` is a
/// JSON string) for the AWS front end, on bus `load`.
pub fn aws_request_body() -> Vec<u8> {
    let entries: Vec<Value> = (0..ENTRIES)
        .map(|i| {
            json!({"Source": "shop", "DetailType": "Order Placed", "Detail": detail(i).to_string(), "EventBusName": "load"})
        })
        .collect();
    serde_json::to_vec(&json!({ "Entries": entries })).unwrap_or_default()
}

/// On the service at `base`: registry `bench` with the order contract, bus `load`
/// enforcing it, queue `sink`, and `RULES` rules, each sending its region's orders to
/// `sink` (so every order matches exactly one).
pub async fn set_up_bus(client: &reqwest::Client, base: &str) {
    let call = |method: reqwest::Method, path: &str, body: Value| {
        client.request(method, format!("{base}{path}")).json(&body).send()
    };
    let ok = |r: reqwest::Result<reqwest::Response>| assert!(r.is_ok_and(|r| r.status().is_success()));
    ok(call(reqwest::Method::POST, "/v1/registries", json!({"name": "bench"})).await);
    ok(call(
        reqwest::Method::POST,
        "/v1/registries/bench/schemas/shop@OrderPlaced/versions",
        json!({"content": contract()}),
    )
    .await);
    ok(call(
        reqwest::Method::POST,
        "/v1/buses",
        json!({"name": "load", "validation": {"mode": "enforce", "registry": "bench", "unknownEventTypes": "reject"}}),
    )
    .await);
    ok(call(reqwest::Method::PUT, "/v1/queues/sink", json!({"visibilityTimeoutSeconds": 30})).await);
    for i in 0..RULES {
        let pattern = json!({"source": ["shop"], "detail": {"region": [format!("r{i}")], "total": [{"numeric": [">", 0]}]}});
        ok(call(
            reqwest::Method::PUT,
            &format!("/v1/buses/load/rules/rule-{i}"),
            json!({"pattern": pattern, "targets": [{"id": "q", "type": "queue", "queue": "sink"}]}),
        )
        .await);
    }
}

/// The headers an AWS SDK sends with `body` as `AWSEvents.PutEvents` to `host`, signed with
/// SigV4 as it signs them (region `local`), at `now`. A signature is good for 15 minutes,
/// so one serves a whole bench phase.
pub fn sigv4_headers(
    body: &[u8],
    access_key_id: &str,
    secret: &str,
    host: &str,
    now: time::OffsetDateTime,
) -> Vec<(String, String)> {
    use schemabus::aws::sigv4::{self, Claim, Form, Request};
    use sha2::Digest as _;
    let amz_date = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let mut headers: Vec<(String, String)> = vec![
        ("content-type".into(), "application/x-amz-json-1.1".into()),
        ("host".into(), host.to_owned()),
        ("x-amz-date".into(), amz_date.clone()),
        ("x-amz-target".into(), "AWSEvents.PutEvents".into()),
    ];
    let mut claim = Claim {
        access_key_id: access_key_id.to_owned(),
        scope_date: amz_date[..8].to_owned(),
        region: "local".into(),
        service: "events".into(),
        signed_headers: headers.iter().map(|(k, _)| k.clone()).collect(),
        signature: String::new(),
        amz_date,
        form: Form::Header,
    };
    let request = Request { method: "POST", path: "/", query: "", headers: &headers, body };
    let canonical = sigv4::canonical_request(&request, &claim, &hex::encode(sha2::Sha256::digest(body)));
    let key = sigv4::signing_key(secret, &claim.scope_date, &claim.region, &claim.service);
    claim.signature = sigv4::signature(&key, &sigv4::string_to_sign(&claim, &canonical));
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={access_key_id}/{}/{}/{}/aws4_request, SignedHeaders={}, Signature={}",
        claim.scope_date,
        claim.region,
        claim.service,
        claim.signed_headers.join(";"),
        claim.signature
    );
    headers.push(("authorization".into(), authorization));
    headers
}
