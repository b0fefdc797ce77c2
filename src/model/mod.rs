//! Shared domain types: identifiers and the records the registry keeps. No I/O here.

mod bus;
mod delivery;
mod destinations;
mod ids;
mod records;

pub use bus::*;
pub use delivery::*;
pub use destinations::*;
pub use ids::{RegistryName, SchemaName, VersionSelector};
pub use records::{RegistryRecord, SchemaRecord, Tags, VersionRecord};

/// `deserialize_with` for an optional nested settings object: `null` or an object, never
/// an array. serde's derived structs also read an array of their fields in order, so
/// `"validation": []` would read as every default (the request body itself is checked
/// in `http::extract::parse_json`; this covers the objects inside it).
///
/// # Errors
/// The deserializer's, for anything but `null` or an object of `T`'s shape.
pub fn object_or_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    struct ObjectOrNull<T>(std::marker::PhantomData<T>);
    impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for ObjectOrNull<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object or null")
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: serde::Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_map(self)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
        }
    }
    deserializer.deserialize_option(ObjectOrNull(std::marker::PhantomData))
}

/// `deserialize_with` for a list of objects: each item must be an object of `T`'s shape,
/// never an array of its fields (see [`object_or_null`]).
///
/// # Errors
/// The deserializer's, for anything but an array of objects of `T`'s shape.
pub fn objects<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    struct Object<T>(T);
    impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Object<T> {
        fn deserialize<D2: serde::Deserializer<'de>>(d: D2) -> Result<Self, D2::Error> {
            struct Only<T>(std::marker::PhantomData<T>);
            impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Only<T> {
                type Value = T;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                    T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                }
            }
            d.deserialize_map(Only(std::marker::PhantomData)).map(Object)
        }
    }
    let items: Vec<Object<T>> = serde::Deserialize::deserialize(deserializer)?;
    Ok(items.into_iter().map(|o| o.0).collect())
}

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
