//! Map detection: objects whose keys are data (ids, dates) rather than field names.
//!
//! A map becomes `{"type":"object","additionalProperties": <merged value schema>}` instead
//! of a record with one property per key. The heuristics are deliberately conservative,
//! since a record mistaken for a map loses its `required` list, and they only fire when
//! every key's values share one JSON type. Thresholds are documented in `docs/INFERENCE.md`.

use super::formats;
use super::state::{KIND_ARRAY, KIND_BOOLEAN, KIND_NUMBER, KIND_OBJECT, KIND_STRING, Node};

/// Minimum distinct keys for the "id-like keys" rule.
pub const ID_KEYS_MIN: usize = 2;
/// Minimum distinct keys for the "keys vary between samples" rule.
pub const VARYING_KEYS_MIN: usize = 3;
/// Minimum distinct keys for the "many keys" rule (a single large dictionary).
pub const MANY_KEYS_MIN: usize = 64;

/// Why an object position is treated as a map (the value of `x-schemabus-map`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MapReason {
    /// A `map` hint names this position.
    Hint,
    /// More distinct keys than the state tracks (`COLLAPSE_KEYS`).
    Collapsed,
    /// Every key looks like an identifier, a number or a date.
    IdKeys,
    /// Every key is free text (holds a space, `/`, `:` or `@`): header values, labels, URLs.
    TextKeys,
    /// The keys differ between samples: most of them are absent from some object.
    VaryingKeys,
    /// Very many keys with one value type.
    ManyKeys,
    /// Registered schemas have the same-named structure as a map (registry knowledge).
    Registry,
}

impl MapReason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MapReason::Hint => "hint",
            MapReason::Collapsed => "collapsed",
            MapReason::IdKeys => "id-keys",
            MapReason::TextKeys => "text-keys",
            MapReason::VaryingKeys => "varying-keys",
            MapReason::ManyKeys => "many-keys",
            MapReason::Registry => "registry",
        }
    }
}

/// Applies the heuristics to an uncollapsed object position.
pub(crate) fn detect(node: &Node) -> Option<MapReason> {
    let n = node.properties.len();
    if n < ID_KEYS_MIN || !uniform_values(node) {
        return None;
    }
    if node.properties.keys().all(|k| id_like(k)) || same_prefix_ids(node.properties.keys()) {
        return Some(MapReason::IdKeys);
    }
    if node.properties.keys().all(|k| text_like(k)) {
        return Some(MapReason::TextKeys);
    }
    if n >= MANY_KEYS_MIN {
        return Some(MapReason::ManyKeys);
    }
    // Keys that come and go between samples are data. Two distinct samples at least, so one
    // document's array of differently shaped elements is not read as a map; and most keys
    // must be missing somewhere, so a record with a few optional fields stays a record.
    if n >= VARYING_KEYS_MIN && node.object_evidence() >= 2 {
        let always = node.properties.values().filter(|c| c.seen == node.objects).count();
        if always * 2 < n {
            return Some(MapReason::VaryingKeys);
        }
    }
    None
}

/// The values of every key, merged into one node (the map's value schema).
pub(crate) fn merged_values(node: &Node) -> Node {
    if let Some(c) = &node.collapsed {
        return (**c).clone();
    }
    let mut all = Node::new();
    for child in node.properties.values() {
        all.merge(child);
    }
    all
}

/// True when all non-null values of all keys have one and the same JSON type.
pub(crate) fn uniform_values(node: &Node) -> bool {
    let mut kind = 0u8;
    for child in node.properties.values() {
        let k = child.kinds();
        if k == 0 {
            continue;
        }
        let single = [KIND_BOOLEAN, KIND_NUMBER, KIND_STRING, KIND_OBJECT, KIND_ARRAY].contains(&k);
        if !single || (kind != 0 && kind != k) {
            return false;
        }
        kind = k;
    }
    kind != 0
}

/// Keys that are data: decimal numbers, UUIDs, dates and times, long hex strings.
pub(crate) fn id_like(k: &str) -> bool {
    let b = k.as_bytes();
    if b.is_empty() {
        return false;
    }
    if b.len() <= 20 && b.iter().all(u8::is_ascii_digit) {
        return true;
    }
    if b.len() >= 8 && b.iter().all(u8::is_ascii_hexdigit) && b.iter().any(u8::is_ascii_digit) {
        return true;
    }
    // uuid, date-time, date, time
    formats::detect(k, 0b1111) != 0
}

/// Keys that are text rather than names: they hold a space, `/`, `:` or `@` (a label such
/// as `good first issue`, a URL, an e-mail address, a `scope:read` permission).
fn text_like(k: &str) -> bool {
    k.contains([' ', '/', ':', '@'])
}

/// Keys like `SKU-0001`, `SKU-0002`: one shared non-digit prefix followed by at least
/// three digits. Record fields such as `address1`/`address2` have fewer digits.
fn same_prefix_ids<'a>(mut keys: impl Iterator<Item = &'a String>) -> bool {
    fn split(k: &str) -> Option<(&str, &str)> {
        let at = k.find(|c: char| c.is_ascii_digit())?;
        let (prefix, digits) = k.split_at(at);
        (!prefix.is_empty() && digits.len() >= 3 && digits.bytes().all(|c| c.is_ascii_digit()))
            .then_some((prefix, digits))
    }
    let Some((prefix, _)) = keys.next().and_then(|k| split(k)) else { return false };
    keys.all(|k| split(k).is_some_and(|(p, _)| p == prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_like_keys() {
        for k in ["0", "12345", "2024-01-31", "0f8fad5b-d9cb-469f-a165-70867728950e", "deadbeef01"] {
            assert!(id_like(k), "{k}");
        }
        for k in ["", "name", "deadbeef", "id", "x1"] {
            assert!(!id_like(k), "{k}");
        }
        let keys = |ks: &[&str]| ks.iter().map(|k| k.to_string()).collect::<Vec<_>>();
        assert!(same_prefix_ids(keys(&["SKU-0001", "SKU-0002"]).iter()));
        assert!(!same_prefix_ids(keys(&["SKU-0001", "ART-0002"]).iter()));
        assert!(!same_prefix_ids(keys(&["address1", "address2"]).iter()));
        assert!(!same_prefix_ids(keys(&["v100a", "v101a"]).iter()));
        for k in ["good first issue", "https://example.com/x", "repo:read", "ops@example.com"] {
            assert!(text_like(k), "{k}");
        }
        for k in ["detail-type", "user_name", "X-Forwarded-For", "a.b"] {
            assert!(!text_like(k), "{k}");
        }
    }
}
