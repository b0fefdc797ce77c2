//! Records of access control: API keys (never their secret) and the audit trail.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An API key as stored and listed. The key itself is never stored or shown again after
/// creation; storage keeps its SHA-256 digest (as the tree key), the API a short prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyRecord {
    /// Key name, unique: `[A-Za-z0-9._-]{1,64}`.
    #[schema(example = "orders-producer")]
    pub name: String,
    /// Grants, as written at creation (docs/SECURITY.md).
    #[schema(example = json!(["bus:publish:orders:orders"]))]
    pub grants: Vec<String>,
    /// The first characters of the key (`sb_` and 4 more), to tell keys apart; not enough to guess it.
    #[schema(example = "sb_Zx3q")]
    pub prefix: String,
    /// RFC 3339 creation time.
    pub created_at: String,
}

/// `POST /v1/keys`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateKeyRequest {
    /// Key name, unique: `[A-Za-z0-9._-]{1,64}`.
    #[schema(example = "orders-producer")]
    pub name: String,
    /// Grants (docs/SECURITY.md), at least one.
    #[schema(example = json!(["bus:publish:orders:orders", "registry:read:shop"]))]
    pub grants: Vec<String>,
}

/// The answer to `POST /v1/keys`: the only time the key is shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedKey {
    /// Key name.
    pub name: String,
    /// The key, to send as `Authorization: Bearer <key>`. Store it now: it cannot be read again.
    #[schema(example = "sb_Zx3q…")]
    pub key: String,
}

/// `GET /v1/keys`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KeyList {
    /// Every key, in name order.
    pub items: Vec<KeyRecord>,
}

/// One audited write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// Position in the trail (larger is newer); the `before` cursor of the listing.
    pub id: String,
    /// RFC 3339 time of the answer.
    pub time: String,
    /// Name of the key that made the request (`anonymous` with `--auth off`).
    pub key: String,
    /// HTTP method.
    #[schema(example = "PUT")]
    pub method: String,
    /// Request path (no query string).
    #[schema(example = "/v1/buses/orders/rules/big-orders")]
    pub path: String,
    /// HTTP status of the answer (always 2xx: failed writes change nothing).
    pub status: u16,
    /// The resource written, as `kind:name`, when the path names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "bus:orders")]
    pub resource: Option<String>,
}

/// `GET /v1/audit`: newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    /// Records, newest first.
    pub items: Vec<AuditRecord>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// An AWS credential of an API key, as stored (docs/AWS-API.md#credentials). The secret
/// access key is sealed with the master key (AES-256-GCM); never stored in plain text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsCredentialRecord {
    /// Access key id (`AKIA` + 16 characters), the tree key.
    pub access_key_id: String,
    /// Name of the API key whose grants the credential carries.
    pub key_name: String,
    /// Hex SHA-256 digest of that API key: a revoked (or replaced) key no longer matches.
    pub key_digest: String,
    /// Base64 of nonce (12 bytes) + AES-256-GCM ciphertext and tag of the secret.
    pub sealed_secret: String,
    /// RFC 3339 creation time.
    pub created_at: String,
}

/// The answer to `POST /v1/keys/{key}/aws-credentials`: the only time the secret is shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedAwsCredentials {
    /// The API key the credentials act as.
    pub key_name: String,
    /// `AWS_ACCESS_KEY_ID`.
    #[schema(example = "AKIAIOSFODNN7EXAMPLE")]
    pub access_key_id: String,
    /// `AWS_SECRET_ACCESS_KEY`. Store it now: it cannot be read again.
    pub secret_access_key: String,
}
