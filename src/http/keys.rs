//! `/v1/keys`: API keys (admin only). A key is shown once, in the answer that creates it.

use actix_web::{HttpResponse, delete, get, post, web};

use super::access::Access;
use super::error::HandlerResult;
use super::extract::ApiJson;
use crate::error::ErrorBody;
use crate::model::{CreateKeyRequest, CreatedAwsCredentials, CreatedKey, KeyList};

/// Create an API key.
///
/// Returns the key once, as `{"name", "key"}`: store it, it cannot be read again (only
/// its SHA-256 digest is kept). Grants are listed in docs/SECURITY.md.
#[utoipa::path(
    tag = "keys",
    operation_id = "createKey",
    request_body = CreateKeyRequest,
    responses(
        (status = 201, description = "The key, shown this once.", body = CreatedKey, links(
            ("RevokeKey" = (operation_id = "revokeKey", parameters(("key" = "$response.body#/name")))),
        )),
        (status = 400, description = "Malformed body, invalid name, no grants, or an invalid grant (`invalid_grant`, with a JSON Pointer).", body = ErrorBody),
        (status = 409, description = "A key of that name exists (`key_exists`).", body = ErrorBody),
    )
)]
#[post("/keys")]
pub(crate) async fn create_key(
    access: web::Data<Access>,
    ApiJson(request): ApiJson<CreateKeyRequest>,
) -> HandlerResult<HttpResponse> {
    Ok(HttpResponse::Created().json(access.keys.create(&request.name, request.grants).await?))
}

/// List API keys.
///
/// Names, grants, creation times and the first characters of each key; never the keys.
#[utoipa::path(
    tag = "keys",
    operation_id = "listKeys",
    responses(
        (status = 200, description = "Every key, in name order.", body = KeyList),
        (status = 400, description = "Never sent; listed because every operation documents its client errors.", body = ErrorBody),
    )
)]
#[get("/keys")]
pub(crate) async fn list_keys(access: web::Data<Access>) -> HandlerResult<web::Json<KeyList>> {
    Ok(web::Json(access.keys.list()?))
}

/// Revoke an API key.
///
/// Takes effect on the next request made with it (keys are not cached).
#[utoipa::path(
    tag = "keys",
    operation_id = "revokeKey",
    params(("key" = String, Path, description = "Key name")),
    responses(
        (status = 204, description = "Revoked."),
        (status = 400, description = "Invalid name.", body = ErrorBody),
        (status = 404, description = "No key of that name (`key_not_found`).", body = ErrorBody),
        (status = 409, description = "The last key with the admin grant (`last_admin_key`).", body = ErrorBody),
    )
)]
#[delete("/keys/{key}")]
pub(crate) async fn revoke_key(
    access: web::Data<Access>,
    path: web::Path<String>,
) -> HandlerResult<HttpResponse> {
    access.keys.revoke(&path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Create AWS credentials for an API key.
///
/// Returns an access key id and a secret access key, once: store the secret, it cannot
/// be read again (it is kept sealed with the master key, docs/AWS-API.md#credentials).
/// Requests signed with them (SigV4) on `--aws-listen` act with the key's grants;
/// revoking the key revokes them. A key may hold several.
#[utoipa::path(
    tag = "keys",
    operation_id = "createAwsCredentials",
    params(("key" = String, Path, description = "Key name")),
    responses(
        (status = 201, description = "The credentials, the secret shown this once.", body = CreatedAwsCredentials),
        (status = 400, description = "Invalid name.", body = ErrorBody),
        (status = 404, description = "No key of that name (`key_not_found`).", body = ErrorBody),
    )
)]
#[post("/keys/{key}/aws-credentials")]
pub(crate) async fn create_aws_credentials(
    access: web::Data<Access>,
    path: web::Path<String>,
) -> HandlerResult<HttpResponse> {
    Ok(HttpResponse::Created().json(access.aws.create(&path).await?))
}
