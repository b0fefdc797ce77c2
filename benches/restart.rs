//! Start-up after a crash or a stop: how long schemabus takes to open a data directory
//! whose journal holds many events with their queue messages still unacknowledged, and
//! the memory the queue index then holds.
//!
//! Run: `cargo bench --bench restart`. Environment: `RESTART_EVENTS` (events to load,
//! default 1,000,000), `RESTART_CLIENTS` (concurrent loaders, default 32).
//!
//! The load goes through PutEvents over HTTP on the `bus_load` bus (validation
//! `enforce`, 100 rules, one queue target per event) with `--durability strict`, so every
//! counted event was acknowledged as durable. The load and each start run in a child
//! process of their own (this binary run again): the service holds its data directory
//! until its process ends, and a start's memory figures then hold nothing of the load.
//! A start on a directory with the same bus set up and no events gives the baseline, then
//! one on the loaded directory, which also checks that the queue holds every loaded event.
//! The data directories are under the system's temporary directory (it must be a real
//! disk, not tmpfs, for `strict` to mean anything); 1,000,000 events take about 1 GiB.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use schemabus::config::{Durability, Settings};
use schemabus::startup::Application;
use serde_json::Value;

mod orders;
use orders::{ENTRIES, env_or, request_body, service_settings, set_up_bus};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Set in a child process: what it does (`load` or `start`), on which data directory, and
/// how many events (to load, or expected in the queue).
const CHILD_MODE: &str = "RESTART_CHILD_MODE";
const CHILD_DIR: &str = "RESTART_CHILD_DIR";
const CHILD_EVENTS: &str = "RESTART_CHILD_EVENTS";

fn settings(dir: &Path) -> Settings {
    service_settings(dir.to_path_buf(), Durability::Strict)
}

/// A `/proc/self/status` figure in KiB (Linux; zero elsewhere).
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field)?.trim().strip_suffix("kB")?.trim().parse().ok())
        .unwrap_or(0)
}

/// Bytes the files under `dir` take on disk.
fn disk_bytes(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => disk_bytes(&e.path()),
            Ok(m) => m.blocks() * 512,
            Err(_) => 0,
        })
        .sum()
}

/// Loads `events` events (rounded up to whole requests); returns how many were accepted.
async fn load(dir: &Path, events: u64, clients: usize) -> u64 {
    let app = Application::build(settings(dir)).await.unwrap_or_else(|e| panic!("service builds: {e}"));
    let base = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    set_up_bus(&client, &base).await;
    let url = format!("{base}/v1/buses/load/events");
    let body = Arc::new(request_body());
    let requests = events.div_ceil(ENTRIES as u64);
    let sent = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (client, url, body, sent) =
                (client.clone(), url.clone(), Arc::clone(&body), Arc::clone(&sent));
            tokio::spawn(async move {
                while sent.fetch_add(1, Ordering::Relaxed) < requests {
                    let response = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body.to_vec())
                        .send()
                        .await
                        .and_then(reqwest::Response::error_for_status)
                        .unwrap_or_else(|e| panic!("PutEvents failed: {e}"));
                    let answer: Value = response.json().await.unwrap_or_default();
                    assert_eq!(answer["failedEntryCount"], 0, "{answer}");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap_or_else(|e| panic!("loader: {e}"));
    }
    handle.stop(true).await;
    requests * ENTRIES as u64
}

/// In the child: loads, then reports how many events and how long it took.
fn child_load(dir: &Path, events: u64) {
    let clients = usize::try_from(env_or("RESTART_CLIENTS", 32)).unwrap_or(32);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    let events = runtime.block_on(load(dir, events, clients));
    println!("child {events} {}", started.elapsed().as_micros());
}

/// In the child: opens the directory, reports the start and the memory, checks the queue.
fn child_start(dir: &Path, expect: u64) {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        let started = Instant::now();
        let app = Application::build(settings(dir)).await.unwrap_or_else(|e| panic!("service builds: {e}"));
        let took = started.elapsed();
        // What stays resident once the start's transient buffers are handed back (the
        // allocator returns freed memory to the system after a short delay).
        tokio::time::sleep(Duration::from_secs(1)).await;
        let rss = status_kib("VmRSS:");
        let base = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        let depth = if expect == 0 {
            0
        } else {
            let queue: Value = reqwest::get(format!("{base}/v1/queues/sink"))
                .await
                .and_then(reqwest::Response::error_for_status)
                .unwrap_or_else(|e| panic!("queue read: {e}"))
                .json()
                .await
                .unwrap_or_default();
            queue["depth"].as_u64().unwrap_or(0)
        };
        assert_eq!(depth, expect, "every loaded event is in the queue after the restart");
        handle.stop(true).await;
        // One line the parent reads: start time in µs, resident and peak KiB.
        println!("child {} {rss} {}", took.as_micros(), status_kib("VmHWM:"));
    });
}

/// Runs this binary as a child in `mode` on `dir`; returns the numbers it printed.
fn run_child(mode: &str, dir: &Path, events: u64) -> Vec<u64> {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("own path: {e}"));
    let output = Command::new(exe)
        .env(CHILD_MODE, mode)
        .env(CHILD_DIR, dir)
        .env(CHILD_EVENTS, events.to_string())
        .output()
        .unwrap_or_else(|e| panic!("child: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{mode} child failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("child "))
        .unwrap_or_else(|| panic!("no figures: {stdout}"));
    line.split(' ').filter_map(|v| v.parse().ok()).collect()
}

/// Starts the service on `dir` in a child; returns (start time, resident KiB after start,
/// peak KiB).
fn start_in_child(dir: &Path, expect: u64) -> (Duration, u64, u64) {
    let figures = run_child("start", dir, expect);
    let [micros, rss, peak] = figures[..] else { panic!("bad figures: {figures:?}") };
    (Duration::from_micros(micros), rss, peak)
}

fn main() {
    if let (Ok(mode), Ok(dir)) = (std::env::var(CHILD_MODE), std::env::var(CHILD_DIR)) {
        let events = env_or(CHILD_EVENTS, 0);
        match mode.as_str() {
            "load" => child_load(Path::new(&dir), events),
            _ => child_start(Path::new(&dir), events),
        }
        return;
    }
    let events = env_or("RESTART_EVENTS", 1_000_000);
    let temp = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let (empty, loaded) = (temp.path().join("empty"), temp.path().join("loaded"));

    // The baseline has the same registry, bus, rules and queue, and no events.
    run_child("load", &empty, 0);
    let (empty_start, empty_rss, _) = start_in_child(&empty, 0);
    let figures = run_child("load", &loaded, events);
    let [events, loading_micros] = figures[..] else { panic!("bad figures: {figures:?}") };
    let loading = Duration::from_micros(loading_micros);
    let journal = disk_bytes(&loaded.join("journal"));
    let (start, rss, peak) = start_in_child(&loaded, events);

    println!(
        "restart: {events} events loaded in {:.1} s ({:.0} events/s, strict), journal {:.0} MiB on disk, {} cores",
        loading.as_secs_f64(),
        events as f64 / loading.as_secs_f64(),
        journal as f64 / f64::from(1 << 20),
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    println!(
        "  start with the bus set up, no events {:>6.1} ms  resident {:>7} KiB",
        empty_start.as_secs_f64() * 1e3,
        empty_rss
    );
    println!(
        "  start with {events} queued events  {:>8.1} ms  resident {:>7} KiB (peak {peak} KiB)",
        start.as_secs_f64() * 1e3,
        rss
    );
    println!(
        "  start-up rate (journal replay included): {:.0} events/s, {:.0} MiB/s; memory per queued message: {:.0} bytes",
        events as f64 / start.as_secs_f64(),
        journal as f64 / f64::from(1 << 20) / start.as_secs_f64(),
        (rss.saturating_sub(empty_rss) * 1024) as f64 / events as f64
    );
}
