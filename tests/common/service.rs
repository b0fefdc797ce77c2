//! The real `schemabus serve` binary as a child process on a loopback port, with a small
//! blocking HTTP client: for the crash-loop and storage-fault tests, which kill it,
//! restart it on the same data directory and look at its files.

use std::ffi::OsString;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::Value;

/// How to start the service.
#[derive(Debug, Clone)]
pub struct Launch {
    /// Program and arguments run before the binary (`nsenter …`), if any.
    pub prefix: Vec<OsString>,
    /// The data directory, as the service sees it.
    pub data_dir: PathBuf,
    /// Extra `serve` flags.
    pub flags: Vec<String>,
    /// Where the service's stderr goes (appended to, kept across restarts).
    pub log: PathBuf,
}

/// A running service.
pub struct Service {
    child: std::sync::Mutex<Child>,
    pub base: String,
    pub client: Client,
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    #[allow(dead_code, reason = "read by the storage-fault tests, not by the crash loop")]
    pub retry_after: Option<String>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("an address").port()
}

fn command(launch: &Launch, port: u16) -> Command {
    let binary = env!("CARGO_BIN_EXE_schemabus");
    let mut command = match launch.prefix.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(binary);
            c
        }
        None => Command::new(binary),
    };
    let log =
        std::fs::OpenOptions::new().create(true).append(true).open(&launch.log).expect("log file opens");
    command
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(&launch.data_dir)
        .args(["--log-level", "warn"])
        .args(&launch.flags)
        .env("SCHEMABUS_AUTH", "off")
        .stdout(Stdio::null())
        .stderr(log);
    command
}

/// The last `n` bytes of the log, for failure messages.
pub fn log_tail(log: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let start = text.len().saturating_sub(n);
    let start = (start..text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
    text[start..].to_owned()
}

impl Service {
    /// Starts the service and waits until `/healthz` answers; `Err` with the exit status
    /// and the log's end when it exits first (or is not up in 60 s).
    pub fn start(launch: &Launch) -> Result<Self, String> {
        let port = free_port();
        let mut child = command(launch, port).spawn().map_err(|e| format!("cannot start: {e}"))?;
        let base = format!("http://127.0.0.1:{port}");
        let client = Client::builder().timeout(Duration::from_secs(20)).build().expect("client builds");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("the service exited with {status}: {}", log_tail(&launch.log, 2000)));
            }
            if client.get(format!("{base}/healthz")).send().is_ok_and(|r| r.status().is_success()) {
                return Ok(Self { child: std::sync::Mutex::new(child), base, client });
            }
            if Instant::now() > deadline {
                drop(child.kill());
                return Err(format!("the service was not up in 60 s: {}", log_tail(&launch.log, 2000)));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL, then reap (callable while other threads still send requests).
    pub fn kill_9(&self) {
        let mut child = self.child.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        drop(child.kill());
        drop(child.wait());
    }

    /// Sends a request; `Err` when no answer came (the service died meanwhile).
    pub fn try_call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Reply, String> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let retry_after =
            response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let text = response.text().map_err(|e| e.to_string())?;
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok(Reply { status, body, retry_after })
    }

    /// [`Self::try_call`] that must get an answer.
    #[track_caller]
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Reply {
        match self.try_call(method, path, body) {
            Ok(reply) => reply,
            Err(e) => panic!("{method} {path}: no answer: {e}"),
        }
    }

    /// [`Self::call`] that must answer `status`.
    #[track_caller]
    pub fn expect(&self, status: u16, method: &str, path: &str, body: Option<&Value>) -> Value {
        let reply = self.call(method, path, body);
        assert_eq!(reply.status, status, "{method} {path}: {}", reply.body);
        reply.body
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill_9();
    }
}

/// Starts a service that must come up.
#[track_caller]
pub fn started(launch: &Launch) -> Service {
    match Service::start(launch) {
        Ok(service) => service,
        Err(e) => panic!("{e}"),
    }
}
