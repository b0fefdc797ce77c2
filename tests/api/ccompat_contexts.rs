//! Confluent contexts over registries: `GET /contexts`, subject listings per context and
//! across contexts (`subjectPrefix=:.ctx:` and `:*:`), ids found across contexts, the
//! `offset`/`limit` of listings, and the grants these need.

use reqwest::Method;
use serde_json::{Value, json};

use crate::auth_support::spawn_secure_app;
use crate::ccompat::{assert_cc_error, cc, finish, register};
use crate::helpers::{spawn_app, spawn_app_with};

fn schema(n: u64) -> Value {
    json!({"type": "object", "properties": {"n": {"const": n}}})
}

async fn get(app: &crate::helpers::TestApp, path: &str) -> Value {
    let reply = cc(app, Method::GET, path, None).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    reply.body
}

#[tokio::test]
async fn contexts_are_the_registries_with_the_default_one_first() {
    let app = spawn_app().await;
    let builtin = get(&app, "/contexts").await;
    assert_eq!(builtin[0], ".", "{builtin}");
    register(&app, ":.staging:orders-value", &schema(1)).await;
    register(&app, ":.alpha:a", &schema(1)).await;
    app.create_registry("native-only").await;
    let contexts = get(&app, "/contexts").await;
    let mut expected = vec![json!("."), json!(".alpha"), json!(".native-only"), json!(".staging")];
    // The built-in registries are contexts too, in name order with the others.
    expected.extend(builtin.as_array().unwrap()[1..].iter().cloned());
    expected[1..].sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    assert_eq!(contexts, json!(expected));
    assert!(!contexts.as_array().unwrap().contains(&json!(".default")), "{contexts}");
    assert_eq!(get(&app, "/contexts?offset=1&limit=1").await, json!([".alpha"]));
    // Every context listed is one a subject can be named in.
    for context in contexts.as_array().unwrap().iter().skip(1) {
        let ctx = context.as_str().unwrap();
        assert_eq!(
            cc(&app, Method::GET, &format!("/subjects?subjectPrefix=:{ctx}:"), None).await.status,
            200
        );
    }
}

#[tokio::test]
async fn with_another_default_registry_the_default_context_is_that_registry() {
    let app = spawn_app_with(|s| s.ccompat_registry = "shop".to_owned()).await;
    register(&app, "orders-value", &schema(1)).await;
    app.create_registry("default").await;
    let contexts = get(&app, "/contexts").await;
    assert_eq!(contexts[0], ".");
    assert!(contexts.as_array().unwrap().contains(&json!(".default")), "{contexts}");
    assert!(!contexts.as_array().unwrap().contains(&json!(".shop")), "{contexts}");
    assert_eq!(app.get("/v1/registries/shop/schemas/orders-value").await.status, 200);
}

#[tokio::test]
async fn subjects_are_listed_per_context_or_across_contexts() {
    let app = spawn_app().await;
    let shared = register(&app, "orders-value", &schema(1)).await.body["id"].clone();
    assert_eq!(register(&app, ":.staging:orders-value", &schema(1)).await.body["id"], shared);
    register(&app, ":.staging:payments-value", &schema(2)).await;
    register(&app, ":.alpha:a", &schema(3)).await;

    // The default context alone, plainly, unless asked otherwise.
    assert_eq!(get(&app, "/subjects").await, json!(["orders-value"]));
    assert_eq!(get(&app, "/subjects?subjectPrefix=:.:").await, json!(["orders-value"]));
    assert_eq!(get(&app, "/subjects?subjectPrefix=:.:ord").await, json!(["orders-value"]));
    assert_eq!(
        get(&app, "/subjects?subjectPrefix=:.staging:").await,
        json!([":.staging:orders-value", ":.staging:payments-value"])
    );
    assert_eq!(get(&app, "/subjects?subjectPrefix=:.staging:pay").await, json!([":.staging:payments-value"]));
    assert_eq!(
        get(&app, "/subjects?subjectPrefix=%3A.staging%3Apay").await,
        json!([":.staging:payments-value"])
    );
    assert_eq!(get(&app, "/subjects?subjectPrefix=:.nowhere:").await, json!([]));
    // Every context: the default one first (plain), then the others by name (qualified).
    let all = json!(["orders-value", ":.alpha:a", ":.staging:orders-value", ":.staging:payments-value"]);
    assert_eq!(get(&app, "/subjects?subjectPrefix=:*:").await, all);
    assert_eq!(get(&app, "/subjects?subjectPrefix=%3A*%3A").await, all);
    assert_eq!(
        get(&app, "/subjects?subjectPrefix=:*:orders").await,
        json!(["orders-value", ":.staging:orders-value"])
    );
    // Soft-deleted subjects follow deleted and deletedOnly in every context.
    cc(&app, Method::DELETE, "/subjects/:.staging:orders-value", None).await;
    assert_eq!(get(&app, "/subjects?subjectPrefix=:*:orders").await, json!(["orders-value"]));
    assert_eq!(
        get(&app, "/subjects?subjectPrefix=:*:orders&deleted=true").await,
        json!(["orders-value", ":.staging:orders-value"])
    );
    assert_eq!(
        get(&app, "/subjects?subjectPrefix=:*:&deletedOnly=true").await,
        json!([":.staging:orders-value"])
    );
    // Listings of schemas and of an id's holders follow the same contexts.
    let latest = get(&app, "/schemas?subjectPrefix=:*:&latestOnly=true").await;
    let subjects: Vec<&Value> = latest.as_array().unwrap().iter().map(|s| &s["subject"]).collect();
    assert_eq!(subjects, [&json!("orders-value"), &json!(":.alpha:a"), &json!(":.staging:payments-value")]);
    assert_eq!(get(&app, &format!("/schemas/ids/{shared}/subjects")).await, json!(["orders-value"]));
    assert_eq!(
        get(&app, &format!("/schemas/ids/{shared}/subjects?subject=:*:&deleted=true")).await,
        json!(["orders-value", ":.staging:orders-value"])
    );
    assert_eq!(
        get(&app, &format!("/schemas/ids/{shared}/versions?subject=:*:")).await,
        json!([{"subject": "orders-value", "version": 1}])
    );
    assert_eq!(get(&app, &format!("/schemas/ids/{shared}/schema?subject=:*:")).await, schema(1));
    assert_eq!(
        get(&app, &format!("/schemas/ids/{shared}/subjects?subject=:*:&deleted=true&offset=1&limit=5")).await,
        json!([":.staging:orders-value"])
    );
    assert_eq!(
        get(&app, &format!("/schemas/ids/{shared}/versions?subject=:*:&deleted=true&limit=1")).await,
        json!([{"subject": "orders-value", "version": 1}])
    );
}

#[tokio::test]
async fn listings_take_offset_and_limit() {
    let app = spawn_app().await;
    for n in 1..=4 {
        register(&app, &format!("s{n}"), &schema(n)).await;
    }
    assert_eq!(get(&app, "/subjects?offset=1&limit=2").await, json!(["s2", "s3"]));
    assert_eq!(get(&app, "/subjects?offset=3").await, json!(["s4"]));
    assert_eq!(get(&app, "/subjects?offset=9").await, json!([]));
    assert_eq!(get(&app, "/subjects?limit=-1").await, json!(["s1", "s2", "s3", "s4"]));
    assert_eq!(get(&app, "/subjects?limit=0").await.as_array().unwrap().len(), 4);
    let page = get(&app, "/schemas?offset=2&limit=1").await;
    assert_eq!(page.as_array().unwrap().len(), 1);
    assert_eq!(page[0]["subject"], "s3");
    // Versions and referrers too (confluent-kafka sends offset and limit on both).
    cc(&app, Method::PUT, "/config/s1", Some(json!({"compatibility": "NONE"}))).await;
    for n in 10..=12 {
        register(&app, "s1", &schema(n)).await;
    }
    assert_eq!(get(&app, "/subjects/s1/versions?offset=1&limit=2").await, json!([2, 3]));
    assert_eq!(get(&app, "/subjects/s1/versions?offset=0&limit=-1").await, json!([1, 2, 3, 4]));
    let mut referrers = Vec::new();
    for n in 0..3 {
        let body = json!({
            "schemaType": "JSON",
            "schema": json!({"$ref": "s2.json", "title": format!("r{n}")}).to_string(),
            "references": [{"name": "s2.json", "subject": "s2", "version": 1}],
        });
        let made = cc(&app, Method::POST, &format!("/subjects/r{n}/versions"), Some(body)).await;
        referrers.push(made.body["id"].clone());
    }
    referrers.sort_by_key(|id| id.as_u64());
    assert_eq!(get(&app, "/subjects/s2/versions/1/referencedby").await, json!(referrers));
    assert_eq!(
        get(&app, "/subjects/s2/versions/1/referencedby?offset=1&limit=1").await,
        json!([referrers[1]])
    );
    for bad in ["offset=x", "limit=1.5", "offset=-1", "offset=99999999999999999999"] {
        for path in [
            "/subjects",
            "/schemas",
            "/contexts",
            "/subjects/s1/versions",
            "/subjects/s2/versions/1/referencedby",
        ] {
            assert_cc_error(&cc(&app, Method::GET, &format!("{path}?{bad}"), None).await, 422, 422);
        }
    }
}

#[tokio::test]
async fn deleted_only_is_also_read_as_the_python_client_spells_it() {
    let app = spawn_app().await;
    cc(&app, Method::PUT, "/config/s", Some(json!({"compatibility": "NONE"}))).await;
    register(&app, "s", &schema(1)).await;
    register(&app, "s", &schema(2)).await;
    register(&app, "gone", &schema(3)).await;
    cc(&app, Method::DELETE, "/subjects/s/versions/1", None).await;
    cc(&app, Method::DELETE, "/subjects/gone", None).await;
    for spelling in ["deletedOnly", "deleted_only"] {
        assert_eq!(get(&app, &format!("/subjects/s/versions?{spelling}=True")).await, json!([1]));
        assert_eq!(get(&app, &format!("/subjects?{spelling}=true")).await, json!(["gone"]));
    }
    assert_eq!(get(&app, "/subjects?deleted_only=False").await, json!(["s"]));
}

#[tokio::test]
async fn listing_contexts_or_every_context_needs_the_wildcard_grant() {
    let app = spawn_secure_app().await;
    let scoped = app.create_key("scoped", &["registry:write:default"]).await;
    let every = app.create_key("every", &["registry:read:*"]).await;
    let url = |p: &str| format!("{}/ccompat{p}", app.base);
    let call = |key: &str, path: &str| app.client.get(url(path)).basic_auth("u", Some(key.to_owned())).send();
    let created = app
        .client
        .post(url("/subjects/orders-value/versions"))
        .bearer_auth(&scoped)
        .header("content-type", crate::ccompat::VND)
        .body(crate::ccompat::schema_body(&schema(1)).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    assert_eq!(finish(call(&scoped, "/subjects").await.unwrap()).await.body, json!(["orders-value"]));
    for path in [
        "/contexts",
        "/subjects?subjectPrefix=:*:",
        "/schemas?subjectPrefix=:*:",
        "/schemas/ids/1?subject=:*:",
    ] {
        assert_cc_error(&finish(call(&scoped, path).await.unwrap()).await, 403, 40301);
        assert_eq!(finish(call(&every, path).await.unwrap()).await.status, 200, "{path}");
    }
    assert_eq!(
        finish(call(&every, "/subjects?subjectPrefix=:*:").await.unwrap()).await.body,
        json!(["orders-value"])
    );
}
