//! Cluster mode (docs/CLUSTER.md): three `schemabus serve` processes, each on its own data
//! directory, sharing their registry through one fresh PostgreSQL database. Whatever
//! `SCHEMABUS_TEST_BACKEND` says, these use PostgreSQL; they run in the default run only,
//! so the `postgres` run of the suite does not repeat them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::backend::{migrated_database, skip_under_postgres};
use crate::service::{Launch, Reply, Service, log_tail, started};

/// Three instances on one database.
struct Cluster {
    nodes: Vec<Service>,
    logs: Vec<std::path::PathBuf>,
    _dir: tempfile::TempDir,
}

impl Cluster {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let database = migrated_database();
        let launches: Vec<Launch> = (0..3)
            .map(|i| Launch {
                prefix: Vec::new(),
                data_dir: dir.path().join(format!("node{i}")),
                flags: vec!["--database-url".to_owned(), database.clone()],
                log: dir.path().join(format!("node{i}.log")),
            })
            .collect();
        let nodes: Vec<Service> = launches.iter().map(started).collect();
        for node in &nodes {
            let ready = wait_for(node, "/readyz", Duration::from_secs(30), |r| r.status == 200);
            assert_eq!(ready.body["registry"], "postgres", "{}", ready.body);
        }
        Self { nodes, logs: launches.into_iter().map(|l| l.log).collect(), _dir: dir }
    }

    /// The nodes' logs' ends, for a failure message.
    fn logs(&self) -> String {
        self.logs.iter().map(|l| format!("--- {}\n{}\n", l.display(), log_tail(l, 3000))).collect()
    }

    /// Creates registry `shop` on the first node with this compatibility mode and waits
    /// until every node sees it so.
    fn shop(&self, compatibility: &str) {
        self.nodes[0].expect(201, "POST", "/v1/registries", Some(&json!({"name": "shop"})));
        let mode = json!({"compatibility": compatibility});
        self.nodes[0].expect(200, "PUT", "/v1/registries/shop/config", Some(&mode));
        for node in &self.nodes {
            wait_for(node, "/v1/registries/shop/config", Duration::from_secs(5), |r| {
                r.body["compatibility"] == compatibility
            });
        }
    }
}

/// Polls `GET path` on `node` every 50 ms until `done`; panics after `within`.
#[track_caller]
fn wait_for(node: &Service, path: &str, within: Duration, done: impl Fn(&Reply) -> bool) -> Reply {
    let deadline = Instant::now() + within;
    loop {
        if let Ok(reply) = node.try_call("GET", path, None)
            && done(&reply)
        {
            return reply;
        }
        assert!(Instant::now() < deadline, "{} {path}: not there in {within:?}", node.base);
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Registers `content` as a version of `shop/schema`, retrying while the answer is
/// `registration_contended` (documented as safe to retry: nothing was stored); `Err`
/// when the node did not answer.
fn register(node: &Service, schema: &str, content: &Value) -> Result<Reply, String> {
    let path = format!("/v1/registries/shop/schemas/{schema}/versions");
    for _ in 0..50 {
        let reply = node.try_call("POST", &path, Some(&json!({ "content": content })))?;
        if reply.status != 409 || reply.body["code"] != "registration_contended" {
            return Ok(reply);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{} {schema}: still contended after 50 tries", node.base);
}

/// A registration a node acknowledged (201), in the kill test.
struct Acked {
    schema: String,
    version: u64,
    fingerprint: String,
    title: String,
    at: Instant,
    writer: usize,
}

/// (version, fingerprint) of every version of `shop/schema`, as `node` lists them (none
/// while the node has not heard of the schema yet).
fn versions(node: &Service, schema: &str) -> Vec<(u64, String)> {
    let listed = node.call("GET", &format!("/v1/registries/shop/schemas/{schema}/versions"), None);
    if listed.status == 404 && listed.body["code"] == "schema_not_found" {
        return Vec::new();
    }
    assert_eq!(listed.status, 200, "{} {schema}: {}", node.base, listed.body);
    listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["version"].as_u64().unwrap(), v["fingerprint"].as_str().unwrap().to_owned()))
        .collect()
}

/// Waits until every node lists the same versions of `schema`, `count` of them.
#[track_caller]
fn converged(cluster: &Cluster, schema: &str, count: usize) -> Vec<(u64, String)> {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let lists: Vec<_> = cluster.nodes.iter().map(|n| versions(n, schema)).collect();
        if lists[0].len() == count && lists.iter().all(|l| *l == lists[0]) {
            return lists[0].clone();
        }
        assert!(Instant::now() < deadline, "the nodes disagree on {schema}: {lists:?}\n{}", cluster.logs());
        std::thread::sleep(Duration::from_millis(50));
    }
}

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

#[test]
fn registrations_acknowledged_before_a_kill_9_survive_on_the_other_instances() {
    skip_under_postgres!("cluster tests run once, in the default run, on PostgreSQL of their own");
    let cluster = Cluster::start();
    cluster.shop("NONE");
    let stop = AtomicBool::new(false);
    let killed_at = std::sync::OnceLock::<Instant>::new();
    // Two writers per node, each over the three schemas, each version's title unique.
    let acknowledged: Vec<Acked> = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..6)
            .map(|w| {
                let (node, stop) = (&cluster.nodes[w % 3], &stop);
                scope.spawn(move || {
                    let mut acked = Vec::new();
                    for k in 0..400 {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let (schema, title) = (format!("s{}", k % 3), format!("w{w}-{k}"));
                        let content = json!({"type": "object", "title": title});
                        match register(node, &schema, &content) {
                            Ok(r) if r.status == 201 => acked.push(Acked {
                                schema,
                                version: r.body["version"].as_u64().unwrap(),
                                fingerprint: r.body["fingerprint"].as_str().unwrap().to_owned(),
                                title,
                                at: Instant::now(),
                                writer: w,
                            }),
                            Ok(r) => panic!("writer {w}: {} {}", r.status, r.body),
                            // No answer: this writer's node was killed.
                            Err(_) => break,
                        }
                    }
                    acked
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(1500));
        cluster.nodes[2].kill_9();
        killed_at.set(Instant::now()).unwrap();
        std::thread::sleep(Duration::from_millis(1500));
        stop.store(true, Ordering::Relaxed);
        writers.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let killed_at = *killed_at.get().unwrap();
    let after = acknowledged.iter().filter(|a| a.at > killed_at).count();
    assert!(
        acknowledged.len() >= 30 && after >= 5,
        "too little load to prove anything: {} acknowledged, {after} after the kill",
        acknowledged.len()
    );
    eprintln!("{} registrations acknowledged, {after} of them after the kill", acknowledged.len());
    let survivors = &cluster.nodes[..2];
    let mut by_schema: BTreeMap<&str, Vec<&Acked>> = BTreeMap::new();
    for a in &acknowledged {
        by_schema.entry(a.schema.as_str()).or_default().push(a);
    }
    for (schema, acked) in by_schema {
        // A registration in flight at the kill may have committed unacknowledged: it may
        // be there or not, but the numbering has no hole and every acknowledged one is kept.
        let newest = acked.iter().map(|a| a.version).max().unwrap_or(0);
        let deadline = Instant::now() + Duration::from_secs(2);
        let listed = loop {
            let (first, second) = (versions(&survivors[0], schema), versions(&survivors[1], schema));
            if first == second && first.last().is_some_and(|v| v.0 >= newest) {
                break first;
            }
            assert!(Instant::now() < deadline, "the survivors disagree on {schema}: {first:?} {second:?}");
            std::thread::sleep(Duration::from_millis(50));
        };
        let numbers: Vec<u64> = listed.iter().map(|v| v.0).collect();
        assert_eq!(numbers, (1..=numbers.len() as u64).collect::<Vec<_>>(), "{schema} has a gap");
        // Only the killed node's two writers can have had one unacknowledged in flight.
        let unacknowledged = listed.len().saturating_sub(acked.len());
        assert!(unacknowledged <= 2, "{schema}: {unacknowledged} versions nobody was told of");
        for Acked { version, fingerprint, title, writer, .. } in acked {
            let path = format!("/v1/registries/shop/schemas/{schema}/versions/{version}");
            let got = survivors[usize::from(*version % 2 == 0)].expect(200, "GET", &path, None);
            assert_eq!(
                (got["content"]["title"].as_str(), got["fingerprint"].as_str()),
                (Some(title.as_str()), Some(fingerprint.as_str())),
                "{schema} version {version}, acknowledged to writer {writer}, was lost or changed"
            );
        }
    }
}
