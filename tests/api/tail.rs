//! `GET /v1/buses/{bus}/tail`: the live tail of a bus as server-sent events, read with a
//! real HTTP client from a real server.

use std::time::Duration;

use serde_json::{Value, json};

use crate::bus_support::{entry, order_schema};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};

/// Generous: a read waits this long for the next SSE event before the test fails.
const READ_DEADLINE: Duration = Duration::from_secs(20);

/// One server-sent event.
#[derive(Debug)]
struct Sse {
    event: String,
    id: Option<String>,
    data: Value,
}

/// Reads SSE events off a streaming response, skipping comment lines.
struct SseReader {
    response: reqwest::Response,
    buffer: String,
}

impl SseReader {
    async fn next(&mut self) -> Sse {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut event, mut id, mut data) = (String::from("message"), None, String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event: ") {
                        event = v.to_owned();
                    } else if let Some(v) = line.strip_prefix("id: ") {
                        id = Some(v.to_owned());
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data.push_str(v);
                    }
                }
                if data.is_empty() {
                    continue; // a comment (": open", ": heartbeat")
                }
                return Sse { event, id, data: serde_json::from_str(&data).unwrap() };
            }
            let chunk = tokio::time::timeout(READ_DEADLINE, self.response.chunk())
                .await
                .expect("an SSE event arrives in time")
                .expect("the stream reads")
                .expect("the stream is still open");
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }
}

fn encoded(pattern: &Value) -> String {
    url::form_urlencoded::byte_serialize(pattern.to_string().as_bytes()).collect()
}

async fn open_tail(app: &TestApp, bus: &str, pattern: Option<&Value>) -> reqwest::Response {
    let query = pattern.map(|p| format!("?pattern={}", encoded(p))).unwrap_or_default();
    app.client.get(format!("{}/v1/buses/{bus}/tail{query}", app.base)).send().await.unwrap()
}

/// A bus `orders` whose contract `orders@OrderPlaced` refuses orders without a total,
/// with a rule routing every `orders` event to a queue.
async fn enforcing_bus(app: &TestApp) {
    app.create_registry("shop").await;
    app.register("shop", "orders@OrderPlaced", order_schema()).await;
    let bus = json!({"name": "orders", "validation": {"mode": "enforce", "registry": "shop"}});
    assert_eq!(app.post("/v1/buses", bus).await.status, 201);
    app.create_queue("billing", 30).await;
    app.route_to_queue("orders", "all-orders", json!({"source": ["orders"]}), "billing").await;
}

#[tokio::test]
async fn the_tail_streams_accepted_and_refused_events_that_match_its_pattern() {
    let app = spawn_app().await;
    enforcing_bus(&app).await;
    let response = open_tail(&app, "orders", Some(&json!({"source": ["orders"]}))).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert_eq!(response.headers()["cache-control"], "no-cache");
    let mut tail = SseReader { response, buffer: String::new() };

    // Not matching the pattern (and refused: no contract): never sent.
    app.put_events("orders", json!([entry("shipping", "Parcel Sent", json!({"n": 1}))])).await;
    let put = app
        .put_events(
            "orders",
            json!([
                entry("orders", "Order Placed", json!({"orderId": "o-1", "total": 10})),
                entry("orders", "Order Placed", json!({"orderId": "o-2", "total": -1})),
            ]),
        )
        .await;
    let accepted_id = put["entries"][0]["eventId"].as_str().unwrap().to_owned();

    let accepted = tail.next().await;
    assert_eq!(accepted.event, "accepted", "{accepted:?}");
    let data = &accepted.data;
    assert_eq!(data["outcome"], "accepted");
    assert_eq!(data["eventId"], accepted_id.as_str());
    assert_eq!(data["source"], "orders");
    assert_eq!(data["detailType"], "Order Placed");
    assert_eq!(data["rulesMatched"], json!(["all-orders"]));
    assert_eq!(data["event"]["detail"]["orderId"], "o-1");
    let trace = data["trace"].as_str().unwrap();
    assert_eq!(trace, format!("/v1/buses/orders/events/{accepted_id}/trace"));
    let trace = app.get(trace).await;
    assert_eq!(trace.status, 200, "{}", trace.body);
    assert_eq!(trace.body["rulesMatched"], json!(["all-orders"]));

    let refused = tail.next().await;
    assert_eq!(refused.event, "refused", "{refused:?}");
    let data = &refused.data;
    assert_eq!(data["errorCode"], "SchemaValidationFailed");
    assert_eq!(data["pointer"], "/total");
    assert_eq!(data["errors"][0]["instancePath"], "/total");
    assert_eq!(data["event"]["detail"]["orderId"], "o-2");
    assert!(data.get("trace").is_none(), "a refused event has no trace: {data}");
    let (first, second) = (accepted.id.unwrap(), refused.id.unwrap());
    assert!(second.parse::<u64>().unwrap() > first.parse::<u64>().unwrap());
}

#[tokio::test]
async fn without_a_pattern_the_tail_also_shows_entries_that_never_became_events() {
    let app = spawn_app().await;
    let mut tail = SseReader { response: open_tail(&app, "default", None).await, buffer: String::new() };
    app.put_events("default", json!([{"source": "s", "detail": {"a": 1}}])).await;
    let refused = tail.next().await;
    assert_eq!(refused.event, "refused");
    assert_eq!(refused.data["source"], "s");
    assert!(refused.data.get("eventId").is_none(), "{}", refused.data);
    assert!(refused.data["errorCode"].is_string());
}

#[tokio::test]
async fn a_bad_pattern_or_an_unknown_bus_is_refused_before_the_stream_starts() {
    let app = spawn_app().await;
    let reply = app.get(&format!("/v1/buses/default/tail?pattern={}", encoded(&json!({"source": []})))).await;
    reply.assert_error(400, "invalid_pattern");
    app.get("/v1/buses/default/tail?pattern=%7Bnot-json").await.assert_error(400, "invalid_pattern");
    app.get("/v1/buses/nope/tail").await.assert_error(404, "bus_not_found");
    app.get("/v1/buses/default/tail?other=1").await.assert_error(400, "invalid_parameter");
}

#[tokio::test]
async fn tail_streams_past_the_limit_are_refused_with_retry_after() {
    let app = spawn_app_with(|s| {
        s.http.max_tail_streams = 1;
        // One request slot: an open stream must not keep it.
        s.http.max_inflight_requests = 1;
    })
    .await;
    let first = open_tail(&app, "default", None).await;
    assert_eq!(first.status(), 200);
    let second = open_tail(&app, "default", None).await;
    assert_eq!(second.status(), 503);
    assert_eq!(second.headers()["retry-after"], "1");
    let body: Value = second.json().await.unwrap();
    assert_eq!(body["code"], "overloaded");
    assert_eq!(body["details"]["limit"], "tail streams");
    // An open stream holds no in-flight slot: the one slot still serves other requests.
    assert_eq!(app.get("/v1/buses").await.status, 200);
    // Closing the stream frees its slot (the server notices the client left).
    drop(first);
    let deadline = tokio::time::Instant::now() + READ_DEADLINE;
    loop {
        // The server learns the client left when it next writes to the stream.
        app.put_events("default", json!([entry("s", "Tick", json!({}))])).await;
        let again = open_tail(&app, "default", None).await;
        if again.status() == 200 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the slot was never freed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[test]
fn streams_end_cleanly_when_the_service_stops() {
    use std::io::Read as _;
    let dir = tempfile::tempdir().unwrap();
    let service = crate::helpers::ServiceProcess::start(dir.path());
    // The blocking client's default read timeout (30 s) is the deadline.
    let mut response = reqwest::blocking::Client::new()
        .get(format!("{}/v1/buses/default/tail", service.base))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut opening = [0u8; 8];
    response.read_exact(&mut opening).unwrap();
    assert_eq!(&opening, b": open\n\n");
    let stopped = std::thread::spawn(move || service.terminate());
    // The body completes (the chunked encoding's last chunk) rather than being cut when the
    // graceful shutdown gives up on the connection.
    let mut rest = Vec::new();
    response.read_to_end(&mut rest).expect("the stream ends cleanly, not cut");
    stopped.join().unwrap();
}
