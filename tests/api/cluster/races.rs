//! A deletion on one instance racing an edit on another: what was deleted stays deleted.

use std::sync::Barrier;
use std::time::{Duration, Instant};

use serde_json::json;

use super::{Cluster, register, wait_for};
use crate::backend::skip_under_postgres;

/// Sends a DELETE of `path` to `a` and a PATCH of it to `b` at once, `rounds` times on
/// fresh objects made by `create(round)`; asserts that whatever was deleted stays deleted.
/// A PATCH ordered before the DELETE is deleted with the object; one ordered after it
/// finds nothing (404). Either way, no node may show the object once the DELETE said 204.
fn delete_races_an_edit(cluster: &Cluster, rounds: u64, create: impl Fn(u64) -> String) {
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    for round in 0..rounds {
        let path = create(round);
        wait_for(b, &path, Duration::from_secs(2), |r| r.status == 200);
        let barrier = Barrier::new(2);
        let (deleted, edited) = std::thread::scope(|scope| {
            let delete = scope.spawn(|| {
                barrier.wait();
                a.call("DELETE", &path, None)
            });
            let edit = scope.spawn(|| {
                barrier.wait();
                // Stagger the edit so rounds land on both sides of the deletion's commit.
                std::thread::sleep(Duration::from_micros(500 * (round % 8)));
                b.call("PATCH", &path, Some(&json!({"description": "edited"})))
            });
            (delete.join().unwrap(), edit.join().unwrap())
        });
        assert_eq!(deleted.status, 204, "round {round}: {}", deleted.body);
        assert!(matches!(edited.status, 200 | 404), "round {round}: {} {}", edited.status, edited.body);
        for node in &cluster.nodes {
            // Gone within the second a change takes to reach every instance.
            let deadline = Instant::now() + Duration::from_secs(1);
            loop {
                let seen = node.call("GET", &path, None);
                if seen.status == 404 {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "round {round}: {path} is back on {} after its deletion was acknowledged (the edit answered {}): {} {}",
                    node.base,
                    edited.status,
                    seen.status,
                    seen.body
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

#[test]
fn a_schema_deleted_on_one_instance_is_not_resurrected_by_an_edit_on_another() {
    skip_under_postgres!("cluster tests run once, in the default run, on PostgreSQL of their own");
    let cluster = Cluster::start();
    cluster.shop("NONE");
    delete_races_an_edit(&cluster, 20, |round| {
        let schema = format!("s{round}");
        assert_eq!(register(&cluster.nodes[0], &schema, &json!({"type": "object"})).unwrap().status, 201);
        format!("/v1/registries/shop/schemas/{schema}")
    });
}

#[test]
fn a_registry_deleted_on_one_instance_is_not_resurrected_by_an_edit_on_another() {
    skip_under_postgres!("cluster tests run once, in the default run, on PostgreSQL of their own");
    let cluster = Cluster::start();
    delete_races_an_edit(&cluster, 20, |round| {
        let name = format!("r{round}");
        cluster.nodes[0].expect(201, "POST", "/v1/registries", Some(&json!({ "name": name })));
        format!("/v1/registries/{name}")
    });
}

#[test]
fn a_registry_re_created_after_a_deletion_raced_by_a_configuration_starts_from_the_defaults() {
    skip_under_postgres!("cluster tests run once, in the default run, on PostgreSQL of their own");
    let cluster = Cluster::start();
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    for round in 0..20u64 {
        let path = format!("/v1/registries/c{round}");
        a.expect(201, "POST", "/v1/registries", Some(&json!({ "name": format!("c{round}") })));
        wait_for(b, &path, Duration::from_secs(2), |r| r.status == 200);
        let barrier = Barrier::new(2);
        let (deleted, configured) = std::thread::scope(|scope| {
            let delete = scope.spawn(|| {
                barrier.wait();
                a.call("DELETE", &path, None)
            });
            let configure = scope.spawn(|| {
                barrier.wait();
                std::thread::sleep(Duration::from_micros(500 * (round % 8)));
                b.call("PUT", &format!("{path}/config"), Some(&json!({"compatibility": "NONE"})))
            });
            (delete.join().unwrap(), configure.join().unwrap())
        });
        assert_eq!(deleted.status, 204, "round {round}: {}", deleted.body);
        // Before the deletion, the configuration went with the registry; after it, the
        // write found no registry. Either way the name starts afresh.
        for node in &cluster.nodes {
            wait_for(node, &path, Duration::from_secs(1), |r| r.status == 404);
        }
        a.expect(201, "POST", "/v1/registries", Some(&json!({ "name": format!("c{round}") })));
        let config = a.expect(200, "GET", &format!("{path}/config"), None);
        assert_eq!(
            config["source"], "default",
            "round {round}: the re-created registry inherited a configuration (the racing write answered {}): {config}",
            configured.status
        );
    }
}
