//! Shared shapes: numeric bounds on counts (`maxLength`, `minItems`, ...) and the
//! "rest" keywords (`additionalProperties`, `additionalItems`, `unevaluated*`).

use serde_json::Value;

use crate::compat::finding::{Finding, FindingType};
use crate::compat::schema::{Node, child_path};
use crate::compat::walk::Checker;

/// The four finding types of one bound keyword.
pub(crate) struct BoundKinds {
    pub added: FindingType,
    pub removed: FindingType,
    pub increased: FindingType,
    pub decreased: FindingType,
}

/// The four finding types of one "rest" keyword.
pub(crate) struct RestKinds {
    pub added: FindingType,
    pub removed: FindingType,
    pub extended: FindingType,
    pub narrowed: FindingType,
}

/// How a rest keyword constrains what it covers.
enum Rest<'a> {
    Anything,
    Nothing,
    Schema(Node<'a>),
}

fn classify(node: Option<Node<'_>>) -> Rest<'_> {
    match node {
        None => Rest::Anything,
        Some(n) if n.is_trivially_true() => Rest::Anything,
        Some(n) if n.is_false() => Rest::Nothing,
        Some(n) => Rest::Schema(n),
    }
}

impl<'a> Checker<'a> {
    /// Compares a count bound. `upper` bounds narrow when they decrease, lower bounds when
    /// they increase; `default` is the value an absent keyword behaves as (0 for `min*`,
    /// 1 for `minContains`, none for `max*`).
    #[allow(
        clippy::too_many_arguments,
        reason = "one call per keyword; a parameter struct would only rename the arguments"
    )]
    pub(crate) fn compare_bound(
        &self,
        a: Node<'a>,
        b: Node<'a>,
        keyword: &str,
        upper: bool,
        default: Option<f64>,
        kinds: &BoundKinds,
        path: &str,
        out: &mut Vec<Finding>,
    ) {
        let old = a.get(keyword).and_then(Value::as_f64);
        let new = b.get(keyword).and_then(Value::as_f64);
        let eff_old = old.or(default);
        let eff_new = new.or(default);
        let narrowing = match (eff_old, eff_new) {
            (x, y) if x == y => return,
            // Absent upper bound = unbounded; absent lower bound without default = unbounded.
            (None, Some(_)) => true,
            (Some(_), None) => false,
            (Some(o), Some(n)) => {
                if upper {
                    n < o
                } else {
                    n > o
                }
            }
            (None, None) => return,
        };
        let up = match (eff_old, eff_new) {
            (Some(o), Some(n)) => n > o,
            (None, Some(_)) => !upper,
            _ => upper,
        };
        let kind = if old.is_none() && narrowing {
            kinds.added
        } else if new.is_none() && !narrowing {
            kinds.removed
        } else if up {
            kinds.increased
        } else {
            kinds.decreased
        };
        let describe = |v: Option<f64>| v.map_or_else(|| "absent".to_owned(), |x| format!("{x}"));
        let consequence = if narrowing {
            format!("some values valid under {} are now rejected", self.from)
        } else {
            "every value accepted before is still accepted".to_owned()
        };
        let at = child_path(path, keyword);
        self.emit(
            out,
            kind,
            at.clone(),
            format!(
                "`{keyword}` at '{at}' changed from {} to {}; {consequence}.",
                describe(old),
                describe(new)
            ),
        );
    }

    /// Compares a rest keyword; `at` is the keyword's path.
    pub(crate) fn compare_rest(
        &mut self,
        a: Option<Node<'a>>,
        b: Option<Node<'a>>,
        kinds: &RestKinds,
        at: &str,
        depth: usize,
        out: &mut Vec<Finding>,
    ) {
        let (kind, what) = match (classify(a), classify(b)) {
            (Rest::Anything, Rest::Anything) | (Rest::Nothing, Rest::Nothing) => return,
            (Rest::Schema(x), Rest::Schema(y)) => {
                self.compare(x, y, at, depth + 1, out);
                return;
            }
            (Rest::Nothing, Rest::Anything) => (kinds.added, "went from `false` to allowing anything"),
            (Rest::Nothing, Rest::Schema(_)) => (kinds.extended, "went from `false` to a schema"),
            (Rest::Schema(_), Rest::Anything) => (kinds.extended, "went from a schema to allowing anything"),
            (Rest::Anything, Rest::Nothing) => (kinds.removed, "went from allowing anything to `false`"),
            (Rest::Anything, Rest::Schema(_)) => (kinds.narrowed, "went from allowing anything to a schema"),
            (Rest::Schema(_), Rest::Nothing) => (kinds.narrowed, "went from a schema to `false`"),
        };
        let verdict = if kind.is_compatible_under(crate::compat::Policy::Strict) {
            "which only widens what is accepted"
        } else {
            "so members accepted by the previous rule may now be rejected"
        };
        self.emit(
            out,
            kind,
            at.to_owned(),
            format!("The rule at '{at}' {what} between {} and {}, {verdict}.", self.from, self.to),
        );
    }
}
