//! Lowering: JSON Schema (drafts 4, 6, 7, 2019-09, 2020-12) → the language-neutral model.
//!
//! Pure: no I/O. Registered schemas referenced by absolute URI come from the caller's map.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use serde_json::{Map, Value};

use super::error::CodegenError;
use super::keywords::{
    Draft, declared_types, detect_draft, detect_tag, doc_of, int_width, is_annotation, is_null_schema,
    is_nullable, merge_into, ref_of, required_of, union_branches,
};
use super::model::{
    Additional, Doc, EnumVariant, Field, FormatKind, Model, Rest, StructDef, Tag, TaggedUnion, TaggedVariant,
    Tuple, Type, TypeDef, TypeId, TypeKind, UnionVariant,
};
use super::naming::{NameAllocator, pascal_case, type_name};
use super::refs::{DocId, Documents, absolutize};

/// Guards against pathological nesting and `$ref`/`allOf` cycles that never reach a named type.
///
/// 64 levels is far beyond real contracts (serde_json itself stops parsing at 128) and keeps
/// the stack well under the 2 MiB of a blocking-pool thread even in debug builds, where one
/// level of nesting costs several kilobytes of stack.
const MAX_DEPTH: usize = 64;

/// Lowers `schema` into a [`Model`]. `root_hint` names the root type when it has no `title`.
pub(crate) fn lower(
    schema: &Value,
    external: &BTreeMap<String, Value>,
    root_hint: &str,
    typed_formats: bool,
) -> Result<Model, CodegenError> {
    let reserved = FormatKind::ALL.iter().map(|f| f.type_name());
    let mut lowerer = Lowerer {
        docs: Documents::new(schema, external),
        draft: detect_draft(schema),
        typed_formats,
        types: Vec::new(),
        memo: HashMap::new(),
        queue: VecDeque::new(),
        tagged_memo: HashMap::new(),
        tagged_sources: HashSet::new(),
        names: NameAllocator::with_reserved(reserved),
        formats: BTreeSet::new(),
        depth: 0,
    };
    // The root goes through the same memo as `$ref` targets so that `"$ref": "#"` (recursive
    // root) points back at it instead of generating a second copy.
    let root = lowerer.lower_ref_target(&DocId::Root, String::new(), root_hint)?;
    lowerer.drain()?;
    // Definitions nobody references are still part of the contract's vocabulary, so they
    // are generated too (after everything reachable, which keeps reachable names stable).
    for key in ["$defs", "definitions"] {
        if let Some(Value::Object(defs)) = schema.get(key) {
            for name in defs.keys() {
                let fragment = format!("/{key}/{}", name.replace('~', "~0").replace('/', "~1"));
                let location = (DocId::Root, fragment.clone());
                if lowerer.memo.contains_key(&location) || lowerer.tagged_sources.contains(&location) {
                    continue;
                }
                lowerer.lower_ref_target(&DocId::Root, fragment, name)?;
                lowerer.drain()?;
            }
        }
    }
    // A root that is only an alias (`{"$ref": ...}`, `{"type": "string"}`) exports its target
    // directly as `Detail`, which reads better than an alias of an alias.
    let root = if let Type::Named(id) = &root
        && let TypeKind::Alias(target) = &lowerer.types[*id].kind
    {
        target.clone()
    } else {
        root
    };
    let mut model = Model { types: lowerer.types, root, formats: lowerer.formats.into_iter().collect() };
    order_unions(&mut model);
    Ok(model)
}

struct Lowerer<'a> {
    docs: Documents<'a>,
    draft: Draft,
    typed_formats: bool,
    types: Vec<TypeDef>,
    /// `$ref` target location → its type, inserted *before* lowering so recursion ends.
    memo: HashMap<(DocId, String), Type>,
    /// `$ref` targets whose slot is reserved but not yet lowered. Lowering them later from a
    /// queue (instead of recursing) keeps the stack flat for long reference chains.
    queue: VecDeque<(DocId, String, TypeId)>,
    /// Tagged-union branch structs by (location, discriminator property).
    tagged_memo: HashMap<(DocId, String, String), TypeId>,
    /// Locations already generated as tagged-union branches.
    tagged_sources: HashSet<(DocId, String)>,
    names: NameAllocator,
    formats: BTreeSet<FormatKind>,
    depth: usize,
}

fn invalid(message: impl Into<String>) -> CodegenError {
    CodegenError::InvalidSchema { message: message.into() }
}

fn variant_name(value: &str) -> String {
    let mut name = pascal_case(value);
    if name.is_empty() {
        name = "Empty".into();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("V{name}");
    }
    if name == "Self" {
        name = "SelfValue".into();
    }
    name
}

/// Last path segment of a pointer (`/$defs/Money` → `Money`) or the schema name of a
/// registry URI (`…/schemas/money/versions/3` → `money`).
fn location_name(doc: &DocId, fragment: &str) -> Option<String> {
    if let Some(last) = fragment.rsplit('/').next().filter(|s| !s.is_empty()) {
        return Some(last.replace("~1", "/").replace("~0", "~"));
    }
    if let DocId::External(uri) = doc {
        let parts: Vec<&str> = uri.split('/').collect();
        if let Some(i) = parts.iter().rposition(|p| *p == "schemas") {
            return parts.get(i + 1).map(|s| s.to_string());
        }
        return parts.last().map(|s| s.to_string());
    }
    None
}

fn make_nullable(ty: Type) -> Type {
    if matches!(ty, Type::Any | Type::Null | Type::Nullable(_)) { ty } else { Type::Nullable(Box::new(ty)) }
}

impl<'a> Lowerer<'a> {
    fn reserve(&mut self, name_source: &str, doc: Doc) -> TypeId {
        let name = self.names.allocate(&type_name(name_source, "Type"));
        self.types.push(TypeDef { name, doc, kind: TypeKind::Alias(Type::Any) });
        self.types.len() - 1
    }

    /// Stores `ty` in `slot` (as an alias unless it already is the slot) and returns the
    /// type callers should use.
    fn finish(&mut self, slot: Option<TypeId>, ty: Type) -> Type {
        match slot {
            Some(id) if ty != Type::Named(id) => {
                self.types[id].kind = TypeKind::Alias(ty);
                Type::Named(id)
            }
            Some(id) => Type::Named(id),
            None => ty,
        }
    }

    fn lower_ref(&mut self, doc: &DocId, reference: &str, hint: &str) -> Result<Type, CodegenError> {
        let (target_doc, fragment) = self.docs.resolve(doc, reference)?;
        self.lower_ref_target(&target_doc, fragment, hint)
    }

    fn lower_ref_target(&mut self, doc: &DocId, fragment: String, hint: &str) -> Result<Type, CodegenError> {
        let key = (doc.clone(), fragment);
        if let Some(ty) = self.memo.get(&key) {
            return Ok(ty.clone());
        }
        let schema = self.docs.target(doc, &key.1)?;
        let info = doc_of(schema);
        let name_source =
            info.title.clone().or_else(|| location_name(doc, &key.1)).unwrap_or_else(|| hint.to_string());
        let id = self.reserve(&name_source, info);
        self.memo.insert(key.clone(), Type::Named(id));
        self.queue.push_back((key.0, key.1, id));
        Ok(Type::Named(id))
    }

    /// Lowers every queued `$ref` target (which may queue more).
    fn drain(&mut self) -> Result<(), CodegenError> {
        while let Some((doc, fragment, id)) = self.queue.pop_front() {
            let schema = self.docs.target(&doc, &fragment)?;
            let name = self.types[id].name.clone();
            self.lower_schema(&doc, schema, &name, Some(id))?;
        }
        Ok(())
    }

    fn lower_schema(
        &mut self,
        doc: &DocId,
        schema: &Value,
        hint: &str,
        slot: Option<TypeId>,
    ) -> Result<Type, CodegenError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(invalid("schemas nested deeper than 64 levels are not supported"));
        }
        let result = self.lower_schema_inner(doc, schema, hint, slot);
        self.depth -= 1;
        result
    }

    fn lower_schema_inner(
        &mut self,
        doc: &DocId,
        schema: &Value,
        hint: &str,
        slot: Option<TypeId>,
    ) -> Result<Type, CodegenError> {
        let obj = match schema {
            Value::Bool(_) => return Ok(self.finish(slot, Type::Any)),
            Value::Object(obj) => obj,
            Value::Null | Value::Number(_) | Value::String(_) | Value::Array(_) => {
                return Err(invalid("a schema must be an object or a boolean"));
            }
        };
        if let Some(reference) = ref_of(obj) {
            // Before 2019-09 keywords next to `$ref` are ignored; from 2019-09 on they apply
            // too, which is the same as an `allOf` of the reference and the rest.
            let has_siblings = obj.keys().any(|k| !is_annotation(k));
            if self.draft < Draft::D2019 || !has_siblings {
                let ty = self.lower_ref(doc, reference, hint)?;
                return Ok(self.finish(slot, ty));
            }
        }
        if ref_of(obj).is_some() || obj.contains_key("allOf") {
            let merged = self.resolve_fully(doc, schema, 0)?;
            return self.lower_schema(doc, &merged, hint, slot);
        }
        let info = doc_of(schema);
        let name = info.title.clone().unwrap_or_else(|| hint.to_string());
        if let Some(values) = obj
            .get("const")
            .map(|c| vec![c.clone()])
            .or_else(|| obj.get("enum").and_then(Value::as_array).cloned())
        {
            return self.lower_enum(values, &name, info, slot);
        }
        let nullable = is_nullable(obj);
        let core_slot = if nullable { None } else { slot };
        let core_name = if nullable && slot.is_some() { format!("{name}Value") } else { name };
        let core = if union_branches(obj).is_some() {
            self.lower_union(doc, obj, &core_name, info, core_slot)?
        } else {
            self.lower_typed(doc, obj, &core_name, info, core_slot)?
        };
        let ty = if nullable { make_nullable(core) } else { core };
        Ok(self.finish(slot, ty))
    }

    fn define(&mut self, slot: Option<TypeId>, name: &str, doc: Doc, kind: TypeKind) -> TypeId {
        let id = slot.unwrap_or_else(|| self.reserve(name, doc));
        self.types[id].kind = kind;
        id
    }

    fn lower_enum(
        &mut self,
        values: Vec<Value>,
        name: &str,
        doc: Doc,
        slot: Option<TypeId>,
    ) -> Result<Type, CodegenError> {
        let mut unique: Vec<Value> = Vec::new();
        for value in values {
            if !unique.contains(&value) {
                unique.push(value);
            }
        }
        let has_null = unique.iter().any(Value::is_null);
        let strings: Vec<&str> = unique.iter().filter_map(Value::as_str).collect();
        let non_null = unique.len() - usize::from(has_null);
        if non_null == 0 {
            return Ok(self.finish(slot, Type::Null));
        }
        if strings.len() == non_null {
            let mut allocator = NameAllocator::default();
            let variants = strings
                .iter()
                .map(|value| EnumVariant {
                    name: allocator.allocate(&variant_name(value)),
                    value: (*value).to_string(),
                })
                .collect();
            let target = if has_null { None } else { slot };
            let id = self.define(target, name, doc, TypeKind::StringEnum(variants));
            let ty = if has_null { Type::Nullable(Box::new(Type::Named(id))) } else { Type::Named(id) };
            return Ok(self.finish(slot, ty));
        }
        let id = self.define(slot, name, doc, TypeKind::ValueEnum(unique));
        Ok(Type::Named(id))
    }

    fn lower_typed(
        &mut self,
        doc: &DocId,
        obj: &Map<String, Value>,
        name: &str,
        info: Doc,
        slot: Option<TypeId>,
    ) -> Result<Type, CodegenError> {
        let mut types: Vec<String> =
            declared_types(obj).unwrap_or_default().into_iter().filter(|t| t != "null").collect();
        if types.is_empty() && obj.get("type").is_some() {
            // `type: "null"` (or only null in the list).
            return Ok(self.finish(slot, Type::Null));
        }
        if types.is_empty() {
            let object_keys = ["properties", "required", "additionalProperties", "patternProperties"];
            let array_keys = ["items", "prefixItems", "additionalItems"];
            if object_keys.iter().any(|k| obj.contains_key(*k)) {
                types.push("object".into());
            } else if array_keys.iter().any(|k| obj.contains_key(*k)) {
                types.push("array".into());
            } else {
                return Ok(self.finish(slot, Type::Any));
            }
        }
        // `integer` is a subset of `number`: listing both means `number`.
        if types.iter().any(|t| t == "number") {
            types.retain(|t| t != "integer");
        }
        if let [single] = types.as_slice() {
            return self.lower_single(doc, obj, single, name, info, slot);
        }
        let id = slot.unwrap_or_else(|| self.reserve(name, info));
        let union_name = self.types[id].name.clone();
        let mut allocator = NameAllocator::with_reserved(["Self"]);
        let mut variants = Vec::new();
        for t in &types {
            let hint = format!("{union_name}{}", pascal_case(t));
            let ty = self.lower_single(doc, obj, t, &hint, Doc::default(), None)?;
            variants.push(UnionVariant { name: allocator.allocate(&variant_name(t)), ty });
        }
        self.types[id].kind = TypeKind::Union(variants);
        Ok(Type::Named(id))
    }

    fn lower_single(
        &mut self,
        doc: &DocId,
        obj: &Map<String, Value>,
        json_type: &str,
        name: &str,
        info: Doc,
        slot: Option<TypeId>,
    ) -> Result<Type, CodegenError> {
        let ty = match json_type {
            "object" => return self.lower_object(doc, obj, name, info, slot),
            "array" => self.lower_array(doc, obj, name)?,
            "string" => {
                let format = obj
                    .get("format")
                    .and_then(Value::as_str)
                    .and_then(FormatKind::from_keyword)
                    .filter(|_| self.typed_formats);
                match format {
                    Some(kind) => {
                        self.formats.insert(kind);
                        Type::Format(kind)
                    }
                    None => Type::String,
                }
            }
            "integer" => Type::Integer(int_width(obj, self.draft)),
            "number" => Type::Number,
            "boolean" => Type::Bool,
            "null" => Type::Null,
            _ => Type::Any,
        };
        Ok(self.finish(slot, ty))
    }

    fn lower_object(
        &mut self,
        doc: &DocId,
        obj: &Map<String, Value>,
        name: &str,
        info: Doc,
        slot: Option<TypeId>,
    ) -> Result<Type, CodegenError> {
        let has_fields = obj.get("properties").and_then(Value::as_object).is_some_and(|p| !p.is_empty())
            || !required_of(obj).is_empty();
        let has_patterns =
            obj.get("patternProperties").and_then(Value::as_object).is_some_and(|p| !p.is_empty());
        if !has_fields && !has_patterns {
            // A pure dictionary is a map, not a struct.
            match obj.get("additionalProperties") {
                None | Some(Value::Bool(true)) => {
                    return Ok(self.finish(slot, Type::Map(Box::new(Type::Any))));
                }
                Some(Value::Bool(false)) => {}
                Some(schema) => {
                    let hint = format!("{name}Value");
                    let value = self.lower_schema(doc, schema, &hint, None)?;
                    return Ok(self.finish(slot, Type::Map(Box::new(value))));
                }
            }
        }
        let id = slot.unwrap_or_else(|| self.reserve(name, info));
        self.lower_struct(doc, obj, id, None)?;
        Ok(Type::Named(id))
    }

    /// Fills `id` with a struct for `obj`; a tagged branch leaves its discriminator out.
    fn lower_struct(
        &mut self,
        doc: &DocId,
        obj: &Map<String, Value>,
        id: TypeId,
        tag: Option<Tag>,
    ) -> Result<(), CodegenError> {
        let type_name = self.types[id].name.clone();
        let required = required_of(obj);
        let skip = tag.as_ref().map(|t| t.property.as_str());
        let mut fields = Vec::new();
        if let Some(Value::Object(properties)) = obj.get("properties") {
            for (wire, schema) in properties {
                if Some(wire.as_str()) == skip {
                    continue;
                }
                let hint = format!("{type_name}{}", pascal_case(wire));
                let ty = self.lower_schema(doc, schema, &hint, None)?;
                fields.push(Field {
                    wire_name: wire.clone(),
                    ty,
                    required: required.contains(wire),
                    doc: doc_of(schema),
                });
            }
        }
        for wire in &required {
            let known = fields.iter().any(|f| &f.wire_name == wire);
            if !known && Some(wire.as_str()) != skip {
                // Required but undeclared: any value, but it must be there.
                fields.push(Field {
                    wire_name: wire.clone(),
                    ty: Type::Any,
                    required: true,
                    doc: Doc::default(),
                });
            }
        }
        let mut patterns = Vec::new();
        if let Some(Value::Object(pattern_properties)) = obj.get("patternProperties") {
            for (pattern, schema) in pattern_properties {
                let hint = format!("{type_name}Pattern");
                patterns.push((pattern.clone(), self.lower_schema(doc, schema, &hint, None)?));
            }
        }
        let additional = match obj.get("additionalProperties") {
            None if obj.get("unevaluatedProperties") == Some(&Value::Bool(false)) => Additional::Closed,
            None | Some(Value::Bool(true)) => Additional::Any,
            Some(Value::Bool(false)) => Additional::Closed,
            Some(schema) => {
                let hint = format!("{type_name}Value");
                let ty = self.lower_schema(doc, schema, &hint, None)?;
                if ty == Type::Any { Additional::Any } else { Additional::Typed(ty) }
            }
        };
        self.types[id].kind =
            TypeKind::Struct(StructDef { fields, rest: Rest { patterns, additional }, tag });
        Ok(())
    }

    fn lower_array(
        &mut self,
        doc: &DocId,
        obj: &Map<String, Value>,
        name: &str,
    ) -> Result<Type, CodegenError> {
        let (prefix, rest) = match (obj.get("prefixItems"), obj.get("items")) {
            (Some(Value::Array(prefix)), rest) => (prefix.as_slice(), rest),
            (_, Some(Value::Array(prefix))) => (prefix.as_slice(), obj.get("additionalItems")),
            (_, items) => {
                let item = match items {
                    Some(schema) => self.lower_schema(doc, schema, &format!("{name}Item"), None)?,
                    None => Type::Any,
                };
                return Ok(Type::Array(Box::new(item)));
            }
        };
        let rest = match rest {
            Some(Value::Bool(false)) => None,
            None | Some(Value::Bool(true)) => Some(Box::new(Type::Any)),
            Some(schema) => Some(Box::new(self.lower_schema(doc, schema, &format!("{name}Rest"), None)?)),
        };
        if prefix.is_empty() {
            return Ok(Type::Array(rest.unwrap_or(Box::new(Type::Any))));
        }
        let mut items = Vec::new();
        for (i, schema) in prefix.iter().enumerate() {
            items.push(self.lower_schema(doc, schema, &format!("{name}Item{}", i + 1), None)?);
        }
        let min_items = obj
            .get("minItems")
            .and_then(Value::as_u64)
            .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
        Ok(Type::Tuple(Tuple { items, min_items, rest }))
    }

    fn lower_union(
        &mut self,
        doc: &DocId,
        obj: &Map<String, Value>,
        name: &str,
        info: Doc,
        slot: Option<TypeId>,
    ) -> Result<Type, CodegenError> {
        let branches = union_branches(obj).cloned().unwrap_or_default();
        // Keywords next to oneOf/anyOf apply to every branch.
        // Built key by key: cloning `obj` would also copy every branch.
        let mut base: Map<String, Value> = obj
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "oneOf" | "anyOf" | "nullable"))
            .filter(|(k, _)| !is_annotation(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(types) = declared_types(&base) {
            let non_null: Vec<Value> = types.into_iter().filter(|t| t != "null").map(Value::from).collect();
            if non_null.is_empty() {
                base.remove("type");
            } else {
                base.insert("type".into(), Value::Array(non_null));
            }
        }
        let mut candidates = Vec::new();
        for branch in branches.iter().filter(|b| !is_null_schema(b)) {
            if base.is_empty() {
                candidates.push(branch.clone());
            } else {
                let mut merged = base.clone();
                if let Value::Object(resolved) = self.resolve_fully(doc, branch, 0)? {
                    merge_into(&mut merged, resolved);
                }
                candidates.push(Value::Object(merged));
            }
        }
        match candidates.as_slice() {
            [] => return Ok(self.finish(slot, Type::Null)),
            [only] => return self.lower_schema(doc, only, name, slot),
            _ => {}
        }
        let mut views = Vec::new();
        for candidate in &candidates {
            views.push(self.resolve_fully(doc, candidate, 0)?);
        }
        let id = slot.unwrap_or_else(|| self.reserve(name, info));
        let union_name = self.types[id].name.clone();
        if let Some((tag, values)) = detect_tag(&views) {
            let mut allocator = NameAllocator::with_reserved(["Self"]);
            let mut variants = Vec::new();
            for ((candidate, view), value) in candidates.iter().zip(&views).zip(values) {
                let source = match candidate.as_object().and_then(ref_of) {
                    Some(r) if candidate.as_object().is_some_and(|o| o.len() == 1) => {
                        let (d, f) = self.docs.resolve(doc, r)?;
                        Some((d, f))
                    }
                    _ => None,
                };
                let memo_key = source.as_ref().map(|(d, f)| (d.clone(), f.clone(), tag.clone()));
                let existing = memo_key.as_ref().and_then(|k| self.tagged_memo.get(k)).copied();
                let struct_id = match existing {
                    Some(struct_id) => struct_id,
                    None => {
                        let view_doc = doc_of(view);
                        let hint = view_doc
                            .title
                            .clone()
                            .or_else(|| source.as_ref().and_then(|(d, f)| location_name(d, f)))
                            .unwrap_or_else(|| format!("{union_name}{}", pascal_case(&value)));
                        let struct_id = self.reserve(&hint, view_doc);
                        if let Some(key) = memo_key {
                            self.tagged_memo.insert(key, struct_id);
                        }
                        let view_obj = view.as_object().cloned().unwrap_or_default();
                        let marker = Tag { property: tag.clone(), value: value.clone() };
                        self.lower_struct(doc, &view_obj, struct_id, Some(marker))?;
                        struct_id
                    }
                };
                if let Some(location) = source {
                    self.tagged_sources.insert(location);
                }
                variants.push(TaggedVariant {
                    name: allocator.allocate(&variant_name(&value)),
                    value,
                    ty: struct_id,
                });
            }
            self.types[id].kind = TypeKind::TaggedUnion(TaggedUnion { tag, variants });
            return Ok(Type::Named(id));
        }
        let mut allocator = NameAllocator::with_reserved(["Self"]);
        let mut variants: Vec<UnionVariant> = Vec::new();
        for (i, candidate) in candidates.iter().enumerate() {
            let hint = format!("{union_name}Variant{}", i + 1);
            let ty = self.lower_schema(doc, candidate, &hint, None)?;
            if variants.iter().any(|v| v.ty == ty) {
                continue;
            }
            let label = self.type_label(&ty);
            // `Shape` + `ShapeVariant1` reads better as `Shape::Variant1`.
            let short = label
                .strip_prefix(union_name.as_str())
                .filter(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
                .map_or(label.clone(), str::to_string);
            variants.push(UnionVariant { name: allocator.allocate(&short), ty });
        }
        self.types[id].kind = TypeKind::Union(variants);
        Ok(Type::Named(id))
    }

    /// A readable variant name for a union branch of type `ty`.
    fn type_label(&self, ty: &Type) -> String {
        match ty {
            Type::Any => "Any".into(),
            Type::Null => "Null".into(),
            Type::Bool => "Bool".into(),
            Type::Integer(_) => "Integer".into(),
            Type::Number => "Number".into(),
            Type::String => "String".into(),
            Type::Format(kind) => variant_name(kind.keyword()),
            Type::Array(_) => "Array".into(),
            Type::Tuple(_) => "Tuple".into(),
            Type::Map(_) => "Map".into(),
            Type::Nullable(inner) => self.type_label(inner),
            Type::Named(id) => self.types[*id].name.clone(),
        }
    }

    /// Follows `$ref`s and merges `allOf`s until the top level is a plain schema, with
    /// references rewritten so the result is valid inside `doc`.
    fn resolve_fully(&self, doc: &DocId, schema: &Value, depth: usize) -> Result<Value, CodegenError> {
        if depth > 64 {
            return Err(invalid("cycle of $ref/allOf that never reaches a schema"));
        }
        let Value::Object(obj) = schema else {
            return Ok(schema.clone());
        };
        let mut out = obj.clone();
        let mut parts = Vec::new();
        if let Some(reference) = ref_of(obj) {
            let (target_doc, fragment) = self.docs.resolve(doc, reference)?;
            let mut target = self.docs.target(&target_doc, &fragment)?.clone();
            if &target_doc != doc {
                absolutize(&mut target, &self.docs.base(&target_doc));
            }
            for key in ["$ref", "$dynamicRef", "$recursiveRef"] {
                out.remove(key);
            }
            if self.draft < Draft::D2019 {
                out.retain(|k, _| k == "title" || k == "description");
            }
            parts.push(self.resolve_fully(doc, &target, depth + 1)?);
        }
        if let Some(Value::Array(all)) = out.remove("allOf") {
            for branch in &all {
                parts.push(self.resolve_fully(doc, branch, depth + 1)?);
            }
        }
        for part in parts {
            if let Value::Object(part) = part {
                merge_into(&mut out, part);
            }
        }
        Ok(Value::Object(out))
    }
}

/// How specific a type is: an untagged union tries higher ranks first, so a value is
/// claimed by the narrowest branch that accepts it (`Integer` before `Number`, structs
/// with more required fields before looser ones, `Any` last).
fn rank(types: &[TypeDef], ty: &Type, depth: usize) -> i32 {
    match ty {
        Type::Null => 100,
        Type::Bool => 90,
        Type::Integer(_) => 85,
        Type::Number => 80,
        Type::Format(_) => 75,
        Type::Tuple(_) => 70,
        Type::Array(_) => 40,
        Type::String => 30,
        Type::Map(_) => 20,
        Type::Any => 0,
        Type::Nullable(inner) => rank(types, inner, depth) - 1,
        Type::Named(id) => match &types[*id].kind {
            TypeKind::StringEnum(_) | TypeKind::ValueEnum(_) => 95,
            TypeKind::TaggedUnion(_) => 60,
            TypeKind::Struct(s) => {
                let required = s.fields.iter().filter(|f| f.required).count();
                let closed = matches!(s.rest.additional, Additional::Closed);
                50 + i32::try_from(required.min(40)).unwrap_or(40) + if closed { 5 } else { 0 }
            }
            TypeKind::Union(_) => 45,
            TypeKind::Alias(inner) if depth < 32 => rank(types, inner, depth + 1),
            TypeKind::Alias(_) => 0,
        },
    }
}

fn order_unions(model: &mut Model) {
    for i in 0..model.types.len() {
        if let TypeKind::Union(variants) = &model.types[i].kind {
            let mut ranked: Vec<(i32, UnionVariant)> =
                variants.iter().map(|v| (rank(&model.types, &v.ty, 0), v.clone())).collect();
            // Stable sort: equal ranks keep schema order.
            ranked.sort_by_key(|(r, _)| std::cmp::Reverse(*r));
            model.types[i].kind = TypeKind::Union(ranked.into_iter().map(|(_, v)| v).collect());
        }
    }
}
