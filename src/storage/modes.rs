//! Confluent registry modes (READWRITE, READONLY, IMPORT) per registry (key `registry`)
//! and per schema (key `registry 0x00 schema`), in their own tree so that removing a
//! compatibility configuration never touches a mode. Values are the mode's name as JSON.

use super::codec::{decode, encode, schema_key};
use super::{StorageError, Store};

fn key(registry: &str, schema: Option<&str>) -> Vec<u8> {
    match schema {
        Some(s) => schema_key(registry, s),
        None => registry.as_bytes().to_vec(),
    }
}

impl Store {
    /// The mode set on a registry (`schema = None`) or schema, if any.
    pub(crate) fn get_mode(
        &self,
        registry: &str,
        schema: Option<&str>,
    ) -> Result<Option<String>, StorageError> {
        let k = key(registry, schema);
        self.modes.get(&k)?.map(|v| decode(&k, &v)).transpose()
    }

    /// Sets (`Some`) or removes (`None`) a mode.
    pub(crate) fn put_mode(
        &self,
        registry: &str,
        schema: Option<&str>,
        mode: Option<&str>,
    ) -> Result<(), StorageError> {
        self.room()?;
        let k = key(registry, schema);
        match mode {
            Some(m) => self.modes.insert(k, encode(&m))?,
            None => self.modes.remove(k)?,
        };
        self.wrote();
        Ok(())
    }

    /// Removes the compatibility configuration of exactly one registry or schema.
    pub(crate) fn remove_config(&self, registry: &str, schema: Option<&str>) -> Result<(), StorageError> {
        self.room()?;
        self.configs.remove(key(registry, schema))?;
        self.wrote();
        Ok(())
    }
}
