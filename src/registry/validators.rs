//! Compiled validators, cached per stored version.
//!
//! Versions are immutable and their numbers are never reused, so a cached validator can
//! only go stale when its version is deleted; deletions evict. Compiling costs about as
//! much as 150 validations, so every later validation of a version reuses one validator.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use jsonschema::Validator;

/// Key of a cached validator: registry, schema, version.
pub type VersionId = (String, String, u32);

/// A bounded map of compiled validators. Safe to share between threads.
#[derive(Debug)]
pub struct ValidatorCache {
    capacity: usize,
    entries: RwLock<HashMap<VersionId, Arc<Validator>>>,
}

impl ValidatorCache {
    /// A cache holding at most `capacity` validators.
    pub fn new(capacity: usize) -> Self {
        Self { capacity: capacity.max(1), entries: RwLock::default() }
    }

    /// The cached validator, if any.
    pub fn get(&self, id: &VersionId) -> Option<Arc<Validator>> {
        self.entries.read().ok().and_then(|m| m.get(id).cloned())
    }

    /// Stores a validator, evicting an arbitrary entry when full (entries are cheap to
    /// rebuild and the working set of event types is usually far below the capacity).
    pub fn insert(&self, id: VersionId, validator: Arc<Validator>) {
        if let Ok(mut map) = self.entries.write() {
            if map.len() >= self.capacity
                && !map.contains_key(&id)
                && let Some(victim) = map.keys().next().cloned()
            {
                map.remove(&victim);
            }
            map.insert(id, validator);
        }
    }

    /// Drops every validator of a registry, or of one schema, or of one version.
    pub fn evict(&self, registry: &str, schema: Option<&str>, version: Option<u32>) {
        if let Ok(mut map) = self.entries.write() {
            map.retain(|(r, s, v), _| {
                !(r == registry && schema.is_none_or(|x| x == s) && version.is_none_or(|x| x == *v))
            });
        }
    }

    /// Number of cached validators.
    pub fn len(&self) -> usize {
        self.entries.read().map(|m| m.len()).unwrap_or(0)
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
