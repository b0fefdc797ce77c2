//! Webhook deliveries per second: schemabus in process delivering to a local receiver.
//!
//! Run: `cargo bench --bench delivery`. Environment: `DELIVERY_EVENTS` (default 5000),
//! `DELIVERY_WORKERS` (webhook worker pool, default 16).
//!
//! The receiver (actix-web, one worker, answers 200 at once) and schemabus run in this
//! process on random loopback ports. One rule on the default bus sends every event to one
//! webhook target with a signing secret. Events are put 100 per request by one client
//! while the dispatcher delivers; the clock runs from the first PutEvents to the last
//! delivery acknowledged by the receiver.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use schemabus::config::Settings;
use schemabus::startup::Application;
use serde_json::json;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn receiver(count: Arc<AtomicU64>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_else(|e| panic!("{e}"));
    let server = HttpServer::new(move || {
        let count = Arc::clone(&count);
        App::new().default_service(web::to(move || {
            count.fetch_add(1, Ordering::Relaxed);
            async { HttpResponse::Ok().finish() }
        }))
    })
    .workers(1)
    .listen(listener)
    .unwrap_or_else(|e| panic!("{e}"))
    .run();
    tokio::spawn(server);
    format!("http://127.0.0.1:{port}/hook")
}

async fn run(events: u64, workers: usize) -> (Duration, u64) {
    let count = Arc::new(AtomicU64::new(0));
    let url = receiver(Arc::clone(&count)).await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut settings = Settings::for_data_dir(dir.path().join("data"));
    settings.bus.delivery.webhook_workers = workers;
    let app = Application::build(settings).await.unwrap_or_else(|e| panic!("{e}"));
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let rule = json!({"pattern": {"source": ["bench"]}, "targets": [
        {"type": "webhook", "id": "w", "url": url, "secret": "bench-secret"}]});
    let reply = client.put(format!("{base}/v1/buses/default/rules/bench")).json(&rule).send().await;
    assert!(reply.is_ok_and(|r| r.status().is_success()));
    let started = Instant::now();
    let mut sent = 0;
    while sent < events {
        let n = (events - sent).min(100);
        let entries: Vec<_> =
            (0..n).map(|i| json!({"source": "bench", "detailType": "T", "detail": {"n": sent + i, "pad": "x".repeat(500)}})).collect();
        let reply = client
            .post(format!("{base}/v1/buses/default/events"))
            .json(&json!({"entries": entries}))
            .send()
            .await;
        assert!(reply.is_ok_and(|r| r.status().is_success()));
        sent += n;
    }
    let deadline = Instant::now() + Duration::from_secs(300);
    while count.load(Ordering::Relaxed) < events && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    (started.elapsed(), count.load(Ordering::Relaxed))
}

fn main() {
    let events = env_or("DELIVERY_EVENTS", 5000);
    let workers = usize::try_from(env_or("DELIVERY_WORKERS", 16)).unwrap_or(16);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap_or_else(|e| panic!("{e}"));
    println!(
        "delivery: {events} events of ~0.8 KB, 1 webhook target (signed), {workers} webhook workers, {} cores",
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    runtime.block_on(async {
        let (elapsed, delivered) = run(events, workers).await;
        #[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
        let rate = delivered as f64 / elapsed.as_secs_f64();
        println!(
            "  put + deliver: {delivered} delivered in {:.2} s: {rate:.0} deliveries/s",
            elapsed.as_secs_f64()
        );
    });
}
