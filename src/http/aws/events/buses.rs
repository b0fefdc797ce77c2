//! Event buses: Create/Describe/List/Update/DeleteEventBus.

use super::*;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateEventBusIn {
    name: Option<String>,
    event_source_name: Option<String>,
    description: Option<String>,
    tags: Option<Vec<TagIn>>,
}

pub(super) async fn create_event_bus(ctx: &Ctx<'_>, input: CreateEventBusIn) -> AwsResult<Value> {
    let name = required(input.name, "name")?;
    ctx.caller.allow("POST", BUSES, None)?;
    if input.event_source_name.is_some() {
        return Err(AwsError::validation("Partner event buses (EventSourceName) are not supported."));
    }
    let tags = read_tags(input.tags.unwrap_or_default())?;
    let record = ctx
        .bus
        .create_bus(CreateBusRequest {
            name,
            description: input.description,
            validation: None,
            bindings: None,
        })
        .await?;
    add_tags(ctx, &ctx.arns.bus(&record.name), tags).await?;
    let mut out = json!({"EventBusArn": ctx.arns.bus(&record.name)});
    if let Some(d) = record.description {
        out["Description"] = Value::String(d);
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct NameIn {
    name: Option<String>,
}

pub(super) fn bus_view(ctx: &Ctx<'_>, record: &crate::model::BusRecord) -> Value {
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

pub(super) fn describe_event_bus(ctx: &Ctx<'_>, input: NameIn) -> AwsResult<Value> {
    let name = bus_name(ctx, input.name.as_deref())?;
    ctx.caller.allow("GET", BUS, Some(&name))?;
    Ok(bus_view(ctx, &ctx.bus.get_bus(&name)?))
}

pub(super) fn list_event_buses(ctx: &Ctx<'_>, input: ListIn) -> AwsResult<Value> {
    ctx.caller.allow("GET", BUSES, None)?;
    let n = limit(input.limit)?;
    let items = ctx.bus.list_buses(input.name_prefix.as_deref().unwrap_or(""))?.items;
    let (items, token) = paged(items, |b| &b.name, input.next_token.as_deref(), n)?;
    let buses: Vec<Value> = items.iter().map(|b| bus_view(ctx, b)).collect();
    Ok(with_token(json!({"EventBuses": buses}), token))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateEventBusIn {
    name: Option<String>,
    description: Option<String>,
}

pub(super) async fn update_event_bus(ctx: &Ctx<'_>, input: UpdateEventBusIn) -> AwsResult<Value> {
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

pub(super) async fn delete_event_bus(ctx: &Ctx<'_>, input: NameIn) -> AwsResult<Value> {
    let name = required(input.name, "name")?;
    let name = bus_name(ctx, Some(&name))?;
    ctx.caller.allow("DELETE", BUS, Some(&name))?;
    match ctx.bus.delete_bus(&name).await {
        // EventBridge answers success for a bus that does not exist (the model lists no
        // ResourceNotFoundException for DeleteEventBus).
        Ok(()) => {
            drop_tags(ctx, &ctx.arns.bus(&name)).await?;
            Ok(json!({}))
        }
        Err(e) if e.code == Code::BusNotFound => Ok(json!({})),
        Err(e) if e.code == Code::BusBuiltin => {
            Err(AwsError::validation(format!("Cannot delete event bus {name}.")))
        }
        Err(e) => Err(e.into()),
    }
}
