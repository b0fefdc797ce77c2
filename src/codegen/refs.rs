//! `$ref` resolution: URI joining, JSON pointers, anchors and rewriting references of a
//! subschema that is copied out of its document (needed when `allOf` merges across documents).

use std::collections::BTreeMap;

use serde_json::Value;

use super::error::CodegenError;

/// Base URI given to a root schema that has no `$id`, so that merged copies of its
/// subschemas can still point back at it.
pub(crate) const ROOT_URI: &str = "urn:schemabus:codegen:root";

/// Which document a schema lives in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum DocId {
    /// The schema being generated.
    Root,
    /// A registered schema from the caller's preloaded map, by URI without fragment.
    External(String),
}

/// The documents a reference may point into.
pub(crate) struct Documents<'a> {
    pub(crate) root: &'a Value,
    /// `$id` of the root without fragment, if any.
    pub(crate) root_id: Option<String>,
    pub(crate) external: &'a BTreeMap<String, Value>,
}

impl<'a> Documents<'a> {
    pub(crate) fn new(root: &'a Value, external: &'a BTreeMap<String, Value>) -> Self {
        let root_id = root
            .get("$id")
            .or_else(|| root.get("id"))
            .and_then(Value::as_str)
            .map(|id| split_fragment(id).0.to_string())
            .filter(|id| !id.is_empty());
        Self { root, root_id, external }
    }

    /// The document itself.
    pub(crate) fn get(&self, doc: &DocId) -> Option<&'a Value> {
        match doc {
            DocId::Root => Some(self.root),
            DocId::External(uri) => self.external.get(uri),
        }
    }

    /// The base URI of a document.
    pub(crate) fn base(&self, doc: &DocId) -> String {
        match doc {
            DocId::Root => self.root_id.clone().unwrap_or_else(|| ROOT_URI.to_string()),
            DocId::External(uri) => uri.clone(),
        }
    }

    /// Resolves `reference` written inside `doc` to a document and a fragment.
    pub(crate) fn resolve(&self, doc: &DocId, reference: &str) -> Result<(DocId, String), CodegenError> {
        let (target, fragment) = self.resolve_document(doc, reference)?;
        let pointer = self.pointer(&target, fragment)?;
        Ok((target, pointer))
    }

    /// The fragment as a decoded JSON pointer (`""` for the whole document); anchors are
    /// looked up.
    fn pointer(&self, doc: &DocId, fragment: &str) -> Result<String, CodegenError> {
        if fragment.is_empty() || fragment.starts_with('/') {
            return Ok(percent_decode(fragment));
        }
        let name = percent_decode(fragment);
        self.get(doc).and_then(|document| find_anchor(document, &name, "")).ok_or_else(|| {
            CodegenError::UnresolvedRef {
                reference: format!("{}#{fragment}", self.base(doc)),
                reason: "no subschema with that anchor".into(),
            }
        })
    }

    fn resolve_document<'r>(
        &self,
        doc: &DocId,
        reference: &'r str,
    ) -> Result<(DocId, &'r str), CodegenError> {
        let (uri, fragment) = split_fragment(reference);
        if uri.is_empty() {
            return Ok((doc.clone(), fragment));
        }
        let absolute = join(&self.base(doc), uri);
        let target = if absolute == ROOT_URI || self.root_id.as_deref() == Some(absolute.as_str()) {
            DocId::Root
        } else if self.external.contains_key(&absolute) {
            DocId::External(absolute)
        } else {
            return Err(CodegenError::UnresolvedRef {
                reference: format!("{absolute}{}", fragment_suffix(fragment)),
                reason: "the document is not in the supplied map of registered schemas".into(),
            });
        };
        Ok((target, fragment))
    }

    /// The subschema at `pointer` (a decoded JSON pointer from [`Documents::resolve`]).
    pub(crate) fn target(&self, doc: &DocId, pointer: &str) -> Result<&'a Value, CodegenError> {
        let document = self.get(doc).ok_or_else(|| CodegenError::UnresolvedRef {
            reference: self.base(doc),
            reason: "unknown document".into(),
        })?;
        document.pointer(pointer).ok_or_else(|| CodegenError::UnresolvedRef {
            reference: format!("{}#{pointer}", self.base(doc)),
            reason: "no subschema at that location".into(),
        })
    }
}

fn fragment_suffix(fragment: &str) -> String {
    if fragment.is_empty() { String::new() } else { format!("#{fragment}") }
}

/// Splits `uri#fragment`.
pub(crate) fn split_fragment(reference: &str) -> (&str, &str) {
    match reference.split_once('#') {
        Some((uri, fragment)) => (uri, fragment),
        None => (reference, ""),
    }
}

fn is_absolute(uri: &str) -> bool {
    match uri.split_once(':') {
        Some((scheme, _)) => {
            !scheme.is_empty()
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// RFC 3986 reference resolution, reduced to what registry URIs need: absolute references,
/// absolute paths and relative paths with `.`/`..` segments.
pub(crate) fn join(base: &str, reference: &str) -> String {
    if is_absolute(reference) {
        return reference.to_string();
    }
    let (scheme_authority, path) = split_authority(base);
    if reference.starts_with("//") {
        let scheme = base.split_once(':').map_or("", |(s, _)| s);
        return format!("{scheme}:{reference}");
    }
    let merged = if reference.starts_with('/') {
        reference.to_string()
    } else {
        let dir = path.rfind('/').map_or("", |i| &path[..=i]);
        format!("{dir}{reference}")
    };
    let mut segments: Vec<&str> = Vec::new();
    for segment in merged.split('/') {
        match segment {
            "." => {}
            ".." => {
                if segments.len() > 1 {
                    segments.pop();
                }
            }
            other => segments.push(other),
        }
    }
    format!("{scheme_authority}{}", segments.join("/"))
}

/// `https://host/a/b` → (`https://host`, `/a/b`); `urn:x:y` → (`urn:`, `x:y`).
fn split_authority(base: &str) -> (&str, &str) {
    if let Some(pos) = base.find("://") {
        let after = pos + 3;
        match base[after..].find('/') {
            Some(slash) => base.split_at(after + slash),
            None => (base, ""),
        }
    } else {
        match base.find(':') {
            Some(pos) => base.split_at(pos + 1),
            None => ("", base),
        }
    }
}

fn percent_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(value) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(value);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Finds `$anchor`/`$dynamicAnchor: name` (2019-09+) or `$id: "#name"` (drafts 6/7, `id` in
/// draft 4) and returns the JSON pointer of that subschema, so that a reference by anchor and
/// one by pointer to the same place share one generated type.
fn find_anchor(value: &Value, name: &str, pointer: &str) -> Option<String> {
    match value {
        Value::Object(map) => {
            let anchor = ["$anchor", "$dynamicAnchor"]
                .iter()
                .any(|k| map.get(*k).and_then(Value::as_str) == Some(name));
            let legacy = ["$id", "id"].iter().any(|k| {
                map.get(*k).and_then(Value::as_str).is_some_and(|id| id.strip_prefix('#') == Some(name))
            });
            if anchor || legacy {
                return Some(pointer.to_string());
            }
            map.iter().filter(|(k, _)| !is_data_keyword(k)).find_map(|(k, v)| {
                find_anchor(v, name, &format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1")))
            })
        }
        Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, v)| find_anchor(v, name, &format!("{pointer}/{i}")))
        }
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => None,
    }
}

/// Keywords whose values are instance data, not subschemas.
fn is_data_keyword(key: &str) -> bool {
    matches!(key, "const" | "enum" | "examples" | "default")
}

/// Rewrites every `$ref` in a subschema copied out of the document with base URI `base`
/// into an absolute reference, so it still resolves after being merged elsewhere.
pub(crate) fn absolutize(value: &mut Value, base: &str) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if matches!(key.as_str(), "$ref" | "$dynamicRef" | "$recursiveRef") {
                    if let Value::String(reference) = child {
                        *reference = if reference.starts_with('#') {
                            format!("{base}{reference}")
                        } else {
                            join(base, reference)
                        };
                    }
                } else if !is_data_keyword(key) {
                    absolutize(child, base);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| absolutize(v, base)),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_relative_references() {
        let base = "https://schemabus.invalid/registries/r/schemas/a/versions/1";
        assert_eq!(
            join(base, "../../b/versions/2"),
            "https://schemabus.invalid/registries/r/schemas/b/versions/2"
        );
        assert_eq!(join(base, "/x"), "https://schemabus.invalid/x");
        assert_eq!(join(base, "urn:a"), "urn:a");
    }

    #[test]
    fn decodes_pointers() {
        assert_eq!(percent_decode("/%24defs/a%20b"), "/$defs/a b");
        assert_eq!(percent_decode("/x%"), "/x%");
    }
}
