//! `schemabus check`: everything that can be known about a project without a service.
//! Schemas are valid for their draft and compile with references resolved inside the
//! project; every resource body is what the API accepts; patterns parse; credentials are
//! environment references; and, given a baseline, every changed schema is compatible with
//! it under its mode. Pure.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::load::{Project, SchemaKey, pointer_of_path};
use super::problem::{Problem, codes};
use super::resolve::{Existing, Resolved, resolve};
use super::secrets::{self, SecretUse};
use super::yaml::{escape, line_of};
use crate::compat::{self, CompatibilityMode, Policy, SchemaMap};
use crate::model::{Binding, RegistryName, SchemaName, ValidationConfig};
use crate::registry::content::{self, SchemaLimits};
use crate::registry::refs::{parse_version_uri, version_uri};

/// What a service says of a schema's mode: its effective mode and policy, and whether
/// they are set on the schema itself (which outranks the registry's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownMode {
    pub compatibility: CompatibilityMode,
    pub policy: Policy,
    /// Set on the schema (`source: "schema"`), not inherited.
    pub schema_level: bool,
}

/// What a baseline says beyond its versions: the mode of each schema it holds (a
/// service's configuration; a git baseline has none).
pub type Modes = BTreeMap<SchemaKey, KnownMode>;

/// The mode and policy a project schema is checked and registered under, as the service
/// will have them after `apply`: the project's schema-level setting; else a schema-level
/// setting the service holds (a project without one leaves it in place); else the
/// project's registry setting; else the service's effective mode; else `BACKWARD`/`STRICT`.
pub fn mode_of(project: &Project, key: &SchemaKey, baseline: &Modes) -> (CompatibilityMode, Policy) {
    let registry = project.file.registries.get(&key.0);
    let schema = registry.and_then(|r| r.schemas.get(&key.1));
    let known = baseline.get(key).copied();
    let parse_mode = |m: Option<&String>| m.and_then(|m| m.parse::<CompatibilityMode>().ok());
    let parse_policy = |p: Option<&String>| p.and_then(|p| p.parse::<Policy>().ok());
    // A schema-level setting in the project replaces the service's (the PUT sets both
    // fields; a field it leaves out is filled with what the schema would inherit).
    let schema_set = schema.is_some_and(|s| s.compatibility.is_some() || s.policy.is_some());
    let pinned = known.filter(|k| k.schema_level && !schema_set);
    let mode = parse_mode(schema.and_then(|s| s.compatibility.as_ref()))
        .or(pinned.map(|k| k.compatibility))
        .or(parse_mode(registry.and_then(|r| r.compatibility.as_ref())))
        .or(known.map(|k| k.compatibility));
    let policy = parse_policy(schema.and_then(|s| s.policy.as_ref()))
        .or(pinned.map(|k| k.policy))
        .or(parse_policy(registry.and_then(|r| r.policy.as_ref())))
        .or(known.map(|k| k.policy));
    (mode.unwrap_or(CompatibilityMode::Backward), policy.unwrap_or(Policy::Strict))
}

/// A schema that differs from the baseline, with every change in plain words.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaChange {
    pub registry: String,
    pub schema: String,
    pub file: String,
    /// The baseline's latest version (`None`: a new schema).
    pub from_version: Option<u32>,
    /// The version it becomes.
    pub to_version: u32,
    pub changes: Vec<ChangeLine>,
}

/// One change of a schema.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeLine {
    pub line: usize,
    pub path: String,
    pub message: String,
    pub backward_compatible: bool,
    pub forward_compatible: bool,
}

/// The outcome of a check.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub resolved: Resolved,
    pub problems: Vec<Problem>,
    /// Against a baseline: the schemas that differ from it.
    pub changes: Vec<SchemaChange>,
}

/// Checks the project. `baseline`: what the project is compared with (versions and
/// modes); `None` checks the project alone.
pub fn check(project: &Project, baseline: Option<(&Existing, &Modes)>) -> Checked {
    let empty = Existing::new();
    let no_modes = Modes::new();
    let (existing, modes) = baseline.unwrap_or((&empty, &no_modes));
    let mut problems = Vec::new();
    let mut changes = Vec::new();
    check_names_and_settings(project, &mut problems);
    let (resolved, ref_problems) = resolve(project, existing);
    problems.extend(ref_problems);
    let refs = resolved.schema_map(existing);
    // One shared copy for every compilation (a copy per schema is quadratic).
    let docs = Arc::new(refs.clone());
    for key in &resolved.order {
        let (Some(schema), Some(desired)) = (project.schemas.get(key), resolved.desired.get(key)) else {
            continue;
        };
        let at = |pointer: &str| line_of(&schema.lines, pointer);
        let checked = match content::check(desired.content.clone(), SchemaLimits::default()) {
            Ok(c) => c,
            Err(e) => {
                let pointer = pointer_of(&e);
                problems.push(
                    Problem::new(&schema.path, at(&pointer), codes::INVALID_SCHEMA, e.message.clone())
                        .at(&pointer),
                );
                continue;
            }
        };
        let uri = version_uri(&key.0, &key.1, desired.version);
        let retriever = MapRetriever { docs: docs.clone(), offline: baseline.is_none() };
        if let Err(e) =
            content::compile::<jsonschema::json::SerdeJson>(&checked.value, checked.draft, &uri, retriever)
        {
            let pointer = pointer_of(&e);
            let code = if e.code == crate::error::Code::UnresolvableRef {
                codes::UNRESOLVABLE_REF
            } else {
                codes::INVALID_SCHEMA
            };
            problems.push(Problem::new(&schema.path, at(&pointer), code, e.message.clone()).at(&pointer));
            continue;
        }
        external_refs(&desired.content, &schema.path, &schema.lines, &refs, &mut problems);
        if !desired.changed || baseline.is_none() {
            continue;
        }
        let (mode, policy) = mode_of(project, key, modes);
        let Some(versions) = existing.get(key) else {
            changes.push(SchemaChange {
                registry: key.0.clone(),
                schema: key.1.clone(),
                file: schema.path.clone(),
                from_version: None,
                to_version: desired.version,
                changes: vec![],
            });
            continue;
        };
        if let Some((from, previous)) = versions.iter().next_back() {
            let diff = compat::diff(previous, &desired.content, policy, &refs);
            changes.push(SchemaChange {
                registry: key.0.clone(),
                schema: key.1.clone(),
                file: schema.path.clone(),
                from_version: Some(*from),
                to_version: desired.version,
                changes: diff
                    .changes
                    .iter()
                    .map(|c| ChangeLine {
                        line: at(c.path.trim_start_matches('#')),
                        path: c.path.clone(),
                        message: c.message.clone(),
                        backward_compatible: c.backward_compatible,
                        forward_compatible: c.forward_compatible,
                    })
                    .collect(),
            });
        }
        let report = compat::check_against_versions(
            &desired.content,
            versions.iter().map(|(v, c)| (*v, c)),
            mode,
            policy,
            &refs,
        );
        for f in report.findings.iter().filter(|f| !f.compatible) {
            let pointer = f.path.trim_start_matches('#').to_owned();
            let against = f.version.map(|v| format!(" (against version {v})")).unwrap_or_default();
            problems.push(
                Problem::new(
                    &schema.path,
                    at(&pointer),
                    codes::INCOMPATIBLE_SCHEMA,
                    format!("{}/{} breaks {}{against}: {}", key.0, key.1, mode.as_str(), f.message),
                )
                .at(&pointer),
            );
        }
    }
    Checked { resolved, problems, changes }
}

/// Stored-version `$ref`s not in the baseline: the service resolves them at apply.
fn external_refs(
    content: &Value,
    path: &str,
    lines: &super::yaml::Lines,
    refs: &SchemaMap,
    out: &mut Vec<Problem>,
) {
    let mut found = Vec::new();
    super::resolve::collect_refs(content, String::new(), &mut found);
    for (pointer, reference) in found {
        let bare = reference.split('#').next().unwrap_or_default();
        if parse_version_uri(&reference).is_some() && !refs.contains_key(bare) {
            out.push(
                Problem::new(
                    path,
                    line_of(lines, &pointer),
                    codes::EXTERNAL_REFERENCE,
                    format!("'{reference}' is a stored version outside the project; not checked offline (check --against URL resolves it)"),
                )
                .at(&pointer)
                .warning(),
            );
        }
    }
}

/// Resolves version URIs from the project and the baseline. Offline, other stored
/// versions resolve to an empty schema (the warning above says they were not checked).
#[derive(Clone)]
struct MapRetriever {
    docs: Arc<SchemaMap>,
    offline: bool,
}

impl jsonschema::Retrieve for MapRetriever {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let text = uri.as_str();
        if let Some(doc) = self.docs.get(text) {
            return Ok(doc.clone());
        }
        if self.offline && parse_version_uri(text).is_some() {
            return Ok(json!({}));
        }
        Err(format!("'{text}' is neither a project schema nor a version the baseline holds").into())
    }
}

fn pointer_of(e: &crate::error::ApiError) -> String {
    e.details.as_ref().and_then(|d| d.get("pointer")).and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn read_as<T: DeserializeOwned>(
    project: &Project,
    value: &Value,
    pointer: &str,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(t) => Some(t),
        Err(e) => {
            let at = format!("{pointer}{}", pointer_of_path(e.path()));
            problems.push(project.problem(&at, codes::INVALID_RESOURCE, e.inner().to_string()));
            None
        }
    }
}

fn check_name(project: &Project, kind: &str, name: &str, pointer: &str, problems: &mut Vec<Problem>) {
    let result = match kind {
        "registry" => RegistryName::parse(name).map(|_| ()),
        "schema" => SchemaName::parse(name).map(|_| ()),
        _ => crate::bus::check_name(kind, name),
    };
    if let Err(e) = result {
        problems.push(project.problem(pointer, codes::INVALID_NAME, e.message.clone()));
    }
}

fn check_names_and_settings(project: &Project, problems: &mut Vec<Problem>) {
    let file = &project.file;
    for (r, spec) in &file.registries {
        let rat = format!("/registries/{}", escape(r));
        check_name(project, "registry", r, &rat, problems);
        if let Err(e) = crate::registry::check_description(spec.description.clone())
            .and_then(|_| crate::registry::check_tags(spec.tags.clone()))
        {
            api_problem(project, &rat, &e, problems);
        }
        for (pointer, value) in [("compatibility", &spec.compatibility), ("policy", &spec.policy)] {
            mode_setting(
                project,
                pointer,
                value.as_deref(),
                &format!("/registries/{}/{pointer}", escape(r)),
                problems,
            );
        }
        for (s, schema) in &spec.schemas {
            let at = format!("/registries/{}/schemas/{}", escape(r), escape(s));
            check_name(project, "schema", s, &at, problems);
            if let Err(e) = crate::registry::check_description(schema.description.clone()) {
                api_problem(project, &at, &e, problems);
            }
            mode_setting(
                project,
                "compatibility",
                schema.compatibility.as_deref(),
                &format!("{at}/compatibility"),
                problems,
            );
            mode_setting(project, "policy", schema.policy.as_deref(), &format!("{at}/policy"), problems);
        }
    }
    for (q, body) in &file.queues {
        let at = format!("/queues/{}", escape(q));
        check_name(project, "queue", q, &at, problems);
        let Some(req) = read_as::<crate::bus::requests::PutQueueRequest>(project, body, &at, problems) else {
            continue;
        };
        if let Err(e) = crate::bus::checks::queue_settings(q, &req) {
            api_problem(project, &at, &e, problems);
        } else if let Some(dlq) = &req.dead_letter_queue
            && !file.queues.contains_key(dlq)
        {
            problems.push(project.problem(
                &format!("{at}/deadLetterQueue"),
                codes::UNKNOWN_REFERENCE,
                format!("dead-letter queue '{dlq}' is not declared under queues"),
            ));
        }
    }
    for (b, bus) in &file.buses {
        let at = format!("/buses/{}", escape(b));
        check_name(project, "bus", b, &at, problems);
        if let Err(e) = crate::bus::checks::description(bus.description.as_deref()) {
            api_problem(project, &at, &e, problems);
        }
        let validation = bus
            .validation
            .as_ref()
            .and_then(|v| read_as::<ValidationConfig>(project, v, &format!("{at}/validation"), problems));
        let mut bindings = Vec::new();
        for (i, binding) in bus.bindings.iter().enumerate() {
            let bat = format!("{at}/bindings/{i}");
            let Some(binding) = read_as::<Binding>(project, binding, &bat, problems) else { continue };
            bindings.push(binding.clone());
            let registry =
                binding.registry.clone().or_else(|| validation.as_ref().and_then(|v| v.registry.clone()));
            let declared = registry.as_ref().is_some_and(|r| {
                file.registries.get(r).is_some_and(|spec| spec.schemas.contains_key(&binding.schema))
            });
            if !declared {
                problems.push(project.problem(
                    &format!("{bat}/schema"),
                    codes::UNKNOWN_REFERENCE,
                    format!(
                            "binding to '{}' in registry '{}', which the project does not declare",
                            binding.schema,
                            registry
                                .as_deref()
                                .unwrap_or("(none: set validation.registry or the binding's registry)")
                        ),
                ));
            }
        }
        let parsed = bus.validation.is_none() || validation.is_some();
        if parsed
            && bindings.len() == bus.bindings.len()
            && let Err(e) = crate::bus::checks::bus_fields(validation.as_ref(), Some(&bindings))
        {
            api_problem(project, &at, &e, problems);
        }
        if let Some(d) = &bus.discovery {
            let dat = format!("{at}/discovery");
            if let Some(req) = read_as::<crate::discovery::DiscoveryConfigRequest>(project, d, &dat, problems)
                && let Err(e) = crate::discovery::check_request(&req)
            {
                api_problem(project, &dat, &e, problems);
            }
        }
        for (name, body) in &bus.archives {
            let aat = format!("{at}/archives/{}", escape(name));
            if let Some(req) = read_as::<crate::archive::PutArchiveRequest>(project, body, &aat, problems)
                && let Err(e) = crate::archive::check_request(name, &req)
            {
                api_problem(project, &aat, &e, problems);
            }
        }
        for (name, body) in &bus.rules {
            let rat = format!("{at}/rules/{}", escape(name));
            check_name(project, "rule", name, &rat, problems);
            let (placeholder, uses) = secrets::with_placeholders(body);
            for u in &uses {
                if let SecretUse::Inline { pointer } = u {
                    problems.push(project.problem(
                        &format!("{rat}{pointer}"),
                        codes::INLINE_SECRET,
                        "a credential is written inline; write {\"env\": \"NAME\"} and set NAME where apply runs".into(),
                    ));
                }
            }
            let Some(rule) =
                read_as::<crate::bus::requests::PutRuleRequest>(project, &placeholder, &rat, problems)
            else {
                continue;
            };
            let checked = crate::bus::checks::rule(&rule, crate::bus::checks::RuleLimits::default())
                .and_then(|_| crate::bus::checks::schedule_bus(b, &rule));
            if let Err(e) = checked {
                api_problem(project, &rat, &e, problems);
            }
            for (i, t) in rule.targets.iter().enumerate() {
                if let Err(e) = crate::bus::checks::target(t, &format!("/targets/{i}")) {
                    api_problem(project, &rat, &e, problems);
                }
                let tv = serde_json::to_value(t).unwrap_or_default();
                for (field, declared) in [
                    ("queue", file.queues.keys().collect::<Vec<_>>()),
                    ("deadLetterQueue", file.queues.keys().collect::<Vec<_>>()),
                ] {
                    if let Some(q) = tv.get(field).and_then(Value::as_str)
                        && !declared.iter().any(|d| d.as_str() == q)
                    {
                        problems.push(project.problem(
                            &format!("{rat}/targets/{i}/{field}"),
                            codes::UNKNOWN_REFERENCE,
                            format!("queue '{q}' is not declared under queues"),
                        ));
                    }
                }
                if let Some(target_bus) = tv.get("bus").and_then(Value::as_str)
                    && target_bus != "default"
                    && !file.buses.contains_key(target_bus)
                {
                    problems.push(project.problem(
                        &format!("{rat}/targets/{i}/bus"),
                        codes::UNKNOWN_REFERENCE,
                        format!("bus '{target_bus}' is not declared under buses"),
                    ));
                }
            }
        }
    }
}

/// A refusal of the service's own checks, as a problem at `base` + the error's pointer.
fn api_problem(project: &Project, base: &str, e: &crate::error::ApiError, problems: &mut Vec<Problem>) {
    use crate::error::Code;
    let code = match e.code {
        Code::InvalidPattern => codes::INVALID_PATTERN,
        Code::InvalidName => codes::INVALID_NAME,
        _ => codes::INVALID_RESOURCE,
    };
    problems.push(project.problem(&format!("{base}{}", pointer_of(e)), code, e.message.clone()));
}

fn mode_setting(
    project: &Project,
    kind: &str,
    value: Option<&str>,
    pointer: &str,
    problems: &mut Vec<Problem>,
) {
    let Some(v) = value else { return };
    let ok = match kind {
        "compatibility" => v.parse::<CompatibilityMode>().is_ok(),
        _ => v.parse::<Policy>().is_ok(),
    };
    if !ok {
        problems.push(project.problem(
            pointer,
            codes::INVALID_RESOURCE,
            format!("'{v}' is not a {kind}; see docs/COMPATIBILITY.md for the names"),
        ));
    }
}
