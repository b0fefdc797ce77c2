//! Reading one scope of the registry tables into [`Rows`] for the replica.

use sqlx::{PgPool, Row};

use super::replica::{Rows, Scope};
use crate::storage::StorageError;
use crate::storage::codec::decode;

/// `(registry filter, schema filter, whether schema-level rows are in the scope)`.
fn filters(scope: &Scope) -> (Option<&str>, Option<&str>, bool) {
    match scope {
        Scope::All => (None, None, true),
        Scope::Registry(r) => (Some(r), None, true),
        Scope::RegistryRecord(r) => (Some(r), Some(""), false),
        Scope::Schema(r, s) => (Some(r), Some(s), true),
    }
}

fn key(parts: &[&str]) -> Vec<u8> {
    parts.join("/").into_bytes()
}

/// Reads every row the scope covers, in one snapshot (a repeatable-read transaction), so
/// a reload never mixes two states of the tables.
pub(super) async fn load(pool: &PgPool, scope: &Scope) -> Result<Rows, StorageError> {
    let (registry, schema, schema_level) = filters(scope);
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").execute(&mut *tx).await?;
    let mut rows = Rows::default();
    if !matches!(scope, Scope::Schema(..)) {
        for row in sqlx::query("SELECT name, record FROM registries WHERE $1::text IS NULL OR name = $1")
            .bind(registry)
            .fetch_all(&mut *tx)
            .await?
        {
            let name: String = row.try_get(0)?;
            let bytes: Vec<u8> = row.try_get(1)?;
            rows.registries.push(decode(&key(&["registries", &name]), &bytes)?);
        }
    }
    if schema_level {
        let sql = "SELECT registry, name, record FROM schemas
                   WHERE ($1::text IS NULL OR registry = $1) AND ($2::text IS NULL OR name = $2)";
        for row in filtered(&mut tx, sql, registry, schema).await? {
            let (r, s): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            let bytes: Vec<u8> = row.try_get(2)?;
            rows.schemas.push(decode(&key(&["schemas", &r, &s]), &bytes)?);
        }
        let sql = "SELECT registry, schema, record FROM versions
                   WHERE ($1::text IS NULL OR registry = $1) AND ($2::text IS NULL OR schema = $2)";
        for row in filtered(&mut tx, sql, registry, schema).await? {
            let (r, s): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            let bytes: Vec<u8> = row.try_get(2)?;
            let record = decode(&key(&["versions", &r, &s]), &bytes)?;
            rows.versions.push((r, s, record));
        }
        let sql = "SELECT target_registry, target_schema, target_version, registry, schema, version
                   FROM referrers
                   WHERE ($1::text IS NULL OR registry = $1) AND ($2::text IS NULL OR schema = $2)";
        for row in filtered(&mut tx, sql, registry, schema).await? {
            let target = (row.try_get(0)?, row.try_get(1)?, number(row.try_get(2)?));
            let referrer = (row.try_get(3)?, row.try_get(4)?, number(row.try_get(5)?));
            rows.referrers.push((target, referrer));
        }
    }
    for (table, into_modes) in [("configs", false), ("modes", true)] {
        let sql = format!(
            "SELECT registry, schema, record FROM {table}
             WHERE ($1::text IS NULL OR registry = $1) AND ($2::text IS NULL OR schema = $2)"
        );
        for row in filtered(&mut tx, &sql, registry, schema).await? {
            let (r, s): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            let bytes: Vec<u8> = row.try_get(2)?;
            let name = key(&[table, &r, &s]);
            if into_modes {
                rows.modes.push(((r, s), decode(&name, &bytes)?));
            } else {
                rows.configs.push(((r, s), decode(&name, &bytes)?));
            }
        }
    }
    tx.commit().await?;
    Ok(rows)
}

/// The rows of `sql`, whose `$1` and `$2` filter by registry and schema (`NULL`: all).
async fn filtered(
    tx: &mut sqlx::PgConnection,
    sql: &str,
    registry: Option<&str>,
    schema: Option<&str>,
) -> Result<Vec<sqlx::postgres::PgRow>, StorageError> {
    Ok(sqlx::query(sql).bind(registry).bind(schema).fetch_all(tx).await?)
}

/// A version number as stored (`INTEGER`, never negative: numbers start at 1).
pub(super) fn number(stored: i32) -> u32 {
    u32::try_from(stored).unwrap_or(0)
}
