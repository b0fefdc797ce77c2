//! Accepted events go to the journal (one `Events` record per bus and request, the
//! queue messages they produce pointing into it); the `quarantine` tree (sled) is keyed
//! `bus 0x00 seq(u64 be)`, so scans return entries in arrival order.

use std::sync::Arc;

use super::codec::{decode, encode, registry_prefix};
use super::journal::{Batch, Body, Record};
use super::queues::NewMessage;
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

/// The writes of one PutEvents request (or one service event): accepted events per bus,
/// as JSON lines, and the queue messages routing produced. Committed as one journal
/// append by [`Store::commit_events`].
#[derive(Debug, Default)]
pub(crate) struct EventWrites {
    buses: Vec<(String, Vec<u8>, u64)>,
    messages: Vec<(String, u64, u64, EventRef)>,
    /// Messages with their own bodies: `(queue, seq, now_ms, body)`.
    inline: Vec<(String, u64, u64, Vec<u8>)>,
}

impl EventWrites {
    /// Adds an accepted event (serialised envelope) of `bus`.
    pub(crate) fn event(&mut self, bus: &str, envelope: &[u8]) -> EventRef {
        let index = if let Some(i) = self.buses.iter().position(|(b, _, _)| b == bus) {
            i
        } else {
            self.buses.push((bus.to_owned(), Vec::with_capacity(envelope.len() * 10), 0));
            self.buses.len() - 1
        };
        let (_, lines, count) = &mut self.buses[index];
        let offset = lines.len();
        lines.extend_from_slice(envelope);
        lines.push(b'\n');
        *count += 1;
        EventRef { bus: index, offset, len: u32::try_from(envelope.len()).unwrap_or(u32::MAX) }
    }

    /// Adds a message to `queue` whose body is `event`.
    pub(crate) fn enqueue(&mut self, queue: &str, seq: u64, now_ms: u64, event: EventRef) {
        self.messages.push((queue.to_owned(), seq, now_ms, event));
    }

    /// Adds a message to `queue` with its own body (a transformed event).
    pub(crate) fn enqueue_inline(&mut self, queue: &str, seq: u64, now_ms: u64, body: &[u8]) {
        self.inline.push((queue.to_owned(), seq, now_ms, body.to_vec()));
    }

    /// Whether nothing was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.buses.is_empty() && self.inline.is_empty()
    }
}

impl Store {
    /// Appends a request's events and queue messages to the journal with one write, and
    /// indexes the messages. Returns the queues that got messages. Durable after the next
    /// [`Store::flush`].
    pub(crate) fn commit_events(&self, writes: EventWrites) -> Result<Vec<String>, StorageError> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        let mut batch = Batch::default();
        let mut lines_at = Vec::with_capacity(writes.buses.len());
        for (bus, lines, _) in &writes.buses {
            let (_, carried) = batch.push(&Record::Events { bus, lines });
            lines_at.push(carried.unwrap_or_default());
        }
        let mut messages: Vec<NewMessage> = writes
            .messages
            .into_iter()
            .map(|(queue, seq, now_ms, event)| NewMessage {
                queue,
                seq,
                now_ms,
                body_at: lines_at[event.bus] + event.offset,
                body_len: event.len,
                attributes: None::<Arc<[u8]>>,
            })
            .collect();
        Self::push_enqueues(&mut batch, &messages);
        for (queue, seq, now_ms, body) in writes.inline {
            let (_, carried) = batch.push(&Record::Enqueue {
                queue: &queue,
                seq,
                visible_at: now_ms,
                receive_count: 0,
                enqueued_at: now_ms,
                attributes: &[],
                body: Body::Inline(&body),
            });
            messages.push(NewMessage {
                queue,
                seq,
                now_ms,
                body_at: carried.unwrap_or_default(),
                body_len: u32::try_from(body.len()).unwrap_or(u32::MAX),
                attributes: None,
            });
        }
        let base = self.journal.append(&batch)?;
        let mut queues: Vec<String> = messages.iter().map(|m| m.queue.clone()).collect();
        queues.sort_unstable();
        queues.dedup();
        self.index_enqueues(base, messages);
        let mut counts = self.event_counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (bus, _, count) in writes.buses {
            *counts.entry(bus).or_default() += count;
        }
        Ok(queues)
    }

    /// Number of events logged on a bus since it was created (kept in memory, rebuilt
    /// from the journal at open; for tests and tools).
    pub(crate) fn event_count(&self, bus: &str) -> u64 {
        self.event_counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(bus)
            .copied()
            .unwrap_or(0)
    }

    /// Adds an entry to the bus's quarantine.
    pub(crate) fn put_quarantine(
        &self,
        bus: &str,
        seq: u64,
        record: &QuarantineRecord,
    ) -> Result<(), StorageError> {
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

    /// Number of quarantined entries of a bus.
    pub(crate) fn quarantine_count(&self, bus: &str) -> usize {
        self.quarantine.scan_prefix(registry_prefix(bus)).keys().count()
    }

    /// Drops the oldest quarantined entries of a bus until at most `keep` remain.
    pub(crate) fn trim_quarantine(&self, bus: &str, keep: usize) -> Result<usize, StorageError> {
        let keys: Vec<_> =
            self.quarantine.scan_prefix(registry_prefix(bus)).keys().collect::<Result<_, _>>()?;
        let excess = keys.len().saturating_sub(keep);
        for key in keys.iter().take(excess) {
            self.quarantine.remove(key)?;
        }
        self.wrote();
        Ok(keys.len() - excess)
    }

    /// Drops a bus's quarantine and event count (when the bus is deleted; its events
    /// leave the journal with the retention).
    pub(crate) fn delete_bus_data(&self, bus: &str) -> Result<(), StorageError> {
        for key in self.quarantine.scan_prefix(registry_prefix(bus)).keys() {
            self.quarantine.remove(key?)?;
        }
        self.event_counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(bus);
        self.wrote();
        Ok(())
    }
}
