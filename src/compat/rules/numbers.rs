//! Numeric keywords: bounds (draft-4 boolean `exclusiveMaximum`/`exclusiveMinimum`
//! normalised to the numeric form) and `multipleOf`.

use serde_json::Value;

use crate::compat::finding::{Finding, FindingType};
use crate::compat::schema::{Node, child_path};
use crate::compat::walk::Checker;

/// One bound: its value and whether it is exclusive.
type Bound = (f64, bool);

/// `(inclusive, exclusive)` bound of one side, reading draft-4 `exclusiveX: true` as
/// "the `X` value is exclusive".
fn bounds(node: Node<'_>, inclusive: &str, exclusive: &str) -> (Option<f64>, Option<f64>) {
    let inc = node.get(inclusive).and_then(Value::as_f64);
    match node.get(exclusive) {
        Some(Value::Bool(true)) => (None, inc),
        Some(Value::Number(n)) => (inc, n.as_f64()),
        _ => (inc, None),
    }
}

/// The tightest of an inclusive and an exclusive bound.
fn tightest(inc: Option<f64>, exc: Option<f64>, upper: bool) -> Option<Bound> {
    match (inc, exc) {
        (None, None) => None,
        (Some(i), None) => Some((i, false)),
        (None, Some(e)) => Some((e, true)),
        (Some(i), Some(e)) => {
            let exclusive_wins = if upper { e <= i } else { e >= i };
            Some(if exclusive_wins { (e, true) } else { (i, false) })
        }
    }
}

/// Whether an existing bound `old` already implies the constraint `new`.
fn implies(old: Option<Bound>, new: Bound, upper: bool) -> bool {
    let Some((o, o_exc)) = old else {
        return false;
    };
    let (n, n_exc) = new;
    let strictly_inside = if upper { o < n } else { o > n };
    strictly_inside || (o == n && (o_exc || !n_exc))
}

/// Whether `x` is an integer multiple of `y`.
fn is_multiple(x: &Value, y: &Value) -> bool {
    if let (Some(x), Some(y)) = (x.as_u64(), y.as_u64()) {
        return y != 0 && x % y == 0;
    }
    match (x.as_f64(), y.as_f64()) {
        (Some(x), Some(y)) if y != 0.0 => {
            let r = x / y;
            r.round() != 0.0 && (r - r.round()).abs() < 1e-9
        }
        _ => false,
    }
}

impl<'a> Checker<'a> {
    /// `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf`.
    pub(crate) fn numbers(&self, a: Node<'a>, b: Node<'a>, path: &str, out: &mut Vec<Finding>) {
        use FindingType as T;
        for (upper, inclusive, exclusive, kinds) in [
            (
                true,
                "maximum",
                "exclusiveMaximum",
                [
                    (T::MaximumAdded, T::MaximumRemoved, T::MaximumIncreased, T::MaximumDecreased),
                    (
                        T::ExclusiveMaximumAdded,
                        T::ExclusiveMaximumRemoved,
                        T::ExclusiveMaximumIncreased,
                        T::ExclusiveMaximumDecreased,
                    ),
                ],
            ),
            (
                false,
                "minimum",
                "exclusiveMinimum",
                [
                    (T::MinimumAdded, T::MinimumRemoved, T::MinimumIncreased, T::MinimumDecreased),
                    (
                        T::ExclusiveMinimumAdded,
                        T::ExclusiveMinimumRemoved,
                        T::ExclusiveMinimumIncreased,
                        T::ExclusiveMinimumDecreased,
                    ),
                ],
            ),
        ] {
            let (a_inc, a_exc) = bounds(a, inclusive, exclusive);
            let (b_inc, b_exc) = bounds(b, inclusive, exclusive);
            let old_tightest = tightest(a_inc, a_exc, upper);
            for ((old, new, is_exclusive, keyword), (added, removed, increased, decreased)) in
                [((a_inc, b_inc, false, inclusive), kinds[0]), ((a_exc, b_exc, true, exclusive), kinds[1])]
            {
                let kind = match (old, new) {
                    (None, None) => continue,
                    (Some(o), Some(n)) if o == n => continue,
                    (Some(_), None) => removed,
                    (None, Some(_)) => added,
                    (Some(o), Some(n)) => {
                        if n > o {
                            increased
                        } else {
                            decreased
                        }
                    }
                };
                let at = child_path(path, keyword);
                if !kind.is_compatible_under(self.policy)
                    && let Some(n) = new
                {
                    // A new bound the old bounds already imply narrows nothing (e.g.
                    // `maximum: 10` becoming `exclusiveMaximum: 11`).
                    if implies(old_tightest, (n, is_exclusive), upper) {
                        continue;
                    }
                }
                let show = |v: Option<f64>| v.map_or_else(|| "absent".to_owned(), |x| x.to_string());
                self.emit(
                    out,
                    kind,
                    at.clone(),
                    format!(
                        "The {} bound `{keyword}` at '{at}' changed from {} to {}{}.",
                        if upper { "upper" } else { "lower" },
                        show(old),
                        show(new),
                        if kind.is_compatible_under(self.policy) {
                            ", which only widens the accepted range".to_owned()
                        } else {
                            format!("; numbers accepted by {} may now be rejected", self.from)
                        }
                    ),
                );
            }
        }
        self.multiple_of(a, b, path, out);
    }

    fn multiple_of(&self, a: Node<'a>, b: Node<'a>, path: &str, out: &mut Vec<Finding>) {
        let at = child_path(path, "multipleOf");
        let (kind, message) = match (a.get("multipleOf"), b.get("multipleOf")) {
            (None, None) => return,
            (Some(x), Some(y)) if crate::compat::schema::json_eq(x, y) => return,
            (Some(x), None) => {
                (FindingType::MultipleOfRemoved, format!("`multipleOf: {x}` at '{at}' was removed."))
            }
            (None, Some(y)) => (
                FindingType::MultipleOfAdded,
                format!(
                    "`multipleOf: {y}` was added at '{at}'; numbers that are not multiples of {y} are now rejected."
                ),
            ),
            (Some(x), Some(y)) if is_multiple(x, y) => (
                FindingType::MultipleOfReduced,
                format!(
                    "`multipleOf` at '{at}' changed from {x} to {y}; every multiple of {x} is a multiple of {y}."
                ),
            ),
            (Some(x), Some(y)) if is_multiple(y, x) => (
                FindingType::MultipleOfExpanded,
                format!(
                    "`multipleOf` at '{at}' changed from {x} to {y}; multiples of {x} that are not multiples of {y} are now rejected."
                ),
            ),
            (Some(x), Some(y)) => (
                FindingType::MultipleOfChanged,
                format!("`multipleOf` at '{at}' changed from {x} to {y}, an unrelated value."),
            ),
        };
        self.emit(out, kind, at, message);
    }
}
