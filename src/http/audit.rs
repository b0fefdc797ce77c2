//! `GET /v1/audit`: the audit trail of writes (admin only).

use actix_web::{get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::access::Access;
use super::error::HandlerResult;
use crate::error::ErrorBody;
use crate::model::AuditPage;

/// Query of the audit listing.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// `nextCursor` of the previous page: only older records.
    before: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    limit: Option<usize>,
}

/// List the audit trail.
///
/// Every successful write through the API (registries, schemas, versions, compatibility
/// settings, buses, rules, queues, discovery settings, keys) with the key that made it,
/// newest first. The same records are published on the `default` bus as
/// `schemabus.audit` / `Write Audited` events.
#[utoipa::path(
    tag = "audit",
    operation_id = "listAudit",
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of records, newest first.", body = AuditPage),
        (status = 400, description = "Invalid limit or cursor.", body = ErrorBody),
    )
)]
#[get("/audit")]
pub(crate) async fn list_audit(
    access: web::Data<Access>,
    query: web::Query<AuditQuery>,
) -> HandlerResult<web::Json<AuditPage>> {
    Ok(web::Json(access.audit.list(query.before.as_deref(), query.limit).await?))
}
