//! `schemabus keys create|list|revoke`: API keys managed on the data directory, with the
//! same service code as `/v1/keys`. sled admits one process per directory, so run it
//! while the service is stopped (or use the HTTP API while it runs); a locked directory
//! is reported as such.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::auth::KeyService;
use crate::storage::{Store, StoreOptions};

/// `schemabus keys …`.
#[derive(Debug, Args)]
pub struct KeysArgs {
    /// Directory of the embedded database (the service's `--data-dir`).
    #[arg(long, env = "SCHEMABUS_DATA_DIR", default_value = "./data", global = true)]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Create a key and print it (shown once).
    Create {
        /// Key name, `[A-Za-z0-9._-]{1,64}`.
        name: String,
        /// A grant (repeatable), e.g. `--grant registry:read:shop --grant bus:publish:orders:orders`.
        #[arg(long = "grant", required = true)]
        grants: Vec<String>,
    },
    /// List keys (names, grants, prefixes; never the keys).
    List,
    /// Revoke a key by name.
    Revoke {
        /// Key name.
        name: String,
    },
}

/// Runs the command; the text to print, or an error message.
///
/// # Errors
/// Storage failures (a running service holds the directory) and API errors.
pub fn run(args: &KeysArgs) -> Result<String, String> {
    let store = Store::open(
        &args.data_dir,
        &StoreOptions { cache_capacity_bytes: 16 * 1024 * 1024, ..StoreOptions::default() },
    )
    .map_err(|e| e.to_string())?;
    let keys = KeyService::new(std::sync::Arc::new(store));
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let text = match &args.command {
        KeysCommand::Create { name, grants } => {
            let created = runtime.block_on(keys.create(name, grants.clone())).map_err(|e| e.message)?;
            serde_json::to_string_pretty(&created)
        }
        KeysCommand::List => serde_json::to_string_pretty(&keys.list().map_err(|e| e.message)?),
        KeysCommand::Revoke { name } => {
            runtime.block_on(keys.revoke(name)).map_err(|e| e.message)?;
            Ok(format!("revoked {name}"))
        }
    };
    text.map_err(|e| e.to_string())
}
