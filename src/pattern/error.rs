//! The error type of the pattern language.

use std::fmt;

/// Prefix EventBridge puts in front of every pattern error reason.
pub const ERROR_PREFIX: &str = "Event pattern is not valid. Reason: ";

/// Why an event pattern was rejected.
///
/// `Display` renders the full EventBridge-style message
/// (`Event pattern is not valid. Reason: <reason>`); [`PatternError::reason`]
/// gives the reason text alone, which is what the fixture corpora compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    reason: String,
}

impl PatternError {
    /// Builds an error from its reason text (without the prefix).
    pub(crate) fn new(reason: impl Into<String>) -> Self {
        Self { reason: reason.into() }
    }

    /// The reason text, without the `Event pattern is not valid. Reason: ` prefix.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{ERROR_PREFIX}{}", self.reason)
    }
}

impl std::error::Error for PatternError {}

/// Why an event could not be matched at all (only the raw-bytes entry point can fail:
/// a `serde_json::Value` is always a well-formed event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventError {
    /// Byte offset in the input where the problem was found.
    pub offset: usize,
    /// What was wrong.
    pub message: &'static str,
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "event is not valid JSON: {} at byte {}", self.message, self.offset)
    }
}

impl std::error::Error for EventError {}
