//! The registry service's operations.

use std::sync::{Arc, OnceLock};

use tokio::sync::RwLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::DISCOVERED_REGISTRY;
use super::content::{self, SchemaLimits};
use super::refs::{StoreRetriever, version_uri};
use super::requests::*;
use super::validators::ValidatorCache;
use crate::error::{ApiError, ApiResult, Code};
use crate::json::DocJson;
use crate::model::{
    RegistryName, RegistryRecord, SchemaName, SchemaRecord, Tags, VersionRecord, VersionSelector, now_rfc3339,
};
use crate::storage::{DeleteOutcome, NewVersion, RegisterOutcome, RegistryStore, StorageError, Store};
use jsonschema::json::Json;

/// Settings of the registry service.
#[derive(Debug, Clone, Copy)]
pub struct RegistryConfig {
    /// Limits on submitted schemas.
    pub limits: SchemaLimits,
    /// How many compiled validators to keep.
    pub validator_cache_capacity: usize,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self { limits: SchemaLimits::default(), validator_cache_capacity: 10_000 }
    }
}

/// A checked and compiled version waiting for its compatibility check and commit.
struct Candidate {
    /// The record to store (number, id and timestamp still to be given).
    record: VersionRecord,
    /// The draft it is read with.
    draft: &'static str,
}

/// Told of every registry change after it is durable (the bus publishes these as
/// `schemabus.registry` events): the detail-type and the detail.
pub type RegistryListener = Arc<dyn Fn(&'static str, Value) + Send + Sync>;

/// Who is writing a version: users may not write in service-owned registries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOrigin {
    /// A client of the API or CLI.
    User,
    /// The service itself (discovery).
    Service,
}

const MAX_DESCRIPTION: usize = 1024;
const MAX_TAGS: usize = 50;
const MAX_TAG_KEY: usize = 128;
const MAX_TAG_VALUE: usize = 256;
const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 1000;

/// Registries, schemas and versions. Cheap to clone; clones share state.
///
/// Concurrency: registrations of different schemas run concurrently; registrations of
/// one schema are serialised inside this instance (see `schema_locks.rs`), and across
/// instances the store refuses a registration whose compatibility check saw an older
/// history (`expected_latest`), which is then checked again. Deletions take the
/// structure lock exclusively, because a deletion must see every referrer (sled
/// transactions cannot scan). The structure lock is a tokio lock: its guards are held
/// across the store's asynchronous writes.
#[derive(Clone)]
pub struct RegistryService {
    store: Arc<dyn RegistryStore>,
    /// The embedded store, for what is not behind the registry port yet (resource
    /// policies of the AWS Schemas API).
    local: Store,
    /// The control plane (resource policies).
    control: crate::storage::Control,
    schema_locks: Arc<super::schema_locks::SchemaLocks>,
    validators: Arc<ValidatorCache>,
    /// The same versions compiled for the bus's events (their `detail` is a
    /// [`crate::json::Doc`]); compiled on the first event of a version.
    event_validators: Arc<ValidatorCache<DocJson>>,
    config: RegistryConfig,
    structure: Arc<RwLock<()>>,
    listener: Arc<OnceLock<RegistryListener>>,
    /// Counts changes, so derived views (registry knowledge) know when to rebuild.
    generation: Arc<std::sync::atomic::AtomicU64>,
    /// Registry knowledge by registry (`None`: all), with the generation it was built at.
    pub(super) knowledge: Arc<super::knowledge::KnowledgeCache>,
}

impl std::fmt::Debug for RegistryService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryService").field("store", &self.store).finish_non_exhaustive()
    }
}

/// How many times a registration is checked again after another instance changed the
/// schema's history under it, before answering `registration_contended`.
const MAX_REGISTRATION_ATTEMPTS: usize = 16;

fn task_failed(e: &tokio::task::JoinError) -> ApiError {
    tracing::error!(error = %e, "registration task failed");
    ApiError::new(Code::Internal, "The registration did not complete. Hint: retry; nothing was stored.")
}

impl RegistryService {
    /// The service over `store` (the registry aggregate), `local` (the embedded store,
    /// probed for readiness) and `control` (resource policies), creating the built-in
    /// registries on first start.
    ///
    /// # Errors
    /// Storage failures while creating the built-in registries.
    pub async fn new(
        store: Arc<dyn RegistryStore>,
        local: Store,
        control: crate::storage::Control,
        config: RegistryConfig,
    ) -> ApiResult<Self> {
        let service = Self {
            validators: Arc::new(ValidatorCache::new(config.validator_cache_capacity)),
            event_validators: Arc::new(ValidatorCache::new(config.validator_cache_capacity)),
            store,
            local,
            control,
            schema_locks: Arc::default(),
            config,
            structure: Arc::default(),
            listener: Arc::default(),
            generation: Arc::default(),
            knowledge: Arc::default(),
        };
        if service.store.get_registry(DISCOVERED_REGISTRY)?.is_none() {
            let now = now_rfc3339();
            service
                .store
                .create_registry(RegistryRecord {
                    name: DISCOVERED_REGISTRY.to_owned(),
                    description: Some("Schemas inferred from events by discovery.".to_owned()),
                    tags: Tags::new(),
                    builtin: true,
                    writable: false,
                    catalog_samples: false,
                    created_at: now.clone(),
                    updated_at: now,
                })
                .await?;
        }
        let given = service.store.backfill_schema_ids().await?;
        if given > 0 {
            tracing::info!(versions = given, "schema ids given to versions stored before ids existed");
        }
        Ok(service)
    }

    /// A number that grows with every change (registries, schemas, versions) in this
    /// process.
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire) + self.store.changes()
    }

    /// Sets the listener told of every change (once, at startup).
    pub fn set_listener(&self, listener: RegistryListener) {
        let _ = self.listener.set(listener);
    }

    fn changed(&self, detail_type: &'static str, detail: Value) {
        self.generation.fetch_add(1, std::sync::atomic::Ordering::Release);
        if let Some(listener) = self.listener.get() {
            listener(detail_type, detail);
        }
    }

    /// The registry store underneath.
    pub(super) fn store(&self) -> &Arc<dyn RegistryStore> {
        &self.store
    }

    /// The control plane (resource policies).
    pub(super) fn control(&self) -> &crate::storage::Control {
        &self.control
    }

    /// Proves both stores are reachable and writable (readiness).
    ///
    /// # Errors
    /// The failure of the first store that is not.
    pub async fn probe(&self) -> Result<(), StorageError> {
        self.store.probe().await?;
        self.local.probe().await
    }

    /// Which adapter serves the registry (`sled` or `postgres`).
    pub fn backend(&self) -> &'static str {
        self.store.backend()
    }

    /// Limits on submitted schemas.
    pub(super) fn limits(&self) -> SchemaLimits {
        self.config.limits
    }

    /// The compiled-validator cache (for metrics).
    pub fn validator_cache(&self) -> &ValidatorCache {
        &self.validators
    }

    /// Drops the compiled validators (both representations) not used for `idle`: versions
    /// superseded by newer ones are not validated against again, and would otherwise stay
    /// until the capacity is reached. Returns how many were dropped.
    pub fn evict_idle_validators(&self, idle: std::time::Duration) -> usize {
        self.validators.evict_idle(idle) + self.event_validators.evict_idle(idle)
    }

    // ---- registries -------------------------------------------------------------------

    /// Creates a registry.
    ///
    /// # Errors
    /// `invalid_name`, `invalid_request` for oversized metadata, `registry_exists`.
    pub async fn create_registry(&self, request: CreateRegistryRequest) -> ApiResult<RegistryRecord> {
        let name = RegistryName::parse(&request.name)?;
        let description = check_description(request.description)?;
        let tags = check_tags(request.tags.unwrap_or_default())?;
        let now = now_rfc3339();
        let record = RegistryRecord {
            name: name.to_string(),
            description,
            tags,
            builtin: false,
            writable: true,
            catalog_samples: false,
            created_at: now.clone(),
            updated_at: now,
        };
        if !self.store.create_registry(record.clone()).await? {
            return Err(ApiError::new(
                Code::RegistryExists,
                format!(
                    "Registry '{name}' already exists. Hint: choose another name, or PATCH the existing one."
                ),
            ));
        }
        Ok(record)
    }

    /// One registry.
    ///
    /// # Errors
    /// `registry_not_found`.
    pub fn get_registry(&self, name: &RegistryName) -> ApiResult<RegistryRecord> {
        self.store.get_registry(name.as_str())?.ok_or_else(|| registry_not_found(name))
    }

    /// A page of registries.
    ///
    /// # Errors
    /// `invalid_parameter` for a bad limit, `invalid_cursor`.
    pub fn list_registries(&self, query: &ListQuery) -> ApiResult<RegistryPage> {
        let (limit, after) = paging(query)?;
        let (items, next) =
            self.store.list_registries(query.prefix.as_deref().unwrap_or(""), after.as_deref(), limit)?;
        Ok(RegistryPage { items, next_cursor: next.map(|n| URL_SAFE_NO_PAD.encode(n)) })
    }

    /// Changes a registry's description or tags.
    ///
    /// # Errors
    /// `registry_not_found`, `invalid_request` for oversized metadata.
    pub async fn update_registry(
        &self,
        name: &RegistryName,
        request: UpdateMetadataRequest,
    ) -> ApiResult<RegistryRecord> {
        self.update_registry_with(name, request, None).await
    }

    /// [`Self::update_registry`], also setting `catalogSamples` when given.
    ///
    /// # Errors
    /// As [`Self::update_registry`].
    pub async fn update_registry_with(
        &self,
        name: &RegistryName,
        request: UpdateMetadataRequest,
        catalog_samples: Option<bool>,
    ) -> ApiResult<RegistryRecord> {
        let _guard = self.structure.write().await;
        let mut record = self.get_registry(name)?;
        apply_metadata(&mut record.description, &mut record.tags, request)?;
        if let Some(samples) = catalog_samples {
            record.catalog_samples = samples;
        }
        record.updated_at = now_rfc3339();
        self.store.put_registry(record.clone()).await?;
        Ok(record)
    }

    /// Deletes a registry; with `force`, together with every schema in it.
    ///
    /// # Errors
    /// `registry_not_found`, `registry_builtin`, `registry_not_empty` (without force),
    /// `schema_referenced` when a version outside the registry references one inside.
    pub async fn delete_registry(&self, name: &RegistryName, force: bool) -> ApiResult<()> {
        {
            let _guard = self.structure.write().await;
            let record = self.get_registry(name)?;
            if record.builtin {
                return Err(ApiError::new(
                    Code::RegistryBuiltin,
                    format!(
                        "Registry '{name}' is built in and cannot be deleted. Hint: delete the schemas in it instead."
                    ),
                ));
            }
            let count = self.store.schema_count(name.as_str())?;
            if count > 0 && !force {
                return Err(ApiError::new(
                    Code::RegistryNotEmpty,
                    format!("Registry '{name}' still holds {count} schema(s). Hint: delete them first, or pass ?force=true to delete them with it."),
                )
                .with_details(json!({ "schemaCount": count })));
            }
            referenced(self.store.delete_registry(name.to_string()).await?, &format!("registry '{name}'"))?;
            self.evict(name.as_str(), None, None);
        }
        Ok(())
    }

    // ---- schemas ----------------------------------------------------------------------

    /// A page of a registry's schemas.
    ///
    /// # Errors
    /// `registry_not_found`, `invalid_parameter`, `invalid_cursor`.
    pub fn list_schemas(&self, registry: &RegistryName, query: &ListQuery) -> ApiResult<SchemaPage> {
        self.get_registry(registry)?;
        let (limit, after) = paging(query)?;
        let (items, next) = self.store.list_schemas(
            registry.as_str(),
            query.prefix.as_deref().unwrap_or(""),
            after.as_deref(),
            limit,
        )?;
        Ok(SchemaPage { items, next_cursor: next.map(|n| URL_SAFE_NO_PAD.encode(n)) })
    }

    /// One schema.
    ///
    /// # Errors
    /// `registry_not_found`, `schema_not_found`.
    pub fn get_schema(&self, registry: &RegistryName, schema: &SchemaName) -> ApiResult<SchemaRecord> {
        self.get_registry(registry)?;
        self.store
            .get_schema(registry.as_str(), schema.as_str())?
            .ok_or_else(|| schema_not_found(registry, schema))
    }

    /// Changes a schema's description or tags.
    ///
    /// # Errors
    /// `registry_not_found`, `schema_not_found`, `invalid_request`.
    pub async fn update_schema(
        &self,
        registry: &RegistryName,
        schema: &SchemaName,
        request: UpdateMetadataRequest,
    ) -> ApiResult<SchemaRecord> {
        // Exclusive, so a concurrent registration cannot overwrite the edit with the
        // schema record it read before.
        let _guard = self.structure.write().await;
        let mut record = self.get_schema(registry, schema)?;
        apply_metadata(&mut record.description, &mut record.tags, request)?;
        record.updated_at = now_rfc3339();
        self.store.put_schema(record.clone()).await?;
        Ok(record)
    }

    /// Deletes a schema with all its versions. Its version numbers are never reused.
    ///
    /// # Errors
    /// `registry_not_found`, `schema_not_found`, `schema_referenced`.
    pub async fn delete_schema(&self, registry: &RegistryName, schema: &SchemaName) -> ApiResult<()> {
        {
            let _guard = self.structure.write().await;
            self.get_schema(registry, schema)?;
            referenced(
                self.store.delete_schema(registry.to_string(), schema.to_string()).await?,
                &format!("schema '{schema}'"),
            )?;
            self.evict(registry.as_str(), Some(schema.as_str()), None);
        }
        self.changed("Schema Deleted", json!({"registry": registry.as_str(), "schema": schema.as_str()}));
        Ok(())
    }

    // ---- versions ---------------------------------------------------------------------

    /// Registers a version. Returns whether a new version was created (false when the
    /// content equals the latest version's) and the version now holding the content.
    ///
    /// # Errors
    /// `registry_not_found`, `registry_read_only`, `invalid_schema`, `unsafe_pattern`,
    /// `unresolvable_ref`.
    pub async fn register_version(
        &self,
        registry: &RegistryName,
        schema: &SchemaName,
        request: RegisterVersionRequest,
        origin: WriteOrigin,
    ) -> ApiResult<(bool, VersionCreated)> {
        self.register_version_with(registry, schema, request, origin, RegisterOptions::default()).await
    }

    /// [`Self::register_version`] with the options of the Confluent-compatible API.
    ///
    /// # Errors
    /// As [`Self::register_version`]; `import_conflict` when an imported id or version
    /// cannot be used.
    pub async fn register_version_with(
        &self,
        registry: &RegistryName,
        schema: &SchemaName,
        request: RegisterVersionRequest,
        origin: WriteOrigin,
        options: RegisterOptions,
    ) -> ApiResult<(bool, VersionCreated)> {
        // One registration of a schema at a time in this instance, so contention here
        // queues instead of spinning through `Conflict`s; then shared with other schemas'
        // registrations, but not with a deletion, so every reference resolved below still
        // exists when the version commits.
        let _one = self.schema_locks.lock(registry.as_str(), schema.as_str()).await;
        let _guard = self.structure.read().await;
        let record = self.get_registry(registry)?;
        if !record.writable && origin == WriteOrigin::User {
            return Err(ApiError::new(
                Code::RegistryReadOnly,
                format!(
                    "Registry '{registry}' is written by schemabus itself. Hint: register the schema in a registry of your own."
                ),
            ));
        }
        let existed = self.store.get_schema(registry.as_str(), schema.as_str())?.is_some();
        let options = Arc::new(options);
        let mut candidate = {
            let (this, registry, schema, options) =
                (self.clone(), registry.clone(), schema.clone(), options.clone());
            tokio::task::spawn_blocking(move || this.prepare_candidate(&registry, &schema, request, &options))
                .await
                .map_err(|e| task_failed(&e))??
        };
        let mut attempts = 0;
        let outcome = loop {
            attempts += 1;
            // Compatibility is checked against the history as it is now, on the blocking
            // pool (CPU-heavy for large schemas); the store commits only if the history
            // is still the one checked against.
            let expected_latest = {
                let (this, registry, schema, options) =
                    (self.clone(), registry.clone(), schema.clone(), options.clone());
                let checked;
                (candidate, checked) = tokio::task::spawn_blocking(move || {
                    let checked = this.check_candidate_history(&registry, &schema, &candidate, &options);
                    (candidate, checked)
                })
                .await
                .map_err(|e| task_failed(&e))?;
                checked?
            };
            let now = now_rfc3339();
            let mut version = candidate.record.clone();
            version.created_at.clone_from(&now);
            match self
                .store
                .register_version(NewVersion {
                    registry: registry.to_string(),
                    schema: schema.to_string(),
                    record: version,
                    expected_latest,
                    now,
                    import_id: options.import_id,
                    import_version: options.import_version,
                })
                .await?
            {
                RegisterOutcome::Conflict { latest } if attempts < MAX_REGISTRATION_ATTEMPTS => {
                    tracing::debug!(registry = %registry, schema = %schema, ?expected_latest, ?latest, "history moved during registration; checking again");
                }
                RegisterOutcome::Conflict { latest } => {
                    return Err(ApiError::new(
                        Code::RegistrationContended,
                        format!(
                            "Schema '{schema}' changed {attempts} times while this version was being checked (latest is now {}). Hint: retry; nothing was stored.",
                            latest.map_or_else(|| "none".to_owned(), |l| l.to_string())
                        ),
                    )
                    .with_details(json!({ "attempts": attempts })));
                }
                other => break other,
            }
        };
        let (created, record) = match outcome {
            RegisterOutcome::Created(r) => (true, r),
            RegisterOutcome::Unchanged(r) => (false, r),
            RegisterOutcome::Refused(refusal) => return Err(import_refused(&refusal)),
            RegisterOutcome::Vanished { registry: true } => {
                return Err(ApiError::new(
                    Code::RegistryNotFound,
                    format!(
                        "Registry '{registry}' was deleted while this version was being registered; nothing was stored."
                    ),
                ));
            }
            RegisterOutcome::Vanished { registry: false } => {
                return Err(ApiError::new(
                    Code::UnresolvableRef,
                    "A schema version this one references was deleted while it was being registered; nothing was stored. Hint: register the referenced version again, or reference another.",
                ));
            }
            RegisterOutcome::Conflict { .. } => {
                return Err(ApiError::new(
                    Code::Internal,
                    "The registration did not complete. Hint: retry; nothing was stored.",
                ));
            }
        };
        if created {
            let detail = json!({"registry": registry.as_str(), "schema": schema.as_str(), "version": record.version, "fingerprint": record.fingerprint});
            if !existed {
                self.changed("Schema Created", detail.clone());
            }
            self.changed("Schema Version Created", detail);
        }
        Ok((
            created,
            VersionCreated {
                registry: registry.to_string(),
                schema: schema.to_string(),
                version: record.version,
                fingerprint: record.fingerprint,
                created_at: record.created_at,
                id: record.id,
            },
        ))
    }

    /// Checks and compiles the submitted content (CPU-heavy: call on the blocking pool).
    fn prepare_candidate(
        &self,
        registry: &RegistryName,
        schema: &SchemaName,
        request: RegisterVersionRequest,
        options: &RegisterOptions,
    ) -> ApiResult<Candidate> {
        let description = check_description(request.description)?;
        let (content, source) = match request.format {
            ContentFormat::JsonSchema => (request.content, None),
            ContentFormat::OpenApi3 => openapi_content(request.content)?,
        };
        let (checked, references) = self.compile_candidate_with(
            registry,
            schema,
            content,
            options.draft_07_by_default,
            &options.ref_names,
        )?;
        let draft = checked.draft_name;
        Ok(Candidate {
            record: VersionRecord {
                version: 0,
                content: checked.value,
                fingerprint: checked.fingerprint,
                draft: draft.to_owned(),
                created_at: String::new(),
                description,
                references,
                id: None,
                deleted: false,
                ref_names: options.ref_names.clone(),
                source,
            },
            draft,
        })
    }

    /// Checks a prepared candidate against the schema's current history; returns the
    /// latest version it was checked against (CPU-heavy: call on the blocking pool).
    fn check_candidate_history(
        &self,
        registry: &RegistryName,
        schema: &SchemaName,
        candidate: &Candidate,
        options: &RegisterOptions,
    ) -> ApiResult<Option<u32>> {
        let record = &candidate.record;
        let latest =
            self.store.get_schema(registry.as_str(), schema.as_str())?.and_then(|s| s.latest_version);
        if options.skip_compatibility {
            // Migration (IMPORT mode): the versions were accepted by the source registry.
        } else if let Some(latest) = latest
            && self.store.get_version(registry.as_str(), schema.as_str(), latest)?.is_some_and(|v| {
                v.fingerprint == record.fingerprint
                    && v.draft == record.draft
                    && v.ref_names == record.ref_names
            })
        {
            // Unchanged content needs no compatibility check; the store answers with the
            // latest version.
        } else {
            self.enforce_compatibility(
                registry,
                schema,
                &record.content,
                candidate.draft,
                &record.references,
                &options.ref_names,
            )?;
        }
        Ok(latest)
    }

    /// Versions of a schema, oldest first, without content.
    ///
    /// # Errors
    /// `registry_not_found`, `schema_not_found`.
    pub fn list_versions(&self, registry: &RegistryName, schema: &SchemaName) -> ApiResult<VersionList> {
        self.get_schema(registry, schema)?;
        let items = self
            .store
            .list_versions(registry.as_str(), schema.as_str())?
            .into_iter()
            .map(|v| VersionSummary {
                version: v.version,
                fingerprint: v.fingerprint,
                created_at: v.created_at,
                description: v.description,
                id: v.id,
                deleted: v.deleted,
            })
            .collect();
        Ok(VersionList { items })
    }

    /// One version with its content.
    ///
    /// # Errors
    /// `registry_not_found`, `schema_not_found`, `version_not_found`.
    pub fn get_version(
        &self,
        registry: &RegistryName,
        schema: &SchemaName,
        selector: VersionSelector,
    ) -> ApiResult<VersionRecord> {
        let number = self.resolve_selector(registry, schema, selector)?;
        self.store
            .get_version(registry.as_str(), schema.as_str(), number)?
            .ok_or_else(|| version_not_found(registry, schema, selector))
    }

    fn resolve_selector(
        &self,
        registry: &RegistryName,
        schema: &SchemaName,
        selector: VersionSelector,
    ) -> ApiResult<u32> {
        match selector {
            VersionSelector::Number(n) => {
                self.get_schema(registry, schema)?;
                Ok(n)
            }
            VersionSelector::Latest => self
                .get_schema(registry, schema)?
                .latest_version
                .ok_or_else(|| version_not_found(registry, schema, selector)),
        }
    }

    /// Deletes one version. Its number is never reused.
    ///
    /// # Errors
    /// `registry_not_found`, `schema_not_found`, `version_not_found`, `schema_referenced`.
    pub async fn delete_version(
        &self,
        registry: &RegistryName,
        schema: &SchemaName,
        selector: VersionSelector,
    ) -> ApiResult<()> {
        let number = {
            let _guard = self.structure.write().await;
            let schema_record = self.get_schema(registry, schema)?;
            let record = self.get_version(registry, schema, selector)?;
            let number = record.version;
            referenced(
                self.store.delete_version(schema_record, record, now_rfc3339()).await?,
                &format!("version {number} of '{schema}'"),
            )?;
            self.evict(registry.as_str(), Some(schema.as_str()), Some(number));
            number
        };
        self.changed(
            "Schema Version Deleted",
            json!({"registry": registry.as_str(), "schema": schema.as_str(), "version": number}),
        );
        Ok(())
    }

    /// Soft-deletes versions (Confluent semantics, see `VersionRecord.deleted`).
    ///
    /// # Errors
    /// `registry_not_found`, `schema_not_found`, `schema_referenced` when another
    /// version references one of them.
    pub async fn soft_delete_versions(
        &self,
        registry: &RegistryName,
        schema: &SchemaName,
        numbers: &[u32],
    ) -> ApiResult<()> {
        {
            let _guard = self.structure.write().await;
            let schema_record = self.get_schema(registry, schema)?;
            let mut by = Vec::new();
            for n in numbers {
                for (r, s, v) in self.store.referrers_of(registry.as_str(), schema.as_str(), *n)? {
                    by.push(format!("{r}/{s}/{v}"));
                }
            }
            referenced(
                if by.is_empty() { DeleteOutcome::Deleted } else { DeleteOutcome::Referenced(by) },
                &format!("versions {numbers:?} of '{schema}'"),
            )?;
            self.store.soft_delete_versions(schema_record, numbers.to_vec(), now_rfc3339()).await?;
        }
        for n in numbers {
            self.changed(
                "Schema Version Deleted",
                json!({"registry": registry.as_str(), "schema": schema.as_str(), "version": n, "soft": true}),
            );
        }
        Ok(())
    }

    /// Every stored version holding a global schema id, as `(registry, schema, version)`.
    ///
    /// # Errors
    /// Storage failures.
    pub fn versions_with_id(&self, id: u32) -> ApiResult<Vec<(String, String, u32)>> {
        Ok(self.store.versions_with_id(id)?)
    }

    /// The versions referencing a version, as `(registry, schema, version)`.
    ///
    /// # Errors
    /// Storage failures.
    pub fn referrers_of(
        &self,
        registry: &RegistryName,
        schema: &SchemaName,
        version: u32,
    ) -> ApiResult<Vec<(String, String, u32)>> {
        Ok(self.store.referrers_of(registry.as_str(), schema.as_str(), version)?)
    }

    /// Every stored version of a schema (soft-deleted ones too), oldest first, with content.
    ///
    /// # Errors
    /// `registry_not_found`, `schema_not_found`.
    pub fn versions_of(&self, registry: &RegistryName, schema: &SchemaName) -> ApiResult<Vec<VersionRecord>> {
        self.get_schema(registry, schema)?;
        Ok(self.store.list_versions(registry.as_str(), schema.as_str())?)
    }

    /// The Confluent mode set on a registry or schema, if any.
    ///
    /// # Errors
    /// Storage failures.
    pub fn mode(&self, registry: &RegistryName, schema: Option<&SchemaName>) -> ApiResult<Option<String>> {
        Ok(self.store.get_mode(registry.as_str(), schema.map(SchemaName::as_str))?)
    }

    /// Sets or clears the Confluent mode of a registry or schema (durable on return).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn set_mode(
        &self,
        registry: &RegistryName,
        schema: Option<&SchemaName>,
        mode: Option<&str>,
    ) -> ApiResult<()> {
        self.store
            .put_mode(registry.to_string(), schema.map(SchemaName::to_string), mode.map(str::to_owned))
            .await?;
        Ok(())
    }

    /// The compiled validator of a version (cached).
    ///
    /// # Errors
    /// As [`Self::get_version`]; `internal` if a stored version no longer compiles.
    pub fn validator(
        &self,
        registry: &RegistryName,
        schema: &SchemaName,
        selector: VersionSelector,
    ) -> ApiResult<(u32, Arc<jsonschema::Validator>)> {
        self.compiled(&self.validators, registry, schema, selector)
    }

    /// [`Self::validator`] for the bus's events, whose `detail` is read as a
    /// [`crate::json::Doc`] (same findings as the `Value` validator; see `src/json`).
    ///
    /// # Errors
    /// As [`Self::validator`].
    pub fn event_validator(
        &self,
        registry: &RegistryName,
        schema: &SchemaName,
        selector: VersionSelector,
    ) -> ApiResult<(u32, Arc<jsonschema::Validator<DocJson>>)> {
        self.compiled(&self.event_validators, registry, schema, selector)
    }

    fn evict(&self, registry: &str, schema: Option<&str>, version: Option<u32>) {
        self.validators.evict(registry, schema, version);
        self.event_validators.evict(registry, schema, version);
    }

    fn compiled<F: Json>(
        &self,
        cache: &ValidatorCache<F>,
        registry: &RegistryName,
        schema: &SchemaName,
        selector: VersionSelector,
    ) -> ApiResult<(u32, Arc<jsonschema::Validator<F>>)> {
        let number = self.resolve_selector(registry, schema, selector)?;
        let id = (registry.to_string(), schema.to_string(), number);
        if let Some(v) = cache.get(&id) {
            return Ok((number, v));
        }
        let record = self.get_version(registry, schema, VersionSelector::Number(number))?;
        let draft = draft_of(&record.draft);
        let validator = content::compile::<F>(
            &record.content,
            draft,
            &version_uri(registry.as_str(), schema.as_str(), number),
            StoreRetriever::with_names(
                self.store.clone(),
                &version_uri(registry.as_str(), schema.as_str(), number),
                &record.ref_names,
            ),
        )
        .map_err(|e| {
            tracing::error!(error = %e, registry = %registry, schema = %schema, version = number, "stored version does not compile");
            ApiError::new(Code::Internal, "A stored schema version no longer compiles. Hint: the service log has the cause.")
        })?;
        let validator = Arc::new(validator);
        cache.insert(id, validator.clone());
        Ok((number, validator))
    }

    /// Validates a document against a version, listing at most `max_errors` errors.
    ///
    /// # Errors
    /// As [`Self::validator`].
    pub fn validate(
        &self,
        registry: &RegistryName,
        schema: &SchemaName,
        selector: VersionSelector,
        document: &Value,
        max_errors: usize,
    ) -> ApiResult<ValidationReport> {
        let (version, validator) = self.validator(registry, schema, selector)?;
        let (errors, truncated) = collect_errors(&validator, document, max_errors);
        Ok(ValidationReport { valid: errors.is_empty(), version, errors, truncated })
    }

    /// Finds schemas by words.
    ///
    /// # Errors
    /// `invalid_parameter` for an empty query or bad limit, `registry_not_found`.
    pub fn search(&self, query: &SearchQuery) -> ApiResult<SearchResults> {
        let registry = query.registry.as_deref().map(RegistryName::parse).transpose()?;
        if let Some(r) = &registry {
            self.get_registry(r)?;
        }
        let limit = page_limit(query.limit)?;
        let items = super::search::search(
            self.store.as_ref(),
            &query.q,
            registry.as_ref().map(RegistryName::as_str),
            limit,
        )?;
        Ok(SearchResults { items })
    }
}

/// The JSON Schema an OpenAPI 3.0 event schema derives (`super::openapi`) and the
/// document itself, kept as the version's `source`.
fn openapi_content(raw: Value) -> ApiResult<(Value, Option<Value>)> {
    let doc = match raw {
        Value::String(text) => serde_json::from_str::<Value>(&text).map_err(|e| {
            ApiError::new(
                Code::InvalidSchema,
                format!("The schema is not valid: `content` is a string but not JSON: {e}. Hint: send the OpenAPI document as JSON."),
            )
            .with_details(json!({ "pointer": "" }))
        })?,
        other => other,
    };
    let derived = super::openapi::to_json_schema(&doc).map_err(|e| {
        ApiError::new(
            Code::InvalidSchema,
            format!(
                "The OpenAPI event schema is not valid at '{}': {}. Hint: use EventBridge's layout (components.schemas.AWSEvent with detail as a $ref to the detail schema).",
                e.pointer, e.reason
            ),
        )
        .with_details(json!({ "pointer": e.pointer }))
    })?;
    Ok((derived, Some(doc)))
}

/// Errors of a document against a validator, sorted by instance path, at most `max`.
pub fn collect_errors<'d, F: Json>(
    validator: &'d jsonschema::Validator<F>,
    document: F::Node<'d>,
    max: usize,
) -> (Vec<ValidationIssue>, bool) {
    let mut errors: Vec<ValidationIssue> = validator
        .iter_errors(document)
        .take(max.saturating_add(1))
        .map(|e| ValidationIssue {
            instance_path: e.instance_path().as_str().to_owned(),
            schema_path: e.evaluation_path().as_str().to_owned(),
            message: e.to_string(),
        })
        .collect();
    let truncated = errors.len() > max;
    errors.truncate(max);
    errors.sort_by(|a, b| {
        a.instance_path.cmp(&b.instance_path).then_with(|| a.schema_path.cmp(&b.schema_path))
    });
    (errors, truncated)
}

fn draft_of(name: &str) -> jsonschema::Draft {
    match name {
        "draft-04" => jsonschema::Draft::Draft4,
        "draft-06" => jsonschema::Draft::Draft6,
        "draft-07" => jsonschema::Draft::Draft7,
        "2019-09" => jsonschema::Draft::Draft201909,
        _ => jsonschema::Draft::Draft202012,
    }
}

fn referenced(outcome: DeleteOutcome, what: &str) -> ApiResult<()> {
    match outcome {
        DeleteOutcome::Deleted => Ok(()),
        DeleteOutcome::Referenced(by) => Err(ApiError::new(
            Code::SchemaReferenced,
            format!(
                "Cannot delete {what}: {} other version(s) reference it through $ref ({}). Hint: delete those versions first.",
                by.len(),
                by.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
            ),
        )
        .with_details(json!({ "referencedBy": by }))),
    }
}

fn import_refused(refusal: &crate::storage::IdRefusal) -> ApiError {
    use crate::storage::IdRefusal;
    let message = match refusal {
        IdRefusal::ContentHasId(id) => format!(
            "This schema content already has id {id}. Hint: import it with id {id}, or leave the id out."
        ),
        IdRefusal::IdTaken(id) => format!(
            "Id {id} is already used by another schema content. Hint: import that content under it, or choose a free id."
        ),
        IdRefusal::VersionExists(v) => format!(
            "Version {v} exists already in this subject. Hint: import it under another version number, or delete it first."
        ),
    };
    ApiError::new(Code::ImportConflict, message)
}

fn page_limit(limit: Option<usize>) -> ApiResult<usize> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::new(
            Code::InvalidParameter,
            format!("limit {n} is out of range. Hint: use 1 to {MAX_PAGE}."),
        )
        .with_details(json!({ "parameter": "limit" }))),
    }
}

fn paging(query: &ListQuery) -> ApiResult<(usize, Option<String>)> {
    let limit = page_limit(query.limit)?;
    let after = query
        .cursor
        .as_deref()
        .map(|c| {
            URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    ApiError::new(Code::InvalidCursor, "The cursor is not one this service returned. Hint: pass the nextCursor of the previous page unchanged.")
                })
        })
        .transpose()?;
    Ok((limit, after))
}

/// A registry's or schema's description (empty: none).
///
/// # Errors
/// `invalid_request` at `/description`.
pub fn check_description(description: Option<String>) -> ApiResult<Option<String>> {
    match description {
        Some(d) if d.chars().count() > MAX_DESCRIPTION => Err(ApiError::new(
            Code::InvalidRequest,
            format!("The description is longer than {MAX_DESCRIPTION} characters. Hint: shorten it."),
        )
        .with_details(json!({ "pointer": "/description" }))),
        Some(d) if d.is_empty() => Ok(None),
        other => Ok(other),
    }
}

/// A registry's tags: count and sizes.
///
/// # Errors
/// `invalid_request` at `/tags`.
pub fn check_tags(tags: Tags) -> ApiResult<Tags> {
    let bad =
        |msg: String| ApiError::new(Code::InvalidRequest, msg).with_details(json!({ "pointer": "/tags" }));
    if tags.len() > MAX_TAGS {
        return Err(bad(format!(
            "{} tags given; at most {MAX_TAGS} are allowed. Hint: remove some.",
            tags.len()
        )));
    }
    for (k, v) in &tags {
        if k.is_empty() || k.chars().count() > MAX_TAG_KEY || v.chars().count() > MAX_TAG_VALUE {
            return Err(bad(format!(
                "Tag '{k}' is out of bounds. Hint: keys are 1 to {MAX_TAG_KEY} characters, values at most {MAX_TAG_VALUE}."
            )));
        }
    }
    Ok(tags)
}

fn apply_metadata(
    description: &mut Option<String>,
    tags: &mut Tags,
    request: UpdateMetadataRequest,
) -> ApiResult<()> {
    if let Some(d) = request.description {
        *description = check_description(Some(d))?;
    }
    if let Some(t) = request.tags {
        *tags = check_tags(t)?;
    }
    Ok(())
}

fn registry_not_found(name: &RegistryName) -> ApiError {
    ApiError::new(
        Code::RegistryNotFound,
        format!(
            "Registry '{name}' does not exist. Hint: list registries with GET /v1/registries, or create it with POST /v1/registries."
        ),
    )
}

fn schema_not_found(registry: &RegistryName, schema: &SchemaName) -> ApiError {
    ApiError::new(
        Code::SchemaNotFound,
        format!(
            "Schema '{schema}' does not exist in registry '{registry}'. Hint: list schemas with GET /v1/registries/{registry}/schemas."
        ),
    )
}

fn version_not_found(registry: &RegistryName, schema: &SchemaName, selector: VersionSelector) -> ApiError {
    let what = match selector {
        VersionSelector::Latest => "has no versions left".to_owned(),
        VersionSelector::Number(n) => format!("has no version {n}"),
    };
    ApiError::new(
        Code::VersionNotFound,
        format!(
            "Schema '{schema}' in registry '{registry}' {what}. Hint: list versions with GET /v1/registries/{registry}/schemas/{schema}/versions."
        ),
    )
}
