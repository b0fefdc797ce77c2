//! `schemabus export` / `import` (docs/OPERATIONS.md#export-and-import): a store holding
//! every kind of control-plane record, written through the real service, exported, imported
//! into a new data directory and exported again gives the same records byte for byte; and
//! the new directory serves them. Broken files are refused before anything is written.

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::helpers::ServiceProcess;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Runs `schemabus <args>`; (success, stdout, stderr).
fn cli(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_schemabus")).args(args).output().expect("the binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// [`cli`] on the store of `dir`: its data directory, and under the `postgres` backend
/// the database its service uses too (unless `args` name a database of their own).
fn cli_on(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let flags = if args.contains(&"--database-url") { Vec::new() } else { crate::backend::serve_flags(dir) };
    let mut all = args.to_vec();
    all.extend(["--data-dir", dir.to_str().unwrap()]);
    all.extend(flags.iter().map(String::as_str));
    cli(&all)
}

struct Calls {
    client: Client,
    base: String,
    aws: String,
}

impl Calls {
    #[track_caller]
    fn ok(&self, method: &str, path: &str, body: Value) -> Value {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method.clone(), format!("{}{path}", self.base));
        if !body.is_null() {
            request = request.json(&body);
        }
        let response = request.send().unwrap();
        let status = response.status();
        let text = response.text().unwrap();
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// An AWS JSON 1.1 call (unsigned: the service runs without keys).
    #[track_caller]
    fn aws(&self, target: &str, body: Value) -> Value {
        let response = self
            .client
            .post(&self.aws)
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", target)
            .body(body.to_string())
            .send()
            .unwrap();
        let status = response.status();
        let text = response.text().unwrap();
        assert!(status.is_success(), "{target}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// An AWS Schemas REST call.
    #[track_caller]
    fn schemas(&self, method: &str, path: &str, body: Value) -> Value {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = self
            .client
            .request(method.clone(), format!("{}{path}", self.aws.trim_end_matches('/')))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .unwrap();
        let status = response.status();
        let text = response.text().unwrap();
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Polls `path` until `done` holds (background work: discovery, schedules).
    #[track_caller]
    fn wait_for(&self, path: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let response = self.client.get(format!("{}{path}", self.base)).send().unwrap();
            let body: Value = response.json().unwrap_or(Value::Null);
            if done(&body) {
                return body;
            }
            assert!(Instant::now() < deadline, "{path} never got there: {body}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn entry(detail: Value) -> Value {
    json!({"source": "orders", "detailType": "Order Placed", "detail": detail})
}

/// Writes at least one record of every kind the export holds.
fn populate(calls: &Calls) {
    // Registry: schemas, versions with a reference, configs, modes, global ids.
    calls.ok("POST", "/v1/registries", json!({"name": "shop", "description": "the shop"}));
    calls.ok(
        "POST",
        "/v1/registries/shop/schemas/money/versions",
        json!({"content": {"type": "object", "properties": {"amount": {"type": "number"}}}}),
    );
    calls.ok(
        "POST",
        "/v1/registries/shop/schemas/orders@OrderPlaced/versions",
        json!({"content": {"type": "object", "required": ["orderId"], "properties": {
            "orderId": {"type": "string"}, "total": {"$ref": "https://schemabus.invalid/registries/shop/schemas/money/versions/1"}}}}),
    );
    calls.ok("PUT", "/v1/registries/shop/config", json!({"compatibility": "FULL"}));
    calls.ok("PUT", "/v1/registries/shop/schemas/money/config", json!({"compatibility": "NONE"}));
    let mode = calls
        .client
        .put(format!("{}/ccompat/mode/money", calls.base))
        .header("content-type", "application/vnd.schemaregistry.v1+json")
        .body(json!({"mode": "READWRITE"}).to_string())
        .send()
        .unwrap();
    assert!(mode.status().is_success(), "ccompat mode: {}", mode.text().unwrap());

    // Bus: a bus with discovery and a warned contract, a queue, rules (one scheduled),
    // an archive, a replay.
    calls.ok(
        "POST",
        "/v1/buses",
        json!({"name": "orders", "validation": {"mode": "warn", "registry": "shop"}}),
    );
    calls.ok("PUT", "/v1/buses/orders/discovery", json!({"enabled": true, "sampleRate": 1}));
    calls.ok("PUT", "/v1/discovery/hints/orders@OrderPlaced", json!({"enum": ["/currency"]}));
    calls.ok("PUT", "/v1/queues/sink", json!({"visibilityTimeoutSeconds": 30}));
    let target = json!([{"id": "q", "type": "queue", "queue": "sink"}]);
    calls.ok(
        "PUT",
        "/v1/buses/orders/rules/all",
        json!({"pattern": {"source": ["orders"]}, "targets": target}),
    );
    calls.ok("PUT", "/v1/buses/default/rules/tick", json!({"schedule": "rate(1 minute)", "targets": target}));
    calls.ok(
        "PUT",
        "/v1/buses/orders/archives/everything",
        json!({"pattern": {"source": ["orders"]}, "retentionDays": 7}),
    );
    calls.ok(
        "POST",
        "/v1/buses/orders/events",
        json!({"entries": [entry(json!({"orderId": "o-1", "total": {"amount": 3}}))]}),
    );
    // Drift: the producer drops a field the contract requires; discovery reports it.
    calls.wait_for("/v1/registries/discovered-schemas/schemas/orders@OrderPlaced/versions/latest", |b| {
        b["version"] == 1
    });
    calls.ok("POST", "/v1/buses/orders/events", json!({"entries": [entry(json!({"total": {"amount": 4}}))]}));
    calls.wait_for("/v1/buses/orders/discovery", |b| b["drift"].as_array().is_some_and(|d| !d.is_empty()));
    calls.ok(
        "POST",
        "/v1/buses/orders/replays",
        json!({"name": "again", "archive": "everything", "startTime": "2024-01-01T00:00:00Z", "endTime": "2024-01-01T01:00:00Z"}),
    );
    // Two orders and at least one tick of the scheduled rule (a minute is 200 ms here).
    calls.wait_for("/v1/queues/sink", |b| b["depth"].as_u64().is_some_and(|d| d >= 3));

    // Access: a key with AWS credentials (the audit records these writes).
    calls.ok("POST", "/v1/keys", json!({"name": "ci", "grants": ["registry:read:shop"]}));
    calls.ok("POST", "/v1/keys/ci/aws-credentials", Value::Null);

    // What only the AWS APIs have: a connection, an API destination, tags, a discoverer,
    // a resource policy.
    let connection = calls.aws(
        "AWSEvents.CreateConnection",
        json!({"Name": "crm", "AuthorizationType": "API_KEY",
               "AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "secret"}}}),
    );
    calls.aws(
        "AWSEvents.CreateApiDestination",
        json!({"Name": "crm-hook", "ConnectionArn": connection["ConnectionArn"], "InvocationEndpoint": "https://crm.example.com/hook", "HttpMethod": "POST"}),
    );
    let bus = calls.aws("AWSEvents.DescribeEventBus", json!({"Name": "orders"}));
    calls.aws(
        "AWSEvents.TagResource",
        json!({"ResourceARN": bus["Arn"], "Tags": [{"Key": "team", "Value": "shop"}]}),
    );
    calls.schemas("POST", "/v1/discoverers", json!({"SourceArn": bus["Arn"], "Description": "orders"}));
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "schemas:*", "Resource": "*"}]});
    calls.schemas("PUT", "/v1/policy?registryName=shop", json!({"Policy": policy.to_string()}));
}

fn export(dir: &Path, out: &Path) -> String {
    let (ok, _, stderr) = cli_on(dir, &["export", "--out", out.to_str().unwrap()]);
    assert!(ok, "export: {stderr}");
    std::fs::read_to_string(out).unwrap()
}

/// Fills the store on `dir` with every kind of record, through a service started for it
/// (with the AWS front end, discovery and fast schedules) and stopped again.
fn populated(dir: &Path) {
    let aws_listen = format!("127.0.0.1:{}", free_port());
    let flags = [
        "--aws-listen",
        &aws_listen,
        "--discovery-min-interval-seconds",
        "0",
        "--discovery-min-required",
        "1",
    ];
    let service = ServiceProcess::start_with_env(dir, &flags, &[("SCHEMABUS_SCHEDULE_MINUTE_MS", "200")]);
    let calls =
        Calls { client: Client::new(), base: service.base.clone(), aws: format!("http://{aws_listen}/") };
    populate(&calls);
    service.terminate();
}

/// The record lines of an export (without the header's timestamp).
fn records(text: &str) -> Vec<&str> {
    text.lines().skip(1).collect()
}

#[test]
fn an_export_imported_into_a_new_directory_gives_back_every_record_byte_for_byte() {
    // It fills every kind of record, buses and the AWS front end's included.
    let temp = tempfile::tempdir().unwrap();
    let (first, second) = (temp.path().join("first"), temp.path().join("second"));
    populated(&first);

    let exported = export(&first, &temp.path().join("first.jsonl"));
    // Every kind of record is there: a tree the fixture leaves empty fails here, so a new
    // kind of record cannot go unexported unnoticed.
    let trees: std::collections::BTreeSet<String> = records(&exported)
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok()?["tree"].as_str().map(str::to_owned))
        .collect();
    for expected in [
        "registries",
        "schemas",
        "versions",
        "version_counters",
        "referrers",
        "compatibility_configs",
        "schema_ids",
        "schema_id_versions",
        "ccompat_modes",
        "buses",
        "rules",
        "queues",
        "schedule_ticks",
        "connections",
        "api_destinations",
        "tags",
        "archives",
        "replays",
        "api_keys",
        "aws_credentials",
        "audit",
        "discovery_configs",
        "discovery_types",
        "discovery_hints",
        "discovery_drift",
        "aws_schemas",
    ] {
        assert!(trees.contains(expected), "no {expected} record in the export: {trees:?}");
    }
    // Records are readable JSON where they are JSON.
    assert!(exported.contains(r#""tree":"registries""#) && exported.contains(r#""description":"the shop""#));

    let (ok, _, stderr) = cli_on(&second, &["import", temp.path().join("first.jsonl").to_str().unwrap()]);
    assert!(ok, "import: {stderr}");
    assert!(stderr.contains("imported"), "{stderr}");
    let again = export(&second, &temp.path().join("second.jsonl"));
    assert_eq!(records(&again), records(&exported), "the round trip changed records");

    // The imported directory serves what was exported, and a second import is refused.
    let service = ServiceProcess::start(&second);
    let calls = Calls { client: Client::new(), base: service.base.clone(), aws: String::new() };
    let latest =
        calls.ok("GET", "/v1/registries/shop/schemas/orders@OrderPlaced/versions/latest", Value::Null);
    assert_eq!(latest["version"], 1, "{latest}");
    let next = calls.ok(
        "POST",
        "/v1/registries/shop/schemas/money/versions",
        json!({"content": {"type": "object", "properties": {"amount": {"type": "integer"}}}}),
    );
    assert_eq!(next["version"], 2, "version numbers continue: {next}");
    service.terminate();
    let (ok, _, stderr) = cli_on(&second, &["import", temp.path().join("first.jsonl").to_str().unwrap()]);
    assert!(!ok && stderr.contains("already holds"), "a second import is refused: {stderr}");
}

#[test]
fn truncated_edited_or_foreign_files_are_refused_and_nothing_is_written() {
    let temp = tempfile::tempdir().unwrap();
    let source = temp.path().join("source");
    let service = ServiceProcess::start(&source);
    let calls = Calls { client: Client::new(), base: service.base.clone(), aws: String::new() };
    calls.ok("POST", "/v1/registries", json!({"name": "shop"}));
    service.terminate();
    let text = export(&source, &temp.path().join("good.jsonl"));
    let lines: Vec<&str> = text.lines().collect();
    let cases = [
        ("truncated", lines[..lines.len() - 1].join("\n"), "truncated"),
        ("edited", text.replace(r#""name":"shop""#, r#""name":"shoq""#), "does not match"),
        ("foreign", "{\"hello\": 1}\n".to_owned(), "line 1"),
        ("empty", String::new(), "empty"),
    ];
    for (name, content, message) in cases {
        let file = temp.path().join(format!("{name}.jsonl"));
        std::fs::write(&file, content).unwrap();
        let target = temp.path().join(format!("into-{name}"));
        let (ok, _, stderr) = cli_on(&target, &["import", file.to_str().unwrap()]);
        assert!(!ok && stderr.contains(message), "{name}: {stderr}");
        // Nothing was written: the directory still takes the good file.
        let (ok, _, stderr) = cli_on(&target, &["import", temp.path().join("good.jsonl").to_str().unwrap()]);
        assert!(ok, "{name}: {stderr}");
    }
}

/// Cluster mode (docs/CLUSTER.md#moving-between-the-embedded-store-and-postgresql): the
/// same store moved into PostgreSQL and back gives every record byte for byte, and the
/// cluster-mode instance serves it with its counters and ids.
#[test]
fn the_registry_and_keys_move_to_postgresql_and_back_byte_for_byte() {
    crate::backend::skip_under_postgres!("this test moves an embedded store into PostgreSQL itself");
    let temp = tempfile::tempdir().unwrap();
    let (first, second, third) =
        (temp.path().join("first"), temp.path().join("second"), temp.path().join("third"));
    populated(&first);
    let embedded = export(&first, &temp.path().join("embedded.jsonl"));

    let database = crate::backend::migrated_database();
    let file = temp.path().join("embedded.jsonl");
    let (ok, _, stderr) = cli_on(&second, &["import", "--database-url", &database, file.to_str().unwrap()]);
    assert!(ok, "import into PostgreSQL: {stderr}");
    let moved = temp.path().join("postgres.jsonl");
    let (ok, _, stderr) =
        cli_on(&second, &["export", "--database-url", &database, "--out", moved.to_str().unwrap()]);
    assert!(ok, "export from PostgreSQL: {stderr}");
    let from_postgres = std::fs::read_to_string(&moved).unwrap();
    assert_eq!(records(&from_postgres), records(&embedded), "PostgreSQL changed records");
    // The registry really is in the database, not in the second data directory.
    let local = export(&second, &temp.path().join("local.jsonl"));
    assert!(!local.contains(r#""tree":"versions""#), "versions were written to the data directory");

    let (ok, _, stderr) = cli_on(&third, &["import", moved.to_str().unwrap()]);
    assert!(ok, "import back into an embedded store: {stderr}");
    let back = export(&third, &temp.path().join("back.jsonl"));
    assert_eq!(records(&back), records(&embedded), "the way back changed records");

    // The cluster-mode instance serves the moved registry, numbering and ids continuing.
    let service = crate::service::started(&crate::service::Launch {
        prefix: Vec::new(),
        data_dir: second.clone(),
        flags: vec!["--database-url".to_owned(), database.clone()],
        log: temp.path().join("cluster.log"),
    });
    let latest =
        service.expect(200, "GET", "/v1/registries/shop/schemas/orders@OrderPlaced/versions/latest", None);
    assert_eq!(latest["version"], 1, "{latest}");
    let money = json!({"content": {"type": "object", "properties": {"amount": {"type": "integer"}}}});
    let next = service.expect(201, "POST", "/v1/registries/shop/schemas/money/versions", Some(&money));
    assert_eq!(next["version"], 2, "version numbers continue: {next}");
    let keys = service.expect(200, "GET", "/v1/keys", None);
    assert!(keys.to_string().contains(r#""ci""#), "the moved keys are served: {keys}");
    service.kill_9();
    let fourth = temp.path().join("fourth");
    let (ok, _, stderr) = cli_on(&fourth, &["import", "--database-url", &database, file.to_str().unwrap()]);
    assert!(!ok && stderr.contains("database already holds"), "a second import is refused: {stderr}");
}
