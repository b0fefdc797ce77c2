//! What only the AWS Schemas API has: discoverers (owned by `crate::discovery`) and
//! resource policies (owned by `crate::registry`). Key: `kind 0x00 name`; values are
//! opaque JSON owned by their module.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Collection, Control, Op};
use crate::storage::StorageError;
use crate::storage::codec::encode;

/// The kinds of AWS Schemas documents.
#[derive(Debug, Clone, Copy)]
pub(crate) enum AwsKind {
    Discoverer,
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

impl Control {
    /// The document of `kind` named `name`.
    pub(crate) fn get_aws<T: DeserializeOwned>(
        &self,
        kind: AwsKind,
        name: &str,
    ) -> Result<Option<T>, StorageError> {
        self.get_doc(Collection::AwsSchemas, &kind.key(name))
    }

    /// Every document of `kind`, by name.
    pub(crate) fn list_aws<T: DeserializeOwned>(
        &self,
        kind: AwsKind,
    ) -> Result<Vec<(String, T)>, StorageError> {
        self.scan_docs(Collection::AwsSchemas, kind.prefix())
    }

    /// Creates or replaces a document.
    pub(crate) async fn put_aws<T: Serialize>(
        &self,
        kind: AwsKind,
        name: &str,
        value: &T,
    ) -> Result<(), StorageError> {
        self.put_doc(Collection::AwsSchemas, kind.key(name), value).await
    }

    /// Replaces a document only if it is still `expected` (`None`: there is none);
    /// whether it replaced it.
    pub(crate) async fn replace_aws<T: Serialize>(
        &self,
        kind: AwsKind,
        name: &str,
        expected: Option<&T>,
        value: &T,
    ) -> Result<bool, StorageError> {
        let key = kind.key(name);
        let applied = self
            .store
            .apply(vec![
                Op::Expect {
                    collection: Collection::AwsSchemas,
                    key: key.clone(),
                    value: expected.map(encode),
                },
                Op::Put { collection: Collection::AwsSchemas, key, value: encode(value) },
            ])
            .await?;
        Ok(!applied.refused)
    }

    /// Creates a document unless one has its name; whether it created.
    pub(crate) async fn insert_aws<T: Serialize>(
        &self,
        kind: AwsKind,
        name: &str,
        value: &T,
    ) -> Result<bool, StorageError> {
        self.create_doc(Collection::AwsSchemas, kind.key(name), value).await
    }

    /// Deletes a document; whether it existed.
    pub(crate) async fn delete_aws(&self, kind: AwsKind, name: &str) -> Result<bool, StorageError> {
        self.delete_doc(Collection::AwsSchemas, kind.key(name)).await
    }
}
