//! kill -9 of one instance under registration load: what any instance acknowledged is
//! kept, and numbering has no hole.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use super::{Cluster, register, versions};
use crate::backend::skip_under_postgres;

/// A registration a node acknowledged (201), in the kill test.
struct Acked {
    schema: String,
    version: u64,
    fingerprint: String,
    title: String,
    at: Instant,
    writer: usize,
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
