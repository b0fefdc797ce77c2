//! Shared domain types: identifiers and the records the registry keeps. No I/O here.

mod bus;
mod delivery;
mod ids;
mod records;

pub use bus::*;
pub use delivery::*;
pub use ids::{RegistryName, SchemaName, VersionSelector};
pub use records::{RegistryRecord, SchemaRecord, Tags, VersionRecord};

/// Current time as an RFC 3339 string with millisecond precision, in UTC.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let millis = now.millisecond();
    let trimmed = now.replace_nanosecond(u32::from(millis) * 1_000_000).unwrap_or(now);
    trimmed
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
}

mod auth;
pub use auth::{AuditPage, AuditRecord, CreateKeyRequest, CreatedKey, KeyList, KeyRecord};
