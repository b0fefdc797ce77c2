//! The README's aws CLI tour, command for command, against a real `schemabus serve
//! --aws-listen` with the pinned awscli: a bus, a registry and a schema, a queue, a rule
//! with the queue as target, a valid and an invalid event, the valid one received from
//! the queue and deleted, a code binding downloaded, and a discoverer that discovers a new
//! event type. Only the binding of the bus to the registry goes through the native API
//! (EventBridge has no such setting).

use serde_json::{Value, json};

use crate::aws::{aws_cli, credentials, native, output, start_with, venv};

#[test]
fn the_readme_aws_cli_tour_runs_as_written() {
    let venv = venv();
    let (dir, aws) = start_with(&["--discovery-min-interval-seconds", "0"]);
    let base = aws.service.base.clone();
    let (id, secret) = credentials(&base, "admin");
    let cli = |args: &[&str]| -> Value {
        let out = aws_cli(&venv, &aws, dir.path(), (&id, &secret), args);
        assert!(out.status.success(), "aws {}: {}", args.join(" "), output(&out));
        let text = String::from_utf8_lossy(&out.stdout);
        if text.trim().is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() }
    };

    let bus = cli(&["events", "create-event-bus", "--name", "orders"]);
    assert_eq!(bus["EventBusArn"], "arn:aws:events:us-east-1:123456789012:event-bus/orders");
    cli(&["schemas", "create-registry", "--registry-name", "shop"]);
    let content = r#"{"$schema":"http://json-schema.org/draft-04/schema#","type":"object","required":["id"],"properties":{"id":{"type":"integer"}}}"#;
    let schema = cli(&[
        "schemas",
        "create-schema",
        "--registry-name",
        "shop",
        "--schema-name",
        "shop@OrderPlaced",
        "--type",
        "JSONSchemaDraft4",
        "--content",
        content,
    ]);
    assert_eq!(schema["SchemaVersion"], "1", "{schema}");
    native(
        &base,
        reqwest::Method::PATCH,
        "/v1/buses/orders",
        Some(json!({"validation": {"mode": "enforce", "registry": "shop"}})),
    );
    let queue = cli(&["sqs", "create-queue", "--queue-name", "orders-queue"]);
    let url = queue["QueueUrl"].as_str().unwrap().to_owned();
    cli(&[
        "events",
        "put-rule",
        "--name",
        "placed",
        "--event-bus-name",
        "orders",
        "--event-pattern",
        r#"{"source":["shop"]}"#,
    ]);
    let targets = cli(&[
        "events",
        "put-targets",
        "--rule",
        "placed",
        "--event-bus-name",
        "orders",
        "--targets",
        "Id=q,Arn=arn:aws:sqs:us-east-1:123456789012:orders-queue",
    ]);
    assert_eq!(targets["FailedEntryCount"], 0, "{targets}");

    let put = cli(&[
        "events",
        "put-events",
        "--entries",
        r#"[{"Source":"shop","DetailType":"OrderPlaced","Detail":"{\"id\":1}","EventBusName":"orders"},
            {"Source":"shop","DetailType":"OrderPlaced","Detail":"{\"id\":\"one\"}","EventBusName":"orders"}]"#,
    ]);
    assert_eq!(put["FailedEntryCount"], 1, "{put}");
    assert_eq!(put["Entries"][1]["ErrorCode"], "SchemaValidationFailed", "{put}");
    assert!(put["Entries"][1]["ErrorMessage"].as_str().unwrap().contains("/id"), "{put}");

    let received = cli(&["sqs", "receive-message", "--queue-url", &url, "--wait-time-seconds", "5"]);
    let message = &received["Messages"][0];
    let envelope: Value = serde_json::from_str(message["Body"].as_str().unwrap()).unwrap();
    assert_eq!(envelope["detail"], json!({"id": 1}), "{received}");
    assert_eq!(envelope["id"], put["Entries"][0]["EventId"], "the envelope of the accepted event");
    assert_eq!(received["Messages"].as_array().unwrap().len(), 1, "only the valid event is routed");
    cli(&[
        "sqs",
        "delete-message",
        "--queue-url",
        &url,
        "--receipt-handle",
        message["ReceiptHandle"].as_str().unwrap(),
    ]);
    let left = cli(&[
        "sqs",
        "get-queue-attributes",
        "--queue-url",
        &url,
        "--attribute-names",
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
    ]);
    assert_eq!(left["Attributes"]["ApproximateNumberOfMessages"], "0", "{left}");
    assert_eq!(left["Attributes"]["ApproximateNumberOfMessagesNotVisible"], "0", "{left}");

    let binding =
        ["--registry-name", "shop", "--schema-name", "shop@OrderPlaced", "--language", "TypeScript3"];
    cli(&[&["schemas", "put-code-binding"][..], &binding[..]].concat());
    cli(&[&["schemas", "get-code-binding-source"][..], &binding[..], &["binding.zip"][..]].concat());
    let zip = std::fs::read(dir.path().join("binding.zip")).unwrap();
    assert!(zip.starts_with(b"PK") && zip.len() > 200, "a zip archive");

    let discoverer = cli(&[
        "schemas",
        "create-discoverer",
        "--source-arn",
        "arn:aws:events:us-east-1:123456789012:event-bus/orders",
    ]);
    assert_eq!(discoverer["State"], "STARTED", "{discoverer}");
    cli(&[
        "events",
        "put-events",
        "--entries",
        r#"[{"Source":"shop","DetailType":"CartFilled","Detail":"{\"cart\":\"c-1\",\"items\":2}","EventBusName":"orders"}]"#,
    ]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let listed = cli(&["schemas", "list-schemas", "--registry-name", "discovered-schemas"]);
        let names: Vec<&str> =
            listed["Schemas"].as_array().unwrap().iter().filter_map(|s| s["SchemaName"].as_str()).collect();
        if names.contains(&"shop@CartFilled") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the discoverer discovered nothing: {names:?}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
