//! The reference semantics of event patterns: a brute-force evaluator written from
//! `docs/PATTERNS.md`, sharing no code with the engine. Shared (through `#[path]`) by
//! `tests/pattern_props.rs` and the `pattern` fuzz target (`fuzz/src/lib.rs`), which
//! check that the compiled matcher agrees with it.
//!
//! It expects a pattern `Pattern::parse` accepted (it panics on shapes the parser
//! refuses) and its cost is exponential in the number of conditions: callers bound it
//! with [`ref_matches_within`].

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    dead_code,
    reason = "a test oracle: a broken assumption should stop the test"
)]

use serde_json::{Map, Value, json};

// ---------------------------------------------------------------------------------
// Reference evaluator: flatten the event to every leaf with the array elements that
// enclose it, expand the pattern to conjunctions, and search exhaustively for leaves
// satisfying every condition whose enclosing array elements agree.
// ---------------------------------------------------------------------------------

struct RefLeaf {
    path: String,
    value: Value,
    /// (array id, element index) for every enclosing array element that is an
    /// object or array.
    mem: Vec<(usize, usize)>,
}

fn ref_flatten(
    v: &Value,
    path: Option<&str>,
    mem: &mut Vec<(usize, usize)>,
    next_id: &mut usize,
    out: &mut Vec<RefLeaf>,
) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                // An empty key is a segment too: `{"": {"a": 1}}` is the path `.a`.
                let p = path.map_or_else(|| k.clone(), |path| format!("{path}.{k}"));
                ref_flatten(child, Some(&p), mem, next_id, out);
            }
        }
        Value::Array(items) => {
            let id = *next_id;
            *next_id += 1;
            for (i, item) in items.iter().enumerate() {
                if item.is_object() || item.is_array() {
                    mem.push((id, i));
                    ref_flatten(item, path, mem, next_id, out);
                    mem.pop();
                } else {
                    ref_flatten(item, path, mem, next_id, out);
                }
            }
        }
        scalar => {
            if let Some(path) = path {
                out.push(RefLeaf { path: path.to_owned(), value: scalar.clone(), mem: mem.clone() });
            }
        }
    }
}

/// (path, alternatives) conjunctions of a valid pattern.
fn ref_dnf(p: &Map<String, Value>, prefix: Option<&str>) -> Vec<Vec<(String, Vec<Value>)>> {
    let mut acc = vec![Vec::new()];
    for (k, v) in p {
        let member: Vec<Vec<(String, Vec<Value>)>> = if k == "$or" && is_or(v) {
            v.as_array()
                .expect("or array")
                .iter()
                .flat_map(|b| ref_dnf(b.as_object().expect("branch"), prefix))
                .collect()
        } else {
            let path = prefix.map_or_else(|| k.clone(), |prefix| format!("{prefix}.{k}"));
            match v {
                Value::Object(inner) => ref_dnf(inner, Some(&path)),
                Value::Array(alts) => vec![vec![(path, alts.clone())]],
                _ => unreachable!("generated patterns are valid"),
            }
        };
        acc = acc.iter().flat_map(|l| member.iter().map(move |r| [l.clone(), r.clone()].concat())).collect();
    }
    acc
}

/// `$or` combines branches only when its value is an array of at least two objects that
/// use no operator name as a key; otherwise it is a field named `$or` (docs/PATTERNS.md).
fn is_or(v: &Value) -> bool {
    const OPERATORS: [&str; 8] =
        ["prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists", "cidr", "wildcard"];
    v.as_array().is_some_and(|items| {
        items.len() >= 2
            && items
                .iter()
                .all(|b| b.as_object().is_some_and(|m| !m.keys().any(|k| OPERATORS.contains(&k.as_str()))))
    })
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

fn ref_glob(g: &str, s: &str) -> bool {
    // Tokens: Some(c) literal, None star.
    let mut toks = Vec::new();
    let mut it = g.chars();
    while let Some(c) = it.next() {
        match c {
            '*' => toks.push(None),
            '\\' => toks.push(it.next()),
            c => toks.push(Some(c)),
        }
    }
    let s: Vec<char> = s.chars().collect();
    // dp[i][j]: toks[..i] matches s[..j]
    let mut dp = vec![vec![false; s.len() + 1]; toks.len() + 1];
    dp[0][0] = true;
    for i in 1..=toks.len() {
        for j in 0..=s.len() {
            dp[i][j] = match toks[i - 1] {
                None => dp[i - 1][j] || (j > 0 && dp[i][j - 1]),
                Some(c) => j > 0 && dp[i - 1][j - 1] && s[j - 1] == c,
            };
        }
    }
    dp[toks.len()][s.len()]
}

fn ref_ip(s: &str) -> Option<(bool, u128)> {
    if let Ok(a) = s.parse::<std::net::Ipv4Addr>() {
        return Some((false, u128::from(u32::from(a))));
    }
    s.parse::<std::net::Ipv6Addr>().ok().map(|a| (true, u128::from(a)))
}

fn ref_cidr(c: &str, s: &str) -> bool {
    let (ip, bits) = c.split_once('/').expect("cidr");
    let bits: u32 = bits.parse().expect("bits");
    let (Some((v6a, a)), Some((v6b, b))) = (ref_ip(ip), ref_ip(s)) else { return false };
    if v6a != v6b {
        return false;
    }
    let width = if v6a { 128 } else { 32 };
    let drop = width - bits;
    let mask = |x: u128| if drop >= 128 { 0 } else { x >> drop };
    mask(a) == mask(b)
}

fn strs(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().map(|x| x.as_str().expect("string").to_owned()).collect(),
        _ => unreachable!(),
    }
}

fn ref_accepts(alt: &Value, leaf: &Value) -> bool {
    let Value::Object(op) = alt else {
        return match (alt, leaf) {
            (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
            _ => alt == leaf,
        };
    };
    let (name, arg) = op.iter().next().expect("one key");
    let s = leaf.as_str();
    match name.as_str() {
        "prefix" | "suffix" => {
            let Some(s) = s else { return false };
            let (needle, hay) = match arg {
                Value::Object(m) => (lower(m["equals-ignore-case"].as_str().expect("s")), lower(s)),
                _ => (arg.as_str().expect("s").to_owned(), s.to_owned()),
            };
            if name == "prefix" { hay.starts_with(&needle) } else { hay.ends_with(&needle) }
        }
        "equals-ignore-case" => s.is_some_and(|s| lower(s) == lower(arg.as_str().expect("s"))),
        "exists" => true,
        "cidr" => s.is_some_and(|s| ref_cidr(arg.as_str().expect("s"), s)),
        "wildcard" => s.is_some_and(|s| ref_glob(arg.as_str().expect("s"), s)),
        "numeric" => {
            let Some(n) = leaf.as_f64().filter(|_| leaf.is_number()) else { return false };
            let terms = arg.as_array().expect("terms");
            terms.chunks(2).all(|t| {
                let b = t[1].as_f64().expect("num");
                match t[0].as_str().expect("op") {
                    "=" => n == b,
                    "<" => n < b,
                    "<=" => n <= b,
                    ">" => n > b,
                    ">=" => n >= b,
                    _ => unreachable!(),
                }
            })
        }
        "anything-but" => match arg {
            Value::Object(m) => {
                let (sub, list) = m.iter().next().expect("one key");
                let Some(s) = s else { return true };
                let list = strs(list);
                !list.iter().any(|x| match sub.as_str() {
                    "prefix" => s.starts_with(x.as_str()),
                    "suffix" => s.ends_with(x.as_str()),
                    "equals-ignore-case" => lower(s) == lower(x),
                    "wildcard" => ref_glob(x, s),
                    _ => unreachable!(),
                })
            }
            Value::Array(items) => !items.iter().any(|x| ref_accepts(x, leaf)),
            single => !ref_accepts(single, leaf),
        },
        _ => unreachable!("unknown operator {name}"),
    }
}

fn consistent(acc: &[(usize, usize)], mem: &[(usize, usize)]) -> bool {
    mem.iter().all(|(a, i)| acc.iter().all(|(b, j)| a != b || i == j))
}

fn ref_conj(conds: &[(String, Vec<Value>)], leaves: &[RefLeaf], acc: &mut Vec<(usize, usize)>) -> bool {
    let Some(((path, alts), rest)) = conds.split_first() else { return true };
    let at_path: Vec<&RefLeaf> = leaves.iter().filter(|l| &l.path == path).collect();
    let absent_ok = alts.iter().any(|a| a == &json!({"exists": false}));
    if absent_ok && at_path.is_empty() && ref_conj(rest, leaves, acc) {
        return true;
    }
    for leaf in at_path {
        let positive = alts.iter().filter(|a| *a != &json!({"exists": false}));
        if positive.clone().any(|a| ref_accepts(a, &leaf.value)) && consistent(acc, &leaf.mem) {
            let before = acc.len();
            acc.extend(leaf.mem.iter().copied());
            let ok = ref_conj(rest, leaves, acc);
            acc.truncate(before);
            if ok {
                return true;
            }
        }
    }
    false
}

pub fn ref_matches(pattern: &Value, event: &Value) -> bool {
    let mut leaves = Vec::new();
    ref_flatten(event, None, &mut Vec::new(), &mut 0, &mut leaves);
    ref_dnf(pattern.as_object().expect("object"), None).iter().any(|c| ref_conj(c, &leaves, &mut Vec::new()))
}

/// [`ref_matches`], or `None` when evaluating it would take more than about `budget`
/// steps (the conjunctions times the event leaves each condition may pick).
pub fn ref_matches_within(pattern: &Value, event: &Value, budget: u64) -> Option<bool> {
    let mut leaves = Vec::new();
    ref_flatten(event, None, &mut Vec::new(), &mut 0, &mut leaves);
    let conjunctions = ref_dnf(pattern.as_object().expect("object"), None);
    let mut cost: u64 = 0;
    for conj in &conjunctions {
        let mut product: u64 = 1;
        for (path, _) in conj {
            let n = leaves.iter().filter(|l| &l.path == path).count() as u64;
            product = product.saturating_mul(n + 1);
        }
        cost = cost.saturating_add(product.saturating_mul(conj.len() as u64 + 1));
    }
    (cost <= budget).then(|| conjunctions.iter().any(|c| ref_conj(c, &leaves, &mut Vec::new())))
}
