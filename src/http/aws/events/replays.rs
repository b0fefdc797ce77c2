//! Replays: StartReplay, DescribeReplay, ListReplays, CancelReplay over the native
//! replays (which run in the background, in event-time order).

use super::*;
use crate::bus::replays::StartReplayRequest;
use crate::model::ReplayRecord;

const START: &str = "/v1/buses/{bus}/replays";
const REPLAY: &str = "/v1/replays/{name}";
const CANCEL: &str = "/v1/replays/{name}/cancel";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DestinationIn {
    arn: Option<String>,
    filter_arns: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ReplayIn {
    replay_name: Option<String>,
    event_source_arn: Option<String>,
    event_start_time: Option<Value>,
    event_end_time: Option<Value>,
    destination: Option<DestinationIn>,
    description: Option<String>,
    name_prefix: Option<String>,
    state: Option<String>,
    next_token: Option<String>,
    limit: Option<i64>,
}

fn state(r: &ReplayRecord) -> Value {
    serde_json::to_value(r.state).unwrap_or(Value::Null)
}

/// A rule ARN's name on `bus` (`rule/<name>` on `default`, `rule/<bus>/<name>` elsewhere).
fn rule_of(ctx: &Ctx<'_>, arn: &str, bus: &str) -> AwsResult<String> {
    let bad =
        |why: String| AwsError::validation(format!("Parameter Destination.FilterArns is not valid: {why}"));
    let resource = ctx.arns.events_resource(arn, "rule").map_err(bad)?;
    let name = match resource.split_once('/') {
        Some((b, name)) if b == bus => name,
        None if bus == crate::model::DEFAULT_BUS => resource,
        _ => return Err(bad(format!("'{arn}' is not a rule of the bus {bus}."))),
    };
    Ok(name.to_owned())
}

fn view(ctx: &Ctx<'_>, r: &ReplayRecord, full: bool) -> Value {
    let mut out = json!({
        "ReplayName": r.name,
        "EventSourceArn": ctx.arns.archive(&r.archive),
        "State": state(r),
        "EventStartTime": epoch(&r.start_time),
        "EventEndTime": epoch(&r.end_time),
        "ReplayStartTime": epoch(&r.started_at),
    });
    if let Some(reason) = &r.state_reason {
        out["StateReason"] = Value::String(reason.clone());
    }
    if let Some(t) = &r.last_replayed_time {
        out["EventLastReplayedTime"] = epoch(t);
    }
    if let Some(t) = &r.ended_at {
        out["ReplayEndTime"] = epoch(t);
    }
    if full {
        out["ReplayArn"] = Value::String(ctx.arns.replay(&r.name));
        let filters: Vec<String> = r.rules.iter().map(|rule| ctx.arns.rule(&r.bus, rule)).collect();
        out["Destination"] = if filters.is_empty() {
            json!({"Arn": ctx.arns.bus(&r.bus)})
        } else {
            json!({"Arn": ctx.arns.bus(&r.bus), "FilterArns": filters})
        };
    }
    out
}

/// A JSON 1.1 timestamp member as the RFC 3339 text the native request reads.
fn time_member(v: Option<Value>, member: &str) -> AwsResult<String> {
    match required(v, member).map(time_value)? {
        Value::String(s) => Ok(s),
        other => Err(AwsError::validation(format!("Parameter {member} is not a timestamp: {other}."))),
    }
}

pub(super) async fn start_replay(ctx: &Ctx<'_>, input: ReplayIn) -> AwsResult<Value> {
    let name = required(input.replay_name, "replayName")?;
    let source = required(input.event_source_arn, "eventSourceArn")?;
    let destination = required(input.destination, "destination")?;
    let dest_arn = required(destination.arn, "destination.arn")?;
    let start_time = time_member(input.event_start_time, "eventStartTime")?;
    let end_time = time_member(input.event_end_time, "eventEndTime")?;
    let archive = ctx
        .arns
        .events_resource(&source, "archive")
        .map_err(|m| AwsError::validation(format!("Parameter EventSourceArn is not valid: {m}")))?;
    let found = ctx.bus.find_archive(archive)?.ok_or_else(|| {
        AwsError::new("ResourceNotFoundException", format!("Archive {archive} does not exist."))
    })?;
    let bus = found.archive.bus;
    ctx.caller.allow("POST", START, Some(&bus))?;
    if bus_name(ctx, Some(&dest_arn))? != bus || !dest_arn.starts_with("arn:") {
        return Err(AwsError::validation(
            "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.",
        ));
    }
    let rules = destination
        .filter_arns
        .map(|arns| arns.iter().map(|a| rule_of(ctx, a, &bus)).collect::<AwsResult<Vec<_>>>())
        .transpose()?;
    // The native replay has no description: it is accepted and not kept (docs/AWS-API.md).
    let _description = input.description;
    let request = StartReplayRequest { name, archive: archive.to_owned(), start_time, end_time, rules };
    let r = ctx.bus.start_replay(&bus, request).await?;
    Ok(
        json!({"ReplayArn": ctx.arns.replay(&r.name), "State": state(&r), "ReplayStartTime": epoch(&r.started_at)}),
    )
}

pub(super) fn describe_replay(ctx: &Ctx<'_>, input: ReplayIn) -> AwsResult<Value> {
    let name = required(input.replay_name, "replayName")?;
    ctx.caller.allow("GET", REPLAY, None)?;
    Ok(view(ctx, &ctx.bus.get_replay(&name)?, true))
}

pub(super) fn list_replays(ctx: &Ctx<'_>, input: ReplayIn) -> AwsResult<Value> {
    ctx.caller.allow("GET", REPLAY, None)?;
    let n = limit(input.limit)?;
    let prefix = input.name_prefix.unwrap_or_default();
    let archive = input
        .event_source_arn
        .as_deref()
        .map(|a| ctx.arns.events_resource(a, "archive").map(str::to_owned).map_err(AwsError::validation))
        .transpose()?;
    let mut items = ctx.bus.list_replays()?;
    items.retain(|r| {
        r.name.starts_with(&prefix)
            && input.state.as_ref().is_none_or(|s| state(r) == Value::String(s.clone()))
            && archive.as_ref().is_none_or(|a| *a == r.archive)
    });
    let (items, token) = paged(items, |r| &r.name, input.next_token.as_deref(), n)?;
    let replays: Vec<Value> = items.iter().map(|r| view(ctx, r, false)).collect();
    Ok(with_token(json!({"Replays": replays}), token))
}

pub(super) async fn cancel_replay(ctx: &Ctx<'_>, input: ReplayIn) -> AwsResult<Value> {
    let name = required(input.replay_name, "replayName")?;
    ctx.caller.allow("POST", CANCEL, None)?;
    let r = ctx.bus.cancel_replay(&name).await?;
    Ok(json!({"ReplayArn": ctx.arns.replay(&r.name), "State": state(&r)}))
}
