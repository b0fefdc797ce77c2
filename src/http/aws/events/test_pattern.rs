//! TestEventPattern.

use super::*;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TestIn {
    event_pattern: Option<String>,
    event: Option<String>,
}

pub(super) fn test_event_pattern(ctx: &Ctx<'_>, input: TestIn) -> AwsResult<Value> {
    let pattern = required(input.event_pattern, "eventPattern")?;
    let event = required(input.event, "event")?;
    ctx.caller.allow("POST", "/v1/test-event-pattern", None)?;
    let pattern = crate::http::patterns::parse_pattern_value(
        Value::String(pattern),
        ctx.bus.settings().max_pattern_chars,
    )?;
    let event = crate::http::patterns::parse_event(Value::String(event))?;
    Ok(json!({"Result": pattern.matches(&event)}))
}
