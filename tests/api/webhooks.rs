//! Webhook targets end to end, against real receivers on loopback ports: retries with
//! traced attempts, a receiver that comes back, dead-lettering (non-retryable and
//! exhausted), Retry-After, signatures, redacted secrets, the address policy.

use std::time::Duration;

use serde_json::{Value, json};

use crate::bus_support::entry;
use crate::helpers::{TestApp, spawn_app_with};
use crate::receiver::{Receiver, Script, free_port};

const WAIT: Duration = Duration::from_secs(15);

/// A service whose back-off is 10–50 ms, so retries take milliseconds.
pub async fn fast_app() -> TestApp {
    spawn_app_with(|s| {
        s.bus.delivery.webhook_retry_base_ms = 10;
        s.bus.delivery.webhook_retry_max_ms = 50;
    })
    .await
}

impl TestApp {
    /// Puts rule `rule` on the default bus: events of `source` to `target`.
    pub async fn route_to(&self, rule: &str, source: &str, target: Value) -> crate::helpers::Reply {
        self.put(
            &format!("/v1/buses/default/rules/{rule}"),
            json!({"pattern": {"source": [source]}, "targets": [target]}),
        )
        .await
    }

    /// Puts one event and returns its id.
    pub async fn put_one(&self, source: &str, detail: Value) -> String {
        let body = self.put_events("default", json!([entry(source, "T", detail)])).await;
        body["entries"][0]["eventId"].as_str().unwrap().to_owned()
    }

    /// Polls an event's trace until `done` says it is complete.
    pub async fn wait_trace(&self, id: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let reply = self.get(&format!("/v1/buses/default/events/{id}/trace")).await;
            if reply.status == 200 && done(&reply.body) {
                return reply.body;
            }
            assert!(std::time::Instant::now() < deadline, "trace never completed: {}", reply.body);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn outcome(trace: &Value) -> &str {
    trace["deliveries"][0]["outcome"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn failing_first_attempts_are_retried_traced_and_signed() {
    let app = fast_app().await;
    let receiver = Receiver::start(Script { fail_first: 2, fail_status: 503, ..Script::default() }).await;
    let reply = app
        .route_to(
            "hooks",
            "orders",
            json!({"type": "webhook", "id": "w", "url": receiver.url, "secret": "s3cret",
                   "auth": {"type": "bearer", "token": "tok"}, "headers": {"x-team": "shop"}}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let ids: Vec<String> = [1, 2, 3]
        .iter()
        .map(|n| json!({"n": n}))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|d| d.to_string())
        .collect();
    let mut event_ids = Vec::new();
    for d in ids {
        event_ids.push(app.put_one("orders", serde_json::from_str(&d).unwrap()).await);
    }
    let accepted = receiver.wait_accepted(3, WAIT).await;
    let mut delivered: Vec<String> =
        accepted.iter().map(|r| r.json()["id"].as_str().unwrap().to_owned()).collect();
    delivered.sort();
    delivered.dedup();
    let mut expected = event_ids.clone();
    expected.sort();
    assert_eq!(delivered, expected, "every event delivered");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    for request in receiver.received() {
        let signature = &request.headers["schemabus-signature"];
        assert!(
            schemabus::delivery::signature::verify("s3cret", signature, &request.body, now, 300),
            "{signature}"
        );
        assert!(!schemabus::delivery::signature::verify("other", signature, &request.body, now, 300));
        assert!(!schemabus::delivery::signature::verify("s3cret", signature, b"tampered", now, 300));
        assert_eq!(request.headers["authorization"], "Bearer tok");
        assert_eq!(request.headers["x-team"], "shop");
        assert_eq!(request.headers["schemabus-event-id"], request.json()["id"]);
        assert!(request.headers["idempotency-key"].ends_with(":hooks:w"));
    }
    // Two failures happened before the first success: traced as attempts.
    let total_attempts: usize = {
        let mut n = 0;
        for id in &event_ids {
            let trace = app.wait_trace(id, |t| outcome(t) == "delivered").await;
            assert_eq!(trace["rulesMatched"], json!(["hooks"]));
            let attempts = trace["deliveries"][0]["attempts"].as_array().unwrap().clone();
            assert_eq!(attempts.last().unwrap()["outcome"], "delivered");
            for failed in &attempts[..attempts.len() - 1] {
                assert_eq!(failed["outcome"], "retry");
                assert_eq!(failed["status"], 503);
                assert_eq!(failed["errorCode"], "SERVER_ERROR");
                assert!(failed["nextAttemptAt"].is_string());
            }
            n += attempts.len();
        }
        n
    };
    assert_eq!(total_attempts, 5, "3 deliveries + 2 scripted failures");
    assert_eq!(receiver.received().len(), 5);
}

#[tokio::test]
async fn a_receiver_that_is_down_for_a_while_gets_everything_when_back() {
    let app = fast_app().await;
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let reply = app.route_to("hooks", "orders", json!({"type": "webhook", "id": "w", "url": url})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(app.put_one("orders", json!({"n": n})).await);
    }
    // Connection refused meanwhile: retried.
    let trace = app
        .wait_trace(&ids[0], |t| t["deliveries"][0]["attempts"].as_array().is_some_and(|a| a.len() >= 2))
        .await;
    assert_eq!(trace["deliveries"][0]["attempts"][0]["errorCode"], "CONNECTION_FAILED");
    assert_eq!(outcome(&trace), "pending");
    let receiver = Receiver::start_on(port, Script::default()).await;
    let accepted = receiver.wait_accepted(5, WAIT).await;
    let mut got: Vec<String> = accepted.iter().map(|r| r.json()["id"].as_str().unwrap().to_owned()).collect();
    got.sort();
    got.dedup();
    ids.sort();
    assert_eq!(got, ids);
    for id in &ids {
        app.wait_trace(id, |t| outcome(t) == "delivered").await;
    }
}

#[tokio::test]
async fn a_400_is_dead_lettered_at_once_with_its_attributes() {
    let app = fast_app().await;
    app.create_queue("dlq", 30).await;
    let receiver = Receiver::start(Script { failing: true, fail_status: 400, ..Script::default() }).await;
    let reply = app
        .route_to(
            "hooks",
            "orders",
            json!({"type": "webhook", "id": "w", "url": receiver.url, "deadLetterQueue": "dlq"}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let id = app.put_one("orders", json!({"n": 1})).await;
    let trace = app.wait_trace(&id, |t| outcome(t) == "deadLettered").await;
    assert_eq!(trace["deliveries"][0]["attempts"].as_array().unwrap().len(), 1);
    let messages = app.receive("dlq", 10, None).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["body"]["id"], id.as_str(), "the original event");
    let attributes = &messages[0]["attributes"];
    assert_eq!(attributes["rule"], "hooks");
    assert_eq!(attributes["target"], "w");
    assert_eq!(attributes["errorCode"], "CLIENT_ERROR");
    assert!(attributes["errorMessage"].as_str().unwrap().starts_with("HTTP 400"), "{attributes}");
    assert_eq!(attributes["attempts"], "1");
    assert!(attributes.get("exhaustedRetryCondition").is_none(), "not retryable: no condition");
    assert_eq!(attributes["ruleArn"], "arn:aws:events:local:000000000000:rule/hooks");
    assert_eq!(receiver.received().len(), 1, "a 400 is not retried");
}

#[tokio::test]
async fn exhausted_retries_are_dead_lettered_and_without_a_queue_dropped() {
    let app = fast_app().await;
    app.create_queue("dlq", 30).await;
    let receiver = Receiver::start(Script { failing: true, fail_status: 500, ..Script::default() }).await;
    let policy = json!({"maximumRetryAttempts": 2, "maximumEventAgeSeconds": 60});
    app.route_to(
        "hooks",
        "orders",
        json!({"type": "webhook", "id": "w", "url": receiver.url, "deadLetterQueue": "dlq", "retryPolicy": policy}),
    )
    .await;
    app.route_to("nodlq", "other", json!({"type": "webhook", "id": "w", "url": receiver.url, "retryPolicy": {"maximumRetryAttempts": 0}}))
        .await;
    let id = app.put_one("orders", json!({})).await;
    let dropped = app.put_one("other", json!({})).await;
    app.wait_trace(&id, |t| outcome(t) == "deadLettered").await;
    let trace = app.wait_trace(&dropped, |t| outcome(t) == "dropped").await;
    assert_eq!(trace["deliveries"][0]["attempts"].as_array().unwrap().len(), 1);
    let messages = app.receive("dlq", 10, None).await;
    assert_eq!(messages.len(), 1);
    let attributes = &messages[0]["attributes"];
    assert_eq!(attributes["exhaustedRetryCondition"], "MaximumRetryAttempts");
    assert_eq!(attributes["attempts"], "3");
    assert_eq!(attributes["errorCode"], "SERVER_ERROR");
    let metrics = app.get("/metrics").await;
    let text = metrics.body.as_str().unwrap();
    assert!(
        text.contains("schemabus_deliveries_total{target_type=\"webhook\",outcome=\"dropped\"}"),
        "{text}"
    );
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let app = fast_app().await;
    let receiver = Receiver::start(Script {
        fail_first: 1,
        fail_status: 429,
        retry_after: Some("1".into()),
        ..Script::default()
    })
    .await;
    app.route_to("hooks", "orders", json!({"type": "webhook", "id": "w", "url": receiver.url})).await;
    let id = app.put_one("orders", json!({})).await;
    receiver.wait_accepted(1, WAIT).await;
    let received = receiver.received();
    assert_eq!(received.len(), 2);
    let gap = received[1].at.duration_since(received[0].at);
    assert!(gap >= Duration::from_millis(950), "retried after {gap:?}, before Retry-After: 1");
    let trace = app.wait_trace(&id, |t| outcome(t) == "delivered").await;
    assert_eq!(trace["deliveries"][0]["attempts"][0]["errorCode"], "THROTTLING");
}

#[tokio::test]
async fn secrets_are_write_only_and_kept_when_sent_back_redacted() {
    let app = fast_app().await;
    let receiver = Receiver::start(Script::default()).await;
    let target = json!({"type": "webhook", "id": "w", "url": receiver.url, "secret": "s3cret",
        "auth": {"type": "basic", "username": "ann", "password": "pw"}});
    let put = app.route_to("hooks", "orders", target).await;
    let get = app.get("/v1/buses/default/rules/hooks").await;
    let list = app.get("/v1/buses/default/rules").await;
    for shown in [&put.body["targets"][0], &get.body["targets"][0], &list.body["items"][0]["targets"][0]] {
        assert_eq!(shown["secret"], "<redacted>", "{shown}");
        assert_eq!(shown["auth"], json!({"type": "basic", "username": "ann", "password": "<redacted>"}));
        assert!(!shown.to_string().contains("s3cret") && !shown.to_string().contains("\"pw\""));
    }
    // Sending the rule back as read keeps the stored values.
    let mut rule = get.body.clone();
    let back = app
        .put(
            "/v1/buses/default/rules/hooks",
            json!({"pattern": rule["pattern"].take(), "targets": rule["targets"].take()}),
        )
        .await;
    assert_eq!(back.status, 200, "{}", back.body);
    app.put_one("orders", json!({})).await;
    let got = receiver.wait_accepted(1, WAIT).await;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(schemabus::delivery::signature::verify(
        "s3cret",
        &got[0].headers["schemabus-signature"],
        &got[0].body,
        now,
        300
    ));
    assert_eq!(got[0].headers["authorization"], "Basic YW5uOnB3");
    // A new target cannot claim a stored value.
    let reply = app
        .route_to(
            "fresh",
            "orders",
            json!({"type": "webhook", "id": "w", "url": receiver.url, "secret": "<redacted>"}),
        )
        .await;
    assert_eq!(reply.assert_error(400, "invalid_request")["details"]["pointer"], "/targets/0/secret");
}

#[tokio::test]
async fn metadata_and_denied_addresses_are_refused() {
    let app = spawn_app_with(|s| {
        s.bus.delivery.webhook_retry_base_ms = 10;
        s.bus.delivery.webhook_retry_max_ms = 50;
        s.bus.delivery.webhook_deny_cidrs.push("127.0.0.0/8".parse().unwrap());
        s.bus.delivery.webhook_deny_cidrs.push("::1/128".parse().unwrap());
    })
    .await;
    for url in [
        "http://169.254.169.254/latest/meta-data",
        "http://[fd00:ec2::254]/",
        "http://100.100.100.200/",
        "http://127.0.0.1:9/",
    ] {
        let reply = app.route_to("hooks", "orders", json!({"type": "webhook", "id": "w", "url": url})).await;
        assert_eq!(
            reply.assert_error(400, "webhook_address_refused")["details"]["pointer"],
            "/targets/0/url",
            "{url}"
        );
    }
    // A name is checked when it resolves, on every connection.
    app.create_queue("dlq", 30).await;
    let receiver = Receiver::start(Script::default()).await;
    let url = receiver.url.replace("127.0.0.1", "localhost");
    let reply = app
        .route_to(
            "hooks",
            "orders",
            json!({"type": "webhook", "id": "w", "url": url, "deadLetterQueue": "dlq"}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let id = app.put_one("orders", json!({})).await;
    app.wait_trace(&id, |t| outcome(t) == "deadLettered").await;
    let messages = app.receive("dlq", 1, None).await;
    assert_eq!(messages[0]["attributes"]["errorCode"], "BLOCKED_ADDRESS", "{}", messages[0]);
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn webhook_fields_are_checked_when_the_rule_is_saved() {
    let app = fast_app().await;
    for (target, pointer) in [
        (json!({"type": "webhook", "id": "w", "url": "ftp://x/"}), "/targets/0/url"),
        (json!({"type": "webhook", "id": "w", "url": "not a url"}), "/targets/0/url"),
        (json!({"type": "webhook", "id": "w", "url": "http://x/", "timeoutMs": 10}), "/targets/0/timeoutMs"),
        (
            json!({"type": "webhook", "id": "w", "url": "http://x/", "retryPolicy": {"maximumRetryAttempts": 186}}),
            "/targets/0/retryPolicy/maximumRetryAttempts",
        ),
        (
            json!({"type": "webhook", "id": "w", "url": "http://x/", "retryPolicy": {"maximumEventAgeSeconds": 59}}),
            "/targets/0/retryPolicy/maximumEventAgeSeconds",
        ),
        (
            json!({"type": "webhook", "id": "w", "url": "http://x/", "rateLimitPerSecond": 0}),
            "/targets/0/rateLimitPerSecond",
        ),
    ] {
        let reply = app.route_to("r", "s", target).await;
        assert_eq!(reply.assert_error(400, "invalid_request")["details"]["pointer"], pointer);
    }
    let reply = app
        .route_to(
            "r",
            "s",
            json!({"type": "webhook", "id": "w", "url": "http://x/", "deadLetterQueue": "nope"}),
        )
        .await;
    reply.assert_error(404, "queue_not_found");
}

#[tokio::test]
async fn a_rate_limit_spaces_requests_to_one_target() {
    let app = fast_app().await;
    let receiver = Receiver::start(Script::default()).await;
    app.route_to(
        "hooks",
        "orders",
        json!({"type": "webhook", "id": "w", "url": receiver.url, "rateLimitPerSecond": 10}),
    )
    .await;
    let entries: Vec<Value> = (0..6).map(|n| entry("orders", "T", json!({"n": n}))).collect();
    app.put_events("default", json!(entries)).await;
    let got = receiver.wait_accepted(6, WAIT).await;
    let spread = got[5].at.duration_since(got[0].at);
    // Six requests at 10/s: at least five intervals of 100 ms between first and last.
    assert!(spread >= Duration::from_millis(450), "6 requests in {spread:?} despite 10/s");
}
