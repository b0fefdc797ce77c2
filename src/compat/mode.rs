//! Compatibility modes, policies and check directions.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Which versions a new schema is checked against, and in which direction.
///
/// `BACKWARD` means every document valid under the previous version is valid under the new
/// one (consumers on the new schema can read old events); `FORWARD` is the reverse; `FULL`
/// is both. The `_TRANSITIVE` variants check against every earlier version instead of only
/// the latest one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompatibilityMode {
    /// No check at all.
    None,
    /// The new schema accepts everything the latest previous version accepted.
    #[default]
    Backward,
    /// `BACKWARD` against every earlier version.
    BackwardTransitive,
    /// The latest previous version accepts everything the new schema accepts.
    Forward,
    /// `FORWARD` against every earlier version.
    ForwardTransitive,
    /// Both `BACKWARD` and `FORWARD` against the latest previous version.
    Full,
    /// Both `BACKWARD` and `FORWARD` against every earlier version.
    FullTransitive,
}

impl CompatibilityMode {
    /// Every mode, in declaration order.
    pub const ALL: [Self; 7] = [
        Self::None,
        Self::Backward,
        Self::BackwardTransitive,
        Self::Forward,
        Self::ForwardTransitive,
        Self::Full,
        Self::FullTransitive,
    ];

    /// The stable wire name, e.g. `"BACKWARD_TRANSITIVE"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Backward => "BACKWARD",
            Self::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Self::Forward => "FORWARD",
            Self::ForwardTransitive => "FORWARD_TRANSITIVE",
            Self::Full => "FULL",
            Self::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    /// Whether the mode compares against every earlier version rather than the latest.
    #[must_use]
    pub const fn is_transitive(self) -> bool {
        matches!(self, Self::BackwardTransitive | Self::ForwardTransitive | Self::FullTransitive)
    }

    /// The directions this mode checks, backward first.
    #[must_use]
    pub fn directions(self) -> &'static [Direction] {
        match self {
            Self::None => &[],
            Self::Backward | Self::BackwardTransitive => &[Direction::Backward],
            Self::Forward | Self::ForwardTransitive => &[Direction::Forward],
            Self::Full | Self::FullTransitive => &[Direction::Backward, Direction::Forward],
        }
    }
}

impl fmt::Display for CompatibilityMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error returned when parsing an unknown mode or policy name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseNameError {
    /// What was being parsed (`"compatibility mode"`, `"policy"`, `"finding type"`).
    pub what: &'static str,
    /// The rejected input.
    pub input: String,
}

impl fmt::Display for ParseNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} `{}`", self.what, self.input)
    }
}

impl std::error::Error for ParseNameError {}

impl FromStr for CompatibilityMode {
    type Err = ParseNameError;

    /// Parses the wire name; case-insensitive because query strings are typed by people.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseNameError { what: "compatibility mode", input: s.to_owned() })
    }
}

/// How strictly findings are judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Policy {
    /// "Can read" means "validates": every verdict is sound for JSON Schema validation.
    #[default]
    Strict,
    /// Readers ignore unknown fields and apply defaults: adding optional properties to open
    /// models, removing properties from closed ones and narrowing `additionalProperties` or
    /// `unevaluatedProperties` are accepted.
    Lenient,
}

impl Policy {
    /// The stable wire name, `"STRICT"` or `"LENIENT"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Strict => "STRICT",
            Self::Lenient => "LENIENT",
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Policy {
    type Err = ParseNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::Strict, Self::Lenient]
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseNameError { what: "policy", input: s.to_owned() })
    }
}

/// Which way one comparison goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Direction {
    /// Documents of the previous schema must validate under the new one.
    Backward,
    /// Documents of the new schema must validate under the previous one.
    Forward,
}

impl Direction {
    /// The stable wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Backward => "BACKWARD",
            Self::Forward => "FORWARD",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
