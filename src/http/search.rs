//! `/v1/search`: find schemas by words.

use actix_web::{get, web};

use super::error::HandlerResult;
use crate::error::ErrorBody;
use crate::registry::{RegistryService, SearchQuery, SearchResults};

/// Search schemas.
///
/// Finds schemas whose name, description or content holds every word of `q`
/// (case-insensitive), and lists the versions that match.
#[utoipa::path(
    tag = "schemas",
    operation_id = "searchSchemas",
    params(SearchQuery),
    responses(
        (status = 200, description = "Matching schemas.", body = SearchResults),
        (status = 400, description = "Missing `q`, bad registry name or limit.", body = ErrorBody),
        (status = 404, description = "The registry filter names no registry.", body = ErrorBody),
    )
)]
#[get("/search")]
pub(crate) async fn search_schemas(
    service: web::Data<RegistryService>,
    query: web::Query<SearchQuery>,
) -> HandlerResult<web::Json<SearchResults>> {
    Ok(web::Json(service.search(&query)?))
}
