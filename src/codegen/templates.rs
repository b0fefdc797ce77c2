//! Template sets: the built-in ones (embedded with `include_str!`) and compilation into a
//! strict-mode handlebars registry per language.
//!
//! Layout of a language directory: every `*.hbs` file outside `partials/` renders one output
//! file at the same relative path minus `.hbs` (`src/lib.rs.hbs` → `src/lib.rs`); files in
//! `partials/` are partials named by their path below it without `.hbs` (`{{> struct}}`).

use handlebars::{Context, Handlebars};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Language;
use super::error::CodegenError;

/// One template file: path relative to the language directory (`/`-separated, with `.hbs`).
#[derive(Debug, Clone)]
pub(crate) struct RawTemplate {
    pub(crate) path: String,
    pub(crate) source: String,
}

macro_rules! embed {
    ($lang:literal, $($path:literal),+ $(,)?) => {
        &[$(($path, include_str!(concat!("../../codegen-templates/", $lang, "/", $path)))),+]
    };
}

const RUST: &[(&str, &str)] = embed!(
    "rust",
    "Cargo.toml.hbs",
    "README.md.hbs",
    "src/lib.rs.hbs",
    "partials/alias.hbs",
    "partials/envelope.hbs",
    "partials/formats.hbs",
    "partials/helpers.hbs",
    "partials/newtype.hbs",
    "partials/string_enum.hbs",
    "partials/struct.hbs",
    "partials/tagged.hbs",
    "partials/untagged.hbs",
    "partials/value_enum.hbs",
);

const TYPESCRIPT: &[(&str, &str)] = embed!(
    "typescript",
    "README.md.hbs",
    "package.json.hbs",
    "tsconfig.json.hbs",
    "src/index.ts.hbs",
    "partials/alias.hbs",
    "partials/doc.hbs",
    "partials/envelope.hbs",
    "partials/format.hbs",
    "partials/helpers.hbs",
    "partials/interface.hbs",
);

/// The built-in templates of `language`.
pub(crate) fn embedded(language: Language) -> Vec<RawTemplate> {
    let files = match language {
        Language::Rust => RUST,
        Language::TypeScript => TYPESCRIPT,
    };
    files
        .iter()
        .map(|(path, source)| RawTemplate { path: (*path).to_string(), source: (*source).to_string() })
        .collect()
}

/// A compiled template set of one language.
#[derive(Debug)]
pub(crate) struct CompiledSet {
    registry: Handlebars<'static>,
    /// Output paths, sorted.
    outputs: Vec<String>,
}

/// Compiles a template set; the main source file of the language must be present.
pub(crate) fn compile(language: Language, templates: &[RawTemplate]) -> Result<CompiledSet, CodegenError> {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    // Generated code is not HTML: `Vec<T>` must not become `Vec&lt;T&gt;`.
    registry.register_escape_fn(handlebars::no_escape);
    let mut outputs = Vec::new();
    for template in templates {
        let Some(stem) = template.path.strip_suffix(".hbs") else {
            continue;
        };
        let error = |e: handlebars::TemplateError| CodegenError::Template {
            name: template.path.clone(),
            message: e.to_string(),
        };
        if let Some(partial) = stem.strip_prefix("partials/") {
            registry.register_partial(partial, template.source.as_str()).map_err(error)?;
        } else {
            registry.register_template_string(stem, template.source.as_str()).map_err(error)?;
            outputs.push(stem.to_string());
        }
    }
    outputs.sort();
    let main = language.main_source_path();
    if !outputs.iter().any(|o| o == main) {
        return Err(CodegenError::Template {
            name: format!("{main}.hbs"),
            message: format!("the {} template set has no `{main}.hbs`", language.as_str()),
        });
    }
    Ok(CompiledSet { registry, outputs })
}

impl CompiledSet {
    /// Renders every output file with `view`, in path order.
    pub(crate) fn render<V: Serialize>(&self, view: &V) -> Result<Vec<(String, String)>, CodegenError> {
        // Converting the view to JSON once (instead of once per output file) matters: for a
        // 300-definition schema the view is about a megabyte of JSON.
        let context = Context::wraps(view)
            .map_err(|e| CodegenError::Render { name: "(view model)".into(), message: e.to_string() })?;
        self.outputs
            .iter()
            .map(|path| {
                self.registry
                    .render_with_context(path, &context)
                    .map(|contents| (path.clone(), contents))
                    .map_err(|e| CodegenError::Render { name: format!("{path}.hbs"), message: e.to_string() })
            })
            .collect()
    }
}

/// SHA-256 over every template of every language (path and contents, sorted), hex encoded.
pub(crate) fn fingerprint(sets: &[(Language, &[RawTemplate])]) -> String {
    let mut hasher = Sha256::new();
    for (language, templates) in sets {
        let mut sorted: Vec<&RawTemplate> = templates.iter().collect();
        sorted.sort_by(|a, b| a.path.cmp(&b.path));
        for template in sorted {
            // Length-prefixed fields so that moving bytes between path and body changes
            // the hash.
            for part in [language.as_str(), template.path.as_str(), template.source.as_str()] {
                hasher.update((part.len() as u64).to_le_bytes());
                hasher.update(part.as_bytes());
            }
        }
    }
    hex::encode(hasher.finalize())
}
