//! Archives and replays end to end: counts and sizes, patterns, retention, and a replay
//! of a time window delivering exactly the archived matching events once, marked with
//! `replay-name`, never archived again.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::spawn_app_with;

fn timed(source: &str, minute: u32, n: u32) -> Value {
    json!({"source": source, "detailType": "T", "detail": {"n": n}, "time": format!("2024-01-01T00:{minute:02}:00Z")})
}

async fn wait_replay(app: &crate::helpers::TestApp, name: &str, state: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let reply = app.get(&format!("/v1/replays/{name}")).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        if reply.body["state"] == state {
            return reply.body;
        }
        assert!(std::time::Instant::now() < deadline, "replay never reached {state}: {}", reply.body);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn archives_keep_matching_events_with_counts() {
    let app = spawn_app_with(|_| {}).await;
    let reply = app
        .put(
            "/v1/buses/default/archives/orders",
            json!({"pattern": {"source": ["orders"]}, "retentionDays": 0, "description": "all orders"}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["eventCount"], 0);
    // Not the service's own events (`schemabus.audit` records every write on `default`).
    let all =
        app.put("/v1/buses/default/archives/everything", json!({"pattern": not_service_events()})).await;
    assert_eq!(all.status, 200, "{}", all.body);
    app.put_events("default", json!([timed("orders", 1, 1), timed("orders", 2, 2), timed("other", 3, 3)]))
        .await;
    let view = app.get("/v1/buses/default/archives/orders").await;
    assert_eq!(view.body["eventCount"], 2, "{}", view.body);
    assert!(view.body["sizeBytes"].as_u64().unwrap() > 100);
    assert_eq!(view.body["description"], "all orders");
    assert_eq!(app.get("/v1/buses/default/archives/everything").await.body["eventCount"], 3);
    let list = app.get("/v1/buses/default/archives").await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
    // Bad input.
    app.put("/v1/buses/default/archives/x", json!({"pattern": {"source": []}}))
        .await
        .assert_error(400, "invalid_pattern");
    app.put("/v1/buses/default/archives/bad%20name", json!({})).await.assert_error(400, "invalid_name");
    app.put("/v1/buses/nope/archives/x", json!({})).await.assert_error(404, "bus_not_found");
    app.get("/v1/buses/default/archives/nope").await.assert_error(404, "archive_not_found");
    // Delete.
    assert_eq!(app.delete("/v1/buses/default/archives/orders").await.status, 204);
    app.get("/v1/buses/default/archives/orders").await.assert_error(404, "archive_not_found");
    app.delete("/v1/buses/default/archives/orders").await.assert_error(404, "archive_not_found");
}

/// A pattern leaving out the events the service publishes itself on `default` (audit
/// records of every write, registry changes).
fn not_service_events() -> serde_json::Value {
    json!({"source": [{"anything-but": {"prefix": "schemabus."}}]})
}

#[tokio::test]
async fn retention_is_enforced_by_event_time() {
    let app = spawn_app_with(|s| s.bus.delivery.sweep_interval_seconds = 1).await;
    app.put("/v1/buses/default/archives/week", json!({"retentionDays": 7, "pattern": not_service_events()}))
        .await;
    app.put(
        "/v1/buses/default/archives/forever",
        json!({"retentionDays": 0, "pattern": not_service_events()}),
    )
    .await;
    let recent =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap();
    app.put_events(
        "default",
        json!([timed("s", 1, 1), {"source": "s", "detailType": "T", "detail": {}, "time": recent}]),
    )
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let week = app.get("/v1/buses/default/archives/week").await;
        if week.body["eventCount"] == 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the 2024 event was never expired: {}", week.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.get("/v1/buses/default/archives/forever").await.body["eventCount"], 2);
}

#[tokio::test]
async fn a_replay_delivers_the_window_once_marked_and_not_archived_again() {
    let app = spawn_app_with(|_| {}).await;
    app.create_queue("q", 30).await;
    app.create_queue("q2", 30).await;
    app.route_to_queue("default", "to-q", json!({"source": ["orders"]}), "q").await;
    app.route_to_queue("default", "to-q2", json!({"source": ["orders"]}), "q2").await;
    app.put("/v1/buses/default/archives/orders", json!({"pattern": {"source": ["orders"]}})).await;
    let events: Vec<Value> = (0..6).map(|m| timed("orders", m, m)).chain([timed("other", 2, 99)]).collect();
    app.put_events("default", json!(events)).await;
    assert_eq!(app.drain("q").await.len(), 6);
    assert_eq!(app.drain("q2").await.len(), 6);

    let start = app
        .post(
            "/v1/buses/default/replays",
            json!({"name": "fix-1", "archive": "orders", "startTime": "2024-01-01T00:02:00Z",
                   "endTime": "2024-01-01T00:05:00Z", "rules": ["to-q"]}),
        )
        .await;
    assert_eq!(start.status, 202, "{}", start.body);
    assert_eq!(start.body["state"], "STARTING");
    let done = wait_replay(&app, "fix-1", "COMPLETED").await;
    assert_eq!(done["eventsReplayed"], 3);
    assert_eq!(done["eventsTotal"], 3);
    assert_eq!(done["lastReplayedTime"], "2024-01-01T00:04:00Z");
    let mut replayed: Vec<Value> = app.drain("q").await;
    replayed.sort_by_key(|e| e["detail"]["n"].as_u64());
    let ns: Vec<u64> = replayed.iter().map(|e| e["detail"]["n"].as_u64().unwrap()).collect();
    assert_eq!(ns, vec![2, 3, 4], "exactly the archived matching events of the window, once");
    assert!(replayed.iter().all(|e| e["replay-name"] == "fix-1"));
    assert!(app.drain("q2").await.is_empty(), "rules not listed get nothing");
    assert_eq!(
        app.get("/v1/buses/default/archives/orders").await.body["eventCount"],
        6,
        "not archived again"
    );

    // Names are unique; ended replays cannot be cancelled; bad input.
    let again = json!({"name": "fix-1", "archive": "orders", "startTime": "2024-01-01T00:00:00Z", "endTime": "2024-01-02T00:00:00Z"});
    app.post("/v1/buses/default/replays", again).await.assert_error(409, "replay_exists");
    app.post("/v1/replays/fix-1/cancel", json!({})).await.assert_error(409, "replay_not_cancellable");
    app.get("/v1/replays/nope").await.assert_error(404, "replay_not_found");
    let backwards = json!({"name": "b", "archive": "orders", "startTime": "2024-01-02T00:00:00Z", "endTime": "2024-01-01T00:00:00Z"});
    assert_eq!(
        app.post("/v1/buses/default/replays", backwards).await.assert_error(400, "invalid_request")["details"]
            ["pointer"],
        "/endTime"
    );
    let bad_time = json!({"name": "b", "archive": "orders", "startTime": "yesterday", "endTime": "2024-01-01T00:00:00Z"});
    assert_eq!(
        app.post("/v1/buses/default/replays", bad_time).await.assert_error(400, "invalid_request")["details"]
            ["pointer"],
        "/startTime"
    );
    let no_archive = json!({"name": "b", "archive": "nope", "startTime": "2024-01-01T00:00:00Z", "endTime": "2024-01-02T00:00:00Z"});
    app.post("/v1/buses/default/replays", no_archive).await.assert_error(404, "archive_not_found");
    let no_rule = json!({"name": "b", "archive": "orders", "startTime": "2024-01-01T00:00:00Z", "endTime": "2024-01-02T00:00:00Z", "rules": ["nope"]});
    assert_eq!(
        app.post("/v1/buses/default/replays", no_rule).await.assert_error(404, "rule_not_found")["details"]["pointer"],
        "/rules/0"
    );
}
