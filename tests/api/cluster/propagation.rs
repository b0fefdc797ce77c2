//! A version registered on one instance applies on another within a second, on both
//! paths that resolve `latest` there.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{Cluster, register};
use crate::backend::skip_under_postgres;

#[test]
fn a_version_registered_on_one_instance_validates_on_another_within_a_second() {
    skip_under_postgres!("cluster tests run once, in the default run, on PostgreSQL of their own");
    let cluster = Cluster::start();
    cluster.shop("NONE");
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let open = json!({"type": "object"});
    let strict = json!({"type": "object", "required": ["orderId"]});
    assert_eq!(register(a, "orders@OrderPlaced", &open).unwrap().status, 201);
    // B validates on both paths that resolve `latest`: the validate endpoint and a bus
    // that enforces its contract on PutEvents (buses live in B's own data directory).
    let bus = json!({"name": "orders", "validation": {"mode": "enforce", "registry": "shop"}});
    b.expect(201, "POST", "/v1/buses", Some(&bus));
    let validate = "/v1/registries/shop/schemas/orders@OrderPlaced/versions/latest/validate";
    let event =
        json!({"entries": [{"source": "orders", "detailType": "Order Placed", "detail": {"total": 1}}]});
    // (the endpoint's (version, valid), the bus's count of refused entries)
    let verdict = || {
        let report = b.call("POST", validate, Some(&json!({"total": 1})));
        let put = b.expect(200, "POST", "/v1/buses/orders/events", Some(&event));
        ((report.body["version"].as_u64(), report.body["valid"].as_bool()), put["failedEntryCount"].as_u64())
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while verdict() != ((Some(1), Some(true)), Some(0)) {
        assert!(Instant::now() < deadline, "B never saw version 1: {:?}\n{}", verdict(), cluster.logs());
        std::thread::sleep(Duration::from_millis(50));
    }
    // Each round flips the latest contract on A; B must follow, having cached the last one.
    let (mut slowest_endpoint, mut slowest_bus) = (Duration::ZERO, Duration::ZERO);
    for version in 2..=6u64 {
        let content = if version % 2 == 0 { &strict } else { &open };
        let created = register(a, "orders@OrderPlaced", content).unwrap();
        let numbered = (created.status, created.body["version"].as_u64());
        assert_eq!(numbered, (201, Some(version)), "{}", created.body);
        let acknowledged = Instant::now();
        let valid = version % 2 == 1;
        let (mut endpoint, mut bus) = (None, None);
        while endpoint.is_none() || bus.is_none() {
            let (report, refused) = verdict();
            let elapsed = acknowledged.elapsed();
            if report == (Some(version), Some(valid)) {
                endpoint.get_or_insert(elapsed);
            }
            if refused == Some(u64::from(!valid)) {
                bus.get_or_insert(elapsed);
            }
            assert!(
                elapsed < Duration::from_secs(1),
                "B still answers {report:?} and refuses {refused:?} {elapsed:?} after A acknowledged version {version}\n{}",
                cluster.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        slowest_endpoint = slowest_endpoint.max(endpoint.unwrap_or_default());
        slowest_bus = slowest_bus.max(bus.unwrap_or_default());
    }
    eprintln!("slowest propagation to another instance: validate {slowest_endpoint:?}, bus {slowest_bus:?}");
}
