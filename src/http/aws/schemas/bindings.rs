//! PutCodeBinding, DescribeCodeBinding, GetCodeBindingSource onto the native bindings
//! route. Bindings are generated synchronously (and cached) by `BindingsService`, so a
//! binding is CREATE_COMPLETE as soon as it is asked for (CREATE_FAILED when the schema
//! cannot be rendered). Languages: `TypeScript3` and `Rust` (the model's language is an
//! open string); EventBridge's `Java8`, `Python36`, `Go1` are not generated.

use std::sync::Arc;

use serde_json::json;

use super::{BINDINGS, Ctx, Reply, bad_request};
use crate::bindings::Bindings;
use crate::codegen::Language;
use crate::error::{ApiError, ApiResult, Code};
use crate::http::aws::AwsResult;
use crate::model::VersionSelector;

fn language(name: &str) -> AwsResult<Language> {
    match name {
        "TypeScript3" => Ok(Language::TypeScript),
        "Rust" => Ok(Language::Rust),
        other => Err(bad_request(format!(
            "Language '{other}' is not generated: schemabus generates Rust and TypeScript3 bindings only."
        ))),
    }
}

/// The version and its generated package (or the generation's error).
async fn generate(ctx: &Ctx<'_>) -> AwsResult<(crate::model::VersionRecord, ApiResult<Arc<Bindings>>)> {
    let (registry, schema) = (ctx.registry()?, ctx.schema()?);
    ctx.caller.allow("GET", BINDINGS, Some(registry.as_str()))?;
    let language = language(ctx.segment(8))?;
    let record = ctx.services.registry.get_version(&registry, &schema, ctx.version_query()?)?;
    let service = ctx.services.bindings.clone();
    let selector = VersionSelector::Number(record.version);
    let outcome =
        actix_web::web::block(move || service.bindings(&registry, &schema, selector, language, false))
            .await
            .map_err(|_| ApiError::new(Code::Internal, "Generation did not complete. Hint: retry."))?;
    Ok((record, outcome))
}

async fn status(ctx: &Ctx<'_>, http_status: u16) -> AwsResult<Reply> {
    let (record, outcome) = generate(ctx).await?;
    let status = match outcome {
        Ok(_) => "CREATE_COMPLETE",
        Err(e) if e.code == Code::CodegenFailed => "CREATE_FAILED",
        Err(e) => return Err(e.into()),
    };
    Ok(Reply::Json(
        http_status,
        json!({
            "CreationDate": record.created_at,
            "LastModified": record.created_at,
            "SchemaVersion": record.version.to_string(),
            "Status": status,
        }),
    ))
}

pub(super) async fn put(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    status(ctx, 202).await
}

pub(super) async fn describe(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    status(ctx, 200).await
}

/// The package as a zip (the model's blob payload).
pub(super) async fn source(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let (_, outcome) = generate(ctx).await?;
    Ok(Reply::Blob(outcome?.zip.clone()))
}
