//! `/subjects` and `/compatibility`.

use actix_web::{HttpRequest, web};

use super::body::{Query, deleted_only, flag, json, paged};
use super::{Answer, ok};
use crate::ccompat::{CcompatService, SchemaRequest};

type Service = web::Data<CcompatService>;

pub(super) async fn list_subjects(service: Service, query: Query) -> Answer {
    let prefix = query.get("subjectPrefix").map(String::as_str);
    let subjects = service.list_subjects(prefix, flag(&query, "deleted"), deleted_only(&query))?;
    Ok(ok(&paged(subjects, &query)?))
}

pub(super) async fn list_contexts(service: Service, query: Query) -> Answer {
    Ok(ok(&paged(service.list_contexts()?, &query)?))
}

pub(super) async fn lookup(
    service: Service,
    path: web::Path<String>,
    query: Query,
    req: HttpRequest,
    body: web::Bytes,
) -> Answer {
    let request: SchemaRequest = json(&req, &body)?;
    Ok(ok(&service.lookup(&path, &request, flag(&query, "deleted"))?))
}

pub(super) async fn register(
    service: Service,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Answer {
    let request: SchemaRequest = json(&req, &body)?;
    Ok(ok(&service.register(&path, request).await?))
}

pub(super) async fn delete_subject(service: Service, path: web::Path<String>, query: Query) -> Answer {
    Ok(ok(&service.delete_subject(&path, flag(&query, "permanent")).await?))
}

pub(super) async fn list_versions(service: Service, path: web::Path<String>, query: Query) -> Answer {
    let versions = service.list_versions(&path, flag(&query, "deleted"), deleted_only(&query))?;
    Ok(ok(&paged(versions, &query)?))
}

pub(super) async fn get_version(service: Service, path: web::Path<(String, String)>, query: Query) -> Answer {
    let (subject, version) = path.into_inner();
    Ok(ok(&service.get_version(&subject, &version, flag(&query, "deleted"))?))
}

pub(super) async fn get_raw_version(
    service: Service,
    path: web::Path<(String, String)>,
    query: Query,
) -> Answer {
    let (subject, version) = path.into_inner();
    let view = service.get_version(&subject, &version, flag(&query, "deleted"))?;
    Ok(super::schemas::raw(&view.schema))
}

pub(super) async fn referenced_by(
    service: Service,
    path: web::Path<(String, String)>,
    query: Query,
) -> Answer {
    let (subject, version) = path.into_inner();
    Ok(ok(&paged(service.referenced_by(&subject, &version)?, &query)?))
}

pub(super) async fn delete_version(
    service: Service,
    path: web::Path<(String, String)>,
    query: Query,
) -> Answer {
    let (subject, version) = path.into_inner();
    Ok(ok(&service.delete_version(&subject, &version, flag(&query, "permanent")).await?))
}

pub(super) async fn check_latest(
    service: Service,
    path: web::Path<String>,
    query: Query,
    req: HttpRequest,
    body: web::Bytes,
) -> Answer {
    let request: SchemaRequest = json(&req, &body)?;
    let service = service.into_inner();
    let verbose = flag(&query, "verbose");
    let subject = path.into_inner();
    // The checker is CPU work on possibly large schemas: off the actix workers.
    let view =
        web::block(move || service.check_compatibility(&subject, None, &request, verbose)).await.map_err(
            |_| crate::ccompat::CcError::new(500, 50001, "The check did not complete. Hint: retry."),
        )??;
    Ok(ok(&view))
}

pub(super) async fn check_version(
    service: Service,
    path: web::Path<(String, String)>,
    query: Query,
    req: HttpRequest,
    body: web::Bytes,
) -> Answer {
    let request: SchemaRequest = json(&req, &body)?;
    let service = service.into_inner();
    let verbose = flag(&query, "verbose");
    let (subject, version) = path.into_inner();
    let view = web::block(move || service.check_compatibility(&subject, Some(&version), &request, verbose))
        .await
        .map_err(|_| {
            crate::ccompat::CcError::new(500, 50001, "The check did not complete. Hint: retry.")
        })??;
    Ok(ok(&view))
}
