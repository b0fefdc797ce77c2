//! EventBridge envelopes and the names of discovered event types.

use serde_json::Value;

/// An EventBridge envelope recognised in a sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope<'a> {
    /// `<source>@<DetailTypeInPascalCase>`, the discovered-schema name.
    pub type_name: String,
    /// The `detail` member.
    pub detail: &'a Value,
}

/// Recognises an EventBridge envelope: an object with string `source` and `detail-type`
/// and a `detail` member. Anything else is a bare document and yields `None`.
pub fn split_envelope(doc: &Value) -> Option<Envelope<'_>> {
    let o = doc.as_object()?;
    let source = o.get("source")?.as_str()?;
    let detail_type = o.get("detail-type")?.as_str()?;
    let detail = o.get("detail")?;
    Some(Envelope { type_name: event_type_name(source, detail_type), detail })
}

/// `<source>@<PascalCase(detail-type)>`, as EventBridge schema discovery names types:
/// words are split on every character that is not a letter or digit (space, hyphen,
/// underscore, dot, slash, ...), each word's first letter is upper-cased and the rest kept
/// as written, so `EC2` stays `EC2`. The source is kept verbatim, partner paths included.
///
/// `event_type_name("orders", "Order Placed") == "orders@OrderPlaced"`.
pub fn event_type_name(source: &str, detail_type: &str) -> String {
    let mut out = String::with_capacity(source.len() + detail_type.len() + 1);
    out.push_str(source);
    out.push('@');
    out.push_str(&pascal_case(detail_type));
    out
}

/// PascalCase of a detail-type (see [`event_type_name`]).
pub fn pascal_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}
