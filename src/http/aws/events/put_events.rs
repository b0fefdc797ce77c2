//! PutEvents: entries grouped by bus, one native PutEvents per bus.

use super::*;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PutEventsIn<'a> {
    #[serde(borrow)]
    entries: Option<Vec<AwsEntry<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AwsEntry<'a> {
    source: Option<Value>,
    detail_type: Option<Value>,
    /// Read as a string while parsing (see [`DetailInput::Text`]).
    #[serde(borrow)]
    detail: Option<DetailInput<'a>>,
    time: Option<Value>,
    resources: Option<Value>,
    event_bus_name: Option<String>,
}

/// The model's limit of entries per request.
pub(super) const MAX_AWS_ENTRIES: usize = 10;

pub(super) async fn put_events(ctx: &Ctx<'_>, bytes: &[u8]) -> AwsResult<Value> {
    // Taken before the parse, as the native handler does, so a group commit under way
    // waits for this request too instead of syncing once per request under load.
    let mut writer = Some(ctx.bus.preparing_events());
    let input: PutEventsIn<'_> = serde_json::from_slice(if bytes.is_empty() { b"{}" } else { bytes })
        .map_err(|e| {
            AwsError::new("SerializationException", format!("The request body is not valid: {e}"))
        })?;
    let entries = required(input.entries, "entries")?;
    if entries.is_empty() || entries.len() > MAX_AWS_ENTRIES {
        return Err(AwsError::validation(format!(
            "1 validation error detected: Value '{}' at 'entries' failed to satisfy constraint: Member must have length less than or equal to {MAX_AWS_ENTRIES} and greater than or equal to 1",
            entries.len()
        )));
    }
    // Entries name their bus each; one native PutEvents call per bus, results put back in
    // request order.
    let mut groups: Vec<(String, Vec<(usize, EntryInput<'_>)>)> = Vec::new();
    for (i, e) in entries.into_iter().enumerate() {
        let bus = bus_name(ctx, e.event_bus_name.as_deref())?;
        let entry = EntryInput {
            source: e.source,
            detail_type: e.detail_type,
            detail: e.detail,
            time: e.time.map(time_value),
            resources: e.resources,
            unknown: None,
            not_object: false,
        };
        match groups.iter_mut().find(|(b, _)| *b == bus) {
            Some((_, list)) => list.push((i, entry)),
            None => groups.push((bus, vec![(i, entry)])),
        }
    }
    for (bus, _) in &groups {
        ctx.caller.allow("POST", EVENTS, Some(bus))?;
    }
    let total: usize = groups.iter().map(|(_, l)| l.len()).sum();
    let mut results: Vec<Value> = vec![Value::Null; total];
    let mut failed = 0;
    for (bus, list) in groups {
        let (indexes, entries): (Vec<usize>, Vec<EntryInput<'_>>) = list.into_iter().unzip();
        let sources = ctx.caller.sources(&bus);
        let writer = writer.take().unwrap_or_else(|| ctx.bus.preparing_events());
        match ctx
            .bus
            .put_events_prepared(
                &bus,
                PutEventsRequest { entries },
                sources.as_deref(),
                writer,
                ctx.caller.identity.as_ref().map(|i| i.name.as_str()),
            )
            .await
        {
            Ok(answer) => {
                for (i, r) in indexes.into_iter().zip(answer.entries) {
                    results[i] = if let Some(id) = r.event_id {
                        json!({"EventId": id})
                    } else {
                        failed += 1;
                        let mut message = r.error_message.unwrap_or_default();
                        // The findings of the validation gate, each named by its JSON Pointer.
                        for f in r.errors.unwrap_or_default().iter().take(3) {
                            let at = if f.instance_path.is_empty() { "/" } else { &f.instance_path };
                            message.push_str(&format!(" At {at}: {}.", f.message.trim_end_matches('.')));
                        }
                        json!({"ErrorCode": r.error_code.unwrap_or_else(|| "InternalFailure".into()), "ErrorMessage": message})
                    };
                }
            }
            // A bus that does not exist fails its entries alone.
            Err(e) if e.code == Code::BusNotFound => {
                for i in indexes {
                    failed += 1;
                    results[i] = json!({"ErrorCode": "ResourceNotFoundException", "ErrorMessage": format!("Event bus {bus} does not exist.")});
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(json!({"FailedEntryCount": failed, "Entries": results}))
}
