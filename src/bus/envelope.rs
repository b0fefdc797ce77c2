//! The event envelope (EventBridge's), built from PutEvents entries.
//!
//! An entry becomes an envelope here or fails with an EventBridge-style per-entry error
//! (`InvalidArgument`, `MalformedDetail`); the JSON Schema of the result is
//! `schemas/event-envelope.schema.json` ([`ENVELOPE_SCHEMA`]).

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The JSON Schema of a stored and delivered event.
pub const ENVELOPE_SCHEMA: &str = include_str!("../../schemas/event-envelope.schema.json");

/// Longest `detail-type`, as EventBridge.
const MAX_DETAIL_TYPE: usize = 128;
/// Longest `source` accepted.
const MAX_SOURCE: usize = 256;

/// Account and region written into every envelope.
#[derive(Debug, Clone)]
pub struct EnvelopeContext {
    /// Account id.
    pub account: String,
    /// Region.
    pub region: String,
}

/// Why an entry did not become an event: EventBridge's per-entry code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFailure {
    /// `InvalidArgument`, `MalformedDetail`, `SchemaValidationFailed`, ...
    pub code: &'static str,
    /// Human explanation.
    pub message: String,
}

impl EntryFailure {
    /// The caller's key may not publish events with this `source` (EventBridge's code).
    pub fn not_authorized_for_source(source: &str) -> Self {
        Self {
            code: "NotAuthorizedForSourceException",
            message: format!(
                "Not authorized for the source {source}. Hint: the API key's bus:publish grant lists the sources it may use."
            ),
        }
    }

    fn invalid(parameter: &str, reason: &str) -> Self {
        Self {
            code: "InvalidArgument",
            message: format!("Parameter {parameter} is not valid. Reason: {reason}"),
        }
    }
}

/// An event envelope: its id, the fields the gate needs, and the whole JSON value.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// The event id (UUID v4).
    pub id: String,
    /// `source`.
    pub source: String,
    /// `detail-type`.
    pub detail_type: String,
    /// The whole envelope (`detail` included).
    pub value: Value,
}

impl Envelope {
    /// The `detail` object.
    pub fn detail(&self) -> &Value {
        self.value.get("detail").unwrap_or(&Value::Null)
    }
}

/// Size of an entry as EventBridge computes it: 14 bytes if `Time` is set, plus the
/// UTF-8 bytes of `Source`, `DetailType`, `Detail` (as sent, or compact JSON for an
/// object) and each of `Resources`.
pub fn entry_size(entry: &Value) -> usize {
    let text = |key: &str| entry.get(key).and_then(Value::as_str).map_or(0, str::len);
    let time = if entry.get("time").is_some_and(|t| !t.is_null()) { 14 } else { 0 };
    let detail = match entry.get("detail") {
        Some(Value::String(s)) => s.len(),
        Some(v @ Value::Object(_)) => compact_len(v),
        _ => 0,
    };
    let resources = entry
        .get("resources")
        .and_then(Value::as_array)
        .map_or(0, |r| r.iter().filter_map(Value::as_str).map(str::len).sum());
    time + text("source") + text("detailType") + detail + resources
}

fn compact_len(value: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing into a counter cannot fail.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

/// `detail-type` in PascalCase, as EventBridge names discovered schemas: words split on
/// anything that is not a letter or digit, first letter of each capitalised, the rest
/// kept ("EC2 Instance State-change Notification" → `EC2InstanceStateChangeNotification`).
pub fn pascal_case(detail_type: &str) -> String {
    detail_type
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map(|f| f.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
        })
        .collect()
}

/// The time now, as envelopes carry it.
pub fn now_event_time() -> String {
    format_time(OffsetDateTime::now_utc())
}

fn format_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Builds the envelope of one PutEvents entry.
///
/// # Errors
/// `InvalidArgument` for a missing or mistyped field, `MalformedDetail` when `detail` is
/// neither an object nor a string holding one.
pub fn build(entry: Value, ctx: &EnvelopeContext, now: &str) -> Result<Envelope, EntryFailure> {
    let Value::Object(mut entry) = entry else {
        return Err(EntryFailure::invalid("Entry", "an entry is a JSON object."));
    };
    let source = required_text(&mut entry, "source", "Source", MAX_SOURCE)?;
    let detail_type = required_text(&mut entry, "detailType", "DetailType", MAX_DETAIL_TYPE)?;
    let detail = match entry.remove("detail") {
        None | Some(Value::Null) => {
            return Err(EntryFailure::invalid("Detail", "Detail is a required argument."));
        }
        Some(v @ Value::Object(_)) => v,
        Some(Value::String(text)) => match serde_json::from_str::<Value>(&text) {
            Ok(v @ Value::Object(_)) => v,
            _ => return Err(malformed()),
        },
        Some(_) => return Err(malformed()),
    };
    let time = match entry.remove("time") {
        None | Some(Value::Null) => now.to_owned(),
        Some(Value::String(t)) => OffsetDateTime::parse(&t, &Rfc3339)
            .map(format_time)
            .map_err(|_| EntryFailure::invalid("Time", "Time is not an RFC 3339 timestamp."))?,
        Some(_) => return Err(EntryFailure::invalid("Time", "Time is not an RFC 3339 timestamp.")),
    };
    let resources = match entry.remove("resources") {
        None | Some(Value::Null) => Value::Array(Vec::new()),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => Value::Array(items),
        Some(_) => return Err(EntryFailure::invalid("Resources", "Resources is a list of strings.")),
    };
    if let Some(unknown) = entry.keys().next() {
        return Err(EntryFailure::invalid(
            "Entry",
            &format!("'{unknown}' is not an entry field (source, detailType, detail, time, resources)."),
        ));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let mut value = Map::with_capacity(9);
    value.insert("version".into(), Value::from("0"));
    value.insert("id".into(), Value::from(id.clone()));
    value.insert("detail-type".into(), Value::from(detail_type.clone()));
    value.insert("source".into(), Value::from(source.clone()));
    value.insert("account".into(), Value::from(ctx.account.clone()));
    value.insert("time".into(), Value::from(time));
    value.insert("region".into(), Value::from(ctx.region.clone()));
    value.insert("resources".into(), resources);
    value.insert("detail".into(), detail);
    Ok(Envelope { id, source, detail_type, value: Value::Object(value) })
}

/// An envelope for an event the service emits itself (registry changes).
pub fn service_event(source: &str, detail_type: &str, detail: Value, ctx: &EnvelopeContext) -> Envelope {
    let entry = serde_json::json!({"source": source, "detailType": detail_type, "detail": detail});
    build(entry, ctx, &now_event_time()).unwrap_or_else(|_| {
        // Unreachable for our own literal fields; keep a well-formed event regardless.
        Envelope {
            id: uuid::Uuid::new_v4().to_string(),
            source: source.into(),
            detail_type: detail_type.into(),
            value: Value::Null,
        }
    })
}

fn malformed() -> EntryFailure {
    EntryFailure { code: "MalformedDetail", message: "Detail is malformed.".to_owned() }
}

fn required_text(
    entry: &mut Map<String, Value>,
    key: &str,
    parameter: &str,
    max: usize,
) -> Result<String, EntryFailure> {
    match entry.remove(key) {
        Some(Value::String(s)) if !s.is_empty() && s.len() <= max => Ok(s),
        Some(Value::String(s)) if !s.is_empty() => {
            Err(EntryFailure::invalid(parameter, &format!("{parameter} is longer than {max} characters.")))
        }
        _ => Err(EntryFailure::invalid(parameter, &format!("{parameter} is a required argument."))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> EnvelopeContext {
        EnvelopeContext { account: "123456789012".into(), region: "local".into() }
    }

    #[test]
    fn pascal_case_follows_eventbridge_naming() {
        assert_eq!(pascal_case("Order Placed"), "OrderPlaced");
        assert_eq!(
            pascal_case("EC2 Instance State-change Notification"),
            "EC2InstanceStateChangeNotification"
        );
        assert_eq!(pascal_case("review created"), "ReviewCreated");
    }

    #[test]
    fn envelopes_match_their_schema_and_sizes_follow_eventbridge() {
        let entry = json!({"source": "orders", "detailType": "Order Placed", "detail": "{\"a\":1}", "time": "2024-01-02T03:04:05.678+01:00", "resources": ["r1"]});
        assert_eq!(entry_size(&entry), 14 + 6 + 12 + 7 + 2);
        let envelope = build(entry, &ctx(), "x").unwrap();
        assert_eq!(envelope.value["time"], "2024-01-02T02:04:05Z");
        let schema: Value = serde_json::from_str(ENVELOPE_SCHEMA).unwrap();
        assert!(jsonschema::validator_for(&schema).unwrap().is_valid(&envelope.value));
        let keys: Vec<_> = envelope.value.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys[..3], ["version", "id", "detail-type"]);
    }

    #[test]
    fn bad_entries_fail_with_eventbridge_codes() {
        let err = build(json!({"detailType": "x", "detail": {}}), &ctx(), "t").unwrap_err();
        assert_eq!(err.message, "Parameter Source is not valid. Reason: Source is a required argument.");
        let err = build(json!({"source": "s", "detailType": "x", "detail": "[1]"}), &ctx(), "t").unwrap_err();
        assert_eq!(err.code, "MalformedDetail");
    }
}
