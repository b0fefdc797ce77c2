//! `/v1/buses/{bus}/archives`: archives of a bus's accepted events.

use actix_web::{HttpResponse, delete, get, put, web};

use super::error::HandlerResult;
use super::extract::ApiJson;
use crate::archive::{ArchiveList, ArchiveView, PutArchiveRequest};
use crate::bus::BusService;
use crate::error::ErrorBody;

/// Create or replace an archive.
///
/// From now on, every event accepted on the bus that matches `pattern` (every event when
/// it is absent) is stored as it was accepted, for `retentionDays` days of event time
/// (0: forever). Replacing an archive keeps its events. Replayed events are never archived.
#[utoipa::path(
    tag = "archives",
    operation_id = "putArchive",
    params(("bus" = String, Path, description = "Bus name"), ("archive" = String, Path, description = "Archive name")),
    request_body = PutArchiveRequest,
    responses(
        (status = 200, description = "The archive with its counts.", body = ArchiveView, links(
            ("GetArchive" = (operation_id = "getArchive", parameters(("bus" = "$response.body#/bus"), ("archive" = "$response.body#/name")))),
        )),
        (status = 400, description = "Malformed body, invalid name, or invalid pattern (`invalid_pattern`).", body = ErrorBody),
        (status = 404, description = "No such bus.", body = ErrorBody),
    )
)]
#[put("/buses/{bus}/archives/{archive}")]
pub(crate) async fn put_archive(
    service: web::Data<BusService>,
    path: web::Path<(String, String)>,
    ApiJson(request): ApiJson<PutArchiveRequest>,
) -> HandlerResult<web::Json<ArchiveView>> {
    let (bus, archive) = path.into_inner();
    Ok(web::Json(service.put_archive(&bus, &archive, request).await?))
}

/// Get an archive.
///
/// Its settings with `eventCount` and `sizeBytes` (bytes of the archived events' JSON).
#[utoipa::path(
    tag = "archives",
    operation_id = "getArchive",
    params(("bus" = String, Path, description = "Bus name"), ("archive" = String, Path, description = "Archive name")),
    responses(
        (status = 200, description = "The archive.", body = ArchiveView),
        (status = 400, description = "Invalid name.", body = ErrorBody),
        (status = 404, description = "No such bus or archive.", body = ErrorBody),
    )
)]
#[get("/buses/{bus}/archives/{archive}")]
pub(crate) async fn get_archive(
    service: web::Data<BusService>,
    path: web::Path<(String, String)>,
) -> HandlerResult<web::Json<ArchiveView>> {
    let (bus, archive) = path.into_inner();
    Ok(web::Json(service.get_archive(&bus, &archive)?))
}

/// List a bus's archives.
///
/// Every archive of the bus in name order, with counts.
#[utoipa::path(
    tag = "archives",
    operation_id = "listArchives",
    params(("bus" = String, Path, description = "Bus name")),
    responses(
        (status = 200, description = "The archives.", body = ArchiveList),
        (status = 400, description = "Invalid name.", body = ErrorBody),
        (status = 404, description = "No such bus.", body = ErrorBody),
    )
)]
#[get("/buses/{bus}/archives")]
pub(crate) async fn list_archives(
    service: web::Data<BusService>,
    path: web::Path<String>,
) -> HandlerResult<web::Json<ArchiveList>> {
    Ok(web::Json(service.list_archives(&path)?))
}

/// Delete an archive.
///
/// The archive and every event it holds.
#[utoipa::path(
    tag = "archives",
    operation_id = "deleteArchive",
    params(("bus" = String, Path, description = "Bus name"), ("archive" = String, Path, description = "Archive name")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "Invalid name.", body = ErrorBody),
        (status = 404, description = "No such bus or archive.", body = ErrorBody),
    )
)]
#[delete("/buses/{bus}/archives/{archive}")]
pub(crate) async fn delete_archive(
    service: web::Data<BusService>,
    path: web::Path<(String, String)>,
) -> HandlerResult<HttpResponse> {
    let (bus, archive) = path.into_inner();
    service.delete_archive(&bus, &archive).await?;
    Ok(HttpResponse::NoContent().finish())
}
