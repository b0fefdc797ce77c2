//! The validation gate: the only place that turns an [`Envelope`] into a
//! [`ValidatedEvent`], so nothing reaches routing without passing the bus's contract.
//!
//! The contract of an event is the bus's explicit binding for its (source, detail-type),
//! else the schema `<source>@<PascalCase(detail-type)>` in the bus's registry. `latest`
//! is resolved on every event by the registry (two point reads), and compiled
//! validators are cached per version, so a new version applies at once and the gate
//! costs a fraction of parsing the event.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::error::{ApiError, Code};
use crate::model::{
    BindingVersion, BusRecord, EntryError, RegistryName, SchemaName, UnknownEventTypes, ValidationMode,
    VersionSelector,
};
use crate::registry::{RegistryService, collect_errors};

use super::envelope::{EntryFailure, Envelope, pascal_case};
use crate::json::DocJson;

/// The gate's per-entry refusals; the only ones that quarantine an entry (re-submitting
/// relies on it: an entry refused with one of these again is already quarantined anew).
pub(crate) const SCHEMA_VALIDATION_FAILED: &str = "SchemaValidationFailed";
/// See [`SCHEMA_VALIDATION_FAILED`].
pub(crate) const UNKNOWN_EVENT_TYPE: &str = "UnknownEventType";

/// Most validation findings reported per entry.
pub const MAX_ENTRY_ERRORS: usize = 10;

/// An event that passed its bus's gate (or was exempt: service events, forwards).
/// Only this module constructs one.
#[derive(Debug, Clone)]
pub struct ValidatedEvent<'a> {
    envelope: Envelope<'a>,
}

impl<'a> ValidatedEvent<'a> {
    /// The envelope.
    pub fn envelope(&self) -> &Envelope<'a> {
        &self.envelope
    }

    /// Events the service emits about itself skip the gate: their shape is ours.
    pub(super) fn service_event(envelope: Envelope<'a>) -> Self {
        Self { envelope }
    }
}

/// A refusal or warning, with what the quarantine keeps.
#[derive(Debug, Clone)]
pub struct Finding {
    /// Per-entry error code and message.
    pub failure: EntryFailure,
    /// Schema used, when one was found.
    pub contract: Option<String>,
    /// Validation findings.
    pub errors: Vec<EntryError>,
}

/// What the gate decided.
#[derive(Debug)]
pub enum Verdict<'a> {
    /// Accepted; with findings in `warn` mode.
    Accept(ValidatedEvent<'a>, Option<Finding>),
    /// Refused (`enforce` mode); the envelope goes to the quarantine.
    Refuse(Envelope<'a>, Finding),
}

/// How long a resolved contract is reused. Registry changes clear the cache at once
/// (see [`Gate::invalidate`]), and an entry resolved at another registry generation is
/// not reused (changes other cluster instances made reach this one's replica without
/// that hook); this bounds staleness for anything that bypasses both, within the "new
/// version applies within a second" promise.
const CONTRACT_TTL: Duration = Duration::from_millis(500);

type ContractKey = (String, String, String);

/// A resolved contract, with when and at which [`RegistryService::generation`].
type Resolved = (Instant, u64, Contract);

/// The gate. Cheap to clone.
#[derive(Clone)]
pub struct Gate {
    registry: RegistryService,
    /// Resolved contracts: (registry, schema, selector) → validator or why unknown.
    /// Resolving `latest` costs two reads and decodes in the registry; caching it
    /// keeps the gate a small fraction of parsing the event.
    resolved: Arc<RwLock<HashMap<ContractKey, Resolved>>>,
}

#[derive(Clone)]
enum Contract {
    Found(Arc<str>, Arc<jsonschema::Validator<DocJson>>),
    Unknown(String),
}

/// The last contract one request resolved, by (source, detail-type): the entries of a
/// request usually share their type, and resolving builds the cache key (three
/// strings, a PascalCase name) per entry otherwise. Lives for one request only, so it
/// never outlives a bus or registry change by more than that request.
#[derive(Default)]
pub struct ContractMemo(Option<(String, String, Contract)>);

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate").finish_non_exhaustive()
    }
}

impl Gate {
    /// A gate over the registry's validators.
    pub fn new(registry: RegistryService) -> Self {
        Self { registry, resolved: Arc::default() }
    }

    /// Forgets every resolved contract (called on every registry change).
    pub fn invalidate(&self) {
        self.resolved.write().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }

    /// Checks one event against its bus's contract (`memo`: see [`ContractMemo`]).
    pub fn check<'a>(&self, bus: &BusRecord, envelope: Envelope<'a>, memo: &mut ContractMemo) -> Verdict<'a> {
        let mode = bus.validation.mode;
        if mode == ValidationMode::Off {
            return Verdict::Accept(ValidatedEvent { envelope }, None);
        }
        let contract = match &memo.0 {
            Some((source, detail_type, contract))
                if *source == envelope.source && *detail_type == envelope.detail_type =>
            {
                contract.clone()
            }
            _ => {
                let contract = self.contract(bus, &envelope.source, &envelope.detail_type);
                memo.0 = Some((envelope.source.clone(), envelope.detail_type.clone(), contract.clone()));
                contract
            }
        };
        let finding = match contract {
            Contract::Found(name, validator) => {
                if validator.is_valid(&envelope.detail) {
                    None
                } else {
                    let (issues, _) = collect_errors(&validator, &envelope.detail, MAX_ENTRY_ERRORS);
                    let errors: Vec<EntryError> = issues
                        .into_iter()
                        .map(|i| EntryError {
                            instance_path: i.instance_path,
                            schema_path: i.schema_path,
                            message: i.message,
                        })
                        .collect();
                    Some(Finding {
                        failure: EntryFailure {
                            code: SCHEMA_VALIDATION_FAILED,
                            message: format!(
                                "detail does not match its contract {name}: {} finding(s).",
                                errors.len()
                            ),
                        },
                        contract: Some(name.to_string()),
                        errors,
                    })
                }
            }
            Contract::Unknown(why) => match bus.validation.unknown_event_types {
                UnknownEventTypes::Allow => None,
                UnknownEventTypes::Reject => Some(Finding {
                    failure: EntryFailure { code: UNKNOWN_EVENT_TYPE, message: why },
                    contract: None,
                    errors: Vec::new(),
                }),
            },
        };
        match (mode, finding) {
            (ValidationMode::Enforce, Some(f)) => Verdict::Refuse(envelope, f),
            (_, finding) => Verdict::Accept(ValidatedEvent { envelope }, finding),
        }
    }

    /// The contract this gate applies to events of (`source`, `detail_type`) on `bus`:
    /// `(registry, schema, version)`, when one is found.
    pub fn contract_for(
        &self,
        bus: &BusRecord,
        source: &str,
        detail_type: &str,
    ) -> Option<(String, String, u32)> {
        match self.contract(bus, source, detail_type) {
            Contract::Found(name, _) => {
                let mut parts = name.splitn(3, '/');
                let registry = parts.next()?.to_owned();
                let schema = parts.next()?.to_owned();
                let version = parts.next()?.parse().ok()?;
                Some((registry, schema, version))
            }
            Contract::Unknown(_) => None,
        }
    }

    fn contract(&self, bus: &BusRecord, source: &str, detail_type: &str) -> Contract {
        let binding = bus.bindings.iter().find(|b| b.source == source && b.detail_type == detail_type);
        let (registry, schema, selector) = match binding {
            Some(b) => (
                b.registry.as_deref().or(bus.validation.registry.as_deref()),
                b.schema.clone(),
                match b.version {
                    BindingVersion::Number(n) => VersionSelector::Number(n),
                    BindingVersion::Latest(_) => VersionSelector::Latest,
                },
            ),
            None => (
                bus.validation.registry.as_deref(),
                format!("{source}@{}", pascal_case(detail_type)),
                VersionSelector::Latest,
            ),
        };
        let unknown = |detail: &str| {
            Contract::Unknown(format!(
                "No contract for source '{source}' and detail-type '{detail_type}': {detail}."
            ))
        };
        let Some(registry) = registry else {
            return unknown("the bus names no validation registry");
        };
        let key = (registry.to_owned(), schema.clone(), selector.to_string());
        // Read before resolving: a change landing meanwhile leaves the entry outdated.
        let generation = self.registry.generation();
        if let Some((at, resolved_at, contract)) =
            self.resolved.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(&key)
            && at.elapsed() < CONTRACT_TTL
            && *resolved_at == generation
        {
            return match contract {
                Contract::Found(..) => contract.clone(),
                // The message names this event's source and type, so rebuild it.
                Contract::Unknown(_) => {
                    unknown(&format!("no schema '{schema}' ({selector}) in registry '{registry}'"))
                }
            };
        }
        let contract = self.resolve(registry, &schema, selector, unknown);
        let mut cache = self.resolved.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.len() > 10_000 {
            cache.clear(); // bounded: event types beyond this are resolved again
        }
        cache.insert(key, (Instant::now(), generation, contract.clone()));
        contract
    }

    fn resolve(
        &self,
        registry: &str,
        schema: &str,
        selector: VersionSelector,
        unknown: impl Fn(&str) -> Contract,
    ) -> Contract {
        let (Ok(registry_name), Ok(schema_name)) = (RegistryName::parse(registry), SchemaName::parse(schema))
        else {
            return unknown(&format!("'{schema}' is not a schema name"));
        };
        match self.registry.event_validator(&registry_name, &schema_name, selector) {
            Ok((version, validator)) => {
                Contract::Found(format!("{registry}/{schema}/{version}").into(), validator)
            }
            Err(ApiError {
                code: Code::RegistryNotFound | Code::SchemaNotFound | Code::VersionNotFound,
                ..
            }) => unknown(&format!("no schema '{schema}' ({selector}) in registry '{registry}'")),
            Err(e) => {
                tracing::error!(error = %e, "validator lookup failed");
                unknown(&format!("the contract '{schema}' could not be loaded"))
            }
        }
    }
}
