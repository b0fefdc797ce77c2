//! `POST /v1/buses/{bus}/events`: PutEvents.

use actix_web::{post, web};

use super::error::HandlerResult;
use super::extract::{ApiBytes, parse_json};
use crate::bus::BusService;
use crate::bus::requests::{PutEventsRequest, PutEventsResponse};
use crate::error::ErrorBody;

/// Put events on a bus.
///
/// Each entry becomes an EventBridge envelope, passes the bus's validation gate, and is
/// routed by its rules. Entries are independent: the answer has one result per entry in
/// request order (`eventId`, or `errorCode`/`errorMessage`/`errors`). With
/// `--durability strict` (the default) the answer is sent only after every accepted
/// event and the queue messages it produced are on disk.
#[utoipa::path(
    tag = "events",
    operation_id = "putEvents",
    params(("bus" = String, Path, description = "Bus name")),
    request_body = PutEventsRequest<'_>,
    responses(
        (status = 200, description = "Per-entry results; an entry whose `source` the key may not publish fails alone with `NotAuthorizedForSourceException`.", body = PutEventsResponse),
        (status = 400, description = "Malformed body, no entries, or too many (`too_many_entries`).", body = ErrorBody),
        (status = 404, description = "No such bus.", body = ErrorBody),
        (status = 413, description = "Body over the size limit, or entries over the entry-size limit (`entries_too_large`).", body = ErrorBody),
    )
)]
#[post("/buses/{bus}/events")]
pub(crate) async fn put_events(
    service: web::Data<BusService>,
    path: web::Path<String>,
    allowed: Option<web::ReqData<super::access::AllowedSources>>,
    caller: Option<web::ReqData<super::access::Caller>>,
    ApiBytes(body): ApiBytes,
) -> HandlerResult<web::Json<PutEventsResponse>> {
    // Taken before the parse, so a group commit under way waits for this request too.
    let writer = service.preparing_events();
    let request: PutEventsRequest<'_> = parse_json(&body)?;
    // Set by the access middleware when the caller's key may publish only some sources.
    let allowed = allowed.and_then(|a| a.into_inner().0);
    // The producing key, for the catalog's counters (absent with `--auth off`).
    let producer = caller.map(|c| c.into_inner().0.name);
    Ok(web::Json(
        service.put_events_prepared(&path, request, allowed.as_deref(), writer, producer.as_deref()).await?,
    ))
}
