//! The Confluent Schema Registry REST API under `/ccompat` (docs/CONFLUENT-API.md).
//!
//! Thin handlers over [`crate::ccompat::CcompatService`]: parse the Confluent request
//! (three accepted media types, Confluent's boolean spellings), make one service call,
//! answer in `application/vnd.schemaregistry.v1+json`. Not part of the native OpenAPI
//! document: the Confluent API is Confluent's, and docs/CONFLUENT-API.md describes it.

mod body;
mod config;
mod schemas;
mod subjects;

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError, web};
use serde::Serialize;

use crate::ccompat::CcError;
use crate::error::ApiError;

/// The base path.
pub const BASE: &str = "/ccompat";

/// Confluent's response media type.
pub(crate) const MEDIA_TYPE: &str = "application/vnd.schemaregistry.v1+json";

impl ResponseError for CcError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let mut response = HttpResponse::build(self.status_code());
        if self.status == 507 {
            response.insert_header((
                header::RETRY_AFTER,
                HeaderValue::from(super::error::STORAGE_FULL_RETRY_SECONDS),
            ));
        }
        response
            .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE)))
            .body(serde_json::to_vec(&self.body()).unwrap_or_default())
    }
}

/// A native error (access control, payload limits) answered in Confluent's shape.
pub(crate) fn confluent_error(error: ApiError) -> HttpResponse {
    CcError::from(error).error_response()
}

/// 404 for a path no operation is at, as Confluent words it.
pub(crate) fn not_found() -> HttpResponse {
    CcError::new(404, 404, "HTTP 404 Not Found").error_response()
}

/// 405 for a path served with other methods (`allow`), as Confluent words it.
pub(crate) fn method_not_allowed(allow: &str) -> HttpResponse {
    let mut response = CcError::new(405, 405, "HTTP 405 Method Not Allowed").error_response();
    if let Ok(value) = HeaderValue::from_str(allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// A 200 answer in Confluent's media type.
pub(super) fn ok<T: Serialize>(value: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE)))
        .body(serde_json::to_vec(value).unwrap_or_default())
}

type Answer = Result<HttpResponse, CcError>;

/// Every route; the access table (`http/access.rs`) has a row for each.
pub fn scope() -> actix_web::Scope {
    web::scope(BASE)
        .route("", web::get().to(schemas::root))
        .route("/", web::get().to(schemas::root))
        .route("/v1/metadata/id", web::get().to(schemas::metadata_id))
        .route("/schemas/types", web::get().to(schemas::types))
        .route("/schemas", web::get().to(schemas::list_schemas))
        .route("/schemas/ids/{id}", web::get().to(schemas::get_by_id))
        .route("/schemas/ids/{id}/schema", web::get().to(schemas::get_raw_by_id))
        .route("/schemas/ids/{id}/subjects", web::get().to(schemas::subjects_of_id))
        .route("/schemas/ids/{id}/versions", web::get().to(schemas::versions_of_id))
        .route("/contexts", web::get().to(subjects::list_contexts))
        .route("/subjects", web::get().to(subjects::list_subjects))
        .route("/subjects/{subject}", web::post().to(subjects::lookup))
        .route("/subjects/{subject}", web::delete().to(subjects::delete_subject))
        .route("/subjects/{subject}/versions", web::get().to(subjects::list_versions))
        .route("/subjects/{subject}/versions", web::post().to(subjects::register))
        .route("/subjects/{subject}/versions/{version}", web::get().to(subjects::get_version))
        .route("/subjects/{subject}/versions/{version}", web::delete().to(subjects::delete_version))
        .route("/subjects/{subject}/versions/{version}/schema", web::get().to(subjects::get_raw_version))
        .route("/subjects/{subject}/versions/{version}/referencedby", web::get().to(subjects::referenced_by))
        .route("/compatibility/subjects/{subject}/versions", web::post().to(subjects::check_latest))
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            web::post().to(subjects::check_version),
        )
        .route("/config", web::get().to(config::get_global_config))
        .route("/config", web::put().to(config::set_global_config))
        .route("/config", web::delete().to(config::delete_global_config))
        .route("/config/{subject}", web::get().to(config::get_config))
        .route("/config/{subject}", web::put().to(config::set_config))
        .route("/config/{subject}", web::delete().to(config::delete_config))
        .route("/mode", web::get().to(config::get_global_mode))
        .route("/mode", web::put().to(config::set_global_mode))
        .route("/mode", web::delete().to(config::delete_global_mode))
        .route("/mode/{subject}", web::get().to(config::get_mode))
        .route("/mode/{subject}", web::put().to(config::set_mode))
        .route("/mode/{subject}", web::delete().to(config::delete_mode))
}
