//! Generalisation: train on half of each event type's samples, validate the other half.
//!
//! The corpus is produced by a deterministic generator (fixed-seed xorshift) modelled on
//! real webhook and EventBridge payloads: nested objects, optional and nullable fields,
//! dates, UUIDs, e-mail addresses, URIs, IPs, maps keyed by dates and by service names,
//! a long tail of rare optional fields, rare type changes, an almost-always-present field, and numbers that are usually but not always integral.

use std::collections::BTreeMap;

use schemabus::infer::{Catalog, Hints, derive_schema, split_envelope};
use serde_json::{Map, Value, json};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
    fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }
    fn date(&mut self) -> String {
        format!("2026-{:02}-{:02}", 1 + self.below(12), 1 + self.below(28))
    }
    fn date_time(&mut self) -> String {
        let d = self.date();
        let (h, m, s) = (self.below(24), self.below(60), self.below(60));
        if self.chance(30) {
            format!("{d}T{h:02}:{m:02}:{s:02}.{:03}+01:00", self.below(1000))
        } else {
            format!("{d}T{h:02}:{m:02}:{s:02}Z")
        }
    }
    fn word(&mut self) -> String {
        let len = 3 + self.below(8);
        (0..len).map(|_| (b'a' + self.below(26) as u8) as char).collect()
    }
    fn money(&mut self) -> Value {
        // Mostly cents, sometimes whole amounts: integral and fractional numbers mix.
        if self.chance(20) {
            json!(1 + self.below(500))
        } else {
            json!((1 + self.below(50_000)) as f64 / 100.0)
        }
    }
}

fn envelope(r: &mut Rng, source: &str, detail_type: &str, detail: Value) -> Value {
    json!({
        "version": "0", "id": r.uuid(), "detail-type": detail_type, "source": source,
        "account": "111122223333", "time": r.date_time(), "region": r.pick(&["eu-west-1", "us-east-1"]),
        "resources": [], "detail": detail
    })
}

const RARE_FIELDS: [&str; 30] = [
    "affiliateId",
    "promoCode",
    "giftWrap",
    "deliveryWindow",
    "pickupPoint",
    "taxId",
    "poNumber",
    "salesRep",
    "campaign",
    "referralCode",
    "loyaltyTier",
    "invoiceNote",
    "warehouseHint",
    "splitShipment",
    "customsCode",
    "fraudReview",
    "marketplace",
    "storeId",
    "kioskId",
    "agentId",
    "approvalRef",
    "subscriptionId",
    "bundleId",
    "priceList",
    "contractRef",
    "costCenter",
    "projectCode",
    "voucher",
    "timeSlot",
    "dropShipper",
];

fn order_placed(r: &mut Rng) -> Value {
    let lines: Vec<Value> = (0..1 + r.below(5))
        .map(|_| {
            let mut l = json!({"sku": format!("SKU-{:05}", r.below(99_999)), "qty": 1 + r.below(4), "price": r.money()});
            if r.chance(25) {
                l["discount"] = if r.chance(50) { Value::Null } else { r.money() };
            }
            l
        })
        .collect();
    let mut customer =
        json!({"id": r.uuid(), "email": format!("{}@{}.com", r.word(), r.word()), "name": r.word()});
    if r.chance(60) {
        customer["address"] = json!({"street": r.word(), "city": r.word(), "zip": format!("{:05}", r.below(99_999)), "country": r.pick(&["IE", "DE", "FR", "US"])});
    }
    if r.chance(30) {
        customer["vip"] = json!(r.chance(50));
    }
    let mut d = json!({
        "orderId": format!("ord-{}", r.below(1_000_000)), "customer": customer, "lines": lines,
        "total": r.money(), "currency": r.pick(&["EUR", "USD", "GBP"]), "placedAt": r.date_time(),
        "coupon": if r.chance(70) { Value::Null } else { json!(r.word().to_uppercase()) },
        "channel": r.pick(&["web", "ios", "android", "pos"]),
    });
    if r.chance(10) {
        d["giftNote"] = json!(r.word());
    }
    // A long tail of rarely used optional fields: some appear only in the held-out half.
    if r.chance(8) {
        let name = r.pick(&RARE_FIELDS);
        d[name] = json!(r.word());
    }
    // Almost always present: training likely sees it in every sample and marks it required.
    if r.chance(98) {
        d["salesChannelId"] = json!(r.below(20));
    }
    envelope(r, "orders", "Order Placed", d)
}

fn payment_captured(r: &mut Rng) -> Value {
    let card = if r.chance(20) {
        Value::Null
    } else {
        json!({"brand": r.pick(&["visa", "mastercard", "amex"]), "last4": format!("{:04}", r.below(10_000)), "expiry": format!("{:02}/{}", 1 + r.below(12), 27 + r.below(5))})
    };
    let d = json!({
        "paymentId": r.uuid(), "amount": r.money(), "method": r.pick(&["card", "sepa", "paypal"]),
        "card": card, "capturedAt": r.date_time(), "riskScore": r.below(1000) as f64 / 10.0,
        "attempts": 1 + r.below(3), "clientIp": format!("{}.{}.{}.{}", 1 + r.below(223), r.below(256), r.below(256), 1 + r.below(254)),
        "receiptUrl": format!("https://pay.example.com/r/{}", r.uuid()),
    });
    envelope(r, "payments", "Payment Captured", d)
}

fn user_signed_up(r: &mut Rng) -> Value {
    let mut profile = json!({"displayName": r.word(), "locale": r.pick(&["en-IE", "de-DE", "fr-FR"]),
        "birthDate": if r.chance(40) { Value::Null } else { json!(r.date()) }});
    if r.chance(50) {
        profile["avatarUrl"] = json!(format!("https://cdn.example.com/a/{}.png", r.word()));
    }
    let consents: Map<String, Value> = (0..1 + r.below(3)).map(|_| (r.date(), json!(r.chance(80)))).collect();
    let tags: Vec<Value> = (0..r.below(4)).map(|_| json!(r.word())).collect();
    let d = json!({"userId": r.uuid(), "email": format!("{}@example.org", r.word()), "profile": profile,
        "consents": consents, "tags": tags, "referrer": if r.chance(50) { Value::Null } else { json!(r.word()) }});
    // A rare shape change: 2 % of referrers are objects, not strings.
    let mut d = d;
    if r.chance(2) {
        d["referrer"] = json!({"campaign": r.word()});
    }
    envelope(r, "users", "User Signed-Up", d)
}

const SERVICES: [&str; 40] = [
    "auth",
    "billing",
    "search",
    "catalog",
    "cart",
    "checkout",
    "email",
    "sms",
    "push",
    "media",
    "thumbnails",
    "reports",
    "exports",
    "imports",
    "audit",
    "geo",
    "pricing",
    "tax",
    "fraud",
    "ledger",
    "payouts",
    "kyc",
    "support",
    "chat",
    "voice",
    "webhooks",
    "scheduler",
    "queue",
    "cache",
    "cdn",
    "dns",
    "logs",
    "metrics",
    "traces",
    "alerts",
    "status",
    "docs",
    "admin",
    "graphql",
    "gateway",
];

fn daily_usage(r: &mut Rng) -> Value {
    let per_service: Map<String, Value> = (0..3 + r.below(6))
        .map(|_| (r.pick(&SERVICES).to_owned(), json!({"calls": r.below(100_000), "errors": r.below(100)})))
        .collect();
    let mut hourly = Map::new();
    for h in 0..24 {
        if r.chance(70) {
            hourly.insert(format!("{h}"), json!(r.below(5000)));
        }
    }
    let d = json!({"tenant": r.uuid(), "day": r.date(), "perService": per_service, "hourly": hourly,
        "quota": {"limit": 1_000_000, "used": r.below(1_000_000)}, "overage": r.chance(5)});
    envelope(r, "metering", "daily.usage", d)
}

fn corpus(per_type: usize) -> Vec<Value> {
    let mut r = Rng(0x5eed_1234_abcd_9876);
    let makers: [fn(&mut Rng) -> Value; 4] = [order_placed, payment_captured, user_signed_up, daily_usage];
    (0..per_type).flat_map(|_| makers.map(|m| m(&mut r))).collect()
}

#[test]
fn held_out_samples_validate() {
    let docs = corpus(200);
    // Split each type's samples: even positions train, odd positions are held out.
    let mut by_type: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for d in &docs {
        let e = split_envelope(d).expect("corpus is envelopes");
        by_type.entry(e.type_name).or_default().push(e.detail);
    }
    let mut train = Catalog::new();
    for d in &docs {
        let e = split_envelope(d).expect("envelope");
        let pos = by_type[&e.type_name].iter().position(|x| std::ptr::eq(*x, e.detail)).expect("found");
        if pos % 2 == 0 {
            train.add(d, true);
        }
    }
    assert_eq!(train.types.len(), 4);
    let (mut total_ok, mut total) = (0usize, 0usize);
    for (name, samples) in &by_type {
        let schema = derive_schema(&train.types[name], &Hints::default());
        let v = jsonschema::options().should_validate_formats(true).build(&schema).expect("compiles");
        let held: Vec<&&Value> = samples.iter().skip(1).step_by(2).collect();
        let ok = held.iter().filter(|d| v.is_valid(d)).count();
        let trained_ok = samples.iter().step_by(2).all(|d| v.is_valid(d));
        assert!(trained_ok, "{name}: a training sample fails its own schema");
        println!(
            "{name}: {ok}/{} held-out samples accepted ({:.1} %)",
            held.len(),
            100.0 * ok as f64 / held.len() as f64
        );
        if let Some(bad) = held.iter().find(|d| !v.is_valid(d)) {
            let errs: Vec<String> = v.iter_errors(bad).map(|e| e.to_string()).collect();
            println!("  first rejection: {errs:?}");
        }
        total_ok += ok;
        total += held.len();
    }
    let rate = total_ok as f64 / total as f64;
    println!("overall: {total_ok}/{total} held-out samples accepted ({:.1} %)", 100.0 * rate);
    assert!(rate >= 0.95, "acceptance {rate}");

    // The same measure with every object closed (quicktype's default) must drop: it shows
    // the held-out check can tell a generalising schema from an over-fitted one.
    let closed = Hints {
        closed: ["", "/*", "/*/*", "/*/*/*", "/*/*/*/*"].iter().map(|p| p.to_string()).collect(),
        ..Hints::default()
    };
    let mut closed_ok = 0usize;
    for (name, samples) in &by_type {
        let schema = derive_schema(&train.types[name], &closed);
        let v = jsonschema::options().should_validate_formats(true).build(&schema).expect("compiles");
        closed_ok += samples.iter().skip(1).step_by(2).filter(|d| v.is_valid(d)).count();
    }
    let closed_rate = closed_ok as f64 / total as f64;
    println!("with every object closed: {closed_ok}/{total} accepted ({:.1} %)", 100.0 * closed_rate);
    assert!(closed_rate < rate, "closing objects should reject unseen optional fields");

    let usage = derive_schema(&train.types["metering@DailyUsage"], &Hints::default());
    assert!(
        usage["properties"]["hourly"]["x-schemabus-map"].is_string(),
        "{}",
        usage["properties"]["hourly"]
    );
    assert!(
        usage["properties"]["perService"]["x-schemabus-map"].is_string(),
        "{}",
        usage["properties"]["perService"]
    );
    let placed = derive_schema(&train.types["orders@OrderPlaced"], &Hints::default());
    assert_eq!(placed["properties"]["currency"]["x-enum-candidates"], json!(["EUR", "GBP", "USD"]));
    assert_eq!(placed["properties"]["placedAt"]["format"], json!("date-time"));
}
