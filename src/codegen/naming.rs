//! Identifier construction: case conversion, keyword escaping and collision-free allocation.
//!
//! Everything here is deterministic: the same sequence of requests yields the same names.

use std::collections::BTreeSet;

/// Rust keywords (strict, reserved and 2024-edition), escaped with a trailing `_`.
///
/// A trailing underscore is used instead of `r#` because `r#self`, `r#crate` ... are not
/// allowed and one rule for all keywords is easier to predict.
const RUST_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop",
    "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return", "self", "static",
    "struct", "super", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use", "virtual",
    "where", "while", "yield", "union",
];

/// Type names that would shadow names the generated code (or its readers) rely on, in either
/// language. A schema asking for one of them gets the `Type` suffix.
const RESERVED_TYPE_NAMES: &[&str] = &[
    "Self",
    "Event",
    "Detail",
    "Value",
    "Map",
    "String",
    "Vec",
    "Option",
    "Box",
    "Result",
    "Some",
    "None",
    "Ok",
    "Err",
    "Number",
    "Boolean",
    "Object",
    "Array",
    "Record",
    "Partial",
    "Date",
    "Set",
    "Promise",
    "Error",
    "Function",
    "Symbol",
    "Json",
    "JSON",
    "Math",
    "Default",
    "Clone",
    "Copy",
    "Debug",
    "Eq",
    "PartialEq",
    "Ord",
    "PartialOrd",
    "Hash",
    "Send",
    "Sync",
    "Sized",
    "RegExp",
    "Drop",
    "Fn",
    "FnMut",
    "FnOnce",
    "From",
    "Into",
    "TryFrom",
    "TryInto",
    "Iterator",
    "IntoIterator",
    "ToString",
    "ToOwned",
    "Serialize",
    "Deserialize",
    "Serializer",
    "Deserializer",
    "BTreeMap",
    "Unknown",
    "Never",
    "Any",
    "Readonly",
    "Required",
    "Pick",
    "Omit",
    "Unit",
];

/// Splits an arbitrary string into lower-case ASCII words.
///
/// Word boundaries are non-alphanumeric characters, lower→upper transitions (`fooBar`),
/// acronym ends (`HTTPServer` → `http`, `server`) and digit→upper (`v2Api`). Non-ASCII
/// characters are dropped so identifiers stay portable.
pub fn words(input: &str) -> Vec<String> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !current.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let boundary = prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower);
            if boundary {
                out.push(std::mem::take(&mut current));
            }
        }
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `PascalCase` from any string (may be empty or start with a digit; see [`type_name`]).
pub fn pascal_case(input: &str) -> String {
    words(input)
        .iter()
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// `snake_case` from any string (may be empty or start with a digit; see [`rust_field_name`]).
pub fn snake_case(input: &str) -> String {
    words(input).join("_")
}

/// A valid, non-reserved PascalCase type or variant name for `input` (before de-duplication).
pub fn type_name(input: &str, fallback: &str) -> String {
    let mut name = pascal_case(input);
    if name.is_empty() {
        name = fallback.to_string();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("T{name}");
    }
    if RESERVED_TYPE_NAMES.contains(&name.as_str()) {
        name.push_str("Type");
    }
    name
}

/// A valid snake_case Rust field identifier for a wire name (before de-duplication).
pub fn rust_field_name(wire: &str) -> String {
    let mut name = snake_case(wire);
    if name.is_empty() {
        name = "field".to_string();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("x{name}");
    }
    if RUST_KEYWORDS.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// Is `name` usable as a bare TypeScript property name (otherwise it is quoted)?
pub fn is_ts_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// Hands out names that are unique within one namespace, adding `2`, `3` ... on collision
/// (with `_2` for snake_case names so they stay snake_case).
#[derive(Debug, Default, Clone)]
pub struct NameAllocator {
    used: BTreeSet<String>,
}

impl NameAllocator {
    /// An allocator where `reserved` names are already taken.
    pub fn with_reserved<'a>(reserved: impl IntoIterator<Item = &'a str>) -> Self {
        Self { used: reserved.into_iter().map(str::to_string).collect() }
    }

    /// Returns `candidate`, or the first free `candidate{n}` / `candidate_{n}` (n ≥ 2).
    pub fn allocate(&mut self, candidate: &str) -> String {
        if self.used.insert(candidate.to_string()) {
            return candidate.to_string();
        }
        let separator = if candidate.contains('_') || candidate.starts_with(|c: char| c.is_ascii_lowercase())
        {
            "_"
        } else {
            ""
        };
        let mut n = 2usize;
        loop {
            let name = format!("{candidate}{separator}{n}");
            if self.used.insert(name.clone()) {
                return name;
            }
            n += 1;
        }
    }
}

/// Title and description as plain text lines for doc comments (title, blank line,
/// description). Indentation is capped at 3 columns and code fences are defused, because
/// rustdoc would otherwise compile indented or fenced code as doctests of the generated
/// crate; `*/` is broken up so it cannot end a TypeScript comment.
pub fn doc_lines(title: Option<&str>, description: Option<&str>) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for text in [title, description].into_iter().flatten() {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        for line in text.lines() {
            let text = line.trim();
            let indent = line.len() - line.trim_start().len();
            let kept = " ".repeat(indent.min(3));
            lines.push(format!(
                "{kept}{}",
                text.replace("```", "'''").replace("~~~", "'''").replace("*/", "* /")
            ));
        }
    }
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_on_case_acronyms_and_separators() {
        assert_eq!(words("fooBar"), ["foo", "bar"]);
        assert_eq!(words("foo_bar"), ["foo", "bar"]);
        assert_eq!(words("HTTPServer2Go"), ["http", "server2", "go"]);
        assert_eq!(words("detail-type"), ["detail", "type"]);
        assert_eq!(words("naïve"), ["na", "ve"]);
    }

    #[test]
    fn names_are_valid_and_escaped() {
        assert_eq!(type_name("order placed", "X"), "OrderPlaced");
        assert_eq!(type_name("3d", "X"), "T3d");
        assert_eq!(type_name("Event", "X"), "EventType");
        assert_eq!(type_name("", "Fallback"), "Fallback");
        assert_eq!(rust_field_name("type"), "type_");
        assert_eq!(rust_field_name("self"), "self_");
        assert_eq!(rust_field_name("1st"), "x1st");
        assert_eq!(rust_field_name("$"), "field");
        assert!(is_ts_identifier("$ok_1"));
        assert!(!is_ts_identifier("foo-bar"));
    }

    #[test]
    fn allocator_suffixes_deterministically() {
        let mut a = NameAllocator::default();
        assert_eq!(a.allocate("foo_bar"), "foo_bar");
        assert_eq!(a.allocate("foo_bar"), "foo_bar_2");
        assert_eq!(a.allocate("Foo"), "Foo");
        assert_eq!(a.allocate("Foo"), "Foo2");
    }
}
