//! `GET /schemas/{name}`: the JSON Schemas the service owns (`schemas/` in the repository),
//! embedded in the binary so clients can validate what the service sends them.

use actix_web::{HttpResponse, get, web};

use super::error::HandlerResult;
use crate::error::{ApiError, Code, ErrorBody};

/// The owned schemas: file name and contents.
pub(crate) const OWNED: &[(&str, &str)] = &[
    ("error-body.schema.json", include_str!("../../schemas/error-body.schema.json")),
    // The contracts-as-code project file, so editors can fetch it from a running service.
    ("project.schema.json", include_str!("../../schemas/project.schema.json")),
];

/// Get a JSON Schema the service owns.
///
/// For example `error-body.schema.json`, the schema of every error response.
#[utoipa::path(
    tag = "health",
    operation_id = "getOwnedSchema",
    params(("name" = String, Path, description = "File name, e.g. `error-body.schema.json`")),
    responses(
        (status = 200, description = "The JSON Schema.", body = Object),
        (status = 404, description = "No such schema (`route_not_found`).", body = ErrorBody),
    )
)]
#[get("/schemas/{name}")]
pub(crate) async fn get_owned_schema(name: web::Path<String>) -> HandlerResult<HttpResponse> {
    let (_, text) = OWNED.iter().find(|(n, _)| *n == name.as_str()).ok_or_else(|| {
        ApiError::new(
            Code::RouteNotFound,
            format!("No owned schema is named '{name}'. Hint: try error-body.schema.json."),
        )
    })?;
    Ok(HttpResponse::Ok().content_type("application/schema+json").body(*text))
}
