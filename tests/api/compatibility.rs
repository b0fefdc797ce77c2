use serde_json::json;

use crate::helpers::spawn_app;

fn order(extra: serde_json::Value) -> serde_json::Value {
    let mut schema = json!({
        "type": "object",
        "properties": {"orderId": {"type": "string"}, "total": {"type": "number"}},
        "required": ["orderId"]
    });
    if let (Some(props), Some(more)) = (schema["properties"].as_object_mut(), extra.as_object()) {
        props.extend(more.clone());
    }
    schema
}

#[tokio::test]
async fn backward_is_the_default_and_a_breaking_version_is_refused_and_not_stored() {
    let app = spawn_app().await;
    app.create_registry("shop").await;
    let config = app.get("/v1/registries/shop/schemas/orders@OrderPlaced/config").await;
    assert_eq!(config.body, json!({"compatibility": "BACKWARD", "policy": "STRICT", "source": "default"}));

    assert_eq!(app.register("shop", "orders@OrderPlaced", order(json!({}))).await.status, 201);
    // Narrowing a type breaks readers of old events.
    let breaking =
        app.register("shop", "orders@OrderPlaced", order(json!({"total": {"type": "integer"}}))).await;
    let body = breaking.assert_error(409, "incompatible_schema");
    assert_eq!(body["details"]["compatibility"], "BACKWARD");
    assert_eq!(body["details"]["checkedAgainst"], json!([1]));
    let findings = body["details"]["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["type"] == "TYPE_NARROWED" && f["path"] == "#/properties/total/type"),
        "{findings:?}"
    );
    assert!(findings.iter().all(|f| f["compatible"] == false));
    let schema = app.get("/v1/registries/shop/schemas/orders@OrderPlaced").await;
    assert_eq!(schema.body["latestVersion"], 1, "nothing was stored");

    // Adding an optional field to an open model is not backward compatible under STRICT
    // (old events may carry that field with another type), but is under LENIENT.
    let optional = order(json!({"coupon": {"type": "string"}}));
    app.register("shop", "orders@OrderPlaced", optional.clone())
        .await
        .assert_error(409, "incompatible_schema");
    let set = app
        .send(
            reqwest::Method::PUT,
            "/v1/registries/shop/schemas/orders@OrderPlaced/config",
            Some(json!({"compatibility": "BACKWARD", "policy": "LENIENT"})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.body["source"], "schema");
    assert_eq!(app.register("shop", "orders@OrderPlaced", optional).await.status, 201);
}

#[tokio::test]
async fn registry_defaults_apply_until_a_schema_overrides_them() {
    let app = spawn_app().await;
    app.create_registry("shop").await;
    let put = |path: &'static str, body: serde_json::Value| app.send(reqwest::Method::PUT, path, Some(body));
    let set = put("/v1/registries/shop/config", json!({"compatibility": "NONE"})).await;
    assert_eq!(set.body, json!({"compatibility": "NONE", "policy": "STRICT", "source": "registry"}));
    app.register("shop", "s", json!({"type": "string"})).await;
    assert_eq!(
        app.register("shop", "s", json!({"type": "integer"})).await.status,
        201,
        "NONE lets anything in"
    );
    put("/v1/registries/shop/schemas/s/config", json!({"compatibility": "FULL_TRANSITIVE"})).await;
    let effective = app.get("/v1/registries/shop/schemas/s/config").await;
    assert_eq!(effective.body["compatibility"], "FULL_TRANSITIVE");
    assert_eq!(app.get("/v1/registries/shop/config").await.body["compatibility"], "NONE");
    put("/v1/registries/shop/config", json!({"compatibility": "SIDEWAYS"}))
        .await
        .assert_error(400, "invalid_request");
    put("/v1/registries/nope/config", json!({"compatibility": "NONE"}))
        .await
        .assert_error(404, "registry_not_found");
    // discovered-schemas never refuses discovery's versions.
    assert_eq!(app.get("/v1/registries/discovered-schemas/config").await.body["compatibility"], "NONE");
}

#[tokio::test]
async fn the_check_endpoint_explains_without_storing_and_transitive_modes_check_every_version() {
    let app = spawn_app().await;
    app.create_registry("shop").await;
    app.send(reqwest::Method::PUT, "/v1/registries/shop/config", Some(json!({"compatibility": "NONE"})))
        .await;
    app.register(
        "shop",
        "s",
        json!({"type": "object", "properties": {"a": {"type": "string", "maxLength": 5}}}),
    )
    .await;
    app.register(
        "shop",
        "s",
        json!({"type": "object", "properties": {"a": {"type": "string", "maxLength": 20}}}),
    )
    .await;
    let candidate = json!({"type": "object", "properties": {"a": {"type": "string", "maxLength": 10}}});

    let latest_only = app
        .post(
            "/v1/registries/shop/schemas/s/compatibility",
            json!({"content": candidate, "compatibility": "BACKWARD"}),
        )
        .await;
    assert_eq!(latest_only.status, 200);
    assert_eq!(latest_only.body["compatible"], false);
    assert_eq!(latest_only.body["checkedAgainst"], json!([2]));
    assert!(
        latest_only.body["findings"].as_array().unwrap().iter().any(|f| f["type"] == "MAX_LENGTH_DECREASED")
    );

    let forward = app
        .post(
            "/v1/registries/shop/schemas/s/compatibility",
            json!({"content": candidate, "compatibility": "FORWARD_TRANSITIVE"}),
        )
        .await;
    assert_eq!(forward.body["compatible"], false, "v1 readers (maxLength 5) cannot read maxLength 10");
    assert_eq!(forward.body["checkedAgainst"], json!([2, 1]));

    let none_stored = app.get("/v1/registries/shop/schemas/s").await;
    assert_eq!(none_stored.body["versionCount"], 2);
    app.post("/v1/registries/shop/schemas/s/compatibility", json!({"content": {"type": "nope"}}))
        .await
        .assert_error(422, "invalid_schema");
    let fresh =
        app.post("/v1/registries/shop/schemas/new/compatibility", json!({"content": candidate})).await;
    assert_eq!(fresh.body["compatible"], true);
    assert_eq!(fresh.body["checkedAgainst"], json!([]));
}

#[tokio::test]
async fn the_diff_lists_every_change_with_both_verdicts() {
    let app = spawn_app().await;
    app.create_registry("shop").await;
    app.send(reqwest::Method::PUT, "/v1/registries/shop/config", Some(json!({"compatibility": "NONE"})))
        .await;
    app.register("shop", "s", order(json!({}))).await;
    app.register("shop", "s", json!({"type": "object", "properties": {"orderId": {"type": "string"}, "total": {"type": "integer"}}, "required": ["orderId", "total"]})).await;
    let diff = app.get("/v1/registries/shop/schemas/s/diff?from=1&to=latest").await;
    assert_eq!(diff.status, 200, "{}", diff.body);
    assert_eq!(diff.body["from"], 1);
    assert_eq!(diff.body["to"], 2);
    assert_eq!(diff.body["backwardCompatible"], false);
    let types: Vec<&str> =
        diff.body["changes"].as_array().unwrap().iter().map(|c| c["type"].as_str().unwrap()).collect();
    assert!(types.contains(&"REQUIRED_ATTRIBUTE_ADDED") && types.contains(&"TYPE_NARROWED"), "{types:?}");
    assert!(diff.body["summary"].as_str().unwrap().contains("version 1 to 2"));
    for change in diff.body["changes"].as_array().unwrap() {
        assert!(change["backwardCompatible"].is_boolean() && change["forwardCompatible"].is_boolean());
        assert!(!change["message"].as_str().unwrap().is_empty());
    }
    let same = app.get("/v1/registries/shop/schemas/s/diff?from=2&to=2").await;
    assert_eq!(same.body["changes"], json!([]));
    app.get("/v1/registries/shop/schemas/s/diff?from=1&to=9").await.assert_error(404, "version_not_found");
    app.get("/v1/registries/shop/schemas/s/diff?from=1&to=2&policy=LOOSE")
        .await
        .assert_error(400, "invalid_parameter");
    app.get("/v1/registries/shop/schemas/s/diff?from=1").await.assert_error(400, "invalid_parameter");
}
