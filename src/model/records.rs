//! The records the registry stores. These are also the API's representations, so they
//! derive `ToSchema`; field names are camelCase on the wire.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// Free-form key/value tags, as EventBridge's registry uses them.
pub type Tags = BTreeMap<String, String>;

/// A registry: a named collection of schemas.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegistryRecord {
    /// Registry name.
    #[schema(example = "shop")]
    pub name: String,
    /// What the registry holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Key/value tags.
    #[serde(default)]
    pub tags: Tags,
    /// Built-in registries exist from first start and cannot be deleted.
    #[serde(default)]
    pub builtin: bool,
    /// Whether users may register versions here (false for `discovered-schemas`).
    #[serde(default = "yes")]
    pub writable: bool,
    /// Whether the event catalog shows a recent event of the types whose contract is here
    /// (docs/CATALOG.md#samples); off unless set, since events may hold personal data.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub catalog_samples: bool,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change to the registry's own fields.
    pub updated_at: String,
}

fn yes() -> bool {
    true
}

/// A schema: a name with a history of immutable versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchemaRecord {
    /// Registry holding the schema.
    pub registry: String,
    /// Schema name.
    #[schema(example = "orders@OrderPlaced")]
    pub name: String,
    /// Description of the schema (not of a version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Key/value tags.
    #[serde(default)]
    pub tags: Tags,
    /// Highest version that still exists and is not soft-deleted; absent when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_version: Option<u32>,
    /// Number of versions that still exist.
    pub version_count: u32,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last change (new version, metadata edit or deletion).
    pub updated_at: String,
}

/// One immutable version of a schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionRecord {
    /// Version number, from 1, never reused.
    pub version: u32,
    /// The schema document exactly as submitted (key order kept).
    pub content: Value,
    /// `sha256:` of the canonical form (sorted keys, no whitespace).
    #[schema(example = "sha256:5f7c...")]
    pub fingerprint: String,
    /// JSON Schema draft the content is interpreted with.
    #[schema(example = "2020-12")]
    pub draft: String,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// Description given when the version was registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Other schema versions this one references through `$ref` (their URIs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Global integer schema id, shared by every version (in any registry) with the same
    /// canonical content, draft and reference names; the id the Confluent-compatible API
    /// (`/ccompat`, docs/CONFLUENT-API.md) and its wire format use. Never changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = 7)]
    pub id: Option<u32>,
    /// Soft-deleted (through `/ccompat`): still readable here, but skipped by `latest`,
    /// by compatibility checks and by the bus's `latest` bindings.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// Names by which this version's `$ref`s address other stored versions (Confluent
    /// `references`): name → version URI. Resolved from storage, never fetched.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ref_names: BTreeMap<String, String>,
    /// The OpenAPI 3.0 document as submitted, for a version registered with
    /// `format: openApi3`; `content` is then the JSON Schema derived from it (the detail
    /// schema, draft-04), which validation, compatibility and bindings use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub source: Option<Value>,
}
