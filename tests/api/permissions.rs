//! The permission matrix: for every operation and every role, the expected outcome, over
//! real HTTP. "allowed" means the request reached the handler (any status but 401/403);
//! otherwise a caller without a key, or with an unknown one, gets 401 and a known key
//! without the grant gets 403 — never a 404 first, even for resources that do not exist.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::auth_support::{ADMIN, spawn_secure_app};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    NoKey,
    UnknownKey,
    Admin,
    Reader,
    Writer,
    Publisher,
    Manager,
    Consumer,
}
use Role::*;

const ROLES: [Role; 8] = [NoKey, UnknownKey, Admin, Reader, Writer, Publisher, Manager, Consumer];
/// Every role with a valid key.
const KEYS: &[Role] = &[Admin, Reader, Writer, Publisher, Manager, Consumer];
/// Everyone, even without a key.
const ANYONE: &[Role] = &[NoKey, UnknownKey, Admin, Reader, Writer, Publisher, Manager, Consumer];

struct Row {
    method: Method,
    /// The OpenAPI path template this row exercises.
    template: &'static str,
    path: &'static str,
    body: Option<Value>,
    allowed: &'static [Role],
}

fn row(
    method: Method,
    template: &'static str,
    path: &'static str,
    body: Option<Value>,
    allowed: &'static [Role],
) -> Row {
    Row { method, template, path, body, allowed }
}

const V: &str = "/v1/registries/{registry}/schemas/{schema}/versions";

fn matrix() -> Vec<Row> {
    use Method as M;
    let rule = json!({"pattern": {"source": ["orders"]}, "targets": [{"id": "q", "type": "queue", "queue": "billing"}]});
    vec![
        row(M::GET, "/healthz", "/healthz", None, ANYONE),
        row(M::GET, "/readyz", "/readyz", None, ANYONE),
        row(M::GET, "/schemas/{name}", "/schemas/error-body.schema.json", None, ANYONE),
        row(M::GET, "/metrics", "/metrics", None, &[Admin]),
        row(M::POST, "/v1/registries", "/v1/registries", Some(json!({"name": "fresh"})), &[Admin]),
        row(M::GET, "/v1/registries", "/v1/registries", None, &[Admin]),
        row(M::GET, "/v1/registries/{registry}", "/v1/registries/shop", None, &[Admin, Reader, Writer]),
        row(M::GET, "/v1/registries/{registry}", "/v1/registries/secret", None, &[Admin]),
        row(
            M::PATCH,
            "/v1/registries/{registry}",
            "/v1/registries/shop",
            Some(json!({"description": "d"})),
            &[Admin, Writer],
        ),
        row(M::DELETE, "/v1/registries/{registry}", "/v1/registries/absent", None, &[Admin]),
        row(
            M::GET,
            "/v1/registries/{registry}/schemas",
            "/v1/registries/shop/schemas",
            None,
            &[Admin, Reader, Writer],
        ),
        row(
            M::GET,
            "/v1/registries/{registry}/schemas/{schema}",
            "/v1/registries/shop/schemas/orders@OrderPlaced",
            None,
            &[Admin, Reader, Writer],
        ),
        row(
            M::PATCH,
            "/v1/registries/{registry}/schemas/{schema}",
            "/v1/registries/shop/schemas/orders@OrderPlaced",
            Some(json!({"description": "d"})),
            &[Admin, Writer],
        ),
        row(
            M::DELETE,
            "/v1/registries/{registry}/schemas/{schema}",
            "/v1/registries/shop/schemas/absent@Absent",
            None,
            &[Admin, Writer],
        ),
        row(
            M::POST,
            V,
            "/v1/registries/shop/schemas/orders@OrderPlaced/versions",
            Some(json!({"content": {"type": "object"}})),
            &[Admin, Writer],
        ),
        row(
            M::GET,
            V,
            "/v1/registries/shop/schemas/orders@OrderPlaced/versions",
            None,
            &[Admin, Reader, Writer],
        ),
        row(
            M::GET,
            "/v1/registries/{registry}/schemas/{schema}/versions/{version}",
            "/v1/registries/shop/schemas/orders@OrderPlaced/versions/1",
            None,
            &[Admin, Reader, Writer],
        ),
        row(
            M::DELETE,
            "/v1/registries/{registry}/schemas/{schema}/versions/{version}",
            "/v1/registries/shop/schemas/orders@OrderPlaced/versions/99",
            None,
            &[Admin, Writer],
        ),
        row(
            M::POST,
            "/v1/registries/{registry}/schemas/{schema}/versions/{version}/validate",
            "/v1/registries/shop/schemas/orders@OrderPlaced/versions/latest/validate",
            Some(json!({})),
            &[Admin, Reader, Writer],
        ),
        row(
            M::GET,
            "/v1/registries/{registry}/config",
            "/v1/registries/shop/config",
            None,
            &[Admin, Reader, Writer],
        ),
        row(
            M::PUT,
            "/v1/registries/{registry}/config",
            "/v1/registries/shop/config",
            Some(json!({"compatibility": "NONE"})),
            &[Admin, Writer],
        ),
        row(
            M::GET,
            "/v1/registries/{registry}/schemas/{schema}/config",
            "/v1/registries/shop/schemas/orders@OrderPlaced/config",
            None,
            &[Admin, Reader, Writer],
        ),
        row(
            M::PUT,
            "/v1/registries/{registry}/schemas/{schema}/config",
            "/v1/registries/shop/schemas/orders@OrderPlaced/config",
            Some(json!({"compatibility": "NONE"})),
            &[Admin, Writer],
        ),
        row(
            M::POST,
            "/v1/registries/{registry}/schemas/{schema}/compatibility",
            "/v1/registries/shop/schemas/orders@OrderPlaced/compatibility",
            Some(json!({"content": {}})),
            &[Admin, Reader, Writer],
        ),
        row(
            M::GET,
            "/v1/registries/{registry}/schemas/{schema}/diff",
            "/v1/registries/shop/schemas/orders@OrderPlaced/diff?from=1&to=latest",
            None,
            &[Admin, Reader, Writer],
        ),
        row(
            M::GET,
            "/v1/registries/{registry}/schemas/{schema}/versions/{version}/bindings/{language}",
            "/v1/registries/shop/schemas/orders@OrderPlaced/versions/1/bindings/typescript?format=source",
            None,
            &[Admin, Reader, Writer],
        ),
        row(M::GET, "/v1/search", "/v1/search?q=order&registry=shop", None, &[Admin, Reader, Writer]),
        row(M::GET, "/v1/search", "/v1/search?q=order", None, &[Admin]),
        row(
            M::POST,
            "/v1/test-event-pattern",
            "/v1/test-event-pattern",
            Some(
                json!({"pattern": {"source": ["a"]}, "event": {"id": "1", "account": "1", "source": "a", "time": "2026-01-01T00:00:00Z", "region": "r", "detail-type": "t"}}),
            ),
            KEYS,
        ),
        row(M::POST, "/v1/infer", "/v1/infer", Some(json!({"events": [{"a": 1}]})), KEYS),
        row(M::POST, "/v1/buses", "/v1/buses", Some(json!({"name": "fresh"})), &[Admin]),
        row(M::GET, "/v1/buses", "/v1/buses", None, &[Admin]),
        row(M::GET, "/v1/buses/{bus}", "/v1/buses/orders", None, &[Admin, Publisher, Manager]),
        row(M::GET, "/v1/buses/{bus}", "/v1/buses/secret", None, &[Admin]),
        row(
            M::PATCH,
            "/v1/buses/{bus}",
            "/v1/buses/orders",
            Some(json!({"description": "d"})),
            &[Admin, Manager],
        ),
        row(M::DELETE, "/v1/buses/{bus}", "/v1/buses/absent", None, &[Admin]),
        row(M::GET, "/v1/buses/{bus}/quarantine", "/v1/buses/orders/quarantine", None, &[Admin, Manager]),
        // A bad pattern: a granted key gets 400 at once instead of a stream that never ends.
        row(M::GET, "/v1/buses/{bus}/tail", "/v1/buses/orders/tail?pattern=x", None, &[Admin, Manager]),
        row(
            M::POST,
            "/v1/buses/{bus}/quarantine/resubmit",
            "/v1/buses/orders/quarantine/resubmit",
            Some(json!({"ids": ["0000000000000001"]})),
            &[Admin, Manager],
        ),
        row(
            M::POST,
            "/v1/buses/{bus}/events",
            "/v1/buses/orders/events",
            Some(json!({"entries": [{"source": "orders", "detailType": "T", "detail": {}}]})),
            &[Admin, Publisher],
        ),
        row(
            M::PUT,
            "/v1/buses/{bus}/rules/{rule}",
            "/v1/buses/orders/rules/r1",
            Some(rule),
            &[Admin, Manager],
        ),
        row(M::GET, "/v1/buses/{bus}/rules", "/v1/buses/orders/rules", None, &[Admin, Manager]),
        row(M::GET, "/v1/buses/{bus}/rules/{rule}", "/v1/buses/orders/rules/r1", None, &[Admin, Manager]),
        row(
            M::DELETE,
            "/v1/buses/{bus}/rules/{rule}",
            "/v1/buses/orders/rules/absent",
            None,
            &[Admin, Manager],
        ),
        row(
            M::PUT,
            "/v1/buses/{bus}/discovery",
            "/v1/buses/orders/discovery",
            Some(json!({"enabled": false})),
            &[Admin, Manager],
        ),
        row(M::GET, "/v1/buses/{bus}/discovery", "/v1/buses/orders/discovery", None, &[Admin, Manager]),
        row(
            M::PUT,
            "/v1/buses/{bus}/archives/{archive}",
            "/v1/buses/orders/archives/a1",
            Some(json!({"retentionDays": 1})),
            &[Admin, Manager],
        ),
        row(M::GET, "/v1/buses/{bus}/archives", "/v1/buses/orders/archives", None, &[Admin, Manager]),
        row(M::GET, "/v1/buses/{bus}/archives", "/v1/buses/secret/archives", None, &[Admin]),
        row(
            M::GET,
            "/v1/buses/{bus}/archives/{archive}",
            "/v1/buses/orders/archives/a1",
            None,
            &[Admin, Manager],
        ),
        row(
            M::DELETE,
            "/v1/buses/{bus}/archives/{archive}",
            "/v1/buses/orders/archives/absent",
            None,
            &[Admin, Manager],
        ),
        row(
            M::POST,
            "/v1/buses/{bus}/replays",
            "/v1/buses/orders/replays",
            Some(
                json!({"name": "rp", "archive": "absent", "startTime": "2026-01-01T00:00:00Z", "endTime": "2026-01-02T00:00:00Z"}),
            ),
            &[Admin, Manager],
        ),
        row(M::GET, "/v1/replays/{name}", "/v1/replays/absent", None, &[Admin]),
        row(M::POST, "/v1/replays/{name}/cancel", "/v1/replays/absent/cancel", None, &[Admin]),
        row(
            M::GET,
            "/v1/buses/{bus}/events/{eventId}/trace",
            "/v1/buses/orders/events/00000000-0000-4000-8000-000000000000/trace",
            None,
            &[Admin, Manager],
        ),
        // every key may list the catalog; the answer holds only what its grants read
        row(M::GET, "/v1/catalog", "/v1/catalog", None, KEYS),
        row(M::GET, "/v1/buses/{bus}/asyncapi", "/v1/buses/orders/asyncapi", None, &[Admin, Manager]),
        row(M::GET, "/v1/buses/{bus}/asyncapi", "/v1/buses/secret/asyncapi", None, &[Admin]),
        row(
            M::PUT,
            "/v1/discovery/hints/{schema}",
            "/v1/discovery/hints/orders@OrderPlaced",
            Some(json!({})),
            &[Admin],
        ),
        row(M::GET, "/v1/discovery/hints/{schema}", "/v1/discovery/hints/orders@OrderPlaced", None, &[Admin]),
        row(
            M::PUT,
            "/v1/queues/{queue}",
            "/v1/queues/billing",
            Some(json!({"visibilityTimeoutSeconds": 30})),
            &[Admin],
        ),
        row(M::GET, "/v1/queues", "/v1/queues", None, &[Admin]),
        row(M::GET, "/v1/queues/{queue}", "/v1/queues/billing", None, &[Admin, Consumer]),
        row(M::GET, "/v1/queues/{queue}", "/v1/queues/secret", None, &[Admin]),
        row(M::DELETE, "/v1/queues/{queue}", "/v1/queues/absent", None, &[Admin]),
        row(
            M::POST,
            "/v1/queues/{queue}/receive",
            "/v1/queues/billing/receive",
            Some(json!({"maxMessages": 1})),
            &[Admin, Consumer],
        ),
        row(
            M::POST,
            "/v1/queues/{queue}/ack",
            "/v1/queues/billing/ack",
            Some(json!({"receiptHandles": []})),
            &[Admin, Consumer],
        ),
        // A direct send skips the validation gate: admins only, consumers too are refused.
        row(
            M::POST,
            "/v1/queues/{queue}/messages",
            "/v1/queues/billing/messages",
            Some(json!({"messages": [{"body": {"n": 1}}]})),
            &[Admin],
        ),
        row(
            M::POST,
            "/v1/keys",
            "/v1/keys",
            Some(json!({"name": "fresh", "grants": ["metrics:read"]})),
            &[Admin],
        ),
        row(M::GET, "/v1/keys", "/v1/keys", None, &[Admin]),
        row(M::DELETE, "/v1/keys/{key}", "/v1/keys/absent", None, &[Admin]),
        row(M::POST, "/v1/keys/{key}/aws-credentials", "/v1/keys/absent/aws-credentials", None, &[Admin]),
        row(M::GET, "/v1/audit", "/v1/audit", None, &[Admin]),
        // The API description and explorer are anonymous (not operations of the document).
        row(M::GET, "", "/openapi.json", None, ANYONE),
        row(M::GET, "", "/docs/", None, ANYONE),
        row(M::GET, "", "/docs/swagger-ui-bundle.js", None, ANYONE),
        // Fail closed: a path no operation serves needs admin (who then gets the 404).
        row(M::GET, "", "/v1/nothing-here", None, &[Admin]),
        row(M::POST, "", "/healthz", None, &[Admin]),
    ]
}

#[tokio::test]
async fn every_operation_answers_every_role_as_the_matrix_says() {
    let app = spawn_secure_app().await;
    // Fixtures, as admin.
    app.admin(Method::POST, "/v1/registries", json!({"name": "shop"})).await;
    app.admin(Method::PUT, "/v1/registries/shop/config", json!({"compatibility": "NONE"})).await;
    app.admin(
        Method::POST,
        "/v1/registries/shop/schemas/orders@OrderPlaced/versions",
        json!({"content": {"type": "object", "properties": {"id": {"type": "string"}}}}),
    )
    .await;
    app.admin(Method::POST, "/v1/buses", json!({"name": "orders"})).await;
    app.admin(Method::PUT, "/v1/queues/billing", json!({})).await;
    let keys = [
        (Reader, app.create_key("reader", &["registry:read:shop"]).await),
        (Writer, app.create_key("writer", &["registry:write:shop"]).await),
        (Publisher, app.create_key("publisher", &["bus:publish:orders:orders"]).await),
        (Manager, app.create_key("manager", &["bus:manage:orders"]).await),
        (Consumer, app.create_key("consumer", &["queue:consume:billing"]).await),
    ];
    let key_of = |role: Role| -> Option<String> {
        match role {
            NoKey => None,
            UnknownKey => Some("sb_not-a-key-this-service-knows".to_owned()),
            Admin => Some(ADMIN.to_owned()),
            other => keys.iter().find(|(r, _)| *r == other).map(|(_, k)| k.clone()),
        }
    };
    let mut failures = Vec::new();
    for row in matrix() {
        // Least-privileged roles first, so admin's writes (creating `fresh`) come last.
        for role in ROLES.iter().rev() {
            let reply =
                app.call(key_of(*role).as_deref(), row.method.clone(), row.path, row.body.clone()).await;
            let status = reply.status.as_u16();
            let expected_ok = row.allowed.contains(role);
            let ok = if expected_ok {
                status != 401 && status != 403
            } else if matches!(role, NoKey | UnknownKey) {
                status == 401 && reply.body["code"] == "unauthorized"
            } else {
                status == 403 && reply.body["code"] == "forbidden"
            };
            if !ok {
                failures.push(format!(
                    "{} {} as {role:?}: got {status} {}, expected {}",
                    row.method,
                    row.path,
                    reply.body,
                    if expected_ok { "access" } else { "denial" }
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn the_matrix_covers_every_operation_of_the_api() {
    let doc: Value = serde_json::from_str(&schemabus::http::openapi_json()).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    let tested: BTreeSet<String> = matrix()
        .iter()
        .filter(|r| !r.template.is_empty())
        .map(|r| format!("{} {}", r.method, r.template))
        .collect();
    let untested: Vec<_> = documented.difference(&tested).collect();
    assert!(untested.is_empty(), "operations missing from the permission matrix: {untested:?}");
}

#[test]
fn every_documented_operation_is_in_the_access_table() {
    let doc: Value = serde_json::from_str(&schemabus::http::openapi_json()).unwrap();
    let table: BTreeSet<String> =
        schemabus::http::access::table().into_iter().map(|(m, p, _)| format!("{m} {p}")).collect();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let op = format!("{} {path}", method.to_uppercase());
            assert!(table.contains(&op), "{op} is not in the access table (src/http/access.rs)");
        }
    }
}
