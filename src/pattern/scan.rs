//! The raw-bytes flattener: a JSON scanner that decodes only the paths some pattern
//! names and skips everything else at memory speed, producing the same [`Flat`] as
//! [`flatten_value`](super::flatten::flatten_value).

use std::borrow::Cow;

use super::error::EventError;
use super::flatten::{FieldTable, Flat, MAX_EVENT_DEPTH, PathNode};
use super::ops::Leaf;

/// Flattens raw JSON bytes, parsing only what some pattern needs.
///
/// Skipped subtrees are checked for balanced structure and string syntax only.
pub(crate) fn flatten_bytes<'a>(table: &FieldTable, bytes: &'a [u8]) -> Result<Flat<'a>, EventError> {
    let mut sc = Scanner { b: bytes, i: 0 };
    let mut flat = Flat::with_capacity();
    sc.ws();
    if sc.peek() == Some(b'{') && !table.is_empty() {
        let mut path = Vec::new();
        let mut stack = Vec::new();
        let root = PathNode { field: None, below: 1 };
        sc.object(table, &mut path, root, &mut stack, &mut flat, 0)?;
    } else {
        sc.skip_value()?;
    }
    sc.ws();
    if sc.i != bytes.len() {
        return Err(sc.err("trailing characters"));
    }
    Ok(flat.finish())
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    fn err(&self, message: &'static str) -> EventError {
        EventError { offset: self.i, message }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.i += 1;
        }
    }

    fn expect(&mut self, c: u8, message: &'static str) -> Result<(), EventError> {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err(message))
        }
    }

    /// Parses an object at the cursor (which is on `{`), descending into needed keys.
    fn object(
        &mut self,
        table: &FieldTable,
        path: &mut Vec<u8>,
        node: PathNode,
        stack: &mut Vec<(u32, u32)>,
        flat: &mut Flat<'a>,
        depth: usize,
    ) -> Result<(), EventError> {
        self.i += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        let len = path.len();
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a key"));
            }
            let key = self.key()?;
            self.expect(b':', "expected ':'")?;
            if !path.is_empty() {
                path.push(b'.');
            }
            path.extend_from_slice(&key);
            match table.node_bytes(path).filter(|_| node.below > 0) {
                Some(child) => self.value(table, path, child, stack, flat, depth + 1)?,
                None => self.skip_value()?,
            }
            path.truncate(len);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(self.err("expected ',' or '}'")),
            }
        }
    }

    fn value(
        &mut self,
        table: &FieldTable,
        path: &mut Vec<u8>,
        node: PathNode,
        stack: &mut Vec<(u32, u32)>,
        flat: &mut Flat<'a>,
        depth: usize,
    ) -> Result<(), EventError> {
        if depth > MAX_EVENT_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        self.ws();
        let leaf = match self.peek() {
            Some(b'{') => {
                if node.below == 0 {
                    return self.skip_value();
                }
                return self.object(table, path, node, stack, flat, depth);
            }
            Some(b'[') => return self.array(table, path, node, stack, flat, depth),
            Some(b'"') => {
                if node.field.is_none() {
                    return self.skip_string();
                }
                Leaf::Str(self.string()?)
            }
            Some(b't') => self.literal(b"true", Leaf::Bool(true))?,
            Some(b'f') => self.literal(b"false", Leaf::Bool(false))?,
            Some(b'n') => self.literal(b"null", Leaf::Null)?,
            Some(b'-' | b'0'..=b'9') => Leaf::Num(self.number()?),
            _ => return Err(self.err("expected a value")),
        };
        if let Some(field) = node.field {
            flat.push_leaf(field, leaf, stack);
        }
        Ok(())
    }

    fn array(
        &mut self,
        table: &FieldTable,
        path: &mut Vec<u8>,
        node: PathNode,
        stack: &mut Vec<(u32, u32)>,
        flat: &mut Flat<'a>,
        depth: usize,
    ) -> Result<(), EventError> {
        self.i += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(());
        }
        let mut id = None;
        let mut index = 0u32;
        loop {
            self.ws();
            match self.peek() {
                Some(b'{') if node.below == 0 => self.skip_value()?,
                Some(b'{' | b'[') => {
                    let aid = *id.get_or_insert_with(|| flat.new_array(path));
                    stack.push((aid, index));
                    let r = self.value(table, path, node, stack, flat, depth + 1);
                    stack.pop();
                    r?;
                }
                _ => self.value(table, path, node, stack, flat, depth + 1)?,
            }
            index = index.saturating_add(1);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(self.err("expected ',' or ']'")),
            }
        }
    }

    fn literal(&mut self, word: &[u8], leaf: Leaf<'a>) -> Result<Leaf<'a>, EventError> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(leaf)
        } else {
            Err(self.err("invalid literal"))
        }
    }

    fn number(&mut self) -> Result<f64, EventError> {
        let text = self.number_text()?;
        match text.parse::<f64>() {
            // serde_json rejects numbers that overflow a double; so do we.
            Ok(n) if n.is_finite() => Ok(n),
            _ => Err(self.err("number out of range")),
        }
    }

    /// Consumes a number and checks its grammar without converting it.
    fn number_text(&mut self) -> Result<&'a str, EventError> {
        let start = self.i;
        while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        let text = std::str::from_utf8(&self.b[start..self.i]).map_err(|_| self.err("invalid number"))?;
        if !valid_json_number(text) {
            return Err(self.err("invalid number"));
        }
        Ok(text)
    }

    /// Advances past ordinary string bytes (anything but `"`, `\` and control
    /// characters) in one tight loop.
    fn scan_plain(&mut self) {
        // Word at a time: skip 8 bytes while none is `"`, `\\` or below 0x20. The
        // "has zero byte" test has no false negatives; the byte loop below finds the
        // exact position inside the first flagged word. A local index keeps the loop
        // in registers.
        let b = self.b;
        let mut i = self.i;
        while let Some(w) = word_at(b, i) {
            let flagged = has_zero(w ^ splat(b'"'))
                | has_zero(w ^ splat(b'\\'))
                | (w.wrapping_sub(splat(0x20)) & !w & splat(0x80));
            if flagged != 0 {
                break;
            }
            i += 8;
        }
        while let Some(&c) = b.get(i) {
            if c == b'"' || c == b'\\' || c < 0x20 {
                break;
            }
            i += 1;
        }
        self.i = i;
    }

    fn skip_string(&mut self) -> Result<(), EventError> {
        self.i += 1;
        loop {
            self.scan_plain();
            match self.peek() {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(());
                }
                Some(b'\\') => self.i += 2,
                Some(_) => return Err(self.err("control character in string")),
                None => return Err(self.err("unterminated string")),
            }
        }
    }

    /// Reads an object key as raw bytes; only keys with escapes are decoded.
    fn key(&mut self) -> Result<Cow<'a, [u8]>, EventError> {
        let open = self.i;
        self.i += 1;
        let start = self.i;
        self.scan_plain();
        if self.peek() == Some(b'"') {
            self.i += 1;
            return Ok(Cow::Borrowed(&self.b[start..self.i - 1]));
        }
        self.i = open;
        Ok(match self.string()? {
            Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        })
    }

    /// Parses the string at the cursor (on `"`), borrowing when there are no escapes.
    fn string(&mut self) -> Result<Cow<'a, str>, EventError> {
        self.i += 1;
        let start = self.i;
        loop {
            self.scan_plain();
            match self.peek() {
                Some(b'"') => {
                    let s =
                        std::str::from_utf8(&self.b[start..self.i]).map_err(|_| self.err("invalid UTF-8"))?;
                    self.i += 1;
                    return Ok(Cow::Borrowed(s));
                }
                Some(b'\\') => break,
                Some(c) if c < 0x20 => return Err(self.err("control character in string")),
                Some(_) => self.i += 1,
                None => return Err(self.err("unterminated string")),
            }
        }
        let mut out: Vec<u8> = self.b[start..self.i].to_vec();
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.i += 1;
                    return String::from_utf8(out).map(Cow::Owned).map_err(|_| self.err("invalid UTF-8"));
                }
                Some(b'\\') => {
                    self.i += 1;
                    let esc = self.peek().ok_or_else(|| self.err("unterminated string"))?;
                    self.i += 1;
                    let c = match esc {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(self.err("invalid escape")),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                Some(c) if c < 0x20 => return Err(self.err("control character in string")),
                Some(c) => {
                    out.push(c);
                    self.i += 1;
                }
                None => return Err(self.err("unterminated string")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, EventError> {
        let digits = self.b.get(self.i..self.i + 4).ok_or_else(|| self.err("bad \\u escape"))?;
        let text = std::str::from_utf8(digits).map_err(|_| self.err("bad \\u escape"))?;
        let v = u32::from_str_radix(text, 16).map_err(|_| self.err("bad \\u escape"))?;
        self.i += 4;
        Ok(v)
    }

    fn unicode_escape(&mut self) -> Result<char, EventError> {
        let hi = self.hex4()?;
        if (0xD800..0xDC00).contains(&hi) {
            if self.b.get(self.i..self.i + 2) == Some(b"\\u") {
                self.i += 2;
                let lo = self.hex4()?;
                if (0xDC00..0xE000).contains(&lo) {
                    let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    return char::from_u32(c).ok_or_else(|| self.err("bad surrogate pair"));
                }
            }
            return Err(self.err("lone surrogate"));
        }
        char::from_u32(hi).ok_or_else(|| self.err("lone surrogate"))
    }

    /// Skips one value without building anything. Scalars are fully checked;
    /// containers are skipped by a fast structural scan (brackets balanced and of the
    /// right kind, strings well formed) without checking commas, colons or literals
    /// inside them: a pattern never looks there. Iterative, so deep nesting cannot
    /// overflow the stack.
    fn skip_value(&mut self) -> Result<(), EventError> {
        self.ws();
        match self.peek() {
            Some(b'{' | b'[') => self.skip_container(),
            Some(b'"') => self.skip_string(),
            Some(b't') => self.literal(b"true", Leaf::Null).map(|_| ()),
            Some(b'f') => self.literal(b"false", Leaf::Null).map(|_| ()),
            Some(b'n') => self.literal(b"null", Leaf::Null).map(|_| ()),
            Some(b'-' | b'0'..=b'9') => self.number_text().map(|_| ()),
            _ => Err(self.err("expected a value")),
        }
    }

    fn skip_container(&mut self) -> Result<(), EventError> {
        let b = self.b;
        let mut i = self.i;
        let mut closers = Closers::default();
        loop {
            // Jump over bytes that are none of `"` `{` `}` `[` `]`; OR-ing 0x20 maps
            // `[`/`]` onto `{`/`}` and no other byte onto either.
            while let Some(w) = word_at(b, i) {
                let folded = w | splat(0x20);
                let flagged = has_zero(w ^ splat(b'"'))
                    | has_zero(folded ^ splat(b'{'))
                    | has_zero(folded ^ splat(b'}'));
                if flagged != 0 {
                    break;
                }
                i += 8;
            }
            let Some(&c) = b.get(i) else {
                self.i = i;
                return Err(self.err("unbalanced structure"));
            };
            match c {
                b'{' => closers.push(b'}'),
                b'[' => closers.push(b']'),
                b'}' | b']' => {
                    if closers.last() != Some(c) {
                        self.i = i;
                        return Err(self.err("unbalanced structure"));
                    }
                    closers.pop();
                    if closers.len == 0 {
                        self.i = i + 1;
                        return Ok(());
                    }
                }
                b'"' => {
                    self.i = i;
                    self.skip_string()?;
                    i = self.i;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    }
}

/// The 8 bytes at `i` as a little-endian word, if there are 8 left.
#[inline]
fn word_at(b: &[u8], i: usize) -> Option<u64> {
    let chunk = b.get(i..i.checked_add(8)?)?;
    let mut word = [0u8; 8];
    word.copy_from_slice(chunk);
    Some(u64::from_le_bytes(word))
}

/// `byte` repeated in every byte of a word.
#[inline]
const fn splat(byte: u8) -> u64 {
    0x0101_0101_0101_0101 * byte as u64
}

/// Non-zero when some byte of `v` is zero (exact for the lowest such byte).
#[inline]
const fn has_zero(v: u64) -> u64 {
    v.wrapping_sub(splat(1)) & !v & splat(0x80)
}

/// Open containers while skipping: one bit per level (set = object). 128 levels fit
/// in the integer, so ordinary events never allocate; deeper ones spill to a `Vec`.
#[derive(Default)]
struct Closers {
    bits: u128,
    len: usize,
    spill: Vec<u8>,
}

impl Closers {
    fn push(&mut self, closer: u8) {
        if self.len < 128 {
            let bit = 1u128 << self.len;
            if closer == b'}' {
                self.bits |= bit;
            } else {
                self.bits &= !bit;
            }
        } else {
            self.spill.push(closer);
        }
        self.len += 1;
    }

    fn last(&self) -> Option<u8> {
        match self.len {
            0 => None,
            n if n > 128 => self.spill.last().copied(),
            n => Some(if self.bits >> (n - 1) & 1 == 1 { b'}' } else { b']' }),
        }
    }

    fn pop(&mut self) {
        if self.len > 128 {
            self.spill.pop();
        }
        self.len = self.len.saturating_sub(1);
    }
}

/// JSON number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn valid_json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let int_start = i;
    let n = digits(&mut i);
    if n == 0 || (n > 1 && b[int_start] == b'0') {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}
