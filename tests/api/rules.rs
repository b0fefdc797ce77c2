use serde_json::json;

use crate::bus_support::entry;
use crate::helpers::spawn_app;

#[tokio::test]
async fn rules_route_exactly_the_matching_events_and_disabled_rules_never_deliver() {
    let app = spawn_app().await;
    app.create_queue("big", 30).await;
    app.create_queue("eu", 30).await;
    app.create_queue("off", 30).await;
    app.route_to_queue(
        "default",
        "big-orders",
        json!({"source": ["orders"], "detail": {"total": [{"numeric": [">", 100]}]}}),
        "big",
    )
    .await;
    app.route_to_queue("default", "eu", json!({"detail": {"region": [{"prefix": "eu-"}]}}), "eu").await;
    let disabled = app
        .put(
            "/v1/buses/default/rules/disabled",
            json!({"pattern": {"source": ["orders"]}, "state": "DISABLED", "targets": [{"id": "q", "type": "queue", "queue": "off"}]}),
        )
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.body);

    let body = app
        .put_events(
            "default",
            json!([
                entry("orders", "Order Placed", json!({"total": 500, "region": "eu-west-1"})),
                entry("orders", "Order Placed", json!({"total": 5, "region": "us-east-1"})),
                entry("billing", "Invoice", json!({"total": 900, "region": "eu-central-1"})),
                entry("orders", "Order Placed", json!({"total": 101})),
            ]),
        )
        .await;
    let ids: Vec<_> = body["entries"].as_array().unwrap().iter().map(|e| e["eventId"].clone()).collect();
    let big: Vec<_> = app.drain("big").await.iter().map(|e| e["id"].clone()).collect();
    assert_eq!(big, [ids[0].clone(), ids[3].clone()]);
    let eu: Vec<_> = app.drain("eu").await.iter().map(|e| e["id"].clone()).collect();
    assert_eq!(eu, [ids[0].clone(), ids[2].clone()]);
    assert!(app.drain("off").await.is_empty());

    let rules = app.get("/v1/buses/default/rules").await;
    assert_eq!(rules.body["items"].as_array().unwrap().len(), 3);
    assert_eq!(app.get("/v1/buses/default/rules/disabled").await.body["state"], "DISABLED");

    // Enabling it (replace) starts delivery; deleting a rule stops it.
    app.route_to_queue("default", "disabled", json!({"source": ["orders"]}), "off").await;
    assert_eq!(app.delete("/v1/buses/default/rules/big-orders").await.status, 204);
    app.put_events("default", json!([entry("orders", "Order Placed", json!({"total": 1000}))])).await;
    assert_eq!(app.drain("off").await.len(), 1);
    assert!(app.drain("big").await.is_empty());
    app.get("/v1/buses/default/rules/big-orders").await.assert_error(404, "rule_not_found");
}

#[tokio::test]
async fn invalid_rules_are_refused_with_reasons() {
    let app = spawn_app().await;
    app.create_queue("q", 30).await;
    let bad = app.put("/v1/buses/default/rules/r", json!({"pattern": {"source": []}, "targets": []})).await;
    bad.assert_error(400, "invalid_pattern");
    assert!(bad.body["message"].as_str().unwrap().contains("Empty arrays are not allowed"), "{}", bad.body);
    let targets: Vec<_> =
        (0..6).map(|i| json!({"id": format!("t{i}"), "type": "queue", "queue": "q"})).collect();
    app.put("/v1/buses/default/rules/r", json!({"pattern": {"source": ["a"]}, "targets": targets}))
        .await
        .assert_error(400, "invalid_request");
    app.put(
        "/v1/buses/default/rules/r",
        json!({"pattern": {"source": ["a"]}, "targets": [{"id": "t", "type": "queue", "queue": "nope"}]}),
    )
    .await
    .assert_error(404, "queue_not_found");
    app.put(
        "/v1/buses/default/rules/r",
        json!({"pattern": {"source": ["a"]}, "targets": [{"id": "t", "type": "webhook"}]}),
    )
    .await
    .assert_error(400, "invalid_request");
    app.put("/v1/buses/nope/rules/r", json!({"pattern": {"source": ["a"]}}))
        .await
        .assert_error(404, "bus_not_found");
}

#[tokio::test]
async fn bus_targets_forward_and_loops_stop_at_the_hop_limit() {
    let app = spawn_app().await;
    app.post("/v1/buses", json!({"name": "a"})).await;
    app.post("/v1/buses", json!({"name": "b"})).await;
    app.create_queue("at-b", 30).await;
    let forward = |to: &str| json!({"pattern": {"source": ["loop"]}, "targets": [{"id": "fwd", "type": "bus", "bus": to}]});
    assert_eq!(app.put("/v1/buses/a/rules/to-b", forward("b")).await.status, 200);
    assert_eq!(app.put("/v1/buses/b/rules/to-a", forward("a")).await.status, 200);
    app.route_to_queue("b", "collect", json!({"source": ["loop"]}), "at-b").await;

    let body = app.put_events("a", json!([entry("loop", "Ping", json!({}))])).await;
    assert_eq!(body["failedEntryCount"], 0);
    // a→b (hop 1), b→a (2), a→b (3), b→a (4): b sees the event twice, then the limit stops it.
    let at_b = app.drain("at-b").await;
    assert_eq!(at_b.len(), 2);
    assert!(at_b.iter().all(|e| e["id"] == body["entries"][0]["eventId"]));
}
