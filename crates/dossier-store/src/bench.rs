//! Raw SQLite baselines for `dossier dev bench`: what the same database file does with no rules,
//! no audit and no outbox, measured in the same run as the app's commands, queue pages and
//! import, so that the ratio between the two means something on any machine. The connection is
//! opened with the house pragmas; the scratch tables it writes to are dropped by
//! [`RawBench::finish`].

use std::path::Path;

use dossier_core::CustomerId;
use rusqlite::{Connection, OpenFlags, TransactionBehavior, params};
use time::Date;

use crate::codec;
use crate::customers::id_from;
use crate::{Result, StoreError};

/// One row per raw commit: about the size of an audit event.
const COMMITS: &str = "CREATE TABLE IF NOT EXISTS bench_raw_commits (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, entity_id BLOB NOT NULL, summary TEXT NOT NULL)";

/// The columns a queue page reads, in the queue's order.
const PAGE_COLUMNS: &str = "id, kind, ref_id, display_name, state, verification_level, risk_rating, identity_status, \
     edd_status, kyc_refresh_due_on, created_at, updated_at";

/// A raw connection to a Dossier database, for baselines.
pub struct RawBench {
    conn: Connection,
    /// Columns of the bulk-insert table, once made.
    bulk_columns: usize,
    commits: u64,
}

impl RawBench {
    /// Opens `path` (a migrated Dossier database) with the same pragmas as [`crate::Store`].
    pub fn open(path: &Path, key: &[u8; crate::KEY_BYTES]) -> Result<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| StoreError::Open(e.to_string()))?;
        // The same encrypted file as the app's, keyed the same way: the baselines pay for the
        // encryption too, so the ratios compare like with like.
        crate::encryption::apply_key(&conn, "main", key)?;
        crate::configure(&conn)?;
        conn.execute_batch(COMMITS)?;
        Ok(Self { conn, bulk_columns: 0, commits: 0 })
    }

    /// Inserts one row and commits it in its own `BEGIN IMMEDIATE` transaction, as a command
    /// commits its change: the floor under any command's latency.
    pub fn commit_one(&mut self, at: time::OffsetDateTime) -> Result<()> {
        self.commits += 1;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.prepare_cached("INSERT INTO bench_raw_commits (at, entity_id, summary) VALUES (?1, ?2, ?3)")?.execute(
            params![
                codec::timestamp(at),
                self.commits.to_be_bytes().repeat(2),
                r#"{"from":"pending","to":"verified","level":"full","note":"raw baseline row of an audit event's size"}"#
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A page of customers, newest first, after `before` (or from the top): the same columns as
    /// a work-queue page, read by keyset over the primary key, or over the `(state, id)` index
    /// when `state` is given. Returns the ids read, the last one being the next cursor.
    pub fn keyset_page(
        &self,
        state: Option<&str>,
        before: Option<CustomerId>,
        limit: usize,
    ) -> Result<Vec<CustomerId>> {
        use rusqlite::types::Value;
        let before = before.map(|id| Value::Blob(id.as_bytes().to_vec()));
        let state = state.map(|s| Value::Text(s.to_owned()));
        let (filter, args) = match (state, before) {
            (None, None) => ("", vec![]),
            (None, Some(b)) => ("WHERE id < ?1", vec![b]),
            (Some(s), None) => ("WHERE state = ?1", vec![s]),
            (Some(s), Some(b)) => ("WHERE state = ?1 AND id < ?2", vec![s, b]),
        };
        // The limit written out, as the app's queries do (crate::codec::limit).
        let sql =
            format!("SELECT {PAGE_COLUMNS} FROM customers {filter} ORDER BY id DESC{}", crate::codec::limit(limit));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            // Every column is read into an owned value, as the app's page does.
            let id: Vec<u8> = r.get(0)?;
            let mut text = Vec::with_capacity(11);
            for i in 1..12 {
                text.push(r.get::<_, Option<String>>(i)?);
            }
            std::hint::black_box(&text);
            out.push(CustomerId::from_bytes(id_from(id, "customers", "id")?));
        }
        Ok(out)
    }

    /// How many customers the database holds.
    pub fn customers(&self) -> Result<u64> {
        let n: i64 = self.conn.query_row("SELECT count(*) FROM customers", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The customer `offset` places from the newest: a cursor into the depth of the queue.
    pub fn customer_at(&self, offset: u64) -> Result<Option<CustomerId>> {
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let mut stmt = self.conn.prepare_cached("SELECT id FROM customers ORDER BY id DESC LIMIT 1 OFFSET ?1")?;
        let mut rows = stmt.query([offset])?;
        match rows.next()? {
            Some(r) => Ok(Some(CustomerId::from_bytes(id_from(r.get(0)?, "customers", "id")?))),
            None => Ok(None),
        }
    }

    /// The customer `offset` places into the refresh-due order, with its due date: a cursor into
    /// the depth of the queue sorted by `refresh_due`.
    pub fn refresh_due_at(&self, offset: u64) -> Result<Option<(Date, CustomerId)>> {
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let mut stmt = self.conn.prepare_cached(
            "SELECT kyc_refresh_due_on, id FROM customers WHERE kyc_refresh_due_on IS NOT NULL \
             ORDER BY kyc_refresh_due_on, id LIMIT 1 OFFSET ?1",
        )?;
        let mut rows = stmt.query([offset])?;
        match rows.next()? {
            Some(r) => {
                let due: String = r.get(0)?;
                let due = codec::parse_date(&due, "customers", "kyc_refresh_due_on")?;
                Ok(Some((due, CustomerId::from_bytes(id_from(r.get(1)?, "customers", "id")?))))
            }
            None => Ok(None),
        }
    }

    /// Makes an empty table like `customers` for [`RawBench::bulk_insert`]: a 16-byte id as the
    /// primary key, a unique `ref_id` (the first column) and one text column per other column.
    pub fn prepare_bulk(&mut self, columns: usize) -> Result<()> {
        let cells: Vec<String> = (1..columns).map(|i| format!("c{i} TEXT")).collect();
        self.conn.execute_batch(&format!(
            "DROP TABLE IF EXISTS bench_raw_rows;
             CREATE TABLE bench_raw_rows (id BLOB PRIMARY KEY NOT NULL, ref_id TEXT NOT NULL UNIQUE, {});",
            cells.join(", ")
        ))?;
        self.bulk_columns = columns;
        Ok(())
    }

    /// Inserts `rows` (cells in column order, the ref id first) into the table of
    /// [`RawBench::prepare_bulk`] in one transaction with one prepared statement: SQLite's bulk
    /// insert speed for these rows, with ascending ids as the app's time-ordered ids are.
    pub fn bulk_insert(&mut self, rows: &[Vec<String>]) -> Result<usize> {
        let n = self.bulk_columns;
        let names: Vec<String> = (1..n).map(|i| format!("c{i}")).collect();
        let marks: Vec<String> = (1..=n + 1).map(|i| format!("?{i}")).collect();
        let sql =
            format!("INSERT INTO bench_raw_rows (id, ref_id, {}) VALUES ({})", names.join(", "), marks.join(", "));
        let base = u128::from(self.commits) << 64 | 1 << 120;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare_cached(&sql)?;
            for (i, row) in rows.iter().enumerate() {
                let id = (base + i as u128).to_be_bytes();
                let mut args: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(n + 1);
                args.push(&id);
                for cell in row.iter().take(n) {
                    args.push(cell);
                }
                stmt.execute(args.as_slice())?;
            }
        }
        tx.commit()?;
        Ok(rows.len())
    }

    /// The database's size: its pages, including those still in the write-ahead log.
    pub fn database_bytes(&self) -> Result<u64> {
        let pages: i64 = self.conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        // SQLCipher answers `page_size` as text (its cipher page size).
        let size: i64 = self.conn.query_row("PRAGMA page_size", [], |r| match r.get_ref(0)? {
            rusqlite::types::ValueRef::Integer(n) => Ok(n),
            other => Ok(other.as_str().ok().and_then(|t| t.parse().ok()).unwrap_or(0)),
        })?;
        Ok(u64::try_from(pages * size).unwrap_or(0))
    }

    /// Drops the scratch tables.
    pub fn finish(self) -> Result<()> {
        self.conn.execute_batch("DROP TABLE IF EXISTS bench_raw_rows; DROP TABLE IF EXISTS bench_raw_commits;")?;
        Ok(())
    }
}
