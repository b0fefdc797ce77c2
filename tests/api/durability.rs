use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::helpers::{ServiceProcess, data_dir};

fn register(client: &Client, base: &str, title: String) -> (u16, Value) {
    let response = client
        .post(format!("{base}/v1/registries/shop/schemas/orders@OrderPlaced/versions"))
        .json(&json!({"content": {"type": "object", "title": title}}))
        .send()
        .unwrap();
    (response.status().as_u16(), response.json().unwrap())
}

#[test]
fn data_survives_a_clean_restart() {
    let dir = tempfile::tempdir().unwrap();
    let client = Client::new();
    let service = ServiceProcess::start(&data_dir(&dir));
    let created =
        client.post(format!("{}/v1/registries", service.base)).json(&json!({"name": "shop"})).send().unwrap();
    assert_eq!(created.status(), 201);
    let (status, body) = register(&client, &service.base, "kept".into());
    assert_eq!(status, 201);
    service.terminate();

    let service = ServiceProcess::start(&data_dir(&dir));
    let version: Value = client
        .get(format!("{}/v1/registries/shop/schemas/orders@OrderPlaced/versions/1", service.base))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(version["content"]["title"], "kept");
    assert_eq!(version["fingerprint"], body["fingerprint"]);
    let (_, next) = register(&client, &service.base, "after restart".into());
    assert_eq!(next["version"], 2);
}

#[test]
fn versions_acknowledged_before_kill_9_survive_it() {
    let dir = tempfile::tempdir().unwrap();
    let client = Client::new();
    let service = ServiceProcess::start(&data_dir(&dir));
    client.post(format!("{}/v1/registries", service.base)).json(&json!({"name": "shop"})).send().unwrap();

    // Register from a second thread until the kill; every 201 is recorded.
    let base = service.base.clone();
    let writer = std::thread::spawn(move || {
        let client = Client::builder().timeout(std::time::Duration::from_secs(5)).build().unwrap();
        let mut acknowledged = Vec::new();
        for i in 0.. {
            let sent = client
                .post(format!("{base}/v1/registries/shop/schemas/orders@OrderPlaced/versions"))
                .json(&json!({"content": {"type": "object", "title": format!("v{i}")}}))
                .send();
            match sent {
                Ok(r) if r.status() == 201 => {
                    let body: Value = r.json().unwrap();
                    acknowledged.push((body["version"].as_u64().unwrap(), format!("v{i}")));
                }
                _ => break,
            }
        }
        acknowledged
    });
    std::thread::sleep(std::time::Duration::from_millis(1500));
    service.kill_9();
    let acknowledged = writer.join().unwrap();
    assert!(
        acknowledged.len() >= 5,
        "too few writes before the kill to prove anything: {}",
        acknowledged.len()
    );

    let service = ServiceProcess::start(&data_dir(&dir));
    for (version, title) in &acknowledged {
        let got: Value = client
            .get(format!("{}/v1/registries/shop/schemas/orders@OrderPlaced/versions/{version}", service.base))
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(got["content"]["title"], title.as_str(), "acknowledged version {version} was lost");
    }
}

#[test]
fn a_data_directory_from_a_newer_release_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = data_dir(&dir);
    {
        let store = schemabus::storage::Store::open(&path, &Default::default()).unwrap();
        drop(store);
    }
    // Rewrite the format version as a future one, through sled directly (sled releases
    // its file lock from a background thread, so the first attempts may find it held).
    {
        let db = open_when_released(&path.join("sled"));
        db.open_tree("meta").unwrap().insert("format_version", &99u32.to_be_bytes()).unwrap();
        db.flush().unwrap();
    }
    let err = schemabus::storage::Store::open(&path, &Default::default()).unwrap_err().to_string();
    assert!(err.contains("newer schemabus") && err.contains("format 99"), "{err}");

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_schemabus"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("newer schemabus"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_directory_that_is_not_ours_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = data_dir(&dir);
    {
        let db = open_when_released(&path.join("sled"));
        db.open_tree("something").unwrap().insert("k", "v").unwrap();
        db.flush().unwrap();
    }
    let err = schemabus::storage::Store::open(&path, &Default::default()).unwrap_err().to_string();
    assert!(err.contains("not a schemabus data directory"), "{err}");
}

fn open_when_released(path: &std::path::Path) -> sled::Db {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match sled::open(path) {
            Ok(db) => return db,
            Err(e) if std::time::Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => panic!("sled did not release its lock: {e}"),
        }
    }
}
