//! `schemabus export` and `schemabus import`: a store's control plane as a JSON Lines
//! file and back (see `storage/export.rs` for the format). Like `schemabus keys`, they
//! open the data directory, so run them while the service is stopped.

use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use clap::Args;

use crate::storage::{ExportSummary, Store, StoreOptions};

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
    let summary = match &args.out {
        None => store.export(&mut BufWriter::new(std::io::stdout().lock())).map_err(|e| e.to_string())?,
        Some(path) => {
            let partial = path.with_extension("partial");
            let file = std::fs::File::create(&partial).map_err(|e| format!("{}: {e}", partial.display()))?;
            let mut out = BufWriter::new(file);
            let summary = store.export(&mut out).map_err(|e| e.to_string())?;
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
    let summary = if args.file.as_os_str() == "-" {
        store.import(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
        store.import(BufReader::new(file))
    }
    .map_err(|e| e.to_string())?;
    Ok(describe("imported", &summary))
}
