//! Typed access to the `audit` tree: big-endian sequence number → [`AuditRecord`], so a
//! reverse range scan lists newest first.

use super::codec::{decode, encode};
use super::{StorageError, Store};
use crate::model::AuditRecord;

impl Store {
    /// Appends a record; returns its sequence number (also written into `record.id`).
    pub(crate) fn append_audit(&self, record: &mut AuditRecord) -> Result<u64, StorageError> {
        self.room()?;
        let seq = self.next_seq();
        record.id = seq.to_string();
        self.audit.insert(seq.to_be_bytes(), encode(record))?;
        self.wrote();
        Ok(seq)
    }

    /// Up to `limit` records older than `before` (all when `None`), newest first.
    pub(crate) fn list_audit(
        &self,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StorageError> {
        let end = before.unwrap_or(u64::MAX).to_be_bytes();
        self.audit
            .range(..end)
            .rev()
            .take(limit)
            .map(|e| e.map_err(StorageError::from).and_then(|(k, v)| decode(&k, &v)))
            .collect()
    }
}
