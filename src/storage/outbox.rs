//! Typed access to the `outbox` and `deliveries` trees (webhook delivery).
//!
//! An outbox key is `due_ms(u64 be) seq(u64 be)`: the dispatcher's "what is due" is a
//! range scan up to now, and a retry re-keys the entry to its next due time in one batch
//! (as queue messages do). `seq` names the delivery for its whole life. When a delivery
//! ends, its record moves to `deliveries`, keyed `bus 0x00 event_id 0x00 seq`, kept for
//! the trace window.

use sled::Batch;

use super::codec::{decode, encode, registry_prefix};
use super::{StorageError, Store};
use crate::model::{DeliveryRecord, OutboxEntry};

fn outbox_key(due_ms: u64, seq: u64) -> [u8; 16] {
    let mut key = [0; 16];
    key[..8].copy_from_slice(&due_ms.to_be_bytes());
    key[8..].copy_from_slice(&seq.to_be_bytes());
    key
}

fn split_key(key: &[u8]) -> Option<(u64, u64)> {
    let due = u64::from_be_bytes(<[u8; 8]>::try_from(key.get(..8)?).ok()?);
    let seq = u64::from_be_bytes(<[u8; 8]>::try_from(key.get(8..16)?).ok()?);
    Some((due, seq))
}

fn delivery_prefix(bus: &str, event_id: &str) -> Vec<u8> {
    let mut key = registry_prefix(bus);
    key.extend_from_slice(event_id.as_bytes());
    key.push(0);
    key
}

/// An outbox entry with its position.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    /// When it is due (Unix ms).
    pub due_ms: u64,
    /// Its stable sequence number.
    pub seq: u64,
    /// The entry.
    pub entry: OutboxEntry,
}

impl Store {
    /// Adds a delivery, due at `due_ms`. Not flushed: the caller's request flushes.
    pub(crate) fn outbox_put(&self, due_ms: u64, seq: u64, entry: &OutboxEntry) -> Result<(), StorageError> {
        self.room()?;
        self.outbox.insert(outbox_key(due_ms, seq), encode(entry))?;
        self.wrote();
        Ok(())
    }

    /// Up to `max` deliveries due at `now_ms`, earliest first, skipping those `skip` names.
    pub(crate) fn outbox_due(
        &self,
        now_ms: u64,
        max: usize,
        skip: impl Fn(u64) -> bool,
    ) -> Result<Vec<DueDelivery>, StorageError> {
        let mut out = Vec::new();
        for item in self.outbox.range(outbox_key(0, 0)..outbox_key(now_ms.saturating_add(1), 0)) {
            if out.len() >= max {
                break;
            }
            let (key, value) = item?;
            let Some((due_ms, seq)) = split_key(&key) else { continue };
            if skip(seq) {
                continue;
            }
            out.push(DueDelivery { due_ms, seq, entry: decode(&key, &value)? });
        }
        Ok(out)
    }

    /// Every pending delivery (startup, traces).
    pub(crate) fn outbox_all(&self) -> Result<Vec<DueDelivery>, StorageError> {
        self.outbox_due(u64::MAX - 1, usize::MAX, |_| false)
    }

    /// Due time of the earliest delivery.
    pub(crate) fn outbox_next_due(&self) -> Option<u64> {
        self.outbox.first().ok().flatten().and_then(|(k, _)| split_key(&k)).map(|(due, _)| due)
    }

    /// Deliveries waiting.
    pub(crate) fn outbox_len(&self) -> usize {
        self.outbox.len()
    }

    /// Moves a delivery to its next due time with its updated attempts (one batch).
    pub(crate) fn outbox_reschedule(
        &self,
        old_due: u64,
        seq: u64,
        new_due: u64,
        entry: &OutboxEntry,
    ) -> Result<(), StorageError> {
        self.room()?;
        let mut batch = Batch::default();
        batch.remove(&outbox_key(old_due, seq));
        batch.insert(&outbox_key(new_due, seq), encode(entry));
        self.in_commit(|| self.outbox.apply_batch(batch))?;
        Ok(())
    }

    /// Ends a delivery: its record goes to `deliveries`, then it leaves the outbox (a
    /// crash between the two leaves it pending: delivered again, never lost).
    pub(crate) fn outbox_finish(
        &self,
        due_ms: u64,
        seq: u64,
        record: &DeliveryRecord,
    ) -> Result<(), StorageError> {
        self.room()?;
        let mut key = delivery_prefix(&record.bus, &record.event_id);
        key.extend_from_slice(&seq.to_be_bytes());
        self.deliveries.insert(key, encode(record))?;
        self.outbox.remove(outbox_key(due_ms, seq))?;
        self.wrote();
        Ok(())
    }

    /// Ended deliveries of an event.
    pub(crate) fn deliveries_of(
        &self,
        bus: &str,
        event_id: &str,
    ) -> Result<Vec<DeliveryRecord>, StorageError> {
        self.deliveries
            .scan_prefix(delivery_prefix(bus, event_id))
            .map(|e| e.map_err(StorageError::from).and_then(|(k, v)| decode(&k, &v)))
            .collect()
    }

    /// Forgets ended deliveries that finished before `before_ms`. Returns how many.
    pub(crate) fn sweep_deliveries(&self, before_ms: u64) -> Result<usize, StorageError> {
        self.room()?;
        let mut removed = 0;
        for item in &self.deliveries {
            let (key, value) = item?;
            let old = decode::<DeliveryRecord>(&key, &value).map_or(true, |r| r.finished_ms < before_ms);
            if old {
                self.deliveries.remove(key)?;
                removed += 1;
            }
        }
        if removed > 0 {
            self.wrote();
        }
        Ok(removed)
    }
}
