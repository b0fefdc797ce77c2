//! The live tail of a bus (docs/BUS.md#the-live-tail): every entry of a PutEvents request
//! on the bus, accepted, refused or warned, handed to the streams following it once its
//! outcome is decided and written.
//!
//! One bounded [`broadcast`] channel per tailed bus. Publishing costs one atomic load
//! while no stream is open anywhere, and one map lookup while streams follow other buses:
//! nothing is built or serialised for a bus nobody tails. A stream that falls more than
//! [`TAIL_BUFFER`] entries behind loses the oldest ones and is told how many
//! ([`TailItem::Lagged`]); producers never wait for a stream, and memory stays bounded.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use serde_json::Value;
use tokio::sync::{broadcast, watch};
use utoipa::ToSchema;

use crate::model::EntryError;
use crate::pattern::{Pattern, PatternMatcher};

/// Entries kept per tailed bus for its slowest stream; past it that stream lags.
pub const TAIL_BUFFER: usize = 256;

/// What became of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TailOutcome {
    /// Accepted and routed.
    Accepted,
    /// Refused: not an event, not authorized for its source, or refused by its contract.
    Refused,
    /// Accepted, with contract findings (`warn` validation); quarantined as warned too.
    Warned,
}

impl TailOutcome {
    /// The SSE event name: `accepted`, `refused` or `warned`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Refused => "refused",
            Self::Warned => "warned",
        }
    }
}

/// One entry as a tail stream sends it (the `data:` of an SSE event).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TailEntry {
    /// `accepted`, `refused` or `warned`.
    pub outcome: TailOutcome,
    /// The event id; absent for an entry refused before it became an event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The event's `time`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// `source`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `detail-type`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail_type: Option<String>,
    /// RFC 3339 time of the PutEvents call.
    pub received_at: String,
    /// The per-entry code of a refusal or warning (`SchemaValidationFailed`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Its explanation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// JSON Pointer into `detail` of the first validation finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Every validation finding (at most 10).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<EntryError>,
    /// The contract used, as `registry/schema/version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract: Option<String>,
    /// The rules of this bus the event matched (accepted and warned events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules_matched: Option<Vec<String>>,
    /// Path of the event's routing trace (accepted and warned events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// The event as delivered (accepted) or as it would have been (refused by its
    /// contract); absent for an entry that never became an event.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub event: Option<Value>,
}

/// A published entry: its position (the SSE `id:`) and what is sent.
#[derive(Debug)]
pub struct Published {
    /// Increasing across the process's buses.
    pub seq: u64,
    /// The entry.
    pub entry: TailEntry,
    /// Its JSON, written by the first stream that sends it and shared by the others.
    json: std::sync::OnceLock<String>,
}

impl Published {
    /// The entry as one line of JSON (serialised once, however many streams send it).
    pub fn json(&self) -> &str {
        self.json.get_or_init(|| serde_json::to_string(&self.entry).unwrap_or_default())
    }
}

/// What a stream reads next.
#[derive(Debug)]
pub enum TailItem {
    /// An entry matching the stream's pattern.
    Entry(Arc<Published>),
    /// This many entries were dropped because the stream fell behind.
    Lagged(u64),
    /// The service is shutting down: end the stream.
    Closed,
}

/// The tails of every bus. Cheap to clone; clones share state.
///
/// # Concurrency
/// [`Tail::publish`] is called from the PutEvents path of every worker: it never waits
/// for a stream (a broadcast send takes the channel's lock for a slot write).
#[derive(Debug, Clone, Default)]
pub struct Tail {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Open streams across buses: zero means publishing is a single load.
    streams: AtomicUsize,
    buses: Mutex<HashMap<String, broadcast::Sender<Arc<Published>>>>,
    seq: AtomicU64,
    closing: watch::Sender<bool>,
}

impl Default for Inner {
    fn default() -> Self {
        Self {
            streams: AtomicUsize::new(0),
            buses: Mutex::default(),
            seq: AtomicU64::new(0),
            closing: watch::Sender::new(false),
        }
    }
}

impl Tail {
    /// Whether any stream follows `bus`: what PutEvents checks before building entries.
    pub fn listening(&self, bus: &str) -> bool {
        if self.inner.streams.load(Ordering::Relaxed) == 0 {
            return false;
        }
        let buses = self.inner.buses.lock().unwrap_or_else(PoisonError::into_inner);
        buses.get(bus).is_some_and(|s| s.receiver_count() > 0)
    }

    /// Hands entries of `bus` to its streams (none listening: dropped at once).
    pub fn publish(&self, bus: &str, entries: Vec<TailEntry>) {
        let Some(sender) = self.inner.buses.lock().unwrap_or_else(PoisonError::into_inner).get(bus).cloned()
        else {
            return;
        };
        for entry in entries {
            let seq = self.inner.seq.fetch_add(1, Ordering::Relaxed) + 1;
            // An error means the last stream just ended: nobody to tell.
            let _ = sender.send(Arc::new(Published { seq, entry, json: std::sync::OnceLock::new() }));
        }
    }

    /// A stream of `bus`'s entries matching `pattern` (every entry without one).
    pub fn subscribe(&self, bus: &str, pattern: Option<Pattern>) -> TailStream {
        let receiver = {
            let mut buses = self.inner.buses.lock().unwrap_or_else(PoisonError::into_inner);
            // Forget the channels of buses nobody follows any more.
            buses.retain(|_, s| s.receiver_count() > 0);
            buses.entry(bus.to_owned()).or_insert_with(|| broadcast::channel(TAIL_BUFFER).0).subscribe()
        };
        self.inner.streams.fetch_add(1, Ordering::Relaxed);
        let filter = pattern.map(|p| {
            let mut m = PatternMatcher::new();
            m.add((), p);
            m
        });
        TailStream {
            receiver,
            filter,
            closing: self.inner.closing.subscribe(),
            inner: Arc::clone(&self.inner),
        }
    }

    /// Ends every stream (service shutdown), so graceful shutdown need not wait for them.
    pub fn close(&self) {
        self.inner.closing.send_replace(true);
    }
}

/// One stream's receiving end. Dropping it unsubscribes.
#[derive(Debug)]
pub struct TailStream {
    receiver: broadcast::Receiver<Arc<Published>>,
    filter: Option<PatternMatcher<()>>,
    closing: watch::Receiver<bool>,
    inner: Arc<Inner>,
}

impl TailStream {
    /// The next entry matching the pattern, a lag report, or the end.
    ///
    /// # Cancel safety
    /// Cancel-safe: an entry is taken from the channel only when it is returned or
    /// filtered out.
    pub async fn next(&mut self) -> TailItem {
        loop {
            if *self.closing.borrow() {
                return TailItem::Closed;
            }
            let received = tokio::select! {
                r = self.receiver.recv() => r,
                _ = self.closing.changed() => return TailItem::Closed,
            };
            match received {
                Ok(published) => {
                    if self.keeps(&published.entry) {
                        return TailItem::Entry(published);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => return TailItem::Lagged(n),
                Err(broadcast::error::RecvError::Closed) => return TailItem::Closed,
            }
        }
    }

    fn keeps(&self, entry: &TailEntry) -> bool {
        match (&self.filter, &entry.event) {
            (None, _) => true,
            (Some(m), Some(event)) => !m.matches(event).is_empty(),
            // An entry that never became an event has nothing a pattern could match.
            (Some(_), None) => false,
        }
    }
}

impl Drop for TailStream {
    fn drop(&mut self) {
        self.inner.streams.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(source: &str) -> TailEntry {
        TailEntry {
            outcome: TailOutcome::Accepted,
            event_id: None,
            time: None,
            source: Some(source.to_owned()),
            detail_type: None,
            received_at: String::new(),
            error_code: None,
            error_message: None,
            pointer: None,
            errors: Vec::new(),
            contract: None,
            rules_matched: None,
            trace: None,
            event: Some(serde_json::json!({"source": source})),
        }
    }

    #[tokio::test]
    async fn a_stream_that_falls_behind_is_told_how_many_entries_it_lost() {
        let tail = Tail::default();
        assert!(!tail.listening("b"), "nobody listens before a stream opens");
        let mut stream = tail.subscribe("b", None);
        assert!(tail.listening("b"));
        assert!(!tail.listening("other"));
        tail.publish("b", (0..TAIL_BUFFER + 10).map(|i| entry(&i.to_string())).collect());
        assert!(matches!(stream.next().await, TailItem::Lagged(10)));
        match stream.next().await {
            TailItem::Entry(p) => assert_eq!(p.entry.source.as_deref(), Some("10")),
            other => panic!("{other:?}"),
        }
        drop(stream);
        assert!(!tail.listening("b"), "a dropped stream no longer counts");
    }

    #[tokio::test]
    async fn a_pattern_keeps_only_matching_entries_and_close_ends_the_stream() {
        let tail = Tail::default();
        let pattern = Pattern::parse(&serde_json::json!({"source": ["keep"]})).unwrap();
        let mut stream = tail.subscribe("b", Some(pattern));
        tail.publish("b", vec![entry("drop"), entry("keep")]);
        match stream.next().await {
            TailItem::Entry(p) => assert_eq!(p.entry.source.as_deref(), Some("keep")),
            other => panic!("{other:?}"),
        }
        tail.close();
        assert!(matches!(stream.next().await, TailItem::Closed));
    }
}
