//! Raw SQLite baselines for `dossier dev bench`: what the same database file does with no rules,
//! measured in the same run as the app's commands, queue pages and import, so that the ratio
//! between the two means something on any machine. The connection is opened with the house
//! pragmas; the scratch tables it writes to are dropped by [`RawBench::finish`].
//!
//! The import's baseline stores exactly the rows the import stored (the customer, its child
//! rows, risk assessment, audit events and outbox messages), read back from the import and
//! inserted again into scratch copies of those tables that have the same columns, constraints,
//! indexes and triggers (the search index and the counts by state included): the physical limit
//! of storing what the import stores, with no rules, no hashing and no JSON in the timed part.

use std::collections::HashMap;
use std::path::Path;

use dossier_core::CustomerId;
use rusqlite::types::Value;
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

/// Scratch copies of tables are named with this prefix.
const SCRATCH: &str = "bench_raw_";

/// The tables an import of customers writes, in the order one customer's rows are written
/// again by [`RawBench::insert_imported`]: the customer, its children, its risk assessment, its
/// audit events and its outbox messages.
const IMPORTED_TABLES: &[&str] = &[
    "customers",
    "persons",
    "institutions",
    "institution_members",
    "addresses",
    "contacts",
    "identity_documents",
    "document_files",
    "tax_details",
    "due_diligence",
    "controls",
    "risk_assessments",
    "audit_events",
    "outbox",
];

/// Tables only triggers of the tables above write: they are copied with them, so the copies'
/// triggers have somewhere to write.
const TRIGGERED_TABLES: &[&str] = &["customer_search", "customer_search_pending", "customer_state_counts"];

/// How the rows of `table` written since `mark` are read back: the table's columns, then the
/// customer each row belongs to, in the order they were written. The marks are integers.
fn imported_query(table: &str, mark: ImportMark) -> String {
    let customers = format!("SELECT id FROM customers WHERE rowid > {}", mark.customer_rowid);
    match table {
        "customers" => {
            format!("SELECT t.*, t.id FROM customers t WHERE t.rowid > {} ORDER BY t.rowid", mark.customer_rowid)
        }
        "document_files" => format!(
            "SELECT f.*, d.customer_id FROM document_files f JOIN identity_documents d ON d.id = f.document_id
             WHERE d.customer_id IN ({customers}) ORDER BY d.rowid, f.position"
        ),
        "audit_events" => {
            format!("SELECT t.*, t.entity_id FROM audit_events t WHERE t.seq > {} ORDER BY t.seq", mark.audit_seq)
        }
        "outbox" => {
            format!("SELECT t.*, t.aggregate_id FROM outbox t WHERE t.seq > {} ORDER BY t.seq", mark.outbox_seq)
        }
        _ => format!("SELECT t.*, t.customer_id FROM {table} t WHERE t.customer_id IN ({customers}) ORDER BY t.rowid"),
    }
}

/// A raw connection to a Dossier database, for baselines.
pub struct RawBench {
    conn: Connection,
    /// Columns of the bulk-insert table, once made.
    bulk_columns: usize,
    /// The scratch copies of the imported tables, once made.
    scratch_tables: Vec<String>,
    /// [`crate::customers::INDEX_PENDING_SEARCH`] on the copies.
    scratch_index_search: Vec<String>,
}

/// Where the database stood before an import: what was written after it is the import's.
#[derive(Debug, Clone, Copy)]
pub struct ImportMark {
    customer_rowid: i64,
    audit_seq: i64,
    outbox_seq: i64,
}

/// The rows an import wrote, read back as stored, in the order [`RawBench::insert_imported`]
/// writes them: customer by customer.
pub struct ImportedRows {
    /// One `INSERT` per table that has rows, into its scratch copy.
    inserts: Vec<String>,
    /// (index into `inserts`, the row's values).
    rows: Vec<(usize, Vec<Value>)>,
    customers: usize,
}

impl ImportedRows {
    /// Customers among the rows.
    pub fn customers(&self) -> usize {
        self.customers
    }

    /// Rows of every table together.
    pub fn rows(&self) -> usize {
        self.rows.len()
    }
}

impl RawBench {
    /// Opens `path` (a migrated Dossier database) with the same pragmas as [`crate::Store`].
    pub fn open(path: &Path, key: &[u8; crate::KEY_BYTES]) -> Result<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        // The same encrypted file as the app's, keyed the same way: the baselines pay for the
        // encryption too, so the ratios compare like with like.
        let conn = crate::encryption::open_keyed(path, flags, key)?;
        crate::configure(&conn)?;
        // The app's store leaves checkpoints to a background thread during a bench (see
        // `Checkpointer`); so does this connection, or its first commit after a run of the app's
        // would fold the app's log back into the file and time that.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.execute_batch(COMMITS)?;
        Ok(Self { conn, bulk_columns: 0, scratch_tables: Vec::new(), scratch_index_search: Vec::new() })
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
        let base = 1u128 << 120;
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

    /// Where the database stands now; take it just before an import.
    pub fn import_mark(&self) -> Result<ImportMark> {
        let max = |sql: &str| -> Result<i64> { Ok(self.conn.query_row(sql, [], |r| r.get(0))?) };
        Ok(ImportMark {
            customer_rowid: max("SELECT coalesce(max(rowid), 0) FROM customers")?,
            audit_seq: max("SELECT coalesce(max(seq), 0) FROM audit_events")?,
            outbox_seq: max("SELECT coalesce(max(seq), 0) FROM outbox")?,
        })
    }

    /// Makes empty scratch copies of every table an import writes (see [`IMPORTED_TABLES`]),
    /// with their constraints, foreign keys, indexes and triggers, from the schema as it is in
    /// the file, so the copies follow every migration.
    pub fn prepare_import_copy(&mut self) -> Result<()> {
        let tables: Vec<&str> = IMPORTED_TABLES.iter().chain(TRIGGERED_TABLES).copied().collect();
        let mut stmt = self.conn.prepare(
            "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY type = 'table' DESC, rowid",
        )?;
        let objects: Vec<(String, String, String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        drop(stmt);
        let copied: Vec<&(String, String, String, String)> = objects
            .iter()
            .filter(|(kind, name, table, _)| match kind.as_str() {
                "table" => tables.contains(&name.as_str()),
                "index" | "trigger" => tables.contains(&table.as_str()),
                _ => false,
            })
            .collect();
        let mut renamed: Vec<&str> = tables.clone();
        renamed.extend(copied.iter().filter(|(kind, ..)| kind != "table").map(|(_, name, ..)| name.as_str()));
        let mut script = String::new();
        for (_, _, _, sql) in &copied {
            script.push_str(&scratch_sql(sql, &renamed));
            script.push_str(";\n");
        }
        self.drop_import_copy()?;
        self.conn.execute_batch(&script)?;
        self.scratch_tables = tables.iter().map(|t| format!("{SCRATCH}{t}")).collect();
        self.scratch_index_search =
            crate::customers::INDEX_PENDING_SEARCH.iter().map(|sql| scratch_sql(sql, &renamed)).collect();
        Ok(())
    }

    /// Reads back every row the import wrote since `mark`, customer by customer, for
    /// [`RawBench::insert_imported`].
    pub fn imported_rows(&self, mark: ImportMark) -> Result<ImportedRows> {
        let mut inserts = Vec::with_capacity(IMPORTED_TABLES.len());
        // Each customer's rows, table by table in the order of IMPORTED_TABLES.
        let mut by_customer: HashMap<Vec<u8>, Vec<(usize, Vec<Value>)>> = HashMap::new();
        let mut order: Vec<Vec<u8>> = Vec::new();
        for (i, table) in IMPORTED_TABLES.iter().enumerate() {
            let mut stmt = self.conn.prepare(&imported_query(table, mark))?;
            let mut columns: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
            columns.pop();
            let marks: Vec<String> = (1..=columns.len()).map(|n| format!("?{n}")).collect();
            inserts.push(format!(
                "INSERT INTO {SCRATCH}{table} ({}) VALUES ({})",
                columns.join(", "),
                marks.join(", ")
            ));
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let mut values: Vec<Value> = (0..=columns.len()).map(|c| r.get(c)).collect::<rusqlite::Result<_>>()?;
                let Some(Value::Blob(owner)) = values.pop() else {
                    return Err(StoreError::Corrupt { table: "customers", column: "id" });
                };
                if i == 0 {
                    order.push(owner.clone());
                }
                by_customer.entry(owner).or_default().push((i, values));
            }
        }
        let customers = order.len();
        let mut rows = Vec::new();
        for id in order {
            rows.extend(by_customer.remove(&id).unwrap_or_default());
        }
        // Anything else the import wrote (none is expected), after the customers.
        for (_, rest) in by_customer {
            rows.extend(rest);
        }
        Ok(ImportedRows { inserts, rows, customers })
    }

    /// Inserts `rows` into the scratch copies made by [`RawBench::prepare_import_copy`], in one
    /// transaction with one prepared statement per table: SQLite's speed at storing what the
    /// import stored. Returns the customers inserted.
    ///
    /// Like the app's connection, this one leaves checkpoints to the background thread (see
    /// [`RawBench::open`]), so the baseline does not pay for one the import did not.
    pub fn insert_imported(&mut self, rows: &ImportedRows) -> Result<usize> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut stmts = Vec::with_capacity(rows.inserts.len());
            for sql in &rows.inserts {
                stmts.push(tx.prepare(sql)?);
            }
            for (table, values) in &rows.rows {
                stmts[*table].execute(rusqlite::params_from_iter(values))?;
            }
        }
        // The copies' customers are indexed for search before the commit, as the store does
        // for every transaction (migration 0012), by the same statements on the copies.
        for sql in &self.scratch_index_search {
            tx.execute(sql, [])?;
        }
        tx.commit()?;
        Ok(rows.customers)
    }

    fn drop_import_copy(&mut self) -> Result<()> {
        if self.scratch_tables.is_empty() {
            return Ok(());
        }
        // Children before parents would do too; without foreign keys the order does not matter.
        let mut script = String::from("PRAGMA foreign_keys = OFF;\n");
        for table in self.scratch_tables.drain(..) {
            script.push_str(&format!("DROP TABLE IF EXISTS {table};\n"));
        }
        script.push_str("PRAGMA foreign_keys = ON;");
        self.conn.execute_batch(&script)?;
        Ok(())
    }

    /// The database's size: its pages, including those still in the write-ahead log.
    pub fn database_bytes(&self) -> Result<u64> {
        let pages: i64 = self.conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        Ok(u64::try_from(pages).unwrap_or(0) * u64::from(crate::encryption::page_size(&self.conn)?))
    }

    /// Drops the scratch tables.
    pub fn finish(mut self) -> Result<()> {
        self.drop_import_copy()?;
        self.conn.execute_batch("DROP TABLE IF EXISTS bench_raw_rows; DROP TABLE IF EXISTS bench_raw_commits;")?;
        Ok(())
    }
}

/// `sql` (a `CREATE` statement from the schema) with every identifier in `renamed` given the
/// scratch prefix: table names, and the names of the indexes and triggers being copied.
/// String literals are left alone.
fn scratch_sql(sql: &str, renamed: &[&str]) -> String {
    let mut out = String::with_capacity(sql.len() + 64);
    let mut chars = sql.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c == '\'' {
            out.push(c);
            for (_, c) in chars.by_ref() {
                out.push(c);
                if c == '\'' {
                    break;
                }
            }
        } else if c.is_ascii_alphanumeric() || c == '_' {
            let mut end = start + c.len_utf8();
            while let Some(&(i, c)) = chars.peek() {
                if !(c.is_ascii_alphanumeric() || c == '_') {
                    break;
                }
                end = i + c.len_utf8();
                chars.next();
            }
            let word = &sql[start..end];
            if renamed.contains(&word) {
                out.push_str(SCRATCH);
            }
            out.push_str(word);
        } else {
            out.push(c);
        }
    }
    out
}

impl crate::Store {
    /// The raw one-row commit of `dossier dev bench`: one `BEGIN IMMEDIATE`, one insert of an
    /// audit-sized row into the scratch table [`RawBench::open`] makes, `COMMIT`, on this store's
    /// own connection. The same connection as the app's commands, because a commit from another
    /// one makes SQLite drop this connection's whole page cache, and the next command would then
    /// start cold, as no command of a desktop that is its database's only writer does. `n` makes
    /// the row's entity id.
    pub fn raw_commit_one(&mut self, at: time::OffsetDateTime, n: u64) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.prepare_cached("INSERT INTO bench_raw_commits (at, entity_id, summary) VALUES (?1, ?2, ?3)")?.execute(
            params![
                codec::timestamp(at),
                n.to_be_bytes().repeat(2),
                r#"{"from":"pending","to":"verified","level":"full","note":"raw baseline row of an audit event's size"}"#
            ],
        )?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::scratch_sql;

    #[test]
    fn scratch_sql_renames_whole_identifiers_and_leaves_literals() {
        let sql = "CREATE TRIGGER customer_search_insert AFTER INSERT ON customers BEGIN \
                   INSERT INTO customer_search (rowid, ref_id) VALUES (new.rowid, 'customers'); END";
        assert_eq!(
            scratch_sql(sql, &["customers", "customer_search", "customer_search_insert"]),
            "CREATE TRIGGER bench_raw_customer_search_insert AFTER INSERT ON bench_raw_customers BEGIN \
                   INSERT INTO bench_raw_customer_search (rowid, ref_id) VALUES (new.rowid, 'customers'); END"
        );
        assert_eq!(
            scratch_sql(
                "CREATE INDEX customers_by_state ON customers (state, id)",
                &["customers", "customers_by_state"]
            ),
            "CREATE INDEX bench_raw_customers_by_state ON bench_raw_customers (state, id)"
        );
    }
}
