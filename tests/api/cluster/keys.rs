//! API keys in cluster mode: a key created on one instance works on the others, and a
//! key revoked on one is refused by all three as soon as the revocation answers, also
//! when one instance has died (docs/CLUSTER.md#consistency-promises).

use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::backend::migrated_database;
use crate::service::{Launch, Service, started};

const ADMIN: &str = "sbk_cluster_admin_0123456789abcdef0123456789";

/// Three keyed instances on one database (the admin key from the environment, as an
/// operator gives every instance the same one).
fn keyed_cluster(dir: &tempfile::TempDir) -> Vec<Service> {
    let database = migrated_database();
    (0..3)
        .map(|i| {
            started(&Launch {
                prefix: vec!["env".into(), format!("SCHEMABUS_ADMIN_KEY={ADMIN}").into()],
                data_dir: dir.path().join(format!("node{i}")),
                flags: vec![
                    "--database-url".to_owned(),
                    database.clone(),
                    "--auth".to_owned(),
                    "required".to_owned(),
                ],
                log: dir.path().join(format!("node{i}.log")),
            })
        })
        .collect()
}

/// `GET /v1/registries` with `key` on `node`: the status.
fn status_with(client: &Client, node: &Service, key: &str) -> u16 {
    client.get(format!("{}/v1/registries", node.base)).bearer_auth(key).send().unwrap().status().as_u16()
}

fn admin(
    client: &Client,
    node: &Service,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = client.request(method, format!("{}{path}", node.base)).bearer_auth(ADMIN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().unwrap();
    let status = response.status().as_u16();
    (status, response.json().unwrap_or(Value::Null))
}

/// Creates a reader key on `node` and waits until every node in `nodes` takes it.
fn reader(client: &Client, node: &Service, nodes: &[&Service], name: &str) -> String {
    let grants = json!({"name": name, "grants": ["registry:read:*"]});
    let (status, body) = admin(client, node, reqwest::Method::POST, "/v1/keys", Some(grants));
    assert_eq!(status, 201, "{body}");
    let key = body["key"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(2);
    while !nodes.iter().all(|n| status_with(client, n, &key) == 200) {
        assert!(Instant::now() < deadline, "the new key does not work everywhere within 2 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    key
}

#[test]
fn a_key_revoked_on_one_instance_is_refused_by_every_instance_when_the_revocation_answers() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = keyed_cluster(&dir);
    let client = Client::new();
    let all: Vec<&Service> = nodes.iter().collect();
    for round in 0..5 {
        let name = format!("reader-{round}");
        let key = reader(&client, &nodes[round % 3], &all, &name);
        let (status, body) = admin(
            &client,
            &nodes[(round + 1) % 3],
            reqwest::Method::DELETE,
            &format!("/v1/keys/{name}"),
            None,
        );
        assert_eq!(status, 204, "{body}");
        for node in &nodes {
            assert_eq!(
                status_with(&client, node, &key),
                401,
                "round {round}: {} still takes the revoked key",
                node.base
            );
        }
    }

    // A dead instance holds a revocation up for at most its heartbeat's staleness, and
    // the live ones refuse the key at once.
    nodes[2].kill_9();
    let live: Vec<&Service> = nodes[..2].iter().collect();
    let key = reader(&client, &nodes[0], &live, "after-the-kill");
    let started = Instant::now();
    let (status, body) = admin(&client, &nodes[1], reqwest::Method::DELETE, "/v1/keys/after-the-kill", None);
    assert_eq!(status, 204, "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "the revocation waited {:?} on a dead instance",
        started.elapsed()
    );
    for node in &live {
        assert_eq!(status_with(&client, node, &key), 401, "{} still takes the revoked key", node.base);
    }
}
