//! Reading a project from any source (a directory, a git commit): the caller passes a
//! reader of relative paths, so this stays pure and the same code reads both sides of
//! `check --against git:REF`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::model::{PROJECT_FILE, PROJECT_VERSION, ProjectFile, SchemaSpec};
use super::problem::{Problem, codes};
use super::yaml::{Lines, line_of, parse_file};

/// Reads a file by its path relative to the project root: `Ok(None)` when it does not
/// exist, `Err` with a reason when it cannot be read.
pub type Reader<'a> = dyn Fn(&str) -> Result<Option<String>, String> + 'a;

/// A schema's key: registry and schema name.
pub type SchemaKey = (String, String);

/// A schema file, read.
#[derive(Debug, Clone)]
pub struct LoadedSchema {
    /// Its entry in the project file.
    pub spec: SchemaSpec,
    /// Its path, normalised, relative to the project root.
    pub path: String,
    /// The document.
    pub value: Value,
    /// The line of every pointer in it.
    pub lines: Lines,
}

/// A project, read.
#[derive(Debug, Clone, Default)]
pub struct Project {
    /// The project file.
    pub file: ProjectFile,
    /// Its lines.
    pub lines: Lines,
    /// The schemas whose files could be read and parsed.
    pub schemas: BTreeMap<SchemaKey, LoadedSchema>,
}

impl Project {
    /// The line in the project file of `pointer`.
    pub fn line(&self, pointer: &str) -> usize {
        line_of(&self.lines, pointer)
    }

    /// A problem in the project file at `pointer`.
    pub fn problem(&self, pointer: &str, code: &'static str, message: String) -> Problem {
        Problem::new(PROJECT_FILE, self.line(pointer), code, message).at(pointer)
    }
}

/// Reads the project through `read`. `Err` when the project file itself is missing or
/// unreadable; otherwise the project with every problem met while reading its schemas.
///
/// # Errors
/// The project file's problems (missing, not YAML, not the project format).
pub fn load(read: &Reader<'_>) -> Result<(Project, Vec<Problem>), Vec<Problem>> {
    let text = match read(PROJECT_FILE) {
        Ok(Some(text)) => text,
        Ok(None) => {
            return Err(vec![Problem::new(
                PROJECT_FILE,
                1,
                codes::MISSING_FILE,
                format!(
                    "no {PROJECT_FILE} here; create one (docs/CONTRACTS-AS-CODE.md) or pass the project directory"
                ),
            )]);
        }
        Err(e) => return Err(vec![Problem::new(PROJECT_FILE, 1, codes::MISSING_FILE, e)]),
    };
    let (value, lines) = parse_file(PROJECT_FILE, &text).map_err(|e| {
        vec![Problem::new(
            PROJECT_FILE,
            e.line,
            codes::INVALID_PROJECT,
            format!("not valid YAML: {}", e.message),
        )]
    })?;
    let file: ProjectFile = serde_path_to_error::deserialize(&value).map_err(|e| {
        let pointer = pointer_of_path(e.path());
        vec![
            Problem::new(
                PROJECT_FILE,
                line_of(&lines, &pointer),
                codes::INVALID_PROJECT,
                e.inner().to_string(),
            )
            .at(&pointer),
        ]
    })?;
    let mut project = Project { file, lines, schemas: BTreeMap::new() };
    if project.file.version != PROJECT_VERSION {
        return Err(vec![project.problem(
            "/version",
            codes::INVALID_PROJECT,
            format!("version {} is not one this build reads; use {PROJECT_VERSION}", project.file.version),
        )]);
    }
    let mut problems = Vec::new();
    for (registry, spec) in &project.file.registries {
        for (name, schema) in &spec.schemas {
            let pointer = format!("/registries/{registry}/schemas/{name}/file");
            let Some(path) = normalise("", &schema.file) else {
                problems.push(project.problem(
                    &pointer,
                    codes::MISSING_FILE,
                    format!("'{}' leaves the project directory; schema files live inside it", schema.file),
                ));
                continue;
            };
            let text = match read(&path) {
                Ok(Some(t)) => t,
                Ok(None) => {
                    problems.push(project.problem(
                        &pointer,
                        codes::MISSING_FILE,
                        format!("no file '{path}'"),
                    ));
                    continue;
                }
                Err(e) => {
                    problems.push(project.problem(&pointer, codes::MISSING_FILE, e));
                    continue;
                }
            };
            match parse_file(&path, &text) {
                Ok((value, lines)) => {
                    project.schemas.insert(
                        (registry.clone(), name.clone()),
                        LoadedSchema { spec: schema.clone(), path, value, lines },
                    );
                }
                Err(e) => problems.push(
                    Problem::new(
                        &path,
                        e.line,
                        codes::INVALID_SCHEMA,
                        format!("not valid JSON/YAML: {}", e.message),
                    )
                    .column(e.column),
                ),
            }
        }
    }
    Ok((project, problems))
}

/// `relative` resolved against the directory `base_dir` (both `/`-separated, relative to
/// the project root), with `.` and `..` folded; `None` when it is absolute, a URI or
/// climbs out. As in RFC 3986 (4.2), a colon in the first segment makes a URI scheme
/// (`https:`, `C:`): a file whose name has one is written `./orders:v1.json`; colons in
/// later segments are plain characters (schema names may hold them).
pub fn normalise(base_dir: &str, relative: &str) -> Option<String> {
    let first = relative.split('/').next().unwrap_or_default();
    if relative.starts_with('/') || relative.contains('\\') || first.contains(':') {
        return None;
    }
    let mut parts: Vec<&str> = base_dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// The directory part of a normalised path (`""` at the root).
pub fn dir_of(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// A `serde_path_to_error` path as a JSON Pointer.
pub fn pointer_of_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                out.push('/');
                out.push_str(&super::yaml::escape(key));
            }
            Segment::Unknown => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_project() {
        assert_eq!(normalise("", "schemas/a.json").as_deref(), Some("schemas/a.json"));
        assert_eq!(normalise("schemas/shop", "../common/m.json").as_deref(), Some("schemas/common/m.json"));
        assert_eq!(normalise("schemas", "./x.yaml").as_deref(), Some("schemas/x.yaml"));
        assert_eq!(normalise("", "../outside.json"), None);
        assert_eq!(normalise("", "/etc/passwd"), None);
        assert_eq!(normalise("", "https://example.com/s.json"), None);
        assert_eq!(normalise("", "C:/s.json"), None);
        assert_eq!(normalise("schemas/r", "./a:b.json").as_deref(), Some("schemas/r/a:b.json"));
        assert_eq!(normalise("", "schemas/r/a:b.json").as_deref(), Some("schemas/r/a:b.json"));
        assert_eq!(normalise("schemas/r", "a:b.json"), None, "a scheme, as a $ref would read it");
        assert_eq!(dir_of("schemas/shop/a.json"), "schemas/shop");
        assert_eq!(dir_of("a.json"), "");
    }
}
