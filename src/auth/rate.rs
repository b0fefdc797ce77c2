//! Per-key request rates: one token bucket per key name (the `governor` crate, GCRA).
//! Buckets live in memory only: a restart refills them, which is harmless.

use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

/// The limiter. Cheap to clone; clones share the buckets.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    inner: Arc<DefaultKeyedRateLimiter<String>>,
    clock: DefaultClock,
}

impl RateLimiter {
    /// `per_second` tokens refill each second, up to `burst`. Zeros are read as 1.
    pub fn new(per_second: u32, burst: u32) -> Self {
        let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_second(rate).allow_burst(burst);
        Self { inner: Arc::new(governor::RateLimiter::keyed(quota)), clock: DefaultClock::default() }
    }

    /// Takes a token for `key`; when none is left, the whole seconds (at least 1) until
    /// one is.
    ///
    /// # Errors
    /// The seconds to wait, for `Retry-After`.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        self.inner.check_key(&key.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        })
    }
}
