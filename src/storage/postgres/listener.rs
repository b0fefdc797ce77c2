//! Changes made by other instances: `LISTEN schemabus_registry`, and a reload of the
//! scope each notification names.
//!
//! Every notification is applied, this instance's own too: a write reloads its scope
//! before it answers (read-your-writes), but that reload can fail after the commit, or
//! the request can be dropped in between. Its notification names the write, and of the
//! two reloads for it whichever comes second is skipped (`PgRegistry::reload_own`), so no
//! change is missed and none is loaded twice.
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

/// A listening connection, subscribed.
pub(super) async fn subscribe(pool: &PgPool) -> Result<PgListener, StorageError> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Applies every instance's changes until the process ends.
pub(super) async fn run(mut listener: PgListener, registry: PgRegistry) {
    let mut idle = 0u32;
    loop {
        let lost = match tokio::time::timeout(IDLE_CHECK, listener.try_recv()).await {
            Ok(Ok(Some(notification))) => {
                idle = 0;
                let (sender, scope) = notification.payload().split_once(' ').unwrap_or_default();
                // A payload that is not ours still says something changed.
                let scope = Scope::decode(scope).unwrap_or(Scope::All);
                let reloaded = match registry.own_write(sender) {
                    Some(write) => registry.reload_own(&scope, write).await,
                    None => registry.reload(&scope).await,
                };
                reloaded
                    .inspect_err(|e| tracing::warn!(error = %e, "reloading the registry's replica failed"))
                    .is_err()
            }
            Ok(Ok(None)) | Ok(Err(_)) => true,
            Err(_quiet) => {
                idle += 1;
                idle.is_multiple_of(PROBE_EVERY) && !alive(&mut listener).await
            }
        };
        if lost {
            tracing::warn!("the registry's notification connection was lost; reconnecting and reloading");
            metrics::counter!("schemabus_database_listener_losses_total").increment(1);
            listener = recover(&registry).await;
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
async fn recover(registry: &PgRegistry) -> PgListener {
    loop {
        if let Ok(listener) = subscribe(registry.pool()).await
            && reload(registry, &Scope::All).await.is_ok()
        {
            tracing::info!("the registry's replica caught up after the connection came back");
            return listener;
        }
        tokio::time::sleep(IDLE_CHECK).await;
    }
}

async fn reload(registry: &PgRegistry, scope: &Scope) -> Result<(), StorageError> {
    registry.reload(scope).await.inspect_err(|e| {
        tracing::warn!(error = %e, "reloading the registry's replica failed");
    })
}
