//! The merge rules one by one, the envelope naming, the fixture corpus and the CLI function.

use std::path::PathBuf;

use schemabus::infer::{
    Catalog, DeriveOptions, Hints, InferenceState, derive_schema_with, event_type_name, merge_state,
    split_envelope,
};
use serde_json::{Value, json};

/// The merge rules as such: every always-present property required, every format asserted,
/// observed nulls only (the evidence threshold and null policy have their own tests).
fn exact() -> DeriveOptions {
    DeriveOptions::exact()
}

fn derive_schema(st: &InferenceState, h: &Hints) -> Value {
    derive_schema_with(st, h, &exact())
}

fn schema_of(docs: &[Value]) -> Value {
    let mut st = InferenceState::new();
    docs.iter().for_each(|d| st.add(d));
    derive_schema(&st, &Hints::default())
}

fn hints(map: &[&str], enums: &[&str], closed: &[&str]) -> Hints {
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    Hints { map: set(map), enums: set(enums), closed: set(closed), ..Hints::default() }
}

fn valid(schema: &Value, doc: &Value) -> bool {
    jsonschema::options().should_validate_formats(true).build(schema).expect("compiles").is_valid(doc)
}

#[test]
fn required_is_the_intersection_and_objects_stay_open() {
    let s = schema_of(&[json!({"a": 1, "b": "x"}), json!({"a": 2, "c": null})]);
    assert_eq!(s["required"], json!(["a"]));
    assert_eq!(s["type"], json!("object"));
    assert!(s.get("additionalProperties").is_none());
    assert!(valid(&s, &json!({"a": 3, "zzz": [1]})), "objects are open");
    assert!(!valid(&s, &json!({"b": "x"})), "a is required");
}

#[test]
fn null_only_is_unconstrained_and_nullable_is_separate_from_optional() {
    let s = schema_of(&[json!({"n": null, "m": "x"}), json!({"n": null, "m": null})]);
    assert_eq!(s["properties"]["n"], json!({"x-schemabus-null-only": true}));
    assert_eq!(s["properties"]["m"]["type"], json!(["null", "string"]));
    assert_eq!(s["required"], json!(["m", "n"]), "present-with-null counts as present");
}

#[test]
fn numbers_widen_and_remember_integrality_and_range() {
    let s = schema_of(&[json!({"i": 3, "f": 1}), json!({"i": -7, "f": 2.5}), json!({"i": 10.0, "f": 9})]);
    assert_eq!(s["properties"]["i"]["type"], json!("number"));
    assert_eq!(s["properties"]["i"]["x-schemabus-integer"], json!(true));
    assert_eq!(s["properties"]["i"]["x-schemabus-range"], json!([-7, 10.0]), "the largest value, as written");
    assert_eq!(s["properties"]["f"]["x-schemabus-integer"], json!(false));
    assert_eq!(s["properties"]["f"]["x-schemabus-range"], json!([1, 9]));
}

#[test]
fn formats_survive_only_while_every_value_matches() {
    let s = schema_of(&[
        json!({"t": "2026-01-01T00:00:00Z", "d": "2026-01-01", "u": "0f8fad5b-d9cb-469f-a165-70867728950e", "e": "a@b.io", "x": "2026-01-01"}),
        json!({"t": "2026-01-02T00:00:00+01:00", "d": null, "u": "7C9E6679-7425-40DE-944B-E07FC1F90AE7", "e": "c@d.io", "x": "soon"}),
    ]);
    let p = &s["properties"];
    assert_eq!(p["t"]["format"], json!("date-time"));
    assert_eq!(p["d"]["format"], json!("date"), "nulls do not break a format");
    assert_eq!(p["u"]["format"], json!("uuid"));
    assert_eq!(p["e"]["format"], json!("email"));
    assert!(p["x"].get("format").is_none());
}

#[test]
fn arrays_merge_object_elements_and_mix_types() {
    let s = schema_of(&[
        json!({"lines": [{"sku": "a", "qty": 1}, {"sku": "b"}], "mixed": [1, "x", null], "odd": [{"k": 1}, 2]}),
    ]);
    let lines = &s["properties"]["lines"];
    assert_eq!(lines["type"], json!("array"));
    assert_eq!(lines["items"]["required"], json!(["sku"]));
    assert_eq!(s["properties"]["mixed"]["items"]["type"], json!(["null", "number", "string"]));
    let any = s["properties"]["odd"]["items"]["anyOf"].as_array().expect("anyOf");
    assert_eq!(any[0]["type"], json!("object"));
    assert_eq!(any[1]["type"], json!("number"));
    assert!(valid(&s, &json!({"lines": [], "mixed": [], "odd": [{"k": 2}, 3]})));
    assert!(!valid(&s, &json!({"lines": [{"qty": 1}], "mixed": [], "odd": []})));
}

#[test]
fn maps_are_detected_by_key_shape_and_uniform_values() {
    let s = schema_of(&[json!({"byDay": {"2026-01-01": 3, "2026-01-02": 4}, "rec": {"a": 1, "b": 2}})]);
    let by_day = &s["properties"]["byDay"];
    assert_eq!(by_day["x-schemabus-map"], json!("id-keys"));
    assert_eq!(by_day["additionalProperties"]["type"], json!("number"));
    assert!(s["properties"]["rec"].get("properties").is_some(), "name-like keys stay a record");
    // Mixed value types: not a map even with id-like keys.
    let s = schema_of(&[json!({"m": {"1": 1, "2": "two"}})]);
    assert!(s["properties"]["m"].get("properties").is_some());
    // Many sparse keys with one value type.
    let docs: Vec<Value> = (0..30)
        .map(|i| json!({"counters": {format!("k{i}"): i, format!("k{}", i + 1): 1, "total": 2}}))
        .collect();
    assert_eq!(schema_of(&docs)["properties"]["counters"]["x-schemabus-map"], json!("varying-keys"));
    // Keys that change between two samples (label -> count)...
    let s = schema_of(&[
        json!({"labels": {"bug": 2, "ui": 1, "p1": 1}}),
        json!({"labels": {"docs": 1, "p2": 3, "bug": 1}}),
    ]);
    assert_eq!(s["properties"]["labels"]["x-schemabus-map"], json!("varying-keys"));
    assert!(valid(&s, &json!({"labels": {"security": 4}})));
    assert!(!valid(&s, &json!({"labels": {"security": "high"}})), "map values keep their type");
    // ...but a record with an optional field or two stays a record, as does one sample's array
    // of differently shaped elements.
    let s = schema_of(&[json!({"u": {"a": 1, "b": 2, "c": 3}}), json!({"u": {"a": 1, "b": 2, "d": 3}})]);
    assert!(s["properties"]["u"].get("properties").is_some(), "{s}");
    let s = schema_of(&[json!({"parts": [{"text": "a"}, {"url": "b"}, {"image": "c"}]})]);
    assert!(s["properties"]["parts"]["items"].get("properties").is_some(), "{s}");
    // Free-text keys: a permission name -> access level, from one sample.
    let s = schema_of(&[json!({"permissions": {"repo:read": "granted", "org:admin": "denied"}})]);
    assert_eq!(s["properties"]["permissions"]["x-schemabus-map"], json!("text-keys"));
}

#[test]
fn very_wide_objects_collapse_to_maps_in_the_state() {
    let mut st = InferenceState::new();
    for i in 0..600 {
        st.add(&json!({"ids": {format!("user-{i}"): {"score": i}}}));
    }
    let s = derive_schema(&st, &Hints::default());
    assert_eq!(s["properties"]["ids"]["x-schemabus-map"], json!("collapsed"));
    assert_eq!(s["properties"]["ids"]["additionalProperties"]["required"], json!(["score"]));
    let text = serde_json::to_string(&st).expect("serialises");
    assert!(text.len() < 4000, "collapsed state stays small: {} bytes", text.len());
}

#[test]
fn hints_override_heuristics() {
    let mut st = InferenceState::new();
    st.add(&json!({"levels": {"SKU-1": 1, "SKU-2": 2}, "status": "open", "byDay": {"2026-01-01": 1, "2026-01-02": 2}}));
    st.add(&json!({"levels": {"SKU-1": 1, "SKU-2": 5}, "status": "closed", "byDay": {"2026-01-03": 1, "2026-01-04": 2}}));
    let plain = derive_schema(&st, &Hints::default());
    assert!(plain["properties"]["levels"].get("properties").is_some());
    assert!(plain["properties"]["status"].get("enum").is_none());

    let mut h = hints(&["/levels"], &["/status"], &[""]);
    h.record.insert("/byDay".into());
    let s = derive_schema(&st, &h);
    assert_eq!(s["properties"]["levels"]["x-schemabus-map"], json!("hint"));
    assert_eq!(s["properties"]["status"]["enum"], json!(["closed", "open"]));
    assert_eq!(s["additionalProperties"], json!(false));
    assert!(s["properties"]["byDay"].get("properties").is_some(), "record hint beats id-keys");
    assert!(!valid(&s, &json!({"levels": {}, "status": "open", "byDay": {}, "extra": 1})));
    let back: Hints = serde_json::from_value(serde_json::to_value(&h).expect("ser")).expect("de");
    assert_eq!(back, h);
}

#[test]
fn enum_candidates_count_distinct_documents_only() {
    let mut repeated = InferenceState::new();
    for _ in 0..50 {
        repeated.add(&json!({"status": "open", "n": 1}));
    }
    let s = derive_schema(&repeated, &Hints::default());
    assert!(s["properties"]["status"].get("x-enum-candidates").is_none(), "one document repeated 50 times");

    let mut varied = InferenceState::new();
    for i in 0..12 {
        varied.add(&json!({"status": if i % 2 == 0 { "open" } else { "closed" }, "n": i}));
    }
    let s = derive_schema(&varied, &Hints::default());
    assert_eq!(s["properties"]["status"]["x-enum-candidates"], json!(["closed", "open"]));
    assert!(s["properties"]["status"].get("enum").is_none(), "candidates are annotations only");
}

#[test]
fn output_is_canonical_bytes() {
    let a = schema_of(&[json!({"b": 1, "a": {"y": 1, "x": 2}})]);
    let b = schema_of(&[json!({"a": {"x": 2, "y": 1}, "b": 1})]);
    assert_eq!(serde_json::to_string(&a).expect("ser"), serde_json::to_string(&b).expect("ser"));
    let text = serde_json::to_string(&a).expect("ser");
    assert!(
        text.starts_with(r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"a""#),
        "{text}"
    );
}

#[test]
fn stats_annotations_are_opt_in() {
    let mut st = InferenceState::new();
    st.add(&json!({"a": 1}));
    st.add(&json!({"a": null, "b": true}));
    let s = derive_schema_with(
        &st,
        &Hints::default(),
        &DeriveOptions { stats: true, title: Some("T".into()), ..exact() },
    );
    assert_eq!(s["title"], json!("T"));
    assert_eq!(s["x-schemabus-stats"], json!({"seen": 2, "object": 2}));
    assert_eq!(s["properties"]["a"]["x-schemabus-stats"], json!({"seen": 2, "null": 1, "integer": 1}));
    assert_eq!(s["properties"]["b"]["x-schemabus-stats"], json!({"seen": 1, "boolean": 1}));
}

#[test]
fn merge_state_refines_a_persisted_state() {
    let mut a = InferenceState::new();
    a.add(&json!({"id": 1, "tag": "x"}));
    let stored: InferenceState = serde_json::from_str(&serde_json::to_string(&a).expect("ser")).expect("de");
    let mut b = InferenceState::new();
    b.add(&json!({"id": 2}));
    let merged = merge_state(&stored, &b);
    assert_eq!(merged.samples(), 2);
    assert_eq!(derive_schema(&merged, &Hints::default())["required"], json!(["id"]));
}

#[test]
fn envelope_names_follow_eventbridge_discovery() {
    assert_eq!(event_type_name("orders", "Order Placed"), "orders@OrderPlaced");
    assert_eq!(
        event_type_name("aws.ec2", "EC2 Instance State-change Notification"),
        "aws.ec2@EC2InstanceStateChangeNotification"
    );
    assert_eq!(event_type_name("inventory", "stock-level_changed"), "inventory@StockLevelChanged");
    assert_eq!(event_type_name("x", "a.b  c"), "x@ABC");
    assert_eq!(
        event_type_name("aws.partner/mongodb.com/1234567/tickets", "Ticket Created"),
        "aws.partner/mongodb.com/1234567/tickets@TicketCreated"
    );
    let env = json!({"source": "orders", "detail-type": "Order Placed", "detail": {"id": 1}});
    let e = split_envelope(&env).expect("envelope");
    assert_eq!(e.type_name, "orders@OrderPlaced");
    assert_eq!(e.detail, &json!({"id": 1}));
    assert!(split_envelope(&json!({"source": "orders", "detail": {}})).is_none());
    let mut c = Catalog::new();
    c.add(&env, true);
    c.add(&json!({"bare": 1}), true);
    assert_eq!(c.types["orders@OrderPlaced"].samples(), 1);
    assert_eq!(c.untyped.samples(), 1);
}

fn fixture_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/inference");
    let dir = if dir.exists() { dir } else { PathBuf::from("/work/main/tests/fixtures/inference") };
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).expect("fixture dir").map(|e| e.expect("entry").path()).collect();
    files.sort();
    files
}

fn fixture_docs() -> Vec<Value> {
    let mut out = Vec::new();
    for f in fixture_files() {
        let text = std::fs::read_to_string(&f).expect("read fixture");
        for d in serde_json::Deserializer::from_str(&text).into_iter::<Value>() {
            // A top-level array is a list of documents, as the CLI reads it.
            let d = d.expect("fixture parses");
            if let Value::Array(a) = d { out.extend(a) } else { out.push(d) }
        }
    }
    out
}

#[test]
fn cli_groups_fixtures_by_type_and_every_fixture_validates() {
    let files = fixture_files();
    for detail_only in [true, false] {
        let report = schemabus::cli::infer::run(&files, detail_only, false, &exact()).expect("run");
        let docs = fixture_docs();
        assert_eq!(report["documents"], json!(docs.len()));
        let types = report["types"].as_object().expect("types");
        assert_eq!(
            types.keys().collect::<Vec<_>>(),
            vec!["inventory@StockLevelChanged", "orders@OrderCancelled", "orders@OrderPlaced"]
        );
        assert_eq!(report["untyped"]["samples"], json!(1));
        for d in &docs {
            let (schema, sample) = match split_envelope(d) {
                Some(e) => (&types[&e.type_name]["schema"], if detail_only { e.detail } else { d }),
                None => (&report["untyped"]["schema"], d),
            };
            assert!(valid(schema, sample), "{sample} against {schema}");
        }
        let placed = &types["orders@OrderPlaced"]["schema"];
        assert_eq!(placed["title"], json!("orders@OrderPlaced"));
        if detail_only {
            assert_eq!(placed["properties"]["placedAt"]["format"], json!("date-time"));
            assert_eq!(placed["properties"]["coupon"]["type"], json!(["null", "string"]));
            assert!(!placed["required"].as_array().expect("req").contains(&json!("giftNote")));
            let inv = &types["inventory@StockLevelChanged"]["schema"];
            assert_eq!(inv["properties"]["byDay"]["x-schemabus-map"], json!("id-keys"));
            assert_eq!(
                inv["properties"]["levels"]["x-schemabus-map"],
                json!("id-keys"),
                "SKU-0001 style keys"
            );
            assert_eq!(
                inv["properties"]["levels"]["additionalProperties"]["required"],
                json!(["onHand", "reserved"])
            );
            assert_eq!(inv["properties"]["operator"], json!({"x-schemabus-null-only": true}));
        } else {
            assert_eq!(
                placed["properties"]["detail"]["properties"]["total"]["x-schemabus-integer"],
                json!(false)
            );
        }
    }
}

#[test]
fn cli_reads_arrays_ndjson_and_reports_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let nd = dir.path().join("a.ndjson");
    std::fs::write(&nd, "{\"a\":1}\n{\"a\":2}\n\n").expect("write");
    let arr = dir.path().join("b.json");
    std::fs::write(&arr, " [ {\"a\":3}, {\"b\":true} ] ").expect("write");
    let empty = dir.path().join("c.json");
    std::fs::write(&empty, "  \n").expect("write");
    let r = schemabus::cli::infer::run(&[nd, arr.clone(), empty], false, true, &exact()).expect("run");
    assert_eq!(r["documents"], json!(4));
    assert_eq!(r["untyped"]["samples"], json!(4));
    assert!(r["untyped"]["schema"].get("required").is_none());
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"a\":").expect("write");
    let err =
        schemabus::cli::infer::run(&[arr, bad], false, false, &exact()).expect_err("truncated input fails");
    assert!(err.contains("bad.json"), "{err}");
    let missing = schemabus::cli::infer::run(&[dir.path().join("nope.json")], false, false, &exact());
    assert!(missing.is_err());
}

#[test]
fn null_policy_all_makes_objects_nullable_but_never_the_root_or_array_elements() {
    let mut st = InferenceState::new();
    st.add(&json!({"owner": {"login": "a"}, "tags": ["x"]}));
    let opts = DeriveOptions { nulls: schemabus::infer::NullPolicy::All, ..DeriveOptions::default() };
    let s = derive_schema_with(&st, &Hints::default(), &opts);
    assert_eq!(s["type"], "object");
    assert_eq!(s["properties"]["owner"]["type"], json!(["null", "object"]));
    assert_eq!(s["properties"]["owner"]["properties"]["login"]["type"], json!(["null", "string"]));
    assert_eq!(s["properties"]["tags"]["type"], json!(["array", "null"]));
    assert_eq!(s["properties"]["tags"]["items"]["type"], "string");
    let scalars = DeriveOptions { nulls: schemabus::infer::NullPolicy::Scalars, ..DeriveOptions::default() };
    let s = derive_schema_with(&st, &Hints::default(), &scalars);
    assert_eq!(s["properties"]["owner"]["type"], "object");
    assert_eq!(s["properties"]["owner"]["properties"]["login"]["type"], json!(["null", "string"]));
}

#[test]
fn a_closed_enum_accepts_null_when_its_property_does() {
    let mut st = InferenceState::new();
    st.add(&json!({"status": "open", "kind": "a"}));
    st.add(&json!({"status": "closed", "kind": null}));
    let h = hints(&[], &["/status", "/kind"], &[]);
    let observed = derive_schema_with(&st, &h, &exact());
    assert_eq!(observed["properties"]["status"]["enum"], json!(["closed", "open"]));
    assert_eq!(observed["properties"]["kind"]["enum"], json!(["a", null]));
    let scalars = DeriveOptions { nulls: schemabus::infer::NullPolicy::Scalars, ..exact() };
    let s = derive_schema_with(&st, &h, &scalars);
    assert_eq!(s["properties"]["status"]["enum"], json!(["closed", "open", null]));
    assert_eq!(s["properties"]["kind"]["enum"], json!(["a", null]));
}

#[test]
fn the_defaults_need_four_distinct_samples_for_required_and_format_and_accept_unseen_nulls() {
    // A format needs four documents that held a *string* there: nulls are no evidence.
    let mut st = InferenceState::new();
    for i in 0..4 {
        st.add(&json!({"at": if i == 0 { json!("2026-01-01T00:00:00Z") } else { json!(null) }, "i": i}));
    }
    let s = derive_schema_with(&st, &Hints::default(), &DeriveOptions::default());
    assert!(s["properties"]["at"].get("format").is_none(), "{s}");
    assert_eq!(s["properties"]["at"]["x-schemabus-format"]["present"], 1);

    let doc =
        |i: u32| json!({"id": format!("0f8fad5b-d9cb-469f-a165-70867728950{i}"), "owner": {"login": "a"}});
    let mut st = InferenceState::new();
    for i in 0..3 {
        st.add(&doc(i));
        st.add(&doc(i)); // a repeat is no new evidence
    }
    let s = derive_schema_with(&st, &Hints::default(), &DeriveOptions::default());
    assert!(s.get("required").is_none(), "{s}");
    assert_eq!(
        s["properties"]["id"]["x-schemabus-optional"],
        json!({"reason": "evidence", "present": 3, "needed": 4})
    );
    assert_eq!(
        s["properties"]["id"]["x-schemabus-format"],
        json!({"candidate": "uuid", "reason": "evidence", "present": 3, "needed": 4})
    );
    assert!(s["properties"]["id"].get("format").is_none());
    assert_eq!(s["properties"]["owner"]["type"], json!(["null", "object"]));
    assert_eq!(s["properties"]["owner"]["x-schemabus-nullable"], json!("all"));
    assert!(valid(&s, &json!({"owner": null, "id": "not-a-uuid-yet"})));
    assert!(!valid(&s, &json!({"owner": {"login": 7}})), "a number where strings were seen is refused");

    st.add(&doc(3));
    let s = derive_schema_with(&st, &Hints::default(), &DeriveOptions::default());
    assert_eq!(s["required"], json!(["id", "owner"]));
    assert_eq!(s["properties"]["id"]["format"], json!("uuid"));
    assert!(s["properties"]["id"].get("x-schemabus-optional").is_none());
    assert!(!valid(&s, &json!({"owner": null, "id": "not-a-uuid"})));
}

#[test]
fn states_persisted_before_evidence_counting_keep_their_required_fields() {
    // A node without `docs`, as stored before issue 24: its value counts stand in for
    // distinct documents, so a long-observed field stays required.
    let legacy = json!({"format": 1, "root": {"seen": 20, "nulls": 0, "objects": 20,
        "properties": {"id": {"seen": 20, "nulls": 0, "strings": 20, "formats": 0}}}});
    let mut st: InferenceState = serde_json::from_value(legacy).expect("old state reads");
    assert_eq!(st.format, schemabus::infer::STATE_FORMAT);
    let s = derive_schema_with(&st, &Hints::default(), &DeriveOptions::default());
    assert_eq!(s["required"], json!(["id"]), "{s}");
    st.add(&json!({"id": "x"}));
    let s = derive_schema_with(&st, &Hints::default(), &DeriveOptions::default());
    assert_eq!(s["required"], json!(["id"]), "the first new sample does not undo it: {s}");
    // Below the threshold, a new sample adds to the old counts' floor, never less.
    let few = json!({"format": 1, "root": {"seen": 3, "nulls": 0, "objects": 3,
        "properties": {"note": {"seen": 3, "nulls": 0, "strings": 3, "formats": 0}}}});
    let mut few: InferenceState = serde_json::from_value(few).expect("old state reads");
    few.add(&json!({"note": "y"}));
    let s = derive_schema_with(&few, &Hints::default(), &DeriveOptions::default());
    assert_eq!(s["properties"]["note"]["x-schemabus-optional"]["present"], 3, "{s}");
    let back: InferenceState = serde_json::from_str(&serde_json::to_string(&st).unwrap()).unwrap();
    assert_eq!(back, st, "an upgraded state round-trips");
    // Past the cap the set becomes a flag: the stored state stays small.
    let mut st = InferenceState::new();
    for i in 0..40 {
        st.add(&json!({"id": i}));
    }
    let text = serde_json::to_string(&st).expect("serialises");
    assert!(text.contains("\"docs\":true") && !text.contains("\"docs\":["), "{text}");
}
