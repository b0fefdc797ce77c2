//! PURE: the grant language and the one authorization decision, [`allows`].
//!
//! A key holds grants written as strings (docs/SECURITY.md):
//!
//! | grant | allows |
//! |---|---|
//! | `admin` | everything |
//! | `metrics:read` | `GET /metrics` |
//! | `registry:read:<registry or *>` | reading registries, schemas, versions, bindings, validating |
//! | `registry:write:<registry or *>` | the above, plus changing them |
//! | `bus:publish:<bus or *>[:<source>,<source>…]` | PutEvents (only those `source` values when listed), reading the bus |
//! | `bus:manage:<bus or *>` | the bus's settings, rules, quarantine and discovery |
//! | `queue:consume:<queue or *>` | reading a queue, receiving and acknowledging its messages |
//!
//! No I/O, no framework: the HTTP middleware maps each route to a [`Permission`] and a
//! resource name and asks [`allows`].

use std::fmt;

/// Which resources of one kind a grant covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// `*`: every resource of the kind, including ones created later.
    Any,
    /// Exactly one resource.
    Named(String),
}

impl Scope {
    fn covers(&self, resource: Option<&str>) -> bool {
        match (self, resource) {
            (Scope::Any, _) => true,
            (Scope::Named(name), Some(r)) => name == r,
            // A request about every resource (a listing) needs the wildcard.
            (Scope::Named(_), None) => false,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Any => f.write_str("*"),
            Scope::Named(n) => f.write_str(n),
        }
    }
}

/// One parsed grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// Everything, including key management and the audit trail.
    Admin,
    /// The Prometheus scrape.
    MetricsRead,
    /// Reading a registry's contents.
    RegistryRead(Scope),
    /// Reading and changing a registry's contents.
    RegistryWrite(Scope),
    /// Publishing on a bus, optionally only with these `source` values.
    BusPublish {
        /// The bus.
        bus: Scope,
        /// `None`: any source.
        sources: Option<Vec<String>>,
    },
    /// Managing a bus: settings, rules, quarantine, discovery.
    BusManage(Scope),
    /// Consuming a queue.
    QueueConsume(Scope),
}

/// What an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Any valid key (pure computations such as pattern tests and inference).
    Authenticated,
    /// The `admin` grant.
    Admin,
    /// `metrics:read`.
    MetricsRead,
    /// `registry:read` or `registry:write`.
    RegistryRead,
    /// `registry:write`.
    RegistryWrite,
    /// `bus:publish` or `bus:manage` (seeing a bus's settings).
    BusRead,
    /// `bus:publish`.
    BusPublish,
    /// `bus:manage`.
    BusManage,
    /// `queue:consume`.
    QueueConsume,
}

impl Permission {
    /// The grant to name in a 403, for a resource (or `*` for every resource).
    pub fn required_grant(self, resource: Option<&str>) -> String {
        let r = resource.unwrap_or("*");
        match self {
            Permission::Authenticated => "any valid key".to_owned(),
            Permission::Admin => "admin".to_owned(),
            Permission::MetricsRead => "metrics:read".to_owned(),
            Permission::RegistryRead => format!("registry:read:{r}"),
            Permission::RegistryWrite => format!("registry:write:{r}"),
            Permission::BusRead => format!("bus:publish:{r} or bus:manage:{r}"),
            Permission::BusPublish => format!("bus:publish:{r}"),
            Permission::BusManage => format!("bus:manage:{r}"),
            Permission::QueueConsume => format!("queue:consume:{r}"),
        }
    }
}

/// Why a grant string was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantError(pub String);

impl fmt::Display for GrantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Resource names follow the bus/queue/registry rule `[A-Za-z0-9._-]{1,64}`.
fn is_name(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 64
        && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn scope(kind: &str, value: &str) -> Result<Scope, GrantError> {
    if value == "*" {
        Ok(Scope::Any)
    } else if is_name(value) {
        Ok(Scope::Named(value.to_owned()))
    } else {
        Err(GrantError(format!("'{value}' is neither `*` nor a {kind} name ([A-Za-z0-9._-]{{1,64}})")))
    }
}

impl Grant {
    /// Parses a grant string.
    ///
    /// # Errors
    /// A [`GrantError`] saying what is wrong.
    pub fn parse(text: &str) -> Result<Self, GrantError> {
        let parts: Vec<&str> = text.splitn(4, ':').collect();
        match parts.as_slice() {
            ["admin"] => Ok(Grant::Admin),
            ["metrics", "read"] => Ok(Grant::MetricsRead),
            ["registry", "read", r] => Ok(Grant::RegistryRead(scope("registry", r)?)),
            ["registry", "write", r] => Ok(Grant::RegistryWrite(scope("registry", r)?)),
            ["bus", "manage", b] => Ok(Grant::BusManage(scope("bus", b)?)),
            ["queue", "consume", q] => Ok(Grant::QueueConsume(scope("queue", q)?)),
            ["bus", "publish", b] => Ok(Grant::BusPublish { bus: scope("bus", b)?, sources: None }),
            ["bus", "publish", b, sources] => {
                let list: Vec<String> = sources.split(',').map(str::to_owned).collect();
                if list.iter().any(|s| s.is_empty() || s.len() > 256) {
                    return Err(GrantError(
                        "the source list is comma-separated, each source 1 to 256 characters".to_owned(),
                    ));
                }
                Ok(Grant::BusPublish { bus: scope("bus", b)?, sources: Some(list) })
            }
            _ => Err(GrantError(format!("'{text}' is not a grant"))),
        }
    }
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Grant::Admin => f.write_str("admin"),
            Grant::MetricsRead => f.write_str("metrics:read"),
            Grant::RegistryRead(s) => write!(f, "registry:read:{s}"),
            Grant::RegistryWrite(s) => write!(f, "registry:write:{s}"),
            Grant::BusPublish { bus, sources: None } => write!(f, "bus:publish:{bus}"),
            Grant::BusPublish { bus, sources: Some(list) } => {
                write!(f, "bus:publish:{bus}:{}", list.join(","))
            }
            Grant::BusManage(s) => write!(f, "bus:manage:{s}"),
            Grant::QueueConsume(s) => write!(f, "queue:consume:{s}"),
        }
    }
}

/// The decision: may a holder of `grants` do what needs `permission` on `resource`
/// (`None`: on every resource of the kind, as listings do)?
pub fn allows(grants: &[Grant], permission: Permission, resource: Option<&str>) -> bool {
    grants.iter().any(|g| {
        matches!(g, Grant::Admin)
            || match (permission, g) {
                (Permission::Authenticated, _) => true,
                (Permission::MetricsRead, Grant::MetricsRead) => true,
                (Permission::RegistryRead, Grant::RegistryRead(s) | Grant::RegistryWrite(s))
                | (Permission::RegistryWrite, Grant::RegistryWrite(s))
                | (Permission::BusRead, Grant::BusPublish { bus: s, .. } | Grant::BusManage(s))
                | (Permission::BusPublish, Grant::BusPublish { bus: s, .. })
                | (Permission::BusManage, Grant::BusManage(s))
                | (Permission::QueueConsume, Grant::QueueConsume(s)) => s.covers(resource),
                _ => false,
            }
    })
}

/// The `source` values a holder of `grants` may publish on `bus`: `None` when any source
/// is allowed (admin, or a publish grant without a list), else the union of the lists of
/// the publish grants covering the bus.
pub fn allowed_sources(grants: &[Grant], bus: &str) -> Option<Vec<String>> {
    let mut union = Vec::new();
    for g in grants {
        match g {
            Grant::Admin => return None,
            Grant::BusPublish { bus: s, sources } if s.covers(Some(bus)) => match sources {
                None => return None,
                Some(list) => union.extend(list.iter().cloned()),
            },
            _ => {}
        }
    }
    Some(union)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn grants(list: &[&str]) -> Vec<Grant> {
        list.iter().map(|g| Grant::parse(g).unwrap()).collect()
    }

    #[test]
    fn grants_round_trip_through_their_text() {
        for text in [
            "admin",
            "metrics:read",
            "registry:read:*",
            "registry:write:shop",
            "bus:publish:orders",
            "bus:publish:*:orders,orders.v2",
            "bus:manage:orders",
            "queue:consume:billing",
        ] {
            assert_eq!(Grant::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn malformed_grants_are_refused() {
        for text in [
            "",
            "root",
            "registry:read",
            "registry:read:",
            "registry:delete:x",
            "bus:publish:o:",
            "queue:consume:a/b",
            "admin:x",
        ] {
            assert!(Grant::parse(text).is_err(), "{text} parsed");
        }
    }

    #[test]
    fn scopes_and_implications() {
        let g = grants(&["registry:write:shop", "bus:publish:orders:orders"]);
        assert!(allows(&g, Permission::RegistryRead, Some("shop")));
        assert!(allows(&g, Permission::RegistryWrite, Some("shop")));
        assert!(!allows(&g, Permission::RegistryRead, Some("other")));
        assert!(!allows(&g, Permission::RegistryRead, None), "listing needs the wildcard");
        assert!(allows(&g, Permission::BusRead, Some("orders")));
        assert!(!allows(&g, Permission::BusManage, Some("orders")));
        assert!(!allows(&g, Permission::Admin, None));
        assert!(allows(&g, Permission::Authenticated, None));
        assert!(allows(&grants(&["admin"]), Permission::QueueConsume, Some("q")));
        assert!(allows(&grants(&["queue:consume:*"]), Permission::QueueConsume, None));
        assert!(!allows(&[], Permission::Authenticated, None), "a key without grants may do nothing");
    }

    #[test]
    fn allowed_sources_is_the_union_unless_one_grant_is_open() {
        let g = grants(&["bus:publish:orders:a,b", "bus:publish:*:c", "bus:publish:other"]);
        assert_eq!(allowed_sources(&g, "orders"), Some(vec!["a".into(), "b".into(), "c".into()]));
        assert_eq!(allowed_sources(&g, "other"), None);
        assert_eq!(allowed_sources(&grants(&["admin"]), "orders"), None);
        assert_eq!(allowed_sources(&grants(&["bus:manage:orders"]), "orders"), Some(vec![]));
    }
}
