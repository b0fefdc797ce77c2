//! `/v1/buses/{bus}/replays` and `/v1/replays/{name}`: replaying an archive's window.

use actix_web::{HttpResponse, get, post, web};

use super::error::HandlerResult;
use super::extract::ApiJson;
use crate::bus::BusService;
use crate::bus::replays::StartReplayRequest;
use crate::error::ErrorBody;
use crate::model::ReplayRecord;

/// Start a replay.
///
/// Replays the archived events whose event time is in `[startTime, endTime)` to the
/// bus's rules (only `rules`, when given), in the background. Replayed events carry
/// `"replay-name"` and are never archived again. Follow progress with
/// `GET /v1/replays/{name}`.
#[utoipa::path(
    tag = "replays",
    operation_id = "startReplay",
    params(("bus" = String, Path, description = "Bus name")),
    request_body = StartReplayRequest,
    responses(
        (status = 202, description = "Started (state STARTING).", body = ReplayRecord, links(
            ("GetReplay" = (operation_id = "getReplay", parameters(("name" = "$response.body#/name")))),
            ("CancelReplay" = (operation_id = "cancelReplay", parameters(("name" = "$response.body#/name")))),
        )),
        (status = 400, description = "Malformed body, invalid name or times.", body = ErrorBody),
        (status = 404, description = "No such bus, archive or rule.", body = ErrorBody),
        (status = 409, description = "A replay with this name exists (`replay_exists`).", body = ErrorBody),
    )
)]
#[post("/buses/{bus}/replays")]
pub(crate) async fn start_replay(
    service: web::Data<BusService>,
    path: web::Path<String>,
    ApiJson(request): ApiJson<StartReplayRequest>,
) -> HandlerResult<HttpResponse> {
    let record = service.start_replay(&path, request).await?;
    Ok(HttpResponse::Accepted().json(record))
}

/// Get a replay.
///
/// State (STARTING, RUNNING, COMPLETED, CANCELLED, FAILED) and progress
/// (`eventsReplayed` of `eventsTotal`, `lastReplayedTime`).
#[utoipa::path(
    tag = "replays",
    operation_id = "getReplay",
    params(("name" = String, Path, description = "Replay name")),
    responses(
        (status = 200, description = "The replay.", body = ReplayRecord),
        (status = 400, description = "Invalid name.", body = ErrorBody),
        (status = 404, description = "No such replay.", body = ErrorBody),
    )
)]
#[get("/replays/{name}")]
pub(crate) async fn get_replay(
    service: web::Data<BusService>,
    path: web::Path<String>,
) -> HandlerResult<web::Json<ReplayRecord>> {
    Ok(web::Json(service.get_replay(&path)?))
}

/// Cancel a replay.
///
/// Stops a STARTING or RUNNING replay after the event in progress; events already
/// replayed stay delivered.
#[utoipa::path(
    tag = "replays",
    operation_id = "cancelReplay",
    params(("name" = String, Path, description = "Replay name")),
    responses(
        (status = 200, description = "Cancelled.", body = ReplayRecord),
        (status = 400, description = "Invalid name.", body = ErrorBody),
        (status = 404, description = "No such replay.", body = ErrorBody),
        (status = 409, description = "The replay has ended (`replay_not_cancellable`).", body = ErrorBody),
    )
)]
#[post("/replays/{name}/cancel")]
pub(crate) async fn cancel_replay(
    service: web::Data<BusService>,
    path: web::Path<String>,
) -> HandlerResult<web::Json<ReplayRecord>> {
    Ok(web::Json(service.cancel_replay(&path).await?))
}
