//! Routing: per bus, all enabled rules compiled into ONE [`PatternMatcher`], updated
//! incrementally when a rule is put or deleted, and rebuilt from storage at startup.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde_json::Value;

use super::envelope::{Envelope, EnvelopeContext};
use crate::model::{RuleRecord, RuleState, Target};
use crate::pattern::PatternMatcher;
use crate::transform::Transformation;

/// A rule with its targets' compiled input transformations (same order as `targets`).
#[derive(Debug)]
pub struct RoutedRule {
    /// The rule's name, shared by the traces of every event it routes.
    pub name: Arc<str>,
    /// Its targets' ids (same order as `targets`), shared likewise.
    pub target_ids: Vec<Arc<str>>,
    /// Its `schemabus_rule_matches_total` counter, looked up once: a lookup hashes and
    /// copies the labels, which per event cost more than matching.
    pub matches: metrics::Counter,
    /// The rule.
    pub record: RuleRecord,
    /// One per target.
    pub transforms: Vec<Transformation>,
    /// The parsed schedule, when the rule has one.
    pub schedule: Option<crate::schedule::Schedule>,
}

/// An event being routed: fresh from PutEvents or a service event (its `detail` read in
/// place), or parsed back from its stored bytes (replays).
#[derive(Debug, Clone, Copy)]
pub enum Routable<'e> {
    /// A new event, with the account and region its envelope carries.
    Fresh(&'e Envelope<'e>, &'e EnvelopeContext),
    /// A stored event.
    Stored(&'e Value),
}

impl<'e> Routable<'e> {
    /// `replay-name`, set on the events a replay sends.
    pub fn replay_name(self) -> Option<&'e str> {
        match self {
            Routable::Fresh(..) => None,
            Routable::Stored(value) => value.get("replay-name").and_then(Value::as_str),
        }
    }

    /// `time`.
    pub fn time(self) -> Option<&'e str> {
        match self {
            Routable::Fresh(envelope, _) => Some(&envelope.time),
            Routable::Stored(value) => value.get("time").and_then(Value::as_str),
        }
    }

    /// The whole event as a `Value` (input transformations), given its stored `bytes`: a
    /// fresh event is read back from them rather than written again.
    pub fn to_value(self, bytes: &[u8]) -> std::borrow::Cow<'e, Value> {
        match self {
            Routable::Fresh(..) => std::borrow::Cow::Owned(serde_json::from_slice(bytes).unwrap_or_default()),
            Routable::Stored(value) => std::borrow::Cow::Borrowed(value),
        }
    }
}

/// One delivery an event is routed to.
#[derive(Debug, Clone)]
pub struct Route {
    /// The rule that matched.
    pub rule: Arc<RoutedRule>,
    /// Index of the target in the rule.
    pub index: usize,
}

impl Route {
    /// The target.
    pub fn target(&self) -> &Target {
        &self.rule.record.targets[self.index]
    }

    /// Its compiled input transformation.
    pub fn transform(&self) -> &Transformation {
        &self.rule.transforms[self.index]
    }
}

#[derive(Default)]
struct BusRoutes {
    matcher: PatternMatcher<String>,
    rules: HashMap<String, Arc<RoutedRule>>,
}

/// Routes of every bus. Matching takes a read lock; rule changes take the write lock
/// for the time of one add/remove.
#[derive(Default, Clone)]
pub struct Router {
    buses: Arc<RwLock<HashMap<String, BusRoutes>>>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router").finish_non_exhaustive()
    }
}

impl Router {
    /// Installs (or replaces) a rule whose pattern and schedule were already parsed. A
    /// rule without a pattern matches no event; only its schedule triggers it.
    pub fn put(&self, rule: RuleRecord, checked: super::checks::CheckedRule) {
        let mut buses = self.buses.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let routes = buses.entry(rule.bus.clone()).or_default();
        routes.matcher.remove(&rule.name);
        if rule.state == RuleState::Enabled
            && let Some(pattern) = checked.pattern
        {
            routes.matcher.add(rule.name.clone(), pattern);
        }
        let transforms = rule
            .targets
            .iter()
            .map(|t| {
                let (input, path, transformer) = t.input_options();
                Transformation::compile(input, path, transformer).unwrap_or_else(|e| {
                    // Checked when the rule was saved; a stored rule that no longer compiles
                    // delivers the whole event rather than nothing.
                    tracing::error!(rule = %rule.name, target = t.id(), error = %e.message, "stored transformation no longer compiles");
                    Transformation::Whole
                })
            })
            .collect();
        let (name, target_ids) =
            (rule.name.as_str().into(), rule.targets.iter().map(|t| t.id().into()).collect());
        let matches = super::metrics::rule_matches(&rule.bus, &rule.name);
        let schedule = checked.schedule;
        let routed = RoutedRule { name, target_ids, matches, record: rule, transforms, schedule };
        routes.rules.insert(routed.record.name.clone(), Arc::new(routed));
    }

    /// Whether exactly this record is installed.
    pub fn holds(&self, rule: &RuleRecord) -> bool {
        let buses = self.buses.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        buses
            .get(&rule.bus)
            .and_then(|routes| routes.rules.get(&rule.name))
            .is_some_and(|r| &r.record == rule)
    }

    /// Removes every rule `keep` refuses (by bus and rule name), and buses left empty.
    pub fn retain(&self, keep: impl Fn(&str, &str) -> bool) {
        let mut buses = self.buses.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (bus, routes) in buses.iter_mut() {
            let gone: Vec<String> = routes.rules.keys().filter(|rule| !keep(bus, rule)).cloned().collect();
            for rule in gone {
                routes.matcher.remove(&rule);
                routes.rules.remove(&rule);
            }
        }
        buses.retain(|_, routes| !routes.rules.is_empty());
    }

    /// The targets of every enabled rule of `bus` the event matches (only of the rules in
    /// `only`, when given: replays). Matches the envelope's fields or the parsed event:
    /// the matcher follows only the fields some pattern names, where the raw-bytes
    /// matcher has to scan the whole serialised event.
    pub fn route(&self, bus: &str, event: Routable<'_>, only: Option<&[String]>) -> Vec<Route> {
        let buses = self.buses.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(routes) = buses.get(bus) else {
            return Vec::new();
        };
        if routes.matcher.is_empty() {
            return Vec::new();
        }
        let names = match event {
            Routable::Fresh(envelope, ctx) => routes.matcher.matches_fields(envelope.fields(ctx)),
            Routable::Stored(value) => routes.matcher.matches(value),
        };
        let mut out = Vec::new();
        for name in names {
            if only.is_some_and(|o| !o.contains(&name)) {
                continue;
            }
            if let Some(rule) = routes.rules.get(&name) {
                out.extend(
                    (0..rule.record.targets.len()).map(|index| Route { rule: Arc::clone(rule), index }),
                );
            }
        }
        out
    }

    /// The enabled rules of `bus` that have a schedule.
    pub fn scheduled(&self, bus: &str) -> Vec<Arc<RoutedRule>> {
        let buses = self.buses.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        buses.get(bus).map_or_else(Vec::new, |routes| {
            routes
                .rules
                .values()
                .filter(|r| r.schedule.is_some() && r.record.state == RuleState::Enabled)
                .cloned()
                .collect()
        })
    }

    /// Every target of one rule (a scheduled event goes to its rule's targets only,
    /// whatever the rule's pattern says).
    pub fn rule_routes(&self, bus: &str, rule: &str) -> Vec<Route> {
        let buses = self.buses.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        buses.get(bus).and_then(|routes| routes.rules.get(rule)).map_or_else(Vec::new, |rule| {
            (0..rule.record.targets.len()).map(|index| Route { rule: Arc::clone(rule), index }).collect()
        })
    }

    /// Number of rules installed on a bus.
    pub fn rule_count(&self, bus: &str) -> usize {
        self.buses.read().map(|b| b.get(bus).map_or(0, |r| r.rules.len())).unwrap_or(0)
    }
}
