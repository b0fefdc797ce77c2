//! Typed access to the `connections` and `api_destinations` trees (key: name) and the
//! `tags` tree (key: resource ARN, value: the tags as a JSON object).

use super::codec::{decode, encode};
use super::{StorageError, Store};
use crate::model::{ApiDestinationRecord, ConnectionRecord};

type TagMap = std::collections::BTreeMap<String, String>;

impl Store {
    /// The connection, if it exists.
    pub(crate) fn get_connection(&self, name: &str) -> Result<Option<ConnectionRecord>, StorageError> {
        self.connections.get(name.as_bytes())?.map(|v| decode(name.as_bytes(), &v)).transpose()
    }

    /// Creates or replaces a connection.
    pub(crate) fn put_connection(&self, record: &ConnectionRecord) -> Result<(), StorageError> {
        self.room()?;
        self.connections.insert(record.name.as_bytes(), encode(record))?;
        self.wrote();
        Ok(())
    }

    /// Deletes a connection. Returns whether it existed.
    pub(crate) fn delete_connection(&self, name: &str) -> Result<bool, StorageError> {
        self.room()?;
        let existed = self.connections.remove(name.as_bytes())?.is_some();
        self.wrote();
        Ok(existed)
    }

    /// Every connection, in name order.
    pub(crate) fn list_connections(&self) -> Result<Vec<ConnectionRecord>, StorageError> {
        self.connections
            .iter()
            .map(|e| e.map_err(StorageError::from).and_then(|(k, v)| decode(&k, &v)))
            .collect()
    }

    /// The API destination, if it exists.
    pub(crate) fn get_api_destination(
        &self,
        name: &str,
    ) -> Result<Option<ApiDestinationRecord>, StorageError> {
        self.api_destinations.get(name.as_bytes())?.map(|v| decode(name.as_bytes(), &v)).transpose()
    }

    /// Creates or replaces an API destination.
    pub(crate) fn put_api_destination(&self, record: &ApiDestinationRecord) -> Result<(), StorageError> {
        self.room()?;
        self.api_destinations.insert(record.name.as_bytes(), encode(record))?;
        self.wrote();
        Ok(())
    }

    /// Deletes an API destination. Returns whether it existed.
    pub(crate) fn delete_api_destination(&self, name: &str) -> Result<bool, StorageError> {
        self.room()?;
        let existed = self.api_destinations.remove(name.as_bytes())?.is_some();
        self.wrote();
        Ok(existed)
    }

    /// Every API destination, in name order.
    pub(crate) fn list_api_destinations(&self) -> Result<Vec<ApiDestinationRecord>, StorageError> {
        self.api_destinations
            .iter()
            .map(|e| e.map_err(StorageError::from).and_then(|(k, v)| decode(&k, &v)))
            .collect()
    }

    /// The tags of a resource (empty when it has none).
    pub(crate) fn tags_of(&self, arn: &str) -> Result<TagMap, StorageError> {
        Ok(self
            .tags
            .get(arn.as_bytes())?
            .map(|v| decode(arn.as_bytes(), &v))
            .transpose()?
            .unwrap_or_default())
    }

    /// Replaces the tags of a resource (none: forgets it).
    pub(crate) fn put_tags(&self, arn: &str, tags: &TagMap) -> Result<(), StorageError> {
        self.room()?;
        if tags.is_empty() {
            self.tags.remove(arn.as_bytes())?;
        } else {
            self.tags.insert(arn.as_bytes(), encode(tags))?;
        }
        self.wrote();
        Ok(())
    }
}
