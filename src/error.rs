//! The one table of error codes, and the error body every failure is reported with.
//!
//! Codes are part of the API contract: clients branch on `code`, never on `message`.
//! Renaming or removing a code is a breaking change; adding one is not. The table is
//! published in `docs/ERRORS.md`, and a test checks that the two agree.

use serde::Serialize;
use serde_json::Value;

/// Broad class of an error, used for the HTTP status and for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The request is wrong; resending it unchanged fails again.
    InvalidRequest,
    /// The thing named does not exist.
    NotFound,
    /// The request conflicts with the current state.
    Conflict,
    /// The service failed; the client did nothing wrong.
    Internal,
    /// The caller is not identified, or its key lacks the grant.
    Denied,
    /// The caller sent too many requests; retry after the `Retry-After` seconds.
    Throttled,
}

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident => ($name:literal, $status:literal, $kind:ident, $summary:literal), )*) => {
        /// Every stable error code the API can answer with.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// All codes, in table order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The stable snake_case name sent as `code`.
            pub const fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The HTTP status this code is answered with.
            pub const fn status(self) -> u16 {
                match self { $(Code::$variant => $status,)* }
            }

            /// The broad class of the error.
            pub const fn kind(self) -> ErrorKind {
                match self { $(Code::$variant => ErrorKind::$kind,)* }
            }

            /// One line saying when the code is used (the table in `docs/ERRORS.md`).
            pub const fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary,)* }
            }
        }
    };
}

error_codes! {
    /// The body is not JSON at all (syntax error, truncated, empty).
    MalformedJson => ("malformed_json", 400, InvalidRequest, "The request body is not well-formed JSON."),
    /// The body is JSON but not of the expected shape (missing field, wrong type).
    InvalidRequest => ("invalid_request", 400, InvalidRequest, "The request is well-formed but a field is missing, of the wrong type or out of range."),
    /// A path or query parameter cannot be parsed.
    InvalidParameter => ("invalid_parameter", 400, InvalidRequest, "A path or query parameter is not valid (for example a version that is neither a number nor `latest`)."),
    /// A registry, schema or other resource name breaks the naming rules.
    InvalidName => ("invalid_name", 400, InvalidRequest, "A resource name does not follow the naming rules for its kind."),
    /// A pagination cursor was not produced by this service.
    InvalidCursor => ("invalid_cursor", 400, InvalidRequest, "The pagination cursor is not one this service returned."),
    /// The body exceeds the configured limit.
    PayloadTooLarge => ("payload_too_large", 413, InvalidRequest, "The request body is larger than the configured limit."),
    /// The body's media type is not accepted.
    UnsupportedMediaType => ("unsupported_media_type", 415, InvalidRequest, "The request body's content type is not accepted by this operation."),
    /// The submitted schema is not a valid, compilable JSON Schema.
    InvalidSchema => ("invalid_schema", 422, InvalidRequest, "The submitted schema is not a valid JSON Schema of its declared draft, or does not compile."),
    /// A regular expression in a schema cannot run in linear time.
    UnsafePattern => ("unsafe_pattern", 422, InvalidRequest, "A regular expression in the schema uses a construct that cannot run in linear time (look-around, back-references)."),
    /// A `$ref` points at nothing this service holds, or at a foreign location.
    UnresolvableRef => ("unresolvable_ref", 422, InvalidRequest, "A `$ref` names a schema version this service does not hold, or a location outside it."),
    /// An event pattern is not valid; the message is EventBridge's reason text.
    InvalidPattern => ("invalid_pattern", 400, InvalidRequest, "An event pattern is not valid; the message is the reason, as EventBridge words it."),
    /// A rule's schedule expression is not valid, or names a bus other than `default`.
    InvalidSchedule => ("invalid_schedule", 400, InvalidRequest, "A rule's `schedule` is not a valid `rate(...)` / `cron(...)` expression, or the rule is not on the `default` bus (the only bus schedules run on, as EventBridge)."),
    /// The connection (AWS API destinations) does not exist.
    ConnectionNotFound => ("connection_not_found", 404, NotFound, "The connection (AWS API destinations) does not exist."),
    /// A connection of this name exists.
    ConnectionExists => ("connection_exists", 409, Conflict, "A connection with this name already exists."),
    /// The API destination does not exist.
    ApiDestinationNotFound => ("api_destination_not_found", 404, NotFound, "The API destination does not exist."),
    /// An API destination of this name exists.
    ApiDestinationExists => ("api_destination_exists", 409, Conflict, "An API destination with this name already exists."),
    /// A test event is not a well-formed event envelope.
    InvalidEvent => ("invalid_event", 400, InvalidRequest, "A test event is not JSON, or lacks a mandatory envelope field (`id`, `account`, `source`, `time`, `region`, `detail-type`)."),
    /// The schema violates the compatibility mode of its schema or registry.
    IncompatibleSchema => ("incompatible_schema", 409, Conflict, "The new version breaks the compatibility mode in force; `details.findings` says how."),
    /// Code bindings cannot be generated for this version.
    CodegenFailed => ("codegen_failed", 422, InvalidRequest, "Code bindings cannot be generated for this schema version; the message says why."),
    /// No route answers this method and path.
    RouteNotFound => ("route_not_found", 404, NotFound, "No operation exists at this path."),
    /// The method is not allowed on this path.
    MethodNotAllowed => ("method_not_allowed", 405, InvalidRequest, "The path exists but does not accept this HTTP method."),
    /// The registry does not exist.
    RegistryNotFound => ("registry_not_found", 404, NotFound, "The registry does not exist."),
    /// The schema does not exist in the registry.
    SchemaNotFound => ("schema_not_found", 404, NotFound, "The schema does not exist in the registry."),
    /// The schema version does not exist (never existed, or was deleted).
    VersionNotFound => ("version_not_found", 404, NotFound, "The schema version does not exist or was deleted."),
    /// A registry of that name exists already.
    RegistryExists => ("registry_exists", 409, Conflict, "A registry with this name already exists."),
    /// The registry still holds schemas and `force` was not given.
    RegistryNotEmpty => ("registry_not_empty", 409, Conflict, "The registry still holds schemas; delete them first or pass `?force=true`."),
    /// Built-in registries cannot be deleted.
    RegistryBuiltin => ("registry_builtin", 409, Conflict, "Built-in registries cannot be deleted."),
    /// Versions in this registry are written by the service only.
    RegistryReadOnly => ("registry_read_only", 403, InvalidRequest, "Versions in this registry are written by the service itself (for example `discovered-schemas`)."),
    /// An imported (Confluent IMPORT mode) schema id or version cannot be used.
    ImportConflict => ("import_conflict", 409, Conflict, "An imported schema id means other content, the content already has another id, or the imported version number exists."),
    /// Other instances kept changing the schema's history while a registration was checked.
    RegistrationContended => ("registration_contended", 409, Conflict, "Other instances registered or deleted versions of the schema while this version was being checked, more times than the service retries; nothing was stored. Retrying is safe."),
    /// Another stored version references the one being deleted.
    SchemaReferenced => ("schema_referenced", 409, Conflict, "Another stored schema version references this one through `$ref`; delete that first."),
    /// The event bus does not exist.
    BusNotFound => ("bus_not_found", 404, NotFound, "The event bus does not exist."),
    /// An event bus with this name already exists.
    BusExists => ("bus_exists", 409, Conflict, "An event bus with this name already exists."),
    /// The `default` bus cannot be deleted.
    BusBuiltin => ("bus_builtin", 409, Conflict, "The `default` bus cannot be deleted."),
    /// The rule does not exist on this bus.
    RuleNotFound => ("rule_not_found", 404, NotFound, "The rule does not exist on this bus."),
    /// The queue does not exist.
    QueueNotFound => ("queue_not_found", 404, NotFound, "The queue does not exist."),
    /// A PutEvents request holds more entries than the configured limit.
    TooManyEntries => ("too_many_entries", 400, InvalidRequest, "A PutEvents request holds more entries than the configured limit."),
    /// The total entry size of a PutEvents request (computed as EventBridge does) is over the configured limit.
    EntriesTooLarge => ("entries_too_large", 413, InvalidRequest, "The total entry size of a PutEvents request (computed as EventBridge does) is over the configured limit."),
    /// The data directory cannot be used (locked, corrupt, or from a newer release).
    StorageUnavailable => ("storage_unavailable", 503, Internal, "The storage is not open or not writable; see the service log."),
    /// Cluster mode serves the registry; the bus needs its event backend (not yet built).
    /// The disk holding the data directory is full (or below `--min-free-disk-mb`).
    StorageFull => ("storage_full", 507, Internal, "The disk holding the data directory is full (or has less free space than `--min-free-disk-mb`); nothing was written. Retry after the `Retry-After` seconds; writes resume by themselves once space is freed."),
    /// No API key was sent, or it is not one this service knows (revoked, mistyped).
    Unauthorized => ("unauthorized", 401, Denied, "The request has no `Authorization: Bearer <key>` header, or the key is unknown or revoked."),
    /// The key is valid but lacks the grant this operation needs.
    Forbidden => ("forbidden", 403, Denied, "The API key is valid but has no grant for this operation on this resource; `details.required` names the grant."),
    /// The key made more requests than its token bucket allows.
    RateLimited => ("rate_limited", 429, Throttled, "The API key is over its request rate; retry after the `Retry-After` header's seconds."),
    /// The service is at its limit of concurrent requests or long polls (load shedding).
    Overloaded => ("overloaded", 503, Throttled, "The service is at its limit of concurrent requests (`--max-inflight-requests`) or long polls (`--max-long-polls`) or live-tail streams (`--max-tail-streams`); retry after the `Retry-After` header's seconds."),
    /// The request body did not arrive in time (a slow or stalled client).
    RequestTimeout => ("request_timeout", 408, InvalidRequest, "The request body did not arrive within `--body-read-timeout-ms`; resend it on a faster connection."),
    /// The request's headers are larger than the configured limit.
    HeadersTooLarge => ("headers_too_large", 431, InvalidRequest, "The request's headers are larger than `--max-header-bytes` in total; send fewer or shorter headers."),
    /// An API key of that name exists already.
    KeyExists => ("key_exists", 409, Conflict, "An API key with this name already exists; revoke it first or choose another name."),
    /// The API key does not exist.
    KeyNotFound => ("key_not_found", 404, NotFound, "No API key has this name."),
    /// Revoking this key would leave no key with the `admin` grant.
    LastAdminKey => ("last_admin_key", 409, Conflict, "The key is the last one with the `admin` grant; create another admin key first (or rotate it with SCHEMABUS_ADMIN_KEY)."),
    /// A grant string does not follow the grammar.
    InvalidGrant => ("invalid_grant", 400, InvalidRequest, "A grant is not one of `admin`, `metrics:read`, `registry:read|write:<name|*>`, `bus:publish:<name|*>[:<sources>]`, `bus:manage:<name|*>`, `queue:consume:<name|*>`."),
    /// A bus holds as many rules as the configured limit.
    TooManyRules => ("too_many_rules", 409, Conflict, "The bus already holds `--max-rules-per-bus` rules; delete one or raise the limit."),
    /// An unexpected failure; details are in the service log, keyed by the request id.
    Internal => ("internal", 500, Internal, "An unexpected failure; the service log has the cause."),
    /// A target's `input`, `inputPath` or `inputTransformer` is not valid.
    InvalidTransformer => ("invalid_transformer", 400, InvalidRequest, "A target's `input`, `inputPath` or `inputTransformer` is not valid (several set, a bad JSONPath, a template that is not JSON); `details.pointer` names the field."),
    /// A webhook URL names an address the webhook address policy refuses.
    WebhookAddressRefused => ("webhook_address_refused", 400, InvalidRequest, "A webhook URL names an address that the webhook allow/deny lists refuse (by default link-local and cloud metadata addresses)."),
    /// The archive does not exist on this bus.
    ArchiveNotFound => ("archive_not_found", 404, NotFound, "The archive does not exist on this bus."),
    /// The replay does not exist.
    ReplayNotFound => ("replay_not_found", 404, NotFound, "The replay does not exist."),
    /// A replay with this name exists already.
    ReplayExists => ("replay_exists", 409, Conflict, "A replay with this name already exists; replay names are never reused."),
    /// The replay has ended and cannot be cancelled.
    ReplayNotCancellable => ("replay_not_cancellable", 409, Conflict, "The replay has already ended (COMPLETED, CANCELLED or FAILED)."),
    /// No trace of this event is kept.
    TraceNotFound => ("trace_not_found", 404, NotFound, "No trace of this event is kept: unknown id, another bus, or older than the trace window."),
    /// The discoverer (AWS Schemas API) does not exist.
    DiscovererNotFound => ("discoverer_not_found", 404, NotFound, "The discoverer does not exist (AWS Schemas API; one per event bus)."),
    /// A discoverer exists already for this event bus.
    DiscovererExists => ("discoverer_exists", 409, Conflict, "The event bus already has a discoverer (AWS Schemas API); update or delete it."),
    /// No resource policy is stored for this registry (or the account).
    PolicyNotFound => ("policy_not_found", 404, NotFound, "No resource policy is stored for this registry or the account (AWS Schemas API)."),
    /// The `RevisionId` given is not the stored policy's.
    RevisionMismatch => ("revision_mismatch", 412, Conflict, "The `RevisionId` given is not the one of the stored resource policy: another write came first; read it again."),
}

/// An error as the API reports it: a stable code, a human message that ends with a hint,
/// and optional structured details (for example a JSON Pointer into the request).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The stable code.
    pub code: Code,
    /// For humans; may change between releases.
    pub message: String,
    /// Structured data a client can act on, such as `{"pointer": "/properties/id"}`.
    pub details: Option<Value>,
}

impl ApiError {
    /// An error with a message and no details.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), details: None }
    }

    /// Adds structured details.
    #[must_use]
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// The JSON body sent to clients.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code.name().to_owned(),
            message: self.message.clone(),
            details: self.details.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.name(), self.message)
    }
}

impl std::error::Error for ApiError {}

/// The body of every error response; its JSON Schema is `schemas/error-body.schema.json`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable snake_case code; see `docs/ERRORS.md`.
    #[schema(example = "schema_not_found")]
    pub code: String,
    /// Human-readable explanation ending with a hint.
    #[schema(
        example = "Schema 'orders@OrderPlaced' does not exist in registry 'shop'. Hint: list schemas with GET /v1/registries/shop/schemas."
    )]
    pub message: String,
    /// Structured details, such as a JSON Pointer into the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

/// Shorthand used across services.
pub type ApiResult<T> = Result<T, ApiError>;
