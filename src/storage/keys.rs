//! Typed access to the `api_keys` tree: SHA-256 digest of the key → [`KeyRecord`]. Looked
//! up by digest on every request; the few management operations scan (keys are few).

use super::codec::{decode, encode};
use super::{StorageError, Store};
use crate::model::KeyRecord;

impl Store {
    /// The key whose digest this is.
    pub(crate) fn key_by_digest(&self, digest: &[u8]) -> Result<Option<KeyRecord>, StorageError> {
        self.api_keys.get(digest)?.map(|v| decode(digest, &v)).transpose()
    }

    /// Every key with its digest, in digest order.
    pub(crate) fn list_keys(&self) -> Result<Vec<(Vec<u8>, KeyRecord)>, StorageError> {
        self.api_keys
            .iter()
            .map(|e| e.map_err(StorageError::from).and_then(|(k, v)| Ok((k.to_vec(), decode(&k, &v)?))))
            .collect()
    }

    /// Stores a key under its digest (replacing a record with the same digest).
    pub(crate) fn put_key(&self, digest: &[u8], record: &KeyRecord) -> Result<(), StorageError> {
        self.room()?;
        self.api_keys.insert(digest, encode(record))?;
        self.wrote();
        Ok(())
    }

    /// Removes a key by digest. Returns whether it existed.
    pub(crate) fn remove_key(&self, digest: &[u8]) -> Result<bool, StorageError> {
        self.room()?;
        let existed = self.api_keys.remove(digest)?.is_some();
        self.wrote();
        Ok(existed)
    }
}
