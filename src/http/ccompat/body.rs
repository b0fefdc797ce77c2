//! Request bodies and query flags as Confluent clients send them.

use std::collections::HashMap;

use actix_web::HttpRequest;
use actix_web::http::header;
use serde::de::DeserializeOwned;

use crate::ccompat::CcResult;

/// Parses a JSON body sent with one of the accepted media types (or none): see
/// [`crate::ccompat::parse_body`].
pub(super) fn json<T: DeserializeOwned>(req: &HttpRequest, bytes: &[u8]) -> CcResult<T> {
    let content_type = req.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap_or(""));
    crate::ccompat::parse_body(content_type, bytes)
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
