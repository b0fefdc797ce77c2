//! `.../schemas/{schema}/versions`: register, read, delete and validate against versions.

use actix_web::{HttpResponse, delete, get, post, web};

use super::HttpSettings;
use super::error::HandlerResult;
use super::extract::{AnyJson, ApiJson, RegistryParam, SchemaParam, VersionParam};
use crate::error::ErrorBody;
use crate::model::VersionRecord;
use crate::registry::{
    RegisterVersionRequest, RegistryService, ValidationReport, VersionCreated, VersionList, WriteOrigin,
};

/// Register a schema version.
///
/// The first version is 1; numbers only grow and are never reused. Content equal to the
/// latest version (key order and whitespace ignored) creates nothing and answers 200 with
/// the latest version. The content must be a JSON Schema (draft-04 to 2020-12, declared by
/// `$schema`, 2020-12 when absent) that compiles; `$ref`s to other stored versions use
/// `https://schemabus.invalid/registries/{registry}/schemas/{schema}/versions/{n}`.
#[utoipa::path(
    tag = "versions",
    operation_id = "registerVersion",
    params(
        ("registry" = String, Path, description = "Registry name"),
        ("schema" = String, Path, description = "Schema name, such as `orders@OrderPlaced`"),
    ),
    request_body = RegisterVersionRequest,
    responses(
        (status = 201, description = "A new version was created.", body = VersionCreated, links(
            ("GetVersion" = (operation_id = "getVersion", parameters(("registry" = "$response.body#/registry"), ("schema" = "$response.body#/schema"), ("version" = "$response.body#/version")))),
            ("ValidateDocument" = (operation_id = "validateDocument", parameters(("registry" = "$response.body#/registry"), ("schema" = "$response.body#/schema"), ("version" = "$response.body#/version")))),
            ("GetSchema" = (operation_id = "getSchema", parameters(("registry" = "$response.body#/registry"), ("schema" = "$response.body#/schema")))),
        )),
        (status = 200, description = "The content equals the latest version; nothing was created.", body = VersionCreated),
        (status = 400, description = "Malformed body or invalid name.", body = ErrorBody),
        (status = 403, description = "The registry is written by the service (`registry_read_only`).", body = ErrorBody),
        (status = 404, description = "No such registry.", body = ErrorBody),
        (status = 409, description = "The version breaks the compatibility mode in force (`incompatible_schema`, with `details.findings`).", body = ErrorBody),
        (status = 413, description = "Body over the size limit.", body = ErrorBody),
        (status = 422, description = "Not a valid schema (`invalid_schema`, `unsafe_pattern`, `unresolvable_ref`), with `details.pointer`.", body = ErrorBody),
    )
)]
#[post("/registries/{registry}/schemas/{schema}/versions")]
pub(crate) async fn register_version(
    service: web::Data<RegistryService>,
    RegistryParam(registry): RegistryParam,
    SchemaParam(schema): SchemaParam,
    ApiJson(request): ApiJson<RegisterVersionRequest>,
) -> HandlerResult<HttpResponse> {
    let (created, version) = service.register_version(&registry, &schema, request, WriteOrigin::User).await?;
    Ok(if created { HttpResponse::Created().json(version) } else { HttpResponse::Ok().json(version) })
}

/// List a schema's versions.
#[utoipa::path(
    tag = "versions",
    operation_id = "listVersions",
    params(
        ("registry" = String, Path, description = "Registry name"),
        ("schema" = String, Path, description = "Schema name"),
    ),
    responses(
        (status = 200, description = "Versions that still exist, oldest first.", body = VersionList),
        (status = 400, description = "Invalid name.", body = ErrorBody),
        (status = 404, description = "No such registry or schema.", body = ErrorBody),
    )
)]
#[get("/registries/{registry}/schemas/{schema}/versions")]
pub(crate) async fn list_versions(
    service: web::Data<RegistryService>,
    RegistryParam(registry): RegistryParam,
    SchemaParam(schema): SchemaParam,
) -> HandlerResult<web::Json<VersionList>> {
    Ok(web::Json(service.list_versions(&registry, &schema)?))
}

/// Get a schema version with its content.
#[utoipa::path(
    tag = "versions",
    operation_id = "getVersion",
    params(
        ("registry" = String, Path, description = "Registry name"),
        ("schema" = String, Path, description = "Schema name"),
        ("version" = String, Path, description = "Version number, or `latest`"),
    ),
    responses(
        (status = 200, description = "The version.", body = VersionRecord),
        (status = 400, description = "Invalid name or version.", body = ErrorBody),
        (status = 404, description = "No such registry, schema or version.", body = ErrorBody),
    )
)]
#[get("/registries/{registry}/schemas/{schema}/versions/{version}")]
pub(crate) async fn get_version(
    service: web::Data<RegistryService>,
    RegistryParam(registry): RegistryParam,
    SchemaParam(schema): SchemaParam,
    VersionParam(version): VersionParam,
) -> HandlerResult<web::Json<VersionRecord>> {
    Ok(web::Json(service.get_version(&registry, &schema, version)?))
}

/// Delete a schema version.
///
/// Refused while another stored version references it.
#[utoipa::path(
    tag = "versions",
    operation_id = "deleteVersion",
    params(
        ("registry" = String, Path, description = "Registry name"),
        ("schema" = String, Path, description = "Schema name"),
        ("version" = String, Path, description = "Version number, or `latest`"),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "Invalid name or version.", body = ErrorBody),
        (status = 404, description = "No such registry, schema or version.", body = ErrorBody),
        (status = 409, description = "Another version references it (`schema_referenced`).", body = ErrorBody),
    )
)]
#[delete("/registries/{registry}/schemas/{schema}/versions/{version}")]
pub(crate) async fn delete_version(
    service: web::Data<RegistryService>,
    RegistryParam(registry): RegistryParam,
    SchemaParam(schema): SchemaParam,
    VersionParam(version): VersionParam,
) -> HandlerResult<HttpResponse> {
    service.delete_version(&registry, &schema, version).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Validate a document against a schema version.
///
/// The body is the document itself (any JSON). Errors are sorted by instance path and
/// capped at the configured maximum (`truncated` says when more exist).
#[utoipa::path(
    tag = "versions",
    operation_id = "validateDocument",
    params(
        ("registry" = String, Path, description = "Registry name"),
        ("schema" = String, Path, description = "Schema name"),
        ("version" = String, Path, description = "Version number, or `latest`"),
    ),
    request_body(content = serde_json::Value, content_type = "application/json", description = "The document to validate (any JSON value)."),
    responses(
        (status = 200, description = "The verdict, valid or not.", body = ValidationReport),
        (status = 400, description = "The body is not JSON, or a name or version is invalid.", body = ErrorBody),
        (status = 404, description = "No such registry, schema or version.", body = ErrorBody),
        (status = 413, description = "Body over the size limit.", body = ErrorBody),
    )
)]
#[post("/registries/{registry}/schemas/{schema}/versions/{version}/validate")]
pub(crate) async fn validate_document(
    service: web::Data<RegistryService>,
    settings: web::Data<HttpSettings>,
    RegistryParam(registry): RegistryParam,
    SchemaParam(schema): SchemaParam,
    VersionParam(version): VersionParam,
    AnyJson(document): AnyJson,
) -> HandlerResult<web::Json<ValidationReport>> {
    Ok(web::Json(service.validate(&registry, &schema, version, &document, settings.max_validation_errors)?))
}
