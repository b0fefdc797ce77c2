//! Project files as JSON values with the line of every JSON Pointer, so a finding in a
//! schema or in `schemabus.yaml` points at the line a reviewer sees in the pull request.
//!
//! YAML is read with `yaml-rust2`'s event parser (YAML 1.2, core schema): plain scalars
//! become null, booleans, integers or floats as the core schema says, quoted ones strings.
//! Anchors and aliases are refused (a project file is configuration, and aliases are the
//! way YAML bombs grow), as are several documents in one file and non-JSON numbers
//! (`.inf`, `.nan`). JSON files are parsed by `serde_json` (exact numbers); their lines come
//! from the same event parser, JSON being YAML 1.2.

use std::collections::BTreeMap;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// JSON Pointer -> 1-based line where the value (for a member: its key) starts.
pub type Lines = BTreeMap<String, usize>;

/// A parse failure with its line and column (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Parses YAML (or JSON) text into a value and the line of every pointer.
///
/// # Errors
/// Syntax errors, aliases, several documents, numbers JSON cannot hold.
pub fn parse_yaml(text: &str) -> Result<(Value, Lines), ParseError> {
    let mut builder = Builder::default();
    Parser::new_from_str(text).load(&mut builder, true).map_err(|e| ParseError {
        line: e.marker().line(),
        column: e.marker().col() + 1,
        message: e.info().to_owned(),
    })?;
    if let Some(e) = builder.error {
        return Err(e);
    }
    if builder.documents > 1 {
        return Err(ParseError { line: 1, column: 1, message: "several YAML documents in one file".into() });
    }
    Ok((builder.root.unwrap_or(Value::Null), builder.lines))
}

/// Parses a JSON or YAML file by its extension (`.json`: JSON, anything else: YAML).
///
/// # Errors
/// As [`parse_yaml`], or `serde_json`'s error for a `.json` file.
pub fn parse_file(name: &str, text: &str) -> Result<(Value, Lines), ParseError> {
    if !name.ends_with(".json") {
        return parse_yaml(text);
    }
    let value: Value = super::strict_json::from_str(text).map_err(|e| ParseError {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    // Lines are a convenience: JSON the YAML parser refuses (a tab before a key, say)
    // still loads, its findings then point at line 1.
    let lines = parse_yaml(text).map(|(_, l)| l).unwrap_or_default();
    Ok((value, lines))
}

/// The line of `pointer`, or of its nearest ancestor that has one (1 at worst).
pub fn line_of(lines: &Lines, pointer: &str) -> usize {
    let mut p = pointer;
    loop {
        if let Some(line) = lines.get(p) {
            return *line;
        }
        match p.rfind('/') {
            Some(i) => p = &p[..i],
            None => return 1,
        }
    }
}

/// Escapes one JSON Pointer segment (RFC 6901).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

enum Frame {
    Map { map: Map<String, Value>, key: Option<String>, pointer: String },
    Seq { items: Vec<Value>, pointer: String },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Value>,
    lines: Lines,
    documents: usize,
    error: Option<ParseError>,
}

impl Builder {
    fn fail(&mut self, mark: Marker, message: &str) {
        if self.error.is_none() {
            self.error =
                Some(ParseError { line: mark.line(), column: mark.col() + 1, message: message.into() });
        }
    }

    /// The pointer the next value gets, and whether it is a mapping key.
    fn next_pointer(&self) -> (String, bool) {
        match self.stack.last() {
            None => (String::new(), false),
            Some(Frame::Seq { items, pointer }) => (format!("{pointer}/{}", items.len()), false),
            Some(Frame::Map { key: None, .. }) => (String::new(), true),
            Some(Frame::Map { key: Some(k), pointer, .. }) => (format!("{pointer}/{}", escape(k)), false),
        }
    }

    fn push_value(&mut self, value: Value, mark: Marker) {
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map { map, key, .. }) => match key.take() {
                Some(k) => {
                    map.insert(k, value);
                }
                None => match value {
                    Value::String(k) => {
                        if map.contains_key(&k) {
                            self.fail(mark, &format!("duplicate key '{k}'"));
                        }
                        if let Some(Frame::Map { key, pointer, .. }) = self.stack.last_mut() {
                            self.lines.insert(format!("{pointer}/{}", escape(&k)), mark.line());
                            *key = Some(k);
                        }
                    }
                    _ => self.fail(mark, "a mapping key must be a string"),
                },
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        match ev {
            Event::DocumentStart => self.documents += 1,
            Event::Alias(_) => self.fail(mark, "aliases are not accepted in project files"),
            Event::Scalar(text, style, anchor, _) => {
                if anchor != 0 {
                    return self.fail(mark, "anchors are not accepted in project files");
                }
                let (pointer, is_key) = self.next_pointer();
                let value = if style == TScalarStyle::Plain && !is_key {
                    match plain_scalar(&text) {
                        Ok(v) => v,
                        Err(message) => return self.fail(mark, &message),
                    }
                } else {
                    Value::String(text)
                };
                if !is_key {
                    self.lines.entry(pointer).or_insert(mark.line());
                }
                self.push_value(value, mark);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if anchor != 0 {
                    return self.fail(mark, "anchors are not accepted in project files");
                }
                let (pointer, is_key) = self.next_pointer();
                if is_key {
                    return self.fail(mark, "a mapping key must be a string");
                }
                self.lines.entry(pointer.clone()).or_insert(mark.line());
                self.stack.push(if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map { map: Map::new(), key: None, pointer }
                } else {
                    Frame::Seq { items: Vec::new(), pointer }
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let value = match self.stack.pop() {
                    Some(Frame::Map { map, .. }) => Value::Object(map),
                    Some(Frame::Seq { items, .. }) => Value::Array(items),
                    None => return,
                };
                self.push_value(value, mark);
            }
            _ => {}
        }
    }
}

/// A plain scalar under the YAML 1.2 core schema.
fn plain_scalar(text: &str) -> Result<Value, String> {
    Ok(match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "-.inf" | ".nan" | ".NaN" | ".NAN" => {
            return Err(format!("'{text}' is not a JSON number; quote it to make it a string"));
        }
        _ => {
            if let Ok(i) = text.parse::<i64>() {
                Value::Number(i.into())
            } else if let Ok(u) = text.parse::<u64>() {
                Value::Number(u.into())
            } else if looks_like_float(text)
                && let Some(n) = text.parse::<f64>().ok().and_then(Number::from_f64)
            {
                Value::Number(n)
            } else {
                Value::String(text.to_owned())
            }
        }
    })
}

/// The core schema's float form (`1.5`, `-2e3`, `.5`), not everything `f64` parses
/// (`inf`, `NaN`, `1_000`).
fn looks_like_float(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    !t.is_empty()
        && t.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        && t.chars().next().is_some_and(|c| c.is_ascii_digit() || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_becomes_json_with_the_line_of_every_pointer() {
        let text = "version: 1\nregistries:\n  shop:\n    schemas:\n      a@B:\n        file: x.json\nlist:\n  - 1.5\n  - \"2\"\n  - ~\n";
        let (v, lines) = parse_yaml(text).unwrap();
        assert_eq!(
            v,
            json!({"version": 1, "registries": {"shop": {"schemas": {"a@B": {"file": "x.json"}}}},
                "list": [1.5, "2", null]})
        );
        assert_eq!(lines["/registries/shop/schemas/a@B/file"], 6);
        assert_eq!(lines["/list/1"], 9);
        assert_eq!(line_of(&lines, "/registries/shop/schemas/a@B/file/extra"), 6);
        assert_eq!(line_of(&lines, "/nowhere"), 1);
    }

    #[test]
    fn json_keeps_exact_numbers_and_gets_lines() {
        let text = "{\n  \"type\": \"object\",\n  \"properties\": {\n    \"id\": {\"type\": \"string\"},\n    \"n\": {\"maximum\": 12345678901234567890}\n  }\n}\n";
        let (v, lines) = parse_file("s.json", text).unwrap();
        assert_eq!(v["properties"]["n"]["maximum"], json!(12_345_678_901_234_567_890_u64));
        assert_eq!(lines["/properties/id"], 4);
        assert_eq!(lines["/properties/n/maximum"], 5);
    }

    #[test]
    fn aliases_duplicates_and_bad_numbers_are_refused_with_their_line() {
        let e = parse_yaml("a: &x 1\nb: *x\n").unwrap_err();
        assert_eq!(e.line, 1, "{e:?}");
        let e = parse_yaml("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert!(e.message.contains("duplicate key 'a'"), "{e:?}");
        assert_eq!(e.line, 3);
        assert!(parse_yaml("a: .inf\n").is_err());
        assert!(parse_yaml("a: 1\n---\nb: 2\n").is_err());
        let e = parse_yaml("a:\n  - b\n  c: d\n").unwrap_err();
        assert!(e.line >= 2, "{e:?}");
        assert_eq!(parse_yaml("v: inf\nw: 1_000\n").unwrap().0, json!({"v": "inf", "w": "1_000"}));
    }
}
