//! The PostgreSQL adapters of the control plane (`PgControl`) and of leases (`PgLeases`),
//! driven through their ports on a real PostgreSQL (`common/postgres.rs`: the server
//! `SCHEMABUS_TEST_PG_URL` names, or one started for this process), each test on a fresh
//! database. Two adapters opened on one database, each with its own pool and instance
//! name, stand for two instances of a cluster.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

#[path = "common/postgres.rs"]
mod postgres;

use std::sync::Arc;
use std::time::{Duration, Instant};

use schemabus::storage::postgres::{PgControl, PgLeases, connect, migrate, transfer};
use schemabus::storage::{
    Applied, Collection, ControlStore, Lease, LeaseStore, Op, SHARED_TREES, Store, StoreOptions, TreeEntries,
};
use sqlx::PgPool;

/// A fresh, migrated database and a pool on it.
async fn database() -> (String, PgPool) {
    let url = postgres::fresh_database();
    let pool = connect(&url, 2).await.unwrap();
    migrate(&pool).await.unwrap();
    (url, pool)
}

/// An instance's control plane on `url`, on a pool of its own.
async fn instance(url: &str, name: &str) -> PgControl {
    PgControl::open(connect(url, 4).await.unwrap(), name).await.unwrap()
}

fn put(collection: Collection, key: &[u8], value: &[u8]) -> Op {
    Op::Put { collection, key: key.to_vec(), value: value.to_vec() }
}

fn create(collection: Collection, key: &[u8], value: &[u8]) -> Op {
    Op::Create { collection, key: key.to_vec(), value: value.to_vec() }
}

fn expect(collection: Collection, key: &[u8], value: Option<&[u8]>) -> Op {
    Op::Expect { collection, key: key.to_vec(), value: value.map(<[u8]>::to_vec) }
}

fn applied(existed: &[bool]) -> Applied {
    Applied { refused: false, existed: existed.to_vec() }
}

fn refused() -> Applied {
    Applied { refused: true, existed: Vec::new() }
}

fn get(store: &PgControl, collection: Collection, key: &[u8]) -> Option<Vec<u8>> {
    store.get(collection, key).unwrap()
}

fn keys(store: &PgControl, collection: Collection, prefix: &[u8]) -> Vec<Vec<u8>> {
    store.scan(collection, prefix).unwrap().into_iter().map(|(k, _)| k).collect()
}

/// Waits until `done` holds; panics after `within`.
async fn eventually(within: Duration, what: &str, done: impl Fn() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_create_whose_key_is_taken_refuses_the_whole_batch_and_writes_nothing() {
    let (url, _pool) = database().await;
    let one = instance(&url, "one").await;
    assert_eq!(one.apply(vec![create(Collection::Buses, b"shop", b"1")]).await.unwrap(), applied(&[false]));
    let batch = vec![
        put(Collection::Rules, b"shop\0a", b"rule"),
        create(Collection::Buses, b"new", b"n"),
        create(Collection::Buses, b"shop", b"2"),
        Op::Delete { collection: Collection::Buses, key: b"shop".to_vec() },
    ];
    assert_eq!(one.apply(batch).await.unwrap(), refused());
    // Neither this instance's replica nor the database (which a new instance loads) holds
    // anything of the batch.
    let loaded = instance(&url, "two").await;
    for store in [&one, &loaded] {
        assert_eq!(get(store, Collection::Buses, b"shop"), Some(b"1".to_vec()));
        assert_eq!(get(store, Collection::Buses, b"new"), None);
        assert_eq!(get(store, Collection::Rules, b"shop\0a"), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_create_shows_its_caller_what_took_the_key() {
    let (url, _pool) = database().await;
    let (one, two) = (instance(&url, "one").await, instance(&url, "two").await);
    for round in 0..20u8 {
        let key = [b'k', round];
        assert!(!one.apply(vec![create(Collection::Replays, &key, b"one's")]).await.unwrap().refused);
        // Whether or not one's notification reached two yet, two reads what refused it.
        assert_eq!(two.apply(vec![create(Collection::Replays, &key, b"two's")]).await.unwrap(), refused());
        assert_eq!(get(&two, Collection::Replays, &key), Some(b"one's".to_vec()), "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn puts_and_deletes_report_whether_their_key_existed() {
    let (url, _pool) = database().await;
    let one = instance(&url, "one").await;
    let q = Collection::Queues;
    assert_eq!(one.apply(vec![put(q, b"orders", b"1")]).await.unwrap(), applied(&[false]));
    assert_eq!(
        one.apply(vec![put(q, b"orders", b"2"), put(q, b"refunds", b"1")]).await.unwrap(),
        applied(&[true, false])
    );
    assert_eq!(get(&one, q, b"orders"), Some(b"2".to_vec()));
    let delete = |key: &[u8]| Op::Delete { collection: q, key: key.to_vec() };
    assert_eq!(
        one.apply(vec![delete(b"orders"), delete(b"missing")]).await.unwrap(),
        applied(&[true, false])
    );
    assert_eq!(one.apply(vec![delete(b"orders")]).await.unwrap(), applied(&[false]));
    assert_eq!(keys(&one, q, b""), vec![b"refunds".to_vec()]);
    assert_eq!(one.apply(Vec::new()).await.unwrap(), applied(&[]), "an empty batch writes nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expect_refuses_the_batch_unless_the_key_holds_exactly_its_value() {
    let (url, _pool) = database().await;
    let one = instance(&url, "one").await;
    let t = Collection::ScheduleTicks;
    let first = vec![expect(t, b"bus\0rule", None), put(t, b"bus\0rule", b"1")];
    assert_eq!(one.apply(first.clone()).await.unwrap(), applied(&[false, false]));
    assert_eq!(one.apply(first).await.unwrap(), refused(), "the key holds something now");
    let stale = vec![expect(t, b"bus\0rule", Some(b"0")), put(t, b"bus\0rule", b"2")];
    assert_eq!(one.apply(stale).await.unwrap(), refused());
    assert_eq!(get(&one, t, b"bus\0rule"), Some(b"1".to_vec()));
    let current = vec![expect(t, b"bus\0rule", Some(b"1")), put(t, b"bus\0rule", b"2")];
    assert_eq!(one.apply(current).await.unwrap(), applied(&[true, true]));
    assert_eq!(get(&one, t, b"bus\0rule"), Some(b"2".to_vec()));
}

/// Of two instances advancing one value from what they both read, exactly one succeeds,
/// whether the key existed or not (serializable batches, `postgres/control.rs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_two_instances_swapping_one_value_at_once_exactly_one_succeeds() {
    let (url, _pool) = database().await;
    let (one, two) = (instance(&url, "one").await, instance(&url, "two").await);
    let t = Collection::ScheduleTicks;
    let mut last: Option<Vec<u8>> = None;
    for round in 0..30u8 {
        let swap = |store: &PgControl, value: u8| {
            let (store, last) = (store.clone(), last.clone());
            let ops = vec![expect(t, b"tick", last.as_deref()), put(t, b"tick", &[round, value])];
            tokio::spawn(async move { store.apply(ops).await.unwrap().refused })
        };
        let (a, b) = (swap(&one, 1), swap(&two, 2));
        let (a_refused, b_refused) = (a.await.unwrap(), b.await.unwrap());
        assert!(a_refused != b_refused, "round {round}: refused {a_refused} and {b_refused}");
        let winner = if a_refused { 2 } else { 1 };
        last = Some(vec![round, winner]);
        for store in [&one, &two] {
            eventually(Duration::from_secs(1), "both hold the winner", || get(store, t, b"tick") == last)
                .await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn delete_prefix_removes_the_keys_under_its_prefix_and_only_those() {
    let (url, _pool) = database().await;
    let one = instance(&url, "one").await;
    let r = Collection::Rules;
    let stored: [&[u8]; 9] =
        [b"a", b"a\0x", b"a\0y", b"a\x01", b"b\0x", &[0xff], &[0xff, 0xfe], &[0xff, 0xff], &[0xff, 0xff, 0]];
    let mut batch: Vec<Op> = stored.iter().map(|k| put(r, k, b"rule")).collect();
    batch.push(put(Collection::Buses, b"a", b"bus"));
    one.apply(batch).await.unwrap();
    let prefix = |prefix: &[u8]| Op::DeletePrefix { collection: r, prefix: prefix.to_vec() };
    assert_eq!(one.apply(vec![prefix(b"a\0"), prefix(b"c")]).await.unwrap(), applied(&[true, false]));
    // 0xFF bytes end no range early: the keys after them stay.
    assert_eq!(one.apply(vec![prefix(&[0xff, 0xff])]).await.unwrap(), applied(&[true]));
    let left = [b"a".to_vec(), b"a\x01".to_vec(), b"b\0x".to_vec(), vec![0xff], vec![0xff, 0xfe]];
    let loaded = instance(&url, "two").await;
    for store in [&one, &loaded] {
        assert_eq!(keys(store, r, b""), left);
        assert_eq!(keys(store, r, b"a"), left[..2]);
    }
    // An empty prefix is the whole collection, and no other.
    assert_eq!(one.apply(vec![prefix(b"")]).await.unwrap(), applied(&[true]));
    let loaded = instance(&url, "three").await;
    for store in [&one, &loaded] {
        assert!(keys(store, r, b"").is_empty());
        assert_eq!(get(store, Collection::Buses, b"a"), Some(b"bus".to_vec()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_on_one_instance_is_read_on_another_within_a_second_and_raises_its_remote_changes() {
    let (url, _pool) = database().await;
    let (one, two) = (instance(&url, "one").await, instance(&url, "two").await);
    let (mut one_heard, mut two_heard) = (one.remote_changes().unwrap(), two.remote_changes().unwrap());
    one_heard.mark_unchanged();
    two_heard.mark_unchanged();
    let before = two.generation();
    for round in 0..5u8 {
        let value = [b'v', round];
        let own_before = one.generation();
        one.apply(vec![put(Collection::Buses, b"shop", &value), put(Collection::Rules, b"shop\0r", &value)])
            .await
            .unwrap();
        // Read-your-writes, and the generation raised before the write resolved.
        assert_eq!(get(&one, Collection::Buses, b"shop"), Some(value.to_vec()));
        assert!(one.generation() > own_before);
        let acknowledged = Instant::now();
        tokio::time::timeout(Duration::from_secs(1), two_heard.changed())
            .await
            .expect("two heard of one's write within a second")
            .unwrap();
        eventually(
            Duration::from_secs(1).saturating_sub(acknowledged.elapsed()),
            "two reads the write",
            || {
                get(&two, Collection::Buses, b"shop") == Some(value.to_vec())
                    && keys(&two, Collection::Rules, b"shop\0") == vec![b"shop\0r".to_vec()]
            },
        )
        .await;
        assert!(*two_heard.borrow_and_update() <= two.generation());
    }
    assert!(two.generation() > before);
    // Its own writes are no remote change to the writer.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!one_heard.has_changed().unwrap(), "one's own writes came back as remote changes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_puts_of_one_key_converge_on_the_same_value_on_both_instances() {
    let (url, pool) = database().await;
    let (one, two) = (instance(&url, "one").await, instance(&url, "two").await);
    let tags = Collection::Tags;
    for round in 0..30u8 {
        let write = |store: &PgControl, who: u8| {
            let store = store.clone();
            tokio::spawn(async move { store.apply(vec![put(tags, b"arn", &[who, round])]).await.unwrap() })
        };
        let (a, b) = (write(&one, 1), write(&two, 2));
        a.await.unwrap();
        b.await.unwrap();
        let kept: Vec<u8> =
            sqlx::query_scalar("SELECT value FROM control_records WHERE collection = 'tags' AND key = 'arn'")
                .fetch_one(&pool)
                .await
                .unwrap();
        for store in [&one, &two] {
            eventually(Duration::from_secs(1), &format!("round {round}: the replicas hold {kept:?}"), || {
                get(store, tags, b"arn").as_ref() == Some(&kept)
            })
            .await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_catches_up_after_its_notification_connection_is_lost() {
    let (url, pool) = database().await;
    let (one, two) = (instance(&url, "one").await, instance(&url, "two").await);
    let mut heard = two.remote_changes().unwrap();
    heard.mark_unchanged();
    let killed: i64 = sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()
           AND query LIKE 'LISTEN %schemabus_control%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(killed >= 2, "both listeners were found and killed: {killed}");
    one.apply(vec![put(Collection::Connections, b"crm", b"sealed")]).await.unwrap();
    eventually(Duration::from_secs(5), "two reads the write made while it reconnected", || {
        get(&two, Collection::Connections, b"crm").is_some()
    })
    .await;
    assert!(heard.has_changed().unwrap(), "the reload after the loss counts as a remote change");
    // And it follows later writes through its new connection.
    one.apply(vec![put(Collection::Connections, b"erp", b"sealed")]).await.unwrap();
    eventually(Duration::from_secs(1), "two reads a later write", || {
        get(&two, Collection::Connections, b"erp").is_some()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_import_is_read_back_byte_for_byte_and_reaches_running_instances() {
    let (url, pool) = database().await;
    let running = instance(&url, "running").await;
    let mut heard = running.remote_changes().unwrap();
    heard.mark_unchanged();
    let imported: Vec<(&str, TreeEntries)> = vec![
        ("buses", vec![(b"default".to_vec(), br#"{"name":"default"}"#.to_vec())]),
        ("rules", vec![(b"default\0a".to_vec(), vec![0, 1, 0xff]), (b"default\0b".to_vec(), b"{}".to_vec())]),
        ("aws_schemas", vec![(b"r\0shop".to_vec(), b"{}".to_vec())]),
    ];
    assert_eq!(transfer::write_trees(&pool, &imported).await.unwrap(), 4);
    let read = transfer::read_trees(&pool).await.unwrap();
    for collection in Collection::ALL {
        let name = collection.name();
        let found = read.iter().find(|(tree, _)| *tree == name).map(|(_, entries)| entries.clone());
        let wanted =
            imported.iter().find(|(tree, _)| *tree == name).map_or_else(Vec::new, |(_, e)| e.clone());
        assert_eq!(found, Some(wanted), "tree {name}");
    }
    tokio::time::timeout(Duration::from_secs(1), heard.changed())
        .await
        .expect("the import was notified")
        .unwrap();
    assert_eq!(get(&running, Collection::Rules, b"default\0a"), Some(vec![0, 1, 0xff]));
    let again = transfer::write_trees(&pool, &imported).await.unwrap_err().to_string();
    assert!(again.contains("database already holds"), "{again}");
    // What an import hands to PostgreSQL is what the embedded store exports.
    let dir = tempfile::tempdir().unwrap();
    let exported = Store::open(dir.path(), &StoreOptions::default()).unwrap().exported_tree_names();
    for tree in SHARED_TREES {
        assert!(exported.contains(&tree), "{tree} is shared but not exported");
    }
    for collection in Collection::ALL {
        assert!(SHARED_TREES.contains(&collection.name()), "{} is not shared", collection.name());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lease_is_held_by_one_instance_until_it_expires_or_is_released() {
    let (_url, pool) = database().await;
    let (a, b) = (PgLeases::new(pool.clone(), "a"), PgLeases::new(pool.clone(), "b"));
    let ttl = Duration::from_millis(700);
    assert!(a.acquire("scheduler", ttl).await.unwrap());
    assert!(!b.acquire("scheduler", ttl).await.unwrap(), "held by a");
    assert!(a.acquire("scheduler", ttl).await.unwrap(), "renewed by its holder");
    assert!(b.acquire("discovery", ttl).await.unwrap(), "another lease is free");
    b.release("scheduler").await.unwrap();
    assert!(!b.acquire("scheduler", ttl).await.unwrap(), "only its holder releases it");
    tokio::time::sleep(ttl + Duration::from_millis(300)).await;
    assert!(b.acquire("scheduler", ttl).await.unwrap(), "taken over once expired");
    assert!(!a.acquire("scheduler", ttl).await.unwrap(), "the former holder lost it");
    b.release("scheduler").await.unwrap();
    assert!(a.acquire("scheduler", ttl).await.unwrap(), "released: free at once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_instances_taking_a_free_lease_at_once_exactly_one_holds_it() {
    let (url, _pool) = database().await;
    let mut instances = Vec::new();
    for i in 0..6 {
        instances.push(PgLeases::new(connect(&url, 1).await.unwrap(), &format!("instance-{i}")));
    }
    for round in 0..10 {
        let mut racers = Vec::new();
        for leases in &instances {
            let leases = leases.clone();
            racers.push(tokio::spawn(async move {
                leases.acquire(&format!("race-{round}"), Duration::from_secs(30)).await.unwrap()
            }));
        }
        let mut holders = 0;
        for racer in racers {
            holders += usize::from(racer.await.unwrap());
        }
        assert_eq!(holders, 1, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_kept_lease_moves_to_the_other_instance_when_its_holder_lets_go() {
    let (url, _pool) = database().await;
    let store = |name: &str| {
        let url = url.clone();
        let name = name.to_owned();
        async move { Arc::new(PgLeases::new(connect(&url, 1).await.unwrap(), &name)) as Arc<dyn LeaseStore> }
    };
    let ttl = Duration::from_millis(600);
    let first = Lease::keep(store("a").await, "replay", ttl);
    tokio::time::timeout(Duration::from_secs(2), first.taken()).await.expect("a takes the free lease");
    let second = Lease::keep(store("b").await, "replay", ttl);
    tokio::time::sleep(ttl * 2).await;
    assert!(first.held() && !second.held(), "one holder while a keeps renewing");
    drop(first);
    tokio::time::timeout(ttl * 3, second.taken()).await.expect("b takes it once a lets go");
    assert!(second.held());
}
