//! Confluent's error shape, `{"error_code", "message"}`, and its codes. Every native
//! [`ApiError`] maps onto one of them in one exhaustive match, so a new native code
//! cannot reach a Confluent client without a decision.

use serde::Serialize;

use crate::error::{ApiError, Code};

/// An error as the Confluent API reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CcError {
    /// HTTP status.
    pub status: u16,
    /// Confluent's error code (40401, 42201, ...).
    pub error_code: u32,
    /// For humans.
    pub message: String,
}

/// Shorthand.
pub type CcResult<T> = Result<T, CcError>;

/// The body.
#[derive(Debug, Clone, Serialize)]
pub struct CcErrorBody {
    /// Confluent's code.
    pub error_code: u32,
    /// The message.
    pub message: String,
}

impl CcError {
    /// An error with a status and code.
    pub fn new(status: u16, error_code: u32, message: impl Into<String>) -> Self {
        Self { status, error_code, message: message.into() }
    }

    /// The JSON body.
    pub fn body(&self) -> CcErrorBody {
        CcErrorBody { error_code: self.error_code, message: self.message.clone() }
    }

    /// 40401.
    pub fn subject_not_found(subject: &str) -> Self {
        Self::new(404, 40401, format!("Subject '{subject}' not found."))
    }
    /// 40402.
    pub fn version_not_found(subject: &str, version: &str) -> Self {
        Self::new(404, 40402, format!("Version {version} not found for subject '{subject}'."))
    }
    /// 40403.
    pub fn schema_not_found(what: impl Into<String>) -> Self {
        Self::new(404, 40403, what)
    }
    /// 40404.
    pub fn subject_soft_deleted(subject: &str) -> Self {
        Self::new(
            404,
            40404,
            format!("Subject '{subject}' was soft deleted. Set permanent=true to delete permanently."),
        )
    }
    /// 40405.
    pub fn subject_not_soft_deleted(subject: &str) -> Self {
        Self::new(
            404,
            40405,
            format!("Subject '{subject}' was not deleted first before being permanently deleted."),
        )
    }
    /// 40406.
    pub fn version_soft_deleted(subject: &str, version: u32) -> Self {
        Self::new(
            404,
            40406,
            format!(
                "Subject '{subject}' Version {version} was soft deleted. Set permanent=true to delete permanently."
            ),
        )
    }
    /// 40407.
    pub fn version_not_soft_deleted(subject: &str, version: u32) -> Self {
        Self::new(
            404,
            40407,
            format!(
                "Subject '{subject}' Version {version} was not deleted first before being permanently deleted."
            ),
        )
    }
    /// 40408.
    pub fn subject_level_compatibility_not_configured(subject: &str) -> Self {
        Self::new(
            404,
            40408,
            format!(
                "Subject '{subject}' does not have subject-level compatibility configured. Hint: pass defaultToGlobal=true."
            ),
        )
    }
    /// 40409.
    pub fn subject_level_mode_not_configured(subject: &str) -> Self {
        Self::new(
            404,
            40409,
            format!(
                "Subject '{subject}' does not have subject-level mode configured. Hint: pass defaultToGlobal=true."
            ),
        )
    }
    /// 42201.
    pub fn invalid_schema(message: impl Into<String>) -> Self {
        Self::new(422, 42201, message)
    }
    /// 42202.
    pub fn invalid_version(version: &str) -> Self {
        Self::new(
            422,
            42202,
            format!(
                "The specified version '{version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"."
            ),
        )
    }
    /// 42203.
    pub fn invalid_compatibility_level(level: &str) -> Self {
        Self::new(
            422,
            42203,
            format!(
                "Invalid compatibility level '{level}'. Valid values are NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE."
            ),
        )
    }
    /// 42204.
    pub fn invalid_mode(mode: &str) -> Self {
        Self::new(422, 42204, format!("Invalid mode '{mode}'. Valid values are READWRITE, READONLY, IMPORT."))
    }
    /// 42205.
    pub fn not_permitted(message: impl Into<String>) -> Self {
        Self::new(422, 42205, message)
    }
    /// 42208 (schemabus: a subject name it cannot store).
    pub fn invalid_subject(message: String) -> Self {
        Self::new(422, 42208, message)
    }
    /// 400: the body is not JSON.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(400, 400, message)
    }
    /// 422: the body is JSON of the wrong shape.
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(422, 422, message)
    }
}

impl From<ApiError> for CcError {
    fn from(e: ApiError) -> Self {
        let (status, error_code) = match e.code {
            Code::RegistryNotFound | Code::SchemaNotFound => (404, 40401),
            Code::VersionNotFound => (404, 40402),
            Code::InvalidSchema | Code::UnsafePattern | Code::UnresolvableRef | Code::CodegenFailed => {
                (422, 42201)
            }
            Code::IncompatibleSchema => (409, 409),
            Code::ImportConflict => (422, 42207),
            Code::SchemaReferenced => (422, 42206),
            Code::RegistryReadOnly => (422, 42205),
            Code::MalformedJson => (400, 400),
            Code::InvalidRequest
            | Code::InvalidParameter
            | Code::InvalidName
            | Code::InvalidCursor
            | Code::InvalidPattern
            | Code::InvalidSchedule
            | Code::InvalidEvent
            | Code::InvalidGrant
            | Code::InvalidTransformer
            | Code::WebhookAddressRefused => (422, 422),
            Code::PayloadTooLarge | Code::EntriesTooLarge => (413, 413),
            Code::UnsupportedMediaType => (415, 415),
            Code::RouteNotFound => (404, 404),
            Code::MethodNotAllowed => (405, 405),
            Code::Unauthorized => (401, 401),
            Code::Forbidden => (403, 40301),
            Code::RateLimited => (429, 42901),
            Code::RegistryExists
            | Code::RegistryNotEmpty
            | Code::RegistryBuiltin
            | Code::BusExists
            | Code::BusBuiltin
            | Code::KeyExists
            | Code::LastAdminKey
            | Code::ReplayExists
            | Code::ConnectionExists
            | Code::ApiDestinationExists
            | Code::ReplayNotCancellable
            | Code::TooManyRules
            | Code::RegistrationContended => (409, 40901),
            Code::BusNotFound
            | Code::RuleNotFound
            | Code::QueueNotFound
            | Code::KeyNotFound
            | Code::ArchiveNotFound
            | Code::ReplayNotFound
            | Code::TraceNotFound
            | Code::DiscovererNotFound
            | Code::PolicyNotFound
            | Code::ConnectionNotFound
            | Code::ApiDestinationNotFound => (404, 404),
            Code::DiscovererExists => (409, 40901),
            Code::RevisionMismatch => (412, 412),
            Code::TooManyEntries => (422, 422),
            Code::StorageUnavailable | Code::Internal => (500, 50001),
            Code::Overloaded => (503, 503),
            Code::RequestTimeout => (408, 408),
            Code::HeadersTooLarge => (431, 431),
            Code::StorageFull => (507, 50001),
        };
        Self { status, error_code, message: e.message }
    }
}

impl std::fmt::Display for CcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.error_code, self.status, self.message)
    }
}

impl std::error::Error for CcError {}
