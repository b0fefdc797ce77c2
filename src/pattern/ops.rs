//! Value-level matchers: what one alternative of a pattern leaf accepts.
//!
//! These are the building blocks shared by the parser (which builds them), the
//! compiled index (which indexes most of them and falls back to [`Alt::accepts`] for
//! the rest) and the one-pattern evaluator.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

/// One scalar value found at a leaf of an event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Leaf<'a> {
    /// A JSON string (already unescaped).
    Str(Cow<'a, str>),
    /// A JSON number; EventBridge compares numbers as IEEE-754 doubles.
    Num(f64),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// Canonical bit pattern of a number so `0.0` and `-0.0` hash alike.
pub(crate) fn num_key(n: f64) -> u64 {
    if n == 0.0 { 0 } else { n.to_bits() }
}

/// A scalar an exact alternative compares against.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

/// A numeric range; `None` bounds are open-ended. `(value, inclusive)`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Range {
    pub lower: Option<(f64, bool)>,
    pub upper: Option<(f64, bool)>,
}

impl Range {
    pub(crate) fn contains(&self, n: f64) -> bool {
        let lower_ok = match self.lower {
            None => true,
            Some((b, true)) => n >= b,
            Some((b, false)) => n > b,
        };
        let upper_ok = match self.upper {
            None => true,
            Some((b, true)) => n <= b,
            Some((b, false)) => n < b,
        };
        lower_ok && upper_ok
    }
}

/// An IPv4 or IPv6 network. IPv4 addresses live in the low 32 bits of `net`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Cidr {
    pub v6: bool,
    pub len: u8,
    pub net: u128,
}

impl Cidr {
    /// Masks `addr` to `len` leading bits of a `width`-bit address.
    pub(crate) fn mask(addr: u128, len: u8, v6: bool) -> u128 {
        let width: u32 = if v6 { 128 } else { 32 };
        let len = u32::from(len);
        if len == 0 {
            return 0;
        }
        let keep_low_zero = width - len;
        // checked_shl keeps this panic-free for len == width (shift by 0 is fine) and
        // shift amounts are always < 128 here.
        (addr >> keep_low_zero).checked_shl(keep_low_zero).unwrap_or(0)
    }

    pub(crate) fn contains(&self, leaf: &str) -> bool {
        match parse_ip(leaf) {
            Some((v6, addr)) => v6 == self.v6 && Self::mask(addr, self.len, v6) == self.net,
            None => false,
        }
    }
}

/// Parses an event value as an IP address: `(is_v6, address bits)`.
pub(crate) fn parse_ip(s: &str) -> Option<(bool, u128)> {
    if let Ok(v4) = s.parse::<Ipv4Addr>() {
        return Some((false, u128::from(u32::from(v4))));
    }
    s.parse::<Ipv6Addr>().ok().map(|v6| (true, u128::from(v6)))
}

/// A compiled `wildcard` glob: literal pieces separated by `*`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Glob {
    /// `parts.len() == number of stars + 1`; pieces are unescaped literals.
    pub parts: Vec<String>,
}

impl Glob {
    pub(crate) fn matches(&self, s: &str) -> bool {
        let Some((first, rest)) = self.parts.split_first() else {
            return s.is_empty();
        };
        let Some((last, middle)) = rest.split_last() else {
            return s == first;
        };
        if s.len() < first.len() + last.len() || !s.starts_with(first.as_str()) {
            return false;
        }
        if !s.ends_with(last.as_str()) {
            return false;
        }
        // Greedy leftmost placement of the middle pieces is optimal for `*`-only globs:
        // taking the earliest occurrence never removes a possibility for later pieces.
        let mut window = &s[first.len()..s.len() - last.len()];
        for piece in middle {
            match window.find(piece.as_str()) {
                Some(at) => window = &window[at + piece.len()..],
                None => return false,
            }
        }
        true
    }

    /// The literal text before the first star (used to index the glob like a prefix).
    pub(crate) fn literal_prefix(&self) -> &str {
        self.parts.first().map_or("", String::as_str)
    }

    /// The literal text after the last star.
    pub(crate) fn literal_suffix(&self) -> &str {
        self.parts.last().map_or("", String::as_str)
    }
}

/// The `anything-but` flavours. Each lists what is excluded.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AnythingBut {
    /// Excluded strings and numbers (single value or list).
    Values { strs: Vec<String>, nums: Vec<f64> },
    /// Excluded string prefixes.
    Prefix(Vec<String>),
    /// Excluded string suffixes.
    Suffix(Vec<String>),
    /// Excluded strings, compared case-insensitively (stored lower-cased).
    IgnoreCase(Vec<String>),
    /// Excluded globs.
    Wildcard(Vec<Glob>),
}

impl AnythingBut {
    /// `anything-but` accepts every leaf (null and other types included) except the
    /// excluded ones; a missing field never reaches this function.
    fn accepts(&self, leaf: &Leaf<'_>) -> bool {
        match (self, leaf) {
            (Self::Values { strs, .. }, Leaf::Str(s)) => !strs.iter().any(|x| x == s),
            (Self::Values { nums, .. }, Leaf::Num(n)) => !nums.contains(n),
            (Self::Prefix(ps), Leaf::Str(s)) => !ps.iter().any(|p| s.starts_with(p.as_str())),
            (Self::Suffix(ps), Leaf::Str(s)) => !ps.iter().any(|p| s.ends_with(p.as_str())),
            (Self::IgnoreCase(xs), Leaf::Str(s)) => {
                let lower = fold(s);
                !xs.iter().any(|x| *x == lower)
            }
            (Self::Wildcard(gs), Leaf::Str(s)) => !gs.iter().any(|g| g.matches(s)),
            _ => true,
        }
    }
}

/// One alternative of a pattern leaf (the elements of `"field": [ ... ]`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Alt {
    Exact(Scalar),
    Prefix(String),
    /// Stored lower-cased.
    PrefixIc(String),
    Suffix(String),
    /// Stored lower-cased.
    SuffixIc(String),
    /// Stored lower-cased.
    EqualsIc(String),
    AnythingBut(AnythingBut),
    Numeric(Range),
    /// `exists: true` (`exists: false` is a property of the condition, not an alternative).
    Exists,
    Cidr(Cidr),
    Wildcard(Glob),
}

/// Case folding used by every `equals-ignore-case` flavour: Unicode lower case.
pub(crate) fn fold(s: &str) -> Cow<'_, str> {
    if s.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

impl Alt {
    /// Whether this alternative accepts a leaf value present in the event.
    pub(crate) fn accepts(&self, leaf: &Leaf<'_>) -> bool {
        match (self, leaf) {
            (Self::Exact(Scalar::Str(a)), Leaf::Str(b)) => a == b,
            (Self::Exact(Scalar::Num(a)), Leaf::Num(b)) => a == b,
            (Self::Exact(Scalar::Bool(a)), Leaf::Bool(b)) => a == b,
            (Self::Exact(Scalar::Null), Leaf::Null) => true,
            (Self::Exact(_), _) => false,
            (Self::Prefix(p), Leaf::Str(s)) => s.starts_with(p.as_str()),
            (Self::PrefixIc(p), Leaf::Str(s)) => fold(s).starts_with(p.as_str()),
            (Self::Suffix(p), Leaf::Str(s)) => s.ends_with(p.as_str()),
            (Self::SuffixIc(p), Leaf::Str(s)) => fold(s).ends_with(p.as_str()),
            (Self::EqualsIc(p), Leaf::Str(s)) => *p == fold(s),
            (Self::AnythingBut(ab), l) => ab.accepts(l),
            (Self::Numeric(r), Leaf::Num(n)) => r.contains(*n),
            (Self::Exists, _) => true,
            (Self::Cidr(c), Leaf::Str(s)) => c.contains(s),
            (Self::Wildcard(g), Leaf::Str(s)) => g.matches(s),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(parts: &[&str]) -> Glob {
        Glob { parts: parts.iter().map(|s| s.to_string()).collect() }
    }

    #[test]
    fn glob_matching_places_pieces_in_order_without_overlap() {
        let g = glob(&["a", "b", "a"]);
        assert!(g.matches("aba"));
        assert!(g.matches("abba"));
        assert!(!g.matches("aa"));
        let g = glob(&["ab", "ba"]);
        assert!(!g.matches("aba"), "first and last piece may not overlap");
        assert!(glob(&["", ""]).matches(""));
        assert!(glob(&[""]).matches(""));
        assert!(!glob(&[""]).matches("x"));
    }

    #[test]
    fn cidr_mask_handles_full_and_zero_lengths() {
        assert_eq!(Cidr::mask(u128::MAX, 0, true), 0);
        assert_eq!(Cidr::mask(u128::MAX, 128, true), u128::MAX);
        assert_eq!(Cidr::mask(0xffff_ffff, 32, false), 0xffff_ffff);
        assert_eq!(Cidr::mask(0xffff_ffff, 24, false), 0xffff_ff00);
    }
}
