//! The access aggregate's storage ports: API keys with their AWS credentials
//! ([`AccessStore`]), and the audit trail ([`AuditStore`]); what `crate::auth` needs,
//! whichever adapter serves it. The sled adapter is at the end of this file.
//!
//! The rules that span records (a name names one key; the last admin key is never
//! revoked; a revoked key's AWS credentials go with it) are kept by the adapter in one
//! atomic step, because only the store sees every instance's writes.

use super::port::StoreFuture;
use super::{StorageError, Store};
use crate::model::{AuditRecord, AwsCredentialRecord, KeyRecord};

/// The grant that makes a key an admin key.
const ADMIN_GRANT: &str = "admin";

/// What revoking a key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// Removed, with this many AWS credentials.
    Revoked {
        /// AWS credentials removed with the key.
        credentials: usize,
    },
    /// No key has that name.
    NotFound,
    /// Refused: it is the last key with the admin grant.
    LastAdmin,
}

/// Keys (stored by the SHA-256 digest of the key) and AWS credentials.
///
/// Reads are synchronous: [`Self::key_by_digest`] and [`Self::aws_credential`] run on every
/// authenticated request.
pub trait AccessStore: Send + Sync + std::fmt::Debug {
    /// The key whose digest this is.
    ///
    /// # Errors
    /// Storage failures (as for every method).
    fn key_by_digest(&self, digest: &[u8]) -> Result<Option<KeyRecord>, StorageError>;
    /// Every key with its digest, in digest order.
    ///
    /// # Errors
    /// Storage failures.
    fn list_keys(&self) -> Result<Vec<(Vec<u8>, KeyRecord)>, StorageError>;
    /// The AWS credential with this access key id.
    ///
    /// # Errors
    /// Storage failures.
    fn aws_credential(&self, access_key_id: &str) -> Result<Option<AwsCredentialRecord>, StorageError>;
    /// Every AWS credential, in access key id order.
    ///
    /// # Errors
    /// Storage failures.
    fn list_aws_credentials(&self) -> Result<Vec<AwsCredentialRecord>, StorageError>;

    /// Stores a new key unless a key has its name; resolves to false when one has.
    fn create_key(&self, digest: Vec<u8>, record: KeyRecord) -> StoreFuture<'_, bool>;
    /// Removes the key named `name` and its AWS credentials, unless it is the last key
    /// with the admin grant.
    fn revoke_key(&self, name: String) -> StoreFuture<'_, Revocation>;
    /// Makes `record` the key named by it, replacing any key of that name or digest
    /// (`SCHEMABUS_ADMIN_KEY` at start-up); resolves to false when it already was.
    fn replace_key(&self, digest: Vec<u8>, record: KeyRecord) -> StoreFuture<'_, bool>;
    /// Stores `record` only if no key exists at all (the first start's admin key);
    /// resolves to whether it was stored.
    fn create_first_key(&self, digest: Vec<u8>, record: KeyRecord) -> StoreFuture<'_, bool>;
    /// Stores an AWS credential under its access key id.
    fn put_aws_credential(&self, record: AwsCredentialRecord) -> StoreFuture<'_, ()>;
}

/// The audit trail: append-only, listed newest first.
///
/// Listing is asynchronous, unlike the hot reads of the other ports: the trail grows
/// without bound, so a remote adapter queries it instead of holding a replica.
pub trait AuditStore: Send + Sync + std::fmt::Debug {
    /// Appends a record, giving it its id; resolves to the stored record.
    fn append_audit(&self, record: AuditRecord) -> StoreFuture<'_, AuditRecord>;
    /// Up to `limit` records older than the id `before` (all when `None`), newest first.
    fn list_audit(&self, before: Option<u64>, limit: usize) -> StoreFuture<'_, Vec<AuditRecord>>;
}

// ---- the sled adapter ----------------------------------------------------------------

fn is_admin(record: &KeyRecord) -> bool {
    record.grants.iter().any(|g| g == ADMIN_GRANT)
}

impl AccessStore for Store {
    fn key_by_digest(&self, digest: &[u8]) -> Result<Option<KeyRecord>, StorageError> {
        Store::key_by_digest(self, digest)
    }

    fn list_keys(&self) -> Result<Vec<(Vec<u8>, KeyRecord)>, StorageError> {
        Store::list_keys(self)
    }

    fn aws_credential(&self, access_key_id: &str) -> Result<Option<AwsCredentialRecord>, StorageError> {
        Store::aws_credential(self, access_key_id)
    }

    fn list_aws_credentials(&self) -> Result<Vec<AwsCredentialRecord>, StorageError> {
        Store::list_aws_credentials(self)
    }

    fn create_key(&self, digest: Vec<u8>, record: KeyRecord) -> StoreFuture<'_, bool> {
        self.durably(move |store| {
            let _one = store.access_changes();
            if store.list_keys()?.iter().any(|(_, r)| r.name == record.name) {
                return Ok(false);
            }
            store.put_key(&digest, &record)?;
            Ok(true)
        })
    }

    fn revoke_key(&self, name: String) -> StoreFuture<'_, Revocation> {
        self.durably(move |store| {
            let _one = store.access_changes();
            let keys = store.list_keys()?;
            let Some((digest, record)) = keys.iter().find(|(_, r)| r.name == name) else {
                return Ok(Revocation::NotFound);
            };
            if is_admin(record) && !keys.iter().any(|(d, r)| d != digest && is_admin(r)) {
                return Ok(Revocation::LastAdmin);
            }
            store.remove_key(digest)?;
            let credentials = store.remove_aws_credentials_of(&name)?;
            Ok(Revocation::Revoked { credentials })
        })
    }

    fn replace_key(&self, digest: Vec<u8>, record: KeyRecord) -> StoreFuture<'_, bool> {
        self.durably(move |store| {
            let _one = store.access_changes();
            let keys = store.list_keys()?;
            if keys.iter().any(|(d, r)| *d == digest && r.name == record.name) {
                return Ok(false);
            }
            for (d, r) in &keys {
                if r.name == record.name || *d == digest {
                    store.remove_key(d)?;
                }
            }
            store.put_key(&digest, &record)?;
            Ok(true)
        })
    }

    fn create_first_key(&self, digest: Vec<u8>, record: KeyRecord) -> StoreFuture<'_, bool> {
        self.durably(move |store| {
            let _one = store.access_changes();
            if !store.list_keys()?.is_empty() {
                return Ok(false);
            }
            store.put_key(&digest, &record)?;
            Ok(true)
        })
    }

    fn put_aws_credential(&self, record: AwsCredentialRecord) -> StoreFuture<'_, ()> {
        self.durably(move |store| Store::put_aws_credential(store, &record))
    }
}

impl AuditStore for Store {
    fn append_audit(&self, mut record: AuditRecord) -> StoreFuture<'_, AuditRecord> {
        self.durably(move |store| {
            Store::append_audit(store, &mut record)?;
            Ok(record)
        })
    }

    fn list_audit(&self, before: Option<u64>, limit: usize) -> StoreFuture<'_, Vec<AuditRecord>> {
        let result = Store::list_audit(self, before, limit);
        Box::pin(async move { result })
    }
}
