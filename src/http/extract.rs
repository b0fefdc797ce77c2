//! Shared extractors: JSON bodies with pointer-precise errors, and validated path names.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::error::{ApiError, Code};
use crate::model::{RegistryName, SchemaName, VersionSelector};

/// A JSON body. Unlike `web::Json` it accepts any content type (so `curl -d` works),
/// and reports wrong shapes with a JSON Pointer to the offending field.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = ApiBytes::from_request(req, payload);
        Box::pin(async move { parse_json(&bytes.await?.0).map(ApiJson) })
    }
}

/// A body that may be any JSON value (a document to validate), with [`ApiJson`]'s errors.
#[derive(Debug)]
pub struct AnyJson(pub serde_json::Value);

impl FromRequest for AnyJson {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = ApiBytes::from_request(req, payload);
        Box::pin(async move { parse_any_json(&bytes.await?.0).map(AnyJson) })
    }
}

/// A raw body, read with the same limits and errors as [`ApiJson`], for handlers that
/// must do something before parsing it.
#[derive(Debug)]
pub struct ApiBytes(pub web::Bytes);

impl FromRequest for ApiBytes {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move { bytes.await.map(ApiBytes).map_err(payload_error) })
    }
}

fn payload_error(e: actix_web::Error) -> ApiError {
    match e.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => ApiError::new(
            Code::PayloadTooLarge,
            "The request body is larger than the configured limit. Hint: send less, or raise --max-body-bytes.",
        ),
        Some(PayloadError::Io(io)) if io.kind() == std::io::ErrorKind::TimedOut => ApiError::new(
            Code::RequestTimeout,
            "The request body did not arrive within --body-read-timeout-ms. Hint: resend it on a faster connection.",
        ),
        _ => ApiError::new(
            Code::InvalidRequest,
            format!("The request body could not be read: {e}. Hint: resend it."),
        ),
    }
}

/// Parses a body as `T`, classifying failures as `malformed_json` or `invalid_request`.
///
/// # Errors
/// `malformed_json` for syntax errors and empty bodies, `invalid_request` with
/// `details.pointer` for a body of the wrong shape.
pub fn parse_json<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, ApiError> {
    // Request bodies are objects. serde's derived structs also accept an array of the
    // fields in order, so `[null, null]` would read as an empty PATCH: refuse it here.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| *b != b'{')
        && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
    {
        return Err(ApiError::new(
            Code::InvalidRequest,
            "The request body is JSON but not an object. Hint: send a JSON object such as {\"description\": \"...\"}; see the operation's request schema in /openapi.json.",
        )
        .with_details(json!({ "pointer": "" })));
    }
    parse_any_json(bytes)
}

/// [`parse_json`] for bodies that may be any JSON value (a document to validate).
///
/// # Errors
/// As [`parse_json`], without the object requirement.
pub fn parse_any_json<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, ApiError> {
    // Fast path: path tracking costs about a fifth of the parse, and only errors need it.
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| (pointer_of(e.path()), e.into_inner()))
        .and_then(|v: T| de.end().map(|()| v).map_err(|e| (String::new(), e)));
    value.map_err(|(pointer, inner)| {
        match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof | serde_json::error::Category::Io => {
                let what = if bytes.iter().all(u8::is_ascii_whitespace) { "The request body is empty".to_owned() } else { format!("The request body is not valid JSON: {inner}") };
                ApiError::new(Code::MalformedJson, format!("{what}. Hint: send a JSON document."))
                    .with_details(json!({ "line": inner.line(), "column": inner.column() }))
            }
            serde_json::error::Category::Data => ApiError::new(
                Code::InvalidRequest,
                format!("The request body does not have the expected shape at '{pointer}': {}. Hint: see the operation's request schema in /openapi.json.", strip_position(&inner.to_string())),
            )
            .with_details(json!({ "pointer": pointer })),
        }
    })
}

fn strip_position(message: &str) -> &str {
    message.rsplit_once(" at line ").map_or(message, |(head, _)| head)
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } => Some(key.replace('~', "~0").replace('/', "~1")),
            Segment::Enum { variant } => Some(variant.clone()),
            Segment::Unknown => None,
        })
        .map(|s| format!("/{s}"))
        .collect()
}

fn path_param<'r>(req: &'r HttpRequest, name: &str) -> Result<&'r str, ApiError> {
    req.match_info().get(name).ok_or_else(|| {
        ApiError::new(
            Code::Internal,
            format!("Route is missing its {{{name}}} parameter. Hint: this is a bug; report it."),
        )
    })
}

macro_rules! path_extractor {
    ($(#[$doc:meta])* $name:ident, $inner:ty, $param:literal, $parse:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub $inner);

        impl FromRequest for $name {
            type Error = ApiError;
            type Future = std::future::Ready<Result<Self, ApiError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                std::future::ready(path_param(req, $param).and_then($parse).map($name))
            }
        }
    };
}

path_extractor!(
    /// The `{registry}` path segment, validated.
    RegistryParam, RegistryName, "registry", RegistryName::parse
);
path_extractor!(
    /// The `{schema}` path segment, validated.
    SchemaParam, SchemaName, "schema", SchemaName::parse
);
path_extractor!(
    /// The `{version}` path segment: a number or `latest`.
    VersionParam, VersionSelector, "version", |s: &str| s.parse::<VersionSelector>()
);

/// Turns query-string failures into the standard error.
pub(crate) fn query_error(err: actix_web::error::QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::new(
        Code::InvalidParameter,
        format!(
            "The query string is not valid: {err}. Hint: see the operation's parameters in /openapi.json."
        ),
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code, reason = "fields exist to be deserialised")]
    struct Body {
        items: Vec<Item>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code, reason = "fields exist to be deserialised")]
    struct Item {
        n: u32,
    }

    #[test]
    fn wrong_types_point_at_the_field() {
        let err = parse_json::<Body>(br#"{"items": [{"n": 1}, {"n": "x"}]}"#).unwrap_err();
        assert_eq!(err.code, Code::InvalidRequest);
        assert_eq!(err.details.unwrap()["pointer"], "/items/1/n");
    }

    #[test]
    fn syntax_errors_and_empty_bodies_are_malformed_json() {
        assert_eq!(parse_json::<Body>(b"{\"items\": [").unwrap_err().code, Code::MalformedJson);
        assert_eq!(parse_json::<Body>(b"  ").unwrap_err().code, Code::MalformedJson);
        // A struct read from an array of its fields is refused: bodies are objects.
        let err = parse_json::<Body>(br#"[[]]"#).unwrap_err();
        assert_eq!((err.code, err.details), (Code::InvalidRequest, Some(json!({"pointer": ""}))));
        assert_eq!(parse_json::<Body>(b"[").unwrap_err().code, Code::MalformedJson);
        assert_eq!(parse_json::<Body>(br#"{"items": []} {}"#).unwrap_err().code, Code::MalformedJson);
    }
}
