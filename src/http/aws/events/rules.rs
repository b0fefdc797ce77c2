//! Rules: PutRule (patterns and schedules), Describe/List/Delete/Enable/DisableRule,
//! ListRuleNamesByTarget.

use super::*;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PutRuleIn {
    name: Option<String>,
    schedule_expression: Option<String>,
    event_pattern: Option<String>,
    state: Option<String>,
    description: Option<String>,
    event_bus_name: Option<String>,
    tags: Option<Vec<TagIn>>,
}

pub(super) fn rule_state(state: &str) -> AwsResult<RuleState> {
    match state {
        "ENABLED" | "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS" => Ok(RuleState::Enabled),
        "DISABLED" => Ok(RuleState::Disabled),
        other => Err(AwsError::validation(format!(
            "1 validation error detected: Value '{other}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]"
        ))),
    }
}

pub(super) async fn put_rule(ctx: &Ctx<'_>, input: PutRuleIn) -> AwsResult<Value> {
    let name = required(input.name, "name")?;
    let bus = bus_name(ctx, input.event_bus_name.as_deref())?;
    ctx.caller.allow("PUT", RULE, Some(&bus))?;
    if input.event_pattern.is_none() && input.schedule_expression.is_none() {
        return Err(AwsError::validation(
            "Parameter(s) EventPattern or ScheduleExpression must be specified.",
        ));
    }
    let tags = read_tags(input.tags.unwrap_or_default())?;
    let existing = existing_rule(ctx, &bus, &name)?;
    let state = match input.state.as_deref() {
        Some(s) => rule_state(s)?,
        None => existing.as_ref().map_or(RuleState::Enabled, |r| r.state),
    };
    // Parsed when it is JSON, so the native record holds an object; otherwise the text is
    // passed on and the native check words the error.
    let pattern = input.event_pattern.map(|text| {
        serde_json::from_str::<Value>(&text).ok().filter(Value::is_object).unwrap_or(Value::String(text))
    });
    let targets = existing.map(|r| r.targets).unwrap_or_default();
    let request = PutRuleRequest {
        description: input.description,
        pattern,
        schedule: input.schedule_expression,
        state,
        targets,
    };
    let record = store_rule(ctx, &bus, &name, request).await?;
    let arn = ctx.arns.rule(&bus, &record.name);
    add_tags(ctx, &arn, tags).await?;
    Ok(json!({"RuleArn": arn}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RuleIn {
    name: Option<String>,
    event_bus_name: Option<String>,
}

pub(super) fn rule_view(ctx: &Ctx<'_>, r: &RuleRecord) -> Value {
    let mut out = json!({
        "Name": r.name,
        "Arn": ctx.arns.rule(&r.bus, &r.name),
        "State": state_name(r.state),
        "EventBusName": r.bus,
    });
    if let Some(p) = &r.pattern {
        out["EventPattern"] = Value::String(pattern_text(p));
    }
    if let Some(s) = &r.schedule {
        out["ScheduleExpression"] = Value::String(s.clone());
    }
    if let Some(d) = &r.description {
        out["Description"] = Value::String(d.clone());
    }
    out
}

pub(super) fn describe_rule(ctx: &Ctx<'_>, input: RuleIn) -> AwsResult<Value> {
    let name = required(input.name, "name")?;
    let bus = bus_name(ctx, input.event_bus_name.as_deref())?;
    ctx.caller.allow("GET", RULE, Some(&bus))?;
    let rule = existing_rule(ctx, &bus, &name)?.ok_or_else(|| rule_not_found(&bus, &name))?;
    let mut out = rule_view(ctx, &rule);
    out["CreatedBy"] = Value::String(ctx.arns.account.clone());
    Ok(out)
}

pub(super) fn list_rules(ctx: &Ctx<'_>, input: ListIn) -> AwsResult<Value> {
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
pub(super) struct DeleteRuleIn {
    name: Option<String>,
    event_bus_name: Option<String>,
    force: Option<bool>,
}

pub(super) async fn delete_rule(ctx: &Ctx<'_>, input: DeleteRuleIn) -> AwsResult<Value> {
    let name = required(input.name, "name")?;
    let bus = bus_name(ctx, input.event_bus_name.as_deref())?;
    ctx.caller.allow("DELETE", RULE, Some(&bus))?;
    let _force = input.force;
    let Some(rule) = existing_rule(ctx, &bus, &name)? else { return Ok(json!({})) };
    if !rule.targets.is_empty() {
        return Err(AwsError::validation("Rule can't be deleted since it has targets."));
    }
    match ctx.bus.delete_rule(&bus, &name).await {
        Ok(()) => {
            drop_tags(ctx, &ctx.arns.rule(&bus, &name)).await?;
            Ok(json!({}))
        }
        Err(e) if e.code == Code::RuleNotFound => Ok(json!({})),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn set_state(ctx: &Ctx<'_>, input: RuleIn, state: RuleState) -> AwsResult<Value> {
    let name = required(input.name, "name")?;
    let bus = bus_name(ctx, input.event_bus_name.as_deref())?;
    ctx.caller.allow("PUT", RULE, Some(&bus))?;
    let rule = existing_rule(ctx, &bus, &name)?.ok_or_else(|| rule_not_found(&bus, &name))?;
    let request = PutRuleRequest { state, ..as_request(rule) };
    store_rule(ctx, &bus, &name, request).await?;
    Ok(json!({}))
}

pub(super) fn list_rule_names_by_target(ctx: &Ctx<'_>, input: ListIn) -> AwsResult<Value> {
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
