//! One registration of a schema at a time inside this instance.
//!
//! The store's `expected_latest` check keeps registrations correct on its own (across
//! instances too), but without this lock N concurrent registrations of one schema in one
//! instance would all check against the same history and N-1 would have to check again,
//! up to N² checks. Queueing them costs nothing: their commits are serial anyway.
//!
//! Entries are weak, so a schema nobody is registering costs no memory: a lock lives as
//! long as a registration holds or awaits it, and the map drops dead entries as it goes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use tokio::sync::OwnedMutexGuard;

/// The lock of one schema, while someone holds or awaits it.
type SchemaLock = Weak<tokio::sync::Mutex<()>>;

/// Per-schema async mutexes, keyed by `(registry, schema)`.
#[derive(Debug, Default)]
pub(super) struct SchemaLocks {
    held: Mutex<HashMap<(String, String), SchemaLock>>,
}

impl SchemaLocks {
    /// Waits for the schema's lock; held until the guard drops.
    ///
    /// # Cancel safety
    /// Dropping the future while it waits gives up the place in the queue; nothing else.
    pub(super) async fn lock(&self, registry: &str, schema: &str) -> OwnedMutexGuard<()> {
        let lock = {
            // A std mutex: held only for the map lookup, never across an await.
            let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
            held.retain(|_, lock| lock.strong_count() > 0);
            let key = (registry.to_owned(), schema.to_owned());
            if let Some(lock) = held.get(&key).and_then(Weak::upgrade) {
                lock
            } else {
                let lock = Arc::new(tokio::sync::Mutex::new(()));
                held.insert(key, Arc::downgrade(&lock));
                lock
            }
        };
        lock.lock_owned().await
    }

    /// Schemas with a registration holding or awaiting their lock (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        held.retain(|_, lock| lock.strong_count() > 0);
        held.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_schema_lock_excludes_the_same_schema_only_and_is_dropped_when_idle() {
        let locks = SchemaLocks::default();
        let first = locks.lock("r", "a").await;
        let other = tokio::time::timeout(std::time::Duration::from_secs(1), locks.lock("r", "b")).await;
        assert!(other.is_ok(), "another schema is not blocked");
        let same = tokio::time::timeout(std::time::Duration::from_millis(50), locks.lock("r", "a")).await;
        assert!(same.is_err(), "the same schema waits");
        drop(other);
        drop(first);
        assert_eq!(locks.len(), 0, "idle entries are dropped");
    }
}
