//! Tags: TagResource, UntagResource, ListTagsForResource, and `Tags` on CreateEventBus
//! and PutRule. Tags are kept per ARN (the `tags` tree) for event buses, rules, archives,
//! connections and API destinations that exist; the grant is that of changing (tagging)
//! or reading (listing) the resource itself.

use std::collections::BTreeMap;

use super::*;

type TagMap = BTreeMap<String, String>;

/// EventBridge's limits.
const MAX_TAGS: usize = 50;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TagIn {
    key: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TagsIn {
    #[serde(rename = "ResourceARN")]
    resource_arn: Option<String>,
    tags: Option<Vec<TagIn>>,
    tag_keys: Option<Vec<String>>,
}

/// The tags of a request, checked.
pub(super) fn read_tags(given: Vec<TagIn>) -> AwsResult<TagMap> {
    let mut out = TagMap::new();
    for t in given {
        let key = required(t.key, "tags.member.key")?;
        let value = required(t.value, "tags.member.value")?;
        if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
            return Err(AwsError::validation("Tag keys are 1 to 128 characters and tag values at most 256."));
        }
        if key.starts_with("aws:") {
            return Err(AwsError::validation("Tag keys starting with 'aws:' are reserved."));
        }
        out.insert(key, value);
    }
    Ok(out)
}

/// The native route whose grant tagging (`write`) or listing tags needs, and the
/// resource it is on, for an ARN that names something existing.
fn resource(
    ctx: &Ctx<'_>,
    arn: &str,
    write: bool,
) -> AwsResult<(&'static str, &'static str, Option<String>)> {
    let not_found = || AwsError::new("ResourceNotFoundException", format!("Resource {arn} does not exist."));
    let (service, res) = ctx.arns.parse(arn).map_err(AwsError::validation)?;
    if service != "events" {
        return Err(AwsError::validation(format!("'{arn}' is not an EventBridge ARN.")));
    }
    let (kind, rest) = res.split_once('/').ok_or_else(not_found)?;
    let exists = |r: crate::error::ApiResult<()>| match r {
        Ok(()) => Ok(()),
        Err(e) if e.code.kind() == crate::error::ErrorKind::NotFound || e.code == Code::InvalidName => {
            Err(not_found())
        }
        Err(e) => Err(AwsError::from(e)),
    };
    Ok(match kind {
        "event-bus" => {
            exists(ctx.bus.get_bus(rest).map(|_| ()))?;
            let (m, p) = if write { ("PATCH", BUS) } else { ("GET", BUS) };
            (m, p, Some(rest.to_owned()))
        }
        "rule" => {
            let (bus, rule) = rest.split_once('/').unwrap_or((crate::model::DEFAULT_BUS, rest));
            exists(ctx.bus.get_rule(bus, rule).map(|_| ()))?;
            let (m, p) = if write { ("PUT", RULE) } else { ("GET", RULE) };
            (m, p, Some(bus.to_owned()))
        }
        "archive" => {
            let a = ctx.bus.find_archive(rest)?.ok_or_else(not_found)?;
            let (m, p) = if write {
                ("PUT", "/v1/buses/{bus}/archives/{archive}")
            } else {
                ("GET", "/v1/buses/{bus}/archives/{archive}")
            };
            (m, p, Some(a.archive.bus))
        }
        "connection" | "api-destination" => {
            let (name, id) = rest.split_once('/').ok_or_else(not_found)?;
            let found_id = if kind == "connection" {
                ctx.destinations.get_connection(name).map(|c| c.id)
            } else {
                ctx.destinations.get_api_destination(name).map(|d| d.id)
            };
            match found_id {
                Ok(found) if found == id => {}
                Ok(_) => return Err(not_found()),
                Err(e) => exists(Err(e))?,
            }
            (if write { "POST" } else { "GET" }, BUSES, None)
        }
        _ => return Err(not_found()),
    })
}

fn tag_list(tags: &TagMap) -> Value {
    Value::Array(tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect())
}

/// Adds `tags` to those of `arn` (a resource just written by the caller).
pub(super) async fn add_tags(ctx: &Ctx<'_>, arn: &str, tags: TagMap) -> AwsResult<()> {
    if tags.is_empty() {
        return Ok(());
    }
    let mut all = ctx.destinations.tags(arn)?;
    all.extend(tags);
    if all.len() > MAX_TAGS {
        return Err(AwsError::new(
            "LimitExceededException",
            format!("A resource has at most {MAX_TAGS} tags; this one would have {}.", all.len()),
        ));
    }
    ctx.destinations.set_tags(arn, &all).await?;
    Ok(())
}

/// Forgets the tags of a deleted resource.
pub(super) async fn drop_tags(ctx: &Ctx<'_>, arn: &str) -> AwsResult<()> {
    Ok(ctx.destinations.set_tags(arn, &TagMap::new()).await?)
}

pub(super) async fn tag_resource(ctx: &Ctx<'_>, input: TagsIn) -> AwsResult<Value> {
    let arn = required(input.resource_arn, "resourceARN")?;
    let tags = read_tags(required(input.tags, "tags")?)?;
    let (method, pattern, on) = resource(ctx, &arn, true)?;
    ctx.caller.allow(method, pattern, on.as_deref())?;
    add_tags(ctx, &arn, tags).await?;
    Ok(json!({}))
}

pub(super) async fn untag_resource(ctx: &Ctx<'_>, input: TagsIn) -> AwsResult<Value> {
    let arn = required(input.resource_arn, "resourceARN")?;
    let keys = required(input.tag_keys, "tagKeys")?;
    let (method, pattern, on) = resource(ctx, &arn, true)?;
    ctx.caller.allow(method, pattern, on.as_deref())?;
    let mut tags = ctx.destinations.tags(&arn)?;
    tags.retain(|k, _| !keys.contains(k));
    ctx.destinations.set_tags(&arn, &tags).await?;
    Ok(json!({}))
}

pub(super) fn list_tags_for_resource(ctx: &Ctx<'_>, input: TagsIn) -> AwsResult<Value> {
    let arn = required(input.resource_arn, "resourceARN")?;
    let (method, pattern, on) = resource(ctx, &arn, false)?;
    ctx.caller.allow(method, pattern, on.as_deref())?;
    Ok(json!({"Tags": tag_list(&ctx.destinations.tags(&arn)?)}))
}
