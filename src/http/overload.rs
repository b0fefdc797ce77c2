//! Load shedding and slow-client limits (docs/RELIABILITY.md#overload). Past
//! `--max-inflight-requests` a request is answered `503 overloaded` with `Retry-After` at
//! once, never queued: memory stays bounded by the limits, and the clients the service
//! can serve keep being served. Long polls have their own, smaller budget so they cannot
//! take every slot. Request bodies must arrive within `--body-read-timeout-ms` (a client
//! trickling a body holds no slot for longer), and headers stay under
//! `--max-header-bytes`. The probes and `/metrics` are never shed, so an orchestrator
//! sees a busy service as alive.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};
use futures_util::StreamExt;
use serde_json::json;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::HttpLimits;
use crate::error::{ApiError, Code};

/// Paths never shed: liveness and readiness probes, and the metrics that show the load.
pub(crate) const NEVER_SHED: &[&str] = &["/healthz", "/readyz", "/metrics"];

/// The budgets shared by every worker.
#[derive(Debug)]
pub struct Overload {
    inflight: Arc<Semaphore>,
    long_polls: Arc<Semaphore>,
    tail_streams: Arc<Semaphore>,
    retry_after: u64,
    max_header_bytes: usize,
    body_timeout: Duration,
}

impl Overload {
    /// The budgets of `limits`.
    pub fn new(limits: &HttpLimits) -> Self {
        Self {
            inflight: Arc::new(Semaphore::new(limits.max_inflight_requests)),
            long_polls: Arc::new(Semaphore::new(limits.max_long_polls)),
            tail_streams: Arc::new(Semaphore::new(limits.max_tail_streams)),
            retry_after: limits.overload_retry_after_seconds,
            max_header_bytes: limits.max_header_bytes,
            body_timeout: Duration::from_millis(limits.body_read_timeout_ms),
        }
    }

    fn overloaded(&self, what: &str) -> ApiError {
        ApiError::new(
            Code::Overloaded,
            format!(
                "The service is serving as many {what} as it is configured to. Hint: retry after {} s; an operator can raise the limit (docs/RELIABILITY.md#overload).",
                self.retry_after
            ),
        )
        .with_details(json!({"retryAfterSeconds": self.retry_after, "limit": what}))
    }

    /// A slot for one long poll, or `overloaded` when every slot is taken.
    ///
    /// # Errors
    /// `overloaded`.
    pub fn long_poll(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.long_polls.clone().try_acquire_owned().map_err(|_| {
            ::metrics::counter!("schemabus_shed_requests_total", "limit" => "long_polls").increment(1);
            self.overloaded("long polls")
        })
    }

    /// A slot for one live-tail stream, held until the stream ends, or `overloaded`
    /// when `--max-tail-streams` are open. A stream holds no in-flight slot: the `shed` middleware
    /// releases that once the response head is ready, and a stream's body is an async
    /// stream that occupies no worker while it waits.
    ///
    /// # Errors
    /// `overloaded`.
    pub fn tail_stream(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.tail_streams.clone().try_acquire_owned().map_err(|_| {
            ::metrics::counter!("schemabus_shed_requests_total", "limit" => "tail_streams").increment(1);
            self.overloaded("tail streams")
        })
    }
}

/// The middleware.
pub(crate) async fn shed<B: MessageBody + 'static>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let Some(overload) = req.app_data::<web::Data<Overload>>().cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    if NEVER_SHED.contains(&req.path()) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let header_bytes: usize = req.headers().iter().map(|(k, v)| k.as_str().len() + v.len()).sum();
    if header_bytes > overload.max_header_bytes {
        let e = ApiError::new(
            Code::HeadersTooLarge,
            format!(
                "The request's headers are {header_bytes} bytes; at most {} are accepted. Hint: send fewer or shorter headers.",
                overload.max_header_bytes
            ),
        )
        .with_details(json!({"limit": overload.max_header_bytes}));
        return Ok(req.into_response(e.error_response()).map_into_right_body());
    }
    let Ok(permit) = overload.inflight.clone().try_acquire_owned() else {
        ::metrics::counter!("schemabus_shed_requests_total", "limit" => "inflight").increment(1);
        let e = overload.overloaded("requests at once");
        return Ok(req.into_response(e.error_response()).map_into_right_body());
    };
    let payload = actix_web::HttpMessage::take_payload(&mut req);
    req.set_payload(with_deadline(payload, overload.body_timeout));
    let res = next.call(req).await;
    drop(permit);
    Ok(res?.map_into_left_body())
}

/// The body, failing with a timed-out I/O error once `timeout` has passed since the
/// request started (the extractors answer `408 request_timeout`).
fn with_deadline(payload: Payload, timeout: Duration) -> Payload {
    let deadline = tokio::time::Instant::now() + timeout;
    let stream = futures_util::stream::unfold(Some(payload), move |state| async move {
        let mut payload = state?;
        match tokio::time::timeout_at(deadline, payload.next()).await {
            Ok(Some(item)) => Some((item, Some(payload))),
            Ok(None) => None,
            Err(_) => {
                let e = io::Error::new(io::ErrorKind::TimedOut, "the request body did not arrive in time");
                Some((Err(PayloadError::Io(e)), None))
            }
        }
    });
    let boxed: std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<web::Bytes, PayloadError>>>> =
        Box::pin(stream);
    Payload::from(boxed)
}
