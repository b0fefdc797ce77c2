//! Access control beyond the matrix: source-restricted publishing, revocation, rate
//! limits, secrets never echoed, the audit trail, bootstrapping, refusal to serve a
//! public address without auth, the CLI, TLS and the OpenAPI security declarations.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::process::{Command, Stdio};

use reqwest::Method;
use serde_json::{Value, json};

use crate::auth_support::{ADMIN, spawn_secure_app, spawn_secure_app_with};
use crate::helpers::spawn_app_with;

#[tokio::test]
async fn a_key_publishes_only_its_sources_entry_by_entry() {
    let app = spawn_secure_app().await;
    app.admin(Method::POST, "/v1/buses", json!({"name": "orders"})).await;
    let key = app.create_key("orders-producer", &["bus:publish:orders:orders,orders.v2"]).await;
    let entries = json!({"entries": [
        {"source": "orders", "detailType": "Order Placed", "detail": {"id": 1}},
        {"source": "payments", "detailType": "Payment Taken", "detail": {"id": 2}},
        {"source": "orders.v2", "detailType": "Order Placed", "detail": {"id": 3}},
    ]});
    let reply = app.call(Some(&key), Method::POST, "/v1/buses/orders/events", Some(entries.clone())).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["failedEntryCount"], 1, "{}", reply.body);
    let results = reply.body["entries"].as_array().unwrap();
    assert!(results[0]["eventId"].is_string());
    assert_eq!(results[1]["errorCode"], "NotAuthorizedForSourceException");
    assert!(results[1]["errorMessage"].as_str().unwrap().contains("payments"));
    assert!(results[2]["eventId"].is_string());
    // Admin may publish any source; and a key for another bus may not publish here at all.
    let reply = app.call(Some(ADMIN), Method::POST, "/v1/buses/orders/events", Some(entries.clone())).await;
    assert_eq!(reply.body["failedEntryCount"], 0, "{}", reply.body);
    let other = app.create_key("other-producer", &["bus:publish:other"]).await;
    app.call(Some(&other), Method::POST, "/v1/buses/orders/events", Some(entries))
        .await
        .assert_error(403, "forbidden");
}

#[tokio::test]
async fn a_revoked_key_is_refused_on_the_next_request() {
    let app = spawn_secure_app().await;
    let key = app.create_key("temp", &["registry:read:*"]).await;
    assert_eq!(app.call(Some(&key), Method::GET, "/v1/registries", None).await.status, 200);
    let listed = app.call(Some(ADMIN), Method::GET, "/v1/keys", None).await;
    assert!(listed.body["items"].as_array().unwrap().iter().any(|k| k["name"] == "temp"));
    let revoked = app.call(Some(ADMIN), Method::DELETE, "/v1/keys/temp", None).await;
    assert_eq!(revoked.status, 204, "{}", revoked.body);
    let reply = app.call(Some(&key), Method::GET, "/v1/registries", None).await;
    reply.assert_error(401, "unauthorized");
    app.call(Some(ADMIN), Method::DELETE, "/v1/keys/temp", None).await.assert_error(404, "key_not_found");
}

/// Issue 23, found already: deleting the last admin key locked every client out.
#[tokio::test]
async fn the_last_admin_key_cannot_be_revoked() {
    let app = spawn_secure_app().await;
    let refused = app.call(Some(ADMIN), Method::DELETE, "/v1/keys/admin", None).await;
    refused.assert_error(409, "last_admin_key");
    assert_eq!(
        app.call(Some(ADMIN), Method::GET, "/v1/keys", None).await.status,
        200,
        "the admin still works"
    );
    // With a second admin key, the first one can go.
    let second = app.create_key("ops", &["admin"]).await;
    assert_eq!(app.call(Some(&second), Method::DELETE, "/v1/keys/admin", None).await.status, 204);
    app.call(Some(&second), Method::DELETE, "/v1/keys/ops", None).await.assert_error(409, "last_admin_key");
}

#[tokio::test]
async fn key_management_refuses_bad_input_with_pointers() {
    let app = spawn_secure_app().await;
    let bad = app
        .call(
            Some(ADMIN),
            Method::POST,
            "/v1/keys",
            Some(json!({"name": "x", "grants": ["admin", "registry:delete:x"]})),
        )
        .await;
    assert_eq!(bad.assert_error(400, "invalid_grant")["details"]["pointer"], "/grants/1");
    app.call(Some(ADMIN), Method::POST, "/v1/keys", Some(json!({"name": "x", "grants": []})))
        .await
        .assert_error(400, "invalid_request");
    app.call(Some(ADMIN), Method::POST, "/v1/keys", Some(json!({"name": "bad name", "grants": ["admin"]})))
        .await
        .assert_error(400, "invalid_name");
    app.create_key("dup", &["metrics:read"]).await;
    app.call(Some(ADMIN), Method::POST, "/v1/keys", Some(json!({"name": "dup", "grants": ["admin"]})))
        .await
        .assert_error(409, "key_exists");
}

#[tokio::test]
async fn a_key_over_its_rate_gets_429_with_retry_after() {
    let app = spawn_secure_app_with(|s| {
        s.security.rate_limit_per_second = 1;
        s.security.rate_limit_burst = 3;
    })
    .await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..10 {
        let response =
            app.client.get(format!("{}/v1/keys", app.base)).bearer_auth(ADMIN).send().await.unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["code"], "rate_limited");
            crate::helpers::check_error_body(&body);
        }
    }
    assert!(statuses.contains(&429), "no 429 in {statuses:?}");
    assert_eq!(statuses[0], 200);
    let seconds: u64 = retry_after.expect("Retry-After is set").parse().unwrap();
    assert!(seconds >= 1);
    // Another key has its own bucket; probes are never limited.
    let other = {
        // Creating a key is itself a request of the admin key, which is limited now: wait it out.
        tokio::time::sleep(std::time::Duration::from_secs(seconds)).await;
        app.create_key("other", &["registry:read:*"]).await
    };
    assert_eq!(app.call(Some(&other), Method::GET, "/v1/registries", None).await.status, 200);
    for _ in 0..5 {
        assert_eq!(app.get("/healthz").await.status, 200);
    }
    let metrics = app.call(Some(&other), Method::GET, "/metrics", None).await;
    assert_eq!(metrics.status, 403, "metrics need metrics:read");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let metrics = app.client.get(format!("{}/metrics", app.base)).bearer_auth(ADMIN).send().await.unwrap();
    let text = metrics.text().await.unwrap();
    assert!(text.contains("schemabus_rate_limited_total"), "{text}");
}

#[tokio::test]
async fn key_values_are_never_echoed_after_creation() {
    let app = spawn_secure_app().await;
    let key = app.create_key("producer", &["bus:publish:*"]).await;
    assert!(key.starts_with("sb_") && key.len() >= 40, "{key}");
    let listed = app.call(Some(ADMIN), Method::GET, "/v1/keys", None).await;
    let text = listed.body.to_string();
    assert!(!text.contains(&key) && !text.contains(ADMIN), "a key leaked: {text}");
    let producer =
        listed.body["items"].as_array().unwrap().iter().find(|k| k["name"] == "producer").unwrap().clone();
    assert_eq!(producer["grants"], json!(["bus:publish:*"]));
    assert_eq!(producer["prefix"].as_str().unwrap(), &key[..7]);
    let audit = app.call(Some(ADMIN), Method::GET, "/v1/audit", None).await;
    assert!(!audit.body.to_string().contains(&key), "the audit trail holds a key");
}

#[tokio::test]
async fn writes_are_audited_with_the_key_and_published_on_the_default_bus() {
    let app = spawn_secure_app().await;
    app.admin(Method::PUT, "/v1/queues/audit-log", json!({})).await;
    app.admin(
        Method::PUT,
        "/v1/buses/default/rules/audit",
        json!({"pattern": {"source": ["schemabus.audit"]}, "targets": [{"id": "q", "type": "queue", "queue": "audit-log"}]}),
    )
    .await;
    let writer = app.create_key("shop-writer", &["registry:write:shop", "registry:write:*"]).await;
    let created =
        app.call(Some(&writer), Method::POST, "/v1/registries", Some(json!({"name": "shop"}))).await;
    assert_eq!(created.status, 201, "{}", created.body);
    // A failed write and a read are not audited.
    app.call(Some(&writer), Method::POST, "/v1/registries", Some(json!({"name": "shop"})))
        .await
        .assert_error(409, "registry_exists");
    app.call(Some(&writer), Method::GET, "/v1/registries/shop", None).await;
    let page = app.call(Some(ADMIN), Method::GET, "/v1/audit?limit=2", None).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let newest = &page.body["items"][0];
    assert_eq!(newest["key"], "shop-writer");
    assert_eq!(newest["method"], "POST");
    assert_eq!(newest["path"], "/v1/registries");
    assert_eq!(newest["status"], 201);
    assert!(newest["time"].is_string());
    assert_eq!(page.body["items"][1]["key"], "admin", "key creation is audited too: {}", page.body);
    assert_eq!(page.body["items"][1]["path"], "/v1/keys");
    // Pages go back in time.
    let cursor = page.body["nextCursor"].as_str().unwrap();
    let older = app.call(Some(ADMIN), Method::GET, &format!("/v1/audit?before={cursor}"), None).await;
    let paths: Vec<&str> =
        older.body["items"].as_array().unwrap().iter().map(|r| r["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["/v1/buses/default/rules/audit", "/v1/queues/audit-log"], "{}", older.body);
    assert_eq!(older.body["items"][0]["resource"], "bus:default");
    app.call(Some(&writer), Method::GET, "/v1/audit", None).await.assert_error(403, "forbidden");
    // The same records arrive on the default bus.
    let received = app
        .call(
            Some(ADMIN),
            Method::POST,
            "/v1/queues/audit-log/receive",
            Some(json!({"maxMessages": 10, "waitSeconds": 2})),
        )
        .await;
    let bodies: Vec<Value> =
        received.body["messages"].as_array().unwrap().iter().map(|m| m["body"].clone()).collect();
    assert!(
        bodies.iter().any(|e| e["detail-type"] == "Write Audited"
            && e["detail"]["key"] == "shop-writer"
            && e["detail"]["path"] == "/v1/registries"),
        "{bodies:?}"
    );
}

#[tokio::test]
async fn auth_off_is_refused_on_a_public_address() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = schemabus::config::Settings::for_data_dir(dir.path().join("data"));
    settings.listen = "0.0.0.0:0".parse().unwrap();
    settings.security.auth = schemabus::config::AuthMode::Off;
    let error = schemabus::startup::Application::build(settings).await.err().expect("refused");
    assert!(error.to_string().contains("refusing to listen on 0.0.0.0:0 with --auth off"), "{error}");
    // The binary says so and exits 1.
    let out = Command::new(env!("CARGO_BIN_EXE_schemabus"))
        .args(["serve", "--listen", "0.0.0.0:0", "--auth", "off", "--data-dir"])
        .arg(dir.path().join("cli"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("refusing to listen"), "{out:?}");
}

#[tokio::test]
async fn with_auth_off_on_loopback_everything_is_open_and_audited_as_anonymous() {
    let app = spawn_app_with(|_| {}).await; // the test helper's default: auth off
    assert_eq!(app.post("/v1/registries", json!({"name": "shop"})).await.status, 201);
    let audit = app.get("/v1/audit").await;
    assert_eq!(audit.body["items"][0]["key"], "anonymous", "{}", audit.body);
}

/// First start with auth required and no admin key configured: a key is generated and
/// printed once; it works; the second start prints nothing.
#[test]
fn the_first_start_prints_a_working_admin_key_once() {
    let dir = tempfile::tempdir().unwrap();
    let start = || {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_schemabus"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--log-level", "warn", "--data-dir"])
            .arg(dir.path().join("data"))
            .args(crate::backend::serve_flags(&dir.path().join("data")))
            .env_remove("SCHEMABUS_AUTH")
            .env_remove("SCHEMABUS_ADMIN_KEY")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        (child, format!("http://127.0.0.1:{port}"))
    };
    let wait_ready = |base: &str| {
        let client = reqwest::blocking::Client::new();
        for _ in 0..300 {
            if client.get(format!("{base}/readyz")).send().is_ok_and(|r| r.status().is_success()) {
                return client;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("not ready");
    };
    let (mut child, base) = start();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut key = None;
    let mut line = String::new();
    while key.is_none() && stdout.read_line(&mut line).unwrap() > 0 {
        key = line.split_whitespace().find(|w| w.starts_with("sb_")).map(str::to_owned);
        line.clear();
    }
    let key = key.expect("an admin key is printed");
    let client = wait_ready(&base);
    let anonymous = client.get(format!("{base}/v1/keys")).send().unwrap();
    assert_eq!(anonymous.status(), 401);
    let listed = client.get(format!("{base}/v1/keys")).bearer_auth(&key).send().unwrap();
    assert_eq!(listed.status(), 200);
    child.kill().unwrap();
    child.wait().unwrap();
    let (mut child, base) = start();
    wait_ready(&base);
    child.kill().unwrap();
    child.wait().unwrap();
    let mut rest = String::new();
    child.stdout.take().unwrap().read_to_string(&mut rest).unwrap();
    assert!(!rest.contains("sb_"), "a second start printed a key: {rest}");
}

#[test]
fn the_cli_manages_keys_on_a_stopped_service() {
    let dir = tempfile::tempdir().unwrap();
    let keys = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_schemabus"))
            .arg("keys")
            .args(args)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .output()
            .unwrap()
    };
    let created =
        keys(&["create", "ci", "--grant", "registry:read:*", "--grant", "bus:publish:orders:orders"]);
    assert!(created.status.success(), "{created:?}");
    let body: Value = serde_json::from_slice(&created.stdout).unwrap();
    let key = body["key"].as_str().unwrap().to_owned();
    let listed = keys(&["list"]);
    let text = String::from_utf8_lossy(&listed.stdout).to_string();
    assert!(
        text.contains("\"ci\"") && text.contains("bus:publish:orders:orders") && !text.contains(&key),
        "{text}"
    );
    let bad = keys(&["create", "x", "--grant", "root"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a grant"), "{bad:?}");
    assert!(keys(&["revoke", "ci"]).status.success());
    assert!(!String::from_utf8_lossy(&keys(&["list"]).stdout).contains("\"ci\""));
}

#[test]
fn every_operation_declares_its_security() {
    let doc: Value = serde_json::from_str(&schemabus::http::openapi_json()).unwrap();
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    let anonymous: Vec<String> = schemabus::http::access::table()
        .into_iter()
        .filter(|(_, _, anonymous)| *anonymous)
        .map(|(m, p, _)| format!("{} {p}", m.to_lowercase()))
        .collect();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let at = format!("{method} {path}");
            let security = op["security"].as_array().unwrap_or_else(|| panic!("{at} declares no security"));
            if anonymous.contains(&at) {
                assert_eq!(security, &vec![json!({})], "{at} is anonymous");
            } else {
                assert_eq!(security, &vec![json!({"bearer": []})], "{at}");
                for status in ["401", "403", "429"] {
                    assert!(op["responses"][status].is_object(), "{at} does not document {status}");
                }
            }
        }
    }
}

#[tokio::test]
async fn tls_serves_https_with_the_given_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let app = spawn_secure_app_with(|s| {
        s.security.tls_cert = Some(cert_path.clone());
        s.security.tls_key = Some(key_path.clone());
    })
    .await;
    let port: u16 = app.base.rsplit(':').next().unwrap().parse().unwrap();
    let der = cert.cert.der().clone();
    let response = tokio::task::spawn_blocking(move || {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(der).unwrap();
        let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let connection = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
        let socket = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let mut tls = rustls::StreamOwned::new(connection, socket);
        write!(tls, "GET /v1/keys HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {ADMIN}\r\nConnection: close\r\n\r\n").unwrap();
        let mut text = String::new();
        let _ = tls.read_to_string(&mut text);
        text
    })
    .await
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"admin\""), "{response}");
    // Plain HTTP to the TLS port gets no API answer.
    let plain = app.client.get(format!("{}/healthz", app.base)).send().await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    // Unreadable files stop the start with a message naming them.
    let mut settings = schemabus::config::Settings::for_data_dir(dir.path().join("other"));
    settings.security.tls_cert = Some(dir.path().join("missing.pem"));
    settings.security.tls_key = Some(key_path);
    let error = schemabus::startup::Application::build(settings).await.err().expect("refused");
    assert!(error.to_string().contains("missing.pem"), "{error}");
}

#[tokio::test]
async fn codegen_from_a_secured_service_sends_schemabus_key() {
    let app = spawn_secure_app().await;
    app.admin(Method::POST, "/v1/registries", json!({"name": "shop"})).await;
    app.admin(
        Method::POST,
        "/v1/registries/shop/schemas/orders@OrderPlaced/versions",
        json!({"content": {"title": "OrderPlaced", "type": "object", "properties": {"id": {"type": "string"}}}}),
    )
    .await;
    let reader = app.create_key("codegen", &["registry:read:shop"]).await;
    let dir = tempfile::tempdir().unwrap();
    let base = app.base.clone();
    let run = move |key: Option<String>| {
        let base = base.clone();
        let out = dir.path().join(if key.is_some() { "with" } else { "without" });
        tokio::task::spawn_blocking(move || {
            let mut command = Command::new(env!("CARGO_BIN_EXE_schemabus"));
            command
                .args([
                    "codegen",
                    "--language",
                    "typescript",
                    "--registry",
                    &base,
                    "--from",
                    "shop/orders@OrderPlaced",
                    "--out",
                ])
                .arg(&out)
                .env_remove("SCHEMABUS_KEY");
            if let Some(k) = key {
                command.env("SCHEMABUS_KEY", k);
            }
            (command.output().unwrap(), out)
        })
    };
    let (without, _) = run(None).await.unwrap();
    assert!(!without.status.success());
    assert!(String::from_utf8_lossy(&without.stderr).contains("401"), "{without:?}");
    let (with, out) = run(Some(reader)).await.unwrap();
    assert!(with.status.success(), "{}", String::from_utf8_lossy(&with.stderr));
    assert!(std::fs::read_to_string(out.join("src/index.ts")).unwrap().contains("OrderPlaced"));
}
