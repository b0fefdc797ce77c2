//! Request signatures: `Schemabus-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
//! "<t>.<body>")>`. Receivers recompute it and reject old timestamps (replays); see
//! docs/DELIVERY.md#signatures.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header carrying the signature.
pub const HEADER: &str = "schemabus-signature";

/// The header value for `body` signed at `timestamp` (Unix seconds).
pub fn sign(secret: &str, timestamp: u64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", hex::encode(mac(secret, timestamp, body)))
}

fn keyed(secret: &str, timestamp: u64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length: new_from_slice cannot fail for it.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

fn mac(secret: &str, timestamp: u64, body: &[u8]) -> Vec<u8> {
    keyed(secret, timestamp, body).finalize().into_bytes().to_vec()
}

/// Checks a header value against `body`, accepting timestamps within `tolerance_seconds`
/// of `now` (what a receiver does; used by the tests and documented for receivers).
pub fn verify(secret: &str, header: &str, body: &[u8], now: u64, tolerance_seconds: u64) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<u64>().ok(),
            Some(("v1", v)) => signatures.extend(hex::decode(v).ok()),
            _ => {}
        }
    }
    let Some(t) = timestamp else { return false };
    if t.abs_diff(now) > tolerance_seconds {
        return false;
    }
    let mac = keyed(secret, t, body);
    // verify_slice compares in constant time.
    signatures.iter().any(|s| mac.clone().verify_slice(s).is_ok())
}
