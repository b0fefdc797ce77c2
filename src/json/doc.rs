//! [`Doc`]: a JSON document whose strings borrow from the text it was parsed from.
//!
//! Why not `serde_json::Value` on the PutEvents path: building a `Value` allocates every
//! string and key and hashes every key into an ordered map, and that was most of the cost
//! of an event (an event's `detail` is read twice at most: by the validation gate and by
//! the pattern matcher). A `Doc` allocates once per object or array and never hashes;
//! strings without escapes point into the request body.
//!
//! Semantics follow `serde_json::Value` (with `preserve_order`) exactly, so a `Doc`
//! validates and matches as the `Value` of the same text would: numbers are the same
//! `serde_json::Number`s, and a repeated key keeps its first position and its last value.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

/// Objects with more members than this look keys up through a sorted index when
/// checking for repeats while parsing (a scan is cheaper below).
const SCAN_LIMIT: usize = 16;

/// Slots an object starts with (events' objects mostly have a handful of members).
const INITIAL_MEMBERS: usize = 8;
/// Slots an array starts with.
const INITIAL_ITEMS: usize = 4;

/// A parsed JSON value borrowing its strings from the source text where it can.
#[derive(Debug, Clone, PartialEq)]
pub enum Doc<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as `serde_json` reads it.
    Number(Number),
    /// A string (owned only when the text had escapes).
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Doc<'a>>),
    /// An object's members in order; no two share a key.
    Object(Vec<(Cow<'a, str>, Doc<'a>)>),
}

impl<'a> Doc<'a> {
    /// Parses JSON text; strings without escapes borrow from `text`.
    ///
    /// # Errors
    /// Whatever `serde_json` reports for text that is not one JSON value.
    pub fn parse(text: &'a str) -> serde_json::Result<Self> {
        serde_json::from_str(text)
    }

    /// A member of an object (`None` for anything else).
    pub fn get(&self, key: &str) -> Option<&Doc<'a>> {
        match self {
            Doc::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Doc::String(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is an object.
    pub fn is_object(&self) -> bool {
        matches!(self, Doc::Object(_))
    }

    /// The same document owning all its strings.
    pub fn into_owned(self) -> Doc<'static> {
        match self {
            Doc::Null => Doc::Null,
            Doc::Bool(b) => Doc::Bool(b),
            Doc::Number(n) => Doc::Number(n),
            Doc::String(s) => Doc::String(Cow::Owned(s.into_owned())),
            Doc::Array(items) => Doc::Array(items.into_iter().map(Doc::into_owned).collect()),
            Doc::Object(members) => Doc::Object(
                members.into_iter().map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned())).collect(),
            ),
        }
    }

    /// The equivalent `serde_json::Value` (for the cold paths: quarantine, transforms,
    /// discovery samples, validation error reports).
    pub fn to_value(&self) -> Value {
        // Through `Serialize`: a `Doc` always writes as JSON, so this cannot fail.
        serde_json::to_value(self).unwrap_or_default()
    }

    /// Writes the document as compact JSON, as `serde_json` writes the equivalent `Value`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        // Writing into a Vec cannot fail.
        serde_json::to_writer(out, self).unwrap_or_default();
    }
}

impl serde::Serialize for Doc<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Doc::Null => serializer.serialize_unit(),
            Doc::Bool(b) => serializer.serialize_bool(*b),
            Doc::Number(n) => n.serialize(serializer),
            Doc::String(s) => serializer.serialize_str(s),
            Doc::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Doc::Object(members) => {
                let mut map = serializer.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k.as_ref(), v)?;
                }
                map.end()
            }
        }
    }
}

/// An object key, borrowed when the text had no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct DocVisitor;

impl<'de> Visitor<'de> for DocVisitor {
    type Value = Doc<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Doc<'de>, E> {
        Ok(Doc::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Doc<'de>, E> {
        Ok(Doc::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Doc<'de>, D::Error> {
        Deserialize::deserialize(deserializer)
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Doc<'de>, E> {
        Ok(Doc::Bool(b))
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Doc<'de>, E> {
        Ok(Doc::Number(n.into()))
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Doc<'de>, E> {
        Ok(Doc::Number(n.into()))
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Doc<'de>, E> {
        // As serde_json's `Value`: a float JSON cannot hold becomes null.
        Ok(Number::from_f64(n).map_or(Doc::Null, Doc::Number))
    }
    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Doc<'de>, E> {
        Ok(Doc::String(Cow::Borrowed(s)))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Doc<'de>, E> {
        Ok(Doc::String(Cow::Owned(s.to_owned())))
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<Doc<'de>, E> {
        Ok(Doc::String(Cow::Owned(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Doc<'de>, A::Error> {
        // serde_json gives no size hint; starting at a few slots skips the growth steps
        // that cost a tenth of a parse (mimalloc serves these small sizes alike).
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(INITIAL_ITEMS).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Doc::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc<'de>, A::Error> {
        let mut members: Vec<(Cow<'de, str>, Doc<'de>)> = Vec::with_capacity(INITIAL_MEMBERS);
        let mut index: Vec<usize> = Vec::new(); // sorted by key, once past SCAN_LIMIT
        while let Some(Key(key)) = map.next_key()? {
            let value: Doc<'de> = map.next_value()?;
            let repeat = if members.len() < SCAN_LIMIT {
                members.iter().position(|(k, _)| *k == key)
            } else {
                if index.is_empty() {
                    index = (0..members.len()).collect();
                    index.sort_by(|a, b| members[*a].0.cmp(&members[*b].0));
                }
                match index.binary_search_by(|i| members[*i].0.as_ref().cmp(key.as_ref())) {
                    Ok(at) => Some(index[at]),
                    Err(at) => {
                        index.insert(at, members.len());
                        None
                    }
                }
            };
            match repeat {
                // As an ordered map: the first position, the last value.
                Some(at) => members[at].1 = value,
                None => members.push((key, value)),
            }
        }
        Ok(Doc::Object(members))
    }
}

impl<'de> Deserialize<'de> for Doc<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DocVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_doc_reads_as_the_value_of_the_same_text() {
        let texts = [
            r#"{"a": [1, -2, 3.5, 1e2, 1.0, 18446744073709551615, -9223372036854775808, 0.1], "b": {"c": null, "d": true}}"#,
            r#"{"k": "plain", "e": "esc\"aped\u00e9\n", "k": "again", "z": 1}"#,
            r#"[{"x": 1, "x": {"y": 2}}, "s", null, false, 12345678901234567890123]"#,
            r#""just a string""#,
        ];
        for text in texts {
            let value: Value = serde_json::from_str(text).expect("value");
            let doc = Doc::parse(text).expect("doc");
            assert_eq!(doc.to_value(), value, "{text}");
            let mut written = Vec::new();
            doc.write_json(&mut written);
            assert_eq!(written, serde_json::to_vec(&value).expect("writes"), "{text}");
        }
    }

    #[test]
    fn repeated_keys_keep_their_first_place_and_last_value_in_large_objects_too() {
        let mut text = String::from("{");
        for i in 0..40 {
            text.push_str(&format!("\"k{i}\": {i}, "));
        }
        text.push_str("\"k3\": \"last\", \"k39\": [1]}");
        let value: Value = serde_json::from_str(&text).expect("value");
        let doc = Doc::parse(&text).expect("doc");
        assert_eq!(doc.to_value(), value);
        assert_eq!(doc.get("k3"), Some(&Doc::String("last".into())));
        let Doc::Object(members) = &doc else { panic!("an object") };
        assert_eq!(members.len(), 40);
        assert_eq!(members[3].0, "k3");
    }

    #[test]
    fn strings_without_escapes_borrow_from_the_text() {
        let text = r#"{"plain": "abc", "escaped": "a\tb"}"#;
        let doc = Doc::parse(text).expect("doc");
        assert!(matches!(doc.get("plain"), Some(Doc::String(Cow::Borrowed("abc")))));
        assert!(matches!(doc.get("escaped"), Some(Doc::String(Cow::Owned(_)))));
        assert_eq!(doc.clone().into_owned(), doc);
        assert_eq!(doc.to_value(), json!({"plain": "abc", "escaped": "a\tb"}));
    }

    #[test]
    fn malformed_and_too_deep_text_is_refused() {
        assert!(Doc::parse("{\"a\": }").is_err());
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(Doc::parse(&deep).is_err(), "serde_json's depth limit applies");
    }
}
