//! Messages sent to a queue directly (not routed from a bus), changes of visibility and
//! purges: what SQS clients need beyond receive and ack, served natively by
//! `POST /v1/queues/{queue}/messages` and translated by the SQS front end.
//!
//! A message's attributes are one JSON object in storage: string values are the
//! service's own attributes (dead-letter metadata), object values the sender's typed
//! attributes, so messages stored before typed attributes existed read unchanged.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::Queues;
use super::checks::{MAX_DELAY, MAX_VISIBILITY};
use super::requests::MessageAttribute;
use crate::error::{ApiError, ApiResult, Code};
use crate::model::now_ms;
use crate::storage::{Outgoing, ReceivedMessage, VisibilityChange};

/// Most messages in one send.
pub const MAX_SEND: usize = 10;
/// Largest message: body and attributes together (bytes), as SQS.
pub const MAX_MESSAGE_BYTES: usize = 262_144;
/// Most typed attributes on one message, as SQS.
pub const MAX_ATTRIBUTES: usize = 10;

/// A message to send.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// The body, stored as given.
    pub body: Vec<u8>,
    /// Seconds before it can be received (default: the queue's delay).
    pub delay_seconds: Option<u32>,
    /// Typed attributes.
    pub attributes: BTreeMap<String, MessageAttribute>,
}

/// A received message with its attributes decoded.
#[derive(Debug, Clone)]
pub struct Delivered {
    /// Stable id.
    pub message_id: String,
    /// Handle of this receive.
    pub receipt_handle: String,
    /// Receives so far, this one included.
    pub receive_count: u32,
    /// The body as stored.
    pub body: Vec<u8>,
    /// The service's attributes (dead-letter metadata).
    pub attributes: BTreeMap<String, String>,
    /// The sender's typed attributes.
    pub message_attributes: BTreeMap<String, MessageAttribute>,
    /// Enqueued at (ms since the epoch).
    pub sent_at: u64,
    /// First received at (ms since the epoch).
    pub first_received_at: u64,
}

impl From<ReceivedMessage> for Delivered {
    fn from(m: ReceivedMessage) -> Self {
        let mut attributes = BTreeMap::new();
        let mut message_attributes = BTreeMap::new();
        let stored: Map<String, Value> =
            m.attributes.and_then(|a| serde_json::from_slice(&a).ok()).unwrap_or_default();
        for (name, value) in stored {
            match value {
                Value::String(s) => {
                    attributes.insert(name, s);
                }
                other => {
                    if let Ok(typed) = serde_json::from_value(other) {
                        message_attributes.insert(name, typed);
                    }
                }
            }
        }
        Self {
            message_id: m.message_id,
            receipt_handle: m.receipt_handle,
            receive_count: m.receive_count,
            body: m.body,
            attributes,
            message_attributes,
            sent_at: m.sent_at,
            first_received_at: m.first_received_at,
        }
    }
}

fn bad(pointer: String, message: String) -> ApiError {
    ApiError::new(Code::InvalidRequest, message).with_details(json!({ "pointer": pointer }))
}

/// Checks one attribute (SQS's rules) and returns its size in bytes (name, type, value).
fn check_attribute(at: &str, name: &str, a: &MessageAttribute) -> ApiResult<usize> {
    let name_ok = !name.is_empty()
        && name.len() <= 256
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
        && !name.starts_with('.')
        && !name.ends_with('.')
        && !name.contains("..")
        && !name.to_ascii_lowercase().starts_with("aws.")
        && !name.to_ascii_lowercase().starts_with("amazon.");
    if !name_ok {
        return Err(bad(
            at.to_owned(),
            format!(
                "Message attribute name '{name}' is invalid. Hint: up to 256 of [A-Za-z0-9_.-], no leading, trailing or double '.', no 'AWS.' or 'Amazon.' prefix."
            ),
        ));
    }
    let base = a.data_type.split_once('.').map_or(a.data_type.as_str(), |(b, _)| b);
    let value_len = match (base, &a.string_value, &a.binary_value) {
        ("String", Some(s), None) => s.len(),
        ("Number", Some(s), None) if s.trim().parse::<f64>().is_ok_and(f64::is_finite) => s.len(),
        ("Binary", None, Some(b)) => base64::engine::general_purpose::STANDARD
            .decode(b)
            .map_err(|_| bad(format!("{at}/binaryValue"), format!("Message attribute '{name}': binaryValue is not base64. Hint: encode the bytes in base64.")))?
            .len(),
        _ => {
            return Err(bad(
                at.to_owned(),
                format!("Message attribute '{name}' of type '{}' needs a stringValue (String, Number: a number) or a binaryValue (Binary), not both. Hint: dataType is String, Number or Binary, optionally with a .label.", a.data_type),
            ));
        }
    };
    if a.data_type.len() > 256 {
        return Err(bad(
            format!("{at}/dataType"),
            format!(
                "Message attribute '{name}': dataType is at most 256 characters. Hint: use a shorter label."
            ),
        ));
    }
    Ok(name.len() + a.data_type.len() + value_len)
}

/// Checks a message; its encoded attributes, if any.
fn check_message(i: usize, m: &NewMessage) -> ApiResult<Option<Vec<u8>>> {
    if m.body.is_empty() {
        return Err(bad(
            format!("/messages/{i}/body"),
            "A message body is not empty. Hint: send at least one character.".into(),
        ));
    }
    if m.delay_seconds.is_some_and(|d| d > MAX_DELAY) {
        return Err(bad(
            format!("/messages/{i}/delaySeconds"),
            format!("delaySeconds is at most {MAX_DELAY}. Hint: use a shorter delay."),
        ));
    }
    if m.attributes.len() > MAX_ATTRIBUTES {
        return Err(bad(
            format!("/messages/{i}/messageAttributes"),
            format!("A message has at most {MAX_ATTRIBUTES} attributes. Hint: put the rest in the body."),
        ));
    }
    let mut size = m.body.len();
    for (name, a) in &m.attributes {
        size += check_attribute(&format!("/messages/{i}/messageAttributes/{name}"), name, a)?;
    }
    if size > MAX_MESSAGE_BYTES {
        return Err(bad(
            format!("/messages/{i}"),
            format!(
                "A message with its attributes is at most {MAX_MESSAGE_BYTES} bytes; this one is {size}. Hint: store large payloads elsewhere and send a reference."
            ),
        ));
    }
    if m.attributes.is_empty() {
        return Ok(None);
    }
    let map: Map<String, Value> = m
        .attributes
        .iter()
        .map(|(n, a)| (n.clone(), serde_json::to_value(a).unwrap_or(Value::Null)))
        .collect();
    Ok(Some(serde_json::to_vec(&map).unwrap_or_default()))
}

impl Queues {
    /// Sends 1 to 10 messages; durable before the answer. Returns their ids in order.
    /// All or none: a message that fails its checks fails the call.
    ///
    /// # Errors
    /// `queue_not_found`, `invalid_request` (empty body, delay, attributes, size, count).
    pub async fn send(&self, name: &str, messages: &[NewMessage]) -> ApiResult<Vec<String>> {
        let queue = self.get(name)?;
        if messages.is_empty() || messages.len() > MAX_SEND {
            return Err(bad(
                "/messages".into(),
                format!("A send has 1 to {MAX_SEND} messages. Hint: send in batches."),
            ));
        }
        let encoded =
            messages.iter().enumerate().map(|(i, m)| check_message(i, m)).collect::<ApiResult<Vec<_>>>()?;
        let now = now_ms();
        let rows: Vec<Outgoing<'_>> = messages
            .iter()
            .zip(&encoded)
            .map(|(m, a)| Outgoing {
                seq: self.store.next_seq(),
                visible_at: now + u64::from(m.delay_seconds.unwrap_or(queue.delay_seconds)) * 1000,
                body: m.body.as_slice(),
                attributes: a.as_deref(),
            })
            .collect();
        self.store.enqueue_all(name, &rows, now)?;
        self.store.flush().await?;
        self.notify(&[name.to_owned()]);
        Ok(rows.iter().map(|r| format!("{:016x}", r.seq)).collect())
    }

    /// Sets the visibility timeout of received messages `(receipt handle, seconds from
    /// now)`: 0 makes a message visible at once. One outcome per handle, in order.
    ///
    /// # Errors
    /// `queue_not_found`, `invalid_request` (more than 12 hours), storage failures.
    pub async fn change_visibility(
        &self,
        name: &str,
        changes: &[(String, u32)],
    ) -> ApiResult<Vec<VisibilityChange>> {
        self.get(name)?;
        if let Some(i) = changes.iter().position(|(_, s)| *s > MAX_VISIBILITY) {
            return Err(bad(
                format!("/{i}/visibilityTimeoutSeconds"),
                format!("visibilityTimeoutSeconds is at most {MAX_VISIBILITY}. Hint: use a shorter timeout."),
            ));
        }
        let now = now_ms();
        let at: Vec<(String, u64)> =
            changes.iter().map(|(h, s)| (h.clone(), now + u64::from(*s) * 1000)).collect();
        let outcomes = self.store.change_visibility(name, &at, now)?;
        self.store.flush().await?;
        // A message made visible now may be what a long poll waits for.
        if changes.iter().any(|(_, s)| *s == 0) {
            self.notify(&[name.to_owned()]);
        }
        Ok(outcomes)
    }

    /// Whether `handle` is shaped as a receipt handle of queue `name` (stale or not).
    pub fn wellformed_handle(name: &str, handle: &str) -> bool {
        crate::storage::wellformed_handle(name, handle)
    }

    /// Deletes every message of a queue, keeping its settings.
    ///
    /// # Errors
    /// `queue_not_found`, storage failures.
    pub async fn purge(&self, name: &str) -> ApiResult<()> {
        self.get(name)?;
        self.store.purge_queue(name)?;
        self.store.flush().await?;
        Ok(())
    }
}
