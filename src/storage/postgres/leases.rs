//! The PostgreSQL adapter of [`LeaseStore`] (cluster mode): one row per lease in
//! `leases`, naming its holder and when it expires.
//!
//! Taking and renewing are the same single statement, so two instances asking at once
//! are ordered by the row's lock and only one comes away holding the lease. Expiry is
//! decided by the database's clock (`now()` of the statement), never by an instance's:
//! instances' clocks need not agree, and `Lease` (storage/lease.rs) stops acting as the
//! holder, on its own monotonic clock, before the database lets anyone else take over.

use std::time::Duration;

use sqlx::PgPool;

use crate::storage::{LeaseStore, StoreFuture};

/// Leases on PostgreSQL. Cheap to clone.
#[derive(Debug, Clone)]
pub struct PgLeases {
    pool: PgPool,
    /// The holder this instance writes.
    instance: String,
    /// Set by `release_all`: no lease is taken any more.
    closed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl PgLeases {
    /// Leases held as `instance` (unique in the cluster). The database must be migrated
    /// ([`super::migrate`]).
    pub fn new(pool: PgPool, instance: &str) -> Self {
        Self { pool, instance: instance.to_owned(), closed: std::sync::Arc::default() }
    }
}

impl LeaseStore for PgLeases {
    fn acquire(&self, name: &str, ttl: Duration) -> StoreFuture<'_, bool> {
        let name = name.to_owned();
        Box::pin(async move {
            if self.closed.load(std::sync::atomic::Ordering::Acquire) {
                return Ok(false);
            }
            // Inserted when free; otherwise updated only if this instance holds it or it
            // expired. A row comes back exactly when this instance holds the lease now.
            let held: Option<String> = sqlx::query_scalar(
                "INSERT INTO leases (name, holder, expires_at)
                 VALUES ($1, $2, now() + make_interval(secs => $3))
                 ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
                 WHERE leases.holder = EXCLUDED.holder OR leases.expires_at < now()
                 RETURNING holder",
            )
            .bind(&name)
            .bind(&self.instance)
            .bind(ttl.as_secs_f64())
            .fetch_optional(&self.pool)
            .await?;
            Ok(held.is_some())
        })
    }

    fn release(&self, name: &str) -> StoreFuture<'_, ()> {
        let name = name.to_owned();
        Box::pin(async move {
            sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
                .bind(&name)
                .bind(&self.instance)
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }

    fn closed(&self) -> bool {
        self.closed.load(std::sync::atomic::Ordering::Acquire)
    }

    fn release_all(&self) -> StoreFuture<'_, ()> {
        self.closed.store(true, std::sync::atomic::Ordering::Release);
        Box::pin(async move {
            sqlx::query("DELETE FROM leases WHERE holder = $1")
                .bind(&self.instance)
                .execute(&self.pool)
                .await?;
            Ok(())
        })
    }
}
