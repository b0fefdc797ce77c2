//! Spare segments: the next segment file, zero-filled and synced before it is needed.
//!
//! Why: writing into blocks the file already owns makes `fdatasync` cheaper than writing
//! into a sparse file, whose every first write allocates blocks and so commits the
//! file system's journal too. `python3 benches/fdatasync.py` measured 170–178 µs per
//! sync into a zero-filled file and 285–299 µs into a sparse one (figures in
//! docs/BUS.md#the-journal).
//!
//! When the active segment is half full, a background thread writes the spare
//! (`spare.zero`) and syncs it; rotation renames it into place. If it is not ready in
//! time, rotation falls back to a sparse segment, so a slow disk never stalls appends.
//! A spare left by a crash is deleted at open (it holds no records). The cost is one
//! extra segment of disk space and the zero-filling writes.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Weak;

use super::{Journal, Signal, lock, sync_dir};

/// File name of the spare, which replay ignores (it does not end in `.seg`).
const SPARE: &str = "spare.zero";
/// Zeros written per call.
const CHUNK: usize = 1 << 20;

/// Deletes a spare a previous run left.
pub(super) fn remove_leftover(dir: &Path) -> io::Result<()> {
    match std::fs::remove_file(dir.join(SPARE)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Renames a prepared spare to `path` and makes the rename durable.
pub(super) fn install(dir: &Path, spare: File, path: &Path) -> io::Result<File> {
    std::fs::rename(dir.join(SPARE), path)?;
    sync_dir(dir)?;
    Ok(spare)
}

/// The preparer thread: waits for a request, prepares a spare if none is ready, repeats;
/// exits when the journal is gone.
pub(super) fn run(journal: &Weak<Journal>, wanted: &Signal) {
    loop {
        match wanted.wait(journal) {
            Some(mut pending) => *pending = false,
            None => return,
        }
        let Some(journal) = journal.upgrade() else { return };
        if lock(&journal.spare).is_some() {
            continue;
        }
        match prepare(&journal.dir, journal.segment_bytes) {
            Ok(file) => *lock(&journal.spare) = Some(file),
            // Not fatal: rotation falls back to a sparse segment.
            Err(e) => tracing::warn!(error = %e, "journal: cannot prepare the next segment"),
        }
    }
}

fn prepare(dir: &Path, size: u64) -> io::Result<File> {
    let file = OpenOptions::new().read(true).write(true).create(true).truncate(true).open(dir.join(SPARE))?;
    let zeros = vec![0u8; CHUNK];
    let mut at = 0u64;
    while at < size {
        let n = usize::try_from(size - at).unwrap_or(CHUNK).min(CHUNK);
        file.write_all_at(&zeros[..n], at)?;
        at += n as u64;
    }
    file.sync_all()?;
    Ok(file)
}
