//! The PostgreSQL adapter of [`RegistryStore`] (cluster mode, docs/CLUSTER.md).
//!
//! Writes are PostgreSQL transactions (`writes.rs`); the database is the only source of
//! truth and decides every race between instances. Reads are answered from this
//! instance's replica of the tables (`replica.rs`), which is refreshed after each of
//! its own commits and whenever another instance notifies a change (`listener.rs`).
//! Migrations are embedded in the binary and run under PostgreSQL's advisory lock, so
//! instances starting together migrate once.
//!
//! Beside it, on the same database and pool: keys and the audit trail ([`PgAccess`],
//! `access.rs`), the control plane ([`PgControl`], `control.rs`, kept current the same
//! way) and leases ([`PgLeases`], `leases.rs`).

mod access;
mod control;
mod leases;
mod listener;
mod load;
mod replica;
pub mod transfer;
mod writes;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::Duration;

use serde_json::Value;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

pub use self::access::PgAccess;
pub use self::control::PgControl;
pub use self::leases::PgLeases;
use self::replica::{Replica, Scope};
use self::writes::Doomed;
use super::StorageError;
use super::registry_store::{DeleteOutcome, NewVersion, Page, RegisterOutcome, RegistryStore, StoreFuture};
use crate::model::{RegistryRecord, SchemaRecord, VersionRecord};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("src/storage/postgres/migrations");

/// Begins a read-only transaction on one snapshot of the tables (so a reload or an export
/// never mixes two states).
pub(crate) const SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/// How long start-up waits for the database before it gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The registry on PostgreSQL. Cheap to clone; clones share the pool and the replica.
#[derive(Clone)]
pub struct PgRegistry {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    replica: RwLock<Replica>,
    /// Serialises reloads, so a reload that starts later (and so reads a later state of
    /// the tables) is never overwritten by an earlier one that finishes after it.
    reloads: tokio::sync::Mutex<()>,
    /// Names this process in notifications and in the `instances` table.
    instance: String,
    /// Counts changes applied to the replica from any instance.
    changes: AtomicU64,
    /// Numbers this instance's writes (in their notifications).
    writes: AtomicU64,
    /// Own writes whose scope was reloaded once already (see `reload_own`).
    own_reloads: std::sync::Mutex<std::collections::HashSet<u64>>,
}

impl std::fmt::Debug for PgRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgRegistry").field("instance", &self.inner.instance).finish_non_exhaustive()
    }
}

/// Opens a pool on `url` (`sslmode` and the other libpq parameters apply).
///
/// # Errors
/// The URL does not parse, or the database is not reachable within 10 s.
pub async fn connect(url: &str, pool_size: u32) -> Result<PgPool, StorageError> {
    let options: PgConnectOptions = url.parse()?;
    let options = options.application_name("schemabus");
    // The three listening connections (registry, keys, control plane) are held for good:
    // on top of the connections the requests share.
    Ok(PgPoolOptions::new()
        .max_connections(pool_size.max(2) + 3)
        .acquire_timeout(CONNECT_TIMEOUT)
        .connect_with(options)
        .await?)
}

/// Runs the embedded migrations that have not run yet (under an advisory lock).
///
/// # Errors
/// A migration fails, or the database already holds a migration this binary lacks.
pub async fn migrate(pool: &PgPool) -> Result<(), StorageError> {
    MIGRATOR.run(pool).await.map_err(|e| StorageError::Transfer(format!("migration failed: {e}")))
}

impl PgRegistry {
    /// Migrates the database, loads the replica and starts listening for changes made
    /// by other instances.
    ///
    /// # Errors
    /// The database is unreachable, a migration fails, or a stored record does not
    /// decode.
    pub async fn open(pool: PgPool) -> Result<Self, StorageError> {
        migrate(&pool).await?;
        let instance = uuid::Uuid::new_v4().simple().to_string();
        let registry = Self {
            inner: Arc::new(Inner {
                pool,
                replica: RwLock::default(),
                reloads: tokio::sync::Mutex::default(),
                instance,
                changes: AtomicU64::new(0),
                writes: AtomicU64::new(0),
                own_reloads: std::sync::Mutex::default(),
            }),
        };
        // Listen first, then load: a change committed in between is then both loaded
        // and notified, never neither.
        let listener = listener::subscribe(&registry.inner.pool, writes::CHANNEL).await?;
        registry.reload(&Scope::All).await?;
        tokio::spawn(listener::run(listener, registry.clone()));
        tokio::spawn(report_pool(registry.inner.pool.clone()));
        Ok(registry)
    }

    /// Names this instance in the cluster (notifications, the `instances` table).
    pub fn instance(&self) -> &str {
        &self.inner.instance
    }

    /// The pool (metrics, readiness).
    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    /// Reads `scope` from the database into the replica.
    async fn reload(&self, scope: &Scope) -> Result<(), StorageError> {
        let _serial = self.inner.reloads.lock().await;
        self.load_into_replica(scope).await
    }

    /// Reloads `scope` for this instance's own write number `write`, unless that was done
    /// already: both the writer (after its commit) and the listener (on the write's
    /// notification) call this, and whichever comes second skips. Either may fail or
    /// never come (a dropped request, a lost notification), and then the other loads.
    async fn reload_own(&self, scope: &Scope, write: u64) -> Result<(), StorageError> {
        let _serial = self.inner.reloads.lock().await;
        if self.own_reloads().remove(&write) {
            return Ok(());
        }
        self.load_into_replica(scope).await?;
        let mut done = self.own_reloads();
        // Entries whose second call never comes (a notification lost with its
        // connection, which reloads everything anyway) must not pile up.
        if done.len() > 10_000 {
            done.clear();
        }
        done.insert(write);
        Ok(())
    }

    fn own_reloads(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<u64>> {
        self.inner.own_reloads.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a notification's sender is this instance: its write number, if so.
    fn own_write(&self, sender: &str) -> Option<u64> {
        sender.strip_prefix(self.inner.instance.as_str())?.strip_prefix(':')?.parse().ok()
    }

    async fn load_into_replica(&self, scope: &Scope) -> Result<(), StorageError> {
        let started = std::time::Instant::now();
        let rows = load::load(&self.inner.pool, scope).await?;
        metrics::histogram!("schemabus_database_reload_seconds", "scope" => scope.kind())
            .record(started.elapsed().as_secs_f64());
        self.inner.replica.write().unwrap_or_else(std::sync::PoisonError::into_inner).apply(scope, rows);
        self.inner.changes.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    fn read(&self) -> RwLockReadGuard<'_, Replica> {
        self.inner.replica.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs a write transaction, then reloads what it changed, so this instance reads
    /// its own write as soon as the future resolves.
    fn write<'a, T: Send + 'a, F>(&'a self, scope: Scope, work: F) -> StoreFuture<'a, T>
    where
        F: for<'t> FnOnce(
                sqlx::Transaction<'static, sqlx::Postgres>,
                &'t str,
            ) -> std::pin::Pin<
                Box<dyn std::future::Future<Output = Result<T, StorageError>> + Send + 't>,
            > + Send
            + 'a,
    {
        Box::pin(async move {
            let started = std::time::Instant::now();
            let write = self.inner.writes.fetch_add(1, Ordering::Relaxed);
            // The notification names the write, so the listener knows it for ours.
            let sender = format!("{}:{write}", self.inner.instance);
            let tx = self.inner.pool.begin().await?;
            let value = work(tx, &sender).await?;
            metrics::histogram!("schemabus_database_write_seconds").record(started.elapsed().as_secs_f64());
            // Committed: a failed reload must not turn it into an error. The change's
            // notification reloads the scope then (`listener.rs`).
            if let Err(e) = self.reload_own(&scope, write).await {
                tracing::warn!(error = %e, "reloading after a committed write failed; the notification will");
            }
            Ok(value)
        })
    }
}

/// Publishes the pool's state as gauges, every second.
async fn report_pool(pool: PgPool) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let (size, idle) = (f64::from(pool.size()), pool.num_idle() as f64);
        metrics::gauge!("schemabus_database_pool_connections", "state" => "idle").set(idle);
        metrics::gauge!("schemabus_database_pool_connections", "state" => "in_use").set(size - idle);
        metrics::gauge!("schemabus_database_pool_max").set(f64::from(pool.options().get_max_connections()));
    }
}

fn page<T: Clone>(items: impl Iterator<Item = T>, name: impl Fn(&T) -> String, limit: usize) -> Page<T> {
    let mut found: Vec<T> = items.take(limit.saturating_add(1)).collect();
    if found.len() > limit {
        found.truncate(limit);
        let next = found.last().map(&name);
        (found, next)
    } else {
        (found, None)
    }
}

fn config_key(registry: &str, schema: Option<&str>) -> (String, String) {
    (registry.to_owned(), schema.unwrap_or_default().to_owned())
}

impl RegistryStore for PgRegistry {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn changes(&self) -> u64 {
        self.inner.changes.load(Ordering::Acquire)
    }

    fn get_registry(&self, name: &str) -> Result<Option<RegistryRecord>, StorageError> {
        Ok(self.read().registries.get(name).cloned())
    }

    fn list_registries(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<RegistryRecord>, StorageError> {
        let replica = self.read();
        let items = replica
            .registries
            .range(prefix.to_owned()..)
            .take_while(|(name, _)| name.starts_with(prefix))
            .filter(|(name, _)| after.is_none_or(|a| name.as_str() > a))
            .map(|(_, r)| r.clone());
        Ok(page(items, |r| r.name.clone(), limit))
    }

    fn get_schema(&self, registry: &str, schema: &str) -> Result<Option<SchemaRecord>, StorageError> {
        Ok(self.read().schemas.get(&(registry.to_owned(), schema.to_owned())).cloned())
    }

    fn list_schemas(
        &self,
        registry: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<SchemaRecord>, StorageError> {
        let replica = self.read();
        let items = replica
            .schemas
            .range((registry.to_owned(), prefix.to_owned())..)
            .take_while(|((r, s), _)| r == registry && s.starts_with(prefix))
            .filter(|((_, s), _)| after.is_none_or(|a| s.as_str() > a))
            .map(|(_, r)| r.clone());
        Ok(page(items, |s| s.name.clone(), limit))
    }

    fn all_schemas(&self, registry: Option<&str>) -> Result<Vec<SchemaRecord>, StorageError> {
        let replica = self.read();
        Ok(replica
            .schemas
            .iter()
            .filter(|((r, _), _)| registry.is_none_or(|wanted| r == wanted))
            .map(|(_, s)| s.clone())
            .collect())
    }

    fn schema_count(&self, registry: &str) -> Result<usize, StorageError> {
        let replica = self.read();
        Ok(replica
            .schemas
            .range((registry.to_owned(), String::new())..)
            .take_while(|((r, _), _)| r == registry)
            .count())
    }

    fn get_version(
        &self,
        registry: &str,
        schema: &str,
        version: u32,
    ) -> Result<Option<VersionRecord>, StorageError> {
        Ok(self.read().versions.get(&(registry.to_owned(), schema.to_owned(), version)).cloned())
    }

    fn list_versions(&self, registry: &str, schema: &str) -> Result<Vec<VersionRecord>, StorageError> {
        let replica = self.read();
        let start = (registry.to_owned(), schema.to_owned(), 0);
        Ok(replica
            .versions
            .range(start..)
            .take_while(|((r, s, _), _)| r == registry && s == schema)
            .map(|(_, v)| v.clone())
            .collect())
    }

    fn versions_with_id(&self, id: u32) -> Result<Vec<(String, String, u32)>, StorageError> {
        let replica = self.read();
        let start = (id, (String::new(), String::new(), 0));
        Ok(replica.ids.range(start..).take_while(|(i, _)| *i == id).map(|(_, v)| v.clone()).collect())
    }

    fn referrers_of(
        &self,
        registry: &str,
        schema: &str,
        version: u32,
    ) -> Result<Vec<(String, String, u32)>, StorageError> {
        let replica = self.read();
        let target = (registry.to_owned(), schema.to_owned(), version);
        let start = (target.clone(), (String::new(), String::new(), 0));
        Ok(replica
            .referrers
            .range(start..)
            .take_while(|(t, _)| *t == target)
            .map(|(_, referrer)| referrer.clone())
            .collect())
    }

    fn get_config(&self, registry: &str, schema: Option<&str>) -> Result<Option<Value>, StorageError> {
        Ok(self.read().configs.get(&config_key(registry, schema)).cloned())
    }

    fn get_mode(&self, registry: &str, schema: Option<&str>) -> Result<Option<String>, StorageError> {
        Ok(self.read().modes.get(&config_key(registry, schema)).cloned())
    }

    fn create_registry(&self, record: RegistryRecord) -> StoreFuture<'_, bool> {
        let scope = Scope::RegistryRecord(record.name.clone());
        self.write(scope.clone(), move |mut tx, instance| {
            Box::pin(async move {
                let inserted = sqlx::query(
                    "INSERT INTO registries (name, record) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
                .bind(&record.name)
                .bind(super::codec::encode(&record))
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
                writes::notify(&mut tx, instance, &scope).await?;
                tx.commit().await?;
                Ok(inserted)
            })
        })
    }

    fn put_registry(&self, record: RegistryRecord) -> StoreFuture<'_, ()> {
        let scope = Scope::RegistryRecord(record.name.clone());
        self.write(scope.clone(), move |mut tx, instance| {
            Box::pin(async move {
                // An update only: a registry deleted by another instance meanwhile stays
                // deleted.
                sqlx::query("UPDATE registries SET record = $2 WHERE name = $1")
                    .bind(&record.name)
                    .bind(super::codec::encode(&record))
                    .execute(&mut *tx)
                    .await?;
                writes::notify(&mut tx, instance, &scope).await?;
                tx.commit().await?;
                Ok(())
            })
        })
    }

    fn put_schema(&self, record: SchemaRecord) -> StoreFuture<'_, ()> {
        let scope = Scope::Schema(record.registry.clone(), record.name.clone());
        self.write(scope, move |tx, instance| {
            Box::pin(async move { writes::put_schema(tx, instance, &record).await })
        })
    }

    fn register_version(&self, new: NewVersion) -> StoreFuture<'_, RegisterOutcome> {
        let scope = Scope::Schema(new.registry.clone(), new.schema.clone());
        let identity = super::schema_ids::identity(&new.record);
        let references: Vec<_> = new
            .record
            .references
            .iter()
            .filter_map(|u| crate::registry::refs::parse_version_uri(u))
            .collect();
        self.write(scope, move |tx, instance| {
            Box::pin(async move { writes::register(tx, instance, &new, &identity, &references).await })
        })
    }

    fn delete_version(
        &self,
        schema: SchemaRecord,
        record: VersionRecord,
        now: String,
    ) -> StoreFuture<'_, DeleteOutcome> {
        let doomed = Doomed::Version(schema.registry, schema.name, record.version);
        self.delete(doomed, now)
    }

    fn soft_delete_versions(
        &self,
        schema: SchemaRecord,
        numbers: Vec<u32>,
        now: String,
    ) -> StoreFuture<'_, ()> {
        let scope = Scope::Schema(schema.registry.clone(), schema.name.clone());
        self.write(scope, move |tx, instance| {
            Box::pin(async move {
                writes::soft_delete(tx, instance, &schema.registry, &schema.name, &numbers, &now).await
            })
        })
    }

    fn delete_schema(&self, registry: String, schema: String) -> StoreFuture<'_, DeleteOutcome> {
        self.delete(Doomed::Schema(registry, schema), String::new())
    }

    fn delete_registry(&self, registry: String) -> StoreFuture<'_, DeleteOutcome> {
        self.delete(Doomed::Registry(registry), String::new())
    }

    fn put_config(&self, registry: String, schema: Option<String>, config: Value) -> StoreFuture<'_, ()> {
        self.put_keyed("configs", registry, schema, Some(super::codec::encode(&config)))
    }

    fn remove_config(&self, registry: String, schema: Option<String>) -> StoreFuture<'_, ()> {
        self.put_keyed("configs", registry, schema, None)
    }

    fn put_mode(
        &self,
        registry: String,
        schema: Option<String>,
        mode: Option<String>,
    ) -> StoreFuture<'_, ()> {
        self.put_keyed("modes", registry, schema, mode.map(|m| super::codec::encode(&m)))
    }

    fn backfill_schema_ids(&self) -> StoreFuture<'_, usize> {
        // Registration gives every version its id; an import from a store written before
        // ids existed can bring versions without one.
        Box::pin(async move {
            let missing: Vec<(String, String, i32)> =
                sqlx::query_as("SELECT registry, schema, version FROM versions WHERE schema_id IS NULL")
                    .fetch_all(&self.inner.pool)
                    .await?;
            let mut given = 0;
            for (registry, schema, version) in missing {
                let id = (registry.clone(), schema.clone(), load::number(version));
                let scope = Scope::Schema(registry, schema);
                let done = self
                    .write(scope, move |tx, instance| {
                        Box::pin(async move { writes::backfill_id(tx, instance, &id).await })
                    })
                    .await?;
                given += usize::from(done);
            }
            Ok(given)
        })
    }

    fn probe(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let read_only: bool =
                sqlx::query_scalar("SELECT pg_is_in_recovery()").fetch_one(&self.inner.pool).await?;
            if read_only {
                return Err(StorageError::Transfer("the database is a read-only standby".to_owned()));
            }
            Ok(())
        })
    }
}

impl PgRegistry {
    fn delete(&self, doomed: Doomed, now: String) -> StoreFuture<'_, DeleteOutcome> {
        self.write(doomed.scope(), move |tx, instance| {
            Box::pin(async move { writes::delete(tx, instance, &doomed, &now).await })
        })
    }

    /// Sets (`Some`) or removes (`None`) a configuration or mode row.
    fn put_keyed(
        &self,
        table: &'static str,
        registry: String,
        schema: Option<String>,
        record: Option<Vec<u8>>,
    ) -> StoreFuture<'_, ()> {
        let scope = match &schema {
            Some(s) => Scope::Schema(registry.clone(), s.clone()),
            None => Scope::RegistryRecord(registry.clone()),
        };
        self.write(scope.clone(), move |mut tx, instance| {
            Box::pin(async move {
                // A registry deleted by another instance meanwhile keeps no configuration
                // (it would be inherited by a registry re-created under the name); the
                // key-share lock holds the deletion off until this commits.
                let alive = sqlx::query("SELECT 1 FROM registries WHERE name = $1 FOR KEY SHARE")
                    .bind(&registry)
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some();
                if !alive && record.is_some() {
                    return Ok(());
                }
                let schema = schema.unwrap_or_default();
                match record {
                    Some(bytes) => {
                        sqlx::query(&format!(
                            "INSERT INTO {table} (registry, schema, record) VALUES ($1, $2, $3)
                             ON CONFLICT (registry, schema) DO UPDATE SET record = EXCLUDED.record"
                        ))
                        .bind(&registry)
                        .bind(&schema)
                        .bind(bytes)
                        .execute(&mut *tx)
                        .await?;
                    }
                    None => {
                        sqlx::query(&format!("DELETE FROM {table} WHERE registry = $1 AND schema = $2"))
                            .bind(&registry)
                            .bind(&schema)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                writes::notify(&mut tx, instance, &scope).await?;
                tx.commit().await?;
                Ok(())
            })
        })
    }
}
