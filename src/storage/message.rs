//! One queue message's state: what the journal's `Enqueue` record restates and what the
//! queue index holds. Its own module because both writers of messages (`events.rs`,
//! which appends them) and their index (`queues.rs`, which receives and changes them)
//! need it, and neither of those names the other.

use std::sync::Arc;

use super::journal::{Body, Record};

/// One message's state. The body is `body_len` bytes at journal position `body_pos`.
#[derive(Debug, Clone)]
pub(super) struct Message {
    pub(super) visible_at: u64,
    pub(super) receive_count: u32,
    pub(super) enqueued_at: u64,
    pub(super) body_pos: u64,
    pub(super) body_len: u32,
    pub(super) attributes: Option<Arc<[u8]>>,
    /// When it was first received (ms; 0: not yet). Kept in memory only: the journal's
    /// records do not carry it, so after a restart it restarts at the next receive.
    pub(super) first_received_at: u64,
}

impl Message {
    /// A new message, visible at once (its body's place is set when it is written).
    pub(super) fn fresh(now_ms: u64, attributes: Option<Arc<[u8]>>) -> Self {
        Self {
            visible_at: now_ms,
            receive_count: 0,
            enqueued_at: now_ms,
            body_pos: 0,
            body_len: 0,
            attributes,
            first_received_at: 0,
        }
    }

    /// The record restating this message whole, with its body at `body`.
    pub(super) fn record<'a>(&'a self, queue: &'a str, seq: u64, body: Body<'a>) -> Record<'a> {
        Record::Enqueue {
            queue,
            seq,
            visible_at: self.visible_at,
            receive_count: self.receive_count,
            enqueued_at: self.enqueued_at,
            attributes: self.attributes.as_deref().unwrap_or_default(),
            body,
        }
    }
}
