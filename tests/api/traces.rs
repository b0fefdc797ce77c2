//! `GET /v1/buses/{bus}/events/{eventId}/trace`: rules matched, targets, outcomes.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_trace_lists_rules_targets_and_outcomes() {
    let app = spawn_app().await;
    app.create_queue("q", 30).await;
    app.post("/v1/buses", json!({"name": "audit"})).await;
    let rule = json!({"pattern": {"source": ["orders"]}, "targets": [
        {"type": "queue", "id": "to-q", "queue": "q"},
        {"type": "bus", "id": "to-audit", "bus": "audit"},
    ]});
    assert_eq!(app.put("/v1/buses/default/rules/fanout", rule).await.status, 200);
    app.route_to_queue("default", "unmatched", json!({"source": ["nothing"]}), "q").await;
    let id = app.put_one("orders", json!({"n": 1})).await;
    let trace = app.get(&format!("/v1/buses/default/events/{id}/trace")).await;
    assert_eq!(trace.status, 200, "{}", trace.body);
    assert_eq!(trace.body["rulesMatched"], json!(["fanout"]));
    assert_eq!(trace.body["complete"], true);
    let deliveries = trace.body["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 2);
    assert_eq!(deliveries[0]["target"], "to-q");
    assert_eq!(deliveries[0]["targetType"], "queue");
    assert_eq!(deliveries[0]["outcome"], "enqueued");
    assert_eq!(deliveries[1]["outcome"], "forwarded");
    assert_eq!(deliveries[1]["reason"], "bus 'audit'");
    // The forwarded event has its own trace on the other bus (no rules there).
    let audit = app.get(&format!("/v1/buses/audit/events/{id}/trace")).await;
    assert_eq!(audit.body["rulesMatched"], json!([]), "{}", audit.body);
    // An event no rule matched still has a trace, saying so.
    let lonely = app.put_one("nobody", json!({})).await;
    let trace = app.get(&format!("/v1/buses/default/events/{lonely}/trace")).await;
    assert_eq!(trace.body["rulesMatched"], json!([]));
    app.get("/v1/buses/default/events/unknown-id/trace").await.assert_error(404, "trace_not_found");
    app.get(&format!("/v1/buses/nope/events/{id}/trace")).await.assert_error(404, "bus_not_found");
}

#[tokio::test]
async fn traces_are_bounded_in_count() {
    let app = crate::helpers::spawn_app_with(|s| s.bus.delivery.trace_max_events = 2).await;
    let first = app.put_one("s", json!({})).await;
    app.put_one("s", json!({})).await;
    let last = app.put_one("s", json!({})).await;
    app.get(&format!("/v1/buses/default/events/{first}/trace")).await.assert_error(404, "trace_not_found");
    assert_eq!(app.get(&format!("/v1/buses/default/events/{last}/trace")).await.status, 200);
}
