//! Storage errors. Open/format errors are for operators; the rest are internal failures,
//! except a full disk, which is the client's to retry (`storage_full`, 507).

use std::path::PathBuf;

/// What can go wrong below the services.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The data directory could not be opened.
    #[error("cannot open the data directory {path}: {reason}")]
    Open {
        /// The data directory.
        path: PathBuf,
        /// Why, in words an operator can act on.
        reason: String,
    },
    /// The directory holds a format this build cannot read.
    #[error("cannot use the data directory {path}: {reason}")]
    Format {
        /// The data directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The disk holding the data directory has less free space than the store keeps
    /// free (`--min-free-disk-mb`): the write was refused before anything was written.
    #[error("the disk holding {path} has {free} bytes free, less than the {min_free} kept free")]
    Full {
        /// The data directory.
        path: PathBuf,
        /// Bytes free for us when checked.
        free: u64,
        /// Bytes the store keeps free.
        min_free: u64,
    },
    /// sled failed during an operation.
    #[error("storage failure: {0}")]
    Sled(#[from] sled::Error),
    /// The journal failed to write, sync or read (disk full, I/O error).
    #[error("journal I/O failure: {0}")]
    Journal(#[from] std::io::Error),
    /// A stored value does not decode: a bug or damage.
    #[error("a stored value under {key} does not decode: {reason}")]
    Decode {
        /// The key, printed for the log.
        key: String,
        /// The decoder's message.
        reason: String,
    },
    /// `schemabus export` or `import` cannot go on (see `export.rs`): a file that is not a
    /// whole export, a target store that is not empty, a write that failed.
    #[error("{0}")]
    Transfer(String),
    /// Cluster mode: this instance's copy of shared state cannot be trusted (the
    /// database has been out of reach too long).
    #[error("{0}")]
    Stale(String),
    /// PostgreSQL (cluster mode) failed or is unreachable.
    #[error("database failure: {0}")]
    Database(#[from] sqlx::Error),
}

/// Whether an I/O error says the disk (or the quota) is full: ENOSPC or EDQUOT.
/// Database failures worth retrying: the connection, the server going down or starting,
/// a failover (read-only transaction), contention (deadlock, serialisation, lock not
/// available) and too many connections.
fn is_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08")
                || ["57P01", "57P02", "57P03", "25006", "40001", "40P01", "53300", "55P03"]
                    .contains(&code.as_ref())
        }),
        _ => false,
    }
}

pub(crate) fn is_disk_full(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded)
}

impl StorageError {
    /// Whether the failure is a full disk (retryable once space is freed).
    pub fn is_full(&self) -> bool {
        match self {
            Self::Full { .. } => true,
            Self::Journal(io) | Self::Sled(sled::Error::Io(io)) => is_disk_full(io),
            _ => false,
        }
    }
}

impl From<StorageError> for crate::error::ApiError {
    fn from(e: StorageError) -> Self {
        if e.is_full() {
            tracing::warn!(error = %e, "write refused: the disk is full");
            return crate::error::ApiError::new(
                crate::error::Code::StorageFull,
                "The disk holding the data directory is full; nothing was written. Hint: free space on that disk; writes resume by themselves, so retry after the Retry-After seconds.",
            );
        }
        tracing::error!(error = %e, "storage error");
        let code = match e {
            StorageError::Open { .. }
            | StorageError::Format { .. }
            | StorageError::Journal(_)
            | StorageError::Stale(_) => crate::error::Code::StorageUnavailable,
            // An unreachable or overloaded database is worth retrying; a statement the
            // database refused is not.
            StorageError::Database(ref db) if is_transient(db) => crate::error::Code::StorageUnavailable,
            StorageError::Full { .. }
            | StorageError::Sled(_)
            | StorageError::Decode { .. }
            | StorageError::Transfer(_)
            | StorageError::Database(_) => crate::error::Code::Internal,
        };
        crate::error::ApiError::new(
            code,
            "The storage failed to complete the operation. Hint: the service log has the cause; retry later.",
        )
    }
}
