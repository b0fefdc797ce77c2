//! Typed access to the `api_keys` tree: SHA-256 digest of the key → [`KeyRecord`]. Looked
//! up by digest on every request; the few management operations scan (keys are few).

use super::codec::{decode, encode};
use super::{StorageError, Store};
use crate::model::{AwsCredentialRecord, KeyRecord};

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

    /// The AWS credential with this access key id.
    pub(crate) fn aws_credential(
        &self,
        access_key_id: &str,
    ) -> Result<Option<AwsCredentialRecord>, StorageError> {
        let id = access_key_id.as_bytes();
        self.aws_credentials.get(id)?.map(|v| decode(id, &v)).transpose()
    }

    /// Every AWS credential, in access key id order.
    pub(crate) fn list_aws_credentials(&self) -> Result<Vec<AwsCredentialRecord>, StorageError> {
        self.aws_credentials
            .iter()
            .map(|e| e.map_err(StorageError::from).and_then(|(k, v)| decode(&k, &v)))
            .collect()
    }

    /// Stores an AWS credential under its access key id.
    pub(crate) fn put_aws_credential(&self, record: &AwsCredentialRecord) -> Result<(), StorageError> {
        self.room()?;
        self.aws_credentials.insert(record.access_key_id.as_bytes(), encode(record))?;
        self.wrote();
        Ok(())
    }

    /// Removes every AWS credential of the key named `key`. Returns how many there were.
    pub(crate) fn remove_aws_credentials_of(&self, key: &str) -> Result<usize, StorageError> {
        let mut removed = 0;
        for record in self.list_aws_credentials()? {
            if record.key_name == key {
                self.room()?;
                self.aws_credentials.remove(record.access_key_id.as_bytes())?;
                self.wrote();
                removed += 1;
            }
        }
        Ok(removed)
    }
}
