//! The compiled matcher: all patterns merged into one automaton.
//!
//! Every pattern is a set of conjunctions (after `$or` expansion); every conjunction is
//! a list of field conditions, most selective first (see `parse.rs`). Conjunctions are
//! stored in a trie whose
//! edges are whole conditions, so patterns that start with the same conditions share
//! states. Each state indexes its outgoing conditions per field in a
//! [`ValueIndex`], so following the edges a leaf value satisfies costs hash probes, not
//! a test per pattern. Matching walks the trie from the root, following only edges the
//! event satisfies; its cost follows the event's fields and the states actually reached.

use std::collections::HashSet;
use std::hash::Hash;

use serde_json::Value;

use super::error::EventError;
use super::flatten::{FieldTable, Flat, FxMap, flatten_value};
use super::index::ValueIndex;
use super::parse::Pattern;
use super::scan::flatten_bytes;

type Membership = Vec<(u32, u32)>;

/// Edges of one field at one state.
#[derive(Debug, Clone)]
struct FieldEdges {
    field: u32,
    /// Boxed so a state's edge list stays compact for the binary search by field.
    values: Box<ValueIndex>,
    /// Next states reached when the event has no leaf at this field (`exists: false`).
    absent: Vec<u32>,
}

#[derive(Debug, Clone, Default)]
struct State {
    /// Conjunctions passing through or ending here; the state is freed at zero.
    refs: u32,
    /// Patterns (by slot) one of whose conjunctions ends here.
    terminal: Vec<u32>,
    /// Condition key → next state (one edge per distinct condition).
    children: FxMap<Box<str>, u32>,
    /// Sorted by field id.
    edges: Vec<FieldEdges>,
    /// A lower bound of the paths of every condition below this state (on its edges
    /// and deeper). Lowered on add, never raised on remove: a stale value only makes
    /// the array-membership pruning in `push_visit` more conservative.
    min_path: Option<Box<str>>,
}

#[derive(Debug, Clone)]
struct Slot<I> {
    id: I,
    pattern: Pattern,
}

/// A set of event patterns compiled into one automaton, keyed by opaque ids.
///
/// # Cost
/// [`matches`](Self::matches) costs roughly: flattening the fields some pattern names,
/// plus a few hash probes per (event leaf, automaton state reached). It does not loop
/// over patterns. [`add`](Self::add) and [`remove`](Self::remove) touch only the states
/// of the pattern concerned (microseconds, independent of how many patterns are held).
///
/// # Concurrency contract
/// Matching takes `&self` and never mutates; adding and removing take `&mut self`.
/// The type is `Send + Sync` (for `I: Send + Sync`), so the intended sharing is
/// `Arc<RwLock<PatternMatcher<Id>>>`: any number of threads match under read locks,
/// and a rule change takes the write lock for the few microseconds of one `add` or
/// `remove`. Matches started before a change see the old rule set, matches after it see
/// the new one; there is no intermediate state. The type also implements `Clone`
/// (cost proportional to its size), so a copy-on-write snapshot behind an `ArcSwap` or
/// `RwLock<Arc<..>>` works too when writers must never block readers.
#[derive(Debug, Clone)]
pub struct PatternMatcher<I> {
    fields: FieldTable,
    states: Vec<State>,
    free_states: Vec<u32>,
    slots: Vec<Option<Slot<I>>>,
    free_slots: Vec<u32>,
    by_id: FxMap<I, u32>,
}

impl<I: Clone + Eq + Hash> Default for PatternMatcher<I> {
    fn default() -> Self {
        Self::new()
    }
}

impl<I: Clone + Eq + Hash> PatternMatcher<I> {
    /// An empty matcher.
    pub fn new() -> Self {
        Self {
            fields: FieldTable::default(),
            states: vec![State::default()],
            free_states: Vec::new(),
            slots: Vec::new(),
            free_slots: Vec::new(),
            by_id: FxMap::default(),
        }
    }

    /// Number of patterns held.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether no pattern is held.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Whether a pattern is held under `id`.
    pub fn contains(&self, id: &I) -> bool {
        self.by_id.contains_key(id)
    }

    /// Number of automaton states (a size indicator for monitoring and benchmarks).
    pub fn state_count(&self) -> usize {
        self.states.len() - self.free_states.len()
    }

    /// Adds `pattern` under `id`, replacing any pattern already held under that id.
    pub fn add(&mut self, id: I, pattern: Pattern) {
        self.remove(&id);
        let slot = match self.free_slots.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as u32
            }
        };
        for conj in &pattern.conjunctions {
            let mut state = 0u32;
            self.states[0].refs += 1;
            // suffix_min[k] = smallest path among conj[k..].
            let mut suffix_min: Vec<&str> = Vec::with_capacity(conj.len());
            for cond in conj.iter().rev() {
                let p = suffix_min.last().copied().map_or(cond.path.as_str(), |m| m.min(cond.path.as_str()));
                suffix_min.push(p);
            }
            suffix_min.reverse();
            for (k, cond) in conj.iter().enumerate() {
                let below = suffix_min[k];
                let st = &mut self.states[state as usize];
                if st.min_path.as_deref().is_none_or(|m| below < m) {
                    st.min_path = Some(below.into());
                }
                let existing = self.states[state as usize].children.get(cond.key.as_str()).copied();
                let next = match existing {
                    Some(n) => n,
                    None => {
                        let n = self.new_state();
                        let field = self.fields.acquire(&cond.path);
                        let parent = &mut self.states[state as usize];
                        parent.children.insert(cond.key.as_str().into(), n);
                        let at = match parent.edges.binary_search_by_key(&field, |e| e.field) {
                            Ok(at) => at,
                            Err(at) => {
                                parent.edges.insert(
                                    at,
                                    FieldEdges { field, values: Box::default(), absent: Vec::new() },
                                );
                                at
                            }
                        };
                        let edges = &mut parent.edges[at];
                        for alt in &cond.alts {
                            edges.values.insert(alt, n);
                        }
                        if cond.absent_ok {
                            edges.absent.push(n);
                        }
                        n
                    }
                };
                self.states[next as usize].refs += 1;
                state = next;
            }
            self.states[state as usize].terminal.push(slot);
        }
        self.slots[slot as usize] = Some(Slot { id: id.clone(), pattern });
        self.by_id.insert(id, slot);
    }

    fn new_state(&mut self) -> u32 {
        match self.free_states.pop() {
            Some(s) => s,
            None => {
                self.states.push(State::default());
                (self.states.len() - 1) as u32
            }
        }
    }

    /// Removes the pattern held under `id`; returns whether there was one.
    pub fn remove(&mut self, id: &I) -> bool {
        let Some(slot) = self.by_id.remove(id) else {
            return false;
        };
        let Some(Slot { pattern, .. }) = self.slots[slot as usize].take() else {
            return false;
        };
        self.free_slots.push(slot);
        for conj in &pattern.conjunctions {
            // Walk down, recording the states of this conjunction.
            let mut path = Vec::with_capacity(conj.len() + 1);
            path.push(0u32);
            for cond in conj {
                let current = path[path.len() - 1] as usize;
                match self.states[current].children.get(cond.key.as_str()) {
                    Some(&n) => path.push(n),
                    // Unreachable: add() created every edge of a held pattern.
                    None => break,
                }
            }
            if path.len() != conj.len() + 1 {
                continue;
            }
            let last = path[path.len() - 1] as usize;
            if let Some(at) = self.states[last].terminal.iter().position(|s| *s == slot) {
                self.states[last].terminal.swap_remove(at);
            }
            for &s in &path {
                self.states[s as usize].refs -= 1;
            }
            // Free states nobody passes through any more, deepest first.
            for (depth, cond) in conj.iter().enumerate().rev() {
                let child = path[depth + 1];
                if self.states[child as usize].refs > 0 {
                    break;
                }
                let parent = path[depth] as usize;
                self.unlink(parent, child, cond);
                self.states[child as usize] = State::default();
                self.free_states.push(child);
            }
        }
        true
    }

    fn unlink(&mut self, parent: usize, child: u32, cond: &super::parse::Condition) {
        let Some(field) = self.fields.id(&cond.path) else {
            return;
        };
        let p = &mut self.states[parent];
        p.children.remove(cond.key.as_str());
        if let Ok(at) = p.edges.binary_search_by_key(&field, |e| e.field) {
            let edges = &mut p.edges[at];
            for alt in &cond.alts {
                edges.values.remove(alt, child);
            }
            if let Some(i) = edges.absent.iter().position(|n| *n == child) {
                edges.absent.swap_remove(i);
            }
            if edges.values.is_empty() && edges.absent.is_empty() {
                p.edges.remove(at);
            }
        }
        self.fields.release(field);
    }

    /// Ids of the patterns `event` matches, in no particular order, without repeats.
    pub fn matches(&self, event: &Value) -> Vec<I> {
        let flat = flatten_value(&self.fields, event);
        self.run(&flat)
    }

    /// Like [`matches`](Self::matches) for an event given as its top-level fields (the
    /// bus's envelopes, whose `detail` is a borrowed [`crate::json::Doc`]).
    pub(crate) fn matches_fields<'a, N: super::EventNode<'a>>(
        &self,
        fields: impl IntoIterator<Item = (&'a str, N)>,
    ) -> Vec<I> {
        let flat = super::flatten::flatten_fields(&self.fields, fields);
        self.run(&flat)
    }

    /// Like [`matches`](Self::matches) for raw JSON bytes; only the parts of the event
    /// that some pattern names are decoded, which is several times faster than parsing
    /// the event into a `serde_json::Value` first.
    ///
    /// # Errors
    /// [`EventError`] when the bytes are not a JSON document.
    pub fn matches_bytes(&self, event: &[u8]) -> Result<Vec<I>, EventError> {
        let flat = flatten_bytes(&self.fields, event)?;
        Ok(self.run(&flat))
    }

    fn run(&self, flat: &Flat<'_>) -> Vec<I> {
        let mut hits: Vec<u32> = Vec::with_capacity(16);
        if flat.has_memberships() {
            self.walk_with_arrays(flat, &mut hits);
        } else {
            self.walk_plain(flat, &mut hits);
        }
        hits.sort_unstable();
        hits.dedup();
        hits.iter().filter_map(|s| self.slots[*s as usize].as_ref().map(|slot| slot.id.clone())).collect()
    }

    /// Calls `f(edges, leaves)` for every field that has edges at `state`, visiting
    /// whichever side (state edges or event fields) is smaller.
    fn for_each_field<'f, 'a>(
        &'f self,
        state: &'f State,
        flat: &'f Flat<'a>,
        mut f: impl FnMut(&'f FieldEdges, &'f [super::flatten::FlatLeaf<'a>]),
    ) {
        if state.edges.len() <= flat.runs.len() {
            for e in &state.edges {
                f(e, flat.leaves_of(e.field));
            }
        } else {
            // Fields absent from the event still matter for `exists: false` edges.
            for e in state.edges.iter().filter(|e| !e.absent.is_empty()) {
                if flat.leaves_of(e.field).is_empty() {
                    f(e, &[]);
                }
            }
            for &(field, s, end) in &flat.runs {
                if let Ok(at) = state.edges.binary_search_by_key(&field, |e| e.field) {
                    f(&state.edges[at], &flat.leaves[s as usize..end as usize]);
                }
            }
        }
    }

    /// Walk for events without arrays of objects: no membership bookkeeping. The trie
    /// gives each state one parent, so de-duplicating the children of one expansion is
    /// enough to visit every state at most once.
    fn walk_plain(&self, flat: &Flat<'_>, hits: &mut Vec<u32>) {
        let mut stack = Vec::with_capacity(32);
        stack.push(0u32);
        let mut next = Vec::with_capacity(32);
        while let Some(s) = stack.pop() {
            let state = &self.states[s as usize];
            hits.extend_from_slice(&state.terminal);
            next.clear();
            self.for_each_field(state, flat, |edges, leaves| {
                if leaves.is_empty() {
                    next.extend_from_slice(&edges.absent);
                }
                for leaf in leaves {
                    edges.values.collect(&leaf.value, &mut next);
                }
            });
            next.sort_unstable();
            next.dedup();
            stack.extend_from_slice(&next);
        }
    }

    /// Walk that carries, per path through the trie, which array element each array
    /// used so far was matched in; a leaf from another element of the same array cannot
    /// extend that path.
    fn walk_with_arrays(&self, flat: &Flat<'_>, hits: &mut Vec<u32>) {
        let mut seen: HashSet<(u32, Membership), rustc_hash::FxBuildHasher> = HashSet::default();
        let mut stack: Vec<(u32, Membership)> = vec![(0, Vec::new())];
        let mut next = Vec::new();
        while let Some((s, mem)) = stack.pop() {
            let state = &self.states[s as usize];
            hits.extend_from_slice(&state.terminal);
            self.for_each_field(state, flat, |edges, leaves| {
                if leaves.is_empty() {
                    for &n in &edges.absent {
                        self.push_visit(n, mem.clone(), flat, &mut seen, &mut stack);
                    }
                }
                for leaf in leaves {
                    let leaf_mem = flat.membership(leaf);
                    let Some(merged) = merge(&mem, leaf_mem) else {
                        continue;
                    };
                    next.clear();
                    edges.values.collect(&leaf.value, &mut next);
                    for &n in &next {
                        self.push_visit(n, merged.clone(), flat, &mut seen, &mut stack);
                    }
                }
            });
        }
    }

    fn push_visit(
        &self,
        state: u32,
        mut mem: Membership,
        flat: &Flat<'_>,
        seen: &mut HashSet<(u32, Membership), rustc_hash::FxBuildHasher>,
        stack: &mut Vec<(u32, Membership)>,
    ) {
        // Forget arrays no condition below `state` can reach: every path below is
        // ≥ min_path, and the paths inside array `P` (all starting with `P`) form one
        // contiguous block in string order that min_path is past. This keeps
        // independent arrays from multiplying the number of walks.
        let min = self.states[state as usize].min_path.as_deref();
        mem.retain(|&(aid, _)| {
            let array_path = flat.array_paths.get(aid as usize).map_or("", |p| p);
            min.is_some_and(|m| m <= array_path || m.starts_with(array_path))
        });
        if seen.insert((state, mem.clone())) {
            stack.push((state, mem));
        }
    }
}

/// Combines two memberships; `None` when they disagree on some array's element.
fn merge(a: &[(u32, u32)], b: &[(u32, u32)]) -> Option<Membership> {
    let mut out: Membership = a.to_vec();
    for &(aid, idx) in b {
        match out.iter().find(|(x, _)| *x == aid) {
            Some(&(_, other)) if other != idx => return None,
            Some(_) => {}
            None => out.push((aid, idx)),
        }
    }
    out.sort_unstable();
    Some(out)
}

impl Pattern {
    /// Whether this pattern matches `event` (the `TestEventPattern` operation).
    pub fn matches(&self, event: &Value) -> bool {
        let mut m = PatternMatcher::new();
        m.add((), self.clone());
        !m.matches(event).is_empty()
    }
}
