//! `/v1/buses/{bus}/events/{eventId}/trace`: where an event went.

use actix_web::{get, web};

use super::error::HandlerResult;
use crate::bus::BusService;
use crate::delivery::traces::EventTrace;
use crate::error::ErrorBody;

/// Trace an event's delivery.
///
/// Which rules matched, which targets the event went to, every webhook attempt with its
/// outcome, and where each delivery ended (enqueued, forwarded, pending, delivered,
/// deadLettered, dropped). Kept for `--trace-window-seconds`; see docs/DELIVERY.md#traces
/// for what survives a restart.
#[utoipa::path(
    tag = "traces",
    operation_id = "getEventTrace",
    params(("bus" = String, Path, description = "Bus name"), ("eventId" = String, Path, description = "Event id (from PutEvents)")),
    responses(
        (status = 200, description = "The trace.", body = EventTrace),
        (status = 400, description = "Invalid name.", body = ErrorBody),
        (status = 404, description = "No such bus, or no trace kept for this event (`trace_not_found`).", body = ErrorBody),
    )
)]
#[get("/buses/{bus}/events/{eventId}/trace")]
pub(crate) async fn get_event_trace(
    service: web::Data<BusService>,
    path: web::Path<(String, String)>,
) -> HandlerResult<web::Json<EventTrace>> {
    let (bus, event_id) = path.into_inner();
    Ok(web::Json(service.trace(&bus, &event_id)?))
}
