//! Request bodies and query flags as Confluent clients send them.

use std::collections::HashMap;

use actix_web::HttpRequest;
use actix_web::http::header;
use serde::de::DeserializeOwned;

use crate::ccompat::{CcError, CcResult};

/// The media types a Confluent client may send a body as.
const ACCEPTED: &[&str] = &[
    "application/vnd.schemaregistry.v1+json",
    "application/vnd.schemaregistry+json",
    "application/json",
    "application/octet-stream",
];

/// Parses a JSON body sent with one of the accepted media types (or none).
pub(super) fn json<T: DeserializeOwned>(req: &HttpRequest, bytes: &[u8]) -> CcResult<T> {
    if let Some(value) = req.headers().get(header::CONTENT_TYPE) {
        let media = value.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if !ACCEPTED.contains(&media.as_str()) {
            return Err(CcError::new(
                415,
                415,
                format!(
                    "Unsupported media type '{media}'. Hint: send application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json or application/json."
                ),
            ));
        }
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = serde_path_to_error::deserialize(&mut de);
    match parsed {
        Ok(v) => Ok(v),
        Err(e) if e.inner().is_syntax() || e.inner().is_eof() => {
            Err(CcError::malformed(format!("The body is not JSON: {}.", e.inner())))
        }
        Err(e) => Err(CcError::unprocessable(format!("Unrecognized body at '{}': {}.", e.path(), e.inner()))),
    }
}

/// Query parameters.
pub(super) type Query = actix_web::web::Query<HashMap<String, String>>;

/// A boolean flag: `true`, `True`, `1` (Python's client sends `True`/`False`).
pub(super) fn flag(query: &Query, name: &str) -> bool {
    query.get(name).is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// A listing cut by the `offset` and `limit` query parameters.
pub(super) fn paged<T>(items: Vec<T>, query: &Query) -> CcResult<Vec<T>> {
    crate::ccompat::page(
        items,
        query.get("offset").map(String::as_str),
        query.get("limit").map(String::as_str),
    )
}

/// `deletedOnly`, also as confluent-kafka's Python client spells it (`deleted_only`).
pub(super) fn deleted_only(query: &Query) -> bool {
    flag(query, "deletedOnly") || flag(query, "deleted_only")
}
