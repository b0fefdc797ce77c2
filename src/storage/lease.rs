//! Leases: background work that must run on one instance at a time (scheduled rules,
//! discovery, a replay) holds a named lease while it runs.
//!
//! [`LeaseStore`] is the port: take or renew a lease for a time, give it back. The
//! embedded adapter ([`LocalLeases`]) keeps them in memory, since one process is the only
//! instance there is; PostgreSQL's (`postgres/leases.rs`) keeps them in a table whose
//! expiry the database's clock decides, so instances' clocks need not agree.
//!
//! [`Lease`] keeps one lease: a task renews it every third of its time to live, and
//! [`Lease::held`] is true only until the time to live after the last renewal *was sent*,
//! measured on this instance's monotonic clock. The database counts from when it ran the
//! renewal, later than that, so an instance stops believing it holds a lease before any
//! other instance can take it over.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::port::StoreFuture;

/// The port.
pub trait LeaseStore: Send + Sync + std::fmt::Debug {
    /// Takes the lease `name` if it is free or expired, or renews it if this instance
    /// holds it, for `ttl`; resolves to whether this instance now holds it.
    fn acquire(&self, name: &str, ttl: Duration) -> StoreFuture<'_, bool>;

    /// Gives the lease back if this instance holds it.
    fn release(&self, name: &str) -> StoreFuture<'_, ()>;

    /// Gives back every lease this instance holds and takes none any more (a graceful
    /// stop: another instance, or this one restarted, takes over at once instead of
    /// after the leases' time to live).
    fn release_all(&self) -> StoreFuture<'_, ()>;

    /// Whether `release_all` ran: no lease counts as held any more, renewed or not.
    fn closed(&self) -> bool;

    /// Whether this process is the only instance there is (the embedded store): a lease is
    /// then held for as long as the store is open, whatever its renewals' timing.
    fn sole_instance(&self) -> bool {
        false
    }
}

/// The embedded adapter: leases in this process's memory, with their expiry.
#[derive(Debug, Default)]
pub struct LocalLeases {
    held: Mutex<HashMap<String, Instant>>,
    closed: AtomicBool,
}

impl LeaseStore for LocalLeases {
    fn acquire(&self, name: &str, ttl: Duration) -> StoreFuture<'_, bool> {
        if self.closed.load(Ordering::Acquire) {
            return Box::pin(async { Ok(false) });
        }
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        // One process: whoever asks is this instance, so a held lease is renewed.
        held.insert(name.to_owned(), now + ttl);
        Box::pin(async { Ok(true) })
    }

    fn release(&self, name: &str) -> StoreFuture<'_, ()> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner).remove(name);
        Box::pin(async { Ok(()) })
    }

    fn release_all(&self) -> StoreFuture<'_, ()> {
        self.closed.store(true, Ordering::Release);
        self.held.lock().unwrap_or_else(PoisonError::into_inner).clear();
        Box::pin(async { Ok(()) })
    }

    fn closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    fn sole_instance(&self) -> bool {
        true
    }
}

/// How long a kept lease lives without renewal; renewed every third of it.
pub const LEASE_TTL: Duration = Duration::from_secs(3);

/// One lease kept by a background task until dropped (then released).
#[derive(Debug)]
pub struct Lease {
    state: Arc<LeaseState>,
}

#[derive(Debug)]
struct LeaseState {
    store: Arc<dyn LeaseStore>,
    name: String,
    /// Times the lease was taken after not being held: work that keeps state while it
    /// holds the lease starts over when this changes (someone else held it meanwhile).
    epoch: std::sync::atomic::AtomicU64,
    /// Until when this instance may act as the holder (monotonic clock).
    until: Mutex<Option<Instant>>,
    stopped: AtomicBool,
    /// Woken when the lease is taken after not being held.
    taken: tokio::sync::Notify,
    /// Whether the first attempt to take the lease has ended (either way).
    tried: tokio::sync::watch::Sender<bool>,
}

impl Lease {
    /// Starts keeping `name` on `store` with time to live `ttl`. Needs a tokio runtime.
    pub fn keep(store: Arc<dyn LeaseStore>, name: &str, ttl: Duration) -> Self {
        let state = Arc::new(LeaseState {
            store: Arc::clone(&store),
            name: name.to_owned(),
            epoch: std::sync::atomic::AtomicU64::new(0),
            until: Mutex::new(None),
            stopped: AtomicBool::new(false),
            taken: tokio::sync::Notify::new(),
            tried: tokio::sync::watch::Sender::new(false),
        });
        let keeper = Arc::clone(&state);
        tokio::spawn(async move {
            let period = ttl / 3;
            while !keeper.stopped.load(Ordering::Acquire) {
                let sent = Instant::now();
                let held = match store.acquire(&keeper.name, ttl).await {
                    Ok(held) => held,
                    Err(e) => {
                        tracing::warn!(lease = %keeper.name, error = %e, "cannot renew a lease");
                        false
                    }
                };
                let was = {
                    let mut until = keeper.until.lock().unwrap_or_else(PoisonError::into_inner);
                    let was = until.is_some_and(|u| u > Instant::now());
                    if held {
                        *until = Some(sent + ttl);
                    } else if !was {
                        *until = None;
                    }
                    // A failed renewal keeps the earlier deadline: held until it passes.
                    was
                };
                if held && !was {
                    keeper.epoch.fetch_add(1, Ordering::AcqRel);
                    tracing::info!(lease = %keeper.name, "lease taken");
                    keeper.taken.notify_waiters();
                }
                keeper.tried.send_replace(true);
                tokio::time::sleep(period).await;
            }
            if let Err(e) = store.release(&keeper.name).await {
                tracing::warn!(lease = %keeper.name, error = %e, "cannot release a lease");
            }
        });
        Self { state }
    }

    /// Whether this instance holds the lease now.
    pub fn held(&self) -> bool {
        let store = &self.state.store;
        if store.closed() {
            return false;
        }
        store.sole_instance()
            || self
                .state
                .until
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_some_and(|u| u > Instant::now())
    }

    /// Changes whenever the lease is taken anew (see `LeaseState::epoch`).
    pub fn epoch(&self) -> u64 {
        self.state.epoch.load(Ordering::Acquire)
    }

    /// Waits until the first attempt to take the lease has ended, so [`Self::held`] says
    /// what the store decided rather than "not yet asked".
    pub async fn tried(&self) {
        let mut tried = self.state.tried.subscribe();
        // An error means the keeper ended: nothing more to wait for.
        let _ = tried.wait_for(|t| *t).await;
    }

    /// Waits until this instance holds the lease.
    pub async fn taken(&self) {
        loop {
            let notified = self.state.taken.notified();
            if self.held() {
                return;
            }
            // Renewals may also fail to notify (a lease taken between checks): poll too.
            let _ = tokio::time::timeout(Duration::from_millis(250), notified).await;
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.state.stopped.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_kept_local_lease_is_held_and_released_on_drop() {
        let store: Arc<LocalLeases> = Arc::default();
        let lease = Lease::keep(store.clone(), "scheduler", Duration::from_millis(300));
        tokio::time::timeout(Duration::from_secs(2), lease.taken()).await.expect("taken");
        assert!(lease.held());
        drop(lease);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(store.held.lock().unwrap().get("scheduler").is_none(), "released after drop");
    }
}
