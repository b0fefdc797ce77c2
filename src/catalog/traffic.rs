//! PURE: traffic and refusal counters per event type (bus, source, detail-type), in
//! bounded time buckets: 60 one-minute buckets (the last hour) and 24 one-hour buckets
//! (the last day), so memory per type is fixed whatever the traffic. No I/O, no clock:
//! callers pass the time in minutes since the epoch.
//!
//! PutEvents records one [`Tally`] per request (a short vector of the types it held) and
//! applies it with [`Traffic::apply`] under one lock, after the request's write: the lock
//! is never held across I/O, and an entry costs a comparison with the few types already in
//! the tally, with no allocation unless its type is the first of its kind in the request.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// Minute buckets kept (the "last hour" window).
const MINUTES: usize = 60;
/// Hour buckets kept (the "last day" window).
const HOURS: usize = 24;
/// Producing keys remembered per type; later keys are counted under [`OTHER_KEYS`].
pub const MAX_KEYS_PER_TYPE: usize = 32;
/// The key name under which keys past [`MAX_KEYS_PER_TYPE`] are counted.
pub const OTHER_KEYS: &str = "(other keys)";
/// The key name of producers without a key (`--auth off`, events the service emits).
pub const NO_KEY: &str = "(no key)";
/// A type's sample is replaced at most this often (minutes), so copying it costs one
/// allocation per type per minute at most.
const SAMPLE_EVERY_MINUTES: u64 = 1;

/// One bucket: which period it counts, and the counts.
#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    period: u64,
    accepted: u64,
    refused: u64,
}

/// A ring of buckets of one period length.
#[derive(Debug, Clone)]
struct Ring<const N: usize> {
    buckets: [Bucket; N],
}

impl<const N: usize> Default for Ring<N> {
    fn default() -> Self {
        Self { buckets: [Bucket::default(); N] }
    }
}

impl<const N: usize> Ring<N> {
    fn add(&mut self, period: u64, accepted: u64, refused: u64) {
        #[allow(clippy::cast_possible_truncation, reason = "the remainder is below N, a small array length")]
        let slot = &mut self.buckets[(period % N as u64) as usize];
        if slot.period != period {
            *slot = Bucket { period, accepted: 0, refused: 0 };
        }
        slot.accepted += accepted;
        slot.refused += refused;
    }

    /// The sums of the buckets of the `N` periods ending with `now`.
    fn sum(&self, now: u64) -> (u64, u64) {
        let oldest = now.saturating_sub(N as u64 - 1);
        self.buckets
            .iter()
            .filter(|b| b.period >= oldest && b.period <= now && (b.accepted > 0 || b.refused > 0))
            .fold((0, 0), |(a, r), b| (a + b.accepted, r + b.refused))
    }
}

/// Counts of one producing key.
#[derive(Debug, Clone, Default)]
struct KeyCounts {
    accepted: u64,
    refused: u64,
    last_minute: u64,
}

/// The counters of one type.
#[derive(Debug, Clone, Default)]
struct TypeTraffic {
    minutes: Ring<MINUTES>,
    hours: Ring<HOURS>,
    first_minute: u64,
    last_minute: u64,
    keys: HashMap<String, KeyCounts>,
    sample: Option<Sample>,
}

/// The last sampled event of a type: its `detail` JSON text and when it was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Minutes since the epoch when it was taken.
    pub minute: u64,
    /// The `detail` JSON text as accepted.
    pub detail: String,
}

/// What one type's counters say at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeCounts {
    /// The bus.
    pub bus: String,
    /// The `source`.
    pub source: String,
    /// The `detail-type`.
    pub detail_type: String,
    /// Accepted events in the last 60 minutes (this minute and the 59 before).
    pub accepted_hour: u64,
    /// Refused entries in the last 60 minutes.
    pub refused_hour: u64,
    /// Accepted events in the current hour and the 23 before it.
    pub accepted_day: u64,
    /// Refused entries in the current hour and the 23 before it.
    pub refused_day: u64,
    /// When the type was first and last seen since the start (minutes since the epoch).
    pub first_minute: u64,
    /// See `first_minute`.
    pub last_minute: u64,
    /// Producing keys, by name: (accepted, refused, last minute seen), since the start.
    pub keys: Vec<(String, u64, u64, u64)>,
    /// The last sample, if one was taken.
    pub sample: Option<Sample>,
}

type Key = (String, String, String);

#[derive(Debug, Default)]
struct Inner {
    types: HashMap<Key, TypeTraffic>,
    /// Entries of types not tracked because `max_types` was reached.
    untracked: u64,
}

/// The counters of every type, bounded to `max_types` types. Share it behind an `Arc`.
#[derive(Debug)]
pub struct Traffic {
    max_types: usize,
    inner: Mutex<Inner>,
}

/// One type's counts in one PutEvents request.
#[derive(Debug)]
struct Row<'a> {
    source: String,
    detail_type: String,
    accepted: u64,
    refused: u64,
    /// The first accepted `detail` of the type in the request (borrowed from the request
    /// when it can be).
    sample: Option<Cow<'a, str>>,
}

/// One request's counts, applied at its end with [`Traffic::apply`].
#[derive(Debug, Default)]
pub struct Tally<'a> {
    rows: Vec<Row<'a>>,
}

impl<'a> Tally<'a> {
    fn row(&mut self, source: &str, detail_type: &str) -> &mut Row<'a> {
        // Requests carry few types: a linear scan beats hashing, and needs no key copy.
        let at = self.rows.iter().position(|r| r.source == source && r.detail_type == detail_type);
        let at = at.unwrap_or_else(|| {
            self.rows.push(Row {
                source: source.to_owned(),
                detail_type: detail_type.to_owned(),
                accepted: 0,
                refused: 0,
                sample: None,
            });
            self.rows.len() - 1
        });
        &mut self.rows[at]
    }

    /// An accepted event; `detail` is its JSON text (kept as the request's sample
    /// candidate if it is the first of its type).
    #[allow(
        clippy::ptr_arg,
        reason = "cloning a borrowed Cow keeps the request's text; a &str would be copied"
    )]
    pub fn accepted(&mut self, source: &str, detail_type: &str, detail: &Cow<'a, str>) {
        let row = self.row(source, detail_type);
        row.accepted += 1;
        if row.sample.is_none() {
            row.sample = Some(detail.clone());
        }
    }

    /// A refused entry whose source and detail-type were read.
    pub fn refused(&mut self, source: &str, detail_type: &str) {
        self.row(source, detail_type).refused += 1;
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

impl Traffic {
    /// Counters for at most `max_types` types (at least 1).
    pub fn new(max_types: usize) -> Self {
        Self { max_types: max_types.max(1), inner: Mutex::default() }
    }

    /// Adds one request's counts, made at `minute` (minutes since the epoch) on `bus` by
    /// the key `key` (`None`: no key).
    pub fn apply(&self, bus: &str, key: Option<&str>, minute: u64, tally: Tally<'_>) {
        if tally.is_empty() {
            return;
        }
        let key_name = key.unwrap_or(NO_KEY);
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let inner = &mut *inner;
        for row in tally.rows {
            let id = (bus.to_owned(), row.source, row.detail_type);
            let full = inner.types.len() >= self.max_types;
            let traffic = match inner.types.get_mut(&id) {
                Some(t) => t,
                None if full => {
                    inner.untracked += row.accepted + row.refused;
                    continue;
                }
                None => inner
                    .types
                    .entry(id)
                    .or_insert_with(|| TypeTraffic { first_minute: minute, ..TypeTraffic::default() }),
            };
            traffic.minutes.add(minute, row.accepted, row.refused);
            traffic.hours.add(minute / 60, row.accepted, row.refused);
            traffic.last_minute = traffic.last_minute.max(minute);
            let keys_full = traffic.keys.len() >= MAX_KEYS_PER_TYPE && !traffic.keys.contains_key(key_name);
            let name = if keys_full { OTHER_KEYS } else { key_name };
            let counts = match traffic.keys.get_mut(name) {
                Some(c) => c,
                None => traffic.keys.entry(name.to_owned()).or_default(),
            };
            counts.accepted += row.accepted;
            counts.refused += row.refused;
            counts.last_minute = counts.last_minute.max(minute);
            if let Some(detail) = row.sample {
                let stale = traffic.sample.as_ref().is_none_or(|s| s.minute + SAMPLE_EVERY_MINUTES <= minute);
                if stale {
                    traffic.sample = Some(Sample { minute, detail: detail.into_owned() });
                }
            }
        }
    }

    /// The counts of every type of `bus` (every bus when `None`) at `minute`.
    pub fn snapshot(&self, bus: Option<&str>, minute: u64) -> Vec<TypeCounts> {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner
            .types
            .iter()
            .filter(|((b, _, _), _)| bus.is_none_or(|want| want == b))
            .map(|((b, source, detail_type), t)| {
                let (accepted_hour, refused_hour) = t.minutes.sum(minute);
                let (accepted_day, refused_day) = t.hours.sum(minute / 60);
                let mut keys: Vec<_> =
                    t.keys.iter().map(|(k, c)| (k.clone(), c.accepted, c.refused, c.last_minute)).collect();
                keys.sort();
                TypeCounts {
                    bus: b.clone(),
                    source: source.clone(),
                    detail_type: detail_type.clone(),
                    accepted_hour,
                    refused_hour,
                    accepted_day,
                    refused_day,
                    first_minute: t.first_minute,
                    last_minute: t.last_minute,
                    keys,
                    sample: t.sample.clone(),
                }
            })
            .collect()
    }

    /// Entries not counted because the type limit was reached, since the start.
    pub fn untracked(&self) -> u64 {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).untracked
    }

    /// Forgets the types of a deleted bus.
    pub fn remove_bus(&self, bus: &str) {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).types.retain(|(b, _, _), _| b != bus);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally<'a>(accepted: &[(&str, &str)], refused: &[(&str, &str)]) -> Tally<'a> {
        let mut t = Tally::default();
        for (s, d) in accepted {
            t.accepted(s, d, &Cow::Borrowed("{}"));
        }
        for (s, d) in refused {
            t.refused(s, d);
        }
        t
    }

    fn counts(traffic: &Traffic, minute: u64) -> Vec<(String, u64, u64, u64, u64)> {
        let mut out: Vec<_> = traffic
            .snapshot(None, minute)
            .into_iter()
            .map(|c| (c.detail_type, c.accepted_hour, c.refused_hour, c.accepted_day, c.refused_day))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn the_hour_window_drops_minutes_older_than_sixty_and_the_day_keeps_them() {
        let traffic = Traffic::new(10);
        let start = 60 * 1000; // on an hour boundary
        traffic.apply("b", None, start, tally(&[("s", "A"), ("s", "A")], &[("s", "A")]));
        traffic.apply("b", None, start + 30, tally(&[("s", "A")], &[]));
        assert_eq!(counts(&traffic, start + 30), vec![("A".into(), 3, 1, 3, 1)]);
        // 60 minutes after the first request its minute is out of the hour, not of the day.
        assert_eq!(counts(&traffic, start + 60), vec![("A".into(), 1, 0, 3, 1)]);
        // 24 hours later both requests' hour is out of the day.
        assert_eq!(counts(&traffic, start + 24 * 60), vec![("A".into(), 0, 0, 0, 0)]);
    }

    #[test]
    fn a_bucket_reused_for_a_later_period_starts_from_zero() {
        let traffic = Traffic::new(10);
        traffic.apply("b", None, 5, tally(&[("s", "A")], &[]));
        traffic.apply("b", None, 65, tally(&[("s", "A")], &[])); // same slot, an hour later
        assert_eq!(counts(&traffic, 65), vec![("A".into(), 1, 0, 2, 0)]);
    }

    #[test]
    fn types_past_the_limit_are_counted_as_untracked_and_keys_past_theirs_as_other() {
        let traffic = Traffic::new(1);
        traffic.apply("b", None, 1, tally(&[("s", "A"), ("s", "B"), ("s", "B")], &[]));
        assert_eq!(counts(&traffic, 1).len(), 1);
        assert_eq!(traffic.untracked(), 2);
        for i in 0..=MAX_KEYS_PER_TYPE {
            traffic.apply("b", Some(&format!("k{i}")), 1, tally(&[("s", "A")], &[]));
        }
        let keys = &traffic.snapshot(Some("b"), 1)[0].keys;
        assert_eq!(
            keys.len(),
            MAX_KEYS_PER_TYPE + 1,
            "32 named keys, the first (no key) among them, and other"
        );
        assert!(keys.iter().any(|k| k.0 == OTHER_KEYS));
    }

    #[test]
    fn the_sample_is_replaced_at_most_once_a_minute() {
        let traffic = Traffic::new(10);
        let mut t = Tally::default();
        t.accepted("s", "A", &Cow::Borrowed(r#"{"n":1}"#));
        t.accepted("s", "A", &Cow::Borrowed(r#"{"n":2}"#));
        traffic.apply("b", None, 7, t);
        let mut t = Tally::default();
        t.accepted("s", "A", &Cow::Borrowed(r#"{"n":3}"#));
        traffic.apply("b", None, 7, t);
        let sample = traffic.snapshot(None, 7)[0].sample.clone().map(|s| s.detail);
        assert_eq!(sample.as_deref(), Some(r#"{"n":1}"#), "first of the request, kept within the minute");
        let mut t = Tally::default();
        t.accepted("s", "A", &Cow::Borrowed(r#"{"n":4}"#));
        traffic.apply("b", None, 8, t);
        let sample = traffic.snapshot(None, 8)[0].sample.clone().map(|s| s.detail);
        assert_eq!(sample.as_deref(), Some(r#"{"n":4}"#));
    }
}
