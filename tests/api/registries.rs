use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_created_registry_can_be_read_listed_edited_and_deleted() {
    let app = spawn_app().await;
    let created = app
        .post(
            "/v1/registries",
            json!({"name": "shop", "description": "Shop events", "tags": {"team": "orders"}}),
        )
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.body["name"], "shop");
    assert_eq!(created.body["tags"]["team"], "orders");

    let got = app.get("/v1/registries/shop").await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["description"], "Shop events");

    let patched = app.patch("/v1/registries/shop", json!({"description": "All shop events"})).await;
    assert_eq!(patched.status, 200);
    assert_eq!(patched.body["description"], "All shop events");
    assert_eq!(patched.body["tags"]["team"], "orders", "absent tags stay");

    let cleared = app.patch("/v1/registries/shop", json!({"description": "", "tags": {}})).await;
    assert!(cleared.body.get("description").is_none());
    assert_eq!(cleared.body["tags"], json!({}));

    assert_eq!(app.delete("/v1/registries/shop").await.status, 204);
    app.get("/v1/registries/shop").await.assert_error(404, "registry_not_found");
}

#[tokio::test]
async fn duplicate_and_badly_named_registries_are_refused() {
    let app = spawn_app().await;
    app.create_registry("shop").await;
    app.post("/v1/registries", json!({"name": "shop"})).await.assert_error(409, "registry_exists");
    app.post("/v1/registries", json!({"name": "has space"})).await.assert_error(400, "invalid_name");
    app.post("/v1/registries", json!({"name": "a@b"})).await.assert_error(400, "invalid_name");
    app.post("/v1/registries", json!({"name": "r".repeat(65)})).await.assert_error(400, "invalid_name");
    app.post("/v1/registries", json!({"name": ""})).await.assert_error(400, "invalid_name");
    app.get("/v1/registries/bad%20name").await.assert_error(400, "invalid_name");
    app.post("/v1/registries", json!({"name": "x", "description": "d".repeat(1025)}))
        .await
        .assert_error(400, "invalid_request");
}

#[tokio::test]
async fn listing_pages_through_registries_by_prefix_with_cursors() {
    let app = spawn_app().await;
    for name in ["team-a.one", "team-a.two", "team-a.three", "team-b.one"] {
        app.create_registry(name).await;
    }
    let first = app.get("/v1/registries?prefix=team-a&limit=2").await;
    assert_eq!(first.status, 200);
    let names: Vec<&str> =
        first.body["items"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["team-a.one", "team-a.three"]);
    let cursor = first.body["nextCursor"].as_str().expect("a next page exists");

    let second = app.get(&format!("/v1/registries?prefix=team-a&limit=2&cursor={cursor}")).await;
    let names: Vec<&str> =
        second.body["items"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["team-a.two"]);
    assert!(second.body.get("nextCursor").is_none(), "last page has no cursor");

    let all = app.get("/v1/registries").await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 5, "four plus discovered-schemas");

    app.get("/v1/registries?cursor=!!notbase64").await.assert_error(400, "invalid_cursor");
    app.get("/v1/registries?limit=0").await.assert_error(400, "invalid_parameter");
    app.get("/v1/registries?limit=1001").await.assert_error(400, "invalid_parameter");
    app.get("/v1/registries?bogus=1").await.assert_error(400, "invalid_parameter");
}

#[tokio::test]
async fn a_registry_holding_schemas_is_deleted_only_with_force() {
    let app = spawn_app().await;
    app.create_registry("shop").await;
    assert_eq!(app.register("shop", "orders@OrderPlaced", json!({"type": "object"})).await.status, 201);
    let refused = app.delete("/v1/registries/shop").await;
    refused.assert_error(409, "registry_not_empty");
    assert_eq!(refused.body["details"]["schemaCount"], 1);

    assert_eq!(app.delete("/v1/registries/shop?force=true").await.status, 204);
    app.get("/v1/registries/shop/schemas/orders@OrderPlaced").await.assert_error(404, "registry_not_found");

    // Recreated, the schema starts empty but its version numbers are not reused.
    app.create_registry("shop").await;
    let again = app.register("shop", "orders@OrderPlaced", json!({"type": "object"})).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body["version"], 2);
}

#[tokio::test]
async fn discovered_schemas_exists_from_first_start_and_refuses_user_versions() {
    let app = spawn_app().await;
    let builtin = app.get("/v1/registries/discovered-schemas").await;
    assert_eq!(builtin.status, 200);
    assert_eq!(builtin.body["builtin"], true);
    assert_eq!(builtin.body["writable"], false);
    app.register("discovered-schemas", "orders@OrderPlaced", json!({"type": "object"}))
        .await
        .assert_error(403, "registry_read_only");
    app.delete("/v1/registries/discovered-schemas").await.assert_error(409, "registry_builtin");
    let listed = app.get("/v1/registries/discovered-schemas/schemas").await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["items"], json!([]));
}
