//! The event envelope (EventBridge's), built from PutEvents entries.
//!
//! An entry becomes an envelope here or fails with an EventBridge-style per-entry error
//! (`InvalidArgument`, `MalformedDetail`); the JSON Schema of the result is
//! `schemas/event-envelope.schema.json` ([`ENVELOPE_SCHEMA`]).

use std::borrow::Cow;

use serde_json::Value;

use super::entry::{DetailInput, EntryInput};
use crate::json::Doc;
use crate::pattern::EventNode;
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

/// An event envelope. `detail` is read in place from the request ([`Doc`]): building a
/// `serde_json::Value` of every event was most of an event's cost; [`Envelope::to_value`]
/// builds one for the paths that need it (quarantine, transforms, discovery samples).
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    /// The event id (UUID v4).
    pub id: String,
    /// `source`.
    pub source: String,
    /// `detail-type`.
    pub detail_type: String,
    /// `time` (RFC 3339, seconds, UTC).
    pub time: String,
    /// `resources`.
    pub resources: Vec<String>,
    /// The `detail` object.
    pub detail: Doc<'a>,
    /// The JSON text of `detail` as stored and delivered: as sent when it was sent as an
    /// object on one line, else written compact (events are stored one per line).
    pub detail_json: Cow<'a, str>,
}

/// Top-level field names, in the order every stored event has them.
const FIELDS: [&str; 9] =
    ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"];

impl Envelope<'_> {
    /// The envelope as compact JSON (the stored and delivered event): its
    /// [`fields`](Self::fields) in order, `detail` as [`Envelope::detail_json`].
    pub fn to_bytes(&self, ctx: &EnvelopeContext) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.detail_json.len() + 256);
        out.push(b'{');
        for (i, (key, field)) in self.fields(ctx).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // Writing strings into a Vec cannot fail.
            serde_json::to_writer(&mut out, key).unwrap_or_default();
            out.push(b':');
            match field {
                Field::Text(text) => serde_json::to_writer(&mut out, text).unwrap_or_default(),
                Field::Texts(texts) => serde_json::to_writer(&mut out, texts).unwrap_or_default(),
                Field::Doc(_) => out.extend_from_slice(self.detail_json.as_bytes()),
            }
        }
        out.push(b'}');
        out
    }

    /// The envelope as a `serde_json::Value`, read back from [`Self::to_bytes`] (the cold
    /// paths: quarantine, discovery samples).
    pub fn to_value(&self, ctx: &EnvelopeContext) -> Value {
        serde_json::from_slice(&self.to_bytes(ctx)).unwrap_or_default()
    }

    /// The top-level fields with their values, in stored order (the pattern matcher walks
    /// them; [`Self::to_bytes`] writes them).
    pub fn fields<'e>(&'e self, ctx: &'e EnvelopeContext) -> impl Iterator<Item = (&'e str, Field<'e>)> {
        let values = [
            Field::Text("0"),
            Field::Text(&self.id),
            Field::Text(&self.detail_type),
            Field::Text(&self.source),
            Field::Text(&ctx.account),
            Field::Text(&self.time),
            Field::Text(&ctx.region),
            Field::Texts(&self.resources),
            Field::Doc(&self.detail),
        ];
        FIELDS.into_iter().zip(values)
    }
}

/// A value of an envelope, as the pattern matcher walks it.
#[derive(Debug, Clone, Copy)]
pub enum Field<'e> {
    /// A text field.
    Text(&'e str),
    /// `resources`.
    Texts(&'e [String]),
    /// `detail`, or a part of it.
    Doc(&'e Doc<'e>),
}

impl<'e> EventNode<'e> for Field<'e> {
    fn leaf(self) -> Option<crate::pattern::Leaf<'e>> {
        match self {
            Field::Text(s) => Some(crate::pattern::Leaf::Str(Cow::Borrowed(s))),
            Field::Texts(_) => None,
            Field::Doc(d) => d.leaf(),
        }
    }

    fn is_object(self) -> bool {
        matches!(self, Field::Doc(d) if d.is_object())
    }

    fn is_array(self) -> bool {
        matches!(self, Field::Texts(_) | Field::Doc(Doc::Array(_)))
    }

    fn for_each_member(self, mut f: impl FnMut(&'e str, Self)) {
        if let Field::Doc(d) = self {
            d.for_each_member(|k, v| f(k, Field::Doc(v)));
        }
    }

    fn for_each_element(self, mut f: impl FnMut(Self)) {
        match self {
            Field::Texts(items) => items.iter().for_each(|s| f(Field::Text(s))),
            Field::Doc(d) => d.for_each_element(|v| f(Field::Doc(v))),
            Field::Text(_) => {}
        }
    }
}

/// An entry measured for the request size limit.
#[derive(Debug)]
pub struct Measured<'a> {
    /// The entry as sent.
    pub entry: EntryInput<'a>,
    /// Its size as EventBridge computes it (see [`measure`]).
    pub size: usize,
    /// What its `detail` holds, told apart once here.
    pub detail: SentDetail<'a>,
}

/// An entry's `detail` as sent.
#[derive(Debug)]
pub enum SentDetail<'a> {
    /// Absent or `null`.
    Missing,
    /// A JSON object: its text in the request.
    Object(&'a str),
    /// A string (to hold a JSON object): its text, unescaped.
    Text(Cow<'a, str>),
    /// Anything else.
    Malformed,
}

/// Size of an entry as EventBridge computes it: 14 bytes if `Time` is set, plus the
/// UTF-8 bytes of `Source`, `DetailType`, `Detail` (the text of a string, or the JSON of
/// an object as sent) and each of `Resources`.
pub fn measure(mut entry: EntryInput<'_>) -> Measured<'_> {
    let text = |field: &Option<Value>| field.as_ref().and_then(Value::as_str).map_or(0, str::len);
    let time = if entry.time.as_ref().is_some_and(|t| !t.is_null()) { 14 } else { 0 };
    let sent = match entry.detail.take() {
        None => SentDetail::Missing,
        Some(DetailInput::Text(text)) => SentDetail::Text(text),
        Some(DetailInput::NotText) => SentDetail::Malformed,
        Some(DetailInput::Raw(raw)) => match raw.get().trim() {
            "null" => SentDetail::Missing,
            raw if raw.starts_with('{') => SentDetail::Object(raw),
            raw if raw.starts_with('"') => crate::json::string_literal(raw)
                .map_or(SentDetail::Malformed, |text| SentDetail::Text(Cow::Owned(text))),
            _ => SentDetail::Malformed,
        },
    };
    let detail = match &sent {
        SentDetail::Object(raw) => raw.len(),
        SentDetail::Text(text) => text.len(),
        SentDetail::Missing | SentDetail::Malformed => 0,
    };
    let resources = entry
        .resources
        .as_ref()
        .and_then(Value::as_array)
        .map_or(0, |r| r.iter().filter_map(Value::as_str).map(str::len).sum());
    let size = time + text(&entry.source) + text(&entry.detail_type) + detail + resources;
    Measured { entry, size, detail: sent }
}

/// The stored text of a `detail` whose JSON text is `raw`: `raw` itself when it is on
/// one line (events are stored one per line), else the compact JSON of `doc`.
fn detail_text<'a>(raw: &'a str, doc: &Doc<'_>) -> Cow<'a, str> {
    // memchr: SIMD, where a byte loop over a 1 KB detail cost 2% of PutEvents.
    if memchr::memchr2(b'\n', b'\r', raw.as_bytes()).is_some() {
        let mut out = Vec::with_capacity(raw.len());
        doc.write_json(&mut out);
        // serde_json writes UTF-8.
        Cow::Owned(String::from_utf8(out).unwrap_or_default())
    } else {
        Cow::Borrowed(raw.trim())
    }
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

/// Builds the envelope of one PutEvents entry (borrowing its `detail` from the request,
/// or from the unescaped text in `measured.detail`).
///
/// # Errors
/// `InvalidArgument` for a missing or mistyped field, `MalformedDetail` when `detail` is
/// neither an object nor a string holding one.
pub fn build<'m>(measured: &'m mut Measured<'_>, now: &str) -> Result<Envelope<'m>, EntryFailure> {
    let entry = &mut measured.entry;
    if entry.not_object {
        return Err(EntryFailure::invalid("Entry", "an entry is a JSON object."));
    }
    let source = required_text(entry.source.take(), "Source", MAX_SOURCE)?;
    let detail_type = required_text(entry.detail_type.take(), "DetailType", MAX_DETAIL_TYPE)?;
    let raw: &'m str = match &measured.detail {
        SentDetail::Missing => return Err(EntryFailure::invalid("Detail", "Detail is a required argument.")),
        SentDetail::Object(raw) => raw,
        SentDetail::Text(text) => text,
        SentDetail::Malformed => return Err(malformed()),
    };
    let Ok(detail @ Doc::Object(_)) = Doc::parse(raw) else {
        return Err(malformed());
    };
    let detail_json = detail_text(raw, &detail);
    let time = match entry.time.take() {
        None | Some(Value::Null) => now.to_owned(),
        Some(Value::String(t)) => OffsetDateTime::parse(&t, &Rfc3339)
            .map(format_time)
            .map_err(|_| EntryFailure::invalid("Time", "Time is not an RFC 3339 timestamp."))?,
        Some(_) => return Err(EntryFailure::invalid("Time", "Time is not an RFC 3339 timestamp.")),
    };
    let resources = match entry.resources.take() {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        Some(_) => return Err(EntryFailure::invalid("Resources", "Resources is a list of strings.")),
    };
    if let Some(unknown) = &entry.unknown {
        return Err(EntryFailure::invalid(
            "Entry",
            &format!("'{unknown}' is not an entry field (source, detailType, detail, time, resources)."),
        ));
    }
    let id = uuid::Uuid::new_v4().to_string();
    Ok(Envelope { id, source, detail_type, time, resources, detail, detail_json })
}

/// An envelope for an event the service emits itself (registry changes).
pub fn service_event(source: &str, detail_type: &str, detail: &Value) -> Envelope<'static> {
    let detail_json = detail.to_string();
    Envelope {
        id: uuid::Uuid::new_v4().to_string(),
        source: source.to_owned(),
        detail_type: detail_type.to_owned(),
        time: now_event_time(),
        resources: Vec::new(),
        detail: Doc::parse(&detail_json).map_or(Doc::Null, Doc::into_owned),
        detail_json: Cow::Owned(detail_json),
    }
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

    fn entry(text: &str) -> EntryInput<'_> {
        serde_json::from_str(text).expect("an entry")
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
        let text = r#"{"source": "orders", "detailType": "Order Placed", "detail": "{\"a\":1}", "time": "2024-01-02T03:04:05.678+01:00", "resources": ["r1"]}"#;
        let mut measured = measure(entry(text));
        assert_eq!(measured.size, 14 + 6 + 12 + 7 + 2);
        let envelope = build(&mut measured, "x").expect("builds");
        let value = envelope.to_value(&ctx());
        assert_eq!(value["time"], "2024-01-02T02:04:05Z");
        let schema: Value = serde_json::from_str(ENVELOPE_SCHEMA).expect("schema");
        assert!(jsonschema::validator_for(&schema).expect("compiles").is_valid(&value));
        let keys: Vec<_> = value.as_object().expect("object").keys().cloned().collect();
        assert_eq!(keys, FIELDS);
        let object = measure(entry(r#"{"source": "s", "detailType": "T", "detail": {"a": [1, 2]}}"#));
        assert_eq!(object.size, 1 + 1 + r#"{"a": [1, 2]}"#.len(), "an object detail counts as sent");
    }

    #[test]
    fn stored_bytes_are_the_envelope_value_with_the_detail_as_sent_on_one_line() {
        let detail = json!({"b": [1, 2.5, "é\n\"q\""], "a": {"z": null, "y": true}, "n": -0.0, "big": 18446744073709551615u64});
        let texts = [
            json!({"source": "s\"x", "detailType": "T", "detail": detail, "resources": ["r"]}).to_string(),
            json!({"source": "s", "detailType": "T", "detail": detail.to_string()}).to_string(),
            serde_json::to_string_pretty(&json!({"source": "s", "detailType": "T", "detail": detail}))
                .expect("pretty"),
            json!({"source": "s", "detailType": "T", "detail": serde_json::to_string_pretty(&detail).expect("pretty")})
                .to_string(),
        ];
        for text in texts {
            let mut measured = measure(entry(&text));
            let envelope = build(&mut measured, "2024-01-01T00:00:00Z").expect("builds");
            let bytes = envelope.to_bytes(&ctx());
            assert!(!bytes.contains(&b'\n'), "one line: {}", String::from_utf8_lossy(&bytes));
            let stored: Value = serde_json::from_slice(&bytes).expect("stored bytes are JSON");
            assert_eq!(stored, envelope.to_value(&ctx()), "{text}");
            assert_eq!(stored["detail"], detail);
        }
    }

    #[test]
    fn the_matcher_sees_the_envelope_as_the_stored_event() {
        let text = r#"{"source": "orders", "detailType": "Order Placed", "resources": ["arn:1"], "detail": {"n": 5, "tags": ["a", "b"], "c": {"x": "y"}}}"#;
        let mut measured = measure(entry(text));
        let envelope = build(&mut measured, "2024-01-01T00:00:00Z").expect("builds");
        let stored = envelope.to_value(&ctx());
        let mut matcher = crate::pattern::PatternMatcher::new();
        let patterns = [
            json!({"source": ["orders"], "detail": {"n": [{"numeric": [">", 4]}]}}),
            json!({"account": ["123456789012"], "region": ["local"], "version": ["0"]}),
            json!({"resources": ["arn:1"], "detail": {"tags": ["b"], "c": {"x": ["y"]}}}),
            json!({"detail-type": ["Order Placed"], "detail": {"c": {"x": ["z"]}}}),
            json!({"id": [{"exists": true}], "time": [{"prefix": "2024-"}]}),
        ];
        for (i, p) in patterns.iter().enumerate() {
            matcher.add(i, crate::pattern::Pattern::parse(p).expect("pattern"));
        }
        let mut by_fields = matcher.matches_fields(envelope.fields(&ctx()));
        let mut by_value = matcher.matches(&stored);
        by_fields.sort_unstable();
        by_value.sort_unstable();
        assert_eq!(by_fields, vec![0, 1, 2, 4]);
        assert_eq!(by_fields, by_value);
    }

    #[test]
    fn bad_entries_fail_with_eventbridge_codes() {
        let fail = |text: &str| build(&mut measure(entry(text)), "t").expect_err("refused");
        let err = fail(r#"{"detailType": "x", "detail": {}}"#);
        assert_eq!(err.message, "Parameter Source is not valid. Reason: Source is a required argument.");
        for detail in [r#""[1]""#, "[1]", "3", r#""not json""#, r#""null""#] {
            let err = fail(&format!(r#"{{"source": "s", "detailType": "x", "detail": {detail}}}"#));
            assert_eq!(err.code, "MalformedDetail", "{detail}");
        }
        for text in
            [r#"{"source": "s", "detailType": "x"}"#, r#"{"source": "s", "detailType": "x", "detail": null}"#]
        {
            assert_eq!(
                fail(text).message,
                "Parameter Detail is not valid. Reason: Detail is a required argument."
            );
        }
    }
}
