//! Contracts as code against a real service: `plan`, `apply`, `--prune` and `pull` run as
//! the binary would in a CI job, on a copy of the example project.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::helpers::ServiceProcess;

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_schemabus"));
    cmd.args(args)
        .arg(dir)
        .env_remove("SCHEMABUS_KEY")
        .env_remove("CRM_TOKEN")
        .env_remove("CRM_SIGNING_SECRET");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("binary runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

const SECRETS: &[(&str, &str)] =
    &[("CRM_TOKEN", "token-1"), ("CRM_SIGNING_SECRET", "a-signing-secret-of-enough-length")];

fn copy_example(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop");
    for entry in [
        "schemabus.yaml",
        "schemas/shop/money.json",
        "schemas/shop/order-placed.json",
        "schemas/shop/order-shipped.yaml",
    ] {
        let target = to.join(entry);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(from.join(entry), target).unwrap();
    }
}

fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no {from:?}");
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// A running service, and a project directory holding `yaml` as its `schemabus.yaml`.
fn with_project(yaml: &str) -> (tempfile::TempDir, ServiceProcess, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let service = ServiceProcess::start(&tmp.path().join("data"));
    let project = tmp.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join("schemabus.yaml"), yaml).unwrap();
    (tmp, service, project)
}

fn get(base: &str, path: &str) -> (u16, Value) {
    let r = reqwest::blocking::get(format!("{base}{path}")).unwrap();
    (r.status().as_u16(), r.json().unwrap_or(Value::Null))
}

#[test]
fn plan_apply_prune_and_pull_keep_a_service_in_step_with_the_project() {
    let tmp = tempfile::tempdir().unwrap();
    let service = ServiceProcess::start(&tmp.path().join("data"));
    let url = service.base.clone();
    let project = tmp.path().join("project");
    copy_example(&project);

    // An empty service: everything is to be created.
    let (code, out) = run(&project, &["plan", "--url", &url], &[]);
    assert_eq!(code, 0, "{out}");
    for line in [
        "+ create registry shop",
        "+ create version shop/common@Money 1 (BACKWARD)",
        "+ create version shop/orders@OrderShipped 1 (FULL)",
        "+ create queue billing-dlq",
        "+ create bus orders",
        "+ create rule orders/to-billing",
        "+ create archive orders/everything",
    ] {
        assert!(out.contains(line), "{line:?} missing from the plan:\n{out}");
    }
    assert!(
        out.find("+ create queue billing-dlq") < out.find("+ create queue billing\n"),
        "dead-letter queue first:\n{out}"
    );

    // A credential missing from the environment: nothing is applied.
    let (code, out) = run(&project, &["apply", "--url", &url], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("set the environment variable(s) CRM_SIGNING_SECRET, CRM_TOKEN for the webhook credentials. Nothing applied."), "{out}");
    assert_eq!(get(&url, "/v1/registries/shop").0, 404);

    let (code, out) = run(&project, &["apply", "--url", &url], SECRETS);
    assert_eq!(code, 0, "{out}");
    let (_, order) = get(&url, "/v1/registries/shop/schemas/orders@OrderPlaced/versions/1");
    assert_eq!(
        order["content"]["properties"]["total"]["$ref"],
        "https://schemabus.invalid/registries/shop/schemas/common@Money/versions/1",
        "the file reference became the stored version: {order}"
    );
    let (_, queue) = get(&url, "/v1/queues/billing");
    assert_eq!(queue["visibilityTimeoutSeconds"], 60);
    assert_eq!(queue["deadLetterQueue"], "billing-dlq");
    let (_, discovery) = get(&url, "/v1/buses/orders/discovery");
    assert_eq!(discovery["enabled"], true);

    // A second apply changes nothing.
    let (code, out) = run(&project, &["plan", "--url", &url], &[]);
    assert_eq!((code, out.trim()), (0, "No changes: the service matches the project."), "{out}");

    // A changed rule and a new version of a referenced schema: the referencing schema
    // gets a new version pointing at it, in dependency order.
    edit(
        &project,
        "schemas/shop/money.json",
        r#""required": ["amount", "currency"]"#,
        r#""required": ["amount"]"#,
    );
    edit(
        &project,
        "schemabus.yaml",
        "detail-type: [Order Placed]\n        targets:\n          - type: queue",
        "detail-type: [Order Placed, Order Amended]\n        targets:\n          - type: queue",
    );
    let (code, out) = run(&project, &["plan", "--url", &url], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("~ change version shop/common@Money 2"), "{out}");
    assert!(out.contains("~ change version shop/orders@OrderPlaced 2"), "{out}");
    assert!(out.contains("~ change rule orders/to-billing (pattern)"), "{out}");
    assert!(out.find("common@Money 2") < out.find("orders@OrderPlaced 2"), "referenced first:\n{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with(['+', '~', '-'])).count(), 3, "{out}");
    let (code, out) = run(&project, &["apply", "--url", &url], &[]);
    assert_eq!(code, 0, "only the changed rule is sent, and it holds no credential: {out}");
    let (_, order) = get(&url, "/v1/registries/shop/schemas/orders@OrderPlaced/versions/2");
    assert_eq!(
        order["content"]["properties"]["total"]["$ref"],
        "https://schemabus.invalid/registries/shop/schemas/common@Money/versions/2"
    );
    let (_, rule) = get(&url, "/v1/buses/orders/rules/to-billing");
    assert_eq!(rule["pattern"]["detail-type"][1], "Order Amended", "{rule}");

    // An incompatible version stops the plan and apply before anything is written.
    edit(
        &project,
        "schemas/shop/order-placed.json",
        r#""required": ["orderId", "total"]"#,
        r#""required": ["orderId", "total", "coupon"]"#,
    );
    edit(&project, "schemabus.yaml", "visibilityTimeoutSeconds: 60", "visibilityTimeoutSeconds: 90");
    let (code, out) = run(&project, &["apply", "--url", &url], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[incompatible_schema]") && out.contains("Nothing applied"), "{out}");
    assert_eq!(get(&url, "/v1/queues/billing").1["visibilityTimeoutSeconds"], 60, "nothing half-applied");
    edit(
        &project,
        "schemas/shop/order-placed.json",
        r#""required": ["orderId", "total", "coupon"]"#,
        r#""required": ["orderId", "total"]"#,
    );
    edit(&project, "schemabus.yaml", "visibilityTimeoutSeconds: 90", "visibilityTimeoutSeconds: 60");

    // Left out of the project: kept, unless --prune.
    edit(&project, "schemabus.yaml", "  shipping: {}\n", "");
    let shipped_rule = "      shipped:\n        pattern:\n          detail-type: [Order Shipped]\n        targets:\n          - type: queue\n            id: shipping\n            queue: shipping\n            inputPath: $.detail\n";
    edit(&project, "schemabus.yaml", shipped_rule, "");
    let (code, out) = run(&project, &["plan", "--url", &url], &[]);
    assert_eq!((code, out.trim()), (0, "No changes: the service matches the project."), "{out}");
    let (code, out) = run(&project, &["apply", "--url", &url, "--prune"], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("- delete rule orders/shipped") && out.contains("- delete queue shipping"), "{out}");
    assert!(
        !out.contains("delete bus default") && !out.contains("discovered-schemas"),
        "built-ins stay: {out}"
    );
    assert_eq!(get(&url, "/v1/queues/shipping").0, 404);
    assert_eq!(get(&url, "/v1/buses/orders/rules/shipped").0, 404);
    assert_eq!(get(&url, "/v1/buses/default").0, 200);

    // pull, then apply of the pulled project, changes nothing.
    let pulled = tmp.path().join("pulled");
    let (code, out) = run(&pulled, &["pull", "--url", &url], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("SCHEMABUS_SECRET_ORDERS_BIG_ORDERS_TO_CRM_CRM_TOKEN"), "{out}");
    let (code, out) = run(&pulled, &["check", "--against", &url], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 changed"), "{out}");
    let (code, out) = run(&pulled, &["apply", "--url", &url, "--prune"], &[]);
    assert_eq!((code, out.trim()), (0, "No changes: the service matches the project."), "{out}");
    let (code, out) = run(&pulled, &["pull", "--url", &url], &[]);
    assert_eq!(code, 2, "an existing project is not overwritten without --force: {out}");
}

#[test]
fn the_built_in_bus_can_carry_project_rules_and_keeps_its_own_description() {
    let (_tmp, service, project) = with_project(
        "version: 1\nqueues:\n  drift: {}\nbuses:\n  default:\n    rules:\n      drift:\n        pattern: {source: [schemabus.registry]}\n        targets: [{type: queue, id: q, queue: drift}]\n",
    );
    let (_, before) = get(&service.base, "/v1/buses/default");
    let (code, out) = run(&project, &["apply", "--url", &service.base], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("change bus default"), "{out}");
    let (_, after) = get(&service.base, "/v1/buses/default");
    assert_eq!(after["description"], before["description"]);
    assert_eq!(get(&service.base, "/v1/buses/default/rules/drift").0, 200);
    let (code, out) = run(&project, &["plan", "--url", &service.base, "--prune"], &[]);
    assert_eq!((code, out.trim()), (0, "No changes: the service matches the project."), "{out}");
}

#[test]
fn dead_letter_chains_and_forwarding_rules_apply_in_dependency_order() {
    let (_tmp, service, project) = with_project(
        "version: 1\nqueues:\n  a: {deadLetterQueue: b, maxReceiveCount: 3}\n  b: {deadLetterQueue: c, maxReceiveCount: 3}\n  c: {}\nbuses:\n  aa:\n    rules:\n      fwd:\n        pattern: {source: [x]}\n        targets: [{type: bus, id: t, bus: zz}]\n  zz: {}\n",
    );
    let (code, out) = run(&project, &["apply", "--url", &service.base], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.find("queue c") < out.find("queue b") && out.find("queue b") < out.find("queue a"), "{out}");
    let (code, out) = run(&project, &["plan", "--url", &service.base], &[]);
    assert_eq!((code, out.trim()), (0, "No changes: the service matches the project."), "{out}");
}

fn put(base: &str, path: &str, body: &Value) -> u16 {
    reqwest::blocking::Client::new().put(format!("{base}{path}")).json(body).send().unwrap().status().as_u16()
}

/// The mode a plan checks a change under is the one the service will apply it under: a
/// schema-level setting on the service outranks the project's registry setting; and a
/// project setting only a policy keeps the service's compatibility mode.
#[test]
fn plans_check_under_the_mode_the_service_will_use_and_a_policy_alone_keeps_the_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let service = ServiceProcess::start(&tmp.path().join("data"));
    let url = service.base.clone();
    let project = tmp.path().join("project");
    std::fs::create_dir_all(project.join("schemas")).unwrap();
    std::fs::write(
        project.join("schemabus.yaml"),
        "version: 1\nregistries:\n  r:\n    compatibility: NONE\n    schemas:\n      a@B:\n        file: schemas/b.json\n",
    )
    .unwrap();
    std::fs::write(project.join("schemas/b.json"), r#"{"type": "object"}"#).unwrap();
    let (code, out) = run(&project, &["apply", "--url", &url], &[]);
    assert_eq!(code, 0, "{out}");
    let config = "/v1/registries/r/schemas/a@B/config";
    assert_eq!(put(&url, config, &serde_json::json!({"compatibility": "BACKWARD"})), 200);

    // A new required property breaks BACKWARD, the schema's own mode on the service.
    std::fs::write(project.join("schemas/b.json"), r#"{"type": "object", "required": ["id"]}"#).unwrap();
    let (code, out) = run(&project, &["plan", "--url", &url], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("incompatible_schema") && out.contains("breaks BACKWARD"), "{out}");
    assert!(out.contains("version r/a@B 2 (BACKWARD)"), "{out}");

    // A registry setting only its policy keeps the registry's compatibility mode.
    std::fs::write(project.join("schemas/b.json"), r#"{"type": "object"}"#).unwrap();
    assert_eq!(put(&url, "/v1/registries/r/config", &serde_json::json!({"compatibility": "FULL"})), 200);
    std::fs::write(
        project.join("schemabus.yaml"),
        "version: 1\nregistries:\n  r:\n    policy: LENIENT\n    schemas:\n      a@B:\n        file: schemas/b.json\n",
    )
    .unwrap();
    let (code, out) = run(&project, &["apply", "--url", &url], &[]);
    assert_eq!(code, 0, "{out}");
    let (_, registry) = get(&url, "/v1/registries/r/config");
    assert_eq!(
        (registry["compatibility"].as_str(), registry["policy"].as_str()),
        (Some("FULL"), Some("LENIENT"))
    );
    let (code, out) = run(&project, &["plan", "--url", &url], &[]);
    assert_eq!((code, out.trim()), (0, "No changes: the service matches the project."), "{out}");
}

/// A rule that relies on the API's defaults (a retry policy naming only its attempts, a
/// transformer without paths, empty headers, no method) plans no change once applied.
#[test]
fn a_rule_relying_on_target_defaults_plans_no_change_once_applied() {
    let (_tmp, service, project) = with_project(
        "version: 1
queues:
  q: {}
buses:
  orders:
    rules:
      r:
        description: ''
        pattern: {source: [orders]}
        targets:
          - type: webhook
            id: w
            url: http://127.0.0.1:9/hook
            headers: {}
            retryPolicy: {maximumRetryAttempts: 3}
          - type: queue
            id: t
            queue: q
            inputTransformer: {inputTemplate: '{\"k\": 1}'}
",
    );
    let (code, out) = run(&project, &["apply", "--url", &service.base], &[]);
    assert_eq!(code, 0, "{out}");
    let (_, rule) = get(&service.base, "/v1/buses/orders/rules/r");
    assert_eq!(rule["targets"][0]["retryPolicy"]["maximumRetryAttempts"], 3, "{rule}");
    let (code, out) = run(&project, &["plan", "--url", &service.base], &[]);
    assert_eq!((code, out.trim()), (0, "No changes: the service matches the project."), "{out}");
}

fn post(base: &str, path: &str, body: &Value) -> u16 {
    reqwest::blocking::Client::new()
        .post(format!("{base}{path}"))
        .json(body)
        .send()
        .unwrap()
        .status()
        .as_u16()
}

/// `pull` of what the API allows and the first pull missed: schema names with colons
/// (and a `$ref` between them), discovery off with its own rate, and a credential in a
/// webhook header: the pulled project checks, plans no change and holds no credential.
#[test]
fn pull_keeps_colon_names_disabled_discovery_rates_and_header_credentials_out_of_git() {
    use serde_json::json;
    let tmp = tempfile::tempdir().unwrap();
    let service = ServiceProcess::start(&tmp.path().join("data"));
    let url = service.base.clone();
    assert_eq!(post(&url, "/v1/registries", &json!({"name": "r"})), 201);
    let versions = "/v1/registries/r/schemas/orders:v1/versions";
    assert_eq!(post(&url, versions, &json!({"content": {"type": "object"}})), 201);
    let referencing = json!({"content": {"properties": {"o": {
        "$ref": "https://schemabus.invalid/registries/r/schemas/orders:v1/versions/1"}}}});
    assert_eq!(post(&url, "/v1/registries/r/schemas/orders:v2/versions", &referencing), 201);
    assert_eq!(post(&url, "/v1/buses", &json!({"name": "b"})), 201);
    assert_eq!(put(&url, "/v1/buses/b/discovery", &json!({"enabled": false, "sampleRate": 0.25})), 200);
    let rule = json!({"pattern": {"source": ["x"]}, "targets": [{"type": "webhook", "id": "w",
        "url": "http://127.0.0.1:9/hook", "headers": {"X-Api-Key": "k-123456", "X-Team": "billing"}}]});
    assert_eq!(put(&url, "/v1/buses/b/rules/r", &rule), 200);

    let pulled = tmp.path().join("pulled");
    let (code, out) = run(&pulled, &["pull", "--url", &url], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("SCHEMABUS_SECRET_B_R_W_X_API_KEY"), "the needed variable is named: {out}");
    let yaml = std::fs::read_to_string(pulled.join("schemabus.yaml")).unwrap();
    assert!(!yaml.contains("k-123456"), "{yaml}");
    assert!(yaml.contains("billing") && yaml.contains("0.25"), "{yaml}");
    let (code, out) = run(&pulled, &["check"], &[]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(&pulled, &["plan", "--url", &url], &[]);
    assert_eq!((code, out.trim()), (0, "No changes: the service matches the project."), "{out}");
    let (code, out) = run(
        &pulled,
        &["apply", "--url", &url, "--resend-secrets"],
        &[("SCHEMABUS_SECRET_B_R_W_X_API_KEY", "k-2")],
    );
    assert_eq!(code, 0, "{out}");
    let (_, stored) = get(&url, "/v1/buses/b/rules/r");
    assert_eq!(stored["targets"][0]["headers"]["X-Api-Key"], "k-2", "{stored}");
}
