//! Settings of `schemabus serve`: command-line flags, each also settable by an
//! environment variable with the `SCHEMABUS_` prefix. Parsed and validated once.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Everything `serve` can be told.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, env = "SCHEMABUS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Directory of the embedded database (created when missing).
    #[arg(long, env = "SCHEMABUS_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "SCHEMABUS_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Largest schema document accepted, in bytes of compact JSON.
    #[arg(long, env = "SCHEMABUS_MAX_SCHEMA_BYTES", default_value_t = 512 * 1024)]
    pub max_schema_bytes: usize,

    /// Deepest nesting of objects and arrays accepted in a schema.
    #[arg(long, env = "SCHEMABUS_MAX_SCHEMA_DEPTH", default_value_t = 64)]
    pub max_schema_depth: usize,

    /// Most validation errors listed in one answer.
    #[arg(long, env = "SCHEMABUS_MAX_VALIDATION_ERRORS", default_value_t = 100)]
    pub max_validation_errors: usize,

    /// How many compiled validators to keep in memory.
    #[arg(long, env = "SCHEMABUS_VALIDATOR_CACHE", default_value_t = 10_000)]
    pub validator_cache: usize,

    /// Directory of code-generation templates (`rust/`, `typescript/`) replacing the
    /// built-in ones.
    #[arg(long, env = "SCHEMABUS_CODEGEN_TEMPLATES")]
    pub codegen_templates: Option<PathBuf>,

    /// sled page cache, in MiB.
    #[arg(long, env = "SCHEMABUS_STORAGE_CACHE_MB", default_value_t = 64)]
    pub storage_cache_mb: u64,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "SCHEMABUS_WORKERS")]
    pub workers: Option<usize>,

    /// Log filter: a level (`info`) or a tracing directive (`schemabus=debug,actix_web=info`).
    #[arg(long, env = "SCHEMABUS_LOG_LEVEL", default_value = "info")]
    pub log_level: String,

    /// Log format.
    #[arg(long, env = "SCHEMABUS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl Settings {
    /// Settings for tests and tools: defaults, a given data directory, a free port.
    pub fn for_data_dir(data_dir: PathBuf) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            max_body_bytes: 1024 * 1024,
            max_schema_bytes: 512 * 1024,
            max_schema_depth: 64,
            max_validation_errors: 100,
            validator_cache: 10_000,
            codegen_templates: None,
            storage_cache_mb: 64,
            workers: Some(2),
            log_level: "warn".to_owned(),
            log_format: LogFormat::Text,
        }
    }

    /// Checks values that flags alone cannot (ranges, combinations).
    ///
    /// # Errors
    /// A message naming the flag and the allowed range.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_body_bytes < 1024 {
            return Err("--max-body-bytes must be at least 1024".into());
        }
        if self.max_schema_depth == 0 || self.max_schema_depth > 512 {
            return Err("--max-schema-depth must be between 1 and 512".into());
        }
        if self.max_validation_errors == 0 {
            return Err("--max-validation-errors must be at least 1".into());
        }
        if self.workers == Some(0) {
            return Err("--workers must be at least 1".into());
        }
        Ok(())
    }
}
