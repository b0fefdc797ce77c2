//! Parsing a JSON event pattern into conjunctions of field conditions.
//!
//! A pattern is normalised to disjunctive form: `$or` is expanded into a list of
//! conjunctions (at most [`MAX_OR_COMBINATIONS`]), each a list of conditions ordered
//! most selective first (then by path). Paths are the event keys joined with `.`, which is what gives
//! EventBridge's dotted-key quirk (`{"a":{"b":..}}` and `{"a.b":..}` are the same field).

use serde_json::{Map, Value};

use super::error::PatternError;
use super::ops::{Alt, AnythingBut, Cidr, Glob, Range, Scalar, fold};

/// Largest number of conjunctions a pattern may expand to through `$or`.
pub const MAX_OR_COMBINATIONS: usize = 1000;
/// Largest number of `*` in one wildcard glob; more is "too complex".
pub const MAX_WILDCARD_STARS: usize = 5;
/// Deepest object nesting accepted in a pattern (keeps parsing recursion bounded).
pub const MAX_PATTERN_DEPTH: usize = 64;

const OPERATORS: [&str; 8] =
    ["prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists", "cidr", "wildcard"];

/// One field condition: the field must satisfy at least one alternative.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    /// Field path, keys joined with `.`.
    pub path: String,
    /// Positive alternatives (ORed).
    pub alts: Vec<Alt>,
    /// Whether an `{"exists": false}` alternative is present: then the condition also
    /// holds when the event has no leaf at `path`.
    pub absent_ok: bool,
    /// Canonical text of the condition, used to share automaton states.
    pub key: String,
}

impl Condition {
    /// 0 = picks out single values … 3 = accepts most values. A condition is as
    /// unselective as its least selective alternative.
    fn selectivity(&self) -> u8 {
        let alt_rank = |a: &Alt| match a {
            Alt::Exact(_) | Alt::EqualsIc(_) => 0,
            Alt::Numeric(r) if r.lower.is_some() && r.lower == r.upper => 0,
            Alt::Prefix(p) | Alt::Suffix(p) | Alt::PrefixIc(p) | Alt::SuffixIc(p) if !p.is_empty() => 1,
            Alt::Cidr(_) => 1,
            Alt::Wildcard(g) if !g.literal_prefix().is_empty() || !g.literal_suffix().is_empty() => 1,
            Alt::Numeric(_) => 2,
            _ => 3,
        };
        let worst = self.alts.iter().map(alt_rank).max().unwrap_or(0);
        if self.absent_ok { 3 } else { worst }
    }

    fn new(path: String, mut alts: Vec<Alt>, absent_ok: bool) -> Self {
        // Canonical order so `["a","b"]` and `["b","a"]` share a state.
        let mut keyed: Vec<(String, Alt)> = alts.drain(..).map(|a| (format!("{a:?}"), a)).collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        keyed.dedup_by(|a, b| a.0 == b.0);
        let mut key = format!("{path}\u{0}{absent_ok}");
        for (k, _) in &keyed {
            key.push('\u{0}');
            key.push_str(k);
        }
        Self { path, alts: keyed.into_iter().map(|(_, a)| a).collect(), absent_ok, key }
    }
}

/// A parsed, valid event pattern.
///
/// Build it with [`Pattern::parse`] (or [`Pattern::from_json_str`]); test it against one
/// event with [`Pattern::matches`], or add it to a
/// [`PatternMatcher`](super::PatternMatcher) to match many patterns at once.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// Alternatives after `$or` expansion; the pattern matches if any conjunction does.
    pub(crate) conjunctions: Vec<Vec<Condition>>,
}

impl Pattern {
    /// Parses and validates a pattern.
    ///
    /// # Errors
    /// A [`PatternError`] whose reason is the EventBridge text for the first problem found.
    pub fn parse(pattern: &Value) -> Result<Self, PatternError> {
        let Value::Object(map) = pattern else {
            return Err(PatternError::new("Filter is not an object"));
        };
        let mut conjunctions = parse_object(map, None, 0)?;
        for conj in &mut conjunctions {
            // Most selective conditions first: the automaton branches on them at the
            // root, so an event only walks into the few states its values select,
            // however many patterns share their unselective conditions.
            conj.sort_by(|a, b| (a.selectivity(), &a.path, &a.key).cmp(&(b.selectivity(), &b.path, &b.key)));
            conj.dedup_by(|a, b| a.key == b.key);
        }
        Ok(Self { conjunctions })
    }

    /// Parses a pattern from JSON text (duplicate keys: the last one wins).
    ///
    /// # Errors
    /// Malformed JSON is reported with the parser's message as the reason.
    pub fn from_json_str(text: &str) -> Result<Self, PatternError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| PatternError::new(format!("Malformed JSON: {e}")))?;
        Self::parse(&value)
    }

    /// The distinct field paths the pattern names (keys joined with `.`).
    pub fn fields(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.conjunctions.iter().flatten().map(|c| c.path.as_str()).collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

type Conjunctions = Vec<Vec<Condition>>;

/// The conjunctions of the object at `prefix` (`None`: the pattern itself; an empty key
/// is a path segment like any other, so `{"": {"a": …}}` is the path `.a`, as the event
/// side flattens `{"": {"a": …}}`).
fn parse_object(
    map: &Map<String, Value>,
    prefix: Option<&str>,
    depth: usize,
) -> Result<Conjunctions, PatternError> {
    if depth > MAX_PATTERN_DEPTH {
        return Err(PatternError::new(format!("Pattern is nested deeper than {MAX_PATTERN_DEPTH} levels")));
    }
    if map.is_empty() {
        return Err(PatternError::new("Empty objects are not allowed"));
    }
    // Start with one empty conjunction and AND every member into it.
    let mut acc: Conjunctions = vec![Vec::new()];
    for (key, value) in map {
        let member = if key == "$or" && is_or_array(value) {
            let mut branches = Vec::new();
            for branch in value.as_array().into_iter().flatten() {
                if let Value::Object(b) = branch {
                    branches.extend(parse_object(b, prefix, depth + 1)?);
                    check_combinations(branches.len())?;
                }
            }
            branches
        } else {
            let path = match prefix {
                None => key.clone(),
                Some(prefix) => format!("{prefix}.{key}"),
            };
            match value {
                Value::Object(inner) => parse_object(inner, Some(&path), depth + 1)?,
                Value::Array(items) => vec![vec![parse_leaf(path, items)?]],
                _ => {
                    return Err(PatternError::new(format!("\"{key}\" must be an object or an array")));
                }
            }
        };
        check_combinations(acc.len().saturating_mul(member.len()))?;
        let mut next = Vec::with_capacity(acc.len() * member.len());
        for left in &acc {
            for right in &member {
                let mut both = left.clone();
                both.extend(right.iter().cloned());
                next.push(both);
            }
        }
        acc = next;
    }
    Ok(acc)
}

fn check_combinations(n: usize) -> Result<(), PatternError> {
    if n > MAX_OR_COMBINATIONS {
        return Err(PatternError::new(format!(
            "The $or relationship produces more than {MAX_OR_COMBINATIONS} combinations"
        )));
    }
    Ok(())
}

/// event-ruler only treats `$or` as the operator when its value is an array of at least
/// two objects none of which uses an operator name as a key; otherwise `$or` is an
/// ordinary field name.
fn is_or_array(value: &Value) -> bool {
    let Value::Array(items) = value else {
        return false;
    };
    items.len() >= 2
        && items.iter().all(|item| match item {
            Value::Object(m) => !m.keys().any(|k| OPERATORS.contains(&k.as_str())),
            _ => false,
        })
}

fn parse_leaf(path: String, items: &[Value]) -> Result<Condition, PatternError> {
    if items.is_empty() {
        return Err(PatternError::new("Empty arrays are not allowed"));
    }
    let mut alts = Vec::with_capacity(items.len());
    let mut absent_ok = false;
    for item in items {
        match item {
            Value::String(s) => alts.push(Alt::Exact(Scalar::Str(s.clone()))),
            Value::Number(n) => alts.push(Alt::Exact(Scalar::Num(number(n)))),
            Value::Bool(b) => alts.push(Alt::Exact(Scalar::Bool(*b))),
            Value::Null => alts.push(Alt::Exact(Scalar::Null)),
            Value::Array(_) => {
                return Err(PatternError::new("Match value must be String, number, true, false, or null"));
            }
            Value::Object(op) => match parse_operator(op)? {
                Some(alt) => alts.push(alt),
                None => absent_ok = true,
            },
        }
    }
    Ok(Condition::new(path, alts, absent_ok))
}

fn number(n: &serde_json::Number) -> f64 {
    // Every serde_json number (without arbitrary_precision) converts to f64; the
    // fallback is unreachable but keeps this total.
    n.as_f64().unwrap_or(f64::NAN)
}

/// Parses `{"op": value}`. `Ok(None)` is `{"exists": false}`.
fn parse_operator(op: &Map<String, Value>) -> Result<Option<Alt>, PatternError> {
    let mut entries = op.iter();
    let Some((name, value)) = entries.next() else {
        return Err(PatternError::new("Empty objects are not allowed"));
    };
    if entries.next().is_some() {
        return Err(PatternError::new("Only one key allowed in match expression"));
    }
    let alt = match name.as_str() {
        "prefix" => match value {
            Value::String(s) => Alt::Prefix(s.clone()),
            Value::Object(m) => Alt::PrefixIc(ignore_case_string(m, "prefix")?),
            _ => return Err(must_be_string("prefix")),
        },
        "suffix" => match value {
            Value::String(s) => Alt::Suffix(s.clone()),
            Value::Object(m) => Alt::SuffixIc(ignore_case_string(m, "suffix")?),
            _ => return Err(must_be_string("suffix")),
        },
        "equals-ignore-case" => match value {
            Value::String(s) => Alt::EqualsIc(fold(s).into_owned()),
            _ => return Err(must_be_string("equals-ignore-case")),
        },
        "anything-but" => Alt::AnythingBut(parse_anything_but(value)?),
        "numeric" => Alt::Numeric(parse_numeric(value)?),
        "exists" => match value {
            Value::Bool(true) => Alt::Exists,
            Value::Bool(false) => return Ok(None),
            _ => {
                return Err(PatternError::new("exists match pattern must be either true or false"));
            }
        },
        "cidr" => match value {
            Value::String(s) => Alt::Cidr(parse_cidr(s)?),
            // EventBridge really reports the prefix text here.
            _ => return Err(must_be_string("prefix")),
        },
        "wildcard" => match value {
            Value::String(s) => Alt::Wildcard(parse_glob(s)?),
            _ => return Err(must_be_string("wildcard")),
        },
        other => {
            return Err(PatternError::new(format!("Unrecognized match type {other}")));
        }
    };
    Ok(Some(alt))
}

fn must_be_string(op: &str) -> PatternError {
    PatternError::new(format!("{op} match pattern must be a string"))
}

/// `{"equals-ignore-case": "..."}` inside `prefix`/`suffix`; returns the folded string.
fn ignore_case_string(m: &Map<String, Value>, outer: &str) -> Result<String, PatternError> {
    if m.len() != 1 {
        return Err(must_be_string(outer));
    }
    match m.get("equals-ignore-case") {
        Some(Value::String(s)) => Ok(fold(s).into_owned()),
        Some(_) => Err(must_be_string("equals-ignore-case")),
        None => Err(must_be_string(outer)),
    }
}

const BAD_ANYTHING_BUT: &str = "Value of anything-but must be an array or single string/number value.";

fn parse_anything_but(value: &Value) -> Result<AnythingBut, PatternError> {
    match value {
        Value::String(s) => Ok(AnythingBut::Values { strs: vec![s.clone()], nums: Vec::new() }),
        Value::Number(n) => Ok(AnythingBut::Values { strs: Vec::new(), nums: vec![number(n)] }),
        Value::Array(items) => {
            if items.is_empty() {
                return Err(PatternError::new("Empty arrays are not allowed"));
            }
            let (mut strs, mut nums) = (Vec::new(), Vec::new());
            for item in items {
                match item {
                    Value::String(s) => strs.push(s.clone()),
                    Value::Number(n) => nums.push(number(n)),
                    _ => {
                        return Err(PatternError::new(
                            "Inside anything but list, start|null|boolean is not supported.",
                        ));
                    }
                }
            }
            if !strs.is_empty() && !nums.is_empty() {
                return Err(PatternError::new(
                    "Inside anything but list, strings and numbers cannot be mixed.",
                ));
            }
            Ok(AnythingBut::Values { strs, nums })
        }
        Value::Object(m) => {
            let mut entries = m.iter();
            let Some((name, inner)) = entries.next() else {
                return Err(PatternError::new("Empty objects are not allowed"));
            };
            if entries.next().is_some() {
                return Err(PatternError::new("Only one key allowed in match expression"));
            }
            match name.as_str() {
                "prefix" => Ok(AnythingBut::Prefix(affix_list(inner, "prefix")?)),
                "suffix" => Ok(AnythingBut::Suffix(affix_list(inner, "suffix")?)),
                "equals-ignore-case" => Ok(AnythingBut::IgnoreCase(ignore_case_list(inner)?)),
                "wildcard" => Ok(AnythingBut::Wildcard(wildcard_list(inner)?)),
                other => Err(PatternError::new(format!("Unsupported anything-but pattern: {other}"))),
            }
        }
        _ => Err(PatternError::new(BAD_ANYTHING_BUT)),
    }
}

/// One string or a non-empty list of strings, for the anything-but sub-forms.
fn string_or_list(
    value: &Value,
    single_error: impl Fn() -> PatternError,
    item_error: impl Fn() -> PatternError,
) -> Result<Vec<&str>, PatternError> {
    match value {
        Value::String(s) => Ok(vec![s.as_str()]),
        Value::Array(items) if items.is_empty() => Err(PatternError::new("Empty arrays are not allowed")),
        Value::Array(items) => items.iter().map(|i| i.as_str().ok_or_else(&item_error)).collect(),
        _ => Err(single_error()),
    }
}

fn affix_list(value: &Value, op: &str) -> Result<Vec<String>, PatternError> {
    if value.is_object() {
        // e.g. {"anything-but": {"prefix": {"equals-ignore-case": "x"}}}
        return Err(PatternError::new(BAD_ANYTHING_BUT));
    }
    let items = string_or_list(value, || must_be_string(op), || must_be_string(op))?;
    if items.iter().any(|s| s.is_empty()) {
        return Err(PatternError::new("Null prefix/suffix not allowed"));
    }
    Ok(items.into_iter().map(str::to_owned).collect())
}

fn ignore_case_list(value: &Value) -> Result<Vec<String>, PatternError> {
    let items = string_or_list(
        value,
        || must_be_string("equals-ignore-case"),
        || {
            PatternError::new(
                "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
            )
        },
    )?;
    Ok(items.into_iter().map(|s| fold(s).into_owned()).collect())
}

fn wildcard_list(value: &Value) -> Result<Vec<Glob>, PatternError> {
    let items = string_or_list(value, || must_be_string("wildcard"), || must_be_string("wildcard"))?;
    items.into_iter().map(parse_glob).collect()
}

fn parse_numeric(value: &Value) -> Result<Range, PatternError> {
    let Value::Array(items) = value else {
        return Err(PatternError::new("Value of numeric must be an array."));
    };
    if items.is_empty() {
        return Err(PatternError::new("Empty arrays are not allowed"));
    }
    if items.len() > 4 {
        return Err(PatternError::new("Too many terms in numeric range expression"));
    }
    let mut range = Range { lower: None, upper: None };
    let mut equals = false;
    for (i, term) in items.chunks(2).enumerate() {
        let op = match &term[0] {
            Value::String(s) => s.as_str(),
            other => {
                return Err(PatternError::new(format!("Invalid member in numeric match: {other}")));
            }
        };
        if !matches!(op, "=" | "<" | "<=" | ">" | ">=") {
            return Err(PatternError::new(format!("Unrecognized numeric range operator: {op}")));
        }
        let n = match term.get(1) {
            Some(Value::Number(n)) => number(n),
            _ => return Err(PatternError::new(format!("Value of {op} must be numeric"))),
        };
        if i > 0 && equals {
            return Err(PatternError::new("Too many terms in numeric range expression"));
        }
        match op {
            "=" if i == 0 => {
                equals = true;
                range.lower = Some((n, true));
                range.upper = Some((n, true));
            }
            ">" | ">=" if range.lower.is_none() => range.lower = Some((n, op == ">=")),
            "<" | "<=" if range.upper.is_none() => range.upper = Some((n, op == "<=")),
            _ => {
                return Err(PatternError::new(format!("Bad numeric range operator: {op}")));
            }
        }
    }
    if let (false, Some((lo, _)), Some((hi, _))) = (equals, range.lower, range.upper)
        && lo >= hi
    {
        return Err(PatternError::new("Bottom must be less than top"));
    }
    Ok(range)
}

fn parse_cidr(s: &str) -> Result<Cidr, PatternError> {
    let mut pieces = s.split('/');
    let (Some(ip), Some(bits), None) = (pieces.next(), pieces.next(), pieces.next()) else {
        return Err(PatternError::new("Malformed CIDR, one '/' required"));
    };
    let len: u8 = if !bits.is_empty() && bits.len() <= 3 && bits.bytes().all(|b| b.is_ascii_digit()) {
        bits.parse().map_err(|_| PatternError::new("Malformed CIDR, mask bits must be an integer"))?
    } else {
        return Err(PatternError::new("Malformed CIDR, mask bits must be an integer"));
    };
    let Some((v6, addr)) = super::ops::parse_ip(ip) else {
        return Err(PatternError::new(format!("Nonstandard IP address: {ip}")));
    };
    let width = if v6 { 128 } else { 32 };
    if len > width {
        return Err(PatternError::new(format!("Malformed CIDR, mask bits must be between 0 and {width}")));
    }
    Ok(Cidr { v6, len, net: Cidr::mask(addr, len, v6) })
}

/// Parses a wildcard glob: `*` any run, `\*` a literal star, `\\` a literal backslash.
pub(crate) fn parse_glob(s: &str) -> Result<Glob, PatternError> {
    let mut parts = vec![String::new()];
    let mut chars = s.chars().enumerate();
    let mut prev_star = false;
    while let Some((pos, c)) = chars.next() {
        match c {
            '*' => {
                if prev_star {
                    return Err(PatternError::new(format!("Consecutive wildcard characters at pos {pos}")));
                }
                parts.push(String::new());
                prev_star = true;
                continue;
            }
            '\\' => match chars.next() {
                Some((_, e @ ('*' | '\\'))) => push_last(&mut parts, e),
                _ => {
                    return Err(PatternError::new(format!("Invalid escape character at pos {pos}")));
                }
            },
            other => push_last(&mut parts, other),
        }
        prev_star = false;
    }
    if parts.len() - 1 > MAX_WILDCARD_STARS {
        return Err(PatternError::new(
            "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character",
        ));
    }
    Ok(Glob { parts })
}

fn push_last(parts: &mut [String], c: char) {
    if let Some(last) = parts.last_mut() {
        last.push(c);
    }
}
