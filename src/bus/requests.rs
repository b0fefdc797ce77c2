//! Request and response bodies of the bus API (camelCase on the wire).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::model::{Binding, BusRecord, EntryError, QueueRecord, RuleState, Target, ValidationConfig};

/// Body of `POST /v1/buses`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateBusRequest {
    /// Bus name, `[A-Za-z0-9._-]{1,64}`.
    #[schema(example = "orders")]
    pub name: String,
    /// What the bus carries.
    #[serde(default)]
    pub description: Option<String>,
    /// Validation at the boundary (default: off).
    #[serde(default, deserialize_with = "crate::model::object_or_null")]
    pub validation: Option<ValidationConfig>,
    /// Explicit contracts.
    #[serde(default)]
    pub bindings: Option<Vec<Binding>>,
}

/// Body of `PATCH /v1/buses/{bus}`: absent fields stay unchanged.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateBusRequest {
    /// New description (empty clears it).
    #[serde(default)]
    pub description: Option<String>,
    /// New validation settings (replaced whole).
    #[serde(default, deserialize_with = "crate::model::object_or_null")]
    pub validation: Option<ValidationConfig>,
    /// New bindings (replace the list).
    #[serde(default)]
    pub bindings: Option<Vec<Binding>>,
}

/// All buses.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BusList {
    /// Buses in name order.
    pub items: Vec<BusRecord>,
}

/// One PutEvents entry (documentation of the wire shape; entries are checked one by one
/// so that a bad entry fails alone).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PutEventsEntry {
    /// Event source, e.g. `orders`.
    pub source: String,
    /// Event type, e.g. `Order Placed`.
    pub detail_type: String,
    /// The payload: a JSON object, or a string holding one.
    #[schema(value_type = Object)]
    pub detail: Value,
    /// RFC 3339 time of the event (default: now).
    #[serde(default)]
    pub time: Option<String>,
    /// Resources the event concerns.
    #[serde(default)]
    pub resources: Option<Vec<String>>,
}

/// Body of `POST /v1/buses/{bus}/events`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutEventsRequest<'a> {
    /// 1 to 100 entries (configurable).
    #[schema(value_type = Vec<PutEventsEntry>)]
    #[serde(borrow)]
    pub entries: Vec<super::entry::EntryInput<'a>>,
}

/// Result of one entry: `eventId`, or `errorCode` + `errorMessage` (+ `errors`).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PutEventsResultEntry {
    /// Id of the accepted event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// Why the entry was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Human explanation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Validation findings (at most 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<EntryError>>,
}

/// Answer of PutEvents.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PutEventsResponse {
    /// Number of refused entries.
    pub failed_entry_count: usize,
    /// One result per entry, in request order.
    pub entries: Vec<PutEventsResultEntry>,
}

/// Body of `PUT /v1/buses/{bus}/rules/{rule}` (create or replace).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PutRuleRequest {
    /// What the rule is for.
    #[serde(default)]
    pub description: Option<String>,
    /// EventBridge event pattern (docs/PATTERNS.md). A rule has a pattern, a
    /// `schedule`, or both.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub pattern: Option<Value>,
    /// Schedule expression, `rate(5 minutes)` or `cron(0 12 * * ? *)` (UTC), as
    /// EventBridge: the rule then also fires on this schedule, with a `Scheduled Event`
    /// on the `default` bus (the only bus schedules are allowed on). See docs/DELIVERY.md.
    #[serde(default)]
    #[schema(example = "rate(5 minutes)")]
    pub schedule: Option<String>,
    /// `ENABLED` (default) or `DISABLED`.
    #[serde(default = "enabled")]
    pub state: RuleState,
    /// Targets (at most 5 by default).
    #[serde(default)]
    pub targets: Vec<Target>,
}

fn enabled() -> RuleState {
    RuleState::Enabled
}

/// A bus's rules.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleList {
    /// Rules in name order.
    pub items: Vec<crate::model::RuleRecord>,
}

/// Body of `PUT /v1/queues/{queue}` (create or replace the settings).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PutQueueRequest {
    /// Seconds a received message stays invisible (default 30, at most 43200).
    #[serde(default = "default_visibility")]
    #[schema(maximum = 43200)]
    pub visibility_timeout_seconds: u32,
    /// Receives before a message moves to `deadLetterQueue` (needs it).
    #[serde(default)]
    #[schema(format = Int64, minimum = 1, maximum = 4294967295_u64)]
    pub max_receive_count: Option<u32>,
    /// Dead-letter queue name.
    #[serde(default)]
    pub dead_letter_queue: Option<String>,
    /// Seconds a message is kept (default 4 days, at most 14 days).
    #[serde(default = "default_retention")]
    #[schema(minimum = 60, maximum = 1209600)]
    pub retention_seconds: u64,
    /// Seconds a new message stays invisible before it can be received (default 0, at most 900).
    #[serde(default)]
    #[schema(maximum = 900)]
    pub delay_seconds: u32,
    /// Seconds a receive without `waitSeconds` waits for a message (default 0, at most 20).
    #[serde(default)]
    #[schema(maximum = 20)]
    pub receive_wait_seconds: u32,
    /// Labels (up to 50; keys 1–128 characters, values up to 256), as SQS queue tags.
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
}

fn default_visibility() -> u32 {
    30
}

fn default_retention() -> u64 {
    4 * 24 * 3600
}

/// A queue with its message counts.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueView {
    /// Settings.
    #[serde(flatten)]
    pub queue: QueueRecord,
    /// Messages ready to be received.
    pub depth: u64,
    /// Messages received and not yet acknowledged or timed out.
    pub in_flight: u64,
}

/// All queues.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueList {
    /// Queues in name order.
    pub items: Vec<QueueView>,
}

/// Body of `POST /v1/queues/{queue}/receive`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReceiveRequest {
    /// 1 to 100 (default 1).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100)]
    pub max_messages: Option<usize>,
    /// Long poll: wait up to this many seconds (≤ 20) for a message.
    #[serde(default)]
    #[schema(maximum = 20)]
    pub wait_seconds: Option<u64>,
    /// Overrides the queue's visibility timeout for these messages (at most 43200).
    #[serde(default)]
    #[schema(maximum = 43200)]
    pub visibility_timeout_seconds: Option<u32>,
}

/// A received message.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    /// Stable message id.
    pub message_id: String,
    /// Handle to acknowledge this receive.
    pub receipt_handle: String,
    /// Receives so far, this one included.
    pub receive_count: u32,
    /// The event, or the transformed input of the rule's target, or what was sent (any
    /// JSON; a text body sent through SQS is a JSON string).
    #[schema(value_type = Value)]
    pub body: Box<RawValue>,
    /// Attributes (a dead-letter queue's messages say why they are there); omitted when empty.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub attributes: std::collections::BTreeMap<String, String>,
    /// Typed attributes the sender attached (`POST /v1/queues/{queue}/messages`, SQS
    /// SendMessage); omitted when empty.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub message_attributes: std::collections::BTreeMap<String, MessageAttribute>,
}

/// A typed message attribute, as SQS has them: `dataType` is `String`, `Number` or
/// `Binary`, optionally followed by `.` and a custom label; the value is `stringValue`
/// (String, Number) or `binaryValue` (Binary, base64).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MessageAttribute {
    /// `String`, `Number` or `Binary`, with an optional `.label`.
    #[schema(example = "String")]
    pub data_type: String,
    /// The value of a String or Number attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_value: Option<String>,
    /// The value of a Binary attribute, base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary_value: Option<String>,
}

/// Body of `POST /v1/queues/{queue}/messages`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendRequest {
    /// 1 to 10 messages.
    #[serde(deserialize_with = "crate::model::objects")]
    pub messages: Vec<OutgoingMessage>,
}

/// One message to send.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutgoingMessage {
    /// The body (any JSON; received as sent).
    #[schema(value_type = Value)]
    pub body: Box<RawValue>,
    /// Seconds before it can be received (default: the queue's `delaySeconds`; at most 900).
    #[serde(default)]
    #[schema(maximum = 900)]
    pub delay_seconds: Option<u32>,
    /// Up to 10 typed attributes.
    #[serde(default)]
    pub message_attributes: std::collections::BTreeMap<String, MessageAttribute>,
}

/// Answer of send.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendResponse {
    /// The ids of the messages, in request order (the `messageId` they are received with).
    pub message_ids: Vec<String>,
}

/// Answer of receive.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReceiveResponse {
    /// Zero or more messages.
    pub messages: Vec<MessageView>,
}

/// Body of `POST /v1/queues/{queue}/ack`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AckRequest {
    /// Receipt handles from receive.
    pub receipt_handles: Vec<String>,
}

/// Answer of ack.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AckResponse {
    /// How many messages were deleted (stale handles delete nothing).
    pub deleted: usize,
}

/// A page of a bus's quarantine.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuarantinePage {
    /// Entries, oldest first.
    pub items: Vec<crate::model::QuarantineRecord>,
    /// Pass as `after` for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
