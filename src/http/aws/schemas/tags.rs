//! TagResource, UntagResource, ListTagsForResource on registry, schema and discoverer
//! ARNs: the native tags of registries and schemas (PATCH with `tags`), the discoverer
//! record's tags. Grants: the native route that reads or patches the resource.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;

use super::{Ctx, DISCOVERY, REGISTRY, Reply, SCHEMA, bad_request, required};
use crate::aws::SchemasResource;
use crate::http::aws::AwsResult;
use crate::model::{RegistryName, SchemaName, Tags};
use crate::registry::UpdateMetadataRequest;

fn resource(ctx: &Ctx<'_>) -> AwsResult<SchemasResource> {
    ctx.arns.schemas_resource(ctx.segment(1)).map_err(bad_request)
}

/// The tags of a resource, after the grant of reading (`GET`) or changing it.
fn current(ctx: &Ctx<'_>, r: &SchemasResource, write: bool) -> AwsResult<Tags> {
    match r {
        SchemasResource::Registry(name) => {
            let name = RegistryName::parse(name)?;
            ctx.caller.allow(if write { "PATCH" } else { "GET" }, REGISTRY, Some(name.as_str()))?;
            Ok(ctx.services.registry.get_registry(&name)?.tags)
        }
        SchemasResource::Schema(registry, schema) => {
            let (registry, schema) = (RegistryName::parse(registry)?, SchemaName::parse(schema)?);
            ctx.caller.allow(if write { "PATCH" } else { "GET" }, SCHEMA, Some(registry.as_str()))?;
            Ok(ctx.services.registry.get_schema(&registry, &schema)?.tags)
        }
        SchemasResource::Discoverer(id) => {
            let d = ctx.services.discovery.discoverer(id)?;
            ctx.caller.allow(if write { "PUT" } else { "GET" }, DISCOVERY, Some(&d.record.bus))?;
            Ok(d.record.tags)
        }
    }
}

async fn replace(ctx: &Ctx<'_>, r: &SchemasResource, tags: Tags) -> AwsResult<()> {
    let meta = UpdateMetadataRequest { description: None, tags: Some(tags.clone()) };
    match r {
        SchemasResource::Registry(name) => {
            ctx.services.registry.update_registry(&RegistryName::parse(name)?, meta).await?;
        }
        SchemasResource::Schema(registry, schema) => {
            let (registry, schema) = (RegistryName::parse(registry)?, SchemaName::parse(schema)?);
            ctx.services.registry.update_schema(&registry, &schema, meta).await?;
        }
        SchemasResource::Discoverer(id) => {
            ctx.services.discovery.update_discoverer(id, None, None, Some(tags)).await?;
        }
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagIn {
    /// The model names this member `tags` on the wire (its only lower-case one).
    #[serde(rename = "tags")]
    tags: Option<BTreeMap<String, String>>,
}

pub(super) async fn tag(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let input: TagIn = ctx.body()?;
    let add = required(input.tags, "Tags")?;
    let r = resource(ctx)?;
    let mut tags = current(ctx, &r, true)?;
    tags.extend(add);
    replace(ctx, &r, tags).await?;
    Ok(Reply::Empty)
}

pub(super) async fn untag(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let keys = ctx.queries("tagKeys");
    if keys.is_empty() {
        return Err(bad_request("TagKeys is required."));
    }
    let r = resource(ctx)?;
    let mut tags = current(ctx, &r, true)?;
    for k in keys {
        tags.remove(k);
    }
    replace(ctx, &r, tags).await?;
    Ok(Reply::Empty)
}

pub(super) fn list(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let r = resource(ctx)?;
    Ok(Reply::ok(json!({"tags": current(ctx, &r, false)?})))
}
