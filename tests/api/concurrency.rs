use std::collections::BTreeSet;

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_get_distinct_contiguous_versions() {
    const N: u64 = 40;
    let app = spawn_app().await;
    app.create_registry("shop").await;
    let url = format!("{}/v1/registries/shop/schemas/orders@OrderPlaced/versions", app.base);
    let tasks: Vec<_> = (0..N)
        .map(|i| {
            let client = app.client.clone();
            let url = url.clone();
            tokio::spawn(async move {
                let body = json!({"content": {"type": "object", "title": format!("variant {i}")}});
                let response = client.post(url).json(&body).send().await.unwrap();
                assert_eq!(response.status(), 201);
                let body: serde_json::Value = response.json().await.unwrap();
                body["version"].as_u64().unwrap()
            })
        })
        .collect();
    let mut versions = BTreeSet::new();
    for task in tasks {
        assert!(versions.insert(task.await.unwrap()), "a version number was handed out twice");
    }
    assert_eq!(versions, (1..=N).collect::<BTreeSet<_>>());
    let schema = app.get("/v1/registries/shop/schemas/orders@OrderPlaced").await;
    assert_eq!(schema.body["versionCount"], N);
    assert_eq!(schema.body["latestVersion"], N);
    let listed = app.get("/v1/registries/shop/schemas/orders@OrderPlaced/versions").await;
    assert_eq!(listed.body["items"].as_array().unwrap().len() as u64, N);
}

/// Registers `content` as a new version of `shop/orders@OrderPlaced`, returning the
/// status and body.
async fn register_raw(
    client: &reqwest::Client,
    url: &str,
    content: serde_json::Value,
) -> (u16, serde_json::Value) {
    let response = client.post(url).json(&json!({ "content": content })).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_mutually_incompatible_registrations_never_both_succeed() {
    const N: usize = 24;
    let app = spawn_app().await;
    app.create_registry("shop").await;
    let config = app
        .send(
            reqwest::Method::PUT,
            "/v1/registries/shop/config",
            Some(json!({"compatibility": "FORWARD_TRANSITIVE"})),
        )
        .await;
    assert_eq!(config.status, 200, "{}", config.body);
    let url = format!("{}/v1/registries/shop/schemas/orders@OrderPlaced/versions", app.base);
    // Version 1 reads anything, so each candidate alone is forward compatible with it;
    // two candidates pin `kind` to different constants, so neither reads the other's data.
    let (status, _) = register_raw(&app.client, &url, json!({"type": "object"})).await;
    assert_eq!(status, 201);
    let tasks: Vec<_> = (0..N)
        .map(|i| {
            let (client, url) = (app.client.clone(), url.clone());
            tokio::spawn(async move {
                let candidate = json!({
                    "type": "object",
                    "properties": {"kind": {"const": format!("variant-{i}")}},
                    "required": ["kind"],
                });
                register_raw(&client, &url, candidate).await
            })
        })
        .collect();
    let mut accepted = Vec::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            201 => accepted.push(body["version"].as_u64().unwrap()),
            409 => assert_eq!(body["code"], "incompatible_schema", "{body}"),
            other => panic!("unexpected status {other}: {body}"),
        }
    }
    assert_eq!(accepted, vec![2], "exactly one of the mutually incompatible candidates is accepted");
    let schema = app.get("/v1/registries/shop/schemas/orders@OrderPlaced").await;
    assert_eq!(schema.body["versionCount"], 2, "{}", schema.body);
}
