//! The destinations aggregate's storage port: connections and API destinations (the
//! EventBridge resources behind webhook targets made from the AWS API) and the tags of
//! AWS-API resources; what `crate::destinations` needs. Its one implementation is over the
//! control-plane port (`control/destinations.rs`), so it runs on either adapter.
//!
//! Creation is its own operation, not a read then a write: "create unless it exists" must
//! hold when two instances create the same name at once, which only the store can decide.

use std::collections::BTreeMap;

use super::StorageError;
use super::port::StoreFuture;
use crate::model::{ApiDestinationRecord, ConnectionRecord};

/// Connections, API destinations and tags.
pub trait DestinationStore: Send + Sync + std::fmt::Debug {
    /// The connection, if it exists.
    ///
    /// # Errors
    /// Storage failures (as for every method).
    fn get_connection(&self, name: &str) -> Result<Option<ConnectionRecord>, StorageError>;
    /// Every connection, in name order.
    ///
    /// # Errors
    /// Storage failures.
    fn list_connections(&self) -> Result<Vec<ConnectionRecord>, StorageError>;
    /// The API destination, if it exists.
    ///
    /// # Errors
    /// Storage failures.
    fn get_api_destination(&self, name: &str) -> Result<Option<ApiDestinationRecord>, StorageError>;
    /// Every API destination, in name order.
    ///
    /// # Errors
    /// Storage failures.
    fn list_api_destinations(&self) -> Result<Vec<ApiDestinationRecord>, StorageError>;
    /// The tags of a resource by ARN (empty when it has none).
    ///
    /// # Errors
    /// Storage failures.
    fn tags_of(&self, arn: &str) -> Result<BTreeMap<String, String>, StorageError>;

    /// Stores a new connection unless one has its name; resolves to false when one has.
    fn create_connection(&self, record: ConnectionRecord) -> StoreFuture<'_, bool>;
    /// Replaces a connection's record.
    fn put_connection(&self, record: ConnectionRecord) -> StoreFuture<'_, ()>;
    /// Deletes a connection; resolves to whether it existed.
    fn delete_connection(&self, name: String) -> StoreFuture<'_, bool>;
    /// Stores a new API destination unless one has its name; false when one has.
    fn create_api_destination(&self, record: ApiDestinationRecord) -> StoreFuture<'_, bool>;
    /// Replaces an API destination's record.
    fn put_api_destination(&self, record: ApiDestinationRecord) -> StoreFuture<'_, ()>;
    /// Deletes an API destination; resolves to whether it existed.
    fn delete_api_destination(&self, name: String) -> StoreFuture<'_, bool>;
    /// Replaces the tags of a resource (none: forgets it).
    fn put_tags(&self, arn: String, tags: BTreeMap<String, String>) -> StoreFuture<'_, ()>;
}
