//! How errors become HTTP responses: every failure, ours or actix's, leaves as the one
//! JSON error body.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};

use crate::error::{ApiError, Code};

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let mut res = HttpResponse::build(self.status_code());
        // A retryable refusal (rate limit, load shedding, a full disk) says when to retry.
        let seconds = self
            .details
            .as_ref()
            .and_then(|d| d.get("retryAfterSeconds"))
            .and_then(serde_json::Value::as_u64)
            .or((self.code == Code::StorageFull).then_some(u64::from(STORAGE_FULL_RETRY_SECONDS)));
        if let Some(seconds) = seconds {
            res.insert_header((header::RETRY_AFTER, HeaderValue::from(seconds)));
        }
        res.json(self.body())
    }
}

/// `Retry-After` of a `storage_full` answer.
pub(crate) const STORAGE_FULL_RETRY_SECONDS: u32 = 5;

/// The code for an error status produced outside our handlers (routing, actix itself).
fn code_for_status(status: StatusCode) -> Code {
    match status.as_u16() {
        404 => Code::RouteNotFound,
        405 => Code::MethodNotAllowed,
        413 => Code::PayloadTooLarge,
        415 => Code::UnsupportedMediaType,
        400..=499 => Code::InvalidRequest,
        _ => Code::Internal,
    }
}

fn message_for(code: Code) -> &'static str {
    match code {
        Code::RouteNotFound => {
            "No operation exists at this path. Hint: see GET /openapi.json or /docs for the API."
        }
        Code::MethodNotAllowed => {
            "This path does not accept this HTTP method. Hint: see GET /openapi.json for the allowed methods."
        }
        Code::PayloadTooLarge => {
            "The request body is larger than the configured limit. Hint: send less, or raise --max-body-bytes."
        }
        Code::UnsupportedMediaType => "The content type is not accepted. Hint: send application/json.",
        Code::Internal => "An unexpected failure. Hint: the service log has the cause.",
        _ => "The request is not valid. Hint: see GET /openapi.json for the expected shape.",
    }
}

/// Middleware hook: replaces any error response that is not already our JSON body
/// (actix's own 404, 405, payload errors) with the standard body.
pub(crate) fn normalise_error_body<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let ccompat =
        res.request().path() == super::ccompat::BASE || res.request().path().starts_with("/ccompat/");
    let content_type = res.response().headers().get(header::CONTENT_TYPE).map(|v| v.as_bytes().to_vec());
    let ours = content_type.as_deref().is_some_and(|v| {
        if ccompat {
            v.starts_with(super::ccompat::MEDIA_TYPE.as_bytes())
        } else {
            v.starts_with(b"application/json")
        }
    });
    if ours {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let code = code_for_status(status);
    let (bytes, media) = if ccompat {
        // Confluent clients parse `{"error_code", "message"}` only, and Confluent words its
        // routing errors as Jersey does.
        let message = match code {
            Code::RouteNotFound => "HTTP 404 Not Found",
            Code::MethodNotAllowed => "HTTP 405 Method Not Allowed",
            _ => message_for(code),
        };
        let error = crate::ccompat::CcError::from(ApiError::new(code, message));
        (serde_json::to_vec(&error.body()).unwrap_or_default(), super::ccompat::MEDIA_TYPE)
    } else {
        (
            serde_json::to_vec(&ApiError::new(code, message_for(code)).body()).unwrap_or_default(),
            "application/json",
        )
    };
    let (req, mut response) = res.into_parts();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    let response = response.set_body(bytes).map_into_boxed_body();
    let res = ServiceResponse::new(req, response).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(res))
}

/// Convenience alias for handlers' results.
pub(crate) type HandlerResult<T> = Result<T, ApiError>;
