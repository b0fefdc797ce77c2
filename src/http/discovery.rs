//! Discovery on live traffic: `/v1/buses/{bus}/discovery` (settings and counters) and
//! `/v1/discovery/hints/{schema}` (hints of a discovered schema).

use actix_web::{get, put, web};

use super::error::HandlerResult;
use super::extract::ApiJson;
use crate::discovery::{DiscoveryConfigRequest, DiscoveryService, DiscoveryStatus, HintsDocument};
use crate::error::ErrorBody;

/// Set a bus's discovery.
///
/// Turns sampling of the bus's events on or off and sets the share sampled (`sampleRate`,
/// 0 to 1, default 1). Sampled events, refused ones included, are inferred in the
/// background into `discovered-schemas` as `<source>@<DetailType>`. Answers with the
/// settings and counters.
#[utoipa::path(
    tag = "discovery",
    operation_id = "putBusDiscovery",
    params(("bus" = String, Path, description = "Bus name")),
    request_body = DiscoveryConfigRequest,
    responses(
        (status = 200, description = "The settings and counters.", body = DiscoveryStatus),
        (status = 400, description = "Malformed body, invalid name, or sampleRate outside 0..1.", body = ErrorBody),
        (status = 404, description = "No such bus (`bus_not_found`).", body = ErrorBody),
        (status = 413, description = "Body over the size limit.", body = ErrorBody),
    )
)]
#[put("/buses/{bus}/discovery")]
pub(crate) async fn put_bus_discovery(
    service: web::Data<DiscoveryService>,
    path: web::Path<String>,
    ApiJson(request): ApiJson<DiscoveryConfigRequest>,
) -> HandlerResult<web::Json<DiscoveryStatus>> {
    Ok(web::Json(service.configure(&path, request).await?))
}

/// Get a bus's discovery.
///
/// The settings and the counters since the service started: sampled, dropped (queue
/// full), inferred, versions created, drift events, last error.
#[utoipa::path(
    tag = "discovery",
    operation_id = "getBusDiscovery",
    params(("bus" = String, Path, description = "Bus name")),
    responses(
        (status = 200, description = "The settings and counters.", body = DiscoveryStatus),
        (status = 400, description = "Invalid name.", body = ErrorBody),
        (status = 404, description = "No such bus (`bus_not_found`).", body = ErrorBody),
    )
)]
#[get("/buses/{bus}/discovery")]
pub(crate) async fn get_bus_discovery(
    service: web::Data<DiscoveryService>,
    path: web::Path<String>,
) -> HandlerResult<web::Json<DiscoveryStatus>> {
    Ok(web::Json(service.status(&path)?))
}

/// Set a discovered schema's hints.
///
/// Replaces the hints (`map`, `record`, `enum`, `closed`: JSON Pointers into the sampled
/// `detail` documents) of the discovered schema `schema` (`source@DetailType`). They
/// persist across versions, override the heuristics, and may be set before the type is
/// first seen; a type already seen is derived again (a new version if that changes it).
#[utoipa::path(
    tag = "discovery",
    operation_id = "putDiscoveryHints",
    params(("schema" = String, Path, description = "Discovered schema name (`source@DetailType`)")),
    request_body = HintsDocument,
    responses(
        (status = 200, description = "The stored hints.", body = HintsDocument),
        (status = 400, description = "Malformed body or invalid name.", body = ErrorBody),
        (status = 413, description = "Body over the size limit.", body = ErrorBody),
    )
)]
#[put("/discovery/hints/{schema}")]
pub(crate) async fn put_hints(
    service: web::Data<DiscoveryService>,
    path: web::Path<String>,
    ApiJson(hints): ApiJson<HintsDocument>,
) -> HandlerResult<web::Json<HintsDocument>> {
    Ok(web::Json(service.set_hints(&path, hints).await?))
}

/// Get a discovered schema's hints.
///
/// The hints in force for `schema` (all lists empty when none were set).
#[utoipa::path(
    tag = "discovery",
    operation_id = "getDiscoveryHints",
    params(("schema" = String, Path, description = "Discovered schema name (`source@DetailType`)")),
    responses(
        (status = 200, description = "The hints.", body = HintsDocument),
        (status = 400, description = "Invalid name.", body = ErrorBody),
    )
)]
#[get("/discovery/hints/{schema}")]
pub(crate) async fn get_hints(
    service: web::Data<DiscoveryService>,
    path: web::Path<String>,
) -> HandlerResult<web::Json<HintsDocument>> {
    Ok(web::Json(service.hints(&path)?))
}
