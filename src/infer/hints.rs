//! User hints that override the heuristics, addressed by JSON Pointers into the sampled
//! documents.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// Per-schema overrides, persisted by the registry next to the inference state.
///
/// Pointers address positions in the *documents* (RFC 6901, `~0`/`~1` escapes): `""` is the
/// root, `/customer/address` a nested property. A segment `*` matches any property name,
/// any array element and the values of a map; array elements can only be addressed with
/// `*` (`/lines/*/sku`), since every element shares one schema.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Hints {
    /// Objects to treat as maps (`additionalProperties` = merged value schema).
    pub map: BTreeSet<String>,
    /// Objects that must stay records even when the map heuristics fire.
    pub record: BTreeSet<String>,
    /// String positions that get a closed `enum` of the observed values.
    #[serde(rename = "enum")]
    pub enums: BTreeSet<String>,
    /// Objects that get `additionalProperties: false`.
    pub closed: BTreeSet<String>,
}

/// Which hints apply at one position.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Applied {
    pub(crate) map: bool,
    pub(crate) record: bool,
    pub(crate) enumerate: bool,
    pub(crate) closed: bool,
}

/// Hints with their pointers split into segments once, before derivation.
#[derive(Debug, Default)]
pub(crate) struct Compiled {
    map: Vec<Vec<String>>,
    record: Vec<Vec<String>>,
    enums: Vec<Vec<String>>,
    closed: Vec<Vec<String>>,
}

impl Compiled {
    pub(crate) fn new(h: &Hints) -> Self {
        let split = |set: &BTreeSet<String>| set.iter().map(|p| segments(p)).collect();
        Compiled {
            map: split(&h.map),
            record: split(&h.record),
            enums: split(&h.enums),
            closed: split(&h.closed),
        }
    }

    pub(crate) fn at(&self, path: &[String]) -> Applied {
        let any = |list: &[Vec<String>]| list.iter().any(|p| matches(p, path));
        Applied {
            map: any(&self.map),
            record: any(&self.record),
            enumerate: any(&self.enums),
            closed: any(&self.closed),
        }
    }
}

/// Splits a JSON Pointer into unescaped segments. A pointer without the leading `/`
/// (other than `""`) is read as if it had one, which is the forgiving choice for a
/// hand-written hint file.
pub(crate) fn segments(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    let body = pointer.strip_prefix('/').unwrap_or(pointer);
    body.split('/').map(|s| s.replace("~1", "/").replace("~0", "~")).collect()
}

fn matches(pattern: &[String], path: &[String]) -> bool {
    pattern.len() == path.len() && pattern.iter().zip(path).all(|(p, s)| p == "*" || p == s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_match_with_wildcards_and_escapes() {
        let p = segments("/a~1b/*/c~0");
        assert_eq!(p, vec!["a/b", "*", "c~"]);
        let path: Vec<String> = ["a/b", "x", "c~"].iter().map(|s| s.to_string()).collect();
        assert!(matches(&p, &path));
        assert!(!matches(&p, &path[..2]));
        assert!(segments("").is_empty());
    }
}
