//! Schema discovery on live traffic (issue 7; see the "Discovery" section of
//! `docs/INFERENCE.md`).
//!
//! - [`Sampler`] (request path): PutEvents offers every well-formed event, before the
//!   validation gate, to a bounded queue when its bus has discovery on and the event id
//!   hashes under the sample rate. A full queue drops the sample (counted); PutEvents
//!   never waits.
//! - The worker (one tokio task, see `worker.rs`) merges each sample's `detail` into the
//!   [`InferenceState`] of its type (`source@DetailType`), persisted in storage so a
//!   restart refines the schema instead of starting over, derives the schema with the
//!   type's hints, and registers it in `discovered-schemas` when the canonical schema
//!   changed, at most once per `--discovery-min-interval-seconds` per type (a change
//!   inside the interval is registered when it ends).
//! - Drift: after a discovered version, each validating bus that saw the type compares it
//!   with the bus's contract, and publishes `Schema Drift Detected` for new findings.

mod bus_port;
mod discoverers;
mod sampler;
mod worker;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::mpsc;
use utoipa::ToSchema;

use crate::config::DiscoverySettings;
use crate::error::{ApiError, ApiResult, Code};
use crate::infer::{DeriveOptions, Hints, InferenceState, Knowledge, NullPolicy, RegistryKnowledge};
use crate::model::{SchemaName, now_rfc3339};
use crate::registry::{DISCOVERED_REGISTRY, RegistryService};
use crate::storage::{Control, LeaseStore};

pub use bus_port::BusPort;
pub use discoverers::{Discoverer, DiscovererRecord, discoverer_id};
use sampler::Counters;
pub use sampler::Sampler;

/// Detail-type of the drift event published on the `default` bus.
pub const DRIFT_DETAIL_TYPE: &str = "Schema Drift Detected";

/// Body of `PUT /v1/buses/{bus}/discovery`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DiscoveryConfigRequest {
    /// Whether events put on the bus are sampled.
    pub enabled: bool,
    /// Share of events sampled, from 0 to 1 (default 1).
    #[serde(default)]
    pub sample_rate: Option<f64>,
}

/// The sample rate a request sets (default 1). Stateless, so `schemabus check` runs it too.
///
/// # Errors
/// `invalid_request` at `/sampleRate` (outside 0..1).
pub fn check_request(request: &DiscoveryConfigRequest) -> ApiResult<f64> {
    let rate = request.sample_rate.unwrap_or(1.0);
    if !(0.0..=1.0).contains(&rate) {
        return Err(ApiError::new(
            Code::InvalidRequest,
            format!("sampleRate is {rate}. Hint: give a share between 0 and 1 (1 samples every event)."),
        )
        .with_details(json!({"pointer": "/sampleRate"})));
    }
    Ok(rate)
}

/// Discovery settings of a bus, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredConfig {
    enabled: bool,
    sample_rate: f64,
    updated_at: String,
}

/// Counters of a bus's discovery since the service started.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveryCounters {
    /// Events selected by the sample rate and queued for inference.
    pub sampled: u64,
    /// Events selected but dropped because the discovery queue was full.
    pub dropped: u64,
    /// Samples merged into their type's inference state.
    pub inferred: u64,
    /// Versions created in `discovered-schemas` from this bus's samples.
    pub versions_created: u64,
    /// `Schema Drift Detected` events published for this bus.
    pub drift_events: u64,
    /// The last error met while inferring or registering, with its time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// Discovery settings and counters of a bus.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveryStatus {
    /// The bus.
    pub bus: String,
    /// Whether events are sampled.
    pub enabled: bool,
    /// Share of events sampled (0 to 1).
    pub sample_rate: f64,
    /// When the settings last changed (absent: never set; discovery is off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Counters since the service started.
    pub counters: DiscoveryCounters,
    /// The drift reported on this bus so far, kept across restarts: each finding that was
    /// published in a `Schema Drift Detected` event, by event type (at most
    /// [`MAX_DRIFT_LISTED`], in event-type order; `driftTruncated` says when more exist).
    pub drift: Vec<DriftFinding>,
    /// Whether `drift` was cut at [`MAX_DRIFT_LISTED`].
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub drift_truncated: bool,
}

/// Most drift findings a bus's discovery status lists.
pub const MAX_DRIFT_LISTED: usize = 500;

/// One drift finding reported for an event type: where the traffic left its contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DriftFinding {
    /// The discovered event type (`source@DetailType`).
    pub event_type: String,
    /// The contract it drifted from, `registry/schema/version`.
    pub contract: String,
    /// The kind of change (docs/COMPATIBILITY.md's change types).
    #[serde(rename = "type")]
    pub kind: String,
    /// Where in the contract, as a JSON Pointer.
    pub path: String,
}

/// The findings of one stored drift record (`contract|kind|path` each).
fn drift_findings(event_type: &str, reported: &BTreeSet<String>) -> impl Iterator<Item = DriftFinding> {
    reported.iter().filter_map(move |r| {
        let mut parts = r.splitn(3, '|');
        let (contract, kind, path) = (parts.next()?, parts.next()?, parts.next()?);
        Some(DriftFinding {
            event_type: event_type.to_owned(),
            contract: contract.to_owned(),
            kind: kind.to_owned(),
            path: path.to_owned(),
        })
    })
}

/// Hints of a discovered schema: JSON Pointers into the sampled `detail` documents
/// (`*` matches any property, element or map value), which override the heuristics, and
/// the type's own evidence threshold and null policy, which override the service's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct HintsDocument {
    /// Objects to treat as maps (`additionalProperties` = merged value schema).
    #[schema(value_type = Vec<String>)]
    pub map: BTreeSet<String>,
    /// Objects that must stay records even when the map heuristics fire.
    #[schema(value_type = Vec<String>)]
    pub record: BTreeSet<String>,
    /// String positions that get a closed `enum` of the observed values.
    #[serde(rename = "enum")]
    #[schema(value_type = Vec<String>)]
    pub enums: BTreeSet<String>,
    /// Objects that get `additionalProperties: false`.
    #[schema(value_type = Vec<String>)]
    pub closed: BTreeSet<String>,
    /// Distinct samples before a property is required or a format asserted (1 to 16);
    /// absent: `--discovery-min-required`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 16)]
    pub min_required: Option<u64>,
    /// What an unseen null means (`observed`, `scalars`, `all`); absent: `--discovery-nulls`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "scalars")]
    pub nulls: Option<NullPolicy>,
    /// Use what the same-named structures of other registered schemas show (nullable and
    /// optional fields, maps); absent: on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry_knowledge: Option<bool>,
}

impl HintsDocument {
    /// The pointer hints alone, as the inference core takes them.
    pub fn hints(&self) -> Hints {
        Hints {
            map: self.map.clone(),
            record: self.record.clone(),
            enums: self.enums.clone(),
            closed: self.closed.clone(),
        }
    }
}

/// What the worker keeps per event type (the `discovery_types` tree).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TypeRecord {
    source: String,
    detail_type: String,
    state: InferenceState,
    /// Fingerprint of the canonical schema last registered (or attempted).
    #[serde(default)]
    registered_fingerprint: Option<String>,
    /// The discovered version holding it.
    #[serde(default)]
    registered_version: Option<u32>,
    /// When it was registered, in Unix milliseconds.
    #[serde(default)]
    registered_at_ms: Option<i64>,
    /// Buses whose samples fed this type.
    #[serde(default)]
    buses: BTreeSet<String>,
}

/// Discovery: settings per bus, hints per schema, and the background worker.
#[derive(Clone)]
pub struct DiscoveryService {
    control: Control,
    /// Where the worker takes the `discovery` lease.
    leases: Arc<dyn LeaseStore>,
    /// Serialises [`Self::resync`].
    syncing: Arc<Mutex<()>>,
    registry: RegistryService,
    /// The buses (the bus service, through its port).
    bus: Arc<dyn BusPort>,
    sampler: Sampler,
    min_interval: Duration,
    /// The service-wide evidence threshold and null policy (`--discovery-*`).
    defaults: DeriveOptions,
    /// Schemas whose hints changed: the worker derives them again.
    rederive: Arc<Mutex<BTreeSet<String>>>,
}

impl std::fmt::Debug for DiscoveryService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscoveryService").finish_non_exhaustive()
    }
}

fn storage(e: crate::storage::StorageError) -> ApiError {
    ApiError::from(e)
}

impl DiscoveryService {
    /// Loads every bus's settings into `sampler` (the one PutEvents offers events to) and
    /// attaches the sample queue.
    /// Returns the service and the worker, which the caller spawns on its runtime.
    ///
    /// # Errors
    /// Storage failures.
    pub fn new(
        control: Control,
        leases: Arc<dyn LeaseStore>,
        registry: RegistryService,
        bus: Arc<dyn BusPort>,
        sampler: Sampler,
        settings: &DiscoverySettings,
    ) -> ApiResult<(Self, impl std::future::Future<Output = ()> + Send + 'static)> {
        let (sender, receiver) = mpsc::channel(settings.queue.max(1));
        sampler.attach(sender);
        let service = Self {
            control,
            leases,
            syncing: Arc::default(),
            registry,
            bus,
            sampler,
            min_interval: Duration::from_secs(settings.min_interval_seconds),
            defaults: DeriveOptions {
                min_required: settings.min_required,
                nulls: settings.nulls,
                ..DeriveOptions::default()
            },
            rederive: Arc::default(),
        };
        service.resync()?;
        let worker = worker::Worker::new(service.clone()).run(receiver);
        Ok((service, worker))
    }

    /// Loads every bus's discovery settings into the sampler (at start, and after another
    /// instance changed them).
    ///
    /// # Errors
    /// Storage failures.
    pub fn resync(&self) -> ApiResult<()> {
        // One at a time, so a resync that read the store before a write never configures
        // the sampler over the write's own.
        let _syncing = self.syncing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (name, config) in self.control.list_discovery_configs::<StoredConfig>().map_err(storage)? {
            self.sampler.configure(&name, config.enabled, config.sample_rate);
        }
        Ok(())
    }

    /// Follows the settings other instances change (cluster mode).
    pub fn follow_remote_changes(&self) {
        let this = self.clone();
        self.control.on_remote_changes("discovery", move || this.resync().map_err(|e| e.message));
    }

    /// Turns discovery on or off for a bus and sets its sample rate.
    ///
    /// # Errors
    /// `invalid_name`, `bus_not_found`, `invalid_request` (rate outside 0..1).
    pub async fn configure(&self, bus: &str, request: DiscoveryConfigRequest) -> ApiResult<DiscoveryStatus> {
        self.bus.get_bus(bus)?;
        let rate = check_request(&request)?;
        let config = StoredConfig { enabled: request.enabled, sample_rate: rate, updated_at: now_rfc3339() };
        self.control.put_discovery_config(bus, &config).await.map_err(storage)?;
        // What is stored now, which another instance may have changed since.
        self.resync()?;
        self.status(bus)
    }

    /// A bus's settings and counters.
    ///
    /// # Errors
    /// `invalid_name`, `bus_not_found`.
    pub fn status(&self, bus: &str) -> ApiResult<DiscoveryStatus> {
        self.bus.get_bus(bus)?;
        let config = self.control.get_discovery_config::<StoredConfig>(bus).map_err(storage)?;
        let c = self.sampler.counters(bus);
        let stored = self.control.list_discovery_drift::<BTreeSet<String>>(bus).map_err(storage)?;
        let mut drift: Vec<DriftFinding> =
            stored.iter().flat_map(|(name, reported)| drift_findings(name, reported)).collect();
        let drift_truncated = drift.len() > MAX_DRIFT_LISTED;
        drift.truncate(MAX_DRIFT_LISTED);
        Ok(DiscoveryStatus {
            bus: bus.to_owned(),
            enabled: config.as_ref().is_some_and(|c| c.enabled),
            sample_rate: config.as_ref().map_or(1.0, |c| c.sample_rate),
            updated_at: config.map(|c| c.updated_at),
            counters: DiscoveryCounters {
                sampled: Counters::get(&c.sampled),
                dropped: Counters::get(&c.dropped),
                inferred: Counters::get(&c.inferred),
                versions_created: Counters::get(&c.versions_created),
                drift_events: Counters::get(&c.drift_events),
                last_error: c.error(),
            },
            drift,
            drift_truncated,
        })
    }

    /// The hints of a discovered schema (empty when none were set).
    ///
    /// # Errors
    /// `invalid_name`, storage failures.
    pub fn hints(&self, schema: &str) -> ApiResult<HintsDocument> {
        SchemaName::parse(schema)?;
        self.load_hints(schema)
    }

    /// Replaces the hints of a discovered schema; the schema is derived again with them
    /// (a new version when that changes it, within the minimum interval).
    ///
    /// # Errors
    /// `invalid_name`, `invalid_request` (minRequired outside 1..16), storage failures.
    pub async fn set_hints(&self, schema: &str, hints: HintsDocument) -> ApiResult<HintsDocument> {
        SchemaName::parse(schema)?;
        if let Some(n) = hints.min_required
            && !(1..=crate::infer::EVIDENCE_DOCS as u64).contains(&n)
        {
            return Err(ApiError::new(
                Code::InvalidRequest,
                format!("minRequired is {n}. Hint: give a count from 1 to {}.", crate::infer::EVIDENCE_DOCS),
            )
            .with_details(json!({"pointer": "/minRequired"})));
        }
        self.control.put_discovery_hints(schema, &hints).await.map_err(storage)?;
        self.rederive.lock().unwrap_or_else(PoisonError::into_inner).insert(schema.to_owned());
        Ok(hints)
    }

    /// A type's hints document; hints stored before the per-type settings existed read as
    /// the same document with the settings absent.
    fn load_hints(&self, schema: &str) -> ApiResult<HintsDocument> {
        Ok(self.control.get_discovery_hints::<HintsDocument>(schema).map_err(storage)?.unwrap_or_default())
    }

    /// The derivation options of a type: the service's, overridden by its hints document,
    /// with registry knowledge unless the document turns it off. The type's own discovered
    /// schema is left out of the knowledge: it was learned from these very samples.
    fn options_for(
        &self,
        doc: &HintsDocument,
        name: &str,
        knowledge: Option<Arc<Knowledge>>,
    ) -> DeriveOptions {
        let registry = knowledge.filter(|_| doc.registry_knowledge != Some(false)).map(|knowledge| {
            RegistryKnowledge { knowledge, exclude: Some(format!("{DISCOVERED_REGISTRY}/{name}")) }
        });
        DeriveOptions {
            title: Some(name.to_owned()),
            min_required: doc.min_required.unwrap_or(self.defaults.min_required),
            nulls: doc.nulls.unwrap_or(self.defaults.nulls),
            registry,
            ..self.defaults.clone()
        }
    }
}
