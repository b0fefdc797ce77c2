//! Compiled validators, cached per stored version.
//!
//! Versions are immutable and their numbers are never reused, so a cached validator can
//! only go stale when its version is deleted; deletions evict. Compiling costs about as
//! much as 150 validations, so every later validation of a version reuses one validator.

use std::sync::Arc;

use jsonschema::Validator;
use jsonschema::json::{Json, SerdeJson};

use crate::cache::BoundedCache;

/// Key of a cached validator: registry, schema, version.
pub type VersionId = (String, String, u32);

/// A bounded map of compiled validators of instances in the JSON representation `F`
/// (`serde_json::Value`, or the bus's [`crate::json::DocJson`]). Safe to share between
/// threads.
#[derive(Debug)]
pub struct ValidatorCache<F: Json = SerdeJson>(BoundedCache<VersionId, Arc<Validator<F>>>);

impl<F: Json> ValidatorCache<F> {
    /// A cache holding at most `capacity` validators.
    pub fn new(capacity: usize) -> Self {
        Self(BoundedCache::new(capacity))
    }

    /// The cached validator, if any.
    pub fn get(&self, id: &VersionId) -> Option<Arc<Validator<F>>> {
        self.0.get(id)
    }

    /// Stores a validator.
    pub fn insert(&self, id: VersionId, validator: Arc<Validator<F>>) {
        self.0.insert(id, validator);
    }

    /// Drops every validator of a registry, or of one schema, or of one version.
    pub fn evict(&self, registry: &str, schema: Option<&str>, version: Option<u32>) {
        self.0.retain(|(r, s, v)| {
            !(r == registry && schema.is_none_or(|x| x == s) && version.is_none_or(|x| x == *v))
        });
    }

    /// Drops the validators not used for `idle`; returns how many.
    pub fn evict_idle(&self, idle: std::time::Duration) -> usize {
        self.0.evict_idle(idle)
    }

    /// Number of cached validators.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
