//! Versions registered natively with `format: openApi3` (an OpenAPI 3.0 event schema in
//! EventBridge's layout): the document is kept as `source`, the derived JSON Schema of
//! the detail is what validation, diffs and bindings use.

use serde_json::{Value, json};

use crate::helpers::spawn_app;

fn event_schema(extra: Value) -> Value {
    let mut detail = json!({
        "type": "object",
        "required": ["orderId"],
        "properties": {"orderId": {"type": "string"}, "note": {"type": "string", "nullable": true}}
    });
    if let (Some(props), Value::Object(more)) = (detail["properties"].as_object_mut(), extra) {
        props.extend(more);
    }
    json!({
        "openapi": "3.0.0",
        "info": {"version": "1.0.0", "title": "OrderPlaced"},
        "paths": {},
        "components": {"schemas": {
            "AWSEvent": {
                "type": "object",
                "x-amazon-events-source": "shop",
                "x-amazon-events-detail-type": "Order Placed",
                "properties": {"detail": {"$ref": "#/components/schemas/OrderPlaced"}}
            },
            "OrderPlaced": detail
        }}
    })
}

const VERSIONS: &str = "/v1/registries/shop/schemas/shop@OrderPlaced/versions";

#[tokio::test]
async fn an_openapi_event_schema_is_kept_and_its_detail_validates_diffs_and_generates() {
    let app = spawn_app().await;
    app.create_registry("shop").await;
    app.send(reqwest::Method::PUT, "/v1/registries/shop/config", Some(json!({"compatibility": "NONE"})))
        .await;
    let doc = event_schema(json!({}));
    let created = app.post(VERSIONS, json!({"content": doc.to_string(), "format": "openApi3"})).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let version = app.get(&format!("{VERSIONS}/1")).await;
    assert_eq!(version.body["source"], doc, "{}", version.body);
    assert_eq!(version.body["draft"], "draft-04");
    assert_eq!(version.body["content"]["properties"]["note"]["type"], json!(["string", "null"]));
    assert_eq!(version.body["content"]["x-amazon-events-source"], "shop");

    let valid = app.post(&format!("{VERSIONS}/1/validate"), json!({"orderId": "o", "note": null})).await;
    assert_eq!(valid.body["valid"], true, "{}", valid.body);
    let invalid = app.post(&format!("{VERSIONS}/1/validate"), json!({"note": 3})).await;
    assert_eq!(invalid.body["valid"], false, "{}", invalid.body);

    let v2 = event_schema(json!({"total": {"type": "number"}}));
    let second = app.post(VERSIONS, json!({"content": v2, "format": "openApi3"})).await;
    assert_eq!(second.body["version"], 2, "{}", second.body);
    let diff = app.get("/v1/registries/shop/schemas/shop@OrderPlaced/diff?from=1&to=2").await;
    assert_eq!(diff.status, 200, "{}", diff.body);
    assert!(diff.body["changes"].to_string().contains("total"), "{}", diff.body);

    let source =
        app.get("/v1/registries/shop/schemas/shop@OrderPlaced/versions/2/bindings/rust?format=source").await;
    assert_eq!(source.status, 200);
}

#[tokio::test]
async fn documents_outside_eventbridge_layout_are_refused_with_a_pointer() {
    let app = spawn_app().await;
    app.create_registry("shop").await;
    let remote =
        json!({"openapi": "3.0.0", "components": {"schemas": {"A": {"$ref": "https://example.com/a"}}}});
    let refused = app.post(VERSIONS, json!({"content": remote, "format": "openApi3"})).await;
    let body = refused.assert_error(422, "invalid_schema");
    assert_eq!(body["details"]["pointer"], "/components/schemas/A/$ref", "{body}");
    let not_openapi = app.post(VERSIONS, json!({"content": {"type": "object"}, "format": "openApi3"})).await;
    not_openapi.assert_error(422, "invalid_schema");
    let unknown = app.post(VERSIONS, json!({"content": {"type": "object"}, "format": "avro"})).await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
}
