//! Rust view model: turns the language-neutral model into the data the Rust templates render.
//!
//! Mapping decisions (see docs/CODEGEN.md): required → `T`, required+nullable → `Option<T>`,
//! optional → `Option<T>` skipped when absent, optional+nullable → `Option<Option<T>>`;
//! numbers stay `serde_json::Number` so `1` and `1.0` survive a round trip; open objects keep
//! unknown properties in a flattened map.

use serde::Serialize;

use super::graph::Graph;
use super::model::{Additional, Doc, FormatKind, IntWidth, Model, Type, TypeId, TypeKind};
use super::naming::{NameAllocator, doc_lines, rust_field_name};

/// Everything `src/lib.rs.hbs` and `Cargo.toml.hbs` can use.
#[derive(Debug, Serialize)]
pub(crate) struct RustView {
    /// Cargo package name.
    package_name: String,
    /// Crate name as written in Rust code (`-` → `_`).
    crate_name: String,
    /// Root schema title/description as a TOML-escaped basic string (with quotes).
    description_toml: String,
    /// Crate-level doc lines, already prefixed with `//!`.
    crate_doc: Vec<String>,
    /// The Rust type of a whole document.
    detail_type: String,
    /// Whether the `deserialize_some` helper is needed.
    uses_optional: bool,
    /// Whether the `json_equal` helper is needed.
    uses_value_enum: bool,
    /// Small context for top-level partials (`{{> helpers meta}}`): handlebars clones the
    /// context of every partial call, so passing the whole view would copy all items.
    meta: Meta,
    items: Vec<RustItem>,
    formats: Vec<RustFormat>,
}

#[derive(Debug, Clone, Serialize)]
struct Meta {
    package_name: String,
    uses_optional: bool,
    uses_value_enum: bool,
}

#[derive(Debug, Default, Serialize)]
struct RustItem {
    /// Name of the partial that renders this item.
    partial: &'static str,
    name: String,
    /// Doc lines, prefixed with `///`.
    doc: Vec<String>,
    is_struct: bool,
    is_newtype: bool,
    is_string_enum: bool,
    is_value_enum: bool,
    is_tagged: bool,
    is_untagged: bool,
    is_alias: bool,
    deny_unknown_fields: bool,
    fields: Vec<RustField>,
    variants: Vec<RustVariant>,
    /// Alias / newtype target type.
    target: String,
    /// Tagged union discriminator, as a Rust string literal.
    tag: String,
    /// Value enum: allowed values as Rust string literals holding JSON text.
    allowed: Vec<String>,
}

#[derive(Debug, Serialize)]
struct RustField {
    ident: String,
    doc: Vec<String>,
    /// Arguments of `#[serde(...)]`, empty for none.
    serde: String,
    ty: String,
}

#[derive(Debug, Serialize)]
struct RustVariant {
    ident: String,
    /// Wire value as a Rust string literal, empty when not renamed.
    rename: String,
    /// Payload type, empty for a unit variant.
    payload: String,
}

#[derive(Debug, Serialize)]
struct RustFormat {
    name: String,
    keyword: String,
    /// Boolean expression over `value: &str`.
    check: String,
}

fn rust_doc(doc: &Doc, prefix: &str) -> Vec<String> {
    doc_lines(doc.title.as_deref(), doc.description.as_deref())
        .into_iter()
        .map(|l| if l.is_empty() { prefix.to_string() } else { format!("{prefix} {l}") })
        .collect()
}

/// Appends a paragraph to `///` doc lines.
fn push_note(doc: &mut Vec<String>, note: &str) {
    if !doc.is_empty() {
        doc.push("///".into());
    }
    doc.push(format!("/// {note}"));
}

/// A Rust string literal (Rust's `Debug` for `str` produces valid literal syntax).
fn literal(s: &str) -> String {
    format!("{s:?}")
}

fn format_check(kind: FormatKind) -> &'static str {
    match kind {
        FormatKind::DateTime => "format_checks::is_date_time(value)",
        FormatKind::Date => "format_checks::is_date(value)",
        FormatKind::Time => "format_checks::is_time(value)",
        FormatKind::Uuid => "format_checks::is_uuid(value)",
        FormatKind::Email => "format_checks::is_email(value)",
        FormatKind::Uri => "format_checks::is_uri(value)",
        FormatKind::Ipv4 => "format_checks::is_ipv4(value)",
        FormatKind::Ipv6 => "format_checks::is_ipv6(value)",
    }
}

struct Renderer<'m> {
    model: &'m Model,
    graph: Graph,
}

impl Renderer<'_> {
    /// The Rust type for `ty` stored inline in `owner` (boxing named types that would make
    /// `owner` infinitely large).
    fn ty(&self, ty: &Type, owner: Option<TypeId>) -> String {
        match ty {
            Type::Any => "serde_json::Value".into(),
            Type::Null => "()".into(),
            Type::Bool => "bool".into(),
            Type::Integer(width) => match width {
                IntWidth::U8 => "u8",
                IntWidth::U16 => "u16",
                IntWidth::U32 => "u32",
                IntWidth::U64 => "u64",
                IntWidth::I8 => "i8",
                IntWidth::I16 => "i16",
                IntWidth::I32 => "i32",
                IntWidth::I64 => "i64",
            }
            .into(),
            Type::Number => "serde_json::Number".into(),
            Type::String => "String".into(),
            Type::Format(kind) => kind.type_name().into(),
            Type::Array(item) => format!("Vec<{}>", self.ty(item, None)),
            Type::Tuple(tuple) if tuple.is_exact() => {
                let items: Vec<String> = tuple.items.iter().map(|t| self.ty(t, owner)).collect();
                if items.len() == 1 { format!("({},)", items[0]) } else { format!("({})", items.join(", ")) }
            }
            // A tuple whose length varies has no lossless serde shape without custom code;
            // the positions stay JSON values (documented in CODEGEN.md).
            Type::Tuple(_) => "Vec<serde_json::Value>".into(),
            Type::Map(value) => {
                format!("std::collections::BTreeMap<String, {}>", self.ty(value, None))
            }
            Type::Nullable(inner) => format!("Option<{}>", self.ty(inner, owner)),
            Type::Named(id) => {
                let name = &self.model.types[*id].name;
                match owner {
                    Some(o) if self.graph.needs_box(o, *id) => format!("Box<{name}>"),
                    _ => name.clone(),
                }
            }
        }
    }

    fn item(&self, id: TypeId) -> RustItem {
        let def = &self.model.types[id];
        let mut item =
            RustItem { name: def.name.clone(), doc: rust_doc(&def.doc, "///"), ..RustItem::default() };
        match &def.kind {
            TypeKind::Struct(s) => {
                item.is_struct = true;
                let closed = matches!(s.rest.additional, Additional::Closed);
                // Closed objects reject unknown fields so that untagged unions pick the right
                // branch. Tagged branches do not need it: the discriminator already selects
                // the branch.
                item.deny_unknown_fields = closed && s.rest.patterns.is_empty() && s.tag.is_none();
                let mut idents = NameAllocator::default();
                for field in &s.fields {
                    let ident = idents.allocate(&rust_field_name(&field.wire_name));
                    let mut args = Vec::new();
                    if ident != field.wire_name {
                        args.push(format!("rename = {}", literal(&field.wire_name)));
                    }
                    let inner = self.ty(&field.ty, Some(id));
                    let ty = if field.required {
                        inner
                    } else {
                        // `deserialize_some` keeps an explicit `null` apart from absence.
                        args.push(
                            "default, skip_serializing_if = \"Option::is_none\", \
                             deserialize_with = \"deserialize_some\""
                                .into(),
                        );
                        format!("Option<{inner}>")
                    };
                    item.fields.push(RustField {
                        ident,
                        doc: rust_doc(&field.doc, "///"),
                        serde: args.join(", "),
                        ty,
                    });
                }
                let extra = match (&s.rest.additional, s.rest.patterns.as_slice()) {
                    (Additional::Closed, []) => None,
                    (Additional::Closed, [(_, only)]) => {
                        Some(format!("std::collections::BTreeMap<String, {}>", self.ty(only, None)))
                    }
                    (Additional::Typed(t), []) => {
                        Some(format!("std::collections::BTreeMap<String, {}>", self.ty(t, None)))
                    }
                    _ => Some("serde_json::Map<String, serde_json::Value>".into()),
                };
                if let Some(ty) = extra {
                    item.fields.push(RustField {
                        ident: idents.allocate("extra"),
                        doc: vec![
                            "/// Properties not declared above, kept so that parsing and \
                             serialising is lossless."
                                .into(),
                        ],
                        serde: "flatten".into(),
                        ty,
                    });
                }
            }
            TypeKind::StringEnum(variants) => {
                item.is_string_enum = true;
                item.variants = variants
                    .iter()
                    .map(|v| RustVariant {
                        ident: v.name.clone(),
                        rename: literal(&v.value),
                        payload: String::new(),
                    })
                    .collect();
            }
            TypeKind::ValueEnum(values) => {
                item.is_value_enum = true;
                push_note(&mut item.doc, "One of a fixed set of JSON values, kept exactly as written.");
                item.allowed = values.iter().map(|v| literal(&v.to_string())).collect();
            }
            TypeKind::TaggedUnion(union) => {
                item.is_tagged = true;
                item.tag = literal(&union.tag);
                item.variants = union
                    .variants
                    .iter()
                    .map(|v| RustVariant {
                        ident: v.name.clone(),
                        rename: literal(&v.value),
                        payload: format!("Box<{}>", self.model.types[v.ty].name),
                    })
                    .collect();
            }
            TypeKind::Union(variants) => {
                item.is_untagged = true;
                push_note(&mut item.doc, "Untagged: variants are tried in order, most specific first.");
                item.variants = variants
                    .iter()
                    .map(|v| RustVariant {
                        ident: v.name.clone(),
                        rename: String::new(),
                        payload: if v.ty == Type::Null {
                            String::new()
                        } else if let Type::Named(t) = &v.ty {
                            // Boxed: keeps the enum small and breaks recursion.
                            format!("Box<{}>", self.model.types[*t].name)
                        } else {
                            self.ty(&v.ty, Some(id))
                        },
                    })
                    .collect();
            }
            TypeKind::Alias(target) => {
                // Type aliases cannot be recursive; a newtype can.
                if self.graph.is_recursive(id) {
                    item.is_newtype = true;
                    item.target = self.ty(target, Some(id));
                } else {
                    item.is_alias = true;
                    item.target = self.ty(target, None);
                }
            }
        }
        item.partial = if item.is_struct {
            "struct"
        } else if item.is_newtype {
            "newtype"
        } else if item.is_alias {
            "alias"
        } else if item.is_string_enum {
            "string_enum"
        } else if item.is_value_enum {
            "value_enum"
        } else if item.is_tagged {
            "tagged"
        } else {
            "untagged"
        };
        item
    }
}

fn toml_string(s: &str) -> String {
    // JSON string escaping is a subset of TOML basic-string escaping.
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Builds the Rust view of `model`.
pub(crate) fn view(model: &Model, package_name: &str) -> RustView {
    let renderer = Renderer { model, graph: Graph::new(model) };
    let items: Vec<RustItem> = (0..model.types.len()).map(|id| renderer.item(id)).collect();
    let uses_optional = items.iter().any(|i| i.fields.iter().any(|f| f.serde.contains("deserialize_some")));
    let uses_value_enum = items.iter().any(|i| i.is_value_enum);
    let root_doc = model.root_doc();
    RustView {
        package_name: package_name.to_string(),
        crate_name: package_name.replace('-', "_"),
        description_toml: toml_string(&model.package_description(package_name)),
        crate_doc: rust_doc(&root_doc, "//!"),
        detail_type: renderer.ty(&model.root, None),
        uses_optional,
        uses_value_enum,
        meta: Meta { package_name: package_name.to_string(), uses_optional, uses_value_enum },
        items,
        formats: model
            .formats
            .iter()
            .map(|&kind| RustFormat {
                name: kind.type_name().into(),
                keyword: kind.keyword().into(),
                check: format_check(kind).into(),
            })
            .collect(),
    }
}
