//! End-to-end checks of generated code: every fixture in `tests/fixtures/codegen/` (plus
//! schemas drawn from the proptest strategy below) is generated for both languages, then
//!
//! * Rust: all crates are built in ONE cargo workspace with a shared target directory
//!   (`<target>/codegen-check/target`), with `-D warnings` and `cargo clippy -D warnings`;
//!   a runner binary parses every valid sample (and envelope sample) and re-serialises it,
//!   requiring the same JSON value;
//! * TypeScript: all packages are compiled by one `tsc --strict` program (two packages are
//!   also checked standalone with `tsc --strict --noEmit -p`), then node runs the emitted
//!   guards: valid samples must pass, invalid and mutated samples must fail.
//!
//! TypeScript is installed on demand with `npm install --prefix <target>/ts-cache
//! typescript@5.9.3`, so the test runs on a fresh machine with node and npm. Nothing is
//! skipped: missing tools make the test fail.
//!
//! A second test checks pure properties (generation succeeds, is deterministic, every
//! fixture sample is valid per `jsonschema`) on many more proptest cases without compiling.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use schemabus::codegen::{Generator, Language, Options};
use serde_json::{Value, json};

const TYPESCRIPT_VERSION: &str = "5.9.3";

/// One fixture: a schema, registered schemas it references, and sample documents.
struct Case {
    name: String,
    schema: Value,
    external: BTreeMap<String, Value>,
    typed_formats: bool,
    valid: Vec<Value>,
    invalid: Vec<Value>,
    events: Vec<Value>,
}

fn fixtures_dir() -> PathBuf {
    // Relative to this source file so the test also works from a scratch crate that mounts it.
    Path::new(file!()).parent().expect("tests dir").join("fixtures/codegen")
}

fn target_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is `<target>/tmp`; its parent honours CARGO_TARGET_DIR.
    Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("target dir").to_path_buf()
}

fn load_fixtures() -> Vec<Case> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).expect("read fixture");
            let fixture: Value = serde_json::from_str(&text).expect("fixture is JSON");
            let list = |key: &str| fixture.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
            Case {
                name: path.file_stem().expect("stem").to_string_lossy().into_owned(),
                schema: fixture["schema"].clone(),
                external: fixture
                    .get("external")
                    .and_then(Value::as_object)
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
                typed_formats: fixture.get("typed_formats") == Some(&Value::Bool(true)),
                valid: list("valid"),
                invalid: list("invalid"),
                events: list("events"),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Random schemas with matching sample documents.
// ---------------------------------------------------------------------------------------

/// A schema together with one document that is valid under it.
#[derive(Debug, Clone)]
struct Sample {
    schema: Value,
    doc: Value,
}

fn leaf() -> impl Strategy<Value = Sample> {
    prop_oneof![
        "[a-z ]{0,8}".prop_map(|s| Sample { schema: json!({"type": "string"}), doc: json!(s) }),
        any::<i32>().prop_map(|n| Sample { schema: json!({"type": "integer"}), doc: json!(n) }),
        (0u8..=200).prop_map(|n| Sample {
            schema: json!({"type": "integer", "minimum": 0, "maximum": 200}),
            doc: json!(n)
        }),
        prop_oneof![Just(json!(1.5)), Just(json!(2)), Just(json!(-0.25)), Just(json!(1.0))]
            .prop_map(|n| Sample { schema: json!({"type": "number"}), doc: n }),
        any::<bool>().prop_map(|b| Sample { schema: json!({"type": "boolean"}), doc: json!(b) }),
        prop::sample::select(vec!["red", "green", "blue-ish", "9lives"]).prop_map(|v| Sample {
            schema: json!({"enum": ["red", "green", "blue-ish", "9lives"]}),
            doc: json!(v)
        }),
        prop::sample::select(vec![json!(1), json!("one"), json!(null), json!(true)])
            .prop_map(|v| Sample { schema: json!({"enum": [1, "one", null, true]}), doc: v }),
        any::<bool>().prop_map(|null| Sample {
            schema: json!({"type": ["string", "null"]}),
            doc: if null { Value::Null } else { json!("x") }
        }),
    ]
}

/// Property names chosen to collide after case conversion and to hit keywords.
const NAMES: &[&str] =
    &["id", "fooBar", "foo_bar", "type", "self", "2nd", "detail-type", "Value", "kind", "é"];

fn sample() -> impl Strategy<Value = Sample> {
    leaf().prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(|items| {
                // All items share the first item's schema, so reuse it for each element.
                match items.first() {
                    Some(first) => Sample {
                        schema: json!({"type": "array", "items": first.schema}),
                        doc: Value::Array(vec![first.doc.clone(); items.len()]),
                    },
                    None => Sample {
                        schema: json!({"type": "array", "items": {"type": "string"}}),
                        doc: json!([]),
                    },
                }
            }),
            (prop::collection::vec((prop::sample::select(NAMES), inner, any::<u8>()), 1..5), any::<bool>())
                .prop_map(|(fields, closed)| {
                    let mut properties = serde_json::Map::new();
                    let mut doc = serde_json::Map::new();
                    let mut required = Vec::new();
                    for (name, field, flags) in fields {
                        if properties.contains_key(name) {
                            continue;
                        }
                        properties.insert(name.to_string(), field.schema);
                        if flags % 3 != 0 {
                            required.push(json!(name));
                        }
                        if flags % 3 != 0 || flags % 2 == 0 {
                            doc.insert(name.to_string(), field.doc);
                        }
                    }
                    if !closed {
                        doc.insert("unknown extra".into(), json!({"kept": [1, 2.5]}));
                    }
                    Sample {
                        schema: json!({
                            "type": "object",
                            "properties": properties,
                            "required": required,
                            "additionalProperties": !closed,
                        }),
                        doc: Value::Object(doc),
                    }
                }),
        ]
    })
}

/// A root object schema (possibly behind `$defs`) with a valid document.
fn root_sample() -> impl Strategy<Value = Sample> {
    (sample(), sample(), any::<bool>()).prop_map(|(a, b, via_defs)| {
        if via_defs {
            Sample {
                schema: json!({
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "title": "Generated",
                    "type": "object",
                    "required": ["a"],
                    "properties": {"a": {"$ref": "#/$defs/A"}, "b": {"$ref": "#/$defs/B"}},
                    "$defs": {"A": a.schema, "B": b.schema},
                }),
                doc: json!({"a": a.doc, "b": b.doc}),
            }
        } else {
            Sample {
                schema: json!({
                    "type": "object",
                    "required": ["a", "b"],
                    "properties": {"a": a.schema, "b": b.schema},
                }),
                doc: json!({"a": a.doc, "b": b.doc}),
            }
        }
    })
}

fn proptest_cases(count: usize) -> Vec<Case> {
    let mut runner =
        TestRunner::new_with_rng(Config::default(), TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    (0..count)
        .map(|i| {
            let drawn = proptest::strategy::ValueTree::current(
                &root_sample().new_tree(&mut runner).expect("strategy"),
            );
            Case {
                name: format!("proptest_{i:02}"),
                schema: drawn.schema,
                external: BTreeMap::new(),
                typed_formats: false,
                valid: vec![drawn.doc],
                invalid: Vec::new(),
                events: Vec::new(),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn package_name(case: &str) -> String {
    format!("fx-{}", case.replace('_', "-"))
}

fn generate(generator: &Generator, case: &Case, language: Language) -> Vec<(String, String)> {
    let mut options = Options::new(language, package_name(&case.name));
    options.typed_formats = case.typed_formats;
    generator
        .generate(&case.schema, &case.external, &options)
        .unwrap_or_else(|e| panic!("{}: generation failed: {e}", case.name))
        .into_iter()
        .map(|f| (f.path, f.contents))
        .collect()
}

/// Writes only when the contents changed, so cargo and tsc see unchanged mtimes.
fn write_if_changed(path: &Path, contents: &str) {
    if std::fs::read_to_string(path).ok().as_deref() == Some(contents) {
        return;
    }
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, contents).expect("write");
}

fn run(command: &mut Command, what: &str) -> String {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{what} failed ({}):\n{stdout}\n{stderr}", output.status);
    stdout
}

fn cargo(dir: &Path) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env("RUSTFLAGS", "-D warnings")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS");
    command
}

/// Documents that must be rejected by the guards: each required root property removed,
/// or replaced by a value of the wrong JSON type, plus non-object documents.
fn mutations(schema: &Value, doc: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let (Some(properties), Some(obj)) =
        (schema.get("properties").and_then(Value::as_object), doc.as_object())
    else {
        return out;
    };
    if schema.get("type") == Some(&json!("object")) {
        out.push(Value::Null);
        out.push(json!([]));
    }
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for name in required {
        if !obj.contains_key(name) {
            continue;
        }
        let mut missing = obj.clone();
        missing.remove(name);
        out.push(Value::Object(missing));
        let wrong = match properties.get(name).and_then(|p| p.get("type")).and_then(Value::as_str) {
            Some("string") => Some(json!(12345)),
            Some("integer" | "number" | "boolean") => Some(json!("wrong type")),
            Some("array") => Some(json!({"not": "an array"})),
            Some("object") => Some(json!("wrong type")),
            _ => None,
        };
        if let Some(wrong) = wrong {
            let mut changed = obj.clone();
            changed.insert(name.to_string(), wrong);
            out.push(Value::Object(changed));
        }
    }
    out
}

fn ensure_typescript() -> PathBuf {
    let cache = target_dir().join("ts-cache");
    let tsc = cache.join("node_modules/typescript/bin/tsc");
    let installed = std::fs::read_to_string(cache.join("node_modules/typescript/package.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|p| p.get("version").and_then(Value::as_str).map(str::to_string));
    if installed.as_deref() != Some(TYPESCRIPT_VERSION) {
        std::fs::create_dir_all(&cache).expect("ts cache dir");
        run(
            Command::new("npm")
                .arg("install")
                .arg("--prefix")
                .arg(&cache)
                .args(["--no-audit", "--no-fund", "--no-save"])
                .arg(format!("typescript@{TYPESCRIPT_VERSION}")),
            "npm install typescript",
        );
    }
    assert!(tsc.exists(), "tsc missing at {}", tsc.display());
    tsc
}

// ---------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------

fn all_cases() -> Vec<Case> {
    let mut cases = load_fixtures();
    assert!(cases.len() >= 20, "expected the fixture corpus, found {}", cases.len());
    cases.extend(proptest_cases(10));
    cases
}

#[test]
fn generated_rust_compiles_and_round_trips() {
    let generator = Generator::embedded().expect("embedded templates");
    let cases = all_cases();
    let root = target_dir().join("codegen-check/rust");
    let mut members = Vec::new();
    let mut runner_deps = String::new();
    let mut arms = String::new();
    let mut manifest = String::new();
    let mut expected = 0usize;
    for case in &cases {
        let package = package_name(&case.name);
        let crate_name = package.replace('-', "_");
        for (path, contents) in generate(&generator, case, Language::Rust) {
            write_if_changed(&root.join(&package).join(path), &contents);
        }
        members.push(format!("{package:?}"));
        writeln!(runner_deps, "{package} = {{ path = \"../{package}\" }}").expect("fmt");
        writeln!(
            arms,
            "        ({:?}, \"detail\") => check::<{crate_name}::Detail>(&label, &text),\n        ({:?}, \"event\") => check::<{crate_name}::Event<{crate_name}::Detail>>(&label, &text),",
            case.name, case.name
        )
        .expect("fmt");
        for (kind, docs) in [("detail", &case.valid), ("event", &case.events)] {
            for (i, doc) in docs.iter().enumerate() {
                let file = root.join("samples").join(&case.name).join(format!("{kind}-{i}.json"));
                write_if_changed(&file, &serde_json::to_string_pretty(doc).expect("json"));
                writeln!(manifest, "{}\t{kind}\t{}", case.name, file.display()).expect("fmt");
                expected += 1;
            }
        }
    }
    let runner_main = format!(
        r#"//! Round-trip runner: parse each sample with the generated types, serialise, compare.
use serde::{{Serialize, de::DeserializeOwned}};

fn check<T: Serialize + DeserializeOwned>(label: &str, text: &str) -> bool {{
    let expected: serde_json::Value = match serde_json::from_str(text) {{
        Ok(v) => v,
        Err(e) => {{
            println!("BAD-SAMPLE {{label}}: {{e}}");
            return false;
        }}
    }};
    match serde_json::from_str::<T>(text) {{
        Ok(parsed) => match serde_json::to_value(&parsed) {{
            Ok(back) if back == expected => {{
                println!("ok {{label}}");
                true
            }}
            Ok(back) => {{
                println!("MISMATCH {{label}}: got {{back}}");
                false
            }}
            Err(e) => {{
                println!("SERIALISE-ERROR {{label}}: {{e}}");
                false
            }}
        }},
        Err(e) => {{
            println!("PARSE-ERROR {{label}}: {{e}}");
            false
        }}
    }}
}}

fn main() {{
    let manifest = std::env::args().nth(1).unwrap_or_default();
    let manifest = std::fs::read_to_string(manifest).unwrap_or_default();
    let mut failures = 0;
    for line in manifest.lines() {{
        let parts: Vec<&str> = line.split('\t').collect();
        let [fixture, kind, path] = parts[..] else {{
            println!("BAD-LINE {{line}}");
            failures += 1;
            continue;
        }};
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let label = format!("{{fixture}} {{path}}");
        let ok = match (fixture, kind) {{
{arms}            _ => {{
                println!("UNKNOWN {{line}}");
                false
            }}
        }};
        if !ok {{
            failures += 1;
        }}
    }}
    std::process::exit(i32::from(failures > 0));
}}
"#
    );
    write_if_changed(&root.join("runner/src/main.rs"), &runner_main);
    write_if_changed(
        &root.join("runner/Cargo.toml"),
        &format!(
            "[package]\nname = \"runner\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\nserde = \"1\"\nserde_json = \"1\"\n{runner_deps}"
        ),
    );
    write_if_changed(
        &root.join("Cargo.toml"),
        &format!("[workspace]\nresolver = \"2\"\nmembers = [\"runner\", {}]\n", members.join(", ")),
    );
    let manifest_path = root.join("samples/manifest.tsv");
    write_if_changed(&manifest_path, &manifest);

    run(
        cargo(&root).args(["clippy", "--workspace", "--quiet", "--", "-D", "warnings"]),
        "cargo clippy on the generated crates",
    );
    let out = run(
        cargo(&root).args(["run", "--quiet", "-p", "runner", "--"]).arg(&manifest_path),
        "round-trip runner",
    );
    let ok = out.lines().filter(|l| l.starts_with("ok ")).count();
    assert_eq!(ok, expected, "every sample must round-trip:\n{out}");

    // Schema descriptions become doc comments; none of them may turn into a doctest
    // (indented or fenced code), which would break `cargo test` of the generated crate.
    let doctests = run(
        cargo(&root).args(["test", "--doc", "-p", "fx-doc-comments", "--", "--list"]),
        "doctests of the generated crate",
    );
    assert!(doctests.contains("0 tests"), "descriptions became doctests:\n{doctests}");

    // Each package must also build on its own (outside the check workspace).
    let standalone = target_dir().join("codegen-check/standalone-rust");
    let first = &cases[0];
    for (path, contents) in generate(&generator, first, Language::Rust) {
        write_if_changed(&standalone.join(path), &contents);
    }
    let mut check = cargo(&standalone);
    check.args(["check", "--quiet"]).env("CARGO_TARGET_DIR", root.join("target"));
    run(&mut check, "standalone cargo check");
}

#[test]
fn generated_typescript_compiles_and_guards_classify_samples() {
    let generator = Generator::embedded().expect("embedded templates");
    let cases = all_cases();
    let tsc = ensure_typescript();
    let root = target_dir().join("codegen-check/ts");
    let mut manifest = Vec::new();
    for case in &cases {
        for (path, contents) in generate(&generator, case, Language::TypeScript) {
            write_if_changed(&root.join(&case.name).join(path), &contents);
        }
        let mut add = |kind: &str, docs: &[Value]| {
            for (i, doc) in docs.iter().enumerate() {
                let file = root.join("samples").join(&case.name).join(format!("{kind}-{i}.json"));
                write_if_changed(&file, &serde_json::to_string_pretty(doc).expect("json"));
                manifest.push(json!({"fixture": case.name, "kind": kind, "path": file}));
            }
        };
        add("valid", &case.valid);
        add("invalid", &case.invalid);
        add("event", &case.events);
        let mutated: Vec<Value> = case.valid.iter().flat_map(|doc| mutations(&case.schema, doc)).collect();
        add("mutated", &mutated);
    }
    assert!(
        manifest.iter().filter(|m| m["kind"] == "mutated").count() >= 20,
        "the corpus must produce mutated (invalid) documents"
    );
    write_if_changed(
        &root.join("tsconfig.json"),
        &serde_json::to_string_pretty(&json!({
            "compilerOptions": {
                "target": "ES2020", "module": "commonjs", "lib": ["ES2020"], "types": [],
                "strict": true, "outDir": "out", "rootDir": ".", "skipLibCheck": true
            },
            "include": ["*/src/index.ts"]
        }))
        .expect("json"),
    );
    run(
        Command::new("node").arg(&tsc).arg("-p").arg(root.join("tsconfig.json")),
        "tsc --strict over all generated packages",
    );
    // The literal release gate, on two packages with their own tsconfig.json.
    let standalone = ["order_placed", "proptest_00"];
    for name in standalone {
        assert!(cases.iter().any(|c| c.name == name), "missing case {name}");
        run(
            Command::new("node")
                .arg(&tsc)
                .args(["--strict", "--noEmit", "-p"])
                .arg(root.join(name).join("tsconfig.json")),
            "standalone tsc --strict --noEmit",
        );
    }
    let script = r#"
const fs = require("fs");
const path = require("path");
const manifest = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
let failures = 0;
for (const c of manifest) {
  const mod = require(path.join(__dirname, "out", c.fixture, "src", "index.js"));
  const value = JSON.parse(fs.readFileSync(c.path, "utf8"));
  const got = c.kind === "event" ? mod.isEvent(value, mod.isDetail) : mod.isDetail(value);
  const want = c.kind === "valid" || c.kind === "event";
  if (got !== want) {
    failures++;
    console.log(`FAIL ${c.fixture} ${c.kind} ${c.path}: guard said ${got}`);
  } else {
    console.log(`ok ${c.fixture} ${c.kind}`);
  }
}
process.exit(failures > 0 ? 1 : 0);
"#;
    write_if_changed(&root.join("run-guards.js"), script);
    let manifest_path = root.join("manifest.json");
    write_if_changed(&manifest_path, &Value::Array(manifest.clone()).to_string());
    let out = run(Command::new("node").arg(root.join("run-guards.js")).arg(&manifest_path), "guard runner");
    let ok = out.lines().filter(|l| l.starts_with("ok ")).count();
    assert_eq!(ok, manifest.len(), "every sample must be classified:\n{out}");
}

/// Serves the fixture's registered schemas to jsonschema and refuses everything else.
struct Registered(BTreeMap<String, Value>);

impl jsonschema::Retrieve for Registered {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let key = uri.as_str().trim_end_matches('#');
        self.0.get(key).cloned().ok_or_else(|| format!("not a registered schema: {key}").into())
    }
}

fn validator(case: &Case) -> jsonschema::Validator {
    // With typed formats the bindings assert formats, so the corpus is checked that way too.
    jsonschema::options()
        .should_validate_formats(case.typed_formats)
        .with_retriever(Registered(case.external.clone()))
        .build(&case.schema)
        .unwrap_or_else(|e| panic!("{}: schema does not compile: {e}", case.name))
}

#[test]
fn fixture_samples_agree_with_the_schema() {
    // Guards the corpus itself: a "valid" sample that the schema rejects (or the reverse)
    // would make the other tests meaningless.
    for case in all_cases() {
        let validator = validator(&case);
        for doc in &case.valid {
            assert!(validator.is_valid(doc), "{}: valid sample rejected: {doc}", case.name);
        }
        for doc in &case.invalid {
            assert!(!validator.is_valid(doc), "{}: invalid sample accepted: {doc}", case.name);
        }
        for doc in case.valid.iter().flat_map(|d| mutations(&case.schema, d)) {
            assert!(!validator.is_valid(&doc), "{}: mutation still valid: {doc}", case.name);
        }
        for event in &case.events {
            assert!(validator.is_valid(&event["detail"]), "{}: event detail invalid", case.name);
        }
    }
}

proptest! {
    #![proptest_config(Config::with_cases(64))]

    /// Pure properties on many random schemas (no compilation): generation succeeds for both
    /// languages, is byte-for-byte deterministic, and the drawn document is valid.
    #[test]
    fn random_schemas_generate_deterministically(drawn in root_sample()) {
        let generator = Generator::embedded().expect("embedded templates");
        let case = Case {
            name: "random".into(),
            schema: drawn.schema.clone(),
            external: BTreeMap::new(),
            typed_formats: false,
            valid: vec![drawn.doc.clone()],
            invalid: Vec::new(),
            events: Vec::new(),
        };
        prop_assert!(validator(&case).is_valid(&drawn.doc));
        for language in Language::ALL {
            let first = generate(&generator, &case, language);
            let second = generate(&generator, &case, language);
            prop_assert_eq!(&first, &second);
            let main = first.iter().find(|(p, _)| p == language.main_source_path());
            prop_assert!(main.is_some_and(|(_, c)| c.contains("Detail")));
        }
    }
}
