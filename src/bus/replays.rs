//! Archives, replays and delivery traces as operations of the bus.
//!
//! A replay reads its archive's window in batches (oldest event time first), adds
//! `"replay-name"` to each event and routes it to the bus's rules (only the listed ones,
//! when given) exactly as a new event, but without logging or archiving it again. Its
//! record is persisted after every batch; a replay interrupted by a restart is marked
//! FAILED (start a new one: names are never reused).
//!
//! In a cluster, the instance that starts a replay runs it, holding the lease
//! `replay:<name>` while it does; a replay whose lease nobody holds is one whose instance
//! died, and any instance marks it FAILED. Progress is written only over the record the
//! runner wrote last, so a cancellation made on another instance is seen by the runner
//! (its next write is refused) rather than overwritten.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

use super::{BusService, check_name, rule_not_found};
use crate::archive::{ArchiveList, ArchiveView, PutArchiveRequest};
use crate::delivery::traces::{EventTrace, TargetTrace};
use crate::error::{ApiError, ApiResult, Code};
use crate::model::{ReplayRecord, ReplayState, now_rfc3339, rfc3339_of_ms};

/// Events read per replay batch (one flush each).
const REPLAY_BATCH: usize = 100;

/// Body of `POST /v1/buses/{bus}/replays`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartReplayRequest {
    /// Replay name (`[A-Za-z0-9._-]{1,64}`, never reused).
    pub name: String,
    /// Archive of the bus to replay.
    pub archive: String,
    /// Start of the window, RFC 3339 (event time, inclusive).
    #[schema(example = "2024-01-01T00:00:00Z")]
    pub start_time: String,
    /// End of the window, RFC 3339 (event time, exclusive).
    #[schema(example = "2024-01-02T00:00:00Z")]
    pub end_time: String,
    /// Only these rules receive the events (default: every rule of the bus).
    #[serde(default)]
    pub rules: Option<Vec<String>>,
}

fn parse_time(text: &str, pointer: &str) -> ApiResult<u64> {
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .and_then(|t| u64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok())
        .ok_or_else(|| {
            ApiError::new(
                Code::InvalidRequest,
                format!(
                    "'{text}' is not an RFC 3339 time after 1970. Hint: for example 2024-01-01T00:00:00Z."
                ),
            )
            .with_details(json!({"pointer": pointer}))
        })
}

fn replay_exists(name: &str) -> ApiError {
    ApiError::new(
        Code::ReplayExists,
        format!("Replay '{name}' already exists. Hint: replay names are never reused; pick another."),
    )
}

/// The lease its runner holds while a replay runs.
fn replay_lease(name: &str) -> String {
    format!("replay:{name}")
}

fn replay_not_found(name: &str) -> ApiError {
    ApiError::new(
        Code::ReplayNotFound,
        format!("Replay '{name}' does not exist. Hint: start one with POST /v1/buses/{{bus}}/replays."),
    )
}

impl BusService {
    /// Starts delivery, the scheduler, the archive retention sweeper, and the watch that
    /// marks as FAILED the replays whose instance stopped (a previous process of this
    /// one, or another instance of the cluster). Needs a tokio runtime.
    pub fn start_background(&self) {
        self.delivery.start();
        self.start_scheduler();
        let period = std::time::Duration::from_secs(self.settings.delivery.sweep_interval_seconds);
        self.archives.start_sweeper(period);
        let this = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(crate::storage::LEASE_TTL);
            loop {
                ticker.tick().await;
                this.fail_orphaned_replays().await;
            }
        });
    }

    /// Marks FAILED every unfinished replay that no instance runs: one not running here
    /// whose lease this instance could take.
    async fn fail_orphaned_replays(&self) {
        let replays = match self.control.list_replays() {
            Ok(replays) => replays,
            Err(e) => return tracing::error!(error = %e, "cannot read replays"),
        };
        for r in replays {
            if !matches!(r.state, ReplayState::Starting | ReplayState::Running) || self.runs_replay(&r.name) {
                continue;
            }
            let lease = replay_lease(&r.name);
            match self.leases.acquire(&lease, crate::storage::LEASE_TTL).await {
                Ok(true) => {}
                Ok(false) => continue, // its instance is alive and running it
                Err(e) => return tracing::warn!(error = %e, "cannot check a replay's lease"),
            }
            let mut failed = r.clone();
            failed.state = ReplayState::Failed;
            failed.state_reason = Some("interrupted: its instance stopped; start a new replay".into());
            failed.ended_at = Some(now_rfc3339());
            if let Err(e) = self.control.replace_replay(&r, &failed).await {
                tracing::error!(error = %e, "cannot mark an interrupted replay");
            }
            if let Err(e) = self.leases.release(&lease).await {
                tracing::warn!(error = %e, "cannot release a replay's lease");
            }
        }
    }

    fn runs_replay(&self, name: &str) -> bool {
        self.running_replays.lock().unwrap_or_else(std::sync::PoisonError::into_inner).contains_key(name)
    }

    /// Creates or replaces an archive of a bus.
    ///
    /// # Errors
    /// `bus_not_found`, `invalid_name`, `invalid_pattern`, `invalid_request`.
    pub async fn put_archive(
        &self,
        bus: &str,
        name: &str,
        request: PutArchiveRequest,
    ) -> ApiResult<ArchiveView> {
        self.get_bus(bus)?;
        self.archives.put(bus, name, request).await
    }

    /// One archive with its counts.
    ///
    /// # Errors
    /// `bus_not_found`, `archive_not_found`.
    pub fn get_archive(&self, bus: &str, name: &str) -> ApiResult<ArchiveView> {
        self.get_bus(bus)?;
        self.archives.get(bus, name)
    }

    /// A bus's archives.
    ///
    /// # Errors
    /// `bus_not_found`.
    pub fn list_archives(&self, bus: &str) -> ApiResult<ArchiveList> {
        self.get_bus(bus)?;
        self.archives.list(bus)
    }

    /// The archive of this name on any bus (the AWS API names archives per account).
    ///
    /// # Errors
    /// Storage failures.
    pub fn find_archive(&self, name: &str) -> ApiResult<Option<ArchiveView>> {
        self.archives.find(name)
    }

    /// Every archive of every bus, by bus then name.
    ///
    /// # Errors
    /// Storage failures.
    pub fn list_all_archives(&self) -> ApiResult<ArchiveList> {
        self.archives.list_all()
    }

    /// Every replay, in name order.
    ///
    /// # Errors
    /// Storage failures.
    pub fn list_replays(&self) -> ApiResult<Vec<ReplayRecord>> {
        Ok(self.control.list_replays()?)
    }

    /// Deletes an archive and its events.
    ///
    /// # Errors
    /// `bus_not_found`, `archive_not_found`.
    pub async fn delete_archive(&self, bus: &str, name: &str) -> ApiResult<()> {
        self.get_bus(bus)?;
        self.archives.delete(bus, name).await
    }

    /// Removes archived events past retention now (tests and tools; the sweeper runs it
    /// every `--sweep-interval-seconds`).
    ///
    /// # Errors
    /// Storage failures.
    pub fn sweep_archives(&self, now_ms: u64) -> ApiResult<u64> {
        self.archives.sweep(now_ms)
    }

    /// Starts a replay of an archive's window; it runs in the background.
    ///
    /// # Errors
    /// `bus_not_found`, `invalid_name`, `replay_exists`, `archive_not_found`,
    /// `rule_not_found`, `invalid_request` (times).
    pub async fn start_replay(&self, bus: &str, request: StartReplayRequest) -> ApiResult<ReplayRecord> {
        self.get_bus(bus)?;
        check_name("replay", &request.name)?;
        self.archives.get(bus, &request.archive)?;
        let from = parse_time(&request.start_time, "/startTime")?;
        let to = parse_time(&request.end_time, "/endTime")?;
        if from >= to {
            return Err(ApiError::new(
                Code::InvalidRequest,
                "startTime must be before endTime. Hint: swap them.",
            )
            .with_details(json!({"pointer": "/endTime"})));
        }
        let rules = request.rules.unwrap_or_default();
        for (i, rule) in rules.iter().enumerate() {
            if self.control.get_rule(bus, rule)?.is_none() {
                return Err(rule_not_found(bus, rule).with_details(json!({"pointer": format!("/rules/{i}")})));
            }
        }
        let record = ReplayRecord {
            name: request.name.clone(),
            bus: bus.to_owned(),
            archive: request.archive,
            start_time: rfc3339_of_ms(from),
            end_time: rfc3339_of_ms(to),
            rules,
            state: ReplayState::Starting,
            state_reason: None,
            events_replayed: 0,
            events_total: None,
            last_replayed_time: None,
            started_at: now_rfc3339(),
            ended_at: None,
        };
        let cancel = Arc::new(AtomicBool::new(false));
        {
            let mut running = self.running_replays.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if running.contains_key(&record.name) || self.control.get_replay(&record.name)?.is_some() {
                return Err(replay_exists(&record.name));
            }
            running.insert(record.name.clone(), Arc::clone(&cancel));
        }
        let forget = || {
            self.running_replays
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(&record.name);
        };
        // The lease first: another instance seeing the record must find it held.
        let lease = replay_lease(&record.name);
        let claimed = async {
            Ok::<_, crate::storage::StorageError>(
                self.leases.acquire(&lease, crate::storage::LEASE_TTL).await?
                    && self.control.create_replay(&record).await?,
            )
        };
        match claimed.await {
            Ok(true) => {}
            Ok(false) => {
                forget();
                return Err(replay_exists(&record.name));
            }
            Err(e) => {
                forget();
                return Err(e.into());
            }
        }
        let lease = crate::storage::Lease::keep(self.leases.clone(), &lease, crate::storage::LEASE_TTL);
        let this = self.clone();
        let task_record = record.clone();
        tokio::spawn(async move {
            let name = task_record.name.clone();
            lease.tried().await; // taken above; the keeper's first renewal says so
            this.run_replay(task_record, (from, to), &cancel, &lease).await;
            drop(lease);
            this.running_replays.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&name);
        });
        Ok(record)
    }

    async fn run_replay(
        &self,
        mut record: ReplayRecord,
        window: (u64, u64),
        cancel: &AtomicBool,
        lease: &crate::storage::Lease,
    ) {
        let mut written = record.clone();
        record.state = ReplayState::Running;
        record.events_total = Some(self.archives.count(&record.bus, &record.archive, window));
        let only = (!record.rules.is_empty()).then(|| record.rules.clone());
        let mut after = None;
        loop {
            if cancel.load(Ordering::Acquire) {
                record.state = ReplayState::Cancelled;
                break;
            }
            if !lease.held() {
                // Cut off from the others for longer than the lease lives: another
                // instance marks the replay FAILED, so it must not go on here.
                return tracing::warn!(replay = %record.name, "replay stopped: its lease was lost");
            }
            match self.control.replace_replay(&written, &record).await {
                Ok(true) => written = record.clone(),
                // Changed elsewhere: only a cancellation does that.
                Ok(false) => {
                    return tracing::info!(replay = %record.name, "replay cancelled on another instance");
                }
                Err(e) => tracing::error!(error = %e, "cannot save replay progress"),
            }
            let batch = match self.archives.window(&record.bus, &record.archive, window, after, REPLAY_BATCH)
            {
                Ok(b) => b,
                Err(e) => {
                    record.state = ReplayState::Failed;
                    record.state_reason = Some(e.message);
                    break;
                }
            };
            if batch.is_empty() {
                record.state = ReplayState::Completed;
                break;
            }
            let mut routed = super::Routed::default();
            for (position, bytes) in batch {
                after = Some(position);
                if let Err(e) =
                    self.replay_one(&record.bus, &record.name, &bytes, only.as_deref(), &mut routed)
                {
                    tracing::error!(error = %e, replay = %record.name, "an archived event could not be replayed");
                }
                record.events_replayed += 1;
                record.last_replayed_time = Some(rfc3339_of_ms(position.0));
            }
            let written =
                match routed.commit(&self.store, self.queues(), &self.delivery, crate::storage::Write::Now) {
                    Ok(()) => self.store.flush().await.map_err(ApiError::from),
                    Err(e) => Err(e),
                };
            if let Err(e) = written {
                record.state = ReplayState::Failed;
                record.state_reason = Some(e.message);
                break;
            }
            self.delivery.wake();
        }
        record.ended_at = Some(now_rfc3339());
        if cancel.load(Ordering::Acquire) {
            return; // the cancelling request wrote the record
        }
        match self.control.replace_replay(&written, &record).await {
            Ok(true) => {}
            Ok(false) => tracing::info!(replay = %record.name, "replay cancelled on another instance"),
            Err(e) => tracing::error!(error = %e, "cannot save the end of a replay"),
        }
    }

    fn replay_one(
        &self,
        bus: &str,
        name: &str,
        bytes: &[u8],
        only: Option<&[String]>,
        routed: &mut super::Routed,
    ) -> ApiResult<()> {
        let mut value: Value = serde_json::from_slice(bytes).map_err(|e| {
            ApiError::new(Code::Internal, format!("an archived event is not JSON: {e}. Hint: report it."))
        })?;
        let Some(map) = value.as_object_mut() else { return Ok(()) };
        map.insert("replay-name".into(), Value::from(name));
        let id = map.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
        let bytes = serde_json::to_vec(&value).unwrap_or_default();
        self.route_event(bus, &id, super::router::Routable::Stored(&value), (&bytes, None), 0, only, routed)
    }

    /// A replay.
    ///
    /// # Errors
    /// `invalid_name`, `replay_not_found`.
    pub fn get_replay(&self, name: &str) -> ApiResult<ReplayRecord> {
        check_name("replay", name)?;
        self.control.get_replay(name)?.ok_or_else(|| replay_not_found(name))
    }

    /// Cancels a replay that is STARTING or RUNNING.
    ///
    /// # Errors
    /// `replay_not_found`, `replay_not_cancellable`.
    pub async fn cancel_replay(&self, name: &str) -> ApiResult<ReplayRecord> {
        loop {
            let record = self.get_replay(name)?;
            if !matches!(record.state, ReplayState::Starting | ReplayState::Running) {
                return Err(ApiError::new(
                    Code::ReplayNotCancellable,
                    format!("Replay '{name}' is {:?} and cannot be cancelled. Hint: only STARTING or RUNNING replays can.", record.state)
                        .replace("Completed", "COMPLETED")
                        .replace("Cancelled", "CANCELLED")
                        .replace("Failed", "FAILED"),
                ));
            }
            let flag = self
                .running_replays
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(name)
                .cloned();
            if let Some(flag) = flag {
                flag.store(true, Ordering::Release);
            }
            let mut cancelled = record.clone();
            cancelled.state = ReplayState::Cancelled;
            cancelled.ended_at = Some(now_rfc3339());
            // Running on another instance, its runner sees the change when its next write
            // of progress is refused.
            if self.control.replace_replay(&record, &cancelled).await? {
                return Ok(cancelled);
            }
            // The runner saved progress meanwhile: look again.
        }
    }

    /// The delivery trace of an event: rules matched, targets, webhook attempts, and
    /// where each delivery ended.
    ///
    /// # Errors
    /// `bus_not_found`, `trace_not_found`.
    pub fn trace(&self, bus: &str, event_id: &str) -> ApiResult<EventTrace> {
        self.get_bus(bus)?;
        if let Some(trace) = self.delivery.traces().get(bus, event_id) {
            return Ok(trace);
        }
        let persisted = self.delivery.persisted(bus, event_id)?;
        if persisted.is_empty() {
            return Err(ApiError::new(
                Code::TraceNotFound,
                format!(
                    "No trace of event '{event_id}' on bus '{bus}' is kept. Hint: traces are kept for --trace-window-seconds (and routing traces in memory only: see docs/DELIVERY.md#traces)."
                ),
            ));
        }
        let mut rules: Vec<std::sync::Arc<str>> = persisted.iter().map(|d| d.rule.as_str().into()).collect();
        rules.dedup();
        Ok(EventTrace {
            event_id: event_id.to_owned(),
            bus: bus.to_owned(),
            rules_matched: rules,
            deliveries: persisted
                .into_iter()
                .map(|d| TargetTrace {
                    rule: d.rule.into(),
                    target: d.target.into(),
                    target_type: "webhook",
                    outcome: d.outcome,
                    reason: d.reason,
                    replay_name: None,
                    attempts: d.attempts,
                })
                .collect(),
            complete: false,
        })
    }
}
