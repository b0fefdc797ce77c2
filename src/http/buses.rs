//! `/v1/buses`: create, list, read, edit and delete buses; read a bus's quarantine and
//! re-submit its entries.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::HandlerResult;
use super::extract::ApiJson;
use crate::bus::BusService;
use crate::bus::requests::{BusList, CreateBusRequest, QuarantinePage, UpdateBusRequest};
use crate::bus::resubmit::{ResubmitRequest, ResubmitResponse};
use crate::error::ErrorBody;
use crate::model::BusRecord;

/// Create a bus.
///
/// Bus names match `[A-Za-z0-9._-]{1,64}`. `validation` (default `off`) and `bindings`
/// decide which contract each event's `detail` must satisfy.
#[utoipa::path(
    tag = "buses",
    operation_id = "createBus",
    request_body = CreateBusRequest,
    responses(
        (status = 201, description = "The bus was created.", body = BusRecord, links(
            ("GetBus" = (operation_id = "getBus", parameters(("bus" = "$response.body#/name")))),
            ("ListRules" = (operation_id = "listRules", parameters(("bus" = "$response.body#/name")))),
            ("ListArchives" = (operation_id = "listArchives", parameters(("bus" = "$response.body#/name")))),
        )),
        (status = 400, description = "Malformed body or invalid name.", body = ErrorBody),
        (status = 409, description = "A bus of that name exists (`bus_exists`).", body = ErrorBody),
        (status = 413, description = "Body over the size limit.", body = ErrorBody),
    )
)]
#[post("/buses")]
pub(crate) async fn create_bus(
    service: web::Data<BusService>,
    ApiJson(request): ApiJson<CreateBusRequest>,
) -> HandlerResult<HttpResponse> {
    Ok(HttpResponse::Created().json(service.create_bus(request).await?))
}

/// Query of the bus and queue listings.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct PrefixQuery {
    /// Only names starting with this.
    pub(crate) prefix: Option<String>,
}

/// List buses.
///
/// Every bus in name order (optionally only names starting with `prefix`); `default`
/// always exists.
#[utoipa::path(
    tag = "buses",
    operation_id = "listBuses",
    params(PrefixQuery),
    responses(
        (status = 200, description = "All buses.", body = BusList),
        (status = 400, description = "Unknown query parameter.", body = ErrorBody),
    )
)]
#[get("/buses")]
pub(crate) async fn list_buses(
    service: web::Data<BusService>,
    query: web::Query<PrefixQuery>,
) -> HandlerResult<web::Json<BusList>> {
    Ok(web::Json(service.list_buses(query.prefix.as_deref().unwrap_or(""))?))
}

/// Get a bus.
///
/// The bus with its validation settings and bindings.
#[utoipa::path(
    tag = "buses",
    operation_id = "getBus",
    params(("bus" = String, Path, description = "Bus name")),
    responses(
        (status = 200, description = "The bus.", body = BusRecord),
        (status = 400, description = "Invalid name.", body = ErrorBody),
        (status = 404, description = "No such bus (`bus_not_found`).", body = ErrorBody),
    )
)]
#[get("/buses/{bus}")]
pub(crate) async fn get_bus(
    service: web::Data<BusService>,
    path: web::Path<String>,
) -> HandlerResult<web::Json<BusRecord>> {
    Ok(web::Json(service.get_bus(&path)?))
}

/// Update a bus.
///
/// Absent fields stay unchanged; `validation` and `bindings` are replaced whole. Takes
/// effect for the next PutEvents request.
#[utoipa::path(
    tag = "buses",
    operation_id = "updateBus",
    params(("bus" = String, Path, description = "Bus name")),
    request_body = UpdateBusRequest,
    responses(
        (status = 200, description = "The updated bus.", body = BusRecord),
        (status = 400, description = "Malformed body or invalid name.", body = ErrorBody),
        (status = 404, description = "No such bus.", body = ErrorBody),
    )
)]
#[patch("/buses/{bus}")]
pub(crate) async fn update_bus(
    service: web::Data<BusService>,
    path: web::Path<String>,
    ApiJson(request): ApiJson<UpdateBusRequest>,
) -> HandlerResult<web::Json<BusRecord>> {
    Ok(web::Json(service.update_bus(&path, request).await?))
}

/// Delete a bus.
///
/// Deletes its rules, event log and quarantine. The `default` bus cannot be deleted.
#[utoipa::path(
    tag = "buses",
    operation_id = "deleteBus",
    params(("bus" = String, Path, description = "Bus name")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "Invalid name.", body = ErrorBody),
        (status = 404, description = "No such bus.", body = ErrorBody),
        (status = 409, description = "Built in (`bus_builtin`).", body = ErrorBody),
    )
)]
#[delete("/buses/{bus}")]
pub(crate) async fn delete_bus(
    service: web::Data<BusService>,
    path: web::Path<String>,
) -> HandlerResult<HttpResponse> {
    service.delete_bus(&path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Query of the quarantine listing.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct QuarantineQuery {
    /// `nextCursor` of the previous page.
    after: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    limit: Option<usize>,
}

/// List a bus's quarantine.
///
/// Entries refused by the validation gate (`outcome: refused`) and entries accepted with
/// findings in `warn` mode (`outcome: warned`), oldest first. Bounded per bus
/// (`--quarantine-capacity`); the oldest entries are dropped first.
#[utoipa::path(
    tag = "buses",
    operation_id = "listQuarantine",
    params(("bus" = String, Path, description = "Bus name"), QuarantineQuery),
    responses(
        (status = 200, description = "A page of quarantined entries.", body = QuarantinePage),
        (status = 400, description = "Invalid name, limit or cursor.", body = ErrorBody),
        (status = 404, description = "No such bus.", body = ErrorBody),
    )
)]
#[get("/buses/{bus}/quarantine")]
pub(crate) async fn list_quarantine(
    service: web::Data<BusService>,
    path: web::Path<String>,
    query: web::Query<QuarantineQuery>,
) -> HandlerResult<web::Json<QuarantinePage>> {
    Ok(web::Json(service.list_quarantine(&path, query.after.as_deref(), query.limit)?))
}

/// Re-submit quarantined events.
///
/// After the contract or the producer is fixed: the refused events `ids` go through
/// PutEvents again, with their source, detail-type, detail, time and resources, as the
/// caller (a key whose publish grants list sources may re-submit only those; a key with no
/// publish grant on the bus gets `NotAuthorizedForSourceException` per entry). Accepted
/// entries leave the quarantine; entries refused again by the contract are quarantined
/// anew with the new reason (under a new id) and leave too; other refusals stay. Entries
/// accepted in `warn` mode were delivered already and are not re-submitted (`NotRefused`).
#[utoipa::path(
    tag = "buses",
    operation_id = "resubmitQuarantine",
    params(("bus" = String, Path, description = "Bus name")),
    request_body = ResubmitRequest,
    responses(
        (status = 200, description = "One result per id, in request order.", body = ResubmitResponse),
        (status = 400, description = "Invalid name or body (no ids, or too many).", body = ErrorBody),
        (status = 404, description = "No such bus.", body = ErrorBody),
    )
)]
#[post("/buses/{bus}/quarantine/resubmit")]
pub(crate) async fn resubmit_quarantine(
    service: web::Data<BusService>,
    path: web::Path<String>,
    allowed: Option<web::ReqData<super::access::AllowedSources>>,
    caller: Option<web::ReqData<super::access::Caller>>,
    body: ApiJson<ResubmitRequest>,
) -> HandlerResult<web::Json<ResubmitResponse>> {
    let allowed = allowed.and_then(|a| a.into_inner().0);
    // The re-submitting key is the producer the catalog counts (absent with `--auth off`).
    let producer = caller.map(|c| c.into_inner().0.name);
    Ok(web::Json(service.resubmit_quarantined(&path, body.0, allowed.as_deref(), producer.as_deref()).await?))
}
