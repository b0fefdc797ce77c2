//! The embedded adapter of the control plane: one sled tree per collection, the trees and
//! bytes every release so far has written.

use super::{Applied, Collection, ControlStore, Document, Op};
use crate::storage::port::StoreFuture;
use crate::storage::{StorageError, Store};

impl Store {
    fn control_tree(&self, collection: Collection) -> &sled::Tree {
        match collection {
            Collection::Buses => &self.buses,
            Collection::Rules => &self.rules,
            Collection::Queues => &self.queues,
            Collection::ScheduleTicks => &self.schedule_ticks,
            Collection::Archives => &self.archives,
            Collection::Replays => &self.replays,
            Collection::DiscoveryConfigs => &self.discovery_configs,
            Collection::DiscoveryTypes => &self.discovery_types,
            Collection::DiscoveryHints => &self.discovery_hints,
            Collection::DiscoveryDrift => &self.discovery_drift,
            Collection::AwsSchemas => &self.aws_schemas,
            Collection::Connections => &self.connections,
            Collection::ApiDestinations => &self.api_destinations,
            Collection::Tags => &self.tags,
        }
    }

    /// Applies a batch: `Expect`s first, then `Create`s (sled's compare-and-swap from nothing; the first
    /// that finds its key taken ends the batch before anything else is written), then the
    /// rest in order, each a single-key write.
    fn apply_control(&self, ops: &[Op]) -> Result<Applied, StorageError> {
        self.room()?;
        // Batches check and write under one lock, so `Expect`s and `Create`s are decided
        // against a state no other batch changes meanwhile.
        let _batch = self.control_lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for op in ops {
            if let Op::Expect { collection, key, value } = op {
                let held = self.control_tree(*collection).get(key)?;
                if held.as_deref() != value.as_deref() {
                    return Ok(Applied { refused: true, existed: Vec::new() });
                }
            }
        }
        let mut existed = vec![false; ops.len()];
        for (i, op) in ops.iter().enumerate() {
            if let Op::Create { collection, key, value } = op {
                let tree = self.control_tree(*collection);
                if tree.compare_and_swap(key, None::<&[u8]>, Some(value.as_slice()))?.is_err() {
                    // Undo the creates before it, so a refused batch writes nothing.
                    for earlier in &ops[..i] {
                        if let Op::Create { collection, key, .. } = earlier {
                            self.control_tree(*collection).remove(key)?;
                        }
                    }
                    self.wrote();
                    return Ok(Applied { refused: true, existed: Vec::new() });
                }
            }
        }
        for (i, op) in ops.iter().enumerate() {
            existed[i] = match op {
                Op::Create { .. } => false,
                Op::Expect { value, .. } => value.is_some(),
                Op::Put { collection, key, value } => {
                    self.control_tree(*collection).insert(key, value.as_slice())?.is_some()
                }
                Op::Delete { collection, key } => self.control_tree(*collection).remove(key)?.is_some(),
                Op::DeletePrefix { collection, prefix } => {
                    let tree = self.control_tree(*collection);
                    let mut any = false;
                    for key in tree.scan_prefix(prefix).keys() {
                        tree.remove(key?)?;
                        any = true;
                    }
                    any
                }
            };
        }
        self.wrote();
        Ok(Applied { refused: false, existed })
    }
}

impl ControlStore for Store {
    fn get(&self, collection: Collection, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.control_tree(collection).get(key)?.map(|v| v.to_vec()))
    }

    fn scan(&self, collection: Collection, prefix: &[u8]) -> Result<Vec<Document>, StorageError> {
        self.control_tree(collection)
            .scan_prefix(prefix)
            .map(|e| e.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(StorageError::from))
            .collect()
    }

    fn apply(&self, ops: Vec<Op>) -> StoreFuture<'_, Applied> {
        self.durably(move |store| {
            let applied = store.apply_control(&ops);
            // Raised even for a failed batch: part of it may have landed.
            store.control_generation.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            applied
        })
    }

    fn generation(&self) -> u64 {
        self.control_generation.load(std::sync::atomic::Ordering::Acquire)
    }

    fn remote_changes(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        None
    }
}
