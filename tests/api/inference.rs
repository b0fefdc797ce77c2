use serde_json::json;

use crate::helpers::spawn_app;

fn placed(id: &str, total: serde_json::Value) -> serde_json::Value {
    json!({"version": "0", "id": id, "source": "orders", "detail-type": "Order Placed", "account": "1",
           "time": "2026-11-23T10:00:00Z", "region": "local", "resources": [],
           "detail": {"orderId": id, "total": total, "placedAt": "2026-11-23T10:00:00Z"}})
}

#[tokio::test]
async fn envelopes_are_inferred_per_event_type_from_their_detail() {
    let app = spawn_app().await;
    let reply = app
        .post(
            "/v1/infer",
            // minRequired 1: two samples are enough for `required` and `format` here.
            json!({"events": [placed("6f1c2a3e-8b9d-4c1e-9f2a-1b2c3d4e5f60", json!(10)), placed("7f1c2a3e-8b9d-4c1e-9f2a-1b2c3d4e5f61", json!(12.5))],
                   "minRequired": 1, "nulls": "observed"}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["name"], "orders@OrderPlaced");
    let schema = &reply.body["schema"];
    assert_eq!(schema["properties"]["total"]["type"], "number");
    assert_eq!(schema["properties"]["placedAt"]["format"], "date-time");
    assert_eq!(schema["properties"]["orderId"]["format"], "uuid");
    assert!(schema["required"].as_array().unwrap().contains(&json!("orderId")));
    assert_eq!(reply.body["stats"]["documents"], 2);

    // The inferred schema registers as a version and accepts its samples.
    app.create_registry("shop").await;
    assert_eq!(app.register("shop", "orders@OrderPlaced", schema.clone()).await.status, 201);
    let verdict = app
        .post(
            "/v1/registries/shop/schemas/orders@OrderPlaced/versions/1/validate",
            placed("6f1c2a3e-8b9d-4c1e-9f2a-1b2c3d4e5f60", json!(3))["detail"].clone(),
        )
        .await;
    assert_eq!(verdict.body["valid"], true, "{}", verdict.body);
}

#[tokio::test]
async fn mixed_types_and_bare_documents_are_listed_separately() {
    let app = spawn_app().await;
    let reply = app.post("/v1/infer", json!({"events": [placed("a", json!(1)), {"bare": true}]})).await;
    assert!(reply.body.get("schema").is_none());
    assert!(reply.body["schemas"]["orders@OrderPlaced"].is_object());
    assert!(reply.body["schemas"]["untyped"].is_object());
    assert_eq!(reply.body["stats"]["untyped"], 1);
    app.post("/v1/infer", json!({"events": []})).await.assert_error(400, "invalid_request");
}

#[tokio::test]
async fn min_required_and_null_policy_widen_only_what_evidence_does_not_establish() {
    let app = spawn_app().await;
    let events = json!([{"id": "a", "note": "x", "n": 1}, {"id": "b", "note": "y", "n": 2}]);
    let reply = app.post("/v1/infer", json!({"events": events, "minRequired": 3, "nulls": "scalars"})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let schema = &reply.body["schema"];
    // Present in 2 of 2 samples, 3 needed: optional, with the evidence so far.
    assert!(schema.get("required").is_none(), "{schema}");
    assert_eq!(
        schema["properties"]["id"]["x-schemabus-optional"],
        json!({"reason": "evidence", "present": 2, "needed": 3})
    );
    // An unseen null is accepted at a string leaf; a number where strings were seen is not.
    assert_eq!(schema["properties"]["note"]["type"], json!(["null", "string"]));
    assert_eq!(schema["properties"]["note"]["x-schemabus-nullable"], "scalars");
    app.create_registry("t").await;
    assert_eq!(app.register("t", "Note", schema.clone()).await.status, 201);
    let validate =
        |doc: serde_json::Value| app.post("/v1/registries/t/schemas/Note/versions/1/validate", doc);
    assert_eq!(validate(json!({"note": null})).await.body["valid"], true);
    assert_eq!(validate(json!({"note": 5})).await.body["valid"], false);

    // The defaults (measured, docs/INFERENCE.md): 4 distinct samples, every property nullable.
    let reply = app.post("/v1/infer", json!({"events": events})).await;
    assert!(reply.body["schema"].get("required").is_none(), "{}", reply.body);
    assert_eq!(reply.body["schema"]["properties"]["id"]["x-schemabus-optional"]["needed"], 4);
    assert_eq!(reply.body["schema"]["properties"]["n"]["x-schemabus-nullable"], "all");
    // Exactly what the samples show: present in every sample is required, no unseen null.
    let reply = app.post("/v1/infer", json!({"events": events, "minRequired": 1, "nulls": "observed"})).await;
    assert_eq!(reply.body["schema"]["required"], json!(["id", "n", "note"]));
    assert_eq!(reply.body["schema"]["properties"]["note"]["type"], "string");
    app.post("/v1/infer", json!({"events": events, "minRequired": 17}))
        .await
        .assert_error(400, "invalid_request");

    app.post("/v1/infer", json!({"events": events, "minRequired": 0}))
        .await
        .assert_error(400, "invalid_request");
    let bad = app.post("/v1/infer", json!({"events": events, "nulls": "sometimes"})).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(bad.assert_error(400, "invalid_request")["details"]["pointer"], "/nulls", "{}", bad.body);
}

#[tokio::test]
async fn registry_knowledge_lends_nullable_optional_and_map_facts_of_same_named_structures() {
    let app = spawn_app().await;
    app.create_registry("gh").await;
    let push = json!({"type": "object", "properties": {
        "repository": {"type": "object", "required": ["id", "name"], "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"},
            "homepage": {"type": ["null", "string"]}, "topics": {"type": "array"}}},
        "labels": {"type": "object", "additionalProperties": {"type": "integer"}}}});
    assert_eq!(app.register("gh", "Push", push).await.status, 201);
    let events = json!([
        {"repository": {"id": 1, "name": "a", "homepage": "https://a.example", "topics": []}, "labels": {"bug": 1}},
        {"repository": {"id": 2, "name": "b", "homepage": "https://b.example", "topics": []}, "labels": {"bug": 2}}
    ]);
    let exact = json!({"events": events, "minRequired": 1, "nulls": "observed"});
    let without = app.post("/v1/infer", exact.clone()).await;
    assert_eq!(without.status, 200, "{}", without.body);
    let repo = &without.body["schema"]["properties"]["repository"];
    assert_eq!(repo["properties"]["homepage"]["type"], "string");
    assert_eq!(repo["required"], json!(["homepage", "id", "name", "topics"]));

    let mut with = exact.clone();
    with["registry"] = json!("gh");
    let reply = app.post("/v1/infer", with).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let schema = &reply.body["schema"];
    let repo = &schema["properties"]["repository"];
    assert_eq!(repo["properties"]["homepage"]["type"], json!(["null", "string"]), "{repo}");
    assert_eq!(repo["properties"]["homepage"]["x-schemabus-nullable"], "registry");
    assert_eq!(
        repo["properties"]["topics"]["x-schemabus-optional"],
        json!({"reason": "registry", "sources": ["gh/Push", ]})
    );
    assert_eq!(repo["required"], json!(["id", "name"]), "what the registry requires stays required");
    assert_eq!(schema["properties"]["labels"]["x-schemabus-map"], "registry");
    assert!(schema["properties"]["labels"]["additionalProperties"].is_object());
    // Every choice is listed with its reason.
    let decisions = reply.body["stats"]["decisions"]["untyped"].as_array().expect("decisions");
    assert!(
        decisions.contains(
            &json!({"pointer": "/repository/homepage", "decision": "nullable", "reason": "registry"})
        )
    );
    assert!(decisions.contains(
        &json!({"pointer": "/labels", "decision": "map", "reason": "registry", "sources": ["gh/Push"]})
    ));
    assert_eq!(
        reply.body["stats"]["settings"],
        json!({"minRequired": 1, "nulls": "observed", "registry": "gh"})
    );
    // A value of another type is still refused.
    assert_eq!(app.register("gh", "Learned", schema.clone()).await.status, 201);
    let bad = json!({"repository": {"id": 3, "name": 7}, "labels": {}});
    let verdict = app.post("/v1/registries/gh/schemas/Learned/versions/1/validate", bad).await;
    assert_eq!(verdict.body["valid"], false, "{}", verdict.body);

    let mut all = exact.clone();
    all["registry"] = json!("*");
    assert_eq!(app.post("/v1/infer", all).await.status, 200);
    let mut missing = exact.clone();
    missing["registry"] = json!("nope");
    app.post("/v1/infer", missing).await.assert_error(404, "registry_not_found");
    let mut bad_name = exact;
    bad_name["registry"] = json!("no spaces");
    let reply = app.post("/v1/infer", bad_name).await;
    let body = reply.assert_error(400, "invalid_name");
    assert_eq!(body["details"]["pointer"], "/registry", "{body}");
}
