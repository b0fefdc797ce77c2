//! Storage errors. Open/format errors are for operators; the rest are internal failures.

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
}

impl From<StorageError> for crate::error::ApiError {
    fn from(e: StorageError) -> Self {
        tracing::error!(error = %e, "storage error");
        let code = match e {
            StorageError::Open { .. } | StorageError::Format { .. } | StorageError::Journal(_) => {
                crate::error::Code::StorageUnavailable
            }
            StorageError::Sled(_) | StorageError::Decode { .. } => crate::error::Code::Internal,
        };
        crate::error::ApiError::new(
            code,
            "The storage failed to complete the operation. Hint: the service log has the cause; retry later.",
        )
    }
}
