//! What only the AWS Schemas API has: discoverers (owned by `crate::discovery`) and
//! resource policies (owned by `crate::registry`). Key: `kind 0x00 name`; values are
//! opaque JSON owned by their module; every write is a single-key insert or remove.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::codec::{decode, encode};
use super::{StorageError, Store};

/// The kinds of record kept.
#[derive(Debug, Clone, Copy)]
pub(crate) enum AwsKind {
    /// A discoverer (key: its id).
    Discoverer,
    /// A resource policy (key: the registry name, empty for the account's).
    Policy,
}

impl AwsKind {
    fn prefix(self) -> &'static [u8] {
        match self {
            Self::Discoverer => b"discoverer\0",
            Self::Policy => b"policy\0",
        }
    }

    fn key(self, name: &str) -> Vec<u8> {
        [self.prefix(), name.as_bytes()].concat()
    }
}

impl Store {
    /// One record.
    pub(crate) fn get_aws<T: DeserializeOwned>(
        &self,
        kind: AwsKind,
        name: &str,
    ) -> Result<Option<T>, StorageError> {
        let key = kind.key(name);
        self.aws_schemas.get(&key)?.map(|v| decode(&key, &v)).transpose()
    }

    /// Stores a record (replacing any).
    pub(crate) fn put_aws<T: Serialize>(
        &self,
        kind: AwsKind,
        name: &str,
        value: &T,
    ) -> Result<(), StorageError> {
        self.room()?;
        self.aws_schemas.insert(kind.key(name), encode(value))?;
        self.wrote();
        Ok(())
    }

    /// Stores a record only if none has this name (atomically); whether it was stored.
    pub(crate) fn insert_aws<T: Serialize>(
        &self,
        kind: AwsKind,
        name: &str,
        value: &T,
    ) -> Result<bool, StorageError> {
        self.room()?;
        let swapped =
            self.aws_schemas.compare_and_swap(kind.key(name), None::<&[u8]>, Some(encode(value)))?;
        self.wrote();
        Ok(swapped.is_ok())
    }

    /// Removes a record; whether there was one.
    pub(crate) fn delete_aws(&self, kind: AwsKind, name: &str) -> Result<bool, StorageError> {
        let existed = self.aws_schemas.remove(kind.key(name))?.is_some();
        self.wrote();
        Ok(existed)
    }

    /// Every record of a kind, in name order.
    pub(crate) fn list_aws<T: DeserializeOwned>(
        &self,
        kind: AwsKind,
    ) -> Result<Vec<(String, T)>, StorageError> {
        let mut out = Vec::new();
        for item in self.aws_schemas.scan_prefix(kind.prefix()) {
            let (k, v) = item?;
            let name = String::from_utf8_lossy(&k[kind.prefix().len()..]).into_owned();
            out.push((name, decode(&k, &v)?));
        }
        Ok(out)
    }
}
