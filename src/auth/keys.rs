//! API keys: created with a name and grants, shown once, stored as a SHA-256 digest,
//! looked up by digest on every request (so a revocation applies to the next request;
//! nothing is cached), revoked by name.
//!
//! A plain SHA-256 (no salt, no slow hash) is enough because keys are 32 random bytes
//! (256 bits) from the OS generator: there is no dictionary to attack, and a fast hash
//! keeps authentication at one digest and one lookup per request. Passwords chosen by
//! people would need a slow salted hash; these are not passwords.

use std::sync::Arc;

use base64::Engine as _;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::grants::Grant;
use crate::error::{ApiError, ApiResult, Code};
use crate::model::{CreatedKey, KeyList, KeyRecord, now_rfc3339};
use crate::storage::{AccessStore, Revocation};

/// Every key starts with this, so leaked keys are easy to find with secret scanners.
pub const KEY_PREFIX: &str = "sb_";
/// Name of the key bootstrapped at first start (or from `SCHEMABUS_ADMIN_KEY`).
pub const ADMIN_KEY_NAME: &str = "admin";
/// Characters of a key shown in listings (`sb_` + 4).
const SHOWN_PREFIX: usize = 7;

/// Who is calling: the key's name and its parsed grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Key name (recorded in the audit trail).
    pub name: String,
    /// Parsed grants.
    pub grants: Vec<Grant>,
}

/// The key service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct KeyService {
    /// One name, one key; never without an admin key: kept by the store (one atomic
    /// step, whichever instance writes).
    store: Arc<dyn AccessStore>,
}

fn digest(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

fn key_not_found(name: &str) -> ApiError {
    ApiError::new(
        Code::KeyNotFound,
        format!("No API key is named '{name}'. Hint: list keys with GET /v1/keys."),
    )
}

/// A new key: `sb_` and 32 random bytes from the OS, base64url without padding.
fn generate() -> ApiResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        ApiError::new(
            Code::Internal,
            format!("the OS random generator failed: {e}. Hint: see the service log."),
        )
    })?;
    Ok(format!("{KEY_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)))
}

/// Parses grant strings, pointing at the first bad one.
///
/// # Errors
/// `invalid_grant` with `details.pointer` `/grants/<i>`.
pub fn parse_grants(grants: &[String]) -> ApiResult<Vec<Grant>> {
    grants
        .iter()
        .enumerate()
        .map(|(i, g)| {
            Grant::parse(g).map_err(|e| {
                ApiError::new(
                    Code::InvalidGrant,
                    format!("{e}. Hint: grants are admin, metrics:read, registry:read|write:<name|*>, bus:publish:<name|*>[:<source>,…], bus:manage:<name|*>, queue:consume:<name|*> (docs/SECURITY.md)."),
                )
                .with_details(json!({"pointer": format!("/grants/{i}")}))
            })
        })
        .collect()
}

impl KeyService {
    /// The service over `store`.
    pub fn new(store: Arc<dyn AccessStore>) -> Self {
        Self { store }
    }

    /// Creates a key and returns it: the only time it is shown.
    ///
    /// # Errors
    /// `invalid_name`, `invalid_grant`, `invalid_request` (no grants), `key_exists`.
    pub async fn create(&self, name: &str, grants: Vec<String>) -> ApiResult<CreatedKey> {
        crate::bus::check_name("key", name)?;
        if grants.is_empty() {
            return Err(ApiError::new(
                Code::InvalidRequest,
                "grants is empty. Hint: give the key at least one grant.",
            )
            .with_details(json!({"pointer": "/grants"})));
        }
        parse_grants(&grants)?;
        let key = generate()?;
        if !self.store.create_key(digest(&key), record(name, grants, &key)).await? {
            return Err(ApiError::new(
                Code::KeyExists,
                format!(
                    "An API key named '{name}' exists. Hint: revoke it with DELETE /v1/keys/{name}, or choose another name."
                ),
            ));
        }
        Ok(CreatedKey { name: name.to_owned(), key })
    }

    /// Every key (names, grants, prefixes; never the keys).
    ///
    /// # Errors
    /// Storage failures.
    pub fn list(&self) -> ApiResult<KeyList> {
        let mut items: Vec<KeyRecord> = self.store.list_keys()?.into_iter().map(|(_, r)| r).collect();
        items.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(KeyList { items })
    }

    /// Revokes a key: the next request with it gets 401.
    ///
    /// # Errors
    /// `key_not_found`.
    pub async fn revoke(&self, name: &str) -> ApiResult<()> {
        crate::bus::check_name("key", name)?;
        // Its AWS credentials stop working with the key (they name its digest); the store
        // deletes them with it.
        match self.store.revoke_key(name.to_owned()).await? {
            Revocation::Revoked { .. } => Ok(()),
            Revocation::NotFound => Err(key_not_found(name)),
            // Without an admin key nobody can manage keys again until a restart with
            // SCHEMABUS_ADMIN_KEY: refuse to lock everyone out.
            Revocation::LastAdmin => Err(ApiError::new(
                Code::LastAdminKey,
                format!(
                    "'{name}' is the last key with the admin grant. Hint: create another admin key first, then revoke this one; or restart with SCHEMABUS_ADMIN_KEY to rotate it."
                ),
            )),
        }
    }

    /// The identity of a presented key, or `None` when it is unknown or revoked.
    ///
    /// # Errors
    /// Storage failures.
    pub fn authenticate(&self, key: &str) -> ApiResult<Option<Identity>> {
        let Some(record) = self.store.key_by_digest(&digest(key))? else { return Ok(None) };
        Ok(Some(identity_of(record)))
    }

    /// At start-up with auth required: with `admin_key`, makes it the key named `admin`
    /// (replacing an earlier `admin`, so changing the variable rotates it); without it,
    /// when no key exists at all, generates an admin key and returns it to be printed once.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn bootstrap(&self, admin_key: Option<&str>) -> ApiResult<Option<String>> {
        let admin = |key: &str| record(ADMIN_KEY_NAME, vec!["admin".into()], key);
        match admin_key {
            Some(key) => {
                self.store.replace_key(digest(key), admin(key)).await?;
                Ok(None)
            }
            None => {
                let key = generate()?;
                let stored = self.store.create_first_key(digest(&key), admin(&key)).await?;
                Ok(stored.then_some(key))
            }
        }
    }
}

/// The identity a stored key acts as. Grants were checked at creation; one that no
/// longer parses grants nothing.
pub(crate) fn identity_of(record: KeyRecord) -> Identity {
    let grants = record.grants.iter().filter_map(|g| Grant::parse(g).ok()).collect();
    Identity { name: record.name, grants }
}

fn record(name: &str, grants: Vec<String>, key: &str) -> KeyRecord {
    KeyRecord {
        name: name.to_owned(),
        grants,
        prefix: key.chars().take(SHOWN_PREFIX).collect(),
        created_at: now_rfc3339(),
    }
}
