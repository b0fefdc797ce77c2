//! The sled seal: detects a sled file that lost writes it had acknowledged.
//!
//! Why: sled 0.34 recovers its log up to the first damaged entry and silently drops every
//! entry after it (a byte flipped in the middle of `sled/db` opened as an empty registry,
//! without an error). So every sled flush first stores a counter (`flush_mark` in the
//! `meta` tree), and after the flush succeeded writes the same counter to
//! `<data>/sled.seal`, outside sled. At open, a mark in sled lower than the seal means
//! sled came back without writes it had flushed: start-up refuses, naming the file.
//!
//! The seal is written after sled's fsync returned and is not synced itself: a crash can
//! only leave it behind sled's mark (never ahead), which is not an alarm. It is 16 bytes
//! (the counter and its CRC) written in place, so it cannot be half a number.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// The seal file.
#[derive(Debug)]
pub(crate) struct Seal {
    path: PathBuf,
    file: File,
}

impl Seal {
    /// Opens (or creates) `<dir>/sled.seal`; returns it with the counter it holds (0 when
    /// new, or unreadable, which is logged).
    pub(crate) fn open(dir: &Path) -> std::io::Result<(Self, u64)> {
        let path = dir.join("sled.seal");
        let file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path)?;
        let mut bytes = [0u8; 16];
        let sealed = match file.read_exact_at(&mut bytes, 0) {
            Ok(()) => {
                let (mark, crc) = bytes.split_at(8);
                let mark = u64::from_le_bytes(mark.try_into().unwrap_or_default());
                if crc[..4] == crc32fast::hash(&mark.to_le_bytes()).to_le_bytes() {
                    mark
                } else {
                    tracing::warn!(seal = %path.display(), "the sled seal does not decode; sled's completeness is not checked this time");
                    0
                }
            }
            Err(_) => 0, // new (or shorter than a seal: never written whole)
        };
        Ok((Self { path, file }, sealed))
    }

    /// Records that sled holds every write up to `mark` (call after the flush).
    pub(crate) fn write(&self, mark: u64) {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&mark.to_le_bytes());
        bytes[8..12].copy_from_slice(&crc32fast::hash(&mark.to_le_bytes()).to_le_bytes());
        if let Err(e) = self.file.write_all_at(&bytes, 0) {
            tracing::warn!(error = %e, seal = %self.path.display(), "cannot write the sled seal");
        }
    }
}
