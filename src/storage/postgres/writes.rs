//! The registry's write transactions on PostgreSQL.
//!
//! Every write to a schema first locks the schema's `version_counters` row (inserting it
//! for a first version), so registrations, deletions and metadata edits of one schema
//! are serialised across every instance, while different schemas commit in parallel.
//! Global ids take the single `schema_id_counter` row, always after a schema's row, so
//! the lock order is the same everywhere and no two transactions deadlock on them.
//! Each transaction sends its notification (`pg_notify`) itself: it is delivered at
//! commit, and never for a rolled-back change.

use sqlx::{PgConnection, Postgres, Row, Transaction};

use super::load::number;
use super::replica::{Scope, VersionId};
use crate::model::{SchemaRecord, VersionRecord};
use crate::storage::codec::{decode, encode};
use crate::storage::{DeleteOutcome, IdRefusal, NewVersion, RegisterOutcome, StorageError};

/// The notification channel of the registry.
pub(super) const CHANNEL: &str = "schemabus_registry";

/// PostgreSQL's code for a foreign-key violation.
const FOREIGN_KEY_VIOLATION: &str = "23503";

/// A stored number (`INTEGER`).
pub(super) fn int(n: u32) -> Result<i32, StorageError> {
    i32::try_from(n).map_err(|_| StorageError::Transfer(format!("{n} is larger than the database stores")))
}

fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().and_then(|d| d.code()).is_some_and(|c| c == FOREIGN_KEY_VIOLATION)
}

/// Tells every instance (this one too) that `scope` changed, at commit.
pub(super) async fn notify(tx: &mut PgConnection, instance: &str, scope: &Scope) -> Result<(), StorageError> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(format!("{instance} {}", scope.encode()))
        .execute(tx)
        .await?;
    Ok(())
}

/// Locks the schema's counter row (creating it at 1) and returns the next number.
async fn lock_schema(tx: &mut PgConnection, registry: &str, schema: &str) -> Result<u32, StorageError> {
    // One round trip: the no-op update on conflict takes the row lock like FOR UPDATE.
    let next: i32 = sqlx::query_scalar(
        "INSERT INTO version_counters (registry, schema, next_version) VALUES ($1, $2, 1)
         ON CONFLICT (registry, schema) DO UPDATE SET next_version = version_counters.next_version
         RETURNING next_version",
    )
    .bind(registry)
    .bind(schema)
    .fetch_one(&mut *tx)
    .await?;
    Ok(number(next))
}

async fn schema_record(
    tx: &mut PgConnection,
    registry: &str,
    schema: &str,
) -> Result<Option<SchemaRecord>, StorageError> {
    let bytes: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT record FROM schemas WHERE registry = $1 AND name = $2")
            .bind(registry)
            .bind(schema)
            .fetch_optional(&mut *tx)
            .await?;
    bytes.map(|b| decode(format!("schemas/{registry}/{schema}").as_bytes(), &b)).transpose()
}

async fn put_schema_row(tx: &mut PgConnection, record: &SchemaRecord) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO schemas (registry, name, record) VALUES ($1, $2, $3)
         ON CONFLICT (registry, name) DO UPDATE SET record = EXCLUDED.record",
    )
    .bind(&record.registry)
    .bind(&record.name)
    .bind(encode(record))
    .execute(tx)
    .await?;
    Ok(())
}

async fn versions_of(
    tx: &mut PgConnection,
    registry: &str,
    schema: &str,
) -> Result<Vec<VersionRecord>, StorageError> {
    let rows =
        sqlx::query("SELECT record FROM versions WHERE registry = $1 AND schema = $2 ORDER BY version")
            .bind(registry)
            .bind(schema)
            .fetch_all(&mut *tx)
            .await?;
    rows.iter()
        .map(|row| {
            let bytes: Vec<u8> = row.try_get(0)?;
            decode(format!("versions/{registry}/{schema}").as_bytes(), &bytes)
        })
        .collect()
}

async fn find_id(tx: &mut PgConnection, identity: &[u8]) -> Result<Option<i32>, StorageError> {
    Ok(sqlx::query_scalar("SELECT id FROM schema_ids WHERE identity = $1")
        .bind(identity.to_vec())
        .fetch_optional(tx)
        .await?)
}

/// The content's global id: its existing one, or a new one (`wanted`, for imports).
async fn assign_id(
    tx: &mut PgConnection,
    identity: &[u8],
    wanted: Option<u32>,
) -> Result<Result<u32, IdRefusal>, StorageError> {
    let existing = match find_id(tx, identity).await? {
        Some(id) => Some(id),
        None => {
            sqlx::query("SELECT next_id FROM schema_id_counter FOR UPDATE").execute(&mut *tx).await?;
            // Another instance may have given this content an id while we waited.
            find_id(tx, identity).await?
        }
    };
    if let Some(existing) = existing.map(number) {
        return Ok(match wanted {
            Some(w) if w != existing => Err(IdRefusal::ContentHasId(existing)),
            _ => Ok(existing),
        });
    }
    let next: i32 = sqlx::query_scalar("SELECT next_id FROM schema_id_counter").fetch_one(&mut *tx).await?;
    let id = match wanted {
        Some(w) => {
            let taken = sqlx::query("SELECT 1 FROM schema_ids WHERE id = $1")
                .bind(int(w)?)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            if taken {
                return Ok(Err(IdRefusal::IdTaken(w)));
            }
            w
        }
        None => number(next),
    };
    sqlx::query("UPDATE schema_id_counter SET next_id = GREATEST(next_id, $1)")
        .bind(int(id.saturating_add(1))?)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO schema_ids (id, identity) VALUES ($1, $2)")
        .bind(int(id)?)
        .bind(identity.to_vec())
        .execute(&mut *tx)
        .await?;
    Ok(Ok(id))
}

/// Registers a version (see [`crate::storage::RegistryStore::register_version`]).
pub(super) async fn register(
    mut tx: Transaction<'static, Postgres>,
    instance: &str,
    new: &NewVersion,
    identity: &[u8],
    references: &[VersionId],
) -> Result<RegisterOutcome, StorageError> {
    let registry_alive = sqlx::query("SELECT 1 FROM registries WHERE name = $1 FOR KEY SHARE")
        .bind(&new.registry)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
    if !registry_alive {
        // Deleted on another instance since this one looked.
        return Ok(RegisterOutcome::Vanished { registry: true });
    }
    let counter = lock_schema(&mut tx, &new.registry, &new.schema).await?;
    let existing = schema_record(&mut tx, &new.registry, &new.schema).await?;
    let current = existing.as_ref().and_then(|s| s.latest_version);
    if current != new.expected_latest {
        return Ok(RegisterOutcome::Conflict { latest: current });
    }
    if let Some(latest) = current
        && new.import_version.is_none()
    {
        let bytes: Option<Vec<u8>> = sqlx::query_scalar(
            "SELECT record FROM versions WHERE registry = $1 AND schema = $2 AND version = $3",
        )
        .bind(&new.registry)
        .bind(&new.schema)
        .bind(int(latest)?)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(bytes) = bytes {
            let latest_record: VersionRecord = decode(b"versions/latest", &bytes)?;
            if crate::storage::schema_ids::identity(&latest_record) == identity {
                return Ok(RegisterOutcome::Unchanged(latest_record));
            }
        }
    }
    let next = match new.import_version {
        Some(v) => {
            let exists =
                sqlx::query("SELECT 1 FROM versions WHERE registry = $1 AND schema = $2 AND version = $3")
                    .bind(&new.registry)
                    .bind(&new.schema)
                    .bind(int(v)?)
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some();
            if exists {
                return Ok(RegisterOutcome::Refused(IdRefusal::VersionExists(v)));
            }
            v
        }
        None => counter,
    };
    let id = match assign_id(&mut tx, identity, new.import_id).await? {
        Ok(id) => id,
        Err(refusal) => return Ok(RegisterOutcome::Refused(refusal)),
    };
    sqlx::query("UPDATE version_counters SET next_version = $3 WHERE registry = $1 AND schema = $2")
        .bind(&new.registry)
        .bind(&new.schema)
        .bind(int(counter.max(next.saturating_add(1)))?)
        .execute(&mut *tx)
        .await?;
    let mut record = new.record.clone();
    record.version = next;
    record.id = Some(id);
    sqlx::query(
        "INSERT INTO versions (registry, schema, version, schema_id, record) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&new.registry)
    .bind(&new.schema)
    .bind(int(next)?)
    .bind(int(id)?)
    .bind(encode(&record))
    .execute(&mut *tx)
    .await?;
    for (registry, schema, version) in references {
        let inserted = sqlx::query(
            "INSERT INTO referrers (target_registry, target_schema, target_version, registry, schema, version)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(registry)
        .bind(schema)
        .bind(int(*version)?)
        .bind(&new.registry)
        .bind(&new.schema)
        .bind(int(next)?)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            // The referenced version was deleted on another instance after the
            // reference was resolved.
            Err(e) if is_foreign_key_violation(&e) => {
                return Ok(RegisterOutcome::Vanished { registry: false });
            }
            Err(e) => return Err(e.into()),
        }
    }
    let schema_record = new.schema_after(existing, &record);
    put_schema_row(&mut tx, &schema_record).await?;
    notify(&mut tx, instance, &Scope::Schema(new.registry.clone(), new.schema.clone())).await?;
    tx.commit().await?;
    Ok(RegisterOutcome::Created(record))
}

/// Replaces a schema's metadata; its version bookkeeping stays the database's, so an
/// edit made from an older copy cannot roll back a concurrent registration.
pub(super) async fn put_schema(
    mut tx: Transaction<'static, Postgres>,
    instance: &str,
    record: &SchemaRecord,
) -> Result<(), StorageError> {
    lock_schema(&mut tx, &record.registry, &record.name).await?;
    // Deleted by another instance meanwhile: the edit loses (it must not resurrect it).
    let Some(current) = schema_record(&mut tx, &record.registry, &record.name).await? else {
        return Ok(());
    };
    let mut updated = record.clone();
    updated.latest_version = current.latest_version;
    updated.version_count = current.version_count;
    put_schema_row(&mut tx, &updated).await?;
    notify(&mut tx, instance, &Scope::Schema(record.registry.clone(), record.name.clone())).await?;
    tx.commit().await?;
    Ok(())
}

/// The highest version that is not soft-deleted.
fn latest_live(versions: &[VersionRecord]) -> Option<u32> {
    versions.iter().filter(|v| !v.deleted).map(|v| v.version).max()
}

/// Soft-deletes versions: they stay readable but leave `latest`.
pub(super) async fn soft_delete(
    mut tx: Transaction<'static, Postgres>,
    instance: &str,
    registry: &str,
    schema: &str,
    numbers: &[u32],
    now: &str,
) -> Result<(), StorageError> {
    lock_schema(&mut tx, registry, schema).await?;
    let mut versions = versions_of(&mut tx, registry, schema).await?;
    for record in versions.iter_mut().filter(|v| numbers.contains(&v.version)) {
        record.deleted = true;
        sqlx::query("UPDATE versions SET record = $4 WHERE registry = $1 AND schema = $2 AND version = $3")
            .bind(registry)
            .bind(schema)
            .bind(int(record.version)?)
            .bind(encode(&*record))
            .execute(&mut *tx)
            .await?;
    }
    if let Some(mut record) = schema_record(&mut tx, registry, schema).await? {
        record.latest_version = latest_live(&versions);
        record.updated_at = now.to_owned();
        put_schema_row(&mut tx, &record).await?;
    }
    notify(&mut tx, instance, &Scope::Schema(registry.to_owned(), schema.to_owned())).await?;
    tx.commit().await?;
    Ok(())
}

/// What a deletion removes.
#[derive(Debug, Clone)]
pub(super) enum Doomed {
    Version(String, String, u32),
    Schema(String, String),
    Registry(String),
}

impl Doomed {
    /// `(registry, schema, version)` filters, `None` meaning all.
    fn filters(&self) -> (&str, Option<&str>, Option<u32>) {
        match self {
            Self::Version(r, s, v) => (r, Some(s), Some(*v)),
            Self::Schema(r, s) => (r, Some(s), None),
            Self::Registry(r) => (r, None, None),
        }
    }

    pub(super) fn scope(&self) -> Scope {
        match self {
            Self::Version(r, s, _) | Self::Schema(r, s) => Scope::Schema(r.clone(), s.clone()),
            Self::Registry(r) => Scope::Registry(r.clone()),
        }
    }
}

/// Deletes what `doomed` names, refusing while a version outside it references it.
pub(super) async fn delete(
    mut tx: Transaction<'static, Postgres>,
    instance: &str,
    doomed: &Doomed,
    now: &str,
) -> Result<DeleteOutcome, StorageError> {
    let (registry, schema, version) = doomed.filters();
    match schema {
        Some(s) => {
            lock_schema(&mut tx, registry, s).await?;
        }
        None => {
            // Holds off registrations (they take this row's key-share lock) and edits.
            sqlx::query("SELECT 1 FROM registries WHERE name = $1 FOR UPDATE")
                .bind(registry)
                .execute(&mut *tx)
                .await?;
            sqlx::query("SELECT 1 FROM version_counters WHERE registry = $1 FOR UPDATE")
                .bind(registry)
                .execute(&mut *tx)
                .await?;
        }
    }
    let version = version.map(int).transpose()?;
    let outside = sqlx::query(
        "SELECT registry, schema, version FROM referrers
         WHERE target_registry = $1 AND ($2::text IS NULL OR target_schema = $2)
           AND ($3::int IS NULL OR target_version = $3)
           AND NOT (registry = $1 AND ($2::text IS NULL OR schema = $2)
                    AND ($3::int IS NULL OR version = $3))
         ORDER BY registry, schema, version",
    )
    .bind(registry)
    .bind(schema)
    .bind(version)
    .fetch_all(&mut *tx)
    .await?;
    if !outside.is_empty() {
        let mut names = Vec::with_capacity(outside.len());
        for row in &outside {
            let (r, s, v): (String, String, i32) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            names.push(format!("{r}/{s}/{v}"));
        }
        names.dedup();
        return Ok(DeleteOutcome::Referenced(names));
    }
    let mut removed = 0;
    for sql in [
        // References the doomed versions made, and those made to them (all from inside).
        "DELETE FROM referrers WHERE registry = $1 AND ($2::text IS NULL OR schema = $2)
           AND ($3::int IS NULL OR version = $3)",
        "DELETE FROM referrers WHERE target_registry = $1 AND ($2::text IS NULL OR target_schema = $2)
           AND ($3::int IS NULL OR target_version = $3)",
        "DELETE FROM versions WHERE registry = $1 AND ($2::text IS NULL OR schema = $2)
           AND ($3::int IS NULL OR version = $3)",
    ] {
        let done = sqlx::query(sql).bind(registry).bind(schema).bind(version).execute(&mut *tx).await;
        match done {
            Ok(done) => removed = done.rows_affected(),
            // A version referencing a doomed one was registered meanwhile on another
            // instance: nothing is deleted; the caller sees it on its next attempt.
            Err(e) if is_foreign_key_violation(&e) => {
                return Ok(DeleteOutcome::Referenced(vec!["a version registered meanwhile".to_owned()]));
            }
            Err(e) => return Err(e.into()),
        }
    }
    match doomed {
        // Deleted already (by another instance, or a retried request): nothing to count.
        Doomed::Version(..) if removed == 0 => return Ok(DeleteOutcome::Deleted),
        Doomed::Version(r, s, _) => {
            if let Some(mut record) = schema_record(&mut tx, r, s).await? {
                record.latest_version = latest_live(&versions_of(&mut tx, r, s).await?);
                record.version_count = record.version_count.saturating_sub(1);
                record.updated_at = now.to_owned();
                put_schema_row(&mut tx, &record).await?;
            }
        }
        Doomed::Schema(..) | Doomed::Registry(_) => {
            sqlx::query("DELETE FROM schemas WHERE registry = $1 AND ($2::text IS NULL OR name = $2)")
                .bind(registry)
                .bind(schema)
                .execute(&mut *tx)
                .await?;
            // A schema's configuration goes with it; a registry's own and all of its
            // schemas' go with the registry. Modes stay, as in the embedded store.
            sqlx::query("DELETE FROM configs WHERE registry = $1 AND ($2::text IS NULL OR schema = $2)")
                .bind(registry)
                .bind(schema)
                .execute(&mut *tx)
                .await?;
            if let Doomed::Registry(r) = doomed {
                sqlx::query("DELETE FROM registries WHERE name = $1").bind(r).execute(&mut *tx).await?;
            }
        }
    }
    notify(&mut tx, instance, &doomed.scope()).await?;
    tx.commit().await?;
    Ok(DeleteOutcome::Deleted)
}

/// Gives version `registry/schema/version` a global id if it has none (imported from a
/// store written before ids existed); whether it got one.
pub(super) async fn backfill_id(
    mut tx: Transaction<'static, Postgres>,
    instance: &str,
    (registry, schema, version): &VersionId,
) -> Result<bool, StorageError> {
    lock_schema(&mut tx, registry, schema).await?;
    let bytes: Option<Vec<u8>> = sqlx::query_scalar(
        "SELECT record FROM versions
         WHERE registry = $1 AND schema = $2 AND version = $3 AND schema_id IS NULL",
    )
    .bind(registry)
    .bind(schema)
    .bind(int(*version)?)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(bytes) = bytes else { return Ok(false) };
    let mut record: VersionRecord = decode(b"versions/backfill", &bytes)?;
    let identity = crate::storage::schema_ids::identity(&record);
    let Ok(id) = assign_id(&mut tx, &identity, None).await? else { return Ok(false) };
    record.id = Some(id);
    sqlx::query("UPDATE versions SET schema_id = $4, record = $5 WHERE registry = $1 AND schema = $2 AND version = $3")
        .bind(registry)
        .bind(schema)
        .bind(int(*version)?)
        .bind(int(id)?)
        .bind(encode(&record))
        .execute(&mut *tx)
        .await?;
    notify(&mut tx, instance, &Scope::Schema(registry.clone(), schema.clone())).await?;
    tx.commit().await?;
    Ok(true)
}
