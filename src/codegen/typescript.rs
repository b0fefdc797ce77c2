//! TypeScript view model: interfaces and type aliases plus runtime type guards.
//!
//! Optional properties are `name?: T`, nullable ones `T | null`; open objects get an
//! `[key: string]: unknown` index signature. Guards check types, required properties,
//! discriminators, enum values and closed objects, so they reject documents missing required
//! fields or with wrong types.

use serde::Serialize;

use super::model::{Additional, Doc, FormatKind, Model, Type, TypeId, TypeKind};
use super::naming::{doc_lines, is_ts_identifier};

/// Everything the TypeScript templates can use.
#[derive(Debug, Serialize)]
pub(crate) struct TsView {
    package_name: String,
    /// Package description as a JSON string literal (with quotes).
    description_json: String,
    /// File header doc lines (` * ` prefixed).
    header_doc: Vec<String>,
    /// The TypeScript type of a whole document.
    detail_type: String,
    /// Guard expression over `value` for a whole document.
    detail_check: String,
    /// Small context for top-level partials (`{{> helpers meta}}`): handlebars clones the
    /// context of every partial call, so passing the whole view would copy all items.
    meta: Meta,
    items: Vec<TsItem>,
    formats: Vec<TsFormat>,
}

#[derive(Debug, Serialize)]
struct Meta {
    package_name: String,
}

#[derive(Debug, Default, Serialize)]
struct TsItem {
    /// Name of the partial that renders this item.
    partial: &'static str,
    name: String,
    /// JSDoc lines, ` * ` prefixed; empty for none.
    doc: Vec<String>,
    is_interface: bool,
    is_alias: bool,
    fields: Vec<TsField>,
    /// Index signature value type, empty for a closed object.
    index_signature: String,
    /// Alias target.
    target: String,
    /// Body statements of `is{name}(value: unknown)`.
    guard: Vec<String>,
}

#[derive(Debug, Serialize)]
struct TsField {
    /// Property key as written in TypeScript (quoted when not an identifier).
    key: String,
    doc: Vec<String>,
    optional: bool,
    ty: String,
}

#[derive(Debug, Serialize)]
struct TsFormat {
    name: String,
    keyword: String,
    /// A JavaScript regular expression literal.
    regex: String,
}

fn ts_doc(doc: &Doc) -> Vec<String> {
    doc_lines(doc.title.as_deref(), doc.description.as_deref())
        .into_iter()
        .map(|l| if l.is_empty() { " *".into() } else { format!(" * {l}") })
        .collect()
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn ts_key(wire: &str) -> String {
    if is_ts_identifier(wire) { wire.to_string() } else { json_string(wire) }
}

fn format_regex(kind: FormatKind) -> &'static str {
    match kind {
        FormatKind::DateTime => r"/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$/",
        FormatKind::Date => r"/^\d{4}-\d{2}-\d{2}$/",
        FormatKind::Time => r"/^\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$/",
        FormatKind::Uuid => {
            r"/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/"
        }
        FormatKind::Email => r"/^[^@]+@.+$/",
        FormatKind::Uri => r"/^[A-Za-z][A-Za-z0-9+.-]*:/",
        FormatKind::Ipv4 => r"/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/",
        FormatKind::Ipv6 => r"/^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$/",
    }
}

struct Renderer<'m> {
    model: &'m Model,
}

impl Renderer<'_> {
    fn ty(&self, ty: &Type) -> String {
        match ty {
            Type::Any => "unknown".into(),
            Type::Null => "null".into(),
            Type::Bool => "boolean".into(),
            Type::Integer(_) | Type::Number => "number".into(),
            Type::String => "string".into(),
            Type::Format(kind) => kind.type_name().into(),
            Type::Array(item) => format!("Array<{}>", self.ty(item)),
            Type::Tuple(tuple) => {
                let mut parts: Vec<String> = tuple
                    .items
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        let optional = if i < tuple.min_items { "" } else { "?" };
                        format!("({}){optional}", self.ty(t))
                    })
                    .collect();
                if let Some(rest) = &tuple.rest {
                    parts.push(format!("...Array<{}>", self.ty(rest)));
                }
                format!("[{}]", parts.join(", "))
            }
            Type::Map(value) => format!("{{ [key: string]: {} }}", self.ty(value)),
            Type::Nullable(inner) => format!("{} | null", self.ty(inner)),
            Type::Named(id) => self.model.types[*id].name.clone(),
        }
    }

    /// A boolean expression checking that `expr` (of type `unknown`) is a valid `ty`.
    fn check(&self, ty: &Type, expr: &str, depth: usize) -> String {
        let item = format!("item{depth}");
        match ty {
            Type::Any => "true".into(),
            Type::Null => format!("{expr} === null"),
            Type::Bool => format!("typeof {expr} === \"boolean\""),
            Type::Integer(_) => format!("Number.isInteger({expr})"),
            Type::Number => format!("typeof {expr} === \"number\""),
            Type::String => format!("typeof {expr} === \"string\""),
            Type::Format(kind) => format!("is{}({expr})", kind.type_name()),
            Type::Array(inner) => {
                format!("jsonArrayOf({expr}, ({item}: unknown) => {})", self.check(inner, &item, depth + 1))
            }
            Type::Tuple(tuple) => {
                let items: Vec<String> = tuple
                    .items
                    .iter()
                    .map(|t| format!("({item}: unknown) => {}", self.check(t, &item, depth + 1)))
                    .collect();
                let rest = match &tuple.rest {
                    Some(rest) => {
                        format!("({item}: unknown) => {}", self.check(rest, &item, depth + 1))
                    }
                    None => "null".into(),
                };
                format!("jsonTupleOf({expr}, {}, [{}], {rest})", tuple.min_items, items.join(", "))
            }
            Type::Map(inner) => {
                format!("jsonMapOf({expr}, ({item}: unknown) => {})", self.check(inner, &item, depth + 1))
            }
            Type::Nullable(inner) => {
                format!("({expr} === null || {})", self.check(inner, expr, depth))
            }
            Type::Named(id) => format!("is{}({expr})", self.model.types[*id].name),
        }
    }

    fn item(&self, id: TypeId) -> TsItem {
        let def = &self.model.types[id];
        let mut item = TsItem { name: def.name.clone(), doc: ts_doc(&def.doc), ..TsItem::default() };
        match &def.kind {
            TypeKind::Struct(s) => {
                item.is_interface = true;
                let mut guard = vec!["if (!jsonIsObject(value)) return false;".to_string()];
                let mut known: Vec<String> = Vec::new();
                if let Some(tag) = &s.tag {
                    item.fields.push(TsField {
                        key: ts_key(&tag.property),
                        doc: Vec::new(),
                        optional: false,
                        ty: json_string(&tag.value),
                    });
                    guard.push(format!(
                        "if (value[{}] !== {}) return false;",
                        json_string(&tag.property),
                        json_string(&tag.value)
                    ));
                    known.push(tag.property.clone());
                }
                for field in &s.fields {
                    let key = json_string(&field.wire_name);
                    let access = format!("value[{key}]");
                    let check = self.check(&field.ty, &access, 0);
                    if field.required {
                        guard.push(format!("if (!jsonHas(value, {key}) || !({check})) return false;"));
                    } else if check != "true" {
                        guard.push(format!("if (jsonHas(value, {key}) && !({check})) return false;"));
                    }
                    known.push(field.wire_name.clone());
                    item.fields.push(TsField {
                        key: ts_key(&field.wire_name),
                        doc: ts_doc(&field.doc),
                        optional: !field.required,
                        ty: self.ty(&field.ty),
                    });
                }
                let additional_check = match &s.rest.additional {
                    Additional::Any => None,
                    Additional::Closed => Some("false".to_string()),
                    Additional::Typed(t) => Some(self.check(t, "item", 1)),
                };
                item.index_signature = match (&s.rest.additional, s.rest.patterns.is_empty()) {
                    (Additional::Closed, true) => String::new(),
                    (Additional::Typed(t), true) if s.fields.is_empty() && s.tag.is_none() => self.ty(t),
                    _ => "unknown".into(),
                };
                let known_list: Vec<String> = known.iter().map(|k| json_string(k)).collect();
                let skip_known = if known.is_empty() {
                    None
                } else {
                    Some(format!("  if ([{}].includes(key)) continue;", known_list.join(", ")))
                };
                if s.rest.patterns.is_empty() && matches!(s.rest.additional, Additional::Closed) {
                    guard.push(if known.is_empty() {
                        "if (Object.keys(value).length > 0) return false;".to_string()
                    } else {
                        format!(
                            "if (!Object.keys(value).every((key) => [{}].includes(key))) return false;",
                            known_list.join(", ")
                        )
                    });
                } else if s.rest.patterns.is_empty() {
                    if let Some(check) = additional_check {
                        guard.push("for (const [key, item] of Object.entries(value)) {".into());
                        guard.extend(skip_known);
                        guard.push(format!("  if (!({check})) return false;"));
                        guard.push("}".into());
                    }
                } else {
                    guard.push("for (const [key, item] of Object.entries(value)) {".into());
                    guard.extend(skip_known);
                    guard.push("  let matched = false;".into());
                    for (pattern, ty) in &s.rest.patterns {
                        guard.push(format!("  if (jsonPatternMatches({}, key)) {{", json_string(pattern)));
                        guard.push("    matched = true;".into());
                        guard.push(format!("    if (!({})) return false;", self.check(ty, "item", 1)));
                        guard.push("  }".into());
                    }
                    let fallback = additional_check.unwrap_or_else(|| "true".into());
                    guard.push(format!("  if (!matched && !({fallback})) return false;"));
                    guard.push("}".into());
                }
                guard.push("return true;".into());
                item.guard = guard;
            }
            TypeKind::StringEnum(variants) => {
                item.is_alias = true;
                let values: Vec<String> = variants.iter().map(|v| json_string(&v.value)).collect();
                item.target = values.join(" | ");
                item.guard = vec![format!("return [{}].includes(value as string);", values.join(", "))];
            }
            TypeKind::ValueEnum(values) => {
                item.is_alias = true;
                let literals: Vec<String> = values.iter().map(Value::to_string).collect();
                item.target = literals.join(" | ");
                item.guard = vec![format!(
                    "return ([{}] as unknown[]).some((allowed) => jsonEqual(allowed, value));",
                    literals.join(", ")
                )];
            }
            TypeKind::TaggedUnion(union) => {
                item.is_alias = true;
                let names: Vec<String> =
                    union.variants.iter().map(|v| self.model.types[v.ty].name.clone()).collect();
                item.target = names.join(" | ");
                let mut guard = vec![
                    "if (!jsonIsObject(value)) return false;".to_string(),
                    format!("switch (value[{}]) {{", json_string(&union.tag)),
                ];
                for (variant, name) in union.variants.iter().zip(&names) {
                    guard.push(format!("  case {}:", json_string(&variant.value)));
                    guard.push(format!("    return is{name}(value);"));
                }
                guard.push("  default:".into());
                guard.push("    return false;".into());
                guard.push("}".into());
                item.guard = guard;
            }
            TypeKind::Union(variants) => {
                item.is_alias = true;
                let types: Vec<String> = variants.iter().map(|v| self.ty(&v.ty)).collect();
                item.target = types.join(" | ");
                let checks: Vec<String> =
                    variants.iter().map(|v| format!("({})", self.check(&v.ty, "value", 0))).collect();
                item.guard = vec![format!("return {};", checks.join(" || "))];
            }
            TypeKind::Alias(target) => {
                item.is_alias = true;
                item.target = self.ty(target);
                item.guard = vec![format!("return {};", self.check(target, "value", 0))];
            }
        }
        item.partial = if item.is_interface { "interface" } else { "alias" };
        item
    }
}

use serde_json::Value;

/// Builds the TypeScript view of `model`.
pub(crate) fn view(model: &Model, package_name: &str) -> TsView {
    let renderer = Renderer { model };
    let root_doc = model.root_doc();
    TsView {
        package_name: package_name.to_string(),
        description_json: json_string(&model.package_description(package_name)),
        header_doc: ts_doc(&root_doc),
        detail_type: renderer.ty(&model.root),
        detail_check: renderer.check(&model.root, "value", 0),
        meta: Meta { package_name: package_name.to_string() },
        items: (0..model.types.len()).map(|id| renderer.item(id)).collect(),
        formats: model
            .formats
            .iter()
            .map(|&kind| TsFormat {
                name: kind.type_name().into(),
                keyword: kind.keyword().into(),
                regex: format_regex(kind).into(),
            })
            .collect(),
    }
}
