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
use std::io::{self, BufRead, BufReader, Read};
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
/// With `progress`, a line goes to stderr every 10,000 documents or 64 MiB. `opts` carries
/// the evidence threshold and null policy (its `title` is replaced by each type's name).
pub fn run(
    files: &[PathBuf],
    detail_only: bool,
    progress: bool,
    opts: &DeriveOptions,
) -> Result<Value, String> {
    let mut catalog = Catalog::new();
    let mut meter =
        Progress { enabled: progress, docs: 0, next_docs: PROGRESS_DOCS, next_bytes: PROGRESS_BYTES };
    for path in files {
        read_file(path, &mut catalog, detail_only, &mut meter, SLURP_MAX)?;
    }
    if progress {
        eprintln!("infer: done, {} documents, {} event types", catalog.documents(), catalog.types.len());
    }
    Ok(report(&catalog, opts))
}

/// Builds the output value from a catalog (also used by tests and the HTTP layer).
pub fn report(catalog: &Catalog, opts: &DeriveOptions) -> Value {
    let entry = |name: Option<&str>, st: &InferenceState| {
        let opts = DeriveOptions { title: name.map(str::to_owned), ..opts.clone() };
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
        let pct = bytes.saturating_mul(100).checked_div(total).unwrap_or(100);
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

/// Files up to this size are read into memory first (serde_json parses slices without the
/// per-byte reader overhead). Larger files are streamed so memory stays bounded.
const SLURP_MAX: u64 = 64 * 1024 * 1024;

fn read_file(
    path: &Path,
    catalog: &mut Catalog,
    detail_only: bool,
    meter: &mut Progress,
    slurp_max: u64,
) -> Result<(), String> {
    let err = |e: &dyn fmt::Display| format!("{}: {e}", path.display());
    let mut file = File::open(path).map_err(|e| err(&e))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    meter.next_bytes = PROGRESS_BYTES;
    if total <= slurp_max {
        let mut bytes = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
        file.read_to_end(&mut bytes).map_err(|e| err(&e))?;
        let array = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
        let done = || total;
        let sink = Sink { catalog, detail_only, meter, path, total, offset: &done };
        return feed(serde_json::Deserializer::from_slice(&bytes), array, sink).map_err(|e| err(&e));
    }
    let read = Rc::new(Cell::new(0));
    let mut reader = BufReader::with_capacity(1 << 16, Counting { inner: file, read: Rc::clone(&read) });
    // Peek at the first non-blank byte: a top-level array is a list of documents.
    let array = loop {
        let buf = reader.fill_buf().map_err(|e| err(&e))?;
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => break buf[i] == b'[',
            None if buf.is_empty() => break false,
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    };
    let offset = || read.get();
    let sink = Sink { catalog, detail_only, meter, path, total, offset: &offset };
    feed(serde_json::Deserializer::from_reader(reader), array, sink).map_err(|e| err(&e))
}

/// Parses one file's documents into the catalog: the elements of a top-level array, or a
/// sequence of whitespace-separated documents (one document, or NDJSON).
fn feed<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
    array: bool,
    sink: Sink<'_>,
) -> serde_json::Result<()> {
    if array {
        de.deserialize_seq(sink)?;
        return de.end();
    }
    for doc in de.into_iter::<Value>() {
        let doc = doc?;
        sink.catalog.add(&doc, sink.detail_only);
        sink.meter.tick(sink.path, (sink.offset)(), sink.total);
    }
    Ok(())
}

/// Feeds the elements of a top-level array to the catalog one at a time, so a large array
/// file is never held in memory as a whole.
struct Sink<'a> {
    catalog: &'a mut Catalog,
    detail_only: bool,
    meter: &'a mut Progress,
    path: &'a Path,
    total: u64,
    /// Bytes consumed so far in this file (for progress lines).
    offset: &'a dyn Fn() -> u64,
}

impl<'de> Visitor<'de> for Sink<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of documents")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(doc) = seq.next_element::<Value>()? {
            self.catalog.add(&doc, self.detail_only);
            self.meter.tick(self.path, (self.offset)(), self.total);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The streaming path (files over `SLURP_MAX`) must read the same documents as the
    /// in-memory one; a zero threshold forces it on small files.
    #[test]
    fn streamed_and_slurped_files_agree() {
        let dir = tempfile::tempdir().expect("temp dir");
        let nd = dir.path().join("a.ndjson");
        let arr = dir.path().join("b.json");
        std::fs::write(&nd, "{\"source\":\"s\",\"detail-type\":\"A b\",\"detail\":{\"x\":1}}\n{\"y\":2}\n")
            .expect("write");
        std::fs::write(&arr, "\n [{\"x\":1.5}, {\"x\":null}]").expect("write");
        let mut results = Vec::new();
        for slurp_max in [0, SLURP_MAX] {
            let mut c = Catalog::new();
            let mut meter = Progress { enabled: true, docs: 0, next_docs: 1, next_bytes: PROGRESS_BYTES };
            for p in [&nd, &arr] {
                read_file(p, &mut c, true, &mut meter, slurp_max).expect("read");
            }
            assert_eq!(meter.docs, 4);
            results.push(report(&c, &DeriveOptions::default()));
        }
        assert_eq!(results[0], results[1]);
        assert_eq!(results[0]["types"]["s@AB"]["samples"], json!(1));
        assert_eq!(results[0]["untyped"]["samples"], json!(3));
    }
}
