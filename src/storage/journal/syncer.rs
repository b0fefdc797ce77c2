//! The syncer thread: runs the group commits [`Journal::wait_durable`] asks for.
//!
//! Why it may wait before syncing: each `fdatasync` costs the kernel about 100 µs of CPU
//! on this kind of machine, and under load it used to cover only one or two requests
//! (the next ones were still being validated and routed when it started). When other
//! requests are building their batch ([`Journal::writer`]), the syncer waits for them,
//! up to the commit delay, so one sync covers them all. With no writer in flight (a lone
//! client) it syncs at once: the delay only ever trades latency that concurrency
//! already implies.
//!
//! Pacing under load: when requests asked for a sync while the previous one ran, syncs
//! are back to back and each covers only what arrived during the one before. The syncer
//! then lets as long as the previous sync (its `write(2)` of pending batches and its
//! `fdatasync`) took pass since it ended (within the commit delay) before syncing again,
//! so a group gathers more requests: in the `bus_load` bench's strict phase, about 12
//! per sync instead of 8.6, with no measurable change of latency, because the requests
//! were waiting behind the running sync anyway.

use std::sync::atomic::Ordering;
use std::sync::{PoisonError, Weak};
use std::time::{Duration, Instant};

use super::{Journal, Signal, lock};

/// Waits for a request, lets in-flight writers finish (up to `delay`), syncs, repeats;
/// exits when the journal is gone or poisoned.
pub(super) fn run(journal: &Weak<Journal>, wanted: &Signal, delay: Duration) {
    // When the previous sync ended and how long it took, if requests came during it.
    let mut busy: Option<(Instant, Duration)> = None;
    loop {
        // Lowered by `wait_for_writers`, just before the sync.
        if wanted.wait(journal).is_none() {
            return;
        }
        let Some(journal) = journal.upgrade() else { return };
        let started = Instant::now();
        if let Some((ended, took)) = busy {
            let pause = (ended + took.min(delay)).saturating_duration_since(started);
            if !pause.is_zero() {
                std::thread::sleep(pause);
            }
        }
        wait_for_writers(&journal, wanted, delay);
        let syncing = Instant::now();
        if journal.sync().is_err() {
            if journal.poisoned.load(Ordering::Acquire) {
                return; // waiters were woken and fail
            }
            busy = None; // a full disk: waiters were answered; the next request retries
            continue;
        }
        let ended = Instant::now();
        busy = (*lock(&wanted.pending)).then(|| (ended, ended - syncing));
    }
}

/// Waits until no request is building a batch, or `delay` has passed; then clears the
/// request flag. Every waiter that raised it before it is cleared appended first, so the
/// sync that follows (which reads the journal's end after this) covers it.
fn wait_for_writers(journal: &Journal, wanted: &Signal, delay: Duration) {
    let deadline = Instant::now() + delay;
    let mut pending = lock(&wanted.pending);
    journal.syncer_waiting.store(true, Ordering::SeqCst);
    while journal.writers.load(Ordering::SeqCst) > 0 {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        pending = wanted.wake.wait_timeout(pending, deadline - now).unwrap_or_else(PoisonError::into_inner).0;
    }
    journal.syncer_waiting.store(false, Ordering::SeqCst);
    *pending = false;
}
