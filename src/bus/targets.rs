//! Checks of a rule's targets when it is saved: the stateless field checks of
//! [`checks::target`] (input options compile here, so a bad transformer is a 400 with a
//! pointer, never a delivery failure), the address policy for IP-literal URLs, the
//! dead-letter queue, and write-only values kept across a PUT that sends back a redacted
//! rule.

use serde_json::json;

use super::{BusService, checks};
use crate::error::{ApiError, ApiResult, Code};
use crate::model::{REDACTED, RuleRecord, Target, WebhookAuth, WebhookTarget};

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
            if let Target::Webhook(webhook) = target {
                let previous = existing.and_then(|r| {
                    r.targets.iter().find_map(|t| match t {
                        Target::Webhook(w) if w.id == webhook.id => Some(&**w),
                        _ => None,
                    })
                });
                restore_redacted(webhook, previous, &at)?;
            }
            checks::target(target, &at)?;
            if let Target::Webhook(webhook) = target {
                self.check_webhook_state(webhook, &at)?;
            }
        }
        Ok(())
    }

    /// What a webhook needs beyond its fields: an address the policy allows and an
    /// existing dead-letter queue.
    fn check_webhook_state(&self, w: &WebhookTarget, at: &str) -> ApiResult<()> {
        let url = checks::webhook_url(w, at)?;
        crate::delivery::webhook::check_literal_host(self.delivery.policy(), &url).map_err(|reason| {
            ApiError::new(
                Code::WebhookAddressRefused,
                format!("{reason}. Hint: see --webhook-allow-cidrs / --webhook-deny-cidrs in docs/CONFIGURATION.md."),
            )
            .with_details(json!({"pointer": format!("{at}/url")}))
        })?;
        if let Some(dlq) = &w.dead_letter_queue {
            self.queues
                .get(dlq)
                .map_err(|e| e.with_details(json!({"pointer": format!("{at}/deadLetterQueue")})))?;
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
