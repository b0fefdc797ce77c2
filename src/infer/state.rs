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
    /// The distinct documents that held a value here (any value, `null` included): the
    /// evidence behind `required`.
    #[serde(default, skip_serializing_if = "DocSet::is_empty")]
    pub docs: DocSet,
    /// The distinct documents that held a string here: the evidence behind `format`.
    #[serde(default, skip_serializing_if = "DocSet::is_empty")]
    pub string_docs: DocSet,
    /// The distinct documents that held an object here: the evidence that keys vary
    /// between samples (map detection).
    #[serde(default, skip_serializing_if = "DocSet::is_empty")]
    pub object_docs: DocSet,
    /// For states stored before documents were counted (format 1): the value counts of
    /// that time (`seen`, `strings`, `objects`, each at most [`EVIDENCE_DOCS`]), a floor
    /// under the three evidence counts so a long-observed field stays required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy: Option<[u64; 3]>,
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

/// Distinct documents, exactly while fewer than [`EVIDENCE_DOCS`] (their sorted
/// fingerprints), then only "at least that many" (`true`): no threshold asks for more, and
/// the persisted state stays small. Both forms are order-independent and idempotent under
/// union, so counts depend only on the set of samples.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DocSet {
    /// Fewer than [`EVIDENCE_DOCS`] documents, by fingerprint.
    Docs(Vec<u64>),
    /// At least [`EVIDENCE_DOCS`] documents (serialised as `true`).
    Full(bool),
}

impl Default for DocSet {
    fn default() -> Self {
        DocSet::Docs(Vec::new())
    }
}

impl DocSet {
    /// No document yet.
    pub fn is_empty(&self) -> bool {
        matches!(self, DocSet::Docs(d) if d.is_empty())
    }

    /// The number of documents, exact below [`EVIDENCE_DOCS`] (then `EVIDENCE_DOCS`).
    pub fn count(&self) -> u64 {
        match self {
            DocSet::Docs(d) => d.len() as u64,
            DocSet::Full(_) => EVIDENCE_DOCS as u64,
        }
    }

    fn insert(&mut self, fp: u64) {
        let DocSet::Docs(d) = self else { return };
        if let Err(at) = d.binary_search(&fp) {
            d.insert(at, fp);
            if d.len() >= EVIDENCE_DOCS {
                *self = DocSet::Full(true);
            }
        }
    }

    fn union(&mut self, other: &DocSet) {
        match other {
            DocSet::Full(_) => *self = DocSet::Full(true),
            DocSet::Docs(d) => d.iter().for_each(|&fp| self.insert(fp)),
        }
    }
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
        self.seen = self.seen.saturating_add(1);
        self.docs.insert(doc);
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
                self.string_docs.insert(doc);
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
                self.object_docs.insert(doc);
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
        self.seen = self.seen.saturating_add(other.seen);
        self.nulls = self.nulls.saturating_add(other.nulls);
        self.docs.union(&other.docs);
        self.string_docs.union(&other.string_docs);
        self.object_docs.union(&other.object_docs);
        self.legacy = match (self.legacy, other.legacy) {
            (Some(a), Some(b)) => Some([a[0].max(b[0]), a[1].max(b[1]), a[2].max(b[2])]),
            (a, b) => a.or(b),
        };
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

    /// Distinct documents that held a value here, exact below [`EVIDENCE_DOCS`].
    pub(crate) fn presence(&self) -> u64 {
        self.docs.count().max(self.legacy.map_or(0, |l| l[0]))
    }

    /// Distinct documents that held a string here.
    pub(crate) fn string_evidence(&self) -> u64 {
        self.string_docs.count().max(self.legacy.map_or(0, |l| l[1]))
    }

    /// Distinct documents that held an object here.
    pub(crate) fn object_evidence(&self) -> u64 {
        self.object_docs.count().max(self.legacy.map_or(0, |l| l[2]))
    }

    /// Marks this node and every node below as read from a format-1 state: their value
    /// counts become the floor of their evidence (see `legacy`).
    pub(crate) fn mark_legacy(&mut self) {
        let cap = |n: u64| n.min(EVIDENCE_DOCS as u64);
        self.legacy = Some([cap(self.seen), cap(self.strings), cap(self.objects)]);
        for child in self.properties.values_mut() {
            child.mark_legacy();
        }
        if let Some(c) = &mut self.collapsed {
            c.mark_legacy();
        }
        if let Some(i) = &mut self.items {
            i.mark_legacy();
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
