//! The records the bus stores: buses (with their validation settings and bindings),
//! rules with their targets, queues, and quarantined entries. They are also the API's
//! representations, so they derive `ToSchema`; field names are camelCase on the wire.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// The bus that exists from first start and receives the registry's own events.
pub const DEFAULT_BUS: &str = "default";

/// What the validation gate does with entries on a bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ValidationMode {
    /// Entries failing their contract are refused (and quarantined).
    Enforce,
    /// Entries failing their contract are accepted; the findings are recorded.
    Warn,
    /// No validation.
    #[default]
    Off,
}

/// What happens to an entry whose event type has no contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UnknownEventTypes {
    /// Accepted without validation.
    #[default]
    Allow,
    /// Refused with `UnknownEventType` (in `enforce` mode; recorded in `warn` mode).
    Reject,
}

/// Validation settings of a bus.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidationConfig {
    /// `enforce`, `warn` or `off` (the default).
    #[serde(default)]
    pub mode: ValidationMode,
    /// Registry holding the contracts found by convention (`<source>@<DetailType>`).
    /// Required unless `mode` is `off`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "shop")]
    pub registry: Option<String>,
    /// `allow` (the default) or `reject` entries without a contract.
    #[serde(default)]
    pub unknown_event_types: UnknownEventTypes,
}

/// `latest`, as a binding's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LatestTag {
    /// The highest existing version, resolved on every event.
    Latest,
}

/// A binding's version: a number, or `latest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum BindingVersion {
    /// A fixed version.
    Number(u32),
    /// Whatever version is the latest when the event arrives.
    Latest(LatestTag),
}

/// An explicit contract: events of this source and detail-type are validated against
/// this schema version (in the bus's validation registry, or in `registry`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Binding {
    /// The event `source`.
    #[schema(example = "orders")]
    pub source: String,
    /// The event `detail-type`.
    #[schema(example = "Order Placed")]
    pub detail_type: String,
    /// Registry of the schema (default: the bus's validation registry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    /// Schema name.
    #[schema(example = "orders@OrderPlaced")]
    pub schema: String,
    /// A version number or `latest`.
    #[schema(value_type = Object, example = "latest")]
    pub version: BindingVersion,
}

/// An event bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BusRecord {
    /// Bus name.
    #[schema(example = "orders")]
    pub name: String,
    /// What the bus carries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Validation at the boundary.
    #[serde(default)]
    pub validation: ValidationConfig,
    /// Explicit contracts, tried before the naming convention.
    #[serde(default)]
    pub bindings: Vec<Binding>,
    /// Built-in buses (`default`) cannot be deleted.
    #[serde(default)]
    pub builtin: bool,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

/// Whether a rule delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RuleState {
    /// Matching events are delivered to the targets.
    Enabled,
    /// The rule never delivers.
    Disabled,
}

/// Where a rule sends the events it matches. Tagged by `type`; later kinds (webhooks)
/// and an input transformation slot in as new variants and an optional field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum Target {
    /// Enqueue the event in a pull queue.
    Queue {
        /// Target id, unique in the rule (`[A-Za-z0-9._-]{1,64}`).
        id: String,
        /// Queue name.
        queue: String,
    },
    /// Forward the event to another bus, whose rules then apply (no re-validation).
    Bus {
        /// Target id, unique in the rule.
        id: String,
        /// Bus name.
        bus: String,
    },
}

impl Target {
    /// The target's id.
    pub fn id(&self) -> &str {
        match self {
            Self::Queue { id, .. } | Self::Bus { id, .. } => id,
        }
    }
}

/// A rule: a pattern over events of one bus, and the targets of the events it matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuleRecord {
    /// Rule name.
    pub name: String,
    /// Bus of the rule.
    pub bus: String,
    /// What the rule is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// EventBridge event pattern (see docs/PATTERNS.md).
    #[schema(value_type = Object)]
    pub pattern: Value,
    /// `ENABLED` or `DISABLED`.
    pub state: RuleState,
    /// Up to 5 targets (configurable).
    pub targets: Vec<Target>,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last replacement.
    pub updated_at: String,
}

/// A pull queue's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueRecord {
    /// Queue name.
    pub name: String,
    /// How long a received message stays invisible unless acknowledged.
    pub visibility_timeout_seconds: u32,
    /// After this many receives, a message moves to the dead-letter queue (if set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_receive_count: Option<u32>,
    /// Queue receiving messages received `maxReceiveCount` times without ack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter_queue: Option<String>,
    /// Messages older than this are dropped.
    pub retention_seconds: u64,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

/// Why an entry is in the quarantine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum QuarantineOutcome {
    /// Refused (`enforce` mode); the producer got an error for it.
    Refused,
    /// Accepted with findings (`warn` mode).
    Warned,
}

/// One finding of the validation gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntryError {
    /// JSON Pointer into `detail`.
    pub instance_path: String,
    /// JSON Pointer into the schema.
    pub schema_path: String,
    /// What is wrong.
    pub message: String,
}

/// An entry kept by the quarantine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuarantineRecord {
    /// Position in the quarantine (increasing).
    pub id: String,
    /// RFC 3339 time of the PutEvents call.
    pub received_at: String,
    /// `refused` or `warned`.
    pub outcome: QuarantineOutcome,
    /// The per-entry error code (`SchemaValidationFailed`, `UnknownEventType`, ...).
    pub error_code: String,
    /// Human explanation.
    pub error_message: String,
    /// Schema used, as `registry/schema/version`, when one was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<String>,
    /// Validation findings (at most 10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<EntryError>,
    /// The event as it would have been (or was) delivered.
    #[schema(value_type = Object)]
    pub event: Value,
}
