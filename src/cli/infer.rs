//! `schemabus infer FILE...`: offline schema inference over sample files.
//!
//! Each file holds one JSON document, a JSON array of documents, or NDJSON (any sequence of
//! whitespace-separated documents). Files are streamed: documents are merged into the
//! inference state as they are parsed, so memory is bounded by the largest document, not
//! the file.
//!
//! Output shape (a JSON value, printed by the caller):
//!
//! ```json
//! {
//!   "documents": 1234,
//!   "types": {
//!     "orders@OrderPlaced": { "samples": 1200, "schema": { "$schema": "...", "title": "orders@OrderPlaced", ... } }
//!   },
//!   "untyped": { "samples": 34, "schema": { ... } }
//! }
//! ```
//!
//! `types` holds one entry per EventBridge event type (`<source>@<DetailTypeInPascalCase>`),
//! sorted by name; its schema describes the `detail` when `detail_only` is set and the whole
//! envelope otherwise. `untyped` (present only when some documents were not envelopes)
//! describes the bare documents as they are.

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use std::cell::Cell;
use std::rc::Rc;

use serde::de::{Deserializer, SeqAccess, Visitor};
use serde_json::{Map, Value, json};

use crate::infer::{Catalog, DeriveOptions, Hints, InferenceState, derive_schema_with};

/// Progress is reported every this many documents...
const PROGRESS_DOCS: u64 = 10_000;
/// ...or every this many bytes read, whichever comes first.
const PROGRESS_BYTES: u64 = 64 * 1024 * 1024;

/// Infers schemas from `files` and returns the report described in the module docs.
/// With `progress`, a line goes to stderr every 10,000 documents or 64 MiB.
pub fn run(files: &[PathBuf], detail_only: bool, progress: bool) -> Result<Value, String> {
    let mut catalog = Catalog::new();
    let mut meter = Progress { enabled: progress, docs: 0, next_docs: PROGRESS_DOCS, next_bytes: PROGRESS_BYTES };
    for path in files {
        read_file(path, &mut catalog, detail_only, &mut meter)?;
    }
    if progress {
        eprintln!("infer: done, {} documents, {} event types", catalog.documents(), catalog.types.len());
    }
    Ok(report(&catalog))
}

/// Builds the output value from a catalog (also used by tests and the HTTP layer).
pub fn report(catalog: &Catalog) -> Value {
    let entry = |name: Option<&str>, st: &InferenceState| {
        let opts = DeriveOptions { stats: false, title: name.map(str::to_owned) };
        json!({"samples": st.samples(), "schema": derive_schema_with(st, &Hints::default(), &opts)})
    };
    let types: Map<String, Value> =
        catalog.types.iter().map(|(name, st)| (name.clone(), entry(Some(name), st))).collect();
    let mut out = Map::new();
    out.insert("documents".into(), json!(catalog.documents()));
    out.insert("types".into(), Value::Object(types));
    if catalog.untyped.samples() > 0 {
        out.insert("untyped".into(), entry(None, &catalog.untyped));
    }
    Value::Object(out)
}

struct Progress {
    enabled: bool,
    docs: u64,
    next_docs: u64,
    next_bytes: u64,
}

impl Progress {
    fn tick(&mut self, path: &Path, bytes: u64, total: u64) {
        self.docs += 1;
        if !self.enabled || (self.docs < self.next_docs && bytes < self.next_bytes) {
            return;
        }
        while self.next_docs <= self.docs {
            self.next_docs += PROGRESS_DOCS;
        }
        while self.next_bytes <= bytes {
            self.next_bytes += PROGRESS_BYTES;
        }
        let pct = if total > 0 { bytes.saturating_mul(100) / total } else { 100 };
        eprintln!(
            "infer: {} documents; {}: {} of {} MiB ({pct}%)",
            self.docs,
            path.display(),
            bytes >> 20,
            total >> 20
        );
    }
}

/// Counts bytes handed to the parser, for byte-based progress. The count is shared because
/// the parser owns the reader.
struct Counting<R> {
    inner: R,
    read: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

fn read_file(path: &Path, catalog: &mut Catalog, detail_only: bool, meter: &mut Progress) -> Result<(), String> {
    let err = |e: &dyn fmt::Display| format!("{}: {e}", path.display());
    let file = File::open(path).map_err(|e| err(&e))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let read = Rc::new(Cell::new(0));
    let mut reader = BufReader::with_capacity(1 << 16, Counting { inner: file, read: Rc::clone(&read) });
    meter.next_bytes = PROGRESS_BYTES;
    // Peek at the first non-blank byte: a top-level array is a list of documents.
    let first = {
        use std::io::BufRead;
        loop {
            let buf = reader.fill_buf().map_err(|e| err(&e))?;
            match buf.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(i) => {
                    let b = buf[i];
                    reader.consume(i);
                    break Some(b);
                }
                None if buf.is_empty() => break None,
                None => {
                    let n = buf.len();
                    reader.consume(n);
                }
            }
        }
    };
    match first {
        None => Ok(()),
        Some(b'[') => {
            let mut de = serde_json::Deserializer::from_reader(reader);
            let sink = Sink { catalog, detail_only, meter, path, total, read };
            de.deserialize_seq(sink).map_err(|e| err(&e))?;
            de.end().map_err(|e| err(&e))
        }
        Some(_) => {
            let mut stream = serde_json::Deserializer::from_reader(reader).into_iter::<Value>();
            while let Some(doc) = stream.next() {
                let doc = doc.map_err(|e| err(&e))?;
                catalog.add(&doc, detail_only);
                meter.tick(path, read.get(), total);
            }
            Ok(())
        }
    }
}

/// Feeds the elements of a top-level array to the catalog one at a time, so a large array
/// file is never held in memory as a whole.
struct Sink<'a> {
    catalog: &'a mut Catalog,
    detail_only: bool,
    meter: &'a mut Progress,
    path: &'a Path,
    total: u64,
    read: Rc<Cell<u64>>,
}

impl<'de> Visitor<'de> for Sink<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of documents")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(doc) = seq.next_element::<Value>()? {
            self.catalog.add(&doc, self.detail_only);
            self.meter.tick(self.path, self.read.get(), self.total);
        }
        Ok(())
    }
}
