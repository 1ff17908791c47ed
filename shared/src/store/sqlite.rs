//! The embedded engine of the Table port: SQLite.
//!
//! One `items` table keyed by `(pk, sk)`, with the secondary-index keys [`GSI1_PK`] /
//! [`GSI1_SK`] lifted out of the attributes into their own columns so a partial index on
//! `(gsi1pk, gsi1sk, pk, sk)` can serve [`Index::Gsi1`] queries. Every other attribute is a
//! JSON object in `attrs`, tagged by type (`{"S": ..}`, `{"N": ..}`, `{"Bool": ..}`) so values
//! come back with exactly the type they were written with.
//!
//! Connections: a file database has one write connection behind a mutex (writes in this
//! process queue on it instead of spinning on SQLite's busy handler) and a small pool of
//! read-only connections, which WAL lets read while a write is in progress. Another process on
//! the same file (the admin CLI while the server runs) is serialised by `BEGIN IMMEDIATE` plus a
//! busy timeout. An in-memory database is a single connection used for everything: SQLite's
//! in-memory databases have no WAL, and shared-cache mode would answer `SQLITE_LOCKED` (which
//! the busy timeout does not cover) instead of waiting.
//!
//! Durability: WAL with `synchronous = FULL`, so a transaction is on disk once `transact`
//! returns: nothing once accepted is lost, even on power failure. Group commit keeps that from
//! bounding the write rate at one fsync per transaction: `transact` queues its transaction
//! for the one committer (a task on Tokio's blocking pool, running while anything waits),
//! which commits everything queued at once, each transaction in its own savepoint (a failing
//! one rolls back alone and gets its own error) of one SQLite transaction, with one fsync;
//! every caller is answered once that commit is durable. A transaction arriving while a
//! commit is made waits for that commit and the next, never more. A caller that stops waiting
//! (a dropped future) does not stop a transaction already handed over, just as a DynamoDB
//! request in flight would still land. Checkpoints (the WAL copied into the database file, so
//! that it can start over) are made beside the commits and finished between two of them: see
//! [`Checkpointer`].
//!
//! Reads run on the caller's thread, not the blocking pool: a read never waits for a lock (WAL
//! readers do not block on the writer) and is bounded by its keys or its page limit, so it
//! takes microseconds, less than handing it to another thread and back would cost.
//!
//! Paging: a query reads one row past `limit` (or past [`MAX_PAGE_BYTES`]), so `Page::next`
//! is present only when at least one more item exists (DynamoDB instead returns a cursor whenever it stops at the limit;
//! callers may rely only on "no cursor means no more items"). A cursor is the last item's key
//! (and index sort key), so paging is stable while other writers insert or delete.
//!
//! Validation mirrors DynamoDB, so what one engine accepts the other does too: the rules both
//! engines share are in [`super::validate`] and run before any work; here only what needs the
//! stored item (`Add` only adds to numbers and does not overflow, set updates only touch sets,
//! an updated item stays within 400 KB).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};

use super::eval::holds;
use super::validate::{
    condition_of, invalid, validate_batch_get, validate_key, validate_query, validate_size, validate_transaction,
};
use super::{
    Action, AttrValue, Attrs, Cursor, Index, Item, Key, Page, Query, SortKeyCondition, StoreError, Table, Update,
    GSI1_PK, GSI1_SK, MAX_PAGE_BYTES,
};

/// The schema this build writes, kept in `PRAGMA user_version`; bump it with a migration step.
const SCHEMA_VERSION: i64 = 2;

/// How long a write waits for another process's write to finish before giving up with
/// [`StoreError::Busy`].
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Idle read connections kept open; more are opened under load and closed afterwards. Reads
/// run on the runtime's worker threads (one per core) and the jobs', so this covers a busy
/// server on a large machine.
const MAX_IDLE_READERS: usize = 16;

/// Version 2. `COLLATE BINARY` (SQLite's default, spelled out) compares UTF-8 bytes, which is
/// how DynamoDB orders string keys. Items live in a rowid table; the key is a unique index on
/// `(pk, sk)` holding nothing but the keys, so finding an item never reads another item's
/// attributes. (Version 1 kept the items in a WITHOUT ROWID table, whose B-tree cells carry
/// whole items: a lookup passing a 200 KB item on its way copied it, so a request naming many
/// keys next to a large item cost its square.) The index on the GSI is partial: like a
/// DynamoDB GSI it holds only items that have both index keys.
const SCHEMA_V2: &str = "
CREATE TABLE items (
    pk     TEXT COLLATE BINARY NOT NULL,
    sk     TEXT COLLATE BINARY NOT NULL,
    gsi1pk TEXT COLLATE BINARY,
    gsi1sk TEXT COLLATE BINARY,
    attrs  TEXT NOT NULL
);
CREATE UNIQUE INDEX items_key ON items (pk, sk);
CREATE INDEX items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk)
    WHERE gsi1pk IS NOT NULL AND gsi1sk IS NOT NULL;
";

/// From version 1, before [`SCHEMA_V2`] is created: the version 1 table is set aside.
const SET_V1_ASIDE: &str = "
ALTER TABLE items RENAME TO items_v1;
DROP INDEX items_gsi1;
";

/// From version 1, after [`SCHEMA_V2`] is created: the same columns, moved into it.
const MOVE_V1_ITEMS: &str = "
INSERT INTO items (pk, sk, gsi1pk, gsi1sk, attrs) SELECT pk, sk, gsi1pk, gsi1sk, attrs FROM items_v1;
DROP TABLE items_v1;
";

/// The Table port on SQLite. Cloning is cheap and shares the connections.
#[derive(Clone)]
pub struct SqliteTable {
    inner: Arc<Inner>,
}

struct Inner {
    /// The file, or None for an in-memory database.
    path: Option<PathBuf>,
    writer: Mutex<Connection>,
    /// Transactions handed over and not yet committed, and whether a committer is at work
    /// on them ([`Inner::commit_while_queued`]).
    queued: Mutex<Queue>,
    /// Commits made (each one fsync on a file): see [`SqliteTable::commits`].
    commits: AtomicU64,
    /// Idle read connections; None for an in-memory database, whose reads use `writer`.
    readers: Option<Mutex<Vec<Connection>>>,
    /// None for an in-memory database, which has no WAL.
    checkpointer: Option<Checkpointer>,
    busy_timeout: Duration,
}

/// What waits for the committer.
#[derive(Default)]
struct Queue {
    waiting: Vec<Queued>,
    /// A committer is running: it takes whatever waits once its commit in progress is done,
    /// so a transaction handed over meanwhile needs no committer of its own.
    committing: bool,
}

/// A transaction waiting for a commit, and where its outcome goes.
struct Queued {
    transaction: Encoded,
    outcome: tokio::sync::oneshot::Sender<Result<(), StoreError>>,
}

/// A transaction's actions with each Put's row already encoded: the caller's thread does
/// that, not the one committer every write waits for.
struct Encoded {
    actions: Vec<Action>,
    /// Per action: the attributes' JSON of a Put, None for the others.
    put_attrs: Vec<Option<String>>,
}

impl Encoded {
    fn new(actions: Vec<Action>) -> Result<Encoded, StoreError> {
        let put_attrs = actions
            .iter()
            .map(|action| match action {
                Action::Put { item, .. } => encode_attrs(&item.attrs).map(Some),
                _ => Ok(None),
            })
            .collect::<Result<_, _>>()?;
        Ok(Encoded { actions, put_attrs })
    }
}

impl Inner {
    fn new(
        path: Option<PathBuf>,
        writer: Connection,
        checkpointer: Option<Checkpointer>,
        busy_timeout: Duration,
    ) -> Inner {
        let readers = path.as_ref().map(|_| Mutex::new(Vec::new()));
        Inner {
            path,
            writer: Mutex::new(writer),
            queued: Mutex::new(Queue::default()),
            commits: AtomicU64::new(0),
            readers,
            checkpointer,
            busy_timeout,
        }
    }
}

impl fmt::Debug for SqliteTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.path {
            Some(path) => f.debug_struct("SqliteTable").field("path", path).finish(),
            None => f.debug_struct("SqliteTable").field("path", &":memory:").finish(),
        }
    }
}

impl SqliteTable {
    /// Opens (creating if needed, with its parent directory) the durable database at `path`.
    pub fn open(path: &Path) -> Result<SqliteTable, StoreError> {
        SqliteTable::open_with_timeout(path, BUSY_TIMEOUT)
    }

    fn open_with_timeout(path: &Path, busy_timeout: Duration) -> Result<SqliteTable, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::Other(format!("cannot create {}: {e}", parent.display())))?;
        }
        let mut writer = open_connection(path, busy_timeout)?;
        let mode: String =
            writer.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)).map_err(sql)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Other(format!("{} cannot use WAL (journal mode {mode})", path.display())));
        }
        writer.pragma_update(None, "synchronous", "FULL").map_err(sql)?;
        migrate(&mut writer)?;
        // Checkpoints are the [`Checkpointer`]'s, not SQLite's inside a commit that callers wait for.
        writer.pragma_update(None, "wal_autocheckpoint", 0).map_err(sql)?;
        writer.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT).map_err(sql)?;
        // A batch's savepoints journal the pages they change for their own rollback; past
        // 64 KB SQLite spills that journal to a temporary file (an open, writes and an unlink
        // in every commit). It is never needed after the commit, so memory is its place.
        writer.pragma_update(None, "temp_store", "MEMORY").map_err(sql)?;
        let checkpointer = Checkpointer::start(path, busy_timeout)?;
        Ok(SqliteTable { inner: Arc::new(Inner::new(Some(path.to_owned()), writer, Some(checkpointer), busy_timeout)) })
    }

    /// A fresh, private in-memory database (for tests): every call is independent.
    pub fn in_memory() -> SqliteTable {
        // Opening and creating the schema of an in-memory database fails only when SQLite
        // cannot allocate memory, which no caller could recover from.
        let mut conn = Connection::open_in_memory().expect("SQLite cannot open an in-memory database");
        migrate(&mut conn).expect("SQLite cannot create the schema of an in-memory database");
        SqliteTable { inner: Arc::new(Inner::new(None, conn, None, BUSY_TIMEOUT)) }
    }

    /// How many commits this handle has made: a commit holds every transaction handed over
    /// while the one before it was being made, so under load there are fewer commits than
    /// transactions.
    pub fn commits(&self) -> u64 {
        self.inner.commits.load(Ordering::Relaxed)
    }

    /// The database file, None when in memory.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }
}

fn open_connection(path: &Path, busy_timeout: Duration) -> Result<Connection, StoreError> {
    // No SQLITE_OPEN_URI: a path is a path, whatever characters it holds.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| StoreError::Other(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(busy_timeout).map_err(sql)?;
    Ok(conn)
}

/// Commits between two checkpoints: SQLite's own default is one every 1,000 WAL pages, and a
/// commit writes a few to a few dozen.
const COMMITS_PER_CHECKPOINT: u64 = 64;

/// The size the WAL file is cut back to when it starts over, should a burst have grown it
/// past that; below it, the file is reused from its start, so appending to it never has to
/// grow the file (the kernel zeroes every block a file grows by).
const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// Copies what the WAL holds into the database file (PASSIVE: readers and the writer go on
/// meanwhile).
fn checkpoint(conn: &Connection) {
    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
        tracing::warn!(error = %e, "the WAL checkpoint failed; the next one tries again");
    }
}

/// Checkpoints in two steps, so that the WAL starts over without callers waiting for a whole
/// checkpoint. A thread with a connection of its own copies what the WAL holds when woken
/// (every [`COMMITS_PER_CHECKPOINT`] commits), beside the commits, and says when it is done;
/// the committer then copies the little that was committed meanwhile, between two commits, and
/// the next commit starts the WAL over from its beginning. (A checkpoint beside a stream of
/// commits alone never catches up with them, and the WAL would grow for as long as the stream
/// lasts; one on the committer alone holds every commit meanwhile for as long as it copies.)
struct Checkpointer {
    wake: std::sync::mpsc::SyncSender<()>,
    done: Arc<AtomicBool>,
}

impl Checkpointer {
    /// Starts the thread; it ends with the table (its sender dropped).
    fn start(path: &Path, busy_timeout: Duration) -> Result<Checkpointer, StoreError> {
        let conn = open_connection(path, busy_timeout)?;
        // One wake-up pending is enough: a checkpoint copies all there is.
        let (wake, woken) = std::sync::mpsc::sync_channel::<()>(1);
        let done = Arc::new(AtomicBool::new(false));
        let finished = done.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".to_owned())
            .spawn(move || {
                while woken.recv().is_ok() {
                    checkpoint(&conn);
                    finished.store(true, Ordering::Release);
                }
            })
            .map_err(|e| StoreError::Other(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Checkpointer { wake, done })
    }

    /// After the committer's `commits`th commit, on its connection: finishes a checkpoint the
    /// thread is done with, or wakes the thread when one is due.
    fn after_commit(&self, writer: &Connection, commits: u64) {
        if self.done.swap(false, Ordering::AcqRel) {
            checkpoint(writer);
        } else if commits.is_multiple_of(COMMITS_PER_CHECKPOINT) {
            // Full: one is pending already.
            let _ = self.wake.try_send(());
        }
    }
}

/// Brings the schema to [`SCHEMA_VERSION`]; refuses a database from a newer build.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    // IMMEDIATE so two processes opening a new file at once do not both create the schema.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql)?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0)).map_err(sql)?;
    match version {
        0 => {
            tx.execute_batch(SCHEMA_V2).map_err(sql)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(sql)?;
        }
        1 => {
            tx.execute_batch(SET_V1_ASIDE).map_err(sql)?;
            tx.execute_batch(SCHEMA_V2).map_err(sql)?;
            tx.execute_batch(MOVE_V1_ITEMS).map_err(sql)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(sql)?;
        }
        SCHEMA_VERSION => {}
        other => {
            return Err(StoreError::Other(format!(
                "database schema version {other} is not one this build knows (it knows {SCHEMA_VERSION})"
            )))
        }
    }
    tx.commit().map_err(sql)
}

impl Inner {
    /// Runs `f` on the write connection.
    fn write<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut conn = lock(&self.writer);
        // A panic inside an earlier transaction leaves the mutex poisoned; rusqlite rolls the
        // transaction back on unwind, but make sure before reusing the connection.
        if !conn.is_autocommit() {
            conn.execute_batch("ROLLBACK").map_err(sql)?;
        }
        f(&mut conn)
    }

    /// Hands `queued` to the committer, starting one (on `runtime`'s blocking pool, or here
    /// when there is none) unless one is at work: that one takes it along with its next commit.
    fn hand_over(self: &Arc<Inner>, queued: Queued, runtime: Option<tokio::runtime::Handle>) {
        let start = {
            let mut queue = lock(&self.queued);
            queue.waiting.push(queued);
            !std::mem::replace(&mut queue.committing, true)
        };
        if start {
            let inner = self.clone();
            match runtime {
                Some(runtime) => drop(runtime.spawn_blocking(move || inner.commit_while_queued())),
                None => inner.commit_while_queued(),
            }
        }
    }

    /// The committer: commits whatever waits, in one SQLite transaction (one fsync) each time,
    /// each transaction in its own savepoint, and sends each its own outcome, until nothing
    /// waits. Only one runs at a time, so callers never contend for the write connection and
    /// a burst of transactions costs one thread hand-over, not one each.
    fn commit_while_queued(&self) {
        // Should a commit panic, the queue must not be left with `committing` set and nobody
        // committing: every later transaction would wait forever.
        struct Stopped<'a>(&'a Inner);
        impl Drop for Stopped<'_> {
            fn drop(&mut self) {
                let mut queue = lock(&self.0.queued);
                queue.committing = false;
                for queued in queue.waiting.drain(..) {
                    let _ = queued.outcome.send(Err(StoreError::Other("the store's committer stopped".to_owned())));
                }
            }
        }
        let stopped = Stopped(self);
        loop {
            let committed = self.write(|conn| {
                let batch = {
                    let mut queue = lock(&self.queued);
                    if queue.waiting.is_empty() {
                        queue.committing = false;
                        return Ok(false);
                    }
                    std::mem::take(&mut queue.waiting)
                };
                let started = std::time::Instant::now();
                let outcomes = apply_batch(conn, batch.iter().map(|q| &q.transaction));
                let commits = self.commits.fetch_add(1, Ordering::Relaxed) + 1;
                // How full and how long the commits are says whether writes wait on the
                // committer (see docs/operations.md, "What bounds writes now").
                tracing::debug!(transactions = batch.len(), micros = started.elapsed().as_micros() as u64, "committed");
                for (queued, outcome) in batch.into_iter().zip(outcomes) {
                    // A caller that stopped waiting gets nothing: its work is done all the same.
                    let _ = queued.outcome.send(outcome);
                }
                if let Some(checkpointer) = &self.checkpointer {
                    checkpointer.after_commit(conn, commits);
                }
                Ok(true)
            });
            match committed {
                Ok(true) => {}
                Ok(false) => {
                    std::mem::forget(stopped);
                    return;
                }
                // The write connection could not be made ready (a failed ROLLBACK): whatever
                // waits hears of it, and the next transaction starts a committer that tries again.
                Err(e) => {
                    let mut queue = lock(&self.queued);
                    queue.committing = false;
                    for queued in queue.waiting.drain(..) {
                        let _ = queued.outcome.send(Err(e.clone()));
                    }
                    drop(queue);
                    std::mem::forget(stopped);
                    return;
                }
            }
        }
    }

    /// Runs `f` on a read connection (the write connection when in memory).
    fn read<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let (Some(readers), Some(path)) = (&self.readers, &self.path) else {
            return self.write(f);
        };
        let idle = lock(readers).pop();
        let mut conn = match idle {
            Some(conn) => conn,
            None => {
                let conn = open_connection(path, self.busy_timeout)?;
                // A guard against a bug turning a read into a write through this connection.
                conn.pragma_update(None, "query_only", true).map_err(sql)?;
                conn
            }
        };
        let result = f(&mut conn);
        // Only a connection with no transaction left open goes back to the pool.
        if conn.is_autocommit() {
            let mut idle = lock(readers);
            if idle.len() < MAX_IDLE_READERS {
                idle.push(conn);
            }
        }
        result
    }
}

/// Locks, recovering from poisoning: the guarded state (a connection, a list of idle
/// connections) stays consistent when a holder panics.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn sql(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy(e.to_string()),
        _ => StoreError::Other(e.to_string()),
    }
}

#[async_trait]
impl Table for SqliteTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        validate_key(key)?;
        self.inner.read(|conn| load(conn, key))
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        validate_batch_get(keys)?;
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.inner.read(|conn| {
            // One read transaction: every key is read from the same snapshot. Point
            // lookups on the primary key are microseconds, so there is no batch limit to
            // chunk by (DynamoDB's 100 keys per call is the other engine's concern).
            let tx = conn.transaction().map_err(sql)?;
            let mut items = Vec::new();
            for key in keys {
                if let Some(item) = load(&tx, key)? {
                    items.push(item);
                }
            }
            tx.commit().map_err(sql)?;
            Ok(items)
        })
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let plan = QueryPlan::new(query)?;
        self.inner.read(|conn| plan.run(conn))
    }

    async fn transact(&self, actions: Vec<Action>) -> Result<(), StoreError> {
        validate_transaction(&actions)?;
        if actions.is_empty() {
            return Ok(());
        }
        let transaction = Encoded::new(actions)?;
        let (outcome, answer) = tokio::sync::oneshot::channel();
        // The answer comes as soon as the commit holding this transaction is durable.
        self.inner.hand_over(Queued { transaction, outcome }, tokio::runtime::Handle::try_current().ok());
        answer.await.map_err(|_| StoreError::Other("the store's commit stopped before answering".to_owned()))?
    }
}

// ---------------------------------------------------------------------------------------------
// Rows

const COLUMNS: &str = "pk, sk, gsi1pk, gsi1sk, attrs";

/// A row as stored, decoded into an [`Item`] outside rusqlite's row callback so a corrupt
/// `attrs` becomes a [`StoreError::Other`].
struct Row {
    pk: String,
    sk: String,
    gsi1pk: Option<String>,
    gsi1sk: Option<String>,
    attrs: String,
}

impl Row {
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
        Ok(Row { pk: row.get(0)?, sk: row.get(1)?, gsi1pk: row.get(2)?, gsi1sk: row.get(3)?, attrs: row.get(4)? })
    }

    fn into_item(self) -> Result<Item, StoreError> {
        let StoredAttrs(mut attrs) = serde_json::from_str(&self.attrs)
            .map_err(|e| StoreError::Other(format!("item ({}, {}) has corrupt attributes: {e}", self.pk, self.sk)))?;
        // The columns are the truth for the index keys.
        attrs.remove(GSI1_PK);
        attrs.remove(GSI1_SK);
        if let Some(pk) = self.gsi1pk {
            attrs.insert(GSI1_PK.to_owned(), AttrValue::S(pk));
        }
        if let Some(sk) = self.gsi1sk {
            attrs.insert(GSI1_SK.to_owned(), AttrValue::S(sk));
        }
        Ok(Item { key: Key { pk: self.pk, sk: self.sk }, attrs })
    }
}

/// An attribute value as stored: externally tagged, so the JSON says the type.
#[derive(Deserialize)]
enum Stored {
    S(String),
    N(i64),
    Bool(bool),
    Ss(std::collections::BTreeSet<String>),
}

/// Stored attributes decoded straight into [`Attrs`]: through a map of [`Stored`] first, a
/// page of users built every map twice.
struct StoredAttrs(Attrs);

impl<'de> Deserialize<'de> for StoredAttrs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<StoredAttrs, D::Error> {
        struct Attributes;
        impl<'de> serde::de::Visitor<'de> for Attributes {
            type Value = StoredAttrs;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of attribute names to tagged values")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<StoredAttrs, A::Error> {
                let mut attrs = Attrs::new();
                while let Some((name, value)) = map.next_entry::<String, Stored>()? {
                    attrs.insert(name, value.into());
                }
                Ok(StoredAttrs(attrs))
            }
        }
        deserializer.deserialize_map(Attributes)
    }
}

#[derive(Serialize)]
enum StoredRef<'a> {
    S(&'a str),
    N(i64),
    Bool(bool),
    Ss(&'a std::collections::BTreeSet<String>),
}

impl From<Stored> for AttrValue {
    fn from(value: Stored) -> AttrValue {
        match value {
            Stored::S(s) => AttrValue::S(s),
            Stored::N(n) => AttrValue::N(n),
            Stored::Bool(b) => AttrValue::Bool(b),
            Stored::Ss(set) => AttrValue::Ss(set),
        }
    }
}

fn encode_attrs(attrs: &Attrs) -> Result<String, StoreError> {
    let stored: std::collections::BTreeMap<&str, StoredRef<'_>> = attrs
        .iter()
        .filter(|(name, _)| *name != GSI1_PK && *name != GSI1_SK)
        .map(|(name, value)| {
            let value = match value {
                AttrValue::S(s) => StoredRef::S(s),
                AttrValue::N(n) => StoredRef::N(*n),
                AttrValue::Bool(b) => StoredRef::Bool(*b),
                AttrValue::Ss(set) => StoredRef::Ss(set),
            };
            (name.as_str(), value)
        })
        .collect();
    serde_json::to_string(&stored).map_err(|e| StoreError::Other(format!("cannot encode attributes: {e}")))
}

fn load(conn: &Connection, key: &Key) -> Result<Option<Item>, StoreError> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM items WHERE pk = ?1 AND sk = ?2")).map_err(sql)?;
    let row = stmt.query_row(params![key.pk, key.sk], Row::read).optional().map_err(sql)?;
    row.map(Row::into_item).transpose()
}

/// Writes `item`, whose attributes `attrs` encodes (see [`encode_attrs`]).
fn store(conn: &Connection, item: &Item, attrs: &str) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO items (pk, sk, gsi1pk, gsi1sk, attrs) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (pk, sk) DO UPDATE
             SET gsi1pk = excluded.gsi1pk, gsi1sk = excluded.gsi1sk, attrs = excluded.attrs",
        )
        .map_err(sql)?;
    stmt.execute(params![item.key.pk, item.key.sk, item.str(GSI1_PK), item.str(GSI1_SK), attrs]).map_err(sql)?;
    Ok(())
}

fn remove(conn: &Connection, key: &Key) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached("DELETE FROM items WHERE pk = ?1 AND sk = ?2").map_err(sql)?;
    stmt.execute(params![key.pk, key.sk]).map_err(sql)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Transactions

/// Applies each transaction of `batch` in its own savepoint of one SQLite transaction, then
/// commits it: each transaction's outcome, in order. A transaction that fails (a condition, an
/// invalid update) is rolled back to its savepoint alone; the others see the state as if it
/// never ran. If the commit itself fails, nothing was written and every transaction that had
/// applied gets that error.
fn apply_batch<'a>(
    conn: &mut Connection,
    batch: impl ExactSizeIterator<Item = &'a Encoded>,
) -> Vec<Result<(), StoreError>> {
    let size = batch.len();
    // IMMEDIATE takes the write lock up front: the state the conditions see cannot change
    // before the writes land, and waiting for another process happens here, under the busy
    // timeout, rather than as an unretryable failure when a read lock is upgraded.
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return vec![Err(sql(e)); size],
    };
    let mut outcomes = Vec::with_capacity(size);
    for transaction in batch {
        match in_savepoint(&tx, transaction) {
            Ok(outcome) => outcomes.push(outcome),
            // Dropped, `tx` rolls the whole batch back.
            Err(e) => return vec![Err(e); size],
        }
    }
    if let Err(e) = tx.commit() {
        let e = sql(e);
        for outcome in outcomes.iter_mut().filter(|o| o.is_ok()) {
            *outcome = Err(e.clone());
        }
    }
    outcomes
}

/// Applies `transaction` in a savepoint of `tx`, rolled back when it fails: its own outcome,
/// or Err when the batch as a whole can no longer be committed (a savepoint that could not
/// be rolled back or released would commit a failed transaction's writes, or nest the next
/// one inside it). The statements are prepared once; rusqlite's `Savepoint` prepares each
/// anew, two or three per transaction.
fn in_savepoint(tx: &Connection, transaction: &Encoded) -> Result<Result<(), StoreError>, StoreError> {
    let run = |statement: &str| tx.prepare_cached(statement).and_then(|mut s| s.execute([])).map_err(sql);
    if let Err(e) = run("SAVEPOINT member") {
        return Ok(Err(e));
    }
    let applied = apply_transaction(tx, transaction);
    if applied.is_err() {
        run("ROLLBACK TO member")?;
    }
    run("RELEASE member")?;
    Ok(applied)
}

/// Applies one transaction's actions inside `tx` (a savepoint of the batch's transaction).
fn apply_transaction(tx: &Connection, transaction: &Encoded) -> Result<(), StoreError> {
    let actions = &transaction.actions;
    // Only conditions and updates need the current item; an unconditional Put or Delete
    // does not read it (so it can also replace a row that no longer decodes).
    let mut current = Vec::with_capacity(actions.len());
    for action in actions {
        let needed = condition_of(action).is_some() || matches!(action, Action::Update { .. });
        current.push(if needed { load(tx, action.key())? } else { None });
    }
    // Every condition is judged against the state before the transaction (keys are distinct,
    // so no action sees another's write), and the first failure is the one reported.
    // The caller rolls the savepoint back.
    for (index, (action, item)) in actions.iter().zip(&current).enumerate() {
        if let Some(condition) = condition_of(action) {
            if !holds(condition, item.as_ref()) {
                return Err(StoreError::ConditionFailed { index });
            }
        }
    }
    for ((action, item), put_attrs) in actions.iter().zip(current).zip(&transaction.put_attrs) {
        match action {
            Action::Put { item, .. } => {
                let attrs = put_attrs.as_deref().ok_or_else(|| StoreError::Other("a Put came unencoded".to_owned()))?;
                store(tx, item, attrs)?
            }
            Action::Update { key, updates, .. } => {
                let updated = apply_updates(key, item, updates)?;
                validate_size(&updated)?;
                store(tx, &updated, &encode_attrs(&updated.attrs)?)?;
            }
            Action::Delete { key, .. } => remove(tx, key)?,
            Action::ConditionCheck { .. } => {}
        }
    }
    Ok(())
}

/// The item after `updates`; a missing item starts as just its key, as in DynamoDB. (So an
/// Update of only `Remove`s on a missing item leaves a bare item; the conformance suite does
/// not pin that corner, and the directory should not rely on it.)
fn apply_updates(key: &Key, item: Option<Item>, updates: &[Update]) -> Result<Item, StoreError> {
    let mut item = item.unwrap_or_else(|| Item::new(key.clone()));
    for update in updates {
        match update {
            Update::Set(name, value) => {
                item.attrs.insert(name.clone(), value.clone());
            }
            Update::Add(name, delta) => {
                let current = match item.attrs.get(name) {
                    None => 0,
                    Some(AttrValue::N(n)) => *n,
                    Some(other) => {
                        return Err(invalid(format!("cannot add to {name}: it is not a number ({other:?})")))
                    }
                };
                let sum = current
                    .checked_add(*delta)
                    .ok_or_else(|| invalid(format!("adding {delta} to {name} ({current}) overflows")))?;
                item.attrs.insert(name.clone(), AttrValue::N(sum));
            }
            Update::Remove(name) => {
                item.attrs.remove(name);
            }
            Update::AddToSet(name, elements) => match item.attrs.get_mut(name) {
                None => {
                    item.attrs.insert(name.clone(), AttrValue::Ss(elements.clone()));
                }
                Some(AttrValue::Ss(set)) => set.extend(elements.iter().cloned()),
                Some(other) => {
                    return Err(invalid(format!("cannot add to {name}: it is not a string set ({other:?})")))
                }
            },
            Update::DeleteFromSet(name, elements) => match item.attrs.get_mut(name) {
                None => {}
                Some(AttrValue::Ss(set)) => {
                    set.retain(|e| !elements.contains(e));
                    if set.is_empty() {
                        item.attrs.remove(name);
                    }
                }
                Some(other) => {
                    return Err(invalid(format!("cannot delete from {name}: it is not a string set ({other:?})")))
                }
            },
        }
    }
    Ok(item)
}

// ---------------------------------------------------------------------------------------------
// Queries

/// A validated query, ready to run on a connection.
struct QueryPlan {
    sql: String,
    params: Vec<Value>,
    limit: usize,
    index: Index,
}

impl QueryPlan {
    fn new(query: &Query) -> Result<QueryPlan, StoreError> {
        validate_query(query)?;
        let (pk_col, sk_col) = match query.index {
            Index::Base => ("pk", "sk"),
            Index::Gsi1 => ("gsi1pk", "gsi1sk"),
        };
        let mut clauses = vec![format!("{pk_col} = ?")];
        let mut params = vec![Value::Text(query.pk.clone())];
        if query.index == Index::Gsi1 {
            // Spelled out so the planner can use the partial index.
            clauses.push("gsi1pk IS NOT NULL AND gsi1sk IS NOT NULL".to_owned());
        }
        match &query.sk {
            SortKeyCondition::All => {}
            SortKeyCondition::BeginsWith(prefix) => {
                if !prefix.is_empty() {
                    clauses.push(format!("{sk_col} >= ?"));
                    params.push(Value::Text(prefix.clone()));
                    if let Some(upper) = prefix_upper_bound(prefix) {
                        clauses.push(format!("{sk_col} < ?"));
                        params.push(Value::Text(upper));
                    }
                }
            }
            SortKeyCondition::Between(low, high) => {
                clauses.push(format!("{sk_col} BETWEEN ? AND ?"));
                params.push(Value::Text(low.clone()));
                params.push(Value::Text(high.clone()));
            }
        }
        let (cmp, dir) = if query.descending { ("<", "DESC") } else { (">", "ASC") };
        if let Some(after) = &query.after {
            match query.index {
                Index::Base => {
                    clauses.push(format!("sk {cmp} ?"));
                    params.push(Value::Text(after.key.sk.clone()));
                }
                Index::Gsi1 => {
                    // validate_query made sure an index cursor has its index sort key.
                    let index_sk = after.index_sk.as_deref().unwrap_or_default();
                    // Index sort keys need not be unique: ties are ordered by the base key.
                    clauses.push(format!("(gsi1sk, pk, sk) {cmp} (?, ?, ?)"));
                    params.push(Value::Text(index_sk.to_owned()));
                    params.push(Value::Text(after.key.pk.clone()));
                    params.push(Value::Text(after.key.sk.clone()));
                }
            }
        }
        let order = match query.index {
            Index::Base => format!("sk {dir}"),
            Index::Gsi1 => format!("gsi1sk {dir}, pk {dir}, sk {dir}"),
        };
        // One row past the limit tells whether another page exists.
        params.push(Value::Integer(i64::try_from(query.limit).unwrap_or(i64::MAX).saturating_add(1)));
        let sql = format!("SELECT {COLUMNS} FROM items WHERE {} ORDER BY {order} LIMIT ?", clauses.join(" AND "));
        Ok(QueryPlan { sql, params, limit: query.limit, index: query.index })
    }

    fn run(&self, conn: &Connection) -> Result<Page, StoreError> {
        let mut stmt = conn.prepare_cached(&self.sql).map_err(sql)?;
        let rows = stmt.query_map(params_from_iter(&self.params), Row::read).map_err(sql)?;
        // Rows are read one at a time: a page never holds more than the limit or
        // MAX_PAGE_BYTES (plus one item, read to tell whether more follow).
        let mut items = Vec::new();
        let mut bytes = 0;
        let mut more = false;
        for row in rows {
            let item = row.map_err(sql)?.into_item()?;
            if items.len() == self.limit || bytes >= MAX_PAGE_BYTES {
                more = true;
                break;
            }
            bytes += item.size();
            items.push(item);
        }
        let next = if more {
            items.last().map(|last| Cursor {
                key: last.key.clone(),
                index_sk: match self.index {
                    Index::Base => None,
                    Index::Gsi1 => last.str(GSI1_SK).map(str::to_owned),
                },
            })
        } else {
            None
        };
        Ok(Page { items, next })
    }
}

/// The least string above every string that starts with `prefix` (None when there is none:
/// a prefix of only U+10FFFF). UTF-8 byte order is code point order, so bumping the last code
/// point that can be bumped bounds the prefix's range exactly.
fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last {
            '\u{D7FF}' => Some('\u{E000}'), // skip the surrogates, which are not chars
            other => char::from_u32(u32::from(other) + 1),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::store::{conformance, Condition};
    use crate::testing::TempDir;

    /// A new database file's path in `dir`.
    fn db_file(dir: &TempDir) -> PathBuf {
        dir.path().join(format!("{}.sqlite3", uuid::Uuid::new_v4().simple()))
    }

    fn put(item: Item) -> Action {
        Action::Put { item, condition: None }
    }

    fn raw(path: &Path) -> Connection {
        let conn = Connection::open(path).expect("open the file directly");
        conn.busy_timeout(BUSY_TIMEOUT).expect("busy timeout");
        conn
    }

    /// Transactions handed over while a commit is being made are committed together, in one
    /// SQLite transaction, each in its own savepoint: a failing one (a condition, an update
    /// the stored item refuses) reports its own failure and writes nothing, and the others
    /// land as if it had never run, each answered with its own outcome.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_commit_holds_what_queued_and_each_hears_its_own_outcome() {
        let dir = TempDir::new();
        let table = SqliteTable::open(&db_file(&dir)).expect("open");
        let key = |k: &str| Key::new("P", k);
        table.transact(vec![put(Item::new(key("text")).with("n", "a string"))]).await.expect("seed");
        let before = table.commits();
        let batch: Vec<Vec<Action>> = vec![
            vec![put(Item::new(key("a")).with("n", 1))],
            // Fails its condition: `a` is absent before the batch, and this one comes second.
            vec![Action::Put { item: Item::new(key("b")), condition: Some(Condition::Exists) }],
            // Sees the first one's write: `a` exists by now.
            vec![Action::ConditionCheck { key: key("a"), condition: Condition::Exists }, put(Item::new(key("c")))],
            // Fails in the store: `Add` to a string.
            vec![
                put(Item::new(key("d"))),
                Action::Update { key: key("text"), updates: vec![Update::Add("n".into(), 1)], condition: None },
            ],
            vec![Action::Delete { key: key("a"), condition: Some(Condition::Exists) }],
        ];
        let size = batch.len();
        // The write connection held (on a thread of its own), as by a commit in progress,
        // while all of them queue.
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (held, is_held) = std::sync::mpsc::channel::<()>();
        let inner = table.inner.clone();
        let holder = std::thread::spawn(move || {
            let _writer = lock(&inner.writer);
            let _ = held.send(());
            let _ = released.recv();
        });
        is_held.recv().expect("the write connection held");
        let mut calls = Vec::new();
        for (queued, actions) in batch.into_iter().enumerate() {
            let handle = table.clone();
            calls.push(tokio::spawn(async move { handle.transact(actions).await }));
            // One after the other: the batch is in this order.
            while lock(&table.inner.queued).waiting.len() <= queued {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        assert_eq!(lock(&table.inner.queued).waiting.len(), size);
        release.send(()).expect("release the write connection");
        holder.join().expect("the holder thread");
        let mut outcomes = Vec::new();
        for call in calls {
            outcomes.push(call.await.expect("a transact task"));
        }
        assert_eq!(outcomes[0], Ok(()));
        assert_eq!(outcomes[1], Err(StoreError::ConditionFailed { index: 0 }));
        assert_eq!(outcomes[2], Ok(()));
        assert!(matches!(outcomes[3], Err(StoreError::Invalid(_))), "{:?}", outcomes[3]);
        assert_eq!(outcomes[4], Ok(()));
        assert_eq!(table.commits() - before, 1, "one commit for the whole batch");
        let reopened = SqliteTable::open(table.path().expect("a file")).expect("reopen");
        for (k, there) in [("a", false), ("b", false), ("c", true), ("d", false)] {
            assert_eq!(reopened.get(&key(k)).await.expect("read").is_some(), there, "{k}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn conformance_in_memory() {
        conformance::run_all(|| async { Box::new(SqliteTable::in_memory()) as Box<dyn Table> }).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn conformance_on_files() {
        let dir = TempDir::new();
        conformance::run_all(|| {
            let path = db_file(&dir);
            async move { Box::new(SqliteTable::open(&path).expect("open")) as Box<dyn Table> }
        })
        .await;
    }

    /// The checks keep to their own keys, so one table can serve them all (as one DynamoDB
    /// table will).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn conformance_on_one_shared_file() {
        let dir = TempDir::new();
        let table = SqliteTable::open(&db_file(&dir)).expect("open");
        conformance::run_all(|| {
            let table = table.clone();
            async move { Box::new(table) as Box<dyn Table> }
        })
        .await;
    }

    #[tokio::test(flavor = "current_thread")]
    async fn conformance_on_a_current_thread_runtime() {
        conformance::run_all(|| async { Box::new(SqliteTable::in_memory()) as Box<dyn Table> }).await;
    }

    #[tokio::test]
    async fn durable_across_reopen() {
        let dir = TempDir::new();
        let path = dir.path().join("nested").join("deeper").join("store.sqlite3");
        let item = Item::new(Key::new("P", "k")).with("n", 7).with(GSI1_PK, "G").with(GSI1_SK, "s").with("b", false);
        {
            let table = SqliteTable::open(&path).expect("open creates parent directories");
            table.transact(vec![put(item.clone())]).await.expect("write");
            assert_eq!(table.path(), Some(path.as_path()));
        }
        let table = SqliteTable::open(&path).expect("reopen");
        assert_eq!(table.get(&item.key).await.expect("read"), Some(item.clone()));
        let page = table.query(&Query::new(Index::Gsi1, "G")).await.expect("index query");
        assert_eq!(page.items, vec![item]);

        let conn = raw(&path);
        let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).expect("journal_mode");
        assert_eq!(mode, "wal");
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).expect("user_version");
        assert_eq!(version, SCHEMA_VERSION);
        let writer = lock(&table.inner.writer);
        let synchronous: i64 = writer.pragma_query_value(None, "synchronous", |r| r.get(0)).expect("synchronous");
        assert_eq!(synchronous, 2, "synchronous = FULL");
        let temp_store: i64 = writer.pragma_query_value(None, "temp_store", |r| r.get(0)).expect("temp_store");
        assert_eq!(temp_store, 2, "savepoint journals in memory, not in a temporary file per commit");
    }

    /// What `transact` accepted is in the files when it returns: a copy of the database and
    /// its WAL taken right then (as a power cut would leave them) holds the write.
    #[tokio::test]
    async fn accepted_writes_are_in_the_files() {
        let dir = TempDir::new();
        let path = dir.path().join("live.sqlite3");
        let table = SqliteTable::open(&path).expect("open");
        let item = Item::new(Key::new("P", "k")).with("n", 1);
        table.transact(vec![put(item.clone())]).await.expect("write");
        let copy = dir.path().join("copy");
        std::fs::create_dir_all(&copy).expect("mkdir");
        std::fs::copy(&path, copy.join("db.sqlite3")).expect("copy the database");
        std::fs::copy(dir.path().join("live.sqlite3-wal"), copy.join("db.sqlite3-wal")).expect("copy the WAL");
        let reopened = SqliteTable::open(&copy.join("db.sqlite3")).expect("open the copy");
        assert_eq!(reopened.get(&item.key).await.expect("read"), Some(item));
        drop(table);
    }

    /// Commits are copied from the WAL into the database file by the checkpointer, not by
    /// SQLite inside a commit (the writer's own checkpointing is off): after
    /// [`COMMITS_PER_CHECKPOINT`] commits, the database file alone, without its WAL, holds them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn checkpoints_copy_commits_into_the_file() {
        let dir = TempDir::new();
        let path = dir.path().join("live.sqlite3");
        let table = SqliteTable::open(&path).expect("open");
        let autocheckpoint: i64 = lock(&table.inner.writer)
            .pragma_query_value(None, "wal_autocheckpoint", |row| row.get(0))
            .expect("wal_autocheckpoint");
        assert_eq!(autocheckpoint, 0, "the writer never checkpoints inside a commit");
        let before = table.commits();
        for n in 0..COMMITS_PER_CHECKPOINT {
            table.transact(vec![put(Item::new(Key::new("P", format!("k{n}"))))]).await.expect("write");
        }
        assert_eq!(table.commits() - before, COMMITS_PER_CHECKPOINT);
        let in_the_file_alone = || -> Option<u64> {
            let copy = dir.path().join("copy.sqlite3");
            std::fs::copy(&path, &copy).ok()?;
            let count = raw(&copy).query_row("SELECT count(*) FROM items", [], |row| row.get(0)).ok();
            let _ = std::fs::remove_file(&copy);
            count
        };
        // The checkpoint runs on its own thread: wait for it (a liveness bound, not a timing).
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while in_the_file_alone() != Some(COMMITS_PER_CHECKPOINT) {
            assert!(std::time::Instant::now() < deadline, "no checkpoint copied the commits into the file");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Under writes that never pause, with reads beside them, the WAL starts over after its
    /// checkpoints instead of growing with every write: the disk holds the data, not a log of
    /// every write ever made.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_does_not_grow_under_a_steady_stream_of_writes() {
        let dir = TempDir::new();
        let path = dir.path().join("busy.sqlite3");
        let table = SqliteTable::open(&path).expect("open");
        let target = table.commits() + 40 * COMMITS_PER_CHECKPOINT;
        let value = "x".repeat(1000);
        let writers = (0..8).map(|w| {
            let (table, value) = (table.clone(), value.clone());
            tokio::spawn(async move {
                let mut written = 0;
                while table.commits() < target {
                    let mut item = Item::new(Key::new("P", format!("w{w}-{written}")));
                    item.attrs.insert("v".into(), AttrValue::S(value.clone()));
                    table.transact(vec![put(item)]).await.expect("write");
                    // A read beside the writes, as the server's requests make.
                    table.get(&Key::new("P", format!("w{w}-0"))).await.expect("read");
                    written += 1;
                }
                written
            })
        });
        let mut written = 0;
        for writer in writers.collect::<Vec<_>>() {
            written += writer.await.expect("writer");
        }
        let wal = std::fs::metadata(dir.path().join("busy.sqlite3-wal")).expect("the WAL").len();
        let data = written as u64 * value.len() as u64;
        // A WAL never started over holds a frame for every write, more bytes than the data
        // (about nine times as many here); one started over every few dozen commits, a fraction.
        assert!(wal < data, "the WAL holds {wal} bytes after {written} writes of {data} bytes in all");
    }

    /// The admin CLI writing while the server runs: two handles (two connections sets, as two
    /// processes would have) race on one file; every write lands.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_handles_on_one_file_write_concurrently() {
        let dir = TempDir::new();
        let path = db_file(&dir);
        let server = SqliteTable::open(&path).expect("open");
        let cli = SqliteTable::open(&path).expect("open again");
        let counter = Key::new("SUB", "COUNTER");
        let work = |table: SqliteTable, name: &'static str| {
            let counter = counter.clone();
            tokio::spawn(async move {
                for i in 0..50 {
                    let item = Item::new(Key::new("P", format!("{name}-{i:02}")));
                    let bump = Action::Update {
                        key: counter.clone(),
                        updates: vec![Update::Add("n".into(), 1)],
                        condition: None,
                    };
                    table.transact(vec![put(item), bump]).await.expect("write");
                }
            })
        };
        let (a, b) = tokio::join!(work(server.clone(), "server"), work(cli.clone(), "cli"));
        a.expect("server task");
        b.expect("cli task");
        for table in [&server, &cli] {
            let count = table.get(&counter).await.expect("get").and_then(|item| item.i64("n"));
            assert_eq!(count, Some(100));
            let mut q = Query::new(Index::Base, "P");
            q.limit = 1000;
            assert_eq!(table.query(&q).await.expect("query").items.len(), 100);
        }
    }

    /// A write blocked past the busy timeout is Busy; reads carry on meanwhile (WAL).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn busy_beyond_the_timeout() {
        let dir = TempDir::new();
        let path = db_file(&dir);
        let table = SqliteTable::open_with_timeout(&path, Duration::from_millis(200)).expect("open");
        let item = Item::new(Key::new("P", "k")).with("v", 1);
        table.transact(vec![put(item.clone())]).await.expect("write");

        let other = raw(&path);
        other.execute_batch("BEGIN IMMEDIATE; UPDATE items SET attrs = '{}' WHERE pk = 'P'").expect("lock");
        let result = table.transact(vec![put(Item::new(Key::new("P", "k2")))]).await;
        assert!(matches!(result, Err(StoreError::Busy(_))), "{result:?}");
        assert_eq!(table.get(&item.key).await.expect("read during a write"), Some(item.clone()));
        assert_eq!(table.query(&Query::new(Index::Base, "P")).await.expect("query").items, vec![item.clone()]);
        other.execute_batch("ROLLBACK").expect("unlock");
        table.transact(vec![put(Item::new(Key::new("P", "k2")))]).await.expect("write after the lock");
    }

    #[tokio::test]
    async fn corrupt_rows_are_errors_not_panics() {
        let dir = TempDir::new();
        let path = db_file(&dir);
        let table = SqliteTable::open(&path).expect("open");
        let conn = raw(&path);
        let rows = [
            ("not-json", "not json"),
            ("not-an-object", "[1, 2]"),
            ("unknown-type", r#"{"a": {"X": 1}}"#),
            ("string-number", r#"{"a": {"N": "5"}}"#),
            ("fraction", r#"{"a": {"N": 1.5}}"#),
        ];
        for (sk, attrs) in rows {
            conn.execute("INSERT INTO items (pk, sk, attrs) VALUES ('P', ?1, ?2)", params![sk, attrs]).expect("insert");
            let key = Key::new("P", sk);
            let got = table.get(&key).await;
            assert!(matches!(got, Err(StoreError::Other(_))), "{sk}: get gave {got:?}");
            let got = table.batch_get(std::slice::from_ref(&key)).await;
            assert!(matches!(got, Err(StoreError::Other(_))), "{sk}: batch_get gave {got:?}");
            let got = table.transact(vec![Action::ConditionCheck { key, condition: Condition::Exists }]).await;
            assert!(matches!(got, Err(StoreError::Other(_))), "{sk}: transact gave {got:?}");
        }
        conn.execute("INSERT INTO items (pk, sk, attrs) VALUES ('B', 'blob', X'00FF')", []).expect("insert");
        let got = table.get(&Key::new("B", "blob")).await;
        assert!(matches!(got, Err(StoreError::Other(_))), "a blob: {got:?}");
        let got = table.query(&Query::new(Index::Base, "P")).await;
        assert!(matches!(got, Err(StoreError::Other(_))), "query gave {got:?}");
        // A corrupt row does not stop writes to it: a Put replaces it.
        let fixed = Item::new(Key::new("P", "not-json")).with("ok", true);
        table.transact(vec![put(fixed.clone())]).await.expect("overwrite");
        assert_eq!(table.get(&fixed.key).await.expect("get"), Some(fixed));
    }

    /// A store written by a build of schema version 1 opens with every item, on the base
    /// table and the index, and takes writes.
    #[tokio::test]
    async fn a_version_1_store_is_migrated() {
        let dir = TempDir::new();
        let path = db_file(&dir);
        let conn = raw(&path);
        conn.execute_batch(
            "CREATE TABLE items (
                pk TEXT COLLATE BINARY NOT NULL, sk TEXT COLLATE BINARY NOT NULL,
                gsi1pk TEXT COLLATE BINARY, gsi1sk TEXT COLLATE BINARY, attrs TEXT NOT NULL,
                PRIMARY KEY (pk, sk)
            ) WITHOUT ROWID;
            CREATE INDEX items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk)
                WHERE gsi1pk IS NOT NULL AND gsi1sk IS NOT NULL;
            PRAGMA user_version = 1;",
        )
        .expect("a version 1 store");
        let items: Vec<Item> = (0..3)
            .map(|i| Item::new(Key::new("P", format!("k{i}"))).with("n", i).with(GSI1_PK, "G").with(GSI1_SK, "s"))
            .collect();
        for item in &items {
            let attrs = encode_attrs(&item.attrs).expect("attrs");
            conn.execute(
                "INSERT INTO items (pk, sk, gsi1pk, gsi1sk, attrs) VALUES (?1, ?2, 'G', 's', ?3)",
                params![item.key.pk, item.key.sk, attrs],
            )
            .expect("a version 1 row");
        }
        drop(conn);

        let table = SqliteTable::open(&path).expect("open migrates");
        assert_eq!(table.query(&Query::new(Index::Base, "P")).await.expect("query").items, items);
        assert_eq!(table.query(&Query::new(Index::Gsi1, "G")).await.expect("index").items, items);
        let more = Item::new(Key::new("P", "k3")).with("n", 3);
        table.transact(vec![put(more.clone())]).await.expect("a write after the migration");
        assert_eq!(table.get(&more.key).await.expect("get"), Some(more));
        let version: i64 = raw(&path).pragma_query_value(None, "user_version", |r| r.get(0)).expect("version");
        assert_eq!(version, SCHEMA_VERSION);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = TempDir::new();
        let path = db_file(&dir);
        drop(SqliteTable::open(&path).expect("open"));
        raw(&path).pragma_update(None, "user_version", SCHEMA_VERSION + 1).expect("bump");
        let result = SqliteTable::open(&path);
        assert!(matches!(result, Err(StoreError::Other(_))), "{result:?}");
    }

    #[test]
    fn each_in_memory_database_is_its_own() {
        futures::executor::block_on(async {
            // Outside any Tokio runtime, too.
            let (a, b) = (SqliteTable::in_memory(), SqliteTable::in_memory());
            let item = Item::new(Key::new("P", "k"));
            a.transact(vec![put(item.clone())]).await.expect("write");
            assert_eq!(a.get(&item.key).await.expect("get"), Some(item.clone()));
            assert_eq!(b.get(&item.key).await.expect("get"), None);
        });
    }

    /// This engine's choices where the port leaves room: ties on the index sort key come in
    /// base key order, and a page has a cursor only when another item follows.
    #[tokio::test]
    async fn engine_specific_ordering_and_cursors() {
        let table = SqliteTable::in_memory();
        let items: Vec<Item> = [("B", "2"), ("A", "9"), ("B", "1"), ("A", "1")]
            .into_iter()
            .map(|(pk, sk)| Item::new(Key::new(pk, sk)).with(GSI1_PK, "G").with(GSI1_SK, "same"))
            .collect();
        table.transact(items.into_iter().map(put).collect()).await.expect("write");
        let mut q = Query::new(Index::Gsi1, "G");
        let keys = |page: &Page| page.items.iter().map(|i| (i.key.pk.clone(), i.key.sk.clone())).collect::<Vec<_>>();
        let page = table.query(&q).await.expect("query");
        let ascending: Vec<(String, String)> = [("A", "1"), ("A", "9"), ("B", "1"), ("B", "2")]
            .iter()
            .map(|(p, s)| (p.to_string(), s.to_string()))
            .collect();
        assert_eq!(keys(&page), ascending);
        assert_eq!(page.next, None);
        q.descending = true;
        let page = table.query(&q).await.expect("query");
        assert_eq!(keys(&page), ascending.iter().rev().cloned().collect::<Vec<_>>());

        q.descending = false;
        q.limit = 4;
        assert_eq!(table.query(&q).await.expect("query").next, None, "an exactly full last page");
        q.limit = 3;
        let page = table.query(&q).await.expect("query");
        let cursor = page.next.expect("a cursor when one more follows");
        assert_eq!(cursor, Cursor { key: Key::new("B", "1"), index_sk: Some("same".into()) });
    }

    #[tokio::test]
    async fn foreign_cursors_are_invalid() {
        let table = SqliteTable::in_memory();
        let mut q = Query::new(Index::Base, "P");
        q.after = Some(Cursor { key: Key::new("Q", "k"), index_sk: None });
        assert!(matches!(table.query(&q).await, Err(StoreError::Invalid(_))));
        let mut q = Query::new(Index::Gsi1, "G");
        q.after = Some(Cursor { key: Key::new("P", "k"), index_sk: None });
        assert!(matches!(table.query(&q).await, Err(StoreError::Invalid(_))));
    }

    /// Every query shape is a range scan of the primary key or the index, in index order: no
    /// table scan, no sort.
    #[test]
    fn queries_use_the_indexes() {
        let table = SqliteTable::in_memory();
        let conn = lock(&table.inner.writer);
        let conditions = [
            SortKeyCondition::All,
            SortKeyCondition::BeginsWith("a".into()),
            SortKeyCondition::Between("a".into(), "b".into()),
        ];
        for index in [Index::Base, Index::Gsi1] {
            for sk in &conditions {
                for descending in [false, true] {
                    for after in [None, Some(Cursor { key: Key::new("P", "a"), index_sk: Some("a".into()) })] {
                        let query = Query { index, pk: "P".into(), sk: sk.clone(), limit: 10, descending, after };
                        let plan = QueryPlan::new(&query).expect("plan");
                        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {}", plan.sql)).expect("explain");
                        let details: Vec<String> = stmt
                            .query_map(params_from_iter(&plan.params), |row| row.get::<_, String>(3))
                            .expect("explain")
                            .collect::<Result<_, _>>()
                            .expect("explain rows");
                        let text = details.join("; ");
                        let wanted = match index {
                            Index::Base => "USING INDEX items_key",
                            Index::Gsi1 => "USING INDEX items_gsi1",
                        };
                        assert!(text.contains(wanted), "{query:?}: {text}");
                        assert!(!text.contains("TEMP B-TREE"), "{query:?} sorts: {text}");
                        assert!(text.contains('<') || text.contains('>') || text.contains('='), "{text}");
                    }
                }
            }
        }
    }

    #[test]
    fn prefix_upper_bounds() {
        assert_eq!(prefix_upper_bound("ab").as_deref(), Some("ac"));
        assert_eq!(prefix_upper_bound("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_upper_bound("a\u{10FFFF}\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_upper_bound("\u{10FFFF}"), None);
        assert_eq!(prefix_upper_bound(""), None);
        assert_eq!(prefix_upper_bound("x\u{D7FF}").as_deref(), Some("x\u{E000}"));
        assert_eq!(prefix_upper_bound("~").as_deref(), Some("\u{7F}"));
        assert_eq!(prefix_upper_bound("\u{7F}").as_deref(), Some("\u{80}"));
        // The bound is exact: within [prefix, bound) are just the strings with the prefix.
        let samples =
            ["", "a", "ab", "ab\u{0}", "abz", "ac", "a\u{10FFFF}", "b", "\u{7F}", "\u{80}", "é", "ê", "\u{FFFF}"];
        for prefix in samples.iter().filter(|p| !p.is_empty()) {
            let upper = prefix_upper_bound(prefix);
            for s in samples {
                let in_range = s >= *prefix && upper.as_deref().is_none_or(|u| s < u);
                assert_eq!(in_range, s.starts_with(prefix), "{s:?} against prefix {prefix:?}");
            }
        }
    }
}
