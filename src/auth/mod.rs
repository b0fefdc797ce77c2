//! Access control: who may register, publish, read and administer (docs/SECURITY.md).
//!
//! - [`grants`] is PURE: the grant language and the one decision, [`grants::allows`].
//! - [`keys`]: the key service (create, list, revoke, authenticate, bootstrap), used by
//!   the HTTP API and the CLI alike.
//! - [`audit`]: the audit trail of writes (stored, listed, published on `default`).
//! - [`rate`]: per-key token buckets.
//! - [`aws`]: AWS credentials of keys (access key id + sealed secret) for SigV4.
//!
//! Enforcement lives in `http::access`: one table maps every route to the permission it
//! needs, and a middleware applies it before any handler runs.

pub mod audit;
pub mod aws;
pub mod grants;
pub mod keys;
pub mod rate;

pub use audit::AuditService;
pub use grants::{Grant, Permission, allowed_sources, allows};
pub use keys::{Identity, KeyService};
pub use rate::RateLimiter;
