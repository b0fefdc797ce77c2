//! Changes made by other instances: `LISTEN` on a replica's channel, and a reload of what
//! each notification names. The registry (`schemabus_registry`) and the control plane
//! (`schemabus_control`, `control.rs`) each follow theirs on a connection of their own,
//! through the same loop ([`run`]).
//!
//! Every notification is applied, this instance's own too: a write reloads its scope
//! before it answers (read-your-writes), but that reload can fail after the commit, or
//! the request can be dropped in between. Its notification names the write, and of the
//! two reloads for it whichever comes second is skipped (`PgRegistry::reload_own`,
//! `PgControl::reload_own`), so no change is missed and none is loaded twice.
//!
//! Notifications sent while the listening connection is down are lost (PostgreSQL keeps
//! none), so after any loss the connection is replaced and the whole replica reloaded.
//! A connection can also die silently (a half-open TCP connection behind a NAT or a
//! failover never errors), so an idle listener proves its connection every few seconds.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;

use super::PgRegistry;
use super::replica::Scope;
use super::writes::CHANNEL;
use crate::storage::StorageError;

/// How long the listener waits for a notification before it looks at its connection.
const IDLE_CHECK: Duration = Duration::from_millis(500);
/// Idle checks between two proofs that the connection is alive (`SELECT 1`).
const PROBE_EVERY: u32 = 10;
/// How long that proof may take before the connection counts as dead.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// A replica kept current by notifications.
pub(super) trait Follower: Clone + Send + Sync + 'static {
    /// What the replica holds, in logs ("the registry's replica").
    const WHAT: &'static str;
    /// Its notification channel.
    const CHANNEL: &'static str;
    /// The counter of lost notification connections.
    const LOSSES: &'static str;

    /// The pool the listening connection comes from.
    fn pool(&self) -> &PgPool;

    /// Reloads what one notification names.
    fn follow(&self, payload: &str) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Reloads the whole replica.
    fn reload_all(&self) -> impl Future<Output = Result<(), StorageError>> + Send;
}

/// A listening connection, subscribed to `channel`.
pub(super) async fn subscribe(pool: &PgPool, channel: &str) -> Result<PgListener, StorageError> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(channel).await?;
    Ok(listener)
}

/// Applies every instance's changes until the process ends.
pub(super) async fn run<F: Follower>(mut listener: PgListener, follower: F) {
    let mut idle = 0u32;
    loop {
        let lost = match tokio::time::timeout(IDLE_CHECK, listener.try_recv()).await {
            Ok(Ok(Some(notification))) => {
                idle = 0;
                follower
                    .follow(notification.payload())
                    .await
                    .inspect_err(|e| tracing::warn!(error = %e, "reloading {} failed", F::WHAT))
                    .is_err()
            }
            Ok(Ok(None)) | Ok(Err(_)) => true,
            Err(_quiet) => {
                idle += 1;
                idle.is_multiple_of(PROBE_EVERY) && !alive(&mut listener).await
            }
        };
        if lost {
            tracing::warn!("the notification connection of {} was lost; reconnecting and reloading", F::WHAT);
            metrics::counter!(F::LOSSES).increment(1);
            listener = recover(&follower).await;
            idle = 0;
        }
    }
}

/// Whether the listening connection still answers.
async fn alive(listener: &mut PgListener) -> bool {
    matches!(
        tokio::time::timeout(PROBE_TIMEOUT, sqlx::query("SELECT 1").execute(&mut *listener)).await,
        Ok(Ok(_))
    )
}

/// A new listening connection and a whole reload after it (in that order: a change
/// committed in between is then both loaded and notified, never neither).
async fn recover<F: Follower>(follower: &F) -> PgListener {
    loop {
        if let Ok(listener) = subscribe(follower.pool(), F::CHANNEL).await {
            match follower.reload_all().await {
                Ok(()) => {
                    tracing::info!("{} caught up after the connection came back", F::WHAT);
                    return listener;
                }
                Err(e) => tracing::warn!(error = %e, "reloading {} failed", F::WHAT),
            }
        }
        tokio::time::sleep(IDLE_CHECK).await;
    }
}

impl Follower for PgRegistry {
    const WHAT: &'static str = "the registry's replica";
    const CHANNEL: &'static str = CHANNEL;
    const LOSSES: &'static str = "schemabus_database_listener_losses_total";

    fn pool(&self) -> &PgPool {
        PgRegistry::pool(self)
    }

    async fn follow(&self, payload: &str) -> Result<(), StorageError> {
        let (sender, scope) = payload.split_once(' ').unwrap_or_default();
        // A payload that is not ours still says something changed.
        let scope = Scope::decode(scope).unwrap_or(Scope::All);
        match self.own_write(sender) {
            Some(write) => self.reload_own(&scope, write).await,
            None => self.reload(&scope).await,
        }
    }

    async fn reload_all(&self) -> Result<(), StorageError> {
        self.reload(&Scope::All).await
    }
}
