//! AWS credentials of API keys (docs/AWS-API.md#credentials): an access key id and a
//! secret access key per request of `POST /v1/keys/{key}/aws-credentials`, shown once,
//! acting with the grants of their API key.
//!
//! SigV4 verification recomputes the signature, so the secret itself is needed: it cannot
//! be stored as a digest like API keys. It is sealed with AES-256-GCM (ring) under the
//! master key (`SCHEMABUS_MASTER_KEY`, else `<data-dir>/aws-master.key`, 0600), with the
//! access key id as associated data so a sealed secret cannot be moved to another id.
//! A credential records the SHA-256 digest of its API key: once that key is revoked (or
//! replaced under the same name) the credential stops working at the next request, and
//! revocation also deletes it.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

use super::keys::{Identity, identity_of};
use crate::error::{ApiError, ApiResult, Code};
use crate::model::{AwsCredentialRecord, CreatedAwsCredentials, now_rfc3339};
use crate::storage::AccessStore;

/// File of the generated master key, in the data directory.
pub const MASTER_KEY_FILE: &str = "aws-master.key";

/// The master key, ready to seal and open.
pub struct MasterKey(LessSafeKey);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

fn random<const N: usize>() -> ApiResult<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| {
        ApiError::new(
            Code::Internal,
            format!("the OS random generator failed: {e}. Hint: see the service log."),
        )
    })?;
    Ok(bytes)
}

impl MasterKey {
    /// From 32 bytes.
    ///
    /// # Errors
    /// Never for 32 bytes; a message otherwise.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let key =
            UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| "the master key must be 32 bytes".to_owned())?;
        Ok(Self(LessSafeKey::new(key)))
    }

    /// `hex` (from `SCHEMABUS_MASTER_KEY`) when given; otherwise the key file of the data
    /// directory, generated (mode 0600) when missing.
    ///
    /// # Errors
    /// A message naming the variable or the file.
    pub fn load(data_dir: &Path, hex_key: Option<&str>) -> Result<Self, String> {
        if let Some(hex_key) = hex_key {
            let bytes = hex::decode(hex_key.trim())
                .map_err(|_| "SCHEMABUS_MASTER_KEY is not hexadecimal".to_owned())?;
            return Self::from_bytes(&bytes);
        }
        let path = data_dir.join(MASTER_KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let bytes = hex::decode(text.trim()).map_err(|_| {
                    format!("{} does not hold a hex key; restore it from a backup", path.display())
                })?;
                Self::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let bytes: [u8; 32] = random().map_err(|e| e.message)?;
                let mut file = {
                    use std::os::unix::fs::OpenOptionsExt as _;
                    std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path)
                }
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
                file.write_all(hex::encode(bytes).as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                Self::from_bytes(&bytes)
            }
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Seals `secret` bound to `id` (the associated data): base64 of nonce + ciphertext.
    ///
    /// # Errors
    /// `internal` when the OS random generator or the cipher fails.
    pub(crate) fn seal(&self, id: &str, secret: &str) -> ApiResult<String> {
        let nonce_bytes: [u8; NONCE_LEN] = random()?;
        let mut data = secret.as_bytes().to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(id.as_bytes()),
                &mut data,
            )
            .map_err(|_| {
                ApiError::new(Code::Internal, "cannot seal the secret. Hint: see the service log.")
            })?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&data);
        Ok(base64::engine::general_purpose::STANDARD.encode(out))
    }

    /// Opens what [`Self::seal`] sealed for the same `id` (`None`: another id or key).
    pub(crate) fn open(&self, id: &str, sealed: &str) -> Option<String> {
        let bytes = base64::engine::general_purpose::STANDARD.decode(sealed).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, data) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut data = data.to_vec();
        let plain = self.0.open_in_place(nonce, Aad::from(id.as_bytes()), &mut data).ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

/// What an access key id resolves to.
#[derive(Debug)]
pub enum Resolved {
    /// No such access key id (or its API key was revoked).
    Unknown,
    /// The secret does not open with this master key (it was changed).
    Unsealable,
    /// The identity it acts as, and the secret to verify signatures with.
    Found(Identity, String),
}

/// The AWS credential service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AwsCredentials {
    store: Arc<dyn AccessStore>,
    master: Arc<MasterKey>,
}

const ID_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

impl AwsCredentials {
    /// The master key, shared with the other holders of sealed secrets (connections).
    pub(crate) fn master(&self) -> Arc<MasterKey> {
        Arc::clone(&self.master)
    }

    /// The service over `store`, sealing with `master`.
    pub fn new(store: Arc<dyn AccessStore>, master: MasterKey) -> Self {
        Self { store, master: Arc::new(master) }
    }

    /// Creates a credential for the API key `key`: the only time the secret is shown.
    ///
    /// # Errors
    /// `invalid_name`, `key_not_found`, storage failures.
    pub async fn create(&self, key: &str) -> ApiResult<CreatedAwsCredentials> {
        crate::bus::check_name("key", key)?;
        let Some((digest, _)) = self.store.list_keys()?.into_iter().find(|(_, r)| r.name == key) else {
            return Err(ApiError::new(
                Code::KeyNotFound,
                format!("No API key is named '{key}'. Hint: list keys with GET /v1/keys."),
            ));
        };
        let id_bytes: [u8; 16] = random()?;
        let access_key_id: String = "AKIA"
            .chars()
            .chain(id_bytes.iter().map(|b| char::from(ID_ALPHABET[usize::from(b % 32)])))
            .collect();
        let secret_bytes: [u8; 30] = random()?;
        let secret = base64::engine::general_purpose::STANDARD.encode(secret_bytes);
        let record = AwsCredentialRecord {
            access_key_id: access_key_id.clone(),
            key_name: key.to_owned(),
            key_digest: hex::encode(&digest),
            sealed_secret: self.master.seal(&access_key_id, &secret)?,
            created_at: now_rfc3339(),
        };
        self.store.put_aws_credential(record).await?;
        Ok(CreatedAwsCredentials { key_name: key.to_owned(), access_key_id, secret_access_key: secret })
    }

    /// The identity and secret of an access key id. One lookup for the credential and
    /// one for its API key, nothing cached: a revocation applies to the next request.
    ///
    /// # Errors
    /// Storage failures.
    pub fn resolve(&self, access_key_id: &str) -> ApiResult<Resolved> {
        let Some(record) = self.store.aws_credential(access_key_id)? else { return Ok(Resolved::Unknown) };
        let Ok(digest) = hex::decode(&record.key_digest) else { return Ok(Resolved::Unknown) };
        let Some(key) = self.store.key_by_digest(&digest)? else { return Ok(Resolved::Unknown) };
        if key.name != record.key_name {
            return Ok(Resolved::Unknown);
        }
        match self.master.open(access_key_id, &record.sealed_secret) {
            Some(secret) => Ok(Resolved::Found(identity_of(key), secret)),
            None => {
                tracing::error!(
                    access_key_id,
                    "an AWS secret does not open with the master key: SCHEMABUS_MASTER_KEY or {MASTER_KEY_FILE} changed"
                );
                Ok(Resolved::Unsealable)
            }
        }
    }

    /// The access key ids of a key (for listings; never the secrets).
    ///
    /// # Errors
    /// Storage failures.
    pub fn ids_of(&self, key: &str) -> ApiResult<Vec<String>> {
        Ok(self
            .store
            .list_aws_credentials()?
            .into_iter()
            .filter(|r| r.key_name == key)
            .map(|r| r.access_key_id)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_id() {
        let key = MasterKey::from_bytes(&[7u8; 32]).expect("32 bytes");
        let sealed = key.seal("AKIAONE", "s3cr3t/+").expect("seals");
        assert!(!sealed.contains("s3cr3t"));
        assert_eq!(key.open("AKIAONE", &sealed).as_deref(), Some("s3cr3t/+"));
        assert_eq!(key.open("AKIATWO", &sealed), None, "bound to its access key id");
        let other = MasterKey::from_bytes(&[8u8; 32]).expect("32 bytes");
        assert_eq!(other.open("AKIAONE", &sealed), None, "another master key");
        assert_eq!(key.open("AKIAONE", "not base64!"), None);
        assert!(MasterKey::from_bytes(&[1u8; 16]).is_err());
    }

    #[test]
    fn the_key_file_is_generated_once_with_mode_0600() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let first = MasterKey::load(dir.path(), None).expect("generated");
        let sealed = first.seal("AKIAX", "x").expect("seals");
        let mode = std::fs::metadata(dir.path().join(MASTER_KEY_FILE)).expect("exists").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = MasterKey::load(dir.path(), None).expect("read back");
        assert_eq!(again.open("AKIAX", &sealed).as_deref(), Some("x"));
        assert!(MasterKey::load(dir.path(), Some("zz")).is_err());
    }
}
