//! Targets: PutTargets, RemoveTargets, ListTargetsByRule.

use super::*;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TargetsIn {
    rule: Option<String>,
    event_bus_name: Option<String>,
    targets: Option<Vec<Map<String, Value>>>,
    ids: Option<Vec<String>>,
    next_token: Option<String>,
    limit: Option<i64>,
}

pub(super) fn target_arn(arns: &Arns, target: &Target) -> String {
    match target {
        Target::Queue { queue, .. } => arns.queue(queue),
        Target::Bus { bus, .. } => arns.bus(bus),
        Target::Webhook(w) => w.url.clone(),
    }
}

/// A target's ARN as ListTargetsByRule shows it: a webhook made from an API destination
/// shows that destination's ARN (found by endpoint and method), other webhooks their URL.
fn shown_arn(ctx: &Ctx<'_>, target: &Target) -> String {
    if let Target::Webhook(w) = target {
        let method = serde_json::to_value(w.method).ok();
        let made_from = ctx.destinations.list_api_destinations().ok().and_then(|all| {
            all.into_iter().find(|d| {
                d.endpoint == w.url && method.as_ref().and_then(Value::as_str) == Some(d.method.as_str())
            })
        });
        if let Some(d) = made_from {
            return ctx.arns.api_destination(&d.name, &d.id);
        }
    }
    target_arn(ctx.arns, target)
}

/// The native webhook an API destination target is: its endpoint, method and rate, the
/// connection's credentials (opened from their seal), and the target's retry policy and
/// dead-letter queue.
fn api_destination_target(
    ctx: &Ctx<'_>,
    id: String,
    resource: &str,
    t: &Map<String, Value>,
    (input, input_path, input_transformer): (Option<Value>, Option<String>, Option<InputTransformer>),
) -> crate::error::ApiResult<Target> {
    let name = resource.trim_start_matches("api-destination/").split('/').next().unwrap_or_default();
    let d = ctx.destinations.get_api_destination(name)?;
    let connection = ctx.destinations.get_connection(&d.connection)?;
    let auth = ctx.destinations.webhook_auth(&connection)?;
    let method = serde_json::from_value(Value::String(d.method.clone())).unwrap_or_default();
    let retry_policy = t.get("RetryPolicy").map(|p| crate::model::RetryPolicy {
        maximum_retry_attempts: p
            .get("MaximumRetryAttempts")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(185),
        maximum_event_age_seconds: p
            .get("MaximumEventAgeInSeconds")
            .and_then(Value::as_u64)
            .unwrap_or(86_400),
    });
    let dead_letter_queue = t
        .get("DeadLetterConfig")
        .and_then(|c| c.get("Arn"))
        .and_then(Value::as_str)
        .and_then(|arn| ctx.arns.parse(arn).ok())
        .map(|(_, queue)| queue.to_owned());
    Ok(Target::Webhook(Box::new(crate::model::WebhookTarget {
        id,
        url: d.endpoint,
        method,
        headers: std::collections::BTreeMap::new(),
        auth: Some(auth),
        secret: None,
        timeout_ms: Some(5000),
        rate_limit_per_second: Some(d.rate_limit_per_second),
        retry_policy,
        dead_letter_queue,
        input,
        input_path,
        input_transformer,
    })))
}

pub(super) fn target_view(arns: &Arns, target: &Target) -> Value {
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
pub(super) const UNSUPPORTED_TARGET_MEMBERS: &[&str] = &[
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
pub(super) struct TransformerIn {
    input_paths_map: Option<std::collections::BTreeMap<String, String>>,
    input_template: Option<String>,
}

/// An AWS target as a native one, or the (ErrorCode, ErrorMessage) it fails with.
pub(super) fn translate_target(ctx: &Ctx<'_>, t: &Map<String, Value>) -> Result<Target, (String, String)> {
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
        ("events", None) if resource.starts_with("api-destination/") => {
            let options = (input, input_path, input_transformer);
            api_destination_target(ctx, id, resource, t, options).map_err(|e| {
                let aws: AwsError = e.into();
                (aws.kind, aws.message)
            })?
        }
        _ => {
            return Err(bad(format!(
                "Target {id}: {arn} is not a target kind schemabus serves (SQS queue, event bus or API destination ARNs)."
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

pub(super) async fn put_targets(ctx: &Ctx<'_>, input: TargetsIn) -> AwsResult<Value> {
    let name = required(input.rule, "rule")?;
    let given = required(input.targets, "targets")?;
    let bus = bus_name(ctx, input.event_bus_name.as_deref())?;
    ctx.caller.allow("PUT", RULE, Some(&bus))?;
    let rule = existing_rule(ctx, &bus, &name)?.ok_or_else(|| rule_not_found(&bus, &name))?;
    let mut failed = Vec::new();
    let mut targets = rule.targets.clone();
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
        let request = PutRuleRequest { targets, ..as_request(rule) };
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

pub(super) async fn remove_targets(ctx: &Ctx<'_>, input: TargetsIn) -> AwsResult<Value> {
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
    let mut request = as_request(rule);
    request.targets.retain(|t| !ids.iter().any(|i| i == t.id()));
    ctx.bus.put_rule(&bus, &name, request).await?;
    Ok(json!({"FailedEntryCount": failed.len(), "FailedEntries": failed}))
}

pub(super) fn list_targets_by_rule(ctx: &Ctx<'_>, input: TargetsIn) -> AwsResult<Value> {
    let name = required(input.rule, "rule")?;
    let bus = bus_name(ctx, input.event_bus_name.as_deref())?;
    ctx.caller.allow("GET", RULE, Some(&bus))?;
    let n = limit(input.limit)?;
    let rule = existing_rule(ctx, &bus, &name)?.ok_or_else(|| rule_not_found(&bus, &name))?;
    let mut targets = rule.targets;
    targets.sort_by(|a, b| a.id().cmp(b.id()));
    let (targets, token) = paged(targets, |t| t.id(), input.next_token.as_deref(), n)?;
    let views: Vec<Value> = targets
        .iter()
        .map(|t| {
            let mut v = target_view(ctx.arns, t);
            v["Arn"] = Value::String(shown_arn(ctx, t));
            v
        })
        .collect();
    Ok(with_token(json!({"Targets": views}), token))
}
