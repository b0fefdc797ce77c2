//! Version numbers handed out by three instances at once: no gap, no duplicate, and no
//! two mutually incompatible versions both accepted.

use std::collections::BTreeSet;
use std::sync::Barrier;
use std::time::Duration;

use serde_json::json;

use super::{Cluster, converged, register, wait_for};
use crate::backend::skip_under_postgres;
use crate::service::Reply;

#[test]
fn concurrent_registrations_through_three_instances_number_versions_without_gap() {
    skip_under_postgres!("cluster tests run once, in the default run, on PostgreSQL of their own");
    const PER_NODE: usize = 32;
    let cluster = Cluster::start();
    cluster.shop("BACKWARD");
    // Every candidate adds an optional string property that `additionalProperties` already
    // covered: each is backward compatible with any other, so all must be accepted.
    let content = |i: usize| {
        json!({"type": "object", "additionalProperties": {"type": "string"},
               "properties": {format!("p{i}"): {"type": "string"}}})
    };
    let barrier = Barrier::new(3 * PER_NODE);
    let acknowledged: Vec<(u64, String, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3 * PER_NODE)
            .map(|i| {
                let (node, barrier, content) = (&cluster.nodes[i % 3], &barrier, content(i));
                scope.spawn(move || {
                    barrier.wait();
                    let reply = register(node, "orders@OrderPlaced", &content).unwrap();
                    assert_eq!(reply.status, 201, "p{i} on {}: {}", node.base, reply.body);
                    let fingerprint = reply.body["fingerprint"].as_str().unwrap().to_owned();
                    (reply.body["version"].as_u64().unwrap(), fingerprint, i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let numbers: BTreeSet<u64> = acknowledged.iter().map(|a| a.0).collect();
    assert_eq!(numbers.len(), acknowledged.len(), "a version number was handed out twice: {acknowledged:?}");
    assert_eq!(numbers, (1..=(3 * PER_NODE) as u64).collect(), "versions have a gap");
    let mut expected: Vec<(u64, String)> = acknowledged.iter().map(|(v, f, _)| (*v, f.clone())).collect();
    expected.sort();
    assert_eq!(converged(&cluster, "orders@OrderPlaced", 3 * PER_NODE), expected);
    for (version, _, i) in &acknowledged {
        let path = format!("/v1/registries/shop/schemas/orders@OrderPlaced/versions/{version}");
        let got = cluster.nodes[(i + 1) % 3].expect(200, "GET", &path, None);
        assert_eq!(got["content"], content(*i), "version {version} holds another registration's content");
    }
}

#[test]
fn mutually_incompatible_registrations_on_two_instances_never_both_succeed() {
    skip_under_postgres!("cluster tests run once, in the default run, on PostgreSQL of their own");
    let cluster = Cluster::start();
    // Version 1 reads anything, so each candidate alone is forward compatible with it; the
    // two pin `kind` to different constants, so neither reads the other's data.
    cluster.shop("FORWARD_TRANSITIVE");
    let candidate =
        |kind: &str| json!({"type": "object", "properties": {"kind": {"const": kind}}, "required": ["kind"]});
    for round in 0..20 {
        let schema = format!("s{round}");
        let first = register(&cluster.nodes[0], &schema, &json!({"type": "object"})).unwrap();
        assert_eq!(first.status, 201, "{}", first.body);
        for node in &cluster.nodes[..2] {
            let path = format!("/v1/registries/shop/schemas/{schema}/versions/latest");
            wait_for(node, &path, Duration::from_secs(2), |r| r.status == 200);
        }
        let barrier = Barrier::new(2);
        let replies: Vec<Reply> = std::thread::scope(|scope| {
            let handles: Vec<_> = ["a", "b"]
                .into_iter()
                .zip(&cluster.nodes)
                .map(|(kind, node)| {
                    let (barrier, schema, content) = (&barrier, &schema, candidate(kind));
                    scope.spawn(move || {
                        barrier.wait();
                        register(node, schema, &content).unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for reply in &replies {
            assert!(
                reply.status == 201 || reply.body["code"] == "incompatible_schema",
                "round {round}: {} {}",
                reply.status,
                reply.body
            );
        }
        let accepted = replies.iter().filter(|r| r.status == 201).count();
        assert_eq!(
            accepted, 1,
            "round {round}: {accepted} of two incompatible candidates accepted: {replies:?}"
        );
        converged(&cluster, &schema, 2);
    }
}
