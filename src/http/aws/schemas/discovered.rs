//! GetDiscoveredSchema: the native inference core (`crate::infer`, as `POST /v1/infer`)
//! over the given EventBridge events, answered as an OpenAPI 3.0 event schema in
//! EventBridge's layout (or its draft-04 JSON Schema).

use serde::Deserialize;
use serde_json::{Value, json};

use super::schema::{DRAFT_4, OPEN_API_3};
use super::{Ctx, Reply, bad_request, required};
use crate::http::aws::AwsResult;
use crate::infer::{Catalog, DeriveOptions, Hints, NullPolicy, derive_schema_with};
use crate::registry::openapi;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct In {
    events: Option<Vec<String>>,
    #[serde(rename = "Type")]
    kind: Option<String>,
}

pub(super) fn get(ctx: &Ctx<'_>) -> AwsResult<Reply> {
    let input: In = ctx.body()?;
    ctx.caller.allow("POST", "/v1/infer", None)?;
    let kind = required(input.kind, "Type")?;
    if kind != OPEN_API_3 && kind != DRAFT_4 {
        return Err(bad_request(format!("Type '{kind}' is not OpenApi3 or JSONSchemaDraft4.")));
    }
    let events = required(input.events, "Events")?;
    if events.is_empty() || events.len() > 10 {
        return Err(bad_request(format!("{} events given; give 1 to 10.", events.len())));
    }
    let mut catalog = Catalog::new();
    let mut envelope = None;
    for (i, text) in events.iter().enumerate() {
        let event: Value =
            serde_json::from_str(text).map_err(|e| bad_request(format!("Events[{i}] is not JSON: {e}.")))?;
        let (Some(source), Some(detail_type), true) = (
            event.get("source").and_then(Value::as_str),
            event.get("detail-type").and_then(Value::as_str),
            event.get("detail").is_some_and(Value::is_object),
        ) else {
            return Err(bad_request(format!(
                "Events[{i}] is not an EventBridge event: it needs source, detail-type and an object detail."
            )));
        };
        envelope.get_or_insert_with(|| (source.to_owned(), detail_type.to_owned()));
        catalog.add(&event, true);
    }
    let types: Vec<_> = catalog.types.iter().collect();
    let (Some((source, detail_type)), [(name, state)]) = (envelope, types.as_slice()) else {
        return Err(bad_request(
            "The events are of several types (source and detail-type); give events of one type.",
        ));
    };
    // EventBridge makes every property seen required (evidence of one sample is enough)
    // and nullable only what was seen null.
    let options = DeriveOptions {
        title: Some((*name).clone()),
        min_required: 1,
        nulls: NullPolicy::Observed,
        ..DeriveOptions::default()
    };
    let detail = derive_schema_with(state, &Hints::default(), &options);
    let doc = openapi::from_json_schema(&detail, &source, &detail_type);
    let content = if kind == OPEN_API_3 {
        doc
    } else {
        openapi::to_json_schema(&doc).map_err(|e| bad_request(format!("{}: {}", e.pointer, e.reason)))?
    };
    Ok(Reply::ok(json!({"Content": content.to_string()})))
}
