use serde_json::json;

use crate::helpers::spawn_app;

fn envelope(detail: serde_json::Value) -> serde_json::Value {
    json!({
        "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "account": "000000000000",
        "source": "orders", "time": "2026-11-23T10:00:00Z", "region": "local", "resources": [],
        "detail-type": "Order Placed", "detail": detail
    })
}

#[tokio::test]
async fn patterns_are_tested_against_events_given_as_objects_or_strings() {
    let app = spawn_app().await;
    let pattern = json!({"source": ["orders"], "detail": {"total": [{"numeric": [">", 100]}]}});
    let hit = app
        .post("/v1/test-event-pattern", json!({"pattern": pattern, "event": envelope(json!({"total": 250}))}))
        .await;
    assert_eq!(hit.status, 200);
    assert_eq!(hit.body, json!({"matches": true}));
    let miss = app
        .post("/v1/test-event-pattern", json!({"pattern": pattern, "event": envelope(json!({"total": 50}))}))
        .await;
    assert_eq!(miss.body, json!({"matches": false}));
    // Both as JSON strings, as EventBridge's API takes them.
    let as_strings = app
        .post(
            "/v1/test-event-pattern",
            json!({"pattern": pattern.to_string(), "event": envelope(json!({"total": 300.0})).to_string()}),
        )
        .await;
    assert_eq!(as_strings.body, json!({"matches": true}));
}

#[tokio::test]
async fn invalid_patterns_get_eventbridge_reasons_and_bad_events_a_distinct_code() {
    let app = spawn_app().await;
    let event = envelope(json!({}));
    let empty = app.post("/v1/test-event-pattern", json!({"pattern": {"source": []}, "event": event})).await;
    empty.assert_error(400, "invalid_pattern");
    assert!(
        empty.body["message"]
            .as_str()
            .unwrap()
            .starts_with("Event pattern is not valid. Reason: Empty arrays are not allowed")
    );
    app.post("/v1/test-event-pattern", json!({"pattern": {"source": "orders"}, "event": event}))
        .await
        .assert_error(400, "invalid_pattern");
    app.post("/v1/test-event-pattern", json!({"pattern": "{not json", "event": event}))
        .await
        .assert_error(400, "invalid_pattern");
    let huge = json!({"source": ["x".repeat(5000)]});
    app.post("/v1/test-event-pattern", json!({"pattern": huge, "event": event}))
        .await
        .assert_error(400, "invalid_pattern");

    let mut no_id = event.clone();
    no_id.as_object_mut().unwrap().remove("id");
    let reply =
        app.post("/v1/test-event-pattern", json!({"pattern": {"source": ["orders"]}, "event": no_id})).await;
    reply.assert_error(400, "invalid_event");
    assert!(reply.body["message"].as_str().unwrap().contains("`id`"));
    app.post("/v1/test-event-pattern", json!({"pattern": {"source": ["orders"]}, "event": "{oops"}))
        .await
        .assert_error(400, "invalid_event");
    app.post("/v1/test-event-pattern", json!({"pattern": {"source": ["orders"]}, "event": [1]}))
        .await
        .assert_error(400, "invalid_event");
}
