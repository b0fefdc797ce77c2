//! Cluster mode (docs/CLUSTER.md): three `schemabus serve` processes, each on its own data
//! directory, sharing their registry through one fresh PostgreSQL database. Whatever
//! `SCHEMABUS_TEST_BACKEND` says, these use PostgreSQL; they run in the default run only,
//! so the `postgres` run of the suite does not repeat them.

mod bus;
mod keys;
mod kill;
mod numbering;
mod propagation;
mod races;
mod recovery;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::backend::migrated_database;
use crate::service::{Launch, Reply, Service, log_tail, started};

/// Three instances on one database.
struct Cluster {
    nodes: Vec<Service>,
    logs: Vec<std::path::PathBuf>,
    _dir: tempfile::TempDir,
}

impl Cluster {
    fn start() -> Self {
        Self::start_with(&[])
    }

    /// Three instances started with these extra flags.
    fn start_with(flags: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let database = migrated_database();
        let launches: Vec<Launch> = (0..3)
            .map(|i| Launch {
                prefix: Vec::new(),
                data_dir: dir.path().join(format!("node{i}")),
                flags: ["--database-url", &database].iter().chain(flags).map(|f| (*f).to_owned()).collect(),
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
