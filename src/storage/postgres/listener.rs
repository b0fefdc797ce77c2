//! Changes made by other instances: `LISTEN schemabus_registry`, and a reload of the
//! scope each notification names.
//!
//! Notifications sent while the listening connection is down are lost (PostgreSQL
//! keeps none), so after the connection comes back the whole replica is reloaded.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;

use super::PgRegistry;
use super::replica::Scope;
use super::writes::CHANNEL;
use crate::storage::StorageError;

/// How often a lost connection is noticed and repaired while nothing is notified.
const IDLE_CHECK: Duration = Duration::from_millis(500);

/// The listening connection, subscribed.
pub(super) async fn subscribe(pool: &PgPool) -> Result<PgListener, StorageError> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Applies other instances' changes until the process ends.
pub(super) async fn run(mut listener: PgListener, registry: PgRegistry) {
    // Set when the connection was lost: the replica may have missed changes.
    let mut stale = false;
    loop {
        match tokio::time::timeout(IDLE_CHECK, listener.try_recv()).await {
            Ok(Ok(Some(notification))) => {
                let Some((sender, scope)) = notification.payload().split_once(' ') else { continue };
                if sender == registry.inner.instance && !stale {
                    continue;
                }
                let scope = if stale { Scope::All } else { Scope::decode(scope).unwrap_or(Scope::All) };
                stale = reload(&registry, &scope).await.is_err();
            }
            Ok(Ok(None)) => {
                tracing::warn!("the registry's notification connection was lost; reconnecting");
                metrics::counter!("schemabus_database_listener_losses_total").increment(1);
                stale = true;
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "the registry's notification connection failed; retrying");
                stale = true;
                tokio::time::sleep(IDLE_CHECK).await;
            }
            // Quiet while a loss is pending: `listen` reconnects (and subscribes) if the
            // connection is still down; once it is up, a full reload catches up with
            // whatever was missed meanwhile.
            Err(_elapsed) if stale => {
                if listener.listen(CHANNEL).await.is_ok() {
                    stale = reload(&registry, &Scope::All).await.is_err();
                    if !stale {
                        tracing::info!("the registry's replica caught up after the connection came back");
                    }
                }
            }
            Err(_elapsed) => {}
        }
    }
}

async fn reload(registry: &PgRegistry, scope: &Scope) -> Result<(), StorageError> {
    registry.reload(scope).await.inspect_err(|e| {
        tracing::warn!(error = %e, "reloading the registry's replica failed; retrying");
    })
}
