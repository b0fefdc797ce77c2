//! A version registered on one instance validates on the others within a second.
//!
//! The validate endpoint resolves `latest` from each instance's replica of the registry,
//! and caches compiled validators: the others must notice the new version (through
//! PostgreSQL's notifications), not keep answering with what they cached. The bus, the
//! other path that resolves `latest`, is not served in cluster mode yet (503).

use std::time::{Duration, Instant};

use serde_json::json;

use super::{Cluster, register};
use crate::backend::skip_under_postgres;
use crate::service::Service;

const VALIDATE: &str = "/v1/registries/shop/schemas/orders@OrderPlaced/versions/latest/validate";

/// What `node` answers for `{"total": 1}` against `latest`: (version, valid).
fn verdict(node: &Service) -> (Option<u64>, Option<bool>) {
    let report = node.call("POST", VALIDATE, Some(&json!({"total": 1})));
    (report.body["version"].as_u64(), report.body["valid"].as_bool())
}

#[test]
fn a_version_registered_on_one_instance_validates_on_another_within_a_second() {
    skip_under_postgres!("cluster tests run once, in the default run, on PostgreSQL of their own");
    let cluster = Cluster::start();
    cluster.shop("NONE");
    let (a, others) = (&cluster.nodes[0], &cluster.nodes[1..]);
    let open = json!({"type": "object"});
    let strict = json!({"type": "object", "required": ["orderId"]});
    assert_eq!(register(a, "orders@OrderPlaced", &open).unwrap().status, 201);
    let deadline = Instant::now() + Duration::from_secs(5);
    for node in others {
        while verdict(node) != (Some(1), Some(true)) {
            assert!(Instant::now() < deadline, "{} never saw version 1\n{}", node.base, cluster.logs());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    // Each round flips the latest contract on A; the others must follow, having cached
    // the validator of the previous one.
    let mut slowest = Duration::ZERO;
    for version in 2..=6u64 {
        let content = if version % 2 == 0 { &strict } else { &open };
        let created = register(a, "orders@OrderPlaced", content).unwrap();
        let numbered = (created.status, created.body["version"].as_u64());
        assert_eq!(numbered, (201, Some(version)), "{}", created.body);
        let acknowledged = Instant::now();
        let expected = (Some(version), Some(version % 2 == 1));
        for node in others {
            loop {
                let seen = verdict(node);
                let elapsed = acknowledged.elapsed();
                if seen == expected {
                    slowest = slowest.max(elapsed);
                    break;
                }
                assert!(
                    elapsed < Duration::from_secs(1),
                    "{} still answers {seen:?} {elapsed:?} after A acknowledged version {version}\n{}",
                    node.base,
                    cluster.logs()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
    eprintln!("slowest propagation to another instance: {slowest:?}");
}
