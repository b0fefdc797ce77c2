//! Connections and API destinations (EventBridge's, docs/AWS-API.md#connections-and-api-destinations):
//! an endpoint, a method and the credentials to call it. A rule target naming an API
//! destination becomes a native webhook target (docs/DELIVERY.md) with the connection's
//! credentials.
//!
//! A connection's secret (password or API key) is sealed with AES-256-GCM under the
//! master key of the AWS credentials (`auth::aws::MasterKey`), bound to the connection's
//! name and id, so the `connections` tree never holds it in plain text.
//! `DeauthorizeConnection` drops the sealed secret.

mod checks;

use std::sync::Arc;

use crate::auth::aws::MasterKey;
use crate::error::{ApiError, ApiResult, Code};
use crate::model::{ApiDestinationRecord, ConnectionAuth, ConnectionRecord, WebhookAuth, now_rfc3339};
use crate::storage::DestinationStore;

pub use checks::{DEFAULT_RATE_LIMIT, check_name};

/// Credentials given to a connection.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// Basic or API key.
    pub auth: ConnectionAuth,
    /// The user name (Basic) or header name (API key).
    pub principal: String,
    /// The password or key.
    pub secret: String,
}

/// What an API destination is given (absent fields of an update keep their value).
#[derive(Debug, Clone, Default)]
pub struct DestinationInput {
    /// What it is for.
    pub description: Option<String>,
    /// The connection's name.
    pub connection: Option<String>,
    /// The URL called.
    pub endpoint: Option<String>,
    /// The HTTP method.
    pub method: Option<String>,
    /// Most requests per second.
    pub rate_limit_per_second: Option<u32>,
}

/// The connections and API destinations. Cheap to clone.
#[derive(Clone)]
pub struct Destinations {
    store: Arc<dyn DestinationStore>,
    master: Arc<MasterKey>,
}

impl std::fmt::Debug for Destinations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Destinations").finish_non_exhaustive()
    }
}

fn destination_exists(name: &str) -> ApiError {
    ApiError::new(Code::ApiDestinationExists, format!("API destination '{name}' already exists."))
}

fn connection_not_found(name: &str) -> ApiError {
    ApiError::new(Code::ConnectionNotFound, format!("Connection '{name}' does not exist."))
}

fn destination_not_found(name: &str) -> ApiError {
    ApiError::new(Code::ApiDestinationNotFound, format!("API destination '{name}' does not exist."))
}

/// The associated data a connection's secret is sealed with.
fn seal_id(record: &ConnectionRecord) -> String {
    format!("connection/{}/{}", record.name, record.id)
}

impl Destinations {
    /// Over `store`, sealing with `master`.
    pub fn new(store: Arc<dyn DestinationStore>, master: Arc<MasterKey>) -> Self {
        Self { store, master }
    }

    /// Creates a connection.
    ///
    /// # Errors
    /// `invalid_name`, `invalid_request`, `connection_exists`.
    pub async fn create_connection(
        &self,
        name: &str,
        description: Option<String>,
        credentials: Credentials,
    ) -> ApiResult<ConnectionRecord> {
        check_name("connection", name)?;
        checks::description(description.as_deref())?;
        checks::credentials(&credentials)?;
        let now = now_rfc3339();
        let mut record = ConnectionRecord {
            name: name.to_owned(),
            id: uuid::Uuid::new_v4().to_string(),
            description: description.filter(|d| !d.is_empty()),
            auth: credentials.auth,
            principal: credentials.principal.clone(),
            sealed_secret: None,
            created_at: now.clone(),
            updated_at: now.clone(),
            authorized_at: now,
        };
        record.sealed_secret = Some(self.master.seal(&seal_id(&record), &credentials.secret)?);
        if !self.store.create_connection(record.clone()).await? {
            return Err(ApiError::new(
                Code::ConnectionExists,
                format!("Connection '{name}' already exists."),
            ));
        }
        Ok(record)
    }

    /// Changes a connection's description and/or credentials (which authorize it again).
    ///
    /// # Errors
    /// `connection_not_found`, `invalid_request`.
    pub async fn update_connection(
        &self,
        name: &str,
        description: Option<String>,
        credentials: Option<Credentials>,
    ) -> ApiResult<ConnectionRecord> {
        checks::description(description.as_deref())?;
        let mut record = self.get_connection(name)?;
        let now = now_rfc3339();
        if let Some(d) = description {
            record.description = Some(d).filter(|d| !d.is_empty());
        }
        if let Some(c) = credentials {
            checks::credentials(&c)?;
            record.auth = c.auth;
            record.principal = c.principal;
            record.sealed_secret = Some(self.master.seal(&seal_id(&record), &c.secret)?);
            record.authorized_at = now.clone();
        }
        record.updated_at = now;
        self.store.put_connection(record.clone()).await?;
        Ok(record)
    }

    /// Drops a connection's secret: targets made from it afterwards fail.
    ///
    /// # Errors
    /// `connection_not_found`.
    pub async fn deauthorize_connection(&self, name: &str) -> ApiResult<ConnectionRecord> {
        let mut record = self.get_connection(name)?;
        record.sealed_secret = None;
        record.updated_at = now_rfc3339();
        self.store.put_connection(record.clone()).await?;
        Ok(record)
    }

    /// One connection.
    ///
    /// # Errors
    /// `connection_not_found`.
    pub fn get_connection(&self, name: &str) -> ApiResult<ConnectionRecord> {
        self.store.get_connection(name)?.ok_or_else(|| connection_not_found(name))
    }

    /// Every connection, in name order.
    ///
    /// # Errors
    /// Storage failures.
    pub fn list_connections(&self) -> ApiResult<Vec<ConnectionRecord>> {
        Ok(self.store.list_connections()?)
    }

    /// Deletes a connection.
    ///
    /// # Errors
    /// `connection_not_found`.
    pub async fn delete_connection(&self, name: &str) -> ApiResult<ConnectionRecord> {
        let record = self.get_connection(name)?;
        self.store.delete_connection(name.to_owned()).await?;
        Ok(record)
    }

    /// The webhook credentials of a connection (opened from their seal).
    ///
    /// # Errors
    /// `invalid_request` when the connection is deauthorized or its secret does not
    /// open (the master key changed).
    pub fn webhook_auth(&self, record: &ConnectionRecord) -> ApiResult<WebhookAuth> {
        let sealed = record.sealed_secret.as_deref().ok_or_else(|| {
            ApiError::new(
                Code::InvalidRequest,
                format!(
                    "Connection '{}' is deauthorized: give it credentials with UpdateConnection.",
                    record.name
                ),
            )
        })?;
        let secret = self.master.open(&seal_id(record), sealed).ok_or_else(|| {
            ApiError::new(
                Code::InvalidRequest,
                format!(
                    "The secret of connection '{}' does not open with the master key (SCHEMABUS_MASTER_KEY changed): update its credentials.",
                    record.name
                ),
            )
        })?;
        Ok(match record.auth {
            ConnectionAuth::Basic => {
                WebhookAuth::Basic { username: record.principal.clone(), password: secret }
            }
            ConnectionAuth::ApiKey => WebhookAuth::ApiKey { header: record.principal.clone(), value: secret },
        })
    }

    /// Creates an API destination.
    ///
    /// # Errors
    /// `invalid_name`, `invalid_request`, `connection_not_found`, `api_destination_exists`.
    pub async fn create_api_destination(
        &self,
        name: &str,
        input: DestinationInput,
    ) -> ApiResult<ApiDestinationRecord> {
        check_name("API destination", name)?;
        if self.store.get_api_destination(name)?.is_some() {
            // Checked early too, so a taken name is reported before the input's errors.
            return Err(destination_exists(name));
        }
        let now = now_rfc3339();
        let record = ApiDestinationRecord {
            name: name.to_owned(),
            id: uuid::Uuid::new_v4().to_string(),
            description: None,
            connection: String::new(),
            endpoint: String::new(),
            method: String::new(),
            rate_limit_per_second: DEFAULT_RATE_LIMIT,
            created_at: now.clone(),
            updated_at: now,
        };
        self.store_destination(record, input, true).await
    }

    /// Changes an API destination.
    ///
    /// # Errors
    /// `api_destination_not_found`, `invalid_request`, `connection_not_found`.
    pub async fn update_api_destination(
        &self,
        name: &str,
        input: DestinationInput,
    ) -> ApiResult<ApiDestinationRecord> {
        let record = self.get_api_destination(name)?;
        self.store_destination(record, input, false).await
    }

    async fn store_destination(
        &self,
        mut record: ApiDestinationRecord,
        input: DestinationInput,
        new: bool,
    ) -> ApiResult<ApiDestinationRecord> {
        checks::description(input.description.as_deref())?;
        if let Some(d) = input.description {
            record.description = Some(d).filter(|d| !d.is_empty());
        }
        if let Some(c) = input.connection {
            self.get_connection(&c)?;
            record.connection = c;
        }
        if let Some(e) = input.endpoint {
            checks::endpoint(&e)?;
            record.endpoint = e;
        }
        if let Some(m) = input.method {
            record.method = checks::method(&m)?;
        }
        if let Some(r) = input.rate_limit_per_second {
            record.rate_limit_per_second = checks::rate(r)?;
        }
        if new {
            checks::complete(&record)?;
        } else {
            record.updated_at = now_rfc3339();
        }
        if new {
            if !self.store.create_api_destination(record.clone()).await? {
                return Err(destination_exists(&record.name));
            }
        } else {
            self.store.put_api_destination(record.clone()).await?;
        }
        Ok(record)
    }

    /// One API destination.
    ///
    /// # Errors
    /// `api_destination_not_found`.
    pub fn get_api_destination(&self, name: &str) -> ApiResult<ApiDestinationRecord> {
        self.store.get_api_destination(name)?.ok_or_else(|| destination_not_found(name))
    }

    /// Every API destination, in name order.
    ///
    /// # Errors
    /// Storage failures.
    pub fn list_api_destinations(&self) -> ApiResult<Vec<ApiDestinationRecord>> {
        Ok(self.store.list_api_destinations()?)
    }

    /// Deletes an API destination (targets made from it keep working: they are webhooks).
    ///
    /// # Errors
    /// `api_destination_not_found`.
    pub async fn delete_api_destination(&self, name: &str) -> ApiResult<()> {
        self.get_api_destination(name)?;
        self.store.delete_api_destination(name.to_owned()).await?;
        Ok(())
    }

    /// The tags of a resource (by ARN).
    ///
    /// # Errors
    /// Storage failures.
    pub fn tags(&self, arn: &str) -> ApiResult<std::collections::BTreeMap<String, String>> {
        Ok(self.store.tags_of(arn)?)
    }

    /// Replaces the tags of a resource (by ARN).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn set_tags(
        &self,
        arn: &str,
        tags: &std::collections::BTreeMap<String, String>,
    ) -> ApiResult<()> {
        self.store.put_tags(arn.to_owned(), tags.clone()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

    use super::*;

    fn service(dir: &std::path::Path) -> Destinations {
        let store = crate::storage::Store::open(dir, &crate::storage::StoreOptions::default()).unwrap();
        Destinations::new(
            Arc::new(crate::storage::Control::new(Arc::new(store))),
            Arc::new(MasterKey::from_bytes(&[7; 32]).unwrap()),
        )
    }

    #[tokio::test]
    async fn a_connection_secret_is_stored_sealed_and_opens_only_for_its_connection() {
        let dir = tempfile::tempdir().unwrap();
        let d = service(dir.path());
        let creds =
            Credentials { auth: ConnectionAuth::Basic, principal: "svc".into(), secret: "hunter2".into() };
        let c = d.create_connection("crm", None, creds).await.unwrap();
        let stored = d.get_connection("crm").unwrap();
        let sealed = stored.sealed_secret.clone().unwrap();
        assert!(!sealed.contains("hunter2") && !serde_json::to_string(&stored).unwrap().contains("hunter2"));
        assert_eq!(
            d.webhook_auth(&c).unwrap(),
            WebhookAuth::Basic { username: "svc".into(), password: "hunter2".into() }
        );
        // Moved to another connection, the seal does not open.
        let mut other = stored.clone();
        other.name = "other".into();
        assert!(d.webhook_auth(&other).is_err());
        // Deauthorized: no secret kept, no credentials given.
        let off = d.deauthorize_connection("crm").await.unwrap();
        assert!(off.sealed_secret.is_none() && d.webhook_auth(&off).is_err());
    }

    #[tokio::test]
    async fn api_destinations_need_an_existing_connection_and_a_body_method() {
        let dir = tempfile::tempdir().unwrap();
        let d = service(dir.path());
        let input = |connection: &str, method: &str| DestinationInput {
            connection: Some(connection.into()),
            endpoint: Some("https://x.example.com/hook".into()),
            method: Some(method.into()),
            ..DestinationInput::default()
        };
        let e = d.create_api_destination("d", input("absent", "POST")).await.unwrap_err();
        assert_eq!(e.code, Code::ConnectionNotFound);
        let creds =
            Credentials { auth: ConnectionAuth::ApiKey, principal: "X-Key".into(), secret: "k".into() };
        d.create_connection("c", None, creds).await.unwrap();
        assert_eq!(
            d.create_api_destination("d", input("c", "GET")).await.unwrap_err().code,
            Code::InvalidRequest
        );
        let made = d.create_api_destination("d", input("c", "PUT")).await.unwrap();
        assert_eq!((made.method.as_str(), made.rate_limit_per_second), ("PUT", DEFAULT_RATE_LIMIT));
        assert_eq!(
            d.create_api_destination("d", input("c", "PUT")).await.unwrap_err().code,
            Code::ApiDestinationExists
        );
    }
}
