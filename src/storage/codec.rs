//! Key and value codecs.
//!
//! Keys are byte strings whose order is the listing order: names are separated by `0x00`
//! (which no name may contain), and versions are big-endian `u32` so range scans return
//! them in numeric order.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StorageError;

/// Key of a schema: `registry 0x00 schema`.
pub(crate) fn schema_key(registry: &str, schema: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(registry.len() + schema.len() + 1);
    key.extend_from_slice(registry.as_bytes());
    key.push(0);
    key.extend_from_slice(schema.as_bytes());
    key
}

/// Prefix of every schema key of a registry: `registry 0x00`.
pub(crate) fn registry_prefix(registry: &str) -> Vec<u8> {
    let mut key = registry.as_bytes().to_vec();
    key.push(0);
    key
}

/// Prefix of every version key of a schema: `registry 0x00 schema 0x00`.
pub(crate) fn versions_prefix(registry: &str, schema: &str) -> Vec<u8> {
    let mut key = schema_key(registry, schema);
    key.push(0);
    key
}

/// Key of a version: `registry 0x00 schema 0x00 u32be`.
pub(crate) fn version_key(registry: &str, schema: &str, version: u32) -> Vec<u8> {
    let mut key = versions_prefix(registry, schema);
    key.extend_from_slice(&version.to_be_bytes());
    key
}

/// Splits a version key back into its version number.
pub(crate) fn version_of_key(key: &[u8]) -> Option<u32> {
    let tail = key.len().checked_sub(4).map(|start| &key[start..])?;
    <[u8; 4]>::try_from(tail).ok().map(u32::from_be_bytes)
}

/// Key in the referrers index: `target-version-key 0x01 referrer-version-key`.
pub(crate) fn referrer_key(target: &[u8], referrer: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(target.len() + referrer.len() + 1);
    key.extend_from_slice(target);
    key.push(1);
    key.extend_from_slice(referrer);
    key
}

/// Prefix of every referrer of a target version.
pub(crate) fn referrers_prefix(target: &[u8]) -> Vec<u8> {
    let mut key = target.to_vec();
    key.push(1);
    key
}

/// Encodes a value as JSON.
pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Serialising our own record types cannot fail: they hold only strings, numbers,
    // maps with string keys and `serde_json::Value`s.
    serde_json::to_vec(value).unwrap_or_default()
}

/// Decodes a JSON value, naming the key when it does not decode.
pub(crate) fn decode<T: DeserializeOwned>(key: &[u8], bytes: &[u8]) -> Result<T, StorageError> {
    serde_json::from_slice(bytes).map_err(|e| StorageError::Decode {
        key: String::from_utf8_lossy(key).replace('\0', "/"),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_keys_sort_numerically() {
        let a = version_key("r", "s", 2);
        let b = version_key("r", "s", 10);
        let c = version_key("r", "s", 256);
        assert!(a < b && b < c);
        assert_eq!(version_of_key(&c), Some(256));
    }

    #[test]
    fn schema_prefixes_do_not_leak_into_longer_names() {
        let prefix = versions_prefix("r", "s");
        assert!(!version_key("r", "s2", 1).starts_with(&prefix));
        assert!(version_key("r", "s", 1).starts_with(&prefix));
    }
}
