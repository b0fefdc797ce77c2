//! The registry service: registries, schemas and their immutable versions.
//!
//! Every write goes through [`RegistryService`], which checks the content (see
//! [`content`]), resolves references from our own storage (see [`refs`]), stores the
//! version atomically and flushes before returning, so what it acknowledges is durable.

mod compatibility;
pub mod content;
mod knowledge;
pub mod openapi;
mod policies;
pub mod refs;
mod requests;
mod schema_locks;
mod search;
mod service;
pub mod validators;

pub(crate) use compatibility::with_base;
pub use compatibility::{
    ChangeView, CompatibilityCheckRequest, CompatibilityConfig, CompatibilityReportView, DiffQuery, DiffView,
    EffectiveConfig, FindingView,
};
pub use policies::{ResourcePolicy, revision_matches};
pub use requests::*;
pub use service::{
    RegistryConfig, RegistryListener, RegistryService, WriteOrigin, check_description, check_tags,
    collect_errors,
};

/// The registry that discovery writes to; users may read and delete in it.
pub const DISCOVERED_REGISTRY: &str = "discovered-schemas";
