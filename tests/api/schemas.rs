use serde_json::json;

use crate::helpers::spawn_app;

const ORDER_V1: &str =
    r#"{"type": "object", "properties": {"orderId": {"type": "string"}}, "required": ["orderId"]}"#;

fn order_v1() -> serde_json::Value {
    serde_json::from_str(ORDER_V1).unwrap()
}

#[tokio::test]
async fn versions_start_at_one_and_identical_content_creates_nothing() {
    let app = spawn_app().await;
    app.create_unchecked_registry("shop").await;
    let first = app.register("shop", "orders.service@OrderPlaced", order_v1()).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["version"], 1);
    assert_eq!(first.body["registry"], "shop");
    assert_eq!(first.body["schema"], "orders.service@OrderPlaced");
    assert!(first.body["fingerprint"].as_str().unwrap().starts_with("sha256:"));

    // Same content, other key order and whitespace, sent as a string: no new version.
    let reordered = r#"{ "required": ["orderId"],
        "properties": {"orderId": {"type": "string"}}, "type": "object" }"#;
    let same = app
        .post(
            "/v1/registries/shop/schemas/orders.service@OrderPlaced/versions",
            json!({"content": reordered}),
        )
        .await;
    assert_eq!(same.status, 200);
    assert_eq!(same.body["version"], 1);
    assert_eq!(same.body["fingerprint"], first.body["fingerprint"]);

    let second = app.register("shop", "orders.service@OrderPlaced", json!({"type": "object"})).await;
    assert_eq!(second.status, 201);
    assert_eq!(second.body["version"], 2);

    // Content of an older version is a rollback: a new version.
    let rollback = app.register("shop", "orders.service@OrderPlaced", order_v1()).await;
    assert_eq!(rollback.status, 201);
    assert_eq!(rollback.body["version"], 3);
    assert_eq!(rollback.body["fingerprint"], first.body["fingerprint"]);
}

#[tokio::test]
async fn versions_are_read_by_number_or_latest_and_keep_their_content() {
    let app = spawn_app().await;
    app.create_unchecked_registry("shop").await;
    app.post(
        "/v1/registries/shop/schemas/orders@OrderPlaced/versions",
        json!({"content": order_v1(), "description": "first cut"}),
    )
    .await;
    app.register("shop", "orders@OrderPlaced", json!({"type": "object", "title": "v2"})).await;

    let v1 = app.get("/v1/registries/shop/schemas/orders@OrderPlaced/versions/1").await;
    assert_eq!(v1.status, 200);
    assert_eq!(v1.body["content"], order_v1());
    assert_eq!(v1.body["description"], "first cut");
    assert_eq!(v1.body["draft"], "2020-12");

    let latest = app.get("/v1/registries/shop/schemas/orders@OrderPlaced/versions/latest").await;
    assert_eq!(latest.body["version"], 2);
    assert_eq!(latest.body["content"]["title"], "v2");

    let list = app.get("/v1/registries/shop/schemas/orders@OrderPlaced/versions").await;
    let numbers: Vec<u64> =
        list.body["items"].as_array().unwrap().iter().map(|v| v["version"].as_u64().unwrap()).collect();
    assert_eq!(numbers, [1, 2]);

    let schema = app.get("/v1/registries/shop/schemas/orders@OrderPlaced").await;
    assert_eq!(schema.body["latestVersion"], 2);
    assert_eq!(schema.body["versionCount"], 2);
    assert!(schema.body["createdAt"].is_string() && schema.body["updatedAt"].is_string());

    app.get("/v1/registries/shop/schemas/orders@OrderPlaced/versions/9")
        .await
        .assert_error(404, "version_not_found");
    app.get("/v1/registries/shop/schemas/orders@OrderPlaced/versions/0")
        .await
        .assert_error(400, "invalid_parameter");
    app.get("/v1/registries/shop/schemas/orders@OrderPlaced/versions/first")
        .await
        .assert_error(400, "invalid_parameter");
    app.get("/v1/registries/shop/schemas/nope/versions/1").await.assert_error(404, "schema_not_found");
    app.get("/v1/registries/nope/schemas/x/versions/1").await.assert_error(404, "registry_not_found");
    app.register("nope", "x", json!({})).await.assert_error(404, "registry_not_found");
}

#[tokio::test]
async fn deleted_version_numbers_are_never_reused() {
    let app = spawn_app().await;
    app.create_unchecked_registry("shop").await;
    app.register("shop", "s", json!({"title": "1"})).await;
    app.register("shop", "s", json!({"title": "2"})).await;
    assert_eq!(app.delete("/v1/registries/shop/schemas/s/versions/latest").await.status, 204);
    let schema = app.get("/v1/registries/shop/schemas/s").await;
    assert_eq!(schema.body["latestVersion"], 1);
    assert_eq!(schema.body["versionCount"], 1);
    let next = app.register("shop", "s", json!({"title": "3"})).await;
    assert_eq!(next.body["version"], 3);
    app.get("/v1/registries/shop/schemas/s/versions/2").await.assert_error(404, "version_not_found");

    assert_eq!(app.delete("/v1/registries/shop/schemas/s").await.status, 204);
    app.get("/v1/registries/shop/schemas/s").await.assert_error(404, "schema_not_found");
    let recreated = app.register("shop", "s", json!({"title": "again"})).await;
    assert_eq!(recreated.body["version"], 4);
}

#[tokio::test]
async fn schema_metadata_is_listed_edited_and_paged() {
    let app = spawn_app().await;
    app.create_registry("shop").await;
    for name in ["orders@OrderPlaced", "orders@OrderShipped", "payments@PaymentTaken"] {
        app.register("shop", name, json!({"type": "object"})).await;
    }
    let page = app.get("/v1/registries/shop/schemas?prefix=orders@&limit=1").await;
    assert_eq!(page.body["items"][0]["name"], "orders@OrderPlaced");
    let cursor = page.body["nextCursor"].as_str().unwrap();
    let page2 = app.get(&format!("/v1/registries/shop/schemas?prefix=orders@&limit=1&cursor={cursor}")).await;
    assert_eq!(page2.body["items"][0]["name"], "orders@OrderShipped");
    assert!(page2.body.get("nextCursor").is_none());

    let patched = app
        .patch(
            "/v1/registries/shop/schemas/orders@OrderPlaced",
            json!({"description": "An order was placed", "tags": {"pii": "no"}}),
        )
        .await;
    assert_eq!(patched.status, 200);
    assert_eq!(patched.body["description"], "An order was placed");
    assert_eq!(patched.body["latestVersion"], 1, "metadata edits create no version");
    app.patch("/v1/registries/shop/schemas/nope", json!({})).await.assert_error(404, "schema_not_found");
    app.patch("/v1/registries/shop/schemas/orders@OrderPlaced", json!({"tags": "x"}))
        .await
        .assert_error(400, "invalid_request");
}

#[tokio::test]
async fn invalid_schemas_are_refused_with_a_pointer_and_nothing_is_stored() {
    let app = spawn_app().await;
    app.create_registry("shop").await;
    let bad_type = app.register("shop", "s", json!({"properties": {"n": {"type": "integr"}}})).await;
    bad_type.assert_error(422, "invalid_schema");
    assert_eq!(bad_type.body["details"]["pointer"], "/properties/n/type");

    let bad_draft = app.register("shop", "s", json!({"$schema": "https://example.com/my-draft"})).await;
    bad_draft.assert_error(422, "invalid_schema");
    assert_eq!(bad_draft.body["details"]["pointer"], "/$schema");

    app.register("shop", "s", json!([1, 2])).await.assert_error(422, "invalid_schema");
    app.register("shop", "s", json!("not json {")).await.assert_error(422, "invalid_schema");

    let unsafe_pattern =
        app.register("shop", "s", json!({"properties": {"code": {"pattern": "^(a+)\\1$"}}})).await;
    unsafe_pattern.assert_error(422, "unsafe_pattern");
    assert_eq!(unsafe_pattern.body["details"]["pointer"], "/properties/code/pattern");

    app.get("/v1/registries/shop/schemas/s").await.assert_error(404, "schema_not_found");
}

#[tokio::test]
async fn every_supported_draft_registers_and_is_interpreted_by_its_own_rules() {
    let app = spawn_app().await;
    app.create_registry("shop").await;
    // Draft 4's boolean exclusiveMaximum is invalid in 2020-12, and vice versa.
    let d4 = json!({"$schema": "http://json-schema.org/draft-04/schema#", "type": "number", "maximum": 10, "exclusiveMaximum": true});
    let reply = app.register("shop", "d4", d4).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let verdict = app.post("/v1/registries/shop/schemas/d4/versions/1/validate", json!(10)).await;
    assert_eq!(verdict.body["valid"], false);
    app.register("shop", "d2020", json!({"maximum": 10, "exclusiveMaximum": true}))
        .await
        .assert_error(422, "invalid_schema");
    for (name, uri) in [
        ("d6", "http://json-schema.org/draft-06/schema#"),
        ("d7", "http://json-schema.org/draft-07/schema#"),
        ("d2019", "https://json-schema.org/draft/2019-09/schema"),
        ("d2020", "https://json-schema.org/draft/2020-12/schema"),
    ] {
        let reply = app.register("shop", name, json!({"$schema": uri, "type": "object"})).await;
        assert_eq!(reply.status, 201, "{name}: {}", reply.body);
    }
    let d7 = app.get("/v1/registries/shop/schemas/d7/versions/1").await;
    assert_eq!(d7.body["draft"], "draft-07");
}

#[tokio::test]
async fn references_resolve_from_our_own_storage_only() {
    let app = spawn_app().await;
    app.create_registry("shop").await;
    app.create_registry("common").await;
    let money = json!({"type": "object", "properties": {"amount": {"type": "string", "pattern": "^[0-9]+$"}}, "required": ["amount"]});
    app.register("common", "Money", money).await;
    let order = json!({
        "type": "object",
        "properties": {
            "total": {"$ref": "https://schemabus.invalid/registries/common/schemas/Money/versions/1"},
            "fee": {"$ref": "../../Other/versions/1"}
        }
    });
    // The relative reference points at a version that does not exist yet.
    let missing = app.register("shop", "Order", order.clone()).await;
    missing.assert_error(422, "unresolvable_ref");
    assert_eq!(missing.body["details"]["pointer"], "/properties/fee/$ref");

    app.register("shop", "Other", json!({"type": "integer"})).await;
    let ok = app.register("shop", "Order", order).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    let stored = app.get("/v1/registries/shop/schemas/Order/versions/1").await;
    assert_eq!(
        stored.body["references"],
        json!([
            "https://schemabus.invalid/registries/common/schemas/Money/versions/1",
            "https://schemabus.invalid/registries/shop/schemas/Other/versions/1"
        ])
    );

    // Validation follows the references.
    let bad = app
        .post(
            "/v1/registries/shop/schemas/Order/versions/1/validate",
            json!({"total": {"amount": "12.5"}, "fee": "x"}),
        )
        .await;
    assert_eq!(bad.body["valid"], false);
    let paths: Vec<&str> =
        bad.body["errors"].as_array().unwrap().iter().map(|e| e["instancePath"].as_str().unwrap()).collect();
    assert_eq!(paths, ["/fee", "/total/amount"]);

    // Foreign locations are never fetched.
    for foreign in
        ["http://169.254.169.254/latest/meta-data", "file:///etc/passwd", "https://example.com/s.json"]
    {
        let reply = app.register("shop", "Evil", json!({"$ref": foreign})).await;
        reply.assert_error(422, "unresolvable_ref");
        assert_eq!(reply.body["details"]["pointer"], "/$ref");
    }

    // A referenced version cannot be deleted, nor its schema or registry.
    app.delete("/v1/registries/common/schemas/Money/versions/1").await.assert_error(409, "schema_referenced");
    app.delete("/v1/registries/common/schemas/Money").await.assert_error(409, "schema_referenced");
    app.delete("/v1/registries/common?force=true").await.assert_error(409, "schema_referenced");
    // Once the referrer is gone, it can.
    assert_eq!(app.delete("/v1/registries/shop/schemas/Order/versions/1").await.status, 204);
    assert_eq!(app.delete("/v1/registries/common/schemas/Money/versions/1").await.status, 204);
}

#[tokio::test]
async fn search_finds_words_in_names_descriptions_and_content_and_names_the_versions() {
    let app = spawn_app().await;
    app.create_unchecked_registry("shop").await;
    app.create_registry("hr").await;
    app.register("shop", "orders@OrderPlaced", json!({"properties": {"orderId": {"type": "string"}}})).await;
    app.register(
        "shop",
        "orders@OrderPlaced",
        json!({"properties": {"orderId": {"type": "string"}, "couponCode": {"type": "string"}}}),
    )
    .await;
    app.register("hr", "people@Hired", json!({"properties": {"employeeId": {"type": "string"}}})).await;
    app.patch("/v1/registries/hr/schemas/people@Hired", json!({"description": "Someone joined the company"}))
        .await;

    let coupon = app.get("/v1/search?q=COUPONCODE").await;
    let hits = coupon.body["items"].as_array().unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["schema"], "orders@OrderPlaced");
    assert_eq!(hits[0]["versions"], json!([2]));
    assert_eq!(hits[0]["matchedIn"], json!(["content"]));

    let both = app.get("/v1/search?q=orders%20orderId").await;
    assert_eq!(both.body["items"][0]["versions"], json!([1, 2]));

    let described = app.get("/v1/search?q=joined").await;
    assert_eq!(described.body["items"][0]["schema"], "people@Hired");
    assert_eq!(described.body["items"][0]["matchedIn"], json!(["description"]));

    let scoped = app.get("/v1/search?q=id&registry=hr").await;
    assert_eq!(scoped.body["items"].as_array().unwrap().len(), 1);
    app.get("/v1/search?q=x&registry=nope").await.assert_error(404, "registry_not_found");
    app.get("/v1/search").await.assert_error(400, "invalid_parameter");
    assert_eq!(app.get("/v1/search?q=nothing-like-this").await.body["items"], json!([]));
}
