//! PURE: when to retry. Exponential back-off with full jitter, capped, and the
//! `Retry-After` header (seconds or an HTTP date). Schedule in docs/DELIVERY.md#retries.

use std::time::{Duration, SystemTime};

/// The delay before retry number `attempt` (1 = the first retry): a uniformly random
/// duration in `[0, min(max, base · 2^(attempt-1))]` ("full jitter"); `unit` is a random
/// number in `[0, 1)`.
pub fn delay(attempt: u32, base: Duration, max: Duration, unit: f64) -> Duration {
    let exponent = attempt.saturating_sub(1).min(40);
    let ceiling = base.saturating_mul(1u32.checked_shl(exponent.min(31)).unwrap_or(u32::MAX)).min(max);
    ceiling.mul_f64(unit.clamp(0.0, 1.0))
}

/// What a `Retry-After` header asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// Wait at least this long.
    Wait(Duration),
    /// A negative number: do not retry (as EventBridge API destinations).
    Stop,
}

/// Parses `Retry-After`: delta-seconds, a negative number, or an HTTP date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<RetryAfter> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<i64>() {
        return Some(if seconds < 0 {
            RetryAfter::Stop
        } else {
            RetryAfter::Wait(Duration::from_secs(seconds.unsigned_abs()))
        });
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(RetryAfter::Wait(at.duration_since(now).unwrap_or_default()))
}
