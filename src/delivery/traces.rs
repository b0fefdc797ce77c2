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

/// (bus number, event id as a UUID). Recording a trace is on the PutEvents path, once
/// per event, and the map is large: a key compared in place, with no string behind a
/// pointer, keeps each insert and eviction to about one cache miss.
type Key = (u32, u128);

/// Rules an event matched. Inline for the usual single rule, so recording a trace
/// allocates nothing and evicting one frees nothing.
pub type MatchedRules = SmallVec<[Arc<str>; 1]>;

/// Where an event went, one entry per (rule, target); inline for the usual one.
pub type Deliveries = SmallVec<[TargetTrace; 1]>;

/// What is kept of one event on one bus (the key holds its bus and id).
#[derive(Debug)]
struct Kept {
    rules: MatchedRules,
    deliveries: Deliveries,
    at: Instant,
}

#[derive(Debug)]
struct State {
    traces: HashMap<Key, Kept, FxBuildHasher>,
    order: VecDeque<(Key, Instant)>,
    /// Bus numbers, for keys (a bus deleted and created again keeps its number).
    buses: HashMap<Box<str>, u32, FxBuildHasher>,
}

impl State {
    /// The key of an event already seen on a known bus.
    fn key(&self, bus: &str, event_id: &str) -> Option<Key> {
        Some((*self.buses.get(bus)?, uuid::Uuid::try_parse(event_id).ok()?.as_u128()))
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
        // Sized up front: growing the map rehashes every kept trace, on the PutEvents
        // path. Untouched buckets cost address space, not memory.
        let capacity = max_events.min(1 << 20);
        let state = State {
            traces: HashMap::with_capacity_and_hasher(capacity, FxBuildHasher),
            order: VecDeque::with_capacity(capacity),
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
        let now = Instant::now();
        let mut guard = self.lock();
        let state = &mut *guard;
        // Every event id is a UUID this service generated; anything else has no trace.
        let Ok(id) = uuid::Uuid::try_parse(event_id) else { return };
        let number = match state.buses.get(bus) {
            Some(&n) => n,
            None => {
                // Looked up first: `entry` would copy the name on every event.
                let n = u32::try_from(state.buses.len()).unwrap_or(u32::MAX);
                state.buses.insert(bus.into(), n);
                n
            }
        };
        let key: Key = (number, id.as_u128());
        if let Some(kept) = state.traces.get_mut(&key) {
            for rule in rules {
                if !kept.rules.contains(&rule) {
                    kept.rules.push(rule);
                }
            }
            kept.deliveries.extend(deliveries);
            return;
        }
        while state.order.len() >= self.max_events
            || state.order.front().is_some_and(|(_, at)| now.duration_since(*at) > self.window)
        {
            let Some((old, _)) = state.order.pop_front() else { break };
            state.traces.remove(&old);
        }
        state.order.push_back((key, now));
        state.traces.insert(key, Kept { rules, deliveries, at: now });
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
        let Some(kept) = state.traces.get_mut(&key) else { return };
        // The latest delivery of this (rule, target): a replay's comes after the original's.
        if let Some(t) = kept.deliveries.iter_mut().rev().find(|t| &*t.rule == rule && &*t.target == target) {
            t.attempts.push(attempt);
            t.outcome = outcome;
            t.reason = reason;
        }
    }

    /// The trace of an event, if still kept.
    pub fn get(&self, bus: &str, event_id: &str) -> Option<EventTrace> {
        let state = self.lock();
        let kept = state.traces.get(&state.key(bus, event_id)?)?;
        (kept.at.elapsed() <= self.window).then(|| EventTrace {
            event_id: event_id.to_owned(),
            bus: bus.to_owned(),
            rules_matched: kept.rules.to_vec(),
            deliveries: kept.deliveries.to_vec(),
            complete: true,
        })
    }
}
