//! The AWS SDK for JavaScript v3 against a real `schemabus serve --aws-listen`: the Node
//! script `tests/aws/js/tour.mjs` with `@aws-sdk/client-eventbridge`, `client-schemas` and
//! `client-sqs` at the versions of `tests/aws/js/package-lock.json` (installed with
//! `npm ci` into `target/aws-js`, once per lock file). It creates a bus, a registry and a
//! JSON Schema, a queue and a rule with the queue as target; the test binds the bus to
//! the registry through the native API; the script then puts a valid and an invalid
//! event, receives the routed one from SQS as the EventBridge envelope and deletes it,
//! sends and receives a message with attributes (the SDK checks the MD5s), and checks
//! that a wrong secret is refused.

use std::path::{Path, PathBuf};

use std::process::Command;

use serde_json::{Value, json};

use crate::aws::{credentials, native, repo, start};

/// `target/aws-js` with the pinned SDK installed and the script beside it (ES modules
/// resolve packages from the script's own directory).
fn sdk_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo("target"), PathBuf::from);
    let dir = target.join("aws-js");
    std::fs::create_dir_all(&dir).unwrap();
    let lock = std::fs::read(repo("tests/aws/js/package-lock.json")).unwrap();
    let installed = std::fs::read(dir.join("package-lock.json")).ok();
    if installed.as_deref() != Some(lock.as_slice()) || !dir.join("node_modules").is_dir() {
        std::fs::copy(repo("tests/aws/js/package.json"), dir.join("package.json")).unwrap();
        std::fs::write(dir.join("package-lock.json"), &lock).unwrap();
        let out =
            Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&dir).output().unwrap();
        assert!(out.status.success(), "npm ci: {}", String::from_utf8_lossy(&out.stderr));
    }
    std::fs::copy(repo("tests/aws/js/tour.mjs"), dir.join("tour.mjs")).unwrap();
    dir
}

/// Runs one step of the script; panics with its report unless every check passed.
fn step(dir: &Path, name: &str, env: &[(&str, &str)]) -> Vec<Value> {
    let out = Command::new("node")
        .arg("tour.mjs")
        .arg(name)
        .current_dir(dir)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let checks: Vec<Value> = stdout.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert!(
        out.status.success() && checks.iter().all(|c| c["ok"] == json!(true)),
        "{name}:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    checks
}

#[test]
fn the_aws_sdk_for_javascript_v3_works_unchanged() {
    let dir = sdk_dir();
    let (_data, aws) = start();
    let base = aws.service.base.clone();
    let (id, secret) = credentials(&base, "admin");
    let env = [
        ("ENDPOINT", aws.endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", secret.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("ACCOUNT", "123456789012"),
    ];
    let setup = step(&dir, "setup", &env);
    assert_eq!(setup.len(), 4, "{setup:?}");
    native(
        &base,
        reqwest::Method::PATCH,
        "/v1/buses/js-orders",
        Some(json!({"validation": {"mode": "enforce", "registry": "js"}})),
    );
    let traffic = step(&dir, "traffic", &env);
    assert_eq!(traffic.len(), 11, "every check ran: {traffic:?}");
}
