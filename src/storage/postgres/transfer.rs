//! The tables of cluster mode (the registry, keys, the audit trail and the control plane)
//! as the embedded store's trees, for `schemabus export` and `import` in cluster mode:
//! exactly the trees of [`SHARED_TREES`](crate::storage::SHARED_TREES).
//!
//! An export lists the records as the embedded store's keys and values (see
//! `storage/export.rs`), whichever adapter holds them. The rows here convert to exactly
//! those keys and values and back, so an export taken from PostgreSQL equals, line for
//! line, the export of an embedded store holding the same records, and they move between
//! the two adapters in either direction with nothing lost (version counters, global ids
//! and the id counter included). The control plane's rows are its trees' entries as they
//! are: collection = tree, key and value byte for byte.
//!
//! An import goes into a database that holds none of these records yet, in one
//! transaction that also notifies every running instance to reload its replicas (the
//! registry's and the control plane's; keys follow the access generation).

use super::SNAPSHOT;
use sqlx::{PgPool, Row};

use super::control::{IMPORT_NOTICE, IMPORT_SENDER};
use super::load::number;
use super::replica::Scope;
use super::writes::int;
use crate::storage::codec::{referrer_key, schema_key, version_key};
use crate::storage::{
    API_KEYS, AUDIT, AWS_CREDENTIALS, CONFIGS, COUNTERS, Collection, MODES, REFERRERS, REGISTRIES,
    SCHEMA_ID_VERSIONS, SCHEMA_IDS, SCHEMAS, StorageError, VERSIONS,
};

use crate::storage::TreeEntries;

fn keyed(registry: &str, schema: &str) -> Vec<u8> {
    if schema.is_empty() { registry.as_bytes().to_vec() } else { schema_key(registry, schema) }
}

fn be(n: i32) -> Vec<u8> {
    number(n).to_be_bytes().to_vec()
}

/// Reads every table as the embedded store's trees (in one snapshot): every tree of
/// [`SHARED_TREES`](crate::storage::SHARED_TREES), empty ones too.
///
/// # Errors
/// Database failures.
pub async fn read_trees(pool: &PgPool) -> Result<Vec<(&'static str, TreeEntries)>, StorageError> {
    let mut tx = pool.begin_with(SNAPSHOT).await?;
    let mut trees: Vec<(&'static str, TreeEntries)> = Vec::new();
    let rows = |sql: &'static str| sqlx::query(sql);
    let mut registries = Vec::new();
    for row in rows("SELECT name, record FROM registries").fetch_all(&mut *tx).await? {
        registries.push((row.try_get::<String, _>(0)?.into_bytes(), row.try_get(1)?));
    }
    trees.push((REGISTRIES, registries));
    let mut schemas = Vec::new();
    for row in rows("SELECT registry, name, record FROM schemas").fetch_all(&mut *tx).await? {
        schemas.push((schema_key(row.try_get(0)?, row.try_get(1)?), row.try_get(2)?));
    }
    trees.push((SCHEMAS, schemas));
    let mut versions = Vec::new();
    let mut id_versions = Vec::new();
    for row in
        rows("SELECT registry, schema, version, schema_id, record FROM versions").fetch_all(&mut *tx).await?
    {
        let key = version_key(row.try_get(0)?, row.try_get(1)?, number(row.try_get(2)?));
        if let Some(id) = row.try_get::<Option<i32>, _>(3)? {
            let mut index = be(id);
            index.extend_from_slice(&key);
            id_versions.push((index, Vec::new()));
        }
        versions.push((key, row.try_get(4)?));
    }
    trees.push((VERSIONS, versions));
    let mut counters = Vec::new();
    for row in rows("SELECT registry, schema, next_version FROM version_counters").fetch_all(&mut *tx).await?
    {
        counters.push((schema_key(row.try_get(0)?, row.try_get(1)?), be(row.try_get(2)?)));
    }
    trees.push((COUNTERS, counters));
    let mut referrers = Vec::new();
    for row in rows(
        "SELECT target_registry, target_schema, target_version, registry, schema, version FROM referrers",
    )
    .fetch_all(&mut *tx)
    .await?
    {
        let target = version_key(row.try_get(0)?, row.try_get(1)?, number(row.try_get(2)?));
        let referrer = version_key(row.try_get(3)?, row.try_get(4)?, number(row.try_get(5)?));
        referrers.push((referrer_key(&target, &referrer), Vec::new()));
    }
    trees.push((REFERRERS, referrers));
    let mut configs = Vec::new();
    for row in rows("SELECT registry, schema, record FROM configs").fetch_all(&mut *tx).await? {
        configs.push((keyed(row.try_get(0)?, row.try_get(1)?), row.try_get(2)?));
    }
    trees.push((CONFIGS, configs));
    let mut ids = Vec::new();
    for row in rows("SELECT id, identity FROM schema_ids").fetch_all(&mut *tx).await? {
        let (id, identity): (i32, Vec<u8>) = (row.try_get(0)?, row.try_get(1)?);
        let mut content = vec![b'c'];
        content.extend_from_slice(&identity);
        ids.push((content, be(id)));
        let mut by_id = vec![b'i'];
        by_id.extend_from_slice(&be(id));
        ids.push((by_id, identity));
    }
    // The embedded store writes its id counter with the first id it gives out.
    if !ids.is_empty() {
        let next: i32 =
            sqlx::query_scalar("SELECT next_id FROM schema_id_counter").fetch_one(&mut *tx).await?;
        ids.push((b"n".to_vec(), be(next)));
    }
    trees.push((SCHEMA_IDS, ids));
    trees.push((SCHEMA_ID_VERSIONS, id_versions));
    let mut modes = Vec::new();
    for row in rows("SELECT registry, schema, record FROM modes").fetch_all(&mut *tx).await? {
        modes.push((keyed(row.try_get(0)?, row.try_get(1)?), row.try_get(2)?));
    }
    trees.push((MODES, modes));
    let mut keys = Vec::new();
    for row in rows("SELECT digest, record FROM api_keys").fetch_all(&mut *tx).await? {
        keys.push((row.try_get(0)?, row.try_get(1)?));
    }
    trees.push((API_KEYS, keys));
    let mut credentials = Vec::new();
    for row in rows("SELECT access_key_id, record FROM aws_credentials").fetch_all(&mut *tx).await? {
        credentials.push((row.try_get::<String, _>(0)?.into_bytes(), row.try_get(1)?));
    }
    trees.push((AWS_CREDENTIALS, credentials));
    let mut audit = Vec::new();
    for row in rows("SELECT id, record FROM audit").fetch_all(&mut *tx).await? {
        let id: i64 = row.try_get(0)?;
        audit.push((id.to_be_bytes().to_vec(), row.try_get(1)?));
    }
    trees.push((AUDIT, audit));
    let mut control: Vec<(&'static str, TreeEntries)> =
        Collection::ALL.iter().map(|c| (c.name(), Vec::new())).collect();
    for row in rows("SELECT collection, key, value FROM control_records").fetch_all(&mut *tx).await? {
        let name: String = row.try_get(0)?;
        // Collection::ALL's order is `control`'s.
        let Some(index) = Collection::ALL.iter().position(|c| c.name() == name) else {
            return Err(StorageError::Transfer(format!(
                "the database holds control-plane records of a collection this release does not know: {name}"
            )));
        };
        control[index].1.push((row.try_get(1)?, row.try_get(2)?));
    }
    trees.extend(control);
    tx.commit().await?;
    for (_, entries) in &mut trees {
        entries.sort();
    }
    Ok(trees)
}

fn malformed(tree: &str, key: &[u8]) -> StorageError {
    StorageError::Transfer(format!("a {tree} key does not have the embedded store's layout: {key:?}"))
}

/// `registry 0x00 schema` → names.
fn split_schema(tree: &str, key: &[u8]) -> Result<(String, String), StorageError> {
    let text = std::str::from_utf8(key).map_err(|_| malformed(tree, key))?;
    let (registry, schema) = text.split_once('\0').ok_or_else(|| malformed(tree, key))?;
    Ok((registry.to_owned(), schema.to_owned()))
}

/// `(registry, schema, version)` as the tables store it.
type StoredVersion = (String, String, i32);

/// `registry 0x00 schema 0x00 u32be` → names and number.
fn split_version(tree: &str, key: &[u8]) -> Result<StoredVersion, StorageError> {
    let cut = key.len().checked_sub(5).filter(|c| key[*c] == 0).ok_or_else(|| malformed(tree, key))?;
    let (registry, schema) = split_schema(tree, &key[..cut])?;
    let version = u32::from_be_bytes(key[cut + 1..].try_into().map_err(|_| malformed(tree, key))?);
    Ok((registry, schema, int(version)?))
}

fn be_u32(tree: &str, bytes: &[u8]) -> Result<i32, StorageError> {
    int(u32::from_be_bytes(bytes.try_into().map_err(|_| malformed(tree, bytes))?))
}

/// `registry` or `registry 0x00 schema` → names (`""` for the registry's own).
fn split_keyed(tree: &str, key: &[u8]) -> Result<(String, String), StorageError> {
    if key.contains(&0) {
        split_schema(tree, key)
    } else {
        Ok((String::from_utf8(key.to_vec()).map_err(|_| malformed(tree, key))?, String::new()))
    }
}

/// `target-key 0x01 referrer-key` → both versions. The target key ends in 4 number bytes
/// after its second 0x00 (names hold no 0x00), so the separator is the first 0x01 five
/// bytes after a 0x00 that leaves a whole version key before it.
fn split_referrer(key: &[u8]) -> Result<(StoredVersion, StoredVersion), StorageError> {
    let cut = (5..key.len())
        .find(|i| key[*i] == 1 && key[*i - 5] == 0 && split_version(REFERRERS, &key[..*i]).is_ok())
        .ok_or_else(|| malformed(REFERRERS, key))?;
    Ok((split_version(REFERRERS, &key[..cut])?, split_version(REFERRERS, &key[cut + 1..])?))
}

/// Writes the shared trees of an export into an empty database, in one transaction, and
/// tells running instances to reload.
///
/// # Errors
/// The database already holds a registry, key, audit or control-plane record, a key does
/// not have the embedded store's layout, or the database fails.
pub async fn write_trees(pool: &PgPool, trees: &[(&str, TreeEntries)]) -> Result<u64, StorageError> {
    let mut tx = pool.begin().await?;
    let held: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM registries) + (SELECT count(*) FROM versions)
              + (SELECT count(*) FROM schema_ids) + (SELECT count(*) FROM api_keys)
              + (SELECT count(*) FROM audit) + (SELECT count(*) FROM control_records)",
    )
    .fetch_one(&mut *tx)
    .await?;
    if held > 0 {
        return Err(StorageError::Transfer(
            "the database already holds registry, key, audit or control-plane records: import into a new database"
                .to_owned(),
        ));
    }
    // Versions first in spirit, but the foreign keys only bind referrers: insert in an
    // order that satisfies them.
    let order = [
        REGISTRIES,
        SCHEMAS,
        VERSIONS,
        COUNTERS,
        CONFIGS,
        MODES,
        SCHEMA_IDS,
        REFERRERS,
        SCHEMA_ID_VERSIONS,
        API_KEYS,
        AWS_CREDENTIALS,
        AUDIT,
    ];
    let mut written = 0u64;
    for tree in order.into_iter().chain(Collection::ALL.map(Collection::name)) {
        let Some((_, entries)) = trees.iter().find(|(name, _)| *name == tree) else { continue };
        for (key, value) in entries {
            insert(&mut tx, tree, key, value).await?;
            written += 1;
        }
    }
    // New audit records get ids after the imported ones, and every instance reloads
    // the keys it holds.
    sqlx::query("SELECT setval('audit_ids', GREATEST((SELECT max(id) FROM audit), nextval('audit_ids')))")
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE access_generation SET generation = generation + 1").execute(&mut *tx).await?;
    // Delivered at commit: instances already serving the database load what came in.
    super::writes::notify(&mut tx, IMPORT_SENDER, &Scope::All).await?;
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(super::control::CHANNEL)
        .bind(IMPORT_NOTICE)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(written)
}

async fn insert(
    tx: &mut sqlx::PgConnection,
    tree: &str,
    key: &[u8],
    value: &[u8],
) -> Result<(), StorageError> {
    if let Some(collection) = Collection::from_name(tree) {
        sqlx::query("INSERT INTO control_records (collection, key, value) VALUES ($1, $2, $3)")
            .bind(collection.name())
            .bind(key)
            .bind(value)
            .execute(tx)
            .await?;
        return Ok(());
    }
    match tree {
        REGISTRIES => {
            let name = std::str::from_utf8(key).map_err(|_| malformed(tree, key))?;
            sqlx::query("INSERT INTO registries (name, record) VALUES ($1, $2)")
                .bind(name)
                .bind(value)
                .execute(tx)
                .await?;
        }
        SCHEMAS => {
            let (r, s) = split_schema(tree, key)?;
            sqlx::query("INSERT INTO schemas (registry, name, record) VALUES ($1, $2, $3)")
                .bind(r)
                .bind(s)
                .bind(value)
                .execute(tx)
                .await?;
        }
        VERSIONS => {
            let (r, s, v) = split_version(tree, key)?;
            let record: crate::model::VersionRecord = crate::storage::codec::decode(key, value)?;
            sqlx::query("INSERT INTO versions (registry, schema, version, schema_id, record) VALUES ($1, $2, $3, $4, $5)")
                .bind(r)
                .bind(s)
                .bind(v)
                .bind(record.id.map(int).transpose()?)
                .bind(value)
                .execute(tx)
                .await?;
        }
        COUNTERS => {
            let (r, s) = split_schema(tree, key)?;
            sqlx::query("INSERT INTO version_counters (registry, schema, next_version) VALUES ($1, $2, $3)")
                .bind(r)
                .bind(s)
                .bind(be_u32(tree, value)?)
                .execute(tx)
                .await?;
        }
        CONFIGS | MODES => {
            let (r, s) = split_keyed(tree, key)?;
            let table = if tree == CONFIGS { "configs" } else { "modes" };
            sqlx::query(&format!("INSERT INTO {table} (registry, schema, record) VALUES ($1, $2, $3)"))
                .bind(r)
                .bind(s)
                .bind(value)
                .execute(tx)
                .await?;
        }
        SCHEMA_IDS => match key.split_first() {
            Some((b'c', identity)) => {
                sqlx::query("INSERT INTO schema_ids (id, identity) VALUES ($1, $2)")
                    .bind(be_u32(tree, value)?)
                    .bind(identity)
                    .execute(tx)
                    .await?;
            }
            // The reverse index is the same rows read the other way.
            Some((b'i', _)) => {}
            Some((b'n', [])) => {
                sqlx::query("UPDATE schema_id_counter SET next_id = $1")
                    .bind(be_u32(tree, value)?)
                    .execute(tx)
                    .await?;
            }
            _ => return Err(malformed(tree, key)),
        },
        REFERRERS => {
            // `target-key 0x01 referrer-key`: the target key ends in 4 number bytes after
            // a 0x00, so the 0x01 separator sits right after the first such tail.
            let ((tr, ts, tv), (r, s, v)) = split_referrer(key)?;
            sqlx::query(
                "INSERT INTO referrers (target_registry, target_schema, target_version, registry, schema, version)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(tr)
            .bind(ts)
            .bind(tv)
            .bind(r)
            .bind(s)
            .bind(v)
            .execute(tx)
            .await?;
        }
        // Rebuilt from the versions' ids.
        SCHEMA_ID_VERSIONS => {}
        API_KEYS => {
            let record: crate::model::KeyRecord = crate::storage::codec::decode(key, value)?;
            sqlx::query("INSERT INTO api_keys (digest, name, record) VALUES ($1, $2, $3)")
                .bind(key)
                .bind(record.name)
                .bind(value)
                .execute(tx)
                .await?;
        }
        AWS_CREDENTIALS => {
            let record: crate::model::AwsCredentialRecord = crate::storage::codec::decode(key, value)?;
            sqlx::query("INSERT INTO aws_credentials (access_key_id, key_name, record) VALUES ($1, $2, $3)")
                .bind(record.access_key_id)
                .bind(record.key_name)
                .bind(value)
                .execute(tx)
                .await?;
        }
        AUDIT => {
            let id = i64::from_be_bytes(key.try_into().map_err(|_| malformed(tree, key))?);
            sqlx::query("INSERT INTO audit (id, record) VALUES ($1, $2)")
                .bind(id)
                .bind(value)
                .execute(tx)
                .await?;
        }
        _ => return Err(StorageError::Transfer(format!("tree {tree} is not one the database holds"))),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referrer_keys_split_whatever_bytes_the_version_numbers_hold() {
        // Numbers whose bytes are 0x00 and 0x01, names of one character.
        for (target, referrer) in [(1, 1), (256, 1), (1, 0x0101_0100), (0x0100_0001, 65_536)] {
            let key = referrer_key(&version_key("r", "a", target), &version_key("s", "b", referrer));
            let ((tr, ts, tv), (r, s, v)) = split_referrer(&key).unwrap();
            assert_eq!((tr.as_str(), ts.as_str(), tv), ("r", "a", int(target).unwrap()));
            assert_eq!((r.as_str(), s.as_str(), v), ("s", "b", int(referrer).unwrap()));
        }
        assert!(split_referrer(b"no separators").is_err());
    }

    #[test]
    fn configuration_keys_name_a_registry_or_one_of_its_schemas() {
        assert_eq!(split_keyed(CONFIGS, b"shop").unwrap(), ("shop".to_owned(), String::new()));
        assert_eq!(
            split_keyed(CONFIGS, &schema_key("shop", "orders")).unwrap(),
            ("shop".to_owned(), "orders".to_owned())
        );
        assert_eq!(keyed("shop", ""), b"shop".to_vec());
    }
}
