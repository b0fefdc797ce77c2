//! The bus's definitions in cluster mode: buses, rules and queues made on one instance
//! are served, and route events, on every other within a second; scheduled rules fire on
//! one instance at a time, and on another when that one dies.
//!
//! Event data is still per instance until part 2 (docs/CLUSTER.md): an event put on an
//! instance lands in that instance's queues, so each check here puts and receives on the
//! same instance.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Cluster, wait_for};
use crate::backend::skip_under_postgres;
use crate::service::Service;

/// Puts one `shop` event on `node` and says whether its queue `inbox` then holds it.
fn routed(node: &Service, n: u64) -> bool {
    let entry = json!({"source": "shop", "detailType": "Order Placed", "detail": {"n": n}});
    let put = node.call("POST", "/v1/buses/default/events", Some(&json!({"entries": [entry]})));
    assert_eq!((put.status, &put.body["failedEntryCount"]), (200, &json!(0)), "{}", put.body);
    let got = node.call("POST", "/v1/queues/inbox/receive", Some(&json!({"maxMessages": 10})));
    assert_eq!(got.status, 200, "{}", got.body);
    let messages = got.body["messages"].as_array().cloned().unwrap_or_default();
    let handles: Vec<Value> = messages.iter().map(|m| m["receiptHandle"].clone()).collect();
    if !handles.is_empty() {
        node.expect(200, "POST", "/v1/queues/inbox/ack", Some(&json!({"receiptHandles": handles})));
    }
    messages.iter().any(|m| m["body"]["detail"]["n"] == n)
}

/// Waits until `routed` on every other node says `expected`, within a second of `since`.
#[track_caller]
fn every_other_routes(cluster: &Cluster, since: Instant, expected: bool, what: &str) -> Duration {
    let mut slowest = Duration::ZERO;
    let mut n = since.elapsed().as_nanos() as u64;
    for node in &cluster.nodes[1..] {
        loop {
            n += 1;
            if routed(node, n) == expected {
                slowest = slowest.max(since.elapsed());
                break;
            }
            let elapsed = since.elapsed();
            assert!(
                elapsed < Duration::from_secs(1),
                "{}: {what} not in effect {elapsed:?} after\n{}",
                node.base,
                cluster.logs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    slowest
}

#[test]
fn rules_and_queues_made_on_one_instance_take_effect_on_every_other_within_a_second() {
    skip_under_postgres!("cluster tests run once, in the default run, on PostgreSQL of their own");
    let cluster = Cluster::start();
    let a = &cluster.nodes[0];
    a.expect(200, "PUT", "/v1/queues/inbox", Some(&json!({"visibilityTimeoutSeconds": 30})));
    for node in &cluster.nodes[1..] {
        wait_for(node, "/v1/queues/inbox", Duration::from_secs(1), |r| r.status == 200);
    }
    let rule = |source: &str| json!({"pattern": {"source": [source]}, "targets": [{"id": "q", "type": "queue", "queue": "inbox"}]});
    a.expect(200, "PUT", "/v1/buses/default/rules/orders", Some(&rule("shop")));
    let mut slowest = every_other_routes(&cluster, Instant::now(), true, "the new rule");
    a.expect(200, "PUT", "/v1/buses/default/rules/orders", Some(&rule("elsewhere")));
    slowest = slowest.max(every_other_routes(&cluster, Instant::now(), false, "the changed pattern"));
    a.expect(200, "PUT", "/v1/buses/default/rules/orders", Some(&rule("shop")));
    slowest = slowest.max(every_other_routes(&cluster, Instant::now(), true, "the pattern changed back"));
    a.expect(204, "DELETE", "/v1/buses/default/rules/orders", None);
    slowest = slowest.max(every_other_routes(&cluster, Instant::now(), false, "the deletion"));
    eprintln!("slowest rule change to take effect on another instance: {slowest:?}");

    // Names are unique across instances: a bus made on one exists on all.
    a.expect(201, "POST", "/v1/buses", Some(&json!({"name": "orders"})));
    let b = &cluster.nodes[1];
    let again = b.call("POST", "/v1/buses", Some(&json!({"name": "orders"})));
    assert_eq!((again.status, again.body["code"].as_str()), (409, Some("bus_exists")), "{}", again.body);
    wait_for(&cluster.nodes[2], "/v1/buses/orders", Duration::from_secs(1), |r| r.status == 200);
    b.expect(204, "DELETE", "/v1/buses/orders", None);
    wait_for(a, "/v1/buses/orders", Duration::from_secs(1), |r| r.status == 404);
}

/// The scheduled events every node's queue `ticks` holds, by tick time.
fn ticks(cluster: &Cluster, alive: &[usize]) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for &i in alive {
        let node = &cluster.nodes[i];
        loop {
            let got = node.call("POST", "/v1/queues/ticks/receive", Some(&json!({"maxMessages": 10})));
            assert_eq!(got.status, 200, "{}", got.body);
            let messages = got.body["messages"].as_array().cloned().unwrap_or_default();
            if messages.is_empty() {
                break;
            }
            let handles: Vec<Value> = messages.iter().map(|m| m["receiptHandle"].clone()).collect();
            node.expect(200, "POST", "/v1/queues/ticks/ack", Some(&json!({"receiptHandles": handles})));
            for m in messages {
                *seen.entry(m["body"]["time"].as_str().unwrap().to_owned()).or_insert(0) += 1;
            }
        }
    }
    seen
}

#[test]
fn a_scheduled_rule_fires_each_tick_once_in_the_cluster_and_moves_when_its_instance_dies() {
    skip_under_postgres!("cluster tests run once, in the default run, on PostgreSQL of their own");
    // A 500 ms scheduler minute: `rate(1 minute)` ticks twice a second.
    let cluster = Cluster::start_with(&["--schedule-minute-ms", "500"]);
    let a = &cluster.nodes[0];
    a.expect(200, "PUT", "/v1/queues/ticks", Some(&json!({"visibilityTimeoutSeconds": 30})));
    for node in &cluster.nodes {
        wait_for(node, "/v1/queues/ticks", Duration::from_secs(1), |r| r.status == 200);
    }
    let rule =
        json!({"schedule": "rate(1 minute)", "targets": [{"id": "q", "type": "queue", "queue": "ticks"}]});
    a.expect(200, "PUT", "/v1/buses/default/rules/every", Some(&rule));
    std::thread::sleep(Duration::from_secs(4));
    let before = ticks(&cluster, &[0, 1, 2]);
    assert!(
        before.len() >= 5,
        "{} ticks in 4 s of 500 ms minutes: {before:?}\n{}",
        before.len(),
        cluster.logs()
    );
    assert!(before.values().all(|&n| n == 1), "a tick fired twice: {before:?}");

    // Whichever instance fires them dies; another takes the lease over (3 s at most) and
    // goes on from the last stored tick, so no tick is sent twice.
    let mut before = before;
    let (holder, drained) = holder_of(&cluster);
    for (tick, n) in drained {
        *before.entry(tick).or_insert(0) += n;
    }
    assert!(before.values().all(|&n| n == 1), "a tick fired twice: {before:?}");
    cluster.nodes[holder].kill_9();
    let alive: Vec<usize> = (0..3).filter(|&i| i != holder).collect();
    std::thread::sleep(Duration::from_secs(6));
    let after = ticks(&cluster, &alive);
    assert!(
        after.len() >= 3,
        "{} ticks in the 6 s after the holder died: {after:?}\n{}",
        after.len(),
        cluster.logs()
    );
    assert!(after.keys().all(|t| !before.contains_key(t)), "a tick was sent again: {after:?} / {before:?}");
    assert!(after.values().all(|&n| n == 1), "a tick fired twice: {after:?}");
}

/// The node whose queue receives the next scheduled tick, and the ticks it drained.
fn holder_of(cluster: &Cluster) -> (usize, BTreeMap<String, usize>) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        for i in 0..cluster.nodes.len() {
            let drained = ticks(cluster, &[i]);
            if !drained.is_empty() {
                return (i, drained);
            }
        }
        assert!(Instant::now() < deadline, "no node fires ticks\n{}", cluster.logs());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether `node` accepts an `orders` event without `orderId` on bus `orders`.
fn accepts(node: &Service) -> bool {
    let entry = json!({"source": "orders", "detailType": "Order Placed", "detail": {"total": 1}});
    let put = node.call("POST", "/v1/buses/orders/events", Some(&json!({"entries": [entry]})));
    assert_eq!(put.status, 200, "{}", put.body);
    put.body["failedEntryCount"] == 0
}

#[test]
fn a_contract_registered_on_one_instance_validates_events_on_every_other_within_a_second() {
    skip_under_postgres!("cluster tests run once, in the default run, on PostgreSQL of their own");
    let cluster = Cluster::start();
    cluster.shop("NONE");
    let a = &cluster.nodes[0];
    let validation = json!({"mode": "enforce", "registry": "shop", "unknownEventTypes": "reject"});
    a.expect(201, "POST", "/v1/buses", Some(&json!({"name": "orders", "validation": validation})));
    let open = json!({"type": "object"});
    let strict = json!({"type": "object", "required": ["orderId"]});
    let mut slowest = Duration::ZERO;
    // Each round flips the latest contract on A; the others' gates, having validated with
    // the previous one, must follow.
    for version in 1..=5u64 {
        let content = if version % 2 == 0 { &strict } else { &open };
        let created = super::register(a, "orders@OrderPlaced", content).unwrap();
        assert_eq!(
            (created.status, created.body["version"].as_u64()),
            (201, Some(version)),
            "{}",
            created.body
        );
        let acknowledged = Instant::now();
        for node in &cluster.nodes[1..] {
            while accepts(node) != (version % 2 == 1) {
                let elapsed = acknowledged.elapsed();
                assert!(
                    elapsed < Duration::from_secs(1),
                    "{} still validates with the previous contract {elapsed:?} after version {version}\n{}",
                    node.base,
                    cluster.logs()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            slowest = slowest.max(acknowledged.elapsed());
        }
    }
    eprintln!("slowest contract change to reach another instance's bus: {slowest:?}");
}

/// Puts one event of `detail_type` from `source` on every node of `alive`, and says which
/// of them, if any, has the discovered schema's first version.
fn discovered_on(cluster: &Cluster, alive: &[usize], source: &str, detail_type: &str) -> bool {
    for &i in alive {
        let entry = json!({"source": source, "detailType": detail_type, "detail": {"n": 1}});
        let put = cluster.nodes[i].call("POST", "/v1/buses/shop/events", Some(&json!({"entries": [entry]})));
        assert_eq!(put.status, 200, "{}", put.body);
    }
    let schema = format!("{source}@{}", detail_type.replace(' ', ""));
    let path = format!("/v1/registries/discovered-schemas/schemas/{schema}/versions/latest");
    cluster.nodes[alive[0]].call("GET", &path, None).status == 200
}

#[test]
fn discovery_runs_on_one_instance_and_moves_to_another_when_it_dies() {
    skip_under_postgres!("cluster tests run once, in the default run, on PostgreSQL of their own");
    let cluster =
        Cluster::start_with(&["--discovery-min-interval-seconds", "0", "--discovery-min-required", "1"]);
    let a = &cluster.nodes[0];
    a.expect(201, "POST", "/v1/buses", Some(&json!({"name": "shop"})));
    a.expect(200, "PUT", "/v1/buses/shop/discovery", Some(&json!({"enabled": true, "sampleRate": 1.0})));
    for node in &cluster.nodes {
        wait_for(node, "/v1/buses/shop/discovery", Duration::from_secs(1), |r| r.body["enabled"] == true);
    }
    let all = [0, 1, 2];
    let deadline = Instant::now() + Duration::from_secs(10);
    while !discovered_on(&cluster, &all, "orders", "Order Placed") {
        assert!(Instant::now() < deadline, "nothing discovered\n{}", cluster.logs());
        std::thread::sleep(Duration::from_millis(100));
    }
    // One instance learned it; the others dropped their samples (they do not hold the
    // `discovery` lease).
    let counters: Vec<Value> = cluster
        .nodes
        .iter()
        .map(|n| n.call("GET", "/v1/buses/shop/discovery", None).body["counters"].clone())
        .collect();
    let learners: Vec<usize> = (0..3).filter(|&i| counters[i]["inferred"].as_u64() > Some(0)).collect();
    assert_eq!(learners.len(), 1, "exactly one instance discovers: {counters:?}");
    let holder = learners[0];
    for (i, c) in counters.iter().enumerate() {
        if i != holder {
            assert!(c["dropped"].as_u64() > Some(0), "instance {i} dropped its samples: {counters:?}");
        }
    }

    cluster.nodes[holder].kill_9();
    let alive: Vec<usize> = (0..3).filter(|&i| i != holder).collect();
    let killed = Instant::now();
    while !discovered_on(&cluster, &alive, "billing", "Invoice Sent") {
        assert!(
            killed.elapsed() < Duration::from_secs(10),
            "no instance took discovery over\n{}",
            cluster.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("discovery moved to another instance {:?} after the kill", killed.elapsed());
}

#[test]
fn a_name_created_at_once_on_three_instances_is_created_once() {
    skip_under_postgres!("cluster tests run once, in the default run, on PostgreSQL of their own");
    let cluster = Cluster::start();
    for round in 0..10 {
        let name = format!("race-{round}");
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let calls: Vec<_> = cluster
                .nodes
                .iter()
                .map(|node| {
                    let name = name.clone();
                    s.spawn(move || node.call("POST", "/v1/buses", Some(&json!({"name": name}))).status)
                })
                .collect();
            calls.into_iter().map(|c| c.join().unwrap()).collect()
        });
        let mut sorted = statuses.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [201, 409, 409], "{name}: {statuses:?}\n{}", cluster.logs());
    }
}
