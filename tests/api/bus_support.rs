//! Helpers shared by the bus tests.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp};

impl TestApp {
    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(Method::PUT, path, Some(body)).await
    }

    /// Creates a queue with a visibility timeout, asserting success.
    pub async fn create_queue(&self, name: &str, visibility: u32) {
        let reply =
            self.put(&format!("/v1/queues/{name}"), json!({"visibilityTimeoutSeconds": visibility})).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }

    /// Puts a rule sending matches of `pattern` on `bus` to `queue`.
    pub async fn route_to_queue(&self, bus: &str, rule: &str, pattern: Value, queue: &str) {
        let reply = self
            .put(
                &format!("/v1/buses/{bus}/rules/{rule}"),
                json!({"pattern": pattern, "state": "ENABLED", "targets": [{"id": "t1", "type": "queue", "queue": queue}]}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }

    /// PutEvents, asserting a 200.
    pub async fn put_events(&self, bus: &str, entries: Value) -> Value {
        let reply = self.post(&format!("/v1/buses/{bus}/events"), json!({ "entries": entries })).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body
    }

    /// Receives up to `max` messages without waiting.
    pub async fn receive(&self, queue: &str, max: usize, visibility: Option<u32>) -> Vec<Value> {
        let mut body = json!({"maxMessages": max});
        if let Some(v) = visibility {
            body["visibilityTimeoutSeconds"] = json!(v);
        }
        let reply = self.post(&format!("/v1/queues/{queue}/receive"), body).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["messages"].as_array().unwrap().clone()
    }

    /// Receives and acknowledges everything in the queue, returning the bodies.
    pub async fn drain(&self, queue: &str) -> Vec<Value> {
        let mut bodies = Vec::new();
        loop {
            let messages = self.receive(queue, 100, None).await;
            if messages.is_empty() {
                return bodies;
            }
            let handles: Vec<_> = messages.iter().map(|m| m["receiptHandle"].clone()).collect();
            let reply =
                self.post(&format!("/v1/queues/{queue}/ack"), json!({"receiptHandles": handles})).await;
            assert_eq!(reply.status, 200);
            bodies.extend(messages.into_iter().map(|m| m["body"].clone()));
        }
    }
}

pub fn entry(source: &str, detail_type: &str, detail: Value) -> Value {
    json!({"source": source, "detailType": detail_type, "detail": detail})
}

pub fn order_schema() -> Value {
    json!({
        "type": "object",
        "required": ["orderId", "total"],
        "properties": {"orderId": {"type": "string"}, "total": {"type": "number", "minimum": 0}}
    })
}
