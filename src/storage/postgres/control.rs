//! The PostgreSQL adapter of [`ControlStore`] (cluster mode): every control-plane
//! document in one table, `control_records`, and a replica of the whole table in this
//! instance's memory that answers every read.
//!
//! Reads are synchronous and hot (PutEvents reads its bus on every request), so they never
//! wait on the database; the documents are few and small, so the whole table fits.
//!
//! A batch is one serializable transaction, so its `Expect`s and `Create`s hold on the
//! state it commits on, whatever other instances write at the same time (a batch
//! PostgreSQL cannot order with another is tried again). It sends its notification
//! (`pg_notify`, delivered at commit) naming the keys it changed; after the commit the
//! writer reads those keys back, and every other instance does when the notification
//! comes (`listener.rs`). The replica is refreshed only by reading the database, never by
//! applying a batch to it: two instances writing one key at once then both end up
//! holding the value the database kept, whichever order their reloads ran in. Reloads run
//! one at a time, each reading and installing under one lock, so an older read is never
//! installed over a newer one.

use std::collections::{BTreeMap, HashSet};
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};
use std::time::Instant;

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};
use tokio::sync::watch;

use super::SNAPSHOT;
use super::listener::{self, Follower};
use crate::storage::{Applied, Collection, ControlStore, Document, Op, StorageError, StoreFuture};

/// The notification channel of the control plane.
pub(super) const CHANNEL: &str = "schemabus_control";
/// Longest notification payload that names keys; past it the payload names whole
/// collections (PostgreSQL refuses payloads of 8000 bytes or more).
const PAYLOAD_BUDGET: usize = 7_000;
/// The sender an import (`transfer.rs`) names in its notifications: no instance.
pub(super) const IMPORT_SENDER: &str = "schemabus-import";
/// The notification of an import: every collection changed.
pub(super) const IMPORT_NOTICE: &str = "schemabus-import\n*";

/// One collection's documents, by key.
type Documents = BTreeMap<Vec<u8>, Vec<u8>>;
/// A document as read from the table.
type Record = (Collection, Vec<u8>, Vec<u8>);

/// What a batch changed, and so what a reload reads again.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Change {
    /// One key.
    Key(Collection, Vec<u8>),
    /// Every key that starts with the bytes (none: the whole collection).
    Prefix(Collection, Vec<u8>),
}

/// What a reload covers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    /// Every collection (at start-up, after the notification connection was lost, after
    /// an import).
    All,
    /// These keys and prefixes.
    Changes(Vec<Change>),
}

impl Change {
    fn collection(&self) -> Collection {
        match self {
            Self::Key(c, _) | Self::Prefix(c, _) => *c,
        }
    }

    /// `k:collection:hex` or `p:collection:hex`: keys are bytes, payloads text.
    fn encode(&self) -> String {
        match self {
            Self::Key(c, key) => format!("k:{}:{}", c.name(), hex::encode(key)),
            Self::Prefix(c, prefix) => format!("p:{}:{}", c.name(), hex::encode(prefix)),
        }
    }

    fn decode(token: &str) -> Option<Self> {
        let (kind, rest) = token.split_once(':')?;
        let (name, bytes) = rest.split_once(':')?;
        let collection = Collection::from_name(name)?;
        let bytes = hex::decode(bytes).ok()?;
        match kind {
            "k" => Some(Self::Key(collection, bytes)),
            "p" => Some(Self::Prefix(collection, bytes)),
            _ => None,
        }
    }

    /// Whether the replica's `key` of `collection` is covered.
    fn covers(&self, collection: Collection, key: &[u8]) -> bool {
        match self {
            Self::Key(c, k) => *c == collection && k == key,
            Self::Prefix(c, p) => *c == collection && key.starts_with(p),
        }
    }
}

impl Scope {
    /// What `ops` write, each key or prefix once.
    fn written(ops: &[Op]) -> Self {
        Self::keys(ops.iter().filter_map(|op| match op {
            Op::Put { collection, key, .. }
            | Op::Create { collection, key, .. }
            | Op::Delete { collection, key } => Some(Change::Key(*collection, key.clone())),
            Op::DeletePrefix { collection, prefix } => Some(Change::Prefix(*collection, prefix.clone())),
            Op::Expect { .. } => None,
        }))
    }

    /// The keys `ops` check (`Expect`s, `Create`s): what a refused batch reloads, so
    /// that its caller reads what refused it.
    fn checked(ops: &[Op]) -> Self {
        Self::keys(ops.iter().filter_map(|op| match op {
            Op::Expect { collection, key, .. } | Op::Create { collection, key, .. } => {
                Some(Change::Key(*collection, key.clone()))
            }
            Op::Put { .. } | Op::Delete { .. } | Op::DeletePrefix { .. } => None,
        }))
    }

    fn keys(changes: impl Iterator<Item = Change>) -> Self {
        let mut changes: Vec<Change> = changes.collect();
        changes.sort();
        changes.dedup();
        Self::Changes(changes)
    }

    fn is_empty(&self) -> bool {
        matches!(self, Self::Changes(changes) if changes.is_empty())
    }

    /// The same collections, whole.
    fn widened(&self) -> Self {
        match self {
            Self::All => Self::All,
            Self::Changes(changes) => {
                let mut whole: Vec<Change> =
                    changes.iter().map(|c| Change::Prefix(c.collection(), Vec::new())).collect();
                whole.sort();
                whole.dedup();
                Self::Changes(whole)
            }
        }
    }

    /// Its name in metrics.
    fn kind(&self) -> &'static str {
        match self {
            Self::All => "control_all",
            Self::Changes(_) => "control_keys",
        }
    }

    fn encode(&self) -> String {
        match self {
            Self::All => "*".to_owned(),
            Self::Changes(changes) => changes.iter().map(Change::encode).collect::<Vec<_>>().join(" "),
        }
    }

    /// The scope a payload names (`None`: not one of ours).
    fn decode(text: &str) -> Option<Self> {
        if text == "*" {
            return Some(Self::All);
        }
        text.split(' ').map(Change::decode).collect::<Option<Vec<_>>>().map(Self::Changes)
    }

    /// Whether the replica's `key` of `collection` is covered.
    fn covers(&self, collection: Collection, key: &[u8]) -> bool {
        match self {
            Self::All => true,
            Self::Changes(changes) => changes.iter().any(|c| c.covers(collection, key)),
        }
    }
}

/// The notification of a batch by `sender` that changed `scope`: `sender`, a newline,
/// then the keys, or their whole collections when the keys would not fit.
fn payload(sender: &str, scope: &Scope) -> String {
    [scope.clone(), scope.widened(), Scope::All]
        .iter()
        .map(|s| format!("{sender}\n{}", s.encode()))
        .find(|p| p.len() <= PAYLOAD_BUDGET)
        // Only an absurdly long instance name gets here: then reloaded as another's.
        .unwrap_or_else(|| IMPORT_NOTICE.to_owned())
}

/// `sender` is `instance:number`: the number, if the instance is `instance`.
fn batch_of(instance: &str, sender: &str) -> Option<u64> {
    let (sent_by, write) = sender.rsplit_once(':')?;
    if sent_by != instance {
        return None;
    }
    write.parse().ok()
}

/// The least key greater than every key that starts with `prefix`; `None` when there is
/// none (an empty prefix, or one of 0xFF bytes only), and the range is unbounded.
fn after_prefix(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Who made the change a reload installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// This instance (its writes, start-up).
    Own,
    /// Another instance, or possibly one (a lost connection, a refused create).
    Remote,
}

/// The control plane on PostgreSQL. Cheap to clone; clones share the pool and the replica.
#[derive(Clone)]
pub struct PgControl {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    /// Names this instance in notifications.
    instance: String,
    replica: RwLock<BTreeMap<Collection, Documents>>,
    /// Serialises reloads, read and install together (see the module docs).
    reloads: tokio::sync::Mutex<()>,
    /// Raised after every change to the replica.
    generation: AtomicU64,
    /// The generation after each change another instance made.
    remote: watch::Sender<u64>,
    /// Numbers this instance's batches (in their notifications).
    writes: AtomicU64,
    /// Own batches whose keys were reloaded once already (see `reload_own`).
    own_reloads: Mutex<HashSet<u64>>,
}

impl std::fmt::Debug for PgControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgControl").field("instance", &self.inner.instance).finish_non_exhaustive()
    }
}

impl PgControl {
    /// Loads the replica and starts following changes, as `instance` (unique in the
    /// cluster). The database must be migrated ([`super::migrate`]). Needs a tokio
    /// runtime.
    ///
    /// # Errors
    /// Database failures.
    pub async fn open(pool: PgPool, instance: &str) -> Result<Self, StorageError> {
        let control = Self {
            inner: Arc::new(Inner {
                pool,
                instance: instance.to_owned(),
                replica: RwLock::default(),
                reloads: tokio::sync::Mutex::default(),
                generation: AtomicU64::new(0),
                remote: watch::channel(0).0,
                writes: AtomicU64::new(0),
                own_reloads: Mutex::default(),
            }),
        };
        // Listen first, then load: a change committed in between is then both loaded
        // and notified, never neither.
        let listener = listener::subscribe(&control.inner.pool, CHANNEL).await?;
        control.reload(&Scope::All, Origin::Own).await?;
        tokio::spawn(listener::run(listener, control.clone()));
        Ok(control)
    }

    /// Reads `scope` from the database into the replica.
    async fn reload(&self, scope: &Scope, origin: Origin) -> Result<(), StorageError> {
        let _serial = self.inner.reloads.lock().await;
        self.load_into_replica(scope, origin).await
    }

    /// Reloads `scope` for this instance's own batch number `write`, unless that was done
    /// already: the writer (after its commit) and the listener (on the batch's
    /// notification) both call this, and whichever comes second skips. Either may fail
    /// or never come (a dropped request, a lost notification); then the other loads.
    async fn reload_own(&self, scope: &Scope, write: u64) -> Result<(), StorageError> {
        let _serial = self.inner.reloads.lock().await;
        if self.own_reloads().remove(&write) {
            return Ok(());
        }
        self.load_into_replica(scope, Origin::Own).await?;
        let mut done = self.own_reloads();
        // Entries whose second call never comes (a notification lost with its
        // connection, which reloads everything anyway) must not pile up.
        if done.len() > 10_000 {
            done.clear();
        }
        done.insert(write);
        Ok(())
    }

    fn own_reloads(&self) -> MutexGuard<'_, HashSet<u64>> {
        self.inner.own_reloads.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a notification's sender is this instance: its batch number, if so.
    fn own_write(&self, sender: &str) -> Option<u64> {
        batch_of(&self.inner.instance, sender)
    }

    /// Reads and installs; the caller holds `reloads`.
    async fn load_into_replica(&self, scope: &Scope, origin: Origin) -> Result<(), StorageError> {
        let started = Instant::now();
        let records = load(&self.inner.pool, scope).await?;
        metrics::histogram!("schemabus_database_reload_seconds", "scope" => scope.kind())
            .record(started.elapsed().as_secs_f64());
        install(&mut self.inner.replica.write().unwrap_or_else(PoisonError::into_inner), scope, records);
        let generation = self.inner.generation.fetch_add(1, Ordering::AcqRel) + 1;
        if origin == Origin::Remote {
            self.inner.remote.send_replace(generation);
        }
        Ok(())
    }

    fn read(&self) -> RwLockReadGuard<'_, BTreeMap<Collection, Documents>> {
        self.inner.replica.read().unwrap_or_else(PoisonError::into_inner)
    }

    async fn apply_batch(&self, ops: Vec<Op>) -> Result<Applied, StorageError> {
        if ops.is_empty() {
            return Ok(Applied::default());
        }
        let started = Instant::now();
        let write = self.inner.writes.fetch_add(1, Ordering::Relaxed);
        let scope = Scope::written(&ops);
        // The notification names the batch, so the listener knows it for ours.
        let notice =
            (!scope.is_empty()).then(|| payload(&format!("{}:{write}", self.inner.instance), &scope));
        let mut attempt = 1;
        let outcome = loop {
            match self.transact(&ops, notice.as_deref()).await {
                Err(StorageError::Database(e)) if attempt < ATTEMPTS && is_conflict(&e) => attempt += 1,
                outcome => break outcome?,
            }
        };
        let Some(existed) = outcome else {
            // Perhaps refused by another instance's write whose notification has not
            // come yet: the caller reads what refused it.
            if let Err(e) = self.reload(&Scope::checked(&ops), Origin::Remote).await {
                tracing::warn!(error = %e, "reloading the keys that refused a batch failed");
            }
            return Ok(Applied { refused: true, existed: Vec::new() });
        };
        // Committed: a failed reload must not turn it into an error. The batch's
        // notification reloads its keys then (`listener.rs`).
        if notice.is_some()
            && let Err(e) = self.reload_own(&scope, write).await
        {
            tracing::warn!(error = %e, "reloading after a committed control-plane write failed; the notification will");
        }
        metrics::histogram!("schemabus_database_control_write_seconds")
            .record(started.elapsed().as_secs_f64());
        Ok(Applied { refused: false, existed })
    }

    /// One attempt at a batch, in a serializable transaction: `Expect`s and `Create`s are
    /// decided against the state the batch commits on, whatever other instances write
    /// meanwhile (PostgreSQL aborts one of two batches it cannot order, and the caller
    /// tries again). `None`: refused, nothing written.
    async fn transact(&self, ops: &[Op], notice: Option<&str>) -> Result<Option<Vec<bool>>, StorageError> {
        let mut tx = self.inner.pool.begin_with(SERIALIZABLE).await?;
        let Some(existed) = run(&mut tx, ops).await? else {
            tx.rollback().await?;
            return Ok(None);
        };
        if let Some(notice) = notice {
            sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(notice).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(Some(existed))
    }
}

/// Begins a batch's transaction.
const SERIALIZABLE: &str = "BEGIN ISOLATION LEVEL SERIALIZABLE";
/// Attempts at a batch that conflicts with concurrent ones, before the conflict is the
/// caller's (`storage_unavailable`, retryable).
const ATTEMPTS: u32 = 10;

/// A serialization failure or a deadlock: nothing was written, and trying again may work.
fn is_conflict(e: &sqlx::Error) -> bool {
    e.as_database_error().and_then(|d| d.code()).is_some_and(|code| code == "40001" || code == "40P01")
}

/// Replaces what `scope` covers in `replica` with `records` (read for that scope).
fn install(replica: &mut BTreeMap<Collection, Documents>, scope: &Scope, records: Vec<Record>) {
    match scope {
        Scope::All => replica.clear(),
        Scope::Changes(changes) => {
            for change in changes {
                let Some(documents) = replica.get_mut(&change.collection()) else { continue };
                match change {
                    Change::Key(_, key) => {
                        documents.remove(key);
                    }
                    Change::Prefix(_, prefix) => {
                        documents.retain(|key, _| !key.starts_with(prefix));
                    }
                }
            }
        }
    }
    for (collection, key, value) in records {
        debug_assert!(scope.covers(collection, &key), "a reload read a key outside its scope");
        replica.entry(collection).or_default().insert(key, value);
    }
}

const SELECT_ALL: &str = "SELECT collection, key, value FROM control_records";
const SELECT_KEYS: &str = "SELECT r.collection, r.key, r.value FROM control_records r
     JOIN unnest($1::text[], $2::bytea[]) AS w(collection, key)
       ON r.collection = w.collection AND r.key = w.key";
/// `$3` is [`after_prefix`] of the prefix `$2`.
const SELECT_PREFIX: &str = "SELECT collection, key, value FROM control_records
     WHERE collection = $1 AND key >= $2 AND ($3::bytea IS NULL OR key < $3)";

/// Reads every document `scope` covers, in one snapshot.
async fn load(pool: &PgPool, scope: &Scope) -> Result<Vec<Record>, StorageError> {
    let mut tx = pool.begin_with(SNAPSHOT).await?;
    let mut rows = Vec::new();
    match scope {
        Scope::All => rows = sqlx::query(SELECT_ALL).fetch_all(&mut *tx).await?,
        Scope::Changes(changes) => {
            let (collections, keys): (Vec<&str>, Vec<Vec<u8>>) = changes
                .iter()
                .filter_map(|c| match c {
                    Change::Key(collection, key) => Some((collection.name(), key.clone())),
                    Change::Prefix(..) => None,
                })
                .unzip();
            if !keys.is_empty() {
                rows = sqlx::query(SELECT_KEYS).bind(collections).bind(keys).fetch_all(&mut *tx).await?;
            }
            for change in changes {
                if let Change::Prefix(collection, prefix) = change {
                    let found = sqlx::query(SELECT_PREFIX)
                        .bind(collection.name())
                        .bind(prefix)
                        .bind(after_prefix(prefix))
                        .fetch_all(&mut *tx)
                        .await?;
                    rows.extend(found);
                }
            }
        }
    }
    tx.commit().await?;
    rows.iter().filter_map(|row| record(row).transpose()).collect()
}

/// A row as a document; `None` for a collection this release does not know (written by
/// a newer one).
fn record(row: &PgRow) -> Result<Option<Record>, StorageError> {
    let name: String = row.try_get(0)?;
    let Some(collection) = Collection::from_name(&name) else { return Ok(None) };
    Ok(Some((collection, row.try_get(1)?, row.try_get(2)?)))
}

/// Runs a batch in `tx`: the `Expect`s, then the `Create`s, then the rest in order, as the
/// embedded store does, so both adapters decide a batch alike. Per op whether its key
/// existed; `None` when an `Expect` found another value or a `Create` its key taken (the
/// caller rolls back).
async fn run(tx: &mut PgConnection, ops: &[Op]) -> Result<Option<Vec<bool>>, StorageError> {
    for op in ops {
        if let Op::Expect { collection, key, value } = op {
            let held: Option<Vec<u8>> =
                sqlx::query_scalar("SELECT value FROM control_records WHERE collection = $1 AND key = $2")
                    .bind(collection.name())
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await?;
            if held != *value {
                return Ok(None);
            }
        }
    }
    for op in ops {
        if let Op::Create { collection, key, value } = op
            && !insert(tx, *collection, key, value).await?
        {
            return Ok(None);
        }
    }
    let mut existed = Vec::with_capacity(ops.len());
    for op in ops {
        existed.push(match op {
            Op::Create { .. } => false,
            Op::Expect { value, .. } => value.is_some(),
            Op::Put { collection, key, value } => put(tx, *collection, key, value).await?,
            Op::Delete { collection, key } => {
                sqlx::query("DELETE FROM control_records WHERE collection = $1 AND key = $2")
                    .bind(collection.name())
                    .bind(key)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    > 0
            }
            Op::DeletePrefix { collection, prefix } => {
                sqlx::query(
                    "DELETE FROM control_records
                     WHERE collection = $1 AND key >= $2 AND ($3::bytea IS NULL OR key < $3)",
                )
                .bind(collection.name())
                .bind(prefix)
                .bind(after_prefix(prefix))
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    > 0
            }
        });
    }
    Ok(Some(existed))
}

/// Inserts unless the key exists (waiting for a concurrent insert of it to commit or
/// roll back); whether it inserted.
async fn insert(
    tx: &mut PgConnection,
    collection: Collection,
    key: &[u8],
    value: &[u8],
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "INSERT INTO control_records (collection, key, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(collection.name())
    .bind(key)
    .bind(value)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Stores `value` under `key`; whether the key existed. Two statements, each of whose
/// outcomes says which case it was (an upsert's does not): insert, else update (which
/// finds the row: in a serializable transaction a row deleted concurrently is a
/// serialization failure, but should it not, the loop inserts again).
async fn put(
    tx: &mut PgConnection,
    collection: Collection,
    key: &[u8],
    value: &[u8],
) -> Result<bool, StorageError> {
    loop {
        if insert(tx, collection, key, value).await? {
            return Ok(false);
        }
        let updated = sqlx::query("UPDATE control_records SET value = $3 WHERE collection = $1 AND key = $2")
            .bind(collection.name())
            .bind(key)
            .bind(value)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if updated > 0 {
            return Ok(true);
        }
    }
}

impl Follower for PgControl {
    const WHAT: &'static str = "the control plane's replica";
    const CHANNEL: &'static str = CHANNEL;
    const LOSSES: &'static str = "schemabus_database_control_listener_losses_total";

    fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    async fn follow(&self, payload: &str) -> Result<(), StorageError> {
        let (sender, scope) = payload.split_once('\n').unwrap_or_default();
        // A payload that is not ours still says something changed.
        let scope = Scope::decode(scope).unwrap_or(Scope::All);
        match self.own_write(sender) {
            Some(write) => self.reload_own(&scope, write).await,
            None => self.reload(&scope, Origin::Remote).await,
        }
    }

    async fn reload_all(&self) -> Result<(), StorageError> {
        self.reload(&Scope::All, Origin::Remote).await
    }
}

impl ControlStore for PgControl {
    fn get(&self, collection: Collection, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.read().get(&collection).and_then(|documents| documents.get(key)).cloned())
    }

    fn scan(&self, collection: Collection, prefix: &[u8]) -> Result<Vec<Document>, StorageError> {
        let replica = self.read();
        let Some(documents) = replica.get(&collection) else { return Ok(Vec::new()) };
        Ok(documents
            .range::<[u8], _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(key, _)| key.starts_with(prefix))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect())
    }

    fn apply(&self, ops: Vec<Op>) -> StoreFuture<'_, Applied> {
        Box::pin(self.apply_batch(ops))
    }

    fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    fn remote_changes(&self) -> Option<watch::Receiver<u64>> {
        Some(self.inner.remote.subscribe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_through_their_payloads() {
        let scope = Scope::Changes(vec![
            Change::Key(Collection::Buses, b"default".to_vec()),
            Change::Key(Collection::Tags, vec![0, 0xff, b' ', b':']),
            Change::Prefix(Collection::Rules, b"default\0".to_vec()),
            Change::Prefix(Collection::Archives, Vec::new()),
        ]);
        for scope in [scope, Scope::All] {
            let text = payload("node-1:7", &scope);
            let (sender, body) = text.split_once('\n').unwrap();
            assert_eq!((sender, Scope::decode(body)), ("node-1:7", Some(scope)));
        }
        assert_eq!(Scope::decode("k:nowhere:00"), None);
        assert_eq!(Scope::decode("x:buses:00"), None);
        assert_eq!(Scope::decode(""), None);
    }

    #[test]
    fn a_payload_too_long_for_its_keys_names_their_collections() {
        let ops: Vec<Op> = (0..2_000u32)
            .map(|i| Op::Delete { collection: Collection::Rules, key: i.to_be_bytes().to_vec() })
            .chain([Op::Delete { collection: Collection::Buses, key: b"b".to_vec() }])
            .collect();
        let text = payload("me:1", &Scope::written(&ops));
        assert!(text.len() <= PAYLOAD_BUDGET);
        let body = text.split_once('\n').unwrap().1;
        let whole = Scope::Changes(vec![
            Change::Prefix(Collection::Buses, Vec::new()),
            Change::Prefix(Collection::Rules, Vec::new()),
        ]);
        assert_eq!(Scope::decode(body), Some(whole));
    }

    #[test]
    fn the_end_of_a_prefix_range_is_its_successor() {
        assert_eq!(after_prefix(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(after_prefix(&[b'a', 0xff, 0xff]), Some(b"b".to_vec()));
        assert_eq!(after_prefix(&[0xff, 0xff]), None);
        assert_eq!(after_prefix(b""), None);
    }

    #[test]
    fn installing_replaces_what_the_scope_covers_only() {
        let mut replica = BTreeMap::new();
        let rules: Documents = [(b"a\0x".to_vec(), b"1".to_vec()), (b"a\0y".to_vec(), b"2".to_vec())]
            .into_iter()
            .chain([(b"b\0x".to_vec(), b"3".to_vec())])
            .collect();
        replica.insert(Collection::Rules, rules);
        replica.insert(Collection::Buses, [(b"a".to_vec(), b"bus".to_vec())].into_iter().collect());
        let scope = Scope::Changes(vec![
            Change::Prefix(Collection::Rules, b"a\0".to_vec()),
            Change::Key(Collection::Buses, b"a".to_vec()),
        ]);
        install(&mut replica, &scope, vec![(Collection::Rules, b"a\0z".to_vec(), b"4".to_vec())]);
        let rules: Vec<_> = replica[&Collection::Rules].keys().cloned().collect();
        assert_eq!(rules, vec![b"a\0z".to_vec(), b"b\0x".to_vec()]);
        assert!(replica[&Collection::Buses].is_empty(), "the deleted bus is gone");
    }

    #[test]
    fn own_notifications_are_told_by_the_whole_instance_name() {
        assert_eq!(batch_of("a:b", "a:b:3"), Some(3));
        assert_eq!(batch_of("a", "a:b:3"), None);
        assert_eq!(batch_of("a:b", "a:3"), None);
        assert_eq!(IMPORT_NOTICE, payload(IMPORT_SENDER, &Scope::All));
        assert_eq!(batch_of(IMPORT_SENDER, IMPORT_SENDER), None, "an import is no instance's batch");
    }
}
