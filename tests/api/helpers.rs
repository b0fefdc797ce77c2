//! TestApp: the real service on a random loopback port over a temporary data directory,
//! with its registry on the backend `SCHEMABUS_TEST_BACKEND` chooses (`backend.rs`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use schemabus::config::Settings;
use schemabus::startup::Application;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::backend::{Backend, assert_ready_on_backend, backend, migrated_database, serve_flags};

/// A running in-process service.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    _dir: TempDir,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop without waiting; the runtime ends with the test anyway.
        drop(self.handle.stop(false));
    }
}

/// Starts the service with default settings on a fresh data directory.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the service after letting the test adjust the settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::for_data_dir(dir.path().join("data"));
    // Tests not about access control run without keys; tests/api/auth*.rs turn it on.
    settings.security.auth = schemabus::config::AuthMode::Off;
    // Before `adjust`, so a test may still choose its own database (or none).
    if backend() == Backend::Postgres {
        settings.database_url = Some(migrated_database());
    }
    adjust(&mut settings);
    // This plain-HTTP client cannot ask a TLS listener; the TLS test checks its own.
    let plain_http = settings.security.tls_cert.is_none();
    let on_postgres = settings.database_url.is_some();
    let app = Application::build(settings).await.expect("service builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    let app = TestApp { base, client: reqwest::Client::new(), _dir: dir, handle };
    if plain_http {
        assert_ready_on_backend(&app.get("/readyz").await.body, on_postgres);
    }
    app
}

/// A response: status and JSON body (`Value::Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl Reply {
    /// Asserts the standard error body with this status and code, and returns the body.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status.as_u16(), status, "unexpected status, body: {}", self.body);
        assert_eq!(self.body["code"], code, "unexpected code, body: {}", self.body);
        let message = self.body["message"].as_str().expect("message is a string");
        assert!(message.contains("Hint:"), "message has no hint: {message}");
        check_error_body(&self.body);
        &self.body
    }
}

/// Validates an error body against `schemas/error-body.schema.json`.
#[track_caller]
pub fn check_error_body(body: &Value) {
    let schema: Value = serde_json::from_str(include_str!("../../schemas/error-body.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(validator.is_valid(body), "error body does not match its schema: {body}");
}

impl TestApp {
    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Reply {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            request = request.header("content-type", "application/json").body(b.to_string());
        }
        let response = request.send().await.expect("request is sent");
        let status = response.status();
        let text = response.text().await.expect("body is read");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply { status, body }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    pub async fn post_raw(&self, path: &str, body: &'static str) -> Reply {
        let response = self.client.post(format!("{}{path}", self.base)).body(body).send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        Reply { status, body: serde_json::from_str(&text).unwrap_or(Value::String(text)) }
    }

    /// Creates a registry and asserts it worked.
    pub async fn create_registry(&self, name: &str) {
        let reply = self.post("/v1/registries", json!({ "name": name })).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }

    /// Creates a registry whose compatibility mode is NONE, for tests about other things.
    pub async fn create_unchecked_registry(&self, name: &str) {
        self.create_registry(name).await;
        let reply = self
            .send(
                reqwest::Method::PUT,
                &format!("/v1/registries/{name}/config"),
                Some(json!({"compatibility": "NONE"})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }

    /// Registers a version and returns the reply.
    pub async fn register(&self, registry: &str, schema: &str, content: Value) -> Reply {
        self.post(
            &format!("/v1/registries/{registry}/schemas/{schema}/versions"),
            json!({ "content": content }),
        )
        .await
    }
}

/// The service binary running as a child process, for restart and crash tests.
pub struct ServiceProcess {
    pub child: Child,
    pub base: String,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl ServiceProcess {
    /// Starts `schemabus serve` on `data_dir` and waits until it is ready.
    pub fn start(data_dir: &Path) -> Self {
        Self::start_with(data_dir, &[])
    }

    /// [`Self::start`] with extra `serve` flags.
    pub fn start_with(data_dir: &Path, flags: &[&str]) -> Self {
        Self::start_with_env(data_dir, flags, &[])
    }

    /// [`Self::start_with`] with extra environment variables (such as `SCHEMABUS_ADMIN_KEY`).
    pub fn start_with_env(data_dir: &Path, flags: &[&str], env: &[(&str, &str)]) -> Self {
        let port = free_port();
        // A test that names its own database keeps it; the others get the backend's.
        let own_database = flags.contains(&"--database-url");
        let backend_flags = if own_database { Vec::new() } else { serve_flags(data_dir) };
        let on_postgres = own_database || !backend_flags.is_empty();
        let child = Command::new(env!("CARGO_BIN_EXE_schemabus"))
            .envs(env.iter().copied())
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(data_dir)
            .args(["--log-level", "warn"])
            .args(backend_flags)
            .args(flags)
            // Flags win over the environment, so a test can still pass `--auth required`.
            .env("SCHEMABUS_AUTH", "off")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("binary starts");
        // Owned before anything can fail, so that a failed start kills it on the way out
        // instead of leaving it running (and holding the test runner's output pipe).
        let service = Self { child, base: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = reqwest::blocking::Client::new();
        loop {
            if let Ok(r) = client.get(format!("{}/readyz", service.base)).send()
                && r.status().is_success()
            {
                assert_ready_on_backend(&r.json().unwrap_or_default(), on_postgres);
                break;
            }
            assert!(Instant::now() < deadline, "service did not become ready");
            std::thread::sleep(Duration::from_millis(50));
        }
        service
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill_9(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reaped");
    }

    /// SIGTERM and wait for a clean exit.
    pub fn terminate(mut self) {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let exit = self.child.wait().expect("exits");
        assert!(exit.success(), "service exited with {exit}");
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn data_dir(dir: &TempDir) -> PathBuf {
    dir.path().join("data")
}
