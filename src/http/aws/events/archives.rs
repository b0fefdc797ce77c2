//! Archives: Create/Describe/List/Update/DeleteArchive over the native archives of a bus.
//!
//! AWS names an archive per account (`DescribeArchive` takes only its name) where the
//! native API names it per bus, so these find an archive by name across buses, and
//! CreateArchive refuses a name used on any bus. The grant checked is that of the native
//! route on the archive's bus (found first: a caller without it learns that the archive
//! exists, not what it holds).

use super::*;
use crate::archive::{ArchiveView, PutArchiveRequest};

const ARCHIVES: &str = "/v1/buses/{bus}/archives";
const ARCHIVE: &str = "/v1/buses/{bus}/archives/{archive}";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ArchiveIn {
    archive_name: Option<String>,
    event_source_arn: Option<String>,
    description: Option<String>,
    event_pattern: Option<String>,
    retention_days: Option<i64>,
    kms_key_identifier: Option<String>,
    name_prefix: Option<String>,
    state: Option<String>,
    next_token: Option<String>,
    limit: Option<i64>,
}

fn archive_not_found(name: &str) -> AwsError {
    AwsError::new("ResourceNotFoundException", format!("Archive {name} does not exist."))
}

/// The bus an `EventSourceArn` names (it must be an event bus ARN).
fn source_bus(ctx: &Ctx<'_>, arn: &str) -> AwsResult<String> {
    if !arn.starts_with("arn:") {
        return Err(AwsError::validation(format!(
            "Parameter EventSourceArn is not valid: '{arn}' is not an ARN."
        )));
    }
    bus_name(ctx, Some(arn))
}

fn retention(days: Option<i64>) -> AwsResult<Option<u32>> {
    days.map(|d| {
        u32::try_from(d).map_err(|_| {
            AwsError::validation(format!(
                "1 validation error detected: Value '{d}' at 'retentionDays' failed to satisfy constraint: Member must have value greater than or equal to 0"
            ))
        })
    })
    .transpose()
}

/// An `EventPattern` text as the native request holds it (parsed when it is JSON; the
/// native check words the error otherwise).
fn pattern_value(text: String) -> Value {
    serde_json::from_str::<Value>(&text).ok().filter(Value::is_object).unwrap_or(Value::String(text))
}

fn no_kms(kms: Option<&str>) -> AwsResult<()> {
    match kms {
        Some(k) if !k.is_empty() => Err(AwsError::validation(
            "KmsKeyIdentifier is not supported by schemabus: archives are stored in its data directory (docs/AWS-API.md).",
        )),
        _ => Ok(()),
    }
}

fn summary(ctx: &Ctx<'_>, a: &ArchiveView) -> Value {
    json!({
        "ArchiveName": a.archive.name,
        "EventSourceArn": ctx.arns.bus(&a.archive.bus),
        "State": "ENABLED",
        "RetentionDays": a.archive.retention_days,
        "SizeBytes": a.size_bytes,
        "EventCount": a.event_count,
        "CreationTime": epoch(&a.archive.created_at),
    })
}

fn found(ctx: &Ctx<'_>, name: &str) -> AwsResult<ArchiveView> {
    ctx.bus.find_archive(name)?.ok_or_else(|| archive_not_found(name))
}

fn written(ctx: &Ctx<'_>, a: &ArchiveView) -> Value {
    json!({"ArchiveArn": ctx.arns.archive(&a.archive.name), "State": "ENABLED", "CreationTime": epoch(&a.archive.created_at)})
}

pub(super) async fn create_archive(ctx: &Ctx<'_>, input: ArchiveIn) -> AwsResult<Value> {
    let name = required(input.archive_name, "archiveName")?;
    let source = required(input.event_source_arn, "eventSourceArn")?;
    let bus = source_bus(ctx, &source)?;
    ctx.caller.allow("PUT", ARCHIVE, Some(&bus))?;
    no_kms(input.kms_key_identifier.as_deref())?;
    if ctx.bus.find_archive(&name)?.is_some() {
        return Err(AwsError::new(
            "ResourceAlreadyExistsException",
            format!("Archive {name} already exists."),
        ));
    }
    let request = PutArchiveRequest {
        pattern: input.event_pattern.map(pattern_value),
        retention_days: retention(input.retention_days)?.unwrap_or(0),
        description: input.description,
    };
    let view = ctx.bus.put_archive(&bus, &name, request).await?;
    Ok(written(ctx, &view))
}

pub(super) fn describe_archive(ctx: &Ctx<'_>, input: ArchiveIn) -> AwsResult<Value> {
    let name = required(input.archive_name, "archiveName")?;
    let a = found(ctx, &name)?;
    ctx.caller.allow("GET", ARCHIVE, Some(&a.archive.bus))?;
    let mut out = summary(ctx, &a);
    out["ArchiveArn"] = Value::String(ctx.arns.archive(&a.archive.name));
    if let Some(d) = &a.archive.description {
        out["Description"] = Value::String(d.clone());
    }
    if let Some(p) = &a.archive.pattern {
        out["EventPattern"] = Value::String(pattern_text(p));
    }
    Ok(out)
}

pub(super) fn list_archives(ctx: &Ctx<'_>, input: ArchiveIn) -> AwsResult<Value> {
    let n = limit(input.limit)?;
    let mut items = match input.event_source_arn.as_deref() {
        Some(arn) => {
            let bus = source_bus(ctx, arn)?;
            ctx.caller.allow("GET", ARCHIVES, Some(&bus))?;
            ctx.bus.list_archives(&bus)?.items
        }
        // Every bus's archives the caller may read.
        None => {
            let mut all = ctx.bus.list_all_archives()?.items;
            all.retain(|a| ctx.caller.allow("GET", ARCHIVES, Some(&a.archive.bus)).is_ok());
            all
        }
    };
    let prefix = input.name_prefix.unwrap_or_default();
    // Every archive is ENABLED (schemabus has no asynchronous archive states).
    let state_ok = input.state.as_deref().is_none_or(|s| s == "ENABLED");
    items.retain(|a| state_ok && a.archive.name.starts_with(&prefix));
    items.sort_by(|a, b| a.archive.name.cmp(&b.archive.name));
    let (items, token) = paged(items, |a| &a.archive.name, input.next_token.as_deref(), n)?;
    let archives: Vec<Value> = items.iter().map(|a| summary(ctx, a)).collect();
    Ok(with_token(json!({"Archives": archives}), token))
}

pub(super) async fn update_archive(ctx: &Ctx<'_>, input: ArchiveIn) -> AwsResult<Value> {
    let name = required(input.archive_name, "archiveName")?;
    let a = found(ctx, &name)?;
    ctx.caller.allow("PUT", ARCHIVE, Some(&a.archive.bus))?;
    no_kms(input.kms_key_identifier.as_deref())?;
    let request = PutArchiveRequest {
        pattern: input.event_pattern.map(pattern_value).or(a.archive.pattern),
        retention_days: retention(input.retention_days)?.unwrap_or(a.archive.retention_days),
        description: input.description.or(a.archive.description),
    };
    let view = ctx.bus.put_archive(&a.archive.bus, &name, request).await?;
    Ok(written(ctx, &view))
}

pub(super) async fn delete_archive(ctx: &Ctx<'_>, input: ArchiveIn) -> AwsResult<Value> {
    let name = required(input.archive_name, "archiveName")?;
    let a = found(ctx, &name)?;
    ctx.caller.allow("DELETE", ARCHIVE, Some(&a.archive.bus))?;
    ctx.bus.delete_archive(&a.archive.bus, &name).await?;
    drop_tags(ctx, &ctx.arns.archive(&name)).await?;
    Ok(json!({}))
}
