//! The typed error of the code generator.

use std::fmt;

/// Everything that can go wrong while lowering a schema, loading templates or rendering.
///
/// Caller-actionable variants carry the offending input; messages end with a hint.
#[derive(Debug)]
pub enum CodegenError {
    /// A `$ref` points at a document that is neither the schema itself nor in the
    /// preloaded map of registered schemas, or at a location that does not exist.
    UnresolvedRef {
        /// The reference as written (after resolution against the base URI).
        reference: String,
        /// Why it could not be resolved.
        reason: String,
    },
    /// The schema is structurally unusable (not an object/boolean, a cycle of `allOf`s ...).
    InvalidSchema {
        /// What is wrong.
        message: String,
    },
    /// The package name cannot be used as a crate / npm package name.
    InvalidPackageName {
        /// The rejected name.
        name: String,
    },
    /// Reading a template directory failed.
    TemplateIo {
        /// The file or directory that could not be read.
        path: String,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A template does not parse, or a required template is missing.
    Template {
        /// Template name (path relative to the language directory).
        name: String,
        /// The parser's or loader's message.
        message: String,
    },
    /// A template failed while rendering (strict mode reports unknown variables here).
    Render {
        /// Template name.
        name: String,
        /// The renderer's message.
        message: String,
    },
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnresolvedRef { reference, reason } => write!(
                f,
                "cannot resolve $ref `{reference}`: {reason}. Hint: references to other \
                 schemas must be absolute registry URIs of registered schema versions"
            ),
            Self::InvalidSchema { message } => {
                write!(f, "unsupported schema: {message}. Hint: the generator needs a valid JSON Schema")
            }
            Self::InvalidPackageName { name } => write!(
                f,
                "invalid package name `{name}`. Hint: use 1-64 characters of a-z, 0-9, `-` \
                 and `_`, starting with a letter"
            ),
            Self::TemplateIo { path, source } => {
                write!(f, "cannot read templates at `{path}`: {source}")
            }
            Self::Template { name, message } => write!(
                f,
                "template `{name}` is unusable: {message}. Hint: compare with the built-in \
                 templates in codegen-templates/"
            ),
            Self::Render { name, message } => write!(
                f,
                "rendering template `{name}` failed: {message}. Hint: templates run in strict \
                 mode, so every variable must exist in the view model (see docs/CODEGEN.md)"
            ),
        }
    }
}

impl std::error::Error for CodegenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::TemplateIo { source, .. } => Some(source),
            Self::UnresolvedRef { .. }
            | Self::InvalidSchema { .. }
            | Self::InvalidPackageName { .. }
            | Self::Template { .. }
            | Self::Render { .. } => None,
        }
    }
}
