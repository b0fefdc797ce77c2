//! The language-neutral intermediate model a schema is lowered into.
//!
//! Every target language renders this model; nothing here knows about Rust or TypeScript
//! syntax. Type names are already unique and valid identifiers in both languages.

use serde_json::Value;

/// Index of a [`TypeDef`] in [`Model::types`].
pub type TypeId = usize;

/// The lowered schema: named types plus the type of the root document.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Named types, in deterministic discovery order (root first, then the rest).
    pub types: Vec<TypeDef>,
    /// The type of a whole document (exported as `Detail`).
    pub root: Type,
    /// Formats used by `Type::Format` anywhere in the model, sorted.
    pub formats: Vec<FormatKind>,
}

impl Model {
    /// The doc comment of the root type (empty when the root is not a named type).
    pub fn root_doc(&self) -> Doc {
        if let Type::Named(id) = &self.root { self.types[*id].doc.clone() } else { Doc::default() }
    }

    /// One line describing the package: the root's title, else its description, else a
    /// sentence naming the package. Both languages put it in their manifest.
    pub fn package_description(&self, package_name: &str) -> String {
        let doc = self.root_doc();
        let text =
            doc.title.or(doc.description).unwrap_or_else(|| format!("Event bindings for {package_name}"));
        text.lines().next().unwrap_or_default().to_owned()
    }
}

/// A named type.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDef {
    /// Unique PascalCase name.
    pub name: String,
    /// `title` / `description` of the schema, for doc comments.
    pub doc: Doc,
    /// What the type is.
    pub kind: TypeKind,
}

/// Documentation taken from `title` and `description`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Doc {
    /// The schema's `title`.
    pub title: Option<String>,
    /// The schema's `description`.
    pub description: Option<String>,
}

/// The shape of a named type.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    /// An object with known properties.
    Struct(StructDef),
    /// An `enum`/`const` whose values are all strings.
    StringEnum(Vec<EnumVariant>),
    /// An `enum`/`const` with numbers, booleans, `null`, or mixed values.
    ValueEnum(Vec<Value>),
    /// A `oneOf`/`anyOf` whose object branches share a string `const` discriminator.
    TaggedUnion(TaggedUnion),
    /// Any other `oneOf`/`anyOf`, variants ordered most specific first.
    Union(Vec<UnionVariant>),
    /// A named alias for another type (a `$defs` entry that is not an object, enum or union).
    Alias(Type),
}

/// An object type with known properties.
#[derive(Debug, Clone, PartialEq)]
pub struct StructDef {
    /// Properties in schema order, then names only listed in `required`.
    pub fields: Vec<Field>,
    /// What happens to properties not listed in `fields`.
    pub rest: Rest,
    /// Set when this struct is a branch of a tagged union: the discriminator property,
    /// which is *not* in `fields`, and its value for this branch.
    pub tag: Option<Tag>,
}

/// The discriminator of a tagged-union branch.
#[derive(Debug, Clone, PartialEq)]
pub struct Tag {
    /// Property name on the wire.
    pub property: String,
    /// The constant value that selects this branch.
    pub value: String,
}

/// One property of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The property name exactly as on the wire.
    pub wire_name: String,
    /// The value type; nullable values are `Type::Nullable`.
    pub ty: Type,
    /// Listed in `required`.
    pub required: bool,
    /// Documentation of the property schema.
    pub doc: Doc,
}

/// Unknown-property handling of an object (`patternProperties` + `additionalProperties`).
#[derive(Debug, Clone, PartialEq)]
pub struct Rest {
    /// `patternProperties`, in schema order: ECMA-262 pattern and value type.
    pub patterns: Vec<(String, Type)>,
    /// `additionalProperties`.
    pub additional: Additional,
}

/// The `additionalProperties` policy.
#[derive(Debug, Clone, PartialEq)]
pub enum Additional {
    /// Absent or `true`: any extra property, kept verbatim.
    Any,
    /// `false`: no extra properties.
    Closed,
    /// A schema: extra properties of this type.
    Typed(Type),
}

/// A value of a string enum.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumVariant {
    /// Unique PascalCase variant name.
    pub name: String,
    /// The string on the wire.
    pub value: String,
}

/// A tagged union.
#[derive(Debug, Clone, PartialEq)]
pub struct TaggedUnion {
    /// The discriminator property.
    pub tag: String,
    /// Branches in schema order.
    pub variants: Vec<TaggedVariant>,
}

/// One branch of a tagged union.
#[derive(Debug, Clone, PartialEq)]
pub struct TaggedVariant {
    /// Unique PascalCase variant name.
    pub name: String,
    /// The discriminator value.
    pub value: String,
    /// The branch struct (a [`TypeKind::Struct`] whose `tag` is set).
    pub ty: TypeId,
}

/// One branch of an untagged union.
#[derive(Debug, Clone, PartialEq)]
pub struct UnionVariant {
    /// Unique PascalCase variant name.
    pub name: String,
    /// The branch type.
    pub ty: Type,
}

/// A type expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    /// Any JSON value (`true` schema, or no type constraints).
    Any,
    /// Only `null`.
    Null,
    /// `boolean`.
    Bool,
    /// `integer`, with the narrowest width that holds the declared bounds.
    Integer(IntWidth),
    /// `number`: kept exactly as written (`1` stays `1`, `1.0` stays `1.0`).
    Number,
    /// `string`.
    String,
    /// A `string` with a known `format`, only when typed formats are enabled.
    Format(FormatKind),
    /// `array` with `items`.
    Array(Box<Type>),
    /// `prefixItems` (or draft 4-7 array-form `items`).
    Tuple(Tuple),
    /// An object used as a dictionary: `additionalProperties` schema and no properties.
    Map(Box<Type>),
    /// The value may also be `null`.
    Nullable(Box<Type>),
    /// A reference to a named type.
    Named(TypeId),
}

/// A tuple (positional array).
#[derive(Debug, Clone, PartialEq)]
pub struct Tuple {
    /// Types of the leading positions.
    pub items: Vec<Type>,
    /// `minItems` (how many leading positions are mandatory).
    pub min_items: usize,
    /// Items after the leading positions: `None` when forbidden (`items: false`).
    pub rest: Option<Box<Type>>,
}

impl Tuple {
    /// True when every valid array has exactly `items.len()` elements.
    pub fn is_exact(&self) -> bool {
        self.rest.is_none() && self.min_items >= self.items.len()
    }
}

/// Integer width chosen from `minimum`/`maximum` (and their exclusive forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum IntWidth {
    /// 0..=255
    U8,
    /// 0..=65535
    U16,
    /// 0..=4294967295
    U32,
    /// non-negative, otherwise unbounded or larger
    U64,
    /// -128..=127
    I8,
    /// -32768..=32767
    I16,
    /// -2147483648..=2147483647
    I32,
    /// anything else
    I64,
}

/// String formats that get typed values when `Options::typed_formats` is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FormatKind {
    /// `date-time` (RFC 3339)
    DateTime,
    /// `date` (RFC 3339 full-date)
    Date,
    /// `time` (RFC 3339 full-time)
    Time,
    /// `uuid`
    Uuid,
    /// `email`
    Email,
    /// `uri`
    Uri,
    /// `ipv4`
    Ipv4,
    /// `ipv6`
    Ipv6,
}

impl FormatKind {
    /// All formats, in the order used for output.
    pub const ALL: [FormatKind; 8] =
        [Self::DateTime, Self::Date, Self::Time, Self::Uuid, Self::Email, Self::Uri, Self::Ipv4, Self::Ipv6];

    /// The `format` keyword value.
    pub fn keyword(self) -> &'static str {
        match self {
            Self::DateTime => "date-time",
            Self::Date => "date",
            Self::Time => "time",
            Self::Uuid => "uuid",
            Self::Email => "email",
            Self::Uri => "uri",
            Self::Ipv4 => "ipv4",
            Self::Ipv6 => "ipv6",
        }
    }

    /// Name of the generated wrapper type (reserved in the type namespace).
    pub fn type_name(self) -> &'static str {
        match self {
            Self::DateTime => "DateTimeString",
            Self::Date => "DateString",
            Self::Time => "TimeString",
            Self::Uuid => "UuidString",
            Self::Email => "EmailString",
            Self::Uri => "UriString",
            Self::Ipv4 => "Ipv4String",
            Self::Ipv6 => "Ipv6String",
        }
    }

    /// Parses a `format` keyword value.
    pub fn from_keyword(keyword: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.keyword() == keyword)
    }
}
