//! `/v1/queues`: durable pull queues: settings, receive (long poll) and ack.

use actix_web::{HttpResponse, delete, get, post, put, web};

use super::buses::PrefixQuery;
use super::error::HandlerResult;
use super::extract::ApiJson;
use crate::bus::requests::{
    AckRequest, AckResponse, PutQueueRequest, QueueList, QueueView, ReceiveRequest, ReceiveResponse,
    SendRequest, SendResponse,
};
use crate::bus::{BusService, NewMessage};
use crate::error::ErrorBody;
use crate::model::QueueRecord;

/// Create a queue or replace its settings.
///
/// Messages already in the queue are kept. `maxReceiveCount` and `deadLetterQueue` go
/// together: a message received that many times without ack moves to the dead-letter queue.
#[utoipa::path(
    tag = "queues",
    operation_id = "putQueue",
    params(("queue" = String, Path, description = "Queue name")),
    request_body = PutQueueRequest,
    responses(
        (status = 200, description = "The queue's settings.", body = QueueRecord, links(
            ("GetQueue" = (operation_id = "getQueue", parameters(("queue" = "$response.body#/name")))),
            ("ReceiveMessages" = (operation_id = "receiveMessages", parameters(("queue" = "$response.body#/name")))),
        )),
        (status = 400, description = "Malformed body, invalid name or out-of-range value.", body = ErrorBody),
        (status = 404, description = "The dead-letter queue does not exist.", body = ErrorBody),
    )
)]
#[put("/queues/{queue}")]
pub(crate) async fn put_queue(
    service: web::Data<BusService>,
    path: web::Path<String>,
    ApiJson(request): ApiJson<PutQueueRequest>,
) -> HandlerResult<web::Json<QueueRecord>> {
    Ok(web::Json(service.queues().put(&path, request).await?))
}

/// List queues.
///
/// Every queue (optionally only names starting with `prefix`) with its depth and
/// in-flight count.
#[utoipa::path(
    tag = "queues",
    operation_id = "listQueues",
    params(PrefixQuery),
    responses(
        (status = 200, description = "All queues.", body = QueueList),
        (status = 400, description = "Unknown query parameter.", body = ErrorBody),
    )
)]
#[get("/queues")]
pub(crate) async fn list_queues(
    service: web::Data<BusService>,
    query: web::Query<PrefixQuery>,
) -> web::Json<QueueList> {
    web::Json(service.queues().list(query.prefix.as_deref().unwrap_or("")))
}

/// Get a queue.
///
/// Settings, `depth` (messages ready) and `inFlight` (received, not yet acknowledged).
#[utoipa::path(
    tag = "queues",
    operation_id = "getQueue",
    params(("queue" = String, Path, description = "Queue name")),
    responses(
        (status = 200, description = "The queue.", body = QueueView),
        (status = 400, description = "Invalid name.", body = ErrorBody),
        (status = 404, description = "No such queue (`queue_not_found`).", body = ErrorBody),
    )
)]
#[get("/queues/{queue}")]
pub(crate) async fn get_queue(
    service: web::Data<BusService>,
    path: web::Path<String>,
) -> HandlerResult<web::Json<QueueView>> {
    Ok(web::Json(service.queues().view(&path)?))
}

/// Delete a queue.
///
/// Deletes its messages; rules still targeting it drop those deliveries (counted in
/// `schemabus_deliveries_dropped_total`).
#[utoipa::path(
    tag = "queues",
    operation_id = "deleteQueue",
    params(("queue" = String, Path, description = "Queue name")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "Invalid name.", body = ErrorBody),
        (status = 404, description = "No such queue.", body = ErrorBody),
    )
)]
#[delete("/queues/{queue}")]
pub(crate) async fn delete_queue(
    service: web::Data<BusService>,
    path: web::Path<String>,
) -> HandlerResult<HttpResponse> {
    service.queues().delete(&path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Receive messages.
///
/// Up to `maxMessages` (≤ `--max-receive-messages`, default and most 100) messages, waiting up to `waitSeconds` (≤ 20) for the first.
/// Each stays invisible for the visibility timeout; acknowledge it with its
/// `receiptHandle` or it comes back.
#[utoipa::path(
    tag = "queues",
    operation_id = "receiveMessages",
    params(("queue" = String, Path, description = "Queue name")),
    request_body = ReceiveRequest,
    responses(
        (status = 200, description = "Zero or more messages.", body = ReceiveResponse),
        (status = 400, description = "Malformed body or out-of-range value.", body = ErrorBody),
        (status = 404, description = "No such queue.", body = ErrorBody),
        (status = 503, description = "Every long-poll slot is taken (`overloaded`, with `Retry-After`).", body = ErrorBody),
    )
)]
#[post("/queues/{queue}/receive")]
pub(crate) async fn receive(
    service: web::Data<BusService>,
    path: web::Path<String>,
    overload: web::Data<crate::http::overload::Overload>,
    ApiJson(request): ApiJson<ReceiveRequest>,
) -> HandlerResult<web::Json<ReceiveResponse>> {
    // `--max-receive-messages` may lower the queues' own ceiling of 100.
    let limit = service.settings().max_receive_messages;
    if request.max_messages.is_some_and(|m| m > limit) {
        return Err(crate::error::ApiError::new(
            crate::error::Code::InvalidRequest,
            format!("maxMessages is between 1 and {limit}. Hint: receive in batches."),
        )
        .with_details(serde_json::json!({"pointer": "/maxMessages", "limit": limit})));
    }
    // A long poll holds a slot of its own budget for as long as it waits (without
    // `waitSeconds`, the queue's `receiveWaitSeconds`).
    let wait = match request.wait_seconds {
        Some(w) => w,
        None => service.queues().get(&path).map_or(0, |q| u64::from(q.receive_wait_seconds)),
    };
    let _slot = if wait > 0 { Some(overload.long_poll()?) } else { None };
    Ok(web::Json(service.queues().receive(&path, request).await?))
}

/// Acknowledge messages.
///
/// Deletes the messages of these receipt handles; handles of an earlier receive of a
/// message that came back since delete nothing.
#[utoipa::path(
    tag = "queues",
    operation_id = "ackMessages",
    params(("queue" = String, Path, description = "Queue name")),
    request_body = AckRequest,
    responses(
        (status = 200, description = "How many were deleted.", body = AckResponse),
        (status = 400, description = "Malformed body.", body = ErrorBody),
        (status = 404, description = "No such queue.", body = ErrorBody),
    )
)]
#[post("/queues/{queue}/ack")]
pub(crate) async fn ack(
    service: web::Data<BusService>,
    path: web::Path<String>,
    ApiJson(request): ApiJson<AckRequest>,
) -> HandlerResult<web::Json<AckResponse>> {
    Ok(web::Json(service.queues().ack(&path, request).await?))
}

/// Send messages.
///
/// Adds 1 to 10 messages to the queue directly, with optional delays and typed
/// attributes; all or none, durable before the answer. Events should go through a bus
/// (validated, routed); this is for admins (tests, moving messages by hand) and is what
/// SQS SendMessage translates to.
#[utoipa::path(
    tag = "queues",
    operation_id = "sendMessages",
    params(("queue" = String, Path, description = "Queue name")),
    request_body = SendRequest,
    responses(
        (status = 200, description = "The ids of the messages.", body = SendResponse),
        (status = 400, description = "Malformed body, too many messages, bad attribute, delay or size.", body = ErrorBody),
        (status = 404, description = "No such queue.", body = ErrorBody),
    )
)]
#[post("/queues/{queue}/messages")]
pub(crate) async fn send(
    service: web::Data<BusService>,
    path: web::Path<String>,
    ApiJson(request): ApiJson<SendRequest>,
) -> HandlerResult<web::Json<SendResponse>> {
    let messages: Vec<NewMessage> = request
        .messages
        .into_iter()
        .map(|m| NewMessage {
            body: m.body.get().as_bytes().to_vec(),
            delay_seconds: m.delay_seconds,
            attributes: m.message_attributes,
        })
        .collect();
    let message_ids = service.queues().send(&path, &messages).await?;
    Ok(web::Json(SendResponse { message_ids }))
}
