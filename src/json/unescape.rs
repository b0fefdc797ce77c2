//! The text of a JSON string literal, unescaped: how an AWS PutEvents `Detail` (a JSON
//! object sent as a string) becomes the object's text.
//!
//! Why not `serde_json::from_str::<String>`: that goes through a scratch buffer and a byte
//! loop, about 1 µs for a 1 KB detail (every quote in it escaped), which was half of what
//! the AWS front end cost over the native endpoint (docs/AWS-API.md, performance). Here
//! the plain runs between escapes are found with `memchr` and copied whole, once.
//! The fuzz target `json_doc` checks it against `serde_json` on every input.

/// The content of the JSON string literal `raw` (with its quotes), as `serde_json` reads
/// it; `None` for what is not one string literal, as far as an escape or a quote tells.
///
/// Meant for a literal `serde_json` has already checked (a `RawValue`): raw control
/// characters, which JSON forbids in strings, are not looked for again.
pub fn string_literal(raw: &str) -> Option<String> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(i) = memchr::memchr2(b'\\', b'"', rest.as_bytes()) {
        let bytes = rest.as_bytes();
        if bytes[i] == b'"' {
            return None;
        }
        out.push_str(&rest[..i]);
        let mut next = i + 2;
        match bytes.get(i + 1)? {
            b'"' => out.push('"'),
            b'\\' => out.push('\\'),
            b'/' => out.push('/'),
            b'b' => out.push('\u{8}'),
            b'f' => out.push('\u{c}'),
            b'n' => out.push('\n'),
            b'r' => out.push('\r'),
            b't' => out.push('\t'),
            b'u' => {
                let first = hex4(bytes.get(i + 2..i + 6)?)?;
                next = i + 6;
                let c = if (0xD800..0xDC00).contains(&first) {
                    // A leading surrogate must be followed by the escape of a trailing one.
                    if bytes.get(next..next + 2)? != b"\\u" {
                        return None;
                    }
                    let second = hex4(bytes.get(next + 2..next + 6)?)?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return None;
                    }
                    next += 6;
                    char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))?
                } else {
                    // A lone trailing surrogate is no char: None, as serde_json refuses it.
                    char::from_u32(first)?
                };
                out.push(c);
            }
            _ => return None,
        }
        rest = &rest[next..];
    }
    out.push_str(rest);
    Some(out)
}

/// Four hex digits (exactly: no sign, as `from_str_radix` would take).
fn hex4(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |n, &b| Some(n * 16 + char::from(b).to_digit(16)?))
}

#[cfg(test)]
mod tests {
    use super::string_literal;

    fn serde(raw: &str) -> Option<String> {
        serde_json::from_str(raw).ok()
    }

    #[test]
    fn reads_literals_as_serde_json_does() {
        for raw in [
            r#""""#,
            r#""plain""#,
            r#""{\"orderId\":\"o-1\",\"amount\":12.5}""#,
            r#""a\\b\/c\b\f\n\r\t""#,
            r#""\u00e9\u20AC\ud83d\ude00 é""#,
            r#""tail\"""#,
        ] {
            assert_eq!(string_literal(raw), serde(raw), "{raw}");
            assert!(string_literal(raw).is_some(), "{raw}");
        }
    }

    #[test]
    fn refuses_what_serde_json_refuses() {
        for raw in [
            r#""\ud83d""#,
            r#""\ud83dx""#,
            r#""\ud83d\u0041""#,
            r#""\ude00""#,
            r#""\u+0ab""#,
            r#""\u12""#,
            r#""\x""#,
            r#""a"b""#,
            r#""\"#,
            r#"unquoted"#,
            r#"""#,
        ] {
            assert_eq!(string_literal(raw), None, "{raw}");
            assert_eq!(serde(raw), None, "{raw}");
        }
    }
}
