//! The Confluent Schema Registry API's semantics over the registry service: subjects,
//! contexts, integer schema ids, soft deletion, compatibility levels and modes, and
//! Confluent's error codes. Transport-neutral: `src/http/ccompat/` serves it under
//! `/ccompat`. The mapping and every deviation are in `docs/CONFLUENT-API.md`.

mod body;
mod error;
mod service;
mod settings;
mod subject;
mod views;

pub use body::parse_body;
pub use error::{CcError, CcResult};
pub use service::{CcompatService, page};
pub use subject::{Subject, registry_for};
pub use views::*;
