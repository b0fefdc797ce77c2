//! Discovery on live traffic: sampling, discovered versions, restarts, hints, drift.

use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::bus_support::entry;
use crate::helpers::{ServiceProcess, TestApp, data_dir, spawn_app_with};
use schemabus::infer::NullPolicy;

const DEADLINE: Duration = Duration::from_secs(15);
const LATEST: &str = "/v1/registries/discovered-schemas/schemas/orders@OrderPlaced/versions/latest";

/// The mechanics tests run discovery in exact mode (every always-present field required,
/// observed nulls only) so each sample's effect is visible; the default evidence threshold
/// and null policy have their own tests at the end.
async fn app() -> TestApp {
    spawn_app_with(|s| {
        s.discovery.min_interval_seconds = 0;
        s.discovery.min_required = 1;
        s.discovery.nulls = NullPolicy::Observed;
    })
    .await
}

/// Creates a bus (validation off unless given) with discovery on at `rate`.
async fn discovering_bus(app: &TestApp, bus: &str, validation: Option<Value>, rate: f64) {
    let mut body = json!({"name": bus});
    if let Some(v) = validation {
        body["validation"] = v;
    }
    let reply = app.post("/v1/buses", body).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let reply =
        app.put(&format!("/v1/buses/{bus}/discovery"), json!({"enabled": true, "sampleRate": rate})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["enabled"], true);
}

/// Polls `path` until `done` holds for a 200 answer; returns that body.
async fn wait_for(app: &TestApp, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let reply = app.get(path).await;
        if reply.status == 200 && done(&reply.body) {
            return reply.body;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting on {path}; last answer {}", reply.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn placed(detail: Value) -> Value {
    entry("orders", "Order Placed", detail)
}

#[tokio::test]
async fn discovery_registers_a_schema_and_a_new_version_when_a_field_appears() {
    let app = app().await;
    let reply = app.post("/v1/buses", json!({"name": "shop"})).await;
    assert_eq!(reply.status, 201);
    let off = app.get("/v1/buses/shop/discovery").await;
    assert_eq!(off.status, 200);
    assert_eq!(off.body["enabled"], false, "{}", off.body);
    let reply = app.put("/v1/buses/shop/discovery", json!({"enabled": true, "sampleRate": 1})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    app.put_events(
        "shop",
        json!([placed(json!({"orderId": "o-1", "total": 3})), placed(json!({"orderId": "o-2", "total": 4}))]),
    )
    .await;
    let v1 = wait_for(&app, LATEST, |b| b["version"] == 1).await;
    assert_eq!(v1["content"]["title"], "orders@OrderPlaced");
    assert_eq!(v1["content"]["required"], json!(["orderId", "total"]), "{v1}");

    app.put_events("shop", json!([placed(json!({"orderId": "o-3", "total": 5, "coupon": "SPRING"}))])).await;
    let v2 = wait_for(&app, LATEST, |b| b["version"] == 2).await;
    assert_eq!(v2["content"]["properties"]["coupon"]["type"], "string", "{v2}");
    // A new extreme value alone (here `total`'s range) makes no version; the next one
    // carries the range up to date.
    assert_eq!(v2["content"]["properties"]["total"]["x-schemabus-range"], json!([3, 5]), "{v2}");
    assert_eq!(v2["content"]["required"], json!(["orderId", "total"]));

    // Same shape again: no new version.
    app.put_events("shop", json!([placed(json!({"orderId": "o-4", "total": 6, "coupon": "X"}))])).await;
    let status = wait_for(&app, "/v1/buses/shop/discovery", |b| b["counters"]["inferred"] == 4).await;
    assert_eq!(status["counters"]["sampled"], 4, "{status}");
    assert_eq!(status["counters"]["dropped"], 0);
    assert_eq!(status["counters"]["versionsCreated"], 2);
    assert_eq!(status["sampleRate"], 1.0);
    let versions = app.get("/v1/registries/discovered-schemas/schemas/orders@OrderPlaced/versions").await;
    assert_eq!(versions.body["items"].as_array().unwrap().len(), 2, "{}", versions.body);
}

#[tokio::test]
async fn sampling_rate_zero_samples_nothing_and_settings_are_checked() {
    let app = app().await;
    discovering_bus(&app, "quiet", None, 0.0).await;
    discovering_bus(&app, "loud", None, 1.0).await;
    app.put_events(
        "quiet",
        json!([entry("quiet", "Ping", json!({"n": 1})), entry("quiet", "Ping", json!({"n": 2}))]),
    )
    .await;
    app.put_events("loud", json!([entry("loud", "Ping", json!({"n": 1}))])).await;
    // The queue is first in, first out: once loud's sample is in, quiet's would be too.
    wait_for(&app, "/v1/registries/discovered-schemas/schemas/loud@Ping/versions/latest", |_| true).await;
    let quiet = app.get("/v1/buses/quiet/discovery").await;
    assert_eq!(quiet.body["counters"]["sampled"], 0, "{}", quiet.body);
    assert_eq!(quiet.body["counters"]["inferred"], 0);
    app.get("/v1/registries/discovered-schemas/schemas/quiet@Ping")
        .await
        .assert_error(404, "schema_not_found");

    app.put("/v1/buses/quiet/discovery", json!({"enabled": true, "sampleRate": 1.5}))
        .await
        .assert_error(400, "invalid_request");
    app.put("/v1/buses/nope/discovery", json!({"enabled": true})).await.assert_error(404, "bus_not_found");
    app.get("/v1/buses/nope/discovery").await.assert_error(404, "bus_not_found");
}

fn blocking_wait(client: &Client, url: &str, done: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        if let Ok(r) = client.get(url).send()
            && r.status() == 200
        {
            let body: Value = r.json().unwrap();
            if done(&body) {
                return body;
            }
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting on {url}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn blocking_put_events(client: &Client, base: &str, entries: Value) {
    let reply = client
        .post(format!("{base}/v1/buses/shop/events"))
        .json(&json!({"entries": entries}))
        .send()
        .unwrap();
    assert_eq!(reply.status(), 200);
}

#[test]
fn discovery_state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let flags = [
        "--discovery-min-interval-seconds",
        "0",
        "--discovery-min-required",
        "1",
        "--discovery-nulls",
        "observed",
    ];
    let client = Client::new();
    let service = ServiceProcess::start_with(&data_dir(&dir), &flags);
    let base = service.base.clone();
    assert_eq!(
        client.post(format!("{base}/v1/buses")).json(&json!({"name": "shop"})).send().unwrap().status(),
        201
    );
    let reply =
        client.put(format!("{base}/v1/buses/shop/discovery")).json(&json!({"enabled": true})).send().unwrap();
    assert_eq!(reply.status(), 200);
    blocking_put_events(
        &client,
        &base,
        json!([
            placed(json!({"orderId": "o-1", "legacy": true})),
            placed(json!({"orderId": "o-2", "legacy": false}))
        ]),
    );
    let v1 = blocking_wait(&client, &format!("{base}{LATEST}"), |b| b["version"] == 1);
    assert_eq!(v1["content"]["required"], json!(["legacy", "orderId"]), "{v1}");
    service.terminate();

    let service = ServiceProcess::start_with(&data_dir(&dir), &flags);
    let base = service.base.clone();
    let status: Value = client.get(format!("{base}/v1/buses/shop/discovery")).send().unwrap().json().unwrap();
    assert_eq!(status["enabled"], true, "settings persist: {status}");
    blocking_put_events(&client, &base, json!([placed(json!({"orderId": "o-3", "total": 7}))]));
    let v2 = blocking_wait(&client, &format!("{base}{LATEST}"), |b| b["version"] == 2);
    // Both batches: `legacy` (first batch only) is now optional, `total` (second only) too.
    assert_eq!(v2["content"]["required"], json!(["orderId"]), "{v2}");
    assert_eq!(v2["content"]["properties"]["legacy"]["type"], "boolean", "{v2}");
    assert_eq!(v2["content"]["properties"]["total"]["type"], "number", "{v2}");
    service.terminate();
}

#[tokio::test]
async fn hints_change_the_discovered_schema() {
    let app = app().await;
    let hints_path = "/v1/discovery/hints/orders@OrderPlaced";
    let empty = app.get(hints_path).await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.body["closed"], json!([]), "{}", empty.body);
    discovering_bus(&app, "shop", None, 1.0).await;
    app.put_events(
        "shop",
        json!([
            placed(json!({"orderId": "o-1", "status": "NEW"})),
            placed(json!({"orderId": "o-2", "status": "PAID"}))
        ]),
    )
    .await;
    let v1 = wait_for(&app, LATEST, |b| b["version"] == 1).await;
    assert!(v1["content"]["properties"]["status"].get("enum").is_none(), "{v1}");
    assert_ne!(v1["content"]["additionalProperties"], false);

    let reply = app.put(hints_path, json!({"enum": ["/status"], "closed": [""]})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let v2 = wait_for(&app, LATEST, |b| b["version"] == 2).await;
    assert_eq!(v2["content"]["properties"]["status"]["enum"], json!(["NEW", "PAID"]), "{v2}");
    assert_eq!(v2["content"]["additionalProperties"], false, "{v2}");
    let stored = app.get(hints_path).await;
    assert_eq!(stored.body["enum"], json!(["/status"]));

    // Hints persist across versions: a new field keeps them applied.
    app.put_events("shop", json!([placed(json!({"orderId": "o-3", "status": "NEW", "note": "n"}))])).await;
    let v3 = wait_for(&app, LATEST, |b| b["version"] == 3).await;
    assert_eq!(v3["content"]["additionalProperties"], false, "{v3}");
    assert!(v3["content"]["properties"]["note"].is_object());

    app.put(hints_path, json!({"bogus": []})).await.assert_error(400, "invalid_request");
}

#[tokio::test]
async fn drift_is_published_once_when_producers_break_the_contract() {
    let app = app().await;
    app.create_unchecked_registry("shop").await;
    let contract = json!({
        "type": "object",
        "required": ["orderId", "total"],
        "properties": {"orderId": {"type": "string"}, "total": {"type": "number"}}
    });
    assert_eq!(app.register("shop", "orders@OrderPlaced", contract).await.status, 201);
    discovering_bus(&app, "orders", Some(json!({"mode": "warn", "registry": "shop"})), 1.0).await;
    app.create_queue("drift", 30).await;
    app.route_to_queue(
        "default",
        "drift",
        json!({"source": ["schemabus.registry"], "detail-type": ["Schema Drift Detected"]}),
        "drift",
    )
    .await;

    app.put_events("orders", json!([placed(json!({"orderId": "o-1", "total": 3}))])).await;
    wait_for(&app, LATEST, |b| b["version"] == 1).await;
    // The producer drops `total`: accepted in warn mode, and discovered.
    let body = app.put_events("orders", json!([placed(json!({"orderId": "o-2"}))])).await;
    assert_eq!(body["failedEntryCount"], 0);
    wait_for(&app, LATEST, |b| b["version"] == 2).await;

    let start = Instant::now();
    let events = loop {
        let events = app.drain("drift").await;
        if !events.is_empty() {
            break events;
        }
        assert!(start.elapsed() < DEADLINE, "no drift event");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(events.len(), 1, "{events:?}");
    let detail = &events[0]["detail"];
    assert_eq!(events[0]["source"], "schemabus.registry");
    assert_eq!(events[0]["detail-type"], "Schema Drift Detected");
    assert_eq!(detail["bus"], "orders");
    assert_eq!(detail["eventType"], "orders@OrderPlaced");
    assert_eq!(detail["contract"], json!({"registry": "shop", "schema": "orders@OrderPlaced", "version": 1}));
    assert_eq!(detail["discoveredVersion"], 2);
    let findings = detail["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{detail}");
    assert_eq!(findings[0]["type"], "REQUIRED_ATTRIBUTE_ADDED");
    assert_eq!(findings[0]["path"], "#/required/total");
    assert!(findings[0]["message"].is_string());
    let status = app.get("/v1/buses/orders/discovery").await;
    assert_eq!(status.body["counters"]["driftEvents"], 1, "{}", status.body);
    // The bus's status lists what was reported (the stored record, not the counter).
    assert_eq!(
        status.body["drift"],
        json!([{"eventType": "orders@OrderPlaced", "contract": "shop/orders@OrderPlaced/1", "type": "REQUIRED_ATTRIBUTE_ADDED", "path": "#/required/total"}]),
        "{}",
        status.body
    );

    // Same breakage again, plus a new optional field: a new version, but nothing new to report.
    app.put_events("orders", json!([placed(json!({"orderId": "o-3", "note": "n"}))])).await;
    wait_for(&app, LATEST, |b| b["version"] == 3).await;
    let status = wait_for(&app, "/v1/buses/orders/discovery", |b| b["counters"]["inferred"] == 3).await;
    assert_eq!(status["counters"]["driftEvents"], 1, "{status}");
    assert_eq!(status["drift"].as_array().map(Vec::len), Some(1), "{status}");
}

#[tokio::test]
async fn a_change_inside_the_minimum_interval_is_registered_when_it_ends() {
    let app = spawn_app_with(|s| {
        s.discovery.min_interval_seconds = 2;
        s.discovery.min_required = 1;
    })
    .await;
    discovering_bus(&app, "shop", None, 1.0).await;
    app.put_events("shop", json!([placed(json!({"orderId": "o-1"}))])).await;
    let v1 = wait_for(&app, LATEST, |b| b["version"] == 1).await;
    let v1_at = Instant::now();
    app.put_events("shop", json!([placed(json!({"orderId": "o-2", "coupon": "C"}))])).await;
    wait_for(&app, "/v1/buses/shop/discovery", |b| b["counters"]["inferred"] == 2).await;
    let still = app.get(LATEST).await;
    assert_eq!(still.body["version"], 1, "the interval holds the change back: {}", still.body);
    let v2 = wait_for(&app, LATEST, |b| b["version"] == 2).await;
    assert!(v1_at.elapsed() >= Duration::from_millis(1500));
    assert!(v2["content"]["properties"]["coupon"].is_object(), "{v2}");
    let (a, b) = (v1["createdAt"].as_str().unwrap(), v2["createdAt"].as_str().unwrap());
    let parse =
        |t: &str| time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).unwrap();
    assert!(parse(b) - parse(a) >= time::Duration::seconds(2), "{a} {b}");
}

#[tokio::test]
async fn a_full_queue_drops_and_counts_samples_without_failing_put_events() {
    let app = spawn_app_with(|s| {
        s.discovery.min_interval_seconds = 0;
        s.discovery.queue = 1;
    })
    .await;
    discovering_bus(&app, "busy", None, 1.0).await;
    let entries: Vec<Value> = (0..100).map(|i| entry("busy", "Tick", json!({"n": i}))).collect();
    let body = app.put_events("busy", json!(entries)).await;
    assert_eq!(body["failedEntryCount"], 0);
    let status = wait_for(&app, "/v1/buses/busy/discovery", |b| {
        b["counters"]["inferred"] == b["counters"]["sampled"] && b["counters"]["sampled"].as_u64() > Some(0)
    })
    .await;
    let counters = &status["counters"];
    let (sampled, dropped) = (counters["sampled"].as_u64().unwrap(), counters["dropped"].as_u64().unwrap());
    assert_eq!(sampled + dropped, 100, "{status}");
    assert!(dropped > 0, "a queue of 1 cannot take 100 events at once: {status}");
    wait_for(&app, "/v1/registries/discovered-schemas/schemas/busy@Tick/versions/latest", |_| true).await;
}

#[tokio::test]
async fn refused_events_are_discovered_too() {
    let app = app().await;
    app.create_unchecked_registry("shop").await;
    let contract =
        json!({"type": "object", "required": ["orderId"], "properties": {"orderId": {"type": "string"}}});
    assert_eq!(app.register("shop", "orders@OrderPlaced", contract).await.status, 201);
    discovering_bus(&app, "strict", Some(json!({"mode": "enforce", "registry": "shop"})), 1.0).await;
    let body = app.put_events("strict", json!([placed(json!({"orderId": 42}))])).await;
    assert_eq!(body["failedEntryCount"], 1, "{body}");
    let v1 = wait_for(&app, LATEST, |b| b["version"] == 1).await;
    assert_eq!(v1["content"]["properties"]["orderId"]["type"], "number", "{v1}");
    let status = wait_for(&app, "/v1/buses/strict/discovery", |b| b["counters"]["driftEvents"] == 1).await;
    assert!(status["counters"].get("lastError").is_none(), "{status}");
}

/// Issue 24 end to end, with the default evidence threshold, null policy and registry
/// knowledge: a discoverer that has seen a few events accepts the next ones (rare nulls,
/// map keys not seen before, a field left out) and reports no drift for them, while a
/// contract that does not take nulls everywhere is in force.
#[tokio::test]
async fn defaults_learn_a_schema_that_accepts_later_events_without_false_drift() {
    let app = spawn_app_with(|s| s.discovery.min_interval_seconds = 0).await;
    app.create_unchecked_registry("shop").await;
    let contract = json!({"type": "object", "required": ["orderId", "total"], "properties": {
        "orderId": {"type": "string"}, "total": {"type": "number"},
        "description": {"type": ["string", "null"]},
        "assignee": {"type": ["object", "null"], "properties": {"login": {"type": "string"}}},
        "coupon": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "number"}}}});
    assert_eq!(app.register("shop", "orders@OrderPlaced", contract).await.status, 201);
    discovering_bus(&app, "orders", Some(json!({"mode": "warn", "registry": "shop"})), 1.0).await;
    app.create_queue("drift", 30).await;
    app.route_to_queue(
        "default",
        "drift",
        json!({"source": ["schemabus.registry"], "detail-type": ["Schema Drift Detected"]}),
        "drift",
    )
    .await;

    let early = [
        json!({"orderId": "o-1", "total": 3, "description": "gift", "assignee": {"login": "ana"},
               "coupon": "SPRING", "labels": {"bug": 1, "ui": 2, "p1": 1}}),
        json!({"orderId": "o-2", "total": 4.5, "description": "rush", "assignee": {"login": "bo"},
               "coupon": "SUMMER", "labels": {"docs": 1, "p2": 3, "bug": 2}}),
        json!({"orderId": "o-3", "total": 5, "description": "none", "assignee": {"login": "chen"},
               "coupon": "FALL", "labels": {"ui": 4, "needs triage": 1, "p3": 2}}),
    ];
    app.put_events("orders", json!(early.iter().cloned().map(placed).collect::<Vec<_>>())).await;
    wait_for(&app, "/v1/buses/orders/discovery", |b| b["counters"]["inferred"] == 3).await;
    // The worker may register a version from the first samples of the batch before the
    // rest are merged: wait for the one learned from all three.
    let learned =
        wait_for(&app, LATEST, |b| b["content"]["properties"]["labels"]["x-schemabus-map"] == "varying-keys")
            .await;
    let version = learned["version"].as_u64().unwrap();
    let content = &learned["content"];
    assert_eq!(content["properties"]["labels"]["x-schemabus-map"], "varying-keys", "{content}");
    assert_eq!(content["properties"]["description"]["x-schemabus-nullable"], "all");
    assert_eq!(content["properties"]["coupon"]["x-schemabus-optional"]["reason"], "evidence");

    let later = [
        json!({"orderId": "o-4", "total": 6, "description": null, "assignee": null,
               "labels": {"security": 7, "good first issue": 1}}),
        json!({"orderId": "o-5", "total": 7.25, "description": "late", "assignee": {"login": "dara"},
               "coupon": "WINTER", "labels": {}}),
    ];
    for event in &later {
        let verdict = app
            .post(
                &format!(
                    "/v1/registries/discovered-schemas/schemas/orders@OrderPlaced/versions/{version}/validate"
                ),
                event.clone(),
            )
            .await;
        assert_eq!(verdict.body["valid"], true, "{event} against {content}: {}", verdict.body);
    }
    // Really wrong events are still refused: a number where strings were always seen.
    let wrong = json!({"orderId": 8, "total": 1, "labels": {"bug": "high"}});
    let verdict = app
        .post(
            &format!(
                "/v1/registries/discovered-schemas/schemas/orders@OrderPlaced/versions/{version}/validate"
            ),
            wrong,
        )
        .await;
    assert_eq!(verdict.body["valid"], false, "{}", verdict.body);

    let body = app.put_events("orders", json!(later.iter().cloned().map(placed).collect::<Vec<_>>())).await;
    assert_eq!(body["failedEntryCount"], 0);
    let status = wait_for(&app, "/v1/buses/orders/discovery", |b| b["counters"]["inferred"] == 5).await;
    assert!(status["counters"].get("lastError").is_none(), "{status}");
    // The worker checks drift right after registering; give it a moment, then look.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let drift = app.drain("drift").await;
    assert!(drift.is_empty(), "no drift event: {drift:?}");
    let status = app.get("/v1/buses/orders/discovery").await;
    assert_eq!(status.body["counters"]["driftEvents"], 0, "{}", status.body);
}

#[tokio::test]
async fn a_types_hints_override_the_evidence_threshold_and_null_policy() {
    let app = spawn_app_with(|s| s.discovery.min_interval_seconds = 0).await;
    discovering_bus(&app, "shop", None, 1.0).await;
    app.put_events(
        "shop",
        json!([placed(json!({"orderId": "o-1", "total": 3})), placed(json!({"orderId": "o-2", "total": 4}))]),
    )
    .await;
    let v1 = wait_for(&app, LATEST, |b| b["version"] == 1).await;
    assert!(v1["content"].get("required").is_none(), "two samples establish nothing by default: {v1}");
    assert_eq!(v1["content"]["properties"]["orderId"]["type"], json!(["null", "string"]));

    let hints_path = "/v1/discovery/hints/orders@OrderPlaced";
    let settings = json!({"minRequired": 2, "nulls": "observed", "registryKnowledge": false});
    let reply = app.put(hints_path, settings.clone()).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["minRequired"], 2);
    let v2 = wait_for(&app, LATEST, |b| b["version"] == 2).await;
    assert_eq!(v2["content"]["required"], json!(["orderId", "total"]), "{v2}");
    assert_eq!(v2["content"]["properties"]["orderId"]["type"], "string");
    let stored = app.get(hints_path).await;
    assert_eq!(stored.body["nulls"], "observed", "{}", stored.body);
    assert_eq!(stored.body["registryKnowledge"], false);

    let reply = app.put(hints_path, json!({"minRequired": 0})).await;
    let body = reply.assert_error(400, "invalid_request");
    assert_eq!(body["details"]["pointer"], "/minRequired", "{body}");
    let reply = app.put(hints_path, json!({"nulls": "often"})).await;
    let body = reply.assert_error(400, "invalid_request");
    assert_eq!(body["details"]["pointer"], "/nulls", "{body}");
}

/// A field the contract requires, sent by the first samples and then left out, is drift
/// even while its requiredness was still short of evidence in the discovered version.
#[tokio::test]
async fn a_required_field_left_out_before_its_evidence_settles_is_drift() {
    let app = spawn_app_with(|s| s.discovery.min_interval_seconds = 0).await;
    app.create_unchecked_registry("shop").await;
    let contract = json!({"type": "object", "required": ["orderId", "coupon"],
        "properties": {"orderId": {"type": "string"}, "coupon": {"type": "string"}}});
    assert_eq!(app.register("shop", "orders@OrderPlaced", contract).await.status, 201);
    discovering_bus(&app, "orders", Some(json!({"mode": "warn", "registry": "shop"})), 1.0).await;
    let with_coupon: Vec<Value> =
        (1..=2).map(|i| placed(json!({"orderId": format!("o-{i}"), "coupon": format!("C{i}")}))).collect();
    app.put_events("orders", json!(with_coupon)).await;
    wait_for(&app, "/v1/buses/orders/discovery", |b| b["counters"]["inferred"] == 2).await;
    wait_for(&app, LATEST, |b| b["version"].as_u64() >= Some(1)).await;
    let status = app.get("/v1/buses/orders/discovery").await;
    assert_eq!(status.body["counters"]["driftEvents"], 0, "{}", status.body);

    // Three samples: no threshold is crossed, only `coupon`'s question is settled.
    app.put_events("orders", json!([placed(json!({"orderId": "o-3"}))])).await;
    let status = wait_for(&app, "/v1/buses/orders/discovery", |b| b["counters"]["driftEvents"] == 1).await;
    assert!(status["counters"].get("lastError").is_none(), "{status}");
}

/// Registry knowledge reaches the types already learned: a schema registered after a
/// type's last sample, saying a same-named structure's field can be null, makes a new
/// discovered version without another sample of that type.
#[tokio::test]
async fn knowledge_registered_later_reaches_types_already_learned() {
    let app = spawn_app_with(|s| s.discovery.min_interval_seconds = 0).await;
    let hints = app.put("/v1/discovery/hints/orders@OrderPlaced", json!({"nulls": "observed"})).await;
    assert_eq!(hints.status, 200, "{}", hints.body);
    discovering_bus(&app, "shop", None, 1.0).await;
    let repository = |id: u64| json!({"id": id, "name": format!("r{id}"), "homepage": "https://x.test"});
    app.put_events(
        "shop",
        json!([
            placed(json!({"orderId": "o-1", "repository": repository(1)})),
            placed(json!({"orderId": "o-2", "repository": repository(2)}))
        ]),
    )
    .await;
    let v1 = wait_for(&app, LATEST, |b| b["version"] == 1).await;
    let homepage = &v1["content"]["properties"]["repository"]["properties"]["homepage"];
    assert_eq!(homepage["type"], "string", "{v1}");

    app.create_unchecked_registry("catalog").await;
    let elsewhere = json!({"type": "object", "properties": {"repository": {"type": "object",
        "required": ["id", "name"], "properties": {"id": {"type": "number"}, "name": {"type": "string"},
        "homepage": {"type": ["string", "null"]}}}}});
    assert_eq!(app.register("catalog", "repos@RepositoryCreated", elsewhere).await.status, 201);

    let v2 = wait_for(&app, LATEST, |b| b["version"] == 2).await;
    let homepage = &v2["content"]["properties"]["repository"]["properties"]["homepage"];
    assert!(
        homepage["type"].as_array().is_some_and(|t| t.contains(&json!("null"))),
        "the registered schema's nullable homepage reached the learned type: {v2}"
    );
    let status = app.get("/v1/buses/shop/discovery").await;
    assert_eq!(status.body["counters"]["inferred"], 2, "no new sample was needed: {}", status.body);
}
