//! PURE checks of connection and API destination fields (EventBridge's limits).

use serde_json::json;

use super::Credentials;
use crate::error::{ApiError, ApiResult, Code};
use crate::model::ApiDestinationRecord;

/// EventBridge's default invocation rate of an API destination.
pub const DEFAULT_RATE_LIMIT: u32 = 300;

fn bad(member: &str, message: String) -> ApiError {
    ApiError::new(Code::InvalidRequest, message).with_details(json!({"member": member}))
}

/// A connection or API destination name: `[.\-_A-Za-z0-9]{1,64}`.
///
/// # Errors
/// `invalid_name`.
pub fn check_name(kind: &str, name: &str) -> ApiResult<()> {
    crate::bus::check_name(kind, name)
}

/// A description of at most 512 characters.
///
/// # Errors
/// `invalid_request`.
pub fn description(d: Option<&str>) -> ApiResult<()> {
    match d {
        Some(d) if d.chars().count() > 512 => {
            Err(bad("Description", "Description is longer than 512 characters.".into()))
        }
        _ => Ok(()),
    }
}

/// User or header name and secret: 1–512 characters, no control characters (they end
/// up in a request header).
///
/// # Errors
/// `invalid_request`.
pub fn credentials(c: &Credentials) -> ApiResult<()> {
    for (member, value) in [("principal", &c.principal), ("secret", &c.secret)] {
        if value.is_empty() || value.chars().count() > 512 || value.chars().any(char::is_control) {
            return Err(bad(
                member,
                format!("The connection's {member} must be 1 to 512 characters without control characters."),
            ));
        }
    }
    Ok(())
}

/// An `http(s)` URL of at most 2048 characters.
///
/// # Errors
/// `invalid_request`.
pub fn endpoint(url: &str) -> ApiResult<()> {
    let ok = url.len() <= 2048
        && (url.starts_with("https://") || url.starts_with("http://"))
        && url::Url::parse(url).is_ok_and(|u| u.host().is_some());
    if ok {
        Ok(())
    } else {
        Err(bad(
            "InvocationEndpoint",
            format!("InvocationEndpoint '{url}' is not an http(s) URL of at most 2048 characters."),
        ))
    }
}

/// The methods webhook targets have.
///
/// # Errors
/// `invalid_request` for the others (GET, HEAD, OPTIONS, DELETE: not served yet).
pub fn method(m: &str) -> ApiResult<String> {
    match m {
        "POST" | "PUT" | "PATCH" => Ok(m.to_owned()),
        "GET" | "HEAD" | "OPTIONS" | "DELETE" => Err(bad(
            "HttpMethod",
            format!(
                "HttpMethod {m} is not supported by schemabus yet: API destinations send the event as a body (POST, PUT, PATCH)."
            ),
        )),
        other => Err(bad(
            "HttpMethod",
            format!("HttpMethod '{other}' is not one of POST, GET, HEAD, OPTIONS, PUT, PATCH, DELETE."),
        )),
    }
}

/// At least 1 request per second.
///
/// # Errors
/// `invalid_request`.
pub fn rate(r: u32) -> ApiResult<u32> {
    if r == 0 {
        return Err(bad(
            "InvocationRateLimitPerSecond",
            "InvocationRateLimitPerSecond must be at least 1.".into(),
        ));
    }
    Ok(r)
}

/// A new destination has a connection, an endpoint and a method.
///
/// # Errors
/// `invalid_request` naming the missing member.
pub fn complete(r: &ApiDestinationRecord) -> ApiResult<()> {
    for (member, value) in
        [("ConnectionArn", &r.connection), ("InvocationEndpoint", &r.endpoint), ("HttpMethod", &r.method)]
    {
        if value.is_empty() {
            return Err(bad(member, format!("{member} is required.")));
        }
    }
    Ok(())
}
