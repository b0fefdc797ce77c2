//! Helpers of the access-control tests: a service with auth required and a known admin
//! key, and requests carrying a bearer key.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, spawn_app_with};

/// The admin key the secured test services start with (`SCHEMABUS_ADMIN_KEY`'s setting).
pub const ADMIN: &str = "sb_test-admin-key-0123456789abcdefghijklmnop";

/// Starts the service with auth required and [`ADMIN`] as the admin key.
pub async fn spawn_secure_app() -> TestApp {
    spawn_secure_app_with(|_| {}).await
}

/// [`spawn_secure_app`] after further adjustments.
pub async fn spawn_secure_app_with(adjust: impl FnOnce(&mut schemabus::config::Settings)) -> TestApp {
    spawn_app_with(|s| {
        s.security.auth = schemabus::config::AuthMode::Required;
        s.security.admin_key = Some(ADMIN.to_owned());
        adjust(s);
    })
    .await
}

impl TestApp {
    /// A request with `Authorization: Bearer <key>` when `key` is given.
    pub async fn call(&self, key: Option<&str>, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(k) = key {
            request = request.bearer_auth(k);
        }
        if let Some(b) = body {
            request = request.header("content-type", "application/json").body(b.to_string());
        }
        let response = request.send().await.expect("request is sent");
        let status = response.status();
        let text = response.text().await.expect("body is read");
        let body = serde_json::from_str(&text).unwrap_or(if text.is_empty() {
            Value::Null
        } else {
            Value::String(text)
        });
        Reply { status, body }
    }

    /// Creates a key as admin and returns it.
    pub async fn create_key(&self, name: &str, grants: &[&str]) -> String {
        let reply = self
            .call(Some(ADMIN), Method::POST, "/v1/keys", Some(json!({"name": name, "grants": grants})))
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        assert_eq!(reply.body["name"], name);
        reply.body["key"].as_str().expect("the key is returned").to_owned()
    }

    /// A request as admin, asserting a 2xx.
    pub async fn admin(&self, method: Method, path: &str, body: Value) -> Reply {
        let reply = self.call(Some(ADMIN), method, path, Some(body)).await;
        assert!(reply.status.is_success(), "{path}: {} {}", reply.status, reply.body);
        reply
    }
}
