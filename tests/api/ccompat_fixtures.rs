//! The compatibility verdicts of `/ccompat` equal the native API's on the project's own
//! compatibility fixtures (`tests/fixtures/compat/*.json`, the cases `tests/compat_fixtures.rs`
//! runs against the checker).
//!
//! For every case: the old schema (or the `previous` versions) is registered through
//! `/ccompat` under a fresh subject whose level is set with `PUT /ccompat/config/{s}`
//! (the case's `policy`, which Confluent has no word for, is set natively first and kept by
//! that PUT), and the new schema is asked about at
//! `POST /ccompat/compatibility/subjects/{s}/versions/{v}` (single old version) or
//! `.../versions` (cases with `previous`, whose transitive modes check every version,
//! which `/versions/{v}` by definition does not). The same case runs through the native API
//! (registry `native`, `POST .../compatibility` with the mode and policy), and both
//! verdicts must equal the case's `expectCompatible`.
//!
//! Mapping subtleties, each handled rather than skipped:
//! - Dialect. `/ccompat` reads a schema without `$schema` as draft-07, the native API
//!   (and the fixtures) as 2020-12. [`fixture_verdicts_through_ccompat_equal_the_native_apis`]
//!   therefore sends such schemas with an explicit 2020-12 `$schema` (boolean schemas
//!   cannot carry one and mean the same in every dialect);
//!   [`ccompat_reads_schemas_without_a_dialect_as_the_native_api_reads_draft_07`] sends
//!   them unchanged and compares with the native API given an explicit draft-07.
//! - References. A fixture's `refs` maps a registry URI to a document; through `/ccompat`
//!   the document is registered as a subject and the `$ref` becomes a Confluent
//!   reference name (`{name, subject, version}`); natively it is registered as a schema and
//!   the URI points at it.
//! - Refusals. A case whose new schema does not compile (an unresolvable `$ref`, an
//!   `allOf: []` the meta-schema forbids) cannot be answered with a verdict by either API:
//!   both must refuse it (42201 and native 422), the case must expect incompatibility,
//!   and its name must be in [`REFUSED`]. Read as draft-07, more schemas fail to compile
//!   (a 2020-12 `$anchor` does not exist there): both APIs must refuse those too.

use std::path::Path;

use reqwest::Method;
use serde_json::{Value, json};

use crate::ccompat::{cc, schema_body};
use crate::helpers::{TestApp, spawn_app};

/// Cases whose new schema neither API can compile: both answer an error, not a verdict.
const REFUSED: &[&str] = &[
    // `allOf: []` breaks the meta-schema (minItems 1).
    "unevaluatedProperties next to a changed allOf cannot be proven",
    "unresolvable registered ref cannot be proven",
    "unresolvable local ref cannot be proven",
];

const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";
const DRAFT_07: &str = "http://json-schema.org/draft-07/schema#";
const URI_BASE: &str = "https://schemabus.invalid/registries/";

struct Case {
    name: String,
    raw: Value,
}

fn load_cases() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compat");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let value: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        for raw in value.as_array().unwrap() {
            cases.push(Case { name: raw["name"].as_str().unwrap().to_owned(), raw: raw.clone() });
        }
    }
    cases
}

/// The dialect a schema without `$schema` is given on one side.
#[derive(Clone, Copy)]
enum Dialect {
    /// Left as it is.
    Unchanged,
    /// `$schema` added (objects only).
    Explicit(&'static str),
}

fn with_dialect(schema: &Value, dialect: Dialect) -> Value {
    match (dialect, schema) {
        (Dialect::Explicit(uri), Value::Object(map)) if !map.contains_key("$schema") => {
            let mut map = map.clone();
            map.insert("$schema".to_owned(), json!(uri));
            Value::Object(map)
        }
        _ => schema.clone(),
    }
}

/// Replaces every occurrence of the fixture's reference URIs in a schema.
fn rewrite(schema: &Value, replacements: &[(String, String)]) -> Value {
    let mut text = schema.to_string();
    for (from, to) in replacements {
        text = text.replace(from.as_str(), to.as_str());
    }
    serde_json::from_str(&text).unwrap()
}

/// What one API answered about a case.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    Verdict(bool),
    Refused(String),
}

/// The versions a case registers before the check, by version number.
fn old_versions(case: &Case) -> Vec<Value> {
    match case.raw["previous"].as_array() {
        Some(previous) => {
            let mut by_number: Vec<(u64, Value)> =
                previous.iter().map(|p| (p["version"].as_u64().unwrap(), p["schema"].clone())).collect();
            by_number.sort_by_key(|(n, _)| *n);
            let numbers: Vec<u64> = by_number.iter().map(|(n, _)| *n).collect();
            assert_eq!(numbers, (1..=numbers.len() as u64).collect::<Vec<_>>(), "{}", case.name);
            by_number.into_iter().map(|(_, s)| s).collect()
        }
        None => vec![case.raw["old"].clone()],
    }
}

fn refs_of(case: &Case) -> Vec<(String, Value)> {
    case.raw["refs"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn mode_of(case: &Case) -> String {
    case.raw["mode"].as_str().unwrap_or("BACKWARD").to_owned()
}

/// The case through `/ccompat`, under subject `fx-{i}` of the default context.
async fn through_ccompat(app: &TestApp, i: usize, case: &Case, dialect: Dialect) -> Answer {
    let subject = format!("fx-{i}");
    let mode = mode_of(case);
    // Registered versions first, unchecked; the case's level is set afterwards.
    let none =
        cc(app, Method::PUT, &format!("/config/{subject}"), Some(json!({"compatibility": "NONE"}))).await;
    assert_eq!(none.status, 200, "{}: {}", case.name, none.body);
    if let Some(policy) = case.raw["policy"].as_str() {
        let native = app
            .send(
                Method::PUT,
                &format!("/v1/registries/default/schemas/{subject}/config"),
                Some(json!({"compatibility": "NONE", "policy": policy})),
            )
            .await;
        assert_eq!(native.status, 200, "{}: {}", case.name, native.body);
    }
    // Each referenced document becomes a subject; the `$ref`s name it by a reference name.
    let mut replacements = Vec::new();
    let mut references = Vec::new();
    for (j, (uri, target)) in refs_of(case).into_iter().enumerate() {
        let (ref_subject, name) = (format!("fx-{i}-ref{j}"), format!("ref{j}.json"));
        let made = cc(
            app,
            Method::POST,
            &format!("/subjects/{ref_subject}/versions"),
            Some(schema_body(&with_dialect(&target, dialect))),
        )
        .await;
        assert_eq!(made.status, 200, "{}: {}", case.name, made.body);
        references.push(json!({"name": name, "subject": ref_subject, "version": 1}));
        replacements.push((uri, name));
    }
    let body = |schema: &Value| {
        let schema = rewrite(&with_dialect(schema, dialect), &replacements);
        let mut body = schema_body(&schema);
        let text = schema.to_string();
        let used: Vec<&Value> =
            references.iter().filter(|r| text.contains(r["name"].as_str().unwrap())).collect();
        if !used.is_empty() {
            body["references"] = json!(used);
        }
        body
    };
    let olds = old_versions(case);
    for old in &olds {
        let made = cc(app, Method::POST, &format!("/subjects/{subject}/versions"), Some(body(old))).await;
        if made.status == 422 && made.body["error_code"] == 42201 {
            return Answer::Refused(format!("old: {}", made.body["message"]));
        }
        assert_eq!(made.status, 200, "{}: {}", case.name, made.body);
    }
    let set = cc(app, Method::PUT, &format!("/config/{subject}"), Some(json!({"compatibility": mode}))).await;
    assert_eq!(set.body, json!({"compatibility": mode}), "{}", case.name);
    let config = app.get(&format!("/v1/registries/default/schemas/{subject}/config")).await;
    assert_eq!(config.body["compatibility"], mode, "{}", case.name);
    assert_eq!(config.body["policy"], case.raw["policy"].as_str().unwrap_or("STRICT"), "{}", case.name);
    let path = if case.raw["previous"].is_array() {
        format!("/compatibility/subjects/{subject}/versions?verbose=true")
    } else {
        format!("/compatibility/subjects/{subject}/versions/{}?verbose=true", olds.len())
    };
    let check = cc(app, Method::POST, &path, Some(body(&case.raw["new"]))).await;
    match check.status.as_u16() {
        200 => {
            let verdict = check.body["is_compatible"].as_bool().unwrap();
            let messages = check.body["messages"].as_array().unwrap();
            // verbose=true names the findings exactly when the verdict is negative.
            assert_eq!(messages.is_empty(), verdict, "{}: {}", case.name, check.body);
            Answer::Verdict(verdict)
        }
        422 => {
            assert_eq!(check.body["error_code"], 42201, "{}: {}", case.name, check.body);
            Answer::Refused(check.body["message"].as_str().unwrap().to_owned())
        }
        _ => panic!("{}: unexpected answer {} {}", case.name, check.status, check.body),
    }
}

/// The case through the native API, under schema `fx-{i}` of the registry `native`
/// (compatibility NONE, so that the `previous` versions register; the check names the mode).
async fn through_native(app: &TestApp, i: usize, case: &Case, dialect: Dialect) -> Answer {
    let schema = format!("fx-{i}");
    let mut replacements = Vec::new();
    for (j, (uri, target)) in refs_of(case).into_iter().enumerate() {
        let target_name = format!("fx-{i}-ref{j}");
        let made = app.register("native", &target_name, with_dialect(&target, dialect)).await;
        assert_eq!(made.status, 201, "{}: {}", case.name, made.body);
        replacements.push((uri, format!("{URI_BASE}native/schemas/{target_name}/versions/1")));
    }
    let content = |s: &Value| rewrite(&with_dialect(s, dialect), &replacements);
    for old in old_versions(case) {
        let made = app.register("native", &schema, content(&old)).await;
        if made.status == 422 {
            return Answer::Refused(format!("old: {}", made.body["code"]));
        }
        assert_eq!(made.status, 201, "{}: {}", case.name, made.body);
    }
    let mut request = json!({"content": content(&case.raw["new"]), "compatibility": mode_of(case)});
    if let Some(policy) = case.raw["policy"].as_str() {
        request["policy"] = json!(policy);
    }
    let check = app.post(&format!("/v1/registries/native/schemas/{schema}/compatibility"), request).await;
    match check.status.as_u16() {
        200 => Answer::Verdict(check.body["compatible"].as_bool().unwrap()),
        422 => Answer::Refused(check.body["code"].as_str().unwrap().to_owned()),
        _ => panic!("{}: unexpected native answer {} {}", case.name, check.status, check.body),
    }
}

/// Runs every case through both APIs; `(compared, refused)` and the disagreements.
async fn run_all(
    ccompat: Dialect,
    native: Dialect,
    against_fixture: bool,
) -> (usize, Vec<String>, Vec<String>) {
    let app = spawn_app().await;
    app.create_unchecked_registry("native").await;
    let cases = load_cases();
    assert!(cases.len() >= 291, "only {} fixture cases were loaded", cases.len());
    let mut compared = 0;
    let mut refused = Vec::new();
    let mut problems = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let theirs = through_ccompat(&app, i, case, ccompat).await;
        let ours = through_native(&app, i, case, native).await;
        let expected = case.raw["expectCompatible"].as_bool().unwrap();
        match (&theirs, &ours) {
            (Answer::Verdict(a), Answer::Verdict(b)) => {
                compared += 1;
                if a != b {
                    problems.push(format!("`{}`: ccompat says {a}, native says {b}", case.name));
                } else if against_fixture && *a != expected {
                    problems.push(format!("`{}`: both say {a}, the fixture expects {expected}", case.name));
                }
            }
            (Answer::Refused(_), Answer::Refused(_)) => {
                if against_fixture && expected {
                    problems
                        .push(format!("`{}`: refused by both, the fixture expects compatible", case.name));
                }
                refused.push(case.name.clone());
            }
            _ => problems.push(format!("`{}`: ccompat answers {theirs:?}, native {ours:?}", case.name)),
        }
    }
    println!(
        "ccompat fixtures: {} cases, {compared} verdicts compared, {} refused by both",
        cases.len(),
        refused.len()
    );
    (compared, refused, problems)
}

#[tokio::test]
async fn fixture_verdicts_through_ccompat_equal_the_native_apis() {
    let explicit = Dialect::Explicit(DRAFT_2020_12);
    let (compared, refused, problems) = run_all(explicit, Dialect::Unchanged, true).await;
    assert!(problems.is_empty(), "{} disagreements:\n{}", problems.len(), problems.join("\n"));
    assert_eq!(refused, REFUSED, "the cases refused by both APIs");
    assert_eq!(compared + refused.len(), load_cases().len());
    assert!(compared >= 288, "only {compared} verdicts compared");
}

#[tokio::test]
async fn ccompat_reads_schemas_without_a_dialect_as_the_native_api_reads_draft_07() {
    // Not compared with the fixtures' verdicts: they are about 2020-12.
    let (compared, refused, problems) = run_all(Dialect::Unchanged, Dialect::Explicit(DRAFT_07), false).await;
    assert!(problems.is_empty(), "{} disagreements:\n{}", problems.len(), problems.join("\n"));
    assert_eq!(compared + refused.len(), load_cases().len());
    assert!(compared >= 287, "only {compared} verdicts compared");
}
