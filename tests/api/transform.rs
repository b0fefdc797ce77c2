//! Input transformation end to end: queue messages carry the transformed value, webhooks
//! receive it (plain text as text/plain), bus targets refuse it, bad transformers are
//! refused with a pointer when the rule is saved.

use std::time::Duration;

use serde_json::json;

use crate::receiver::{Receiver, Script};
use crate::webhooks::fast_app;

#[tokio::test]
async fn queue_and_webhook_targets_get_the_transformed_value() {
    let app = fast_app().await;
    app.create_queue("q", 30).await;
    let receiver = Receiver::start(Script::default()).await;
    let rule = json!({"pattern": {"source": ["orders"]}, "targets": [
        {"type": "queue", "id": "path", "queue": "q", "inputPath": "$.detail.customer"},
        {"type": "queue", "id": "tpl", "queue": "q", "inputTransformer": {
            "inputPathsMap": {"id": "$.detail.id", "total": "$.detail.total", "missing": "$.detail.nope"},
            "inputTemplate": "{\"order\": <id>, \"total\": <total>, \"msg\": \"order <id> by rule <aws.events.rule-name>\", \"m\": <missing>}"}},
        {"type": "queue", "id": "const", "queue": "q", "input": {"fixed": true}},
        {"type": "webhook", "id": "text", "url": receiver.url, "inputTransformer": {
            "inputPathsMap": {"id": "$.detail.id"}, "inputTemplate": "order <id> placed"}},
    ]});
    let reply = app.put("/v1/buses/shop-less/rules/x", rule.clone()).await;
    reply.assert_error(404, "bus_not_found");
    let reply = app.put("/v1/buses/default/rules/shaped", rule).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["targets"][1]["inputTransformer"]["inputPathsMap"]["id"], "$.detail.id");
    app.put_one("orders", json!({"id": "o-1", "total": 5, "customer": {"name": "Ann"}})).await;
    let mut bodies = app.drain("q").await;
    bodies.sort_by_key(|b| b.to_string());
    assert_eq!(
        bodies,
        vec![
            json!({"fixed": true}),
            json!({"name": "Ann"}),
            json!({"order": "o-1", "total": 5, "msg": "order o-1 by rule shaped", "m": null}),
        ]
    );
    let got = receiver.wait_accepted(1, Duration::from_secs(10)).await;
    assert_eq!(got[0].body, b"order o-1 placed");
    assert_eq!(got[0].headers["content-type"], "text/plain; charset=utf-8");
}

#[tokio::test]
async fn invalid_options_are_refused_when_the_rule_is_saved() {
    let app = fast_app().await;
    app.create_queue("q", 30).await;
    let cases = [
        (
            json!({"type": "queue", "id": "t", "queue": "q", "input": 1, "inputPath": "$.a"}),
            "/targets/0/inputPath",
        ),
        (json!({"type": "queue", "id": "t", "queue": "q", "inputPath": "detail"}), "/targets/0/inputPath"),
        (
            json!({"type": "queue", "id": "t", "queue": "q", "inputTransformer": {"inputPathsMap": {"k": "$.a"}, "inputTemplate": "{<k>: 1}"}}),
            "/targets/0/inputTransformer/inputTemplate",
        ),
        (
            json!({"type": "queue", "id": "t", "queue": "q", "inputTransformer": {"inputPathsMap": {"aws.x": "$.a"}, "inputTemplate": "x"}}),
            "/targets/0/inputTransformer/inputPathsMap/aws.x",
        ),
        (json!({"type": "bus", "id": "t", "bus": "default", "inputPath": "$.detail"}), "/targets/0/input"),
    ];
    for (target, pointer) in cases {
        let reply = app
            .put("/v1/buses/default/rules/r", json!({"pattern": {"source": ["s"]}, "targets": [target]}))
            .await;
        assert_eq!(reply.assert_error(400, "invalid_transformer")["details"]["pointer"], pointer);
    }
}
