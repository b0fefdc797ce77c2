//! A bounded, thread-safe map for things that are expensive to build and cheap to rebuild
//! (compiled validators, generated bindings).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;

/// At most `capacity` entries; when full, an arbitrary entry makes room. Entries here are
/// immutable derivations of stored data, so losing one only costs a rebuild, and the
/// working set is normally far below the capacity.
#[derive(Debug)]
pub struct BoundedCache<K, V> {
    capacity: usize,
    entries: RwLock<HashMap<K, V>>,
}

impl<K: Eq + Hash + Clone, V: Clone> BoundedCache<K, V> {
    /// A cache holding at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        Self { capacity: capacity.max(1), entries: RwLock::new(HashMap::new()) }
    }

    /// The cached value, if any.
    pub fn get(&self, key: &K) -> Option<V> {
        self.entries.read().ok().and_then(|m| m.get(key).cloned())
    }

    /// Stores a value, evicting an arbitrary entry when full.
    pub fn insert(&self, key: K, value: V) {
        if let Ok(mut map) = self.entries.write() {
            if map.len() >= self.capacity
                && !map.contains_key(&key)
                && let Some(victim) = map.keys().next().cloned()
            {
                map.remove(&victim);
            }
            map.insert(key, value);
        }
    }

    /// Keeps only the entries for which `keep` is true.
    pub fn retain(&self, mut keep: impl FnMut(&K) -> bool) {
        if let Ok(mut map) = self.entries.write() {
            map.retain(|k, _| keep(k));
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.read().map(|m| m.len()).unwrap_or(0)
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_cache_makes_room_and_never_grows_past_its_capacity() {
        let cache = BoundedCache::new(2);
        cache.insert(1, "a");
        cache.insert(2, "b");
        cache.insert(2, "b2");
        assert_eq!(cache.len(), 2, "replacing a key evicts nothing");
        cache.insert(3, "c");
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get(&3), Some("c"));
        cache.retain(|k| *k != 3);
        assert_eq!(cache.get(&3), None);
    }
}
