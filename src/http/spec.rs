//! Constraints of the document's path and query parameters, from the rules the service
//! applies to them (one table, so an annotation cannot drift from the code): a client or
//! a fuzzer generating from the document sends names the service accepts, and a name
//! breaking the rule stays a documented 400 (`invalid_name`, `invalid_parameter`).

use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::path::{Operation, Parameter, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{RefOr, path::PathItem};

use crate::model::{RegistryName, SchemaName, VersionSelector};

/// A parameter's schema: `Pattern` (anchored), `Enum` (its values) or `Range` (integers).
enum Rule {
    /// A naming rule such as `[A-Za-z0-9._-]{1,64}`, matched whole.
    Name(&'static str),
    /// A pattern as is.
    Pattern(&'static str),
    /// One of these words.
    Enum(&'static [&'static str]),
    /// An integer in this closed range.
    Range(f64, f64),
}

/// The rule of parameter `name` in `location` on `path`, if it has one.
fn rule(path: &str, location: &ParameterIn, name: &str) -> Option<Rule> {
    let rule = match (location, name) {
        (ParameterIn::Path | ParameterIn::Query, "registry") => Rule::Name(RegistryName::RULE),
        (ParameterIn::Path, "schema") => Rule::Name(SchemaName::RULE),
        (ParameterIn::Path, "bus" | "rule" | "queue" | "key") => Rule::Name(crate::bus::NAME_RULE),
        (ParameterIn::Path, "name") if path.starts_with("/v1/replays/") => Rule::Name(crate::bus::NAME_RULE),
        (ParameterIn::Path, "archive") => Rule::Name(crate::archive::NAME_RULE),
        (ParameterIn::Path, "version") | (ParameterIn::Query, "from" | "to") => {
            Rule::Pattern(VersionSelector::PATTERN)
        }
        (ParameterIn::Path, "language") => Rule::Enum(&["rust", "typescript"]),
        (ParameterIn::Query, "format") => Rule::Enum(&["zip", "source"]),
        (ParameterIn::Query, "policy") => Rule::Enum(&["STRICT", "LENIENT"]),
        (ParameterIn::Query, "limit") => Rule::Range(1.0, 1000.0),
        _ => return None,
    };
    Some(rule)
}

fn schema(rule: Rule) -> Schema {
    let builder = match rule {
        Rule::Name(name) => ObjectBuilder::new().schema_type(Type::String).pattern(Some(format!("^{name}$"))),
        Rule::Pattern(pattern) => ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern)),
        Rule::Enum(words) => {
            ObjectBuilder::new().schema_type(Type::String).enum_values(Some(words.iter().copied()))
        }
        Rule::Range(min, max) => {
            ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(min)).maximum(Some(max))
        }
    };
    Schema::Object(builder.build())
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch].into_iter().flatten()
}

/// Sets the schema of every parameter with a rule.
pub(super) fn constrain_parameters(api: &mut OpenApiDoc) {
    for (path, item) in api.paths.paths.iter_mut() {
        for op in operations(item) {
            for parameter in op.parameters.iter_mut().flatten() {
                if let RefOr::T(parameter) = parameter {
                    constrain(path, parameter);
                }
            }
        }
    }
}

fn constrain(path: &str, parameter: &mut Parameter) {
    if let Some(rule) = rule(path, &parameter.parameter_in, &parameter.name) {
        parameter.schema = Some(RefOr::T(schema(rule)));
    }
}
