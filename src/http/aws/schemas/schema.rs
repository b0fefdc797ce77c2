//! CreateSchema, DescribeSchema, UpdateSchema, DeleteSchema, ListSchemas onto the native
//! schema and version routes. A schema's `Type` is per version: `OpenApi3` for a version
//! registered as OpenAPI (its `source`), `JSONSchemaDraft4` otherwise.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Ctx, Reply, SCHEMA, SCHEMAS, VERSION, VERSIONS, bad_request, required};
use crate::error::Code;
use crate::http::aws::{AwsError, AwsResult};
use crate::model::{RegistryName, SchemaName, SchemaRecord, Tags, VersionRecord, VersionSelector};
use crate::registry::{ContentFormat, ListQuery, RegisterVersionRequest, UpdateMetadataRequest, WriteOrigin};

pub(super) const OPEN_API_3: &str = "OpenApi3";
pub(super) const DRAFT_4: &str = "JSONSchemaDraft4";

/// The model's `Type` of a stored version.
pub(super) fn version_type(v: &VersionRecord) -> &'static str {
    if v.source.is_some() { OPEN_API_3 } else { DRAFT_4 }
}

/// The version's document as it was registered (the OpenAPI document for OpenApi3).
pub(super) fn content_text(v: &VersionRecord) -> String {
    v.source.as_ref().unwrap_or(&v.content).to_string()
}

fn format_of(kind: &str) -> AwsResult<ContentFormat> {
    match kind {
        OPEN_API_3 => Ok(ContentFormat::OpenApi3),
        DRAFT_4 => Ok(ContentFormat::JsonSchema),
        other => Err(bad_request(format!("Type '{other}' is not OpenApi3 or JSONSchemaDraft4."))),
    }
}

fn view(ctx: &Ctx<'_>, s: &SchemaRecord, v: &VersionRecord) -> Value {
    json!({
        "Content": content_text(v),
        "Description": s.description,
        "LastModified": s.updated_at,
        "SchemaArn": ctx.arns.schema(&s.registry, &s.name),
        "SchemaName": s.name,
        "SchemaVersion": v.version.to_string(),
        "tags": s.tags,
        "Type": version_type(v),
        "VersionCreatedDate": v.created_at,
    })
}

/// The create/update answer: the schema and the version now latest.
fn written(ctx: &Ctx<'_>, registry: &RegistryName, schema: &SchemaName, version: u32) -> AwsResult<Value> {
    let s = ctx.services.registry.get_schema(registry, schema)?;
    let v = ctx.services.registry.get_version(registry, schema, VersionSelector::Number(version))?;
    let mut out = view(ctx, &s, &v);
    if let Some(map) = out.as_object_mut() {
        map.remove("Content");
    }
    Ok(out)
}

fn check_content(content: &str) -> AwsResult<()> {
    if content.is_empty() || content.len() > 100_000 {
        return Err(bad_request("Content must be 1 to 100000 characters."));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateIn {
    content: Option<String>,
    description: Option<String>,
    /// The model names this member `tags` on the wire (its only lower-case one).
    #[serde(rename = "tags")]
    tags: Option<Tags>,
    #[serde(rename = "Type")]
    kind: Option<String>,
}

pub(super) async fn create(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let input: CreateIn = ctx.body()?;
    let (registry, schema) = (ctx.registry()?, ctx.schema()?);
    ctx.caller.allow("POST", VERSIONS, Some(registry.as_str()))?;
    let content = required(input.content, "Content")?;
    check_content(&content)?;
    let format = format_of(&required(input.kind, "Type")?)?;
    // CreateSchema makes a new schema; new versions of an existing one are UpdateSchema's.
    match ctx.services.registry.get_schema(&registry, &schema) {
        Ok(_) => {
            return Err(AwsError::rest(
                "ConflictException",
                409,
                format!(
                    "Schema '{schema}' already exists in registry '{registry}'; UpdateSchema adds a version."
                ),
            ));
        }
        Err(e) if e.code == Code::SchemaNotFound => {}
        Err(e) => return Err(e.into()),
    }
    let request = RegisterVersionRequest { content: Value::String(content), description: None, format };
    let (_, created) =
        ctx.services.registry.register_version(&registry, &schema, request, WriteOrigin::User).await?;
    if input.description.is_some() || input.tags.is_some() {
        let meta = UpdateMetadataRequest { description: input.description, tags: input.tags };
        ctx.services.registry.update_schema(&registry, &schema, meta).await?;
    }
    Ok(Reply::created(written(ctx, &registry, &schema, created.version)?))
}

pub(super) fn describe(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let (registry, schema) = (ctx.registry()?, ctx.schema()?);
    ctx.caller.allow("GET", VERSION, Some(registry.as_str()))?;
    let v = ctx.services.registry.get_version(&registry, &schema, ctx.version_query()?)?;
    let s = ctx.services.registry.get_schema(&registry, &schema)?;
    Ok(Reply::ok(view(ctx, &s, &v)))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateIn {
    content: Option<String>,
    description: Option<String>,
    #[serde(rename = "Type")]
    kind: Option<String>,
    // `ClientTokenId` (an idempotency token) is read past: registering unchanged content
    // is idempotent already.
}

pub(super) async fn update(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let input: UpdateIn = ctx.body()?;
    let (registry, schema) = (ctx.registry()?, ctx.schema()?);
    ctx.caller.allow("POST", VERSIONS, Some(registry.as_str()))?;
    let current = ctx.services.registry.get_schema(&registry, &schema)?;
    let mut version = current.latest_version;
    if let Some(content) = input.content {
        check_content(&content)?;
        // Without Type, the new version is of the latest version's type.
        let format = match (input.kind.as_deref(), version) {
            (Some(kind), _) => format_of(kind)?,
            (None, Some(n)) => {
                let latest =
                    ctx.services.registry.get_version(&registry, &schema, VersionSelector::Number(n))?;
                format_of(version_type(&latest))?
            }
            (None, None) => ContentFormat::JsonSchema,
        };
        let request = RegisterVersionRequest { content: Value::String(content), description: None, format };
        let (_, created) =
            ctx.services.registry.register_version(&registry, &schema, request, WriteOrigin::User).await?;
        version = Some(created.version);
    }
    if input.description.is_some() {
        let meta = UpdateMetadataRequest { description: input.description, tags: None };
        ctx.services.registry.update_schema(&registry, &schema, meta).await?;
    }
    let version =
        version.ok_or_else(|| bad_request(format!("Schema '{schema}' has no version; give Content.")))?;
    Ok(Reply::ok(written(ctx, &registry, &schema, version)?))
}

pub(super) async fn delete(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let (registry, schema) = (ctx.registry()?, ctx.schema()?);
    ctx.caller.allow("DELETE", SCHEMA, Some(registry.as_str()))?;
    ctx.services.registry.delete_schema(&registry, &schema).await?;
    Ok(Reply::Empty)
}

pub(super) fn list(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let registry = ctx.registry()?;
    ctx.caller.allow("GET", SCHEMAS, Some(registry.as_str()))?;
    let page = ctx.services.registry.list_schemas(
        &registry,
        &ListQuery {
            prefix: ctx.query("schemaNamePrefix").map(str::to_owned),
            limit: Some(ctx.limit()?),
            cursor: ctx.query("nextToken").map(str::to_owned),
        },
    )?;
    let schemas: Vec<Value> = page
        .items
        .iter()
        .map(|s| {
            json!({
                "LastModified": s.updated_at,
                "SchemaArn": ctx.arns.schema(&s.registry, &s.name),
                "SchemaName": s.name,
                "tags": s.tags,
                "VersionCount": s.version_count,
            })
        })
        .collect();
    Ok(Reply::ok(json!({"Schemas": schemas, "NextToken": page.next_cursor})))
}
