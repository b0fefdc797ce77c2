//! Push delivery to webhooks: a persistent outbox in storage, a dispatcher that hands due
//! deliveries to a bounded pool of tokio tasks, retries with capped exponential back-off
//! and full jitter (honouring `Retry-After`), dead-letter queues, signatures, an address
//! policy against SSRF, per-target rate limits, traces and metrics.
//!
//! Life of a delivery: PutEvents routes an event to a webhook target and writes one
//! outbox entry (flushed with the request, before the answer). The dispatcher picks
//! entries that are due; an attempt either ends the delivery (delivered, dead-lettered,
//! dropped: the entry moves to the `deliveries` record) or re-keys it to its next due
//! time. A restart resumes every entry left. See docs/DELIVERY.md.

pub mod address_policy;
pub mod backoff;
mod dead_letters;
pub mod metrics;
pub mod signature;
pub mod traces;
pub mod webhook;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{Notify, Semaphore};

use crate::config::DeliverySettings;
use crate::error::{ApiError, ApiResult, Code};
use crate::model::{
    AttemptRecord, DeliveryOutcome, DeliveryRecord, OutboxEntry, now_ms, now_rfc3339, rfc3339_of_ms,
};
use crate::storage::{DueDelivery, Store};
use crate::transform::{RuleContext, Transformation};
use address_policy::{AddressPolicy, CheckedResolver};
pub use dead_letters::DeadLetterQueues;
use traces::Traces;
use webhook::{RequestIds, Verdict};

/// Most due entries read per dispatcher scan.
const SCAN_BATCH: usize = 256;
/// The dispatcher looks at the outbox at least this often.
const IDLE_WAIT: Duration = Duration::from_millis(1000);
/// A rate-limited delivery waits in its task up to this long; longer, it is re-keyed.
const MAX_IN_TASK_WAIT: Duration = Duration::from_secs(1);

/// The webhook delivery engine. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct Delivery {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    /// The bus's pull queues, for dead-letter queues.
    dead_letters: Arc<dyn DeadLetterQueues>,
    traces: Traces,
    settings: DeliverySettings,
    policy: Arc<AddressPolicy>,
    client: reqwest::Client,
    wake: Notify,
    /// Woken when a delivery ended: a flusher task makes the ends durable, one group
    /// commit for all the ends since its last flush.
    ended: Notify,
    /// Set by [`Delivery::enqueue`]: PutEvents wakes the dispatcher only when it wrote.
    enqueued: std::sync::atomic::AtomicBool,
    in_flight: Mutex<HashSet<u64>>,
    /// Next free send slot per target (GCRA), for `rateLimitPerSecond`.
    limiters: Mutex<HashMap<String, Instant>>,
    permits: Arc<Semaphore>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery").finish_non_exhaustive()
    }
}

impl Delivery {
    /// The engine over `store`; nothing runs until [`Self::start`].
    ///
    /// # Errors
    /// `internal` when the HTTP client cannot be built.
    pub fn new(
        store: Store,
        dead_letters: Arc<dyn DeadLetterQueues>,
        traces: Traces,
        settings: DeliverySettings,
    ) -> ApiResult<Self> {
        let policy = Arc::new(AddressPolicy::new(
            settings.webhook_allow_cidrs.clone(),
            settings.webhook_deny_cidrs.clone(),
        ));
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(CheckedResolver(Arc::clone(&policy))))
            // A redirect could lead anywhere (and past the address policy).
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would connect for us, past the address policy.
            .no_proxy()
            .retry(reqwest::retry::never())
            .pool_max_idle_per_host(settings.webhook_workers)
            .build()
            .map_err(|e| {
                ApiError::new(
                    Code::Internal,
                    format!("cannot build the webhook client: {e}. Hint: report it."),
                )
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                dead_letters,
                traces,
                permits: Arc::new(Semaphore::new(settings.webhook_workers)),
                settings,
                policy,
                client,
                wake: Notify::new(),
                ended: Notify::new(),
                enqueued: std::sync::atomic::AtomicBool::new(false),
                in_flight: Mutex::default(),
                limiters: Mutex::default(),
            }),
        })
    }

    /// The trace store.
    pub fn traces(&self) -> &Traces {
        &self.inner.traces
    }

    /// The address policy (rules check IP-literal URLs against it when saved).
    pub fn policy(&self) -> &AddressPolicy {
        &self.inner.policy
    }

    /// Writes an outbox entry, due now. Not flushed: the caller's request flushes.
    ///
    /// # Errors
    /// Storage failures.
    pub fn enqueue(&self, entry: &OutboxEntry) -> ApiResult<()> {
        self.inner.store.outbox_put(now_ms(), self.inner.store.next_seq(), entry)?;
        self.inner.enqueued.store(true, std::sync::atomic::Ordering::Release);
        Ok(())
    }

    /// Tells the dispatcher new entries are there (after the request flushed them).
    pub fn wake(&self) {
        if self.inner.enqueued.swap(false, std::sync::atomic::Ordering::AcqRel) {
            self.inner.wake.notify_one();
        }
    }

    /// Deliveries waiting in the outbox.
    pub fn outbox_depth(&self) -> usize {
        self.inner.store.outbox_len()
    }

    /// Seeds traces with the pending deliveries (after a restart), then runs the
    /// dispatcher and the trace sweeper on the current tokio runtime.
    pub fn start(&self) {
        match self.inner.store.outbox_all() {
            Ok(pending) => {
                for d in pending {
                    let e = &d.entry;
                    self.inner.traces.record_routing(
                        &e.bus,
                        &e.event_id,
                        smallvec::smallvec![e.rule.as_str().into()],
                        smallvec::smallvec![traces::TargetTrace {
                            rule: e.rule.as_str().into(),
                            target: e.target.id.as_str().into(),
                            target_type: "webhook",
                            outcome: DeliveryOutcome::Pending,
                            reason: None,
                            replay_name: replay_name_of(&e.event),
                            attempts: e.attempts.clone(),
                        }],
                    );
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot read the outbox"),
        }
        let this = self.clone();
        tokio::spawn(async move { this.dispatch().await });
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                this.inner.ended.notified().await;
                if let Err(e) = this.inner.store.flush().await {
                    tracing::error!(error = %e, "flush after deliveries failed");
                }
            }
        });
        let this = self.clone();
        tokio::spawn(async move {
            let period = Duration::from_secs(this.inner.settings.sweep_interval_seconds);
            loop {
                tokio::time::sleep(period).await;
                let window = this.inner.settings.trace_window_seconds.saturating_mul(1000);
                let store = this.inner.store.clone();
                let swept = tokio::task::spawn_blocking(move || {
                    store.sweep_deliveries(now_ms().saturating_sub(window))
                })
                .await;
                if let Ok(Err(e)) = swept {
                    tracing::error!(error = %e, "delivery record sweep failed");
                }
            }
        });
    }

    async fn dispatch(self) {
        loop {
            let now = now_ms();
            let due = {
                let in_flight =
                    self.inner.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                self.inner.store.outbox_due(now, SCAN_BATCH, |seq| in_flight.contains(&seq))
            };
            let due = match due {
                Ok(d) => d,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the outbox");
                    tokio::time::sleep(IDLE_WAIT).await;
                    continue;
                }
            };
            metrics::outbox_depth(self.inner.store.outbox_len());
            let full = due.len() == SCAN_BATCH;
            for d in due {
                let Ok(permit) = Arc::clone(&self.inner.permits).acquire_owned().await else { return };
                self.inner.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(d.seq);
                let this = self.clone();
                tokio::spawn(async move {
                    let seq = d.seq;
                    this.attempt(d).await;
                    this.inner
                        .in_flight
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .remove(&seq);
                    drop(permit);
                    this.inner.wake.notify_one();
                });
            }
            if full {
                continue;
            }
            let wait = match self.inner.store.outbox_next_due() {
                Some(t) if t > now => Duration::from_millis(t - now).min(IDLE_WAIT),
                _ => IDLE_WAIT, // empty, or only in-flight entries: a completion wakes us
            };
            let _ = tokio::time::timeout(wait, self.inner.wake.notified()).await;
        }
    }

    /// How long to wait for the target's rate limit (reserving the slot).
    fn rate_wait(&self, key: &str, per_second: u32) -> Duration {
        let interval = Duration::from_secs(1) / per_second.max(1);
        let now = Instant::now();
        let mut limiters = self.inner.limiters.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let slot = limiters.get(key).copied().filter(|t| *t > now).unwrap_or(now);
        limiters.insert(key.to_owned(), slot + interval);
        slot - now
    }

    async fn attempt(&self, d: DueDelivery) {
        let DueDelivery { due_ms, seq, mut entry } = d;
        let target_key = format!("{}\u{0}{}\u{0}{}", entry.bus, entry.rule, entry.target.id);
        if let Some(rate) = entry.target.rate_limit_per_second {
            let wait = self.rate_wait(&target_key, rate);
            if wait > MAX_IN_TASK_WAIT {
                let next = now_ms() + u64::try_from(wait.as_millis()).unwrap_or(u64::MAX / 2);
                if let Err(e) = self.inner.store.outbox_reschedule(due_ms, seq, next, &entry) {
                    tracing::error!(error = %e, "cannot reschedule a rate-limited delivery");
                }
                return;
            }
            tokio::time::sleep(wait).await;
        }
        let number = u32::try_from(entry.attempts.len()).unwrap_or(u32::MAX).saturating_add(1);
        let at = now_rfc3339();
        let event: Value = serde_json::from_str(&entry.event).unwrap_or(Value::Null);
        let replay = replay_name_of(&entry.event);
        let delivery_id = match &replay {
            Some(r) => format!("{}:{}:{}:{r}", entry.event_id, entry.rule, entry.target.id),
            None => format!("{}:{}:{}", entry.event_id, entry.rule, entry.target.id),
        };
        let t = &entry.target;
        let outcome = match Transformation::compile(
            t.input.as_ref(),
            t.input_path.as_deref(),
            t.input_transformer.as_ref(),
        ) {
            Err(e) => webhook::Outcome {
                verdict: Verdict::Fail { code: "TRANSFORM_FAILED", message: e.message },
                status: None,
                elapsed: Duration::ZERO,
            },
            Ok(transform) => {
                let context = RuleContext {
                    rule_name: &entry.rule,
                    rule_arn: &entry.rule_arn,
                    ingestion_time: &entry.ingestion_time,
                };
                let payload = transform.apply(&event, entry.event.as_bytes(), &context);
                metrics::delivery("webhook", "attempted");
                let ids =
                    RequestIds { event_id: &entry.event_id, delivery_id: &delivery_id, attempt: number };
                webhook::send(&self.inner.client, &self.inner.policy, t, payload, ids).await
            }
        };
        metrics::latency(outcome.elapsed);
        let mut record = AttemptRecord {
            attempt: number,
            at,
            outcome: "delivered".into(),
            status: outcome.status,
            error_code: None,
            error_message: None,
            duration_ms: u64::try_from(outcome.elapsed.as_millis()).unwrap_or(u64::MAX),
            next_attempt_at: None,
        };
        let policy = t.retry_policy.unwrap_or_default();
        let give_up = match outcome.verdict {
            Verdict::Delivered => {
                metrics::delivery("webhook", "succeeded");
                entry.attempts.push(record.clone());
                self.finish(due_ms, seq, &entry, record, DeliveryOutcome::Delivered, None).await;
                return;
            }
            Verdict::Fail { code, message } => Some((code, message, None)),
            Verdict::Retry { code, message, retry_after } => {
                let settings = &self.inner.settings;
                let backoff = backoff::delay(
                    number,
                    Duration::from_millis(settings.webhook_retry_base_ms),
                    Duration::from_millis(settings.webhook_retry_max_ms),
                    fastrand::f64(),
                );
                let wait = retry_after.map_or(backoff, |r| r.max(backoff));
                let next = now_ms().saturating_add(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX / 2));
                let deadline =
                    entry.ingested_ms.saturating_add(policy.maximum_event_age_seconds.saturating_mul(1000));
                if number > policy.maximum_retry_attempts {
                    Some((code, message, Some("MaximumRetryAttempts")))
                } else if next > deadline {
                    Some((code, message, Some("MaximumEventAgeSeconds")))
                } else {
                    metrics::delivery("webhook", "failed");
                    record.outcome = "retry".into();
                    record.error_code = Some(code.to_owned());
                    record.error_message = Some(message);
                    record.next_attempt_at = Some(rfc3339_of_ms(next));
                    entry.attempts.push(record.clone());
                    if let Err(e) = self.inner.store.outbox_reschedule(due_ms, seq, next, &entry) {
                        tracing::error!(error = %e, "cannot reschedule a delivery");
                    }
                    self.inner.traces.record_attempt(
                        &entry.bus,
                        &entry.event_id,
                        (&entry.rule, &entry.target.id),
                        record.clone(),
                        DeliveryOutcome::Pending,
                        None,
                    );
                    None
                }
            }
        };
        if let Some((code, message, exhausted)) = give_up {
            metrics::delivery("webhook", "failed");
            record.outcome = "failed".into();
            record.error_code = Some(code.to_owned());
            record.error_message = Some(message.clone());
            entry.attempts.push(record.clone());
            let (outcome, reason) = self.dead_letter(&entry, code, &message, exhausted);
            self.finish(due_ms, seq, &entry, record, outcome, Some(reason)).await;
        }
    }

    /// Puts a failed event in the target's dead-letter queue, or drops it.
    fn dead_letter(
        &self,
        entry: &OutboxEntry,
        code: &str,
        message: &str,
        exhausted: Option<&str>,
    ) -> (DeliveryOutcome, String) {
        let mut attributes = BTreeMap::from([
            ("bus".to_owned(), entry.bus.clone()),
            ("rule".to_owned(), entry.rule.clone()),
            ("ruleArn".to_owned(), entry.rule_arn.clone()),
            ("target".to_owned(), entry.target.id.clone()),
            ("errorCode".to_owned(), code.to_owned()),
            ("errorMessage".to_owned(), message.to_owned()),
            ("attempts".to_owned(), entry.attempts.len().to_string()),
        ]);
        if let Some(condition) = exhausted {
            attributes.insert("exhaustedRetryCondition".to_owned(), condition.to_owned());
        }
        let why = exhausted.map_or_else(
            || format!("{code}: {message}"),
            |c| format!("{c} exhausted; last error {code}: {message}"),
        );
        if let Some(dlq) = &entry.target.dead_letter_queue {
            match self.inner.dead_letters.dead_letter(dlq, entry.event.as_bytes(), &attributes) {
                Ok(true) => {
                    metrics::delivery("webhook", "dead_lettered");
                    return (DeliveryOutcome::DeadLettered, format!("{why} (sent to queue '{dlq}')"));
                }
                Ok(false) => {
                    metrics::delivery("webhook", "dropped");
                    return (
                        DeliveryOutcome::Dropped,
                        format!("{why} (dead-letter queue '{dlq}' does not exist)"),
                    );
                }
                Err(e) => tracing::error!(error = %e, "cannot dead-letter an event"),
            }
        }
        metrics::delivery("webhook", "dropped");
        (DeliveryOutcome::Dropped, why)
    }

    async fn finish(
        &self,
        due_ms: u64,
        seq: u64,
        entry: &OutboxEntry,
        attempt: AttemptRecord,
        outcome: DeliveryOutcome,
        reason: Option<String>,
    ) {
        let record = DeliveryRecord {
            bus: entry.bus.clone(),
            event_id: entry.event_id.clone(),
            rule: entry.rule.clone(),
            target: entry.target.id.clone(),
            outcome,
            reason: reason.clone(),
            attempts: entry.attempts.clone(),
            finished_ms: now_ms(),
        };
        if let Err(e) = self.inner.store.outbox_finish(due_ms, seq, &record) {
            tracing::error!(error = %e, "cannot record the end of a delivery");
        }
        self.inner.traces.record_attempt(
            &entry.bus,
            &entry.event_id,
            (&entry.rule, &entry.target.id),
            attempt,
            outcome,
            reason,
        );
        // Shrinks the duplicate window: once flushed, a restart does not send it again.
        // One flusher task does it, so concurrent ends share a flush.
        self.inner.ended.notify_one();
    }

    /// Ended webhook deliveries of an event, from storage (traces after a restart).
    ///
    /// # Errors
    /// Storage failures.
    pub fn persisted(&self, bus: &str, event_id: &str) -> ApiResult<Vec<DeliveryRecord>> {
        Ok(self.inner.store.deliveries_of(bus, event_id)?)
    }
}

/// The `replay-name` of an event given as JSON text, if any (cheap check first).
fn replay_name_of(event: &str) -> Option<String> {
    if !event.contains("\"replay-name\"") {
        return None;
    }
    serde_json::from_str::<Value>(event).ok()?.get("replay-name")?.as_str().map(str::to_owned)
}
