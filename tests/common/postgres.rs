//! A throwaway PostgreSQL for tests of cluster mode: the server CI started
//! (`SCHEMABUS_TEST_PG_URL`, see `.ci/postgres`), or else one started lazily for this test
//! process, and a fresh database per caller so tests never see each other's registry.
//!
//! Statics never drop, so the server this process starts is stopped by a detached watchdog
//! that waits for the process to exit (normally, by panic or by SIGKILL) and then removes
//! everything. Several test processes at once (cargo-nextest runs one per test) each start
//! their own server on their own port; that costs a second or two, not correctness.

use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The environment variable naming a running server to use instead of starting one.
pub const URL_ENV: &str = "SCHEMABUS_TEST_PG_URL";

/// A superuser URL of the server (its `postgres` database).
pub fn admin_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| match std::env::var(URL_ENV) {
        Ok(url) if !url.is_empty() => url,
        _ => start_server(),
    })
}

/// Creates a new, empty, uniquely named database and returns its URL.
pub fn fresh_database() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    // The pid keeps concurrent test processes apart on a shared server; the clock keeps a
    // recycled pid from meeting a database an earlier run left behind.
    let name = format!("sbtest_{}_{}_{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
    let admin = admin_url();
    execute(admin, &format!("CREATE DATABASE {name}"));
    let mut url = url::Url::parse(admin).unwrap_or_else(|e| panic!("{URL_ENV} is not a URL ({e}): {admin}"));
    url.set_path(&format!("/{name}"));
    url.into()
}

/// Runs one statement. On a thread of its own with its own runtime: callers are plain
/// `#[test]`s and `#[tokio::test]`s alike, and a runtime cannot be entered from another.
pub fn execute(url: &str, sql: &str) {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    let outcome = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        runtime.block_on(async {
            use sqlx::{Connection, Executor};
            // A server that just started, or one busy with other test processes, may
            // refuse a connection for a moment.
            let mut last = String::new();
            for _ in 0..50 {
                match sqlx::PgConnection::connect(&url).await {
                    Ok(mut connection) => {
                        connection.execute(sql.as_str()).await.map_err(|e| format!("{sql}: {e}"))?;
                        drop(connection.close().await);
                        return Ok(());
                    }
                    Err(e) => last = e.to_string(),
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(format!("cannot connect to {url}: {last}"))
        })
    })
    .join()
    .expect("the SQL thread does not panic");
    if let Err(e) = outcome {
        panic!("PostgreSQL for tests: {e}");
    }
}

/// The directory of `initdb` and `pg_ctl`: Debian's newest `/usr/lib/postgresql/N/bin`,
/// else none (the empty path), so that the bare names are looked up on `PATH`.
fn bin_dir() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| bin.join("initdb").exists())
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).unwrap_or_default()
}

/// initdb refuses to run as root: then the server's files belong to `postgres`.
fn as_server_user(program: &Path, root: bool) -> Command {
    if root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn start_server() -> String {
    let bin = bin_dir();
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!("schemabus-pg-{}-{nanos}", std::process::id()));
    std::fs::create_dir(&dir).expect("a directory for PostgreSQL");
    if root {
        let chown = Command::new("chown").arg("postgres:postgres").arg(&dir).status();
        assert!(chown.is_ok_and(|s| s.success()), "cannot chown {} to postgres", dir.display());
    }
    spawn_watchdog(&bin, &dir, root);
    let data = dir.join("data");
    let log = dir.join("log");
    let initdb = as_server_user(&bin.join("initdb"), root)
        .arg("-D")
        .arg(&data)
        .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"])
        // The server user may not be able to enter the test's working directory.
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    assert!(
        initdb.is_ok_and(|s| s.success()),
        "initdb failed in {} (is PostgreSQL installed?)",
        dir.display()
    );
    // A port found free may be taken by another process before the server binds it.
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        // Durability of the test server itself is not under test: no fsync. Clusters of
        // three instances with their pools, several tests at once, need connections.
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=500 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            dir.display()
        );
        let started = as_server_user(&bin.join("pg_ctl"), root)
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .args(["-o", &options, "-w", "-t", "60", "start"])
            .current_dir(&dir)
            // Its own process group: ^C or a test runner's kill of this process's group
            // leaves the server to the watchdog, which stops it in order.
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if started.is_ok_and(|s| s.success()) {
            return format!("postgres://postgres@127.0.0.1:{port}/postgres");
        }
    }
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    panic!("PostgreSQL did not start in {}: {log}", dir.display());
}

/// Stops the server and removes its directory once this process has exited.
#[allow(clippy::zombie_processes, reason = "the watchdog outlives this process on purpose: init reaps it")]
fn spawn_watchdog(bin: &Path, dir: &Path, root: bool) {
    let as_user = if root { "runuser -u postgres -- " } else { "" };
    let script = format!(
        r#"while kill -0 "$1" 2>/dev/null; do sleep 1; done; {as_user}"$2" stop -D "$3/data" -m immediate; rm -rf "$3""#
    );
    Command::new("sh")
        .args(["-c", &script, "watchdog", &std::process::id().to_string()])
        .arg(bin.join("pg_ctl"))
        .arg(dir)
        .current_dir(dir)
        .process_group(0)
        // No inherited pipes: a test runner waits for its test's pipes to close.
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the PostgreSQL watchdog starts");
}
