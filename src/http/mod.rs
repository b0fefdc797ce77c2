//! The HTTP API: the only module that knows actix-web (with `startup`).
//!
//! Handlers are thin: extract and validate input, call one service method, shape the
//! response. Every route is registered through utoipa-actix-web, so the OpenAPI document
//! is generated from the same code that serves requests.

mod archives;
mod bindings;
mod buses;
mod catalog;
pub mod ccompat;
mod compatibility;
pub(crate) mod console;
mod discovery;
mod error;
mod events;
pub mod extract;
mod health;
mod inference;
mod metrics;
pub mod overload;
mod owned_schemas;
pub(crate) mod patterns;
mod queues;
mod registries;
mod replays;
mod rules;
mod schemas;
mod search;
mod spec;
mod tail;
mod traces;
mod versions;

pub mod access;
mod audit;
pub mod aws;
mod keys;

use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::{AppExt, scope};

pub(crate) use error::normalise_error_body;

/// Settings the handlers need (never the whole configuration).
#[derive(Debug, Clone, Copy)]
pub struct HttpSettings {
    /// Most validation errors listed in one answer.
    pub max_validation_errors: usize,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "schemabus",
        description = "Self-hosted event contract service: schema registry, validation at the bus boundary, routing bus and code bindings. Every error answers with the `ErrorBody` schema; its `code` values are listed in docs/ERRORS.md.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(schemas(crate::error::ErrorBody)),
    tags(
        (name = "registries", description = "Named collections of schemas."),
        (name = "schemas", description = "Schemas, their metadata, and search."),
        (name = "versions", description = "Immutable, numbered schema versions and validation against them."),
        (name = "compatibility", description = "Compatibility modes, checks and diffs (docs/COMPATIBILITY.md)."),
        (name = "bindings", description = "Generated Rust and TypeScript bindings (docs/CODEGEN.md)."),
        (name = "inference", description = "Schemas inferred from sample events (docs/INFERENCE.md)."),
        (name = "discovery", description = "Schema discovery on live traffic: per-bus sampling, hints, drift (docs/INFERENCE.md#discovery)."),
        (name = "patterns", description = "The EventBridge event-pattern language (docs/PATTERNS.md)."),
        (name = "health", description = "Liveness and readiness probes."),
        (name = "buses", description = "Event buses, their validation settings, bindings and quarantine."),
        (name = "events", description = "PutEvents: events entering a bus."),
        (name = "rules", description = "Rules: event patterns and their targets."),
        (name = "queues", description = "Durable pull queues: receive, ack, visibility, redrive."),
        (name = "metrics", description = "Prometheus metrics."),
        (name = "keys", description = "API keys and their grants (docs/SECURITY.md); admin only."),
        (name = "audit", description = "The audit trail of writes; admin only."),
        (name = "archives", description = "Archives of a bus's accepted events (docs/DELIVERY.md#archives)."),
        (name = "replays", description = "Replays of an archive's time window to a bus's rules."),
        (name = "catalog", description = "The event catalog: types, producers, consumers, traffic; AsyncAPI export (docs/CATALOG.md)."),
        (name = "traces", description = "Where an event went: rules, targets, webhook attempts (docs/DELIVERY.md#traces)."),
    )
)]
struct ApiDoc;

/// Mounts every documented route.
pub(crate) fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(owned_schemas::get_owned_schema)
        .service(metrics::metrics)
        .service(
            // The hot paths first: actix tries a scope's resources in registration order,
            // one regex each, and so does the access middleware's `match_pattern`.
            scope::scope("/v1")
                .service(events::put_events)
                .service(queues::receive)
                .service(queues::ack)
                .service(queues::send)
                .service(registries::create_registry)
                .service(registries::list_registries)
                .service(registries::get_registry)
                .service(registries::update_registry)
                .service(registries::delete_registry)
                .service(schemas::list_schemas)
                .service(schemas::get_schema)
                .service(schemas::update_schema)
                .service(schemas::delete_schema)
                .service(versions::register_version)
                .service(versions::list_versions)
                .service(versions::get_version)
                .service(versions::delete_version)
                .service(versions::validate_document)
                .service(compatibility::get_registry_config)
                .service(compatibility::set_registry_config)
                .service(compatibility::get_schema_config)
                .service(compatibility::set_schema_config)
                .service(compatibility::check_compatibility)
                .service(compatibility::diff_versions)
                .service(bindings::get_bindings)
                .service(search::search_schemas)
                .service(patterns::test_event_pattern)
                .service(inference::infer_schema)
                .service(buses::create_bus)
                .service(buses::list_buses)
                .service(buses::get_bus)
                .service(buses::update_bus)
                .service(buses::delete_bus)
                .service(buses::list_quarantine)
                .service(buses::resubmit_quarantine)
                .service(tail::tail_bus)
                .service(rules::put_rule)
                .service(rules::list_rules)
                .service(rules::get_rule)
                .service(rules::delete_rule)
                .service(queues::put_queue)
                .service(queues::list_queues)
                .service(queues::get_queue)
                .service(queues::delete_queue)
                .service(discovery::put_bus_discovery)
                .service(discovery::get_bus_discovery)
                .service(discovery::put_hints)
                .service(discovery::get_hints)
                .service(keys::create_key)
                .service(keys::list_keys)
                .service(keys::revoke_key)
                .service(keys::create_aws_credentials)
                .service(audit::list_audit)
                .service(archives::put_archive)
                .service(archives::list_archives)
                .service(archives::get_archive)
                .service(archives::delete_archive)
                .service(replays::start_replay)
                .service(replays::get_replay)
                .service(replays::cancel_replay)
                .service(traces::get_event_trace)
                .service(catalog::list_catalog)
                .service(catalog::get_bus_asyncapi),
        );
}

/// The OpenAPI document, generated from the routes (what `openapi/openapi.json` holds).
pub fn openapi() -> OpenApiDoc {
    let (_, api) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(configure)
        .split_for_parts();
    let mut api = secure(api);
    spec::constrain_parameters(&mut api);
    api
}

/// Declares the `bearer` security scheme, and on every operation its requirement (from
/// the access table: anonymous operations list an empty requirement) and, when it needs
/// a key, the 401, 403 and 429 answers; on every operation that may write (all but
/// GET), the 507 `storage_full` answer; and the answers of the overload limits (408,
/// 431, 503) on every operation they apply to.
fn secure(mut api: OpenApiDoc) -> OpenApiDoc {
    use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("An API key (`sb_…`) created by an admin; see docs/SECURITY.md."))
                .build(),
        ),
    );
    let anonymous: std::collections::HashSet<(String, &str)> = access::table()
        .into_iter()
        .filter(|(_, _, anonymous)| *anonymous)
        .map(|(method, pattern, _)| (method.to_ascii_lowercase(), pattern))
        .collect();
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
            )
            .build()
    };
    for (path, item) in api.paths.paths.iter_mut() {
        let operations = [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("patch", &mut item.patch),
        ];
        for (method, operation) in operations {
            let Some(op) = operation.as_mut() else { continue };
            // The limits of src/http/overload.rs hold for every operation but the probes.
            if !overload::NEVER_SHED.contains(&path.as_str()) {
                let responses = &mut op.responses.responses;
                responses.entry("431".into()).or_insert_with(|| {
                    error("The headers are over `--max-header-bytes` (`headers_too_large`).").into()
                });
                responses.entry("503".into()).or_insert_with(|| {
                    error("The service is at its concurrency limit (`overloaded`); retry after `Retry-After` seconds.")
                        .into()
                });
                if op.request_body.is_some() {
                    responses.entry("408".into()).or_insert_with(|| {
                        error("The body did not arrive within `--body-read-timeout-ms` (`request_timeout`).").into()
                    });
                }
            }
            if method != "get" {
                op.responses.responses.entry("507".into()).or_insert_with(|| {
                    error("The disk holding the data directory is full (`storage_full`): nothing was written; retry after `Retry-After` seconds.").into()
                });
            }
            if anonymous.contains(&(method.to_owned(), path.as_str())) {
                op.security = Some(vec![SecurityRequirement::default()]);
                continue;
            }
            op.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);
            let responses = &mut op.responses.responses;
            responses
                .entry("401".into())
                .or_insert_with(|| error("No key, or an unknown or revoked key (`unauthorized`).").into());
            responses.entry("403".into()).or_insert_with(|| {
                error("The key lacks the grant (`forbidden`; `details.required` names it).").into()
            });
            responses.entry("429".into()).or_insert_with(|| {
                error("The key is over its rate (`rate_limited`); retry after `Retry-After` seconds.").into()
            });
        }
    }
    api
}

/// The OpenAPI document as pretty JSON with a trailing newline, as committed.
pub fn openapi_json() -> String {
    let mut text = openapi().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}

/// Turns query-string errors into the standard body.
pub(crate) fn query_config() -> actix_web::web::QueryConfig {
    actix_web::web::QueryConfig::default().error_handler(extract::query_error)
}
