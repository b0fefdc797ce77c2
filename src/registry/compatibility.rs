//! Compatibility rules in the registry: which mode applies, enforcing it on every new
//! version, checking candidates without storing them, and diffs between versions.
//!
//! The checker itself is the pure [`crate::compat`] module; this file feeds it stored
//! versions and the documents they reference.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::refs::version_uri;
use super::service::RegistryService;
use super::{DISCOVERED_REGISTRY, content};
use crate::compat::{self, CompatReport, CompatibilityMode, Policy, SchemaDiff, SchemaMap};
use crate::error::{ApiError, ApiResult, Code};
use crate::model::{RegistryName, SchemaName, VersionRecord, VersionSelector};

/// A compatibility mode with its policy, as stored and as set by `PUT .../config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompatibilityConfig {
    /// `NONE`, `BACKWARD`, `BACKWARD_TRANSITIVE`, `FORWARD`, `FORWARD_TRANSITIVE`, `FULL`
    /// or `FULL_TRANSITIVE`.
    #[schema(value_type = String, example = "BACKWARD")]
    pub compatibility: CompatibilityMode,
    /// `STRICT` (the standard's verdicts) or `LENIENT` (readers ignore unknown fields).
    #[serde(default)]
    #[schema(value_type = String, example = "STRICT")]
    pub policy: Policy,
}

/// The configuration in force and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EffectiveConfig {
    /// The mode in force.
    #[schema(value_type = String, example = "BACKWARD")]
    pub compatibility: CompatibilityMode,
    /// The policy in force.
    #[schema(value_type = String, example = "STRICT")]
    pub policy: Policy,
    /// `schema` (an override), `registry` (the registry's default) or `default`
    /// (the service default: BACKWARD/STRICT; NONE for `discovered-schemas`).
    #[schema(example = "registry")]
    pub source: String,
}

/// Body of `POST .../compatibility`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompatibilityCheckRequest {
    /// The candidate schema, as an object or a string holding JSON.
    #[schema(schema_with = crate::registry::requests::schema_document)]
    pub content: Value,
    /// Mode to check with instead of the one in force.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "FULL")]
    pub compatibility: Option<CompatibilityMode>,
    /// Policy to check with instead of the one in force.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "LENIENT")]
    pub policy: Option<Policy>,
}

/// One finding of a compatibility check.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FindingView {
    /// Change type, e.g. `REQUIRED_ATTRIBUTE_ADDED` (docs/COMPATIBILITY.md lists them).
    #[serde(rename = "type")]
    pub kind: String,
    /// Location in the schema, e.g. `#/properties/foo`.
    pub path: String,
    /// Whether this change keeps the checked direction compatible.
    pub compatible: bool,
    /// A sentence for humans.
    pub message: String,
    /// `BACKWARD` or `FORWARD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    /// The earlier version this finding was produced against.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
}

/// Result of a compatibility check.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompatibilityReportView {
    /// `true` when no finding is incompatible.
    pub compatible: bool,
    /// The mode applied.
    pub compatibility: String,
    /// The policy applied.
    pub policy: String,
    /// The versions compared against, newest first.
    pub checked_against: Vec<u32>,
    /// Every finding, compatible ones included.
    pub findings: Vec<FindingView>,
}

impl From<CompatReport> for CompatibilityReportView {
    fn from(r: CompatReport) -> Self {
        Self {
            compatible: r.compatible,
            compatibility: r.mode.as_str().to_owned(),
            policy: r.policy.as_str().to_owned(),
            checked_against: r.checked_against,
            findings: r
                .findings
                .into_iter()
                .map(|f| FindingView {
                    kind: f.kind.as_str().to_owned(),
                    path: f.path,
                    compatible: f.compatible,
                    message: f.message,
                    direction: f.direction.map(|d| d.as_str().to_owned()),
                    version: f.version,
                })
                .collect(),
        }
    }
}

/// One change in a diff.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangeView {
    /// Change type, named old → new.
    #[serde(rename = "type")]
    pub kind: String,
    /// Location of the change.
    pub path: String,
    /// Whether consumers on the new version can still read events of the old one.
    pub backward_compatible: bool,
    /// Whether consumers on the old version can read events of the new one.
    pub forward_compatible: bool,
    /// A sentence for humans.
    pub message: String,
}

/// Every change between two versions.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DiffView {
    /// The older side.
    pub from: u32,
    /// The newer side.
    pub to: u32,
    /// The policy the verdicts use.
    pub policy: String,
    /// Whether every change is backward compatible.
    pub backward_compatible: bool,
    /// Whether every change is forward compatible.
    pub forward_compatible: bool,
    /// One sentence summing the diff up.
    pub summary: String,
    /// The changes, in schema order.
    pub changes: Vec<ChangeView>,
}

impl DiffView {
    fn new(from: u32, to: u32, d: SchemaDiff) -> Self {
        let breaking = d.changes.iter().filter(|c| !c.backward_compatible || !c.forward_compatible).count();
        let summary = match (d.changes.len(), breaking) {
            (0, _) => format!("Versions {from} and {to} accept the same documents."),
            (n, 0) => format!("{n} change(s) from version {from} to {to}, all compatible both ways."),
            (n, b) => format!(
                "{n} change(s) from version {from} to {to}; {b} of them break consumers on one side (backward {}, forward {}).",
                if d.backward_compatible { "compatible" } else { "incompatible" },
                if d.forward_compatible { "compatible" } else { "incompatible" }
            ),
        };
        Self {
            from,
            to,
            policy: d.policy.as_str().to_owned(),
            backward_compatible: d.backward_compatible,
            forward_compatible: d.forward_compatible,
            summary,
            changes: d
                .changes
                .into_iter()
                .map(|c| ChangeView {
                    kind: c.kind.as_str().to_owned(),
                    path: c.path,
                    backward_compatible: c.backward_compatible,
                    forward_compatible: c.forward_compatible,
                    message: c.message,
                })
                .collect(),
        }
    }
}

/// Query of the diff endpoint.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// Older version (number or `latest`).
    pub from: String,
    /// Newer version (number or `latest`).
    pub to: String,
    /// `STRICT` (default) or `LENIENT`.
    pub policy: Option<String>,
}

/// A copy of `content` whose relative `$ref`s resolve against `uri` (the checker and the
/// code generator take the base from `$id`; a document's own `$id` wins).
pub(crate) fn with_base(content: &Value, uri: &str) -> Value {
    match content {
        Value::Object(map) if !map.contains_key("$id") => {
            let mut copy = map.clone();
            copy.insert("$id".to_owned(), Value::String(uri.to_owned()));
            Value::Object(copy)
        }
        other => other.clone(),
    }
}

/// [`with_base`], plus the `$schema` of the draft the version is stored with when the
/// document names none: the checker reads the draft from the document, and a version
/// registered through `/ccompat` without `$schema` is draft-07, not 2020-12.
fn for_checker(content: &Value, uri: &str, draft: &str) -> Value {
    let mut based = with_base(content, uri);
    if let Value::Object(map) = &mut based
        && !map.contains_key("$schema")
        && draft != "2020-12"
        && let Some(declared) = content::draft_uri(draft)
    {
        map.insert("$schema".to_owned(), Value::String(declared));
    }
    based
}

impl RegistryService {
    /// The configuration in force for a schema (or for a registry with `schema = None`).
    ///
    /// # Errors
    /// `registry_not_found`.
    pub fn effective_config(
        &self,
        registry: &RegistryName,
        schema: Option<&SchemaName>,
    ) -> ApiResult<EffectiveConfig> {
        self.get_registry(registry)?;
        if let Some(s) = schema
            && let Some(c) = self.own_config(registry, Some(s))?
        {
            return Ok(EffectiveConfig {
                compatibility: c.compatibility,
                policy: c.policy,
                source: "schema".into(),
            });
        }
        if let Some(c) = self.own_config(registry, None)? {
            return Ok(EffectiveConfig {
                compatibility: c.compatibility,
                policy: c.policy,
                source: "registry".into(),
            });
        }
        // Discovery mints a version whenever traffic changes shape; it must never be refused.
        let compatibility = if registry.as_str() == DISCOVERED_REGISTRY {
            CompatibilityMode::None
        } else {
            CompatibilityMode::Backward
        };
        Ok(EffectiveConfig { compatibility, policy: Policy::Strict, source: "default".into() })
    }

    /// Sets the configuration of a registry (`schema = None`) or of one schema. A schema
    /// override may be set before the schema's first version.
    ///
    /// # Errors
    /// `registry_not_found`.
    pub async fn set_config(
        &self,
        registry: &RegistryName,
        schema: Option<&SchemaName>,
        config: CompatibilityConfig,
    ) -> ApiResult<EffectiveConfig> {
        self.get_registry(registry)?;
        let stored = serde_json::to_value(config).map_err(|e| {
            ApiError::new(
                Code::Internal,
                format!("The configuration cannot be encoded: {e}. Hint: report this."),
            )
        })?;
        self.store().put_config(registry.to_string(), schema.map(SchemaName::to_string), stored).await?;
        self.effective_config(registry, schema)
    }

    /// Loads every stored document the given versions reference (transitively: the
    /// stored `references` lists are already transitive), keyed by URI.
    pub(super) fn referenced_documents<'a>(
        &self,
        versions: impl IntoIterator<Item = &'a [String]>,
    ) -> ApiResult<SchemaMap> {
        let mut map = SchemaMap::new();
        for uris in versions {
            for uri in uris {
                if map.contains_key(uri) {
                    continue;
                }
                if let Some((r, s, v)) = super::refs::parse_version_uri(uri)
                    && let Some(record) = self.store().get_version(&r, &s, v)?
                {
                    map.insert(uri.clone(), with_base(&record.content, uri));
                }
            }
        }
        Ok(map)
    }

    /// The documents a stored version references, for code generation.
    ///
    /// # Errors
    /// Storage failures.
    pub fn referenced_documents_of(&self, references: &[String]) -> ApiResult<SchemaMap> {
        self.referenced_documents([references])
    }

    /// Adds to `map` the documents that reference names stand for, under the URI the
    /// names resolve to against `base` (so the checker follows `$ref: "customer.json"`).
    fn add_named_documents(
        &self,
        map: &mut SchemaMap,
        base: &str,
        names: &std::collections::BTreeMap<String, String>,
    ) -> ApiResult<()> {
        for (name, target) in names {
            let key = super::refs::resolve_name(base, name);
            if map.contains_key(&key) {
                continue;
            }
            if let Some((r, s, v)) = super::refs::parse_version_uri(target)
                && let Some(record) = self.store().get_version(&r, &s, v)?
            {
                map.insert(key, for_checker(&record.content, target, &record.draft));
            }
        }
        Ok(())
    }

    /// Checks a candidate against the stored versions of a schema that are not
    /// soft-deleted (all of them, or only `against`).
    #[expect(
        clippy::too_many_arguments,
        reason = "one private call site per API; a struct would only rename them"
    )]
    pub(super) fn check_candidate(
        &self,
        registry: &RegistryName,
        schema: &SchemaName,
        candidate: (&Value, &str),
        candidate_refs: &[String],
        candidate_names: &std::collections::BTreeMap<String, String>,
        mode: CompatibilityMode,
        policy: Policy,
        against: Option<u32>,
    ) -> ApiResult<CompatReport> {
        let previous: Vec<VersionRecord> = if mode == CompatibilityMode::None {
            Vec::new()
        } else {
            self.store()
                .list_versions(registry.as_str(), schema.as_str())?
                .into_iter()
                .filter(|v| !v.deleted && against.is_none_or(|a| a == v.version))
                .collect()
        };
        let mut refs = self.referenced_documents(
            std::iter::once(candidate_refs).chain(previous.iter().map(|v| v.references.as_slice())),
        )?;
        let pending = super::refs::pending_version_uri(registry.as_str(), schema.as_str());
        self.add_named_documents(&mut refs, &pending, candidate_names)?;
        for v in &previous {
            let uri = version_uri(registry.as_str(), schema.as_str(), v.version);
            self.add_named_documents(&mut refs, &uri, &v.ref_names)?;
        }
        let candidate = for_checker(candidate.0, &pending, candidate.1);
        let based: Vec<(u32, Value)> = previous
            .iter()
            .map(|v| {
                (
                    v.version,
                    for_checker(
                        &v.content,
                        &version_uri(registry.as_str(), schema.as_str(), v.version),
                        &v.draft,
                    ),
                )
            })
            .collect();
        Ok(compat::check_against_versions(
            &candidate,
            based.iter().map(|(n, c)| (*n, c)),
            mode,
            policy,
            &refs,
        ))
    }

    /// Refuses a candidate that breaks the mode in force (called before storing).
    pub(super) fn enforce_compatibility(
        &self,
        registry: &RegistryName,
        schema: &SchemaName,
        candidate: &Value,
        draft: &str,
        candidate_refs: &[String],
        candidate_names: &std::collections::BTreeMap<String, String>,
    ) -> ApiResult<()> {
        let config = self.effective_config(registry, Some(schema))?;
        let report = self.check_candidate(
            registry,
            schema,
            (candidate, draft),
            candidate_refs,
            candidate_names,
            config.compatibility,
            config.policy,
            None,
        )?;
        if report.compatible {
            return Ok(());
        }
        let view = CompatibilityReportView::from(report);
        let breaking: Vec<&FindingView> = view.findings.iter().filter(|f| !f.compatible).collect();
        let first = breaking
            .first()
            .map(|f| format!(" First: {} at {}: {}", f.kind, f.path, f.message))
            .unwrap_or_default();
        Err(ApiError::new(
            Code::IncompatibleSchema,
            format!(
                "The schema breaks {} compatibility ({} policy) with version(s) {:?}.{first} Hint: make the change compatible, register it under a new schema name, or change the mode with PUT .../config.",
                view.compatibility, view.policy, view.checked_against
            ),
        )
        .with_details(json!({
            "compatibility": view.compatibility,
            "policy": view.policy,
            "checkedAgainst": view.checked_against,
            "findings": breaking,
        })))
    }

    /// Checks a candidate without storing anything.
    ///
    /// # Errors
    /// `registry_not_found`, `invalid_schema` and the other content errors.
    pub fn check_compatibility(
        &self,
        registry: &RegistryName,
        schema: &SchemaName,
        request: CompatibilityCheckRequest,
    ) -> ApiResult<CompatibilityReportView> {
        self.check_compatibility_with(registry, schema, request, &super::RegisterOptions::default(), None)
    }

    /// [`Self::check_compatibility`] with the reading options of the Confluent API, and
    /// optionally against one version only.
    ///
    /// # Errors
    /// As [`Self::check_compatibility`].
    pub fn check_compatibility_with(
        &self,
        registry: &RegistryName,
        schema: &SchemaName,
        request: CompatibilityCheckRequest,
        options: &super::RegisterOptions,
        against: Option<u32>,
    ) -> ApiResult<CompatibilityReportView> {
        let config = self.effective_config(registry, Some(schema))?;
        let (checked, refs) = self.compile_candidate_with(
            registry,
            schema,
            request.content,
            options.draft_07_by_default,
            &options.ref_names,
        )?;
        let report = self.check_candidate(
            registry,
            schema,
            (&checked.value, checked.draft_name),
            &refs,
            &options.ref_names,
            request.compatibility.unwrap_or(config.compatibility),
            request.policy.unwrap_or(config.policy),
            against,
        )?;
        Ok(report.into())
    }

    /// The compatibility configuration set on exactly this registry or schema, if any.
    ///
    /// # Errors
    /// Storage failures.
    pub fn own_config(
        &self,
        registry: &RegistryName,
        schema: Option<&SchemaName>,
    ) -> ApiResult<Option<CompatibilityConfig>> {
        self.store()
            .get_config(registry.as_str(), schema.map(SchemaName::as_str))?
            .map(|stored| {
                serde_json::from_value(stored).map_err(|e| {
                    tracing::error!(error = %e, registry = %registry, "stored compatibility configuration does not decode");
                    ApiError::new(Code::Internal, "A stored compatibility configuration is damaged. Hint: the service log has the cause; set it again.")
                })
            })
            .transpose()
    }

    /// Removes the compatibility configuration of exactly this registry or schema.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn remove_own_config(
        &self,
        registry: &RegistryName,
        schema: Option<&SchemaName>,
    ) -> ApiResult<()> {
        self.store().remove_config(registry.to_string(), schema.map(SchemaName::to_string)).await?;
        Ok(())
    }

    /// Every change between two stored versions.
    ///
    /// # Errors
    /// `version_not_found` and friends; `invalid_parameter` for a bad version or policy.
    pub fn diff_versions(
        &self,
        registry: &RegistryName,
        schema: &SchemaName,
        query: &DiffQuery,
    ) -> ApiResult<DiffView> {
        let policy = match query.policy.as_deref() {
            None => Policy::Strict,
            Some(p) => p.parse::<Policy>().map_err(|_| {
                ApiError::new(
                    Code::InvalidParameter,
                    format!("'{p}' is not a policy. Hint: use STRICT or LENIENT."),
                )
                .with_details(json!({ "parameter": "policy" }))
            })?,
        };
        let from = self.get_version(registry, schema, query.from.parse::<VersionSelector>()?)?;
        let to = self.get_version(registry, schema, query.to.parse::<VersionSelector>()?)?;
        let refs = self.referenced_documents([from.references.as_slice(), to.references.as_slice()])?;
        let (r, s) = (registry.as_str(), schema.as_str());
        let d = compat::diff(
            &with_base(&from.content, &version_uri(r, s, from.version)),
            &with_base(&to.content, &version_uri(r, s, to.version)),
            policy,
            &refs,
        );
        Ok(DiffView::new(from.version, to.version, d))
    }

    /// Checks and compiles candidate content; returns it with the URIs it references.
    pub(super) fn compile_candidate_with(
        &self,
        registry: &RegistryName,
        schema: &SchemaName,
        content: Value,
        draft_07_by_default: bool,
        names: &std::collections::BTreeMap<String, String>,
    ) -> ApiResult<(content::CheckedContent, Vec<String>)> {
        let checked = content::check_with(content, self.limits(), draft_07_by_default)?;
        let retriever = super::refs::StoreRetriever::with_names(
            self.store().clone(),
            &super::refs::pending_version_uri(registry.as_str(), schema.as_str()),
            names,
        );
        content::compile::<jsonschema::json::SerdeJson>(
            &checked.value,
            checked.draft,
            &super::refs::pending_version_uri(registry.as_str(), schema.as_str()),
            retriever.clone(),
        )?;
        Ok((checked, retriever.resolved()))
    }
}
