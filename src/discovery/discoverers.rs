//! Discoverers (the AWS Schemas API's view of discovery): one per event bus, id
//! `events-event-bus-<bus>` (the id EventBridge gives the default bus's discoverer),
//! STARTED or STOPPED as the bus's native discovery is on or off. The record keeps only
//! what discovery itself has no place for: description, cross-account flag, tags.

use serde::{Deserialize, Serialize};

use super::{DiscoveryConfigRequest, DiscoveryService, StoredConfig, storage};
use crate::error::{ApiError, ApiResult, Code};
use crate::model::{Tags, now_rfc3339};
use crate::registry::{check_description, check_tags};
use crate::storage::AwsKind;

const ID_PREFIX: &str = "events-event-bus-";

/// What is stored of a discoverer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscovererRecord {
    /// `events-event-bus-<bus>`.
    pub id: String,
    /// The bus it discovers on.
    pub bus: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Stored and returned; every event of the bus is sampled whatever its account.
    #[serde(default)]
    pub cross_account: bool,
    /// Tags.
    #[serde(default)]
    pub tags: Tags,
    /// RFC 3339 creation time.
    pub created_at: String,
}

/// A discoverer with its state.
#[derive(Debug, Clone, PartialEq)]
pub struct Discoverer {
    /// The record.
    pub record: DiscovererRecord,
    /// Whether the bus's discovery is on.
    pub started: bool,
}

/// The id of a bus's discoverer.
pub fn discoverer_id(bus: &str) -> String {
    format!("{ID_PREFIX}{bus}")
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        Code::DiscovererNotFound,
        format!(
            "Discoverer '{id}' does not exist. Hint: discoverer ids are events-event-bus-<bus>; create one with the bus's ARN."
        ),
    )
}

impl DiscoveryService {
    fn started(&self, bus: &str) -> ApiResult<bool> {
        Ok(self
            .control
            .get_discovery_config::<StoredConfig>(bus)
            .map_err(storage)?
            .is_some_and(|c| c.enabled))
    }

    fn with_state(&self, record: DiscovererRecord) -> ApiResult<Discoverer> {
        let started = self.started(&record.bus)?;
        Ok(Discoverer { record, started })
    }

    /// Creates the discoverer of `bus` and starts it (turns the bus's discovery on).
    ///
    /// # Errors
    /// `bus_not_found`, `discoverer_exists`, `invalid_request` for oversized metadata.
    pub async fn create_discoverer(
        &self,
        bus: &str,
        description: Option<String>,
        cross_account: bool,
        tags: Tags,
    ) -> ApiResult<Discoverer> {
        self.bus.get_bus(bus)?;
        let id = discoverer_id(bus);
        let record = DiscovererRecord {
            id: id.clone(),
            bus: bus.to_owned(),
            description: check_description(description)?,
            cross_account,
            tags: check_tags(tags)?,
            created_at: now_rfc3339(),
        };
        // Insert-if-absent, so two concurrent creations cannot both succeed.
        if !self.control.insert_aws(AwsKind::Discoverer, &id, &record).await.map_err(storage)? {
            return Err(ApiError::new(
                Code::DiscovererExists,
                format!("Bus '{bus}' already has the discoverer '{id}'. Hint: update, start or stop it."),
            ));
        }
        self.set_discoverer_state(&id, true).await
    }

    /// One discoverer.
    ///
    /// # Errors
    /// `discoverer_not_found`.
    pub fn discoverer(&self, id: &str) -> ApiResult<Discoverer> {
        let record =
            self.control.get_aws(AwsKind::Discoverer, id).map_err(storage)?.ok_or_else(|| not_found(id))?;
        self.with_state(record)
    }

    /// Every discoverer, by id.
    ///
    /// # Errors
    /// Storage failures.
    pub fn discoverers(&self) -> ApiResult<Vec<Discoverer>> {
        let records = self.control.list_aws::<DiscovererRecord>(AwsKind::Discoverer).map_err(storage)?;
        records.into_iter().map(|(_, r)| self.with_state(r)).collect()
    }

    /// Changes a discoverer's description (`""` clears it), cross-account flag or tags.
    ///
    /// # Errors
    /// `discoverer_not_found`, `invalid_request`.
    pub async fn update_discoverer(
        &self,
        id: &str,
        description: Option<String>,
        cross_account: Option<bool>,
        tags: Option<Tags>,
    ) -> ApiResult<Discoverer> {
        let mut record = self.discoverer(id)?.record;
        if description.is_some() {
            record.description = check_description(description)?;
        }
        if let Some(c) = cross_account {
            record.cross_account = c;
        }
        if let Some(t) = tags {
            record.tags = check_tags(t)?;
        }
        self.control.put_aws(AwsKind::Discoverer, id, &record).await.map_err(storage)?;
        self.with_state(record)
    }

    /// Starts or stops a discoverer: the bus's discovery on or off (its sample rate kept).
    ///
    /// # Errors
    /// `discoverer_not_found`, `bus_not_found` when its bus was deleted.
    pub async fn set_discoverer_state(&self, id: &str, started: bool) -> ApiResult<Discoverer> {
        let record = self.discoverer(id)?.record;
        let rate = self
            .control
            .get_discovery_config::<StoredConfig>(&record.bus)
            .map_err(storage)?
            .map(|c| c.sample_rate);
        self.configure(&record.bus, DiscoveryConfigRequest { enabled: started, sample_rate: rate }).await?;
        self.with_state(record)
    }

    /// Deletes a discoverer and turns its bus's discovery off (when the bus still exists).
    ///
    /// # Errors
    /// `discoverer_not_found`.
    pub async fn delete_discoverer(&self, id: &str) -> ApiResult<()> {
        let record = self.discoverer(id)?.record;
        if self.bus.get_bus(&record.bus).is_ok() {
            self.configure(&record.bus, DiscoveryConfigRequest { enabled: false, sample_rate: None }).await?;
        }
        self.control.delete_aws(AwsKind::Discoverer, id).await.map_err(storage)?;
        Ok(())
    }
}
