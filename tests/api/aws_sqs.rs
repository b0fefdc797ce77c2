//! The SQS part of the AWS-compatible API (docs/AWS-API.md#sqs) against a real
//! `schemabus serve --aws-listen`: the pinned boto3 script `tests/aws/sqs_boto3.py`
//! (every operation group, paging, batch errors, digests, long polling, visibility,
//! redrive, the EventBridge -> SQS pipeline, errors and grants) and the aws CLI.

use std::process::Command;

use serde_json::{Value, json};

use crate::aws::{ADMIN, credentials, native, output, repo, start, venv};

#[test]
fn boto3_drives_every_served_sqs_operation_group() {
    let venv = venv();
    let (_dir, aws) = start();
    let base = aws.service.base.clone();
    let (admin_id, admin_secret) = credentials(&base, "admin");
    native(
        &base,
        reqwest::Method::POST,
        "/v1/keys",
        Some(json!({"name": "consumer", "grants": ["queue:consume:orders-q"]})),
    );
    let (cons_id, cons_secret) = credentials(&base, "consumer");
    let out = Command::new(venv.join("bin/python"))
        .arg(repo("tests/aws/sqs_boto3.py"))
        .args([&aws.endpoint, &base, ADMIN, &admin_id, &admin_secret, &cons_id, &cons_secret])
        .output()
        .unwrap();
    let text = output(&out);
    assert!(out.status.success() && text.contains("ALL OK"), "the boto3 script failed:\n{text}");
    aws.service.terminate();
}

#[test]
fn the_aws_cli_sends_and_receives_sqs_messages() {
    let venv = venv();
    let (_dir, aws) = start();
    let base = aws.service.base.clone();
    let (id, secret) = credentials(&base, "admin");
    let cli = |args: &[&str]| {
        let out = Command::new(venv.join("bin/aws"))
            .args(["--endpoint-url", &aws.endpoint, "--region", "us-east-1", "--output", "json", "sqs"])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", &id)
            .env("AWS_SECRET_ACCESS_KEY", &secret)
            .env("AWS_MAX_ATTEMPTS", "1")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .output()
            .unwrap();
        let text = output(&out);
        assert!(out.status.success(), "aws sqs {args:?}: {text}");
        serde_json::from_slice::<Value>(&out.stdout).unwrap_or(Value::Null)
    };
    let url = cli(&["create-queue", "--queue-name", "cli"])["QueueUrl"].as_str().unwrap().to_owned();
    assert_eq!(url, format!("{}/123456789012/cli", aws.endpoint));
    let sent = cli(&[
        "send-message",
        "--queue-url",
        &url,
        "--message-body",
        "hello",
        "--message-attributes",
        r#"{"k":{"DataType":"String","StringValue":"v"}}"#,
    ]);
    assert_eq!(sent["MD5OfMessageBody"], "5d41402abc4b2a76b9719d911017c592", "{sent}");
    let got = cli(&[
        "receive-message",
        "--queue-url",
        &url,
        "--attribute-names",
        "All",
        "--message-attribute-names",
        "All",
        "--wait-time-seconds",
        "1",
    ]);
    let m = &got["Messages"][0];
    assert_eq!(
        (m["Body"].clone(), m["MessageId"].clone()),
        (json!("hello"), sent["MessageId"].clone()),
        "{got}"
    );
    assert_eq!(m["MessageAttributes"]["k"]["StringValue"], "v", "{got}");
    assert_eq!(m["MD5OfMessageAttributes"], sent["MD5OfMessageAttributes"], "{got}");
    assert_eq!(m["Attributes"]["ApproximateReceiveCount"], "1", "{got}");
    cli(&["delete-message", "--queue-url", &url, "--receipt-handle", m["ReceiptHandle"].as_str().unwrap()]);
    let depth = native(&base, reqwest::Method::GET, "/v1/queues/cli", None);
    assert_eq!((depth["depth"].clone(), depth["inFlight"].clone()), (json!(0), json!(0)), "{depth}");
    // Writes are in the audit trail under their operation and queue; reads are not.
    let audit = native(&base, reqwest::Method::GET, "/v1/audit", None).to_string();
    assert!(audit.contains("/ (AWS AmazonSQS.CreateQueue)") && audit.contains("queue:cli"), "{audit}");
    assert!(!audit.contains("AmazonSQS.ReceiveMessage"), "{audit}");
    aws.service.terminate();
}
