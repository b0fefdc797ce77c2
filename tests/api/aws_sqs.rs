//! The SQS part of the AWS-compatible API (docs/AWS-API.md#sqs) against a real
//! `schemabus serve --aws-listen`: the pinned boto3 script `tests/aws/sqs_boto3.py`
//! (every operation group, paging, batch errors, digests, long polling, visibility,
//! redrive, the EventBridge -> SQS pipeline, errors and grants) and the aws CLI.

use serde_json::{Value, json};

use crate::aws::{aws_cli, boto3_script, credentials, native, output, start, venv};

#[test]
fn boto3_drives_every_served_sqs_operation_group() {
    let (_dir, aws) = start();
    boto3_script(&aws, "sqs_boto3.py", "consumer", &["queue:consume:orders-q"]);
    aws.service.terminate();
}

#[test]
fn the_aws_cli_sends_and_receives_sqs_messages() {
    let venv = venv();
    let (dir, aws) = start();
    let base = aws.service.base.clone();
    let (id, secret) = credentials(&base, "admin");
    let cli = |args: &[&str]| {
        let out = aws_cli(&venv, &aws, dir.path(), (&id, &secret), &[&["sqs"], args].concat());
        assert!(out.status.success(), "aws sqs {args:?}: {}", output(&out));
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
