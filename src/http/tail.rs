//! `GET /v1/buses/{bus}/tail`: the live tail of a bus as server-sent events
//! (docs/BUS.md#the-live-tail).

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

use super::error::HandlerResult;
use super::overload::Overload;
use super::patterns::parse_pattern_value;
use crate::bus::BusService;
use crate::bus::tail::{TailEntry, TailItem};
use crate::error::ErrorBody;

/// How often a stream with nothing to say sends a comment, so proxies and load balancers
/// keep the connection open (most close idle ones after 30–60 s).
const HEARTBEAT: Duration = Duration::from_secs(15);

/// Query of the live tail.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct TailQuery {
    /// An event pattern (JSON, URL-encoded; docs/PATTERNS.md): only entries whose event
    /// it matches are sent. Without one, every entry is sent.
    pub(crate) pattern: Option<String>,
}

/// Follow a bus's events live.
///
/// A `text/event-stream` (server-sent events) of every PutEvents entry on the bus once
/// its outcome is decided and written: `event: accepted`, `refused` or `warned`, `id:`
/// an increasing number, `data:` a `TailEntry` (event id, time, source, detail type,
/// the code, message and JSON Pointer of a refusal or warning, the rules matched, the
/// path of the trace, the event). With `pattern`, only entries whose event it matches
/// (entries refused before they became events are then left out). A stream that falls
/// behind gets `event: lagged` with `{"dropped": n}`; a comment line is sent every 15 s
/// of silence. At most `--max-tail-streams` streams are open at once (`503 overloaded`
/// past that, with `Retry-After`). Entries are not replayed: a stream sees what happens
/// after it opens.
#[utoipa::path(
    tag = "buses",
    operation_id = "tailBus",
    params(("bus" = String, Path, description = "Bus name"), TailQuery),
    responses(
        (status = 200, description = "The stream of server-sent events; each `data:` is a `TailEntry`.", content_type = "text/event-stream", body = TailEntry),
        (status = 400, description = "Invalid name, unknown parameter, or the pattern is not valid (`invalid_pattern`).", body = ErrorBody),
        (status = 404, description = "No such bus (`bus_not_found`).", body = ErrorBody),
    )
)]
#[get("/buses/{bus}/tail")]
pub(crate) async fn tail_bus(
    service: web::Data<BusService>,
    overload: web::Data<Overload>,
    path: web::Path<String>,
    query: web::Query<TailQuery>,
) -> HandlerResult<HttpResponse> {
    let bus = path.into_inner();
    service.get_bus(&bus)?;
    let pattern = query
        .into_inner()
        .pattern
        .map(|p| parse_pattern_value(p.into(), service.settings().max_pattern_chars))
        .transpose()
        .map_err(|e| e.with_details(json!({"parameter": "pattern"})))?;
    let slot = overload.tail_stream()?;
    let stream = service.tail().subscribe(&bus, pattern);
    // The first bytes tell the client the stream is open (and flush proxies' buffers).
    let opening = futures_util::stream::once(async {
        Ok::<_, actix_web::Error>(web::Bytes::from_static(b": open\n\n"))
    });
    // The slot is held in the stream's state: it is released when the stream ends or the
    // client goes away (actix then drops the body).
    let events = futures_util::stream::unfold(Some((stream, slot)), |state| async move {
        let (mut stream, slot) = state?;
        let frame = tokio::select! {
            item = stream.next() => match item {
                TailItem::Entry(published) => {
                    let (name, seq, data) = (published.entry.outcome.name(), published.seq, published.json());
                    format!("event: {name}\nid: {seq}\ndata: {data}\n\n")
                }
                TailItem::Lagged(dropped) => format!("event: lagged\ndata: {}\n\n", json!({"dropped": dropped})),
                TailItem::Closed => return None,
            },
            () = tokio::time::sleep(HEARTBEAT) => ": heartbeat\n\n".to_owned(),
        };
        Some((Ok::<_, actix_web::Error>(web::Bytes::from(frame)), Some((stream, slot))))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // nginx buffers responses unless told not to.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(futures_util::StreamExt::chain(opening, events)))
}
