//! Global integer schema ids (the ids of the Confluent-compatible API and its wire
//! format) and the index from an id to the versions holding it.
//!
//! The `schema_ids` tree holds three kinds of keys: `c` + identity → id (so the same
//! content gets the same id in every registry), `i` + id → identity (so an imported id
//! cannot be given to other content), and `n` → the next id to hand out. Entries are
//! never removed: an id keeps meaning the same content for ever, even after every version
//! holding it was deleted. `schema_id_versions` maps `id (u32be) version-key` → nothing.

use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::codec::{decode, encode, version_key};
use super::{IdRefusal, StorageError, Store};
use crate::model::VersionRecord;

const NEXT_KEY: &[u8] = b"n";

/// What makes two versions "the same schema" for ids: canonical content, the draft it
/// is read with, and the names its references use (with their targets).
pub(crate) fn identity(record: &VersionRecord) -> Vec<u8> {
    let names = serde_json::to_string(&record.ref_names).unwrap_or_default();
    format!("{}\0{}\0{names}", record.fingerprint, record.draft).into_bytes()
}

fn content_key(identity: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(identity.len() + 1);
    key.push(b'c');
    key.extend_from_slice(identity);
    key
}

fn id_key(id: u32) -> Vec<u8> {
    let mut key = vec![b'i'];
    key.extend_from_slice(&id.to_be_bytes());
    key
}

/// Key in `schema_id_versions`.
pub(crate) fn id_version_key(id: u32, version_key: &[u8]) -> Vec<u8> {
    let mut key = id.to_be_bytes().to_vec();
    key.extend_from_slice(version_key);
    key
}

fn be_u32(bytes: &[u8]) -> Option<u32> {
    <[u8; 4]>::try_from(bytes).ok().map(u32::from_be_bytes)
}

/// The id of `identity` inside a transaction: its existing id, else `wanted` (imports)
/// or the next free one. `Err(Ok(refusal))` when an imported id cannot be used.
pub(crate) fn assign_in_txn(
    ids: &TransactionalTree,
    identity: &[u8],
    wanted: Option<u32>,
) -> Result<Result<u32, IdRefusal>, ConflictableTransactionError<StorageError>> {
    let ckey = content_key(identity);
    if let Some(existing) = ids.get(&ckey)?.as_deref().and_then(be_u32) {
        return Ok(match wanted {
            Some(w) if w != existing => Err(IdRefusal::ContentHasId(existing)),
            _ => Ok(existing),
        });
    }
    let next = ids.get(NEXT_KEY)?.as_deref().and_then(be_u32).unwrap_or(1);
    let id = match wanted {
        Some(w) => {
            if ids.get(id_key(w))?.is_some() {
                return Ok(Err(IdRefusal::IdTaken(w)));
            }
            w
        }
        None => next,
    };
    ids.insert(NEXT_KEY, &next.max(id.saturating_add(1)).to_be_bytes())?;
    ids.insert(ckey.as_slice(), &id.to_be_bytes())?;
    ids.insert(id_key(id), identity)?;
    Ok(Ok(id))
}

impl Store {
    /// `(registry, schema, version)` of every stored version holding `id`, in key order.
    pub(crate) fn versions_with_id(&self, id: u32) -> Result<Vec<(String, String, u32)>, StorageError> {
        let prefix = id.to_be_bytes();
        let mut found = Vec::new();
        for key in self.id_versions.scan_prefix(prefix).keys() {
            let key = key?;
            let vkey = &key[4..];
            if let Some((registry, schema, version)) = split_version_key(vkey) {
                found.push((registry, schema, version));
            }
        }
        Ok(found)
    }

    /// Gives an id to every stored version without one (versions stored before ids
    /// existed). Runs at startup; returns how many were given one.
    pub(crate) fn backfill_schema_ids(&self) -> Result<usize, StorageError> {
        let mut done = 0;
        for entry in self.versions.iter() {
            let (key, value) = entry?;
            let record: VersionRecord = decode(&key, &value)?;
            if record.id.is_some() {
                continue;
            }
            self.room()?;
            let identity = identity(&record);
            let result = self.in_commit(|| {
                use sled::transaction::Transactional;
                (&self.versions, &self.schema_ids, &self.id_versions).transaction(|(versions, ids, index)| {
                    let Ok(id) = assign_in_txn(ids, &identity, None)? else { return Ok(()) };
                    let mut updated = record.clone();
                    updated.id = Some(id);
                    versions.insert(&*key, encode(&updated))?;
                    index.insert(id_version_key(id, &key), &[])?;
                    Ok(())
                })
            });
            super::schemas::flatten_txn(result)?;
            done += 1;
        }
        Ok(done)
    }

    /// The version keys referencing a version, as `(registry, schema, version)`.
    pub(crate) fn referrers_of(
        &self,
        registry: &str,
        schema: &str,
        version: u32,
    ) -> Result<Vec<(String, String, u32)>, StorageError> {
        let target = version_key(registry, schema, version);
        let prefix = super::codec::referrers_prefix(&target);
        let mut found = Vec::new();
        for key in self.referrers.scan_prefix(&prefix).keys() {
            let key = key?;
            if let Some(v) = split_version_key(&key[prefix.len()..]) {
                found.push(v);
            }
        }
        Ok(found)
    }
}

/// Splits `registry 0x00 schema 0x00 u32be`.
fn split_version_key(key: &[u8]) -> Option<(String, String, u32)> {
    let version = super::codec::version_of_key(key)?;
    let names = key.get(..key.len().checked_sub(5)?)?;
    let mut parts = names.splitn(2, |b| *b == 0);
    let registry = String::from_utf8(parts.next()?.to_vec()).ok()?;
    let schema = String::from_utf8(parts.next()?.to_vec()).ok()?;
    Some((registry, schema, version))
}
