//! The per-(state, field) value index: given one leaf value, which next states does it
//! lead to? Every operator is indexed so a lookup costs a few hash probes per distinct
//! prefix/suffix length or CIDR mask length, not one test per pattern. Only `anything-but`,
//! numeric ranges and wildcards without literal ends are tested one by one (per distinct
//! operand, shared by all patterns using it).

use std::borrow::Cow;

use super::flatten::FxMap;
use super::ops::{Alt, Cidr, Glob, Leaf, Range, Scalar, fold, num_key, parse_ip};

/// Next states reached through prefix or suffix entries; a glob, when present, must
/// also match (a wildcard indexed by its literal start or end).
#[derive(Debug, Clone, Default)]
struct AffixIndex {
    map: FxMap<Box<str>, Vec<(u32, Option<Glob>)>>,
    /// Distinct key lengths in bytes, with how many keys have each.
    lens: Vec<(usize, u32)>,
}

impl AffixIndex {
    fn insert(&mut self, key: &str, next: u32, glob: Option<Glob>) {
        let entries = self.map.entry(key.into()).or_default();
        if entries.is_empty() {
            match self.lens.iter_mut().find(|(l, _)| *l == key.len()) {
                Some((_, n)) => *n += 1,
                None => self.lens.push((key.len(), 1)),
            }
        }
        entries.push((next, glob));
    }

    fn remove(&mut self, key: &str, next: u32, glob: Option<&Glob>) {
        let Some(entries) = self.map.get_mut(key) else {
            return;
        };
        if let Some(at) = entries.iter().position(|(n, g)| *n == next && g.as_ref() == glob) {
            entries.swap_remove(at);
        }
        if entries.is_empty() {
            self.map.remove(key);
            if let Some(at) = self.lens.iter().position(|(l, _)| *l == key.len()) {
                self.lens[at].1 -= 1;
                if self.lens[at].1 == 0 {
                    self.lens.swap_remove(at);
                }
            }
        }
    }

    fn collect(&self, s: &str, suffix: bool, original: &str, out: &mut Vec<u32>) {
        for &(len, _) in &self.lens {
            if len > s.len() {
                continue;
            }
            let at = if suffix { s.len() - len } else { len };
            if !s.is_char_boundary(at) {
                continue;
            }
            let key = if suffix { &s[at..] } else { &s[..at] };
            if let Some(entries) = self.map.get(key) {
                for (next, glob) in entries {
                    if glob.as_ref().is_none_or(|g| g.matches(original)) {
                        out.push(*next);
                    }
                }
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Where a wildcard glob is filed.
enum GlobSlot<'g> {
    Exact(&'g str),
    Prefix(&'g str),
    Suffix(&'g str),
    Scan,
}

fn glob_slot(g: &Glob) -> GlobSlot<'_> {
    if g.parts.len() == 1 {
        GlobSlot::Exact(g.literal_prefix())
    } else if !g.literal_prefix().is_empty() {
        GlobSlot::Prefix(g.literal_prefix())
    } else if !g.literal_suffix().is_empty() {
        GlobSlot::Suffix(g.literal_suffix())
    } else {
        GlobSlot::Scan
    }
}

/// Bits of [`ValueIndex::kinds`]: which sub-indexes hold entries.
const K_EXISTS: u16 = 1;
const K_STRS: u16 = 1 << 1;
const K_NUMS: u16 = 1 << 2;
const K_LITS: u16 = 1 << 3;
const K_IC: u16 = 1 << 4;
const K_AFFIX: u16 = 1 << 5;
const K_AFFIX_IC: u16 = 1 << 6;
const K_RANGES: u16 = 1 << 7;
const K_CIDRS: u16 = 1 << 8;
const K_SCAN: u16 = 1 << 9;

/// All value transitions of one field at one automaton state.
///
/// With 100,000 patterns matching is bound by memory latency, so `kinds` (declared
/// first, `repr(C)`) tells `collect` which of the sub-indexes to touch at all: an
/// index usually uses one or two of them and the rest stay out of the cache.
#[derive(Debug, Clone, Default)]
#[repr(C)]
pub(crate) struct ValueIndex {
    kinds: u16,
    strs: FxMap<Box<str>, Vec<u32>>,
    nums: FxMap<u64, Vec<u32>>,
    /// `[false, true, null]`.
    lits: [Vec<u32>; 3],
    exists: Vec<u32>,
    ignore_case: FxMap<Box<str>, Vec<u32>>,
    prefix: AffixIndex,
    suffix: AffixIndex,
    prefix_ic: AffixIndex,
    suffix_ic: AffixIndex,
    ranges: Vec<(Range, Vec<u32>)>,
    cidrs: FxMap<Cidr, Vec<u32>>,
    cidr_lens: Vec<((bool, u8), u32)>,
    /// Alternatives tested one by one (anything-but, unanchored wildcards).
    scan: Vec<(Alt, u32)>,
    /// Number of (alternative, next state) entries, to know when the index is empty.
    entries: usize,
}

fn push(map_entry: &mut Vec<u32>, next: u32) {
    map_entry.push(next);
}

fn remove_from(v: &mut Vec<u32>, next: u32) {
    if let Some(at) = v.iter().position(|n| *n == next) {
        v.swap_remove(at);
    }
}

fn remove_keyed<K: std::hash::Hash + Eq + ?Sized>(map: &mut FxMap<Box<K>, Vec<u32>>, key: &K, next: u32)
where
    Box<K>: std::borrow::Borrow<K>,
{
    if let Some(v) = map.get_mut(key) {
        remove_from(v, next);
        if v.is_empty() {
            map.remove(key);
        }
    }
}

impl ValueIndex {
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    fn refresh_kinds(&mut self) {
        let mut k = 0;
        let mut set = |bit: u16, on: bool| {
            if on {
                k |= bit;
            }
        };
        set(K_EXISTS, !self.exists.is_empty());
        set(K_STRS, !self.strs.is_empty());
        set(K_NUMS, !self.nums.is_empty());
        set(K_LITS, self.lits.iter().any(|v| !v.is_empty()));
        set(K_IC, !self.ignore_case.is_empty());
        set(K_AFFIX, !self.prefix.is_empty() || !self.suffix.is_empty());
        set(K_AFFIX_IC, !self.prefix_ic.is_empty() || !self.suffix_ic.is_empty());
        set(K_RANGES, !self.ranges.is_empty());
        set(K_CIDRS, !self.cidr_lens.is_empty());
        set(K_SCAN, !self.scan.is_empty());
        self.kinds = k;
    }

    pub fn insert(&mut self, alt: &Alt, next: u32) {
        self.insert_entry(alt, next);
        self.refresh_kinds();
    }

    pub fn remove(&mut self, alt: &Alt, next: u32) {
        self.remove_entry(alt, next);
        self.refresh_kinds();
    }

    fn insert_entry(&mut self, alt: &Alt, next: u32) {
        self.entries += 1;
        match alt {
            Alt::Exact(Scalar::Str(s)) => push(self.strs.entry(s.as_str().into()).or_default(), next),
            Alt::Exact(Scalar::Num(n)) => push(self.nums.entry(num_key(*n)).or_default(), next),
            Alt::Exact(Scalar::Bool(b)) => self.lits[usize::from(*b)].push(next),
            Alt::Exact(Scalar::Null) => self.lits[2].push(next),
            Alt::Exists => self.exists.push(next),
            Alt::EqualsIc(s) => push(self.ignore_case.entry(s.as_str().into()).or_default(), next),
            Alt::Prefix(p) => self.prefix.insert(p, next, None),
            Alt::Suffix(p) => self.suffix.insert(p, next, None),
            Alt::PrefixIc(p) => self.prefix_ic.insert(p, next, None),
            Alt::SuffixIc(p) => self.suffix_ic.insert(p, next, None),
            Alt::Numeric(r) => match self.ranges.iter_mut().find(|(x, _)| x == r) {
                Some((_, v)) => v.push(next),
                None => self.ranges.push((r.clone(), vec![next])),
            },
            Alt::Cidr(c) => {
                let entry = self.cidrs.entry(*c).or_default();
                if entry.is_empty() {
                    match self.cidr_lens.iter_mut().find(|(k, _)| *k == (c.v6, c.len)) {
                        Some((_, n)) => *n += 1,
                        None => self.cidr_lens.push(((c.v6, c.len), 1)),
                    }
                }
                entry.push(next);
            }
            Alt::Wildcard(g) => match glob_slot(g) {
                GlobSlot::Exact(s) => push(self.strs.entry(s.into()).or_default(), next),
                GlobSlot::Prefix(p) => self.prefix.insert(p, next, Some(g.clone())),
                GlobSlot::Suffix(p) => self.suffix.insert(p, next, Some(g.clone())),
                GlobSlot::Scan => self.scan.push((alt.clone(), next)),
            },
            Alt::AnythingBut(_) => self.scan.push((alt.clone(), next)),
        }
    }

    fn remove_entry(&mut self, alt: &Alt, next: u32) {
        self.entries = self.entries.saturating_sub(1);
        match alt {
            Alt::Exact(Scalar::Str(s)) => remove_keyed(&mut self.strs, s.as_str(), next),
            Alt::Exact(Scalar::Num(n)) => {
                let key = num_key(*n);
                if let Some(v) = self.nums.get_mut(&key) {
                    remove_from(v, next);
                    if v.is_empty() {
                        self.nums.remove(&key);
                    }
                }
            }
            Alt::Exact(Scalar::Bool(b)) => remove_from(&mut self.lits[usize::from(*b)], next),
            Alt::Exact(Scalar::Null) => remove_from(&mut self.lits[2], next),
            Alt::Exists => remove_from(&mut self.exists, next),
            Alt::EqualsIc(s) => remove_keyed(&mut self.ignore_case, s.as_str(), next),
            Alt::Prefix(p) => self.prefix.remove(p, next, None),
            Alt::Suffix(p) => self.suffix.remove(p, next, None),
            Alt::PrefixIc(p) => self.prefix_ic.remove(p, next, None),
            Alt::SuffixIc(p) => self.suffix_ic.remove(p, next, None),
            Alt::Numeric(r) => {
                if let Some(at) = self.ranges.iter().position(|(x, _)| x == r) {
                    remove_from(&mut self.ranges[at].1, next);
                    if self.ranges[at].1.is_empty() {
                        self.ranges.swap_remove(at);
                    }
                }
            }
            Alt::Cidr(c) => {
                if let Some(v) = self.cidrs.get_mut(c) {
                    remove_from(v, next);
                    if v.is_empty() {
                        self.cidrs.remove(c);
                        if let Some(at) = self.cidr_lens.iter().position(|(k, _)| *k == (c.v6, c.len)) {
                            self.cidr_lens[at].1 -= 1;
                            if self.cidr_lens[at].1 == 0 {
                                self.cidr_lens.swap_remove(at);
                            }
                        }
                    }
                }
            }
            Alt::Wildcard(g) => match glob_slot(g) {
                GlobSlot::Exact(s) => remove_keyed(&mut self.strs, s, next),
                GlobSlot::Prefix(p) => self.prefix.remove(p, next, Some(g)),
                GlobSlot::Suffix(p) => self.suffix.remove(p, next, Some(g)),
                GlobSlot::Scan => self.remove_scan(alt, next),
            },
            Alt::AnythingBut(_) => self.remove_scan(alt, next),
        }
    }

    fn remove_scan(&mut self, alt: &Alt, next: u32) {
        if let Some(at) = self.scan.iter().position(|(a, n)| *n == next && a == alt) {
            self.scan.swap_remove(at);
        }
    }

    /// Appends the next states `leaf` leads to (possibly with repeats).
    pub fn collect(&self, leaf: &Leaf<'_>, out: &mut Vec<u32>) {
        let k = self.kinds;
        if k & K_EXISTS != 0 {
            out.extend_from_slice(&self.exists);
        }
        match leaf {
            Leaf::Str(s) => self.collect_str(s, out),
            Leaf::Num(n) => {
                if k & K_NUMS != 0
                    && let Some(v) = self.nums.get(&num_key(*n))
                {
                    out.extend_from_slice(v);
                }
                if k & K_RANGES != 0 {
                    for (r, v) in &self.ranges {
                        if r.contains(*n) {
                            out.extend_from_slice(v);
                        }
                    }
                }
            }
            Leaf::Bool(b) if k & K_LITS != 0 => out.extend_from_slice(&self.lits[usize::from(*b)]),
            Leaf::Null if k & K_LITS != 0 => out.extend_from_slice(&self.lits[2]),
            Leaf::Bool(_) | Leaf::Null => {}
        }
        if k & K_SCAN != 0 {
            for (alt, next) in &self.scan {
                if alt.accepts(leaf) {
                    out.push(*next);
                }
            }
        }
    }

    fn collect_str(&self, s: &str, out: &mut Vec<u32>) {
        let k = self.kinds;
        if k & K_STRS != 0
            && let Some(v) = self.strs.get(s)
        {
            out.extend_from_slice(v);
        }
        if k & K_AFFIX != 0 {
            if !self.prefix.is_empty() {
                self.prefix.collect(s, false, s, out);
            }
            if !self.suffix.is_empty() {
                self.suffix.collect(s, true, s, out);
            }
        }
        if k & (K_IC | K_AFFIX_IC) != 0 {
            let folded: Cow<'_, str> = fold(s);
            if let Some(v) = self.ignore_case.get(&*folded) {
                out.extend_from_slice(v);
            }
            self.prefix_ic.collect(&folded, false, s, out);
            self.suffix_ic.collect(&folded, true, s, out);
        }
        if k & K_CIDRS != 0
            && let Some((v6, addr)) = parse_ip(s)
        {
            for &((is_v6, len), _) in &self.cidr_lens {
                if is_v6 != v6 {
                    continue;
                }
                let key = Cidr { v6, len, net: Cidr::mask(addr, len, v6) };
                if let Some(v) = self.cidrs.get(&key) {
                    out.extend_from_slice(v);
                }
            }
        }
    }
}
