//! Accepted events go to the journal (one `Events` record per bus and request, the
//! queue messages they produce pointing into it); the `quarantine` tree (sled) is keyed
//! `bus 0x00 seq(u64 be)`, so scans return entries in arrival order.
//!
//! Messages sent on their own (SQS sends, dead-lettered deliveries) are appended here
//! too, as a batch without events: every append of new messages goes through
//! [`Store::commit_events`], which then hands them to the queue index
//! (`Store::index_messages` in `queues.rs`). So this file sits above the index, and the
//! index never calls back here (`.ci/architecture` holds the two files apart).

use std::sync::Arc;

use super::codec::{decode, encode, registry_prefix};
use super::journal::record::len32;
use super::journal::{Batch, Body, Record, Write};
use super::message::Message;
use super::{StorageError, Store};
use crate::model::QuarantineRecord;

fn seq_key(bus: &str, seq: u64) -> Vec<u8> {
    let mut key = registry_prefix(bus);
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

/// An event added to [`EventWrites`], for queue messages to point at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EventRef {
    bus: usize,
    offset: usize,
    len: u32,
}

/// Where a pending message's body is: an event of the same [`EventWrites`], or its own
/// bytes (a transformed event, a dead-lettered delivery).
#[derive(Debug)]
enum PendingBody {
    Event(EventRef),
    Own(Vec<u8>),
}

/// The writes of one PutEvents request (or one service event): accepted events per bus,
/// as JSON lines, and the queue messages routing produced. Committed as one journal
/// append by [`Store::commit_events`].
#[derive(Debug, Default)]
pub(crate) struct EventWrites {
    buses: Vec<(String, Vec<u8>)>,
    messages: Vec<(String, u64, Message, PendingBody)>,
}

/// A message to enqueue with its body inline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outgoing<'a> {
    pub seq: u64,
    /// When it can first be received (ms; later than now for a delayed message).
    pub visible_at: u64,
    pub body: &'a [u8],
    /// Encoded attributes (a JSON object), if any.
    pub attributes: Option<&'a [u8]>,
}

impl EventWrites {
    /// Adds an accepted event (serialised envelope) of `bus`.
    pub(crate) fn event(&mut self, bus: &str, envelope: &[u8]) -> EventRef {
        let index = if let Some(i) = self.buses.iter().position(|(b, _)| b == bus) {
            i
        } else {
            self.buses.push((bus.to_owned(), Vec::with_capacity(envelope.len() * 10)));
            self.buses.len() - 1
        };
        let lines = &mut self.buses[index].1;
        let offset = lines.len();
        lines.extend_from_slice(envelope);
        lines.push(b'\n');
        EventRef { bus: index, offset, len: len32(envelope.len()) }
    }

    /// Adds a message to `queue` whose body is `event`.
    pub(crate) fn enqueue(&mut self, queue: &str, seq: u64, now_ms: u64, event: EventRef) {
        self.messages.push((queue.to_owned(), seq, Message::fresh(now_ms, None), PendingBody::Event(event)));
    }

    /// Adds a message to `queue` with its own body (a transformed event).
    pub(crate) fn enqueue_inline(&mut self, queue: &str, seq: u64, now_ms: u64, body: &[u8]) {
        self.put_message(queue, seq, Message::fresh(now_ms, None), body);
    }

    /// Adds a message in any state, with its own body.
    pub(super) fn put_message(&mut self, queue: &str, seq: u64, message: Message, body: &[u8]) {
        self.messages.push((queue.to_owned(), seq, message, PendingBody::Own(body.to_vec())));
    }
}

impl Store {
    /// Adds a message with its body inline, visible at once (for messages that are not an
    /// event of a PutEvents batch, such as dead-lettered deliveries).
    pub(crate) fn enqueue(
        &self,
        queue: &str,
        seq: u64,
        now_ms: u64,
        body: &[u8],
        attributes: Option<&[u8]>,
    ) -> Result<(), StorageError> {
        self.enqueue_all(queue, &[Outgoing { seq, visible_at: now_ms, body, attributes }], now_ms)
    }

    /// Adds messages with their bodies inline, in one journal batch (messages sent
    /// directly, possibly delayed).
    pub(crate) fn enqueue_all(
        &self,
        queue: &str,
        messages: &[Outgoing<'_>],
        now_ms: u64,
    ) -> Result<(), StorageError> {
        let mut writes = EventWrites::default();
        for m in messages {
            let fresh = Message::fresh(now_ms, m.attributes.map(Arc::from));
            writes.put_message(queue, m.seq, Message { visible_at: m.visible_at, ..fresh }, m.body);
        }
        self.commit_events(writes, Write::Now).map(drop)
    }

    /// Appends a request's events and queue messages to the journal as one batch, and
    /// indexes the messages. Returns the queues that got messages. Durable after the next
    /// [`Store::flush`]; `write` says when the bytes reach the file (a caller that
    /// flushes before answering may leave them to the flush: [`Write::WithNextSync`]).
    pub(crate) fn commit_events(
        &self,
        writes: EventWrites,
        write: Write,
    ) -> Result<Vec<String>, StorageError> {
        self.room()?;
        if writes.buses.is_empty() && writes.messages.is_empty() {
            return Ok(Vec::new());
        }
        let lines: usize = writes.buses.iter().map(|(bus, l)| bus.len() + l.len()).sum();
        let mut batch = Batch::with_capacity(lines + writes.messages.len() * 96);
        let lines_at: Vec<usize> = writes
            .buses
            .iter()
            .map(|(bus, lines)| batch.push(&Record::Events { bus, lines }).1.unwrap_or_default())
            .collect();
        let mut placed = Vec::with_capacity(writes.messages.len());
        for (queue, seq, mut message, body) in writes.messages {
            let body_at = match &body {
                PendingBody::Event(event) => {
                    let at = lines_at[event.bus] + event.offset;
                    message.body_len = event.len;
                    let back = (batch.len() - at) as u64;
                    batch.push(&message.record(&queue, seq, Body::Back { back, len: event.len }));
                    at
                }
                PendingBody::Own(bytes) => {
                    message.body_len = len32(bytes.len());
                    batch.push(&message.record(&queue, seq, Body::Inline(bytes))).1.unwrap_or_default()
                }
            };
            placed.push((queue, seq, message, body_at));
        }
        let base = self.journal.append(&batch, write)?;
        Ok(self.index_messages(base, placed))
    }

    /// Adds an entry to the bus's quarantine.
    pub(crate) fn put_quarantine(
        &self,
        bus: &str,
        seq: u64,
        record: &QuarantineRecord,
    ) -> Result<(), StorageError> {
        self.room()?;
        self.quarantine.insert(seq_key(bus, seq), encode(record))?;
        self.wrote();
        Ok(())
    }

    /// Up to `limit` quarantined entries of a bus after position `after`, oldest first.
    pub(crate) fn list_quarantine(
        &self,
        bus: &str,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<QuarantineRecord>, StorageError> {
        let prefix = registry_prefix(bus);
        let start = seq_key(bus, after.map_or(0, |a| a.saturating_add(1)));
        let mut items = Vec::new();
        for entry in self.quarantine.range(start..) {
            let (key, value) = entry?;
            if !key.starts_with(&prefix) || items.len() == limit {
                break;
            }
            items.push(decode(&key, &value)?);
        }
        Ok(items)
    }

    /// One quarantined entry of a bus, by position.
    pub(crate) fn get_quarantine(
        &self,
        bus: &str,
        seq: u64,
    ) -> Result<Option<QuarantineRecord>, StorageError> {
        let key = seq_key(bus, seq);
        self.quarantine.get(&key)?.map(|value| decode(&key, &value)).transpose()
    }

    /// Removes a quarantined entry (re-submitted); whether it was there.
    pub(crate) fn remove_quarantine(&self, bus: &str, seq: u64) -> Result<bool, StorageError> {
        self.room()?;
        let removed = self.quarantine.remove(seq_key(bus, seq))?.is_some();
        self.wrote();
        Ok(removed)
    }

    /// Number of quarantined entries of a bus.
    pub(crate) fn quarantine_count(&self, bus: &str) -> usize {
        self.quarantine.scan_prefix(registry_prefix(bus)).keys().count()
    }

    /// Drops the oldest quarantined entries of a bus until at most `keep` remain.
    pub(crate) fn trim_quarantine(&self, bus: &str, keep: usize) -> Result<usize, StorageError> {
        self.room()?;
        let keys: Vec<_> =
            self.quarantine.scan_prefix(registry_prefix(bus)).keys().collect::<Result<_, _>>()?;
        let excess = keys.len().saturating_sub(keep);
        for key in keys.iter().take(excess) {
            self.quarantine.remove(key)?;
        }
        self.wrote();
        Ok(keys.len() - excess)
    }

    /// Drops a bus's quarantine (when the bus is deleted; its events leave the journal
    /// with the retention).
    pub(crate) fn delete_bus_data(&self, bus: &str) -> Result<(), StorageError> {
        self.room()?;
        for key in self.quarantine.scan_prefix(registry_prefix(bus)).keys() {
            self.quarantine.remove(key?)?;
        }
        self.wrote();
        Ok(())
    }
}
