//! `GET /metrics`: Prometheus text format.

use actix_web::{HttpResponse, get, web};

use crate::bus::BusService;

/// Metrics in Prometheus format.
///
/// Events accepted, refused and warned per bus and reason, rule matches, dropped
/// deliveries, queue depths, validation and PutEvents latency histograms.
#[utoipa::path(
    tag = "metrics",
    operation_id = "getMetrics",
    responses((status = 200, description = "Prometheus text exposition.", content_type = "text/plain", body = String))
)]
#[get("/metrics")]
pub(crate) async fn metrics(service: web::Data<BusService>) -> HttpResponse {
    let text = web::block(move || service.render_metrics()).await.unwrap_or_default();
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(text)
}
