//! Typed access to the `buses` and `rules` trees. Rules are keyed `bus 0x00 rule`, so a
//! bus's rules are one prefix scan.
//!
//! Bus records are read on every PutEvents request, so they are cached decoded. Every
//! write to the `buses` tree, and every fill of the cache, happens under the cache's write
//! lock, so a reader can never put back a record older than the last write.

use std::sync::PoisonError;

use super::codec::{decode, encode, registry_prefix, schema_key};
use super::{StorageError, Store};
use crate::model::{BusRecord, RuleRecord};

impl Store {
    /// The bus, if it exists.
    pub(crate) fn get_bus(&self, name: &str) -> Result<Option<BusRecord>, StorageError> {
        if let Some(cached) = self.bus_cache.read().unwrap_or_else(PoisonError::into_inner).get(name) {
            return Ok(Some(cached.clone()));
        }
        let mut cache = self.bus_cache.write().unwrap_or_else(PoisonError::into_inner);
        let record: Option<BusRecord> =
            self.buses.get(name.as_bytes())?.map(|v| decode(name.as_bytes(), &v)).transpose()?;
        // Only existing buses are cached: unknown names must not grow memory.
        if let Some(record) = &record {
            cache.insert(name.to_owned(), record.clone());
        }
        Ok(record)
    }

    /// Inserts a bus unless one of that name exists. Returns false when it exists.
    pub(crate) fn create_bus(&self, record: &BusRecord) -> Result<bool, StorageError> {
        self.room()?;
        let mut cache = self.bus_cache.write().unwrap_or_else(PoisonError::into_inner);
        let swapped =
            self.buses.compare_and_swap(record.name.as_bytes(), None::<&[u8]>, Some(encode(record)))?;
        self.wrote();
        cache.remove(&record.name);
        Ok(swapped.is_ok())
    }

    /// Replaces a bus's record.
    pub(crate) fn put_bus(&self, record: &BusRecord) -> Result<(), StorageError> {
        self.room()?;
        let mut cache = self.bus_cache.write().unwrap_or_else(PoisonError::into_inner);
        self.buses.insert(record.name.as_bytes(), encode(record))?;
        self.wrote();
        cache.insert(record.name.clone(), record.clone());
        Ok(())
    }

    /// Deletes a bus and its rules (single-key removes: a half-done delete leaves
    /// orphan rules that the next delete or startup ignores, never a broken bus).
    pub(crate) fn delete_bus(&self, name: &str) -> Result<bool, StorageError> {
        self.room()?;
        for rule in self.list_rules(name)? {
            self.rules.remove(schema_key(name, &rule.name))?;
        }
        let mut cache = self.bus_cache.write().unwrap_or_else(PoisonError::into_inner);
        let existed = self.buses.remove(name.as_bytes())?.is_some();
        self.wrote();
        cache.remove(name);
        Ok(existed)
    }

    /// Every bus, in name order.
    pub(crate) fn list_buses(&self) -> Result<Vec<BusRecord>, StorageError> {
        self.buses.iter().map(|e| e.map_err(StorageError::from).and_then(|(k, v)| decode(&k, &v))).collect()
    }

    /// The rule, if it exists.
    pub(crate) fn get_rule(&self, bus: &str, rule: &str) -> Result<Option<RuleRecord>, StorageError> {
        let key = schema_key(bus, rule);
        self.rules.get(&key)?.map(|v| decode(&key, &v)).transpose()
    }

    /// Creates or replaces a rule.
    pub(crate) fn put_rule(&self, record: &RuleRecord) -> Result<(), StorageError> {
        self.room()?;
        self.rules.insert(schema_key(&record.bus, &record.name), encode(record))?;
        self.wrote();
        Ok(())
    }

    /// Deletes a rule. Returns whether it existed.
    pub(crate) fn delete_rule(&self, bus: &str, rule: &str) -> Result<bool, StorageError> {
        self.room()?;
        let existed = self.rules.remove(schema_key(bus, rule))?.is_some();
        self.wrote();
        Ok(existed)
    }

    /// A bus's rules, in name order.
    pub(crate) fn list_rules(&self, bus: &str) -> Result<Vec<RuleRecord>, StorageError> {
        self.rules
            .scan_prefix(registry_prefix(bus))
            .map(|e| e.map_err(StorageError::from).and_then(|(k, v)| decode(&k, &v)))
            .collect()
    }
}
