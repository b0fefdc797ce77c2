//! Schema inference: merges sample JSON documents into a JSON Schema (2020-12).
//!
//! Pure (no I/O, no clock, no randomness). The merge rules, annotations and heuristics are
//! specified in `docs/INFERENCE.md`; in short:
//!
//! - An [`InferenceState`] keeps per-position counts (seen, null, per-type histogram,
//!   numeric range, surviving formats, enum candidates). The schema is *derived* from it
//!   by [`derive_schema`], never re-merged from emitted schemas, so `required` is exact.
//! - The state is a commutative monoid: [`InferenceState::add`] in any order, or
//!   [`merge_state`] of partial states, gives the same state for the same set of samples.
//!   It is serde-serialisable so the registry can persist and refine it.
//! - Claims need evidence: `required` and `format` only after
//!   [`DeriveOptions::min_required`] distinct samples; unseen nulls follow a [`NullPolicy`]
//!   (defaults measured by `benches/infer_generalisation.rs`).
//! - [`Hints`] (maps, enums, closed objects, by JSON Pointer) override the heuristics.
//! - [`split_envelope`] / [`event_type_name`] name EventBridge event types
//!   (`orders@OrderPlaced`); a [`Catalog`] groups samples by type.
//!
//! ```
//! use schemabus::infer::{DeriveOptions, Hints, InferenceState, derive_schema, derive_schema_with};
//! use serde_json::json;
//!
//! let mut state = InferenceState::new();
//! state.add(&json!({"id": 1, "note": null}));
//! state.add(&json!({"id": 2.5}));
//! // Two samples do not establish that `id` is always there, nor that it is never null.
//! let schema = derive_schema(&state, &Hints::default());
//! assert!(schema.get("required").is_none());
//! assert_eq!(schema["properties"]["id"]["type"], json!(["null", "number"]));
//! // Exactly what the samples show:
//! let exact = derive_schema_with(&state, &Hints::default(), &DeriveOptions::exact());
//! assert_eq!(exact["required"], json!(["id"]));
//! assert_eq!(exact["properties"]["id"]["type"], json!("number"));
//! ```

mod derive;
mod explain;
mod formats;
mod hints;
mod knowledge;
mod maps;
mod naming;
mod state;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use derive::{
    DEFAULT_MIN_REQUIRED, DeriveOptions, ENUM_CANDIDATES_MAX, NullPolicy, RegistryKnowledge, canonical,
};
pub use explain::{MAX_DECISIONS, decisions};
pub use hints::Hints;
pub use knowledge::Knowledge;
pub use maps::{ID_KEYS_MIN, MANY_KEYS_MIN, VARYING_KEYS_MIN};
pub use naming::{Envelope, event_type_name, pascal_case, split_envelope};
pub use state::{
    COLLAPSE_KEYS, DocSet, ENUM_DOC_FINGERPRINTS, ENUM_MAX_LEN, ENUM_TRACK_VALUES, EVIDENCE_DOCS, Node,
    fingerprint,
};

/// Version of the persisted state layout; bump it when [`Node`] changes incompatibly.
/// 2: evidence counted in distinct documents ([`Node::docs`]); a format-1 state is read
/// with its value counts as the evidence floor ([`Node::legacy`]).
pub const STATE_FORMAT: u32 = 2;

/// The merge state of one schema: counts for every position of the samples seen so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "StoredState")]
pub struct InferenceState {
    /// Layout version ([`STATE_FORMAT`]) for the stored form.
    pub format: u32,
    /// Counts for the document root; `root.seen` is the number of samples.
    pub root: Node,
}

/// The stored form, upgraded on read.
#[derive(Deserialize)]
struct StoredState {
    format: u32,
    root: Node,
}

impl From<StoredState> for InferenceState {
    fn from(mut s: StoredState) -> Self {
        if s.format < 2 {
            s.root.mark_legacy();
        }
        InferenceState { format: STATE_FORMAT.max(s.format), root: s.root }
    }
}

impl Default for InferenceState {
    fn default() -> Self {
        Self::new()
    }
}

impl InferenceState {
    /// A state that has seen nothing.
    pub fn new() -> Self {
        InferenceState { format: STATE_FORMAT, root: Node::new() }
    }

    /// Adds one sample document.
    pub fn add(&mut self, doc: &Value) {
        let fp = fingerprint(doc);
        self.root.observe(doc, fp);
    }

    /// Merges another state into this one (the state of the union of both samples).
    pub fn merge(&mut self, other: &InferenceState) {
        self.root.merge(&other.root);
    }

    /// Number of samples added (counting repeats).
    pub fn samples(&self) -> u64 {
        self.root.seen
    }

    /// The schema for this state; shorthand for [`derive_schema`].
    pub fn schema(&self, hints: &Hints) -> Value {
        derive_schema(self, hints)
    }
}

/// The state of the union of the samples behind `a` and `b`.
pub fn merge_state(a: &InferenceState, b: &InferenceState) -> InferenceState {
    let mut out = a.clone();
    out.merge(b);
    out
}

/// Derives the canonical schema (sorted keys) from a state and hints.
pub fn derive_schema(state: &InferenceState, hints: &Hints) -> Value {
    derive_schema_with(state, hints, &DeriveOptions::default())
}

/// [`derive_schema`] with options (statistics annotations, title).
pub fn derive_schema_with(state: &InferenceState, hints: &Hints, opts: &DeriveOptions) -> Value {
    derive::derive_root(&state.root, &hints::Compiled::new(hints), opts)
}

/// Infers a schema from samples in one call, without hints.
pub fn infer<'a, I: IntoIterator<Item = &'a Value>>(docs: I) -> Value {
    let mut state = InferenceState::new();
    for d in docs {
        state.add(d);
    }
    derive_schema(&state, &Hints::default())
}

/// Samples grouped by event type: EventBridge envelopes under `<source>@<DetailType>`,
/// everything else under `untyped`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    /// One state per event type name.
    pub types: BTreeMap<String, InferenceState>,
    /// Documents that are not envelopes.
    pub untyped: InferenceState,
}

impl Catalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// Files one document. With `detail_only`, an envelope contributes its `detail` only;
    /// otherwise the whole envelope is inferred (still grouped by its type).
    pub fn add(&mut self, doc: &Value, detail_only: bool) {
        match split_envelope(doc) {
            Some(env) => {
                let sample = if detail_only { env.detail } else { doc };
                self.types.entry(env.type_name).or_default().add(sample);
            }
            None => self.untyped.add(doc),
        }
    }

    /// Merges another catalog into this one.
    pub fn merge(&mut self, other: &Catalog) {
        for (name, st) in &other.types {
            self.types.entry(name.clone()).or_default().merge(st);
        }
        self.untyped.merge(&other.untyped);
    }

    /// Total documents filed.
    pub fn documents(&self) -> u64 {
        self.types.values().map(InferenceState::samples).sum::<u64>() + self.untyped.samples()
    }
}
