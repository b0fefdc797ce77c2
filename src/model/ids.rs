//! Identifier newtypes: parsed once at the boundary, trusted everywhere after.

use std::fmt;
use std::str::FromStr;

use crate::error::{ApiError, Code};

fn check_name(kind: &str, value: &str, max: usize, extra: &[char], rule: &str) -> Result<(), ApiError> {
    let ok_len = !value.is_empty() && value.len() <= max;
    let ok_chars = value.chars().all(|c| c.is_ascii_alphanumeric() || extra.contains(&c));
    if ok_len && ok_chars {
        Ok(())
    } else {
        Err(ApiError::new(
            Code::InvalidName,
            format!(
                "'{}' is not a valid {kind} name. Hint: {kind} names match {rule}.",
                truncate_for_message(value)
            ),
        )
        .with_details(serde_json::json!({ "kind": kind, "rule": rule })))
    }
}

/// Keeps error messages bounded when a client sends a huge name.
fn truncate_for_message(value: &str) -> String {
    const MAX: usize = 80;
    if value.chars().count() <= MAX {
        value.to_owned()
    } else {
        let head: String = value.chars().take(MAX).collect();
        format!("{head}…")
    }
}

/// Name of a registry: `[A-Za-z0-9._-]{1,64}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegistryName(String);

impl RegistryName {
    /// The naming rule, as shown in errors and docs.
    pub const RULE: &'static str = "[A-Za-z0-9._-]{1,64}";

    /// Parses a registry name.
    ///
    /// # Errors
    /// `invalid_name` when the name breaks [`Self::RULE`].
    pub fn parse(value: &str) -> Result<Self, ApiError> {
        check_name("registry", value, 64, &['.', '_', '-'], Self::RULE)?;
        Ok(Self(value.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Name of a schema: `[A-Za-z0-9._@:-]{1,385}`, so `orders.service@OrderPlaced` works.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SchemaName(String);

impl SchemaName {
    /// The naming rule, as shown in errors and docs.
    pub const RULE: &'static str = "[A-Za-z0-9._@:-]{1,385}";

    /// Parses a schema name.
    ///
    /// # Errors
    /// `invalid_name` when the name breaks [`Self::RULE`].
    pub fn parse(value: &str) -> Result<Self, ApiError> {
        check_name("schema", value, 385, &['.', '_', '@', ':', '-'], Self::RULE)?;
        Ok(Self(value.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}
display_as_str!(RegistryName, SchemaName);

/// A version in a path: a number, or `latest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSelector {
    /// A specific version number (1 or more).
    Number(u32),
    /// The highest version that still exists.
    Latest,
}

impl VersionSelector {
    /// What the document's version parameters match: `latest`, or a number from 1
    /// (at most nine digits there, so every match parses; a larger number is a 404 or 400).
    pub const PATTERN: &'static str = "^(latest|[1-9][0-9]{0,8})$";
}

impl FromStr for VersionSelector {
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "latest" {
            return Ok(Self::Latest);
        }
        match s.parse::<u32>() {
            Ok(n) if n >= 1 => Ok(Self::Number(n)),
            _ => Err(ApiError::new(
                Code::InvalidParameter,
                format!(
                    "'{}' is not a schema version. Hint: use a positive integer or `latest`.",
                    truncate_for_message(s)
                ),
            )
            .with_details(serde_json::json!({ "parameter": "version" }))),
        }
    }
}

impl fmt::Display for VersionSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Latest => f.write_str("latest"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_accept_eventbridge_style_names() {
        assert!(SchemaName::parse("orders.service@OrderPlaced").is_ok());
        assert!(SchemaName::parse("aws.partner:x@Y-z_1").is_ok());
        assert!(SchemaName::parse(&"a".repeat(385)).is_ok());
        assert!(SchemaName::parse(&"a".repeat(386)).is_err());
        assert!(SchemaName::parse("has space").is_err());
        assert!(SchemaName::parse("").is_err());
        assert!(SchemaName::parse("slash/no").is_err());
    }

    #[test]
    fn registry_names_refuse_at_sign_and_long_names() {
        assert!(RegistryName::parse("shop.prod-1_x").is_ok());
        assert!(RegistryName::parse("a@b").is_err());
        assert!(RegistryName::parse(&"r".repeat(65)).is_err());
    }

    #[test]
    fn version_selector_parses_numbers_and_latest_only() {
        assert_eq!("latest".parse::<VersionSelector>().ok(), Some(VersionSelector::Latest));
        assert_eq!("7".parse::<VersionSelector>().ok(), Some(VersionSelector::Number(7)));
        assert!("0".parse::<VersionSelector>().is_err());
        assert!("-1".parse::<VersionSelector>().is_err());
        assert!("LATEST".parse::<VersionSelector>().is_err());
    }
}
