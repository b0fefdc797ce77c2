//! Confluent's own Python client (`confluent-kafka`, pinned) against a real schemabus
//! process: the script `tests/ccompat/confluent_client.py` registers, looks up, fetches
//! by id, auto-registers on serialize, round-trips a record through the wire format,
//! checks compatibility (verbose, all versions), config, mode (the global one deleted),
//! soft and permanent deletion (`deleted_only`, paging), references across subjects,
//! contexts (`get_contexts`, `:*:` listings), 405 and 404, with HTTP Basic and Bearer keys.
//!
//! The virtualenv is built under the target directory on first use (pip from PyPI). It
//! fails loudly when it cannot be built: `.ci/run` installs python3-venv.

use std::path::Path;
use std::process::Command;

use crate::helpers::ServiceProcess;
use crate::python::pinned_venv;

/// The pinned client (2.16.2 is on PyPI; `[schemaregistry,json]` brings the JSON serdes).
const PINNED: &str = "confluent-kafka[schemaregistry,json]==2.16.2";
const ADMIN: &str = "sb_ccompat-admin-key-0123456789abcdefghijklmnop";

#[test]
fn confluent_kafka_python_client_works_against_a_real_schemabus_process() {
    let python = pinned_venv("ccompat-venv", PINNED).join("bin/python");
    let dir = tempfile::tempdir().unwrap();
    let service = ServiceProcess::start_with_env(
        &dir.path().join("data"),
        &["--auth", "required"],
        &[("SCHEMABUS_ADMIN_KEY", ADMIN)],
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ccompat/confluent_client.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(format!("{}/ccompat", service.base))
        .arg(ADMIN)
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    service.terminate();
    assert!(out.status.success() && text.contains("ALL OK"), "the confluent-kafka script failed:\n{text}");
}
