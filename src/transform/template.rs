//! `InputTemplate`: text with `<name>` placeholders, rendered with EventBridge's quoting
//! rules (docs/DELIVERY.md#input-transformation).
//!
//! A template whose first non-blank character is `{`, `[` or `"` is a JSON template:
//! an unquoted placeholder inserts the JSON value (strings quoted, a missing path gives
//! `null`); a placeholder inside a JSON string splices the value's text (a missing path
//! gives nothing). Any other template is plain text: every placeholder splices text.
//! `<...>` naming no variable is kept as written (so `<b>` in HTML stays).

use serde_json::Value;

/// Reserved variable: the rule's ARN.
pub const RULE_ARN: &str = "aws.events.rule-arn";
/// Reserved variable: the rule's name.
pub const RULE_NAME: &str = "aws.events.rule-name";
/// Reserved variable: when the event was accepted (ISO 8601).
pub const INGESTION_TIME: &str = "aws.events.event.ingestion-time";
/// Reserved variable: the event without `detail`.
pub const EVENT: &str = "aws.events.event";
/// Reserved variable: the whole event.
pub const EVENT_JSON: &str = "aws.events.event.json";

/// Every reserved variable.
pub const RESERVED: [&str; 5] = [RULE_ARN, RULE_NAME, INGESTION_TIME, EVENT, EVENT_JSON];

/// Longest template, as EventBridge.
pub const MAX_TEMPLATE_LEN: usize = 8192;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    /// `quoted`: inside a JSON string (or anywhere in a text template).
    Placeholder {
        name: String,
        quoted: bool,
    },
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    json: bool,
    parts: Vec<Part>,
}

/// What rendering produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rendered {
    /// A JSON document (as the template laid it out).
    Json(String),
    /// Plain text.
    Text(String),
}

impl Template {
    /// Parses `text`; `known` says whether a name is a variable (a path-map key or a
    /// reserved name).
    ///
    /// # Errors
    /// A sentence saying what is wrong: too long, a reserved event variable inside a
    /// string, or a JSON template that is not JSON (for example a placeholder as a key).
    pub fn parse(text: &str, known: impl Fn(&str) -> bool) -> Result<Self, String> {
        if text.is_empty() || text.chars().count() > MAX_TEMPLATE_LEN {
            return Err(format!("the template has 1 to {MAX_TEMPLATE_LEN} characters"));
        }
        let json = matches!(text.trim_start().chars().next(), Some('{' | '[' | '"'));
        let mut parts = Vec::new();
        let mut literal = String::new();
        let (mut in_string, mut escaped) = (false, false);
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if c == '<'
                && let Some(end) = rest.find('>')
                && known(&rest[1..end])
            {
                let name = rest[1..end].to_owned();
                let quoted = !json || in_string;
                if quoted && (name == EVENT || name == EVENT_JSON) {
                    return Err(format!(
                        "<{name}> can only be used as a JSON value, not inside a string or a text template"
                    ));
                }
                parts.push(Part::Literal(std::mem::take(&mut literal)));
                parts.push(Part::Placeholder { name, quoted });
                rest = &rest[end + 1..];
                continue;
            }
            if json {
                if escaped {
                    escaped = false;
                } else if in_string && c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_string = !in_string;
                }
            }
            literal.push(c);
            rest = &rest[c.len_utf8()..];
        }
        parts.push(Part::Literal(literal));
        parts.retain(|p| !matches!(p, Part::Literal(l) if l.is_empty()));
        let template = Self { json, parts };
        if json {
            let probe = template.render(|_| None, |_| None);
            if let Rendered::Json(text) = probe {
                serde_json::from_str::<Value>(&text)
                    .map_err(|e| format!("the template is not valid JSON once placeholders are filled ({e}); placeholders cannot be object keys"))?;
            }
        }
        Ok(template)
    }

    /// Whether the output is JSON.
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Renders with `value(name)` giving each variable's value (`None`: missing path).
    /// `raw(name)` may give a variable's JSON text directly (the whole event, whose
    /// bytes are at hand) to save a serialisation.
    pub fn render(
        &self,
        value: impl Fn(&str) -> Option<Value>,
        raw: impl Fn(&str) -> Option<String>,
    ) -> Rendered {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(l) => out.push_str(l),
                Part::Placeholder { name, quoted: false } => match raw(name) {
                    Some(text) => out.push_str(&text),
                    None => match value(name) {
                        Some(v) => out.push_str(&v.to_string()),
                        None => out.push_str("null"),
                    },
                },
                Part::Placeholder { name, quoted: true } => {
                    let text = match value(name) {
                        Some(Value::String(s)) => s,
                        Some(other) => other.to_string(),
                        None => String::new(),
                    };
                    if self.json {
                        // JSON-escape (without quotes) so the output stays JSON; EventBridge
                        // splices unescaped and can emit broken JSON (docs/DELIVERY.md).
                        let quoted = Value::String(text).to_string();
                        out.push_str(&quoted[1..quoted.len() - 1]);
                    } else {
                        out.push_str(&text);
                    }
                }
            }
        }
        if self.json { Rendered::Json(out) } else { Rendered::Text(out) }
    }
}
