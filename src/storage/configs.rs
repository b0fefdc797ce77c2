//! Typed access to compatibility configuration: per registry (key `registry`) and per
//! schema (key `registry 0x00 schema`). Values are opaque JSON owned by the registry.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::codec::{decode, encode, registry_prefix, schema_key};
use super::{StorageError, Store};

fn key(registry: &str, schema: Option<&str>) -> Vec<u8> {
    match schema {
        Some(s) => schema_key(registry, s),
        None => registry.as_bytes().to_vec(),
    }
}

impl Store {
    /// The stored configuration of a registry (`schema = None`) or schema.
    pub(crate) fn get_config<T: DeserializeOwned>(
        &self,
        registry: &str,
        schema: Option<&str>,
    ) -> Result<Option<T>, StorageError> {
        let k = key(registry, schema);
        self.configs.get(&k)?.map(|v| decode(&k, &v)).transpose()
    }

    /// Stores a configuration.
    pub(crate) fn put_config<T: Serialize>(
        &self,
        registry: &str,
        schema: Option<&str>,
        config: &T,
    ) -> Result<(), StorageError> {
        self.room()?;
        self.configs.insert(key(registry, schema), encode(config))?;
        self.wrote();
        Ok(())
    }

    /// Removes the configuration of a schema, or of a registry and all its schemas.
    pub(crate) fn remove_configs(&self, registry: &str, schema: Option<&str>) -> Result<(), StorageError> {
        self.room()?;
        match schema {
            Some(s) => {
                self.configs.remove(schema_key(registry, s))?;
            }
            None => {
                self.configs.remove(registry.as_bytes())?;
                for k in self.configs.scan_prefix(registry_prefix(registry)).keys() {
                    self.configs.remove(k?)?;
                }
            }
        }
        self.wrote();
        Ok(())
    }
}
