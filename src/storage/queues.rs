//! Queue messages: in the journal, indexed in memory. (Queues' settings are control-plane
//! documents, `control/queues.rs`.)
//!
//! Every change of a message's state (enqueue, receive, ack, expiry, redrive) is a
//! journal record, appended while the index lock is held, so the journal's order is the
//! index's order and replaying it at open rebuilds the index exactly. A message's body is
//! not copied into the index: it stays where the journal holds it (usually inside the
//! event that produced it) and is read back with one `pread` when received.
//!
//! A receipt handle is `receive_count(8 hex) queue tag(8 hex) seq(16 hex)`: every receive
//! raises the count, so a handle from an earlier receive acknowledges nothing, while a
//! change of visibility (which keeps the count) leaves the handle valid, as SQS's does.
//! The queue tag keeps a handle of one queue from matching a redriven message in another.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::{Arc, Mutex, PoisonError};

use super::journal::{Batch, Body, Record, Replayed, Write};
use super::message::Message;
use super::{StorageError, Store};

#[derive(Debug, Default)]
struct QueueMessages {
    /// `(visible_at, seq)` of every message: receiving is a range scan up to "now".
    order: BTreeSet<(u64, u64)>,
    /// Ordered rather than hashed: seqs only grow, so inserts land at the right edge and
    /// a queue that grows by hundreds of thousands never rehashes on the PutEvents path.
    by_seq: BTreeMap<u64, Message>,
}

impl QueueMessages {
    fn insert(&mut self, seq: u64, message: Message) {
        if let Some(old) = self.by_seq.insert(seq, message.clone()) {
            self.order.remove(&(old.visible_at, seq));
        }
        self.order.insert((message.visible_at, seq));
    }

    fn remove(&mut self, seq: u64) -> Option<Message> {
        let message = self.by_seq.remove(&seq)?;
        self.order.remove(&(message.visible_at, seq));
        Some(message)
    }

    fn set_visibility(&mut self, seq: u64, visible_at: u64, receive_count: u32) {
        if let Some(message) = self.by_seq.get_mut(&seq) {
            self.order.remove(&(message.visible_at, seq));
            message.visible_at = visible_at;
            message.receive_count = receive_count;
            self.order.insert((visible_at, seq));
        }
    }
}

/// The in-memory index of every queue's messages.
#[derive(Debug, Default)]
pub(crate) struct QueueIndex {
    queues: Mutex<HashMap<String, QueueMessages>>,
}

impl QueueIndex {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, QueueMessages>> {
        self.queues.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies one replayed record (at open).
    pub(crate) fn replay(&self, replayed: &Replayed<'_>) {
        let mut queues = self.lock();
        match &replayed.record {
            Record::Enqueue { queue, seq, visible_at, receive_count, enqueued_at, attributes, body } => {
                let (body_pos, body_len) = match body {
                    Body::Back { back, len } => (replayed.frame.saturating_sub(*back), *len),
                    Body::Inline(bytes) => {
                        (replayed.carried.unwrap_or_default(), u32::try_from(bytes.len()).unwrap_or(0))
                    }
                };
                let message = Message {
                    visible_at: *visible_at,
                    receive_count: *receive_count,
                    enqueued_at: *enqueued_at,
                    body_pos,
                    body_len,
                    attributes: (!attributes.is_empty()).then(|| Arc::from(*attributes)),
                    first_received_at: 0,
                };
                queues.entry((*queue).to_owned()).or_default().insert(*seq, message);
            }
            Record::Receive { queue, seq, visible_at, receive_count } => {
                if let Some(q) = queues.get_mut(*queue) {
                    q.set_visibility(*seq, *visible_at, *receive_count);
                }
            }
            Record::Delete { queue, seq } => {
                if let Some(q) = queues.get_mut(*queue) {
                    q.remove(*seq);
                }
            }
            Record::Move { from, to, seq, visible_at } => {
                if let Some(mut message) = queues.get_mut(*from).and_then(|q| q.remove(*seq)) {
                    message.visible_at = *visible_at;
                    message.receive_count = 0;
                    queues.entry((*to).to_owned()).or_default().insert(*seq, message);
                }
            }
            Record::DropQueue { queue } => {
                queues.remove(*queue);
            }
            Record::Events { .. } => {}
        }
    }

    /// Forgets messages of queues that no longer exist (after replay).
    pub(crate) fn retain_queues(&self, exists: impl Fn(&str) -> bool) {
        self.lock().retain(|name, _| exists(name));
    }
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
    /// Attributes set by the producer of the message (a JSON object's bytes), if any:
    /// dead-letter metadata, message attributes of a sent message.
    pub attributes: Option<Vec<u8>>,
    /// When it was enqueued (ms since the epoch).
    pub sent_at: u64,
    /// When it was first received (ms since the epoch; see `Message`).
    pub first_received_at: u64,
}

/// What a change of visibility did to one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisibilityChange {
    /// The message is invisible until the new time.
    Changed,
    /// The handle is not a receipt handle at all.
    Malformed,
    /// The message is not in flight under this handle (visible again, received again
    /// since, or deleted).
    NotInFlight,
}

/// Messages of a queue by state.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueueCounts {
    /// Ready to be received.
    pub visible: u64,
    /// Received and not yet acknowledged nor timed out.
    pub in_flight: u64,
}

/// What one receive should do.
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

/// FNV-1a of a queue name: the tag of its receipt handles.
fn queue_tag(queue: &str) -> u32 {
    queue.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

/// The receipt handle of the `count`th receive of message `seq` of `queue`.
fn handle(queue: &str, count: u32, seq: u64) -> String {
    format!("{count:08x}{:08x}{seq:016x}", queue_tag(queue))
}

/// Parses a receipt handle of `queue` into `(receive_count, seq)`.
fn parse_handle(queue: &str, handle: &str) -> Option<(u32, u64)> {
    if handle.len() != 32 || !handle.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let count = u32::from_str_radix(&handle[..8], 16).ok()?;
    let tag = u32::from_str_radix(&handle[8..16], 16).ok()?;
    let seq = u64::from_str_radix(&handle[16..], 16).ok()?;
    (tag == queue_tag(queue)).then_some((count, seq))
}

/// Whether `handle` is shaped as a receipt handle of `queue` (it may still be stale).
pub(crate) fn wellformed_handle(queue: &str, handle: &str) -> bool {
    parse_handle(queue, handle).is_some()
}

impl Store {
    /// Forgets the messages of every queue `exists` denies (queues deleted while their
    /// messages were still in the journal). Called once the queues' settings are known.
    pub(crate) fn retain_queue_messages(&self, exists: impl Fn(&str) -> bool) {
        self.queue_index.retain_queues(exists);
    }

    /// Deletes every message of a queue (its settings are not here).
    pub(crate) fn purge_queue(&self, name: &str) -> Result<(), StorageError> {
        self.room()?;
        let mut index = self.queue_index.lock();
        let mut batch = Batch::default();
        // Replaying a DropQueue forgets the messages before it.
        batch.push(&Record::DropQueue { queue: name });
        self.journal.append(&batch, Write::Now)?;
        index.remove(name);
        Ok(())
    }

    /// Makes the in-flight messages of these receipt handles invisible until
    /// `(handle, visible_at)`'s time, keeping their receive counts (so the handles stay
    /// valid). One outcome per handle, in order.
    pub(crate) fn change_visibility(
        &self,
        queue: &str,
        changes: &[(String, u64)],
        now_ms: u64,
    ) -> Result<Vec<VisibilityChange>, StorageError> {
        self.room()?;
        let mut index = self.queue_index.lock();
        let mut batch = Batch::default();
        let mut outcomes = Vec::with_capacity(changes.len());
        let mut undo = Vec::new();
        let mut messages = index.get_mut(queue);
        for (h, visible_at) in changes {
            let Some((count, seq)) = parse_handle(queue, h) else {
                outcomes.push(VisibilityChange::Malformed);
                continue;
            };
            let in_flight = messages
                .as_deref()
                .and_then(|m| m.by_seq.get(&seq))
                .filter(|m| m.receive_count == count && m.visible_at > now_ms);
            let Some(old) = in_flight.map(|m| m.visible_at) else {
                outcomes.push(VisibilityChange::NotInFlight);
                continue;
            };
            if let Some(m) = messages.as_deref_mut() {
                m.set_visibility(seq, *visible_at, count);
            }
            batch.push(&Record::Receive { queue, seq, visible_at: *visible_at, receive_count: count });
            undo.push((seq, old, count));
            outcomes.push(VisibilityChange::Changed);
        }
        if !batch.is_empty()
            && let Err(e) = self.journal.append(&batch, Write::Now)
        {
            // Not recorded: the messages keep their old times, as the error answer says.
            if let Some(m) = messages {
                for (seq, old, count) in undo {
                    m.set_visibility(seq, old, count);
                }
            }
            return Err(e.into());
        }
        Ok(outcomes)
    }

    /// Adds to the index the messages of a batch appended at `base`: each with the offset
    /// of its body in the batch. Returns the queues that got messages.
    pub(super) fn index_messages(
        &self,
        base: u64,
        placed: Vec<(String, u64, Message, usize)>,
    ) -> Vec<String> {
        let mut queues: Vec<String> = Vec::new();
        let mut index = self.queue_index.lock();
        for (queue, seq, mut message, body_at) in placed {
            message.body_pos = base + body_at as u64;
            if !queues.contains(&queue) {
                queues.push(queue.clone());
            }
            index.entry(queue).or_default().insert(seq, message);
        }
        queues
    }

    /// Receives up to `spec.max` visible messages: each becomes invisible until
    /// `now + visibility` with its receive count raised. On the way, expired messages are
    /// dropped and messages already received `max_receive_count` times move to the
    /// dead-letter queue. Not synced here: a receive lost in a crash only makes the
    /// message visible again (at-least-once).
    pub(crate) fn receive(&self, spec: ReceiveSpec<'_>) -> Result<Vec<ReceivedMessage>, StorageError> {
        self.room()?;
        let mut picked = Vec::new();
        {
            let mut index = self.queue_index.lock();
            let Some(queue) = index.get_mut(spec.queue) else { return Ok(Vec::new()) };
            let mut batch = Batch::default();
            let mut moved = Vec::new();
            let due_end = Bound::Excluded((spec.now_ms.saturating_add(1), 0));
            let mut after = Bound::Unbounded;
            // Look at the due messages a chunk at a time (never copying the whole backlog):
            // each is dropped, moved or picked, and the scan resumes after the last seen.
            while picked.len() < spec.max {
                let chunk: Vec<(u64, u64)> =
                    queue.order.range((after, due_end)).take(spec.max).copied().collect();
                let Some(last) = chunk.last() else { break };
                after = Bound::Excluded(*last);
                for (_, seq) in chunk {
                    if picked.len() >= spec.max {
                        break;
                    }
                    // With a zero visibility timeout a picked message stays due: once is enough.
                    if picked.iter().any(|p: &(u64, u64, u32, Message)| p.0 == seq) {
                        continue;
                    }
                    let Some(message) = queue.by_seq.get(&seq).cloned() else { continue };
                    if message.enqueued_at.saturating_add(spec.retention_ms) < spec.now_ms {
                        queue.remove(seq);
                        batch.push(&Record::Delete { queue: spec.queue, seq });
                        continue;
                    }
                    if let (Some(max), Some(dlq)) = (spec.max_receive_count, spec.dead_letter_queue)
                        && message.receive_count >= max
                    {
                        queue.remove(seq);
                        batch.push(&Record::Move { from: spec.queue, to: dlq, seq, visible_at: spec.now_ms });
                        moved.push((seq, message));
                        continue;
                    }
                    let visible_at = spec.now_ms.saturating_add(spec.visibility_ms);
                    let count = message.receive_count.saturating_add(1);
                    queue.set_visibility(seq, visible_at, count);
                    let first = queue.by_seq.get_mut(&seq).map(|m| {
                        if m.first_received_at == 0 {
                            m.first_received_at = spec.now_ms;
                        }
                        m.first_received_at
                    });
                    let message = Message { first_received_at: first.unwrap_or(spec.now_ms), ..message };
                    batch.push(&Record::Receive { queue: spec.queue, seq, visible_at, receive_count: count });
                    picked.push((seq, visible_at, count, message));
                }
            }
            if !batch.is_empty()
                && let Err(e) = self.journal.append(&batch, Write::Now)
            {
                // Not recorded: messages bound for the dead-letter queue stay where they
                // were (picked ones stay hidden until their timeout: at-least-once).
                for (seq, message) in moved {
                    queue.insert(seq, message);
                }
                return Err(e.into());
            }
            if let Some(dlq) = spec.dead_letter_queue
                && !moved.is_empty()
            {
                let target = index.entry(dlq.to_owned()).or_default();
                for (seq, message) in moved {
                    target.insert(seq, Message { visible_at: spec.now_ms, receive_count: 0, ..message });
                }
            }
        }
        let mut out = Vec::with_capacity(picked.len());
        for (seq, _visible_at, count, message) in picked {
            let body = self.journal.read(message.body_pos, message.body_len)?;
            out.push(ReceivedMessage {
                message_id: format!("{seq:016x}"),
                receipt_handle: handle(spec.queue, count, seq),
                receive_count: count,
                body,
                attributes: message.attributes.map(|a| a.to_vec()),
                sent_at: message.enqueued_at,
                first_received_at: message.first_received_at,
            });
        }
        Ok(out)
    }

    /// Deletes the messages named by receipt handles. Returns how many were deleted;
    /// unknown or stale handles delete nothing.
    pub(crate) fn ack(&self, queue: &str, handles: &[String]) -> Result<usize, StorageError> {
        self.room()?;
        let mut index = self.queue_index.lock();
        let Some(messages) = index.get_mut(queue) else { return Ok(0) };
        let mut batch = Batch::default();
        let mut deleted = Vec::new();
        for (count, seq) in handles.iter().filter_map(|h| parse_handle(queue, h)) {
            if messages.by_seq.get(&seq).is_some_and(|m| m.receive_count == count)
                && let Some(message) = messages.remove(seq)
            {
                batch.push(&Record::Delete { queue, seq });
                deleted.push((seq, message));
            }
        }
        if !batch.is_empty()
            && let Err(e) = self.journal.append(&batch, Write::Now)
        {
            // Not recorded: the messages stay, as the error answer says.
            for (seq, message) in deleted {
                messages.insert(seq, message);
            }
            return Err(e.into());
        }
        Ok(deleted.len())
    }

    /// Visible and in-flight message counts.
    pub(crate) fn queue_counts(&self, queue: &str, now_ms: u64) -> QueueCounts {
        let index = self.queue_index.lock();
        let Some(messages) = index.get(queue) else { return QueueCounts::default() };
        let in_flight = messages.order.range((now_ms.saturating_add(1), 0)..).count() as u64;
        QueueCounts { visible: messages.order.len() as u64 - in_flight, in_flight }
    }

    /// Rewrites, inline at the end of the journal, every message whose body lies before
    /// `end`, so the segments before `end` hold nothing live. Returns how many moved.
    pub(crate) fn relocate_messages_before(&self, end: u64) -> Result<usize, StorageError> {
        self.room()?;
        let mut index = self.queue_index.lock();
        let mut moved = Vec::new();
        for (name, messages) in index.iter() {
            for (seq, message) in &messages.by_seq {
                if message.body_pos < end {
                    moved.push((name.clone(), *seq, message.clone()));
                }
            }
        }
        if moved.is_empty() {
            return Ok(0);
        }
        let mut batch = Batch::default();
        let mut placed = Vec::with_capacity(moved.len());
        for (queue, seq, message) in &moved {
            let body = self.journal.read(message.body_pos, message.body_len)?;
            let (_, carried) = batch.push(&message.record(queue, *seq, Body::Inline(&body)));
            placed.push(carried.unwrap_or_default());
        }
        let base = self.journal.append(&batch, Write::Now)?;
        for ((queue, seq, _), at) in moved.iter().zip(&placed) {
            if let Some(message) = index.get_mut(queue).and_then(|q| q.by_seq.get_mut(seq)) {
                message.body_pos = base + *at as u64;
            }
        }
        Ok(moved.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_round_trip_and_refuse_garbage() {
        assert_eq!(parse_handle("q", &handle("q", 5, 9)), Some((5, 9)));
        assert_eq!(parse_handle("other", &handle("q", 5, 9)), None, "a handle names its queue");
        assert_eq!(parse_handle("q", "zz"), None);
        assert_eq!(parse_handle("q", &"é".repeat(16)), None);
        assert_eq!(parse_handle("q", &format!("+{}", &handle("q", 5, 9)[1..])), None);
    }
}
