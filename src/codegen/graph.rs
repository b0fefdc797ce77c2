//! Reference analysis over the model, used by renderers that need to break cycles
//! (Rust must box directly recursive fields and cannot have recursive type aliases).

use std::collections::BTreeSet;

use super::model::{Additional, Model, Type, TypeId, TypeKind};

/// Which named types each named type mentions, split by whether the mention is stored
/// inline (needs a `Box` to break a cycle) or behind a heap collection.
pub(crate) struct Graph {
    /// Inline edges: struct fields, tuple slots, `Option`s and aliases.
    direct: Vec<BTreeSet<TypeId>>,
    /// All edges, including through arrays, maps and union branches.
    all: Vec<BTreeSet<TypeId>>,
}

/// Collects named types in `ty`. `inline` edges stop at `Vec`/map boundaries.
fn collect(ty: &Type, inline: bool, out: &mut BTreeSet<TypeId>) {
    match ty {
        Type::Named(id) => {
            out.insert(*id);
        }
        Type::Nullable(inner) => collect(inner, inline, out),
        Type::Tuple(t) => {
            t.items.iter().for_each(|i| collect(i, inline, out));
            if let (false, Some(rest)) = (inline, &t.rest) {
                collect(rest, inline, out);
            }
        }
        Type::Array(inner) | Type::Map(inner) => {
            if !inline {
                collect(inner, inline, out);
            }
        }
        Type::Any
        | Type::Null
        | Type::Bool
        | Type::Integer(_)
        | Type::Number
        | Type::String
        | Type::Format(_) => {}
    }
}

fn edges(kind: &TypeKind, inline: bool) -> BTreeSet<TypeId> {
    let mut out = BTreeSet::new();
    match kind {
        TypeKind::Struct(s) => {
            s.fields.iter().for_each(|f| collect(&f.ty, inline, &mut out));
            if !inline {
                s.rest.patterns.iter().for_each(|(_, t)| collect(t, inline, &mut out));
                if let Additional::Typed(t) = &s.rest.additional {
                    collect(t, inline, &mut out);
                }
            }
        }
        TypeKind::Alias(t) => collect(t, inline, &mut out),
        // Union branches that are named types are always boxed by renderers, so they are
        // never inline.
        TypeKind::Union(variants) => {
            for v in variants {
                match (&v.ty, inline) {
                    (Type::Named(_), true) => {}
                    (ty, _) => collect(ty, inline, &mut out),
                }
            }
        }
        TypeKind::TaggedUnion(u) => {
            if !inline {
                out.extend(u.variants.iter().map(|v| v.ty));
            }
        }
        TypeKind::StringEnum(_) | TypeKind::ValueEnum(_) => {}
    }
    out
}

impl Graph {
    pub(crate) fn new(model: &Model) -> Self {
        Self {
            direct: model.types.iter().map(|t| edges(&t.kind, true)).collect(),
            all: model.types.iter().map(|t| edges(&t.kind, false)).collect(),
        }
    }

    fn reaches(adjacency: &[BTreeSet<TypeId>], from: TypeId, to: TypeId) -> bool {
        let mut seen = vec![false; adjacency.len()];
        let mut stack = vec![from];
        while let Some(node) = stack.pop() {
            for &next in &adjacency[node] {
                if next == to {
                    return true;
                }
                if !seen[next] {
                    seen[next] = true;
                    stack.push(next);
                }
            }
        }
        false
    }

    /// A field of `owner` that stores `target` inline must be boxed when `target` stores
    /// `owner` inline again (otherwise the type would have infinite size).
    pub(crate) fn needs_box(&self, owner: TypeId, target: TypeId) -> bool {
        owner == target || Self::reaches(&self.direct, target, owner)
    }

    /// True when `id` refers back to itself through any path.
    pub(crate) fn is_recursive(&self, id: TypeId) -> bool {
        Self::reaches(&self.all, id, id)
    }
}
