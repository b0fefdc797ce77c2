//! Confluent subjects and contexts mapped onto registries and schemas.
//!
//! `orders-value` is the schema `orders-value` of the default registry; a qualified
//! subject `:.ctx:orders-value` is the schema `orders-value` of the registry `ctx`
//! (the context without its leading dot); `:.:orders-value` names the default context.
//! Schema names keep schemabus's rule (`[A-Za-z0-9._@:-]{1,385}`), which every usual
//! Confluent subject (`orders-value`, `com.acme.Order`, `orders-com.acme.Order`) fits.

use super::error::{CcError, CcResult};
use crate::model::{RegistryName, SchemaName};

/// A parsed subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The registry its context maps to.
    pub registry: RegistryName,
    /// The schema it maps to.
    pub schema: SchemaName,
    /// Whether a context other than the default one was named (answers then show the
    /// qualified form).
    pub qualified: bool,
}

impl Subject {
    /// Parses a subject name.
    ///
    /// # Errors
    /// 42208 when the context or the name breaks the naming rules.
    pub fn parse(raw: &str, default: &RegistryName) -> CcResult<Self> {
        let (context, name) = split_context(raw);
        let registry = match context {
            None | Some("") => default.clone(),
            Some(WILDCARD) => {
                return Err(CcError::invalid_subject(
                    "The wildcard context ':*:' names no subject. Hint: it only works in subjectPrefix and subject query parameters; name a subject as 'name' or ':.context:name'.".to_owned(),
                ));
            }
            Some(ctx) => RegistryName::parse(ctx).map_err(|_| {
                CcError::invalid_subject(format!(
                    "Context '.{ctx}' is not a valid context name. Hint: contexts map to registries, whose names match {}.",
                    RegistryName::RULE
                ))
            })?,
        };
        let schema = SchemaName::parse(name).map_err(|_| {
            CcError::invalid_subject(format!(
                "Subject '{}' is not a subject name schemabus can store. Hint: subject names match {} (after an optional `:.context:` prefix).",
                truncate(name),
                SchemaName::RULE
            ))
        })?;
        let qualified = registry != *default;
        Ok(Self { registry, schema, qualified })
    }

    /// The subject as Confluent clients name it.
    pub fn display(&self) -> String {
        display(&self.registry, self.schema.as_str(), self.qualified)
    }
}

/// A subject name for a schema of `registry`, qualified when it is not the default one.
pub(crate) fn display(registry: &RegistryName, schema: &str, qualified: bool) -> String {
    if qualified {
        format!(":.{registry}:{schema}")
    } else if schema.starts_with(":.") {
        // A default-context name that reads as qualified: name the default context, or
        // it parses back as another subject (found by the `ccompat` fuzz target).
        format!(":.:{schema}")
    } else {
        schema.to_owned()
    }
}

/// `(context, rest)`: the context of `:.ctx:rest` (`*` for the wildcard `:*:rest`), or
/// `None` for an unqualified name.
pub(crate) fn split_context(raw: &str) -> (Option<&str>, &str) {
    if let Some(rest) = raw.strip_prefix(":*:") {
        return (Some(WILDCARD), rest);
    }
    if let Some(rest) = raw.strip_prefix(":.")
        && let Some(end) = rest.find(':')
    {
        return (Some(&rest[..end]), &rest[end + 1..]);
    }
    (None, raw)
}

/// The context wildcard of `subjectPrefix` (`:*:`): every context.
pub(crate) const WILDCARD: &str = "*";

/// The registry a (possibly percent-encoded) subject or subject prefix maps to, for the
/// access check before any handler runs: `None` for the wildcard context `:*:` (every
/// registry, so the wildcard grant is needed). Unparseable names give a name no grant
/// holds, so they fail closed.
pub fn registry_for(raw: Option<&str>, default: &str) -> Option<String> {
    let decoded = raw.map(percent_decode);
    match decoded.as_deref().map(split_context) {
        Some((Some(WILDCARD), _)) => None,
        Some((Some(ctx), _)) if !ctx.is_empty() => Some(ctx.to_owned()),
        _ => Some(default.to_owned()),
    }
}

fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = raw.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `ccompat` fuzz target: `:.::.:xx` is the default context's schema
    /// `:.:xx`, which was displayed as `:.:xx`, which parses as the schema `xx`.
    #[test]
    fn default_context_names_that_read_as_qualified_display_with_the_default_context() {
        let default = RegistryName::parse("default").unwrap();
        for raw in [":.::.:xx", ":.::.x", ":.:.:"] {
            let subject = Subject::parse(raw, &default).unwrap();
            assert_eq!(Subject::parse(&subject.display(), &default).unwrap(), subject, "{raw}");
        }
        assert_eq!(Subject::parse(":.::.:xx", &default).unwrap().display(), ":.::.:xx");
        assert_eq!(Subject::parse("orders", &default).unwrap().display(), "orders");
    }

    #[test]
    fn contexts_map_to_registries_and_plain_subjects_to_the_default() {
        let default = RegistryName::parse("default").unwrap();
        let plain = Subject::parse("orders-value", &default).unwrap();
        assert_eq!(
            (plain.registry.as_str(), plain.schema.as_str(), plain.display()),
            ("default", "orders-value", "orders-value".into())
        );
        let ctx = Subject::parse(":.staging:com.acme.Order", &default).unwrap();
        assert_eq!((ctx.registry.as_str(), ctx.schema.as_str()), ("staging", "com.acme.Order"));
        assert_eq!(ctx.display(), ":.staging:com.acme.Order");
        assert_eq!(Subject::parse(":.:x", &default).unwrap().registry.as_str(), "default");
        assert!(Subject::parse("has space", &default).is_err());
        assert!(Subject::parse(":.bad@ctx:x", &default).is_err());
        assert_eq!(Subject::parse(":*:x", &default).unwrap_err().error_code, 42208);
        assert_eq!(registry_for(Some("%3A.staging%3Ax"), "default").as_deref(), Some("staging"));
        assert_eq!(registry_for(Some("x"), "default").as_deref(), Some("default"));
        assert_eq!(registry_for(None, "default").as_deref(), Some("default"));
        assert_eq!(registry_for(Some(":*:"), "default"), None);
        assert_eq!(registry_for(Some("%3A*%3Aorders"), "default"), None);
    }
}
