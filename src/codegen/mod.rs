//! Code generation: JSON Schema → Rust crate / TypeScript package with the payload types,
//! an EventBridge envelope `Event<T>` and (TypeScript) runtime type guards.
//!
//! The pipeline is pure apart from loading a template directory ([`Generator::from_dir`]):
//! a schema is *lowered* into a language-neutral [`model::Model`] (names allocated, unions
//! classified, `allOf` merged, `$ref`s resolved against the caller's preloaded map of
//! registered schemas) and then *rendered* through strict-mode handlebars templates. The
//! same schema, options and templates always give the same bytes.
//!
//! ```no_run
//! use std::collections::BTreeMap;
//! use schemabus::codegen::{Generator, Language, Options};
//!
//! let generator = Generator::embedded()?;
//! let schema = serde_json::json!({"type": "object", "properties": {"id": {"type": "string"}}});
//! let options = Options::new(Language::Rust, "orders-order-placed");
//! let files = generator.generate(&schema, &BTreeMap::new(), &options)?;
//! assert!(files.iter().any(|f| f.path == Language::Rust.main_source_path()));
//! # Ok::<(), schemabus::codegen::CodegenError>(())
//! ```

mod error;
mod fs;
mod graph;
mod keywords;
mod lower;
pub mod model;
mod naming;
mod refs;
mod rust;
mod templates;
mod typescript;

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use serde_json::Value;

pub use error::CodegenError;
use templates::{CompiledSet, RawTemplate};

/// Target language of the generated package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    /// A Cargo crate (`Cargo.toml`, `src/lib.rs`) depending only on serde and serde_json.
    Rust,
    /// An npm package (`package.json`, `tsconfig.json`, `src/index.ts`).
    TypeScript,
}

impl Language {
    /// All languages.
    pub const ALL: [Language; 2] = [Language::Rust, Language::TypeScript];

    /// Stable lower-case name (`rust`, `typescript`), also the template directory name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rust => "rust",
            Self::TypeScript => "typescript",
        }
    }

    /// Path of the main source file inside the package (what `?format=source` returns).
    pub fn main_source_path(self) -> &'static str {
        match self {
            Self::Rust => "src/lib.rs",
            Self::TypeScript => "src/index.ts",
        }
    }
}

impl FromStr for Language {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "rust" | "rs" => Ok(Self::Rust),
            "typescript" | "ts" => Ok(Self::TypeScript),
            other => Err(format!("unknown language `{other}` (expected rust or typescript)")),
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Target language.
    pub language: Language,
    /// Crate / npm package name: 1-64 of `a-z0-9-_`, starting with a letter. The root type
    /// is named after it when the schema has no `title`.
    pub package_name: String,
    /// Map known string formats (`date-time`, `uuid`, ...) to wrapper types that validate
    /// but keep the original text, instead of plain strings.
    pub typed_formats: bool,
}

impl Options {
    /// Options with plain-string formats.
    pub fn new(language: Language, package_name: impl Into<String>) -> Self {
        Self { language, package_name: package_name.into(), typed_formats: false }
    }
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// `/`-separated path inside the package (`Cargo.toml`, `src/lib.rs`, ...).
    pub path: String,
    /// UTF-8 contents.
    pub contents: String,
}

/// The code generator: compiled templates for each language. Cheap to share (`Send + Sync`).
#[derive(Debug)]
pub struct Generator {
    rust: Option<CompiledSet>,
    typescript: Option<CompiledSet>,
    fingerprint: String,
}

fn validate_package_name(name: &str) -> Result<(), CodegenError> {
    let valid = (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if valid { Ok(()) } else { Err(CodegenError::InvalidPackageName { name: name.to_string() }) }
}

impl Generator {
    fn from_sets(
        rust: Option<Vec<RawTemplate>>,
        typescript: Option<Vec<RawTemplate>>,
    ) -> Result<Self, CodegenError> {
        let mut parts: Vec<(Language, &[RawTemplate])> = Vec::new();
        if let Some(t) = &rust {
            parts.push((Language::Rust, t));
        }
        if let Some(t) = &typescript {
            parts.push((Language::TypeScript, t));
        }
        let fingerprint = templates::fingerprint(&parts);
        Ok(Self {
            rust: rust.map(|t| templates::compile(Language::Rust, &t)).transpose()?,
            typescript: typescript.map(|t| templates::compile(Language::TypeScript, &t)).transpose()?,
            fingerprint,
        })
    }

    /// The generator with the built-in templates (the files in `codegen-templates/`,
    /// embedded at compile time).
    pub fn embedded() -> Result<Self, CodegenError> {
        Self::from_sets(
            Some(templates::embedded(Language::Rust)),
            Some(templates::embedded(Language::TypeScript)),
        )
    }

    /// A generator with the templates in `dir`, laid out like `codegen-templates/`:
    /// `dir/rust/` and/or `dir/typescript/`. A language whose directory is missing cannot
    /// be generated; at least one must exist.
    pub fn from_dir(dir: &Path) -> Result<Self, CodegenError> {
        let rust = fs::read_template_dir(&dir.join(Language::Rust.as_str()))?;
        let typescript = fs::read_template_dir(&dir.join(Language::TypeScript.as_str()))?;
        if rust.is_none() && typescript.is_none() {
            return Err(CodegenError::Template {
                name: dir.display().to_string(),
                message: "neither a `rust/` nor a `typescript/` directory exists".into(),
            });
        }
        Self::from_sets(rust, typescript)
    }

    /// SHA-256 (hex) of the whole template set, for cache keys of generated artefacts.
    pub fn templates_fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Whether templates for `language` are loaded.
    pub fn supports(&self, language: Language) -> bool {
        match language {
            Language::Rust => self.rust.is_some(),
            Language::TypeScript => self.typescript.is_some(),
        }
    }

    /// Generates the package for `schema`. `external_refs` maps registry URIs (without
    /// fragment) to the documents of other registered schemas the schema references.
    pub fn generate(
        &self,
        schema: &Value,
        external_refs: &BTreeMap<String, Value>,
        options: &Options,
    ) -> Result<Vec<GeneratedFile>, CodegenError> {
        let set = match options.language {
            Language::Rust => self.rust.as_ref(),
            Language::TypeScript => self.typescript.as_ref(),
        }
        .ok_or_else(|| CodegenError::Template {
            name: options.language.as_str().into(),
            message: "no templates loaded for this language".into(),
        })?;
        let model = lower(schema, external_refs, options)?;
        let rendered = match options.language {
            Language::Rust => set.render(&rust::view(&model, &options.package_name))?,
            Language::TypeScript => set.render(&typescript::view(&model, &options.package_name))?,
        };
        Ok(rendered.into_iter().map(|(path, contents)| GeneratedFile { path, contents }).collect())
    }
}

/// Lowers `schema` into the language-neutral model (what [`Generator::generate`] renders).
pub fn lower(
    schema: &Value,
    external_refs: &BTreeMap<String, Value>,
    options: &Options,
) -> Result<model::Model, CodegenError> {
    validate_package_name(&options.package_name)?;
    lower::lower(schema, external_refs, &options.package_name, options.typed_formats)
}

/// The registry URI of a schema version, as used in cross-schema `$ref`s.
pub fn registry_schema_uri(registry: &str, schema: &str, version: u64) -> String {
    format!("https://schemabus.invalid/registries/{registry}/schemas/{schema}/versions/{version}")
}
