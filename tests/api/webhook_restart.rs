//! `kill -9` with webhook deliveries pending: the real binary, killed, restarted on the
//! same data directory: every pending delivery is made.

use std::time::Duration;

use serde_json::json;

use crate::bus_support::entry;
use crate::helpers::{ServiceProcess, data_dir};
use crate::receiver::{Receiver, Script};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_deliveries_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start(Script { failing: true, fail_status: 503, ..Script::default() }).await;
    let flags = ["--webhook-retry-base-ms", "20", "--webhook-retry-max-ms", "100"];
    let client = reqwest::Client::new();
    let data = data_dir(&dir);
    let service = tokio::task::spawn_blocking({
        let data = data.clone();
        move || ServiceProcess::start_with(&data, &flags)
    })
    .await
    .unwrap();
    let rule = json!({"pattern": {"source": ["orders"]}, "targets": [{"type": "webhook", "id": "w", "url": receiver.url}]});
    let reply = client
        .put(format!("{}/v1/buses/default/rules/hooks", service.base))
        .json(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let entries: Vec<_> = (0..20).map(|n| entry("orders", "T", json!({"n": n}))).collect();
    let answer: serde_json::Value = client
        .post(format!("{}/v1/buses/default/events", service.base))
        .json(&json!({"entries": entries}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut ids: Vec<String> = answer["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventId"].as_str().unwrap().to_owned())
        .collect();
    // Let some attempts fail, then kill without warning.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while receiver.received().len() < 20 {
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::task::spawn_blocking(move || service.kill_9()).await.unwrap();
    receiver.set_failing(false);
    let restarted =
        tokio::task::spawn_blocking(move || ServiceProcess::start_with(&data, &flags)).await.unwrap();
    let accepted = receiver.wait_accepted(20, Duration::from_secs(20)).await;
    let mut got: Vec<String> = accepted.iter().map(|r| r.json()["id"].as_str().unwrap().to_owned()).collect();
    got.sort();
    got.dedup();
    ids.sort();
    assert_eq!(got, ids, "every pending delivery made after the restart");
    // The trace of a delivery that was pending across the crash says where it ended.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let trace: serde_json::Value = client
            .get(format!("{}/v1/buses/default/events/{}/trace", restarted.base, ids[0]))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if trace["deliveries"][0]["outcome"] == "delivered" {
            assert_eq!(trace["rulesMatched"], json!(["hooks"]));
            assert!(!trace["deliveries"][0]["attempts"].as_array().unwrap().is_empty());
            break;
        }
        assert!(std::time::Instant::now() < deadline, "trace never showed the delivery: {trace}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
