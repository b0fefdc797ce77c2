//! Which addresses a webhook may reach (SSRF protection): a deny list (by default
//! link-local and cloud metadata addresses) and an optional allow list, checked when a
//! rule is saved (IP-literal URLs) and on every connection, through a DNS resolver that
//! drops refused addresses, so DNS rebinding cannot get around it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;

/// Allow and deny lists.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    allow: Vec<IpNet>,
    deny: Vec<IpNet>,
}

/// Why a connection was refused (found in a request error's source chain).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

impl AddressPolicy {
    /// A policy from the two lists (an empty allow list allows everything not denied).
    pub fn new(allow: Vec<IpNet>, deny: Vec<IpNet>) -> Self {
        Self { allow, deny }
    }

    /// Whether `ip` may be reached; the reason when not.
    ///
    /// # Errors
    /// A sentence naming the address and the list that refuses it.
    pub fn check(&self, ip: IpAddr) -> Result<(), String> {
        // IPv4-mapped IPv6 (::ffff:169.254.169.254) is the IPv4 address.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 @ IpAddr::V4(_) => v4,
        };
        if let Some(net) = self.deny.iter().find(|n| n.contains(&ip)) {
            return Err(format!("address {ip} is in the webhook deny list ({net})"));
        }
        if !self.allow.is_empty() && !self.allow.iter().any(|n| n.contains(&ip)) {
            return Err(format!("address {ip} is not in the webhook allow list"));
        }
        Ok(())
    }
}

/// A DNS resolver that resolves with the system and keeps only allowed addresses.
#[derive(Debug, Clone)]
pub struct CheckedResolver(pub Arc<AddressPolicy>);

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = Arc::clone(&self.0);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut reasons = Vec::new();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| policy.check(a.ip()).map_err(|r| reasons.push(r)).is_ok())
                .collect();
            if allowed.is_empty() {
                let why = reasons.first().cloned().unwrap_or_else(|| format!("{host} has no address"));
                return Err(
                    Box::new(Refused(format!("{host}: {why}"))) as Box<dyn std::error::Error + Send + Sync>
                );
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}
