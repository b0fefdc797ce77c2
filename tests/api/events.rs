use serde_json::{Value, json};

use crate::bus_support::{entry, order_schema};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};

async fn shop_bus(app: &TestApp, mode: &str) {
    app.create_registry("shop").await;
    assert_eq!(app.register("shop", "orders@OrderPlaced", order_schema()).await.status, 201);
    let reply = app
        .post(
            "/v1/buses",
            json!({"name": "orders", "validation": {"mode": mode, "registry": "shop", "unknownEventTypes": "reject"}}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
}

fn envelope_validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(schemabus::bus::envelope::ENVELOPE_SCHEMA).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

#[tokio::test]
async fn malformed_entries_fail_alone_with_invalid_argument() {
    let app = spawn_app().await;
    shop_bus(&app, "off").await;
    let body = app
        .put_events(
            "orders",
            json!([
                "not an entry",
                {"source": 5, "detailType": "Order Placed", "detail": {}},
                {"source": "orders", "detailType": "Order Placed", "detail": {}, "colour": "red"},
                [1, 2],
                entry("orders", "Order Placed", json!({"orderId": "o-1", "total": 1})),
            ]),
        )
        .await;
    assert_eq!(body["failedEntryCount"], 4, "{body}");
    let results = body["entries"].as_array().unwrap();
    assert_eq!(
        results[0]["errorMessage"],
        "Parameter Entry is not valid. Reason: an entry is a JSON object."
    );
    assert_eq!(
        results[1]["errorMessage"],
        "Parameter Source is not valid. Reason: Source is a required argument."
    );
    assert_eq!(
        results[2]["errorMessage"],
        "Parameter Entry is not valid. Reason: 'colour' is not an entry field (source, detailType, detail, time, resources)."
    );
    assert_eq!(results[3]["errorCode"], "InvalidArgument");
    assert!(results[4]["eventId"].is_string(), "the good entry is accepted: {body}");
}

#[tokio::test]
async fn enforce_mode_answers_per_entry_and_quarantines_refusals() {
    let app = spawn_app().await;
    shop_bus(&app, "enforce").await;
    app.create_queue("all", 30).await;
    app.route_to_queue("orders", "everything", json!({"source": [{"prefix": ""}]}), "all").await;

    let body = app
        .put_events(
            "orders",
            json!([
                entry("orders", "Order Placed", json!({"orderId": "o-1", "total": 10})),
                entry("orders", "Order Placed", json!({"total": -1})),
                entry("orders", "Order Shipped", json!({"orderId": "o-1"})),
                {"detailType": "Order Placed", "detail": {}},
                {"source": "orders", "detailType": "Order Placed", "detail": "{\"orderId\": \"o-2\", \"total\": 3}", "time": "2024-05-06T07:08:09Z", "resources": ["r"]},
                {"source": "orders", "detailType": "Order Placed", "detail": "not json"},
            ]),
        )
        .await;
    assert_eq!(body["failedEntryCount"], 4, "{body}");
    let results = body["entries"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    assert!(results[0]["eventId"].is_string());
    assert_eq!(results[1]["errorCode"], "SchemaValidationFailed");
    let errors = results[1]["errors"].as_array().unwrap();
    assert!(!errors.is_empty() && errors.len() <= 10);
    assert!(
        errors.iter().all(|e| e["instancePath"].is_string()
            && e["schemaPath"].is_string()
            && e["message"].is_string())
    );
    assert!(errors.iter().any(|e| e["instancePath"] == "/total"));
    assert_eq!(results[2]["errorCode"], "UnknownEventType");
    assert_eq!(results[3]["errorCode"], "InvalidArgument");
    assert_eq!(
        results[3]["errorMessage"],
        "Parameter Source is not valid. Reason: Source is a required argument."
    );
    assert!(results[4]["eventId"].is_string());
    assert_eq!(results[5]["errorCode"], "MalformedDetail");

    // Exactly the accepted events were delivered, as envelopes matching their schema.
    let delivered = app.drain("all").await;
    assert_eq!(delivered.len(), 2);
    let validator = envelope_validator();
    for event in &delivered {
        assert!(validator.is_valid(event), "{event}");
        assert_eq!(event["account"], "000000000000");
    }
    assert_eq!(delivered[0]["id"], results[0]["eventId"]);
    assert_eq!(delivered[1]["time"], "2024-05-06T07:08:09Z");
    assert_eq!(delivered[1]["detail"]["orderId"], "o-2");

    // Refused events are kept, with the reasons.
    let quarantine = app.get("/v1/buses/orders/quarantine").await;
    let items = quarantine.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", quarantine.body);
    assert_eq!(items[0]["outcome"], "refused");
    assert_eq!(items[0]["errorCode"], "SchemaValidationFailed");
    assert_eq!(items[0]["contract"], "shop/orders@OrderPlaced/1");
    assert_eq!(items[0]["event"]["detail"]["total"], -1);
    assert_eq!(items[1]["errorCode"], "UnknownEventType");
}

#[tokio::test]
async fn warn_mode_accepts_and_records_and_off_mode_does_not_look() {
    let app = spawn_app().await;
    shop_bus(&app, "warn").await;
    let body = app
        .put_events(
            "orders",
            json!([
                entry("orders", "Order Placed", json!({"total": "ten"})),
                entry("x", "Unknown", json!({}))
            ]),
        )
        .await;
    assert_eq!(body["failedEntryCount"], 0);
    let items = app.get("/v1/buses/orders/quarantine").await.body["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i["outcome"] == "warned"));
    assert_eq!(items[0]["event"]["id"], body["entries"][0]["eventId"]);

    app.patch("/v1/buses/orders", json!({"validation": {"mode": "off"}})).await;
    let body =
        app.put_events("orders", json!([entry("orders", "Order Placed", json!({"total": "ten"}))])).await;
    assert_eq!(body["failedEntryCount"], 0);
    assert_eq!(app.get("/v1/buses/orders/quarantine").await.body["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn explicit_bindings_win_and_new_versions_apply_at_once() {
    let app = spawn_app().await;
    app.create_unchecked_registry("shop").await;
    app.register("shop", "legacy-thing", json!({"type": "object", "required": ["a"]})).await;
    let bus = json!({"name": "b", "validation": {"mode": "enforce", "registry": "shop", "unknownEventTypes": "reject"},
        "bindings": [
            {"source": "legacy", "detailType": "Thing", "schema": "legacy-thing", "version": 1},
            {"source": "legacy", "detailType": "Other", "schema": "legacy-thing", "version": "latest"}]});
    assert_eq!(app.post("/v1/buses", bus).await.status, 201);
    let put = |t: &'static str, d: Value| {
        let app = &app;
        async move { app.put_events("b", json!([entry("legacy", t, d)])).await["failedEntryCount"].clone() }
    };
    assert_eq!(put("Thing", json!({"a": 1})).await, 0);
    assert_eq!(put("Thing", json!({"b": 1})).await, 1);
    assert_eq!(put("Other", json!({"a": 1})).await, 0);

    // Version 2 requires b: the `latest` binding uses it for the very next event; the
    // pinned binding keeps version 1.
    assert_eq!(
        app.register("shop", "legacy-thing", json!({"type": "object", "required": ["a", "b"]})).await.status,
        201
    );
    assert_eq!(put("Other", json!({"a": 1})).await, 1);
    assert_eq!(put("Other", json!({"a": 1, "b": 2})).await, 0);
    assert_eq!(put("Thing", json!({"a": 1})).await, 0);

    // By convention: `legacy@Unbound` in the bus's registry.
    assert_eq!(put("Unbound", json!({})).await, 1);
    app.register("shop", "legacy@Unbound", json!({"type": "object"})).await;
    assert_eq!(put("Unbound", json!({})).await, 0);
}

#[tokio::test]
async fn request_limits_are_clear_errors() {
    let app = spawn_app_with(|s| s.bus.max_entries_bytes = 2000).await;
    let many: Vec<Value> = (0..101).map(|_| entry("s", "t", json!({}))).collect();
    app.post("/v1/buses/default/events", json!({"entries": many}))
        .await
        .assert_error(400, "too_many_entries");
    let big = entry("s", "t", json!({"blob": "x".repeat(2000)}));
    app.post("/v1/buses/default/events", json!({"entries": [big]}))
        .await
        .assert_error(413, "entries_too_large");
    app.post("/v1/buses/default/events", json!({"entries": []})).await.assert_error(400, "invalid_request");
    app.post("/v1/buses/default/events", json!({"items": []})).await.assert_error(400, "invalid_request");
}

#[tokio::test]
async fn registry_changes_are_events_on_the_default_bus() {
    let app = spawn_app().await;
    app.create_queue("contracts", 30).await;
    app.route_to_queue("default", "registry", json!({"source": ["schemabus.registry"]}), "contracts").await;
    app.create_registry("shop").await;
    app.register("shop", "orders@OrderPlaced", order_schema()).await;
    app.register("shop", "orders@OrderPlaced", json!({"type": "object"})).await;
    app.delete("/v1/registries/shop/schemas/orders@OrderPlaced/versions/1").await;
    app.delete("/v1/registries/shop/schemas/orders@OrderPlaced").await;
    let types: Vec<String> = app
        .drain("contracts")
        .await
        .iter()
        .map(|e| {
            assert_eq!(e["source"], "schemabus.registry");
            e["detail-type"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        types,
        [
            "Schema Created",
            "Schema Version Created",
            "Schema Version Created",
            "Schema Version Deleted",
            "Schema Deleted"
        ]
    );
}

#[tokio::test]
async fn metrics_count_events_per_bus_and_reason() {
    let app = spawn_app().await;
    shop_bus(&app, "enforce").await;
    app.put_events(
        "orders",
        json!([
            entry("orders", "Order Placed", json!({})),
            entry("orders", "Order Placed", json!({"orderId": "1", "total": 1}))
        ]),
    )
    .await;
    let response = reqwest::get(format!("{}/metrics", app.base)).await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(text.contains("schemabus_events_accepted_total{bus=\"orders\"}"), "{text}");
    assert!(
        text.contains("schemabus_events_refused_total{bus=\"orders\",reason=\"SchemaValidationFailed\"}")
    );
    assert!(text.contains("schemabus_validation_seconds_bucket"));
    assert!(text.contains("schemabus_put_events_seconds"));
}

/// A `detail` is stored and delivered as sent (number spelling, key order), validated
/// and matched with a repeated key's last value, and written on one line when it came
/// pretty-printed; every delivered event is a valid envelope.
#[tokio::test]
async fn details_are_delivered_as_sent_and_read_with_last_value_wins() {
    let app = spawn_app().await;
    shop_bus(&app, "enforce").await;
    app.create_queue("big", 30).await;
    app.route_to_queue(
        "orders",
        "big-orders",
        json!({"detail": {"total": [{"numeric": [">=", 100]}]}}),
        "big",
    )
    .await;
    let body = r#"{"entries": [
        {"source": "orders", "detailType": "Order Placed", "detail": {"total": 1e2, "orderId": "o-1", "note": 1.50}},
        {"source": "orders", "detailType": "Order Placed", "detail": {"orderId": "o-2", "total": -5, "total": 250}},
        {"source": "orders", "detailType": "Order Placed", "detail": {"orderId": "o-3", "total": 500, "total": "many"}},
        {"source": "orders", "detailType": "Order Placed", "detail": {
            "orderId": "o-4",
            "total": 120
        }}
    ]}"#;
    let reply = app.post_raw("/v1/buses/orders/events", body).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let results = reply.body["entries"].as_array().unwrap();
    assert!(results[0]["eventId"].is_string() && results[1]["eventId"].is_string(), "{}", reply.body);
    assert_eq!(results[2]["errorCode"], "SchemaValidationFailed", "the last `total` is validated");
    assert!(results[3]["eventId"].is_string(), "{}", reply.body);

    let text = app
        .client
        .post(format!("{}/v1/queues/big/receive", app.base))
        .json(&json!({"maxMessages": 10}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(r#""detail":{"total": 1e2, "orderId": "o-1", "note": 1.50}"#),
        "the detail as sent: {text}"
    );
    assert!(
        text.contains(r#""detail":{"orderId":"o-4","total":120}"#),
        "a multi-line detail comes compact: {text}"
    );
    let messages: Value = serde_json::from_str(&text).unwrap();
    let messages = messages["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "o-1 (1e2 = 100), o-2 (its last total, 250) and o-4 match: {text}");
    let validator = envelope_validator();
    for m in messages {
        assert!(validator.is_valid(&m["body"]), "{}", m["body"]);
    }
    assert_eq!(messages[1]["body"]["detail"]["total"], 250, "last value wins for consumers too");
}

#[tokio::test]
async fn quarantined_events_are_resubmitted_after_the_contract_is_fixed() {
    let app = spawn_app().await;
    shop_bus(&app, "enforce").await;
    app.create_queue("all", 30).await;
    app.route_to_queue("orders", "everything", json!({"source": ["orders"]}), "all").await;
    let body = app
        .put_events(
            "orders",
            json!([entry("orders", "Order Placed", json!({"orderId": "o-1", "total": -1}))]),
        )
        .await;
    assert_eq!(body["failedEntryCount"], 1, "{body}");
    let items = app.get("/v1/buses/orders/quarantine").await.body["items"].as_array().unwrap().clone();
    let id = items[0]["id"].as_str().unwrap().to_owned();

    // Still refused: quarantined anew with the new reason, the old entry leaves.
    let again = app.post("/v1/buses/orders/quarantine/resubmit", json!({"ids": [id]})).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["failedEntryCount"], 1);
    assert_eq!(again.body["entries"][0]["errorCode"], "SchemaValidationFailed");
    assert_eq!(again.body["entries"][0]["removed"], true);
    let items = app.get("/v1/buses/orders/quarantine").await.body["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    let new_id = items[0]["id"].as_str().unwrap().to_owned();
    assert_ne!(new_id, id);

    // Fixed contract (negative totals allowed): accepted, delivered, gone from the quarantine.
    let mut fixed = order_schema();
    fixed["properties"]["total"] = json!({"type": "number"});
    assert_eq!(app.register("shop", "orders@OrderPlaced", fixed).await.status, 201);
    let reply = app
        .post("/v1/buses/orders/quarantine/resubmit", json!({"ids": [new_id, id, "zz", "00000000000000ff"]}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let entries = reply.body["entries"].as_array().unwrap();
    assert!(entries[0]["eventId"].is_string(), "{}", reply.body);
    assert_eq!(entries[0]["removed"], true);
    for missing in &entries[1..] {
        assert_eq!(missing["errorCode"], "QuarantineEntryNotFound", "{}", reply.body);
        assert_eq!(missing["removed"], false);
    }
    assert_eq!(reply.body["failedEntryCount"], 3);
    assert!(app.get("/v1/buses/orders/quarantine").await.body["items"].as_array().unwrap().is_empty());
    let delivered = app.drain("all").await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0]["detail"]["total"], -1);
    assert_eq!(delivered[0]["id"], entries[0]["eventId"]);

    app.post("/v1/buses/orders/quarantine/resubmit", json!({"ids": []}))
        .await
        .assert_error(400, "invalid_request");
    app.post("/v1/buses/absent/quarantine/resubmit", json!({"ids": ["01"]}))
        .await
        .assert_error(404, "bus_not_found");
}
