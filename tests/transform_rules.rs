//! Every input-transformation rule (docs/DELIVERY.md#input-transformation), as a fixture
//! table: options, event, expected output (or the refused field).
#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use schemabus::model::InputTransformer;
use schemabus::transform::{Payload, RuleContext, Transformation};
use serde_json::{Value, json};

fn event() -> Value {
    json!({
        "version": "0", "id": "e-1", "detail-type": "Order Placed", "source": "orders",
        "account": "000000000000", "time": "2024-01-02T03:04:05Z", "region": "local",
        "resources": ["arn:1", "arn:2"],
        "detail": {"id": "o-1", "total": 42.5, "tags": ["a", "b"], "customer": {"name": "Ann \"A\""}, "ok": true, "none": null}
    })
}

const RULE: RuleContext<'static> = RuleContext {
    rule_name: "big-orders",
    rule_arn: "arn:aws:events:local:000000000000:rule/shop/big-orders",
    ingestion_time: "2024-01-02T03:04:06.123Z",
};

fn transformer(paths: Value, template: &str) -> InputTransformer {
    InputTransformer {
        input_paths_map: serde_json::from_value(paths).unwrap(),
        input_template: template.to_owned(),
    }
}

fn run(t: &Transformation) -> Payload {
    let e = event();
    t.apply(&e, e.to_string().as_bytes(), &RULE)
}

fn json_of(p: Payload) -> Value {
    match p {
        Payload::Json(bytes) => serde_json::from_slice(&bytes).unwrap(),
        Payload::Text(t) => panic!("expected JSON, got text {t:?}"),
    }
}

/// (case, paths, template, expected JSON output)
fn json_cases() -> Vec<(&'static str, Value, &'static str, Value)> {
    let paths = json!({"id": "$.detail.id", "total": "$.detail.total", "tags": "$.detail.tags",
        "customer": "$.detail.customer", "name": "$.detail.customer.name", "ok": "$.detail.ok",
        "first": "$.resources[0]", "missing": "$.detail.nope", "none": "$.detail.none", "type": "$.detail-type"});
    vec![
        ("unquoted string gets quotes", paths.clone(), r#"{"order": <id>}"#, json!({"order": "o-1"})),
        ("unquoted number as JSON", paths.clone(), r#"{"t": <total>}"#, json!({"t": 42.5})),
        (
            "unquoted array and object as JSON",
            paths.clone(),
            r#"{"tags": <tags>, "c": <customer>}"#,
            json!({"tags": ["a", "b"], "c": {"name": "Ann \"A\""}}),
        ),
        ("unquoted boolean", paths.clone(), r#"{"ok": <ok>}"#, json!({"ok": true})),
        ("index path", paths.clone(), r#"{"r": <first>}"#, json!({"r": "arn:1"})),
        ("name with a dash", paths.clone(), r#"{"t": <type>}"#, json!({"t": "Order Placed"})),
        (
            "inside a string: raw text spliced",
            paths.clone(),
            r#"{"msg": "order <id> of <total>"}"#,
            json!({"msg": "order o-1 of 42.5"}),
        ),
        (
            "inside a string: quotes escaped so the output stays JSON",
            paths.clone(),
            r#"{"msg": "by <name>"}"#,
            json!({"msg": "by Ann \"A\""}),
        ),
        (
            "inside a string: arrays as JSON text",
            paths.clone(),
            r#"{"msg": "tags <tags>"}"#,
            json!({"msg": "tags [\"a\",\"b\"]"}),
        ),
        ("missing path unquoted gives null", paths.clone(), r#"{"m": <missing>}"#, json!({"m": null})),
        (
            "missing path in a string gives nothing",
            paths.clone(),
            r#"{"m": "[<missing>]"}"#,
            json!({"m": "[]"}),
        ),
        ("null value unquoted", paths.clone(), r#"{"n": <none>}"#, json!({"n": null})),
        ("array template", paths.clone(), r#"[<id>, <total>]"#, json!(["o-1", 42.5])),
        (
            "quoted-string template is a JSON string",
            paths.clone(),
            r#""order <id> placed""#,
            json!("order o-1 placed"),
        ),
        (
            "unknown <tag> kept as written",
            paths.clone(),
            r#"{"html": "<b><id></b>"}"#,
            json!({"html": "<b>o-1</b>"}),
        ),
        (
            "reserved rule name and arn",
            json!({}),
            r#"{"rule": <aws.events.rule-name>, "arn": "<aws.events.rule-arn>"}"#,
            json!({"rule": "big-orders", "arn": "arn:aws:events:local:000000000000:rule/shop/big-orders"}),
        ),
        (
            "reserved ingestion time",
            json!({}),
            r#"{"at": <aws.events.event.ingestion-time>}"#,
            json!({"at": "2024-01-02T03:04:06.123Z"}),
        ),
        ("reserved event without detail", json!({}), r#"{"e": <aws.events.event>}"#, {
            let mut e = event();
            e.as_object_mut().unwrap().remove("detail");
            json!({"e": e})
        }),
        ("reserved whole event", json!({}), r#"{"e": <aws.events.event.json>}"#, json!({"e": event()})),
    ]
}

#[test]
fn json_templates_follow_eventbridge_quoting() {
    for (case, paths, template, expected) in json_cases() {
        let t = Transformation::compile(None, None, Some(&transformer(paths, template)))
            .unwrap_or_else(|e| panic!("{case}: refused: {e:?}"));
        assert_eq!(json_of(run(&t)), expected, "{case}");
    }
}

#[test]
fn text_templates_give_plain_text() {
    let t = Transformation::compile(
        None,
        None,
        Some(&transformer(
            json!({"id": "$.detail.id", "tags": "$.detail.tags", "missing": "$.x"}),
            "order <id> has tags <tags><missing> (rule <aws.events.rule-name>)",
        )),
    )
    .unwrap();
    assert_eq!(run(&t), Payload::Text("order o-1 has tags [\"a\",\"b\"] (rule big-orders)".into()));
    // In a queue message the text is a JSON string.
    assert_eq!(
        run(&t).into_json_bytes(),
        br#""order o-1 has tags [\"a\",\"b\"] (rule big-orders)""#.to_vec()
    );
}

#[test]
fn input_and_input_path() {
    let constant = Transformation::compile(Some(&json!({"fixed": [1, 2]})), None, None).unwrap();
    assert_eq!(json_of(run(&constant)), json!({"fixed": [1, 2]}));
    for (path, expected) in [
        ("$", event()),
        ("$.detail", event()["detail"].clone()),
        ("$.detail.customer.name", json!("Ann \"A\"")),
        ("$.detail.tags[1]", json!("b")),
        ("$.resources[5]", Value::Null),
        ("$.nothing.here", Value::Null),
    ] {
        let t = Transformation::compile(None, Some(path), None).unwrap();
        assert_eq!(json_of(run(&t)), expected, "{path}");
    }
    let whole = Transformation::compile(None, None, None).unwrap();
    assert!(whole.is_whole());
    assert_eq!(json_of(run(&whole)), event());
}

/// (case, input, inputPath, transformer, expected pointer)
type Refusal = (&'static str, Option<Value>, Option<&'static str>, Option<InputTransformer>, &'static str);

#[test]
fn invalid_options_are_refused_with_a_pointer() {
    let big = Value::String("x".repeat(9000));
    let many: serde_json::Map<String, Value> = (0..101).map(|i| (format!("p{i}"), json!("$.a"))).collect();
    let cases: Vec<Refusal> = vec![
        ("two options", Some(json!(1)), Some("$.a"), None, "/inputPath"),
        (
            "three options",
            Some(json!(1)),
            Some("$.a"),
            Some(transformer(json!({}), "x")),
            "/inputTransformer",
        ),
        ("input too large", Some(big), None, None, "/input"),
        ("path without $", None, Some("detail.a"), None, "/inputPath"),
        ("path with a filter", None, Some("$.a[?(@.b)]"), None, "/inputPath"),
        ("path with an empty name", None, Some("$..a"), None, "/inputPath"),
        (
            "too many paths",
            None,
            None,
            Some(transformer(Value::Object(many), "x")),
            "/inputTransformer/inputPathsMap",
        ),
        (
            "reserved name",
            None,
            None,
            Some(transformer(json!({"aws.x": "$.a"}), "<aws.x>")),
            "/inputTransformer/inputPathsMap/aws.x",
        ),
        (
            "AWS. prefix",
            None,
            None,
            Some(transformer(json!({"AWS.foo": "$.a"}), "x")),
            "/inputTransformer/inputPathsMap/AWS.foo",
        ),
        (
            "bad path in map",
            None,
            None,
            Some(transformer(json!({"a": "$a"}), "<a>")),
            "/inputTransformer/inputPathsMap/a",
        ),
        (
            "placeholder as a key",
            None,
            None,
            Some(transformer(json!({"k": "$.a"}), "{<k>: 1}")),
            "/inputTransformer/inputTemplate",
        ),
        (
            "not JSON",
            None,
            None,
            Some(transformer(json!({"k": "$.a"}), "{\"a\": <k>")),
            "/inputTransformer/inputTemplate",
        ),
        (
            "event variable in a string",
            None,
            None,
            Some(transformer(json!({}), "{\"a\": \"<aws.events.event>\"}")),
            "/inputTransformer/inputTemplate",
        ),
        (
            "event variable in text",
            None,
            None,
            Some(transformer(json!({}), "event <aws.events.event.json>")),
            "/inputTransformer/inputTemplate",
        ),
        ("empty template", None, None, Some(transformer(json!({}), "")), "/inputTransformer/inputTemplate"),
    ];
    for (case, input, path, t, pointer) in cases {
        let err = Transformation::compile(input.as_ref(), path, t.as_ref()).expect_err(case);
        assert_eq!(err.pointer, pointer, "{case}: {}", err.message);
    }
}
