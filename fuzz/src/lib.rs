//! The bodies of the cargo-fuzz targets, one `pub fn NAME(data: &[u8])` per target in
//! `fuzz_targets/NAME.rs`. The same functions replay the committed corpora
//! (`fuzz/corpus/NAME/`, `fuzz/regressions/NAME/`) on stable in `tests/fuzz_corpus.rs`,
//! which includes this file with `#[path]`. Each panics (a finding) when the property it
//! states fails; what each asserts is in docs/RELIABILITY.md, "Coverage-guided fuzzing".
//!
//! Most targets read their input as JSON text (the seeds are JSON, and libFuzzer mutates
//! it well); input that is not what a target wants is simply skipped.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "fuzz oracles: a failed property must abort"
)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use schemabus::ccompat::{
    ConfigRequest, ModeRequest, Reference, SchemaRequest, Subject, page, parse_body, registry_for,
};
use schemabus::compat::{self, CompatibilityMode, Policy, SchemaMap};
use schemabus::json::Doc;
use schemabus::model::RegistryName;
use schemabus::pattern::{Pattern, PatternMatcher};
use schemabus::registry::content::{self, SchemaLimits};
use schemabus::transform::{Payload, RuleContext, Transformation};
use serde_json::{Value, json};

#[path = "pattern_ref.rs"]
mod pattern_ref;

/// Largest input a target looks at: bigger ones only make the oracles slow.
const MAX_INPUT: usize = 16 * 1024;

fn json_input(data: &[u8]) -> Option<Value> {
    if data.len() > MAX_INPUT {
        return None;
    }
    serde_json::from_slice(data).ok()
}

// ------------------------------------------------------------------------------------
// pattern: `[pattern, event, event, ...]`.
// ------------------------------------------------------------------------------------

/// Parsing never panics; for a valid pattern, the compiled matcher (from a `Value`, from
/// the event's bytes, alone and among other patterns, after a removal) and
/// `Pattern::matches` agree with the reference evaluator on every event.
pub fn pattern(data: &[u8]) {
    let Some(Value::Array(items)) = json_input(data) else { return };
    let Some((raw, events)) = items.split_first() else { return };
    let Ok(parsed) = Pattern::parse(raw) else { return };
    let mut alone = PatternMatcher::new();
    alone.add(0u32, parsed.clone());
    // Among others: the same pattern under a second id (removed again), and one that
    // shares the pattern's fields.
    let mut crowd = PatternMatcher::new();
    crowd.add(1u32, parsed.clone());
    crowd.add(0u32, parsed.clone());
    if let Ok(other) = Pattern::parse(&json!({"source": ["x"]})) {
        crowd.add(2u32, other);
    }
    crowd.remove(&1);
    for event in events {
        let by_value = !alone.matches(event).is_empty();
        let bytes = serde_json::to_vec(event).expect("a Value serialises");
        let by_bytes = !alone.matches_bytes(&bytes).expect("serialised JSON parses").is_empty();
        assert_eq!(by_value, by_bytes, "matches vs matches_bytes: {raw} on {event}");
        assert_eq!(by_value, parsed.matches(event), "matcher vs Pattern::matches: {raw} on {event}");
        assert_eq!(by_value, crowd.matches(event).contains(&0), "alone vs among others: {raw} on {event}");
        assert!(!crowd.matches(event).contains(&1), "a removed pattern matched: {raw} on {event}");
        if !event.is_object() {
            continue;
        }
        if let Some(expected) = pattern_ref::ref_matches_within(raw, event, 200_000) {
            assert_eq!(by_value, expected, "matcher vs reference evaluator: {raw} on {event}");
        }
    }
}

// ------------------------------------------------------------------------------------
// json_doc: any bytes.
// ------------------------------------------------------------------------------------

/// `Doc::parse` accepts exactly what `serde_json` accepts, and gives the same value
/// (member order included); its own serialisation and its owned form give it back.
pub fn json_doc(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // An AWS PutEvents Detail string: unescaped as serde_json reads the literal.
    if let Ok(s) = serde_json::from_str::<String>(text) {
        assert_eq!(schemabus::json::string_literal(text.trim()), Some(s), "string_literal on {text:?}");
    }
    let doc = Doc::parse(text);
    let value = serde_json::from_str::<Value>(text);
    match (doc, value) {
        (Ok(doc), Ok(value)) => {
            let from_doc = doc.to_value();
            let expected = serde_json::to_string(&value).expect("serialises");
            assert_eq!(
                serde_json::to_string(&from_doc).expect("serialises"),
                expected,
                "Doc vs serde_json on {text:?}"
            );
            let mut out = Vec::new();
            doc.write_json(&mut out);
            let reparsed: Value = serde_json::from_slice(&out).expect("Doc::write_json writes JSON");
            assert_eq!(
                serde_json::to_string(&reparsed).expect("serialises"),
                expected,
                "write_json round trip"
            );
            assert_eq!(doc.clone().into_owned(), doc, "into_owned changes the document");
        }
        (Err(_), Err(_)) => {}
        (doc, value) => {
            panic!("acceptance differs on {text:?}: Doc {:?}, serde_json {:?}", doc.err(), value.err())
        }
    }
}

// ------------------------------------------------------------------------------------
// compat: `[old, new, document, ...]`.
// ------------------------------------------------------------------------------------

struct NoRefs;

impl jsonschema::Retrieve for NoRefs {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        Err(format!("no external schema {}", uri.as_str()).into())
    }
}

/// A schema as the registry compiles it (checks, draft, formats asserted, no external
/// references); `None` when the registry would refuse it.
fn compile(schema: &Value) -> Option<jsonschema::Validator> {
    let checked = content::check(schema.clone(), SchemaLimits::default()).ok()?;
    content::compile::<jsonschema::json::SerdeJson>(
        &checked.value,
        checked.draft,
        "https://schemabus.invalid/fuzz",
        NoRefs,
    )
    .ok()
}

/// Values a schema names: `const`, `enum`, `examples`, `default`, anywhere in it.
fn named_values(schema: &Value, out: &mut Vec<Value>) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("const" | "default", v) => out.push(v.clone()),
                    ("enum" | "examples", Value::Array(items)) => out.extend(items.iter().take(8).cloned()),
                    _ => {}
                }
                named_values(value, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| named_values(v, out)),
        _ => {}
    }
}

/// A simple instance of `schema` (not always valid: callers filter by validation).
fn instance(schema: &Value, full: bool, depth: u32) -> Value {
    let Value::Object(map) = schema else { return json!({}) };
    if depth > 6 {
        return Value::Null;
    }
    if let Some(v) = map.get("const") {
        return v.clone();
    }
    if let Some(Value::Array(items)) = map.get("enum")
        && let Some(v) = items.first()
    {
        return v.clone();
    }
    let kind = match map.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts.first().and_then(Value::as_str).unwrap_or("object"),
        _ if map.contains_key("properties") => "object",
        _ => "null",
    };
    match kind {
        "object" => {
            let required: Vec<&str> = map
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut out = serde_json::Map::new();
            if let Some(Value::Object(props)) = map.get("properties") {
                for (name, sub) in props.iter().take(16) {
                    if full || required.contains(&name.as_str()) {
                        out.insert(name.clone(), instance(sub, full, depth + 1));
                    }
                }
            }
            for name in required {
                out.entry(name.to_owned()).or_insert(Value::Null);
            }
            Value::Object(out)
        }
        "array" => match map.get("items") {
            Some(items) if full => json!([instance(items, full, depth + 1)]),
            _ => json!([]),
        },
        "string" => {
            let len = map.get("minLength").and_then(Value::as_u64).unwrap_or(0).min(64);
            Value::String("a".repeat(usize::try_from(len).unwrap_or(0)))
        }
        "integer" | "number" => map.get("minimum").cloned().unwrap_or(json!(0)),
        "boolean" => json!(true),
        _ => Value::Null,
    }
}

/// Fixed probes that meet most schemas somewhere.
fn probes() -> Vec<Value> {
    vec![
        json!(null),
        json!(true),
        json!(false),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(""),
        json!("a"),
        json!("2024-01-01T00:00:00Z"),
        json!([]),
        json!([1]),
        json!({}),
        json!({"a": 1}),
        json!({"a": "x"}),
    ]
}

/// Compiling and checking a pair never panics (in every mode and policy); when the
/// checker calls the pair BACKWARD-compatible under the strict policy, every probe
/// document valid under the old schema (the input's own documents, the values both
/// schemas name, instances generated from them, fixed probes) is valid under the new
/// one, and FORWARD the reverse.
pub fn compat(data: &[u8]) {
    let Some(Value::Array(items)) = json_input(data) else { return };
    let [old, new, documents @ ..] = items.as_slice() else { return };
    let refs = SchemaMap::new();
    let mut verdicts = BTreeMap::new();
    for mode in [CompatibilityMode::Backward, CompatibilityMode::Forward, CompatibilityMode::Full] {
        for policy in [Policy::Strict, Policy::Lenient] {
            let report = compat::check(old, new, mode, policy, &refs);
            assert_eq!(report.compatible, report.findings.iter().all(|f| f.compatible));
            verdicts.insert((mode as u8, policy as u8), report.compatible);
        }
    }
    let _ = compat::diff(old, new, Policy::Strict, &refs);
    let (Some(old_v), Some(new_v)) = (compile(old), compile(new)) else { return };
    let mut docs: Vec<Value> = documents.to_vec();
    for schema in [old, new] {
        named_values(schema, &mut docs);
        docs.push(instance(schema, false, 0));
        docs.push(instance(schema, true, 0));
    }
    docs.extend(probes());
    let backward = verdicts[&(CompatibilityMode::Backward as u8, Policy::Strict as u8)];
    let forward = verdicts[&(CompatibilityMode::Forward as u8, Policy::Strict as u8)];
    for doc in &docs {
        let (in_old, in_new) = (old_v.is_valid(doc), new_v.is_valid(doc));
        if backward {
            assert!(
                !in_old || in_new,
                "BACKWARD-compatible, yet {doc} is valid under old {old} and not under new {new}"
            );
        }
        if forward {
            assert!(
                !in_new || in_old,
                "FORWARD-compatible, yet {doc} is valid under new {new} and not under old {old}"
            );
        }
    }
}

// ------------------------------------------------------------------------------------
// infer: `[sample, ...]`.
// ------------------------------------------------------------------------------------

/// Every sample validates against the schema inferred from them, which compiles.
pub fn infer(data: &[u8]) {
    let Some(Value::Array(samples)) = json_input(data) else { return };
    let schema = schemabus::infer::infer(&samples);
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("the inferred schema {schema} does not compile: {e}"));
    for sample in &samples {
        if let Some(error) = validator.iter_errors(sample).next() {
            panic!(
                "sample {sample} fails the schema inferred from it ({error} at {}): {schema}",
                error.instance_path()
            );
        }
    }
}

// ------------------------------------------------------------------------------------
// codegen: a schema.
// ------------------------------------------------------------------------------------

/// Generation never panics, and the same input gives the same files twice.
pub fn codegen(data: &[u8]) {
    static GENERATOR: OnceLock<schemabus::codegen::Generator> = OnceLock::new();
    let Some(schema) = json_input(data) else { return };
    let generator = GENERATOR
        .get_or_init(|| schemabus::codegen::Generator::embedded().expect("embedded templates compile"));
    let refs = BTreeMap::new();
    for language in [schemabus::codegen::Language::Rust, schemabus::codegen::Language::TypeScript] {
        for typed_formats in [false, true] {
            let mut options = schemabus::codegen::Options::new(language, "fuzzed");
            options.typed_formats = typed_formats;
            let first = generator.generate(&schema, &refs, &options);
            let second = generator.generate(&schema, &refs, &options);
            match (&first, &second) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "generation is not deterministic for {schema}"),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "errors differ for {schema}"),
                _ => panic!("one run failed and the other did not for {schema}"),
            }
        }
    }
}

// ------------------------------------------------------------------------------------
// transform: `{"input"?, "inputPath"?, "inputTransformer"?, "event"}`.
// ------------------------------------------------------------------------------------

/// Compiling a target's input options never panics; a compiled transformation applied
/// to an event gives JSON whenever it says it does (a constant, a path, a JSON
/// template), and the whole event unchanged.
pub fn transform(data: &[u8]) {
    let Some(Value::Object(target)) = json_input(data) else { return };
    let input = target.get("input");
    let input_path = target.get("inputPath").and_then(Value::as_str);
    let transformer = target.get("inputTransformer").and_then(|t| serde_json::from_value(t.clone()).ok());
    let Ok(compiled) = Transformation::compile(input, input_path, transformer.as_ref()) else { return };
    let event = target.get("event").cloned().unwrap_or_else(|| json!({"detail": {}}));
    let bytes = serde_json::to_vec(&event).expect("serialises");
    let rule = RuleContext {
        rule_name: "r",
        rule_arn: "arn:aws:events:x:1:rule/r",
        ingestion_time: "2024-01-01T00:00:00Z",
    };
    match compiled.apply(&event, &bytes, &rule) {
        Payload::Json(out) => {
            let text = String::from_utf8(out.clone()).expect("a JSON payload is UTF-8");
            if let Err(e) = serde_json::from_str::<Value>(&text) {
                panic!("a JSON payload is not JSON ({e}): {text:?} from {target:?}");
            }
            if compiled.is_whole() {
                assert_eq!(out, bytes);
            }
        }
        Payload::Text(text) => {
            let _ = Payload::Text(text).into_json_bytes();
        }
    }
}

// ------------------------------------------------------------------------------------
// journal: the bytes of a segment file.
// ------------------------------------------------------------------------------------

fn scratch_dir() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    // tmpfs when there is one: opening syncs files, and the fuzzer opens many.
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!(
        "schemabus-fuzz-journal-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Opens a journal whose only segment holds `bytes`; `None` when start-up refuses it.
fn open_segment(bytes: &[u8]) -> (Option<Vec<String>>, PathBuf) {
    let dir = scratch_dir();
    let segment = dir.join("0000000000000000.seg");
    std::fs::write(&segment, bytes).expect("write segment");
    (schemabus::storage::journal_fuzzing::open(&dir).ok(), dir)
}

/// Replaying a segment never panics and does not depend on the read size; start-up
/// either refuses it or replays exactly its whole frames, and then opens again to the
/// same records (a dropped torn end stays dropped); any truncation of the bytes opens to
/// a prefix of those records, or is refused.
///
/// Raw bytes rarely pass the CRC of a frame, so half of the inputs (first byte odd) are
/// payloads, each after a length byte, framed with their right length and CRC: those
/// reach the record decoder. The other half is the segment's bytes as they are.
pub fn journal(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    match data.split_first() {
        Some((selector, rest)) if selector % 2 == 1 => {
            let mut framed = Vec::with_capacity(rest.len() * 2);
            let mut rest = rest;
            while let Some((len, tail)) = rest.split_first() {
                let (payload, next) = tail.split_at(usize::from(*len).min(tail.len()));
                schemabus::storage::journal_fuzzing::push_frame(&mut framed, payload);
                rest = next;
            }
            journal_segment(&framed);
        }
        _ => journal_segment(data),
    }
}

fn journal_segment(data: &[u8]) {
    use schemabus::storage::journal_fuzzing::replay_segment;
    let (opened, dir) = open_segment(data);
    let segment = dir.join("0000000000000000.seg");
    if let Some(records) = &opened {
        let again =
            schemabus::storage::journal_fuzzing::open(&dir).expect("a journal that opened opens again");
        assert_eq!(&again, records, "reopening replays other records");
        let (_, _, clean) = replay_segment(&segment, 1 << 20).expect("replay");
        assert!(clean, "after opening, only zeros follow the whole frames");
    }
    std::fs::write(&segment, data).expect("write segment");
    let (full, whole, clean) = replay_segment(&segment, 1 << 20).expect("replay");
    for chunk in [8, 13, 64] {
        assert_eq!(
            replay_segment(&segment, chunk).expect("replay"),
            (full.clone(), whole, clean),
            "chunk {chunk}"
        );
    }
    if let Some(records) = &opened {
        assert_eq!(records, &full, "start-up replays other records than the whole frames");
    }
    let _ = std::fs::remove_dir_all(&dir);
    for cut in [data.len() / 2, data.len().saturating_sub(1), data.len() * 7 / 8] {
        if cut >= data.len() {
            continue;
        }
        let (prefix, dir) = open_segment(&data[..cut]);
        if let Some(prefix) = prefix {
            assert!(full.starts_with(&prefix), "cut at {cut}: {prefix:?} is not a prefix of {full:?}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

// ------------------------------------------------------------------------------------
// ccompat: a selector byte, then the rest.
// ------------------------------------------------------------------------------------

/// Confluent-compatible request parsing: subjects (a parsed subject parses back to itself
/// from its display form; the access check maps it to its registry), paging parameters
/// (a page is a contiguous run of the list), and request bodies under every media type
/// (answers are 400, 415 or 422, never a panic).
pub fn ccompat(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else { return };
    if rest.len() > MAX_INPUT {
        return;
    }
    let text = String::from_utf8_lossy(rest);
    let default = RegistryName::parse("default").expect("a valid name");
    match selector % 4 {
        0 => {
            let registry = registry_for(Some(&text), "default");
            if let Ok(subject) = Subject::parse(&text, &default) {
                let shown = subject.display();
                let again = Subject::parse(&shown, &default).expect("a displayed subject parses");
                assert_eq!(again, subject, "{text:?} → {shown:?}");
                if !text.contains('%') {
                    assert_eq!(
                        registry.as_deref(),
                        Some(subject.registry.as_str()),
                        "access check vs subject for {text:?}"
                    );
                }
            }
        }
        1 => {
            let (offset, limit) = text.split_once('&').unwrap_or((&text, ""));
            let items: Vec<u32> = (0..20).collect();
            let limit = (!limit.is_empty()).then_some(limit);
            if let Ok(got) = page(items.clone(), Some(offset), limit) {
                let contiguous = got.windows(2).all(|w| w[1] == w[0] + 1);
                assert!(contiguous && got.iter().all(|i| items.contains(i)), "page {got:?}");
            }
        }
        _ => {
            let (content_type, body) = match rest.iter().position(|b| *b == b'\n') {
                Some(at) if selector % 4 == 3 => {
                    (Some(String::from_utf8_lossy(&rest[..at]).into_owned()), &rest[at + 1..])
                }
                _ => (None, rest),
            };
            let ct = content_type.as_deref();
            let statuses = [
                parse_body::<SchemaRequest>(ct, body).err().map(|e| e.status),
                parse_body::<ConfigRequest>(ct, body).err().map(|e| e.status),
                parse_body::<ModeRequest>(ct, body).err().map(|e| e.status),
                parse_body::<Vec<Reference>>(ct, body).err().map(|e| e.status),
            ];
            for status in statuses.into_iter().flatten() {
                assert!(matches!(status, 400 | 415 | 422), "status {status}");
            }
        }
    }
}

// ------------------------------------------------------------------------------------
// sigv4: a request as JSON {method, path, query, headers: {name: value}, body}.

/// SigV4 (`schemabus::aws::sigv4`): an arbitrary request never panics the parser or the
/// verifier; the same request signed with the module's canonical form verifies, and
/// does not once its body, its secret or a signed header changes.
pub fn sigv4(data: &[u8]) {
    use schemabus::aws::sigv4::{self, Claim, Form, Request};
    const NOW: i64 = 1_700_000_000; // 2023-11-14T22:13:20Z
    const DATE: &str = "20231114T221320Z";
    let Some(Value::Object(o)) = json_input(data) else { return };
    let text = |k: &str| o.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    let (method, path, query, body) = (text("method"), text("path"), text("query"), text("body"));
    let headers: Vec<(String, String)> = o
        .get("headers")
        .and_then(Value::as_object)
        .map(|h| h.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
        .unwrap_or_default();
    let req =
        Request { method: &method, path: &path, query: &query, headers: &headers, body: body.as_bytes() };
    if let Ok(claim) = sigv4::parse(&req) {
        let _ = sigv4::verify(&req, &claim, "secret", NOW, "us-east-1", "events");
    }

    // Sign it as a client would (headers with visible ASCII names and values only, the
    // Authorization, date and host headers replaced) and verify the signature.
    let visible = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic());
    if method.is_empty() || !visible(&method) || !path.starts_with('/') {
        return;
    }
    let reserved = ["authorization", "x-amz-date", "host", "x-amz-content-sha256"];
    let mut signed: Vec<(String, String)> = headers
        .iter()
        .filter(|(k, v)| {
            // An HTTP header name is a token (RFC 9110): no separators such as `,` or `:`.
            !k.is_empty()
                && k.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
                && !reserved.contains(&k.to_ascii_lowercase().as_str())
                && v.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
        })
        .cloned()
        .collect();
    signed.push(("Host".into(), "127.0.0.1:4566".into()));
    signed.push(("X-Amz-Date".into(), DATE.into()));
    let mut names: Vec<String> = signed.iter().map(|(k, _)| k.to_ascii_lowercase()).collect();
    names.sort();
    names.dedup();
    let mut claim = Claim {
        access_key_id: "AKIDEXAMPLE".into(),
        scope_date: DATE[..8].into(),
        region: "us-east-1".into(),
        service: "events".into(),
        signed_headers: names.clone(),
        signature: String::new(),
        amz_date: DATE.into(),
        form: Form::Header,
    };
    let unsigned = Request { headers: &signed, ..req };
    let body_hash = hex_sha256(body.as_bytes());
    let key = sigv4::signing_key("secret", &claim.scope_date, &claim.region, &claim.service);
    let canonical = sigv4::canonical_request(&unsigned, &claim, &body_hash);
    claim.signature = sigv4::signature(&key, &sigv4::string_to_sign(&claim, &canonical));
    let mut sent = signed.clone();
    sent.push((
        "Authorization".into(),
        format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{}/us-east-1/events/aws4_request, SignedHeaders={}, Signature={}",
            claim.scope_date,
            names.join(";"),
            claim.signature
        ),
    ));
    let request = Request { headers: &sent, ..req };
    let parsed = match sigv4::parse(&request) {
        Ok(c) => c,
        Err(e) => panic!("a request signed as a client signs it does not parse: {e:?}\n{sent:?}"),
    };
    if let Err(e) = sigv4::verify(&request, &parsed, "secret", NOW, "us-east-1", "events") {
        panic!("a request signed as a client signs it does not verify: {e:?}\n{canonical}");
    }
    assert!(sigv4::verify(&request, &parsed, "other-secret", NOW, "us-east-1", "events").is_err());
    let changed_body = format!("{body}x");
    let tampered = Request { body: changed_body.as_bytes(), ..request };
    assert!(
        sigv4::verify(&tampered, &parsed, "secret", NOW, "us-east-1", "events").is_err(),
        "a changed body verifies"
    );
    let mut other_host = sent.clone();
    if let Some(h) = other_host.iter_mut().find(|(k, _)| k == "Host") {
        h.1 = "127.0.0.1:4567".into();
    }
    let moved = Request { headers: &other_host, ..request };
    assert!(
        sigv4::verify(&moved, &parsed, "secret", NOW, "us-east-1", "events").is_err(),
        "a changed host verifies"
    );
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

// ------------------------------------------------------------------------------------
// aws_wire: a selector byte, then the rest.
// ------------------------------------------------------------------------------------

/// The parsers of the AWS front ends past SigV4 (which has its own target): the Schemas
/// REST routing of a method and path (a path whose segments decode routes the same once
/// they are encoded again), SQS queue URLs and RedrivePolicy texts (what is read writes
/// back to the same), batch entry ids, the attribute digest (independent of order), and
/// the OpenAPI 3 event schema conversion (a converted schema compiles as draft 4 with no
/// reference left outside it (schemas the meta-schema refuses are the registry's to
/// refuse), and the layout it is turned back into converts again).
pub fn aws_wire(data: &[u8]) {
    use schemabus::aws::{Arns, sqs, sqs_md5};
    if data.len() > MAX_INPUT {
        return;
    }
    let Some((selector, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let arns = Arns { account: "123456789012".into(), region: "us-east-1".into() };
    match selector % 6 {
        0 => {
            let method = ["GET", "POST", "PUT", "DELETE", "PATCH"][usize::from(selector / 6) % 5];
            let op = schemabus::http::aws::schemas_fuzzing::route(method, text);
            if let Some(segments) = schemabus::http::aws::schemas_fuzzing::decode(text) {
                let encoded: Vec<String> =
                    segments.iter().map(|s| schemabus::aws::sigv4::uri_encode(s, false)).collect();
                let again = format!("/{}", encoded.join("/"));
                assert_eq!(
                    schemabus::http::aws::schemas_fuzzing::decode(&again).as_ref(),
                    Some(&segments),
                    "{text:?} → {again:?}"
                );
                assert_eq!(schemabus::http::aws::schemas_fuzzing::route(method, &again), op, "{text:?}");
            }
        }
        1 => {
            if let Ok(queue) = sqs::queue_of_url(text, &arns.account) {
                let url = sqs::queue_url("http", "127.0.0.1:4566", &arns.account, queue);
                assert_eq!(sqs::queue_of_url(&url, &arns.account), Ok(queue), "{text:?} → {url}");
            }
        }
        2 => {
            if let Ok(Some(r)) = sqs::parse_redrive(&arns, text) {
                let written = sqs::redrive_text(&arns, &r.queue, r.max_receive_count);
                assert_eq!(sqs::parse_redrive(&arns, &written), Ok(Some(r)), "{text:?} → {written}");
            }
        }
        3 => {
            let ids: Vec<&str> = text.split('\n').collect();
            let _ = sqs::check_batch(&ids);
        }
        4 => {
            let Ok(Value::Array(items)) = serde_json::from_str::<Value>(text) else { return };
            let triples: Vec<(&str, &str, sqs_md5::Value<'_>)> = items
                .iter()
                .filter_map(|i| {
                    let [n, t, v] = i.as_array()?.as_slice() else { return None };
                    let value = match v {
                        Value::String(s) => sqs_md5::Value::Text(s),
                        _ => sqs_md5::Value::Bytes(t.as_str()?.as_bytes()),
                    };
                    Some((n.as_str()?, t.as_str()?, value))
                })
                .collect();
            let mut reversed = triples.clone();
            reversed.reverse();
            let names: std::collections::BTreeSet<&str> = triples.iter().map(|t| t.0).collect();
            if names.len() == triples.len() {
                assert_eq!(sqs_md5::attributes(&triples), sqs_md5::attributes(&reversed), "{text}");
            }
            let _ = sqs_md5::body(rest);
        }
        _ => {
            let Ok(doc) = serde_json::from_str::<Value>(text) else { return };
            let Ok(schema) = schemabus::registry::openapi::to_json_schema(&doc) else { return };
            // An invalid schema inside the document (`"type": "numberlq"`) is the registry's
            // to refuse (422 `invalid_schema`) when it compiles the content; what the
            // conversion must never leave is a reference outside the converted document.
            if let Err(e) = jsonschema::options().with_draft(jsonschema::Draft::Draft4).build(&schema)
                && matches!(e.kind(), jsonschema::error::ValidationErrorKind::Referencing(_))
            {
                panic!("a converted OpenAPI event schema has a dangling reference: {e}\n{doc}\n→ {schema}");
            }
            let layout = schemabus::registry::openapi::from_json_schema(&schema, "fuzz", "Fuzz Event");
            if let Err(e) = schemabus::registry::openapi::to_json_schema(&layout) {
                panic!("the layout written from a converted schema does not convert: {e:?}\n{layout}");
            }
        }
    }
}
