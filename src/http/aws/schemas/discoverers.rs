//! Discoverers onto native discovery (`PUT/GET /v1/buses/{bus}/discovery`): one per bus,
//! id `events-event-bus-<bus>`, STARTED/STOPPED = the bus's discovery on/off.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Ctx, DISCOVERY, Reply, bad_request, required};
use crate::aws::page;
use crate::discovery::Discoverer;
use crate::http::aws::AwsResult;
use crate::model::Tags;

fn state(d: &Discoverer) -> &'static str {
    if d.started { "STARTED" } else { "STOPPED" }
}

fn view(ctx: &Ctx<'_>, d: &Discoverer) -> Value {
    json!({
        "Description": d.record.description,
        "DiscovererArn": ctx.arns.discoverer(&d.record.id),
        "DiscovererId": d.record.id,
        "SourceArn": ctx.arns.bus(&d.record.bus),
        "State": state(d),
        "CrossAccount": d.record.cross_account,
        "tags": d.record.tags,
    })
}

/// The discoverer of the path, after the grant of its bus.
fn existing(ctx: &Ctx<'_>, method: &str) -> AwsResult<Discoverer> {
    let d = ctx.services.discovery.discoverer(ctx.segment(3))?;
    ctx.caller.allow(method, DISCOVERY, Some(&d.record.bus))?;
    Ok(d)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateIn {
    description: Option<String>,
    source_arn: Option<String>,
    cross_account: Option<bool>,
    /// The model names this member `tags` on the wire (its only lower-case one).
    #[serde(rename = "tags")]
    tags: Option<Tags>,
}

pub(super) async fn create(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let input: CreateIn = ctx.body()?;
    let arn = required(input.source_arn, "SourceArn")?;
    let bus = ctx.arns.bus_name(&arn).map_err(bad_request)?;
    ctx.caller.allow("PUT", DISCOVERY, Some(bus))?;
    let d = ctx
        .services
        .discovery
        .create_discoverer(
            bus,
            input.description,
            input.cross_account.unwrap_or(true),
            input.tags.unwrap_or_default(),
        )
        .await?;
    Ok(Reply::created(view(ctx, &d)))
}

pub(super) fn describe(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    Ok(Reply::ok(view(ctx, &existing(ctx, "GET")?)))
}

pub(super) fn list(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let id_prefix = ctx.query("discovererIdPrefix").unwrap_or("");
    let arn_prefix = ctx.query("sourceArnPrefix").unwrap_or("");
    // Only the discoverers of buses the caller may read discovery on.
    let all: Vec<Discoverer> = ctx
        .services
        .discovery
        .discoverers()?
        .into_iter()
        .filter(|d| d.record.id.starts_with(id_prefix) && ctx.arns.bus(&d.record.bus).starts_with(arn_prefix))
        .filter(|d| ctx.caller.allow("GET", DISCOVERY, Some(&d.record.bus)).is_ok())
        .collect();
    let (items, token) =
        page(all, |d| d.record.id.as_str(), ctx.query("nextToken"), ctx.limit()?).map_err(bad_request)?;
    let out: Vec<Value> = items
        .iter()
        .map(|d| {
            let mut v = view(ctx, d);
            if let Some(map) = v.as_object_mut() {
                map.remove("Description");
            }
            v
        })
        .collect();
    Ok(Reply::ok(json!({"Discoverers": out, "NextToken": token})))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateIn {
    description: Option<String>,
    cross_account: Option<bool>,
}

pub(super) async fn update(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let input: UpdateIn = ctx.body()?;
    let d = existing(ctx, "PUT")?;
    let d = ctx
        .services
        .discovery
        .update_discoverer(&d.record.id, input.description, input.cross_account, None)
        .await?;
    Ok(Reply::ok(view(ctx, &d)))
}

pub(super) async fn delete(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let d = existing(ctx, "PUT")?;
    ctx.services.discovery.delete_discoverer(&d.record.id).await?;
    Ok(Reply::Empty)
}

pub(super) async fn set_state(ctx: &Ctx<'_>, started: bool) -> AwsResult<Reply> {
    let d = existing(ctx, "PUT")?;
    let d = ctx.services.discovery.set_discoverer_state(&d.record.id, started).await?;
    Ok(Reply::ok(json!({"DiscovererId": d.record.id, "State": state(&d)})))
}
