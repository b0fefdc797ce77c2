//! The AWS-compatible front end (docs/AWS-API.md): `--aws-listen`, a second actix
//! listener in the same process over the same services. A request is routed to its
//! service by how it is framed ([`Service::of`]): `X-Amz-Target: AWSEvents.<Operation>`
//! is EventBridge (JSON 1.1, errors `{"__type", "message"}`), `X-Amz-Target:
//! AmazonSQS.<Operation>` is SQS (JSON 1.0), anything else is the Schemas REST-JSON API.
//!
//! Every request is authenticated with SigV4 (`aws::sigv4`, pure) against the sealed
//! secret of its access key id (`auth::aws`), rate-limited per key, and authorized with
//! the row of `http::access::ROUTES` of the native route the operation translates to:
//! the same grants, the same table. Operations are thin translations onto `BusService`
//! (EventBridge, `events.rs`) and onto the registry, bindings and discovery services
//! (Schemas, `schemas/`).

mod events;
mod schemas;
mod sqs;
mod sqs_messages;

pub(crate) use schemas::SchemasServices;
#[doc(hidden)]
pub use schemas::fuzzing as schemas_fuzzing;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::access::{Access, Need, Res, need_of};
use crate::auth::aws::{AwsCredentials, Resolved};
use crate::auth::{Identity, allows};
use crate::aws::{Arns, error_name, sigv4};
use crate::config::AuthMode;
use crate::error::ApiError;

/// The JSON 1.1 content type (EventBridge).
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// The JSON 1.0 content type (SQS).
pub const SQS_CONTENT_TYPE: &str = "application/x-amz-json-1.0";
/// The `X-Amz-Target` prefix of EventBridge.
pub const EVENTS_PREFIX: &str = "AWSEvents.";
/// The `X-Amz-Target` prefix of SQS.
pub const SQS_PREFIX: &str = "AmazonSQS.";

/// The AWS service a request is for, told apart by its framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// EventBridge: JSON 1.1, `X-Amz-Target: AWSEvents.*`.
    Events,
    /// SQS: JSON 1.0, `X-Amz-Target: AmazonSQS.*`.
    Sqs,
    /// Schemas: REST-JSON, the operation is the method and path.
    Schemas,
}

impl Service {
    /// The service of a request with this `X-Amz-Target` (empty when absent).
    pub fn of(target: &str) -> Self {
        if target.starts_with(EVENTS_PREFIX) {
            Self::Events
        } else if target.starts_with(SQS_PREFIX) {
            Self::Sqs
        } else {
            Self::Schemas
        }
    }

    /// The SigV4 signing name (the service of the credential scope).
    pub fn signing_name(self) -> &'static str {
        match self {
            Self::Events => "events",
            Self::Sqs => "sqs",
            Self::Schemas => "schemas",
        }
    }

    /// The botocore model name.
    pub fn model(self) -> &'static str {
        self.signing_name()
    }

    /// The content type of its answers.
    fn content_type(self) -> &'static str {
        match self {
            Self::Sqs => SQS_CONTENT_TYPE,
            Self::Events | Self::Schemas => CONTENT_TYPE,
        }
    }
}

/// What the AWS front end needs besides the services.
#[derive(Debug, Clone)]
pub struct AwsFront {
    /// Account and region of ARNs and of the SigV4 scope.
    pub arns: Arns,
    /// The credentials.
    pub credentials: AwsCredentials,
    /// Connections, API destinations and tags.
    pub destinations: crate::destinations::Destinations,
}

/// An error as AWS answers it.
#[derive(Debug, Clone)]
pub(crate) struct AwsError {
    pub(crate) kind: String,
    pub(crate) message: String,
    pub(crate) status: u16,
    /// The native code it came from, so each service can name it in its own protocol.
    pub(crate) code: Option<crate::error::Code>,
}

impl AwsError {
    pub(crate) fn new(kind: &str, message: impl Into<String>) -> Self {
        let status = if kind == "InternalException" { 500 } else { 400 };
        Self { kind: kind.to_owned(), message: message.into(), status, code: None }
    }

    /// An error of the Schemas service: one of its model's shapes, with its status.
    pub(crate) fn rest(kind: &str, status: u16, message: impl Into<String>) -> Self {
        Self { kind: kind.to_owned(), message: message.into(), status, code: None }
    }

    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationException", message)
    }

    /// The name and status `service` answers this error with.
    pub(crate) fn framed(&self, service: Service) -> (String, u16) {
        match (service, self.code) {
            (Service::Schemas, Some(code)) => {
                let (name, status) = crate::aws::schemas_error_name(code);
                (name.to_owned(), status)
            }
            (Service::Schemas, None) => match crate::aws::schemas_kind_of(&self.kind) {
                Some((name, status)) => (name.to_owned(), status),
                // Raised as a Schemas shape (`AwsError::rest`): it carries its status.
                None => (self.kind.clone(), self.status),
            },
            _ => (self.kind.clone(), self.status),
        }
    }

    /// The error in `service`'s framing: JSON 1.x `{"__type", "message"}` (SQS with its
    /// model's namespaced shape and the legacy query code beside, which botocore reports
    /// as `Error.Code` and older SDKs match on), REST-JSON `{"Code", "Message"}`; all with
    /// `x-amzn-ErrorType` (what botocore's REST parser reads the code from).
    pub(crate) fn response(&self, service: Service) -> HttpResponse {
        let (kind, status) = self.framed(service);
        let (kind, query) = match service {
            Service::Sqs => {
                let w = crate::aws::sqs::wire(&kind);
                (w.shape, Some(format!("{};{}", w.code, w.fault)))
            }
            Service::Events | Service::Schemas => (kind, None),
        };
        let (content_type, body) = match service {
            Service::Schemas => ("application/json", json!({"Code": kind, "Message": self.message})),
            _ => (service.content_type(), json!({"__type": kind, "message": self.message})),
        };
        let mut res = HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST))
            .insert_header((header::CONTENT_TYPE, content_type))
            .insert_header(("x-amzn-RequestId", uuid::Uuid::new_v4().to_string()))
            .json(body);
        if let Ok(v) = HeaderValue::from_str(&kind) {
            res.headers_mut().insert(header::HeaderName::from_static("x-amzn-errortype"), v);
        }
        if let Some(v) = query.and_then(|q| HeaderValue::from_str(&q).ok()) {
            res.headers_mut().insert(header::HeaderName::from_static("x-amzn-query-error"), v);
        }
        res
    }
}

impl From<ApiError> for AwsError {
    fn from(e: ApiError) -> Self {
        let (kind, status) = error_name(e.code);
        if status == 500 {
            tracing::error!(error = %e, "AWS front end: internal error");
        }
        // Our messages end with a hint naming the native API; AWS clients get the first part.
        let message = e.message.split(" Hint: ").next().unwrap_or(&e.message).to_owned();
        Self { kind: kind.to_owned(), message, status, code: Some(e.code) }
    }
}

pub(crate) type AwsResult<T> = Result<T, AwsError>;

/// The caller of one request: the key it signed with (`None` with `--auth off`).
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) identity: Option<Identity>,
}

impl Caller {
    /// Whether the caller may do what the native route `(method, pattern)` does on
    /// `resource` (the path segment of the row; ignored for rows about every resource).
    pub(crate) fn allow(&self, method: &str, pattern: &str, resource: Option<&str>) -> AwsResult<()> {
        let Some(identity) = &self.identity else { return Ok(()) };
        let Need::Grant(permission, res) = need_of(method, pattern) else { return Ok(()) };
        let resource = match res {
            Res::Path(_) | Res::Query(_) => resource,
            _ => None,
        };
        if allows(&identity.grants, permission, resource) {
            return Ok(());
        }
        Err(AwsError::new(
            "AccessDeniedException",
            format!(
                "The key '{}' is not authorized to perform this operation: it needs the grant {}.",
                identity.name,
                permission.required_grant(resource)
            ),
        ))
    }

    /// The `source` values the caller may publish on `bus` (`None`: any).
    pub(crate) fn sources(&self, bus: &str) -> Option<Vec<String>> {
        self.identity.as_ref().and_then(|i| crate::auth::allowed_sources(&i.grants, bus))
    }
}

/// Reads a JSON 1.1 body (empty means `{}`).
pub(crate) fn body<T: DeserializeOwned>(bytes: &[u8]) -> AwsResult<T> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { bytes };
    serde_json::from_slice(bytes).map_err(|e| {
        if e.is_data() {
            AwsError::validation(format!("1 validation error detected: {e}"))
        } else {
            AwsError::new("SerializationException", format!("The request body is not JSON: {e}"))
        }
    })
}

fn answer(value: &impl Serialize, service: Service) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, service.content_type()))
        .insert_header(("x-amzn-RequestId", uuid::Uuid::new_v4().to_string()))
        .json(value)
}

/// Verifies the SigV4 signature of a request for `service` and resolves its key.
pub(crate) fn authenticate(
    req: &HttpRequest,
    bytes: &[u8],
    access: &Access,
    front: &AwsFront,
    service: Service,
) -> AwsResult<Caller> {
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let signed = sigv4::Request {
        method: req.method().as_str(),
        path: req.uri().path(),
        query: req.uri().query().unwrap_or(""),
        headers: &headers,
        body: bytes,
    };
    let sig_error = |e: sigv4::SigError| AwsError::new(e.aws_type(), e.message());
    let claim = sigv4::parse(&signed).map_err(sig_error)?;
    let (identity, secret) = match front.credentials.resolve(&claim.access_key_id)? {
        Resolved::Found(identity, secret) => (identity, secret),
        Resolved::Unknown | Resolved::Unsealable => {
            return Err(AwsError::new(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            ));
        }
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    sigv4::verify(&signed, &claim, &secret, now, &front.arns.region, service.signing_name())
        .map_err(sig_error)?;
    if let Err(seconds) = access.limiter.check(&identity.name) {
        ::metrics::counter!("schemabus_rate_limited_total").increment(1);
        return Err(AwsError::new("ThrottlingException", format!("Rate exceeded; retry after {seconds} s.")));
    }
    Ok(Caller { identity: Some(identity) })
}

/// `POST /` (and anything else): the JSON 1.1 dispatcher.
pub(crate) async fn dispatch(
    req: HttpRequest,
    bytes: Bytes,
    access: web::Data<Access>,
    front: web::Data<AwsFront>,
    bus: web::Data<crate::bus::BusService>,
    services: Option<web::Data<schemas::SchemasServices>>,
    overload: Option<web::Data<super::overload::Overload>>,
) -> HttpResponse {
    let started = std::time::Instant::now();
    let target = req.headers().get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let service = Service::of(&target);
    if service == Service::Schemas {
        return schemas::dispatch(
            &req,
            &bytes,
            &access,
            &front,
            services.as_ref().map(|d| d.get_ref()),
            started,
        )
        .await;
    }
    let outcome =
        serve(&req, &bytes, &target, &access, &front, &bus, overload.as_ref().map(|o| o.get_ref())).await;
    let res = match outcome {
        Ok(value) => answer(&value, service),
        Err(e) => {
            ::metrics::counter!("schemabus_aws_errors_total", "type" => e.kind.clone()).increment(1);
            e.response(service)
        }
    };
    tracing::info!(
        target: "schemabus::http",
        method = %req.method(),
        operation = %target,
        status = res.status().as_u16(),
        elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "aws request"
    );
    res
}

async fn serve(
    req: &HttpRequest,
    bytes: &[u8],
    target: &str,
    access: &Access,
    front: &AwsFront,
    bus: &crate::bus::BusService,
    overload: Option<&super::overload::Overload>,
) -> AwsResult<Value> {
    if req.method() != actix_web::http::Method::POST {
        return Err(AwsError::new(
            "UnknownOperationException",
            "EventBridge and SQS are served on POST / with X-Amz-Target.",
        ));
    }
    let service = Service::of(target);
    let caller = match access.mode {
        AuthMode::Off => Caller { identity: None },
        AuthMode::Required => authenticate(req, bytes, access, front, service)?,
    };
    let (out, route) = if let Some(op) = target.strip_prefix(SQS_PREFIX) {
        // Copied out: the connection info is a RefCell borrow, not to be held over awaits.
        let (scheme, host) = {
            let info = req.connection_info();
            (info.scheme().to_owned(), info.host().to_owned())
        };
        let ctx =
            sqs::Ctx { bus, arns: &front.arns, caller: &caller, scheme: &scheme, host: &host, overload };
        (sqs::call(&ctx, op, bytes).await?, sqs::native_route(op))
    } else if let Some(op) = target.strip_prefix(EVENTS_PREFIX) {
        let ctx = events::Ctx { bus, arns: &front.arns, caller: &caller, destinations: &front.destinations };
        (events::call(&ctx, op, bytes).await?, events::native_route(op))
    } else {
        return Err(AwsError::new(
            "UnknownOperationException",
            format!(
                "Unknown X-Amz-Target '{target}': this endpoint serves EventBridge (AWSEvents.*), SQS (AmazonSQS.*) and Schemas (REST-JSON, no X-Amz-Target) (docs/AWS-API.md)."
            ),
        ));
    };
    if let Some((method, pattern)) = route
        && super::access::audited(method, pattern)
    {
        // Only now: reading the resource parses the whole body again, which PutEvents and
        // SendMessage (not audited) must not pay for.
        let resource = match target.strip_prefix(SQS_PREFIX) {
            Some(_) => sqs::written_queue(&front.arns, bytes).map(|q| format!("queue:{q}")),
            None => written_resource(target.trim_start_matches(EVENTS_PREFIX), bytes),
        };
        let entry = crate::auth::audit::AuditEntry {
            key: caller.identity.as_ref().map_or_else(|| "anonymous".to_owned(), |i| i.name.clone()),
            method: "POST".to_owned(),
            path: format!("/ (AWS {target})"),
            status: 200,
            resource,
        };
        if let Err(e) = access.audit.record(entry).await {
            tracing::error!(error = %e, "audit record not written");
        }
    }
    Ok(out)
}

/// The resource an audited operation wrote (from its request): `archive:<name>`,
/// `replay:<name>`, or the bus.
fn written_resource(op: &str, bytes: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(bytes).ok()?;
    let kinds = [
        ("Archive", "ArchiveName", "archive"),
        ("Replay", "ReplayName", "replay"),
        ("Connection", "Name", "connection"),
        ("ApiDestination", "Name", "api-destination"),
        ("Resource", "ResourceARN", "resource"),
    ];
    for (suffix, member, kind) in kinds {
        if op.ends_with(suffix) {
            return v.get(member).and_then(Value::as_str).map(|n| format!("{kind}:{n}"));
        }
    }
    let member = if op.ends_with("EventBus") { "Name" } else { "EventBusName" };
    let name = v.get(member).and_then(Value::as_str).unwrap_or("default");
    Some(format!("bus:{}", name.rsplit('/').next().unwrap_or(name)))
}

/// The operations of a botocore model (`events`, `sqs`, `schemas`) served here (for
/// docs/AWS-API.md and its test).
pub fn served_operations(model: &str) -> &'static [&'static str] {
    match model {
        "events" => events::OPERATIONS,
        "schemas" => schemas::OPERATIONS,
        "sqs" => sqs::OPERATIONS,
        _ => &[],
    }
}

/// The AWS app's routes.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.default_service(web::to(dispatch));
}
