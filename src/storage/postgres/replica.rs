//! This instance's in-memory copy of the registry tables, which answers every read.
//!
//! The port's reads are synchronous and sit on hot paths (each event validated against
//! `latest` resolves it), so they cannot wait on a database round trip. The copy is
//! refreshed by scope: after this instance commits a write, and when another instance's
//! notification names what it changed (`listener.rs`). A scope is reloaded whole from
//! the database, never patched, so the copy cannot drift from the tables.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::model::{RegistryRecord, SchemaRecord, VersionRecord};

/// `(registry, schema, version)`.
pub(super) type VersionId = (String, String, u32);

/// What a reload covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Scope {
    /// Everything (at start-up, and after the notification connection was lost).
    All,
    /// A registry with everything in it.
    Registry(String),
    /// A registry's own record, configuration and mode (not its schemas).
    RegistryRecord(String),
    /// A schema: its record, versions, references made, configuration and mode.
    Schema(String, String),
}

impl Scope {
    /// Its name in metrics.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Registry(_) => "registry",
            Self::RegistryRecord(_) => "registry_record",
            Self::Schema(..) => "schema",
        }
    }

    /// The notification payload naming the scope (after the sender's instance id).
    pub(super) fn encode(&self) -> String {
        match self {
            Self::All => "*".to_owned(),
            Self::Registry(r) => format!("A\u{1f}{r}"),
            Self::RegistryRecord(r) => format!("R\u{1f}{r}"),
            Self::Schema(r, s) => format!("S\u{1f}{r}\u{1f}{s}"),
        }
    }

    /// The scope named by a payload (`None`: not one of ours).
    pub(super) fn decode(text: &str) -> Option<Self> {
        let mut parts = text.split('\u{1f}');
        let scope = match (parts.next()?, parts.next(), parts.next()) {
            ("*", None, None) => Self::All,
            ("A", Some(r), None) => Self::Registry(r.to_owned()),
            ("R", Some(r), None) => Self::RegistryRecord(r.to_owned()),
            ("S", Some(r), Some(s)) => Self::Schema(r.to_owned(), s.to_owned()),
            _ => return None,
        };
        parts.next().is_none().then_some(scope)
    }
}

/// The rows of one scope, as read from the database.
#[derive(Debug, Default)]
pub(super) struct Rows {
    pub registries: Vec<RegistryRecord>,
    pub schemas: Vec<SchemaRecord>,
    pub versions: Vec<(String, String, VersionRecord)>,
    /// `(target, referrer)`.
    pub referrers: Vec<(VersionId, VersionId)>,
    /// `((registry, schema or ""), value)`.
    pub configs: Vec<((String, String), Value)>,
    pub modes: Vec<((String, String), String)>,
}

/// The copy.
#[derive(Debug, Default)]
pub(super) struct Replica {
    pub registries: BTreeMap<String, RegistryRecord>,
    pub schemas: BTreeMap<(String, String), SchemaRecord>,
    pub versions: BTreeMap<VersionId, VersionRecord>,
    /// `(target, referrer)`.
    pub referrers: BTreeSet<(VersionId, VersionId)>,
    /// `(id, version)`.
    pub ids: BTreeSet<(u32, VersionId)>,
    pub configs: BTreeMap<(String, String), Value>,
    pub modes: BTreeMap<(String, String), String>,
}

fn in_scope(scope: &Scope, registry: &str, schema: Option<&str>) -> bool {
    match scope {
        Scope::All => true,
        Scope::Registry(r) => r == registry,
        Scope::RegistryRecord(r) => r == registry && schema.is_none_or(str::is_empty),
        Scope::Schema(r, s) => r == registry && schema == Some(s.as_str()),
    }
}

impl Replica {
    /// Replaces everything the scope covers with `rows`.
    pub(super) fn apply(&mut self, scope: &Scope, rows: Rows) {
        let schema_level = !matches!(scope, Scope::RegistryRecord(_));
        if matches!(scope, Scope::All | Scope::Registry(_) | Scope::RegistryRecord(_)) {
            self.registries.retain(|name, _| !in_scope(scope, name, None));
        }
        if schema_level {
            self.schemas.retain(|(r, s), _| !in_scope(scope, r, Some(s)));
            self.versions.retain(|(r, s, _), _| !in_scope(scope, r, Some(s)));
            self.ids.retain(|(_, (r, s, _))| !in_scope(scope, r, Some(s)));
            // References are owned by the referring version's scope.
            self.referrers.retain(|(_, (r, s, _))| !in_scope(scope, r, Some(s)));
        }
        self.configs.retain(|(r, s), _| !in_scope(scope, r, Some(s)));
        self.modes.retain(|(r, s), _| !in_scope(scope, r, Some(s)));
        for record in rows.registries {
            self.registries.insert(record.name.clone(), record);
        }
        for record in rows.schemas {
            self.schemas.insert((record.registry.clone(), record.name.clone()), record);
        }
        for (registry, schema, record) in rows.versions {
            let id = (registry, schema, record.version);
            if let Some(schema_id) = record.id {
                self.ids.insert((schema_id, id.clone()));
            }
            self.versions.insert(id, record);
        }
        self.referrers.extend(rows.referrers);
        self.configs.extend(rows.configs);
        self.modes.extend(rows.modes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_through_their_payloads() {
        for scope in [
            Scope::All,
            Scope::Registry("r".into()),
            Scope::RegistryRecord("r".into()),
            Scope::Schema("r".into(), "a.b".into()),
        ] {
            assert_eq!(Scope::decode(&scope.encode()), Some(scope));
        }
        assert_eq!(Scope::decode("S\u{1f}r"), None);
        assert_eq!(Scope::decode("X"), None);
    }

    #[test]
    fn a_schema_reload_leaves_its_neighbours_and_the_registry_level_alone() {
        let mut replica = Replica::default();
        replica.configs.insert(("r".into(), String::new()), Value::from(1));
        replica.configs.insert(("r".into(), "a".into()), Value::from(2));
        replica.configs.insert(("r".into(), "b".into()), Value::from(3));
        replica.apply(&Scope::Schema("r".into(), "a".into()), Rows::default());
        let left: Vec<_> = replica.configs.keys().cloned().collect();
        assert_eq!(left, vec![("r".to_owned(), String::new()), ("r".to_owned(), "b".to_owned())]);
        replica.apply(&Scope::RegistryRecord("r".into()), Rows::default());
        assert_eq!(replica.configs.len(), 1, "the registry's own configuration went, not b's");
    }
}
