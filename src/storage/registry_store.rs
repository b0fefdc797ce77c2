//! The registry aggregate's storage port: what [`crate::registry::RegistryService`]
//! needs from storage, whichever adapter serves it (sled in `sled_registry.rs`, or
//! PostgreSQL).
//!
//! Reads are synchronous and writes are asynchronous, on purpose. Reads sit on hot paths
//! (every event validated against `latest` resolves it), so an adapter must answer them
//! from memory or an embedded store without a round trip; the PostgreSQL adapter keeps a
//! replica of its tables in memory for that. Writes may wait on a remote transaction or
//! an fsync, which must never block an actix worker. A write's future resolves once the
//! change is durable: the service acknowledges it as soon as the future returns.
//!
//! The futures are boxed by hand (no `async-trait`, see `port.rs`) so the trait stays
//! dyn-compatible and the service holds an `Arc<dyn RegistryStore>` without knowing the
//! adapter.

use serde_json::Value;

use super::StorageError;
use crate::model::{RegistryRecord, SchemaRecord, VersionRecord};

/// One page of a listing: the items and the name to continue after, if there is more.
pub type Page<T> = (Vec<T>, Option<String>);

pub use super::port::StoreFuture;

/// A version about to be registered.
#[derive(Debug, Clone)]
pub struct NewVersion {
    /// Its registry.
    pub registry: String,
    /// Its schema (created with the first version).
    pub schema: String,
    /// The record to store; its `version` and `id` are assigned by the store.
    pub record: VersionRecord,
    /// The schema's latest version when the compatibility check ran (`None`: no
    /// version). The store refuses with [`RegisterOutcome::Conflict`] when the schema's
    /// latest version is another one by the time it commits, so a check never approves
    /// a version against a history that has moved on.
    pub expected_latest: Option<u32>,
    /// Timestamp to use for a new schema record.
    pub now: String,
    /// Migration: the schema id to use (refused if it means other content).
    pub import_id: Option<u32>,
    /// Migration: the version number to use (refused if it exists).
    pub import_version: Option<u32>,
}

impl NewVersion {
    /// The schema's record once version `number` (the stored `record`) is registered:
    /// `existing` updated, or a new record for a first version. Both adapters write it.
    pub(crate) fn schema_after(
        &self,
        existing: Option<SchemaRecord>,
        record: &VersionRecord,
    ) -> SchemaRecord {
        let number = record.version;
        match existing {
            Some(mut s) => {
                s.latest_version = Some(s.latest_version.map_or(number, |l| l.max(number)));
                s.version_count = s.version_count.saturating_add(1);
                s.updated_at.clone_from(&record.created_at);
                s
            }
            None => SchemaRecord {
                registry: self.registry.clone(),
                name: self.schema.clone(),
                description: None,
                tags: Default::default(),
                latest_version: Some(number),
                version_count: 1,
                created_at: self.now.clone(),
                updated_at: self.now.clone(),
            },
        }
    }
}

/// What registering did.
#[derive(Debug)]
pub enum RegisterOutcome {
    /// A new version was stored.
    Created(VersionRecord),
    /// The content equals the latest version's; nothing was stored.
    Unchanged(VersionRecord),
    /// An imported id or version cannot be used; nothing was stored.
    Refused(IdRefusal),
    /// The schema's latest version is no longer `expected_latest`; nothing was stored.
    /// The caller checks compatibility again against the new history and retries.
    Conflict {
        /// The latest version found when committing.
        latest: Option<u32>,
    },
}

/// What a deletion did, or why it was refused.
#[derive(Debug)]
pub enum DeleteOutcome {
    /// Deleted.
    Deleted,
    /// Refused: these versions (as `registry/schema/version`) reference what would go.
    Referenced(Vec<String>),
}

/// Why an explicit (imported) id or version cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdRefusal {
    /// The content already has another id.
    ContentHasId(u32),
    /// The id is already given to other content.
    IdTaken(u32),
    /// The imported version number exists already in the schema.
    VersionExists(u32),
}

/// Storage of registries, schemas, versions (with their counters, referrers and global
/// ids), compatibility configurations and Confluent modes.
///
/// Contract every adapter keeps: version numbers of a schema are never handed out twice
/// (not even after deletion); a global id always means the same content; a registration
/// commits only if the schema's latest version is still the `expected_latest` it names;
/// a deletion refuses while a version outside what it deletes references what it
/// deletes.
///
/// Configurations are opaque JSON owned by the registry service.
pub trait RegistryStore: Send + Sync + std::fmt::Debug {
    /// Which adapter serves (`sled` or `postgres`), for logs and readiness.
    fn backend(&self) -> &'static str;

    /// Counts changes made by other instances that this one has applied (0 for an
    /// adapter that no other instance shares), so derived views know when to rebuild.
    fn changes(&self) -> u64 {
        0
    }

    // ---- reads ------------------------------------------------------------------------

    /// The registry, if it exists.
    ///
    /// # Errors
    /// Storage failures (as for every method).
    fn get_registry(&self, name: &str) -> Result<Option<RegistryRecord>, StorageError>;
    /// Registries in name order, starting with `prefix`, after the name `after`.
    ///
    /// # Errors
    /// Storage failures.
    fn list_registries(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<RegistryRecord>, StorageError>;
    /// The schema, if it exists.
    ///
    /// # Errors
    /// Storage failures.
    fn get_schema(&self, registry: &str, schema: &str) -> Result<Option<SchemaRecord>, StorageError>;
    /// Schemas of a registry in name order, starting with `prefix`, after `after`.
    ///
    /// # Errors
    /// Storage failures.
    fn list_schemas(
        &self,
        registry: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<SchemaRecord>, StorageError>;
    /// Every schema of a registry (or of all registries), in (registry, name) order.
    ///
    /// # Errors
    /// Storage failures.
    fn all_schemas(&self, registry: Option<&str>) -> Result<Vec<SchemaRecord>, StorageError>;
    /// Number of schemas in a registry.
    ///
    /// # Errors
    /// Storage failures.
    fn schema_count(&self, registry: &str) -> Result<usize, StorageError>;
    /// A version, if it is stored (soft-deleted ones too).
    ///
    /// # Errors
    /// Storage failures.
    fn get_version(
        &self,
        registry: &str,
        schema: &str,
        version: u32,
    ) -> Result<Option<VersionRecord>, StorageError>;
    /// Every stored version of a schema, oldest first.
    ///
    /// # Errors
    /// Storage failures.
    fn list_versions(&self, registry: &str, schema: &str) -> Result<Vec<VersionRecord>, StorageError>;
    /// `(registry, schema, version)` of every stored version holding a global id.
    ///
    /// # Errors
    /// Storage failures.
    fn versions_with_id(&self, id: u32) -> Result<Vec<(String, String, u32)>, StorageError>;
    /// The versions referencing a version, as `(registry, schema, version)`.
    ///
    /// # Errors
    /// Storage failures.
    fn referrers_of(
        &self,
        registry: &str,
        schema: &str,
        version: u32,
    ) -> Result<Vec<(String, String, u32)>, StorageError>;
    /// The compatibility configuration set on a registry (`schema = None`) or schema.
    ///
    /// # Errors
    /// Storage failures.
    fn get_config(&self, registry: &str, schema: Option<&str>) -> Result<Option<Value>, StorageError>;
    /// The Confluent mode set on a registry (`schema = None`) or schema.
    ///
    /// # Errors
    /// Storage failures.
    fn get_mode(&self, registry: &str, schema: Option<&str>) -> Result<Option<String>, StorageError>;

    // ---- writes (durable when the future resolves) ------------------------------------

    /// Inserts a registry unless one of that name exists; resolves to false when it does.
    fn create_registry(&self, record: RegistryRecord) -> StoreFuture<'_, bool>;
    /// Replaces a registry's record (metadata edits); nothing if it no longer exists (a
    /// deletion on another instance wins over an edit).
    fn put_registry(&self, record: RegistryRecord) -> StoreFuture<'_, ()>;
    /// Replaces a schema's record (metadata edits); nothing if it no longer exists.
    fn put_schema(&self, record: SchemaRecord) -> StoreFuture<'_, ()>;
    /// Registers a version atomically: checks `expected_latest`, assigns the next number
    /// and the content's global id, stores the version, updates (or creates) the schema
    /// record and indexes references. Content equal to the latest version's stores
    /// nothing.
    fn register_version(&self, new: NewVersion) -> StoreFuture<'_, RegisterOutcome>;
    /// Deletes one version; the schema's latest version and count follow.
    fn delete_version(
        &self,
        schema: SchemaRecord,
        record: VersionRecord,
        now: String,
    ) -> StoreFuture<'_, DeleteOutcome>;
    /// Soft-deletes versions: they stay readable but leave `latest`.
    fn soft_delete_versions(
        &self,
        schema: SchemaRecord,
        numbers: Vec<u32>,
        now: String,
    ) -> StoreFuture<'_, ()>;
    /// Deletes a schema, its versions and its compatibility configuration (its version
    /// counter stays).
    fn delete_schema(&self, registry: String, schema: String) -> StoreFuture<'_, DeleteOutcome>;
    /// Deletes a registry with its schemas, versions and compatibility configurations.
    fn delete_registry(&self, registry: String) -> StoreFuture<'_, DeleteOutcome>;
    /// Sets the compatibility configuration of a registry (`schema = None`) or schema.
    fn put_config(&self, registry: String, schema: Option<String>, config: Value) -> StoreFuture<'_, ()>;
    /// Removes the compatibility configuration of exactly one registry or schema.
    fn remove_config(&self, registry: String, schema: Option<String>) -> StoreFuture<'_, ()>;
    /// Sets (`Some`) or removes (`None`) a Confluent mode.
    fn put_mode(&self, registry: String, schema: Option<String>, mode: Option<String>)
    -> StoreFuture<'_, ()>;
    /// Gives a global id to every stored version without one (stored before ids
    /// existed); resolves to how many were given one. Runs at start-up.
    fn backfill_schema_ids(&self) -> StoreFuture<'_, usize>;
    /// Proves the store is reachable and writable (readiness).
    fn probe(&self) -> StoreFuture<'_, ()>;
}
