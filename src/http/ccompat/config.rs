//! `/config` and `/mode`.

use actix_web::{HttpRequest, web};

use super::body::{Query, flag, json};
use super::{Answer, ok};
use crate::ccompat::{CcompatService, ConfigRequest, ModeRequest};

type Service = web::Data<CcompatService>;

pub(super) async fn get_global_config(service: Service) -> Answer {
    Ok(ok(&service.get_config(None, true)?))
}

pub(super) async fn set_global_config(service: Service, req: HttpRequest, body: web::Bytes) -> Answer {
    let request: ConfigRequest = json(&req, &body)?;
    Ok(ok(&service.set_config(None, &request).await?))
}

pub(super) async fn delete_global_config(service: Service) -> Answer {
    Ok(ok(&service.delete_config(None).await?))
}

pub(super) async fn get_config(service: Service, path: web::Path<String>, query: Query) -> Answer {
    Ok(ok(&service.get_config(Some(&path), flag(&query, "defaultToGlobal"))?))
}

pub(super) async fn set_config(
    service: Service,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Answer {
    let request: ConfigRequest = json(&req, &body)?;
    Ok(ok(&service.set_config(Some(&path), &request).await?))
}

pub(super) async fn delete_config(service: Service, path: web::Path<String>) -> Answer {
    Ok(ok(&service.delete_config(Some(&path)).await?))
}

pub(super) async fn get_global_mode(service: Service) -> Answer {
    Ok(ok(&service.get_mode(None, true)?))
}

pub(super) async fn set_global_mode(
    service: Service,
    query: Query,
    req: HttpRequest,
    body: web::Bytes,
) -> Answer {
    let request: ModeRequest = json(&req, &body)?;
    Ok(ok(&service.set_mode(None, &request.mode, flag(&query, "force")).await?))
}

pub(super) async fn delete_global_mode(service: Service) -> Answer {
    Ok(ok(&service.delete_global_mode().await?))
}

pub(super) async fn get_mode(service: Service, path: web::Path<String>, query: Query) -> Answer {
    Ok(ok(&service.get_mode(Some(&path), flag(&query, "defaultToGlobal"))?))
}

pub(super) async fn set_mode(
    service: Service,
    path: web::Path<String>,
    query: Query,
    req: HttpRequest,
    body: web::Bytes,
) -> Answer {
    let request: ModeRequest = json(&req, &body)?;
    Ok(ok(&service.set_mode(Some(&path), &request.mode, flag(&query, "force")).await?))
}

pub(super) async fn delete_mode(service: Service, path: web::Path<String>) -> Answer {
    Ok(ok(&service.delete_mode(&path).await?))
}
