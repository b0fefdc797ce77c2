//! CreateRegistry, DescribeRegistry, ListRegistries, UpdateRegistry, DeleteRegistry onto
//! the native registry routes.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Ctx, REGISTRIES, REGISTRY, Reply, bad_request};
use crate::aws::Arns;
use crate::http::aws::AwsResult;
use crate::model::{RegistryRecord, Tags};
use crate::registry::{CreateRegistryRequest, ListQuery, UpdateMetadataRequest};

pub(super) fn view(arns: &Arns, r: &RegistryRecord) -> Value {
    json!({
        "RegistryArn": arns.registry(&r.name),
        "RegistryName": r.name,
        "Description": r.description,
        "tags": r.tags,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateIn {
    description: Option<String>,
    /// The model names this member `tags` on the wire (its only lower-case one).
    #[serde(rename = "tags")]
    tags: Option<Tags>,
}

pub(super) async fn create(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let input: CreateIn = ctx.body()?;
    ctx.caller.allow("POST", REGISTRIES, None)?;
    let record = ctx
        .services
        .registry
        .create_registry(CreateRegistryRequest {
            name: ctx.segment(3).to_owned(),
            description: input.description,
            tags: input.tags,
        })
        .await?;
    Ok(Reply::created(view(ctx.arns, &record)))
}

pub(super) fn describe(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let name = ctx.registry()?;
    ctx.caller.allow("GET", REGISTRY, Some(name.as_str()))?;
    Ok(Reply::ok(view(ctx.arns, &ctx.services.registry.get_registry(&name)?)))
}

pub(super) fn list(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    ctx.caller.allow("GET", REGISTRIES, None)?;
    // Scope AWS: the registries schemabus itself provides; LOCAL: the users'.
    let scope = match ctx.query("scope") {
        None => None,
        Some("AWS") => Some(true),
        Some("LOCAL") => Some(false),
        Some(other) => return Err(bad_request(format!("Scope '{other}' is not LOCAL or AWS."))),
    };
    let page = ctx.services.registry.list_registries(&ListQuery {
        prefix: ctx.query("registryNamePrefix").map(str::to_owned),
        limit: Some(ctx.limit()?),
        cursor: ctx.query("nextToken").map(str::to_owned),
    })?;
    let registries: Vec<Value> = page
        .items
        .iter()
        .filter(|r| scope.is_none_or(|builtin| r.builtin == builtin))
        .map(|r| json!({"RegistryArn": ctx.arns.registry(&r.name), "RegistryName": r.name, "tags": r.tags}))
        .collect();
    Ok(Reply::ok(json!({"Registries": registries, "NextToken": page.next_cursor})))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateIn {
    description: Option<String>,
}

pub(super) async fn update(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let input: UpdateIn = ctx.body()?;
    let name = ctx.registry()?;
    ctx.caller.allow("PATCH", REGISTRY, Some(name.as_str()))?;
    let record = ctx
        .services
        .registry
        .update_registry(&name, UpdateMetadataRequest { description: input.description, tags: None })
        .await?;
    Ok(Reply::ok(view(ctx.arns, &record)))
}

pub(super) async fn delete(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let name = ctx.registry()?;
    ctx.caller.allow("DELETE", REGISTRY, Some(name.as_str()))?;
    ctx.services.registry.delete_registry(&name, false).await?;
    Ok(Reply::Empty)
}
