//! Discovery on live traffic: per-bus settings, per-type inference state, hints per
//! discovered schema, and the drift findings already reported. Values are opaque JSON
//! owned by `crate::discovery`; every write is a single-key insert.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::codec::{decode, encode, registry_prefix, schema_key};
use super::{StorageError, Store};

fn get<T: DeserializeOwned>(tree: &sled::Tree, key: &[u8]) -> Result<Option<T>, StorageError> {
    tree.get(key)?.map(|v| decode(key, &v)).transpose()
}

impl Store {
    fn put_discovery<T: Serialize>(
        &self,
        tree: &sled::Tree,
        key: &[u8],
        value: &T,
    ) -> Result<(), StorageError> {
        self.room()?;
        tree.insert(key, encode(value))?;
        self.wrote();
        Ok(())
    }

    /// Discovery settings of a bus.
    pub(crate) fn get_discovery_config<T: DeserializeOwned>(
        &self,
        bus: &str,
    ) -> Result<Option<T>, StorageError> {
        get(&self.discovery_configs, bus.as_bytes())
    }

    /// Stores the discovery settings of a bus.
    pub(crate) fn put_discovery_config<T: Serialize>(
        &self,
        bus: &str,
        config: &T,
    ) -> Result<(), StorageError> {
        self.put_discovery(&self.discovery_configs, bus.as_bytes(), config)
    }

    /// Every bus's discovery settings, by bus name.
    pub(crate) fn list_discovery_configs<T: DeserializeOwned>(
        &self,
    ) -> Result<Vec<(String, T)>, StorageError> {
        let mut out = Vec::new();
        for item in &self.discovery_configs {
            let (k, v) = item?;
            out.push((String::from_utf8_lossy(&k).into_owned(), decode(&k, &v)?));
        }
        Ok(out)
    }

    /// The discovery state of an event type.
    pub(crate) fn get_discovery_type<T: DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Option<T>, StorageError> {
        get(&self.discovery_types, name.as_bytes())
    }

    /// Stores the discovery state of an event type.
    pub(crate) fn put_discovery_type<T: Serialize>(&self, name: &str, state: &T) -> Result<(), StorageError> {
        self.put_discovery(&self.discovery_types, name.as_bytes(), state)
    }

    /// The hints of a discovered schema.
    pub(crate) fn get_discovery_hints<T: DeserializeOwned>(
        &self,
        schema: &str,
    ) -> Result<Option<T>, StorageError> {
        get(&self.discovery_hints, schema.as_bytes())
    }

    /// Stores the hints of a discovered schema.
    pub(crate) fn put_discovery_hints<T: Serialize>(
        &self,
        schema: &str,
        hints: &T,
    ) -> Result<(), StorageError> {
        self.put_discovery(&self.discovery_hints, schema.as_bytes(), hints)
    }

    /// Drift findings already reported for an event type on a bus.
    pub(crate) fn get_discovery_drift<T: DeserializeOwned>(
        &self,
        bus: &str,
        name: &str,
    ) -> Result<Option<T>, StorageError> {
        get(&self.discovery_drift, &schema_key(bus, name))
    }

    /// Every event type of a bus with the drift findings reported for it, in name order.
    pub(crate) fn list_discovery_drift<T: DeserializeOwned>(
        &self,
        bus: &str,
    ) -> Result<Vec<(String, T)>, StorageError> {
        let prefix = registry_prefix(bus);
        let mut out = Vec::new();
        for item in self.discovery_drift.scan_prefix(&prefix) {
            let (key, value) = item?;
            let name = String::from_utf8_lossy(&key[prefix.len()..]).into_owned();
            out.push((name, decode(&key, &value)?));
        }
        Ok(out)
    }

    /// Stores the drift findings reported for an event type on a bus.
    pub(crate) fn put_discovery_drift<T: Serialize>(
        &self,
        bus: &str,
        name: &str,
        reported: &T,
    ) -> Result<(), StorageError> {
        self.put_discovery(&self.discovery_drift, &schema_key(bus, name), reported)
    }
}
