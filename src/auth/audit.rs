//! The audit trail: every successful write through the API (schemas, registries,
//! compatibility settings, buses, rules, queues, discovery settings, keys) with the key
//! that made it. Stored in the `audit` tree (queryable by admins, newest first) and
//! published on the `default` bus as `schemabus.audit` / `Write Audited` events.
//!
//! Recorded by the HTTP access middleware after a 2xx answer, so handlers stay
//! unaware of it. Key values and request bodies are never recorded: only the method,
//! the path, the status and the resource named by the path.

use serde_json::json;

use crate::bus::BusService;
use crate::error::{ApiError, ApiResult, Code};
use crate::model::{AuditPage, AuditRecord, now_rfc3339};
use crate::storage::AuditStore;

/// Source of audit events on the `default` bus.
pub const AUDIT_SOURCE: &str = "schemabus.audit";
/// Detail type of audit events.
pub const AUDIT_DETAIL_TYPE: &str = "Write Audited";

/// One write to record.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// Key name (`anonymous` with auth off).
    pub key: String,
    /// HTTP method.
    pub method: String,
    /// Request path.
    pub path: String,
    /// HTTP status.
    pub status: u16,
    /// `kind:name`, when the path names a resource.
    pub resource: Option<String>,
}

/// The audit service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AuditService {
    store: std::sync::Arc<dyn AuditStore>,
    bus: BusService,
}

impl AuditService {
    /// The service over `store`, publishing on `bus`'s `default` bus.
    pub fn new(store: std::sync::Arc<dyn AuditStore>, bus: BusService) -> Self {
        Self { store, bus }
    }

    /// Records a write durably, then publishes it.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn record(&self, entry: AuditEntry) -> ApiResult<AuditRecord> {
        let record = AuditRecord {
            id: String::new(),
            time: now_rfc3339(),
            key: entry.key,
            method: entry.method,
            path: entry.path,
            status: entry.status,
            resource: entry.resource,
        };
        let record = self.store.append_audit(record).await?;
        let detail = serde_json::to_value(&record).unwrap_or_else(|_| json!({}));
        self.bus.publish_service_event(AUDIT_SOURCE, AUDIT_DETAIL_TYPE, detail);
        Ok(record)
    }

    /// A page of the trail, newest first, older than the `before` cursor.
    ///
    /// # Errors
    /// `invalid_cursor`, `invalid_parameter` (limit out of 1–1000), storage failures.
    pub async fn list(&self, before: Option<&str>, limit: Option<usize>) -> ApiResult<AuditPage> {
        let limit = limit.unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            return Err(ApiError::new(
                Code::InvalidParameter,
                "limit is between 1 and 1000. Hint: page with `before`.",
            )
            .with_details(json!({"parameter": "limit"})));
        }
        let before = before
            .map(|c| {
                c.parse::<u64>().map_err(|_| {
                    ApiError::new(
                        Code::InvalidCursor,
                        "The cursor is not one this service returned. Hint: pass nextCursor as is.",
                    )
                    .with_details(json!({"parameter": "before"}))
                })
            })
            .transpose()?;
        let items = self.store.list_audit(before, limit).await?;
        let next_cursor = (items.len() == limit).then(|| items.last().map(|r| r.id.clone())).flatten();
        Ok(AuditPage { items, next_cursor })
    }
}
