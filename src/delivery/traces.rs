//! Delivery traces: per event, the rules it matched, the targets it went to, and every
//! webhook attempt. Kept in memory, bounded by count and age, so tracing costs no disk
//! write on the PutEvents path; ended webhook deliveries are also persisted with the
//! outbox (`deliveries` tree), so their part of a trace survives a restart.
//! The type is small on purpose: routing traces may later come from the event journal.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustc_hash::FxBuildHasher;
use serde::Serialize;
use smallvec::SmallVec;
use utoipa::ToSchema;

use crate::model::{AttemptRecord, DeliveryOutcome};

/// One target an event went to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetTrace {
    /// Rule that matched.
    #[schema(value_type = String)]
    pub rule: Arc<str>,
    /// Target id.
    #[schema(value_type = String)]
    pub target: Arc<str>,
    /// `queue`, `bus` or `webhook`.
    pub target_type: &'static str,
    /// Where the delivery is or ended.
    pub outcome: DeliveryOutcome,
    /// Why it was dead-lettered or dropped; where it went (queue, bus, DLQ).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Set when this delivery came from a replay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay_name: Option<String>,
    /// Webhook attempts, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<AttemptRecord>,
}

/// The trace of one event on one bus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventTrace {
    /// Event id.
    pub event_id: String,
    /// Bus.
    pub bus: String,
    /// Names of the rules that matched (empty: none did).
    #[schema(value_type = Vec<String>)]
    pub rules_matched: Vec<Arc<str>>,
    /// One entry per (rule, target).
    pub deliveries: Vec<TargetTrace>,
    /// `false` when the routing part was lost (restart) and only persisted webhook
    /// deliveries are shown.
    pub complete: bool,
}

/// (bus number, event id as a UUID).
type Key = (u32, u128);

/// Rules an event matched. Inline for the usual single rule, so recording a trace
/// allocates nothing and evicting one frees nothing.
pub type MatchedRules = SmallVec<[Arc<str>; 1]>;

/// Where an event went, one entry per (rule, target); inline for the usual one.
pub type Deliveries = SmallVec<[TargetTrace; 1]>;

/// What is kept of one event on one bus.
#[derive(Debug)]
struct Kept {
    key: Key,
    rules: MatchedRules,
    deliveries: Deliveries,
    at: Instant,
}

/// Recording a trace is on the PutEvents path, once per event, and the store is large
/// (100,000 events by default, tens of MB). So the traces themselves sit in a ring in the
/// order they came, where recording and evicting touch memory in sequence, and the only
/// random access is to a small index: 16-byte entries (a digest of the key and the
/// trace's place in the ring), not the ~200-byte trace, in a table of twice the count.
/// With the traces in the map itself, its inserts, removals and periodic rehashes
/// (tombstones left by evictions) cost 7 % of the bench's CPU. Evicting does not touch
/// the index either: each removal was a cache miss as costly as the insert, so entries
/// of evicted traces stay until a sweep drops them all at once (a sequential pass, once
/// a quarter of the count has been evicted); until then a lookup tells them by their
/// number, which is below `first`.
#[derive(Debug)]
struct State {
    /// Kept traces, oldest first; `ring[0]` is trace number `first`.
    ring: VecDeque<Kept>,
    first: u64,
    /// Trace number by key digest. Two keys with one digest (about one chance in 10^9
    /// at 100,000 traces) cost only the older trace, which is then no longer found.
    index: HashMap<u64, u64, FxBuildHasher>,
    /// Evictions since the last sweep of the index.
    evicted: usize,
    /// Bus numbers, for keys (a bus deleted and created again keeps its number).
    buses: HashMap<Box<str>, u32, FxBuildHasher>,
}

/// 64 bits of a key: an event id is a random UUID v4, so its low 64 bits (62 of them
/// random) already spread; the bus number is mixed in for ids seen on several buses.
fn digest((bus, id): Key) -> u64 {
    (id as u64) ^ u64::from(bus).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl State {
    /// The key of an event id on a known bus.
    fn key(&self, bus: &str, event_id: &str) -> Option<Key> {
        Some((*self.buses.get(bus)?, uuid::Uuid::try_parse(event_id).ok()?.as_u128()))
    }

    fn find_mut(&mut self, key: Key) -> Option<&mut Kept> {
        let number = *self.index.get(&digest(key))?;
        let kept = self.ring.get_mut(usize::try_from(number.checked_sub(self.first)?).ok()?)?;
        (kept.key == key).then_some(kept)
    }

    /// Drops the oldest trace (its index entry goes with the next sweep).
    fn evict_oldest(&mut self) {
        if self.ring.pop_front().is_some() {
            self.first += 1;
            self.evicted += 1;
        }
    }

    /// Drops the index entries of evicted traces once a quarter of `max_events` piled up.
    fn sweep(&mut self, max_events: usize) {
        if self.evicted > max_events / 4 {
            let first = self.first;
            self.index.retain(|_, number| *number >= first);
            self.evicted = 0;
        }
    }

    /// The number of a bus, given one if new (a bus deleted and created again keeps it).
    fn bus_number(&mut self, bus: &str) -> u32 {
        if let Some(&n) = self.buses.get(bus) {
            return n;
        }
        // Looked up first: `entry` would copy the name on every call.
        let n = u32::try_from(self.buses.len()).unwrap_or(u32::MAX);
        self.buses.insert(bus.into(), n);
        n
    }

    /// Records one event's routing: merged into its trace if it has one (replays, loops
    /// between buses), else added as the newest, evicting what is past the bounds.
    fn record(&mut self, pending: Pending, key: Key, now: Instant, bounds: (usize, Duration)) {
        let Pending { new, rules, deliveries, .. } = pending;
        if !new && let Some(kept) = self.find_mut(key) {
            for rule in rules {
                if !kept.rules.contains(&rule) {
                    kept.rules.push(rule);
                }
            }
            kept.deliveries.extend(deliveries);
            return;
        }
        let (max_events, window) = bounds;
        while self.ring.len() >= max_events
            || self.ring.front().is_some_and(|kept| now.duration_since(kept.at) > window)
        {
            self.evict_oldest();
        }
        self.sweep(max_events);
        let place = self.first + self.ring.len() as u64;
        self.index.insert(digest(key), place);
        self.ring.push_back(Kept { key, rules, deliveries, at: now });
    }
}

/// One event's routing, waiting in a [`TraceBatch`].
#[derive(Debug)]
struct Pending {
    /// Index in the batch's `buses`.
    bus: usize,
    id: u128,
    /// The event cannot have a trace on this bus yet (a fresh event at its first bus), so
    /// no lookup is needed.
    new: bool,
    rules: MatchedRules,
    deliveries: Deliveries,
}

/// The routing traces of a group of events (one PutEvents request), recorded together
/// by [`Traces::record`]: one lock, one bus lookup, instead of one per event, which the
/// two workers of a 2-core machine contended for.
#[derive(Debug, Default)]
pub struct TraceBatch {
    buses: Vec<String>,
    items: Vec<Pending>,
}

impl TraceBatch {
    /// The rules matched by the last event pushed (the top-level visit of an event just
    /// published: forwards are pushed before it), for the live tail.
    pub fn last_rules(&self) -> Vec<String> {
        self.items.last().map(|p| p.rules.iter().map(|r| r.to_string()).collect()).unwrap_or_default()
    }

    /// Adds how an event was routed on a bus; `new` when it is a fresh event at the first
    /// bus it reaches (it then cannot have a trace there yet).
    pub fn push(
        &mut self,
        bus: &str,
        event_id: &str,
        new: bool,
        rules: MatchedRules,
        deliveries: Deliveries,
    ) {
        // Every event id is a UUID this service generated; anything else has no trace.
        let Ok(id) = uuid::Uuid::try_parse(event_id) else { return };
        let bus = match self.buses.iter().position(|b| b == bus) {
            Some(i) => i,
            None => {
                self.buses.push(bus.to_owned());
                self.buses.len() - 1
            }
        };
        let id = id.as_u128();
        // A loop between buses brings the event back to its first bus, and the deeper
        // visit is pushed first: then this one merges into it.
        let new = new && !self.items.iter().any(|p| p.bus == bus && p.id == id);
        self.items.push(Pending { bus, id, new, rules, deliveries });
    }
}

/// The bounded trace store. Cheap to clone; clones share state.
#[derive(Debug, Clone)]
pub struct Traces {
    state: Arc<Mutex<State>>,
    max_events: usize,
    window: Duration,
}

impl Traces {
    /// A store keeping at most `max_events` events for at most `window`.
    pub fn new(max_events: usize, window: Duration) -> Self {
        let max_events = max_events.max(1);
        // Sized up front, and the index at twice the count: growing rehashes every entry
        // on the PutEvents path, and the index holds up to 1.25 times the count between
        // sweeps. Untouched pages cost address space, not memory.
        let capacity = max_events.min(1 << 20);
        let state = State {
            ring: VecDeque::with_capacity(capacity),
            first: 0,
            index: HashMap::with_capacity_and_hasher(2 * capacity, FxBuildHasher),
            evicted: 0,
            buses: HashMap::default(),
        };
        Self { state: Arc::new(Mutex::new(state)), max_events, window }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records how an event was routed on a bus (called once per bus it reached; a
    /// replay adds to the original's trace).
    pub fn record_routing(&self, bus: &str, event_id: &str, rules: MatchedRules, deliveries: Deliveries) {
        let mut batch = TraceBatch::default();
        batch.push(bus, event_id, false, rules, deliveries);
        self.record(batch);
    }

    /// Records a batch of routings, in the order they were added.
    pub fn record(&self, batch: TraceBatch) {
        if batch.items.is_empty() {
            return;
        }
        let now = Instant::now();
        let mut state = self.lock();
        let numbers: SmallVec<[u32; 2]> = batch.buses.iter().map(|b| state.bus_number(b)).collect();
        for pending in batch.items {
            let key = (numbers[pending.bus], pending.id);
            state.record(pending, key, now, (self.max_events, self.window));
        }
    }

    /// Records a webhook attempt and where the delivery now is.
    pub fn record_attempt(
        &self,
        bus: &str,
        event_id: &str,
        (rule, target): (&str, &str),
        attempt: AttemptRecord,
        outcome: DeliveryOutcome,
        reason: Option<String>,
    ) {
        let mut state = self.lock();
        let Some(key) = state.key(bus, event_id) else { return };
        let Some(kept) = state.find_mut(key) else { return };
        // The latest delivery of this (rule, target): a replay's comes after the original's.
        if let Some(t) = kept.deliveries.iter_mut().rev().find(|t| &*t.rule == rule && &*t.target == target) {
            t.attempts.push(attempt);
            t.outcome = outcome;
            t.reason = reason;
        }
    }

    /// The trace of an event, if still kept.
    pub fn get(&self, bus: &str, event_id: &str) -> Option<EventTrace> {
        let mut state = self.lock();
        let key = state.key(bus, event_id)?;
        let kept = state.find_mut(key)?;
        (kept.at.elapsed() <= self.window).then(|| EventTrace {
            event_id: event_id.to_owned(),
            bus: bus.to_owned(),
            rules_matched: kept.rules.to_vec(),
            deliveries: kept.deliveries.to_vec(),
            complete: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> String {
        uuid::Uuid::from_u128(n).to_string()
    }

    fn routed(rule: &str) -> (MatchedRules, Deliveries) {
        let rule: Arc<str> = rule.into();
        let delivery = TargetTrace {
            rule: Arc::clone(&rule),
            target: "q".into(),
            target_type: "queue",
            outcome: DeliveryOutcome::Enqueued,
            reason: None,
            replay_name: None,
            attempts: Vec::new(),
        };
        (smallvec::smallvec![rule], smallvec::smallvec![delivery])
    }

    fn rules_of(traces: &Traces, bus: &str, n: u128) -> Option<Vec<String>> {
        traces.get(bus, &id(n)).map(|t| t.rules_matched.iter().map(|r| r.to_string()).collect())
    }

    #[test]
    fn keeps_the_newest_events_up_to_the_count() {
        let traces = Traces::new(3, Duration::from_secs(60));
        for n in 1..=5 {
            let (rules, deliveries) = routed("r");
            traces.record_routing("b", &id(n), rules, deliveries);
        }
        assert_eq!(rules_of(&traces, "b", 1), None);
        assert_eq!(rules_of(&traces, "b", 2), None);
        for n in 3..=5 {
            assert_eq!(rules_of(&traces, "b", n), Some(vec!["r".to_owned()]), "event {n}");
        }
        assert_eq!(traces.lock().index.len(), 3, "a small store sweeps at every eviction");
    }

    #[test]
    fn a_second_routing_of_an_event_adds_to_its_trace() {
        let traces = Traces::new(10, Duration::from_secs(60));
        let (rules, deliveries) = routed("first");
        traces.record_routing("b", &id(7), rules, deliveries);
        let (rules, deliveries) = routed("second");
        traces.record_routing("b", &id(7), rules, deliveries);
        let trace = traces.get("b", &id(7)).expect("kept");
        assert_eq!(trace.rules_matched.len(), 2);
        assert_eq!(trace.deliveries.len(), 2);
        // The same id on another bus is another trace.
        assert_eq!(rules_of(&traces, "other", 7), None);
        let (rules, deliveries) = routed("elsewhere");
        traces.record_routing("other", &id(7), rules, deliveries);
        assert_eq!(rules_of(&traces, "other", 7), Some(vec!["elsewhere".to_owned()]));
        assert_eq!(traces.get("b", &id(7)).map(|t| t.rules_matched.len()), Some(2));
    }

    #[test]
    fn attempts_land_on_the_latest_delivery_of_their_target() {
        let traces = Traces::new(10, Duration::from_secs(60));
        let (rules, deliveries) = routed("r");
        traces.record_routing("b", &id(1), rules, deliveries);
        let attempt = AttemptRecord {
            attempt: 1,
            at: "2026-12-02T00:00:00Z".to_owned(),
            outcome: "retry".to_owned(),
            status: Some(503),
            error_code: None,
            error_message: None,
            duration_ms: 3,
            next_attempt_at: None,
        };
        traces.record_attempt(
            "b",
            &id(1),
            ("r", "q"),
            attempt,
            DeliveryOutcome::Pending,
            Some("503".to_owned()),
        );
        let trace = traces.get("b", &id(1)).expect("kept");
        assert_eq!(trace.deliveries[0].attempts.len(), 1);
        assert_eq!(trace.deliveries[0].outcome, DeliveryOutcome::Pending);
        // An unknown event or target records nothing and does not fail.
        traces.record_attempt(
            "b",
            &id(2),
            ("r", "q"),
            trace.deliveries[0].attempts[0].clone(),
            DeliveryOutcome::Delivered,
            None,
        );
        assert!(traces.get("b", &id(2)).is_none());
    }

    #[test]
    fn traces_older_than_the_window_are_gone() {
        let traces = Traces::new(10, Duration::from_millis(20));
        let (rules, deliveries) = routed("r");
        traces.record_routing("b", &id(1), rules, deliveries);
        std::thread::sleep(Duration::from_millis(40));
        assert!(traces.get("b", &id(1)).is_none(), "expired on read");
        let (rules, deliveries) = routed("r");
        traces.record_routing("b", &id(2), rules, deliveries);
        assert_eq!(traces.lock().ring.len(), 1, "expired on the next record");
    }

    #[test]
    fn a_digest_collision_costs_only_the_older_trace() {
        let traces = Traces::new(10, Duration::from_secs(60));
        // Same low 64 bits, so the same digest on one bus.
        let (older, newer) = (1u128 << 64 | 5, 2u128 << 64 | 5);
        let (rules, deliveries) = routed("old");
        traces.record_routing("b", &id(older), rules, deliveries);
        let (rules, deliveries) = routed("new");
        traces.record_routing("b", &id(newer), rules, deliveries);
        assert_eq!(rules_of(&traces, "b", older), None);
        assert_eq!(rules_of(&traces, "b", newer), Some(vec!["new".to_owned()]));
        for n in 100..120 {
            let (rules, deliveries) = routed("r");
            traces.record_routing("b", &id(n), rules, deliveries);
        }
        assert!(traces.lock().index.len() <= 10 + 10 / 4 + 1);
    }

    #[test]
    fn the_index_stays_bounded_and_evicted_traces_stay_gone() {
        let traces = Traces::new(100, Duration::from_secs(60));
        for n in 0..10_000 {
            let (rules, deliveries) = routed("r");
            traces.record_routing("b", &id(n), rules, deliveries);
            assert!(traces.lock().index.len() <= 100 + 100 / 4 + 1, "after event {n}");
        }
        assert_eq!(rules_of(&traces, "b", 9_899), None, "evicted, its entry maybe not swept yet");
        assert_eq!(rules_of(&traces, "b", 9_900), Some(vec!["r".to_owned()]));
        assert_eq!(rules_of(&traces, "b", 0), None);
    }

    #[test]
    fn a_batch_records_each_event_on_its_bus_and_merges_a_loop_back() {
        let traces = Traces::new(10, Duration::from_secs(60));
        let mut batch = TraceBatch::default();
        // Event 1 goes a -> b -> a: the deeper visits are pushed first, as routing does.
        let (rules, deliveries) = routed("back-to-a");
        batch.push("a", &id(1), false, rules, deliveries);
        let (rules, deliveries) = routed("to-a");
        batch.push("b", &id(1), false, rules, deliveries);
        let (rules, deliveries) = routed("to-b");
        batch.push("a", &id(1), true, rules, deliveries);
        let (rules, deliveries) = routed("r");
        batch.push("a", &id(2), true, rules, deliveries);
        let (rules, deliveries) = routed("r");
        batch.push("a", "not-a-uuid", true, rules, deliveries);
        traces.record(batch);
        assert_eq!(rules_of(&traces, "a", 1), Some(vec!["back-to-a".to_owned(), "to-b".to_owned()]));
        assert_eq!(rules_of(&traces, "b", 1), Some(vec!["to-a".to_owned()]));
        assert_eq!(rules_of(&traces, "a", 2), Some(vec!["r".to_owned()]));
        assert_eq!(traces.lock().ring.len(), 3, "one trace per (bus, event); no id, no trace");
    }
}
