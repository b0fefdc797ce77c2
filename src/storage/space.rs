//! The free-space guard: every write checks that the disk holding the data directory
//! keeps `--min-free-disk-mb` free, and is refused (`storage_full`) before anything is
//! written when it does not.
//!
//! Why refuse early rather than let the write meet ENOSPC: sled 0.34 records an I/O error
//! of its log as a global error and fails every later operation with it, so one ENOSPC
//! inside sled would need a restart. Refused before sled or the journal sees it, a full
//! disk costs only the writes made while it is full: once space is freed, the next write
//! passes the check. The journal also survives an ENOSPC that gets past the guard (a
//! race with another process filling the disk): see `journal/mod.rs`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use super::StorageError;

/// How long a measurement of plenty of free space is trusted (a `statvfs` per write
/// would cost little, but there can be 100 000 writes a second).
const TRUSTED_MS: u64 = 10;

/// The guard, shared by every clone of the store.
#[derive(Debug)]
pub(crate) struct SpaceGuard {
    dir: PathBuf,
    /// Bytes to keep free; 0 turns the guard off.
    min_free: u64,
    started: Instant,
    /// When `free` was measured (ms since `started`, plus one; 0: never).
    measured_at: AtomicU64,
    free: AtomicU64,
}

impl SpaceGuard {
    pub(crate) fn new(dir: &Path, min_free: u64) -> Self {
        Self {
            dir: dir.to_path_buf(),
            min_free,
            started: Instant::now(),
            measured_at: AtomicU64::new(0),
            free: AtomicU64::new(0),
        }
    }

    /// Refuses when the disk has less than `min_free` bytes free. A measurement showing
    /// more than twice that is reused for [`TRUSTED_MS`]; otherwise every call measures,
    /// so a write is admitted as soon as space is freed.
    ///
    /// # Errors
    /// [`StorageError::Full`].
    pub(crate) fn check(&self) -> Result<(), StorageError> {
        if self.min_free == 0 {
            return Ok(());
        }
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX).saturating_add(1);
        let at = self.measured_at.load(Ordering::Acquire);
        let mut free = self.free.load(Ordering::Acquire);
        if at == 0 || now.saturating_sub(at) > TRUSTED_MS || free < self.min_free.saturating_mul(2) {
            free = match fs2::available_space(&self.dir) {
                Ok(free) => free,
                Err(e) => {
                    // Never block writes on a failed measurement; the write itself reports.
                    tracing::warn!(error = %e, dir = %self.dir.display(), "cannot measure free disk space");
                    return Ok(());
                }
            };
            self.free.store(free, Ordering::Release);
            self.measured_at.store(now, Ordering::Release);
        }
        if free < self.min_free {
            return Err(StorageError::Full { path: self.dir.clone(), free, min_free: self.min_free });
        }
        Ok(())
    }
}
