//! ListSchemaVersions, DeleteSchemaVersion, SearchSchemas, ExportSchema onto the native
//! version and search routes.

use serde_json::{Value, json};

use super::schema::{DRAFT_4, OPEN_API_3, version_type};
use super::{Ctx, Reply, VERSION, VERSIONS, bad_request, required};
use crate::aws::page;
use crate::http::aws::AwsResult;
use crate::model::VersionSelector;
use crate::registry::SearchQuery;

pub(super) fn list(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let (registry, schema) = (ctx.registry()?, ctx.schema()?);
    ctx.caller.allow("GET", VERSIONS, Some(registry.as_str()))?;
    let versions = ctx.services.registry.versions_of(&registry, &schema)?;
    // Zero-padded, so the token's name order is the version order.
    let keyed: Vec<(String, _)> =
        versions.into_iter().filter(|v| !v.deleted).map(|v| (format!("{:010}", v.version), v)).collect();
    let (items, token) =
        page(keyed, |(k, _)| k, ctx.query("nextToken"), ctx.limit()?).map_err(bad_request)?;
    let out: Vec<Value> = items
        .iter()
        .map(|(_, v)| {
            json!({
                "SchemaArn": ctx.arns.schema(registry.as_str(), schema.as_str()),
                "SchemaName": schema.as_str(),
                "SchemaVersion": v.version.to_string(),
                "Type": version_type(v),
            })
        })
        .collect();
    Ok(Reply::ok(json!({"SchemaVersions": out, "NextToken": token})))
}

pub(super) async fn delete(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let (registry, schema) = (ctx.registry()?, ctx.schema()?);
    ctx.caller.allow("DELETE", VERSION, Some(registry.as_str()))?;
    let selector: VersionSelector = ctx.segment(8).parse()?;
    ctx.services.registry.delete_version(&registry, &schema, selector).await?;
    Ok(Reply::Empty)
}

pub(super) fn search(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let registry = ctx.registry()?;
    ctx.caller.allow("GET", "/v1/search", Some(registry.as_str()))?;
    let keywords = required(ctx.query("keywords"), "Keywords")?;
    let found = ctx.services.registry.search(&SearchQuery {
        q: keywords.to_owned(),
        registry: Some(registry.to_string()),
        limit: Some(1000),
    })?;
    let (hits, token) = page(found.items, |h| h.schema.as_str(), ctx.query("nextToken"), ctx.limit()?)
        .map_err(bad_request)?;
    let mut schemas = Vec::with_capacity(hits.len());
    for hit in hits {
        let name = crate::model::SchemaName::parse(&hit.schema)?;
        let mut versions = Vec::new();
        for n in &hit.versions {
            let v = ctx.services.registry.get_version(&registry, &name, VersionSelector::Number(*n))?;
            versions.push(json!({"CreatedDate": v.created_at, "SchemaVersion": n.to_string(), "Type": version_type(&v)}));
        }
        schemas.push(json!({
            "RegistryName": hit.registry,
            "SchemaArn": ctx.arns.schema(&hit.registry, &hit.schema),
            "SchemaName": hit.schema,
            "SchemaVersions": versions,
        }));
    }
    Ok(Reply::ok(json!({"Schemas": schemas, "NextToken": token})))
}

/// `JSONSchemaDraft4`: the JSON Schema the version validates with (for an OpenApi3
/// version the derived one); `OpenApi3`: the OpenAPI document of an OpenApi3 version.
pub(super) fn export(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let (registry, schema) = (ctx.registry()?, ctx.schema()?);
    ctx.caller.allow("GET", VERSION, Some(registry.as_str()))?;
    let kind = required(ctx.query("type"), "Type")?;
    let v = ctx.services.registry.get_version(&registry, &schema, ctx.version_query()?)?;
    let content = match kind {
        DRAFT_4 => v.content.to_string(),
        OPEN_API_3 => match &v.source {
            Some(doc) => doc.to_string(),
            None => {
                return Err(bad_request(format!(
                    "Version {} of '{schema}' is a JSON Schema; it exports as JSONSchemaDraft4 only.",
                    v.version
                )));
            }
        },
        other => return Err(bad_request(format!("Type '{other}' is not OpenApi3 or JSONSchemaDraft4."))),
    };
    Ok(Reply::ok(json!({
        "Content": content,
        "SchemaArn": ctx.arns.schema(registry.as_str(), schema.as_str()),
        "SchemaName": schema.as_str(),
        "SchemaVersion": v.version.to_string(),
        "Type": kind,
    })))
}
