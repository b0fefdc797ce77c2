//! The crash loop: a mixed load against the real `schemabus serve`, killed with SIGKILL at
//! a random moment, restarted on the same data directory, and checked, `CRASH_LOOP_KILLS`
//! times (default 5; the documented full run is 50). Seeded by `CRASH_LOOP_SEED` (default:
//! the clock), printed first, so a failure replays. docs/RELIABILITY.md#crash-loops.
//!
//! `CRASH_LOOP_KILLS=50 cargo test --release --test crash_loop -- --nocapture`
#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

#[path = "../common/service.rs"]
mod service;

mod invariants;
mod load;
mod receiver;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::service::{Launch, Service, started};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map_or(default, |v| v.parse().unwrap_or_else(|_| panic!("{name} must be a number")))
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap()
}

fn setup(service: &Service, hook: &str) {
    let schema = json!({"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}});
    service.expect(201, "POST", "/v1/registries", Some(&json!({"name": "shop"})));
    service.expect(200, "PUT", "/v1/registries/shop/config", Some(&json!({"compatibility": "NONE"})));
    service.expect(
        201,
        "POST",
        "/v1/registries/shop/schemas/orders@Placed/versions",
        Some(&json!({"content": schema})),
    );
    let validation = json!({"mode": "enforce", "registry": "shop", "unknownEventTypes": "reject"});
    service.expect(201, "POST", "/v1/buses", Some(&json!({"name": "shop", "validation": validation})));
    for queue in ["qa", "qb", "qr", "dead"] {
        service.expect(
            200,
            "PUT",
            &format!("/v1/queues/{queue}"),
            Some(&json!({"visibilityTimeoutSeconds": 1})),
        );
    }
    let rules = [
        ("all", json!({"source": ["orders"]}), json!([{"id": "qa", "type": "queue", "queue": "qa"}])),
        (
            "even",
            json!({"detail": {"parity": ["even"]}}),
            json!([{"id": "qb", "type": "queue", "queue": "qb"}]),
        ),
        (
            "hook",
            json!({"detail": {"hook": [true]}}),
            json!([{"id": "w", "type": "webhook", "url": hook, "deadLetterQueue": "dead", "timeoutMs": 2000, "retryPolicy": {"maximumRetryAttempts": 1}}]),
        ),
        (
            "replayed",
            json!({"detail": {"kind": ["archived"]}}),
            json!([{"id": "qr", "type": "queue", "queue": "qr"}]),
        ),
    ];
    for (name, pattern, targets) in rules {
        service.expect(
            200,
            "PUT",
            &format!("/v1/buses/shop/rules/{name}"),
            Some(&json!({"pattern": pattern, "targets": targets})),
        );
    }
    service.expect(200, "PUT", "/v1/buses/shop/archives/all", Some(&json!({})));
    service.expect(
        200,
        "PUT",
        "/v1/buses/shop/discovery",
        Some(&json!({"enabled": true, "sampleRate": 0.2})),
    );
}

#[test]
fn acknowledged_work_survives_repeated_kill_9() {
    let kills = env_number("CRASH_LOOP_KILLS", 5);
    let seed = env_number(
        "CRASH_LOOP_SEED",
        u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() % 1_000_000_007).unwrap(),
    );
    eprintln!(
        "crash loop: {kills} kills, seed {seed} (rerun: CRASH_LOOP_SEED={seed} CRASH_LOOP_KILLS={kills})"
    );
    let started_at = Instant::now();
    let since = rfc3339(time::OffsetDateTime::now_utc() - Duration::from_secs(60));
    let mut rng = fastrand::Rng::with_seed(seed);
    let receiver = receiver::Receiver::start(seed, 30);
    let dir = tempfile::tempdir().unwrap();
    let launch = Launch {
        prefix: Vec::new(),
        data_dir: dir.path().join("data"),
        flags: [
            "--webhook-retry-base-ms",
            "20",
            "--webhook-retry-max-ms",
            "200",
            "--journal-segment-mb",
            "1",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect(),
        log: dir.path().join("service.log"),
    };
    let mut service = Arc::new(started(&launch));
    setup(&service, &receiver.url);
    let ledger: load::Shared = Arc::new(Mutex::new(load::Ledger::default()));
    let mut checked = invariants::Checked::default();
    for cycle in 0..kills as usize {
        let stop = Arc::new(AtomicBool::new(false));
        let until = rfc3339(time::OffsetDateTime::now_utc() + Duration::from_secs(3600));
        let threads = load::run(&service, &ledger, &stop, seed, cycle, (&since, &until));
        std::thread::sleep(Duration::from_millis(rng.u64(200..1500)));
        let killed_at = Instant::now();
        service.kill_9();
        stop.store(true, Ordering::Relaxed);
        for thread in threads {
            thread.join().unwrap();
        }
        service = Arc::new(
            Service::start(&launch)
                .unwrap_or_else(|e| panic!("cycle {cycle}: no restart without repair (seed {seed}): {e}")),
        );
        // Messages received before the kill become visible again after their 1 s.
        std::thread::sleep(Duration::from_millis(1100).saturating_sub(killed_at.elapsed()));
        let ledger = ledger.lock().unwrap();
        invariants::check(&service, &ledger, &receiver, &mut checked)
            .unwrap_or_else(|e| panic!("cycle {cycle}, seed {seed}: {e}"));
    }
    let ledger = ledger.lock().unwrap();
    eprintln!(
        "crash loop: {kills} kills survived in {:.0?}, seed {seed}: {} events acknowledged ({} refused by validation), {} in qa, {} in qb; {} versions verified; {} acks on qa honoured; {} webhook events delivered, {} dead-lettered; {} replays",
        started_at.elapsed(),
        ledger.events.len(),
        ledger.refused,
        checked.qa.len(),
        checked.qb.len(),
        ledger.versions.len(),
        ledger.acked_qa.len(),
        checked.delivered,
        checked.dead.len(),
        ledger.replays.len()
    );
}
