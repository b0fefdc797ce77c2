//! The Confluent-compatible API (`/ccompat`) end to end over real HTTP: every operation,
//! every error code, ids across a restart, soft deletion in the native model, auth.
//! The fixture comparison of compatibility verdicts is in `ccompat_fixtures.rs`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::auth_support::{ADMIN, spawn_secure_app};
use crate::helpers::{Reply, ServiceProcess, TestApp, spawn_app};

pub(crate) const VND: &str = "application/vnd.schemaregistry.v1+json";

/// A `/ccompat` request with Confluent's media type; checks the answer's media type and,
/// for errors, Confluent's error shape.
pub(crate) async fn cc(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Reply {
    let mut request = app.client.request(method, format!("{}/ccompat{path}", app.base));
    if let Some(b) = body {
        request = request.header("content-type", VND).body(b.to_string());
    }
    finish(request.send().await.unwrap()).await
}

pub(crate) async fn finish(response: reqwest::Response) -> Reply {
    let status = response.status();
    let media = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    assert_eq!(media.as_deref(), Some(VND), "{status} {text}");
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if !status.is_success() {
        let keys: Vec<&String> = body.as_object().expect("error body is an object").keys().collect();
        assert_eq!(keys, ["error_code", "message"], "{body}");
    }
    Reply { status, body }
}

#[track_caller]
pub(crate) fn assert_cc_error(reply: &Reply, status: u16, code: u64) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.body);
    assert_eq!(reply.body["error_code"], code, "{}", reply.body);
}

pub(crate) fn schema_body(schema: &Value) -> Value {
    json!({"schemaType": "JSON", "schema": schema.to_string()})
}

pub(crate) async fn register(app: &TestApp, subject: &str, schema: &Value) -> Reply {
    cc(app, Method::POST, &format!("/subjects/{subject}/versions"), Some(schema_body(schema))).await
}

fn order() -> Value {
    json!({"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]})
}

/// Backward compatible with [`order`]: `id` is no longer required.
fn order_v2() -> Value {
    json!({"type": "object", "properties": {"id": {"type": "string"}}})
}

#[tokio::test]
async fn subjects_versions_and_lookup_follow_confluent() {
    let app = spawn_app().await;
    assert_eq!(cc(&app, Method::GET, "/", None).await.body, json!({}));
    assert_eq!(cc(&app, Method::GET, "/schemas/types", None).await.body, json!(["JSON"]));
    assert!(cc(&app, Method::GET, "/v1/metadata/id", None).await.body["scope"].is_object());
    assert_eq!(cc(&app, Method::GET, "/subjects", None).await.body, json!([]));

    let first = register(&app, "orders-value", &order()).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let id = first.body["id"].as_u64().unwrap();
    assert_eq!(first.body["version"], 1);
    // Registering it again answers the same id and version.
    assert_eq!(register(&app, "orders-value", &order()).await.body, first.body);
    let second = register(&app, "orders-value", &order_v2()).await;
    assert_eq!(second.body["version"], 2);
    assert_ne!(second.body["id"], id);

    assert_eq!(cc(&app, Method::GET, "/subjects", None).await.body, json!(["orders-value"]));
    assert_eq!(
        cc(&app, Method::GET, "/subjects?subjectPrefix=ord", None).await.body,
        json!(["orders-value"])
    );
    assert_eq!(cc(&app, Method::GET, "/subjects?subjectPrefix=x", None).await.body, json!([]));
    assert_eq!(cc(&app, Method::GET, "/subjects/orders-value/versions", None).await.body, json!([1, 2]));
    for latest in ["latest", "-1", "2"] {
        let v = cc(&app, Method::GET, &format!("/subjects/orders-value/versions/{latest}"), None).await;
        assert_eq!(v.body["version"], 2, "{latest}");
        assert_eq!(v.body["schemaType"], "JSON");
        assert_eq!(serde_json::from_str::<Value>(v.body["schema"].as_str().unwrap()).unwrap(), order_v2());
    }
    let raw = cc(&app, Method::GET, "/subjects/orders-value/versions/1/schema", None).await;
    assert_eq!(raw.body, order());

    let found =
        cc(&app, Method::POST, "/subjects/orders-value?normalize=true", Some(schema_body(&order()))).await;
    assert_eq!((found.body["id"].as_u64(), found.body["version"].as_u64()), (Some(id), Some(1)));
    let missing =
        cc(&app, Method::POST, "/subjects/orders-value", Some(schema_body(&json!({"type": "string"})))).await;
    assert_cc_error(&missing, 404, 40403);
    assert_cc_error(
        &cc(&app, Method::POST, "/subjects/nobody", Some(schema_body(&order()))).await,
        404,
        40401,
    );
    assert_cc_error(&cc(&app, Method::GET, "/subjects/nobody/versions", None).await, 404, 40401);
    assert_cc_error(&cc(&app, Method::GET, "/subjects/orders-value/versions/9", None).await, 404, 40402);
    assert_cc_error(&cc(&app, Method::GET, "/subjects/orders-value/versions/zero", None).await, 422, 42202);
    assert_cc_error(&cc(&app, Method::GET, "/subjects/orders-value/versions/0", None).await, 422, 42202);

    let listing = cc(&app, Method::GET, "/schemas?subjectPrefix=orders&latestOnly=true", None).await;
    assert_eq!(listing.body.as_array().unwrap().len(), 1);
    assert_eq!(listing.body[0]["version"], 2);
    assert_eq!(cc(&app, Method::GET, "/schemas", None).await.body.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn ids_are_global_and_shared_by_equal_content() {
    let app = spawn_app().await;
    let a = register(&app, "orders-value", &order()).await.body["id"].as_u64().unwrap();
    // Same content with other key order and whitespace: same id.
    let reordered: Value =
        serde_json::from_str(r#"{"required":["id"], "properties":{"id":{"type":"string"}},"type":"object"}"#)
            .unwrap();
    let b = register(&app, "com.acme.Order", &reordered).await.body["id"].as_u64().unwrap();
    assert_eq!(a, b);
    let by_id = cc(&app, Method::GET, &format!("/schemas/ids/{a}"), None).await;
    assert_eq!(by_id.body["schemaType"], "JSON");
    assert_eq!(cc(&app, Method::GET, &format!("/schemas/ids/{a}/schema"), None).await.body, order());
    let subjects = cc(&app, Method::GET, &format!("/schemas/ids/{a}/subjects"), None).await;
    assert_eq!(subjects.body, json!(["com.acme.Order", "orders-value"]));
    let versions = cc(&app, Method::GET, &format!("/schemas/ids/{a}/versions"), None).await;
    assert_eq!(
        versions.body,
        json!([{"subject": "com.acme.Order", "version": 1}, {"subject": "orders-value", "version": 1}])
    );
    assert_cc_error(&cc(&app, Method::GET, "/schemas/ids/4242", None).await, 404, 40403);
    assert_cc_error(&cc(&app, Method::GET, "/schemas/ids/abc", None).await, 404, 40403);
    // The native API shows the id of a version.
    let native = app.get("/v1/registries/default/schemas/orders-value/versions/1").await;
    assert_eq!(native.body["id"].as_u64(), Some(a));
    assert_eq!(native.body["draft"], "draft-07");
    let listed = app.get("/v1/registries/default/schemas/orders-value/versions").await;
    assert_eq!(listed.body["items"][0]["id"].as_u64(), Some(a));
}

#[test]
fn the_same_content_under_two_subjects_keeps_one_id_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let client = reqwest::blocking::Client::new();
    let post = |base: &str, subject: &str, schema: &Value| -> Value {
        let r = client
            .post(format!("{base}/ccompat/subjects/{subject}/versions"))
            .header("content-type", VND)
            .body(schema_body(schema).to_string())
            .send()
            .unwrap();
        assert!(r.status().is_success());
        r.json().unwrap()
    };
    let service = ServiceProcess::start(&data);
    let first = post(&service.base, "orders-value", &order())["id"].clone();
    let other = post(&service.base, "payments-value", &json!({"type": "integer"}))["id"].clone();
    service.kill_9();
    let service = ServiceProcess::start(&data);
    assert_eq!(post(&service.base, "com.acme.Order", &order())["id"], first);
    let by_id: Value = client
        .get(format!("{}/ccompat/schemas/ids/{other}/schema", service.base))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(by_id, json!({"type": "integer"}));
    // A new content after the restart gets a new id, never one handed out before.
    let fresh = post(&service.base, "fresh-value", &json!({"type": "boolean"}))["id"].clone();
    assert!(fresh.as_u64() > other.as_u64().max(first.as_u64()), "{fresh} {other} {first}");
    service.terminate();
}

#[tokio::test]
async fn soft_deletion_is_visible_in_the_native_model_and_skipped_by_latest_and_checks() {
    let app = spawn_app().await;
    register(&app, "orders-value", &order()).await;
    register(&app, "orders-value", &order_v2()).await;
    // Soft delete version 2: latest is 1 in both APIs; native reads still see 2, marked.
    assert_eq!(cc(&app, Method::DELETE, "/subjects/orders-value/versions/2", None).await.body, json!(2));
    assert_cc_error(&cc(&app, Method::DELETE, "/subjects/orders-value/versions/2", None).await, 404, 40406);
    assert_eq!(cc(&app, Method::GET, "/subjects/orders-value/versions", None).await.body, json!([1]));
    assert_eq!(
        cc(&app, Method::GET, "/subjects/orders-value/versions?deleted=true", None).await.body,
        json!([1, 2])
    );
    assert_eq!(
        cc(&app, Method::GET, "/subjects/orders-value/versions?deletedOnly=true", None).await.body,
        json!([2])
    );
    assert_cc_error(&cc(&app, Method::GET, "/subjects/orders-value/versions/2", None).await, 404, 40402);
    assert_eq!(
        cc(&app, Method::GET, "/subjects/orders-value/versions/2?deleted=true", None).await.body["version"],
        2
    );
    assert_eq!(
        cc(&app, Method::GET, "/subjects/orders-value/versions/latest", None).await.body["version"],
        1
    );
    let native = app.get("/v1/registries/default/schemas/orders-value/versions/2").await;
    assert_eq!(native.body["deleted"], true);
    assert_eq!(
        app.get("/v1/registries/default/schemas/orders-value/versions/latest").await.body["version"],
        1
    );
    assert_eq!(app.get("/v1/registries/default/schemas/orders-value").await.body["latestVersion"], 1);
    // Compatibility skips the soft-deleted version: a change breaking only version 2
    // (dropping `note` from a closed model would) is checked against version 1 alone.
    let closed_v2 = json!({"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"], "additionalProperties": false});
    let check = cc(
        &app,
        Method::POST,
        "/compatibility/subjects/orders-value/versions?verbose=true",
        Some(schema_body(&closed_v2)),
    )
    .await;
    assert_eq!(
        check.body["is_compatible"],
        app.post("/v1/registries/default/schemas/orders-value/compatibility", json!({"content": closed_v2}))
            .await
            .body["compatible"]
    );
    assert!(check.body["messages"].is_array(), "{}", check.body);
    // Permanent deletion needs a soft one first, and then removes the version.
    assert_cc_error(
        &cc(&app, Method::DELETE, "/subjects/orders-value/versions/1?permanent=true", None).await,
        404,
        40407,
    );
    assert_eq!(
        cc(&app, Method::DELETE, "/subjects/orders-value/versions/2?permanent=true", None).await.body,
        json!(2)
    );
    app.get("/v1/registries/default/schemas/orders-value/versions/2")
        .await
        .assert_error(404, "version_not_found");
    // Subjects: soft, then permanent.
    assert_cc_error(
        &cc(&app, Method::DELETE, "/subjects/orders-value?permanent=true", None).await,
        404,
        40405,
    );
    assert_eq!(cc(&app, Method::DELETE, "/subjects/orders-value", None).await.body, json!([1]));
    assert_cc_error(&cc(&app, Method::DELETE, "/subjects/orders-value", None).await, 404, 40404);
    assert_eq!(cc(&app, Method::GET, "/subjects", None).await.body, json!([]));
    assert_eq!(cc(&app, Method::GET, "/subjects?deleted=true", None).await.body, json!(["orders-value"]));
    assert_eq!(cc(&app, Method::GET, "/subjects?deletedOnly=true", None).await.body, json!(["orders-value"]));
    assert_cc_error(&cc(&app, Method::GET, "/subjects/orders-value/versions", None).await, 404, 40401);
    assert_eq!(
        cc(&app, Method::DELETE, "/subjects/orders-value?permanent=true", None).await.body,
        json!([1])
    );
    assert_eq!(cc(&app, Method::GET, "/subjects?deleted=true", None).await.body, json!([]));
    app.get("/v1/registries/default/schemas/orders-value").await.assert_error(404, "schema_not_found");
    assert_cc_error(&cc(&app, Method::DELETE, "/subjects/orders-value", None).await, 404, 40401);
}

#[tokio::test]
async fn references_resolve_through_the_registry_and_block_deletion() {
    let app = spawn_app().await;
    let customer =
        json!({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]});
    let cid = register(&app, "customer", &customer).await.body["id"].clone();
    let invoice = json!({"type": "object", "properties": {"customer": {"$ref": "customer.json"}}});
    let body = json!({"schemaType": "JSON", "schema": invoice.to_string(), "references": [{"name": "customer.json", "subject": "customer", "version": 1}]});
    let created = cc(&app, Method::POST, "/subjects/invoice-value/versions", Some(body.clone())).await;
    assert_eq!(created.status, 200, "{}", created.body);
    let rid = created.body["id"].clone();
    assert_ne!(rid, cid);
    let read = cc(&app, Method::GET, "/subjects/invoice-value/versions/1", None).await;
    assert_eq!(
        read.body["references"],
        json!([{"name": "customer.json", "subject": "customer", "version": 1}])
    );
    assert_eq!(
        cc(&app, Method::GET, &format!("/schemas/ids/{rid}"), None).await.body["references"][0]["name"],
        "customer.json"
    );
    assert_eq!(
        cc(&app, Method::GET, "/subjects/customer/versions/1/referencedby", None).await.body,
        json!([rid])
    );
    assert_eq!(cc(&app, Method::POST, "/subjects/invoice-value", Some(body)).await.body["id"], rid);
    // The native validator follows the reference: a customer without a name is refused.
    let bad = app
        .post("/v1/registries/default/schemas/invoice-value/versions/1/validate", json!({"customer": {}}))
        .await;
    assert_eq!(bad.body["valid"], false, "{}", bad.body);
    let good = app
        .post(
            "/v1/registries/default/schemas/invoice-value/versions/1/validate",
            json!({"customer": {"name": "Ada"}}),
        )
        .await;
    assert_eq!(good.body["valid"], true, "{}", good.body);
    // Unknown reference targets and network references are invalid schemas.
    let dangling = json!({"schemaType": "JSON", "schema": invoice.to_string(), "references": [{"name": "customer.json", "subject": "nobody", "version": 1}]});
    assert_cc_error(&cc(&app, Method::POST, "/subjects/x-value/versions", Some(dangling)).await, 422, 42201);
    let remote = json!({"properties": {"c": {"$ref": "https://example.com/customer.json"}}});
    assert_cc_error(&register(&app, "y-value", &remote).await, 422, 42201);
    // A referenced version cannot be deleted.
    assert_cc_error(&cc(&app, Method::DELETE, "/subjects/customer/versions/1", None).await, 422, 42206);
}

#[tokio::test]
async fn schemas_without_a_dialect_are_draft_07_and_named_dialects_are_kept() {
    let app = spawn_app().await;
    // Draft-07 tuple items: the second item must be an integer.
    let tuple = json!({"type": "array", "items": [{"type": "string"}, {"type": "integer"}], "additionalItems": false});
    register(&app, "tuple-value", &tuple).await;
    let native = app.get("/v1/registries/default/schemas/tuple-value/versions/1").await;
    assert_eq!(native.body["draft"], "draft-07");
    let check = |doc: Value| app.post("/v1/registries/default/schemas/tuple-value/versions/1/validate", doc);
    assert_eq!(check(json!(["a", 1])).await.body["valid"], true);
    assert_eq!(check(json!(["a", "b"])).await.body["valid"], false);
    assert_eq!(check(json!(["a", 1, 2])).await.body["valid"], false);
    let named = json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "string"});
    register(&app, "named-value", &named).await;
    assert_eq!(
        app.get("/v1/registries/default/schemas/named-value/versions/1").await.body["draft"],
        "2020-12"
    );
}

#[tokio::test]
async fn other_schema_types_and_bad_bodies_get_confluent_errors() {
    let app = spawn_app().await;
    for t in ["AVRO", "PROTOBUF"] {
        let r = cc(
            &app,
            Method::POST,
            "/subjects/a-value/versions",
            Some(json!({"schemaType": t, "schema": "{}"})),
        )
        .await;
        assert_cc_error(&r, 422, 42201);
        assert!(r.body["message"].as_str().unwrap().contains("JSON Schema"), "{}", r.body);
    }
    // Without schemaType Confluent means AVRO.
    assert_cc_error(
        &cc(&app, Method::POST, "/subjects/a-value/versions", Some(json!({"schema": "{}"}))).await,
        422,
        42201,
    );
    assert_cc_error(
        &cc(
            &app,
            Method::POST,
            "/subjects/a-value/versions",
            Some(json!({"schemaType": "JSON", "schema": "{nope"})),
        )
        .await,
        422,
        42201,
    );
    assert_cc_error(&register(&app, "a-value", &json!({"type": 12})).await, 422, 42201);
    assert_cc_error(&register(&app, "has%20space", &order()).await, 422, 42208);
    let raw = |ct: &'static str, body: &'static str| {
        app.client
            .post(format!("{}/ccompat/subjects/a-value/versions", app.base))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    assert_cc_error(&finish(raw(VND, "{not json").await.unwrap()).await, 400, 400);
    assert_cc_error(&finish(raw(VND, "{\"schema\": 5}").await.unwrap()).await, 422, 422);
    assert_cc_error(&finish(raw("text/plain", "{}").await.unwrap()).await, 415, 415);
    for ct in ["application/json", "application/vnd.schemaregistry+json", VND] {
        let body = r#"{"schemaType": "JSON", "schema": "{\"type\": \"object\"}"}"#;
        assert_eq!(finish(raw(ct, body).await.unwrap()).await.status, 200, "{ct}");
    }
}

#[tokio::test]
async fn wrong_methods_answer_405_and_unknown_paths_404_in_confluents_words() {
    let app = spawn_app().await;
    for (method, path, allow) in [
        (Method::PATCH, "/subjects", "GET"),
        (Method::GET, "/subjects/orders-value", "POST, DELETE"),
        (Method::PUT, "/subjects/orders-value/versions", "GET, POST"),
        (Method::POST, "/subjects/orders-value/versions/1/schema", "GET"),
        (Method::GET, "/compatibility/subjects/orders-value/versions/latest", "POST"),
        (Method::POST, "/config", "GET, PUT, DELETE"),
        (Method::DELETE, "/schemas/ids/1", "GET"),
        (Method::POST, "/", "GET"),
    ] {
        let r =
            app.client.request(method.clone(), format!("{}/ccompat{path}", app.base)).send().await.unwrap();
        assert_eq!(r.headers()["allow"], allow, "{method} {path}");
        let reply = finish(r).await;
        assert_eq!(
            (reply.status.as_u16(), &reply.body),
            (405, &json!({"error_code": 405, "message": "HTTP 405 Method Not Allowed"})),
            "{method} {path}"
        );
    }
    for path in ["/no/such/route", "/subjects/a/b", "/schemas/ids", "/subjects/orders-value/versions/1/other"]
    {
        let reply = cc(&app, Method::GET, path, None).await;
        assert_eq!(
            (reply.status.as_u16(), &reply.body),
            (404, &json!({"error_code": 404, "message": "HTTP 404 Not Found"})),
            "{path}"
        );
    }
    // The served methods still work.
    assert_eq!(cc(&app, Method::GET, "/subjects", None).await.status, 200);
}

#[tokio::test]
async fn every_ccompat_row_of_the_access_table_is_served() {
    // A row without its route would answer 404, a route without its row 405.
    let app = spawn_app().await;
    let rows: Vec<(&str, &str)> = schemabus::http::access::table()
        .into_iter()
        .filter(|(_, p, _)| p.starts_with("/ccompat"))
        .map(|(m, p, _)| (m, p))
        .collect();
    assert!(rows.len() >= 33, "{rows:?}");
    for (method, pattern) in rows {
        let path = pattern.replace("{subject}", "x-value").replace("{version}", "1").replace("{id}", "1");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = app.client.request(method.clone(), format!("{}{path}", app.base));
        if method == Method::POST || method == Method::PUT {
            request = request.header("content-type", VND).body("{}");
        }
        let reply = finish(request.send().await.unwrap()).await;
        assert!(
            !matches!(reply.body["error_code"].as_u64(), Some(404 | 405)),
            "{method} {pattern}: {} {}",
            reply.status,
            reply.body
        );
    }
}

#[tokio::test]
async fn wrong_methods_and_unknown_paths_need_a_valid_key_and_nothing_more() {
    let app = spawn_secure_app().await;
    let reader = app.create_key("reader", &["registry:read:elsewhere"]).await;
    let url = |p: &str| format!("{}/ccompat{p}", app.base);
    let anonymous = finish(app.client.patch(url("/subjects")).send().await.unwrap()).await;
    assert_cc_error(&anonymous, 401, 401);
    let unknown = finish(app.client.get(url("/nothing")).send().await.unwrap()).await;
    assert_cc_error(&unknown, 401, 401);
    // A key without any grant on the default registry learns only that the method is wrong.
    let patch = finish(app.client.patch(url("/subjects")).bearer_auth(&reader).send().await.unwrap()).await;
    assert_cc_error(&patch, 405, 405);
    let missing = finish(app.client.get(url("/nothing")).bearer_auth(&reader).send().await.unwrap()).await;
    assert_cc_error(&missing, 404, 404);
    // A served method is checked against the grants as before.
    let read = finish(app.client.get(url("/subjects")).bearer_auth(&reader).send().await.unwrap()).await;
    assert_cc_error(&read, 403, 40301);
}

#[tokio::test]
async fn compatibility_checks_levels_and_incompatible_registrations() {
    let app = spawn_app().await;
    // No versions yet: compatible, as Confluent answers.
    let empty =
        cc(&app, Method::POST, "/compatibility/subjects/new-value/versions", Some(schema_body(&order())))
            .await;
    assert_eq!(empty.body["is_compatible"], true);
    assert_cc_error(
        &cc(&app, Method::POST, "/compatibility/subjects/new-value/versions/1", Some(schema_body(&order())))
            .await,
        404,
        40401,
    );
    register(&app, "orders-value", &order()).await;
    let breaking = json!({"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]});
    let quiet = cc(
        &app,
        Method::POST,
        "/compatibility/subjects/orders-value/versions/latest",
        Some(schema_body(&breaking)),
    )
    .await;
    assert_eq!(quiet.body, json!({"is_compatible": false}));
    let verbose = cc(
        &app,
        Method::POST,
        "/compatibility/subjects/orders-value/versions/1?verbose=true",
        Some(schema_body(&breaking)),
    )
    .await;
    assert_eq!(verbose.body["is_compatible"], false);
    assert!(verbose.body["messages"][0].as_str().unwrap().contains("TYPE_CHANGED"), "{}", verbose.body);
    assert_cc_error(
        &cc(
            &app,
            Method::POST,
            "/compatibility/subjects/orders-value/versions/7",
            Some(schema_body(&breaking)),
        )
        .await,
        404,
        40402,
    );
    let refused = register(&app, "orders-value", &breaking).await;
    assert_cc_error(&refused, 409, 409);
    assert!(refused.body["message"].as_str().unwrap().contains("TYPE_CHANGED"), "{}", refused.body);

    // Levels: global (the default registry's), subject, defaultToGlobal, deletion.
    assert_eq!(cc(&app, Method::GET, "/config", None).await.body, json!({"compatibilityLevel": "BACKWARD"}));
    assert_cc_error(&cc(&app, Method::GET, "/config/orders-value", None).await, 404, 40408);
    assert_eq!(
        cc(&app, Method::GET, "/config/orders-value?defaultToGlobal=true", None).await.body,
        json!({"compatibilityLevel": "BACKWARD"})
    );
    assert_eq!(
        cc(&app, Method::PUT, "/config", Some(json!({"compatibility": "FULL_TRANSITIVE"}))).await.body,
        json!({"compatibility": "FULL_TRANSITIVE"})
    );
    assert_eq!(
        cc(&app, Method::GET, "/config/orders-value?defaultToGlobal=true", None).await.body,
        json!({"compatibilityLevel": "FULL_TRANSITIVE"})
    );
    assert_eq!(
        cc(&app, Method::PUT, "/config/orders-value", Some(json!({"compatibility": "NONE"}))).await.body,
        json!({"compatibility": "NONE"})
    );
    assert_eq!(
        app.get("/v1/registries/default/schemas/orders-value/config").await.body["compatibility"],
        "NONE"
    );
    assert_eq!(register(&app, "orders-value", &breaking).await.body["version"], 2);
    assert_cc_error(
        &cc(&app, Method::PUT, "/config/orders-value", Some(json!({"compatibility": "SIDEWAYS"}))).await,
        422,
        42203,
    );
    assert_cc_error(&cc(&app, Method::PUT, "/config", Some(json!({}))).await, 422, 42203);
    assert_eq!(
        cc(&app, Method::DELETE, "/config/orders-value", None).await.body,
        json!({"compatibilityLevel": "NONE"})
    );
    assert_cc_error(&cc(&app, Method::GET, "/config/orders-value", None).await, 404, 40408);
    assert_eq!(
        cc(&app, Method::DELETE, "/config", None).await.body,
        json!({"compatibilityLevel": "FULL_TRANSITIVE"})
    );
    assert_eq!(cc(&app, Method::GET, "/config", None).await.body, json!({"compatibilityLevel": "BACKWARD"}));
}

#[tokio::test]
async fn modes_guard_writes_and_import_takes_explicit_ids_and_versions() {
    let app = spawn_app().await;
    assert_eq!(cc(&app, Method::GET, "/mode", None).await.body, json!({"mode": "READWRITE"}));
    assert_cc_error(&cc(&app, Method::GET, "/mode/orders-value", None).await, 404, 40409);
    assert_eq!(
        cc(&app, Method::GET, "/mode/orders-value?defaultToGlobal=true", None).await.body,
        json!({"mode": "READWRITE"})
    );
    assert_cc_error(&cc(&app, Method::PUT, "/mode", Some(json!({"mode": "SIDEWAYS"}))).await, 422, 42204);
    // An explicit id outside IMPORT is not permitted.
    let with_id = json!({"schemaType": "JSON", "schema": order().to_string(), "id": 100, "version": 5});
    assert_cc_error(
        &cc(&app, Method::POST, "/subjects/orders-value/versions", Some(with_id.clone())).await,
        422,
        42205,
    );
    assert_eq!(
        cc(&app, Method::PUT, "/mode", Some(json!({"mode": "IMPORT"}))).await.body,
        json!({"mode": "IMPORT"})
    );
    let imported = cc(&app, Method::POST, "/subjects/orders-value/versions", Some(with_id)).await;
    assert_eq!(imported.body, json!({"id": 100, "version": 5}));
    // The id means this content now: other content cannot take it.
    let taken = json!({"schemaType": "JSON", "schema": "{\"type\": \"string\"}", "id": 100, "version": 6});
    assert_cc_error(
        &cc(&app, Method::POST, "/subjects/orders-value/versions", Some(taken)).await,
        422,
        42207,
    );
    assert_eq!(cc(&app, Method::GET, "/subjects/orders-value/versions/5", None).await.body["id"], 100);
    assert_eq!(
        cc(&app, Method::PUT, "/mode", Some(json!({"mode": "READWRITE"}))).await.body["mode"],
        "READWRITE"
    );
    // Ids handed out later never collide with imported ones.
    let next = register(&app, "next-value", &json!({"type": "boolean"})).await;
    assert!(next.body["id"].as_u64().unwrap() > 100, "{}", next.body);
    // IMPORT over existing subjects needs force.
    assert_cc_error(&cc(&app, Method::PUT, "/mode", Some(json!({"mode": "IMPORT"}))).await, 422, 42205);
    assert_eq!(
        cc(&app, Method::PUT, "/mode?force=true", Some(json!({"mode": "IMPORT"}))).await.body["mode"],
        "IMPORT"
    );
    assert_eq!(
        cc(&app, Method::PUT, "/mode", Some(json!({"mode": "READWRITE"}))).await.body["mode"],
        "READWRITE"
    );
    // READONLY on one subject refuses its writes only.
    assert_eq!(
        cc(&app, Method::PUT, "/mode/orders-value", Some(json!({"mode": "READONLY"}))).await.body["mode"],
        "READONLY"
    );
    assert_eq!(cc(&app, Method::GET, "/mode/orders-value", None).await.body["mode"], "READONLY");
    assert_cc_error(&register(&app, "orders-value", &order_v2()).await, 422, 42205);
    assert_cc_error(&cc(&app, Method::DELETE, "/subjects/orders-value", None).await, 422, 42205);
    assert_eq!(register(&app, "free-value", &order_v2()).await.status, 200);
    assert_eq!(cc(&app, Method::DELETE, "/mode/orders-value", None).await.body["mode"], "READONLY");
    assert_cc_error(&cc(&app, Method::DELETE, "/mode/orders-value", None).await, 404, 40409);
    assert_eq!(register(&app, "orders-value", &order()).await.body, json!({"id": 100, "version": 5}));
}

#[tokio::test]
async fn deleting_the_global_mode_answers_the_old_one_and_keeps_subject_modes() {
    let app = spawn_app().await;
    // Nothing set: the default is answered and stays.
    assert_eq!(cc(&app, Method::DELETE, "/mode", None).await.body, json!({"mode": "READWRITE"}));
    assert_eq!(
        cc(&app, Method::PUT, "/mode", Some(json!({"mode": "READONLY"}))).await.body["mode"],
        "READONLY"
    );
    assert_eq!(
        cc(&app, Method::PUT, "/mode/pinned-value", Some(json!({"mode": "IMPORT"}))).await.body["mode"],
        "IMPORT"
    );
    assert_cc_error(&register(&app, "orders-value", &order()).await, 422, 42205);
    assert_eq!(cc(&app, Method::DELETE, "/mode", None).await.body, json!({"mode": "READONLY"}));
    assert_eq!(cc(&app, Method::GET, "/mode", None).await.body, json!({"mode": "READWRITE"}));
    assert_eq!(register(&app, "orders-value", &order()).await.status, 200);
    // A subject's own mode is not the global one and survives.
    assert_eq!(cc(&app, Method::GET, "/mode/pinned-value", None).await.body, json!({"mode": "IMPORT"}));
    assert_eq!(cc(&app, Method::DELETE, "/mode", None).await.body, json!({"mode": "READWRITE"}));
    assert_eq!(cc(&app, Method::DELETE, "/mode/pinned-value", None).await.body, json!({"mode": "IMPORT"}));
    assert_cc_error(&cc(&app, Method::GET, "/mode/pinned-value", None).await, 404, 40409);
}

#[tokio::test]
async fn contexts_map_onto_other_registries() {
    let app = spawn_app().await;
    let plain = register(&app, "orders-value", &order()).await.body["id"].clone();
    let staged = register(&app, ":.staging:orders-value", &order()).await;
    assert_eq!(staged.status, 200, "{}", staged.body);
    assert_eq!(staged.body["id"], plain);
    assert_eq!(app.get("/v1/registries/staging/schemas/orders-value/versions/1").await.status, 200);
    let encoded = cc(&app, Method::GET, "/subjects/%3A.staging%3Aorders-value/versions/latest", None).await;
    assert_eq!(encoded.body["subject"], ":.staging:orders-value");
    assert_eq!(cc(&app, Method::GET, "/subjects", None).await.body, json!(["orders-value"]));
    assert_eq!(
        cc(&app, Method::GET, "/subjects?subjectPrefix=:.staging:", None).await.body,
        json!([":.staging:orders-value"])
    );
    let ids = cc(&app, Method::GET, &format!("/schemas/ids/{plain}/subjects?subject=:.staging:"), None).await;
    assert_eq!(ids.body, json!([":.staging:orders-value"]));
    assert_cc_error(
        &cc(&app, Method::GET, "/subjects/:.nowhere:orders-value/versions", None).await,
        404,
        40401,
    );
}

#[tokio::test]
async fn keys_work_as_basic_or_bearer_with_the_native_grants() {
    let app = spawn_secure_app().await;
    let reader = app.create_key("reader", &["registry:read:default"]).await;
    let writer = app.create_key("writer", &["registry:write:default"]).await;
    let staging = app.create_key("staging", &["registry:write:staging"]).await;
    let url = |p: &str| format!("{}/ccompat{p}", app.base);
    let none = finish(app.client.get(url("/subjects")).send().await.unwrap()).await;
    assert_cc_error(&none, 401, 401);
    let wrong =
        finish(app.client.get(url("/subjects")).basic_auth("u", Some("sb_wrong")).send().await.unwrap())
            .await;
    assert_cc_error(&wrong, 401, 401);
    let post = |key: &str, subject: &str| {
        app.client
            .post(url(&format!("/subjects/{subject}/versions")))
            .basic_auth("any-user", Some(key))
            .header("content-type", VND)
            .body(schema_body(&order()).to_string())
            .send()
    };
    assert_eq!(finish(post(&writer, "orders-value").await.unwrap()).await.status, 200);
    assert_cc_error(&finish(post(&reader, "orders-value").await.unwrap()).await, 403, 40301);
    assert_cc_error(&finish(post(&staging, "orders-value").await.unwrap()).await, 403, 40301);
    assert_eq!(finish(post(&staging, ":.staging:orders-value").await.unwrap()).await.status, 200);
    let read = finish(app.client.get(url("/subjects")).bearer_auth(&reader).send().await.unwrap()).await;
    assert_eq!(read.body, json!(["orders-value"]));
    let basic_read =
        finish(app.client.get(url("/schemas/ids/1")).basic_auth("x", Some(&reader)).send().await.unwrap())
            .await;
    assert_eq!(basic_read.status, 200);
    // A key for another registry cannot read the default one's ids.
    let other =
        finish(app.client.get(url("/schemas/ids/1")).bearer_auth(&staging).send().await.unwrap()).await;
    assert_cc_error(&other, 403, 40301);
    let config = finish(
        app.client
            .put(url("/config"))
            .bearer_auth(&reader)
            .header("content-type", VND)
            .body(r#"{"compatibility":"NONE"}"#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_cc_error(&config, 403, 40301);
    let admin = finish(app.client.get(url("/")).basic_auth("admin", Some(ADMIN)).send().await.unwrap()).await;
    assert_eq!(admin.status, 200);
    // Basic is for Confluent clients: the native API still wants Bearer.
    let native = app
        .client
        .get(format!("{}/v1/registries", app.base))
        .basic_auth("u", Some(ADMIN))
        .send()
        .await
        .unwrap();
    assert_eq!(native.status(), 401);
}
