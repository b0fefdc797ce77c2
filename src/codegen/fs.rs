//! The only I/O of the generator: reading a template directory supplied by the caller.

use std::path::Path;

use super::error::CodegenError;
use super::templates::RawTemplate;

fn io_error(path: &Path, source: std::io::Error) -> CodegenError {
    CodegenError::TemplateIo { path: path.display().to_string(), source }
}

/// Reads every `*.hbs` file below `dir` (recursively, sorted by path so loading is
/// deterministic). Returns `Ok(None)` when `dir` does not exist.
pub(crate) fn read_template_dir(dir: &Path) -> Result<Option<Vec<RawTemplate>>, CodegenError> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = std::fs::read_dir(&current).map_err(|e| io_error(&current, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_error(&current, e))?;
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "hbs") {
                let source = std::fs::read_to_string(&path).map_err(|e| io_error(&path, e))?;
                let relative = path
                    .strip_prefix(dir)
                    .map_err(|_| CodegenError::Template {
                        name: path.display().to_string(),
                        message: "outside the template directory".into(),
                    })?
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push(RawTemplate { path: relative, source });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Some(out))
}
