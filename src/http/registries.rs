//! `/v1/registries`: create, list, read, edit and delete registries.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::HandlerResult;
use super::extract::{ApiJson, RegistryParam};
use crate::error::ErrorBody;
use crate::model::RegistryRecord;
use crate::registry::{
    CreateRegistryRequest, ListQuery, RegistryPage, RegistryService, UpdateMetadataRequest,
    UpdateRegistryRequest,
};

/// Create a registry.
///
/// Registry names match `[A-Za-z0-9._-]{1,64}`.
#[utoipa::path(
    tag = "registries",
    operation_id = "createRegistry",
    request_body = CreateRegistryRequest,
    responses(
        (status = 201, description = "The registry was created.", body = RegistryRecord, links(
            ("GetRegistry" = (operation_id = "getRegistry", parameters(("registry" = "$response.body#/name")))),
            ("ListSchemas" = (operation_id = "listSchemas", parameters(("registry" = "$response.body#/name")))),
            ("GetRegistryConfig" = (operation_id = "getRegistryConfig", parameters(("registry" = "$response.body#/name")))),
        )),
        (status = 400, description = "Malformed body or invalid name.", body = ErrorBody),
        (status = 409, description = "A registry of that name exists (`registry_exists`).", body = ErrorBody),
        (status = 413, description = "Body over the size limit.", body = ErrorBody),
    )
)]
#[post("/registries")]
pub(crate) async fn create_registry(
    service: web::Data<RegistryService>,
    ApiJson(request): ApiJson<CreateRegistryRequest>,
) -> HandlerResult<HttpResponse> {
    let record = service.create_registry(request).await?;
    Ok(HttpResponse::Created().json(record))
}

/// List registries.
///
/// Pages through registries in name order; pass `nextCursor` back as `cursor`.
#[utoipa::path(
    tag = "registries",
    operation_id = "listRegistries",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of registries.", body = RegistryPage),
        (status = 400, description = "Bad limit or cursor.", body = ErrorBody),
    )
)]
#[get("/registries")]
pub(crate) async fn list_registries(
    service: web::Data<RegistryService>,
    query: web::Query<ListQuery>,
) -> HandlerResult<web::Json<RegistryPage>> {
    Ok(web::Json(service.list_registries(&query)?))
}

/// Get a registry.
#[utoipa::path(
    tag = "registries",
    operation_id = "getRegistry",
    params(("registry" = String, Path, description = "Registry name")),
    responses(
        (status = 200, description = "The registry.", body = RegistryRecord),
        (status = 400, description = "Invalid name.", body = ErrorBody),
        (status = 404, description = "No such registry (`registry_not_found`).", body = ErrorBody),
    )
)]
#[get("/registries/{registry}")]
pub(crate) async fn get_registry(
    service: web::Data<RegistryService>,
    RegistryParam(name): RegistryParam,
) -> HandlerResult<web::Json<RegistryRecord>> {
    Ok(web::Json(service.get_registry(&name)?))
}

/// Update a registry's description, tags or catalog samples.
///
/// Absent fields stay unchanged; an empty description clears it; `tags` replaces the map;
/// `catalogSamples` turns on (or off) the event catalog's recent event of the types whose
/// contract is here (docs/CATALOG.md#samples).
#[utoipa::path(
    tag = "registries",
    operation_id = "updateRegistry",
    params(("registry" = String, Path, description = "Registry name")),
    request_body = UpdateRegistryRequest,
    responses(
        (status = 200, description = "The updated registry.", body = RegistryRecord),
        (status = 400, description = "Malformed body or invalid name.", body = ErrorBody),
        (status = 404, description = "No such registry.", body = ErrorBody),
    )
)]
#[patch("/registries/{registry}")]
pub(crate) async fn update_registry(
    service: web::Data<RegistryService>,
    RegistryParam(name): RegistryParam,
    ApiJson(request): ApiJson<UpdateRegistryRequest>,
) -> HandlerResult<web::Json<RegistryRecord>> {
    let meta = UpdateMetadataRequest { description: request.description, tags: request.tags };
    Ok(web::Json(service.update_registry_with(&name, meta, request.catalog_samples).await?))
}

/// Query of `DELETE /v1/registries/{registry}`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeleteRegistryQuery {
    /// Also delete every schema in the registry.
    #[serde(default)]
    force: bool,
}

/// Delete a registry.
///
/// Refused while the registry holds schemas, unless `force=true`.
#[utoipa::path(
    tag = "registries",
    operation_id = "deleteRegistry",
    params(("registry" = String, Path, description = "Registry name"), DeleteRegistryQuery),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "Invalid name or query.", body = ErrorBody),
        (status = 404, description = "No such registry.", body = ErrorBody),
        (status = 409, description = "Not empty (`registry_not_empty`), built in (`registry_builtin`), or referenced from elsewhere (`schema_referenced`).", body = ErrorBody),
    )
)]
#[delete("/registries/{registry}")]
pub(crate) async fn delete_registry(
    service: web::Data<RegistryService>,
    RegistryParam(name): RegistryParam,
    query: web::Query<DeleteRegistryQuery>,
) -> HandlerResult<HttpResponse> {
    service.delete_registry(&name, query.force).await?;
    Ok(HttpResponse::NoContent().finish())
}
