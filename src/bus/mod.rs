//! The event bus: buses, PutEvents with validation at the boundary, rules and their
//! targets, durable pull queues.
//!
//! Request lifecycle of PutEvents: each entry becomes an [`envelope::Envelope`] (or a
//! per-entry error), passes the [`validation::Gate`] (the only constructor of a
//! [`validation::ValidatedEvent`]), is appended to the bus's event log, and is routed by
//! the bus's one [`router::Router`] matcher to its targets (queue messages, or forwards
//! to other buses). A request's events and queue messages are one append to the storage
//! journal; one group-commit sync per request makes them durable before the answer
//! (`--durability strict`).

pub mod checks;
pub mod entry;
pub mod envelope;
mod messages;
pub mod metrics;
mod queues;
pub mod replays;
pub mod requests;
pub mod resubmit;
pub mod router;
mod scheduler;
pub mod tail;
mod targets;
pub mod validation;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::archive::Archives;
use crate::config::{BusSettings, Durability};
use crate::delivery::Delivery;
use crate::delivery::traces::{TargetTrace, TraceBatch, Traces};
use crate::error::{ApiError, ApiResult, Code};
use crate::model::{
    BusRecord, DEFAULT_BUS, DeliveryOutcome, OutboxEntry, QuarantineOutcome, QuarantineRecord, RuleRecord,
    Target, ValidationConfig, now_rfc3339,
};
use crate::pattern::Pattern;
use crate::registry::RegistryService;
use crate::storage::{Control, EventRef, EventWrites, Store, Write};

use envelope::{EntryFailure, EnvelopeContext};
use requests::*;
use router::{Routable, Router};
use validation::{Finding, Gate, ValidatedEvent, Verdict};

pub use messages::{Delivered, MAX_MESSAGE_BYTES, NewMessage};
pub use queues::Queues;

/// Source of the events the registry publishes on the `default` bus.
pub const REGISTRY_SOURCE: &str = "schemabus.registry";

/// How often old journal segments are looked at (deleting one is cheap; rewriting the
/// few live messages it still holds is rare).
const COMPACTION_PERIOD: Duration = Duration::from_secs(60);

/// The bus service. Cheap to clone; clones share state.
#[derive(Clone, Debug)]
pub struct BusService {
    /// Event data on this instance: the journal (events, queue messages), quarantine.
    store: Store,
    /// Definitions: buses, rules, queues' settings, archives, replays.
    control: Control,
    /// Held while the router is brought up to the stored rules: every change, this
    /// instance's or another's, resyncs under it, so a resync that read the rules before
    /// a write never installs over the write's own.
    routing: Arc<Mutex<()>>,
    /// Where scheduled rules and replays take the leases that keep them on one instance.
    leases: Arc<dyn crate::storage::LeaseStore>,
    gate: Gate,
    router: Router,
    queues: Queues,
    settings: Arc<BusSettings>,
    context: Arc<EnvelopeContext>,
    /// In-memory count of each bus's quarantine, to trim it without scanning per insert.
    quarantined: Arc<Mutex<HashMap<String, usize>>>,
    /// Offers sampled events to discovery (`crate::discovery`), off the request path.
    sampler: crate::discovery::Sampler,
    /// Webhook delivery (outbox, workers) and delivery traces.
    delivery: Delivery,
    /// Archives, fed on the accepted-event path.
    archives: Archives,
    /// The live tails: PutEvents outcomes handed to the streams following a bus.
    tail: tail::Tail,
    /// Cancel flags of the replays running in this process.
    running_replays: Arc<Mutex<HashMap<String, Arc<std::sync::atomic::AtomicBool>>>>,
    /// The event catalog's traffic counters, fed by PutEvents (docs/CATALOG.md).
    traffic: Arc<crate::catalog::traffic::Traffic>,
}

/// The naming rule of buses, rules, queues, targets, replays and keys ([`check_name`]).
pub const NAME_RULE: &str = "[A-Za-z0-9._-]{1,64}";

/// Checks a bus, rule, queue or target name: `[A-Za-z0-9._-]{1,64}` ([`NAME_RULE`]).
///
/// # Errors
/// `invalid_name`.
pub fn check_name(kind: &str, value: &str) -> ApiResult<()> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            Code::InvalidName,
            format!("'{value}' is not a valid {kind} name. Hint: {kind} names match [A-Za-z0-9._-]{{1,64}}."),
        )
        .with_details(json!({"kind": kind, "rule": NAME_RULE})))
    }
}

/// What routing a group of events produces: the storage writes (one journal append) and
/// the metric counts (applied once).
#[derive(Debug, Default)]
struct Routed {
    writes: EventWrites,
    tally: metrics::Tally,
    traces: TraceBatch,
    /// Webhook deliveries, put in the outbox once the traces they report to exist.
    outbox: Vec<OutboxEntry>,
}

impl Routed {
    /// Appends the writes (see [`Write`] for when they reach the file), records the
    /// routing traces, then puts the webhook deliveries in the outbox (a delivery may be
    /// attempted at once, and its attempts land on its trace), wakes the receivers of the
    /// queues they touched and applies the counts.
    fn commit(self, store: &Store, queues: &Queues, delivery: &Delivery, write: Write) -> ApiResult<()> {
        let touched = store.commit_events(self.writes, write)?;
        delivery.traces().record(self.traces);
        for entry in &self.outbox {
            delivery.enqueue(entry)?;
        }
        queues.notify(&touched);
        self.tally.apply();
        Ok(())
    }
}

fn bus_not_found(name: &str) -> ApiError {
    ApiError::new(
        Code::BusNotFound,
        format!("Bus '{name}' does not exist. Hint: list buses with GET /v1/buses."),
    )
}

fn invalid(message: String) -> ApiError {
    ApiError::new(Code::InvalidRequest, message)
}

impl BusService {
    /// The service over `store`: creates the `default` bus on first start, loads every
    /// rule into the matchers and every queue into memory.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn new(
        store: Store,
        control: Control,
        registry: RegistryService,
        settings: BusSettings,
        leases: Arc<dyn crate::storage::LeaseStore>,
    ) -> ApiResult<Self> {
        let queues = Queues::load(store.clone(), control.clone())?;
        let traces = Traces::new(
            settings.delivery.trace_max_events,
            Duration::from_secs(settings.delivery.trace_window_seconds),
        );
        let service = Self {
            delivery: Delivery::new(
                store.clone(),
                Arc::new(queues.clone()),
                traces,
                settings.delivery.clone(),
            )?,
            archives: Archives::load(store.clone(), control.clone())?,
            running_replays: Arc::default(),
            tail: tail::Tail::default(),
            gate: Gate::new(registry),
            router: Router::default(),
            queues,
            context: Arc::new(EnvelopeContext {
                account: settings.account.clone(),
                region: settings.region.clone(),
            }),
            traffic: Arc::new(crate::catalog::traffic::Traffic::new(settings.catalog_max_types)),
            settings: Arc::new(settings),
            quarantined: Arc::default(),
            sampler: crate::discovery::Sampler::default(),
            store,
            control,
            routing: Arc::default(),
            leases,
        };
        metrics::install(); // before rules are loaded: the router keeps counter handles
        if service.control.get_bus(DEFAULT_BUS)?.is_none() {
            let now = now_rfc3339();
            // Several instances may start at once: creation decides, and losing is fine.
            service
                .control
                .create_bus(&BusRecord {
                    name: DEFAULT_BUS.to_owned(),
                    description: Some("The default bus; receives schemabus.registry events.".to_owned()),
                    validation: ValidationConfig::default(),
                    bindings: Vec::new(),
                    builtin: true,
                    created_at: now.clone(),
                    updated_at: now,
                })
                .await?;
        }
        service.resync_rules()?;
        Ok(service)
    }

    /// Brings what this instance holds in memory (the router's rules, the queues'
    /// settings, the archives' matchers) up to the stored definitions, after another
    /// instance changed them.
    ///
    /// # Errors
    /// Storage failures.
    pub fn resync(&self) -> ApiResult<()> {
        self.resync_rules()?;
        self.queues.resync()?;
        self.archives.resync()
    }

    fn resync_rules(&self) -> ApiResult<()> {
        let _routing = self.routing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut stored = std::collections::HashSet::new();
        for bus in self.control.list_buses()? {
            for rule in self.control.list_rules(&bus.name)? {
                stored.insert((rule.bus.clone(), rule.name.clone()));
                if self.router.holds(&rule) {
                    continue;
                }
                let pattern = rule.pattern.as_ref().map(Pattern::parse).transpose();
                let schedule = rule.schedule.as_deref().map(crate::schedule::parse).transpose();
                match (pattern, schedule) {
                    (Ok(pattern), Ok(schedule)) => {
                        self.router.put(rule, checks::CheckedRule { pattern, schedule });
                    }
                    (Err(e), _) => {
                        tracing::error!(rule = %rule.name, error = %e, "stored rule no longer parses; skipped")
                    }
                    (_, Err(e)) => {
                        tracing::error!(rule = %rule.name, error = %e, "stored schedule no longer parses; skipped")
                    }
                }
            }
        }
        self.router.retain(|bus, rule| stored.contains(&(bus.to_owned(), rule.to_owned())));
        Ok(())
    }

    /// Follows the definitions other instances change (cluster mode): every change is
    /// applied within the time its notification takes to arrive, plus one resync.
    pub fn follow_remote_changes(&self) {
        let this = self.clone();
        self.control.on_remote_changes("the bus", move || this.resync().map_err(|e| e.message));
    }

    /// The queues.
    pub fn queues(&self) -> &Queues {
        &self.queues
    }

    /// The live tails of the buses (docs/BUS.md#the-live-tail).
    pub fn tail(&self) -> &tail::Tail {
        &self.tail
    }

    /// The event catalog's traffic counters.
    pub fn traffic(&self) -> &Arc<crate::catalog::traffic::Traffic> {
        &self.traffic
    }

    /// The discovery sampler PutEvents offers events to.
    pub fn sampler(&self) -> &crate::discovery::Sampler {
        &self.sampler
    }

    /// Settings of the bus.
    pub fn settings(&self) -> &BusSettings {
        &self.settings
    }

    /// Starts the journal compactor, and the background flusher of `--durability
    /// relaxed`.
    pub fn start_background_tasks(&self) {
        let store = self.store.clone();
        let retention = self.settings.event_retention();
        std::thread::Builder::new()
            .name("schemabus-compact".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(COMPACTION_PERIOD);
                    if let Err(e) = store.compact_journal(retention) {
                        tracing::error!(error = %e, "journal compaction failed");
                    }
                }
            })
            .map_err(|e| tracing::error!(error = %e, "cannot start the journal compactor"))
            .ok();
        if self.settings.durability == Durability::Relaxed {
            let store = self.store.clone();
            let period = Duration::from_millis(self.settings.flush_interval_ms);
            std::thread::Builder::new()
                .name("schemabus-flush".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(period);
                        if let Err(e) = store.flush_blocking() {
                            tracing::error!(error = %e, "background flush failed");
                        }
                    }
                })
                .map_err(|e| tracing::error!(error = %e, "cannot start the background flusher"))
                .ok();
        }
    }

    // ---- buses ------------------------------------------------------------------------

    /// Creates a bus.
    ///
    /// # Errors
    /// `invalid_name`, `invalid_request`, `bus_exists`.
    pub async fn create_bus(&self, request: CreateBusRequest) -> ApiResult<BusRecord> {
        check_name("bus", &request.name)?;
        checks::description(request.description.as_deref())?;
        checks::bus_fields(request.validation.as_ref(), request.bindings.as_deref())?;
        let now = now_rfc3339();
        let record = BusRecord {
            name: request.name.clone(),
            description: request.description.filter(|d| !d.is_empty()),
            validation: request.validation.unwrap_or_default(),
            bindings: request.bindings.unwrap_or_default(),
            builtin: false,
            created_at: now.clone(),
            updated_at: now,
        };
        if !self.control.create_bus(&record).await? {
            return Err(ApiError::new(
                Code::BusExists,
                format!(
                    "Bus '{}' already exists. Hint: choose another name, or PATCH the existing one.",
                    record.name
                ),
            ));
        }
        Ok(record)
    }

    /// Every bus.
    ///
    /// # Errors
    /// Storage failures.
    pub fn list_buses(&self, prefix: &str) -> ApiResult<BusList> {
        let mut items = self.control.list_buses()?;
        items.retain(|b| b.name.starts_with(prefix));
        Ok(BusList { items })
    }

    /// One bus.
    ///
    /// # Errors
    /// `invalid_name`, `bus_not_found`.
    pub fn get_bus(&self, name: &str) -> ApiResult<BusRecord> {
        check_name("bus", name)?;
        self.control.get_bus(name)?.ok_or_else(|| bus_not_found(name))
    }

    /// Changes a bus's description, validation or bindings.
    ///
    /// # Errors
    /// `bus_not_found`, `invalid_request`.
    pub async fn update_bus(&self, name: &str, request: UpdateBusRequest) -> ApiResult<BusRecord> {
        checks::description(request.description.as_deref())?;
        checks::bus_fields(request.validation.as_ref(), request.bindings.as_deref())?;
        let mut record = self.get_bus(name)?;
        if let Some(d) = request.description {
            record.description = Some(d).filter(|d| !d.is_empty());
        }
        if let Some(v) = request.validation {
            record.validation = v;
        }
        if let Some(b) = request.bindings {
            record.bindings = b;
        }
        record.updated_at = now_rfc3339();
        self.control.put_bus(&record).await?;
        Ok(record)
    }

    /// Deletes a bus with its rules, event log and quarantine.
    ///
    /// # Errors
    /// `bus_not_found`, `bus_builtin`.
    pub async fn delete_bus(&self, name: &str) -> ApiResult<()> {
        let record = self.get_bus(name)?;
        if record.builtin {
            return Err(ApiError::new(
                Code::BusBuiltin,
                format!("Bus '{name}' is built in and cannot be deleted. Hint: delete its rules instead."),
            ));
        }
        self.archives.remove_bus(name).await?;
        self.control.delete_bus(name).await?;
        self.store.delete_bus_data(name)?;
        self.resync_rules()?;
        self.traffic.remove_bus(name);
        self.store.flush().await?;
        Ok(())
    }

    // ---- rules ------------------------------------------------------------------------

    /// Creates or replaces a rule.
    ///
    /// # Errors
    /// `bus_not_found`, `invalid_name`, `invalid_pattern`, `invalid_request` (targets),
    /// `queue_not_found` / `bus_not_found` for a target naming nothing.
    pub async fn put_rule(&self, bus: &str, rule: &str, request: PutRuleRequest) -> ApiResult<RuleRecord> {
        self.get_bus(bus)?;
        check_name("rule", rule)?;
        checks::schedule_bus(bus, &request)?;
        // Checked here for the answer's errors; the router parses what is stored.
        checks::rule(
            &request,
            checks::RuleLimits {
                max_pattern_chars: self.settings.max_pattern_chars,
                max_targets: self.settings.max_targets_per_rule,
            },
        )?;
        let mut ids = std::collections::HashSet::new();
        for (i, target) in request.targets.iter().enumerate() {
            check_name("target", target.id())?;
            if !ids.insert(target.id()) {
                return Err(invalid(format!(
                    "Target id '{}' appears twice. Hint: give each target its own id.",
                    target.id()
                ))
                .with_details(json!({"pointer": format!("/targets/{i}/id")})));
            }
            match target {
                Target::Queue { queue, .. } => {
                    self.queues.get(queue)?;
                }
                Target::Bus { bus: other, .. } => {
                    self.get_bus(other)?;
                }
                Target::Webhook(_) => {}
            }
        }
        let existing = self.control.get_rule(bus, rule)?;
        if existing.is_none() && self.control.list_rules(bus)?.len() >= self.settings.max_rules_per_bus {
            return Err(ApiError::new(
                Code::TooManyRules,
                format!(
                    "Bus '{bus}' already holds {} rules, the limit. Hint: delete a rule, or raise --max-rules-per-bus.",
                    self.settings.max_rules_per_bus
                ),
            )
            .with_details(json!({"limit": self.settings.max_rules_per_bus})));
        }
        let mut request = request;
        self.check_targets(&mut request.targets, existing.as_ref())?;
        let now = now_rfc3339();
        let record = RuleRecord {
            name: rule.to_owned(),
            bus: bus.to_owned(),
            description: request.description.filter(|d| !d.is_empty()),
            pattern: request.pattern,
            schedule: request.schedule,
            next_fire_times: Vec::new(),
            state: request.state,
            targets: request.targets,
            created_at: existing.map_or_else(|| now.clone(), |r| r.created_at),
            updated_at: now,
        };
        self.control.put_rule(&record).await?;
        if self.control.get_bus(bus)?.is_none() {
            // The bus was deleted (here or on another instance) while the rule was saved:
            // take the rule back rather than leave it to come back with a new bus.
            self.control.delete_rule(bus, rule).await?;
            return Err(bus_not_found(bus));
        }
        // What is stored now, which another instance may have changed since.
        self.resync_rules()?;
        Ok(self.rule_answer(&record))
    }

    /// One rule.
    ///
    /// # Errors
    /// `bus_not_found`, `rule_not_found`.
    pub fn get_rule(&self, bus: &str, rule: &str) -> ApiResult<RuleRecord> {
        self.get_bus(bus)?;
        self.control
            .get_rule(bus, rule)?
            .map(|r| self.rule_answer(&r))
            .ok_or_else(|| rule_not_found(bus, rule))
    }

    /// A bus's rules.
    ///
    /// # Errors
    /// `bus_not_found`.
    pub fn list_rules(&self, bus: &str) -> ApiResult<RuleList> {
        self.get_bus(bus)?;
        Ok(RuleList { items: self.control.list_rules(bus)?.iter().map(|r| self.rule_answer(r)).collect() })
    }

    /// Deletes a rule.
    ///
    /// # Errors
    /// `bus_not_found`, `rule_not_found`.
    pub async fn delete_rule(&self, bus: &str, rule: &str) -> ApiResult<()> {
        self.get_bus(bus)?;
        if !self.control.delete_rule(bus, rule).await? {
            return Err(rule_not_found(bus, rule));
        }
        self.resync_rules()?;
        Ok(())
    }

    // ---- events -----------------------------------------------------------------------

    /// Marks a PutEvents request as under way from before its body is parsed until the
    /// guard drops, so group commits wait for its batch (see the storage journal's
    /// syncer) instead of syncing once per request under load.
    pub(crate) fn preparing_events(&self) -> crate::storage::Writer<'_> {
        self.store.writer()
    }

    /// PutEvents: every entry is handled on its own; the answer lists one result per
    /// entry in request order, and is sent only once every accepted event and every
    /// queue message it produced is durable (strict mode).
    ///
    /// # Errors
    /// `bus_not_found`, `too_many_entries`, `entries_too_large`, `invalid_request` (no
    /// entries), storage failures.
    pub async fn put_events(&self, bus: &str, request: PutEventsRequest<'_>) -> ApiResult<PutEventsResponse> {
        self.put_events_as(bus, request, None).await
    }

    /// [`Self::put_events`] for a caller allowed only some `source` values (`None`: any).
    /// An entry with another source fails alone with `NotAuthorizedForSourceException`,
    /// as EventBridge answers; the others go through.
    ///
    /// # Errors
    /// As [`Self::put_events`].
    pub async fn put_events_as(
        &self,
        bus: &str,
        request: PutEventsRequest<'_>,
        allowed_sources: Option<&[String]>,
    ) -> ApiResult<PutEventsResponse> {
        self.put_events_prepared(bus, request, allowed_sources, self.preparing_events(), None).await
    }

    /// [`Self::put_events_as`] for a request marked as under way by
    /// [`Self::preparing_events`] (before its body was parsed).
    pub(crate) async fn put_events_prepared(
        &self,
        bus: &str,
        request: PutEventsRequest<'_>,
        allowed_sources: Option<&[String]>,
        writer: crate::storage::Writer<'_>,
        producer: Option<&str>,
    ) -> ApiResult<PutEventsResponse> {
        let started = Instant::now();
        let record = self.get_bus(bus)?;
        let entries = request.entries;
        if entries.is_empty() {
            return Err(invalid("entries is empty. Hint: send 1 or more entries.".into())
                .with_details(json!({"pointer": "/entries"})));
        }
        if entries.len() > self.settings.max_entries {
            return Err(ApiError::new(
                Code::TooManyEntries,
                format!(
                    "The request holds {} entries; the limit is {}. Hint: split it into several requests.",
                    entries.len(),
                    self.settings.max_entries
                ),
            )
            .with_details(json!({"pointer": "/entries", "limit": self.settings.max_entries})));
        }
        let mut entries: Vec<envelope::Measured<'_>> = entries.into_iter().map(envelope::measure).collect();
        let size: usize = entries.iter().map(|m| m.size).sum();
        if size > self.settings.max_entries_bytes {
            return Err(ApiError::new(
                Code::EntriesTooLarge,
                format!(
                    "Total size of the entries in the request is over the limit ({size} > {} bytes, counted as EventBridge does). Hint: send fewer or smaller entries.",
                    self.settings.max_entries_bytes
                ),
            )
            .with_details(json!({"size": size, "limit": self.settings.max_entries_bytes})));
        }
        let now = envelope::now_event_time();
        let received_at = now_rfc3339();
        let mut results = Vec::with_capacity(entries.len());
        let mut failed = 0;
        let mut accepted = 0;
        let mut routed = Routed::default();
        let validation_time = metrics::validation_time();
        let mut contracts = validation::ContractMemo::default();
        // Built only while a stream follows this bus; handed over once written.
        let tailing = self.tail.listening(bus);
        let mut tailed: Vec<tail::TailEntry> = Vec::new();
        let mut traffic = crate::catalog::traffic::Tally::default();
        for entry in &mut entries {
            let sent = tailing.then(|| {
                let text = |v: &Option<Value>| v.as_ref().and_then(Value::as_str).map(str::to_owned);
                (text(&entry.entry.source), text(&entry.entry.detail_type))
            });
            let result = match envelope::build(entry, &now) {
                Err(failure) => {
                    metrics::refused(bus, failure.code);
                    if let Some((source, detail_type)) = sent {
                        tailed.push(tail::TailEntry {
                            source,
                            detail_type,
                            ..tail_refusal(&failure, None, &received_at)
                        });
                    }
                    failure_result(&failure, None)
                }
                Ok(envelope) if allowed_sources.is_some_and(|a| !a.contains(&envelope.source)) => {
                    traffic.refused(&envelope.source, &envelope.detail_type);
                    let failure = EntryFailure::not_authorized_for_source(&envelope.source);
                    metrics::refused(bus, failure.code);
                    if tailing {
                        tailed.push(tail_refusal(&failure, Some(&envelope), &received_at));
                    }
                    failure_result(&failure, None)
                }
                Ok(envelope) => {
                    self.sampler.offer(
                        bus,
                        &envelope.id,
                        &envelope.source,
                        &envelope.detail_type,
                        &envelope.detail,
                    );
                    let gate_started = Instant::now();
                    let verdict = self.gate.check(&record, envelope, &mut contracts);
                    validation_time.record(gate_started.elapsed());
                    match verdict {
                        Verdict::Accept(event, warning) => {
                            let e = event.envelope();
                            traffic.accepted(&e.source, &e.detail_type, &e.detail_json);
                            if let Some(finding) = &warning {
                                metrics::warned(bus, finding.failure.code);
                                self.quarantine(
                                    bus,
                                    QuarantineOutcome::Warned,
                                    finding,
                                    event.envelope().to_value(&self.context),
                                    &received_at,
                                )?;
                            }
                            let id = event.envelope().id.clone();
                            self.publish(bus, &event, 0, &mut routed)?;
                            accepted += 1;
                            if tailing {
                                let rules = routed.traces.last_rules();
                                tailed.push(self.tail_accepted(
                                    bus,
                                    event.envelope(),
                                    warning.as_ref(),
                                    rules,
                                    &received_at,
                                ));
                            }
                            PutEventsResultEntry { event_id: Some(id), ..Default::default() }
                        }
                        Verdict::Refuse(envelope, finding) => {
                            traffic.refused(&envelope.source, &envelope.detail_type);
                            metrics::refused(bus, finding.failure.code);
                            let value = envelope.to_value(&self.context);
                            if tailing {
                                tailed.push(tail::TailEntry {
                                    pointer: finding.errors.first().map(|e| e.instance_path.clone()),
                                    errors: finding.errors.clone(),
                                    contract: finding.contract.clone(),
                                    event: Some(value.clone()),
                                    ..tail_refusal(&finding.failure, Some(&envelope), &received_at)
                                });
                            }
                            self.quarantine(bus, QuarantineOutcome::Refused, &finding, value, &received_at)?;
                            failure_result(&finding.failure, Some(finding.errors))
                        }
                    }
                }
            };
            if result.error_code.is_some() {
                failed += 1;
            }
            results.push(result);
        }
        let strict = self.settings.durability == Durability::Strict;
        // Strict: the flush below waits for the next group commit, which writes the batch
        // with the others; relaxed answers at once, so the bytes go to the file now.
        let write = if strict { Write::WithNextSync } else { Write::Now };
        routed.commit(&self.store, &self.queues, &self.delivery, write)?;
        drop(writer); // appended: the next group commit need not wait for this request
        metrics::accepted(bus, accepted);
        // After the write, under the counters' own short lock (never across I/O).
        self.traffic.apply(bus, producer, catalog_minute(), traffic);
        if strict {
            self.store.flush().await?;
        }
        self.delivery.wake();
        if tailing {
            self.tail.publish(bus, tailed);
        }
        metrics::put_events_time(bus, started.elapsed());
        Ok(PutEventsResponse { failed_entry_count: failed, entries: results })
    }

    /// Logs an accepted event on `bus` and delivers it to the targets of the rules it
    /// matches. Forwards to other buses recurse with `hops + 1`, up to the hop limit.
    fn publish(
        &self,
        bus: &str,
        event: &ValidatedEvent<'_>,
        hops: u32,
        routed: &mut Routed,
    ) -> ApiResult<()> {
        let envelope = event.envelope();
        let bytes = envelope.to_bytes(&self.context);
        self.publish_value(bus, &envelope.id, Routable::Fresh(envelope, &self.context), &bytes, hops, routed)
    }

    /// [`Self::publish`] of an event already encoded (forwards between buses).
    fn publish_value(
        &self,
        bus: &str,
        id: &str,
        event: Routable<'_>,
        bytes: &[u8],
        hops: u32,
        routed: &mut Routed,
    ) -> ApiResult<()> {
        let logged = routed.writes.event(bus, bytes);
        self.archives.on_event(bus, event.replay_name().is_some(), event.time(), bytes)?;
        self.route_event(bus, id, event, (bytes, Some(logged)), hops, None, routed)
    }

    /// Delivers an event to the targets of the rules of `bus` it matches (only the rules
    /// in `only`, for replays), and records its routing trace.
    #[allow(clippy::too_many_arguments, reason = "one private step of publish, called from two places")]
    ///
    /// `encoded` is the event's bytes, with their place in `writes` when the event was
    /// logged there (queue messages then point at it instead of copying it).
    fn route_event(
        &self,
        bus: &str,
        id: &str,
        event: Routable<'_>,
        encoded: (&[u8], Option<EventRef>),
        hops: u32,
        only: Option<&[String]>,
        routed: &mut Routed,
    ) -> ApiResult<()> {
        let routes = self.router.route(bus, event, only);
        self.deliver(bus, id, event, encoded, hops, routes, routed)
    }

    /// Delivers an event to `routes` (the rules it matched, or a scheduled rule's
    /// targets) and records its routing trace.
    #[allow(clippy::too_many_arguments, reason = "one private step of publish, called from two places")]
    fn deliver(
        &self,
        bus: &str,
        id: &str,
        event: Routable<'_>,
        encoded: (&[u8], Option<EventRef>),
        hops: u32,
        routes: Vec<router::Route>,
        routed: &mut Routed,
    ) -> ApiResult<()> {
        let (bytes, logged) = encoded;
        let replay_name = event.replay_name();
        let mut matched = crate::delivery::traces::MatchedRules::new();
        let mut trace = crate::delivery::traces::Deliveries::new();
        for route in routes {
            let rule = &route.rule.record;
            if matched.last() != Some(&route.rule.name) {
                route.rule.matches.increment(1);
                matched.push(Arc::clone(&route.rule.name));
            }
            let target = route.target();
            let (outcome, reason) = match target {
                Target::Queue { queue, .. } => {
                    let enqueued = if route.transform().is_whole() {
                        match logged {
                            Some(event) => self.queues.enqueue_event(&mut routed.writes, queue, event),
                            None => self.queues.enqueue_body(&mut routed.writes, queue, bytes),
                        }
                    } else {
                        let rule_arn = self.rule_arn(bus, &rule.name);
                        let time = now_rfc3339();
                        let context = crate::transform::RuleContext {
                            rule_name: &rule.name,
                            rule_arn: &rule_arn,
                            ingestion_time: &time,
                        };
                        let transformed = route
                            .transform()
                            .apply(&event.to_value(bytes), bytes, &context)
                            .into_json_bytes();
                        self.queues.enqueue_body(&mut routed.writes, queue, &transformed)
                    };
                    if enqueued {
                        routed.tally.delivery("queue", "succeeded");
                        // No reason string: the target names the queue (kept cheap per event).
                        (DeliveryOutcome::Enqueued, None)
                    } else {
                        routed.tally.delivery("queue", "dropped");
                        metrics::dropped("queue_not_found");
                        (DeliveryOutcome::Dropped, Some(format!("queue '{queue}' does not exist")))
                    }
                }
                Target::Bus { bus: next, .. } => {
                    if hops >= self.settings.max_forward_hops {
                        routed.tally.delivery("bus", "dropped");
                        metrics::dropped("hop_limit");
                        tracing::warn!(bus, rule = %rule.name, event = %id, "forward dropped: hop limit reached");
                        (
                            DeliveryOutcome::Dropped,
                            Some(format!("hop limit ({}) reached", self.settings.max_forward_hops)),
                        )
                    } else if self.control.get_bus(next)?.is_some() {
                        self.publish_value(next, id, event, bytes, hops + 1, routed)?;
                        routed.tally.delivery("bus", "succeeded");
                        (DeliveryOutcome::Forwarded, Some(format!("bus '{next}'")))
                    } else {
                        routed.tally.delivery("bus", "dropped");
                        metrics::dropped("bus_not_found");
                        (DeliveryOutcome::Dropped, Some(format!("bus '{next}' does not exist")))
                    }
                }
                Target::Webhook(webhook) => {
                    routed.outbox.push(OutboxEntry {
                        bus: bus.to_owned(),
                        rule: rule.name.clone(),
                        rule_arn: self.rule_arn(bus, &rule.name),
                        target: (**webhook).clone(),
                        event_id: id.to_owned(),
                        event: String::from_utf8_lossy(bytes).into_owned(),
                        ingested_ms: crate::model::now_ms(),
                        ingestion_time: now_rfc3339(),
                        attempts: Vec::new(),
                    });
                    (DeliveryOutcome::Pending, None)
                }
            };
            trace.push(TargetTrace {
                rule: Arc::clone(&route.rule.name),
                target: Arc::clone(&route.rule.target_ids[route.index]),
                target_type: target.kind(),
                outcome,
                reason,
                replay_name: replay_name.map(str::to_owned),
                attempts: Vec::new(),
            });
        }
        let new = hops == 0 && matches!(event, Routable::Fresh(..));
        routed.traces.push(bus, id, new, matched, trace);
        Ok(())
    }

    /// The ARN of a rule, as `<aws.events.rule-arn>` gives it.
    fn rule_arn(&self, bus: &str, rule: &str) -> String {
        crate::transform::rule_arn(&self.context.region, &self.context.account, bus, rule)
    }

    fn quarantine(
        &self,
        bus: &str,
        outcome: QuarantineOutcome,
        finding: &Finding,
        event: Value,
        received_at: &str,
    ) -> ApiResult<()> {
        let seq = self.store.next_seq();
        self.store.put_quarantine(
            bus,
            seq,
            &QuarantineRecord {
                id: format!("{seq:016x}"),
                received_at: received_at.to_owned(),
                outcome,
                error_code: finding.failure.code.to_owned(),
                error_message: finding.failure.message.clone(),
                contract: finding.contract.clone(),
                errors: finding.errors.clone(),
                event,
            },
        )?;
        let capacity = self.settings.quarantine_capacity;
        let trim = {
            let mut counts = self.quarantined.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let count = counts.entry(bus.to_owned()).or_insert_with(|| self.store.quarantine_count(bus));
            *count += 1;
            // Trim in steps of a tenth, so the scan is paid once per many inserts.
            *count > capacity + capacity / 10
        };
        if trim {
            let left = self.store.trim_quarantine(bus, capacity)?;
            self.quarantined
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(bus.to_owned(), left);
        }
        Ok(())
    }

    /// A page of a bus's quarantine, oldest first.
    ///
    /// # Errors
    /// `bus_not_found`, `invalid_cursor`, `invalid_parameter`.
    pub fn list_quarantine(
        &self,
        bus: &str,
        after: Option<&str>,
        limit: Option<usize>,
    ) -> ApiResult<QuarantinePage> {
        self.get_bus(bus)?;
        let limit = limit.unwrap_or(100);
        if limit == 0 || limit > 1000 {
            return Err(ApiError::new(
                Code::InvalidParameter,
                "limit is between 1 and 1000. Hint: page with `after`.",
            ));
        }
        let after = after
            .map(|a| {
                u64::from_str_radix(a, 16).map_err(|_| {
                    ApiError::new(
                        Code::InvalidCursor,
                        "The cursor is not one this service returned. Hint: pass nextCursor back unchanged.",
                    )
                })
            })
            .transpose()?;
        let items = self.store.list_quarantine(bus, after, limit)?;
        let next_cursor = if items.len() == limit { items.last().map(|r| r.id.clone()) } else { None };
        Ok(QuarantinePage { items, next_cursor })
    }

    /// A registry change: forget resolved contracts (so a new version applies to the
    /// next event), then publish the change on the `default` bus.
    pub fn registry_changed(&self, detail_type: &str, detail: Value) {
        self.gate.invalidate();
        self.publish_service_event(REGISTRY_SOURCE, detail_type, detail);
    }

    /// Publishes an event the service emits about itself on the `default` bus (no gate:
    /// the shape is ours). Durable with the next flush, which this schedules.
    pub fn publish_service_event(&self, source: &str, detail_type: &str, detail: Value) {
        let envelope = envelope::service_event(source, detail_type, &detail);
        let event = ValidatedEvent::service_event(envelope);
        let mut routed = Routed::default();
        let published = self.publish(DEFAULT_BUS, &event, 0, &mut routed);
        let tailing = self.tail.listening(DEFAULT_BUS);
        let routed_rules = if tailing { routed.traces.last_rules() } else { Vec::new() };
        let committed =
            published.and_then(|()| routed.commit(&self.store, &self.queues, &self.delivery, Write::Now));
        match committed {
            Ok(()) => {
                metrics::accepted(DEFAULT_BUS, 1);
                if tailing {
                    let entry =
                        self.tail_accepted(DEFAULT_BUS, event.envelope(), None, routed_rules, &now_rfc3339());
                    self.tail.publish(DEFAULT_BUS, vec![entry]);
                }
            }
            Err(e) => tracing::error!(error = %e, detail_type, "service event not published"),
        }
        self.delivery.wake();
        let store = self.store.clone();
        std::thread::spawn(move || {
            if let Err(e) = store.flush_blocking() {
                tracing::error!(error = %e, "flush after a service event failed");
            }
        });
    }

    /// An accepted (or, with a finding, warned) event as the live tail shows it.
    fn tail_accepted(
        &self,
        bus: &str,
        envelope: &envelope::Envelope<'_>,
        warning: Option<&Finding>,
        rules: Vec<String>,
        received_at: &str,
    ) -> tail::TailEntry {
        let id = &envelope.id;
        tail::TailEntry {
            outcome: if warning.is_some() { tail::TailOutcome::Warned } else { tail::TailOutcome::Accepted },
            event_id: Some(id.clone()),
            time: Some(envelope.time.clone()),
            source: Some(envelope.source.clone()),
            detail_type: Some(envelope.detail_type.clone()),
            received_at: received_at.to_owned(),
            error_code: warning.map(|f| f.failure.code.to_owned()),
            error_message: warning.map(|f| f.failure.message.clone()),
            pointer: warning.and_then(|f| f.errors.first()).map(|e| e.instance_path.clone()),
            errors: warning.map(|f| f.errors.clone()).unwrap_or_default(),
            contract: warning.and_then(|f| f.contract.clone()),
            rules_matched: Some(rules),
            trace: Some(format!("/v1/buses/{bus}/events/{id}/trace")),
            event: Some(envelope.to_value(&self.context)),
        }
    }

    /// Refreshes the queue-depth gauges and renders every metric.
    pub fn render_metrics(&self) -> String {
        self.queues.update_depth_gauges();
        crate::delivery::metrics::outbox_depth(self.delivery.outbox_depth());
        metrics::storage_flushes(self.store.flush_count());
        metrics::render()
    }
}

/// Discovery reads buses and their contracts, and publishes drift events, through this
/// port: it names no bus type, so the bus (which feeds its sampler) stays above it.
impl crate::discovery::BusPort for BusService {
    fn get_bus(&self, name: &str) -> ApiResult<BusRecord> {
        Self::get_bus(self, name)
    }

    fn contract_for(
        &self,
        bus: &BusRecord,
        source: &str,
        detail_type: &str,
    ) -> Option<(String, String, u32)> {
        self.gate.contract_for(bus, source, detail_type)
    }

    fn publish_registry_event(&self, detail_type: &str, detail: Value) {
        self.publish_service_event(REGISTRY_SOURCE, detail_type, detail);
    }
}

/// A refused entry for the live tail: the envelope's fields when it became one.
fn tail_refusal(
    failure: &EntryFailure,
    envelope: Option<&envelope::Envelope<'_>>,
    received_at: &str,
) -> tail::TailEntry {
    tail::TailEntry {
        outcome: tail::TailOutcome::Refused,
        event_id: envelope.map(|e| e.id.clone()),
        time: envelope.map(|e| e.time.clone()),
        source: envelope.map(|e| e.source.clone()),
        detail_type: envelope.map(|e| e.detail_type.clone()),
        received_at: received_at.to_owned(),
        error_code: Some(failure.code.to_owned()),
        error_message: Some(failure.message.clone()),
        pointer: None,
        errors: Vec::new(),
        contract: None,
        rules_matched: None,
        trace: None,
        event: None,
    }
}

/// Minutes since the epoch, the catalog counters' clock.
fn catalog_minute() -> u64 {
    u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp() / 60).unwrap_or_default()
}

fn failure_result(
    failure: &EntryFailure,
    errors: Option<Vec<crate::model::EntryError>>,
) -> PutEventsResultEntry {
    PutEventsResultEntry {
        event_id: None,
        error_code: Some(failure.code.to_owned()),
        error_message: Some(failure.message.clone()),
        errors: errors.filter(|e| !e.is_empty()),
    }
}

fn rule_not_found(bus: &str, rule: &str) -> ApiError {
    ApiError::new(
        Code::RuleNotFound,
        format!(
            "Rule '{rule}' does not exist on bus '{bus}'. Hint: list rules with GET /v1/buses/{bus}/rules."
        ),
    )
}
