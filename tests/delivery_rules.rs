//! The pure parts of webhook delivery: the back-off schedule, `Retry-After`, the address
//! policy and request signatures.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use schemabus::config::{DEFAULT_WEBHOOK_DENY, parse_cidr};
use schemabus::delivery::address_policy::AddressPolicy;
use schemabus::delivery::backoff::{RetryAfter, delay, parse_retry_after};
use schemabus::delivery::signature::{sign, verify};

#[test]
fn backoff_doubles_up_to_the_cap_with_full_jitter() {
    let (base, max) = (Duration::from_secs(1), Duration::from_secs(900));
    // unit = 1 gives the ceiling of each retry.
    let ceilings: Vec<u64> = (1..=12).map(|n| delay(n, base, max, 1.0).as_secs()).collect();
    assert_eq!(ceilings, vec![1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]);
    assert_eq!(delay(185, base, max, 1.0), max);
    assert_eq!(delay(5, base, max, 0.0), Duration::ZERO);
    assert_eq!(delay(5, base, max, 0.5), Duration::from_secs(8));
    // Expected total wait of 185 retries with the defaults: about 22 hours.
    let mean: Duration = (1..=185).map(|n| delay(n, base, max, 0.5)).sum();
    assert!((Duration::from_secs(21 * 3600)..Duration::from_secs(23 * 3600)).contains(&mean), "{mean:?}");
}

#[test]
fn retry_after_takes_seconds_dates_and_negative_numbers() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    assert_eq!(parse_retry_after("3", now), Some(RetryAfter::Wait(Duration::from_secs(3))));
    assert_eq!(parse_retry_after("-1", now), Some(RetryAfter::Stop));
    let date = httpdate::fmt_http_date(now + Duration::from_secs(120));
    assert_eq!(parse_retry_after(&date, now), Some(RetryAfter::Wait(Duration::from_secs(120))));
    let past = httpdate::fmt_http_date(now - Duration::from_secs(120));
    assert_eq!(parse_retry_after(&past, now), Some(RetryAfter::Wait(Duration::ZERO)));
    assert_eq!(parse_retry_after("soon", now), None);
}

#[test]
fn the_default_policy_refuses_metadata_and_link_local_but_not_loopback() {
    let deny = DEFAULT_WEBHOOK_DENY.split(',').map(|c| parse_cidr(c).unwrap()).collect();
    let policy = AddressPolicy::new(Vec::new(), deny);
    for refused in [
        "169.254.169.254",
        "169.254.1.1",
        "fe80::1",
        "fd00:ec2::254",
        "100.100.100.200",
        "::ffff:169.254.169.254",
    ] {
        assert!(policy.check(refused.parse::<IpAddr>().unwrap()).is_err(), "{refused}");
    }
    for allowed in ["127.0.0.1", "::1", "10.1.2.3", "93.184.216.34"] {
        assert!(policy.check(allowed.parse::<IpAddr>().unwrap()).is_ok(), "{allowed}");
    }
    let only = AddressPolicy::new(vec![parse_cidr("10.0.0.0/8").unwrap()], Vec::new());
    assert!(only.check("10.9.9.9".parse().unwrap()).is_ok());
    assert!(only.check("127.0.0.1".parse().unwrap()).is_err());
    assert!(parse_cidr("nonsense").is_err());
    assert_eq!(parse_cidr("10.0.0.1").unwrap().to_string(), "10.0.0.1/32");
}

#[test]
fn signatures_verify_and_reject_tampering_and_old_timestamps() {
    let header = sign("k", 1000, b"{\"a\":1}");
    assert!(header.starts_with("t=1000,v1="));
    assert!(verify("k", &header, b"{\"a\":1}", 1100, 300));
    assert!(!verify("k", &header, b"{\"a\":2}", 1100, 300), "body changed");
    assert!(!verify("other", &header, b"{\"a\":1}", 1100, 300), "wrong secret");
    assert!(!verify("k", &header, b"{\"a\":1}", 1400, 300), "too old: a replay");
    assert!(!verify("k", "garbage", b"{\"a\":1}", 1000, 300));
    // Known answer: HMAC-SHA256("k", "1000.{\"a\":1}").
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"k").unwrap();
    mac.update(b"1000.{\"a\":1}");
    assert_eq!(header, format!("t=1000,v1={}", hex::encode(mac.finalize().into_bytes())));
}
