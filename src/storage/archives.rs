//! Archived events, in the `archived_events` tree (archives' and replays' settings are
//! control-plane documents, `control/archives.rs`).
//!
//! An archived event is keyed
//! `bus 0x00 archive 0x00 time_ms(u64 be) seq(u64 be)` (event time), so a replay window
//! and the retention sweep are range scans; the value is the event JSON as accepted.

use super::codec::schema_key;
use super::{StorageError, Store};

/// An archived event: its position (event time ms, seq) and JSON.
pub type ArchivedEvent = ((u64, u64), Vec<u8>);

fn event_prefix(bus: &str, archive: &str) -> Vec<u8> {
    let mut key = schema_key(bus, archive);
    key.push(0);
    key
}

fn event_key(bus: &str, archive: &str, time_ms: u64, seq: u64) -> Vec<u8> {
    let mut key = event_prefix(bus, archive);
    key.extend_from_slice(&time_ms.to_be_bytes());
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

impl Store {
    /// Deletes an archive's events (its settings are a control-plane document).
    pub(crate) fn drop_archived(&self, bus: &str, name: &str) -> Result<(), StorageError> {
        self.room()?;
        for key in self.archived.scan_prefix(event_prefix(bus, name)).keys() {
            self.archived.remove(key?)?;
        }
        self.wrote();
        Ok(())
    }

    /// Archives one event. Not flushed: the caller's request flushes.
    pub(crate) fn archive_event(
        &self,
        bus: &str,
        archive: &str,
        time_ms: u64,
        seq: u64,
        event: &[u8],
    ) -> Result<(), StorageError> {
        self.room()?;
        self.archived.insert(event_key(bus, archive, time_ms, seq), event)?;
        self.wrote();
        Ok(())
    }

    /// Count and total bytes of an archive's events (a scan, at startup).
    pub(crate) fn archive_totals(&self, bus: &str, archive: &str) -> (u64, u64) {
        self.archived
            .scan_prefix(event_prefix(bus, archive))
            .values()
            .flatten()
            .fold((0, 0), |(n, size), v| (n + 1, size + v.len() as u64))
    }

    /// Archived events with event time in `[from_ms, to_ms)`, oldest first, up to `max`,
    /// starting after the key tail `after` (time, seq) when given.
    pub(crate) fn archived_window(
        &self,
        bus: &str,
        archive: &str,
        from_ms: u64,
        to_ms: u64,
        after: Option<(u64, u64)>,
        max: usize,
    ) -> Result<Vec<ArchivedEvent>, StorageError> {
        let start = match after {
            Some((t, s)) => event_key(bus, archive, t, s.saturating_add(1)),
            None => event_key(bus, archive, from_ms, 0),
        };
        let end = event_key(bus, archive, to_ms, 0);
        let mut out = Vec::new();
        for item in self.archived.range(start..end).take(max) {
            let (key, value) = item?;
            let tail = &key[key.len() - 16..];
            let time = u64::from_be_bytes(<[u8; 8]>::try_from(&tail[..8]).unwrap_or_default());
            let seq = u64::from_be_bytes(<[u8; 8]>::try_from(&tail[8..]).unwrap_or_default());
            out.push(((time, seq), value.to_vec()));
        }
        Ok(out)
    }

    /// Number of archived events with event time in `[from_ms, to_ms)`.
    pub(crate) fn archived_count(&self, bus: &str, archive: &str, from_ms: u64, to_ms: u64) -> u64 {
        self.archived
            .range(event_key(bus, archive, from_ms, 0)..event_key(bus, archive, to_ms, 0))
            .keys()
            .count() as u64
    }

    /// Removes an archive's events older than `before_ms` (event time). Returns the count
    /// and bytes removed.
    pub(crate) fn expire_archived(
        &self,
        bus: &str,
        archive: &str,
        before_ms: u64,
    ) -> Result<(u64, u64), StorageError> {
        self.room()?;
        let (mut n, mut size) = (0, 0);
        for item in self.archived.range(event_key(bus, archive, 0, 0)..event_key(bus, archive, before_ms, 0))
        {
            let (key, value) = item?;
            self.archived.remove(key)?;
            n += 1;
            size += value.len() as u64;
        }
        if n > 0 {
            self.wrote();
        }
        Ok((n, size))
    }
}
