//! `/v1/catalog` (the event catalog) and `/v1/buses/{bus}/asyncapi` (its AsyncAPI 3.0
//! export), docs/CATALOG.md.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

use super::access::Caller;
use super::error::HandlerResult;
use crate::catalog::service::Viewer;
use crate::catalog::{CatalogPage, CatalogQuery, CatalogService, asyncapi};
use crate::error::{ApiError, Code, ErrorBody};

fn viewer(caller: Option<web::ReqData<Caller>>) -> Viewer {
    // Set by the access middleware whenever keys are checked; without it (`--auth off`)
    // everything is visible.
    Viewer(caller.map(|c| c.into_inner().0.grants))
}

fn unfinished() -> ApiError {
    ApiError::new(Code::Internal, "The catalog was not built. Hint: retry.")
}

/// List the event catalog.
///
/// Every event type (`source@DetailType`) seen on a bus since the start or registered as
/// a bus's contract: its schema and latest version, producers (source, detail-types,
/// publishing keys), consumers (the rules whose pattern can match it, with their
/// targets), traffic and refusals over the last hour and day, and discovery state. Only
/// the buses the key may read are listed; contracts need `registry:read`, keys and
/// consumers `bus:manage`. Paged by `id`.
#[utoipa::path(
    tag = "catalog",
    operation_id = "listCatalog",
    params(CatalogQuery),
    responses(
        (status = 200, description = "A page of entries.", body = CatalogPage),
        (status = 400, description = "Unknown parameter, invalid bus name or limit outside 1..500 (`invalid_request`).", body = ErrorBody),
        (status = 404, description = "The `bus` filter names no bus (`bus_not_found`).", body = ErrorBody),
    )
)]
#[get("/catalog")]
pub(crate) async fn list_catalog(
    service: web::Data<CatalogService>,
    query: web::Query<CatalogQuery>,
    caller: Option<web::ReqData<Caller>>,
) -> HandlerResult<web::Json<CatalogPage>> {
    let viewer = viewer(caller);
    let service = service.into_inner();
    let query = query.into_inner();
    // Reads every type of every bus the key may read: off the actix workers.
    let page = web::block(move || service.catalog(&query, &viewer)).await.map_err(|_| unfinished())??;
    Ok(web::Json(page))
}

/// Query of the AsyncAPI export.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct AsyncApiQuery {
    /// `json` (the default) or `yaml`; without it, `Accept: application/yaml` picks YAML.
    format: Option<String>,
}

/// Export a bus as AsyncAPI 3.0.
///
/// One channel per event type, its message the EventBridge envelope with the type's
/// contract as `detail`, a `send` operation per type and a `receive` operation per rule
/// that can match it, with the rule's targets (docs/CATALOG.md#asyncapi). JSON, or YAML
/// with `format=yaml` or `Accept: application/yaml`.
#[utoipa::path(
    tag = "catalog",
    operation_id = "getBusAsyncApi",
    params(("bus" = String, Path, description = "Bus name"), AsyncApiQuery),
    responses(
        (status = 200, description = "The AsyncAPI 3.0 document.", content(
            (Object = "application/json"),
            (String = "application/yaml"),
        )),
        (status = 400, description = "Invalid bus name, or a format other than json or yaml (`invalid_parameter`).", body = ErrorBody),
        (status = 404, description = "No such bus (`bus_not_found`).", body = ErrorBody),
    )
)]
#[get("/buses/{bus}/asyncapi")]
pub(crate) async fn get_bus_asyncapi(
    service: web::Data<CatalogService>,
    path: web::Path<String>,
    query: web::Query<AsyncApiQuery>,
    caller: Option<web::ReqData<Caller>>,
    req: HttpRequest,
) -> HandlerResult<HttpResponse> {
    let yaml = match query.format.as_deref() {
        Some("yaml") => true,
        Some("json") => false,
        Some(other) => {
            return Err(ApiError::new(
                Code::InvalidParameter,
                format!("'{other}' is not a format of the export. Hint: use json or yaml."),
            )
            .with_details(json!({"parameter": "format"})));
        }
        None => req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/yaml") || a.contains("application/x-yaml")),
    };
    let viewer = viewer(caller);
    let service = service.into_inner();
    let bus = path.into_inner();
    let document = web::block(move || service.asyncapi(&bus, &viewer)).await.map_err(|_| unfinished())??;
    if yaml {
        return Ok(HttpResponse::Ok().content_type("application/yaml").body(asyncapi::to_yaml(&document)));
    }
    Ok(HttpResponse::Ok().json(document))
}
