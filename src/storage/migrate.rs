//! Migrations between on-disk formats, run at open by `Store::check_format`.

use super::events::EventWrites;
use super::message::Message;
use super::{StorageError, Store};

/// A format 1 message: key `queue 0x00 visible_at(u64 be) seq(u64 be)`, value
/// `receive_count(u32 be) enqueued_at(u64 be) body`. `None` for an unreadable entry.
fn format_1_message<'a>(key: &'a [u8], value: &'a [u8]) -> Option<(&'a str, u64, Message, &'a [u8])> {
    let split = key.iter().position(|b| *b == 0)?;
    let queue = std::str::from_utf8(&key[..split]).ok()?;
    let tail: &[u8; 16] = key.get(split + 1..)?.try_into().ok()?;
    let (visible, seq) = tail.split_at(8);
    let (count, rest) = value.split_first_chunk::<4>()?;
    let (enqueued, body) = rest.split_first_chunk::<8>()?;
    let message = Message {
        visible_at: u64::from_be_bytes(visible.try_into().ok()?),
        receive_count: u32::from_be_bytes(*count),
        enqueued_at: u64::from_be_bytes(*enqueued),
        ..Message::fresh(0, None)
    };
    Some((queue, u64::from_be_bytes(seq.try_into().ok()?), message, body))
}

impl Store {
    /// Format 1 kept queue messages in the `queue_messages` tree and events in the
    /// `events` tree. Format 2 keeps both in the journal: every message is rewritten there
    /// with its state (one append), then the old trees are emptied.
    pub(super) fn migrate_1_to_2(&self) -> Result<(), StorageError> {
        let entries: Vec<_> = self.messages.iter().collect::<Result<_, _>>()?;
        let mut writes = EventWrites::default();
        let mut moved = 0usize;
        for (key, value) in &entries {
            if let Some((queue, seq, message, body)) = format_1_message(key, value) {
                writes.put_message(queue, seq, message, body);
                moved += 1;
            }
        }
        self.commit_events(writes, super::Write::Now)?;
        self.journal.sync()?;
        self.messages.clear()?;
        self.events.clear()?;
        tracing::info!(messages = moved, "migrated the data directory from format 1 to format 2");
        Ok(())
    }
}
