//! The PostgreSQL adapter of [`AccessStore`] and [`AuditStore`] (cluster mode).
//!
//! Keys are checked on every request, so each instance holds them in memory, like the
//! registry's replica. A revocation must not leave a window in which another instance
//! still takes the key, so it answers only once every live instance has applied it:
//! each instance records in `instances` which access generation its copy holds, and
//! heartbeats while it can reach the database. An instance that has not been heard from
//! for [`STALE_AFTER`] counts as gone, and an instance that has not reached the database
//! for that long refuses every key itself, so a revocation never waits on a dead
//! instance and a cut-off instance never serves a revoked key.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::SNAPSHOT;
use sqlx::postgres::PgListener;
use sqlx::{PgConnection, PgPool, Row};

use crate::model::{AuditRecord, AwsCredentialRecord, KeyRecord};
use crate::storage::codec::{decode, encode};
use crate::storage::{AccessStore, AuditStore, Revocation, StorageError, StoreFuture};

/// An instance not heard from for this long is taken for gone; an instance that has not
/// reached the database for this long refuses keys.
pub const STALE_AFTER: Duration = Duration::from_secs(3);
/// How often each instance tells the database it is alive (and catches up if a
/// notification was lost).
const HEARTBEAT: Duration = Duration::from_millis(500);
/// Notification channel of access changes.
const CHANNEL: &str = "schemabus_access";
/// The grant that makes a key an admin key.
const ADMIN_GRANT: &str = "admin";

#[derive(Debug, Default)]
struct Copy {
    keys: BTreeMap<Vec<u8>, KeyRecord>,
    credentials: BTreeMap<String, AwsCredentialRecord>,
}

struct Inner {
    pool: PgPool,
    instance: String,
    copy: RwLock<Copy>,
    /// The access generation `copy` holds.
    applied: AtomicI64,
    /// Serialises reloads (a later one always reads a later state).
    reloads: tokio::sync::Mutex<()>,
    /// When this instance last reached the database and was up to date, in milliseconds
    /// since `opened`: an atomic, because every keyed request reads it.
    contact_ms: AtomicU64,
    opened: Instant,
}

/// Keys, AWS credentials and the audit trail on PostgreSQL. Cheap to clone.
#[derive(Clone)]
pub struct PgAccess {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PgAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgAccess").field("instance", &self.inner.instance).finish_non_exhaustive()
    }
}

fn is_admin(record: &KeyRecord) -> bool {
    record.grants.iter().any(|g| g == ADMIN_GRANT)
}

impl PgAccess {
    /// Loads the keys, joins the instances and starts following changes. The database
    /// must be migrated ([`super::migrate`]).
    ///
    /// # Errors
    /// Database failures; a stored record that does not decode.
    pub async fn open(pool: PgPool, instance: &str) -> Result<Self, StorageError> {
        let access = Self {
            inner: Arc::new(Inner {
                pool,
                instance: instance.to_owned(),
                copy: RwLock::default(),
                applied: AtomicI64::new(-1),
                reloads: tokio::sync::Mutex::default(),
                contact_ms: AtomicU64::new(0),
                opened: Instant::now(),
            }),
        };
        let mut listener = PgListener::connect_with(&access.inner.pool).await?;
        listener.listen(CHANNEL).await?;
        // Joined before loading: a revocation committed from here on waits for this
        // instance's copy too.
        sqlx::query(
            "INSERT INTO instances (id, seen_at, access_applied) VALUES ($1, now(), -1)
             ON CONFLICT (id) DO UPDATE SET seen_at = now(), access_applied = -1",
        )
        .bind(&access.inner.instance)
        .execute(&access.inner.pool)
        .await?;
        access.reload().await?;
        access.heartbeat().await?;
        let follower = access.clone();
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(_)) => {
                        drop(follower.reload().await);
                    }
                    // Lost or failed: the heartbeat catches up meanwhile; `try_recv`
                    // reconnects on its next call.
                    Ok(None) => {}
                    Err(_) => tokio::time::sleep(HEARTBEAT).await,
                }
            }
        });
        let beater = access.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(HEARTBEAT);
            loop {
                tick.tick().await;
                if let Err(e) = beater.heartbeat().await {
                    tracing::warn!(error = %e, "cluster heartbeat failed; keys are refused if it keeps failing");
                }
            }
        });
        Ok(access)
    }

    /// Says this instance is alive and which generation it holds, and learns the
    /// database's generation in the same statement: if it is newer, reloads. The copy
    /// counts as current from the moment the statement was sent (or the reload began),
    /// never from when the answer came back.
    async fn heartbeat(&self) -> Result<(), StorageError> {
        let asked = Instant::now();
        let applied = self.inner.applied.load(Ordering::Acquire);
        let current: i64 = sqlx::query_scalar(
            "INSERT INTO instances (id, seen_at, access_applied) VALUES ($1, now(), $2)
             ON CONFLICT (id) DO UPDATE SET seen_at = now(), access_applied = EXCLUDED.access_applied
             RETURNING (SELECT generation FROM access_generation)",
        )
        .bind(&self.inner.instance)
        .bind(applied)
        .fetch_one(&self.inner.pool)
        .await?;
        if current > applied {
            self.reload().await?;
        } else {
            self.touched(asked);
        }
        // Instances gone for an hour are forgotten (their rows only cost a scan).
        sqlx::query("DELETE FROM instances WHERE seen_at < now() - interval '1 hour'")
            .execute(&self.inner.pool)
            .await?;
        Ok(())
    }

    /// Records that the copy was current at `at` (if that is later than known).
    fn touched(&self, at: Instant) {
        let ms =
            u64::try_from(at.saturating_duration_since(self.inner.opened).as_millis()).unwrap_or(u64::MAX);
        self.inner.contact_ms.fetch_max(ms, Ordering::AcqRel);
    }

    async fn reload(&self) -> Result<(), StorageError> {
        let _serial = self.inner.reloads.lock().await;
        let asked = Instant::now();
        let mut tx = self.inner.pool.begin_with(SNAPSHOT).await?;
        let generation: i64 =
            sqlx::query_scalar("SELECT generation FROM access_generation").fetch_one(&mut *tx).await?;
        let mut copy = Copy::default();
        for row in sqlx::query("SELECT digest, record FROM api_keys").fetch_all(&mut *tx).await? {
            let (digest, bytes): (Vec<u8>, Vec<u8>) = (row.try_get(0)?, row.try_get(1)?);
            let record = decode(&digest, &bytes)?;
            copy.keys.insert(digest, record);
        }
        for row in
            sqlx::query("SELECT access_key_id, record FROM aws_credentials").fetch_all(&mut *tx).await?
        {
            let (id, bytes): (String, Vec<u8>) = (row.try_get(0)?, row.try_get(1)?);
            let record = decode(id.as_bytes(), &bytes)?;
            copy.credentials.insert(id, record);
        }
        tx.commit().await?;
        *self.inner.copy.write().unwrap_or_else(std::sync::PoisonError::into_inner) = copy;
        self.inner.applied.store(generation, Ordering::Release);
        sqlx::query("UPDATE instances SET access_applied = $2, seen_at = now() WHERE id = $1")
            .bind(&self.inner.instance)
            .bind(generation)
            .execute(&self.inner.pool)
            .await?;
        self.touched(asked);
        Ok(())
    }

    /// The copy, unless this instance has lost the database for too long to trust it.
    fn copy(&self) -> Result<std::sync::RwLockReadGuard<'_, Copy>, StorageError> {
        let contact =
            self.inner.opened + Duration::from_millis(self.inner.contact_ms.load(Ordering::Acquire));
        if contact.elapsed() > STALE_AFTER {
            return Err(StorageError::Stale(format!(
                "the cluster database has not been reachable for {} s: keys are refused until it is",
                contact.elapsed().as_secs()
            )));
        }
        Ok(self.inner.copy.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Runs an access change: takes the generation row (serialising every change to
    /// keys across instances), bumps it, notifies at commit and reloads. Resolves to the
    /// work's value and the new generation.
    async fn change<T: Send>(
        &self,
        work: impl for<'c> FnOnce(
            &'c mut PgConnection,
        ) -> std::pin::Pin<
            Box<dyn Future<Output = Result<(T, bool), StorageError>> + Send + 'c>,
        > + Send,
    ) -> Result<(T, i64), StorageError> {
        let mut tx = self.inner.pool.begin().await?;
        let generation: i64 = sqlx::query_scalar(
            "UPDATE access_generation SET generation = generation + 1 RETURNING generation",
        )
        .fetch_one(&mut *tx)
        .await?;
        let (value, changed) = work(&mut tx).await?;
        if !changed {
            tx.rollback().await?;
            return Ok((value, 0));
        }
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(generation.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.reload().await?;
        Ok((value, generation))
    }

    /// Waits until every live instance holds `generation` (or is gone).
    async fn applied_everywhere(&self, generation: i64) -> Result<(), StorageError> {
        let deadline = Instant::now() + STALE_AFTER + Duration::from_secs(1);
        loop {
            let behind: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM instances
                 WHERE access_applied < $1 AND seen_at > now() - make_interval(secs => $2)",
            )
            .bind(generation)
            .bind(STALE_AFTER.as_secs_f64())
            .fetch_one(&self.inner.pool)
            .await?;
            if behind == 0 {
                return Ok(());
            }
            // An instance still behind by now was last current before the change
            // committed, more than STALE_AFTER ago (its copy counts as current only from a
            // heartbeat that found no newer generation, or a reload), so it refuses every
            // key itself already.
            if Instant::now() > deadline {
                tracing::warn!(
                    behind,
                    "instances did not confirm a key revocation in time; they refuse keys meanwhile"
                );
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn insert_key(tx: &mut PgConnection, digest: &[u8], record: &KeyRecord) -> Result<(), StorageError> {
    sqlx::query("INSERT INTO api_keys (digest, name, record) VALUES ($1, $2, $3)")
        .bind(digest)
        .bind(&record.name)
        .bind(encode(record))
        .execute(tx)
        .await?;
    Ok(())
}

async fn all_keys(tx: &mut PgConnection) -> Result<Vec<(Vec<u8>, KeyRecord)>, StorageError> {
    let rows = sqlx::query("SELECT digest, record FROM api_keys").fetch_all(&mut *tx).await?;
    rows.iter()
        .map(|row| {
            let (digest, bytes): (Vec<u8>, Vec<u8>) = (row.try_get(0)?, row.try_get(1)?);
            let record = decode(&digest, &bytes)?;
            Ok((digest, record))
        })
        .collect()
}

impl AccessStore for PgAccess {
    fn key_by_digest(&self, digest: &[u8]) -> Result<Option<KeyRecord>, StorageError> {
        Ok(self.copy()?.keys.get(digest).cloned())
    }

    fn list_keys(&self) -> Result<Vec<(Vec<u8>, KeyRecord)>, StorageError> {
        Ok(self.copy()?.keys.iter().map(|(d, r)| (d.clone(), r.clone())).collect())
    }

    fn aws_credential(&self, access_key_id: &str) -> Result<Option<AwsCredentialRecord>, StorageError> {
        Ok(self.copy()?.credentials.get(access_key_id).cloned())
    }

    fn list_aws_credentials(&self) -> Result<Vec<AwsCredentialRecord>, StorageError> {
        Ok(self.copy()?.credentials.values().cloned().collect())
    }

    fn create_key(&self, digest: Vec<u8>, record: KeyRecord) -> StoreFuture<'_, bool> {
        Box::pin(async move {
            let (created, _) = self
                .change(move |tx| {
                    Box::pin(async move {
                        if all_keys(tx).await?.iter().any(|(_, r)| r.name == record.name) {
                            return Ok((false, false));
                        }
                        insert_key(tx, &digest, &record).await?;
                        Ok((true, true))
                    })
                })
                .await?;
            Ok(created)
        })
    }

    fn revoke_key(&self, name: String) -> StoreFuture<'_, Revocation> {
        Box::pin(async move {
            let (outcome, generation) = self
                .change(move |tx| {
                    Box::pin(async move {
                        let keys = all_keys(tx).await?;
                        let Some((digest, record)) = keys.iter().find(|(_, r)| r.name == name) else {
                            return Ok((Revocation::NotFound, false));
                        };
                        if is_admin(record) && !keys.iter().any(|(d, r)| d != digest && is_admin(r)) {
                            return Ok((Revocation::LastAdmin, false));
                        }
                        sqlx::query("DELETE FROM api_keys WHERE digest = $1")
                            .bind(digest)
                            .execute(&mut *tx)
                            .await?;
                        let credentials = sqlx::query("DELETE FROM aws_credentials WHERE key_name = $1")
                            .bind(&name)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                        let credentials = usize::try_from(credentials).unwrap_or(usize::MAX);
                        Ok((Revocation::Revoked { credentials }, true))
                    })
                })
                .await?;
            if generation > 0 {
                self.applied_everywhere(generation).await?;
            }
            Ok(outcome)
        })
    }

    fn replace_key(&self, digest: Vec<u8>, record: KeyRecord) -> StoreFuture<'_, bool> {
        Box::pin(async move {
            let (replaced, generation) = self
                .change(move |tx| {
                    Box::pin(async move {
                        let keys = all_keys(tx).await?;
                        if keys.iter().any(|(d, r)| *d == digest && r.name == record.name) {
                            return Ok((false, false));
                        }
                        sqlx::query("DELETE FROM api_keys WHERE name = $1 OR digest = $2")
                            .bind(&record.name)
                            .bind(&digest)
                            .execute(&mut *tx)
                            .await?;
                        insert_key(tx, &digest, &record).await?;
                        Ok((true, true))
                    })
                })
                .await?;
            // A replaced key's old secret stops working everywhere, as for a revocation.
            if generation > 0 {
                self.applied_everywhere(generation).await?;
            }
            Ok(replaced)
        })
    }

    fn create_first_key(&self, digest: Vec<u8>, record: KeyRecord) -> StoreFuture<'_, bool> {
        Box::pin(async move {
            let (created, _) = self
                .change(move |tx| {
                    Box::pin(async move {
                        if !all_keys(tx).await?.is_empty() {
                            return Ok((false, false));
                        }
                        insert_key(tx, &digest, &record).await?;
                        Ok((true, true))
                    })
                })
                .await?;
            Ok(created)
        })
    }

    fn put_aws_credential(&self, record: AwsCredentialRecord) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            self.change(move |tx| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO aws_credentials (access_key_id, key_name, record) VALUES ($1, $2, $3)
                         ON CONFLICT (access_key_id) DO UPDATE SET key_name = EXCLUDED.key_name, record = EXCLUDED.record",
                    )
                    .bind(&record.access_key_id)
                    .bind(&record.key_name)
                    .bind(encode(&record))
                    .execute(&mut *tx)
                    .await?;
                    Ok(((), true))
                })
            })
            .await?;
            Ok(())
        })
    }
}

impl AuditStore for PgAccess {
    fn append_audit(&self, mut record: AuditRecord) -> StoreFuture<'_, AuditRecord> {
        Box::pin(async move {
            let mut tx = self.inner.pool.begin().await?;
            let id: i64 = sqlx::query_scalar("SELECT nextval('audit_ids')").fetch_one(&mut *tx).await?;
            record.id = id.to_string();
            sqlx::query("INSERT INTO audit (id, record) VALUES ($1, $2)")
                .bind(id)
                .bind(encode(&record))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(record)
        })
    }

    fn list_audit(&self, before: Option<u64>, limit: usize) -> StoreFuture<'_, Vec<AuditRecord>> {
        Box::pin(async move {
            let before = before.map(|b| i64::try_from(b).unwrap_or(i64::MAX));
            let rows = sqlx::query(
                "SELECT id, record FROM audit WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2",
            )
            .bind(before)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.inner.pool)
            .await?;
            rows.iter()
                .map(|row| {
                    let (id, bytes): (i64, Vec<u8>) = (row.try_get(0)?, row.try_get(1)?);
                    decode(&id.to_be_bytes(), &bytes)
                })
                .collect()
        })
    }
}
