//! Dossier's SQLite store: the only crate that speaks SQL.
//!
//! A [`Store`] owns one connection to a SQLCipher database, keyed with the data key, opened with
//! the house pragmas (WAL, foreign keys, busy timeout, `synchronous=NORMAL`, temporary files in
//! memory) and migrated to the latest schema. Every page of the file and of its WAL is encrypted
//! (AES-256, with an HMAC per page); [`encrypt_plain`] turns a database from before encryption
//! into an encrypted copy. Every change happens inside
//! [`Store::write`], one `BEGIN IMMEDIATE` transaction per command, so a change, its audit event
//! and (later) its outbox row commit together or not at all.

mod approvals;
mod audit;
mod bench;
mod bulk;
mod checkpoint;
mod codec;
mod customers;
mod encryption;
mod kyc;
mod migrations;
mod outbox;
mod users;

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

pub use approvals::{ApprovalFilter, ApprovalRow};
pub use audit::{AuditRecord, AuditRow, ChainCheck, DeviceKeyRow, GENESIS, chain_hash};
pub use bench::{ImportMark, ImportedRows, RawBench};
pub use bulk::{BulkBatch, BulkCustomer, BulkLoad, BulkRisk, EncodedBatch, RowCounts};
pub use checkpoint::{Checkpointer, LOG_LIMIT_BYTES};
pub use encryption::{DatabaseKind, KEY_BYTES, PageFormat, connect, database_kind, encrypt_plain, raw_key_literal};
pub use kyc::{DashboardStats, Derived, QueueCursor, QueueFilter, QueueRow, QueueSort, VerificationFilter};
pub use migrations::{MIGRATIONS, schema_version};
pub use outbox::{Claimed, ConflictRow, NewOutbox, OutboxCount, OutboxRow, ProviderRow};
pub use users::UserRow;

/// What can go wrong below the domain. Messages never contain row values.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("could not migrate the database: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error(
        "this database was written by a newer version of Dossier (schema {found}; this build knows up to {supported}): \
         upgrade Dossier to open it"
    )]
    TooNew { found: usize, supported: usize },
    #[error("the database holds a value this build cannot read in {table}.{column}: restore a backup or report it")]
    Corrupt { table: &'static str, column: &'static str },
    #[error("could not open the database file: {0}")]
    Open(String),
    /// The key does not decrypt the file (or the file is not a database at all).
    #[error("the key does not open this database")]
    WrongKey,
}

impl StoreError {
    /// True when a uniqueness constraint refused the write.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// One open database.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the encrypted database at `path` with `key` and migrates it to
    /// the latest schema. A key that does not decrypt the file is [`StoreError::WrongKey`], and a
    /// database from a newer build is refused; both before anything is written.
    pub fn open(path: &Path, key: &[u8; KEY_BYTES]) -> Result<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = encryption::open_keyed(path, flags, key)?;
        configure(&conn)?;
        migrations::migrate(&mut conn)?;
        let mut store = Self { conn };
        // Events from before the audit chain (migration 0007) are sealed once, in order.
        let unsealed: bool =
            store.conn.query_row("SELECT EXISTS (SELECT 1 FROM audit_events WHERE hash IS NULL)", [], |r| r.get(0))?;
        if unsealed {
            store.write(|tx| tx.seal_audit_chain())?;
        }
        // Customers a writer outside the store changed are indexed for search now (migration
        // 0012); every write through the store indexes its own before it commits.
        if customers::search_pending(&store.conn)? {
            store.write(|_| Ok::<_, StoreError>(()))?;
        }
        Ok(store)
    }

    /// The length of the write-ahead log, in pages, at which a commit of this connection folds
    /// the log back into the database itself (0: never). SQLite's default is 1,000; a process
    /// that runs a [`Checkpointer`] sets [`checkpoint::LOG_LIMIT_BYTES`] with
    /// [`Store::set_log_limit`], a backstop for writes that never pause (see the `checkpoint`
    /// module).
    pub fn set_auto_checkpoint(&self, pages: u32) -> Result<()> {
        self.conn.pragma_update(None, "wal_autocheckpoint", pages)?;
        Ok(())
    }

    /// The log length, in pages, at which this connection's commits checkpoint (see
    /// [`Store::set_auto_checkpoint`]).
    pub fn auto_checkpoint(&self) -> Result<u32> {
        Ok(self.conn.pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0))?)
    }

    /// [`Store::set_auto_checkpoint`] at `bytes` of log, whatever this database's page size.
    pub fn set_log_limit(&self, bytes: u32) -> Result<()> {
        self.set_auto_checkpoint(bytes / encryption::page_size(&self.conn)?)
    }

    /// How this database's pages are laid out and sealed.
    pub fn page_format(&self) -> Result<PageFormat> {
        PageFormat::of(&self.conn)
    }

    /// Writes a consistent copy of the whole database to `path` (a new file), encrypted with the
    /// same key in the same [`PageFormat`], while other connections go on reading and writing:
    /// `sqlcipher_export` in one transaction, so the copy is one moment's snapshot, compacted.
    /// (Not `VACUUM INTO`: SQLCipher opens its copy in its default page format, which only a
    /// database of that format shares, so the copy of a compact database could not be read.)
    pub fn snapshot_to(&self, path: &Path) -> Result<()> {
        let target = path.to_str().ok_or_else(|| StoreError::Open("the backup path is not UTF-8".into()))?;
        if path.exists() {
            return Err(StoreError::Open("the snapshot's file exists already".into()));
        }
        let format = self.page_format()?;
        // Without a KEY clause the copy is keyed with this database's key.
        self.conn.execute("ATTACH DATABASE ?1 AS snapshot", [target])?;
        let copied = (|| -> Result<()> {
            self.conn.execute_batch(&format.pragmas("snapshot"))?;
            self.conn.execute_batch("BEGIN")?;
            let version: i64 = self.conn.query_row("PRAGMA main.user_version", [], |r| r.get(0))?;
            self.conn.query_row("SELECT sqlcipher_export('snapshot')", [], |_| Ok(()))?;
            // The migrations' bookmark lives in the header, which the export does not copy.
            self.conn.pragma_update(Some("snapshot"), "user_version", version)?;
            self.conn.execute_batch("COMMIT")?;
            Ok(())
        })();
        if copied.is_err() && !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        let detached = self.conn.execute("DETACH DATABASE snapshot", []);
        copied?;
        detached?;
        Ok(())
    }

    /// SQLite's full integrity check (every page, every index): `Ok(())` or the first problem.
    pub fn integrity_check(&self) -> Result<(), String> {
        let result: Result<String, _> = self.conn.query_row("PRAGMA integrity_check(1)", [], |r| r.get(0));
        match result {
            Ok(ok) if ok == "ok" => Ok(()),
            Ok(problem) => Err(problem),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction and commits when it returns `Ok`.
    /// On `Err` the transaction rolls back and nothing is written. Customers the transaction
    /// changed are indexed for search just before the commit, in the same transaction.
    pub fn write<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T, E>) -> Result<T, E> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(StoreError::from)?;
        let wrapped = Tx { tx };
        let value = f(&wrapped)?;
        customers::index_pending_search(&wrapped.tx)?;
        wrapped.tx.commit().map_err(StoreError::from)?;
        Ok(value)
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction and always rolls it back: a rehearsal that
    /// sees its own writes (and every constraint) exactly as [`Store::write`] would, and leaves
    /// the database as it was. Dry runs use it.
    pub fn rehearse<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T, E>) -> Result<T, E> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(StoreError::from)?;
        let wrapped = Tx { tx };
        let value = f(&wrapped);
        wrapped.tx.rollback().map_err(StoreError::from)?;
        value
    }

    /// Runs `f` in a read transaction, so everything it reads is one consistent snapshot.
    pub fn read<T, E: From<StoreError>>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T, E>) -> Result<T, E> {
        let tx = self.conn.unchecked_transaction().map_err(StoreError::from)?;
        let wrapped = Tx { tx };
        let value = f(&wrapped)?;
        // Reads only: ending the transaction cannot lose anything.
        wrapped.tx.rollback().map_err(StoreError::from)?;
        Ok(value)
    }
}

/// An open transaction. All repository operations hang off it.
pub struct Tx<'c> {
    tx: rusqlite::Transaction<'c>,
}

impl Tx<'_> {
    fn conn(&self) -> &Connection {
        &self.tx
    }

    /// Runs `f` inside a savepoint of this transaction. When `f` fails, everything it wrote is
    /// undone and the transaction goes on, so one refused item of a batch leaves the others.
    pub fn savepoint<T, E: From<StoreError>>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T, E>) -> Result<T, E> {
        let run = |sql: &str| -> Result<()> {
            self.conn().prepare_cached(sql)?.execute([])?;
            Ok(())
        };
        run("SAVEPOINT item")?;
        match f(self) {
            Ok(value) => {
                run("RELEASE item")?;
                Ok(value)
            }
            Err(e) => {
                run("ROLLBACK TO item")?;
                run("RELEASE item")?;
                Err(e)
            }
        }
    }
}

impl Tx<'_> {
    /// SQLite's `data_version`: it changes between two calls on this connection exactly when
    /// another connection (this process's or another's) committed in between. A result taken
    /// in one transaction still holds in a later one when this value is the same in both.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self.conn().query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// Runs `f` inside a savepoint that is always rolled back: `f` sees its own writes and every
    /// constraint, and the transaction goes on as if it had not run. Its pages stay dirty and the
    /// commit writes them again, so [`Store::rehearse`] is cheaper where a transaction of its own
    /// will do; a four-eyes request comes here only when another connection committed between
    /// its rehearsal and its record.
    pub fn rehearse<T, E: From<StoreError>>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T, E>) -> Result<T, E> {
        let run = |sql: &str| -> Result<()> {
            self.conn().prepare_cached(sql)?.execute([])?;
            Ok(())
        };
        run("SAVEPOINT rehearsal")?;
        let value = f(self);
        run("ROLLBACK TO rehearsal")?;
        run("RELEASE rehearsal")?;
        value
    }
}

/// The page cache of a connection, in KiB. Every page read from the file is decrypted and its
/// HMAC checked, so a page kept here saves that work on every later command; the cache fills
/// only as pages are read.
///
/// 128 MiB, not 32: once a 32 MiB cache was full, its hit rate collapsed (the bench's commands
/// read about 110 pages each from the file, the table roots among them, and took 2 ms instead
/// of 0.7), while emptying it every fifty commands kept them fast. The bench had hidden this:
/// its raw baseline committed from a second connection, which empties the app's cache. Why a
/// full cache stops keeping its hottest pages is not yet understood (this SQLCipher build
/// enables SQLite's memory management, under which all connections share one page pool); a
/// larger cache fills far later and measured 0.8 ms at 100 k customers (docs/performance.md).
pub(crate) const CACHE_KIB: i64 = 128 * 1024;

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Statement journals (a statement whose triggers write the search index keeps one, as does
    // every savepoint) and temporary b-trees stay in memory instead of spilling to files in
    // /var/tmp: it made bulk imports a quarter faster, and they are small and short-lived.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    conn.set_prepared_statement_cache_capacity(128);
    Ok(())
}
