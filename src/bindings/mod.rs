//! Code bindings for stored schema versions: generated once per (version, language,
//! options, template set), cached, and served as a ready package (zip) or as the main
//! source file.
//!
//! Generation is the pure [`crate::codegen`] module; this service feeds it a stored
//! version and the documents it references, and packages the result.

mod package;

use std::sync::Arc;

use serde_json::json;

use crate::cache::BoundedCache;
use crate::codegen::{CodegenError, GeneratedFile, Generator, Language, Options};
use crate::error::{ApiError, ApiResult, Code};
use crate::model::{RegistryName, SchemaName, VersionSelector};
use crate::registry::RegistryService;

pub use package::{package_name_for, zip_files};

/// A generated package: its files and their zip.
#[derive(Debug)]
pub struct Bindings {
    /// Files, sorted by path.
    pub files: Vec<GeneratedFile>,
    /// The files as a zip archive (deterministic: fixed timestamps, sorted entries).
    pub zip: Vec<u8>,
    /// The version generated from (resolves `latest`).
    pub version: u32,
    /// Package name used.
    pub package_name: String,
}

type CacheKey = (String, String, u32, Language, bool);

/// Generates and caches bindings. Cheap to clone.
#[derive(Clone)]
pub struct BindingsService {
    registry: RegistryService,
    generator: Arc<Generator>,
    cache: Arc<BoundedCache<CacheKey, Arc<Bindings>>>,
}

impl std::fmt::Debug for BindingsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BindingsService").field("templates", &self.generator.templates_fingerprint()).finish()
    }
}

impl BindingsService {
    /// A service rendering through `generator`, keeping at most `capacity` packages.
    pub fn new(registry: RegistryService, generator: Generator, capacity: usize) -> Self {
        Self { registry, generator: Arc::new(generator), cache: Arc::new(BoundedCache::new(capacity)) }
    }

    /// Drops the generated bindings not asked for during `idle`; returns how many.
    pub fn evict_idle(&self, idle: std::time::Duration) -> usize {
        self.cache.evict_idle(idle)
    }

    /// The bindings of a version (generated on first request, then cached; the template
    /// set is fixed for the life of the process, so the cache key need not name it).
    ///
    /// # Errors
    /// `version_not_found` and friends; `codegen_failed` when the schema cannot be
    /// rendered (for example an unsupported construct or a template error).
    pub fn bindings(
        &self,
        registry: &RegistryName,
        schema: &SchemaName,
        selector: VersionSelector,
        language: Language,
        typed_formats: bool,
    ) -> ApiResult<Arc<Bindings>> {
        let record = self.registry.get_version(registry, schema, selector)?;
        let key = (registry.to_string(), schema.to_string(), record.version, language, typed_formats);
        if let Some(hit) = self.cache.get(&key) {
            return Ok(hit);
        }
        let refs = self.registry.referenced_documents_of(&record.references)?;
        let package_name = package_name_for(schema.as_str());
        let options = Options { language, package_name: package_name.clone(), typed_formats };
        let uri = crate::registry::refs::version_uri(registry.as_str(), schema.as_str(), record.version);
        let content = crate::registry::with_base(&record.content, &uri);
        let files = self.generator.generate(&content, &refs, &options).map_err(codegen_error)?;
        let zip = zip_files(&package_name, &files).map_err(|e| {
            tracing::error!(error = %e, "zip failed");
            ApiError::new(
                Code::Internal,
                "The package could not be archived. Hint: the service log has the cause.",
            )
        })?;
        let bindings = Arc::new(Bindings { files, zip, version: record.version, package_name });
        self.cache.insert(key, bindings.clone());
        Ok(bindings)
    }

    /// The fingerprint of the template set in use.
    pub fn templates_fingerprint(&self) -> &str {
        self.generator.templates_fingerprint()
    }
}

fn codegen_error(e: CodegenError) -> ApiError {
    ApiError::new(
        Code::CodegenFailed,
        format!(
            "Bindings cannot be generated: {e}. Hint: docs/CODEGEN.md lists what each language supports."
        ),
    )
    .with_details(json!({ "reason": e.to_string() }))
}
