//! PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy: stored per registry (query
//! `registryName`) or for the account, returned with their `RevisionId`; not enforced
//! (schemabus grants govern access). Grants: the registry's write/read grant, or for the
//! account's policy the grant of creating/listing registries.

use serde::Deserialize;
use serde_json::json;

use super::{Ctx, REGISTRIES, REGISTRY, Reply, required};
use crate::http::aws::AwsResult;
use crate::model::RegistryName;

fn owner(ctx: &Ctx<'_>, write: bool) -> AwsResult<Option<RegistryName>> {
    match ctx.query("registryName") {
        Some(name) => {
            let name = RegistryName::parse(name)?;
            ctx.caller.allow(if write { "PATCH" } else { "GET" }, REGISTRY, Some(name.as_str()))?;
            Ok(Some(name))
        }
        None => {
            ctx.caller.allow(if write { "POST" } else { "GET" }, REGISTRIES, None)?;
            Ok(None)
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutIn {
    policy: Option<String>,
    revision_id: Option<String>,
}

pub(super) async fn put(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let input: PutIn = ctx.body()?;
    let registry = owner(ctx, true)?;
    let policy = required(input.policy, "Policy")?;
    let stored = ctx
        .services
        .registry
        .put_resource_policy(registry.as_ref(), policy, input.revision_id.as_deref())
        .await?;
    Ok(Reply::ok(json!({"Policy": stored.policy, "RevisionId": stored.revision_id})))
}

pub(super) fn get(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let registry = owner(ctx, false)?;
    let stored = ctx.services.registry.resource_policy(registry.as_ref())?;
    Ok(Reply::ok(json!({"Policy": stored.policy, "RevisionId": stored.revision_id})))
}

pub(super) async fn delete(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let registry = owner(ctx, true)?;
    ctx.services.registry.delete_resource_policy(registry.as_ref()).await?;
    Ok(Reply::Empty)
}
