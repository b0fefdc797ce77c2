//! The command line: `serve` runs the service, `openapi` prints its API description,
//! `codegen` writes bindings for a schema, `infer` infers schemas from sample events,
//! `keys` manages API keys, `check`/`plan`/`apply`/`pull` run contracts as code.

mod codegen;
pub mod infer;
mod keys;
mod project;
mod transfer;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::startup::Application;

/// schemabus: event contracts, validated at the bus boundary.
#[derive(Debug, Parser)]
#[command(name = "schemabus", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the HTTP service.
    Serve(Box<Settings>),
    /// Write Rust or TypeScript bindings for a schema file, or for a version held by a
    /// running service.
    Codegen(Box<codegen::CodegenArgs>),
    /// Infer JSON Schemas from sample events (JSON, JSON arrays or NDJSON files), offline.
    Infer {
        /// Input files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// For EventBridge envelopes, infer only `detail` (grouped by `source@DetailType`).
        #[arg(long)]
        detail_only: bool,
        /// No progress lines on standard error.
        #[arg(long)]
        quiet: bool,
        /// Distinct samples a property must be present in (in all of them) to be required, and
        /// a format matched in to be asserted, 1 to 16 (`docs/INFERENCE.md`, evidence).
        #[arg(long, default_value_t = crate::infer::DEFAULT_MIN_REQUIRED, value_parser = clap::value_parser!(u64).range(1..=16))]
        min_required: u64,
        /// What an unseen null means: observed, scalars or all.
        #[arg(long, default_value = "all")]
        nulls: crate::infer::NullPolicy,
    },
    /// Check a contracts-as-code project offline, or against `git:REF` or a service.
    Check(project::CheckArgs),
    /// Show what `apply` would change on a service to match the project.
    Plan(project::PlanArgs),
    /// Make a service match the project (idempotent; deletes only with --prune).
    Apply(project::PlanArgs),
    /// Write a service's setup as a project directory.
    Pull(project::PullArgs),
    /// Manage API keys on a data directory (while the service is stopped).
    Keys(keys::KeysArgs),
    /// Write the control plane of a data directory (registries, schemas, buses, keys,
    /// audit...; not the event data) as JSON Lines, while the service is stopped.
    Export(transfer::ExportArgs),
    /// Read an export into a new data directory, byte for byte.
    Import(transfer::ImportArgs),
    /// Run the PostgreSQL migrations of cluster mode and exit (`serve` runs them too;
    /// this is for upgrading ahead of a rolling restart, docs/CLUSTER.md).
    Migrate {
        /// PostgreSQL URL.
        #[arg(long, env = "SCHEMABUS_DATABASE_URL", hide_env_values = true)]
        database_url: String,
    },
    /// Print the OpenAPI document (or write it to a file).
    Openapi {
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Runs the command line and returns the process exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(settings) => serve(*settings),
        Command::Codegen(args) => match codegen::run(&args) {
            Ok(files) => {
                for f in files {
                    println!("{}", f.display());
                }
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        },
        Command::Infer { files, detail_only, quiet, min_required, nulls } => match infer::run(
            &files,
            detail_only,
            !quiet,
            &crate::infer::DeriveOptions { min_required, nulls, ..crate::infer::DeriveOptions::default() },
        ) {
            Ok(report) => {
                println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        },
        Command::Check(args) => project::check_command(&args),
        Command::Plan(args) => project::plan_command(&args),
        Command::Apply(args) => project::apply_command(&args),
        Command::Pull(args) => project::pull_command(&args),
        Command::Keys(args) => match keys::run(&args) {
            Ok(text) => {
                println!("{text}");
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        },
        Command::Export(args) => report(transfer::export(&args)),
        Command::Import(args) => report(transfer::import(&args)),
        Command::Migrate { database_url } => report(migrate(&database_url)),
        Command::Openapi { out } => {
            let text = crate::http::openapi_json();
            match out {
                Some(path) => match std::fs::write(&path, text) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("error: cannot write {}: {e}", path.display());
                        ExitCode::FAILURE
                    }
                },
                None => {
                    print!("{text}");
                    ExitCode::SUCCESS
                }
            }
        }
    }
}

fn serve(settings: Settings) -> ExitCode {
    crate::telemetry::init(&settings.log_level, settings.log_format);
    let result = actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings).await.map_err(|e| e.to_string())?;
        app.run_until_stopped().await.map_err(|e| e.to_string())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the cluster-mode migrations on `url`.
fn migrate(url: &str) -> Result<String, String> {
    transfer::database(url)?;
    Ok("the database is migrated to this release's schema".to_owned())
}

/// Prints a command's summary on standard error (standard output may hold its data).
fn report(outcome: Result<String, String>) -> ExitCode {
    match outcome {
        Ok(summary) => {
            eprintln!("{summary}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
