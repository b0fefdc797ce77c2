//! Access control at the HTTP boundary: ONE table maps every route (method + matched
//! pattern) to the permission it needs and to where the resource name is found, and one
//! middleware applies it before any handler runs (so a key that may not read a registry
//! gets 403 whether or not the registry exists, never a 404 first).
//!
//! A route missing from the table, and a path matching no route, needs `admin`: a new
//! endpoint cannot be left open by mistake (a test also checks that every operation of
//! the OpenAPI document is in the table). After a 2xx answer to a write marked `audit`,
//! the middleware records it in the audit trail.

use std::collections::HashMap;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpMessage as _, ResponseError as _, web};
use serde_json::json;

use crate::auth::audit::AuditEntry;
use crate::auth::{AuditService, Identity, KeyService, Permission, RateLimiter, allowed_sources, allows};
use crate::config::AuthMode;
use crate::error::{ApiError, Code};

/// Where a route's resource name is, for the grant check and the audit record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Res {
    /// The operation is about every resource of its kind (listings, creation with the
    /// name in the body): a named grant is not enough, the wildcard is needed.
    All,
    /// The path segment `{name}` names it.
    Path(&'static str),
    /// The query parameter names it when given; otherwise every resource (wildcard).
    Query(&'static str),
    /// Checked as [`Res::All`]; the path segment is only recorded in the audit trail.
    AllNaming(&'static str),
    /// `/ccompat`: the registry the `{subject}` segment's context maps to.
    Subject,
    /// `/ccompat`: the registry the context of this query parameter maps to (the default
    /// registry without it).
    SubjectQuery(&'static str),
    /// `/ccompat`: the default registry (global config and mode).
    CcDefault,
}

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    /// Nobody needs a key: probes, the API description and explorer, our own JSON Schemas.
    Anonymous,
    /// A key with this permission on this resource.
    Grant(Permission, Res),
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Route {
    pub(crate) method: &'static str,
    pub(crate) pattern: &'static str,
    pub(crate) need: Need,
    /// Record a 2xx answer in the audit trail (writes that change state).
    pub(crate) audit: bool,
}

const fn open(method: &'static str, pattern: &'static str) -> Route {
    Route { method, pattern, need: Need::Anonymous, audit: false }
}

const fn read(method: &'static str, pattern: &'static str, p: Permission, r: Res) -> Route {
    Route { method, pattern, need: Need::Grant(p, r), audit: false }
}

const fn write(method: &'static str, pattern: &'static str, p: Permission, r: Res) -> Route {
    Route { method, pattern, need: Need::Grant(p, r), audit: true }
}

use Permission::{
    Admin, Authenticated, BusManage, BusPublish, BusRead, MetricsRead, QueueConsume, RegistryRead,
    RegistryWrite,
};
use Res::{All, AllNaming, CcDefault, Path, Query, Subject, SubjectQuery};

/// Re-submitting quarantined events: a manager's route that also publishes.
const RESUBMIT: &str = "/v1/buses/{bus}/quarantine/resubmit";

/// The catalog's routes: their answers are filtered by the caller's grants.
const CATALOG: [&str; 2] = ["/v1/catalog", "/v1/buses/{bus}/asyncapi"];

const REG: Res = Path("registry");
const BUS: Res = Path("bus");
const QUEUE: Res = Path("queue");

/// THE table. Data-plane calls (PutEvents, receive, ack, validate, checks) are not
/// audited: they change no configuration, and auditing them would double their writes.
pub(crate) const ROUTES: &[Route] = &[
    open("GET", "/healthz"),
    open("GET", "/readyz"),
    open("GET", "/schemas/{name}"),
    open("GET", "/openapi.json"),
    open("GET", "/docs"),
    open("GET", "/docs/{_:.*}"),
    // the web console's static files (docs/CONSOLE.md): its data comes from /v1 with the user's key
    open("GET", "/console"),
    open("GET", "/console/{_:.*}"),
    read("GET", "/metrics", MetricsRead, All),
    // registries, schemas, versions, compatibility, bindings, search
    write("POST", "/v1/registries", RegistryWrite, All),
    read("GET", "/v1/registries", RegistryRead, All),
    read("GET", "/v1/registries/{registry}", RegistryRead, REG),
    write("PATCH", "/v1/registries/{registry}", RegistryWrite, REG),
    write("DELETE", "/v1/registries/{registry}", RegistryWrite, REG),
    read("GET", "/v1/registries/{registry}/schemas", RegistryRead, REG),
    read("GET", "/v1/registries/{registry}/schemas/{schema}", RegistryRead, REG),
    write("PATCH", "/v1/registries/{registry}/schemas/{schema}", RegistryWrite, REG),
    write("DELETE", "/v1/registries/{registry}/schemas/{schema}", RegistryWrite, REG),
    write("POST", "/v1/registries/{registry}/schemas/{schema}/versions", RegistryWrite, REG),
    read("GET", "/v1/registries/{registry}/schemas/{schema}/versions", RegistryRead, REG),
    read("GET", "/v1/registries/{registry}/schemas/{schema}/versions/{version}", RegistryRead, REG),
    write("DELETE", "/v1/registries/{registry}/schemas/{schema}/versions/{version}", RegistryWrite, REG),
    read("POST", "/v1/registries/{registry}/schemas/{schema}/versions/{version}/validate", RegistryRead, REG),
    read("GET", "/v1/registries/{registry}/config", RegistryRead, REG),
    write("PUT", "/v1/registries/{registry}/config", RegistryWrite, REG),
    read("GET", "/v1/registries/{registry}/schemas/{schema}/config", RegistryRead, REG),
    write("PUT", "/v1/registries/{registry}/schemas/{schema}/config", RegistryWrite, REG),
    read("POST", "/v1/registries/{registry}/schemas/{schema}/compatibility", RegistryRead, REG),
    read("GET", "/v1/registries/{registry}/schemas/{schema}/diff", RegistryRead, REG),
    read(
        "GET",
        "/v1/registries/{registry}/schemas/{schema}/versions/{version}/bindings/{language}",
        RegistryRead,
        REG,
    ),
    read("GET", "/v1/search", RegistryRead, Query("registry")),
    // pure computations: any valid key
    read("POST", "/v1/test-event-pattern", Authenticated, All),
    read("POST", "/v1/infer", Authenticated, All),
    // buses, events, rules, discovery
    write("POST", "/v1/buses", BusManage, All),
    read("GET", "/v1/buses", BusRead, All),
    read("GET", "/v1/buses/{bus}", BusRead, BUS),
    write("PATCH", "/v1/buses/{bus}", BusManage, BUS),
    write("DELETE", "/v1/buses/{bus}", BusManage, BUS),
    read("GET", "/v1/buses/{bus}/quarantine", BusManage, BUS),
    // re-submitting publishes as the caller: its publish grants' sources apply too (below)
    write("POST", RESUBMIT, BusManage, BUS),
    read("POST", "/v1/buses/{bus}/events", BusPublish, BUS),
    // the live tail shows every producer's events and refusals, as the quarantine and
    // traces do: the bus's managers
    read("GET", "/v1/buses/{bus}/tail", BusManage, BUS),
    write("PUT", "/v1/buses/{bus}/rules/{rule}", BusManage, BUS),
    read("GET", "/v1/buses/{bus}/rules", BusManage, BUS),
    read("GET", "/v1/buses/{bus}/rules/{rule}", BusManage, BUS),
    write("DELETE", "/v1/buses/{bus}/rules/{rule}", BusManage, BUS),
    write("PUT", "/v1/buses/{bus}/discovery", BusManage, BUS),
    read("GET", "/v1/buses/{bus}/discovery", BusManage, BUS),
    write("PUT", "/v1/discovery/hints/{schema}", BusManage, AllNaming("schema")),
    read("GET", "/v1/discovery/hints/{schema}", BusManage, AllNaming("schema")),
    // archives, replays, traces: the bus's managers (a replay is named without its bus,
    // so reading or cancelling one by name needs the wildcard grant)
    write("PUT", "/v1/buses/{bus}/archives/{archive}", BusManage, BUS),
    read("GET", "/v1/buses/{bus}/archives", BusManage, BUS),
    read("GET", "/v1/buses/{bus}/archives/{archive}", BusManage, BUS),
    write("DELETE", "/v1/buses/{bus}/archives/{archive}", BusManage, BUS),
    write("POST", "/v1/buses/{bus}/replays", BusManage, BUS),
    read("GET", "/v1/replays/{name}", BusManage, AllNaming("name")),
    write("POST", "/v1/replays/{name}/cancel", BusManage, AllNaming("name")),
    read("GET", "/v1/buses/{bus}/events/{eventId}/trace", BusManage, BUS),
    // the event catalog (docs/CATALOG.md): any key; the answer holds only the buses and
    // registries the key may read. The AsyncAPI export lists rules: the bus's managers.
    read("GET", "/v1/catalog", Authenticated, All),
    read("GET", "/v1/buses/{bus}/asyncapi", BusManage, BUS),
    // queues: consumers read and receive; creating and deleting them is for admins
    write("PUT", "/v1/queues/{queue}", Admin, QUEUE),
    read("GET", "/v1/queues", QueueConsume, All),
    read("GET", "/v1/queues/{queue}", QueueConsume, QUEUE),
    write("DELETE", "/v1/queues/{queue}", Admin, QUEUE),
    read("POST", "/v1/queues/{queue}/receive", QueueConsume, QUEUE),
    read("POST", "/v1/queues/{queue}/ack", QueueConsume, QUEUE),
    // sending directly skips the buses' validation gate: admins only (tests, replays by hand)
    write("POST", "/v1/queues/{queue}/messages", Admin, QUEUE),
    // access control itself
    write("POST", "/v1/keys", Admin, All),
    read("GET", "/v1/keys", Admin, All),
    write("DELETE", "/v1/keys/{key}", Admin, Path("key")),
    write("POST", "/v1/keys/{key}/aws-credentials", Admin, Path("key")),
    read("GET", "/v1/audit", Admin, All),
    // the Confluent-compatible API (docs/CONFLUENT-API.md): the same grants, on the
    // registry a subject's context maps to
    read("GET", "/ccompat", Authenticated, All),
    read("GET", "/ccompat/", Authenticated, All),
    read("GET", "/ccompat/v1/metadata/id", Authenticated, All),
    read("GET", "/ccompat/schemas/types", Authenticated, All),
    read("GET", "/ccompat/schemas", RegistryRead, SubjectQuery("subjectPrefix")),
    read("GET", "/ccompat/schemas/ids/{id}", RegistryRead, SubjectQuery("subject")),
    read("GET", "/ccompat/schemas/ids/{id}/schema", RegistryRead, SubjectQuery("subject")),
    read("GET", "/ccompat/schemas/ids/{id}/subjects", RegistryRead, SubjectQuery("subject")),
    read("GET", "/ccompat/schemas/ids/{id}/versions", RegistryRead, SubjectQuery("subject")),
    // every registry is a context: listing them needs the wildcard, as GET /v1/registries
    read("GET", "/ccompat/contexts", RegistryRead, All),
    read("GET", "/ccompat/subjects", RegistryRead, SubjectQuery("subjectPrefix")),
    read("POST", "/ccompat/subjects/{subject}", RegistryRead, Subject),
    write("DELETE", "/ccompat/subjects/{subject}", RegistryWrite, Subject),
    read("GET", "/ccompat/subjects/{subject}/versions", RegistryRead, Subject),
    write("POST", "/ccompat/subjects/{subject}/versions", RegistryWrite, Subject),
    read("GET", "/ccompat/subjects/{subject}/versions/{version}", RegistryRead, Subject),
    write("DELETE", "/ccompat/subjects/{subject}/versions/{version}", RegistryWrite, Subject),
    read("GET", "/ccompat/subjects/{subject}/versions/{version}/schema", RegistryRead, Subject),
    read("GET", "/ccompat/subjects/{subject}/versions/{version}/referencedby", RegistryRead, Subject),
    read("POST", "/ccompat/compatibility/subjects/{subject}/versions", RegistryRead, Subject),
    read("POST", "/ccompat/compatibility/subjects/{subject}/versions/{version}", RegistryRead, Subject),
    read("GET", "/ccompat/config", RegistryRead, CcDefault),
    write("PUT", "/ccompat/config", RegistryWrite, CcDefault),
    write("DELETE", "/ccompat/config", RegistryWrite, CcDefault),
    read("GET", "/ccompat/config/{subject}", RegistryRead, Subject),
    write("PUT", "/ccompat/config/{subject}", RegistryWrite, Subject),
    write("DELETE", "/ccompat/config/{subject}", RegistryWrite, Subject),
    read("GET", "/ccompat/mode", RegistryRead, CcDefault),
    write("PUT", "/ccompat/mode", RegistryWrite, CcDefault),
    write("DELETE", "/ccompat/mode", RegistryWrite, CcDefault),
    read("GET", "/ccompat/mode/{subject}", RegistryRead, Subject),
    write("PUT", "/ccompat/mode/{subject}", RegistryWrite, Subject),
    write("DELETE", "/ccompat/mode/{subject}", RegistryWrite, Subject),
];

/// What an unlisted route needs: fail closed.
const UNLISTED: Need = Need::Grant(Admin, All);

/// [`ROUTES`] by (method, pattern): the middleware looks a route up on every request,
/// where a scan compares strings row by row through some 70 rows.
static BY_ROUTE: std::sync::LazyLock<HashMap<(&'static str, &'static str), &'static Route>> =
    std::sync::LazyLock::new(|| ROUTES.iter().map(|r| ((r.method, r.pattern), r)).collect());

/// What the native route `(method, pattern)` needs (unlisted: admin), for the AWS front
/// end, whose operations are authorized with the row of the route they translate to.
pub(crate) fn need_of(method: &str, pattern: &str) -> Need {
    BY_ROUTE.get(&(method, pattern)).map_or(UNLISTED, |r| r.need)
}

/// Whether the native route `(method, pattern)` is recorded in the audit trail.
pub(crate) fn audited(method: &str, pattern: &str) -> bool {
    BY_ROUTE.get(&(method, pattern)).is_some_and(|r| r.audit)
}

/// `(method, pattern, anonymous)` of every row, for the OpenAPI document and tests.
pub fn table() -> Vec<(&'static str, &'static str, bool)> {
    ROUTES.iter().map(|r| (r.method, r.pattern, r.need == Need::Anonymous)).collect()
}

/// The caller's key: its name (PutEvents records it as the producer) and grants (the
/// catalog shows only what they may read). Absent with `--auth off`.
#[derive(Debug, Clone)]
pub(crate) struct Caller(pub(crate) Identity);

/// The `source` values the caller may publish (`None`: any), for PutEvents.
#[derive(Debug, Clone)]
pub(crate) struct AllowedSources(pub(crate) Option<Vec<String>>);

/// What the middleware needs.
#[derive(Debug, Clone)]
pub struct Access {
    /// Whether keys are checked.
    pub mode: AuthMode,
    /// The keys.
    pub keys: KeyService,
    /// The audit trail.
    pub audit: AuditService,
    /// Per-key token buckets.
    pub limiter: RateLimiter,
    /// The registry unqualified `/ccompat` subjects map to.
    pub ccompat_registry: String,
    /// AWS credentials of keys (docs/AWS-API.md).
    pub aws: crate::auth::aws::AwsCredentials,
}

fn segment(pattern: &str, path: &str, name: &str) -> Option<String> {
    // Segments are compared raw (not percent-decoded): a `%` can never match a grant's
    // name (grant names are [A-Za-z0-9._-]), so an encoded name only ever fails closed.
    let want = format!("{{{name}}}");
    pattern.split('/').zip(path.split('/')).find(|(p, _)| *p == want).map(|(_, v)| v.to_owned())
}

fn resource(
    res: Res,
    pattern: &str,
    req: &ServiceRequest,
    default: &str,
) -> (Option<String>, Option<String>) {
    // (name checked against the grant, name recorded in the audit trail)
    match res {
        All => (None, None),
        Path(name) => {
            let r = segment(pattern, req.path(), name);
            (r.clone(), r.map(|v| format!("{name}:{v}")))
        }
        AllNaming(name) => (None, segment(pattern, req.path(), name).map(|v| format!("{name}:{v}"))),
        Query(name) => {
            let query = web::Query::<HashMap<String, String>>::from_query(req.query_string()).ok();
            (query.and_then(|q| q.get(name).cloned()), None)
        }
        Subject => {
            let r = crate::ccompat::registry_for(segment(pattern, req.path(), "subject").as_deref(), default);
            (r.clone(), Some(format!("registry:{}", r.as_deref().unwrap_or("*"))))
        }
        SubjectQuery(name) => {
            let query = web::Query::<HashMap<String, String>>::from_query(req.query_string()).ok();
            let raw = query.and_then(|q| q.get(name).cloned());
            (crate::ccompat::registry_for(raw.as_deref(), default), None)
        }
        CcDefault => (Some(default.to_owned()), Some(format!("registry:{default}"))),
    }
}

/// The error answer: the native body, or Confluent's under `/ccompat`.
fn render(req: &ServiceRequest, error: ApiError) -> actix_web::HttpResponse {
    if is_ccompat(req) { super::ccompat::confluent_error(error) } else { error.error_response() }
}

fn is_ccompat(req: &ServiceRequest) -> bool {
    let path = req.path();
    path == super::ccompat::BASE || path.starts_with("/ccompat/")
}

fn unauthorized(req: &ServiceRequest, message: &str) -> actix_web::HttpResponse {
    let mut res = render(req, ApiError::new(Code::Unauthorized, message));
    let challenge = if is_ccompat(req) { "Basic realm=\"schemabus\", Bearer" } else { "Bearer" };
    res.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static(challenge));
    res
}

/// The key a request carries: `Authorization: Bearer <key>`, or under `/ccompat` also
/// HTTP Basic with any user name and the key as password (Confluent clients'
/// `basic.auth.user.info`).
fn bearer(req: &ServiceRequest) -> Option<String> {
    use base64::Engine as _;
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("basic") && is_ccompat(req) {
        let decoded = base64::engine::general_purpose::STANDARD.decode(token.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (_, key) = text.split_once(':')?;
        return Some(key.to_owned()).filter(|k| !k.is_empty());
    }
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned()).filter(|t| !t.is_empty())
}

/// The middleware: authenticate, rate-limit, authorize, call, audit.
pub(crate) async fn enforce<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let pattern = req.match_pattern().unwrap_or_default();
    let route = BY_ROUTE.get(&(req.method().as_str(), pattern.as_str()));
    if route.is_none() && is_ccompat(&req) {
        return Ok(unrouted_ccompat(req, &pattern).map_into_right_body());
    }
    let (need, audited) = route.map_or((UNLISTED, false), |r| (r.need, r.audit));
    let Need::Grant(permission, res) = need else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let Some(access) = req.app_data::<web::Data<Access>>().cloned() else {
        let error = ApiError::new(Code::Internal, "Access control is not configured. Hint: report it.");
        return Ok(req.into_response(error.error_response()).map_into_right_body());
    };
    if access.mode == AuthMode::Off && !audited {
        // Nothing to check and nothing to record (PutEvents without keys, reads).
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let method = req.method().as_str().to_owned();
    let (name, audit_resource) = resource(res, &pattern, &req, &access.ccompat_registry);
    let caller = match access.mode {
        AuthMode::Off => "anonymous".to_owned(),
        AuthMode::Required => {
            let identity = match check(&access, &req, permission, name.as_deref()) {
                Ok(identity) => identity,
                Err(response) => {
                    let response = *response;
                    ::metrics::counter!("schemabus_access_denied_total", "status" => response.status().as_str().to_owned()).increment(1);
                    return Ok(req.into_response(response).map_into_right_body());
                }
            };
            if permission == BusPublish || pattern == RESUBMIT {
                let bus = name.clone().unwrap_or_default();
                req.extensions_mut().insert(AllowedSources(allowed_sources(&identity.grants, &bus)));
            }
            if permission == BusPublish || pattern == RESUBMIT || CATALOG.contains(&pattern.as_str()) {
                req.extensions_mut().insert(Caller(identity.clone()));
            }
            identity.name
        }
    };
    let path = req.path().to_owned();
    let res = next.call(req).await?;
    if audited && res.status().is_success() {
        let entry =
            AuditEntry { key: caller, method, path, status: res.status().as_u16(), resource: audit_resource };
        if let Err(e) = access.audit.record(entry).await {
            // The write happened and is durable; failing the answer now would mislead.
            tracing::error!(error = %e, "audit record not written");
        }
    }
    Ok(res.map_into_left_body())
}

/// A `/ccompat` request no row of the table serves, answered here without running any
/// handler (so a route added without its row stays unreachable): 405 when the path is
/// served with other methods, else 404, both in Confluent's words and shape, after the
/// key is checked as for any operation (Confluent authenticates before routing).
fn unrouted_ccompat(req: ServiceRequest, pattern: &str) -> ServiceResponse {
    if let Some(access) = req.app_data::<web::Data<Access>>().cloned()
        && access.mode == AuthMode::Required
        && let Err(response) = check(&access, &req, Authenticated, None)
    {
        return req.into_response(*response);
    }
    let allowed: Vec<&str> =
        ROUTES.iter().filter(|r| !pattern.is_empty() && r.pattern == pattern).map(|r| r.method).collect();
    let response = if allowed.is_empty() {
        super::ccompat::not_found()
    } else {
        super::ccompat::method_not_allowed(&allowed.join(", "))
    };
    req.into_response(response)
}

/// Authentication, rate limit and the grant check; an error response when refused.
fn check(
    access: &Access,
    req: &ServiceRequest,
    permission: Permission,
    resource: Option<&str>,
) -> Result<Identity, Box<actix_web::HttpResponse>> {
    let Some(token) = bearer(req) else {
        return Err(Box::new(unauthorized(
            req,
            "This operation needs an API key. Hint: send `Authorization: Bearer <key>` (under /ccompat also HTTP Basic with the key as password); an admin creates keys with POST /v1/keys.",
        )));
    };
    let identity = match access.keys.authenticate(&token) {
        Ok(Some(identity)) => identity,
        Ok(None) => {
            return Err(Box::new(unauthorized(
                req,
                "The API key is unknown or revoked. Hint: check the key, or ask an admin for a new one.",
            )));
        }
        Err(e) => return Err(Box::new(render(req, e))),
    };
    if let Err(seconds) = access.limiter.check(&identity.name) {
        ::metrics::counter!("schemabus_rate_limited_total").increment(1);
        let mut res = render(req, ApiError::new(
            Code::RateLimited,
            format!("The API key '{}' is over its request rate. Hint: retry after {seconds} s, or ask for a higher --rate-limit-per-second.", identity.name),
        )
        .with_details(json!({"retryAfterSeconds": seconds})));
        res.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        return Err(Box::new(res));
    }
    if !allows(&identity.grants, permission, resource) {
        let required = permission.required_grant(resource);
        return Err(Box::new(render(
            req,
            ApiError::new(
                Code::Forbidden,
                format!(
                    "The API key '{}' may not do this. Hint: it needs the grant {required}; ask an admin.",
                    identity.name
                ),
            )
            .with_details(json!({"required": required})),
        )));
    }
    Ok(identity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_has_its_own_method_and_pattern() {
        // The middleware finds rows through `BY_ROUTE`: a repeated pair would hide a row.
        assert_eq!(BY_ROUTE.len(), ROUTES.len());
        let put_events = BY_ROUTE.get(&("POST", "/v1/buses/{bus}/events")).expect("listed");
        assert_eq!(put_events.need, Need::Grant(BusPublish, Res::Path("bus")));
    }
}
