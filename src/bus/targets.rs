//! Checks of a rule's targets when it is saved: input options (compiled once here, so a
//! bad transformer is a 400 with a pointer, never a delivery failure), webhook fields,
//! the address policy for IP-literal URLs, and write-only values kept across a PUT that
//! sends back a redacted rule.

use serde_json::json;

use super::BusService;
use crate::error::{ApiError, ApiResult, Code};
use crate::model::{REDACTED, RuleRecord, Target, WebhookAuth, WebhookTarget};
use crate::transform::Transformation;

fn bad(pointer: String, message: String) -> ApiError {
    ApiError::new(Code::InvalidRequest, message).with_details(json!({ "pointer": pointer }))
}

impl BusService {
    /// Checks every target; restores write-only values sent back as `<redacted>`.
    pub(super) fn check_targets(
        &self,
        targets: &mut [Target],
        existing: Option<&RuleRecord>,
    ) -> ApiResult<()> {
        for (i, target) in targets.iter_mut().enumerate() {
            let at = format!("/targets/{i}");
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
                let previous = existing.and_then(|r| {
                    r.targets.iter().find_map(|t| match t {
                        Target::Webhook(w) if w.id == webhook.id => Some(&**w),
                        _ => None,
                    })
                });
                restore_redacted(webhook, previous, &at)?;
                self.check_webhook(webhook, &at)?;
            }
        }
        Ok(())
    }

    fn check_webhook(&self, w: &WebhookTarget, at: &str) -> ApiResult<()> {
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
        crate::delivery::webhook::check_literal_host(self.delivery.policy(), &url).map_err(|reason| {
            ApiError::new(
                Code::WebhookAddressRefused,
                format!("{reason}. Hint: see --webhook-allow-cidrs / --webhook-deny-cidrs in docs/CONFIGURATION.md."),
            )
            .with_details(json!({"pointer": format!("{at}/url")}))
        })?;
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
        if let Some(dlq) = &w.dead_letter_queue {
            self.queues
                .get(dlq)
                .map_err(|e| e.with_details(json!({"pointer": format!("{at}/deadLetterQueue")})))?;
        }
        for (name, value) in &w.headers {
            let ok = reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_ok()
                && reqwest::header::HeaderValue::from_str(value).is_ok();
            if !ok {
                return Err(bad(
                    format!("{at}/headers/{name}"),
                    format!(
                        "'{name}' is not a valid header name, or its value is not a valid header value. Hint: use visible ASCII."
                    ),
                ));
            }
        }
        if let Some(WebhookAuth::ApiKey { header, value }) = &w.auth {
            let ok = reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_ok()
                && reqwest::header::HeaderValue::from_str(value).is_ok();
            if !ok {
                return Err(bad(
                    format!("{at}/auth/header"),
                    "auth.header and auth.value must be a valid header. Hint: for example X-Api-Key.".into(),
                ));
            }
        }
        Ok(())
    }
}

/// A PUT sending back `<redacted>` keeps the stored value of the same target id.
fn restore_redacted(w: &mut WebhookTarget, previous: Option<&WebhookTarget>, at: &str) -> ApiResult<()> {
    let missing = |field: &str| {
        bad(
            format!("{at}/{field}"),
            format!(
                "{field} is '{REDACTED}' but no stored value exists for target '{}'. Hint: send the real value.",
                w.id
            ),
        )
    };
    if w.secret.as_deref() == Some(REDACTED) {
        w.secret = Some(previous.and_then(|p| p.secret.clone()).ok_or_else(|| missing("secret"))?);
    }
    let old_auth = previous.and_then(|p| p.auth.clone());
    let restored = match (w.auth.take(), old_auth) {
        (Some(WebhookAuth::Basic { username, password }), old) if password == REDACTED => match old {
            Some(WebhookAuth::Basic { password, .. }) => Some(WebhookAuth::Basic { username, password }),
            _ => return Err(missing("auth")),
        },
        (Some(WebhookAuth::Bearer { token }), old) if token == REDACTED => match old {
            Some(WebhookAuth::Bearer { token }) => Some(WebhookAuth::Bearer { token }),
            _ => return Err(missing("auth")),
        },
        (Some(WebhookAuth::ApiKey { header, value }), old) if value == REDACTED => match old {
            Some(WebhookAuth::ApiKey { value, .. }) => Some(WebhookAuth::ApiKey { header, value }),
            _ => return Err(missing("auth")),
        },
        (auth, _) => auth,
    };
    w.auth = restored;
    Ok(())
}
