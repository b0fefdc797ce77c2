//! What authenticating one PutEvents request costs, by part: SigV4 on the AWS front end
//! (the body's SHA-256, the canonical request and signature, the credential lookup)
//! against a bearer key on the native API, for the `bus_load` request (10 entries).
//! `cargo bench --bench aws_auth`; the figures are in the README (Performance).

use std::time::{Duration, Instant};

use schemabus::aws::sigv4::{self, Request};
use sha2::Digest as _;

mod orders;

const ROUNDS: u32 = 20_000;
const ADMIN_KEY: &str = "bench-admin-key-0123456789abcdef0123456789abcdef";

fn per_call(mut f: impl FnMut()) -> Duration {
    for _ in 0..ROUNDS / 10 {
        f();
    }
    let started = Instant::now();
    for _ in 0..ROUNDS {
        f();
    }
    started.elapsed() / ROUNDS
}

fn main() {
    let body = orders::aws_request_body();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let store = schemabus::storage::Store::open(dir.path(), &schemabus::storage::StoreOptions::default())
        .unwrap_or_else(|e| panic!("store: {e}"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let keys = schemabus::auth::KeyService::new(std::sync::Arc::new(store.clone()));
    runtime.block_on(keys.bootstrap(Some(ADMIN_KEY))).unwrap_or_else(|e| panic!("key: {e}"));
    let master = schemabus::auth::aws::MasterKey::from_bytes(&[7; 32]).unwrap_or_else(|e| panic!("{e}"));
    let credentials = schemabus::auth::aws::AwsCredentials::new(std::sync::Arc::new(store), master);
    let created =
        runtime.block_on(credentials.create("admin")).unwrap_or_else(|e| panic!("credentials: {e}"));
    let now = time::OffsetDateTime::now_utc();
    let mut headers = orders::sigv4_headers(
        &body,
        &created.access_key_id,
        &created.secret_access_key,
        "127.0.0.1:4010",
        now,
    );
    headers.push(("content-length".into(), body.len().to_string()));
    let request = Request { method: "POST", path: "/", query: "", headers: &headers, body: &body };

    let hash = per_call(|| {
        std::hint::black_box(sha2::Sha256::digest(std::hint::black_box(&body)));
    });
    let resolve = per_call(|| {
        std::hint::black_box(credentials.resolve(&created.access_key_id).ok());
    });
    let verify = per_call(|| {
        let claim = sigv4::parse(&request).unwrap_or_else(|e| panic!("{}", e.message()));
        let checked = sigv4::verify(
            &request,
            &claim,
            &created.secret_access_key,
            now.unix_timestamp(),
            "local",
            "events",
        );
        assert!(checked.is_ok());
    });
    let bearer = per_call(|| {
        std::hint::black_box(keys.authenticate(ADMIN_KEY).ok());
    });
    println!("request body: {} bytes, 10 entries", body.len());
    println!("SigV4 parse + verify (body SHA-256 included): {verify:>8.2?}");
    println!("  of which the body's SHA-256:                 {hash:>8.2?}");
    println!("access key id -> key and secret (resolve):     {resolve:>8.2?}");
    println!("AWS front end, total:                          {:>8.2?}", verify + resolve);
    println!("native API, bearer key (authenticate):         {bearer:>8.2?}");
}
