//! The JSONPath subset EventBridge accepts in `InputPath` and `InputPathsMap`: `$`, then
//! any number of `.name` and `[index]` steps (`$.detail.items[0].sku`). Names are any
//! characters but `.` and `[`, so `$.detail-type` works.

use serde_json::Value;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    steps: Vec<Step>,
}

/// Longest path accepted, as EventBridge's `InputPath`.
pub const MAX_PATH_LEN: usize = 256;

impl JsonPath {
    /// Parses a path.
    ///
    /// # Errors
    /// A sentence saying what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.len() > MAX_PATH_LEN {
            return Err(format!("the path is longer than {MAX_PATH_LEN} characters"));
        }
        let Some(mut rest) = text.strip_prefix('$') else {
            return Err(format!("'{text}' does not start with '$'"));
        };
        let mut steps = Vec::new();
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('.') {
                let end = after.find(['.', '[']).unwrap_or(after.len());
                let name = &after[..end];
                if name.is_empty() {
                    return Err(format!("'{text}' has an empty name after '.'"));
                }
                steps.push(Step::Key(name.to_owned()));
                rest = &after[end..];
            } else if let Some(after) = rest.strip_prefix('[') {
                let end = after.find(']').ok_or_else(|| format!("'{text}' has an unclosed '['"))?;
                let index = after[..end].parse::<usize>().map_err(|_| {
                    format!(
                        "'{text}' has '[{}]'; only array indexes [0], [1], ... are supported",
                        &after[..end]
                    )
                })?;
                steps.push(Step::Index(index));
                rest = &after[end + 1..];
            } else {
                return Err(format!("'{text}' is not a path of the form $.a.b[0]"));
            }
        }
        Ok(Self { steps })
    }

    /// The value at the path, if there is one.
    pub fn select<'a>(&self, mut value: &'a Value) -> Option<&'a Value> {
        for step in &self.steps {
            value = match step {
                Step::Key(k) => value.as_object()?.get(k)?,
                Step::Index(i) => value.as_array()?.get(*i)?,
            };
        }
        Some(value)
    }
}
