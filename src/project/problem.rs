//! What `schemabus check` (and `plan`) report: a file, a line, a stable code, a sentence.

use serde::Serialize;

/// The stable codes of project problems (docs/CONTRACTS-AS-CODE.md lists them). Schema
/// and pattern problems reuse the API's codes (`invalid_schema`, `unresolvable_ref`,
/// `invalid_pattern`, `incompatible_schema`), so a finding reads the same offline and
/// from the service.
pub mod codes {
    /// A file the project names does not exist or cannot be read.
    pub const MISSING_FILE: &str = "missing_file";
    /// The project file is not YAML or not the project format.
    pub const INVALID_PROJECT: &str = "invalid_project";
    /// A resource body (rule, queue, archive, bus settings) is not what the API accepts.
    pub const INVALID_RESOURCE: &str = "invalid_resource";
    /// A name does not follow the service's naming rules.
    pub const INVALID_NAME: &str = "invalid_name";
    /// A schema is not a valid JSON Schema of its draft (`invalid_schema` in the API).
    pub const INVALID_SCHEMA: &str = "invalid_schema";
    /// A `$ref` names no project file (`unresolvable_ref` in the API).
    pub const UNRESOLVABLE_REF: &str = "unresolvable_ref";
    /// Schemas reference each other in a cycle (the registry cannot store them).
    pub const REFERENCE_CYCLE: &str = "reference_cycle";
    /// An event pattern is not valid (`invalid_pattern` in the API).
    pub const INVALID_PATTERN: &str = "invalid_pattern";
    /// A changed schema breaks its compatibility mode against the baseline.
    pub const INCOMPATIBLE_SCHEMA: &str = "incompatible_schema";
    /// A credential is written inline instead of `{"env": "NAME"}`.
    pub const INLINE_SECRET: &str = "inline_secret";
    /// A credential's environment variable is not set (`apply`).
    pub const MISSING_SECRET: &str = "missing_secret";
    /// A rule, bus or binding names a queue, bus or schema the project does not declare.
    pub const UNKNOWN_REFERENCE: &str = "unknown_reference";
    /// A `$ref` to a stored version outside the project, not checked offline (warning).
    pub const EXTERNAL_REFERENCE: &str = "external_reference";
}

/// How bad a problem is: errors fail `check` (exit 1), warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails the check.
    Error,
    /// Reported only.
    Warning,
}

/// One problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// File relative to the project root.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// JSON Pointer into the file, when it applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Stable code ([`codes`]).
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, for people.
    pub message: String,
}

impl Problem {
    /// An error in `file` at `line`.
    pub fn new(file: &str, line: usize, code: &'static str, message: String) -> Self {
        Self {
            file: file.to_owned(),
            line,
            column: None,
            pointer: None,
            code,
            severity: Severity::Error,
            message,
        }
    }

    /// The same, at `pointer`.
    #[must_use]
    pub fn at(mut self, pointer: &str) -> Self {
        self.pointer = Some(pointer.to_owned());
        self
    }

    /// The same, at `column`.
    #[must_use]
    pub fn column(mut self, column: usize) -> Self {
        self.column = Some(column);
        self
    }

    /// The same, as a warning.
    #[must_use]
    pub fn warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    /// The GitHub Actions workflow command for it (`::error file=…,line=…::message`).
    pub fn github(&self) -> String {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // Workflow commands end at a newline; `%`, CR and LF are escaped as GitHub documents.
        let message = format!("{} [{}]", self.message, self.code)
            .replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A");
        let file = self.file.replace('%', "%25").replace(',', "%2C").replace(':', "%3A");
        let column = self.column.map(|c| format!(",col={c}")).unwrap_or_default();
        format!("::{level} file={file},line={}{column},title={}::{message}", self.line, self.code)
    }

    /// One line for people: `file:line: error[code]: message`.
    pub fn text(&self) -> String {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        format!("{}:{}: {level}[{}]: {}", self.file, self.line, self.code, self.message)
    }
}
