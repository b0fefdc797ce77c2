//! Archives' settings (key `bus 0x00 archive`) and replays (key: name). The archived
//! events themselves are event data, kept by the embedded store (`storage/archives.rs`).

use super::{Collection, Control, Op};
use crate::model::{ArchiveRecord, ReplayRecord};
use crate::storage::StorageError;
use crate::storage::codec::{encode, registry_prefix, schema_key};

impl Control {
    /// The archive, if it exists.
    ///
    /// # Errors
    /// Storage failures (as for every method here).
    pub fn get_archive(&self, bus: &str, name: &str) -> Result<Option<ArchiveRecord>, StorageError> {
        self.get_doc(Collection::Archives, &schema_key(bus, name))
    }

    /// A bus's archives in name order (every archive when `bus` is `None`).
    ///
    /// # Errors
    /// Storage failures.
    pub fn list_archives(&self, bus: Option<&str>) -> Result<Vec<ArchiveRecord>, StorageError> {
        let prefix = bus.map(registry_prefix).unwrap_or_default();
        Ok(self.scan_docs(Collection::Archives, &prefix)?.into_iter().map(|(_, a)| a).collect())
    }

    /// Creates or replaces an archive's settings.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn put_archive(&self, record: &ArchiveRecord) -> Result<(), StorageError> {
        self.put_doc(Collection::Archives, schema_key(&record.bus, &record.name), record).await
    }

    /// Deletes an archive's settings; whether it existed.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn delete_archive(&self, bus: &str, name: &str) -> Result<bool, StorageError> {
        self.delete_doc(Collection::Archives, schema_key(bus, name)).await
    }

    /// The replay, if it exists.
    ///
    /// # Errors
    /// Storage failures.
    pub fn get_replay(&self, name: &str) -> Result<Option<ReplayRecord>, StorageError> {
        self.get_doc(Collection::Replays, name.as_bytes())
    }

    /// Every replay, in name order.
    ///
    /// # Errors
    /// Storage failures.
    pub fn list_replays(&self) -> Result<Vec<ReplayRecord>, StorageError> {
        Ok(self.scan_docs(Collection::Replays, b"")?.into_iter().map(|(_, r)| r).collect())
    }

    /// Stores a new replay unless one has its name (names are never reused); whether it
    /// stored it.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn create_replay(&self, record: &ReplayRecord) -> Result<bool, StorageError> {
        self.create_doc(Collection::Replays, record.name.as_bytes().to_vec(), record).await
    }

    /// Replaces a replay record only if it is still `expected`; whether it did (a replay
    /// cancelled on another instance is not overwritten by its runner's progress).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn replace_replay(
        &self,
        expected: &ReplayRecord,
        record: &ReplayRecord,
    ) -> Result<bool, StorageError> {
        let key = record.name.as_bytes().to_vec();
        let applied = self
            .store
            .apply(vec![
                Op::Expect {
                    collection: Collection::Replays,
                    key: key.clone(),
                    value: Some(encode(expected)),
                },
                Op::Put { collection: Collection::Replays, key, value: encode(record) },
            ])
            .await?;
        Ok(!applied.refused)
    }

    /// Creates or replaces a replay record.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn put_replay(&self, record: &ReplayRecord) -> Result<(), StorageError> {
        self.put_doc(Collection::Replays, record.name.as_bytes().to_vec(), record).await
    }
}
