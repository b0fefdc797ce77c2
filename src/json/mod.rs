//! PURE: JSON documents read without building a `serde_json::Value` ([`Doc`]), and their
//! validation by `jsonschema` ([`DocJson`]). Used on the PutEvents path, where the cost
//! of building `Value`s dominated the cost of an event.

mod doc;
mod schema;
mod unescape;

pub use doc::Doc;
pub use schema::DocJson;
pub use unescape::string_literal;
