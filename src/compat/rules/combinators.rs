//! Combined types: `allOf`, `anyOf`, `oneOf` (with branch matching and a proof that new
//! `oneOf` branches stay exclusive), `not`, `if`/`then`/`else`, and `$ref` with siblings
//! (2019-09+), whose target is one more conjunct.

use serde_json::Value;

use crate::compat::finding::{Finding, FindingType};
use crate::compat::rules::refs;
use crate::compat::schema::{
    Node, TRUE, allowed_values, child_path, effective_type_bits, index_path, json_eq, type_keyword_bits,
    types, value_bits,
};
use crate::compat::walk::Checker;

/// How deep the disjointness prover looks into properties and conjuncts.
const DISJOINT_DEPTH: usize = 6;

fn list<'a>(node: Node<'a>, keyword: &str) -> Vec<Node<'a>> {
    node.get(keyword)
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|s| node.at(s)).collect())
        .unwrap_or_default()
}

impl<'a> Checker<'a> {
    /// Compares schemas where either side uses a combinator.
    pub(crate) fn compare_combined(
        &mut self,
        a: Node<'a>,
        b: Node<'a>,
        path: &str,
        depth: usize,
        out: &mut Vec<Finding>,
    ) {
        self.combined_base(a, b, path, depth, out);
        self.all_of(a, b, path, depth, out);
        let union_b = ["anyOf", "oneOf"].iter().any(|k| b.get(k).is_some());
        for keyword in ["anyOf", "oneOf"] {
            if b.get(keyword).is_some() {
                self.union(a, b, keyword, path, depth, out);
            } else if !union_b && a.get(keyword).is_some() {
                let at = child_path(path, keyword);
                self.emit(
                    out,
                    FindingType::CombinedTypeExtended,
                    at.clone(),
                    format!("The `{keyword}` at '{at}' was removed, which only widens what is accepted."),
                );
            }
        }
        self.not(a, b, path, depth, out);
        self.conditional(a, b, path, depth, out);
    }

    /// `b`'s own keywords, proven by `a`'s own keywords or by one of `a`'s conjuncts or,
    /// failing that, by every branch of `a`'s union.
    fn combined_base(&mut self, a: Node<'a>, b: Node<'a>, path: &str, depth: usize, out: &mut Vec<Finding>) {
        let mut base = Vec::new();
        self.compare_base(a, b, path, depth, &mut base);
        if base.iter().all(|f| f.compatible) {
            out.extend(base);
            return;
        }
        let conjuncts = self.conjuncts_of_from(a, path);
        for (at, conjunct) in conjuncts {
            if self.base_compat(conjunct, b, depth) {
                self.emit(
                    out,
                    FindingType::ProductTypeNarrowed,
                    at.clone(),
                    format!(
                        "The constraints at '{path}' in {} are implied by the conjunct at '{at}' of {}.",
                        self.to, self.from
                    ),
                );
                return;
            }
        }
        for keyword in ["anyOf", "oneOf"] {
            let branches = list(a, keyword);
            if !branches.is_empty() && branches.iter().all(|br| self.base_compat(*br, b, depth)) {
                let at = child_path(path, keyword);
                self.emit(
                    out,
                    FindingType::CombinedTypeExtended,
                    at.clone(),
                    format!(
                        "Every branch of `{keyword}` at '{at}' in {} satisfies the constraints at '{path}' in {}.",
                        self.from, self.to
                    ),
                );
                return;
            }
        }
        out.extend(base);
    }

    /// The conjuncts of a "from" schema: `allOf` entries and a `$ref` with siblings.
    /// Unresolvable ones are skipped: ignoring a "from" conjunct only over-approximates.
    fn conjuncts_of_from(&self, a: Node<'a>, path: &str) -> Vec<(String, Node<'a>)> {
        let mut conjuncts: Vec<(String, Node<'a>)> = list(a, "allOf")
            .into_iter()
            .enumerate()
            .map(|(i, n)| (index_path(path, "allOf", i), n))
            .collect();
        if a.get("$ref").is_some()
            && let Ok(target) = refs::resolve_once(a, self.refs)
        {
            conjuncts.push((child_path(path, "$ref"), target));
        }
        conjuncts
    }

    fn all_of(&mut self, a: Node<'a>, b: Node<'a>, path: &str, depth: usize, out: &mut Vec<Finding>) {
        use FindingType as T;
        let old = list(a, "allOf");
        let new = list(b, "allOf");
        let mut pairs: Vec<(String, Option<Node<'a>>, Node<'a>)> = new
            .iter()
            .enumerate()
            .map(|(j, bj)| (index_path(path, "allOf", j), old.get(j).copied(), *bj))
            .collect();
        if b.get("$ref").is_some() {
            let at = child_path(path, "$ref");
            match refs::resolve_once(b, self.refs) {
                Ok(target) => {
                    let old_target =
                        if a.get("$ref").is_some() { refs::resolve_once(a, self.refs).ok() } else { None };
                    pairs.push((at, old_target, target));
                }
                Err(reason) => {
                    self.emit(
                        out,
                        T::RefUnresolved,
                        at.clone(),
                        format!("The reference at '{at}' cannot be resolved ({reason}), so compatibility cannot be proven."),
                    );
                }
            }
        }
        for (at, counterpart, bj) in pairs {
            if let Some(ai) = counterpart
                && self.compat(ai, bj, depth)
            {
                self.compare(ai, bj, &at, depth, out);
                continue;
            }
            if self.compat(a, bj, depth) {
                // Implied by the previous schema as a whole: no constraint is new.
                continue;
            }
            match counterpart {
                Some(ai) => {
                    self.emit(
                        out,
                        T::CombinedTypeSubschemasChanged,
                        at.clone(),
                        format!(
                            "The conjunct at '{at}' in {} is not implied by {}; see the findings below it.",
                            self.to, self.from
                        ),
                    );
                    self.compare(ai, bj, &at, depth, out);
                }
                None => self.emit(
                    out,
                    T::ProductTypeExtended,
                    at.clone(),
                    format!(
                        "The conjunct at '{at}' was added in {} and is not implied by {}, so some previously valid documents may be rejected.",
                        self.to, self.from
                    ),
                ),
            }
        }
        if old.len() > new.len() {
            let at = child_path(path, "allOf");
            self.emit(
                out,
                T::ProductTypeNarrowed,
                at.clone(),
                format!(
                    "`allOf` at '{at}' has {} conjuncts in {} and {} in {}; dropping conjuncts only widens what is accepted.",
                    old.len(),
                    self.from,
                    new.len(),
                    self.to
                ),
            );
        }
    }

    fn union(
        &mut self,
        a: Node<'a>,
        b: Node<'a>,
        keyword: &'static str,
        path: &str,
        depth: usize,
        out: &mut Vec<Finding>,
    ) {
        use FindingType as T;
        let new = list(b, keyword);
        let old_keyword = [keyword, if keyword == "anyOf" { "oneOf" } else { "anyOf" }]
            .into_iter()
            .find(|k| a.get(k).is_some());
        match old_keyword {
            Some(old_keyword) => {
                let old = list(a, old_keyword);
                let mut used = vec![false; new.len()];
                for (i, di) in old.iter().enumerate() {
                    let same_index = i < new.len() && self.compat(*di, new[i], depth);
                    let matched = if same_index {
                        Some(i)
                    } else {
                        (0..new.len()).find(|&j| self.compat(*di, new[j], depth))
                    };
                    match matched {
                        Some(j) => {
                            used[j] = true;
                            self.compare(*di, new[j], &index_path(path, keyword, j), depth, out);
                        }
                        None => {
                            let kind = if new.len() < old.len() {
                                T::SumTypeNarrowed
                            } else {
                                T::CombinedTypeSubschemasChanged
                            };
                            let at = index_path(path, old_keyword, i);
                            self.emit(
                                out,
                                kind,
                                at.clone(),
                                format!(
                                    "The branch at '{at}' of {} is not covered by any branch of `{keyword}` in {}, so documents matching it may be rejected.",
                                    self.from, self.to
                                ),
                            );
                            if let Some(counterpart) = new.get(i) {
                                self.compare(*di, *counterpart, &index_path(path, keyword, i), depth, out);
                            }
                        }
                    }
                }
                for (j, was_used) in used.iter().enumerate() {
                    if !was_used {
                        let at = index_path(path, keyword, j);
                        self.emit(
                            out,
                            T::SumTypeExtended,
                            at.clone(),
                            format!(
                                "The branch at '{at}' of {} is new; it only widens what is accepted.",
                                self.to
                            ),
                        );
                    }
                }
                if old_keyword == "oneOf" && keyword == "anyOf" {
                    let at = child_path(path, keyword);
                    self.emit(
                        out,
                        T::CombinedTypeExtended,
                        at.clone(),
                        format!("`oneOf` became `anyOf` at '{at}', which only widens what is accepted."),
                    );
                }
            }
            None => {
                let at = child_path(path, keyword);
                match (0..new.len()).find(|&j| self.compat(a, new[j], depth)) {
                    Some(j) => self.emit(
                        out,
                        T::SumTypeExtended,
                        at.clone(),
                        format!(
                            "The schema at '{path}' became a `{keyword}` whose branch {j} accepts everything {} accepted.",
                            self.from
                        ),
                    ),
                    None => {
                        self.emit(
                            out,
                            T::CombinedTypeChanged,
                            at.clone(),
                            format!(
                                "The schema at '{path}' became a `{keyword}` and no branch accepts everything {} accepted.",
                                self.from
                            ),
                        );
                        if let [only] = new.as_slice() {
                            self.compare(a, *only, &index_path(path, keyword, 0), depth, out);
                        }
                    }
                }
            }
        }
        if keyword == "oneOf" {
            self.exclusivity(a, &new, old_keyword == Some("oneOf"), path, depth, out);
        }
    }

    /// A document matching two `oneOf` branches is rejected, so widening branches can
    /// break documents. Pairs of relevant branches must be provably disjoint, or both be
    /// equivalent to distinct branches of an old `oneOf` (whose exclusivity carries over).
    fn exclusivity(
        &mut self,
        a: Node<'a>,
        new: &[Node<'a>],
        old_is_one_of: bool,
        path: &str,
        depth: usize,
        out: &mut Vec<Finding>,
    ) {
        let old = if old_is_one_of { list(a, "oneOf") } else { Vec::new() };
        let relevant: Vec<bool> = new.iter().map(|g| !self.disjoint(a, *g, 0)).collect();
        let mut equivalent: Vec<Option<usize>> = Vec::with_capacity(new.len());
        for g in new {
            let found =
                (0..old.len()).find(|&i| self.compat(old[i], *g, depth) && self.compat(*g, old[i], depth));
            equivalent.push(found);
        }
        for j in 0..new.len() {
            for k in j + 1..new.len() {
                if !relevant[j] || !relevant[k] {
                    continue;
                }
                if let (Some(x), Some(y)) = (equivalent[j], equivalent[k])
                    && x != y
                {
                    continue;
                }
                if self.disjoint(new[j], new[k], 0) {
                    continue;
                }
                let at = child_path(path, "oneOf");
                self.emit(
                    out,
                    FindingType::OneOfExclusivityUnproven,
                    at.clone(),
                    format!(
                        "Branches {j} and {k} of `oneOf` at '{at}' in {} are not provably disjoint, so a document of {} matching both would be rejected.",
                        self.to, self.from
                    ),
                );
                return;
            }
        }
    }

    fn not(&mut self, a: Node<'a>, b: Node<'a>, path: &str, depth: usize, out: &mut Vec<Finding>) {
        use FindingType as T;
        let at = child_path(path, "not");
        let (kind, message) = match (a.child("not"), b.child("not")) {
            (None, None) => return,
            (Some(_), None) => (T::NotTypeRemoved, format!("The `not` at '{at}' was removed.")),
            (Some(xa), Some(xb)) => {
                if self.compat(xb, xa, depth) {
                    if json_eq(xa.schema, xb.schema) {
                        return;
                    }
                    (
                        T::NotTypeNarrowed,
                        format!("The excluded schema at '{at}' got narrower, so fewer values are excluded."),
                    )
                } else {
                    (
                        T::NotTypeExtended,
                        format!("The excluded schema at '{at}' now excludes values {} accepted.", self.from),
                    )
                }
            }
            (None, Some(xb)) => {
                if self.disjoint(a, xb, 0) {
                    (
                        T::NotTypeAddedIsDisjoint,
                        format!(
                            "A `not` was added at '{at}' excluding only values {} never accepted.",
                            self.from
                        ),
                    )
                } else {
                    (
                        T::NotTypeAdded,
                        format!(
                            "A `not` was added at '{at}' and cannot be proven disjoint from {}.",
                            self.from
                        ),
                    )
                }
            }
        };
        self.emit(out, kind, at, message);
    }

    fn conditional(&mut self, a: Node<'a>, b: Node<'a>, path: &str, depth: usize, out: &mut Vec<Finding>) {
        use FindingType as T;
        let at = child_path(path, "if");
        let Some(if_b) = b.child("if") else {
            if a.child("if").is_some() {
                self.emit(
                    out,
                    T::ConditionalRemoved,
                    at.clone(),
                    format!("The conditional at '{at}' was removed, which only widens what is accepted."),
                );
            }
            return;
        };
        let then_b = b.child("then").unwrap_or_else(|| b.at(&TRUE));
        let else_b = b.child("else").unwrap_or_else(|| b.at(&TRUE));
        if let Some(if_a) = a.child("if")
            && self.compat(if_a, if_b, depth)
            && self.compat(if_b, if_a, depth)
        {
            let then_a = a.child("then").unwrap_or_else(|| a.at(&TRUE));
            let else_a = a.child("else").unwrap_or_else(|| a.at(&TRUE));
            self.compare(then_a, then_b, &child_path(path, "then"), depth, out);
            self.compare(else_a, else_b, &child_path(path, "else"), depth, out);
            return;
        }
        let covered = self.compat(a, then_b, depth) && self.compat(a, else_b, depth);
        let kind = match (covered, a.child("if").is_some()) {
            (true, _) => T::ConditionalAddedIsCovered,
            (false, false) => T::ConditionalAddedNotCovered,
            (false, true) => T::ConditionalChanged,
        };
        let message = if covered {
            format!("The conditional at '{at}' only demands what {} already guaranteed.", self.from)
        } else {
            format!(
                "The conditional at '{at}' in {} demands more than {} guaranteed (conditions are only compared when equivalent).",
                self.to, self.from
            )
        };
        self.emit(out, kind, at, message);
    }

    /// Whether no value is valid under both `a` and `b` (a proof; `false` means unknown).
    pub(crate) fn disjoint(&mut self, a: Node<'a>, b: Node<'a>, level: usize) -> bool {
        if level > DISJOINT_DEPTH {
            return false;
        }
        let mut scratch = Vec::new();
        let (Some(a), Some(b)) = (self.deref(a, "#", &mut scratch), self.deref(b, "#", &mut scratch)) else {
            return false;
        };
        if a.is_false() || b.is_false() {
            return true;
        }
        let (ta, tb) = (effective_type_bits(a), effective_type_bits(b));
        if ta & tb == 0 {
            return true;
        }
        if values_excluded(a, b) || values_excluded(b, a) {
            return true;
        }
        // Discriminator: a property present in every common document whose schemas clash.
        if ta & tb == types::OBJECT {
            let names = |n: Node<'a>| -> Vec<&'a str> {
                n.get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default()
            };
            let mut required = names(a);
            required.extend(names(b));
            for name in required {
                let pa = a.get("properties").and_then(|p| p.get(name));
                let pb = b.get("properties").and_then(|p| p.get(name));
                if let (Some(pa), Some(pb)) = (pa, pb)
                    && self.disjoint(a.at(pa), b.at(pb), level + 1)
                {
                    return true;
                }
            }
        }
        for conjunct in list(a, "allOf") {
            if self.disjoint(conjunct, b, level + 1) {
                return true;
            }
        }
        for conjunct in list(b, "allOf") {
            if self.disjoint(a, conjunct, level + 1) {
                return true;
            }
        }
        if let Some(excluded) = b.child("not")
            && self.compat(a, excluded, 0)
        {
            return true;
        }
        if let Some(excluded) = a.child("not")
            && self.compat(b, excluded, 0)
        {
            return true;
        }
        false
    }
}

/// Whether `a` allows only finitely many values, none of which `b` can accept by its
/// `type`/`enum`/`const`.
fn values_excluded(a: Node<'_>, b: Node<'_>) -> bool {
    let Some(values) = allowed_values(a) else {
        return false;
    };
    let types_b = type_keyword_bits(b.get("type"));
    let values_b = allowed_values(b);
    values.iter().all(|v| {
        value_bits(v) & types_b == 0 || values_b.as_ref().is_some_and(|vb| !vb.iter().any(|w| json_eq(v, w)))
    })
}
