//! The project file, `schemabus.yaml`: what a running service should hold, declared in a
//! repository (docs/CONTRACTS-AS-CODE.md). Its JSON Schema, generated from these types,
//! is committed as `schemas/project.schema.json`.
//!
//! Sections that are bodies of the service's own API (rules, queues, archives, bus
//! validation, bindings, discovery) are kept as JSON here and read with the service's own
//! request types when the project is checked, so the project accepts exactly what the API
//! accepts and the two cannot drift apart.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The one project file format version this build reads.
pub const PROJECT_VERSION: u32 = 1;

/// The file name looked for in a project directory.
pub const PROJECT_FILE: &str = "schemabus.yaml";

/// `schemabus.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "schemabus project")]
pub struct ProjectFile {
    /// Format version; `1`.
    pub version: u32,
    /// Registries by name, with their schemas.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[serde(deserialize_with = "entries")]
    #[schemars(with = "BTreeMap<String, Option<RegistrySpec>>")]
    pub registries: BTreeMap<String, RegistrySpec>,
    /// Queues by name: the body of `PUT /v1/queues/{queue}`
    /// (`visibilityTimeoutSeconds`, `retentionSeconds`, `deadLetterQueue`, `maxReceiveCount`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[serde(deserialize_with = "bodies")]
    pub queues: BTreeMap<String, Value>,
    /// Event buses by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[serde(deserialize_with = "entries")]
    #[schemars(with = "BTreeMap<String, Option<BusSpec>>")]
    pub buses: BTreeMap<String, BusSpec>,
}

/// A registry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegistrySpec {
    /// What the registry holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Key/value tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Compatibility mode of the registry (`BACKWARD` when absent): `NONE`, `BACKWARD`,
    /// `BACKWARD_TRANSITIVE`, `FORWARD`, `FORWARD_TRANSITIVE`, `FULL`, `FULL_TRANSITIVE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility: Option<String>,
    /// `STRICT` (default) or `LENIENT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Schemas by name (`source@DetailType` by convention).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub schemas: BTreeMap<String, SchemaSpec>,
}

/// A schema: its latest version lives in a file of the project.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SchemaSpec {
    /// Path of the JSON Schema, relative to the project directory (`.json`: JSON, else
    /// YAML). `$ref`s to other project schemas are relative paths to their files.
    pub file: String,
    /// What the schema describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Compatibility mode of this schema, overriding the registry's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility: Option<String>,
    /// Policy of this schema, overriding the registry's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

/// An event bus.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BusSpec {
    /// What the bus carries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Validation at the boundary, as in `POST /v1/buses`: `{"mode": "enforce",
    /// "registry": "shop", "unknownEventTypes": "allow"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<Value>,
    /// Explicit contracts, as in `POST /v1/buses`:
    /// `{"source", "detailType", "schema", "version", "registry"}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bindings: Vec<Value>,
    /// Discovery, the body of `PUT /v1/buses/{bus}/discovery`: `{"enabled", "sampleRate"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery: Option<Value>,
    /// Rules by name, the body of `PUT /v1/buses/{bus}/rules/{rule}` (`pattern`,
    /// `targets`, `state`, `description`). Webhook credentials (`secret`,
    /// `auth.password`, `auth.token`, `auth.value`) are written `{"env": "NAME"}` and read
    /// from the environment of `apply`; inline values are refused.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[serde(deserialize_with = "bodies")]
    pub rules: BTreeMap<String, Value>,
    /// Archives by name, the body of `PUT /v1/buses/{bus}/archives/{archive}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[serde(deserialize_with = "bodies")]
    pub archives: BTreeMap<String, Value>,
}

/// An entry written with no value (`audit:` in YAML) is an entry with every default.
fn entries<'de, D, T>(d: D) -> Result<BTreeMap<String, T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    let map = BTreeMap::<String, Option<T>>::deserialize(d)?;
    Ok(map.into_iter().map(|(k, v)| (k, v.unwrap_or_default())).collect())
}

/// A body written with no value is the empty body (`{}`: every default of the API).
fn bodies<'de, D: serde::Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Value>, D::Error> {
    let map = BTreeMap::<String, Value>::deserialize(d)?;
    Ok(map
        .into_iter()
        .map(|(k, v)| (k, if v.is_null() { Value::Object(Default::default()) } else { v }))
        .collect())
}

/// The JSON Schema of the project file (committed as `schemas/project.schema.json`).
pub fn project_json_schema() -> Value {
    serde_json::to_value(schemars::schema_for!(ProjectFile)).unwrap_or(Value::Null)
}
