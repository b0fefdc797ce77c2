//! Object keywords: the content model (`properties`, `patternProperties`,
//! `additionalProperties`, `unevaluatedProperties`), `required`, `propertyNames`,
//! dependencies and property-count bounds.

use serde_json::{Map, Value};

use crate::compat::finding::{Finding, FindingType};
use crate::compat::rules::bounds::{BoundKinds, RestKinds};
use crate::compat::schema::{
    IN_PLACE_APPLICATORS, Node, TRUE, child_path, is_false, is_trivially_true, json_eq, mentions_ref,
};
use crate::compat::walk::Checker;

/// How an object schema treats keys it does not declare in `properties`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Model {
    /// Any undeclared key with any value.
    Open,
    /// No undeclared key.
    Closed,
    /// Undeclared keys constrained by a schema or by `patternProperties`.
    Partial,
}

impl Model {
    fn name(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Partial => "partially open",
        }
    }
}

static EMPTY_MAP: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

fn object_of<'a>(node: Node<'a>, keyword: &str) -> &'a Map<String, Value> {
    node.get(keyword).and_then(Value::as_object).unwrap_or(&EMPTY_MAP)
}

fn names_of(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

fn has_in_place_applicators(node: Node<'_>) -> bool {
    IN_PLACE_APPLICATORS.iter().any(|k| node.get(k).is_some())
}

/// Whether the in-place applicators of both sides are textually equal and free of
/// references, so they evaluate exactly the same members for the same document.
fn same_applicators(a: Node<'_>, b: Node<'_>) -> bool {
    IN_PLACE_APPLICATORS.iter().all(|k| match (a.get(k), b.get(k)) {
        (None, None) => true,
        (Some(x), Some(y)) => *k != "$ref" && json_eq(x, y) && !mentions_ref(y),
        _ => false,
    })
}

/// The schema undeclared, unmatched keys must satisfy. On the "from" side
/// `unevaluatedProperties` only counts when nothing else can evaluate keys (otherwise the
/// side is over-approximated as open); on the "to" side it always counts (an
/// under-approximation). Both keep verdicts sound. `None` means "anything".
fn rest<'a>(node: Node<'a>, from_side: bool) -> Option<Node<'a>> {
    if let Some(ap) = node.child("additionalProperties") {
        return Some(ap);
    }
    let up = node.child("unevaluatedProperties")?;
    if from_side && has_in_place_applicators(node) { None } else { Some(up) }
}

fn model(rest: Option<Node<'_>>, patterns: &Map<String, Value>) -> Model {
    if !patterns.is_empty() {
        return Model::Partial;
    }
    match rest {
        None => Model::Open,
        Some(r) if r.is_trivially_true() => Model::Open,
        Some(r) if r.is_false() => Model::Closed,
        Some(_) => Model::Partial,
    }
}

impl<'a> Checker<'a> {
    /// Every object keyword.
    pub(crate) fn objects(
        &mut self,
        a: Node<'a>,
        b: Node<'a>,
        path: &str,
        depth: usize,
        out: &mut Vec<Finding>,
    ) {
        self.content_model(a, b, path, depth, out);
        self.required(a, b, path, out);
        self.property_names(a, b, path, depth, out);
        self.dependencies(a, b, path, depth, out);
        use FindingType as T;
        self.compare_bound(
            a,
            b,
            "maxProperties",
            true,
            None,
            &BoundKinds {
                added: T::MaxPropertiesAdded,
                removed: T::MaxPropertiesRemoved,
                increased: T::MaxPropertiesIncreased,
                decreased: T::MaxPropertiesDecreased,
            },
            path,
            out,
        );
        self.compare_bound(
            a,
            b,
            "minProperties",
            false,
            Some(0.0),
            &BoundKinds {
                added: T::MinPropertiesAdded,
                removed: T::MinPropertiesRemoved,
                increased: T::MinPropertiesIncreased,
                decreased: T::MinPropertiesDecreased,
            },
            path,
            out,
        );
    }

    fn content_model(&mut self, a: Node<'a>, b: Node<'a>, path: &str, depth: usize, out: &mut Vec<Finding>) {
        use FindingType as T;
        let (props_a, props_b) = (object_of(a, "properties"), object_of(b, "properties"));
        let (pats_a, pats_b) = (object_of(a, "patternProperties"), object_of(b, "patternProperties"));
        let (req_a, req_b) = (names_of(a.get("required")), names_of(b.get("required")));
        let (rest_a, rest_b) = (rest(a, true), rest(b, false));
        let (model_a, model_b) = (model(rest_a, pats_a), model(rest_b, pats_b));
        let props_path = child_path(path, "properties");
        let true_a = a.at(&TRUE);
        let true_b = b.at(&TRUE);

        for (key, sa) in props_a {
            let at = child_path(&props_path, key);
            match props_b.get(key) {
                Some(sb) => self.compare(a.at(sa), b.at(sb), &at, depth + 1, out),
                None => {
                    let (kind, why) = match model_b {
                        Model::Open => (
                            T::PropertyRemovedFromOpenContentModel,
                            "the open model accepts it with any value".to_owned(),
                        ),
                        Model::Closed if is_false(sa) => (
                            T::PropertyWithFalseRemovedFromClosedContentModel,
                            "its schema was `false`, so no document carried it".to_owned(),
                        ),
                        Model::Closed => (
                            T::PropertyRemovedFromClosedContentModel,
                            format!("the closed model of {} rejects documents that still carry it", self.to),
                        ),
                        Model::Partial => {
                            if self.compat(a.at(sa), rest_b.unwrap_or(true_b), depth + 1) {
                                (
                                    T::PropertyRemovedIsCoveredByPartiallyOpenContentModel,
                                    "the rule for undeclared keys accepts its previous values".to_owned(),
                                )
                            } else {
                                (
                                    T::PropertyRemovedNotCoveredByPartiallyOpenContentModel,
                                    "the rule for undeclared keys rejects some of its previous values"
                                        .to_owned(),
                                )
                            }
                        }
                    };
                    self.emit(
                        out,
                        kind,
                        at.clone(),
                        format!(
                            "Property '{key}' at '{at}' is declared in {} but not in {}, whose content model is {}; {why}.",
                            self.from,
                            self.to,
                            model_b.name()
                        ),
                    );
                }
            }
        }

        for (key, sb) in props_b {
            if props_a.contains_key(key) {
                continue;
            }
            let at = child_path(&props_path, key);
            let newly_required = req_b.contains(&key.as_str()) && !req_a.contains(&key.as_str());
            let has_default = sb.get("default").is_some();
            let kind = match (model_a, newly_required, has_default) {
                (Model::Open, true, false) => T::RequiredPropertyAddedToOpenContentModel,
                (Model::Open, true, true) => T::RequiredPropertyWithDefaultAddedToOpenContentModel,
                (Model::Open, false, _) if is_trivially_true(sb) => {
                    T::PropertyWithEmptySchemaAddedToOpenContentModel
                }
                (Model::Open, false, _) => T::OptionalPropertyAddedToOpenContentModel,
                (_, true, false) => T::RequiredPropertyAddedToUnopenContentModel,
                (_, true, true) => T::RequiredPropertyWithDefaultAddedToUnopenContentModel,
                (Model::Closed, false, _) => T::OptionalPropertyAddedToUnopenContentModel,
                (Model::Partial, false, _) => {
                    // The key may match any old pattern (no regex evaluation), so every old
                    // pattern schema as well as the old rest must fit the new property.
                    let new_node = b.at(sb);
                    let mut covered = self.compat(rest_a.unwrap_or(true_a), new_node, depth + 1);
                    for pattern_schema in pats_a.values() {
                        covered = covered && self.compat(a.at(pattern_schema), new_node, depth + 1);
                    }
                    if covered {
                        T::PropertyAddedIsCoveredByPartiallyOpenContentModel
                    } else {
                        T::PropertyAddedNotCoveredByPartiallyOpenContentModel
                    }
                }
            };
            let why = if newly_required {
                format!(
                    "it is required, so documents of {} without it are rejected{}",
                    self.from,
                    if has_default {
                        " (its `default` is an annotation and does not make them valid)"
                    } else {
                        ""
                    }
                )
            } else if kind == T::PropertyWithEmptySchemaAddedToOpenContentModel {
                "its schema accepts anything, so nothing changes".to_owned()
            } else if kind == T::OptionalPropertyAddedToOpenContentModel {
                format!(
                    "{} accepted '{key}' with any value, and values outside the new property schema are now rejected",
                    self.from
                )
            } else if kind == T::OptionalPropertyAddedToUnopenContentModel {
                format!("documents of {} never carried it", self.from)
            } else if kind == T::PropertyAddedIsCoveredByPartiallyOpenContentModel {
                "its schema accepts every value the previous rule for undeclared keys accepted".to_owned()
            } else {
                "its schema rejects some values the previous rule for undeclared keys accepted".to_owned()
            };
            self.emit(
                out,
                kind,
                at.clone(),
                format!(
                    "Property '{key}' at '{at}' was added to {} {} content model; {why}.",
                    if model_a == Model::Open { "an" } else { "a" },
                    model_a.name()
                ),
            );
        }

        let pats_path = child_path(path, "patternProperties");
        for (pattern, sa) in pats_a {
            let at = child_path(&pats_path, pattern);
            match pats_b.get(pattern) {
                Some(sb) => self.compare(a.at(sa), b.at(sb), &at, depth + 1, out),
                None => {
                    let covered = self.compat(a.at(sa), rest_b.unwrap_or(true_b), depth + 1);
                    let kind = if covered {
                        T::PatternPropertyRemovedIsCovered
                    } else {
                        T::PatternPropertyRemovedNotCovered
                    };
                    self.emit(
                        out,
                        kind,
                        at.clone(),
                        format!(
                            "The pattern property '{pattern}' at '{at}' was removed; the rule for undeclared keys {} its previous values.",
                            if covered { "accepts" } else { "does not accept all of" }
                        ),
                    );
                }
            }
        }
        for (pattern, sb) in pats_b {
            if pats_a.contains_key(pattern) {
                continue;
            }
            let at = child_path(&pats_path, pattern);
            if is_trivially_true(sb) {
                self.emit(
                    out,
                    T::PatternPropertyWithEmptySchemaAdded,
                    at.clone(),
                    format!("The pattern property '{pattern}' at '{at}' was added and accepts anything."),
                );
            } else {
                self.emit(
                    out,
                    T::PatternPropertyAdded,
                    at.clone(),
                    format!(
                        "The pattern property '{pattern}' was added at '{at}'; without regular-expression analysis the keys it now constrains cannot be bounded, so compatibility cannot be proven."
                    ),
                );
            }
        }

        self.compare_rest(
            a.child("additionalProperties"),
            b.child("additionalProperties"),
            &RestKinds {
                added: T::AdditionalPropertiesAdded,
                removed: T::AdditionalPropertiesRemoved,
                extended: T::AdditionalPropertiesExtended,
                narrowed: T::AdditionalPropertiesNarrowed,
            },
            &child_path(path, "additionalProperties"),
            depth,
            out,
        );
        self.compare_rest(
            a.child("unevaluatedProperties"),
            b.child("unevaluatedProperties"),
            &RestKinds {
                added: T::UnevaluatedPropertiesAdded,
                removed: T::UnevaluatedPropertiesRemoved,
                extended: T::UnevaluatedPropertiesExtended,
                narrowed: T::UnevaluatedPropertiesNarrowed,
            },
            &child_path(path, "unevaluatedProperties"),
            depth,
            out,
        );
        self.unevaluated_scope(a, b, "unevaluatedProperties", true, path, out);
    }

    /// `unevaluated*` depends on what in-place applicators evaluate; when those changed the
    /// set of members it applies to may have grown.
    pub(crate) fn unevaluated_scope(
        &self,
        a: Node<'a>,
        b: Node<'a>,
        keyword: &str,
        extra_same: bool,
        path: &str,
        out: &mut Vec<Finding>,
    ) {
        let Some(ub) = b.child(keyword) else {
            return;
        };
        // The old side's applicators count too: members an old `allOf` evaluated are
        // unevaluated once it is gone (found by the `compat` fuzz target).
        if ub.is_trivially_true() || (!has_in_place_applicators(a) && !has_in_place_applicators(b)) {
            return;
        }
        if extra_same && same_applicators(a, b) {
            return;
        }
        let at = child_path(path, keyword);
        self.emit(
            out,
            FindingType::UnevaluatedScopeUnproven,
            at.clone(),
            format!(
                "`{keyword}` at '{at}' sits next to in-place applicators (`allOf`, `$ref`, ...) that differ between the versions, so the members it applies to cannot be proven unchanged."
            ),
        );
    }

    fn required(&self, a: Node<'a>, b: Node<'a>, path: &str, out: &mut Vec<Finding>) {
        use FindingType as T;
        let (req_a, req_b) = (names_of(a.get("required")), names_of(b.get("required")));
        let (props_a, props_b) = (object_of(a, "properties"), object_of(b, "properties"));
        let req_path = child_path(path, "required");
        for name in &req_b {
            if req_a.contains(name) {
                continue;
            }
            let in_a = props_a.contains_key(*name);
            let in_b = props_b.get(*name);
            if in_b.is_some() && !in_a {
                // Reported with the added property.
                continue;
            }
            let at = child_path(&req_path, name);
            // A property declared only in the old schema (e.g. the new one declares it behind
            // a `$ref` next to `required`) still counts as declared.
            let (kind, extra) = match in_b.or_else(|| props_a.get(*name)) {
                Some(schema) if schema.get("default").is_some() => (
                    T::RequiredAttributeWithDefaultAdded,
                    " (its `default` is an annotation and does not make them valid)",
                ),
                Some(_) => (T::RequiredAttributeAdded, ""),
                None => (
                    T::RequiredUndeclaredPropertyAdded,
                    " (the property is not even declared in `properties`)",
                ),
            };
            self.emit(
                out,
                kind,
                at.clone(),
                format!(
                    "Property '{name}' became required at '{at}'; documents of {} without it are rejected{extra}.",
                    self.from
                ),
            );
        }
        for name in &req_a {
            if !req_b.contains(name) {
                let at = child_path(&req_path, name);
                self.emit(
                    out,
                    T::RequiredAttributeRemoved,
                    at.clone(),
                    format!("Property '{name}' is no longer required at '{at}'."),
                );
            }
        }
    }

    fn property_names(&mut self, a: Node<'a>, b: Node<'a>, path: &str, depth: usize, out: &mut Vec<Finding>) {
        let at = child_path(path, "propertyNames");
        match (a.child("propertyNames"), b.child("propertyNames")) {
            (None, None) => {}
            (Some(_), None) => self.emit(
                out,
                FindingType::PropertyNamesRemoved,
                at.clone(),
                format!("The `propertyNames` rule at '{at}' was removed, so any key is accepted."),
            ),
            (None, Some(nb)) if nb.is_trivially_true() => {}
            (None, Some(_)) => self.emit(
                out,
                FindingType::PropertyNamesAdded,
                at.clone(),
                format!(
                    "A `propertyNames` rule was added at '{at}'; keys accepted by {} may now be rejected.",
                    self.from
                ),
            ),
            (Some(na), Some(nb)) => self.compare(na, nb, &at, depth + 1, out),
        }
    }

    /// `dependencies` (both forms, read in every draft as the validator does),
    /// `dependentRequired` and `dependentSchemas`.
    fn dependencies(&mut self, a: Node<'a>, b: Node<'a>, path: &str, depth: usize, out: &mut Vec<Finding>) {
        use FindingType as T;
        type Arrays<'v> = Vec<(&'static str, &'v str, Vec<&'v str>)>;
        type Schemas<'v> = Vec<(&'static str, &'v str, &'v Value)>;
        fn split<'v>(node: Node<'v>) -> (Arrays<'v>, Schemas<'v>) {
            let mut arrays = Vec::new();
            let mut schemas = Vec::new();
            for keyword in ["dependencies", "dependentRequired", "dependentSchemas"] {
                for (key, value) in object_of(node, keyword) {
                    if value.is_array() {
                        arrays.push((keyword, key.as_str(), names_of(Some(value))));
                    } else {
                        schemas.push((keyword, key.as_str(), value));
                    }
                }
            }
            (arrays, schemas)
        }
        let (arrays_a, schemas_a) = split(a);
        let (arrays_b, schemas_b) = split(b);

        for (keyword, key, names) in &arrays_b {
            let at = child_path(&child_path(path, keyword), key);
            let old: Vec<&str> = arrays_a
                .iter()
                .filter(|(_, k, _)| k == key)
                .flat_map(|(_, _, n)| n.iter().copied())
                .collect();
            let had = arrays_a.iter().any(|(_, k, _)| k == key);
            let missing_in_old = names.iter().any(|n| !old.contains(n));
            let dropped = old.iter().any(|n| !names.contains(n));
            let kind = match (had, missing_in_old, dropped) {
                (false, _, _) if names.is_empty() => continue,
                (false, _, _) => T::DependencyArrayAdded,
                (true, false, false) => continue,
                (true, false, true) => T::DependencyArrayNarrowed,
                (true, true, false) => T::DependencyArrayExtended,
                (true, true, true) => T::DependencyArrayChanged,
            };
            self.emit(
                out,
                kind,
                at.clone(),
                format!(
                    "The property dependency at '{at}' changed: when '{key}' is present, {} now requires [{}] where {} required [{}].",
                    self.to,
                    names.join(", "),
                    self.from,
                    old.join(", ")
                ),
            );
        }
        for (keyword, key, _) in &arrays_a {
            if !arrays_b.iter().any(|(_, k, _)| k == key) {
                let at = child_path(&child_path(path, keyword), key);
                self.emit(
                    out,
                    T::DependencyArrayRemoved,
                    at.clone(),
                    format!("The property dependency of '{key}' at '{at}' was removed."),
                );
            }
        }
        for (keyword, key, sb) in &schemas_b {
            let at = child_path(&child_path(path, keyword), key);
            match schemas_a.iter().find(|(_, k, _)| k == key) {
                // Applies to the same instance, so the document depth does not change.
                Some((_, _, sa)) => self.compare(a.at(sa), b.at(sb), &at, depth, out),
                None if is_trivially_true(sb) => {}
                None => self.emit(
                    out,
                    T::DependencySchemaAdded,
                    at.clone(),
                    format!(
                        "A schema dependency was added at '{at}': objects with '{key}' must now also satisfy it, which {} did not demand.",
                        self.from
                    ),
                ),
            }
        }
        for (keyword, key, _) in &schemas_a {
            if !schemas_b.iter().any(|(_, k, _)| k == key) {
                let at = child_path(&child_path(path, keyword), key);
                self.emit(
                    out,
                    T::DependencySchemaRemoved,
                    at.clone(),
                    format!("The schema dependency of '{key}' at '{at}' was removed."),
                );
            }
        }
    }
}
