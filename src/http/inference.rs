//! `POST /v1/infer`: infer a JSON Schema from sample events.

use actix_web::{post, web};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::error::HandlerResult;
use super::extract::ApiJson;
use crate::error::{ApiError, Code, ErrorBody};
use crate::infer::{
    Catalog, DeriveOptions, Hints, InferenceState, NullPolicy, RegistryKnowledge, decisions,
    derive_schema_with,
};
use crate::model::RegistryName;
use crate::registry::RegistryService;

/// Most samples accepted in one request (the body limit applies too).
const MAX_SAMPLES: usize = 10_000;

/// Body of `POST /v1/infer`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct InferRequest {
    /// Samples: EventBridge envelopes (`source`, `detail-type`, `detail`) or bare documents.
    #[schema(min_items = 1)]
    events: Vec<Value>,
    /// For envelopes, infer only `detail` (default `true`); `false` infers whole envelopes.
    #[serde(default)]
    detail_only: Option<bool>,
    /// Least number of distinct samples a property must be present in (present in all of
    /// them) to be made required, and a format matched in to be asserted (default 4,
    /// measured; 1: every sample is enough). Below it the property is optional with
    /// `x-schemabus-optional` counts, the format a candidate in `x-schemabus-format`.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 16)]
    min_required: Option<u64>,
    /// What an unseen `null` means: `observed` (only properties seen null are nullable),
    /// `scalars` (primitive properties accept null too) or `all` (default, measured: objects
    /// and arrays too). A value of another type is refused in every mode.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "scalars")]
    nulls: Option<NullPolicy>,
    /// Registry knowledge: a registry name, or `*` for every registry. Same-named object
    /// structures of its schemas' latest versions lend what they show (nullable and optional
    /// fields, maps) when their shapes agree (docs/INFERENCE.md). Absent: none.
    #[serde(default)]
    #[schema(example = "shop")]
    registry: Option<String>,
}

/// Most accepted `minRequired`.
const MAX_MIN_REQUIRED: u64 = crate::infer::EVIDENCE_DOCS as u64;

/// Counts of what was inferred.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InferStats {
    /// Samples read.
    documents: u64,
    /// Samples per event type (`source@DetailType`), for envelopes.
    types: Map<String, Value>,
    /// Samples that were not envelopes.
    untyped: u64,
    /// The settings in force (the request's or the defaults).
    #[schema(value_type = Object)]
    settings: Value,
    /// Per schema (keyed like `schemas`), the positions widened or read as maps and why:
    /// `{pointer, decision: optional|nullable|map|format-candidate, reason, ...}`.
    #[schema(value_type = Object)]
    decisions: Map<String, Value>,
}

/// Inferred schema(s).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InferResponse {
    /// The schema, when the samples hold one event type (or only bare documents).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    schema: Option<Value>,
    /// The event type name of `schema` (`source@DetailType`), for envelopes.
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    /// One schema per event type (and `untyped` for bare documents) when there are several.
    #[schema(value_type = Object)]
    schemas: Map<String, Value>,
    /// Counts.
    stats: InferStats,
}

/// Infer a schema from samples.
///
/// Merges the samples into one JSON Schema (2020-12) per event type, following
/// docs/INFERENCE.md: required = present in every one of at least `minRequired` distinct
/// samples, unseen nulls by the `nulls` policy, objects open, maps detected, formats kept
/// while every value matches, registry knowledge on request; `stats.decisions` says why
/// each position was widened. Stores nothing.
#[utoipa::path(
    tag = "inference",
    operation_id = "inferSchema",
    request_body = InferRequest,
    responses(
        (status = 200, description = "The inferred schema(s).", body = InferResponse),
        (status = 400, description = "Malformed body, no samples or too many, minRequired outside 1..16, unknown null policy, invalid registry name.", body = ErrorBody),
        (status = 404, description = "No such registry (`registry_not_found`).", body = ErrorBody),
        (status = 413, description = "Body over the size limit.", body = ErrorBody),
    )
)]
#[post("/infer")]
pub(crate) async fn infer_schema(
    registry: web::Data<RegistryService>,
    ApiJson(request): ApiJson<InferRequest>,
) -> HandlerResult<web::Json<InferResponse>> {
    if request.events.is_empty() || request.events.len() > MAX_SAMPLES {
        return Err(ApiError::new(
            Code::InvalidRequest,
            format!("{} samples given. Hint: send 1 to {MAX_SAMPLES} events.", request.events.len()),
        )
        .with_details(json!({ "pointer": "/events" })));
    }
    let defaults = DeriveOptions::default();
    let min_required = request.min_required.unwrap_or(defaults.min_required);
    if !(1..=MAX_MIN_REQUIRED).contains(&min_required) {
        return Err(ApiError::new(
            Code::InvalidRequest,
            format!("minRequired is {min_required}. Hint: give a count from 1 to {MAX_MIN_REQUIRED}."),
        )
        .with_details(json!({ "pointer": "/minRequired" })));
    }
    let nulls = request.nulls.unwrap_or(defaults.nulls);
    let knowledge = match request.registry.as_deref() {
        None => None,
        Some(name) => {
            let only = if name == "*" {
                None
            } else {
                Some(RegistryName::parse(name).map_err(|e| e.with_details(json!({"pointer": "/registry"})))?)
            };
            // A miss reads every schema's latest version: off the executor.
            let service = registry.clone().into_inner();
            let knowledge = web::block(move || service.knowledge(only.as_ref())).await.map_err(|_| {
                ApiError::new(Code::Internal, "Reading the registry did not complete. Hint: retry.")
            })??;
            Some(RegistryKnowledge { knowledge, exclude: None })
        }
    };
    let detail_only = request.detail_only.unwrap_or(true);
    let mut catalog = Catalog::new();
    for event in &request.events {
        catalog.add(event, detail_only);
    }
    let derive = |name: Option<&str>, state: &InferenceState| {
        derive_schema_with(
            state,
            &Hints::default(),
            &DeriveOptions {
                title: name.map(str::to_owned),
                min_required,
                nulls,
                registry: knowledge.clone(),
                ..DeriveOptions::default()
            },
        )
    };
    let mut schemas = Map::new();
    let mut types = Map::new();
    for (name, state) in &catalog.types {
        schemas.insert(name.clone(), derive(Some(name), state));
        types.insert(name.clone(), json!(state.samples()));
    }
    if catalog.untyped.samples() > 0 {
        schemas.insert("untyped".to_owned(), derive(None, &catalog.untyped));
    }
    let (schema, name) = if schemas.len() == 1 {
        let (key, value) = schemas.iter().next().map(|(k, v)| (k.clone(), v.clone())).unwrap_or_default();
        (Some(value), (key != "untyped").then_some(key))
    } else {
        (None, None)
    };
    let decisions = schemas.iter().map(|(k, v)| (k.clone(), Value::Array(decisions(v)))).collect();
    let settings =
        json!({"minRequired": min_required, "nulls": nulls.as_str(), "registry": request.registry});
    let stats = InferStats {
        documents: catalog.documents(),
        types,
        untyped: catalog.untyped.samples(),
        settings,
        decisions,
    };
    Ok(web::Json(InferResponse { schema, name, schemas, stats }))
}
