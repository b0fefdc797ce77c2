//! PURE: input transformation of targets (EventBridge's `Input`, `InputPath` and
//! `InputTransformer`), compiled once when a rule is saved and applied per delivery.
//! See docs/DELIVERY.md#input-transformation for the rules, with examples.

pub mod path;
pub mod template;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::InputTransformer;
pub use path::JsonPath;
pub use template::{Rendered, Template};

/// Most entries in `inputPathsMap`, as EventBridge.
pub const MAX_PATHS: usize = 100;
/// Largest constant `input`, in bytes of compact JSON, as EventBridge.
pub const MAX_INPUT_BYTES: usize = 8192;

/// Why a target's input options are refused; `pointer` is relative to the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransformError {
    /// JSON Pointer relative to the target (`/inputTransformer/inputTemplate`).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

fn error(pointer: impl Into<String>, message: impl Into<String>) -> TransformError {
    TransformError { pointer: pointer.into(), message: message.into() }
}

/// What the rule knows about itself, for the reserved variables.
#[derive(Debug, Clone, Copy)]
pub struct RuleContext<'a> {
    /// `<aws.events.rule-name>`.
    pub rule_name: &'a str,
    /// `<aws.events.rule-arn>`.
    pub rule_arn: &'a str,
    /// `<aws.events.event.ingestion-time>`.
    pub ingestion_time: &'a str,
}

/// A target's compiled input option.
#[derive(Debug, Clone, PartialEq)]
pub enum Transformation {
    /// No option: the whole event.
    Whole,
    /// `input`: a constant.
    Constant(String),
    /// `inputPath`.
    Path(JsonPath),
    /// `inputTransformer`.
    Template {
        /// Name → path.
        paths: BTreeMap<String, JsonPath>,
        /// The template.
        template: Template,
    },
}

/// The delivered payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// JSON text.
    Json(Vec<u8>),
    /// Plain text (a non-JSON template).
    Text(String),
}

impl Payload {
    /// As a JSON document: plain text becomes a JSON string (queue message bodies).
    pub fn into_json_bytes(self) -> Vec<u8> {
        match self {
            Self::Json(bytes) => bytes,
            Self::Text(text) => Value::String(text).to_string().into_bytes(),
        }
    }
}

impl Transformation {
    /// Compiles a target's options; at most one may be set.
    ///
    /// # Errors
    /// [`TransformError`] with a pointer to the offending field.
    pub fn compile(
        input: Option<&Value>,
        input_path: Option<&str>,
        transformer: Option<&InputTransformer>,
    ) -> Result<Self, TransformError> {
        let set = [input.is_some(), input_path.is_some(), transformer.is_some()];
        if set.iter().filter(|s| **s).count() > 1 {
            let second = if transformer.is_some() { "/inputTransformer" } else { "/inputPath" };
            return Err(error(second, "input, inputPath and inputTransformer are mutually exclusive"));
        }
        if let Some(value) = input {
            let text = value.to_string();
            if text.len() > MAX_INPUT_BYTES {
                return Err(error("/input", format!("input is larger than {MAX_INPUT_BYTES} bytes")));
            }
            return Ok(Self::Constant(text));
        }
        if let Some(path) = input_path {
            return JsonPath::parse(path).map(Self::Path).map_err(|e| error("/inputPath", e));
        }
        let Some(t) = transformer else {
            return Ok(Self::Whole);
        };
        if t.input_paths_map.len() > MAX_PATHS {
            return Err(error(
                "/inputTransformer/inputPathsMap",
                format!("inputPathsMap has at most {MAX_PATHS} entries"),
            ));
        }
        let mut paths = BTreeMap::new();
        for (name, path) in &t.input_paths_map {
            let pointer =
                format!("/inputTransformer/inputPathsMap/{}", name.replace('~', "~0").replace('/', "~1"));
            let valid_name = !name.is_empty()
                && name.len() <= 256
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !valid_name {
                return Err(error(
                    pointer,
                    format!("'{name}' is not a variable name ([A-Za-z0-9_-]{{1,256}})"),
                ));
            }
            if name.to_ascii_lowercase().starts_with("aws") {
                return Err(error(pointer, format!("'{name}': names starting with 'aws' are reserved")));
            }
            paths.insert(name.clone(), JsonPath::parse(path).map_err(|e| error(pointer, e))?);
        }
        let template = Template::parse(&t.input_template, |name| {
            paths.contains_key(name) || template::RESERVED.contains(&name)
        })
        .map_err(|e| error("/inputTransformer/inputTemplate", e))?;
        Ok(Self::Template { paths, template })
    }

    /// Whether this is [`Self::Whole`] (the event goes as it is).
    pub fn is_whole(&self) -> bool {
        matches!(self, Self::Whole)
    }

    /// Applies the option to an event (`bytes` is its JSON text).
    pub fn apply(&self, event: &Value, bytes: &[u8], rule: &RuleContext<'_>) -> Payload {
        match self {
            Self::Whole => Payload::Json(bytes.to_vec()),
            Self::Constant(text) => Payload::Json(text.clone().into_bytes()),
            Self::Path(path) => Payload::Json(
                path.select(event).map_or_else(|| b"null".to_vec(), |v| v.to_string().into_bytes()),
            ),
            Self::Template { paths, template } => {
                let value = |name: &str| -> Option<Value> {
                    match name {
                        template::RULE_NAME => Some(Value::from(rule.rule_name)),
                        template::RULE_ARN => Some(Value::from(rule.rule_arn)),
                        template::INGESTION_TIME => Some(Value::from(rule.ingestion_time)),
                        template::EVENT => {
                            let mut without = event.clone();
                            if let Some(map) = without.as_object_mut() {
                                map.remove("detail");
                            }
                            Some(without)
                        }
                        template::EVENT_JSON => Some(event.clone()),
                        _ => paths.get(name).and_then(|p| p.select(event)).cloned(),
                    }
                };
                let raw = |name: &str| {
                    (name == template::EVENT_JSON).then(|| String::from_utf8_lossy(bytes).into_owned())
                };
                match template.render(value, raw) {
                    Rendered::Json(text) => Payload::Json(text.into_bytes()),
                    Rendered::Text(text) => Payload::Text(text),
                }
            }
        }
    }
}

/// The ARN EventBridge gives a rule: `rule/<name>` on the default bus, `rule/<bus>/<name>`
/// on others.
pub fn rule_arn(region: &str, account: &str, bus: &str, rule: &str) -> String {
    if bus == crate::model::DEFAULT_BUS {
        format!("arn:aws:events:{region}:{account}:rule/{rule}")
    } else {
        format!("arn:aws:events:{region}:{account}:rule/{bus}/{rule}")
    }
}
