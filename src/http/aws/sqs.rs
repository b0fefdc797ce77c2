//! SQS queue operations (`AmazonSQS.*`, JSON 1.0) translated onto the native queues
//! (`bus::Queues`): each reads its AWS request shape, checks the grant of the native
//! route it is (`Caller::allow`), calls the same `Queues` method as that route and writes
//! the AWS answer shape. Queue settings are the native ones: SQS attributes are read and
//! written through `PutQueueRequest`. Message operations are in `sqs_messages`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{AwsError, AwsResult, Caller, body, sqs_messages};
use crate::aws::sqs::{parse_redrive, queue_of_url, queue_url, redrive_text};
use crate::aws::{Arns, page};
use crate::bus::BusService;
use crate::bus::requests::PutQueueRequest;
use crate::model::QueueRecord;

/// What an operation works with.
pub(crate) struct Ctx<'a> {
    pub(crate) bus: &'a BusService,
    pub(crate) arns: &'a Arns,
    pub(crate) caller: &'a Caller,
    /// Scheme and host of the request: queue URLs point back at what the client used.
    pub(crate) scheme: &'a str,
    pub(crate) host: &'a str,
    /// The long-poll budget shared with the native listener.
    pub(crate) overload: Option<&'a crate::http::overload::Overload>,
}

/// The operations of the sqs model served (docs/AWS-API.md lists the rest as not yet).
pub(crate) const OPERATIONS: &[&str] = &[
    "CreateQueue",
    "GetQueueUrl",
    "ListQueues",
    "GetQueueAttributes",
    "SetQueueAttributes",
    "DeleteQueue",
    "PurgeQueue",
    "ListDeadLetterSourceQueues",
    "SendMessage",
    "SendMessageBatch",
    "ReceiveMessage",
    "DeleteMessage",
    "DeleteMessageBatch",
    "ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch",
    "ListQueueTags",
    "TagQueue",
    "UntagQueue",
];

pub(crate) const QUEUES: &str = "/v1/queues";
pub(crate) const QUEUE: &str = "/v1/queues/{queue}";
pub(crate) const RECEIVE: &str = "/v1/queues/{queue}/receive";
pub(crate) const ACK: &str = "/v1/queues/{queue}/ack";
pub(crate) const SEND: &str = "/v1/queues/{queue}/messages";

/// The native route an operation is (its grant and whether it is audited).
pub(crate) fn native_route(op: &str) -> Option<(&'static str, &'static str)> {
    Some(match op {
        "CreateQueue" | "SetQueueAttributes" | "TagQueue" | "UntagQueue" => ("PUT", QUEUE),
        "GetQueueUrl" | "GetQueueAttributes" | "ListQueueTags" => ("GET", QUEUE),
        "ListQueues" | "ListDeadLetterSourceQueues" => ("GET", QUEUES),
        "DeleteQueue" | "PurgeQueue" => ("DELETE", QUEUE),
        "SendMessage" | "SendMessageBatch" => ("POST", SEND),
        "ReceiveMessage" => ("POST", RECEIVE),
        // A visibility change is part of consuming, as acknowledging is.
        "DeleteMessage"
        | "DeleteMessageBatch"
        | "ChangeMessageVisibility"
        | "ChangeMessageVisibilityBatch" => ("POST", ACK),
        _ => return None,
    })
}

/// Runs one operation.
pub(crate) async fn call(ctx: &Ctx<'_>, op: &str, bytes: &[u8]) -> AwsResult<Value> {
    match op {
        "CreateQueue" => create_queue(ctx, body(bytes)?).await,
        "GetQueueUrl" => get_queue_url(ctx, body(bytes)?),
        "ListQueues" => list_queues(ctx, body(bytes)?, false),
        "ListDeadLetterSourceQueues" => list_queues(ctx, body(bytes)?, true),
        "GetQueueAttributes" => get_queue_attributes(ctx, body(bytes)?),
        "SetQueueAttributes" => set_queue_attributes(ctx, body(bytes)?).await,
        "DeleteQueue" => delete_queue(ctx, body(bytes)?).await,
        "PurgeQueue" => purge_queue(ctx, body(bytes)?).await,
        "ListQueueTags" => list_queue_tags(ctx, body(bytes)?),
        "TagQueue" | "UntagQueue" => tag_queue(ctx, body(bytes)?).await,
        "SendMessage" => sqs_messages::send_message(ctx, body(bytes)?).await,
        "SendMessageBatch" => sqs_messages::send_message_batch(ctx, body(bytes)?).await,
        "ReceiveMessage" => sqs_messages::receive_message(ctx, body(bytes)?).await,
        "DeleteMessage" => sqs_messages::delete_message(ctx, body(bytes)?).await,
        "DeleteMessageBatch" => sqs_messages::delete_message_batch(ctx, body(bytes)?).await,
        "ChangeMessageVisibility" => sqs_messages::change_visibility(ctx, body(bytes)?).await,
        "ChangeMessageVisibilityBatch" => sqs_messages::change_visibility_batch(ctx, body(bytes)?).await,
        other => Err(AwsError::new(
            "UnknownOperationException",
            format!("The operation {other} is not served (yet); docs/AWS-API.md lists what is."),
        )),
    }
}

/// The queue a write named (for the audit trail).
pub(crate) fn written_queue(arns: &Arns, bytes: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(bytes).ok()?;
    if let Some(name) = v.get("QueueName").and_then(Value::as_str) {
        return Some(name.to_owned());
    }
    let url = v.get("QueueUrl").and_then(Value::as_str)?;
    queue_of_url(url, &arns.account).ok().map(str::to_owned)
}

// ---- helpers ---------------------------------------------------------------------------

pub(crate) fn missing(member: &str) -> AwsError {
    AwsError::new("MissingParameter", format!("The request must contain the parameter {member}."))
}

pub(crate) fn invalid(message: impl Into<String>) -> AwsError {
    AwsError::new("InvalidParameterValue", message)
}

/// The queue of a `QueueUrl` member.
pub(crate) fn queue_name<'a>(ctx: &Ctx<'_>, url: Option<&'a str>) -> AwsResult<&'a str> {
    let url = url.ok_or_else(|| missing("QueueUrl"))?;
    queue_of_url(url, &ctx.arns.account)
        .map_err(|m| AwsError::new("QueueDoesNotExist", format!("The specified queue does not exist. {m}")))
}

impl Ctx<'_> {
    pub(crate) fn url(&self, queue: &str) -> String {
        queue_url(self.scheme, self.host, &self.arns.account, queue)
    }
}

fn epoch_text(rfc3339: &str) -> String {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp().to_string())
        .unwrap_or_default()
}

fn settings_of(q: &QueueRecord) -> PutQueueRequest {
    PutQueueRequest {
        visibility_timeout_seconds: q.visibility_timeout_seconds,
        max_receive_count: q.max_receive_count,
        dead_letter_queue: q.dead_letter_queue.clone(),
        retention_seconds: q.retention_seconds,
        delay_seconds: q.delay_seconds,
        receive_wait_seconds: q.receive_wait_seconds,
        tags: q.tags.clone(),
    }
}

/// The settings of a new queue: the native defaults (the same as SQS's), read from an
/// empty native request so they are defined once.
fn defaults() -> AwsResult<PutQueueRequest> {
    serde_json::from_value(json!({}))
        .map_err(|e| AwsError::new("InternalException", format!("queue defaults: {e}")))
}

/// Attributes SQS has that schemabus does not keep: refused rather than silently dropped,
/// so nobody believes a policy or an encryption key is in force.
const UNSUPPORTED: &[&str] = &[
    "Policy",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
    "RedriveAllowPolicy",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
];

fn number<T: std::str::FromStr>(name: &str, value: &str) -> AwsResult<T> {
    value.trim().parse().map_err(|_| {
        AwsError::new(
            "InvalidAttributeValue",
            format!("Invalid value for the parameter {name}: '{value}' is not a number."),
        )
    })
}

/// Applies SQS attributes onto native settings.
fn apply(
    ctx: &Ctx<'_>,
    settings: &mut PutQueueRequest,
    attributes: &BTreeMap<String, String>,
) -> AwsResult<()> {
    for (name, value) in attributes {
        match name.as_str() {
            "VisibilityTimeout" => settings.visibility_timeout_seconds = number(name, value)?,
            "MessageRetentionPeriod" => settings.retention_seconds = number(name, value)?,
            "DelaySeconds" => settings.delay_seconds = number(name, value)?,
            "ReceiveMessageWaitTimeSeconds" => settings.receive_wait_seconds = number(name, value)?,
            // Fixed at SQS's default and most: accepted when it says so.
            "MaximumMessageSize" if number::<usize>(name, value)? == crate::bus::MAX_MESSAGE_BYTES => {}
            "MaximumMessageSize" => {
                return Err(AwsError::new(
                    "InvalidAttributeValue",
                    format!("MaximumMessageSize is fixed at {} in schemabus.", crate::bus::MAX_MESSAGE_BYTES),
                ));
            }
            "FifoQueue" if value == "false" => {}
            "FifoQueue" => {
                return Err(AwsError::new(
                    "InvalidAttributeValue",
                    "FIFO queues are not supported by schemabus.",
                ));
            }
            "RedrivePolicy" => {
                let redrive =
                    parse_redrive(ctx.arns, value).map_err(|m| AwsError::new("InvalidAttributeValue", m))?;
                settings.max_receive_count = redrive.as_ref().map(|r| r.max_receive_count);
                settings.dead_letter_queue = redrive.map(|r| r.queue);
            }
            n if UNSUPPORTED.contains(&n) => {
                return Err(AwsError::new(
                    "InvalidAttributeName",
                    format!("The attribute {n} is not supported by schemabus (docs/AWS-API.md#sqs)."),
                ));
            }
            n => return Err(AwsError::new("InvalidAttributeName", format!("Unknown Attribute {n}."))),
        }
    }
    Ok(())
}

/// Stores settings through the native `put`, its range errors named as SQS does.
async fn store(ctx: &Ctx<'_>, name: &str, settings: PutQueueRequest) -> AwsResult<QueueRecord> {
    ctx.bus.queues().put(name, settings).await.map_err(settings_error)
}

/// [`store`] for a new queue only; `None` when the name was taken meanwhile.
async fn create(ctx: &Ctx<'_>, name: &str, settings: PutQueueRequest) -> AwsResult<Option<QueueRecord>> {
    ctx.bus.queues().create(name, settings).await.map_err(settings_error)
}

fn settings_error(e: crate::error::ApiError) -> AwsError {
    let not_found = e.code == crate::error::Code::QueueNotFound;
    let aws: AwsError = e.into();
    if not_found {
        // The named dead-letter queue does not exist.
        AwsError::new("InvalidAttributeValue", format!("RedrivePolicy: {}", aws.message))
    } else if aws.kind == "ValidationException" {
        AwsError::new("InvalidAttributeValue", aws.message)
    } else {
        aws
    }
}

// ---- operations ------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateQueueIn {
    queue_name: Option<String>,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    #[serde(default, rename = "tags")]
    tags: BTreeMap<String, String>,
}

async fn create_queue(ctx: &Ctx<'_>, input: CreateQueueIn) -> AwsResult<Value> {
    let name = input.queue_name.ok_or_else(|| missing("QueueName"))?;
    ctx.caller.allow("PUT", QUEUE, Some(&name))?;
    if name.ends_with(".fifo") {
        return Err(AwsError::new("InvalidAttributeValue", "FIFO queues are not supported by schemabus."));
    }
    match ctx.bus.queues().get(&name) {
        Ok(existing) => same_attributes(ctx, &existing, &input.attributes)?,
        Err(e) if e.code == crate::error::Code::QueueNotFound => {
            let mut settings = defaults()?;
            apply(ctx, &mut settings, &input.attributes)?;
            // Tags are set when the queue is made; an existing queue keeps its own (as SQS).
            settings.tags = input.tags;
            if create(ctx, &name, settings).await?.is_none() {
                // Created meanwhile, through another instance or request: as if it existed.
                let existing = ctx.bus.queues().get(&name).map_err(AwsError::from)?;
                same_attributes(ctx, &existing, &input.attributes)?;
            }
        }
        Err(e) => return Err(invalid(AwsError::from(e).message)),
    }
    Ok(json!({"QueueUrl": ctx.url(&name)}))
}

/// CreateQueue of an existing queue is idempotent when the attributes given are what the
/// queue has.
fn same_attributes(
    ctx: &Ctx<'_>,
    existing: &QueueRecord,
    attributes: &BTreeMap<String, String>,
) -> AwsResult<()> {
    let current = settings_of(existing);
    let mut wanted = current.clone();
    apply(ctx, &mut wanted, attributes)?;
    let differ = changed(&current, &wanted);
    if differ.is_empty() {
        return Ok(());
    }
    Err(AwsError::new(
        "QueueNameExists",
        format!("A queue already exists with the same name and a different value for attribute(s) {differ}."),
    ))
}

fn changed(a: &PutQueueRequest, b: &PutQueueRequest) -> String {
    let mut names = Vec::new();
    if a.visibility_timeout_seconds != b.visibility_timeout_seconds {
        names.push("VisibilityTimeout");
    }
    if a.retention_seconds != b.retention_seconds {
        names.push("MessageRetentionPeriod");
    }
    if a.delay_seconds != b.delay_seconds {
        names.push("DelaySeconds");
    }
    if a.receive_wait_seconds != b.receive_wait_seconds {
        names.push("ReceiveMessageWaitTimeSeconds");
    }
    if a.max_receive_count != b.max_receive_count || a.dead_letter_queue != b.dead_letter_queue {
        names.push("RedrivePolicy");
    }
    names.join(", ")
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetQueueUrlIn {
    queue_name: Option<String>,
    #[serde(rename = "QueueOwnerAWSAccountId")]
    owner: Option<String>,
}

fn get_queue_url(ctx: &Ctx<'_>, input: GetQueueUrlIn) -> AwsResult<Value> {
    let name = input.queue_name.ok_or_else(|| missing("QueueName"))?;
    ctx.caller.allow("GET", QUEUE, Some(&name))?;
    if input.owner.is_some_and(|o| o != ctx.arns.account) {
        return Err(AwsError::new("QueueDoesNotExist", "The specified queue does not exist."));
    }
    ctx.bus.queues().get(&name).map_err(queue_error)?;
    Ok(json!({"QueueUrl": ctx.url(&name)}))
}

/// A native error of looking a queue up, in SQS's words.
pub(crate) fn queue_error(e: crate::error::ApiError) -> AwsError {
    if e.code == crate::error::Code::QueueNotFound {
        AwsError::new("QueueDoesNotExist", "The specified queue does not exist.")
    } else if e.code == crate::error::Code::InvalidName {
        // An SQS client names queues in URLs; one that cannot exist does not exist.
        AwsError::new(
            "QueueDoesNotExist",
            format!("The specified queue does not exist. {}", AwsError::from(e).message),
        )
    } else {
        e.into()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListIn {
    queue_name_prefix: Option<String>,
    queue_url: Option<String>,
    next_token: Option<String>,
    max_results: Option<i64>,
}

fn list_queues(ctx: &Ctx<'_>, input: ListIn, dead_letter_sources: bool) -> AwsResult<Value> {
    let limit = match input.max_results {
        None => 1000,
        Some(n @ 1..=1000) => usize::try_from(n).unwrap_or(1000),
        Some(n) => {
            return Err(invalid(format!(
                "Value {n} for parameter MaxResults is invalid. Reason: must be between 1 and 1000."
            )));
        }
    };
    let mut items = if dead_letter_sources {
        let target = queue_name(ctx, input.queue_url.as_deref())?;
        ctx.caller.allow("GET", QUEUES, None)?;
        ctx.bus.queues().get(target).map_err(queue_error)?;
        let mut all = ctx.bus.queues().list("").items;
        all.retain(|v| v.queue.dead_letter_queue.as_deref() == Some(target));
        all
    } else {
        ctx.caller.allow("GET", QUEUES, None)?;
        ctx.bus.queues().list(input.queue_name_prefix.as_deref().unwrap_or("")).items
    };
    items.sort_by(|a, b| a.queue.name.cmp(&b.queue.name));
    // Paging only when MaxResults is given, as SQS.
    let (items, token) = if input.max_results.is_some() {
        page(items, |v| &v.queue.name, input.next_token.as_deref(), limit).map_err(invalid)?
    } else {
        (items, None)
    };
    let urls: Vec<String> = items.iter().map(|v| ctx.url(&v.queue.name)).collect();
    // The members as the model names them; SQS omits an empty QueueUrls.
    let mut out = json!({});
    if dead_letter_sources {
        out["queueUrls"] = json!(urls);
    } else if !urls.is_empty() {
        out["QueueUrls"] = json!(urls);
    }
    if let Some(t) = token {
        out["NextToken"] = Value::String(t);
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttributesIn {
    queue_url: Option<String>,
    #[serde(default)]
    attribute_names: Vec<String>,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

/// Every queue attribute GetQueueAttributes answers (`All`).
const READABLE: &[&str] = &[
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "DelaySeconds",
    "LastModifiedTimestamp",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "QueueArn",
    "ReceiveMessageWaitTimeSeconds",
    "RedrivePolicy",
    "VisibilityTimeout",
];

fn get_queue_attributes(ctx: &Ctx<'_>, input: AttributesIn) -> AwsResult<Value> {
    let name = queue_name(ctx, input.queue_url.as_deref())?;
    ctx.caller.allow("GET", QUEUE, Some(name))?;
    let view = ctx.bus.queues().view(name).map_err(queue_error)?;
    let q = &view.queue;
    let mut out = serde_json::Map::new();
    for asked in &input.attribute_names {
        let names: Vec<&str> = if asked == "All" { READABLE.to_vec() } else { vec![asked.as_str()] };
        for n in names {
            let value = match n {
                "ApproximateNumberOfMessages" => view.depth.to_string(),
                // Delayed messages are counted as not visible (docs/AWS-API.md#sqs).
                "ApproximateNumberOfMessagesNotVisible" => view.in_flight.to_string(),
                "ApproximateNumberOfMessagesDelayed" => "0".to_owned(),
                "CreatedTimestamp" => epoch_text(&q.created_at),
                "LastModifiedTimestamp" => epoch_text(&q.updated_at),
                "DelaySeconds" => q.delay_seconds.to_string(),
                "MaximumMessageSize" => crate::bus::MAX_MESSAGE_BYTES.to_string(),
                "MessageRetentionPeriod" => q.retention_seconds.to_string(),
                "QueueArn" => ctx.arns.queue(&q.name),
                "ReceiveMessageWaitTimeSeconds" => q.receive_wait_seconds.to_string(),
                "VisibilityTimeout" => q.visibility_timeout_seconds.to_string(),
                "RedrivePolicy" => match (&q.dead_letter_queue, q.max_receive_count) {
                    (Some(dlq), Some(max)) => redrive_text(ctx.arns, dlq, max),
                    _ => continue,
                },
                // Attributes of the model schemabus does not keep: not answered.
                other if UNSUPPORTED.contains(&other) || other == "FifoQueue" => continue,
                other => {
                    return Err(AwsError::new("InvalidAttributeName", format!("Unknown Attribute {other}.")));
                }
            };
            out.insert(n.to_owned(), Value::String(value));
        }
    }
    if out.is_empty() {
        return Ok(json!({}));
    }
    Ok(json!({"Attributes": out}))
}

async fn set_queue_attributes(ctx: &Ctx<'_>, input: AttributesIn) -> AwsResult<Value> {
    let name = queue_name(ctx, input.queue_url.as_deref())?;
    ctx.caller.allow("PUT", QUEUE, Some(name))?;
    let existing = ctx.bus.queues().get(name).map_err(queue_error)?;
    let mut settings = settings_of(&existing);
    apply(ctx, &mut settings, &input.attributes)?;
    // Read-modify-write of the settings: two concurrent calls may lose one's change.
    store(ctx, name, settings).await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct QueueIn {
    queue_url: Option<String>,
}

async fn delete_queue(ctx: &Ctx<'_>, input: QueueIn) -> AwsResult<Value> {
    let name = queue_name(ctx, input.queue_url.as_deref())?;
    ctx.caller.allow("DELETE", QUEUE, Some(name))?;
    ctx.bus.queues().delete(name).await.map_err(queue_error)?;
    Ok(json!({}))
}

async fn purge_queue(ctx: &Ctx<'_>, input: QueueIn) -> AwsResult<Value> {
    let name = queue_name(ctx, input.queue_url.as_deref())?;
    ctx.caller.allow("DELETE", QUEUE, Some(name))?;
    ctx.bus.queues().purge(name).await.map_err(queue_error)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagsIn {
    queue_url: Option<String>,
    tags: Option<BTreeMap<String, String>>,
    tag_keys: Option<Vec<String>>,
}

fn list_queue_tags(ctx: &Ctx<'_>, input: QueueIn) -> AwsResult<Value> {
    let name = queue_name(ctx, input.queue_url.as_deref())?;
    ctx.caller.allow("GET", QUEUE, Some(name))?;
    let q = ctx.bus.queues().get(name).map_err(queue_error)?;
    if q.tags.is_empty() {
        return Ok(json!({}));
    }
    Ok(json!({"Tags": q.tags}))
}

/// TagQueue (adds or replaces `Tags`) and UntagQueue (removes `TagKeys`): a change of the
/// native settings' `tags`.
async fn tag_queue(ctx: &Ctx<'_>, input: TagsIn) -> AwsResult<Value> {
    let name = queue_name(ctx, input.queue_url.as_deref())?;
    ctx.caller.allow("PUT", QUEUE, Some(name))?;
    let existing = ctx.bus.queues().get(name).map_err(queue_error)?;
    let mut settings = settings_of(&existing);
    match (input.tags, input.tag_keys) {
        (Some(tags), None) => settings.tags.extend(tags),
        (None, Some(keys)) => settings.tags.retain(|k, _| !keys.contains(k)),
        (None, None) => return Err(missing("Tags")),
        (Some(_), Some(_)) => return Err(invalid("Give Tags (TagQueue) or TagKeys (UntagQueue), not both.")),
    }
    store(ctx, name, settings)
        .await
        .map_err(|e| if e.kind == "InvalidAttributeValue" { invalid(e.message) } else { e })?;
    Ok(json!({}))
}
