use std::time::{Duration, Instant};

use serde_json::json;

use crate::bus_support::entry;
use crate::helpers::spawn_app;

#[tokio::test]
async fn receive_ack_and_visibility_timeouts() {
    let app = spawn_app().await;
    app.create_queue("q", 30).await;
    app.route_to_queue("default", "all", json!({"source": ["s"]}), "q").await;
    let events: Vec<_> = (0..3).map(|i| entry("s", "T", json!({"n": i}))).collect();
    app.put_events("default", json!(events)).await;
    let view = app.get("/v1/queues/q").await;
    assert_eq!(view.body["depth"], 3, "{}", view.body);

    let first = app.receive("q", 2, Some(1)).await;
    assert_eq!(first.len(), 2);
    assert_eq!(first[0]["receiveCount"], 1);
    assert_eq!(first[0]["body"]["detail"]["n"], 0);
    let view = app.get("/v1/queues/q").await;
    assert_eq!((view.body["depth"].clone(), view.body["inFlight"].clone()), (json!(1), json!(2)));

    // Ack the first; the second comes back after its 1 s visibility timeout.
    let ack = app.post("/v1/queues/q/ack", json!({"receiptHandles": [first[0]["receiptHandle"]]})).await;
    assert_eq!(ack.body["deleted"], 1);
    let third = app.receive("q", 10, Some(30)).await;
    assert_eq!(third.len(), 1);
    assert_eq!(third[0]["body"]["detail"]["n"], 2);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let again = app.receive("q", 10, None).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["messageId"], first[1]["messageId"]);
    assert_eq!(again[0]["receiveCount"], 2);
    // The stale handle of the first receive deletes nothing; the fresh one does.
    let stale =
        app.post("/v1/queues/q/ack", json!({"receiptHandles": [first[1]["receiptHandle"], "garbage"]})).await;
    assert_eq!(stale.body["deleted"], 0);
    let fresh = app.post("/v1/queues/q/ack", json!({"receiptHandles": [again[0]["receiptHandle"]]})).await;
    assert_eq!(fresh.body["deleted"], 1);
}

#[tokio::test]
async fn messages_move_to_the_dead_letter_queue_after_max_receives() {
    let app = spawn_app().await;
    app.create_queue("dlq", 30).await;
    let reply = app
        .put(
            "/v1/queues/work",
            json!({"visibilityTimeoutSeconds": 0, "maxReceiveCount": 2, "deadLetterQueue": "dlq"}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    app.route_to_queue("default", "all", json!({"source": ["s"]}), "work").await;
    app.put_events("default", json!([entry("s", "T", json!({}))])).await;
    assert_eq!(app.receive("work", 1, None).await.len(), 1);
    assert_eq!(app.receive("work", 1, None).await[0]["receiveCount"], 2);
    assert!(app.receive("work", 1, None).await.is_empty());
    let dead = app.receive("dlq", 1, None).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0]["receiveCount"], 1);

    app.put("/v1/queues/x", json!({"maxReceiveCount": 2})).await.assert_error(400, "invalid_request");
    app.put("/v1/queues/x", json!({"maxReceiveCount": 2, "deadLetterQueue": "none"}))
        .await
        .assert_error(404, "queue_not_found");
    app.post("/v1/queues/work/receive", json!({"maxMessages": 101}))
        .await
        .assert_error(400, "invalid_request");
    app.post("/v1/queues/work/receive", json!({"waitSeconds": 21}))
        .await
        .assert_error(400, "invalid_request");
    app.post("/v1/queues/none/receive", json!({})).await.assert_error(404, "queue_not_found");
}

#[tokio::test]
async fn long_polls_wake_up_when_a_message_arrives() {
    let app = spawn_app().await;
    app.create_queue("q", 30).await;
    app.route_to_queue("default", "all", json!({"source": ["s"]}), "q").await;
    let started = Instant::now();
    let poll = app.post("/v1/queues/q/receive", json!({"waitSeconds": 10}));
    let put = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.put_events("default", json!([entry("s", "T", json!({}))])).await
    };
    let (reply, _) = tokio::join!(poll, put);
    assert_eq!(reply.body["messages"].as_array().unwrap().len(), 1);
    assert!(started.elapsed() < Duration::from_secs(3));

    let listed = app.get("/v1/queues").await;
    assert_eq!(listed.body["items"][0]["name"], "q");
    assert_eq!(app.delete("/v1/queues/q").await.status, 204);
    app.get("/v1/queues/q").await.assert_error(404, "queue_not_found");
}

#[tokio::test]
async fn messages_sent_directly_keep_their_attributes_and_delays() {
    let app = spawn_app().await;
    let reply = app.put("/v1/queues/direct", json!({"delaySeconds": 0, "receiveWaitSeconds": 0})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["delaySeconds"], 0);
    let sent = app
        .post(
            "/v1/queues/direct/messages",
            json!({"messages": [
                {"body": {"n": 1}, "messageAttributes": {"color": {"dataType": "String", "stringValue": "red"},
                                                         "raw": {"dataType": "Binary", "binaryValue": "AAH/"}}},
                {"body": "later", "delaySeconds": 1},
            ]}),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(sent.body["messageIds"].as_array().map(Vec::len), Some(2));
    let now = app.receive("direct", 10, Some(30)).await;
    assert_eq!(now.len(), 1, "the delayed message is not visible yet");
    assert_eq!(now[0]["body"], json!({"n": 1}));
    assert_eq!(now[0]["messageAttributes"]["color"], json!({"dataType": "String", "stringValue": "red"}));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let later = app.receive("direct", 10, Some(30)).await;
    assert_eq!(later.len(), 1);
    assert_eq!(later[0]["body"], "later");

    // The rules of SQS messages: a number must be a number, at most 10 messages, the
    // queue must exist; a refused send stores nothing.
    let bad = app
        .post(
            "/v1/queues/direct/messages",
            json!({"messages": [{"body": 1}, {"body": 2, "messageAttributes": {"n": {"dataType": "Number", "stringValue": "x"}}}]}),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(bad.body["code"], "invalid_request", "{}", bad.body);
    let many: Vec<_> = (0..11).map(|i| json!({"body": i})).collect();
    assert_eq!(app.post("/v1/queues/direct/messages", json!({"messages": many})).await.status, 400);
    // A message is an object, not the array of its fields.
    assert_eq!(app.post("/v1/queues/direct/messages", json!({"messages": [[{"n": 1}]]})).await.status, 400);
    assert_eq!(app.post("/v1/queues/absent/messages", json!({"messages": [{"body": 1}]})).await.status, 404);
    assert_eq!(app.get("/v1/queues/direct").await.body["depth"], 0);
    let slow = app.put("/v1/queues/slow", json!({"delaySeconds": 901})).await;
    assert_eq!(slow.status, 400, "{}", slow.body);
}
