//! A bounded, thread-safe map for things that are expensive to build and cheap to rebuild
//! (compiled validators, generated bindings).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// At most `capacity` entries; when full, an arbitrary entry makes room. Entries here are
/// immutable derivations of stored data, so losing one only costs a rebuild, and the
/// working set is normally far below the capacity.
///
/// The capacity alone does not keep memory flat: a schema that gets a new version every
/// few seconds leaves a compiled validator (about 20 KiB for a small schema) per old version that nothing uses
/// again, up to the capacity (the soak found it, docs/RELIABILITY.md#soak). So every entry
/// remembers when it was last used and [`Self::evict_idle`] drops the ones idle too long.
#[derive(Debug)]
pub struct BoundedCache<K, V> {
    capacity: usize,
    /// The clock of `last_used`: seconds since this instant.
    origin: Instant,
    entries: RwLock<HashMap<K, Entry<V>>>,
}

#[derive(Debug)]
struct Entry<V> {
    value: V,
    /// Seconds since `origin` at the last `get` or `insert` (atomic: `get` holds only the
    /// read lock).
    last_used: AtomicU64,
}

impl<K: Eq + Hash + Clone, V: Clone> BoundedCache<K, V> {
    /// A cache holding at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        Self { capacity: capacity.max(1), origin: Instant::now(), entries: RwLock::new(HashMap::new()) }
    }

    fn now(&self) -> u64 {
        self.origin.elapsed().as_secs()
    }

    /// The cached value, if any.
    pub fn get(&self, key: &K) -> Option<V> {
        let map = self.entries.read().ok()?;
        let entry = map.get(key)?;
        entry.last_used.store(self.now(), Ordering::Relaxed);
        Some(entry.value.clone())
    }

    /// Stores a value, evicting an arbitrary entry when full.
    pub fn insert(&self, key: K, value: V) {
        let entry = Entry { value, last_used: AtomicU64::new(self.now()) };
        if let Ok(mut map) = self.entries.write() {
            if map.len() >= self.capacity
                && !map.contains_key(&key)
                && let Some(victim) = map.keys().next().cloned()
            {
                map.remove(&victim);
            }
            map.insert(key, entry);
        }
    }

    /// Keeps only the entries for which `keep` is true.
    pub fn retain(&self, mut keep: impl FnMut(&K) -> bool) {
        if let Ok(mut map) = self.entries.write() {
            map.retain(|k, _| keep(k));
        }
    }

    /// Drops the entries not used for `idle` or longer; returns how many.
    pub fn evict_idle(&self, idle: Duration) -> usize {
        let Some(cutoff) = self.now().checked_sub(idle.as_secs()) else { return 0 };
        let Ok(mut map) = self.entries.write() else { return 0 };
        let before = map.len();
        map.retain(|_, e| e.last_used.load(Ordering::Relaxed) > cutoff);
        before - map.len()
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

    #[test]
    fn only_entries_idle_for_the_whole_window_are_evicted() {
        let cache = BoundedCache::new(10);
        cache.insert(1, "a");
        assert_eq!(cache.evict_idle(Duration::from_secs(600)), 0, "used just now");
        assert_eq!(cache.evict_idle(Duration::ZERO), 1, "no idle time allowed");
        assert_eq!(cache.get(&1), None);
    }
}
