//! Connections and API destinations (EventBridge's, served by the AWS API): an HTTP
//! endpoint with the credentials to call it. Secrets are kept sealed (see
//! `crate::destinations`); these records never hold one in plain text.

use serde::{Deserialize, Serialize};

/// How a connection authorizes its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConnectionAuth {
    /// `Authorization: Basic …` from a user name and a password.
    Basic,
    /// A header named `api_key_name` carrying the key.
    ApiKey,
}

/// A connection: the credentials of an API destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionRecord {
    /// Name (`[.\-_A-Za-z0-9]{1,64}`).
    pub name: String,
    /// Random id, the last part of its ARN.
    pub id: String,
    /// What it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Authorization type.
    pub auth: ConnectionAuth,
    /// Basic: the user name; API key: the header name (not secret).
    pub principal: String,
    /// The password or key, sealed under the master key; `None` once deauthorized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_secret: Option<String>,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
    /// RFC 3339 time it was last given credentials.
    pub authorized_at: String,
}

/// An API destination: an endpoint and method, called with a connection's credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiDestinationRecord {
    /// Name (`[.\-_A-Za-z0-9]{1,64}`).
    pub name: String,
    /// Random id, the last part of its ARN.
    pub id: String,
    /// What it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The connection's name.
    pub connection: String,
    /// The URL called.
    pub endpoint: String,
    /// `POST`, `PUT` or `PATCH` (the methods webhook targets have).
    pub method: String,
    /// Most requests per second (default 300).
    pub rate_limit_per_second: u32,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}
