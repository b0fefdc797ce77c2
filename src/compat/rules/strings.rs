//! String keywords: length bounds, `pattern` and `format`.

use serde_json::Value;

use crate::compat::finding::{Finding, FindingType};
use crate::compat::rules::bounds::BoundKinds;
use crate::compat::schema::{Node, child_path};
use crate::compat::walk::Checker;

impl<'a> Checker<'a> {
    /// `maxLength`, `minLength`, `pattern`, `format`.
    pub(crate) fn strings(&self, a: Node<'a>, b: Node<'a>, path: &str, out: &mut Vec<Finding>) {
        use FindingType as T;
        self.compare_bound(
            a,
            b,
            "maxLength",
            true,
            None,
            &BoundKinds {
                added: T::MaxLengthAdded,
                removed: T::MaxLengthRemoved,
                increased: T::MaxLengthIncreased,
                decreased: T::MaxLengthDecreased,
            },
            path,
            out,
        );
        self.compare_bound(
            a,
            b,
            "minLength",
            false,
            Some(0.0),
            &BoundKinds {
                added: T::MinLengthAdded,
                removed: T::MinLengthRemoved,
                increased: T::MinLengthIncreased,
                decreased: T::MinLengthDecreased,
            },
            path,
            out,
        );
        // No regular-expression inclusion test: only identical patterns are equal, and a
        // format is only equal to itself (format widenings are validator-specific).
        for (keyword, added, removed, changed, what) in [
            ("pattern", T::PatternAdded, T::PatternRemoved, T::PatternChanged, "strings not matching it"),
            ("format", T::FormatAdded, T::FormatRemoved, T::FormatChanged, "strings not in that format"),
        ] {
            let (x, y) = (a.get(keyword), b.get(keyword));
            if x == y {
                continue;
            }
            let at = child_path(path, keyword);
            let show = |v: &Value| v.as_str().map_or_else(|| v.to_string(), |s| format!("\"{s}\""));
            match (x, y) {
                (None, None) => {}
                (Some(x), Some(y)) if x == y => {}
                (Some(x), None) => self.emit(
                    out,
                    removed,
                    at.clone(),
                    format!("`{keyword}: {}` at '{at}' was removed, which only relaxes validation.", show(x)),
                ),
                (None, Some(y)) => self.emit(
                    out,
                    added,
                    at.clone(),
                    format!(
                        "`{keyword}: {}` was added at '{at}'; {what} were accepted by {} and are now rejected.",
                        show(y),
                        self.from
                    ),
                ),
                (Some(x), Some(y)) => self.emit(
                    out,
                    changed,
                    at.clone(),
                    format!(
                        "`{keyword}` at '{at}' changed from {} to {}; inclusion cannot be proven, so compatibility is not assumed.",
                        show(x),
                        show(y)
                    ),
                ),
            }
        }
    }
}
