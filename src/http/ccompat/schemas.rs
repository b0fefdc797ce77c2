//! `/schemas`, `/schemas/ids/{id}`, and the probes clients send (`/`, `/v1/metadata/id`).

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};

use super::body::{Query, flag, paged};
use super::{Answer, MEDIA_TYPE, ok};
use crate::ccompat::{CcError, CcompatService};

type Service = web::Data<CcompatService>;

/// A stored schema document as the body itself (the `/schema` sub-resources).
pub(super) fn raw(schema: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE)))
        .body(schema.to_owned())
}

fn id_of(raw: &str) -> Result<u32, CcError> {
    raw.parse::<u32>()
        .ok()
        .filter(|id| *id >= 1)
        .ok_or_else(|| CcError::schema_not_found(format!("Schema {raw} not found.")))
}

pub(super) async fn root() -> HttpResponse {
    ok(&serde_json::json!({}))
}

pub(super) async fn metadata_id() -> HttpResponse {
    ok(&serde_json::json!({
        "scope": {"path": [], "clusters": {"schema-registry-cluster": "schemabus"}}
    }))
}

pub(super) async fn types() -> HttpResponse {
    ok(&["JSON"])
}

pub(super) async fn list_schemas(service: Service, query: Query) -> Answer {
    let prefix = query.get("subjectPrefix").map(String::as_str);
    let schemas = service.list_schemas(prefix, flag(&query, "deleted"), flag(&query, "latestOnly"))?;
    Ok(ok(&paged(schemas, &query)?))
}

pub(super) async fn get_by_id(service: Service, path: web::Path<String>, query: Query) -> Answer {
    let id = id_of(&path)?;
    Ok(ok(&service.schema_by_id(id, query.get("subject").map(String::as_str))?))
}

pub(super) async fn get_raw_by_id(service: Service, path: web::Path<String>, query: Query) -> Answer {
    let id = id_of(&path)?;
    Ok(raw(&service.schema_by_id(id, query.get("subject").map(String::as_str))?.schema))
}

pub(super) async fn subjects_of_id(service: Service, path: web::Path<String>, query: Query) -> Answer {
    let id = id_of(&path)?;
    let subjects =
        service.subjects_of_id(id, query.get("subject").map(String::as_str), flag(&query, "deleted"))?;
    Ok(ok(&paged(subjects, &query)?))
}

pub(super) async fn versions_of_id(service: Service, path: web::Path<String>, query: Query) -> Answer {
    let id = id_of(&path)?;
    let versions =
        service.versions_of_id(id, query.get("subject").map(String::as_str), flag(&query, "deleted"))?;
    Ok(ok(&paged(versions, &query)?))
}
