//! Read-only views over schema documents: drafts, documents, nodes and keyword helpers.

use std::sync::LazyLock;

use serde_json::{Map, Value};

/// The JSON Schema dialect a document is written in, from its `$schema`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Draft {
    Draft4,
    Draft6,
    Draft7,
    Draft201909,
    Draft202012,
}

impl Draft {
    /// Detects the draft from a root document; 2020-12 when `$schema` is absent or unknown,
    /// as the service documents.
    pub(crate) fn detect(root: &Value) -> Self {
        let Some(uri) = root.get("$schema").and_then(Value::as_str) else {
            return Self::Draft202012;
        };
        if uri.contains("draft-04") {
            Self::Draft4
        } else if uri.contains("draft-06") {
            Self::Draft6
        } else if uri.contains("draft-07") {
            Self::Draft7
        } else if uri.contains("2019-09") {
            Self::Draft201909
        } else {
            Self::Draft202012
        }
    }

    /// Whether the validator ignores `keyword` in this draft (it was introduced later or
    /// removed). Such keywords are read as absent, so an old draft-07 schema's
    /// `dependentRequired` never counts as a constraint it does not enforce.
    pub(crate) fn ignores(self, keyword: &str) -> bool {
        const SINCE_2019: &[&str] = &[
            "dependentRequired",
            "dependentSchemas",
            "unevaluatedItems",
            "unevaluatedProperties",
            "minContains",
            "maxContains",
            "contentSchema",
            "$recursiveRef",
        ];
        match self {
            Self::Draft4 => {
                SINCE_2019.contains(&keyword)
                    || matches!(
                        keyword,
                        "const"
                            | "contains"
                            | "propertyNames"
                            | "if"
                            | "then"
                            | "else"
                            | "prefixItems"
                            | "$dynamicRef"
                            | "contentMediaType"
                            | "contentEncoding"
                    )
            }
            Self::Draft6 => {
                SINCE_2019.contains(&keyword)
                    || matches!(keyword, "if" | "then" | "else" | "prefixItems" | "$dynamicRef")
            }
            Self::Draft7 => SINCE_2019.contains(&keyword) || matches!(keyword, "prefixItems" | "$dynamicRef"),
            Self::Draft201909 => matches!(keyword, "prefixItems" | "$dynamicRef"),
            Self::Draft202012 => keyword == "$recursiveRef",
        }
    }

    /// Whether `$ref` siblings are ignored (drafts 4 to 7) rather than applied.
    pub(crate) fn ref_overrides_siblings(self) -> bool {
        self <= Self::Draft7
    }
}

/// A schema document together with what is needed to resolve references inside it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Doc<'a> {
    /// The document root, target of `#...` references.
    pub root: &'a Value,
    /// The document's absolute URI without fragment, when known.
    pub base: Option<&'a str>,
    /// The document's draft.
    pub draft: Draft,
}

impl<'a> Doc<'a> {
    pub(crate) fn new(root: &'a Value, base: Option<&'a str>) -> Self {
        let base = base.or_else(|| root.get("$id").or_else(|| root.get("id")).and_then(Value::as_str));
        Self { root, base, draft: Draft::detect(root) }
    }
}

/// A subschema and the document it lives in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node<'a> {
    pub schema: &'a Value,
    pub doc: Doc<'a>,
}

impl<'a> Node<'a> {
    /// A node for a subschema of the same document.
    pub(crate) fn at(self, schema: &'a Value) -> Self {
        Self { schema, doc: self.doc }
    }

    /// The keyword map; `true` reads as the empty schema and `false` as the empty map
    /// too (callers test [`Node::is_false`] first).
    pub(crate) fn map(self) -> &'a Map<String, Value> {
        match self.schema {
            Value::Object(m) => m,
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) | Value::Array(_) => &EMPTY,
        }
    }

    /// A keyword's value; `None` also when the document's draft ignores the keyword.
    pub(crate) fn get(self, keyword: &str) -> Option<&'a Value> {
        let value = self.map().get(keyword)?;
        if self.doc.draft.ignores(keyword) { None } else { Some(value) }
    }

    /// A keyword's value as a child node.
    pub(crate) fn child(self, keyword: &str) -> Option<Self> {
        self.get(keyword).map(|v| self.at(v))
    }

    pub(crate) fn is_false(self) -> bool {
        is_false(self.schema)
    }

    pub(crate) fn is_trivially_true(self) -> bool {
        is_trivially_true(self.schema)
    }

    /// Pointer identity, used by the recursion guard (nodes live as long as the check).
    pub(crate) fn id(self) -> usize {
        std::ptr::from_ref(self.schema) as usize
    }
}

static EMPTY: LazyLock<Map<String, Value>> = LazyLock::new(Map::new);

/// The schema `true`, shared by callers that need a node for an absent keyword.
pub(crate) static TRUE: Value = Value::Bool(true);

/// Keywords that can make a schema reject a document (across all drafts). Anything else
/// (`title`, `$defs`, `x-...`) is an annotation or unknown and never constrains.
pub(crate) const VALIDATION_KEYWORDS: &[&str] = &[
    "type",
    "enum",
    "const",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "format",
    "items",
    "prefixItems",
    "additionalItems",
    "unevaluatedItems",
    "contains",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxContains",
    "minContains",
    "maxProperties",
    "minProperties",
    "required",
    "properties",
    "patternProperties",
    "additionalProperties",
    "unevaluatedProperties",
    "dependencies",
    "dependentRequired",
    "dependentSchemas",
    "propertyNames",
    "if",
    "then",
    "else",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "$ref",
    "$dynamicRef",
    "$recursiveRef",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
];

/// Validation keywords the rules do not analyse: any change to them is reported as
/// unprovable rather than guessed compatible.
pub(crate) const UNANALYSED_KEYWORDS: &[&str] =
    &["$dynamicRef", "$recursiveRef", "contentEncoding", "contentMediaType", "contentSchema"];

/// Keywords read by the numeric rules.
pub(crate) const NUMBER_KEYWORDS: &[&str] =
    &["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"];

/// Keywords read by the string rules.
pub(crate) const STRING_KEYWORDS: &[&str] = &["minLength", "maxLength", "pattern", "format"];

/// Keywords read by the object rules.
pub(crate) const OBJECT_KEYWORDS: &[&str] = &[
    "properties",
    "patternProperties",
    "additionalProperties",
    "unevaluatedProperties",
    "required",
    "propertyNames",
    "dependencies",
    "dependentRequired",
    "dependentSchemas",
    "minProperties",
    "maxProperties",
];

/// Keywords read by the array rules.
pub(crate) const ARRAY_KEYWORDS: &[&str] = &[
    "items",
    "prefixItems",
    "additionalItems",
    "unevaluatedItems",
    "contains",
    "minContains",
    "maxContains",
    "minItems",
    "maxItems",
    "uniqueItems",
];

/// Whether the schema uses any of `keywords`.
pub(crate) fn mentions_any(node: Node<'_>, keywords: &[&str]) -> bool {
    let map = node.map();
    if map.len() <= keywords.len() {
        map.keys().any(|k| keywords.contains(&k.as_str()))
    } else {
        keywords.iter().any(|k| map.contains_key(*k))
    }
}

/// In-place applicators: keywords whose successful subschemas mark members as evaluated
/// for `unevaluatedProperties` / `unevaluatedItems`.
pub(crate) const IN_PLACE_APPLICATORS: &[&str] = &[
    "allOf",
    "anyOf",
    "oneOf",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "$ref",
    "$dynamicRef",
    "$recursiveRef",
];

/// `false`, or the equivalent `{"not": {}}`.
pub(crate) fn is_false(v: &Value) -> bool {
    match v {
        Value::Bool(b) => !b,
        Value::Object(m) => m.get("not").is_some_and(is_trivially_true),
        Value::Null | Value::Number(_) | Value::String(_) | Value::Array(_) => false,
    }
}

/// A schema that accepts every document: `true`, or an object without validation keywords.
pub(crate) fn is_trivially_true(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Object(m) => !m.keys().any(|k| VALIDATION_KEYWORDS.contains(&k.as_str())),
        Value::Null | Value::Number(_) | Value::String(_) | Value::Array(_) => false,
    }
}

/// JSON equality where numbers compare by value (`1 == 1.0`), as validators do.
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
                x == y
            } else if let (Some(x), Some(y)) = (x.as_u64(), y.as_u64()) {
                x == y
            } else {
                x.as_f64() == y.as_f64()
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Whether a value contains a `$ref`-like keyword anywhere (equal text is not equal
/// meaning when references may resolve differently in the two documents).
pub(crate) fn mentions_ref(v: &Value) -> bool {
    match v {
        Value::Object(m) => m
            .iter()
            .any(|(k, v)| k == "$ref" || k == "$dynamicRef" || k == "$recursiveRef" || mentions_ref(v)),
        Value::Array(a) => a.iter().any(mentions_ref),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => false,
    }
}

/// Appends one JSON Pointer segment, escaping `~` and `/`.
pub(crate) fn child_path(path: &str, segment: &str) -> String {
    let mut out = String::with_capacity(path.len() + segment.len() + 1);
    out.push_str(path);
    out.push('/');
    for c in segment.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

/// Appends an array index segment.
pub(crate) fn index_path(path: &str, keyword: &str, index: usize) -> String {
    format!("{}/{index}", child_path(path, keyword))
}

/// Bit set of JSON types; `integer` is its own bit so that `number` = `INTEGER | FRACTION`.
pub(crate) mod types {
    pub const NULL: u8 = 1;
    pub const BOOLEAN: u8 = 2;
    pub const OBJECT: u8 = 4;
    pub const ARRAY: u8 = 8;
    pub const FRACTION: u8 = 16;
    pub const INTEGER: u8 = 32;
    pub const STRING: u8 = 64;
    pub const NUMBER: u8 = FRACTION | INTEGER;
    pub const ALL: u8 = 127;
}

/// The type bits named by one `type` entry.
pub(crate) fn type_bits(name: &str) -> u8 {
    match name {
        "null" => types::NULL,
        "boolean" => types::BOOLEAN,
        "object" => types::OBJECT,
        "array" => types::ARRAY,
        "number" => types::NUMBER,
        "integer" => types::INTEGER,
        "string" => types::STRING,
        // An unknown type name matches nothing, as in validators.
        _ => 0,
    }
}

/// The type bits allowed by a `type` keyword value (absent = all).
pub(crate) fn type_keyword_bits(v: Option<&Value>) -> u8 {
    match v {
        None => types::ALL,
        Some(Value::String(s)) => type_bits(s),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).fold(0, |acc, s| acc | type_bits(s)),
        Some(_) => types::ALL,
    }
}

/// The type bit of one JSON value.
pub(crate) fn value_bits(v: &Value) -> u8 {
    match v {
        Value::Null => types::NULL,
        Value::Bool(_) => types::BOOLEAN,
        Value::Object(_) => types::OBJECT,
        Value::Array(_) => types::ARRAY,
        Value::String(_) => types::STRING,
        Value::Number(n) => {
            if n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0) {
                types::INTEGER
            } else {
                types::FRACTION
            }
        }
    }
}

/// The finite set of allowed values from `enum` and `const` (intersected), if any.
pub(crate) fn allowed_values(node: Node<'_>) -> Option<Vec<&Value>> {
    let mut values: Option<Vec<&Value>> =
        node.get("enum").and_then(Value::as_array).map(|a| a.iter().collect());
    if let Some(c) = node.get("const") {
        values = Some(match values {
            Some(vs) => vs.into_iter().filter(|v| json_eq(v, c)).collect(),
            None => vec![c],
        });
    }
    values
}

/// The type bits a document valid under `node` can have, from `type`, `enum` and `const`.
pub(crate) fn effective_type_bits(node: Node<'_>) -> u8 {
    let declared = type_keyword_bits(node.get("type"));
    match allowed_values(node) {
        Some(values) => declared & values.iter().fold(0, |acc, v| acc | value_bits(v)),
        None => declared,
    }
}
