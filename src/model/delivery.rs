//! Records of push delivery, archives and replays: the outbox entry of one pending
//! webhook delivery, its attempts and final outcome, archives and replays. They are
//! also the API's representations where they appear in answers.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::WebhookTarget;

/// One attempt to deliver an event to a webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptRecord {
    /// 1 for the first attempt.
    pub attempt: u32,
    /// RFC 3339 start time.
    pub at: String,
    /// `delivered`, `retry` (failed, will be retried) or `failed` (gave up).
    pub outcome: String,
    /// HTTP status, when the endpoint answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Error code (`SERVER_ERROR`, `TIMEOUT`, ...) when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// What went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Duration of the request in milliseconds.
    pub duration_ms: u64,
    /// When the next attempt is due (RFC 3339), when retried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
}

/// A pending webhook delivery of one event to one target of one rule, kept in the
/// persistent outbox until it ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxEntry {
    /// Bus the event was routed on.
    pub bus: String,
    /// Rule name.
    pub rule: String,
    /// Rule ARN.
    pub rule_arn: String,
    /// The target as it was when the event was routed.
    pub target: WebhookTarget,
    /// Event id.
    pub event_id: String,
    /// The event, as JSON text.
    pub event: String,
    /// When the event was accepted (Unix ms).
    pub ingested_ms: u64,
    /// When the event was accepted (RFC 3339).
    pub ingestion_time: String,
    /// Attempts so far.
    #[serde(default)]
    pub attempts: Vec<AttemptRecord>,
}

/// How a delivery ended (or where it is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum DeliveryOutcome {
    /// Put in a queue.
    Enqueued,
    /// Forwarded to another bus.
    Forwarded,
    /// In the outbox, waiting for its next attempt.
    Pending,
    /// The endpoint acknowledged it (2xx).
    Delivered,
    /// Failed for good; put in the dead-letter queue.
    DeadLettered,
    /// Failed for good, or had nowhere to go; dropped (and counted).
    Dropped,
}

/// The end of a webhook delivery, kept for the trace window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryRecord {
    /// Bus.
    pub bus: String,
    /// Event id.
    pub event_id: String,
    /// Rule name.
    pub rule: String,
    /// Target id.
    pub target: String,
    /// How it ended.
    pub outcome: DeliveryOutcome,
    /// Why it was dead-lettered or dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Every attempt.
    pub attempts: Vec<AttemptRecord>,
    /// When it ended (Unix ms), for the trace window.
    pub finished_ms: u64,
}

/// An archive of a bus: the events matching its pattern, as they were accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveRecord {
    /// Archive name.
    pub name: String,
    /// Bus whose events it keeps.
    pub bus: String,
    /// What it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Event pattern; absent: every event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub pattern: Option<Value>,
    /// Days events are kept (by event time); 0: forever.
    pub retention_days: u32,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

/// State of a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReplayState {
    /// Accepted, not yet reading.
    Starting,
    /// Replaying.
    Running,
    /// Every event of the window was replayed.
    Completed,
    /// Stopped by a cancel.
    Cancelled,
    /// Stopped by an error (or a restart); `stateReason` says which.
    Failed,
}

/// A replay of an archive's time window to the bus's rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReplayRecord {
    /// Replay name (unique).
    pub name: String,
    /// Bus the archive belongs to (and the events go to).
    pub bus: String,
    /// Archive replayed.
    pub archive: String,
    /// Start of the window (RFC 3339, event time, inclusive).
    pub start_time: String,
    /// End of the window (RFC 3339, event time, exclusive).
    pub end_time: String,
    /// Only these rules receive the events; empty: every rule of the bus.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// State.
    pub state: ReplayState,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<String>,
    /// Events replayed so far.
    pub events_replayed: u64,
    /// Events in the window (known once the replay runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_total: Option<u64>,
    /// Event time of the last replayed event (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_replayed_time: Option<String>,
    /// RFC 3339 time the replay was started.
    pub started_at: String,
    /// RFC 3339 time it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
}
