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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BindingVersion {
    /// A fixed version (from 1).
    Number(u32),
    /// Whatever version is the latest when the event arrives.
    Latest(LatestTag),
}

/// Written by hand: the derive would type the number `int32` from 0, where the service
/// takes 1 to `u32::MAX` (version 0 is refused).
impl utoipa::PartialSchema for BindingVersion {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
        let number = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(1))
            .maximum(Some(u32::MAX))
            .description(Some("A fixed version (from 1)."));
        let mut latest = utoipa::openapi::Ref::from_schema_name("LatestTag");
        latest.description = "Whatever version is the latest when the event arrives.".to_owned();
        OneOfBuilder::new()
            .item(number)
            .item(latest)
            .description(Some("A binding's version: a number, or `latest`."))
            .into()
    }
}

impl ToSchema for BindingVersion {
    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        schemas.push((LatestTag::name().into(), <LatestTag as utoipa::PartialSchema>::schema()));
    }
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
    /// A version number (from 1) or `latest`.
    #[schema(example = "latest")]
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

/// Where a rule sends the events it matches. Tagged by `type`. Every kind takes at most
/// one input option (`input`, `inputPath` or `inputTransformer`, docs/DELIVERY.md);
/// bus targets refuse them, as EventBridge forwards the original event to a bus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum Target {
    /// Enqueue the event (or its transformation) in a pull queue.
    Queue {
        /// Target id, unique in the rule (`[A-Za-z0-9._-]{1,64}`).
        id: String,
        /// Queue name.
        queue: String,
        /// A constant JSON value sent instead of the event.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schema(value_type = Option<Object>)]
        input: Option<Value>,
        /// A JSONPath (`$.detail`) selecting the part of the event sent.
        #[serde(default, rename = "inputPath", skip_serializing_if = "Option::is_none")]
        input_path: Option<String>,
        /// Builds the sent value from parts of the event.
        #[serde(
            default,
            rename = "inputTransformer",
            skip_serializing_if = "Option::is_none",
            deserialize_with = "super::object_or_null"
        )]
        input_transformer: Option<InputTransformer>,
    },
    /// Forward the event to another bus, whose rules then apply (no re-validation).
    Bus {
        /// Target id, unique in the rule.
        id: String,
        /// Bus name.
        bus: String,
        /// Refused: a bus receives the original event.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schema(value_type = Option<Object>)]
        input: Option<Value>,
        /// Refused: a bus receives the original event.
        #[serde(default, rename = "inputPath", skip_serializing_if = "Option::is_none")]
        input_path: Option<String>,
        /// Refused: a bus receives the original event.
        #[serde(
            default,
            rename = "inputTransformer",
            skip_serializing_if = "Option::is_none",
            deserialize_with = "super::object_or_null"
        )]
        input_transformer: Option<InputTransformer>,
    },
    /// Push the event (or its transformation) to an HTTP endpoint, with retries and a
    /// dead-letter queue (docs/DELIVERY.md).
    Webhook(Box<WebhookTarget>),
}

impl Target {
    /// The target's id.
    pub fn id(&self) -> &str {
        match self {
            Self::Queue { id, .. } | Self::Bus { id, .. } => id,
            Self::Webhook(w) => &w.id,
        }
    }

    /// The kind, as metrics and traces name it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Queue { .. } => "queue",
            Self::Bus { .. } => "bus",
            Self::Webhook(_) => "webhook",
        }
    }

    /// The input options: (`input`, `inputPath`, `inputTransformer`).
    pub fn input_options(&self) -> (Option<&Value>, Option<&str>, Option<&InputTransformer>) {
        match self {
            Self::Queue { input, input_path, input_transformer, .. }
            | Self::Bus { input, input_path, input_transformer, .. } => {
                (input.as_ref(), input_path.as_deref(), input_transformer.as_ref())
            }
            Self::Webhook(w) => (w.input.as_ref(), w.input_path.as_deref(), w.input_transformer.as_ref()),
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
    /// EventBridge event pattern (see docs/PATTERNS.md); absent on a rule that only has
    /// a schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub pattern: Option<Value>,
    /// Schedule expression (`rate(...)` / `cron(...)`, UTC): the rule fires on it too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// The next three times the schedule fires (RFC 3339), in answers only (computed,
    /// never stored).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub next_fire_times: Vec<String>,
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
    /// Seconds a new message stays invisible before its first receive (0: none).
    #[serde(default)]
    pub delay_seconds: u32,
    /// Seconds a receive waits for a message when it does not say (0: no long poll).
    #[serde(default)]
    pub receive_wait_seconds: u32,
    /// Labels (SQS queue tags); omitted when none.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub tags: std::collections::BTreeMap<String, String>,
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

/// EventBridge's input transformer: named JSONPaths, and a template using them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InputTransformer {
    /// Up to 100 names → JSONPath into the event (`{"state": "$.detail.state"}`).
    #[serde(default)]
    pub input_paths_map: std::collections::BTreeMap<String, String>,
    /// Template with `<name>` placeholders; JSON or plain text.
    #[schema(example = "{\"state\": <state>}")]
    pub input_template: String,
}

/// HTTP method of a webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum WebhookMethod {
    /// POST (the default).
    #[default]
    Post,
    /// PUT.
    Put,
    /// PATCH.
    Patch,
}

/// Credentials sent with every webhook request. Write-only: answers show
/// `"<redacted>"` in place of the secret parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum WebhookAuth {
    /// `Authorization: Basic base64(username:password)`.
    Basic {
        /// User name.
        username: String,
        /// Password (write-only).
        password: String,
    },
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// Token (write-only).
        token: String,
    },
    /// A header carrying an API key.
    ApiKey {
        /// Header name (`X-Api-Key`).
        header: String,
        /// Key (write-only).
        value: String,
    },
}

/// How long and how often a failed delivery is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RetryPolicy {
    /// Retries after the first attempt, 0..=185 (default 185).
    #[serde(default = "default_retry_attempts")]
    pub maximum_retry_attempts: u32,
    /// Give up on events older than this, 60..=86400 seconds (default 86400).
    #[serde(default = "default_event_age")]
    pub maximum_event_age_seconds: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            maximum_retry_attempts: default_retry_attempts(),
            maximum_event_age_seconds: default_event_age(),
        }
    }
}

fn default_retry_attempts() -> u32 {
    185
}

fn default_event_age() -> u64 {
    86_400
}

/// The placeholder answers show instead of a write-only value.
pub const REDACTED: &str = "<redacted>";

/// A webhook target: events are pushed to `url` from a persistent outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookTarget {
    /// Target id, unique in the rule.
    pub id: String,
    /// `http` or `https` URL.
    #[schema(example = "https://hooks.example.com/orders")]
    pub url: String,
    /// `POST` (default), `PUT` or `PATCH`.
    #[serde(default)]
    pub method: WebhookMethod,
    /// Extra request headers.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub headers: std::collections::BTreeMap<String, String>,
    /// Credentials (write-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<WebhookAuth>,
    /// HMAC-SHA256 signing secret (write-only); see docs/DELIVERY.md#signatures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Per-request timeout, 100..=60000 ms (default 5000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Most requests per second to this target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_per_second: Option<u32>,
    /// Retries (default: 185 attempts within 24 hours).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "super::object_or_null")]
    pub retry_policy: Option<RetryPolicy>,
    /// Queue receiving events whose delivery failed for good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter_queue: Option<String>,
    /// A constant JSON value sent instead of the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub input: Option<Value>,
    /// A JSONPath selecting the part of the event sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_path: Option<String>,
    /// Builds the sent value from parts of the event.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "super::object_or_null")]
    pub input_transformer: Option<InputTransformer>,
}

impl WebhookTarget {
    /// The same target with its write-only values replaced by [`REDACTED`].
    #[must_use]
    pub fn redacted(&self) -> Self {
        let mut out = self.clone();
        if out.secret.is_some() {
            out.secret = Some(REDACTED.to_owned());
        }
        out.auth = out.auth.map(|auth| match auth {
            WebhookAuth::Basic { username, .. } => {
                WebhookAuth::Basic { username, password: REDACTED.to_owned() }
            }
            WebhookAuth::Bearer { .. } => WebhookAuth::Bearer { token: REDACTED.to_owned() },
            WebhookAuth::ApiKey { header, .. } => WebhookAuth::ApiKey { header, value: REDACTED.to_owned() },
        });
        out
    }
}

impl RuleRecord {
    /// The rule as answers show it: write-only webhook values redacted.
    #[must_use]
    pub fn redacted(&self) -> Self {
        let mut out = self.clone();
        for target in &mut out.targets {
            if let Target::Webhook(w) = target {
                **w = w.redacted();
            }
        }
        out
    }
}
