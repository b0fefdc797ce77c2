//! `schemabus check` on temporary git repositories: the binary, real git, real files.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn schemabus(dir: &Path, args: &[&str]) -> (i32, String) {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_schemabus"))
        .args(args)
        .current_dir(dir)
        .env_remove("SCHEMABUS_KEY")
        .output()
        .expect("binary runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

fn write(dir: &Path, path: &str, text: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const PROJECT: &str = "version: 1
registries:
  shop:
    schemas:
      common@Money:
        file: schemas/money.json
      orders@OrderPlaced:
        file: schemas/order.json
";

const MONEY: &str = r#"{
  "type": "object",
  "required": ["amount"],
  "properties": {
    "amount": {"type": "number"},
    "currency": {"type": "string"}
  }
}
"#;

const ORDER: &str = r#"{
  "type": "object",
  "required": ["orderId"],
  "properties": {
    "orderId": {"type": "string"},
    "total": {"$ref": "money.json"}
  }
}
"#;

/// A repository with the project committed once.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    write(dir.path(), "schemabus.yaml", PROJECT);
    write(dir.path(), "schemas/money.json", MONEY);
    write(dir.path(), "schemas/order.json", ORDER);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "first"]);
    dir
}

#[test]
fn a_compatible_change_between_two_commits_passes_and_is_described() {
    let dir = repo();
    // Dropping a requirement is backward compatible: every old event still validates.
    write(
        dir.path(),
        "schemas/order.json",
        &ORDER.replace(r#""required": ["orderId"],"#, r#""required": [],"#),
    );
    git(dir.path(), &["commit", "-q", "-am", "orderId optional"]);
    let (code, out) = schemabus(dir.path(), &["check", "--against", "git:HEAD~1"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("~ shop/orders@OrderPlaced (schemas/order.json): version 1 -> 2"), "{out}");
    assert!(out.contains("schemas/order.json:3:"), "the change points at the changed line: {out}");
    assert!(out.contains("0 error(s)"), "{out}");
}

#[test]
fn an_incompatible_change_fails_with_an_annotation_on_the_changed_line() {
    let dir = repo();
    // A new required field breaks BACKWARD: old events lack it.
    write(
        dir.path(),
        "schemas/order.json",
        &ORDER.replace(r#""required": ["orderId"],"#, r#""required": ["orderId", "total"],"#),
    );
    git(dir.path(), &["commit", "-q", "-am", "require total"]);
    let (code, out) = schemabus(dir.path(), &["check", "--against", "git:HEAD~1", "--format", "github"]);
    assert_eq!(code, 1, "{out}");
    let annotation =
        out.lines().find(|l| l.starts_with("::error ")).unwrap_or_else(|| panic!("no annotation: {out}"));
    assert!(annotation.starts_with("::error file=schemas/order.json,line=3,"), "{annotation}");
    assert!(annotation.contains("incompatible_schema"), "{annotation}");

    let (code, out) = schemabus(dir.path(), &["check", "--against", "git:HEAD~1", "--format", "json"]);
    assert_eq!(code, 1);
    let body: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(body["ok"], false);
    assert_eq!(body["problems"][0]["code"], "incompatible_schema");
    assert_eq!(body["problems"][0]["file"], "schemas/order.json");
    // Offline (no baseline) the same project is valid.
    assert_eq!(schemabus(dir.path(), &["check"]).0, 0);
}

#[test]
fn a_change_in_a_referenced_file_is_checked_through_the_reference() {
    let dir = repo();
    // Money's amount becomes a string: every schema holding a Money breaks.
    write(
        dir.path(),
        "schemas/money.json",
        &MONEY.replace(r#""amount": {"type": "number"}"#, r#""amount": {"type": "string"}"#),
    );
    git(dir.path(), &["commit", "-q", "-am", "amount as text"]);
    let (code, out) = schemabus(dir.path(), &["check", "--against", "git:HEAD~1"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("schemas/money.json:5: error[incompatible_schema]"), "{out}");
    assert!(out.contains("schemas/order.json"), "the referencing schema breaks too: {out}");
}

#[test]
fn invalid_schemas_patterns_and_references_are_reported_with_file_and_line() {
    let dir = repo();
    write(
        dir.path(),
        "schemabus.yaml",
        &format!(
            "{PROJECT}      orders@Broken:
        file: schemas/broken.yaml
      orders@Dangling:
        file: schemas/dangling.json
queues:
  q: {{}}
buses:
  orders:
    rules:
      bad:
        pattern:
          detail:
            total: [{{numeric: [\">\", \"ten\"]}}]
        targets:
          - {{type: queue, id: t, queue: nowhere}}
      leaky:
        pattern: {{source: [orders]}}
        targets:
          - type: webhook
            id: w
            url: https://example.com/hook
            secret: plain-text-secret
"
        ),
    );
    write(dir.path(), "schemas/broken.yaml", "type: object\nproperties:\n  id:\n    type: strnig\n");
    write(
        dir.path(),
        "schemas/dangling.json",
        "{\n  \"properties\": {\n    \"x\": {\"$ref\": \"missing.json\"}\n  }\n}\n",
    );
    let (code, out) = schemabus(dir.path(), &["check", "--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let body: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let problems = body["problems"].as_array().unwrap();
    let find = |code: &str| {
        problems
            .iter()
            .find(|p| p["code"] == code)
            .unwrap_or_else(|| panic!("no {code} in {problems:#?}"))
            .clone()
    };
    let p = find("invalid_schema");
    assert_eq!((p["file"].clone(), p["line"].clone()), (json!("schemas/broken.yaml"), json!(4)), "{p}");
    let p = find("unresolvable_ref");
    assert_eq!((p["file"].clone(), p["line"].clone()), (json!("schemas/dangling.json"), json!(3)), "{p}");
    let p = find("invalid_pattern");
    assert_eq!((p["file"].clone(), p["line"].clone()), (json!("schemabus.yaml"), json!(19)), "{p}");
    let p = find("unknown_reference");
    assert_eq!(p["line"], 23, "{p}");
    let p = find("inline_secret");
    assert_eq!(p["line"], 30, "{p}");
}

#[test]
fn usage_errors_exit_2_and_a_project_file_error_names_its_line() {
    let dir = repo();
    assert_eq!(schemabus(dir.path(), &["check", "--against", "git:no-such-ref"]).0, 2);
    assert_eq!(schemabus(dir.path(), &["check", "--format", "xml"]).0, 2);
    write(
        dir.path(),
        "schemabus.yaml",
        "version: 1\nregistries:\n  shop:\n    schemas:\n      a@B:\n        fiel: x.json\n",
    );
    let (code, out) = schemabus(dir.path(), &["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("schemabus.yaml:6: error[invalid_project]"), "{out}");
    assert_eq!(schemabus(dir.path(), &["check", "no-such-directory"]).0, 2);
    let empty = tempfile::tempdir().unwrap();
    let (code, out) = schemabus(empty.path(), &["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("missing_file"), "{out}");
}

#[test]
fn the_example_project_checks_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (code, out) = schemabus(root, &["check", "examples/shop"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("3 schema(s) checked: 0 error(s), 0 warning(s)"), "{out}");
}

/// `schemas/project.schema.json` is generated from the project types; regenerate with
/// `UPDATE_SCHEMAS=1 cargo test --test project_cli project_schema`.
#[test]
fn the_committed_project_schema_is_current_and_accepts_the_example() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/project.schema.json");
    let generated =
        format!("{}\n", serde_json::to_string_pretty(&schemabus::project::project_json_schema()).unwrap());
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schemas/project.schema.json is stale: UPDATE_SCHEMAS=1 cargo test --test project_cli project_schema"
    );
    let schema: Value = serde_json::from_str(&committed).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop/schemabus.yaml"))
            .unwrap();
    let (example, _) = schemabus::project::yaml::parse_yaml(&text).unwrap();
    assert!(
        validator.is_valid(&example),
        "{:?}",
        validator.iter_errors(&example).map(|e| e.to_string()).collect::<Vec<_>>()
    );
    assert!(
        !validator.is_valid(&json!({"version": 1, "registries": {"shop": {"schemas": {"a@B": {}}}}})),
        "file is required"
    );
}

#[test]
fn a_symbolic_link_out_of_the_project_is_refused() {
    let dir = repo();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.json"), "{\"type\": \"object\"}").unwrap();
    std::fs::remove_file(dir.path().join("schemas/money.json")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.json"), dir.path().join("schemas/money.json"))
        .unwrap();
    let (code, out) = schemabus(dir.path(), &["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("leads outside the project directory"), "{out}");
}

#[test]
fn two_schemas_on_one_file_are_refused() {
    let dir = repo();
    write(
        dir.path(),
        "schemabus.yaml",
        &format!("{PROJECT}      orders@Twin:\n        file: schemas/order.json\n"),
    );
    let (code, out) = schemabus(dir.path(), &["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("schemabus.yaml:10: error[invalid_project]") && out.contains("a file of its own"),
        "{out}"
    );
}

/// Bodies that parse but that the service refuses (ranges, redrive pairs, transformers,
/// webhook fields, binding versions, sample rates, archive names) are refused by `check`
/// with the service's own words, at the line of the offending field.
#[test]
fn check_refuses_what_the_service_refuses() {
    let dir = repo();
    write(
        dir.path(),
        "schemabus.yaml",
        &format!(
            "{PROJECT}queues:
  q:
    visibilityTimeoutSeconds: 50000
  r:
    maxReceiveCount: 3
buses:
  orders:
    validation: {{mode: enforce}}
    bindings:
      - {{source: orders, detailType: OrderPlaced, schema: orders@OrderPlaced, version: 0, registry: shop}}
    discovery: {{enabled: true, sampleRate: 2}}
    archives:
      this-archive-name-is-longer-than-forty-eight-characters-long: {{}}
    rules:
      slow:
        pattern: {{source: [orders]}}
        targets:
          - type: webhook
            id: w
            url: ftp://example.com/hook
      shape:
        pattern: {{source: [orders]}}
        targets:
          - type: queue
            id: t
            queue: q
            inputTransformer: {{inputPathsMap: {{a: not-a-path}}, inputTemplate: '<a>'}}
"
        ),
    );
    let (code, out) = schemabus(dir.path(), &["check", "--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let body: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let problems = body["problems"].as_array().unwrap();
    let at = |pointer: &str| {
        problems
            .iter()
            .find(|p| p["pointer"] == pointer)
            .unwrap_or_else(|| panic!("nothing at {pointer} in {problems:#?}"))
            .clone()
    };
    let p = at("/queues/q/visibilityTimeoutSeconds");
    assert_eq!((p["code"].clone(), p["line"].clone()), (json!("invalid_resource"), json!(11)), "{p}");
    assert!(p["message"].as_str().unwrap().contains("at most 43200"), "{p}");
    assert_eq!(at("/queues/r/deadLetterQueue")["code"], "invalid_resource");
    assert_eq!(at("/buses/orders/validation/registry")["line"], 16);
    assert_eq!(at("/buses/orders/discovery/sampleRate")["line"], 19);
    assert_eq!(
        at("/buses/orders/archives/this-archive-name-is-longer-than-forty-eight-characters-long")["code"],
        "invalid_name"
    );
    assert_eq!(at("/buses/orders/rules/slow/targets/0/url")["line"], 28);
    let p = at("/buses/orders/rules/shape/targets/0/inputTransformer/inputPathsMap/a");
    assert_eq!(p["code"], "invalid_resource", "{p}");
}

/// An entry written without a value (`audit:`) is an entry with every default.
#[test]
fn entries_without_a_value_take_every_default() {
    let dir = repo();
    write(dir.path(), "schemabus.yaml", &format!("{PROJECT}queues:\n  q:\nbuses:\n  audit:\n"));
    let (code, out) = schemabus(dir.path(), &["check"]);
    assert_eq!(code, 0, "{out}");
}

/// A key written twice in a JSON schema file is refused at its line, not silently
/// reduced to the last value.
#[test]
fn a_duplicate_key_in_a_json_schema_is_refused_at_its_line() {
    let dir = repo();
    write(
        dir.path(),
        "schemas/money.json",
        "{\n  \"type\": \"object\",\n  \"required\": [\"amount\"],\n  \"required\": []\n}\n",
    );
    let (code, out) = schemabus(dir.path(), &["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("schemas/money.json:4") && out.contains("'required' appears twice"), "{out}");
}
