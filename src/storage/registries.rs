//! Typed access to the `registries` tree.

use std::ops::Bound;

use super::codec::{decode, encode};
use super::registry_store::Page;
use super::{StorageError, Store};
use crate::model::RegistryRecord;

impl Store {
    /// The registry, if it exists.
    pub(crate) fn get_registry(&self, name: &str) -> Result<Option<RegistryRecord>, StorageError> {
        self.registries.get(name.as_bytes())?.map(|v| decode(name.as_bytes(), &v)).transpose()
    }

    /// Inserts a registry unless one of that name exists. Returns false when it exists.
    pub(crate) fn create_registry(&self, record: &RegistryRecord) -> Result<bool, StorageError> {
        self.room()?;
        let swapped =
            self.registries.compare_and_swap(record.name.as_bytes(), None::<&[u8]>, Some(encode(record)))?;
        self.wrote();
        Ok(swapped.is_ok())
    }

    /// Replaces a registry's record.
    pub(crate) fn put_registry(&self, record: &RegistryRecord) -> Result<(), StorageError> {
        self.room()?;
        self.registries.insert(record.name.as_bytes(), encode(record))?;
        self.wrote();
        Ok(())
    }

    /// Registries in name order, starting with `prefix`, after the name `after`.
    pub(crate) fn list_registries(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<RegistryRecord>, StorageError> {
        let start = match after {
            Some(a) if a.as_bytes() >= prefix.as_bytes() => Bound::Excluded(a.as_bytes().to_vec()),
            _ => Bound::Included(prefix.as_bytes().to_vec()),
        };
        let mut items = Vec::new();
        let mut more = false;
        for entry in self.registries.range((start, Bound::Unbounded)) {
            let (key, value) = entry?;
            if !key.starts_with(prefix.as_bytes()) {
                break;
            }
            if items.len() == limit {
                more = true;
                break;
            }
            items.push(decode::<RegistryRecord>(&key, &value)?);
        }
        let next = if more { items.last().map(|r| r.name.clone()) } else { None };
        Ok((items, next))
    }
}
