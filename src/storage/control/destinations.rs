//! The destinations port ([`DestinationStore`]) over the control plane: connections and
//! API destinations (key: name) and the tags of AWS-API resources (key: ARN, value: the
//! tags as a JSON object; none stored when there are none).

use std::collections::BTreeMap;

use super::{Collection, Control, Op};
use crate::model::{ApiDestinationRecord, ConnectionRecord};
use crate::storage::codec::encode;
use crate::storage::{DestinationStore, StorageError, StoreFuture};

impl DestinationStore for Control {
    fn get_connection(&self, name: &str) -> Result<Option<ConnectionRecord>, StorageError> {
        self.get_doc(Collection::Connections, name.as_bytes())
    }

    fn list_connections(&self) -> Result<Vec<ConnectionRecord>, StorageError> {
        Ok(self.scan_docs(Collection::Connections, b"")?.into_iter().map(|(_, c)| c).collect())
    }

    fn get_api_destination(&self, name: &str) -> Result<Option<ApiDestinationRecord>, StorageError> {
        self.get_doc(Collection::ApiDestinations, name.as_bytes())
    }

    fn list_api_destinations(&self) -> Result<Vec<ApiDestinationRecord>, StorageError> {
        Ok(self.scan_docs(Collection::ApiDestinations, b"")?.into_iter().map(|(_, d)| d).collect())
    }

    fn tags_of(&self, arn: &str) -> Result<BTreeMap<String, String>, StorageError> {
        Ok(self.get_doc(Collection::Tags, arn.as_bytes())?.unwrap_or_default())
    }

    fn create_connection(&self, record: ConnectionRecord) -> StoreFuture<'_, bool> {
        Box::pin(async move {
            self.create_doc(Collection::Connections, record.name.as_bytes().to_vec(), &record).await
        })
    }

    fn put_connection(&self, record: ConnectionRecord) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            self.put_doc(Collection::Connections, record.name.as_bytes().to_vec(), &record).await
        })
    }

    fn delete_connection(&self, name: String) -> StoreFuture<'_, bool> {
        Box::pin(async move { self.delete_doc(Collection::Connections, name.into_bytes()).await })
    }

    fn create_api_destination(&self, record: ApiDestinationRecord) -> StoreFuture<'_, bool> {
        Box::pin(async move {
            self.create_doc(Collection::ApiDestinations, record.name.as_bytes().to_vec(), &record).await
        })
    }

    fn put_api_destination(&self, record: ApiDestinationRecord) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            self.put_doc(Collection::ApiDestinations, record.name.as_bytes().to_vec(), &record).await
        })
    }

    fn delete_api_destination(&self, name: String) -> StoreFuture<'_, bool> {
        Box::pin(async move { self.delete_doc(Collection::ApiDestinations, name.into_bytes()).await })
    }

    fn put_tags(&self, arn: String, tags: BTreeMap<String, String>) -> StoreFuture<'_, ()> {
        let key = arn.into_bytes();
        let op = if tags.is_empty() {
            Op::Delete { collection: Collection::Tags, key }
        } else {
            Op::Put { collection: Collection::Tags, key, value: encode(&tags) }
        };
        Box::pin(async move {
            self.store.apply(vec![op]).await?;
            Ok(())
        })
    }
}
