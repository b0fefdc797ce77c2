//! The web console (docs/CONSOLE.md) in a real headless Chromium, driven over WebDriver
//! (`chromedriver`), against a real `schemabus serve` process with access control on.
//! Chromium missing is a failure, not a skip: CI installs it (.ci/run).
//!
//! On a failure the page is saved as `target/console-screenshots/<test>.png`.
//! `UPDATE_SCREENSHOTS=1 cargo test --test console` rewrites the README's
//! `docs/images/console-*.png`.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

mod server;
mod webdriver;

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::server::{ADMIN_KEY, Server};
use crate::webdriver::Browser;

const ENTER: &str = "\u{E007}";

const VERSIONS: &str = "/v1/registries/shop/schemas/shop@OrderPlaced/versions";

/// Runs `steps`; on a panic saves a screenshot of the page first.
fn with_screenshot(browser: &Browser, name: &str, steps: impl FnOnce()) {
    if let Err(panic) = std::panic::catch_unwind(AssertUnwindSafe(steps)) {
        // CARGO_TARGET_TMPDIR is target/tmp: the screenshots go next to it.
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("../console-screenshots")
            .join(format!("{name}.png"));
        browser.screenshot(&path);
        eprintln!("screenshot of the failing page: {}", path.display());
        std::panic::resume_unwind(panic);
    }
}

/// Saves a README screenshot when `UPDATE_SCREENSHOTS=1`.
fn readme_screenshot(browser: &Browser, name: &str) {
    if std::env::var("UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        let path =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/images").join(format!("console-{name}.png"));
        browser.screenshot(&path);
    }
}

fn order_v1() -> Value {
    json!({
        "type": "object",
        "required": ["orderId", "total"],
        "additionalProperties": false,
        "properties": {
            "orderId": {"type": "string", "description": "The order's id."},
            "total": {"type": "number", "minimum": 0}
        }
    })
}

fn order_v2() -> Value {
    let mut v2 = order_v1();
    v2["properties"]["currency"] = json!({"type": "string", "enum": ["EUR", "USD"]});
    v2
}

/// A registry with two versions of a schema, a validating bus with a rule to a queue that
/// has a dead-letter queue, and one accepted and one refused event.
/// PutEvents of `entries` on the bus `orders`, through the API; the answer.
fn put_orders(server: &Server, entries: Value) -> Value {
    server.expect(200, "POST", "/v1/buses/orders/events", Some(json!({"entries": entries})))
}

fn seed(server: &Server) {
    server.expect(
        201,
        "POST",
        "/v1/registries",
        Some(json!({"name": "shop", "description": "The shop's events"})),
    );
    server.expect(201, "POST", VERSIONS, Some(json!({"content": order_v1()})));
    server.expect(
        201,
        "POST",
        VERSIONS,
        Some(json!({"content": order_v2(), "description": "adds currency"})),
    );
    server.expect(
        201,
        "POST",
        "/v1/buses",
        Some(json!({"name": "orders", "validation": {"mode": "enforce", "registry": "shop"}})),
    );
    server.expect(200, "PUT", "/v1/queues/orders-dlq", Some(json!({})));
    server.expect(
        200,
        "PUT",
        "/v1/queues/orders-q",
        Some(json!({"deadLetterQueue": "orders-dlq", "maxReceiveCount": 3})),
    );
    server.expect(
        200,
        "PUT",
        "/v1/buses/orders/rules/all-orders",
        Some(json!({"pattern": {"source": ["shop"]}, "targets": [{"id": "q", "type": "queue", "queue": "orders-q"}]})),
    );
    let put = put_orders(
        server,
        json!([
            {"source": "shop", "detailType": "OrderPlaced", "detail": {"orderId": "o-1", "total": 3}},
            {"source": "shop", "detailType": "OrderPlaced", "detail": {"orderId": "o-2", "total": -1}},
        ]),
    );
    assert_eq!(put["failedEntryCount"], 1, "{put}");
}

#[test]
fn the_files_are_served_from_the_binary_without_a_key() {
    let server = Server::start();
    let index = server.get_anonymous("/console/");
    assert_eq!(index.status(), 200);
    assert!(index.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(index.text().unwrap().contains("/console/js/main.js"));
    let module = server.get_anonymous("/console/js/main.js");
    assert_eq!(module.status(), 200);
    assert!(module.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert_eq!(server.get_anonymous("/console/js/nothing.js").status(), 404);
    // The data is not public: the API still wants a key.
    assert_eq!(server.get_anonymous("/v1/registries").status(), 401);
}

#[test]
fn a_tour_of_the_console() {
    let server = Server::start();
    seed(&server);
    let diff =
        server.expect(200, "GET", "/v1/registries/shop/schemas/shop@OrderPlaced/diff?from=1&to=2", None);
    let finding = diff["changes"][0]["message"].as_str().unwrap().to_owned();
    let browser = Browser::start();
    let console = format!("{}/console/", server.base);
    with_screenshot(&browser, "a_tour_of_the_console", || {
        // Sign-in, by keyboard: a wrong key shows the API's code, the right one gets in.
        browser.goto(&format!("{console}#/registries/shop"));
        browser.type_keys("#key", &format!("sb_not_a_key{ENTER}"));
        browser.wait_text("[role=alert]", "unauthorized");
        browser.fill("#key", "");
        browser.type_keys("#key", &format!("{ADMIN_KEY}{ENTER}"));
        // The shared URL opened before signing in is the page shown after it.
        browser.wait_text("main h1", "Registry shop");
        browser.wait_text("main table", "shop@OrderPlaced");
        browser.wait_text("#registry-compatibility", "BACKWARD");

        // Search by content: only v2 has "currency".
        browser.goto(&format!("{console}#/search?q=currency"));
        browser.wait_text("main table", "shop / shop@OrderPlaced");
        browser.wait_text("main table", "v2");

        // The schema, its setting, and the diff of its two versions with the finding.
        browser.goto(&format!("{console}#/registries/shop/schemas/shop@OrderPlaced"));
        browser.wait_text("#compatibility", "BACKWARD");
        browser.click("#compare");
        browser.wait_text("#findings", &finding);
        browser.wait_text("main", "backward compatible");
        browser.wait("main .code .row.add");
        readme_screenshot(&browser, "diff");

        // A version: highlighted content, a binding previewed and downloaded.
        browser.goto(&format!("{console}#/registries/shop/schemas/shop@OrderPlaced/versions/2"));
        browser.wait_text("main .code", "\"currency\"");
        browser.wait("main .code .t-k");
        browser.wait_text("#binding-preview", "pub struct");
        browser.click("#download");
        browser.wait_text("#download-status", "Downloaded");
        let (name, zip) = browser.downloaded(".zip");
        assert!(name.contains("rust"), "{name}");
        assert!(zip.starts_with(b"PK"), "the download is a zip");
        browser
            .goto(&format!("{console}#/registries/shop/schemas/shop@OrderPlaced/versions/2?lang=typescript"));
        browser.wait_text("#binding-preview", "export interface");

        // Playground: a bad event's errors sit on its lines (by JSON Pointer).
        browser.goto(&format!("{console}#/playground?registry=shop&schema=shop@OrderPlaced&version=1"));
        browser.fill("#event", "{\"orderId\": 42, \"total\": -5}");
        browser.click("#validate button[type=submit]");
        browser.wait_text("#validate-result", "Invalid against v1");
        let line2 = browser.wait("#validate-result .row.bad[data-line='2']");
        assert!(browser.text_of(&line2).contains("\"orderId\": 42"));
        browser.wait("#validate-result .row.bad[data-line='3']");
        browser.wait_text("#validate-result", "line 2:");
        browser.script("document.getElementById('validate-title').scrollIntoView()", json!([]));
        readme_screenshot(&browser, "validate");
        // a draft making `currency` required breaks BACKWARD
        let mut draft = order_v2();
        draft["required"] = json!(["orderId", "total", "currency"]);
        browser.fill("#draft", &draft.to_string());
        browser.click("#check button[type=submit]");
        browser.wait_text("#check-result", "Not compatible under BACKWARD");
        browser.click("#pattern-test button[type=submit]");
        browser.wait_text("#pattern-result", "The pattern matches the event.");

        // The bus: validation, the rule with its target, the refused event with its reason.
        browser.goto(&format!("{console}#/buses/orders"));
        browser.wait_text("#bus-validation", "enforce against registry shop");
        browser.wait_text("#rules", "all-orders");
        browser.wait_text("#rules", "queue orders-q");
        browser.wait_text("#quarantine", "SchemaValidationFailed");

        // Fix the contract (v3 allows negative totals), then re-submit the refused event.
        let mut v3 = order_v2();
        v3["properties"]["total"] = json!({"type": "number"});
        server.expect(201, "POST", VERSIONS, Some(json!({"content": v3})));
        browser.click("#quarantine input[name=id]");
        browser.click("#resubmit button[type=submit]");
        browser.wait_text("#resubmit-result", "1 of 1 re-submitted entries accepted.");
        browser.wait_text("#quarantine-section", "Nothing quarantined.");
        let queue = server.expect(200, "GET", "/v1/queues/orders-q", None);
        assert_eq!(queue["depth"], 2, "the re-submitted event was routed: {queue}");
        // Its trace: the rule matched, the event enqueued.
        browser.click("#resubmit-result a");
        browser.wait_text("#rules-matched", "all-orders");
        browser.wait_text("#deliveries", "enqueued");

        // Queues: the accepted event waits in orders-q, which dead-letters to orders-dlq.
        browser.goto(&format!("{console}#/queues"));
        browser.wait_text("#queues", "orders-dlq (after 3 receives)");

        // The catalog after that traffic: producer → type → consumer on one row, and the
        // bus's AsyncAPI document downloaded.
        server.expect(200, "PATCH", "/v1/registries/shop", Some(json!({"catalogSamples": true})));
        browser.goto(&format!("{console}#/catalog?bus=orders"));
        let row = "#catalog tr[data-id='orders/shop@OrderPlaced']";
        browser.wait_text(row, "source shop");
        browser.wait_text(row, "shop/shop@OrderPlaced v3");
        browser.wait_text(row, "all-orders → queue orders-q");
        browser.wait_text(row, "accepted");
        browser.wait_text(row, "Recent event");
        browser.click("#asyncapi-orders-json");
        browser.wait_text("#asyncapi-status", "Downloaded");
        let (name, document) = browser.downloaded(".asyncapi.json");
        assert_eq!(name, "orders.asyncapi.json");
        let document: Value = serde_json::from_slice(&document).unwrap();
        assert_eq!(document["asyncapi"], "3.0.0");
        // Searched on the server: words that match no type leave an empty page.
        browser.fill("#main input[name=q]", "");
        browser.type_keys("#main input[name=q]", &format!("nothing-like-this{ENTER}"));
        browser.wait_text("main", "No event types.");

        // Sign-out forgets the key.
        browser.click("#signout");
        browser.wait("#key");
        let key = browser.script("return sessionStorage.getItem('schemabus.key')", json!([]));
        assert!(key.is_null(), "{key}");
    });
}

#[test]
fn the_live_tail_shows_events_as_they_come_and_discovery_shows_what_traffic_taught() {
    let server = Server::start();
    seed(&server);
    server.expect(200, "PUT", "/v1/buses/orders/discovery", Some(json!({"enabled": true})));
    let browser = Browser::start();
    let console = format!("{}/console/", server.base);
    with_screenshot(&browser, "the_live_tail_shows_events_as_they_come", || {
        browser.goto(&format!("{console}#/buses/orders"));
        browser.type_keys("#key", &format!("{ADMIN_KEY}{ENTER}"));
        browser.wait_text("main h1", "Bus orders");
        // The bus page links to its live tail; the stream is open once the page says so.
        browser.click("#open-tail");
        browser.wait_text("main h1", "Live tail of bus orders");
        browser.wait("#tail-status[data-state=open]");

        // Put an accepted and a refused event through the API: both rows appear.
        let put = put_orders(
            &server,
            json!([
                {"source": "shop", "detailType": "OrderPlaced", "detail": {"orderId": "o-3", "total": 5}},
                {"source": "shop", "detailType": "OrderPlaced", "detail": {"orderId": "o-4", "total": -2}},
            ]),
        );
        let accepted = put["entries"][0]["eventId"].as_str().unwrap().to_owned();
        browser.wait_text("#tail tr[data-outcome=refused]", "SchemaValidationFailed");
        browser.wait_text("#tail tr[data-outcome=refused]", "/total");
        browser.wait_text("#tail tr[data-outcome=accepted]", &accepted);
        browser.wait_text("#tail tr[data-outcome=accepted]", "rules: all-orders");

        // A pattern restarts the stream with a shareable URL; only matching events show.
        browser.fill("#tail-pattern", "{\"detail\": {\"orderId\": [\"o-6\"]}}");
        browser.click("#tail-form button[type=submit]");
        browser.wait_text("#tail-status", "matching the pattern");
        put_orders(
            &server,
            json!([
                {"source": "shop", "detailType": "OrderPlaced", "detail": {"orderId": "o-5", "total": 1}},
                {"source": "shop", "detailType": "OrderPlaced", "detail": {"orderId": "o-6", "total": 2}},
            ]),
        );
        browser.wait("#tail tr[data-outcome=accepted]");
        let rows = browser.script("return document.querySelectorAll('#tail tbody tr').length", json!([]));
        assert_eq!(rows, json!(1), "only the event matching the pattern is shown");

        // Back to the unfiltered tail, then follow the accepted event to its trace.
        browser.goto(&format!("{console}#/buses/orders/tail"));
        browser.wait("#tail-status[data-state=open]");
        let put = put_orders(
            &server,
            json!([
                {"source": "shop", "detailType": "OrderPlaced", "detail": {"orderId": "o-7", "total": 7}},
            ]),
        );
        let id = put["entries"][0]["eventId"].as_str().unwrap().to_owned();
        browser.wait_text("#tail tr[data-outcome=accepted]", &id);
        browser.click("#tail tr[data-outcome=accepted] a");
        browser.wait_text("main h1", &format!("Event {id}"));
        browser.wait_text("#rules-matched", "all-orders");
        browser.wait_text("#deliveries", "enqueued");

        // Discovery: the traffic's schema appears (the worker runs in the background).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        for attempt in 0.. {
            // A new URL each time, so the page loads again.
            browser.goto(&format!("{console}#/discovery?attempt={attempt}"));
            browser.wait_text("main h1", "Discovery");
            browser.wait("#discovery-buses");
            let text = browser.script("return document.getElementById('main').textContent", json!([]));
            if text.as_str().unwrap_or("").contains("shop@OrderPlaced") {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "no discovered schema appeared: {text}");
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        browser.wait_text("#discovered", "shop@OrderPlaced");
        browser.wait_text("#discovery-buses", "on, sample rate 1");
        // The reported drift (a table, or the word that there is none) is on the page.
        browser.wait("#drift, #no-drift");
        browser.click("#discovered a");
        browser.wait_text("main h1", "shop@OrderPlaced");
    });
}
