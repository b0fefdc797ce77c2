//! An instance whose connections to PostgreSQL are cut (the server terminates them, as
//! on a restart or failover) reconnects by itself, catches up with what it missed while
//! its notification connection was down, and follows later changes again
//! (docs/CLUSTER.md#consistency-promises).

use std::time::{Duration, Instant};

use serde_json::json;

use crate::backend::{migrated_database, skip_under_postgres};
use crate::postgres::{admin_url, execute};
use crate::service::{Launch, Service, started};

const VALIDATE: &str = "/v1/registries/shop/schemas/orders/versions/latest/validate";

fn latest_seen(node: &Service) -> Option<u64> {
    node.try_call("POST", VALIDATE, Some(&json!({}))).ok().and_then(|r| r.body["version"].as_u64())
}

#[track_caller]
fn sees(node: &Service, version: u64, within: Duration) {
    let deadline = Instant::now() + within;
    while latest_seen(node) != Some(version) {
        assert!(Instant::now() < deadline, "{} does not see version {version} within {within:?}", node.base);
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_instance_cut_off_from_postgresql_catches_up_and_follows_again() {
    skip_under_postgres!("cluster tests run once, in the default run, on PostgreSQL of their own");
    let dir = tempfile::tempdir().unwrap();
    let database = migrated_database();
    let name = database.rsplit('/').next().unwrap().to_owned();
    let nodes: Vec<Service> = (0..2)
        .map(|i| {
            started(&Launch {
                prefix: Vec::new(),
                data_dir: dir.path().join(format!("node{i}")),
                flags: vec!["--database-url".to_owned(), database.clone()],
                log: dir.path().join(format!("node{i}.log")),
            })
        })
        .collect();
    let (a, b) = (&nodes[0], &nodes[1]);
    a.expect(201, "POST", "/v1/registries", Some(&json!({"name": "shop"})));
    a.expect(200, "PUT", "/v1/registries/shop/config", Some(&json!({"compatibility": "NONE"})));
    let version = |n: u64| json!({"content": {"type": "object", "properties": {"n": {"const": n}}}});
    a.expect(201, "POST", "/v1/registries/shop/schemas/orders/versions", Some(&version(1)));
    sees(b, 1, Duration::from_secs(2));

    // Every connection of both instances is cut; version 2 is registered on A as soon
    // as A can write again, possibly before B listens again (its notification is lost).
    execute(
        admin_url(),
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = a.call("POST", "/v1/registries/shop/schemas/orders/versions", Some(&version(2)));
        if reply.status == 201 {
            break;
        }
        eprintln!("while reconnecting: {} {}", reply.status, reply.body);
        assert_eq!(reply.status, 503, "while reconnecting, a retryable answer: {}", reply.body);
        assert!(Instant::now() < deadline, "A cannot write again: {}", reply.body);
        std::thread::sleep(Duration::from_millis(100));
    }
    sees(b, 2, Duration::from_secs(10));
    // And B follows new changes through its new notification connection.
    a.expect(201, "POST", "/v1/registries/shop/schemas/orders/versions", Some(&version(3)));
    sees(b, 3, Duration::from_secs(2));
}
