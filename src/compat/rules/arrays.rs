//! Array keywords: single-schema `items`, tuples (`prefixItems`, or `items` arrays with
//! `additionalItems` before 2020-12), `contains` with `minContains`/`maxContains`,
//! `uniqueItems`, `unevaluatedItems` and item-count bounds.

use serde_json::Value;

use crate::compat::finding::{Finding, FindingType};
use crate::compat::rules::bounds::{BoundKinds, RestKinds};
use crate::compat::schema::{Draft, Node, child_path, index_path, is_trivially_true};
use crate::compat::walk::Checker;

/// An array schema seen as positional schemas followed by one schema for the rest.
struct Shape<'a> {
    /// Schemas of the first positions.
    prefix: Vec<Node<'a>>,
    /// Keyword holding the positional schemas (`prefixItems` or `items`).
    prefix_keyword: &'static str,
    /// Schema of every later position; `None` = anything.
    rest: Option<Node<'a>>,
    /// Keyword holding the rest schema (`items` or `additionalItems`).
    rest_keyword: &'static str,
    /// Whether this side is a tuple at all.
    tuple: bool,
}

fn shape(node: Node<'_>) -> Shape<'_> {
    let items = node.get("items");
    if let (Some(Value::Array(prefix)), true) =
        (node.get("prefixItems"), node.doc.draft == Draft::Draft202012)
    {
        return Shape {
            prefix: prefix.iter().map(|s| node.at(s)).collect(),
            prefix_keyword: "prefixItems",
            rest: node.child("items"),
            rest_keyword: "items",
            tuple: true,
        };
    }
    match items {
        Some(Value::Array(prefix)) => Shape {
            prefix: prefix.iter().map(|s| node.at(s)).collect(),
            prefix_keyword: "items",
            rest: node.child("additionalItems"),
            rest_keyword: "additionalItems",
            tuple: true,
        },
        _ => Shape {
            prefix: Vec::new(),
            prefix_keyword: "prefixItems",
            rest: node.child("items"),
            rest_keyword: "items",
            tuple: false,
        },
    }
}

impl<'a> Checker<'a> {
    /// Every array keyword.
    pub(crate) fn arrays(
        &mut self,
        a: Node<'a>,
        b: Node<'a>,
        path: &str,
        depth: usize,
        out: &mut Vec<Finding>,
    ) {
        use FindingType as T;
        let (sa, sb) = (shape(a), shape(b));
        self.positions(&sa, &sb, path, depth, out);
        let rest_at = child_path(path, sb.rest_keyword);
        if sa.tuple || sb.tuple {
            self.compare_rest(
                sa.rest,
                sb.rest,
                &RestKinds {
                    added: T::AdditionalItemsAdded,
                    removed: T::AdditionalItemsRemoved,
                    extended: T::AdditionalItemsExtended,
                    narrowed: T::AdditionalItemsNarrowed,
                },
                &rest_at,
                depth,
                out,
            );
        } else {
            match (sa.rest, sb.rest) {
                (None, None) => {}
                (Some(x), Some(y)) => self.compare(x, y, &rest_at, depth + 1, out),
                (Some(_), None) => self.emit(
                    out,
                    T::SchemaRemoved,
                    rest_at.clone(),
                    format!("The item schema at '{rest_at}' was removed, so items of any kind are accepted."),
                ),
                (None, Some(y)) if y.is_trivially_true() => {}
                (None, Some(_)) => self.emit(
                    out,
                    T::SchemaAdded,
                    rest_at.clone(),
                    format!(
                        "An item schema was added at '{rest_at}'; items accepted by {} may now be rejected.",
                        self.from
                    ),
                ),
            }
        }
        self.contains(a, b, path, depth, out);
        self.unique_items(a, b, path, out);
        self.compare_rest(
            a.child("unevaluatedItems"),
            b.child("unevaluatedItems"),
            &RestKinds {
                added: T::UnevaluatedItemsAdded,
                removed: T::UnevaluatedItemsRemoved,
                extended: T::UnevaluatedItemsExtended,
                narrowed: T::UnevaluatedItemsNarrowed,
            },
            &child_path(path, "unevaluatedItems"),
            depth,
            out,
        );
        // Which positions `unevaluatedItems` covers also depends on the tuple length.
        let same_shape = sa.prefix.len() == sb.prefix.len() && sa.rest.is_some() == sb.rest.is_some();
        self.unevaluated_scope(a, b, "unevaluatedItems", same_shape, path, out);
        if !same_shape && b.get("unevaluatedItems").is_some_and(|u| !is_trivially_true(u)) {
            let at = child_path(path, "unevaluatedItems");
            self.emit(
                out,
                T::UnevaluatedScopeUnproven,
                at.clone(),
                format!("`unevaluatedItems` at '{at}' now covers different positions because the tuple changed, so compatibility cannot be proven."),
            );
        }
        for (keyword, upper, default, kinds) in [
            (
                "maxItems",
                true,
                None,
                BoundKinds {
                    added: T::MaxItemsAdded,
                    removed: T::MaxItemsRemoved,
                    increased: T::MaxItemsIncreased,
                    decreased: T::MaxItemsDecreased,
                },
            ),
            (
                "minItems",
                false,
                Some(0.0),
                BoundKinds {
                    added: T::MinItemsAdded,
                    removed: T::MinItemsRemoved,
                    increased: T::MinItemsIncreased,
                    decreased: T::MinItemsDecreased,
                },
            ),
        ] {
            self.compare_bound(a, b, keyword, upper, default, &kinds, path, out);
        }
    }

    /// Positional schemas, with the same open / closed / partially open logic as properties.
    fn positions(
        &mut self,
        sa: &Shape<'a>,
        sb: &Shape<'a>,
        path: &str,
        depth: usize,
        out: &mut Vec<Finding>,
    ) {
        use FindingType as T;
        let keyword = if sb.tuple { sb.prefix_keyword } else { sa.prefix_keyword };
        let longest = sa.prefix.len().max(sb.prefix.len());
        for i in 0..longest {
            let at = index_path(path, keyword, i);
            match (sa.prefix.get(i), sb.prefix.get(i)) {
                (Some(x), Some(y)) => self.compare(*x, *y, &at, depth + 1, out),
                (None, Some(y)) => {
                    let kind = match sa.rest {
                        None if y.is_trivially_true() => T::ItemWithEmptySchemaAddedToOpenContentModel,
                        None => T::ItemAddedToOpenContentModel,
                        Some(r) if r.is_trivially_true() => {
                            if y.is_trivially_true() {
                                T::ItemWithEmptySchemaAddedToOpenContentModel
                            } else {
                                T::ItemAddedToOpenContentModel
                            }
                        }
                        Some(r) if r.is_false() => T::ItemAddedToClosedContentModel,
                        Some(r) => {
                            if self.compat(r, *y, depth + 1) {
                                T::ItemAddedIsCoveredByPartiallyOpenContentModel
                            } else {
                                T::ItemAddedNotCoveredByPartiallyOpenContentModel
                            }
                        }
                    };
                    self.emit(
                        out,
                        kind,
                        at.clone(),
                        format!(
                            "Position {i} at '{at}' gained its own schema; {}.",
                            if kind.is_compatible_under(self.policy) {
                                format!("every item {} allowed there is still accepted", self.from)
                            } else {
                                format!("items {} allowed there may now be rejected", self.from)
                            }
                        ),
                    );
                }
                (Some(x), None) => {
                    let kind = match sb.rest {
                        None => T::ItemRemovedFromOpenContentModel,
                        Some(r) if r.is_trivially_true() => T::ItemRemovedFromOpenContentModel,
                        Some(r) if r.is_false() => {
                            if x.is_false() {
                                T::ItemWithFalseRemovedFromClosedContentModel
                            } else {
                                T::ItemRemovedFromClosedContentModel
                            }
                        }
                        Some(r) => {
                            if self.compat(*x, r, depth + 1) {
                                T::ItemRemovedIsCoveredByPartiallyOpenContentModel
                            } else {
                                T::ItemRemovedNotCoveredByPartiallyOpenContentModel
                            }
                        }
                    };
                    self.emit(
                        out,
                        kind,
                        at.clone(),
                        format!(
                            "Position {i} at '{at}' lost its own schema and now falls under the rest-of-array rule of {}; {}.",
                            self.to,
                            if kind.is_compatible_under(self.policy) {
                                "its previous items are still accepted"
                            } else {
                                "some of its previous items are rejected"
                            }
                        ),
                    );
                }
                (None, None) => {}
            }
        }
    }

    fn contains(&mut self, a: Node<'a>, b: Node<'a>, path: &str, depth: usize, out: &mut Vec<Finding>) {
        use FindingType as T;
        let at = child_path(path, "contains");
        // minContains/maxContains only count next to `contains` (draft 2019-09+).
        let min_of = |n: Node<'a>| n.get("minContains").and_then(Value::as_f64).unwrap_or(1.0);
        match (a.child("contains"), b.child("contains")) {
            (None, None) => {}
            (Some(_), None) => self.emit(
                out,
                T::ContainsRemoved,
                at.clone(),
                format!("The `contains` rule at '{at}' was removed."),
            ),
            (None, Some(_)) if min_of(b) == 0.0 && b.get("maxContains").is_none() => {}
            (None, Some(_)) => self.emit(
                out,
                T::ContainsAdded,
                at.clone(),
                format!(
                    "A `contains` rule was added at '{at}'; arrays accepted by {} without a matching item are rejected.",
                    self.from
                ),
            ),
            (Some(ca), Some(cb)) => {
                self.compare(ca, cb, &at, depth + 1, out);
                self.compare_bound(
                    a,
                    b,
                    "minContains",
                    false,
                    Some(1.0),
                    &BoundKinds {
                        added: T::MinContainsAdded,
                        removed: T::MinContainsRemoved,
                        increased: T::MinContainsIncreased,
                        decreased: T::MinContainsDecreased,
                    },
                    path,
                    out,
                );
                self.compare_bound(
                    a,
                    b,
                    "maxContains",
                    true,
                    None,
                    &BoundKinds {
                        added: T::MaxContainsAdded,
                        removed: T::MaxContainsRemoved,
                        increased: T::MaxContainsIncreased,
                        decreased: T::MaxContainsDecreased,
                    },
                    path,
                    out,
                );
                // A wider `contains` counts more items against `maxContains`.
                if b.get("maxContains").is_some() && !self.compat(cb, ca, depth + 1) {
                    let at = child_path(path, "maxContains");
                    self.emit(
                        out,
                        T::MaxContainsScopeChanged,
                        at.clone(),
                        format!(
                            "`maxContains` at '{at}' counts items matching a `contains` schema that is not provably the same as before, so more items may count against the maximum."
                        ),
                    );
                }
            }
        }
    }

    fn unique_items(&self, a: Node<'a>, b: Node<'a>, path: &str, out: &mut Vec<Finding>) {
        let unique = |n: Node<'a>| n.get("uniqueItems") == Some(&Value::Bool(true));
        let at = child_path(path, "uniqueItems");
        match (unique(a), unique(b)) {
            (false, true) => self.emit(
                out,
                FindingType::UniqueItemsAdded,
                at.clone(),
                format!("`uniqueItems` was switched on at '{at}'; arrays with duplicates are now rejected."),
            ),
            (true, false) => self.emit(
                out,
                FindingType::UniqueItemsRemoved,
                at.clone(),
                format!("`uniqueItems` was switched off at '{at}'."),
            ),
            _ => {}
        }
    }
}
