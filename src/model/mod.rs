//! Shared domain types: identifiers and the records the registry keeps. No I/O here.

mod bus;
mod delivery;
mod ids;
mod records;

pub use bus::*;
pub use delivery::*;
pub use ids::{RegistryName, SchemaName, VersionSelector};
pub use records::{RegistryRecord, SchemaRecord, Tags, VersionRecord};

/// Unix time in milliseconds (queue visibility, delivery schedules, archive keys).
pub fn now_ms() -> u64 {
    u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

/// A Unix time in milliseconds as RFC 3339 in UTC (empty when out of range).
pub fn rfc3339_of_ms(ms: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

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
pub use auth::{
    AuditPage, AuditRecord, AwsCredentialRecord, CreateKeyRequest, CreatedAwsCredentials, CreatedKey,
    KeyList, KeyRecord,
};
