//! Routing: per bus, all enabled rules compiled into ONE [`PatternMatcher`], updated
//! incrementally when a rule is put or deleted, and rebuilt from storage at startup.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde_json::Value;

use crate::model::{RuleRecord, RuleState, Target};
use crate::pattern::{Pattern, PatternMatcher};

#[derive(Default)]
struct BusRoutes {
    matcher: PatternMatcher<String>,
    rules: HashMap<String, Arc<RuleRecord>>,
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
    /// Installs (or replaces) a rule whose pattern was already parsed.
    pub fn put(&self, rule: RuleRecord, pattern: Pattern) {
        let mut buses = self.buses.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let routes = buses.entry(rule.bus.clone()).or_default();
        routes.matcher.remove(&rule.name);
        if rule.state == RuleState::Enabled {
            routes.matcher.add(rule.name.clone(), pattern);
        }
        routes.rules.insert(rule.name.clone(), Arc::new(rule));
    }

    /// Removes a rule.
    pub fn remove(&self, bus: &str, rule: &str) {
        let mut buses = self.buses.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(routes) = buses.get_mut(bus) {
            routes.matcher.remove(&rule.to_owned());
            routes.rules.remove(rule);
        }
    }

    /// Forgets a bus.
    pub fn remove_bus(&self, bus: &str) {
        self.buses.write().unwrap_or_else(std::sync::PoisonError::into_inner).remove(bus);
    }

    /// The targets of every enabled rule of `bus` the event matches, with the rule name.
    /// Matches the serialised event: the matcher's streaming flattener reads only the
    /// fields some pattern names, several times cheaper than walking a parsed value.
    pub fn route(&self, bus: &str, event: &Value, bytes: &[u8]) -> Vec<(Arc<RuleRecord>, Target)> {
        let buses = self.buses.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(routes) = buses.get(bus) else {
            return Vec::new();
        };
        if routes.matcher.is_empty() {
            return Vec::new();
        }
        let names = routes.matcher.matches_bytes(bytes).unwrap_or_else(|_| routes.matcher.matches(event));
        let mut out = Vec::new();
        for name in names {
            if let Some(rule) = routes.rules.get(&name) {
                out.extend(rule.targets.iter().map(|t| (Arc::clone(rule), t.clone())));
            }
        }
        out
    }

    /// Number of rules installed on a bus.
    pub fn rule_count(&self, bus: &str) -> usize {
        self.buses.read().map(|b| b.get(bus).map_or(0, |r| r.rules.len())).unwrap_or(0)
    }
}
