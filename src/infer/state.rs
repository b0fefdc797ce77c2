//! The merge state: per-position counts from which the schema is derived.
//!
//! Every field is combined with a commutative, associative operation (sums, min/max,
//! bit-and, set union, bounded "smallest k" sets), so the state after a set of samples is
//! the same whatever their order, and [`Node::merge`] of two states equals the state of the
//! union of their samples.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

use super::formats;

/// Beyond this many distinct keys an object position is folded into a single value node
/// (it is a map, whatever the hints say: no record type has this many fields). This bounds
/// the persisted state for dictionaries keyed by ids.
pub const COLLAPSE_KEYS: usize = 512;
/// Strings longer than this are never enum candidates (ids, messages, payloads).
pub const ENUM_MAX_LEN: usize = 64;
/// Distinct values tracked per string position before tracking stops for good.
pub const ENUM_TRACK_VALUES: usize = 32;
/// Distinct documents remembered per candidate value (the smallest fingerprints): enough to
/// tell whether a value occurred in at least this many different documents.
pub const ENUM_DOC_FINGERPRINTS: usize = 3;

/// Distinct documents remembered per position (the smallest fingerprints): the evidence
/// behind `required` and `format` is counted in distinct samples, exactly up to this many,
/// so repeating a sample adds none (the most `minRequired` can ask for).
pub const EVIDENCE_DOCS: usize = 16;

/// Counts for one position of the sampled documents (the root, a property, array items or
/// the values of a collapsed map).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Values observed here, nulls included. For a property this is the number of parent
    /// objects in which the key was present.
    pub seen: u64,
    /// Values that were `null`.
    pub nulls: u64,
    /// Fingerprints of the distinct documents that held a value here, sorted, while there
    /// are fewer than [`EVIDENCE_DOCS`]; then emptied and `docs_full` set: no threshold can
    /// ask for more, so the persisted state stays small. Empty (and not full) in states
    /// persisted before evidence was counted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub docs: Vec<u64>,
    /// At least [`EVIDENCE_DOCS`] distinct documents held a value here.
    #[serde(default, skip_serializing_if = "is_false")]
    pub docs_full: bool,
    /// Booleans observed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub booleans: u64,
    /// Integral numbers observed (`10` and `10.0` alike, as JSON Schema counts them).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub integers: u64,
    /// Numbers with a fractional part.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub fractions: u64,
    /// Smallest number observed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Number>,
    /// Largest number observed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Number>,
    /// Strings observed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub strings: u64,
    /// Formats matched by every string so far (bit set, see `formats::FORMATS`).
    #[serde(default = "all_formats")]
    pub formats: u8,
    /// Candidate enum values with the smallest fingerprints of the documents holding them;
    /// `None` once more than [`ENUM_TRACK_VALUES`] values or a long string were seen.
    #[serde(default = "tracked", skip_serializing_if = "is_untracked")]
    pub values: Option<BTreeMap<String, Vec<u64>>>,
    /// Objects observed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub objects: u64,
    /// Per-key counts of the objects observed here (empty once collapsed).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, Node>,
    /// Once the objects here held more than [`COLLAPSE_KEYS`] distinct keys: every value of
    /// every key, merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collapsed: Option<Box<Node>>,
    /// Arrays observed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub arrays: u64,
    /// Elements of all arrays observed here, merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Box<Node>>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde's skip_serializing_if signature")]
fn is_false(b: &bool) -> bool {
    !*b
}

fn all_formats() -> u8 {
    formats::ALL
}

#[expect(clippy::unnecessary_wraps, reason = "serde default of an Option field")]
fn tracked() -> Option<BTreeMap<String, Vec<u64>>> {
    Some(BTreeMap::new())
}

fn is_untracked(v: &Option<BTreeMap<String, Vec<u64>>>) -> bool {
    // An empty tracker is the default; only "stopped tracking" needs an explicit marker.
    matches!(v, Some(m) if m.is_empty())
}

impl Node {
    /// An empty node (nothing observed).
    pub fn new() -> Self {
        Node { formats: formats::ALL, values: Some(BTreeMap::new()), ..Node::default() }
    }

    /// Adds one value. `doc` is the fingerprint of the document it came from, used only to
    /// count enum candidates over distinct documents.
    pub fn observe(&mut self, v: &Value, doc: u64) {
        self.upgrade_legacy();
        self.seen = self.seen.saturating_add(1);
        self.note_doc(doc);
        match v {
            Value::Null => self.nulls = self.nulls.saturating_add(1),
            Value::Bool(_) => self.booleans = self.booleans.saturating_add(1),
            Value::Number(n) => {
                if is_integral(n) {
                    self.integers = self.integers.saturating_add(1);
                } else {
                    self.fractions = self.fractions.saturating_add(1);
                }
                widen(&mut self.min, n, Ordering::Less);
                widen(&mut self.max, n, Ordering::Greater);
            }
            Value::String(s) => {
                self.strings = self.strings.saturating_add(1);
                if self.formats != 0 {
                    self.formats &= formats::detect(s, self.formats);
                }
                self.track_value(s, doc);
            }
            Value::Array(a) => {
                self.arrays = self.arrays.saturating_add(1);
                if !a.is_empty() {
                    let items = self.items.get_or_insert_with(|| Box::new(Node::new()));
                    for e in a {
                        items.observe(e, doc);
                    }
                }
            }
            Value::Object(o) => {
                self.objects = self.objects.saturating_add(1);
                if let Some(c) = &mut self.collapsed {
                    for e in o.values() {
                        c.observe(e, doc);
                    }
                    return;
                }
                for (k, e) in o {
                    match self.properties.get_mut(k.as_str()) {
                        Some(child) => child.observe(e, doc),
                        None => {
                            let mut child = Node::new();
                            child.observe(e, doc);
                            self.properties.insert(k.clone(), child);
                        }
                    }
                }
                self.collapse_if_needed();
            }
        }
    }

    fn track_value(&mut self, s: &str, doc: u64) {
        let Some(values) = &mut self.values else { return };
        if s.len() > ENUM_MAX_LEN {
            self.values = None;
            return;
        }
        match values.get_mut(s) {
            Some(docs) => insert_bounded(docs, doc, ENUM_DOC_FINGERPRINTS),
            None => {
                if values.len() >= ENUM_TRACK_VALUES {
                    self.values = None;
                } else {
                    values.insert(s.to_owned(), vec![doc]);
                }
            }
        }
    }

    fn collapse_if_needed(&mut self) {
        if self.properties.len() <= COLLAPSE_KEYS {
            return;
        }
        let mut all = Node::new();
        for child in std::mem::take(&mut self.properties).into_values() {
            all.merge(&child);
        }
        // Presence per key is meaningless once keys are dynamic: the folded node counts
        // values, so `seen` becomes "values of any key".
        self.collapsed = Some(Box::new(all));
    }

    /// Merges `other` into `self`: the result is the state of the union of both samples.
    pub fn merge(&mut self, other: &Node) {
        self.upgrade_legacy();
        let mut other_full = other.docs_full;
        if other.docs.is_empty() && !other.docs_full && other.seen > 0 {
            other_full = other.seen >= EVIDENCE_DOCS as u64; // legacy, see upgrade_legacy
        }
        self.seen = self.seen.saturating_add(other.seen);
        self.nulls = self.nulls.saturating_add(other.nulls);
        if other_full {
            self.docs.clear();
            self.docs_full = true;
        } else {
            for &fp in &other.docs {
                self.note_doc(fp);
            }
        }
        self.booleans = self.booleans.saturating_add(other.booleans);
        self.integers = self.integers.saturating_add(other.integers);
        self.fractions = self.fractions.saturating_add(other.fractions);
        if let Some(n) = &other.min {
            widen(&mut self.min, n, Ordering::Less);
        }
        if let Some(n) = &other.max {
            widen(&mut self.max, n, Ordering::Greater);
        }
        self.strings = self.strings.saturating_add(other.strings);
        self.formats &= other.formats;
        self.merge_values(other);
        self.objects = self.objects.saturating_add(other.objects);
        match (&mut self.collapsed, &other.collapsed) {
            (Some(mine), Some(theirs)) => mine.merge(theirs),
            (Some(mine), None) => {
                for child in other.properties.values() {
                    mine.merge(child);
                }
            }
            (None, theirs) => {
                for (k, child) in &other.properties {
                    match self.properties.get_mut(k) {
                        Some(c) => c.merge(child),
                        None => {
                            self.properties.insert(k.clone(), child.clone());
                        }
                    }
                }
                if let Some(theirs) = theirs {
                    let mut all = (**theirs).clone();
                    for child in std::mem::take(&mut self.properties).into_values() {
                        all.merge(&child);
                    }
                    self.collapsed = Some(Box::new(all));
                } else {
                    self.collapse_if_needed();
                }
            }
        }
        self.arrays = self.arrays.saturating_add(other.arrays);
        if let Some(theirs) = &other.items {
            match &mut self.items {
                Some(mine) => mine.merge(theirs),
                None => self.items = Some(theirs.clone()),
            }
        }
    }

    fn merge_values(&mut self, other: &Node) {
        let (Some(mine), Some(theirs)) = (&mut self.values, &other.values) else {
            self.values = None;
            return;
        };
        for (v, docs) in theirs {
            match mine.get_mut(v) {
                Some(d) => {
                    for &fp in docs {
                        insert_bounded(d, fp, ENUM_DOC_FINGERPRINTS);
                    }
                }
                None => {
                    mine.insert(v.clone(), docs.clone());
                }
            }
        }
        if mine.len() > ENUM_TRACK_VALUES {
            self.values = None;
        }
    }

    /// Distinct documents that held a value here, exact below [`EVIDENCE_DOCS`] (then
    /// `EVIDENCE_DOCS`). States persisted before documents were counted fall back to the
    /// number of values.
    pub(crate) fn evidence(&self) -> u64 {
        if self.docs_full {
            EVIDENCE_DOCS as u64
        } else if self.docs.is_empty() {
            self.seen
        } else {
            self.docs.len() as u64
        }
    }

    /// Counts one more document: an exact set below the cap, a flag from then on. Both
    /// forms are order-independent: the set is every document seen, the flag says there
    /// were at least `EVIDENCE_DOCS`.
    fn note_doc(&mut self, fp: u64) {
        if self.docs_full {
            return;
        }
        if let Err(at) = self.docs.binary_search(&fp) {
            self.docs.insert(at, fp);
            if self.docs.len() >= EVIDENCE_DOCS {
                self.docs = Vec::new();
                self.docs_full = true;
            }
        }
    }

    /// A node persisted before evidence was counted has values but no documents: with as
    /// many values as the cap it counts as full; with fewer, its documents are unknown and
    /// only new ones count (its properties wait for new evidence before being required).
    fn upgrade_legacy(&mut self) {
        if self.docs.is_empty() && !self.docs_full && self.seen >= EVIDENCE_DOCS as u64 {
            self.docs_full = true;
        }
    }

    /// Kinds of non-null values observed, as a bit set (see `KIND_*`).
    pub(crate) fn kinds(&self) -> u8 {
        let mut k = 0;
        if self.booleans > 0 {
            k |= KIND_BOOLEAN;
        }
        if self.integers + self.fractions > 0 {
            k |= KIND_NUMBER;
        }
        if self.strings > 0 {
            k |= KIND_STRING;
        }
        if self.objects > 0 {
            k |= KIND_OBJECT;
        }
        if self.arrays > 0 {
            k |= KIND_ARRAY;
        }
        k
    }
}

pub(crate) const KIND_BOOLEAN: u8 = 1;
pub(crate) const KIND_NUMBER: u8 = 2;
pub(crate) const KIND_STRING: u8 = 4;
pub(crate) const KIND_OBJECT: u8 = 8;
pub(crate) const KIND_ARRAY: u8 = 16;

/// Keeps the `cap` smallest distinct fingerprints, sorted: a bounded sketch whose union is
/// order-independent and idempotent.
fn insert_bounded(docs: &mut Vec<u64>, fp: u64, cap: usize) {
    if let Err(at) = docs.binary_search(&fp)
        && at < cap
    {
        docs.insert(at, fp);
        docs.truncate(cap);
    }
}

fn is_integral(n: &Number) -> bool {
    n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
}

/// A total order on JSON numbers: numeric value first (exact for integers), then integers
/// before floats, then text, so min/max never depend on which of `10` and `10.0` came first.
pub(crate) fn cmp_numbers(a: &Number, b: &Number) -> Ordering {
    let exact = |n: &Number| n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from));
    let by_value = match (exact(a), exact(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => {
            let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
            x.total_cmp(&y)
        }
    };
    by_value.then_with(|| a.is_f64().cmp(&b.is_f64())).then_with(|| a.to_string().cmp(&b.to_string()))
}

fn widen(slot: &mut Option<Number>, n: &Number, want: Ordering) {
    match slot {
        Some(cur) if cmp_numbers(n, cur) != want => {}
        _ => *slot = Some(n.clone()),
    }
}

/// A stable 64-bit fingerprint of a document, independent of the Rust version and of object
/// key order, used only to count distinct documents for enum candidates. Word-at-a-time
/// multiply-rotate hashing (FxHash style) keeps it cheap next to the merge itself.
pub fn fingerprint(v: &Value) -> u64 {
    match v {
        Value::Null => mix(1),
        Value::Bool(b) => mix(2 + u64::from(*b)),
        Value::Number(n) => {
            let bits = match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => u,
                (None, Some(i)) => i.cast_unsigned() ^ 0x5555_5555_5555_5555,
                (None, None) => n.as_f64().map_or(0, f64::to_bits) ^ 0xaaaa_aaaa_aaaa_aaaa,
            };
            mix(bits.wrapping_add(4))
        }
        Value::String(s) => mix(hash_bytes(5, s.as_bytes())),
        Value::Array(a) => mix(a.iter().fold(6u64, |h, e| step(h, fingerprint(e)))),
        Value::Object(o) => {
            // Summing entry hashes makes the fingerprint independent of key order.
            let sum = o.iter().fold(0u64, |acc, (k, e)| {
                acc.wrapping_add(mix(step(hash_bytes(7, k.as_bytes()), fingerprint(e))))
            });
            mix(step(8, sum))
        }
    }
}

fn step(h: u64, word: u64) -> u64 {
    (h.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95)
}

fn hash_bytes(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = step(seed, bytes.len() as u64);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = step(h, u64::from_le_bytes(w));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = step(h, u64::from_le_bytes(w));
    }
    h
}

/// splitmix64 finaliser: spreads bits so the order-free sum of object entries stays strong.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}
