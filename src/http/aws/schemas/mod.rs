//! The Schemas service (REST-JSON, docs/AWS-API.md "Schemas"): the operation is the
//! method and path (`/v1/registries/name/{registryName}/...`, `/v1/discoverers/...`,
//! `/v1/discover`, `/v1/policy`, `/tags/{resource-arn}`), answers are JSON with the
//! model's status (201 for creations, 202 for PutCodeBinding, 204 for deletions), errors
//! `{"Code", "Message"}` with `x-amzn-ErrorType`. Each operation checks the grant of the
//! native route it translates to and calls the same service method as that route.

mod bindings;
mod discovered;
mod discoverers;
mod policies;
mod registries;
mod route;
mod schema;
mod tags;
mod versions;

use std::time::Instant;

use actix_web::HttpRequest;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{AwsError, AwsFront, AwsResult, Caller, Service, authenticate};
use crate::aws::Arns;
use crate::bindings::BindingsService;
use crate::config::AuthMode;
use crate::discovery::DiscoveryService;
use crate::http::access::Access;
use crate::model::{RegistryName, SchemaName, VersionSelector};
use crate::percent::decode_strict as percent_decode;
use crate::registry::RegistryService;
use route::route;

/// The services the Schemas operations translate onto.
#[derive(Clone)]
pub(crate) struct SchemasServices {
    pub(crate) registry: RegistryService,
    pub(crate) bindings: BindingsService,
    pub(crate) discovery: DiscoveryService,
}

/// Every operation of the schemas model: all are served.
pub(crate) const OPERATIONS: &[&str] = &[
    "CreateRegistry",
    "DescribeRegistry",
    "ListRegistries",
    "UpdateRegistry",
    "DeleteRegistry",
    "CreateSchema",
    "DescribeSchema",
    "UpdateSchema",
    "DeleteSchema",
    "ListSchemas",
    "ListSchemaVersions",
    "DeleteSchemaVersion",
    "SearchSchemas",
    "ExportSchema",
    "GetDiscoveredSchema",
    "CreateDiscoverer",
    "DescribeDiscoverer",
    "ListDiscoverers",
    "UpdateDiscoverer",
    "DeleteDiscoverer",
    "StartDiscoverer",
    "StopDiscoverer",
    "PutCodeBinding",
    "DescribeCodeBinding",
    "GetCodeBindingSource",
    "PutResourcePolicy",
    "GetResourcePolicy",
    "DeleteResourcePolicy",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
];

// Native routes (rows of `http::access::ROUTES`) the operations translate to.
pub(crate) const REGISTRIES: &str = "/v1/registries";
pub(crate) const REGISTRY: &str = "/v1/registries/{registry}";
pub(crate) const SCHEMAS: &str = "/v1/registries/{registry}/schemas";
pub(crate) const SCHEMA: &str = "/v1/registries/{registry}/schemas/{schema}";
pub(crate) const VERSIONS: &str = "/v1/registries/{registry}/schemas/{schema}/versions";
pub(crate) const VERSION: &str = "/v1/registries/{registry}/schemas/{schema}/versions/{version}";
pub(crate) const BINDINGS: &str =
    "/v1/registries/{registry}/schemas/{schema}/versions/{version}/bindings/{language}";
pub(crate) const DISCOVERY: &str = "/v1/buses/{bus}/discovery";

/// What an operation works with.
pub(crate) struct Ctx<'a> {
    pub(crate) services: &'a SchemasServices,
    pub(crate) arns: &'a Arns,
    pub(crate) caller: &'a Caller,
    /// Path segments, percent-decoded.
    segments: Vec<String>,
    query: Vec<(String, String)>,
    body: &'a [u8],
}

impl Ctx<'_> {
    /// The decoded path segment at `i` (the route matched, so it exists).
    pub(crate) fn segment(&self, i: usize) -> &str {
        self.segments.get(i).map_or("", String::as_str)
    }

    /// A query parameter.
    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated query parameter.
    pub(crate) fn queries(&self, name: &str) -> Vec<&str> {
        self.query.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    /// The JSON body.
    pub(crate) fn body<T: DeserializeOwned>(&self) -> AwsResult<T> {
        super::body(self.body)
    }

    /// The registry named by the path.
    pub(crate) fn registry(&self) -> AwsResult<RegistryName> {
        Ok(RegistryName::parse(self.segment(3))?)
    }

    /// The schema named by the path.
    pub(crate) fn schema(&self) -> AwsResult<SchemaName> {
        Ok(SchemaName::parse(self.segment(6))?)
    }

    /// `schemaVersion` of the query (latest when absent).
    pub(crate) fn version_query(&self) -> AwsResult<VersionSelector> {
        self.query("schemaVersion").map_or(Ok(VersionSelector::Latest), |v| Ok(v.parse()?))
    }

    /// `limit` of the query: 1 to 1000 (the native page limits), default 100.
    pub(crate) fn limit(&self) -> AwsResult<usize> {
        match self.query("limit").map(str::parse::<usize>) {
            None => Ok(100),
            Some(Ok(n @ 1..=1000)) => Ok(n),
            Some(_) => Err(bad_request("Limit must be a number from 1 to 1000.")),
        }
    }
}

/// An answer: JSON with a status, no body, or a blob.
pub(crate) enum Reply {
    Json(u16, Value),
    Empty,
    Blob(Vec<u8>),
}

impl Reply {
    pub(crate) fn ok(value: Value) -> Self {
        Self::Json(200, compact(value))
    }

    pub(crate) fn created(value: Value) -> Self {
        Self::Json(201, compact(value))
    }

    fn response(self) -> HttpResponse {
        let id = ("x-amzn-RequestId", uuid::Uuid::new_v4().to_string());
        match self {
            Self::Json(status, value) => {
                HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
                    .insert_header(id)
                    .insert_header((header::CONTENT_TYPE, "application/json"))
                    .json(value)
            }
            Self::Empty => HttpResponse::NoContent().insert_header(id).finish(),
            Self::Blob(bytes) => HttpResponse::Ok()
                .insert_header(id)
                .insert_header((header::CONTENT_TYPE, "application/octet-stream"))
                .body(bytes),
        }
    }
}

/// Drops null members: absent optional members are left out, as AWS does.
fn compact(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).collect()),
        other => other,
    }
}

/// `BadRequestException`.
pub(crate) fn bad_request(message: impl Into<String>) -> AwsError {
    AwsError::rest("BadRequestException", 400, message)
}

/// A required member or parameter.
pub(crate) fn required<T>(value: Option<T>, member: &str) -> AwsResult<T> {
    value.ok_or_else(|| bad_request(format!("{member} is required.")))
}

/// Runs one operation.
async fn call(ctx: &Ctx<'_>, op: &str) -> AwsResult<Reply> {
    match op {
        "CreateRegistry" => registries::create(ctx).await,
        "DescribeRegistry" => registries::describe(ctx),
        "ListRegistries" => registries::list(ctx),
        "UpdateRegistry" => registries::update(ctx).await,
        "DeleteRegistry" => registries::delete(ctx).await,
        "CreateSchema" => schema::create(ctx).await,
        "DescribeSchema" => schema::describe(ctx),
        "UpdateSchema" => schema::update(ctx).await,
        "DeleteSchema" => schema::delete(ctx).await,
        "ListSchemas" => schema::list(ctx),
        "ListSchemaVersions" => versions::list(ctx),
        "DeleteSchemaVersion" => versions::delete(ctx).await,
        "SearchSchemas" => versions::search(ctx),
        "ExportSchema" => versions::export(ctx),
        "GetDiscoveredSchema" => discovered::get(ctx),
        "CreateDiscoverer" => discoverers::create(ctx).await,
        "DescribeDiscoverer" => discoverers::describe(ctx),
        "ListDiscoverers" => discoverers::list(ctx),
        "UpdateDiscoverer" => discoverers::update(ctx).await,
        "DeleteDiscoverer" => discoverers::delete(ctx).await,
        "StartDiscoverer" => discoverers::set_state(ctx, true).await,
        "StopDiscoverer" => discoverers::set_state(ctx, false).await,
        "PutCodeBinding" => bindings::put(ctx).await,
        "DescribeCodeBinding" => bindings::describe(ctx).await,
        "GetCodeBindingSource" => bindings::source(ctx).await,
        "PutResourcePolicy" => policies::put(ctx).await,
        "GetResourcePolicy" => policies::get(ctx),
        "DeleteResourcePolicy" => policies::delete(ctx).await,
        "TagResource" => tags::tag(ctx).await,
        "UntagResource" => tags::untag(ctx).await,
        "ListTagsForResource" => tags::list(ctx),
        other => Err(AwsError::rest("UnknownOperationException", 404, format!("{other} is not served."))),
    }
}

/// Whether an operation writes (and is recorded in the audit trail like its native route).
fn writes(op: &str) -> bool {
    ["Create", "Update", "Delete", "Put", "Start", "Stop", "Tag", "Untag"].iter().any(|p| op.starts_with(p))
        && op != "PutCodeBinding"
}

/// The Schemas dispatcher: authenticate, route on method and path, run, frame.
pub(crate) async fn dispatch(
    req: &HttpRequest,
    bytes: &[u8],
    access: &Access,
    front: &AwsFront,
    services: Option<&SchemasServices>,
    started: Instant,
) -> HttpResponse {
    let outcome = serve(req, bytes, access, front, services).await;
    let (op, res) = match outcome {
        Ok((op, reply)) => (op, reply.response()),
        Err((op, e)) => {
            let (kind, _) = e.framed(Service::Schemas);
            ::metrics::counter!("schemabus_aws_errors_total", "type" => kind).increment(1);
            (op, e.response(Service::Schemas))
        }
    };
    tracing::info!(
        target: "schemabus::http",
        method = %req.method(),
        operation = %format!("Schemas.{op}"),
        status = res.status().as_u16(),
        elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "aws request"
    );
    res
}

type Outcome = Result<(&'static str, Reply), (&'static str, AwsError)>;

async fn serve(
    req: &HttpRequest,
    bytes: &[u8],
    access: &Access,
    front: &AwsFront,
    services: Option<&SchemasServices>,
) -> Outcome {
    let caller = match access.mode {
        AuthMode::Off => Caller { identity: None },
        AuthMode::Required => {
            authenticate(req, bytes, access, front, Service::Schemas).map_err(|e| ("-", e))?
        }
    };
    let segments: Option<Vec<String>> =
        req.uri().path().trim_start_matches('/').split('/').map(percent_decode).collect();
    let segments =
        segments.ok_or_else(|| ("-", bad_request("The path is not valid percent-encoded UTF-8.")))?;
    let method = req.method().as_str();
    let op = route(method, &segments).ok_or_else(|| {
        (
            "-",
            AwsError::rest(
                "UnknownOperationException",
                404,
                format!(
                    "No Schemas operation is {method} {} (docs/AWS-API.md lists the operations; EventBridge and SQS requests carry X-Amz-Target).",
                    req.uri().path()
                ),
            ),
        )
    })?;
    let services = services.ok_or_else(|| {
        (
            op,
            AwsError::rest(
                "ServiceUnavailableException",
                503,
                "The Schemas service is not set up on this listener.",
            ),
        )
    })?;
    let query =
        url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes()).into_owned().collect();
    let ctx = Ctx { services, arns: &front.arns, caller: &caller, segments, query, body: bytes };
    let reply = call(&ctx, op).await.map_err(|e| (op, e))?;
    if writes(op) {
        let entry = crate::auth::audit::AuditEntry {
            key: caller.identity.as_ref().map_or_else(|| "anonymous".to_owned(), |i| i.name.clone()),
            method: method.to_owned(),
            path: format!("{} (AWS Schemas.{op})", req.uri().path()),
            status: 200,
            resource: (ctx.segment(1) == "registries" && !ctx.segment(3).is_empty())
                .then(|| format!("registry:{}", ctx.segment(3))),
        };
        if let Err(e) = access.audit.record(entry).await {
            tracing::error!(error = %e, "audit record not written");
        }
    }
    Ok((op, reply))
}

/// The Schemas request routing, for the fuzz targets (`fuzz/`): not an API.
#[doc(hidden)]
pub mod fuzzing {
    /// The operation `method` and the raw `path` (percent-encoded) are, as the listener
    /// routes them; `None` when the path does not decode or names no operation.
    pub fn route(method: &str, path: &str) -> Option<&'static str> {
        let segments = decode(path)?;
        super::route(method, &segments)
    }

    /// The decoded segments of a raw path, as the listener reads them.
    pub fn decode(path: &str) -> Option<Vec<String>> {
        path.trim_start_matches('/').split('/').map(crate::percent::decode_strict).collect()
    }
}
