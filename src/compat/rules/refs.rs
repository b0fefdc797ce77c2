//! `$ref` resolution: local JSON Pointers and anchors, and absolute URIs of other
//! registered schemas supplied by the caller as a preloaded map (the checker does no I/O).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::compat::schema::{Doc, Node};

/// The most `$ref` hops followed in a row before giving up (a chain longer than this is a
/// cycle that never reaches a schema).
pub(crate) const MAX_HOPS: usize = 64;

/// Follows `$ref` of `node` (one hop) and returns the target node.
///
/// # Errors
/// A human-readable reason when the reference cannot be resolved.
pub(crate) fn resolve_once<'a>(
    node: Node<'a>,
    refs: &'a BTreeMap<String, Value>,
) -> Result<Node<'a>, String> {
    let Some(reference) = node.get("$ref").and_then(Value::as_str) else {
        return Err("`$ref` is not a string".to_owned());
    };
    let (uri, fragment) = match reference.split_once('#') {
        Some((u, f)) => (u, f),
        None => (reference, ""),
    };
    let doc = if uri.is_empty() || Some(uri) == node.doc.base {
        node.doc
    } else {
        let absolute = absolutise(uri, node.doc.base)
            .ok_or_else(|| format!("relative reference `{reference}` has no base URI"))?;
        if Some(absolute.as_str()) == node.doc.base {
            node.doc
        } else {
            let (key, root) = refs
                .get_key_value(absolute.as_str())
                .ok_or_else(|| format!("`{absolute}` is not a known registered schema"))?;
            Doc::new(root, Some(key.as_str()))
        }
    };
    let target = locate(doc.root, fragment)
        .ok_or_else(|| format!("fragment `#{fragment}` of `{reference}` does not exist"))?;
    Ok(Node { schema: target, doc })
}

/// Resolves a possibly relative URI against a base by replacing the last path segment;
/// enough for the registry's URIs, which never use `..`.
fn absolutise(uri: &str, base: Option<&str>) -> Option<String> {
    if uri.contains("://") || uri.starts_with("urn:") {
        return Some(uri.to_owned());
    }
    let base = base?;
    let cut = base.rfind('/')?;
    Some(format!("{}/{}", &base[..cut], uri.trim_start_matches("./")))
}

/// Finds the schema a fragment designates: empty = root, `/...` = JSON Pointer (with
/// percent-decoding), otherwise a plain-name anchor (`$anchor`, or draft 6/7 `$id: "#name"`).
fn locate<'a>(root: &'a Value, fragment: &str) -> Option<&'a Value> {
    if fragment.is_empty() {
        return Some(root);
    }
    if fragment.starts_with('/') {
        let decoded = crate::percent::decode_strict(fragment)?;
        return root.pointer(&decoded);
    }
    find_anchor(root, fragment)
}

fn find_anchor<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    match v {
        Value::Object(m) => {
            let is_anchor = m.get("$anchor").and_then(Value::as_str) == Some(name)
                || m.get("$id").and_then(Value::as_str).and_then(|id| id.strip_prefix('#')) == Some(name);
            if is_anchor {
                return Some(v);
            }
            m.values().find_map(|c| find_anchor(c, name))
        }
        Value::Array(a) => a.iter().find_map(|c| find_anchor(c, name)),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => None,
    }
}
