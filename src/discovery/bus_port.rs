//! What discovery needs of the bus. The bus sits above discovery (PutEvents offers its
//! events to the [`super::Sampler`]), so discovery names this port instead of the bus
//! service, which implements it; startup hands the service in as the port.

use serde_json::Value;

use crate::error::ApiResult;
use crate::model::BusRecord;

/// The buses, as discovery reads and publishes on them.
pub trait BusPort: Send + Sync {
    /// A bus's record.
    ///
    /// # Errors
    /// `invalid_name`, `bus_not_found`.
    fn get_bus(&self, name: &str) -> ApiResult<BusRecord>;

    /// The contract the bus's validation gate applies to events of this source and
    /// detail-type, as (registry, schema, version); `None` when there is none.
    fn contract_for(&self, bus: &BusRecord, source: &str, detail_type: &str)
    -> Option<(String, String, u32)>;

    /// Publishes an event of the registry's source on the `default` bus (drift events).
    fn publish_registry_event(&self, detail_type: &str, detail: Value);
}
