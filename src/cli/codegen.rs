//! `schemabus codegen`: bindings from a schema file (offline) or from a running service.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::Value;

use crate::codegen::{Generator, Language, Options};

/// Arguments of `schemabus codegen`.
#[derive(Debug, Args)]
pub struct CodegenArgs {
    /// `rust` or `typescript`.
    #[arg(long)]
    language: String,
    /// A JSON Schema file (offline mode).
    #[arg(long, conflicts_with_all = ["registry", "from"])]
    schema: Option<PathBuf>,
    /// Base URL of a running schemabus (with --from).
    #[arg(long, requires = "from")]
    registry: Option<String>,
    /// `REGISTRY/SCHEMA[/VERSION]` to fetch from --registry (version defaults to latest).
    #[arg(long, requires = "registry")]
    from: Option<String>,
    /// Directory to write the package into (created when missing).
    #[arg(long)]
    out: PathBuf,
    /// Package name (default: derived from the schema name or file name).
    #[arg(long)]
    package: Option<String>,
    /// Template directory replacing the built-in templates.
    #[arg(long)]
    templates: Option<PathBuf>,
    /// Map string formats to typed wrappers.
    #[arg(long)]
    typed_formats: bool,
    /// API key for --registry (needs `registry:read` on the registry). Environment only, so
    /// it never shows in `ps`.
    #[arg(skip = std::env::var("SCHEMABUS_KEY").ok().filter(|k| !k.is_empty()))]
    key: Option<String>,
}

/// Runs the command; returns the files written.
///
/// # Errors
/// A message for the terminal.
pub fn run(args: &CodegenArgs) -> Result<Vec<PathBuf>, String> {
    let language = match args.language.as_str() {
        "rust" => Language::Rust,
        "typescript" => Language::TypeScript,
        other => return Err(format!("unknown language '{other}': use rust or typescript")),
    };
    let (schema, refs, default_name) = match (&args.schema, &args.registry, &args.from) {
        (Some(file), _, _) => {
            let text =
                std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let schema: Value =
                serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", file.display()))?;
            let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("schema").to_owned();
            (schema, BTreeMap::new(), stem)
        }
        (None, Some(url), Some(from)) => fetch(url, from, args.key.as_deref())?,
        _ => return Err("give --schema FILE, or --registry URL with --from REGISTRY/SCHEMA[/VERSION]".into()),
    };
    let generator = match &args.templates {
        Some(dir) => Generator::from_dir(dir),
        None => Generator::embedded(),
    }
    .map_err(|e| e.to_string())?;
    let package_name =
        args.package.clone().unwrap_or_else(|| crate::bindings::package_name_for(&default_name));
    let options = Options { language, package_name, typed_formats: args.typed_formats };
    let files = generator.generate(&schema, &refs, &options).map_err(|e| e.to_string())?;
    write_files(&args.out, &files)
}

fn write_files(out: &Path, files: &[crate::codegen::GeneratedFile]) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    for file in files {
        let path = out.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, &file.contents).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// Fetches a version and the documents it references from a running service.
fn fetch(
    url: &str,
    from: &str,
    key: Option<&str>,
) -> Result<(Value, BTreeMap<String, Value>, String), String> {
    let mut parts = from.splitn(3, '/');
    let (Some(registry), Some(schema)) = (parts.next(), parts.next()) else {
        return Err(format!("--from '{from}' is not REGISTRY/SCHEMA[/VERSION]"));
    };
    let version = parts.next().unwrap_or("latest");
    let client = reqwest::blocking::Client::new();
    let get = |path: String| -> Result<Value, String> {
        let mut request = client.get(format!("{}{path}", url.trim_end_matches('/')));
        if let Some(k) = key {
            request = request.bearer_auth(k);
        }
        let response = request.send().map_err(|e| format!("cannot reach {url}: {e}"))?;
        let status = response.status();
        let body: Value =
            response.json().map_err(|e| format!("{url} answered with something that is not JSON: {e}"))?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(format!("{url} answered {status}: {}", body["message"]))
        }
    };
    let record = get(format!("/v1/registries/{registry}/schemas/{schema}/versions/{version}"))?;
    let mut refs = BTreeMap::new();
    for uri in record["references"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        let Some((r, s, v)) = crate::registry::refs::parse_version_uri(uri) else { continue };
        let referenced = get(format!("/v1/registries/{r}/schemas/{s}/versions/{v}"))?;
        refs.insert(uri.to_owned(), crate::registry::with_base(&referenced["content"], uri));
    }
    let number = record["version"].as_u64().and_then(|n| u32::try_from(n).ok()).unwrap_or(1);
    let content = crate::registry::with_base(
        &record["content"],
        &crate::registry::refs::version_uri(registry, schema, number),
    );
    Ok((content, refs, schema.to_owned()))
}
