use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn malformed_and_misshapen_bodies_get_the_standard_error() {
    let app = spawn_app().await;
    app.post_raw("/v1/registries", "{\"name\": ").await.assert_error(400, "malformed_json");
    app.post_raw("/v1/registries", "").await.assert_error(400, "malformed_json");
    app.post_raw("/v1/registries", "{\"name\": \"a\"} trailing").await.assert_error(400, "malformed_json");
    let wrong_type = app.post("/v1/registries", json!({"name": 5})).await;
    wrong_type.assert_error(400, "invalid_request");
    assert_eq!(wrong_type.body["details"]["pointer"], "/name");
    let nested = app.post("/v1/registries", json!({"name": "x", "tags": {"k": 1}})).await;
    assert_eq!(nested.assert_error(400, "invalid_request")["details"]["pointer"], "/tags/k");
    let unknown = app.post("/v1/registries", json!({"name": "x", "colour": "red"})).await;
    assert_eq!(unknown.assert_error(400, "invalid_request")["details"]["pointer"], "/colour");
    app.create_registry("shop").await;
    let missing =
        app.post("/v1/registries/shop/schemas/s/versions", json!({"description": "no content"})).await;
    missing.assert_error(400, "invalid_request");
}

#[tokio::test]
async fn unknown_paths_and_methods_get_the_standard_error() {
    let app = spawn_app().await;
    app.get("/v1/nothing/here").await.assert_error(404, "route_not_found");
    app.send(reqwest::Method::PUT, "/v1/registries", Some(json!({})))
        .await
        .assert_error(404, "route_not_found");
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let app = spawn_app_with(|s| s.max_body_bytes = 4096).await;
    app.create_registry("shop").await;
    let big = json!({"content": {"description": "x".repeat(5000)}});
    app.post("/v1/registries/shop/schemas/s/versions", big).await.assert_error(413, "payload_too_large");
    // A schema over the schema limit but under the body limit is a 422.
    let app = spawn_app_with(|s| s.max_schema_bytes = 100).await;
    app.create_registry("shop").await;
    let long = json!({"description": "y".repeat(200)});
    app.register("shop", "s", long).await.assert_error(422, "invalid_schema");
}

#[test]
fn the_documented_error_table_lists_every_code_with_its_status() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/ERRORS.md")).unwrap();
    for code in schemabus::error::Code::ALL {
        let row = format!("| `{}` | {} |", code.name(), code.status());
        assert!(doc.contains(&row), "docs/ERRORS.md lacks the row starting {row}");
    }
}
