//! The comparison engine: decides whether every document valid under a "from" schema is
//! valid under a "to" schema, and explains each difference as a [`Finding`].
//!
//! Soundness over completeness: every rule answers "compatible" only when it can prove the
//! inclusion; anything it cannot prove becomes an incompatible finding that says so.

use std::collections::BTreeMap;

use serde_json::Value;

use super::finding::{Finding, FindingType};
use super::mode::{Direction, Policy};
use super::rules::refs;
use super::schema::{
    ARRAY_KEYWORDS, NUMBER_KEYWORDS, Node, OBJECT_KEYWORDS, STRING_KEYWORDS, UNANALYSED_KEYWORDS,
    VALIDATION_KEYWORDS, mentions_any, types,
};

/// Upper bound on pairwise comparisons per check. Combinator matching may compare many
/// branch pairs; past this budget the checker stops proving and says so, which bounds the
/// time of a request.
const STEP_LIMIT: usize = 200_000;

/// One comparison run: settings plus the recursion guard and work budget.
pub(crate) struct Checker<'a> {
    pub refs: &'a BTreeMap<String, Value>,
    pub policy: Policy,
    /// How messages name the schema documents come from ("the previous schema").
    pub from: &'static str,
    /// How messages name the schema documents must validate under.
    pub to: &'static str,
    /// Pairs being compared further up the stack, with the document depth they started at.
    stack: Vec<(usize, usize, usize)>,
    steps: usize,
}

impl<'a> Checker<'a> {
    pub(crate) fn new(refs: &'a BTreeMap<String, Value>, policy: Policy, direction: Direction) -> Self {
        let (from, to) = match direction {
            Direction::Backward => ("the previous schema", "the new schema"),
            Direction::Forward => ("the new schema", "the previous schema"),
        };
        Self { refs, policy, from, to, stack: Vec::new(), steps: 0 }
    }

    /// Records a finding, judging it under the run's policy.
    pub(crate) fn emit(&self, out: &mut Vec<Finding>, kind: FindingType, path: String, message: String) {
        out.push(Finding {
            kind,
            compatible: kind.is_compatible_under(self.policy),
            path,
            message,
            direction: None,
            version: None,
        });
    }

    /// Compares `a` (documents come from here) with `b` (documents must validate here).
    /// `depth` counts how far into the document the comparison has descended; it is what
    /// lets a recursive `$ref` cycle be assumed compatible (by induction on document size).
    pub(crate) fn compare(
        &mut self,
        a: Node<'a>,
        b: Node<'a>,
        path: &str,
        depth: usize,
        out: &mut Vec<Finding>,
    ) {
        self.steps += 1;
        if self.steps > STEP_LIMIT {
            // Emitted on every call past the limit so that no truncated sub-comparison can be
            // mistaken for a compatible one; the facade collapses the duplicates.
            self.emit(
                out,
                FindingType::AnalysisLimitExceeded,
                path.to_owned(),
                format!(
                    "The comparison at '{path}' exceeded the work budget of {STEP_LIMIT} steps, so compatibility cannot be proven."
                ),
            );
            return;
        }
        let Some(a) = self.deref(a, path, out) else {
            return;
        };
        let Some(b) = self.deref(b, path, out) else {
            return;
        };
        if a.is_false() {
            // No document is valid under `a`: nothing to carry over.
            return;
        }
        if b.is_false() {
            self.emit(
                out,
                FindingType::TypeNarrowed,
                path.to_owned(),
                format!(
                    "The schema at '{path}' is `false` in {} and rejects every value that {} accepted.",
                    self.to, self.from
                ),
            );
            return;
        }
        let key = (a.id(), b.id());
        if let Some(&(_, _, started)) = self.stack.iter().find(|(x, y, _)| (*x, *y) == key) {
            if started == depth {
                self.emit(
                    out,
                    FindingType::RecursionUnproven,
                    path.to_owned(),
                    format!(
                        "The schema at '{path}' refers back to itself without descending into the document, so compatibility cannot be proven."
                    ),
                );
            }
            // Otherwise the cycle went through a property or item: by induction on the
            // document's size the inner occurrence holds if the outer one does.
            return;
        }
        self.stack.push((key.0, key.1, depth));
        if has_combinators(a) || has_combinators(b) {
            self.compare_combined(a, b, path, depth, out);
        } else {
            self.compare_base(a, b, path, depth, out);
        }
        self.stack.pop();
    }

    /// Whether every document valid under `a` is provably valid under `b`.
    pub(crate) fn compat(&mut self, a: Node<'a>, b: Node<'a>, depth: usize) -> bool {
        let mut scratch = Vec::new();
        self.compare(a, b, "#", depth, &mut scratch);
        scratch.iter().all(|f| f.compatible)
    }

    /// Compares `a` and `b` on their own keywords only, ignoring combinators on both sides
    /// (sound: ignoring `a`'s combinators over-approximates `a`; `b`'s are checked by the
    /// caller).
    pub(crate) fn compare_base(
        &mut self,
        a: Node<'a>,
        b: Node<'a>,
        path: &str,
        depth: usize,
        out: &mut Vec<Finding>,
    ) {
        let uses = |keywords: &[&str]| mentions_any(a, keywords) || mentions_any(b, keywords);
        if uses(&["$id", "id", "title", "description", "default"]) {
            self.annotations(a, b, path, out);
        }
        let old_types = self.types_and_values(a, b, path, out);
        // Keywords of a type class only matter if old documents can be of that class, and
        // only if either side uses one of them (the common case is a leaf schema).
        if old_types & types::NUMBER != 0 && uses(NUMBER_KEYWORDS) {
            self.numbers(a, b, path, out);
        }
        if old_types & types::STRING != 0 && uses(STRING_KEYWORDS) {
            self.strings(a, b, path, out);
        }
        if old_types & types::OBJECT != 0 && uses(OBJECT_KEYWORDS) {
            self.objects(a, b, path, depth, out);
        }
        if old_types & types::ARRAY != 0 && uses(ARRAY_KEYWORDS) {
            self.arrays(a, b, path, depth, out);
        }
        if uses(UNANALYSED_KEYWORDS) {
            self.unanalysed(a, b, path, out);
        }
    }

    /// Whether `a`'s own keywords (combinators ignored) prove `b`'s own keywords.
    pub(crate) fn base_compat(&mut self, a: Node<'a>, b: Node<'a>, depth: usize) -> bool {
        let mut scratch = Vec::new();
        let Some(a) = self.deref(a, "#", &mut scratch) else {
            return false;
        };
        if a.is_false() {
            return true;
        }
        self.compare_base(a, b, "#", depth, &mut scratch);
        scratch.iter().all(|f| f.compatible)
    }

    /// Follows `$ref`s that replace their schema (drafts 4-7, or no sibling validation
    /// keywords). A `$ref` with siblings in 2019-09+ stays: the combinator rules treat its
    /// target as one more conjunct. Unresolvable references become findings.
    pub(crate) fn deref(&self, mut node: Node<'a>, path: &str, out: &mut Vec<Finding>) -> Option<Node<'a>> {
        for _ in 0..refs::MAX_HOPS {
            if node.get("$ref").is_none() || !ref_is_pure(node) {
                return Some(node);
            }
            match refs::resolve_once(node, self.refs) {
                Ok(target) => node = target,
                Err(reason) => {
                    self.emit(
                        out,
                        FindingType::RefUnresolved,
                        child_ref_path(path),
                        format!(
                            "The reference at '{path}' cannot be resolved ({reason}), so compatibility cannot be proven."
                        ),
                    );
                    return None;
                }
            }
        }
        self.emit(
            out,
            FindingType::RefUnresolved,
            child_ref_path(path),
            format!(
                "The reference chain at '{path}' never reaches a schema, so compatibility cannot be proven."
            ),
        );
        None
    }
}

fn child_ref_path(path: &str) -> String {
    format!("{path}/$ref")
}

/// Whether a `$ref` stands for its target alone.
pub(crate) fn ref_is_pure(node: Node<'_>) -> bool {
    node.doc.draft.ref_overrides_siblings()
        || node
            .map()
            .keys()
            .all(|k| k == "$ref" || !VALIDATION_KEYWORDS.contains(&k.as_str()) || node.get(k).is_none())
}

/// Whether the schema uses keywords handled by the combinator rules.
pub(crate) fn has_combinators(node: Node<'_>) -> bool {
    // Scanning the (small) key list is cheaper than six hash lookups on the hot path.
    node.map().keys().any(|k| {
        matches!(k.as_str(), "allOf" | "anyOf" | "oneOf" | "not" | "if" | "$ref") && node.get(k).is_some()
    })
}
