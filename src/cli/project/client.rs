//! The service as `plan`, `apply`, `pull` and `check --against URL` see it: a blocking
//! HTTP client reading a [`Remote`] snapshot and sending actions.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::project::plan::{Action, Remote, RemoteBus, RemoteRegistry, RemoteSchema};

/// A running service at a base URL, with an optional key.
pub struct Service {
    base: String,
    key: Option<String>,
    client: reqwest::blocking::Client,
}

fn enc(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes()).collect::<String>().replace("%40", "@")
}

impl Service {
    pub fn new(base: &str, key: Option<String>) -> Result<Self, String> {
        let parsed = url::Url::parse(base).map_err(|e| format!("--url '{base}' is not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!("--url '{base}' is not an http(s) URL"));
        }
        let client = reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
        Ok(Self { base: base.trim_end_matches('/').to_owned(), key, client })
    }

    /// Sends a request; `Ok(None)` for 404.
    pub fn send(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Option<Value>, String> {
        let url = format!("{}{path}", self.base);
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let mut request = self.client.request(method.clone(), &url);
        if let Some(k) = &self.key {
            request = request.bearer_auth(k);
        }
        if let Some(b) = body {
            request = request.json(b);
        }
        let response = request.send().map_err(|e| format!("cannot reach {}: {e}", self.base))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND && method == reqwest::Method::GET {
            return Ok(None);
        }
        let text = response.text().unwrap_or_default();
        let body: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if status.is_success() {
            Ok(Some(body))
        } else {
            let code = body.get("code").and_then(Value::as_str).unwrap_or("");
            let message =
                body.get("message").and_then(Value::as_str).map_or_else(|| body.to_string(), str::to_owned);
            Err(format!("{method} {path} answered {status} {code}: {message}"))
        }
    }

    fn get(&self, path: &str) -> Result<Value, String> {
        self.send("GET", path, None)?.ok_or_else(|| format!("GET {path}: not found"))
    }

    /// The items of an unpaged list.
    fn items(&self, path: &str) -> Result<Vec<Value>, String> {
        Ok(self.get(path)?.get("items").and_then(Value::as_array).cloned().unwrap_or_default())
    }

    /// Every item of a paged list (`items`, `nextCursor`).
    fn all(&self, path: &str) -> Result<Vec<Value>, String> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let sep = if path.contains('?') { '&' } else { '?' };
            let page_path = match &cursor {
                Some(c) => format!("{path}{sep}limit=100&cursor={}", enc(c)),
                None => format!("{path}{sep}limit=100"),
            };
            let page = self.get(&page_path)?;
            items.extend(page.get("items").and_then(Value::as_array).cloned().unwrap_or_default());
            match page.get("nextCursor").and_then(Value::as_str) {
                Some(c) if !c.is_empty() => cursor = Some(c.to_owned()),
                _ => return Ok(items),
            }
        }
    }

    /// Reads everything a project can declare.
    pub fn snapshot(&self) -> Result<Remote, String> {
        let mut remote = Remote::default();
        for record in self.all("/v1/registries")? {
            let Some(name) = record.get("name").and_then(Value::as_str).map(str::to_owned) else { continue };
            let rpath = format!("/v1/registries/{}", enc(&name));
            let mut registry = RemoteRegistry {
                config: self.get(&format!("{rpath}/config"))?,
                record,
                schemas: BTreeMap::new(),
            };
            if name != crate::registry::DISCOVERED_REGISTRY {
                for schema in self.all(&format!("{rpath}/schemas"))? {
                    let Some(sname) = schema.get("name").and_then(Value::as_str).map(str::to_owned) else {
                        continue;
                    };
                    let spath = format!("{rpath}/schemas/{}", enc(&sname));
                    let mut versions = BTreeMap::new();
                    for v in self.items(&format!("{spath}/versions"))? {
                        let Some(n) =
                            v.get("version").and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok())
                        else {
                            continue;
                        };
                        if let Some(full) = self.send("GET", &format!("{spath}/versions/{n}"), None)? {
                            versions.insert(n, full.get("content").cloned().unwrap_or(Value::Null));
                        }
                    }
                    let config = self.get(&format!("{spath}/config"))?;
                    registry.schemas.insert(sname, RemoteSchema { record: schema, versions, config });
                }
            }
            remote.registries.insert(name, registry);
        }
        for q in self.items("/v1/queues")? {
            if let Some(name) = q.get("name").and_then(Value::as_str) {
                remote.queues.insert(name.to_owned(), q.clone());
            }
        }
        for record in self.items("/v1/buses")? {
            let Some(name) = record.get("name").and_then(Value::as_str).map(str::to_owned) else { continue };
            let bpath = format!("/v1/buses/{}", enc(&name));
            let by_name = |items: Vec<Value>| -> BTreeMap<String, Value> {
                items.into_iter().filter_map(|i| Some((i.get("name")?.as_str()?.to_owned(), i))).collect()
            };
            remote.buses.insert(
                name,
                RemoteBus {
                    discovery: self.get(&format!("{bpath}/discovery"))?,
                    rules: by_name(self.items(&format!("{bpath}/rules"))?),
                    archives: by_name(self.items(&format!("{bpath}/archives"))?),
                    record,
                },
            );
        }
        Ok(remote)
    }

    /// Runs one action, with credentials filled in from the environment.
    pub fn run(&self, action: &Action) -> Result<(), String> {
        let body = match (&action.body, action.secrets) {
            (Some(b), true) => {
                Some(crate::project::secrets::substitute(b, &|name| std::env::var(name).ok()).map_err(
                    |name| format!("{}: the environment variable {name} is not set", action.resource),
                )?)
            }
            (b, _) => b.clone(),
        };
        self.send(action.method, &action.path, body.as_ref()).map(|_| ())
    }
}
