//! Soak: the real binary under a steady mixed load (validated PutEvents, queue receive and
//! ack, webhook deliveries to a local receiver, schema registrations, discovery on) for
//! `SOAK_SECONDS` (default 300, what CI runs; docs/RELIABILITY.md#soak has the one-hour
//! command). Resident memory, open files and disk use are sampled every 10 s and must
//! stay flat once warmed up: retention and compaction reclaim what they should.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

#[path = "api/helpers.rs"]
#[allow(dead_code, reason = "the soak uses only the process helper")]
mod helpers;
// What the helpers start their services on (the soak runs on the default backend).
#[path = "api/backend.rs"]
#[allow(dead_code, unused_macros, unused_imports, reason = "the soak uses only the process helper")]
mod backend;
#[path = "common/postgres.rs"]
#[allow(dead_code, reason = "the soak uses only the process helper")]
mod postgres;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use helpers::ServiceProcess;

/// A webhook receiver answering 200 to everything, counting requests.
fn receiver(count: Arc<AtomicU64>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let count = count.clone();
            std::thread::spawn(move || {
                let mut stream = stream;
                stream.set_read_timeout(Some(Duration::from_secs(30))).ok();
                let mut buf = vec![0u8; 64 * 1024];
                let mut seen = Vec::new();
                // Keep-alive: answer each request as its head and body arrive.
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    seen.extend_from_slice(&buf[..n]);
                    while let Some(end) = complete_request(&seen) {
                        seen.drain(..end);
                        count.fetch_add(1, Ordering::Relaxed);
                        let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                        if stream.write_all(reply).is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    port
}

/// The length of the first complete request in `bytes` (head and `content-length` body).
fn complete_request(bytes: &[u8]) -> Option<usize> {
    let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&bytes[..head_end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    (bytes.len() >= head_end + length).then_some(head_end + length)
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    at_s: u64,
    rss_kib: u64,
    fds: usize,
    disk_bytes: u64,
}

fn disk_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        total += if meta.is_dir() { disk_bytes(&entry.path()) } else { meta.len() };
    }
    total
}

fn sample(pid: u32, data: &Path, started: Instant) -> Sample {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count();
    Sample { at_s: started.elapsed().as_secs(), rss_kib, fds, disk_bytes: disk_bytes(data) }
}

fn ok(r: reqwest::Result<reqwest::blocking::Response>, what: &str) -> Value {
    let r = r.unwrap_or_else(|e| panic!("{what}: {e}"));
    let status = r.status();
    let body: Value = r.json().unwrap_or(Value::Null);
    assert!(status.is_success(), "{what}: {status} {body}");
    body
}

#[test]
fn a_steady_mixed_load_keeps_memory_files_and_disk_flat() {
    let seconds: u64 = std::env::var("SOAK_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let service = ServiceProcess::start_with(
        &data,
        &[
            "--journal-segment-mb",
            "1",
            "--event-retention-minutes",
            "1",
            "--trace-max-events",
            "5000",
            "--trace-window-seconds",
            "60",
            "--sweep-interval-seconds",
            "30",
            "--storage-cache-mb",
            "16",
        ],
    );
    let base = service.base.clone();
    let c = reqwest::blocking::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let delivered = Arc::new(AtomicU64::new(0));
    let hook = receiver(delivered.clone());

    ok(c.post(format!("{base}/v1/registries")).json(&json!({"name": "soak"})).send(), "registry");
    // Each revision changes only an annotation: compatible under the default mode.
    let tick = |revision: u64| {
        json!({"content": {"type": "object", "description": format!("revision {revision}"), "required": ["i"],
            "properties": {"i": {"type": "integer"}, "hook": {"type": "boolean"}}}})
    };
    ok(
        c.post(format!("{base}/v1/registries/soak/schemas/soak@Tick/versions")).json(&tick(0)).send(),
        "schema",
    );
    ok(
        c.post(format!("{base}/v1/buses"))
            .json(&json!({"name": "soak", "validation": {"mode": "enforce", "registry": "soak"}}))
            .send(),
        "bus",
    );
    ok(c.put(format!("{base}/v1/queues/work")).json(&json!({})).send(), "queue");
    ok(
        c.put(format!("{base}/v1/buses/soak/rules/all"))
            .json(&json!({"pattern": {"source": ["soak"]}, "targets": [{"type": "queue", "id": "q", "queue": "work"}]}))
            .send(),
        "rule",
    );
    ok(
        c.put(format!("{base}/v1/buses/soak/rules/hooks"))
            .json(&json!({"pattern": {"source": ["soak"], "detail": {"hook": [true]}},
                "targets": [{"type": "webhook", "id": "w", "url": format!("http://127.0.0.1:{hook}/hook")}]}))
            .send(),
        "webhook rule",
    );
    ok(
        c.put(format!("{base}/v1/buses/soak/discovery"))
            .json(&json!({"enabled": true, "sampleRate": 0.1}))
            .send(),
        "discovery",
    );

    let stop = Arc::new(AtomicBool::new(false));
    let (accepted, acked) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let producer = {
        let (base, stop, accepted) = (base.clone(), stop.clone(), accepted.clone());
        std::thread::spawn(move || {
            let c = reqwest::blocking::Client::new();
            let mut i = 0u64;
            // 10 requests of 10 events a second, one event in ten to the webhook.
            while !stop.load(Ordering::Relaxed) {
                let tick = Instant::now();
                let entries: Vec<Value> = (0..10)
                    .map(|k| {
                        i += 1;
                        json!({"source": "soak", "detailType": "Tick", "detail": {"i": i, "hook": k == 0}})
                    })
                    .collect();
                let body = ok(
                    c.post(format!("{base}/v1/buses/soak/events")).json(&json!({"entries": entries})).send(),
                    "put",
                );
                assert_eq!(body["failedEntryCount"], 0, "{body}");
                accepted.fetch_add(10, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(100).saturating_sub(tick.elapsed()));
            }
        })
    };
    let consumer = {
        let (base, stop, acked) = (base.clone(), stop.clone(), acked.clone());
        std::thread::spawn(move || {
            let c = reqwest::blocking::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
            while !stop.load(Ordering::Relaxed) {
                let got = ok(
                    c.post(format!("{base}/v1/queues/work/receive"))
                        .json(&json!({"maxMessages": 100, "waitSeconds": 1}))
                        .send(),
                    "receive",
                );
                let handles: Vec<Value> =
                    got["messages"].as_array().unwrap().iter().map(|m| m["receiptHandle"].clone()).collect();
                if !handles.is_empty() {
                    ok(
                        c.post(format!("{base}/v1/queues/work/ack"))
                            .json(&json!({"receiptHandles": handles}))
                            .send(),
                        "ack",
                    );
                    acked.fetch_add(handles.len() as u64, Ordering::Relaxed);
                }
            }
        })
    };

    let started = Instant::now();
    let pid = service.child.id();
    let mut samples = vec![sample(pid, &data, started)];
    let mut versions = 1;
    while started.elapsed() < Duration::from_secs(seconds) {
        std::thread::sleep(Duration::from_secs(10));
        // A compatible new version every 10 s.
        ok(
            c.post(format!("{base}/v1/registries/soak/schemas/soak@Tick/versions"))
                .json(&tick(versions))
                .send(),
            "new version",
        );
        versions += 1;
        let s = sample(pid, &data, started);
        eprintln!(
            "soak t={:>5}s rss={:>7} KiB fds={:>4} disk={:>6} KiB accepted={} acked={} delivered={}",
            s.at_s,
            s.rss_kib,
            s.fds,
            s.disk_bytes / 1024,
            accepted.load(Ordering::Relaxed),
            acked.load(Ordering::Relaxed),
            delivered.load(Ordering::Relaxed)
        );
        samples.push(s);
    }
    stop.store(true, Ordering::Relaxed);
    producer.join().unwrap();
    consumer.join().unwrap();

    let accepted = accepted.load(Ordering::Relaxed);
    assert!(accepted >= seconds * 50, "the load ran: {accepted} events in {seconds} s");
    assert!(acked.load(Ordering::Relaxed) * 10 >= accepted * 9, "the consumer kept up");
    assert!(delivered.load(Ordering::Relaxed) > 0, "webhooks were delivered");

    // Warmed up once caches, trace buffers and the retention window have filled: the
    // first half of the run. After it, growth is bounded.
    let warm = samples.iter().rfind(|s| s.at_s <= seconds / 2).copied().unwrap();
    let peak = |f: fn(&Sample) -> u64| samples.iter().filter(|s| s.at_s > warm.at_s).map(f).max().unwrap();
    let rss_peak = peak(|s| s.rss_kib);
    let fds_peak = peak(|s| s.fds as u64);
    let disk_peak = peak(|s| s.disk_bytes);
    eprintln!(
        "soak warm at {}s: {warm:?}; later peaks rss={rss_peak} KiB fds={fds_peak} disk={disk_peak} B",
        warm.at_s
    );
    assert!(rss_peak <= warm.rss_kib + 48 * 1024, "resident memory grew: {warm:?} then {rss_peak} KiB");
    assert!(fds_peak <= warm.fds as u64 + 16, "open files grew: {warm:?} then {fds_peak}");
    assert!(
        disk_peak <= warm.disk_bytes + warm.disk_bytes / 2 + 8 * 1024 * 1024,
        "disk use grew: {warm:?} then {disk_peak} B"
    );
}
