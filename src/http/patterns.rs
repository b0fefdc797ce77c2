//! `POST /v1/test-event-pattern`: EventBridge's TestEventPattern.

use actix_web::{post, web};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::error::HandlerResult;
use super::extract::ApiJson;
use crate::error::{ApiError, Code, ErrorBody};
use crate::pattern::Pattern;

/// Envelope fields TestEventPattern requires (`resources` and `detail` may be absent).
const REQUIRED_EVENT_FIELDS: [&str; 6] = ["id", "account", "source", "time", "region", "detail-type"];

/// Body of `POST /v1/test-event-pattern`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TestPatternRequest {
    /// The pattern, as a JSON object or a string holding one.
    #[schema(value_type = Object, example = json!({"source": ["orders"], "detail": {"total": [{"numeric": [">", 100]}]}}))]
    pattern: Value,
    /// The event: a full envelope, as a JSON object or a string holding one.
    #[schema(value_type = Object, example = json!({"id": "1", "account": "000000000000", "source": "orders", "time": "2026-01-01T00:00:00Z", "region": "local", "detail-type": "Order Placed", "detail": {"total": 250}}))]
    event: Value,
}

/// Whether the event matches.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TestPatternResult {
    /// `true` when the pattern matches the event.
    matches: bool,
}

/// Test an event pattern against an event.
///
/// Validates the pattern exactly as rules do and evaluates it against one event. The
/// language is EventBridge's, specified in docs/PATTERNS.md.
#[utoipa::path(
    tag = "patterns",
    operation_id = "testEventPattern",
    request_body = TestPatternRequest,
    responses(
        (status = 200, description = "The verdict.", body = TestPatternResult),
        (status = 400, description = "The pattern is invalid (`invalid_pattern`, message is the EventBridge reason), or the event is malformed (`invalid_event`).", body = ErrorBody),
        (status = 413, description = "Body over the size limit.", body = ErrorBody),
    )
)]
#[post("/test-event-pattern")]
pub(crate) async fn test_event_pattern(
    bus: web::Data<crate::bus::BusService>,
    ApiJson(request): ApiJson<TestPatternRequest>,
) -> HandlerResult<web::Json<TestPatternResult>> {
    // `--max-pattern-chars` (default 4096, EventBridge's API maximum), as for rules.
    let pattern = parse_pattern_value(request.pattern, bus.settings().max_pattern_chars)?;
    let event = parse_event(request.event)?;
    Ok(web::Json(TestPatternResult { matches: pattern.matches(&event) }))
}

/// Parses a pattern given as an object or as a string holding JSON, enforcing the size
/// limit. Rules use the same function.
///
/// # Errors
/// `invalid_pattern` with EventBridge's reason text.
pub(crate) fn parse_pattern_value(raw: Value, max_chars: usize) -> Result<Pattern, ApiError> {
    let invalid = |reason: String| {
        ApiError::new(Code::InvalidPattern, reason).with_details(json!({ "pointer": "/pattern" }))
    };
    let text = match &raw {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > max_chars {
        return Err(invalid(format!(
            "{}Event pattern is longer than {max_chars} characters. Hint: split it into several rules.",
            crate::pattern::ERROR_PREFIX
        )));
    }
    let parsed = match raw {
        Value::String(s) => Pattern::from_json_str(&s),
        other => Pattern::parse(&other),
    };
    parsed.map_err(|e| invalid(format!("{e}. Hint: see docs/PATTERNS.md for the language.")))
}

pub(crate) fn parse_event(raw: Value) -> Result<Value, ApiError> {
    let invalid = |why: String| {
        ApiError::new(Code::InvalidEvent, format!("The event is not valid: {why}. Hint: send a full envelope with id, account, source, time, region and detail-type."))
            .with_details(json!({ "pointer": "/event" }))
    };
    let event = match raw {
        Value::String(s) => {
            serde_json::from_str::<Value>(&s).map_err(|e| invalid(format!("it is not JSON ({e})")))?
        }
        other => other,
    };
    let Value::Object(map) = &event else {
        return Err(invalid("it is not a JSON object".into()));
    };
    if let Some(missing) = REQUIRED_EVENT_FIELDS.iter().find(|f| !map.contains_key(**f)) {
        return Err(invalid(format!("the field `{missing}` is missing")));
    }
    Ok(event)
}
