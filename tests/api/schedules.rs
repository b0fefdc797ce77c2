//! Scheduled rules (docs/DELIVERY.md#scheduled-rules) end to end. The hidden
//! `--schedule-minute-ms` knob shortens the scheduler's minute, so `rate(1 minute)` fires
//! every few hundred ms instead of once a minute; which tick is due is tested directly
//! in `src/schedule/tests.rs`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::bus_support::entry;
use crate::helpers::{ServiceProcess, data_dir, spawn_app_with};

fn queue_target(queue: &str) -> Value {
    json!([{"id": "q", "type": "queue", "queue": queue}])
}

#[tokio::test]
async fn a_schedule_sends_scheduled_events_to_its_rule_only_and_shows_its_next_times() {
    let app = spawn_app_with(|s| s.bus.schedule_minute_ms = 200).await;
    for q in ["ticks", "aws", "both"] {
        app.create_queue(q, 30).await;
    }
    let put = app
        .put(
            "/v1/buses/default/rules/every",
            json!({"schedule": "rate(1 minute)", "targets": queue_target("ticks")}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.body["schedule"], "rate(1 minute)");
    assert!(put.body.get("pattern").is_none(), "{}", put.body);
    // A pattern rule that would match scheduled events never sees them.
    app.route_to_queue("default", "aws-events", json!({"source": ["aws.events"]}), "aws").await;
    // Pattern and schedule together: both trigger the rule.
    let both = app
        .put(
            "/v1/buses/default/rules/both",
            json!({"pattern": {"source": ["orders"]}, "schedule": "rate(2 minutes)", "targets": queue_target("both")}),
        )
        .await;
    assert_eq!(both.status, 200, "{}", both.body);

    let view = app.get("/v1/buses/default/rules/every").await;
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    let parse = |t: &Value| time::OffsetDateTime::parse(t.as_str().unwrap(), rfc3339).unwrap();
    let next: Vec<time::OffsetDateTime> =
        view.body["nextFireTimes"].as_array().unwrap().iter().map(parse).collect();
    assert_eq!(next.len(), 3, "{}", view.body);
    assert!(next.windows(2).all(|w| w[0] < w[1]), "{next:?}");

    tokio::time::sleep(Duration::from_millis(1300)).await;
    app.put_events("default", json!([entry("orders", "Order Placed", json!({"n": 1}))])).await;
    let ticks = app.drain("ticks").await;
    assert!(ticks.len() >= 3, "{} ticks in 1.3 s of 200 ms minutes", ticks.len());
    let arn = "arn:aws:events:local:000000000000:rule/every";
    for t in &ticks {
        assert_eq!(t["source"], "aws.events");
        assert_eq!(t["detail-type"], "Scheduled Event");
        assert_eq!(t["detail"], json!({}));
        assert_eq!(t["resources"], json!([arn]));
        assert_eq!(t["version"], "0");
    }
    let times: Vec<time::OffsetDateTime> = ticks.iter().map(|t| parse(&t["time"])).collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "ticks out of order or repeated: {times:?}");
    assert!(app.drain("aws").await.is_empty(), "a pattern rule received scheduled events");
    let both = app.drain("both").await;
    assert!(both.iter().any(|e| e["source"] == "orders"), "{both:?}");
    assert!(both.iter().any(|e| e["detail-type"] == "Scheduled Event"), "{both:?}");
    assert!(
        both.iter()
            .filter(|e| e["source"] == "aws.events")
            .all(|e| e["resources"][0].as_str().unwrap().ends_with("/both")),
        "{both:?}"
    );

    // Disabled: no more ticks; listed with its schedule.
    let off = app
        .put(
            "/v1/buses/default/rules/every",
            json!({"schedule": "rate(1 minute)", "state": "DISABLED", "targets": queue_target("ticks")}),
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.body);
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.drain("ticks").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(app.drain("ticks").await.is_empty(), "a disabled schedule fired");
    let list = app.get("/v1/buses/default/rules").await;
    let every = list.body["items"].as_array().unwrap().iter().find(|r| r["name"] == "every").unwrap().clone();
    assert_eq!(every["schedule"], "rate(1 minute)");
}

#[tokio::test]
async fn bad_schedules_and_schedules_off_the_default_bus_are_refused_with_pointers() {
    let app = spawn_app_with(|_| {}).await;
    app.create_queue("q", 30).await;
    for bad in
        ["rate(1 minutes)", "rate(5 minute)", "cron(0 10 * * * *)", "cron(0 10 * * ?)", "every hour", ""]
    {
        let reply = app
            .put("/v1/buses/default/rules/r", json!({"schedule": bad, "targets": queue_target("q")}))
            .await;
        let body = reply.assert_error(400, "invalid_schedule");
        assert!(
            body["message"].as_str().unwrap().starts_with("Parameter ScheduleExpression is not valid."),
            "{body}"
        );
        assert_eq!(body["details"]["pointer"], "/schedule", "{body}");
    }
    assert_eq!(app.post("/v1/buses", json!({"name": "orders"})).await.status, 201);
    let off_default = app
        .put("/v1/buses/orders/rules/r", json!({"schedule": "rate(5 minutes)", "targets": queue_target("q")}))
        .await;
    let body = off_default.assert_error(400, "invalid_schedule");
    assert!(body["message"].as_str().unwrap().contains("only on the default event bus"), "{body}");
    let neither = app.put("/v1/buses/default/rules/r", json!({"targets": queue_target("q")})).await;
    assert_eq!(neither.assert_error(400, "invalid_request")["details"]["pointer"], "/pattern");
    let ok = app.put("/v1/buses/default/rules/r", json!({"schedule": "cron(0/5 8-17 ? * MON-FRI *)"})).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["nextFireTimes"].as_array().unwrap().len(), 3, "{}", ok.body);
}

/// Each tick is stored before its event is sent: killed and restarted, the service never
/// sends a tick twice.
#[test]
fn a_tick_fires_at_most_once_across_a_kill_and_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_dir(&dir);
    let flags = ["--schedule-minute-ms", "150"];
    let client = reqwest::blocking::Client::new();
    let call = |base: &str, method: reqwest::Method, path: &str, body: Value| -> Value {
        let reply = client.request(method, format!("{base}{path}")).json(&body).send().unwrap();
        assert!(reply.status().is_success(), "{path}: {}", reply.status());
        reply.json().unwrap_or(Value::Null)
    };
    let service = ServiceProcess::start_with(&data, &flags);
    call(&service.base, reqwest::Method::PUT, "/v1/queues/ticks", json!({}));
    call(
        &service.base,
        reqwest::Method::PUT,
        "/v1/buses/default/rules/every",
        json!({"schedule": "rate(1 minute)", "targets": queue_target("ticks")}),
    );
    std::thread::sleep(Duration::from_millis(800));
    service.kill_9();
    let service = ServiceProcess::start_with(&data, &flags);
    std::thread::sleep(Duration::from_millis(800));
    let mut times = Vec::new();
    loop {
        let got = call(
            &service.base,
            reqwest::Method::POST,
            "/v1/queues/ticks/receive",
            json!({"maxMessages": 100}),
        );
        let messages = got["messages"].as_array().unwrap().clone();
        if messages.is_empty() {
            break;
        }
        let handles: Vec<Value> = messages.iter().map(|m| m["receiptHandle"].clone()).collect();
        call(
            &service.base,
            reqwest::Method::POST,
            "/v1/queues/ticks/ack",
            json!({"receiptHandles": handles}),
        );
        times.extend(messages.iter().map(|m| m["body"]["time"].as_str().unwrap().to_owned()));
    }
    assert!(times.len() >= 4, "only {} ticks over two runs", times.len());
    let mut unique = times.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), times.len(), "a tick fired twice: {times:?}");
    service.terminate();
}
