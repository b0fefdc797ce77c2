//! Spec-driven API fuzzing: schemathesis (pinned) generates requests from the committed
//! `openapi/openapi.json` and sends them to a real schemabus process with auth required
//! and a real admin key, through every phase (examples, coverage, fuzzing, stateful along
//! the document's links). It fails on any 5xx, any response breaking its documented
//! schema or content type, any undocumented status code and any schema-violating request
//! accepted. The checks, and the one operation where the last cannot hold, are in
//! `tests/schemathesis/schemathesis.toml`. docs/RELIABILITY.md has the figures, the
//! choice of checks and the defects the run found.
//!
//! The size fits CI; a larger run: `SCHEMATHESIS_MAX_EXAMPLES=500 cargo test --test api
//! schemathesis -- --nocapture` (`SCHEMATHESIS_SEED` picks the seed; default a fixed one).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::helpers::ServiceProcess;
use crate::python::pinned_venv;

/// The pinned fuzzer.
const PINNED: &str = "schemathesis==4.32.5";
const ADMIN: &str = "sb_schemathesis-admin-key-0123456789abcdefghijkl";
/// Examples per operation and phase in CI (about a minute on a 2-core machine).
const CI_EXAMPLES: &str = "30";
/// The seed of the CI run, so a finding reproduces; a larger local run may set another.
const CI_SEED: &str = "23";
/// Operations turned off in `tests/schemathesis/schemathesis.toml` (streams that never
/// end by themselves; tested elsewhere).
const NOT_FUZZED: &[&str] = &["tailBus"];

fn setting(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned())
}

/// The number after `label` on the line holding it (`Tested: 61`, `  2377 generated`).
fn figure(report: &str, label: &str) -> Option<u64> {
    report.lines().find_map(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        let at = words.iter().position(|w| *w == label)?;
        if label.ends_with(':') {
            words.get(at + 1)?.parse().ok()
        } else {
            words.get(at.checked_sub(1)?)?.parse().ok()
        }
    })
}

#[test]
fn schemathesis_finds_nothing_in_any_operation_of_the_published_document() {
    let st = pinned_venv("schemathesis-venv", PINNED).join("bin/st");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let spec = root.join("openapi/openapi.json");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&spec).unwrap()).unwrap();
    let operations: usize =
        doc["paths"].as_object().unwrap().values().map(|item| item.as_object().unwrap().len()).sum::<usize>()
            - NOT_FUZZED.len();

    let dir = tempfile::tempdir().unwrap();
    let service = ServiceProcess::start_with_env(
        &dir.path().join("data"),
        &["--auth", "required"],
        &[("SCHEMABUS_ADMIN_KEY", ADMIN)],
    );
    let examples = setting("SCHEMATHESIS_MAX_EXAMPLES", CI_EXAMPLES);
    let seed = setting("SCHEMATHESIS_SEED", CI_SEED);
    let started = Instant::now();
    let out = Command::new(&st)
        .arg("--config-file")
        .arg(root.join("tests/schemathesis/schemathesis.toml"))
        .arg("run")
        .arg(&spec)
        .args(["--url", &service.base])
        .args(["--header", &format!("Authorization: Bearer {ADMIN}")])
        .args(["--max-examples", &examples, "--seed", &seed])
        // One worker: CPython 3.11's `ast` is not safe across threads, and hypothesis
        // parses lambdas with it ("AST constructor recursion depth mismatch", a runtime
        // error of the tool, not a finding, seen once with two workers).
        .args(["--workers", "1", "--no-color", "--generation-database", "none"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let took = started.elapsed();
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));

    // The run's key must still work: a run that revoked it would have tested only 401s.
    let keys = reqwest::blocking::Client::new()
        .get(format!("{}/v1/keys", service.base))
        .bearer_auth(ADMIN)
        .send()
        .unwrap();
    let key_status = keys.status();
    service.terminate();

    eprintln!("{report}\nschemathesis: {examples} examples per operation, seed {seed}, {took:.1?}");
    assert!(out.status.success(), "schemathesis reported findings (replay with `st replay <id>`):\n{report}");
    assert_eq!(key_status, 200, "the run's admin key no longer works after the run:\n{report}");
    assert_eq!(
        figure(&report, "Tested:"),
        Some(operations as u64),
        "not every operation was tested:\n{report}"
    );
    assert!(report.contains("✅ Stateful"), "the stateful phase did not run:\n{report}");
    assert!(figure(&report, "generated,").is_some_and(|n| n > 1000), "too few cases generated:\n{report}");
}
