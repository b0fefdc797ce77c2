use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_default_bus_exists_and_buses_can_be_managed() {
    let app = spawn_app().await;
    let list = app.get("/v1/buses").await;
    assert_eq!(list.body["items"][0]["name"], "default");
    assert_eq!(list.body["items"][0]["validation"]["mode"], "off");

    app.create_registry("shop").await;
    let created = app
        .post(
            "/v1/buses",
            json!({"name": "orders", "description": "Orders", "validation": {"mode": "enforce", "registry": "shop", "unknownEventTypes": "reject"},
                   "bindings": [{"source": "legacy", "detailType": "Thing", "schema": "legacy@Thing", "version": 2}]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["bindings"][0]["version"], 2);
    app.post("/v1/buses", json!({"name": "orders"})).await.assert_error(409, "bus_exists");
    app.post("/v1/buses", json!({"name": "bad name"})).await.assert_error(400, "invalid_name");
    app.post("/v1/buses", json!({"name": "x", "validation": {"mode": "warn"}}))
        .await
        .assert_error(400, "invalid_request");

    let patched =
        app.patch("/v1/buses/orders", json!({"validation": {"mode": "warn", "registry": "shop"}})).await;
    assert_eq!(patched.status, 200);
    assert_eq!(patched.body["validation"]["mode"], "warn");
    assert_eq!(patched.body["validation"]["unknownEventTypes"], "allow");
    assert_eq!(patched.body["description"], "Orders");
    assert_eq!(app.get("/v1/buses/orders").await.body["validation"]["mode"], "warn");

    app.delete("/v1/buses/default").await.assert_error(409, "bus_builtin");
    assert_eq!(app.delete("/v1/buses/orders").await.status, 204);
    app.get("/v1/buses/orders").await.assert_error(404, "bus_not_found");
    app.post("/v1/buses/orders/events", json!({"entries": []})).await.assert_error(404, "bus_not_found");
}

/// Issue 23, found already: a body that is not an object, and a binding to version 0.
#[tokio::test]
async fn non_object_bodies_and_version_zero_bindings_are_refused() {
    let app = spawn_app().await;
    app.create_registry("shop").await;
    assert_eq!(app.post("/v1/buses", json!({"name": "orders", "description": "Orders"})).await.status, 201);
    let reply = app.patch("/v1/buses/orders", json!([null, null])).await;
    assert_eq!(reply.assert_error(400, "invalid_request")["details"]["pointer"], "", "{}", reply.body);
    assert_eq!(app.get("/v1/buses/orders").await.body["description"], "Orders", "nothing changed");
    let reply = app.post("/v1/registries", json!(["shop2"])).await;
    reply.assert_error(400, "invalid_request");
    let binding = json!({"source": "orders", "detailType": "Order Placed", "schema": "orders@OrderPlaced", "version": 0});
    let reply = app
        .post("/v1/buses", json!({"name": "zero", "validation": {"mode": "enforce", "registry": "shop"}, "bindings": [binding]}))
        .await;
    assert_eq!(
        reply.assert_error(400, "invalid_request")["details"]["pointer"],
        "/bindings/0/version",
        "{}",
        reply.body
    );
    assert_eq!(app.get("/v1/buses/zero").await.status, 404);
    // A document to validate may still be any JSON value, arrays included.
    app.register("shop", "list@Items", json!({"type": "array"})).await;
    let verdict = app.post("/v1/registries/shop/schemas/list@Items/versions/1/validate", json!([1, 2])).await;
    assert_eq!(verdict.body["valid"], true, "{}", verdict.body);
}
