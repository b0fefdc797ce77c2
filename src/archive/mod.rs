//! Archives: per bus, the accepted events matching an archive's pattern, stored as they
//! were accepted, with counts and sizes kept in memory, and retention enforced by a
//! sweeper. On the PutEvents path the hook costs one atomic load when no archive exists.
//! Replayed events (`replay-name` set) are never archived. See docs/DELIVERY.md#archives.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, Code};
use crate::model::{ArchiveRecord, now_rfc3339};
use crate::pattern::{Pattern, PatternMatcher};
use crate::storage::{ArchivedEvent, Control, Store};

/// (bus, archive) → (event count, bytes).
type Totals = HashMap<(String, String), (u64, u64)>;

/// Longest archive name, as EventBridge.
const MAX_NAME: usize = 48;

/// The naming rule of archives (as EventBridge's: at most 48 characters).
pub const NAME_RULE: &str = "[A-Za-z0-9._-]{1,48}";

/// Body of `PUT /v1/buses/{bus}/archives/{archive}` (create or replace).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PutArchiveRequest {
    /// Event pattern selecting the archived events; absent: every event.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub pattern: Option<Value>,
    /// Days to keep events (by event time); 0 (the default): forever.
    #[serde(default)]
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub retention_days: u32,
    /// What the archive is for.
    #[serde(default)]
    pub description: Option<String>,
}

/// An archive's name, pattern and description. Stateless, so `schemabus check` runs it too.
///
/// # Errors
/// `invalid_name`, `invalid_pattern`, `invalid_request`.
pub fn check_request(name: &str, request: &PutArchiveRequest) -> ApiResult<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !ok {
        return Err(ApiError::new(
            Code::InvalidName,
            format!(
                "'{name}' is not a valid archive name. Hint: archive names match [A-Za-z0-9._-]{{1,48}}."
            ),
        )
        .with_details(json!({"kind": "archive", "rule": NAME_RULE})));
    }
    if let Some(pattern) = &request.pattern {
        Pattern::parse(pattern).map_err(|e| {
            ApiError::new(
                Code::InvalidPattern,
                format!("{e}. Hint: see docs/PATTERNS.md for the pattern language."),
            )
            .with_details(json!({"pointer": "/pattern", "reason": e.to_string()}))
        })?;
    }
    if request.description.as_ref().is_some_and(|d| d.chars().count() > 512) {
        return Err(ApiError::new(
            Code::InvalidRequest,
            "description is longer than 512 characters. Hint: shorten it.",
        )
        .with_details(json!({"pointer": "/description"})));
    }
    Ok(())
}

/// An archive with its counts.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveView {
    /// Settings.
    #[serde(flatten)]
    pub archive: ArchiveRecord,
    /// Events held.
    pub event_count: u64,
    /// Bytes of the events held (their JSON).
    pub size_bytes: u64,
}

/// A bus's archives.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArchiveList {
    /// Archives in name order.
    pub items: Vec<ArchiveView>,
}

#[derive(Default)]
struct BusArchives {
    matcher: PatternMatcher<String>,
    /// Archives without a pattern (every event).
    all: Vec<String>,
}

/// The archives. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct Archives {
    /// The archived events (event data, on this instance).
    store: Store,
    /// The archives' settings.
    control: Control,
    buses: Arc<RwLock<HashMap<String, BusArchives>>>,
    /// Whether any archive exists (the PutEvents hook's fast path).
    any: Arc<AtomicBool>,
    /// (bus, archive) → (event count, bytes).
    totals: Arc<Mutex<Totals>>,
    /// Held while the matchers are brought up to the stored archives (see `resync`).
    syncing: Arc<Mutex<()>>,
}

impl std::fmt::Debug for Archives {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archives").finish_non_exhaustive()
    }
}

/// Adds an archive to its bus's routes.
fn route(routes: &mut BusArchives, record: &ArchiveRecord) {
    match record.pattern.as_ref().map(Pattern::parse) {
        None => routes.all.push(record.name.clone()),
        Some(Ok(p)) => routes.matcher.add(record.name.clone(), p),
        Some(Err(e)) => {
            tracing::error!(archive = %record.name, error = %e, "stored archive pattern no longer parses")
        }
    }
}

fn archive_not_found(bus: &str, name: &str) -> ApiError {
    ApiError::new(
        Code::ArchiveNotFound,
        format!(
            "Archive '{name}' does not exist on bus '{bus}'. Hint: list archives with GET /v1/buses/{bus}/archives."
        ),
    )
}

/// An event's `time` in Unix ms (0 when it has none).
pub fn event_time_ms(time: Option<&str>) -> u64 {
    time.and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
        .map_or(0, |t| u64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0))
}

impl Archives {
    /// Loads every archive, counting its events (a key scan per archive).
    ///
    /// # Errors
    /// Storage failures.
    pub fn load(store: Store, control: Control) -> ApiResult<Self> {
        let this = Self {
            store,
            control,
            buses: Arc::default(),
            any: Arc::default(),
            totals: Arc::default(),
            syncing: Arc::default(),
        };
        this.resync()?;
        Ok(this)
    }

    /// Installs the archives as stored now, forgetting any other: after every change,
    /// this instance's or another's. Counts the events of archives not counted yet, and
    /// drops the events this instance archived for archives deleted since. Runs under
    /// `syncing`, so a resync that read the store before a write never installs over the
    /// write's own.
    ///
    /// # Errors
    /// Storage failures.
    pub fn resync(&self) -> ApiResult<()> {
        let _syncing = self.syncing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let records = self.control.list_archives(None)?;
        let mut fresh: HashMap<String, BusArchives> = HashMap::new();
        for record in &records {
            let routes = fresh.entry(record.bus.clone()).or_default();
            route(routes, record);
        }
        let gone: Vec<(String, String)> = {
            let mut totals = self.lock_totals();
            let gone = totals
                .keys()
                .filter(|(bus, name)| !records.iter().any(|r| &r.bus == bus && &r.name == name))
                .cloned()
                .collect();
            totals.retain(|(bus, name), _| records.iter().any(|r| &r.bus == bus && &r.name == name));
            for record in &records {
                let key = (record.bus.clone(), record.name.clone());
                totals.entry(key).or_insert_with(|| self.store.archive_totals(&record.bus, &record.name));
            }
            gone
        };
        {
            let mut buses = self.buses.write().unwrap_or_else(std::sync::PoisonError::into_inner);
            self.any.store(!fresh.is_empty(), Ordering::Release);
            *buses = fresh;
        }
        for (bus, name) in gone {
            self.store.drop_archived(&bus, &name)?;
        }
        Ok(())
    }

    fn lock_totals(&self) -> std::sync::MutexGuard<'_, Totals> {
        self.totals.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn view(&self, archive: ArchiveRecord) -> ArchiveView {
        let (event_count, size_bytes) =
            self.lock_totals().get(&(archive.bus.clone(), archive.name.clone())).copied().unwrap_or_default();
        ArchiveView { archive, event_count, size_bytes }
    }

    /// Creates or replaces an archive (its events are kept).
    ///
    /// # Errors
    /// `invalid_name`, `invalid_pattern`, `invalid_request`.
    pub async fn put(&self, bus: &str, name: &str, request: PutArchiveRequest) -> ApiResult<ArchiveView> {
        check_request(name, &request)?;
        let existing = self.control.get_archive(bus, name)?;
        let now = now_rfc3339();
        let record = ArchiveRecord {
            name: name.to_owned(),
            bus: bus.to_owned(),
            description: request.description.filter(|d| !d.is_empty()),
            pattern: request.pattern,
            retention_days: request.retention_days,
            created_at: existing.map_or_else(|| now.clone(), |a| a.created_at),
            updated_at: now,
        };
        self.control.put_archive(&record).await?;
        self.resync()?;
        Ok(self.view(record))
    }

    /// One archive with its counts.
    ///
    /// # Errors
    /// `archive_not_found`.
    pub fn get(&self, bus: &str, name: &str) -> ApiResult<ArchiveView> {
        let record = self.control.get_archive(bus, name)?.ok_or_else(|| archive_not_found(bus, name))?;
        Ok(self.view(record))
    }

    /// The archive of this name on any bus (AWS names archives per account, not per bus).
    ///
    /// # Errors
    /// Storage failures.
    pub fn find(&self, name: &str) -> ApiResult<Option<ArchiveView>> {
        Ok(self.control.list_archives(None)?.into_iter().find(|a| a.name == name).map(|a| self.view(a)))
    }

    /// Every archive of every bus, by bus then name.
    ///
    /// # Errors
    /// Storage failures.
    pub fn list_all(&self) -> ApiResult<ArchiveList> {
        Ok(ArchiveList {
            items: self.control.list_archives(None)?.into_iter().map(|a| self.view(a)).collect(),
        })
    }

    /// A bus's archives.
    ///
    /// # Errors
    /// Storage failures.
    pub fn list(&self, bus: &str) -> ApiResult<ArchiveList> {
        Ok(ArchiveList {
            items: self.control.list_archives(Some(bus))?.into_iter().map(|a| self.view(a)).collect(),
        })
    }

    /// Deletes an archive and its events.
    ///
    /// # Errors
    /// `archive_not_found`.
    pub async fn delete(&self, bus: &str, name: &str) -> ApiResult<()> {
        self.get(bus, name)?;
        self.control.delete_archive(bus, name).await?;
        self.resync()?; // drops its events
        self.store.flush().await?;
        Ok(())
    }

    /// Deletes every archive of a bus (the bus is being deleted).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn remove_bus(&self, bus: &str) -> ApiResult<()> {
        for record in self.control.list_archives(Some(bus))? {
            self.control.delete_archive(bus, &record.name).await?;
        }
        self.resync() // drops their events
    }

    /// The PutEvents hook: archives an accepted event (`bytes`, whose `time` is `time`)
    /// in every archive of `bus` it matches. Replayed events are skipped. Not flushed:
    /// the request flushes.
    ///
    /// # Errors
    /// Storage failures.
    pub fn on_event(&self, bus: &str, replayed: bool, time: Option<&str>, bytes: &[u8]) -> ApiResult<()> {
        if !self.any.load(Ordering::Acquire) || replayed {
            return Ok(());
        }
        let names = {
            let buses = self.buses.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            let Some(routes) = buses.get(bus) else { return Ok(()) };
            let mut names = routes.all.clone();
            if !routes.matcher.is_empty() {
                // The service wrote these bytes, so they are JSON.
                names.extend(routes.matcher.matches_bytes(bytes).unwrap_or_default());
            }
            names
        };
        if names.is_empty() {
            return Ok(());
        }
        let time_ms = event_time_ms(time);
        for name in names {
            self.store.archive_event(bus, &name, time_ms, self.store.next_seq(), bytes)?;
            let mut totals = self.lock_totals();
            let t = totals.entry((bus.to_owned(), name)).or_default();
            t.0 += 1;
            t.1 += bytes.len() as u64;
        }
        Ok(())
    }

    /// Removes events past their archive's retention. Returns how many.
    ///
    /// # Errors
    /// Storage failures.
    pub fn sweep(&self, now_ms: u64) -> ApiResult<u64> {
        let mut removed = 0;
        for record in self.control.list_archives(None)? {
            if record.retention_days == 0 {
                continue;
            }
            let keep_ms = u64::from(record.retention_days) * 86_400_000;
            let (n, size) =
                self.store.expire_archived(&record.bus, &record.name, now_ms.saturating_sub(keep_ms))?;
            if n > 0 {
                let mut totals = self.lock_totals();
                let t = totals.entry((record.bus.clone(), record.name.clone())).or_default();
                t.0 = t.0.saturating_sub(n);
                t.1 = t.1.saturating_sub(size);
                removed += n;
            }
        }
        Ok(removed)
    }

    /// Runs [`Self::sweep`] every `period` on the current tokio runtime (first at once).
    pub fn start_sweeper(&self, period: Duration) {
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                let sweeper = this.clone();
                let now = crate::model::now_ms();
                match tokio::task::spawn_blocking(move || sweeper.sweep(now)).await {
                    Ok(Err(e)) => tracing::error!(error = %e, "archive retention sweep failed"),
                    Ok(Ok(n)) if n > 0 => tracing::info!(removed = n, "archive retention sweep"),
                    _ => {}
                }
                tokio::time::sleep(period).await;
            }
        });
    }

    /// Archived events of a window, for replays.
    ///
    /// # Errors
    /// Storage failures.
    pub fn window(
        &self,
        bus: &str,
        name: &str,
        (from_ms, to_ms): (u64, u64),
        after: Option<(u64, u64)>,
        max: usize,
    ) -> ApiResult<Vec<ArchivedEvent>> {
        Ok(self.store.archived_window(bus, name, from_ms, to_ms, after, max)?)
    }

    /// Number of archived events in a window.
    pub fn count(&self, bus: &str, name: &str, (from_ms, to_ms): (u64, u64)) -> u64 {
        self.store.archived_count(bus, name, from_ms, to_ms)
    }
}
