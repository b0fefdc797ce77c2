//! Request and answer bodies of the Confluent API, named as Confluent names them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A reference from one schema to another: `$ref`s to `name` mean that version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// The name the `$ref`s use.
    pub name: String,
    /// The subject referenced (unqualified: the referrer's context).
    pub subject: String,
    /// Its version (`-1`: the latest at registration).
    pub version: i64,
}

/// Body of registration, lookup and compatibility checks. Unknown fields (`metadata`,
/// `ruleSet`, newer ones) are accepted and ignored.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaRequest {
    /// The schema, as a string.
    #[serde(default)]
    pub schema: Option<String>,
    /// `JSON` (AVRO when absent, as in Confluent; refused here).
    #[serde(default)]
    pub schema_type: Option<String>,
    /// References.
    #[serde(default)]
    pub references: Option<Vec<Reference>>,
    /// IMPORT mode: the id to use.
    #[serde(default)]
    pub id: Option<i64>,
    /// IMPORT mode: the version to use.
    #[serde(default)]
    pub version: Option<i64>,
    /// Accepted and ignored: data contracts metadata.
    #[serde(default)]
    pub metadata: Option<Value>,
    /// Accepted and ignored: data contracts rules.
    #[serde(default)]
    pub rule_set: Option<Value>,
}

/// A registered schema version.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaView {
    /// Subject.
    pub subject: String,
    /// Version.
    pub version: u32,
    /// Global id.
    pub id: u32,
    /// Always `JSON`.
    pub schema_type: &'static str,
    /// References.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// The schema as a string.
    pub schema: String,
}

/// `GET /schemas/ids/{id}`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdView {
    /// Always `JSON`.
    pub schema_type: &'static str,
    /// The schema as a string.
    pub schema: String,
    /// References.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
}

/// Answer to a registration.
#[derive(Debug, Clone, Serialize)]
pub struct RegisteredView {
    /// Global id.
    pub id: u32,
    /// The version holding the schema.
    pub version: u32,
}

/// `{subject, version}` pair.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectVersion {
    /// Subject.
    pub subject: String,
    /// Version.
    pub version: u32,
}

/// Answer to a compatibility check.
#[derive(Debug, Clone, Serialize)]
pub struct CompatibilityView {
    /// The verdict.
    pub is_compatible: bool,
    /// With `verbose=true`: the breaking findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<String>>,
}

/// `PUT /config` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigRequest {
    /// The level.
    #[serde(default)]
    pub compatibility: Option<String>,
    /// The level, as some clients name it.
    #[serde(default)]
    pub compatibility_level: Option<String>,
}

/// `PUT /mode` body.
#[derive(Debug, Clone, Deserialize)]
pub struct ModeRequest {
    /// The mode.
    pub mode: String,
}
