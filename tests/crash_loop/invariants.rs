//! The checks after every restart, against the ledger of everything acknowledged so far.
//! Queues are drained (received with a long visibility timeout, then acked), so each
//! check sees only what arrived since the last one, and a message seen twice across
//! checks came back after it was acked.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::load::Ledger;
use crate::receiver::Receiver;
use crate::service::Service;

/// What the checks have drained so far.
#[derive(Debug, Default)]
pub struct Checked {
    pub qa: HashSet<String>,
    pub qb: HashSet<String>,
    pub dead: HashSet<String>,
    pub delivered: usize,
}

/// Receives every visible message of `queue` and acks it; returns the event ids, once
/// per message received (a duplicate shows twice).
fn drain(service: &Service, queue: &str) -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    loop {
        let receive = json!({"maxMessages": 100, "visibilityTimeoutSeconds": 600});
        let reply = service.call("POST", &format!("/v1/queues/{queue}/receive"), Some(&receive));
        if reply.status != 200 {
            return Err(format!("receive from {queue}: {} {}", reply.status, reply.body));
        }
        let messages = reply.body["messages"].as_array().cloned().unwrap_or_default();
        if messages.is_empty() {
            return Ok(ids);
        }
        let handles: Vec<_> = messages.iter().map(|m| m["receiptHandle"].clone()).collect();
        let acked = service.call(
            "POST",
            &format!("/v1/queues/{queue}/ack"),
            Some(&json!({"receiptHandles": handles})),
        );
        if acked.status != 200 || acked.body["deleted"] != handles.len() {
            return Err(format!("ack on {queue}: {} {}", acked.status, acked.body));
        }
        ids.extend(messages.iter().map(|m| m["body"]["id"].as_str().unwrap_or_default().to_owned()));
    }
}

/// Adds a drain to `seen`, failing on a message seen before (in this drain or an earlier
/// one, which acked it) or acked by the consumer.
fn once(
    queue: &str,
    drained: Vec<String>,
    seen: &mut HashSet<String>,
    acked: &HashSet<String>,
) -> Result<(), String> {
    for id in drained {
        if acked.contains(&id) {
            return Err(format!("{queue}: event {id} came back after its ack"));
        }
        if !seen.insert(id.clone()) {
            return Err(format!("{queue}: event {id} delivered twice"));
        }
    }
    Ok(())
}

pub fn check(
    service: &Service,
    ledger: &Ledger,
    receiver: &Receiver,
    checked: &mut Checked,
) -> Result<(), String> {
    for ((schema, version), content) in &ledger.versions {
        let reply =
            service.call("GET", &format!("/v1/registries/shop/schemas/{schema}/versions/{version}"), None);
        if reply.status != 200 || reply.body["content"] != *content {
            return Err(format!(
                "{schema} version {version}: {} {} (registered {content})",
                reply.status, reply.body
            ));
        }
    }
    once("qa", drain(service, "qa")?, &mut checked.qa, &ledger.acked_qa)?;
    let none = HashSet::new();
    once("qb", drain(service, "qb")?, &mut checked.qb, &none)?;
    drain(service, "qr")?; // replays and archived-kind events: at-least-once, not counted
    for (id, put) in &ledger.events {
        if !checked.qa.contains(id) && !ledger.acked_qa.contains(id) && !ledger.ack_in_doubt.contains(id) {
            return Err(format!("qa: acknowledged event {id} is not in the queue"));
        }
        if put.even && !checked.qb.contains(id) {
            return Err(format!("qb: acknowledged event {id} is not in the queue"));
        }
    }
    let hooks: Vec<&String> = ledger.events.iter().filter(|(_, p)| p.hook).map(|(id, _)| id).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        checked.dead.extend(drain(service, "dead")?);
        let delivered = receiver.delivered();
        let missing: Vec<&&String> =
            hooks.iter().filter(|id| !delivered.contains(**id) && !checked.dead.contains(**id)).collect();
        if missing.is_empty() {
            checked.delivered = hooks.iter().filter(|id| delivered.contains(**id)).count();
            break;
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{} webhook deliveries neither delivered nor dead-lettered in 60 s, e.g. {}",
                missing.len(),
                missing[0]
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    for name in &ledger.replays {
        let reply = service.call("GET", &format!("/v1/replays/{name}"), None);
        if reply.status != 200 {
            return Err(format!("replay {name}: {} {}", reply.status, reply.body));
        }
    }
    Ok(())
}
