//! A PutEvents entry as received: its known fields, each as any JSON value, and `detail`
//! as its raw JSON text in the request body (read later, in place, as a
//! [`crate::json::Doc`], and stored as sent).
//!
//! Why not a `serde_json::Value` per entry: building that map hashes every key, and
//! [`super::envelope::build`] then removes each field by key again, for every entry of
//! every request. Why not a typed struct: a field of the wrong type, an unknown field or
//! an entry that is not an object must fail that entry alone (`InvalidArgument`, as
//! EventBridge answers), never the whole request; so every field stays a `Value` here
//! and is checked in `envelope`.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

/// One entry's fields. `Some(Value::Null)` is a field sent as `null`.
#[derive(Debug, Default, Clone)]
pub struct EntryInput<'a> {
    /// `source`.
    pub source: Option<Value>,
    /// `detailType`.
    pub detail_type: Option<Value>,
    /// `detail`, as sent.
    pub detail: Option<DetailInput<'a>>,
    /// `time`.
    pub time: Option<Value>,
    /// `resources`.
    pub resources: Option<Value>,
    /// The first field that is not an entry field.
    pub unknown: Option<String>,
    /// The entry was not a JSON object.
    pub not_object: bool,
}

/// An entry's `detail` as the request body held it.
#[derive(Debug, Clone)]
pub enum DetailInput<'a> {
    /// Its JSON text as sent (the native API: an object, or a string holding one).
    Raw(&'a RawValue),
    /// The content of a string, already unescaped by the parser. The AWS API's `Detail`
    /// is always a string: reading it so costs one pass over the escaped text, where a
    /// `RawValue` then an unescape cost two (docs/AWS-API.md, performance).
    Text(std::borrow::Cow<'a, str>),
    /// Neither a string nor `null` where only a string is allowed (the AWS API).
    NotText,
}

impl<'de: 'a, 'a> Deserialize<'de> for DetailInput<'a> {
    /// A string as [`DetailInput::Text`], anything else as [`DetailInput::NotText`]
    /// (`null` is an absent `Detail`: deserialize an `Option` of this).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
            type Value = DetailInput<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string holding a JSON object")
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(DetailInput::Text(std::borrow::Cow::Borrowed(text)))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Ok(DetailInput::Text(std::borrow::Cow::Owned(text.to_owned())))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
                Ok(DetailInput::Text(std::borrow::Cow::Owned(text)))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(DetailInput::NotText)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(DetailInput::NotText)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(DetailInput::NotText)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(DetailInput::NotText)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(DetailInput::NotText)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(DetailInput::NotText)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(DetailInput::NotText)
            }
        }
        deserializer.deserialize_any(TextVisitor(std::marker::PhantomData))
    }
}

impl EntryInput<'_> {
    fn not_object() -> Self {
        Self { not_object: true, ..Self::default() }
    }
}

enum Field {
    Source,
    DetailType,
    Detail,
    Time,
    Resources,
    Other(String),
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an entry field name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Field, E> {
                Ok(match name {
                    "source" => Field::Source,
                    "detailType" => Field::DetailType,
                    "detail" => Field::Detail,
                    "time" => Field::Time,
                    "resources" => Field::Resources,
                    other => Field::Other(other.to_owned()),
                })
            }
        }
        deserializer.deserialize_identifier(FieldVisitor)
    }
}

struct EntryVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for EntryVisitor<'a> {
    type Value = EntryInput<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a PutEvents entry")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EntryInput<'a>, A::Error> {
        let mut entry = EntryInput::default();
        while let Some(field) = map.next_key::<Field>()? {
            // A repeated field keeps its last value, as a parsed JSON object would.
            match field {
                Field::Source => entry.source = Some(map.next_value()?),
                Field::DetailType => entry.detail_type = Some(map.next_value()?),
                Field::Detail => entry.detail = Some(DetailInput::Raw(map.next_value::<&'de RawValue>()?)),
                Field::Time => entry.time = Some(map.next_value()?),
                Field::Resources => entry.resources = Some(map.next_value()?),
                Field::Other(name) => {
                    map.next_value::<IgnoredAny>()?;
                    entry.unknown.get_or_insert(name);
                }
            }
        }
        Ok(entry)
    }

    // Anything but an object is a well-formed value but not an entry.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<EntryInput<'a>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(EntryInput::not_object())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<EntryInput<'a>, E> {
        Ok(EntryInput::not_object())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<EntryInput<'a>, E> {
        Ok(EntryInput::not_object())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<EntryInput<'a>, E> {
        Ok(EntryInput::not_object())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<EntryInput<'a>, E> {
        Ok(EntryInput::not_object())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<EntryInput<'a>, E> {
        Ok(EntryInput::not_object())
    }
    fn visit_unit<E: de::Error>(self) -> Result<EntryInput<'a>, E> {
        Ok(EntryInput::not_object())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for EntryInput<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(EntryVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_of_any_type_unknown_fields_and_non_objects_are_kept_for_per_entry_errors() {
        let entries: Vec<EntryInput<'_>> = serde_json::from_str(
            r#"[{"source": 5, "detailType": null, "detail": {"a": [1]}, "extra": {"x": 1}, "more": 2, "time": "t"},
                "text", [1, {"a": 2}], null, 3.5, true, {}]"#,
        )
        .expect("every entry parses");
        assert_eq!(entries[0].source, Some(Value::from(5)));
        assert_eq!(entries[0].detail_type, Some(Value::Null));
        assert!(matches!(entries[0].detail, Some(DetailInput::Raw(raw)) if raw.get() == r#"{"a": [1]}"#));
        assert_eq!(entries[0].time, Some(Value::from("t")));
        assert_eq!(entries[0].unknown.as_deref(), Some("extra"), "the first unknown field");
        assert!(!entries[0].not_object);
        assert!(entries[1..6].iter().all(|e| e.not_object));
        assert!(!entries[6].not_object && entries[6].source.is_none());
    }

    #[test]
    fn an_aws_detail_is_read_as_unescaped_text_and_anything_but_a_string_is_not_text() {
        let details: Vec<Option<DetailInput<'_>>> =
            serde_json::from_str(r#"["{\"a\": \"\u00e9\\n\"}", "{}", null, {"a": 1}, [1], 2, true]"#)
                .expect("every detail parses");
        assert!(
            matches!(&details[0], Some(DetailInput::Text(t)) if t == "{\"a\": \"\u{e9}\\n\"}"),
            "{:?}",
            details[0]
        );
        assert!(
            matches!(&details[1], Some(DetailInput::Text(std::borrow::Cow::Borrowed("{}")))),
            "no escape: borrowed from the body"
        );
        assert!(details[2].is_none(), "null is an absent detail");
        assert!(details[3..].iter().all(|d| matches!(d, Some(DetailInput::NotText))));
    }
}
