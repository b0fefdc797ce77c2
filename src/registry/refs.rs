//! How schemas reference other registered schema versions, and how those references are
//! resolved: from this service's own storage, never from the network or the file system.
//!
//! A stored version is addressed by the URI
//! `https://schemabus.invalid/registries/{registry}/schemas/{schema}/versions/{version}`
//! (`.invalid` is reserved by RFC 2606, so the URI can never point at a real host). Every
//! version is compiled with its own URI as base URI, so `$ref`s may be absolute or
//! relative (`../../common.Money/versions/1`). References name a number, never `latest`,
//! so a version's meaning can never change after it is stored.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::storage::RegistryStore;

/// Scheme and host of every version URI.
pub const URI_BASE: &str = "https://schemabus.invalid/registries/";

/// The URI of a stored version.
pub fn version_uri(registry: &str, schema: &str, version: u32) -> String {
    format!("{URI_BASE}{registry}/schemas/{schema}/versions/{version}")
}

/// The base URI a version is compiled with before its number is known. Relative
/// references resolve the same way against it as against the final URI.
pub fn pending_version_uri(registry: &str, schema: &str) -> String {
    format!("{URI_BASE}{registry}/schemas/{schema}/versions/pending")
}

/// Splits a version URI (fragment ignored) into registry, schema and version.
pub fn parse_version_uri(uri: &str) -> Option<(String, String, u32)> {
    let without_fragment = uri.split('#').next().unwrap_or(uri);
    let rest = without_fragment.strip_prefix(URI_BASE)?;
    let mut parts = rest.split('/');
    let (registry, schemas, schema, versions, version) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || schemas != "schemas" || versions != "versions" {
        return None;
    }
    let version = version.parse::<u32>().ok().filter(|v| *v >= 1)?;
    Some((registry.to_owned(), schema.to_owned(), version))
}

/// The absolute URI a reference name stands for in a document whose base is `base`
/// (RFC 3986 resolution for the forms names take: absolute, `/path`, `a/b.json`,
/// `./x`, `../x`). The fragment is dropped: names address documents.
pub fn resolve_name(base: &str, name: &str) -> String {
    let name = name.split('#').next().unwrap_or(name);
    if name.contains("://") || name.starts_with("urn:") {
        return name.to_owned();
    }
    let (origin, path) = match base.find("://").and_then(|i| base[i + 3..].find('/').map(|j| i + 3 + j)) {
        Some(i) => (&base[..i], &base[i..]),
        None => (base, "/"),
    };
    let mut segments: Vec<&str> = if name.starts_with('/') {
        Vec::new()
    } else {
        let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        dir.split('/').filter(|s| !s.is_empty()).collect()
    };
    for segment in name.split('/').filter(|s| !s.is_empty()) {
        match segment {
            "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    format!("{origin}/{}", segments.join("/"))
}

/// The storage key of the version a URI names, if it is a version URI.
pub(crate) fn version_key_of_uri(uri: &str) -> Option<Vec<u8>> {
    let (registry, schema, version) = parse_version_uri(uri)?;
    let mut key = registry.into_bytes();
    key.push(0);
    key.extend_from_slice(schema.as_bytes());
    key.push(0);
    key.extend_from_slice(&version.to_be_bytes());
    Some(key)
}

/// A `jsonschema` retriever that reads referenced versions from the store and refuses
/// every other URI. It records what it resolved, which is how registration learns the
/// references of a new version.
#[derive(Clone)]
pub struct StoreRetriever {
    store: Arc<dyn RegistryStore>,
    resolved: Arc<Mutex<Vec<String>>>,
    /// Reference names (resolved against the version's base URI) → version URI.
    names: Arc<BTreeMap<String, String>>,
}

impl StoreRetriever {
    /// A retriever over `store`.
    pub fn new(store: Arc<dyn RegistryStore>) -> Self {
        Self { store, resolved: Arc::default(), names: Arc::default() }
    }

    /// A retriever that also resolves reference names (Confluent `references`: a `$ref`
    /// to `customer.json` means the version its reference names) for a version compiled
    /// with `base_uri`.
    pub fn with_names(
        store: Arc<dyn RegistryStore>,
        base_uri: &str,
        names: &BTreeMap<String, String>,
    ) -> Self {
        let names =
            names.iter().map(|(name, target)| (resolve_name(base_uri, name), target.clone())).collect();
        Self { store, resolved: Arc::default(), names: Arc::new(names) }
    }

    /// The version URIs resolved so far, sorted and without duplicates.
    pub fn resolved(&self) -> Vec<String> {
        let mut uris = self.resolved.lock().map(|g| g.clone()).unwrap_or_default();
        uris.sort();
        uris.dedup();
        uris
    }
}

/// Why a reference did not resolve; its text ends up in the 422 body.
#[derive(Debug, thiserror::Error)]
enum RefusedRef {
    #[error("'{0}' is not a schemabus version URI; schemas are never fetched from outside this service")]
    Foreign(String),
    #[error("schema version '{0}' does not exist in this service")]
    Missing(String),
    #[error("storage failure while resolving '{0}'")]
    Storage(String),
}

impl jsonschema::Retrieve for StoreRetriever {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let text = uri.as_str();
        let named = self.names.get(text.split('#').next().unwrap_or(text));
        let Some((registry, schema, version)) = parse_version_uri(named.map_or(text, String::as_str)) else {
            return Err(Box::new(RefusedRef::Foreign(text.to_owned())));
        };
        match self.store.get_version(&registry, &schema, version) {
            Ok(Some(record)) => {
                if let Ok(mut seen) = self.resolved.lock() {
                    seen.push(version_uri(&registry, &schema, version));
                }
                Ok(record.content)
            }
            Ok(None) => Err(Box::new(RefusedRef::Missing(text.to_owned()))),
            Err(_) => Err(Box::new(RefusedRef::Storage(text.to_owned()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_uris_round_trip_with_eventbridge_style_names() {
        let uri = version_uri("shop", "orders.service@OrderPlaced", 12);
        assert_eq!(
            parse_version_uri(&format!("{uri}#/$defs/Money")),
            Some(("shop".into(), "orders.service@OrderPlaced".into(), 12))
        );
        assert_eq!(parse_version_uri("https://example.com/x"), None);
        assert_eq!(parse_version_uri(&format!("{URI_BASE}shop/schemas/s/versions/latest")), None);
        assert_eq!(parse_version_uri(&format!("{URI_BASE}shop/schemas/s/versions/0")), None);
    }

    #[test]
    fn reference_names_resolve_like_relative_uris() {
        let base = version_uri("r", "orders-value", 3);
        assert_eq!(
            resolve_name(&base, "customer.json"),
            format!("{URI_BASE}r/schemas/orders-value/versions/customer.json")
        );
        assert_eq!(resolve_name(&base, "../../x/versions/1#/a"), format!("{URI_BASE}r/schemas/x/versions/1"));
        assert_eq!(resolve_name(&base, "https://acme.com/c.json"), "https://acme.com/c.json");
        assert_eq!(resolve_name(&base, "/c.json"), "https://schemabus.invalid/c.json");
    }
}
