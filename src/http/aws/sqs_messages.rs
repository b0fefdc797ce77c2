//! SQS message operations translated onto the native queues: SendMessage is the native
//! send, ReceiveMessage the native (long-polling) receive, DeleteMessage the native ack,
//! ChangeMessageVisibility the native visibility change. The batch forms check SQS's
//! batch rules (`aws::sqs::check_batch`) and answer per entry. Digests come from the
//! pure `aws::sqs_md5`.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::sqs::{ACK, Ctx, RECEIVE, SEND, invalid, missing, queue_error, queue_name};
use super::{AwsError, AwsResult};
use crate::aws::sqs::{check_batch, wanted, wire};
use crate::aws::sqs_md5;
use crate::bus::requests::{AckRequest, MessageAttribute, ReceiveRequest};
use crate::bus::{Delivered, NewMessage, Queues};
use crate::storage::VisibilityChange;

/// Most messages of one ReceiveMessage, as SQS.
const MAX_RECEIVE: i64 = 10;

fn batch_error((kind, message): (&'static str, String)) -> AwsError {
    AwsError::new(kind, message)
}

/// A per-entry failure of a batch.
fn failed(id: &str, e: &AwsError) -> Value {
    json!({"Id": id, "SenderFault": e.status < 500, "Code": wire(&e.kind).code, "Message": e.message})
}

fn batch_answer(successful: Vec<Value>, failed: Vec<Value>) -> Value {
    json!({"Successful": successful, "Failed": failed})
}

// ---- SendMessage -----------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttributeIn {
    data_type: Option<String>,
    string_value: Option<String>,
    binary_value: Option<String>,
    string_list_values: Option<Value>,
    binary_list_values: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SendIn {
    queue_url: Option<String>,
    id: Option<String>,
    message_body: Option<String>,
    delay_seconds: Option<u32>,
    #[serde(default)]
    message_attributes: BTreeMap<String, AttributeIn>,
    message_deduplication_id: Option<String>,
    message_group_id: Option<String>,
}

/// An SQS message as a native one.
fn new_message(input: SendIn) -> AwsResult<NewMessage> {
    if input.message_deduplication_id.is_some() || input.message_group_id.is_some() {
        return Err(invalid(
            "MessageDeduplicationId and MessageGroupId are for FIFO queues, which schemabus does not have.",
        ));
    }
    let body = input.message_body.ok_or_else(|| missing("MessageBody"))?;
    let mut attributes = BTreeMap::new();
    for (name, a) in input.message_attributes {
        if a.string_list_values.is_some() || a.binary_list_values.is_some() {
            return Err(invalid(format!(
                "Message attribute {name}: list values are not implemented (as in SQS)."
            )));
        }
        let data_type = a.data_type.ok_or_else(|| {
            invalid(format!("The message attribute '{name}' must contain a non-empty attribute type."))
        })?;
        attributes.insert(
            name,
            MessageAttribute { data_type, string_value: a.string_value, binary_value: a.binary_value },
        );
    }
    Ok(NewMessage { body: body.into_bytes(), delay_seconds: input.delay_seconds, attributes })
}

/// `MD5OfMessageAttributes` of typed attributes (None when there are none).
fn attributes_md5(attributes: &BTreeMap<String, MessageAttribute>) -> Option<String> {
    let decoded: Vec<(&str, &str, Vec<u8>)> = attributes
        .iter()
        .map(|(n, a)| {
            let bytes = match (&a.string_value, &a.binary_value) {
                (Some(s), _) => s.as_bytes().to_vec(),
                (None, Some(b)) => base64::engine::general_purpose::STANDARD.decode(b).unwrap_or_default(),
                (None, None) => Vec::new(),
            };
            (n.as_str(), a.data_type.as_str(), bytes)
        })
        .collect();
    let triples: Vec<(&str, &str, sqs_md5::Value<'_>)> = decoded
        .iter()
        .map(|(n, t, b)| {
            let v = if t.starts_with("Binary") {
                sqs_md5::Value::Bytes(b)
            } else {
                sqs_md5::Value::Text(std::str::from_utf8(b).unwrap_or_default())
            };
            (*n, *t, v)
        })
        .collect();
    sqs_md5::attributes(&triples)
}

fn sent(id: &str, m: &NewMessage) -> Value {
    let mut out = json!({"MessageId": id, "MD5OfMessageBody": sqs_md5::body(&m.body)});
    if let Some(md5) = attributes_md5(&m.attributes) {
        out["MD5OfMessageAttributes"] = Value::String(md5);
    }
    out
}

pub(crate) async fn send_message(ctx: &Ctx<'_>, input: SendIn) -> AwsResult<Value> {
    let name = queue_name(ctx, input.queue_url.as_deref())?.to_owned();
    ctx.caller.allow("POST", SEND, Some(&name))?;
    let message = new_message(input)?;
    let ids = ctx.bus.queues().send(&name, std::slice::from_ref(&message)).await.map_err(queue_error)?;
    Ok(sent(ids.first().map_or("", String::as_str), &message))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SendBatchIn {
    queue_url: Option<String>,
    entries: Option<Vec<SendIn>>,
}

pub(crate) async fn send_message_batch(ctx: &Ctx<'_>, input: SendBatchIn) -> AwsResult<Value> {
    let name = queue_name(ctx, input.queue_url.as_deref())?.to_owned();
    ctx.caller.allow("POST", SEND, Some(&name))?;
    let entries = input.entries.ok_or_else(|| missing("Entries"))?;
    let ids: Vec<String> = entries.iter().map(|e| e.id.clone().unwrap_or_default()).collect();
    check_batch(&ids.iter().map(String::as_str).collect::<Vec<_>>()).map_err(batch_error)?;
    let total: usize = entries.iter().map(|e| e.message_body.as_ref().map_or(0, String::len)).sum();
    if total > crate::bus::MAX_MESSAGE_BYTES {
        return Err(AwsError::new(
            "BatchRequestTooLong",
            format!(
                "Batch requested message too long: {total} bytes, at most {}.",
                crate::bus::MAX_MESSAGE_BYTES
            ),
        ));
    }
    ctx.bus.queues().get(&name).map_err(queue_error)?;
    let mut messages = Vec::new();
    let mut failures = Vec::new();
    for (id, entry) in ids.iter().zip(entries) {
        match new_message(entry) {
            Ok(m) => messages.push((id.clone(), m)),
            Err(e) => failures.push(failed(id, &e)),
        }
    }
    let mut successful = Vec::new();
    let all: Vec<NewMessage> = messages.iter().map(|(_, m)| m.clone()).collect();
    // One durable write for the batch; when a message fails the native checks, each is
    // sent alone so the others go through and the failure is reported for its entry.
    match ctx.bus.queues().send(&name, &all).await {
        Ok(sent_ids) => {
            for ((id, m), mid) in messages.iter().zip(sent_ids) {
                let mut out = sent(&mid, m);
                out["Id"] = Value::String(id.clone());
                successful.push(out);
            }
        }
        Err(e) if e.code == crate::error::Code::InvalidRequest => {
            for (id, m) in &messages {
                match ctx.bus.queues().send(&name, std::slice::from_ref(m)).await {
                    Ok(mid) => {
                        let mut out = sent(mid.first().map_or("", String::as_str), m);
                        out["Id"] = Value::String(id.clone());
                        successful.push(out);
                    }
                    Err(e) => failures.push(failed(id, &queue_error(e))),
                }
            }
        }
        Err(e) => return Err(queue_error(e)),
    }
    Ok(batch_answer(successful, failures))
}

// ---- ReceiveMessage --------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ReceiveIn {
    queue_url: Option<String>,
    #[serde(default)]
    attribute_names: Vec<String>,
    #[serde(default)]
    message_system_attribute_names: Vec<String>,
    #[serde(default)]
    message_attribute_names: Vec<String>,
    max_number_of_messages: Option<i64>,
    visibility_timeout: Option<i64>,
    wait_time_seconds: Option<i64>,
}

fn seconds(name: &str, value: Option<i64>) -> AwsResult<Option<u32>> {
    value
        .map(|v| {
            u32::try_from(v).map_err(|_| {
                invalid(format!("Value {v} for parameter {name} is invalid. Reason: must be 0 or more."))
            })
        })
        .transpose()
}

/// The system attributes of a received message, as asked for.
fn system_attributes(ctx: &Ctx<'_>, names: &[String], m: &Delivered) -> Map<String, Value> {
    let all = names.iter().any(|n| n == "All");
    let want = |n: &str| all || names.iter().any(|x| x == n);
    let mut out = Map::new();
    let mut put = |n: &str, v: String| {
        if want(n) {
            out.insert(n.to_owned(), Value::String(v));
        }
    };
    put("ApproximateReceiveCount", m.receive_count.to_string());
    put("SentTimestamp", m.sent_at.to_string());
    put("ApproximateFirstReceiveTimestamp", m.first_received_at.to_string());
    put("SenderId", ctx.arns.account.clone());
    out
}

fn message_view(ctx: &Ctx<'_>, system: &[String], names: &[String], m: Delivered) -> Value {
    let body = String::from_utf8_lossy(&m.body).into_owned();
    let mut out = json!({
        "MessageId": m.message_id,
        "ReceiptHandle": m.receipt_handle,
        "MD5OfBody": sqs_md5::body(body.as_bytes()),
        "Body": body,
    });
    let attributes = system_attributes(ctx, system, &m);
    if !attributes.is_empty() {
        out["Attributes"] = Value::Object(attributes);
    }
    let chosen: BTreeMap<String, MessageAttribute> =
        m.message_attributes.into_iter().filter(|(n, _)| wanted(names, n)).collect();
    if let Some(md5) = attributes_md5(&chosen) {
        out["MD5OfMessageAttributes"] = Value::String(md5);
        let typed: Map<String, Value> = chosen
            .into_iter()
            .map(|(n, a)| {
                let mut v = json!({"DataType": a.data_type});
                if let Some(s) = a.string_value {
                    v["StringValue"] = Value::String(s);
                }
                if let Some(b) = a.binary_value {
                    v["BinaryValue"] = Value::String(b);
                }
                (n, v)
            })
            .collect();
        out["MessageAttributes"] = Value::Object(typed);
    }
    out
}

pub(crate) async fn receive_message(ctx: &Ctx<'_>, input: ReceiveIn) -> AwsResult<Value> {
    let name = queue_name(ctx, input.queue_url.as_deref())?.to_owned();
    ctx.caller.allow("POST", RECEIVE, Some(&name))?;
    let max = match input.max_number_of_messages {
        None => 1,
        Some(n @ 1..=MAX_RECEIVE) => usize::try_from(n).unwrap_or(1),
        Some(n) => {
            return Err(invalid(format!(
                "Value {n} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and {MAX_RECEIVE}, if provided."
            )));
        }
    };
    let queue = ctx.bus.queues().get(&name).map_err(queue_error)?;
    let wait = seconds("WaitTimeSeconds", input.wait_time_seconds)?;
    let visibility = seconds("VisibilityTimeout", input.visibility_timeout)?;
    // A long poll holds a slot of the shared budget for as long as it waits.
    let _slot = match (wait.unwrap_or(queue.receive_wait_seconds), ctx.overload) {
        (w, Some(o)) if w > 0 => Some(o.long_poll()?),
        _ => None,
    };
    let request = ReceiveRequest {
        max_messages: Some(max.min(ctx.bus.settings().max_receive_messages.max(1))),
        wait_seconds: wait.map(u64::from),
        visibility_timeout_seconds: visibility,
    };
    let received = ctx.bus.queues().receive_messages(&name, request).await.map_err(queue_error)?;
    let mut system = input.attribute_names;
    system.extend(input.message_system_attribute_names);
    let messages: Vec<Value> =
        received.into_iter().map(|m| message_view(ctx, &system, &input.message_attribute_names, m)).collect();
    if messages.is_empty() {
        return Ok(json!({}));
    }
    Ok(json!({"Messages": messages}))
}

// ---- DeleteMessage, ChangeMessageVisibility --------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct HandleIn {
    queue_url: Option<String>,
    id: Option<String>,
    receipt_handle: Option<String>,
    visibility_timeout: Option<i64>,
    entries: Option<Vec<HandleIn>>,
}

fn handle_of(name: &str, entry: &HandleIn) -> AwsResult<String> {
    let handle = entry.receipt_handle.clone().ok_or_else(|| missing("ReceiptHandle"))?;
    if !Queues::wellformed_handle(name, &handle) {
        return Err(AwsError::new(
            "ReceiptHandleIsInvalid",
            format!("The input receipt handle \"{handle}\" is not a valid receipt handle."),
        ));
    }
    Ok(handle)
}

fn entries(input: &mut HandleIn) -> AwsResult<Vec<HandleIn>> {
    let entries = input.entries.take().ok_or_else(|| missing("Entries"))?;
    let ids: Vec<&str> = entries.iter().map(|e| e.id.as_deref().unwrap_or_default()).collect();
    check_batch(&ids).map_err(batch_error)?;
    Ok(entries)
}

async fn ack(ctx: &Ctx<'_>, name: &str, handles: Vec<String>) -> AwsResult<()> {
    // A stale handle (the message was received again or deleted) deletes nothing and
    // succeeds, as SQS.
    ctx.bus.queues().ack(name, AckRequest { receipt_handles: handles }).await.map_err(queue_error)?;
    Ok(())
}

pub(crate) async fn delete_message(ctx: &Ctx<'_>, input: HandleIn) -> AwsResult<Value> {
    let name = queue_name(ctx, input.queue_url.as_deref())?.to_owned();
    ctx.caller.allow("POST", ACK, Some(&name))?;
    ctx.bus.queues().get(&name).map_err(queue_error)?;
    let handle = handle_of(&name, &input)?;
    ack(ctx, &name, vec![handle]).await?;
    Ok(json!({}))
}

pub(crate) async fn delete_message_batch(ctx: &Ctx<'_>, mut input: HandleIn) -> AwsResult<Value> {
    let name = queue_name(ctx, input.queue_url.as_deref())?.to_owned();
    ctx.caller.allow("POST", ACK, Some(&name))?;
    let entries = entries(&mut input)?;
    ctx.bus.queues().get(&name).map_err(queue_error)?;
    let (mut successful, mut failures, mut handles) = (Vec::new(), Vec::new(), Vec::new());
    for e in &entries {
        let id = e.id.clone().unwrap_or_default();
        match handle_of(&name, e) {
            Ok(h) => {
                handles.push(h);
                successful.push(json!({"Id": id}));
            }
            Err(err) => failures.push(failed(&id, &err)),
        }
    }
    if !handles.is_empty() {
        ack(ctx, &name, handles).await?;
    }
    Ok(batch_answer(successful, failures))
}

fn visibility_of(entry: &HandleIn) -> AwsResult<u32> {
    let v = entry.visibility_timeout.ok_or_else(|| missing("VisibilityTimeout"))?;
    u32::try_from(v).ok().filter(|s| *s <= crate::bus::checks::MAX_VISIBILITY).ok_or_else(|| {
        invalid(format!(
            "Value {v} for parameter VisibilityTimeout is invalid. Reason: must be between 0 and {}.",
            crate::bus::checks::MAX_VISIBILITY
        ))
    })
}

fn not_in_flight(handle: &str) -> AwsError {
    AwsError::new("MessageNotInflight", format!("The message of receipt handle {handle} is not in flight."))
}

pub(crate) async fn change_visibility(ctx: &Ctx<'_>, input: HandleIn) -> AwsResult<Value> {
    let name = queue_name(ctx, input.queue_url.as_deref())?.to_owned();
    ctx.caller.allow("POST", ACK, Some(&name))?;
    ctx.bus.queues().get(&name).map_err(queue_error)?;
    let handle = handle_of(&name, &input)?;
    let seconds = visibility_of(&input)?;
    let outcome =
        ctx.bus.queues().change_visibility(&name, &[(handle.clone(), seconds)]).await.map_err(queue_error)?;
    match outcome.first() {
        Some(VisibilityChange::Changed) => Ok(json!({})),
        _ => Err(not_in_flight(&handle)),
    }
}

pub(crate) async fn change_visibility_batch(ctx: &Ctx<'_>, mut input: HandleIn) -> AwsResult<Value> {
    let name = queue_name(ctx, input.queue_url.as_deref())?.to_owned();
    ctx.caller.allow("POST", ACK, Some(&name))?;
    let entries = entries(&mut input)?;
    ctx.bus.queues().get(&name).map_err(queue_error)?;
    let (mut failures, mut changes) = (Vec::new(), Vec::new());
    for e in &entries {
        let id = e.id.clone().unwrap_or_default();
        match handle_of(&name, e).and_then(|h| visibility_of(e).map(|s| (h, s))) {
            Ok(change) => changes.push((id, change)),
            Err(err) => failures.push(failed(&id, &err)),
        }
    }
    let asked: Vec<(String, u32)> = changes.iter().map(|(_, c)| c.clone()).collect();
    let outcomes = ctx.bus.queues().change_visibility(&name, &asked).await.map_err(queue_error)?;
    let mut successful = Vec::new();
    for ((id, (handle, _)), outcome) in changes.iter().zip(outcomes) {
        match outcome {
            VisibilityChange::Changed => successful.push(json!({"Id": id})),
            VisibilityChange::Malformed | VisibilityChange::NotInFlight => {
                failures.push(failed(id, &not_in_flight(handle)));
            }
        }
    }
    Ok(batch_answer(successful, failures))
}
