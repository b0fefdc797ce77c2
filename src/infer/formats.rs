//! String format detection.
//!
//! Each detector is deliberately *stricter* than the `format` validators of common JSON
//! Schema implementations: a format is only emitted when every observed string passed its
//! detector, so a detector that accepted something a validator rejects would make the
//! inferred schema reject its own training data. Hand-written parsers instead of regexes
//! keep this module dependency-free and cheap on the hot path.

use std::net::{Ipv4Addr, Ipv6Addr};

/// One bit per recognised format; the order is the priority used when several bits survive.
pub(crate) const FORMATS: [(u8, &str); 8] = [
    (1 << 0, "date-time"),
    (1 << 1, "date"),
    (1 << 2, "time"),
    (1 << 3, "uuid"),
    (1 << 4, "ipv4"),
    (1 << 5, "ipv6"),
    (1 << 6, "email"),
    (1 << 7, "uri"),
];

/// Mask with every format bit set: the identity for the intersection kept in the state.
pub(crate) const ALL: u8 = 0xFF;

/// URI schemes accepted without an authority (`scheme://`). Without this restriction any
/// `word:word` string (`status:ok`) would be labelled a URI and the next value would fail.
const OPAQUE_SCHEMES: [&str; 6] = ["arn", "data", "mailto", "tel", "urn", "tag"];

/// Returns the subset of `candidates` that `s` satisfies. Only the candidate bits are
/// tested: the state keeps an intersection, so bits already cleared never come back.
pub(crate) fn detect(s: &str, candidates: u8) -> u8 {
    let b = s.as_bytes();
    let Some(&first) = b.first() else { return 0 };
    let mut out = 0;
    if first.is_ascii_digit() {
        if candidates & 1 != 0 && is_date_time(b) {
            out |= 1;
        }
        if candidates & 2 != 0 && is_date(b) {
            out |= 2;
        }
        if candidates & 4 != 0 && is_time(b) {
            out |= 4;
        }
        if candidates & 16 != 0 && is_ipv4(s) {
            out |= 16;
        }
    }
    if candidates & 8 != 0 && is_uuid(b) {
        out |= 8;
    }
    if candidates & 32 != 0 && s.contains(':') && s.parse::<Ipv6Addr>().is_ok() {
        out |= 32;
    }
    if candidates & 64 != 0 && is_email(s) {
        out |= 64;
    }
    if candidates & 128 != 0 && is_uri(s) {
        out |= 128;
    }
    out
}

/// The name of the highest-priority format left in `mask`, if any.
pub(crate) fn name(mask: u8) -> Option<&'static str> {
    FORMATS.iter().find(|(bit, _)| mask & bit != 0).map(|(_, n)| *n)
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let part = b.get(at..at + n)?;
    let mut v = 0u32;
    for &c in part {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

fn is_leap(y: u32) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

/// `YYYY-MM-DD` with a real calendar day (validators check February 29th too).
fn date_prefix(b: &[u8]) -> bool {
    let (Some(y), Some(m), Some(d)) = (digits(b, 0, 4), digits(b, 5, 2), digits(b, 8, 2)) else {
        return false;
    };
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return false;
    }
    let max = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=max).contains(&d)
}

fn is_date(b: &[u8]) -> bool {
    b.len() == 10 && date_prefix(b)
}

/// RFC 3339 `full-time`: `HH:MM:SS[.frac](Z|+HH:MM|-HH:MM)`. Leap seconds (`:60`) and
/// lower-case `z` are valid RFC 3339 but rejected here, because validators disagree on them.
fn is_time(b: &[u8]) -> bool {
    let (Some(h), Some(mi), Some(s)) = (digits(b, 0, 2), digits(b, 3, 2), digits(b, 6, 2)) else {
        return false;
    };
    if b.get(2) != Some(&b':') || b.get(5) != Some(&b':') || h > 23 || mi > 59 || s > 59 {
        return false;
    }
    let mut i = 8;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            let (Some(oh), Some(om)) = (digits(b, i + 1, 2), digits(b, i + 4, 2)) else {
                return false;
            };
            b.get(i + 3) == Some(&b':') && oh <= 23 && om <= 59 && i + 6 == b.len()
        }
        _ => false,
    }
}

fn is_date_time(b: &[u8]) -> bool {
    b.len() >= 20 && date_prefix(b) && b[10] == b'T' && is_time(&b[11..])
}

fn is_uuid(b: &[u8]) -> bool {
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn is_ipv4(s: &str) -> bool {
    // std rejects leading zeros ("010.0.0.1"), as validators do.
    s.parse::<Ipv4Addr>().is_ok()
}

fn is_dns_label(l: &str) -> bool {
    !l.is_empty()
        && l.len() <= 63
        && !l.starts_with('-')
        && !l.ends_with('-')
        && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
}

/// A conservative `local@domain.tld`: dot-atoms of common characters, a DNS host name with
/// at least two labels and an alphabetic top-level label. Quoted local parts and IP-literal
/// domains are valid RFC 5321 but left out on purpose.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.bytes().all(|c| c.is_ascii_alphanumeric() || b"._%+-".contains(&c));
    let labels: Vec<&str> = domain.split('.').collect();
    local_ok
        && domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| is_dns_label(l))
        && labels.last().is_some_and(|t| t.len() >= 2 && t.bytes().all(|c| c.is_ascii_alphabetic()))
}

/// Characters allowed anywhere in a URI (RFC 3986 unreserved, reserved minus brackets, and
/// `%`), as a lookup table: URL-valued fields are common and this check runs on each byte.
const URI_CHARS: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric();
        c += 1;
    }
    let extra = b"-._~:/?#@!$&'()*+,;=%";
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
};

fn is_uri_char(c: u8) -> bool {
    URI_CHARS[usize::from(c)]
}

/// An absolute URI: `scheme://authority/path...` or one of [`OPAQUE_SCHEMES`]. Brackets
/// (IP literals) are excluded to stay inside what every validator accepts.
fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else { return false };
    let sb = scheme.as_bytes();
    if sb.is_empty()
        || !sb[0].is_ascii_alphabetic()
        || !sb.iter().all(|c| c.is_ascii_alphanumeric() || b"+-.".contains(c))
        || rest.is_empty()
    {
        return false;
    }
    let rb = rest.as_bytes();
    if !rb.iter().all(|&c| is_uri_char(c)) || !percent_ok(rb) || rest.matches('#').count() > 1 {
        return false;
    }
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        authority_ok(&after[..end])
    } else {
        let lower = scheme.to_ascii_lowercase();
        OPAQUE_SCHEMES.contains(&lower.as_str()) && !rest.starts_with('/')
    }
}

fn percent_ok(b: &[u8]) -> bool {
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let ok = b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

fn authority_ok(a: &str) -> bool {
    let host_port = match a.rsplit_once('@') {
        Some((user, hp)) => {
            if user.contains('@') {
                return false;
            }
            hp
        }
        None => a,
    };
    let (host, port) = match host_port.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (host_port, None),
    };
    let port_ok = port.is_none_or(|p| p.len() <= 5 && p.bytes().all(|c| c.is_ascii_digit()));
    let host_ok = !host.is_empty()
        && host.bytes().all(|c| c.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=".contains(&c));
    port_ok && host_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(s: &str) -> Option<&'static str> {
        name(detect(s, ALL))
    }

    #[test]
    fn recognises_each_format() {
        assert_eq!(fmt("2024-02-29T10:00:00Z"), Some("date-time"));
        assert_eq!(fmt("2024-02-29T10:00:00.123+01:00"), Some("date-time"));
        assert_eq!(fmt("2023-02-29T10:00:00Z"), None);
        assert_eq!(fmt("2024-12-31"), Some("date"));
        assert_eq!(fmt("23:59:59Z"), Some("time"));
        assert_eq!(fmt("23:59:59"), None);
        assert_eq!(fmt("0f8fad5b-d9cb-469f-a165-70867728950e"), Some("uuid"));
        assert_eq!(fmt("0F8FAD5B-D9CB-469F-A165-70867728950E"), Some("uuid"));
        assert_eq!(fmt("10.0.0.255"), Some("ipv4"));
        assert_eq!(fmt("010.0.0.1"), None);
        assert_eq!(fmt("fe80::1"), Some("ipv6"));
        assert_eq!(fmt("ada@example.com"), Some("email"));
        assert_eq!(fmt("ada@localhost"), None);
        assert_eq!(fmt("https://example.com:8443/a?b=c#d"), Some("uri"));
        assert_eq!(fmt("arn:aws:s3:::bucket/key"), Some("uri"));
        assert_eq!(fmt("status:ok"), None);
        assert_eq!(fmt("hello"), None);
        assert_eq!(fmt(""), None);
    }
}
