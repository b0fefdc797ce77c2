//! The mixed load of one cycle, run by threads until the service dies under them:
//! PutEvents on the enforcing bus (valid and invalid entries), version registrations,
//! receive + ack on queue `qa`, and one replay. Every acknowledgement goes to the ledger.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::service::Service;

/// What an acknowledged event was put with.
#[derive(Debug, Clone, Copy)]
pub struct Put {
    pub even: bool,
    pub hook: bool,
}

/// Everything the service acknowledged, over every cycle.
#[derive(Debug, Default)]
pub struct Ledger {
    /// Events PutEvents answered success for, by id.
    pub events: HashMap<String, Put>,
    /// Entries refused by validation (counted only).
    pub refused: u64,
    /// Versions answered 201: (schema, version) → content.
    pub versions: HashMap<(String, u64), Value>,
    /// Event ids whose message in `qa` an ack answered `deleted: 1` for.
    pub acked_qa: HashSet<String>,
    /// Event ids whose ack on `qa` got no answer (the kill): deleted or not.
    pub ack_in_doubt: HashSet<String>,
    /// Replays started.
    pub replays: Vec<String>,
}

pub type Shared = Arc<Mutex<Ledger>>;

fn producer(
    service: &Service,
    ledger: &Shared,
    stop: &AtomicBool,
    rng: &mut fastrand::Rng,
    counter: &AtomicU64,
) {
    while !stop.load(Ordering::Relaxed) {
        let entries: Vec<(Value, Put, bool)> = (0..5)
            .map(|_| {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let put = Put { even: n.is_multiple_of(2), hook: rng.u8(0..4) == 0 };
                let valid = rng.u8(0..10) != 0;
                let kind = if rng.u8(0..5) == 0 { "archived" } else { "live" };
                let value = if valid { json!(n) } else { json!(format!("not a number {n}")) };
                let detail = json!({"n": value, "parity": if put.even { "even" } else { "odd" }, "hook": put.hook, "kind": kind});
                (json!({"source": "orders", "detailType": "Placed", "detail": detail}), put, valid)
            })
            .collect();
        let body = json!({"entries": entries.iter().map(|e| e.0.clone()).collect::<Vec<_>>()});
        let Ok(reply) = service.try_call("POST", "/v1/buses/shop/events", Some(&body)) else { return };
        assert_eq!(reply.status, 200, "PutEvents: {}", reply.body);
        let mut ledger = ledger.lock().unwrap();
        for ((_, put, valid), result) in entries.iter().zip(reply.body["entries"].as_array().unwrap()) {
            match result["eventId"].as_str() {
                Some(id) => {
                    assert!(valid, "an invalid entry was accepted: {result}");
                    ledger.events.insert(id.to_owned(), *put);
                }
                None => {
                    assert!(!valid, "a valid entry was refused: {result}");
                    assert_eq!(result["errorCode"], "SchemaValidationFailed", "{result}");
                    ledger.refused += 1;
                }
            }
        }
    }
}

fn registrar(service: &Service, ledger: &Shared, stop: &AtomicBool, rng: &mut fastrand::Rng) {
    while !stop.load(Ordering::Relaxed) {
        let schema = format!("other@S{}", rng.u8(0..4));
        let content = json!({"type": "object", "title": format!("t{}", rng.u64(..)), "properties": {"x": {"type": "string", "maxLength": rng.u16(1..1000)}}});
        let path = format!("/v1/registries/shop/schemas/{schema}/versions");
        let Ok(reply) = service.try_call("POST", &path, Some(&json!({"content": content}))) else { return };
        assert_eq!(reply.status, 201, "registration: {}", reply.body);
        let version = reply.body["version"].as_u64().unwrap();
        let previous = ledger.lock().unwrap().versions.insert((schema.clone(), version), content);
        assert!(previous.is_none(), "{schema} version {version} given twice");
        std::thread::sleep(std::time::Duration::from_millis(rng.u64(5..40)));
    }
}

fn consumer(service: &Service, ledger: &Shared, stop: &AtomicBool, rng: &mut fastrand::Rng) {
    while !stop.load(Ordering::Relaxed) {
        let receive = json!({"maxMessages": 10, "visibilityTimeoutSeconds": 1});
        let Ok(reply) = service.try_call("POST", "/v1/queues/qa/receive", Some(&receive)) else { return };
        assert_eq!(reply.status, 200, "receive: {}", reply.body);
        for message in reply.body["messages"].as_array().unwrap() {
            if rng.bool() {
                continue; // left to come back
            }
            let id = message["body"]["id"].as_str().unwrap().to_owned();
            let ack = json!({"receiptHandles": [message["receiptHandle"]]});
            let Ok(acked) = service.try_call("POST", "/v1/queues/qa/ack", Some(&ack)) else {
                ledger.lock().unwrap().ack_in_doubt.insert(id);
                return;
            };
            assert_eq!(acked.status, 200, "ack: {}", acked.body);
            if acked.body["deleted"] == 1 {
                ledger.lock().unwrap().acked_qa.insert(id);
            }
        }
    }
}

/// Runs the load until `stop` is set or the service dies; starts one replay.
pub fn run(
    service: &Arc<Service>,
    ledger: &Shared,
    stop: &Arc<AtomicBool>,
    seed: u64,
    cycle: usize,
    window: (&str, &str),
) -> Vec<std::thread::JoinHandle<()>> {
    let counter = Arc::new(AtomicU64::new(cycle as u64 * 1_000_000));
    let mut threads = Vec::new();
    for role in 0..4u64 {
        let (service, ledger, stop, counter) =
            (Arc::clone(service), Arc::clone(ledger), Arc::clone(stop), Arc::clone(&counter));
        let mut rng = fastrand::Rng::with_seed(seed ^ (cycle as u64 * 16 + role));
        threads.push(std::thread::spawn(move || match role {
            0 | 1 => producer(&service, &ledger, &stop, &mut rng, &counter),
            2 => registrar(&service, &ledger, &stop, &mut rng),
            _ => consumer(&service, &ledger, &stop, &mut rng),
        }));
    }
    let name = format!("replay-{cycle}");
    let replay = json!({"name": name, "archive": "all", "startTime": window.0, "endTime": window.1, "rules": ["replayed"]});
    if let Ok(reply) = service.try_call("POST", "/v1/buses/shop/replays", Some(&replay)) {
        assert_eq!(reply.status, 202, "replay: {}", reply.body);
        ledger.lock().unwrap().replays.push(name);
    }
    threads
}
