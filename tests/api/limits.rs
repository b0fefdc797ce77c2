//! The configurable limits added with hardening: rules per bus, pattern size (rules and
//! test-event-pattern), receive batch size.

use serde_json::json;

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn rules_per_bus_pattern_size_and_receive_batch_are_configurable() {
    let app = spawn_app_with(|s| {
        s.bus.max_rules_per_bus = 2;
        s.bus.max_pattern_chars = 64;
        s.bus.max_receive_messages = 5;
    })
    .await;
    app.create_queue("q", 30).await;
    for rule in ["a", "b"] {
        app.route_to_queue("default", rule, json!({"source": ["x"]}), "q").await;
    }
    let third = app.put("/v1/buses/default/rules/c", json!({"pattern": {"source": ["x"]}})).await;
    third.assert_error(409, "too_many_rules");
    // Replacing an existing rule is not a new one.
    app.route_to_queue("default", "a", json!({"source": ["y"]}), "q").await;
    app.delete("/v1/buses/default/rules/b").await;
    let long = json!({"source": ["a-source-name-long-enough-to-pass-the-sixty-four-character-limit"]});
    let refused = app.put("/v1/buses/default/rules/b", json!({"pattern": long})).await;
    assert_eq!(refused.assert_error(400, "invalid_pattern")["details"]["pointer"], "/pattern");
    let event = json!({"id": "1", "account": "1", "source": "a", "time": "2026-01-01T00:00:00Z", "region": "r", "detail-type": "t"});
    app.post("/v1/test-event-pattern", json!({"pattern": long, "event": event}))
        .await
        .assert_error(400, "invalid_pattern");
    let receive = app.post("/v1/queues/q/receive", json!({"maxMessages": 6})).await;
    assert_eq!(receive.assert_error(400, "invalid_request")["details"]["pointer"], "/maxMessages");
    assert_eq!(app.post("/v1/queues/q/receive", json!({"maxMessages": 5})).await.status, 200);
}
