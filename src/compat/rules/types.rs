//! Annotations, `type`, `enum`/`const`, and keywords the checker does not analyse.

use serde_json::Value;

use crate::compat::finding::{Finding, FindingType};
use crate::compat::schema::{
    Node, UNANALYSED_KEYWORDS, allowed_values, child_path, effective_type_bits, json_eq, mentions_ref,
    type_keyword_bits, types, value_bits,
};
use crate::compat::walk::Checker;

fn type_names(bits: u8) -> String {
    if bits == types::ALL {
        return "any type".to_owned();
    }
    let mut names = Vec::new();
    for (bit, name) in [
        (types::NULL, "null"),
        (types::BOOLEAN, "boolean"),
        (types::OBJECT, "object"),
        (types::ARRAY, "array"),
        (types::STRING, "string"),
    ] {
        if bits & bit != 0 {
            names.push(name);
        }
    }
    if bits & types::NUMBER == types::NUMBER {
        names.push("number");
    } else if bits & types::INTEGER != 0 {
        names.push("integer");
    } else if bits & types::FRACTION != 0 {
        names.push("non-integer number");
    }
    if names.is_empty() { "no type".to_owned() } else { names.join(", ") }
}

impl<'a> Checker<'a> {
    /// Annotation-only keywords: reported, always compatible.
    pub(crate) fn annotations(&self, a: Node<'a>, b: Node<'a>, path: &str, out: &mut Vec<Finding>) {
        for (keyword, kind) in [
            ("$id", FindingType::IdChanged),
            ("id", FindingType::IdChanged),
            ("title", FindingType::TitleChanged),
            ("description", FindingType::DescriptionChanged),
            ("default", FindingType::DefaultChanged),
        ] {
            let (x, y) = (a.get(keyword), b.get(keyword));
            // Draft-4 `id` only counts as an annotation when it is a string.
            if keyword == "id" && !x.or(y).is_some_and(Value::is_string) {
                continue;
            }
            if x != y {
                let at = child_path(path, keyword);
                self.emit(
                    out,
                    kind,
                    at.clone(),
                    format!(
                        "The annotation `{keyword}` at '{at}' changed; annotations do not affect validation."
                    ),
                );
            }
        }
    }

    /// `type`, `enum` and `const`. Returns the types documents of `a` can have, used to
    /// skip keywords of other types.
    pub(crate) fn types_and_values(
        &self,
        a: Node<'a>,
        b: Node<'a>,
        path: &str,
        out: &mut Vec<Finding>,
    ) -> u8 {
        let declared_a = type_keyword_bits(a.get("type"));
        let declared_b = type_keyword_bits(b.get("type"));
        let effective_a = effective_type_bits(a);
        if declared_a != declared_b && effective_a & !declared_b != 0 {
            let kind = if declared_b & !declared_a == 0 {
                FindingType::TypeNarrowed
            } else {
                FindingType::TypeChanged
            };
            let at = child_path(path, "type");
            self.emit(
                out,
                kind,
                at.clone(),
                format!(
                    "The type at '{at}' changed from {} in {} to {} in {}; values of type {} are no longer accepted.",
                    type_names(declared_a),
                    self.from,
                    type_names(declared_b),
                    self.to,
                    type_names(effective_a & !declared_b)
                ),
            );
        } else if declared_a != declared_b && declared_a & !declared_b == 0 {
            let at = child_path(path, "type");
            self.emit(
                out,
                FindingType::TypeExtended,
                at.clone(),
                format!(
                    "The type at '{at}' widened from {} to {}.",
                    type_names(declared_a),
                    type_names(declared_b)
                ),
            );
        }
        self.values(a, b, declared_a, path, out);
        effective_a
    }

    fn values(&self, a: Node<'a>, b: Node<'a>, declared_a: u8, path: &str, out: &mut Vec<Finding>) {
        let keyword_of = |n: Node<'a>| {
            if n.get("const").is_some() && n.get("enum").is_none() { "const" } else { "enum" }
        };
        match (allowed_values(a), allowed_values(b)) {
            (None, None) => {}
            (Some(_), None) => {
                let at = child_path(path, keyword_of(a));
                self.emit(
                    out,
                    FindingType::EnumArrayRemoved,
                    at.clone(),
                    format!("The value restriction at '{at}' was removed; any value of the allowed types is accepted."),
                );
            }
            (None, Some(_)) => {
                let at = child_path(path, keyword_of(b));
                self.emit(
                    out,
                    FindingType::EnumArrayAdded,
                    at.clone(),
                    format!(
                        "A value restriction was added at '{at}'; values accepted by {} outside it are rejected.",
                        self.from
                    ),
                );
            }
            (Some(va), Some(vb)) => {
                // Enum values of the wrong type were never valid documents.
                let va: Vec<&Value> = va.into_iter().filter(|v| value_bits(v) & declared_a != 0).collect();
                let missing: Vec<&Value> =
                    va.iter().copied().filter(|v| !vb.iter().any(|w| json_eq(v, w))).collect();
                let extra = vb.iter().any(|w| !va.iter().any(|v| json_eq(v, w)));
                let kind = match (missing.is_empty(), extra) {
                    (true, false) => return,
                    (true, true) => FindingType::EnumArrayExtended,
                    (false, false) => FindingType::EnumArrayNarrowed,
                    (false, true) => FindingType::EnumArrayChanged,
                };
                let at = child_path(path, keyword_of(b));
                let message = if missing.is_empty() {
                    format!(
                        "The allowed values at '{at}' gained values; every previously allowed value is still allowed."
                    )
                } else {
                    let list: Vec<String> = missing.iter().map(|v| v.to_string()).collect();
                    format!(
                        "The allowed values at '{at}' no longer include {}, which {} accepted.",
                        list.join(", "),
                        self.from
                    )
                };
                self.emit(out, kind, at, message);
            }
        }
    }

    /// Keywords with validation meaning that no rule analyses: equal is fine, anything else
    /// cannot be proven.
    pub(crate) fn unanalysed(&self, a: Node<'a>, b: Node<'a>, path: &str, out: &mut Vec<Finding>) {
        for keyword in UNANALYSED_KEYWORDS {
            let (x, y) = (a.get(keyword), b.get(keyword));
            if x.is_none() && y.is_none() {
                continue;
            }
            let at = child_path(path, keyword);
            let dynamic = keyword.starts_with('$');
            match (x, y) {
                (None, None) => {}
                (Some(_), None) => self.emit(
                    out,
                    FindingType::KeywordRemoved,
                    at.clone(),
                    format!("The keyword `{keyword}` at '{at}' was removed, which only relaxes validation."),
                ),
                (None, Some(_)) => self.emit(
                    out,
                    FindingType::KeywordAdded,
                    at.clone(),
                    format!("The keyword `{keyword}` was added at '{at}'; the checker does not analyse it, so compatibility cannot be proven."),
                ),
                (Some(x), Some(y)) => {
                    // Dynamic references resolve at validation time and equal-looking
                    // subschemas may hide references, so equality proves nothing for them.
                    if dynamic || !json_eq(x, y) || mentions_ref(y) {
                        self.emit(
                            out,
                            FindingType::KeywordChanged,
                            at.clone(),
                            format!("The keyword `{keyword}` at '{at}' changed or cannot be compared; the checker does not analyse it, so compatibility cannot be proven."),
                        );
                    }
                }
            }
        }
    }
}
