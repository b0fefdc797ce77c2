//! Typed access to the `schedule_ticks` tree: the last tick each scheduled rule fired
//! (key `bus 0x00 rule`, value the tick's Unix ms as u64 big-endian). The scheduler
//! writes and flushes it before emitting the tick's event, so a tick fires at most once
//! across restarts.

use super::codec::schema_key;
use super::{StorageError, Store};

impl Store {
    /// The last tick the rule fired, if it ever fired.
    pub(crate) fn schedule_tick(&self, bus: &str, rule: &str) -> Result<Option<u64>, StorageError> {
        Ok(self
            .schedule_ticks
            .get(schema_key(bus, rule))?
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map(u64::from_be_bytes))
    }

    /// Records that the rule fired `tick`. Not flushed: the scheduler flushes before it
    /// emits.
    pub(crate) fn put_schedule_tick(&self, bus: &str, rule: &str, tick: u64) -> Result<(), StorageError> {
        self.room()?;
        self.schedule_ticks.insert(schema_key(bus, rule), &tick.to_be_bytes())?;
        self.wrote();
        Ok(())
    }

    /// Forgets a rule's last tick (the rule was deleted: a new rule of that name starts
    /// afresh).
    pub(crate) fn delete_schedule_tick(&self, bus: &str, rule: &str) -> Result<(), StorageError> {
        self.room()?;
        self.schedule_ticks.remove(schema_key(bus, rule))?;
        self.wrote();
        Ok(())
    }
}
