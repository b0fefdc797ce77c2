//! Typed access to schemas, their versions, the version counters and the referrers index.
//!
//! Version numbers come from the `version_counters` tree, which is never pruned, so a
//! number is never handed out twice, even after its schema or registry was deleted.
//! Callers serialise deletions against registrations (see `registry::RegistryService`),
//! because sled transactions cannot scan.

use std::ops::Bound;

use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

use super::codec::{
    decode, encode, referrer_key, referrers_prefix, registry_prefix, schema_key, version_key, version_of_key,
    versions_prefix,
};
use super::registry_store::{DeleteOutcome, NewVersion, Page, RegisterOutcome};
use super::schema_ids::{assign_in_txn, id_version_key, identity};
use super::{StorageError, Store};
use crate::model::{SchemaRecord, VersionRecord};

/// The id identity of a stored record (the same function as for new ones).
fn identity_of_stored(record: &VersionRecord) -> Vec<u8> {
    identity(record)
}

fn abort<T>(e: StorageError) -> Result<T, ConflictableTransactionError<StorageError>> {
    Err(ConflictableTransactionError::Abort(e))
}

pub(super) fn flatten_txn<T>(r: Result<T, TransactionError<StorageError>>) -> Result<T, StorageError> {
    r.map_err(|e| match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StorageError::Sled(e),
    })
}

/// Human form of a version key: `registry/schema/version`.
fn describe_version_key(key: &[u8]) -> String {
    let version = version_of_key(key).unwrap_or(0);
    let names = &key[..key.len().saturating_sub(5)];
    format!("{}/{version}", String::from_utf8_lossy(names).replace('\0', "/"))
}

impl Store {
    /// The schema, if it exists.
    pub(crate) fn get_schema(
        &self,
        registry: &str,
        schema: &str,
    ) -> Result<Option<SchemaRecord>, StorageError> {
        let key = schema_key(registry, schema);
        self.schemas.get(&key)?.map(|v| decode(&key, &v)).transpose()
    }

    /// Replaces a schema's record (metadata edits).
    pub(crate) fn put_schema(&self, record: &SchemaRecord) -> Result<(), StorageError> {
        self.room()?;
        self.schemas.insert(schema_key(&record.registry, &record.name), encode(record))?;
        self.wrote();
        Ok(())
    }

    /// Schemas of a registry in name order, starting with `prefix`, after `after`.
    pub(crate) fn list_schemas(
        &self,
        registry: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<SchemaRecord>, StorageError> {
        let base = registry_prefix(registry);
        let full_prefix = schema_key(registry, prefix);
        let start = match after {
            Some(a) if a.as_bytes() >= prefix.as_bytes() => Bound::Excluded(schema_key(registry, a)),
            _ => Bound::Included(full_prefix.clone()),
        };
        let mut items = Vec::new();
        let mut more = false;
        for entry in self.schemas.range((start, Bound::Unbounded)) {
            let (key, value) = entry?;
            if !key.starts_with(&full_prefix) || !key.starts_with(&base) {
                break;
            }
            if items.len() == limit {
                more = true;
                break;
            }
            items.push(decode::<SchemaRecord>(&key, &value)?);
        }
        let next = if more { items.last().map(|s| s.name.clone()) } else { None };
        Ok((items, next))
    }

    /// Every schema of a registry (or of all registries), for search.
    pub(crate) fn all_schemas(&self, registry: Option<&str>) -> Result<Vec<SchemaRecord>, StorageError> {
        let iter = match registry {
            Some(r) => self.schemas.scan_prefix(registry_prefix(r)),
            None => self.schemas.iter(),
        };
        iter.map(|entry| {
            let (key, value) = entry?;
            decode(&key, &value)
        })
        .collect()
    }

    /// Number of schemas in a registry.
    pub(crate) fn schema_count(&self, registry: &str) -> usize {
        self.schemas.scan_prefix(registry_prefix(registry)).count()
    }

    /// A version, if it exists.
    pub(crate) fn get_version(
        &self,
        registry: &str,
        schema: &str,
        version: u32,
    ) -> Result<Option<VersionRecord>, StorageError> {
        let key = version_key(registry, schema, version);
        self.versions.get(&key)?.map(|v| decode(&key, &v)).transpose()
    }

    /// Every version of a schema, oldest first.
    pub(crate) fn list_versions(
        &self,
        registry: &str,
        schema: &str,
    ) -> Result<Vec<VersionRecord>, StorageError> {
        self.versions
            .scan_prefix(versions_prefix(registry, schema))
            .map(|entry| {
                let (key, value) = entry?;
                decode(&key, &value)
            })
            .collect()
    }

    /// Registers a version atomically: assigns the next number, stores the version,
    /// updates the schema record (creating it for a first version) and indexes references.
    /// Content equal to the latest version's (same fingerprint) stores nothing.
    pub(crate) fn register_version(&self, new: &NewVersion) -> Result<RegisterOutcome, StorageError> {
        self.room()?;
        let skey = schema_key(&new.registry, &new.schema);
        let identity = identity(&new.record);
        let reference_keys: Vec<Vec<u8>> = new
            .record
            .references
            .iter()
            .filter_map(|u| crate::registry::refs::version_key_of_uri(u))
            .collect();
        let result = self.in_commit(|| {
            (
                &self.schemas,
                &self.versions,
                &self.counters,
                &self.referrers,
                &self.schema_ids,
                &self.id_versions,
            )
                .transaction(|(schemas, versions, counters, referrers, ids, id_index)| {
                    let existing: Option<SchemaRecord> = match schemas.get(&skey)? {
                        Some(bytes) => match decode(&skey, &bytes) {
                            Ok(r) => Some(r),
                            Err(e) => return abort(e),
                        },
                        None => None,
                    };
                    let current = existing.as_ref().and_then(|s| s.latest_version);
                    if current != new.expected_latest {
                        return Ok(RegisterOutcome::Conflict { latest: current });
                    }
                    if let Some(latest) = current
                        && new.import_version.is_none()
                    {
                        let lkey = version_key(&new.registry, &new.schema, latest);
                        if let Some(bytes) = versions.get(&lkey)? {
                            let latest_record: VersionRecord = match decode(&lkey, &bytes) {
                                Ok(r) => r,
                                Err(e) => return abort(e),
                            };
                            if identity_of_stored(&latest_record) == identity {
                                return Ok(RegisterOutcome::Unchanged(latest_record));
                            }
                        }
                    }
                    let counter = match counters.get(&skey)? {
                        Some(bytes) => {
                            <[u8; 4]>::try_from(bytes.as_ref()).map(u32::from_be_bytes).unwrap_or(1)
                        }
                        None => 1,
                    };
                    let next = match new.import_version {
                        Some(v) => {
                            if versions.get(version_key(&new.registry, &new.schema, v))?.is_some() {
                                return Ok(RegisterOutcome::Refused(super::IdRefusal::VersionExists(v)));
                            }
                            v
                        }
                        None => counter,
                    };
                    let id = match assign_in_txn(ids, &identity, new.import_id)? {
                        Ok(id) => id,
                        Err(refusal) => return Ok(RegisterOutcome::Refused(refusal)),
                    };
                    counters.insert(skey.as_slice(), &counter.max(next.saturating_add(1)).to_be_bytes())?;
                    let mut record = new.record.clone();
                    record.version = next;
                    record.id = Some(id);
                    let vkey = version_key(&new.registry, &new.schema, next);
                    versions.insert(vkey.as_slice(), encode(&record))?;
                    id_index.insert(id_version_key(id, &vkey), &[])?;
                    for target in &reference_keys {
                        referrers.insert(referrer_key(target, &vkey), &[])?;
                    }
                    let schema_record = new.schema_after(existing, &record);
                    schemas.insert(skey.as_slice(), encode(&schema_record))?;
                    Ok(RegisterOutcome::Created(record))
                })
        });
        flatten_txn(result)
    }

    /// Referrers of `target` that are not among `ignoring` (keys that go away together).
    fn outside_referrers(&self, target: &[u8], ignoring: &[Vec<u8>]) -> Result<Vec<String>, StorageError> {
        let prefix = referrers_prefix(target);
        let mut found = Vec::new();
        for entry in self.referrers.scan_prefix(&prefix) {
            let (key, _) = entry?;
            let referrer = &key[prefix.len()..];
            if !ignoring.iter().any(|k| k.as_slice() == referrer) {
                found.push(describe_version_key(referrer));
            }
        }
        Ok(found)
    }

    /// Deletes a set of versions (all existing), refusing when something outside the set
    /// references one of them. `schema_updates` are schema records to write (or remove,
    /// when `None`) in the same transaction.
    fn delete_versions(
        &self,
        doomed: &[(Vec<u8>, VersionRecord)],
        schema_updates: &[(Vec<u8>, Option<SchemaRecord>)],
        registry_key: Option<&[u8]>,
    ) -> Result<DeleteOutcome, StorageError> {
        self.room()?;
        let doomed_keys: Vec<Vec<u8>> = doomed.iter().map(|(k, _)| k.clone()).collect();
        let mut referenced = Vec::new();
        for key in &doomed_keys {
            referenced.extend(self.outside_referrers(key, &doomed_keys)?);
        }
        if !referenced.is_empty() {
            referenced.sort();
            referenced.dedup();
            return Ok(DeleteOutcome::Referenced(referenced));
        }
        // Index entries in both directions: those pointing at doomed versions (all from
        // inside the set, checked above) and those the doomed versions made.
        let mut index_keys = Vec::new();
        for key in &doomed_keys {
            for entry in self.referrers.scan_prefix(referrers_prefix(key)) {
                index_keys.push(entry?.0.to_vec());
            }
        }
        let id_keys: Vec<Vec<u8>> =
            doomed.iter().filter_map(|(key, record)| record.id.map(|id| id_version_key(id, key))).collect();
        for (key, record) in doomed {
            for uri in &record.references {
                if let Some(target) = crate::registry::refs::version_key_of_uri(uri) {
                    index_keys.push(referrer_key(&target, key));
                }
            }
        }
        let result = self.in_commit(|| {
            (&self.schemas, &self.versions, &self.referrers, &self.registries, &self.id_versions).transaction(
                |(schemas, versions, referrers, registries, id_index)| {
                    for key in &doomed_keys {
                        versions.remove(key.as_slice())?;
                    }
                    for key in &id_keys {
                        id_index.remove(key.as_slice())?;
                    }
                    for key in &index_keys {
                        referrers.remove(key.as_slice())?;
                    }
                    for (key, update) in schema_updates {
                        match update {
                            Some(record) => schemas.insert(key.as_slice(), encode(record))?,
                            None => schemas.remove(key.as_slice())?,
                        };
                    }
                    if let Some(key) = registry_key {
                        registries.remove(key)?;
                    }
                    Ok(())
                },
            )
        });
        flatten_txn(result)?;
        Ok(DeleteOutcome::Deleted)
    }

    /// Deletes one version; the schema record's latest version and count follow.
    pub(crate) fn delete_version(
        &self,
        registry: &str,
        schema: &SchemaRecord,
        record: VersionRecord,
        now: &str,
    ) -> Result<DeleteOutcome, StorageError> {
        let vkey = version_key(registry, &schema.name, record.version);
        let latest = self.latest_live(registry, &schema.name, &[record.version])?;
        let mut updated = schema.clone();
        updated.latest_version = latest;
        updated.version_count = updated.version_count.saturating_sub(1);
        updated.updated_at = now.to_owned();
        let skey = schema_key(registry, &schema.name);
        self.delete_versions(&[(vkey, record)], &[(skey, Some(updated))], None)
    }

    /// The highest version that is not soft-deleted, leaving out `ignoring`.
    fn latest_live(
        &self,
        registry: &str,
        schema: &str,
        ignoring: &[u32],
    ) -> Result<Option<u32>, StorageError> {
        Ok(self
            .list_versions(registry, schema)?
            .into_iter()
            .filter(|v| !v.deleted && !ignoring.contains(&v.version))
            .map(|v| v.version)
            .max())
    }

    /// Soft-deletes versions (Confluent semantics): they stay stored and readable but
    /// leave `latest`; the schema record's latest version follows, in one transaction.
    pub(crate) fn soft_delete_versions(
        &self,
        registry: &str,
        schema: &SchemaRecord,
        numbers: &[u32],
        now: &str,
    ) -> Result<(), StorageError> {
        self.room()?;
        let mut updates = Vec::new();
        for n in numbers {
            if let Some(mut record) = self.get_version(registry, &schema.name, *n)? {
                record.deleted = true;
                updates.push((version_key(registry, &schema.name, *n), encode(&record)));
            }
        }
        let mut updated = schema.clone();
        updated.latest_version = self.latest_live(registry, &schema.name, numbers)?;
        updated.updated_at = now.to_owned();
        let skey = schema_key(registry, &schema.name);
        let result = self.in_commit(|| {
            (&self.schemas, &self.versions).transaction(|(schemas, versions)| {
                for (key, value) in &updates {
                    versions.insert(key.as_slice(), value.as_slice())?;
                }
                schemas.insert(skey.as_slice(), encode(&updated))?;
                Ok(())
            })
        });
        flatten_txn(result)
    }

    /// Deletes a schema and all its versions (its version counter stays).
    pub(crate) fn delete_schema(&self, registry: &str, schema: &str) -> Result<DeleteOutcome, StorageError> {
        let doomed = self.versions_with_keys(&versions_prefix(registry, schema))?;
        self.delete_versions(&doomed, &[(schema_key(registry, schema), None)], None)
    }

    /// Deletes a registry with all its schemas and versions.
    pub(crate) fn delete_registry(&self, registry: &str) -> Result<DeleteOutcome, StorageError> {
        let prefix = registry_prefix(registry);
        let doomed = self.versions_with_keys(&prefix)?;
        let schema_updates: Vec<(Vec<u8>, Option<SchemaRecord>)> = self
            .schemas
            .scan_prefix(&prefix)
            .keys()
            .map(|k| k.map(|k| (k.to_vec(), None)))
            .collect::<Result<_, _>>()?;
        self.delete_versions(&doomed, &schema_updates, Some(registry.as_bytes()))
    }

    fn versions_with_keys(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, VersionRecord)>, StorageError> {
        self.versions
            .scan_prefix(prefix)
            .map(|entry| {
                let (key, value) = entry?;
                Ok((key.to_vec(), decode(&key, &value)?))
            })
            .collect()
    }
}
