//! Delivery traces: per event, the rules it matched, the targets it went to, and every
//! webhook attempt. Kept in memory, bounded by count and age, so tracing costs no disk
//! write on the PutEvents path; ended webhook deliveries are also persisted with the
//! outbox (`deliveries` tree), so their part of a trace survives a restart.
//! The type is small on purpose: routing traces may later come from the event journal.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use utoipa::ToSchema;

use crate::model::{AttemptRecord, DeliveryOutcome};

/// One target an event went to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetTrace {
    /// Rule that matched.
    pub rule: String,
    /// Target id.
    pub target: String,
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
    pub rules_matched: Vec<String>,
    /// One entry per (rule, target).
    pub deliveries: Vec<TargetTrace>,
    /// `false` when the routing part was lost (restart) and only persisted webhook
    /// deliveries are shown.
    pub complete: bool,
}

type Key = (String, String);

#[derive(Debug, Default)]
struct State {
    traces: HashMap<Key, (EventTrace, Instant)>,
    order: VecDeque<(Key, Instant)>,
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
        Self { state: Arc::default(), max_events: max_events.max(1), window }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records how an event was routed on a bus (called once per bus it reached; a
    /// replay adds to the original's trace).
    pub fn record_routing(
        &self,
        bus: &str,
        event_id: &str,
        rules: Vec<String>,
        deliveries: Vec<TargetTrace>,
    ) {
        let now = Instant::now();
        let mut state = self.lock();
        let key = (bus.to_owned(), event_id.to_owned());
        if let Some((trace, _)) = state.traces.get_mut(&key) {
            for rule in rules {
                if !trace.rules_matched.contains(&rule) {
                    trace.rules_matched.push(rule);
                }
            }
            trace.deliveries.extend(deliveries);
            return;
        }
        while state.order.len() >= self.max_events
            || state.order.front().is_some_and(|(_, at)| now.duration_since(*at) > self.window)
        {
            let Some((old, _)) = state.order.pop_front() else { break };
            state.traces.remove(&old);
        }
        state.order.push_back((key.clone(), now));
        let trace = EventTrace {
            event_id: event_id.to_owned(),
            bus: bus.to_owned(),
            rules_matched: rules,
            deliveries,
            complete: true,
        };
        state.traces.insert(key, (trace, now));
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
        let Some((trace, _)) = state.traces.get_mut(&(bus.to_owned(), event_id.to_owned())) else { return };
        // The latest delivery of this (rule, target): a replay's comes after the original's.
        if let Some(t) = trace.deliveries.iter_mut().rev().find(|t| t.rule == rule && t.target == target) {
            t.attempts.push(attempt);
            t.outcome = outcome;
            t.reason = reason;
        }
    }

    /// The trace of an event, if still kept.
    pub fn get(&self, bus: &str, event_id: &str) -> Option<EventTrace> {
        let state = self.lock();
        let (trace, at) = state.traces.get(&(bus.to_owned(), event_id.to_owned()))?;
        (at.elapsed() <= self.window).then(|| trace.clone())
    }
}
