//! Where dead-lettered deliveries go. The bus's pull queues hold them, but the bus drives
//! delivery (it builds the engine and hands it the outbox entries), so delivery names
//! this port instead of the bus: the dependency reads top-down, bus → delivery.

use std::collections::BTreeMap;

use crate::error::ApiResult;

/// The queues a dead-lettered delivery is sent to (implemented by the bus's queues).
pub trait DeadLetterQueues: Send + Sync {
    /// Adds a message with `body` and `attributes` (shown in receive output) to `queue`,
    /// outside any PutEvents batch; false when the queue does not exist. Not synced: the
    /// caller flushes before acknowledging.
    ///
    /// # Errors
    /// Storage failures.
    fn dead_letter(&self, queue: &str, body: &[u8], attributes: &BTreeMap<String, String>)
    -> ApiResult<bool>;
}
