//! The event catalog (docs/CATALOG.md): for every event type seen on a bus or registered
//! as a bus's contract, its schema, producers, consumers, traffic and discovery state;
//! and the AsyncAPI 3.0 document of a bus ([`asyncapi`]).
//!
//! This file (entries, consumer matching, paging), [`traffic`] and [`asyncapi`] are PURE
//! (plain inputs, no I/O, no clock); [`service`] gathers the inputs from the bus, registry
//! and discovery services.

pub mod asyncapi;
pub mod service;
pub mod traffic;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::model::{RuleRecord, RuleState, Target};
use crate::pattern::Pattern;

pub use service::{CatalogQuery, CatalogService};

/// A type's contract: where its schema is and its latest version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CatalogSchema {
    /// Registry holding it.
    #[schema(example = "shop")]
    pub registry: String,
    /// Schema name.
    #[schema(example = "orders@OrderPlaced")]
    pub name: String,
    /// Latest version (absent while the schema has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_version: Option<u32>,
    /// `explicit` (a binding of the bus) or `convention` (`<source>@<DetailType>`).
    #[schema(example = "convention")]
    pub found_by: String,
}

/// A key that published the type, since the service started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CatalogKey {
    /// Key name (`(no key)` without keys, `(other keys)` past 32 keys of a type).
    pub key: String,
    /// Accepted events.
    pub accepted: u64,
    /// Refused entries.
    pub refused: u64,
    /// Last time it published the type (RFC 3339, to the minute).
    pub last_seen: String,
}

/// Who publishes the type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CatalogProducers {
    /// The `source` of the type.
    pub source: String,
    /// The `detail-type` values seen (or, for a type only registered, the one of its
    /// binding or of its schema name).
    pub detail_types: Vec<String>,
    /// The keys that published it (omitted from keys that may not manage the bus).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<CatalogKey>>,
}

/// One target of a consuming rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CatalogTarget {
    /// Target id.
    pub id: String,
    /// `queue`, `bus` or `webhook`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The queue, the bus, or the webhook's URL without its query string.
    pub destination: String,
}

/// A rule whose pattern can match the type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CatalogConsumer {
    /// Rule name.
    pub rule: String,
    /// `ENABLED` or `DISABLED`.
    pub state: String,
    /// Whether the whole pattern matched the type's last accepted event (absent when no
    /// event of the type was kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matches_sample: Option<bool>,
    /// Its targets.
    pub targets: Vec<CatalogTarget>,
}

/// Counts in the windows (in memory: they restart at zero with the service).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CatalogTraffic {
    /// Accepted events in the last 60 minutes.
    pub accepted_last_hour: u64,
    /// Refused entries in the last 60 minutes.
    pub refused_last_hour: u64,
    /// Accepted events in the current hour and the 23 before it.
    pub accepted_last_day: u64,
    /// Refused entries in the current hour and the 23 before it.
    pub refused_last_day: u64,
    /// First seen since the start (RFC 3339, to the minute).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    /// Last seen (RFC 3339, to the minute).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
}

/// Discovery of the type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CatalogDiscovery {
    /// Whether discovery samples the bus.
    pub enabled: bool,
    /// The discovered schema's latest version in `discovered-schemas`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovered_version: Option<u32>,
    /// Drift events published for the bus since the start (discovery counts them per bus).
    pub bus_drift_events: u64,
}

/// The last kept event of a type (docs/CATALOG.md#samples).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CatalogSample {
    /// When it was kept (RFC 3339, to the minute).
    pub taken_at: String,
    /// The event's `source`, `detail-type` and `detail`.
    #[schema(value_type = Object)]
    pub event: Value,
}

/// One event type of one bus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CatalogEntry {
    /// `<bus>/<source>@<DetailType>`: the order of the list and its cursor.
    #[schema(example = "orders/orders@OrderPlaced")]
    pub id: String,
    /// The bus.
    pub bus: String,
    /// `<source>@<PascalCase(detail-type)>`, the contract name by convention.
    #[schema(example = "orders@OrderPlaced")]
    pub event_type: String,
    /// Whether events of the type were counted since the start.
    pub seen: bool,
    /// Whether the bus has a contract for it (a schema with this name in its registry, or
    /// an explicit binding).
    pub registered: bool,
    /// The contract (absent without one, or when the key may not read its registry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<CatalogSchema>,
    /// Whether a contract exists that the key may not read.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub schema_hidden: bool,
    /// Producers.
    pub producers: CatalogProducers,
    /// Rules that can match it (omitted from keys that may not manage the bus).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumers: Option<Vec<CatalogConsumer>>,
    /// Traffic.
    pub traffic: CatalogTraffic,
    /// Discovery.
    pub discovery: CatalogDiscovery,
    /// A recent accepted event: only where the contract's registry (or, without one, the
    /// bus's validation registry) has `catalogSamples` on, and for keys that may manage
    /// the bus.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample: Option<CatalogSample>,
}

/// A page of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CatalogPage {
    /// Entries in `id` order.
    pub items: Vec<CatalogEntry>,
    /// Pass as `cursor` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Entries not counted since the start because `--catalog-max-types` was reached.
    pub untracked_entries: u64,
}

/// The part of a pattern that names the envelope's `source` and `detail-type` (the rest
/// tests the detail, which a type does not fix): `None` when the pattern has no such
/// field, so it can match every type.
fn envelope_part(pattern: &Value) -> Option<Value> {
    let object = pattern.as_object()?;
    let kept: serde_json::Map<String, Value> = object
        .iter()
        .filter(|(k, _)| k.as_str() == "source" || k.as_str() == "detail-type")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (!kept.is_empty()).then_some(Value::Object(kept))
}

/// A rule's pattern, parsed twice: whole, and restricted to the envelope fields.
#[derive(Debug)]
pub struct ConsumerRule<'r> {
    rule: &'r RuleRecord,
    whole: Option<Pattern>,
    /// `None`: matches every type.
    envelope: Option<Pattern>,
}

impl<'r> ConsumerRule<'r> {
    /// The rule, or `None` for a rule without a pattern (schedule only: it consumes
    /// nothing) or whose pattern no longer parses.
    pub fn new(rule: &'r RuleRecord) -> Option<Self> {
        let pattern = rule.pattern.as_ref()?;
        let whole = Pattern::parse(pattern).ok()?;
        let envelope = match envelope_part(pattern) {
            Some(part) => Some(Pattern::parse(&part).ok()?),
            None => None,
        };
        Some(Self { rule, whole: Some(whole), envelope })
    }

    /// The consumer entry when the rule can match an event of `source` with one of
    /// `detail_types`; `sample` is the type's last accepted event envelope, if kept.
    pub fn consumer(
        &self,
        source: &str,
        detail_types: &[String],
        sample: Option<&Value>,
    ) -> Option<CatalogConsumer> {
        let can = match &self.envelope {
            None => true,
            Some(p) => detail_types.iter().any(|dt| p.matches(&json!({"source": source, "detail-type": dt}))),
        };
        if !can {
            return None;
        }
        let matches_sample = match (&self.whole, sample) {
            (Some(p), Some(event)) => Some(p.matches(event)),
            _ => None,
        };
        Some(CatalogConsumer {
            rule: self.rule.name.clone(),
            state: match self.rule.state {
                RuleState::Enabled => "ENABLED".to_owned(),
                RuleState::Disabled => "DISABLED".to_owned(),
            },
            matches_sample,
            targets: self.rule.targets.iter().map(target).collect(),
        })
    }

    /// The rule.
    pub fn rule(&self) -> &RuleRecord {
        self.rule
    }
}

/// A target as the catalog shows it.
pub fn target(t: &Target) -> CatalogTarget {
    match t {
        Target::Queue { id, queue, .. } => {
            CatalogTarget { id: id.clone(), kind: "queue".into(), destination: queue.clone() }
        }
        Target::Bus { id, bus, .. } => {
            CatalogTarget { id: id.clone(), kind: "bus".into(), destination: bus.clone() }
        }
        Target::Webhook(w) => {
            // The query string may carry credentials: never shown.
            let url = w.url.split(['?', '#']).next().unwrap_or_default().to_owned();
            CatalogTarget { id: w.id.clone(), kind: "webhook".into(), destination: url }
        }
    }
}

/// Minutes since the epoch as RFC 3339 (UTC, seconds zero).
pub fn minute_time(minute: u64) -> String {
    let seconds = i64::try_from(minute.saturating_mul(60)).unwrap_or(i64::MAX);
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// The filter of a catalog listing: `prefix` on the event type name, `q` (any case) in
/// the entry's id, source or detail-types, `bus` exact.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this bus.
    pub bus: Option<String>,
    /// Event type names starting with this.
    pub prefix: Option<String>,
    /// Words, all of which must appear.
    pub q: Option<String>,
}

impl Filter {
    /// Whether an entry passes.
    pub fn keeps(&self, bus: &str, event_type: &str, detail_types: &[String]) -> bool {
        if self.bus.as_deref().is_some_and(|b| b != bus) {
            return false;
        }
        if self.prefix.as_deref().is_some_and(|p| !event_type.starts_with(p)) {
            return false;
        }
        let Some(q) = self.q.as_deref() else { return true };
        let hay = format!("{bus}/{event_type} {}", detail_types.join(" ")).to_lowercase();
        q.split_whitespace().all(|w| hay.contains(&w.to_lowercase()))
    }
}

/// Pages `entries` (sorted by id) after `cursor`, `limit` a page.
pub fn page<T>(entries: BTreeMap<String, T>, cursor: Option<&str>, limit: usize) -> (Vec<T>, Option<String>) {
    let mut items = Vec::with_capacity(limit.min(entries.len()));
    let mut last = None;
    let mut more = false;
    for (id, entry) in entries {
        if cursor.is_some_and(|c| id.as_str() <= c) {
            continue;
        }
        if items.len() == limit {
            more = true;
            break;
        }
        last = Some(id);
        items.push(entry);
    }
    // A cursor only when an entry follows.
    (items, if more { last } else { None })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(pattern: Value) -> RuleRecord {
        serde_json::from_value(json!({
            "name": "r", "bus": "b", "pattern": pattern, "state": "ENABLED",
            "targets": [{"type": "queue", "id": "q", "queue": "billing"}],
            "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z"
        }))
        .unwrap()
    }

    #[test]
    fn a_rule_consumes_a_type_when_its_source_and_detail_type_conditions_match() {
        let r = rule(json!({"source": ["orders"], "detail": {"total": [{"numeric": [">", 100]}]}}));
        let c = ConsumerRule::new(&r).unwrap();
        let types = vec!["Order Placed".to_owned()];
        let small = json!({"source": "orders", "detail-type": "Order Placed", "detail": {"total": 5}});
        let consumer = c.consumer("orders", &types, Some(&small)).unwrap();
        assert_eq!(consumer.matches_sample, Some(false), "the detail condition is reported, not decisive");
        assert_eq!(consumer.targets[0].destination, "billing");
        assert!(c.consumer("payments", &types, None).is_none());
    }

    #[test]
    fn a_rule_on_the_detail_only_consumes_every_type() {
        let r = rule(json!({"detail": {"x": [1]}}));
        let c = ConsumerRule::new(&r).unwrap();
        assert!(c.consumer("anything", &["T".to_owned()], None).is_some());
    }

    #[test]
    fn paging_resumes_after_the_cursor() {
        let entries: BTreeMap<String, u32> = (0..5).map(|i| (format!("k{i}"), i)).collect();
        let (first, next) = page(entries.clone(), None, 2);
        assert_eq!(first, vec![0, 1]);
        let (second, next) = page(entries.clone(), next.as_deref(), 2);
        assert_eq!(second, vec![2, 3]);
        let (third, next) = page(entries, next.as_deref(), 2);
        assert_eq!((third, next), (vec![4], None));
    }
}
