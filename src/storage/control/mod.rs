//! The control plane's storage port: the bus's definitions (buses, rules, queues'
//! settings, archives, replays, schedule ticks), discovery's state and hints, the AWS
//! Schemas metadata, connections, API destinations and tags.
//!
//! These are small documents, each owned by one service, read by key or by their
//! owner's prefix (a bus's rules), written one aggregate at a time. What the domain needs
//! of a store for them is therefore narrow: read a document, list an owner's documents,
//! and apply a few writes at once, where "create unless it exists" is decided by the
//! store (two instances may create the same name at once). [`ControlStore`] is that
//! port; its adapters are the embedded store (one sled tree per [`Collection`], as since
//! the first release) and PostgreSQL (`postgres/control.rs`, one table, a replica in
//! memory). The typed access every service uses, [`Control`], is written once above the
//! port, so both adapters hold exactly the same bytes for the same record, which is what
//! makes export and import between them exact.
//!
//! Reads are synchronous (PutEvents reads its bus on every request); writes are futures
//! that resolve once durable (see `port.rs`).

mod archives;
mod aws;
mod buses;
mod destinations;
mod discovery;
mod queues;
mod sled_adapter;

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

pub(crate) use aws::AwsKind;

use super::StorageError;
use super::port::StoreFuture;
use crate::model::BusRecord;

/// A kind of control-plane document; on the embedded store, a sled tree of that name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Collection {
    /// Key: bus name.
    Buses,
    /// Key: `bus 0x00 rule`.
    Rules,
    /// Key: queue name.
    Queues,
    /// Key: `bus 0x00 rule`; value: the last tick fired, u64 big-endian.
    ScheduleTicks,
    /// Key: `bus 0x00 archive`.
    Archives,
    /// Key: replay name.
    Replays,
    /// Key: bus name.
    DiscoveryConfigs,
    /// Key: `source@DetailType`.
    DiscoveryTypes,
    /// Key: schema name.
    DiscoveryHints,
    /// Key: `bus 0x00 type`.
    DiscoveryDrift,
    /// Key: `kind 0x00 name` (see `aws.rs`).
    AwsSchemas,
    /// Key: connection name.
    Connections,
    /// Key: API destination name.
    ApiDestinations,
    /// Key: resource ARN.
    Tags,
}

impl Collection {
    /// Every collection, in a fixed order (export, import, reloads).
    pub const ALL: [Self; 14] = [
        Self::Buses,
        Self::Rules,
        Self::Queues,
        Self::ScheduleTicks,
        Self::Archives,
        Self::Replays,
        Self::DiscoveryConfigs,
        Self::DiscoveryTypes,
        Self::DiscoveryHints,
        Self::DiscoveryDrift,
        Self::AwsSchemas,
        Self::Connections,
        Self::ApiDestinations,
        Self::Tags,
    ];

    /// The collection's name: its sled tree, its `collection` value in PostgreSQL and its
    /// tree in an export.
    pub const fn name(self) -> &'static str {
        use super::*;
        match self {
            Self::Buses => BUSES,
            Self::Rules => RULES,
            Self::Queues => QUEUES,
            Self::ScheduleTicks => SCHEDULE_TICKS,
            Self::Archives => ARCHIVES,
            Self::Replays => REPLAYS,
            Self::DiscoveryConfigs => DISCOVERY_CONFIGS,
            Self::DiscoveryTypes => DISCOVERY_TYPES,
            Self::DiscoveryHints => DISCOVERY_HINTS,
            Self::DiscoveryDrift => DISCOVERY_DRIFT,
            Self::AwsSchemas => AWS_SCHEMAS,
            Self::Connections => CONNECTIONS,
            Self::ApiDestinations => API_DESTINATIONS,
            Self::Tags => TAGS,
        }
    }

    /// The collection of this name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// A document as stored: its key and its bytes.
pub type Document = (Vec<u8>, Vec<u8>);

/// One write of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Stores `value` under `key`, replacing what was there.
    Put { collection: Collection, key: Vec<u8>, value: Vec<u8> },
    /// Stores `value` under `key` unless the key exists; if it exists, the whole batch is
    /// refused and nothing is written ([`Applied::refused`]).
    Create { collection: Collection, key: Vec<u8>, value: Vec<u8> },
    /// Writes nothing; the whole batch is refused unless `key` holds exactly `value`
    /// (`None`: holds nothing) when the batch applies: optimistic concurrency, as the
    /// AWS API's `RevisionId`s need.
    Expect { collection: Collection, key: Vec<u8>, value: Option<Vec<u8>> },
    /// Removes `key`.
    Delete { collection: Collection, key: Vec<u8> },
    /// Removes every key that starts with `prefix`.
    DeletePrefix { collection: Collection, prefix: Vec<u8> },
}

impl Op {
    /// The collection the write goes to.
    pub fn collection(&self) -> Collection {
        match self {
            Self::Put { collection, .. }
            | Self::Create { collection, .. }
            | Self::Expect { collection, .. }
            | Self::Delete { collection, .. }
            | Self::DeletePrefix { collection, .. } => *collection,
        }
    }
}

/// What a batch found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// A `Create` found its key taken, or an `Expect` another value: nothing was written.
    pub refused: bool,
    /// Per op, in order: whether its key (or, for `DeletePrefix`, any key under the
    /// prefix) held a document before the batch. Empty when refused.
    pub existed: Vec<bool>,
}

/// The port. Reads answer from what the instance holds (sled, or the replica PostgreSQL
/// keeps current); `apply` resolves once the batch is durable and visible to reads on
/// this instance.
pub trait ControlStore: Send + Sync + std::fmt::Debug {
    /// The document under `key`.
    ///
    /// # Errors
    /// Storage failures (as for every method).
    fn get(&self, collection: Collection, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;

    /// Every document whose key starts with `prefix`, in key order.
    ///
    /// # Errors
    /// Storage failures.
    fn scan(&self, collection: Collection, prefix: &[u8]) -> Result<Vec<Document>, StorageError>;

    /// Applies the writes together: on PostgreSQL in one transaction; on the embedded
    /// store one after the other under one lock (a crash half-way leaves a prefix of
    /// them, which every batch here is written to tolerate), `Expect`s and `Create`s
    /// first.
    fn apply(&self, ops: Vec<Op>) -> StoreFuture<'_, Applied>;

    /// A number that grows whenever a collection changes, by this instance or another.
    fn generation(&self) -> u64;

    /// Changes made by other instances, as the generation they raised it to; `None` for
    /// a store no other instance writes (the embedded one).
    fn remote_changes(&self) -> Option<tokio::sync::watch::Receiver<u64>>;
}

/// Typed access to the control plane, over either adapter. Cheap to clone.
#[derive(Clone)]
pub struct Control {
    store: Arc<dyn ControlStore>,
    /// Decoded bus records (read on every PutEvents), valid for the store generation they
    /// were read at.
    bus_cache: Arc<RwLock<BusCache>>,
}

#[derive(Debug, Default)]
struct BusCache {
    generation: u64,
    buses: HashMap<String, BusRecord>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control").field("store", &self.store).finish_non_exhaustive()
    }
}

impl Control {
    /// Typed access over `store`.
    pub fn new(store: Arc<dyn ControlStore>) -> Self {
        Self { store, bus_cache: Arc::default() }
    }

    /// Runs `resync` once, then after every change another instance makes (cluster mode;
    /// nothing on the embedded store), on a task of its own: changes that arrive while it
    /// runs are covered by the next run. Needs a tokio runtime.
    pub fn on_remote_changes<E: std::fmt::Display>(
        &self,
        what: &'static str,
        resync: impl Fn() -> Result<(), E> + Send + 'static,
    ) {
        let Some(mut changes) = self.store.remote_changes() else { return };
        tokio::spawn(async move {
            // Once first: what changed between the caller's load and the subscription.
            loop {
                if let Err(e) = resync() {
                    tracing::warn!(error = %e, "cannot apply another instance's changes to {what}");
                }
                if changes.changed().await.is_err() {
                    return;
                }
                changes.borrow_and_update();
            }
        });
    }

    fn get_doc<T: serde::de::DeserializeOwned>(
        &self,
        collection: Collection,
        key: &[u8],
    ) -> Result<Option<T>, StorageError> {
        self.store.get(collection, key)?.map(|v| super::codec::decode(key, &v)).transpose()
    }

    /// The documents under `prefix`, with their keys less the prefix.
    fn scan_docs<T: serde::de::DeserializeOwned>(
        &self,
        collection: Collection,
        prefix: &[u8],
    ) -> Result<Vec<(String, T)>, StorageError> {
        self.store
            .scan(collection, prefix)?
            .into_iter()
            .map(|(k, v)| {
                let value = super::codec::decode(&k, &v)?;
                Ok((String::from_utf8_lossy(&k[prefix.len()..]).into_owned(), value))
            })
            .collect()
    }

    async fn put_doc<T: serde::Serialize>(
        &self,
        collection: Collection,
        key: Vec<u8>,
        value: &T,
    ) -> Result<(), StorageError> {
        self.store.apply(vec![Op::Put { collection, key, value: super::codec::encode(value) }]).await?;
        Ok(())
    }

    /// Creates unless the key exists; whether it created.
    async fn create_doc<T: serde::Serialize>(
        &self,
        collection: Collection,
        key: Vec<u8>,
        value: &T,
    ) -> Result<bool, StorageError> {
        let applied = self
            .store
            .apply(vec![Op::Create { collection, key, value: super::codec::encode(value) }])
            .await?;
        Ok(!applied.refused)
    }

    /// Deletes; whether the key held a document.
    async fn delete_doc(&self, collection: Collection, key: Vec<u8>) -> Result<bool, StorageError> {
        let applied = self.store.apply(vec![Op::Delete { collection, key }]).await?;
        Ok(applied.existed.first().copied().unwrap_or(false))
    }

    fn cached_bus(&self, name: &str) -> Option<BusRecord> {
        let cache = self.bus_cache.read().unwrap_or_else(PoisonError::into_inner);
        if cache.generation != self.store.generation() {
            return None;
        }
        cache.buses.get(name).cloned()
    }

    /// Caches a record read at `generation` (read before the record: a write raises the
    /// generation after it lands, so a record older than a write is never served once the
    /// write is visible).
    fn cache_bus(&self, generation: u64, record: &BusRecord) {
        let mut cache = self.bus_cache.write().unwrap_or_else(PoisonError::into_inner);
        if cache.generation > generation {
            return;
        }
        if cache.generation < generation {
            cache.buses.clear();
            cache.generation = generation;
        }
        cache.buses.insert(record.name.clone(), record.clone());
    }
}
