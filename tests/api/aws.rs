//! The AWS-compatible API (docs/AWS-API.md) against a real `schemabus serve --aws-listen`:
//! the pinned boto3 script `tests/aws/events_boto3.py` (every operation group, paging,
//! errors, SigV4 failures, grants), an aws CLI tour, and the check that every operation
//! of the pinned botocore service models is either served or listed as not yet.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::helpers::ServiceProcess;

/// Exact pins (current on PyPI when written; awscli 1.46.3 requires botocore 1.44.18).
pub(crate) const PINS: &[&str] = &["boto3==1.44.18", "botocore==1.44.18", "awscli==1.46.3"];
pub(crate) const ADMIN: &str = "sb_aws-admin-key-0123456789abcdefghijklmnopq";
/// The service models checked against docs/AWS-API.md: (botocore name, section title).
const MODELS: &[(&str, &str)] = &[("events", "EventBridge"), ("schemas", "Schemas"), ("sqs", "SQS")];

pub(crate) fn venv() -> PathBuf {
    crate::python::pinned_venv_of("aws-venv", PINS)
}

pub(crate) fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

pub(crate) struct Aws {
    pub(crate) service: ServiceProcess,
    pub(crate) endpoint: String,
}

pub(crate) fn start() -> (tempfile::TempDir, Aws) {
    start_with(&[])
}

/// [`start`] with more flags.
pub(crate) fn start_with(extra: &[&str]) -> (tempfile::TempDir, Aws) {
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let aws = format!("127.0.0.1:{port}");
    let mut flags = vec![
        "--auth",
        "required",
        "--aws-listen",
        &aws,
        "--region",
        "us-east-1",
        "--account",
        "123456789012",
        // A 200 ms scheduler minute, so the scripts see a rate(1 minute) rule fire.
        "--schedule-minute-ms",
        "200",
    ];
    flags.extend_from_slice(extra);
    let service =
        ServiceProcess::start_with_env(&dir.path().join("data"), &flags, &[("SCHEMABUS_ADMIN_KEY", ADMIN)]);
    (dir, Aws { service, endpoint: format!("http://{aws}") })
}

pub(crate) fn native(base: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let client = reqwest::blocking::Client::new();
    let mut req = client.request(method, format!("{base}{path}")).bearer_auth(ADMIN);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().unwrap();
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.json().unwrap_or(Value::Null)
}

/// (access key id, secret) of a new AWS credential of `key`.
pub(crate) fn credentials(base: &str, key: &str) -> (String, String) {
    let c = native(base, reqwest::Method::POST, &format!("/v1/keys/{key}/aws-credentials"), None);
    (c["accessKeyId"].as_str().unwrap().to_owned(), c["secretAccessKey"].as_str().unwrap().to_owned())
}

/// The pinned aws CLI (of `venv`) against the AWS listener, run in `dir`, signed with
/// `(id, secret)`, with no retries and none of the machine's profiles.
pub(crate) fn aws_cli(
    venv: &Path,
    aws: &Aws,
    dir: &Path,
    (id, secret): (&str, &str),
    args: &[&str],
) -> std::process::Output {
    Command::new(venv.join("bin/aws"))
        .args(["--endpoint-url", &aws.endpoint, "--region", "us-east-1", "--output", "json"])
        .args(args)
        .current_dir(dir)
        .env("AWS_ACCESS_KEY_ID", id)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .unwrap()
}

/// Creates the key `key` with `grants` and runs the pinned boto3 `script` (under
/// `tests/aws/`) with the endpoints, the admin key, the admin's AWS credentials and that
/// key's; asserts it printed `ALL OK`. Returns the admin's and that key's AWS credentials.
pub(crate) fn boto3_script(aws: &Aws, script: &str, key: &str, grants: &[&str]) -> [(String, String); 2] {
    let base = aws.service.base.clone();
    let (admin_id, admin_secret) = credentials(&base, "admin");
    native(&base, reqwest::Method::POST, "/v1/keys", Some(json!({"name": key, "grants": grants})));
    let (id, secret) = credentials(&base, key);
    let out = Command::new(venv().join("bin/python"))
        .arg(repo(&format!("tests/aws/{script}")))
        .args([&aws.endpoint, &base, ADMIN, &admin_id, &admin_secret, &id, &secret])
        .output()
        .unwrap();
    let text = output(&out);
    assert!(out.status.success() && text.contains("ALL OK"), "the boto3 script {script} failed:\n{text}");
    [(admin_id, admin_secret), (id, secret)]
}

pub(crate) fn output(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn boto3_drives_every_served_eventbridge_operation_group() {
    let venv = venv();
    let (dir, aws) = start();
    let base = aws.service.base.clone();
    let [(_, admin_secret), (pub_id, pub_secret)] =
        boto3_script(&aws, "events_boto3.py", "publisher", &["bus:publish:orders:orders"]);

    // Revoking the key revokes its AWS credentials at once.
    native(&base, reqwest::Method::DELETE, "/v1/keys/publisher", None);
    let out = aws_cli(&venv, &aws, dir.path(), (&pub_id, &pub_secret), &["events", "list-event-buses"]);
    assert!(
        !out.status.success() && output(&out).contains("UnrecognizedClientException"),
        "{}",
        output(&out)
    );
    // The secret is not on disk in plain text.
    let leaked = Command::new("grep").args(["-rl", &admin_secret]).arg(dir.path()).output().unwrap();
    assert!(leaked.stdout.is_empty(), "the secret is stored in plain text: {}", output(&leaked));
    aws.service.terminate();
}

#[test]
fn the_aws_cli_tour_works_with_the_credentials_of_a_key() {
    let venv = venv();
    let (dir, aws) = start();
    let base = aws.service.base.clone();
    native(&base, reqwest::Method::PUT, "/v1/queues/orders-queue", Some(json!({})));
    let (id, secret) = credentials(&base, "admin");
    let cli = |args: &[&str], secret: &str| {
        let out = aws_cli(&venv, &aws, dir.path(), (&id, secret), &[&["events"], args].concat());
        (out.status.success(), output(&out))
    };
    let (ok, text) = cli(&["create-event-bus", "--name", "orders"], &secret);
    assert!(ok && text.contains("event-bus/orders"), "{text}");
    let (ok, text) = cli(
        &[
            "put-rule",
            "--name",
            "all",
            "--event-bus-name",
            "orders",
            "--event-pattern",
            r#"{"source":["shop"]}"#,
        ],
        &secret,
    );
    assert!(ok && text.contains("rule/orders/all"), "{text}");
    let (ok, text) = cli(
        &[
            "put-targets",
            "--rule",
            "all",
            "--event-bus-name",
            "orders",
            "--targets",
            r#"[{"Id":"q","Arn":"arn:aws:sqs:us-east-1:123456789012:orders-queue","InputPath":"$.detail"}]"#,
        ],
        &secret,
    );
    assert!(ok && text.contains("\"FailedEntryCount\": 0"), "{text}");
    let (ok, text) = cli(
        &[
            "put-events",
            "--entries",
            r#"[{"Source":"shop","DetailType":"Order Placed","Detail":"{\"id\":1}","EventBusName":"orders"}]"#,
        ],
        &secret,
    );
    assert!(ok && text.contains("\"FailedEntryCount\": 0") && text.contains("EventId"), "{text}");
    let received = native(&base, reqwest::Method::POST, "/v1/queues/orders-queue/receive", Some(json!({})));
    assert_eq!(received["messages"][0]["body"], json!({"id": 1}), "{received}");
    let (ok, text) = cli(&["list-event-buses"], "wrong-secret-wrong-secret-wrong-secret00");
    assert!(!ok && text.contains("InvalidSignatureException"), "{text}");
    aws.service.terminate();
}

/// Rows `| Operation | status |` of a section of docs/AWS-API.md.
fn documented(doc: &str, title: &str) -> Vec<(String, String)> {
    let start = doc
        .find(&format!("## {title} operations"))
        .unwrap_or_else(|| panic!("no '## {title} operations' section"));
    let section = &doc[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    section
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells.len() >= 4 && cells[1].starts_with('`'))
                .then(|| (cells[1].trim_matches('`').to_owned(), cells[2].to_owned()))
        })
        .collect()
}

#[test]
fn every_operation_of_the_service_models_is_served_or_listed_as_not_yet() {
    let venv = venv();
    let doc = std::fs::read_to_string(repo("docs/AWS-API.md")).unwrap();
    for (model, title) in MODELS {
        let out = Command::new(venv.join("bin/python"))
            .args(["-c", "import sys, botocore.session; print('\\n'.join(sorted(botocore.session.get_session().get_service_model(sys.argv[1]).operation_names)))", model])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", output(&out));
        let operations: Vec<String> =
            String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect();
        assert!(operations.len() > 10, "{model}: {operations:?}");
        let rows = documented(&doc, title);
        let served = schemabus::http::aws::served_operations(model);
        for op in &operations {
            let Some((_, status)) = rows.iter().find(|(name, _)| name == op) else {
                panic!(
                    "docs/AWS-API.md does not list the {model} operation {op} (as implemented or not yet)"
                );
            };
            let implemented = status.starts_with("implemented");
            assert!(implemented || status.starts_with("not yet"), "{op}: status '{status}'");
            assert_eq!(
                implemented,
                served.contains(&op.as_str()),
                "{op}: docs say '{status}', the server disagrees"
            );
        }
        for (name, _) in &rows {
            assert!(
                operations.contains(name),
                "docs/AWS-API.md lists {name}, which the {model} model does not have"
            );
        }
    }
}
