//! The catalog service: gathers buses, rules, contracts, discovery settings and the
//! traffic counters, and hands them to the pure builders of [`super`]. Called by the
//! HTTP handlers (`src/http/catalog.rs`); the CLI could call it the same way.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use super::asyncapi::{self, AsyncType};
use super::traffic::{Traffic, TypeCounts};
use super::{
    CatalogDiscovery, CatalogEntry, CatalogKey, CatalogPage, CatalogProducers, CatalogSample, CatalogSchema,
    CatalogTraffic, ConsumerRule, Filter, minute_time, page,
};
use crate::auth::{Grant, Permission, allows};
use crate::bus::BusService;
use crate::bus::envelope::pascal_case;
use crate::discovery::DiscoveryService;
use crate::error::{ApiError, ApiResult, Code};
use crate::model::{BindingVersion, BusRecord, RegistryName, SchemaName, VersionSelector};
use crate::registry::{DISCOVERED_REGISTRY, ListQuery, RegistryService};

/// Query of `GET /v1/catalog`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CatalogQuery {
    /// Only this bus.
    pub bus: Option<String>,
    /// Only event types (`source@DetailType`) starting with this.
    pub prefix: Option<String>,
    /// Words (any case), each of which must appear in the id, source or detail-types.
    pub q: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<usize>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

/// What the caller may see: `None` sees everything (`--auth off`).
#[derive(Debug, Clone, Default)]
pub struct Viewer(pub Option<Vec<Grant>>);

impl Viewer {
    fn may(&self, permission: Permission, resource: &str) -> bool {
        self.0.as_ref().is_none_or(|g| allows(g, permission, Some(resource)))
    }
}

/// The catalog. Cheap to clone.
#[derive(Clone)]
pub struct CatalogService {
    bus: BusService,
    registry: RegistryService,
    discovery: DiscoveryService,
    traffic: Arc<Traffic>,
}

impl std::fmt::Debug for CatalogService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogService").finish_non_exhaustive()
    }
}

/// One type of one bus while the catalog is built.
#[derive(Debug, Default)]
struct Draft {
    source: String,
    detail_types: BTreeSet<String>,
    counts: Option<TypeCounts>,
    /// (registry, schema, pinned version, found by)
    contract: Option<(String, String, Option<u32>, &'static str)>,
}

fn now_minute() -> u64 {
    u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp() / 60).unwrap_or_default()
}

/// The event type name of (source, detail-type): the convention's schema name.
fn type_name(source: &str, detail_type: &str) -> String {
    format!("{source}@{}", pascal_case(detail_type))
}

impl CatalogService {
    /// The service over the others; `traffic` is the bus's counters.
    pub fn new(bus: BusService, registry: RegistryService, discovery: DiscoveryService) -> Self {
        let traffic = bus.traffic().clone();
        Self { bus, registry, discovery, traffic }
    }

    /// The types of one bus, by event type name.
    fn drafts(&self, bus: &BusRecord, minute: u64) -> ApiResult<BTreeMap<String, Draft>> {
        let mut drafts: BTreeMap<String, Draft> = BTreeMap::new();
        for counts in self.traffic.snapshot(Some(&bus.name), minute) {
            let d = drafts.entry(type_name(&counts.source, &counts.detail_type)).or_default();
            d.source.clone_from(&counts.source);
            d.detail_types.insert(counts.detail_type.clone());
            d.counts = Some(match d.counts.take() {
                None => counts,
                Some(mut c) => {
                    // Two detail-types with one PascalCase name share an entry.
                    c.accepted_hour += counts.accepted_hour;
                    c.refused_hour += counts.refused_hour;
                    c.accepted_day += counts.accepted_day;
                    c.refused_day += counts.refused_day;
                    c.first_minute = c.first_minute.min(counts.first_minute);
                    c.last_minute = c.last_minute.max(counts.last_minute);
                    c.keys.extend(counts.keys);
                    c.sample = c.sample.or(counts.sample);
                    c
                }
            });
        }
        let default_registry = bus.validation.registry.clone();
        for b in &bus.bindings {
            let d = drafts.entry(type_name(&b.source, &b.detail_type)).or_default();
            d.source.clone_from(&b.source);
            d.detail_types.insert(b.detail_type.clone());
            let Some(registry) = b.registry.clone().or_else(|| default_registry.clone()) else { continue };
            let pinned = match b.version {
                BindingVersion::Number(n) => Some(n),
                BindingVersion::Latest(_) => None,
            };
            d.contract = Some((registry, b.schema.clone(), pinned, "explicit"));
        }
        if let Some(registry) = &default_registry
            && let Ok(name) = RegistryName::parse(registry)
        {
            let mut cursor = None;
            loop {
                let query = ListQuery { prefix: None, limit: Some(1000), cursor: cursor.take() };
                let page = match self.registry.list_schemas(&name, &query) {
                    Ok(p) => p,
                    Err(e) if e.code == Code::RegistryNotFound => break,
                    Err(e) => return Err(e),
                };
                for schema in page.items {
                    let Some((source, dt)) = schema.name.split_once('@') else { continue };
                    let d = drafts.entry(schema.name.clone()).or_default();
                    if d.source.is_empty() {
                        d.source = source.to_owned();
                    }
                    if d.detail_types.is_empty() {
                        // Never seen: its detail-type as the name writes it.
                        d.detail_types.insert(dt.to_owned());
                    }
                    if d.contract.is_none() {
                        d.contract = Some((registry.clone(), schema.name.clone(), None, "convention"));
                    }
                }
                match page.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
        }
        Ok(drafts)
    }

    /// Whether registry `registry` shows catalog samples.
    fn samples_on(&self, registry: &str) -> bool {
        RegistryName::parse(registry)
            .ok()
            .and_then(|r| self.registry.get_registry(&r).ok())
            .is_some_and(|r| r.catalog_samples)
    }

    /// The latest version of a schema (`None` when it or its registry is gone).
    fn latest(&self, registry: &str, schema: &str) -> Option<u32> {
        let r = RegistryName::parse(registry).ok()?;
        let s = SchemaName::parse(schema).ok()?;
        self.registry.get_schema(&r, &s).ok()?.latest_version
    }

    /// A page of the catalog as `viewer` may see it: the buses it may read (`bus:publish`
    /// or `bus:manage`), their contracts where it may read the registry, their producing
    /// keys and consumers where it may manage the bus.
    ///
    /// # Errors
    /// `invalid_request` (limit outside 1..500), `bus_not_found` (an unknown `bus`),
    /// storage failures.
    #[tracing::instrument(skip(self, viewer))]
    pub fn catalog(&self, query: &CatalogQuery, viewer: &Viewer) -> ApiResult<CatalogPage> {
        let limit = query.limit.unwrap_or(50);
        if !(1..=500).contains(&limit) {
            return Err(ApiError::new(
                Code::InvalidRequest,
                format!("limit {limit} is outside 1..500. Hint: page with nextCursor."),
            )
            .with_details(json!({"pointer": "/limit"})));
        }
        let buses = match &query.bus {
            Some(b) => vec![self.bus.get_bus(b)?],
            None => self.bus.list_buses("")?.items,
        };
        let filter = Filter { bus: query.bus.clone(), prefix: query.prefix.clone(), q: query.q.clone() };
        let minute = now_minute();
        let mut entries = BTreeMap::new();
        for bus in buses.iter().filter(|b| viewer.may(Permission::BusRead, &b.name)) {
            let manage = viewer.may(Permission::BusManage, &bus.name);
            let drafts = self.drafts(bus, minute)?;
            let drafts: Vec<_> = drafts
                .into_iter()
                .filter(|(name, d)| {
                    filter.keeps(&bus.name, name, &d.detail_types.iter().cloned().collect::<Vec<_>>())
                })
                .collect();
            if drafts.is_empty() {
                continue;
            }
            let rules = if manage { self.bus.list_rules(&bus.name)?.items } else { Vec::new() };
            let consumers: Vec<ConsumerRule<'_>> = rules.iter().filter_map(ConsumerRule::new).collect();
            let discovery = self.discovery.status(&bus.name)?;
            for (name, d) in drafts {
                let id = format!("{}/{name}", bus.name);
                if query.cursor.as_deref().is_some_and(|c| id.as_str() <= c) {
                    continue;
                }
                let entry = self.entry(bus, &name, d, manage, &consumers, &discovery, viewer);
                entries.insert(id, entry);
            }
        }
        let (items, next_cursor) = page(entries, query.cursor.as_deref(), limit);
        Ok(CatalogPage { items, next_cursor, untracked_entries: self.traffic.untracked() })
    }

    #[allow(clippy::too_many_arguments, reason = "one private step of catalog")]
    fn entry(
        &self,
        bus: &BusRecord,
        name: &str,
        d: Draft,
        manage: bool,
        consumers: &[ConsumerRule<'_>],
        discovery: &crate::discovery::DiscoveryStatus,
        viewer: &Viewer,
    ) -> CatalogEntry {
        let detail_types: Vec<String> = d.detail_types.into_iter().collect();
        let registered = d.contract.as_ref().is_some_and(|(r, s, _, _)| self.latest(r, s).is_some());
        let (schema, schema_hidden) = match &d.contract {
            Some((registry, schema, pinned, found_by)) if registered => {
                if viewer.may(Permission::RegistryRead, registry) {
                    let latest_version = pinned.or_else(|| self.latest(registry, schema));
                    let s = CatalogSchema {
                        registry: registry.clone(),
                        name: schema.clone(),
                        latest_version,
                        found_by: (*found_by).to_owned(),
                    };
                    (Some(s), false)
                } else {
                    (None, true)
                }
            }
            _ => (None, false),
        };
        let sample = d.counts.as_ref().and_then(|c| c.sample.as_ref()).and_then(|s| {
            let detail: Value = serde_json::from_str(&s.detail).ok()?;
            Some(json!({"source": d.source, "detail-type": detail_types.first(), "detail": detail,
                "account": self.bus.settings().account, "region": self.bus.settings().region}))
        });
        let consumer_list = manage.then(|| {
            consumers.iter().filter_map(|c| c.consumer(&d.source, &detail_types, sample.as_ref())).collect()
        });
        let keys = manage.then(|| {
            let mut merged: BTreeMap<String, CatalogKey> = BTreeMap::new();
            for (key, accepted, refused, last) in d.counts.iter().flat_map(|c| c.keys.iter()) {
                let k = merged.entry(key.clone()).or_insert_with(|| CatalogKey {
                    key: key.clone(),
                    accepted: 0,
                    refused: 0,
                    last_seen: String::new(),
                });
                k.accepted += accepted;
                k.refused += refused;
                k.last_seen = k.last_seen.clone().max(minute_time(*last));
            }
            merged.into_values().collect()
        });
        let traffic = d.counts.as_ref().map_or_else(CatalogTraffic::default, |c| CatalogTraffic {
            accepted_last_hour: c.accepted_hour,
            refused_last_hour: c.refused_hour,
            accepted_last_day: c.accepted_day,
            refused_last_day: c.refused_day,
            first_seen: Some(minute_time(c.first_minute)),
            last_seen: Some(minute_time(c.last_minute)),
        });
        let sample_registry =
            d.contract.as_ref().map(|(r, ..)| r.clone()).or_else(|| bus.validation.registry.clone());
        let shown = manage && sample_registry.as_deref().is_some_and(|r| self.samples_on(r));
        let shown_sample = match (shown, &sample, d.counts.as_ref().and_then(|c| c.sample.as_ref())) {
            (true, Some(event), Some(kept)) => Some(CatalogSample {
                taken_at: minute_time(kept.minute),
                event: json!({"source": event["source"], "detail-type": event["detail-type"], "detail": event["detail"]}),
            }),
            _ => None,
        };
        CatalogEntry {
            sample: shown_sample,
            id: format!("{}/{name}", bus.name),
            bus: bus.name.clone(),
            event_type: name.to_owned(),
            seen: d.counts.is_some(),
            registered,
            schema,
            schema_hidden,
            producers: CatalogProducers { source: d.source.clone(), detail_types, keys },
            consumers: consumer_list,
            traffic,
            discovery: CatalogDiscovery {
                enabled: discovery.enabled,
                discovered_version: self.latest(DISCOVERED_REGISTRY, name),
                bus_drift_events: discovery.counters.drift_events,
            },
        }
    }

    /// The AsyncAPI 3.0 document of a bus (docs/CATALOG.md#asyncapi). Contracts in
    /// registries `viewer` may not read are left out (their messages say so).
    ///
    /// # Errors
    /// `invalid_name`, `bus_not_found`, storage failures.
    #[tracing::instrument(skip(self, viewer))]
    pub fn asyncapi(&self, bus: &str, viewer: &Viewer) -> ApiResult<Value> {
        let record = self.bus.get_bus(bus)?;
        let drafts = self.drafts(&record, now_minute())?;
        let rules = self.bus.list_rules(bus)?.items;
        let consumers: Vec<ConsumerRule<'_>> = rules.iter().filter_map(ConsumerRule::new).collect();
        let mut types = Vec::with_capacity(drafts.len());
        for (name, d) in drafts {
            let detail_types: Vec<String> = d.detail_types.into_iter().collect();
            let schema = d.contract.as_ref().and_then(|(registry, schema, pinned, _)| {
                if !viewer.may(Permission::RegistryRead, registry) {
                    return None;
                }
                let r = RegistryName::parse(registry).ok()?;
                let s = SchemaName::parse(schema).ok()?;
                let selector = pinned.map_or(VersionSelector::Latest, VersionSelector::Number);
                let v = self.registry.get_version(&r, &s, selector).ok()?;
                Some((registry.clone(), schema.clone(), v.version, v.content))
            });
            let consumers =
                consumers.iter().filter_map(|c| c.consumer(&d.source, &detail_types, None)).collect();
            types.push(AsyncType { event_type: name, source: d.source, detail_types, schema, consumers });
        }
        Ok(asyncapi::document(bus, record.description.as_deref(), &record.updated_at, &types))
    }
}
