//! The web console (docs/CONSOLE.md): static files embedded in the binary and served at
//! `/console/`, like the Swagger UI at `/docs/`. The files are public (they hold no data);
//! every page reads the `/v1` API with the signed-in user's key, so what a key may not
//! read is refused by the API and never shown. Plain ES modules and CSS: no build step, no
//! CDN, nothing fetched at run time.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

/// One embedded file: its path under `/console/`, its content type and its bytes.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static str,
}

macro_rules! asset {
    ($path:literal, $type:expr) => {
        Asset { path: $path, content_type: $type, body: include_str!(concat!("../../console/", $path)) }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file of the console (a test would catch a page module missing here: the browser
/// tests load every page).
const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("console.css", "text/css; charset=utf-8"),
    asset!("js/main.js", JS),
    asset!("js/api.js", JS),
    asset!("js/dom.js", JS),
    asset!("js/json.js", JS),
    asset!("js/diff.js", JS),
    asset!("js/signin.js", JS),
    asset!("js/registries.js", JS),
    asset!("js/schema.js", JS),
    asset!("js/version.js", JS),
    asset!("js/compare.js", JS),
    asset!("js/playground.js", JS),
    asset!("js/buses.js", JS),
    asset!("js/queues.js", JS),
    asset!("js/trace.js", JS),
    asset!("js/tail.js", JS),
    asset!("js/discovery.js", JS),
    asset!("js/catalog.js", JS),
];

/// Mounts `/console` (redirect) and `/console/{file}` outside the documented API.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/console",
        web::get().to(|| async {
            HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "/console/")).finish()
        }),
    )
    .route("/console/{_:.*}", web::get().to(file));
}

async fn file(req: HttpRequest) -> HttpResponse {
    let wanted = req.path().trim_start_matches("/console/");
    let wanted = if wanted.is_empty() { "index.html" } else { wanted };
    match ASSETS.iter().find(|a| a.path == wanted) {
        Some(asset) => HttpResponse::Ok()
            .content_type(asset.content_type)
            // The files change with the binary: revalidate rather than cache stale modules.
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .body(asset.body),
        None => HttpResponse::NotFound().finish(),
    }
}
