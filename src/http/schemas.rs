//! `/v1/registries/{registry}/schemas`: schemas and their metadata.

use actix_web::{HttpResponse, delete, get, patch, web};

use super::error::HandlerResult;
use super::extract::{ApiJson, RegistryParam, SchemaParam};
use crate::error::ErrorBody;
use crate::model::SchemaRecord;
use crate::registry::{ListQuery, RegistryService, SchemaPage, UpdateMetadataRequest};

/// List the schemas of a registry.
#[utoipa::path(
    tag = "schemas",
    operation_id = "listSchemas",
    params(("registry" = String, Path, description = "Registry name"), ListQuery),
    responses(
        (status = 200, description = "A page of schemas.", body = SchemaPage),
        (status = 400, description = "Bad name, limit or cursor.", body = ErrorBody),
        (status = 404, description = "No such registry.", body = ErrorBody),
    )
)]
#[get("/registries/{registry}/schemas")]
pub(crate) async fn list_schemas(
    service: web::Data<RegistryService>,
    RegistryParam(registry): RegistryParam,
    query: web::Query<ListQuery>,
) -> HandlerResult<web::Json<SchemaPage>> {
    Ok(web::Json(service.list_schemas(&registry, &query)?))
}

/// Get a schema's metadata.
///
/// Description, tags, latest version, version count and timestamps.
#[utoipa::path(
    tag = "schemas",
    operation_id = "getSchema",
    params(
        ("registry" = String, Path, description = "Registry name"),
        ("schema" = String, Path, description = "Schema name, such as `orders@OrderPlaced`"),
    ),
    responses(
        (status = 200, description = "The schema.", body = SchemaRecord),
        (status = 400, description = "Invalid name.", body = ErrorBody),
        (status = 404, description = "No such registry or schema.", body = ErrorBody),
    )
)]
#[get("/registries/{registry}/schemas/{schema}")]
pub(crate) async fn get_schema(
    service: web::Data<RegistryService>,
    RegistryParam(registry): RegistryParam,
    SchemaParam(schema): SchemaParam,
) -> HandlerResult<web::Json<SchemaRecord>> {
    Ok(web::Json(service.get_schema(&registry, &schema)?))
}

/// Update a schema's description or tags.
#[utoipa::path(
    tag = "schemas",
    operation_id = "updateSchema",
    params(
        ("registry" = String, Path, description = "Registry name"),
        ("schema" = String, Path, description = "Schema name"),
    ),
    request_body = UpdateMetadataRequest,
    responses(
        (status = 200, description = "The updated schema.", body = SchemaRecord),
        (status = 400, description = "Malformed body or invalid name.", body = ErrorBody),
        (status = 404, description = "No such registry or schema.", body = ErrorBody),
    )
)]
#[patch("/registries/{registry}/schemas/{schema}")]
pub(crate) async fn update_schema(
    service: web::Data<RegistryService>,
    RegistryParam(registry): RegistryParam,
    SchemaParam(schema): SchemaParam,
    ApiJson(request): ApiJson<UpdateMetadataRequest>,
) -> HandlerResult<web::Json<SchemaRecord>> {
    Ok(web::Json(service.update_schema(&registry, &schema, request).await?))
}

/// Delete a schema and all its versions.
///
/// Its version numbers are never reused if the schema is created again.
#[utoipa::path(
    tag = "schemas",
    operation_id = "deleteSchema",
    params(
        ("registry" = String, Path, description = "Registry name"),
        ("schema" = String, Path, description = "Schema name"),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "Invalid name.", body = ErrorBody),
        (status = 404, description = "No such registry or schema.", body = ErrorBody),
        (status = 409, description = "Another schema references a version (`schema_referenced`).", body = ErrorBody),
    )
)]
#[delete("/registries/{registry}/schemas/{schema}")]
pub(crate) async fn delete_schema(
    service: web::Data<RegistryService>,
    RegistryParam(registry): RegistryParam,
    SchemaParam(schema): SchemaParam,
) -> HandlerResult<HttpResponse> {
    service.delete_schema(&registry, &schema).await?;
    Ok(HttpResponse::NoContent().finish())
}
