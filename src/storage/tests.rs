//! Storage tests across the journal, the queue index and sled: restart, compaction and
//! the format 1 migration, on real files in temporary directories.

use std::path::Path;
use std::time::SystemTime;

use super::*;

const SMALL_SEGMENTS: StoreOptions = StoreOptions {
    cache_capacity_bytes: 8 * 1024 * 1024,
    journal_segment_bytes: 4096,
    group_commit_delay: std::time::Duration::from_micros(1000),
    min_free_disk_bytes: 0,
};

/// Opens the store, retrying while a store just dropped still holds sled's file lock:
/// sled's I/O threads release it a moment after the drop, later on a loaded machine.
fn open(dir: &Path) -> Store {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match Store::open(dir, &SMALL_SEGMENTS) {
            Err(StorageError::Open { reason, .. })
                if reason.contains("lock") && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            opened => return opened.expect("store opens"),
        }
    }
}

/// Puts `n` events on bus `b`, each enqueued in `q`; returns the event bodies.
fn put(store: &Store, n: usize, now_ms: u64) -> Vec<String> {
    let mut bodies = Vec::new();
    for i in 0..n {
        let mut writes = EventWrites::default();
        let body = format!("{{\"n\":{i},\"pad\":\"{}\"}}", "x".repeat(300));
        let event = writes.event("b", body.as_bytes());
        writes.enqueue("q", store.next_seq(), now_ms, event);
        assert_eq!(store.commit_events(writes, super::Write::Now).expect("committed"), ["q"]);
        bodies.push(body);
    }
    store.flush_blocking().expect("flushed");
    bodies
}

fn receive_all(store: &Store, now_ms: u64) -> Vec<ReceivedMessage> {
    store
        .receive(ReceiveSpec {
            queue: "q",
            now_ms,
            max: 10_000,
            visibility_ms: 30_000,
            max_receive_count: None,
            dead_letter_queue: None,
            retention_ms: u64::MAX / 4,
        })
        .expect("received")
}

/// Events of `bus` the journal under `dir` holds, read by a replay of its own.
fn logged_events(dir: &Path, bus: &str) -> usize {
    let mut count = 0;
    journal::Journal::open(&dir.join("journal"), SMALL_SEGMENTS.journal_segment_bytes, |r| {
        if let journal::Record::Events { bus: b, lines } = r.record
            && b == bus
        {
            count += lines.iter().filter(|c| **c == b'\n').count();
        }
    })
    .expect("journal replays");
    count
}

fn text(m: &ReceivedMessage) -> String {
    String::from_utf8(m.body.clone()).expect("utf-8")
}

#[test]
fn queue_state_survives_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let store = open(dir.path());
    let bodies = put(&store, 30, 1_000);
    let first = receive_all(&store, 2_000);
    assert_eq!(first.iter().map(text).collect::<Vec<_>>(), bodies);
    let acked: Vec<String> = first[..10].iter().map(|m| m.receipt_handle.clone()).collect();
    assert_eq!(store.ack("q", &acked).expect("acked"), 10);
    store.flush_blocking().expect("flushed");
    assert_eq!(logged_events(dir.path(), "b"), 30);
    drop(store);

    let store = open(dir.path());
    assert_eq!(logged_events(dir.path(), "b"), 30);
    let counts = store.queue_counts("q", 2_000);
    assert_eq!((counts.visible, counts.in_flight), (0, 20), "received messages stay in flight");
    let again = receive_all(&store, 40_000);
    assert_eq!(again.len(), 20, "acknowledged messages never come back");
    assert!(again.iter().all(|m| m.receive_count == 2));
    assert_eq!(again.iter().map(text).collect::<Vec<_>>(), bodies[10..]);
    // A handle of the first receive is stale now.
    assert_eq!(store.ack("q", &[first[15].receipt_handle.clone()]).expect("ack"), 0);
}

#[test]
fn visibility_changes_keep_handles_valid_and_purges_survive_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let store = open(dir.path());
    put(&store, 3, 1_000);
    let first = receive_all(&store, 2_000);
    let handles: Vec<String> = first.iter().map(|m| m.receipt_handle.clone()).collect();
    // Extend the first, end the second's timeout now; garbage and stale handles say so.
    let changes = [
        (handles[0].clone(), 100_000),
        (handles[1].clone(), 3_000),
        ("garbage".to_owned(), 9_000),
        (handles[1].replacen(&handles[1][..8], "00000009", 1), 9_000),
    ];
    let outcomes = store.change_visibility("q", &changes, 3_000).expect("changed");
    assert_eq!(
        outcomes,
        [
            VisibilityChange::Changed,
            VisibilityChange::Changed,
            VisibilityChange::Malformed,
            VisibilityChange::NotInFlight
        ]
    );
    store.flush_blocking().expect("flushed");
    drop(store);

    let store = open(dir.path());
    // The changes were journaled: the second is back at 3 s, the first is still hidden.
    let again = receive_all(&store, 3_000);
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].message_id.clone(), again[0].receive_count), (first[1].message_id.clone(), 2));
    // The first-receive time is kept in memory only: after the restart it restarts.
    assert!(again[0].sent_at == 1_000 && again[0].first_received_at == 3_000, "{again:?}");
    // The first's handle is still its latest receive's: it acknowledges.
    assert_eq!(store.ack("q", &[handles[0].clone()]).expect("ack"), 1);
    let third = store.change_visibility("q", &[(handles[2].clone(), 3_000)], 3_000).expect("changed");
    assert_eq!(third, [VisibilityChange::Changed]);

    store.purge_queue("q").expect("purged");
    assert_eq!(store.queue_counts("q", 200_000).visible, 0);
    put(&store, 1, 4_000);
    store.flush_blocking().expect("flushed");
    drop(store);
    let store = open(dir.path());
    let left = receive_all(&store, 200_000);
    assert_eq!(left.len(), 1, "only the message sent after the purge: {left:?}");
}

#[test]
fn compaction_keeps_live_messages_and_deletes_old_segments() {
    let dir = tempfile::tempdir().expect("dir");
    let store = open(dir.path());
    let bodies = put(&store, 60, 1_000);
    // Acknowledge all but three messages spread over the journal.
    let received = receive_all(&store, 2_000);
    let keep = [0usize, 29, 59];
    let handles: Vec<String> = received
        .iter()
        .enumerate()
        .filter(|(i, _)| !keep.contains(i))
        .map(|(_, m)| m.receipt_handle.clone())
        .collect();
    assert_eq!(store.ack("q", &handles).expect("acked"), 57);
    let before = store.journal.segments().len();
    assert!(before > 3, "the test needs several segments, got {before}");

    let deleted = store.compact_sealed_before(SystemTime::now()).expect("compacts");
    assert_eq!(deleted, before - 1, "every sealed segment goes; the active one stays");
    let after: Vec<ReceivedMessage> = receive_all(&store, 40_000);
    assert_eq!(after.iter().map(text).collect::<Vec<_>>(), keep.map(|i| bodies[i].clone()));
    assert!(after.iter().all(|m| m.receive_count == 2), "state moved with the bodies");
    drop(store);

    let store = open(dir.path());
    let counts = store.queue_counts("q", 40_001);
    assert_eq!((counts.visible, counts.in_flight), (0, 3));
    let last = receive_all(&store, 80_000);
    assert_eq!(last.iter().map(text).collect::<Vec<_>>(), keep.map(|i| bodies[i].clone()));
}

#[test]
fn redrive_and_queue_deletion_replay() {
    let dir = tempfile::tempdir().expect("dir");
    let store = open(dir.path());
    put(&store, 2, 1_000);
    let spec = |now_ms| ReceiveSpec {
        queue: "q",
        now_ms,
        max: 10,
        visibility_ms: 1_000,
        max_receive_count: Some(1),
        dead_letter_queue: Some("dlq"),
        retention_ms: u64::MAX / 4,
    };
    assert_eq!(store.receive(spec(2_000)).expect("first").len(), 2);
    assert!(store.receive(spec(5_000)).expect("second").is_empty(), "both moved to the dead-letter queue");
    store.flush_blocking().expect("flushed");
    drop(store);
    let store = open(dir.path());
    assert_eq!(store.queue_counts("dlq", 5_000).visible, 2);
    assert_eq!(store.queue_counts("q", 5_000).visible, 0);
    store.purge_queue("dlq").expect("deleted");
    store.flush_blocking().expect("flushed");
    drop(store);
    let store = open(dir.path());
    assert_eq!(store.queue_counts("dlq", 5_000).visible, 0, "a deleted queue's messages stay gone");
}

#[test]
fn format_1_messages_move_to_the_journal() {
    let dir = tempfile::tempdir().expect("dir");
    {
        let store = open(dir.path());
        let mut key = b"q\0".to_vec();
        key.extend_from_slice(&5u64.to_be_bytes());
        key.extend_from_slice(&77u64.to_be_bytes());
        let mut value = 2u32.to_be_bytes().to_vec();
        value.extend_from_slice(&4u64.to_be_bytes());
        value.extend_from_slice(b"{\"old\":true}");
        store.messages.insert(key, value).expect("old message");
        store.events.insert(b"b\0\0\0\0\0\0\0\0\x01", b"{}\n".as_slice()).expect("old event");
        store.meta.insert(FORMAT_KEY, &1u32.to_be_bytes()).expect("format 1");
        store.db.flush().expect("flushed");
    }
    let store = open(dir.path());
    assert!(store.messages.is_empty() && store.events.is_empty(), "old trees emptied");
    let received = receive_all(&store, 10);
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].body, b"{\"old\":true}");
    assert_eq!(received[0].message_id, format!("{:016x}", 77));
    assert_eq!(received[0].receive_count, 3);
}

#[test]
fn a_receive_takes_each_due_message_once_even_with_no_visibility_timeout() {
    let dir = tempfile::tempdir().expect("dir");
    let store = open(dir.path());
    put(&store, 25, 1_000);
    let spec = |max| ReceiveSpec {
        queue: "q",
        now_ms: 2_000,
        max,
        visibility_ms: 0,
        max_receive_count: None,
        dead_letter_queue: None,
        retention_ms: u64::MAX / 4,
    };
    let first = store.receive(spec(7)).expect("received");
    let ids: std::collections::HashSet<_> = first.iter().map(|m| m.message_id.clone()).collect();
    assert_eq!((first.len(), ids.len()), (7, 7), "seven distinct messages");
    let all = store.receive(spec(100)).expect("received");
    let ids: std::collections::HashSet<_> = all.iter().map(|m| m.message_id.clone()).collect();
    assert_eq!((all.len(), ids.len()), (25, 25), "every message once, across chunks");
}

#[tokio::test]
async fn aws_schemas_records_are_kept_by_kind_across_a_restart() {
    use crate::storage::Control;
    let dir = tempfile::tempdir().expect("dir");
    {
        let control = Control::new(std::sync::Arc::new(open(dir.path())));
        control.put_aws(AwsKind::Discoverer, "events-event-bus-b", &"second").await.expect("put");
        assert!(
            control.insert_aws(AwsKind::Discoverer, "events-event-bus-a", &"first").await.expect("insert")
        );
        assert!(
            !control.insert_aws(AwsKind::Discoverer, "events-event-bus-a", &"again").await.expect("insert")
        );
        control.put_aws(AwsKind::Policy, "", &"account").await.expect("put");
        assert!(control.delete_aws(AwsKind::Policy, "").await.expect("delete"));
        assert!(!control.delete_aws(AwsKind::Policy, "").await.expect("delete"));
        control.put_aws(AwsKind::Policy, "shop", &"shop's").await.expect("put");
        assert!(
            !control.replace_aws(AwsKind::Policy, "shop", Some(&"stale"), &"lost").await.expect("refused")
        );
        assert!(
            control.replace_aws(AwsKind::Policy, "shop", Some(&"shop's"), &"shop's too").await.expect("ok")
        );
    }
    let control = Control::new(std::sync::Arc::new(open(dir.path())));
    let discoverers: Vec<(String, String)> = control.list_aws(AwsKind::Discoverer).expect("list");
    assert_eq!(
        discoverers,
        [
            ("events-event-bus-a".to_owned(), "first".to_owned()),
            ("events-event-bus-b".to_owned(), "second".to_owned())
        ]
    );
    assert_eq!(
        control.get_aws::<String>(AwsKind::Policy, "shop").expect("get").as_deref(),
        Some("shop's too")
    );
    assert_eq!(control.get_aws::<String>(AwsKind::Policy, "").expect("get"), None);
    assert_eq!(control.get_aws::<String>(AwsKind::Discoverer, "shop").expect("get"), None);
}
