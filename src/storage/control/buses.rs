//! Buses, their rules and the last tick of each scheduled rule. Rules are keyed
//! `bus 0x00 rule`, so a bus's rules are one prefix scan.

use super::{Collection, Control, Op};
use crate::model::{BusRecord, RuleRecord};
use crate::storage::StorageError;
use crate::storage::codec::{registry_prefix, schema_key};

impl Control {
    /// The bus, if it exists (cached decoded: PutEvents reads it on every request).
    ///
    /// # Errors
    /// Storage failures (as for every method here).
    pub fn get_bus(&self, name: &str) -> Result<Option<BusRecord>, StorageError> {
        if let Some(record) = self.cached_bus(name) {
            return Ok(Some(record));
        }
        let generation = self.store.generation();
        let record: Option<BusRecord> = self.get_doc(Collection::Buses, name.as_bytes())?;
        // Only existing buses are cached: unknown names must not grow memory.
        if let Some(record) = &record {
            self.cache_bus(generation, record);
        }
        Ok(record)
    }

    /// Every bus, in name order.
    ///
    /// # Errors
    /// Storage failures.
    pub fn list_buses(&self) -> Result<Vec<BusRecord>, StorageError> {
        Ok(self.scan_docs(Collection::Buses, b"")?.into_iter().map(|(_, b)| b).collect())
    }

    /// Stores a new bus unless one has its name; false when one has.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn create_bus(&self, record: &BusRecord) -> Result<bool, StorageError> {
        self.create_doc(Collection::Buses, record.name.as_bytes().to_vec(), record).await
    }

    /// Replaces a bus's record.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn put_bus(&self, record: &BusRecord) -> Result<(), StorageError> {
        self.put_doc(Collection::Buses, record.name.as_bytes().to_vec(), record).await
    }

    /// Deletes a bus with its rules and their schedule ticks; whether the bus existed.
    /// (The bus record goes last, so a half-done delete on the embedded store leaves a
    /// bus that can be deleted again, never orphan rules under a missing bus.)
    ///
    /// # Errors
    /// Storage failures.
    pub async fn delete_bus(&self, name: &str) -> Result<bool, StorageError> {
        let applied = self
            .store
            .apply(vec![
                Op::DeletePrefix { collection: Collection::Rules, prefix: registry_prefix(name) },
                Op::DeletePrefix { collection: Collection::ScheduleTicks, prefix: registry_prefix(name) },
                Op::Delete { collection: Collection::Buses, key: name.as_bytes().to_vec() },
            ])
            .await?;
        Ok(applied.existed.get(2).copied().unwrap_or(false))
    }

    /// The rule, if it exists.
    ///
    /// # Errors
    /// Storage failures.
    pub fn get_rule(&self, bus: &str, rule: &str) -> Result<Option<RuleRecord>, StorageError> {
        self.get_doc(Collection::Rules, &schema_key(bus, rule))
    }

    /// A bus's rules, in name order.
    ///
    /// # Errors
    /// Storage failures.
    pub fn list_rules(&self, bus: &str) -> Result<Vec<RuleRecord>, StorageError> {
        Ok(self.scan_docs(Collection::Rules, &registry_prefix(bus))?.into_iter().map(|(_, r)| r).collect())
    }

    /// Creates or replaces a rule.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn put_rule(&self, record: &RuleRecord) -> Result<(), StorageError> {
        self.put_doc(Collection::Rules, schema_key(&record.bus, &record.name), record).await
    }

    /// Deletes a rule and its schedule tick; whether the rule existed.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn delete_rule(&self, bus: &str, rule: &str) -> Result<bool, StorageError> {
        let key = schema_key(bus, rule);
        let applied = self
            .store
            .apply(vec![
                Op::Delete { collection: Collection::Rules, key: key.clone() },
                Op::Delete { collection: Collection::ScheduleTicks, key },
            ])
            .await?;
        Ok(applied.existed.first().copied().unwrap_or(false))
    }

    /// The last tick fired of a scheduled rule (ms since the epoch).
    ///
    /// # Errors
    /// Storage failures.
    pub fn schedule_tick(&self, bus: &str, rule: &str) -> Result<Option<u64>, StorageError> {
        Ok(self
            .store
            .get(Collection::ScheduleTicks, &schema_key(bus, rule))?
            .and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok())
            .map(u64::from_be_bytes))
    }

    /// Records `tick` as the last fired of a scheduled rule, only if the last stored is
    /// still `last` (`None`: none stored); whether it recorded it. The store decides, so
    /// of two instances firing one tick, one does.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn advance_schedule_tick(
        &self,
        bus: &str,
        rule: &str,
        last: Option<u64>,
        tick: u64,
    ) -> Result<bool, StorageError> {
        let key = schema_key(bus, rule);
        let applied = self
            .store
            .apply(vec![
                Op::Expect {
                    collection: Collection::ScheduleTicks,
                    key: key.clone(),
                    value: last.map(|t| t.to_be_bytes().to_vec()),
                },
                Op::Put { collection: Collection::ScheduleTicks, key, value: tick.to_be_bytes().to_vec() },
            ])
            .await?;
        Ok(!applied.refused)
    }
}
