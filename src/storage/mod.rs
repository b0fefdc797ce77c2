//! Storage: the only module that talks to sled.
//!
//! One [`Store`] owns the `sled::Db`. Tree names are constants, keys have explicit codecs
//! (see `codec.rs`), values are JSON. Writes that span trees run in one sled transaction,
//! and callers must `flush` before acknowledging a write (sled is not durable until then).
//!
//! sled 0.34 deadlocks when a flush runs while a transaction waits for its global write
//! lock (reproduced here with 40 concurrent registrations). So sled's own background
//! flusher is off, and [`Store`] flushes itself: transactions hold the `commit` lock
//! shared, a flush holds it exclusively. Flushes are group commits: a caller whose write
//! finished before a flush started returns as soon as that flush ends, so concurrent
//! writers share one fsync.
//!
//! The bus's hot data (accepted events, queue messages) is not in sled but in the
//! journal (`journal/`), an append-only segment log with its own group commit; queue
//! messages are indexed in memory and rebuilt from it at open. [`Store::flush`] makes
//! both durable.
//!
//! The on-disk format is versioned: a `format_version` key in the `meta` tree is checked
//! at open, so a directory written by a newer release, or a directory that is not ours,
//! is refused with a clear message instead of being misread.

mod access_store;
mod archives;
mod codec;
mod configs;
mod control;
mod destination_store;
mod error;
mod events;
mod export;
mod journal;
/// Journal replay over plain files, for the `journal` fuzz target only (not an API).
#[doc(hidden)]
pub use journal::fuzzing as journal_fuzzing;
mod message;
mod migrate;
mod modes;
mod outbox;
mod port;
pub mod postgres;
mod queues;
mod registries;
mod registry_store;
mod schema_ids;
mod schemas;
mod seal;
mod sled_registry;
mod space;
#[cfg(test)]
mod tests;

mod audit;
mod keys;
mod lease;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

pub use access_store::{AccessStore, AuditStore, Revocation};
pub use archives::ArchivedEvent;
pub(crate) use control::AwsKind;
pub use control::{Applied, Collection, Control, ControlStore, Document, Op};
pub use destination_store::DestinationStore;
pub use error::StorageError;
pub(crate) use events::{EventRef, EventWrites, Outgoing};
pub use export::{EXPORT_VERSION, ExportSummary, RegistrySink, SHARED_TREES, TreeEntries};
use journal::Journal;
pub(crate) use journal::{Write, Writer};
pub use lease::{LEASE_TTL, Lease, LeaseStore, LocalLeases};
pub use outbox::DueDelivery;
pub use port::StoreFuture;
use queues::QueueIndex;
pub use queues::{QueueCounts, ReceivedMessage, VisibilityChange};
pub(crate) use queues::{ReceiveSpec, wellformed_handle};
pub use registry_store::{DeleteOutcome, IdRefusal, NewVersion, Page, RegisterOutcome, RegistryStore};

/// The format this build reads and writes (2: queue messages and events in the journal).
pub const FORMAT_VERSION: u32 = 2;

const META: &str = "meta";
const FORMAT_KEY: &[u8] = b"format_version";
const PROBE_KEY: &[u8] = b"readiness_probe";
/// The counter of sled flushes (see `seal.rs`).
const FLUSH_MARK_KEY: &[u8] = b"flush_mark";

pub(crate) const REGISTRIES: &str = "registries";
pub(crate) const SCHEMAS: &str = "schemas";
pub(crate) const VERSIONS: &str = "versions";
pub(crate) const COUNTERS: &str = "version_counters";
pub(crate) const REFERRERS: &str = "referrers";
pub(crate) const CONFIGS: &str = "compatibility_configs";
pub(crate) const BUSES: &str = "buses";
pub(crate) const RULES: &str = "rules";
/// Format 1 event log; unused since format 2 (kept so old directories open).
pub(crate) const API_KEYS: &str = "api_keys";
/// AWS credentials of API keys (key: access key id; the secret sealed, see `auth/aws.rs`).
pub(crate) const AWS_CREDENTIALS: &str = "aws_credentials";
pub(crate) const AUDIT: &str = "audit";
pub(crate) const EVENTS: &str = "events";
pub(crate) const QUARANTINE: &str = "quarantine";
pub(crate) const QUEUES: &str = "queues";
/// Format 1 queue messages; moved to the journal by the format 2 migration.
pub(crate) const MESSAGES: &str = "queue_messages";
/// Discovery settings per bus (key: bus name).
pub(crate) const DISCOVERY_CONFIGS: &str = "discovery_configs";
/// Discovery state per event type (key: `source@DetailType`).
pub(crate) const DISCOVERY_TYPES: &str = "discovery_types";
/// Inference hints per discovered schema (key: schema name).
pub(crate) const DISCOVERY_HINTS: &str = "discovery_hints";
/// Drift findings already reported (key: `bus 0x00 type`).
pub(crate) const DISCOVERY_DRIFT: &str = "discovery_drift";
/// What only the AWS Schemas API has: discoverers and resource policies (see
/// `aws_schemas.rs`).
pub(crate) const AWS_SCHEMAS: &str = "aws_schemas";
/// Pending webhook deliveries (key: `due_ms seq`).
pub(crate) const OUTBOX: &str = "outbox";
/// Ended webhook deliveries, for traces (key: `bus 0x00 event_id 0x00 seq`).
pub(crate) const DELIVERIES: &str = "deliveries";
/// Archives (key: `bus 0x00 archive`).
pub(crate) const ARCHIVES: &str = "archives";
/// Archived events (key: `bus 0x00 archive 0x00 time_ms seq`).
pub(crate) const ARCHIVED_EVENTS: &str = "archived_events";
/// Replays (key: name).
pub(crate) const REPLAYS: &str = "replays";
/// Global schema ids (see `schema_ids.rs`).
pub(crate) const SCHEMA_IDS: &str = "schema_ids";
/// Versions holding each schema id (key: `id u32be` + version key).
pub(crate) const SCHEMA_ID_VERSIONS: &str = "schema_id_versions";
/// Confluent registry modes (see `modes.rs`).
pub(crate) const MODES: &str = "ccompat_modes";
/// Last tick fired per scheduled rule (key: `bus 0x00 rule`; see `schedules.rs`).
pub(crate) const SCHEDULE_TICKS: &str = "schedule_ticks";
/// Connections of API destinations (key: name; secrets sealed, see `destinations.rs`).
pub(crate) const CONNECTIONS: &str = "connections";
/// API destinations (key: name).
pub(crate) const API_DESTINATIONS: &str = "api_destinations";
/// Tags of AWS-API resources (key: ARN).
pub(crate) const TAGS: &str = "tags";

/// Default of `--min-free-disk-mb`: room for what sled and the journal may still write
/// from memory after the check (sled's 8 MiB log buffer, up to 8 MiB of deferred journal
/// bytes), several times over.
pub const DEFAULT_MIN_FREE_DISK_MB: u64 = 64;

/// Storage tuning that users may want to set.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// sled page cache size in bytes.
    pub cache_capacity_bytes: u64,
    /// Size at which a journal segment is sealed and a new one started.
    pub journal_segment_bytes: u64,
    /// Longest a group commit waits for requests still building their batch.
    pub group_commit_delay: std::time::Duration,
    /// Free bytes kept on the data directory's disk: writes are refused with
    /// [`StorageError::Full`] below it (0: no guard). See `space.rs`.
    pub min_free_disk_bytes: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            cache_capacity_bytes: 64 * 1024 * 1024,
            journal_segment_bytes: 64 * 1024 * 1024,
            group_commit_delay: std::time::Duration::from_micros(1000),
            min_free_disk_bytes: DEFAULT_MIN_FREE_DISK_MB * 1024 * 1024,
        }
    }
}

/// Group-commit bookkeeping shared by every clone of a [`Store`].
#[derive(Debug, Default)]
struct Durability {
    /// Transactions hold this shared; a flush holds it exclusively (see module docs).
    commit: RwLock<()>,
    /// One flush at a time.
    flushing: Mutex<()>,
    /// Incremented after every write.
    written: AtomicU64,
    /// The `written` value the last completed flush covered.
    flushed: AtomicU64,
    /// Flushes that reached the disk (to see group commit work, in metrics).
    flushes: AtomicU64,
    /// The last flush mark stored in sled (see `seal.rs`).
    mark: AtomicU64,
}

/// The embedded database and its trees. Cheap to clone (sled handles are `Arc`s).
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    durability: Arc<Durability>,
    path: PathBuf,
    meta: sled::Tree,
    pub(crate) registries: sled::Tree,
    pub(crate) schemas: sled::Tree,
    pub(crate) versions: sled::Tree,
    pub(crate) counters: sled::Tree,
    pub(crate) referrers: sled::Tree,
    pub(crate) configs: sled::Tree,
    pub(crate) buses: sled::Tree,
    pub(crate) rules: sled::Tree,
    pub(crate) events: sled::Tree,
    pub(crate) quarantine: sled::Tree,
    pub(crate) queues: sled::Tree,
    pub(crate) messages: sled::Tree,
    pub(crate) discovery_configs: sled::Tree,
    pub(crate) discovery_types: sled::Tree,
    pub(crate) discovery_hints: sled::Tree,
    pub(crate) discovery_drift: sled::Tree,
    pub(crate) aws_schemas: sled::Tree,
    journal: Arc<Journal>,
    /// Written after every sled flush (see `seal.rs`).
    seal: Arc<seal::Seal>,
    /// Refuses writes while the disk is (nearly) full.
    space: Arc<space::SpaceGuard>,
    queue_index: Arc<QueueIndex>,
    /// Raised after every control-plane write (see `control/`).
    control_generation: Arc<AtomicU64>,
    /// Serialises control-plane batches (see `control/sled_adapter.rs`).
    control_lock: Arc<Mutex<()>>,
    pub(crate) api_keys: sled::Tree,
    pub(crate) aws_credentials: sled::Tree,
    pub(crate) audit: sled::Tree,
    pub(crate) outbox: sled::Tree,
    pub(crate) deliveries: sled::Tree,
    pub(crate) archives: sled::Tree,
    pub(crate) archived: sled::Tree,
    pub(crate) replays: sled::Tree,
    pub(crate) schema_ids: sled::Tree,
    pub(crate) id_versions: sled::Tree,
    pub(crate) modes: sled::Tree,
    pub(crate) schedule_ticks: sled::Tree,
    pub(crate) connections: sled::Tree,
    pub(crate) api_destinations: sled::Tree,
    pub(crate) tags: sled::Tree,
    /// Sequence for event, quarantine and message keys (see [`Store::next_seq`]).
    seq: Arc<AtomicU64>,
    /// Serialises the access aggregate's checked writes (see `access_store.rs`).
    access_lock: Arc<Mutex<()>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (or creates) the store under `dir`.
    ///
    /// # Errors
    /// [`StorageError::Open`] when sled cannot open the directory (locked by another
    /// process, corrupt, unreadable), [`StorageError::Format`] when it holds another
    /// format version or is not a schemabus directory.
    pub fn open(dir: &Path, options: &StoreOptions) -> Result<Self, StorageError> {
        std::fs::create_dir_all(dir).map_err(|e| StorageError::Open {
            path: dir.to_path_buf(),
            reason: format!("cannot create the directory: {e}"),
        })?;
        let db = sled::Config::new()
            .path(dir.join("sled"))
            .cache_capacity(options.cache_capacity_bytes)
            .flush_every_ms(None)
            .open()
            .map_err(|e| StorageError::Open { path: dir.to_path_buf(), reason: describe_open_error(&e) })?;
        let tree = |name: &str| db.open_tree(name).map_err(StorageError::from);
        let (seal, sealed) = seal::Seal::open(dir)
            .map_err(|e| StorageError::Open { path: dir.to_path_buf(), reason: format!("sled.seal: {e}") })?;
        let queue_index = Arc::new(QueueIndex::default());
        let journal = Journal::open(&dir.join("journal"), options.journal_segment_bytes, |replayed| {
            queue_index.replay(&replayed);
        })
        .map_err(|e| StorageError::Open { path: dir.to_path_buf(), reason: format!("journal: {e}") })?;
        let store = Self {
            meta: tree(META)?,
            registries: tree(REGISTRIES)?,
            schemas: tree(SCHEMAS)?,
            versions: tree(VERSIONS)?,
            counters: tree(COUNTERS)?,
            referrers: tree(REFERRERS)?,
            configs: tree(CONFIGS)?,
            buses: tree(BUSES)?,
            rules: tree(RULES)?,
            events: tree(EVENTS)?,
            quarantine: tree(QUARANTINE)?,
            queues: tree(QUEUES)?,
            messages: tree(MESSAGES)?,
            discovery_configs: tree(DISCOVERY_CONFIGS)?,
            discovery_types: tree(DISCOVERY_TYPES)?,
            discovery_hints: tree(DISCOVERY_HINTS)?,
            discovery_drift: tree(DISCOVERY_DRIFT)?,
            aws_schemas: tree(AWS_SCHEMAS)?,
            journal: {
                let journal = Arc::new(journal);
                journal.start_syncer(options.group_commit_delay).map_err(|e| StorageError::Open {
                    path: dir.to_path_buf(),
                    reason: format!("cannot start the journal syncer: {e}"),
                })?;
                journal
            },
            queue_index,
            space: Arc::new(space::SpaceGuard::new(dir, options.min_free_disk_bytes)),
            seal: Arc::new(seal),
            control_generation: Arc::default(),
            control_lock: Arc::default(),
            api_keys: tree(API_KEYS)?,
            aws_credentials: tree(AWS_CREDENTIALS)?,
            audit: tree(AUDIT)?,
            outbox: tree(OUTBOX)?,
            deliveries: tree(DELIVERIES)?,
            archives: tree(ARCHIVES)?,
            archived: tree(ARCHIVED_EVENTS)?,
            replays: tree(REPLAYS)?,
            schema_ids: tree(SCHEMA_IDS)?,
            id_versions: tree(SCHEMA_ID_VERSIONS)?,
            modes: tree(MODES)?,
            schedule_ticks: tree(SCHEDULE_TICKS)?,
            connections: tree(CONNECTIONS)?,
            api_destinations: tree(API_DESTINATIONS)?,
            tags: tree(TAGS)?,
            seq: Arc::new(AtomicU64::new(initial_seq())),
            access_lock: Arc::default(),
            path: dir.to_path_buf(),
            durability: Arc::default(),
            db,
        };
        store.check_seal(sealed)?;
        store.check_format()?;
        Ok(store)
    }

    /// Refuses a sled that came back without flushes the seal says it made (see
    /// `seal.rs`).
    fn check_seal(&self, sealed: u64) -> Result<(), StorageError> {
        let mark = match self.meta.get(FLUSH_MARK_KEY)? {
            Some(bytes) => <[u8; 8]>::try_from(bytes.as_ref()).map(u64::from_be_bytes).unwrap_or(0),
            None => 0,
        };
        if mark < sealed {
            return Err(StorageError::Open {
                path: self.path.clone(),
                reason: format!(
                    "sled's file {} lost writes it had acknowledged: it holds flush {mark}, sled.seal says flush {sealed} was made. sled recovered only up to a damaged entry (its byte offset is the `lid` of the line 'read corrupted msg' that --log-level sled=trace prints). Nothing was changed; see docs/RELIABILITY.md#storage-faults for the repair",
                    self.path.join("sled").join("db").display()
                ),
            });
        }
        self.durability.mark.store(mark.max(sealed), Ordering::Release);
        Ok(())
    }

    fn check_format(&self) -> Result<(), StorageError> {
        match self.meta.get(FORMAT_KEY)? {
            Some(bytes) => {
                let found = <[u8; 4]>::try_from(bytes.as_ref()).map(u32::from_be_bytes).map_err(|_| {
                    StorageError::Format {
                        path: self.path.clone(),
                        reason: "the format_version key is damaged".to_owned(),
                    }
                })?;
                if found == FORMAT_VERSION {
                    Ok(())
                } else if found > FORMAT_VERSION {
                    Err(StorageError::Format {
                        path: self.path.clone(),
                        reason: format!(
                            "it was written by a newer schemabus (format {found}; this build reads format {FORMAT_VERSION})"
                        ),
                    })
                } else if found == 1 {
                    self.migrate_1_to_2()?;
                    self.meta.insert(FORMAT_KEY, &FORMAT_VERSION.to_be_bytes())?;
                    self.db.flush()?;
                    Ok(())
                } else {
                    Err(StorageError::Format {
                        path: self.path.clone(),
                        reason: format!("format {found} has no migration to format {FORMAT_VERSION}"),
                    })
                }
            }
            None => {
                let has_data = self.db.tree_names().iter().any(|name| {
                    name.as_ref() != b"__sled__default"
                        && self.db.open_tree(name).map(|t| !t.is_empty()).unwrap_or(true)
                });
                if has_data {
                    return Err(StorageError::Format {
                        path: self.path.clone(),
                        reason: "it holds data but no format version: it is not a schemabus data directory"
                            .to_owned(),
                    });
                }
                self.meta.insert(FORMAT_KEY, &FORMAT_VERSION.to_be_bytes())?;
                self.db.flush()?;
                Ok(())
            }
        }
    }

    /// Refuses a write (before anything is written) while the disk is full: see `space.rs`.
    ///
    /// # Errors
    /// [`StorageError::Full`].
    pub(crate) fn room(&self) -> Result<(), StorageError> {
        self.space.check()
    }

    /// Runs a multi-tree transaction under the commit lock, and counts it as a write.
    pub(crate) fn in_commit<T>(&self, work: impl FnOnce() -> T) -> T {
        let result = {
            let _shared = self.durability.commit.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            work()
        };
        self.durability.written.fetch_add(1, Ordering::AcqRel);
        result
    }

    /// Counts a single-key write (inserts need no commit lock: they take sled's lock
    /// shared, as a flush does).
    pub(crate) fn wrote(&self) {
        self.durability.written.fetch_add(1, Ordering::AcqRel);
    }

    /// Marks the caller as building a batch of events it will commit soon, until the
    /// guard drops: group commits wait for it (see `journal/syncer.rs`).
    pub(crate) fn writer(&self) -> journal::Writer<'_> {
        self.journal.writer()
    }

    /// Makes every write so far durable. Call before acknowledging a write.
    ///
    /// # Errors
    /// The I/O error sled reports.
    pub async fn flush(&self) -> Result<(), StorageError> {
        self.journal.wait_durable().await?;
        let d = &self.durability;
        if d.flushed.load(Ordering::Acquire) >= d.written.load(Ordering::Acquire) {
            return Ok(()); // nothing new in sled: the PutEvents path, usually
        }
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.flush_blocking())
            .await
            .map_err(|e| StorageError::Sled(sled::Error::Io(std::io::Error::other(e.to_string()))))?
    }

    /// Blocking variant of [`Self::flush`], for shutdown and the CLI.
    ///
    /// # Errors
    /// The I/O error sled reports.
    pub fn flush_blocking(&self) -> Result<(), StorageError> {
        self.journal.sync()?;
        let d = &self.durability;
        let target = d.written.load(Ordering::Acquire);
        if d.flushed.load(Ordering::Acquire) >= target {
            return Ok(()); // nothing new in sled (the PutEvents path usually)
        }
        let _one = d.flushing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if d.flushed.load(Ordering::Acquire) >= target {
            return Ok(()); // a flush that started after our write already covered it
        }
        let covered = d.written.load(Ordering::Acquire);
        {
            let _exclusive = d.commit.write().unwrap_or_else(std::sync::PoisonError::into_inner);
            let mark = d.mark.load(Ordering::Acquire) + 1;
            self.meta.insert(FLUSH_MARK_KEY, &mark.to_be_bytes())?;
            self.db.flush()?;
            d.mark.store(mark, Ordering::Release);
            self.seal.write(mark);
        }
        d.flushed.fetch_max(covered, Ordering::AcqRel);
        d.flushes.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Proves the store is writable: writes a probe key and flushes it.
    ///
    /// # Errors
    /// Whatever keeps the write or the flush from succeeding.
    pub async fn probe(&self) -> Result<(), StorageError> {
        self.room()?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp().to_be_bytes();
        self.meta.insert(PROBE_KEY, &now)?;
        self.wrote();
        self.flush().await
    }

    /// A number larger than every one handed out before, in this process or an earlier
    /// one: it starts from the clock in microseconds, and a restart takes far longer than
    /// the numbers a run can consume per microsecond. Avoids a persisted counter (which
    /// would cost a write per event).
    pub(crate) fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    /// Held while a checked write of keys runs (one name, one key; the last admin key).
    pub(crate) fn access_changes(&self) -> std::sync::MutexGuard<'_, ()> {
        self.access_lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Flushes that reached the disk since the store was opened (sled flushes and
    /// journal syncs).
    pub fn flush_count(&self) -> u64 {
        self.durability.flushes.load(Ordering::Relaxed) + self.journal.sync_count()
    }

    /// Deletes journal segments, oldest first, once they are older than `retention` —
    /// after rewriting at the end of the journal any queue message whose body they still
    /// hold. Deleting only from the front keeps replay exact: every surviving record has
    /// every later record surviving too.
    ///
    /// # Errors
    /// I/O errors.
    pub fn compact_journal(&self, retention: Duration) -> Result<usize, StorageError> {
        // A batch's queue messages are indexed just after its append: a segment sealed a
        // minute ago cannot hold a body that is not indexed yet.
        let retention = retention.max(Duration::from_secs(60));
        self.compact_sealed_before(SystemTime::now().checked_sub(retention).unwrap_or(SystemTime::UNIX_EPOCH))
    }

    /// Compaction of the segments sealed before `cutoff` (see [`Self::compact_journal`]).
    fn compact_sealed_before(&self, cutoff: SystemTime) -> Result<usize, StorageError> {
        let mut deleted = 0;
        for segment in self.journal.segments() {
            if segment.active || segment.sealed_at > cutoff {
                break;
            }
            let moved = self.relocate_messages_before(segment.end)?;
            if moved > 0 {
                tracing::info!(messages = moved, "journal compaction: live messages rewritten");
            }
            self.journal.sync()?;
            if self.journal.delete_oldest(segment.start)? {
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    /// The data directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes used on disk: sled's count plus the journal's segments.
    pub fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0) + self.journal.size_on_disk()
    }
}

fn initial_seq() -> u64 {
    let micros = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000;
    u64::try_from(micros).unwrap_or(0)
}

fn describe_open_error(e: &sled::Error) -> String {
    match e {
        sled::Error::Io(io) if io.kind() == std::io::ErrorKind::WouldBlock => {
            "another process holds its lock (is another schemabus running on it?)".to_owned()
        }
        sled::Error::Io(io) => format!("I/O error: {io}"),
        sled::Error::Corruption { .. } => {
            "sled reports corruption. Restore the directory from a backup (or an export) and start again"
                .to_owned()
        }
        other => other.to_string(),
    }
}
