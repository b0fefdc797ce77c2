use std::io::Read;

use serde_json::json;

use crate::helpers::{ServiceProcess, spawn_app};

fn order_schema() -> serde_json::Value {
    json!({
        "title": "OrderPlaced",
        "type": "object",
        "required": ["orderId"],
        "properties": {
            "orderId": {"type": "string"},
            "total": {"$ref": "https://schemabus.invalid/registries/shop/schemas/common@Money/versions/1"}
        }
    })
}

#[tokio::test]
async fn bindings_download_as_a_deterministic_zip_or_as_source() {
    let app = spawn_app().await;
    app.create_registry("shop").await;
    app.register(
        "shop",
        "common@Money",
        json!({"title": "Money", "type": "object", "properties": {"amount": {"type": "string"}}}),
    )
    .await;
    app.register("shop", "orders@OrderPlaced", order_schema()).await;
    let url =
        format!("{}/v1/registries/shop/schemas/orders@OrderPlaced/versions/latest/bindings/rust", app.base);

    let first = app.client.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["content-type"], "application/zip");
    assert!(first.headers()["content-disposition"].to_str().unwrap().contains("orders-order-placed-1.zip"));
    let bytes = first.bytes().await.unwrap();
    let again = app.client.get(&url).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(bytes, again, "same version, same bytes");

    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let names: Vec<String> = archive.file_names().map(|n| n.unwrap().into_owned()).collect();
    assert!(names.contains(&"orders-order-placed/Cargo.toml".to_owned()), "{names:?}");
    let mut lib = String::new();
    archive.by_name("orders-order-placed/src/lib.rs").unwrap().read_to_string(&mut lib).unwrap();
    assert!(
        lib.contains("pub struct OrderPlaced") && lib.contains("pub struct Money"),
        "the referenced schema is generated too"
    );
    assert!(lib.contains("pub type Detail = OrderPlaced;"));

    let ts = app
        .client
        .get(format!(
            "{}/v1/registries/shop/schemas/orders@OrderPlaced/versions/1/bindings/typescript?format=source",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(ts.status(), 200);
    let text = ts.text().await.unwrap();
    assert!(
        text.contains("export interface OrderPlaced") && text.contains("export function isDetail"),
        "{text}"
    );

    app.get("/v1/registries/shop/schemas/orders@OrderPlaced/versions/1/bindings/cobol")
        .await
        .assert_error(400, "invalid_parameter");
    app.get("/v1/registries/shop/schemas/orders@OrderPlaced/versions/1/bindings/rust?format=tar")
        .await
        .assert_error(400, "invalid_parameter");
    app.get("/v1/registries/shop/schemas/orders@OrderPlaced/versions/9/bindings/rust")
        .await
        .assert_error(404, "version_not_found");
}

#[test]
fn the_cli_generates_offline_and_from_a_running_service_with_the_same_result() {
    let dir = tempfile::tempdir().unwrap();
    let schema_file = dir.path().join("order.json");
    std::fs::write(
        &schema_file,
        json!({"title": "OrderPlaced", "type": "object", "properties": {"id": {"type": "string"}}})
            .to_string(),
    )
    .unwrap();
    let offline = dir.path().join("offline");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_schemabus"))
        .args(["codegen", "--language", "typescript", "--package", "orders-order-placed", "--schema"])
        .arg(&schema_file)
        .arg("--out")
        .arg(&offline)
        .status()
        .unwrap();
    assert!(status.success());
    let offline_source = std::fs::read_to_string(offline.join("src/index.ts")).unwrap();
    assert!(offline_source.contains("export interface OrderPlaced"));
    assert!(offline.join("package.json").exists() && offline.join("tsconfig.json").exists());

    let service = ServiceProcess::start(&dir.path().join("data"));
    let client = reqwest::blocking::Client::new();
    client.post(format!("{}/v1/registries", service.base)).json(&json!({"name": "shop"})).send().unwrap();
    let content: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&schema_file).unwrap()).unwrap();
    let created = client
        .post(format!("{}/v1/registries/shop/schemas/orders@OrderPlaced/versions", service.base))
        .json(&json!({"content": content}))
        .send()
        .unwrap();
    assert_eq!(created.status(), 201);
    let online = dir.path().join("online");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_schemabus"))
        .args([
            "codegen",
            "--language",
            "typescript",
            "--registry",
            &service.base,
            "--from",
            "shop/orders@OrderPlaced",
            "--out",
        ])
        .arg(&online)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let online_source = std::fs::read_to_string(online.join("src/index.ts")).unwrap();
    assert_eq!(online_source, offline_source);

    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_schemabus"))
        .args(["codegen", "--language", "rust", "--registry", &service.base, "--from", "shop/nope", "--out"])
        .arg(dir.path().join("x"))
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("404"));
}
