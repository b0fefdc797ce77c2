//! PutEvents load: schemabus against a bare endpoint that only parses the same body.
//!
//! Run: `cargo bench --bench bus_load` (about 40 s). Environment: `BUS_LOAD_SECS`
//! (seconds per phase, default 10), `BUS_LOAD_CLIENTS` (concurrent clients, default 128),
//! `BUS_LOAD_PHASES` (comma-separated subset of `bare,strict,relaxed`, default all three;
//! one phase alone is handy under `perf record`), `BUS_LOAD_ROUNDS` (run the phases in
//! turn this many times and compare medians, default 1), `BUS_LOAD_COMMIT_DELAY_US` (the
//! service's `--group-commit-delay-us`, default the service's own).
//!
//! Each phase runs in a fresh child process of this binary: its server on a random
//! loopback port (both servers with the same number of actix workers), driven over real
//! HTTP by the same client loop (which shares the machine's cores with it, equally for
//! all phases). Each request carries 10 entries of about
//! 1 KB. schemabus runs with validation `enforce` (every entry checked against its
//! contract), 100 rules on the bus (each event matches exactly one, whose target is a
//! queue, so every event also writes one queue message), and durability `strict`
//! (answers after the group-commit flush), then again with `relaxed`.
//!
//! The AWS front end (docs/AWS-API.md) beside the native endpoint, same entries, same rules,
//! strict: phase `aws` sends the entries as EventBridge PutEvents (JSON 1.1) to
//! `--aws-listen`; `strict-keyed` and `aws-keyed` are `strict` and `aws` with keys on (a
//! bearer key, and SigV4 with an access key of that key: every request verified, its
//! secret unsealed). Not in the default set: `BUS_LOAD_PHASES=strict,aws,strict-keyed,aws-keyed
//! BUS_LOAD_ROUNDS=3 cargo bench --bench bus_load` prints the AWS/native ratios.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use schemabus::config::Durability;
use schemabus::startup::Application;
use serde_json::{Value, json};

mod orders;
use orders::{ENTRIES, RULES, aws_request_body, env_or, request_body, service_settings, set_up_bus};

/// The allocator the `schemabus` binary runs with (src/main.rs), for both servers.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Figures {
    requests: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
    /// CPU time this process (servers and client) used while driving.
    cpu: Duration,
    /// Share of the machine's CPU time left idle (or waiting for I/O) while driving. Near
    /// zero, the phase measured throughput; well above, it measured how long clients
    /// wait, and more clients would give a higher figure.
    idle: f64,
}

/// The machine's (idle + iowait, total) CPU time so far, in ticks (Linux; zeros elsewhere).
fn machine_idle() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|v| v.parse().ok())
        .collect();
    let idle = ticks.get(3).copied().unwrap_or(0) + ticks.get(4).copied().unwrap_or(0);
    (idle, ticks.iter().sum())
}

/// CPU time used so far by this process, all threads (Linux; zero elsewhere). Steadier
/// than events/s on a shared machine: per request, it does not move with the other load.
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // utime and stime are the 12th and 13th fields after the parenthesised command name.
    let ticks: u64 = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().skip(11).take(2).filter_map(|v| v.parse::<u64>().ok()).sum())
        .unwrap_or(0);
    // In USER_HZ ticks, 100 per second on Linux.
    Duration::from_millis(ticks * 10)
}

impl Figures {
    fn events_per_second(&self) -> f64 {
        (self.requests * ENTRIES as u64) as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> Duration {
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies.get(index).copied().unwrap_or_default()
    }

    fn report(&self, name: &str) {
        println!(
            "{name:<34} {:>9.0} events/s  {:>7.0} req/s  p50 {:>6.2} ms  p90 {:>6.2} ms  p99 {:>6.2} ms  cpu {:>4.0} µs/req  idle {:>3.0}%",
            self.events_per_second(),
            self.requests as f64 / self.elapsed.as_secs_f64(),
            self.percentile(0.50).as_secs_f64() * 1e3,
            self.percentile(0.90).as_secs_f64() * 1e3,
            self.percentile(0.99).as_secs_f64() * 1e3,
            self.cpu.as_secs_f64() * 1e6 / self.requests.max(1) as f64,
            self.idle * 100.0,
        );
    }
}

/// What a phase sends: the same request over and over.
#[derive(Clone)]
struct Target {
    url: String,
    /// Every header but the body's length (content type, authentication...).
    headers: reqwest::header::HeaderMap,
    body: Arc<Vec<u8>>,
}

impl Target {
    fn json(url: String, body: Arc<Vec<u8>>) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("content-type", reqwest::header::HeaderValue::from_static("application/json"));
        Self { url, headers, body }
    }

    fn with(mut self, name: &'static str, value: &str) -> Self {
        let value = reqwest::header::HeaderValue::from_str(value).unwrap_or_else(|e| panic!("{name}: {e}"));
        self.headers.insert(name, value);
        self
    }

    fn send(&self, client: &reqwest::Client) -> reqwest::RequestBuilder {
        client.post(&self.url).headers(self.headers.clone()).body(self.body.to_vec())
    }
}

async fn drive(target: Target, clients: usize, seconds: u64) -> Figures {
    let client = reqwest::Client::new();
    // Warm-up: connections, caches, compiled validators.
    for _ in 0..20 {
        let r = target.send(&client).send().await;
        assert!(r.is_ok_and(|r| r.status() == 200), "warm-up request failed");
    }
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let cpu_before = process_cpu();
    let idle_before = machine_idle();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (client, target, stop) = (client.clone(), target.clone(), Arc::clone(&stop));
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let sent = Instant::now();
                    let response = target.send(&client).send().await;
                    match response {
                        Ok(r) if r.status() == 200 => {
                            let _ = r.bytes().await;
                            latencies.push(sent.elapsed());
                        }
                        Ok(r) => panic!("status {}", r.status()),
                        Err(e) => panic!("request failed: {e}"),
                    }
                }
                latencies
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap_or_default());
    }
    let elapsed = started.elapsed();
    let cpu = process_cpu().saturating_sub(cpu_before);
    let idle_after = machine_idle();
    let idle = (idle_after.0.saturating_sub(idle_before.0)) as f64
        / (idle_after.1.saturating_sub(idle_before.1)).max(1) as f64;
    latencies.sort();
    Figures { requests: latencies.len() as u64, elapsed, latencies, cpu, idle }
}

/// How a schemabus phase reaches PutEvents.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Front {
    /// `POST /v1/buses/load/events`.
    Native,
    /// EventBridge PutEvents on `--aws-listen`.
    Aws,
}

/// The admin key of the keyed phases.
const ADMIN_KEY: &str = "bus-load-admin-key-0123456789abcdef0123456789";

async fn schemabus(
    durability: Durability,
    front: Front,
    keyed: bool,
    clients: usize,
    seconds: u64,
) -> Figures {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let mut settings = service_settings(dir.path().join("data"), durability);
    settings.bus.group_commit_delay_us =
        env_or("BUS_LOAD_COMMIT_DELAY_US", settings.bus.group_commit_delay_us);
    if front == Front::Aws {
        settings.security.aws_listen = Some(std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
    }
    if keyed {
        settings.security.auth = schemabus::config::AuthMode::Required;
        settings.security.admin_key = Some(ADMIN_KEY.to_owned());
        // The per-key limit would measure the limiter: one key drives the whole load.
        settings.security.rate_limit_per_second = 10_000_000;
        settings.security.rate_limit_burst = 10_000_000;
    }
    let app = Application::build(settings).await.unwrap_or_else(|e| panic!("service builds: {e}"));
    let base = format!("http://127.0.0.1:{}", app.port());
    let aws_port = app.aws_port();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    let mut headers = reqwest::header::HeaderMap::new();
    if keyed {
        let bearer = format!("Bearer {ADMIN_KEY}");
        headers.insert(
            "authorization",
            reqwest::header::HeaderValue::from_str(&bearer).unwrap_or_else(|e| panic!("{e}")),
        );
    }
    let client =
        reqwest::Client::builder().default_headers(headers).build().unwrap_or_else(|e| panic!("{e}"));
    set_up_bus(&client, &base).await;
    let target = match front {
        Front::Native => {
            let target = Target::json(format!("{base}/v1/buses/load/events"), Arc::new(request_body()));
            if keyed { target.with("authorization", &format!("Bearer {ADMIN_KEY}")) } else { target }
        }
        Front::Aws => {
            let port = aws_port.unwrap_or_else(|| panic!("no AWS listener"));
            let body = Arc::new(aws_request_body());
            let target = Target {
                url: format!("http://127.0.0.1:{port}/"),
                headers: reqwest::header::HeaderMap::new(),
                body: Arc::clone(&body),
            }
            .with("content-type", "application/x-amz-json-1.1")
            .with("x-amz-target", "AWSEvents.PutEvents");
            if keyed {
                let created: Value = client
                    .post(format!("{base}/v1/keys/admin/aws-credentials"))
                    .send()
                    .await
                    .and_then(|r| r.error_for_status())
                    .unwrap_or_else(|e| panic!("AWS credentials: {e}"))
                    .json()
                    .await
                    .unwrap_or_default();
                let (id, secret) = (
                    created["accessKeyId"].as_str().unwrap_or_default(),
                    created["secretAccessKey"].as_str().unwrap_or_default(),
                );
                sign(target, id, secret, port)
            } else {
                target
            }
        }
    };
    // Every entry must be accepted, or the figure would be meaningless.
    let probe: Value = target
        .send(&reqwest::Client::new())
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .unwrap_or_else(|e| panic!("probe failed: {e}"))
        .json()
        .await
        .unwrap_or_default();
    let failed = if front == Front::Aws { &probe["FailedEntryCount"] } else { &probe["failedEntryCount"] };
    assert_eq!(failed, 0, "{probe}");
    let figures = drive(target, clients, seconds).await;
    let metrics = client.get(format!("{base}/metrics")).send().await.map(|r| r.text());
    if let Ok(text) = metrics {
        let text = text.await.unwrap_or_default();
        let value = |name: &str| {
            text.lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.rsplit(' ').next())
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        let (sum, count) =
            (value("schemabus_validation_seconds_sum"), value("schemabus_validation_seconds_count"));
        let (put_sum, put_count) = (
            value("schemabus_put_events_seconds_sum{bus=\"load\"}"),
            value("schemabus_put_events_seconds_count{bus=\"load\"}"),
        );
        if put_count > 0.0 {
            println!(
                "  time inside PutEvents (service call, flush included): mean {:.2} ms",
                put_sum / put_count * 1e3
            );
        }
        let flushes = value("schemabus_storage_flushes");
        if flushes > 0.0 {
            println!(
                "  storage flushes: {flushes:.0} for {} requests in this phase (group commit)",
                figures.requests
            );
        }
        if count > 0.0 {
            println!(
                "  validation gate (contract lookup incl. `latest` + is_valid): mean {:.2} µs per entry",
                sum / count * 1e6
            );
        }
    }
    handle.stop(true).await;
    figures
}

/// Cost of reading one AWS entry's `Detail` string (unescaping the JSON text it holds):
/// what EventBridge's wire format adds per entry over the native one, whose `detail` is
/// the object itself.
fn unescape_cost() -> Duration {
    let text = serde_json::to_string(&orders::detail(1).to_string()).unwrap_or_default();
    let rounds = 20_000u32;
    let started = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(schemabus::json::string_literal(std::hint::black_box(&text)));
    }
    started.elapsed() / rounds
}

/// The same with `serde_json` (what the service used before `json::string_literal`).
fn unescape_cost_serde() -> Duration {
    let text = serde_json::to_string(&orders::detail(1).to_string()).unwrap_or_default();
    let rounds = 20_000u32;
    let started = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(serde_json::from_str::<String>(std::hint::black_box(&text)).ok());
    }
    started.elapsed() / rounds
}

/// `target` signed with SigV4 as an SDK signs it. The body and headers never change and a
/// signature is good for 15 minutes, so one signature serves the whole phase: the client
/// pays nothing per request, the service verifies every one.
fn sign(target: Target, access_key_id: &str, secret: &str, port: u16) -> Target {
    let host = format!("127.0.0.1:{port}");
    let headers =
        orders::sigv4_headers(&target.body, access_key_id, secret, &host, time::OffsetDateTime::now_utc());
    let value =
        |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let (date, authorization) = (value("x-amz-date"), value("authorization"));
    target.with("x-amz-date", &date).with("authorization", &authorization)
}

/// Cost of parsing one entry's JSON (the floor the gate is compared with).
fn parse_cost(body: &[u8]) -> Duration {
    let rounds = 2000u32;
    let started = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(serde_json::from_slice::<Value>(std::hint::black_box(body)).ok());
    }
    started.elapsed() / (rounds * ENTRIES as u32)
}

async fn bare(body: Arc<Vec<u8>>, clients: usize, seconds: u64) -> Figures {
    let server = HttpServer::new(|| {
        App::new().app_data(web::PayloadConfig::new(1024 * 1024)).route(
            "/events",
            web::post().to(|bytes: web::Bytes| async move {
                match serde_json::from_slice::<Value>(&bytes) {
                    Ok(v) => HttpResponse::Ok().json(json!({"failedEntryCount": 0, "entries": v["entries"].as_array().map_or(0, Vec::len)})),
                    Err(_) => HttpResponse::BadRequest().finish(),
                }
            }),
        )
    })
    .bind(("127.0.0.1", 0))
    .unwrap_or_else(|e| panic!("bind: {e}"));
    let port = server.addrs()[0].port();
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    let figures =
        drive(Target::json(format!("http://127.0.0.1:{port}/events"), body), clients, seconds).await;
    handle.stop(true).await;
    figures
}

/// Set in a child process: the one phase it runs.
const CHILD_PHASE: &str = "BUS_LOAD_CHILD_PHASE";
/// Prefix of the line a child hands its events/s to the parent with.
const CHILD_RESULT: &str = "bus_load-result";

/// Runs one phase in a fresh process of this binary and returns its events/s. Why a
/// process each: a stopped in-process service leaves its background loops running and
/// its journal files open (the service is built to live as long as its process), and
/// with them the fourth strict phase in a row ran at 70 000 events/s against 99 000 for
/// the first (docs/BUS.md#load-figures).
fn run_phase(phase: &str) -> f64 {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("own path: {e}"));
    let output = std::process::Command::new(exe)
        .args(std::env::args().skip(1))
        .env(CHILD_PHASE, phase)
        .stderr(std::process::Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("{phase} phase: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{phase} phase failed: {stdout}");
    let mut result = None;
    for line in stdout.lines() {
        match line.strip_prefix(CHILD_RESULT) {
            Some(value) => result = value.trim().parse().ok(),
            None => println!("{line}"),
        }
    }
    result.unwrap_or_else(|| panic!("{phase} phase gave no figure: {stdout}"))
}

fn main() {
    let seconds = env_or("BUS_LOAD_SECS", 10);
    // Enough clients that every phase keeps the CPU busy (the `idle` column): a strict
    // request spends most of its time waiting for a group commit, so at 32 clients the
    // strict phase leaves 8-19 % of the CPU idle and measures client waits, not what
    // the service can take (docs/BUS.md#load-figures).
    let clients = usize::try_from(env_or("BUS_LOAD_CLIENTS", 128)).unwrap_or(128);
    let body = Arc::new(request_body());
    if let Ok(phase) = std::env::var(CHILD_PHASE) {
        // In a child: run the one phase, then give the parent its figure.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let figures = runtime.block_on(async {
            match phase.as_str() {
                "bare" => bare(Arc::clone(&body), clients, seconds).await,
                "strict" => schemabus(Durability::Strict, Front::Native, false, clients, seconds).await,
                "relaxed" => schemabus(Durability::Relaxed, Front::Native, false, clients, seconds).await,
                "aws" => schemabus(Durability::Strict, Front::Aws, false, clients, seconds).await,
                "strict-keyed" => schemabus(Durability::Strict, Front::Native, true, clients, seconds).await,
                "aws-keyed" => schemabus(Durability::Strict, Front::Aws, true, clients, seconds).await,
                other => panic!("unknown phase {other}"),
            }
        });
        let label = if phase == "bare" {
            "bare parse-only endpoint".to_owned()
        } else {
            format!("schemabus (enforce, {phase})")
        };
        figures.report(&label);
        println!("{CHILD_RESULT} {}", figures.events_per_second());
        return;
    }
    println!(
        "bus_load: {ENTRIES} entries/request, {} bytes/request, {RULES} rules, {clients} clients, {seconds} s per phase, {} cores, each phase in its own process",
        body.len(),
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    println!("  serde_json parse of the body: {:.2} µs per entry", parse_cost(&body).as_secs_f64() * 1e6);
    println!(
        "  unescaping an AWS entry's Detail string: {:.2} µs per entry",
        unescape_cost().as_secs_f64() * 1e6
    );
    println!("  (with serde_json::from_str::<String>: {:.2} µs)", unescape_cost_serde().as_secs_f64() * 1e6);
    let phases = std::env::var("BUS_LOAD_PHASES").unwrap_or_else(|_| "bare,strict,relaxed".to_owned());
    let wanted = |name: &str| phases.split(',').any(|p| p.trim() == name);
    // Rounds: the phases run in turn, round after round, and the ratio is taken between
    // the medians. On a shared 2-core VM one phase can run 20 % faster or slower than
    // the same phase a minute later; alternating and taking medians keeps one lucky or
    // unlucky phase from deciding the figure.
    let rounds = usize::try_from(env_or("BUS_LOAD_ROUNDS", 1)).unwrap_or(1).max(1);
    let mut figures: Vec<(&str, Vec<f64>)> = Vec::new();
    for round in 1..=rounds {
        if rounds > 1 {
            println!("round {round} of {rounds}");
        }
        for name in ["bare", "strict", "relaxed", "aws", "strict-keyed", "aws-keyed"] {
            if !wanted(name) {
                continue;
            }
            let events_per_second = run_phase(name);
            match figures.iter_mut().find(|(n, _)| *n == name) {
                Some((_, all)) => all.push(events_per_second),
                None => figures.push((name, vec![events_per_second])),
            }
        }
    }
    let median = |all: &[f64]| {
        let mut sorted = all.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mid = sorted.len() / 2;
        if sorted.len() % 2 == 1 { sorted[mid] } else { (sorted[mid - 1] + sorted[mid]) / 2.0 }
    };
    let runs_of = |name: &str| figures.iter().find(|(n, _)| *n == name).map(|(_, r)| r.clone());
    for (aws, native) in [("aws", "strict"), ("aws-keyed", "strict-keyed")] {
        if let (Some(a), Some(n)) = (runs_of(aws), runs_of(native)) {
            let (a, n) = (median(&a), median(&n));
            println!(
                "AWS front end, {aws}/{native}: {:.2} ({a:.0} / {n:.0} events/s, medians of {rounds}): {:+.1} % cost per event",
                a / n,
                (n / a - 1.0) * 100.0
            );
        }
    }
    if let Some((_, bare)) = figures.iter().find(|(n, _)| *n == "bare") {
        for (name, runs) in figures.iter().filter(|(n, _)| matches!(*n, "strict" | "relaxed")) {
            if rounds == 1 {
                println!("ratio {name}/bare: {:.2}", runs[0] / bare[0]);
            } else {
                let each: Vec<String> = runs.iter().zip(bare).map(|(r, b)| format!("{:.2}", r / b)).collect();
                println!(
                    "ratio {name}/bare, medians of {rounds} rounds: {:.2} ({:.0} / {:.0} events/s; per round: {})",
                    median(runs) / median(bare),
                    median(runs),
                    median(bare),
                    each.join(", ")
                );
            }
        }
    }
}
