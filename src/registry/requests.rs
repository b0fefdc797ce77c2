//! Inputs and outputs of the registry service, shared by the HTTP API and the CLI.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::model::{RegistryRecord, SchemaRecord, Tags};

/// Body of `POST /v1/registries`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRegistryRequest {
    /// Registry name, `[A-Za-z0-9._-]{1,64}`.
    #[schema(example = "shop")]
    pub name: String,
    /// What the registry holds (at most 1024 characters).
    #[serde(default)]
    pub description: Option<String>,
    /// Key/value tags (at most 50).
    #[serde(default)]
    pub tags: Option<Tags>,
}

/// Body of the `PATCH` operations on registries and schemas. Absent fields stay as they
/// are; an empty description clears it; `tags` replaces the whole map.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateMetadataRequest {
    /// New description; `""` clears it.
    #[serde(default)]
    pub description: Option<String>,
    /// New tags, replacing the old ones.
    #[serde(default)]
    pub tags: Option<Tags>,
}

/// Body of `PATCH /v1/registries/{registry}`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateRegistryRequest {
    /// New description; `""` clears it.
    #[serde(default)]
    pub description: Option<String>,
    /// New tags, replacing the old ones.
    #[serde(default)]
    pub tags: Option<Tags>,
    /// Whether the event catalog shows a recent event of the types whose contract is in
    /// this registry (docs/CATALOG.md#samples).
    #[serde(default)]
    pub catalog_samples: Option<bool>,
}

/// Body of `POST .../versions`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterVersionRequest {
    /// The JSON Schema, as an object or as a string holding JSON.
    #[schema(schema_with = schema_document, example = json!({"type": "object", "properties": {"orderId": {"type": "string"}}, "required": ["orderId"]}))]
    pub content: Value,
    /// What changed in this version.
    #[serde(default)]
    pub description: Option<String>,
    /// How `content` is written: `jsonSchema` (the default) or `openApi3`, an OpenAPI 3.0
    /// event schema in EventBridge's layout, kept as the version's `source` while
    /// `content` becomes the JSON Schema of its detail (docs/AWS-API.md).
    #[serde(default)]
    pub format: ContentFormat,
}

/// How a registered document is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum ContentFormat {
    /// A JSON Schema.
    #[default]
    JsonSchema,
    /// An OpenAPI 3.0 event schema (EventBridge's layout).
    OpenApi3,
}

/// The schema of a submitted JSON Schema document: an object, a boolean (`true`, `false`
/// are schemas too) or a string holding either.
pub(crate) fn schema_document() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object, Type::Boolean, Type::String]))
        .description(Some("A JSON Schema: an object, a boolean, or a string holding either."))
        .build()
}

/// How a registration reads its content, beyond what the native API sends. The native
/// API uses the default; the Confluent-compatible API (`crate::ccompat`) sets them.
#[derive(Debug, Clone, Default)]
pub struct RegisterOptions {
    /// Read a schema without `$schema` as draft-07 (Confluent's JSON Schema provider)
    /// instead of 2020-12.
    pub draft_07_by_default: bool,
    /// Reference names used by `$ref`s: name → version URI of a stored version.
    pub ref_names: std::collections::BTreeMap<String, String>,
    /// Migration (Confluent IMPORT mode): the schema id to use instead of a new one.
    pub import_id: Option<u32>,
    /// Migration: the version number to use instead of the next one.
    pub import_version: Option<u32>,
    /// Migration: store without checking compatibility (IMPORT mode does not check).
    pub skip_compatibility: bool,
}

/// Answer to a registration: the version that now holds the content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionCreated {
    /// Registry name.
    pub registry: String,
    /// Schema name.
    pub schema: String,
    /// The new version (or the latest one, when the content was unchanged).
    pub version: u32,
    /// `sha256:` of the canonical content.
    pub fingerprint: String,
    /// When that version was created.
    pub created_at: String,
    /// Global integer schema id of that version (see `VersionRecord.id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
}

/// Pagination parameters shared by listings.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only names starting with this prefix.
    pub prefix: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<usize>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of registries.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegistryPage {
    /// Registries in name order.
    pub items: Vec<RegistryRecord>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A page of schemas.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchemaPage {
    /// Schemas in name order.
    pub items: Vec<SchemaRecord>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A version without its content, as listed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionSummary {
    /// Version number.
    pub version: u32,
    /// `sha256:` of the canonical content.
    pub fingerprint: String,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// Description given at registration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Global integer schema id (see `VersionRecord.id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    /// Soft-deleted through `/ccompat`: skipped by `latest` and compatibility checks.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

/// Every version of a schema that still exists, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VersionList {
    /// The versions.
    pub items: Vec<VersionSummary>,
}

/// One validation error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValidationIssue {
    /// JSON Pointer into the document.
    #[schema(example = "/order/total")]
    pub instance_path: String,
    /// JSON Pointer of the failing keyword, through `$ref`s (the keyword location).
    #[schema(example = "/properties/order/properties/total/minimum")]
    pub schema_path: String,
    /// What is wrong.
    pub message: String,
}

/// Result of validating a document against a version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValidationReport {
    /// Whether the document is valid.
    pub valid: bool,
    /// The version validated against (resolves `latest`).
    pub version: u32,
    /// Errors, sorted by instance path, at most `maxErrors` of them.
    pub errors: Vec<ValidationIssue>,
    /// Whether more errors exist than are listed.
    #[serde(default)]
    pub truncated: bool,
}

/// Query of `GET /v1/search`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words that must all appear (case-insensitive) in the name, description or content.
    pub q: String,
    /// Only this registry.
    pub registry: Option<String>,
    /// At most this many schemas (1 to 1000, default 100).
    pub limit: Option<usize>,
}

/// One schema found by a search.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    /// Registry name.
    pub registry: String,
    /// Schema name.
    pub schema: String,
    /// Schema description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where the words were found: `name`, `description`, `content`.
    pub matched_in: Vec<String>,
    /// Versions whose content (with the name and description) holds every word.
    pub versions: Vec<u32>,
}

/// Search results.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SearchResults {
    /// Matching schemas, by registry then name.
    pub items: Vec<SearchHit>,
}
