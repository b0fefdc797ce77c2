//! `pull`: a service's setup as a project (the way an existing installation moves to
//! contracts as code). Pure: from a [`Remote`] snapshot to file contents.
//!
//! Each schema's latest version is written to `schemas/<registry>/<schema>.json`; a `$ref`
//! to the latest version of another pulled schema becomes the relative path of its file
//! (so `apply` keeps it current); a `$ref` to an older version stays a version URI.
//! Webhook credentials, which the service never shows, become `{"env": NAME}` references
//! whose names are returned. The built-in `discovered-schemas` registry is left out, and
//! the `default` bus is written only when it carries rules, archives, bindings or
//! settings.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::model::{BusSpec, PROJECT_FILE, PROJECT_VERSION, ProjectFile, RegistrySpec, SchemaSpec};
use super::plan::Remote;
use super::resolve::rewrite;
use crate::registry::DISCOVERED_REGISTRY;
use crate::registry::refs::parse_version_uri;

/// Files to write (path relative to the project root -> text) and the environment
/// variables the pulled credentials need.
#[derive(Debug, Clone, Default)]
pub struct Pulled {
    pub files: BTreeMap<String, String>,
    pub secrets: Vec<String>,
}

fn schema_path(registry: &str, schema: &str) -> String {
    format!("schemas/{registry}/{schema}.json")
}

fn drop_keys(v: &Value, keys: &[&str]) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(k, x)| !keys.contains(&k.as_str()) && !x.is_null())
                .map(|(k, x)| (k.clone(), x.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The project of `remote`.
pub fn pull(remote: &Remote) -> Pulled {
    let mut out = Pulled::default();
    let mut file = ProjectFile { version: PROJECT_VERSION, ..ProjectFile::default() };
    let latest: BTreeMap<(String, String), u32> = remote
        .registries
        .iter()
        .filter(|(r, _)| r.as_str() != DISCOVERED_REGISTRY)
        .flat_map(|(r, reg)| {
            reg.schemas.iter().filter_map(move |(s, schema)| {
                schema.versions.keys().next_back().map(|v| ((r.clone(), s.clone()), *v))
            })
        })
        .collect();
    for (r, reg) in &remote.registries {
        if r == DISCOVERED_REGISTRY {
            continue;
        }
        let config_of = |c: &Value, source: &str| {
            (c.get("source").and_then(Value::as_str) == Some(source)).then(|| {
                (
                    c.get("compatibility").and_then(Value::as_str).map(str::to_owned),
                    c.get("policy").and_then(Value::as_str).filter(|p| *p != "STRICT").map(str::to_owned),
                )
            })
        };
        let (compatibility, policy) = config_of(&reg.config, "registry").unwrap_or_default();
        let mut spec = RegistrySpec {
            description: reg.record.get("description").and_then(Value::as_str).map(str::to_owned),
            tags: serde_json::from_value(reg.record.get("tags").cloned().unwrap_or(json!({})))
                .unwrap_or_default(),
            compatibility,
            policy,
            schemas: BTreeMap::new(),
        };
        for (s, schema) in &reg.schemas {
            let Some((_, content)) = schema.versions.iter().next_back() else { continue };
            let path = schema_path(r, s);
            let content = rewrite(content, &|reference| {
                let (rr, ss, v) = parse_version_uri(reference)?;
                if latest.get(&(rr.clone(), ss.clone())) != Some(&v) {
                    return None;
                }
                let fragment = reference.find('#').map_or("", |i| &reference[i..]);
                // `./`: a colon in a first segment would read as a URI scheme.
                let target = if rr == *r { format!("./{ss}.json") } else { format!("../{rr}/{ss}.json") };
                Some(format!("{target}{fragment}"))
            });
            out.files.insert(
                path.clone(),
                format!("{}\n", serde_json::to_string_pretty(&content).unwrap_or_default()),
            );
            let (compatibility, policy) = config_of(&schema.config, "schema").unwrap_or_default();
            spec.schemas.insert(
                s.clone(),
                SchemaSpec {
                    file: path,
                    description: schema.record.get("description").and_then(Value::as_str).map(str::to_owned),
                    compatibility,
                    policy,
                },
            );
        }
        file.registries.insert(r.clone(), spec);
    }
    for (q, record) in &remote.queues {
        file.queues
            .insert(q.clone(), drop_keys(record, &["name", "createdAt", "updatedAt", "depth", "inFlight"]));
    }
    for (b, bus) in &remote.buses {
        let validation = bus
            .record
            .get("validation")
            .cloned()
            .filter(|v| *v != json!({"mode": "off", "unknownEventTypes": "allow"}));
        let bindings: Vec<Value> =
            bus.record.get("bindings").and_then(Value::as_array).cloned().unwrap_or_default();
        // Written when it differs from the default (off, every event): a disabled bus
        // with its own rate keeps the rate.
        let enabled = bus.discovery.get("enabled") == Some(&json!(true));
        let rate = bus.discovery.get("sampleRate").and_then(Value::as_f64).unwrap_or(1.0);
        let discovery = (enabled || (rate - 1.0).abs() > f64::EPSILON)
            .then(|| json!({"enabled": enabled, "sampleRate": rate}));
        let mut spec = BusSpec {
            description: bus.record.get("description").and_then(Value::as_str).map(str::to_owned),
            validation,
            bindings,
            discovery,
            rules: BTreeMap::new(),
            archives: BTreeMap::new(),
        };
        for (name, rule) in &bus.rules {
            let (rule, names) = super::secrets::as_env_refs(
                b,
                name,
                &drop_keys(rule, &["name", "bus", "createdAt", "updatedAt"]),
            );
            out.secrets.extend(names);
            spec.rules.insert(name.clone(), rule);
        }
        for (name, archive) in &bus.archives {
            spec.archives.insert(
                name.clone(),
                drop_keys(archive, &["name", "bus", "createdAt", "updatedAt", "eventCount", "sizeBytes"]),
            );
        }
        let builtin = bus.record.get("builtin").and_then(Value::as_bool).unwrap_or(false);
        let plain = spec.rules.is_empty()
            && spec.archives.is_empty()
            && spec.bindings.is_empty()
            && spec.validation.is_none()
            && spec.discovery.is_none();
        if builtin && plain {
            continue;
        }
        if builtin {
            // The built-in bus's description is the service's own; do not manage it.
            spec.description = None;
        }
        file.buses.insert(b.clone(), spec);
    }
    let header = "# schemabus project (docs/CONTRACTS-AS-CODE.md), written by `schemabus pull`.\n";
    let body = serde_json::to_value(&file).map(|v| to_yaml(&v, 0)).unwrap_or_default();
    out.files.insert(PROJECT_FILE.to_owned(), format!("{header}{body}"));
    out
}

/// YAML for a JSON value: block style for objects and arrays, JSON-quoted strings (always
/// valid YAML, never re-typed on reading), flow style for empty collections.
pub fn to_yaml(v: &Value, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::new();
    match v {
        Value::Object(o) if !o.is_empty() => {
            for (k, x) in o {
                let key = yaml_key(k);
                match x {
                    Value::Object(m) if !m.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n{}", to_yaml(x, indent + 2)))
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n{}", to_yaml(x, indent + 2)))
                    }
                    _ => out.push_str(&format!("{pad}{key}: {}\n", scalar(x))),
                }
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for x in a {
                match x {
                    Value::Object(m) if !m.is_empty() => {
                        let inner = to_yaml(x, indent + 2);
                        out.push_str(&format!("{pad}- {}", inner.trim_start()));
                    }
                    Value::Array(b) if !b.is_empty() => {
                        out.push_str(&format!("{pad}-\n{}", to_yaml(x, indent + 2)));
                    }
                    _ => out.push_str(&format!("{pad}- {}\n", scalar(x))),
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
    out
}

/// A key as written: plain when YAML cannot read it as anything but that string.
fn yaml_key(k: &str) -> String {
    let plain = k.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'))
        && !matches!(
            k.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain { k.to_owned() } else { serde_json::to_string(k).unwrap_or_default() }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::yaml::parse_yaml;

    #[test]
    fn yaml_written_reads_back_as_the_same_json() {
        let v = json!({"version": 1, "null": 0, "orders@OrderPlaced": {"detail-type": ["x"]}, "a b": {"x": [1, {"y": "two: words", "z": []}, [true, null]], "e": {}},
            "s": "- not a list", "n": -1.5, "q": "123"});
        let text = to_yaml(&v, 0);
        assert_eq!(parse_yaml(&text).unwrap().0, v, "{text}");
    }
}
