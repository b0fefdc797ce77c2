//! Re-submitting quarantined entries (`POST /v1/buses/{bus}/quarantine/resubmit`): after
//! the contract or the producer is fixed, the stored events go through PutEvents again, as
//! the caller (so a key allowed only some sources stays limited to them).

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::requests::PutEventsRequest;
use super::validation::{SCHEMA_VALIDATION_FAILED, UNKNOWN_EVENT_TYPE};
use super::{BusService, invalid};
use crate::error::ApiResult;
use crate::model::{EntryError, QuarantineOutcome};

/// Most entries re-submitted in one call (PutEvents' default entry limit).
const MAX_IDS: usize = 10;

/// Body of `POST /v1/buses/{bus}/quarantine/resubmit`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResubmitRequest {
    /// Quarantine entry ids (`id` in the listing), 1 to 10.
    #[schema(example = json!(["0000000000000007"]))]
    pub ids: Vec<String>,
}

/// Result of one re-submitted entry.
#[derive(Debug, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResubmitResultEntry {
    /// The quarantine entry id.
    pub id: String,
    /// Id of the accepted event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// Why the entry was refused (PutEvents' codes, `QuarantineEntryNotFound`, `NotRefused`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Human explanation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Validation findings (at most 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<EntryError>>,
    /// Whether the entry left the quarantine: it was accepted, or refused again by the
    /// contract (then quarantined anew with the new reason, under a new id).
    pub removed: bool,
}

/// Answer of a re-submission, one result per id in request order.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResubmitResponse {
    /// Entries not accepted.
    pub failed_entry_count: usize,
    /// One per id.
    pub entries: Vec<ResubmitResultEntry>,
}

fn failed(id: &str, code: &str, message: String) -> ResubmitResultEntry {
    ResubmitResultEntry {
        id: id.to_owned(),
        error_code: Some(code.to_owned()),
        error_message: Some(message),
        ..Default::default()
    }
}

impl BusService {
    /// Puts the quarantined events `ids` of `bus` through PutEvents again, as a caller
    /// allowed `allowed_sources`, counted in the catalog as published by the key
    /// `producer`. Entries accepted in `warn` mode were delivered already and are not
    /// re-submitted.
    ///
    /// # Errors
    /// `bus_not_found`, `invalid_request` (no ids, or more than 10), storage failures.
    pub async fn resubmit_quarantined(
        &self,
        bus: &str,
        request: ResubmitRequest,
        allowed_sources: Option<&[String]>,
        producer: Option<&str>,
    ) -> ApiResult<ResubmitResponse> {
        self.get_bus(bus)?;
        let most = MAX_IDS.min(self.settings.max_entries);
        if request.ids.is_empty() || request.ids.len() > most {
            return Err(invalid(format!(
                "ids holds 1 to {most} quarantine entry ids. Hint: take them from GET /v1/buses/{bus}/quarantine."
            )));
        }
        let mut results = Vec::with_capacity(request.ids.len());
        // (index in results, position) of the entries sent, in PutEvents order.
        let mut sent = Vec::new();
        let mut entries = Vec::new();
        for id in &request.ids {
            let record = match u64::from_str_radix(id, 16) {
                Ok(seq) => self.store.get_quarantine(bus, seq)?.map(|r| (seq, r)),
                Err(_) => None,
            };
            let Some((seq, record)) = record else {
                results.push(failed(
                    id,
                    "QuarantineEntryNotFound",
                    format!("No quarantine entry {id} on bus {bus} (re-submitted already, or trimmed)."),
                ));
                continue;
            };
            if record.outcome != QuarantineOutcome::Refused {
                results.push(failed(
                    id,
                    "NotRefused",
                    "This entry was accepted in warn mode and delivered already; it is kept for its findings."
                        .into(),
                ));
                continue;
            }
            let event = &record.event;
            entries.push(json!({
                "source": event["source"],
                "detailType": event["detail-type"],
                "detail": event["detail"],
                "time": event["time"],
                "resources": event["resources"],
            }));
            sent.push((results.len(), seq));
            results.push(ResubmitResultEntry { id: id.clone(), ..Default::default() });
        }
        if !entries.is_empty() {
            // PutEventsRequest borrows its details from the request text: build that text.
            let body = json!({ "entries": entries }).to_string();
            let put: PutEventsRequest<'_> = serde_json::from_str(&body).map_err(|e| {
                invalid(format!("A quarantined event cannot be re-read: {e}. Hint: report this."))
            })?;
            let answer = self
                .put_events_prepared(bus, put, allowed_sources, self.preparing_events(), producer)
                .await?;
            let mut removed = 0;
            for ((index, seq), result) in sent.into_iter().zip(answer.entries) {
                let out = &mut results[index];
                let again = result
                    .error_code
                    .as_deref()
                    .is_some_and(|c| c == SCHEMA_VALIDATION_FAILED || c == UNKNOWN_EVENT_TYPE);
                if (result.event_id.is_some() || again) && self.store.remove_quarantine(bus, seq)? {
                    out.removed = true;
                    removed += 1;
                }
                out.event_id = result.event_id;
                out.error_code = result.error_code;
                out.error_message = result.error_message;
                out.errors = result.errors;
            }
            if removed > 0 {
                if let Some(count) =
                    self.quarantined.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get_mut(bus)
                {
                    *count = count.saturating_sub(removed);
                }
                self.store.flush().await?;
            }
        }
        let failed_entry_count = results.iter().filter(|r| r.event_id.is_none()).count();
        Ok(ResubmitResponse { failed_entry_count, entries: results })
    }
}
