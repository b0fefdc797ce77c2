//! What every storage port shares: the future a write returns, and how the embedded
//! adapter makes a write durable before resolving it.
//!
//! Ports (one trait per aggregate, e.g. `access_store.rs`) read synchronously and write
//! asynchronously. Hot reads (a key on every request, a contract on every event) must not
//! wait for a round trip, so a remote adapter answers them from a replica in memory;
//! writes may wait for a remote transaction or an fsync, which must never block an actix
//! worker. The futures are boxed by hand so the traits stay dyn-compatible.

use std::future::Future;
use std::pin::Pin;

use super::{StorageError, Store};

/// A write in flight; resolves once the write is durable.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StorageError>> + Send + 'a>>;

impl Store {
    /// Runs `work` on the blocking pool (a sled write may wait for a group commit), then
    /// flushes: the future resolves once the write is durable.
    pub(super) fn durably<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Store) -> Result<T, StorageError> + Send + 'static,
    ) -> StoreFuture<'static, T> {
        let store = self.clone();
        Box::pin(async move {
            let worker = store.clone();
            let value = tokio::task::spawn_blocking(move || work(&worker))
                .await
                .map_err(|e| StorageError::Sled(sled::Error::Io(std::io::Error::other(e.to_string()))))??;
            store.flush().await?;
            Ok(value)
        })
    }
}
