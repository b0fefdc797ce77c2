//! The AWS Schemas API (docs/AWS-API.md, "Schemas") against a real `schemabus serve
//! --aws-listen`: the pinned boto3 script `tests/aws/schemas_boto3.py` (every operation
//! group, paging, error codes as boto3 shows them, an OpenAPI event schema validating a
//! bus's events, bindings unzipped, GetDiscoveredSchema, a discoverer discovering), and
//! the aws CLI for create-registry and get-code-binding-source.

use std::process::Command;

use serde_json::json;

use crate::aws::{ADMIN, credentials, native, output, repo, start_with, venv};

#[test]
fn boto3_drives_every_schemas_operation_group() {
    let venv = venv();
    let (_dir, aws) = start_with(&["--discovery-min-interval-seconds", "0"]);
    let base = aws.service.base.clone();
    let (admin_id, admin_secret) = credentials(&base, "admin");
    native(
        &base,
        reqwest::Method::POST,
        "/v1/keys",
        Some(json!({"name": "reader", "grants": ["registry:read:shop"]})),
    );
    let (reader_id, reader_secret) = credentials(&base, "reader");
    let out = Command::new(venv.join("bin/python"))
        .arg(repo("tests/aws/schemas_boto3.py"))
        .args([&aws.endpoint, &base, ADMIN, &admin_id, &admin_secret, &reader_id, &reader_secret])
        .output()
        .unwrap();
    let text = output(&out);
    assert!(out.status.success() && text.contains("ALL OK"), "the boto3 script failed:\n{text}");
    aws.service.terminate();
}

#[test]
fn the_aws_cli_creates_a_registry_and_downloads_a_code_binding() {
    let venv = venv();
    let (dir, aws) = start_with(&[]);
    let base = aws.service.base.clone();
    let (id, secret) = credentials(&base, "admin");
    let cli = |args: &[&str]| {
        let out = Command::new(venv.join("bin/aws"))
            .args(["--endpoint-url", &aws.endpoint, "--region", "us-east-1", "--output", "json", "schemas"])
            .args(args)
            .current_dir(dir.path())
            .env("AWS_ACCESS_KEY_ID", &id)
            .env("AWS_SECRET_ACCESS_KEY", &secret)
            .env("AWS_MAX_ATTEMPTS", "1")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .output()
            .unwrap();
        (out.status.success(), output(&out))
    };
    let (ok, text) = cli(&["create-registry", "--registry-name", "cli", "--description", "from the CLI"]);
    assert!(ok && text.contains("registry/cli"), "{text}");
    let (ok, text) = cli(&["create-registry", "--registry-name", "cli"]);
    assert!(!ok && text.contains("ConflictException"), "{text}");
    let content = json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "properties": {"id": {"type": "integer"}},
        "required": ["id"]
    })
    .to_string();
    let (ok, text) = cli(&[
        "create-schema",
        "--registry-name",
        "cli",
        "--schema-name",
        "Order",
        "--type",
        "JSONSchemaDraft4",
        "--content",
        &content,
    ]);
    assert!(ok && text.contains("\"SchemaVersion\": \"1\""), "{text}");
    let (ok, text) = cli(&[
        "get-code-binding-source",
        "--registry-name",
        "cli",
        "--schema-name",
        "Order",
        "--language",
        "Rust",
        "out.zip",
    ]);
    assert!(ok, "{text}");
    let zip = std::fs::read(dir.path().join("out.zip")).unwrap();
    let archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let names: Vec<String> = archive.file_names().map(|n| n.unwrap().into_owned()).collect();
    assert!(names.iter().any(|n| n.ends_with("Cargo.toml")), "{names:?}");
    aws.service.terminate();
}
