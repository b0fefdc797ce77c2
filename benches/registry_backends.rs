//! Registry reads and writes per second on one instance, the embedded store (sled)
//! against PostgreSQL (cluster mode), in one run:
//!
//! ```sh
//! cargo bench --bench registry_backends
//! ```
//!
//! Each backend gets the service started in process on a temporary data directory (and,
//! for PostgreSQL, a fresh database) and `REGISTRY_BENCH_CLIENTS` concurrent HTTP
//! clients (default 16) on loopback keep-alive connections for `REGISTRY_BENCH_SECS`
//! seconds per phase (default 5):
//! - **writes**: each client registers new schemas (version 1 of `w{client}.{n}`, a
//!   1.1 KB order schema): a write transaction with a new global id and, on PostgreSQL,
//!   the notification and the replica reload of the schema;
//! - **reads**: `GET …/versions/latest` of 100 schemas, round robin.
//!
//! PostgreSQL: `SCHEMABUS_BENCH_PG_URL` (an admin URL of a running server) or, when
//! unset, a throwaway server started from `/usr/lib/postgresql/*/bin` in a temp dir.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark fails loudly")]

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use schemabus::config::{AuthMode, Settings};
use schemabus::startup::Application;
use serde_json::{Value, json};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn schema(n: u64) -> Value {
    let mut properties = serde_json::Map::new();
    for i in 0..24 {
        properties.insert(
            format!("field{i}"),
            json!({"type": "string", "maxLength": 200, "description": "an order field"}),
        );
    }
    properties.insert("serial".to_owned(), json!({"const": n}));
    json!({"type": "object", "required": ["field0"], "properties": properties})
}

/// A PostgreSQL admin URL and the server's directory, if this run started it.
fn postgres() -> (String, Option<tempfile::TempDir>) {
    if let Ok(url) = std::env::var("SCHEMABUS_BENCH_PG_URL") {
        return (url, None);
    }
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed under /usr/lib/postgresql (or set SCHEMABUS_BENCH_PG_URL)")
        .filter_map(Result::ok)
        .map(|e| e.path().join("bin"))
        .find(|p| p.join("initdb").exists())
        .expect("an initdb");
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let data = dir.path().join("pg");
    // initdb refuses to run as root: run the server as `postgres` then.
    let as_root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let run = |program: &str, args: &[&str]| {
        let mut command = if as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(bin.join(program));
            c
        } else {
            Command::new(bin.join(program))
        };
        let status = command.args(args).stdout(std::process::Stdio::null()).status().unwrap();
        assert!(status.success(), "{program} failed");
    };
    if as_root {
        Command::new("chown").args(["postgres"]).arg(dir.path()).status().unwrap();
    }
    let data_s = data.to_str().unwrap();
    run("initdb", &["-D", data_s, "-A", "trust", "-U", "postgres"]);
    let options = format!("-p {port} -k {} -c listen_addresses=127.0.0.1", dir.path().display());
    let log = dir.path().join("log");
    run("pg_ctl", &["-D", data_s, "-o", &options, "-l", log.to_str().unwrap(), "-w", "start"]);
    (format!("postgres://postgres@127.0.0.1:{port}/postgres"), Some(dir))
}

fn stop_postgres(dir: &tempfile::TempDir) {
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path().join("bin"))
        .find(|p| p.join("pg_ctl").exists())
        .unwrap();
    let data = dir.path().join("pg");
    let mut c = Command::new("runuser");
    c.args(["-u", "postgres", "--"]).arg(bin.join("pg_ctl")).args(["stop", "-m", "fast", "-D"]).arg(&data);
    if c.status().is_err() {
        drop(Command::new(bin.join("pg_ctl")).args(["stop", "-m", "fast", "-D"]).arg(&data).status());
    }
}

async fn fresh_database(admin: &str) -> String {
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(admin).await.unwrap();
    let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
    let base = admin.rsplit_once('/').unwrap().0;
    format!("{base}/{name}")
}

/// Requests per second of `work` over `clients` concurrent clients.
async fn phase<F, Fut>(clients: u64, secs: u64, work: F) -> f64
where
    F: Fn(reqwest::Client, u64, u64) -> Fut + Send + Sync + 'static + Clone,
    Fut: std::future::Future<Output = ()> + Send,
{
    let done = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (done, work) = (done.clone(), work.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut n = 0;
            while Instant::now() < end {
                work(http.clone(), client, n).await;
                n += 1;
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

async fn measure(label: &str, database_url: Option<String>, clients: u64, secs: u64) {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::for_data_dir(dir.path().join("data"));
    settings.security.auth = AuthMode::Off;
    settings.database_url = database_url;
    let app = Application::build(settings).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();
    let registry = format!("{base}/v1/registries/bench");
    http.post(format!("{base}/v1/registries")).json(&json!({"name": "bench"})).send().await.unwrap();
    for n in 0..100 {
        let r = http
            .post(format!("{registry}/schemas/r.{n}/versions"))
            .json(&json!({"content": schema(n)}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }
    let url = registry.clone();
    let writes = phase(clients, secs, move |http, client, n| {
        let url = format!("{url}/schemas/w{client}.{n}/versions");
        async move {
            let r = http.post(url).json(&json!({"content": schema(n)})).send().await.unwrap();
            assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        }
    })
    .await;
    let url = registry.clone();
    let reads = phase(clients, secs, move |http, client, n| {
        let url = format!("{url}/schemas/r.{}/versions/latest", (client * 7 + n) % 100);
        async move {
            let r = http.get(url).send().await.unwrap();
            assert!(r.status().is_success());
            drop(r.bytes().await.unwrap());
        }
    })
    .await;
    println!("{label:<10} writes {writes:>9.0}/s   reads {reads:>9.0}/s");
}

fn main() {
    let clients = env_u64("REGISTRY_BENCH_CLIENTS", 16);
    let secs = env_u64("REGISTRY_BENCH_SECS", 5);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (admin, server) = postgres();
    runtime.block_on(async {
        println!("registry, {clients} clients, {secs} s per phase (one instance)");
        measure("sled", None, clients, secs).await;
        let url = fresh_database(&admin).await;
        measure("postgres", Some(url), clients, secs).await;
    });
    if let Some(dir) = server {
        stop_postgres(&dir);
    }
}
