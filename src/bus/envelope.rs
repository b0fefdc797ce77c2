//! The event envelope (EventBridge's), built from PutEvents entries.
//!
//! An entry becomes an envelope here or fails with an EventBridge-style per-entry error
//! (`InvalidArgument`, `MalformedDetail`); the JSON Schema of the result is
//! `schemas/event-envelope.schema.json` ([`ENVELOPE_SCHEMA`]).

use serde_json::{Map, Value};

use super::entry::EntryInput;
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
    /// The compact JSON of `value["detail"]` when it was already written (to measure the
    /// entry), so [`Envelope::to_bytes`] need not write it again. Whoever changes
    /// `detail` must clear it.
    pub detail_json: Option<Vec<u8>>,
}

impl Envelope {
    /// The `detail` object.
    pub fn detail(&self) -> &Value {
        self.value.get("detail").unwrap_or(&Value::Null)
    }

    /// The envelope as compact JSON, byte for byte what `serde_json::to_vec(&value)`
    /// writes, reusing [`Envelope::detail_json`] (the bulk of an event) when set.
    ///
    /// # Errors
    /// Only if a value cannot be written as JSON, which `serde_json::Value` always can.
    pub fn to_bytes(&self) -> serde_json::Result<Vec<u8>> {
        let (Some(detail), Value::Object(map)) = (&self.detail_json, &self.value) else {
            return serde_json::to_vec(&self.value);
        };
        if map.keys().next_back().map(String::as_str) != Some("detail") {
            return serde_json::to_vec(&self.value);
        }
        let mut out = Vec::with_capacity(detail.len() + 256);
        out.push(b'{');
        for (key, value) in map.iter().take(map.len() - 1) {
            serde_json::to_writer(&mut out, key)?;
            out.push(b':');
            serde_json::to_writer(&mut out, value)?;
            out.push(b',');
        }
        out.extend_from_slice(b"\"detail\":");
        out.extend_from_slice(detail);
        out.push(b'}');
        Ok(out)
    }
}

/// An entry measured for the request size limit, keeping what measuring wrote.
#[derive(Debug)]
pub struct Measured {
    /// The entry as sent.
    pub entry: EntryInput,
    /// Its size as EventBridge computes it (see [`measure`]).
    pub size: usize,
    /// The compact JSON of an object `detail`, written to measure it, reused as the
    /// event's bytes.
    pub detail_json: Option<Vec<u8>>,
}

/// Size of an entry as EventBridge computes it: 14 bytes if `Time` is set, plus the
/// UTF-8 bytes of `Source`, `DetailType`, `Detail` (as sent, or compact JSON for an
/// object) and each of `Resources`.
pub fn measure(entry: EntryInput) -> Measured {
    let text = |field: &Option<Value>| field.as_ref().and_then(Value::as_str).map_or(0, str::len);
    let time = if entry.time.as_ref().is_some_and(|t| !t.is_null()) { 14 } else { 0 };
    let (detail, detail_json) = match &entry.detail {
        Some(Value::String(s)) => (s.len(), None),
        Some(v @ Value::Object(_)) => {
            // Sized for a typical event, so writing it rarely regrows the buffer.
            let mut json = Vec::with_capacity(1024);
            // Writing a `Value` into a Vec cannot fail.
            serde_json::to_writer(&mut json, v).unwrap_or_default();
            (json.len(), Some(json))
        }
        _ => (0, None),
    };
    let resources = entry
        .resources
        .as_ref()
        .and_then(Value::as_array)
        .map_or(0, |r| r.iter().filter_map(Value::as_str).map(str::len).sum());
    let size = time + text(&entry.source) + text(&entry.detail_type) + detail + resources;
    Measured { entry, size, detail_json }
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
pub fn build(measured: Measured, ctx: &EnvelopeContext, now: &str) -> Result<Envelope, EntryFailure> {
    let Measured { entry, detail_json, .. } = measured;
    if entry.not_object {
        return Err(EntryFailure::invalid("Entry", "an entry is a JSON object."));
    }
    let source = required_text(entry.source, "Source", MAX_SOURCE)?;
    let detail_type = required_text(entry.detail_type, "DetailType", MAX_DETAIL_TYPE)?;
    let detail = match entry.detail {
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
    let time = match entry.time {
        None | Some(Value::Null) => now.to_owned(),
        Some(Value::String(t)) => OffsetDateTime::parse(&t, &Rfc3339)
            .map(format_time)
            .map_err(|_| EntryFailure::invalid("Time", "Time is not an RFC 3339 timestamp."))?,
        Some(_) => return Err(EntryFailure::invalid("Time", "Time is not an RFC 3339 timestamp.")),
    };
    let resources = match entry.resources {
        None | Some(Value::Null) => Value::Array(Vec::new()),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => Value::Array(items),
        Some(_) => return Err(EntryFailure::invalid("Resources", "Resources is a list of strings.")),
    };
    if let Some(unknown) = entry.unknown {
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
    Ok(Envelope { id, source, detail_type, value: Value::Object(value), detail_json })
}

/// An envelope for an event the service emits itself (registry changes).
pub fn service_event(source: &str, detail_type: &str, detail: Value, ctx: &EnvelopeContext) -> Envelope {
    let entry = EntryInput::new(source, detail_type, detail);
    build(measure(entry), ctx, &now_event_time()).unwrap_or_else(|_| {
        // Unreachable for our own literal fields; keep a well-formed event regardless.
        Envelope {
            id: uuid::Uuid::new_v4().to_string(),
            source: source.into(),
            detail_type: detail_type.into(),
            value: Value::Null,
            detail_json: None,
        }
    })
}

fn malformed() -> EntryFailure {
    EntryFailure { code: "MalformedDetail", message: "Detail is malformed.".to_owned() }
}

fn required_text(field: Option<Value>, parameter: &str, max: usize) -> Result<String, EntryFailure> {
    match field {
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

    fn measure(entry: Value) -> Measured {
        super::measure(serde_json::from_value(entry).expect("an entry"))
    }

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
        let measured = measure(entry);
        assert_eq!(measured.size, 14 + 6 + 12 + 7 + 2);
        let envelope = build(measured, &ctx(), "x").unwrap();
        assert_eq!(envelope.value["time"], "2024-01-02T02:04:05Z");
        let schema: Value = serde_json::from_str(ENVELOPE_SCHEMA).unwrap();
        assert!(jsonschema::validator_for(&schema).unwrap().is_valid(&envelope.value));
        let keys: Vec<_> = envelope.value.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys[..3], ["version", "id", "detail-type"]);
    }

    #[test]
    fn to_bytes_writes_what_serde_writes() {
        let detail = json!({"b": [1, 2.5, "é\n\"q\""], "a": {"z": null, "y": true}, "n": -0.0, "big": 18446744073709551615u64});
        for entry in [
            json!({"source": "s\"x", "detailType": "T", "detail": detail, "resources": ["r"]}),
            json!({"source": "s", "detailType": "T", "detail": detail.to_string()}),
        ] {
            let envelope = build(measure(entry), &ctx(), "2024-01-01T00:00:00Z").unwrap();
            assert_eq!(envelope.to_bytes().unwrap(), serde_json::to_vec(&envelope.value).unwrap());
        }
    }

    #[test]
    fn bad_entries_fail_with_eventbridge_codes() {
        let err = build(measure(json!({"detailType": "x", "detail": {}})), &ctx(), "t").unwrap_err();
        assert_eq!(err.message, "Parameter Source is not valid. Reason: Source is a required argument.");
        let err = build(measure(json!({"source": "s", "detailType": "x", "detail": "[1]"})), &ctx(), "t")
            .unwrap_err();
        assert_eq!(err.code, "MalformedDetail");
    }
}
