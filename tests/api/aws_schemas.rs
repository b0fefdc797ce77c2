//! The AWS Schemas API (docs/AWS-API.md, "Schemas") against a real `schemabus serve
//! --aws-listen`: the pinned boto3 script `tests/aws/schemas_boto3.py` (every operation
//! group, paging, error codes as boto3 shows them, an OpenAPI event schema validating a
//! bus's events, bindings unzipped, GetDiscoveredSchema, a discoverer discovering), and
//! the aws CLI for create-registry and get-code-binding-source.

use serde_json::json;

use crate::aws::{aws_cli, boto3_script, credentials, output, start_with, venv};

#[test]
fn boto3_drives_every_schemas_operation_group() {
    let (_dir, aws) = start_with(&["--discovery-min-interval-seconds", "0"]);
    boto3_script(&aws, "schemas_boto3.py", "reader", &["registry:read:shop"]);
    aws.service.terminate();
}

#[test]
fn the_aws_cli_creates_a_registry_and_downloads_a_code_binding() {
    let venv = venv();
    let (dir, aws) = start_with(&[]);
    let base = aws.service.base.clone();
    let (id, secret) = credentials(&base, "admin");
    let cli = |args: &[&str]| {
        let out = aws_cli(&venv, &aws, dir.path(), (&id, &secret), &[&["schemas"], args].concat());
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
