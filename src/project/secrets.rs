//! Webhook credentials in a project: never inline, always `{"env": "NAME"}`, read from the
//! environment of `apply`. The service never returns them (it answers `<redacted>`), so a
//! plan compares them as equal and `apply --resend-secrets` sends them again on rotation.
//!
//! Credentials are the write-only fields (`secret`, `auth.password`, `auth.token`,
//! `auth.value`) and the values of headers whose name says they carry one
//! (`Authorization`, `Cookie`, `X-Api-Key`, any name with `token`, `secret`, `password`,
//! `key` or `auth` in it): the service shows headers as stored, so a project never writes
//! those in clear either.

use serde_json::{Value, json};

/// The write-only fields of a webhook target.
const SECRET_FIELDS: &[&[&str]] =
    &[&["secret"], &["auth", "password"], &["auth", "token"], &["auth", "value"]];

/// Whether a header's name says its value is a credential.
pub fn is_credential_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(n.as_str(), "authorization" | "proxy-authorization" | "cookie")
        || ["token", "secret", "password", "key", "auth", "signature"].iter().any(|w| n.contains(w))
}

/// The credential positions of one target, as paths of object keys.
fn secret_paths(target: &Value) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> =
        SECRET_FIELDS.iter().map(|p| p.iter().map(|k| (*k).to_owned()).collect()).collect();
    for name in target.get("headers").and_then(Value::as_object).into_iter().flat_map(|h| h.keys()) {
        if is_credential_header(name) {
            out.push(vec!["headers".to_owned(), name.clone()]);
        }
    }
    out
}

fn pointer_of(i: usize, path: &[String]) -> String {
    let escaped: Vec<String> = path.iter().map(|k| k.replace('~', "~0").replace('/', "~1")).collect();
    format!("/targets/{i}/{}", escaped.join("/"))
}

/// What the service answers in place of a credential.
pub const REDACTED: &str = "<redacted>";

/// A credential position met in a rule body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretUse {
    /// `{"env": "NAME"}` at `pointer` (relative to the rule).
    Env { pointer: String, name: String },
    /// An inline string (refused).
    Inline { pointer: String },
}

/// Every credential position of a rule body.
pub fn uses(rule: &Value) -> Vec<SecretUse> {
    let mut out = Vec::new();
    for (i, target) in rule.get("targets").and_then(Value::as_array).into_iter().flatten().enumerate() {
        for path in secret_paths(target) {
            let Some(v) = path.iter().try_fold(target, |v, k| v.get(k)) else { continue };
            let pointer = pointer_of(i, &path);
            match v.get("env").and_then(Value::as_str) {
                Some(name) if v.as_object().is_some_and(|o| o.len() == 1) => {
                    out.push(SecretUse::Env { pointer, name: name.to_owned() });
                }
                _ if v.is_null() => {}
                _ => out.push(SecretUse::Inline { pointer }),
            }
        }
    }
    out
}

/// The rule with every credential replaced by `value_of(env name)` (inline ones by the
/// redaction marker, so the rest of the body can still be checked).
///
/// # Errors
/// The first environment name `value_of` does not know.
pub fn substitute(rule: &Value, value_of: &dyn Fn(&str) -> Option<String>) -> Result<Value, String> {
    let mut out = rule.clone();
    for u in uses(rule) {
        let (pointer, value) = match u {
            SecretUse::Env { pointer, name } => {
                let v = value_of(&name).ok_or(name)?;
                (pointer, v)
            }
            SecretUse::Inline { pointer } => (pointer, REDACTED.to_owned()),
        };
        if let Some(slot) = out.pointer_mut(&pointer) {
            *slot = json!(value);
        }
    }
    Ok(out)
}

/// The rule as the service shows it: credentials redacted.
pub fn redacted(rule: &Value) -> Value {
    substitute(rule, &|_| Some(REDACTED.to_owned())).unwrap_or_else(|_| rule.clone())
}

/// The rule with placeholders for checking offline, and its credential positions.
pub fn with_placeholders(rule: &Value) -> (Value, Vec<SecretUse>) {
    (redacted(rule), uses(rule))
}

/// A pulled rule's credentials (redacted by the service) as environment references named
/// after their place, and the names used.
pub fn as_env_refs(bus: &str, rule_name: &str, rule: &Value) -> (Value, Vec<String>) {
    let mut out = rule.clone();
    let mut names = Vec::new();
    for (i, target) in rule.get("targets").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let id = target.get("id").and_then(Value::as_str).unwrap_or("target");
        for path in secret_paths(target) {
            if path.iter().try_fold(target, |v, k| v.get(k)).is_none_or(Value::is_null) {
                continue;
            }
            let name = env_name(&["SCHEMABUS_SECRET", bus, rule_name, id, &path[path.len() - 1]]);
            if let Some(slot) = out.pointer_mut(&pointer_of(i, &path)) {
                *slot = json!({"env": name});
            }
            names.push(name);
        }
    }
    (out, names)
}

fn env_name(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| {
            p.chars()
                .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_env_references_never_inline() {
        let rule = json!({"pattern": {}, "targets": [
            {"type": "webhook", "id": "crm", "url": "https://x", "secret": {"env": "SIGNING"},
             "auth": {"type": "bearer", "token": "inline-token"}},
            {"type": "queue", "id": "q", "queue": "q"}]});
        assert_eq!(
            uses(&rule),
            vec![
                SecretUse::Env { pointer: "/targets/0/secret".into(), name: "SIGNING".into() },
                SecretUse::Inline { pointer: "/targets/0/auth/token".into() },
            ]
        );
        let sent = substitute(&rule, &|n| (n == "SIGNING").then(|| "s3cret".to_owned())).unwrap();
        assert_eq!(sent["targets"][0]["secret"], "s3cret");
        assert_eq!(substitute(&rule, &|_| None), Err("SIGNING".into()));
        assert_eq!(redacted(&rule)["targets"][0]["secret"], REDACTED);
        let (pulled, names) = as_env_refs("orders", "to-crm", &redacted(&rule));
        assert_eq!(
            pulled["targets"][0]["auth"]["token"],
            json!({"env": "SCHEMABUS_SECRET_ORDERS_TO_CRM_CRM_TOKEN"})
        );
        assert_eq!(names.len(), 2);
    }

    #[test]
    fn credential_headers_are_credentials_and_other_headers_are_not() {
        let rule = json!({"pattern": {}, "targets": [
            {"type": "webhook", "id": "w", "url": "https://x",
             "headers": {"X-Api-Key": "k-123", "Authorization": {"env": "AUTH"}, "X-Team": "billing"}}]});
        assert_eq!(
            uses(&rule),
            vec![
                SecretUse::Inline { pointer: "/targets/0/headers/X-Api-Key".into() },
                SecretUse::Env { pointer: "/targets/0/headers/Authorization".into(), name: "AUTH".into() },
            ]
        );
        let shown = redacted(&rule);
        assert_eq!(shown["targets"][0]["headers"]["X-Team"], "billing");
        let (pulled, names) = as_env_refs("orders", "r", &rule);
        assert_eq!(
            pulled["targets"][0]["headers"]["X-Api-Key"],
            json!({"env": "SCHEMABUS_SECRET_ORDERS_R_W_X_API_KEY"})
        );
        assert_eq!(pulled["targets"][0]["headers"]["X-Team"], "billing");
        assert_eq!(names.len(), 2);
    }
}
