use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn documents_are_validated_with_precise_sorted_errors() {
    let app = spawn_app().await;
    app.create_registry("shop").await;
    let schema = json!({
        "type": "object",
        "required": ["orderId", "lines"],
        "properties": {
            "orderId": {"type": "string", "format": "uuid"},
            "lines": {"type": "array", "items": {"type": "object", "properties": {"qty": {"type": "integer", "minimum": 1}}}},
            "email": {"type": "string", "format": "email"}
        }
    });
    app.register("shop", "orders@OrderPlaced", schema).await;
    let valid = app
        .post(
            "/v1/registries/shop/schemas/orders@OrderPlaced/versions/latest/validate",
            json!({"orderId": "6f1c2a3e-8b9d-4c1e-9f2a-1b2c3d4e5f60", "lines": [{"qty": 2}]}),
        )
        .await;
    assert_eq!(valid.status, 200);
    assert_eq!(valid.body, json!({"valid": true, "version": 1, "errors": [], "truncated": false}));

    let invalid = app
        .post(
            "/v1/registries/shop/schemas/orders@OrderPlaced/versions/1/validate",
            json!({"orderId": "not-a-uuid", "lines": [{"qty": 1}, {"qty": 0}], "email": "nope"}),
        )
        .await;
    assert_eq!(invalid.status, 200);
    assert_eq!(invalid.body["valid"], false);
    let errors = invalid.body["errors"].as_array().unwrap();
    let located: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| (e["instancePath"].as_str().unwrap(), e["schemaPath"].as_str().unwrap()))
        .collect();
    assert_eq!(
        located,
        [
            ("/email", "/properties/email/format"),
            ("/lines/1/qty", "/properties/lines/items/properties/qty/minimum"),
            ("/orderId", "/properties/orderId/format"),
        ]
    );
    assert!(errors.iter().all(|e| !e["message"].as_str().unwrap().is_empty()));

    // Any JSON value is a document, not only objects.
    let scalar =
        app.post("/v1/registries/shop/schemas/orders@OrderPlaced/versions/1/validate", json!(42)).await;
    assert_eq!(scalar.body["valid"], false);
    app.post_raw("/v1/registries/shop/schemas/orders@OrderPlaced/versions/1/validate", "{nope")
        .await
        .assert_error(400, "malformed_json");
    app.post("/v1/registries/shop/schemas/orders@OrderPlaced/versions/7/validate", json!({}))
        .await
        .assert_error(404, "version_not_found");
}

#[tokio::test]
async fn the_error_list_is_capped_and_says_so() {
    let app = spawn_app_with(|s| s.max_validation_errors = 2).await;
    app.create_registry("shop").await;
    app.register("shop", "s", json!({"additionalProperties": {"type": "integer"}})).await;
    let reply = app
        .post("/v1/registries/shop/schemas/s/versions/1/validate", json!({"a": "x", "b": "x", "c": "x"}))
        .await;
    assert_eq!(reply.body["errors"].as_array().unwrap().len(), 2);
    assert_eq!(reply.body["truncated"], true);
}

#[tokio::test]
async fn a_deleted_version_is_no_longer_validated_against() {
    let app = spawn_app().await;
    app.create_unchecked_registry("shop").await;
    app.register("shop", "s", json!({"type": "string"})).await;
    app.register("shop", "s", json!({"type": "integer"})).await;
    // Warm the validator cache, then delete.
    assert_eq!(
        app.post("/v1/registries/shop/schemas/s/versions/2/validate", json!(1)).await.body["valid"],
        true
    );
    app.delete("/v1/registries/shop/schemas/s/versions/2").await;
    app.post("/v1/registries/shop/schemas/s/versions/2/validate", json!(1))
        .await
        .assert_error(404, "version_not_found");
    let latest = app.post("/v1/registries/shop/schemas/s/versions/latest/validate", json!(1)).await;
    assert_eq!(latest.body["version"], 1);
    assert_eq!(latest.body["valid"], false);
}
