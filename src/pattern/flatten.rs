//! Turning an event into the leaves the compiled patterns care about.
//!
//! Only paths some pattern names (or a `.`-separated prefix of one) are visited; every
//! other subtree is skipped, so flattening cost follows the pattern fields, not the event
//! size. Each leaf remembers which element of which enclosing array-of-objects it came
//! from, so the matcher can insist that fields matched inside array elements come from
//! the same element (EventBridge's array consistency). The raw-bytes flattener lives in
//! `scan.rs`.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::Value;

use super::ops::Leaf;
use crate::json::Doc;

/// FxHash maps: keys are short strings and integers from patterns and events, and
/// SipHash's flooding resistance cost about half the lookup time here. Keys come from
/// rule authors and event publishers, so a collision can only slow a lookup, never change
/// a result.
pub(crate) type FxMap<K, V> = HashMap<K, V, rustc_hash::FxBuildHasher>;

/// Deepest nesting followed inside an event (PutEvents' own limit is 1000 levels).
pub const MAX_EVENT_DEPTH: usize = 1000;

/// What the flattener knows about one path: whether it is a pattern field and whether
/// pattern fields lie below it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PathNode {
    /// Field id when some live condition names exactly this path.
    pub field: Option<u32>,
    /// Live condition paths strictly below this one (`.`-prefix).
    pub below: u32,
}

/// Interned field paths plus the prefix table that steers flattening.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldTable {
    ids: FxMap<Box<str>, u32>,
    paths: Vec<Box<str>>,
    uses: Vec<u32>,
    /// Keyed by path bytes so the raw-bytes flattener can look keys up without
    /// validating them as UTF-8 (a key that is not valid UTF-8 names no pattern path).
    nodes: FxMap<Box<[u8]>, PathNode>,
    /// Cheap pre-filter before hashing a path: bit `len % 64` of word `last byte` is
    /// set for every path in `nodes`. Most event keys no pattern names fail it.
    sig: Vec<u64>,
}

fn sig_of(path: &[u8]) -> (usize, u64) {
    let last = path.last().copied().unwrap_or(0);
    (usize::from(last), 1u64 << (path.len() % 64))
}

impl FieldTable {
    /// Registers one more condition on `path`; returns its field id.
    pub fn acquire(&mut self, path: &str) -> u32 {
        let id = match self.ids.get(path) {
            Some(&id) => id,
            None => {
                let id = u32::try_from(self.paths.len()).unwrap_or(u32::MAX);
                self.ids.insert(path.into(), id);
                self.paths.push(path.into());
                self.uses.push(0);
                id
            }
        };
        let slot = id as usize;
        self.uses[slot] += 1;
        if self.uses[slot] == 1 {
            if self.sig.is_empty() {
                self.sig = vec![0; 256];
            }
            self.nodes.entry(path.as_bytes().into()).or_default().field = Some(id);
            let (w, b) = sig_of(path.as_bytes());
            self.sig[w] |= b;
            for prefix in dot_prefixes(path) {
                self.nodes.entry(prefix.as_bytes().into()).or_default().below += 1;
                let (w, b) = sig_of(prefix.as_bytes());
                self.sig[w] |= b;
            }
        }
        id
    }

    /// Drops one condition on field `id` (the inverse of [`FieldTable::acquire`]).
    pub fn release(&mut self, id: u32) {
        let slot = id as usize;
        if self.uses[slot] == 0 {
            return;
        }
        self.uses[slot] -= 1;
        if self.uses[slot] > 0 {
            return;
        }
        let path = self.paths[slot].clone();
        if let Some(node) = self.nodes.get_mut(path.as_bytes()) {
            node.field = None;
            if node.below == 0 {
                self.nodes.remove(path.as_bytes());
            }
        }
        for prefix in dot_prefixes(&path) {
            if let Some(node) = self.nodes.get_mut(prefix.as_bytes()) {
                node.below = node.below.saturating_sub(1);
                if node.below == 0 && node.field.is_none() {
                    self.nodes.remove(prefix.as_bytes());
                }
            }
        }
        // Paths disappeared: rebuild the pre-filter (rare, O(distinct paths)).
        self.sig.iter_mut().for_each(|w| *w = 0);
        for path in self.nodes.keys() {
            let (w, b) = sig_of(path);
            self.sig[w] |= b;
        }
    }

    /// Field id of `path`, if it was ever registered.
    pub fn id(&self, path: &str) -> Option<u32> {
        self.ids.get(path).copied()
    }

    pub fn node(&self, path: &str) -> Option<PathNode> {
        self.node_bytes(path.as_bytes())
    }

    pub fn node_bytes(&self, path: &[u8]) -> Option<PathNode> {
        let (w, b) = sig_of(path);
        if self.sig.get(w).is_none_or(|bits| bits & b == 0) {
            return None;
        }
        self.nodes.get(path).copied()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

/// The proper `.`-prefixes of a path: `a.b.c` → `a`, `a.b`.
fn dot_prefixes(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('.').map(move |(i, _)| &path[..i])
}

/// One leaf of the flattened event.
#[derive(Debug)]
pub(crate) struct FlatLeaf<'a> {
    pub field: u32,
    pub value: Leaf<'a>,
    /// Range in [`Flat::mem`]: the `(array id, element index)` pairs enclosing the leaf.
    pub mem: (u32, u32),
}

/// The flattened event: leaves grouped by field id.
#[derive(Debug, Default)]
pub(crate) struct Flat<'a> {
    pub leaves: Vec<FlatLeaf<'a>>,
    pub mem: Vec<(u32, u32)>,
    /// Path of each array that received an id (used to forget memberships early).
    pub array_paths: Vec<Box<str>>,
    /// `(field, start, end)` ranges into `leaves`, sorted by field.
    pub runs: Vec<(u32, u32, u32)>,
}

impl<'a> Flat<'a> {
    /// Sized for a typical event so matching does not reallocate while flattening.
    pub(crate) fn with_capacity() -> Self {
        Self {
            leaves: Vec::with_capacity(32),
            mem: Vec::new(),
            array_paths: Vec::new(),
            runs: Vec::with_capacity(32),
        }
    }

    pub(crate) fn push_leaf(&mut self, field: u32, value: Leaf<'a>, stack: &[(u32, u32)]) {
        let start = self.mem.len() as u32;
        self.mem.extend_from_slice(stack);
        self.leaves.push(FlatLeaf { field, value, mem: (start, stack.len() as u32) });
    }

    pub(crate) fn finish(mut self) -> Self {
        self.leaves.sort_by_key(|l| l.field);
        let mut i = 0;
        while i < self.leaves.len() {
            let field = self.leaves[i].field;
            let mut j = i + 1;
            while j < self.leaves.len() && self.leaves[j].field == field {
                j += 1;
            }
            self.runs.push((field, i as u32, j as u32));
            i = j;
        }
        self
    }

    /// Leaves of one field.
    pub fn leaves_of(&self, field: u32) -> &[FlatLeaf<'a>] {
        match self.runs.binary_search_by_key(&field, |r| r.0) {
            Ok(at) => {
                let (_, s, e) = self.runs[at];
                &self.leaves[s as usize..e as usize]
            }
            Err(_) => &[],
        }
    }

    pub fn membership(&self, leaf: &FlatLeaf<'_>) -> &[(u32, u32)] {
        let (s, n) = leaf.mem;
        &self.mem[s as usize..(s + n) as usize]
    }

    pub fn has_memberships(&self) -> bool {
        !self.mem.is_empty()
    }

    pub(crate) fn new_array(&mut self, path: &[u8]) -> u32 {
        self.array_paths.push(String::from_utf8_lossy(path).into());
        (self.array_paths.len() - 1) as u32
    }
}

/// A node of an event the flattener can walk: a `serde_json::Value`, a [`Doc`], or a
/// caller's view of an event (the bus's envelope, whose `detail` is a `Doc`).
pub(crate) trait EventNode<'a>: Copy {
    /// The leaf, when this is a scalar.
    fn leaf(self) -> Option<Leaf<'a>>;
    /// Whether this is an object.
    fn is_object(self) -> bool;
    /// Whether this is an array.
    fn is_array(self) -> bool;
    /// Calls `f` with each member of an object (nothing otherwise).
    fn for_each_member(self, f: impl FnMut(&'a str, Self));
    /// Calls `f` with each element of an array (nothing otherwise).
    fn for_each_element(self, f: impl FnMut(Self));
}

impl<'a> EventNode<'a> for &'a Value {
    fn leaf(self) -> Option<Leaf<'a>> {
        match self {
            Value::String(s) => Some(Leaf::Str(Cow::Borrowed(s.as_str()))),
            Value::Number(n) => Some(Leaf::Num(n.as_f64().unwrap_or(f64::NAN))),
            Value::Bool(b) => Some(Leaf::Bool(*b)),
            Value::Null => Some(Leaf::Null),
            Value::Object(_) | Value::Array(_) => None,
        }
    }
    fn is_object(self) -> bool {
        self.is_object()
    }
    fn is_array(self) -> bool {
        self.is_array()
    }
    fn for_each_member(self, mut f: impl FnMut(&'a str, Self)) {
        if let Value::Object(map) = self {
            map.iter().for_each(|(k, v)| f(k, v));
        }
    }
    fn for_each_element(self, f: impl FnMut(Self)) {
        if let Value::Array(items) = self {
            items.iter().for_each(f);
        }
    }
}

impl<'a> EventNode<'a> for &'a Doc<'a> {
    fn leaf(self) -> Option<Leaf<'a>> {
        match self {
            Doc::String(s) => Some(Leaf::Str(Cow::Borrowed(s.as_ref()))),
            Doc::Number(n) => Some(Leaf::Num(n.as_f64().unwrap_or(f64::NAN))),
            Doc::Bool(b) => Some(Leaf::Bool(*b)),
            Doc::Null => Some(Leaf::Null),
            Doc::Object(_) | Doc::Array(_) => None,
        }
    }
    fn is_object(self) -> bool {
        matches!(self, Doc::Object(_))
    }
    fn is_array(self) -> bool {
        matches!(self, Doc::Array(_))
    }
    fn for_each_member(self, mut f: impl FnMut(&'a str, Self)) {
        if let Doc::Object(members) = self {
            members.iter().for_each(|(k, v)| f(k.as_ref(), v));
        }
    }
    fn for_each_element(self, f: impl FnMut(Self)) {
        if let Doc::Array(items) = self {
            items.iter().for_each(f);
        }
    }
}

/// Flattens a parsed event.
pub(crate) fn flatten_value<'a>(table: &FieldTable, event: &'a Value) -> Flat<'a> {
    flatten_fields(table, event.as_object().into_iter().flatten().map(|(k, v)| (k.as_str(), v)))
}

/// Flattens an event given as its top-level fields.
pub(crate) fn flatten_fields<'a, N: EventNode<'a>>(
    table: &FieldTable,
    fields: impl IntoIterator<Item = (&'a str, N)>,
) -> Flat<'a> {
    let mut flat = Flat::with_capacity();
    if !table.is_empty() {
        let mut walker = Walker { table, path: String::new(), stack: Vec::new(), flat: &mut flat };
        for (k, v) in fields {
            if let Some(node) = table.node(k) {
                walker.path.clear();
                walker.path.push_str(k);
                walker.walk(v, node, 0);
            }
        }
    }
    flat.finish()
}

struct Walker<'t, 'f, 'a> {
    table: &'t FieldTable,
    path: String,
    stack: Vec<(u32, u32)>,
    flat: &'f mut Flat<'a>,
}

impl<'a> Walker<'_, '_, 'a> {
    fn walk<N: EventNode<'a>>(&mut self, value: N, node: PathNode, depth: usize) {
        if depth > MAX_EVENT_DEPTH {
            return;
        }
        if let Some(leaf) = value.leaf() {
            if let Some(field) = node.field {
                self.flat.push_leaf(field, leaf, &self.stack);
            }
        } else if value.is_object() {
            if node.below == 0 {
                return;
            }
            value.for_each_member(|k, v| {
                let len = self.path.len();
                self.path.push('.');
                self.path.push_str(k);
                if let Some(child) = self.table.node(&self.path) {
                    self.walk(v, child, depth + 1);
                }
                self.path.truncate(len);
            });
        } else {
            let mut id = None;
            let mut i = 0u32;
            value.for_each_element(|item| {
                if item.is_object() || item.is_array() {
                    if !(node.below == 0 && item.is_object()) {
                        let aid = *id.get_or_insert_with(|| self.flat.new_array(self.path.as_bytes()));
                        self.stack.push((aid, i));
                        self.walk(item, node, depth + 1);
                        self.stack.pop();
                    }
                } else {
                    self.walk(item, node, depth + 1);
                }
                i += 1;
            });
        }
    }
}
