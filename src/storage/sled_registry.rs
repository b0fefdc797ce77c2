//! The embedded adapter of [`RegistryStore`]: the sled trees of `schemas.rs`,
//! `registries.rs`, `configs.rs`, `modes.rs` and `schema_ids.rs`.
//!
//! Reads go straight to sled (memory-mapped, no round trip). Writes run their sled
//! transaction on the blocking pool (a transaction may wait for a group-commit fsync,
//! see `mod.rs`) and then flush, so the future resolves once the write is durable.

use serde_json::Value;

use super::registry_store::{DeleteOutcome, NewVersion, Page, RegisterOutcome, RegistryStore, StoreFuture};
use super::{StorageError, Store};
use crate::model::{RegistryRecord, SchemaRecord, VersionRecord};

impl RegistryStore for Store {
    fn backend(&self) -> &'static str {
        "sled"
    }

    fn get_registry(&self, name: &str) -> Result<Option<RegistryRecord>, StorageError> {
        Store::get_registry(self, name)
    }

    fn list_registries(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<RegistryRecord>, StorageError> {
        Store::list_registries(self, prefix, after, limit)
    }

    fn get_schema(&self, registry: &str, schema: &str) -> Result<Option<SchemaRecord>, StorageError> {
        Store::get_schema(self, registry, schema)
    }

    fn list_schemas(
        &self,
        registry: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<SchemaRecord>, StorageError> {
        Store::list_schemas(self, registry, prefix, after, limit)
    }

    fn all_schemas(&self, registry: Option<&str>) -> Result<Vec<SchemaRecord>, StorageError> {
        Store::all_schemas(self, registry)
    }

    fn schema_count(&self, registry: &str) -> Result<usize, StorageError> {
        Ok(Store::schema_count(self, registry))
    }

    fn get_version(
        &self,
        registry: &str,
        schema: &str,
        version: u32,
    ) -> Result<Option<VersionRecord>, StorageError> {
        Store::get_version(self, registry, schema, version)
    }

    fn list_versions(&self, registry: &str, schema: &str) -> Result<Vec<VersionRecord>, StorageError> {
        Store::list_versions(self, registry, schema)
    }

    fn versions_with_id(&self, id: u32) -> Result<Vec<(String, String, u32)>, StorageError> {
        Store::versions_with_id(self, id)
    }

    fn referrers_of(
        &self,
        registry: &str,
        schema: &str,
        version: u32,
    ) -> Result<Vec<(String, String, u32)>, StorageError> {
        Store::referrers_of(self, registry, schema, version)
    }

    fn get_config(&self, registry: &str, schema: Option<&str>) -> Result<Option<Value>, StorageError> {
        Store::get_config::<Value>(self, registry, schema)
    }

    fn get_mode(&self, registry: &str, schema: Option<&str>) -> Result<Option<String>, StorageError> {
        Store::get_mode(self, registry, schema)
    }

    fn create_registry(&self, record: RegistryRecord) -> StoreFuture<'_, bool> {
        self.durably(move |s| Store::create_registry(s, &record))
    }

    fn put_registry(&self, record: RegistryRecord) -> StoreFuture<'_, ()> {
        self.durably(move |s| Store::put_registry(s, &record))
    }

    fn put_schema(&self, record: SchemaRecord) -> StoreFuture<'_, ()> {
        self.durably(move |s| Store::put_schema(s, &record))
    }

    fn register_version(&self, new: NewVersion) -> StoreFuture<'_, RegisterOutcome> {
        self.durably(move |s| Store::register_version(s, &new))
    }

    fn delete_version(
        &self,
        schema: SchemaRecord,
        record: VersionRecord,
        now: String,
    ) -> StoreFuture<'_, DeleteOutcome> {
        self.durably(move |s| Store::delete_version(s, &schema.registry, &schema, record, &now))
    }

    fn soft_delete_versions(
        &self,
        schema: SchemaRecord,
        numbers: Vec<u32>,
        now: String,
    ) -> StoreFuture<'_, ()> {
        self.durably(move |s| Store::soft_delete_versions(s, &schema.registry, &schema, &numbers, &now))
    }

    fn delete_schema(&self, registry: String, schema: String) -> StoreFuture<'_, DeleteOutcome> {
        self.durably(move |s| {
            let outcome = Store::delete_schema(s, &registry, &schema)?;
            if matches!(outcome, DeleteOutcome::Deleted) {
                s.remove_configs(&registry, Some(&schema))?;
            }
            Ok(outcome)
        })
    }

    fn delete_registry(&self, registry: String) -> StoreFuture<'_, DeleteOutcome> {
        self.durably(move |s| {
            let outcome = Store::delete_registry(s, &registry)?;
            if matches!(outcome, DeleteOutcome::Deleted) {
                s.remove_configs(&registry, None)?;
            }
            Ok(outcome)
        })
    }

    fn put_config(&self, registry: String, schema: Option<String>, config: Value) -> StoreFuture<'_, ()> {
        self.durably(move |s| Store::put_config(s, &registry, schema.as_deref(), &config))
    }

    fn remove_config(&self, registry: String, schema: Option<String>) -> StoreFuture<'_, ()> {
        self.durably(move |s| Store::remove_config(s, &registry, schema.as_deref()))
    }

    fn put_mode(
        &self,
        registry: String,
        schema: Option<String>,
        mode: Option<String>,
    ) -> StoreFuture<'_, ()> {
        self.durably(move |s| Store::put_mode(s, &registry, schema.as_deref(), mode.as_deref()))
    }

    fn backfill_schema_ids(&self) -> StoreFuture<'_, usize> {
        self.durably(Store::backfill_schema_ids)
    }

    fn probe(&self) -> StoreFuture<'_, ()> {
        let store = self.clone();
        Box::pin(async move { Store::probe(&store).await })
    }
}
