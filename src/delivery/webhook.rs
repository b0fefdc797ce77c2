//! One webhook request and the classification of its result: 2xx delivered; 429, 5xx,
//! time-outs and connection failures retried; other statuses (and refused addresses)
//! not retried.

use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;

use super::address_policy::{AddressPolicy, Refused};
use super::backoff::{RetryAfter, parse_retry_after};
use super::signature;
use crate::model::{WebhookAuth, WebhookMethod, WebhookTarget};
use crate::transform::Payload;

/// Default request timeout, as EventBridge API destinations.
pub const DEFAULT_TIMEOUT_MS: u64 = 5000;

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Acknowledged (2xx).
    Delivered,
    /// Failed; try again (after at least `retry_after`, when the endpoint said so).
    Retry {
        /// `THROTTLING`, `SERVER_ERROR`, `TIMEOUT`, `CONNECTION_FAILED`, `REQUEST_FAILED`.
        code: &'static str,
        /// What happened.
        message: String,
        /// What `Retry-After` asked for.
        retry_after: Option<Duration>,
    },
    /// Failed; retrying cannot help.
    Fail {
        /// `CLIENT_ERROR`, `BLOCKED_ADDRESS`, `INVALID_URL`, `RETRY_REFUSED`.
        code: &'static str,
        /// What happened.
        message: String,
    },
}

/// The result of one attempt.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Classification.
    pub verdict: Verdict,
    /// HTTP status, when the endpoint answered.
    pub status: Option<u16>,
    /// Request duration.
    pub elapsed: Duration,
}

/// What identifies the request to the receiver.
#[derive(Debug, Clone, Copy)]
pub struct RequestIds<'a> {
    /// Event id.
    pub event_id: &'a str,
    /// Stable id of this delivery (event, rule, target, replay): the idempotency key.
    pub delivery_id: &'a str,
    /// Attempt number, from 1.
    pub attempt: u32,
}

/// Sends `payload` to the target.
pub async fn send(
    client: &reqwest::Client,
    policy: &AddressPolicy,
    target: &WebhookTarget,
    payload: Payload,
    ids: RequestIds<'_>,
) -> Outcome {
    let started = Instant::now();
    let done = |verdict, status| Outcome { verdict, status, elapsed: started.elapsed() };
    let url = match reqwest::Url::parse(&target.url) {
        Ok(u) => u,
        Err(e) => return done(Verdict::Fail { code: "INVALID_URL", message: e.to_string() }, None),
    };
    if let Err(reason) = check_literal_host(policy, &url) {
        return done(Verdict::Fail { code: "BLOCKED_ADDRESS", message: reason }, None);
    }
    let (body, content_type) = match payload {
        Payload::Json(bytes) => (bytes, "application/json; charset=utf-8"),
        Payload::Text(text) => (text.into_bytes(), "text/plain; charset=utf-8"),
    };
    let method = match target.method {
        WebhookMethod::Post => reqwest::Method::POST,
        WebhookMethod::Put => reqwest::Method::PUT,
        WebhookMethod::Patch => reqwest::Method::PATCH,
    };
    let mut request = client
        .request(method, url)
        .timeout(Duration::from_millis(target.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS)))
        .header("content-type", content_type)
        .header("user-agent", concat!("schemabus-webhook/", env!("CARGO_PKG_VERSION")))
        .header("schemabus-event-id", ids.event_id)
        .header("schemabus-delivery-id", ids.delivery_id)
        .header("idempotency-key", ids.delivery_id)
        .header("schemabus-attempt", ids.attempt.to_string());
    for (name, value) in &target.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    request = match &target.auth {
        None => request,
        Some(WebhookAuth::Basic { username, password }) => request.header(
            "authorization",
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
            ),
        ),
        Some(WebhookAuth::Bearer { token }) => request.header("authorization", format!("Bearer {token}")),
        Some(WebhookAuth::ApiKey { header, value }) => request.header(header.as_str(), value.as_str()),
    };
    if let Some(secret) = &target.secret {
        let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_secs();
        request = request.header(signature::HEADER, signature::sign(secret, now, &body));
    }
    let response = match request.body(body).send().await {
        Ok(r) => r,
        Err(e) => return done(classify_error(&e), None),
    };
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()));
    let verdict = if response.status().is_success() {
        Verdict::Delivered
    } else {
        let text = response.text().await.unwrap_or_default();
        let excerpt: String = text.chars().take(200).collect();
        let message = format!("HTTP {status}: {excerpt}");
        match (status, retry_after) {
            (429 | 500..=599, Some(RetryAfter::Stop)) => {
                Verdict::Fail { code: "RETRY_REFUSED", message: format!("{message} (negative Retry-After)") }
            }
            (429, wait) => Verdict::Retry { code: "THROTTLING", message, retry_after: wait_of(wait) },
            (500..=599, wait) => Verdict::Retry { code: "SERVER_ERROR", message, retry_after: wait_of(wait) },
            _ => Verdict::Fail { code: "CLIENT_ERROR", message },
        }
    };
    done(verdict, Some(status))
}

fn wait_of(retry_after: Option<RetryAfter>) -> Option<Duration> {
    match retry_after {
        Some(RetryAfter::Wait(d)) => Some(d),
        _ => None,
    }
}

/// Refuses IP-literal URLs the policy forbids (names are checked by the resolver).
///
/// # Errors
/// The policy's reason.
pub fn check_literal_host(policy: &AddressPolicy, url: &reqwest::Url) -> Result<(), String> {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => policy.check(ip.into()),
        Some(url::Host::Ipv6(ip)) => policy.check(ip.into()),
        Some(url::Host::Domain(_)) => Ok(()),
        None => Err("the URL has no host".to_owned()),
    }
}

fn classify_error(error: &reqwest::Error) -> Verdict {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Verdict::Fail { code: "BLOCKED_ADDRESS", message: refused.to_string() };
        }
        source = e.source();
    }
    let message = chain(error);
    if error.is_timeout() {
        Verdict::Retry { code: "TIMEOUT", message, retry_after: None }
    } else if error.is_connect() {
        Verdict::Retry { code: "CONNECTION_FAILED", message, retry_after: None }
    } else {
        Verdict::Retry { code: "REQUEST_FAILED", message, retry_after: None }
    }
}

fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}
