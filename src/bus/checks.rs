//! Checks of bus, queue and rule bodies that depend on nothing stored. The service runs
//! them on every write and `schemabus check` runs the same functions offline, so a
//! project that checks is a body the service accepts, except for what needs state (a
//! dead-letter queue that must exist, the webhook address policy, limits an operator
//! changed from their defaults).

use serde_json::json;

use super::requests::{PutQueueRequest, PutRuleRequest};
use crate::error::{ApiError, ApiResult, Code};
use crate::model::{
    Binding, BindingVersion, RegistryName, SchemaName, Target, ValidationConfig, ValidationMode, WebhookAuth,
    WebhookTarget,
};
use crate::pattern::Pattern;
use crate::transform::Transformation;

/// Longest description of a bus or rule, in characters.
pub const MAX_DESCRIPTION: usize = 512;
/// Longest queue visibility timeout, in seconds (12 hours, as SQS).
pub const MAX_VISIBILITY: u32 = 43_200;
/// Longest queue retention, in seconds (14 days, as SQS).
pub const MAX_RETENTION: u64 = 14 * 24 * 3600;
/// Longest delay of a new message (seconds), as SQS.
pub const MAX_DELAY: u32 = 900;
/// Longest long poll (seconds), as SQS.
pub const MAX_WAIT: u32 = 20;
/// Most tags of a queue, as SQS.
pub const MAX_TAGS: usize = 50;

fn bad(pointer: impl Into<String>, message: String) -> ApiError {
    ApiError::new(Code::InvalidRequest, message).with_details(json!({ "pointer": pointer.into() }))
}

/// A description within [`MAX_DESCRIPTION`].
///
/// # Errors
/// `invalid_request` at `/description`.
pub fn description(description: Option<&str>) -> ApiResult<()> {
    match description {
        Some(d) if d.chars().count() > MAX_DESCRIPTION => Err(bad(
            "/description",
            format!("description is longer than {MAX_DESCRIPTION} characters. Hint: shorten it."),
        )),
        _ => Ok(()),
    }
}

/// A bus's validation settings and bindings.
///
/// # Errors
/// `invalid_name` (registry, schema), `invalid_request` with a pointer.
pub fn bus_fields(validation: Option<&ValidationConfig>, bindings: Option<&[Binding]>) -> ApiResult<()> {
    if let Some(v) = validation {
        match &v.registry {
            Some(r) => {
                RegistryName::parse(r)?;
            }
            None if v.mode != ValidationMode::Off => {
                return Err(bad(
                    "/validation/registry",
                    "validation.registry is required unless validation.mode is off. Hint: name the registry holding this bus's contracts.".into(),
                ));
            }
            None => {}
        }
    }
    for (i, b) in bindings.unwrap_or_default().iter().enumerate() {
        SchemaName::parse(&b.schema)?;
        if let Some(r) = &b.registry {
            RegistryName::parse(r)?;
        }
        if b.source.is_empty() || b.detail_type.is_empty() {
            return Err(bad(
                format!("/bindings/{i}"),
                format!("bindings[{i}] needs a source and a detailType. Hint: name the event type it binds."),
            ));
        }
        if b.version == BindingVersion::Number(0) {
            return Err(bad(
                format!("/bindings/{i}/version"),
                format!(
                    "bindings[{i}] names version 0; versions start at 1. Hint: give a version number from 1, or \"latest\"."
                ),
            ));
        }
    }
    Ok(())
}

/// A queue's settings: ranges and the redrive pair (not whether the dead-letter queue
/// exists).
///
/// # Errors
/// `invalid_request` with a pointer.
pub fn queue_settings(name: &str, request: &PutQueueRequest) -> ApiResult<()> {
    if request.visibility_timeout_seconds > MAX_VISIBILITY {
        return Err(bad(
            "/visibilityTimeoutSeconds",
            format!("visibilityTimeoutSeconds is at most {MAX_VISIBILITY}. Hint: use a shorter timeout."),
        ));
    }
    if request.retention_seconds < 60 || request.retention_seconds > MAX_RETENTION {
        return Err(bad(
            "/retentionSeconds",
            format!("retentionSeconds is between 60 and {MAX_RETENTION}. Hint: pick a value in range."),
        ));
    }
    if request.delay_seconds > MAX_DELAY {
        return Err(bad(
            "/delaySeconds",
            format!("delaySeconds is at most {MAX_DELAY}. Hint: use a shorter delay."),
        ));
    }
    if request.receive_wait_seconds > MAX_WAIT {
        return Err(bad(
            "/receiveWaitSeconds",
            format!("receiveWaitSeconds is at most {MAX_WAIT}. Hint: poll again instead."),
        ));
    }
    if request.tags.len() > MAX_TAGS {
        return Err(bad("/tags", format!("A queue has at most {MAX_TAGS} tags. Hint: remove some.")));
    }
    if let Some((k, _)) =
        request.tags.iter().find(|(k, v)| k.is_empty() || k.chars().count() > 128 || v.chars().count() > 256)
    {
        return Err(bad(
            format!("/tags/{k}"),
            "A tag key has 1 to 128 characters and its value at most 256. Hint: shorten it.".into(),
        ));
    }
    match (&request.max_receive_count, &request.dead_letter_queue) {
        (Some(0), _) => {
            Err(bad("/maxReceiveCount", "maxReceiveCount is at least 1. Hint: use 1 or more.".into()))
        }
        (Some(_), None) | (None, Some(_)) => Err(bad(
            "/deadLetterQueue",
            "maxReceiveCount and deadLetterQueue go together. Hint: set both, or neither.".into(),
        )),
        (_, Some(dlq)) if dlq == name => Err(bad(
            "/deadLetterQueue",
            "A queue cannot be its own dead-letter queue. Hint: name another queue.".into(),
        )),
        _ => Ok(()),
    }
}

/// Limits of a rule the operator can change (`--max-pattern-chars`,
/// `--max-targets-per-rule`).
#[derive(Debug, Clone, Copy)]
pub struct RuleLimits {
    pub max_pattern_chars: usize,
    pub max_targets: usize,
}

impl Default for RuleLimits {
    fn default() -> Self {
        let s = crate::config::BusSettings::default();
        Self { max_pattern_chars: s.max_pattern_chars, max_targets: s.max_targets_per_rule }
    }
}

/// A rule's parsed pattern and schedule (each optional; one at least).
#[derive(Debug)]
pub struct CheckedRule {
    /// The pattern, when the rule has one.
    pub pattern: Option<Pattern>,
    /// The schedule, when the rule has one.
    pub schedule: Option<crate::schedule::Schedule>,
}

/// A rule's description, pattern, schedule and target count; answers them parsed.
///
/// # Errors
/// `invalid_pattern`, `invalid_schedule`, `invalid_request` with a pointer.
pub fn rule(request: &PutRuleRequest, limits: RuleLimits) -> ApiResult<CheckedRule> {
    description(request.description.as_deref())?;
    let schedule = request.schedule.as_deref().map(schedule).transpose()?;
    let pattern = match &request.pattern {
        Some(p) => Some(pattern(p, limits)?),
        None if schedule.is_some() => None,
        None => {
            return Err(bad(
                "/pattern",
                "A rule needs a pattern, a schedule, or both (EventBridge: Parameter(s) EventPattern or ScheduleExpression must be specified.). Hint: add \"pattern\": {...} or \"schedule\": \"rate(5 minutes)\".".into(),
            ));
        }
    };
    if request.targets.len() > limits.max_targets {
        return Err(bad(
            "/targets",
            format!(
                "A rule has at most {} targets; this one has {}. Hint: split it into several rules.",
                limits.max_targets,
                request.targets.len()
            ),
        ));
    }
    Ok(CheckedRule { pattern, schedule })
}

fn pattern(value: &serde_json::Value, limits: RuleLimits) -> ApiResult<Pattern> {
    let chars = value.to_string().chars().count();
    if chars > limits.max_pattern_chars {
        return Err(ApiError::new(
            Code::InvalidPattern,
            format!(
                "{}Event pattern is longer than {} characters. Hint: split it into several rules, or raise --max-pattern-chars.",
                crate::pattern::ERROR_PREFIX,
                limits.max_pattern_chars
            ),
        )
        .with_details(json!({"pointer": "/pattern", "limit": limits.max_pattern_chars})));
    }
    Pattern::parse(value).map_err(|e| {
        ApiError::new(
            Code::InvalidPattern,
            format!("{e}. Hint: see docs/PATTERNS.md for the pattern language."),
        )
        .with_details(json!({"pointer": "/pattern", "reason": e.to_string()}))
    })
}

/// A schedule expression. The message starts with EventBridge's words (what the AWS
/// front end answers); the hint says what is wrong.
///
/// # Errors
/// `invalid_schedule` at `/schedule`.
pub fn schedule(text: &str) -> ApiResult<crate::schedule::Schedule> {
    crate::schedule::parse(text).map_err(|e| {
        ApiError::new(
            Code::InvalidSchedule,
            format!(
                "{} Hint: {}; write rate(5 minutes) or cron(0 12 * * ? *) (docs/DELIVERY.md#scheduled-rules).",
                crate::schedule::ScheduleError::MESSAGE,
                e.reason
            ),
        )
        .with_details(json!({"pointer": "/schedule", "reason": e.reason}))
    })
}

/// Schedules run on the `default` bus only, as EventBridge's.
///
/// # Errors
/// `invalid_schedule` at `/schedule`.
pub fn schedule_bus(bus: &str, request: &PutRuleRequest) -> ApiResult<()> {
    if request.schedule.is_some() && bus != crate::model::DEFAULT_BUS {
        return Err(ApiError::new(
            Code::InvalidSchedule,
            "ScheduleExpression is supported only on the default event bus. Hint: put scheduled rules on the bus 'default' and target another bus from them.",
        )
        .with_details(json!({"pointer": "/schedule"})));
    }
    Ok(())
}

/// One target's fields (`at`: its pointer, `/targets/{i}`): input options compile, and a
/// webhook's URL, ranges and headers are well formed.
///
/// # Errors
/// `invalid_transformer`, `invalid_request` with a pointer.
pub fn target(target: &Target, at: &str) -> ApiResult<()> {
    if let Target::Bus { input, input_path, input_transformer, .. } = target
        && (input.is_some() || input_path.is_some() || input_transformer.is_some())
    {
        return Err(ApiError::new(
            Code::InvalidTransformer,
            "A bus target forwards the original event; it takes no input, inputPath or inputTransformer. Hint: transform on the rules of the receiving bus.",
        )
        .with_details(json!({"pointer": format!("{at}/input")})));
    }
    let (input, path, transformer) = target.input_options();
    Transformation::compile(input, path, transformer).map_err(|e| {
        ApiError::new(
            Code::InvalidTransformer,
            format!("{}. Hint: see docs/DELIVERY.md#input-transformation.", e.message),
        )
        .with_details(json!({"pointer": format!("{at}{}", e.pointer)}))
    })?;
    if let Target::Webhook(webhook) = target {
        webhook_fields(webhook, at)?;
    }
    Ok(())
}

/// The webhook's URL, which must be http(s) with a host.
///
/// # Errors
/// `invalid_request` at `{at}/url`.
pub fn webhook_url(w: &WebhookTarget, at: &str) -> ApiResult<reqwest::Url> {
    let url = reqwest::Url::parse(&w.url).map_err(|e| {
        bad(
            format!("{at}/url"),
            format!("url is not a valid URL ({e}). Hint: use http://host/path or https://host/path."),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(bad(
            format!("{at}/url"),
            "url must be an http or https URL with a host. Hint: use https://host/path.".into(),
        ));
    }
    Ok(url)
}

fn webhook_fields(w: &WebhookTarget, at: &str) -> ApiResult<()> {
    webhook_url(w, at)?;
    if let Some(t) = w.timeout_ms
        && !(100..=60_000).contains(&t)
    {
        return Err(bad(
            format!("{at}/timeoutMs"),
            "timeoutMs is between 100 and 60000. Hint: the default is 5000.".into(),
        ));
    }
    if w.rate_limit_per_second == Some(0) {
        return Err(bad(
            format!("{at}/rateLimitPerSecond"),
            "rateLimitPerSecond is at least 1. Hint: omit it for no limit.".into(),
        ));
    }
    if let Some(p) = w.retry_policy {
        if p.maximum_retry_attempts > 185 {
            return Err(bad(
                format!("{at}/retryPolicy/maximumRetryAttempts"),
                "maximumRetryAttempts is between 0 and 185. Hint: the default is 185.".into(),
            ));
        }
        if !(60..=86_400).contains(&p.maximum_event_age_seconds) {
            return Err(bad(
                format!("{at}/retryPolicy/maximumEventAgeSeconds"),
                "maximumEventAgeSeconds is between 60 and 86400. Hint: the default is 86400 (24 hours)."
                    .into(),
            ));
        }
    }
    for (name, value) in &w.headers {
        if !valid_header(name, value) {
            return Err(bad(
                format!("{at}/headers/{name}"),
                format!(
                    "'{name}' is not a valid header name, or its value is not a valid header value. Hint: use visible ASCII."
                ),
            ));
        }
    }
    if let Some(WebhookAuth::ApiKey { header, value }) = &w.auth
        && !valid_header(header, value)
    {
        return Err(bad(
            format!("{at}/auth/header"),
            "auth.header and auth.value must be a valid header. Hint: for example X-Api-Key.".into(),
        ));
    }
    Ok(())
}

fn valid_header(name: &str, value: &str) -> bool {
    reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_ok()
        && reqwest::header::HeaderValue::from_str(value).is_ok()
}
