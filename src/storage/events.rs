//! Typed access to the `events` log and the `quarantine` tree. Both are keyed
//! `bus 0x00 seq(u64 be)`, so scans return entries in arrival order.

use super::codec::{decode, encode, registry_prefix};
use super::{StorageError, Store};
use crate::model::QuarantineRecord;

fn seq_key(bus: &str, seq: u64) -> Vec<u8> {
    let mut key = registry_prefix(bus);
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

impl Store {
    /// Appends accepted events (serialised envelopes, one per line) to the bus's log.
    pub(crate) fn put_event(&self, bus: &str, seq: u64, envelope: &[u8]) -> Result<(), StorageError> {
        self.events.insert(seq_key(bus, seq), envelope)?;
        self.wrote();
        Ok(())
    }

    /// Number of events logged on a bus (a scan: for tests and tools, not hot paths).
    pub(crate) fn event_count(&self, bus: &str) -> usize {
        self.events
            .scan_prefix(registry_prefix(bus))
            .values()
            .flatten()
            .map(|lines| lines.iter().filter(|b| **b == b'\n').count())
            .sum()
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

    /// Drops a bus's log and quarantine (when the bus is deleted).
    pub(crate) fn delete_bus_data(&self, bus: &str) -> Result<(), StorageError> {
        for tree in [&self.events, &self.quarantine] {
            for key in tree.scan_prefix(registry_prefix(bus)).keys() {
                tree.remove(key?)?;
            }
        }
        self.wrote();
        Ok(())
    }
}
