//! PURE: strict percent-decoding of URI parts (JSON Pointer fragments of `$ref`s, path
//! segments of the Schemas REST API): `None` for a `%` not followed by two hex digits or
//! for bytes that are not UTF-8, so a malformed part is refused instead of guessed.

/// Decodes `%XX` escapes (no `+` as space: these are paths and fragments).
pub fn decode_strict(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_decode_and_malformed_ones_are_refused() {
        assert_eq!(decode_strict("a%2Fb%40c").as_deref(), Some("a/b@c"));
        assert_eq!(decode_strict("plain").as_deref(), Some("plain"));
        assert_eq!(decode_strict("x%"), None);
        assert_eq!(decode_strict("x%zz"), None);
        assert_eq!(decode_strict("%ff"), None, "not UTF-8");
    }
}
