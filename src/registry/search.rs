//! Word search over names, descriptions and content.
//!
//! A linear scan: registries hold thousands of schemas, not millions, and a scan keeps
//! no index to go stale. Every word must appear (case-insensitively) somewhere in the
//! schema's name, its description, or a version's description and content.

use super::requests::SearchHit;
use crate::storage::{RegistryStore, StorageError};

pub(super) fn search(
    store: &dyn RegistryStore,
    query: &str,
    registry: Option<&str>,
    limit: usize,
) -> Result<Vec<SearchHit>, StorageError> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    let mut hits = Vec::new();
    if words.is_empty() {
        return Ok(hits);
    }
    for schema in store.all_schemas(registry)? {
        if hits.len() >= limit {
            break;
        }
        let name = schema.name.to_lowercase();
        let description = schema.description.as_deref().unwrap_or("").to_lowercase();
        let mut matched_in = Vec::new();
        if words.iter().any(|w| name.contains(w.as_str())) {
            matched_in.push("name".to_owned());
        }
        if words.iter().any(|w| description.contains(w.as_str())) {
            matched_in.push("description".to_owned());
        }
        let mut versions = Vec::new();
        let mut in_content = false;
        for version in store.list_versions(&schema.registry, &schema.name)? {
            let content = version.content.to_string().to_lowercase();
            let version_description = version.description.as_deref().unwrap_or("").to_lowercase();
            in_content |= words.iter().any(|w| content.contains(w.as_str()));
            let all = words.iter().all(|w| {
                name.contains(w.as_str())
                    || description.contains(w.as_str())
                    || version_description.contains(w.as_str())
                    || content.contains(w.as_str())
            });
            if all {
                versions.push(version.version);
            }
        }
        if in_content {
            matched_in.push("content".to_owned());
        }
        let schema_level =
            words.iter().all(|w| name.contains(w.as_str()) || description.contains(w.as_str()));
        if !versions.is_empty() || schema_level {
            hits.push(SearchHit {
                registry: schema.registry,
                schema: schema.name,
                description: schema.description,
                matched_in,
                versions,
            });
        }
    }
    Ok(hits)
}
