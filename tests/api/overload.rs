//! Overload and slow clients against the real binary: past its budgets the service sheds
//! with `503 overloaded` and `Retry-After` instead of hanging, the probes keep answering,
//! memory stays bounded, and slow or oversized requests are cut by their limits.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::ServiceProcess;

fn connect(base: &str) -> TcpStream {
    let stream = TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream
}

/// Everything the server answers until it closes the connection (or 10 s pass).
fn read_all(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
        if out.windows(4).any(|w| w == b"\r\n\r\n") && out.ends_with(b"}") {
            break;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A request whose body never finishes: it holds a slot until the body timeout.
fn stalled_body(base: &str) -> TcpStream {
    let mut s = connect(base);
    s.write_all(b"POST /v1/buses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"na")
        .unwrap();
    s
}

fn status_of(r: &reqwest::blocking::Response) -> (u16, Option<String>) {
    (r.status().as_u16(), r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned()))
}

#[test]
fn past_its_budgets_the_service_sheds_with_retry_after_and_probes_keep_answering() {
    let tmp = tempfile::tempdir().unwrap();
    let service = ServiceProcess::start_with(
        &tmp.path().join("data"),
        &["--max-inflight-requests", "4", "--max-long-polls", "2", "--body-read-timeout-ms", "4000"],
    );
    let base = service.base.clone();
    let client = reqwest::blocking::Client::new();
    assert_eq!(client.put(format!("{base}/v1/queues/q")).json(&json!({})).send().unwrap().status(), 200);

    // Two long polls take the long-poll budget; a third is shed at once.
    let polls: Vec<_> = (0..2)
        .map(|_| {
            let base = base.clone();
            std::thread::spawn(move || {
                reqwest::blocking::Client::new()
                    .post(format!("{base}/v1/queues/q/receive"))
                    .json(&json!({"waitSeconds": 3}))
                    .send()
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let shed =
        client.post(format!("{base}/v1/queues/q/receive")).json(&json!({"waitSeconds": 3})).send().unwrap();
    assert_eq!(status_of(&shed), (503, Some("1".into())));
    let body: Value = shed.json().unwrap();
    assert_eq!(body["code"], "overloaded", "{body}");

    // Two stalled uploads take the rest of the request budget: every other request is
    // shed, except the probes.
    let _stalled: Vec<_> = (0..2).map(|_| stalled_body(&base)).collect();
    std::thread::sleep(Duration::from_millis(300));
    let r = client.get(format!("{base}/v1/buses")).send().unwrap();
    assert_eq!(status_of(&r), (503, Some("1".into())));
    assert_eq!(client.get(format!("{base}/healthz")).send().unwrap().status(), 200);
    assert_eq!(client.get(format!("{base}/readyz")).send().unwrap().status(), 200);

    // When the long polls end the slots come back.
    for p in polls {
        assert_eq!(p.join().unwrap(), 200);
    }
    assert_eq!(client.get(format!("{base}/v1/buses")).send().unwrap().status(), 200);
}

#[test]
fn ten_times_more_clients_than_slots_get_answers_not_timeouts_and_memory_stays_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    let service = ServiceProcess::start_with(&tmp.path().join("data"), &["--max-inflight-requests", "16"]);
    let base = service.base.clone();
    let rss = || {
        let status = std::fs::read_to_string(format!("/proc/{}/status", service.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap().to_owned();
        line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap()
    };
    let before = rss();
    let (ok, shed, other) =
        (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let until = Instant::now() + Duration::from_secs(4);
    let clients: Vec<_> = (0..160)
        .map(|i| {
            let (base, ok, shed, other) = (base.clone(), ok.clone(), shed.clone(), other.clone());
            std::thread::spawn(move || {
                let client =
                    reqwest::blocking::Client::builder().timeout(Duration::from_secs(15)).build().unwrap();
                let entry =
                    json!({"entries": [{"source": "load", "detailType": "Tick", "detail": {"i": i}}]});
                while Instant::now() < until {
                    match client.post(format!("{base}/v1/buses/default/events")).json(&entry).send() {
                        Ok(r) if r.status() == 200 => ok.fetch_add(1, Ordering::Relaxed),
                        Ok(r) if r.status() == 503 && r.headers().contains_key("retry-after") => {
                            shed.fetch_add(1, Ordering::Relaxed)
                        }
                        _ => other.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    // The probe answers throughout.
    let probe = reqwest::blocking::Client::builder().timeout(Duration::from_secs(2)).build().unwrap();
    while Instant::now() < until {
        assert_eq!(probe.get(format!("{base}/healthz")).send().unwrap().status(), 200);
        std::thread::sleep(Duration::from_millis(200));
    }
    for c in clients {
        c.join().unwrap();
    }
    let (ok, shed, other) =
        (ok.load(Ordering::Relaxed), shed.load(Ordering::Relaxed), other.load(Ordering::Relaxed));
    assert_eq!(other, 0, "every request is answered 200 or 503 with Retry-After ({ok} ok, {shed} shed)");
    assert!(ok > 0 && shed > 0, "the service served and shed ({ok} ok, {shed} shed)");
    let grown_kib = rss().saturating_sub(before);
    eprintln!("160 clients, 16 slots, 4 s: {ok} served, {shed} shed, resident memory +{grown_kib} KiB");
    assert!(grown_kib < 256 * 1024, "resident memory grew by {grown_kib} KiB under 160 clients");
}

#[test]
fn slow_heads_slow_bodies_and_oversized_headers_are_cut() {
    let tmp = tempfile::tempdir().unwrap();
    let service = ServiceProcess::start_with(
        &tmp.path().join("data"),
        &["--header-read-timeout-ms", "500", "--body-read-timeout-ms", "500", "--max-header-bytes", "4096"],
    );
    let base = service.base.clone();

    // Slow-loris: half a head, then nothing. The connection is answered 408 and closed.
    let mut s = connect(&base);
    s.write_all(b"GET /v1/buses HTTP/1.1\r\nHost: x\r\n").unwrap();
    let started = Instant::now();
    let answer = read_all(&mut s);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "cut after {:?}", started.elapsed());

    // A body that stops arriving: 408 request_timeout.
    let mut s = stalled_body(&base);
    let answer = read_all(&mut s);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(answer.contains("request_timeout"), "{answer:?}");

    // Headers over the limit: 431 headers_too_large.
    let client = reqwest::blocking::Client::new();
    let r = client.get(format!("{base}/v1/buses")).header("X-Padding", "a".repeat(5000)).send().unwrap();
    assert_eq!(r.status(), 431);
    assert_eq!(r.json::<Value>().unwrap()["code"], "headers_too_large");
    // A head past the HTTP parser's own bound is refused too, and the service lives on.
    let mut s = connect(&base);
    let huge = format!("GET /v1/buses HTTP/1.1\r\nHost: x\r\nX-Padding: {}\r\n\r\n", "a".repeat(200 * 1024));
    let _ = s.write_all(huge.as_bytes());
    let answer = read_all(&mut s);
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 431"), "{answer:?}");
    assert_eq!(client.get(format!("{base}/healthz")).send().unwrap().status(), 200);
}
