//! Typed access to the `queues` and `queue_messages` trees.
//!
//! A message's key is `queue 0x00 visible_at_ms(u64 be) seq(u64 be)`: receiving is a
//! range scan up to "now", and a received message is re-keyed to its new visibility
//! time, so in-flight state needs no second record. A receipt handle is the hex of the
//! key's tail, so an ack is one remove, and a handle from an earlier receive (the key
//! moved since) acknowledges nothing. The value is `receive_count(u32 be)
//! enqueued_at_ms(u64 be)` followed by the event JSON, so delivery copies bytes and never
//! re-serialises the event. A message with attributes (dead-letter metadata) appends
//! `attributes_json len(u32 be) 0xFF`: 0xFF never ends JSON text, so values written
//! before attributes existed read unchanged.

use std::collections::BTreeMap;

use sled::Batch;

use super::codec::{decode, encode, registry_prefix};
use super::{StorageError, Store};
use crate::model::QueueRecord;

const HEADER: usize = 12;

fn message_key(queue: &str, visible_at: u64, seq: u64) -> Vec<u8> {
    let mut key = registry_prefix(queue);
    key.extend_from_slice(&visible_at.to_be_bytes());
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

fn key_tail(key: &[u8]) -> Option<(u64, u64)> {
    let tail = key.len().checked_sub(16).map(|start| &key[start..])?;
    let visible = u64::from_be_bytes(<[u8; 8]>::try_from(&tail[..8]).ok()?);
    let seq = u64::from_be_bytes(<[u8; 8]>::try_from(&tail[8..]).ok()?);
    Some((visible, seq))
}

/// Marks a value that ends with attributes.
const ATTRIBUTES_MARK: u8 = 0xFF;

/// `body` is the event JSON, followed by the attribute trailer when there is one.
fn message_value(receive_count: u32, enqueued_at: u64, body: &[u8]) -> Vec<u8> {
    let mut value = Vec::with_capacity(HEADER + body.len());
    value.extend_from_slice(&receive_count.to_be_bytes());
    value.extend_from_slice(&enqueued_at.to_be_bytes());
    value.extend_from_slice(body);
    value
}

/// The event JSON followed by the attribute trailer (nothing when there are none).
fn body_with_attributes(body: &[u8], attributes: &BTreeMap<String, String>) -> Vec<u8> {
    let mut out = body.to_vec();
    if !attributes.is_empty() {
        let json = serde_json::to_vec(attributes).unwrap_or_default();
        out.extend_from_slice(&json);
        out.extend_from_slice(&u32::try_from(json.len()).unwrap_or(0).to_be_bytes());
        out.push(ATTRIBUTES_MARK);
    }
    out
}

/// Splits a stored body (event JSON + optional trailer) into the JSON and attributes.
fn split_attributes(stored: &[u8]) -> (&[u8], BTreeMap<String, String>) {
    if stored.last() == Some(&ATTRIBUTES_MARK) && stored.len() >= 5 {
        let len_at = stored.len() - 5;
        let len = <[u8; 4]>::try_from(&stored[len_at..len_at + 4]).map(u32::from_be_bytes).unwrap_or(0);
        if let Some(start) = len_at.checked_sub(len as usize)
            && let Ok(attributes) = serde_json::from_slice(&stored[start..len_at])
        {
            return (&stored[..start], attributes);
        }
    }
    (stored, BTreeMap::new())
}

fn split_value(value: &[u8]) -> Option<(u32, u64, &[u8])> {
    if value.len() < HEADER {
        return None;
    }
    let count = u32::from_be_bytes(<[u8; 4]>::try_from(&value[..4]).ok()?);
    let enqueued = u64::from_be_bytes(<[u8; 8]>::try_from(&value[4..12]).ok()?);
    Some((count, enqueued, &value[HEADER..]))
}

/// Parses a receipt handle into the key tail it names.
fn parse_handle(handle: &str) -> Option<(u64, u64)> {
    if handle.len() != 32 {
        return None;
    }
    let visible = u64::from_str_radix(&handle[..16], 16).ok()?;
    let seq = u64::from_str_radix(&handle[16..], 16).ok()?;
    Some((visible, seq))
}

/// A message handed to a consumer.
#[derive(Debug, Clone)]
pub struct ReceivedMessage {
    /// Stable id of the message (the same on every receive).
    pub message_id: String,
    /// Handle to acknowledge this receive with.
    pub receipt_handle: String,
    /// How many times it was received, this time included.
    pub receive_count: u32,
    /// The event JSON.
    pub body: Vec<u8>,
    /// Attributes (dead-letter metadata); empty for most messages.
    pub attributes: BTreeMap<String, String>,
}

/// Messages of a queue by state.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueueCounts {
    /// Ready to be received.
    pub visible: u64,
    /// Received and not yet acknowledged nor timed out.
    pub in_flight: u64,
}

/// What one receive scan should do.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReceiveSpec<'a> {
    pub queue: &'a str,
    pub now_ms: u64,
    pub max: usize,
    pub visibility_ms: u64,
    pub max_receive_count: Option<u32>,
    pub dead_letter_queue: Option<&'a str>,
    pub retention_ms: u64,
}

impl Store {
    /// Creates or replaces a queue's settings.
    pub(crate) fn put_queue(&self, record: &QueueRecord) -> Result<(), StorageError> {
        self.queues.insert(record.name.as_bytes(), encode(record))?;
        self.wrote();
        Ok(())
    }

    /// Deletes a queue and its messages. Returns whether it existed.
    pub(crate) fn delete_queue(&self, name: &str) -> Result<bool, StorageError> {
        let existed = self.queues.remove(name.as_bytes())?.is_some();
        for key in self.messages.scan_prefix(registry_prefix(name)).keys() {
            self.messages.remove(key?)?;
        }
        self.wrote();
        Ok(existed)
    }

    /// Every queue, in name order.
    pub(crate) fn list_queues(&self) -> Result<Vec<QueueRecord>, StorageError> {
        self.queues.iter().map(|e| e.map_err(StorageError::from).and_then(|(k, v)| decode(&k, &v))).collect()
    }

    /// Adds a message, visible at once.
    pub(crate) fn enqueue(
        &self,
        queue: &str,
        seq: u64,
        now_ms: u64,
        body: &[u8],
    ) -> Result<(), StorageError> {
        self.messages.insert(message_key(queue, now_ms, seq), message_value(0, now_ms, body))?;
        self.wrote();
        Ok(())
    }

    /// Adds a message with attributes, visible at once.
    pub(crate) fn enqueue_with_attributes(
        &self,
        queue: &str,
        seq: u64,
        now_ms: u64,
        body: &[u8],
        attributes: &BTreeMap<String, String>,
    ) -> Result<(), StorageError> {
        self.enqueue(queue, seq, now_ms, &body_with_attributes(body, attributes))
    }

    /// Receives up to `spec.max` visible messages: each is re-keyed invisible until
    /// `now + visibility`, with its receive count raised. On the way, expired messages are
    /// dropped and messages already received `max_receive_count` times move to the
    /// dead-letter queue. One atomic batch. Callers serialise receives per queue.
    pub(crate) fn receive(&self, spec: ReceiveSpec<'_>) -> Result<Vec<ReceivedMessage>, StorageError> {
        let mut batch = Batch::default();
        let mut out = Vec::new();
        let mut changed = false;
        let start = message_key(spec.queue, 0, 0);
        let end = message_key(spec.queue, spec.now_ms.saturating_add(1), 0);
        for entry in self.messages.range(start..end) {
            if out.len() >= spec.max {
                break;
            }
            let (key, value) = entry?;
            let (Some((_, seq)), Some((count, enqueued, body))) = (key_tail(&key), split_value(&value))
            else {
                batch.remove(key); // unreadable: drop rather than block the queue
                changed = true;
                continue;
            };
            changed = true;
            batch.remove(key.clone());
            if enqueued.saturating_add(spec.retention_ms) < spec.now_ms {
                continue;
            }
            if let (Some(max), Some(dlq)) = (spec.max_receive_count, spec.dead_letter_queue)
                && count >= max
            {
                batch.insert(message_key(dlq, spec.now_ms, seq), message_value(0, enqueued, body));
                continue;
            }
            let visible_at = spec.now_ms.saturating_add(spec.visibility_ms);
            let count = count.saturating_add(1);
            batch.insert(message_key(spec.queue, visible_at, seq), message_value(count, enqueued, body));
            let (json, attributes) = split_attributes(body);
            out.push(ReceivedMessage {
                message_id: format!("{seq:016x}"),
                receipt_handle: format!("{visible_at:016x}{seq:016x}"),
                receive_count: count,
                body: json.to_vec(),
                attributes,
            });
        }
        if changed {
            self.in_commit(|| self.messages.apply_batch(batch))?;
        }
        Ok(out)
    }

    /// Deletes the messages named by receipt handles. Returns how many were deleted;
    /// unknown or stale handles delete nothing.
    pub(crate) fn ack(&self, queue: &str, handles: &[String]) -> Result<usize, StorageError> {
        let mut deleted = 0;
        for (visible, seq) in handles.iter().filter_map(|h| parse_handle(h)) {
            if self.messages.remove(message_key(queue, visible, seq))?.is_some() {
                deleted += 1;
            }
        }
        self.wrote();
        Ok(deleted)
    }

    /// Visible and in-flight message counts (a key scan).
    pub(crate) fn queue_counts(&self, queue: &str, now_ms: u64) -> QueueCounts {
        let mut counts = QueueCounts::default();
        for key in self.messages.scan_prefix(registry_prefix(queue)).keys().flatten() {
            match key_tail(&key) {
                Some((visible, _)) if visible > now_ms => counts.in_flight += 1,
                _ => counts.visible += 1,
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_round_trip_and_refuse_garbage() {
        assert_eq!(parse_handle(&format!("{:016x}{:016x}", 5u64, 9u64)), Some((5, 9)));
        assert_eq!(parse_handle("zz"), None);
        let key = message_key("q", 5, 9);
        assert_eq!(key_tail(&key), Some((5, 9)));
        assert!(message_key("q", 1, 0) < message_key("q", 2, 0));
    }

    #[test]
    fn attributes_round_trip_and_plain_bodies_read_unchanged() {
        let attributes = BTreeMap::from([("errorCode".to_owned(), "CLIENT_ERROR".to_owned())]);
        let stored = body_with_attributes(br#"{"a":1}"#, &attributes);
        assert_eq!(split_attributes(&stored), (&br#"{"a":1}"#[..], attributes));
        assert_eq!(split_attributes(br#"{"a":1}"#), (&br#"{"a":1}"#[..], BTreeMap::new()));
    }
}
