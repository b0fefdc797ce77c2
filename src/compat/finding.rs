//! Finding types, findings and reports.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::mode::{CompatibilityMode, Direction, ParseNameError, Policy};

/// Declares [`FindingType`] from one table so that the wire name, the verdicts under each
/// policy and the inverse change can never drift apart.
macro_rules! finding_types {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $strict:expr, $lenient:expr, $inverse:ident; )*) => {
        /// The kind of a change between two schemas, named from the point of view of the
        /// comparison's "from" schema towards its "to" schema (old → new for a backward
        /// check). Names follow the standard classification where one exists.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum FindingType {
            $( $(#[$doc])* $variant, )*
        }

        impl FindingType {
            /// Every finding type, in table order.
            pub const ALL: &'static [Self] = &[ $(Self::$variant,)* ];

            /// The stable wire name, e.g. `"TYPE_NARROWED"`.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name,)* }
            }

            /// Whether a change of this type keeps documents of the "from" schema valid
            /// under the "to" schema, as judged by `policy`.
            #[must_use]
            pub const fn is_compatible_under(self, policy: Policy) -> bool {
                match policy {
                    Policy::Strict => match self { $(Self::$variant => $strict,)* },
                    Policy::Lenient => match self { $(Self::$variant => $lenient,)* },
                }
            }

            /// The type the same change gets when the comparison runs the other way
            /// (new → old), used to pair backward and forward findings in a diff.
            #[must_use]
            pub const fn inverse(self) -> Self {
                match self { $(Self::$variant => Self::$inverse,)* }
            }
        }
    };
}

finding_types! {
    /// `$id` changed (annotation only).
    IdChanged = "ID_CHANGED", true, true, IdChanged;
    /// `description` changed (annotation only).
    DescriptionChanged = "DESCRIPTION_CHANGED", true, true, DescriptionChanged;
    /// `title` changed (annotation only).
    TitleChanged = "TITLE_CHANGED", true, true, TitleChanged;
    /// `default` changed (annotation only).
    DefaultChanged = "DEFAULT_CHANGED", true, true, DefaultChanged;
    /// A subschema (e.g. single-schema `items`) constrains a position that was unconstrained.
    SchemaAdded = "SCHEMA_ADDED", false, false, SchemaRemoved;
    /// A subschema that constrained a position was removed.
    SchemaRemoved = "SCHEMA_REMOVED", true, true, SchemaAdded;
    /// The set of allowed JSON types grew (`integer` to `number`, a type added, `type` removed).
    TypeExtended = "TYPE_EXTENDED", true, true, TypeNarrowed;
    /// The set of allowed JSON types shrank (or the schema became `false`).
    TypeNarrowed = "TYPE_NARROWED", false, false, TypeExtended;
    /// The allowed JSON types changed to a set that neither contains nor is contained in the old one.
    TypeChanged = "TYPE_CHANGED", false, false, TypeChanged;
    /// `maxLength` added.
    MaxLengthAdded = "MAX_LENGTH_ADDED", false, false, MaxLengthRemoved;
    /// `maxLength` removed.
    MaxLengthRemoved = "MAX_LENGTH_REMOVED", true, true, MaxLengthAdded;
    /// `maxLength` increased.
    MaxLengthIncreased = "MAX_LENGTH_INCREASED", true, true, MaxLengthDecreased;
    /// `maxLength` decreased.
    MaxLengthDecreased = "MAX_LENGTH_DECREASED", false, false, MaxLengthIncreased;
    /// `minLength` added.
    MinLengthAdded = "MIN_LENGTH_ADDED", false, false, MinLengthRemoved;
    /// `minLength` removed.
    MinLengthRemoved = "MIN_LENGTH_REMOVED", true, true, MinLengthAdded;
    /// `minLength` increased.
    MinLengthIncreased = "MIN_LENGTH_INCREASED", false, false, MinLengthDecreased;
    /// `minLength` decreased.
    MinLengthDecreased = "MIN_LENGTH_DECREASED", true, true, MinLengthIncreased;
    /// `pattern` added.
    PatternAdded = "PATTERN_ADDED", false, false, PatternRemoved;
    /// `pattern` removed.
    PatternRemoved = "PATTERN_REMOVED", true, true, PatternAdded;
    /// `pattern` changed (no regular-expression inclusion analysis is attempted).
    PatternChanged = "PATTERN_CHANGED", false, false, PatternChanged;
    /// `format` added (beyond the standard, which ignores `format`).
    FormatAdded = "FORMAT_ADDED", false, false, FormatRemoved;
    /// `format` removed.
    FormatRemoved = "FORMAT_REMOVED", true, true, FormatAdded;
    /// `format` changed to a different format.
    FormatChanged = "FORMAT_CHANGED", false, false, FormatChanged;
    /// `maximum` added and not implied by an existing upper bound.
    MaximumAdded = "MAXIMUM_ADDED", false, false, MaximumRemoved;
    /// `maximum` removed.
    MaximumRemoved = "MAXIMUM_REMOVED", true, true, MaximumAdded;
    /// `maximum` increased.
    MaximumIncreased = "MAXIMUM_INCREASED", true, true, MaximumDecreased;
    /// `maximum` decreased.
    MaximumDecreased = "MAXIMUM_DECREASED", false, false, MaximumIncreased;
    /// `minimum` added and not implied by an existing lower bound.
    MinimumAdded = "MINIMUM_ADDED", false, false, MinimumRemoved;
    /// `minimum` removed.
    MinimumRemoved = "MINIMUM_REMOVED", true, true, MinimumAdded;
    /// `minimum` increased.
    MinimumIncreased = "MINIMUM_INCREASED", false, false, MinimumDecreased;
    /// `minimum` decreased.
    MinimumDecreased = "MINIMUM_DECREASED", true, true, MinimumIncreased;
    /// `exclusiveMaximum` added (draft-4 boolean form normalised) and not implied by an existing upper bound.
    ExclusiveMaximumAdded = "EXCLUSIVE_MAXIMUM_ADDED", false, false, ExclusiveMaximumRemoved;
    /// `exclusiveMaximum` removed.
    ExclusiveMaximumRemoved = "EXCLUSIVE_MAXIMUM_REMOVED", true, true, ExclusiveMaximumAdded;
    /// `exclusiveMaximum` increased.
    ExclusiveMaximumIncreased = "EXCLUSIVE_MAXIMUM_INCREASED", true, true, ExclusiveMaximumDecreased;
    /// `exclusiveMaximum` decreased.
    ExclusiveMaximumDecreased = "EXCLUSIVE_MAXIMUM_DECREASED", false, false, ExclusiveMaximumIncreased;
    /// `exclusiveMinimum` added and not implied by an existing lower bound.
    ExclusiveMinimumAdded = "EXCLUSIVE_MINIMUM_ADDED", false, false, ExclusiveMinimumRemoved;
    /// `exclusiveMinimum` removed.
    ExclusiveMinimumRemoved = "EXCLUSIVE_MINIMUM_REMOVED", true, true, ExclusiveMinimumAdded;
    /// `exclusiveMinimum` increased.
    ExclusiveMinimumIncreased = "EXCLUSIVE_MINIMUM_INCREASED", false, false, ExclusiveMinimumDecreased;
    /// `exclusiveMinimum` decreased.
    ExclusiveMinimumDecreased = "EXCLUSIVE_MINIMUM_DECREASED", true, true, ExclusiveMinimumIncreased;
    /// `multipleOf` added.
    MultipleOfAdded = "MULTIPLE_OF_ADDED", false, false, MultipleOfRemoved;
    /// `multipleOf` removed.
    MultipleOfRemoved = "MULTIPLE_OF_REMOVED", true, true, MultipleOfAdded;
    /// `multipleOf` changed to a divisor of the old value (10 to 5).
    MultipleOfReduced = "MULTIPLE_OF_REDUCED", true, true, MultipleOfExpanded;
    /// `multipleOf` changed to a multiple of the old value (5 to 10).
    MultipleOfExpanded = "MULTIPLE_OF_EXPANDED", false, false, MultipleOfReduced;
    /// `multipleOf` changed to an unrelated value.
    MultipleOfChanged = "MULTIPLE_OF_CHANGED", false, false, MultipleOfChanged;
    /// A property declared in both versions became required.
    RequiredAttributeAdded = "REQUIRED_ATTRIBUTE_ADDED", false, false, RequiredAttributeRemoved;
    /// A property with a `default` became required (STRICT deviates from the standard here: `default` is an annotation, old documents without the property fail validation).
    RequiredAttributeWithDefaultAdded = "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", false, true, RequiredAttributeRemoved;
    /// A property is no longer required.
    RequiredAttributeRemoved = "REQUIRED_ATTRIBUTE_REMOVED", true, true, RequiredAttributeAdded;
    /// `required` gained a name that is not declared in `properties` (the standard does not see this).
    RequiredUndeclaredPropertyAdded = "REQUIRED_UNDECLARED_PROPERTY_ADDED", false, false, RequiredAttributeRemoved;
    /// `maxProperties` added.
    MaxPropertiesAdded = "MAX_PROPERTIES_ADDED", false, false, MaxPropertiesRemoved;
    /// `maxProperties` removed.
    MaxPropertiesRemoved = "MAX_PROPERTIES_REMOVED", true, true, MaxPropertiesAdded;
    /// `maxProperties` increased.
    MaxPropertiesIncreased = "MAX_PROPERTIES_INCREASED", true, true, MaxPropertiesDecreased;
    /// `maxProperties` decreased.
    MaxPropertiesDecreased = "MAX_PROPERTIES_DECREASED", false, false, MaxPropertiesIncreased;
    /// `minProperties` added.
    MinPropertiesAdded = "MIN_PROPERTIES_ADDED", false, false, MinPropertiesRemoved;
    /// `minProperties` removed.
    MinPropertiesRemoved = "MIN_PROPERTIES_REMOVED", true, true, MinPropertiesAdded;
    /// `minProperties` increased.
    MinPropertiesIncreased = "MIN_PROPERTIES_INCREASED", false, false, MinPropertiesDecreased;
    /// `minProperties` decreased.
    MinPropertiesDecreased = "MIN_PROPERTIES_DECREASED", true, true, MinPropertiesIncreased;
    /// `additionalProperties` went from `false` to allowed.
    AdditionalPropertiesAdded = "ADDITIONAL_PROPERTIES_ADDED", true, true, AdditionalPropertiesRemoved;
    /// `additionalProperties` went from allowed to `false`.
    AdditionalPropertiesRemoved = "ADDITIONAL_PROPERTIES_REMOVED", false, true, AdditionalPropertiesAdded;
    /// `additionalProperties` went from a schema (or `false`) to a wider schema or `true`.
    AdditionalPropertiesExtended = "ADDITIONAL_PROPERTIES_EXTENDED", true, true, AdditionalPropertiesNarrowed;
    /// `additionalProperties` went from `true`/absent to a schema, or from a schema to `false`.
    AdditionalPropertiesNarrowed = "ADDITIONAL_PROPERTIES_NARROWED", false, true, AdditionalPropertiesExtended;
    /// `unevaluatedProperties` went from `false` to allowed.
    UnevaluatedPropertiesAdded = "UNEVALUATED_PROPERTIES_ADDED", true, true, UnevaluatedPropertiesRemoved;
    /// `unevaluatedProperties` went from allowed to `false`.
    UnevaluatedPropertiesRemoved = "UNEVALUATED_PROPERTIES_REMOVED", false, true, UnevaluatedPropertiesAdded;
    /// `unevaluatedProperties` went from a schema (or `false`) to `true`/absent.
    UnevaluatedPropertiesExtended = "UNEVALUATED_PROPERTIES_EXTENDED", true, true, UnevaluatedPropertiesNarrowed;
    /// `unevaluatedProperties` went from `true`/absent to a schema, or from a schema to `false`.
    UnevaluatedPropertiesNarrowed = "UNEVALUATED_PROPERTIES_NARROWED", false, true, UnevaluatedPropertiesExtended;
    /// `unevaluatedProperties`/`unevaluatedItems` is next to in-place applicators (`allOf`, `$ref`, ...) that changed, so which members it applies to cannot be proven unchanged.
    UnevaluatedScopeUnproven = "UNEVALUATED_SCOPE_UNPROVEN", false, false, UnevaluatedScopeUnproven;
    /// A property whose schema accepts anything was added to an open model.
    PropertyWithEmptySchemaAddedToOpenContentModel = "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", true, true, PropertyRemovedFromOpenContentModel;
    /// An optional property was added to an open model: old documents may carry that key with any value.
    OptionalPropertyAddedToOpenContentModel = "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", false, true, PropertyRemovedFromOpenContentModel;
    /// A required property without `default` was added to an open model.
    RequiredPropertyAddedToOpenContentModel = "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", false, false, PropertyRemovedFromOpenContentModel;
    /// A required property with a `default` was added to an open model.
    RequiredPropertyWithDefaultAddedToOpenContentModel = "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL", false, true, PropertyRemovedFromOpenContentModel;
    /// An optional property was added to a closed model: old documents never had it.
    OptionalPropertyAddedToUnopenContentModel = "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", true, true, PropertyRemovedFromClosedContentModel;
    /// A required property without `default` was added to a closed or partially open model.
    RequiredPropertyAddedToUnopenContentModel = "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", false, false, PropertyRemovedFromClosedContentModel;
    /// A required property with a `default` was added to a closed or partially open model (STRICT deviates from the standard: see REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED).
    RequiredPropertyWithDefaultAddedToUnopenContentModel = "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL", false, true, PropertyRemovedFromClosedContentModel;
    /// A property was removed from a model that is open in the new version.
    PropertyRemovedFromOpenContentModel = "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", true, true, OptionalPropertyAddedToOpenContentModel;
    /// A property was removed from a model that is closed in the new version: old documents carrying it are rejected.
    PropertyRemovedFromClosedContentModel = "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", false, true, OptionalPropertyAddedToUnopenContentModel;
    /// A property whose schema was `false` was removed from a closed model.
    PropertyWithFalseRemovedFromClosedContentModel = "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", true, true, OptionalPropertyAddedToUnopenContentModel;
    /// A property was added whose schema accepts everything the old `additionalProperties`/`patternProperties`/`unevaluatedProperties` accepted.
    PropertyAddedIsCoveredByPartiallyOpenContentModel = "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", true, true, PropertyRemovedIsCoveredByPartiallyOpenContentModel;
    /// A property was added whose schema is narrower than what the old partially open model accepted for that key.
    PropertyAddedNotCoveredByPartiallyOpenContentModel = "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", false, true, PropertyRemovedNotCoveredByPartiallyOpenContentModel;
    /// A property was removed and the new partially open model accepts its old values.
    PropertyRemovedIsCoveredByPartiallyOpenContentModel = "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", true, true, PropertyAddedIsCoveredByPartiallyOpenContentModel;
    /// A property was removed and the new partially open model rejects some of its old values.
    PropertyRemovedNotCoveredByPartiallyOpenContentModel = "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", false, true, PropertyAddedNotCoveredByPartiallyOpenContentModel;
    /// A `patternProperties` entry was added; without regex analysis the keys it now constrains cannot be bounded.
    PatternPropertyAdded = "PATTERN_PROPERTY_ADDED", false, false, PatternPropertyRemovedIsCovered;
    /// A `patternProperties` entry accepting anything was added.
    PatternPropertyWithEmptySchemaAdded = "PATTERN_PROPERTY_WITH_EMPTY_SCHEMA_ADDED", true, true, PatternPropertyRemovedIsCovered;
    /// A `patternProperties` entry was removed and the new `additionalProperties` accepts what it accepted.
    PatternPropertyRemovedIsCovered = "PATTERN_PROPERTY_REMOVED_IS_COVERED", true, true, PatternPropertyAdded;
    /// A `patternProperties` entry was removed and the new `additionalProperties` rejects some of what it accepted.
    PatternPropertyRemovedNotCovered = "PATTERN_PROPERTY_REMOVED_NOT_COVERED", false, false, PatternPropertyAdded;
    /// `propertyNames` added (the standard ignores it).
    PropertyNamesAdded = "PROPERTY_NAMES_ADDED", false, false, PropertyNamesRemoved;
    /// `propertyNames` removed.
    PropertyNamesRemoved = "PROPERTY_NAMES_REMOVED", true, true, PropertyNamesAdded;
    /// A property dependency (`dependencies` array form or `dependentRequired`) added.
    DependencyArrayAdded = "DEPENDENCY_ARRAY_ADDED", false, false, DependencyArrayRemoved;
    /// A property dependency removed.
    DependencyArrayRemoved = "DEPENDENCY_ARRAY_REMOVED", true, true, DependencyArrayAdded;
    /// A property dependency lists more names.
    DependencyArrayExtended = "DEPENDENCY_ARRAY_EXTENDED", false, false, DependencyArrayNarrowed;
    /// A property dependency lists fewer names.
    DependencyArrayNarrowed = "DEPENDENCY_ARRAY_NARROWED", true, true, DependencyArrayExtended;
    /// A property dependency lists different names, or switched between array and schema form.
    DependencyArrayChanged = "DEPENDENCY_ARRAY_CHANGED", false, false, DependencyArrayChanged;
    /// A schema dependency (`dependencies` schema form or `dependentSchemas`) added.
    DependencySchemaAdded = "DEPENDENCY_SCHEMA_ADDED", false, false, DependencySchemaRemoved;
    /// A schema dependency removed.
    DependencySchemaRemoved = "DEPENDENCY_SCHEMA_REMOVED", true, true, DependencySchemaAdded;
    /// `maxItems` added.
    MaxItemsAdded = "MAX_ITEMS_ADDED", false, false, MaxItemsRemoved;
    /// `maxItems` removed.
    MaxItemsRemoved = "MAX_ITEMS_REMOVED", true, true, MaxItemsAdded;
    /// `maxItems` increased.
    MaxItemsIncreased = "MAX_ITEMS_INCREASED", true, true, MaxItemsDecreased;
    /// `maxItems` decreased.
    MaxItemsDecreased = "MAX_ITEMS_DECREASED", false, false, MaxItemsIncreased;
    /// `minItems` added.
    MinItemsAdded = "MIN_ITEMS_ADDED", false, false, MinItemsRemoved;
    /// `minItems` removed.
    MinItemsRemoved = "MIN_ITEMS_REMOVED", true, true, MinItemsAdded;
    /// `minItems` increased.
    MinItemsIncreased = "MIN_ITEMS_INCREASED", false, false, MinItemsDecreased;
    /// `minItems` decreased.
    MinItemsDecreased = "MIN_ITEMS_DECREASED", true, true, MinItemsIncreased;
    /// `uniqueItems: true` added.
    UniqueItemsAdded = "UNIQUE_ITEMS_ADDED", false, false, UniqueItemsRemoved;
    /// `uniqueItems: true` removed.
    UniqueItemsRemoved = "UNIQUE_ITEMS_REMOVED", true, true, UniqueItemsAdded;
    /// Items after the tuple went from `false` to allowed.
    AdditionalItemsAdded = "ADDITIONAL_ITEMS_ADDED", true, true, AdditionalItemsRemoved;
    /// Items after the tuple went from allowed to `false`.
    AdditionalItemsRemoved = "ADDITIONAL_ITEMS_REMOVED", false, false, AdditionalItemsAdded;
    /// Items after the tuple went from a schema to `true`/absent.
    AdditionalItemsExtended = "ADDITIONAL_ITEMS_EXTENDED", true, true, AdditionalItemsNarrowed;
    /// Items after the tuple went from `true`/absent to a schema.
    AdditionalItemsNarrowed = "ADDITIONAL_ITEMS_NARROWED", false, false, AdditionalItemsExtended;
    /// `unevaluatedItems` went from `false` to allowed.
    UnevaluatedItemsAdded = "UNEVALUATED_ITEMS_ADDED", true, true, UnevaluatedItemsRemoved;
    /// `unevaluatedItems` went from allowed to `false`.
    UnevaluatedItemsRemoved = "UNEVALUATED_ITEMS_REMOVED", false, false, UnevaluatedItemsAdded;
    /// `unevaluatedItems` went from a schema to `true`/absent.
    UnevaluatedItemsExtended = "UNEVALUATED_ITEMS_EXTENDED", true, true, UnevaluatedItemsNarrowed;
    /// `unevaluatedItems` went from `true`/absent to a schema.
    UnevaluatedItemsNarrowed = "UNEVALUATED_ITEMS_NARROWED", false, false, UnevaluatedItemsExtended;
    /// A tuple position accepting anything was added to an open tuple.
    ItemWithEmptySchemaAddedToOpenContentModel = "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", true, true, ItemRemovedFromOpenContentModel;
    /// A constrained tuple position was added to an open tuple.
    ItemAddedToOpenContentModel = "ITEM_ADDED_TO_OPEN_CONTENT_MODEL", false, false, ItemRemovedFromOpenContentModel;
    /// A tuple position was added to a closed tuple: old arrays never reached it.
    ItemAddedToClosedContentModel = "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL", true, true, ItemRemovedFromClosedContentModel;
    /// A tuple position was removed and the new tuple is open.
    ItemRemovedFromOpenContentModel = "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL", true, true, ItemAddedToOpenContentModel;
    /// A tuple position was removed and the new tuple is closed.
    ItemRemovedFromClosedContentModel = "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", false, false, ItemAddedToClosedContentModel;
    /// A tuple position whose schema was `false` was removed from a closed tuple.
    ItemWithFalseRemovedFromClosedContentModel = "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", true, true, ItemAddedToClosedContentModel;
    /// A tuple position was added whose schema accepts everything the old rest-of-array schema accepted.
    ItemAddedIsCoveredByPartiallyOpenContentModel = "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", true, true, ItemRemovedIsCoveredByPartiallyOpenContentModel;
    /// A tuple position was added that is narrower than the old rest-of-array schema.
    ItemAddedNotCoveredByPartiallyOpenContentModel = "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", false, false, ItemRemovedNotCoveredByPartiallyOpenContentModel;
    /// A tuple position was removed and the new rest-of-array schema accepts its old values.
    ItemRemovedIsCoveredByPartiallyOpenContentModel = "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", true, true, ItemAddedIsCoveredByPartiallyOpenContentModel;
    /// A tuple position was removed and the new rest-of-array schema rejects some of its old values.
    ItemRemovedNotCoveredByPartiallyOpenContentModel = "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", false, false, ItemAddedNotCoveredByPartiallyOpenContentModel;
    /// `contains` added (the standard ignores the `contains` subschema).
    ContainsAdded = "CONTAINS_ADDED", false, false, ContainsRemoved;
    /// `contains` removed.
    ContainsRemoved = "CONTAINS_REMOVED", true, true, ContainsAdded;
    /// `maxContains` applies and the `contains` subschema is not provably equivalent, so more items may count against the maximum.
    MaxContainsScopeChanged = "MAX_CONTAINS_SCOPE_CHANGED", false, false, MaxContainsScopeChanged;
    /// `maxContains` added.
    MaxContainsAdded = "MAX_CONTAINS_ADDED", false, false, MaxContainsRemoved;
    /// `maxContains` removed.
    MaxContainsRemoved = "MAX_CONTAINS_REMOVED", true, true, MaxContainsAdded;
    /// `maxContains` increased.
    MaxContainsIncreased = "MAX_CONTAINS_INCREASED", true, true, MaxContainsDecreased;
    /// `maxContains` decreased.
    MaxContainsDecreased = "MAX_CONTAINS_DECREASED", false, false, MaxContainsIncreased;
    /// `minContains` added (above the implicit 1).
    MinContainsAdded = "MIN_CONTAINS_ADDED", false, false, MinContainsRemoved;
    /// `minContains` removed.
    MinContainsRemoved = "MIN_CONTAINS_REMOVED", true, true, MinContainsAdded;
    /// `minContains` increased.
    MinContainsIncreased = "MIN_CONTAINS_INCREASED", false, false, MinContainsDecreased;
    /// `minContains` decreased.
    MinContainsDecreased = "MIN_CONTAINS_DECREASED", true, true, MinContainsIncreased;
    /// `enum` or `const` added where values were unrestricted.
    EnumArrayAdded = "ENUM_ARRAY_ADDED", false, false, EnumArrayRemoved;
    /// `enum`/`const` removed (the standard reports this as PRODUCT_TYPE_NARROWED).
    EnumArrayRemoved = "ENUM_ARRAY_REMOVED", true, true, EnumArrayAdded;
    /// The allowed values (`enum`/`const`) gained values.
    EnumArrayExtended = "ENUM_ARRAY_EXTENDED", true, true, EnumArrayNarrowed;
    /// The allowed values lost values.
    EnumArrayNarrowed = "ENUM_ARRAY_NARROWED", false, false, EnumArrayExtended;
    /// The allowed values changed (both gained and lost, e.g. `const` changed).
    EnumArrayChanged = "ENUM_ARRAY_CHANGED", false, false, EnumArrayChanged;
    /// The combinator changed in a widening way (e.g. every old branch is covered by the new plain schema).
    CombinedTypeExtended = "COMBINED_TYPE_EXTENDED", true, true, CombinedTypeChanged;
    /// The combinator changed and no branch of the new schema covers the old one.
    CombinedTypeChanged = "COMBINED_TYPE_CHANGED", false, false, CombinedTypeExtended;
    /// `allOf` lost conjuncts (or a new constraint is implied by an old conjunct).
    ProductTypeNarrowed = "PRODUCT_TYPE_NARROWED", true, true, ProductTypeExtended;
    /// `allOf` gained a conjunct not implied by the old schema.
    ProductTypeExtended = "PRODUCT_TYPE_EXTENDED", false, false, ProductTypeNarrowed;
    /// `anyOf`/`oneOf` gained branches, or a plain schema became a union with a covering branch.
    SumTypeExtended = "SUM_TYPE_EXTENDED", true, true, SumTypeNarrowed;
    /// `anyOf`/`oneOf` lost a branch that no remaining branch covers.
    SumTypeNarrowed = "SUM_TYPE_NARROWED", false, false, SumTypeExtended;
    /// An old branch is not covered by any new branch (branch matching failed).
    CombinedTypeSubschemasChanged = "COMBINED_TYPE_SUBSCHEMAS_CHANGED", false, false, CombinedTypeSubschemasChanged;
    /// Two `oneOf` branches of the new schema may both match an old document, which `oneOf` rejects (the standard does not check this).
    OneOfExclusivityUnproven = "ONE_OF_EXCLUSIVITY_UNPROVEN", false, false, OneOfExclusivityUnproven;
    /// `not` added and not provably disjoint from the old schema.
    NotTypeAdded = "NOT_TYPE_ADDED", false, false, NotTypeRemoved;
    /// `not` added, provably disjoint from the old schema.
    NotTypeAddedIsDisjoint = "NOT_TYPE_ADDED_IS_DISJOINT", true, true, NotTypeRemoved;
    /// `not` removed.
    NotTypeRemoved = "NOT_TYPE_REMOVED", true, true, NotTypeAdded;
    /// `not: X` became `not: Y` with Y contained in X.
    NotTypeNarrowed = "NOT_TYPE_NARROWED", true, true, NotTypeExtended;
    /// `not: X` became `not: Y` with Y not provably contained in X.
    NotTypeExtended = "NOT_TYPE_EXTENDED", false, false, NotTypeNarrowed;
    /// `if`/`then`/`else` added and both branches are implied by the old schema.
    ConditionalAddedIsCovered = "CONDITIONAL_ADDED_IS_COVERED", true, true, ConditionalRemoved;
    /// `if`/`then`/`else` added (the standard ignores conditionals).
    ConditionalAddedNotCovered = "CONDITIONAL_ADDED_NOT_COVERED", false, false, ConditionalRemoved;
    /// `if`/`then`/`else` removed.
    ConditionalRemoved = "CONDITIONAL_REMOVED", true, true, ConditionalAddedNotCovered;
    /// The `if` condition changed to a non-equivalent schema.
    ConditionalChanged = "CONDITIONAL_CHANGED", false, false, ConditionalChanged;
    /// A `$ref` could not be resolved (not local, not in the supplied registry map): compatibility cannot be proven.
    RefUnresolved = "REF_UNRESOLVED", false, false, RefUnresolved;
    /// A `$ref` cycle re-enters the same pair of schemas without descending into the document: compatibility cannot be proven.
    RecursionUnproven = "RECURSION_UNPROVEN", false, false, RecursionUnproven;
    /// The comparison exceeded its work budget (combinator explosion): compatibility cannot be proven.
    AnalysisLimitExceeded = "ANALYSIS_LIMIT_EXCEEDED", false, false, AnalysisLimitExceeded;
    /// A validation keyword the checker does not analyse (e.g. `contentMediaType`, `$dynamicRef`) was added.
    KeywordAdded = "KEYWORD_ADDED", false, false, KeywordRemoved;
    /// A validation keyword the checker does not analyse was removed.
    KeywordRemoved = "KEYWORD_REMOVED", true, true, KeywordAdded;
    /// A validation keyword the checker does not analyse changed value.
    KeywordChanged = "KEYWORD_CHANGED", false, false, KeywordChanged;
}

impl fmt::Display for FindingType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FindingType {
    type Err = ParseNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| ParseNameError { what: "finding type", input: s.to_owned() })
    }
}

impl Serialize for FindingType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FindingType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// One classified change found while comparing two schemas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The change type.
    #[serde(rename = "type")]
    pub kind: FindingType,
    /// JSON Pointer-style location in the schema, e.g. `#/properties/foo/maxLength`.
    /// `$ref`s are followed transparently, so the path reads as if they were inlined.
    pub path: String,
    /// Whether this change keeps the checked direction compatible under the policy used.
    pub compatible: bool,
    /// A sentence for humans.
    pub message: String,
    /// The direction this finding was produced for (set in reports from
    /// [`check_against_versions`](super::check_against_versions)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// The earlier version this finding was produced against (set in reports from
    /// [`check_against_versions`](super::check_against_versions)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
}

/// The outcome of checking a new schema against earlier versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompatReport {
    /// `true` when no finding is incompatible.
    pub compatible: bool,
    /// The mode that was applied.
    pub mode: CompatibilityMode,
    /// The policy that was applied.
    pub policy: Policy,
    /// The earlier versions actually compared against, newest first.
    pub checked_against: Vec<u32>,
    /// Every finding, compatible ones included, grouped by version (newest first) then
    /// direction (backward first).
    pub findings: Vec<Finding>,
}

impl CompatReport {
    /// The findings that make the report incompatible.
    pub fn incompatible_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| !f.compatible)
    }
}

/// One change in a [`SchemaDiff`], judged in both directions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// The change type, named old → new.
    #[serde(rename = "type")]
    pub kind: FindingType,
    /// JSON Pointer-style location of the change.
    pub path: String,
    /// Whether consumers on the new schema can still read documents of the old one.
    pub backward_compatible: bool,
    /// Whether consumers on the old schema can read documents of the new one.
    pub forward_compatible: bool,
    /// A sentence for humans.
    pub message: String,
}

/// Every change between two versions of a schema (`GET .../diff?from=N&to=M`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaDiff {
    /// The policy the verdicts were computed with.
    pub policy: Policy,
    /// `true` when every change is backward compatible.
    pub backward_compatible: bool,
    /// `true` when every change is forward compatible.
    pub forward_compatible: bool,
    /// The changes, in schema order.
    pub changes: Vec<Change>,
}
