//! Request bodies as Confluent clients send them (the HTTP layer hands over the
//! `Content-Type` header and the bytes; pure, so the `ccompat` fuzz target reaches it).

use serde::de::DeserializeOwned;

use super::{CcError, CcResult};

/// The media types a Confluent client may send a body as.
const ACCEPTED: &[&str] = &[
    "application/vnd.schemaregistry.v1+json",
    "application/vnd.schemaregistry+json",
    "application/json",
    "application/octet-stream",
];

/// Parses a JSON body sent with one of the accepted media types (or none); a header
/// value that is not visible ASCII is passed as `""`.
///
/// # Errors
/// 415 for another media type, 400 for text that is not JSON, 422 for JSON of
/// the wrong shape.
pub fn parse_body<T: DeserializeOwned>(content_type: Option<&str>, bytes: &[u8]) -> CcResult<T> {
    if let Some(value) = content_type {
        let media = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
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
