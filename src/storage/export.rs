//! `schemabus export` / `import`: the control plane of a store (everything but the event
//! data) as JSON Lines, exact to the byte, to back it up or move it to another store
//! (docs/OPERATIONS.md#export-and-import).
//!
//! One line per stored record: `{"tree": …, "key": <base64 of the key>, "value": <the
//! record>}`, or `"bytes": <base64>` for a value that is not a JSON record (counters,
//! index entries). A value is written as `value` only when writing that JSON back gives
//! its bytes exactly, so an import stores what the export read, byte for byte. A header
//! line names the store format; an end line counts the records and carries the SHA-256
//! of every line before it, so a truncated or edited file is refused before anything is
//! written.
//!
//! Not exported: the event data (the journal's events and queue messages, quarantine,
//! pending webhook deliveries, delivery traces, archived events) and the store's own
//! bookkeeping (`meta`). Sealed secrets (AWS credentials, connections) are exported sealed:
//! the importing service needs the same master key.

use std::io::{BufRead, Write};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{FORMAT_VERSION, StorageError, Store};

/// Version of the export file format (not of the store).
pub const EXPORT_VERSION: u32 = 1;

/// What an export or an import did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportSummary {
    /// Records written or read.
    pub records: u64,
    /// Records per tree, in file order.
    pub trees: Vec<(String, u64)>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Header {
    schemabus_export: u32,
    store_format: u32,
    created_at: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    tree: String,
    key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bytes: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct End {
    end: EndCounts,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EndCounts {
    records: u64,
    sha256: String,
}

/// One record: key and value bytes.
pub type Entry = (Vec<u8>, Vec<u8>);

/// One tree's records, in key order.
pub type TreeEntries = Vec<Entry>;

/// Where an import in cluster mode sends the shared trees ([`SHARED_TREES`]).
pub type RegistrySink<'a> =
    Box<dyn FnOnce(Vec<(&'static str, TreeEntries)>) -> Result<(), StorageError> + 'a>;

/// The registry's, keys' and the audit trail's trees.
const REGISTRY_TREES: [&str; 12] = {
    use super::*;
    [
        REGISTRIES,
        SCHEMAS,
        VERSIONS,
        COUNTERS,
        REFERRERS,
        CONFIGS,
        SCHEMA_IDS,
        SCHEMA_ID_VERSIONS,
        MODES,
        API_KEYS,
        AWS_CREDENTIALS,
        AUDIT,
    ]
};

/// The trees PostgreSQL's tables hold in cluster mode: the registry, keys, the audit
/// trail and every collection of the control plane (`postgres/transfer.rs` reads and
/// writes exactly these).
pub const SHARED_TREES: [&str; REGISTRY_TREES.len() + super::Collection::ALL.len()] = {
    let mut all = [""; REGISTRY_TREES.len() + super::Collection::ALL.len()];
    let mut i = 0;
    while i < REGISTRY_TREES.len() {
        all[i] = REGISTRY_TREES[i];
        i += 1;
    }
    let mut j = 0;
    while j < super::Collection::ALL.len() {
        all[i + j] = super::Collection::ALL[j].name();
        j += 1;
    }
    all
};

/// An import that cannot proceed: what is wrong, and on which line.
fn bad(line: usize, what: impl std::fmt::Display) -> StorageError {
    StorageError::Transfer(format!("line {line}: {what}"))
}

impl Store {
    /// The trees an export holds, in file order: the control plane.
    fn exported_trees(&self) -> Vec<(&'static str, &sled::Tree)> {
        use super::*;
        vec![
            (REGISTRIES, &self.registries),
            (SCHEMAS, &self.schemas),
            (VERSIONS, &self.versions),
            (COUNTERS, &self.counters),
            (REFERRERS, &self.referrers),
            (CONFIGS, &self.configs),
            (SCHEMA_IDS, &self.schema_ids),
            (SCHEMA_ID_VERSIONS, &self.id_versions),
            (MODES, &self.modes),
            (BUSES, &self.buses),
            (RULES, &self.rules),
            (QUEUES, &self.queues),
            (SCHEDULE_TICKS, &self.schedule_ticks),
            (CONNECTIONS, &self.connections),
            (API_DESTINATIONS, &self.api_destinations),
            (TAGS, &self.tags),
            (ARCHIVES, &self.archives),
            (REPLAYS, &self.replays),
            (API_KEYS, &self.api_keys),
            (AWS_CREDENTIALS, &self.aws_credentials),
            (AUDIT, &self.audit),
            (DISCOVERY_CONFIGS, &self.discovery_configs),
            (DISCOVERY_TYPES, &self.discovery_types),
            (DISCOVERY_HINTS, &self.discovery_hints),
            (DISCOVERY_DRIFT, &self.discovery_drift),
            (AWS_SCHEMAS, &self.aws_schemas),
        ]
    }

    /// Names of the trees an export holds (for docs and tests).
    pub fn exported_tree_names(&self) -> Vec<&'static str> {
        self.exported_trees().into_iter().map(|(name, _)| name).collect()
    }

    /// Writes the control plane to `out` (see the module docs).
    ///
    /// # Errors
    /// Storage failures and write errors on `out`.
    pub fn export(&self, out: &mut impl Write) -> Result<ExportSummary, StorageError> {
        self.export_with(out, None)
    }

    /// [`Self::export`], with the trees `registry` holds taken from it (cluster mode:
    /// the PostgreSQL tables as trees, `postgres/transfer.rs`) instead of this store.
    ///
    /// # Errors
    /// As for [`Self::export`].
    pub fn export_with(
        &self,
        out: &mut impl Write,
        registry: Option<&[(&str, TreeEntries)]>,
    ) -> Result<ExportSummary, StorageError> {
        let header = Header {
            schemabus_export: EXPORT_VERSION,
            store_format: FORMAT_VERSION,
            created_at: crate::model::now_rfc3339(),
        };
        write_json_line(out, &header)?;
        let mut hash = Sha256::new();
        let mut summary = ExportSummary { records: 0, trees: Vec::new() };
        for (name, tree) in self.exported_trees() {
            let mut count = 0;
            let replaced = registry.and_then(|trees| trees.iter().find(|(n, _)| *n == name));
            let entries: Box<dyn Iterator<Item = Result<Entry, StorageError>>> = match replaced {
                Some((_, entries)) => Box::new(entries.iter().map(|(k, v)| Ok((k.clone(), v.clone())))),
                None => Box::new(
                    tree.iter().map(|e| e.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(Into::into)),
                ),
            };
            for entry in entries {
                let (key, value) = entry?;
                let line = Line { tree: name.to_owned(), key: BASE64.encode(&key), ..exact_value(&value) };
                let mut text =
                    serde_json::to_vec(&line).map_err(|e| StorageError::Transfer(e.to_string()))?;
                text.push(b'\n');
                hash.update(&text);
                out.write_all(&text).map_err(write_failed)?;
                count += 1;
            }
            summary.records += count;
            summary.trees.push((name.to_owned(), count));
        }
        let end = End { end: EndCounts { records: summary.records, sha256: hex::encode(hash.finalize()) } };
        write_json_line(out, &end)?;
        out.flush().map_err(write_failed)?;
        Ok(summary)
    }

    /// Reads an export into this store, which must hold no control-plane record yet.
    /// Nothing is written unless the whole file checks out (header, every line, the end
    /// line's count and digest); then it is written and flushed.
    ///
    /// # Errors
    /// [`StorageError::Transfer`] naming the line for a file that is not a whole export of
    /// this store format, or a store that is not empty; storage failures.
    pub fn import(&self, input: impl BufRead) -> Result<ExportSummary, StorageError> {
        self.import_with(input, None)
    }

    /// [`Self::import`], handing the [`SHARED_TREES`] to `registry` (cluster mode: it
    /// writes them into PostgreSQL) instead of this store. It runs once the whole file
    /// has checked out and before this store is written; if it fails, nothing is.
    ///
    /// # Errors
    /// As for [`Self::import`], and the failure of `registry`.
    pub fn import_with(
        &self,
        input: impl BufRead,
        registry: Option<RegistrySink<'_>>,
    ) -> Result<ExportSummary, StorageError> {
        let trees = self.exported_trees();
        let elsewhere = |name: &str| registry.is_some() && SHARED_TREES.contains(&name);
        if let Some((name, _)) = trees.iter().find(|(name, t)| !elsewhere(name) && !t.is_empty()) {
            return Err(StorageError::Transfer(format!(
                "the target store already holds records (tree {name}): import into a new data directory"
            )));
        }
        let mut lines = input.lines().enumerate().map(|(i, l)| (i + 1, l));
        let (_, first) = lines.next().ok_or_else(|| bad(1, "the file is empty"))?;
        let header: Header = serde_json::from_str(&first.map_err(|e| bad(1, format!("cannot read: {e}")))?)
            .map_err(|e| bad(1, format!("not a schemabus export header: {e}")))?;
        if header.schemabus_export != EXPORT_VERSION {
            return Err(bad(
                1,
                format!("export version {} (this build reads {EXPORT_VERSION})", header.schemabus_export),
            ));
        }
        if header.store_format != FORMAT_VERSION {
            return Err(bad(
                1,
                format!(
                    "written from store format {} (this build has {FORMAT_VERSION})",
                    header.store_format
                ),
            ));
        }
        let mut batches: Vec<(sled::Batch, u64)> =
            trees.iter().map(|_| (sled::Batch::default(), 0)).collect();
        let mut moved: Vec<(&'static str, TreeEntries)> = Vec::new();
        let mut hash = Sha256::new();
        let mut records = 0u64;
        let mut ended = false;
        for (n, text) in lines {
            let text = text.map_err(|e| bad(n, format!("cannot read: {e}")))?;
            if ended {
                return Err(bad(n, "text after the end line"));
            }
            if text.starts_with(r#"{"end""#) {
                let end: End =
                    serde_json::from_str(&text).map_err(|e| bad(n, format!("bad end line: {e}")))?;
                if end.end.records != records || end.end.sha256 != hex::encode(hash.clone().finalize()) {
                    return Err(bad(n, "the end line's count or digest does not match the lines before it"));
                }
                ended = true;
                continue;
            }
            hash.update(text.as_bytes());
            hash.update(b"\n");
            let line: Line =
                serde_json::from_str(&text).map_err(|e| bad(n, format!("not a record line: {e}")))?;
            let index = trees
                .iter()
                .position(|(name, _)| *name == line.tree)
                .ok_or_else(|| bad(n, format!("unknown tree '{}'", line.tree)))?;
            let key = BASE64.decode(&line.key).map_err(|e| bad(n, format!("key: {e}")))?;
            let value = match (line.value, line.bytes) {
                (Some(v), None) => serde_json::to_vec(&v).map_err(|e| bad(n, e))?,
                (None, Some(b)) => BASE64.decode(&b).map_err(|e| bad(n, format!("bytes: {e}")))?,
                _ => return Err(bad(n, "a record has exactly one of `value` and `bytes`")),
            };
            let name = trees[index].0;
            if elsewhere(name) {
                match moved.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, entries)) => entries.push((key, value)),
                    None => moved.push((name, vec![(key, value)])),
                }
            } else {
                batches[index].0.insert(key, value);
            }
            batches[index].1 += 1;
            records += 1;
        }
        if !ended {
            return Err(StorageError::Transfer(
                "the file ends without its end line: it is truncated".to_owned(),
            ));
        }
        self.room()?;
        if let Some(sink) = registry {
            sink(moved)?;
        }
        let mut summary = ExportSummary { records, trees: Vec::new() };
        for ((name, tree), (batch, count)) in trees.into_iter().zip(batches) {
            tree.apply_batch(batch)?;
            self.wrote();
            summary.trees.push((name.to_owned(), count));
        }
        self.flush_blocking()?;
        Ok(summary)
    }
}

/// `value` when the bytes are JSON that serializes back to exactly them, else `bytes`.
fn exact_value(bytes: &[u8]) -> Line {
    let empty = Line { tree: String::new(), key: String::new(), value: None, bytes: None };
    if let Ok(value) = serde_json::from_slice::<Value>(bytes)
        && serde_json::to_vec(&value).is_ok_and(|again| again == bytes)
    {
        return Line { value: Some(value), ..empty };
    }
    Line { bytes: Some(BASE64.encode(bytes)), ..empty }
}

fn write_json_line(out: &mut impl Write, value: &impl Serialize) -> Result<(), StorageError> {
    serde_json::to_writer(&mut *out, value).map_err(|e| StorageError::Transfer(e.to_string()))?;
    out.write_all(b"\n").map_err(write_failed)
}

fn write_failed(e: std::io::Error) -> StorageError {
    StorageError::Transfer(format!("cannot write the export: {e}"))
}
