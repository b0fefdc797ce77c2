//! EventBridge operations (`AWSEvents.*`) translated onto `BusService`: each one reads
//! its AWS request shape, checks the grant of the native route it is (`Caller::allow`),
//! calls the same service method as that route, and writes the AWS answer shape. No rule
//! of the bus is implemented here; only AWS's request shapes and ARNs are.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::{AwsError, AwsResult, Caller, body};
use crate::aws::{Arns, page};
use crate::bus::BusService;
use crate::bus::entry::EntryInput;
use crate::bus::requests::{CreateBusRequest, PutEventsRequest, PutRuleRequest, UpdateBusRequest};
use crate::error::Code;
use crate::model::{InputTransformer, RuleRecord, RuleState, Target};

/// What an operation works with.
pub(crate) struct Ctx<'a> {
    pub(crate) bus: &'a BusService,
    pub(crate) arns: &'a Arns,
    pub(crate) caller: &'a Caller,
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

// ---- event buses -----------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateEventBusIn {
    name: Option<String>,
    event_source_name: Option<String>,
    description: Option<String>,
}

async fn create_event_bus(ctx: &Ctx<'_>, input: CreateEventBusIn) -> AwsResult<Value> {
    let name = required(input.name, "name")?;
    ctx.caller.allow("POST", BUSES, None)?;
    if input.event_source_name.is_some() {
        return Err(AwsError::validation("Partner event buses (EventSourceName) are not supported."));
    }
    let record = ctx
        .bus
        .create_bus(CreateBusRequest {
            name,
            description: input.description,
            validation: None,
            bindings: None,
        })
        .await?;
    let mut out = json!({"EventBusArn": ctx.arns.bus(&record.name)});
    if let Some(d) = record.description {
        out["Description"] = Value::String(d);
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NameIn {
    name: Option<String>,
}

fn bus_view(ctx: &Ctx<'_>, record: &crate::model::BusRecord) -> Value {
    let mut out = json!({
        "Name": record.name,
        "Arn": ctx.arns.bus(&record.name),
        "CreationTime": epoch(&record.created_at),
        "LastModifiedTime": epoch(&record.updated_at),
    });
    if let Some(d) = &record.description {
        out["Description"] = Value::String(d.clone());
    }
    out
}

fn describe_event_bus(ctx: &Ctx<'_>, input: NameIn) -> AwsResult<Value> {
    let name = bus_name(ctx, input.name.as_deref())?;
    ctx.caller.allow("GET", BUS, Some(&name))?;
    Ok(bus_view(ctx, &ctx.bus.get_bus(&name)?))
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

fn list_event_buses(ctx: &Ctx<'_>, input: ListIn) -> AwsResult<Value> {
    ctx.caller.allow("GET", BUSES, None)?;
    let n = limit(input.limit)?;
    let items = ctx.bus.list_buses(input.name_prefix.as_deref().unwrap_or(""))?.items;
    let (items, token) = paged(items, |b| &b.name, input.next_token.as_deref(), n)?;
    let buses: Vec<Value> = items.iter().map(|b| bus_view(ctx, b)).collect();
    Ok(with_token(json!({"EventBuses": buses}), token))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateEventBusIn {
    name: Option<String>,
    description: Option<String>,
}

async fn update_event_bus(ctx: &Ctx<'_>, input: UpdateEventBusIn) -> AwsResult<Value> {
    let name = bus_name(ctx, input.name.as_deref())?;
    ctx.caller.allow("PATCH", BUS, Some(&name))?;
    let record = ctx
        .bus
        .update_bus(
            &name,
            UpdateBusRequest { description: input.description, validation: None, bindings: None },
        )
        .await?;
    let mut out = json!({"Name": record.name, "Arn": ctx.arns.bus(&record.name)});
    if let Some(d) = record.description {
        out["Description"] = Value::String(d);
    }
    Ok(out)
}

async fn delete_event_bus(ctx: &Ctx<'_>, input: NameIn) -> AwsResult<Value> {
    let name = required(input.name, "name")?;
    let name = bus_name(ctx, Some(&name))?;
    ctx.caller.allow("DELETE", BUS, Some(&name))?;
    match ctx.bus.delete_bus(&name).await {
        // EventBridge answers success for a bus that does not exist (the model lists no
        // ResourceNotFoundException for DeleteEventBus).
        Ok(()) => Ok(json!({})),
        Err(e) if e.code == Code::BusNotFound => Ok(json!({})),
        Err(e) if e.code == Code::BusBuiltin => {
            Err(AwsError::validation(format!("Cannot delete event bus {name}.")))
        }
        Err(e) => Err(e.into()),
    }
}

// ---- PutEvents -------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutEventsIn<'a> {
    #[serde(borrow)]
    entries: Option<Vec<AwsEntry<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AwsEntry<'a> {
    source: Option<Value>,
    detail_type: Option<Value>,
    #[serde(borrow)]
    detail: Option<&'a RawValue>,
    time: Option<Value>,
    resources: Option<Value>,
    event_bus_name: Option<String>,
}

/// The model's limit of entries per request.
const MAX_AWS_ENTRIES: usize = 10;

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

async fn put_events(ctx: &Ctx<'_>, bytes: &[u8]) -> AwsResult<Value> {
    let input: PutEventsIn<'_> = serde_json::from_slice(if bytes.is_empty() { b"{}" } else { bytes })
        .map_err(|e| {
            AwsError::new("SerializationException", format!("The request body is not valid: {e}"))
        })?;
    let entries = required(input.entries, "entries")?;
    if entries.is_empty() || entries.len() > MAX_AWS_ENTRIES {
        return Err(AwsError::validation(format!(
            "1 validation error detected: Value '{}' at 'entries' failed to satisfy constraint: Member must have length less than or equal to {MAX_AWS_ENTRIES} and greater than or equal to 1",
            entries.len()
        )));
    }
    // Entries name their bus each; one native PutEvents call per bus, results put back in
    // request order.
    let mut groups: Vec<(String, Vec<(usize, EntryInput<'_>)>)> = Vec::new();
    for (i, e) in entries.into_iter().enumerate() {
        let bus = bus_name(ctx, e.event_bus_name.as_deref())?;
        let entry = EntryInput {
            source: e.source,
            detail_type: e.detail_type,
            detail: e.detail,
            time: e.time.map(time_value),
            resources: e.resources,
            unknown: None,
            not_object: false,
        };
        match groups.iter_mut().find(|(b, _)| *b == bus) {
            Some((_, list)) => list.push((i, entry)),
            None => groups.push((bus, vec![(i, entry)])),
        }
    }
    for (bus, _) in &groups {
        ctx.caller.allow("POST", EVENTS, Some(bus))?;
    }
    let total: usize = groups.iter().map(|(_, l)| l.len()).sum();
    let mut results: Vec<Value> = vec![Value::Null; total];
    let mut failed = 0;
    for (bus, list) in groups {
        let (indexes, entries): (Vec<usize>, Vec<EntryInput<'_>>) = list.into_iter().unzip();
        let sources = ctx.caller.sources(&bus);
        match ctx.bus.put_events_as(&bus, PutEventsRequest { entries }, sources.as_deref()).await {
            Ok(answer) => {
                for (i, r) in indexes.into_iter().zip(answer.entries) {
                    results[i] = if let Some(id) = r.event_id {
                        json!({"EventId": id})
                    } else {
                        failed += 1;
                        let mut message = r.error_message.unwrap_or_default();
                        // The findings of the validation gate, each named by its JSON Pointer.
                        for f in r.errors.unwrap_or_default().iter().take(3) {
                            let at = if f.instance_path.is_empty() { "/" } else { &f.instance_path };
                            message.push_str(&format!(" At {at}: {}.", f.message.trim_end_matches('.')));
                        }
                        json!({"ErrorCode": r.error_code.unwrap_or_else(|| "InternalFailure".into()), "ErrorMessage": message})
                    };
                }
            }
            // A bus that does not exist fails its entries alone.
            Err(e) if e.code == Code::BusNotFound => {
                for i in indexes {
                    failed += 1;
                    results[i] = json!({"ErrorCode": "ResourceNotFoundException", "ErrorMessage": format!("Event bus {bus} does not exist.")});
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(json!({"FailedEntryCount": failed, "Entries": results}))
}

// ---- rules -----------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutRuleIn {
    name: Option<String>,
    schedule_expression: Option<String>,
    event_pattern: Option<String>,
    state: Option<String>,
    description: Option<String>,
    event_bus_name: Option<String>,
}

fn rule_state(state: &str) -> AwsResult<RuleState> {
    match state {
        "ENABLED" | "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS" => Ok(RuleState::Enabled),
        "DISABLED" => Ok(RuleState::Disabled),
        other => Err(AwsError::validation(format!(
            "1 validation error detected: Value '{other}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]"
        ))),
    }
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

async fn put_rule(ctx: &Ctx<'_>, input: PutRuleIn) -> AwsResult<Value> {
    let name = required(input.name, "name")?;
    let bus = bus_name(ctx, input.event_bus_name.as_deref())?;
    ctx.caller.allow("PUT", RULE, Some(&bus))?;
    if input.schedule_expression.is_some() {
        return Err(AwsError::validation(
            "ScheduleExpression is not supported yet by schemabus (docs/AWS-API.md); use an EventPattern.",
        ));
    }
    let Some(text) = input.event_pattern else {
        return Err(AwsError::validation(
            "Parameter(s) EventPattern or ScheduleExpression must be specified.",
        ));
    };
    let existing = existing_rule(ctx, &bus, &name)?;
    let state = match input.state.as_deref() {
        Some(s) => rule_state(s)?,
        None => existing.as_ref().map_or(RuleState::Enabled, |r| r.state),
    };
    // Parsed when it is JSON, so the native record holds an object; otherwise the text is
    // passed on and the native check words the error.
    let pattern =
        serde_json::from_str::<Value>(&text).ok().filter(Value::is_object).unwrap_or(Value::String(text));
    let targets = existing.map(|r| r.targets).unwrap_or_default();
    let request = PutRuleRequest { description: input.description, pattern, state, targets };
    let record = store_rule(ctx, &bus, &name, request).await?;
    Ok(json!({"RuleArn": ctx.arns.rule(&bus, &record.name)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RuleIn {
    name: Option<String>,
    event_bus_name: Option<String>,
}

fn rule_view(ctx: &Ctx<'_>, r: &RuleRecord) -> Value {
    let mut out = json!({
        "Name": r.name,
        "Arn": ctx.arns.rule(&r.bus, &r.name),
        "EventPattern": pattern_text(&r.pattern),
        "State": state_name(r.state),
        "EventBusName": r.bus,
    });
    if let Some(d) = &r.description {
        out["Description"] = Value::String(d.clone());
    }
    out
}

fn describe_rule(ctx: &Ctx<'_>, input: RuleIn) -> AwsResult<Value> {
    let name = required(input.name, "name")?;
    let bus = bus_name(ctx, input.event_bus_name.as_deref())?;
    ctx.caller.allow("GET", RULE, Some(&bus))?;
    let rule = existing_rule(ctx, &bus, &name)?.ok_or_else(|| rule_not_found(&bus, &name))?;
    let mut out = rule_view(ctx, &rule);
    out["CreatedBy"] = Value::String(ctx.arns.account.clone());
    Ok(out)
}

fn list_rules(ctx: &Ctx<'_>, input: ListIn) -> AwsResult<Value> {
    let bus = bus_name(ctx, input.event_bus_name.as_deref())?;
    ctx.caller.allow("GET", RULES, Some(&bus))?;
    let n = limit(input.limit)?;
    let prefix = input.name_prefix.unwrap_or_default();
    let mut items = ctx.bus.list_rules(&bus)?.items;
    items.retain(|r| r.name.starts_with(&prefix));
    let (items, token) = paged(items, |r| &r.name, input.next_token.as_deref(), n)?;
    let rules: Vec<Value> = items.iter().map(|r| rule_view(ctx, r)).collect();
    Ok(with_token(json!({"Rules": rules}), token))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteRuleIn {
    name: Option<String>,
    event_bus_name: Option<String>,
    force: Option<bool>,
}

async fn delete_rule(ctx: &Ctx<'_>, input: DeleteRuleIn) -> AwsResult<Value> {
    let name = required(input.name, "name")?;
    let bus = bus_name(ctx, input.event_bus_name.as_deref())?;
    ctx.caller.allow("DELETE", RULE, Some(&bus))?;
    let _force = input.force;
    let Some(rule) = existing_rule(ctx, &bus, &name)? else { return Ok(json!({})) };
    if !rule.targets.is_empty() {
        return Err(AwsError::validation("Rule can't be deleted since it has targets."));
    }
    match ctx.bus.delete_rule(&bus, &name).await {
        Ok(()) => Ok(json!({})),
        Err(e) if e.code == Code::RuleNotFound => Ok(json!({})),
        Err(e) => Err(e.into()),
    }
}

async fn set_state(ctx: &Ctx<'_>, input: RuleIn, state: RuleState) -> AwsResult<Value> {
    let name = required(input.name, "name")?;
    let bus = bus_name(ctx, input.event_bus_name.as_deref())?;
    ctx.caller.allow("PUT", RULE, Some(&bus))?;
    let rule = existing_rule(ctx, &bus, &name)?.ok_or_else(|| rule_not_found(&bus, &name))?;
    let request =
        PutRuleRequest { description: rule.description, pattern: rule.pattern, state, targets: rule.targets };
    store_rule(ctx, &bus, &name, request).await?;
    Ok(json!({}))
}

fn list_rule_names_by_target(ctx: &Ctx<'_>, input: ListIn) -> AwsResult<Value> {
    let arn = required(input.target_arn, "targetArn")?;
    let bus = bus_name(ctx, input.event_bus_name.as_deref())?;
    ctx.caller.allow("GET", RULES, Some(&bus))?;
    let n = limit(input.limit)?;
    let mut items = ctx.bus.list_rules(&bus)?.items;
    items.retain(|r| r.targets.iter().any(|t| target_arn(ctx.arns, t) == arn));
    let (items, token) = paged(items, |r| &r.name, input.next_token.as_deref(), n)?;
    let names: Vec<&str> = items.iter().map(|r| r.name.as_str()).collect();
    Ok(with_token(json!({"RuleNames": names}), token))
}

// ---- targets ---------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TargetsIn {
    rule: Option<String>,
    event_bus_name: Option<String>,
    targets: Option<Vec<Map<String, Value>>>,
    ids: Option<Vec<String>>,
    next_token: Option<String>,
    limit: Option<i64>,
}

fn target_arn(arns: &Arns, target: &Target) -> String {
    match target {
        Target::Queue { queue, .. } => arns.queue(queue),
        Target::Bus { bus, .. } => arns.bus(bus),
        Target::Webhook(w) => w.url.clone(),
    }
}

fn target_view(arns: &Arns, target: &Target) -> Value {
    let (id, input, input_path, transformer) = match target {
        Target::Queue { id, input, input_path, input_transformer, .. }
        | Target::Bus { id, input, input_path, input_transformer, .. } => {
            (id, input.as_ref(), input_path.as_ref(), input_transformer.as_ref())
        }
        Target::Webhook(w) => (&w.id, w.input.as_ref(), w.input_path.as_ref(), w.input_transformer.as_ref()),
    };
    let mut out = json!({"Id": id, "Arn": target_arn(arns, target)});
    if let Some(i) = input {
        out["Input"] = Value::String(i.to_string());
    }
    if let Some(p) = input_path {
        out["InputPath"] = Value::String(p.clone());
    }
    if let Some(t) = transformer {
        out["InputTransformer"] =
            json!({"InputPathsMap": t.input_paths_map, "InputTemplate": t.input_template});
    }
    out
}

/// Members of an AWS target that schemabus has no counterpart for.
const UNSUPPORTED_TARGET_MEMBERS: &[&str] = &[
    "RoleArn",
    "KinesisParameters",
    "RunCommandParameters",
    "EcsParameters",
    "BatchParameters",
    "SqsParameters",
    "HttpParameters",
    "RedshiftDataParameters",
    "SageMakerPipelineParameters",
    "AppSyncParameters",
];

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TransformerIn {
    input_paths_map: Option<std::collections::BTreeMap<String, String>>,
    input_template: Option<String>,
}

/// An AWS target as a native one, or the (ErrorCode, ErrorMessage) it fails with.
fn translate_target(ctx: &Ctx<'_>, t: &Map<String, Value>) -> Result<Target, (String, String)> {
    let bad = |m: String| ("ValidationException".to_owned(), m);
    let id =
        t.get("Id").and_then(Value::as_str).ok_or_else(|| bad("Target Id is required.".into()))?.to_owned();
    let arn =
        t.get("Arn").and_then(Value::as_str).ok_or_else(|| bad(format!("Target {id}: Arn is required.")))?;
    if let Some(m) = UNSUPPORTED_TARGET_MEMBERS.iter().find(|m| t.contains_key(**m)) {
        return Err(bad(format!("Target {id}: {m} is not supported by schemabus (docs/AWS-API.md).")));
    }
    let input = match t.get("Input") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(
            serde_json::from_str::<Value>(s)
                .map_err(|e| bad(format!("Target {id}: Input is not valid JSON: {e}.")))?,
        ),
        Some(_) => return Err(bad(format!("Target {id}: Input must be a string holding JSON."))),
    };
    let input_path = match t.get("InputPath") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(bad(format!("Target {id}: InputPath must be a string."))),
    };
    let input_transformer = match t.get("InputTransformer") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let parsed: TransformerIn = serde_json::from_value(v.clone())
                .map_err(|e| bad(format!("Target {id}: InputTransformer is not valid: {e}.")))?;
            let template = parsed
                .input_template
                .ok_or_else(|| bad(format!("Target {id}: InputTemplate is required.")))?;
            Some(InputTransformer {
                input_paths_map: parsed.input_paths_map.unwrap_or_default(),
                input_template: template,
            })
        }
    };
    for (member, want) in [("RetryPolicy", "retry policy"), ("DeadLetterConfig", "dead-letter config")] {
        if let Some(v) = t.get(member)
            && !v.is_object()
        {
            return Err(bad(format!("Target {id}: {member} must be an object ({want}).")));
        }
    }
    if let Some(dlq) = t.get("DeadLetterConfig").and_then(|d| d.get("Arn")).and_then(Value::as_str) {
        match ctx.arns.parse(dlq) {
            Ok(("sqs", _)) => {}
            Ok(_) => {
                return Err(bad(format!("Target {id}: the DeadLetterConfig Arn must be an SQS queue ARN.")));
            }
            Err(m) => return Err(bad(format!("Target {id}: {m}"))),
        }
    }
    let (service, resource) = ctx.arns.parse(arn).map_err(|m| bad(format!("Target {id}: {m}")))?;
    let target = match (service, resource.strip_prefix("event-bus/")) {
        ("sqs", _) => Target::Queue { id, queue: resource.to_owned(), input, input_path, input_transformer },
        ("events", Some(bus)) => {
            Target::Bus { id, bus: bus.to_owned(), input, input_path, input_transformer }
        }
        _ => {
            return Err(bad(format!(
                "Target {id}: {arn} is not a target kind schemabus serves (SQS queue or event bus ARNs)."
            )));
        }
    };
    // The native checks, target by target, so each failure is reported for its target.
    let checked = crate::bus::checks::target(&target, "/targets").and_then(|()| match &target {
        Target::Queue { queue, .. } => ctx.bus.queues().get(queue).map(|_| ()),
        Target::Bus { bus, .. } => ctx.bus.get_bus(bus).map(|_| ()),
        Target::Webhook(_) => Ok(()),
    });
    checked.map_err(|e| {
        let aws: AwsError = e.into();
        (aws.kind, aws.message)
    })?;
    Ok(target)
}

async fn put_targets(ctx: &Ctx<'_>, input: TargetsIn) -> AwsResult<Value> {
    let name = required(input.rule, "rule")?;
    let given = required(input.targets, "targets")?;
    let bus = bus_name(ctx, input.event_bus_name.as_deref())?;
    ctx.caller.allow("PUT", RULE, Some(&bus))?;
    let rule = existing_rule(ctx, &bus, &name)?.ok_or_else(|| rule_not_found(&bus, &name))?;
    let mut failed = Vec::new();
    let mut targets = rule.targets;
    for t in &given {
        match translate_target(ctx, t) {
            Ok(target) => match targets.iter_mut().find(|x| x.id() == target.id()) {
                Some(slot) => *slot = target,
                None => targets.push(target),
            },
            Err((code, message)) => failed.push(json!({
                "TargetId": t.get("Id").and_then(Value::as_str).unwrap_or_default(),
                "ErrorCode": code,
                "ErrorMessage": message,
            })),
        }
    }
    if failed.len() < given.len() {
        let request = PutRuleRequest {
            description: rule.description,
            pattern: rule.pattern,
            state: rule.state,
            targets,
        };
        if let Err(e) = ctx.bus.put_rule(&bus, &name, request).await {
            if e.code == Code::InvalidRequest && e.message.contains("targets") {
                return Err(AwsError::new(
                    "LimitExceededException",
                    e.message.split(" Hint: ").next().unwrap_or_default(),
                ));
            }
            return Err(e.into());
        }
    }
    Ok(json!({"FailedEntryCount": failed.len(), "FailedEntries": failed}))
}

async fn remove_targets(ctx: &Ctx<'_>, input: TargetsIn) -> AwsResult<Value> {
    let name = required(input.rule, "rule")?;
    let ids = required(input.ids, "ids")?;
    let bus = bus_name(ctx, input.event_bus_name.as_deref())?;
    ctx.caller.allow("PUT", RULE, Some(&bus))?;
    let rule = existing_rule(ctx, &bus, &name)?.ok_or_else(|| rule_not_found(&bus, &name))?;
    let mut failed = Vec::new();
    for id in &ids {
        if !rule.targets.iter().any(|t| t.id() == id) {
            failed.push(json!({"TargetId": id, "ErrorCode": "ResourceNotFoundException", "ErrorMessage": format!("Target {id} is not a target of rule {name}.")}));
        }
    }
    let targets: Vec<Target> =
        rule.targets.into_iter().filter(|t| !ids.iter().any(|i| i == t.id())).collect();
    let request =
        PutRuleRequest { description: rule.description, pattern: rule.pattern, state: rule.state, targets };
    ctx.bus.put_rule(&bus, &name, request).await?;
    Ok(json!({"FailedEntryCount": failed.len(), "FailedEntries": failed}))
}

fn list_targets_by_rule(ctx: &Ctx<'_>, input: TargetsIn) -> AwsResult<Value> {
    let name = required(input.rule, "rule")?;
    let bus = bus_name(ctx, input.event_bus_name.as_deref())?;
    ctx.caller.allow("GET", RULE, Some(&bus))?;
    let n = limit(input.limit)?;
    let rule = existing_rule(ctx, &bus, &name)?.ok_or_else(|| rule_not_found(&bus, &name))?;
    let mut targets = rule.targets;
    targets.sort_by(|a, b| a.id().cmp(b.id()));
    let (targets, token) = paged(targets, |t| t.id(), input.next_token.as_deref(), n)?;
    let views: Vec<Value> = targets.iter().map(|t| target_view(ctx.arns, t)).collect();
    Ok(with_token(json!({"Targets": views}), token))
}

// ---- TestEventPattern ------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TestIn {
    event_pattern: Option<String>,
    event: Option<String>,
}

fn test_event_pattern(ctx: &Ctx<'_>, input: TestIn) -> AwsResult<Value> {
    let pattern = required(input.event_pattern, "eventPattern")?;
    let event = required(input.event, "event")?;
    ctx.caller.allow("POST", "/v1/test-event-pattern", None)?;
    let pattern = crate::http::patterns::parse_pattern_value(
        Value::String(pattern),
        ctx.bus.settings().max_pattern_chars,
    )?;
    let event = crate::http::patterns::parse_event(Value::String(event))?;
    Ok(json!({"Result": pattern.matches(&event)}))
}
