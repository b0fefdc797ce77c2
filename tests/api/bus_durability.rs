use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::helpers::{ServiceProcess, data_dir};

/// Drains a queue of the running service, returning every event id received.
fn drain(client: &Client, base: &str, queue: &str) -> Vec<String> {
    let mut ids = Vec::new();
    loop {
        let reply: Value = client
            .post(format!("{base}/v1/queues/{queue}/receive"))
            .json(&json!({"maxMessages": 100, "visibilityTimeoutSeconds": 600}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let messages = reply["messages"].as_array().unwrap();
        if messages.is_empty() {
            return ids;
        }
        ids.extend(messages.iter().map(|m| m["body"]["id"].as_str().unwrap().to_owned()));
    }
}

#[test]
fn events_acknowledged_before_kill_9_are_in_their_queue_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let client = Client::new();
    let service = ServiceProcess::start(&data_dir(&dir));
    let base = service.base.clone();
    let queue = client
        .put(format!("{base}/v1/queues/q"))
        .json(&json!({"visibilityTimeoutSeconds": 600}))
        .send()
        .unwrap();
    assert_eq!(queue.status(), 200);
    let rule = client
        .put(format!("{base}/v1/buses/default/rules/all"))
        .json(&json!({"pattern": {"source": ["load"]}, "targets": [{"id": "q", "type": "queue", "queue": "q"}]}))
        .send()
        .unwrap();
    assert_eq!(rule.status(), 200);

    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (base, stop) = (base.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                let client = Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
                let mut acknowledged = Vec::new();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let entries: Vec<_> = (0..10)
                        .map(|i| json!({"source": "load", "detailType": "Tick", "detail": {"writer": w, "n": n, "i": i}}))
                        .collect();
                    n += 1;
                    match client.post(format!("{base}/v1/buses/default/events")).json(&json!({"entries": entries})).send() {
                        Ok(r) if r.status() == 200 => {
                            let body: Value = r.json().unwrap();
                            assert_eq!(body["failedEntryCount"], 0);
                            acknowledged.extend(
                                body["entries"].as_array().unwrap().iter().map(|e| e["eventId"].as_str().unwrap().to_owned()),
                            );
                        }
                        _ => break, // the service was killed mid-request
                    }
                }
                acknowledged
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    service.kill_9();
    stop.store(true, Ordering::Relaxed);
    let acknowledged: Vec<String> = writers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    assert!(acknowledged.len() >= 100, "too few events before the kill: {}", acknowledged.len());

    let service = ServiceProcess::start(&data_dir(&dir));
    let received = drain(&client, &service.base, "q");
    let unique: HashSet<&String> = received.iter().collect();
    assert_eq!(unique.len(), received.len(), "a message was delivered twice");
    let missing: Vec<_> = acknowledged.iter().filter(|id| !unique.contains(id)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged events lost, e.g. {:?}",
        missing.len(),
        acknowledged.len(),
        missing.first()
    );
    eprintln!("kill -9: {} acknowledged, {} in the queue after restart", acknowledged.len(), received.len());
}
