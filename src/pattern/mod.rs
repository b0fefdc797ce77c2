//! EventBridge-compatible event patterns: parsing, validation and matching.
//!
//! The language is specified in `docs/PATTERNS.md`. This module is pure (std and
//! serde_json only): no I/O, no async, no knowledge of rules or targets.
//!
//! * [`Pattern::parse`] validates one pattern; its [`PatternError`] displays the exact
//!   EventBridge message (`Event pattern is not valid. Reason: ...`).
//! * [`Pattern::matches`] tests one pattern against one event (`TestEventPattern`).
//! * [`PatternMatcher`] compiles many patterns, keyed by opaque ids, into one automaton;
//!   [`PatternMatcher::matches`] returns the ids an event matches. Its concurrency
//!   contract is documented on the type.
//!
//! ```
//! use schemabus::pattern::{Pattern, PatternMatcher};
//! use serde_json::json;
//!
//! let p = Pattern::parse(&json!({"source": ["orders"], "detail": {"total": [{"numeric": [">", 100]}]}}))?;
//! let mut m = PatternMatcher::new();
//! m.add("big-orders", p);
//! let event = json!({"source": "orders", "detail": {"total": 250}});
//! assert_eq!(m.matches(&event), vec!["big-orders"]);
//!
//! let err = Pattern::parse(&json!({"source": []})).unwrap_err();
//! assert_eq!(err.to_string(), "Event pattern is not valid. Reason: Empty arrays are not allowed");
//! # Ok::<(), schemabus::pattern::PatternError>(())
//! ```

mod error;
mod flatten;
mod index;
mod matcher;
mod ops;
mod parse;
mod scan;

pub use error::{ERROR_PREFIX, EventError, PatternError};
pub(crate) use flatten::EventNode;
pub use flatten::MAX_EVENT_DEPTH;
pub use matcher::PatternMatcher;
pub(crate) use ops::Leaf;
pub use parse::{MAX_OR_COMBINATIONS, MAX_PATTERN_DEPTH, MAX_WILDCARD_STARS, Pattern};

/// Parses a pattern (shorthand for [`Pattern::parse`]).
///
/// # Errors
/// The EventBridge reason for the first problem found.
pub fn parse(pattern: &serde_json::Value) -> Result<Pattern, PatternError> {
    Pattern::parse(pattern)
}

/// Validates `pattern` and tests it against `event` in one call, as the
/// `POST /v1/test-event-pattern` endpoint needs.
///
/// # Errors
/// The EventBridge reason when the pattern is invalid.
pub fn test_event_pattern(
    pattern: &serde_json::Value,
    event: &serde_json::Value,
) -> Result<bool, PatternError> {
    Ok(Pattern::parse(pattern)?.matches(event))
}
