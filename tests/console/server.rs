//! The real `schemabus serve` binary with access control on and a known admin key, so the
//! console's sign-in is exercised as users meet it.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::Value;

/// The admin key the tests sign in with (at least 32 characters).
pub const ADMIN_KEY: &str = "sb_console_tests_admin_key_0123456789abcdef";

pub struct Server {
    child: Child,
    pub base: String,
    http: Client,
    _dir: tempfile::TempDir,
}

impl Server {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_schemabus"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(dir.path().join("data"))
            .args(["--log-level", "warn"])
            .env("SCHEMABUS_AUTH", "required")
            .env("SCHEMABUS_ADMIN_KEY", ADMIN_KEY)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("schemabus starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while !http.get(format!("{base}/healthz")).send().is_ok_and(|r| r.status().is_success()) {
            assert!(Instant::now() < deadline, "schemabus was not up in 60 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, base, http, _dir: dir }
    }

    /// Calls the API as the admin and asserts the status; returns the JSON body.
    #[track_caller]
    pub fn expect(&self, status: u16, method: &str, path: &str, body: Option<Value>) -> Value {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request =
            self.http.request(method.clone(), format!("{}{path}", self.base)).bearer_auth(ADMIN_KEY);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply = request.send().unwrap();
        let got = reply.status().as_u16();
        let text = reply.text().unwrap();
        assert_eq!(got, status, "{method} {path}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// A GET without a key.
    pub fn get_anonymous(&self, path: &str) -> reqwest::blocking::Response {
        self.http.get(format!("{}{path}", self.base)).send().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.child.kill());
        drop(self.child.wait());
    }
}
