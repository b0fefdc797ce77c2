//! Which registry store the suite runs on: `SCHEMABUS_TEST_BACKEND=sled` (the default)
//! or `postgres` (cluster mode, each test on a fresh database of `tests/common/postgres.rs`).
//! The same tests run on both; the few that are about the embedded store itself skip
//! themselves under `postgres` with [`skip_under_postgres!`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use crate::postgres;

/// The registry store the suite's services use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sled,
    Postgres,
}

impl Backend {
    /// What `/readyz` says as `registry` on this backend.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sled => "sled",
            Self::Postgres => "postgres",
        }
    }
}

/// The backend chosen by `SCHEMABUS_TEST_BACKEND`; an unknown value fails loudly rather
/// than running the default and passing for the wrong reason.
pub fn backend() -> Backend {
    match std::env::var("SCHEMABUS_TEST_BACKEND").as_deref() {
        Err(_) | Ok("" | "sled") => Backend::Sled,
        Ok("postgres") => Backend::Postgres,
        Ok(other) => panic!("SCHEMABUS_TEST_BACKEND={other}: expected sled or postgres"),
    }
}

/// Returns from the calling test under the `postgres` backend, saying why.
macro_rules! skip_under_postgres {
    ($reason:literal) => {
        if crate::backend::backend() == crate::backend::Backend::Postgres {
            eprintln!("skipped under SCHEMABUS_TEST_BACKEND=postgres: {}", $reason);
            return;
        }
    };
}
pub(crate) use skip_under_postgres;

/// A fresh database with the schema migrated, as an operator prepares one with
/// `schemabus migrate` before the first `serve`.
pub fn migrated_database() -> String {
    let url = postgres::fresh_database();
    let out = Command::new(env!("CARGO_BIN_EXE_schemabus"))
        .args(["migrate", "--database-url", &url])
        .output()
        .expect("schemabus migrate runs");
    assert!(out.status.success(), "schemabus migrate failed: {}", String::from_utf8_lossy(&out.stderr));
    url
}

/// The database of the service on `data_dir` under the `postgres` backend: the same one
/// each time, so a test that restarts a service on its data directory finds its registry.
pub fn database_for(data_dir: &Path) -> Option<String> {
    static DATABASES: OnceLock<Mutex<HashMap<PathBuf, String>>> = OnceLock::new();
    if backend() == Backend::Sled {
        return None;
    }
    let mut databases = DATABASES.get_or_init(Mutex::default).lock().unwrap_or_else(|e| e.into_inner());
    Some(databases.entry(data_dir.to_owned()).or_insert_with(migrated_database).clone())
}

/// The `serve` flags that put the service on `data_dir` on the chosen backend.
pub fn serve_flags(data_dir: &Path) -> Vec<String> {
    database_for(data_dir).map(|url| vec!["--database-url".to_owned(), url]).unwrap_or_default()
}

/// Asserts that a service's `/readyz` body names the registry it was configured with
/// (`on_postgres`: it was given a database URL), so a service that ignored its database
/// URL cannot pass the `postgres` run on sled.
#[track_caller]
pub fn assert_ready_on_backend(readyz: &serde_json::Value, on_postgres: bool) {
    let expected = if on_postgres { Backend::Postgres } else { Backend::Sled };
    assert_eq!(readyz["registry"], expected.name(), "/readyz: {readyz}");
}
