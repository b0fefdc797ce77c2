//! The journal: an append-only log of segment files holding the bus's hot data (accepted
//! events and every queue message state change), outside sled.
//!
//! Why not sled: sled copies a leaf page on every insert, so a 1 KB event cost 35 to
//! 100 µs to store, and PutEvents could not reach half the speed of merely parsing its
//! body. Here a whole PutEvents request is one `write(2)` of its encoded records, and
//! durability is one `fdatasync` shared by every request that arrived while the
//! previous one ran (group commit).
//!
//! Layout: `<data>/journal/<start>.seg`, where `start` (16 hex digits) is the global
//! position of the segment's first byte; positions grow across segments and are never
//! reused, so a position names one byte forever. Frames are `len(u32 le) crc32(u32 le)
//! payload` (`record.rs` encodes payloads). A batch never spans two segments, so a record
//! and the bytes it carries are always in one file.
//!
//! Writes: an append is normally one `write(2)` at once. A PutEvents request that will
//! wait for the next group commit anyway (strict durability) instead leaves its batch in
//! memory ([`Write::WithNextSync`]), and the syncer writes every such batch with one
//! `write(2)` just before its `fdatasync`: in the `bus_load` bench a request's own
//! `write(2)` of about 12 KB cost about 24 µs of CPU, mostly the kernel preparing page
//! cache pages one small write at a time. Bytes still in memory are read from there
//! (see [`Journal::read`]), and any write of the other kind first writes them, so the
//! file always holds a prefix of the journal.
//!
//! A full disk: a write that fails with ENOSPC or EDQUOT discards whatever part of it
//! reached the file (the file is cut back to where the write began, keeping its size),
//! so no torn or orphan frame of a batch answered with an error can replay later, and the
//! journal goes on: deferred bytes stay in memory for the next sync, whose waiters are
//! answered with the error meanwhile. Any other write error, and any failed `fdatasync`,
//! poisons the journal (see [`Journal::poison`]).
//!
//! Crash safety: a segment is synced before the next one is created, so only the last
//! segment can end in a torn frame; opening truncates it to its last whole frame, unless
//! a whole frame follows the bad one (damage in the middle, not a torn end: opening
//! refuses, naming the file and the offset, rather than drop what follows). Older
//! segments are deleted only from the front (see `Store::compact_journal`), so every
//! record that survives has every later record surviving too.

pub(crate) mod record;
mod replay;
mod syncer;

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock, Weak};
use std::time::SystemTime;

pub(crate) use record::{Body, Record};

const FRAME_HEADER: usize = 8;
const SUFFIX: &str = "seg";

/// A batch of records encoded before the writer lock is taken.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    buf: Vec<u8>,
}

/// Writes the header of the frame `frame` starts with (its first `FRAME_HEADER` bytes
/// reserved, the payload after them): the payload's length and CRC.
fn seal_frame(frame: &mut [u8]) {
    let (header, payload) = frame.split_at_mut(FRAME_HEADER);
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX).to_le_bytes();
    let crc = crc32fast::hash(payload).to_le_bytes();
    header[..4].copy_from_slice(&len);
    header[4..8].copy_from_slice(&crc);
}

impl Batch {
    /// An empty batch with room for `bytes` (frames included) without growing.
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        Self { buf: Vec::with_capacity(bytes + 64) }
    }

    /// Appends a record; returns the offset in the batch of its frame and of the bytes it
    /// carries (event lines or an inline body), if any.
    pub(crate) fn push(&mut self, record: &Record<'_>) -> (usize, Option<usize>) {
        let frame = self.buf.len();
        self.buf.extend_from_slice(&[0; FRAME_HEADER]);
        let carried = record.encode(&mut self.buf).map(|at| frame + FRAME_HEADER + at);
        seal_frame(&mut self.buf[frame..]);
        (frame, carried)
    }

    /// Bytes encoded so far.
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing was pushed.
    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

#[derive(Debug)]
struct Segment {
    file: Arc<File>,
    /// Bytes in the file (grows for the active segment only).
    len: u64,
    /// When it stopped growing (for the active one: when it was opened).
    sealed_at: SystemTime,
}

#[derive(Debug)]
struct Active {
    start: u64,
    file: Arc<File>,
    /// Bytes of the segment, those still in `pending` included.
    len: u64,
    /// The segment's last bytes, appended with [`Write::WithNextSync`] and not yet
    /// written to the file.
    pending: Vec<u8>,
    /// An empty buffer for `pending` to swap with (keeps its capacity across syncs).
    spare: Vec<u8>,
}

impl Active {
    fn new(start: u64, file: Arc<File>, len: u64) -> Self {
        Self { start, file, len, pending: Vec::new(), spare: Vec::new() }
    }

    /// Offset in the segment file of the first byte in `pending` (bytes taken out of it
    /// by a `write_pending` under way are before it, not yet in the file).
    fn in_file(&self) -> u64 {
        self.len - self.pending.len() as u64
    }
}

/// When an append's bytes go to the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Write {
    /// At once: readable by another process, and kept if this one is killed.
    Now,
    /// With the next group commit's `fdatasync`, for a caller that waits for it
    /// ([`Journal::wait_durable`]) before answering: until then the bytes live only in
    /// this process.
    WithNextSync,
}

/// Bytes left pending at most before an append writes them itself (when syncs stall,
/// memory must not grow with the backlog).
const MAX_PENDING: usize = 8 << 20;

/// A live segment, as compaction sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SegmentInfo {
    pub start: u64,
    pub end: u64,
    pub sealed_at: SystemTime,
    pub active: bool,
}

/// The journal. Shared through an `Arc` by every clone of the store.
#[derive(Debug)]
pub(crate) struct Journal {
    dir: PathBuf,
    segment_bytes: u64,
    active: Mutex<Active>,
    segments: RwLock<BTreeMap<u64, Segment>>,
    /// Global position of the end of the last append.
    written: AtomicU64,
    /// Global position up to which appended bytes are in the file (the rest pending).
    in_file: AtomicU64,
    /// One writer of pending bytes at a time, and readers of pending bytes wait for it.
    /// Taken before `active` when both are held.
    writing: Mutex<()>,
    /// Global position up to which every byte is on disk.
    durable: AtomicU64,
    /// One fdatasync at a time; waiters behind it usually find their bytes covered.
    syncing: Mutex<()>,
    syncs: AtomicU64,
    /// Set when an fdatasync failed: what the page cache held may never reach the disk
    /// (Linux drops dirty pages after reporting the error), so nothing more is accepted.
    poisoned: AtomicBool,
    /// Writes that failed for a full disk without poisoning (waiters compare it to see
    /// that the sync they waited for failed), and the `raw_os_error` of the last one.
    failures: AtomicU64,
    last_failure: std::sync::atomic::AtomicI32,
    /// `durable`, for async waiters (see [`Journal::wait_durable`]).
    durable_tx: tokio::sync::watch::Sender<u64>,
    /// Wakes the syncer thread.
    wanted: Arc<Signal>,
    /// Requests preparing a batch they have not appended yet (see [`Journal::writer`]):
    /// the syncer waits a little for them, so one fdatasync covers them too.
    writers: AtomicUsize,
    /// Set while the syncer waits for `writers` to reach zero.
    syncer_waiting: AtomicBool,
}

/// A flag and condition variable waking a background thread.
#[derive(Debug, Default)]
struct Signal {
    pending: Mutex<bool>,
    wake: Condvar,
}

impl Signal {
    /// Waits until the flag is raised and returns it still held, so the caller decides
    /// when to lower it; `None` once the journal is gone (looked at every second), for
    /// the thread to end.
    fn wait(&self, journal: &Weak<Journal>) -> Option<std::sync::MutexGuard<'_, bool>> {
        let mut pending = lock(&self.pending);
        while !*pending {
            let (guard, timeout) = self
                .wake
                .wait_timeout(pending, std::time::Duration::from_secs(1))
                .unwrap_or_else(PoisonError::into_inner);
            pending = guard;
            if timeout.timed_out() && journal.strong_count() == 0 {
                return None;
            }
        }
        Some(pending)
    }

    /// Raises the flag; wakes the thread only if it was down (a raised flag is already
    /// seen or about to be, and each needless wake-up is a context switch).
    fn raise(&self) {
        let mut pending = lock(&self.pending);
        if !*pending {
            *pending = true;
            self.wake.notify_one();
        }
    }
}

/// Held by a request between starting to build its batch and appending it (see
/// [`Journal::writer`]).
#[derive(Debug)]
pub(crate) struct Writer<'a>(&'a Journal);

impl Drop for Writer<'_> {
    fn drop(&mut self) {
        let journal = self.0;
        if journal.writers.fetch_sub(1, Ordering::SeqCst) == 1
            && journal.syncer_waiting.load(Ordering::SeqCst)
        {
            // Under the lock, so the wake-up cannot fall between the syncer's check and its wait.
            let _guard = lock(&journal.wanted.pending);
            journal.wanted.wake.notify_one();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn segment_path(dir: &Path, start: u64) -> PathBuf {
    dir.join(format!("{start:016x}.{SUFFIX}"))
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// What replay hands to its visitor for each record.
pub(crate) struct Replayed<'a> {
    /// Global position of the record's frame.
    pub frame: u64,
    /// Global position of the bytes the record carries, if any.
    pub carried: Option<u64>,
    pub record: Record<'a>,
}

impl Journal {
    /// Opens the journal under `dir`, replaying every record to `visit` in order, and
    /// truncating a torn frame at the end of the last segment.
    ///
    /// # Errors
    /// I/O errors, and a damaged frame anywhere but at the end of the last segment.
    pub(crate) fn open(
        dir: &Path,
        segment_bytes: u64,
        mut visit: impl FnMut(Replayed<'_>),
    ) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        remove_old_spare(dir)?;
        let mut starts = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let name = entry?.file_name();
            let name = name.to_string_lossy();
            if let Some(hex) = name.strip_suffix(&format!(".{SUFFIX}"))
                && let Ok(start) = u64::from_str_radix(hex, 16)
            {
                starts.push(start);
            }
        }
        starts.sort_unstable();
        let mut segments = BTreeMap::new();
        let mut end = 0;
        let count = starts.len();
        for (i, start) in starts.into_iter().enumerate() {
            let path = segment_path(dir, start);
            let file = OpenOptions::new().read(true).write(true).open(&path)?;
            let scanned = replay::replay_file(&file, start, replay::CHUNK, &mut visit)?;
            let whole = scanned.whole;
            let last = i + 1 == count;
            // After the frames: the zeros of preallocation (fine), or a torn frame, which
            // only the last segment may have.
            if !scanned.clean_tail {
                if !last {
                    return Err(io::Error::other(format!(
                        "journal segment {} is damaged at byte {whole} (it is not the last segment, so this is not a torn write); see docs/RELIABILITY.md#storage-faults for the repair",
                        path.display()
                    )));
                }
                // A torn write leaves nothing whole after it; damage in the middle does.
                if let Some(next) = replay::whole_frame_after(&file, whole, scanned.len)? {
                    return Err(io::Error::other(format!(
                        "journal segment {} is damaged at byte {whole}, and whole records follow at byte {next}: not a torn write at the end, so nothing is dropped; see docs/RELIABILITY.md#storage-faults for the repair",
                        path.display()
                    )));
                }
                tracing::warn!(segment = %path.display(), at = whole, "journal: torn frame at the end of the last segment dropped");
                file.set_len(whole)?; // zero the torn bytes...
                file.set_len(scanned.len)?; // ...and keep the preallocated size
                file.sync_all()?;
            }
            let sealed_at = file.metadata().and_then(|m| m.modified()).unwrap_or_else(|_| SystemTime::now());
            end = start + whole;
            segments.insert(start, Segment { file: Arc::new(file), len: whole, sealed_at });
        }
        let active = match segments.last_key_value() {
            Some((&start, segment)) => Active::new(start, Arc::clone(&segment.file), segment.len),
            None => {
                let file = Arc::new(create_segment(dir, 0, segment_bytes)?);
                segments.insert(0, Segment { file: Arc::clone(&file), len: 0, sealed_at: SystemTime::now() });
                Active::new(0, file, 0)
            }
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            segment_bytes: segment_bytes.max(1024),
            active: Mutex::new(active),
            segments: RwLock::new(segments),
            written: AtomicU64::new(end),
            in_file: AtomicU64::new(end),
            writing: Mutex::new(()),
            durable: AtomicU64::new(end),
            syncing: Mutex::new(()),
            syncs: AtomicU64::new(0),
            poisoned: AtomicBool::new(false),
            failures: AtomicU64::new(0),
            last_failure: std::sync::atomic::AtomicI32::new(0),
            durable_tx: tokio::sync::watch::Sender::new(end),
            wanted: Arc::default(),
            writers: AtomicUsize::new(0),
            syncer_waiting: AtomicBool::new(false),
        })
    }

    /// Starts the syncer thread, which runs group commits for [`Self::wait_durable`]
    /// (waiting up to `commit_delay` for requests still building their batch). It ends
    /// soon after the journal is dropped.
    pub(crate) fn start_syncer(self: &Arc<Self>, commit_delay: std::time::Duration) -> io::Result<()> {
        let (journal, wanted) = (Arc::downgrade(self), Arc::clone(&self.wanted));
        std::thread::Builder::new().name("schemabus-journal-sync".into()).spawn(move || {
            syncer::run(&journal, &wanted, commit_delay);
        })?;
        Ok(())
    }

    /// Marks the caller as building a batch it will append soon. While any such writer
    /// exists, a group commit waits for it (up to the commit delay), so under load one
    /// fdatasync covers several requests instead of one or two; with no other writer it
    /// syncs at once, so a lone client waits for nothing.
    pub(crate) fn writer(&self) -> Writer<'_> {
        self.writers.fetch_add(1, Ordering::SeqCst);
        Writer(self)
    }

    /// Waits until every byte appended before the call is durable, without holding a
    /// thread: the syncer thread runs one fdatasync for every waiter that arrived while
    /// the previous one ran (group commit).
    ///
    /// # Errors
    /// When an fdatasync failed (the journal is then poisoned), or the write of the
    /// deferred bytes failed for a full disk (they stay in memory for the next sync).
    pub(crate) async fn wait_durable(&self) -> io::Result<()> {
        let target = self.written.load(Ordering::Acquire);
        let failures = self.failures.load(Ordering::Acquire);
        let mut durable = self.durable_tx.subscribe();
        if *durable.borrow_and_update() < target {
            self.wanted.raise();
            let (poisoned, failed) = (&self.poisoned, &self.failures);
            durable
                .wait_for(|d| {
                    *d >= target
                        || poisoned.load(Ordering::Acquire)
                        || failed.load(Ordering::Acquire) != failures
                })
                .await
                .map_err(|_| io::Error::other("the journal syncer stopped"))?;
        }
        self.check_poisoned()?;
        if self.durable.load(Ordering::Acquire) < target {
            return Err(match self.last_failure.load(Ordering::Acquire) {
                0 => io::Error::from(io::ErrorKind::StorageFull),
                errno => io::Error::from_raw_os_error(errno),
            });
        }
        Ok(())
    }

    fn check_poisoned(&self) -> io::Result<()> {
        if self.poisoned.load(Ordering::Acquire) {
            Err(io::Error::other(
                "an earlier journal write or fdatasync failed; restart the service once the disk is healthy",
            ))
        } else {
            Ok(())
        }
    }

    /// Appends a batch; `write` says when its bytes go to the file (see [`Write`]).
    /// Returns the global position of its first byte. Readable at once either way,
    /// durable after [`Self::sync`].
    ///
    /// # Errors
    /// I/O errors; after one, the segment may hold part of the batch, which the next
    /// open truncates only if it is at the end (so the store should stop).
    pub(crate) fn append(&self, batch: &Batch, write: Write) -> io::Result<u64> {
        self.check_poisoned()?;
        let n = batch.buf.len() as u64;
        if write == Write::WithNextSync {
            let mut active = lock(&self.active);
            // Rotation, and a backlog that syncs did not drain, take the path below.
            if !self.must_rotate(&active, n) && active.pending.len() < MAX_PENDING {
                let base = active.start + active.len;
                active.pending.extend_from_slice(&batch.buf);
                self.grew(&mut active, n);
                drop(active);
                self.wanted.raise(); // even if the caller never waits, a sync writes them
                return Ok(base);
            }
        }
        let _writing = lock(&self.writing);
        // Again under `writing`: a deferred write that failed meanwhile left a hole that
        // nothing may be written after.
        self.check_poisoned()?;
        let mut active = lock(&self.active);
        if self.must_rotate(&active, n) {
            self.rotate(&mut active)?;
        }
        self.write_pending_locked(&mut active)?;
        let base = active.start + active.len;
        if let Err(e) = active.file.write_all_at(&batch.buf, active.len) {
            return Err(self.write_failed(&active.file, active.len, e));
        }
        self.grew(&mut active, n);
        self.in_file.fetch_max(base + n, Ordering::AcqRel);
        Ok(base)
    }

    fn must_rotate(&self, active: &Active, n: u64) -> bool {
        active.len > 0 && active.len + n > self.segment_bytes
    }

    /// Records `n` more bytes in the active segment.
    fn grew(&self, active: &mut Active, n: u64) {
        active.len += n;
        if let Some(segment) =
            self.segments.write().unwrap_or_else(PoisonError::into_inner).get_mut(&active.start)
        {
            segment.len = active.len;
        }
        self.written.fetch_max(active.start + active.len, Ordering::AcqRel);
    }

    /// Writes pending bytes taken from a segment starting at `start`, at offset `at` of
    /// its file (with `writing` held). On failure the caller puts the bytes back in
    /// `pending` (see [`Self::write_failed`]). Returns the global end written.
    fn write_out(&self, file: &File, start: u64, at: u64, bytes: &[u8]) -> io::Result<u64> {
        if !bytes.is_empty()
            && let Err(e) = file.write_all_at(bytes, at)
        {
            let e = self.write_failed(file, at, e);
            self.failures.fetch_add(1, Ordering::AcqRel);
            self.durable_tx.send_modify(|_| {}); // wakes the waiters, to fail
            return Err(e);
        }
        let end = start + at + bytes.len() as u64;
        self.in_file.fetch_max(end, Ordering::AcqRel);
        Ok(end)
    }

    /// After a failed write at offset `at` of `file`: cuts the file back to `at` (keeping
    /// its size, so a preallocated segment stays preallocated), so no part of the write
    /// stays to replay after a restart or to sit behind the next append. A full disk
    /// leaves the journal usable; any other error, or a failed cut, poisons it.
    fn write_failed(&self, file: &File, at: u64, error: io::Error) -> io::Error {
        let cut = file.metadata().and_then(|m| {
            file.set_len(at)?;
            file.set_len(m.len().max(at))
        });
        if let Err(cut) = cut {
            tracing::error!(error = %cut, "journal: cannot cut a failed write back");
            return self.poison("write", error);
        }
        if !crate::storage::error::is_disk_full(&error) {
            return self.poison("write", error);
        }
        tracing::warn!(error = %error, "journal write refused: the disk is full; the journal goes on");
        self.last_failure.store(error.raw_os_error().unwrap_or(0), Ordering::Release);
        error
    }

    /// Writes the pending bytes while holding `active` (with `writing` held too); on
    /// failure they stay pending.
    fn write_pending_locked(&self, active: &mut Active) -> io::Result<()> {
        self.write_out(&active.file, active.start, active.in_file(), &active.pending)?;
        active.pending.clear();
        Ok(())
    }

    /// Writes the pending bytes without holding `active` meanwhile (appends go on), and
    /// returns the file written and the global position up to which it holds the journal.
    fn write_pending(&self) -> io::Result<(Arc<File>, u64)> {
        let _writing = lock(&self.writing);
        self.check_poisoned()?; // after a failed write, never write past its hole
        let (file, start, at, mut bytes) = {
            let mut active = lock(&self.active);
            let at = active.in_file();
            let fresh = std::mem::take(&mut active.spare);
            let bytes = std::mem::replace(&mut active.pending, fresh);
            (Arc::clone(&active.file), active.start, at, bytes)
        };
        // Readers of these bytes wait for `writing` (see `read`).
        let end = match self.write_out(&file, start, at, &bytes) {
            Ok(end) => end,
            Err(e) => {
                // Back in front of what was appended meanwhile, for the next sync.
                let mut active = lock(&self.active);
                bytes.extend_from_slice(&active.pending);
                active.pending = bytes;
                return Err(e);
            }
        };
        bytes.clear();
        let mut active = lock(&self.active);
        if active.spare.capacity() < bytes.capacity() {
            active.spare = bytes;
        }
        Ok((file, end))
    }

    /// Marks the journal failed: bytes it acknowledged writing may never reach the disk
    /// (Linux drops dirty pages after reporting a sync error; a failed deferred write
    /// loses pending batches), so nothing more is accepted. Waiters are woken to fail.
    fn poison(&self, what: &str, error: io::Error) -> io::Error {
        tracing::error!(error = %error, "journal {what} failed; no further writes are accepted");
        self.poisoned.store(true, Ordering::Release);
        self.durable_tx.send_modify(|_| {});
        error
    }

    /// Seals the active segment (synced, so only the last segment can be torn) and starts
    /// the next one. Called with `writing` held.
    fn rotate(&self, active: &mut Active) -> io::Result<()> {
        self.write_pending_locked(active)?;
        // A failed sync may have dropped dirty pages that a later sync would not report:
        // it poisons like the syncer's.
        active.file.set_len(active.len).map_err(|e| self.poison("segment seal", e))?; // drop the unused preallocated tail
        active.file.sync_all().map_err(|e| self.poison("segment seal", e))?;
        let start = active.start + active.len;
        let file = Arc::new(create_segment(&self.dir, start, self.segment_bytes)?);
        let mut segments = self.segments.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = segments.get_mut(&active.start) {
            old.sealed_at = SystemTime::now();
        }
        segments.insert(start, Segment { file: Arc::clone(&file), len: 0, sealed_at: SystemTime::now() });
        let (pending, spare) = (std::mem::take(&mut active.pending), std::mem::take(&mut active.spare));
        *active = Active { pending, spare, ..Active::new(start, file, 0) };
        self.in_file.fetch_max(start, Ordering::AcqRel);
        self.publish_durable(start);
        Ok(())
    }

    /// Raises `durable` to `end` and wakes the waiters it satisfies.
    fn publish_durable(&self, end: u64) {
        self.durable.fetch_max(end, Ordering::AcqRel);
        self.durable_tx.send_if_modified(|d| {
            let moved = end > *d;
            *d = (*d).max(end);
            moved
        });
    }

    /// Makes every appended byte durable. Concurrent callers share one fdatasync.
    ///
    /// # Errors
    /// The I/O error of the sync.
    pub(crate) fn sync(&self) -> io::Result<()> {
        let target = self.written.load(Ordering::Acquire);
        if self.durable.load(Ordering::Acquire) >= target {
            return Ok(());
        }
        let _one = lock(&self.syncing);
        if self.durable.load(Ordering::Acquire) >= target {
            return Ok(()); // the sync we waited behind covered us
        }
        self.check_poisoned()?;
        let (file, end) = self.write_pending()?;
        if let Err(e) = file.sync_data() {
            return Err(self.poison("fdatasync", e));
        }
        // Counted before waiters are released, so one that then reads the count sees it.
        self.syncs.fetch_add(1, Ordering::Relaxed);
        self.publish_durable(end);
        Ok(())
    }

    /// fdatasyncs so far.
    pub(crate) fn sync_count(&self) -> u64 {
        self.syncs.load(Ordering::Relaxed)
    }

    /// Reads `len` bytes at global position `pos`.
    ///
    /// # Errors
    /// `NotFound` when no live segment holds them, or the read's I/O error.
    pub(crate) fn read(&self, pos: u64, len: u32) -> io::Result<Vec<u8>> {
        if pos + u64::from(len) > self.in_file.load(Ordering::Acquire) {
            // Still pending (just appended, sync to come): written now, read back below.
            self.write_pending()?;
        }
        let (start, file) = {
            let segments = self.segments.read().unwrap_or_else(PoisonError::into_inner);
            let (start, segment) = segments
                .range(..=pos)
                .next_back()
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no journal segment holds it"))?;
            (*start, Arc::clone(&segment.file))
        };
        let mut out = vec![0; len as usize];
        file.read_exact_at(&mut out, pos - start)?;
        Ok(out)
    }

    /// The live segments, oldest first.
    pub(crate) fn segments(&self) -> Vec<SegmentInfo> {
        let active = lock(&self.active).start;
        self.segments
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(&start, s)| SegmentInfo {
                start,
                end: start + s.len,
                sealed_at: s.sealed_at,
                active: start == active,
            })
            .collect()
    }

    /// Deletes the oldest segment if it starts at `start` and is not the active one.
    ///
    /// # Errors
    /// I/O errors removing the file.
    pub(crate) fn delete_oldest(&self, start: u64) -> io::Result<bool> {
        if lock(&self.active).start == start {
            return Ok(false);
        }
        {
            let mut segments = self.segments.write().unwrap_or_else(PoisonError::into_inner);
            if segments.first_key_value().map(|(s, _)| *s) != Some(start) {
                return Ok(false);
            }
            segments.remove(&start);
        }
        std::fs::remove_file(segment_path(&self.dir, start))?;
        sync_dir(&self.dir)?;
        Ok(true)
    }

    /// Bytes in live segments.
    pub(crate) fn size_on_disk(&self) -> u64 {
        self.segments.read().unwrap_or_else(PoisonError::into_inner).values().map(|s| s.len).sum()
    }
}

/// Creates a segment with its final size already set (sparse): a write inside the file's
/// size does not update the size on every append, which made ext4 appends about four
/// times as expensive here (`dd` of 13.5 KB blocks: 292 MB/s extending a file, 1.2 GB/s
/// inside a sized one). Replay stops at the zeros after the last frame.
fn create_segment(dir: &Path, start: u64, size: u64) -> io::Result<File> {
    let path = segment_path(dir, start);
    let file = OpenOptions::new().read(true).write(true).create_new(true).open(&path)?;
    if let Err(e) = file.set_len(size).and_then(|()| sync_dir(dir)) {
        // Not left behind: the next rotation creates it again (`create_new`).
        drop(std::fs::remove_file(&path));
        return Err(e);
    }
    Ok(file)
}

/// Deletes `spare.zero`, the zero-filled next segment that earlier versions prepared in
/// the background (dropped: under load, writing a segment of zeros cost more CPU than
/// the cheaper fdatasyncs it bought; figures in docs/BUS.md#the-journal).
fn remove_old_spare(dir: &Path) -> io::Result<()> {
    match std::fs::remove_file(dir.join("spare.zero")) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(bus: &str, lines: &[u8]) -> Batch {
        let mut batch = Batch::default();
        batch.push(&Record::Events { bus, lines });
        batch
    }

    fn replay_all(dir: &Path) -> (Journal, Vec<(u64, String)>) {
        let mut seen = Vec::new();
        let journal = Journal::open(dir, 4096, |r| {
            if let Record::Events { bus, .. } = r.record {
                seen.push((r.frame, bus.to_owned()));
            }
        })
        .expect("opens");
        (journal, seen)
    }

    #[test]
    fn appended_records_replay_in_order_and_read_back() {
        let dir = tempfile::tempdir().expect("dir");
        let (journal, _) = replay_all(dir.path());
        let mut positions = Vec::new();
        for i in 0..200 {
            let bus = format!("bus{i}");
            let batch = events(&bus, b"{\"n\":1}\n");
            positions.push(journal.append(&batch, Write::Now).expect("appends"));
        }
        journal.sync().expect("syncs");
        assert!(journal.segments().len() > 1, "small segments rotate");
        drop(journal);
        let (journal, seen) = replay_all(dir.path());
        assert_eq!(seen.len(), 200);
        assert_eq!(seen.iter().map(|(p, _)| *p).collect::<Vec<_>>(), positions);
        assert_eq!(seen[7].1, "bus7");
        // The lines of the 8th batch sit right after its frame header and record fields.
        let lines_at = positions[7] + (FRAME_HEADER + 1 + 4 + 4 + 4) as u64;
        assert_eq!(journal.read(lines_at, 8).expect("reads"), b"{\"n\":1}\n");
    }

    fn buses(seen: &[(u64, String)]) -> Vec<&str> {
        seen.iter().map(|(_, b)| b.as_str()).collect()
    }

    #[test]
    fn deferred_bytes_are_readable_at_once_and_reach_the_file_with_the_sync() {
        let dir = tempfile::tempdir().expect("dir");
        let (journal, _) = replay_all(dir.path());
        let at = journal.append(&events("a", b"x\n"), Write::WithNextSync).expect("appends");
        assert_eq!(journal.in_file.load(Ordering::Acquire), 0, "still in memory");
        let frame = journal.read(at, 8).expect("a read writes pending bytes first");
        assert_ne!(frame, [0; 8]);
        journal.append(&events("b", b"y\n"), Write::WithNextSync).expect("appends");
        journal.sync().expect("syncs");
        assert_eq!(journal.durable.load(Ordering::Acquire), journal.written.load(Ordering::Acquire));
        drop(journal);
        assert_eq!(buses(&replay_all(dir.path()).1), ["a", "b"]);
    }

    #[test]
    fn deferred_bytes_never_synced_are_lost_whole() {
        // What a kill -9 does to a request that had not been answered yet.
        let dir = tempfile::tempdir().expect("dir");
        let (journal, _) = replay_all(dir.path());
        journal.append(&events("a", b"x\n"), Write::Now).expect("appends");
        journal.append(&events("b", b"y\n"), Write::WithNextSync).expect("appends");
        drop(journal);
        let (journal, seen) = replay_all(dir.path());
        assert_eq!(buses(&seen), ["a"]);
        journal.append(&events("c", b"z\n"), Write::Now).expect("appends where b would have been");
        drop(journal);
        assert_eq!(buses(&replay_all(dir.path()).1), ["a", "c"]);
    }

    #[test]
    fn a_write_now_writes_the_deferred_bytes_before_it() {
        let dir = tempfile::tempdir().expect("dir");
        let (journal, _) = replay_all(dir.path());
        journal.append(&events("a", b"x\n"), Write::WithNextSync).expect("appends");
        journal.append(&events("b", b"y\n"), Write::Now).expect("appends");
        assert_eq!(journal.in_file.load(Ordering::Acquire), journal.written.load(Ordering::Acquire));
        drop(journal);
        assert_eq!(buses(&replay_all(dir.path()).1), ["a", "b"], "the file holds a prefix, in order");
    }

    #[test]
    fn deferred_bytes_are_written_to_the_segment_they_were_appended_to_before_it_rotates() {
        let dir = tempfile::tempdir().expect("dir");
        let (journal, _) = replay_all(dir.path());
        let names: Vec<String> = (0..40).map(|i| format!("bus{i}")).collect();
        for name in &names {
            journal.append(&events(name, &[b'x'; 300]), Write::WithNextSync).expect("appends");
        }
        journal.sync().expect("syncs");
        assert!(journal.segments().len() > 2, "small segments rotate");
        drop(journal);
        assert_eq!(buses(&replay_all(dir.path()).1), names);
    }

    #[test]
    fn a_torn_tail_is_truncated_and_appends_continue() {
        let dir = tempfile::tempdir().expect("dir");
        let (journal, _) = replay_all(dir.path());
        journal.append(&events("a", b"x\n"), Write::Now).expect("appends");
        journal.append(&events("b", b"y\n"), Write::Now).expect("appends");
        journal.sync().expect("syncs");
        let end = journal.written.load(Ordering::Acquire);
        drop(journal);
        let segment = segment_path(dir.path(), 0);
        let full = std::fs::read(&segment).expect("reads");
        assert_eq!(full.len(), 4096, "segments are created at their full size");
        std::fs::write(&segment, &full[..end as usize - 3]).expect("tears the last frame");
        let (journal, seen) = replay_all(dir.path());
        assert_eq!(seen.iter().map(|(_, b)| b.as_str()).collect::<Vec<_>>(), ["a"]);
        journal.append(&events("c", b"z\n"), Write::Now).expect("appends after truncation");
        drop(journal);
        let (_, seen) = replay_all(dir.path());
        assert_eq!(seen.iter().map(|(_, b)| b.as_str()).collect::<Vec<_>>(), ["a", "c"]);
    }

    #[test]
    fn damage_before_the_last_segment_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let (journal, _) = replay_all(dir.path());
        for _ in 0..20 {
            journal.append(&events("bus", &[b'x'; 500]), Write::Now).expect("appends");
        }
        drop(journal);
        let first = segment_path(dir.path(), 0);
        let mut bytes = std::fs::read(&first).expect("reads");
        bytes[20] ^= 0xFF;
        std::fs::write(&first, bytes).expect("damages");
        let error = Journal::open(dir.path(), 4096, |_| {}).expect_err("refused");
        assert!(error.to_string().contains("damaged"), "{error}");
    }

    #[test]
    fn damage_in_the_middle_of_the_last_segment_is_refused_not_truncated() {
        let dir = tempfile::tempdir().expect("dir");
        let (journal, _) = replay_all(dir.path());
        let at: Vec<u64> = (0..5)
            .map(|i| journal.append(&events(&format!("b{i}"), b"x\n"), Write::Now).expect("appends"))
            .collect();
        drop(journal);
        let segment = segment_path(dir.path(), 0);
        let mut bytes = std::fs::read(&segment).expect("reads");
        bytes[at[2] as usize + FRAME_HEADER + 1] ^= 0xFF; // a payload byte of the third record
        std::fs::write(&segment, &bytes).expect("damages");
        let error = Journal::open(dir.path(), 4096, |_| {}).expect_err("refused");
        let message = error.to_string();
        assert!(message.contains(&segment.display().to_string()), "{message}");
        assert!(message.contains(&format!("damaged at byte {}", at[2])), "{message}");
        assert!(message.contains(&format!("follow at byte {}", at[3])), "{message}");
        assert_eq!(std::fs::read(&segment).expect("reads"), bytes, "nothing was truncated");
        // The same damage in the header's length field: the next record is found anyway.
        bytes[at[2] as usize] ^= 0x40;
        std::fs::write(&segment, &bytes).expect("damages");
        let error = Journal::open(dir.path(), 4096, |_| {}).expect_err("refused");
        assert!(error.to_string().contains(&format!("follow at byte {}", at[3])), "{error}");
    }

    #[tokio::test]
    async fn a_stalled_writer_delays_a_group_commit_no_longer_than_the_delay() {
        let dir = tempfile::tempdir().expect("dir");
        let journal = Arc::new(Journal::open(dir.path(), 1 << 20, |_| {}).expect("opens"));
        journal.start_syncer(std::time::Duration::from_millis(100)).expect("threads start");
        journal.append(&events("a", b"x\n"), Write::Now).expect("appends");
        let _stalled = journal.writer(); // never appends
        let durable = tokio::time::timeout(std::time::Duration::from_secs(20), journal.wait_durable()).await;
        assert!(durable.expect("not held back by the stalled writer").is_ok());
    }

    #[tokio::test]
    async fn writers_in_flight_share_one_fdatasync() {
        let dir = tempfile::tempdir().expect("dir");
        let journal = Arc::new(Journal::open(dir.path(), 1 << 20, |_| {}).expect("opens"));
        // A delay far longer than the test: only the last writer's hand-off ends the wait.
        journal.start_syncer(std::time::Duration::from_secs(600)).expect("threads start");
        let writers: Vec<_> = (0..3).map(|_| journal.writer()).collect();
        journal.append(&events("b", b"y\n"), Write::Now).expect("appends");
        let waiter = {
            let journal = Arc::clone(&journal);
            tokio::spawn(async move { journal.wait_durable().await })
        };
        tokio::task::yield_now().await; // the waiter asks for a sync
        for (i, writer) in writers.into_iter().enumerate() {
            journal.append(&events(&format!("c{i}"), b"z\n"), Write::Now).expect("appends");
            drop(writer);
        }
        let done = tokio::time::timeout(std::time::Duration::from_secs(20), waiter).await;
        assert!(done.expect("the last writer wakes the syncer").expect("joins").is_ok());
        journal.wait_durable().await.expect("durable");
        assert_eq!(journal.sync_count(), 1, "one fdatasync covered all four appends");
        assert_eq!(journal.durable.load(Ordering::Acquire), journal.written.load(Ordering::Acquire));
    }

    #[test]
    fn only_the_oldest_inactive_segment_is_deleted() {
        let dir = tempfile::tempdir().expect("dir");
        let (journal, _) = replay_all(dir.path());
        for _ in 0..20 {
            journal.append(&events("bus", &[b'x'; 500]), Write::Now).expect("appends");
        }
        let segments = journal.segments();
        assert!(segments.len() >= 3);
        assert!(!journal.delete_oldest(segments[1].start).expect("no error"), "not the oldest");
        assert!(journal.delete_oldest(segments[0].start).expect("deletes"));
        let active = journal.segments().into_iter().find(|s| s.active).expect("an active segment");
        while journal.segments()[0].start != active.start {
            let oldest = journal.segments()[0].start;
            assert!(journal.delete_oldest(oldest).expect("deletes"));
        }
        assert!(!journal.delete_oldest(active.start).expect("no error"), "the active segment stays");
        assert!(journal.read(segments[0].start + 10, 4).is_err(), "deleted bytes are gone");
    }
}

/// Entry points for the `journal` fuzz target (`fuzz/`) and its corpus replay
/// (`tests/fuzz_corpus.rs`): NOT an API. They expose, over plain files, what start-up
/// does with segment bytes, so arbitrary and truncated bytes can be thrown at it. A
/// record is rendered as `frame carried {record:?}`.
#[doc(hidden)]
pub mod fuzzing {
    use std::fs::File;
    use std::io;
    use std::path::Path;

    use super::{FRAME_HEADER, Journal, Replayed, replay, seal_frame};

    /// Appends `payload` to `out` as a whole frame with the right length and CRC, so that
    /// a fuzzer reaches the record decoder instead of stopping at the checksum.
    pub fn push_frame(out: &mut Vec<u8>, payload: &[u8]) {
        let at = out.len();
        out.extend_from_slice(&[0; FRAME_HEADER]);
        out.extend_from_slice(payload);
        seal_frame(&mut out[at..]);
    }

    fn render(r: &Replayed<'_>) -> String {
        format!("{} {:?} {:?}", r.frame, r.carried, r.record)
    }

    /// What replaying the segment file at `path` (first byte at position 0), reading
    /// `chunk` bytes at a time, finds: its records, the bytes their whole frames cover,
    /// and whether only zeros follow.
    ///
    /// # Errors
    /// I/O errors.
    pub fn replay_segment(path: &Path, chunk: usize) -> io::Result<(Vec<String>, u64, bool)> {
        let file = File::open(path)?;
        let mut records = Vec::new();
        let scanned = replay::replay_file(&file, 0, chunk, &mut |r| records.push(render(&r)))?;
        Ok((records, scanned.whole, scanned.clean_tail))
    }

    /// Opens the journal in `dir` as start-up does (truncating a torn end, refusing
    /// damage in the middle) and returns the records it replayed.
    ///
    /// # Errors
    /// I/O errors and damaged segments, as `Journal::open` answers them.
    pub fn open(dir: &Path) -> io::Result<Vec<String>> {
        let mut records = Vec::new();
        let journal = Journal::open(dir, 1 << 20, |r| records.push(render(&r)))?;
        drop(journal);
        Ok(records)
    }
}
