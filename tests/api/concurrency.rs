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
