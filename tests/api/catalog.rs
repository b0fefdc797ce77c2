//! The event catalog and the AsyncAPI export after real traffic: a real server on a
//! loopback port, keys with grants, PutEvents over HTTP, and the official AsyncAPI parser
//! (`@asyncapi/parser` at the version of `tests/asyncapi/package-lock.json`, installed
//! with `npm ci` into `target/asyncapi`, once per lock file).

use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::Method;
use serde_json::{Value, json};

use crate::auth_support::{ADMIN, spawn_secure_app};
use crate::bus_support::entry;
use crate::helpers::TestApp;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Registry `shop` with two contracts, bus `orders` enforcing them, queue `billing`, a
/// rule on big orders into it and a rule on another source; returns the producer's key.
async fn shop(app: &TestApp) -> String {
    app.admin(Method::POST, "/v1/registries", json!({"name": "shop"})).await;
    let placed = json!({"type": "object", "required": ["orderId"],
        "properties": {"orderId": {"type": "string"}, "total": {"type": "number", "minimum": 0}},
        "examples": [{"orderId": "o-1", "total": 250}]});
    app.admin(
        Method::POST,
        "/v1/registries/shop/schemas/orders@OrderPlaced/versions",
        json!({"content": placed}),
    )
    .await;
    let cancelled = json!({"type": "object", "$defs": {"id": {"type": "string"}},
        "properties": {"orderId": {"$ref": "#/$defs/id"}}});
    app.admin(
        Method::POST,
        "/v1/registries/shop/schemas/orders@OrderCancelled/versions",
        json!({"content": cancelled}),
    )
    .await;
    app.admin(
        Method::POST,
        "/v1/buses",
        json!({"name": "orders", "validation": {"mode": "enforce", "registry": "shop"}}),
    )
    .await;
    app.admin(Method::PUT, "/v1/queues/billing", json!({})).await;
    app.admin(Method::PUT, "/v1/buses/orders/rules/big-orders", json!({
        "pattern": {"source": ["orders"], "detail-type": ["Order Placed"], "detail": {"total": [{"numeric": [">", 100]}]}},
        "targets": [{"id": "q", "type": "queue", "queue": "billing"}]})).await;
    app.admin(
        Method::PUT,
        "/v1/buses/orders/rules/payments",
        json!({
        "pattern": {"source": ["payments"]}, "targets": [{"id": "q", "type": "queue", "queue": "billing"}]}),
    )
    .await;
    app.create_key("producer", &["bus:publish:orders:orders"]).await
}

async fn put(app: &TestApp, key: &str, entries: Value) -> Value {
    let reply =
        app.call(Some(key), Method::POST, "/v1/buses/orders/events", Some(json!({"entries": entries}))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

fn placed(total: i64) -> Value {
    entry("orders", "Order Placed", json!({"orderId": format!("o-{total}"), "total": total}))
}

async fn catalog(app: &TestApp, key: &str, query: &str) -> Value {
    let reply = app.call(Some(key), Method::GET, &format!("/v1/catalog{query}"), None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

fn find<'a>(page: &'a Value, id: &str) -> &'a Value {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {page}"))
}

#[tokio::test]
async fn the_catalog_counts_producers_and_consumers_of_real_traffic() {
    let app = spawn_secure_app().await;
    let producer = shop(&app).await;
    // Three accepted and one refused (no orderId) from the producer, one from the admin.
    let answer = put(
        &app,
        &producer,
        json!([placed(250), placed(5), placed(300), entry("orders", "Order Placed", json!({"total": 1}))]),
    )
    .await;
    assert_eq!(answer["failedEntryCount"], 1, "{answer}");
    put(&app, ADMIN, json!([placed(700)])).await;

    let page = catalog(&app, ADMIN, "").await;
    let e = find(&page, "orders/orders@OrderPlaced");
    assert_eq!((e["seen"].clone(), e["registered"].clone()), (json!(true), json!(true)));
    assert_eq!(
        e["schema"],
        json!({"registry": "shop", "name": "orders@OrderPlaced", "latestVersion": 1, "foundBy": "convention"})
    );
    assert_eq!(e["traffic"]["acceptedLastHour"], 4, "{e}");
    assert_eq!(e["traffic"]["refusedLastHour"], 1);
    assert_eq!(e["traffic"]["acceptedLastDay"], 4);
    assert_eq!(e["traffic"]["refusedLastDay"], 1);
    assert_eq!(e["producers"]["source"], "orders");
    assert_eq!(e["producers"]["detailTypes"], json!(["Order Placed"]));
    let keys = e["producers"]["keys"].as_array().unwrap();
    let by =
        |name: &str| keys.iter().find(|k| k["key"] == name).unwrap_or_else(|| panic!("{name} in {keys:?}"));
    assert_eq!((by("producer")["accepted"].clone(), by("producer")["refused"].clone()), (json!(3), json!(1)));
    assert_eq!(keys.len(), 2, "the producer and the admin: {keys:?}");
    let consumers = e["consumers"].as_array().unwrap();
    assert_eq!(consumers.len(), 1, "only big-orders can match orders events: {consumers:?}");
    assert_eq!(consumers[0]["rule"], "big-orders");
    assert_eq!(consumers[0]["targets"], json!([{"id": "q", "type": "queue", "destination": "billing"}]));
    assert_eq!(
        consumers[0]["matchesSample"], true,
        "every kept sample (totals 250 or 700) is a big order: {e}"
    );

    // No sample until the contract's registry turns them on (events may hold personal data).
    assert!(e.get("sample").is_none(), "{e}");
    let reply = app.admin(Method::PATCH, "/v1/registries/shop", json!({"catalogSamples": true})).await;
    assert_eq!(reply.body["catalogSamples"], true, "{}", reply.body);
    let shown = catalog(&app, ADMIN, "?bus=orders&prefix=orders@OrderP").await;
    let sample = &shown["items"][0]["sample"];
    assert_eq!(sample["event"]["source"], "orders", "{shown}");
    assert!([json!(250), json!(700)].contains(&sample["event"]["detail"]["total"]), "{sample}");
    // Still not to a key that may not manage the bus.
    let page_as_producer = catalog(&app, &producer, "?bus=orders").await;
    assert!(find(&page_as_producer, "orders/orders@OrderPlaced").get("sample").is_none());

    // A re-submission from the quarantine counts for the key that re-submits: the
    // producer's refused entry, still without orderId, is refused again as the admin's.
    let quarantine = app.call(Some(ADMIN), Method::GET, "/v1/buses/orders/quarantine", None).await;
    let id = quarantine.body["items"][0]["id"].as_str().unwrap().to_owned();
    let again = app.admin(Method::POST, "/v1/buses/orders/quarantine/resubmit", json!({"ids": [id]})).await;
    assert_eq!(again.body["failedEntryCount"], 1, "{}", again.body);
    let after = catalog(&app, ADMIN, "?bus=orders&prefix=orders@OrderP").await;
    let keys = after["items"][0]["producers"]["keys"].as_array().unwrap().clone();
    let admin = keys.iter().find(|k| k["key"] != "producer").unwrap();
    assert_eq!((admin["accepted"].clone(), admin["refused"].clone()), (json!(1), json!(1)), "{keys:?}");

    // A contract never used is listed too, without traffic.
    let c = find(&page, "orders/orders@OrderCancelled");
    assert_eq!((c["seen"].clone(), c["registered"].clone()), (json!(false), json!(true)));
    assert_eq!(c["traffic"]["acceptedLastDay"], 0);

    // Paged and filtered on the server.
    let first = catalog(&app, ADMIN, "?bus=orders&limit=1").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    let cursor = first["nextCursor"].as_str().unwrap().to_owned();
    let second = catalog(&app, ADMIN, &format!("?bus=orders&limit=1&cursor={cursor}")).await;
    assert_ne!(second["items"][0]["id"], first["items"][0]["id"]);
    let placed_only = catalog(&app, ADMIN, "?q=placed").await;
    assert_eq!(placed_only["items"].as_array().unwrap().len(), 1, "{placed_only}");
    let prefixed = catalog(&app, ADMIN, "?prefix=orders@OrderC").await;
    assert_eq!(prefixed["items"][0]["eventType"], "orders@OrderCancelled");
}

#[tokio::test]
async fn a_key_sees_only_what_its_grants_let_it_read() {
    let app = spawn_secure_app().await;
    let producer = shop(&app).await;
    put(&app, &producer, json!([placed(1)])).await;
    // A publisher of the bus: the entry, but no contract (no registry:read), no keys and no rules.
    let page = catalog(&app, &producer, "").await;
    let e = find(&page, "orders/orders@OrderPlaced");
    assert!(e.get("schema").is_none() && e["schemaHidden"] == true, "{e}");
    assert!(e.get("consumers").is_none() && e["producers"].get("keys").is_none(), "{e}");
    // A key of another bus sees no entry of this one.
    let other = app.create_key("other", &["bus:manage:elsewhere"]).await;
    let page = catalog(&app, &other, "").await;
    assert!(page["items"].as_array().unwrap().iter().all(|e| e["bus"] != "orders"), "{page}");
    // The AsyncAPI export lists rules: the bus's managers only.
    let reply = app.call(Some(&producer), Method::GET, "/v1/buses/orders/asyncapi", None).await;
    reply.assert_error(403, "forbidden");
}

#[tokio::test]
async fn bad_catalog_parameters_are_refused_with_their_codes() {
    let app = spawn_secure_app().await;
    let reply = app.call(Some(ADMIN), Method::GET, "/v1/catalog?limit=0", None).await;
    assert_eq!(reply.assert_error(400, "invalid_request")["details"]["pointer"], "/limit");
    app.call(Some(ADMIN), Method::GET, "/v1/catalog?bus=nope", None).await.assert_error(404, "bus_not_found");
    app.call(Some(ADMIN), Method::GET, "/v1/catalog?colour=red", None)
        .await
        .assert_error(400, "invalid_parameter");
    let reply = app.call(Some(ADMIN), Method::GET, "/v1/buses/default/asyncapi?format=xml", None).await;
    reply.assert_error(400, "invalid_parameter");
    app.call(Some(ADMIN), Method::GET, "/v1/buses/nope/asyncapi", None)
        .await
        .assert_error(404, "bus_not_found");
}

/// `target/asyncapi` with the pinned parser installed and the script beside it.
fn parser_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo("target"), PathBuf::from);
    let dir = target.join("asyncapi");
    std::fs::create_dir_all(&dir).unwrap();
    let lock = std::fs::read(repo("tests/asyncapi/package-lock.json")).unwrap();
    let installed = std::fs::read(dir.join("package-lock.json")).ok();
    if installed.as_deref() != Some(lock.as_slice()) || !dir.join("node_modules").is_dir() {
        std::fs::copy(repo("tests/asyncapi/package.json"), dir.join("package.json")).unwrap();
        std::fs::write(dir.join("package-lock.json"), &lock).unwrap();
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "npm ci: {}", String::from_utf8_lossy(&out.stderr));
    }
    std::fs::copy(repo("tests/asyncapi/check.mjs"), dir.join("check.mjs")).unwrap();
    dir
}

/// Runs the official parser on `text`; panics with its diagnostics on any error.
fn parse(dir: &Path, name: &str, text: &str) -> Value {
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    let out = Command::new("node").arg("check.mjs").arg(&file).current_dir(dir).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{name}:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).find(|v| v["ok"] == true).unwrap()
}

#[tokio::test]
async fn the_asyncapi_export_passes_the_official_parser_in_json_and_yaml() {
    let dir = parser_dir();
    let app = spawn_secure_app().await;
    let producer = shop(&app).await;
    put(&app, &producer, json!([placed(250)])).await;
    let reply = app.call(Some(ADMIN), Method::GET, "/v1/buses/orders/asyncapi", None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let doc = reply.body;
    assert_eq!(doc["asyncapi"], "3.0.0");
    let channel = &doc["channels"]["orders_OrderPlaced"];
    assert_eq!(channel["address"], "orders@OrderPlaced");
    assert_eq!(doc["operations"]["rule.big-orders.orders_OrderPlaced"]["action"], "receive");
    assert_eq!(doc["operations"]["put.orders_OrderPlaced"]["action"], "send");
    assert!(doc["operations"].get("rule.payments.orders_OrderPlaced").is_none());
    let message = &doc["components"]["messages"]["orders_OrderPlaced"];
    assert_eq!(message["examples"][0]["payload"]["detail"]["orderId"], "o-1");
    // The local reference of the other contract follows it into components.
    let cancelled = &doc["components"]["schemas"]["shop.orders_OrderCancelled.v1"];
    assert_eq!(
        cancelled["properties"]["orderId"]["$ref"],
        "#/components/schemas/shop.orders_OrderCancelled.v1/$defs/id"
    );
    let parsed = parse(&dir, "orders.json", &doc.to_string());
    assert_eq!(parsed["channels"], 2, "{parsed}");
    assert_eq!(parsed["operations"], 3, "two sends and one rule: {parsed}");

    let response = app
        .client
        .get(format!("{}/v1/buses/orders/asyncapi", app.base))
        .bearer_auth(ADMIN)
        .header("accept", "application/yaml")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "application/yaml");
    let yaml = response.text().await.unwrap();
    let parsed = parse(&dir, "orders.yaml", &yaml);
    assert_eq!(parsed["operations"], 3, "{parsed}");

    // A bus without any type is a valid, empty document too.
    let reply = app.call(Some(ADMIN), Method::GET, "/v1/buses/default/asyncapi", None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let parsed = parse(&dir, "default.json", &reply.body.to_string());
    assert_eq!(parsed["channels"], 0, "{parsed}");
}
