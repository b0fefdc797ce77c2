//! Compatibility configuration, checks and diffs.

use actix_web::{get, post, put, web};

use super::error::HandlerResult;
use super::extract::{ApiJson, RegistryParam, SchemaParam};
use crate::error::ErrorBody;
use crate::registry::{
    CompatibilityCheckRequest, CompatibilityConfig, CompatibilityReportView, DiffQuery, DiffView,
    EffectiveConfig, RegistryService,
};

/// Get a registry's compatibility configuration.
///
/// The default for its schemas; `source` says whether it was set or is the service default.
#[utoipa::path(
    tag = "compatibility",
    operation_id = "getRegistryConfig",
    params(("registry" = String, Path, description = "Registry name")),
    responses(
        (status = 200, description = "The configuration in force.", body = EffectiveConfig),
        (status = 400, description = "Invalid name.", body = ErrorBody),
        (status = 404, description = "No such registry.", body = ErrorBody),
    )
)]
#[get("/registries/{registry}/config")]
pub(crate) async fn get_registry_config(
    service: web::Data<RegistryService>,
    RegistryParam(registry): RegistryParam,
) -> HandlerResult<web::Json<EffectiveConfig>> {
    Ok(web::Json(service.effective_config(&registry, None)?))
}

/// Set a registry's compatibility configuration.
///
/// Applies to every schema of the registry that has no override of its own.
#[utoipa::path(
    tag = "compatibility",
    operation_id = "setRegistryConfig",
    params(("registry" = String, Path, description = "Registry name")),
    request_body = CompatibilityConfig,
    responses(
        (status = 200, description = "The configuration now in force.", body = EffectiveConfig),
        (status = 400, description = "Unknown mode or policy, or invalid name.", body = ErrorBody),
        (status = 404, description = "No such registry.", body = ErrorBody),
    )
)]
#[put("/registries/{registry}/config")]
pub(crate) async fn set_registry_config(
    service: web::Data<RegistryService>,
    RegistryParam(registry): RegistryParam,
    ApiJson(config): ApiJson<CompatibilityConfig>,
) -> HandlerResult<web::Json<EffectiveConfig>> {
    Ok(web::Json(service.set_config(&registry, None, config).await?))
}

/// Get a schema's compatibility configuration.
///
/// The schema's override if it has one, else its registry's.
#[utoipa::path(
    tag = "compatibility",
    operation_id = "getSchemaConfig",
    params(
        ("registry" = String, Path, description = "Registry name"),
        ("schema" = String, Path, description = "Schema name"),
    ),
    responses(
        (status = 200, description = "The configuration in force.", body = EffectiveConfig),
        (status = 400, description = "Invalid name.", body = ErrorBody),
        (status = 404, description = "No such registry.", body = ErrorBody),
    )
)]
#[get("/registries/{registry}/schemas/{schema}/config")]
pub(crate) async fn get_schema_config(
    service: web::Data<RegistryService>,
    RegistryParam(registry): RegistryParam,
    SchemaParam(schema): SchemaParam,
) -> HandlerResult<web::Json<EffectiveConfig>> {
    Ok(web::Json(service.effective_config(&registry, Some(&schema))?))
}

/// Set a schema's compatibility configuration.
///
/// Overrides the registry's default; may be set before the schema's first version.
#[utoipa::path(
    tag = "compatibility",
    operation_id = "setSchemaConfig",
    params(
        ("registry" = String, Path, description = "Registry name"),
        ("schema" = String, Path, description = "Schema name"),
    ),
    request_body = CompatibilityConfig,
    responses(
        (status = 200, description = "The configuration now in force.", body = EffectiveConfig),
        (status = 400, description = "Unknown mode or policy, or invalid name.", body = ErrorBody),
        (status = 404, description = "No such registry.", body = ErrorBody),
    )
)]
#[put("/registries/{registry}/schemas/{schema}/config")]
pub(crate) async fn set_schema_config(
    service: web::Data<RegistryService>,
    RegistryParam(registry): RegistryParam,
    SchemaParam(schema): SchemaParam,
    ApiJson(config): ApiJson<CompatibilityConfig>,
) -> HandlerResult<web::Json<EffectiveConfig>> {
    Ok(web::Json(service.set_config(&registry, Some(&schema), config).await?))
}

/// Check a candidate schema's compatibility.
///
/// Compares the candidate with the stored versions under the mode in force (or the one
/// given) and stores nothing: for CI pipelines.
#[utoipa::path(
    tag = "compatibility",
    operation_id = "checkCompatibility",
    params(
        ("registry" = String, Path, description = "Registry name"),
        ("schema" = String, Path, description = "Schema name"),
    ),
    request_body = CompatibilityCheckRequest,
    responses(
        (status = 200, description = "The verdict with every finding.", body = CompatibilityReportView),
        (status = 400, description = "Malformed body, unknown mode or policy, invalid name.", body = ErrorBody),
        (status = 404, description = "No such registry.", body = ErrorBody),
        (status = 422, description = "The candidate is not a valid schema.", body = ErrorBody),
    )
)]
#[post("/registries/{registry}/schemas/{schema}/compatibility")]
pub(crate) async fn check_compatibility(
    service: web::Data<RegistryService>,
    RegistryParam(registry): RegistryParam,
    SchemaParam(schema): SchemaParam,
    ApiJson(request): ApiJson<CompatibilityCheckRequest>,
) -> HandlerResult<web::Json<CompatibilityReportView>> {
    let service = service.into_inner();
    let report = web::block(move || service.check_compatibility(&registry, &schema, request))
        .await
        .map_err(|_| {
            crate::error::ApiError::new(
                crate::error::Code::Internal,
                "The check did not complete. Hint: retry.",
            )
        })??;
    Ok(web::Json(report))
}

/// Diff two schema versions.
///
/// Every change from `from` to `to`, with its backward and forward verdicts and a
/// sentence for humans.
#[utoipa::path(
    tag = "compatibility",
    operation_id = "diffVersions",
    params(
        ("registry" = String, Path, description = "Registry name"),
        ("schema" = String, Path, description = "Schema name"),
        DiffQuery,
    ),
    responses(
        (status = 200, description = "The changes.", body = DiffView),
        (status = 400, description = "Bad version or policy.", body = ErrorBody),
        (status = 404, description = "No such registry, schema or version.", body = ErrorBody),
    )
)]
#[get("/registries/{registry}/schemas/{schema}/diff")]
pub(crate) async fn diff_versions(
    service: web::Data<RegistryService>,
    RegistryParam(registry): RegistryParam,
    SchemaParam(schema): SchemaParam,
    query: web::Query<DiffQuery>,
) -> HandlerResult<web::Json<DiffView>> {
    Ok(web::Json(service.diff_versions(&registry, &schema, &query)?))
}
