//! The discovery worker: one task that merges samples, persists states, registers
//! discovered versions and reports drift. Everything here runs off the request path.

use std::collections::hash_map::Entry as Slot;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::sampler::{Counters, Sample};
use super::{DRIFT_DETAIL_TYPE, DiscoveryService, TypeRecord};
use crate::compat::{self, CompatibilityMode, FindingType, Policy};
use crate::error::ApiResult;
use crate::infer::{DeriveOptions, InferenceState, Knowledge, derive_schema_with, event_type_name};
use crate::model::{RegistryName, SchemaName, ValidationMode, VersionSelector};
use crate::registry::refs::version_uri;
use crate::registry::{DISCOVERED_REGISTRY, RegisterVersionRequest, WriteOrigin, with_base};
use crate::storage::{LEASE_TTL, Lease};

/// How often pending versions (held back by the minimum interval) and hint changes are
/// looked at when no sample arrives.
const TICK: Duration = Duration::from_millis(200);
/// Most samples merged before the touched states are written.
const BATCH: usize = 512;
/// Least time between two knowledge rebuilds (each reads every schema's latest version
/// and re-derives every loaded type), so a burst of registrations costs one rebuild.
const KNOWLEDGE_REFRESH: Duration = Duration::from_secs(2);

/// One event type in memory.
struct Entry {
    record: TypeRecord,
    /// The schema derived from the current state and hints.
    schema: Option<Value>,
    /// Its fingerprint differs from the one last registered.
    pending: bool,
    /// The bus whose sample last changed the schema (versions are counted there).
    last_bus: String,
    /// Buses first seen in this batch (drift is checked for them).
    new_buses: Vec<String>,
}

pub(super) struct Worker {
    service: DiscoveryService,
    types: HashMap<String, Entry>,
    /// Registry knowledge and the registry generation it was built at.
    knowledge: Option<(u64, Arc<Knowledge>)>,
    /// When the registry generation was last compared with the knowledge's.
    knowledge_checked: Instant,
    /// The `discovery` lease (taken in [`Self::run`]) and the epoch `types` was loaded in.
    lease: Option<(Lease, u64)>,
}

fn now_ms() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Annotations that move with every new extreme value; a change in them alone does not
/// make a new version (the next version carries them up to date).
const VOLATILE: &[&str] = &["x-schemabus-range"];
/// Evidence annotations: their counts move with every sample and are left out, but their
/// presence and reason count. So a sample that only raises a count makes no version, while
/// one that settles a question (a field left out, a string off its format, the threshold
/// reached) changes the schema and is checked for drift.
const COUNTED: &[&str] = &["x-schemabus-optional", "x-schemabus-format"];

fn without_volatile(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !VOLATILE.contains(&k.as_str()))
                .map(|(k, v)| {
                    let v = if COUNTED.contains(&k.as_str())
                        && let Value::Object(o) = v
                    {
                        Value::Object(
                            o.iter()
                                .filter(|(f, _)| !matches!(f.as_str(), "present" | "needed"))
                                .map(|(f, x)| (f.clone(), x.clone()))
                                .collect(),
                        )
                    } else {
                        without_volatile(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_volatile).collect()),
        other => other.clone(),
    }
}

/// FNV-1a of the canonical schema text without [`VOLATILE`] annotations: equal shapes,
/// equal fingerprints.
fn fingerprint(schema: &Value) -> String {
    let text = without_volatile(schema).to_string();
    let h = text
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("{h:016x}-{}", text.len())
}

/// The registry and schema names of a discovered type.
fn discovered(name: &str) -> ApiResult<(RegistryName, SchemaName)> {
    Ok((RegistryName::parse(DISCOVERED_REGISTRY)?, SchemaName::parse(name)?))
}

fn is_annotation(kind: FindingType) -> bool {
    matches!(
        kind,
        FindingType::IdChanged
            | FindingType::DescriptionChanged
            | FindingType::TitleChanged
            | FindingType::DefaultChanged
    )
}

impl Worker {
    pub(super) fn new(service: DiscoveryService) -> Self {
        Self {
            service,
            types: HashMap::new(),
            knowledge: None,
            knowledge_checked: Instant::now(),
            lease: None,
        }
    }

    pub(super) async fn run(mut self, mut receiver: mpsc::Receiver<Sample>) {
        // One instance of a cluster discovers at a time (docs/CLUSTER.md): the others drop
        // their samples, and forget what they held, since the holder changes it.
        let lease = Lease::keep(self.service.leases.clone(), "discovery", LEASE_TTL);
        lease.tried().await;
        self.lease = Some((lease, 0));
        loop {
            let mut batch = Vec::new();
            match tokio::time::timeout(TICK, receiver.recv()).await {
                Ok(Some(sample)) => batch.push(sample),
                Ok(None) => return, // the service is gone
                Err(_) => {}        // tick
            }
            while batch.len() < BATCH {
                match receiver.try_recv() {
                    Ok(sample) => batch.push(sample),
                    Err(_) => break,
                }
            }
            if !self.holding() {
                for sample in &batch {
                    Counters::add(&self.counters(&sample.bus).dropped, 1);
                }
                self.types.clear();
                continue;
            }
            if let Some((lease, epoch)) = &mut self.lease
                && lease.epoch() != *epoch
            {
                // Another instance may have held it since: what is held here is stale.
                *epoch = lease.epoch();
                self.types.clear();
            }
            if !batch.is_empty() {
                self.absorb(batch).await;
            }
            self.rederive_hinted();
            self.refresh_knowledge();
            self.register_due().await;
            self.check_new_buses().await;
        }
    }

    /// Whether this instance holds the `discovery` lease: checked before every write, so
    /// a batch that outlives the lease writes nothing over the next holder's.
    fn holding(&self) -> bool {
        self.lease.as_ref().is_some_and(|(lease, _)| lease.held())
    }

    fn counters(&self, bus: &str) -> std::sync::Arc<Counters> {
        self.service.sampler.counters(bus)
    }

    fn error(&self, bus: &str, what: &str, e: &dyn std::fmt::Display) {
        tracing::warn!(bus, error = %e, "discovery: {what}");
        self.counters(bus).set_error(format!("{}: {what}: {e}", crate::model::now_rfc3339()));
    }

    /// The entry of a type, loaded from storage on first use.
    fn load(&mut self, name: &str, sample: &Sample) -> ApiResult<&mut Entry> {
        match self.types.entry(name.to_owned()) {
            Slot::Occupied(slot) => Ok(slot.into_mut()),
            Slot::Vacant(slot) => {
                let record =
                    self.service.control.get_discovery_type::<TypeRecord>(name)?.unwrap_or_else(|| {
                        TypeRecord {
                            source: sample.source.clone(),
                            detail_type: sample.detail_type.clone(),
                            state: InferenceState::new(),
                            registered_fingerprint: None,
                            registered_version: None,
                            registered_at_ms: None,
                            buses: BTreeSet::new(),
                        }
                    });
                Ok(slot.insert(Entry {
                    record,
                    schema: None,
                    pending: false,
                    last_bus: String::new(),
                    new_buses: Vec::new(),
                }))
            }
        }
    }

    /// Merges a batch, writes the touched states, and derives their schemas.
    async fn absorb(&mut self, batch: Vec<Sample>) {
        let mut touched: HashMap<String, Vec<String>> = HashMap::new();
        for sample in batch {
            let name = event_type_name(&sample.source, &sample.detail_type);
            match self.load(&name, &sample) {
                Ok(entry) => {
                    entry.record.state.add(&sample.detail);
                    if entry.record.buses.insert(sample.bus.clone()) {
                        entry.new_buses.push(sample.bus.clone());
                    }
                    entry.last_bus.clone_from(&sample.bus);
                    touched.entry(name).or_default().push(sample.bus);
                }
                Err(e) => self.error(&sample.bus, "cannot load the inference state", &e),
            }
        }
        if touched.is_empty() || !self.holding() {
            return;
        }
        // Every touched state in one write: one fsync (or one transaction) per batch.
        let written = {
            let states: Vec<(&str, &TypeRecord)> = touched
                .keys()
                .filter_map(|name| self.types.get(name).map(|entry| (name.as_str(), &entry.record)))
                .collect();
            self.service.control.put_discovery_types(&states).await
        };
        for (name, buses) in touched {
            match &written {
                Ok(()) => {
                    for bus in &buses {
                        Counters::add(&self.counters(bus).inferred, 1);
                    }
                    metrics::counter!("schemabus_discovery_samples_inferred_total")
                        .increment(buses.len() as u64);
                }
                Err(e) => self.error(&buses[0], "cannot store the inference state", e),
            }
            self.derive(&name);
        }
    }

    /// Derives a type's schema with its current hints and marks it pending when it differs
    /// from the registered one.
    fn derive(&mut self, name: &str) {
        let doc = match self.service.load_hints(name) {
            Ok(h) => h,
            Err(e) => {
                let bus = self.types.get(name).map(|e| e.last_bus.clone()).unwrap_or_default();
                self.error(&bus, "cannot read hints", &e);
                return;
            }
        };
        let knowledge = if doc.registry_knowledge == Some(false) { None } else { self.knowledge() };
        let opts = self.service.options_for(&doc, name, knowledge);
        let Some(entry) = self.types.get_mut(name) else { return };
        let schema = derive_schema_with(&entry.record.state, &doc.hints(), &opts);
        let fp = fingerprint(&schema);
        entry.pending = entry.record.registered_fingerprint.as_deref() != Some(fp.as_str());
        entry.schema = Some(schema);
    }

    /// Registry knowledge, built on first use; [`Self::refresh_knowledge`] keeps it current.
    fn knowledge(&mut self) -> Option<Arc<Knowledge>> {
        if let Some((_, k)) = &self.knowledge {
            return Some(k.clone());
        }
        self.rebuild_knowledge()
    }

    fn rebuild_knowledge(&mut self) -> Option<Arc<Knowledge>> {
        let generation = self.service.registry.generation();
        match self.service.registry.knowledge(None) {
            Ok(k) => {
                self.knowledge = Some((generation, k.clone()));
                Some(k)
            }
            Err(e) => {
                tracing::warn!(error = %e, "discovery: cannot read the registry for knowledge");
                None
            }
        }
    }

    /// When the registry changed (at most every [`KNOWLEDGE_REFRESH`]), rebuilds the
    /// knowledge and re-derives every loaded type with it: a schema registered elsewhere
    /// that says a `repository` field may be null reaches the types already learned, not
    /// only the next one sampled. Types not loaded since start pick it up on their next
    /// sample. A re-derivation that changes a schema registers a version as usual.
    fn refresh_knowledge(&mut self) {
        if self.knowledge_checked.elapsed() < KNOWLEDGE_REFRESH {
            return;
        }
        self.knowledge_checked = Instant::now();
        let Some((built, before)) = self.knowledge.clone() else { return };
        if built == self.service.registry.generation() {
            return;
        }
        let Some(after) = self.rebuild_knowledge() else { return };
        if *after == *before {
            return; // the change taught nothing (e.g. a description edited)
        }
        let names: Vec<String> = self.types.keys().cloned().collect();
        for name in names {
            self.derive(&name);
        }
    }

    fn rederive_hinted(&mut self) {
        let names: Vec<String> = std::mem::take(
            &mut *self.service.rederive.lock().unwrap_or_else(std::sync::PoisonError::into_inner),
        )
        .into_iter()
        .collect();
        for name in names {
            if !self.types.contains_key(&name) {
                match self.service.control.get_discovery_type::<TypeRecord>(&name) {
                    Ok(Some(record)) => {
                        let last_bus = record.buses.iter().next().cloned().unwrap_or_default();
                        self.types.insert(
                            name.clone(),
                            Entry { record, schema: None, pending: false, last_bus, new_buses: Vec::new() },
                        );
                    }
                    Ok(None) => continue, // hints for a type not seen yet apply when it is
                    Err(e) => {
                        tracing::warn!(error = %e, schema = %name, "discovery: cannot load a state");
                        continue;
                    }
                }
            }
            self.derive(&name);
        }
    }

    /// Registers every pending schema whose minimum interval has passed.
    async fn register_due(&mut self) {
        let interval = i64::try_from(self.service.min_interval.as_millis()).unwrap_or(i64::MAX);
        let now = now_ms();
        let due: Vec<String> = self
            .types
            .iter()
            .filter(|(_, e)| {
                e.pending
                    && e.schema.is_some()
                    && e.record.registered_at_ms.is_none_or(|at| now.saturating_sub(at) >= interval)
            })
            .map(|(n, _)| n.clone())
            .collect();
        for name in due {
            self.register(&name).await;
        }
    }

    async fn register(&mut self, name: &str) {
        if !self.holding() {
            return;
        }
        let Some(entry) = self.types.get_mut(name) else { return };
        let Some(schema) = entry.schema.clone() else { return };
        let bus = entry.last_bus.clone();
        let fp = fingerprint(&schema);
        let samples = entry.record.state.samples();
        // Whatever happens, this content is not tried again until the schema changes.
        entry.pending = false;
        entry.record.registered_fingerprint = Some(fp);
        entry.record.registered_at_ms = Some(now_ms());
        let result = match discovered(name) {
            Ok((registry_name, schema_name)) => {
                self.service
                    .registry
                    .register_version(
                        &registry_name,
                        &schema_name,
                        RegisterVersionRequest {
                            content: schema,
                            description: Some(format!("Discovered from {samples} sample(s).")),
                            format: crate::registry::ContentFormat::JsonSchema,
                        },
                        WriteOrigin::Service,
                    )
                    .await
            }
            Err(e) => Err(e),
        };
        match result {
            Ok((created, version)) => {
                let buses: Vec<String> = match self.types.get_mut(name) {
                    Some(entry) => {
                        entry.record.registered_version = Some(version.version);
                        entry.new_buses.clear();
                        entry.record.buses.iter().cloned().collect()
                    }
                    None => Vec::new(),
                };
                if created {
                    Counters::add(&self.counters(&bus).versions_created, 1);
                    metrics::counter!("schemabus_discovery_versions_total").increment(1);
                }
                self.persist(name, &bus).await;
                for b in buses {
                    self.check_drift(&b, name, version.version).await;
                }
            }
            Err(e) => {
                self.persist(name, &bus).await;
                self.error(&bus, &format!("cannot register {name}"), &e);
            }
        }
    }

    async fn persist(&self, name: &str, bus: &str) {
        if self.holding()
            && let Some(entry) = self.types.get(name)
            && let Err(e) = self.service.control.put_discovery_type(name, &entry.record).await
        {
            self.error(bus, "cannot store the inference state", &e);
        }
    }

    /// Buses new to an already registered, unchanged type are checked for drift too.
    async fn check_new_buses(&mut self) {
        let mut work = Vec::new();
        for (name, entry) in &mut self.types {
            if entry.new_buses.is_empty() || entry.pending {
                continue;
            }
            let buses = std::mem::take(&mut entry.new_buses);
            if let Some(version) = entry.record.registered_version {
                work.extend(buses.into_iter().map(|b| (b, name.clone(), version)));
            }
        }
        for (bus, name, version) in work {
            self.check_drift(&bus, &name, version).await;
        }
    }

    async fn check_drift(&self, bus: &str, name: &str, discovered_version: u32) {
        if let Err(e) = self.drift(bus, name, discovered_version).await {
            self.error(bus, &format!("cannot check {name} for drift"), &e);
        }
    }

    /// Compares the discovered version with the contract the bus's gate applies to the
    /// type, and publishes the incompatible findings not reported before.
    async fn drift(&self, bus: &str, name: &str, discovered_version: u32) -> ApiResult<()> {
        let Some(entry) = self.types.get(name) else { return Ok(()) };
        let Ok(record) = self.service.bus.get_bus(bus) else { return Ok(()) }; // deleted
        if record.validation.mode == ValidationMode::Off {
            return Ok(());
        }
        let Some((registry, schema, version)) =
            self.service.bus.contract_for(&record, &entry.record.source, &entry.record.detail_type)
        else {
            return Ok(()); // no contract: nothing to drift from
        };
        if registry == DISCOVERED_REGISTRY && schema == name {
            return Ok(());
        }
        let registry_name = RegistryName::parse(&registry)?;
        let contract = self.service.registry.get_version(
            &registry_name,
            &SchemaName::parse(&schema)?,
            VersionSelector::Number(version),
        )?;
        // Drift compares what the samples showed with the contract: the observed derivation
        // (every always-present property required, only observed nulls, formats every value
        // matched, records closed to the keys seen). The registered version is widened where
        // evidence is short (evidence threshold, null policy, registry knowledge) and keeps
        // records open; compared as such, every property whose requiredness or non-nullness
        // was never established, and every map not yet recognised, would read as drift.
        let doc = self.service.load_hints(name)?;
        let observed = derive_schema_with(&entry.record.state, &doc.hints(), &DeriveOptions::observed());
        let refs = self.service.registry.referenced_documents_of(&contract.references)?;
        let contract_doc = with_base(&contract.content, &version_uri(&registry, &schema, version));
        let report =
            compat::check(&observed, &contract_doc, CompatibilityMode::Backward, Policy::Strict, &refs);
        let contract_id = format!("{registry}/{schema}/{version}");
        let mut reported: BTreeSet<String> =
            self.service.control.get_discovery_drift(bus, name)?.unwrap_or_default();
        let fresh: Vec<Value> = report
            .findings
            .iter()
            .filter(|f| !f.compatible && !is_annotation(f.kind))
            .filter(|f| reported.insert(format!("{contract_id}|{}|{}", f.kind, f.path)))
            .map(|f| json!({"type": f.kind, "path": f.path, "message": f.message}))
            .collect();
        if fresh.is_empty() {
            return Ok(());
        }
        self.service.control.put_discovery_drift(bus, name, &reported).await?;
        self.service.bus.publish_registry_event(
            DRIFT_DETAIL_TYPE,
            json!({
                "bus": bus,
                "eventType": name,
                "contract": {"registry": registry, "schema": schema, "version": version},
                "discoveredVersion": discovered_version,
                "findings": fresh,
            }),
        );
        Counters::add(&self.counters(bus).drift_events, 1);
        metrics::counter!("schemabus_discovery_drift_events_total", "bus" => bus.to_owned()).increment(1);
        Ok(())
    }
}
