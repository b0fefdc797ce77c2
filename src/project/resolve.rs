//! From project files to the versions a service would store: `$ref`s between project
//! files become version URIs, in dependency order, each schema getting the version it
//! has (unchanged) or will have (changed) given what a service already holds.
//!
//! The same function serves `check --against` (the baseline is the "service") and
//! `plan`/`apply` (the real one): a referenced schema that changes gets the next version
//! number, and the schemas that reference it point at that number.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::load::{Project, SchemaKey, dir_of, normalise};
use super::problem::{Problem, codes};
use super::yaml::{escape, line_of};
use crate::compat::SchemaMap;
use crate::registry::content::canonical_json;
use crate::registry::refs::{parse_version_uri, version_uri};

/// What a service holds: every version of every schema, by number.
pub type Existing = BTreeMap<SchemaKey, BTreeMap<u32, Value>>;

/// The version a project schema resolves to.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    /// The content with project `$ref`s rewritten to version URIs.
    pub content: Value,
    /// Its version number: the latest existing one when unchanged, the next when changed.
    pub version: u32,
    /// Differs from the latest existing version (or there is none).
    pub changed: bool,
    /// Project schemas it references (registered first).
    pub depends_on: Vec<SchemaKey>,
}

/// Project schemas resolved against `existing`, and the order to register them in
/// (referenced schemas first).
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    pub desired: BTreeMap<SchemaKey, Desired>,
    pub order: Vec<SchemaKey>,
}

impl Resolved {
    /// Every document a `$ref` of a desired version may reach: the existing versions and
    /// the desired ones, by URI.
    pub fn schema_map(&self, existing: &Existing) -> SchemaMap {
        let mut map = SchemaMap::new();
        for ((registry, schema), versions) in existing {
            for (v, content) in versions {
                map.insert(version_uri(registry, schema, *v), content.clone());
            }
        }
        for ((registry, schema), d) in &self.desired {
            map.insert(version_uri(registry, schema, d.version), d.content.clone());
        }
        map
    }
}

/// A `$ref` met in a schema file.
enum RefTarget {
    /// `#...`: inside the document.
    Local,
    /// A stored version URI: outside the project, resolved by the service.
    Stored,
    /// Another project schema, with the fragment (`#/$defs/Money`, or empty).
    Project(SchemaKey, String),
}

/// Resolves every project schema; problems for `$ref`s that name no project file and
/// for reference cycles (those schemas are left out).
pub fn resolve(project: &Project, existing: &Existing) -> (Resolved, Vec<Problem>) {
    let by_path: BTreeMap<&str, &SchemaKey> =
        project.schemas.iter().map(|(k, s)| (s.path.as_str(), k)).collect();
    let mut problems = Vec::new();
    // One file, one schema: a `$ref` to a file must name exactly one of them.
    let mut seen: BTreeMap<&str, &SchemaKey> = BTreeMap::new();
    for (key, schema) in &project.schemas {
        if let Some(first) = seen.insert(schema.path.as_str(), key) {
            problems.push(project.problem(
                &format!("/registries/{}/schemas/{}/file", escape(&key.0), escape(&key.1)),
                codes::INVALID_PROJECT,
                format!(
                    "'{}' is already the file of {}/{}; each schema needs a file of its own",
                    schema.path, first.0, first.1
                ),
            ));
        }
    }
    let mut deps: BTreeMap<SchemaKey, Vec<SchemaKey>> = BTreeMap::new();
    for (key, schema) in &project.schemas {
        let mut found = Vec::new();
        collect_refs(&schema.value, String::new(), &mut found);
        let mut list = Vec::new();
        for (pointer, reference) in found {
            match target(&reference, &schema.path, &by_path) {
                Ok(RefTarget::Project(dep, _)) => list.push(dep),
                Ok(RefTarget::Local | RefTarget::Stored) => {}
                Err(message) => problems.push(
                    Problem::new(
                        &schema.path,
                        line_of(&schema.lines, &pointer),
                        codes::UNRESOLVABLE_REF,
                        message,
                    )
                    .at(&pointer),
                ),
            }
        }
        list.sort();
        list.dedup();
        deps.insert(key.clone(), list);
    }
    let order = match topological(&deps) {
        Ok(order) => order,
        Err(cycle) => {
            let names: Vec<String> = cycle.iter().map(|(r, s)| format!("{r}/{s}")).collect();
            for key in &cycle {
                if let Some(s) = project.schemas.get(key) {
                    problems.push(Problem::new(
                        &s.path,
                        1,
                        codes::REFERENCE_CYCLE,
                        format!(
                            "schemas reference each other in a cycle ({}); a stored version can only reference versions stored before it, so move the shared part into a schema of its own",
                            names.join(" -> ")
                        ),
                    ));
                }
            }
            deps.keys().filter(|k| !cycle.contains(k)).cloned().collect()
        }
    };
    let mut resolved = Resolved::default();
    for key in order {
        // A schema depending on one left out (a cycle) is left out too.
        let Some(depends_on) = deps.get(&key).cloned() else { continue };
        if depends_on.iter().any(|d| !resolved.desired.contains_key(d)) {
            continue;
        }
        let Some(schema) = project.schemas.get(&key) else { continue };
        let content = rewrite(&schema.value, &|reference| match target(reference, &schema.path, &by_path) {
            Ok(RefTarget::Project(dep, fragment)) => resolved
                .desired
                .get(&dep)
                .map(|d| format!("{}{fragment}", version_uri(&dep.0, &dep.1, d.version))),
            _ => None,
        });
        let versions = existing.get(&key);
        let latest = versions.and_then(|v| v.iter().next_back());
        let changed = latest.is_none_or(|(_, c)| canonical_json(c) != canonical_json(&content));
        let version = match latest {
            Some((n, _)) if !changed => *n,
            Some((n, _)) => n + 1,
            None => 1,
        };
        resolved.desired.insert(key.clone(), Desired { content, version, changed, depends_on });
        resolved.order.push(key);
    }
    (resolved, problems)
}

fn target(
    reference: &str,
    from_path: &str,
    by_path: &BTreeMap<&str, &SchemaKey>,
) -> Result<RefTarget, String> {
    if reference.starts_with('#') {
        return Ok(RefTarget::Local);
    }
    if parse_version_uri(reference).is_some() {
        return Ok(RefTarget::Stored);
    }
    let (path, fragment) = match reference.find('#') {
        Some(i) => (&reference[..i], &reference[i..]),
        None => (reference, ""),
    };
    let resolved = normalise(dir_of(from_path), path).ok_or_else(|| {
        format!("'{reference}' is not a path inside the project; a $ref names another project schema file by its relative path, or a stored version URI")
    })?;
    by_path
        .get(resolved.as_str())
        .map(|k| RefTarget::Project((*k).clone(), fragment.to_owned()))
        .ok_or_else(|| format!("'{reference}' names '{resolved}', which is not a schema file of the project (schemabus.yaml lists them)"))
}

/// Keywords whose value is data: a `$ref` key inside them is not a reference.
const DATA_KEYWORDS: &[&str] = &["const", "enum", "default", "examples"];
/// Keywords whose value maps *names* to schemas: a property called `default` is a schema.
const NAME_MAPS: &[&str] = &["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];

/// Every `$ref` string with its pointer.
pub(crate) fn collect_refs(v: &Value, at: String, out: &mut Vec<(String, String)>) {
    walk_refs(v, at, false, out);
}

fn walk_refs(v: &Value, at: String, names: bool, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(o) => {
            for (k, child) in o {
                let p = format!("{at}/{}", escape(k));
                if names {
                    walk_refs(child, p, false, out);
                } else if k == "$ref" {
                    if let Value::String(s) = child {
                        out.push((p, s.clone()));
                    }
                } else if !DATA_KEYWORDS.contains(&k.as_str()) {
                    walk_refs(child, p, NAME_MAPS.contains(&k.as_str()), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                walk_refs(child, format!("{at}/{i}"), false, out);
            }
        }
        _ => {}
    }
}

/// `v` with every `$ref` that `map` rewrites replaced (the same positions as [`collect_refs`]).
pub(crate) fn rewrite(v: &Value, map: &dyn Fn(&str) -> Option<String>) -> Value {
    rewrite_in(v, false, map)
}

fn rewrite_in(v: &Value, names: bool, map: &dyn Fn(&str) -> Option<String>) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, child)| {
                    let child = if names {
                        rewrite_in(child, false, map)
                    } else if k == "$ref" {
                        match child {
                            Value::String(s) => map(s).map_or_else(|| child.clone(), Value::String),
                            other => other.clone(),
                        }
                    } else if DATA_KEYWORDS.contains(&k.as_str()) {
                        child.clone()
                    } else {
                        rewrite_in(child, NAME_MAPS.contains(&k.as_str()), map)
                    };
                    (k.clone(), child)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|c| rewrite_in(c, false, map)).collect()),
        other => other.clone(),
    }
}

/// Dependencies first; `Err` with the members of a cycle.
fn topological(deps: &BTreeMap<SchemaKey, Vec<SchemaKey>>) -> Result<Vec<SchemaKey>, Vec<SchemaKey>> {
    let mut order = Vec::new();
    let mut done: BTreeSet<&SchemaKey> = BTreeSet::new();
    let mut cycle: BTreeSet<SchemaKey> = BTreeSet::new();
    fn visit<'a>(
        key: &'a SchemaKey,
        deps: &'a BTreeMap<SchemaKey, Vec<SchemaKey>>,
        path: &mut Vec<&'a SchemaKey>,
        done: &mut BTreeSet<&'a SchemaKey>,
        order: &mut Vec<SchemaKey>,
        cycle: &mut BTreeSet<SchemaKey>,
    ) {
        if done.contains(key) {
            return;
        }
        if let Some(i) = path.iter().position(|k| *k == key) {
            cycle.extend(path[i..].iter().map(|k| (*k).clone()));
            return;
        }
        path.push(key);
        for d in deps.get(key).into_iter().flatten() {
            if deps.contains_key(d) {
                visit(d, deps, path, done, order, cycle);
            }
        }
        path.pop();
        done.insert(key);
        order.push(key.clone());
    }
    for key in deps.keys() {
        visit(key, deps, &mut Vec::new(), &mut done, &mut order, &mut cycle);
    }
    if cycle.is_empty() { Ok(order) } else { Err(cycle.into_iter().collect()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_property_named_like_a_data_keyword_is_still_a_schema() {
        let schema = json!({"properties": {"default": {"$ref": "money.json"}, "enum": {"$ref": "b.json"}},
            "default": {"$ref": "not-a-reference"}, "$defs": {"const": {"$ref": "c.json"}}});
        let mut found = Vec::new();
        collect_refs(&schema, String::new(), &mut found);
        let pointers: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(pointers, vec!["/properties/default/$ref", "/properties/enum/$ref", "/$defs/const/$ref"]);
        let rewritten = rewrite(&schema, &|r| Some(format!("x:{r}")));
        assert_eq!(rewritten["properties"]["default"]["$ref"], "x:money.json");
        assert_eq!(rewritten["default"]["$ref"], "not-a-reference");
    }
}
