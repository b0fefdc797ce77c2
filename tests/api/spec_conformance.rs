//! Regression tests of what the schemathesis run (`schemathesis.rs`) found: places where
//! `openapi/openapi.json` described requests other than the ones the service takes. Each
//! test reads the generated document and sends the service the value in question.

use serde_json::{Value, json};

use crate::helpers::spawn_app;

fn doc() -> Value {
    serde_json::from_str(&schemabus::http::openapi_json()).unwrap()
}

fn component(doc: &Value, name: &str) -> Value {
    doc["components"]["schemas"][name].clone()
}

fn parameter(doc: &Value, path: &str, method: &str, name: &str) -> Value {
    let params = doc["paths"][path][method]["parameters"].as_array().unwrap();
    params.iter().find(|p| p["name"] == name).unwrap()["schema"].clone()
}

#[test]
fn every_name_and_version_in_a_path_carries_the_rule_the_service_applies() {
    let doc = doc();
    let mut constrained = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten().filter(|p| p["in"] == "path") {
                let (name, schema) = (p["name"].as_str().unwrap(), &p["schema"]);
                // The explorer's file names and event ids are looked up as they are: 404.
                if path.starts_with("/schemas/") || name == "eventId" {
                    continue;
                }
                let rule = schema["pattern"].as_str().or(schema["enum"].as_array().map(|_| "enum"));
                assert!(rule.is_some(), "{method} {path}: {{{name}}} has no pattern: {schema}");
                constrained += 1;
            }
        }
    }
    assert!(constrained >= 70, "{constrained}");
    let bus = parameter(&doc, "/v1/buses/{bus}", "get", "bus");
    assert_eq!(bus["pattern"], "^[A-Za-z0-9._-]{1,64}$");
    let archive = parameter(&doc, "/v1/buses/{bus}/archives/{archive}", "get", "archive");
    assert_eq!(archive["pattern"], "^[A-Za-z0-9._-]{1,48}$");
    let schema = parameter(&doc, "/v1/registries/{registry}/schemas/{schema}", "get", "schema");
    assert_eq!(schema["pattern"], "^[A-Za-z0-9._@:-]{1,385}$");
    let version =
        parameter(&doc, "/v1/registries/{registry}/schemas/{schema}/versions/{version}", "get", "version");
    assert_eq!(version["pattern"], "^(latest|[1-9][0-9]{0,8})$");
    let limit = parameter(&doc, "/v1/audit", "get", "limit");
    assert_eq!((limit["minimum"].as_f64(), limit["maximum"].as_f64()), (Some(1.0), Some(1000.0)));
}

#[tokio::test]
async fn a_name_breaking_the_documented_rule_is_still_a_documented_400() {
    let app = spawn_app().await;
    app.get("/v1/buses/b%C3%A4d").await.assert_error(400, "invalid_name");
    let long = format!("/v1/buses/default/archives/{}", "a".repeat(49));
    app.send(reqwest::Method::PUT, &long, Some(json!({}))).await.assert_error(400, "invalid_name");
    app.get("/v1/registries/shop/schemas/a/versions/0").await.assert_error(400, "invalid_parameter");
    app.get("/v1/audit?limit=0").await.assert_error(400, "invalid_parameter");
    // Names the patterns admit reach the lookup: 404, not 400.
    app.get("/v1/buses/a.b_c-9").await.assert_error(404, "bus_not_found");
}

#[tokio::test]
async fn integers_the_service_takes_above_int32_are_documented_as_such() {
    let doc = doc();
    let number = &component(&doc, "BindingVersion")["oneOf"][0];
    assert_eq!(
        (number["minimum"].as_u64(), number["maximum"].as_u64()),
        (Some(1), Some(u64::from(u32::MAX)))
    );
    assert_eq!(number["format"], "int64");
    let retention = &component(&doc, "PutArchiveRequest")["properties"]["retentionDays"];
    assert_eq!(
        (retention["maximum"].as_u64(), retention["format"].as_str()),
        (Some(4_294_967_295), Some("int64"))
    );
    let receive = &component(&doc, "PutQueueRequest")["properties"]["maxReceiveCount"];
    assert_eq!(receive["maximum"].as_u64(), Some(4_294_967_295));

    let app = spawn_app().await;
    let archive = app.send(
        reqwest::Method::PUT,
        "/v1/buses/default/archives/long",
        Some(json!({"retentionDays": 2_147_483_648_u64})),
    );
    assert_eq!(archive.await.status, 200);
    let binding = |version: Value| json!({"bindings": [{"source": "orders", "detailType": "Order Placed", "schema": "orders@OrderPlaced", "version": version}]});
    assert_eq!(app.patch("/v1/buses/default", binding(json!(2_147_483_648_u64))).await.status, 200);
    app.patch("/v1/buses/default", binding(json!(0))).await.assert_error(400, "invalid_request");
}

#[tokio::test]
async fn bodies_the_service_takes_beyond_objects_are_documented_as_such() {
    let doc = doc();
    for name in ["RegisterVersionRequest", "CompatibilityCheckRequest"] {
        let content = &component(&doc, name)["properties"]["content"];
        assert_eq!(content["type"], json!(["object", "boolean", "string"]), "{name}");
    }
    let events = &component(&doc, "InferRequest")["properties"]["events"];
    assert_eq!((events["items"].clone(), events["minItems"].as_u64()), (json!({}), Some(1)));
    let validate = "/v1/registries/{registry}/schemas/{schema}/versions/{version}/validate";
    assert_eq!(
        doc["paths"][validate]["post"]["requestBody"]["content"]["application/json"]["schema"],
        json!({})
    );
    let record = &component(&doc, "HintsDocument")["properties"]["record"];
    assert!(record.get("uniqueItems").is_none(), "{record}");

    let app = spawn_app().await;
    app.create_registry("shop").await;
    assert_eq!(app.register("shop", "never", json!(false)).await.status, 201);
    app.register("shop", "number", json!(5)).await.assert_error(422, "invalid_schema");
    let inferred = app.post("/v1/infer", json!({"events": [[1, 2], "text"]})).await;
    assert_eq!(inferred.status, 200, "{}", inferred.body);
    let validated =
        app.post("/v1/registries/shop/schemas/never/versions/1/validate", json!("a string")).await;
    assert_eq!((validated.status.as_u16(), &validated.body["valid"]), (200, &json!(false)));
    let hints = app
        .send(reqwest::Method::PUT, "/v1/discovery/hints/orders@Dup", Some(json!({"record": ["/a", "/a"]})))
        .await;
    assert_eq!((hints.status.as_u16(), &hints.body["record"]), (200, &json!(["/a"])));
}

/// Found by the 500-example run: `"validation": []` read as every default (200), since
/// serde's structs also read an array of their fields; nested settings objects are objects.
#[tokio::test]
async fn a_nested_settings_object_sent_as_an_array_is_a_400() {
    let app = spawn_app().await;
    let patched = app.patch("/v1/buses/default", json!({"validation": [], "bindings": null})).await;
    assert_eq!(patched.body["details"]["pointer"], "/validation", "{}", patched.body);
    patched.assert_error(400, "invalid_request");
    let created = app.post("/v1/buses", json!({"name": "arr", "validation": ["off"]})).await;
    created.assert_error(400, "invalid_request");
    // null and objects are still taken.
    assert_eq!(app.patch("/v1/buses/default", json!({"validation": null})).await.status, 200);
    let object = app.patch("/v1/buses/default", json!({"validation": {"mode": "off"}})).await;
    assert_eq!(object.status, 200, "{}", object.body);
    let rule = json!({"pattern": {"source": ["a"]}, "targets": [{"type": "queue", "id": "q", "queue": "q", "inputTransformer": []}]});
    let put = app.send(reqwest::Method::PUT, "/v1/buses/default/rules/r", Some(rule)).await;
    put.assert_error(400, "invalid_request");
    // The tagged target enum reports its own position; the message names the refusal.
    assert!(put.body["message"].as_str().unwrap().contains("expected an object or null"), "{}", put.body);
}
