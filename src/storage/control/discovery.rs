//! Discovery's documents, opaque JSON owned by `crate::discovery`: settings per bus (key:
//! bus), state per event type (key: `source@DetailType`), inference hints per schema
//! (key: schema name) and the drift already reported (key: `bus 0x00 type`).

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Collection, Control, Op};
use crate::storage::StorageError;
use crate::storage::codec::{encode, registry_prefix, schema_key};

impl Control {
    /// A bus's discovery settings.
    ///
    /// # Errors
    /// Storage failures (as for every method here).
    pub fn get_discovery_config<T: DeserializeOwned>(&self, bus: &str) -> Result<Option<T>, StorageError> {
        self.get_doc(Collection::DiscoveryConfigs, bus.as_bytes())
    }

    /// Every bus's discovery settings, by bus.
    ///
    /// # Errors
    /// Storage failures.
    pub fn list_discovery_configs<T: DeserializeOwned>(&self) -> Result<Vec<(String, T)>, StorageError> {
        self.scan_docs(Collection::DiscoveryConfigs, b"")
    }

    /// Stores a bus's discovery settings.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn put_discovery_config<T: Serialize>(
        &self,
        bus: &str,
        config: &T,
    ) -> Result<(), StorageError> {
        self.put_doc(Collection::DiscoveryConfigs, bus.as_bytes().to_vec(), config).await
    }

    /// An event type's discovery state.
    ///
    /// # Errors
    /// Storage failures.
    pub fn get_discovery_type<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, StorageError> {
        self.get_doc(Collection::DiscoveryTypes, name.as_bytes())
    }

    /// Stores an event type's discovery state.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn put_discovery_type<T: Serialize>(&self, name: &str, state: &T) -> Result<(), StorageError> {
        self.put_doc(Collection::DiscoveryTypes, name.as_bytes().to_vec(), state).await
    }

    /// Stores several event types' discovery states in one write.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn put_discovery_types<T: Serialize>(&self, states: &[(&str, &T)]) -> Result<(), StorageError> {
        let ops = states
            .iter()
            .map(|(name, state)| Op::Put {
                collection: Collection::DiscoveryTypes,
                key: name.as_bytes().to_vec(),
                value: encode(state),
            })
            .collect();
        self.store.apply(ops).await?;
        Ok(())
    }

    /// A schema's inference hints.
    ///
    /// # Errors
    /// Storage failures.
    pub fn get_discovery_hints<T: DeserializeOwned>(&self, schema: &str) -> Result<Option<T>, StorageError> {
        self.get_doc(Collection::DiscoveryHints, schema.as_bytes())
    }

    /// Stores a schema's inference hints.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn put_discovery_hints<T: Serialize>(
        &self,
        schema: &str,
        hints: &T,
    ) -> Result<(), StorageError> {
        self.put_doc(Collection::DiscoveryHints, schema.as_bytes().to_vec(), hints).await
    }

    /// The drift already reported for an event type on a bus.
    ///
    /// # Errors
    /// Storage failures.
    pub fn get_discovery_drift<T: DeserializeOwned>(
        &self,
        bus: &str,
        name: &str,
    ) -> Result<Option<T>, StorageError> {
        self.get_doc(Collection::DiscoveryDrift, &schema_key(bus, name))
    }

    /// The drift reported on a bus, by event type.
    ///
    /// # Errors
    /// Storage failures.
    pub fn list_discovery_drift<T: DeserializeOwned>(
        &self,
        bus: &str,
    ) -> Result<Vec<(String, T)>, StorageError> {
        self.scan_docs(Collection::DiscoveryDrift, &registry_prefix(bus))
    }

    /// Stores the drift reported for an event type on a bus.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn put_discovery_drift<T: Serialize>(
        &self,
        bus: &str,
        name: &str,
        reported: &T,
    ) -> Result<(), StorageError> {
        self.put_doc(Collection::DiscoveryDrift, schema_key(bus, name), reported).await
    }
}
