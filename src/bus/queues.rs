//! Pull queues: settings held in memory (every delivery checks the queue exists),
//! messages in the storage's journal (see `storage/queues.rs`), long polls woken by
//! enqueues.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::check_name;
use super::messages::Delivered;
use super::requests::*;
use crate::delivery::DeadLetterQueues;
use crate::error::{ApiError, ApiResult, Code};
use crate::model::{QueueRecord, now_ms, now_rfc3339};
use crate::storage::{Control, EventRef, EventWrites, ReceiveSpec, Store};

use super::checks::{MAX_VISIBILITY, MAX_WAIT};
const MAX_MESSAGES: usize = 100;
/// A long poll rechecks this often even without a wake-up, so messages whose
/// visibility timeout ends are seen.
const POLL_STEP: Duration = Duration::from_millis(100);

#[derive(Debug, Default)]
struct QueueState {
    /// Serialises receives of one queue, so a message is handed to one receiver.
    receiving: Mutex<()>,
    /// Woken on every enqueue.
    arrived: tokio::sync::Notify,
}

/// The queues. Cheap to clone; clones share state.
#[derive(Debug, Clone)]
pub struct Queues {
    /// The messages (event data, on this instance).
    pub(super) store: Store,
    /// The queues' settings.
    control: Control,
    records: Arc<RwLock<HashMap<String, QueueRecord>>>,
    /// Held while `records` is brought up to the stored settings, so a resync that read
    /// the store before a write cannot install what it read after the write's own resync.
    syncing: Arc<Mutex<()>>,
    states: Arc<Mutex<HashMap<String, Arc<QueueState>>>>,
}

fn queue_not_found(name: &str) -> ApiError {
    ApiError::new(
        Code::QueueNotFound,
        format!("Queue '{name}' does not exist. Hint: create it with PUT /v1/queues/{name}."),
    )
}

fn out_of_range(pointer: &str, message: String) -> ApiError {
    ApiError::new(Code::InvalidRequest, message).with_details(json!({"pointer": pointer}))
}

impl Queues {
    /// Loads every queue's settings.
    ///
    /// # Errors
    /// Storage failures.
    pub fn load(store: Store, control: Control) -> ApiResult<Self> {
        let this =
            Self { store, control, records: Arc::default(), syncing: Arc::default(), states: Arc::default() };
        this.resync()?;
        // Messages of queues deleted before their messages were compacted away.
        let records = this.records.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        this.store.retain_queue_messages(|name| records.contains_key(name));
        drop(records);
        Ok(this)
    }

    /// Loads the queues' settings as stored now (after a change another instance made).
    ///
    /// # Errors
    /// Storage failures.
    /// The messages this instance holds for queues deleted elsewhere are dropped, as the
    /// deleting instance dropped its own.
    pub fn resync(&self) -> ApiResult<()> {
        let _syncing = self.syncing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let records: HashMap<String, QueueRecord> =
            self.control.list_queues()?.into_iter().map(|q| (q.name.clone(), q)).collect();
        let gone: Vec<String> = {
            let mut held = self.records.write().unwrap_or_else(std::sync::PoisonError::into_inner);
            let gone = held.keys().filter(|name| !records.contains_key(*name)).cloned().collect();
            *held = records;
            gone
        };
        for name in gone {
            self.store.purge_queue(&name)?;
        }
        Ok(())
    }

    fn state(&self, name: &str) -> Arc<QueueState> {
        let mut states = self.states.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(states.entry(name.to_owned()).or_default())
    }

    /// A queue's settings.
    ///
    /// # Errors
    /// `invalid_name`, `queue_not_found`.
    pub fn get(&self, name: &str) -> ApiResult<QueueRecord> {
        check_name("queue", name)?;
        self.records
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(name)
            .cloned()
            .ok_or_else(|| queue_not_found(name))
    }

    /// A queue with its counts.
    ///
    /// # Errors
    /// `invalid_name`, `queue_not_found`.
    pub fn view(&self, name: &str) -> ApiResult<QueueView> {
        let queue = self.get(name)?;
        let counts = self.store.queue_counts(name, now_ms());
        Ok(QueueView { queue, depth: counts.visible, in_flight: counts.in_flight })
    }

    /// Every queue with its counts.
    pub fn list(&self, prefix: &str) -> QueueList {
        let mut names: Vec<String> =
            self.records.read().unwrap_or_else(std::sync::PoisonError::into_inner).keys().cloned().collect();
        names.retain(|n| n.starts_with(prefix));
        names.sort();
        QueueList { items: names.iter().filter_map(|n| self.view(n).ok()).collect() }
    }

    /// Creates a queue or replaces its settings (messages are kept).
    ///
    /// # Errors
    /// `invalid_name`, `invalid_request` (ranges, redrive), `queue_not_found` (dead-letter queue).
    pub async fn put(&self, name: &str, request: PutQueueRequest) -> ApiResult<QueueRecord> {
        Ok(self.save(name, request, false).await?.0)
    }

    /// Creates a queue unless one of its name exists, on any instance (the store decides);
    /// `None` when one does.
    ///
    /// # Errors
    /// As [`Self::put`].
    pub async fn create(&self, name: &str, request: PutQueueRequest) -> ApiResult<Option<QueueRecord>> {
        let (record, stored) = self.save(name, request, true).await?;
        Ok(stored.then_some(record))
    }

    /// Stores the settings (with `only_new`, only if no queue has the name): the record,
    /// and whether it was stored.
    async fn save(
        &self,
        name: &str,
        request: PutQueueRequest,
        only_new: bool,
    ) -> ApiResult<(QueueRecord, bool)> {
        check_name("queue", name)?;
        super::checks::queue_settings(name, &request)?;
        if let Some(dlq) = &request.dead_letter_queue {
            self.get(dlq)?;
        }
        let created_at = self.get(name).map_or_else(|_| now_rfc3339(), |q| q.created_at);
        let record = QueueRecord {
            name: name.to_owned(),
            visibility_timeout_seconds: request.visibility_timeout_seconds,
            max_receive_count: request.max_receive_count,
            dead_letter_queue: request.dead_letter_queue,
            retention_seconds: request.retention_seconds,
            delay_seconds: request.delay_seconds,
            receive_wait_seconds: request.receive_wait_seconds,
            tags: request.tags,
            created_at,
            updated_at: now_rfc3339(),
        };
        let stored = if only_new {
            self.control.create_queue(&record).await?
        } else {
            self.control.put_queue(&record).await?;
            true
        };
        // What is stored now, which another instance may have changed since.
        self.resync()?;
        Ok((record, stored))
    }

    /// Deletes a queue and its messages. Rules still naming it drop their deliveries.
    ///
    /// # Errors
    /// `invalid_name`, `queue_not_found`.
    pub async fn delete(&self, name: &str) -> ApiResult<()> {
        self.get(name)?;
        self.control.delete_queue(name).await?;
        self.resync()?; // drops the queue's messages here
        self.store.flush().await?;
        Ok(())
    }

    /// Whether a queue exists (every delivery checks).
    pub(crate) fn exists(&self, name: &str) -> bool {
        self.records.read().unwrap_or_else(std::sync::PoisonError::into_inner).contains_key(name)
    }

    /// Adds a message to `writes` (committed by the caller with the request's events);
    /// false when the queue does not exist.
    pub(crate) fn enqueue_event(&self, writes: &mut EventWrites, name: &str, event: EventRef) -> bool {
        if !self.exists(name) {
            return false;
        }
        writes.enqueue(name, self.store.next_seq(), now_ms(), event);
        true
    }

    /// Adds a message with its own body to `writes` (a transformed event, or an event
    /// that is not logged in this batch); false when the queue does not exist.
    pub(crate) fn enqueue_body(&self, writes: &mut EventWrites, name: &str, body: &[u8]) -> bool {
        if !self.exists(name) {
            return false;
        }
        writes.enqueue_inline(name, self.store.next_seq(), now_ms(), body);
        true
    }

    /// Wakes the long polls of queues that just got messages.
    pub(crate) fn notify(&self, names: &[String]) {
        for name in names {
            self.state(name).arrived.notify_waiters();
        }
    }

    /// Receives messages, waiting up to `waitSeconds` for the first.
    ///
    /// # Errors
    /// `queue_not_found`, `invalid_request` for out-of-range numbers.
    pub async fn receive(&self, name: &str, request: ReceiveRequest) -> ApiResult<ReceiveResponse> {
        let messages = self
            .receive_messages(name, request)
            .await?
            .into_iter()
            .map(|m| {
                // A body that is not JSON (sent through SQS) is shown as a JSON string.
                let body = String::from_utf8(m.body)
                    .map_err(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
                    .and_then(|s| RawValue::from_string(s.clone()).map_err(|_| s))
                    .unwrap_or_else(|text| {
                        RawValue::from_string(Value::String(text).to_string())
                            .unwrap_or_else(|_| RawValue::NULL.to_owned())
                    });
                MessageView {
                    message_id: m.message_id,
                    receipt_handle: m.receipt_handle,
                    receive_count: m.receive_count,
                    body,
                    attributes: m.attributes,
                    message_attributes: m.message_attributes,
                }
            })
            .collect();
        Ok(ReceiveResponse { messages })
    }

    /// [`Queues::receive`] with the bodies as stored (any bytes) and the times SQS shows.
    /// Without `waitSeconds`, waits the queue's `receiveWaitSeconds`.
    ///
    /// # Errors
    /// `queue_not_found`, `invalid_request` for out-of-range numbers.
    pub async fn receive_messages(&self, name: &str, request: ReceiveRequest) -> ApiResult<Vec<Delivered>> {
        let queue = self.get(name)?;
        let max = request.max_messages.unwrap_or(1);
        if max == 0 || max > MAX_MESSAGES {
            return Err(out_of_range(
                "/maxMessages",
                format!("maxMessages is between 1 and {MAX_MESSAGES}. Hint: receive in batches."),
            ));
        }
        let wait = request.wait_seconds.unwrap_or(u64::from(queue.receive_wait_seconds));
        if wait > u64::from(MAX_WAIT) {
            return Err(out_of_range(
                "/waitSeconds",
                format!("waitSeconds is at most {MAX_WAIT}. Hint: poll again."),
            ));
        }
        let visibility = request.visibility_timeout_seconds.unwrap_or(queue.visibility_timeout_seconds);
        if visibility > MAX_VISIBILITY {
            return Err(out_of_range(
                "/visibilityTimeoutSeconds",
                format!("visibilityTimeoutSeconds is at most {MAX_VISIBILITY}. Hint: use a shorter timeout."),
            ));
        }
        let state = self.state(name);
        let deadline = Instant::now() + Duration::from_secs(wait);
        loop {
            let arrived = state.arrived.notified();
            let received = {
                let _one = state.receiving.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                self.store.receive(ReceiveSpec {
                    queue: name,
                    now_ms: now_ms(),
                    max,
                    visibility_ms: u64::from(visibility) * 1000,
                    max_receive_count: queue.max_receive_count,
                    dead_letter_queue: queue.dead_letter_queue.as_deref(),
                    retention_ms: queue.retention_seconds.saturating_mul(1000),
                })?
            };
            let remaining = deadline.saturating_duration_since(Instant::now());
            if !received.is_empty() || remaining.is_zero() {
                return Ok(received.into_iter().map(Delivered::from).collect());
            }
            // Either an enqueue wakes us, or we look again after a short step.
            let _ = tokio::time::timeout(remaining.min(POLL_STEP), arrived).await;
        }
    }

    /// Acknowledges (deletes) received messages; durable before the answer.
    ///
    /// # Errors
    /// `queue_not_found`, storage failures.
    pub async fn ack(&self, name: &str, request: AckRequest) -> ApiResult<AckResponse> {
        self.get(name)?;
        let deleted = self.store.ack(name, &request.receipt_handles)?;
        self.store.flush().await?;
        Ok(AckResponse { deleted })
    }

    /// Sets the depth gauges of every queue (at scrape time).
    pub fn update_depth_gauges(&self) {
        let now = now_ms();
        let names: Vec<String> =
            self.records.read().unwrap_or_else(std::sync::PoisonError::into_inner).keys().cloned().collect();
        for name in names {
            let counts = self.store.queue_counts(&name, now);
            super::metrics::queue_depth(&name, counts.visible, counts.in_flight);
        }
    }
}

/// Dead-lettered webhook deliveries land in the queues (delivery names only the port).
impl DeadLetterQueues for Queues {
    fn dead_letter(
        &self,
        queue: &str,
        body: &[u8],
        attributes: &BTreeMap<String, String>,
    ) -> ApiResult<bool> {
        if !self.exists(queue) {
            return Ok(false);
        }
        let encoded = (!attributes.is_empty()).then(|| serde_json::to_vec(attributes).unwrap_or_default());
        self.store.enqueue(queue, self.store.next_seq(), now_ms(), body, encoded.as_deref())?;
        self.notify(&[queue.to_owned()]);
        Ok(true)
    }
}
