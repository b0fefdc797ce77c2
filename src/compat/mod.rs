//! JSON Schema compatibility checking (pure: no I/O, no storage, no async).
//!
//! Decides whether documents valid under one version of an event schema stay valid under
//! another, and explains every difference as a typed [`Finding`] with a JSON Pointer-style
//! path and a sentence for humans. Verdicts follow the standard classification (Confluent
//! Schema Registry's change types) where it is right, and go further where it is blind
//! (`format`, `propertyNames`, conditionals, `required` naming undeclared properties,
//! `dependentRequired`/`dependentSchemas`, `contains`, `oneOf` exclusivity). Whatever
//! cannot be proven compatible is reported as an incompatible finding, never guessed.
//!
//! Entry points:
//! - [`check_against_versions`]: a new schema against earlier versions, per
//!   [`CompatibilityMode`] (what the registry runs before storing a version);
//! - [`check`]: a new schema against one previous schema;
//! - [`compare`]: one direction only, returning the raw findings;
//! - [`diff`]: every change between two versions with its backward and forward verdicts.
//!
//! References to other registered schemas (absolute URIs such as
//! `https://schemabus.invalid/registries/{registry}/schemas/{schema}/versions/{version}`,
//! optionally with a `#/json/pointer` fragment) are resolved through a caller-supplied
//! [`SchemaMap`]; an unresolvable reference is a finding, never a panic. Recursive schemas
//! terminate. See `docs/COMPATIBILITY.md` for the classification table.

mod diff;
mod finding;
mod mode;
mod rules;
mod schema;
mod walk;

use std::collections::BTreeMap;

use serde_json::Value;

pub use diff::diff;
pub use finding::{Change, CompatReport, Finding, FindingType, SchemaDiff};
pub use mode::{CompatibilityMode, Direction, ParseNameError, Policy};

use schema::{Doc, Node};
use walk::Checker;

/// Registered schemas that `$ref`s may point to: absolute URI without fragment → document.
pub type SchemaMap = BTreeMap<String, Value>;

/// The URI prefix under which registered schemas are referenced:
/// `{REGISTRY_URI_PREFIX}{registry}/schemas/{schema}/versions/{version}`.
pub const REGISTRY_URI_PREFIX: &str = "https://schemabus.invalid/registries/";

/// Compares `previous` and `new` in one direction and returns every finding (compatible
/// ones included), each tagged with `direction`.
///
/// `Backward` asks whether documents valid under `previous` validate under `new`;
/// `Forward` the reverse. Finding types are named from the schema documents come from
/// towards the schema they must validate under (previous → new for backward, new →
/// previous for forward), as the standard does.
#[must_use]
pub fn compare(
    previous: &Value,
    new: &Value,
    direction: Direction,
    policy: Policy,
    refs: &SchemaMap,
) -> Vec<Finding> {
    let (from, to) = match direction {
        Direction::Backward => (previous, new),
        Direction::Forward => (new, previous),
    };
    let mut checker = Checker::new(refs, policy, direction);
    let a = Node { schema: from, doc: Doc::new(from, None) };
    let b = Node { schema: to, doc: Doc::new(to, None) };
    let mut findings = Vec::new();
    checker.compare(a, b, "#", 0, &mut findings);
    // Past the work budget every sub-comparison reports the limit; one report is enough.
    let mut seen_limit = false;
    findings.retain(|f| {
        if f.kind == FindingType::AnalysisLimitExceeded {
            let keep = !seen_limit;
            seen_limit = true;
            keep
        } else {
            true
        }
    });
    for finding in &mut findings {
        finding.direction = Some(direction);
    }
    findings
}

/// Checks `new` against a single `previous` schema in the directions `mode` asks for
/// (transitive modes behave like their non-transitive form here). `checkedAgainst` is
/// empty because no version number is known; use [`check_against_versions`] for that.
#[must_use]
pub fn check(
    previous: &Value,
    new: &Value,
    mode: CompatibilityMode,
    policy: Policy,
    refs: &SchemaMap,
) -> CompatReport {
    let findings: Vec<Finding> =
        mode.directions().iter().flat_map(|d| compare(previous, new, *d, policy, refs)).collect();
    CompatReport {
        compatible: findings.iter().all(|f| f.compatible),
        mode,
        policy,
        checked_against: Vec::new(),
        findings,
    }
}

/// Checks `new` against earlier versions as `mode` prescribes: non-transitive modes use
/// only the latest (highest-numbered) version, transitive modes every version, newest
/// first; `NONE` checks nothing. The caller excludes soft-deleted versions. Each finding
/// carries the `version` and `direction` it was produced for.
#[must_use]
pub fn check_against_versions<'v, I>(
    new: &Value,
    previous: I,
    mode: CompatibilityMode,
    policy: Policy,
    refs: &SchemaMap,
) -> CompatReport
where
    I: IntoIterator<Item = (u32, &'v Value)>,
{
    let mut versions: Vec<(u32, &Value)> = previous.into_iter().collect();
    versions.sort_by_key(|v| std::cmp::Reverse(v.0));
    if !mode.is_transitive() {
        versions.truncate(1);
    }
    if mode == CompatibilityMode::None {
        versions.clear();
    }
    let mut findings = Vec::new();
    for (version, schema) in &versions {
        for direction in mode.directions() {
            for mut finding in compare(schema, new, *direction, policy, refs) {
                finding.version = Some(*version);
                findings.push(finding);
            }
        }
    }
    CompatReport {
        compatible: findings.iter().all(|f| f.compatible),
        mode,
        policy,
        checked_against: versions.iter().map(|(v, _)| *v).collect(),
        findings,
    }
}
