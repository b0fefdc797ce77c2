use serde_json::Value;

use crate::helpers::spawn_app;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");

#[test]
fn the_committed_openapi_document_is_current() {
    let generated = schemabus::http::openapi_json();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is stale. Regenerate it with: UPDATE_OPENAPI=1 cargo test --test api openapi"
    );
}

#[test]
fn every_operation_has_a_summary_tags_an_id_and_documented_errors() {
    let doc: Value = serde_json::from_str(&schemabus::http::openapi_json()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 10);
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let at = format!("{method} {path}");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{at} has no summary");
            assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{at} has no tags");
            assert!(op["operationId"].is_string(), "{at} has no operationId");
            let responses = op["responses"].as_object().unwrap();
            for (status, response) in responses {
                assert!(
                    response["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{at} {status} lacks a description"
                );
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(
                        schema, "#/components/schemas/ErrorBody",
                        "{at} {status} does not use ErrorBody"
                    );
                }
            }
            // Probes and the metrics scrape take no client input.
            if !path.starts_with("/healthz") && !path.starts_with("/readyz") && path != "/metrics" {
                assert!(responses.keys().any(|s| s.starts_with('4')), "{at} documents no client error");
            }
        }
    }
}

#[tokio::test]
async fn the_service_serves_its_document_and_an_offline_explorer() {
    let app = spawn_app().await;
    let served = app.get("/openapi.json").await;
    assert_eq!(served.status, 200);
    assert_eq!(served.body["openapi"], "3.1.0");
    let page = app.client.get(format!("{}/docs/", app.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "explorer page: {html}");
    assert!(!html.contains("cdn.") && !html.contains("unpkg"), "explorer must not load from the internet");
    let bundle = app.client.get(format!("{}/docs/swagger-ui-bundle.js", app.base)).send().await.unwrap();
    assert_eq!(bundle.status(), 200);
    let init = app
        .client
        .get(format!("{}/docs/swagger-initializer.js", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(init.contains("/openapi.json"), "{init}");
    assert_eq!(app.get("/healthz").await.body["status"], "ok");
    let owned = app.get("/schemas/error-body.schema.json").await;
    assert_eq!(owned.body["title"], "ErrorBody");
    app.get("/schemas/nope.json").await.assert_error(404, "route_not_found");
    assert_eq!(app.get("/readyz").await.body["status"], "ready");
}

/// Runs `openapi-spec-validator` (PyPI, pinned) on the committed document. Installs it
/// into a virtualenv under the target directory when missing, so a fresh machine works.
#[test]
fn the_committed_document_passes_a_real_openapi_3_1_validator() {
    const PINNED: &str = "openapi-spec-validator==0.7.2";
    let python = crate::python::pinned_venv("openapi-venv", PINNED).join("bin/python");
    let out = std::process::Command::new(&python)
        .args(["-m", "openapi_spec_validator", "--schema", "3.1.0"])
        .arg(COMMITTED)
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success() && text.contains("OK"),
        "openapi-spec-validator refused the document:\n{text}"
    );
}
