//! Contracts as code (docs/CONTRACTS-AS-CODE.md): a project directory declares
//! registries, schemas, queues, buses, rules and archives; `check` proves it offline and
//! against a baseline, `plan` compares it with a running service, `apply` makes the
//! service match, `pull` writes a service's setup as a project.
//!
//! Everything here is pure: files come in through a reader, the service's state as a
//! [`plan::Remote`] snapshot; the command line (`cli::project`) does the I/O.

pub mod check;
pub mod load;
pub mod model;
pub mod plan;
pub mod problem;
pub mod pull;
pub mod resolve;
pub mod secrets;
mod strict_json;
pub mod yaml;

pub use load::{Project, SchemaKey, load};
pub use model::{PROJECT_FILE, ProjectFile, project_json_schema};
pub use problem::{Problem, Severity};
