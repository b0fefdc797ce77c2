//! `schemabus export` and `schemabus import`: a store's control plane as a JSON Lines
//! file and back (see `storage/export.rs` for the format). Like `schemabus keys`, they
//! open the data directory, so run them while the service is stopped.

use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use clap::Args;

use crate::storage::postgres::transfer;
use crate::storage::{ExportSummary, RegistrySink, Store, StoreOptions};

/// `schemabus export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Directory of the embedded database (the service's `--data-dir`).
    #[arg(long, env = "SCHEMABUS_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// The file to write (written beside it, then renamed: never half a file under this
    /// name); standard output when absent.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Cluster mode: take the control plane (registry, keys, audit trail, the bus's
    /// definitions) from this PostgreSQL database instead of the data directory.
    #[arg(long, env = "SCHEMABUS_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
}

/// `schemabus import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Directory of the embedded database to fill: new, or holding no control-plane
    /// record yet.
    #[arg(long, env = "SCHEMABUS_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// The export to read (`-`: standard input).
    file: PathBuf,
    /// Cluster mode: write the control plane into this PostgreSQL database (migrated, and
    /// holding no control-plane record yet) instead of the data directory.
    #[arg(long, env = "SCHEMABUS_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
}

/// A runtime and a pool on the cluster-mode database, migrated to this release (what
/// `migrate`, `export` and `import` share), for the commands that run outside the service.
pub(super) fn database(url: &str) -> Result<(tokio::runtime::Runtime, sqlx::PgPool), String> {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let pool = runtime
        .block_on(async {
            let pool = crate::storage::postgres::connect(url, 2).await?;
            crate::storage::postgres::migrate(&pool).await?;
            Ok::<_, crate::storage::StorageError>(pool)
        })
        .map_err(|e| e.to_string())?;
    Ok((runtime, pool))
}

fn open(dir: &Path) -> Result<Store, String> {
    Store::open(dir, &StoreOptions { cache_capacity_bytes: 16 * 1024 * 1024, ..StoreOptions::default() })
        .map_err(|e| e.to_string())
}

fn describe(verb: &str, summary: &ExportSummary) -> String {
    let trees: Vec<String> =
        summary.trees.iter().filter(|(_, n)| *n > 0).map(|(name, n)| format!("{name} {n}")).collect();
    format!("{verb} {} records ({})", summary.records, trees.join(", "))
}

/// Runs `export`; the summary line (for standard error), or an error message.
///
/// # Errors
/// The store cannot be opened (the service runs on it) or read; the file cannot be written.
pub fn export(args: &ExportArgs) -> Result<String, String> {
    let store = open(&args.data_dir)?;
    let registry = match &args.database_url {
        Some(url) => {
            let (runtime, pool) = database(url)?;
            Some(runtime.block_on(transfer::read_trees(&pool)).map_err(|e| e.to_string())?)
        }
        None => None,
    };
    let registry = registry.as_deref();
    let summary = match &args.out {
        None => store
            .export_with(&mut BufWriter::new(std::io::stdout().lock()), registry)
            .map_err(|e| e.to_string())?,
        Some(path) => {
            let partial = path.with_extension("partial");
            let file = std::fs::File::create(&partial).map_err(|e| format!("{}: {e}", partial.display()))?;
            let mut out = BufWriter::new(file);
            let summary = store.export_with(&mut out, registry).map_err(|e| e.to_string())?;
            let file = out.into_inner().map_err(|e| format!("{}: {e}", partial.display()))?;
            file.sync_all().map_err(|e| format!("{}: {e}", partial.display()))?;
            std::fs::rename(&partial, path).map_err(|e| format!("{}: {e}", path.display()))?;
            summary
        }
    };
    Ok(describe("exported", &summary))
}

/// Runs `import`; the summary line, or an error message.
///
/// # Errors
/// The file is not a whole export, or the store is not empty or cannot be opened.
pub fn import(args: &ImportArgs) -> Result<String, String> {
    let store = open(&args.data_dir)?;
    let database = args.database_url.as_deref().map(database).transpose()?;
    let sink = database.as_ref().map(|(runtime, pool)| -> RegistrySink<'_> {
        Box::new(move |trees| runtime.block_on(transfer::write_trees(pool, &trees)).map(drop))
    });
    let summary = if args.file.as_os_str() == "-" {
        store.import_with(std::io::stdin().lock(), sink)
    } else {
        let file = std::fs::File::open(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
        store.import_with(BufReader::new(file), sink)
    }
    .map_err(|e| e.to_string())?;
    Ok(describe("imported", &summary))
}
