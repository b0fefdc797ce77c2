//! The request-path half of discovery: decides cheaply whether an event is sampled and
//! hands it to the worker through a bounded queue, never waiting.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

use tokio::sync::mpsc;

use crate::json::Doc;

/// One sampled event (before validation), on its way to the worker.
#[derive(Debug)]
pub(crate) struct Sample {
    /// The bus it was put on.
    pub(crate) bus: String,
    /// Its `source`.
    pub(crate) source: String,
    /// Its `detail-type`.
    pub(crate) detail_type: String,
    /// Its `detail`.
    pub(crate) detail: serde_json::Value,
}

/// Counters of one bus, since the service started.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) sampled: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) inferred: AtomicU64,
    pub(crate) versions_created: AtomicU64,
    pub(crate) drift_events: AtomicU64,
    pub(crate) last_error: Mutex<Option<String>>,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    pub(crate) fn set_error(&self, message: String) {
        *self.last_error.lock().unwrap_or_else(PoisonError::into_inner) = Some(message);
    }

    pub(crate) fn error(&self) -> Option<String> {
        self.last_error.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// What the sampler knows of one bus.
#[derive(Debug)]
struct BusEntry {
    enabled: bool,
    /// An event is sampled when the hash of its id is below this (`u64::MAX`: all).
    threshold: u64,
    counters: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Inner {
    sender: OnceLock<mpsc::Sender<Sample>>,
    /// Buses with discovery on: when 0, [`Sampler::offer`] returns after one atomic load.
    enabled: AtomicUsize,
    buses: RwLock<HashMap<String, Arc<BusEntry>>>,
}

/// Offers events to the discovery worker. Cheap to clone; clones share state. Until
/// [`crate::discovery::DiscoveryService::new`] attaches a queue, it samples nothing.
#[derive(Debug, Clone, Default)]
pub struct Sampler {
    inner: Arc<Inner>,
}

/// FNV-1a: a cheap, stable hash of the event id (ids are random UUIDs, so this is a
/// uniform draw without a random number generator).
fn hash(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn threshold(rate: f64) -> u64 {
    if rate >= 1.0 {
        u64::MAX
    } else if rate > 0.0 {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "0 < rate < 1, so the product is within u64"
        )]
        let t = (rate * u64::MAX as f64) as u64;
        t
    } else {
        0
    }
}

impl Sampler {
    /// Offers one well-formed event put on `bus`, by the envelope fields a sample keeps
    /// (the fields, not the bus's envelope type: the bus depends on discovery, not the
    /// reverse). Returns at once: a disabled bus, an event the rate leaves out, or a full
    /// queue (counted as dropped) cost no more than a hash and a map read.
    pub fn offer(&self, bus: &str, id: &str, source: &str, detail_type: &str, detail: &Doc<'_>) {
        if self.inner.enabled.load(Ordering::Relaxed) == 0 {
            return;
        }
        let Some(sender) = self.inner.sender.get() else { return };
        let entry = {
            let buses = self.inner.buses.read().unwrap_or_else(PoisonError::into_inner);
            match buses.get(bus) {
                Some(e) if e.enabled && e.threshold > 0 => Arc::clone(e),
                _ => return,
            }
        };
        if entry.threshold != u64::MAX && hash(id) >= entry.threshold {
            return;
        }
        let sample = Sample {
            bus: bus.to_owned(),
            source: source.to_owned(),
            detail_type: detail_type.to_owned(),
            detail: detail.to_value(),
        };
        match sender.try_send(sample) {
            Ok(()) => Counters::add(&entry.counters.sampled, 1),
            Err(_) => {
                Counters::add(&entry.counters.dropped, 1);
                metrics::counter!("schemabus_discovery_samples_dropped_total", "bus" => bus.to_owned())
                    .increment(1);
            }
        }
    }

    pub(crate) fn attach(&self, sender: mpsc::Sender<Sample>) {
        if self.inner.sender.set(sender).is_err() {
            tracing::warn!("discovery queue already attached; kept the first");
        }
    }

    /// Applies a bus's settings (keeping its counters).
    pub(crate) fn configure(&self, bus: &str, enabled: bool, rate: f64) {
        let mut buses = self.inner.buses.write().unwrap_or_else(PoisonError::into_inner);
        let counters = buses.get(bus).map(|e| Arc::clone(&e.counters)).unwrap_or_default();
        buses.insert(bus.to_owned(), Arc::new(BusEntry { enabled, threshold: threshold(rate), counters }));
        let on = buses.values().filter(|e| e.enabled && e.threshold > 0).count();
        self.inner.enabled.store(on, Ordering::Relaxed);
    }

    /// The counters of a bus (created, disabled, on first use).
    pub(crate) fn counters(&self, bus: &str) -> Arc<Counters> {
        if let Some(e) = self.inner.buses.read().unwrap_or_else(PoisonError::into_inner).get(bus) {
            return Arc::clone(&e.counters);
        }
        let mut buses = self.inner.buses.write().unwrap_or_else(PoisonError::into_inner);
        let entry = buses
            .entry(bus.to_owned())
            .or_insert_with(|| Arc::new(BusEntry { enabled: false, threshold: 0, counters: Arc::default() }));
        Arc::clone(&entry.counters)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_cover_the_edges() {
        assert_eq!(threshold(0.0), 0);
        assert_eq!(threshold(1.0), u64::MAX);
        let half = threshold(0.5);
        assert!(half > u64::MAX / 3 && half < u64::MAX / 3 * 2);
        let ids: Vec<String> =
            (0..10_000).map(|i| uuid::Uuid::new_v4().to_string() + &i.to_string()).collect();
        let taken = ids.iter().filter(|id| hash(id) < threshold(0.1)).count();
        assert!((700..1300).contains(&taken), "{taken}");
    }
}
