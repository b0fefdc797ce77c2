//! Queues' settings (key: name). Their messages are event data, in the journal.

use super::{Collection, Control};
use crate::model::QueueRecord;
use crate::storage::StorageError;

impl Control {
    /// Every queue's settings, in name order.
    ///
    /// # Errors
    /// Storage failures (as for every method here).
    pub fn list_queues(&self) -> Result<Vec<QueueRecord>, StorageError> {
        Ok(self.scan_docs(Collection::Queues, b"")?.into_iter().map(|(_, q)| q).collect())
    }

    /// Creates or replaces a queue's settings.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn put_queue(&self, record: &QueueRecord) -> Result<(), StorageError> {
        self.put_doc(Collection::Queues, record.name.as_bytes().to_vec(), record).await
    }

    /// Stores a new queue's settings unless a queue has its name; whether it stored them.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn create_queue(&self, record: &QueueRecord) -> Result<bool, StorageError> {
        self.create_doc(Collection::Queues, record.name.as_bytes().to_vec(), record).await
    }

    /// Deletes a queue's settings; whether it existed.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn delete_queue(&self, name: &str) -> Result<bool, StorageError> {
        self.delete_doc(Collection::Queues, name.as_bytes().to_vec()).await
    }
}
