//! Migrations between on-disk formats, run at open by `Store::check_format`.

use super::{StorageError, Store};

impl Store {
    /// Format 1 kept queue messages in the `queue_messages` tree (key `queue 0x00
    /// visible_at(u64 be) seq(u64 be)`, value `receive_count(u32 be) enqueued_at(u64 be)
    /// body`) and events in the `events` tree. Format 2 keeps both in the journal: every
    /// message is re-enqueued there with its state, then the old trees are emptied.
    pub(super) fn migrate_1_to_2(&self) -> Result<(), StorageError> {
        let mut moved = 0usize;
        for entry in self.messages.iter() {
            let (key, value) = entry?;
            let Some(split) = key.iter().position(|b| *b == 0) else { continue };
            let (Ok(queue), Some(tail)) = (std::str::from_utf8(&key[..split]), key.get(split + 1..)) else {
                continue;
            };
            let (Ok(visible), Ok(seq)) = (
                <[u8; 8]>::try_from(&tail[..8.min(tail.len())]),
                <[u8; 8]>::try_from(tail.get(8..).unwrap_or_default()),
            ) else {
                continue;
            };
            if value.len() < 12 {
                continue;
            }
            let count = u32::from_be_bytes([value[0], value[1], value[2], value[3]]);
            let enqueued = u64::from_be_bytes(<[u8; 8]>::try_from(&value[4..12]).unwrap_or_default());
            self.restore_message(
                queue,
                u64::from_be_bytes(seq),
                u64::from_be_bytes(visible),
                count,
                enqueued,
                &value[12..],
            )?;
            moved += 1;
        }
        self.journal.sync()?;
        self.messages.clear()?;
        self.events.clear()?;
        tracing::info!(messages = moved, "migrated the data directory from format 1 to format 2");
        Ok(())
    }
}
