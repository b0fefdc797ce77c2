//! Liveness and readiness probes.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::HandlerResult;
use crate::error::ErrorBody;
use crate::registry::RegistryService;

/// Probe answer.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProbeStatus {
    /// `ok` or `ready`.
    status: &'static str,
    /// Readiness only: which store holds the registry, `sled` (embedded) or `postgres`
    /// (cluster mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    registry: Option<&'static str>,
}

/// Liveness probe.
///
/// Answers 200 while the process serves requests.
#[utoipa::path(
    tag = "health",
    operation_id = "healthz",
    responses((status = 200, description = "The process is alive.", body = ProbeStatus))
)]
#[get("/healthz")]
pub(crate) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(ProbeStatus { status: "ok", registry: None })
}

/// Readiness probe.
///
/// Answers 200 when the storage is open and a write to it can be flushed.
#[utoipa::path(
    tag = "health",
    operation_id = "readyz",
    responses(
        (status = 200, description = "Storage is open and writable.", body = ProbeStatus),
        (status = 503, description = "Storage is not writable (`storage_unavailable`).", body = ErrorBody),
    )
)]
#[get("/readyz")]
pub(crate) async fn readyz(service: web::Data<RegistryService>) -> HandlerResult<HttpResponse> {
    service.probe().await.map_err(|e| {
        tracing::error!(error = %e, "readiness probe failed");
        crate::error::ApiError::new(
            crate::error::Code::StorageUnavailable,
            "The storage is not writable. Hint: check disk space, the database in cluster mode, and the service log.",
        )
    })?;
    Ok(HttpResponse::Ok().json(ProbeStatus { status: "ready", registry: Some(service.backend()) }))
}
