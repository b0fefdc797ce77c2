//! EventBridge operations (`AWSEvents.*`) translated onto `BusService`: each one reads
//! its AWS request shape, checks the grant of the native route it is (`Caller::allow`),
//! calls the same service method as that route, and writes the AWS answer shape. No rule
//! of the bus is implemented here; only AWS's request shapes and ARNs are.

use serde::Deserialize;
use serde_json::{Map, Value, json};

mod archives;
mod buses;
mod connections;
mod put_events;
mod replays;
mod rules;
mod tags;
mod targets;
mod test_pattern;

use archives::*;
use buses::*;
use connections::*;
use put_events::*;
use replays::*;
use rules::*;
use tags::*;
use targets::*;
use test_pattern::*;

use super::{AwsError, AwsResult, Caller, body};
use crate::aws::{Arns, page};
use crate::bus::BusService;
use crate::bus::entry::{DetailInput, EntryInput};
use crate::bus::requests::{CreateBusRequest, PutEventsRequest, PutRuleRequest, UpdateBusRequest};
use crate::error::Code;
use crate::model::{InputTransformer, RuleRecord, RuleState, Target};

/// What an operation works with.
pub(crate) struct Ctx<'a> {
    pub(crate) bus: &'a BusService,
    pub(crate) arns: &'a Arns,
    pub(crate) caller: &'a Caller,
    pub(crate) destinations: &'a crate::destinations::Destinations,
}

/// The operations of the events model served (the rest answer `UnknownOperationException`
/// and are listed as not yet supported in docs/AWS-API.md).
pub(crate) const OPERATIONS: &[&str] = &[
    "CreateEventBus",
    "DescribeEventBus",
    "ListEventBuses",
    "UpdateEventBus",
    "DeleteEventBus",
    "PutEvents",
    "PutRule",
    "DescribeRule",
    "ListRules",
    "DeleteRule",
    "EnableRule",
    "DisableRule",
    "ListRuleNamesByTarget",
    "PutTargets",
    "RemoveTargets",
    "ListTargetsByRule",
    "TestEventPattern",
    "CreateArchive",
    "DescribeArchive",
    "ListArchives",
    "UpdateArchive",
    "DeleteArchive",
    "StartReplay",
    "DescribeReplay",
    "ListReplays",
    "CancelReplay",
    "CreateConnection",
    "DescribeConnection",
    "ListConnections",
    "UpdateConnection",
    "DeleteConnection",
    "DeauthorizeConnection",
    "CreateApiDestination",
    "DescribeApiDestination",
    "ListApiDestinations",
    "UpdateApiDestination",
    "DeleteApiDestination",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
];

const BUSES: &str = "/v1/buses";
const BUS: &str = "/v1/buses/{bus}";
const EVENTS: &str = "/v1/buses/{bus}/events";
const RULES: &str = "/v1/buses/{bus}/rules";
const RULE: &str = "/v1/buses/{bus}/rules/{rule}";

/// The native route an operation is (its grant and whether it is audited).
pub(crate) fn native_route(op: &str) -> Option<(&'static str, &'static str)> {
    Some(match op {
        "CreateEventBus" => ("POST", BUSES),
        "ListEventBuses" => ("GET", BUSES),
        "DescribeEventBus" => ("GET", BUS),
        "UpdateEventBus" => ("PATCH", BUS),
        "DeleteEventBus" => ("DELETE", BUS),
        "PutEvents" => ("POST", EVENTS),
        "ListRules" | "ListRuleNamesByTarget" => ("GET", RULES),
        "DescribeRule" | "ListTargetsByRule" => ("GET", RULE),
        "PutRule" | "EnableRule" | "DisableRule" | "PutTargets" | "RemoveTargets" => ("PUT", RULE),
        "DeleteRule" => ("DELETE", RULE),
        "TestEventPattern" => ("POST", "/v1/test-event-pattern"),
        "CreateArchive" | "UpdateArchive" => ("PUT", "/v1/buses/{bus}/archives/{archive}"),
        "DescribeArchive" => ("GET", "/v1/buses/{bus}/archives/{archive}"),
        "ListArchives" => ("GET", "/v1/buses/{bus}/archives"),
        "DeleteArchive" => ("DELETE", "/v1/buses/{bus}/archives/{archive}"),
        "StartReplay" => ("POST", "/v1/buses/{bus}/replays"),
        "DescribeReplay" | "ListReplays" => ("GET", "/v1/replays/{name}"),
        "CancelReplay" => ("POST", "/v1/replays/{name}/cancel"),
        "CreateConnection"
        | "UpdateConnection"
        | "DeleteConnection"
        | "DeauthorizeConnection"
        | "CreateApiDestination"
        | "UpdateApiDestination"
        | "DeleteApiDestination" => ("POST", BUSES),
        "DescribeConnection" | "ListConnections" | "DescribeApiDestination" | "ListApiDestinations" => {
            ("GET", BUSES)
        }
        // The grant depends on the ARN (tags.rs checks it); the row marks them audited.
        "TagResource" | "UntagResource" => ("POST", BUSES),
        "ListTagsForResource" => ("GET", BUSES),
        _ => return None,
    })
}

/// Runs one operation.
pub(crate) async fn call(ctx: &Ctx<'_>, op: &str, bytes: &[u8]) -> AwsResult<Value> {
    match op {
        "CreateEventBus" => create_event_bus(ctx, body(bytes)?).await,
        "DescribeEventBus" => describe_event_bus(ctx, body(bytes)?),
        "ListEventBuses" => list_event_buses(ctx, body(bytes)?),
        "UpdateEventBus" => update_event_bus(ctx, body(bytes)?).await,
        "DeleteEventBus" => delete_event_bus(ctx, body(bytes)?).await,
        "PutEvents" => put_events(ctx, bytes).await,
        "PutRule" => put_rule(ctx, body(bytes)?).await,
        "DescribeRule" => describe_rule(ctx, body(bytes)?),
        "ListRules" => list_rules(ctx, body(bytes)?),
        "DeleteRule" => delete_rule(ctx, body(bytes)?).await,
        "EnableRule" => set_state(ctx, body(bytes)?, RuleState::Enabled).await,
        "DisableRule" => set_state(ctx, body(bytes)?, RuleState::Disabled).await,
        "ListRuleNamesByTarget" => list_rule_names_by_target(ctx, body(bytes)?),
        "PutTargets" => put_targets(ctx, body(bytes)?).await,
        "RemoveTargets" => remove_targets(ctx, body(bytes)?).await,
        "ListTargetsByRule" => list_targets_by_rule(ctx, body(bytes)?),
        "TestEventPattern" => test_event_pattern(ctx, body(bytes)?),
        "CreateArchive" => create_archive(ctx, body(bytes)?).await,
        "DescribeArchive" => describe_archive(ctx, body(bytes)?),
        "ListArchives" => list_archives(ctx, body(bytes)?),
        "UpdateArchive" => update_archive(ctx, body(bytes)?).await,
        "DeleteArchive" => delete_archive(ctx, body(bytes)?).await,
        "StartReplay" => start_replay(ctx, body(bytes)?).await,
        "DescribeReplay" => describe_replay(ctx, body(bytes)?),
        "ListReplays" => list_replays(ctx, body(bytes)?),
        "CancelReplay" => cancel_replay(ctx, body(bytes)?).await,
        "CreateConnection" => create_connection(ctx, body(bytes)?).await,
        "DescribeConnection" => describe_connection(ctx, body(bytes)?),
        "ListConnections" => list_connections(ctx, body(bytes)?),
        "UpdateConnection" => update_connection(ctx, body(bytes)?).await,
        "DeleteConnection" => delete_connection(ctx, body(bytes)?).await,
        "DeauthorizeConnection" => deauthorize_connection(ctx, body(bytes)?).await,
        "CreateApiDestination" => create_api_destination(ctx, body(bytes)?).await,
        "DescribeApiDestination" => describe_api_destination(ctx, body(bytes)?),
        "ListApiDestinations" => list_api_destinations(ctx, body(bytes)?),
        "UpdateApiDestination" => update_api_destination(ctx, body(bytes)?).await,
        "DeleteApiDestination" => delete_api_destination(ctx, body(bytes)?).await,
        "TagResource" => tag_resource(ctx, body(bytes)?).await,
        "UntagResource" => untag_resource(ctx, body(bytes)?).await,
        "ListTagsForResource" => list_tags_for_resource(ctx, body(bytes)?),
        other => Err(AwsError::new(
            "UnknownOperationException",
            format!("The operation {other} is not served (yet); docs/AWS-API.md lists what is."),
        )),
    }
}

// ---- helpers ---------------------------------------------------------------------------

fn required<T>(value: Option<T>, member: &str) -> AwsResult<T> {
    value.ok_or_else(|| {
        AwsError::validation(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

fn bus_name(ctx: &Ctx<'_>, name_or_arn: Option<&str>) -> AwsResult<String> {
    let given = name_or_arn.unwrap_or("default");
    ctx.arns.bus_name(given).map(str::to_owned).map_err(AwsError::validation)
}

fn limit(limit: Option<i64>) -> AwsResult<usize> {
    match limit {
        None => Ok(100),
        Some(n @ 1..=100) => Ok(usize::try_from(n).unwrap_or(100)),
        Some(n) => Err(AwsError::validation(format!(
            "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100"
        ))),
    }
}

fn epoch(rfc3339: &str) -> Value {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .map(|t| json!((t.unix_timestamp_nanos() / 1_000_000) as f64 / 1000.0))
        .unwrap_or(Value::Null)
}

fn paged<T>(
    items: Vec<T>,
    name: impl Fn(&T) -> &str,
    token: Option<&str>,
    n: usize,
) -> AwsResult<(Vec<T>, Option<String>)> {
    page(items, name, token, n).map_err(AwsError::validation)
}

fn with_token(mut out: Value, token: Option<String>) -> Value {
    if let (Some(t), Some(map)) = (token, out.as_object_mut()) {
        map.insert("NextToken".to_owned(), Value::String(t));
    }
    out
}

fn state_name(state: RuleState) -> &'static str {
    match state {
        RuleState::Enabled => "ENABLED",
        RuleState::Disabled => "DISABLED",
    }
}

fn pattern_text(pattern: &Value) -> String {
    match pattern {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListIn {
    name_prefix: Option<String>,
    next_token: Option<String>,
    limit: Option<i64>,
    event_bus_name: Option<String>,
    target_arn: Option<String>,
}

/// The rule, or `None` when it does not exist (other errors pass).
fn existing_rule(ctx: &Ctx<'_>, bus: &str, rule: &str) -> AwsResult<Option<RuleRecord>> {
    match ctx.bus.get_rule(bus, rule) {
        Ok(r) => Ok(Some(r)),
        Err(e) if e.code == Code::RuleNotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn rule_not_found(bus: &str, rule: &str) -> AwsError {
    AwsError::new("ResourceNotFoundException", format!("Rule {rule} does not exist on EventBus {bus}."))
}

/// Replaces a rule through the native service (the one place rules are checked).
async fn store_rule(ctx: &Ctx<'_>, bus: &str, rule: &str, request: PutRuleRequest) -> AwsResult<RuleRecord> {
    Ok(ctx.bus.put_rule(bus, rule, request).await?)
}

/// The request that stores `rule` again as it is (callers change what they change).
fn as_request(rule: RuleRecord) -> PutRuleRequest {
    PutRuleRequest {
        description: rule.description,
        pattern: rule.pattern,
        schedule: rule.schedule,
        state: rule.state,
        targets: rule.targets,
    }
}

/// A JSON 1.1 timestamp (epoch seconds) as the RFC 3339 text the native entry reads.
fn time_value(v: Value) -> Value {
    let Some(secs) = v.as_f64() else { return v };
    #[allow(clippy::cast_possible_truncation, reason = "epoch milliseconds fit in i128")]
    let nanos = (secs * 1000.0).round() as i128 * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .map_or(v, Value::String)
}
