//! `plan` and `apply`: what a running service must do to match the project.
//!
//! Every field of a declared resource is managed: a field the project leaves out means
//! the service's default (no description, queue defaults, validation and discovery off).
//! Compatibility settings are the exception: the API cannot remove one, so an absent
//! setting leaves the service's as it is. Nothing is deleted unless `--prune`; built-in
//! resources (the `default` bus, the `discovered-schemas` registry) never are. Pure: the
//! service's state comes in as a [`Remote`] snapshot.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::check::{KnownMode, Modes, check, mode_of};
use super::load::Project;
use super::problem::{Problem, Severity};
use super::resolve::Existing;
use super::secrets;
use crate::compat::{CompatibilityMode, Policy};
use crate::registry::DISCOVERED_REGISTRY;

/// A service's state, as `GET`s return it (records, not views: counts left out).
#[derive(Debug, Clone, Default)]
pub struct Remote {
    pub registries: BTreeMap<String, RemoteRegistry>,
    pub queues: BTreeMap<String, Value>,
    pub buses: BTreeMap<String, RemoteBus>,
}

/// A registry with its schemas.
#[derive(Debug, Clone, Default)]
pub struct RemoteRegistry {
    pub record: Value,
    /// `GET .../config` (`{compatibility, policy, source}`).
    pub config: Value,
    pub schemas: BTreeMap<String, RemoteSchema>,
}

/// A schema with every version.
#[derive(Debug, Clone, Default)]
pub struct RemoteSchema {
    pub record: Value,
    pub versions: BTreeMap<u32, Value>,
    /// `GET .../schemas/{s}/config`.
    pub config: Value,
}

/// A bus with its rules, archives and discovery settings.
#[derive(Debug, Clone, Default)]
pub struct RemoteBus {
    pub record: Value,
    pub discovery: Value,
    pub rules: BTreeMap<String, Value>,
    pub archives: BTreeMap<String, Value>,
}

impl Remote {
    /// Every stored version.
    pub fn existing(&self) -> Existing {
        let mut out = Existing::new();
        for (r, reg) in &self.registries {
            for (s, schema) in &reg.schemas {
                out.insert((r.clone(), s.clone()), schema.versions.clone());
            }
        }
        out
    }

    /// Every schema's effective mode.
    pub fn modes(&self) -> Modes {
        let mut out = Modes::new();
        for (r, reg) in &self.registries {
            for (s, schema) in &reg.schemas {
                let mode =
                    schema.config.get("compatibility").and_then(Value::as_str).and_then(|m| m.parse().ok());
                let policy = schema.config.get("policy").and_then(Value::as_str).and_then(|p| p.parse().ok());
                out.insert(
                    (r.clone(), s.clone()),
                    KnownMode {
                        compatibility: mode.unwrap_or(CompatibilityMode::Backward),
                        policy: policy.unwrap_or(Policy::Strict),
                        schema_level: schema.config.get("source").and_then(Value::as_str) == Some("schema"),
                    },
                );
            }
        }
        out
    }
}

/// What an action does to its resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    Create,
    Change,
    Delete,
}

/// One request to the service.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    pub effect: Effect,
    /// `queue billing`, `rule orders/to-billing`, `version shop/orders@OrderPlaced 3`.
    pub resource: String,
    /// The fields that differ, for a change.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    pub method: &'static str,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// The body holds `{"env": "NAME"}` credentials to fill in before sending.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub secrets: bool,
}

impl Action {
    /// `+ create queue billing`, `~ change rule orders/r (targets)`, `- delete …`.
    pub fn line(&self) -> String {
        let (sign, verb) = match self.effect {
            Effect::Create => ('+', "create"),
            Effect::Change => ('~', "change"),
            Effect::Delete => ('-', "delete"),
        };
        let fields =
            if self.fields.is_empty() { String::new() } else { format!(" ({})", self.fields.join(", ")) };
        format!("{sign} {verb} {}{fields}", self.resource)
    }
}

/// Options of `plan`/`apply`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanOptions {
    /// Delete what the service holds and the project does not declare.
    pub prune: bool,
    /// Send rules with credentials again (the service never shows them, so a rotated
    /// secret is invisible to the comparison).
    pub resend_secrets: bool,
}

/// The plan: actions in the order to run them, and the project's problems against the
/// service (an error among them means `apply` must not start).
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub problems: Vec<Problem>,
}

impl Plan {
    /// Whether `apply` may run it.
    pub fn blocked(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }
}

fn enc(segment: &str) -> String {
    // Names are restricted to URL-safe characters by the service except `@`; encode all
    // that a path segment cannot hold as is.
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Removes nulls (recursively) and the listed top-level keys.
fn strip(v: &Value, drop: &[&str]) -> Value {
    fn clean(v: &Value) -> Value {
        match v {
            Value::Object(o) => Value::Object(
                o.iter().filter(|(_, x)| !x.is_null()).map(|(k, x)| (k.clone(), clean(x))).collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(clean).collect()),
            other => other.clone(),
        }
    }
    match clean(v) {
        Value::Object(mut o) => {
            for k in drop {
                o.remove(*k);
            }
            Value::Object(o)
        }
        other => other,
    }
}

/// A body built from optional fields, without the ones absent (`null` at the top level).
/// What the project's own bodies say is sent as written: only comparisons ignore nulls.
fn top_level(v: Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(o.into_iter().filter(|(_, x)| !x.is_null()).collect()),
        other => other,
    }
}

/// `desired` with `defaults` filled in where it says nothing.
fn with_defaults(desired: &Value, defaults: &Value) -> Value {
    let mut out = desired.as_object().cloned().unwrap_or_default();
    for (k, d) in defaults.as_object().into_iter().flatten() {
        match out.get(k) {
            None | Some(Value::Null) => {
                out.insert(k.clone(), d.clone());
            }
            Some(v @ Value::Object(_)) if d.is_object() => {
                let merged = with_defaults(v, d);
                out.insert(k.clone(), merged);
            }
            _ => {}
        }
    }
    Value::Object(out)
}

/// Top-level fields that differ.
fn differing(a: &Value, b: &Value) -> Vec<String> {
    let empty = Map::new();
    let (a, b) = (a.as_object().unwrap_or(&empty), b.as_object().unwrap_or(&empty));
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter().filter(|k| a.get(*k) != b.get(*k)).cloned().collect()
}

/// Normalises a rule body for comparison: read and written back through the API's own
/// request and target types, so every default the service fills in (method, retry
/// policy, empty maps) is filled in on both sides; credentials as the service shows them.
fn rule_view(rule: &Value) -> Value {
    let redacted = secrets::redacted(rule);
    let Ok(r) = serde_json::from_value::<crate::bus::requests::PutRuleRequest>(redacted.clone()) else {
        // Not a valid body: `check` reports it; compare it as written.
        return strip(&redacted, &[]);
    };
    strip(
        &json!({
            "description": r.description.filter(|d| !d.is_empty()),
            "pattern": r.pattern,
            "state": r.state,
            "targets": r.targets,
        }),
        &[],
    )
}

/// Compares the project with the service.
pub fn plan(project: &Project, remote: &Remote, options: PlanOptions) -> Plan {
    let existing = remote.existing();
    let modes = remote.modes();
    let checked = check(project, Some((&existing, &modes)));
    let (resolved, problems) = (checked.resolved, checked.problems);
    let mut actions = Vec::new();
    let file = &project.file;

    // Registries and their settings.
    for (name, spec) in &file.registries {
        let path = format!("/v1/registries/{}", enc(name));
        let desired = strip(&json!({"description": spec.description, "tags": spec.tags}), &[]);
        match remote.registries.get(name) {
            None => actions.push(Action {
                effect: Effect::Create,
                resource: format!("registry {name}"),
                fields: vec![],
                method: "POST",
                path: "/v1/registries".into(),
                body: Some(top_level(
                    json!({"name": name, "description": spec.description, "tags": spec.tags}),
                )),
                secrets: false,
            }),
            Some(r) => {
                let have = with_defaults(
                    &strip(&r.record, &["name", "builtin", "writable", "createdAt", "updatedAt"]),
                    &json!({"tags": {}}),
                );
                let want = with_defaults(&desired, &json!({"tags": {}}));
                let fields = differing(&want, &have);
                if !fields.is_empty() {
                    actions.push(Action {
                        effect: Effect::Change,
                        resource: format!("registry {name}"),
                        fields,
                        method: "PATCH",
                        path: path.clone(),
                        body: Some(json!({"description": spec.description.clone().unwrap_or_default(), "tags": spec.tags})),
                        secrets: false,
                    });
                }
            }
        }
        if spec.compatibility.is_some() || spec.policy.is_some() {
            let current = remote.registries.get(name).map(|r| &r.config);
            // The PUT sets both fields: the one the project leaves out keeps its value.
            let kept = |field: &str, default: &'static str| {
                current.and_then(|c| c.get(field)).and_then(Value::as_str).unwrap_or(default).to_owned()
            };
            let want = json!({
                "compatibility": spec.compatibility.clone().unwrap_or_else(|| kept("compatibility", "BACKWARD")),
                "policy": spec.policy.clone().unwrap_or_else(|| kept("policy", "STRICT")),
            });
            config_action(
                &mut actions,
                format!("registry {name}"),
                format!("{path}/config"),
                want,
                current,
                "registry",
            );
        }
        for (schema, s) in &spec.schemas {
            if s.compatibility.is_some() || s.policy.is_some() {
                let current =
                    remote.registries.get(name).and_then(|r| r.schemas.get(schema)).map(|x| &x.config);
                // A field left out is what the schema would inherit (mode_of fills it so).
                let (mode, policy) = mode_of(project, &(name.clone(), schema.clone()), &modes);
                let want = json!({"compatibility": mode.as_str(), "policy": policy.as_str()});
                config_action(
                    &mut actions,
                    format!("schema {name}/{schema}"),
                    format!("{path}/schemas/{}/config", enc(schema)),
                    want,
                    current,
                    "schema",
                );
            }
        }
    }

    // Versions, referenced schemas first; then schema descriptions.
    for key in &resolved.order {
        let Some(d) = resolved.desired.get(key) else { continue };
        if !d.changed {
            continue;
        }
        let (mode, _) = mode_of(project, key, &modes);
        actions.push(Action {
            effect: if d.version == 1 { Effect::Create } else { Effect::Change },
            resource: format!("version {}/{} {} ({})", key.0, key.1, d.version, mode.as_str()),
            fields: vec![],
            method: "POST",
            path: format!("/v1/registries/{}/schemas/{}/versions", enc(&key.0), enc(&key.1)),
            body: Some(json!({"content": d.content})),
            secrets: false,
        });
    }
    for ((registry, schema), loaded) in &project.schemas {
        let have = remote
            .registries
            .get(registry)
            .and_then(|r| r.schemas.get(schema))
            .and_then(|s| s.record.get("description").and_then(Value::as_str));
        let want = loaded.spec.description.as_deref();
        let new_schema = have.is_none()
            && !remote.registries.get(registry).is_some_and(|r| r.schemas.contains_key(schema));
        if want != have && !(new_schema && want.is_none()) {
            actions.push(Action {
                effect: Effect::Change,
                resource: format!("schema {registry}/{schema}"),
                fields: vec!["description".into()],
                method: "PATCH",
                path: format!("/v1/registries/{}/schemas/{}", enc(registry), enc(schema)),
                body: Some(json!({"description": want.unwrap_or_default()})),
                secrets: false,
            });
        }
    }

    // Queues, dead-letter queues first.
    // Dead-letter queues before the queues naming them, along whole chains.
    let mut queues: Vec<(&String, &Value)> = Vec::new();
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    while queues.len() < file.queues.len() {
        let before = queues.len();
        for (name, body) in &file.queues {
            let dlq = body.get("deadLetterQueue").and_then(Value::as_str);
            let ready =
                dlq.is_none_or(|d| placed.contains(d) || !file.queues.contains_key(d) || d == name.as_str());
            if !placed.contains(name.as_str()) && ready {
                placed.insert(name.as_str());
                queues.push((name, body));
            }
        }
        if queues.len() == before {
            // A cycle of dead-letter queues: the service refuses it; send in name order.
            queues.extend(file.queues.iter().filter(|(n, _)| !placed.contains(n.as_str())));
            break;
        }
    }
    let queue_defaults = json!({"visibilityTimeoutSeconds": 30, "retentionSeconds": 345_600, "delaySeconds": 0, "receiveWaitSeconds": 0});
    for (name, body) in queues {
        let want = with_defaults(&strip(body, &[]), &queue_defaults);
        let have = remote
            .queues
            .get(name)
            .map(|r| strip(r, &["name", "createdAt", "updatedAt", "depth", "inFlight"]));
        put_if_different(
            &mut actions,
            format!("queue {name}"),
            format!("/v1/queues/{}", enc(name)),
            &want,
            have.as_ref(),
            body.clone(),
            false,
        );
    }

    // Buses, discovery, archives, rules.
    let validation_defaults = json!({"mode": "off", "unknownEventTypes": "allow"});
    for (name, bus) in &file.buses {
        let path = format!("/v1/buses/{}", enc(name));
        let validation = with_defaults(bus.validation.as_ref().unwrap_or(&json!({})), &validation_defaults);
        // The built-in bus's description is the service's own: managed only when stated.
        let remote_record = remote.buses.get(name).map(|r| &r.record);
        let builtin = remote_record.and_then(|r| r.get("builtin")).and_then(Value::as_bool) == Some(true);
        let description = match (&bus.description, builtin) {
            (None, true) => {
                remote_record.and_then(|r| r.get("description")).and_then(Value::as_str).map(str::to_owned)
            }
            (d, _) => d.clone(),
        };
        let want = strip(
            &json!({"description": description, "validation": validation, "bindings": bus.bindings}),
            &[],
        );
        match remote.buses.get(name) {
            None => actions.push(Action {
                effect: Effect::Create,
                resource: format!("bus {name}"),
                fields: vec![],
                method: "POST",
                path: "/v1/buses".into(),
                body: Some(top_level(json!({"name": name, "description": bus.description, "validation": bus.validation, "bindings": bus.bindings}))),
                secrets: false,
            }),
            Some(r) => {
                let have = strip(&r.record, &["name", "builtin", "createdAt", "updatedAt"]);
                let fields = differing(&want, &have);
                if !fields.is_empty() {
                    actions.push(Action {
                        effect: Effect::Change,
                        resource: format!("bus {name}"),
                        fields,
                        method: "PATCH",
                        path: path.clone(),
                        body: Some(json!({"description": description.clone().unwrap_or_default(), "validation": validation, "bindings": bus.bindings})),
                        secrets: false,
                    });
                }
            }
        }
        let discovery = with_defaults(
            bus.discovery.as_ref().unwrap_or(&json!({"enabled": false})),
            &json!({"sampleRate": 1.0}),
        );
        let have = remote
            .buses
            .get(name)
            .map(|r| json!({"enabled": r.discovery["enabled"], "sampleRate": r.discovery["sampleRate"]}));
        let default_off = json!({"enabled": false, "sampleRate": 1.0});
        if have.as_ref().map_or(discovery != default_off, |h| !same_discovery(h, &discovery)) {
            actions.push(Action {
                effect: Effect::Change,
                resource: format!("discovery of bus {name}"),
                fields: vec!["enabled".into(), "sampleRate".into()],
                method: "PUT",
                path: format!("{path}/discovery"),
                body: Some(discovery),
                secrets: false,
            });
        }
        let remote_bus = remote.buses.get(name);
        for (archive, body) in &bus.archives {
            let want = with_defaults(&strip(body, &[]), &json!({"retentionDays": 0}));
            let have = remote_bus
                .and_then(|b| b.archives.get(archive))
                .map(|r| strip(r, &["name", "bus", "createdAt", "updatedAt", "eventCount", "sizeBytes"]));
            put_if_different(
                &mut actions,
                format!("archive {name}/{archive}"),
                format!("{path}/archives/{}", enc(archive)),
                &want,
                have.as_ref(),
                body.clone(),
                false,
            );
        }
    }

    // Rules last: their targets name queues and buses created above.
    for (name, bus) in &file.buses {
        let path = format!("/v1/buses/{}", enc(name));
        let remote_bus = remote.buses.get(name);
        for (rule, body) in &bus.rules {
            let want = rule_view(body);
            let have = remote_bus
                .and_then(|b| b.rules.get(rule))
                .map(|r| rule_view(&strip(r, &["name", "bus", "createdAt", "updatedAt"])));
            let has_secrets = !secrets::uses(body).is_empty();
            let resend = options.resend_secrets && has_secrets && have.is_some();
            if resend {
                actions.push(Action {
                    effect: Effect::Change,
                    resource: format!("rule {name}/{rule}"),
                    fields: vec!["credentials".into()],
                    method: "PUT",
                    path: format!("{path}/rules/{}", enc(rule)),
                    body: Some(body.clone()),
                    secrets: true,
                });
                continue;
            }
            put_if_different(
                &mut actions,
                format!("rule {name}/{rule}"),
                format!("{path}/rules/{}", enc(rule)),
                &want,
                have.as_ref(),
                body.clone(),
                has_secrets,
            );
        }
    }

    if options.prune {
        prune(project, remote, &mut actions);
    }
    Plan { actions, problems }
}

fn same_discovery(have: &Value, want: &Value) -> bool {
    let rate = |v: &Value| v.get("sampleRate").and_then(Value::as_f64).unwrap_or(1.0);
    have.get("enabled") == want.get("enabled") && (rate(have) - rate(want)).abs() < 1e-9
}

fn put_if_different(
    actions: &mut Vec<Action>,
    resource: String,
    path: String,
    want: &Value,
    have: Option<&Value>,
    body: Value,
    secrets: bool,
) {
    let (effect, fields) = match have {
        None => (Effect::Create, vec![]),
        Some(h) => {
            let f = differing(want, h);
            if f.is_empty() {
                return;
            }
            (Effect::Change, f)
        }
    };
    actions.push(Action { effect, resource, fields, method: "PUT", path, body: Some(body), secrets });
}

fn config_action(
    actions: &mut Vec<Action>,
    resource: String,
    path: String,
    want: Value,
    current: Option<&Value>,
    explicit_source: &str,
) {
    let have = current.filter(|c| c.get("source").and_then(Value::as_str) == Some(explicit_source));
    let same = have.is_some_and(|h| {
        h.get("compatibility") == want.get("compatibility") && h.get("policy") == want.get("policy")
    });
    if !same {
        actions.push(Action {
            effect: if have.is_some() { Effect::Change } else { Effect::Create },
            resource: format!("compatibility of {resource}"),
            fields: vec![],
            method: "PUT",
            path,
            body: Some(want),
            secrets: false,
        });
    }
}

fn delete(actions: &mut Vec<Action>, resource: String, path: String) {
    actions.push(Action {
        effect: Effect::Delete,
        resource,
        fields: vec![],
        method: "DELETE",
        path,
        body: None,
        secrets: false,
    });
}

/// Deletions, dependents first: rules and archives, buses, queues (dead-letter queues
/// last), schemas (referencing ones first), registries.
fn prune(project: &Project, remote: &Remote, actions: &mut Vec<Action>) {
    let file = &project.file;
    for (bus, b) in &remote.buses {
        let declared = file.buses.get(bus);
        for rule in b.rules.keys().filter(|r| declared.is_none_or(|d| !d.rules.contains_key(*r))) {
            delete(
                actions,
                format!("rule {bus}/{rule}"),
                format!("/v1/buses/{}/rules/{}", enc(bus), enc(rule)),
            );
        }
        for archive in b.archives.keys().filter(|a| declared.is_none_or(|d| !d.archives.contains_key(*a))) {
            delete(
                actions,
                format!("archive {bus}/{archive}"),
                format!("/v1/buses/{}/archives/{}", enc(bus), enc(archive)),
            );
        }
    }
    for (bus, b) in &remote.buses {
        let builtin = b.record.get("builtin").and_then(Value::as_bool).unwrap_or(false);
        if !builtin && !file.buses.contains_key(bus) {
            delete(actions, format!("bus {bus}"), format!("/v1/buses/{}", enc(bus)));
        }
    }
    let dlqs: BTreeSet<&str> =
        remote.queues.values().filter_map(|q| q.get("deadLetterQueue").and_then(Value::as_str)).collect();
    let mut gone: Vec<&String> = remote.queues.keys().filter(|q| !file.queues.contains_key(*q)).collect();
    gone.sort_by_key(|q| dlqs.contains(q.as_str()));
    for q in gone {
        delete(actions, format!("queue {q}"), format!("/v1/queues/{}", enc(q)));
    }
    for (registry, r) in &remote.registries {
        if registry == DISCOVERED_REGISTRY
            || r.record.get("builtin").and_then(Value::as_bool).unwrap_or(false)
        {
            continue;
        }
        let declared = file.registries.get(registry);
        let mut gone: Vec<&String> =
            r.schemas.keys().filter(|s| declared.is_none_or(|d| !d.schemas.contains_key(*s))).collect();
        // Referencing schemas go before the ones they reference.
        gone.sort_by_key(|s| referenced_by_count(remote, registry, s));
        for s in gone {
            delete(
                actions,
                format!("schema {registry}/{s}"),
                format!("/v1/registries/{}/schemas/{}", enc(registry), enc(s)),
            );
        }
        if declared.is_none() {
            delete(actions, format!("registry {registry}"), format!("/v1/registries/{}", enc(registry)));
        }
    }
}

/// How many stored versions reference `registry/schema` (by URI prefix).
fn referenced_by_count(remote: &Remote, registry: &str, schema: &str) -> usize {
    let prefix = format!("{}{registry}/schemas/{schema}/versions/", crate::registry::refs::URI_BASE);
    remote
        .registries
        .values()
        .flat_map(|r| r.schemas.values())
        .flat_map(|s| s.versions.values())
        .filter(|c| c.to_string().contains(&prefix))
        .count()
}
